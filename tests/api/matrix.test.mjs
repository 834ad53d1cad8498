// The authorisation matrix: every operation of openapi.json × every demo role (and no login),
// plus inside/outside jurisdiction for the routes of one record. Prints the matrix.
//
// Expectations, from the operation's x-roles / x-jurisdiction:
//   - no token → 401 unauthenticated (every non-public operation);
//   - a role not in x-roles → 403 forbidden;
//   - a role in x-roles → never 401/403/5xx. Reads answer 200 (a record inside the role's
//     jurisdiction). Writes are sent so that nothing can change — an unknown field (422), a
//     record that does not exist (DELETE → 404), a CSV with an unknown column (422);
//   - x-jurisdiction routes of one record: inside → 200, outside → 404 not_found, for reads
//     and (with harmless bodies) for writes; the outside record is re-read afterwards.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  BASE, req, show, as, openapi, uniq, ROLE_USERS, ACCOUNTS, DEMO_PASSWORD, COUNTY, TOWN1, OTHER_COUNTY,
} from './lib.mjs'

const PROBE = { __matrix_probe__: 1 } // an unknown field: every validating write refuses it
const SKIP = (path) => path.startsWith('/api/v1/test/') || path === '/api/v1/auth/logout'

const doc = await openapi()
const ops = []
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (SKIP(path) || !('x-roles' in op)) continue
    ops.push({ method: method.toUpperCase(), path, op, roles: op['x-roles'], jur: op['x-jurisdiction'] === true })
  }
}

const clients = {} // demo username → client
let city
const fx = {} // fixtures: ids inside / outside per entity
const table = new Map() // "METHOD path" → {role: cell}
const throwaway = [] // [client, path] to delete at the end

function cell(op, col, value) {
  const key = `${op.method} ${op.path}`
  if (!table.has(key)) table.set(key, {})
  const row = table.get(key)
  if (col === 'in/out' && row[col]) {
    const seen = row[col].split(',')
    if (!seen.includes(String(value))) row[col] = `${row[col]},${value}`
  } else row[col] = String(value)
}

function pluralOf(path) {
  return path.split('/')[3]
}

function keyOf(plural, rec) {
  return plural === 'divisions' ? rec.code : rec.id
}

before(async () => {
  for (const u of ROLE_USERS) clients[u] = await as(u)
  city = await as('city')
  const admin = clients.admin

  // Organisations: one in town 1 (inside for everyone), one at the county (outside for the
  // town-level info officer), one in another county (outside for the county), one more there
  // to try deleting.
  const mk = async (c, division_code, label) => {
    const r = await c.post('/api/v1/orgs', { name: uniq(label), kind: 'other', division_code })
    assert.equal(r.status, 201, show(r))
    throwaway.push([c, `/api/v1/orgs/${r.json.id}`])
    return r.json.id
  }
  fx.orgs = {
    town: await mk(admin, TOWN1, '矩阵镇内'),
    county: await mk(admin, COUNTY, '矩阵县级'),
    other: await mk(city, OTHER_COUNTY, '矩阵县外'),
    otherDel: await mk(city, OTHER_COUNTY, '矩阵县外删'),
  }
  // A division outside the county to try deleting.
  const dcode = `${OTHER_COUNTY}997`
  const d = await city.post('/api/v1/divisions', { code: dcode, name: '矩阵测试镇' })
  assert.equal(d.status, 201, show(d))
  throwaway.push([city, `/api/v1/divisions/${dcode}`])
  fx.divisions = { county: COUNTY, town: TOWN1, other: OTHER_COUNTY, otherDel: dcode }
  // Users: duty (county) is inside for the county administrator, city (6203) outside.
  const users = (await admin.get('/api/v1/users?q=duty&page_size=100')).json.items
  const cityUsers = (await city.get('/api/v1/users?q=city&page_size=100')).json.items
  const town1 = (await admin.get('/api/v1/users?q=town1&page_size=100')).json.items
  fx.users = {
    county: users.find((u) => u.username === 'duty').id,
    town: town1.find((u) => u.username === 'town1').id,
    other: cityUsers.find((u) => u.username === 'city').id,
  }
})

after(async () => {
  for (const [c, path] of throwaway.reverse()) await c.del(path)
  printTable()
})

