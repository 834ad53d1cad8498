// Contingency plans (预案, SPEC C8): the demo registry, CRUD, the filing workflow (报送 → 备案 /
// 退回) with its role and state refusals, content locked once submitted, revisions that freeze
// the old text, ?q= with Chinese terms (substring today, full-text once it lands: the checks
// hold for both), matching plans to an incident, the filing / revision shares per town, and
// jurisdiction.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { show, assertError, as, listAll, total, uniq, COUNTY, TOWN1, OTHER_COUNTY } from './lib.mjs'

const P = '/api/v1/plans'
const enc = encodeURIComponent

let admin, commander, duty, viewer, info, city
const cleanup = [] // [client, path]

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

const STEPS = [
  { level: 'II', step: 1, responsible_org: '县应急管理局', action: '启动II级响应' },
  { level: 'II', step: 2, responsible_org: '县水务局', action: '巡查堤防' },
  { level: 'III', step: 1, responsible_org: '镇应急管理所', action: '组织转移' },
]

function draft(s, extra = {}) {
  return {
    title: `测试暴雨防御预案${s}`,
    level: 'county',
    kind: 'special',
    division_code: COUNTY,
    event_types: ['11A01', '11A02'],
    response_levels: ['II', 'III'],
    body: `测试正文${s}：暴雨洪水防御`,
    response_steps: STEPS,
    ...extra,
  }
}

async function create(c, body) {
  const r = await c.post(P, body)
  assert.equal(r.status, 201, show(r))
  cleanup.push([admin, `${P}/${r.json.id}`])
  return r.json
}

test('the demo registry: plans of every level and kind, states mixed, some overdue', async () => {
  const { items } = await listAll(admin, P)
  assert.ok(items.length >= 38, `county plans: ${items.length}`)
  for (const lv of ['county', 'town', 'village', 'enterprise']) assert.ok(items.some((p) => p.level === lv), lv)
  for (const k of ['overall', 'special', 'department', 'onsite', 'card']) assert.ok(items.some((p) => p.kind === k), k)
  for (const st of ['draft', 'submitted', 'filed', 'returned']) assert.ok(items.some((p) => p.state === st), st)
  assert.ok(items.some((p) => p.revision_overdue === true), 'some revisions overdue')
  assert.ok(items.some((p) => p.version === 2), 'some plans revised')
  assert.ok(items.every((p) => p.division_code.startsWith(COUNTY)), 'only the county')
  for (const p of items) for (const s of p.response_steps || []) assert.ok(p.response_levels.includes(s.level))
  // the city administrator sees the city's own plans too
  assert.ok((await total(city, `${P}?level=city`)) >= 2)
  assert.equal(await total(admin, `${P}?level=city`), 0)
})

test('?q= finds plans by Chinese terms (暴雨, 危险化学品, 地震)', async () => {
  const rain = (await listAll(admin, `${P}?q=${enc('暴雨')}`)).items
  assert.ok(rain.some((p) => p.title === '云岭县防汛抗旱应急预案'), rain.map((p) => p.title).join(','))
  assert.ok(!rain.some((p) => p.title === '云岭县地震应急预案'))
  const text = (p) => `${p.title}${p.body || ''}${JSON.stringify(p.responsible_units || [])}${p.resources_named || ''}`
  assert.ok(rain.every((p) => text(p).includes('暴雨')), 'every hit holds the term')
  const chem = (await listAll(admin, `${P}?q=${enc('危险化学品')}`)).items
  assert.ok(chem.some((p) => p.title === '云岭县危险化学品事故应急预案'))
  assert.ok(chem.some((p) => p.kind === 'onsite'), 'the enterprises\' 现场处置方案 too')
  assert.ok(!chem.some((p) => p.title === '云岭县防汛抗旱应急预案'))
  const quake = (await listAll(admin, `${P}?q=${enc('地震')}`)).items
  assert.ok(quake.some((p) => p.title === '云岭县地震应急预案'))
  assert.equal(await total(admin, `${P}?q=${enc('不存在的词语组合')}`), 0)
})

