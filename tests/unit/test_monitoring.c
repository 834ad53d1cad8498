/* tests/unit/test_monitoring — the monitoring engine below HTTP: readings through
 * monitoring_ingest() on a small network whose expected warnings are worked out by hand.
 *
 *   water level (threshold 2.5/3.0/3.5/4.0 m, hysteresis 0.1 m, hold 600 s): both sides of
 *     the blue threshold, escalation at once, a value inside the hysteresis band that keeps
 *     the level, a de-escalation that waits for its hold, a close; a batch sent in reverse
 *     order gives the answer of the sorted batch;
 *   rainfall (1 h sum 30/50/70/100 mm): the window's lower edge is excluded, a late reading
 *     is folded in and evaluated at the latest time, a duplicate keeps the first value;
 *   a combination of rainfall AND GNSS displacement at one point: the lower of the two;
 *   no data (掉线) with an injected clock: the sensor turns offline, the next reading closes
 *     it; gateway keys, another gateway's sensor, a malformed batch that stores nothing, the
 *     JSON format, a reading from the future;
 *   a restart (the engine forgotten and reloaded from the store) replaying the last batch:
 *     duplicates only, no warning raised twice.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "modules/accounts/accounts.h"
#include "modules/divisions/divisions.h"
#include "modules/monitoring/monitoring_internal.h"

#include <math.h>

#define PG_SCHEMA "yj_monitoring_test"
#define GW_AUTH "GW-T:secret-t"
#define S 1000LL /* one second in ms */

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
    int64_t t0;      /* base event time, ms */
    json_int_t point, combo_point, rain_rule, gnss_rule;
} Fx;

/* ---- helpers ----------------------------------------------------------------------------- */

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    static char buf[8][4096];
    static int slot;
    char *b = buf[slot++ % 8];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

typedef struct PutCtx {
    const Entity *e;
    const char *json;
} PutCtx;

static int put_tx(Tx *tx, void *ctx, Error *err)
{
    PutCtx *p = ctx;
    json_t *in = json_loads(p->json, 0, NULL), *out = NULL;
    if (!in)
        return error_internal(err, "bad test JSON");
    int rc = entity_create(tx, p->e, in, &out, err);
    json_decref(in);
    if (rc == 0) /* entities keyed by code (divisions) have no id: "0" */
        p->json = arena_printf(tx->arena, "%lld",
                               (long long)json_integer_value(json_object_get(out, "id")));
    json_decref(out);
    return rc;
}

static json_int_t create(Fx *fx, const Entity *e, const char *json)
{
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    PutCtx p = {e, json};
    int rc = tx_run(fx->store, &actor_system, &arena, put_tx, &p, &err);
    if (rc < 0) {
        char *f = err.fields ? json_dumps(err.fields, 0) : NULL;
        print_error("create %s %s: %s %s\n", e->table, json, err.message_en, f ? f : "");
        free(f);
        fail();
    }
    json_int_t id = atoll(p.json);
    arena_free(&arena);
    return id;
}

static int64_t query_int(Fx *fx, const char *sql)
{
    StoreConn *c = store_acquire(fx->store);
    Error err = ERROR_INIT;
    int64_t v = -1;
    int rc = store_query_int(c, sql, NULL, 0, &v, &err);
    store_release(fx->store, c);
    assert_ok(rc < 0 ? -1 : 0, err);
    return v;
}

/* Readings stored: in the journal and in blocks (series.c). */
static int64_t stored_readings(Fx *fx)
{
    return query_int(fx, "SELECT (SELECT COALESCE(SUM(n), 0) FROM monitor_reading_journal) +"
                         " (SELECT COALESCE(SUM(n), 0) FROM monitor_reading_blocks)");
}

static int64_t sensor_id(Fx *fx, const char *code)
{
    return query_int(fx, fmt("SELECT id FROM monitor_sensors WHERE code = '%s'", code));
}

