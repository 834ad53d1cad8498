/* tests/unit/test_flow — flow/: audit chain, outbox, scheduler, workflow engine.
 *
 * Every test runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG; each test
 * gets a fresh schema yj_flow_test through the URL's search_path, so other test binaries
 * sharing the database are not disturbed). Without YINGJI_TEST_PG the PostgreSQL variants
 * skip. */
#include "test_util.h"

#include "core/actor.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/audit.h"
#include "flow/events.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"
#include "flow/tx.h"
#include "flow/workflow.h"
#include "store/store.h"

#include <jansson.h>
#include <pthread.h>
#include <time.h>

#define PG_SCHEMA "yj_flow_test"

typedef struct Fx {
    Store *store;
    char url[TEST_URL_MAX + 64];
    int pg;
} Fx;

static const Actor officer = {11, "值班员甲", ROLE_DUTY_OFFICER, "6203", 0};
static const Actor commander = {12, "指挥长乙", ROLE_COMMANDER, "6203", 0};
static const Actor far_commander = {13, "外地指挥长", ROLE_COMMANDER, "6204", 0};
static const Actor admin = {1, "admin", ROLE_ADMIN, "", 0};

/* ---- fixture ---------------------------------------------------------------------------- */

static Store *open_store(const char *url, int pool)
{
    Error err = ERROR_INIT;
    Store *s = store_open(url, pool, &err);
    if (!s) {
        print_error("store_open %s: %s\n", url, err.message_en);
        error_clear(&err);
        fail();
    }
    return s;
}

static void migrate(Store *s)
{
    Error err = ERROR_INIT;
    assert_ok(flow_migrate(s, &err), err);
    assert_ok(flow_migrate(s, &err), err); /* idempotent */
}

static void exec_sql(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(s);
    int rc = store_exec_script(c, sql, &err);
    store_release(s, c);
    assert_ok(rc, err);
}

static int64_t query_int(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    int64_t v = -1;
    StoreConn *c = store_acquire(s);
    int rc = store_query_int(c, sql, NULL, 0, &v, &err);
    store_release(s, c);
    assert_true(rc >= 0);
    return rc == 1 ? -1 : v;
}

/* First cell of the first row as a malloc'ed string (NULL when none). */
static char *query_text(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    Arena a = ARENA_INIT;
    DbRows rows;
    StoreConn *c = store_acquire(s);
    int rc = store_query(c, &a, sql, NULL, 0, &rows, &err);
    store_release(s, c);
    assert_ok(rc, err);
    char *out = rows.nrows && db_cell(&rows, 0, 0) ? xstrdup(db_cell(&rows, 0, 0)) : NULL;
    arena_free(&a);
    return out;
}

static void reset_test_state(void);

static int setup_sqlite(void **state)
{
    Fx *fx = xcalloc(1, sizeof *fx);
    test_sqlite_url(fx->url);
    fx->store = open_store(fx->url, 4);
    migrate(fx->store);
    reset_test_state();
    *state = fx;
    return 0;
}

static int setup_pg(void **state)
{
    const char *base = test_pg_url();
    *state = NULL;
    if (!base)
        return 0;
    Fx *fx = xcalloc(1, sizeof *fx);
    fx->pg = 1;
    Store *admin_store = open_store(base, 1);
    exec_sql(admin_store, "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE; CREATE SCHEMA " PG_SCHEMA);
    store_close(admin_store);
    snprintf(fx->url, sizeof fx->url, "%s%soptions=-csearch_path%%3D" PG_SCHEMA, base,
             strchr(base, '?') ? "&" : "?");
    fx->store = open_store(fx->url, 4);
    migrate(fx->store);
    reset_test_state();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    clock_set_offset(0);
    if (!fx)
        return 0;
    store_close(fx->store);
    if (!fx->pg)
        test_sqlite_remove(fx->url);
    free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    Fx *fx = *state;
    if (!fx) {
        print_message("skipped: YINGJI_TEST_PG is not set (tests/unit/run.sh sets it)\n");
        skip();
    }
    return fx;
}

/* A transaction on its own connection and arena. */
typedef struct TTx {
    Store *s;
    StoreConn *c;
    Arena a;
    Tx tx;
} TTx;

static void ttx_begin(TTx *t, Store *s, const Actor *actor)
{
    Error err = ERROR_INIT;
    t->s = s;
    t->c = store_acquire(s);
    t->a = (Arena)ARENA_INIT;
    assert_ok(tx_begin(&t->tx, t->c, actor, &t->a, &err), err);
}

static void ttx_commit(TTx *t)
{
    Error err = ERROR_INIT;
    assert_ok(tx_commit(&t->tx, &err), err);
    arena_free(&t->a);
    store_release(t->s, t->c);
}

static void ttx_rollback(TTx *t)
{
    tx_rollback(&t->tx);
    arena_free(&t->a);
    store_release(t->s, t->c);
}

/* ---- audit ------------------------------------------------------------------------------ */

static void record_n(Store *s, const Actor *actor, int n, int per_tx)
{
    Error err = ERROR_INIT;
    for (int i = 0; i < n; i += per_tx) {
        TTx t;
        ttx_begin(&t, s, actor);
        for (int k = i; k < i + per_tx && k < n; k++) {
            char key[32];
            snprintf(key, sizeof key, "%d", k);
            json_t *before = k % 3 ? json_pack("{s:s, s:i}", "name", "危化品|仓库", "n", k) : NULL;
            json_t *after = json_pack("{s:s, s:i, s:[i,i]}", "name", "危化品 \"仓库\"", "n", k + 1,
                                      "xy", k, -k);
            assert_ok(audit_record(&t.tx, k % 2 ? "update" : "create", "hazards", key, "620321",
                                   before, after, &err),
                      err);
            json_decref(before);
            json_decref(after);
        }
        ttx_commit(&t);
    }
}

static void verify_ok(Store *s, int64_t want_checked)
{
    Error err = ERROR_INIT;
    AuditVerify v;
    StoreConn *c = store_acquire(s);
    int rc = audit_verify(c, &v, &err);
    store_release(s, c);
    assert_ok(rc, err);
    if (v.broken_id)
        print_error("broken at %lld: %s\n", (long long)v.broken_id, v.reason);
    assert_int_equal(v.broken_id, 0);
    assert_int_equal(v.checked, want_checked);
}

