/* tests/unit/test_incidents — the incidents module below the HTTP layer: grading on both sides
 * of every threshold of 生产安全事故报告和调查处理条例; attachment type sniffing and the size
 * limit; intake (event type check, derived grade), the workflow's transitions and refusals;
 * the reporting clock with an injected clock (phone/written first reports of 重大, the 2-hour
 * first report of 一般, reports sent late); report numbers and freezing.
 *
 * The store tests run on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a
 * fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/scheduler.h"
#include "modules/divisions/divisions.h"
#include "modules/incidents/incidents.h"
#include "modules/incidents/incidents_internal.h"

#define PG_SCHEMA "yj_incidents_test"
#define POOL 2

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
} Fx;

static const Actor county_duty = {1, "duty", ROLE_DUTY_OFFICER, "620390", 0};
static const Actor commander = {2, "commander", ROLE_COMMANDER, "620390", 0};
static const Actor inspector = {3, "inspector", ROLE_INSPECTOR, "620390", 0};
static const Actor town2 = {4, "town2", ROLE_DUTY_OFFICER, "620390101", 0};

/* ---- pure functions ---------------------------------------------------------------------- */

static void test_grade_boundaries(void **state)
{
    (void)state;
    /* deaths: 30 / 10 / 3 are the lower bounds (以上包括本数) */
    assert_int_equal(incident_grade(30, 0, 0), INCIDENT_GRADE_EXTRAORDINARY);
    assert_int_equal(incident_grade(29, 0, 0), INCIDENT_GRADE_MAJOR);
    assert_int_equal(incident_grade(10, 0, 0), INCIDENT_GRADE_MAJOR);
    assert_int_equal(incident_grade(9, 0, 0), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade(3, 0, 0), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade(2, 0, 0), INCIDENT_GRADE_GENERAL);
    assert_int_equal(incident_grade(0, 0, 0), INCIDENT_GRADE_GENERAL);
    /* serious injuries: 100 / 50 / 10 */
    assert_int_equal(incident_grade(0, 100, 0), INCIDENT_GRADE_EXTRAORDINARY);
    assert_int_equal(incident_grade(0, 99, 0), INCIDENT_GRADE_MAJOR);
    assert_int_equal(incident_grade(0, 50, 0), INCIDENT_GRADE_MAJOR);
    assert_int_equal(incident_grade(0, 49, 0), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade(0, 10, 0), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade(0, 9, 0), INCIDENT_GRADE_GENERAL);
    /* direct loss in 万元: 1亿 / 5000万 / 1000万 */
    assert_int_equal(incident_grade(0, 0, 10000), INCIDENT_GRADE_EXTRAORDINARY);
    assert_int_equal(incident_grade(0, 0, 9999.99), INCIDENT_GRADE_MAJOR);
    assert_int_equal(incident_grade(0, 0, 5000), INCIDENT_GRADE_MAJOR);
    assert_int_equal(incident_grade(0, 0, 4999.99), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade(0, 0, 1000), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade(0, 0, 999.99), INCIDENT_GRADE_GENERAL);
    /* any one criterion decides: the most serious wins */
    assert_int_equal(incident_grade(2, 9, 10000), INCIDENT_GRADE_EXTRAORDINARY);
    assert_int_equal(incident_grade(3, 0, 999), INCIDENT_GRADE_LARGER);
    /* suggested levels and labels */
    assert_string_equal(incident_suggested_level(INCIDENT_GRADE_EXTRAORDINARY), "I");
    assert_string_equal(incident_suggested_level(INCIDENT_GRADE_MAJOR), "II");
    assert_string_equal(incident_suggested_level(INCIDENT_GRADE_LARGER), "III");
    assert_string_equal(incident_suggested_level(INCIDENT_GRADE_GENERAL), "IV");
    assert_string_equal(incident_grade_label(INCIDENT_GRADE_MAJOR), "重大");
    assert_int_equal(incident_grade_from_value("larger"), INCIDENT_GRADE_LARGER);
    assert_int_equal(incident_grade_from_value("nope"), 0);
    assert_true(event_type_is_production_safety("12D01"));
    assert_true(event_type_is_production_safety("12000"));
    assert_false(event_type_is_production_safety("11B03"));
    assert_false(event_type_is_production_safety("1200"));
}

