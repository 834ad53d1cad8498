/* tests/unit/test_plans — the plans and cases modules below the HTTP layer: the filing
 * workflow (报送 → 备案 / 退回) with its role, state, input and jurisdiction refusals; content
 * locked once submitted; revisions freeze the old text in plan_versions; validation of the
 * structured parts; the ranking order of plans_match; the shares of plans_stats against
 * figures computed by hand; and cases_create_from_incident.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/log.h"
#include "modules/cases/cases.h"
#include "modules/divisions/divisions.h"
#include "modules/plans/plans.h"

#define PG_SCHEMA "yj_plans_test"
#define POOL 2

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
} Fx;

static const Actor county_admin = {1, "county", ROLE_ADMIN, "620390", 0};
static const Actor commander = {2, "cmd", ROLE_COMMANDER, "620390", 0};
static const Actor duty = {3, "duty", ROLE_DUTY_OFFICER, "620390", 0};
static const Actor town_admin = {4, "town1", ROLE_ADMIN, "620390100", 0};
static const Actor other_admin = {5, "other", ROLE_ADMIN, "620321", 0};

static void print_err(const char *what, const Error *err)
{
    print_error("%s: [%d %s] %s\n", what, err->status, err->code, err->message_en);
    if (err->fields) {
        char *f = json_dumps(err->fields, 0);
        print_error("  fields %s\n", f);
        free(f);
    }
}

/* ---- running things in a transaction ----------------------------------------------------- */

typedef enum { OP_CREATE, OP_UPDATE, OP_ACTION, OP_REVISE, OP_CASE } Op;

typedef struct Call {
    Op op;
    const Entity *e;
    const char *key, *action, *json, *extra;
    json_t *out;
} Call;

static int call_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    json_error_t jerr;
    json_t *in = c->json ? json_loads(c->json, 0, &jerr) : NULL;
    if (c->json && !in) {
        print_error("bad test JSON %s: %s\n", c->json, jerr.text);
        return error_internal(err, "bad test JSON");
    }
    int rc = -1;
    switch (c->op) {
    case OP_CREATE:
        rc = entity_create(tx, c->e, in, &c->out, err);
        break;
    case OP_UPDATE:
        rc = entity_update(tx, c->e, c->key, in, &c->out, err);
        break;
    case OP_ACTION:
        rc = plans_filing_action(tx, c->key, c->action, in, &c->out, err);
        break;
    case OP_REVISE:
        rc = plans_revise(tx, c->key, in, &c->out, err);
        break;
    case OP_CASE:
        rc = cases_create_from_incident(tx, in, c->extra, err);
        break;
    }
    json_decref(in);
    return rc;
}

static int run(Fx *fx, const Actor *a, Call *c, Error *err)
{
    Arena arena = ARENA_INIT;
    c->out = NULL;
    int rc = tx_run(fx->store, a, &arena, call_tx, c, err);
    arena_free(&arena);
    if (rc < 0) {
        json_decref(c->out);
        c->out = NULL;
    }
    return rc;
}

static json_int_t create_ok(Fx *fx, const Actor *a, const Entity *e, const char *json)
{
    Error err = ERROR_INIT;
    Call c = {OP_CREATE, e, NULL, NULL, json, NULL, NULL};
    if (run(fx, a, &c, &err) < 0) {
        print_err(json, &err);
        fail();
    }
    json_int_t id = json_integer_value(json_object_get(c.out, "id"));
    json_decref(c.out);
    return id;
}

static int action(Fx *fx, const Actor *a, json_int_t id, const char *act, const char *json,
                  Error *err)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    Call c = {OP_ACTION, &plans_entity, key, act, json, NULL, NULL};
    int rc = run(fx, a, &c, err);
    json_decref(c.out);
    return rc;
}

static void action_ok(Fx *fx, const Actor *a, json_int_t id, const char *act, const char *json)
{
    Error err = ERROR_INIT;
    if (action(fx, a, id, act, json, &err) < 0) {
        print_err(act, &err);
        fail();
    }
}

static int update(Fx *fx, const Actor *a, json_int_t id, const char *json, Error *err)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    Call c = {OP_UPDATE, &plans_entity, key, NULL, json, NULL, NULL};
    int rc = run(fx, a, &c, err);
    json_decref(c.out);
    return rc;
}

