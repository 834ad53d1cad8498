/* tests/unit/test_command — the command workspace below the HTTP layer: plan activation
 * creates one task per step of the level (refusals: unlisted level, second activation);
 * the instruction workflow (issued → signed → executing → feedback → done) and its refusals;
 * escalation of an unsigned instruction with the injected clock and scheduler_run_due (and no
 * escalation of a signed one); a team dispatch sets readiness deployed and return restores
 * it; closing the incident creates exactly one case.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include <math.h>

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"
#include "modules/accounts/accounts.h"
#include "modules/cases/cases.h"
#include "modules/command/command.h"
#include "modules/divisions/divisions.h"
#include "modules/incidents/incidents.h"
#include "modules/plans/plans.h"
#include "modules/resources/resources.h"

#define PG_SCHEMA "yj_command_test"
#define POOL 2

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
    long long incident, plan, org, team;
} Fx;

static const Actor commander = {2, "commander", ROLE_COMMANDER, "620390", 0};
static const Actor member = {3, "member", ROLE_TEAM_MEMBER, "620390", 0};
static const Actor viewer = {4, "viewer", ROLE_VIEWER, "620390", 0};

typedef int (*Fn)(Tx *tx, void *ctx, Error *err);

static int run(Fx *fx, const Actor *a, Fn fn, void *ctx, Error *err)
{
    Arena arena = ARENA_INIT;
    int rc = tx_run(fx->store, a, &arena, fn, ctx, err);
    arena_free(&arena);
    return rc;
}

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

typedef struct Op {
    const Entity *e;    /* entity_create when set */
    const char *json;   /* input */
    const char *key;    /* incident / instruction / dispatch key */
    const char *action; /* for the _act calls */
    int kind;           /* which command_* call */
    json_t *out;
} Op;

enum {
    K_CREATE,
    K_INCIDENT,
    K_ACTIVATE,
    K_ISSUE,
    K_INS_ACT,
    K_DISPATCH,
    K_DIS_ACT,
    K_CLOSE,
    K_TASK
};

static int op_tx(Tx *tx, void *ctx, Error *err)
{
    Op *o = ctx;
    json_t *in = parse(o->json);
    int rc = -1;
    switch (o->kind) {
    case K_CREATE:
        rc = entity_create(tx, o->e, in, &o->out, err);
        break;
    case K_INCIDENT:
        rc = incident_record(tx, in, &o->out, err);
        break;
    case K_ACTIVATE:
        rc = command_activate_plan(tx, o->key, in, &o->out, err);
        break;
    case K_ISSUE:
        rc = command_issue_instruction(tx, o->key, in, &o->out, err);
        break;
    case K_INS_ACT:
        rc = command_instruction_act(tx, o->key, o->action, in, &o->out, err);
        break;
    case K_DISPATCH:
        rc = command_dispatch(tx, o->key, in, &o->out, err);
        break;
    case K_DIS_ACT:
        rc = command_dispatch_act(tx, o->key, o->action, in, &o->out, err);
        break;
    case K_TASK:
        rc = command_task_act(tx, o->key, o->action, in, &o->out, err);
        break;
    case K_CLOSE:
        rc = incident_action(tx, o->key, o->action, in, &o->out, err);
        break;
    }
    json_decref(in);
    return rc;
}

/* Runs one op; returns rc and leaves o->out (caller decrefs). */
static int op(Fx *fx, const Actor *a, Op *o, Error *err)
{
    o->out = NULL;
    int rc = run(fx, a, op_tx, o, err);
    if (rc < 0) {
        json_decref(o->out);
        o->out = NULL;
    }
    return rc;
}

