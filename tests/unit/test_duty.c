/* tests/unit/test_duty — the duty and tips modules below the HTTP layer: shift windows in
 * Asia/Shanghai time (across midnight, 24-hour shifts), who is on duty at given instants,
 * roster rules (one per organisation, date and shift; organisation inside the writer's
 * jurisdiction; usable accounts), handovers (from-person on the roster, to-person on the
 * next roster, open items carried over), tip numbers unique and gap-free under 8 concurrent
 * writers, and the tip workflow's refusals (state 409, role 403, input 422, jurisdiction
 * 404) with a 转办 that moves the tip out of the first town's sight.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "modules/accounts/accounts.h"
#include "modules/divisions/divisions.h"
#include "modules/duty/duty.h"
#include "modules/duty/duty_internal.h"
#include "modules/tips/tips.h"

#include <pthread.h>

#define PG_SCHEMA "yj_duty_test"
#define POOL 4
#define THREADS 8
#define PER_THREAD 10

typedef struct Fx {
    TEST_APP_FIELDS;                              /* first: tests/unit/test_app.h */
    json_int_t bureau, town_a, town_b;            /* orgs */
    json_int_t leader, off1, off2, town_off, off; /* users; off = inactive */
} Fx;

static const Actor county_admin = {1, "county", ROLE_ADMIN, "620390", 0};
static const Actor town_duty = {2, "town", ROLE_DUTY_OFFICER, "620390100", 0};
static const Actor inspector = {3, "insp", ROLE_INSPECTOR, "620390", 0};
static const Actor commander = {4, "cmd", ROLE_COMMANDER, "620390", 0};

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
        print_error("bad test JSON %s: %s\n", w->json, jerr.text);
        return error_internal(err, "bad test JSON");
    }
    int rc = w->key ? entity_update(tx, w->e, w->key, in, &w->out, err)
                    : entity_create(tx, w->e, in, &w->out, err);
    json_decref(in);
    return rc;
}

/* Creates (key NULL) or updates; *out (may be NULL) gets the record. */
static int put(Fx *fx, const Actor *a, const Entity *e, const char *key, const char *json,
               json_t **out, Error *err)
{
    Arena arena = ARENA_INIT;
    WriteCtx w = {e, json, key, NULL};
    int rc = tx_run(fx->store, a, &arena, write_tx, &w, err);
    arena_free(&arena);
    if (out)
        *out = w.out;
    else
        json_decref(w.out);
    return rc;
}

static json_t *put_ok(Fx *fx, const Actor *a, const Entity *e, const char *key, const char *json)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int rc = put(fx, a, e, key, json, &out, &err);
    if (rc < 0) {
        char *f = err.fields ? json_dumps(err.fields, 0) : NULL;
        print_error("write %s %s: [%d %s] %s %s\n", e->table, json, err.status, err.code,
                    err.message_en, f ? f : "");
        free(f);
        fail();
    }
    return out;
}

static json_int_t create_id(Fx *fx, const Actor *a, const Entity *e, const char *json)
{
    json_t *out = put_ok(fx, a, e, NULL, json);
    json_int_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return id;
}

