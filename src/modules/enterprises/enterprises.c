/* modules/enterprises — entities, write rules, routes and migrations; see enterprises.h. */
#include "modules/enterprises/enterprises_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "http/server.h"
#include "modules/accounts/accounts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- enum tables ---------- */

const EnumValue ent_industries[] = {
    {"hazardous_chemicals", "危险化学品"},
    {"non_coal_mine", "非煤矿山"},
    {"coal_mine", "煤矿"},
    {"fireworks", "烟花爆竹"},
    {"metallurgy", "冶金"},
    {"industry_trade", "工贸"},
    {"construction", "建筑施工"},
    {"transport", "交通运输"},
    {"other", "其他"},
    {NULL, NULL},
};

/* 统计上大中小微型企业划分办法 */
const EnumValue ent_scales[] = {
    {"large", "大型"}, {"medium", "中型"}, {"small", "小型"}, {"micro", "微型"}, {NULL, NULL},
};

/* 安全风险四色分级: 红 重大 / 橙 较大 / 黄 一般 / 蓝 低 */
const EnumValue ent_risk_classes[] = {
    {"red", "重大风险（红）"},
    {"orange", "较大风险（橙）"},
    {"yellow", "一般风险（黄）"},
    {"blue", "低风险（蓝）"},
    {NULL, NULL},
};

const EnumValue ent_statuses[] = {
    {"operating", "正常生产经营"},
    {"suspended", "停产停业"},
    {"rectifying", "停产整顿"},
    {"closed", "关闭注销"},
    {NULL, NULL},
};

/* GB 18218-2018 危险化学品重大危险源辨识: 一级 (R ≥ 100) … 四级 (R < 10) */
const EnumValue ent_hazard_levels[] = {
    {"I", "一级"}, {"II", "二级"}, {"III", "三级"}, {"IV", "四级"}, {NULL, NULL},
};

const EnumValue ent_duties[] = {
    {"principal", "主要负责人"},
    {"safety_leader", "分管安全负责人"},
    {"safety_manager", "安全管理人员"},
    {"special_operator", "特种作业人员"},
    {"emergency_contact", "应急联系人"},
    {"other", "其他"},
    {NULL, NULL},
};

const char *ent_label(const EnumValue *values, const char *value)
{
    if (!value)
        return NULL;
    for (const EnumValue *v = values; v->value; v++)
        if (strcmp(v->value, value) == 0)
            return v->label_zh;
    return NULL;
}

const char *ent_risk_colour(const char *risk_class)
{
    static const char *const colours[][2] = {
        {"red", "#FF0000"}, {"orange", "#FF9900"}, {"yellow", "#FFFF00"}, {"blue", "#0070C0"}};
    for (size_t i = 0; risk_class && i < sizeof colours / sizeof colours[0]; i++)
        if (strcmp(colours[i][0], risk_class) == 0)
            return colours[i][1];
    return NULL;
}

