/* modules/monitoring/demo — the demo county's monitoring network (docs/monitoring.md).
 *
 * Four named points with the sensor types SPEC C3 names (山洪, 滑坡 with GNSS, 尾矿库 with
 * 浸润线/干滩/坝体位移, 危化企业 with gas, temperature and smoke), the seeds' scale of
 * 30 山洪监测点 and 50 北斗监测点 (000 专栏1 3) spread over the towns, two gateways with
 * fixed demo keys, the county's default rules and advice, one combination rule, and 24 hours
 * of quiet history for every sensor, up to the moment the demo is loaded.
 * Deterministic apart from the history's timestamps, which follow the clock. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/clock.h"
#include "demo/demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Town {
    char code[16], name[64];
    double lon, lat;
} Town;

/* The towns first (乡镇, codes …1xx/2xx), the street offices (街道, …0xx) after them. */
static int towns(Tx *tx, Town *out, int max, int *n, Error *err)
{
    DbValue p[] = {db_text(DEMO_COUNTY_CODE)};
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT code, name, center_lon, center_lat FROM divisions WHERE parent_code ="
                    " $1 AND center_lon IS NOT NULL ORDER BY substr(code, 7, 1) = '0', code",
                    p, 1, &rows, err) < 0)
        return -1;
    *n = 0;
    for (int i = 0; i < rows.nrows && *n < max; i++, (*n)++) {
        snprintf(out[*n].code, sizeof out[*n].code, "%s", db_cell(&rows, i, 0));
        snprintf(out[*n].name, sizeof out[*n].name, "%s", db_cell(&rows, i, 1));
        out[*n].lon = atof(db_cell(&rows, i, 2));
        out[*n].lat = atof(db_cell(&rows, i, 3));
    }
    if (*n < 4)
        return error_set(err, 500, "internal", "演示数据缺少乡镇", "demo: the towns are missing");
    return 0;
}

static int create(Tx *tx, const Entity *e, json_t *rec, json_int_t *id, Error *err)
{
    json_t *row = NULL;
    int rc = entity_create(tx, e, rec, &row, err);
    json_decref(rec);
    if (rc == 0 && id)
        *id = json_integer_value(json_object_get(row, "id"));
    json_decref(row);
    return rc;
}

static json_int_t user_id(Tx *tx, const char *username)
{
    DbValue p[] = {db_text(username)};
    int64_t id = 0;
    Error e = ERROR_INIT;
    if (store_query_int(tx->conn, "SELECT id FROM users WHERE username = $1", p, 1, &id, &e) != 0)
        id = 0;
    error_clear(&e);
    return id;
}

/* The first enterprise of an industry (the demo enterprise account belongs to the first
 * non-coal mine), 0 when there is none. */
static json_int_t enterprise_of(Tx *tx, const char *industry)
{
    DbValue p[] = {db_text(industry)};
    int64_t id = 0;
    Error e = ERROR_INIT;
    if (store_query_int(tx->conn, "SELECT MIN(id) FROM enterprises WHERE industry = $1", p, 1, &id,
                        &e) != 0)
        id = 0;
    error_clear(&e);
    return id;
}

static int gateway(Tx *tx, const char *code, const char *name, const char *secret, json_int_t *id,
                   Error *err)
{
    if (create(tx, &monitor_gateways_entity,
               json_pack("{s:s, s:s, s:s, s:s}", "code", code, "name", name, "division_code",
                         DEMO_COUNTY_CODE, "vendor", "云岭县应急管理局信息中心"),
               id, err) < 0)
        return -1;
    char hash[65], key[24];
    mon_key_hash(secret, hash);
    snprintf(key, sizeof key, "%lld", (long long)*id);
    json_t *v = json_pack("{s:s, s:s}", "key_hash", hash, "key_hint", "demo…");
    int rc = entity_update_internal(tx, &monitor_gateways_entity, key, v, err);
    json_decref(v);
    return rc;
}

typedef struct SensorDef {
    const char *code, *type, *unit;
    int interval;
} SensorDef;