test('CRUD, filters and CSV export', async () => {
  const s = uniq()
  const p = await create(commander, draft(s))
  assert.equal(p.state, 'draft')
  assert.equal(p.version, 1)
  assert.deepEqual(p.responsible_units, ['县应急管理局', '县水务局', '镇应急管理所'])
  assert.match(p.revision_due, /^\d{4}-\d{2}-\d{2}$/)
  const g = await viewer.get(`${P}/${p.id}`)
  assert.equal(g.status, 200, show(g))
  assert.equal(g.json.revision_overdue, false)
  assert.deepEqual(g.json.actions, [], 'a viewer has no actions')
  const gc = await commander.get(`${P}/${p.id}`)
  assert.deepEqual(gc.json.actions.map((a) => a.action), ['submit'])
  const u = await commander.patch(`${P}/${p.id}`, { body: '改后的正文', revision_due: '2020-01-01' })
  assert.equal(u.status, 200, show(u))
  assert.equal((await admin.get(`${P}/${p.id}`)).json.revision_overdue, true)
  const f = (await listAll(admin, `${P}?kind=card`)).items
  assert.ok(f.length > 0 && f.every((x) => x.kind === 'card'))
  // validation of the structured parts
  assertError(await commander.post(P, draft(uniq(), { event_types: ['1B03'] })), 422, 'validation_failed')
  assertError(await commander.post(P, draft(uniq(), { response_levels: ['V'] })), 422, 'validation_failed')
  assertError(await commander.post(P, draft(uniq(), { response_steps: [{ level: 'I', step: 1, responsible_org: 'x', action: 'y' }] })), 422, 'validation_failed')
  assertError(await commander.post(P, draft(uniq(), { version: 3 })), 422, 'validation_failed')
  assertError(await commander.post(P, draft(uniq(), { state: 'filed' })), 422, 'validation_failed')
  // roles: reads for staff, viewers and information officers; writes for admin/commander
  assertError(await duty.post(P, draft(uniq())), 403, 'forbidden')
  assertError(await viewer.patch(`${P}/${p.id}`, { body: 'x' }), 403, 'forbidden')
  assert.equal((await duty.get(`${P}/${p.id}`)).status, 200)
  const csv = await admin.get(`${P}/export.csv?q=${enc(s)}`)
  assert.equal(csv.status, 200, show(csv))
  assert.ok(csv.text.includes('预案名称') && csv.text.includes(`测试暴雨防御预案${s}`))
  const d = await admin.del(`${P}/${p.id}`)
  assert.equal(d.status, 204, show(d))
  assertError(await admin.get(`${P}/${p.id}`), 404, 'not_found')
})

test('filing: submit → return (reason) → submit → file; refusals; content locked', async () => {
  const p = await create(commander, draft(uniq()))
  const act = (c, a, body) => c.post(`${P}/${p.id}/${a}`, body || {})
  assertError(await act(admin, 'file'), 409, 'invalid_transition')
  assertError(await act(commander, 'submit', { state: 'filed' }), 422, 'validation_failed')
  let r = await act(commander, 'submit', { comment: '请审查' })
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.state, 'submitted')
  assert.ok(r.json.submitted_at)
  assertError(await commander.patch(`${P}/${p.id}`, { body: '改' }), 409, 'plan_locked')
  assertError(await act(commander, 'file'), 403, 'forbidden')
  assertError(await act(duty, 'return', { comment: 'x' }), 403, 'forbidden')
  assertError(await act(admin, 'return'), 422, 'validation_failed')
  r = await act(admin, 'return', { comment: '响应措施不具体' })
  assert.equal(r.json.state, 'returned')
  assert.equal(r.json.review_comment, '响应措施不具体')
  r = await commander.patch(`${P}/${p.id}`, { body: '补充了响应措施' })
  assert.equal(r.status, 200, show(r))
  r = await act(commander, 'submit')
  assert.equal(r.json.state, 'submitted')
  r = await act(admin, 'file', { comment: '予以备案' })
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.state, 'filed')
  assert.ok(r.json.filed_at)
  assertError(await commander.patch(`${P}/${p.id}`, { title: '新名称' }), 409, 'plan_locked')
  r = await commander.patch(`${P}/${p.id}`, { revision_due: '2030-06-30' })
  assert.equal(r.status, 200, show(r))
  assertError(await act(commander, 'submit'), 409, 'invalid_transition')
  const v = await viewer.get(`${P}/${p.id}/versions`)
  assert.equal(v.status, 200, show(v))
  assert.equal(v.json.current, 1)
  assert.deepEqual(v.json.items.map((x) => x.version), [1])
  assert.equal(v.json.items[0].state, 'filed')
})