static void verify_broken(Store *s, int64_t want_id, const char *reason_part)
{
    Error err = ERROR_INIT;
    AuditVerify v;
    StoreConn *c = store_acquire(s);
    int rc = audit_verify(c, &v, &err);
    store_release(s, c);
    assert_ok(rc, err);
    if (v.broken_id != want_id || !strstr(v.reason, reason_part))
        print_error("want broken %lld (%s), got %lld: %s\n", (long long)want_id, reason_part,
                    (long long)v.broken_id, v.reason);
    assert_int_equal(v.broken_id, want_id);
    assert_non_null(strstr(v.reason, reason_part));
}

static void test_audit_chain(void **state)
{
    Fx *fx = fixture(state);
    verify_ok(fx->store, 0);                  /* empty chain */
    record_n(fx->store, &officer, 2500, 100); /* more than two verify pages */
    verify_ok(fx->store, 2500);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM audit_log"), 2500);
    assert_int_equal(query_int(fx->store, "SELECT max(id) FROM audit_log"), 2500);
    char *first = query_text(fx->store, "SELECT prev_hash FROM audit_log WHERE id = 1");
    assert_string_equal(first, "0000000000000000000000000000000000000000000000000000000000000000");
    free(first);
    char *linked = query_text(fx->store, "SELECT count(*) FROM audit_log a JOIN audit_log b"
                                         " ON b.id = a.id + 1 WHERE b.prev_hash = a.hash");
    assert_string_equal(linked, "2499");
    free(linked);
    char *name = query_text(fx->store, "SELECT actor_name FROM audit_log WHERE id = 2");
    assert_string_equal(name, "值班员甲");
    free(name);
    char *after = query_text(fx->store, "SELECT after_json FROM audit_log WHERE id = 1");
    assert_string_equal(after, "{\"n\":1,\"name\":\"危化品 \\\"仓库\\\"\",\"xy\":[0,0]}");
    free(after);
    char *before = query_text(fx->store, "SELECT before_json FROM audit_log WHERE id = 1");
    assert_null(before);
    free(before);
}

static void test_audit_rollback_leaves_chain_intact(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    record_n(fx->store, &officer, 3, 1);
    TTx t;
    ttx_begin(&t, fx->store, &officer);
    assert_ok(audit_record(&t.tx, "delete", "hazards", "1", NULL, NULL, NULL, &err), err);
    ttx_rollback(&t);
    record_n(fx->store, &admin, 2, 1);
    verify_ok(fx->store, 5);
}

static void expect_refused(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(s);
    int rc = store_exec(c, sql, NULL, 0, NULL, &err);
    store_release(s, c);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.message_en, "append-only"));
    error_clear(&err);
}

static void test_audit_append_only(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 5, 5);
    expect_refused(fx->store, "UPDATE audit_log SET action = 'x' WHERE id = 2");
    expect_refused(fx->store, "DELETE FROM audit_log WHERE id = 5");
    if (fx->pg)
        expect_refused(fx->store, "TRUNCATE audit_log");
    verify_ok(fx->store, 5);
}

static void disable_audit_triggers(Fx *fx)
{
    if (fx->pg)
        exec_sql(fx->store, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    else
        exec_sql(fx->store, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete");
}

static void test_audit_tamper_edit(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 30, 7);
    disable_audit_triggers(fx);
    exec_sql(fx->store, "UPDATE audit_log SET after_json = '{\"n\":0}' WHERE id = 17");
    verify_broken(fx->store, 17, "altered");
}

static void test_audit_tamper_actor(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 10, 10);
    disable_audit_triggers(fx);
    exec_sql(fx->store, "UPDATE audit_log SET actor_name = 'someone' WHERE id = 4");
    verify_broken(fx->store, 4, "altered");
}

static void test_audit_tamper_relink(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 10, 10);
    disable_audit_triggers(fx);
    /* Entry 8 no longer links to entry 7 (found before its own hash is checked). */
    exec_sql(fx->store, "UPDATE audit_log SET prev_hash = 'bad' WHERE id = 8");
    verify_broken(fx->store, 8, "does not link");
}

static void test_audit_tamper_delete(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 30, 30);
    disable_audit_triggers(fx);
    exec_sql(fx->store, "DELETE FROM audit_log WHERE id = 12");
    verify_broken(fx->store, 12, "missing");
}

static void test_audit_tamper_delete_tail(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 30, 30);
    disable_audit_triggers(fx);
    exec_sql(fx->store, "DELETE FROM audit_log WHERE id >= 29");
    verify_broken(fx->store, 29, "missing");
}

static void test_audit_tamper_append(void **state)
{
    Fx *fx = fixture(state);
    record_n(fx->store, &officer, 3, 3);
    exec_sql(fx->store, "INSERT INTO audit_log(id, at, actor_id, actor_name, action, entity,"
                        " record_key, prev_hash, hash) VALUES (4, '2020-01-01T00:00:00Z', 0,"
                        " 'x', 'create', 'hazards', '1', 'p', 'h')");
    verify_broken(fx->store, 4, "beyond the chain head");
}

typedef struct WriterArg {
    Store *store;
    int n;
    int failures;
} WriterArg;

static void *audit_writer(void *p)
{
    WriterArg *w = p;
    for (int i = 0; i < w->n; i++) {
        Error err = ERROR_INIT;
        Arena a = ARENA_INIT;
        Tx tx;
        StoreConn *c = store_acquire(w->store);
        json_t *after = json_pack("{s:i}", "i", i);
        if (tx_begin(&tx, c, &officer, &a, &err) < 0 ||
            audit_record(&tx, "update", "incidents", "42", NULL, NULL, after, &err) < 0 ||
            audit_record(&tx, "update", "incidents", "43", NULL, after, NULL, &err) < 0 ||
            tx_commit(&tx, &err) < 0) {
            tx_rollback(&tx);
            w->failures++;
            fprintf(stderr, "writer: %s\n", err.message_en);
        }
        json_decref(after);
        error_clear(&err);
        store_release(w->store, c);
        arena_free(&a);
    }
    return NULL;
}

