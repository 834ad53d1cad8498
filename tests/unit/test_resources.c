/* tests/unit/test_resources — the resources module below the HTTP layer: teams' member
 * counts through member creates, moves, deletes, CSV imports and concurrent writers; members
 * take their team's division and follow it; a team outside the writer's jurisdiction is
 * refused; team deletion rules; equipment owner defaulting; the shelter occupancy rules; and
 * the per-capita shelter analysis against figures computed by hand.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/log.h"
#include "modules/divisions/divisions.h"
#include "modules/resources/resources.h"
#include "modules/resources/resources_internal.h"

#include <math.h>
#include <pthread.h>

#define PG_SCHEMA "yj_resources_test"
#define POOL 4

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
} Fx;

static const Actor county_admin = {1, "county", ROLE_ADMIN, "620390", 0};
static const Actor town_duty = {2, "town1", ROLE_DUTY_OFFICER, "620390100", 0};

/* ---- writing through the engine ---------------------------------------------------------- */

typedef struct WriteCtx {
    const Entity *e;
    const char *json;
    const char *key; /* update when set */
    json_t *out;
} WriteCtx;

static int write_tx(Tx *tx, void *ctx, Error *err)
{
    WriteCtx *w = ctx;
    json_error_t jerr;
    json_t *in = json_loads(w->json, 0, &jerr);
    if (!in) {
        print_error("bad test JSON: %s\n", jerr.text);
        return error_internal(err, "bad test JSON");
    }
    int rc = w->key ? entity_update(tx, w->e, w->key, in, &w->out, err)
                    : entity_create(tx, w->e, in, &w->out, err);
    json_decref(in);
    return rc;
}

/* Creates (key NULL) or updates a record; returns its id (create) or 0, -1 on failure. */
static json_int_t put(Fx *fx, const Actor *a, const Entity *e, const char *key, const char *json,
                      Error *err)
{
    Arena arena = ARENA_INIT;
    WriteCtx w = {e, json, key, NULL};
    int rc = tx_run(fx->store, a, &arena, write_tx, &w, err);
    arena_free(&arena);
    json_int_t id = rc == 0 ? json_integer_value(json_object_get(w.out, "id")) : -1;
    json_decref(w.out);
    return rc < 0 ? -1 : id;
}

