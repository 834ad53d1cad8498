// Monitoring readings over MQTT, end to end through a real Mosquitto broker (tests/mqtt/run.sh
// starts the broker, loads the demo and runs `yingji serve --mqtt`).
//
// A gateway publishes a batch to yingji/readings/<GW>; Yingji answers on yingji/acks/<GW>
// after the commit (docs/monitoring.md). The MQTT side uses the Debian mosquitto_pub and
// mosquitto_sub command-line clients; the HTTP API is checked with fetch.
//
// Env: YINGJI_URL (the server), MQTT_PORT (the broker on 127.0.0.1), MQTT_CONF and
// MQTT_PIDFILE (to restart the broker on the same port), MQTT_BROKER_BIN, MQTT_BROKER_LOG,
// YINGJI_LOG (the server's log, to see it reconnect). Only node built-ins are used.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const BASE = (process.env.YINGJI_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
const PORT = Number(process.env.MQTT_PORT || 1883)
const CONF = process.env.MQTT_CONF || ''
const PIDFILE = process.env.MQTT_PIDFILE || ''
const BROKER_BIN = process.env.MQTT_BROKER_BIN || '/usr/sbin/mosquitto'
const BROKER_LOG = process.env.MQTT_BROKER_LOG || ''
const SERVER_LOG = process.env.YINGJI_LOG || ''

const GW1 = 'GW-DEMO-01'
const GW1_AUTH = 'GW-DEMO-01:demo-gw-01-key'
const GW2_AUTH = 'GW-DEMO-02:demo-gw-02-key'
const LEVELS = ['none', 'blue', 'yellow', 'orange', 'red']
const ACK_TIMEOUT_S = 30

/* ---------- MQTT through the command-line clients ---------- */

/**
 * Subscribes (QoS 1) to one topic for one message: mosquitto_sub -C 1 -W timeout. Returns
 * {ready, message, stop}: ready resolves true once the broker acknowledged the subscription
 * (false if the client ended first); message resolves with the parsed JSON payload, or null
 * on timeout.
 */
function subscribeOnce(topic, timeoutS = ACK_TIMEOUT_S) {
  const args = ['-h', '127.0.0.1', '-p', String(PORT), '-t', topic, '-q', '1', '-C', '1']
  // stdout is a pipe: line-buffer it (coreutils stdbuf), or the SUBACK line only shows at exit
  const p = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args, '-W', String(timeoutS), '-d'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  let setReady
  const ready = new Promise((resolve) => (setReady = resolve))
  p.stdout.on('data', (d) => {
    out += d
    if (out.includes('received SUBACK')) setReady(true)
  })
  p.stderr.on('data', (d) => (err += d))
  const message = new Promise((resolve, reject) => {
    p.on('error', reject)
    p.on('close', () => {
      setReady(false)
      // -d mixes debug lines ("Client … received PUBLISH …") with the payload, one line
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (!line) return resolve(null)
      try {
        resolve(JSON.parse(line))
      } catch (e) {
        reject(new Error(`ack is not JSON: ${line} (${e.message}); stderr: ${err}`))
      }
    })
  })
  return { ready, message, stop: () => p.kill() }
}

