// Duty (应急值守, SPEC C1): the demo's rosters (county bureau and 12 town offices on duty
// now), roster CRUD with its rules (one per organisation, date and shift; organisation inside
// the writer's jurisdiction), GET /duty/now at chosen instants across midnight, handovers
// with open items carried over, the roster-membership rule, and role refusals.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { show, assertError, as, listAll, uniq, TOWN1, TOWN2 } from './lib.mjs'

const P = '/api/v1'
const enc = encodeURIComponent

let admin, duty, town1, town2, viewer, info, team, commander
let org // a town office of 青石镇 made for this run (no demo rosters or handovers)
let otherOrg // 河西镇's office
let users // username → id
// far-future dates unique to this run
const Y = 2040 + Math.floor(Math.random() * 50)
const M = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
const D1 = `${Y}-${M}-10`
const D2 = `${Y}-${M}-11`
const D3 = `${Y}-${M}-12`

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  town1 = await as('town1')
  town2 = await as('town2')
  viewer = await as('viewer')
  info = await as('info')
  team = await as('team')
  commander = await as('commander')
  const r = await admin.post(`${P}/orgs`, { name: uniq('青石镇测试值班所'), kind: 'town_office', division_code: TOWN1 })
  assert.equal(r.status, 201, show(r))
  org = r.json
  const o = await admin.get(`${P}/orgs?q=${enc('河西镇应急管理所')}`)
  otherOrg = o.json.items.find((x) => x.name === '河西镇应急管理所')
  assert.ok(otherOrg, show(o))
  users = {}
  for (const u of (await listAll(admin, `${P}/users`)).items) users[u.username] = u.id
})

function rosterBody(date, shift, extra = {}) {
  return {
    org_id: org.id,
    date,
    shift,
    leader_name: '测试带班领导',
    leader_phone: '13800000000',
    officers: [{ user_id: users.town1 }, { name: '测试值班员甲', phone: '13800000001' }],
    phone: '0935-0000000',
    ...extra,
  }
}