static json_int_t create_ok(Fx *fx, const Actor *a, const Entity *e, const char *json)
{
    Error err = ERROR_INIT;
    json_int_t id = put(fx, a, e, NULL, json, &err);
    if (id < 0) {
        print_error("create %s %s: [%d %s] %s\n", e->table, json, err.status, err.code,
                    err.message_en);
        if (err.fields) {
            char *f = json_dumps(err.fields, 0);
            print_error("  fields %s\n", f);
            free(f);
        }
        fail();
    }
    return id;
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

static json_int_t int_field(Fx *fx, const Entity *e, json_int_t id, const char *field)
{
    json_t *r = get(fx, e, id);
    json_int_t v = json_integer_value(json_object_get(r, field));
    json_decref(r);
    return v;
}

static const char *str_field(Fx *fx, const Entity *e, json_int_t id, const char *field, char *buf,
                             size_t n)
{
    json_t *r = get(fx, e, id);
    const char *s = json_string_value(json_object_get(r, field));
    snprintf(buf, n, "%s", s ? s : "(null)");
    json_decref(r);
    return buf;
}

typedef int (*KeyFn)(Tx *tx, const char *id, Error *err);
typedef struct KeyCtx {
    KeyFn fn;
    char key[32];
} KeyCtx;

static int key_tx(Tx *tx, void *ctx, Error *err)
{
    KeyCtx *k = ctx;
    return k->fn(tx, k->key, err);
}

static int run_key(Fx *fx, const Actor *a, KeyFn fn, json_int_t id, Error *err)
{
    Arena arena = ARENA_INIT;
    KeyCtx k = {fn, ""};
    snprintf(k.key, sizeof k.key, "%lld", (long long)id);
    int rc = tx_run(fx->store, a, &arena, key_tx, &k, err);
    arena_free(&arena);
    return rc;
}

/* The demo county's skeleton: 62 > 6203 > 620390 > two towns > a village in town 1. */
static void add_divisions(Fx *fx)
{
    static const char *const rows[] = {
        "{\"code\":\"62\",\"name\":\"甘肃省\"}",
        "{\"code\":\"6203\",\"name\":\"金昌市\"}",
        "{\"code\":\"620390\",\"name\":\"云岭县\",\"population\":30000}",
        "{\"code\":\"620390100\",\"name\":\"青石镇\",\"population\":10000}",
        "{\"code\":\"620390101\",\"name\":\"河西镇\",\"population\":20000}",
        "{\"code\":\"620390102\",\"name\":\"柳泉镇\"}",
        "{\"code\":\"620390100201\",\"name\":\"王家沟村\",\"population\":2000}",
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

static const char *team_json(char *buf, size_t n, const char *name, const char *division)
{
    snprintf(buf, n,
             "{\"name\":\"%s\",\"kind\":\"professional\",\"division_code\":\"%s\","
             "\"lon\":102.3,\"lat\":38.4}",
             name, division);
    return buf;
}

static json_int_t add_team(Fx *fx, const char *name, const char *division)
{
    char buf[256];
    return create_ok(fx, &actor_system, &teams_entity, team_json(buf, sizeof buf, name, division));
}

static json_int_t add_member(Fx *fx, const Actor *a, json_int_t team, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"team_id\":%lld,\"name\":\"%s\",\"role\":\"队员\"}",
             (long long)team, name);
    return create_ok(fx, a, &team_members_entity, buf);
}

/* ---- teams and members ------------------------------------------------------------------- */

static void test_member_count_follows_members(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char buf[64];
    json_int_t a = add_team(fx, "甲队", "620390"), b = add_team(fx, "乙队", "620390100");
    assert_int_equal(int_field(fx, &teams_entity, a, "member_count"), 0);
    assert_string_not_equal(str_field(fx, &teams_entity, a, "status_updated_at", buf, sizeof buf),
                            "(null)");
    json_int_t m1 = add_member(fx, &county_admin, a, "张三");
    add_member(fx, &county_admin, a, "李四");
    json_int_t m3 = add_member(fx, &county_admin, b, "王五");
    assert_int_equal(int_field(fx, &teams_entity, a, "member_count"), 2);
    assert_int_equal(int_field(fx, &teams_entity, b, "member_count"), 1);
    /* the member's division is its team's, whatever the writer's */
    assert_string_equal(str_field(fx, &team_members_entity, m3, "division_code", buf, sizeof buf),
                        "620390100");
    assert_string_equal(str_field(fx, &team_members_entity, m1, "division_code", buf, sizeof buf),
                        "620390");
    /* a member cannot be given a division: it is read-only */
    assert_err(put(fx, &county_admin, &team_members_entity, NULL,
                   "{\"team_id\":1,\"name\":\"赵六\",\"division_code\":\"620390101\"}", &err),
               err, 422);

    /* moving a member changes both counts */
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)m1);
    snprintf(buf, sizeof buf, "{\"team_id\":%lld}", (long long)b);
    assert_ok(put(fx, &county_admin, &team_members_entity, key, buf, &err) < 0, err);
    assert_int_equal(int_field(fx, &teams_entity, a, "member_count"), 1);
    assert_int_equal(int_field(fx, &teams_entity, b, "member_count"), 2);
    assert_string_equal(str_field(fx, &team_members_entity, m1, "division_code", buf, sizeof buf),
                        "620390100");
    /* a change that keeps the team keeps the counts */
    assert_ok(put(fx, &county_admin, &team_members_entity, key, "{\"role\":\"班长\"}", &err) < 0,
              err);
    assert_int_equal(int_field(fx, &teams_entity, b, "member_count"), 2);

    /* deleting lowers it */
    assert_ok(run_key(fx, &county_admin, resources_delete_member, m1, &err), err);
    assert_int_equal(int_field(fx, &teams_entity, b, "member_count"), 1);
    assert_err(run_key(fx, &county_admin, resources_delete_member, m1, &err), err, 404);
}

static void test_members_follow_team_division(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char buf[64], key[32];
    json_int_t t = add_team(fx, "丙队", "620390100");
    json_int_t m = add_member(fx, &town_duty, t, "孙七");
    snprintf(key, sizeof key, "%lld", (long long)t);
    assert_ok(
        put(fx, &county_admin, &teams_entity, key, "{\"division_code\":\"620390101\"}", &err) < 0,
        err);
    assert_string_equal(str_field(fx, &team_members_entity, m, "division_code", buf, sizeof buf),
                        "620390101");
    /* the town user no longer sees the team: adding a member is refused on team_id */
    snprintf(buf, sizeof buf, "{\"team_id\":%lld,\"name\":\"周八\"}", (long long)t);
    assert_int_equal(put(fx, &town_duty, &team_members_entity, NULL, buf, &err), -1);
    assert_int_equal(err.status, 422);
    assert_non_null(json_object_get(err.fields, "team_id"));
    error_clear(&err);
    /* readiness changes stamp status_updated_at */
    char before[40], after[40];
    str_field(fx, &teams_entity, t, "status_updated_at", before, sizeof before);
    assert_ok(put(fx, &county_admin, &teams_entity, key, "{\"readiness\":\"deployed\"}", &err) < 0,
              err);
    str_field(fx, &teams_entity, t, "status_updated_at", after, sizeof after);
    assert_true(strcmp(after, before) >= 0);
}

