/* tests/unit/test_entity — the model/ entity engine: DDL, validation, CRUD with audit and
 * events, jurisdiction and enterprise scoping, list (q, filters, sort, paging), CSV export
 * and import, metadata.
 *
 * Store tests run on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG; each test
 * gets a fresh schema yj_entity_test through the URL's search_path). Without YINGJI_TEST_PG
 * the PostgreSQL variants skip. */
#include "test_util.h"

#include "core/actor.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/audit.h"
#include "flow/events.h"
#include "flow/tx.h"
#include "model/entity.h"
#include "store/store.h"

#include <jansson.h>
#include <time.h>

#define PG_SCHEMA "yj_entity_test"

/* ---- the test entities ------------------------------------------------------------------- */

static const EnumValue levels[] = {{"low", "一般"}, {"high", "重大"}, {NULL, NULL}};
static const EnumValue statuses[] = {{"new", "新建"}, {"checked", "已核查"}, {NULL, NULL}};

static const Field thing_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT | FIELD_FILTER, "名称", "name",
     NULL, NULL, 10, 0, 0, 0, NULL},
    {"code", FT_TEXT, FIELD_UNIQUE | FIELD_SEARCH, "代码", "code", NULL, NULL, 20, 0, 0, 0, NULL},
    {"description", FT_TEXT, FIELD_SEARCH, "描述", "description", NULL, NULL, 0, 0, 0, 0, NULL},
    {"count", FT_INT, FIELD_SORT | FIELD_FILTER | FIELD_INDEX, "数量", "count", NULL, NULL, 0, 1, 0,
     1000, NULL},
    {"score", FT_REAL, FIELD_SORT, "评分", "score", NULL, NULL, 0, 1, 0, 100, NULL},
    {"active", FT_BOOL, FIELD_FILTER, "启用", "active", NULL, NULL, 0, 0, 0, 0, "1"},
    {"level", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "等级", "level", levels, NULL, 0, 0, 0, 0,
     NULL},
    {"happened_at", FT_TIME, FIELD_SORT, "发生时间", "happened at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"day", FT_DATE, 0, "日期", "day", NULL, NULL, 0, 0, 0, 0, NULL},
    {"division", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "行政区划", "division", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"parent_id", FT_REF, 0, "上级", "parent", NULL, "things", 0, 0, 0, 0, NULL},
    {"extra", FT_JSON, 0, "附加信息", "extra", NULL, NULL, 0, 0, 0, 0, NULL},
    {"status", FT_ENUM, FIELD_READONLY, "状态", "status", statuses, NULL, 0, 0, 0, 0, "'new'"},
    {"secret", FT_TEXT, FIELD_SECRET, "口令", "secret", NULL, NULL, 0, 0, 0, 0, NULL},
    {"origin", FT_TEXT, FIELD_IMMUTABLE, "来源", "origin", NULL, NULL, 0, 0, 0, 0, NULL},
    {"note", FT_TEXT, FIELD_NOCSV, "备注", "note", NULL, NULL, 0, 0, 0, 0, NULL},
    {"enterprise_id", FT_INT, FIELD_FILTER, "企业", "enterprise", NULL, NULL, 0, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

/* Refuses the name 禁止; derives status "checked" when count > 100. */
static int things_hook(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    const char *name = json_string_value(json_object_get(rec, "name"));
    if (name && strcmp(name, "禁止") == 0) {
        error_field(err, "name", "名称不允许使用");
        return error_set(err, 422, "validation_failed", "名称不允许使用", "name not allowed");
    }
    json_t *count = json_object_get(rec, "count");
    if (json_is_integer(count) && json_integer_value(count) > 100)
        json_object_set_new(rec, "status", json_string("checked"));
    return 0;
}

static const Entity things = {.table = "things",
                              .plural = "things",
                              .label_zh = "事物",
                              .label_en = "things",
                              .fields = thing_fields,
                              .division_field = "division",
                              .default_sort = "-id",
                              .before_write = things_hook};

static const Field place_fields[] = {
    {"code", FT_TEXT, FIELD_KEY, "编码", "code", NULL, NULL, 20, 0, 0, 0, NULL},
    {"title", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "名称", "title", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"town", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "乡镇", "town", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

static const Entity places = {.table = "places",
                              .plural = "places",
                              .label_zh = "地点",
                              .label_en = "places",
                              .fields = place_fields,
                              .division_field = "town"};

static const Actor admin = {1, "admin", ROLE_ADMIN, "", 0};
static const Actor county = {2, "县值班员", ROLE_DUTY_OFFICER, "620321", 0};
static const Actor town_a = {3, "甲镇信息员", ROLE_INFO_OFFICER, "620321100", 0};
static const Actor town_b = {4, "乙镇信息员", ROLE_INFO_OFFICER, "620321101", 0};
static const Actor ent7 = {5, "企业七", ROLE_ENTERPRISE, "620321", 7};

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

static void create_tables(Store *s)
{
    Error err = ERROR_INIT;
    assert_ok(flow_migrate(s, &err), err);
    StoreConn *c = store_acquire(s);
    int rc = entity_create_table(c, &things, &err);
    if (rc == 0)
        rc = entity_create_table(c, &places, &err);
    if (rc == 0) /* IF NOT EXISTS: running the DDL again is harmless */
        rc = entity_create_table(c, &things, &err);
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
    Store *admin_store = open_store(base);
    exec_sql(admin_store, "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE; CREATE SCHEMA " PG_SCHEMA);
    store_close(admin_store);
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

/* Commits when rc == 0, else rolls back; returns rc. */
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

static int do_create(Fx *fx, const Entity *e, const Actor *a, const char *json, json_t **out,
                     Error *err)
{
    TTx t;
    json_t *in = J(json);
    ttx_begin(&t, fx->store, a);
    int rc = entity_create(&t.tx, e, in, out, err);
    json_decref(in);
    return ttx_end(&t, rc);
}

/* Creates and returns the new record's id (fails the test on error). */
static int64_t create_ok(Fx *fx, const Actor *a, const char *json)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(do_create(fx, &things, a, json, &out, &err), err);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    assert_true(id > 0);
    json_decref(out);
    return id;
}

static int do_update(Fx *fx, const Entity *e, const Actor *a, const char *key, const char *json,
                     json_t **out, Error *err)
{
    TTx t;
    json_t *in = J(json);
    ttx_begin(&t, fx->store, a);
    int rc = entity_update(&t.tx, e, key, in, out, err);
    json_decref(in);
    return ttx_end(&t, rc);
}

static int do_delete(Fx *fx, const Entity *e, const Actor *a, const char *key, Error *err)
{
    TTx t;
    ttx_begin(&t, fx->store, a);
    return ttx_end(&t, entity_delete(&t.tx, e, key, err));
}

static int do_get(Fx *fx, const Entity *e, const Actor *a, const char *key, json_t **out,
                  Error *err)
{
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_get(c, e, a, key, out, err);
    store_release(fx->store, c);
    return rc;
}

static int do_import(Fx *fx, const Entity *e, const Actor *a, const char *csv, ImportResult *res,
                     Error *err)
{
    TTx t;
    ttx_begin(&t, fx->store, a);
    return ttx_end(&t, entity_import_csv(&t.tx, e, csv, strlen(csv), res, err));
}

static int do_list(Fx *fx, const Entity *e, const Actor *a, const ListQuery *lq, json_t **out,
                   Error *err)
{
    Arena arena = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_list(c, &arena, e, a, lq, out, err);
    store_release(fx->store, c);
    arena_free(&arena);
    return rc;
}

static int64_t list_total(Fx *fx, const Entity *e, const Actor *a, const ListQuery *lq)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(do_list(fx, e, a, lq, &out, &err), err);
    int64_t total = json_integer_value(json_object_get(out, "total"));
    assert_int_equal(json_array_size(json_object_get(out, "items")),
                     total < 20 ? total : 20); /* default page size */
    json_decref(out);
    return total;
}

static char *export_csv(Fx *fx, const Entity *e, const Actor *a, const ListQuery *lq)
{
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    StrBuf sb = STRBUF_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_export_csv(c, &arena, e, a, lq, &sb, &err);
    store_release(fx->store, c);
    arena_free(&arena);
    assert_ok(rc, err);
    return strbuf_detach(&sb);
}

static const char *field_msg(const Error *err, const char *field)
{
    return json_string_value(json_object_get(err->fields, field));
}

/* Asserts a 422 validation failure whose message for field contains want. */
static void assert_field_error(int rc, Error *err, const char *field, const char *want)
{
    if (rc != -1 || err->status != 422 || !field_msg(err, field) ||
        !strstr(field_msg(err, field), want)) {
        char *f = err->fields ? json_dumps(err->fields, 0) : NULL;
        print_error("expected 422 with %s ~ '%s'; got rc %d status %d %s fields %s\n", field, want,
                    rc, err->status, err->message_en, f ? f : "{}");
        free(f);
        fail();
    }
    assert_string_equal(err->code, "validation_failed");
    assert_string_equal(err->message, "提交的数据有误，请检查标注的字段");
    error_clear(err);
}

static void expect_invalid(Fx *fx, const char *json, const char *field, const char *want)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int rc = do_create(fx, &things, &admin, json, &out, &err);
    assert_null(out);
    assert_field_error(rc, &err, field, want);
}

static const char *S(json_t *obj, const char *k)
{
    return json_string_value(json_object_get(obj, k));
}

static char id_buf[32];
static const char *key_of(int64_t id)
{
    snprintf(id_buf, sizeof id_buf, "%lld", (long long)id);
    return id_buf;
}

/* ---- pure functions ---------------------------------------------------------------------- */

static void test_division_normalize(void **state)
{
    char out[16];
    struct {
        const char *in, *want;
    } ok[] = {
        {"62", "62"},
        {"6203", "6203"},
        {"620321", "620321"},
        {"620321100", "620321100"},
        {"620321100203", "620321100203"},
        {"620321000000", "620321"},
        {"620321100000", "620321100"},
        {"620000000000", "62"},
        {"620300000000", "6203"},
        {"620000", "62"},
        {"620300", "6203"},
        {"6200", "62"},
        {"620321000", "620321"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(division_code_normalize(ok[i].in, out), 0);
        assert_string_equal(out, ok[i].want);
    }
    const char *bad[] = {"",         "6",          "620",         "62032",         "6203211",
                         "62032110", "6203211000", "62032110000", "6203211000000", "62a321",
                         " 620321",  "６２",       NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(division_code_normalize(bad[i], out), -1);
    assert_int_equal(division_code_normalize(NULL, out), -1);
}

static void test_ddl_text(void **state)
{
    StrBuf s = STRBUF_INIT, p = STRBUF_INIT;
    entity_ddl(&things, DIALECT_SQLITE, &s);
    entity_ddl(&things, DIALECT_POSTGRES, &p);
    const char *sq = strbuf_cstr(&s), *pg = strbuf_cstr(&p);
    assert_non_null(strstr(sq, "id INTEGER PRIMARY KEY AUTOINCREMENT"));
    assert_non_null(strstr(pg, "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
    assert_non_null(strstr(sq, "name TEXT NOT NULL"));
    assert_non_null(strstr(sq, "count INTEGER"));
    assert_non_null(strstr(pg, "count BIGINT"));
    assert_non_null(strstr(sq, "score REAL"));
    assert_non_null(strstr(pg, "score DOUBLE PRECISION"));
    assert_non_null(strstr(pg, "active INTEGER DEFAULT 1"));
    assert_non_null(strstr(pg, "status TEXT DEFAULT 'new'"));
    assert_non_null(strstr(pg, "parent_id BIGINT REFERENCES things(id)"));
    assert_non_null(strstr(pg, "created_at TEXT NOT NULL"));
    assert_non_null(strstr(pg, "updated_at TEXT NOT NULL"));
    assert_non_null(
        strstr(pg, "CREATE UNIQUE INDEX IF NOT EXISTS things_code_idx ON things (code)"));
    assert_non_null(strstr(pg, "CREATE INDEX IF NOT EXISTS things_count_idx ON things (count)"));
    assert_non_null(
        strstr(pg, "CREATE INDEX IF NOT EXISTS things_division_idx ON things (division)"));
    strbuf_reset(&s);
    entity_ddl(&places, DIALECT_SQLITE, &s);
    assert_non_null(strstr(strbuf_cstr(&s), "code TEXT NOT NULL PRIMARY KEY"));
    assert_null(strstr(strbuf_cstr(&s), "AUTOINCREMENT"));
    strbuf_free(&s);
    strbuf_free(&p);
    assert_string_equal(entity_key_name(&things), "id");
    assert_true(entity_key_is_int(&things));
    assert_string_equal(entity_key_name(&places), "code");
    assert_false(entity_key_is_int(&places));
}

static void test_meta_and_openapi(void **state)
{
    json_t *m = entity_meta_json(&things);
    size_t i;
    json_t *f;
    int saw_level = 0, saw_secret = 0;
    json_array_foreach(m, i, f)
    {
        if (!strcmp(S(f, "name"), "secret"))
            saw_secret = 1;
        if (!strcmp(S(f, "name"), "level")) {
            saw_level = 1;
            assert_string_equal(S(f, "type"), "enum");
            assert_string_equal(S(f, "label"), "等级");
            assert_true(json_is_true(json_object_get(f, "required")));
            json_t *e0 = json_array_get(json_object_get(f, "enum"), 0);
            assert_string_equal(S(e0, "value"), "low");
            assert_string_equal(S(e0, "label"), "一般");
        }
    }
    assert_true(saw_level);
    assert_false(saw_secret);
    assert_string_equal(S(json_array_get(m, 0), "name"), "id");
    json_decref(m);

    json_t *s = entity_openapi_schema(&things);
    json_t *props = json_object_get(s, "properties");
    assert_string_equal(S(s, "type"), "object");
    assert_null(json_object_get(props, "secret"));
    assert_string_equal(S(json_object_get(props, "count"), "type"), "integer");
    assert_string_equal(S(json_object_get(props, "score"), "type"), "number");
    assert_string_equal(S(json_object_get(props, "active"), "type"), "boolean");
    assert_string_equal(S(json_object_get(props, "happened_at"), "format"), "date-time");
    assert_string_equal(S(json_object_get(props, "day"), "format"), "date");
    assert_string_equal(S(json_object_get(props, "name"), "description"), "名称");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(props, "name"), "maxLength")), 10);
    assert_int_equal(json_array_size(json_object_get(json_object_get(props, "level"), "enum")), 2);
    json_t *req = json_object_get(s, "required");
    int has_name = 0;
    json_array_foreach(req, i, f) has_name |= !strcmp(json_string_value(f), "name");
    assert_true(has_name);
    json_decref(s);
}

static void test_validate_pure(void **state)
{
    Error err = ERROR_INIT;
    /* not an object */
    json_t *in = J("[1]");
    assert_null(entity_validate(&things, in, 1, &admin, &err));
    assert_int_equal(err.status, 422);
    error_clear(&err);
    json_decref(in);
    /* normalisation */
    in = J("{\"name\":\"甲\",\"level\":\"low\",\"division\":\"620321100000\","
           "\"happened_at\":\"2026-11-22T16:00:00+08:00\",\"score\":5}");
    json_t *v = entity_validate(&things, in, 1, &admin, &err);
    assert_non_null(v);
    assert_string_equal(S(v, "division"), "620321100");
    assert_string_equal(S(v, "happened_at"), "2026-11-22T08:00:00Z");
    assert_true(json_is_real(json_object_get(v, "score")));
    json_decref(v);
    json_decref(in);
    /* update: only present fields, immutable refused */
    in = J("{\"origin\":\"x\",\"count\":3}");
    assert_null(entity_validate(&things, in, 0, &admin, &err));
    assert_non_null(strstr(field_msg(&err, "origin"), "创建后不可修改"));
    assert_null(field_msg(&err, "name")); /* not required on update */
    error_clear(&err);
    json_decref(in);
    in = J("{\"title\":\"t\",\"code\":\"k\"}");
    assert_null(entity_validate(&places, in, 0, &admin, &err)); /* key on update */
    assert_non_null(strstr(field_msg(&err, "code"), "创建后不可修改"));
    error_clear(&err);
    json_decref(in);
}

/* ---- store tests ------------------------------------------------------------------------- */

static int64_t audit_count(Fx *fx, const char *action)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM audit_log WHERE entity = 'things' AND action = '%s'", action);
    return query_int(fx->store, sql);
}

static void test_crud(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(
        do_create(fx, &things, &admin,
                  "{\"name\":\"仓库\",\"code\":\"C1\",\"count\":5,\"score\":9.5,"
                  "\"active\":false,\"level\":\"high\",\"happened_at\":\"2026-01-02T03:04:05Z\","
                  "\"day\":\"2026-02-28\",\"division\":\"620321100\",\"extra\":{\"a\":[1,2]},"
                  "\"secret\":\"p@ss\",\"origin\":\"导入\",\"note\":\"备注\"}",
                  &out, &err),
        err);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    assert_true(id > 0);
    assert_true(json_is_integer(json_object_get(out, "count")));
    assert_true(json_is_real(json_object_get(out, "score")));
    assert_true(json_is_false(json_object_get(out, "active")));
    assert_true(json_is_object(json_object_get(out, "extra")));
    assert_true(json_is_null(json_object_get(out, "parent_id")));
    assert_string_equal(S(out, "status"), "new"); /* column default */
    assert_null(json_object_get(out, "secret"));
    assert_int_equal(strlen(S(out, "created_at")), 20);
    assert_string_equal(S(out, "created_at"), S(out, "updated_at"));
    json_decref(out);
    assert_int_equal(audit_count(fx, "create"), 1);
    char *after = query_text(fx->store, "SELECT after_json FROM audit_log WHERE entity='things'");
    assert_non_null(strstr(after, "\"secret\":\"***\""));
    assert_null(strstr(after, "p@ss"));
    free(after);

    /* get */
    assert_ok(do_get(fx, &things, &admin, key_of(id), &out, &err), err);
    assert_string_equal(S(out, "name"), "仓库");
    assert_null(json_object_get(out, "secret"));
    json_decref(out);
    StoreConn *c = store_acquire(fx->store);
    assert_ok(entity_get_raw(c, &things, &admin, key_of(id), &out, &err), err);
    store_release(fx->store, c);
    assert_string_equal(S(out, "secret"), "p@ss");
    json_decref(out);
    assert_err(do_get(fx, &things, &admin, "999999", &out, &err), err, 404);
    assert_err(do_get(fx, &things, &admin, "abc", &out, &err), err, 404);

    /* update: hook derives status, only changed columns, before/after audited */
    clock_set_offset(5);
    assert_ok(
        do_update(fx, &things, &admin, key_of(id), "{\"count\":200,\"extra\":null}", &out, &err),
        err);
    clock_set_offset(0);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 200);
    assert_string_equal(S(out, "status"), "checked");
    assert_true(json_is_null(json_object_get(out, "extra")));
    assert_string_not_equal(S(out, "created_at"), S(out, "updated_at"));
    json_decref(out);
    assert_int_equal(audit_count(fx, "update"), 1);
    char *before = query_text(fx->store, "SELECT before_json FROM audit_log WHERE action='update'");
    assert_non_null(strstr(before, "\"count\":5"));
    assert_null(strstr(before, "p@ss"));
    free(before);
    /* an update that changes nothing writes nothing */
    assert_ok(do_update(fx, &things, &admin, key_of(id), "{\"count\":200}", &out, &err), err);
    json_decref(out);
    assert_int_equal(audit_count(fx, "update"), 1);
    /* hook refusal */
    assert_err(do_update(fx, &things, &admin, key_of(id), "{\"name\":\"禁止\"}", &out, &err), err,
               422);
    assert_err(do_update(fx, &things, &admin, "424242", "{\"count\":1}", &out, &err), err, 404);

    /* internal update of a read-only field is audited with the secret masked */
    TTx t;
    ttx_begin(&t, fx->store, &admin);
    json_t *vals = J("{\"status\":\"new\",\"secret\":\"new-secret\"}");
    int rc = entity_update_internal(&t.tx, &things, key_of(id), vals, &err);
    json_decref(vals);
    assert_ok(ttx_end(&t, rc), err);
    assert_int_equal(audit_count(fx, "update"), 2);
    char *s = query_text(fx->store, "SELECT secret FROM things");
    assert_string_equal(s, "new-secret");
    free(s);
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE "
                                          "'%new-secret%'"),
                     0);

    /* delete */
    assert_ok(do_delete(fx, &things, &admin, key_of(id), &err), err);
    assert_int_equal(audit_count(fx, "delete"), 1);
    assert_err(do_get(fx, &things, &admin, key_of(id), &out, &err), err, 404);
    assert_err(do_delete(fx, &things, &admin, key_of(id), &err), err, 404);
    AuditVerify av;
    c = store_acquire(fx->store);
    assert_ok(audit_verify(c, &av, &err), err);
    store_release(fx->store, c);
    assert_int_equal(av.broken_id, 0);
    assert_int_equal(av.checked, 4);
}