/* Expects the write to fail with this status. */
static void put_fails(Fx *fx, const Actor *a, const Entity *e, const char *key, const char *json,
                      int status)
{
    Error err = ERROR_INIT;
    int rc = put(fx, a, e, key, json, NULL, &err);
    assert_err(rc, err, status);
}

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    static __thread char buf[8][2048];
    static __thread int slot;
    char *b = buf[slot++ % 8];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void populate(Fx *fx)
{
    static const char *const divs[] = {
        "{\"code\":\"62\",\"name\":\"甘肃省\"}",
        "{\"code\":\"6203\",\"name\":\"金昌市\"}",
        "{\"code\":\"620390\",\"name\":\"云岭县\"}",
        "{\"code\":\"620390100\",\"name\":\"青石镇\"}",
        "{\"code\":\"620390101\",\"name\":\"河西镇\"}",
    };
    for (size_t i = 0; i < sizeof divs / sizeof divs[0]; i++)
        json_decref(put_ok(fx, &actor_system, &divisions_entity, NULL, divs[i]));
    fx->bureau = create_id(fx, &actor_system, &orgs_entity,
                           "{\"name\":\"云岭县应急管理局\",\"kind\":\"emergency_bureau\","
                           "\"division_code\":\"620390\"}");
    fx->town_a = create_id(fx, &actor_system, &orgs_entity,
                           "{\"name\":\"青石镇应急管理所\",\"kind\":\"town_office\","
                           "\"division_code\":\"620390100\"}");
    fx->town_b = create_id(fx, &actor_system, &orgs_entity,
                           "{\"name\":\"河西镇应急管理所\",\"kind\":\"town_office\","
                           "\"division_code\":\"620390101\"}");
    const char *user = "{\"username\":\"%s\",\"display_name\":\"%s\",\"role\":\"duty_officer\","
                       "\"division_code\":\"%s\",\"phone\":\"%s\",\"active\":%s}";
    fx->leader = create_id(fx, &actor_system, &users_entity,
                           fmt(user, "leader", "王局长", "620390", "13900000001", "true"));
    fx->off1 = create_id(fx, &actor_system, &users_entity,
                         fmt(user, "off1", "张一", "620390", "13900000002", "true"));
    fx->off2 = create_id(fx, &actor_system, &users_entity,
                         fmt(user, "off2", "李二", "620390", "13900000003", "true"));
    fx->town_off = create_id(fx, &actor_system, &users_entity,
                             fmt(user, "townoff", "马三", "620390100", "13900000004", "true"));
    fx->off = create_id(fx, &actor_system, &users_entity,
                        fmt(user, "gone", "赵四", "620390", "13900000005", "false"));
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, POOL);
    *state = fx;
    populate(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, POOL);
    *state = fx;
    if (!fx)
        return 0;
    populate(fx);
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

static int64_t iso(const char *s)
{
    int64_t t = 0;
    assert_int_equal(clock_parse_iso(s, &t), 0);
    return t;
}

/* ---- shift windows ----------------------------------------------------------------------- */

static void expect_window(const char *date, const char *shift, const char *start, const char *end,
                          const char *from, const char *to)
{
    int64_t f, t;
    assert_int_equal(duty_shift_window(date, shift, start, end, &f, &t), 0);
    assert_int_equal(f, iso(from));
    assert_int_equal(t, iso(to));
}

