/* tests/unit/test_geo — the spatial index (geo/spatial) and the map presence of located
 * entities in the entity engine: put/remove, nearby ordering and great-circle distances,
 * bounding boxes, jurisdiction, an entity with lon/lat fields kept in the index through
 * create/update/delete/import (a rolled-back Tx leaves no trace), GeoJSON export → import
 * round trip, and a bad feature refusing the whole file with its number.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_util.h"

#include "core/log.h"
#include "flow/audit.h"
#include "geo/spatial.h"
#include "model/entity.h"

#include <math.h>

#define PG_SCHEMA "yj_geo_test"

/* ---- a located test entity --------------------------------------------------------------- */

static const EnumValue site_states[] = {
    {"ready", "待命"}, {"busy", "出动"}, {"off", "停用"}, {NULL, NULL}};

static const Field site_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "名称", "name", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"state", FT_ENUM, FIELD_FILTER, "状态", "state", site_states, NULL, 0, 0, 0, 0, "'ready'"},
    {"division", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "行政区划", "division", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"lon", FT_REAL, 0, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, 0, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"secret", FT_TEXT, FIELD_SECRET, "口令", "secret", NULL, NULL, 0, 0, 0, 0, NULL},
    {"checked", FT_BOOL, FIELD_READONLY, "已核查", "checked", NULL, NULL, 0, 0, 0, 0, "0"},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

static const Entity sites = {
    .table = "sites",
    .plural = "sites",
    .label_zh = "站点",
    .label_en = "sites",
    .fields = site_fields,
    .division_field = "division",
    .default_sort = "id",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "state",
};

static const Actor admin = {1, "admin", ROLE_ADMIN, "", 0};
static const Actor county = {2, "县值班员", ROLE_DUTY_OFFICER, "620321", 0};

/* ---- fixture ----------------------------------------------------------------------------- */

typedef struct Fx {
    Store *store;
    char url[TEST_URL_MAX + 64];
    int pg;
} Fx;

static Store *open_store(const char *url)
{
    Error err = ERROR_INIT;
    Store *s = store_open(url, 2, &err);
    if (!s) {
        print_error("store_open %s: %s\n", url, err.message_en);
        error_clear(&err);
        fail();
    }
    return s;
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
    assert_ok(rc < 0 ? -1 : 0, err);
    return rc == 1 ? -1 : v;
}

static void create_tables(Store *s)
{
    Error err = ERROR_INIT;
    assert_ok(flow_migrate(s, &err), err);
    assert_ok(geo_migrate(s, &err), err);
    assert_ok(geo_migrate(s, &err), err); /* numbered: running again is harmless */
    StoreConn *c = store_acquire(s);
    int rc = entity_create_table(c, &sites, &err);
    store_release(s, c);
    assert_ok(rc, err);
}

static int setup_sqlite(void **state)
{
    Fx *fx = xcalloc(1, sizeof *fx);
    test_sqlite_url(fx->url);
    fx->store = open_store(fx->url);
    create_tables(fx->store);
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
    Store *a = open_store(base);
    exec_sql(a, "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE; CREATE SCHEMA " PG_SCHEMA);
    store_close(a);
    snprintf(fx->url, sizeof fx->url, "%s%soptions=-csearch_path%%3D" PG_SCHEMA, base,
             strchr(base, '?') ? "&" : "?");
    fx->store = open_store(fx->url);
    create_tables(fx->store);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
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

/* ---- helpers ----------------------------------------------------------------------------- */

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) {
        print_error("bad test JSON: %s: %s\n", text, je.text);
        fail();
    }
    return v;
}

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

static int ttx_end(TTx *t, int rc)
{
    Error err = ERROR_INIT;
    if (rc == 0)
        assert_ok(tx_commit(&t->tx, &err), err);
    else
        tx_rollback(&t->tx);
    store_release(t->s, t->c);
    arena_free(&t->a);
    return rc;
}

static int put(Fx *fx, const char *entity, const char *key, double lon, double lat,
               const char *division, Error *err)
{
    StoreConn *c = store_acquire(fx->store);
    int rc = geo_put(c, entity, key, lon, lat, division, key, "ready", err);
    store_release(fx->store, c);
    return rc;
}

typedef struct Near {
    Arena a;
    GeoHit *hits;
    int n, total;
} Near;

