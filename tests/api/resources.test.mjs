// Resource registries (应急资源, SPEC C7): teams, team members, experts, equipment, heavy
// machinery, helipads, transport, shelters — demo counts, CRUD, q / filters, CSV export and
// all-or-nothing CSV import, GeoJSON export, jurisdiction (a town user sees and writes only
// its town), roles (viewers and team members read only), team member counts, and the shelter
// analysis against a direct computation on the database.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  show, assertError, as, parseCsv, listAll, total, dbExec, dbInt, uniq, COUNTY, TOWN1, TOWN2,
} from './lib.mjs'

const P = '/api/v1'
const enc = encodeURIComponent

// Each registry: the demo's size, a record to create (s = a unique suffix), a change, a
// filter whose every hit must match, and a CSV row that is bad.
const REGISTRIES = [
  {
    plural: 'teams', demo: 6, title: 'name',
    make: (s) => ({ name: `测试救援队${s}`, kind: 'social', specialties: '山地搜救、水上救援', lon: 102.21, lat: 38.45 }),
    patch: { readiness: 'deployed', live_status: '赶赴现场' },
    filter: ['kind', 'social'],
    csvHeader: 'name,kind,division_code', csvGood: (s) => `测试导入队${s},militia,${TOWN1}`, csvBad: (s) => `测试导入队${s},army,${TOWN1}`,
  },
  {
    plural: 'experts', demo: 277, title: 'name',
    make: (s) => ({ name: `测试专家${s}`, field: 'geology', title: '高级工程师', employer: '测试单位', lon: 102.22, lat: 38.46 }),
    patch: { availability: 'busy' },
    filter: ['field', 'medical'],
    csvHeader: '姓名,专业领域,所属区划', csvGood: (s) => `测试导入专家${s},医疗救护,${TOWN1}`, csvBad: (s) => `测试导入专家${s},占星,${TOWN1}`,
  },
  {
    plural: 'equipment', demo: 120, title: 'name',
    make: (s) => ({ name: `测试无人机${s}`, kind: 'drone', quantity: 2, unit: '架', lon: 102.23, lat: 38.47 }),
    patch: { state: 'maintenance', quantity: 3 },
    filter: ['state', 'normal'],
    csvHeader: 'name,kind,quantity,division_code', csvGood: (s) => `测试导入装备${s},power,4,${TOWN1}`, csvBad: (s) => `测试导入装备${s},power,4.5,${TOWN1}`,
  },
  {
    plural: 'machinery', demo: 40, title: 'name',
    make: (s) => ({ name: `测试挖掘机${s}`, kind: 'excavator', owner: `测试机主${s}`, owner_type: 'individual', lon: 102.24, lat: 38.48 }),
    patch: { state: 'deployed' },
    filter: ['kind', 'excavator'],
    csvHeader: 'name,kind,owner,division_code', csvGood: (s) => `测试导入装载机${s},loader,测试公司${s},${TOWN1}`, csvBad: (s) => `测试导入装载机${s},loader,,${TOWN1}`,
  },
  {
    plural: 'helipads', demo: 4, title: 'name',
    make: (s) => ({ name: `测试起降点${s}`, kind: 'temporary', size: '30×30 米', night_capable: true, lon: 102.25, lat: 38.49 }),
    patch: { state: 'maintenance' },
    filter: ['kind', 'permanent'],
    csvHeader: 'name,kind,division_code,lon,lat', csvGood: (s) => `测试导入起降点${s},rooftop,${TOWN1},102.3,38.4`, csvBad: (s) => `测试导入起降点${s},rooftop,${TOWN1},202.3,38.4`,
  },
  {
    plural: 'transport', demo: 20, title: 'owner',
    make: (s) => ({ owner: `测试运输户${s}`, vehicle_kind: 'cargo', vehicle_count: 2, capacity_tons: 30.5, lon: 102.26, lat: 38.5 }),
    patch: { state: 'deployed', vehicle_count: 3 },
    filter: ['vehicle_kind', 'bus'],
    csvHeader: 'owner,vehicle_kind,vehicle_count,division_code', csvGood: (s) => `测试导入运力${s},van,2,${TOWN1}`, csvBad: (s) => `测试导入运力${s},van,-2,${TOWN1}`,
  },
  {
    plural: 'shelters', demo: 27, title: 'name',
    make: (s) => ({ name: `测试避难场所${s}`, kind: 'outdoor', level: 'emergency', area_m2: 1200.5, capacity_people: 800, has_water: true, lon: 102.27, lat: 38.51 }),
    patch: { status: 'open', occupancy: 120 },
    filter: ['status', 'closed'],
    csvHeader: 'name,kind,area_m2,division_code', csvGood: (s) => `测试导入场所${s},室内,900,${TOWN1}`, csvBad: (s) => `测试导入场所${s},室内,,${TOWN1}`,
  },
]

