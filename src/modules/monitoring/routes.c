/* modules/monitoring/routes — the HTTP surface of monitoring (one route table); see
 * monitoring.h for the contract of each route. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/clock.h"
#include "http/route.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ (ROLE_STAFF | ROLE_VIEWER | ROLE_INFO_OFFICER | ROLE_ENTERPRISE)
#define READ_CONFIG (ROLE_STAFF | ROLE_VIEWER)
#define WRITE (ROLE_ADMIN | ROLE_DUTY_OFFICER)
#define CONFIGURE ROLE_ADMIN
#define ACK (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)
#define RAW_DAYS_MAX 2 /* ranges up to this many days default to raw readings */
#define RAW_POINTS_MAX 20000

/* ---- POST /api/v1/readings --------------------------------------------------------------- */

static IngestFormat format_of(const Req *req)
{
    const char *ct = req->content_type;
    if (ct && strncmp(ct, "application/json", 16) == 0)
        return INGEST_JSON;
    if (ct && strncmp(ct, "text/plain", 10) == 0)
        return INGEST_LINES;
    const char *p = req->body ? req->body : "";
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return *p == '{' ? INGEST_JSON : INGEST_LINES;
}

static int readings_post(Req *req, Resp *resp, Error *err)
{
    json_t *result = NULL;
    if (monitoring_ingest(req->store, req->gateway_key, NULL, req->body, req->body_len,
                          format_of(req), &result, err) < 0)
        return -1;
    return resp_json(resp, 200, result);
}

/* ---- GET /api/v1/monitor-sensors/:id/readings -------------------------------------------- */

static int time_param(const Req *req, const char *name, int64_t fallback_ms, int64_t *out,
                      Error *err)
{
    const char *v = req_query(req, name);
    int64_t s;
    if (!v || !*v) {
        *out = fallback_ms;
        return 0;
    }
    if (clock_parse_iso(v, &s) < 0) {
        error_set(err, 422, "validation_failed", "时间格式应为ISO-8601",
                  "%s must be an ISO-8601 instant", name);
        error_field(err, name, "时间格式应为ISO-8601");
        return -1;
    }
    *out = s * 1000;
    return 0;
}

static json_t *raw_points(StoreConn *c, Arena *arena, int64_t id, int64_t from, int64_t to,
                          Error *err)
{
    Sample *v;
    int n;
    if (mon_series_read(c, arena, NULL, id, from, to, &v, &n, err) < 0)
        return NULL;
    json_t *arr = json_array();
    for (int i = n > RAW_POINTS_MAX ? n - RAW_POINTS_MAX : 0; i < n; i++) { /* the newest */
        char ts[32];
        mon_format_ms(v[i].ts_ms, ts, sizeof ts);
        json_array_append_new(arr, json_pack("[s, f]", ts, v[i].value));
    }
    return arr;
}

static void append_hour(json_t *arr, int64_t hour, double avg, double min, double max, int64_t n)
{
    char ts[32];
    mon_format_ms(hour, ts, sizeof ts);
    json_array_append_new(arr, json_pack("[s, f, f, f, I]", ts, avg, min, max, (json_int_t)n));
}

/* Hourly points: the roll-up for the final hours, the raw series for the previous and the
 * current hour (still changing) and for any hour the roll-up has not reached yet. */
