// Server-Sent Events from /api/v1/events: one EventSource for the whole page, opened
// after login and closed at logout. Each "change" event carries {entity, id, action};
// views subscribe with onChange(entities, fn) and refresh what they show.
import { API_BASE, api } from './api.js'

let source = null
let wanted = false // logged in: the stream should be open
let retryTimer = null
const listeners = new Set()

export function startEvents() {
  wanted = true
  if (source || typeof EventSource === 'undefined') return
  source = new EventSource(API_BASE + '/events')
  source.addEventListener('change', (ev) => {
    let data
    try {
      data = JSON.parse(ev.data)
    } catch {
      return
    }
    for (const l of listeners) {
      if (!l.entities || l.entities.includes(data.entity)) {
        try {
          l.fn(data)
        } catch (e) {
          console.warn('change listener failed', e)
        }
      }
    }
  })
  // EventSource reconnects by itself after a dropped connection, but gives up for good
  // on an HTTP error (e.g. a restarting server answering 503): try again a bit later.
  // If the session has expired, the auth/me check's 401 sends the user to the login page.
  const es = source
  es.addEventListener('error', () => {
    if (es !== source || es.readyState !== EventSource.CLOSED) return
    source = null
    clearTimeout(retryTimer)
    retryTimer = setTimeout(async () => {
      if (!wanted) return
      try {
        await api.get('auth/me')
      } catch {
        return
      }
      if (wanted) startEvents()
    }, 10000)
  })
}

export function stopEvents() {
  wanted = false
  clearTimeout(retryTimer)
  if (source) source.close()
  source = null
}

/** entities: array of entity names (null = every change). Returns an unsubscribe function. */
export function onChange(entities, fn) {
  const l = { entities, fn }
  listeners.add(l)
  return () => listeners.delete(l)
}
