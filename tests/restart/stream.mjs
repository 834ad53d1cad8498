// tests/restart/stream.mjs — the client side of the restart test (tests/restart/run.sh).
//
//   node stream.mjs phase1 --url URL --pid PID --state FILE
//     Logs in as admin, creates this run's sensors (POST /api/v1/monitor-sensors, on the demo
//     points MP-001 / MP-004, gateway GW-DEMO-01), then streams batches in the line format
//     from STREAMS concurrent "gateways" (each sends its batches one after the other, its
//     own sensors, ascending timestamps) and records every batch whose 200 answer arrived.
//     When KILL_AFTER of all batches are acknowledged it kills the server (SIGKILL, pid PID)
//     while the other streams have requests in flight, and writes FILE (JSON: the sensors,
//     the batches with their bodies, which were acknowledged and their answers).
//   node stream.mjs phase2 --url URL --state FILE --db DB_URL
//     Against the restarted server: resends a few acknowledged batches (each must come back
//     200 with duplicates = its size, accepted = 0), then every batch not acknowledged, in
//     order (each must come back 200 with accepted + duplicates = its size), and checks the
//     store directly (sqlite3 or psql on DB_URL):
//       a. every reading of every batch acknowledged in phase 1 — and, now, of every batch —
//          is stored (journal or blocks) with its value, exactly once;
//       b. no (rule, subject) has more than one active warning; for this run's sensors the
//          threshold rule's raise events are exactly what the series implies (one for a
//          series crossing its first threshold once and never falling back, none for a flat
//          series) and the active warning has the series' final level.
// Prints "ok - …" / "not ok - …" per check and a last line "RESULT pass=N fail=N".
// Only node built-ins and the global fetch.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

const args = Object.fromEntries(
  process.argv.slice(3).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
)
const phase = process.argv[2]
const BASE = (args.url || '').replace(/\/+$/, '')
const GW_KEY = 'GW-DEMO-01:demo-gw-01-key'
const BATCHES = Number(process.env.RESTART_BATCHES || 40) // per stream
const PER_SENSOR = Number(process.env.RESTART_PER_SENSOR || 100) // readings per sensor per batch
const KILL_AFTER = Number(process.env.RESTART_KILL_AFTER || 0.4) // share of batches acknowledged
const STEP_MS = 100 // event time between two readings of a sensor

let pass = 0
let fail = 0
function check(cond, what, detail) {
  if (cond) {
    pass++
    console.log(`ok - ${what}`)
  } else {
    fail++
    console.log(`not ok - ${what}${detail ? `\n    ${detail}` : ''}`)
  }
  return cond
}
function finish() {
  console.log(`RESULT pass=${pass} fail=${fail}`)
  process.exit(fail ? 1 : 0)
}

async function api(method, path, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers }
  if (token) h.Authorization = `Bearer ${token}`
  let b
  if (raw !== undefined) {
    b = raw
    h['Content-Type'] = h['Content-Type'] || 'text/plain; charset=utf-8'
  } else if (body !== undefined) {
    b = JSON.stringify(body)
    h['Content-Type'] = 'application/json'
  }
  const res = await fetch(BASE + path, { method, headers: h, body: b })
  const text = await res.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json }
}

async function adminToken() {
  const r = await api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'Admin@12345' } })
  if (r.status !== 200 || !r.json || !r.json.token) throw new Error(`admin login: ${r.status} ${r.text}`)
  return r.json.token
}

async function findOne(token, plural, code) {
  const r = await api('GET', `/api/v1/${plural}?q=${encodeURIComponent(code)}&page_size=50`, { token })
  if (r.status !== 200) throw new Error(`GET ${plural}?q=${code}: ${r.status} ${r.text}`)
  const it = (r.json.items || []).find((x) => x.code === code)
  if (!it) throw new Error(`${plural}: no ${code} (is the demo loaded?)`)
  return it
}