static void test_audit_concurrent_writers(void **state)
{
    Fx *fx = fixture(state);
    enum { THREADS = 4, EACH = 40 };
    pthread_t th[THREADS];
    WriterArg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (WriterArg){fx->store, EACH, 0};
        assert_int_equal(pthread_create(&th[i], NULL, audit_writer, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    verify_ok(fx->store, THREADS * EACH * 2);
}

/* ---- outbox ----------------------------------------------------------------------------- */

static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static int ok_calls, flaky_calls, flaky_failures_left, job_calls, job_fail_left, expire_failures;
static char last_payload[256];
static json_t *delivered_ids; /* object id -> count */

static void reset_test_state(void)
{
    pthread_mutex_lock(&calls_lock);
    ok_calls = flaky_calls = flaky_failures_left = job_calls = job_fail_left = 0;
    expire_failures = 0;
    last_payload[0] = 0;
    json_decref(delivered_ids);
    delivered_ids = json_object();
    pthread_mutex_unlock(&calls_lock);
    clock_set_offset(0);
}

static void note_payload(json_t *payload)
{
    char *s = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    snprintf(last_payload, sizeof last_payload, "%s", s);
    free(s);
}

static int handler_ok(StoreConn *conn, const char *id, const char *topic, json_t *payload,
                      Error *err)
{
    pthread_mutex_lock(&calls_lock);
    ok_calls++;
    json_t *n = json_object_get(delivered_ids, id);
    json_object_set_new(delivered_ids, id, json_integer(n ? json_integer_value(n) + 1 : 1));
    note_payload(payload);
    pthread_mutex_unlock(&calls_lock);
    return 0;
}

static int handler_flaky(StoreConn *conn, const char *id, const char *topic, json_t *payload,
                         Error *err)
{
    pthread_mutex_lock(&calls_lock);
    flaky_calls++;
    int fail_now = flaky_failures_left > 0;
    if (fail_now)
        flaky_failures_left--;
    pthread_mutex_unlock(&calls_lock);
    if (fail_now)
        return error_set(err, 502, "upstream", "短信网关不可用", "SMS gateway unavailable");
    return 0;
}

static void put(Store *s, const char *id, const char *topic, int commit)
{
    Error err = ERROR_INIT;
    TTx t;
    ttx_begin(&t, s, &officer);
    json_t *payload = json_pack("{s:s, s:i}", "text", "暴雨红色预警", "n", 1);
    assert_ok(outbox_put(&t.tx, id, topic, payload, &err), err);
    json_decref(payload);
    if (commit)
        ttx_commit(&t);
    else
        ttx_rollback(&t);
}

static int dispatch(Store *s, int max)
{
    Error err = ERROR_INIT;
    int n = outbox_dispatch_once(s, max, &err);
    if (n < 0)
        print_error("dispatch: %s\n", err.message_en);
    assert_true(n >= 0);
    return n;
}

static void test_outbox_exists_iff_committed(void **state)
{
    Fx *fx = fixture(state);
    put(fx->store, "m:rolled-back", "test.ok", 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox"), 0);
    put(fx->store, "m:committed", "test.ok", 1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox"), 1);
    assert_int_equal(dispatch(fx->store, 10), 1);
    assert_int_equal(ok_calls, 1);
    assert_string_equal(last_payload, "{\"n\":1,\"text\":\"暴雨红色预警\"}");
}

static void test_outbox_duplicate_id(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    TTx t;
    ttx_begin(&t, fx->store, &officer);
    assert_ok(outbox_put(&t.tx, "notify:incident:42:user:7", "test.ok", NULL, &err), err);
    assert_ok(outbox_put(&t.tx, "notify:incident:42:user:7", "test.ok", NULL, &err), err);
    ttx_commit(&t);
    put(fx->store, "notify:incident:42:user:7", "test.ok", 1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox"), 1);
    assert_int_equal(dispatch(fx->store, 10), 1);
    put(fx->store, "notify:incident:42:user:7", "test.ok", 1); /* after delivery too */
    assert_int_equal(dispatch(fx->store, 10), 0);
    assert_int_equal(ok_calls, 1);
}

static void test_outbox_generated_ids(void **state)
{
    Fx *fx = fixture(state);
    put(fx->store, NULL, "test.ok", 1);
    put(fx->store, NULL, "test.ok", 1);
    assert_int_equal(query_int(fx->store, "SELECT count(DISTINCT id) FROM outbox"), 2);
    assert_int_equal(query_int(fx->store, "SELECT min(length(id)) FROM outbox"), 32);
    assert_int_equal(dispatch(fx->store, 10), 2);
}

static void test_outbox_retry_backoff(void **state)
{
    Fx *fx = fixture(state);
    flaky_failures_left = 2;
    put(fx->store, "sms:1", "test.flaky", 1);
    assert_int_equal(dispatch(fx->store, 10), 0); /* attempt 1 fails: retry in 10 s */
    assert_int_equal(flaky_calls, 1);
    assert_int_equal(query_int(fx->store, "SELECT attempts FROM outbox WHERE id = 'sms:1'"), 1);
    char *why = query_text(fx->store, "SELECT last_error FROM outbox WHERE id = 'sms:1'");
    assert_non_null(why);
    assert_non_null(strstr(why, "SMS gateway unavailable"));
    free(why);
    assert_int_equal(dispatch(fx->store, 10), 0); /* not due yet */
    assert_int_equal(flaky_calls, 1);
    clock_set_offset(9);
    assert_int_equal(dispatch(fx->store, 10), 0);
    assert_int_equal(flaky_calls, 1);
    clock_set_offset(11);
    assert_int_equal(dispatch(fx->store, 10), 0); /* attempt 2 fails: retry in 20 s */
    assert_int_equal(flaky_calls, 2);
    clock_set_offset(11 + 19);
    assert_int_equal(dispatch(fx->store, 10), 0);
    assert_int_equal(flaky_calls, 2);
    clock_set_offset(11 + 21);
    assert_int_equal(dispatch(fx->store, 10), 1); /* attempt 3 succeeds */
    assert_int_equal(flaky_calls, 3);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"),
                     0);
    char *cleared = query_text(fx->store, "SELECT last_error FROM outbox WHERE id = 'sms:1'");
    assert_null(cleared);
    clock_set_offset(100000);
    assert_int_equal(dispatch(fx->store, 10), 0);
    assert_int_equal(flaky_calls, 3);
}

static void test_outbox_backoff_cap(void **state)
{
    Fx *fx = fixture(state);
    flaky_failures_left = 1;
    put(fx->store, "sms:cap", "test.flaky", 1);
    exec_sql(fx->store, "UPDATE outbox SET attempts = 30");
    assert_int_equal(dispatch(fx->store, 10), 0);
    clock_set_offset(3599);
    assert_int_equal(dispatch(fx->store, 10), 0);
    clock_set_offset(3601);
    assert_int_equal(dispatch(fx->store, 10), 1);
}

static void test_outbox_delivered_once(void **state)
{
    Fx *fx = fixture(state);
    for (int i = 0; i < 7; i++) {
        char id[32];
        snprintf(id, sizeof id, "msg:%d", i);
        put(fx->store, id, "test.ok", 1);
    }
    assert_int_equal(dispatch(fx->store, 3), 3);
    assert_int_equal(dispatch(fx->store, 100), 4);
    assert_int_equal(dispatch(fx->store, 100), 0);
    assert_int_equal(ok_calls, 7);
    assert_int_equal(
        query_int(fx->store, "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL"), 7);
}

static void test_outbox_unhandled_topic_stays(void **state)
{
    Fx *fx = fixture(state);
    put(fx->store, "x:1", "test.nobody", 1);
    put(fx->store, "x:2", "test.ok", 1);
    assert_int_equal(dispatch(fx->store, 10), 1);
    assert_int_equal(dispatch(fx->store, 10), 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
                                          " AND id = 'x:1' AND attempts = 0"),
                     1);
}

typedef struct DispatchArg {
    Store *store;
    int delivered;
    int failed;
} DispatchArg;

static void *dispatcher(void *p)
{
    DispatchArg *d = p;
    for (;;) {
        Error err = ERROR_INIT;
        int n = outbox_dispatch_once(d->store, 7, &err);
        if (n < 0) {
            d->failed++;
            fprintf(stderr, "dispatcher: %s\n", err.message_en);
            error_clear(&err);
            break;
        }
        d->delivered += n;
        if (n == 0)
            break;
    }
    return NULL;
}

static void test_outbox_concurrent_dispatchers(void **state)
{
    Fx *fx = fixture(state);
    enum { MSGS = 150, THREADS = 4 };
    Error err = ERROR_INIT;
    TTx t;
    ttx_begin(&t, fx->store, &officer);
    for (int i = 0; i < MSGS; i++) {
        char id[32];
        snprintf(id, sizeof id, "c:%d", i);
        assert_ok(outbox_put(&t.tx, id, "test.ok", NULL, &err), err);
    }
    ttx_commit(&t);
    pthread_t th[THREADS];
    DispatchArg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (DispatchArg){fx->store, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, dispatcher, &args[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failed, 0);
        total += args[i].delivered;
    }
    assert_int_equal(total, MSGS);
    assert_int_equal(ok_calls, MSGS);
    assert_int_equal(json_object_size(delivered_ids), MSGS);
    const char *id;
    json_t *count;
    json_object_foreach(delivered_ids, id, count) assert_int_equal(json_integer_value(count), 1);
}

static void test_outbox_seen(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(fx->store);
    assert_int_equal(outbox_seen(c, "sms", "m1", &err), 1);
    assert_int_equal(outbox_seen(c, "sms", "m1", &err), 0);
    assert_int_equal(outbox_seen(c, "sms", "m2", &err), 1);
    assert_int_equal(outbox_seen(c, "sync", "m1", &err), 1);
    /* Inside a rolled-back transaction the mark vanishes with the consumer's work. */
    assert_ok(store_begin(c, &err), err);
    assert_int_equal(outbox_seen(c, "mail", "m9", &err), 1);
    store_rollback(c);
    assert_int_equal(outbox_seen(c, "mail", "m9", &err), 1);
    store_release(fx->store, c);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox_seen"), 4);
}

static void test_outbox_thread(void **state)
{
    Fx *fx = fixture(state);
    assert_int_equal(outbox_thread_start(fx->store, 20), 0);
    assert_int_equal(outbox_thread_start(fx->store, 20), -1); /* already running */
    put(fx->store, "t:1", "test.ok", 1);
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&calls_lock);
        int done = ok_calls;
        pthread_mutex_unlock(&calls_lock);
        if (done)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    outbox_thread_stop();
    outbox_thread_stop(); /* no-op */
    assert_int_equal(ok_calls, 1);
}

/* ---- scheduler -------------------------------------------------------------------------- */

static int64_t job_actor_id = -1;

static int job_ok(Tx *tx, const char *key, json_t *payload, Error *err)
{
    pthread_mutex_lock(&calls_lock);
    job_calls++;
    job_actor_id = tx->actor->user_id;
    note_payload(payload);
    pthread_mutex_unlock(&calls_lock);
    return 0;
}

/* Writes an outbox message and an event, then fails while job_fail_left > 0. */
static int job_flaky(Tx *tx, const char *key, json_t *payload, Error *err)
{
    pthread_mutex_lock(&calls_lock);
    job_calls++;
    int fail_now = job_fail_left > 0;
    if (fail_now)
        job_fail_left--;
    pthread_mutex_unlock(&calls_lock);
    if (outbox_put(tx, NULL, "test.nobody", payload, err) < 0)
        return -1;
    tx_event(tx, "jobs", key, "escalate", NULL);
    if (fail_now)
        return error_set(err, 500, "boom", "失败", "escalation target missing");
    return 0;
}

/* Re-schedules itself one hour later. */
static int job_repeat(Tx *tx, const char *key, json_t *payload, Error *err)
{
    pthread_mutex_lock(&calls_lock);
    job_calls++;
    pthread_mutex_unlock(&calls_lock);
    return scheduler_set(tx, "test.repeat", key, clock_now() + 3600, payload, err);
}

static void set_job(Store *s, const char *kind, const char *key, int64_t due, const char *note,
                    int commit)
{
    Error err = ERROR_INIT;
    TTx t;
    ttx_begin(&t, s, &officer);
    json_t *payload = json_pack("{s:s}", "note", note);
    assert_ok(scheduler_set(&t.tx, kind, key, due, payload, &err), err);
    json_decref(payload);
    if (commit)
        ttx_commit(&t);
    else
        ttx_rollback(&t);
}

static int run_due(Store *s)
{
    Error err = ERROR_INIT;
    int n = scheduler_run_due(s, 100, &err);
    if (n < 0)
        print_error("run_due: %s\n", err.message_en);
    assert_true(n >= 0);
    return n;
}

static void test_scheduler_rolled_back_set(void **state)
{
    Fx *fx = fixture(state);
    set_job(fx->store, "test.job", "j:1", clock_now() - 1, "x", 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 0);
    assert_int_equal(run_due(fx->store), 0);
    assert_int_equal(job_calls, 0);
}

static void test_scheduler_reset_moves(void **state)
{
    Fx *fx = fixture(state);
    int64_t now = clock_now();
    set_job(fx->store, "test.job", "j:1", now + 100, "first", 1);
    set_job(fx->store, "test.job", "j:1", now + 10, "second", 1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 1);
    char want[32];
    clock_format_iso(now + 10, want, sizeof want);
    char *due = query_text(fx->store, "SELECT due_at FROM scheduler_jobs");
    assert_string_equal(due, want);
    free(due);
    assert_int_equal(run_due(fx->store), 0);
    clock_set_offset(20);
    assert_int_equal(run_due(fx->store), 1);
    assert_int_equal(job_calls, 1);
    assert_int_equal(job_actor_id, 0); /* jobs run as the system actor */
    assert_string_equal(last_payload, "{\"note\":\"second\"}");
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 0);
    /* Moving it later: not due at the first time any more. */
    set_job(fx->store, "test.job", "j:2", clock_now() + 5, "a", 1);
    set_job(fx->store, "test.job", "j:2", clock_now() + 500, "b", 1);
    clock_set_offset(20 + 10);
    assert_int_equal(run_due(fx->store), 0);
}

static void test_scheduler_cancel(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    set_job(fx->store, "test.job", "j:1", clock_now() - 5, "x", 1);
    TTx t;
    ttx_begin(&t, fx->store, &officer);
    assert_ok(scheduler_cancel(&t.tx, "j:1", &err), err);
    assert_ok(scheduler_cancel(&t.tx, "j:absent", &err), err);
    ttx_commit(&t);
    assert_int_equal(run_due(fx->store), 0);
    assert_int_equal(job_calls, 0);
}

static void test_scheduler_due_run_once(void **state)
{
    Fx *fx = fixture(state);
    int64_t now = clock_now();
    set_job(fx->store, "test.job", "j:1", now - 10, "a", 1);
    set_job(fx->store, "test.job", "j:2", now, "b", 1);
    set_job(fx->store, "test.job", "j:3", now + 3600, "c", 1);
    set_job(fx->store, "test.unknown", "j:4", now - 10, "d", 1);
    assert_int_equal(run_due(fx->store), 2);
    assert_int_equal(run_due(fx->store), 0);
    assert_int_equal(job_calls, 2);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 2);
    clock_set_offset(3600);
    assert_int_equal(run_due(fx->store), 1);
    assert_int_equal(job_calls, 3);
}

