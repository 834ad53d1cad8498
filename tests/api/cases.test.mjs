// The case library (案例库, SPEC C11): the demo cases, CRUD with the grade derived from the
// figures, ?q= with Chinese terms over title, summary, cause, lessons and measures (substring
// today, full-text once it lands: the checks hold for both), the CSV import of accident
// investigation reports (all-or-nothing), roles and jurisdiction.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { show, assertError, as, listAll, total, uniq, COUNTY, TOWN1, OTHER_COUNTY } from './lib.mjs'

const P = '/api/v1/cases'
const enc = encodeURIComponent

let admin, commander, duty, viewer, info, city
const cleanup = []

before(async () => {
  admin = await as('admin')
  commander = await as('commander')
  duty = await as('duty')
  viewer = await as('viewer')
  info = await as('info')
  city = await as('city')
})

after(async () => {
  for (const [c, path] of cleanup.reverse()) await c.del(path)
})

test('the demo library: thirty cases with cause, lessons and measures', async () => {
  const { items } = await listAll(viewer, P)
  assert.ok(items.length >= 30, `cases: ${items.length}`)
  for (const c of items.filter((x) => x.source !== 'incident' || !x.incident_id)) {
    assert.ok(c.cause && c.lessons && c.measures, `${c.title} has cause, lessons, measures`)
  }
  assert.ok(items.every((c) => c.lessons === null || c.lessons.includes('四不放过')))
  for (const g of ['larger', 'general']) assert.ok(items.some((c) => c.grade === g), g)
  for (const s of ['incident', 'import', 'report']) assert.ok(items.some((c) => c.source === s), s)
  // newest first by default
  for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].occurred_at >= items[i].occurred_at)
})

test('?q= finds cases by Chinese terms in any text', async () => {
  const flood = (await listAll(viewer, `${P}?q=${enc('透水')}`)).items
  assert.ok(flood.some((c) => c.title.includes('透水事故')), flood.map((c) => c.title).join(','))
  const chem = (await listAll(viewer, `${P}?q=${enc('危险化学品')}`)).items
  assert.ok(chem.some((c) => c.title.includes('宏泰化工')))
  const text = (c) => [c.title, c.summary, c.cause, c.lessons, c.measures, c.evaluation, c.source_ref].join('')
  assert.ok(chem.every((c) => text(c).includes('危险化学品')))
  const rain = (await listAll(viewer, `${P}?q=${enc('暴雨')}`)).items
  assert.ok(rain.some((c) => c.event_type === '11A51'))
  assert.equal(await total(viewer, `${P}?q=${enc('不存在的词语组合')}`), 0)
  const g = (await listAll(viewer, `${P}?grade=larger`)).items
  assert.ok(g.length > 0 && g.every((c) => c.grade === 'larger'))
})

test('CRUD: grade derived from the figures, event type checked, roles', async () => {
  const s = uniq()
  const body = {
    title: `测试中毒窒息事故${s}`,
    occurred_at: '2025-03-02T08:00:00Z',
    division_code: TOWN1,
    event_type: '12D04',
    deaths: 10,
    injuries: 2,
    direct_loss_wan: 300.5,
    summary: '有限空间作业中毒',
    cause: '未检测先作业',
    lessons: '四不放过：有限空间作业管理缺失',
    measures: '开展有限空间专项整治',
  }
  const r = await commander.post(P, body)
  assert.equal(r.status, 201, show(r))
  cleanup.push([admin, `${P}/${r.json.id}`])
  assert.equal(r.json.grade, 'major', '10 deaths is 重大 (以上 includes the number)')
  assert.equal(r.json.source, 'report')
  assert.equal(r.json.incident_id, null)
  const u = await commander.patch(`${P}/${r.json.id}`, { grade: 'larger' })
  assert.equal(u.json.grade, 'larger')
  assertError(await commander.post(P, { ...body, event_type: '12d04' }), 422, 'validation_failed')
  assertError(await commander.post(P, { ...body, incident_id: 5 }), 422, 'validation_failed')
  assertError(await duty.post(P, body), 403, 'forbidden')
  assertError(await viewer.patch(`${P}/${r.json.id}`, { title: 'x' }), 403, 'forbidden')
  assert.equal((await info.get(`${P}/${r.json.id}`)).status, 200)
})