static void test_team_delete_rules(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char buf[256];
    json_int_t t = add_team(fx, "丁队", "620390");
    json_int_t m = add_member(fx, &county_admin, t, "吴九");
    assert_int_equal(run_key(fx, &county_admin, resources_delete_team, t, &err), -1);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.code, "has_members");
    error_clear(&err);
    assert_ok(run_key(fx, &county_admin, resources_delete_member, m, &err), err);
    /* equipment of the team: the owner defaults to the team's name */
    snprintf(
        buf, sizeof buf,
        "{\"name\":\"冲锋舟\",\"kind\":\"water\",\"division_code\":\"620390\",\"team_id\":%lld}",
        (long long)t);
    json_int_t e = create_ok(fx, &county_admin, &equipment_entity, buf);
    char owner[64];
    assert_string_equal(str_field(fx, &equipment_entity, e, "owner", owner, sizeof owner), "丁队");
    assert_int_equal(int_field(fx, &equipment_entity, e, "quantity"), 1);
    assert_int_equal(run_key(fx, &county_admin, resources_delete_team, t, &err), -1);
    assert_string_equal(err.code, "has_equipment");
    error_clear(&err);
    /* a town user cannot hang equipment on a county team, nor delete it */
    snprintf(buf, sizeof buf,
             "{\"name\":\"水泵\",\"kind\":\"drainage\",\"division_code\":\"620390100\","
             "\"team_id\":%lld}",
             (long long)t);
    assert_err(put(fx, &town_duty, &equipment_entity, NULL, buf, &err), err, 422);
    assert_err(run_key(fx, &town_duty, resources_delete_team, t, &err), err, 404);
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)e);
    assert_ok(put(fx, &county_admin, &equipment_entity, key, "{\"team_id\":null}", &err) < 0, err);
    assert_ok(run_key(fx, &county_admin, resources_delete_team, t, &err), err);
}

/* Members imported from CSV count like members created one by one. */
typedef struct ImportCtx {
    const char *csv;
    ImportResult res;
} ImportCtx;

static int import_tx(Tx *tx, void *ctx, Error *err)
{
    ImportCtx *ic = ctx;
    return entity_import_csv(tx, &team_members_entity, ic->csv, strlen(ic->csv), &ic->res, err);
}

static void test_member_import_counts(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_int_t t = add_team(fx, "戊队", "620390100");
    char csv[512];
    snprintf(csv, sizeof csv,
             "所属队伍,姓名,队内职务,证书有效期至\n%lld,郑一,队员,2027-01-31\n%lld,郑二,队员,"
             "2027-02-28\n%lld,郑三,班长,\n",
             (long long)t, (long long)t, (long long)t);
    Arena arena = ARENA_INIT;
    ImportCtx ic = {csv, {0}};
    assert_ok(tx_run(fx->store, &town_duty, &arena, import_tx, &ic, &err), err);
    assert_int_equal(ic.res.rows_imported, 3);
    import_result_clear(&ic.res);
    assert_int_equal(int_field(fx, &teams_entity, t, "member_count"), 3);
    /* one bad date: nothing is imported, the line is reported */
    snprintf(csv, sizeof csv,
             "所属队伍,姓名,证书有效期至\n%lld,钱一,2027-01-31\n%lld,钱二,2027-02-30\n",
             (long long)t, (long long)t);
    ImportCtx bad = {csv, {0}};
    assert_int_equal(tx_run(fx->store, &town_duty, &arena, import_tx, &bad, &err), -1);
    assert_int_equal(err.status, 422);
    error_clear(&err);
    assert_int_equal(json_array_size(bad.res.row_errors), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(bad.res.row_errors, 0), "line")), 3);
    import_result_clear(&bad.res);
    arena_free(&arena);
    assert_int_equal(int_field(fx, &teams_entity, t, "member_count"), 3);
}

/* Concurrent writers adding members to one team never lose a count. */
typedef struct Worker {
    Fx *fx;
    json_int_t team;
    int n, failed;
} Worker;

static void *worker(void *arg)
{
    Worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"team_id\":%lld,\"name\":\"并发%d\"}", (long long)w->team, i);
        Error err = ERROR_INIT;
        if (put(w->fx, &county_admin, &team_members_entity, NULL, buf, &err) < 0) {
            w->failed++;
            error_clear(&err);
        }
    }
    return NULL;
}

