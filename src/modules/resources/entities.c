/* modules/resources — the registries' entity tables and their hooks; see resources.h. */
#include "modules/resources/resources_internal.h"

#include "core/clock.h"

#include <stdio.h>
#include <string.h>

/* Columns every located registry shares. */
#define F_LON                                                                                      \
    {                                                                                              \
        "lon", FT_REAL, 0, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL                  \
    }
#define F_LAT                                                                                      \
    {                                                                                              \
        "lat", FT_REAL, 0, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL                     \
    }
#define F_DIVISION                                                                                 \
    {                                                                                              \
        "division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属区划",      \
            "division", NULL, NULL, 0, 0, 0, 0, NULL                                               \
    }
#define F_PHONE(label)                                                                             \
    {                                                                                              \
        "phone", FT_TEXT, FIELD_SEARCH, label, "phone", NULL, NULL, 30, 0, 0, 0, NULL              \
    }
#define F_ADDRESS(label)                                                                           \
    {                                                                                              \
        "address", FT_TEXT, FIELD_SEARCH, label, "address", NULL, NULL, 200, 0, 0, 0, NULL         \
    }
#define F_REMARKS                                                                                  \
    {                                                                                              \
        "remarks", FT_TEXT, 0, "备注", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL                  \
    }
#define F_END                                                                                      \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }

/* ---- helpers shared by the hooks --------------------------------------------------------- */

static json_int_t int_of(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static int changed(json_t *rec, json_t *before, const char *name)
{
    if (!before)
        return 1;
    json_t *a = json_object_get(rec, name), *b = json_object_get(before, name);
    if (!a || json_is_null(a))
        return b && !json_is_null(b);
    return !b || !json_equal(a, b);
}

static int field_refused(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

int resources_team_visible(Tx *tx, json_int_t team_id, json_t **team, Error *err)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)team_id);
    Error e2 = ERROR_INIT;
    if (entity_get(tx->conn, &teams_entity, tx->actor, key, team, &e2) == 0)
        return 0;
    if (e2.status != 404) {
        *err = e2; /* moves fields/rows ownership */
        return -1;
    }
    error_clear(&e2);
    return field_refused(err, "team_id", "所属队伍不存在或不在管辖范围内",
                         "the team does not exist or lies outside your jurisdiction");
}

/* Takes the team's row lock on PostgreSQL (SQLite's writers are serialised already):
 * concurrent member writes of one team queue here, and a count made afterwards sees what
 * the writer before committed (a fresh snapshot per statement). */
static int lock_team(Tx *tx, json_int_t team_id, Error *err)
{
    if (conn_dialect(tx->conn) != DIALECT_POSTGRES)
        return 0;
    DbValue p[] = {db_int(team_id)};
    int64_t id = 0;
    return store_query_int(tx->conn, "SELECT id FROM teams WHERE id = $1 FOR UPDATE", p, 1, &id,
                           err) < 0
               ? -1
               : 0;
}

int resources_team_recount(Tx *tx, json_int_t team_id, json_int_t exclude_member, int plus,
                           Error *err)
{
    if (!team_id)
        return 0;
    DbValue p[] = {db_int(team_id), db_int(exclude_member)};
    int64_t n = 0;
    if (lock_team(tx, team_id, err) < 0)
        return -1;
    if (store_query_int(tx->conn,
                        "SELECT count(*) FROM team_members WHERE team_id = $1 AND id <> $2", p, 2,
                        &n, err) < 0)
        return -1;
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)team_id);
    json_t *v = json_pack("{s:I}", "member_count", (json_int_t)(n + plus));
    int rc = entity_update_internal(tx, &teams_entity, key, v, err);
    json_decref(v);
    return rc;
}

/* ---- teams (救援队伍) ---------------------------------------------------------------------- */

static const EnumValue team_kinds[] = {
    {"fire", "消防"},   {"professional", "专业"}, {"enterprise", "企业"},
    {"social", "社会"}, {"militia", "军警民兵"},  {NULL, NULL},
};

static const EnumValue team_readiness[] = {
    {"ready", "随时待命"},  {"standby", "待命"},       {"training", "训练中"},
    {"deployed", "出动中"}, {"unavailable", "不可用"}, {NULL, NULL},
};