let admin, duty, town1, town2, viewer, team
let town1Team // a team in town 1, for members

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  town1 = await as('town1')
  town2 = await as('town2')
  viewer = await as('viewer')
  team = await as('team')
  const r = await town1.post(`${P}/teams`, { name: uniq('镇测试队'), kind: 'social' })
  assert.equal(r.status, 201, show(r))
  town1Team = r.json
})

after(async () => {
  if (!town1Team) return
  for (const m of (await listAll(town1, `${P}/team_members?team_id=${town1Team.id}`)).items) await town1.del(`${P}/team_members/${m.id}`)
  await town1.del(`${P}/teams/${town1Team.id}`)
})

/** Rows of a registry inside a division prefix, counted on the database itself. */
function countSql(table, prefix) {
  return dbInt(`SELECT COUNT(*) FROM ${table} WHERE division_code LIKE '${prefix}%'`)
}

test('demo data: 6 teams with 334 members, 277 experts, 27 shelters, and the other registries', async () => {
  for (const reg of REGISTRIES) {
    const n = await total(admin, `${P}/${reg.plural}`)
    assert.ok(n >= reg.demo, `${reg.plural}: ${n} ≥ ${reg.demo}`)
    assert.equal(n, await countSql(reg.plural, COUNTY), `${reg.plural}: the list counts what the county holds`)
  }
  const teams = (await listAll(admin, `${P}/teams`)).items.filter((t) => !t.name.includes('测试'))
  assert.ok(teams.length >= 6)
  const kinds = new Set(teams.map((t) => t.kind))
  for (const k of ['fire', 'professional', 'enterprise', 'social', 'militia']) assert.ok(kinds.has(k), `a ${k} team`)
  const demoTeams = teams.filter((t) => t.name.startsWith('云岭县'))
  assert.equal(demoTeams.length, 6)
  assert.equal(demoTeams.reduce((a, t) => a + t.member_count, 0), 334, 'the seeds’ 334 rescue workers')
  for (const t of demoTeams) {
    assert.equal(t.member_count, await dbInt(`SELECT COUNT(*) FROM team_members WHERE team_id = ${t.id}`), t.name)
    assert.ok(t.lon >= 102 && t.lon <= 102.6 && t.lat >= 38.2 && t.lat <= 38.6, `${t.name} inside the county`)
  }
  // every located record of the demo lies inside the county's box
  for (const reg of REGISTRIES) {
    const out = await dbInt(`SELECT COUNT(*) FROM ${reg.plural} WHERE lon < 102 OR lon > 102.6 OR lat < 38.2 OR lat > 38.6`)
    assert.equal(out, 0, `${reg.plural} outside the county`)
  }
})

