/* tests/unit/test_modules — the divisions and accounts modules below the HTTP layer:
 * division code levels and parents, the national import (normalised codes, all-or-nothing),
 * the tree rule of the divisions hook, user creation with the password policy and argon2id
 * hashes, the audit entries' jurisdiction, and the authenticator refusing unknown tokens.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/log.h"
#include "flow/audit.h"
#include "modules/accounts/accounts.h"
#include "modules/accounts/accounts_internal.h"
#include "modules/divisions/divisions.h"

#include <sys/stat.h>

#define PG_SCHEMA "yj_modules_test"

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
    char dir[TEST_URL_MAX];
} Fx;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[TEST_URL_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A small national data set in modood's format: a province, its city, two counties (one the
 * zero-padded city itself, as 441900 东莞市 is in the real data) and towns. */
static void write_national(const char *dir, const char *bad_street)
{
    write_file(dir, "provinces.csv", "code,name\n62,\"甘肃省\"\n");
    write_file(dir, "cities.csv", "code,name,provinceCode\n6203,\"金昌市\",62\n");
    write_file(dir, "areas.csv",
               "code,name,cityCode,provinceCode\n620300,\"金昌市\",6203,62\n"
               "620321,\"永昌县\",6203,62\n");
    char streets[512];
    snprintf(streets, sizeof streets,
             "code,name,areaCode,provinceCode,cityCode\n620321100,\"城关镇\",620321,62,6203\n"
             "620300001,\"新华街道\",620300,62,6203\n%s",
             bad_street ? bad_street : "");
    write_file(dir, "streets.csv", streets);
}