static void nearby(Fx *fx, Near *r, double lon, double lat, double radius, const char *entity,
                   const char *prefix, int limit)
{
    Error err = ERROR_INIT;
    r->a = (Arena)ARENA_INIT;
    const char *const ents[] = {entity};
    StoreConn *c = store_acquire(fx->store);
    int rc = geo_nearby(c, &r->a, lon, lat, radius, ents, entity ? 1 : 0, prefix, limit, &r->hits,
                        &r->n, &r->total, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
}

static int64_t create_site(Fx *fx, const Actor *a, const char *json)
{
    Error err = ERROR_INIT;
    TTx t;
    json_t *in = J(json), *out = NULL;
    ttx_begin(&t, fx->store, a);
    int rc = ttx_end(&t, entity_create(&t.tx, &sites, in, &out, &err));
    json_decref(in);
    assert_ok(rc, err);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return id;
}

static int64_t points(Fx *fx)
{
    return query_int(fx->store, "SELECT count(*) FROM geo_points WHERE entity = 'sites'");
}

/* ---- pure functions ---------------------------------------------------------------------- */

static void test_distance(void **state)
{
    (void)state;
    /* one degree of latitude on the mean sphere: R·π/180 */
    assert_true(fabs(geo_distance_m(103, 38, 103, 39) - 111195.08) < 0.1);
    assert_true(geo_distance_m(103.5, 38.2, 103.5, 38.2) == 0);
    /* Beijing (116.4074, 39.9042) — Shanghai (121.4737, 31.2304): about 1067 km */
    double d = geo_distance_m(116.4074, 39.9042, 121.4737, 31.2304);
    assert_true(d > 1060000 && d < 1075000);
    /* across the antimeridian: 0.2° of longitude at the equator */
    assert_true(fabs(geo_distance_m(179.9, 0, -179.9, 0) - 22239.0) < 1);
    assert_true(geo_valid(180, -90));
    assert_false(geo_valid(180.01, 0));
    assert_false(geo_valid(0, -90.5));
    assert_false(geo_valid(NAN, 0));
}

/* ---- the index --------------------------------------------------------------------------- */

static void test_put_remove_nearby(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    /* a line of points going east from (103, 38), ~880 m apart, in two counties */
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof key, "p%d", i);
        assert_ok(put(fx, "things", key, 103 + i * 0.01, 38, i % 2 ? "620321100" : "620322", &err),
                  err);
    }
    assert_ok(put(fx, "others", "o1", 103.001, 38.0, NULL, &err), err); /* no jurisdiction */
    assert_err(put(fx, "things", "bad", 181, 38, NULL, &err), err, 422);
    assert_err(put(fx, "things", "bad", 100, -91, NULL, &err), err, 422);

    Near r;
    nearby(fx, &r, 103.0, 38.0, 5000, NULL, "", 50);
    assert_int_equal(r.total, 7); /* p0..p5 (0..4.4 km) and o1 */
    assert_int_equal(r.n, 7);
    assert_string_equal(r.hits[0].key, "p0");
    assert_true(r.hits[0].distance_m == 0);
    assert_string_equal(r.hits[1].key, "o1");
    assert_string_equal(r.hits[1].entity, "others");
    for (int i = 1; i < r.n; i++)
        assert_true(r.hits[i - 1].distance_m <= r.hits[i].distance_m);
    assert_string_equal(r.hits[6].key, "p5");
    double want = geo_distance_m(103, 38, 103.05, 38);
    assert_true(fabs(r.hits[6].distance_m - want) < 1e-6);
    assert_true(fabs(r.hits[6].lon - 103.05) < 1e-9);
    assert_string_equal(r.hits[6].title, "p5");
    assert_string_equal(r.hits[6].state, "ready");
    arena_free(&r.a);

    /* limit keeps the nearest; total counts every point inside the radius */
    nearby(fx, &r, 103.0, 38.0, 5000, "things", "", 3);
    assert_int_equal(r.total, 6);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.hits[2].key, "p2");
    arena_free(&r.a);

    /* jurisdiction: 620321 sees its own points and those without a division code */
    nearby(fx, &r, 103.0, 38.0, 20000, NULL, "620321", 50);
    assert_int_equal(r.total, 6); /* p1 p3 p5 p7 p9 + o1 */
    for (int i = 0; i < r.n; i++)
        assert_true(!r.hits[i].division_code || strncmp(r.hits[i].division_code, "620321", 6) == 0);
    arena_free(&r.a);

    /* moving a point (same key) and removing one */
    assert_ok(put(fx, "things", "p9", 103.0, 38.001, "620321100", &err), err);
    StoreConn *c = store_acquire(fx->store);
    assert_ok(geo_remove(c, "things", "p0", &err), err);
    assert_ok(geo_remove(c, "things", "missing", &err), err);
    store_release(fx->store, c);
    nearby(fx, &r, 103.0, 38.0, 500, "things", "", 50);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.hits[0].key, "p9");
    assert_true(fabs(r.hits[0].distance_m - 111.195) < 0.01);
    arena_free(&r.a);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM geo_points"), 10);
    if (!fx->pg) /* the R*Tree follows every insert, move and delete */
        assert_int_equal(query_int(fx->store, "SELECT count(*) FROM geo_rtree"), 10);

    /* bounding boxes, capped */
    Arena a = ARENA_INIT;
    GeoHit *hits;
    int n, truncated;
    c = store_acquire(fx->store);
    assert_ok(geo_bbox(c, &a, "things", 103.005, 37.9, 103.045, 38.1, "", 10, &hits, &n, &truncated,
                       &err),
              err);
    assert_int_equal(n, 4); /* p1..p4 */
    assert_false(truncated);
    assert_string_equal(hits[0].key, "p1");
    assert_ok(geo_bbox(c, &a, "things", 103.005, 37.9, 103.045, 38.1, "620321", 1, &hits, &n,
                       &truncated, &err),
              err);
    assert_int_equal(n, 1);
    assert_true(truncated);
    assert_string_equal(hits[0].key, "p1");
    assert_err(geo_bbox(c, &a, "things", 104, 37, 103, 38, "", 10, &hits, &n, &truncated, &err),
               err, 422);
    int64_t cnt;
    assert_ok(geo_count(c, "things", "620321", &cnt, &err), err);
    assert_int_equal(cnt, 5);
    assert_ok(geo_count(c, "things", "", &cnt, &err), err);
    assert_int_equal(cnt, 9);
    store_release(fx->store, c);
    arena_free(&a);
}