for (const reg of REGISTRIES) {
  test(`${reg.plural}: create, read, q, filter, change, delete`, async () => {
    const s = uniq('')
    const body = reg.make(s)
    const c = await duty.post(`${P}/${reg.plural}`, { ...body, division_code: TOWN1 })
    assert.equal(c.status, 201, show(c))
    const rec = c.json
    for (const [k, v] of Object.entries(body)) assert.deepEqual(rec[k], v, `${reg.plural}.${k}`)
    assert.equal(rec.division_code, TOWN1)

    const g = await admin.get(`${P}/${reg.plural}/${rec.id}`)
    assert.equal(g.status, 200, show(g))
    assert.equal(g.json[reg.title], body[reg.title])

    const q = await admin.get(`${P}/${reg.plural}?q=${enc(s)}`)
    assert.equal(q.status, 200, show(q))
    assert.deepEqual(q.json.items.map((x) => x.id), [rec.id], 'q finds exactly the new record')

    const [fk, fv] = reg.filter
    const f = await listAll(admin, `${P}/${reg.plural}?${fk}=${fv}`)
    assert.ok(f.total > 0, `demo records with ${fk}=${fv}`)
    for (const x of f.items) assert.equal(x[fk], fv)
    assert.equal(f.total, await dbInt(`SELECT COUNT(*) FROM ${reg.plural} WHERE ${fk} = '${fv}' AND division_code LIKE '${COUNTY}%'`))
    assertError(await admin.get(`${P}/${reg.plural}?colour=red`), [400, 422])

    const p = await duty.patch(`${P}/${reg.plural}/${rec.id}`, reg.patch)
    assert.equal(p.status, 200, show(p))
    for (const [k, v] of Object.entries(reg.patch)) assert.equal(p.json[k], v, `${reg.plural}.${k} changed`)

    const bad = await duty.patch(`${P}/${reg.plural}/${rec.id}`, { lon: 200 })
    assertError(bad, 422, 'validation_failed')

    const d = await duty.del(`${P}/${reg.plural}/${rec.id}`)
    assert.equal(d.status, 204, show(d))
    assertError(await admin.get(`${P}/${reg.plural}/${rec.id}`), 404, 'not_found')
  })

  test(`${reg.plural}: CSV export, and an import with a bad row changes nothing`, async () => {
    const ex = await admin.get(`${P}/${reg.plural}/export.csv`)
    assert.equal(ex.status, 200, show(ex))
    assert.match(ex.headers.get('content-type'), /text\/csv/)
    assert.equal(ex.text.charCodeAt(0), 0xfeff, 'UTF-8 BOM')
    const rows = parseCsv(ex.text).filter((r) => r.length > 1)
    assert.equal(rows[0][0], '编号')
    assert.ok(rows[0].includes('所属区划') && rows[0].includes('经度'), rows[0].join(','))
    assert.equal(rows.length - 1, await total(admin, `${P}/${reg.plural}`))

    const s = uniq('')
    const before = await total(admin, `${P}/${reg.plural}`)
    const csv = [reg.csvHeader, reg.csvGood(`${s}a`), reg.csvBad(`${s}b`), reg.csvGood(`${s}c`)].join('\r\n') + '\r\n'
    const r = await duty.req('POST', `${P}/${reg.plural}/import.csv`, { body: csv, contentType: 'text/csv' })
    const e = assertError(r, 422, 'import_failed')
    assert.ok(Array.isArray(e.rows) && e.rows.length === 1, show(r))
    assert.equal(e.rows[0].line, 3, 'the bad row’s line')
    assert.equal(await total(admin, `${P}/${reg.plural}`), before, 'nothing imported')

    const good = [reg.csvHeader, reg.csvGood(`${s}a`), reg.csvGood(`${s}c`)].join('\r\n') + '\r\n'
    const ok = await duty.req('POST', `${P}/${reg.plural}/import.csv`, { body: good, contentType: 'text/csv' })
    assert.equal(ok.status, 200, show(ok))
    assert.equal(ok.json.rows_imported, 2)
    const mine = await listAll(admin, `${P}/${reg.plural}?q=${enc(s)}`)
    assert.equal(mine.total, 2)
    for (const x of mine.items) {
      assert.equal(x.division_code, TOWN1)
      assert.equal((await duty.del(`${P}/${reg.plural}/${x.id}`)).status, 204)
    }
  })

  test(`${reg.plural}: GeoJSON export of the map layer`, async () => {
    const r = await admin.get(`${P}/${reg.plural}/export.geojson?division=${TOWN1}`)
    assert.equal(r.status, 200, show(r))
    const fc = JSON.parse(r.text)
    assert.equal(fc.type, 'FeatureCollection')
    assert.equal(fc.features.length, await total(admin, `${P}/${reg.plural}?division=${TOWN1}`))
    for (const ft of fc.features) {
      assert.ok(ft.properties.division_code.startsWith(TOWN1))
      if (ft.geometry) assert.equal(ft.geometry.type, 'Point')
    }
  })

  test(`${reg.plural}: a town user sees and writes only its town`, async () => {
    const all = await listAll(town1, `${P}/${reg.plural}`)
    for (const x of all.items) assert.ok(x.division_code.startsWith(TOWN1), `${x.id} ${x.division_code}`)
    assert.equal(all.total, await countSql(reg.plural, TOWN1))
    // a record of another town is not found for town 1
    const other = (await admin.get(`${P}/${reg.plural}?division=${TOWN2}&page_size=1`)).json.items[0] ||
      (await admin.get(`${P}/${reg.plural}?division=${COUNTY}&sort=-division_code&page_size=500`)).json.items.find((x) => !x.division_code.startsWith(TOWN1))
    assert.ok(other, 'a record outside town 1')
    assertError(await town1.get(`${P}/${reg.plural}/${other.id}`), 404, 'not_found')
    assertError(await town1.patch(`${P}/${reg.plural}/${other.id}`, reg.patch), 404, 'not_found')
    assertError(await town1.del(`${P}/${reg.plural}/${other.id}`), 404, 'not_found')
    // writing into the county is refused; without a division the record lands in the town
    assertError(await town1.post(`${P}/${reg.plural}`, { ...reg.make(uniq('')), division_code: COUNTY }), 403, 'outside_jurisdiction')
    const c = await town1.post(`${P}/${reg.plural}`, reg.make(uniq('')))
    assert.equal(c.status, 201, show(c))
    assert.equal(c.json.division_code, TOWN1)
    assertError(await town2.get(`${P}/${reg.plural}/${c.json.id}`), 404, 'not_found')
    assert.equal((await town1.del(`${P}/${reg.plural}/${c.json.id}`)).status, 204)
  })

  test(`${reg.plural}: viewers and team members read but do not write`, async () => {
    const some = (await viewer.get(`${P}/${reg.plural}?page_size=1`)).json.items[0]
    assert.ok(some)
    for (const c of [viewer, team]) {
      assert.equal((await c.get(`${P}/${reg.plural}/${some.id}`)).status, 200)
      assertError(await c.post(`${P}/${reg.plural}`, reg.make(uniq(''))), 403, 'forbidden')
      assertError(await c.patch(`${P}/${reg.plural}/${some.id}`, reg.patch), 403, 'forbidden')
      assertError(await c.del(`${P}/${reg.plural}/${some.id}`), 403, 'forbidden')
      assertError(await c.req('POST', `${P}/${reg.plural}/import.csv`, { body: `${reg.csvHeader}\r\n`, contentType: 'text/csv' }), 403, 'forbidden')
    }
  })
}

