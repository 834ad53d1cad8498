// "Done when": a town-level user cannot read or change another town's records, and nothing
// of them leaks in lists, counts, exports or live events.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  BASE, show, assertError, as, listAll, total, parseCsv, levelCounts, sse, eventKey, sleep, uniq,
  COUNTY, TOWN1, TOWN2,
} from './lib.mjs'

let admin, town1, town2, townAdmin
let villages1 // villages of town 1 (codes)
let village2 // one village of town 2

before(async () => {
  admin = await as('admin')
  town1 = await as('town1')
  town2 = await as('town2')
  villages1 = (await listAll(admin, `/api/v1/divisions?parent_code=${TOWN1}`)).items.map((d) => d.code)
  const v2 = await admin.get(`/api/v1/divisions?parent_code=${TOWN2}&page_size=1`)
  village2 = v2.json.items[0].code
  // A town-level administrator (not in the demo): may write, but only inside town 1.
  const username = uniq('townadm')
  const password = 'Town1admin' + Math.floor(Math.random() * 1000)
  const r = await admin.post('/api/v1/users', {
    username, password, display_name: '乡镇管理员', role: 'admin', division_code: TOWN1,
  })
  assert.equal(r.status, 201, show(r))
  townAdmin = await as(username, password)
})

test('setup: town 1 has villages, town 2 has a village', () => {
  assert.ok(villages1.length > 0)
  assert.ok(village2.startsWith(TOWN2))
})

test('town1 lists only its own town: itself and its villages', async () => {
  const all = await listAll(town1, '/api/v1/divisions')
  assert.equal(all.total, villages1.length + 1, 'total = its villages + the town itself')
  assert.equal(all.items.length, all.total)
  for (const d of all.items) assert.ok(d.code.startsWith(TOWN1), `leaked: ${d.code}`)
  assert.ok(all.items.some((d) => d.code === TOWN1))
})

test('town1: the division filter on another town finds nothing', async () => {
  assert.equal(await total(town1, `/api/v1/divisions?division=${TOWN2}`), 0)
  assert.equal(await total(town1, `/api/v1/divisions?division=${COUNTY}`), villages1.length + 1)
})

test('town1: filters and q on another town find nothing', async () => {
  assert.equal(await total(town1, `/api/v1/divisions?parent_code=${TOWN2}`), 0)
  assert.equal(await total(town1, `/api/v1/divisions?parent_code=${COUNTY}`), 1, 'of the county\'s towns only its own')
  assert.equal(await total(town1, '/api/v1/divisions?level=town'), 1)
  assert.equal(await total(town1, '/api/v1/divisions?level=county'), 0)
  const name2 = (await admin.get(`/api/v1/divisions/${TOWN2}`)).json.name
  const name1 = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json.name
  if (!name2.includes(name1) && !name1.includes(name2)) {
    assert.equal(await total(town1, `/api/v1/divisions?q=${encodeURIComponent(name2)}`), 0, `q=${name2}`)
  }
  const vname = (await admin.get(`/api/v1/divisions/${village2}`)).json.name
  const r = await town1.get(`/api/v1/divisions?q=${encodeURIComponent(vname)}`)
  for (const d of r.json.items) assert.ok(d.code.startsWith(TOWN1), `q leaked ${d.code}`)
})

test('town1 cannot read another town or the county (404 not_found)', async () => {
  assertError(await town1.get(`/api/v1/divisions/${village2}`), 404, 'not_found')
  assertError(await town1.get(`/api/v1/divisions/${TOWN2}`), 404, 'not_found')
  assertError(await town1.get(`/api/v1/divisions/${COUNTY}`), 404, 'not_found')
  assert.equal((await town1.get(`/api/v1/divisions/${TOWN1}`)).status, 200)
  assert.equal((await town1.get(`/api/v1/divisions/${villages1[0]}`)).status, 200)
  // The answer for an existing record outside is the same as for one that does not exist.
  const missing = await town1.get(`/api/v1/divisions/${TOWN2.slice(0, 6)}999`)
  const outside = await town1.get(`/api/v1/divisions/${TOWN2}`)
  assert.equal(missing.status, outside.status)
  assert.deepEqual(missing.json.error.code, outside.json.error.code)
  assert.equal(missing.json.error.message, outside.json.error.message)
})