static long long create(Fx *fx, const Actor *a, int kind, const Entity *e, const char *key,
                        const char *json)
{
    Error err = ERROR_INIT;
    Op o = {e, json, key, NULL, kind, NULL};
    assert_ok(op(fx, a, &o, &err), err);
    long long id = (long long)json_integer_value(json_object_get(o.out, "id"));
    json_decref(o.out);
    return id;
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
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        create(fx, &actor_system, K_CREATE, &divisions_entity, NULL, rows[i]);
    Error err = ERROR_INIT;
    assert_ok(run(fx, &actor_system, types_tx, NULL, &err), err);
    fx->org =
        create(fx, &actor_system, K_CREATE, &orgs_entity, NULL,
               "{\"name\":\"县消防救援大队\",\"kind\":\"other\",\"division_code\":\"620390\"}");
    fx->plan = create(
        fx, &actor_system, K_CREATE, &plans_entity, NULL,
        "{\"title\":\"危化品事故专项预案\",\"level\":\"county\",\"kind\":\"special\","
        "\"division_code\":\"620390\",\"event_types\":[\"12D01\"],\"response_levels\":[\"II\","
        "\"III\"],\"body\":\"正文\",\"response_steps\":["
        "{\"level\":\"II\",\"step\":1,\"responsible_org\":\"县应急管理局\",\"action\":"
        "\"成立指挥部\"},"
        "{\"level\":\"II\",\"step\":2,\"responsible_org\":\"县消防救援大队\",\"action\":\"灭火\"},"
        "{\"level\":\"III\",\"step\":1,\"responsible_org\":\"镇应急所\",\"action\":\"疏散\"}]}");
    fx->team = create(fx, &actor_system, K_CREATE, &teams_entity, NULL,
                      "{\"name\":\"县综合救援队\",\"kind\":\"social\",\"division_code\":\"620390\","
                      "\"lon\":102.2,\"lat\":38.45,\"readiness\":\"standby\"}");
    char when[32], body[1024];
    clock_format_iso(clock_now() - 300, when, sizeof when);
    snprintf(body, sizeof body,
             "{\"title\":\"化工厂爆炸\",\"source\":\"phone\",\"occurred_at\":\"%s\","
             "\"lon\":102.3,\"lat\":38.4,\"division_code\":\"620390100\",\"event_type\":\"12D01\","
             "\"deaths\":10,\"description\":\"仓库爆炸\"}",
             when);
    fx->incident = create(fx, &commander, K_INCIDENT, NULL, NULL, body);
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

static const char *k(char *buf, long long id)
{
    snprintf(buf, 24, "%lld", id);
    return buf;
}

static long long count(Fx *fx, const char *sql)
{
    Error err = ERROR_INIT;
    int64_t n = -1;
    StoreConn *c = store_acquire(fx->store);
    int rc = store_query_int(c, sql, NULL, 0, &n, &err);
    store_release(fx->store, c);
    assert_int_equal(rc, 0);
    return (long long)n;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_activation(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char ik[24], body[128];
    k(ik, fx->incident);
    snprintf(body, sizeof body, "{\"plan_id\":%lld,\"response_level\":\"I\"}", fx->plan);
    Op o = {NULL, body, ik, NULL, K_ACTIVATE, NULL};
    assert_err(op(fx, &commander, &o, &err), err, 422); /* level not listed */
    snprintf(body, sizeof body, "{\"plan_id\":%lld,\"response_level\":\"II\",\"x\":1}", fx->plan);
    assert_err(op(fx, &commander, &o, &err), err, 422); /* unknown field */
    snprintf(body, sizeof body, "{\"plan_id\":%lld,\"response_level\":\"II\"}", fx->plan);
    assert_ok(op(fx, &commander, &o, &err), err);
    json_t *tasks = json_object_get(o.out, "tasks");
    assert_int_equal(json_array_size(tasks), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(tasks, 1), "responsible_org")),
        "县消防救援大队");
    char tk[24];
    k(tk, (long long)json_integer_value(json_object_get(json_array_get(tasks, 0), "id")));
    json_decref(o.out);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM response_tasks"), 2);
    Op t = {NULL, "{}", tk, "start", K_TASK, NULL};
    assert_err(op(fx, &viewer, &t, &err), err, 403);
    assert_ok(op(fx, &member, &t, &err), err);
    assert_string_equal(json_string_value(json_object_get(t.out, "state")), "in_progress");
    json_decref(t.out);
    assert_err(op(fx, &member, &t, &err), err, 409); /* already started */
    t.action = "finish";
    assert_ok(op(fx, &commander, &t, &err), err);
    json_decref(t.out);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM response_tasks WHERE state = 'done'"), 1);
    assert_int_equal(
        count(fx, "SELECT COUNT(*) FROM incident_events WHERE kind = 'plan_activated'"), 1);
    assert_err(op(fx, &commander, &o, &err), err, 409); /* already active */
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM response_tasks"), 2);
}