static void test_text_key(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(do_create(fx, &places, &admin,
                        "{\"code\":\"P-1\",\"title\":\"广场\",\"town\":\"620321100\"}", &out, &err),
              err);
    assert_string_equal(S(out, "code"), "P-1");
    assert_null(json_object_get(out, "id"));
    json_decref(out);
    /* duplicate key: a field message, not a failed statement */
    assert_field_error(do_create(fx, &places, &admin,
                                 "{\"code\":\"P-1\",\"title\":\"x\",\"town\":\"620321100\"}", &out,
                                 &err),
                       &err, "code", "已存在");
    assert_field_error(
        do_create(fx, &places, &admin, "{\"title\":\"x\",\"town\":\"620321100\"}", &out, &err),
        &err, "code", "必填");
    assert_ok(do_update(fx, &places, &admin, "P-1", "{\"title\":\"新广场\"}", &out, &err), err);
    assert_string_equal(S(out, "title"), "新广场");
    json_decref(out);
    assert_err(do_get(fx, &places, &town_b, "P-1", &out, &err), err, 404);
    assert_ok(do_delete(fx, &places, &town_a, "P-1", &err), err);
    assert_err(do_get(fx, &places, &admin, "P-1", &out, &err), err, 404);
}

static void test_validation_failures(void **state)
{
    Fx *fx = fixture(state);
    const char *base = "\"level\":\"low\",\"division\":\"620321100\"";
    char buf[512];
#define WITH(extra) (snprintf(buf, sizeof buf, "{%s,%s}", base, extra), buf)
    expect_invalid(fx, WITH("\"name\":\"x\",\"bogus\":1"), "bogus", "未知字段");
    expect_invalid(fx, WITH("\"name\":\"x\",\"status\":\"new\""), "status", "由系统设置");
    expect_invalid(fx, WITH("\"name\":\"x\",\"id\":5"), "id", "系统生成");
    expect_invalid(fx, WITH("\"name\":\"x\",\"created_at\":\"2026-01-01\""), "created_at",
                   "系统生成");
    expect_invalid(fx, WITH("\"name\":\"x\",\"count\":1.5"), "count", "数量应为整数");
    expect_invalid(fx, WITH("\"name\":\"x\",\"count\":\"1\""), "count", "应为整数");
    expect_invalid(fx, WITH("\"name\":\"x\",\"count\":1001"), "count", "取值应在 0 至 1000 之间");
    expect_invalid(fx, WITH("\"name\":\"x\",\"score\":\"9\""), "score", "应为数字");
    expect_invalid(fx, WITH("\"name\":\"x\",\"score\":-0.5"), "score", "之间");
    expect_invalid(fx, WITH("\"name\":\"x\",\"active\":1"), "active", "true 或 false");
    expect_invalid(fx, WITH("\"name\":\"x\",\"active\":\"true\""), "active", "true 或 false");
    expect_invalid(fx, WITH("\"name\":5"), "name", "名称应为文本");
    expect_invalid(fx, "{\"level\":\"low\",\"division\":\"620321100\"}", "name", "名称必填");
    expect_invalid(fx, WITH("\"name\":null"), "name", "必填");
    expect_invalid(fx, WITH("\"name\":\"  \""), "name", "必填");
    expect_invalid(fx, WITH("\"name\":\"一二三四五六七八九十一\""), "name",
                   "长度不能超过 10 个字符");
    expect_invalid(fx, "{\"name\":\"x\",\"level\":\"medium\",\"division\":\"620321100\"}", "level",
                   "取值必须是以下之一：一般（low）、重大（high）");
    expect_invalid(fx, WITH("\"name\":\"x\",\"happened_at\":\"yesterday\""), "happened_at",
                   "ISO-8601");
    expect_invalid(fx, WITH("\"name\":\"x\",\"day\":\"2026-02-30\""), "day", "YYYY-MM-DD");
    expect_invalid(fx, WITH("\"name\":\"x\",\"day\":\"2026-02-03T00:00:00Z\""), "day",
                   "YYYY-MM-DD");
    expect_invalid(fx, "{\"name\":\"x\",\"level\":\"low\",\"division\":\"6203211\"}", "division",
                   "行政区划代码");
    expect_invalid(fx, WITH("\"name\":\"x\",\"parent_id\":0"), "parent_id", "正整数");
    expect_invalid(fx, WITH("\"name\":\"x\",\"parent_id\":\"1\""), "parent_id", "正整数");
    expect_invalid(fx, WITH("\"name\":\"x\",\"parent_id\":987654"), "parent_id",
                   "引用的记录不存在");
    /* every problem at once */
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int rc =
        do_create(fx, &things, &admin, "{\"count\":\"a\",\"level\":\"x\",\"bogus\":1}", &out, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_int_equal(json_object_size(err.fields), 5); /* count, level, bogus, name, division */
    error_clear(&err);

    /* invalid UTF-8 and embedded NUL (jansson refuses them when decoding JSON text, but a
     * module may build input itself) */
    json_t *in = J("{\"level\":\"low\",\"division\":\"620321100\"}");
    json_object_set_new(in, "name", json_stringn_nocheck("\xff\xfe", 2));
    json_object_set_new(in, "description", json_stringn("a\0b", 3));
    TTx t;
    ttx_begin(&t, fx->store, &admin);
    rc = entity_create(&t.tx, &things, in, &out, &err);
    ttx_end(&t, rc);
    json_decref(in);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(field_msg(&err, "name"), "UTF-8"));
    assert_non_null(strstr(field_msg(&err, "description"), "空字符"));
    error_clear(&err);

    /* a unique value twice */
    create_ok(fx, &admin, WITH("\"name\":\"a\",\"code\":\"U1\""));
    expect_invalid(fx, WITH("\"name\":\"b\",\"code\":\"U1\""), "code", "代码已存在");
    /* update problems */
    int64_t id = create_ok(fx, &admin, WITH("\"name\":\"c\",\"origin\":\"手工\""));
    rc =
        do_update(fx, &things, &admin, key_of(id), "{\"origin\":\"改\",\"name\":null}", &out, &err);
    assert_non_null(strstr(field_msg(&err, "origin"), "来源创建后不可修改"));
    assert_field_error(rc, &err, "name", "必填");
    rc = do_update(fx, &things, &admin, key_of(id), "{\"code\":\"U1\"}", &out, &err);
    assert_field_error(rc, &err, "code", "已存在");
    assert_ok(
        do_update(fx, &things, &admin, key_of(id), "{\"code\":\"U2\",\"day\":\"\"}", &out, &err),
        err);
    assert_true(json_is_null(json_object_get(out, "day")));
    json_decref(out);
#undef WITH
}