static json_t *hour_points(StoreConn *c, Arena *arena, int64_t id, int64_t from, int64_t to,
                           Error *err)
{
    int64_t now = mon_now_ms(), open_from = now - now % MON_HOUR_MS - MON_HOUR_MS, rolled = -1;
    from -= from % MON_HOUR_MS;
    DbValue q[] = {db_int(id), db_int(from), db_int(open_from)};
    if (store_query_int(c,
                        "SELECT COALESCE(MAX(hour), -1) FROM monitor_rollup WHERE sensor_id = $1"
                        " AND hour >= $2 AND hour < $3",
                        q, 3, &rolled, err) < 0)
        return NULL;
    int64_t raw_from = rolled < 0 ? from : rolled + MON_HOUR_MS;
    if (raw_from > open_from)
        raw_from = open_from;
    DbValue p[] = {db_int(id), db_int(from), db_int(to), db_int(raw_from)};
    DbRows rows;
    Sample *v;
    int n;
    if (store_query(c, arena,
                    "SELECT hour, sum / n, min, max, n FROM monitor_rollup WHERE sensor_id = $1"
                    " AND hour >= $2 AND hour <= $3 AND hour < $4 ORDER BY hour",
                    p, 4, &rows, err) < 0 ||
        mon_series_read(c, arena, NULL, id, raw_from, to, &v, &n, err) < 0)
        return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < rows.nrows; i++)
        append_hour(arr, atoll(db_cell(&rows, i, 0)), atof(db_cell(&rows, i, 1)),
                    atof(db_cell(&rows, i, 2)), atof(db_cell(&rows, i, 3)),
                    atoll(db_cell(&rows, i, 4)));
    for (int i = 0; i < n;) { /* v is sorted: one run per hour */
        int64_t hour = v[i].ts_ms - v[i].ts_ms % MON_HOUR_MS;
        SeriesStats st = {0};
        for (; i < n && v[i].ts_ms - v[i].ts_ms % MON_HOUR_MS == hour; i++)
            mon_stats_add(&st, v[i].value);
        append_hour(arr, hour, st.sum / (double)st.n, st.min, st.max, st.n);
    }
    return arr;
}

static json_t *thresholds_of(int64_t sensor_id)
{
    json_t *arr = json_array();
    mon_engine_lock();
    SensorRt *s = mon_sensor_by_id(sensor_id);
    for (int r = 0; s && r < s->nrules; r++) {
        const RuleInst *ri = &s->rules[r];
        for (int l = LEVEL_BLUE; l <= LEVEL_RED; l++)
            if (isfinite(ri->spec.threshold[l]))
                json_array_append_new(
                    arr,
                    json_pack("{s:I, s:s, s:s, s:I, s:s, s:f, s:s}", "rule_id",
                              (json_int_t)ri->spec.id, "rule", ri->name, "kind",
                              rule_kind_name(ri->spec.kind), "window_seconds",
                              (json_int_t)(ri->spec.window_ms / 1000), "level",
                              warn_level_name((WarnLevel)l), "value", ri->spec.threshold[l],
                              "direction", ri->spec.direction == DIR_BELOW ? "below" : "above"));
    }
    mon_engine_unlock();
    return arr;
}

static json_t *warning_periods(StoreConn *c, Arena *arena, int64_t id, int64_t from, int64_t to,
                               Error *err)
{
    char f[32], t[32];
    mon_format_ms(from, f, sizeof f);
    mon_format_ms(to, t, sizeof t);
    DbValue p[] = {db_int(id), db_text(f), db_text(t)};
    DbRows rows;
    if (store_query(c, arena,
                    "SELECT id, level, max_level, rule_name, started_at, closed_at FROM"
                    " monitor_warnings WHERE sensor_id = $1 AND started_at <= $3 AND (closed_at IS"
                    " NULL OR closed_at >= $2) ORDER BY started_at",
                    p, 3, &rows, err) < 0)
        return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < rows.nrows; i++)
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?}", "id",
                           (json_int_t)atoll(db_cell(&rows, i, 0)), "level", db_cell(&rows, i, 1),
                           "max_level", db_cell(&rows, i, 2), "rule", db_cell(&rows, i, 3),
                           "started_at", db_cell(&rows, i, 4), "closed_at", db_cell(&rows, i, 5)));
    return arr;
}