void ent_date_in(int days, char out[11])
{
    /* Asia/Shanghai has no daylight saving */
    time_t t = (time_t)(clock_now() + 8 * 3600 + (int64_t)days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static char public_url[512];

const char *ent_public_url(void)
{
    return public_url;
}

/* ---------- entities ---------- */

#define NO_FIELD                                                                                   \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }
#define LON_FIELD(label)                                                                           \
    {                                                                                              \
        "lon", FT_REAL, 0, label "经度", "longitude", NULL, NULL, 0, 1, 73, 136, NULL              \
    }
#define LAT_FIELD(label)                                                                           \
    {                                                                                              \
        "lat", FT_REAL, 0, label "纬度", "latitude", NULL, NULL, 0, 1, 3, 54, NULL                 \
    }

static const Field enterprise_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "企业名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"credit_code", FT_TEXT, FIELD_REQUIRED | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT,
     "统一社会信用代码", "unified social credit code", NULL, NULL, 18, 0, 0, 0, NULL},
    {"industry", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "行业类别", "industry",
     ent_industries, NULL, 0, 0, 0, 0, NULL},
    {"scale", FT_ENUM, FIELD_FILTER | FIELD_SORT, "企业规模", "scale", ent_scales, NULL, 0, 0, 0, 0,
     NULL},
    {"risk_class", FT_ENUM, FIELD_FILTER | FIELD_SORT, "风险等级", "risk class", ent_risk_classes,
     NULL, 0, 0, 0, 0, NULL},
    {"status", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "经营状态", "status",
     ent_statuses, NULL, 0, 0, 0, 0, "'operating'"},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT | FIELD_INDEX,
     "所在区划", "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"address", FT_TEXT, FIELD_SEARCH, "地址", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    LON_FIELD(""),
    LAT_FIELD(""),
    {"legal_rep", FT_TEXT, FIELD_SEARCH, "法定代表人", "legal representative", NULL, NULL, 50, 0, 0,
     0, NULL},
    {"safety_manager", FT_TEXT, FIELD_SEARCH, "安全管理负责人", "safety manager", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"phone", FT_TEXT, 0, "企业联系电话（公开）", "public phone", NULL, NULL, 30, 0, 0, 0, NULL},
    {"employees", FT_INT, FIELD_SORT, "从业人数", "employees", NULL, NULL, 0, 1, 0, 1000000, NULL},
    {"licences", FT_JSON, 0, "许可证照", "licences", NULL, NULL, 0, 0, 0, 0, NULL},
    {"notes", FT_TEXT, 0, "内部备注", "internal notes", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"qr_token", FT_TEXT, FIELD_READONLY | FIELD_UNIQUE | FIELD_NOCSV, "二维码令牌", "QR token",
     NULL, NULL, 32, 0, 0, 0, NULL},
    /* the record's own id: the engine limits enterprise users by a field of this name */
    {"enterprise_id", FT_INT, FIELD_READONLY | FIELD_NOCSV, "企业编号（数据范围）",
     "enterprise id (scope)", NULL, NULL, 0, 0, 0, 0, NULL},
    NO_FIELD,
};

static int enterprise_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before,
                                   Error *err);
static int hazard_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err);
static int person_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err);

const Entity enterprises_entity = {
    .table = "enterprises",
    .plural = "enterprises",
    .label_zh = "企业",
    .label_en = "enterprise",
    .fields = enterprise_fields,
    .division_field = "division_code",
    .default_sort = "name",
    .before_write = enterprise_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "risk_class",
};

static const Field hazard_fields[] = {
    {"enterprise_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE, "所属企业",
     "enterprise", NULL, "enterprises", 0, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "危险源名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"level", FT_ENUM, FIELD_FILTER | FIELD_SORT, "危险源等级", "level", ent_hazard_levels, NULL, 0,
     0, 0, 0, NULL},
    {"r_value", FT_REAL, FIELD_SORT, "R值", "R value", NULL, NULL, 0, 1, 0, 1e6, NULL},
    {"substances", FT_TEXT, FIELD_SEARCH, "危险物质", "substances", NULL, NULL, 500, 0, 0, 0, NULL},
    {"quantity_t", FT_REAL, FIELD_SORT, "设计最大量（吨）", "quantity (t)", NULL, NULL, 0, 1, 0,
     1e9, NULL},
    LON_FIELD(""),
    LAT_FIELD(""),
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "所在区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    NO_FIELD,
};

const Entity hazard_sources_entity = {
    .table = "hazard_sources",
    .plural = "hazard-sources",
    .label_zh = "重大危险源",
    .label_en = "major hazard source",
    .fields = hazard_fields,
    .division_field = "division_code",
    .default_sort = "level",
    .before_write = hazard_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "level",
};

static const Field person_fields[] = {
    {"enterprise_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE, "所属企业",
     "enterprise", NULL, "enterprises", 0, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"duty", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "职责", "duty", ent_duties, NULL,
     0, 0, 0, 0, NULL},
    {"phone", FT_TEXT, FIELD_SEARCH, "手机号码", "mobile phone", NULL, NULL, 30, 0, 0, 0, NULL},
    {"certificate", FT_TEXT, FIELD_SEARCH, "资格证书", "certificate", NULL, NULL, 100, 0, 0, 0,
     NULL},
    {"cert_expiry", FT_DATE, FIELD_SORT | FIELD_FILTER, "证书有效期至", "certificate expires", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "所在区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    NO_FIELD,
};

const Entity enterprise_people_entity = {
    .table = "enterprise_people",
    .plural = "enterprise-people",
    .label_zh = "企业责任人",
    .label_en = "enterprise responsible person",
    .fields = person_fields,
    .division_field = "division_code",
    .default_sort = "duty",
    .before_write = person_before_write,
};

/* ---------- write rules ---------- */

static int validation_failed(Error *err)
{
    return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                     "validation failed");
}