static void test_jurisdiction(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int64_t a1 =
        create_ok(fx, &admin, "{\"name\":\"甲一\",\"level\":\"low\",\"division\":\"620321100\"}");
    create_ok(fx, &admin, "{\"name\":\"甲二\",\"level\":\"low\",\"division\":\"620321100201\"}");
    int64_t b1 =
        create_ok(fx, &admin, "{\"name\":\"乙一\",\"level\":\"low\",\"division\":\"620321101\"}");
    create_ok(fx, &admin, "{\"name\":\"外县\",\"level\":\"low\",\"division\":\"620322100\"}");

    /* a town user cannot create in another town */
    int rc =
        do_create(fx, &things, &town_a,
                  "{\"name\":\"越界\",\"level\":\"low\",\"division\":\"620321101\"}", &out, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 403);
    assert_string_equal(err.code, "outside_jurisdiction");
    assert_non_null(strstr(field_msg(&err, "division"), "不在您的管辖范围内"));
    error_clear(&err);
    /* nor above its own level */
    rc = do_create(fx, &things, &town_a,
                   "{\"name\":\"县级\",\"level\":\"low\",\"division\":\"620321\"}", &out, &err);
    assert_err(rc, err, 403);
    /* without a division the record lands in the user's town */
    assert_ok(do_create(fx, &things, &town_a, "{\"name\":\"默认\",\"level\":\"low\"}", &out, &err),
              err);
    assert_string_equal(S(out, "division"), "620321100");
    json_decref(out);

    /* other towns' records are "not found" */
    assert_err(do_get(fx, &things, &town_a, key_of(b1), &out, &err), err, 404);
    assert_err(do_update(fx, &things, &town_a, key_of(b1), "{\"count\":1}", &out, &err), err, 404);
    assert_err(do_delete(fx, &things, &town_a, key_of(b1), &err), err, 404);
    assert_ok(do_get(fx, &things, &town_a, key_of(a1), &out, &err), err);
    json_decref(out);
    assert_ok(do_get(fx, &things, &county, key_of(b1), &out, &err), err);
    json_decref(out);
    /* moving a record out of the jurisdiction is refused */
    assert_err(
        do_update(fx, &things, &town_a, key_of(a1), "{\"division\":\"620321101\"}", &out, &err),
        err, 403);

    ListQuery lq = {0};
    assert_int_equal(list_total(fx, &things, &town_a, &lq), 3);
    assert_int_equal(list_total(fx, &things, &town_b, &lq), 1);
    assert_int_equal(list_total(fx, &things, &county, &lq), 4);
    assert_int_equal(list_total(fx, &things, &admin, &lq), 5);
    /* a filter cannot widen the jurisdiction */
    ListParam f = {"division", "620322"};
    lq.filters = &f;
    lq.nfilters = 1;
    assert_int_equal(list_total(fx, &things, &town_a, &lq), 0);
    assert_int_equal(list_total(fx, &things, &admin, &lq), 1);
    /* q cannot either */
    ListQuery q = {.q = "乙"};
    assert_int_equal(list_total(fx, &things, &town_a, &q), 0);
    /* exports too */
    char *csv = export_csv(fx, &things, &town_a, &(ListQuery){0});
    assert_null(strstr(csv, "乙一"));
    assert_non_null(strstr(csv, "甲一"));
    free(csv);
}

