// Incidents (SPEC C1): intake → grade → response level → reports → 迟报 via the test clock →
// close with evaluation; attachments (upload, download, refusals); jurisdiction.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { as, show, assertError, ok, setClock, req, TOWN1, TOWN2, COUNTY } from './lib.mjs'

let duty, commander, viewer, town1, town2, enterprise

const iso = (msAgo) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function intake(over = {}) {
  return {
    title: '测试：危化品仓库爆炸',
    source: 'phone',
    occurred_at: iso(10 * 60 * 1000),
    address: '青石镇化工园区',
    lon: 102.3,
    lat: 38.4,
    division_code: TOWN1,
    event_type: '12D01',
    deaths: 10,
    serious_injuries: 2,
    injuries: 5,
    direct_loss_wan: 300,
    description: '仓库发生爆炸，现场有人员伤亡',
    ...over,
  }
}

before(async () => {
  duty = await as('duty')
  commander = await as('commander')
  viewer = await as('viewer')
  town1 = await as('town1')
  town2 = await as('town2')
  enterprise = await as('enterprise')
})

after(async () => {
  await setClock(0)
})

test('event types: the GB/T 35561 tree is loaded (371 codes)', async () => {
  const r = ok(await viewer.get('/api/v1/event_types?page_size=1'), 200)
  assert.equal(r.total, 371)
  const c = ok(await viewer.get('/api/v1/event_types?code=12D01'), 200)
  assert.equal(c.items[0].name, '危险化学品爆炸事故')
  assert.equal(c.items[0].parent_code, '12D00')
})

test('intake: unknown event type and bad input are refused; readers cannot write', async () => {
  let r = await duty.post('/api/v1/incidents', intake({ event_type: '19Z99' }))
  const e = assertError(r, 422, 'validation_failed')
  assert.ok(e.fields.event_type, show(r))
  r = await duty.post('/api/v1/incidents', intake({ grade: 'general' }))
  assertError(r, 422, 'validation_failed')
  r = await duty.post('/api/v1/incidents', intake({ source: 'fax' }))
  assertError(r, 422, 'validation_failed')
  r = await viewer.post('/api/v1/incidents', intake())
  assertError(r, 403, 'forbidden')
  r = await enterprise.get('/api/v1/incidents')
  assertError(r, 403, 'forbidden')
})

