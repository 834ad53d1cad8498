/* tests/unit/test_publish — warning publication and 叫应 below HTTP (and through the router for
 * the public routes), on SQLite and PostgreSQL:
 *   workflow: every step by its role; wrong role 403, wrong state 409, missing reason 422;
 *   targeting: division prefix, a polygon with a hole (inside, in the hole, on the outer and
 *     the hole's boundary), a circle, a person outside the warning's own division;
 *   fan-out through a spool channel: every target once; a crash between send and record
 *     (records removed, send run again) writes nothing twice; a second run sends nothing;
 *   escalation with an injected clock: answered at once / backup then visit / backup answers
 *     (covered) / no backup → visit; special groups' visit for the carer at issue; visit done;
 *   answers: the link (GET page, POST records, forged token 404), SMS replies and receipts
 *     through the callback routes with good and bad secrets;
 *   the monitoring hand-off: one draft per message;
 *   CAP: export → import → export gives the same bytes; a bad document is refused with its
 *     problems located and nothing stored; the issued message validates. */
#include "test_app.h"

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"
#include "http/router.h"
#include "modules/publish/publish_internal.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/stat.h>

#define PG_SCHEMA "yj_publish_test"
#define SECRET "cb-secret-123"

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
    char spool[256];
} Fx;

static const Actor town_duty = {101, "town1", ROLE_DUTY_OFFICER, "620390100", 0};
static const Actor county_duty = {102, "duty", ROLE_DUTY_OFFICER, "620390", 0};
static const Actor commander = {103, "commander", ROLE_COMMANDER, "620390", 0};

/* ---- helpers ----------------------------------------------------------------------------- */

typedef struct CreateCtx {
    const Entity *e;
    json_t *in;
    int64_t id;
} CreateCtx;

static int create_tx(Tx *tx, void *ctx, Error *err)
{
    CreateCtx *c = ctx;
    json_t *out = NULL;
    int rc = entity_create(tx, c->e, c->in, &out, err);
    if (rc == 0)
        c->id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return rc;
}

static int64_t create_as(Fx *fx, const Actor *a, const Entity *e, json_t *in)
{
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    CreateCtx c = {e, in, 0};
    int rc = tx_run(fx->store, a, &arena, create_tx, &c, &err);
    json_decref(in);
    arena_free(&arena);
    assert_ok(rc, err);
    return c.id;
}

static int64_t person(Fx *fx, const char *name, const char *phone, const char *role,
                      const char *div, double lon, double lat, int64_t backup, int64_t grid)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f}", "name", name, "phone", phone, "role",
                           role, "division_code", div, "lon", lon, "lat", lat);
    if (backup)
        json_object_set_new(in, "backup_id", json_integer(backup));
    if (grid)
        json_object_set_new(in, "grid_member_id", json_integer(grid));
    return create_as(fx, &actor_system, &publish_people_entity, in);
}

static int64_t draft(Fx *fx, const Actor *a, const char *div, json_t *extra)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "level", "orange", "event", "暴雨",
                           "event_code", "11B03", "headline", "暴雨橙色预警", "description",
                           "预计6小时内降雨量将达50毫米以上。", "division_code", div);
    if (extra) {
        json_object_update(in, extra);
        json_decref(extra);
    }
    return create_as(fx, a, &publish_warnings_entity, in);
}

typedef struct StepCtx {
    const char *key, *action;
    json_t *input;
    int64_t targets;
} StepCtx;

static int step_tx(Tx *tx, void *ctx, Error *err)
{
    StepCtx *s = ctx;
    if (strcmp(s->action, "issue") == 0)
        return pub_issue(tx, s->key, s->input, &s->targets, err);
    if (strcmp(s->action, "cancel") == 0)
        return pub_cancel(tx, s->key, s->input, err);
    return workflow_apply(tx, &pub_flow, s->key, s->action, s->input, NULL, err);
}

static int step(Fx *fx, const Actor *a, int64_t id, const char *action, json_t *input,
                int64_t *targets, Error *err)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    Arena arena = ARENA_INIT;
    StepCtx s = {key, action, input, 0};
    int rc = tx_run(fx->store, a, &arena, step_tx, &s, err);
    arena_free(&arena);
    json_decref(input);
    if (targets)
        *targets = s.targets;
    return rc;
}

static void send_all(Fx *fx);

static int64_t issue(Fx *fx, int64_t id)
{
    Error err = ERROR_INIT;
    int64_t n = 0;
    assert_ok(step(fx, &county_duty, id, "submit", NULL, NULL, &err), err);
    assert_ok(step(fx, &commander, id, "approve", NULL, NULL, &err), err);
    assert_ok(step(fx, &commander, id, "issue", NULL, &n, &err), err);
    send_all(fx); /* the batches write their target rows and send */
    return n;
}

static int64_t q_int(Fx *fx, const char *sql, int64_t arg)
{
    StoreConn *c = store_acquire(fx->store);
    Error err = ERROR_INIT;
    int64_t v = -1;
    DbValue p[] = {db_int(arg)};
    int rc = store_query_int(c, sql, p, strstr(sql, "$1") ? 1 : 0, &v, &err);
    store_release(fx->store, c);
    assert_true(rc >= 0);
    return v;
}

static const char *q_text(Fx *fx, Arena *a, const char *sql, int64_t arg)
{
    StoreConn *c = store_acquire(fx->store);
    Error err = ERROR_INIT;
    DbRows rows;
    DbValue p[] = {db_int(arg)};
    int rc = store_query(c, a, sql, p, 1, &rows, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    return rows.nrows ? db_cell(&rows, 0, 0) : NULL;
}

static void exec_sql(Fx *fx, const char *sql)
{
    StoreConn *c = store_acquire(fx->store);
    Error err = ERROR_INIT;
    int rc = store_exec_script(c, sql, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
}

/* Is person pid a target of warning wid? */
static int targeted(Fx *fx, int64_t wid, int64_t pid)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM publish_targets WHERE warning_id = %lld AND person_id = $1",
             (long long)wid);
    return (int)q_int(fx, sql, pid);
}

