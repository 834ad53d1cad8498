// tests/e2e/browser.mjs — what every browser test sets up the same way: Debian's Chromium with
// the flags a closed network needs (DESIGN.md), requests kept on this machine, console errors
// collected.
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

export function isLocal(url) {
  const u = new URL(url)
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true
  return LOCAL_HOSTS.has(u.hostname) || u.hostname.startsWith('127.')
}

// Before login the app asks GET /api/v1/auth/me, which answers 401 by design: Chromium logs
// that failed load as a console error.
export function isAuthProbe(msg) {
  const loc = msg.location() || {}
  return /status of 401/.test(msg.text()) && /\/api\/v1\/auth\/me(\?|$)/.test(loc.url || '')
}

/** Keeps the context's requests on this machine: others are aborted, their URLs pushed to `offsite`. */
export async function keepLocal(context, offsite) {
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (isLocal(url)) return route.continue()
    offsite.push(url)
    return route.abort('blockedbyclient')
  })
}

/** Pushes the page's console errors (except those `allowed` accepts) and page errors to `errors`, each after `label`. */
export function collectErrors(page, errors, allowed = isAuthProbe, label = '') {
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowed(msg)) errors.push(`${label}${msg.text()} @ ${(msg.location() || {}).url || ''}`)
  })
  page.on('pageerror', (e) => errors.push(`${label}pageerror: ${e.message}`))
}