static int revise(Fx *fx, const Actor *a, json_int_t id, const char *json, Error *err)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    Call c = {OP_REVISE, &plans_entity, key, NULL, json, NULL, NULL};
    int rc = run(fx, a, &c, err);
    json_decref(c.out);
    return rc;
}

static json_t *get(Fx *fx, const Entity *e, json_int_t id)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_t *out = NULL;
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_get(c, e, &actor_system, key, &out, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    return out;
}

static void expect_str(Fx *fx, json_int_t id, const char *field, const char *want)
{
    json_t *r = get(fx, &plans_entity, id);
    const char *s = json_string_value(json_object_get(r, field));
    if (!want)
        assert_null(s);
    else
        assert_string_equal(s ? s : "(null)", want);
    json_decref(r);
}

static json_int_t plan_int(Fx *fx, json_int_t id, const char *field)
{
    json_t *r = get(fx, &plans_entity, id);
    json_int_t v = json_integer_value(json_object_get(r, field));
    json_decref(r);
    return v;
}

static int64_t count(Fx *fx, const char *sql, json_int_t arg)
{
    Error err = ERROR_INIT;
    int64_t n = -1;
    DbValue p[] = {db_int(arg)};
    StoreConn *c = store_acquire(fx->store);
    int rc = store_query_int(c, sql, p, 1, &n, &err);
    store_release(fx->store, c);
    assert_true(rc >= 0);
    return n;
}