/** The record of the entity inside (or outside) the jurisdiction of demo user u. */
async function recordFor(plural, u, inside) {
  const town = ACCOUNTS[u].division === TOWN1
  if (fx[plural]) {
    const f = fx[plural]
    if (inside) return town ? f.town : f.county ?? f.town
    return town ? f.county : f.other
  }
  // An entity this test does not know yet: the first record the user can list.
  if (!inside) return undefined
  const r = await clients[u].get(`/api/v1/${plural}?page_size=1`)
  if (r.status !== 200 || !r.json.items.length) return undefined
  return keyOf(plural, r.json.items[0])
}

function fill(path, id) {
  return path.replace(/\{[^}]+\}/g, encodeURIComponent(String(id)))
}

/** The harmless request for an operation: [path, opts, what a permitted role must get]. */
async function probe(op, u) {
  const plural = pluralOf(op.path)
  const hasId = /\{[^}]+\}/.test(op.path)
  let path = op.path
  if (hasId) {
    let id = op.method === 'DELETE' ? (plural === 'divisions' ? '620390100999' : 99999999) : await recordFor(plural, u, true)
    // a role that cannot list the entity still gets a real record to be refused on
    if (id === undefined && u !== 'admin') id = await recordFor(plural, 'admin', true)
    if (id === undefined) return null
    path = fill(op.path, id)
  }
  // routes whose query parameters are required get a valid query (a point in the demo county)
  if (path === '/api/v1/resources/nearby') path += '?lon=102.3&lat=38.4'
  if (path === '/api/v1/search') path += '?q=%E9%A2%84%E6%A1%88' // q=预案: a blank q is 422
  if (op.method === 'GET') return [path, {}, hasId ? [200] : [200, 404]]
  if (op.method === 'DELETE') return [path, {}, [404]]
  if (path.endsWith('/import.csv')) return [path, { body: '__matrix_probe__\nx\n', contentType: 'text/csv' }, [400, 422]]
  if (op.method === 'PATCH' || (op.method === 'POST' && op.op['x-entity'] && !hasId && path === `/api/v1/${plural}`)) {
    return [path, { body: PROBE }, [422]]
  }
  return [path, { body: PROBE }, null] // any answer but 401/403/5xx
}

/** GET of the event stream: only the status matters; the stream is closed at once. */
async function streamStatus(path, token) {
  const ctrl = new AbortController()
  const headers = { Accept: 'text/event-stream' }
  if (token) headers.Authorization = `Bearer ${token}`
  const res = await fetch(BASE + path, { headers, signal: ctrl.signal })
  const status = res.status
  let json
  if (status !== 200) json = await res.json().catch(() => undefined)
  ctrl.abort()
  return { status, json, text: JSON.stringify(json) }
}

function send(method, path, opts) {
  if (method === 'GET' && path === '/api/v1/events') return streamStatus(path, opts.token)
  return req(method, path, opts)
}

for (const op of ops) {
  test(`${op.method} ${op.path}`, async () => {
    const problems = []
    // no login
    {
      const pr = (await probe(op, 'admin')) || [fill(op.path, 1), { body: op.method === 'GET' ? undefined : PROBE }]
      const r = await send(op.method, pr[0], { ...pr[1] })
      cell(op, 'anon', r.status)
      if (r.status !== 401 || !r.json || r.json.error.code !== 'unauthenticated') problems.push(`no token: ${show(r)}`)
    }
    for (const u of ROLE_USERS) {
      const role = ACCOUNTS[u].role
      const allowed = op.roles.includes(role)
      const pr = await probe(op, u)
      if (!pr) {
        cell(op, u, allowed ? 'n/a' : '')
        continue
      }
      const [path, opts, want] = pr
      const r = await send(op.method, path, { ...opts, token: clients[u].token })
      let bad = false
      if (!allowed) {
        bad = r.status !== 403 || !r.json || r.json.error.code !== 'forbidden'
      } else if ([401, 403].includes(r.status) || r.status >= 500) {
        bad = true
      } else if (want && !want.includes(r.status)) {
        bad = true
      }
      cell(op, u, `${r.status}${bad ? '!' : ''}`)
      if (bad) problems.push(`${u} (${role}, ${allowed ? 'allowed' : 'not allowed'}): ${op.method} ${path} → ${show(r)}`)
    }
    assert.deepEqual(problems, [], problems.join('\n'))
  })
}

// Inside / outside jurisdiction for the operations on one record.
const recordOps = ops.filter((op) => op.jur && /\{[^}]+\}/.test(op.path))

