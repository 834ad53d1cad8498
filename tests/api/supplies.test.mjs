// Supplies (应急物资): warehouses, catalogue, the append-only ledger and its derived balances,
// refusals below zero, expiring batches, demand, allocation proposal and confirmation, parallel
// transfers conserving stock, roles and jurisdiction, and the demo data's shape.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { show, assertError, as, uniq, listAll, total, TOWN1, TOWN2, COUNTY } from './lib.mjs'

let admin, duty, town1, viewer, enterprise, city
let item, w1, w2
const W1_POS = { lon: 102.1, lat: 38.3 }
const W2_POS = { lon: 102.1, lat: 38.75 } // 50 km north of W1

function dateIn(days) {
  return new Date(Date.now() + days * 86400e3).toISOString().slice(0, 10)
}

async function qty(c, wh, it, batch) {
  const r = await c.get(`/api/v1/supply-stock?warehouse_id=${wh}&item_id=${it}&page_size=500`)
  assert.equal(r.status, 200, show(r))
  return r.json.items.filter((s) => batch === undefined || s.batch_no === batch).reduce((a, s) => a + s.quantity, 0)
}

async function book(c, body, status = 201) {
  const r = await c.post('/api/v1/supply-movements', body)
  assert.equal(r.status, status, show(r))
  return r.json
}

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  town1 = await as('town1')
  viewer = await as('viewer')
  enterprise = await as('enterprise')
  city = await as('city')
  const code = uniq('T-')
  let r = await admin.post('/api/v1/supply-items', { code, name: '测试棉被', category: 'living', unit: '床' })
  assert.equal(r.status, 201, show(r))
  item = r.json.id
  r = await admin.post('/api/v1/warehouses', {
    name: uniq('测试一号库'), level: 'town', kind: 'government', division_code: TOWN1, ...W1_POS,
  })
  assert.equal(r.status, 201, show(r))
  w1 = r.json.id
  r = await admin.post('/api/v1/warehouses', {
    name: uniq('测试二号库'), level: 'town', kind: 'government', division_code: TOWN2, ...W2_POS,
  })
  assert.equal(r.status, 201, show(r))
  w2 = r.json.id
})

test('demo: warehouses at four levels, agreement stock, the 专栏4 catalogue, stock and expiring batches', async () => {
  const county = await listAll(admin, '/api/v1/warehouses')
  const by = (items, k, v) => items.filter((w) => w[k] === v && !w.name.includes('测试')).length
  assert.ok(by(county.items, 'level', 'county') >= 1)
  assert.ok(by(county.items, 'level', 'town') >= 12)
  assert.ok(by(county.items, 'level', 'village') >= 20)
  assert.ok(by(county.items, 'kind', 'agreement') >= 3)
  for (const w of county.items) assert.ok(w.division_code.startsWith(COUNTY), 'county admin sees the county only')
  for (const w of county.items.filter((x) => x.kind === 'agreement')) assert.ok(w.holder, 'agreement stock names its holder')
  const cityAll = await listAll(city, '/api/v1/warehouses?level=city')
  assert.ok(cityAll.total >= 1, 'a city-level warehouse for the city administrator')
  const items = await listAll(admin, '/api/v1/supply-items')
  assert.ok(items.total >= 40, `catalogue: ${items.total}`)
  const cats = new Set(items.items.map((i) => i.category))
  for (const c of ['living', 'fire', 'forest', 'flood', 'mine']) assert.ok(cats.has(c), `category ${c}`)
  assert.ok((await total(admin, '/api/v1/supply-stock')) > 300)
  assert.ok((await total(admin, '/api/v1/supply-movements?kind=receive')) > 300)
  assert.ok((await total(admin, '/api/v1/supplier-capacity')) >= 5)
  assert.ok((await total(admin, '/api/v1/supply-standards')) >= 10)
  const exp = await admin.get('/api/v1/supplies/expiring?days=30')
  assert.equal(exp.status, 200, show(exp))
  assert.ok(exp.json.total > 0, 'some demo batches expire within 30 days')
  // the town officer sees only the town's warehouses and stock
  const t = await listAll(town1, '/api/v1/warehouses')
  assert.ok(t.total >= 1)
  for (const w of t.items) assert.ok(w.division_code.startsWith(TOWN1))
})