static int date_valid(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-')
        return 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

static int utf8_len(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* licences: null or [{"name": "安全生产许可证", "number": "…", "issuer": "…",
 * "expires": "YYYY-MM-DD"}, …] — name required, at most 30 entries. */
static int check_licences(json_t *rec, Error *err)
{
    json_t *l = json_object_get(rec, "licences");
    const char *problem = NULL;
    if (!l || json_is_null(l))
        return 0;
    if (!json_is_array(l) || json_array_size(l) > 30)
        problem = "许可证照应为不超过 30 项的列表";
    size_t i;
    json_t *it;
    json_array_foreach(l, i, it)
    {
        if (problem)
            break;
        const char *k;
        json_t *v;
        if (!json_is_object(it)) {
            problem = "许可证照的每一项应为对象（name、number、issuer、expires）";
            break;
        }
        if (!json_is_string(json_object_get(it, "name")) ||
            !*json_string_value(json_object_get(it, "name")))
            problem = "许可证照的每一项都须填写名称（name）";
        json_object_foreach(it, k, v)
        {
            if (problem)
                break;
            int known = strcmp(k, "name") == 0 || strcmp(k, "number") == 0 ||
                        strcmp(k, "issuer") == 0 || strcmp(k, "expires") == 0;
            if (!known)
                problem = "许可证照只能包含 name、number、issuer、expires";
            else if (json_is_null(v) && strcmp(k, "name") != 0)
                continue;
            else if (!json_is_string(v) || utf8_len(json_string_value(v)) > 100)
                problem = "许可证照的各项应为不超过 100 个字符的文字";
            else if (strcmp(k, "expires") == 0 && !date_valid(json_string_value(v)))
                problem = "许可证照的有效期（expires）应为 YYYY-MM-DD 格式的日期";
        }
    }
    if (!problem)
        return 0;
    error_field(err, "licences", problem);
    return 1;
}

/* Longitude and latitude come together or not at all. */
static int check_lonlat(json_t *rec, Error *err)
{
    json_t *lon = json_object_get(rec, "lon"), *lat = json_object_get(rec, "lat");
    int has_lon = lon && !json_is_null(lon), has_lat = lat && !json_is_null(lat);
    if (has_lon == has_lat)
        return 0;
    error_field(err, has_lon ? "lat" : "lon", "经度和纬度须同时填写");
    return 1;
}

static int check_credit_code(json_t *rec, Error *err)
{
    json_t *cc = json_object_get(rec, "credit_code");
    if (!json_is_string(cc))
        return 0;
    char code[ENTERPRISES_CREDIT_CODE_LEN + 1];
    const char *s = json_string_value(cc);
    size_t n = strlen(s);
    if (n != ENTERPRISES_CREDIT_CODE_LEN) {
        error_field(err, "credit_code", "统一社会信用代码应为 18 位");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        code[i] = (char)toupper((unsigned char)s[i]);
    code[n] = 0;
    if (!enterprises_credit_check_char(code)) {
        error_field(err, "credit_code",
                    "统一社会信用代码只能由数字和大写字母组成（不含 I、O、S、V、Z），第 3–8 "
                    "位为行政区划代码");
        return 1;
    }
    if (!enterprises_credit_code_valid(code)) {
        error_field(err, "credit_code", "统一社会信用代码校验位不正确（GB 32100-2015）");
        return 1;
    }
    json_object_set_new(rec, "credit_code", json_string(code));
    return 0;
}

/* The id the next enterprise will get: allocated before the insert so the record's own
 * enterprise_id (its scope) is written, audited and announced with it. On SQLite the
 * transaction holds the write lock (BEGIN IMMEDIATE); on PostgreSQL nextval is atomic. */
static int next_enterprise_id(Tx *tx, int64_t *id, Error *err)
{
    const char *sql =
        conn_dialect(tx->conn) == DIALECT_POSTGRES
            ? "SELECT nextval(pg_get_serial_sequence('enterprises', 'id'))"
            : "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'enterprises'),"
              " 0), COALESCE((SELECT max(id) FROM enterprises), 0)) + 1";
    int rc = store_query_int(tx->conn, sql, NULL, 0, id, err);
    if (rc == 1)
        return error_internal(err, "enterprises: no next id");
    return rc;
}

/* Keeps the division code of an enterprise's hazard sources and people equal to its own. */
static int move_children(Tx *tx, int64_t enterprise_id, const char *division, Error *err)
{
    static const Entity *const children[] = {&hazard_sources_entity, &enterprise_people_entity};
    for (size_t k = 0; k < sizeof children / sizeof children[0]; k++) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "SELECT id FROM %s WHERE enterprise_id = $1 AND division_code <> $2",
                 children[k]->table);
        DbValue p[] = {db_int(enterprise_id), db_text(division)};
        DbRows rows;
        if (store_query(tx->conn, tx->arena, sql, p, 2, &rows, err) < 0)
            return -1;
        for (int r = 0; r < rows.nrows; r++) {
            json_t *v = json_pack("{s:s}", "division_code", division);
            int rc = entity_update_internal(tx, children[k], db_cell(&rows, r, 0), v, err);
            json_decref(v);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static int enterprise_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    int bad = check_credit_code(rec, err) + check_licences(rec, err) + check_lonlat(rec, err);
    if (bad)
        return validation_failed(err);
    if (!before) {
        char token[ENTERPRISES_TOKEN_LEN + 1];
        enterprises_new_token(token);
        json_object_set_new(rec, "qr_token", json_string(token));
        json_t *given = json_object_get(rec, "id"); /* a CSV import may keep its ids */
        int64_t id;
        if (json_is_integer(given))
            id = json_integer_value(given);
        else if (next_enterprise_id(tx, &id, err) < 0)
            return -1;
        else
            json_object_set_new(rec, "id", json_integer(id));
        json_object_set_new(rec, "enterprise_id", json_integer(id));
        return 0;
    }
    int64_t id = json_integer_value(json_object_get(before, "id"));
    json_object_set_new(rec, "enterprise_id", json_integer(id));
    const char *nd = json_string_value(json_object_get(rec, "division_code"));
    const char *od = json_string_value(json_object_get(before, "division_code"));
    if (nd && (!od || strcmp(nd, od) != 0))
        return move_children(tx, id, nd, err);
    return 0;
}

/* A hazard source's or person's enterprise, inside the acting user's scope; its division
 * code becomes the record's. *ent receives the enterprise (new reference). */
static int child_enterprise(Tx *tx, json_t *rec, json_t **ent, Error *err)
{
    json_t *eid = json_object_get(rec, "enterprise_id");
    *ent = NULL;
    if (json_is_integer(eid)) {
        char key[24];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(eid));
        Error e2 = ERROR_INIT;
        if (entity_get(tx->conn, &enterprises_entity, tx->actor, key, ent, &e2) < 0) {
            if (e2.status != 404) {
                error_clear(err);
                *err = e2; /* the store's failure, as it came */
                return -1;
            }
            error_clear(&e2);
        }
    }
    if (!*ent) {
        error_field(err, "enterprise_id", "所属企业不存在或不在管辖范围内");
        return validation_failed(err);
    }
    json_object_set(rec, "division_code", json_object_get(*ent, "division_code"));
    return 0;
}

static const char *level_for_r(double r)
{
    return r >= 100 ? "I" : r >= 50 ? "II" : r >= 10 ? "III" : "IV";
}

static int hazard_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    json_t *ent = NULL;
    if (check_lonlat(rec, err))
        return validation_failed(err);
    if (child_enterprise(tx, rec, &ent, err) < 0)
        return -1;
    json_t *lon = json_object_get(rec, "lon");
    if (!before && (!lon || json_is_null(lon))) { /* where the enterprise is */
        json_object_set(rec, "lon", json_object_get(ent, "lon"));
        json_object_set(rec, "lat", json_object_get(ent, "lat"));
    }
    json_decref(ent);
    json_t *r = json_object_get(rec, "r_value"), *level = json_object_get(rec, "level");
    const char *lv = json_string_value(level);
    if (json_is_number(r)) {
        const char *want = level_for_r(json_number_value(r));
        /* a changed R value re-grades a source whose level was not changed with it */
        int r_changed = before && !json_equal(r, json_object_get(before, "r_value")) &&
                        json_equal(level ? level : json_null(), json_object_get(before, "level"));
        if (!lv || r_changed)
            json_object_set_new(rec, "level", json_string(want));
        else if (strcmp(lv, want) != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "危险源等级与 R 值不符：R = %.2f 应为%s重大危险源",
                     json_number_value(r), ent_label(ent_hazard_levels, want));
            error_field(err, "level", msg);
            return validation_failed(err);
        }
    } else if (!lv) {
        error_field(err, "level", "请填写危险源等级，或填写 R 值由系统分级");
        return validation_failed(err);
    }
    return 0;
}