static const char *state_of(json_t *o)
{
    return json_string_value(json_object_get(o, "state"));
}

static void test_instructions(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char ik[24], xk[24], body[256];
    k(ik, fx->incident);
    snprintf(body, sizeof body, "{\"to_org_id\":%lld,\"to_user_id\":1,\"content\":\"x\"}", fx->org);
    Op o = {NULL, body, ik, NULL, K_ISSUE, NULL};
    assert_err(op(fx, &commander, &o, &err), err, 422); /* two recipients */
    snprintf(body, sizeof body,
             "{\"to_org_id\":%lld,\"content\":\"灭火\",\"sign_within_minutes\":5}", fx->org);
    assert_ok(op(fx, &commander, &o, &err), err);
    assert_string_equal(state_of(o.out), "issued");
    k(xk, (long long)json_integer_value(json_object_get(o.out, "id")));
    json_decref(o.out);

    Op a = {NULL, "{}", xk, "complete", K_INS_ACT, NULL};
    assert_err(op(fx, &commander, &a, &err), err, 409); /* not yet fed back */
    a.action = "sign";
    assert_err(op(fx, &viewer, &a, &err), err, 403); /* viewers do not sign */
    a.json = "{\"bogus\":1}";
    assert_err(op(fx, &member, &a, &err), err, 422);
    a.json = "{}";
    assert_ok(op(fx, &member, &a, &err), err);
    assert_string_equal(state_of(a.out), "signed");
    json_decref(a.out);
    a.action = "execute";
    assert_ok(op(fx, &member, &a, &err), err);
    json_decref(a.out);
    a.action = "feedback";
    assert_err(op(fx, &member, &a, &err), err, 422); /* feedback text required */
    a.json = "{\"feedback\":\"明火已扑灭\"}";
    assert_ok(op(fx, &member, &a, &err), err);
    assert_string_equal(state_of(a.out), "feedback");
    json_decref(a.out);
    a.action = "complete";
    a.json = "{}";
    assert_err(op(fx, &member, &a, &err), err, 403); /* the issuer side completes */
    assert_ok(op(fx, &commander, &a, &err), err);
    assert_string_equal(state_of(a.out), "done");
    json_decref(a.out);

    /* signed within time: never escalated, even after the deadline */
    clock_set_offset(3600);
    assert_true(scheduler_run_due(fx->store, 100, &err) >= 0);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM instructions WHERE escalated = 1 OR "
                               "escalated_at IS NOT NULL"),
                     0);
    clock_set_offset(0);
}

static void test_escalation(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char ik[24], body[256];
    k(ik, fx->incident);
    snprintf(body, sizeof body,
             "{\"to_org_id\":%lld,\"content\":\"报伤亡\",\"sign_within_minutes\":2}", fx->org);
    Op o = {NULL, body, ik, NULL, K_ISSUE, NULL};
    assert_ok(op(fx, &commander, &o, &err), err);
    json_decref(o.out);
    /* before the deadline nothing happens */
    clock_set_offset(60);
    assert_int_equal(scheduler_run_due(fx->store, 100, &err), 0);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM instructions WHERE escalated_at IS NOT NULL"),
                     0);
    clock_set_offset(121);
    assert_int_equal(scheduler_run_due(fx->store, 100, &err), 1);
    clock_set_offset(0);
    assert_int_equal(
        count(fx, "SELECT COUNT(*) FROM instructions WHERE state = 'issued' AND escalated_at IS "
                  "NOT NULL"),
        1);
    assert_int_equal(
        count(fx, "SELECT COUNT(*) FROM incident_events WHERE kind = 'instruction_escalated'"), 1);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM outbox WHERE topic = 'notify' AND id LIKE "
                               "'notify:instruction:%:escalated'"),
                     1);
}

static int add_commander_tx(Tx *tx, void *ctx, Error *err)
{
    (void)ctx;
    json_t *u = json_pack("{s:s, s:s, s:s, s:s}", "username", "county.commander", "display_name",
                          "县指挥长", "role", "commander", "division_code", "620390");
    int rc = accounts_create_user(tx, u, "Yingji@2026", NULL, err);
    json_decref(u);
    return rc;
}