static int sensor_readings(Req *req, Resp *resp, Error *err)
{
    int64_t now = mon_now_ms(), from, to;
    if (time_param(req, "to", now, &to, err) < 0 ||
        time_param(req, "from", to - 86400000LL, &from, err) < 0)
        return -1;
    const char *res = req_query(req, "resolution");
    int hourly = res ? strcmp(res, "hour") == 0 : to - from > RAW_DAYS_MAX * 86400000LL;
    if (res && !hourly && strcmp(res, "raw") != 0) {
        error_set(err, 422, "validation_failed", "resolution 应为 raw 或 hour",
                  "resolution must be raw or hour");
        error_field(err, "resolution", "应为 raw 或 hour");
        return -1;
    }
    json_t *sensor = NULL, *points = NULL, *warnings = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &monitor_sensors_entity, req->actor, req_param(req, "id"), &sensor, err);
    if (rc == 0) {
        int64_t id = json_integer_value(json_object_get(sensor, "id"));
        points = hourly ? hour_points(c, req->arena, id, from, to, err)
                        : raw_points(c, req->arena, id, from, to, err);
        warnings = points ? warning_periods(c, req->arena, id, from, to, err) : NULL;
        rc = warnings ? 0 : -1;
    }
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(sensor);
        json_decref(points);
        return -1;
    }
    char f[32], t[32];
    mon_format_ms(from, f, sizeof f);
    mon_format_ms(to, t, sizeof t);
    int64_t id = json_integer_value(json_object_get(sensor, "id"));
    return resp_json(resp, 200,
                     json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o}", "sensor", sensor,
                               "resolution", hourly ? "hour" : "raw", "from", f, "to", t, "points",
                               points, "thresholds", thresholds_of(id), "warnings", warnings));
}

/* ---- GET /api/v1/monitor-live ------------------------------------------------------------ */

static int sees_sensor(const Actor *a, const SensorRt *s)
{
    if (!actor_covers(a, s->division))
        return 0;
    return !(a->role == ROLE_ENTERPRISE) ||
           (a->enterprise_id && a->enterprise_id == s->enterprise_id);
}

static int live(Req *req, Resp *resp, Error *err)
{
    const char *pt = req_query(req, "point_id");
    int64_t point = pt ? atoll(pt) : 0;
    if (pt && point <= 0) {
        error_set(err, 422, "validation_failed", "point_id 应为正整数",
                  "point_id must be a positive integer");
        error_field(err, "point_id", "应为正整数");
        return -1;
    }
    json_t *items = json_array();
    mon_engine_lock();
    for (int i = 0; i < mon_sensor_count(); i++) {
        const SensorRt *s = mon_sensor_at(i);
        if ((point && s->point_id != point) || !sees_sensor(req->actor, s))
            continue;
        const Sample *latest = window_latest(&s->win);
        WarnLevel worst = LEVEL_NONE;
        for (int r = 0; r < s->nrules; r++)
            if (s->rules[r].st.level > worst)
                worst = s->rules[r].st.level;
        char ts[32] = "";
        if (latest)
            mon_format_ms(latest->ts_ms, ts, sizeof ts);
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o, s:s?, s:s}", "id",
                             (json_int_t)s->id, "code", s->code, "point_id",
                             (json_int_t)s->point_id, "type", s->type, "unit", s->unit, "state",
                             s->state, "value", latest ? json_real(latest->value) : json_null(),
                             "ts", latest ? ts : NULL, "level", warn_level_name(worst)));
    }
    mon_engine_unlock();
    return resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

/* ---- GET /api/v1/monitor-board ----------------------------------------------------------- */

static int status_counts(StoreConn *c, Arena *arena, const Actor *a, json_t **out, Error *err)
{
    DbValue p[] = {db_text(a->jurisdiction),
                   db_int(a->role == ROLE_ENTERPRISE ? a->enterprise_id : -1)};
    DbRows rows;
    if (store_query(c, arena,
                    "SELECT status, COUNT(*) FROM monitor_points WHERE substr(division_code, 1,"
                    " length($1)) = $1 AND ($2 = -1 OR enterprise_id = $2) GROUP BY status",
                    p, 2, &rows, err) < 0)
        return -1;
    *out = json_object();
    for (int i = 0; i < rows.nrows; i++)
        json_object_set_new(*out, db_cell(&rows, i, 0), json_integer(atoll(db_cell(&rows, i, 1))));
    return 0;
}