/* Many random points: the indexed answer equals a brute-force scan, for every kind of
 * jurisdiction prefix and entity filter. */
static int scan_visible(const char *code, const char *prefix)
{
    if (!*prefix)
        return 1;
    if (!code)
        return 1; /* no jurisdiction column: everyone sees it */
    return strncmp(code, prefix, strlen(prefix)) == 0;
}

static void test_nearby_matches_scan(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    static const char *const codes[] = {"620321100", "620321", "620322101",   NULL,
                                        "",          "62",     "620321100201"};
    static const char *const ents[] = {"things", "others"};
    unsigned seed = 7;
    enum { N = 600 };
    double lon[N], lat[N];
    StoreConn *c = store_acquire(fx->store);
    assert_ok(store_begin(c, &err), err);
    for (int i = 0; i < N; i++) {
        lon[i] = 103 + (rand_r(&seed) % 100000) / 100000.0;
        lat[i] = 38 + (rand_r(&seed) % 100000) / 100000.0;
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        assert_ok(geo_put(c, ents[i % 2], key, lon[i], lat[i], codes[i % 7], NULL, NULL, &err),
                  err);
    }
    assert_ok(store_commit(c, &err), err);
    store_release(fx->store, c);
    static const char *const prefixes[] = {"", "620321", "620321100", "6203", "62", "620322101"};
    for (int q = 0; q < 6; q++) {
        for (int e = -1; e < 2; e++) {
            double x = 103 + q * 0.15, y = 38 + q * 0.15, radius = 8000 + q * 3000;
            int want = 0;
            for (int i = 0; i < N; i++)
                want += geo_distance_m(x, y, lon[i], lat[i]) <= radius &&
                        scan_visible(codes[i % 7], prefixes[q]) && (e < 0 || i % 2 == e);
            Near r;
            nearby(fx, &r, x, y, radius, e < 0 ? NULL : ents[e], prefixes[q], N);
            assert_int_equal(r.total, want);
            assert_int_equal(r.n, want);
            for (int i = 0; i < r.n; i++) {
                int k = atoi(r.hits[i].key);
                assert_true(fabs(r.hits[i].distance_m - geo_distance_m(x, y, lon[k], lat[k])) <
                            1e-6);
                assert_true(scan_visible(codes[k % 7], prefixes[q]));
                if (i)
                    assert_true(r.hits[i - 1].distance_m <= r.hits[i].distance_m);
            }
            arena_free(&r.a);
            /* a small limit gives the same first hits */
            Near s5;
            nearby(fx, &s5, x, y, radius, e < 0 ? NULL : ents[e], prefixes[q], 5);
            assert_int_equal(s5.total, want);
            assert_int_equal(s5.n, want < 5 ? want : 5);
            arena_free(&s5.a);
        }
    }
}

