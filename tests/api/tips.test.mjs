// Public tips (举报线索, SPEC C1): the demo's numbered tips, registration with an automatic
// number, the workflow 交办 → 办结 → 答复 (and 奖励 for a true tip), 转办 moving a tip to another
// town's jurisdiction, the tipster's identity kept from non-staff readers and from CSV
// exports, and role refusals.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { show, assertError, as, listAll, parseCsv, uniq, TOWN1, TOWN2 } from './lib.mjs'

const P = '/api/v1'
const enc = encodeURIComponent

let admin, duty, town1, town2, viewer, info, team, inspector, commander, enterprise
let office1, office2 // the 应急管理所 of 青石镇 and 河西镇

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  town1 = await as('town1')
  town2 = await as('town2')
  viewer = await as('viewer')
  info = await as('info')
  team = await as('team')
  inspector = await as('inspector')
  commander = await as('commander')
  enterprise = await as('enterprise')
  const orgs = (await listAll(admin, `${P}/orgs?kind=town_office`)).items
  office1 = orgs.find((o) => o.name === '青石镇应急管理所')
  office2 = orgs.find((o) => o.name === '河西镇应急管理所')
  assert.ok(office1 && office2)
})

function tipBody(s, extra = {}) {
  return {
    source: 'hotline',
    tipster_name: `测试举报人${s}`,
    tipster_phone: '13712345678',
    content: `测试举报：某砂石场夜间违规作业 ${s}`,
    address: '青石镇测试路1号',
    event_type: '非法开采',
    lon: 102.3,
    lat: 38.4,
    ...extra,
  }
}

test('demo: ~30 numbered tips in varied states', async () => {
  const all = await listAll(duty, `${P}/tips`)
  assert.ok(all.total >= 30, `tips: ${all.total}`)
  const numbers = all.items.map((t) => t.number)
  for (const n of numbers) assert.match(n, /^JB\d{8}-\d{4}$/)
  assert.equal(new Set(numbers).size, numbers.length, 'numbers are unique')
  const states = new Set(all.items.map((t) => t.status))
  for (const s of ['received', 'assigned', 'transferred', 'handled', 'answered']) assert.ok(states.has(s), `a ${s} tip`)
  assert.ok(all.items.some((t) => t.reward === true && t.reward_amount > 0), 'a rewarded tip')
  const mine = await listAll(info, `${P}/tips`)
  assert.ok(mine.total > 0, 'the information officer sees 青石镇 tips')
  for (const t of mine.items) {
    assert.ok(t.division_code.startsWith(TOWN1))
    assert.ok(!('tipster_phone' in t) && !('tipster_name' in t), 'no tipster identity for a non-staff reader')
  }
})

test('registration: automatic numbers; the tipster only for staff', async () => {
  const s = uniq('')
  const c = await info.post(`${P}/tips`, tipBody(s))
  assert.equal(c.status, 201, show(c))
  const tip = c.json
  assert.match(tip.number, /^JB\d{8}-\d{4}$/)
  assert.equal(tip.status, 'received')
  assert.equal(tip.division_code, TOWN1, 'division from the writer')
  assert.ok(!('tipster_phone' in tip), 'the information officer does not get the phone back')
  const d = await duty.get(`${P}/tips/${tip.id}`)
  assert.equal(d.status, 200, show(d))
  assert.equal(d.json.tipster_phone, '13712345678')
  assert.equal(d.json.tipster_name, `测试举报人${s}`)
  assert.deepEqual(d.json.actions.map((a) => a.action).sort(), ['assign', 'transfer'])
  assert.deepEqual(d.json.history, [])
  const v = await viewer.get(`${P}/tips/${tip.id}`)
  assert.equal(v.status, 200, show(v))
  assert.ok(!('tipster_phone' in v.json) && !('tipster_name' in v.json))
  assert.deepEqual(v.json.actions, [], 'a viewer may do nothing')
  // two more the same day get the next numbers
  const a = await duty.post(`${P}/tips`, tipBody(`${s}a`, { division_code: TOWN1 }))
  const b = await duty.post(`${P}/tips`, tipBody(`${s}b`, { division_code: TOWN1 }))
  const seq = (n) => Number(n.split('-')[1])
  assert.equal(a.json.number.slice(0, 10), tip.number.slice(0, 10))
  assert.ok(seq(b.json.number) === seq(a.json.number) + 1 && seq(a.json.number) > seq(tip.number))
  // the number is the server's; anonymous tips carry no identity
  assertError(await duty.post(`${P}/tips`, { ...tipBody(`${s}c`), number: 'JB1' }), 422, 'validation_failed')
  assertError(await duty.post(`${P}/tips`, tipBody(`${s}d`, { anonymous: true })), 422, 'validation_failed')
  const anon = await duty.post(`${P}/tips`, { source: 'website', content: `匿名 ${s}`, anonymous: true, division_code: TOWN1 })
  assert.equal(anon.status, 201, show(anon))
  assertError(await duty.post(`${P}/tips`, { source: 'fax', content: 'x', division_code: TOWN1 }), 422, 'validation_failed')
  // CRUD: q and filters, PATCH of content, division fixed
  const q = await duty.get(`${P}/tips?q=${enc(s)}&status=received&source=hotline`)
  assert.equal(q.json.total, 3, show(q))
  const p = await duty.patch(`${P}/tips/${tip.id}`, { address: '青石镇测试路2号' })
  assert.equal(p.status, 200, show(p))
  assertError(await duty.patch(`${P}/tips/${tip.id}`, { division_code: TOWN2 }), 422, 'validation_failed')
  assertError(await duty.patch(`${P}/tips/${tip.id}`, { status: 'answered' }), 422, 'validation_failed')
})