static int board(Req *req, Resp *resp, Error *err)
{
    ListParam f[] = {{"state", "active"}};
    ListQuery lq = {
        .page = 1, .page_size = 500, .sort = "-level_changed_at", .filters = f, .nfilters = 1};
    json_t *list = NULL, *points = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_list(c, req->arena, &monitor_warnings_entity, req->actor, &lq, &list, err);
    if (rc == 0)
        rc = status_counts(c, req->arena, req->actor, &points, err);
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(list);
        return -1;
    }
    json_t *counts =
        json_pack("{s:i, s:i, s:i, s:i}", "red", 0, "orange", 0, "yellow", 0, "blue", 0);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(list, "items"), i, w)
    {
        const char *l = json_string_value(json_object_get(w, "level"));
        json_t *n = l ? json_object_get(counts, l) : NULL;
        if (n)
            json_integer_set(n, json_integer_value(n) + 1);
    }
    json_t *out =
        json_pack("{s:O, s:O, s:o, s:o}", "active", json_object_get(list, "items"), "total",
                  json_object_get(list, "total"), "counts", counts, "points", points);
    json_decref(list);
    return resp_json(resp, 200, out);
}

/* ---- warnings: events and acknowledgement ------------------------------------------------ */

static int warning_events(Req *req, Resp *resp, Error *err)
{
    json_t *w = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &monitor_warnings_entity, req->actor, req_param(req, "id"), &w, err);
    DbRows rows;
    if (rc == 0) {
        DbValue p[] = {db_int(json_integer_value(json_object_get(w, "id")))};
        rc = store_query(c, req->arena,
                         "SELECT id, at, action, from_level, to_level, value, readings FROM"
                         " monitor_warning_events WHERE warning_id = $1 ORDER BY id",
                         p, 1, &rows, err);
    }
    store_release(req->store, c);
    json_decref(w);
    if (rc < 0)
        return -1;
    json_t *items = json_array();
    for (int i = 0; i < rows.nrows; i++) {
        const char *v = db_cell(&rows, i, 5), *readings = db_cell(&rows, i, 6);
        json_array_append_new(
            items,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "id",
                      (json_int_t)atoll(db_cell(&rows, i, 0)), "at", db_cell(&rows, i, 1), "action",
                      db_cell(&rows, i, 2), "from_level", db_cell(&rows, i, 3), "to_level",
                      db_cell(&rows, i, 4), "value", v ? json_real(atof(v)) : json_null(),
                      "readings", readings ? json_loads(readings, 0, NULL) : json_array()));
    }
    return resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

typedef struct AckCtx {
    Req *req;
    json_t *out;
} AckCtx;

static int ack_tx(Tx *tx, void *ctx, Error *err)
{
    AckCtx *a = ctx;
    const char *key = req_param(a->req, "id");
    json_t *w = NULL;
    if (entity_get(tx->conn, &monitor_warnings_entity, tx->actor, key, &w, err) < 0)
        return -1;
    int acked = json_is_string(json_object_get(w, "acked_at"));
    json_decref(w);
    if (acked)
        return error_set(err, 409, "already_acknowledged", "该预警已签收",
                         "the warning is already acknowledged");
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    json_t *note = a->req->json ? json_object_get(a->req->json, "note") : NULL;
    json_t *v = json_pack("{s:s, s:s, s:O}", "acked_at", now, "acked_by_name",
                          tx->actor->username ? tx->actor->username : "", "ack_note",
                          note ? note : json_null());
    int rc = entity_update_internal(tx, &monitor_warnings_entity, key, v, err);
    json_decref(v);
    return rc < 0 ? -1
                  : entity_get(tx->conn, &monitor_warnings_entity, tx->actor, key, &a->out, err);
}