static int64_t target_of(Fx *fx, int64_t wid, int64_t pid)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT id FROM publish_targets WHERE warning_id = %lld AND person_id = $1",
             (long long)wid);
    return q_int(fx, sql, pid);
}

static void send_all(Fx *fx)
{
    Error err = ERROR_INIT;
    int n;
    while ((n = outbox_dispatch_once(fx->store, 100, &err)) > 0)
        ;
    assert_ok(n, err);
}

static long spool_lines(Fx *fx, const char *key_part)
{
    char path[300];
    snprintf(path, sizeof path, "%s/file.jsonl", fx->spool);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[8192];
    long n = 0;
    while (fgets(line, sizeof line, f))
        if (!key_part || strstr(line, key_part))
            n++;
    fclose(f);
    return n;
}

static void use_channels(Fx *fx, const char *extra)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"channels\": [{\"name\": \"file\", \"kind\": \"spool\", \"dir\": \"%s\"}%s]}",
             fx->spool, extra ? extra : "");
    Error err = ERROR_INIT;
    ChannelSet *set = channels_load(cfg, &err);
    if (!set)
        print_error("channels: %s\n", err.message_en);
    assert_non_null(set);
    pub_set_channels(set);
}

/* A public request through the router. */
static int request(Fx *fx, const char *method, const char *path, const char *secret,
                   const char *body, json_t **json, char **text)
{
    Arena arena = ARENA_INIT;
    HttpIn in = {.method = method,
                 .path = path,
                 .channel_secret = secret,
                 .request_id = "t",
                 .client_ip = "127.0.0.1",
                 .body = body,
                 .body_len = body ? strlen(body) : 0};
    Resp resp = {.status = 200};
    router_handle(fx->store, &in, &arena, &resp);
    int status = resp.status;
    if (json)
        *json = resp.json ? json_incref(resp.json) : NULL;
    if (text)
        *text = resp.body ? strndup(resp.body, resp.body_len) : NULL;
    json_decref(resp.json);
    arena_free(&arena);
    return status;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void setup_common(Fx *fx)
{
    snprintf(fx->spool, sizeof fx->spool, "/tmp/yingji-publish-spool-XXXXXX");
    assert_non_null(mkdtemp(fx->spool));
    ServerConfig cfg = {0};
    app_register_routes(&cfg);
    clock_set_offset(0);
    setenv("YINGJI_PUBLIC_URL", "https://yj.example.gov.cn", 1);
    unsetenv("YINGJI_ACK_MINUTES");
    publish_module.start(fx->store);
    use_channels(fx, NULL);
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, 4);
    *state = fx;
    setup_common(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, 4);
    *state = fx;
    if (!fx)
        return 0;
    setup_common(fx);
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    pub_set_channels(NULL);
    pub_directory_reset();
    pub_rows_at_issue = PUB_ROWS_AT_ISSUE;
    clock_set_offset(0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->spool);
    assert_int_equal(system(cmd), 0);
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

/* ---- workflow ---------------------------------------------------------------------------- */

static void test_workflow(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    person(fx, "王村长", "13900000001", "village_leader", "620390100201", 103.5, 38.5, 0, 0);
    int64_t w =
        draft(fx, &town_duty, "620390100", json_pack("{s:[s]}", "target_divisions", "620390100"));
    /* a town duty officer cannot target another town */
    json_t *bad = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "level", "red", "event", "x",
                            "event_code", "11B03", "headline", "h", "description", "d",
                            "division_code", "620390100", "target_divisions", "620390101");
    Arena arena = ARENA_INIT;
    CreateCtx c = {&publish_warnings_entity, bad, 0};
    assert_err(tx_run(fx->store, &town_duty, &arena, create_tx, &c, &err), err, 422);
    json_decref(bad);
    /* wrong state, wrong role, missing input */
    assert_err(step(fx, &commander, w, "approve", NULL, NULL, &err), err, 409);
    assert_err(step(fx, &commander, w, "issue", NULL, NULL, &err), err, 409);
    assert_ok(step(fx, &town_duty, w, "submit", NULL, NULL, &err), err);
    assert_err(step(fx, &town_duty, w, "approve", NULL, NULL, &err), err, 403);
    assert_err(step(fx, &commander, w, "return", NULL, NULL, &err), err, 422);
    assert_ok(
        step(fx, &commander, w, "return", json_pack("{s:s}", "reason", "补充防御指南"), NULL, &err),
        err);
    assert_string_equal(q_text(fx, &arena, "SELECT state FROM publish_warnings WHERE id = $1", w),
                        "draft");
    assert_ok(step(fx, &town_duty, w, "submit", NULL, NULL, &err), err);
    assert_ok(step(fx, &commander, w, "approve", NULL, NULL, &err), err);
    assert_err(step(fx, &town_duty, w, "issue", NULL, NULL, &err), err, 403);
    int64_t n = 0;
    assert_ok(step(fx, &commander, w, "issue", NULL, &n, &err), err);
    assert_int_equal(n, 1);
    /* the issued message is a valid CAP document of the profile */
    const char *xml = q_text(fx, &arena, "SELECT cap_xml FROM publish_warnings WHERE id = $1", w);
    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_xml(xml, strlen(xml), CAP_CHECK_ALL, &r), 0);
    cap_report_clear(&r);
    assert_err(step(fx, &commander, w, "issue", NULL, NULL, &err), err, 409);
    assert_err(step(fx, &commander, w, "cancel", NULL, NULL, &err), err, 422);
    /* outside the jurisdiction: a town duty officer of another town sees nothing */
    const Actor other = {104, "town2", ROLE_COMMANDER, "620390101", 0};
    assert_err(step(fx, &other, w, "cancel", json_pack("{s:s}", "reason", "x"), NULL, &err), err,
               404);
    assert_ok(
        step(fx, &commander, w, "cancel", json_pack("{s:s}", "reason", "降雨减弱"), NULL, &err),
        err);
    assert_int_equal(q_int(fx,
                           "SELECT COUNT(*) FROM workflow_history WHERE entity = 'publish_warnings'"
                           " AND record_key = CAST($1 AS TEXT)",
                           w),
                     6);
    arena_free(&arena);
}