test('scenario: intake → grade → response level → reports → 迟报 → close', async () => {
  try {
    // intake: 10 deaths → 重大, suggested II
    let inc = ok(await duty.post('/api/v1/incidents', intake()), 201)
    assert.equal(inc.grade, 'major')
    assert.equal(inc.suggested_response_level, 'II')
    assert.equal(inc.status, 'reported')
    assert.equal(inc.production_safety, true)
    assert.equal(inc.late, false)
    const id = inc.id
    const tl0 = ok(await viewer.get(`/api/v1/incidents/${id}/timeline`), 200)
    assert.equal(tl0.items[0].kind, 'reported')

    // on the map
    const geo = await viewer.get(`/api/v1/incidents/export.geojson?status=reported`)
    assert.equal(geo.status, 200, show(geo))

    // regrade: 30 deaths → 特别重大, suggested I
    inc = ok(await duty.patch(`/api/v1/incidents/${id}`, { deaths: 30 }), 200)
    assert.equal(inc.grade, 'extraordinary')
    assert.equal(inc.suggested_response_level, 'I')
    inc = ok(await duty.patch(`/api/v1/incidents/${id}`, { deaths: 29 }), 200)
    assert.equal(inc.grade, 'major')
    assertError(await duty.patch(`/api/v1/incidents/${id}`, { grade: 'general' }), 422)

    // response level: commander only, I–IV, the suggestion is shown
    const got = ok(await commander.get(`/api/v1/incidents/${id}`), 200)
    assert.equal(got.suggested_response_level, 'II')
    assert.equal(got.can_set_response_level, true)
    assertError(await duty.post(`/api/v1/incidents/${id}/response-level`, { level: 'II' }), 403, 'forbidden')
    assertError(await commander.post(`/api/v1/incidents/${id}/response-level`, { level: 'V' }), 422)
    inc = ok(await commander.post(`/api/v1/incidents/${id}/response-level`, { level: 'I', reason: '事态可能扩大' }), 200)
    assert.equal(inc.response_level, 'I')

    // phone first report in time
    let rep = ok(
      await duty.post('/api/v1/incident_reports', { incident_id: id, kind: 'first', channel: 'phone', content: '电话首报：发生爆炸' }),
      201,
    )
    assert.match(rep.number, /^云岭应急〔\d{4}〕\d+号$/)
    assert.equal(rep.status, 'draft')
    assert.equal(rep.division_code, TOWN1)
    rep = ok(await duty.patch(`/api/v1/incident_reports/${rep.id}`, { content: '电话首报：危化品仓库爆炸，死亡 29 人' }), 200)
    const sent = ok(await duty.post(`/api/v1/incident_reports/${rep.id}/send`, {}), 200)
    assert.equal(sent.status, 'sent')
    assert.equal(sent.late, false)
    assert.equal(sent.rule, 'phone_first')
    assert.ok(sent.sent_at && sent.due_at)
    // frozen once sent
    assertError(await duty.patch(`/api/v1/incident_reports/${rep.id}`, { content: '改' }), 409, 'report_sent')
    assertError(await duty.post(`/api/v1/incident_reports/${rep.id}/send`, {}), 409, 'report_sent')
    // a report of an unknown incident
    assertError(await duty.post('/api/v1/incident_reports', { incident_id: 99999999, kind: 'first', channel: 'phone', content: 'x' }), 422)

    // the written first report is not sent within 1 hour → 迟报
    const stats0 = ok(await viewer.get('/api/v1/incidents/stats'), 200)
    await setClock(61 * 60)
    let late
    for (let i = 0; i < 50; i++) {
      late = ok(await viewer.get(`/api/v1/incidents/${id}`), 200)
      if (late.late) break
      await sleep(200)
    }
    assert.equal(late.late, true, show({ status: 0, text: JSON.stringify(late) }))
    assert.ok(late.late_items.some((x) => x.rule === 'written_first'), JSON.stringify(late.late_items))
    const stats1 = ok(await viewer.get('/api/v1/incidents/stats'), 200)
    assert.ok(stats1.late_incidents >= stats0.late_incidents + 1, JSON.stringify([stats0, stats1]))
    const major = stats1.by_grade.find((g) => g.grade === 'major')
    assert.ok(major.count >= 1 && major.late >= 1, JSON.stringify(stats1))
    // sending it now: the report itself is late
    const w = ok(
      await duty.post('/api/v1/incident_reports', { incident_id: id, kind: 'first', channel: 'written', content: '书面首报' }),
      201,
    )
    const ws = ok(await duty.post(`/api/v1/incident_reports/${w.id}/send`, {}), 200)
    assert.equal(ws.late, true)
    assert.equal(ws.rule, 'written_first')
    const stats2 = ok(await viewer.get('/api/v1/incidents/stats'), 200)
    assert.ok(stats2.late_reports >= stats1.late_reports + 1)
    const list = ok(await viewer.get(`/api/v1/incidents/${id}/reports`), 200)
    assert.equal(list.total, 2)

    // workflow
    assertError(await commander.post(`/api/v1/incidents/${id}/close`, { evaluation: '过早' }), 409)
    ok(await duty.post(`/api/v1/incidents/${id}/verify`, {}), 200)
    assertError(await duty.post(`/api/v1/incidents/${id}/respond`, {}), 403, 'forbidden')
    inc = ok(await commander.post(`/api/v1/incidents/${id}/respond`, {}), 200)
    assert.equal(inc.status, 'responding')
    assertError(await commander.post(`/api/v1/incidents/${id}/close`, {}), 422)
    assertError(await commander.post(`/api/v1/incidents/${id}/close`, { evaluation: '' }), 422)
    assertError(await commander.post(`/api/v1/incidents/${id}/close`, { evaluation: 'x', extra: 1 }), 422)
    inc = ok(await commander.post(`/api/v1/incidents/${id}/close`, { evaluation: '处置得当，报送迟报一次，已约谈。' }), 200)
    assert.equal(inc.status, 'closed')
    assert.equal(inc.evaluation, '处置得当，报送迟报一次，已约谈。')
    assert.ok(inc.closed_at)
    assertError(await duty.patch(`/api/v1/incidents/${id}`, { injuries: 6 }), 409, 'incident_closed')
    assertError(await commander.post(`/api/v1/incidents/${id}/response-level`, { level: 'II' }), 409)

    const tl = ok(await viewer.get(`/api/v1/incidents/${id}/timeline`), 200)
    const kinds = tl.items.map((x) => x.kind)
    for (const k of ['reported', 'graded', 'response_level', 'report_drafted', 'report_sent', 'late', 'verify', 'respond', 'close']) {
      assert.ok(kinds.includes(k), `timeline has ${k}: ${kinds.join(',')}`)
    }
  } finally {
    await setClock(0)
  }
})

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 7)])
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')