test('team members: the team’s member_count follows creates, moves, imports and deletes', async () => {
  const t = town1Team.id
  const count = async (id) => (await admin.get(`${P}/teams/${id}`)).json.member_count
  assert.equal(await count(t), 0)
  const m1 = await town1.post(`${P}/team_members`, { team_id: t, name: '测试队员甲', role: '队长', certificates: '红十字救护员证', cert_expiry: '2027-06-30' })
  assert.equal(m1.status, 201, show(m1))
  assert.equal(m1.json.division_code, TOWN1, 'the member takes the team’s division')
  const m2 = await town1.post(`${P}/team_members`, { team_id: t, name: '测试队员乙' })
  assert.equal(m2.status, 201, show(m2))
  assert.equal(await count(t), 2)
  assertError(await town1.post(`${P}/team_members`, { team_id: t, name: '测试队员丙', cert_expiry: '2027-02-30' }), 422, 'validation_failed')
  assertError(await town1.post(`${P}/team_members`, { team_id: t, name: '测试队员丙', division_code: TOWN1 }), 422, 'validation_failed')

  // a county team is out of town 1's reach
  const county = (await admin.get(`${P}/teams?division=${COUNTY}&sort=division_code&page_size=1`)).json.items[0]
  assert.equal(county.division_code, COUNTY)
  const out = await town1.post(`${P}/team_members`, { team_id: county.id, name: '测试队员丁' })
  const e = assertError(out, 422, 'validation_failed')
  assert.ok(e.fields && e.fields.team_id, show(out))
  assertError(await town1.patch(`${P}/team_members/${m2.json.id}`, { team_id: county.id }), 422, 'validation_failed')

  // moved by the county: both teams' counts change
  const before = await count(county.id)
  const mv = await duty.patch(`${P}/team_members/${m2.json.id}`, { team_id: county.id })
  assert.equal(mv.status, 200, show(mv))
  assert.equal(mv.json.division_code, COUNTY)
  assert.equal(await count(t), 1)
  assert.equal(await count(county.id), before + 1)
  assertError(await town1.get(`${P}/team_members/${m2.json.id}`), 404, 'not_found')
  assert.equal((await duty.del(`${P}/team_members/${m2.json.id}`)).status, 204)
  assert.equal(await count(county.id), before)

  // import: counted too; member_count cannot be written
  const csv = `所属队伍,姓名,队内职务\r\n${t},测试队员戊,队员\r\n${t},测试队员己,队员\r\n`
  const im = await town1.req('POST', `${P}/team_members/import.csv`, { body: csv, contentType: 'text/csv' })
  assert.equal(im.status, 200, show(im))
  assert.equal(await count(t), 3)
  assertError(await town1.patch(`${P}/teams/${t}`, { member_count: 99 }), 422, 'validation_failed')

  // a team with members is not deleted
  const del = await town1.del(`${P}/teams/${t}`)
  assertError(del, 409, 'has_members')
  const list = await listAll(town1, `${P}/team_members?team_id=${t}`)
  assert.equal(list.total, 3)
  for (const m of list.items) {
    assert.equal(m.team_id, t)
    assert.equal((await town1.del(`${P}/team_members/${m.id}`)).status, 204)
  }
  assert.equal(await count(t), 0)
})

