/* tests/unit/test_demo — the demonstration data set (demo/): division counts per level,
 * boundary rings that are closed and share their vertices, population sums, organisations
 * and accounts, and the refusal to load twice.
 *
 * Each backend loads the demo once (group setup) from a small reference directory written
 * by the test (甘肃省, 金昌市 and its two real counties), so the run stays fast. SQLite runs
 * on a fresh temp file; PostgreSQL on a fresh schema yj_demo_test (YINGJI_TEST_PG) and
 * skips without it. */
#include "test_util.h"

#include "app.h"
#include "core/arena.h"
#include "core/log.h"
#include "demo/demo.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#define PG_SCHEMA "yj_demo_test"

typedef struct Fx {
    char url[TEST_URL_MAX + 64];
    char ref[TEST_URL_MAX];
    int pg;
    Store *store;
} Fx;

/* ---- reference files --------------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[TEST_URL_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_reference(Fx *fx)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->ref, sizeof fx->ref, "%s/yingji-demo-ref-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->ref));
    char dir[TEST_URL_MAX + 16];
    snprintf(dir, sizeof dir, "%s/divisions", fx->ref);
    assert_int_equal(mkdir(dir, 0700), 0);
    write_file(dir, "provinces.csv", "code,name\n62,\"甘肃省\"\n");
    write_file(dir, "cities.csv", "code,name,provinceCode\n6203,\"金昌市\",62\n");
    write_file(dir, "areas.csv",
               "code,name,cityCode,provinceCode\n620302,\"金川区\",6203,62\n"
               "620321,\"永昌县\",6203,62\n");
}

static void remove_reference(const Fx *fx)
{
    static const char *const names[] = {"provinces.csv", "cities.csv", "areas.csv"};
    char path[TEST_URL_MAX * 2];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/divisions/%s", fx->ref, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/divisions", fx->ref);
    rmdir(path);
    rmdir(fx->ref);
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void exec_sql(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(s);
    int rc = store_exec_script(c, sql, &err);
    store_release(s, c);
    assert_ok(rc, err);
}

static int load(Fx *fx)
{
    Error err = ERROR_INIT;
    fx->store = app_open(fx->url, 2, &err);
    assert_ok(fx->store ? 0 : -1, err);
    make_reference(fx);
    assert_ok(demo_load(fx->store, fx->ref, &err), err);
    return 0;
}

static int setup_sqlite(void **state)
{
    Fx *fx = calloc(1, sizeof *fx);
    test_sqlite_url(fx->url);
    *state = fx;
    return load(fx);
}

static int setup_pg(void **state)
{
    const char *base = test_pg_url();
    *state = NULL;
    if (!base)
        return 0;
    Error err = ERROR_INIT;
    Store *admin = store_open(base, 1, &err);
    assert_ok(admin ? 0 : -1, err);
    exec_sql(admin, "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE; CREATE SCHEMA " PG_SCHEMA);
    store_close(admin);
    Fx *fx = calloc(1, sizeof *fx);
    fx->pg = 1;
    snprintf(fx->url, sizeof fx->url, "%s%soptions=-csearch_path%%3D" PG_SCHEMA, base,
             strchr(base, '?') ? "&" : "?");
    *state = fx;
    return load(fx);
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    store_close(fx->store);
    if (!fx->pg)
        test_sqlite_remove(fx->url);
    remove_reference(fx);
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

/* ---- helpers ----------------------------------------------------------------------------- */

static int64_t query_int(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    int64_t v = -1;
    StoreConn *c = store_acquire(s);
    int rc = store_query_int(c, sql, NULL, 0, &v, &err);
    store_release(s, c);
    assert_ok(rc < 0 ? -1 : 0, err);
    return rc == 1 ? -1 : v;
}

static void query_rows(Store *s, Arena *a, const char *sql, DbRows *rows)
{
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(s);
    int rc = store_query(c, a, sql, NULL, 0, rows, &err);
    store_release(s, c);
    assert_ok(rc, err);
}

static int64_t level_count(Store *s, const char *level)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM divisions WHERE level = '%s'", level);
    return query_int(s, sql);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_counts(void **state)
{
    Fx *fx = fixture(state);
    assert_int_equal(level_count(fx->store, "province"), 1);
    assert_int_equal(level_count(fx->store, "city"), 1);
    assert_int_equal(level_count(fx->store, "county"), 3);
    assert_int_equal(level_count(fx->store, "town"), 12);
    assert_int_equal(level_count(fx->store, "village"), 165);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions WHERE level = "
                                          "'village' AND name LIKE '%社区'"),
                     26);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions WHERE level = "
                                          "'village' AND name LIKE '%村'"),
                     139);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions WHERE code IN "
                                          "('620390100', '620390101') AND parent_code = "
                                          "'620390'"),
                     2);
    assert_int_equal(query_int(fx->store, "SELECT count(DISTINCT name || parent_code) FROM "
                                          "divisions WHERE level = 'village'"),
                     165);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions WHERE code LIKE "
                                          "'620390%' AND geometry IS NULL"),
                     0);
}

/* Every ring is closed and counter-clockwise; villages have four corners; all village
 * rings together use exactly the (15+1) × (11+1) grid vertices, so neighbours share them. */
