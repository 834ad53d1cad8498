// Bad input: malformed JSON, duplicate keys, wrong types, unknown fields, missing required
// fields, invalid enum values, bad division codes, oversized bodies, bad query strings.
// Each returns its documented error, and re-reading proves nothing changed.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { req, show, assertError, as, total, uniq, COUNTY, TOWN1 } from './lib.mjs'

let admin
let org // an existing organisation to update

async function snapshot() {
  return {
    orgs: await total(admin, '/api/v1/orgs'),
    divisions: await total(admin, '/api/v1/divisions'),
    users: await total(admin, '/api/v1/users'),
  }
}

before(async () => {
  admin = await as('admin')
  const r = await admin.post('/api/v1/orgs', { name: uniq('坏输入测试单位'), kind: 'rescue_team', division_code: TOWN1, phone: '0935-1234567' })
  assert.equal(r.status, 201, show(r))
  org = r.json
})

/**
 * A test of bad input: before it the totals and the org fixture are read, after it they
 * must be exactly the same (nothing created, changed or deleted).
 */
function badTest(name, fn) {
  test(name, async () => {
    const counts = await snapshot()
    const before = (await admin.get(`/api/v1/orgs/${org.id}`)).json
    await fn()
    const now = (await admin.get(`/api/v1/orgs/${org.id}`)).json
    assert.deepEqual(now, before, 'the organisation is unchanged')
    assert.deepEqual(await snapshot(), counts, 'no record was created or deleted')
  })
}

const raw = (method, path, body, contentType = 'application/json') =>
  req(method, path, { token: admin.token, body, contentType })

badTest('malformed JSON → 400 bad_json', async () => {
  for (const body of ['{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x",}', 'null x', '\u0000']) {
    assertError(await raw('POST', '/api/v1/orgs', body), 400, 'bad_json')
    assertError(await raw('PATCH', `/api/v1/orgs/${org.id}`, body), 400, 'bad_json')
  }
})

badTest('a body that is JSON but not an object → 400', async () => {
  for (const body of ['[]', '"x"', '42', 'null', '[{"name":"x"}]']) {
    const r = await raw('POST', '/api/v1/orgs', body)
    assertError(r, [400, 422])
  }
})

badTest('an empty body on a create → 400', async () => {
  assertError(await raw('POST', '/api/v1/orgs', ''), [400, 422])
})

badTest('invalid UTF-8 → 400 bad_json', async () => {
  const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('","kind":"other","division_code":"620390"}')])
  assertError(await raw('POST', '/api/v1/orgs', body), 400, 'bad_json')
})

badTest('duplicate keys → 400 bad_json', async () => {
  const name = uniq('重复键')
  const body = `{"name":"${name}","kind":"other","division_code":"${COUNTY}","name":"${name}2"}`
  assertError(await raw('POST', '/api/v1/orgs', body), 400, 'bad_json')
  assertError(await raw('PATCH', `/api/v1/orgs/${org.id}`, '{"phone":"1","phone":"2"}'), 400, 'bad_json')
  assertError(await raw('POST', '/api/v1/auth/login', '{"username":"admin","password":"x","password":"Admin@12345"}'), 400, 'bad_json')
})

badTest('wrong types → 422 validation_failed with the field named', async () => {
  const cases = [
    ['/api/v1/divisions', { code: '620390100970', name: '类型错', population: 'many' }, 'population'],
    ['/api/v1/divisions', { code: '620390100970', name: '类型错', area_km2: 'big' }, 'area_km2'],
    ['/api/v1/divisions', { code: '620390100970', name: 42 }, 'name'],
    ['/api/v1/divisions', { code: 620390100970, name: '类型错' }, 'code'],
    ['/api/v1/divisions', { code: '620390100970', name: '类型错', population: 1.5 }, 'population'],
    ['/api/v1/divisions', { code: '620390100970', name: '类型错', population: true }, 'population'],
    ['/api/v1/orgs', { name: '类型错', kind: 'other', division_code: COUNTY, parent_id: 'one' }, 'parent_id'],
    ['/api/v1/orgs', { name: ['类型错'], kind: 'other', division_code: COUNTY }, 'name'],
    ['/api/v1/users', { username: uniq('typ'), password: 'Good1pass', role: 'viewer', division_code: COUNTY, active: 'yes' }, 'active'],
  ]
  for (const [path, body, field] of cases) {
    const e = assertError(await admin.post(path, body), 422, 'validation_failed')
    assert.ok(e.fields && field in e.fields, `error.fields names ${field}: ${JSON.stringify(e)}`)
    assert.match(e.fields[field], /[\u4e00-\u9fff]/, 'the field message is Chinese')
  }
  assertError(await admin.get('/api/v1/divisions/620390100970'), 404)
  // An update with one good and one bad field changes nothing at all.
  const e = assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { phone: '0935-7654321', parent_id: 'x' }), 422, 'validation_failed')
  assert.ok('parent_id' in e.fields)
})