test('teams: readiness changes stamp status_updated_at; the readiness filter', async () => {
  const r = await town1.patch(`${P}/teams/${town1Team.id}`, { readiness: 'training', live_status: '集中训练' })
  assert.equal(r.status, 200, show(r))
  assert.ok(r.json.status_updated_at >= town1Team.status_updated_at)
  const l = await listAll(town1, `${P}/teams?readiness=training`)
  assert.ok(l.items.some((x) => x.id === town1Team.id))
  assertError(await town1.patch(`${P}/teams/${town1Team.id}`, { readiness: 'asleep' }), 422, 'validation_failed')
})

test('shelters: occupancy rules (nobody in a closed shelter; open at capacity is full)', async () => {
  const c = await duty.post(`${P}/shelters`, { name: uniq('测试满员场所'), kind: 'indoor', area_m2: 300, capacity_people: 200, division_code: TOWN1 })
  assert.equal(c.status, 201, show(c))
  assert.equal(c.json.status, 'standby')
  assertError(await duty.patch(`${P}/shelters/${c.json.id}`, { occupancy: 10 }), 422, 'validation_failed')
  const full = await duty.patch(`${P}/shelters/${c.json.id}`, { status: 'open', occupancy: 200 })
  assert.equal(full.status, 200, show(full))
  assert.equal(full.json.status, 'full')
  assertError(await duty.patch(`${P}/shelters/${c.json.id}`, { status: 'closed' }), 422, 'validation_failed')
  assert.equal((await duty.del(`${P}/shelters/${c.json.id}`)).status, 204)
})