/** mosquitto_pub -q 1 with the payload on standard input. */
function publish(topic, payload) {
  return new Promise((resolve, reject) => {
    const args = ['-h', '127.0.0.1', '-p', String(PORT), '-t', topic, '-q', '1', '-s']
    const p = spawn('mosquitto_pub', args, { stdio: ['pipe', 'ignore', 'pipe'] })
    let err = ''
    p.stderr.on('data', (d) => (err += d))
    p.on('error', reject)
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${err}`)),
    )
    p.stdin.end(payload)
  })
}

/**
 * Publishes a batch to yingji/readings/<topicGw> and waits for the answer on
 * yingji/acks/<topicGw> (subscribed before publishing). Returns the answer or null.
 */
async function sendBatch(topicGw, payload, timeoutS = ACK_TIMEOUT_S) {
  const sub = subscribeOnce(`yingji/acks/${topicGw}`, timeoutS)
  try {
    assert.ok(await sub.ready, `could not subscribe to yingji/acks/${topicGw}`)
    await sleep(50)
    await publish(`yingji/readings/${topicGw}`, payload)
    return await sub.message
  } finally {
    sub.stop()
  }
}

/* ---------- HTTP ---------- */

let token

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(BASE + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json }
}

async function apiOk(method, path, body) {
  const res = await api(method, path, body)
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${res.text.slice(0, 400)}`)
  return res.json
}

const sensorIds = {}

/** Id of the sensor with this code: ?q= first, then a code filter, then the whole list. */
async function sensorId(code) {
  if (sensorIds[code]) return sensorIds[code]
  const tries = [
    `/api/v1/monitor-sensors?q=${encodeURIComponent(code)}&page_size=100`,
    `/api/v1/monitor-sensors?code=${encodeURIComponent(code)}&page_size=100`,
    `/api/v1/monitor-sensors?page_size=1000`,
  ]
  for (const path of tries) {
    const res = await api('GET', path)
    const hit = res.status === 200 && (res.json?.items || []).find((s) => s.code === code)
    if (hit) return (sensorIds[code] = hit.id)
  }
  assert.fail(`sensor ${code} not found through GET /api/v1/monitor-sensors`)
}

/** A point's time as Unix ms: ISO text, Unix ms or Unix seconds. */
function toMs(ts) {
  if (typeof ts === 'number') return ts < 1e12 ? ts * 1000 : ts
  return Date.parse(ts)
}

/** Raw readings of a sensor between from and to (Unix ms) as a Map ts_ms → value. */
async function readings(code, fromMs, toMs_) {
  const id = await sensorId(code)
  const q = `from=${encodeURIComponent(new Date(fromMs).toISOString())}&to=${encodeURIComponent(new Date(toMs_).toISOString())}&resolution=raw`
  const body = await apiOk('GET', `/api/v1/monitor-sensors/${id}/readings?${q}`)
  assert.ok(Array.isArray(body.points), `readings of ${code}: no points array: ${JSON.stringify(body).slice(0, 300)}`)
  return new Map(body.points.map(([ts, v]) => [toMs(ts), Number(v)]))
}

async function warningsOf(code) {
  const id = await sensorId(code)
  const body = await apiOk('GET', `/api/v1/monitor-warnings?sensor_id=${id}&page_size=500`)
  return (body.items || []).filter((w) => w.sensor_id === id)
}

/* ---------- the broker ---------- */

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
}

/** Gone, or a zombie nobody reaps (this container's init does not). */
function processGone(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

async function waitFor(what, fn, ms = 10000) {
  const until = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

function readPid() {
  try {
    return Number(fs.readFileSync(PIDFILE, 'utf8').trim()) || 0
  } catch {
    return 0
  }
}

/* ---------- batches ---------- */

// whole minutes: with at()'s second offsets no reading falls on the demo history's 5-minute
// grid (which ends at or before this minute), so "stored" always means stored by this test
const now0 = Math.floor(Date.now() / 60000) * 60000
const uniq = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
// Seconds off the minute so they do not meet demo readings on a regular grid.
const at = (minutesAgo, second) => now0 - minutesAgo * 60000 + second * 1000

function lineBatch(auth, batch, readingsList) {
  return [
    `@auth ${auth}`,
    `@batch ${batch}`,
    '# tests/mqtt: line format',
    ...readingsList.map(([sensor, value, ts]) => `${sensor} ${value} ${ts}`),
    '',
  ].join('\n')
}

before(async () => {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'Admin@12345' }),
  })
  const body = await res.json()
  assert.equal(res.status, 200, `login: ${JSON.stringify(body)}`)
  token = body.token
  assert.ok(token, 'login returned a token')
  assert.ok(await portOpen(PORT), `broker listening on 127.0.0.1:${PORT}`)
})

test('a line-format batch is stored and acknowledged on yingji/acks/<gateway>', async () => {
  const batch = `rg-lines-${uniq}`
  const rows = [
    ['RG-001', 0.1, at(4, 7)],
    ['RG-001', 0.2, at(3, 7)],
    ['RG-001', 0.1, at(2, 7)],
  ]
  const ack = await sendBatch(GW1, lineBatch(GW1_AUTH, batch, rows))
  assert.ok(ack, 'an answer arrived on yingji/acks/GW-DEMO-01')
  assert.equal(ack.error, undefined, `no error: ${JSON.stringify(ack)}`)
  assert.equal(ack.batch, batch)
  assert.equal(ack.accepted, 3, JSON.stringify(ack))
  assert.equal(ack.duplicates, 0, JSON.stringify(ack))
  assert.deepEqual(ack.rejected, [])
  assert.ok(Array.isArray(ack.warnings), 'warnings is an array')

  const got = await readings('RG-001', at(10, 0), now0 + 60000)
  for (const [, value, ts] of rows)
    assert.equal(got.get(ts), value, `reading at ${new Date(ts).toISOString()} stored: ${JSON.stringify([...got])}`)
})