static void expect_type(const void *bytes, size_t n, const char *name, const char *declared,
                        const char *want)
{
    Error err = ERROR_INIT;
    const char *t = incident_attachment_sniff(bytes, n, name, declared, &err);
    if (want) {
        if (!t)
            print_error("%s: %s\n", name, err.message_en);
        assert_non_null(t);
        assert_string_equal(t, want);
    } else {
        assert_null(t);
        assert_int_equal(err.status, 415);
        error_clear(&err);
    }
}

static void test_attachment_types(void **state)
{
    (void)state;
    static const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0};
    static const char pdf[] = "%PDF-1.7\n";
    static const char docx[] = "PK\x03\x04....[Content_Types].xml....word/document.xml";
    static const char xlsx[] = "PK\x03\x04....[Content_Types].xml....xl/workbook.xml";
    static const char zip[] = "PK\x03\x04....evil.sh";
    static const char wav[] = "RIFF\0\0\0\0WAVEfmt ";
    static const char mp3[] = "ID3\x03\0\0\0";
    static const char m4a[] = "\0\0\0\x20"
                              "ftypM4A \0\0\0\0";
    expect_type(jpg, sizeof jpg, "a.jpg", NULL, "image/jpeg");
    expect_type(jpg, sizeof jpg, "a.jpg", "image/jpg", "image/jpeg");
    expect_type(png, sizeof png, "a.png", "image/png", "image/png");
    expect_type(pdf, sizeof pdf - 1, "a.pdf", "application/pdf", "application/pdf");
    expect_type(docx, sizeof docx - 1, "a.docx", NULL,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect_type(xlsx, sizeof xlsx - 1, "a.XLSX", NULL,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect_type(wav, sizeof wav - 1, "r.wav", "audio/x-wav", "audio/wav");
    expect_type(mp3, sizeof mp3 - 1, "r.mp3", "audio/mpeg", "audio/mpeg");
    expect_type(m4a, sizeof m4a - 1, "r.m4a", NULL, "audio/mp4");
    /* refused: other kinds, a zip that is no office file, a docx named .xlsx, lies */
    expect_type("<html>", 6, "a.html", "text/html", NULL);
    expect_type("<svg onload=x>", 14, "a.jpg", "image/jpeg", NULL);
    expect_type(zip, sizeof zip - 1, "a.docx", NULL, NULL);
    expect_type(docx, sizeof docx - 1, "a.xlsx", NULL, NULL);
    expect_type(png, sizeof png, "a.pdf", "application/pdf", NULL);
    expect_type(pdf, sizeof pdf - 1, "a.pdf", "audio/mpeg", NULL);
    expect_type(png, 3, "a.png", NULL, NULL); /* truncated magic */
    expect_type(NULL, 0, "a.png", NULL, NULL);
    assert_int_equal(INCIDENT_ATTACHMENT_MAX, 20 * 1024 * 1024);
}

/* ---- fixture ----------------------------------------------------------------------------- */

typedef int (*Fn)(Tx *tx, void *ctx, Error *err);

static int run(Fx *fx, const Actor *a, Fn fn, void *ctx, Error *err)
{
    Arena arena = ARENA_INIT;
    int rc = tx_run(fx->store, a, &arena, fn, ctx, err);
    arena_free(&arena);
    return rc;
}

typedef struct Call {
    const char *json;
    const char *key;
    const char *action;
    long long at;
    json_t *out;
} Call;

static json_t *parse(const char *s)
{
    json_error_t je;
    json_t *j = s ? json_loads(s, 0, &je) : NULL;
    if (s && !j) {
        print_error("bad test JSON %s: %s\n", s, je.text);
        fail();
    }
    return j;
}

static int div_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_t *in = parse(c->json);
    int rc = entity_create(tx, &divisions_entity, in, NULL, err);
    json_decref(in);
    return rc;
}