static int person_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    (void)before;
    json_t *ent = NULL;
    int rc = child_enterprise(tx, rec, &ent, err);
    json_decref(ent);
    return rc;
}

/* ---------- routes ---------- */

/* An enterprise account that is not linked to an enterprise would see every enterprise of
 * its jurisdiction (the engine limits by enterprise_id only when it is set): refuse it. */
static int guard(const Req *req, Error *err)
{
    const Actor *a = req->actor;
    if (a && (a->role & ROLE_ENTERPRISE) && a->enterprise_id == 0)
        return error_set(err, 403, "enterprise_unlinked", "该企业账号尚未关联企业，请联系管理员",
                         "this enterprise account is not linked to an enterprise");
    return 0;
}

static int g_list(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_list(req, resp, err);
}
static int g_get(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_get(req, resp, err);
}
static int g_create(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_create(req, resp, err);
}
static int g_update(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_update(req, resp, err);
}
static int g_delete(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_delete(req, resp, err);
}
static int g_export(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_export(req, resp, err);
}
static int g_import(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_import(req, resp, err);
}

static int g_export_geojson(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_export_geojson(req, resp, err);
}
static int g_import_geojson(Req *req, Resp *resp, Error *err)
{
    return guard(req, err) < 0 ? -1 : entity_handle_import_geojson(req, resp, err);
}

