// Warning publication and 叫应 (SPEC C4) over HTTP: the directory and its jurisdiction, the
// workflow by role (403 wrong role, 409 wrong state, 422 missing reason), a town duty officer
// who sees only their town, issuing with targeting and the send through the spool channel,
// the answer link from the message, SMS replies through the gateway callback (bad secrets
// refused), the app answer of the person's own account (nobody else's), escalation with the
// test clock (visit tasks) and recording a visit, the progress board and the printable
// report, CAP export and import (bad documents refused with located problems), update and
// cancel. tests/api/run.sh gives the server a channel file (YINGJI_CHANNELS) with a spool and
// a disabled SMS gateway whose callback secret is "api-test-secret".
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, req, show, assertError, as, setClock, sleep, TOWN1, TOWN2 } from './lib.mjs'

const P = '/api/v1'
const SECRET = 'api-test-secret'
let admin, duty, town1, town2, viewer, commander, info
let warning // the warning issued by the tests

const channels = JSON.parse(fs.readFileSync(process.env.YINGJI_CHANNELS, 'utf8'))
const spoolFile = `${channels.channels.find((c) => c.kind === 'spool').dir}/file.jsonl`

function spool() {
  if (!fs.existsSync(spoolFile)) return []
  return fs.readFileSync(spoolFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

async function waitFor(fn, ms = 8000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) return v
    await sleep(150)
  }
}

const draftBody = (extra = {}) => ({
  level: 'orange',
  event: '暴雨',
  event_code: '11B03',
  headline: '青石镇暴雨橙色预警',
  description: '预计6小时内降雨量将达50毫米以上，请做好防范。',
  instruction: '转移低洼地带群众。',
  division_code: TOWN1,
  target_divisions: [TOWN1],
  ...extra,
})

before(async () => {
  admin = await as('admin')
  duty = await as('duty')
  town1 = await as('town1')
  town2 = await as('town2')
  viewer = await as('viewer')
  commander = await as('commander')
  info = await as('info')
})

after(async () => {
  await setClock(0)
})

test('directory: jurisdiction and roles', async () => {
  const t1 = await town1.get(`${P}/publish-people?page_size=500`)
  assert.equal(t1.status, 200, show(t1))
  assert.ok(t1.json.total > 0)
  assert.ok(t1.json.items.every((p) => p.division_code.startsWith(TOWN1)))
  assertError(await town2.get(`${P}/publish-people/${t1.json.items[0].id}`), 404, 'not_found')
  assert.ok((await duty.get(`${P}/publish-specials`)).json.total >= 12)
  const body = { name: '测试人员', phone: '13900009999', role: 'grid_member', division_code: TOWN1 }
  assertError(await viewer.post(`${P}/publish-people`, body), 403, 'forbidden')
  assertError(await town2.post(`${P}/publish-people`, body), 403, 'outside_jurisdiction')
  const bad = await town1.post(`${P}/publish-people`, { ...body, role: 'mayor' })
  assert.equal(bad.status, 422, show(bad))
  assert.ok(bad.json.error.fields.role)
  const made = await town1.post(`${P}/publish-people`, body)
  assert.equal(made.status, 201, show(made))
})

test('workflow by role and state; a town sees only its own warnings', async () => {
  assertError(await viewer.post(`${P}/publish-warnings`, draftBody()), 403, 'forbidden')
  assertError(await town1.post(`${P}/publish-warnings`, draftBody({ target_divisions: [TOWN2] })), 422)
  const d = await town1.post(`${P}/publish-warnings`, draftBody())
  assert.equal(d.status, 201, show(d))
  warning = d.json
  assert.equal(warning.state, 'draft')
  assertError(await town2.get(`${P}/publish-warnings/${warning.id}`), 404, 'not_found')
  assert.ok((await town2.get(`${P}/publish-warnings`)).json.items.every((w) => w.division_code.startsWith(TOWN2)))
  assertError(await commander.post(`${P}/publish-warnings/${warning.id}/approve`, {}), 409)
  assertError(await town1.post(`${P}/publish-warnings/${warning.id}/approve`, {}), 403, 'forbidden')
  let r = await town1.post(`${P}/publish-warnings/${warning.id}/submit`, {})
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.state, 'review')
  const edit = await town1.patch(`${P}/publish-warnings/${warning.id}`, { instruction: '转移低洼地带和河道两侧群众。' })
  assert.equal(edit.status, 200, show(edit)) // the reviewer's corrections are still possible
  assertError(await commander.post(`${P}/publish-warnings/${warning.id}/return`, {}), 422)
  r = await commander.post(`${P}/publish-warnings/${warning.id}/approve`, {})
  assert.equal(r.json.state, 'approved', show(r))
  assertError(await town1.post(`${P}/publish-warnings/${warning.id}/issue`, {}), 403, 'forbidden')
  assertError(await town1.patch(`${P}/publish-warnings/${warning.id}`, { headline: '改' }), 409)
})