badTest('unknown fields → 422 validation_failed', async () => {
  const name = uniq('未知字段')
  const e = assertError(await admin.post('/api/v1/orgs', { name, kind: 'other', division_code: COUNTY, colour: 'red' }), 422, 'validation_failed')
  assert.ok(e.fields && 'colour' in e.fields, JSON.stringify(e))
  assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { phone: '1', colour: 'red' }), 422, 'validation_failed')
  // fields the server owns are refused too
  assertError(await admin.post('/api/v1/orgs', { name, kind: 'other', division_code: COUNTY, id: 99999 }), 422, 'validation_failed')
  assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { created_at: '2020-01-01T00:00:00Z' }), 422, 'validation_failed')
  assertError(await admin.post('/api/v1/divisions', { code: '620390100971', name: '派生', level: 'town' }), 422, 'validation_failed')
  assertError(await admin.post('/api/v1/divisions', { code: '620390100971', name: '派生', parent_code: TOWN1 }), 422, 'validation_failed')
  assertError(await admin.get('/api/v1/divisions/620390100971'), 404)
})

badTest('missing required fields → 422 with every missing field listed', async () => {
  const e = assertError(await admin.post('/api/v1/orgs', {}), 422, 'validation_failed')
  assert.ok(e.fields && 'name' in e.fields, JSON.stringify(e))
  const e2 = assertError(await admin.post('/api/v1/divisions', { name: '无代码' }), 422, 'validation_failed')
  assert.ok('code' in e2.fields, JSON.stringify(e2))
  const e3 = assertError(await admin.post('/api/v1/divisions', { code: '620390100972' }), 422, 'validation_failed')
  assert.ok('name' in e3.fields, JSON.stringify(e3))
  const e4 = assertError(await admin.post('/api/v1/users', { username: uniq('nopw'), role: 'viewer', division_code: COUNTY }), 422, 'validation_failed')
  assert.ok(e4.fields && 'password' in e4.fields, `a user needs a password: ${JSON.stringify(e4)}`)
  // Blank required text is missing too.
  assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { name: '   ' }), 422, 'validation_failed')
  assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { name: null }), 422, 'validation_failed')
})

badTest('invalid enum values → 422', async () => {
  const e = assertError(await admin.post('/api/v1/orgs', { name: uniq('枚举'), kind: 'pirates', division_code: COUNTY }), 422, 'validation_failed')
  assert.ok('kind' in e.fields)
  assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { kind: 'Rescue_Team' }), 422, 'validation_failed')
  const e2 = assertError(await admin.post('/api/v1/users', { username: uniq('enum'), password: 'Good1pass', role: 'superuser', division_code: COUNTY }), 422, 'validation_failed')
  assert.ok('role' in e2.fields)
})

badTest('bad division codes → 422', async () => {
  for (const code of ['12345', '6203900', 'abcdef', '62039010', '6203901001234', ' 620390', '620390 ', '６２０３９０']) {
    const e = assertError(await admin.post('/api/v1/orgs', { name: uniq('区划'), kind: 'other', division_code: code }), 422, 'validation_failed')
    assert.ok('division_code' in e.fields, `${code}: ${JSON.stringify(e)}`)
  }
  assertError(await admin.post('/api/v1/divisions', { code: '12345', name: '坏代码' }), 422, 'validation_failed')
  assertError(await admin.patch(`/api/v1/orgs/${org.id}`, { division_code: '12345' }), 422, 'validation_failed')
  const g = await admin.get('/api/v1/divisions/12345')
  assert.ok([400, 404, 422].includes(g.status), show(g))
})