/* ---- the entity engine ------------------------------------------------------------------- */

static void test_entity_in_index(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    int64_t id = create_site(
        fx, &county,
        "{\"name\": \"一号站\", \"division\": \"620321100\", \"lon\": 103.1, \"lat\": 38.2}");
    create_site(fx, &county, "{\"name\": \"无坐标\", \"division\": \"620321101\"}");
    assert_int_equal(points(fx), 1);
    Near r;
    nearby(fx, &r, 103.1, 38.2, 1000, "sites", "620321", 10);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.hits[0].title, "一号站");
    assert_string_equal(r.hits[0].state, "ready");
    assert_string_equal(r.hits[0].division_code, "620321100");
    arena_free(&r.a);

    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    /* update: move, rename, change state → the point follows */
    TTx t;
    json_t *in = J("{\"lon\": 103.2, \"name\": \"一号站（新址）\", \"state\": \"busy\"}");
    ttx_begin(&t, fx->store, &county);
    assert_ok(ttx_end(&t, entity_update(&t.tx, &sites, key, in, NULL, &err)), err);
    json_decref(in);
    nearby(fx, &r, 103.2, 38.2, 10, "sites", "", 10);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.hits[0].key, key);
    assert_string_equal(r.hits[0].title, "一号站（新址）");
    assert_string_equal(r.hits[0].state, "busy");
    arena_free(&r.a);

    /* a rolled-back update and a rolled-back create leave no trace */
    in = J("{\"lon\": 100.0, \"lat\": 30.0}");
    ttx_begin(&t, fx->store, &county);
    assert_ok(entity_update(&t.tx, &sites, key, in, NULL, &err), err);
    ttx_end(&t, -1);
    json_decref(in);
    in = J("{\"name\": \"回滚\", \"division\": \"620321100\", \"lon\": 100.0, \"lat\": 30.0}");
    ttx_begin(&t, fx->store, &county);
    assert_ok(entity_create(&t.tx, &sites, in, NULL, &err), err);
    ttx_end(&t, -1);
    json_decref(in);
    nearby(fx, &r, 100.0, 30.0, 1000, NULL, "", 10);
    assert_int_equal(r.n, 0);
    arena_free(&r.a);
    assert_int_equal(points(fx), 1);

    /* one coordinate alone is refused; both out of range too (field ranges) */
    in = J("{\"lat\": null}");
    ttx_begin(&t, fx->store, &county);
    assert_err(ttx_end(&t, entity_update(&t.tx, &sites, key, in, NULL, &err)), err, 422);
    json_decref(in);
    in = J("{\"name\": \"越界\", \"division\": \"620321100\", \"lon\": 190, \"lat\": 30}");
    ttx_begin(&t, fx->store, &county);
    int rc = ttx_end(&t, entity_create(&t.tx, &sites, in, NULL, &err));
    json_decref(in);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_non_null(json_object_get(err.fields, "lon"));
    error_clear(&err);
    in = J("{\"name\": \"半个\", \"division\": \"620321100\", \"lat\": 30}");
    ttx_begin(&t, fx->store, &county);
    rc = ttx_end(&t, entity_create(&t.tx, &sites, in, NULL, &err));
    json_decref(in);
    assert_int_equal(rc, -1);
    assert_non_null(json_object_get(err.fields, "lon"));
    error_clear(&err);

    /* clearing both coordinates takes the record off the map */
    in = J("{\"lon\": null, \"lat\": null}");
    ttx_begin(&t, fx->store, &county);
    assert_ok(ttx_end(&t, entity_update(&t.tx, &sites, key, in, NULL, &err)), err);
    json_decref(in);
    assert_int_equal(points(fx), 0);
    in = J("{\"lon\": 103.3, \"lat\": 38.3}");
    ttx_begin(&t, fx->store, &county);
    assert_ok(ttx_end(&t, entity_update(&t.tx, &sites, key, in, NULL, &err)), err);
    json_decref(in);
    assert_int_equal(points(fx), 1);

    /* delete: rolled back keeps the point, committed removes it */
    ttx_begin(&t, fx->store, &county);
    assert_ok(entity_delete(&t.tx, &sites, key, &err), err);
    ttx_end(&t, -1);
    assert_int_equal(points(fx), 1);
    ttx_begin(&t, fx->store, &county);
    assert_ok(ttx_end(&t, entity_delete(&t.tx, &sites, key, &err)), err);
    assert_int_equal(points(fx), 0);

    /* a CSV import puts its records in the index; a refused one leaves nothing */
    const char *csv = "名称,行政区划,经度,纬度\n甲,620321100,103.5,38.5\n乙,620321100,,\n";
    ImportResult res;
    ttx_begin(&t, fx->store, &county);
    assert_ok(ttx_end(&t, entity_import_csv(&t.tx, &sites, csv, strlen(csv), &res, &err)), err);
    import_result_clear(&res);
    assert_int_equal(points(fx), 1);
    csv = "名称,行政区划,经度,纬度\n丙,620321100,103.6,38.6\n丁,620321100,103.7,\n";
    ttx_begin(&t, fx->store, &county);
    rc = ttx_end(&t, entity_import_csv(&t.tx, &sites, csv, strlen(csv), &res, &err));
    assert_int_equal(rc, -1);
    assert_int_equal(json_array_size(res.row_errors), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(res.row_errors, 0), "line")),
                     3);
    import_result_clear(&res);
    error_clear(&err);
    assert_int_equal(points(fx), 1);
}

