// Routes: /login outside the shell; everything else inside AppLayout, built from
// menu.js. Each page is its own lazily loaded chunk.
import { createRouter, createWebHistory } from 'vue-router'
import { MENU, menuLeaves } from './menu.js'
import { session, restoreSession } from './session.js'

const views = {
  DashboardView: () => import('./views/DashboardView.vue'),
  MapView: () => import('./views/MapView.vue'),
  DivisionsView: () => import('./views/DivisionsView.vue'),
  UsersView: () => import('./views/UsersView.vue'),
  AuditView: () => import('./views/AuditView.vue'),
  PlaceholderView: () => import('./views/PlaceholderView.vue'),
}

function groupOf(leaf) {
  const g = MENU.find((m) => m.children && m.children.includes(leaf))
  return g ? g.title : ''
}

const shellRoutes = menuLeaves().map((leaf) => ({
  path: leaf.path.slice(1),
  name: leaf.name,
  component: views[leaf.view || 'PlaceholderView'],
  meta: {
    title: leaf.title,
    group: groupOf(leaf),
    roles: leaf.roles,
    affix: !!leaf.affix,
    capability: leaf.capability,
    // Real pages stay alive while their tab is open; placeholders are cheap to rebuild.
    keepAlive: !!leaf.view,
    viewName: leaf.view,
  },
}))

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: () => import('./layout/AppLayout.vue'),
    redirect: '/dashboard',
    children: [
      ...shellRoutes,
      { path: 'forbidden', name: 'forbidden', component: () => import('./views/ForbiddenView.vue'), meta: { title: '无权限' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

const router = createRouter({
  history: createWebHistory('/'),
  routes,
})

router.beforeEach(async (to) => {
  if (to.meta.public) {
    if (to.name === 'login' && (await restoreSession())) return { path: String(to.query.redirect || '/dashboard') }
    return true
  }
  if (!(await restoreSession())) {
    return { name: 'login', query: to.fullPath && to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (to.meta.roles && !to.meta.roles.includes(session.user.role)) return { name: 'forbidden' }
  return true
})

export default router
