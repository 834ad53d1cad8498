// Fixed colours per state value, the same on every layer: ready/normal green, busy or in
// use orange, degraded yellow, out of service red, closed/retired grey; enterprises by
// risk class red/orange/yellow/blue (重大/较大/一般/低).
const STATE_COLORS = {
  red: '#d7191c', major: '#d7191c', major_risk: '#d7191c', '重大': '#d7191c', '重大风险': '#d7191c', level1: '#d7191c',
  orange: '#f07c1b', high: '#f07c1b', larger: '#f07c1b', '较大': '#f07c1b', '较大风险': '#f07c1b', level2: '#f07c1b',
  yellow: '#e8c21a', moderate: '#e8c21a', medium: '#e8c21a', general: '#e8c21a', '一般': '#e8c21a', '一般风险': '#e8c21a', level3: '#e8c21a',
  I: '#d7191c', II: '#f07c1b', III: '#e8c21a', IV: '#2c7bb6', // 重大危险源 一级…四级
  blue: '#2c7bb6', low: '#2c7bb6', '低': '#2c7bb6', '低风险': '#2c7bb6', level4: '#2c7bb6',

  ready: '#1a9850', available: '#1a9850', normal: '#1a9850', open: '#1a9850', active: '#1a9850', idle: '#1a9850',
  standby: '#66bd63', on_duty: '#1a9850', in_service: '#1a9850', ok: '#1a9850', good: '#1a9850', operational: '#1a9850', usable: '#1a9850',
  busy: '#f07c1b', deployed: '#f07c1b', dispatched: '#f07c1b', in_use: '#f07c1b', on_mission: '#f07c1b', mission: '#f07c1b', occupied: '#f07c1b',
  en_route: '#f07c1b', responding: '#f07c1b', full: '#f07c1b', in_transit: '#f07c1b',
  maintenance: '#e8c21a', repair: '#e8c21a', training: '#7b3294', limited: '#e8c21a', partial: '#e8c21a', low_stock: '#e8c21a', expiring: '#e8c21a',
  unavailable: '#d7191c', broken: '#d7191c', damaged: '#d7191c', out_of_service: '#d7191c', fault: '#d7191c', expired: '#d7191c',
  // 监测点/传感器 掉线: dark grey, so that it is never mistaken for a red (I级) warning.
  offline: '#4d4d4d', online: '#1a9850', disabled: '#8c8c8c',
  closed: '#8c8c8c', inactive: '#8c8c8c', retired: '#8c8c8c', suspended: '#8c8c8c', disbanded: '#8c8c8c', scrapped: '#8c8c8c', unknown: '#8c8c8c',
}
const FALLBACK_COLORS = ['#1a9850', '#2c7bb6', '#f07c1b', '#7b3294', '#e8c21a', '#d7191c', '#01665e', '#8c510a', '#c51b7d', '#8c8c8c']
export const NO_STATE_COLOR = '#5b6b7d'

/** The colour of a state value; unknown values get a stable colour by their place in `states`. */
export function stateColor(value, states) {
  if (value === null || value === undefined || value === '') return NO_STATE_COLOR
  const c = STATE_COLORS[value] || STATE_COLORS[String(value).toLowerCase()]
  if (c) return c
  const i = Array.isArray(states) ? states.findIndex((s) => s.value === value) : -1
  if (i >= 0) return FALLBACK_COLORS[i % FALLBACK_COLORS.length]
  let h = 0
  for (const ch of String(value)) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return FALLBACK_COLORS[h % FALLBACK_COLORS.length]
}

// One character on each marker, so layers can be told apart whatever their state colour.
const KIND_GLYPHS = {
  teams: '队', team: '队', rescue_teams: '队', team_members: '员', experts: '专', expert: '专', equipment: '装', machinery: '机',
  helipads: '直', helipad: '直', transport: '运', shelters: '避', shelter: '避', enterprises: '企', enterprise: '企',
  hazard_sources: '危', warehouses: '库', warehouse: '库', supplier_capacity: '产', supply_stock: '储',
  'monitor-points': '测', monitor_points: '测',
}
export function kindGlyph(kind, label) {
  return KIND_GLYPHS[kind] || (label ? String(label).slice(0, 1) : '•')
}
