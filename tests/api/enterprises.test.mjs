// The enterprise registry (一企一码一档): CRUD, list filters, CSV, 统一社会信用代码 checks,
// hazard source grading, the demo enterprise account limited to its own enterprise, the
// QR code, the public page behind it (no login, nothing private) and token rotation.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { req, as, show, assertError, uniq, parseCsv, listAll, TOWN2 } from './lib.mjs'

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** GB 32100-2015: the first 17 characters plus their check character. */
function withCheck(first17) {
  let s = 0
  for (let i = 0; i < 17; i++) s += ALPHABET.indexOf(first17[i]) * WEIGHTS[i]
  return first17 + ALPHABET[(31 - (s % 31)) % 31]
}

function randomCode() {
  let b = '91620390'
  for (let i = 0; i < 9; i++) b += ALPHABET[Math.floor(Math.random() * ALPHABET.length)]
  return withCheck(b)
}

/** A wrong check character for a valid code. */
function badCheck(code) {
  const c = code[17]
  return code.slice(0, 17) + ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length]
}

let admin, inspector, ent, town2, viewer, own

before(async () => {
  admin = await as('admin')
  inspector = await as('inspector')
  ent = await as('enterprise')
  town2 = await as('town2')
  viewer = await as('viewer')
  own = (ent.user && ent.user.enterprise_id) || (await ent.get('/api/v1/enterprises')).json.items[0]?.id
})

function newEnterprise(extra = {}) {
  return {
    name: uniq('测试企业'),
    credit_code: randomCode(),
    industry: 'hazardous_chemicals',
    scale: 'small',
    risk_class: 'yellow',
    division_code: TOWN2,
    address: '云岭县河西镇建设路1号',
    lon: 102.2,
    lat: 38.4,
    legal_rep: '测试法人',
    safety_manager: '测试安全员',
    phone: '0935-6299999',
    employees: 50,
    notes: '内部备注：测试',
    licences: [{ name: '危险化学品经营许可证', number: '甘金危化经字〔2025〕999', expires: '2099-01-01' }],
    ...extra,
  }
}

test('the demo registry: 60 enterprises of 云岭县, hazard sources and people', async () => {
  const all = await listAll(admin, '/api/v1/enterprises')
  assert.ok(all.total >= 60, `enterprises: ${all.total}`)
  const industries = new Set(all.items.map((e) => e.industry))
  for (const i of ['non_coal_mine', 'coal_mine', 'hazardous_chemicals', 'fireworks', 'construction']) {
    assert.ok(industries.has(i), `an enterprise of ${i}`)
  }
  for (const e of all.items) {
    assert.ok(e.division_code.startsWith('620390'), e.division_code)
    assert.equal(e.credit_code, withCheck(e.credit_code.slice(0, 17)), `check char of ${e.credit_code}`)
    assert.equal(typeof e.qr_token, 'string')
    assert.equal(e.enterprise_id, e.id)
  }
  const hs = await listAll(admin, '/api/v1/hazard-sources')
  assert.ok(hs.total >= 20, `hazard sources: ${hs.total}`)
  const people = await listAll(admin, '/api/v1/enterprise-people')
  assert.ok(people.total >= 120, `people: ${people.total}`)
})

