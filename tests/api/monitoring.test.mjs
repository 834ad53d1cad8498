// Monitoring and early warning (监测预警, SPEC C3) over HTTP: the registries and their
// jurisdiction (a town sees its points, an enterprise only its own), rule validation,
// readings in the line and JSON formats with gateway keys (wrong key 401, malformed batch 400
// with nothing stored, per-reading rejections), a threshold crossing that raises a warning
// seen on the board, in the SSE stream of the town (not of the other town), in the chart
// endpoint with its thresholds and warning period and in its events with the readings;
// duplicates; acknowledgement (签收) by role; the in-app notice to the point's responsible
// person; key rotation; and no data (掉线) with the test clock.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { req, show, assertError, as, sse, setClock, sleep, dbInt, uniq, TOWN1, TOWN2 } from './lib.mjs'

const P = '/api/v1'
const KEY1 = 'GW-DEMO-01:demo-gw-01-key'
let admin, duty, town1, town2, viewer, enterprise, commander
let gw1, wl // the demo gateway GW-DEMO-01 and the sensor WL-001 (青石镇, water level)

function send(body, { key = KEY1, type = 'text/plain' } = {}) {
  const headers = key ? { 'X-Gateway-Key': key } : {}
  return req('POST', `${P}/readings`, { body, contentType: type, headers })
}

async function waitFor(fn, ms = 5000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) return v
    await sleep(100)
  }
}

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  town1 = await as('town1')
  town2 = await as('town2')
  viewer = await as('viewer')
  enterprise = await as('enterprise')
  commander = await as('commander')
  gw1 = (await admin.get(`${P}/monitor-gateways?q=GW-DEMO-01`)).json.items[0]
  wl = (await admin.get(`${P}/monitor-sensors?q=WL-001`)).json.items[0]
  assert.ok(gw1 && wl, 'demo gateway and sensor')
})

after(async () => {
  await setClock(0)
})

test('registries: jurisdiction, enterprise scoping and validation', async () => {
  const t1 = await town1.get(`${P}/monitor-points?page_size=500`)
  assert.equal(t1.status, 200, show(t1))
  assert.ok(t1.json.total > 0)
  assert.ok(t1.json.items.every((p) => p.division_code.startsWith(TOWN1)))
  const mp1 = t1.json.items.find((p) => p.code === 'MP-001')
  assert.ok(mp1)
  assertError(await town2.get(`${P}/monitor-points/${mp1.id}`), 404, 'not_found')
  const ent = await enterprise.get(`${P}/monitor-points?page_size=500`)
  assert.equal(ent.status, 200)
  assert.ok(ent.json.total >= 1)
  assert.ok(ent.json.items.every((p) => p.enterprise_id === enterprise.user.enterprise_id), show(ent))
  const entSensors = await enterprise.get(`${P}/monitor-sensors?page_size=500`)
  assert.ok(entSensors.json.items.every((s) => s.enterprise_id === enterprise.user.enterprise_id))

  const code = uniq('MP-T')
  const p = await duty.post(`${P}/monitor-points`, {
    code, name: '测试监测点', kind: 'flash_flood', division_code: TOWN1, lon: 102.3, lat: 38.4,
  })
  assert.equal(p.status, 201, show(p))
  assert.equal(p.json.status, 'normal')
  assertError(await viewer.post(`${P}/monitor-points`, { code: uniq('X'), name: 'x', kind: 'other',
    division_code: TOWN1, lon: 102.3, lat: 38.4 }), 403)
  // a sensor takes its division from its point; another town's point is refused
  const s = await town1.post(`${P}/monitor-sensors`, { code: uniq('S-'), point_id: p.json.id,
    gateway_id: gw1.id, type: 'water_level', unit: 'm' })
  assert.equal(s.status, 201, show(s))
  assert.equal(s.json.division_code, TOWN1)
  const e = assertError(await town2.post(`${P}/monitor-sensors`, { code: uniq('S-'),
    point_id: p.json.id, gateway_id: gw1.id, type: 'water_level' }), 422, 'validation_failed')
  assert.ok(e.fields.point_id)
  // gateway keys never leave the server
  const g = await admin.get(`${P}/monitor-gateways/${gw1.id}`)
  assert.equal(g.json.key_hash, undefined)
  assert.ok(!g.text.includes('demo-gw-01-key'))
})