/* The body frozen for (plan, version), or "(none)". */
static char *frozen_body(Fx *fx, json_int_t plan, int version, char *buf, size_t n)
{
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    DbRows rows;
    DbValue p[] = {db_int(plan), db_int(version)};
    StoreConn *c = store_acquire(fx->store);
    int rc = store_query(c, &arena,
                         "SELECT snapshot FROM plan_versions WHERE plan_id = $1 AND version = $2",
                         p, 2, &rows, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    snprintf(buf, n, "(none)");
    if (rows.nrows == 1) {
        json_t *snap = json_loads(db_cell(&rows, 0, 0), 0, NULL);
        snprintf(buf, n, "%s", json_string_value(json_object_get(snap, "body")));
        json_decref(snap);
    }
    arena_free(&arena);
    return buf;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void add_divisions(Fx *fx)
{
    static const char *const rows[] = {
        "{\"code\":\"62\",\"name\":\"甘肃省\"}",
        "{\"code\":\"6203\",\"name\":\"金昌市\"}",
        "{\"code\":\"620390\",\"name\":\"云岭县\"}",
        "{\"code\":\"620390100\",\"name\":\"青石镇\"}",
        "{\"code\":\"620390101\",\"name\":\"河西镇\"}",
        "{\"code\":\"620390102\",\"name\":\"柳泉镇\"}",
        "{\"code\":\"620390100201\",\"name\":\"王家沟村\"}",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        create_ok(fx, &actor_system, &divisions_entity, rows[i]);
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, POOL);
    *state = fx;
    add_divisions(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, POOL);
    *state = fx;
    if (!fx)
        return 0;
    add_divisions(fx);
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

/* A plan: title, level, division, event types, response levels (JSON), body, revision due. */
static json_int_t add_plan(Fx *fx, const char *title, const char *level, const char *division,
                           const char *types, const char *levels, const char *due)
{
    /* steps for the levels II and IV where the plan covers them */
    char steps[512] = "";
    if (strstr(levels, "\"II\""))
        snprintf(
            steps, sizeof steps,
            "{\"level\":\"II\",\"step\":2,\"responsible_org\":\"水务局\",\"action\":\"巡堤\"},"
            "{\"level\":\"II\",\"step\":1,\"responsible_org\":\"应急局\",\"action\":\"启动\"}");
    if (strstr(levels, "\"IV\""))
        snprintf(steps + strlen(steps), sizeof steps - strlen(steps),
                 "%s{\"level\":\"IV\",\"step\":1,\"responsible_org\":\"乡镇\",\"action\":\"值守\"}",
                 *steps ? "," : "");
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"title\":\"%s\",\"level\":\"%s\",\"kind\":\"special\",\"division_code\":\"%s\","
             "\"event_types\":%s,\"response_levels\":%s,\"body\":\"%s正文\","
             "\"revision_due\":\"%s\",\"response_steps\":[%s]}",
             title, level, division, types, levels, title, due ? due : "2030-01-01", steps);
    return create_ok(fx, &county_admin, &plans_entity, buf);
}

#define ALL_LEVELS "[\"I\",\"II\",\"III\",\"IV\"]"

static json_int_t add_filed(Fx *fx, const char *title, const char *level, const char *division,
                            const char *types, const char *levels, const char *due)
{
    json_int_t id = add_plan(fx, title, level, division, types, levels, due);
    action_ok(fx, &commander, id, "submit", NULL);
    action_ok(fx, &county_admin, id, "file", "{\"comment\":\"予以备案\"}");
    return id;
}

/* ---- filing workflow --------------------------------------------------------------------- */

static void test_filing_workflow(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_int_t id =
        add_plan(fx, "云岭县防汛应急预案", "county", "620390", "[\"11B03\"]", ALL_LEVELS, NULL);
    expect_str(fx, id, "state", "draft");
    assert_int_equal(plan_int(fx, id, "version"), 1);

    /* a draft cannot be filed or returned; a duty officer cannot submit */
    assert_err(action(fx, &county_admin, id, "file", NULL, &err), err, 409);
    assert_err(action(fx, &duty, id, "submit", NULL, &err), err, 403);
    /* input other than a comment is refused, and nothing moves */
    assert_err(action(fx, &commander, id, "submit", "{\"state\":\"filed\"}", &err), err, 422);
    /* outside the jurisdiction the plan does not exist */
    assert_err(action(fx, &other_admin, id, "submit", NULL, &err), err, 404);
    assert_err(action(fx, &town_admin, id, "submit", NULL, &err), err, 404);
    expect_str(fx, id, "state", "draft");

    action_ok(fx, &commander, id, "submit", "{\"comment\":\"请审查\"}");
    expect_str(fx, id, "state", "submitted");
    /* while submitted the content is locked, the revision date is not */
    assert_err(update(fx, &county_admin, id, "{\"body\":\"改\"}", &err), err, 409);
    assert_ok(update(fx, &county_admin, id, "{\"revision_due\":\"2031-01-01\"}", &err), err);
    /* the reviewer is an administrator; a return needs a reason */
    assert_err(action(fx, &commander, id, "file", NULL, &err), err, 403);
    assert_err(action(fx, &county_admin, id, "return", NULL, &err), err, 422);
    assert_err(action(fx, &county_admin, id, "return", "{\"comment\":\"  \"}", &err), err, 422);
    action_ok(fx, &county_admin, id, "return", "{\"comment\":\"响应分级不清\"}");
    expect_str(fx, id, "state", "returned");
    expect_str(fx, id, "review_comment", "响应分级不清");
    /* a returned plan is edited and submitted again */
    assert_ok(update(fx, &commander, id, "{\"body\":\"修改后的正文\"}", &err), err);
    action_ok(fx, &commander, id, "submit", NULL);
    expect_str(fx, id, "review_comment", NULL);
    action_ok(fx, &county_admin, id, "file", "{\"comment\":\"同意备案\"}");
    expect_str(fx, id, "state", "filed");
    expect_str(fx, id, "review_comment", "同意备案");
    json_t *p = get(fx, &plans_entity, id);
    assert_true(json_is_string(json_object_get(p, "filed_at")));
    assert_true(json_is_string(json_object_get(p, "submitted_at")));
    json_decref(p);
    /* filing froze version 1 */
    char buf[256];
    assert_string_equal(frozen_body(fx, id, 1, buf, sizeof buf), "修改后的正文");
    /* a filed plan is not edited in place nor submitted again */
    assert_err(update(fx, &county_admin, id, "{\"title\":\"新名\"}", &err), err, 409);
    assert_err(action(fx, &commander, id, "submit", NULL, &err), err, 409);
    /* the steps are history */
    assert_int_equal(count(fx,
                           "SELECT count(*) FROM workflow_history WHERE entity = 'plans' AND "
                           "record_key = CAST($1 AS TEXT)",
                           id),
                     4);
}

static void test_structured_validation(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    static const char *const bad[] = {
        /* malformed event codes */
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":\"620390\","
        "\"event_types\":[\"11I03\"]}",
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":\"620390\","
        "\"event_types\":\"11B03\"}",
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":\"620390\","
        "\"event_types\":[\"11B03\",\"11B03\"]}",
        /* response levels */
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":\"620390\","
        "\"response_levels\":[\"V\"]}",
        /* a step of a level the plan does not cover, a step without action */
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":\"620390\","
        "\"response_levels\":[\"I\"],\"response_steps\":[{\"level\":\"II\",\"step\":1,"
        "\"responsible_org\":\"x\",\"action\":\"y\"}]}",
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":\"620390\","
        "\"response_steps\":[{\"level\":\"I\",\"step\":1,\"responsible_org\":\"x\",\"action\":\"\"}"
        "]}",
        /* a county plan at a town's code */
        "{\"title\":\"a\",\"level\":\"county\",\"kind\":\"special\",\"division_code\":"
        "\"620390100\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Call c = {OP_CREATE, &plans_entity, NULL, NULL, bad[i], NULL, NULL};
        int rc = run(fx, &county_admin, &c, &err);
        if (rc != -1 || err.status != 422)
            print_error("accepted: %s\n", bad[i]);
        assert_err(rc, err, 422);
    }
    /* responsible units default to the units the steps name; revision due to three years on */
    json_int_t id =
        add_plan(fx, "单位推导", "town", "620390100", "[\"11A00\",\"12000\"]", ALL_LEVELS, NULL);
    json_t *p = get(fx, &plans_entity, id);
    json_t *units = json_object_get(p, "responsible_units");
    assert_int_equal(json_array_size(units), 3);
    assert_string_equal(json_string_value(json_array_get(units, 0)), "水务局");
    json_decref(p);
    char today[16];
    {
        json_t *q = json_pack("{s:s, s:s, s:s, s:s}", "title", "默认修订期", "level", "county",
                              "kind", "overall", "division_code", "620390");
        char *s = json_dumps(q, 0);
        json_int_t id2 = create_ok(fx, &county_admin, &plans_entity, s);
        free(s);
        json_decref(q);
        p = get(fx, &plans_entity, id2);
        const char *due = json_string_value(json_object_get(p, "revision_due"));
        assert_non_null(due);
        snprintf(today, sizeof today, "%s", due);
        json_decref(p);
    }
    assert_int_equal(strlen(today), 10);
    assert_true(plans_event_code_valid("11B03") && plans_event_code_valid("12000") &&
                plans_event_code_valid("11Y00"));
    assert_false(plans_event_code_valid("11O01") || plans_event_code_valid("21B03") ||
                 plans_event_code_valid("11B3") || plans_event_code_valid("11b03"));
    assert_string_equal(plans_response_level_of("特别重大"), "I");
    assert_string_equal(plans_response_level_of("较大"), "III");
    assert_string_equal(plans_response_level_of("general"), "IV");
    assert_null(plans_response_level_of("V"));
}

/* ---- versions ---------------------------------------------------------------------------- */

static void test_revision_freezes_old_text(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char buf[256];
    json_int_t id =
        add_filed(fx, "地震应急预案", "county", "620390", "[\"11C02\"]", ALL_LEVELS, "2025-01-01");
    assert_string_equal(frozen_body(fx, id, 1, buf, sizeof buf), "地震应急预案正文");

    /* only a filed plan is revised; a bad change refuses the whole revision */
    assert_err(revise(fx, &county_admin, id, "{\"event_types\":[\"bad\"]}", &err), err, 422);
    assert_err(revise(fx, &county_admin, id, "{\"version\":5}", &err), err, 422);
    assert_err(revise(fx, &duty, id, "{\"body\":\"x\"}", &err), err, 403);
    assert_err(revise(fx, &other_admin, id, "{\"body\":\"x\"}", &err), err, 404);
    expect_str(fx, id, "state", "filed");
    assert_int_equal(plan_int(fx, id, "version"), 1);

    assert_ok(revise(fx, &commander, id, "{\"note\":\"2026年修订\",\"body\":\"新版正文\"}", &err),
              err);
    expect_str(fx, id, "state", "draft");
    expect_str(fx, id, "body", "新版正文");
    expect_str(fx, id, "filed_at", NULL);
    assert_int_equal(plan_int(fx, id, "version"), 2);
    /* the next revision is due three years on (no longer 2025-01-01) */
    json_t *p = get(fx, &plans_entity, id);
    assert_true(strcmp(json_string_value(json_object_get(p, "revision_due")), "2028-01-01") > 0);
    json_decref(p);
    /* version 1's text is frozen; version 2 has none until it is filed */
    assert_string_equal(frozen_body(fx, id, 1, buf, sizeof buf), "地震应急预案正文");
    assert_string_equal(frozen_body(fx, id, 2, buf, sizeof buf), "(none)");
    assert_err(revise(fx, &commander, id, "{\"body\":\"again\"}", &err), err, 409);

    assert_ok(update(fx, &commander, id, "{\"body\":\"新版正文（定稿）\"}", &err), err);
    action_ok(fx, &commander, id, "submit", NULL);
    action_ok(fx, &county_admin, id, "file", NULL);
    assert_string_equal(frozen_body(fx, id, 2, buf, sizeof buf), "新版正文（定稿）");
    assert_string_equal(frozen_body(fx, id, 1, buf, sizeof buf), "地震应急预案正文");
    assert_int_equal(count(fx, "SELECT count(*) FROM plan_versions WHERE plan_id = $1", id), 2);
}

/* ---- matching ---------------------------------------------------------------------------- */

static json_t *match(Fx *fx, const Actor *a, const char *type, const char *level, const char *div,
                     Error *err, int *rc)
{
    Arena arena = ARENA_INIT;
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    *rc = plans_match(c, &arena, a, type, level, div, 0, &out, err);
    store_release(fx->store, c);
    arena_free(&arena);
    return out;
}

static void test_match_ranking(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    int rc;
    /* filed, exact type, lists II, the town's parent county */
    json_int_t a = add_filed(fx, "A", "county", "620390", "[\"11B03\"]", "[\"II\"]", NULL);
    /* draft, exact type, not II, the town itself */
    json_int_t b = add_plan(fx, "B", "town", "620390100", "[\"11B03\"]", "[\"IV\"]", NULL);
    /* same class, same category, general */
    json_int_t c = add_filed(fx, "C", "county", "620390", "[\"11B00\"]", "[\"II\"]", NULL);
    json_int_t d = add_filed(fx, "D", "county", "620390", "[\"11000\"]", "[\"II\"]", NULL);
    json_int_t e = add_filed(fx, "E", "county", "620390", "[]", "[\"II\"]", NULL);
    /* another category; a sibling town: not candidates */
    add_filed(fx, "F", "county", "620390", "[\"12D01\"]", "[\"II\"]", NULL);
    add_plan(fx, "G", "town", "620390101", "[\"11B03\"]", "[\"II\"]", NULL);
    /* a village below the town, exact and II */
    json_int_t h = add_plan(fx, "H", "village", "620390100201", "[\"11B03\"]", "[\"II\"]", NULL);
    /* as A but a draft */
    json_int_t i = add_plan(fx, "I", "county", "620390", "[\"11B03\"]", "[\"II\"]", NULL);

    json_t *out = match(fx, &county_admin, "11B03", "重大", "620390100", &err, &rc);
    assert_ok(rc, err);
    json_int_t want[] = {a, i, h, b, c, d, e};
    json_t *items = json_object_get(out, "items");
    assert_int_equal(json_array_size(items), 7);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 7);
    for (size_t k = 0; k < 7; k++) {
        json_t *it = json_array_get(items, k);
        if (json_integer_value(json_object_get(it, "id")) != want[k])
            print_error("position %zu: %s\n", k, json_string_value(json_object_get(it, "title")));
        assert_int_equal(json_integer_value(json_object_get(it, "id")), want[k]);
    }
    json_t *first = json_array_get(items, 0);
    json_t *m = json_object_get(first, "match");
    assert_string_equal(json_string_value(json_object_get(m, "event")), "exact");
    assert_string_equal(json_string_value(json_object_get(m, "division")), "ancestor");
    assert_true(json_is_true(json_object_get(m, "level")));
    assert_true(json_is_true(json_object_get(first, "filed")));
    /* the steps of level II only, by step */
    json_t *steps = json_object_get(first, "steps");
    assert_int_equal(json_array_size(steps), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 0), "step")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(steps, 1), "responsible_org")), "水务局");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(items, 4), "match"), "event")),
                        "class");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(items, 6), "match"), "event")),
                        "general");
    json_decref(out);

    /* the town's administrator sees only the town's and its villages' plans */
    out = match(fx, &town_admin, "11B03", "II", "620390100", &err, &rc);
    assert_ok(rc, err);
    items = json_object_get(out, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), h);
    json_decref(out);

    /* without a level every step comes, by level and step */
    json_int_t kk = add_plan(fx, "K", "county", "620390", "[\"11B03\"]", ALL_LEVELS, NULL);
    out = match(fx, &county_admin, "11B03", NULL, NULL, &err, &rc);
    assert_ok(rc, err);
    json_t *bsteps = NULL;
    size_t k;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), k, it)
    {
        if (json_integer_value(json_object_get(it, "id")) == kk)
            bsteps = json_object_get(it, "steps");
    }
    assert_int_equal(json_array_size(bsteps), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(bsteps, 0), "action")),
                        "启动");
    assert_string_equal(json_string_value(json_object_get(json_array_get(bsteps, 2), "level")),
                        "IV");
    json_decref(out);

    out = match(fx, &county_admin, "11B3", NULL, NULL, &err, &rc);
    assert_err(rc, err, 422);
    out = match(fx, &county_admin, "11B03", "V", NULL, &err, &rc);
    assert_err(rc, err, 422);
    out = match(fx, &county_admin, "11B03", NULL, "12x", &err, &rc);
    assert_err(rc, err, 422);
}