test('the demo enterprise account sees only its own enterprise', async () => {
  assert.ok(own, `the enterprise account is linked: ${JSON.stringify(ent.user)}`)
  const list = await ent.get('/api/v1/enterprises')
  assert.equal(list.status, 200, show(list))
  assert.equal(list.json.total, 1)
  assert.equal(list.json.items[0].id, own)
  assert.equal(list.json.items[0].name, '云岭县青石矿业有限公司')
  // any other enterprise is "not found", however it is reached
  const other = (await admin.get('/api/v1/enterprises?sort=-id&page_size=1')).json.items[0]
  assert.notEqual(other.id, own)
  for (const path of [`/api/v1/enterprises/${other.id}`, `/api/v1/enterprises/${other.id}/file`,
    `/api/v1/enterprises/${other.id}/qr.svg`]) {
    assertError(await ent.get(path), 404, 'not_found')
  }
  // its hazard sources and people only
  for (const plural of ['hazard-sources', 'enterprise-people']) {
    const mine = await listAll(ent, `/api/v1/${plural}`)
    assert.ok(mine.total >= 1, `${plural}: ${mine.total}`)
    assert.ok(mine.items.every((r) => r.enterprise_id === own), plural)
    const theirs = (await admin.get(`/api/v1/${plural}?enterprise_id=${other.id}`)).json.items
    if (theirs.length) assertError(await ent.get(`/api/v1/${plural}/${theirs[0].id}`), 404, 'not_found')
  }
  const csv = await ent.get('/api/v1/enterprises/export.csv')
  assert.equal(csv.status, 200, show(csv))
  assert.equal(parseCsv(csv.text).filter((r) => r.length > 1).length, 2, 'header + its own row')
  const file = await ent.get(`/api/v1/enterprises/${own}/file`)
  assert.equal(file.status, 200, show(file))
  assert.equal(file.json.enterprise.id, own)
  assert.ok(file.json.hazard_sources.length >= 1)
  assert.ok(file.json.people.length >= 2)
  // it declares its own hazard sources: whatever enterprise it names, the record is its own
  const h = await ent.post('/api/v1/hazard-sources', { enterprise_id: other.id, name: uniq('自报危险源'), level: 'IV' })
  assert.equal(h.status, 201, show(h))
  assert.equal(h.json.enterprise_id, own)
  assert.equal(h.json.division_code, file.json.enterprise.division_code)
  assert.equal((await ent.del(`/api/v1/hazard-sources/${h.json.id}`)).status, 204)
  // the registry itself is kept by the department
  assertError(await ent.post('/api/v1/enterprises', newEnterprise()), 403, 'forbidden')
  assertError(await ent.patch(`/api/v1/enterprises/${own}`, { risk_class: 'blue' }), 403, 'forbidden')
})