static void test_concurrent_member_count(void **state)
{
    Fx *fx = fixture(state);
    json_int_t t = add_team(fx, "己队", "620390");
    enum { THREADS = 4, EACH = 10 };
    pthread_t th[THREADS];
    Worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (Worker){fx, t, EACH, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    int failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failed += w[i].failed;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(int_field(fx, &teams_entity, t, "member_count"), THREADS * EACH);
}

/* Opposite moves at the same time (A -> B and B -> A) neither deadlock nor miscount. */
typedef struct Mover {
    Fx *fx;
    json_int_t to;
    json_int_t members[8];
    int failed;
} Mover;

static void *mover(void *arg)
{
    Mover *m = arg;
    for (int i = 0; i < 8; i++) {
        char key[32], buf[64];
        snprintf(key, sizeof key, "%lld", (long long)m->members[i]);
        snprintf(buf, sizeof buf, "{\"team_id\":%lld}", (long long)m->to);
        Error err = ERROR_INIT;
        if (put(m->fx, &county_admin, &team_members_entity, key, buf, &err) < 0) {
            print_error("move: %s\n", err.message_en);
            m->failed++;
            error_clear(&err);
        }
    }
    return NULL;
}

static void test_concurrent_moves(void **state)
{
    Fx *fx = fixture(state);
    json_int_t a = add_team(fx, "庚队", "620390"), b = add_team(fx, "辛队", "620390");
    Mover ab = {fx, b, {0}, 0}, ba = {fx, a, {0}, 0};
    for (int i = 0; i < 8; i++) {
        ab.members[i] = add_member(fx, &county_admin, a, "甲");
        ba.members[i] = add_member(fx, &county_admin, b, "乙");
    }
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, mover, &ab), 0);
    assert_int_equal(pthread_create(&t2, NULL, mover, &ba), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(ab.failed + ba.failed, 0);
    assert_int_equal(int_field(fx, &teams_entity, a, "member_count"), 8);
    assert_int_equal(int_field(fx, &teams_entity, b, "member_count"), 8);
}

/* ---- shelters ---------------------------------------------------------------------------- */

static void test_shelter_occupancy_rules(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char buf[64], key[32];
    assert_err(put(fx, &county_admin, &shelters_entity, NULL,
                   "{\"name\":\"公园\",\"kind\":\"outdoor\",\"area_m2\":1000,\"division_code\":"
                   "\"620390100\",\"occupancy\":5}",
                   &err),
               err, 422);
    json_int_t s = create_ok(fx, &county_admin, &shelters_entity,
                             "{\"name\":\"公园\",\"kind\":\"outdoor\",\"area_m2\":1000,"
                             "\"capacity_people\":600,\"division_code\":\"620390100\"}");
    assert_string_equal(str_field(fx, &shelters_entity, s, "status", buf, sizeof buf), "standby");
    snprintf(key, sizeof key, "%lld", (long long)s);
    assert_ok(put(fx, &county_admin, &shelters_entity, key,
                  "{\"status\":\"open\",\"occupancy\":300}", &err) < 0,
              err);
    assert_string_equal(str_field(fx, &shelters_entity, s, "status", buf, sizeof buf), "open");
    assert_ok(put(fx, &county_admin, &shelters_entity, key, "{\"occupancy\":600}", &err) < 0, err);
    assert_string_equal(str_field(fx, &shelters_entity, s, "status", buf, sizeof buf), "full");
    /* closing with people inside is refused */
    assert_err(put(fx, &county_admin, &shelters_entity, key, "{\"status\":\"closed\"}", &err), err,
               422);
    assert_ok(put(fx, &county_admin, &shelters_entity, key,
                  "{\"status\":\"closed\",\"occupancy\":0}", &err) < 0,
              err);
}

/* ---- shelter analysis -------------------------------------------------------------------- */

static json_t *analysis(Fx *fx, const Actor *a, const char *parent, Error *err, int *rc)
{
    Arena arena = ARENA_INIT;
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    *rc = resources_shelter_analysis(c, &arena, a, parent, &out, err);
    store_release(fx->store, c);
    arena_free(&arena);
    return out;
}

static json_t *row_of(json_t *out, const char *code)
{
    json_t *items = json_object_get(out, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *r = json_array_get(items, i);
        if (strcmp(json_string_value(json_object_get(r, "code")), code) == 0)
            return r;
    }
    return NULL;
}

static double num(json_t *row, const char *k)
{
    return json_number_value(json_object_get(row, k));
}

