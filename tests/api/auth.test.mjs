// Login, sessions (bearer and cookie), CSRF, logout, password change.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import {
  req, show, assertError, login, as, client, cookieClient, uniq, ACCOUNTS, COUNTY, COUNTY_NAME,
} from './lib.mjs'

let admin

before(async () => {
  admin = await as('admin')
})

/** Admin creates a throwaway duty officer in the county; returns {id, username, password}. */
async function freshUser(prefix = 'auth') {
  const username = uniq(prefix)
  const password = 'Start1pass' + Math.floor(Math.random() * 1000)
  const r = await admin.post('/api/v1/users', {
    username, password, display_name: '测试用户', role: 'viewer', division_code: COUNTY,
  })
  assert.equal(r.status, 201, `create user: ${show(r)}`)
  return { id: r.json.id, username, password }
}

test('login returns token, CSRF token, expiry, the user and an HttpOnly SameSite cookie', async () => {
  const r = await req('POST', '/api/v1/auth/login', { body: { username: 'duty', password: ACCOUNTS.duty.password } })
  assert.equal(r.status, 200, show(r))
  const b = r.json
  assert.equal(typeof b.token, 'string')
  assert.ok(b.token.length >= 32, 'token is long enough to be unguessable')
  assert.equal(typeof b.csrf_token, 'string')
  assert.ok(b.csrf_token.length >= 16)
  assert.notEqual(b.csrf_token, b.token)
  const exp = Date.parse(b.expires_at)
  assert.ok(Number.isFinite(exp), `expires_at is a time: ${b.expires_at}`)
  assert.ok(exp > Date.now() + 3600e3, 'session lasts more than an hour')
  assert.ok(exp < Date.now() + 7 * 86400e3, 'session ends within a week')
  const u = b.user
  assert.equal(u.username, 'duty')
  assert.equal(u.role, 'duty_officer')
  assert.equal(u.division_code, COUNTY)
  assert.equal(u.division_name, COUNTY_NAME)
  assert.ok(Number.isInteger(u.id))
  assert.equal(typeof u.display_name, 'string')
  for (const k of Object.keys(u)) assert.ok(!/password|hash/i.test(k), `user has no ${k}`)
  assert.ok(!/\$argon2/.test(r.text), 'no password hash in the login answer')

  const cookies = typeof r.headers.getSetCookie === 'function' ? r.headers.getSetCookie() : [r.headers.get('set-cookie')]
  const c = cookies.find((x) => x && x.startsWith('yingji_session='))
  assert.ok(c, `Set-Cookie yingji_session: ${cookies}`)
  assert.match(c, /;\s*HttpOnly/i)
  assert.match(c, /;\s*SameSite=Strict/i)
  assert.match(c, /;\s*Path=\//i)
  const value = c.split(';')[0].slice('yingji_session='.length)
  assert.ok(value.length >= 32, 'cookie carries a session token')
  // The cookie's session works on its own.
  const me = await req('GET', '/api/v1/auth/me', { cookie: value })
  assert.equal(me.status, 200, show(me))
  assert.equal(me.json.user.username, 'duty')
})

test('wrong password and unknown user fail the same way (401 login_failed)', async () => {
  const a = await req('POST', '/api/v1/auth/login', { body: { username: 'viewer', password: 'Wrong@2026x' } })
  const b = await req('POST', '/api/v1/auth/login', { body: { username: uniq('nobody'), password: 'Wrong@2026x' } })
  const ea = assertError(a, 401, 'login_failed')
  const eb = assertError(b, 401, 'login_failed')
  assert.equal(ea.message, eb.message, 'same Chinese message')
  assert.equal(ea.message_en, eb.message_en, 'same English message')
  assert.ok(!a.headers.get('set-cookie'), 'no cookie on failure')
  // The account still works afterwards.
  assert.equal((await login('viewer', ACCOUNTS.viewer.password)).status, 200)
})

test('login with a malformed body is refused without a session', async () => {
  const r1 = await req('POST', '/api/v1/auth/login', { body: {} })
  assert.ok(r1.status >= 400 && r1.status < 500, show(r1))
  assert.ok(!r1.json || !r1.json.token)
  const r2 = await req('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 12345 } })
  assert.ok(r2.status >= 400 && r2.status < 500, show(r2))
  const r3 = await req('POST', '/api/v1/auth/login', { body: '{"username":"admin",' })
  assertError(r3, 400, 'bad_json')
})

test('GET /auth/me returns the user and the CSRF token', async () => {
  const l = await login('commander', ACCOUNTS.commander.password)
  assert.equal(l.status, 200)
  const r = await req('GET', '/api/v1/auth/me', { token: l.token })
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.user.username, 'commander')
  assert.equal(r.json.user.role, 'commander')
  assert.equal(r.json.csrf_token, l.csrf)
})

test('no token, a bad token → 401 unauthenticated', async () => {
  assertError(await req('GET', '/api/v1/auth/me'), 401, 'unauthenticated')
  assertError(await req('GET', '/api/v1/divisions'), 401, 'unauthenticated')
  assertError(await req('GET', '/api/v1/divisions', { token: 'x'.repeat(64) }), 401, 'unauthenticated')
  assertError(await req('GET', '/api/v1/divisions', { cookie: 'nonsense' }), 401, 'unauthenticated')
})

test('logout ends the session (bearer)', async () => {
  const l = await login('viewer', ACCOUNTS.viewer.password)
  const other = await login('viewer', ACCOUNTS.viewer.password)
  assert.equal((await req('GET', '/api/v1/auth/me', { token: l.token })).status, 200)
  const out = await req('POST', '/api/v1/auth/logout', { token: l.token })
  assert.equal(out.status, 200, show(out))
  assertError(await req('GET', '/api/v1/auth/me', { token: l.token }), 401, 'unauthenticated')
  assertError(await req('GET', '/api/v1/divisions', { token: l.token }), 401, 'unauthenticated')
  // Only that session ended.
  assert.equal((await req('GET', '/api/v1/auth/me', { token: other.token })).status, 200)
})

test('logout ends the session (cookie with CSRF) and clears the cookie', async () => {
  const l = await login('viewer', ACCOUNTS.viewer.password)
  const out = await req('POST', '/api/v1/auth/logout', { cookie: l.token, csrf: l.csrf })
  assert.equal(out.status, 200, show(out))
  const cookies = typeof out.headers.getSetCookie === 'function' ? out.headers.getSetCookie() : [out.headers.get('set-cookie')]
  const c = cookies.find((x) => x && x.startsWith('yingji_session='))
  assert.ok(c, 'logout sets the session cookie')
  assert.match(c, /^yingji_session=;/, 'to an empty value')
  assert.match(c, /Max-Age=0|Expires=Thu, 01 Jan 1970/i, 'that expires at once')
  assertError(await req('GET', '/api/v1/auth/me', { cookie: l.token }), 401, 'unauthenticated')
})

test('cookie writes need the X-CSRF-Token header; bearer writes do not', async () => {
  const u = await freshUser('csrf')
  const l = await login(u.username, u.password)
  assert.equal(l.status, 200, show(l.res))
  const ck = cookieClient(l.token, l.csrf)
  const body = { old_password: u.password, new_password: 'short' } // would fail policy anyway

  assertError(await ck.post('/api/v1/auth/password', body, false), 403, 'csrf_failed')
  assertError(
    await req('POST', '/api/v1/auth/password', { body, cookie: l.token, csrf: 'wrong-' + l.csrf }),
    403, 'csrf_failed',
  )
  // With the right header the request reaches the handler (and fails on the weak password).
  assertError(await ck.post('/api/v1/auth/password', body, true), 422, 'validation_failed')
  // A bearer write without any CSRF header reaches the handler too.
  assertError(await req('POST', '/api/v1/auth/password', { body, token: l.token }), 422, 'validation_failed')
  // Cookie GETs need no CSRF header.
  assert.equal((await ck.get('/api/v1/auth/me')).status, 200)
  // Entity writes are guarded the same way: admin's cookie without CSRF cannot create an org.
  const a = await login('admin', ACCOUNTS.admin.password)
  const before = (await admin.get('/api/v1/orgs?page_size=1')).json.total
  const name = uniq('csrf-org')
  assertError(
    await req('POST', '/api/v1/orgs', { body: { name, kind: 'other', division_code: COUNTY }, cookie: a.token }),
    403, 'csrf_failed',
  )
  assert.equal((await admin.get('/api/v1/orgs?page_size=1')).json.total, before, 'nothing created')
  const made = await req('POST', '/api/v1/orgs', { body: { name, kind: 'other', division_code: COUNTY }, cookie: a.token, csrf: a.csrf })
  assert.equal(made.status, 201, show(made))
  assert.equal((await admin.del(`/api/v1/orgs/${made.json.id}`)).status < 300, true)
})

test('password change: wrong old refused, weak new refused, then the new one works', async () => {
  const u = await freshUser('pw')
  const l = await login(u.username, u.password)
  assert.equal(l.status, 200)
  const me = client(l.token)

  const wrong = await me.post('/api/v1/auth/password', { old_password: 'Not1theOld', new_password: 'Brand2newPw' })
  assert.ok(wrong.status >= 400 && wrong.status < 500, show(wrong))
  assert.ok([401, 403, 422].includes(wrong.status), show(wrong))
  assert.equal((await login(u.username, u.password)).status, 200, 'old password still works')
  assert.notEqual((await login(u.username, 'Brand2newPw')).status, 200, 'new password not set')

  assertError(await me.post('/api/v1/auth/password', { old_password: u.password, new_password: 'abc' }), 422, 'validation_failed')
  assertError(await me.post('/api/v1/auth/password', { old_password: u.password, new_password: 'onlyletters' }), 422, 'validation_failed')
  assert.equal((await login(u.username, u.password)).status, 200, 'old password still works')

  const good = await me.post('/api/v1/auth/password', { old_password: u.password, new_password: 'Brand2newPw' })
  assert.equal(good.status, 200, show(good))
  assertError((await login(u.username, u.password)).res, 401, 'login_failed')
  assert.equal((await login(u.username, 'Brand2newPw')).status, 200, 'new password works')
})
