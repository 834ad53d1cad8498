// Command workspace (SPEC C2, issue 4 items 6, 8 and 10): the end-to-end scenario intake →
// grade → plan match → activation → instructions (sign, execute, feedback, done; escalation
// with the test clock) → dispatch (readiness round trip) → field report → notify + read
// receipt → closure with evaluation → the case exists and is found by full-text search.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { as, show, assertError, ok, setClock, uniq, sleep, TOWN1, COUNTY } from './lib.mjs'

let admin, duty, commander, viewer, team, info
const cleanup = []

const iso = (msAgo) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z')

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  commander = await as('commander')
  viewer = await as('viewer')
  team = await as('team')
  info = await as('info')
})

after(async () => {
  await setClock(0)
  for (const [c, path] of cleanup.reverse()) await c.del(path)
})

async function userId(name) {
  const r = ok(await admin.get(`/api/v1/users?q=${name}&page_size=100`), 200)
  return r.items.find((u) => u.username === name).id
}

async function workspace(id) {
  return ok(await viewer.get(`/api/v1/incidents/${id}/workspace`), 200)
}

test('scenario: intake → plan activation → instructions → dispatch → field report → notify → closure → case', async () => {
  const s = uniq()
  try {
    // intake and grade: 10 deaths → 重大, suggested II
    const inc = ok(
      await duty.post('/api/v1/incidents', {
        title: `指挥演练磷化工厂爆炸${s}`,
        source: 'phone',
        occurred_at: iso(5 * 60 * 1000),
        address: '青石镇化工园区',
        lon: 102.3,
        lat: 38.4,
        division_code: TOWN1,
        event_type: '12D01',
        deaths: 10,
        serious_injuries: 1,
        direct_loss_wan: 100,
        description: '仓库爆炸，现场有人员伤亡',
      }),
      201,
    )
    assert.equal(inc.grade, 'major')
    assert.equal(inc.suggested_response_level, 'II')
    const id = inc.id
    ok(await commander.post(`/api/v1/incidents/${id}/response-level`, { level: 'II' }), 200)

    // a plan for the event type with steps for II and III; the match finds it
    const plan = ok(
      await commander.post('/api/v1/plans', {
        title: `测试危化品爆炸专项预案${s}`,
        level: 'county',
        kind: 'special',
        division_code: COUNTY,
        event_types: ['12D01'],
        response_levels: ['II', 'III'],
        body: '测试正文',
        response_steps: [
          { level: 'II', step: 1, responsible_org: '县应急管理局', action: '成立现场指挥部' },
          { level: 'II', step: 2, responsible_org: '县消防救援大队', action: '灭火救援' },
          { level: 'III', step: 1, responsible_org: '镇应急管理所', action: '警戒疏散' },
        ],
      }),
      201,
    )
    cleanup.push([admin, `/api/v1/plans/${plan.id}`])
    const m = ok(await commander.post('/api/v1/plans/match', { event_type: '12D01', response_level: 'II', division_code: TOWN1, limit: 100 }), 200)
    assert.ok(m.items.some((p) => p.id === plan.id), JSON.stringify(m.items.map((p) => p.id)))

    // activation: refusals, then two tasks for II, then 409 on a second activation
    const A = `/api/v1/incidents/${id}/activate-plan`
    assertError(await commander.post(A, { plan_id: plan.id, response_level: 'II', extra: 1 }), 422, 'validation_failed')
    assertError(await commander.post(A, { plan_id: plan.id, response_level: 'I' }), 422, 'validation_failed')
    assertError(await commander.post(A, { plan_id: 99999999, response_level: 'II' }), 404)
    assertError(await duty.post(A, { plan_id: plan.id, response_level: 'II' }), 403, 'forbidden')
    const act = ok(await commander.post(A, { plan_id: plan.id, response_level: 'II' }), 201)
    assert.equal(act.tasks.length, 2)
    assert.deepEqual(act.tasks.map((t) => t.responsible_org), ['县应急管理局', '县消防救援大队'])
    assert.ok(act.tasks.every((t) => t.state === 'pending' && t.incident_id === id))
    assertError(await commander.post(A, { plan_id: plan.id, response_level: 'II' }), 409, 'plan_already_active')

    // the task board: pending → in_progress → done
    const T = `/api/v1/response_tasks/${act.tasks[0].id}`
    assertError(await team.post(`${T}/start`, { x: 1 }), 422)
    assertError(await viewer.post(`${T}/start`, {}), 403, 'forbidden')
    assert.equal(ok(await team.post(`${T}/start`, {}), 200).state, 'in_progress')
    assert.equal(ok(await commander.post(`${T}/finish`, { note: '指挥部已成立' }), 200).state, 'done')
    assertError(await commander.post(`${T}/finish`, {}), 409)

    // instructions: 下达 → 签收 → 执行 → 反馈 → 完成
    const orgs = ok(await admin.get(`/api/v1/orgs?division_code=${COUNTY}&page_size=1`), 200)
    const orgId = orgs.items[0].id
    const I = `/api/v1/incidents/${id}/instructions`
    assertError(await commander.post(I, { to_org_id: orgId, content: 'x', bogus: 1 }), 422)
    assertError(await commander.post(I, { content: '无接收方' }), 422)
    assertError(await viewer.post(I, { to_org_id: orgId, content: '只读' }), 403, 'forbidden')
    let ins = ok(await commander.post(I, { to_org_id: orgId, content: '立即组织灭火救援', sign_within_minutes: 10 }), 201)
    assert.equal(ins.state, 'issued')
    assert.equal(ins.escalated, false)
    const X = `/api/v1/instructions/${ins.id}`
    assertError(await commander.post(`${X}/complete`, {}), 409)
    assertError(await team.post(`${X}/sign`, { bogus: 1 }), 422)
    ins = ok(await team.post(`${X}/sign`, {}), 200)
    assert.equal(ins.state, 'signed')
    assert.ok(ins.signed_at)
    assertError(await viewer.post(`${X}/execute`, {}), 403, 'forbidden')
    ins = ok(await info.post(`${X}/execute`, { note: '已出发' }), 200)
    assert.equal(ins.state, 'executing')
    assertError(await team.post(`${X}/feedback`, {}), 422)
    ins = ok(await team.post(`${X}/feedback`, { feedback: '明火已扑灭' }), 200)
    assert.equal(ins.state, 'feedback')
    assert.equal(ins.feedback, '明火已扑灭')
    assertError(await team.post(`${X}/complete`, {}), 403, 'forbidden')
    ins = ok(await commander.post(`${X}/complete`, {}), 200)
    assert.equal(ins.state, 'done')
    assert.ok(ins.done_at)

    // escalation: not signed within 1 minute → escalated, timeline row
    const late = ok(await duty.post(I, { to_org_id: orgId, content: '上报伤亡名单', sign_within_minutes: 1 }), 201)
    await setClock(120)
    let escalated
    for (let i = 0; i < 40 && !escalated; i++) {
      await sleep(250)
      const ws = await workspace(id)
      escalated = ws.instructions.find((x) => x.id === late.id && x.escalated)
    }
    await setClock(0)
    assert.ok(escalated, 'the unsigned instruction was escalated')
    assert.equal(escalated.state, 'issued')
    assert.ok(escalated.escalated_at)

    // dispatch: a team goes deployed and back
    const t = ok(await admin.post('/api/v1/teams', { name: uniq('指挥测试队'), kind: 'social', division_code: COUNTY, lon: 102.2, lat: 38.45, readiness: 'standby' }), 201)
    cleanup.push([admin, `/api/v1/teams/${t.id}`])
    const D = `/api/v1/incidents/${id}/dispatches`
    assertError(await commander.post(D, { kind: 'team', ref_id: t.id, bogus: 1 }), 422)
    assertError(await commander.post(D, { kind: 'boat', ref_id: t.id }), 422)
    assertError(await commander.post(D, { kind: 'team', ref_id: 99999999 }), 422)
    const d = ok(await commander.post(D, { kind: 'team', ref_id: t.id }), 201)
    assert.equal(d.state, 'dispatched')
    assert.equal(d.ref_name, t.name)
    assert.equal(d.dest_lon, 102.3)
    assert.ok(d.distance_km > 9 && d.distance_km < 11, `distance ${d.distance_km}`)
    assert.equal(d.eta_minutes, Math.ceil((d.distance_km / 40) * 60))
    assert.equal(ok(await viewer.get(`/api/v1/teams/${t.id}`), 200).readiness, 'deployed')
    assertError(await commander.post(D, { kind: 'team', ref_id: t.id }), 409, 'team_deployed')
    const fast = ok(await commander.post(D, { kind: 'expert', ref_id: (await firstId('experts')), speed_kmh: 80, dest_lon: 102.31, dest_lat: 38.41 }), 201)
    assert.equal(fast.kind, 'expert')
    assert.equal(fast.speed_kmh, 80)
    const P = `/api/v1/dispatches/${d.id}`
    assert.equal(ok(await team.post(`${P}/depart`, {}), 200).state, 'en_route')
    assert.equal(ok(await team.post(`${P}/arrive`, {}), 200).state, 'arrived')
    assertError(await team.post(`${P}/depart`, {}), 409)
    const back = ok(await commander.post(`${P}/return`, {}), 200)
    assert.equal(back.state, 'returned')
    assert.equal(ok(await viewer.get(`/api/v1/teams/${t.id}`), 200).readiness, 'standby')

    // field report from a team member's phone
    const F = `/api/v1/incidents/${id}/field-reports`
    assertError(await team.post(F, { text: 'x', photo: 'a.jpg' }), 422)
    assertError(await team.post(F, {}), 422)
    assertError(await viewer.post(F, { text: '只读' }), 403, 'forbidden')
    const fr = ok(await team.post(F, { text: '现场仍有少量烟雾', lon: 102.301, lat: 38.401 }), 201)
    assert.equal(fr.reporter_name, 'team')
    ok(await info.post(F, { text: '群众已疏散' }), 201)

    // notify with read receipts
    const teamId = await userId('team')
    const infoId = await userId('info')
    const N = `/api/v1/incidents/${id}/notify`
    assertError(await commander.post(N, { user_ids: [teamId], message: 'x', cc: 1 }), 422)
    assertError(await commander.post(N, { user_ids: [], message: 'x' }), 422)
    assertError(await commander.post(N, { user_ids: [99999999], message: 'x' }), 422)
    const sent = ok(await commander.post(N, { user_ids: [teamId, infoId], message: `请到指挥部集合${s}` }), 201)
    assert.equal(sent.items.length, 2)
    const mine = ok(await team.get('/api/v1/notifications/mine'), 200)
    const n = mine.items.find((x) => x.message === `请到指挥部集合${s}`)
    assert.ok(n, JSON.stringify(mine))
    assert.equal(n.read_at, null)
    assert.ok(mine.unread >= 1)
    // the outbox's in-app channel marks it delivered (at least once, by the dispatcher thread)
    let delivered = n.delivered_at
    for (let i = 0; i < 40 && !delivered; i++) {
      await sleep(250)
      const again = ok(await team.get('/api/v1/notifications/mine'), 200)
      delivered = again.items.find((x) => x.id === n.id).delivered_at
    }
    assert.ok(delivered, 'the notification was delivered through the outbox')
    assertError(await info.post(`/api/v1/notifications/${n.id}/read`, {}), 404, 'not_found')
    assertError(await team.post(`/api/v1/notifications/${n.id}/read`, { x: 1 }), 422)
    const read = ok(await team.post(`/api/v1/notifications/${n.id}/read`, {}), 200)
    assert.ok(read.read_at)
    const again = ok(await team.post(`/api/v1/notifications/${n.id}/read`), 200)
    assert.equal(again.read_at, read.read_at)

    // the workspace in one call
    const ws = await workspace(id)
    assert.equal(ws.incident.id, id)
    assert.equal(ws.tasks.length, 2)
    assert.deepEqual(ws.tasks.map((t) => t.state), ['done', 'pending'])
    assert.equal(ws.instructions.length, 2)
    assert.equal(ws.dispatches.length, 2)
    assert.equal(ws.field_reports.length, 2)
    // the two sent above, plus the escalation's notifications to the level above once the
    // outbox has delivered it (timing depends on the dispatcher thread)
    assert.equal(ws.notifications.filter((x) => x.message === `请到指挥部集合${s}`).length, 2)
    for (const x of ws.notifications.filter((x) => x.message !== `请到指挥部集合${s}`)) {
      assert.match(x.message, /^指令超时未签收/)
    }
    assert.ok(ws.matched_plans.length >= 1 && ws.matched_plans.length <= 5)
    const kinds = new Set(ws.timeline.map((e) => e.kind))
    for (const k of ['reported', 'plan_activated', 'instruction_issued', 'instruction_sign', 'instruction_escalated', 'dispatched', 'dispatch_return', 'field_report', 'notified', 'task_start', 'task_finish']) {
      assert.ok(kinds.has(k), `timeline has ${k}: ${[...kinds]}`)
    }
    assertError(await (await as('enterprise')).get(`/api/v1/incidents/${id}/workspace`), 403, 'forbidden')

    // closure with evaluation → exactly one case, found by full-text search
    ok(await duty.post(`/api/v1/incidents/${id}/verify`, {}), 200)
    ok(await commander.post(`/api/v1/incidents/${id}/respond`, {}), 200)
    const closed = ok(await commander.post(`/api/v1/incidents/${id}/close`, { evaluation: '指挥得当，磷化工厂爆炸处置及时。' }), 200)
    assert.equal(closed.status, 'closed')
    const found = ok(await viewer.get(`/api/v1/cases?q=${encodeURIComponent('磷化工厂')}&page_size=100`), 200)
    const mineCases = found.items.filter((c) => c.incident_id === id)
    assert.equal(mineCases.length, 1, JSON.stringify(found))
    assert.equal(mineCases[0].source, 'incident')
    assert.equal(mineCases[0].evaluation, '指挥得当，磷化工厂爆炸处置及时。')
    cleanup.push([admin, `/api/v1/cases/${mineCases[0].id}`])
    assertError(await commander.post(A, { plan_id: plan.id, response_level: 'III' }), 409, 'incident_closed')
  } finally {
    await setClock(0)
  }
})

async function firstId(plural) {
  const r = ok(await viewer.get(`/api/v1/${plural}?page_size=1`), 200)
  return r.items[0].id
}
