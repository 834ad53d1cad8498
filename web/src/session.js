// Who is logged in. The token itself never reaches JavaScript (HttpOnly cookie);
// this keeps the user record, the CSRF token (memory only) and the platform config.
import { reactive } from 'vue'
import { api, setCsrfToken } from './api.js'
import { startEvents, stopEvents } from './events.js'

export const session = reactive({
  user: null, // {id, username, display_name, role, division_code, division_name}
  checked: false, // auth/me has been asked once since the page loaded
  config: { tile_url: '', platform_name: '应急管理综合应用平台' },
})

function setLoggedIn(user, csrf) {
  session.user = user
  setCsrfToken(csrf)
  startEvents()
}

export function clearSession() {
  session.user = null
  setCsrfToken('')
  stopEvents()
}

/** Asks the server whether the cookie is still a session; true when logged in. */
export async function restoreSession() {
  if (session.checked) return !!session.user
  try {
    const me = await api.get('auth/me', undefined, { noAuthRedirect: true })
    setLoggedIn(me.user, me.csrf_token)
  } catch {
    clearSession()
  }
  session.checked = true
  return !!session.user
}

export async function login(username, password) {
  const r = await api.post('auth/login', { username, password }, { noAuthRedirect: true })
  setLoggedIn(r.user, r.csrf_token)
  session.checked = true
  return r.user
}

export async function logout() {
  try {
    await api.post('auth/logout', {}, { noAuthRedirect: true })
  } finally {
    clearSession()
  }
}

/** GET /api/v1/config (public: the login page shows the platform name). */
export async function loadConfig() {
  try {
    const c = await api.get('config', undefined, { noAuthRedirect: true })
    if (c && typeof c === 'object') {
      session.config.tile_url = c.tile_url || ''
      if (c.platform_name) session.config.platform_name = c.platform_name
      document.title = session.config.platform_name
    }
  } catch {
    /* keep defaults */
  }
}

export function hasRole(...roles) {
  return !!session.user && roles.includes(session.user.role)
}
