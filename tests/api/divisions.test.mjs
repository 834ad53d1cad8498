// Divisions (行政区划): list, filters, q, paging, sort, one record, GeoJSON, stats, CSV export and
// all-or-nothing CSV import, writes by administrators only.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import {
  show, assertError, as, parseCsv, levelCounts, listAll, total, dbInt, COUNTY, COUNTY_NAME, CITY, TOWN1, TOWN2, OTHER_COUNTY,
} from './lib.mjs'

const TOWNS = 12
const VILLAGES = 165

let admin, city, duty

before(async () => {
  admin = await as('admin')
  city = await as('city')
  duty = await as('duty')
})

test('the national tree is loaded (≥ 3,300 divisions in the store)', async () => {
  const n = await dbInt('SELECT COUNT(*) FROM divisions')
  assert.ok(n >= 3300, `divisions in the store: ${n}`)
  assert.ok(await dbInt("SELECT COUNT(*) FROM divisions WHERE level = 'province'") >= 31)
})

test('the county administrator lists exactly the county: 1 county + 12 towns + 165 villages', async () => {
  const r = await admin.get('/api/v1/divisions')
  assert.equal(r.status, 200, show(r))
  const b = r.json
  assert.ok(Array.isArray(b.items))
  assert.equal(b.total, 1 + TOWNS + VILLAGES)
  assert.equal(b.page, 1)
  assert.equal(b.page_size, 20)
  assert.equal(b.items.length, 20)
  for (const d of b.items) assert.ok(d.code.startsWith(COUNTY), `inside the county: ${d.code}`)
})

test('the city administrator sees the whole city, as many as the store holds', async () => {
  const inStore = await dbInt(`SELECT COUNT(*) FROM divisions WHERE code LIKE '${CITY}%'`)
  const n = await total(city, '/api/v1/divisions')
  assert.equal(n, inStore)
  assert.ok(n > 1 + TOWNS + VILLAGES, 'more than the demo county')
  const other = await city.get(`/api/v1/divisions/${OTHER_COUNTY}`)
  assert.equal(other.status, 200, show(other))
  assert.equal(other.json.level, 'county')
})

test('one division: fields and derived level / parent', async () => {
  const r = await admin.get(`/api/v1/divisions/${COUNTY}`)
  assert.equal(r.status, 200, show(r))
  const d = r.json
  assert.equal(d.code, COUNTY)
  assert.equal(d.name, COUNTY_NAME)
  assert.equal(d.level, 'county')
  assert.equal(d.parent_code, CITY)
  const t = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json
  assert.equal(t.level, 'town')
  assert.equal(t.parent_code, COUNTY)
  assert.ok(t.geometry && ['Polygon', 'MultiPolygon'].includes(t.geometry.type), 'a town has a boundary')
  assert.equal(typeof t.population, 'number')
  assert.equal(typeof t.center_lon, 'number')
  assert.equal(typeof t.center_lat, 'number')
  assert.ok(t.center_lon > 73 && t.center_lon < 136 && t.center_lat > 3 && t.center_lat < 54, 'inside China')
  assertError(await admin.get('/api/v1/divisions/620390999'), 404, 'not_found')
})

test('filters: level, parent_code, division prefix', async () => {
  const towns = await listAll(admin, '/api/v1/divisions?level=town')
  assert.equal(towns.total, TOWNS)
  for (const d of towns.items) {
    assert.equal(d.level, 'town')
    assert.match(d.code, /^620390\d{3}$/)
    assert.equal(d.parent_code, COUNTY)
  }
  const codes = towns.items.map((d) => d.code)
  assert.ok(codes.includes(TOWN1) && codes.includes(TOWN2))

  assert.equal(await total(admin, `/api/v1/divisions?parent_code=${COUNTY}`), TOWNS)
  assert.equal(await total(admin, '/api/v1/divisions?level=village'), VILLAGES)

  const v1 = await listAll(admin, `/api/v1/divisions?parent_code=${TOWN1}&level=village`)
  assert.ok(v1.total > 0)
  for (const d of v1.items) {
    assert.match(d.code, /^620390100\d{3}$/)
    assert.equal(d.parent_code, TOWN1)
    assert.equal(d.level, 'village')
  }
  assert.equal(await total(admin, `/api/v1/divisions?parent_code=${TOWN1}`), v1.total)
  // An unknown filter is refused rather than ignored.
  const bad = await admin.get('/api/v1/divisions?colour=red')
  assert.ok([400, 422].includes(bad.status), show(bad))
  assert.ok(bad.json && bad.json.error)
})