test('town1 cannot change another town (403/404), and nothing changes', async () => {
  const before = (await admin.get(`/api/v1/divisions/${village2}`)).json
  const p = await town1.patch(`/api/v1/divisions/${village2}`, { population: 1 })
  assertError(p, [403, 404])
  const d = await town1.del(`/api/v1/divisions/${village2}`)
  assertError(d, [403, 404])
  assert.deepEqual((await admin.get(`/api/v1/divisions/${village2}`)).json, before, 'unchanged')
})

test('a town administrator cannot read, change or delete another town\'s records (404), nothing changes', async () => {
  const before = (await admin.get(`/api/v1/divisions/${village2}`)).json
  assertError(await townAdmin.get(`/api/v1/divisions/${village2}`), 404, 'not_found')
  assertError(await townAdmin.patch(`/api/v1/divisions/${village2}`, { population: (before.population || 0) + 7 }), 404, 'not_found')
  assertError(await townAdmin.del(`/api/v1/divisions/${village2}`), 404, 'not_found')
  assertError(await townAdmin.patch(`/api/v1/divisions/${COUNTY}`, { name: '改名' }), 404, 'not_found')
  assert.deepEqual((await admin.get(`/api/v1/divisions/${village2}`)).json, before, 'unchanged')
  assert.equal((await admin.get(`/api/v1/divisions/${COUNTY}`)).json.name, '云岭县')
})

test('creating under another town → 403 outside_jurisdiction; nothing created', async () => {
  const code = `${TOWN2}985`
  const n = await total(admin, '/api/v1/divisions')
  const r = await townAdmin.post('/api/v1/divisions', { code, name: '越权新村', population: 5 })
  assertError(r, 403, 'outside_jurisdiction')
  assertError(await admin.get(`/api/v1/divisions/${code}`), 404, 'not_found')
  assert.equal(await total(admin, '/api/v1/divisions'), n)
  // Moving an own record to another town is the same thing.
  const orgR = await townAdmin.post('/api/v1/orgs', { name: uniq('镇内单位'), kind: 'other', division_code: TOWN1 })
  assert.equal(orgR.status, 201, show(orgR))
  const id = orgR.json.id
  assertError(await townAdmin.patch(`/api/v1/orgs/${id}`, { division_code: TOWN2 }), 403, 'outside_jurisdiction')
  assert.equal((await admin.get(`/api/v1/orgs/${id}`)).json.division_code, TOWN1, 'not moved')
  assertError(await townAdmin.post('/api/v1/orgs', { name: uniq('越权单位'), kind: 'other', division_code: TOWN2 }), 403, 'outside_jurisdiction')
  assert.ok((await townAdmin.del(`/api/v1/orgs/${id}`)).status < 300)
  // Inside its own town the town administrator may create.
  const own = await townAdmin.post('/api/v1/divisions', { code: `${TOWN1}986`, name: '镇内新村' })
  assert.equal(own.status, 201, show(own))
  assert.ok((await townAdmin.del(`/api/v1/divisions/${TOWN1}986`)).status < 300)
})

test('town1: stats and exports count only its own town', async () => {
  const r = await town1.get('/api/v1/divisions/stats')
  assert.equal(r.status, 200, show(r))
  const c = levelCounts(r.json)
  assert.equal(c.town, 1, JSON.stringify(r.json))
  assert.equal(c.village, villages1.length, JSON.stringify(r.json))
  assert.equal(c.county, 0, JSON.stringify(r.json))
  const csv = await town1.get('/api/v1/divisions/export.csv')
  assert.equal(csv.status, 200)
  const rows = parseCsv(csv.text).slice(1).filter((row) => row[0])
  assert.equal(rows.length, villages1.length + 1)
  for (const row of rows) assert.ok(row[0].startsWith(TOWN1), `export leaked ${row[0]}`)
  const geo = await town1.get(`/api/v1/divisions/geojson?parent=${COUNTY}`)
  if (geo.status === 200) {
    for (const f of geo.json.features) assert.ok(f.properties.code.startsWith(TOWN1), `geojson leaked ${f.properties.code}`)
  } else assertError(geo, [403, 404])
  const geo2 = await town1.get(`/api/v1/divisions/geojson?parent=${TOWN2}`)
  if (geo2.status === 200) assert.equal(geo2.json.features.length, 0, 'geojson of another town is empty')
  else assertError(geo2, [403, 404])
})

