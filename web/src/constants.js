// Labels for the server's enum values.
export const ROLES = [
  { value: 'admin', label: '系统管理员' },
  { value: 'duty_officer', label: '值班员' },
  { value: 'commander', label: '指挥长' },
  { value: 'inspector', label: '执法人员' },
  { value: 'enterprise', label: '企业用户' },
  { value: 'info_officer', label: '灾害信息员' },
  { value: 'team_member', label: '救援队员' },
  { value: 'viewer', label: '只读用户' },
]

export const LEVELS = [
  { value: 'province', label: '省' },
  { value: 'city', label: '市' },
  { value: 'county', label: '县/区' },
  { value: 'town', label: '乡镇/街道' },
  { value: 'village', label: '村/社区' },
]

const roleMap = Object.fromEntries(ROLES.map((r) => [r.value, r.label]))
const levelMap = Object.fromEntries(LEVELS.map((l) => [l.value, l.label]))

export const roleLabel = (v) => roleMap[v] || v || ''
export const levelLabel = (v) => levelMap[v] || v || ''

/** The level one step below (null for village). */
export function childLevel(level) {
  const i = LEVELS.findIndex((l) => l.value === level)
  return i >= 0 && i < LEVELS.length - 1 ? LEVELS[i + 1].value : null
}

// Times are stored in UTC and shown in Asia/Shanghai (DESIGN 3.8).
const timeFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

export function formatTime(v) {
  if (!v) return ''
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) return String(v)
  return timeFmt.format(d).replace(/\//g, '-')
}

export function formatNumber(v, digits = 0) {
  if (v === null || v === undefined || v === '') return ''
  const n = Number(v)
  if (!Number.isFinite(n)) return String(v)
  return n.toLocaleString('zh-CN', { maximumFractionDigits: digits })
}
