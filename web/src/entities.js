// What the server says about its entities, loaded once per page load:
//   - GET /api/v1/meta/entities: labels, field types, enum values, flags (search, filter,
//     sort, required, readonly, immutable, key), references;
//   - GET /api/v1/openapi.json: which routes exist for each plural (create, edit, delete,
//     CSV/GeoJSON import and export), so a page offers only what the server answers.
// Generic pages (registries, record drawer, map popups) format values from this.
import { reactive } from 'vue'
import { api } from './api.js'
import { formatTime, formatNumber } from './constants.js'

export const meta = reactive({ loaded: false, entities: {}, routes: {}, error: '' })

let loading = null

/** Both shapes are accepted: an object keyed by plural, or an array of {plural, table, …}. */
function normalizeEntities(raw) {
  const out = {}
  const list = Array.isArray(raw) ? raw : Array.isArray(raw && raw.items) ? raw.items : null
  if (list) {
    for (const e of list) if (e && e.plural) out[e.plural] = { ...e }
  } else if (raw && typeof raw === 'object') {
    for (const [plural, e] of Object.entries(raw)) if (e && typeof e === 'object') out[plural] = { plural, ...e }
  }
  for (const [plural, e] of Object.entries(out)) {
    e.plural = e.plural || plural
    e.table = e.table || plural.replace(/-/g, '_')
    e.fields = Array.isArray(e.fields) ? e.fields : []
    e.byName = Object.fromEntries(e.fields.map((f) => [f.name, f]))
    const key = e.fields.find((f) => f.key)
    e.key = key ? key.name : 'id'
  }
  return out
}

/** {plural: Set('list','get','create','update','delete','import.csv','export.csv','import.geojson','export.geojson',…)} */
function normalizeRoutes(openapi) {
  const out = {}
  const paths = (openapi && openapi.paths) || {}
  for (const [p, ops] of Object.entries(paths)) {
    const m = /^\/api\/v1\/([a-z0-9_-]+)(?:\/(.+))?$/.exec(p)
    if (!m) continue
    const plural = m[1]
    const rest = m[2] || ''
    const set = out[plural] || (out[plural] = new Set())
    const methods = Object.keys(ops || {}).map((x) => x.toLowerCase())
    if (!rest) {
      if (methods.includes('get')) set.add('list')
      if (methods.includes('post')) set.add('create')
    } else if (/^(\{id\}|:id)$/.test(rest)) {
      if (methods.includes('get')) set.add('get')
      if (methods.includes('patch') || methods.includes('put')) set.add('update')
      if (methods.includes('delete')) set.add('delete')
    } else {
      set.add(rest.replace(/\{id\}|:id/g, ':id'))
    }
  }
  return out
}

export function loadMeta(force = false) {
  if (loading && !force) return loading
  loading = (async () => {
    try {
      const [ents, openapi] = await Promise.all([api.get('meta/entities'), api.get('openapi.json').catch(() => null)])
      meta.entities = normalizeEntities(ents)
      meta.routes = openapi ? normalizeRoutes(openapi) : {}
      meta.hasOpenapi = !!openapi
      meta.loaded = true
      meta.error = ''
    } catch (e) {
      meta.error = e.message
      loading = null
    }
    return meta
  })()
  return loading
}

export function entityMeta(plural) {
  return meta.entities[plural] || null
}

/** Whether the server has a route: can(plural, 'delete'), can(plural, 'export.geojson'). */
export function can(plural, what) {
  if (!meta.hasOpenapi) return ['list', 'get', 'create', 'update', 'export.csv'].includes(what)
  const s = meta.routes[plural]
  return !!s && s.has(what)
}

/** The plural of the entity stored in `table` (map layers and references name tables). */
export function pluralOfTable(table) {
  if (!table) return ''
  if (meta.entities[table]) return table
  for (const e of Object.values(meta.entities)) if (e.table === table) return e.plural
  return ''
}

export const ENGINE_FIELDS = new Set(['id', 'created_at', 'updated_at'])

/** The field naming a record (name, title, …) for lists and headings. */
export function titleField(em) {
  if (!em) return 'id'
  for (const n of ['name', 'title', 'full_name', 'display_name', 'plate_no', 'code']) if (em.byName[n]) return n
  const t = em.fields.find((f) => f.type === 'text' && !f.key)
  return t ? t.name : em.key
}

export function recordTitle(em, rec) {
  if (!rec) return ''
  const f = titleField(em)
  return String(rec[f] ?? rec.name ?? rec.title ?? rec.id ?? '')
}

export function enumLabel(field, v) {
  if (!field || !Array.isArray(field.enum)) return v
  const e = field.enum.find((x) => x.value === v)
  return e ? e.label : v
}

/** A record's value as text for tables and descriptions. */
export function formatValue(field, v, rec) {
  if (v === null || v === undefined || v === '') return ''
  if (!field) return typeof v === 'object' ? JSON.stringify(v) : String(v)
  switch (field.type) {
    case 'enum':
      return enumLabel(field, v)
    case 'bool':
      return v === true || v === 1 || v === '1' || v === 'true' ? '是' : '否'
    case 'time':
      return formatTime(v)
    case 'int':
      return formatNumber(v)
    case 'real':
      return /(^|_)(lon|lat|lng|longitude|latitude)$/.test(field.name) ? String(v) : formatNumber(v, 2)
    case 'division': {
      const name = (rec && (rec[field.name.replace(/_code$/, '') + '_name'] || (field.name === 'division_code' && rec.division_name))) || lookupTitle('divisions', v)
      return name ? `${name}（${v}）` : String(v)
    }
    case 'ref': {
      const base = field.name.replace(/_id$/, '')
      const name = (rec && (rec[base + '_name'] || rec[base + '_title'])) || (field.ref && lookupTitle(pluralOfTable(field.ref), v))
      return name ? String(name) : String(v)
    }
    case 'json':
      if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join('、')
      return typeof v === 'object' ? JSON.stringify(v) : String(v)
    default:
      return String(v)
  }
}

/** Longitude/latitude field names of an entity, or null. */
export function lonLatFields(em) {
  if (!em) return null
  const lon = ['lon', 'lng', 'longitude'].find((n) => em.byName[n])
  const lat = ['lat', 'latitude'].find((n) => em.byName[n])
  return lon && lat ? { lon, lat } : null
}

// Names of referenced records (divisions, teams, warehouses…) for tables that hold only
// codes and ids: fetched once per record (GET /api/v1/<plural>/<key>), kept for the page's
// life; reading the cache in a render re-renders when the name arrives.
const titles = reactive({})
const pendingTitles = new Set()

export function lookupTitle(plural, key) {
  if (!plural || key === null || key === undefined || key === '') return ''
  const k = plural + '/' + key
  if (k in titles) return titles[k]
  if (!pendingTitles.has(k)) {
    pendingTitles.add(k)
    api
      .get(`${plural}/${encodeURIComponent(key)}`)
      .then((r) => {
        const rec = r && r.item && typeof r.item === 'object' ? r.item : r
        titles[k] = recordTitle(entityMeta(plural), rec) || ''
      })
      .catch(() => {
        titles[k] = ''
      })
  }
  return ''
}