static void test_enterprise_scope(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *out = NULL;
    int64_t other = create_ok(
        fx, &admin,
        "{\"name\":\"别家\",\"level\":\"low\",\"division\":\"620321100\",\"enterprise_id\":8}");
    /* the enterprise id is forced to the user's own */
    assert_ok(do_create(fx, &things, &ent7,
                        "{\"name\":\"自家\",\"level\":\"low\",\"division\":\"620321100\","
                        "\"enterprise_id\":8}",
                        &out, &err),
              err);
    assert_int_equal(json_integer_value(json_object_get(out, "enterprise_id")), 7);
    int64_t own = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    assert_ok(do_create(fx, &things, &ent7,
                        "{\"name\":\"自家二\",\"level\":\"low\",\"division\":\"620321100\"}", &out,
                        &err),
              err);
    assert_int_equal(json_integer_value(json_object_get(out, "enterprise_id")), 7);
    json_decref(out);
    assert_err(do_get(fx, &things, &ent7, key_of(other), &out, &err), err, 404);
    assert_err(do_delete(fx, &things, &ent7, key_of(other), &err), err, 404);
    assert_ok(do_update(fx, &things, &ent7, key_of(own), "{\"enterprise_id\":8}", &out, &err), err);
    assert_int_equal(json_integer_value(json_object_get(out, "enterprise_id")), 7);
    json_decref(out);
    ListQuery lq = {0};
    assert_int_equal(list_total(fx, &things, &ent7, &lq), 2);
    assert_int_equal(list_total(fx, &things, &county, &lq), 3);
}