static void test_shift_windows(void **state)
{
    (void)state;
    /* local 08:00–18:00 is 00:00–10:00 UTC */
    expect_window("2026-11-23", "day", NULL, NULL, "2026-11-23T00:00:00Z", "2026-11-23T10:00:00Z");
    /* night 18:00 → next morning 08:00 crosses local midnight */
    expect_window("2026-11-23", "night", NULL, NULL, "2026-11-23T10:00:00Z",
                  "2026-11-24T00:00:00Z");
    expect_window("2026-11-23", "24h", NULL, NULL, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z");
    expect_window("2026-11-23", "night", "22:00", "06:30", "2026-11-23T14:00:00Z",
                  "2026-11-23T22:30:00Z");
    /* a local 00:30 start is the previous UTC day */
    expect_window("2026-12-31", "day", "00:30", "09:00", "2026-12-30T16:30:00Z",
                  "2026-12-31T01:00:00Z");
    int64_t f, t;
    assert_int_equal(duty_shift_window("2026-11-23", "day", "25:00", NULL, &f, &t), -1);
    assert_int_equal(duty_shift_window("2026-11-23", "noon", NULL, NULL, &f, &t), -1);
    assert_int_equal(duty_shift_window("2026-13-01", "day", NULL, NULL, &f, &t), -1);
    char d[16];
    duty_local_date(iso("2026-11-23T16:30:00Z"), d, sizeof d); /* 00:30 on the 24th locally */
    assert_string_equal(d, "2026-11-24");
    duty_local_date(iso("2026-11-23T15:59:59Z"), d, sizeof d);
    assert_string_equal(d, "2026-11-23");
}

/* ---- rosters and who is on duty ---------------------------------------------------------- */

static json_int_t roster(Fx *fx, json_int_t org, const char *date, const char *shift,
                         json_int_t officer)
{
    return create_id(fx, &county_admin, &duty_rosters_entity,
                     fmt("{\"org_id\":%lld,\"date\":\"%s\",\"shift\":\"%s\","
                         "\"leader_user_id\":%lld,\"officers\":[{\"user_id\":%lld},"
                         "{\"name\":\"临时值班员\",\"phone\":\"0935-1\"}]}",
                         (long long)org, date, shift, (long long)fx->leader, (long long)officer));
}

static json_t *now_at(Fx *fx, const Actor *a, json_int_t org, const char *at, Error *err, int *rc)
{
    Arena arena = ARENA_INIT;
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    *rc = duty_now(c, &arena, a, org, iso(at), &out, err);
    store_release(fx->store, c);
    arena_free(&arena);
    return out;
}

/* The roster ids on duty at `at`, as "id,id,…" in the answer's order. */
static const char *on_duty(Fx *fx, const Actor *a, json_int_t org, const char *at)
{
    Error err = ERROR_INIT;
    int rc;
    json_t *out = now_at(fx, a, org, at, &err, &rc);
    assert_ok(rc, err);
    static __thread char buf[256];
    buf[0] = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), i, it)
    {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%lld", i ? "," : "",
                 (long long)json_integer_value(json_object_get(it, "roster_id")));
    }
    json_decref(out);
    return buf;
}

static void test_on_duty_now(void **state)
{
    Fx *fx = fixture(state);
    json_int_t day23 = roster(fx, fx->bureau, "2026-11-23", "day", fx->off1);
    json_int_t night23 = roster(fx, fx->bureau, "2026-11-23", "night", fx->off2);
    json_int_t day24 = roster(fx, fx->bureau, "2026-11-24", "day", fx->off1);
    json_int_t town23 = roster(fx, fx->town_a, "2026-11-23", "24h", fx->town_off);
    json_int_t night22 = roster(fx, fx->bureau, "2026-11-22", "night", fx->off1);

    /* 2026-11-23 11:00 local */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-23T03:00:00Z"),
                        fmt("%lld,%lld", (long long)day23, (long long)town23));
    /* 07:59 local on the 23rd: yesterday's night shift, not yet the day shift */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-22T23:59:00Z"),
                        fmt("%lld", (long long)night22));
    /* 23:30 local */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-23T15:30:00Z"),
                        fmt("%lld,%lld", (long long)night23, (long long)town23));
    /* 00:30 local on the 24th: the night of the 23rd and the town's 24-hour shift go on */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-23T16:30:00Z"),
                        fmt("%lld,%lld", (long long)night23, (long long)town23));
    /* 07:59:59 local on the 24th */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-23T23:59:59Z"),
                        fmt("%lld,%lld", (long long)night23, (long long)town23));
    /* 08:00 local on the 24th: the new day shift; the town has no roster that day */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-24T00:00:00Z"),
                        fmt("%lld", (long long)day24));
    /* 18:00 local on the 24th: nobody (no night roster) */
    assert_string_equal(on_duty(fx, &county_admin, 0, "2026-11-24T10:00:00Z"), "");

    /* jurisdiction: the town sees its own office only; an org outside it is 404 */
    assert_string_equal(on_duty(fx, &town_duty, 0, "2026-11-23T03:00:00Z"),
                        fmt("%lld", (long long)town23));
    assert_string_equal(on_duty(fx, &county_admin, fx->bureau, "2026-11-23T03:00:00Z"),
                        fmt("%lld", (long long)day23));
    Error err = ERROR_INIT;
    int rc;
    json_t *out = now_at(fx, &town_duty, fx->bureau, "2026-11-23T03:00:00Z", &err, &rc);
    assert_null(out);
    assert_err(rc, err, 404);

    /* the answer's people: the leader and officers with names and phones */
    out = now_at(fx, &county_admin, fx->bureau, "2026-11-23T03:00:00Z", &err, &rc);
    assert_ok(rc, err);
    json_t *it = json_array_get(json_object_get(out, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it, "org_name")), "云岭县应急管理局");
    assert_string_equal(json_string_value(json_object_get(it, "starts_at")),
                        "2026-11-23T00:00:00Z");
    json_t *leader = json_object_get(it, "leader");
    assert_string_equal(json_string_value(json_object_get(leader, "name")), "王局长");
    assert_string_equal(json_string_value(json_object_get(leader, "phone")), "13900000001");
    json_t *officers = json_object_get(it, "officers");
    assert_int_equal(json_array_size(officers), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(officers, 0), "name")),
                        "张一");
    assert_true(json_is_null(json_object_get(json_array_get(officers, 1), "user_id")));
    json_decref(out);
}