/* A sensor's stored readings with from <= ts <= to, through the series reader. */
static int read_series(Fx *fx, const char *code, int64_t from, int64_t to, Sample *out, int max)
{
    int64_t id = sensor_id(fx, code);
    StoreConn *c = store_acquire(fx->store);
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    Sample *v = NULL;
    int n = 0;
    int rc = mon_series_read(c, &arena, NULL, id, from, to, &v, &n, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    for (int i = 0; i < n && i < max; i++)
        out[i] = v[i];
    arena_free(&arena);
    return n;
}

static void compact_all(Fx *fx)
{
    Error err = ERROR_INIT;
    assert_ok(mon_series_compact_now(fx->store, 0, &err), err);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_reading_journal"), 0);
}

/* Sends a line-format batch; returns the answer (caller decrefs) or fails the test. */
static json_t *send_lines(Fx *fx, const char *auth, const char *body)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int rc = monitoring_ingest(fx->store, auth, NULL, body, strlen(body), INGEST_LINES, &out, &err);
    assert_ok(rc, err);
    return out;
}

static void send_fails(Fx *fx, const char *auth, const char *body, IngestFormat f, int status)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int rc = monitoring_ingest(fx->store, auth, NULL, body, strlen(body), f, &out, &err);
    assert_null(out);
    assert_err(rc, err, status);
}

static int answer_int(json_t *a, const char *name)
{
    return (int)json_integer_value(json_object_get(a, name));
}

/* "action:level" of the answer's warnings, joined by spaces. */
static const char *changes(json_t *a)
{
    static char buf[1024];
    buf[0] = 0;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(a, "warnings"), i, w)
    {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%s:%s", n ? " " : "",
                 json_string_value(json_object_get(w, "action")),
                 json_string_value(json_object_get(w, "level")));
    }
    return buf;
}

/* ---- fixture ----------------------------------------------------------------------------- */

static void set_key(Fx *fx, json_int_t gw, const char *secret)
{
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    Tx tx;
    StoreConn *c = store_acquire(fx->store);
    char hash[65], key[24];
    mon_key_hash(secret, hash);
    snprintf(key, sizeof key, "%lld", (long long)gw);
    json_t *v = json_pack("{s:s}", "key_hash", hash);
    assert_ok(tx_begin(&tx, c, &actor_system, &arena, &err), err);
    assert_ok(entity_update_internal(&tx, &monitor_gateways_entity, key, v, &err), err);
    assert_ok(tx_commit(&tx, &err), err);
    json_decref(v);
    store_release(fx->store, c);
    arena_free(&arena);
}