typedef struct PointDef {
    const char *code, *name, *kind;
    int town;          /* index into the towns */
    double dlon, dlat; /* offset from the town centre */
    const char *department, *person, *phone, *user;
    SensorDef sensors[4];
    const char *industry; /* owned by the first enterprise of this industry, or NULL */
} PointDef;

static const PointDef named_points[] = {
    {"MP-001",
     "青石镇山洪监测点",
     "flash_flood",
     0,
     0.012,
     0.008,
     "县水务局",
     "李建国",
     "13909390001",
     "town1",
     {{"RG-001", "rainfall", "mm", 300}, {"WL-001", "water_level", "m", 300}},
     NULL},
    {"MP-002",
     "河西镇滑坡监测点",
     "geohazard",
     1,
     -0.01,
     0.011,
     "县自然资源局",
     "王秀兰",
     "13909390002",
     "town2",
     {{"GNSS-002", "gnss_displacement", "mm", 600}, {"RG-002", "rainfall", "mm", 300}},
     NULL},
    {"MP-003",
     "尾矿库在线监测",
     "tailings",
     2,
     0.02,
     -0.015,
     "县应急管理局",
     "赵志强",
     "13909390003",
     "duty",
     {{"PL-003", "phreatic_line", "m", 600},
      {"BL-003", "beach_length", "m", 600},
      {"DD-003", "dam_displacement", "mm", 600}},
     "non_coal_mine"},
    {"MP-004",
     "危化企业可燃有毒气体",
     "hazchem",
     3,
     -0.015,
     -0.01,
     "县应急管理局",
     "孙立",
     "13909390004",
     "duty",
     {{"GAS-004", "combustible_gas", "%LEL", 60},
      {"TOX-004", "toxic_gas", "ppm", 60},
      {"TEMP-004", "temperature", "℃", 60},
      {"SMK-004", "smoke", "", 60}},
     "hazardous_chemicals"},
};