static int types_tx(Tx *tx, void *ctx, Error *err)
{
    (void)ctx;
    int n = 0;
    return incident_load_event_types(tx, INCIDENT_EVENT_TYPES_CSV, &n, err);
}

static void seed(Fx *fx)
{
    static const char *const rows[] = {
        "{\"code\":\"62\",\"name\":\"甘肃省\"}",
        "{\"code\":\"6203\",\"name\":\"金昌市\"}",
        "{\"code\":\"620390\",\"name\":\"云岭县\"}",
        "{\"code\":\"620390100\",\"name\":\"青石镇\"}",
        "{\"code\":\"620390101\",\"name\":\"河西镇\"}",
    };
    Error err = ERROR_INIT;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        Call c = {rows[i], NULL, NULL, 0, NULL};
        assert_ok(run(fx, &actor_system, div_tx, &c, &err), err);
    }
    assert_ok(run(fx, &actor_system, types_tx, NULL, &err), err);
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, POOL);
    *state = fx;
    seed(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, POOL);
    *state = fx;
    if (!fx)
        return 0;
    seed(fx);
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    clock_set_offset(0);
    if (!fx)
        return 0;
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

/* ---- operations -------------------------------------------------------------------------- */

static int record_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_t *in = parse(c->json);
    int rc = incident_record(tx, in, &c->out, err);
    json_decref(in);
    return rc;
}

static int update_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_t *in = parse(c->json);
    int rc = incident_update(tx, c->key, in, &c->out, err);
    json_decref(in);
    return rc;
}

static int action_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_t *in = parse(c->json);
    int rc = incident_action(tx, c->key, c->action, in, &c->out, err);
    json_decref(in);
    return rc;
}

static int report_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_t *in = parse(c->json);
    int rc = incident_report_create(tx, in, &c->out, err);
    json_decref(in);
    return rc;
}

static int send_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    return incident_report_send(tx, c->key, c->at, &c->out, err);
}

static int patch_report_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_t *in = parse(c->json);
    int rc = entity_update(tx, &incident_reports_entity, c->key, in, &c->out, err);
    json_decref(in);
    return rc;
}

/* Runs fn; on success returns c.out (caller frees), else NULL with err set. */
static json_t *call(Fx *fx, const Actor *a, Fn fn, const char *key, const char *action,
                    const char *json, Error *err, int *rc)
{
    Call c = {json, key, action, 0, NULL};
    *rc = run(fx, a, fn, &c, err);
    return c.out;
}

static json_t *ok_call(Fx *fx, const Actor *a, Fn fn, const char *key, const char *action,
                       const char *json)
{
    Error err = ERROR_INIT;
    int rc;
    json_t *out = call(fx, a, fn, key, action, json, &err, &rc);
    if (rc != 0 && err.fields) {
        char *f = json_dumps(err.fields, 0);
        print_error("fields %s\n", f);
        free(f);
    }
    assert_ok(rc, err);
    return out;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(null)";
}

static char *incident_json(char *buf, size_t n, int deaths, const char *type, long long ago)
{
    char occurred[32];
    clock_format_iso(clock_now() - ago, occurred, sizeof occurred);
    snprintf(buf, n,
             "{\"title\":\"测试事件\",\"source\":\"phone\",\"occurred_at\":\"%s\","
             "\"division_code\":\"620390100\",\"event_type\":\"%s\",\"deaths\":%d,"
             "\"lon\":102.3,\"lat\":38.4}",
             occurred, type, deaths);
    return buf;
}

static void key_of(json_t *o, char *key, size_t n)
{
    snprintf(key, n, "%lld", (long long)json_integer_value(json_object_get(o, "id")));
}

