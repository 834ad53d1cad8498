// The left menu, in the order bureau staff expect. Each leaf is a route (router.js
// builds the routes from this list); capabilities still being built open a
// "建设中" placeholder page. `roles` limits an entry to those roles. A leaf with
// `entity` is a registry page (views/RegistryView.vue) for that plural, built from the
// server's field metadata. Groups may hold one level of sub-groups.
export const MENU = [
  { path: '/dashboard', name: 'dashboard', title: '首页', icon: 'HomeFilled', view: 'DashboardView', affix: true },
  { path: '/map', name: 'map', title: '一张图', icon: 'MapLocation', view: 'MapView' },
  {
    title: '值守指挥',
    icon: 'Bell',
    children: [
      { path: '/duty', name: 'duty', title: '值班值守', view: 'DutyView' },
      { path: '/incidents', name: 'incidents', title: '接警处警', view: 'IncidentsView' },
      { path: '/command', name: 'command', title: '指挥调度', view: 'CommandView' },
      { path: '/tips', name: 'tips', title: '举报受理', view: 'TipsView' },
    ],
  },
  {
    title: '监测与预警',
    icon: 'Monitor',
    children: [
      { path: '/monitoring', name: 'monitoring', title: '预警看板', view: 'MonitorBoardView' },
      { path: '/monitor-points', name: 'monitor-points', title: '监测点', view: 'MonitorPointsView' },
      { path: '/monitor-sensors', name: 'monitor-sensors', title: '传感器', view: 'RegistryView', entity: 'monitor-sensors' },
      { path: '/monitor-gateways', name: 'monitor-gateways', title: '接入网关', view: 'MonitorGatewaysView' },
      { path: '/monitor-rules', name: 'monitor-rules', title: '预警规则', view: 'RegistryView', entity: 'monitor-rules' },
      { path: '/monitor-advice', name: 'monitor-advice', title: '防控建议', view: 'RegistryView', entity: 'monitor-advice' },
      { path: '/monitor-warnings', name: 'monitor-warnings', title: '预警记录', view: 'MonitorWarningsView' },
    ],
  },
  {
    // 预警发布与叫应 (SPEC C4, docs/publish.md)
    title: '预警发布与叫应',
    icon: 'Promotion',
    children: [
      { path: '/warnings', name: 'warnings', title: '预警发布', view: 'PublishWarningsView', roles: ['admin', 'duty_officer', 'commander', 'inspector', 'viewer', 'info_officer'] },
      { path: '/publish-mine', name: 'publish-mine', title: '我的叫应', view: 'PublishMineView' },
      { path: '/publish-visits', name: 'publish-visits', title: '上门提醒', view: 'PublishVisitsView', roles: ['admin', 'duty_officer', 'commander', 'inspector', 'viewer', 'info_officer'] },
      { path: '/publish-people', name: 'publish-people', title: '责任人名录', view: 'RegistryView', entity: 'publish-people', roles: ['admin', 'duty_officer', 'commander', 'inspector', 'viewer', 'info_officer'] },
      { path: '/publish-specials', name: 'publish-specials', title: '特殊群体', view: 'RegistryView', entity: 'publish-specials', roles: ['admin', 'duty_officer', 'commander', 'inspector', 'viewer', 'info_officer'] },
    ],
  },
  {
    title: '风险防控',
    icon: 'Warning',
    children: [
      { path: '/hazards', name: 'hazards', title: '风险隐患', capability: 'C6' },
      { path: '/enterprises', name: 'enterprises', title: '企业一企一档', view: 'RegistryView', entity: 'enterprises' },
      { path: '/hazard-sources', name: 'hazard-sources', title: '重大危险源', view: 'RegistryView', entity: 'hazard-sources' },
      { path: '/enterprise-people', name: 'enterprise-people', title: '企业责任人', view: 'RegistryView', entity: 'enterprise-people' },
      { path: '/inspection', name: 'inspection', title: '监管执法', capability: 'C7' },
    ],
  },
  {
    title: '应急准备',
    icon: 'Box',
    children: [
      { path: '/teams', name: 'teams', title: '救援队伍', view: 'RegistryView', entity: 'teams' },
      { path: '/team-members', name: 'team-members', title: '队员', view: 'RegistryView', entity: 'team_members' },
      { path: '/experts', name: 'experts', title: '专家', view: 'RegistryView', entity: 'experts' },
      { path: '/equipment', name: 'equipment', title: '装备', view: 'RegistryView', entity: 'equipment' },
      { path: '/machinery', name: 'machinery', title: '重型机械', view: 'RegistryView', entity: 'machinery' },
      { path: '/helipads', name: 'helipads', title: '直升机起降点', view: 'RegistryView', entity: 'helipads' },
      { path: '/transport', name: 'transport', title: '运力', view: 'RegistryView', entity: 'transport' },
      { path: '/shelters', name: 'shelters', title: '避难场所', view: 'RegistryView', entity: 'shelters' },
      { path: '/shelter-analysis', name: 'shelter-analysis', title: '避难场所人均面积', view: 'ShelterAnalysisView' },
      {
        title: '应急物资',
        children: [
          { path: '/warehouses', name: 'warehouses', title: '物资储备库', view: 'RegistryView', entity: 'warehouses' },
          { path: '/supply-items', name: 'supply-items', title: '物资目录', view: 'RegistryView', entity: 'supply-items' },
          { path: '/supply-movements', name: 'supply-movements', title: '出入库台账', view: 'RegistryView', entity: 'supply-movements' },
          { path: '/supply-stock', name: 'supply-stock', title: '库存', view: 'RegistryView', entity: 'supply-stock' },
          { path: '/supplier-capacity', name: 'supplier-capacity', title: '产能储备', view: 'RegistryView', entity: 'supplier-capacity' },
          { path: '/supply-standards', name: 'supply-standards', title: '人均保障标准', view: 'RegistryView', entity: 'supply-standards' },
          { path: '/supply-expiring', name: 'supply-expiring', title: '临期预警', view: 'SupplyExpiringView' },
          { path: '/supply-allocation', name: 'supply-allocation', title: '需求测算与调拨', view: 'SupplyAllocationView' },
        ],
      },
      { path: '/plans', name: 'plans', title: '预案管理', view: 'PlansView' },
      { path: '/cases', name: 'cases', title: '案例库', view: 'RegistryView', entity: 'cases' },
      { path: '/drills', name: 'drills', title: '演练', capability: 'C9' },
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

/** Every leaf entry, flattened (groups may hold sub-groups). */
export function menuLeaves(list = MENU) {
  const out = []
  for (const m of list) {
    if (m.children) out.push(...menuLeaves(m.children))
    else out.push(m)
  }
  return out
}

/** The titles of the groups holding a leaf, outermost first. */
export function menuGroupsOf(leaf, list = MENU, trail = []) {
  for (const m of list) {
    if (m === leaf) return trail
    if (m.children) {
      const r = menuGroupsOf(leaf, m.children, [...trail, m.title])
      if (r) return r
    }
  }
  return null
}

/** The menu as the given role may see it. */
export function menuForRole(role, list = MENU) {
  const ok = (m) => !m.roles || m.roles.includes(role)
  return list
    .filter(ok)
    .map((m) => (m.children ? { ...m, children: menuForRole(role, m.children) } : m))
    .filter((m) => !m.children || m.children.length)
}
