/* modules/monitoring/entities — the monitoring tables declared once; see monitoring.h. */
#include "modules/monitoring/monitoring_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RO FIELD_READONLY
#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }

static const EnumValue point_kinds[] = {
    {"flash_flood", "山洪"},
    {"geohazard", "地质灾害"},
    {"tailings", "尾矿库"},
    {"hazchem", "危化企业"},
    {"mine", "矿山"},
    {"industry", "工贸企业"},
    {"waterlogging", "城市内涝"},
    {"forest_fire", "森林火险"},
    {"weather", "气象"},
    {"other", "其他"},
    {NULL, NULL},
};

static const EnumValue point_statuses[] = {
    {"normal", "正常"},  {"blue", "蓝色预警"}, {"yellow", "黄色预警"}, {"orange", "橙色预警"},
    {"red", "红色预警"}, {"offline", "掉线"},  {NULL, NULL},
};

/* 传感器类型: the sensors SPEC C3 names; units are the usual ones, editable per sensor. */
static const EnumValue sensor_types[] = {
    {"rainfall", "雨量"},
    {"water_level", "水位"},
    {"gnss_displacement", "GNSS位移"},
    {"phreatic_line", "浸润线埋深"},
    {"beach_length", "干滩长度"},
    {"dam_displacement", "坝体位移"},
    {"combustible_gas", "可燃气体浓度"},
    {"toxic_gas", "有毒气体浓度"},
    {"temperature", "温度"},
    {"smoke", "烟感"},
    {"video", "视频"},
    {"other", "其他"},
    {NULL, NULL},
};

static const EnumValue sensor_states[] = {
    {"online", "在线"},   {"offline", "掉线"}, {"maintenance", "维护"},
    {"disabled", "停用"}, {NULL, NULL},
};

static const EnumValue rule_kinds[] = {
    {"threshold", "阈值"},  {"rate", "变化速率"},    {"sum", "累计值"},
    {"nodata", "数据中断"}, {"combo", "多要素组合"}, {NULL, NULL},
};

static const EnumValue directions[] = {
    {"above", "高于阈值预警"},
    {"below", "低于阈值预警"},
    {NULL, NULL},
};

static const EnumValue levels[] = {
    {"blue", "蓝色(IV级)"},
    {"yellow", "黄色(III级)"},
    {"orange", "橙色(II级)"},
    {"red", "红色(I级)"},
    {NULL, NULL},
};

static const EnumValue warning_states[] = {
    {"active", "生效中"},
    {"closed", "已解除"},
    {NULL, NULL},
};