static void populate(Fx *fx)
{
    static const char *const divs[] = {
        "{\"code\":\"62\",\"name\":\"甘肃省\"}",
        "{\"code\":\"6203\",\"name\":\"金昌市\"}",
        "{\"code\":\"620390\",\"name\":\"云岭县\"}",
        "{\"code\":\"620390100\",\"name\":\"青石镇\"}",
    };
    for (size_t i = 0; i < sizeof divs / sizeof divs[0]; i++)
        create(fx, &divisions_entity, divs[i]);
    create(fx, &users_entity,
           "{\"username\":\"duty\",\"display_name\":\"值班员\",\"role\":\"duty_officer\","
           "\"division_code\":\"620390\",\"phone\":\"13900000001\",\"active\":true}");
    json_int_t gw =
        create(fx, &monitor_gateways_entity,
               "{\"code\":\"GW-T\",\"name\":\"测试网关\",\"division_code\":\"620390\"}");
    json_int_t gw2 =
        create(fx, &monitor_gateways_entity,
               "{\"code\":\"GW-U\",\"name\":\"另一网关\",\"division_code\":\"620390\"}");
    set_key(fx, gw, "secret-t");
    set_key(fx, gw2, "secret-u");
    fx->point = create(fx, &monitor_points_entity,
                       "{\"code\":\"P1\",\"name\":\"青石镇山洪点\",\"kind\":\"flash_flood\","
                       "\"division_code\":\"620390100\",\"lon\":102.1,\"lat\":38.3}");
    fx->combo_point = create(fx, &monitor_points_entity,
                             "{\"code\":\"P2\",\"name\":\"滑坡点\",\"kind\":\"geohazard\","
                             "\"division_code\":\"620390100\",\"lon\":102.2,\"lat\":38.3}");
    const char *sensor = "{\"code\":\"%s\",\"point_id\":%lld,\"gateway_id\":%lld,\"type\":\"%s\","
                         "\"unit\":\"%s\",\"interval_seconds\":300}";
    create(fx, &monitor_sensors_entity,
           fmt(sensor, "WL", (long long)fx->point, (long long)gw, "water_level", "m"));
    create(fx, &monitor_sensors_entity,
           fmt(sensor, "RG", (long long)fx->point, (long long)gw, "rainfall", "mm"));
    create(fx, &monitor_sensors_entity,
           fmt(sensor, "RG2", (long long)fx->combo_point, (long long)gw, "rainfall", "mm"));
    create(
        fx, &monitor_sensors_entity,
        fmt(sensor, "GN2", (long long)fx->combo_point, (long long)gw, "gnss_displacement", "mm"));
    create(fx, &monitor_sensors_entity,
           fmt(sensor, "OTHER", (long long)fx->point, (long long)gw2, "temperature", "℃"));
    create(fx, &monitor_rules_entity,
           "{\"name\":\"水位\",\"kind\":\"threshold\",\"sensor_type\":\"water_level\","
           "\"division_code\":\"620390\",\"blue\":2.5,\"yellow\":3.0,\"orange\":3.5,\"red\":4.0,"
           "\"hysteresis\":0.1,\"hold_seconds\":600}");
    fx->rain_rule = create(fx, &monitor_rules_entity,
                           "{\"name\":\"1小时雨量\",\"kind\":\"sum\",\"sensor_type\":\"rainfall\","
                           "\"division_code\":\"620390\",\"window_seconds\":3600,\"blue\":30,"
                           "\"yellow\":50,\"orange\":70,\"red\":100,\"hysteresis\":5}");
    fx->gnss_rule = create(fx, &monitor_rules_entity,
                           "{\"name\":\"GNSS位移\",\"kind\":\"rate\",\"sensor_type\":"
                           "\"gnss_displacement\",\"division_code\":\"620390\",\"window_seconds\":"
                           "3600,\"blue\":5,\"yellow\":10,\"orange\":20,\"red\":40}");
    create(fx, &monitor_rules_entity,
           "{\"name\":\"掉线\",\"kind\":\"nodata\",\"sensor_type\":\"water_level\","
           "\"division_code\":\"620390\",\"blue\":1800}");
    create(
        fx, &monitor_rules_entity,
        fmt("{\"name\":\"雨量+位移\",\"kind\":\"combo\",\"point_id\":%lld,\"members\":[%lld,%lld],"
            "\"division_code\":\"620390\"}",
            (long long)fx->combo_point, (long long)fx->rain_rule, (long long)fx->gnss_rule));
    /* two hours ago, on a whole minute: inside the retention, never in the future */
    fx->t0 = (clock_real_now_ms() / 60000) * 60000 - 7200 * S;
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, 4);
    *state = fx;
    mon_engine_reset();
    populate(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, 4);
    *state = fx;
    if (!fx)
        return 0;
    mon_engine_reset();
    populate(fx);
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    mon_engine_reset();
    clock_set_offset(0);
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

#define AT(sec) ((long long)(fx->t0 + (sec)*S))

/* ---- tests ------------------------------------------------------------------------------- */

static void test_threshold_hysteresis_hold(void **state)
{
    Fx *fx = fixture(state);
    /* 2.49 < 2.5: nothing; 2.50 reaches blue (以上 includes the number); 3.10 >= 3.0: yellow at
     * once; 2.95 >= 3.0 - 0.1: still yellow (hysteresis); 2.85 < 2.9: blue wanted from 240 s;
     * at 600 s it has held 360 s < 600 s: still yellow; at 840 s 600 s have passed: blue. */
    json_t *a = send_lines(fx, GW_AUTH,
                           fmt("WL 2.49 %lld\nWL 2.50 %lld\nWL 3.10 %lld\nWL 2.95 %lld\n"
                               "WL 2.85 %lld\nWL 2.80 %lld\nWL 2.80 %lld\n",
                               AT(0), AT(60), AT(120), AT(180), AT(240), AT(600), AT(840)));
    assert_int_equal(answer_int(a, "accepted"), 7);
    assert_string_equal(changes(a), "raise:blue escalate:yellow deescalate:blue");
    json_decref(a);
    /* sent in reverse order: sorted, 1.0 < 2.5 - 0.1 from 900 s, held 600 s at 1500 s: close */
    a = send_lines(fx, GW_AUTH, fmt("WL 1.0 %lld\nWL 1.0 %lld\n", AT(1500), AT(900)));
    assert_string_equal(changes(a), "close:none");
    json_decref(a);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warnings"), 1);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warnings WHERE state = 'closed'"
                                   " AND max_level = 'yellow' AND level = 'blue'"),
                     1);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warning_events"), 4);
    /* the raise kept the readings that caused it */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warning_events WHERE action ="
                                   " 'raise' AND readings LIKE '%2.5%'"),
                     1);
    /* the duty officer of the county was notified of the raise and the escalation */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM outbox WHERE topic = 'monitoring.notify'"),
                     2);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_points WHERE status = 'normal'"),
                     2);
}

