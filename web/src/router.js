// Routes: /login outside the shell; everything else inside AppLayout, built from
// menu.js. Each page is its own lazily loaded chunk.
import { createRouter, createWebHistory } from 'vue-router'
import { defineComponent, h } from 'vue'
import { menuLeaves, menuGroupsOf } from './menu.js'
import { session, restoreSession } from './session.js'

const views = {
  DashboardView: () => import('./views/DashboardView.vue'),
  MapView: () => import('./views/MapView.vue'),
  DivisionsView: () => import('./views/DivisionsView.vue'),
  UsersView: () => import('./views/UsersView.vue'),
  AuditView: () => import('./views/AuditView.vue'),
  PlaceholderView: () => import('./views/PlaceholderView.vue'),
  ShelterAnalysisView: () => import('./views/ShelterAnalysisView.vue'),
  SupplyExpiringView: () => import('./views/SupplyExpiringView.vue'),
  SupplyAllocationView: () => import('./views/SupplyAllocationView.vue'),
  DutyView: () => import('./views/DutyView.vue'),
  IncidentsView: () => import('./views/IncidentsView.vue'),
  CommandView: () => import('./views/CommandView.vue'),
  TipsView: () => import('./views/TipsView.vue'),
  PlansView: () => import('./views/PlansView.vue'),
  SearchView: () => import('./views/SearchView.vue'),
  MonitorBoardView: () => import('./views/MonitorBoardView.vue'),
  MonitorPointsView: () => import('./views/MonitorPointsView.vue'),
  MonitorGatewaysView: () => import('./views/MonitorGatewaysView.vue'),
  MonitorWarningsView: () => import('./views/MonitorWarningsView.vue'),
  PublishWarningsView: () => import('./views/PublishWarningsView.vue'),
  PublishWarningView: () => import('./views/PublishWarningView.vue'),
  PublishMineView: () => import('./views/PublishMineView.vue'),
  PublishVisitsView: () => import('./views/PublishVisitsView.vue'),
}

// Registry pages share views/RegistryView.vue; each gets its own component name so that
// <keep-alive> keeps one instance per open tab.
function registryViewName(leaf) {
  return 'Registry_' + leaf.entity
}
function registryComponent(leaf) {
  return () =>
    import('./views/RegistryView.vue').then((m) =>
      defineComponent({ name: registryViewName(leaf), setup: () => () => h(m.default, { plural: leaf.entity, title: leaf.title }) }),
    )
}

function groupOf(leaf) {
  const g = menuGroupsOf(leaf) || []
  return g.join(' / ')
}

const shellRoutes = menuLeaves().map((leaf) => ({
  path: leaf.path.slice(1),
  name: leaf.name,
  component: leaf.entity ? registryComponent(leaf) : views[leaf.view || 'PlaceholderView'],
  meta: {
    title: leaf.title,
    group: groupOf(leaf),
    groups: menuGroupsOf(leaf) || [],
    entity: leaf.entity,
    roles: leaf.roles,
    affix: !!leaf.affix,
    capability: leaf.capability,
    // Real pages stay alive while their tab is open; placeholders are cheap to rebuild.
    keepAlive: !!leaf.view,
    viewName: leaf.entity ? registryViewName(leaf) : leaf.view,
  },
}))

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  // 一企一码: the phone page a QR code opens (no login, no menu).
  { path: '/m/e/:token', name: 'public-enterprise', component: () => import('./views/PublicEnterpriseView.vue'), meta: { public: true, title: '企业信息' } },
  { path: '/m/report/:id', name: 'mobile-field-report', component: () => import('./views/MobileFieldReportView.vue'), meta: { title: '现场反馈' } },
  // 叫应 in the field (phones, no menu): one's own warnings to answer, the visit tasks.
  { path: '/m/publish/mine', name: 'mobile-publish-mine', component: views.PublishMineView, props: { mobile: true }, meta: { title: '我的叫应' } },
  { path: '/m/publish/visits', name: 'mobile-publish-visits', component: views.PublishVisitsView, props: { mobile: true }, meta: { title: '上门提醒' } },
  {
    path: '/',
    component: () => import('./layout/AppLayout.vue'),
    redirect: '/dashboard',
    children: [
      ...shellRoutes,
      // Pages outside the menu: one incident's command page, global search results.
      { path: 'command/:id', name: 'command-detail', component: views.CommandView, meta: { title: '指挥调度', group: '值守指挥', groups: ['值守指挥'], keepAlive: false, viewName: 'CommandView' } },
      { path: 'warnings/:id', name: 'warning-detail', component: views.PublishWarningView, meta: { title: '预警详情', group: '预警发布与叫应', groups: ['预警发布与叫应'], keepAlive: false, viewName: 'PublishWarningView' } },
      { path: 'search', name: 'search', component: views.SearchView, meta: { title: '全文搜索', keepAlive: false, viewName: 'SearchView' } },
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