static const Field team_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "队伍名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "队伍类别", "kind", team_kinds,
     NULL, 0, 0, 0, 0, NULL},
    {"specialties", FT_TEXT, FIELD_SEARCH, "专长（以、分隔）", "specialties", NULL, NULL, 500, 0, 0,
     0, NULL},
    F_DIVISION,
    {"org_id", FT_REF, FIELD_FILTER, "所属单位", "organisation", NULL, "orgs", 0, 0, 0, 0, NULL},
    {"leader", FT_TEXT, FIELD_SEARCH, "队长", "leader", NULL, NULL, 50, 0, 0, 0, NULL},
    F_PHONE("值班电话"),
    F_ADDRESS("驻地地址"),
    F_LON,
    F_LAT,
    {"member_count", FT_INT, FIELD_READONLY | FIELD_SORT, "队员人数", "members", NULL, NULL, 0, 0,
     0, 0, "0"},
    {"equipment_summary", FT_TEXT, FIELD_SEARCH, "主要装备", "equipment summary", NULL, NULL, 1000,
     0, 0, 0, NULL},
    {"readiness", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "战备状态", "readiness",
     team_readiness, NULL, 0, 0, 0, 0, "'ready'"},
    {"live_status", FT_TEXT, 0, "实时动态", "live status", NULL, NULL, 200, 0, 0, 0, NULL},
    {"status_updated_at", FT_TIME, FIELD_READONLY | FIELD_SORT, "状态更新时间", "status updated at",
     NULL, NULL, 0, 0, 0, 0, NULL},
    F_REMARKS,
    F_END,
};

static void set_now(json_t *rec, const char *field)
{
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    json_object_set_new(rec, field, json_string(now));
}

/* Members follow their team's division (they are its people wherever it is registered). */
static int move_members(Tx *tx, json_int_t team_id, const char *division, Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(team_id)};
    if (store_query(tx->conn, tx->arena, "SELECT id FROM team_members WHERE team_id = $1", p, 1,
                    &rows, err) < 0)
        return -1;
    json_t *v = json_pack("{s:s}", "division_code", division);
    int rc = 0;
    for (int i = 0; rc == 0 && i < rows.nrows; i++)
        rc = entity_update_internal(tx, &team_members_entity, db_cell(&rows, i, 0), v, err);
    json_decref(v);
    return rc;
}

static int team_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    if (!before) {
        json_object_set_new(rec, "member_count", json_integer(0));
        set_now(rec, "status_updated_at");
        return 0;
    }
    if (changed(rec, before, "readiness") || changed(rec, before, "live_status"))
        set_now(rec, "status_updated_at");
    if (changed(rec, before, "division_code"))
        return move_members(tx, int_of(before, "id"),
                            json_string_value(json_object_get(rec, "division_code")), err);
    return 0;
}

const Entity teams_entity = {
    .table = "teams",
    .plural = "teams",
    .label_zh = "救援队伍",
    .label_en = "rescue teams",
    .fields = team_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .before_write = team_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "readiness",
};

/* ---- team members (队员) ------------------------------------------------------------------ */

static const EnumValue member_statuses[] = {
    {"on_duty", "在岗"},
    {"off_duty", "休假"},
    {"deployed", "执行任务"},
    {NULL, NULL},
};

static const Field member_fields[] = {
    {"team_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属队伍", "team", NULL,
     "teams", 0, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"role", FT_TEXT, FIELD_SEARCH | FIELD_FILTER, "队内职务", "role", NULL, NULL, 30, 0, 0, 0,
     NULL},
    F_PHONE("手机号码"),
    {"specialty", FT_TEXT, FIELD_SEARCH, "专长", "specialty", NULL, NULL, 100, 0, 0, 0, NULL},
    {"certificates", FT_TEXT, FIELD_SEARCH, "持有证书", "certificates", NULL, NULL, 500, 0, 0, 0,
     NULL},
    {"cert_expiry", FT_DATE, FIELD_SORT, "证书有效期至", "certificate expiry", NULL, NULL, 0, 0, 0,
     0, NULL},
    {"status", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "在岗状态", "status",
     member_statuses, NULL, 0, 0, 0, 0, "'on_duty'"},
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    F_REMARKS,
    F_END,
};