static void test_rain_window_late_duplicate(void **state)
{
    Fx *fx = fixture(state);
    /* 20 mm at t0, 20 mm at t0+3600: the window (t0, t0+3600] excludes the first: 20 mm */
    json_t *a = send_lines(fx, GW_AUTH, fmt("RG 20 %lld\nRG 20 %lld\n", AT(0), AT(3600)));
    assert_string_equal(changes(a), "");
    json_decref(a);
    /* a late 15 mm at t0+1800 is folded in, evaluated at t0+3600: 35 mm >= 30: blue (had the
     * edge been included it would be 55 mm, yellow) */
    a = send_lines(fx, GW_AUTH, fmt("RG 15 %lld\n", AT(1800)));
    assert_string_equal(changes(a), "raise:blue");
    json_decref(a);
    /* the same time again with another value: a duplicate, the first value kept */
    a = send_lines(fx, GW_AUTH, fmt("RG 99 %lld\n", AT(3600)));
    assert_int_equal(answer_int(a, "duplicates"), 1);
    assert_int_equal(answer_int(a, "accepted"), 0);
    assert_string_equal(changes(a), "");
    json_decref(a);
    Sample v[8];
    assert_int_equal(read_series(fx, "RG", 0, INT64_MAX, v, 8), 3);
    assert_true(v[0].value == 20 && v[1].value == 15 && v[2].value == 20);
    /* 1 ms later the reading at t0 is far outside; 35 mm stays blue */
    a = send_lines(fx, GW_AUTH, fmt("RG 0 %lld\n", AT(3600) + 1));
    assert_string_equal(changes(a), "");
    json_decref(a);
}

static void test_combination(void **state)
{
    Fx *fx = fixture(state);
    /* rainfall 35 mm in the hour: blue; GNSS moves 12 mm within the hour: yellow (>= 10);
     * the combination is the lower of the two: blue */
    json_t *a =
        send_lines(fx, GW_AUTH,
                   fmt("RG2 35 %lld\nGN2 100 %lld\nGN2 112 %lld\n", AT(3000), AT(3000), AT(3600)));
    const char *c = changes(a);
    assert_non_null(strstr(c, "raise:yellow"));
    assert_int_equal(query_int(fx, fmt("SELECT COUNT(*) FROM monitor_warnings WHERE subject ="
                                       " 'point:%lld' AND level = 'blue' AND state = 'active'",
                                       (long long)fx->combo_point)),
                     1);
    json_decref(a);
    assert_int_equal(query_int(fx, fmt("SELECT COUNT(*) FROM monitor_points WHERE id = %lld AND"
                                       " status = 'yellow'",
                                       (long long)fx->combo_point)),
                     1);
}

typedef struct ScanCtx {
    int64_t now_ms;
} ScanCtx;

static int scan_tx(Tx *tx, void *ctx, Error *err)
{
    ScanCtx *s = ctx;
    mon_engine_lock();
    int rc = mon_nodata_scan(tx, s->now_ms, err);
    mon_engine_unlock();
    return rc;
}

static void scan(Fx *fx, int64_t now_ms)
{
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    ScanCtx s = {now_ms};
    assert_ok(tx_run(fx->store, &actor_system, &arena, scan_tx, &s, &err), err);
    arena_free(&arena);
}