// The series of one sensor: value of reading k of n (0-based), and what it implies for the
// sensor type's threshold rule (docs/monitoring.md: 水位 2.5 / 3.0 / 3.5 / 4.0 m, 可燃气体
// 10 / 20 / 25 / 50 %LEL).
const SERIES = {
  // crosses 2.5 (blue) at 22 % of the stream — before the kill — and 3.0 (yellow) at 78 %
  climb_yellow: { type: 'water_level', unit: 'm', point: 'MP-001', v: (k, n) => 2.3 + (0.9 * k) / (n - 1), raises: 1, level: 'yellow' },
  // crosses 2.5 at 20 %, before the kill, and stays below 3.0
  climb_blue: { type: 'water_level', unit: 'm', point: 'MP-001', v: (k, n) => 2.4 + (0.5 * k) / (n - 1), raises: 1, level: 'blue' },
  flat_wl: { type: 'water_level', unit: 'm', point: 'MP-001', v: (k) => 1.0 + 0.001 * (k % 7), raises: 0, level: null },
  // crosses 10 (blue) at 67 %, after the kill
  gas_blue: { type: 'combustible_gas', unit: '%LEL', point: 'MP-004', v: (k, n) => (15 * k) / (n - 1), raises: 1, level: 'blue' },
  tox_flat: { type: 'toxic_gas', unit: 'ppm', point: 'MP-004', v: (k) => 0.5 + 0.01 * (k % 5), raises: 0, level: null },
  temp_flat: { type: 'temperature', unit: '℃', point: 'MP-004', v: (k) => 25 + 0.1 * (k % 3), raises: 0, level: null },
}
const STREAMS = [
  ['climb_yellow', 'flat_wl'],
  ['gas_blue', 'tox_flat'],
  ['temp_flat', 'climb_blue'],
]

async function phase1() {
  const pid = Number(args.pid)
  if (!pid) throw new Error('--pid is required')
  const token = await adminToken()
  const gw = await findOne(token, 'monitor-gateways', 'GW-DEMO-01')
  const points = {}
  for (const code of ['MP-001', 'MP-004']) points[code] = await findOne(token, 'monitor-points', code)
  const run = Date.now().toString(36).toUpperCase()
  const sensors = {}
  for (const [s, names] of STREAMS.entries()) {
    for (const name of names) {
      const spec = SERIES[name]
      const code = `RST-${run}-${s}-${name.toUpperCase().replace(/_/g, '')}`
      const r = await api('POST', '/api/v1/monitor-sensors', {
        token,
        body: { code, name: `restart test ${name}`, point_id: points[spec.point].id, gateway_id: gw.id, type: spec.type, unit: spec.unit, interval_seconds: 60 },
      })
      if (r.status !== 200 && r.status !== 201) throw new Error(`POST /api/v1/monitor-sensors ${code}: ${r.status} ${r.text}`)
      sensors[name] = { code, id: r.json.id, series: name }
    }
  }
  // Batches: stream s, batch b holds PER_SENSOR readings of each of its sensors.
  const n = BATCHES * PER_SENSOR
  const t0 = Date.now() - 10 * 60 * 1000
  const streams = STREAMS.map((names, s) =>
    Array.from({ length: BATCHES }, (_, b) => {
      const lines = [`@batch rst-${run}-${s}-${b}`]
      let size = 0
      for (let j = 0; j < PER_SENSOR; j++) {
        const k = b * PER_SENSOR + j
        for (const name of names) {
          lines.push(`${sensors[name].code} ${SERIES[name].v(k, n).toFixed(4)} ${t0 + k * STEP_MS}`)
          size++
        }
      }
      return { id: `rst-${run}-${s}-${b}`, stream: s, index: b, size, body: lines.join('\n') + '\n', acked: false, answer: null }
    }),
  )
  const total = STREAMS.length * BATCHES
  let acked = 0
  let killed = false
  let inflightAtKill = 0
  let inflight = 0
  const killAt = Math.max(1, Math.floor(total * KILL_AFTER))
  const t1 = Date.now()
  await Promise.all(
    streams.map(async (list) => {
      for (const batch of list) {
        if (killed) break
        inflight++
        let r
        try {
          r = await api('POST', '/api/v1/readings', { raw: batch.body, headers: { 'X-Gateway-Key': GW_KEY } })
        } catch (e) {
          inflight--
          break // the server is gone: this batch and the rest of the stream are unacknowledged
        }
        inflight--
        if (r.status !== 200) {
          console.log(`# batch ${batch.id}: HTTP ${r.status} ${r.text.slice(0, 300)}`)
          break
        }
        batch.acked = true
        batch.answer = r.json
        acked++
        if (acked === killAt && !killed) {
          // let this stream's next request leave too, then kill while requests are in flight
          setTimeout(() => {
            inflightAtKill = inflight
            killed = true
            try {
              process.kill(pid, 'SIGKILL')
            } catch (e) {
              console.log(`# kill ${pid}: ${e.message}`)
            }
          }, 3)
        }
      }
    }),
  )
  const all = streams.flat()
  console.log(
    `# phase 1: ${all.length} batches of ${all[0].size} readings, ${acked} acknowledged in ${Date.now() - t1} ms, ` +
      `server killed: ${killed}, requests in flight at the kill: ${inflightAtKill}`,
  )
  check(killed, 'the server was killed in the middle of the stream', `only ${acked} of ${total} batches acknowledged, kill at ${killAt}`)
  check(acked < total, 'some batches were left unacknowledged by the kill', `${acked} of ${total}`)
  check(inflightAtKill > 0, 'requests were in flight when the server was killed', `${inflightAtKill} in flight`)
  const answersOk = all.filter((b) => b.acked).every((b) => b.answer && b.answer.accepted === b.size && b.answer.duplicates === 0)
  check(answersOk, 'every acknowledged batch was answered with accepted = its size in phase 1')
  const raisedBefore = all.filter((b) => b.acked && (b.answer.warnings || []).some((w) => w.action === 'raise')).length
  check(raisedBefore > 0, 'warnings were raised (and acknowledged) before the kill', 'no acknowledged answer listed a raise: the kill came too early')
  writeFileSync(args.state, JSON.stringify({ run, t0, n, sensors, batches: all }))
  finish()
}