static void seed_list(Fx *fx)
{
    static const char *rows[] = {
        "{\"name\":\"北仓\",\"level\":\"high\",\"division\":\"620321100\",\"count\":5,"
        "\"active\":true,\"description\":\"存放 100% 物资\",\"code\":\"A_1\"}",
        "{\"name\":\"南仓\",\"level\":\"low\",\"division\":\"620321101\",\"count\":3,"
        "\"active\":false,\"description\":\"普通仓库\",\"code\":\"AX1\"}",
        "{\"name\":\"东站\",\"level\":\"high\",\"division\":\"620321100\",\"count\":9,"
        "\"description\":\"Depot EAST\"}",
        "{\"name\":\"西站\",\"level\":\"low\",\"division\":\"620322100\","
        "\"description\":\"west\"}",
        "{\"name\":\"中心\",\"level\":\"low\",\"division\":\"620321100\",\"count\":1,"
        "\"score\":50}",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        create_ok(fx, &admin, rows[i]);
}

/* Names of the listed items joined by ",". */
static char *names_of(json_t *list)
{
    StrBuf sb = STRBUF_INIT;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it)
    {
        if (i)
            strbuf_addch(&sb, ',');
        strbuf_adds(&sb, S(it, "name"));
    }
    return strbuf_detach(&sb);
}

static void expect_names(Fx *fx, const ListQuery *lq, const char *want)
{
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(do_list(fx, &things, &admin, lq, &out, &err), err);
    char *got = names_of(out);
    assert_string_equal(got, want);
    free(got);
    json_decref(out);
}

