// The row of opened pages above the content. Kept per browser tab in sessionStorage
// so a reload keeps them.
import { reactive, computed } from 'vue'

const KEY = 'yingji.tabs'
const HOME = { path: '/dashboard', name: 'dashboard', title: '首页', affix: true, viewName: 'DashboardView', keepAlive: true }

function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || '[]')
    if (Array.isArray(saved)) return [HOME, ...saved.filter((t) => t && t.name && t.name !== HOME.name)]
  } catch {
    /* ignore */
  }
  return [HOME]
}

export const tabs = reactive({ list: load() })

function save() {
  sessionStorage.setItem(KEY, JSON.stringify(tabs.list.filter((t) => !t.affix)))
}

/** Adds (or updates the path of) the tab for a route. */
export function openTab(route) {
  if (!route.name || route.meta.public || route.name === 'not-found' || route.name === 'forbidden') return
  const t = tabs.list.find((x) => x.name === route.name)
  if (t) {
    t.path = route.fullPath
  } else {
    tabs.list.push({
      path: route.fullPath,
      name: route.name,
      title: route.meta.title,
      affix: !!route.meta.affix,
      keepAlive: !!route.meta.keepAlive,
      viewName: route.meta.viewName,
    })
  }
  save()
}

/** Closes a tab; returns the tab to show next when the closed one was active. */
export function closeTab(name, activeName) {
  const i = tabs.list.findIndex((t) => t.name === name)
  if (i < 0 || tabs.list[i].affix) return null
  tabs.list.splice(i, 1)
  save()
  if (name !== activeName) return null
  return tabs.list[Math.min(i, tabs.list.length - 1)] || HOME
}

export function closeOthers(name) {
  tabs.list = tabs.list.filter((t) => t.affix || t.name === name)
  save()
}

export function closeAll() {
  tabs.list = tabs.list.filter((t) => t.affix)
  save()
}

export function resetTabs() {
  tabs.list = [HOME]
  sessionStorage.removeItem(KEY)
}

/** Component names for <keep-alive include>: real pages whose tab is open. */
export const cachedViews = computed(() => tabs.list.filter((t) => t.keepAlive && t.viewName).map((t) => t.viewName))