static int warning_ack(Req *req, Resp *resp, Error *err)
{
    static const char *const allowed[] = {"note", NULL};
    if (req_body_fields_or_fail(req, allowed, err) < 0)
        return -1;
    json_t *note = req->json ? json_object_get(req->json, "note") : NULL;
    if (note && !(json_is_string(note) && json_string_length(note) <= 1500)) {
        error_set(err, 422, "validation_failed", "签收意见应为不超过500字的文字",
                  "note must be text of at most 500 characters");
        error_field(err, "note", "应为不超过500字的文字");
        return -1;
    }
    AckCtx a = {req, NULL};
    if (tx_run(req->store, req->actor, req->arena, ack_tx, &a, err) < 0)
        return -1;
    return resp_json(resp, 200, a.out);
}

/* ---- POST /api/v1/monitor-gateways/:id/rotate-key ----------------------------------------- */

typedef struct RotateCtx {
    Req *req;
    char key[80];
} RotateCtx;

static int rotate_tx(Tx *tx, void *ctx, Error *err)
{
    RotateCtx *r = ctx;
    const char *id = req_param(r->req, "id");
    json_t *g = NULL;
    if (entity_get(tx->conn, &monitor_gateways_entity, tx->actor, id, &g, err) < 0)
        return -1;
    unsigned char raw[18];
    char secret[40], hash[65], hint[8], now[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(secret, sizeof secret, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(r->key, sizeof r->key, "%s:%s", json_string_value(json_object_get(g, "code")), secret);
    json_decref(g);
    mon_key_hash(secret, hash);
    snprintf(hint, sizeof hint, "%.4s…", secret);
    clock_format_iso(clock_now(), now, sizeof now);
    json_t *v =
        json_pack("{s:s, s:s, s:s}", "key_hash", hash, "key_hint", hint, "key_rotated_at", now);
    int rc = entity_update_internal(tx, &monitor_gateways_entity, id, v, err);
    json_decref(v);
    return rc;
}

static int gateway_rotate(Req *req, Resp *resp, Error *err)
{
    if (req_body_fields_or_fail(req, NULL, err) < 0)
        return -1;
    RotateCtx r = {req, ""};
    if (tx_run(req->store, req->actor, req->arena, rotate_tx, &r, err) < 0)
        return -1;
    return resp_json(
        resp, 200,
        json_pack("{s:s, s:s}", "key", r.key, "message",
                  "密钥仅显示这一次，请立即配置到网关 / shown once: configure the gateway now"));
}

/* ---- notices ------------------------------------------------------------------------------ */

static int notices_mine(Req *req, Resp *resp, Error *err)
{
    DbValue p[] = {db_int(req->actor->user_id)};
    DbRows rows;
    StoreConn *c = store_acquire(req->store);
    int rc =
        store_query(c, req->arena,
                    "SELECT * FROM monitor_notices WHERE user_id = $1 ORDER BY id DESC LIMIT 200",
                    p, 1, &rows, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_t *items = json_array();
    int unread = 0;
    for (int i = 0; i < rows.nrows; i++) {
        json_t *row = entity_row_json(&monitor_notices_entity, &rows, i);
        unread += json_is_null(json_object_get(row, "read_at")) || !json_object_get(row, "read_at");
        json_array_append_new(items, row);
    }
    return resp_json(resp, 200, json_pack("{s:o, s:i}", "items", items, "unread", unread));
}

static int notice_read(Req *req, Resp *resp, Error *err)
{
    if (req_body_fields_or_fail(req, NULL, err) < 0)
        return -1;
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    DbValue p[] = {db_int(atoll(req_param(req, "id"))), db_int(req->actor->user_id), db_text(now)};
    int64_t n = 0;
    StoreConn *c = store_acquire(req->store);
    int rc = store_exec(c,
                        "UPDATE monitor_notices SET read_at = COALESCE(read_at, $3) WHERE id = $1"
                        " AND user_id = $2",
                        p, 3, &n, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    if (!n)
        return error_set(err, 404, "not_found", "通知不存在", "notice not found");
    return resp_json(resp, 200, json_pack("{s:s}", "read_at", now));
}

/* ---- the table --------------------------------------------------------------------------- */

static const Route routes[] = {
    {"POST", "/api/v1/readings", readings_post, 0, SCOPE_PUBLIC, NULL,
     "上报监测读数（网关密钥认证）", ROUTE_RAW_BODY | ROUTE_NO_CSRF | ROUTE_OFFLOAD},
    ENTITY_ROUTES(&monitor_points_entity, "/api/v1/monitor-points", READ, WRITE),
    ENTITY_GEO_ROUTES(&monitor_points_entity, "/api/v1/monitor-points", READ, WRITE),
    ENTITY_ROUTES_NO_DELETE(&monitor_sensors_entity, "/api/v1/monitor-sensors", READ, WRITE),
    {"GET", "/api/v1/monitor-sensors/:id/readings", sensor_readings, READ, SCOPE_JURISDICTION, NULL,
     "传感器读数曲线（阈值线、预警时段）", 0},
    ENTITY_ROUTES_NO_DELETE(&monitor_gateways_entity, "/api/v1/monitor-gateways", READ_CONFIG,
                            CONFIGURE),
    {"POST", "/api/v1/monitor-gateways/:id/rotate-key", gateway_rotate, CONFIGURE,
     SCOPE_JURISDICTION, NULL, "生成/重置网关密钥", 0},
    ENTITY_ROUTES(&monitor_rules_entity, "/api/v1/monitor-rules", READ_CONFIG, CONFIGURE),
    ENTITY_ROUTES(&monitor_advice_entity, "/api/v1/monitor-advice", READ_CONFIG, CONFIGURE),
    {"GET", "/api/v1/monitor-warnings", entity_handle_list, READ, SCOPE_JURISDICTION,
     &monitor_warnings_entity, "监测预警列表", 0},
    {"GET", "/api/v1/monitor-warnings/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION,
     &monitor_warnings_entity, "导出CSV", 0},
    {"GET", "/api/v1/monitor-warnings/:id", entity_handle_get, READ, SCOPE_JURISDICTION,
     &monitor_warnings_entity, "查看", 0},
    {"GET", "/api/v1/monitor-warnings/:id/events", warning_events, READ, SCOPE_JURISDICTION, NULL,
     "预警变化过程及触发读数", 0},
    {"POST", "/api/v1/monitor-warnings/:id/ack", warning_ack, ACK, SCOPE_JURISDICTION, NULL,
     "签收预警", 0},
    {"GET", "/api/v1/monitor-live", live, READ, SCOPE_JURISDICTION, NULL, "传感器实时值", 0},
    {"GET", "/api/v1/monitor-board", board, READ, SCOPE_JURISDICTION, NULL, "预警看板", 0},
    {"GET", "/api/v1/monitor-notices/mine", notices_mine, ROLE_ANY, SCOPE_LOGIN, NULL,
     "我的预警通知", 0},
    {"POST", "/api/v1/monitor-notices/:id/read", notice_read, ROLE_ANY, SCOPE_LOGIN, NULL,
     "标记已读", 0},
};

void mon_register_routes(void)
{
    const Entity *const es[] = {&monitor_points_entity,   &monitor_sensors_entity,
                                &monitor_gateways_entity, &monitor_rules_entity,
                                &monitor_advice_entity,   &monitor_warnings_entity,
                                &monitor_notices_entity};
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
        http_register_entity(es[i]);
    http_register_routes(routes, (int)(sizeof routes / sizeof routes[0]));
}