static void test_list_query(void **state)
{
    Fx *fx = fixture(state);
    seed_list(fx);
    /* default sort -id */
    expect_names(fx, &(ListQuery){0}, "中心,西站,东站,南仓,北仓");
    /* q: substring over search fields, case-insensitive ASCII, wildcards literal */
    expect_names(fx, &(ListQuery){.q = "仓", .sort = "id"}, "北仓,南仓");
    expect_names(fx, &(ListQuery){.q = "east", .sort = "id"}, "东站");
    expect_names(fx, &(ListQuery){.q = "  仓 ", .sort = "id"}, "北仓,南仓");
    expect_names(fx, &(ListQuery){.q = " ", .sort = "id"}, "北仓,南仓,东站,西站,中心");
    expect_names(fx, &(ListQuery){.q = "100%", .sort = "id"}, "北仓");
    expect_names(fx, &(ListQuery){.q = "%", .sort = "id"}, "北仓");
    expect_names(fx, &(ListQuery){.q = "A_1", .sort = "id"}, "北仓");
    expect_names(fx, &(ListQuery){.q = "_", .sort = "id"}, "北仓");
    /* filters */
    ListParam f1[] = {{"level", "high"}, {"page", "1"}, {"q", ""}};
    expect_names(fx, &(ListQuery){.sort = "id", .filters = f1, .nfilters = 3}, "北仓,东站");
    ListParam f2[] = {{"active", "false"}};
    expect_names(fx, &(ListQuery){.sort = "id", .filters = f2, .nfilters = 1}, "南仓");
    ListParam f3[] = {{"active", "1"}, {"division", "620321"}};
    expect_names(fx, &(ListQuery){.sort = "id", .filters = f3, .nfilters = 2}, "北仓,东站,中心");
    ListParam f4[] = {{"count", "9"}};
    expect_names(fx, &(ListQuery){.sort = "id", .filters = f4, .nfilters = 1}, "东站");
    ListParam f5[] = {{"division", "620321100000"}};
    expect_names(fx, &(ListQuery){.sort = "id", .filters = f5, .nfilters = 1}, "北仓,东站,中心");
    /* sort: nulls last ascending, first descending, on both backends */
    expect_names(fx, &(ListQuery){.sort = "count"}, "中心,南仓,北仓,东站,西站");
    expect_names(fx, &(ListQuery){.sort = "-count"}, "西站,东站,北仓,南仓,中心");
    expect_names(fx, &(ListQuery){.sort = "-score"}, "西站,东站,南仓,北仓,中心");
    expect_names(fx, &(ListQuery){.sort = "created_at"}, "北仓,南仓,东站,西站,中心");
    /* paging */
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(do_list(fx, &things, &admin, &(ListQuery){.sort = "id", .page = 2, .page_size = 2},
                      &out, &err),
              err);
    char *names = names_of(out);
    assert_string_equal(names, "东站,西站");
    free(names);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 5);
    assert_int_equal(json_integer_value(json_object_get(out, "page")), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "page_size")), 2);
    json_decref(out);
    assert_ok(do_list(fx, &things, &admin, &(ListQuery){.page = 9, .page_size = 1000}, &out, &err),
              err);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 5);
    assert_int_equal(json_integer_value(json_object_get(out, "page_size")), 500);
    json_decref(out);
    /* refusals */
    ListParam bad[] = {{"bogus", "1"}, {"secret", "x"}, {"score", "1"}};
    int rc = do_list(fx, &things, &admin, &(ListQuery){.filters = bad, .nfilters = 3}, &out, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.code, "unknown_filter");
    assert_non_null(field_msg(&err, "bogus"));
    assert_non_null(field_msg(&err, "secret"));
    assert_non_null(field_msg(&err, "score")); /* not FIELD_FILTER */
    error_clear(&err);
    ListParam badv[] = {{"count", "x"}, {"active", "maybe"}, {"division", "1"}};
    rc = do_list(fx, &things, &admin, &(ListQuery){.filters = badv, .nfilters = 3}, &out, &err);
    assert_int_equal(err.status, 422);
    assert_non_null(strstr(field_msg(&err, "count"), "应为整数"));
    assert_non_null(field_msg(&err, "active"));
    assert_non_null(field_msg(&err, "division"));
    assert_err(rc, err, 422);
    rc = do_list(fx, &things, &admin, &(ListQuery){.sort = "description"}, &out, &err);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.code, "invalid_sort");
    assert_non_null(field_msg(&err, "sort"));
    assert_err(rc, err, 422);
    assert_err(do_list(fx, &things, &admin, &(ListQuery){.sort = "-secret"}, &out, &err), err, 422);
    assert_err(do_list(fx, &things, &admin, &(ListQuery){.page = -1}, &out, &err), err, 422);
}

static void test_events(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    EventSub *sub = events_subscribe();
    ChangeEvent ev[8];
    int resync = 0;
    int64_t id =
        create_ok(fx, &admin, "{\"name\":\"事件\",\"level\":\"low\",\"division\":\"620321100\"}");
    json_t *out = NULL;
    assert_ok(
        do_update(fx, &things, &admin, key_of(id), "{\"division\":\"620321101\"}", &out, &err),
        err);
    json_decref(out);
    assert_ok(do_delete(fx, &things, &admin, key_of(id), &err), err);
    /* a rolled-back change publishes nothing */
    assert_err(do_create(fx, &things, &admin,
                         "{\"name\":\"禁止\",\"level\":\"low\",\"division\":\"62\"}", &out, &err),
               err, 422);
    size_t n = events_poll(sub, ev, 8, &resync);
    assert_int_equal(n, 4);
    assert_string_equal(ev[0].entity, "things");
    assert_string_equal(ev[0].action, "create");
    assert_string_equal(ev[0].key, key_of(id));
    assert_string_equal(ev[0].division, "620321100");
    assert_string_equal(ev[1].action, "update");
    assert_string_equal(ev[1].division, "620321101");
    assert_string_equal(ev[2].division, "620321100"); /* the old place learns it left */
    assert_string_equal(ev[3].action, "delete");
    events_unsubscribe(sub);
}

/* ---- CSV --------------------------------------------------------------------------------- */

