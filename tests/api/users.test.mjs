// User administration: create (password never returned), duplicates, deactivation, password
// reset, filters, jurisdiction of administrators, no deletion.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import {
  req, show, assertError, as, login, uniq, listAll, total, looksLikeHash, secretKey, ACCOUNTS, COUNTY, CITY, TOWN1,
} from './lib.mjs'

let admin, city

before(async () => {
  admin = await as('admin')
  city = await as('city')
})

function noSecrets(res, password) {
  assert.ok(!looksLikeHash(res.text), `no hash in ${show(res)}`)
  if (password) assert.ok(!res.text.includes(password), 'no password in the answer')
  const walk = (o) => {
    if (!o || typeof o !== 'object') return
    for (const [k, v] of Object.entries(o)) {
      assert.ok(!secretKey(k), `no ${k} in the answer`)
      walk(v)
    }
  }
  walk(res.json)
}

async function create(fields) {
  const username = fields.username || uniq('usr')
  const password = fields.password || 'Make1user' + Math.floor(Math.random() * 1000)
  const r = await admin.post('/api/v1/users', { display_name: '测试', role: 'viewer', division_code: COUNTY, ...fields, username, password })
  assert.equal(r.status, 201, show(r))
  return { id: r.json.id, username, password, res: r }
}

test('an administrator creates a user; the password is never returned', async () => {
  const u = await create({ display_name: '新用户', role: 'inspector', phone: '13800000000', title: '执法员' })
  const r = u.res
  noSecrets(r, u.password)
  assert.equal(r.json.username, u.username)
  assert.equal(r.json.role, 'inspector')
  assert.equal(r.json.division_code, COUNTY)
  assert.equal(r.json.active, true)
  assert.ok(Number.isInteger(r.json.id))
  const g = await admin.get(`/api/v1/users/${u.id}`)
  assert.equal(g.status, 200)
  noSecrets(g, u.password)
  assert.equal(g.json.title, '执法员')
  const l = await login(u.username, u.password)
  assert.equal(l.status, 200, show(l.res))
  assert.equal(l.user.role, 'inspector')
  assert.equal(l.user.display_name, '新用户')
  // The new user's own view has no secrets either.
  noSecrets(await req('GET', '/api/v1/auth/me', { token: l.token }), u.password)
})

test('duplicate username → 409 or 422, nothing created', async () => {
  const u = await create({})
  const n = await total(admin, '/api/v1/users')
  const r = await admin.post('/api/v1/users', { username: u.username, password: 'Other1pass', display_name: 'dup', role: 'viewer', division_code: COUNTY })
  assertError(r, [409, 422])
  const r2 = await admin.post('/api/v1/users', { username: 'admin', password: 'Other1pass', display_name: 'dup', role: 'viewer', division_code: COUNTY })
  assertError(r2, [409, 422])
  assert.equal(await total(admin, '/api/v1/users'), n)
  assert.equal((await login(u.username, u.password)).status, 200, 'the original still logs in')
})

test('a weak password is refused on create and on reset', async () => {
  const n = await total(admin, '/api/v1/users')
  for (const pw of ['abc', 'short1', 'allletters', '12345678']) {
    const e = assertError(await admin.post('/api/v1/users', { username: uniq('weak'), password: pw, display_name: 'w', role: 'viewer', division_code: COUNTY }), 422, 'validation_failed')
    assert.ok(e.fields && 'password' in e.fields, JSON.stringify(e))
  }
  assert.equal(await total(admin, '/api/v1/users'), n)
  const u = await create({})
  assertError(await admin.post(`/api/v1/users/${u.id}/password`, { password: 'abc' }), 422, 'validation_failed')
  assert.equal((await login(u.username, u.password)).status, 200)
})

test('a password cannot be set through PATCH', async () => {
  const u = await create({})
  for (const body of [{ password: 'Hack1pass' }, { password_hash: '$argon2id$v=19$m=65536,t=2,p=1$xxxx$yyyy' }]) {
    assertError(await admin.patch(`/api/v1/users/${u.id}`, body), 422, 'validation_failed')
  }
  assert.equal((await login(u.username, u.password)).status, 200)
  assert.notEqual((await login(u.username, 'Hack1pass')).status, 200)
})

test('deactivated users cannot log in; reactivated they can', async () => {
  const u = await create({})
  const l = await login(u.username, u.password)
  assert.equal(l.status, 200)
  const p = await admin.patch(`/api/v1/users/${u.id}`, { active: false })
  assert.equal(p.status, 200, show(p))
  assert.equal(p.json.active, false)
  const r = await login(u.username, u.password)
  assert.ok(r.status >= 400 && r.status < 500, `deactivated login: ${show(r.res)}`)
  assert.ok(!r.token)
  // A session opened before the deactivation ends with it.
  assertError(await req('GET', '/api/v1/auth/me', { token: l.token }), 401, 'unauthenticated')
  assert.equal(await total(admin, `/api/v1/users?active=false&q=${u.username}`), 1)
  assert.equal((await admin.patch(`/api/v1/users/${u.id}`, { active: true })).status, 200)
  assert.equal((await login(u.username, u.password)).status, 200)
})