for (const op of recordOps.filter((o) => o.method === 'GET')) {
  test(`jurisdiction: ${op.method} ${op.path} inside → 200, outside → 404`, async () => {
    const plural = pluralOf(op.path)
    const problems = []
    for (const u of ROLE_USERS) {
      if (!op.roles.includes(ACCOUNTS[u].role)) continue
      const inId = await recordFor(plural, u, true)
      const outId = await recordFor(plural, u, false)
      if (inId === undefined || outId === undefined) {
        cell(op, `${u} in/out`, 'n/a')
        continue
      }
      const ri = await clients[u].get(fill(op.path, inId))
      const ro = await clients[u].get(fill(op.path, outId))
      const okIn = ri.status === 200
      const okOut = ro.status === 404 && ro.json && ro.json.error.code === 'not_found'
      cell(op, 'in/out', `${ri.status}/${ro.status}${okIn && okOut ? '' : '!'}`)
      if (!okIn) problems.push(`${u} inside ${inId}: ${show(ri)}`)
      if (!okOut) problems.push(`${u} outside ${outId}: ${show(ro)}`)
    }
    assert.deepEqual(problems, [], problems.join('\n'))
  })
}

/** A harmless body for a write on an existing record of plural (the record's own value). */
function harmless(plural, rec, path) {
  if (path.endsWith('/password')) return { password: DEMO_PASSWORD }
  if (path.endsWith('/unlock')) return {}
  if (plural === 'users') return { display_name: rec.display_name }
  if ('name' in rec) return { name: rec.name }
  return {}
}

for (const op of recordOps.filter((o) => o.method !== 'GET')) {
  test(`jurisdiction: ${op.method} ${op.path} outside → 404, record unchanged`, async () => {
    const plural = pluralOf(op.path)
    const problems = []
    for (const u of ROLE_USERS) {
      if (!op.roles.includes(ACCOUNTS[u].role)) continue
      const f = fx[plural]
      if (!f) {
        cell(op, 'in/out', 'n/a')
        continue
      }
      const outId = op.method === 'DELETE' ? f.otherDel : await recordFor(plural, u, false)
      if (outId === undefined) continue
      const seer = ACCOUNTS[u].division === TOWN1 ? clients.admin : city
      const before = await seer.get(`/api/v1/${plural}/${outId}`)
      assert.equal(before.status, 200, `the outside record exists: ${show(before)}`)
      const path = fill(op.path, outId)
      const body = op.method === 'DELETE' ? undefined : harmless(plural, before.json, op.path)
      const r = await req(op.method, path, { body, token: clients[u].token })
      const after = await seer.get(`/api/v1/${plural}/${outId}`)
      const okOut = r.status === 404 && r.json && r.json.error.code === 'not_found'
      cell(op, 'in/out', `-/${r.status}${okOut ? '' : '!'}`)
      if (!okOut) problems.push(`${u} outside ${op.method} ${path}: ${show(r)}`)
      if (after.status !== 200) problems.push(`${u}: outside record gone after ${op.method} ${path}: ${show(after)}`)
      else {
        const strip = (x) => ({ ...x, updated_at: undefined, last_login_at: undefined })
        try {
          assert.deepEqual(strip(after.json), strip(before.json))
        } catch {
          problems.push(`${u}: outside record changed by ${op.method} ${path}`)
        }
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'))
  })
}

test('every operation was covered', () => {
  assert.ok(ops.length >= 20, `operations in openapi.json: ${ops.length}`)
  for (const p of ['/api/v1/divisions', '/api/v1/orgs', '/api/v1/users', '/api/v1/audit']) {
    assert.ok(ops.some((o) => o.path === p), `matrix covers ${p}`)
  }
  assert.ok(recordOps.some((o) => o.path === '/api/v1/divisions/{id}' && o.method === 'GET'))
})

function printTable() {
  const cols = ['anon', ...ROLE_USERS, 'in/out']
  const rows = [...table.keys()].sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]) || a.localeCompare(b))
  const w0 = Math.max(...rows.map((r) => r.length), 10)
  const w = cols.map((c) => Math.max(c.length, 5))
  const line = (name, vals) => name.padEnd(w0) + ' ' + vals.map((v, i) => String(v ?? '').padEnd(w[i])).join(' ')
  const out = [`authorisation matrix (${BASE}; "!" = unexpected; in/out = inside/outside jurisdiction)`]
  out.push(line('route', cols))
  for (const r of rows) out.push(line(r, cols.map((c) => table.get(r)[c])))
  console.log(out.join('\n'))
}