test('issue: targets, sending through the spool, answer link, SMS reply, app answer', async () => {
  const r = await commander.post(`${P}/publish-warnings/${warning.id}/issue`, {})
  assert.equal(r.status, 200, show(r))
  assert.equal(r.json.state, 'issued')
  assert.match(r.json.identifier, /^\d{14}_\d{14}_\d$/)
  // the steps offered now: cancel, never the internal supersede
  const steps = r.json.actions.map((a) => a.action)
  assert.ok(steps.includes('cancel') && !steps.includes('supersede'), JSON.stringify(steps))
  warning = r.json
  assert.ok(warning.targets_total >= 10, show(r))
  // the issue queued the recipients in outbox batches; the sender writes their rows and sends
  const sent = await waitFor(async () => {
    const t = await commander.get(`${P}/publish-targets?warning_id=${warning.id}&state=sent`)
    return t.json.total === warning.targets_total
  })
  assert.ok(sent, 'every target sent')
  const lines = spool().filter((l) => l.warning_id === warning.id)
  assert.equal(new Set(lines.map((l) => l.key)).size, lines.length, 'each key once')
  assert.equal(lines.length, warning.targets_total)
  // one delivery record per target on the spool; the disabled SMS gateway is not used
  const file = await commander.get(`${P}/publish-deliveries?warning_id=${warning.id}&channel=file&outcome=sent`)
  assert.equal(file.json.total, warning.targets_total, show(file))
  const sms = await commander.get(`${P}/publish-deliveries?warning_id=${warning.id}&channel=sms`)
  assert.equal(sms.json.total, 0, show(sms))

  // the answer link from the message: a GET shows, a POST records
  const one = lines.find((l) => l.ack_url)
  const path = new URL(one.ack_url, 'http://relative.invalid').pathname // no YINGJI_PUBLIC_URL here
  const page = await req('GET', path)
  assert.equal(page.status, 200)
  assert.match(page.text, /确认收到/)
  const done = await req('POST', path, { body: 'answer=ack', contentType: 'application/x-www-form-urlencoded' })
  assert.equal(done.status, 200)
  assert.match(done.text, /已确认收到/)
  assertError(await req('GET', `${path.slice(0, -1)}${path.endsWith('0') ? '1' : '0'}`), 404)

  // an SMS reply through the gateway callback, from another target's phone
  const other = lines.find((l) => l.recipient_id !== one.recipient_id && l.address)
  const reply = JSON.stringify({ phone: other.address, text: '收到' })
  const cb = `${P}/publish/callbacks/sms/replies`
  assertError(await req('POST', cb, { body: reply }), 401)
  assertError(await req('POST', cb, { body: reply, headers: { 'X-Channel-Secret': 'wrong' } }), 401)
  assertError(await req('POST', `${P}/publish/callbacks/file/replies`, { body: reply, headers: { 'X-Channel-Secret': SECRET } }), 401)
  const ok = await req('POST', cb, { body: reply, headers: { 'X-Channel-Secret': SECRET } })
  assert.equal(ok.status, 200, show(ok))
  assert.ok(ok.json.answered >= 1, show(ok))
  const badReceipt = await req('POST', `${P}/publish/callbacks/sms/receipts`, { body: '{"key": "x", "status": "DELIVRD"}', headers: { 'X-Channel-Secret': 'nope' } })
  assert.equal(badReceipt.status, 401)

  // the app: the information officer's own target (demo account "info")
  const mine = await info.get(`${P}/publish/mine`)
  assert.equal(mine.status, 200, show(mine))
  const t = mine.json.items.find((i) => i.warning_id === warning.id)
  assert.ok(t, show(mine))
  assertError(await commander.post(`${P}/publish-targets/${t.id}/answer`, {}), 404)
  const a = await info.post(`${P}/publish-targets/${t.id}/answer`, { help: true })
  assert.equal(a.status, 200, show(a))
  const tt = await commander.get(`${P}/publish-targets/${t.id}`)
  assert.equal(tt.json.state, 'answered')
  assert.equal(tt.json.answer_channel, 'app')
  assert.equal(tt.json.help, true)

  const p = await town1.get(`${P}/publish-warnings/${warning.id}/progress`)
  assert.equal(p.status, 200, show(p))
  assert.equal(p.json.totals.targeted, warning.targets_total)
  assert.ok(p.json.totals.answered >= 3)
  assert.ok(p.json.towns.some((x) => x.code === TOWN1))
  assert.ok(p.json.pending.length > 0)
  assert.equal(p.json.timing.all_answered, false)
  assertError(await town2.get(`${P}/publish-warnings/${warning.id}/progress`), 404)
})