test('workflow: 交办 → 办结 → 答复, then 奖励 for a true tip', async () => {
  const s = uniq('')
  const tip = (await duty.post(`${P}/tips`, tipBody(s, { division_code: TOWN1 }))).json
  assertError(await duty.post(`${P}/tips/${tip.id}/handle`, { result: 'x', verified: true }), 409, 'invalid_transition')
  assertError(await duty.post(`${P}/tips/${tip.id}/assign`, {}), 422, 'validation_failed')
  assertError(await duty.post(`${P}/tips/${tip.id}/assign`, { org_id: office1.id, extra: 1 }), 422, 'validation_failed')
  const a = await duty.post(`${P}/tips/${tip.id}/assign`, { org_id: office1.id, note: '请核查', due_date: '2026-12-31' })
  assert.equal(a.status, 200, show(a))
  assert.equal(a.json.status, 'assigned')
  assert.equal(a.json.assigned_org_id, office1.id)
  assert.equal(a.json.assigned_org_name, '青石镇应急管理所')
  assert.equal(a.json.division_code, TOWN1, '交办 leaves the tip where it is')
  // the town sees it and the inspector handles it
  assert.equal((await town1.get(`${P}/tips/${tip.id}`)).status, 200)
  const h = await inspector.post(`${P}/tips/${tip.id}/handle`, { result: '经核查属实，已责令停产整改', verified: true })
  assert.equal(h.status, 200, show(h))
  assert.equal(h.json.status, 'handled')
  assert.equal(h.json.verified, true)
  assert.ok(h.json.handled_at)
  assertError(await duty.post(`${P}/tips/${tip.id}/answer`, { answer: '已处理', channel: 'pigeon' }), 422, 'validation_failed')
  const ans = await duty.post(`${P}/tips/${tip.id}/answer`, { answer: '您反映的问题已查实处理，感谢监督', channel: 'phone' })
  assert.equal(ans.status, 200, show(ans))
  assert.equal(ans.json.status, 'answered')
  assert.equal(ans.json.answer_channel, 'phone')
  assert.ok(ans.json.answered_at)
  const rw = await commander.post(`${P}/tips/${tip.id}/reward`, { reward_amount: 1000 })
  assert.equal(rw.status, 200, show(rw))
  assert.equal(rw.json.reward, true)
  assert.equal(rw.json.reward_amount, 1000)
  assert.equal(rw.json.status, 'answered')
  const g = await duty.get(`${P}/tips/${tip.id}`)
  assert.deepEqual(g.json.history.map((x) => [x.action, x.from, x.to]), [
    ['assign', 'received', 'assigned'],
    ['handle', 'assigned', 'handled'],
    ['answer', 'handled', 'answered'],
    ['reward', 'answered', 'answered'],
  ])
  assertError(await duty.post(`${P}/tips/${tip.id}/answer`, { answer: '再次答复', channel: 'sms' }), 409, 'invalid_transition')

  // an unverified tip is not rewarded
  const t2 = (await duty.post(`${P}/tips`, tipBody(`${s}x`, { division_code: TOWN1 }))).json
  assert.equal((await duty.post(`${P}/tips/${t2.id}/assign`, { org_id: office1.id })).status, 200)
  assert.equal((await duty.post(`${P}/tips/${t2.id}/handle`, { result: '查无此事', verified: false })).status, 200)
  assertError(await commander.post(`${P}/tips/${t2.id}/reward`, { reward_amount: 100 }), 422, 'not_verified')
})