let wlBatch // the JSON batch that raised the water-level warning, sent again below
let wlWarningIds

test('a JSON batch over 3.0 m on WL-001 raises a yellow (or higher) warning', async () => {
  const wlId = await sensorId('WL-001')
  const before_ = new Set((await warningsOf('WL-001')).map((w) => w.id))
  const batch = `wl-json-${uniq}`
  wlBatch = JSON.stringify({
    auth: GW1_AUTH,
    batch,
    // newer than the demo's history (which runs up to the moment it was loaded): rules are
    // evaluated at a sensor's newest reading, so these must be the newest
    readings: [
      { sensor: 'WL-001', ts: new Date(at(0, 2)).toISOString().replace('.000Z', 'Z'), value: 2.7 },
      { sensor: 'WL-001', ts: at(0, 3), value: 3.25 },
    ],
  })
  const ack = await sendBatch(GW1, `  ${wlBatch}`) // leading blanks: still JSON
  assert.ok(ack, 'an answer arrived')
  assert.equal(ack.error, undefined, `no error: ${JSON.stringify(ack)}`)
  assert.equal(ack.batch, batch)
  assert.equal(ack.accepted, 2, JSON.stringify(ack))
  assert.equal(ack.duplicates, 0, JSON.stringify(ack))
  assert.deepEqual(ack.rejected, [])
  const mine = (ack.warnings || []).filter((w) => w.sensor_id === wlId)
  const high = mine.find((w) => LEVELS.indexOf(w.level) >= LEVELS.indexOf('yellow'))
  assert.ok(high, `a yellow or higher warning on WL-001 in the answer: ${JSON.stringify(ack.warnings)}`)
  assert.ok(['raise', 'escalate'].includes(high.action), `action ${high.action}`)

  const listed = await warningsOf('WL-001')
  const w = listed.find((x) => x.id === high.id)
  assert.ok(w, `warning ${high.id} listed by GET /api/v1/monitor-warnings: ${JSON.stringify(listed)}`)
  assert.ok(LEVELS.indexOf(w.level) >= LEVELS.indexOf('yellow'), `listed level ${w.level}`)
  if (w.state !== undefined) assert.equal(w.state, 'active')
  if (!before_.has(high.id))
    assert.ok(mine.some((x) => x.id === high.id && x.action === 'raise'), `a new warning is raised: ${JSON.stringify(mine)}`)
  wlWarningIds = listed.map((x) => x.id).sort()

  const got = await readings('WL-001', at(10, 0), now0 + 60000)
  assert.equal(got.get(at(0, 3)), 3.25, 'the 3.25 m reading is stored')
})

test('the same batch again: all duplicates, nothing accepted, no second warning', async (t) => {
  if (!wlBatch) return t.skip('the warning test did not run')
  const ack = await sendBatch(GW1, wlBatch)
  assert.ok(ack, 'an answer arrived')
  assert.equal(ack.error, undefined, `no error: ${JSON.stringify(ack)}`)
  assert.equal(ack.batch, JSON.parse(wlBatch).batch)
  assert.equal(ack.accepted, 0, JSON.stringify(ack))
  assert.equal(ack.duplicates, 2, JSON.stringify(ack))
  assert.deepEqual(ack.warnings || [], [], 'no warning change from duplicates')
  const after = (await warningsOf('WL-001')).map((x) => x.id).sort()
  assert.deepEqual(after, wlWarningIds, 'no new warning on WL-001')
})

test('a wrong key gets an error answer (401) and stores nothing', async () => {
  const batch = `rg-badkey-${uniq}`
  const rows = [
    ['RG-001', 0.3, at(5, 29)],
    ['RG-001', 0.4, at(5, 49)],
  ]
  const ack = await sendBatch(GW1, lineBatch('GW-DEMO-01:not-the-key', batch, rows))
  assert.ok(ack, 'an answer arrived')
  assert.ok(ack.error, `an error answer: ${JSON.stringify(ack)}`)
  assert.equal(ack.error.status, 401)
  assert.equal(typeof ack.error.code, 'string')
  assert.ok(ack.error.message.length > 0, 'Chinese message')
  assert.ok(ack.error.message_en.length > 0, 'English message')
  assert.equal(ack.batch, batch, 'the batch id is found in the refused body')
  assert.equal(ack.accepted, undefined)

  const got = await readings('RG-001', at(10, 0), now0 + 60000)
  for (const [, , ts] of rows) assert.ok(!got.has(ts), `nothing stored at ${new Date(ts).toISOString()}`)
})