/** The analysis computed on the database: per child of parent, population and the area of
 *  the shelters that are not closed under it. */
async function direct(parent) {
  const r = await dbExec(
    `SELECT d.code, COALESCE(d.population, -1), (SELECT COALESCE(SUM(s.area_m2), 0) FROM shelters s ` +
      `WHERE s.division_code LIKE d.code || '%' AND s.status <> 'closed') FROM divisions d ` +
      `WHERE d.parent_code = '${parent}' ORDER BY d.code`,
  )
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [code, pop, area] = l.split('|')
    return { code, population: Number(pop), area: Number(area) }
  })
}

test('shelter analysis: per town against 1.5 ㎡ per person, equal to a direct computation', async () => {
  const r = await admin.get(`${P}/shelters/analysis`)
  assert.equal(r.status, 200, show(r))
  const a = r.json
  assert.equal(a.target_m2, 1.5)
  assert.equal(a.total.code, COUNTY)
  const want = await direct(COUNTY)
  assert.equal(a.items.length, want.length)
  assert.equal(a.items.length, 12)
  let met = 0
  for (const [i, w] of want.entries()) {
    const it = a.items[i]
    assert.equal(it.code, w.code)
    assert.equal(it.population, w.population)
    assert.ok(Math.abs(it.shelter_area_m2 - w.area) < 1e-6, `${it.name}: ${it.shelter_area_m2} vs ${w.area}`)
    assert.ok(Math.abs(it.per_capita_m2 - w.area / w.population) < 1e-9)
    assert.equal(it.meets_target, w.area >= 1.5 * w.population, it.name)
    assert.ok(Math.abs(it.shortfall_m2 - Math.max(0, 1.5 * w.population - w.area)) < 1e-6)
    if (it.meets_target) met++
  }
  assert.ok(met > 0 && met < 12, `some towns meet the target, some do not (${met})`)
  const area = want.reduce((s, w) => s + w.area, 0)
  assert.ok(Math.abs(a.total.shelter_area_m2 - area) < 1e-6)
  assert.equal(a.total.population, await dbInt(`SELECT population FROM divisions WHERE code = '${COUNTY}'`))

  // an added shelter moves its town's figure; a closed one does not
  const town = a.items.find((x) => x.code === TOWN1)
  const s = await duty.post(`${P}/shelters`, { name: uniq('测试分析场所'), kind: 'outdoor', area_m2: 5000, division_code: TOWN1 })
  assert.equal(s.status, 201, show(s))
  const again = (await admin.get(`${P}/shelters/analysis?parent=${COUNTY}`)).json.items.find((x) => x.code === TOWN1)
  assert.ok(Math.abs(again.shelter_area_m2 - town.shelter_area_m2 - 5000) < 1e-6)
  assert.equal((await duty.patch(`${P}/shelters/${s.json.id}`, { status: 'closed' })).status, 200)
  const closed = (await admin.get(`${P}/shelters/analysis`)).json.items.find((x) => x.code === TOWN1)
  assert.ok(Math.abs(closed.shelter_area_m2 - town.shelter_area_m2) < 1e-6)
  assert.equal((await duty.del(`${P}/shelters/${s.json.id}`)).status, 204)
})

test('shelter analysis: a town user gets its villages, and nothing outside its town', async () => {
  const r = await town1.get(`${P}/shelters/analysis`)
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.total.code, TOWN1)
  const want = await direct(TOWN1)
  assert.deepEqual(r.json.items.map((x) => x.code), want.map((w) => w.code))
  for (const [i, w] of want.entries()) assert.ok(Math.abs(r.json.items[i].shelter_area_m2 - w.area) < 1e-6)
  assertError(await town1.get(`${P}/shelters/analysis?parent=${COUNTY}`), 404, 'not_found')
  assertError(await town1.get(`${P}/shelters/analysis?parent=${TOWN2}`), 404, 'not_found')
  assertError(await admin.get(`${P}/shelters/analysis?parent=abc`), 422, 'validation_failed')
  assertError(await admin.get(`${P}/shelters/analysis?parent=620390999`), 404, 'not_found')
  const v = await viewer.get(`${P}/shelters/analysis?parent=${TOWN1}`)
  assert.equal(v.status, 200, show(v))
})