static void test_scheduler_survives_restart(void **state)
{
    Fx *fx = fixture(state);
    set_job(fx->store, "test.job", "j:restart", clock_now() + 60, "persisted", 1);
    store_close(fx->store);
    fx->store = open_store(fx->url, 2);
    migrate(fx->store);
    assert_int_equal(run_due(fx->store), 0);
    clock_set_offset(61);
    assert_int_equal(run_due(fx->store), 1);
    assert_string_equal(last_payload, "{\"note\":\"persisted\"}");
}

static void test_scheduler_failing_retried(void **state)
{
    Fx *fx = fixture(state);
    job_fail_left = 1;
    EventSub *sub = events_subscribe();
    set_job(fx->store, "test.flaky", "j:f", clock_now() - 1, "x", 1);
    assert_int_equal(run_due(fx->store), 0);
    assert_int_equal(job_calls, 1);
    /* The failed attempt's writes and events are gone; the job records the failure. */
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox"), 0);
    ChangeEvent ev[4];
    int resync = 0;
    assert_int_equal(events_poll(sub, ev, 4, &resync), 0);
    assert_int_equal(query_int(fx->store, "SELECT attempts FROM scheduler_jobs"), 1);
    char *why = query_text(fx->store, "SELECT last_error FROM scheduler_jobs");
    assert_non_null(strstr(why, "escalation target missing"));
    free(why);
    assert_int_equal(run_due(fx->store), 0);
    assert_int_equal(job_calls, 1);
    clock_set_offset(11);
    assert_int_equal(run_due(fx->store), 1);
    assert_int_equal(job_calls, 2);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM outbox"), 1);
    assert_int_equal(events_poll(sub, ev, 4, &resync), 1);
    assert_string_equal(ev[0].action, "escalate");
    events_unsubscribe(sub);
}