/* ---- targeting ----------------------------------------------------------------------------- */

static void test_targeting(void **state)
{
    Fx *fx = fixture(state);
    /* a square 103.0–103.1 × 38.0–38.1 with a hole 103.04–103.06 × 38.04–38.06 */
    int64_t inside =
        person(fx, "内部", "13900000011", "grid_member", "620390100201", 103.02, 38.02, 0, 0);
    int64_t in_hole =
        person(fx, "洞内", "13900000012", "grid_member", "620390100201", 103.05, 38.05, 0, 0);
    int64_t on_edge =
        person(fx, "外边界", "13900000013", "grid_member", "620390100202", 103.1, 38.05, 0, 0);
    int64_t on_hole =
        person(fx, "洞边界", "13900000014", "grid_member", "620390100202", 103.04, 38.05, 0, 0);
    int64_t outside =
        person(fx, "外部", "13900000015", "grid_member", "620390100203", 103.3, 38.3, 0, 0);
    int64_t near =
        person(fx, "圆内", "13900000016", "info_officer", "620390102201", 104.005, 38.0, 0, 0);
    int64_t far =
        person(fx, "圆外", "13900000017", "info_officer", "620390102201", 104.02, 38.0, 0, 0);
    int64_t by_code =
        person(fx, "按区划", "13900000018", "town_leader", "620390101", 105.0, 39.0, 0, 0);
    int64_t other_town =
        person(fx, "他镇", "13900000019", "town_leader", "620390103", 105.0, 39.0, 0, 0);
    int64_t other_county =
        person(fx, "他县", "13900000020", "town_leader", "620391100", 103.02, 38.03, 0, 0);
    json_t *extra = json_pack(
        "{s:[s], s:[{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]], [[f,f],[f,f],[f,f],[f,f],[f,f]]]}],"
        " s:[{s:f, s:f, s:f}]}",
        "target_divisions", "620390101", "polygons", "type", "Polygon", "coordinates", 103.0, 38.0,
        103.1, 38.0, 103.1, 38.1, 103.0, 38.1, 103.0, 38.0, 103.04, 38.04, 103.04, 38.06, 103.06,
        38.06, 103.06, 38.04, 103.04, 38.04, "circles", "lon", 104.0, "lat", 38.0, "radius_m",
        1000.0);
    int64_t w = draft(fx, &county_duty, "620390", extra);
    assert_int_equal(issue(fx, w), 5);
    assert_int_equal(targeted(fx, w, inside), 1);
    assert_int_equal(targeted(fx, w, in_hole), 0);
    assert_int_equal(targeted(fx, w, on_edge), 1);
    assert_int_equal(targeted(fx, w, on_hole), 1);
    assert_int_equal(targeted(fx, w, outside), 0);
    assert_int_equal(targeted(fx, w, near), 1);
    assert_int_equal(targeted(fx, w, far), 0);
    assert_int_equal(targeted(fx, w, by_code), 1);
    assert_int_equal(targeted(fx, w, other_town), 0);
    assert_int_equal(targeted(fx, w, other_county), 0);
    /* a directory change is seen by the next warning (the cache reloads) */
    int64_t later =
        person(fx, "新增", "13900000021", "grid_member", "620390101201", 110.0, 30.0, 0, 0);
    int64_t w2 =
        draft(fx, &county_duty, "620390", json_pack("{s:[s]}", "target_divisions", "620390101"));
    assert_int_equal(issue(fx, w2), 2);
    assert_int_equal(targeted(fx, w2, later), 1);
    /* a warning without any area is refused at issue */
    Error err = ERROR_INIT;
    int64_t w3 = draft(fx, &county_duty, "620390", NULL);
    assert_ok(step(fx, &county_duty, w3, "submit", NULL, NULL, &err), err);
    assert_ok(step(fx, &commander, w3, "approve", NULL, NULL, &err), err);
    assert_err(step(fx, &commander, w3, "issue", NULL, NULL, &err), err, 422);
    /* a self-intersecting polygon is refused on the draft */
    json_t *bow =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[[[f,f],[f,f],[f,f],[f,f],"
                  "[f,f]]]}]}",
                  "level", "red", "event", "x", "event_code", "11B03", "headline", "h",
                  "description", "d", "division_code", "620390", "polygons", "type", "Polygon",
                  "coordinates", 103.0, 38.0, 103.1, 38.1, 103.1, 38.0, 103.0, 38.1, 103.0, 38.0);
    Arena arena = ARENA_INIT;
    CreateCtx c = {&publish_warnings_entity, bow, 0};
    int rc = tx_run(fx->store, &county_duty, &arena, create_tx, &c, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_non_null(json_object_get(err.fields, "polygons"));
    error_clear(&err);
    json_decref(bow);
    arena_free(&arena);
}

/* ---- fan-out and the crash between send and record -------------------------------------- */

static void test_fanout_crash(void **state)
{
    Fx *fx = fixture(state);
    char phone[16];
    for (int i = 0; i < 120; i++) {
        snprintf(phone, sizeof phone, "139%08d", i);
        person(fx, "人员", phone, "grid_member", "620390100201", 103.0 + i * 0.001, 38.0, 0, 0);
    }
    int64_t w =
        draft(fx, &county_duty, "620390", json_pack("{s:[s]}", "target_divisions", "620390100"));
    Error err = ERROR_INIT;
    int64_t n = 0;
    pub_rows_at_issue = 0; /* the large-warning path: rows written by the batches */
    assert_ok(step(fx, &county_duty, w, "submit", NULL, NULL, &err), err);
    assert_ok(step(fx, &commander, w, "approve", NULL, NULL, &err), err);
    assert_ok(step(fx, &commander, w, "issue", NULL, &n, &err), err);
    assert_int_equal(n, 120);
    /* the issue queues one outbox message per 1 000 recipients; nothing is sent in it */
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM outbox WHERE topic = 'publish.send'", 0), 1);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets", 0), 0);
    assert_int_equal(spool_lines(fx, NULL), 0);
    /* the batch delivered twice (a crash after its rows were written): rows written once */
    Arena arena = ARENA_INIT;
    const char *payload = q_text(
        fx, &arena, "SELECT payload FROM outbox WHERE topic = 'publish.send' AND $1 = $1", 0);
    const char *msg_id =
        q_text(fx, &arena, "SELECT id FROM outbox WHERE topic = 'publish.send' AND $1 = $1", 0);
    json_t *pl = json_loads(payload, 0, NULL);
    assert_non_null(pl);
    assert_ok(pub_send_batch(fx->store, msg_id, pl, &err), err);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets", 0), 120);
    assert_int_equal(spool_lines(fx, NULL), 120);
    assert_ok(pub_send_batch(fx->store, msg_id, pl, &err), err);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets", 0), 120);
    json_decref(pl);
    arena_free(&arena);
    send_all(fx);
    assert_int_equal(spool_lines(fx, NULL), 120);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE state = 'sent'", 0),
                     120);
    assert_int_equal(q_int(fx, "SELECT COUNT(DISTINCT idem_key) FROM publish_deliveries", 0), 120);
    /* the answer link is in every message */
    assert_int_equal(spool_lines(fx, "https://yj.example.gov.cn/api/v1/publish/ack/"), 120);
    /* crash between send and record: the records are lost, the sends happened */
    exec_sql(fx, "DELETE FROM publish_deliveries; UPDATE publish_targets SET state = 'queued',"
                 " sent_at = NULL");
    int64_t lo = q_int(fx, "SELECT MIN(id) FROM publish_targets", 0);
    int64_t hi = q_int(fx, "SELECT MAX(id) FROM publish_targets", 0);
    assert_ok(pub_send_range(fx->store, w, lo, hi, &err), err);
    assert_int_equal(spool_lines(fx, NULL), 120); /* the same keys: nothing written twice */
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE state = 'sent'", 0),
                     120);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_deliveries", 0), 120);
    /* recorded targets are never sent again, even when asked (the spool file is removed and
     * its index forgotten, so any send would show) */
    char spool_file[300];
    snprintf(spool_file, sizeof spool_file, "%s/file.jsonl", fx->spool);
    assert_int_equal(unlink(spool_file), 0);
    use_channels(fx, NULL);
    exec_sql(fx, "UPDATE publish_targets SET state = 'queued'");
    assert_ok(pub_send_range(fx->store, w, lo, hi, &err), err);
    assert_int_equal(spool_lines(fx, NULL), 0);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_deliveries", 0), 120);
    /* a cancelled warning's queue is not sent */
    exec_sql(fx, "UPDATE publish_targets SET state = 'queued'; DELETE FROM publish_deliveries");
    assert_ok(step(fx, &commander, w, "cancel", json_pack("{s:s}", "reason", "解除"), NULL, &err),
              err);
    assert_ok(pub_send_range(fx->store, w, lo, hi, &err), err);
    assert_int_equal(spool_lines(fx, NULL), 0);
}