test('revision: a new version in draft, the filed text frozen', async () => {
  const p = await create(commander, draft(uniq(), { body: '第一版正文' }))
  await commander.post(`${P}/${p.id}/submit`, {})
  await admin.post(`${P}/${p.id}/file`, {})
  assertError(await commander.post(`${P}/${p.id}/revise`, { event_types: ['x'] }), 422, 'validation_failed')
  assertError(await duty.post(`${P}/${p.id}/revise`, {}), 403, 'forbidden')
  let r = await commander.post(`${P}/${p.id}/revise`, { note: '演练后修订', body: '第二版正文' })
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.version, 2)
  assert.equal(r.json.state, 'draft')
  assert.equal(r.json.body, '第二版正文')
  assert.equal(r.json.filed_at, null)
  assertError(await commander.post(`${P}/${p.id}/revise`, {}), 409, 'invalid_transition')
  const old = await viewer.get(`${P}/${p.id}/versions?version=1`)
  assert.equal(old.status, 200, show(old))
  assert.equal(old.json.plan.body, '第一版正文')
  assert.equal(old.json.plan.version, 1)
  assertError(await viewer.get(`${P}/${p.id}/versions?version=2`), 404, 'not_found')
  await commander.post(`${P}/${p.id}/submit`, {})
  r = await admin.post(`${P}/${p.id}/file`, {})
  assert.equal(r.json.version, 2)
  const v = await admin.get(`${P}/${p.id}/versions`)
  assert.deepEqual(v.json.items.map((x) => x.version), [2, 1])
  assert.equal((await admin.get(`${P}/${p.id}/versions?version=1`)).json.plan.body, '第一版正文')
  assert.equal((await admin.get(`${P}/${p.id}/versions?version=2`)).json.plan.body, '第二版正文')
})

const EVENT = { exact: 3, class: 2, category: 1, general: 0 }
const DIV = (m) => (m.division === 'same' || m.division === 'any' ? 0 : m.division === 'ancestor' ? m.division_distance : 100 + m.division_distance)
function key(it) {
  return [-EVENT[it.match.event], it.match.level ? 0 : 1, DIV(it.match), it.filed ? 0 : 1, -it.version, it.id]
}
function before_or_equal(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i]
  return true
}