/* The division is the team's; the team must be inside the writer's jurisdiction; the team's
 * member_count follows creates and moves (deletes: resources.c). */
static int member_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    json_int_t team = int_of(rec, "team_id"), old = before ? int_of(before, "team_id") : 0;
    json_int_t self = before ? int_of(before, "id") : 0;
    if (before && team == old)
        return 0;
    json_t *t = NULL;
    if (resources_team_visible(tx, team, &t, err) < 0)
        return -1;
    json_object_set(rec, "division_code", json_object_get(t, "division_code"));
    json_decref(t);
    if (old) {
        /* a move locks both teams in id order, so two opposite moves cannot deadlock */
        json_int_t lo = old < team ? old : team, hi = old < team ? team : old;
        if (lock_team(tx, lo, err) < 0 || lock_team(tx, hi, err) < 0 ||
            resources_team_recount(tx, old, self, 0, err) < 0)
            return -1;
    }
    return resources_team_recount(tx, team, self, 1, err);
}

const Entity team_members_entity = {
    .table = "team_members",
    .plural = "team_members",
    .label_zh = "队员",
    .label_en = "team members",
    .fields = member_fields,
    .division_field = "division_code",
    .default_sort = "team_id",
    .before_write = member_before_write,
};

/* ---- experts (专家) ----------------------------------------------------------------------- */

static const EnumValue expert_fields_enum[] = {
    {"geology", "地质灾害"},     {"flood", "防汛抗旱"},      {"forest_fire", "森林草原防火"},
    {"hazchem", "危险化学品"},   {"mining", "矿山安全"},     {"fire", "消防救援"},
    {"medical", "医疗救护"},     {"weather", "气象"},        {"earthquake", "地震"},
    {"engineering", "工程抢险"}, {"traffic", "道路交通"},    {"power", "电力通信"},
    {"psychology", "心理疏导"},  {"management", "综合管理"}, {NULL, NULL},
};

static const EnumValue expert_availability[] = {
    {"available", "可调用"},
    {"busy", "忙碌"},
    {"unavailable", "不可用"},
    {NULL, NULL},
};

static const Field expert_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"field", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "专业领域", "field",
     expert_fields_enum, NULL, 0, 0, 0, 0, NULL},
    {"specialty", FT_TEXT, FIELD_SEARCH, "研究方向", "specialty", NULL, NULL, 200, 0, 0, 0, NULL},
    {"title", FT_TEXT, FIELD_SEARCH | FIELD_FILTER, "职称", "title", NULL, NULL, 50, 0, 0, 0, NULL},
    {"employer", FT_TEXT, FIELD_SEARCH | FIELD_SORT, "工作单位", "employer", NULL, NULL, 100, 0, 0,
     0, NULL},
    F_PHONE("联系电话"),
    F_DIVISION,
    {"availability", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "可调用状态",
     "availability", expert_availability, NULL, 0, 0, 0, 0, "'available'"},
    F_LON,
    F_LAT,
    {"served_count", FT_INT, FIELD_SORT, "参与处置次数", "incidents served", NULL, NULL, 0, 1, 0,
     1e6, "0"},
    {"served_incidents", FT_TEXT, FIELD_SEARCH, "参与处置的事件", "incidents served (names)", NULL,
     NULL, 2000, 0, 0, 0, NULL},
    F_REMARKS,
    F_END,
};

const Entity experts_entity = {
    .table = "experts",
    .plural = "experts",
    .label_zh = "专家",
    .label_en = "experts",
    .fields = expert_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "availability",
};

/* ---- equipment (装备) --------------------------------------------------------------------- */

static const EnumValue equipment_kinds[] = {
    {"vehicle", "救援车辆"},    {"rescue", "破拆救援"},
    {"fire", "灭火"},           {"forest", "森林灭火"},
    {"water", "水域救援"},      {"drainage", "排水抢险"},
    {"detection", "侦检"},      {"communication", "通信"},
    {"power", "发电照明"},      {"medical", "医疗救护"},
    {"protection", "个人防护"}, {"drone", "无人机"},
    {"other", "其他"},          {NULL, NULL},
};