test('转办 to another town moves the tip out of the first town', async () => {
  const s = uniq('')
  const tip = (await town1.post(`${P}/tips`, tipBody(s))).json
  assert.equal(tip.division_code, TOWN1)
  // 交办 must stay inside the jurisdiction; across it is a 转办
  assertError(await town1.post(`${P}/tips/${tip.id}/assign`, { org_id: office2.id }), 422, 'validation_failed')
  assertError(await town2.get(`${P}/tips/${tip.id}`), 404, 'not_found')
  const t = await town1.post(`${P}/tips/${tip.id}/transfer`, { org_id: office2.id, note: '属河西镇辖区' })
  assert.equal(t.status, 200, show(t))
  assert.equal(t.json.status, 'transferred')
  assert.equal(t.json.division_code, TOWN2)
  assert.equal(t.json.transferred_from, TOWN1)
  assertError(await town1.get(`${P}/tips/${tip.id}`), 404, 'not_found')
  assert.ok(!(await listAll(town1, `${P}/tips?q=${enc(s)}`)).items.length, 'gone from the first town’s list')
  assertError(await town1.post(`${P}/tips/${tip.id}/handle`, { result: 'x', verified: false }), 404, 'not_found')
  const g = await town2.get(`${P}/tips/${tip.id}`)
  assert.equal(g.status, 200, show(g))
  assert.equal(g.json.assigned_org_name, '河西镇应急管理所')
  const a = await town2.post(`${P}/tips/${tip.id}/assign`, { org_id: office2.id })
  assert.equal(a.status, 200, show(a))
  assert.equal(a.json.status, 'assigned')
  assert.equal((await duty.get(`${P}/tips/${tip.id}`)).status, 200, 'the county still sees it')
})

test('CSV export leaves the tipster out', async () => {
  const s = uniq('')
  const tip = (await duty.post(`${P}/tips`, tipBody(s, { division_code: TOWN1, tipster_phone: '13998765432' }))).json
  const r = await duty.get(`${P}/tips/export.csv?q=${enc(s)}`)
  assert.equal(r.status, 200, show(r))
  assert.ok(!r.text.includes('13998765432'), 'no tipster phone in the export')
  assert.ok(!r.text.includes(`测试举报人${s}`), 'no tipster name in the export')
  const rows = parseCsv(r.text)
  assert.ok(!rows[0].includes('举报人电话') && !rows[0].includes('举报人姓名'), rows[0].join(','))
  assert.ok(rows[0].includes('举报编号'))
  assert.equal(rows.length, 2, 'header and the one tip')
  assert.ok(rows[1].includes(tip.number))
  const v = await viewer.get(`${P}/tips/export.csv`)
  assert.equal(v.status, 200)
  assert.ok(!v.text.includes('13998765432'))
})

test('roles: who registers, routes, handles, answers and rewards', async () => {
  const s = uniq('')
  for (const c of [viewer, commander, team, enterprise]) assertError(await c.post(`${P}/tips`, tipBody(s, { division_code: TOWN1 })), 403, 'forbidden')
  for (const c of [team, enterprise]) assertError(await c.get(`${P}/tips`), 403, 'forbidden')
  const tip = (await inspector.post(`${P}/tips`, tipBody(s, { division_code: TOWN1 }))).json
  assert.ok(tip && tip.id, 'an inspector registers')
  for (const c of [viewer, inspector, info, commander]) {
    assertError(await c.post(`${P}/tips/${tip.id}/assign`, { org_id: office1.id }), 403, 'forbidden')
    assertError(await c.post(`${P}/tips/${tip.id}/transfer`, { org_id: office2.id }), 403, 'forbidden')
  }
  assertError(await info.patch(`${P}/tips/${tip.id}`, { remarks: 'x' }), 403, 'forbidden')
  assert.equal((await duty.post(`${P}/tips/${tip.id}/assign`, { org_id: office1.id })).status, 200)
  for (const c of [viewer, info, commander]) assertError(await c.post(`${P}/tips/${tip.id}/handle`, { result: 'x', verified: true }), 403, 'forbidden')
  assert.equal((await town1.post(`${P}/tips/${tip.id}/handle`, { result: '已处理', verified: true })).status, 200)
  for (const c of [viewer, info, inspector]) assertError(await c.post(`${P}/tips/${tip.id}/answer`, { answer: 'x', channel: 'sms' }), 403, 'forbidden')
  for (const c of [duty, inspector, town1]) assertError(await c.post(`${P}/tips/${tip.id}/reward`, { reward_amount: 1 }), 403, 'forbidden')
  assertError(await duty.del(`${P}/tips/${tip.id}`), 405, 'method_not_allowed')
  assertError(await duty.post(`${P}/tips/99999999/assign`, { org_id: office1.id }), 404, 'not_found')
})