test('CSV import of accident reports: all-or-nothing, Chinese headers', async () => {
  const s = uniq()
  const header = '案例名称,发生时间,发生区划,事件类型代码,死亡人数,重伤人数,直接经济损失（万元）,原因分析,教训（四不放过）,整改措施,来源文号'
  const good = [
    `导入案例甲${s},2020-05-01T00:00:00Z,${COUNTY},12B02,3,0,500,探放水不落实,四不放过：防治水制度形同虚设,专项整治,调查报告${s}-1`,
    `导入案例乙${s},2020-06-01T00:00:00Z,${TOWN1},12H01,0,2,12.5,超速,四不放过：源头管理缺失,两站两员,调查报告${s}-2`,
  ]
  const bad = `导入案例丙${s},不是时间,${COUNTY},12H01,0,0,0,x,y,z,w`
  const refused = await admin.req('POST', `${P}/import.csv`, { body: [header, ...good, bad].join('\n'), contentType: 'text/csv' })
  const e = assertError(refused, 422, 'import_failed')
  assert.ok(e.rows.some((x) => x.line === 4), show(refused))
  assert.equal(await total(admin, `${P}?q=${enc(s)}`), 0, 'nothing imported')
  const ok = await admin.req('POST', `${P}/import.csv`, { body: [header, ...good].join('\n'), contentType: 'text/csv' })
  assert.equal(ok.status, 200, show(ok))
  assert.equal(ok.json.rows_imported, 2)
  const rows = (await listAll(admin, `${P}?q=${enc(s)}`)).items
  assert.equal(rows.length, 2)
  for (const c of rows) cleanup.push([admin, `${P}/${c.id}`])
  const a = rows.find((c) => c.title.startsWith('导入案例甲'))
  assert.equal(a.grade, 'larger')
  assert.equal(a.source, 'report')
  const csv = await viewer.get(`${P}/export.csv?q=${enc(s)}`)
  assert.equal(csv.status, 200, show(csv))
  assert.ok(csv.text.includes('教训（四不放过）'))
})

test('jurisdiction: another county\'s case is not found; a town sees its own', async () => {
  const r = await city.post(P, { title: `外县案例${uniq()}`, occurred_at: '2024-01-01T00:00:00Z', division_code: OTHER_COUNTY })
  assert.equal(r.status, 201, show(r))
  cleanup.push([city, `${P}/${r.json.id}`])
  assertError(await admin.get(`${P}/${r.json.id}`), 404, 'not_found')
  assertError(await admin.patch(`${P}/${r.json.id}`, { title: 'x' }), 404, 'not_found')
  assertError(await admin.del(`${P}/${r.json.id}`), 404, 'not_found')
  assertError(await commander.post(P, { title: 'x', occurred_at: '2024-01-01T00:00:00Z', division_code: OTHER_COUNTY }), [403, 422])
  const mine = (await listAll(info, P)).items
  assert.ok(mine.length > 0 && mine.every((c) => c.division_code.startsWith(TOWN1)))
})

test('related cases: exact event type first, then class, then category; by grade', async () => {
  const r = await viewer.get(`${P}/related?event_type=12D03&limit=100`)
  assert.equal(r.status, 200, show(r))
  const items = r.json.items
  assert.ok(items.length >= 4, show(r))
  assert.equal(items[0].event_type, '12D03')
  assert.equal(items[0].match, 'exact')
  const rank = { exact: 0, class: 1, category: 2 }
  for (let i = 1; i < items.length; i++) assert.ok(rank[items[i - 1].match] <= rank[items[i].match])
  assert.ok(items.some((c) => c.match === 'class' && c.event_type.startsWith('12D')))
  assert.ok(items.every((c) => c.event_type.startsWith('12')))
  const town = await info.get(`${P}/related?event_type=12B02`)
  assert.equal(town.status, 200, show(town))
  assert.ok(town.json.items.length > 0 && town.json.items.every((c) => c.division_code.startsWith(TOWN1)))
  assertError(await viewer.get(`${P}/related?event_type=x`), 422, 'validation_failed')
  assertError(await viewer.get(`${P}/related?event_type=12D03&foo=1`), 422, 'unknown_filter')
})

test('related cases without an event type: the most severe first', async () => {
  const r = await viewer.get(`${P}/related?limit=5`)
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.items.length, 5)
  assert.ok(r.json.items.every((c) => c.match === 'any'))
  const order = ['extraordinary', 'major', 'larger', 'general', null]
  const g = r.json.items.map((c) => order.indexOf(c.grade))
  for (let i = 1; i < g.length; i++) assert.ok(g[i - 1] <= g[i])
})
