// tests/restart/publish.mjs — the fan-out crash test's three parts (tests/restart/publish.sh):
//   stub  --port P --log FILE   a local SMS gateway: answers every POST after DELAY ms with
//                               {"id": …} and appends its Idempotency-Key to FILE (one a line);
//   phase1 --url U --pid PID --log FILE --state FILE
//                               imports PEOPLE people into 青石镇, issues a warning to the town
//                               (commander), and once KILL_AFTER keys reached the stub sends
//                               SIGKILL to the server — in the middle of the fan-out;
//   phase2 --url U --log FILE --state FILE
//                               (server restarted on the same database) moves the test clock past
//                               the outbox lease, waits until no target of the warning is queued,
//                               then checks: every target with a phone has exactly one key
//                               "warn:<w>:<t>:sms" at the stub, no other key of the warning came,
//                               repeats (same key sent again after the crash) are reported.
// Prints "ok - …" / "not ok - …" lines and "RESULT pass=N fail=N".
import http from 'node:http'
import fs from 'node:fs'

const args = Object.fromEntries(
  process.argv.slice(3).reduce((a, v, i, all) => (i % 2 ? a : [...a, [all[i].replace(/^--/, ''), all[i + 1]]]), []),
)
const mode = process.argv[2]
let pass = 0
let fail = 0
function check(cond, what) {
  if (cond) pass++
  else fail++
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`)
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const keysOf = () => (fs.existsSync(args.log) ? fs.readFileSync(args.log, 'utf8').split('\n').filter(Boolean) : [])

async function api(method, path, { token, body, type } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = type || 'application/json'
  const r = await fetch(`${args.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await r.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: r.status, json, text }
}

async function login(username, password = 'Yingji@2026') {
  const r = await api('POST', '/api/v1/auth/login', { body: { username, password } })
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`)
  return r.json.token
}

if (mode === 'stub') {
  const delay = Number(process.env.DELAY || 10)
  let n = 0
  http
    .createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        const key = req.headers['idempotency-key'] || ''
        setTimeout(() => {
          fs.appendFileSync(args.log, `${key}\n`)
          res.writeHead(200, { 'Content-Type': 'application/json' })
          res.end(JSON.stringify({ id: `m${++n}` }))
        }, delay)
      })
    })
    .listen(Number(args.port), '127.0.0.1', () => console.log(`stub on ${args.port}`))
} else if (mode === 'phase1') {
  const people = Number(process.env.PEOPLE || 1500)
  const killAfter = Number(process.env.KILL_AFTER || 300)
  const admin = await login('admin', 'Admin@12345')
  const commander = await login('commander')
  let csv = 'name,phone,role,division_code\n'
  for (let i = 0; i < people; i++) csv += `压测人员${i},137${String(i).padStart(8, '0')},grid_member,620390100201\n`
  const imp = await api('POST', '/api/v1/publish-people/import.csv', { token: admin, body: csv, type: 'text/csv' })
  check(imp.status === 200, `directory import (${imp.status} ${imp.text.slice(0, 200)})`)
  const d = await api('POST', '/api/v1/publish-warnings', {
    token: commander,
    body: { level: 'red', event: '暴雨', event_code: '11B03', headline: '青石镇暴雨红色预警', description: '压测', division_code: '620390100', target_divisions: ['620390100'] },
  })
  const id = d.json.id
  for (const a of ['submit', 'approve', 'issue']) {
    const r = await api('POST', `/api/v1/publish-warnings/${id}/${a}`, { token: commander, body: {} })
    check(r.status === 200, `${a} (${r.status})`)
  }
  const issued = await api('GET', `/api/v1/publish-warnings/${id}`, { token: commander })
  const total = issued.json.targets_total
  check(total >= people, `issued to ${total} targets`)
  fs.writeFileSync(args.state, JSON.stringify({ id, total }))
  const end = Date.now() + 120000
  while (keysOf().length < killAfter && Date.now() < end) await sleep(20)
  const at = keysOf().length
  process.kill(Number(args.pid), 'SIGKILL')
  check(at >= killAfter && at < total, `killed the server in the middle of the fan-out (${at} of ${total} sent)`)
  console.log(`RESULT pass=${pass} fail=${fail}`)
} else if (mode === 'phase2') {
  const { id, total } = JSON.parse(fs.readFileSync(args.state, 'utf8'))
  // past the outbox's 5-minute lease on the batches the dead server had claimed (before the
  // 10-minute answer period, so no backup joins the fan-out)
  const clock = await api('POST', '/api/v1/test/clock', { body: { offset_seconds: 6 * 60 } })
  check(clock.status === 200, 'test clock moved past the lease')
  const commander = await login('commander')
  const end = Date.now() + 240000
  let queued = -1
  while (Date.now() < end) {
    const r = await api('GET', `/api/v1/publish-targets?warning_id=${id}&state=queued&page_size=1`, { token: commander })
    queued = r.json.total
    if (queued === 0) break
    await sleep(250)
  }
  check(queued === 0, `every target sent after the restart (${queued} queued)`)
  const targets = []
  for (let page = 1; ; page++) {
    const r = await api('GET', `/api/v1/publish-targets?warning_id=${id}&page=${page}&page_size=500`, { token: commander })
    targets.push(...r.json.items)
    if (r.json.items.length === 0 || targets.length >= r.json.total) break
  }
  check(targets.length === total, `${targets.length} targets listed`)
  const keys = keysOf().filter((k) => k.startsWith(`warn:${id}:`))
  const counts = new Map()
  for (const k of keys) counts.set(k, (counts.get(k) || 0) + 1)
  const want = targets.filter((t) => t.phone).map((t) => `warn:${id}:${t.id}:sms`)
  const missing = want.filter((k) => !counts.has(k))
  const extra = [...counts.keys()].filter((k) => !want.includes(k))
  check(missing.length === 0, `every recipient's key reached the gateway (${missing.length} missing)`)
  check(extra.length === 0, `no other key (${extra.length} unexpected)`)
  const repeats = [...counts.values()].filter((c) => c > 1).length
  check(repeats <= 100, `repeats after the crash, same key, dropped by the gateway: ${repeats} (at most one commit group in flight per batch)`)
  const del = await api('GET', `/api/v1/publish-deliveries?warning_id=${id}&channel=sms&outcome=sent&page_size=1`, { token: commander })
  check(del.json.total === want.length, `one sent delivery record per recipient with a phone (${del.json.total} of ${want.length})`)
  await api('POST', '/api/v1/test/clock', { body: { offset_seconds: 0 } })
  console.log(`RESULT pass=${pass} fail=${fail}`)
}
