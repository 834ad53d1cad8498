// bench/ingest/setup.mjs URL SENSORS_FILE PROBE_FILE [COUNT]
//
// Prepares a freshly demo-loaded server for bench/ingest/run.sh: logs in as admin, creates
// COUNT (default 1000) sensors BENCH-<n> through POST /api/v1/monitor-sensors — ten types in
// turn, on the demo points MP-001…MP-004, gateway GW-DEMO-01 — and one probe sensor
// BENCH-PROBE (可燃气体) for the latency measurement. Writes SENSORS_FILE for ingest_bench
// ("CODE MEASUREMENT LOW HIGH", value ranges below every default threshold of the type, so
// the load raises no warning) and PROBE_FILE, shell assignments: TOKEN, PROBE_SENSOR,
// PROBE_HIGH, PROBE_LOW, PROBE_HOLD_MS (from the county's threshold rule for 可燃气体).
import { writeFileSync } from 'node:fs'

const [url, sensorsFile, probeFile, countArg] = process.argv.slice(2)
const BASE = url.replace(/\/+$/, '')
const COUNT = Number(countArg || 1000)

// type → [low, high]: safe against the demo county's rules (docs/monitoring.md). Rainfall is
// summed over 1 h / 24 h, so it stays tiny; rate rules (GNSS, dam) see changes < 5 mm.
const TYPES = {
  rainfall: [0, 0.004],
  water_level: [1.0, 2.0],
  gnss_displacement: [0, 2],
  phreatic_line: [10, 12],
  beach_length: [150, 160],
  dam_displacement: [0, 2],
  combustible_gas: [0, 5],
  toxic_gas: [0, 2],
  temperature: [20, 30],
  smoke: [0, 0],
}

async function api(method, path, token, body) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body) headers['Content-Type'] = 'application/json'
  const res = await fetch(BASE + path, { method, headers, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {}
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 400)}`)
  return json
}

async function one(token, plural, code) {
  const r = await api('GET', `/api/v1/${plural}?q=${encodeURIComponent(code)}&page_size=50`, token)
  const it = (r.items || []).find((x) => x.code === code)
  if (!it) throw new Error(`${plural}: ${code} not found (demo not loaded?)`)
  return it
}

const login = await api('POST', '/api/v1/auth/login', null, { username: 'admin', password: 'Admin@12345' })
const token = login.token
const gw = await one(token, 'monitor-gateways', 'GW-DEMO-01')
const points = []
for (const c of ['MP-001', 'MP-002', 'MP-003', 'MP-004']) points.push(await one(token, 'monitor-points', c))

const types = Object.keys(TYPES)
const lines = []
const t0 = Date.now()
for (let i = 0; i < COUNT; i++) {
  const type = types[i % types.length]
  const code = `BENCH-${String(i).padStart(5, '0')}`
  // MP-002 has a combination rule (rainfall AND GNSS): keep the bench sensors off it
  const point = points[[0, 2, 3][i % 3]]
  await api('POST', '/api/v1/monitor-sensors', token, { code, name: code, point_id: point.id, gateway_id: gw.id, type, interval_seconds: 60 })
  lines.push(`${code} ${type} ${TYPES[type][0]} ${TYPES[type][1]}`)
}
writeFileSync(sensorsFile, lines.join('\n') + '\n')
console.error(`setup: ${COUNT} sensors created in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

await api('POST', '/api/v1/monitor-sensors', token, { code: 'BENCH-PROBE', name: 'latency probe', point_id: points[3].id, gateway_id: gw.id, type: 'combustible_gas', interval_seconds: 60 })
const rules = await api('GET', '/api/v1/monitor-rules?sensor_type=combustible_gas&page_size=100', token)
const rule = (rules.items || []).find((r) => r.kind === 'threshold' && !r.point_id && r.enabled !== false && r.enabled !== 0)
if (!rule) throw new Error('no threshold rule for combustible_gas in the demo')
const blue = Number(rule.blue ?? rule.yellow)
writeFileSync(
  probeFile,
  [
    `TOKEN='${token}'`,
    `PROBE_SENSOR=BENCH-PROBE`,
    `PROBE_HIGH=${blue * 2}`,
    `PROBE_LOW=0`,
    `PROBE_HOLD_MS=${Number(rule.hold_seconds || 0) * 1000}`,
    '',
  ].join('\n'),
)
console.error(`setup: probe BENCH-PROBE, rule ${rule.id} "${rule.name}" blue ${blue}, hold ${rule.hold_seconds} s`)