typedef struct IdAction {
    const char *id;
    const char *token;
} IdAction;

static int count_where(StoreConn *c, const char *table, int64_t id, int64_t *n, Error *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE enterprise_id = $1", table);
    DbValue p = db_int(id);
    return store_query_int(c, sql, &p, 1, n, err) < 0 ? -1 : 0;
}

static int delete_tx(Tx *tx, void *ctx, Error *err)
{
    IdAction *ia = ctx;
    json_t *ent = NULL;
    if (entity_get(tx->conn, &enterprises_entity, tx->actor, ia->id, &ent, err) < 0)
        return -1;
    int64_t id = json_integer_value(json_object_get(ent, "id"));
    json_decref(ent);
    int64_t hs = 0, pp = 0, us = 0;
    if (count_where(tx->conn, "hazard_sources", id, &hs, err) < 0 ||
        count_where(tx->conn, "enterprise_people", id, &pp, err) < 0 ||
        count_where(tx->conn, "users", id, &us, err) < 0)
        return -1;
    if (hs || pp || us)
        return error_setf(err, 409, "has_dependents",
                          "该企业还有 %lld 个重大危险源、%lld 名责任人和 %lld 个用户账号，"
                          "请先删除或改为“关闭注销”状态",
                          "the enterprise still has %lld hazard sources, %lld people and %lld "
                          "user accounts; remove them first or set its status to closed",
                          (long long)hs, (long long)pp, (long long)us);
    return entity_delete(tx, &enterprises_entity, ia->id, err);
}

static int handle_enterprise_delete(Req *req, Resp *resp, Error *err)
{
    IdAction ia = {req_param(req, "id"), NULL};
    if (guard(req, err) < 0 || tx_run(req->store, req->actor, req->arena, delete_tx, &ia, err) < 0)
        return -1;
    resp->status = 204;
    return 0;
}