/* ---- escalation ---------------------------------------------------------------------------- */

static int64_t visits_for(Fx *fx, int64_t target, const char *reason)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM publish_visits WHERE target_id = $1 AND reason = '%s'", reason);
    return q_int(fx, sql, target);
}

static void run_jobs(Fx *fx, int64_t offset)
{
    clock_set_offset(offset);
    Error err = ERROR_INIT;
    int n = scheduler_run_due(fx->store, 100, &err);
    assert_true(n >= 0);
    send_all(fx);
}

static void test_escalation(void **state)
{
    Fx *fx = fixture(state);
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    /* backups live in another town, outside the warning's targets */
    int64_t grid = person(fx, "网格员甲", "13900000100", "grid_member", "620390101201", 0, 0, 0, 0);
    int64_t b2 = person(fx, "B2", "13900000102", "village_leader", "620390101201", 0, 0, 0, 0);
    int64_t b3 = person(fx, "B3", "139-0000-0103", "village_leader", "620390101201", 0, 0, 0, 0);
    int64_t p1 = person(fx, "P1", "13900000001", "village_leader", "620390100201", 0, 0, 0, grid);
    int64_t p2 = person(fx, "P2", "13900000002", "village_leader", "620390100201", 0, 0, b2, grid);
    int64_t p3 = person(fx, "P3", "13900000003", "village_leader", "620390100201", 0, 0, b3, grid);
    int64_t p4 = person(fx, "P4", "13900000004", "village_leader", "620390100201", 0, 0, 0, grid);
    int64_t s1 = create_as(fx, &actor_system, &publish_specials_entity,
                           json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", "李奶奶", "kind",
                                     "elderly", "division_code", "620390100201", "address",
                                     "青石村3组12号", "carer_id", (json_int_t)grid));
    int64_t w =
        draft(fx, &county_duty, "620390", json_pack("{s:[s]}", "target_divisions", "620390100"));
    assert_int_equal(issue(fx, w), 5); /* 4 people + 1 special-group member */
    /* the special-group member's carer has a visit task at once */
    assert_int_equal(q_int(fx,
                           "SELECT COUNT(*) FROM publish_visits v JOIN publish_targets t ON t.id ="
                           " v.target_id WHERE t.special_id = $1 AND v.reason = 'special'",
                           s1),
                     1);
    assert_int_equal(q_int(fx, "SELECT visitor_id FROM publish_visits WHERE reason = 'special'", 0),
                     grid);
    send_all(fx);
    /* P1 answers through the link at once */
    char token[PUB_TOKEN_LEN + 1], path[160];
    pub_token(target_of(fx, w, p1), token);
    snprintf(path, sizeof path, "/api/v1/publish/ack/%s", token);
    char *page = NULL;
    assert_int_equal(request(fx, "GET", path, NULL, NULL, NULL, &page), 200);
    assert_non_null(strstr(page, "确认收到"));
    free(page);
    assert_int_equal(
        q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE answered_at IS NOT NULL", 0),
        0); /* a GET (link preview) records nothing */
    assert_int_equal(request(fx, "POST", path, NULL, "answer=ack", NULL, &page), 200);
    assert_non_null(strstr(page, "已确认收到"));
    free(page);
    assert_int_equal(request(fx, "POST", path, NULL, "answer=ack", NULL, &page), 200);
    assert_non_null(strstr(page, "此前已确认"));
    free(page);
    token[strlen(token) - 1] = token[strlen(token) - 1] == '0' ? '1' : '0'; /* forged */
    snprintf(path, sizeof path, "/api/v1/publish/ack/%s", token);
    assert_int_equal(request(fx, "POST", path, NULL, "answer=ack", NULL, NULL), 404);
    assert_string_equal(
        q_text(fx, &arena, "SELECT answer_channel FROM publish_targets WHERE person_id = $1", p1),
        "link");
    /* nothing is due before the answer period (10 min) */
    run_jobs(fx, 9 * 60);
    assert_int_equal(
        q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE escalation <> 'none'", 0), 0);
    /* +10 min: P2, P3 go to their backups (targeted and sent), P4 (no backup) to a visit */
    run_jobs(fx, 10 * 60 + 31);
    assert_int_equal(targeted(fx, w, b2), 1);
    assert_int_equal(targeted(fx, w, b3), 1);
    int64_t t2 = target_of(fx, w, p2), t3 = target_of(fx, w, p3), t4 = target_of(fx, w, p4);
    assert_string_equal(
        q_text(fx, &arena, "SELECT escalation FROM publish_targets WHERE id = $1", t2), "backup");
    assert_string_equal(
        q_text(fx, &arena, "SELECT escalation FROM publish_targets WHERE id = $1", t4), "visit");
    assert_int_equal(visits_for(fx, t4, "no_answer"), 1);
    assert_string_equal(q_text(fx, &arena,
                               "SELECT state FROM publish_targets WHERE kind = 'backup' AND"
                               " person_id = $1",
                               b2),
                        "sent");
    assert_int_equal(spool_lines(fx, "13900000102"), 1);
    assert_int_equal(q_int(fx,
                           "SELECT COUNT(*) FROM publish_targets WHERE escalation = 'none' AND"
                           " person_id = $1",
                           p1),
                     1); /* the answered one never escalates */
    /* B3 answers by SMS reply through the gateway callback */
    use_channels(fx,
                 ",{\"name\": \"sms\", \"kind\": \"sms\", \"url\":"
                 " \"http://127.0.0.1:9/send\", \"enabled\": false, \"callback_secret\": \"" SECRET
                 "\"}");
    json_t *res = NULL;
    const char *reply = "{\"phone\": \"+86 139-0000-0103\", \"text\": \"收到！\"}";
    assert_int_equal(
        request(fx, "POST", "/api/v1/publish/callbacks/sms/replies", "wrong", reply, NULL, NULL),
        401);
    assert_int_equal(
        request(fx, "POST", "/api/v1/publish/callbacks/sms/replies", NULL, reply, NULL, NULL), 401);
    assert_int_equal(
        request(fx, "POST", "/api/v1/publish/callbacks/file/replies", SECRET, reply, NULL, NULL),
        401); /* the spool has no secret: no callbacks */
    assert_int_equal(
        q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE answered_at IS NOT NULL", 0), 1);
    assert_int_equal(
        request(fx, "POST", "/api/v1/publish/callbacks/sms/replies", SECRET, reply, &res, NULL),
        200);
    assert_int_equal(json_integer_value(json_object_get(res, "answered")), 1);
    json_decref(res);
    /* an unknown reply is kept for the duty officer, answers nothing */
    assert_int_equal(request(fx, "POST", "/api/v1/publish/callbacks/sms/replies", SECRET,
                             "{\"phone\": \"13900000102\", \"text\": \"什么事\"}", &res, NULL),
                     200);
    assert_int_equal(json_integer_value(json_object_get(res, "answered")), 0);
    assert_int_equal(json_array_size(json_object_get(res, "unknown")), 1);
    json_decref(res);
    /* +20 min: P2 (backup silent) → visit for the grid member; P3 covered by B3's answer */
    run_jobs(fx, 20 * 60 + 62);
    assert_string_equal(
        q_text(fx, &arena, "SELECT escalation FROM publish_targets WHERE id = $1", t2), "visit");
    assert_int_equal(visits_for(fx, t2, "no_answer"), 1);
    assert_int_equal(q_int(fx, "SELECT visitor_id FROM publish_visits WHERE target_id = $1", t2),
                     grid);
    assert_string_equal(
        q_text(fx, &arena, "SELECT escalation FROM publish_targets WHERE id = $1", t3), "covered");
    assert_int_equal(visits_for(fx, t3, "no_answer"), 0);
    /* a later sweep changes nothing more */
    int64_t visits = q_int(fx, "SELECT COUNT(*) FROM publish_visits", 0);
    run_jobs(fx, 40 * 60);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_visits", 0), visits);
    assert_int_equal(visits, 3);
    /* progress: 6 targets needing answers (4 + 2 backups), 2 answered, P2, P4, B2 pending */
    StoreConn *c = store_acquire(fx->store);
    json_t *p = NULL;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)w);
    int rc = pub_progress(c, &arena, &commander, key, &p, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    json_t *tot = json_object_get(p, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "targeted")), 7);
    assert_int_equal(json_integer_value(json_object_get(tot, "answered")), 2);
    assert_int_equal(json_integer_value(json_object_get(tot, "pending")), 3);
    assert_int_equal(json_integer_value(json_object_get(tot, "visits_open")), 3);
    assert_false(json_is_true(json_object_get(json_object_get(p, "timing"), "within_target")));
    assert_int_equal(json_array_size(json_object_get(p, "pending")), 3);
    json_decref(p);
    /* a town commander elsewhere does not see the county's warning */
    const Actor other = {104, "town2", ROLE_COMMANDER, "620390101", 0};
    c = store_acquire(fx->store);
    rc = pub_progress(c, &arena, &other, key, &p, &err);
    store_release(fx->store, c);
    assert_err(rc, err, 404);
    arena_free(&arena);
}