static void add_shelter(Fx *fx, const char *division, double area, int capacity, const char *status)
{
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"name\":\"场所\",\"kind\":\"outdoor\",\"area_m2\":%.1f,\"capacity_people\":%d,"
             "\"division_code\":\"%s\",\"status\":\"%s\"}",
             area, capacity, division, status);
    create_ok(fx, &county_admin, &shelters_entity, buf);
}

static void test_shelter_analysis(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    int rc;
    /* 青石镇 (10,000 people): 9,000 at the town + 7,000 in its village = 16,000 ㎡ -> 1.6 */
    add_shelter(fx, "620390100", 9000, 6000, "standby");
    add_shelter(fx, "620390100201", 7000, 4600, "open");
    /* 河西镇 (20,000): 12,000 ㎡ -> 0.6, and a closed one that does not count */
    add_shelter(fx, "620390101", 12000, 8000, "standby");
    add_shelter(fx, "620390101", 50000, 30000, "closed");
    /* recorded at the county itself: in the total only */
    add_shelter(fx, "620390", 5000, 3000, "standby");

    json_t *out = analysis(fx, &county_admin, NULL, &err, &rc); /* default: own division */
    assert_ok(rc, err);
    assert_true(fabs(num(out, "target_m2") - 1.5) < 1e-9);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 3);
    json_t *q = row_of(out, "620390100"), *h = row_of(out, "620390101"),
           *l = row_of(out, "620390102");
    assert_non_null(q);
    assert_string_equal(json_string_value(json_object_get(q, "name")), "青石镇");
    assert_int_equal(json_integer_value(json_object_get(q, "population")), 10000);
    assert_true(fabs(num(q, "shelter_area_m2") - 16000) < 1e-6);
    assert_int_equal(json_integer_value(json_object_get(q, "shelter_count")), 2);
    assert_int_equal(json_integer_value(json_object_get(q, "capacity_people")), 10600);
    assert_true(fabs(num(q, "per_capita_m2") - 1.6) < 1e-9);
    assert_true(json_is_true(json_object_get(q, "meets_target")));
    assert_true(fabs(num(q, "shortfall_m2")) < 1e-9);
    assert_true(fabs(num(h, "shelter_area_m2") - 12000) < 1e-6);
    assert_true(fabs(num(h, "per_capita_m2") - 0.6) < 1e-9);
    assert_true(json_is_false(json_object_get(h, "meets_target")));
    assert_true(fabs(num(h, "shortfall_m2") - 18000) < 1e-6);
    /* no population: no ratio */
    assert_true(json_is_null(json_object_get(l, "population")));
    assert_true(json_is_null(json_object_get(l, "per_capita_m2")));
    assert_true(json_is_null(json_object_get(l, "meets_target")));
    /* the total: the county's population, every open shelter under it */
    json_t *t = json_object_get(out, "total");
    assert_string_equal(json_string_value(json_object_get(t, "code")), "620390");
    assert_int_equal(json_integer_value(json_object_get(t, "population")), 30000);
    assert_true(fabs(num(t, "shelter_area_m2") - 33000) < 1e-6);
    assert_true(fabs(num(t, "per_capita_m2") - 1.1) < 1e-9);
    json_decref(out);

    /* a town's villages */
    out = analysis(fx, &county_admin, "620390100", &err, &rc);
    assert_ok(rc, err);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
    assert_true(fabs(num(row_of(out, "620390100201"), "per_capita_m2") - 3.5) < 1e-9);
    assert_true(fabs(num(json_object_get(out, "total"), "shelter_area_m2") - 16000) < 1e-6);
    json_decref(out);

    /* the town user: its own town by default, nothing outside it */
    out = analysis(fx, &town_duty, "", &err, &rc);
    assert_ok(rc, err);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "total"), "code")),
                        "620390100");
    json_decref(out);
    out = analysis(fx, &town_duty, "620390", &err, &rc);
    assert_err(rc, err, 404);
    out = analysis(fx, &county_admin, "620390101", &err, &rc);
    assert_ok(rc, err);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 0);
    json_decref(out);
    out = analysis(fx, &county_admin, "620390999", &err, &rc);
    assert_err(rc, err, 404);
    out = analysis(fx, &county_admin, "12x", &err, &rc);
    assert_err(rc, err, 422);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        BOTH(test_member_count_follows_members),
        BOTH(test_members_follow_team_division),
        BOTH(test_team_delete_rules),
        BOTH(test_member_import_counts),
        BOTH(test_concurrent_member_count),
        BOTH(test_concurrent_moves),
        BOTH(test_shelter_occupancy_rules),
        BOTH(test_shelter_analysis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