static void test_nodata(void **state)
{
    Fx *fx = fixture(state);
    int64_t now = clock_real_now_ms();
    json_decref(send_lines(fx, GW_AUTH, fmt("WL 1.0 %lld\n", (long long)now - 1000)));
    scan(fx, now + 1799 * S); /* silent 1 799 s < 1 800 s */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_sensors WHERE state = 'offline'"),
                     0);
    scan(fx, now + 1801 * S);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_sensors WHERE code = 'WL' AND"
                                   " state = 'offline'"),
                     1);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warnings WHERE rule_kind ="
                                   " 'nodata' AND state = 'active'"),
                     1);
    /* its advice is about the silence, not about the sensor type's values */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warnings WHERE rule_kind ="
                                   " 'nodata' AND advice LIKE '%恢复数据上报%'"),
                     1);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_points WHERE status = 'offline'"),
                     1);
    /* the last value was written to the registry row by the scan */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_sensors WHERE code = 'WL' AND"
                                   " last_value = 1.0"),
                     1);
    json_t *a = send_lines(fx, GW_AUTH, fmt("WL 1.1 %lld\n", (long long)now));
    assert_string_equal(changes(a), "close:none");
    json_decref(a);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_sensors WHERE state = 'offline'"),
                     0);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_points WHERE status = 'offline'"),
                     0);
}

static void test_gateways_and_bad_input(void **state)
{
    Fx *fx = fixture(state);
    const char *one = fmt("WL 1.0 %lld\n", AT(0));
    send_fails(fx, "GW-T:wrong", one, INGEST_LINES, 401);
    send_fails(fx, NULL, one, INGEST_LINES, 401);
    send_fails(fx, "GW-NONE:secret-t", one, INGEST_LINES, 401);
    /* a malformed line refuses the whole batch: nothing stored */
    send_fails(fx, GW_AUTH, fmt("WL 1.0 %lld\nWL abc %lld\n", AT(0), AT(60)), INGEST_LINES, 400);
    send_fails(fx, GW_AUTH, fmt("WL 1.0 %lld extra\n", AT(0)), INGEST_LINES, 400);
    send_fails(fx, GW_AUTH, "{\"readings\": [{\"sensor\": \"WL\", \"value\": \"1\"}]}", INGEST_JSON,
               400);
    send_fails(fx, GW_AUTH, "{\"readings\": ", INGEST_JSON, 400);
    assert_int_equal(stored_readings(fx), 0);
    /* another gateway's sensor, an unknown one and one from the future are rejected one by
     * one; the good reading is stored */
    json_t *a = send_lines(fx, GW_AUTH,
                           fmt("@batch B7\nOTHER 1 %lld\nNOPE 1 %lld\nWL 1 %lld\nWL 1 %lld\n",
                               AT(0), AT(0), (long long)clock_real_now_ms() + 600 * S, AT(0)));
    assert_string_equal(json_string_value(json_object_get(a, "batch")), "B7");
    assert_int_equal(answer_int(a, "accepted"), 1);
    json_t *rej = json_object_get(a, "rejected");
    assert_int_equal(json_array_size(rej), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rej, 0), "code")),
                        "wrong_gateway");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rej, 1), "code")),
                        "unknown_sensor");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rej, 2), "code")),
                        "future_reading");
    json_decref(a);
    /* the JSON format with the key in the body and ISO times */
    char iso[32];
    mon_format_ms(fx->t0 + 60 * S, iso, sizeof iso);
    const char *body = fmt("{\"auth\": \"%s\", \"batch\": \"J1\", \"readings\": [{\"sensor\": "
                           "\"WL\", \"ts\": \"%s\", \"value\": 3.2}]}",
                           GW_AUTH, iso);
    Error err = ERROR_INIT;
    a = NULL;
    assert_ok(monitoring_ingest(fx->store, NULL, NULL, body, strlen(body), INGEST_JSON, &a, &err),
              err);
    assert_string_equal(changes(a), "raise:yellow");
    json_decref(a);
    /* a gateway expected by the caller (the MQTT topic) must be the one authenticated */
    a = NULL;
    int rc =
        monitoring_ingest(fx->store, GW_AUTH, "GW-U", one, strlen(one), INGEST_LINES, &a, &err);
    assert_err(rc, err, 401);
}

static void test_restart_replay(void **state)
{
    Fx *fx = fixture(state);
    const char *batch = fmt("WL 3.2 %lld\nWL 3.3 %lld\n", AT(0), AT(60));
    json_t *a = send_lines(fx, GW_AUTH, batch);
    assert_string_equal(changes(a), "raise:yellow");
    json_decref(a);
    mon_engine_reset(); /* as after a crash: everything comes back from the store */
    a = send_lines(fx, GW_AUTH, batch);
    assert_int_equal(answer_int(a, "duplicates"), 2);
    assert_string_equal(changes(a), "");
    json_decref(a);
    /* the level survived the restart: a higher value escalates the same warning */
    a = send_lines(fx, GW_AUTH, fmt("WL 3.6 %lld\n", AT(120)));
    assert_string_equal(changes(a), "escalate:orange");
    json_decref(a);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_warnings"), 1);
    assert_int_equal(
        query_int(fx, "SELECT COUNT(*) FROM monitor_warning_events WHERE action = 'raise'"), 1);
}