test("a batch on GW-DEMO-01's topic authenticated as GW-DEMO-02 is refused", async () => {
  const batch = `rg-othergw-${uniq}`
  const rows = [['RG-001', 0.5, at(6, 31)]]
  const ack = await sendBatch(GW1, lineBatch(GW2_AUTH, batch, rows))
  assert.ok(ack, 'an answer arrived on yingji/acks/GW-DEMO-01')
  assert.ok(ack.error, `an error answer: ${JSON.stringify(ack)}`)
  assert.equal(ack.error.status, 401)
  assert.equal(ack.batch, batch)

  // and in JSON, with the batch id taken from the body
  const jbatch = `rg-othergw-json-${uniq}`
  const jack = await sendBatch(
    GW1,
    JSON.stringify({ auth: GW2_AUTH, batch: jbatch, readings: [{ sensor: 'RG-001', ts: at(6, 43), value: 0.5 }] }),
  )
  assert.ok(jack?.error, `an error answer: ${JSON.stringify(jack)}`)
  assert.equal(jack.error.status, 401)
  assert.equal(jack.batch, jbatch)

  const got = await readings('RG-001', at(10, 0), now0 + 60000)
  assert.ok(!got.has(at(6, 31)) && !got.has(at(6, 43)), 'nothing stored')
})

test('after a broker restart on the same port the server reconnects and answers again', async () => {
  assert.ok(CONF && PIDFILE, 'MQTT_CONF and MQTT_PIDFILE are set (run through tests/mqtt/run.sh)')
  const oldPid = readPid()
  assert.ok(oldPid > 0, `broker pid in ${PIDFILE}`)
  const connectsBefore = SERVER_LOG ? countConnects() : 0

  process.kill(oldPid, 'SIGTERM')
  // fully gone, so its exit cannot remove the pid file the new broker writes
  await waitFor('the broker to exit', () => processGone(oldPid))
  await waitFor('the port to close', async () => !(await portOpen(PORT)))
  await sleep(300) // the server notices and starts reconnecting against a closed port

  const logFd = fs.openSync(BROKER_LOG || '/dev/null', 'a')
  const child = spawn(BROKER_BIN, ['-c', CONF], { detached: true, stdio: ['ignore', logFd, logFd] })
  child.unref()
  fs.closeSync(logFd)
  await waitFor('the new broker to listen', async () => (await portOpen(PORT)) && readPid() === child.pid)

  // A gateway resends until it sees its answer; messages published before the server has
  // subscribed again reach nobody.
  const batch = `rg-restart-${uniq}`
  const rows = [
    ['RG-001', 0.1, at(1, 47)],
    ['RG-001', 0.1, at(0, 17)],
  ]
  const payload = lineBatch(GW1_AUTH, batch, rows)
  let ack = null
  const until = Date.now() + 60000
  let sends = 0
  while (!ack && Date.now() < until) {
    sends++
    ack = await sendBatch(GW1, payload, 3)
  }
  assert.ok(ack, `an answer after the restart (${sends} sends)`)
  assert.equal(ack.error, undefined, `no error: ${JSON.stringify(ack)}`)
  assert.equal(ack.batch, batch)
  assert.equal(ack.accepted + ack.duplicates, 2, JSON.stringify(ack))
  if (sends === 1) assert.equal(ack.accepted, 2)

  const got = await readings('RG-001', at(10, 0), now0 + 60000)
  for (const [, value, ts] of rows) assert.equal(got.get(ts), value, 'stored after the restart')
  if (SERVER_LOG) assert.ok(countConnects() > connectsBefore, 'the server log shows the reconnection')
})

function countConnects() {
  try {
    return fs.readFileSync(SERVER_LOG, 'utf8').split('\n').filter((l) => l.includes('mqtt:') && l.includes('connected to')).length
  } catch {
    return 0
  }
}
