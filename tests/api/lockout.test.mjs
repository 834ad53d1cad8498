// Account lockout (5 failures → 15 minutes), unlock by an administrator, expiry through the
// test clock, and the per-address login rate limit. Runs alone (run.sh uses
// --test-concurrency=1) because it moves the server clock; it leaves the offset at 0.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { req, show, assertError, login, as, uniq, setClock, resetLoginLimiter, ACCOUNTS, COUNTY } from './lib.mjs'

let admin
let user // {id, username, password}

before(async () => {
  await resetLoginLimiter() // earlier test files had failed logins from this address too
  admin = await as('admin')
  const username = uniq('lock')
  const password = 'Lock1pass' + Math.floor(Math.random() * 1000)
  const r = await admin.post('/api/v1/users', {
    username, password, display_name: '锁定测试', role: 'viewer', division_code: COUNTY,
  })
  assert.equal(r.status, 201, show(r))
  user = { id: r.json.id, username, password }
})

after(async () => {
  await resetLoginLimiter() // leaves the offset at 0 and later test files able to log in
})

async function fail5() {
  for (let i = 1; i <= 5; i++) {
    const r = await req('POST', '/api/v1/auth/login', { body: { username: user.username, password: `Wrong${i}pass` } })
    if (i < 5) assertError(r, 401, 'login_failed')
    else assert.ok([401, 423].includes(r.status), `5th failure: ${show(r)}`)
  }
}

async function readUser() {
  const r = await admin.get(`/api/v1/users/${user.id}`)
  assert.equal(r.status, 200, show(r))
  return r.json
}

test('5 failed logins lock the account: 423 account_locked even with the right password', async () => {
  await fail5()
  const r = await req('POST', '/api/v1/auth/login', { body: { username: user.username, password: user.password } })
  assertError(r, 423, 'account_locked')
  assert.ok(!r.json.token, 'no token while locked')
  const u = await readUser()
  assert.ok(u.locked_until, `locked_until is set: ${JSON.stringify(u)}`)
  assert.ok(Date.parse(u.locked_until) > Date.now() + 10 * 60e3, 'locked for about 15 minutes')
  assert.ok(Date.parse(u.locked_until) < Date.now() + 20 * 60e3, 'locked for about 15 minutes')
  // Other accounts are not affected.
  assert.equal((await login('viewer', ACCOUNTS.viewer.password)).status, 200)
})

test('an administrator unlocks the account', async () => {
  const r = await admin.post(`/api/v1/users/${user.id}/unlock`, {})
  assert.ok(r.status === 200 || r.status === 204, show(r))
  const u = await readUser()
  assert.ok(!u.locked_until || Date.parse(u.locked_until) <= Date.now(), `unlocked: ${JSON.stringify(u)}`)
  const l = await login(user.username, user.password)
  assert.equal(l.status, 200, show(l.res))
})

test('unlock is for administrators only', async () => {
  const duty = await as('duty')
  assertError(await duty.post(`/api/v1/users/${user.id}/unlock`, {}), 403, 'forbidden')
})

test('a successful login resets the failure count', async () => {
  for (let i = 0; i < 4; i++) {
    assertError(await req('POST', '/api/v1/auth/login', { body: { username: user.username, password: 'Nope1nope' } }), 401, 'login_failed')
  }
  assert.equal((await login(user.username, user.password)).status, 200)
  for (let i = 0; i < 4; i++) {
    assertError(await req('POST', '/api/v1/auth/login', { body: { username: user.username, password: 'Nope1nope' } }), 401, 'login_failed')
  }
  assert.equal((await login(user.username, user.password)).status, 200, 'not locked: the count started again')
})

test('the lock expires after 15 minutes (test clock)', async () => {
  await resetLoginLimiter()
  await fail5()
  await setClock(14 * 60 + 50)
  await setClock(16 * 60)
  const l = await login(user.username, user.password)
  assert.equal(l.status, 200, `after 16 minutes: ${show(l.res)}`)
  await setClock(0)
})

test('attempts while locked do not extend the 15 minutes', async () => {
  await resetLoginLimiter()
  await fail5()
  assertError((await login(user.username, user.password)).res, 423, 'account_locked')
  await setClock(14 * 60)
  assertError((await login(user.username, user.password)).res, 423, 'account_locked')
  await setClock(16 * 60)
  const l = await login(user.username, user.password)
  assert.equal(l.status, 200, `16 minutes after the 5th failure: ${show(l.res)}`)
  await setClock(0)
})

test('too many failed logins from one address → 429 rate_limited, for every account', async () => {
  await resetLoginLimiter()
  let limitedAt = 0
  for (let i = 1; i <= 25; i++) {
    const r = await req('POST', '/api/v1/auth/login', { body: { username: uniq('ghost'), password: 'Wrong1pass' } })
    if (r.status === 429) {
      assertError(r, 429, 'rate_limited')
      limitedAt = i
      break
    }
    assertError(r, 401, 'login_failed')
  }
  assert.ok(limitedAt > 20, `the first 20 failures are answered normally (429 at attempt ${limitedAt})`)
  assert.ok(limitedAt > 0 && limitedAt <= 22, `rate limited after more than 20 failures (at ${limitedAt})`)
  // While limited even a correct login from this address is refused…
  assertError((await login('admin', ACCOUNTS.admin.password)).res, 429, 'rate_limited')
  // …but existing sessions keep working.
  assert.equal((await admin.get('/api/v1/auth/me')).status, 200)
  // Nine minutes later it still holds; ten minutes later the window has passed.
  await setClock(9 * 60)
  assertError((await login('admin', ACCOUNTS.admin.password)).res, 429, 'rate_limited')
  await setClock(11 * 60)
  assert.equal((await login('admin', ACCOUNTS.admin.password)).status, 200, 'limit over after 10 minutes')
  await setClock(0)
  const l = await login('admin', ACCOUNTS.admin.password)
  assert.equal(l.status, 200, `after the clock is reset logins work again: ${show(l.res)}`)
})

test('sessions end after 12 hours (test clock)', async () => {
  const l = await login('viewer', ACCOUNTS.viewer.password)
  assert.equal(l.status, 200)
  const exp = Date.parse(l.res.json.expires_at)
  const hours = (exp - Date.now()) / 3600e3
  assert.ok(hours > 11.9 && hours < 12.1, `expires_at 12 hours ahead: ${l.res.json.expires_at}`)
  try {
    await setClock(11 * 3600)
    assert.equal((await req('GET', '/api/v1/auth/me', { token: l.token })).status, 200, 'valid after 11 hours')
    await setClock(12 * 3600 + 120)
    assertError(await req('GET', '/api/v1/auth/me', { token: l.token }), 401, 'unauthenticated')
    assertError(await req('GET', '/api/v1/divisions', { cookie: l.token }), 401, 'unauthenticated')
  } finally {
    await setClock(0)
  }
})