static int add_point(Tx *tx, const PointDef *d, const Town *t, json_int_t gw, json_int_t *pid,
                     Error *err)
{
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s?, s:s?, s:s?}", "code", d->code, "name",
                  d->name, "kind", d->kind, "division_code", t->code, "lon", t->lon + d->dlon,
                  "lat", t->lat + d->dlat, "address", t->name, "department", d->department,
                  "responsible_person", d->person, "responsible_phone", d->phone);
    json_int_t uid = d->user ? user_id(tx, d->user) : 0;
    json_int_t ent = d->industry ? enterprise_of(tx, d->industry) : 0;
    if (ent)
        json_object_set_new(rec, "enterprise_id", json_integer(ent));
    if (uid)
        json_object_set_new(rec, "responsible_user_id", json_integer(uid));
    if (create(tx, &monitor_points_entity, rec, pid, err) < 0)
        return -1;
    for (int i = 0; i < 4 && d->sensors[i].code; i++) {
        const SensorDef *s = &d->sensors[i];
        if (create(tx, &monitor_sensors_entity,
                   json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:i}", "code", s->code, "name",
                             s->code, "point_id", *pid, "gateway_id", gw, "type", s->type, "unit",
                             s->unit, "interval_seconds", s->interval),
                   NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* 30 山洪 points (雨量 + 水位) and 50 北斗 points (GNSS) spread over the towns. */
static int generated_points(Tx *tx, const Town *t, int nt, json_int_t gw, Error *err)
{
    for (int i = 0; i < 80; i++) {
        int flood = i < 30;
        const Town *town = &t[i % nt];
        double angle = i * 2.399963, r = 0.006 + 0.0004 * (i % 17); /* golden-angle spiral */
        char code[16], name[128], s1[24], s2[24];
        snprintf(code, sizeof code, flood ? "SH-%03d" : "BD-%03d", flood ? i + 1 : i - 29);
        snprintf(name, sizeof name, flood ? "%s山洪监测点%d号" : "%s北斗位移监测点%d号", town->name,
                 flood ? i / nt + 1 : (i - 30) / nt + 1);
        PointDef d = {code,
                      name,
                      flood ? "flash_flood" : "geohazard",
                      0,
                      0,
                      0,
                      flood ? "县水务局" : "县自然资源局",
                      NULL,
                      NULL,
                      NULL,
                      {{NULL, NULL, NULL, 0}},
                      NULL};
        Town here = *town;
        here.lon += r * cos(angle);
        here.lat += r * sin(angle);
        if (flood) {
            snprintf(s1, sizeof s1, "%s-RG", code);
            snprintf(s2, sizeof s2, "%s-WL", code);
            d.sensors[0] = (SensorDef){s1, "rainfall", "mm", 300};
            d.sensors[1] = (SensorDef){s2, "water_level", "m", 300};
        } else {
            snprintf(s1, sizeof s1, "%s-GNSS", code);
            d.sensors[0] = (SensorDef){s1, "gnss_displacement", "mm", 600};
        }
        json_int_t pid;
        if (add_point(tx, &d, &here, gw, &pid, err) < 0)
            return -1;
    }
    return 0;
}

typedef struct RuleDef {
    const char *name, *type, *kind, *dir;
    int window;
    double t[4];
    double hysteresis;
    int hold;
} RuleDef;

#define NONE NAN
static const RuleDef default_rules[] = {
    {"1小时累计雨量", "rainfall", "sum", "above", 3600, {30, 50, 70, 100}, 5, 600},
    {"3小时累计雨量", "rainfall", "sum", "above", 10800, {50, 80, 120, 150}, 5, 600},
    {"24小时累计雨量", "rainfall", "sum", "above", 86400, {100, 150, 200, 250}, 10, 1800},
    {"水位超警", "water_level", "threshold", "above", 0, {2.5, 3.0, 3.5, 4.0}, 0.1, 600},
    {"GNSS 1小时位移", "gnss_displacement", "rate", "above", 3600, {5, 10, 20, 40}, 1, 1800},
    {"坝体24小时位移", "dam_displacement", "rate", "above", 86400, {5, 10, 20, 30}, 1, 1800},
    {"浸润线埋深不足", "phreatic_line", "threshold", "below", 0, {8, 6, 4, 2}, 0.2, 600},
    {"干滩长度不足", "beach_length", "threshold", "below", 0, {100, 80, 60, 40}, 2, 600},
    {"可燃气体浓度", "combustible_gas", "threshold", "above", 0, {10, 20, 25, 50}, 2, 300},
    {"有毒气体浓度", "toxic_gas", "threshold", "above", 0, {5, 10, 20, 50}, 1, 300},
    {"温度异常", "temperature", "threshold", "above", 0, {50, 60, 70, 80}, 2, 300},
    {"烟感报警", "smoke", "threshold", "above", 0, {NONE, NONE, NONE, 1}, 0, 300},
};

/* No-data rules: blue after six of the type's usual intervals. */
static const struct {
    const char *type;
    int silence;
} nodata_rules[] = {
    {"rainfall", 1800},       {"water_level", 1800},  {"gnss_displacement", 3600},
    {"phreatic_line", 3600},  {"beach_length", 3600}, {"dam_displacement", 3600},
    {"combustible_gas", 360}, {"toxic_gas", 360},     {"temperature", 360},
    {"smoke", 360},
};

static json_t *threshold_fields(json_t *rec, const double *t)
{
    static const char *const names[] = {"blue", "yellow", "orange", "red"};
    for (int i = 0; i < 4; i++)
        if (!isnan(t[i]))
            json_object_set_new(rec, names[i], json_real(t[i]));
    return rec;
}

static int rules(Tx *tx, json_int_t combo_point, json_int_t *rain1h, json_int_t *gnss, Error *err)
{
    for (size_t i = 0; i < sizeof default_rules / sizeof default_rules[0]; i++) {
        const RuleDef *r = &default_rules[i];
        json_t *rec =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:i}", "name", r->name, "sensor_type",
                      r->type, "kind", r->kind, "direction", r->dir, "division_code",
                      DEMO_COUNTY_CODE, "hysteresis", r->hysteresis, "hold_seconds", r->hold);
        if (r->window)
            json_object_set_new(rec, "window_seconds", json_integer(r->window));
        json_int_t id;
        if (create(tx, &monitor_rules_entity, threshold_fields(rec, r->t), &id, err) < 0)
            return -1;
        if (i == 0)
            *rain1h = id;
        if (strcmp(r->type, "gnss_displacement") == 0)
            *gnss = id;
    }
    for (size_t i = 0; i < sizeof nodata_rules / sizeof nodata_rules[0]; i++) {
        json_t *rec =
            json_pack("{s:s, s:s, s:s, s:s, s:f}", "name", "数据中断(掉线)", "sensor_type",
                      nodata_rules[i].type, "kind", "nodata", "division_code", DEMO_COUNTY_CODE,
                      "blue", (double)nodata_rules[i].silence);
        if (create(tx, &monitor_rules_entity, rec, NULL, err) < 0)
            return -1;
    }
    return create(tx, &monitor_rules_entity,
                  json_pack("{s:s, s:s, s:I, s:[I, I], s:s, s:s}", "name", "降雨+位移组合预警",
                            "kind", "combo", "point_id", combo_point, "members", *rain1h, *gnss,
                            "division_code", DEMO_COUNTY_CODE, "remarks",
                            "1小时雨量与GNSS位移同时达到预警时，取两者中较低的级别"),
                  NULL, err);
}