/* ---- receipts ------------------------------------------------------------------------------ */

static void test_receipts_and_timing(void **state)
{
    Fx *fx = fixture(state);
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    use_channels(fx, NULL);
    int64_t a = person(fx, "甲", "13900000201", "town_leader", "620390100", 0, 0, 0, 0);
    int64_t b = person(fx, "乙", "13900000202", "town_leader", "620390100", 0, 0, 0, 0);
    int64_t w =
        draft(fx, &county_duty, "620390", json_pack("{s:[s]}", "target_divisions", "620390100"));
    assert_int_equal(issue(fx, w), 2);
    send_all(fx);
    /* receipts are matched by idempotency key on the channel named in the path */
    use_channels(fx, ",{\"name\": \"call\", \"kind\": \"call\", \"url\": \"http://127.0.0.1:9/\","
                     " \"enabled\": false, \"callback_secret\": \"" SECRET "\"}");
    /* pretend the call channel had sent to both (records as the sender writes them) */
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO publish_deliveries (warning_id, target_id, channel, idem_key, outcome,"
             " division_code, created_at, updated_at) SELECT warning_id, id, 'call', 'warn:' ||"
             " warning_id || ':' || id || ':call', 'sent', division_code, '2026-01-01T00:00:00Z',"
             " '2026-01-01T00:00:00Z' FROM publish_targets WHERE warning_id = %lld",
             (long long)w);
    exec_sql(fx, sql);
    int64_t ta = target_of(fx, w, a), tb = target_of(fx, w, b);
    char body[400];
    snprintf(body, sizeof body,
             "[{\"key\": \"warn:%lld:%lld:call\", \"status\": \"answered\", \"keypress\": \"1\"},"
             " {\"key\": \"warn:%lld:%lld:call\", \"status\": \"no_answer\"}]",
             (long long)w, (long long)ta, (long long)w, (long long)tb);
    json_t *res = NULL;
    assert_int_equal(
        request(fx, "POST", "/api/v1/publish/callbacks/call/receipts", "nope", body, NULL, NULL),
        401);
    assert_int_equal(
        request(fx, "POST", "/api/v1/publish/callbacks/call/receipts", SECRET, body, &res, NULL),
        200);
    assert_int_equal(json_integer_value(json_object_get(res, "matched")), 2);
    assert_int_equal(json_integer_value(json_object_get(res, "answered")), 1);
    json_decref(res);
    assert_string_equal(q_text(fx, &arena, "SELECT state FROM publish_targets WHERE id = $1", ta),
                        "answered");
    assert_string_equal(q_text(fx, &arena, "SELECT state FROM publish_targets WHERE id = $1", tb),
                        "sent");
    assert_string_equal(q_text(fx, &arena,
                               "SELECT receipt_status FROM publish_deliveries WHERE target_id = $1"
                               " AND channel = 'call'",
                               tb),
                        "no_answer");
    /* B answers 5 minutes after the issue: everybody answered within 30 minutes */
    clock_set_offset(300);
    Tx tx;
    StoreConn *c = store_acquire(fx->store);
    assert_ok(tx_begin(&tx, c, &actor_system, &arena, &err), err);
    assert_int_equal(pub_answer(&tx, tb, "app", 0, &err), 1);
    assert_int_equal(pub_answer(&tx, tb, "link", 0, &err), 0); /* idempotent */
    assert_ok(tx_commit(&tx, &err), err);
    json_t *p = NULL;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)w);
    assert_ok(pub_progress(c, &arena, &commander, key, &p, &err), err);
    json_t *t = json_object_get(p, "timing");
    assert_true(json_is_true(json_object_get(t, "all_answered")));
    assert_true(json_is_true(json_object_get(t, "within_target")));
    int64_t el = json_integer_value(json_object_get(t, "elapsed_seconds"));
    assert_true(el >= 299 && el <= 302);
    json_decref(p);
    StrBuf html = STRBUF_INIT;
    assert_ok(pub_report_html(c, &arena, &commander, key, &html, &err), err);
    assert_non_null(strstr(strbuf_cstr(&html), "达到30分钟目标"));
    strbuf_free(&html);
    store_release(fx->store, c);
    assert_string_equal(
        q_text(fx, &arena, "SELECT answer_channel FROM publish_targets WHERE id = $1", tb), "app");
    arena_free(&arena);
}