static void test_roster_rules(void **state)
{
    Fx *fx = fixture(state);
    json_int_t r = roster(fx, fx->town_a, "2026-11-23", "24h", fx->town_off);
    json_t *got = put_ok(fx, &county_admin, &duty_rosters_entity, fmt("%lld", (long long)r),
                         "{\"remarks\":\"x\"}");
    assert_string_equal(json_string_value(json_object_get(got, "division_code")), "620390100");
    assert_string_equal(json_string_value(json_object_get(got, "start_time")), "08:00");
    assert_string_equal(json_string_value(json_object_get(got, "officer_names")),
                        "马三、临时值班员");
    json_decref(got);
    const char *base = "{\"org_id\":%lld,\"date\":\"%s\",\"shift\":\"%s\",\"leader_name\":\"甲\","
                       "\"officers\":%s}";
    /* the same org, date and shift twice */
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->town_a, "2026-11-23", "24h", "[{\"name\":\"乙\"}]"), 409);
    /* ... also by moving another roster onto it */
    json_int_t r2 =
        create_id(fx, &county_admin, &duty_rosters_entity,
                  fmt(base, (long long)fx->town_a, "2026-11-24", "24h", "[{\"name\":\"乙\"}]"));
    put_fails(fx, &county_admin, &duty_rosters_entity, fmt("%lld", (long long)r2),
              "{\"date\":\"2026-11-23\"}", 409);
    /* an organisation outside the town's jurisdiction */
    put_fails(fx, &town_duty, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->town_b, "2026-11-25", "24h", "[{\"name\":\"乙\"}]"), 422);
    /* an inactive account, an unknown one, nobody, a duplicate, a bad time, no leader */
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->bureau, "2026-11-25", "day",
                  fmt("[{\"user_id\":%lld}]", (long long)fx->off)),
              422);
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->bureau, "2026-11-25", "day", "[{\"user_id\":999999}]"), 422);
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->bureau, "2026-11-25", "day", "[]"), 422);
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->bureau, "2026-11-25", "day",
                  "[{\"name\":\"乙\"},{\"name\":\"乙\"}]"),
              422);
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt("{\"org_id\":%lld,\"date\":\"2026-11-25\",\"shift\":\"day\",\"leader_name\":"
                  "\"甲\",\"start_time\":\"8:00\",\"officers\":[{\"name\":\"乙\"}]}",
                  (long long)fx->bureau),
              422);
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt("{\"org_id\":%lld,\"date\":\"2026-11-25\",\"shift\":\"day\","
                  "\"officers\":[{\"name\":\"乙\"}]}",
                  (long long)fx->bureau),
              422);
    /* a town account may not stand on the county's roster of another town */
    put_fails(fx, &county_admin, &duty_rosters_entity, NULL,
              fmt(base, (long long)fx->town_b, "2026-11-25", "24h",
                  fmt("[{\"user_id\":%lld}]", (long long)fx->town_off)),
              422);
}