test('team members: CSV export; viewers and team members read but do not write', async () => {
  const ex = await admin.get(`${P}/team_members/export.csv?team_id=${town1Team.id}`)
  assert.equal(ex.status, 200, show(ex))
  const header = parseCsv(ex.text)[0]
  for (const l of ['所属队伍', '姓名', '持有证书', '证书有效期至', '所属区划']) assert.ok(header.includes(l), header.join(','))
  const all = await total(admin, `${P}/team_members`)
  assert.ok(all >= 334)
  assert.equal(all, await countSql('team_members', COUNTY))
  const some = (await viewer.get(`${P}/team_members?page_size=1`)).json.items[0]
  for (const c of [viewer, team]) {
    assert.equal((await c.get(`${P}/team_members/${some.id}`)).status, 200)
    assertError(await c.post(`${P}/team_members`, { team_id: town1Team.id, name: '测试' }), 403, 'forbidden')
    assertError(await c.patch(`${P}/team_members/${some.id}`, { role: '队员' }), 403, 'forbidden')
    assertError(await c.del(`${P}/team_members/${some.id}`), 403, 'forbidden')
    assertError(await c.del(`${P}/teams/${town1Team.id}`), 403, 'forbidden')
  }
  const t1 = await listAll(town1, `${P}/team_members`)
  for (const m of t1.items) assert.ok(m.division_code.startsWith(TOWN1))
  assert.equal(t1.total, await countSql('team_members', TOWN1))
  assert.ok(t1.total >= 62, 'the mine rescue team of 青石镇')
})

test('shelters: GeoJSON import is all-or-nothing, and its points land on the map layer', async () => {
  const s = uniq('')
  const feature = (name, lon, extra = {}) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, 38.41] },
    properties: { name, kind: 'outdoor', area_m2: 800, division_code: TOWN1, ...extra },
  })
  const bad = {
    type: 'FeatureCollection',
    features: [feature(`测试GeoJSON场所${s}a`, 102.31), feature(`测试GeoJSON场所${s}b`, 102.32, { status: 'gone' })],
  }
  const before = await total(admin, `${P}/shelters`)
  const r = await duty.req('POST', `${P}/shelters/import.geojson`, { body: JSON.stringify(bad), contentType: 'application/geo+json' })
  const e = assertError(r, 422, 'import_failed')
  assert.equal(e.rows.length, 1, show(r))
  assert.equal(e.rows[0].line, 2, 'the second feature')
  assert.equal(await total(admin, `${P}/shelters`), before)
  bad.features[1].properties.status = 'standby'
  const ok = await duty.req('POST', `${P}/shelters/import.geojson`, { body: JSON.stringify(bad), contentType: 'application/geo+json' })
  assert.equal(ok.status, 200, show(ok))
  assert.equal(ok.json.rows_imported, 2)
  const mine = await listAll(admin, `${P}/shelters?q=${enc(s)}&sort=name`)
  assert.deepEqual(mine.items.map((x) => x.lon), [102.31, 102.32])
  const near = await admin.get(`${P}/resources/nearby?lon=102.315&lat=38.41&radius=3000&kinds=shelters&limit=500`)
  assert.equal(near.status, 200, show(near))
  const found = near.json.items.filter((x) => x.kind === 'shelters').map((x) => String(x.id))
  for (const x of mine.items) assert.ok(found.includes(String(x.id)), `shelter ${x.id} is found near its point`)
  for (const x of mine.items) assert.equal((await duty.del(`${P}/shelters/${x.id}`)).status, 204)
})