/* ---- a local HTTP gateway (SMS and broadcast) ------------------------------------------- */

#define STUB_MAX 256

static struct {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t mu;
    char keys[STUB_MAX][128];
    char areas[STUB_MAX][32];
    int n;
    int fail_even; /* 503 for phones ending in an even digit */
} gw = {.mu = PTHREAD_MUTEX_INITIALIZER};

static enum MHD_Result gw_reply(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result gw_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **ctx)
{
    (void)cls, (void)url, (void)method, (void)version;
    StrBuf *body = *ctx;
    if (!body) {
        *ctx = xcalloc(1, sizeof(StrBuf));
        return MHD_YES;
    }
    if (*size) {
        strbuf_add(body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    json_t *j = json_loads(strbuf_cstr(body), 0, NULL);
    const char *phone = json_string_value(json_object_get(j, "phone"));
    const char *area = json_string_value(json_object_get(j, "area_code"));
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    int refuse = gw.fail_even && phone && *phone && (phone[strlen(phone) - 1] - '0') % 2 == 0;
    char answer[64] = "{}";
    pthread_mutex_lock(&gw.mu);
    if (!refuse && gw.n < STUB_MAX) {
        snprintf(gw.keys[gw.n], sizeof gw.keys[0], "%s", key ? key : "");
        snprintf(gw.areas[gw.n], sizeof gw.areas[0], "%s", area ? area : "");
        snprintf(answer, sizeof answer, "{\"id\": \"gw-%d\"}", ++gw.n);
    }
    pthread_mutex_unlock(&gw.mu);
    json_decref(j);
    return gw_reply(c, refuse ? 503 : 200, answer);
}

static void gw_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    if (*ctx) {
        strbuf_free(*ctx);
        free(*ctx);
        *ctx = NULL;
    }
}

static void gw_start(void)
{
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    gw.n = 0;
    gw.fail_even = 0;
    gw.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                 NULL, NULL, gw_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                                 MHD_OPTION_NOTIFY_COMPLETED, gw_completed, NULL, MHD_OPTION_END);
    assert_non_null(gw.daemon);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(gw.daemon, MHD_DAEMON_INFO_BIND_PORT);
    gw.port = di ? di->port : 0;
    assert_true(gw.port > 0);
}