/* ---- statistics -------------------------------------------------------------------------- */

static json_t *stats(Fx *fx, const Actor *a, const char *parent, const char *kind, Error *err,
                     int *rc)
{
    Arena arena = ARENA_INIT;
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    *rc = plans_stats(c, &arena, a, parent, NULL, kind, "2026-01-01", &out, err);
    store_release(fx->store, c);
    arena_free(&arena);
    return out;
}

static json_t *row_of(json_t *out, const char *code)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(out, "items"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "code")), code) == 0)
            return r;
    }
    fail_msg("no row %s", code);
    return NULL;
}

static void test_stats_shares(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    int rc;
    /* 青石镇: filed on time, draft overdue, village plan filed on time (counts for the town) */
    add_filed(fx, "t1", "town", "620390100", "[]", "[\"IV\"]", "2026-06-01");
    add_plan(fx, "t2", "town", "620390100", "[]", "[\"IV\"]", "2025-06-01");
    add_filed(fx, "v1", "village", "620390100201", "[]", "[\"IV\"]", "2026-01-01");
    /* 河西镇: filed but overdue */
    add_filed(fx, "h1", "town", "620390101", "[]", "[\"IV\"]", "2025-12-31");
    /* the county itself */
    add_filed(fx, "c1", "county", "620390", "[]", "[\"IV\"]", "2027-01-01");

    json_t *out = stats(fx, &county_admin, "620390", NULL, &err, &rc);
    assert_ok(rc, err);
    json_t *t = json_object_get(out, "total");
    assert_int_equal(json_integer_value(json_object_get(t, "plans")), 5);
    assert_int_equal(json_integer_value(json_object_get(t, "filed")), 4);
    assert_true(json_real_value(json_object_get(t, "filed_pct")) == 80.0);
    assert_int_equal(json_integer_value(json_object_get(t, "on_time")), 3);
    assert_int_equal(json_integer_value(json_object_get(t, "overdue")), 2);
    json_t *q = row_of(out, "620390100");
    assert_int_equal(json_integer_value(json_object_get(q, "plans")), 3);
    assert_int_equal(json_integer_value(json_object_get(q, "filed")), 2);
    assert_true(json_real_value(json_object_get(q, "filed_pct")) == 66.6);
    assert_true(json_real_value(json_object_get(q, "on_time_pct")) == 66.6);
    assert_true(json_is_false(json_object_get(q, "meets_target")));
    json_t *h = row_of(out, "620390101");
    assert_true(json_real_value(json_object_get(h, "filed_pct")) == 100.0);
    assert_true(json_real_value(json_object_get(h, "on_time_pct")) == 0.0);
    json_t *l = row_of(out, "620390102");
    assert_int_equal(json_integer_value(json_object_get(l, "plans")), 0);
    assert_true(json_is_null(json_object_get(l, "filed_pct")));
    assert_true(json_is_null(json_object_get(l, "meets_target")));
    assert_int_equal(json_integer_value(json_object_get(out, "target_pct")), 100);
    json_decref(out);

    /* a kind filter, the town's own view, refusals */
    out = stats(fx, &county_admin, "620390", "overall", &err, &rc);
    assert_ok(rc, err);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "total"), "plans")),
                     0);
    json_decref(out);
    out = stats(fx, &town_admin, NULL, NULL, &err, &rc);
    assert_ok(rc, err);
    t = json_object_get(out, "total");
    assert_string_equal(json_string_value(json_object_get(t, "code")), "620390100");
    assert_int_equal(json_integer_value(json_object_get(t, "plans")), 3);
    assert_true(json_is_true(json_object_get(row_of(out, "620390100201"), "meets_target")));
    json_decref(out);
    out = stats(fx, &town_admin, "620390", NULL, &err, &rc);
    assert_err(rc, err, 404);
    out = stats(fx, &county_admin, "620390999", NULL, &err, &rc);
    assert_err(rc, err, 404);
    out = stats(fx, &county_admin, "12x", NULL, &err, &rc);
    assert_err(rc, err, 422);
    out = stats(fx, &county_admin, "620390", "nope", &err, &rc);
    assert_err(rc, err, 422);
}