/* ---- GeoJSON ----------------------------------------------------------------------------- */

static char *export_geojson(Fx *fx, const Actor *a, const ListQuery *lq)
{
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    StrBuf sb = STRBUF_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_export_geojson(c, &arena, &sites, a, lq, &sb, &err);
    store_release(fx->store, c);
    arena_free(&arena);
    assert_ok(rc, err);
    return strbuf_detach(&sb);
}

static int import_geojson(Fx *fx, const Actor *a, const char *text, ImportResult *res, Error *err)
{
    TTx t;
    ttx_begin(&t, fx->store, a);
    return ttx_end(&t, entity_import_geojson(&t.tx, &sites, text, strlen(text), res, err));
}

static void test_geojson_round_trip(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    create_site(fx, &admin,
                "{\"name\": \"甲站\", \"division\": \"620321100\", \"lon\": 103.25, \"lat\": 38.5, "
                "\"state\": \"busy\", \"secret\": \"s3cret\"}");
    create_site(fx, &admin, "{\"name\": \"乙站\", \"division\": \"620321101\"}");
    create_site(fx, &admin,
                "{\"name\": \"县外站\", \"division\": \"620322\", \"lon\": 104, \"lat\": 39}");

    ListQuery lq = {0};
    char *text = export_geojson(fx, &county, &lq);
    json_error_t je;
    json_t *fc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(fc);
    assert_string_equal(json_string_value(json_object_get(fc, "type")), "FeatureCollection");
    json_t *features = json_object_get(fc, "features");
    assert_int_equal(json_array_size(features), 2); /* the county's two, not the third */
    json_t *f0 = json_array_get(features, 0);
    assert_string_equal(json_string_value(json_object_get(f0, "type")), "Feature");
    json_t *geom = json_object_get(f0, "geometry");
    assert_string_equal(json_string_value(json_object_get(geom, "type")), "Point");
    assert_true(json_real_value(json_array_get(json_object_get(geom, "coordinates"), 0)) == 103.25);
    json_t *props = json_object_get(f0, "properties");
    assert_string_equal(json_string_value(json_object_get(props, "name")), "甲站");
    assert_string_equal(json_string_value(json_object_get(props, "state")), "busy");
    assert_null(json_object_get(props, "secret"));
    assert_null(json_object_get(props, "lon"));
    assert_true(json_is_null(json_object_get(json_array_get(features, 1), "geometry")));
    json_decref(fc);

    /* into an empty table: the same records, the same points */
    exec_sql(fx->store, "DELETE FROM sites; DELETE FROM geo_points");
    ImportResult res;
    assert_ok(import_geojson(fx, &county, text, &res, &err), err);
    assert_int_equal(res.rows_total, 2);
    assert_int_equal(res.rows_imported, 2);
    import_result_clear(&res);
    char *again = export_geojson(fx, &county, &lq);
    json_t *x = json_loads(text, 0, &je), *y = json_loads(again, 0, &je);
    json_t *fx0 = json_array_get(json_object_get(x, "features"), 0);
    json_t *fy0 = json_array_get(json_object_get(y, "features"), 0);
    assert_true(json_equal(json_object_get(fx0, "geometry"), json_object_get(fy0, "geometry")));
    assert_true(json_equal(json_object_get(fx0, "id"), json_object_get(fy0, "id")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(fy0, "properties"), "name")), "甲站");
    json_decref(x);
    json_decref(y);
    free(again);
    assert_int_equal(points(fx), 1);

    /* importing the export again updates in place (keys exist): nothing new */
    assert_ok(import_geojson(fx, &county, text, &res, &err), err);
    import_result_clear(&res);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM sites"), 2);
    free(text);

    /* a moved point through an update by feature id */
    int64_t id = query_int(fx->store, "SELECT id FROM sites WHERE name = '甲站'");
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"id\": "
             "%lld, \"geometry\": {\"type\": \"Point\", \"coordinates\": [103.3, 38.6]}, "
             "\"properties\": {}}]}",
             (long long)id);
    assert_ok(import_geojson(fx, &county, buf, &res, &err), err);
    import_result_clear(&res);
    Near r;
    nearby(fx, &r, 103.3, 38.6, 1, "sites", "", 5);
    assert_int_equal(r.n, 1);
    arena_free(&r.a);
}