static void test_notify_delivery(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    Arena a = ARENA_INIT;
    assert_ok(tx_run(fx->store, &actor_system, &a, add_commander_tx, NULL, &err), err);
    arena_free(&a);
    test_escalation(state);
    /* the in-app channel delivers the escalation to the county's commander, once */
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM notifications"), 0);
    clock_set_offset(121); /* the message was written at the escalation's (shifted) time */
    assert_true(outbox_dispatch_once(fx->store, 100, &err) >= 1);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = "
                               "n.user_id WHERE u.username = 'county.commander'"),
                     1);
    assert_int_equal(outbox_dispatch_once(fx->store, 100, &err), 0);
    clock_set_offset(0);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM notifications"), 1);
}

static void test_dispatch_roundtrip(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char ik[24], dk[24], body[256], teamq[128];
    k(ik, fx->incident);
    snprintf(body, sizeof body, "{\"kind\":\"team\",\"ref_id\":%lld}", fx->team);
    snprintf(teamq, sizeof teamq,
             "SELECT COUNT(*) FROM teams WHERE id = %lld AND readiness = ", fx->team);
    Op o = {NULL, body, ik, NULL, K_DISPATCH, NULL};
    assert_ok(op(fx, &commander, &o, &err), err);
    double km = json_real_value(json_object_get(o.out, "distance_km"));
    assert_true(km > 9 && km < 11);
    assert_int_equal(json_integer_value(json_object_get(o.out, "eta_minutes")),
                     (json_int_t)ceil(km / 40 * 60));
    k(dk, (long long)json_integer_value(json_object_get(o.out, "id")));
    json_decref(o.out);
    char q[192];
    snprintf(q, sizeof q, "%s'deployed'", teamq);
    assert_int_equal(count(fx, q), 1);
    assert_err(op(fx, &commander, &o, &err), err, 409); /* already deployed */
    Op a = {NULL, "{}", dk, "depart", K_DIS_ACT, NULL};
    assert_err(op(fx, &viewer, &a, &err), err, 403);
    assert_ok(op(fx, &member, &a, &err), err);
    json_decref(a.out);
    a.action = "return";
    assert_ok(op(fx, &member, &a, &err), err);
    assert_string_equal(state_of(a.out), "returned");
    json_decref(a.out);
    snprintf(q, sizeof q, "%s'standby'", teamq);
    assert_int_equal(count(fx, q), 1);
    assert_err(op(fx, &member, &a, &err), err, 409);
}

static void test_closure_case(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char ik[24];
    k(ik, fx->incident);
    Op o = {NULL, "{}", ik, "verify", K_CLOSE, NULL};
    assert_ok(op(fx, &commander, &o, &err), err);
    json_decref(o.out);
    o.action = "close";
    o.json = "{\"evaluation\":\"处置得当\"}";
    assert_ok(op(fx, &commander, &o, &err), err);
    json_decref(o.out);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM cases WHERE source = 'incident'"), 1);
    json_t *c = NULL;
    StoreConn *conn = store_acquire(fx->store);
    int rc = cases_find_by_incident(conn, &commander, fx->incident, &c, &err);
    store_release(fx->store, conn);
    assert_ok(rc, err);
    assert_string_equal(json_string_value(json_object_get(c, "evaluation")), "处置得当");
    assert_string_equal(json_string_value(json_object_get(c, "title")), "化工厂爆炸");
    json_decref(c);
    /* a closed incident takes no new command actions */
    char body[128];
    snprintf(body, sizeof body, "{\"plan_id\":%lld,\"response_level\":\"II\"}", fx->plan);
    Op a = {NULL, body, ik, NULL, K_ACTIVATE, NULL};
    assert_err(op(fx, &commander, &a, &err), err, 409);
}

static void test_distance(void **state)
{
    (void)state;
    assert_true(command_distance_km(102.3, 38.4, 102.3, 38.4) < 1e-9);
    double d = command_distance_km(116.4, 39.9, 121.47, 31.23); /* Beijing → Shanghai */
    assert_true(d > 1060 && d < 1075);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    scheduler_register("instructions.escalate", command_escalate_job);
    outbox_register("notify", command_deliver_inapp);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance), BOTH(test_activation),      BOTH(test_instructions),
        BOTH(test_escalation),           BOTH(test_notify_delivery), BOTH(test_dispatch_roundtrip),
        BOTH(test_closure_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
