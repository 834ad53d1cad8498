// The left menu, in the order bureau staff expect. Each leaf is a route (router.js
// builds the routes from this list); capabilities still being built open a
// "建设中" placeholder page. `roles` limits an entry to those roles.
export const MENU = [
  { path: '/dashboard', name: 'dashboard', title: '首页', icon: 'HomeFilled', view: 'DashboardView', affix: true },
  { path: '/map', name: 'map', title: '一张图', icon: 'MapLocation', view: 'MapView' },
  {
    title: '值守指挥',
    icon: 'Bell',
    children: [
      { path: '/duty', name: 'duty', title: '值班值守', capability: 'C1' },
      { path: '/incidents', name: 'incidents', title: '接警处警', capability: 'C2' },
      { path: '/command', name: 'command', title: '指挥调度', capability: 'C3' },
    ],
  },
  {
    title: '监测与预警',
    icon: 'Monitor',
    children: [
      { path: '/monitoring', name: 'monitoring', title: '监测预警', capability: 'C4' },
      { path: '/warnings', name: 'warnings', title: '预警发布', capability: 'C5' },
    ],
  },
  {
    title: '风险防控',
    icon: 'Warning',
    children: [
      { path: '/hazards', name: 'hazards', title: '风险隐患', capability: 'C6' },
      { path: '/inspection', name: 'inspection', title: '监管执法', capability: 'C7' },
    ],
  },
  {
    title: '应急准备',
    icon: 'Box',
    children: [
      { path: '/resources', name: 'resources', title: '应急资源', capability: 'C8' },
      { path: '/plans', name: 'plans', title: '预案演练', capability: 'C9' },
      { path: '/training', name: 'training', title: '培训资质', capability: 'C12' },
    ],
  },
  {
    title: '灾情与考核',
    icon: 'DataAnalysis',
    children: [
      { path: '/disaster-reports', name: 'disaster-reports', title: '灾情报送', capability: 'C10' },
      { path: '/indicators', name: 'indicators', title: '指标考核', capability: 'C11' },
    ],
  },
  {
    title: '系统管理',
    icon: 'Setting',
    children: [
      { path: '/divisions', name: 'divisions', title: '行政区划', view: 'DivisionsView' },
      { path: '/users', name: 'users', title: '用户管理', view: 'UsersView', roles: ['admin'] },
      { path: '/audit', name: 'audit', title: '审计日志', view: 'AuditView', roles: ['admin'] },
    ],
  },
]

/** Every leaf entry, flattened. */
export function menuLeaves() {
  const out = []
  for (const m of MENU) {
    if (m.children) out.push(...m.children)
    else out.push(m)
  }
  return out
}

/** The menu as the given role may see it. */
export function menuForRole(role) {
  const ok = (m) => !m.roles || m.roles.includes(role)
  return MENU.filter(ok)
    .map((m) => (m.children ? { ...m, children: m.children.filter(ok) } : m))
    .filter((m) => !m.children || m.children.length)
}
