// 预警发布与叫应 (docs/publish.md): labels and colours of the warning states, target states and
// escalations, the workflow table as the server declares it (modules/publish/entities.c, for
// the buttons: GET /publish-warnings/:id carries no `actions`), the roles of each route, and
// small helpers shared by the publication pages.
import { reactive } from 'vue'
import { api } from '../api.js'
import { session } from '../session.js'

export { LEVELS, levelInfo, levelColor, levelLabel, formatDuration } from './MonitorLevelTag.vue'

export const STATES = [
  { value: 'draft', label: '草稿', tag: 'info' },
  { value: 'review', label: '待审核', tag: 'warning' },
  { value: 'approved', label: '已审核', tag: 'primary' },
  { value: 'issued', label: '已发布', tag: 'danger' },
  { value: 'cancelled', label: '已解除', tag: 'success' },
  { value: 'superseded', label: '已更新', tag: 'info' },
]
export const MSG_TYPES = { Alert: '首发', Update: '更新', Cancel: '解除' }
export const TARGET_STATES = { queued: '待发送', sent: '已发送', delivered: '已送达', answered: '已应答', failed: '发送失败' }
export const TARGET_KINDS = { person: '责任人', backup: 'AB岗', special: '特殊群体' }
export const ESCALATIONS = { none: '未升级', backup: '已转AB岗', visit: '已派上门', covered: 'AB岗已应答' }
export const PERSON_ROLES = { town_leader: '乡镇领导', village_leader: '村干部', grid_member: '网格员', info_officer: '信息员', enterprise_safety: '企业安全员', risk_owner: '风险点责任人' }
export const VISIT_REASONS = { no_answer: '未应答', special: '特殊群体' }
export const ANSWER_CHANNELS = { link: '短信链接', app: '平台', 'sms-reply': '短信回复' }

const stateMap = Object.fromEntries(STATES.map((s) => [s.value, s]))
export const stateLabel = (v) => (stateMap[v] || {}).label || v || ''
export const stateTag = (v) => (stateMap[v] || {}).tag || 'info'

/** Who may read the warnings (routes.c READ), draft them (DRAFT), sign them (SIGN), record visits (VISIT). */
export const READ_ROLES = ['admin', 'duty_officer', 'commander', 'inspector', 'viewer', 'info_officer']
export const DRAFT_ROLES = ['admin', 'duty_officer', 'commander']
export const SIGN_ROLES = ['admin', 'commander']
export const DIRECTORY_ROLES = ['admin', 'duty_officer']
export const VISIT_ROLES = ['admin', 'duty_officer', 'commander', 'info_officer']

// The workflow (entities.c transitions) plus update (routes.c, on an issued warning).
// confirm: the step reaches people — asked twice; reason: the step needs {reason}.
export const ACTIONS = [
  { action: 'submit', from: 'draft', label: '提交审核', roles: DRAFT_ROLES, type: 'primary' },
  { action: 'approve', from: 'review', label: '审核通过', roles: SIGN_ROLES, type: 'primary' },
  { action: 'return', from: 'review', label: '退回', roles: SIGN_ROLES, type: 'warning', reason: '退回原因' },
  { action: 'issue', from: 'approved', label: '签发', roles: SIGN_ROLES, type: 'danger', confirm: true },
  { action: 'update', from: 'issued', label: '更新', roles: DRAFT_ROLES, type: 'primary' },
  { action: 'cancel', from: 'issued', label: '解除', roles: SIGN_ROLES, type: 'warning', confirm: true, reason: '解除原因' },
]

const role = () => (session.user && session.user.role) || ''
export const hasAnyRole = (roles) => roles.includes(role())

/** The steps the logged-in user may take on a warning in its state. */
export function actionsFor(w) {
  if (!w) return []
  return ACTIONS.filter((a) => a.from === w.state && a.roles.includes(role()))
}
/** Drafts and warnings under review can be edited (PATCH), by the drafting roles. */
export function mayEdit(w) {
  return !!w && (w.state === 'draft' || w.state === 'review') && hasAnyRole(DRAFT_ROLES)
}

/** A JSON field the server may hand back as text. */
export function jsonOf(v, fallback = null) {
  if (v === null || v === undefined || v === '') return fallback
  if (typeof v !== 'string') return v
  try {
    return JSON.parse(v)
  } catch {
    return fallback
  }
}

/** Seconds as 12 分 05 秒 / 1 小时 03 分 (the 30-minute clock). */
export function clockText(sec) {
  const s = Math.max(0, Math.round(Number(sec) || 0))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = s % 60
  const p = (n) => String(n).padStart(2, '0')
  return h ? `${h} 小时 ${p(m)} 分 ${p(r)} 秒` : `${m} 分 ${p(r)} 秒`
}

/** Percentage text of a part of a whole ("—" for an empty whole). */
export function pct(part, whole) {
  const w = Number(whole) || 0
  if (!w) return '—'
  return Math.round((Number(part || 0) * 1000) / w) / 10 + '%'
}

// Headlines of warnings by id (visit tasks hold only the id): the newest 200 within the
// user's jurisdiction, listed once, again (at most every 10 s) for an id not among them. A task
// may belong to a warning issued above the user's jurisdiction (a county warning seen from a
// town): GET /publish-warnings/:id would be 404, so it shows as "#id".
const headlines = reactive({})
let listed = 0
let listing = null
function listHeadlines() {
  if (listing || Date.now() - listed < 10000) return
  listing = api
    .get('publish-warnings', { page_size: 200, sort: '-id' })
    .then((r) => {
      for (const w of (r && r.items) || []) headlines[w.id] = w.headline
    })
    .catch(() => {})
    .finally(() => {
      listed = Date.now()
      listing = null
    })
}
export function warningHeadline(id) {
  if (id === null || id === undefined || id === '') return ''
  if (id in headlines) return headlines[id]
  listHeadlines()
  return ''
}