test('demo: the county bureau and the 12 town offices are on duty now', async () => {
  const r = await duty.get(`${P}/duty/now`)
  assert.equal(r.status, 200, show(r))
  const orgs = new Set(r.json.items.map((i) => i.org_id))
  assert.equal(orgs.size, 13, `13 organisations on duty: ${r.json.items.map((i) => i.org_name).join('、')}`)
  assert.ok(r.json.items.some((i) => i.org_name === '云岭县应急管理局' && ['day', 'night'].includes(i.shift)))
  assert.equal(r.json.items.filter((i) => i.org_kind === 'town_office').length, 12)
  const now = Date.parse(r.json.at)
  for (const i of r.json.items) {
    assert.ok(Date.parse(i.starts_at) <= now && now < Date.parse(i.ends_at), `${i.org_name} covers now`)
    assert.ok(i.leader && i.leader.name, `${i.org_name} has a leader on duty`)
    assert.ok(i.officers.length >= 1 && i.officers.every((p) => p.name))
  }
  assert.match(r.json.local_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
  // a town sees its own office only
  const t = await town1.get(`${P}/duty/now`)
  assert.equal(t.status, 200, show(t))
  assert.ok(t.json.items.length >= 1)
  for (const i of t.json.items) assert.ok(i.division_code.startsWith(TOWN1), i.org_name)
  // the demo's handovers carry open items
  const h = await listAll(duty, `${P}/duty_handovers`)
  assert.ok(h.total >= 13, `demo handovers: ${h.total}`)
  assert.ok(h.items.some((x) => x.carried_count > 0), 'some open items were carried over')
})

test('rosters: create, read, q, change; duplicate org/date/shift refused', async () => {
  const c = await town1.post(`${P}/duty_rosters`, rosterBody(D1, '24h'))
  assert.equal(c.status, 201, show(c))
  const r = c.json
  assert.equal(r.division_code, TOWN1, 'division from the organisation')
  assert.equal(r.start_time, '08:00')
  assert.equal(r.end_time, '08:00')
  assert.equal(r.officers[0].user_id, users.town1)
  assert.ok(r.officers[0].name.length > 0, 'name from the account')
  assert.ok(r.officer_names.includes('测试值班员甲'))

  const g = await viewer.get(`${P}/duty_rosters/${r.id}`)
  assert.equal(g.status, 200, show(g))
  const q = await duty.get(`${P}/duty_rosters?q=${enc('测试值班员甲')}&org_id=${org.id}`)
  assert.equal(q.status, 200, show(q))
  assert.ok(q.json.items.some((x) => x.id === r.id))
  const p = await town1.patch(`${P}/duty_rosters/${r.id}`, { phone: '0935-1111111', end_time: '09:00' })
  assert.equal(p.status, 200, show(p))
  assert.equal(p.json.phone, '0935-1111111')

  assertError(await town1.post(`${P}/duty_rosters`, rosterBody(D1, '24h')), [409, 422], 'duplicate_roster')
  // another shift the same day is fine
  const n = await town1.post(`${P}/duty_rosters`, rosterBody(D1, 'night', { officers: [{ name: '测试值班员乙' }] }))
  assert.equal(n.status, 201, show(n))
  // outside the town: another town's office, or seen by another town
  assertError(await town1.post(`${P}/duty_rosters`, { ...rosterBody(D1, 'day'), org_id: otherOrg.id }), 422, 'validation_failed')
  assertError(await town2.get(`${P}/duty_rosters/${r.id}`), 404, 'not_found')
  // bad input
  assertError(await town1.post(`${P}/duty_rosters`, rosterBody(D2, 'day', { officers: [] })), 422, 'validation_failed')
  assertError(await town1.post(`${P}/duty_rosters`, rosterBody(D2, 'day', { shift: 'noon' })), 422, 'validation_failed')
  assertError(await town1.post(`${P}/duty_rosters`, rosterBody(D2, 'day', { start_time: '8am' })), 422, 'validation_failed')
  assertError(await town1.post(`${P}/duty_rosters`, rosterBody(D2, 'day', { officers: [{ user_id: 99999999 }] })), 422, 'validation_failed')
  // a roster without handovers may be deleted
  assert.equal((await town1.del(`${P}/duty_rosters/${n.json.id}`)).status, 204)
})

test('GET /duty/now at chosen instants: 24h and night shifts across midnight', async () => {
  const a = await town1.post(`${P}/duty_rosters`, rosterBody(D2, '24h'))
  assert.equal(a.status, 201, show(a))
  const b = await town1.post(`${P}/duty_rosters`, rosterBody(D2, 'night', { start_time: '20:00', end_time: '02:00', officers: [{ name: '测试夜班员' }] }))
  assert.equal(b.status, 201, show(b))
  const at = async (local) => {
    const r = await town1.get(`${P}/duty/now?org_id=${org.id}&at=${enc(local)}`)
    assert.equal(r.status, 200, show(r))
    return r.json.items.map((i) => i.roster_id)
  }
  assert.deepEqual(await at(`${D2}T07:59:00+08:00`), [], 'before the 24h shift starts (D1 has none at that hour)')
  assert.deepEqual(await at(`${D2}T08:00:00+08:00`), [a.json.id])
  assert.deepEqual((await at(`${D2}T21:00:00+08:00`)).sort(), [a.json.id, b.json.id].sort())
  assert.deepEqual((await at(`${D3}T01:30:00+08:00`)).sort(), [a.json.id, b.json.id].sort(), 'both go on after midnight')
  assert.deepEqual(await at(`${D3}T02:00:00+08:00`), [a.json.id], 'the night shift ended at 02:00')
  assert.deepEqual(await at(`${D3}T08:00:00+08:00`), [], 'the 24h shift ended')
  const r = await town1.get(`${P}/duty/now?org_id=${org.id}&at=${enc(`${D2}T12:00:00+08:00`)}`)
  const item = r.json.items[0]
  assert.equal(item.org_name, org.name)
  assert.equal(item.shift_label, '24小时')
  assert.equal(item.starts_at, `${D2}T00:00:00Z`)
  assert.equal(item.leader.name, '测试带班领导')
  assert.equal(item.officers[1].name, '测试值班员甲')
  // refusals: another town's view of this org, bad parameters
  assertError(await town2.get(`${P}/duty/now?org_id=${org.id}`), 404, 'not_found')
  assertError(await town1.get(`${P}/duty/now?org_id=abc`), 422, 'validation_failed')
  assertError(await town1.get(`${P}/duty/now?at=yesterday`), 422, 'validation_failed')
})

test('handovers: open items carried over; the from-person must be on the roster', async () => {
  const day = `${Y}-${M}-20`
  const next = `${Y}-${M}-21`
  const r1 = await town1.post(`${P}/duty_rosters`, rosterBody(day, '24h'))
  assert.equal(r1.status, 201, show(r1))
  const r2 = await town1.post(`${P}/duty_rosters`, rosterBody(next, '24h', { officers: [{ name: '测试接班员' }, { user_id: users.town1 }] }))
  assert.equal(r2.status, 201, show(r2))
  // town1 hands over (from: the caller by default) to the next roster's officer
  const h1 = await town1.post(`${P}/duty_handovers`, {
    roster_id: r1.json.id,
    to_name: '测试接班员',
    at: `${next}T00:00:00Z`,
    summary: '本班平稳',
    open_items: [{ text: '待核实河道险情', done: false }, { text: '已办结事项', done: true }],
  })
  assert.equal(h1.status, 201, show(h1))
  assert.equal(h1.json.from_user_id, users.town1)
  assert.equal(h1.json.org_id, org.id)
  assert.equal(h1.json.division_code, TOWN1)
  assert.equal(h1.json.carried_count, 0)

  const h2 = await town1.post(`${P}/duty_handovers`, {
    roster_id: r2.json.id,
    from_name: '测试接班员',
    to_user_id: users.town1,
    at: `${next}T23:00:00Z`,
    summary: '续报河道情况',
    open_items: [{ text: '新增：检查物资库' }],
  })
  assert.equal(h2.status, 201, show(h2))
  assert.deepEqual(h2.json.open_items, [
    { text: '新增：检查物资库', done: false },
    { text: '待核实河道险情', done: false, carried_from: h1.json.id },
  ])
  assert.equal(h2.json.carried_count, 1)
  assert.equal(h2.json.prev_handover_id, h1.json.id)

  // PATCH marks an item done; the next handover no longer carries it
  const p = await town1.patch(`${P}/duty_handovers/${h2.json.id}`, {
    open_items: [{ text: '新增：检查物资库', done: true }, { text: '待核实河道险情', done: false, carried_from: h1.json.id }],
  })
  assert.equal(p.status, 200, show(p))
  const h3 = await town1.post(`${P}/duty_handovers`, {
    roster_id: r2.json.id, from_name: '测试接班员', to_user_id: users.town1, at: `${next}T23:30:00Z`, summary: '补充交接',
  })
  assert.equal(h3.status, 201, show(h3))
  assert.deepEqual(h3.json.open_items.map((i) => [i.text, i.carried_from]), [['待核实河道险情', h1.json.id]])

  // someone not on the roster; a to-person not on the next roster
  assertError(await town1.post(`${P}/duty_handovers`, { roster_id: r1.json.id, from_name: '路人', to_name: '测试接班员', summary: 'x' }), 422, 'validation_failed')
  assertError(await duty.post(`${P}/duty_handovers`, { roster_id: r1.json.id, to_name: '测试接班员', summary: 'x' }), 422, 'validation_failed')
  assertError(await town1.post(`${P}/duty_handovers`, { roster_id: r1.json.id, to_name: '路人', summary: 'x' }), 422, 'validation_failed')
  assertError(await town1.post(`${P}/duty_handovers`, { roster_id: r1.json.id, to_name: '测试接班员', summary: 'x', open_items: 'x' }), 422, 'validation_failed')
  // the log: listed by roster, not deletable, and its roster stays
  const l = await town1.get(`${P}/duty_handovers?roster_id=${r2.json.id}&sort=at`)
  assert.deepEqual(l.json.items.map((x) => x.id), [h2.json.id, h3.json.id])
  assertError(await town1.del(`${P}/duty_handovers/${h1.json.id}`), 405, 'method_not_allowed')
  assert.equal((await town1.get(`${P}/duty_handovers/${h1.json.id}`)).status, 200, 'the handover stays')
  assertError(await town1.del(`${P}/duty_rosters/${r1.json.id}`), 409, 'has_handovers')
  assertError(await town2.get(`${P}/duty_handovers/${h1.json.id}`), 404, 'not_found')
})

test('roles: staff and viewers read, administrators and duty officers write', async () => {
  for (const c of [viewer, commander]) {
    assert.equal((await c.get(`${P}/duty/now`)).status, 200)
    assert.equal((await c.get(`${P}/duty_rosters`)).status, 200)
    assertError(await c.post(`${P}/duty_rosters`, rosterBody(`${Y}-${M}-25`, 'day')), 403, 'forbidden')
    assertError(await c.post(`${P}/duty_handovers`, { roster_id: 1, summary: 'x' }), 403, 'forbidden')
  }
  for (const c of [info, team]) {
    assertError(await c.get(`${P}/duty/now`), 403, 'forbidden')
    assertError(await c.get(`${P}/duty_rosters`), 403, 'forbidden')
  }
  const r = await admin.post(`${P}/duty_rosters`, rosterBody(`${Y}-${M}-25`, 'day'))
  assert.equal(r.status, 201, show(r))
  const csv = await duty.get(`${P}/duty_rosters/export.csv?org_id=${org.id}`)
  assert.equal(csv.status, 200)
  assert.ok(csv.text.includes('值班日期') && csv.text.includes('测试值班员甲'))
})