test('filter division= is a code prefix', async () => {
  const villages = await total(admin, `/api/v1/divisions?parent_code=${TOWN1}`)
  const r = await listAll(admin, `/api/v1/divisions?division=${TOWN1}`)
  assert.equal(r.total, villages + 1, 'the town and its villages')
  for (const d of r.items) assert.ok(d.code.startsWith(TOWN1), d.code)
  assert.equal(await total(admin, `/api/v1/divisions?division=${TOWN1}&level=village`), villages)
  assert.equal(await total(admin, `/api/v1/divisions?division=${COUNTY}`), 1 + TOWNS + VILLAGES)
  assert.equal(await total(admin, `/api/v1/divisions?division=${OTHER_COUNTY}`), 0, 'outside: nothing')
})

test('q finds Chinese names (1 and 2 characters too)', async () => {
  const r = await admin.get(`/api/v1/divisions?q=${encodeURIComponent('云岭')}`)
  assert.equal(r.status, 200, show(r))
  assert.ok(r.json.items.some((d) => d.code === COUNTY), 'finds 云岭县')
  const t1 = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json
  const byName = await admin.get(`/api/v1/divisions?q=${encodeURIComponent(t1.name)}`)
  assert.ok(byName.json.items.some((d) => d.code === TOWN1), `finds ${t1.name}`)
  const one = t1.name.slice(0, 1)
  const r1 = await admin.get(`/api/v1/divisions?q=${encodeURIComponent(one)}&page_size=500`)
  assert.ok(r1.json.items.some((d) => d.code === TOWN1), `one character "${one}" finds ${t1.name}`)
  for (const d of r1.json.items) assert.ok(d.code.startsWith(COUNTY), 'q stays inside the jurisdiction')
  assert.equal(await total(admin, `/api/v1/divisions?q=${encodeURIComponent('不存在的地名')}`), 0)
})

test('paging and sort', async () => {
  const p1 = await admin.get('/api/v1/divisions?sort=-code&page=1&page_size=10')
  const p2 = await admin.get('/api/v1/divisions?sort=-code&page=2&page_size=5')
  assert.equal(p1.status, 200, show(p1))
  assert.equal(p2.status, 200, show(p2))
  assert.equal(p2.json.page, 2)
  assert.equal(p2.json.page_size, 5)
  assert.equal(p2.json.items.length, 5)
  assert.deepEqual(p2.json.items.map((d) => d.code), p1.json.items.slice(5, 10).map((d) => d.code))
  const codes = p1.json.items.map((d) => d.code)
  assert.deepEqual(codes, [...codes].sort().reverse(), 'descending by code')
  const asc = (await admin.get('/api/v1/divisions?sort=code&page_size=3')).json.items.map((d) => d.code)
  assert.equal(asc[0], COUNTY, 'ascending: the county comes first')
  const last = await admin.get(`/api/v1/divisions?page=${Math.ceil(178 / 50) + 1}&page_size=50`)
  assert.equal(last.status, 200)
  assert.equal(last.json.items.length, 0, 'past the last page: empty')
  const badSort = await admin.get('/api/v1/divisions?sort=nonsense')
  assert.ok([400, 422].includes(badSort.status), show(badSort))
  const badPage = await admin.get('/api/v1/divisions?page=-1')
  assert.ok([400, 422].includes(badPage.status), show(badPage))
  const big = await admin.get('/api/v1/divisions?page_size=100000')
  assert.equal(big.status, 200)
  assert.ok(big.json.items.length <= 500, 'page size is capped')
})

test('GeoJSON: the 12 towns of the county as polygons', async () => {
  const r = await admin.get(`/api/v1/divisions/geojson?parent=${COUNTY}`)
  assert.equal(r.status, 200, show(r))
  const fc = r.json
  assert.equal(fc.type, 'FeatureCollection')
  assert.equal(fc.features.length, TOWNS)
  for (const f of fc.features) {
    assert.equal(f.type, 'Feature')
    assert.equal(f.geometry.type, 'Polygon')
    assert.ok(Array.isArray(f.geometry.coordinates[0]) && f.geometry.coordinates[0].length >= 4)
    const [lon, lat] = f.geometry.coordinates[0][0]
    assert.ok(lon > 73 && lon < 136 && lat > 3 && lat < 54, 'WGS-84 lon/lat in China')
    const p = f.properties
    assert.match(p.code, /^620390\d{3}$/)
    assert.equal(typeof p.name, 'string')
    assert.equal(p.level, 'town')
    assert.equal(typeof p.population, 'number')
  }
  const villages = await admin.get(`/api/v1/divisions/geojson?parent=${TOWN1}`)
  assert.equal(villages.status, 200)
  assert.equal(villages.json.features.length, await total(admin, `/api/v1/divisions?parent_code=${TOWN1}`))
  for (const f of villages.json.features) assert.equal(f.properties.level, 'village')
})