static void test_csv_round_trip(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *out = NULL;
    create_ok(fx, &admin,
              "{\"name\":\"仓库, "
              "一号\",\"code\":\"=1+2\",\"description\":\"他说：\\\"快\\\"\\n第二行\\r\\n第三行\","
              "\"count\":7,\"score\":1.25,\"active\":false,\"level\":\"high\","
              "\"happened_at\":\"2026-03-04T05:06:07Z\",\"day\":\"2026-03-04\","
              "\"division\":\"620321100\",\"extra\":{\"k\":[1,\"二\"]},\"origin\":\"-来源\","
              "\"secret\":\"hidden\",\"note\":\"不导出\"}");
    create_ok(
        fx, &admin,
        "{\"name\":\"'@x\",\"level\":\"low\",\"division\":\"620321101\",\"description\":\"@SUM\","
        "\"code\":\"-5\",\"count\":0}");
    create_ok(fx, &admin, "{\"name\":\"空\",\"level\":\"low\",\"division\":\"62\"}");
    ListQuery lq = {.sort = "id"};
    char *csv = export_csv(fx, &things, &admin, &lq);
    assert_memory_equal(csv,
                        "\xEF\xBB\xBF编号,名称,代码,描述,数量,评分,启用,等级,发生时间,日期,"
                        "行政区划,上级,附加信息,状态,来源,企业,创建时间,更新时间\r\n",
                        strlen("\xEF\xBB\xBF编号,名称,代码,描述,数量,评分,启用,等级,发生时间,日期,"
                               "行政区划,上级,附加信息,状态,来源,企业,创建时间,更新时间\r\n"));
    assert_null(strstr(csv, "hidden"));
    assert_null(strstr(csv, "不导出"));
    assert_non_null(strstr(csv, ",'=1+2,"));
    assert_non_null(strstr(csv, ",否,重大,"));
    assert_non_null(strstr(csv, "\"仓库, 一号\""));
    assert_non_null(strstr(csv, ",-5,")); /* numbers are not guarded */
    json_t *before = NULL;
    assert_ok(do_list(fx, &things, &admin, &lq, &before, &err), err);

    /* delete everything and import the export: the same records come back */
    exec_sql(fx->store, "DELETE FROM things");
    ImportResult res;
    int rc = do_import(fx, &things, &admin, csv, &res, &err);
    if (rc) {
        char *dump = json_dumps(res.row_errors, 0);
        print_error("import: %s %s\n", err.message_en, dump);
        free(dump);
    }
    assert_ok(rc, err);
    assert_int_equal(res.rows_total, 3);
    assert_int_equal(res.rows_imported, 3);
    assert_int_equal(json_array_size(res.row_errors), 0);
    import_result_clear(&res);
    json_t *after = NULL;
    assert_ok(do_list(fx, &things, &admin, &lq, &after, &err), err);
    json_t *bi = json_object_get(before, "items"), *ai = json_object_get(after, "items");
    assert_int_equal(json_array_size(ai), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *b = json_array_get(bi, i), *a = json_array_get(ai, i);
        json_object_del(b, "created_at");
        json_object_del(b, "updated_at");
        json_object_del(b, "note"); /* NOCSV */
        json_object_del(a, "created_at");
        json_object_del(a, "updated_at");
        json_object_del(a, "note");
        if (!json_equal(a, b)) {
            char *x = json_dumps(b, JSON_SORT_KEYS), *y = json_dumps(a, JSON_SORT_KEYS);
            print_error("round trip differs:\n%s\n%s\n", x, y);
            free(x);
            free(y);
            fail();
        }
    }
    json_decref(before);
    json_decref(after);
    /* the identity moved past the imported ids */
    int64_t id = create_ok(fx, &admin, "{\"name\":\"新\",\"level\":\"low\",\"division\":\"62\"}");
    assert_true(id > 3);

    /* importing the same file again updates (nothing changes, nothing is audited) */
    int64_t audits = query_int(fx->store, "SELECT COUNT(*) FROM audit_log");
    assert_ok(do_import(fx, &things, &admin, csv, &res, &err), err);
    assert_int_equal(res.rows_imported, 3);
    import_result_clear(&res);
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit_log"), audits);
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM things"), 4);
    free(csv);
    (void)out;
}

static void test_csv_import_by_field_names(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    ImportResult res;
    const char *csv = "name,level,division,active,count,extra,parent_id\n"
                      "一,重大,620321100000,是,3,\"{\"\"a\"\":1}\",\n"
                      "二,low,620321100,FALSE,,,1\n"
                      "\n"
                      " , , , , , , \n"
                      "三,一般,620321100,1,4,[1]";
    assert_ok(do_import(fx, &things, &admin, csv, &res, &err), err);
    assert_int_equal(res.rows_total, 3); /* blank rows are skipped */
    import_result_clear(&res);
    json_t *out = NULL;
    assert_ok(do_get(fx, &things, &admin, "1", &out, &err), err);
    assert_string_equal(S(out, "level"), "high");
    assert_string_equal(S(out, "division"), "620321100");
    assert_true(json_is_true(json_object_get(out, "active")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "extra"), "a")), 1);
    json_decref(out);
    assert_ok(do_get(fx, &things, &admin, "2", &out, &err), err);
    assert_true(json_is_false(json_object_get(out, "active")));
    assert_true(json_is_null(json_object_get(out, "count")));
    assert_int_equal(json_integer_value(json_object_get(out, "parent_id")), 1);
    json_decref(out);
    assert_int_equal(audit_count(fx, "create"), 3);
}

static void expect_bad_lines(const ImportResult *res, const int *lines, int n)
{
    if ((int)json_array_size(res->row_errors) != n) {
        char *d = json_dumps(res->row_errors, 0);
        print_error("row errors: %s\n", d);
        free(d);
        fail();
    }
    for (int i = 0; i < n; i++)
        assert_int_equal(
            json_integer_value(json_object_get(json_array_get(res->row_errors, (size_t)i), "line")),
            lines[i]);
}

static const char *row_field(const ImportResult *res, int i, const char *field)
{
    json_t *e = json_array_get(res->row_errors, (size_t)i);
    return json_string_value(json_object_get(json_object_get(e, "fields"), field));
}

static void test_csv_import_bad_rows(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    ImportResult res;
    create_ok(fx, &admin,
              "{\"name\":\"已有\",\"code\":\"DUP\",\"level\":\"low\",\"division\":\"62\"}");
    int64_t audits = query_int(fx->store, "SELECT COUNT(*) FROM audit_log");
    const char *csv = "\xEF\xBB\xBF名称,等级,行政区划,数量,启用,附加信息,代码\r\n"
                      "好的,一般,620321100,5,是,,\r\n"                 /* 2 ok */
                      ",重大,620321100,1,否,,\r\n"                     /* 3 name required */
                      "坏数量,low,620321100,abc,是,,\r\n"              /* 4 count */
                      "\"多行\n名称\",low,620321100,1,是,,\r\n"        /* 5-6 ok */
                      "太长的名称太长的名称X,low,620321100,1,是,,\r\n" /* 7 too long */
                      "好二,未知,620321100,1,是,,\r\n"                 /* 8 enum */
                      "好三,low,999,1,是,,\r\n"                        /* 9 division */
                      "好四,low,620321100,1,也许,,\r\n"                /* 10 bool */
                      "好五,low,620321100,1,是,{bad,\r\n"              /* 11 JSON */
                      "好六,low,620321100,1,是,,DUP\r\n"               /* 12 duplicate */
                      "好七,low,620321100,1,是,,NEW\r\n"               /* 13 ok */
                      "好八,low,620321100,1,是,,NEW\r\n"               /* 14 dup in file */
                      "好九,low,620321100,1,是,,,多余\r\n";            /* 15 extra cell */
    int rc = do_import(fx, &things, &admin, csv, &res, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.code, "import_failed");
    assert_non_null(strstr(err.message, "10 行数据有误"));
    error_clear(&err);
    static const int lines[] = {3, 4, 7, 8, 9, 10, 11, 12, 14, 15};
    expect_bad_lines(&res, lines, 10);
    assert_non_null(strstr(row_field(&res, 0, "name"), "必填"));
    assert_non_null(strstr(row_field(&res, 1, "count"), "应为整数"));
    assert_non_null(strstr(row_field(&res, 2, "name"), "长度不能超过 10 个字符"));
    assert_non_null(strstr(row_field(&res, 3, "level"), "取值必须是以下之一"));
    assert_non_null(strstr(row_field(&res, 4, "division"), "行政区划代码"));
    assert_non_null(strstr(row_field(&res, 5, "active"), "应为"));
    assert_non_null(strstr(row_field(&res, 6, "extra"), "JSON"));
    assert_non_null(strstr(row_field(&res, 7, "code"), "已存在"));
    assert_non_null(strstr(row_field(&res, 8, "code"), "已存在"));
    assert_non_null(row_field(&res, 9, "column_8"));
    assert_int_equal(res.rows_total, 13);
    assert_int_equal(res.rows_imported, 0);
    import_result_clear(&res);
    /* nothing written, nothing audited */
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM things"), 1);
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit_log"), audits);
}

