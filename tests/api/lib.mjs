// Shared helpers of the black-box API tests (tests/api/*.test.mjs).
//
// Env: YINGJI_URL (the server, default http://127.0.0.1:8080), YINGJI_DB (the --db URL the
// server runs on: sqlite:PATH or postgres://…), YINGJI_BIN (the yingji binary, for CLI
// checks). Only node built-ins and the global fetch are used.
import assert from 'node:assert/strict'

export const BASE = (process.env.YINGJI_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
export const DB = process.env.YINGJI_DB || ''
export const BIN = process.env.YINGJI_BIN || 'build/yingji'
export const BACKEND = DB.startsWith('postgres') ? 'postgres' : 'sqlite'

export const COUNTY = '620390' // 云岭县, the demo county
export const COUNTY_NAME = '云岭县'
export const CITY = '6203' // 金昌市
export const TOWN1 = '620390100'
export const TOWN2 = '620390101'
export const OTHER_COUNTY = '620321' // 永昌县: same city, outside the demo county

export const DEMO_PASSWORD = 'Yingji@2026'
/** Demo accounts: username → {password, role, division}. */
export const ACCOUNTS = {
  admin: { password: 'Admin@12345', role: 'admin', division: COUNTY },
  duty: { password: DEMO_PASSWORD, role: 'duty_officer', division: COUNTY },
  commander: { password: DEMO_PASSWORD, role: 'commander', division: COUNTY },
  inspector: { password: DEMO_PASSWORD, role: 'inspector', division: COUNTY },
  enterprise: { password: DEMO_PASSWORD, role: 'enterprise', division: COUNTY },
  info: { password: DEMO_PASSWORD, role: 'info_officer', division: TOWN1 },
  team: { password: DEMO_PASSWORD, role: 'team_member', division: COUNTY },
  viewer: { password: DEMO_PASSWORD, role: 'viewer', division: COUNTY },
  town1: { password: DEMO_PASSWORD, role: 'duty_officer', division: TOWN1 },
  town2: { password: DEMO_PASSWORD, role: 'duty_officer', division: TOWN2 },
  city: { password: DEMO_PASSWORD, role: 'admin', division: CITY },
}
/** One demo account per role, for the authorisation matrix. */
export const ROLE_USERS = ['admin', 'duty', 'commander', 'inspector', 'enterprise', 'info', 'team', 'viewer']

/** A suffix that keeps names created by one run apart from another's. */
export function uniq(prefix = 't') {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
}

/**
 * One HTTP request. opts: token (bearer), cookie (session token sent as cookie), csrf
 * (X-CSRF-Token), body (object → JSON; string/Buffer → sent as is), contentType, headers.
 * Returns {status, headers, text, json} (json is the parsed body or undefined).
 */
export async function req(method, path, opts = {}) {
  const headers = { ...(opts.headers || {}) }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`
  if (opts.cookie) headers.Cookie = `yingji_session=${opts.cookie}`
  if (opts.csrf) headers['X-CSRF-Token'] = opts.csrf
  let body
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string' || opts.body instanceof Uint8Array) {
      body = opts.body
      headers['Content-Type'] = opts.contentType || 'application/json'
    } else {
      body = JSON.stringify(opts.body)
      headers['Content-Type'] = 'application/json'
    }
  }
  const url = path.startsWith('http') ? path : BASE + path
  const res = await fetch(url, { method, headers, body, redirect: 'manual' })
  // Response.text() would drop a leading BOM; keep it so exports can be checked for one.
  const bytes = new Uint8Array(await res.arrayBuffer())
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
  let json
  if ((res.headers.get('content-type') || '').includes('json') && text) {
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
  }
  return { status: res.status, headers: res.headers, text, json, bytes }
}

/** Short description of a response for assertion messages. */
export function show(res) {
  return `${res.status} ${res.text.length > 600 ? res.text.slice(0, 600) + '…' : res.text}`
}

/** Asserts an error response: status and error.code; returns the error object. */
export function assertError(res, status, code) {
  const st = Array.isArray(status) ? status : [status]
  assert.ok(st.includes(res.status), `expected HTTP ${st.join('/')}, got ${show(res)}`)
  assert.ok(res.json && res.json.error, `expected an error body, got ${show(res)}`)
  const e = res.json.error
  if (code) {
    const codes = Array.isArray(code) ? code : [code]
    assert.ok(codes.includes(e.code), `expected error.code ${codes.join('/')}, got ${show(res)}`)
  }
  assert.equal(typeof e.message, 'string', 'error.message (Chinese) present')
  assert.ok(e.message.length > 0, 'error.message not empty')
  assert.equal(typeof e.message_en, 'string', 'error.message_en present')
  return e
}

/** Asserts a 2xx (or the given) status; returns the parsed JSON. */
export function ok(res, status) {
  if (status !== undefined) assert.equal(res.status, status, show(res))
  else assert.ok(res.status >= 200 && res.status < 300, show(res))
  return res.json
}

/** POST /api/v1/auth/login; returns the raw response plus token/csrf/user when it worked. */
export async function login(username, password) {
  const res = await req('POST', '/api/v1/auth/login', { body: { username, password } })
  const out = { res, status: res.status }
  if (res.status === 200 && res.json) {
    out.token = res.json.token
    out.csrf = res.json.csrf_token
    out.user = res.json.user
  }
  return out
}

/**
 * Logs in (asserting success) and returns a client bound to the bearer token:
 * c.get(path), c.post(path, body), c.patch, c.del, c.req(method, path, opts).
 */
export async function as(username, password) {
  const pw = password || (ACCOUNTS[username] && ACCOUNTS[username].password)
  const l = await login(username, pw)
  assert.equal(l.status, 200, `login as ${username}: ${show(l.res)}`)
  return client(l.token, { csrf: l.csrf, user: l.user, username })
}

/** A client bound to a bearer token. */
export function client(token, extra = {}) {
  const c = {
    ...extra,
    token,
    req: (method, path, opts = {}) => req(method, path, { ...opts, token }),
    get: (path) => req('GET', path, { token }),
    post: (path, body, opts = {}) => req('POST', path, { ...opts, body, token }),
    patch: (path, body, opts = {}) => req('PATCH', path, { ...opts, body, token }),
    del: (path) => req('DELETE', path, { token }),
  }
  return c
}

/** A client that authenticates with the session cookie (and CSRF header when csrf is set). */
export function cookieClient(token, csrf) {
  return {
    token,
    csrf,
    req: (method, path, opts = {}) => req(method, path, { ...opts, cookie: token }),
    get: (path) => req('GET', path, { cookie: token }),
    post: (path, body, withCsrf = true) =>
      req('POST', path, { body, cookie: token, csrf: withCsrf ? csrf : undefined }),
    patch: (path, body, withCsrf = true) =>
      req('PATCH', path, { body, cookie: token, csrf: withCsrf ? csrf : undefined }),
  }
}

/** GET a list and return its total (asserting 200). */
export async function total(c, path) {
  const r = await c.get(path)
  assert.equal(r.status, 200, `GET ${path}: ${show(r)}`)
  assert.equal(typeof r.json.total, 'number', `total in ${show(r)}`)
  return r.json.total
}

/** Fetches every page of a list (page_size 500). */
export async function listAll(c, path) {
  const sep = path.includes('?') ? '&' : '?'
  const items = []
  for (let page = 1; page < 1000; page++) {
    const r = await c.get(`${path}${sep}page=${page}&page_size=500`)
    assert.equal(r.status, 200, `GET ${path}: ${show(r)}`)
    items.push(...r.json.items)
    if (items.length >= r.json.total || r.json.items.length === 0) return { items, total: r.json.total }
  }
  throw new Error('too many pages')
}

export async function openapi() {
  const r = await req('GET', '/api/v1/openapi.json')
  assert.equal(r.status, 200, show(r))
  return r.json
}

/** Shifts the server clock (test-only route; also resets the login rate limiter). */
export async function setClock(seconds) {
  const r = await req('POST', '/api/v1/test/clock', { body: { offset_seconds: seconds } })
  assert.equal(r.status, 200, `test clock: ${show(r)}`)
  return r.json
}

/**
 * Starts the per-address login rate limit afresh: ten minutes later (test clock) its window
 * is over, and moving the clock back starts a new one. Leaves the clock offset at 0.
 */
export async function resetLoginLimiter() {
  await setClock(11 * 60)
  await req('POST', '/api/v1/auth/login', { body: { username: 'admin', password: ACCOUNTS.admin.password } })
  await setClock(0)
  await req('POST', '/api/v1/auth/login', { body: { username: 'admin', password: ACCOUNTS.admin.password } })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Opens GET /api/v1/events with a bearer token (none when token is empty). Returns {status, events, waitFor(pred, ms),
 * close()}: events is the list of {event, id, data} received so far (data parsed as JSON
 * when it is JSON). waitFor resolves with the first event that matches or null on timeout.
 */
export async function sse(token) {
  const ctrl = new AbortController()
  const headers = { Accept: 'text/event-stream' }
  if (token) headers.Authorization = `Bearer ${token}`
  const res = await fetch(BASE + '/api/v1/events', {
    headers,
    signal: ctrl.signal,
  })
  const stream = { status: res.status, headers: res.headers, events: [], closed: false }
  const waiters = new Set()
  const check = () => {
    for (const w of waiters) {
      const hit = stream.events.find(w.pred)
      if (hit) {
        waiters.delete(w)
        clearTimeout(w.timer)
        w.resolve(hit)
      }
    }
  }
  if (res.status !== 200) {
    stream.text = await res.text()
    stream.waitFor = async () => null
    stream.close = () => {}
    return stream
  }
  const reader = res.body.getReader()
  const dec = new TextDecoder()
  let buf = ''
  ;(async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buf += dec.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
        let i
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const ev = { event: 'message', data: '' }
          const data = []
          for (const line of block.split('\n')) {
            if (!line || line.startsWith(':')) continue
            const c = line.indexOf(':')
            const k = c < 0 ? line : line.slice(0, c)
            const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '')
            if (k === 'event') ev.event = v
            else if (k === 'data') data.push(v)
            else if (k === 'id') ev.id = v
          }
          if (!data.length && ev.event === 'message') continue
          ev.raw = data.join('\n')
          try {
            ev.data = JSON.parse(ev.raw)
          } catch {
            ev.data = ev.raw
          }
          stream.events.push(ev)
          check()
        }
      }
    } catch {
      /* aborted */
    }
    stream.closed = true
  })()
  stream.waitFor = (pred, ms = 5000) =>
    new Promise((resolve) => {
      const hit = stream.events.find(pred)
      if (hit) return resolve(hit)
      const w = { pred, resolve }
      w.timer = setTimeout(() => {
        waiters.delete(w)
        resolve(null)
      }, ms)
      waiters.add(w)
    })
  stream.close = () => {
    ctrl.abort()
    for (const w of waiters) {
      clearTimeout(w.timer)
      w.resolve(null)
    }
    waiters.clear()
  }
  return stream
}

/** The record key of a change event (the server may call it "key" or "id"). */
export function eventKey(ev) {
  const d = ev && ev.data
  if (!d || typeof d !== 'object') return undefined
  return String(d.key ?? d.id ?? '')
}

/** Splits CSV text into rows of cells (RFC 4180 quoting); strips a BOM. */
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const rows = []
  let row = []
  let cell = ''
  let q = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (q) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else q = false
      } else cell += ch
    } else if (ch === '"') q = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += ch
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

/** True for an output key that would carry a password or a hash (not e.g. password_changed_at). */
export function secretKey(k) {
  return /^(password|passwd|pwd|secret|token_hash)$/i.test(k) || /hash/i.test(k)
}

/** True when the text holds something that looks like a password hash. */
export function looksLikeHash(text) {
  return /\$argon2(id|i|d)\$/.test(text)
}

/**
 * Runs one SQL statement directly on the test database with the sqlite3 or psql client
 * (bypassing the server). Returns {status, stdout, stderr}; stdout rows are "|"-separated.
 */
export async function dbExec(sql) {
  const { spawnSync } = await import('node:child_process')
  let r
  if (BACKEND === 'postgres') {
    r = spawnSync('psql', [DB, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' })
  } else {
    r = spawnSync('sqlite3', ['-bail', DB.replace(/^sqlite:/, ''), sql], { encoding: 'utf8' })
  }
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() }
}

/** dbExec of a query that returns one integer. */
export async function dbInt(sql) {
  const r = await dbExec(sql)
  assert.equal(r.status, 0, `${sql}: ${r.stderr}`)
  return Number(r.stdout)
}

/** Counts per level from /divisions/stats, whatever its exact shape. */
export function levelCounts(body) {
  const levels = ['province', 'city', 'county', 'town', 'village']
  const out = {}
  const take = (o) => {
    for (const l of levels) {
      if (typeof o[l] === 'number') out[l] = o[l]
      else if (o[l] && typeof o[l] === 'object' && typeof o[l].count === 'number') out[l] = o[l].count
    }
  }
  const arr = Array.isArray(body) ? body : body.items || body.levels || body.by_level || body.counts
  if (Array.isArray(arr)) {
    for (const it of arr) if (it && levels.includes(it.level)) out[it.level] = it.count ?? it.total ?? it.n
  } else if (arr && typeof arr === 'object') take(arr)
  take(body)
  for (const l of levels) out[l] ??= 0
  return out
}

