// The audit trail: every change, login, failed login and logout is recorded with before/after;
// password hashes never appear; the chain verifies over HTTP and from the command line; the
// database refuses to alter the log.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  req, show, assertError, as, login, uniq, listAll, parseCsv, looksLikeHash, secretKey, dbExec, dbInt,
  ACCOUNTS, BIN, DB, BACKEND, COUNTY, OTHER_COUNTY,
} from './lib.mjs'

let admin

before(async () => {
  admin = await as('admin')
})

/** Audit entries matching a query string, newest first as the server orders them. */
async function audit(query) {
  const r = await admin.get(`/api/v1/audit?${query}`)
  assert.equal(r.status, 200, show(r))
  assert.ok(Array.isArray(r.json.items))
  assert.equal(typeof r.json.total, 'number')
  return r.json
}

/** Every audit entry matching the query (all pages). */
async function auditAll(query) {
  const out = []
  for (let page = 1; page < 200; page++) {
    const a = await audit(`${query}&page=${page}`)
    out.push(...a.items)
    if (!a.items.length || out.length >= a.total) break
  }
  return out
}

const sameKey = (a, b) => String(a) === String(b)
const actorName = (e) => (typeof e.actor === 'object' && e.actor ? e.actor.username ?? e.actor.name : e.actor)
const asObj = (v) => (typeof v === 'string' ? JSON.parse(v) : v)

test('audit entries have the documented shape', async () => {
  const a = await audit('page=1')
  assert.ok(a.total > 0, 'the demo load itself is audited')
  assert.equal(a.page, 1)
  for (const e of a.items) {
    for (const k of ['id', 'at', 'actor', 'action', 'entity', 'record_id']) assert.ok(k in e, `entry has ${k}: ${JSON.stringify(e)}`)
    assert.ok(Number.isFinite(Date.parse(e.at)), `at is a time: ${e.at}`)
  }
})

test('create, update and delete are recorded with before and after', async () => {
  const name = uniq('审计单位')
  const c = await admin.post('/api/v1/orgs', { name, kind: 'enterprise', division_code: COUNTY, leader: '张三' })
  assert.equal(c.status, 201, show(c))
  const id = c.json.id
  const p = await admin.patch(`/api/v1/orgs/${id}`, { leader: '李四' })
  assert.equal(p.status, 200, show(p))
  const d = await admin.del(`/api/v1/orgs/${id}`)
  assert.ok(d.status < 300, show(d))

  const items = (await auditAll('entity=orgs')).filter((e) => sameKey(e.record_id, id))
  const byAction = (re) => items.find((e) => re.test(e.action))
  const cr = byAction(/^create/)
  const up = byAction(/^update/)
  const de = byAction(/^delete/)
  assert.ok(cr && up && de, `create, update and delete of org ${id} are in the log: ${JSON.stringify(items)}`)
  for (const e of [cr, up, de]) {
    assert.equal(e.entity, 'orgs')
    assert.equal(actorName(e), 'admin', `actor of ${e.action}: ${JSON.stringify(e.actor)}`)
  }
  assert.ok(!cr.before, 'create has no before')
  assert.equal(asObj(cr.after).name, name)
  assert.equal(asObj(up.before).leader, '张三')
  assert.equal(asObj(up.after).leader, '李四')
  assert.equal(asObj(de.before).leader, '李四')
  assert.ok(!de.after, 'delete has no after')
  assert.ok(up.id > cr.id && de.id > up.id, 'ids increase')

  // filters: by action
  const dels = await audit('entity=orgs&action=' + encodeURIComponent(de.action))
  assert.ok(dels.items.some((e) => e.id === de.id) || dels.total > dels.items.length)
  assert.ok(dels.items.every((e) => e.action === de.action && e.entity === 'orgs'))
})

test('administrators see the audit entries of their jurisdiction only', async () => {
  const city = await as('city')
  const c = await city.post('/api/v1/orgs', { name: uniq('县外审计'), kind: 'other', division_code: OTHER_COUNTY })
  assert.equal(c.status, 201, show(c))
  const id = c.json.id
  try {
    const cityAll = []
    for (let page = 1; page < 50; page++) {
      const r = await city.get(`/api/v1/audit?entity=orgs&page=${page}`)
      assert.equal(r.status, 200, show(r))
      cityAll.push(...r.json.items)
      if (!r.json.items.length || cityAll.length >= r.json.total) break
    }
    assert.ok(cityAll.some((e) => sameKey(e.record_id, id)), 'the city administrator sees the entry')
    const countyAll = await auditAll('entity=orgs')
    assert.ok(!countyAll.some((e) => sameKey(e.record_id, id)), 'the county administrator does not')
    const csv = await admin.get('/api/v1/audit/export.csv?entity=orgs')
    assert.ok(!csv.text.includes(c.json.name), 'nor in the export')
  } finally {
    await city.del(`/api/v1/orgs/${id}`)
  }
})

test('a failed write leaves no audit entry', async () => {
  const t0 = (await audit('page=1')).total
  assertError(await admin.post('/api/v1/orgs', { name: 'x', kind: 'pirates', division_code: COUNTY }), 422)
  assertError(await admin.patch('/api/v1/orgs/99999999', { name: 'x' }), 404)
  assert.equal((await audit('page=1')).total, t0)
})