test('ledger → balances: receive, transfer (two effects), issue refused below zero with nothing written', async () => {
  const soon = dateIn(10)
  const m = await book(duty, { kind: 'receive', item_id: item, warehouse_id: w1, quantity: 100, batch_no: 'B1', expiry_date: soon, unit_cost: 120.5 })
  assert.equal(m.division_code, TOWN1)
  assert.equal(m.created_by, 'duty')
  assert.equal(await qty(admin, w1, item, 'B1'), 100)
  await book(duty, { kind: 'transfer', item_id: item, warehouse_id: w1, to_warehouse_id: w2, quantity: 30, batch_no: 'B1' })
  assert.equal(await qty(admin, w1, item, 'B1'), 70)
  assert.equal(await qty(admin, w2, item, 'B1'), 30)
  const s2 = (await admin.get(`/api/v1/supply-stock?warehouse_id=${w2}&item_id=${item}`)).json.items[0]
  assert.equal(s2.expiry_date, soon, 'the batch keeps its expiry date')

  const moves = await total(admin, `/api/v1/supply-movements?item_id=${item}`)
  const e = assertError(await duty.post('/api/v1/supply-movements', { kind: 'issue', item_id: item, warehouse_id: w1, quantity: 71 }), [409, 422], 'insufficient_stock')
  assert.match(e.message, /库存不足/)
  assert.match(e.message_en, /insufficient/)
  assertError(await duty.post('/api/v1/supply-movements', { kind: 'transfer', item_id: item, warehouse_id: w2, to_warehouse_id: w1, quantity: 31, batch_no: 'B1' }), [409, 422], 'insufficient_stock')
  assert.equal(await total(admin, `/api/v1/supply-movements?item_id=${item}`), moves, 'nothing written')
  assert.equal(await qty(admin, w1, item), 70)
  assert.equal(await qty(admin, w2, item), 30)

  // cross-field rules
  assertError(await duty.post('/api/v1/supply-movements', { kind: 'transfer', item_id: item, warehouse_id: w1, quantity: 1 }), 422, 'validation_failed')
  assertError(await duty.post('/api/v1/supply-movements', { kind: 'issue', item_id: item, warehouse_id: w1, quantity: 0 }), 422, 'validation_failed')
  assertError(await duty.post('/api/v1/supply-movements', { kind: 'issue', item_id: item, warehouse_id: w1, quantity: 1, division_code: TOWN1 }), 422)
})

test('the ledger is append-only: no PATCH or DELETE, the balance has no write routes', async () => {
  const list = (await admin.get(`/api/v1/supply-movements?item_id=${item}&page_size=1`)).json.items
  const id = list[0].id
  const p = await admin.patch(`/api/v1/supply-movements/${id}`, { reason: 'x' })
  assert.ok([404, 405].includes(p.status), show(p))
  const d = await admin.del(`/api/v1/supply-movements/${id}`)
  assert.ok([404, 405].includes(d.status), show(d))
  const sid = (await admin.get(`/api/v1/supply-stock?item_id=${item}`)).json.items[0].id
  const sp = await admin.patch(`/api/v1/supply-stock/${sid}`, { quantity: 1 })
  assert.ok([404, 405].includes(sp.status), show(sp))
  const sc = await admin.post('/api/v1/supply-stock', { warehouse_id: w1, item_id: item, quantity: 1 })
  assert.ok([404, 405].includes(sc.status), show(sc))
  assert.equal((await admin.get(`/api/v1/supply-movements/${id}`)).status, 200)
})

test('a correction is a reversing entry (冲正), booked once', async () => {
  const m = await book(duty, { kind: 'receive', item_id: item, warehouse_id: w1, quantity: 9, batch_no: 'R1' })
  assert.equal(await qty(admin, w1, item, 'R1'), 9)
  const r = await duty.post(`/api/v1/supply-movements/${m.id}/reverse`, { reason: '录入错误' })
  assert.equal(r.status, 201, show(r))
  assert.equal(r.json.kind, 'issue')
  assert.equal(r.json.reverses_id, m.id)
  assert.equal(r.json.quantity, 9)
  assert.match(r.json.reason, /冲正/)
  assert.equal(await qty(admin, w1, item, 'R1'), 0)
  assertError(await duty.post(`/api/v1/supply-movements/${m.id}/reverse`, {}), [409, 422])
  assertError(await viewer.post(`/api/v1/supply-movements/${m.id}/reverse`, {}), 403, 'forbidden')
})

