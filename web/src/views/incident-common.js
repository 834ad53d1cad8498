// Shared by 接警处警 and 指挥调度: labels and colours of incident grades and states, the
// GB/T 35561 event type names and the cascader's lazy loader.
import { reactive } from 'vue'
import { api } from '../api.js'

export const GRADES = [
  { value: 'extraordinary', label: '特别重大', tag: 'danger' },
  { value: 'major', label: '重大', tag: 'warning' },
  { value: 'larger', label: '较大', tag: 'primary' },
  { value: 'general', label: '一般', tag: 'info' },
]
export const STATUS = [
  { value: 'reported', label: '已接报', tag: 'warning' },
  { value: 'verified', label: '已核实', tag: 'primary' },
  { value: 'responding', label: '处置中', tag: 'danger' },
  { value: 'closed', label: '已结案', tag: 'success' },
]
export const SOURCES = [
  { value: 'phone', label: '电话' },
  { value: 'hotline_12345', label: '12345热线' },
  { value: 'report', label: '报告' },
  { value: 'sensor', label: '监测' },
  { value: 'upper', label: '上级' },
  { value: 'public', label: '群众举报' },
]
export const GRADE_COLORS = { extraordinary: '#c0392b', major: '#e67e22', larger: '#f1c40f', general: '#3498db' }

export const label = (list, v) => (list.find((o) => o.value === v) || {}).label || v || ''
export const gradeTag = (v) => (GRADES.find((o) => o.value === v) || {}).tag || 'info'
export const statusTag = (v) => (STATUS.find((o) => o.value === v) || {}).tag || 'info'

const typeNames = reactive({})
let typesLoading = null
/** Loads every event type name once (the tree is a few hundred rows). */
export function loadTypeNames() {
  if (typesLoading) return typesLoading
  typesLoading = (async () => {
    try {
      for (let page = 1; page < 20; page++) {
        const r = await api.get('event_types', { page, page_size: 200 })
        for (const t of r.items || []) typeNames[t.code] = t.name
        if (!r.items || page * 200 >= (r.total || 0)) break
      }
    } catch {
      typesLoading = null
    }
  })()
  return typesLoading
}
export const typeName = (code) => (code ? (typeNames[code] ? `${typeNames[code]}` : code) : '')

/** el-cascader lazyLoad: children of a node (the root's are the categories under 10000). */
export async function eventTypeLazy(node, resolve) {
  const parent = node.level === 0 ? '10000' : node.value
  try {
    const r = await api.get('event_types', { parent_code: parent, page_size: 200, sort: 'code' })
    resolve((r.items || []).map((t) => ({ value: t.code, label: `${t.name}（${t.code}）`, leaf: t.level >= 3 })))
  } catch {
    resolve([])
  }
}