static int refuse(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

static json_int_t int_of(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* The point of a sensor or rule, inside the actor's jurisdiction (else 422 on the field). */
static int visible_point(Tx *tx, json_int_t id, json_t **point, Error *err)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    Error e2 = ERROR_INIT;
    if (entity_get(tx->conn, &monitor_points_entity, tx->actor, key, point, &e2) == 0)
        return 0;
    int status = e2.status;
    error_clear(&e2);
    if (status != 404)
        return error_set(err, 500, "internal", "读取监测点失败", "cannot read the point");
    return refuse(err, "point_id", "监测点不存在或不在您的管辖范围内",
                  "the monitoring point does not exist or is outside your jurisdiction");
}

/* ---- monitoring points (监测点) ---------------------------------------------------------- */

static const Field point_fields[] = {
    {"code", FT_TEXT, FIELD_REQUIRED | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT, "监测点编号",
     "code", NULL, NULL, 64, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "监测点名称", "name", NULL, NULL,
     128, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "监测类别", "kind", point_kinds,
     NULL, 0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"address", FT_TEXT, FIELD_SEARCH, "位置", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    {"lon", FT_REAL, FIELD_REQUIRED, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, FIELD_REQUIRED, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"enterprise_id", FT_REF, FIELD_FILTER, "所属企业", "enterprise", NULL, "enterprises", 0, 0, 0,
     0, NULL},
    {"department", FT_TEXT, FIELD_SEARCH, "责任部门", "department", NULL, NULL, 100, 0, 0, 0, NULL},
    {"responsible_person", FT_TEXT, FIELD_SEARCH, "责任人", "responsible person", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"responsible_phone", FT_TEXT, 0, "责任人电话", "responsible phone", NULL, NULL, 30, 0, 0, 0,
     NULL},
    {"responsible_user_id", FT_REF, FIELD_FILTER, "责任人账号", "responsible account", NULL,
     "users", 0, 0, 0, 0, NULL},
    {"status", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "运行状态", "status", point_statuses, NULL,
     0, 0, 0, 0, "'normal'"},
    {"remarks", FT_TEXT, 0, "备注", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL},
    END,
};

const Entity monitor_points_entity = {
    .table = "monitor_points",
    .plural = "monitor-points",
    .label_zh = "监测点",
    .label_en = "monitoring points",
    .fields = point_fields,
    .division_field = "division_code",
    .default_sort = "code",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "status",
};

/* ---- gateways (接入网关) ------------------------------------------------------------------ */

static const Field gateway_fields[] = {
    {"code", FT_TEXT, FIELD_REQUIRED | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT | FIELD_IMMUTABLE,
     "网关编号", "code", NULL, NULL, 64, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "网关名称", "name", NULL, NULL,
     128, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"vendor", FT_TEXT, FIELD_SEARCH, "厂商/运维单位", "vendor", NULL, NULL, 100, 0, 0, 0, NULL},
    {"enabled", FT_BOOL, FIELD_FILTER, "启用", "enabled", NULL, NULL, 0, 0, 0, 0, "1"},
    {"key_hash", FT_TEXT, FIELD_SECRET | RO | FIELD_NOCSV, "密钥摘要", "key hash", NULL, NULL, 64,
     0, 0, 0, NULL},
    {"key_hint", FT_TEXT, RO, "密钥提示", "key hint", NULL, NULL, 16, 0, 0, 0, NULL},
    {"key_rotated_at", FT_TIME, RO, "密钥生成时间", "key rotated at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"remarks", FT_TEXT, 0, "备注", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL},
    END,
};

const Entity monitor_gateways_entity = {
    .table = "monitor_gateways",
    .plural = "monitor-gateways",
    .label_zh = "接入网关",
    .label_en = "gateways",
    .fields = gateway_fields,
    .division_field = "division_code",
    .default_sort = "code",
};

/* ---- sensors (传感器) --------------------------------------------------------------------- */

static const Field sensor_fields[] = {
    {"code", FT_TEXT, FIELD_REQUIRED | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT, "传感器编号",
     "code", NULL, NULL, 64, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_SEARCH, "名称", "name", NULL, NULL, 128, 0, 0, 0, NULL},
    {"point_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "监测点", "point", NULL,
     "monitor_points", 0, 0, 0, 0, NULL},
    {"gateway_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "接入网关", "gateway", NULL,
     "monitor_gateways", 0, 0, 0, 0, NULL},
    {"type", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "监测类型", "type", sensor_types,
     NULL, 0, 0, 0, 0, NULL},
    {"unit", FT_TEXT, 0, "单位", "unit", NULL, NULL, 24, 0, 0, 0, NULL},
    {"interval_seconds", FT_INT, 0, "上报周期(秒)", "reporting interval (s)", NULL, NULL, 0, 1, 1,
     86400, "300"},
    {"state", FT_ENUM, FIELD_FILTER | FIELD_SORT, "状态", "state", sensor_states, NULL, 0, 0, 0, 0,
     "'online'"},
    {"division_code", FT_DIVISION, RO | FIELD_FILTER | FIELD_SORT, "所属区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"enterprise_id", FT_REF, RO | FIELD_FILTER, "所属企业", "enterprise", NULL, "enterprises", 0,
     0, 0, 0, NULL},
    {"last_value", FT_REAL, RO, "最新值", "last value", NULL, NULL, 0, 0, 0, 0, NULL},
    {"last_reading_at", FT_TIME, RO | FIELD_SORT, "最新数据时间", "last reading at", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"remarks", FT_TEXT, 0, "备注", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL},
    END,
};

/* A sensor takes its division and enterprise from its point (which must be visible). */
static int sensor_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    json_int_t point = int_of(rec, "point_id");
    if (before && point == int_of(before, "point_id"))
        return 0;
    json_t *p = NULL;
    if (visible_point(tx, point, &p, err) < 0)
        return -1;
    json_object_set(rec, "division_code", json_object_get(p, "division_code"));
    json_t *ent = json_object_get(p, "enterprise_id");
    json_object_set(rec, "enterprise_id", ent ? ent : json_null());
    json_decref(p);
    return 0;
}

const Entity monitor_sensors_entity = {
    .table = "monitor_sensors",
    .plural = "monitor-sensors",
    .label_zh = "传感器",
    .label_en = "sensors",
    .fields = sensor_fields,
    .division_field = "division_code",
    .default_sort = "code",
    .before_write = sensor_before_write,
};

/* ---- rules (预警规则) --------------------------------------------------------------------- */

static const Field rule_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "规则名称", "name", NULL, NULL,
     96, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "规则类型", "kind", rule_kinds,
     NULL, 0, 0, 0, 0, NULL},
    {"sensor_type", FT_ENUM, FIELD_FILTER | FIELD_SORT, "监测类型", "sensor type", sensor_types,
     NULL, 0, 0, 0, 0, NULL},
    {"point_id", FT_REF, FIELD_FILTER, "适用监测点", "point override", NULL, "monitor_points", 0, 0,
     0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "适用区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"direction", FT_ENUM, 0, "预警方向", "direction", directions, NULL, 0, 0, 0, 0, "'above'"},
    {"window_seconds", FT_INT, 0, "统计时段(秒)", "window (s)", NULL, NULL, 0, 1, 1, 30 * 86400,
     NULL},
    {"blue", FT_REAL, 0, "蓝色(IV级)阈值", "blue threshold", NULL, NULL, 0, 0, 0, 0, NULL},
    {"yellow", FT_REAL, 0, "黄色(III级)阈值", "yellow threshold", NULL, NULL, 0, 0, 0, 0, NULL},
    {"orange", FT_REAL, 0, "橙色(II级)阈值", "orange threshold", NULL, NULL, 0, 0, 0, 0, NULL},
    {"red", FT_REAL, 0, "红色(I级)阈值", "red threshold", NULL, NULL, 0, 0, 0, 0, NULL},
    {"hysteresis", FT_REAL, 0, "回差", "hysteresis", NULL, NULL, 0, 1, 0, 1e12, "0"},
    {"hold_seconds", FT_INT, 0, "最短保持(秒)", "minimum hold (s)", NULL, NULL, 0, 1, 0, 86400,
     "0"},
    {"members", FT_JSON, 0, "组合成员规则", "combination members", NULL, NULL, 0, 0, 0, 0, NULL},
    {"enabled", FT_BOOL, FIELD_FILTER, "启用", "enabled", NULL, NULL, 0, 0, 0, 0, "1"},
    {"remarks", FT_TEXT, 0, "说明", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL},
    END,
};

static double real_or_nan(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Combo members: 2–8 ids of existing non-combo rules. */
static int check_members(Tx *tx, json_t *rec, Error *err)
{
    json_t *m = json_object_get(rec, "members");
    size_t n = json_is_array(m) ? json_array_size(m) : 0;
    if (n < 2 || n > 8)
        return refuse(err, "members", "组合规则须列出2至8条成员规则的编号",
                      "a combination names 2 to 8 member rule ids");
    for (size_t i = 0; i < n; i++) {
        json_t *id = json_array_get(m, i);
        DbValue p[] = {db_int(json_is_integer(id) ? json_integer_value(id) : -1)};
        int64_t found = 0;
        int rc = store_query_int(
            tx->conn, "SELECT COUNT(*) FROM monitor_rules WHERE id = $1 AND kind <> 'combo'", p, 1,
            &found, err);
        if (rc < 0)
            return -1;
        if (!found)
            return refuse(err, "members", "成员规则不存在或本身是组合规则",
                          "a member rule does not exist or is itself a combination");
    }
    return 0;
}

static int rule_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    (void)before;
    RuleSpec spec = {0};
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    if (rule_kind_from_name(kind, &spec.kind) < 0)
        return refuse(err, "kind", "规则类型无效", "unknown rule kind");
    json_int_t point = int_of(rec, "point_id");
    if (point) {
        json_t *p = NULL;
        if (visible_point(tx, point, &p, err) < 0)
            return -1;
        json_object_set(rec, "division_code", json_object_get(p, "division_code"));
        json_decref(p);
    }
    if (spec.kind == RULE_COMBO) {
        if (!point)
            return refuse(err, "point_id", "组合规则须指定监测点",
                          "a combination rule belongs to one point");
        return check_members(tx, rec, err);
    }
    if (!json_is_string(json_object_get(rec, "sensor_type")))
        return refuse(err, "sensor_type", "请选择监测类型", "sensor type is required");
    const char *dir = json_string_value(json_object_get(rec, "direction"));
    spec.direction = dir && strcmp(dir, "below") == 0 ? DIR_BELOW : DIR_ABOVE;
    spec.window_ms = int_of(rec, "window_seconds") * 1000;
    spec.threshold[LEVEL_BLUE] = real_or_nan(rec, "blue");
    spec.threshold[LEVEL_YELLOW] = real_or_nan(rec, "yellow");
    spec.threshold[LEVEL_ORANGE] = real_or_nan(rec, "orange");
    spec.threshold[LEVEL_RED] = real_or_nan(rec, "red");
    json_t *h = json_object_get(rec, "hysteresis");
    spec.hysteresis = json_is_number(h) ? json_number_value(h) : 0;
    spec.hold_ms = int_of(rec, "hold_seconds") * 1000;
    char zh[200], en[200];
    if (rule_spec_check(&spec, zh, en) < 0) {
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
        error_field(err, "blue", zh);
        return -1;
    }
    return 0;
}

const Entity monitor_rules_entity = {
    .table = "monitor_rules",
    .plural = "monitor-rules",
    .label_zh = "预警规则",
    .label_en = "warning rules",
    .fields = rule_fields,
    .division_field = "division_code",
    .default_sort = "id",
    .before_write = rule_before_write,
};

/* ---- advice templates (防控建议) ---------------------------------------------------------- */

static const Field advice_fields[] = {
    {"sensor_type", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "监测类型", "sensor type",
     sensor_types, NULL, 0, 0, 0, 0, NULL},
    {"level", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "预警级别", "level", levels,
     NULL, 0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "适用区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"advice", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "防控建议", "advice", NULL, NULL, 2000, 0, 0,
     0, NULL},
    END,
};

const Entity monitor_advice_entity = {
    .table = "monitor_advice",
    .plural = "monitor-advice",
    .label_zh = "防控建议模板",
    .label_en = "advice templates",
    .fields = advice_fields,
    .division_field = "division_code",
    .default_sort = "sensor_type",
};

/* ---- warnings (监测预警) — written by the engine only ------------------------------------- */

static const Field warning_fields[] = {
    {"level", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "当前级别", "level", levels, NULL, 0, 0, 0,
     0, NULL},
    {"state", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "状态", "state", warning_states, NULL, 0, 0,
     0, 0, "'active'"},
    {"point_name", FT_TEXT, RO | FIELD_SEARCH, "监测点名称", "point name", NULL, NULL, 128, 0, 0, 0,
     NULL},
    {"sensor_code", FT_TEXT, RO | FIELD_SEARCH, "传感器编号", "sensor code", NULL, NULL, 64, 0, 0,
     0, NULL},
    {"rule_name", FT_TEXT, RO | FIELD_SEARCH, "规则名称", "rule name", NULL, NULL, 96, 0, 0, 0,
     NULL},
    {"value", FT_REAL, RO, "触发值", "value", NULL, NULL, 0, 0, 0, 0, NULL},
    {"unit", FT_TEXT, RO, "单位", "unit", NULL, NULL, 24, 0, 0, 0, NULL},
    {"started_at", FT_TIME, RO | FIELD_SORT, "发生时间", "started at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"closed_at", FT_TIME, RO | FIELD_SORT, "解除时间", "closed at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"point_id", FT_REF, RO | FIELD_FILTER, "监测点", "point", NULL, "monitor_points", 0, 0, 0, 0,
     NULL},
    {"sensor_id", FT_REF, RO | FIELD_FILTER, "传感器", "sensor", NULL, "monitor_sensors", 0, 0, 0,
     0, NULL},
    {"sensor_type", FT_ENUM, RO | FIELD_FILTER, "监测类型", "sensor type", sensor_types, NULL, 0, 0,
     0, 0, NULL},
    {"rule_id", FT_REF, RO | FIELD_FILTER, "规则", "rule", NULL, "monitor_rules", 0, 0, 0, 0, NULL},
    {"rule_kind", FT_ENUM, RO | FIELD_FILTER, "规则类型", "rule kind", rule_kinds, NULL, 0, 0, 0, 0,
     NULL},
    {"max_level", FT_ENUM, RO | FIELD_FILTER, "最高级别", "highest level", levels, NULL, 0, 0, 0, 0,
     NULL},
    {"threshold", FT_REAL, RO, "阈值", "threshold", NULL, NULL, 0, 0, 0, 0, NULL},
    {"advice", FT_TEXT, RO, "防控建议", "advice", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"level_changed_at", FT_TIME, RO | FIELD_SORT, "级别变化时间", "level changed at", NULL, NULL,
     0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, RO | FIELD_FILTER | FIELD_SORT, "所属区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"enterprise_id", FT_REF, RO | FIELD_FILTER, "所属企业", "enterprise", NULL, "enterprises", 0,
     0, 0, 0, NULL},
    {"published", FT_BOOL, RO | FIELD_FILTER, "已转预警发布", "handed to publication", NULL, NULL,
     0, 0, 0, 0, "0"},
    {"acked_at", FT_TIME, RO, "签收时间", "acknowledged at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"acked_by_name", FT_TEXT, RO, "签收人", "acknowledged by", NULL, NULL, 50, 0, 0, 0, NULL},
    {"ack_note", FT_TEXT, RO, "签收意见", "acknowledgement note", NULL, NULL, 500, 0, 0, 0, NULL},
    {"subject", FT_TEXT, RO | FIELD_NOCSV, "预警对象", "subject", NULL, NULL, 40, 0, 0, 0, NULL},
    END,
};

const Entity monitor_warnings_entity = {
    .table = "monitor_warnings",
    .plural = "monitor-warnings",
    .label_zh = "监测预警",
    .label_en = "monitoring warnings",
    .fields = warning_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};

/* ---- in-app notices to the responsible people --------------------------------------------- */

static const Field notice_fields[] = {
    {"user_id", FT_REF, RO | FIELD_FILTER, "接收人", "recipient", NULL, "users", 0, 0, 0, 0, NULL},
    {"warning_id", FT_REF, RO | FIELD_FILTER, "预警", "warning", NULL, "monitor_warnings", 0, 0, 0,
     0, NULL},
    {"level", FT_ENUM, RO, "级别", "level", levels, NULL, 0, 0, 0, 0, NULL},
    {"message", FT_TEXT, RO, "内容", "message", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, RO | FIELD_FILTER, "所属区划", "division", NULL, NULL, 0, 0, 0,
     0, NULL},
    {"delivered_at", FT_TIME, RO | FIELD_SORT, "送达时间", "delivered at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"read_at", FT_TIME, RO, "阅读时间", "read at", NULL, NULL, 0, 0, 0, 0, NULL},
    END,
};

const Entity monitor_notices_entity = {
    .table = "monitor_notices",
    .plural = "monitor-notices",
    .label_zh = "预警通知",
    .label_en = "warning notices",
    .fields = notice_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};
