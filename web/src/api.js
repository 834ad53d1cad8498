// The one way the UI talks to the server.
//
// - Every call goes to /api/v1 on the same origin with credentials 'same-origin':
//   the session token lives only in the HttpOnly cookie the server sets at login,
//   never in JavaScript or localStorage.
// - Every non-GET request carries `X-CSRF-Token` (the csrf_token from login or auth/me,
//   kept in memory by session.js through setCsrfToken()).
// - A 401 clears the session and sends the browser to the login page (except for the
//   login call itself, whose 401 is a wrong password shown on the form).
// - A non-2xx answer throws ApiError carrying the server's
//   {"error":{"code","message","message_en","fields"}}.

export const API_BASE = '/api/v1'

let csrfToken = ''
let onUnauthorized = null

export function setCsrfToken(token) {
  csrfToken = token || ''
}

/** Called with no argument when any request (other than login) answers 401. */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {}
    super(err.message || err.message_en || `请求失败（HTTP ${status}）`)
    this.name = 'ApiError'
    this.status = status
    this.code = err.code || (status === 0 ? 'network_error' : `http_${status}`)
    this.messageEn = err.message_en || ''
    this.fields = err.fields && typeof err.fields === 'object' ? err.fields : {}
    // Imports: every refused row with its line and reason ([{line, message, fields}]).
    this.rows = Array.isArray(err.rows) ? err.rows : []
  }
}

/** Builds "/api/v1/path?a=1&b=2", leaving out empty values. */
export function apiUrl(path, query) {
  let url = API_BASE + (path.startsWith('/') ? path : '/' + path)
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      params.append(k, String(v))
    }
    const s = params.toString()
    if (s) url += (url.includes('?') ? '&' : '?') + s
  }
  return url
}

/**
 * request('GET', 'divisions', { query: {page: 1} }) → parsed JSON (or null for 204).
 * Options: query, body (sent as JSON), raw + contentType (a file's text sent as is), noAuthRedirect (don't treat 401 as "logged out").
 */
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json' }
  const init = { method, headers, credentials: 'same-origin' }
  if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.contentType || 'text/plain; charset=utf-8'
    init.body = opts.raw
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(opts.body)
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken
  }
  let res
  try {
    res = await fetch(apiUrl(path, opts.query), init)
  } catch (e) {
    throw new ApiError(0, { error: { message: '无法连接服务器，请检查网络', message_en: String(e) } })
  }
  let body = null
  const text = res.status === 204 ? '' : await res.text()
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = null
    }
  }
  if (res.status === 401 && !opts.noAuthRedirect && onUnauthorized) {
    onUnauthorized()
  }
  if (!res.ok) throw new ApiError(res.status, body)
  return body
}

export const api = {
  get: (path, query, opts) => request('GET', path, { ...opts, query }),
  post: (path, body, opts) => request('POST', path, { ...opts, body: body ?? {} }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
  /** POSTs a file's text as is (CSV or GeoJSON import). */
  upload: (path, text, contentType, opts) => request('POST', path, { ...opts, raw: text, contentType }),
}

/** Starts a browser download of GET /api/v1/<path> (the cookie goes along: same origin). */
export function download(path, query) {
  const a = document.createElement('a')
  a.href = apiUrl(path, query)
  a.download = ''
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
}