static int late_of(Fx *fx, const char *key, json_t **items)
{
    StoreConn *c = store_acquire(fx->store);
    json_t *o = NULL;
    Error err = ERROR_INIT;
    int rc = entity_get(c, &incidents_entity, &actor_system, key, &o, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    int late = json_is_true(json_object_get(o, "late"));
    if (items)
        *items = json_incref(json_object_get(o, "late_items"));
    json_decref(o);
    return late;
}

static void run_jobs(Fx *fx)
{
    Error err = ERROR_INIT;
    int n = scheduler_run_due(fx->store, 100, &err);
    if (n < 0)
        assert_ok(n, err);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_intake_and_workflow(void **state)
{
    Fx *fx = fixture(state);
    char buf[512], key[32];
    Error err = ERROR_INIT;
    int rc;

    /* unknown event type: 422 naming the field */
    json_t *bad = call(fx, &county_duty, record_tx, NULL, NULL,
                       incident_json(buf, sizeof buf, 0, "19Z99", 60), &err, &rc);
    assert_null(bad);
    assert_non_null(err.fields);
    assert_non_null(json_object_get(err.fields, "event_type"));
    assert_err(rc, err, 422);
    /* occurred after reported */
    call(fx, &county_duty, record_tx, NULL, NULL, incident_json(buf, sizeof buf, 0, "12D01", -7200),
         &err, &rc);
    assert_err(rc, err, 422);
    /* outside the town user's jurisdiction */
    call(fx, &town2, record_tx, NULL, NULL, incident_json(buf, sizeof buf, 0, "12D01", 60), &err,
         &rc);
    assert_int_equal(rc, -1);
    assert_true(err.status == 403 || err.status == 422);
    error_clear(&err);

    json_t *inc = ok_call(fx, &county_duty, record_tx, NULL, NULL,
                          incident_json(buf, sizeof buf, 3, "12D01", 60));
    assert_string_equal(str(inc, "grade"), "larger");
    assert_string_equal(str(inc, "suggested_response_level"), "III");
    assert_string_equal(str(inc, "status"), "reported");
    assert_true(json_is_true(json_object_get(inc, "production_safety")));
    key_of(inc, key, sizeof key);
    json_decref(inc);

    /* missing counts as dead (死亡（含失踪）): 3 + 7 = 10 → 重大 */
    inc = ok_call(fx, &county_duty, update_tx, key, NULL, "{\"missing\":7}");
    assert_string_equal(str(inc, "grade"), "major");
    assert_string_equal(str(inc, "suggested_response_level"), "II");
    json_decref(inc);
    call(fx, &county_duty, update_tx, key, NULL, "{\"grade\":\"general\"}", &err, &rc);
    assert_err(rc, err, 422);
    call(fx, &county_duty, update_tx, key, NULL, "{\"event_type\":\"ZZZZZ\"}", &err, &rc);
    assert_err(rc, err, 422);
    /* another town does not see it */
    call(fx, &town2, update_tx, key, NULL, "{\"injuries\":1}", &err, &rc);
    assert_err(rc, err, 404);

    /* workflow refusals: wrong state, wrong role, missing evaluation */
    call(fx, &commander, action_tx, key, "close", "{\"evaluation\":\"x\"}", &err, &rc);
    assert_err(rc, err, 409);
    call(fx, &inspector, action_tx, key, "verify", NULL, &err, &rc);
    assert_err(rc, err, 403);
    call(fx, &county_duty, action_tx, key, "verify", "{\"bogus\":1}", &err, &rc);
    assert_err(rc, err, 422);
    json_decref(ok_call(fx, &county_duty, action_tx, key, "verify", NULL));
    call(fx, &county_duty, action_tx, key, "verify", NULL, &err, &rc);
    assert_err(rc, err, 409);
    call(fx, &county_duty, action_tx, key, "respond", NULL, &err, &rc);
    assert_err(rc, err, 403);
    json_decref(ok_call(fx, &commander, action_tx, key, "respond", NULL));
    call(fx, &commander, action_tx, key, "close", "{}", &err, &rc);
    assert_err(rc, err, 422);
    call(fx, &commander, action_tx, key, "close", "{\"evaluation\":\"\"}", &err, &rc);
    assert_err(rc, err, 422);
    inc = ok_call(fx, &commander, action_tx, key, "close", "{\"evaluation\":\"处置得当\"}");
    assert_string_equal(str(inc, "status"), "closed");
    assert_string_equal(str(inc, "evaluation"), "处置得当");
    assert_true(json_is_string(json_object_get(inc, "closed_at")));
    json_decref(inc);
    call(fx, &county_duty, update_tx, key, NULL, "{\"injuries\":1}", &err, &rc);
    assert_err(rc, err, 409);

    /* the timeline has every step, in order */
    StoreConn *c = store_acquire(fx->store);
    Arena arena = ARENA_INIT;
    DbRows rows;
    DbValue p = db_int(atoll(key));
    rc = store_query(c, &arena,
                     "SELECT kind FROM incident_events WHERE incident_id = $1 ORDER BY id", &p, 1,
                     &rows, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    const char *want[] = {"reported", "updated", "graded", "verify", "respond", "close"};
    int w = 0;
    for (int i = 0; i < rows.nrows && w < 6; i++)
        if (strcmp(db_cell(&rows, i, 0), want[w]) == 0)
            w++;
    assert_int_equal(w, 6);
    arena_free(&arena);
}

static json_t *make_report(Fx *fx, const char *key, const char *kind, const char *channel)
{
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"incident_id\":%s,\"kind\":\"%s\",\"channel\":\"%s\",\"content\":\"报告\"}", key,
             kind, channel);
    return ok_call(fx, &county_duty, report_tx, NULL, NULL, buf);
}

static json_t *send_at(Fx *fx, json_t *rep, long long at)
{
    Call c = {NULL, NULL, NULL, at, NULL};
    char key[32];
    key_of(rep, key, sizeof key);
    c.key = key;
    Error err = ERROR_INIT;
    int rc = run(fx, &county_duty, send_tx, &c, &err);
    assert_ok(rc, err);
    return c.out;
}

static void test_deadlines(void **state)
{
    Fx *fx = fixture(state);
    char buf[512], major[32], general[32], ontime[32];
    clock_set_offset(0);

    /* 重大: phone within 30 min, written within 1 h */
    json_t *inc = ok_call(fx, &county_duty, record_tx, NULL, NULL,
                          incident_json(buf, sizeof buf, 12, "12A01", 60));
    key_of(inc, major, sizeof major);
    json_decref(inc);
    /* 一般: a first report within 2 h; one that is sent in time, one that is not */
    inc = ok_call(fx, &county_duty, record_tx, NULL, NULL,
                  incident_json(buf, sizeof buf, 0, "11B03", 60));
    key_of(inc, general, sizeof general);
    json_decref(inc);
    inc = ok_call(fx, &county_duty, record_tx, NULL, NULL,
                  incident_json(buf, sizeof buf, 1, "12H02", 60));
    key_of(inc, ontime, sizeof ontime);
    json_decref(inc);

    json_t *phone = make_report(fx, major, "first", "phone");
    json_decref(send_at(fx, phone, 0));
    json_decref(phone);
    json_t *w = make_report(fx, ontime, "first", "written");
    json_t *s = send_at(fx, w, clock_now() + 3600); /* within 2 h */
    assert_false(json_is_true(json_object_get(s, "late")));
    assert_string_equal(str(s, "rule"), "first");
    json_decref(s);
    json_decref(w);

    /* 29 minutes on: nothing is late yet */
    clock_set_offset(29 * 60);
    run_jobs(fx);
    assert_false(late_of(fx, major, NULL));
    /* 61 minutes: the written first report of the 重大 incident is late, the phone one not */
    clock_set_offset(61 * 60);
    run_jobs(fx);
    json_t *items = NULL;
    assert_true(late_of(fx, major, &items));
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(str(json_array_get(items, 0), "rule"), "written_first");
    json_decref(items);
    assert_false(late_of(fx, general, NULL));
    /* sent now, the written report is itself late */
    json_t *wr = make_report(fx, major, "first", "written");
    s = send_at(fx, wr, 0);
    assert_true(json_is_true(json_object_get(s, "late")));
    json_decref(s);
    json_decref(wr);
    /* 2 h + 1 s: the 一般 incident without a report is late, the other one is not */
    clock_set_offset(2 * 3600 + 1);
    run_jobs(fx);
    assert_true(late_of(fx, general, &items));
    assert_string_equal(str(json_array_get(items, 0), "rule"), "first");
    json_decref(items);
    assert_false(late_of(fx, ontime, NULL));
    /* the 续报 clock: 24 h after the last sent report */
    clock_set_offset(24 * 3600 + 3700);
    run_jobs(fx);
    assert_true(late_of(fx, ontime, &items));
    assert_string_equal(str(json_array_get(items, 0), "rule"), "followup");
    json_decref(items);

    /* statistics */
    json_t *st = NULL;
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = incident_stats(c, &arena, &county_duty, &st, &err);
    store_release(fx->store, c);
    arena_free(&arena);
    assert_ok(rc, err);
    assert_int_equal(json_integer_value(json_object_get(st, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(st, "late_incidents")), 3);
    assert_int_equal(json_integer_value(json_object_get(st, "late_reports")), 1);
    json_t *g0 = json_array_get(json_object_get(st, "by_grade"), 1);
    assert_string_equal(str(g0, "grade"), "major");
    assert_int_equal(json_integer_value(json_object_get(g0, "count")), 1);
    json_decref(st);
    clock_set_offset(0);
}

static void test_report_freeze(void **state)
{
    Fx *fx = fixture(state);
    char buf[512], key[32], rkey[32];
    Error err = ERROR_INIT;
    int rc;
    json_t *inc = ok_call(fx, &county_duty, record_tx, NULL, NULL,
                          incident_json(buf, sizeof buf, 0, "12D02", 60));
    key_of(inc, key, sizeof key);
    json_decref(inc);
    json_t *r1 = make_report(fx, key, "first", "written");
    json_t *r2 = make_report(fx, key, "followup", "written");
    assert_string_equal(str(r1, "status"), "draft");
    assert_string_equal(str(r1, "division_code"), "620390100");
    assert_non_null(strstr(str(r1, "number"), "云岭应急〔"));
    assert_non_null(strstr(str(r1, "number"), "〕1号"));
    assert_non_null(strstr(str(r2, "number"), "〕2号"));
    key_of(r1, rkey, sizeof rkey);
    json_decref(ok_call(fx, &county_duty, patch_report_tx, rkey, NULL, "{\"content\":\"改过\"}"));
    call(fx, &county_duty, patch_report_tx, rkey, NULL, "{\"number\":\"x\"}", &err, &rc);
    assert_err(rc, err, 422);
    json_decref(send_at(fx, r1, 0));
    call(fx, &county_duty, patch_report_tx, rkey, NULL, "{\"content\":\"再改\"}", &err, &rc);
    assert_err(rc, err, 409);
    Call c = {NULL, rkey, NULL, 0, NULL};
    rc = run(fx, &county_duty, send_tx, &c, &err);
    assert_err(rc, err, 409);
    /* another town neither reads nor sends it */
    c.out = NULL;
    rc = run(fx, &town2, send_tx, &c, &err);
    assert_err(rc, err, 404);
    /* a report of an incident outside the jurisdiction */
    snprintf(buf, sizeof buf,
             "{\"incident_id\":%s,\"kind\":\"first\",\"channel\":\"phone\",\"content\":\"x\"}",
             key);
    call(fx, &town2, report_tx, NULL, NULL, buf, &err, &rc);
    assert_err(rc, err, 422);
    json_decref(r1);
    json_decref(r2);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    scheduler_register("incidents.report_due", incidents_report_due_job);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grade_boundaries),
        cmocka_unit_test(test_attachment_types),
        BOTH(test_intake_and_workflow),
        BOTH(test_deadlines),
        BOTH(test_report_freeze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