test('an administrator resets a password', async () => {
  const u = await create({})
  const r = await admin.post(`/api/v1/users/${u.id}/password`, { password: 'Reset2pass' })
  assert.ok(r.status === 200 || r.status === 204, show(r))
  if (r.json) noSecrets(r, 'Reset2pass')
  assert.equal((await login(u.username, 'Reset2pass')).status, 200)
  assertError((await login(u.username, u.password)).res, 401, 'login_failed')
  assertError(await admin.post('/api/v1/users/99999999/password', { password: 'Reset2pass' }), 404, 'not_found')
  const duty = await as('duty')
  assertError(await duty.post(`/api/v1/users/${u.id}/password`, { password: 'Reset3pass' }), 403, 'forbidden')
  assert.equal((await login(u.username, 'Reset2pass')).status, 200, 'unchanged by the refused reset')
})

test('filters: role, division, active', async () => {
  const all = await listAll(admin, '/api/v1/users')
  const officers = await listAll(admin, '/api/v1/users?role=duty_officer')
  assert.ok(officers.total >= 3, 'duty, town1, town2')
  for (const u of officers.items) assert.equal(u.role, 'duty_officer')
  assert.ok(officers.items.some((u) => u.username === 'town1'))
  const t1 = await listAll(admin, `/api/v1/users?division=${TOWN1}`)
  for (const u of t1.items) assert.ok(u.division_code.startsWith(TOWN1))
  assert.ok(t1.items.some((u) => u.username === 'town1') && t1.items.some((u) => u.username === 'info'))
  const active = await total(admin, '/api/v1/users?active=true')
  const inactive = await total(admin, '/api/v1/users?active=false')
  assert.equal(active + inactive, all.total)
  const q = await listAll(admin, '/api/v1/users?q=town1')
  assert.ok(q.items.some((u) => u.username === 'town1'), 'q finds town1')
  assert.ok(!q.items.some((u) => u.username === 'town2'), 'q=town1 does not find town2')
})

test('the city administrator sees the users of the whole city; the county one only the county', async () => {
  const c = await listAll(city, '/api/v1/users')
  const names = c.items.map((u) => u.username)
  for (const n of ['admin', 'duty', 'town1', 'town2', 'info', 'city']) assert.ok(names.includes(n), `city sees ${n}`)
  for (const u of c.items) assert.ok(u.division_code.startsWith(CITY), u.division_code)
  const county = await listAll(admin, '/api/v1/users')
  assert.ok(!county.items.some((u) => u.username === 'city'), 'the county administrator does not see the city one')
  for (const u of county.items) assert.ok(u.division_code.startsWith(COUNTY), u.division_code)
  assert.ok(c.total > county.total)
  const cityId = c.items.find((u) => u.username === 'city').id
  assertError(await admin.get(`/api/v1/users/${cityId}`), 404, 'not_found')
  assertError(await admin.patch(`/api/v1/users/${cityId}`, { title: '被改' }), 404, 'not_found')
  assertError(await admin.patch(`/api/v1/users/${cityId}`, { active: false }), 404, 'not_found')
  const after = (await city.get(`/api/v1/users/${cityId}`)).json
  assert.equal(after.active, true)
  assert.notEqual(after.title, '被改')
  assert.equal((await login('city', ACCOUNTS.city.password)).status, 200)
})

test('the county administrator cannot create a user above the county (403 outside_jurisdiction)', async () => {
  const n = await total(city, '/api/v1/users')
  const username = uniq('above')
  assertError(await admin.post('/api/v1/users', { username, password: 'Above1pass', display_name: '越权', role: 'admin', division_code: CITY }), 403, 'outside_jurisdiction')
  assertError(await admin.post('/api/v1/users', { username, password: 'Above1pass', display_name: '越权', role: 'admin', division_code: '62' }), 403, 'outside_jurisdiction')
  const u = await create({})
  assertError(await admin.patch(`/api/v1/users/${u.id}`, { division_code: CITY }), 403, 'outside_jurisdiction')
  assert.equal((await admin.get(`/api/v1/users/${u.id}`)).json.division_code, COUNTY)
  assert.equal(await total(city, '/api/v1/users'), n + 1)
  assertError((await login(username, 'Above1pass')).res, 401, 'login_failed')
  // The city administrator may.
  const r = await city.post('/api/v1/users', { username, password: 'Above1pass', display_name: '市级', role: 'viewer', division_code: CITY })
  assert.equal(r.status, 201, show(r))
})

test('users are never deleted', async () => {
  const u = await create({})
  const r = await admin.del(`/api/v1/users/${u.id}`)
  assert.ok([404, 405].includes(r.status), show(r))
  assert.equal((await admin.get(`/api/v1/users/${u.id}`)).status, 200)
})

test('only administrators read or write users', async () => {
  for (const name of ['duty', 'commander', 'viewer', 'info']) {
    const c = await as(name)
    assertError(await c.get('/api/v1/users'), 403, 'forbidden')
    assertError(await c.get('/api/v1/users/export.csv'), 403, 'forbidden')
    assertError(await c.post('/api/v1/users', { username: uniq('nope'), password: 'Nope1pass', role: 'admin', division_code: COUNTY }), 403, 'forbidden')
  }
})

test('a user id that does not exist → 404; a malformed one → 4xx', async () => {
  assertError(await admin.get('/api/v1/users/99999999'), 404, 'not_found')
  const r = await admin.get('/api/v1/users/abc')
  assert.ok([400, 404, 422].includes(r.status), show(r))
})