static const EnumValue equipment_states[] = {
    {"normal", "完好"}, {"maintenance", "维修"}, {"broken", "故障"}, {"deployed", "使用中"},
    {NULL, NULL},
};

static const Field equipment_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "装备名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "装备类别", "kind",
     equipment_kinds, NULL, 0, 0, 0, 0, NULL},
    {"model", FT_TEXT, FIELD_SEARCH, "规格型号", "model", NULL, NULL, 100, 0, 0, 0, NULL},
    {"quantity", FT_INT, FIELD_REQUIRED | FIELD_SORT, "数量", "quantity", NULL, NULL, 0, 1, 0, 1e7,
     "1"},
    {"unit", FT_TEXT, 0, "计量单位", "unit", NULL, NULL, 10, 0, 0, 0, "'台'"},
    {"owner", FT_TEXT, FIELD_SEARCH | FIELD_SORT, "所属单位", "owner", NULL, NULL, 100, 0, 0, 0,
     NULL},
    {"team_id", FT_REF, FIELD_FILTER, "所属队伍", "team", NULL, "teams", 0, 0, 0, 0, NULL},
    F_DIVISION,
    {"location", FT_TEXT, FIELD_SEARCH, "存放地点", "location", NULL, NULL, 200, 0, 0, 0, NULL},
    F_LON,
    F_LAT,
    {"state", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "装备状态", "state",
     equipment_states, NULL, 0, 0, 0, 0, "'normal'"},
    {"last_checked", FT_DATE, FIELD_SORT, "最近检查日期", "last checked", NULL, NULL, 0, 0, 0, 0,
     NULL},
    F_REMARKS,
    F_END,
};

/* A named team must be inside the writer's jurisdiction; without an owner, the team is. */
static int equipment_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    json_int_t team = int_of(rec, "team_id");
    if (!team || (before && !changed(rec, before, "team_id")))
        return 0;
    json_t *t = NULL;
    if (resources_team_visible(tx, team, &t, err) < 0)
        return -1;
    json_t *owner = json_object_get(rec, "owner");
    if (!json_is_string(owner) || !*json_string_value(owner))
        json_object_set(rec, "owner", json_object_get(t, "name"));
    json_decref(t);
    return 0;
}

const Entity equipment_entity = {
    .table = "equipment",
    .plural = "equipment",
    .label_zh = "装备",
    .label_en = "equipment",
    .fields = equipment_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .before_write = equipment_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "state",
};

/* ---- heavy machinery (重型机械) ----------------------------------------------------------- */

static const EnumValue machinery_kinds[] = {
    {"excavator", "挖掘机"}, {"loader", "装载机"},     {"crane", "汽车吊"},
    {"bulldozer", "推土机"}, {"dump_truck", "自卸车"}, {"grader", "平地机"},
    {"forklift", "叉车"},    {"other", "其他"},        {NULL, NULL},
};

static const EnumValue owner_types[] = {
    {"company", "企业"},
    {"individual", "个体经营户"},
    {NULL, NULL},
};

/* Shared by machinery and transport: can it be called on now? */
static const EnumValue call_states[] = {
    {"available", "可调用"},   {"deployed", "调用中"}, {"maintenance", "维修"},
    {"unavailable", "不可用"}, {NULL, NULL},
};

static const Field machinery_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "设备名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "机械类别", "kind",
     machinery_kinds, NULL, 0, 0, 0, 0, NULL},
    {"model", FT_TEXT, FIELD_SEARCH, "规格型号", "model", NULL, NULL, 100, 0, 0, 0, NULL},
    {"owner", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "机主（单位）", "owner", NULL,
     NULL, 100, 0, 0, 0, NULL},
    {"owner_type", FT_ENUM, FIELD_FILTER, "机主类型", "owner type", owner_types, NULL, 0, 0, 0, 0,
     NULL},
    {"owner_phone", FT_TEXT, FIELD_SEARCH, "机主电话", "owner phone", NULL, NULL, 30, 0, 0, 0,
     NULL},
    {"quantity", FT_INT, FIELD_REQUIRED | FIELD_SORT, "数量（台）", "quantity", NULL, NULL, 0, 1, 0,
     1e6, "1"},
    F_DIVISION,
    F_ADDRESS("停放地点"),
    F_LON,
    F_LAT,
    {"state", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "调用状态", "state", call_states,
     NULL, 0, 0, 0, 0, "'available'"},
    {"agreement", FT_BOOL, FIELD_FILTER, "已签应急征用协议", "requisition agreement", NULL, NULL, 0,
     0, 0, 0, "0"},
    F_REMARKS,
    F_END,
};