badTest('overlong text and out-of-range numbers → 422', async () => {
  assertError(await admin.post('/api/v1/orgs', { name: '长'.repeat(5000), kind: 'other', division_code: COUNTY }), 422, 'validation_failed')
  assertError(await admin.post('/api/v1/divisions', { code: '620390100973', name: '负人口', population: -5 }), 422, 'validation_failed')
  assertError(await admin.post('/api/v1/divisions', { code: '620390100973', name: '经度', center_lon: 500 }), 422, 'validation_failed')
  assertError(await admin.get('/api/v1/divisions/620390100973'), 404)
})

badTest('a body larger than 1 MiB → 413 body_too_large', async () => {
  const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 100), kind: 'other', division_code: COUNTY })
  assertError(await raw('POST', '/api/v1/orgs', big), 413, 'body_too_large')
  assertError(await raw('PATCH', `/api/v1/orgs/${org.id}`, JSON.stringify({ address: 'y'.repeat(2 * 1024 * 1024) })), 413, 'body_too_large')
  assertError(await raw('POST', '/api/v1/auth/login', JSON.stringify({ username: 'admin', password: 'p'.repeat(1100000) })), 413, 'body_too_large')
  // A large but acceptable body is parsed normally (and refused for its content only).
  const r = await raw('POST', '/api/v1/orgs', JSON.stringify({ name: 'x'.repeat(900 * 1024), kind: 'other', division_code: COUNTY }))
  assertError(r, 422, 'validation_failed')
  // The server is still fine afterwards.
  assert.equal((await req('GET', '/healthz')).status, 200)
})

badTest('bad query strings → 4xx, never 500', async () => {
  const cases = [
    ['/api/v1/orgs?nosuchfilter=1', [400, 422]],
    ['/api/v1/orgs?page=abc', [400, 422]],
    ['/api/v1/orgs?page=-3', [400, 422]],
    ['/api/v1/orgs?page_size=-1', [400, 422]],
    ['/api/v1/orgs?sort=password_hash', [400, 422]],
    ['/api/v1/users?sort=password_hash', [400, 422]],
    ['/api/v1/users?password_hash=x', [400, 422]],
    ['/api/v1/orgs?kind=pirates', [200, 400, 422]],
    ['/api/v1/orgs?division=12345', [400, 422]],
    ['/api/v1/orgs?parent_id=abc', [400, 422]],
    [`/api/v1/orgs?q=${encodeURIComponent("%' OR 1=1 --")}`, [200]],
    [`/api/v1/orgs?q=${encodeURIComponent('_')}`, [200]],
  ]
  for (const [path, want] of cases) {
    const r = await admin.get(path)
    assert.ok(want.includes(r.status), `${path}: ${show(r)}`)
    if (r.status >= 400) assertError(r, r.status)
  }
  // q with LIKE wildcards matches literally.
  assert.equal(await total(admin, `/api/v1/orgs?q=${encodeURIComponent('%')}`), 0)
  assert.equal(await total(admin, `/api/v1/orgs?q=${encodeURIComponent("%' OR 1=1 --")}`), 0)
})

badTest('bad CSV imports change nothing', async () => {
  const before = await snapshot()
  const cases = [
    'name,kind,division_code,colour\n单位甲,other,620390,red\n', // unknown column
    'name,kind,division_code\n"unterminated,other,620390\n', // broken quoting
    '', // empty
    'name,kind,division_code\n', // header only is fine or refused, but nothing is created
    `name,kind,division_code\n${uniq('好单位')},other,620390\n${uniq('坏单位')},pirates,620390\n`, // one bad row
  ]
  for (const csv of cases) {
    const r = await admin.post('/api/v1/orgs/import.csv', csv, { contentType: 'text/csv' })
    assert.ok(r.status < 500, show(r))
    if (csv.includes('pirates') || csv.includes('colour')) assertError(r, 422)
  }
  assert.deepEqual(await snapshot(), before)
})