static void make_dir(Fx *fx)
{
    snprintf(fx->dir, sizeof fx->dir, "/tmp/yingji-modules-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, 2);
    *state = fx;
    make_dir(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, 2);
    *state = fx;
    if (!fx)
        return 0;
    make_dir(fx);
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    static const char *const files[] = {"provinces.csv", "cities.csv", "areas.csv", "streets.csv"};
    for (int i = 0; i < 4; i++) {
        char path[TEST_URL_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", fx->dir, files[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

static int64_t count(Store *s, const char *sql, const char *arg)
{
    Error err = ERROR_INIT;
    int64_t n = -1;
    DbValue p[] = {db_text(arg)};
    StoreConn *c = store_acquire(s);
    int rc = store_query_int(c, sql, p, arg ? 1 : 0, &n, &err);
    store_release(s, c);
    assert_ok(rc < 0 ? -1 : 0, err);
    return n;
}

/* ---- pure functions ---------------------------------------------------------------------- */

static void test_levels_and_parents(void **state)
{
    (void)state;
    char p[13];
    assert_string_equal(divisions_level_of("62"), "province");
    assert_string_equal(divisions_level_of("6203"), "city");
    assert_string_equal(divisions_level_of("620321"), "county");
    assert_string_equal(divisions_level_of("620321100"), "town");
    assert_string_equal(divisions_level_of("620321100201"), "village");
    assert_null(divisions_level_of("62032"));
    divisions_parent_of("620321100201", p);
    assert_string_equal(p, "620321100");
    divisions_parent_of("620321100", p);
    assert_string_equal(p, "620321");
    divisions_parent_of("620321", p);
    assert_string_equal(p, "6203");
    divisions_parent_of("441900003", p); /* 441900 is city 4419 padded */
    assert_string_equal(p, "4419");
    divisions_parent_of("62", p);
    assert_string_equal(p, "");
}

static void test_password_policy(void **state)
{
    (void)state;
    Error err = ERROR_INIT;
    assert_err(accounts_check_password_policy("short1", &err), err, 422);
    assert_err(accounts_check_password_policy("onlyletters", &err), err, 422);
    assert_err(accounts_check_password_policy("1234567890", &err), err, 422);
    assert_ok(accounts_check_password_policy("Yingji@2026", &err), err);
    char hash[crypto_pwhash_STRBYTES];
    assert_ok(password_hash("Yingji@2026", hash, &err), err);
    assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
    assert_true(password_verify(hash, "Yingji@2026"));
    assert_false(password_verify(hash, "Yingji@2027"));
    assert_false(password_verify(NULL, "anything")); /* unknown user: dummy hash, never true */
}

/* ---- national import --------------------------------------------------------------------- */

typedef struct ImportCtx {
    const char *dir;
    int imported;
    int progress_calls;
} ImportCtx;

static void on_progress(const char *stage, int done, int total, void *ctx)
{
    (void)stage;
    assert_true(done <= total);
    ((ImportCtx *)ctx)->progress_calls++;
}

static int import_tx(Tx *tx, void *ctx, Error *err)
{
    ImportCtx *ic = ctx;
    return divisions_import_national(tx, ic->dir, 1, on_progress, ic, &ic->imported, err);
}

static void test_national_import(void **state)
{
    Fx *fx = fixture(state);
    write_national(fx->dir, NULL);
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    ImportCtx ic = {fx->dir, 0, 0};
    assert_ok(tx_run(fx->store, &actor_system, &a, import_tx, &ic, &err), err);
    assert_int_equal(ic.imported, 5); /* 620300 folds into 6203 */
    assert_true(ic.progress_calls >= 8);
    assert_int_equal(count(fx->store, "SELECT count(*) FROM divisions", NULL), 5);
    assert_int_equal(
        count(fx->store, "SELECT count(*) FROM divisions WHERE parent_code = $1", "6203"), 2);
    assert_int_equal(count(fx->store,
                           "SELECT count(*) FROM divisions WHERE code = $1 AND level = 'town'",
                           "620300001"),
                     1);
    /* importing again updates in place */
    ic.imported = 0;
    assert_ok(tx_run(fx->store, &actor_system, &a, import_tx, &ic, &err), err);
    assert_int_equal(count(fx->store, "SELECT count(*) FROM divisions", NULL), 5);
    arena_free(&a);
}

static void test_national_import_all_or_nothing(void **state)
{
    Fx *fx = fixture(state);
    /* the town's code says county 620321, its areaCode column says 620322 */
    write_national(fx->dir, "620321101,\"河西堡镇\",620322,62,6203\n");
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    ImportCtx ic = {fx->dir, 0, 0};
    int64_t audit_before = count(fx->store, "SELECT count(*) FROM audit_log", NULL);
    assert_err(tx_run(fx->store, &actor_system, &a, import_tx, &ic, &err), err, 422);
    assert_int_equal(count(fx->store, "SELECT count(*) FROM divisions", NULL), 0);
    assert_int_equal(count(fx->store, "SELECT count(*) FROM audit_log", NULL), audit_before);
    arena_free(&a);
}

/* ---- divisions hook ---------------------------------------------------------------------- */

typedef struct CreateCtx {
    const Entity *e;
    const char *json;
} CreateCtx;

static int create_tx(Tx *tx, void *ctx, Error *err)
{
    CreateCtx *cc = ctx;
    json_error_t jerr;
    json_t *in = json_loads(cc->json, 0, &jerr);
    assert_non_null(in);
    int rc = entity_create(tx, cc->e, in, NULL, err);
    json_decref(in);
    return rc;
}

static int create(Fx *fx, const Actor *actor, const Entity *e, const char *json, Error *err)
{
    Arena a = ARENA_INIT;
    CreateCtx cc = {e, json};
    int rc = tx_run(fx->store, actor, &a, create_tx, &cc, err);
    arena_free(&a);
    return rc;
}

static void test_division_tree_rules(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    assert_ok(
        create(fx, &actor_system, &divisions_entity, "{\"code\":\"62\",\"name\":\"甘肃省\"}", &err),
        err);
    /* a county whose city is missing is refused */
    assert_err(create(fx, &actor_system, &divisions_entity,
                      "{\"code\":\"620321\",\"name\":\"永昌县\"}", &err),
               err, 422);
    assert_ok(create(fx, &actor_system, &divisions_entity,
                     "{\"code\":\"6203\",\"name\":\"金昌市\"}", &err),
              err);
    /* derived fields cannot be sent */
    assert_err(create(fx, &actor_system, &divisions_entity,
                      "{\"code\":\"620321\",\"name\":\"永昌县\",\"level\":\"town\"}", &err),
               err, 422);
    /* a geometry must be a polygon */
    assert_err(create(fx, &actor_system, &divisions_entity,
                      "{\"code\":\"620321\",\"name\":\"永昌县\",\"geometry\":{\"type\":\"Point\","
                      "\"coordinates\":[1,2]}}",
                      &err),
               err, 422);
    assert_ok(create(fx, &actor_system, &divisions_entity,
                     "{\"code\":\"620321000000\",\"name\":\"永昌县\",\"geometry\":{\"type\":"
                     "\"Polygon\",\"coordinates\":[[[102,38],[102.1,38],[102.1,38.1],[102,38]]]}}",
                     &err),
              err);
    assert_int_equal(count(fx->store,
                           "SELECT count(*) FROM divisions WHERE code = $1 AND level = 'county'"
                           " AND parent_code = '6203'",
                           "620321"),
                     1);
    /* a town-level actor cannot create outside its town */
    Actor town = {7, "town", ROLE_ADMIN, "620321100", 0};
    assert_err(
        create(fx, &town, &divisions_entity, "{\"code\":\"620321101\",\"name\":\"某镇\"}", &err),
        err, 403);
}

/* ---- accounts ---------------------------------------------------------------------------- */

typedef struct UserCtx {
    const char *json;
    const char *password;
    json_t *out;
} UserCtx;

static int user_tx(Tx *tx, void *ctx, Error *err)
{
    UserCtx *uc = ctx;
    json_error_t jerr;
    json_t *in = json_loads(uc->json, 0, &jerr);
    int rc = accounts_create_user(tx, in, uc->password, &uc->out, err);
    json_decref(in);
    return rc;
}

static int add_user(Fx *fx, const char *json, const char *password, json_t **out, Error *err)
{
    Arena a = ARENA_INIT;
    UserCtx uc = {json, password, NULL};
    int rc = tx_run(fx->store, &actor_system, &a, user_tx, &uc, err);
    arena_free(&a);
    if (out)
        *out = uc.out;
    else
        json_decref(uc.out);
    return rc;
}

static void test_create_user(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    assert_ok(
        create(fx, &actor_system, &divisions_entity, "{\"code\":\"62\",\"name\":\"甘肃省\"}", &err),
        err);
    const char *u = "{\"username\":\"zhang.wei\",\"display_name\":\"张伟\",\"role\":\"duty_"
                    "officer\",\"division_code\":\"62\"}";
    assert_err(add_user(fx, u, "weak", NULL, &err), err, 422);
    assert_int_equal(count(fx->store, "SELECT count(*) FROM users", NULL), 0);
    assert_err(
        add_user(fx, "{\"username\":\"Zhang Wei\",\"display_name\":\"张伟\",\"role\":\"viewer\"}",
                 "Yingji@2026", NULL, &err),
        err, 422);
    json_t *out = NULL;
    assert_ok(add_user(fx, u, "Yingji@2026", &out, &err), err);
    assert_null(json_object_get(out, "password_hash"));
    assert_string_equal(json_string_value(json_object_get(out, "role")), "duty_officer");
    json_decref(out);
    assert_int_equal(count(fx->store,
                           "SELECT count(*) FROM users WHERE username = $1 AND password_hash LIKE "
                           "'$argon2id$%'",
                           "zhang.wei"),
                     1);
    assert_err(add_user(fx, u, "Yingji@2026", NULL, &err), err, 422); /* same username */
    /* the audit trail carries the user's division and never the hash in clear */
    assert_true(
        count(fx->store,
              "SELECT count(*) FROM audit_log WHERE entity = 'users' AND division_code = $1",
              "62") >= 2);
    assert_int_equal(
        count(fx->store, "SELECT count(*) FROM audit_log WHERE after_json LIKE $1", "%argon2id%"),
        0);
    AuditVerify v;
    StoreConn *c = store_acquire(fx->store);
    int rc = audit_verify(c, &v, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    assert_int_equal(v.broken_id, 0);
}

static void test_authenticator_refuses_unknown_token(void **state)
{
    Fx *fx = fixture(state);
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    Actor actor;
    const char *csrf = NULL;
    assert_err(accounts_authenticate(fx->store, &a, "0123456789abcdef", &actor, &csrf, &err), err,
               401);
    arena_free(&a);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_and_parents),
        cmocka_unit_test(test_password_policy),
        BOTH(test_national_import),
        BOTH(test_national_import_all_or_nothing),
        BOTH(test_division_tree_rules),
        BOTH(test_create_user),
        BOTH(test_authenticator_refuses_unknown_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