test('rules: thresholds must rise with the level; a combination needs its point', async () => {
  const bad = await admin.post(`${P}/monitor-rules`, { name: '错误', kind: 'threshold',
    sensor_type: 'water_level', division_code: '620390', blue: 3, yellow: 2 })
  const e = assertError(bad, 422, 'validation_failed')
  assert.ok(Object.keys(e.fields).length > 0)
  assertError(await admin.post(`${P}/monitor-rules`, { name: '组合', kind: 'combo',
    division_code: '620390', members: [1, 2] }), 422, 'validation_failed')
  assertError(await admin.post(`${P}/monitor-rules`, { name: '无阈值', kind: 'threshold',
    sensor_type: 'water_level', division_code: '620390' }), 422, 'validation_failed')
  assertError(await duty.post(`${P}/monitor-rules`, { name: '值班员', kind: 'threshold',
    sensor_type: 'water_level', division_code: '620390', blue: 1 }), 403)
  const ok = await admin.post(`${P}/monitor-rules`, { name: '温度测试', kind: 'threshold',
    sensor_type: 'temperature', division_code: TOWN2, direction: 'below', blue: 0, yellow: -5,
    orange: -10, red: -20, enabled: false })
  assert.equal(ok.status, 201, show(ok))
})

test('readings: gateway keys, malformed batches store nothing, per-reading rejections', async () => {
  const now = Date.now()
  const stored = 'SELECT (SELECT COALESCE(SUM(n), 0) FROM monitor_reading_journal) + (SELECT COALESCE(SUM(n), 0) FROM monitor_reading_blocks)'
  const before = await dbInt(stored)
  assertError(await send(`WL-001 1.0 ${now}`, { key: 'GW-DEMO-01:wrong' }), 401, 'gateway_unauthorised')
  assertError(await send(`WL-001 1.0 ${now}`, { key: null }), 401, 'gateway_unauthorised')
  assertError(await send(`WL-001 1.0 ${now}\nWL-001 x ${now + 1}`), 400, 'bad_readings')
  assertError(await send('{"readings": [{"sensor": "WL-001", "value": 1}', { type: 'application/json' }), 400)
  assert.equal(await dbInt(stored), before)
  const r = await send(`@batch api-1\nWL-001 1.5 ${now - 60000}\nSH-001-RG 0 ${now}\nNOPE 1 ${now}\nWL-001 1.6 ${now + 3600000}`)
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.batch, 'api-1')
  assert.equal(r.json.accepted, 1)
  assert.deepEqual(r.json.rejected.map((x) => [x.index, x.code]),
    [[1, 'wrong_gateway'], [2, 'unknown_sensor'], [3, 'future_reading']])
  assert.ok(r.json.rejected.every((x) => x.message && x.message_en))
})

test('a threshold crossing raises a warning: board, SSE by jurisdiction, chart, events', async () => {
  const s1 = await sse(town1.token)
  const s2 = await sse(town2.token)
  try {
    assert.ok(await s1.waitFor((e) => e.event === 'hello', 5000))
    assert.ok(await s2.waitFor((e) => e.event === 'hello', 5000))
    // the newest readings of WL-001 (the demo's history runs up to the moment it was loaded):
    // rules are evaluated at a sensor's newest reading
    const now = Date.now()
    const body = { batch: 'api-json', readings: [
      { sensor: 'WL-001', ts: new Date(now - 3000).toISOString(), value: 2.4 },
      { sensor: 'WL-001', ts: now - 2000, value: 3.05 },
    ] }
    const r = await send(JSON.stringify(body), { type: 'application/json' })
    assert.equal(r.status, 200, show(r))
    assert.equal(r.json.accepted, 2)
    const raised = r.json.warnings.find((w) => w.sensor_id === wl.id)
    assert.ok(raised, show(r))
    assert.equal(raised.action, 'raise')
    assert.equal(raised.level, 'yellow') // 3.05 >= 3.0 (yellow), < 3.5 (orange)

    const ev = await s1.waitFor((e) => e.data && e.data.entity === 'monitor_warnings' &&
      String(e.data.id) === String(raised.id), 5000)
    assert.ok(ev, 'town1 sees the warning live')
    await sleep(300)
    assert.ok(!s2.events.some((e) => e.data && e.data.entity === 'monitor_warnings' &&
      String(e.data.id) === String(raised.id)), 'town2 does not')

    const board = (await town1.get(`${P}/monitor-board`)).json
    const w = board.active.find((x) => x.id === raised.id)
    assert.ok(w, 'on the board')
    assert.equal(w.point_name, '青石镇山洪监测点')
    assert.ok(w.advice.length > 0)
    assert.ok(board.counts.yellow >= 1)
    assert.ok(board.points.yellow >= 1)
    assert.ok(!(await town2.get(`${P}/monitor-board`)).json.active.some((x) => x.id === raised.id))

    const chart = (await viewer.get(`${P}/monitor-sensors/${wl.id}/readings`)).json
    assert.equal(chart.resolution, 'raw')
    assert.ok(chart.points.some(([, v]) => v === 3.05))
    assert.ok(chart.thresholds.some((t) => t.level === 'yellow' && t.value === 3.0))
    assert.ok(chart.warnings.some((x) => x.id === raised.id && x.closed_at == null))
    const hourly = await viewer.get(`${P}/monitor-sensors/${wl.id}/readings?resolution=hour`)
    assert.equal(hourly.status, 200, show(hourly))
    assert.ok(hourly.json.points.length >= 20 && hourly.json.points[0].length === 5)
    assertError(await viewer.get(`${P}/monitor-sensors/${wl.id}/readings?resolution=minute`), 422)
    assertError(await town2.get(`${P}/monitor-sensors/${wl.id}/readings`), 404)

    const events = (await viewer.get(`${P}/monitor-warnings/${raised.id}/events`)).json.items
    assert.equal(events.length, 1)
    assert.equal(events[0].action, 'raise')
    assert.ok(events[0].readings.some(([, v]) => v === 3.05))

    // the same batch again: duplicates only, nothing raised
    const again = await send(JSON.stringify(body), { type: 'application/json' })
    assert.equal(again.json.duplicates, 2)
    assert.equal(again.json.warnings.length, 0)
    assert.equal(await dbInt(`SELECT COUNT(*) FROM monitor_warnings WHERE sensor_id = ${wl.id} AND state = 'active' AND rule_kind = 'threshold'`), 1)

    // a rise past 3.5 escalates the same warning
    const up = await send(`WL-001 3.6 ${now - 1000}`)
    assert.deepEqual(up.json.warnings.map((x) => [x.id, x.action, x.level]), [[raised.id, 'escalate', 'orange']])
    const full = (await admin.get(`${P}/monitor-warnings/${raised.id}`)).json
    assert.equal(full.max_level, 'orange')
    assert.equal(full.published, true) // orange reaches the publication level
    assert.equal(await dbInt(`SELECT COUNT(*) FROM outbox WHERE topic = 'monitoring.publish' AND id LIKE 'monitor:warning:${raised.id}:%'`), 1)
  } finally {
    s1.close()
    s2.close()
  }
})