typedef struct RollupCtx {
    int64_t now_ms;
} RollupCtx;

static int rollup_tx(Tx *tx, void *ctx, Error *err)
{
    return mon_rollup(tx, ((RollupCtx *)ctx)->now_ms, err);
}

static void test_rollup_retention(void **state)
{
    Fx *fx = fixture(state);
    /* three readings in one hour (1, 4, 7: n 3, sum 12, min 1, max 7), one in the next hour,
     * a late one five hours back, and one older than the 90-day retention, written straight
     * to the store */
    int64_t now = (clock_real_now_ms() / 3600000) * 3600000 + 1800 * S; /* half past */
    int64_t h = now - 1800 * S - 3600 * S;                              /* the hour before */
    json_decref(send_lines(fx, GW_AUTH,
                           fmt("WL 1 %lld\nWL 4 %lld\nWL 7 %lld\nWL 2 %lld\n", (long long)h,
                               (long long)(h + 60 * S), (long long)(h + 3599 * S),
                               (long long)(h + 3600 * S))));
    /* a late reading five hours back marks its hour for the roll-up */
    int64_t late = h - 4 * 3600 * S;
    json_decref(send_lines(fx, GW_AUTH, fmt("RG 5 %lld\n", (long long)late)));
    assert_int_equal(
        query_int(fx, fmt("SELECT COUNT(*) FROM monitor_rollup_dirty WHERE hour = %lld",
                          (long long)late)),
        1);
    StoreConn *c = store_acquire(fx->store);
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    SeriesReading old = {sensor_id(fx, "WL"), now - 91 * 86400 * S, 9};
    assert_ok(mon_series_write_blocks(c, &arena, &old, 1, &err), err);
    store_release(fx->store, c);
    RollupCtx r = {now};
    assert_ok(tx_run(fx->store, &actor_system, &arena, rollup_tx, &r, &err), err);
    /* run twice, the second time from the compacted blocks' aggregates instead of the
     * journal: recomputing the same hours gives the same rows */
    compact_all(fx);
    assert_ok(tx_run(fx->store, &actor_system, &arena, rollup_tx, &r, &err), err);
    arena_free(&arena);
    assert_int_equal(stored_readings(fx), 5);
    /* the expired reading's hour was never rolled up: it is kept (n 1, sum 9) before it goes */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_rollup"), 4);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_rollup WHERE n = 1 AND sum = 9"),
                     1);
    /* the pass is recorded: hours before the previous one are final */
    assert_int_equal(query_int(fx, fmt("SELECT COUNT(*) FROM monitor_rollup_state WHERE"
                                       " done_until = %lld",
                                       (long long)h)),
                     1);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_rollup_dirty"), 0);
    assert_int_equal(query_int(fx, fmt("SELECT COUNT(*) FROM monitor_rollup WHERE hour = %lld AND"
                                       " n = 1 AND sum = 5",
                                       (long long)late)),
                     1);
    assert_int_equal(query_int(fx, fmt("SELECT COUNT(*) FROM monitor_rollup WHERE hour = %lld AND"
                                       " n = 3 AND sum = 12 AND min = 1 AND max = 7",
                                       (long long)h)),
                     1);
    assert_int_equal(query_int(fx, fmt("SELECT COUNT(*) FROM monitor_rollup WHERE hour = %lld AND"
                                       " n = 1 AND sum = 2",
                                       (long long)(h + 3600 * S))),
                     1);
}

/* The journal and the blocks: compaction moves readings without changing what readers see;
 * blocks never span an hour; a reading older than the engine's window is found a duplicate
 * in the blocks and in the journal alike, also after a restart. */