static int handle_file(Req *req, Resp *resp, Error *err)
{
    if (guard(req, err) < 0)
        return -1;
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = enterprises_file(c, req->arena, req->actor, req_param(req, "id"), &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

/* ?base=https://host[:port] — the UI's own origin; only scheme, host and port are taken. */
static const char *base_from_query(const Req *req)
{
    const char *b = req_query(req, "base");
    if (!b)
        return "";
    const char *host = strncmp(b, "https://", 8) == 0  ? b + 8
                       : strncmp(b, "http://", 7) == 0 ? b + 7
                                                       : NULL;
    if (!host || !*host || strlen(b) > 200)
        return "";
    for (const char *p = host; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':' || *p == '[' ||
              *p == ']'))
            return "";
    return b;
}

static int handle_qr_svg(Req *req, Resp *resp, Error *err)
{
    if (guard(req, err) < 0)
        return -1;
    json_t *ent = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &enterprises_entity, req->actor, req_param(req, "id"), &ent, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    const char *token = json_string_value(json_object_get(ent, "qr_token"));
    if (!token) {
        json_decref(ent);
        return error_internal(err, "enterprises: enterprise without a QR token");
    }
    const char *base = *ent_public_url() ? ent_public_url() : base_from_query(req);
    const char *url =
        arena_printf(req->arena, "%s%s", base, enterprises_public_path(req->arena, token));
    const char *title =
        arena_printf(req->arena, "%s 一企一码", json_string_value(json_object_get(ent, "name")));
    StrBuf sb = STRBUF_INIT;
    int version = 0, modules = 0;
    rc = enterprises_qr_svg(url, title, &sb, &version, &modules, err);
    if (rc == 0) {
        resp->body = arena_strndup(req->arena, strbuf_cstr(&sb), sb.len);
        resp->body_len = sb.len;
        resp->content_type = "image/svg+xml; charset=utf-8";
        resp_header(resp, "X-QR-URL", url);
        resp_header(resp, "Content-Disposition",
                    arena_printf(req->arena, "inline; filename=\"enterprise-%s-qr.svg\"",
                                 req_param(req, "id")));
    }
    strbuf_free(&sb);
    json_decref(ent);
    return rc;
}

static int rotate_tx(Tx *tx, void *ctx, Error *err)
{
    IdAction *ia = ctx;
    return enterprises_rotate_token(tx, ia->id, &ia->token, err);
}

static int handle_qr_rotate(Req *req, Resp *resp, Error *err)
{
    if (req->json && (!json_is_object(req->json) || json_object_size(req->json) > 0)) {
        error_set(err, 422, "validation_failed", "换发二维码不需要提交任何字段",
                  "rotating the QR token takes no fields");
        const char *k;
        json_t *v;
        if (json_is_object(req->json))
            json_object_foreach(req->json, k, v)
            {
                (void)v;
                error_field(err, k, "不支持的字段");
            }
        return -1;
    }
    IdAction ia = {req_param(req, "id"), NULL};
    if (guard(req, err) < 0 || tx_run(req->store, req->actor, req->arena, rotate_tx, &ia, err) < 0)
        return -1;
    int64_t id = strtoll(ia.id, NULL, 10);
    return resp_json(resp, 200,
                     json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "qr_token", ia.token,
                               "public_path", enterprises_public_path(req->arena, ia.token)));
}