test('acknowledgement (签收) and the responsible person\'s notice', async () => {
  const w = (await duty.get(`${P}/monitor-warnings?state=active&sensor_id=${wl.id}`)).json.items[0]
  assert.ok(w)
  assertError(await viewer.post(`${P}/monitor-warnings/${w.id}/ack`, {}), 403)
  assertError(await duty.post(`${P}/monitor-warnings/${w.id}/ack`, { note: 'x', extra: 1 }), 422)
  const a = await duty.post(`${P}/monitor-warnings/${w.id}/ack`, { note: '已通知青石镇转移沿河群众' })
  assert.equal(a.status, 200, show(a))
  assert.equal(a.json.acked_by_name, 'duty')
  assert.ok(a.json.acked_at)
  assertError(await commander.post(`${P}/monitor-warnings/${w.id}/ack`, {}), 409, 'already_acknowledged')

  // town1 is the responsible account of MP-001: the notice arrives through the outbox
  const mine = await waitFor(async () => {
    const r = (await town1.get(`${P}/monitor-notices/mine`)).json
    return r.items.find((n) => n.warning_id === w.id) && r
  })
  assert.ok(mine, 'notice delivered')
  const n = mine.items.find((x) => x.warning_id === w.id)
  assert.match(n.message, /预警/)
  assertError(await town2.post(`${P}/monitor-notices/${n.id}/read`, {}), 404)
  const read = await town1.post(`${P}/monitor-notices/${n.id}/read`, {})
  assert.equal(read.status, 200, show(read))
})

test('key rotation: the new key works, the old one is refused', async () => {
  const gw2 = (await admin.get(`${P}/monitor-gateways?q=GW-DEMO-02`)).json.items[0]
  assertError(await duty.post(`${P}/monitor-gateways/${gw2.id}/rotate-key`, {}), 403)
  const r = await admin.post(`${P}/monitor-gateways/${gw2.id}/rotate-key`, {})
  assert.equal(r.status, 200, show(r))
  assert.match(r.json.key, /^GW-DEMO-02:/)
  const now = Date.now()
  assertError(await send(`SH-001-RG 0 ${now}`, { key: 'GW-DEMO-02:demo-gw-02-key' }), 401)
  const ok = await send(`SH-001-RG 0 ${now}`, { key: r.json.key })
  assert.equal(ok.status, 200, show(ok))
  assert.equal(ok.json.accepted, 1)
})

test('no data (掉线): silent sensors go offline, a reading brings one back', async () => {
  await setClock(2 * 3600) // two hours without readings; the no-data job is due at once
  const off = await waitFor(async () => {
    const s = (await admin.get(`${P}/monitor-sensors/${wl.id}`)).json
    return s.state === 'offline' && s
  }, 8000)
  assert.ok(off, 'WL-001 went offline')
  assert.ok(await dbInt(`SELECT COUNT(*) FROM monitor_warnings WHERE sensor_id = ${wl.id} AND rule_kind = 'nodata' AND state = 'active'`) === 1)
  const r = await send(`WL-001 1.0 ${Date.now() + 2 * 3600 * 1000}`)
  assert.equal(r.status, 200, show(r))
  assert.ok(r.json.warnings.some((w) => w.action === 'close'), show(r))
  assert.equal((await admin.get(`${P}/monitor-sensors/${wl.id}`)).json.state, 'online')
  await setClock(0)
})