/* ---- cases from incidents ---------------------------------------------------------------- */

static int case_from(Fx *fx, const Actor *a, const char *incident, const char *evaluation,
                     Error *err)
{
    Call c = {OP_CASE, &cases_entity, NULL, NULL, incident, evaluation, NULL};
    return run(fx, a, &c, err);
}

static void test_case_from_incident(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    const char *inc = "{\"id\":42,\"title\":\"青石镇危化品泄漏\",\"occurred_at\":"
                      "\"2026-03-01T02:00:00Z\",\"division_code\":\"620390100\",\"event_type\":"
                      "\"12D02\",\"deaths\":3,\"serious_injuries\":2,\"direct_loss_yuan\":"
                      "2500000,\"description\":\"储罐泄漏\",\"state\":\"closed\"}";
    assert_err(case_from(fx, &commander, inc, "  ", &err), err, 422);
    assert_err(case_from(fx, &commander, "{\"title\":\"x\"}", "评估", &err), err, 422);
    assert_err(case_from(fx, &other_admin, inc, "评估", &err), err, 403);
    assert_ok(case_from(fx, &commander, inc, "处置及时，但预警滞后", &err), err);

    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    int rc = cases_find_by_incident(c, &commander, 42, &out, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    assert_string_equal(json_string_value(json_object_get(out, "source")), "incident");
    assert_string_equal(json_string_value(json_object_get(out, "source_ref")), "incident:42");
    assert_string_equal(json_string_value(json_object_get(out, "grade")), "larger");
    assert_string_equal(json_string_value(json_object_get(out, "summary")), "储罐泄漏");
    assert_true(json_real_value(json_object_get(out, "direct_loss_wan")) == 250.0);
    assert_int_equal(json_integer_value(json_object_get(out, "injuries")), 2);
    json_decref(out);

    /* closing again updates the one case */
    const char *again = "{\"id\":42,\"title\":\"青石镇危化品泄漏事故\",\"occurred_at\":"
                        "\"2026-03-01T02:00:00Z\",\"division_code\":\"620390100\",\"grade\":"
                        "\"重大\"}";
    assert_ok(case_from(fx, &commander, again, "复盘后的评估", &err), err);
    assert_int_equal(count(fx, "SELECT count(*) FROM cases WHERE incident_id = $1", 42), 1);
    c = store_acquire(fx->store);
    rc = cases_find_by_incident(c, &commander, 42, &out, &err);
    assert_int_equal(cases_find_by_incident(c, &commander, 43, &out, &err), 1);
    store_release(fx->store, c);
    assert_ok(rc, err);
    assert_string_equal(json_string_value(json_object_get(out, "grade")), "major");
    assert_string_equal(json_string_value(json_object_get(out, "evaluation")), "复盘后的评估");
    json_decref(out);

    /* the case library's own checks */
    Call bad = {OP_CREATE,
                &cases_entity,
                NULL,
                NULL,
                "{\"title\":\"x\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"division_code\":"
                "\"620390\",\"event_type\":\"ABCDE\"}",
                NULL,
                NULL};
    assert_err(run(fx, &county_admin, &bad, &err), err, 422);
    json_int_t id = create_ok(fx, &county_admin, &cases_entity,
                              "{\"title\":\"y\",\"occurred_at\":\"2026-01-01T00:00:00Z\","
                              "\"division_code\":\"620390\",\"deaths\":30}");
    out = get(fx, &cases_entity, id);
    assert_string_equal(json_string_value(json_object_get(out, "grade")), "extraordinary");
    assert_string_equal(json_string_value(json_object_get(out, "source")), "report");
    json_decref(out);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        BOTH(test_filing_workflow),
        BOTH(test_structured_validation),
        BOTH(test_revision_freezes_old_text),
        BOTH(test_match_ranking),
        BOTH(test_stats_shares),
        BOTH(test_case_from_incident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