// ---- store access ----
const DB = args.db || ''
const PG = DB.startsWith('postgres')
function sql(query) {
  let out
  if (PG) {
    out = execFileSync('psql', [DB, '-XAtq', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-c', query], { encoding: 'utf8', maxBuffer: 1 << 28 })
  } else {
    const file = DB.replace(/^sqlite:/, '')
    out = execFileSync('sqlite3', ['-batch', '-separator', '|', '-cmd', '.timeout 5000', file, query], { encoding: 'utf8', maxBuffer: 1 << 28 })
  }
  return out
    .split('\n')
    .filter((l) => l.length)
    .map((l) => l.split('|'))
}
// Every stored reading of the given sensors as [sensor_id, ts_ms, value]: the journal and the
// blocks of the series (src/modules/monitoring/series.c), read in one statement (one snapshot)
// and decoded here: journal rows are groups [int64 sensor][uint32 count]{[int64 ts][float64]},
// blocks {[int64 ts][float64 value]} of their sensor, little-endian.
function storedReadings(ids) {
  const hex = (col) => (PG ? `encode(${col}, 'hex')` : `hex(${col})`)
  const rows = sql(`SELECT 'j', 0, ${hex('data')} FROM monitor_reading_journal UNION ALL SELECT 'b', sensor_id, ${hex('data')} FROM monitor_reading_blocks WHERE sensor_id IN (${ids.join(',')})`)
  const want = new Set(ids.map(Number))
  const out = []
  for (const [kind, sid, data] of rows) {
    const buf = Buffer.from(data, 'hex')
    let off = 0
    while (off < buf.length) {
      let sensor = Number(sid)
      let count = (buf.length - off) / 16
      if (kind === 'j') {
        sensor = Number(buf.readBigInt64LE(off))
        count = buf.readUInt32LE(off + 8)
        off += 12
      }
      for (let i = 0; i < count; i++, off += 16)
        if (want.has(sensor)) out.push([sensor, Number(buf.readBigInt64LE(off)), buf.readDoubleLE(off + 8)])
    }
  }
  return out
}

async function phase2() {
  const st = JSON.parse(readFileSync(args.state, 'utf8'))
  const batches = st.batches
  const acked = batches.filter((b) => b.acked)
  const unacked = batches.filter((b) => !b.acked)
  // a. resend a few acknowledged batches: the first and the last of each stream
  const dupSet = []
  for (let s = 0; s < STREAMS.length; s++) {
    const mine = acked.filter((b) => b.stream === s)
    if (mine.length) dupSet.push(mine[0])
    if (mine.length > 1) dupSet.push(mine[mine.length - 1])
  }
  let dupOk = 0
  for (const b of dupSet) {
    const r = await api('POST', '/api/v1/readings', { raw: b.body, headers: { 'X-Gateway-Key': GW_KEY } })
    const good = r.status === 200 && r.json && r.json.duplicates === b.size && r.json.accepted === 0 && (r.json.warnings || []).length === 0
    if (good) dupOk++
    else console.log(`# resent acknowledged batch ${b.id}: HTTP ${r.status} ${r.text.slice(0, 300)}`)
  }
  check(dupSet.length > 0 && dupOk === dupSet.length, `${dupSet.length} resent acknowledged batches answered duplicates = their size, accepted = 0, no warning`, `${dupOk} of ${dupSet.length}`)
  // the rest of every stream, in order
  let resentOk = 0
  let committedUnacked = 0
  await Promise.all(
    STREAMS.map(async (_, s) => {
      for (const b of unacked.filter((x) => x.stream === s)) {
        const r = await api('POST', '/api/v1/readings', { raw: b.body, headers: { 'X-Gateway-Key': GW_KEY } })
        if (r.status === 200 && r.json && r.json.accepted + r.json.duplicates === b.size && !(r.json.rejected || []).length) {
          resentOk++
          if (r.json.duplicates === b.size) committedUnacked++
          else if (r.json.duplicates)
            console.log(`# batch ${b.id}: ${r.json.duplicates} of ${b.size} duplicates (partly stored?)`)
        } else console.log(`# resent batch ${b.id}: HTTP ${r.status} ${r.text.slice(0, 300)}`)
      }
    }),
  )
  console.log(`# phase 2: resent ${unacked.length} unacknowledged batches (${committedUnacked} had been committed before the kill without an answer reaching us)`)
  check(resentOk === unacked.length, `the ${unacked.length} unacknowledged batches were accepted after the restart`, `${resentOk} of ${unacked.length}`)

  // a. the store holds every reading
  const ids = Object.values(st.sensors).map((s) => Number(s.id))
  const codeOf = Object.fromEntries(Object.values(st.sensors).map((s) => [Number(s.id), s.code]))
  const rows = storedReadings(ids)
  const stored = new Map()
  let doubles = 0
  for (const [sid, ts, v] of rows) {
    const key = `${codeOf[Number(sid)]} ${Number(ts)}`
    if (stored.has(key)) doubles++
    stored.set(key, Number(v))
  }
  const missing = (list) => {
    let miss = 0
    let wrong = 0
    let example = ''
    for (const b of list) {
      for (const line of b.body.split('\n')) {
        if (!line || line.startsWith('@')) continue
        const [code, v, ts] = line.split(' ')
        const got = stored.get(`${code} ${Number(ts)}`)
        if (got === undefined) {
          miss++
          example ||= `${b.id}: ${line}`
        } else if (Math.abs(got - Number(v)) > 1e-6) {
          wrong++
          example ||= `${b.id}: ${line} stored as ${got}`
        }
      }
    }
    return { miss, wrong, example }
  }
  const ma = missing(acked)
  check(ma.miss === 0 && ma.wrong === 0, `every reading of the ${acked.length} batches acknowledged before the kill is stored with its value`, `${ma.miss} missing, ${ma.wrong} wrong value, e.g. ${ma.example}`)
  const mall = missing(batches)
  const expected = batches.reduce((a, b) => a + b.size, 0)
  check(mall.miss === 0 && mall.wrong === 0 && rows.length === expected && doubles === 0, `after the resends the store holds all ${expected} readings exactly once`, `${rows.length} rows, ${doubles} doubled, ${mall.miss} missing, ${mall.wrong} wrong`)

  // b. warnings
  const multi = sql(`SELECT rule_id, subject, count(*) FROM monitor_warnings WHERE state = 'active' GROUP BY rule_id, subject HAVING count(*) > 1`)
  check(multi.length === 0, 'no (rule, subject) has more than one active warning', JSON.stringify(multi))
  const multi2 = sql(`SELECT rule_id, sensor_id, count(*) FROM monitor_warnings WHERE state = 'active' AND sensor_id IS NOT NULL GROUP BY rule_id, sensor_id HAVING count(*) > 1`)
  check(multi2.length === 0, 'no (rule, sensor) has more than one active warning', JSON.stringify(multi2))
  for (const s of Object.values(st.sensors)) {
    const spec = SERIES[s.series]
    const w = sql(
      `SELECT w.id, w.level, w.state FROM monitor_warnings w JOIN monitor_rules r ON r.id = w.rule_id ` +
        `WHERE w.sensor_id = ${Number(s.id)} AND r.kind = 'threshold' ORDER BY w.id`,
    )
    const raises = sql(
      `SELECT count(*) FROM monitor_warning_events e JOIN monitor_warnings w ON w.id = e.warning_id ` +
        `JOIN monitor_rules r ON r.id = w.rule_id WHERE w.sensor_id = ${Number(s.id)} AND r.kind = 'threshold' AND e.action = 'raise'`,
    )
    const nraise = Number(raises[0][0])
    check(nraise === spec.raises, `${s.code} (${s.series}): ${spec.raises} raise event(s) of its threshold rule`, `${nraise} raise events; warnings ${JSON.stringify(w)}`)
    if (spec.level) {
      const active = w.filter((x) => x[2] === 'active')
      check(active.length === 1 && active[0][1] === spec.level, `${s.code}: one active warning at level ${spec.level}`, JSON.stringify(w))
    } else {
      check(w.length === 0, `${s.code}: no warning for a flat series`, JSON.stringify(w))
    }
  }
  finish()
}

const main = phase === 'phase1' ? phase1 : phase === 'phase2' ? phase2 : null
if (!main) {
  console.error('usage: node stream.mjs phase1|phase2 --url URL [--pid PID] --state FILE [--db DB]')
  process.exit(2)
}
main().catch((e) => {
  console.log(`not ok - ${phase} crashed: ${e.stack || e}`)
  fail++
  finish()
})