static void test_geometry(void **state)
{
    Fx *fx = fixture(state);
    Arena a = ARENA_INIT;
    DbRows rows;
    query_rows(fx->store, &a,
               "SELECT code, geometry FROM divisions WHERE code LIKE '620390%' ORDER BY code",
               &rows);
    assert_int_equal(rows.nrows, 1 + 12 + 165);
    json_t *vertices = json_object();
    for (int i = 0; i < rows.nrows; i++) {
        const char *code = db_cell(&rows, i, 0);
        json_t *g = json_loads(db_cell(&rows, i, 1), 0, NULL);
        assert_non_null(g);
        assert_string_equal(json_string_value(json_object_get(g, "type")), "Polygon");
        json_t *ring = json_array_get(json_object_get(g, "coordinates"), 0);
        size_t n = json_array_size(ring);
        assert_true(n >= 5);
        assert_true(json_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)));
        double area2 = 0;
        for (size_t k = 0; k + 1 < n; k++) {
            json_t *p = json_array_get(ring, k), *q = json_array_get(ring, k + 1);
            double x0 = json_real_value(json_array_get(p, 0));
            double y0 = json_real_value(json_array_get(p, 1));
            double x1 = json_real_value(json_array_get(q, 0));
            double y1 = json_real_value(json_array_get(q, 1));
            area2 += x0 * y1 - x1 * y0;
            assert_true(x0 > 101.9 && x0 < 102.7 && y0 > 38.1 && y0 < 38.7);
            if (strlen(code) == 12) {
                char key[64];
                snprintf(key, sizeof key, "%.6f,%.6f", x0, y0);
                json_object_set_new(vertices, key, json_true());
            }
        }
        assert_true(area2 > 0);
        if (strlen(code) == 12)
            assert_int_equal(n, 5);
        json_decref(g);
    }
    assert_int_equal(json_object_size(vertices), 16 * 12);
    json_decref(vertices);
    arena_free(&a);
}

/* Areas: the county is about 52 km × 44 km; towns and villages add up to it. */
static void test_areas(void **state)
{
    Fx *fx = fixture(state);
    Arena a = ARENA_INIT;
    DbRows rows;
    query_rows(fx->store, &a,
               "SELECT (SELECT area_km2 FROM divisions WHERE code = '620390'),"
               " (SELECT sum(area_km2) FROM divisions WHERE level = 'town' AND code LIKE "
               "'620390%'),"
               " (SELECT sum(area_km2) FROM divisions WHERE level = 'village' AND code LIKE "
               "'620390%')",
               &rows);
    double county = atof(db_cell(&rows, 0, 0)), towns = atof(db_cell(&rows, 0, 1));
    double villages = atof(db_cell(&rows, 0, 2));
    assert_true(county > 1900 && county < 2700);
    assert_true(fabs(towns - county) < 0.5);
    assert_true(fabs(villages - county) < 1.0);
    arena_free(&a);
}

static void test_population(void **state)
{
    Fx *fx = fixture(state);
    assert_int_equal(query_int(fx->store,
                               "SELECT count(*) FROM divisions t WHERE t.code LIKE '620390%' AND "
                               "t.level IN ('county', 'town') AND (t.population <> (SELECT "
                               "sum(c.population) FROM divisions c WHERE c.parent_code = t.code) "
                               "OR t.households <> (SELECT sum(c.households) FROM divisions c "
                               "WHERE c.parent_code = t.code))"),
                     0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions WHERE level = "
                                          "'village' AND name LIKE '%村' AND (population < 800 "
                                          "OR population > 4000)"),
                     0);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions WHERE level = "
                                          "'village' AND name LIKE '%社区' AND (population < "
                                          "3000 OR population > 12000)"),
                     0);
}

static void test_orgs_and_users(void **state)
{
    Fx *fx = fixture(state);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM users"), 11);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM orgs WHERE kind = 'town_office' "
                                          "AND parent_id = (SELECT id FROM orgs WHERE name = "
                                          "'云岭县应急管理局')"),
                     12);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM users u JOIN orgs o ON o.id = "
                                          "u.org_id WHERE u.username = 'admin' AND u.role = "
                                          "'admin' AND o.kind = 'emergency_bureau'"),
                     1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM users u JOIN orgs o ON o.id = "
                                          "u.org_id WHERE u.username = 'info' AND "
                                          "u.division_code = '620390100' AND o.division_code = "
                                          "'620390100'"),
                     1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM users WHERE username = 'city' "
                                          "AND division_code = '6203' AND org_id IS NULL"),
                     1);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM users WHERE password_hash IS "
                                          "NULL OR password_hash NOT LIKE '$argon2id$%'"),
                     0);
}

static void test_second_load_refused(void **state)
{
    Fx *fx = fixture(state);
    int64_t divisions = query_int(fx->store, "SELECT count(*) FROM divisions");
    int64_t audit = query_int(fx->store, "SELECT count(*) FROM audit_log");
    assert_true(audit >= divisions);
    Error err = ERROR_INIT;
    int rc = demo_load(fx->store, fx->ref, &err);
    assert_string_equal(err.code, "demo_exists");
    assert_err(rc, err, 409);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM divisions"), divisions);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM audit_log"), audit);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM users"), 11);
}

static void test_print_accounts(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    demo_print_accounts(f);
    fclose(f);
    static const char *const want[] = {"admin",       "Admin@12345", "town2", "620390101 河西镇",
                                       "6203 金昌市", "Yingji@2026", "值班员"};
    for (int i = 0; i < 7; i++)
        if (!strstr(text, want[i]))
            fail_msg("accounts table lacks \"%s\":\n%s", want[i], text);
    free(text);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),         cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_areas),          cmocka_unit_test(test_population),
        cmocka_unit_test(test_orgs_and_users), cmocka_unit_test(test_second_load_refused),
    };
    const struct CMUnitTest plain[] = {cmocka_unit_test(test_print_accounts)};
    int failed = cmocka_run_group_tests_name("sqlite", tests, setup_sqlite, teardown);
    failed += cmocka_run_group_tests_name("postgres", tests, setup_pg, teardown);
    failed += cmocka_run_group_tests_name("accounts", plain, NULL, NULL);
    return failed;
}