test('GeoJSON without parent: the top of the jurisdiction; outside parents leak nothing', async () => {
  const top = await admin.get('/api/v1/divisions/geojson')
  assert.equal(top.status, 200, show(top))
  assert.equal(top.json.type, 'FeatureCollection')
  assert.ok(top.json.features.length >= 1)
  for (const f of top.json.features) assert.ok(f.properties.code.startsWith(COUNTY), f.properties.code)
  const out = await admin.get(`/api/v1/divisions/geojson?parent=${OTHER_COUNTY}`)
  if (out.status === 200) assert.equal(out.json.features.length, 0, 'no features outside the jurisdiction')
  else assertError(out, [403, 404])
})

test('stats: counts per level inside the jurisdiction', async () => {
  const r = await admin.get('/api/v1/divisions/stats')
  assert.equal(r.status, 200, show(r))
  const c = levelCounts(r.json)
  assert.equal(c.town, TOWNS, JSON.stringify(r.json))
  assert.equal(c.village, VILLAGES, JSON.stringify(r.json))
  assert.equal(c.county, 1, JSON.stringify(r.json))
  assert.equal(c.province, 0, JSON.stringify(r.json))
  const rc = await city.get('/api/v1/divisions/stats')
  assert.equal(rc.status, 200, show(rc))
  const cc = levelCounts(rc.json)
  assert.ok(cc.county >= 2, 'the city sees its counties')
  assert.equal(cc.village, VILLAGES)
})

test('CSV export: UTF-8 BOM, Chinese header, the rows of the list', async () => {
  const r = await admin.get(`/api/v1/divisions/export.csv?parent_code=${TOWN1}`)
  assert.equal(r.status, 200, show(r))
  assert.match(r.headers.get('content-type') || '', /^text\/csv/)
  assert.equal(r.text.charCodeAt(0), 0xfeff, 'starts with a BOM')
  const rows = parseCsv(r.text).filter((row) => row.length > 1 || row[0] !== '')
  const header = rows[0]
  assert.ok(header.some((h) => /[\u4e00-\u9fff]/.test(h)), `Chinese header: ${header}`)
  assert.ok(header.includes('名称'), `header has 名称: ${header}`)
  const n = await total(admin, `/api/v1/divisions?parent_code=${TOWN1}`)
  assert.equal(rows.length - 1, n, 'one line per record')
  const codes = rows.slice(1).map((row) => row[0])
  for (const c of codes) assert.match(c, /^620390100\d{3}$/)
  // The county administrator's full export holds nothing outside the county.
  const all = parseCsv((await admin.get('/api/v1/divisions/export.csv')).text).slice(1).filter((row) => row[0])
  assert.equal(all.length, 1 + TOWNS + VILLAGES)
  for (const row of all) assert.ok(row[0].startsWith(COUNTY), row[0])
})

test('CSV import is all-or-nothing; bad rows are listed by line', async () => {
  const a = '620390100990'
  const b = '620390100991'
  const before = await total(admin, '/api/v1/divisions')
  const bad = ['code,name,population', `${a},导入测试村甲,120`, `${b},导入测试村乙,80`, '12345,坏代码,1', `620390100992,坏人口,many`].join('\n') + '\n'
  const r = await admin.post('/api/v1/divisions/import.csv', bad, { contentType: 'text/csv' })
  const e = assertError(r, 422)
  assert.ok(Array.isArray(e.rows), `error.rows: ${show(r)}`)
  assert.equal(e.rows.length, 2, `both bad rows reported: ${JSON.stringify(e.rows)}`)
  const lines = e.rows.map((x) => x.line).sort()
  assert.deepEqual(lines, [4, 5], `line numbers of the bad rows (header = line 1): ${JSON.stringify(e.rows)}`)
  assertError(await admin.get(`/api/v1/divisions/${a}`), 404, 'not_found')
  assertError(await admin.get(`/api/v1/divisions/${b}`), 404, 'not_found')
  assert.equal(await total(admin, '/api/v1/divisions'), before, 'nothing imported')

  const good = '\uFEFF' + ['code,name,population', `${a},导入测试村甲,120`, `${b},导入测试村乙,80`].join('\r\n') + '\r\n'
  const g = await admin.post('/api/v1/divisions/import.csv', good, { contentType: 'text/csv' })
  assert.equal(g.status, 200, show(g))
  assert.equal(g.json.rows_total, 2, show(g))
  assert.equal(g.json.rows_imported, 2, show(g))
  const ra = (await admin.get(`/api/v1/divisions/${a}`)).json
  assert.equal(ra.name, '导入测试村甲')
  assert.equal(ra.level, 'village')
  assert.equal(ra.parent_code, TOWN1)
  assert.equal(ra.population, 120)
  assert.equal(await total(admin, '/api/v1/divisions'), before + 2)
  for (const c of [a, b]) assert.ok((await admin.del(`/api/v1/divisions/${c}`)).status < 300)
  assert.equal(await total(admin, '/api/v1/divisions'), before)
})