static void test_scheduler_handler_reschedules(void **state)
{
    Fx *fx = fixture(state);
    set_job(fx->store, "test.repeat", "j:r", clock_now() - 1, "x", 1);
    assert_int_equal(run_due(fx->store), 1);
    assert_int_equal(run_due(fx->store), 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 1);
    clock_set_offset(3601);
    assert_int_equal(run_due(fx->store), 1);
    assert_int_equal(job_calls, 2);
}

static void test_scheduler_thread(void **state)
{
    Fx *fx = fixture(state);
    assert_int_equal(scheduler_thread_start(fx->store, 20), 0);
    assert_int_equal(scheduler_thread_start(fx->store, 20), -1);
    set_job(fx->store, "test.job", "j:t", clock_now() - 1, "x", 1);
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&calls_lock);
        int done = job_calls;
        pthread_mutex_unlock(&calls_lock);
        if (done)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    scheduler_thread_stop();
    scheduler_thread_stop();
    assert_int_equal(job_calls, 1);
}

/* ---- workflow --------------------------------------------------------------------------- */

static const char *const need_summary[] = {"summary", NULL};
static const char *const need_reason[] = {"reason", NULL};

static const Transition doc_transitions[] = {
    {"draft", "submit", "submitted", ROLE_DUTY_OFFICER | ROLE_INFO_OFFICER, need_summary, "提交",
     3600},
    {"submitted", "approve", "approved", ROLE_COMMANDER, NULL, "批准", 0},
    {"submitted", "reject", "rejected", ROLE_COMMANDER, need_reason, "退回", 0},
    {"rejected", "revise", "draft", ROLE_DUTY_OFFICER | ROLE_INFO_OFFICER, NULL, "修改", 0},
    {"submitted", "expire", "expired", ROLE_ADMIN, NULL, "超时", 0},
    {"*", "archive", "archived", ROLE_ADMIN, NULL, "归档", 0},
    {NULL},
};