test('town1: organisations of other towns do not appear', async () => {
  const orgs = await listAll(town1, '/api/v1/orgs')
  for (const o of orgs.items) assert.ok(o.division_code.startsWith(TOWN1), `org leaked: ${o.name} ${o.division_code}`)
  const all = await listAll(admin, `/api/v1/orgs?division=${TOWN2}`)
  for (const o of all.items) assertError(await town1.get(`/api/v1/orgs/${o.id}`), 404, 'not_found')
  assert.equal(await total(town1, `/api/v1/orgs?division=${TOWN2}`), 0)
  // town1 is not an administrator: no user list at all.
  assertError(await town1.get('/api/v1/users'), 403, 'forbidden')
})

test('town1\'s live events: a change in town 2 is not delivered, one in town 1 is', async () => {
  const stream = await sse(town1.token)
  assert.equal(stream.status, 200, `events: ${stream.status} ${stream.text || ''}`)
  assert.match(stream.headers.get('content-type') || '', /^text\/event-stream/)
  let streamAdmin
  try {
    // wait until the subscription exists (the server sends a hello first)
    const hello = await stream.waitFor((e) => e.event === 'hello', 5000)
    assert.ok(hello, 'hello event')
    streamAdmin = await sse(admin.token)
    await streamAdmin.waitFor((e) => e.event === 'hello', 5000)

    const b2 = (await admin.get(`/api/v1/divisions/${village2}`)).json
    const b1 = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json
    const p2 = await admin.patch(`/api/v1/divisions/${village2}`, { population: (b2.population || 0) + 1 })
    assert.equal(p2.status, 200, show(p2))
    const p1 = await admin.patch(`/api/v1/divisions/${TOWN1}`, { population: (b1.population || 0) + 1 })
    assert.equal(p1.status, 200, show(p1))

    const isChange = (code) => (e) => e.event === 'change' && eventKey(e) === code
    // The administrator of the county sees both.
    assert.ok(await streamAdmin.waitFor(isChange(village2), 5000), 'county admin sees town 2 change')
    assert.ok(await streamAdmin.waitFor(isChange(TOWN1), 5000), 'county admin sees town 1 change')
    const own = await stream.waitFor(isChange(TOWN1), 5000)
    assert.ok(own, `town1 sees the change of its own town; got ${JSON.stringify(stream.events)}`)
    assert.equal(own.data.entity, 'divisions')
    assert.ok(['update', 'updated', 'change', 'patch'].includes(own.data.action), `action: ${own.data.action}`)
    await sleep(300)
    const leaked = stream.events.filter(
      (e) => e.event === 'change' && (eventKey(e).startsWith(TOWN2) ||
        (e.data && typeof e.data.division_code === 'string' && !e.data.division_code.startsWith(TOWN1))),
    )
    assert.deepEqual(leaked, [], 'no event from outside town 1')

    // restore
    assert.equal((await admin.patch(`/api/v1/divisions/${village2}`, { population: b2.population })).status, 200)
    assert.equal((await admin.patch(`/api/v1/divisions/${TOWN1}`, { population: b1.population })).status, 200)
  } finally {
    stream.close()
    if (streamAdmin) streamAdmin.close()
  }
})

test('live events need a login; the browser\'s session cookie is enough', async () => {
  const s = await sse(null)
  assert.equal(s.status, 401)
  const ctrl = new AbortController()
  const res = await fetch(`${BASE}/api/v1/events`, {
    headers: { Accept: 'text/event-stream', Cookie: `yingji_session=${town1.token}` },
    signal: ctrl.signal,
  })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') || '', /^text\/event-stream/)
  ctrl.abort()
})

after(async () => {
  // leave no test user able to log in
  if (townAdmin && townAdmin.user) await admin.patch(`/api/v1/users/${townAdmin.user.id}`, { active: false })
})