test('escalation with the test clock; visits recorded; report', async () => {
  // far ahead: other test files may have left the sweep job due hours ahead of the clock
  // they set; sessions last 12 hours, so log in again at the new time
  await setClock(3 * 24 * 3600)
  ;[town1, town2, viewer, commander] = await Promise.all(['town1', 'town2', 'viewer', 'commander'].map((u) => as(u)))
  const escalated = await waitFor(async () => {
    const v = await town1.get(`${P}/publish-visits?warning_id=${warning.id}&reason=no_answer`)
    return v.json.total > 0 ? v : null
  })
  assert.ok(escalated, 'visit tasks after two periods without answers')
  assert.ok(escalated.json.items.every((v) => v.division_code.startsWith(TOWN1)))
  assert.equal((await town2.get(`${P}/publish-visits?warning_id=${warning.id}`)).json.total, 0)
  const special = await town1.get(`${P}/publish-visits?warning_id=${warning.id}&reason=special`)
  assert.ok(special.json.total >= 1, 'special groups get a visit from their carer')
  const v = escalated.json.items[0]
  assertError(await viewer.post(`${P}/publish-visits/${v.id}/done`, { note: 'x' }), 403)
  assertError(await town1.post(`${P}/publish-visits/${v.id}/done`, {}), 422)
  const d = await town1.post(`${P}/publish-visits/${v.id}/done`, { note: '已上门告知，老人已转移' })
  assert.equal(d.status, 200, show(d))
  assert.equal(d.json.state, 'done')
  assert.equal(d.json.recorded_by, 'town1')
  assertError(await town1.post(`${P}/publish-visits/${v.id}/done`, { note: 'again' }), 409)
  const targets = await commander.get(`${P}/publish-targets?warning_id=${warning.id}&escalation=visit`)
  assert.ok(targets.json.total > 0)
  const rep = await commander.get(`${P}/publish-warnings/${warning.id}/report`)
  assert.equal(rep.status, 200)
  assert.match(rep.headers.get('content-type'), /text\/html/)
  assert.match(rep.text, /青石镇暴雨橙色预警/)
  assert.match(rep.text, /未达到30分钟目标/)
  await setClock(0)
})