test('create, read, change, filter, search and delete an enterprise', async () => {
  const body = newEnterprise()
  const bad = await inspector.post('/api/v1/enterprises', { ...body, credit_code: badCheck(body.credit_code) })
  const e = assertError(bad, 422, 'validation_failed')
  assert.match(e.fields.credit_code, /校验位/)
  assertError(await inspector.post('/api/v1/enterprises', { ...body, credit_code: body.credit_code.slice(0, 17) }), 422)
  assertError(await inspector.post('/api/v1/enterprises', { ...body, qr_token: 'mine' }), 422)
  assertError(await inspector.post('/api/v1/enterprises', { ...body, lat: null, lon: 200 }), 422)
  assertError(await inspector.post('/api/v1/enterprises', { ...body, licences: [{ number: 'x' }] }), 422)
  assertError(await viewer.post('/api/v1/enterprises', body), 403, 'forbidden')

  const c = await inspector.post('/api/v1/enterprises', { ...body, credit_code: body.credit_code.toLowerCase() })
  assert.equal(c.status, 201, show(c))
  const id = c.json.id
  assert.equal(c.json.credit_code, body.credit_code)
  assert.equal(c.json.status, 'operating')
  assert.equal(c.json.enterprise_id, id)
  assert.match(c.json.qr_token, /^[A-Za-z0-9_-]{22}$/)
  assertError(await inspector.post('/api/v1/enterprises', { ...newEnterprise(), credit_code: body.credit_code }), 422)

  const g = await viewer.get(`/api/v1/enterprises/${id}`)
  assert.equal(g.status, 200, show(g))
  assert.equal(g.json.name, body.name)
  const p = await inspector.patch(`/api/v1/enterprises/${id}`, { risk_class: 'red', employees: 60 })
  assert.equal(p.status, 200, show(p))
  assert.equal(p.json.risk_class, 'red')
  assert.equal(p.json.qr_token, c.json.qr_token)

  const f = await admin.get(`/api/v1/enterprises?q=${encodeURIComponent(body.name)}&industry=hazardous_chemicals&risk_class=red`)
  assert.equal(f.status, 200, show(f))
  assert.equal(f.json.total, 1)
  assert.equal((await admin.get(`/api/v1/enterprises?q=${encodeURIComponent(body.name)}&risk_class=blue`)).json.total, 0)
  assert.equal((await admin.get(`/api/v1/enterprises?q=${body.credit_code}`)).json.total, 1)
  const sorted = (await admin.get('/api/v1/enterprises?sort=-employees&page_size=5')).json.items
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1].employees >= sorted[i].employees)
  assertError(await admin.get('/api/v1/enterprises?nonsense=1'), 422, 'unknown_filter')

  // the town duty officer of 河西镇 sees it; the demo enterprise of 青石镇 lies outside
  assert.equal((await town2.get(`/api/v1/enterprises/${id}`)).status, 200)
  assertError(await town2.get(`/api/v1/enterprises/${own}`), 404, 'not_found')
  const tl = await listAll(town2, '/api/v1/enterprises')
  assert.ok(tl.items.every((x) => x.division_code.startsWith(TOWN2)))

  // CSV: exported with Chinese headers, imported back unchanged
  const csv = await admin.get(`/api/v1/enterprises/export.csv?q=${encodeURIComponent(body.name)}`)
  assert.equal(csv.status, 200, show(csv))
  const rows = parseCsv(csv.text)
  assert.ok(rows[0].includes('统一社会信用代码'), rows[0].join(','))
  assert.ok(!rows[0].includes('二维码令牌'), 'the token stays out of spreadsheets')
  assert.equal(rows.filter((r) => r.length > 1).length, 2)
  const imp = await admin.req('POST', '/api/v1/enterprises/import.csv', { body: csv.text, contentType: 'text/csv' })
  assert.equal(imp.status, 200, show(imp))
  assert.equal(imp.json.rows_imported, 1)

  // hazard sources: graded from R (GB 18218-2018), located at the enterprise by default
  const h = await inspector.post('/api/v1/hazard-sources', { enterprise_id: id, name: '甲醇罐区', r_value: 60, substances: '甲醇', quantity_t: 3000 })
  assert.equal(h.status, 201, show(h))
  assert.equal(h.json.level, 'II')
  assert.equal(h.json.division_code, TOWN2)
  assert.equal(h.json.lon, 102.2)
  assertError(await inspector.post('/api/v1/hazard-sources', { enterprise_id: id, name: 'x', r_value: 5, level: 'I' }), 422)
  assertError(await inspector.post('/api/v1/hazard-sources', { enterprise_id: id, name: 'x' }), 422)
  assertError(await town2.post('/api/v1/hazard-sources', { enterprise_id: own, name: 'x', level: 'IV' }), [403, 422])
  const person = await inspector.post('/api/v1/enterprise-people', { enterprise_id: id, name: '测试负责人', duty: 'principal', phone: '13900001111', cert_expiry: '2027-01-01' })
  assert.equal(person.status, 201, show(person))
  assert.equal(person.json.division_code, TOWN2)

  // moving the enterprise moves its records
  const mv = await admin.patch(`/api/v1/enterprises/${id}`, { division_code: '620390100' })
  assert.equal(mv.status, 200, show(mv))
  assert.equal((await admin.get(`/api/v1/hazard-sources/${h.json.id}`)).json.division_code, '620390100')
  assertError(await town2.get(`/api/v1/hazard-sources/${h.json.id}`), 404, 'not_found')

  // deletion: refused while it has records, then allowed to administrators
  assertError(await inspector.del(`/api/v1/enterprises/${id}`), 403, 'forbidden')
  assertError(await admin.del(`/api/v1/enterprises/${id}`), 409, 'has_dependents')
  assert.equal((await admin.del(`/api/v1/hazard-sources/${h.json.id}`)).status, 204)
  assert.equal((await admin.del(`/api/v1/enterprise-people/${person.json.id}`)).status, 204)
  assert.equal((await admin.del(`/api/v1/enterprises/${id}`)).status, 204)
  assertError(await admin.get(`/api/v1/enterprises/${id}`), 404, 'not_found')
})

test('the QR code is an SVG of the public URL', async () => {
  const r = await viewer.get(`/api/v1/enterprises/${own}/qr.svg`)
  assert.equal(r.status, 200, show(r))
  assert.match(r.headers.get('content-type'), /^image\/svg\+xml/)
  assert.ok(r.text.startsWith('<?xml'), r.text.slice(0, 80))
  assert.ok(r.text.trimEnd().endsWith('</svg>'))
  const m = r.text.match(/viewBox="0 0 (\d+) \1".*data-qr-version="(\d+)" data-qr-modules="(\d+)"/)
  assert.ok(m, r.text.slice(0, 400))
  const [size, version, modules] = m.slice(1).map(Number)
  assert.equal(modules, 17 + 4 * version)
  assert.equal(size, modules + 8)
  const token = (await admin.get(`/api/v1/enterprises/${own}`)).json.qr_token
  const url = r.headers.get('x-qr-url')
  assert.ok(url.endsWith(`/m/e/${token}`), url)
  const withBase = await viewer.get(`/api/v1/enterprises/${own}/qr.svg?base=https://yj.example.gov.cn`)
  assert.equal(withBase.headers.get('x-qr-url'), `https://yj.example.gov.cn/m/e/${token}`)
  const evil = await viewer.get(`/api/v1/enterprises/${own}/qr.svg?base=${encodeURIComponent('javascript:alert(1)//')}`)
  assert.equal(evil.headers.get('x-qr-url'), url)
  assertError(await req('GET', `/api/v1/enterprises/${own}/qr.svg`), 401, 'unauthenticated')
})