const Entity machinery_entity = {
    .table = "machinery",
    .plural = "machinery",
    .label_zh = "重型机械",
    .label_en = "heavy machinery",
    .fields = machinery_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "state",
};

/* ---- helicopter landing points (直升机起降点) --------------------------------------------- */

static const EnumValue helipad_kinds[] = {
    {"permanent", "固定起降点"},
    {"temporary", "临时起降点"},
    {"rooftop", "楼顶停机坪"},
    {NULL, NULL},
};

static const EnumValue helipad_states[] = {
    {"available", "可用"},
    {"maintenance", "维护中"},
    {"unavailable", "不可用"},
    {NULL, NULL},
};

static const Field helipad_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "起降点名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "类型", "kind", helipad_kinds,
     NULL, 0, 0, 0, 0, NULL},
    {"size", FT_TEXT, 0, "场地尺寸", "size", NULL, NULL, 50, 0, 0, 0, NULL},
    {"surface", FT_TEXT, 0, "地面类型", "surface", NULL, NULL, 50, 0, 0, 0, NULL},
    {"max_aircraft", FT_TEXT, 0, "可起降机型", "largest aircraft", NULL, NULL, 100, 0, 0, 0, NULL},
    {"night_capable", FT_BOOL, FIELD_FILTER, "具备夜航条件", "night operations", NULL, NULL, 0, 0,
     0, 0, "0"},
    F_DIVISION,
    F_ADDRESS("地址"),
    F_LON,
    F_LAT,
    {"manager", FT_TEXT, FIELD_SEARCH, "管理单位", "manager", NULL, NULL, 100, 0, 0, 0, NULL},
    F_PHONE("联系电话"),
    {"state", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "状态", "state", helipad_states,
     NULL, 0, 0, 0, 0, "'available'"},
    F_REMARKS,
    F_END,
};

const Entity helipads_entity = {
    .table = "helipads",
    .plural = "helipads",
    .label_zh = "直升机起降点",
    .label_en = "helicopter landing points",
    .fields = helipad_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "state",
};

/* ---- transport capacity (运力) ------------------------------------------------------------ */

static const EnumValue vehicle_kinds[] = {
    {"cargo", "普通货车"}, {"van", "厢式货车"}, {"flatbed", "平板运输车"}, {"cold_chain", "冷藏车"},
    {"tanker", "罐车"},    {"bus", "客车"},     {"other", "其他"},         {NULL, NULL},
};

static const Field transport_fields[] = {
    {"owner", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "运力单位（车主）", "owner",
     NULL, NULL, 100, 0, 0, 0, NULL},
    {"owner_type", FT_ENUM, FIELD_FILTER, "单位类型", "owner type", owner_types, NULL, 0, 0, 0, 0,
     NULL},
    {"vehicle_kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "车辆类型",
     "vehicle kind", vehicle_kinds, NULL, 0, 0, 0, 0, NULL},
    {"vehicle_count", FT_INT, FIELD_REQUIRED | FIELD_SORT, "车辆数", "vehicles", NULL, NULL, 0, 1,
     0, 1e6, "1"},
    {"capacity_tons", FT_REAL, FIELD_SORT, "总载重（吨）", "capacity (t)", NULL, NULL, 0, 1, 0, 1e7,
     NULL},
    {"seats", FT_INT, FIELD_SORT, "总客座数", "seats", NULL, NULL, 0, 1, 0, 1e7, NULL},
    {"contact", FT_TEXT, FIELD_SEARCH, "联系人", "contact", NULL, NULL, 50, 0, 0, 0, NULL},
    F_PHONE("联系电话"),
    F_DIVISION,
    F_ADDRESS("停放地点"),
    F_LON,
    F_LAT,
    {"state", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "调用状态", "state", call_states,
     NULL, 0, 0, 0, 0, "'available'"},
    {"agreement", FT_BOOL, FIELD_FILTER, "协议运力", "agreement", NULL, NULL, 0, 0, 0, 0, "0"},
    F_REMARKS,
    F_END,
};