static const Workflow doc_flow = {"wf_docs", "id", "state", "division", doc_transitions};

/* Deadline of a submitted document: expire it unless it moved on meanwhile. */
static int job_expire(Tx *tx, const char *key, json_t *payload, Error *err)
{
    pthread_mutex_lock(&calls_lock);
    job_calls++;
    job_actor_id = tx->actor->user_id;
    note_payload(payload);
    pthread_mutex_unlock(&calls_lock);
    const char *doc = json_string_value(json_object_get(payload, "key"));
    if (workflow_apply(tx, &doc_flow, doc, "expire", NULL, NULL, err) == 0)
        return 0;
    if (err->status == 409) { /* approved or rejected in time */
        error_clear(err);
        return 0;
    }
    fprintf(stderr, "expire %s: [%d] %s\n", key, err->status, err->message_en);
    pthread_mutex_lock(&calls_lock);
    expire_failures++;
    pthread_mutex_unlock(&calls_lock);
    return -1;
}

static const Transition note_transitions[] = {
    {"open", "close", "closed", ROLE_ANY, NULL, NULL, 0},
    {NULL},
};

static const Workflow note_flow = {"wf_notes", "code", "status", NULL, note_transitions};

static void create_wf_tables(Fx *fx)
{
    exec_sql(fx->store,
             fx->pg ? "CREATE TABLE wf_docs (id BIGINT PRIMARY KEY, title TEXT, state TEXT NOT"
                      " NULL, division TEXT, updated_at TEXT);"
                      "CREATE TABLE wf_notes (code TEXT PRIMARY KEY, status TEXT NOT NULL,"
                      " updated_at TEXT)"
                    : "CREATE TABLE wf_docs (id INTEGER PRIMARY KEY, title TEXT, state TEXT NOT"
                      " NULL, division TEXT, updated_at TEXT);"
                      "CREATE TABLE wf_notes (code TEXT PRIMARY KEY, status TEXT NOT NULL,"
                      " updated_at TEXT)");
    exec_sql(fx->store, "INSERT INTO wf_docs(id, title, state, division) VALUES"
                        " (1, '值班报告', 'draft', '620321'),"
                        " (2, '外地报告', 'draft', '620402');"
                        "INSERT INTO wf_notes(code, status) VALUES ('N-7', 'open'), ('8', 'open')");
}

/* Counts of everything a step writes, to check a refusal changed nothing. */
typedef struct Footprint {
    int64_t history, audit, jobs, outbox;
    char *state;
} Footprint;

static Footprint footprint(Store *s, int id)
{
    Footprint f;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT state FROM wf_docs WHERE id = %d", id);
    f.history = query_int(s, "SELECT count(*) FROM workflow_history");
    f.audit = query_int(s, "SELECT count(*) FROM audit_log");
    f.jobs = query_int(s, "SELECT count(*) FROM scheduler_jobs");
    f.outbox = query_int(s, "SELECT count(*) FROM outbox");
    f.state = query_text(s, sql);
    return f;
}

static void assert_same(Footprint a, Footprint b)
{
    assert_int_equal(a.history, b.history);
    assert_int_equal(a.audit, b.audit);
    assert_int_equal(a.jobs, b.jobs);
    assert_int_equal(a.outbox, b.outbox);
    assert_string_equal(a.state, b.state);
    free(a.state);
    free(b.state);
}

/* Applies one step in its own transaction; commits on success. Returns the status (0 ok). */
static int step(Store *s, const Workflow *wf, const Actor *actor, const char *key,
                const char *action, const char *input_json, const char **fields_missing)
{
    Error err = ERROR_INIT;
    json_t *input = input_json ? json_loads(input_json, 0, NULL) : NULL;
    const char *to = NULL;
    TTx t;
    ttx_begin(&t, s, actor);
    int rc = workflow_apply(&t.tx, wf, key, action, input, &to, &err);
    json_decref(input);
    if (rc == 0) {
        assert_non_null(to);
        ttx_commit(&t);
        return 0;
    }
    ttx_rollback(&t);
    int status = err.status;
    if (fields_missing)
        for (const char **f = fields_missing; *f; f++)
            assert_non_null(err.fields ? json_object_get(err.fields, *f) : NULL);
    error_clear(&err);
    return status;
}

static void refused(Store *s, const Actor *actor, const char *key, const char *action,
                    const char *input, int want)
{
    Footprint before = footprint(s, 1);
    assert_int_equal(step(s, &doc_flow, actor, key, action, input, NULL), want);
    assert_same(before, footprint(s, 1));
}

static void test_workflow_refusals(void **state)
{
    Fx *fx = fixture(state);
    create_wf_tables(fx);
    const char *missing[] = {"summary", NULL};
    assert_int_equal(step(fx->store, &doc_flow, &officer, "1", "submit", NULL, missing), 422);
    refused(fx->store, &officer, "1", "submit", NULL, 422);
    refused(fx->store, &officer, "1", "submit", "{\"summary\": \"  \"}", 422);
    refused(fx->store, &officer, "1", "submit", "{\"summary\": null}", 422);
    refused(fx->store, &officer, "1", "submit", "{\"other\": \"x\"}", 422);
    refused(fx->store, &commander, "1", "submit", "{\"summary\": \"ok\"}", 403); /* role */
    refused(fx->store, &officer, "1", "approve", NULL, 409);                     /* state */
    refused(fx->store, &officer, "1", "explode", NULL, 409);                     /* unknown */
    refused(fx->store, &officer, "2", "submit", "{\"summary\": \"ok\"}", 404);   /* outside */
    refused(fx->store, &far_commander, "1", "archive", NULL, 404);
    refused(fx->store, &officer, "99", "submit", "{\"summary\": \"ok\"}", 404);
    refused(fx->store, &officer, "abc", "submit", "{\"summary\": \"ok\"}", 404);
    refused(fx->store, &officer, "1 OR 1=1", "submit", "{\"summary\": \"ok\"}", 404);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM audit_log"), 0);
}