test('the public page behind the code needs no login and shows nothing private', async () => {
  const file = (await admin.get(`/api/v1/enterprises/${own}/file`)).json
  const e = file.enterprise
  const r = await req('GET', `/api/v1/public/enterprises/${e.qr_token}`)
  assert.equal(r.status, 200, show(r))
  const p = r.json
  assert.equal(p.name, e.name)
  assert.equal(p.address, e.address)
  assert.equal(p.industry_label, '非煤矿山')
  assert.equal(p.risk_class, e.risk_class)
  assert.match(p.risk_colour, /^#[0-9A-F]{6}$/)
  assert.equal(p.safety_manager, e.safety_manager)
  assert.equal(p.phone, e.phone)
  assert.equal(p.major_hazard_sources, file.hazard_sources.length)
  assert.equal(p.licences.length, e.licences.length)
  for (const l of p.licences) assert.ok(['valid', 'expiring', 'expired', 'unknown'].includes(l.status))
  for (const k of ['id', 'qr_token', 'enterprise_id', 'notes', 'legal_rep', 'employees', 'lon', 'lat', 'people']) {
    assert.ok(!(k in p), `public summary has ${k}`)
  }
  for (const person of file.people) {
    if (person.phone) assert.ok(!r.text.includes(person.phone), `leaks ${person.phone}`)
  }
  if (e.notes) assert.ok(!r.text.includes(e.notes), 'leaks the internal notes')
  for (const l of e.licences) if (l.number) assert.ok(!r.text.includes(l.number), 'leaks a licence number')
  assertError(await req('GET', '/api/v1/public/enterprises/AAAAAAAAAAAAAAAAAAAAAA'), 404, 'not_found')
  assertError(await req('GET', '/api/v1/public/enterprises/x'), 404, 'not_found')
})

test('rotating the QR token makes the old code stop working', async () => {
  const c = await admin.post('/api/v1/enterprises', newEnterprise())
  assert.equal(c.status, 201, show(c))
  const id = c.json.id
  const old = c.json.qr_token
  assert.equal((await req('GET', `/api/v1/public/enterprises/${old}`)).status, 200)
  assertError(await inspector.post(`/api/v1/enterprises/${id}/qr/rotate`), 403, 'forbidden')
  assertError(await admin.post(`/api/v1/enterprises/${id}/qr/rotate`, { token: 'x' }), 422, 'validation_failed')
  assertError(await admin.post('/api/v1/enterprises/99999999/qr/rotate'), 404, 'not_found')
  const r = await admin.post(`/api/v1/enterprises/${id}/qr/rotate`)
  assert.equal(r.status, 200, show(r))
  assert.notEqual(r.json.qr_token, old)
  assert.equal(r.json.public_path, `/m/e/${r.json.qr_token}`)
  assertError(await req('GET', `/api/v1/public/enterprises/${old}`), 404, 'not_found')
  const pub = await req('GET', `/api/v1/public/enterprises/${r.json.qr_token}`)
  assert.equal(pub.status, 200, show(pub))
  const svg = await admin.get(`/api/v1/enterprises/${id}/qr.svg`)
  assert.ok(svg.headers.get('x-qr-url').endsWith(r.json.qr_token))
  // the change is in the audit trail
  const audit = await admin.get(`/api/v1/audit?entity=enterprises&record_id=${id}`)
  assert.equal(audit.status, 200, show(audit))
  assert.ok(audit.json.items.filter((a) => a.action === 'update').length >= 1, show(audit))
  assert.equal((await admin.del(`/api/v1/enterprises/${id}`)).status, 204)
})
