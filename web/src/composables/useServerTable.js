// Server-side paging, filtering and sorting for a list endpoint
// GET /api/v1/<plural>?q=&page=&page_size=&sort=&<filters> → {items, total, page},
// plus CSV export (GET /api/v1/<plural>/export.csv with the same filters), printing,
// and a refresh when the server announces a change to one of `entities` over SSE
// (only while the page is visible; a hidden page refreshes when shown again).
import { reactive, ref, onMounted, onActivated, onDeactivated, onBeforeUnmount } from 'vue'
import { api, download } from '../api.js'
import { onChange } from '../events.js'

export function useServerTable(plural, { entities = null, filters = {}, pageSize = 20, sort = '', routeName = '' } = {}) {
  const query = reactive({ q: '', ...filters })
  const state = reactive({ page: 1, pageSize, sort })
  const rows = ref([])
  const total = ref(0)
  const loading = ref(false)
  const error = ref('')
  let visible = true
  let stale = false
  let seq = 0

  function params() {
    return { ...query, q: (query.q || '').trim(), page: state.page, page_size: state.pageSize, sort: state.sort }
  }

  async function load() {
    const my = ++seq
    loading.value = true
    error.value = ''
    try {
      const r = await api.get(plural, params())
      if (my !== seq) return
      rows.value = Array.isArray(r && r.items) ? r.items : []
      total.value = Number((r && r.total) ?? rows.value.length)
      // If the page no longer exists (rows deleted), go back to the last one.
      if (!rows.value.length && state.page > 1 && total.value > 0) {
        state.page = Math.max(1, Math.ceil(total.value / state.pageSize))
        return load()
      }
    } catch (e) {
      if (my !== seq) return
      rows.value = []
      total.value = 0
      error.value = e.status === 403 ? '没有权限查看此数据' : e.message
    } finally {
      if (my === seq) loading.value = false
    }
  }

  function search() {
    state.page = 1
    return load()
  }

  function reset() {
    for (const k of Object.keys(query)) query[k] = k === 'q' ? '' : filters[k] ?? ''
    state.sort = sort
    return search()
  }

  /** For <el-table @sort-change>: prop + order → sort=prop or sort=-prop. */
  function onSortChange({ prop, order }) {
    state.sort = !order || !prop ? sort : order === 'descending' ? '-' + prop : prop
    return search()
  }

  function onPageChange(p) {
    state.page = p
    return load()
  }

  function onSizeChange(s) {
    state.pageSize = s
    state.page = 1
    return load()
  }

  function exportCsv() {
    const p = params()
    delete p.page
    delete p.page_size
    download(plural + '/export.csv', p)
  }

  function print() {
    window.print()
  }

  let timer = null
  const unsubscribe = onChange(entities, () => {
    if (!visible) {
      stale = true
      return
    }
    clearTimeout(timer)
    timer = setTimeout(load, 300) // several changes in a burst → one reload
  })

  function onRefreshEvent(ev) {
    if (visible && (!routeName || ev.detail.name === routeName)) load()
  }
  window.addEventListener('yingji:refresh', onRefreshEvent)

  onMounted(load)
  onActivated(() => {
    visible = true
    if (stale) {
      stale = false
      load()
    }
  })
  onDeactivated(() => {
    visible = false
  })
  onBeforeUnmount(() => {
    unsubscribe()
    clearTimeout(timer)
    window.removeEventListener('yingji:refresh', onRefreshEvent)
  })

  // reactive() unwraps the refs: templates read table.rows, table.total, table.loading.
  return reactive({ query, state, rows, total, loading, error, load, search, reset, onSortChange, onPageChange, onSizeChange, exportCsv, print })
}