test('roles and jurisdiction', async () => {
  assertError(await enterprise.get('/api/v1/warehouses'), 403, 'forbidden')
  assertError(await viewer.post('/api/v1/supply-movements', { kind: 'receive', item_id: item, warehouse_id: w1, quantity: 1 }), 403, 'forbidden')
  assert.equal((await viewer.get('/api/v1/supply-stock')).status, 200)
  assertError(await duty.post('/api/v1/supply-stock/rebuild', {}), 403, 'forbidden')
  // a town officer cannot move another town's stock
  assertError(await town1.post('/api/v1/supply-movements', { kind: 'issue', item_id: item, warehouse_id: w2, quantity: 1 }), [403, 404, 422])
  assert.equal((await town1.get(`/api/v1/warehouses/${w2}`)).status, 404)
  assert.equal(await qty(town1, w2, item), 0, 'the other town is invisible')
})

test('expiring batches within N days', async () => {
  const r = await admin.get('/api/v1/supplies/expiring?days=30')
  assert.equal(r.status, 200, show(r))
  const mine = r.json.items.filter((x) => x.item_id === item)
  assert.equal(mine.length, 2, show(r))
  for (const x of mine) {
    assert.equal(x.batch_no, 'B1')
    assert.equal(x.days_left, 10)
    assert.equal(x.expired, false)
  }
  const short = await admin.get('/api/v1/supplies/expiring?days=5')
  assert.equal(short.json.items.filter((x) => x.item_id === item).length, 0)
  const t = await town1.get('/api/v1/supplies/expiring?days=30')
  for (const x of t.json.items) assert.ok(x.division_code.startsWith(TOWN1))
  assertError(await admin.get('/api/v1/supplies/expiring?days=abc'), 422, 'validation_failed')
})

test('demand from the standards', async () => {
  const r = await duty.post('/api/v1/supplies/demand', { lon: 102.2, lat: 38.4, households: 100, people: 320 })
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.households, 100)
  assert.equal(r.json.people, 320)
  const byName = Object.fromEntries(r.json.items.map((i) => [i.name, i]))
  assert.equal(byName['救灾帐篷'].quantity, 100, 'one tent per household')
  assert.equal(byName['棉被'].quantity, 320, 'one quilt per person')
  assert.ok(byName['饮用水'] && byName['方便食品'], 'water and food')
  const d = await duty.post('/api/v1/supplies/demand', { households: 10, division_code: TOWN1 })
  assert.equal(d.status, 200, show(d))
  assert.ok(d.json.people >= 20 && d.json.people <= 40, `people from the division's household size: ${d.json.people}`)
  assertError(await duty.post('/api/v1/supplies/demand', {}), 422, 'validation_failed')
  assertError(await duty.post('/api/v1/supplies/demand', { people: -1 }), 422, 'validation_failed')
})