test('CSV import refuses rows outside the jurisdiction', async () => {
  const csv = ['code,name', '620390100993,界内村', `${OTHER_COUNTY}100994,界外村`].join('\n') + '\n'
  const r = await admin.post('/api/v1/divisions/import.csv', csv, { contentType: 'text/csv' })
  assert.ok([403, 422].includes(r.status), show(r))
  assertError(await admin.get('/api/v1/divisions/620390100993'), 404, 'not_found')
  assertError(await city.get(`/api/v1/divisions/${OTHER_COUNTY}100994`), 404, 'not_found')
})

test('an exported file re-imports unchanged', async () => {
  const before = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json
  const exp = await admin.get(`/api/v1/divisions/export.csv?parent_code=${COUNTY}`)
  assert.equal(exp.status, 200, show(exp))
  const r = await admin.post('/api/v1/divisions/import.csv', exp.text, { contentType: 'text/csv' })
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.rows_total, TOWNS)
  const after = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json
  for (const k of ['code', 'name', 'level', 'parent_code', 'population', 'households', 'area_km2', 'center_lon', 'center_lat']) {
    assert.deepEqual(after[k], before[k], `${k} unchanged by the round trip`)
  }
  assert.deepEqual(after.geometry, before.geometry, 'geometry unchanged by the round trip')
})

test('administrators create, change and delete a division; code and parent are derived', async () => {
  const code = '620390100980'
  const r = await admin.post('/api/v1/divisions', { code, name: '测试新村', population: 10 })
  assert.equal(r.status, 201, show(r))
  assert.equal(r.json.code, code)
  assert.equal(r.json.level, 'village')
  assert.equal(r.json.parent_code, TOWN1)
  const dup = await admin.post('/api/v1/divisions', { code, name: '重复' })
  assert.ok([409, 422].includes(dup.status), show(dup))
  const p = await admin.patch(`/api/v1/divisions/${code}`, { population: 20, name: '测试新村二' })
  assert.equal(p.status, 200, show(p))
  assert.equal(p.json.population, 20)
  const g = (await admin.get(`/api/v1/divisions/${code}`)).json
  assert.equal(g.population, 20)
  assert.equal(g.name, '测试新村二')
  assertError(await admin.patch(`/api/v1/divisions/${code}`, { level: 'city' }), 422, 'validation_failed')
  assertError(await admin.patch(`/api/v1/divisions/${code}`, { code: '620390100981' }), 422, 'validation_failed')
  const d = await admin.del(`/api/v1/divisions/${code}`)
  assert.ok(d.status === 204 || d.status === 200, show(d))
  assertError(await admin.get(`/api/v1/divisions/${code}`), 404, 'not_found')
  assertError(await admin.del(`/api/v1/divisions/${code}`), 404, 'not_found')
})

test('a division that still has children cannot be deleted', async () => {
  const town = '620390197'
  const village = `${town}001`
  assert.equal((await admin.post('/api/v1/divisions', { code: town, name: '临时测试镇' })).status, 201)
  assert.equal((await admin.post('/api/v1/divisions', { code: village, name: '临时测试村' })).status, 201)
  try {
    const d = await admin.del(`/api/v1/divisions/${town}`)
    assertError(d, [409, 422])
    assert.equal((await admin.get(`/api/v1/divisions/${town}`)).status, 200, 'the town is still there')
    assert.equal((await admin.get(`/api/v1/divisions/${village}`)).json.parent_code, town)
    // A village whose town does not exist cannot be created either.
    assertError(await admin.post('/api/v1/divisions', { code: '620390196001', name: '孤村' }), 422, 'validation_failed')
  } finally {
    await admin.del(`/api/v1/divisions/${village}`)
    await admin.del(`/api/v1/divisions/${town}`)
  }
  assertError(await admin.get(`/api/v1/divisions/${town}`), 404, 'not_found')
})

test('only administrators write divisions', async () => {
  const before = (await admin.get(`/api/v1/divisions/${TOWN1}`)).json
  assertError(await duty.post('/api/v1/divisions', { code: '620390100982', name: '无权' }), 403, 'forbidden')
  assertError(await duty.patch(`/api/v1/divisions/${TOWN1}`, { population: 1 }), 403, 'forbidden')
  assertError(await duty.del(`/api/v1/divisions/${TOWN1}`), 403, 'forbidden')
  assertError(await duty.post('/api/v1/divisions/import.csv', 'code,name\n620390100983,x\n', { contentType: 'text/csv' }), 403, 'forbidden')
  assertError(await admin.get('/api/v1/divisions/620390100982'), 404)
  assert.deepEqual((await admin.get(`/api/v1/divisions/${TOWN1}`)).json, before, 'unchanged')
  // Everyone reads.
  assert.equal((await duty.get('/api/v1/divisions')).status, 200)
})