static int gw_count(const char *key_part)
{
    pthread_mutex_lock(&gw.mu);
    int n = 0;
    for (int i = 0; i < gw.n; i++)
        if (!key_part || strstr(gw.keys[i], key_part))
            n++;
    pthread_mutex_unlock(&gw.mu);
    return n;
}

/* SMS and broadcast over HTTP: a gateway that refuses some recipients (503) is retried by the
 * outbox until it takes them, each key once; the broadcast goes out once per target area. */
static void test_http_gateways(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    gw_start();
    char extra[512];
    snprintf(extra, sizeof extra,
             ",{\"name\": \"sms\", \"kind\": \"sms\", \"url\": \"http://127.0.0.1:%d/sms\"},"
             "{\"name\": \"bc\", \"kind\": \"broadcast\", \"url\": \"http://127.0.0.1:%d/bc\"}",
             gw.port, gw.port);
    use_channels(fx, extra);
    for (int i = 0; i < 10; i++) {
        char phone[32];
        snprintf(phone, sizeof phone, "1390000030%d", i % 10);
        person(fx, "人员", phone, "grid_member", i < 5 ? "620390100201" : "620390101201", 0, 0, 0,
               0);
    }
    gw.fail_even = 1;
    int64_t w = draft(fx, &county_duty, "620390",
                      json_pack("{s:[s,s]}", "target_divisions", "620390100", "620390101"));
    assert_int_equal(issue(fx, w), 10);
    /* odd phones taken, even ones refused (503): those targets stay queued for a retry */
    assert_int_equal(gw_count(":sms"), 5);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE state = 'queued'", 0),
                     5);
    assert_int_equal(gw_count(":area:"), 2); /* one broadcast per target area */
    assert_int_equal(q_int(fx,
                           "SELECT COUNT(*) FROM publish_deliveries WHERE channel = 'bc' AND"
                           " outcome = 'sent'",
                           0),
                     2);
    /* the gateway recovers; the outbox retries after its backoff (injected clock) */
    gw.fail_even = 0;
    clock_set_offset(60);
    send_all(fx);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_targets WHERE state = 'sent'", 0), 10);
    assert_int_equal(gw_count(":sms"), 10); /* each recipient once: the odd ones not again */
    assert_int_equal(gw_count(":area:"), 2);
    assert_int_equal(q_int(fx, "SELECT COUNT(DISTINCT idem_key) FROM publish_deliveries", 0), 22);
    /* cancelled: every reached recipient gets the notice once (the spool and the gateway) */
    assert_ok(
        step(fx, &commander, w, "cancel", json_pack("{s:s}", "reason", "降雨减弱"), NULL, &err),
        err);
    send_all(fx);
    assert_int_equal(gw_count("cancel:"), 10);
    assert_int_equal(spool_lines(fx, "【解除】"), 10);
    assert_err(step(fx, &commander, w, "cancel", json_pack("{s:s}", "reason", "x"), NULL, &err),
               err, 409);
    clock_set_offset(3600);
    send_all(fx);
    assert_int_equal(gw_count("cancel:"), 10);
    assert_int_equal(q_int(fx,
                           "SELECT COUNT(*) FROM publish_deliveries WHERE idem_key LIKE"
                           " 'cancel:%' AND $1 = $1",
                           0),
                     20);
    MHD_stop_daemon(gw.daemon);
}

/* ---- the monitoring hand-off ------------------------------------------------------------- */