test('login, failed login and logout are recorded', async () => {
  const t = (action) => audit(`action=${action}`)
  const okBefore = (await t('login')).total
  const failBefore = (await t('login_failed')).total
  const outBefore = (await t('logout')).total
  const l = await login('viewer', ACCOUNTS.viewer.password)
  assert.equal(l.status, 200)
  assertError((await login('viewer', 'Wrong9pass')).res, 401, 'login_failed')
  assert.equal((await req('POST', '/api/v1/auth/logout', { token: l.token })).status, 200)
  const logins = await t('login')
  const fails = await t('login_failed')
  const outs = await t('logout')
  assert.equal(logins.total, okBefore + 1, 'one more login')
  assert.equal(fails.total, failBefore + 1, 'one more failed login')
  assert.equal(outs.total, outBefore + 1, 'one more logout')
  assert.ok(fails.items.some((e) => JSON.stringify(e).includes('viewer')), `failed login names the account: ${JSON.stringify(fails.items.slice(0, 3))}`)
  assert.ok(!JSON.stringify(fails.items).includes('Wrong9pass'), 'the tried password is not logged')
})

test('users: the password hash never appears in the audit trail, lists or exports', async () => {
  const username = uniq('audpw')
  const password = 'Secret9pass' + Math.floor(Math.random() * 1000)
  const c = await admin.post('/api/v1/users', { username, password, display_name: '审计用户', role: 'viewer', division_code: COUNTY })
  assert.equal(c.status, 201, show(c))
  const id = c.json.id
  assert.equal((await admin.post(`/api/v1/users/${id}/password`, { password: password + 'x' })).status, 200)
  assert.equal((await admin.patch(`/api/v1/users/${id}`, { title: '科员' })).status, 200)

  const entries = (await auditAll('entity=users')).filter((e) => sameKey(e.record_id, id))
  assert.ok(entries.length >= 3, `create, password and update of user ${id} are audited: ${JSON.stringify(entries)}`)
  const text = JSON.stringify(entries)
  assert.ok(!looksLikeHash(text), `no argon2 hash in the audit trail: ${text}`)
  assert.ok(!text.includes(password), 'no password in the audit trail')
  for (const e of entries) {
    for (const side of [asObj(e.before), asObj(e.after)]) {
      if (side && 'password_hash' in side) assert.ok(!side.password_hash || /^\*+$/.test(side.password_hash), `masked: ${side.password_hash}`)
    }
  }
  const csv = await admin.get('/api/v1/audit/export.csv?entity=users')
  assert.equal(csv.status, 200, show(csv))
  assert.equal(csv.text.charCodeAt(0), 0xfeff, 'audit export has a BOM')
  assert.ok(!looksLikeHash(csv.text), 'no hash in the audit export')
  assert.ok(!csv.text.includes(password))
  const list = await listAll(admin, '/api/v1/users')
  assert.ok(!looksLikeHash(JSON.stringify(list)), 'no hash in the user list')
  for (const u of list.items) for (const k of Object.keys(u)) assert.ok(!secretKey(k), `user list has ${k}`)
  const ucsv = await admin.get('/api/v1/users/export.csv')
  assert.equal(ucsv.status, 200)
  assert.ok(!looksLikeHash(ucsv.text), 'no hash in the user export')
  assert.ok(!parseCsv(ucsv.text)[0].some((h) => /^(password|password_hash|密码|口令|密码哈希)$/i.test(h) || /hash|哈希/i.test(h)), `no password column: ${parseCsv(ucsv.text)[0]}`)
})

test('audit export: BOM, Chinese header, one row per entry', async () => {
  const a = await audit('entity=orgs')
  const csv = await admin.get('/api/v1/audit/export.csv?entity=orgs')
  assert.equal(csv.status, 200, show(csv))
  assert.match(csv.headers.get('content-type') || '', /^text\/csv/)
  const rows = parseCsv(csv.text).filter((r) => r.length > 1)
  assert.ok(rows[0].some((h) => /[\u4e00-\u9fff]/.test(h)), `Chinese header: ${rows[0]}`)
  assert.equal(rows.length - 1, a.total)
})

test('the audit trail is for administrators only', async () => {
  const duty = await as('duty')
  assertError(await duty.get('/api/v1/audit'), 403, 'forbidden')
  assertError(await duty.get('/api/v1/audit/verify'), 403, 'forbidden')
  assertError(await duty.get('/api/v1/audit/export.csv'), 403, 'forbidden')
})

test('GET /audit/verify: the chain is intact', async () => {
  const r = await admin.get('/api/v1/audit/verify')
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.ok, true, show(r))
  assert.ok(r.json.checked > 0)
  const all = await dbInt('SELECT COUNT(*) FROM audit_log')
  assert.ok(r.json.checked <= all && r.json.checked >= all - 50, `checked ${r.json.checked} of ${all}`)
})

test('the database refuses to change or delete audit entries', async () => {
  const n = await dbInt('SELECT COUNT(*) FROM audit_log')
  const up = await dbExec("UPDATE audit_log SET actor_name = 'mallory' WHERE id = 1")
  assert.notEqual(up.status, 0, `UPDATE refused (${BACKEND}): ${up.stdout} ${up.stderr}`)
  assert.match(up.stderr, /append-only/)
  const del = await dbExec('DELETE FROM audit_log WHERE id = 1')
  assert.notEqual(del.status, 0, `DELETE refused (${BACKEND}): ${del.stderr}`)
  assert.equal(await dbInt("SELECT COUNT(*) FROM audit_log WHERE actor_name = 'mallory'"), 0)
  assert.equal(await dbInt('SELECT COUNT(*) FROM audit_log'), n)
})

test('`yingji audit verify` reports OK', () => {
  const r = spawnSync(BIN, ['audit', 'verify', '--db', DB], { encoding: 'utf8', timeout: 120e3 })
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stdout} ${r.stderr}`)
  assert.match(r.stdout + r.stderr, /\bOK\b/)
})