test('CAP export and import; update and cancel', async () => {
  const x = await commander.get(`${P}/publish-warnings/${warning.id}/cap.xml`)
  assert.equal(x.status, 200)
  assert.match(x.headers.get('content-type'), /application\/cap\+xml/)
  assert.ok(x.text.includes(warning.identifier))
  assert.ok(x.text.includes('<valueName>预警级别</valueName>'))
  const before = (await admin.get(`${P}/publish-warnings`)).json.total
  const bad = await town1.req('POST', `${P}/publish-warnings/import.cap`, {
    body: x.text.replace('<urgency>', '<urgency>Soon</urgency><x>'),
    contentType: 'application/xml',
  })
  assert.equal(bad.status, 422, show(bad))
  assert.ok(bad.json.error.rows.length > 0)
  assert.ok(bad.json.error.rows.every((r) => typeof r.line === 'number' && r.path))
  assert.equal((await admin.get(`${P}/publish-warnings`)).json.total, before)
  const imp = await town1.req('POST', `${P}/publish-warnings/import.cap`, { body: x.text, contentType: 'application/xml' })
  assert.equal(imp.status, 201, show(imp))
  assert.equal(imp.json.state, 'draft')
  assert.equal(imp.json.headline, warning.headline)
  assert.deepEqual(imp.json.target_divisions, [TOWN1])
  assertError(await town2.req('POST', `${P}/publish-warnings/import.cap`, { body: x.text, contentType: 'application/xml' }), 422)

  const up = await town1.post(`${P}/publish-warnings/${warning.id}/update`, { level: 'red', headline: '青石镇暴雨红色预警' })
  assert.equal(up.status, 201, show(up))
  assert.equal(up.json.msg_type, 'Update')
  assert.equal(up.json.references_id, warning.id)
  assertError(await commander.post(`${P}/publish-warnings/${warning.id}/cancel`, {}), 422)
  const c = await commander.post(`${P}/publish-warnings/${warning.id}/cancel`, { reason: '降雨减弱' })
  assert.equal(c.status, 200, show(c))
  assert.equal(c.json.state, 'cancelled')
  // the record shows the steps it went through, with who and the reason
  const g = await commander.get(`${P}/publish-warnings/${warning.id}`)
  assert.equal(g.status, 200)
  assert.deepEqual(g.json.history.map((h) => h.action), ['submit', 'approve', 'issue', 'cancel'])
  assert.equal(g.json.history[3].input.reason, '降雨减弱')
  assert.ok(Array.isArray(g.json.actions))

  // the cancellation is a CAP Cancel message referencing the issued one, and valid CAP
  const cx = await commander.get(`${P}/publish-warnings/${warning.id}/cap.xml`)
  assert.equal(cx.status, 200)
  assert.match(cx.text, /<msgType>Cancel<\/msgType>/)
  assert.match(cx.text, /<note>降雨减弱<\/note>/)
  const ref = cx.text.match(/<references>([^<]*)<\/references>/)
  assert.ok(ref && ref[1].split(',')[1] === warning.identifier, `references the issued message: ${ref && ref[1]}`)
  assert.ok(!cx.text.includes(`<identifier>${warning.identifier}</identifier>`), 'a new identifier')
  const file = join(fs.mkdtempSync(join(tmpdir(), 'yingji-cap-')), 'cancel.xml')
  fs.writeFileSync(file, cx.text)
  const v = spawnSync(BIN, ['cap', 'validate', file], { encoding: 'utf8' })
  assert.equal(v.status, 0, v.stdout + v.stderr)
  const orig = await commander.get(`${P}/publish-warnings/${warning.id}/cap.xml?message=alert`)
  assert.ok(orig.text.includes(`<identifier>${warning.identifier}</identifier>`))
  assert.match(orig.text, /<msgType>Alert<\/msgType>/)
})

test('a channel file that does not load stops serve before it touches anything', () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'yingji-channels-'))
  const file = join(dir, 'channels.json')
  fs.writeFileSync(file, JSON.stringify({ channels: [{ name: 'sms', kind: 'sms', url: 'ftp://gateway' }] }))
  const db = join(dir, 'never.db')
  const r = spawnSync(BIN, ['serve', '--db', `sqlite:${db}`, '--listen', '127.0.0.1:1', '--channels', file], { encoding: 'utf8', timeout: 30e3 })
  assert.equal(r.status, 2, r.stderr)
  assert.match(r.stderr, /channels\[0\]\.url/)
  assert.match(r.stderr, /渠道配置/)
  assert.equal(fs.existsSync(db), false, 'no database was created')
})