test('match: plans ranked by event type, level, division, filing; steps of the level', async () => {
  const r = await commander.post(`${P}/match`, { event_type: '11B03', grade: '重大', division_code: TOWN1 })
  assert.equal(r.status, 200, show(r))
  const items = r.json.items
  assert.equal(r.json.query.response_level, 'II')
  assert.ok(items.length >= 5, show(r))
  const first = items[0]
  assert.equal(first.title, '云岭县防汛抗旱应急预案')
  assert.equal(first.match.event, 'exact')
  assert.equal(first.match.level, true)
  assert.equal(first.filed, true)
  assert.ok(first.steps.length > 0 && first.steps.every((s) => s.level === 'II'))
  for (let i = 1; i < first.steps.length; i++) assert.ok(first.steps[i - 1].step <= first.steps[i].step)
  for (let i = 1; i < items.length; i++) {
    assert.ok(before_or_equal(key(items[i - 1]), key(items[i])), `order at ${i}: ${items[i - 1].title} / ${items[i].title}`)
  }
  // the town's own flood plan is there (same division), plans of other towns are not
  assert.ok(items.some((p) => p.title === '青石镇防汛应急预案' && p.match.division === 'same'))
  assert.ok(!items.some((p) => p.division_code.startsWith('620390101')))
  // a chemical accident finds the chemical plans first, the overall plan last
  const c = await commander.post(`${P}/match`, { event_type: '12D02', response_level: 'III', division_code: '620390104', limit: 100 })
  assert.equal(c.status, 200, show(c))
  assert.ok(c.json.items[0].title.includes('危险化学品'), c.json.items[0].title)
  assert.equal(c.json.items.at(-1).match.event, 'general')
  assert.ok(!c.json.items.some((p) => p.title.includes('地震')))
  // the information officer of town 1 matches only inside the town
  const t = await info.post(`${P}/match`, { event_type: '11B03', division_code: TOWN1 })
  assert.equal(t.status, 200, show(t))
  assert.ok(t.json.items.every((p) => p.division_code.startsWith(TOWN1)))
  assertError(await commander.post(`${P}/match`, { event_type: '暴雨' }), 422, 'validation_failed')
  assertError(await commander.post(`${P}/match`, {}), 422, 'validation_failed')
  assertError(await commander.post(`${P}/match`, { event_type: '11B03', grade: '巨大' }), 422, 'validation_failed')
  assertError(await commander.post(`${P}/match`, { event_type: '11B03', extra: 1 }), 422, 'validation_failed')
})

test('stats: filed and revised-on-time shares per town against the list', async () => {
  const r = await viewer.get(`${P}/stats?division=${COUNTY}`)
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.target_pct, 100)
  assert.equal(r.json.items.length, 12)
  const all = (await listAll(admin, P)).items
  assert.equal(r.json.total.plans, all.length)
  assert.equal(r.json.total.filed, all.filter((p) => p.state === 'filed').length)
  assert.equal(r.json.total.overdue, all.filter((p) => p.revision_overdue).length)
  assert.ok(r.json.total.overdue > 0)
  const town = r.json.items.find((x) => x.code === TOWN1)
  const mine = all.filter((p) => p.division_code.startsWith(TOWN1))
  assert.equal(town.plans, mine.length)
  const filed = mine.filter((p) => p.state === 'filed').length
  assert.equal(town.filed, filed)
  assert.equal(town.filed_pct, Math.floor((filed * 1000) / mine.length) / 10)
  assert.equal(town.meets_target, filed === mine.length && mine.every((p) => !p.revision_overdue))
  const only = await admin.get(`${P}/stats?division=${COUNTY}&kind=special`)
  assert.equal(only.json.total.plans, all.filter((p) => p.kind === 'special').length)
  const mineStats = await info.get(`${P}/stats`)
  assert.equal(mineStats.status, 200, show(mineStats))
  assert.equal(mineStats.json.total.code, TOWN1)
  assertError(await info.get(`${P}/stats?division=${COUNTY}`), 404, 'not_found')
  assertError(await admin.get(`${P}/stats?division=12x`), 422)
  assertError(await admin.get(`${P}/stats?kind=nope`), 422)
  assertError(await admin.get(`${P}/stats?foo=1`), 422, 'unknown_filter')
})

test('jurisdiction: another county\'s plan is not found; town users see their town', async () => {
  const r = await city.post(P, draft(uniq(), { division_code: OTHER_COUNTY }))
  assert.equal(r.status, 201, show(r))
  cleanup.push([city, `${P}/${r.json.id}`])
  const id = r.json.id
  assertError(await admin.get(`${P}/${id}`), 404, 'not_found')
  assertError(await admin.patch(`${P}/${id}`, { body: 'x' }), 404, 'not_found')
  assertError(await admin.post(`${P}/${id}/submit`, {}), 404, 'not_found')
  assertError(await admin.get(`${P}/${id}/versions`), 404, 'not_found')
  assertError(await commander.post(P, draft(uniq(), { division_code: OTHER_COUNTY })), [403, 422])
  const townPlans = (await listAll(info, P)).items
  assert.ok(townPlans.length > 0 && townPlans.every((p) => p.division_code.startsWith(TOWN1)))
  assert.ok((await city.get(`${P}/${id}`)).status === 200)
})