static void expect_file_refused(Fx *fx, const char *csv, const char *want)
{
    Error err = ERROR_INIT;
    ImportResult res;
    int rc = do_import(fx, &things, &admin, csv, &res, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.code, "import_failed");
    if (!strstr(err.message, want)) {
        print_error("message '%s' lacks '%s'\n", err.message, want);
        fail();
    }
    assert_int_equal(json_array_size(res.row_errors), 1);
    error_clear(&err);
    import_result_clear(&res);
}

static void test_csv_import_refused_files(void **state)
{
    Fx *fx = fixture(state);
    expect_file_refused(fx, "名称,等级,行政区划,颜色\n甲,low,62,红\n", "颜色");
    expect_file_refused(fx, "名称,口令\n甲,x\n", "口令");
    expect_file_refused(fx, "名称,备注\n甲,x\n", "备注");
    expect_file_refused(fx, "名称,name\n甲,x\n", "重复");
    expect_file_refused(fx, "", "表头");
    expect_file_refused(fx, "名称,等级,行政区划\n\"甲,low,62\n", "引号");
    expect_file_refused(fx, "\xC3\xFB\xB3\xC6,level\n\xBC\xD7,low\n", "UTF-8"); /* GBK */
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM things"), 0);
}

static void test_csv_import_updates(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    ImportResult res;
    int64_t id = create_ok(
        fx, &admin,
        "{\"name\":\"旧\",\"level\":\"low\",\"division\":\"620321100\",\"origin\":\"甲\"}");
    int64_t other =
        create_ok(fx, &admin, "{\"name\":\"乙镇\",\"level\":\"low\",\"division\":\"620321101\"}");
    char csv[512];
    /* update by id: changed name, unchanged immutable origin, read-only status ignored */
    snprintf(csv, sizeof csv, "编号,名称,来源,状态\n%lld,新,甲,checked\n", (long long)id);
    assert_ok(do_import(fx, &things, &town_a, csv, &res, &err), err);
    import_result_clear(&res);
    json_t *out = NULL;
    assert_ok(do_get(fx, &things, &admin, key_of(id), &out, &err), err);
    assert_string_equal(S(out, "name"), "新");
    assert_string_equal(S(out, "status"), "new");
    json_decref(out);
    /* a changed immutable field, and a record of another town, are bad rows */
    snprintf(csv, sizeof csv, "id,origin\n%lld,乙\n%lld,\nx,\n", (long long)id, (long long)other);
    assert_err(do_import(fx, &things, &town_a, csv, &res, &err), err, 422);
    static const int lines[] = {2, 3, 4};
    expect_bad_lines(&res, lines, 3);
    assert_non_null(strstr(row_field(&res, 0, "origin"), "创建后不可修改"));
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(res.row_errors, 1), "message")),
               "不存在"));
    import_result_clear(&res);
    /* a town user's import may not create records in another town */
    assert_err(
        do_import(fx, &things, &town_a, "名称,等级,行政区划\n外,low,620321101\n", &res, &err), err,
        422);
    assert_non_null(strstr(row_field(&res, 0, "division"), "管辖范围"));
    import_result_clear(&res);

    /* text keys: create, then update by key */
    assert_ok(do_import(fx, &places, &admin, "编码,名称,乡镇\nK1,一,620321100\nK2,二,620321101\n",
                        &res, &err),
              err);
    import_result_clear(&res);
    assert_ok(do_import(fx, &places, &admin, "code,title\nK1,一改\n", &res, &err), err);
    import_result_clear(&res);
    assert_ok(do_get(fx, &places, &admin, "K1", &out, &err), err);
    assert_string_equal(S(out, "title"), "一改");
    assert_string_equal(S(out, "town"), "620321100");
    json_decref(out);
}

/* Many rows: fast enough, audited per row, one summary event. */
static void test_csv_import_large(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    ImportResult res;
    int n = fx->pg ? 2000 : 45000; /* PostgreSQL pays ~5 round trips a row */
    StrBuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "编码,名称,乡镇\r\n");
    for (int i = 0; i < n; i++)
        strbuf_addf(&sb, "K%06d,地点%d,6203211%02d\r\n", i, i, i % 3);
    EventSub *sub = events_subscribe();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = do_import(fx, &places, &admin, strbuf_cstr(&sb), &res, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("imported %d rows in %.2f s (%s)\n", n, secs, fx->pg ? "postgres" : "sqlite");
    assert_ok(rc, err);
    assert_true(secs < 60); /* a few seconds optimised; catches anything quadratic */
    assert_int_equal(res.rows_imported, n);
    import_result_clear(&res);
    ChangeEvent ev[8];
    int resync = 0;
    /* one summary event per division code touched, so each town's subscribers hear of it */
    assert_int_equal(events_poll(sub, ev, 8, &resync), 3);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        assert_string_equal(ev[i].action, "import");
        assert_string_equal(ev[i].entity, "places");
        assert_memory_equal(ev[i].division, "6203211", 7);
        seen |= 1 << (ev[i].division[8] - '0');
    }
    assert_int_equal(seen, 7);
    events_unsubscribe(sub);
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM places"), n);
    assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'places'"),
                     n);
    strbuf_free(&sb);
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
        cmocka_unit_test(test_division_normalize),
        cmocka_unit_test(test_ddl_text),
        cmocka_unit_test(test_meta_and_openapi),
        cmocka_unit_test(test_validate_pure),
        BOTH(test_crud),
        BOTH(test_text_key),
        BOTH(test_validation_failures),
        BOTH(test_jurisdiction),
        BOTH(test_enterprise_scope),
        BOTH(test_list_query),
        BOTH(test_events),
        BOTH(test_csv_round_trip),
        BOTH(test_csv_import_by_field_names),
        BOTH(test_csv_import_bad_rows),
        BOTH(test_csv_import_refused_files),
        BOTH(test_csv_import_updates),
        BOTH(test_csv_import_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