static void test_monitoring_handoff(void **state)
{
    Fx *fx = fixture(state);
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    json_t *payload =
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:f, s:s, s:s, s:s}", "warning_id", (json_int_t)77,
                  "point_id", (json_int_t)999999, "level", "orange", "rule", "水位",
                  "division_code", "620390100", "value", 3.6, "sensor_type", "water_level",
                  "advice", "转移低洼处群众", "message", "青石河水位3.6米，达橙色预警");
    Tx tx;
    StoreConn *c = store_acquire(fx->store);
    Error e = ERROR_INIT;
    Arena a2 = ARENA_INIT;
    assert_ok(tx_begin(&tx, c, &actor_system, &a2, &e), e);
    assert_ok(
        outbox_put(&tx, "monitor:warning:77:publish:orange", "monitoring.publish", payload, &e), e);
    assert_ok(tx_commit(&tx, &e), e);
    store_release(fx->store, c);
    arena_free(&a2);
    send_all(fx);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_warnings", 0), 1);
    assert_string_equal(q_text(fx, &arena,
                               "SELECT state FROM publish_warnings WHERE source_monitor_warning_id"
                               " = $1",
                               77),
                        "draft");
    assert_string_equal(q_text(fx, &arena,
                               "SELECT event_code FROM publish_warnings WHERE"
                               " source_monitor_warning_id = $1",
                               77),
                        "11A01");
    /* the same message delivered again (crash before the outbox marked it) opens nothing */
    c = store_acquire(fx->store);
    assert_ok(tx_begin(&tx, c, &actor_system, &arena, &err), err);
    assert_int_equal(pub_monitoring_draft(&tx, "monitor:warning:77:publish:orange", payload, &err),
                     0);
    assert_ok(tx_commit(&tx, &err), err);
    store_release(fx->store, c);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_warnings", 0), 1);
    json_decref(payload);
    arena_free(&arena);
}

/* ---- CAP ----------------------------------------------------------------------------------- */

static void test_cap_roundtrip(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *extra = json_pack(
        "{s:[s,s], s:[{s:s, s:[[[f,f],[f,f],[f,f],[f,f]]]}], s:[{s:f, s:f, s:f}], s:s, s:s, s:s,"
        " s:s, s:s, s:s, s:s}",
        "target_divisions", "620390100", "620390101201", "polygons", "type", "Polygon",
        "coordinates", 103.5, 38.25, 103.75, 38.25, 103.6, 38.5, 103.5, 38.25, "circles", "lon",
        103.125, "lat", 38.5, "radius_m", 2500.0, "instruction", "注意防范", "headline_en",
        "Orange rainstorm warning", "description_en", "Heavy rain expected.", "area_desc",
        "青石镇、河西镇部分村", "effective", "2026-11-23T02:00:00Z", "expires",
        "2026-11-23T14:00:00Z", "sender_name", "云岭县应急管理局");
    int64_t w = draft(fx, &county_duty, "620390", extra);
    StoreConn *c = store_acquire(fx->store);
    json_t *row = NULL;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)w);
    assert_ok(entity_get(c, &publish_warnings_entity, &county_duty, key, &row, &err), err);
    store_release(fx->store, c);
    json_object_set_new(row, "identifier", json_string("62039000000000_20261123100000_1"));
    json_object_set_new(row, "sent_at", json_string("2026-11-23T10:00:00+08:00"));
    CapAlert *a = pub_cap_of(row, NULL);
    StrBuf x1 = STRBUF_INIT, x2 = STRBUF_INIT;
    assert_ok(cap_alert_to_xml(a, &x1, &err), err);
    cap_alert_free(a);
    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_xml(strbuf_cstr(&x1), x1.len, CAP_CHECK_ALL, &r), 0);
    /* import: a draft with the same content */
    json_t *rec = NULL;
    assert_ok(pub_cap_import(strbuf_cstr(&x1), x1.len, &county_duty, &rec, &err), err);
    assert_string_equal(pub_json_str(rec, "level"), "orange");
    assert_string_equal(pub_json_str(rec, "division_code"), "620390");
    assert_string_equal(pub_json_str(rec, "headline_en"), "Orange rainstorm warning");
    assert_true(json_equal(json_object_get(rec, "target_divisions"),
                           json_object_get(row, "target_divisions")));
    assert_true(json_equal(json_object_get(rec, "polygons"), json_object_get(row, "polygons")));
    assert_true(json_equal(json_object_get(rec, "circles"), json_object_get(row, "circles")));
    int64_t w2 = create_as(fx, &county_duty, &publish_warnings_entity, rec);
    c = store_acquire(fx->store);
    json_t *row2 = NULL;
    snprintf(key, sizeof key, "%lld", (long long)w2);
    assert_ok(entity_get(c, &publish_warnings_entity, &county_duty, key, &row2, &err), err);
    store_release(fx->store, c);
    json_object_set_new(row2, "identifier", json_string("62039000000000_20261123100000_1"));
    json_object_set_new(row2, "sent_at", json_string("2026-11-23T10:00:00+08:00"));
    a = pub_cap_of(row2, NULL);
    assert_ok(cap_alert_to_xml(a, &x2, &err), err);
    cap_alert_free(a);
    assert_string_equal(strbuf_cstr(&x1), strbuf_cstr(&x2));
    /* a bad document: problems with lines and paths, nothing stored */
    const char *bad =
        "<?xml version=\"1.0\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
        "<identifier>x</identifier>\n<sender>s</sender>\n<sent>2026-11-23T10:00:00+08:00</sent>\n"
        "<status>Actual</status>\n<msgType>Alert</msgType>\n<scope>Public</scope>\n</alert>\n";
    json_t *none = NULL;
    int rc = pub_cap_import(bad, strlen(bad), &county_duty, &none, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_true(json_array_size(err.rows) >= 1);
    json_t *first = json_array_get(err.rows, 0);
    assert_non_null(json_object_get(first, "path"));
    assert_true(json_integer_value(json_object_get(first, "line")) >= 0);
    assert_null(none);
    error_clear(&err);
    assert_int_equal(q_int(fx, "SELECT COUNT(*) FROM publish_warnings", 0), 2);
    cap_report_clear(&r);
    strbuf_free(&x1);
    strbuf_free(&x2);
    json_decref(row);
    json_decref(row2);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_workflow),      BOTH(test_targeting),           BOTH(test_fanout_crash),
        BOTH(test_escalation),    BOTH(test_receipts_and_timing), BOTH(test_monitoring_handoff),
        BOTH(test_cap_roundtrip), BOTH(test_http_gateways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