test('allocation: proposal sorted by arrival, the 2-hour flag, confirm all or nothing', async () => {
  // W1 holds 70, W2 (50 km away) 30 of the test item
  const p = await duty.post('/api/v1/supplies/allocation/propose', { ...W1_POS, items: [{ item_id: item, quantity: 90 }] })
  assert.equal(p.status, 200, show(p))
  const it = p.json.items[0]
  assert.equal(it.required, 90)
  assert.equal(it.allocated, 90)
  assert.equal(it.shortfall, 0)
  assert.deepEqual(it.allocations.map((a) => [a.warehouse_id, a.quantity]), [[w1, 70], [w2, 20]])
  assert.ok(it.allocations[0].eta_minutes <= it.allocations[1].eta_minutes)
  assert.ok(Math.abs(it.allocations[1].distance_km - 50) < 0.5, show(p))
  assert.ok(Math.abs(it.allocations[1].eta_minutes - 75) < 1, '50 km at 40 km/h')
  assert.equal(it.allocations[1].meets_target, true)
  assert.equal(p.json.all_on_time, true)
  // at 20 km/h the second warehouse misses the 2-hour target
  const slow = await duty.post('/api/v1/supplies/allocation/propose', { ...W1_POS, speed_kmh: 20, items: [{ item_id: item, quantity: 90 }] })
  assert.equal(slow.json.items[0].late, true)
  assert.equal(slow.json.items[0].allocations[1].meets_target, false)
  assert.deepEqual(slow.json.late_items, [item])
  // more than the stock: a shortfall
  const big = await duty.post('/api/v1/supplies/allocation/propose', { ...W1_POS, items: [{ item_id: item, quantity: 500 }] })
  assert.equal(big.json.items[0].shortfall, 400)
  assert.equal(big.json.all_covered, false)
  // from households and people with the demo standards
  const std = await duty.post('/api/v1/supplies/allocation/propose', { lon: 102.2, lat: 38.4, households: 50, people: 160 })
  assert.equal(std.status, 200, show(std))
  assert.ok(std.json.items.length >= 10)
  for (const x of std.json.items) {
    for (let i = 1; i < x.allocations.length; i++) assert.ok(x.allocations[i - 1].eta_minutes <= x.allocations[i].eta_minutes)
  }
  assertError(await duty.post('/api/v1/supplies/allocation/propose', { lat: 38.4, households: 5 }), 422)

  // confirm: one line too many → nothing booked
  const before = await total(admin, `/api/v1/supply-movements?item_id=${item}`)
  const incident = uniq('INC-')
  const bad = await duty.post('/api/v1/supplies/allocation/confirm', {
    incident_ref: incident, destination: '青石镇集中安置点',
    lines: [{ warehouse_id: w1, item_id: item, quantity: 10 }, { warehouse_id: w2, item_id: item, quantity: 31 }],
  })
  assertError(bad, [409, 422], 'insufficient_stock')
  assert.equal(await total(admin, `/api/v1/supply-movements?item_id=${item}`), before)
  assert.equal(await qty(admin, w1, item), 70)
  // the proposal's lines, booked as 出库 to a destination
  const ok = await duty.post('/api/v1/supplies/allocation/confirm', {
    incident_ref: incident, destination: '青石镇集中安置点', lines: p.json.lines,
  })
  assert.equal(ok.status, 201, show(ok))
  assert.equal(ok.json.count, 2)
  for (const m of ok.json.movements) {
    assert.equal(m.kind, 'issue')
    assert.equal(m.incident_ref, incident)
  }
  assert.equal(await qty(admin, w1, item), 0)
  assert.equal(await qty(admin, w2, item), 10)
  assert.equal(await total(admin, `/api/v1/supply-movements?incident_ref=${encodeURIComponent(incident)}`), 2)
})

test('parallel transfers and issues (40 requests at once) conserve stock; rebuild agrees', async () => {
  await book(duty, { kind: 'receive', item_id: item, warehouse_id: w1, quantity: 200, batch_no: 'P' })
  await book(duty, { kind: 'receive', item_id: item, warehouse_id: w2, quantity: 200, batch_no: 'P' })
  const start = (await qty(admin, w1, item, 'P')) + (await qty(admin, w2, item, 'P'))
  assert.equal(start, 400)
  const reqs = []
  for (let i = 0; i < 40; i++) {
    const from = i % 2 ? w1 : w2
    const to = i % 2 ? w2 : w1
    if (i % 5 === 0) reqs.push(duty.post('/api/v1/supply-movements', { kind: 'issue', item_id: item, warehouse_id: from, quantity: 60, batch_no: 'P' }))
    else reqs.push(duty.post('/api/v1/supply-movements', { kind: 'transfer', item_id: item, warehouse_id: from, to_warehouse_id: to, quantity: 17 + i, batch_no: 'P' }))
  }
  const res = await Promise.all(reqs)
  let issued = 0
  let refused = 0
  res.forEach((r, i) => {
    if (r.status === 201) {
      if (r.json.kind === 'issue') issued += r.json.quantity
    } else {
      assertError(r, [409, 422], 'insufficient_stock')
      refused++
    }
    assert.ok(r.status === 201 || r.status === 409 || r.status === 422, `request ${i}: ${show(r)}`)
  })
  const a = await qty(admin, w1, item, 'P')
  const b = await qty(admin, w2, item, 'P')
  assert.ok(a >= 0 && b >= 0, `no negative balance: ${a}, ${b}`)
  assert.equal(a + b, start - issued, `conserved: ${a} + ${b} = ${start} - ${issued} (refused ${refused})`)
  const rb = await admin.post('/api/v1/supply-stock/rebuild', { dry_run: true })
  assert.equal(rb.status, 200, show(rb))
  assert.deepEqual(rb.json.differences, [])
  assert.equal(rb.json.consistent, true)
  assert.equal(rb.json.ledger_total, rb.json.stock_total)
})

test('rebuild: refuses unknown fields, an administrator may run it', async () => {
  assertError(await admin.post('/api/v1/supply-stock/rebuild', { bogus: 1 }), 422, 'validation_failed')
  const r = await admin.post('/api/v1/supply-stock/rebuild', {})
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.consistent, true)
  assert.equal(r.json.corrected, 0)
})