function upload(c, id, bytes, query) {
  return c.req('POST', `/api/v1/incidents/${id}/attachments?${query}`, { body: new Uint8Array(bytes), contentType: 'application/octet-stream' })
}

test('attachments: upload, download, type and size checks, no path traversal', async () => {
  const inc = ok(await duty.post('/api/v1/incidents', intake({ deaths: 0, title: '测试：附件' })), 201)
  let r = await upload(duty, inc.id, PNG, 'name=现场照片.png')
  const a = ok(r, 201)
  assert.equal(a.content_type, 'image/png')
  assert.equal(a.size, PNG.length)
  assert.match(a.sha256, /^[0-9a-f]{64}$/)
  const d = await viewer.get(`/api/v1/incident_attachments/${a.id}`)
  assert.equal(d.status, 200)
  assert.equal(d.headers.get('content-type'), 'image/png')
  assert.deepEqual(Buffer.from(d.bytes), PNG)
  assert.match(d.headers.get('content-disposition'), /filename\*=UTF-8''%E7%8E%B0/)
  const list = ok(await viewer.get(`/api/v1/incidents/${inc.id}/attachments`), 200)
  assert.equal(list.total, 1)

  // the declared type must match the bytes; other kinds are refused
  assertError(await upload(duty, inc.id, PNG, 'name=a.pdf&type=application/pdf'), 415, 'unsupported_media_type')
  assertError(await upload(duty, inc.id, Buffer.from('<html><script>alert(1)</script>'), 'name=a.jpg&type=image/jpeg'), 415)
  assertError(await upload(duty, inc.id, Buffer.from('MZ\x90\x00 not an exe'), 'name=a.exe'), 415)
  assertError(await upload(duty, inc.id, Buffer.from('PK\x03\x04 zip but no office parts'), 'name=a.docx'), 415)
  assertError(await upload(duty, inc.id, PNG, ''), 422)
  assertError(await upload(duty, inc.id, Buffer.alloc(0), 'name=empty.png'), 422)
  // over 20 MiB
  const big = Buffer.alloc(20 * 1024 * 1024 + 1)
  PNG.copy(big)
  assertError(await upload(duty, inc.id, big, 'name=big.png'), 413)
  // a path in the name is only a name
  const t = ok(await upload(duty, inc.id, PDF, `name=${encodeURIComponent('../../../etc/passwd.pdf')}`), 201)
  assert.equal(t.file_name, 'passwd.pdf')
  assert.equal(t.content_type, 'application/pdf')
  const td = await viewer.get(`/api/v1/incident_attachments/${t.id}`)
  assert.deepEqual(Buffer.from(td.bytes), PDF)
  // audio with a declared audio type
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)])
  ok(await upload(duty, inc.id, wav, 'name=rec.wav&type=audio/x-wav'), 201)
  // readers cannot upload; other towns cannot see
  assertError(await upload(viewer, inc.id, PNG, 'name=x.png'), 403, 'forbidden')
  assertError(await town2.get(`/api/v1/incident_attachments/${a.id}`), 404, 'not_found')
  assertError(await upload(town2, inc.id, PNG, 'name=x.png'), 404, 'not_found')
  ok(await town1.get(`/api/v1/incident_attachments/${a.id}`), 200)
})