static const struct {
    const char *type, *level, *advice;
} advice_rows[] = {
    {"rainfall", "blue", "关注雨情变化，山洪沟道巡查员上岗，检查预警广播。"},
    {"rainfall", "yellow", "加密雨情监测，通知危险区群众做好转移准备，巡查沟道和涉水路段。"},
    {"rainfall", "orange", "组织危险区老弱病残等特殊群体提前转移，封闭涉水路段，抢险队伍待命。"},
    {"rainfall", "red", "立即组织危险区全部人员转移到安置点，禁止进入沟道，启动防汛应急响应。"},
    {"water_level", "blue", "关注水位变化，加强河道巡查。"},
    {"water_level", "yellow", "加密水位观测，通知沿河群众注意防范，检查堤防险工险段。"},
    {"water_level", "orange", "转移沿河低洼地带群众，巡堤查险，抢险队伍和物资前置。"},
    {"water_level", "red", "立即转移受威胁群众，封闭桥梁和沿河道路，启动防汛应急响应。"},
    {"gnss_displacement", "yellow", "组织专业人员现场核查裂缝和变形，通知受威胁群众做好撤离准备。"},
    {"gnss_displacement", "orange", "撤离滑坡体及影响范围内人员，设置警戒，加密监测。"},
    {"gnss_displacement", "red",
     "立即撤离全部受威胁人员，封闭道路，专家会商研判，启动地质灾害应急响应。"},
    {"phreatic_line", "yellow", "核查排渗设施，降低库水位，加密浸润线观测。"},
    {"phreatic_line", "orange", "停止放矿，启用应急排渗，下游人员做好撤离准备。"},
    {"phreatic_line", "red", "立即撤离下游受威胁人员，启动尾矿库溃坝应急预案。"},
    {"beach_length", "yellow", "控制放矿和库水位，保证干滩长度，加密巡坝。"},
    {"beach_length", "orange", "停止向库内排水，组织排洪，下游人员做好撤离准备。"},
    {"beach_length", "red", "立即撤离下游受威胁人员，启动尾矿库应急预案。"},
    {"combustible_gas", "yellow", "现场核查泄漏点，加强通风，禁止动火作业。"},
    {"combustible_gas", "orange", "切断气源，疏散作业区人员，启动企业应急处置卡。"},
    {"combustible_gas", "red", "立即停车停产，撤离厂区及周边人员，通知消防救援队伍，设置警戒区。"},
    {"toxic_gas", "orange", "佩戴防护器具处置泄漏，疏散下风向人员。"},
    {"toxic_gas", "red", "立即疏散厂区及下风向群众，通知消防和医疗救护力量。"},
    {"smoke", "red", "立即核实火情，启动灭火和疏散预案，通知消防救援队伍。"},
};