static int64_t job_count(Store *s)
{
    return query_int(s, "SELECT count(*) FROM scheduler_jobs WHERE key = 'wf_docs:1:deadline'"
                        " AND kind = 'wf_docs.deadline'");
}

static void test_workflow_transitions(void **state)
{
    Fx *fx = fixture(state);
    create_wf_tables(fx);
    EventSub *sub = events_subscribe();

    /* draft -submit-> submitted: history, audit, deadline job, event, updated_at */
    assert_int_equal(
        step(fx->store, &doc_flow, &officer, "1", "submit", "{\"summary\": \"暴雨值班\"}", NULL),
        0);
    char *st = query_text(fx->store, "SELECT state FROM wf_docs WHERE id = 1");
    assert_string_equal(st, "submitted");
    free(st);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM wf_docs WHERE id = 1 AND"
                                          " updated_at IS NOT NULL"),
                     1);
    assert_int_equal(query_int(fx->store,
                               "SELECT count(*) FROM workflow_history WHERE entity = 'wf_docs' AND"
                               " record_key = '1' AND from_state = 'draft' AND to_state ="
                               " 'submitted' AND action = 'submit' AND actor_id = 11 AND"
                               " actor_name = '值班员甲'"),
                     1);
    char *input = query_text(fx->store, "SELECT input_json FROM workflow_history");
    assert_string_equal(input, "{\"summary\":\"暴雨值班\"}");
    free(input);
    char *after = query_text(fx->store, "SELECT after_json FROM audit_log WHERE action = 'submit'"
                                        " AND entity = 'wf_docs' AND record_key = '1'");
    assert_string_equal(after, "{\"input\":{\"summary\":\"暴雨值班\"},\"state\":\"submitted\"}");
    free(after);
    char *before = query_text(fx->store, "SELECT before_json FROM audit_log WHERE id = 1");
    assert_string_equal(before, "{\"state\":\"draft\"}");
    free(before);
    assert_int_equal(job_count(fx->store), 1);
    char *payload = query_text(fx->store, "SELECT payload FROM scheduler_jobs");
    assert_string_equal(payload, "{\"key\":\"1\",\"state\":\"submitted\"}");
    free(payload);
    ChangeEvent ev[8];
    int resync = 0;
    assert_int_equal(events_poll(sub, ev, 8, &resync), 1);
    assert_string_equal(ev[0].entity, "wf_docs");
    assert_string_equal(ev[0].key, "1");
    assert_string_equal(ev[0].action, "submit");
    assert_string_equal(ev[0].division, "620321");

    /* submitted -reject-> rejected (needs a reason); the deadline job is cancelled */
    refused(fx->store, &commander, "1", "reject", "{}", 422);
    refused(fx->store, &officer, "1", "reject", "{\"reason\": \"x\"}", 403);
    assert_int_equal(
        step(fx->store, &doc_flow, &commander, "1", "reject", "{\"reason\": \"缺少数据\"}", NULL),
        0);
    assert_int_equal(job_count(fx->store), 0);

    /* rejected -revise-> draft -submit-> submitted -approve-> approved */
    refused(fx->store, &commander, "1", "revise", NULL, 403);
    assert_int_equal(step(fx->store, &doc_flow, &officer, "1", "revise", NULL, NULL), 0);
    assert_int_equal(job_count(fx->store), 0);
    assert_int_equal(
        step(fx->store, &doc_flow, &officer, "1", "submit", "{\"summary\": \"补充\"}", NULL), 0);
    assert_int_equal(job_count(fx->store), 1);
    assert_int_equal(step(fx->store, &doc_flow, &commander, "1", "approve", NULL, NULL), 0);
    assert_int_equal(job_count(fx->store), 0);
    refused(fx->store, &commander, "1", "approve", NULL, 409);
    refused(fx->store, &commander, "1", "reject", "{\"reason\": \"x\"}", 409);

    /* "*" -archive-> archived, admin only, from any state */
    refused(fx->store, &commander, "1", "archive", NULL, 403);
    assert_int_equal(step(fx->store, &doc_flow, &admin, "1", "archive", NULL, NULL), 0);
    assert_int_equal(step(fx->store, &doc_flow, &admin, "2", "archive", NULL, NULL), 0);

    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM workflow_history"), 7);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM audit_log"), 7);
    assert_int_equal(events_poll(sub, ev, 8, &resync), 6);
    assert_string_equal(ev[5].division, "620402");
    events_unsubscribe(sub);
    verify_ok(fx->store, 7);
}

static void test_workflow_text_keys(void **state)
{
    Fx *fx = fixture(state);
    create_wf_tables(fx);
    assert_int_equal(step(fx->store, &note_flow, &officer, "N-7", "close", NULL, NULL), 0);
    assert_int_equal(step(fx->store, &note_flow, &officer, "8", "close", NULL, NULL), 0);
    assert_int_equal(step(fx->store, &note_flow, &officer, "8", "close", NULL, NULL), 409);
    assert_int_equal(step(fx->store, &note_flow, &officer, "N-8", "close", NULL, NULL), 404);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM wf_notes WHERE status = 'closed'"),
                     2);
}

static void test_workflow_deadline_fires(void **state)
{
    Fx *fx = fixture(state);
    create_wf_tables(fx);
    assert_int_equal(
        step(fx->store, &doc_flow, &officer, "1", "submit", "{\"summary\": \"s\"}", NULL), 0);
    assert_int_equal(run_due(fx->store), 0);
    clock_set_offset(3601);
    assert_int_equal(run_due(fx->store), 1);
    assert_string_equal(last_payload, "{\"key\":\"1\",\"state\":\"submitted\"}");
    assert_int_equal(job_actor_id, 0);
    char *st = query_text(fx->store, "SELECT state FROM wf_docs WHERE id = 1");
    assert_string_equal(st, "expired");
    free(st);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM workflow_history WHERE"
                                          " action = 'expire' AND actor_name = 'system'"),
                     1);
}

typedef struct RunnerArg {
    Store *store;
    int failed;
} RunnerArg;