/* ---- handovers --------------------------------------------------------------------------- */

static json_t *handover(Fx *fx, json_int_t roster_id, json_int_t from, json_int_t to,
                        const char *at, const char *items)
{
    return put_ok(fx, &county_admin, &duty_handovers_entity, NULL,
                  fmt("{\"roster_id\":%lld,\"from_user_id\":%lld,\"to_user_id\":%lld,\"at\":\"%s\","
                      "\"summary\":\"平稳\",\"open_items\":%s}",
                      (long long)roster_id, (long long)from, (long long)to, at, items));
}

static const char *item_texts(json_t *h)
{
    static __thread char buf[512];
    buf[0] = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(h, "open_items"), i, it)
    {
        size_t n = strlen(buf);
        json_int_t from = json_integer_value(json_object_get(it, "carried_from"));
        snprintf(buf + n, sizeof buf - n, "%s%s%s%s", i ? "," : "",
                 json_string_value(json_object_get(it, "text")),
                 json_is_true(json_object_get(it, "done")) ? "+" : "",
                 from ? fmt("<%lld", (long long)from) : "");
    }
    return buf;
}

static void test_handover_carry_over(void **state)
{
    Fx *fx = fixture(state);
    json_int_t day = roster(fx, fx->bureau, "2026-11-23", "day", fx->off1);
    json_int_t night = roster(fx, fx->bureau, "2026-11-23", "night", fx->off2);
    json_int_t next = roster(fx, fx->bureau, "2026-11-24", "day", fx->off1);

    json_t *h1 = handover(fx, day, fx->off1, fx->off2, "2026-11-23T10:00:00Z",
                          "[{\"text\":\"a\",\"done\":false},{\"text\":\"b\",\"done\":true}]");
    json_int_t id1 = json_integer_value(json_object_get(h1, "id"));
    assert_string_equal(item_texts(h1), "a,b+");
    assert_int_equal(json_integer_value(json_object_get(h1, "carried_count")), 0);
    assert_int_equal(json_integer_value(json_object_get(h1, "org_id")), fx->bureau);
    assert_string_equal(json_string_value(json_object_get(h1, "from_name")), "张一");

    /* the next handover gets "a" (not done), not "b" (done) */
    json_t *h2 =
        handover(fx, night, fx->off2, fx->off1, "2026-11-24T00:00:00Z", "[{\"text\":\"c\"}]");
    json_int_t id2 = json_integer_value(json_object_get(h2, "id"));
    assert_string_equal(item_texts(h2), fmt("c,a<%lld", (long long)id1));
    assert_int_equal(json_integer_value(json_object_get(h2, "carried_count")), 1);
    assert_int_equal(json_integer_value(json_object_get(h2, "prev_handover_id")), id1);

    /* an item listed again is not doubled; its origin stays the first handover */
    json_t *h3 = handover(fx, next, fx->off1, fx->off2, "2026-11-24T10:00:00Z",
                          "[{\"text\":\"a\",\"done\":true}]");
    json_int_t id3 = json_integer_value(json_object_get(h3, "id"));
    assert_string_equal(item_texts(h3), fmt("a+,c<%lld", (long long)id2));

    /* marking "c" done on h3 (PATCH) stops it travelling further */
    json_decref(put_ok(fx, &county_admin, &duty_handovers_entity, fmt("%lld", (long long)id3),
                       "{\"open_items\":[{\"text\":\"a\",\"done\":true},"
                       "{\"text\":\"c\",\"done\":true}]}"));
    json_t *h4 = handover(fx, next, fx->off1, fx->off2, "2026-11-24T10:05:00Z", "[]");
    assert_string_equal(item_texts(h4), "");
    assert_int_equal(json_integer_value(json_object_get(h4, "prev_handover_id")), id3);

    /* from someone not on the roster; to someone not on the next roster; to oneself */
    const char *bad = "{\"roster_id\":%lld,\"from_user_id\":%lld,\"to_user_id\":%lld,"
                      "\"summary\":\"x\"}";
    put_fails(fx, &county_admin, &duty_handovers_entity, NULL,
              fmt(bad, (long long)day, (long long)fx->off2, (long long)fx->off1), 422);
    put_fails(fx, &county_admin, &duty_handovers_entity, NULL,
              fmt(bad, (long long)day, (long long)fx->off1, (long long)fx->town_off), 422);
    put_fails(fx, &county_admin, &duty_handovers_entity, NULL,
              fmt(bad, (long long)next, (long long)fx->off1, (long long)fx->off1), 422);
    /* by name: the roster's named officer may hand over */
    json_decref(put_ok(fx, &county_admin, &duty_handovers_entity, NULL,
                       fmt("{\"roster_id\":%lld,\"from_name\":\"临时值班员\",\"to_user_id\":%lld,"
                           "\"summary\":\"x\",\"at\":\"2026-11-23T09:00:00Z\"}",
                           (long long)day, (long long)fx->off2)));
    /* bad items */
    put_fails(fx, &county_admin, &duty_handovers_entity, NULL,
              fmt("{\"roster_id\":%lld,\"from_user_id\":%lld,\"to_user_id\":%lld,\"summary\":\"x\","
                  "\"open_items\":[{\"text\":\"\"}]}",
                  (long long)day, (long long)fx->off1, (long long)fx->off2),
              422);
    /* a roster with handovers stays */
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    Tx tx;
    assert_ok(tx_begin(&tx, c, &county_admin, &arena, &err), err);
    int rc = duty_delete_roster(&tx, fmt("%lld", (long long)day), &err);
    tx_rollback(&tx);
    store_release(fx->store, c);
    arena_free(&arena);
    assert_err(rc, err, 409);
    /* ... nor moved to another organisation */
    put_fails(fx, &county_admin, &duty_rosters_entity, fmt("%lld", (long long)day),
              fmt("{\"org_id\":%lld}", (long long)fx->town_a), 409);
    json_decref(h1);
    json_decref(h2);
    json_decref(h3);
    json_decref(h4);
}