static void test_series_journal_blocks(void **state)
{
    Fx *fx = fixture(state);
    int64_t h = (clock_real_now_ms() / 3600000 - 3) * 3600000; /* a whole hour, 3 hours ago */
    json_t *a = send_lines(fx, GW_AUTH,
                           fmt("WL 1.5 %lld\nWL 1.6 %lld\nWL 1.7 %lld\n", (long long)(h - 60 * S),
                               (long long)h, (long long)(h + 60 * S)));
    assert_int_equal(answer_int(a, "accepted"), 3);
    json_decref(a);
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_reading_journal"), 1);
    Sample before[4], after[4];
    assert_int_equal(read_series(fx, "WL", h - 60 * S, h + 60 * S, before, 4), 3);
    compact_all(fx);
    /* two blocks: the hour before h and the hour from h */
    assert_int_equal(query_int(fx, "SELECT COUNT(*) FROM monitor_reading_blocks"), 2);
    assert_int_equal(stored_readings(fx), 3);
    assert_int_equal(read_series(fx, "WL", h - 60 * S, h + 60 * S, after, 4), 3);
    for (int i = 0; i < 3; i++)
        assert_true(before[i].ts_ms == after[i].ts_ms && before[i].value == after[i].value);
    assert_int_equal(read_series(fx, "WL", h, h, after, 4), 1);
    assert_true(after[0].value == 1.6);
    /* older than the window (water level keeps only its newest): looked up in the blocks */
    a = send_lines(
        fx, GW_AUTH,
        fmt("WL 9.9 %lld\nWL 1.55 %lld\n", (long long)(h - 60 * S), (long long)(h - 30 * S)));
    assert_int_equal(answer_int(a, "duplicates"), 1);
    assert_int_equal(answer_int(a, "accepted"), 1);
    json_decref(a);
    /* the new late one sits in the journal: found there too, also after a restart */
    mon_engine_reset();
    a = send_lines(
        fx, GW_AUTH,
        fmt("WL 8.8 %lld\nWL 7.7 %lld\n", (long long)(h - 30 * S), (long long)(h + 60 * S)));
    assert_int_equal(answer_int(a, "duplicates"), 2);
    assert_int_equal(answer_int(a, "accepted"), 0);
    json_decref(a);
    assert_int_equal(stored_readings(fx), 4);
    compact_all(fx);
    assert_int_equal(read_series(fx, "WL", h - 3600 * S, h + 3600 * S, after, 4), 4);
    assert_true(after[0].value == 1.5 && after[1].value == 1.55 && after[3].value == 1.7);
}

/* A bulk batch (sorted by counting on the sensors' positions, tests/unit run it with 100
 * readings over a registry of a few sensors): two sensors interleaved, one in reverse time
 * order, a repeated reading inside the batch; what is stored is each sensor's series in time
 * order, once, the first value of the repeated one kept. */
static void test_bulk_batch_order(void **state)
{
    Fx *fx = fixture(state);
    char *body = calloc(1, 16384);
    size_t len = 0;
    for (int k = 0; k < 50; k++) {
        len += (size_t)snprintf(body + len, 16384 - len, "WL 1.%02d %lld\nRG 0.5 %lld\n", k,
                                AT(60 * k), AT(60 * (49 - k)));
    }
    len += (size_t)snprintf(body + len, 16384 - len, "WL 9.9 %lld\n", AT(60 * 7));
    json_t *a = send_lines(fx, GW_AUTH, body);
    free(body);
    assert_int_equal(answer_int(a, "accepted"), 100);
    assert_int_equal(answer_int(a, "duplicates"), 1);
    json_decref(a);
    Sample v[64];
    assert_int_equal(read_series(fx, "WL", 0, INT64_MAX, v, 64), 50);
    assert_int_equal(read_series(fx, "RG", 0, INT64_MAX, v, 64), 50);
    read_series(fx, "WL", 0, INT64_MAX, v, 64);
    for (int k = 0; k < 50; k++) {
        assert_true(v[k].ts_ms == fx->t0 + 60 * k * S);
        assert_true(fabs(v[k].value - (1.0 + k / 100.0)) < 1e-9); /* the 9.9 repeat lost */
    }
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        BOTH(test_threshold_hysteresis_hold),
        BOTH(test_rain_window_late_duplicate),
        BOTH(test_combination),
        BOTH(test_nodata),
        BOTH(test_gateways_and_bad_input),
        BOTH(test_restart_replay),
        BOTH(test_rollup_retention),
        BOTH(test_series_journal_blocks),
        BOTH(test_bulk_batch_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