static int handle_public(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = enterprises_public_summary(c, req->arena, req_param(req, "token"), &out, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    return resp_json(resp, 200, out);
}

#define READ_ROLES ROLE_ANY
#define REGISTRY_WRITERS (ROLE_ADMIN | ROLE_INSPECTOR)
/* enterprises declare their own hazard sources and responsible people (企业自查自报) */
#define OWN_WRITERS (ROLE_ADMIN | ROLE_INSPECTOR | ROLE_ENTERPRISE)

#define GUARDED_ROUTES(ent, base, rd, wr)                                                          \
    {"GET", base, g_list, rd, SCOPE_JURISDICTION, ent, "列表查询", 0},                             \
        {"GET", base "/export.csv", g_export, rd, SCOPE_JURISDICTION, ent, "导出CSV", 0},          \
        {"POST", base "/import.csv", g_import,      wr, SCOPE_JURISDICTION,                        \
         ent,    "导入CSV",          ROUTE_RAW_BODY},                                              \
        {"GET", base "/:id", g_get, rd, SCOPE_JURISDICTION, ent, "查看", 0},                       \
        {"POST", base, g_create, wr, SCOPE_JURISDICTION, ent, "新建", 0},                          \
    {                                                                                              \
        "PATCH", base "/:id", g_update, wr, SCOPE_JURISDICTION, ent, "修改", 0                     \
    }

/* the map's exchange format for the located entities */
#define GUARDED_GEO_ROUTES(ent, base, rd, wr)                                                      \
    {"GET", base "/export.geojson", g_export_geojson, rd, SCOPE_JURISDICTION, ent, "导出GeoJSON",  \
     0},                                                                                           \
    {                                                                                              \
        "POST", base "/import.geojson", g_import_geojson, wr, SCOPE_JURISDICTION, ent,             \
            "导入GeoJSON", ROUTE_RAW_BODY                                                          \
    }

static const Route routes[] = {
    GUARDED_ROUTES(&enterprises_entity, "/api/v1/enterprises", READ_ROLES, REGISTRY_WRITERS),
    GUARDED_GEO_ROUTES(&enterprises_entity, "/api/v1/enterprises", READ_ROLES, REGISTRY_WRITERS),
    {"DELETE", "/api/v1/enterprises/:id", handle_enterprise_delete, ROLE_ADMIN, SCOPE_JURISDICTION,
     &enterprises_entity, "删除企业（无危险源、责任人和账号时）", 0},
    {"GET", "/api/v1/enterprises/:id/file", handle_file, READ_ROLES, SCOPE_JURISDICTION,
     &enterprises_entity, "一企一档：企业档案（含重大危险源、责任人）", 0},
    {"GET", "/api/v1/enterprises/:id/qr.svg", handle_qr_svg, READ_ROLES, SCOPE_JURISDICTION,
     &enterprises_entity, "一企一码：二维码（SVG）", 0},
    {"POST", "/api/v1/enterprises/:id/qr/rotate", handle_qr_rotate, ROLE_ADMIN, SCOPE_JURISDICTION,
     &enterprises_entity, "换发二维码（旧码失效）", 0},
    {"GET", "/api/v1/public/enterprises/:token", handle_public, 0, SCOPE_PUBLIC, NULL,
     "扫码查看企业公开信息", 0},
    GUARDED_ROUTES(&hazard_sources_entity, "/api/v1/hazard-sources", READ_ROLES, OWN_WRITERS),
    GUARDED_GEO_ROUTES(&hazard_sources_entity, "/api/v1/hazard-sources", READ_ROLES, OWN_WRITERS),
    {"DELETE", "/api/v1/hazard-sources/:id", g_delete, OWN_WRITERS, SCOPE_JURISDICTION,
     &hazard_sources_entity, "删除", 0},
    GUARDED_ROUTES(&enterprise_people_entity, "/api/v1/enterprise-people", READ_ROLES, OWN_WRITERS),
    {"DELETE", "/api/v1/enterprise-people/:id", g_delete, OWN_WRITERS, SCOPE_JURISDICTION,
     &enterprise_people_entity, "删除", 0},
};

static void enterprises_register_routes(void)
{
    http_register_entity(&enterprises_entity);
    http_register_entity(&hazard_sources_entity);
    http_register_entity(&enterprise_people_entity);
    http_register_routes(routes, (int)(sizeof routes / sizeof routes[0]));
}

static void enterprises_start(Store *store)
{
    (void)store;
    const char *u = getenv("YINGJI_PUBLIC_URL");
    if (!u || !*u)
        return;
    snprintf(public_url, sizeof public_url, "%s", u);
    size_t n = strlen(public_url);
    while (n > 0 && public_url[n - 1] == '/')
        public_url[--n] = 0;
    log_info("enterprises: QR codes open %s/m/e/<token>", public_url);
}

/* ---------- migrations ---------- */

static int create_enterprises(StoreConn *c, Error *err)
{
    return entity_create_table(c, &enterprises_entity, err);
}

static int create_hazard_sources(StoreConn *c, Error *err)
{
    return entity_create_table(c, &hazard_sources_entity, err);
}

static int create_people(StoreConn *c, Error *err)
{
    return entity_create_table(c, &enterprise_people_entity, err);
}

static const Migration migrations[] = {
    {1, "create enterprises", NULL, NULL, create_enterprises},
    {2, "create hazard_sources", NULL, NULL, create_hazard_sources},
    {3, "create enterprise_people", NULL, NULL, create_people},
};

static int enterprises_migrate(Store *store, Error *err)
{
    return store_migrate(store, "enterprises", migrations,
                         (int)(sizeof migrations / sizeof migrations[0]), err);
}

const Module enterprises_module = {
    .name = "enterprises",
    .migrate = enterprises_migrate,
    .register_routes = enterprises_register_routes,
    .start = enterprises_start,
    .demo = enterprises_demo,
};