/* ---- tips -------------------------------------------------------------------------------- */

typedef struct TipWorker {
    Fx *fx;
    int failures;
} TipWorker;

static void *tip_worker(void *arg)
{
    TipWorker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        Error err = ERROR_INIT;
        if (put(w->fx, &county_admin, &tips_entity, NULL,
                "{\"source\":\"hotline\",\"content\":\"并发登记\",\"division_code\":\"620390100\"}",
                NULL, &err) < 0) {
            print_error("tip create: %s\n", err.message_en);
            error_clear(&err);
            w->failures++;
        }
    }
    return NULL;
}

static int64_t query_int(Fx *fx, const char *sql)
{
    Error err = ERROR_INIT;
    int64_t v = -1;
    StoreConn *c = store_acquire(fx->store);
    int rc = store_query_int(c, sql, NULL, 0, &v, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    return v;
}

static void test_tip_numbers_concurrent(void **state)
{
    Fx *fx = fixture(state);
    pthread_t th[THREADS];
    TipWorker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (TipWorker){fx, 0};
        assert_int_equal(pthread_create(&th[i], NULL, tip_worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    int n = THREADS * PER_THREAD;
    assert_int_equal(query_int(fx, "SELECT count(*) FROM tips"), n);
    assert_int_equal(query_int(fx, "SELECT count(DISTINCT number) FROM tips"), n);
    /* gap-free: the day's numbers are exactly 1..n */
    char today[16], prefix[32];
    int64_t now = clock_now();
    duty_local_date(now, today, sizeof today);
    snprintf(prefix, sizeof prefix, "JB%.4s%.2s%.2s-", today, today + 5, today + 8);
    assert_int_equal(
        query_int(fx, fmt("SELECT count(*) FROM tips WHERE number LIKE '%s%%'", prefix)), n);
    assert_int_equal(
        query_int(fx, fmt("SELECT count(*) FROM tips WHERE number = '%s%04d'", prefix, n)), 1);
    assert_int_equal(
        query_int(fx, fmt("SELECT count(*) FROM tips WHERE number = '%s0001'", prefix)), 1);
    /* a tip received on another (local) day takes that day's sequence */
    json_t *t =
        put_ok(fx, &county_admin, &tips_entity, NULL,
               "{\"source\":\"letter\",\"content\":\"来信\",\"division_code\":\"620390100\","
               "\"received_at\":\"2026-01-01T17:00:00Z\"}");
    assert_string_equal(json_string_value(json_object_get(t, "number")), "JB20260102-0001");
    json_decref(t);
}

typedef struct ActCtx {
    const char *key, *action, *input;
    json_t *out;
} ActCtx;

static int act_tx(Tx *tx, void *ctx, Error *err)
{
    ActCtx *a = ctx;
    json_t *in = a->input ? json_loads(a->input, 0, NULL) : NULL;
    int rc = tips_act(tx, a->key, a->action, in, &a->out, err);
    json_decref(in);
    return rc;
}

static int act(Fx *fx, const Actor *actor, json_int_t id, const char *action, const char *input,
               json_t **out, Error *err)
{
    Arena arena = ARENA_INIT;
    ActCtx a = {fmt("%lld", (long long)id), action, input, NULL};
    int rc = tx_run(fx->store, actor, &arena, act_tx, &a, err);
    arena_free(&arena);
    if (out)
        *out = a.out;
    else
        json_decref(a.out);
    return rc;
}

static void act_fails(Fx *fx, const Actor *actor, json_int_t id, const char *action,
                      const char *input, int status)
{
    Error err = ERROR_INIT;
    int rc = act(fx, actor, id, action, input, NULL, &err);
    assert_err(rc, err, status);
}

static json_t *act_ok(Fx *fx, const Actor *actor, json_int_t id, const char *action,
                      const char *input)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int rc = act(fx, actor, id, action, input, &out, &err);
    assert_ok(rc, err);
    return out;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(null)";
}

static void test_tip_workflow(void **state)
{
    Fx *fx = fixture(state);
    json_int_t id = create_id(fx, &town_duty, &tips_entity,
                              "{\"source\":\"phone\",\"content\":\"砂石场夜间违规作业\","
                              "\"tipster_name\":\"王先生\",\"tipster_phone\":\"13700000000\"}");
    /* the town's tip lies in the town (division from the writer) */
    json_t *t = put_ok(fx, &town_duty, &tips_entity, fmt("%lld", (long long)id), "{}");
    assert_string_equal(str(t, "division_code"), "620390100");
    assert_string_equal(str(t, "status"), "received");
    json_decref(t);
    /* division is fixed; anonymous with a name is refused */
    put_fails(fx, &town_duty, &tips_entity, fmt("%lld", (long long)id),
              "{\"division_code\":\"620390101\"}", 422);
    put_fails(fx, &town_duty, &tips_entity, NULL,
              "{\"source\":\"phone\",\"content\":\"x\",\"anonymous\":true,\"tipster_name\":\"王\"}",
              422);

    act_fails(fx, &county_admin, id, "handle", "{\"result\":\"x\",\"verified\":true}", 409);
    act_fails(fx, &inspector, id, "assign", fmt("{\"org_id\":%lld}", (long long)fx->town_a), 403);
    act_fails(fx, &county_admin, id, "assign", "{}", 422);
    act_fails(fx, &county_admin, id, "assign", "{\"org_id\":\"x\"}", 422);
    act_fails(fx, &county_admin, id, "assign",
              fmt("{\"org_id\":%lld,\"surprise\":1}", (long long)fx->town_a), 422);
    act_fails(fx, &county_admin, id, "assign", "{\"org_id\":999999}", 422);
    /* 交办 stays inside the actor's jurisdiction */
    act_fails(fx, &town_duty, id, "assign", fmt("{\"org_id\":%lld}", (long long)fx->town_b), 422);
    /* refusals changed nothing */
    assert_int_equal(query_int(fx, "SELECT count(*) FROM workflow_history WHERE entity = 'tips'"),
                     0);

    t = act_ok(fx, &town_duty, id, "assign",
               fmt("{\"org_id\":%lld,\"note\":\"请核查\",\"due_date\":\"2026-12-01\"}",
                   (long long)fx->town_a));
    assert_string_equal(str(t, "status"), "assigned");
    assert_string_equal(str(t, "assigned_org_name"), "青石镇应急管理所");
    assert_string_equal(str(t, "due_date"), "2026-12-01");
    json_decref(t);

    /* 转办 to the other town moves the tip out of the first town's sight */
    t = act_ok(fx, &town_duty, id, "transfer",
               fmt("{\"org_id\":%lld,\"note\":\"属河西镇辖区\"}", (long long)fx->town_b));
    assert_string_equal(str(t, "status"), "transferred");
    assert_string_equal(str(t, "division_code"), "620390101");
    assert_string_equal(str(t, "transferred_from"), "620390100");
    json_decref(t);
    act_fails(fx, &town_duty, id, "handle", "{\"result\":\"x\",\"verified\":true}", 404);
    put_fails(fx, &town_duty, &tips_entity, fmt("%lld", (long long)id), "{\"remarks\":\"x\"}", 404);

    act_fails(fx, &commander, id, "reward", "{\"reward_amount\":100}", 409);
    act_fails(fx, &inspector, id, "handle", "{\"result\":\"查无此事\"}", 422);
    t = act_ok(fx, &inspector, id, "handle", "{\"result\":\"查无此事\",\"verified\":false}");
    assert_string_equal(str(t, "status"), "handled");
    assert_true(json_is_false(json_object_get(t, "verified")));
    json_decref(t);
    act_fails(fx, &commander, id, "reward", "{\"reward_amount\":100}", 422);
    act_fails(fx, &county_admin, id, "answer", "{\"answer\":\"已核查\",\"channel\":\"fax\"}", 422);
    t = act_ok(fx, &county_admin, id, "answer", "{\"answer\":\"已核查\",\"channel\":\"phone\"}");
    assert_string_equal(str(t, "status"), "answered");
    assert_string_equal(str(t, "answer_channel"), "phone");
    json_decref(t);
    act_fails(fx, &county_admin, id, "answer", "{\"answer\":\"再答复\",\"channel\":\"phone\"}",
              409);
    assert_int_equal(query_int(fx, "SELECT count(*) FROM workflow_history WHERE entity = 'tips'"),
                     4);

    /* a true tip is rewarded */
    json_int_t id2 = create_id(fx, &county_admin, &tips_entity,
                               "{\"source\":\"hotline\",\"content\":\"仓库存放液化气罐\","
                               "\"division_code\":\"620390100\",\"anonymous\":true}");
    json_decref(
        act_ok(fx, &county_admin, id2, "assign", fmt("{\"org_id\":%lld}", (long long)fx->town_a)));
    json_decref(act_ok(fx, &inspector, id2, "handle", "{\"result\":\"属实\",\"verified\":true}"));
    act_fails(fx, &inspector, id2, "reward", "{\"reward_amount\":100}", 403);
    t = act_ok(fx, &commander, id2, "reward", "{\"reward_amount\":800}");
    assert_true(json_is_true(json_object_get(t, "reward")));
    assert_true(json_real_value(json_object_get(t, "reward_amount")) == 800.0);
    assert_string_equal(str(t, "status"), "handled");
    json_decref(t);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shift_windows),
        BOTH(test_on_duty_now),
        BOTH(test_roster_rules),
        BOTH(test_handover_carry_over),
        BOTH(test_tip_numbers_concurrent),
        BOTH(test_tip_workflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