test('jurisdiction: a town sees only its own incidents', async () => {
  const mine = ok(await town1.post('/api/v1/incidents', intake({ deaths: 0, title: '测试：镇内事件' })), 201)
  assert.equal(mine.division_code, TOWN1)
  const other = ok(await duty.post('/api/v1/incidents', intake({ deaths: 0, title: '测试：邻镇事件', division_code: TOWN2 })), 201)
  assertError(await town1.get(`/api/v1/incidents/${other.id}`), 404, 'not_found')
  assertError(await town1.get(`/api/v1/incidents/${other.id}/timeline`), 404, 'not_found')
  assertError(await town1.patch(`/api/v1/incidents/${other.id}`, { injuries: 1 }), 404, 'not_found')
  assertError(await town1.post(`/api/v1/incidents/${other.id}/verify`, {}), 404, 'not_found')
  assertError(await town1.post('/api/v1/incidents', intake({ division_code: TOWN2 })), 403)
  const list = ok(await town1.get('/api/v1/incidents?page_size=500'), 200)
  assert.ok(list.items.length > 0)
  assert.ok(list.items.every((i) => i.division_code.startsWith(TOWN1)), 'only town 1')
  assert.ok(list.items.some((i) => i.id === mine.id))
  const reports = ok(await town1.get('/api/v1/incident_reports?page_size=500'), 200)
  assert.ok(reports.items.every((i) => i.division_code.startsWith(TOWN1)))
  const st = ok(await town1.get('/api/v1/incidents/stats'), 200)
  const all = ok(await viewer.get('/api/v1/incidents/stats'), 200)
  assert.ok(st.total < all.total)
  ok(await town2.get(`/api/v1/incidents/${other.id}`), 200)
  const county = ok(await viewer.get(`/api/v1/incidents?division=${COUNTY}&page_size=1`), 200)
  assert.ok(county.total >= 15)
})

test('GeoJSON import: a new incident gets its timeline and clock', async () => {
  const fc = {
    type: 'FeatureCollection',
    features: [{
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [102.31, 38.41] },
      properties: { ...intake({ title: '测试：导入事件', deaths: 3 }), lon: undefined, lat: undefined },
    }],
  }
  const r = ok(await duty.req('POST', '/api/v1/incidents/import.geojson', { body: JSON.stringify(fc), contentType: 'application/geo+json' }), 200)
  assert.equal(r.rows_imported, 1)
  const found = ok(await viewer.get(`/api/v1/incidents?q=${encodeURIComponent('测试：导入事件')}`), 200)
  const inc = found.items[0]
  assert.equal(inc.grade, 'larger')
  assert.equal(inc.lon, 102.31)
  const tl = ok(await viewer.get(`/api/v1/incidents/${inc.id}/timeline`), 200)
  assert.equal(tl.items[0].kind, 'reported')
})

test('demo: an overdue incident is flagged 迟报', async () => {
  const r = ok(await viewer.get('/api/v1/incidents?late=true&page_size=100'), 200)
  assert.ok(r.items.some((i) => i.title === '建筑工地塔吊倾覆'), show({ status: 200, text: JSON.stringify(r.items.map((i) => i.title)) }))
})

test('unauthenticated requests are refused', async () => {
  const r = await req('GET', '/api/v1/incidents')
  assertError(r, 401, 'unauthenticated')
})