static int advice(Tx *tx, Error *err)
{
    for (size_t i = 0; i < sizeof advice_rows / sizeof advice_rows[0]; i++)
        if (create(tx, &monitor_advice_entity,
                   json_pack("{s:s, s:s, s:s, s:s}", "sensor_type", advice_rows[i].type, "level",
                             advice_rows[i].level, "division_code", DEMO_COUNTY_CODE, "advice",
                             advice_rows[i].advice),
                   NULL, err) < 0)
            return -1;
    return 0;
}

/* A quiet day of readings, every 5 minutes up to the moment the demo is loaded, for every
 * sensor; the sensors' last values are set from it. */
static double quiet_value(const char *type, int k)
{
    double wave = sin(k / 24.0);
    if (strcmp(type, "rainfall") == 0)
        return k % 36 < 6 ? 0.5 + 0.3 * (k % 6) : 0;
    if (strcmp(type, "water_level") == 0)
        return 1.8 + 0.2 * wave;
    if (strcmp(type, "gnss_displacement") == 0 || strcmp(type, "dam_displacement") == 0)
        return 12.0 + 0.001 * k;
    if (strcmp(type, "phreatic_line") == 0)
        return 10.5 + 0.2 * wave;
    if (strcmp(type, "beach_length") == 0)
        return 130 + 2 * wave;
    if (strcmp(type, "combustible_gas") == 0)
        return 1.0 + 0.5 * wave;
    if (strcmp(type, "toxic_gas") == 0)
        return 0.5 + 0.2 * wave;
    if (strcmp(type, "temperature") == 0)
        return 22 + 3 * wave;
    return 0;
}

static int history(Tx *tx, Error *err)
{
    DbRows rows;
    if (store_query(tx->conn, tx->arena, "SELECT id, type FROM monitor_sensors ORDER BY id", NULL,
                    0, &rows, err) < 0)
        return -1;
    int64_t end = clock_now() * 1000;
    end -= end % 300000;
    const int n = 288;
    SeriesReading *v = arena_alloc(tx->arena, sizeof *v * (size_t)(n * rows.nrows + 1));
    int k = 0;
    for (int r = 0; r < rows.nrows; r++) /* sensor ids ascending, times ascending */
        for (int i = 0; i < n; i++, k++)
            v[k] = (SeriesReading){atoll(db_cell(&rows, r, 0)), end - (int64_t)(n - 1 - i) * 300000,
                                   quiet_value(db_cell(&rows, r, 1), i)};
    return mon_series_write_blocks(tx->conn, tx->arena, v, k, err);
}

int mon_demo(Tx *tx, Error *err)
{
    Town t[16];
    int nt;
    json_int_t gw1, gw2, rain1h = 0, gnss = 0, combo_point = 0;
    if (towns(tx, t, 16, &nt, err) < 0 ||
        gateway(tx, "GW-DEMO-01", "县级监测汇聚网关", "demo-gw-01-key", &gw1, err) < 0 ||
        gateway(tx, "GW-DEMO-02", "山洪与北斗监测网关", "demo-gw-02-key", &gw2, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof named_points / sizeof named_points[0]; i++) {
        json_int_t pid;
        if (add_point(tx, &named_points[i], &t[named_points[i].town], gw1, &pid, err) < 0)
            return -1;
        if (i == 1)
            combo_point = pid;
    }
    if (generated_points(tx, t, nt, gw2, err) < 0 ||
        rules(tx, combo_point, &rain1h, &gnss, err) < 0 || advice(tx, err) < 0 ||
        history(tx, err) < 0)
        return -1;
    return mon_jobs_schedule(tx, err);
}