static void test_geojson_bad_features(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    ImportResult res;
    const char *text =
        "{\"type\": \"FeatureCollection\", \"features\": ["
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [103, 38]},"
        " \"properties\": {\"name\": \"好\", \"division\": \"620321100\"}},"
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [203, 38]},"
        " \"properties\": {\"name\": \"经度越界\", \"division\": \"620321100\"}},"
        "{\"type\": \"Feature\", \"geometry\": {\"type\": \"LineString\", \"coordinates\": []},"
        " \"properties\": {\"division\": \"620321100\"}},"
        "{\"type\": \"Feature\", \"geometry\": null, \"properties\": {\"name\": \"县外\","
        " \"division\": \"620322\"}},"
        "{\"type\": \"Feature\", \"geometry\": null, \"properties\": {\"name\": \"好二\","
        " \"division\": \"620321101\", \"secret\": \"x\"}}"
        "]}";
    int rc = import_geojson(fx, &county, text, &res, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.code, "import_failed");
    assert_int_equal(json_array_size(res.row_errors), 4);
    static const int want_line[] = {2, 3, 4, 5};
    for (int i = 0; i < 4; i++) {
        json_t *row = json_array_get(res.row_errors, (size_t)i);
        assert_int_equal(json_integer_value(json_object_get(row, "line")), want_line[i]);
        assert_non_null(json_string_value(json_object_get(row, "message")));
    }
    json_t *f2 = json_object_get(json_array_get(res.row_errors, 0), "fields");
    assert_non_null(json_object_get(f2, "lon"));
    json_t *f3 = json_object_get(json_array_get(res.row_errors, 1), "fields");
    assert_non_null(json_object_get(f3, "geometry"));
    assert_non_null(json_object_get(f3, "name")); /* required, reported too */
    json_t *f5 = json_object_get(json_array_get(res.row_errors, 3), "fields");
    assert_non_null(json_object_get(f5, "secret"));
    assert_int_equal(res.rows_imported, 0);
    import_result_clear(&res);
    error_clear(&err);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM sites"), 0);
    assert_int_equal(points(fx), 0);

    /* whole-file problems */
    assert_err(import_geojson(fx, &county, "{\"type\": \"Feature", &res, &err), err, 422);
    import_result_clear(&res);
    assert_err(import_geojson(fx, &county, "[1, 2]", &res, &err), err, 422);
    import_result_clear(&res);
    assert_err(import_geojson(fx, &county, "{\"type\": \"FeatureCollection\", \"features\": 3}",
                              &res, &err),
               err, 422);
    import_result_clear(&res);
}

/* ---- main -------------------------------------------------------------------------------- */

#define BOTH(fn)                                                                                   \
    {"sqlite/" #fn, fn, setup_sqlite, teardown, NULL},                                             \
    {                                                                                              \
        "postgres/" #fn, fn, setup_pg, teardown, NULL                                              \
    }

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance), BOTH(test_put_remove_nearby),
        BOTH(test_nearby_matches_scan),  BOTH(test_entity_in_index),
        BOTH(test_geojson_round_trip),   BOTH(test_geojson_bad_features),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