const Entity transport_entity = {
    .table = "transport",
    .plural = "transport",
    .label_zh = "运力",
    .label_en = "transport capacity",
    .fields = transport_fields,
    .division_field = "division_code",
    .default_sort = "owner",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "owner",
    .state_field = "state",
};

/* ---- shelters (避难场所) ------------------------------------------------------------------ */

static const EnumValue shelter_kinds[] = {
    {"indoor", "室内"},
    {"outdoor", "室外"},
    {NULL, NULL},
};

static const EnumValue shelter_levels[] = {
    {"central", "中心避难场所"},
    {"fixed", "固定避难场所"},
    {"emergency", "紧急避难场所"},
    {NULL, NULL},
};

static const EnumValue shelter_statuses[] = {
    {"open", "开放"}, {"standby", "可用"}, {"full", "已满"}, {"closed", "关闭"}, {NULL, NULL},
};

static const Field shelter_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "场所名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "场所类型", "kind", shelter_kinds,
     NULL, 0, 0, 0, 0, NULL},
    {"level", FT_ENUM, FIELD_FILTER | FIELD_SORT, "场所级别", "level", shelter_levels, NULL, 0, 0,
     0, 0, NULL},
    {"capacity_people", FT_INT, FIELD_SORT, "容纳人数", "capacity (people)", NULL, NULL, 0, 1, 0,
     1e7, NULL},
    {"area_m2", FT_REAL, FIELD_REQUIRED | FIELD_SORT, "有效避难面积（㎡）", "area (m²)", NULL, NULL,
     0, 1, 0, 1e8, NULL},
    {"has_water", FT_BOOL, FIELD_FILTER, "供水", "water", NULL, NULL, 0, 0, 0, 0, "0"},
    {"has_power", FT_BOOL, FIELD_FILTER, "供电", "power", NULL, NULL, 0, 0, 0, 0, "0"},
    {"has_medical", FT_BOOL, FIELD_FILTER, "医疗", "medical", NULL, NULL, 0, 0, 0, 0, "0"},
    {"has_toilet", FT_BOOL, FIELD_FILTER, "厕所", "toilets", NULL, NULL, 0, 0, 0, 0, "0"},
    F_ADDRESS("地址"),
    F_DIVISION,
    F_LON,
    F_LAT,
    {"status", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "场所状态", "status",
     shelter_statuses, NULL, 0, 0, 0, 0, "'standby'"},
    {"occupancy", FT_INT, FIELD_SORT, "当前安置人数", "occupancy", NULL, NULL, 0, 1, 0, 1e7, "0"},
    {"manager", FT_TEXT, FIELD_SEARCH, "管理人", "manager", NULL, NULL, 50, 0, 0, 0, NULL},
    F_PHONE("联系电话"),
    F_REMARKS,
    F_END,
};

/* Nobody stays in a shelter that is not open; an open one that reaches capacity is full. */
static int shelter_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)tx;
    (void)e;
    (void)before;
    const char *status = json_string_value(json_object_get(rec, "status"));
    json_int_t occupancy = int_of(rec, "occupancy"), capacity = int_of(rec, "capacity_people");
    if (!status)
        status = "standby"; /* the column default */
    if (occupancy > 0 && (strcmp(status, "standby") == 0 || strcmp(status, "closed") == 0))
        return field_refused(err, "occupancy", "场所未开放时当前安置人数应为 0",
                             "a shelter that is not open holds nobody (occupancy must be 0)");
    if (strcmp(status, "open") == 0 && capacity > 0 && occupancy >= capacity)
        json_object_set_new(rec, "status", json_string("full"));
    return 0;
}

const Entity shelters_entity = {
    .table = "shelters",
    .plural = "shelters",
    .label_zh = "避难场所",
    .label_en = "shelters",
    .fields = shelter_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .before_write = shelter_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "status",
};