static void *deadline_runner(void *p)
{
    RunnerArg *r = p;
    for (int idle = 0; idle < 3;) {
        Error err = ERROR_INIT;
        int n = scheduler_run_due(r->store, 3, &err);
        if (n < 0) {
            r->failed++;
            fprintf(stderr, "runner: %s\n", err.message_en);
        }
        error_clear(&err);
        idle = n == 0 ? idle + 1 : 0;
    }
    return NULL;
}

/* Users approve documents while their deadlines fire: every document ends either approved
 * or expired, with no deadlock or other failure on either side. */
static void test_workflow_deadline_race(void **state)
{
    Fx *fx = fixture(state);
    enum { DOCS = 40 };
    create_wf_tables(fx);
    for (int i = 100; i < 100 + DOCS; i++) {
        char sql[160], key[16];
        snprintf(sql, sizeof sql,
                 "INSERT INTO wf_docs(id, title, state, division) VALUES (%d, 't', 'draft',"
                 " '620321')",
                 i);
        exec_sql(fx->store, sql);
        snprintf(key, sizeof key, "%d", i);
        assert_int_equal(
            step(fx->store, &doc_flow, &officer, key, "submit", "{\"summary\": \"s\"}", NULL), 0);
    }
    clock_set_offset(3601);
    RunnerArg r = {fx->store, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, deadline_runner, &r), 0);
    int status[DOCS], approved = 0;
    for (int i = 0; i < DOCS; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", 100 + i);
        status[i] = step(fx->store, &doc_flow, &commander, key, "approve", NULL, NULL);
    }
    pthread_join(th, NULL); /* before any assertion can leave the test */
    for (int i = 0; i < DOCS; i++) {
        if (status[i] != 0 && status[i] != 409)
            print_error("approve %d: status %d\n", 100 + i, status[i]);
        assert_true(status[i] == 0 || status[i] == 409);
        approved += status[i] == 0;
    }
    assert_int_equal(r.failed, 0);
    assert_int_equal(expire_failures, 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM wf_docs WHERE id >= 100 AND"
                                          " state = 'approved'"),
                     approved);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM wf_docs WHERE id >= 100 AND"
                                          " state = 'expired'"),
                     DOCS - approved);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 0);
    verify_ok(fx->store, DOCS * 2);
}

static void test_workflow_actions(void **state)
{
    (void)state;
    json_t *a = workflow_actions(&doc_flow, "submitted", &commander);
    char *s = json_dumps(a, JSON_COMPACT);
    assert_string_equal(s, "[{\"action\":\"approve\",\"label\":\"批准\",\"to\":\"approved\"},"
                           "{\"action\":\"reject\",\"label\":\"退回\",\"to\":\"rejected\"}]");
    free(s);
    json_decref(a);
    a = workflow_actions(&doc_flow, "submitted", &officer);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    a = workflow_actions(&doc_flow, "draft", &admin);
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "action")),
                        "archive");
    json_decref(a);
    a = workflow_actions(&note_flow, "open", &officer);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "label")), "close");
    json_decref(a);
}

/* ---- tx_run_system ---------------------------------------------------------------------- */

static int schedule_one(Tx *tx, void *ctx, Error *err)
{
    if (scheduler_set(tx, "test.job", "start-up", clock_now() + 60, NULL, err) < 0)
        return -1;
    return ctx ? error_set(err, 500, "test_failure", "测试失败", "test failure") : 0;
}

/* Start-up work: committed when it succeeds; rolled back, logged and -1 when it fails. */
static void test_tx_run_system(void **state)
{
    Fx *fx = fixture(state);
    int fail = 1;
    assert_int_equal(tx_run_system(fx->store, schedule_one, &fail, "test: failing start-up"), -1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 0);
    assert_int_equal(tx_run_system(fx->store, schedule_one, NULL, "test: start-up"), 0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM scheduler_jobs"), 1);
}

/* ---- main ------------------------------------------------------------------------------- */

#define BOTH(fn)                                                                                   \
    {"sqlite/" #fn, fn, setup_sqlite, teardown, NULL},                                             \
    {                                                                                              \
        "postgres/" #fn, fn, setup_pg, teardown, NULL                                              \
    }

int main(void)
{
    log_set_level(LOG_ERROR);
    outbox_register("test.ok", handler_ok);
    outbox_register("test.flaky", handler_flaky);
    scheduler_register("test.job", job_ok);
    scheduler_register("test.flaky", job_flaky);
    scheduler_register("test.repeat", job_repeat);
    scheduler_register("wf_docs.deadline", job_expire);
    const struct CMUnitTest tests[] = {
        BOTH(test_tx_run_system),
        BOTH(test_audit_chain),
        BOTH(test_audit_rollback_leaves_chain_intact),
        BOTH(test_audit_append_only),
        BOTH(test_audit_tamper_edit),
        BOTH(test_audit_tamper_actor),
        BOTH(test_audit_tamper_relink),
        BOTH(test_audit_tamper_delete),
        BOTH(test_audit_tamper_delete_tail),
        BOTH(test_audit_tamper_append),
        BOTH(test_audit_concurrent_writers),
        BOTH(test_outbox_exists_iff_committed),
        BOTH(test_outbox_duplicate_id),
        BOTH(test_outbox_generated_ids),
        BOTH(test_outbox_retry_backoff),
        BOTH(test_outbox_backoff_cap),
        BOTH(test_outbox_delivered_once),
        BOTH(test_outbox_unhandled_topic_stays),
        BOTH(test_outbox_concurrent_dispatchers),
        BOTH(test_outbox_seen),
        BOTH(test_outbox_thread),
        BOTH(test_scheduler_rolled_back_set),
        BOTH(test_scheduler_reset_moves),
        BOTH(test_scheduler_cancel),
        BOTH(test_scheduler_due_run_once),
        BOTH(test_scheduler_survives_restart),
        BOTH(test_scheduler_failing_retried),
        BOTH(test_scheduler_handler_reschedules),
        BOTH(test_scheduler_thread),
        BOTH(test_workflow_refusals),
        BOTH(test_workflow_transitions),
        BOTH(test_workflow_text_keys),
        BOTH(test_workflow_deadline_fires),
        BOTH(test_workflow_deadline_race),
        cmocka_unit_test(test_workflow_actions),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(delivered_ids);
    return rc;
}
