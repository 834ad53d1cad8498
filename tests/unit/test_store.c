/* tests/unit/test_store — the storage interface, run against both backends.
 *
 * Every test in `both_tests` runs twice: once on a fresh SQLite file and once on the
 * PostgreSQL database named by YINGJI_TEST_PG (skipped with a message when it is not set).
 * Tests on PostgreSQL share one database, so each test drops and recreates the tables it
 * uses. `pg_tests` cover what only PostgreSQL has: reconnecting after the server ended a
 * session, and refusing to commit a transaction whose session was lost. */
#include "test_util.h"

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"

#include <math.h>
#include <pthread.h>

typedef struct Fixture {
    Store *store;
    int is_pg;
    char url[TEST_URL_MAX];
} Fixture;

static int g_use_pg; /* which backend the group being run uses */

static int setup(void **state)
{
    Fixture *f = xcalloc(1, sizeof *f);
    f->is_pg = g_use_pg;
    if (f->is_pg)
        snprintf(f->url, sizeof f->url, "%s", test_pg_url());
    else
        test_sqlite_url(f->url);
    Error err = ERROR_INIT;
    f->store = store_open(f->url, 4, &err);
    if (!f->store) {
        print_error("store_open(%s): %s\n", f->url, err.message_en);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    store_close(f->store);
    if (!f->is_pg)
        test_sqlite_remove(f->url);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void exec_ok(StoreConn *c, const char *sql, const DbValue *p, int n)
{
    Error err = ERROR_INIT;
    assert_ok(store_exec(c, sql, p, n, NULL, &err), err);
}

static DbRows query_ok(StoreConn *c, Arena *a, const char *sql, const DbValue *p, int n)
{
    Error err = ERROR_INIT;
    DbRows rows;
    assert_ok(store_query(c, a, sql, p, n, &rows, &err), err);
    return rows;
}

static int64_t int_ok(StoreConn *c, const char *sql, const DbValue *p, int n)
{
    Error err = ERROR_INIT;
    int64_t v = -12345;
    assert_ok(store_query_int(c, sql, p, n, &v, &err), err);
    return v;
}

/* Drops (if present) and creates a table; DROP … CASCADE on PostgreSQL where earlier runs may
 * have left tables that reference it. */
static void fresh_table(StoreConn *c, const char *name, const char *columns)
{
    char sql[1024];
    Error err = ERROR_INIT;
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s%s; CREATE TABLE %s (%s)", name,
             conn_dialect(c) == DIALECT_POSTGRES ? " CASCADE" : "", name, columns);
    assert_ok(store_exec_script(c, sql, &err), err);
}

static int64_t count_rows(StoreConn *c, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return int_ok(c, sql, NULL, 0);
}

/* ---- tests on both backends ------------------------------------------------------------- */

static void test_dialect(void **state)
{
    Fixture *f = *state;
    Dialect want = f->is_pg ? DIALECT_POSTGRES : DIALECT_SQLITE;
    assert_int_equal(store_dialect(f->store), want);
    StoreConn *c = store_acquire(f->store);
    assert_int_equal(conn_dialect(c), want);
    store_release(f->store, c);
    assert_non_null(store_url_redacted(f->store));
}

static void test_every_type(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    fresh_table(c, "t_types",
                "id INTEGER PRIMARY KEY, i BIGINT, small INTEGER, r DOUBLE PRECISION, s TEXT, "
                "n TEXT");
    const char *ins = "INSERT INTO t_types(id, i, small, r, s, n) VALUES ($1, $2, $3, $4, $5, $6)";
    DbValue row1[] = {db_int(1),     db_int(INT64_MAX), db_int(-7),
                      db_real(3.25), db_text("hello"),  db_null()};
    DbValue row2[] = {db_int(2),    db_int(INT64_MIN), db_int(0),
                      db_real(0.1), db_text(""),       db_text(NULL)};
    DbValue row3[] = {db_int(3),          db_null(),           db_null(),
                      db_real(-1.5e-300), db_text("a'b\"c\\"), db_text("x")};
    exec_ok(c, ins, row1, 6);
    exec_ok(c, ins, row2, 6);
    exec_ok(c, ins, row3, 6);

    DbRows r = query_ok(c, &a, "SELECT id, i, small, r, s, n FROM t_types ORDER BY id", NULL, 0);
    assert_int_equal(r.nrows, 3);
    assert_int_equal(r.ncols, 6);
    assert_string_equal(db_cell(&r, 0, 1), "9223372036854775807");
    assert_string_equal(db_cell(&r, 0, 2), "-7");
    assert_string_equal(db_cell(&r, 0, 3), "3.25");
    assert_string_equal(db_cell(&r, 0, 4), "hello");
    assert_null(db_cell(&r, 0, 5));
    assert_string_equal(db_cell(&r, 1, 1), "-9223372036854775808");
    assert_string_equal(db_cell(&r, 1, 2), "0");
    assert_true(strtod(db_cell(&r, 1, 3), NULL) == 0.1);
    assert_string_equal(db_cell(&r, 1, 4), ""); /* empty text is not NULL */
    assert_null(db_cell(&r, 1, 5));             /* db_text(NULL) is NULL */
    assert_null(db_cell(&r, 2, 1));
    assert_null(db_cell(&r, 2, 2));
    assert_true(strtod(db_cell(&r, 2, 3), NULL) == -1.5e-300);
    assert_string_equal(db_cell(&r, 2, 4), "a'b\"c\\");
    assert_string_equal(db_cell(&r, 2, 5), "x");

    /* Each type as a bound parameter in a WHERE clause. */
    DbValue by_int[] = {db_int(INT64_MAX)};
    assert_int_equal(int_ok(c, "SELECT id FROM t_types WHERE i = $1", by_int, 1), 1);
    DbValue by_small[] = {db_int(-7)};
    assert_int_equal(int_ok(c, "SELECT id FROM t_types WHERE small = $1", by_small, 1), 1);
    DbValue by_real[] = {db_real(0.1)};
    assert_int_equal(int_ok(c, "SELECT id FROM t_types WHERE r = $1", by_real, 1), 2);
    DbValue by_text[] = {db_text("a'b\"c\\")};
    assert_int_equal(int_ok(c, "SELECT id FROM t_types WHERE s = $1", by_text, 1), 3);
    /* Special doubles (SQLite stores NaN as NULL, so only infinities are compared). */
    DbValue inf[] = {db_real(INFINITY), db_real(-INFINITY)};
    DbRows ri = query_ok(c, &a, "SELECT $1 > 1e308, $2 < -1e308", inf, 2);
    assert_string_equal(db_cell(&ri, 0, 0), f->is_pg ? "t" : "1");
    assert_string_equal(db_cell(&ri, 0, 1), f->is_pg ? "t" : "1");
    /* A NULL parameter takes its type from the context. */
    DbValue set_null[] = {db_null(), db_null(), db_null(), db_int(3)};
    exec_ok(c, "UPDATE t_types SET small = $1, r = $2, s = $3 WHERE id = $4", set_null, 4);
    assert_int_equal(int_ok(c, "SELECT count(*) FROM t_types WHERE s IS NULL", NULL, 0), 1);
    arena_free(&a);
    store_release(f->store, c);
}

static void test_unused_parameters_ignored(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    fresh_table(c, "t_unused", "a INTEGER, b TEXT");
    DbValue p[] = {db_int(5), db_text("five"), db_null(), db_real(2.5)};
    exec_ok(c, "INSERT INTO t_unused(a, b) VALUES ($1, $2)", p, 4);
    assert_int_equal(int_ok(c, "SELECT a FROM t_unused WHERE b = $2", p, 4), 5);
    store_release(f->store, c);
}

static void test_placeholders_out_of_order_and_repeated(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    fresh_table(c, "t_ph", "id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c INTEGER");
    const int data[][4] = {
        {1, 10, 0, 0}, {2, 0, 20, 0}, {3, 0, 0, 10}, {4, 5, 20, 10}, {5, 0, 0, 0}};
    for (size_t i = 0; i < sizeof data / sizeof *data; i++) {
        /* Values given in reverse order of the columns that name them. */
        DbValue p[] = {db_int(data[i][3]), db_int(data[i][2]), db_int(data[i][1]),
                       db_int(data[i][0])};
        exec_ok(c, "INSERT INTO t_ph(id, a, b, c) VALUES ($4, $3, $2, $1)", p, 4);
    }
    DbValue p[] = {db_int(20), db_int(10)};
    DbRows r =
        query_ok(c, &a, "SELECT id FROM t_ph WHERE a = $2 OR b = $1 OR c = $2 ORDER BY id", p, 2);
    assert_int_equal(r.nrows, 4);
    assert_string_equal(db_cell(&r, 0, 0), "1");
    assert_string_equal(db_cell(&r, 1, 0), "2");
    assert_string_equal(db_cell(&r, 2, 0), "3");
    assert_string_equal(db_cell(&r, 3, 0), "4");

    /* $1 and $10 are different parameters. */
    DbValue ten[10];
    for (int i = 0; i < 10; i++)
        ten[i] = db_int(i + 1);
    r = query_ok(c, &a, "SELECT $10 + 0, $1 + 0, $10 + $1", ten, 10);
    assert_string_equal(db_cell(&r, 0, 0), "10");
    assert_string_equal(db_cell(&r, 0, 1), "1");
    assert_string_equal(db_cell(&r, 0, 2), "11");
    arena_free(&a);
    store_release(f->store, c);
}

static void test_rows_and_column_names(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    fresh_table(c, "t_rows", "id INTEGER PRIMARY KEY, name TEXT NOT NULL");
    exec_ok(c, "BEGIN", NULL, 0);
    for (int i = 1; i <= 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%04d", i);
        DbValue p[] = {db_int(i), db_text(name)};
        exec_ok(c, "INSERT INTO t_rows(id, name) VALUES ($1, $2)", p, 2);
    }
    exec_ok(c, "COMMIT", NULL, 0);

    DbRows r = query_ok(c, &a, "SELECT id, name AS label FROM t_rows ORDER BY id", NULL, 0);
    assert_int_equal(r.nrows, 1000);
    assert_int_equal(r.ncols, 2);
    assert_string_equal(r.names[0], "id");
    assert_string_equal(r.names[1], "label");
    assert_int_equal(db_col(&r, "label"), 1);
    assert_int_equal(db_col(&r, "name"), -1);
    for (int i = 0; i < 1000; i++) {
        char want[32];
        snprintf(want, sizeof want, "n%04d", i + 1);
        assert_int_equal(strtol(db_cell(&r, i, 0), NULL, 10), i + 1);
        assert_string_equal(db_cell(&r, i, 1), want);
    }

    /* No rows: the columns are still described. */
    DbValue none[] = {db_int(-1)};
    r = query_ok(c, &a, "SELECT id, name FROM t_rows WHERE id = $1", none, 1);
    assert_int_equal(r.nrows, 0);
    assert_int_equal(r.ncols, 2);
    assert_string_equal(r.names[1], "name");
    arena_free(&a);
    store_release(f->store, c);
}

static void test_affected_counts(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Error err = ERROR_INIT;
    int64_t n = -1;
    fresh_table(c, "t_aff", "id INTEGER PRIMARY KEY, grp INTEGER");
    assert_ok(store_exec(c, "INSERT INTO t_aff(id, grp) VALUES (1, 1), (2, 1), (3, 2)", NULL, 0, &n,
                         &err),
              err);
    assert_int_equal(n, 3);
    DbValue g1[] = {db_int(1)};
    assert_ok(store_exec(c, "UPDATE t_aff SET grp = 9 WHERE grp = $1", g1, 1, &n, &err), err);
    assert_int_equal(n, 2);
    assert_ok(store_exec(c, "UPDATE t_aff SET grp = 9 WHERE grp = $1", g1, 1, &n, &err), err);
    assert_int_equal(n, 0);
    assert_ok(store_exec(c, "DELETE FROM t_aff WHERE grp = 9", NULL, 0, &n, &err), err);
    assert_int_equal(n, 2);
    assert_int_equal(count_rows(c, "t_aff"), 1);
    store_release(f->store, c);
}

static void test_constraint_violations_are_conflicts(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Error err = ERROR_INIT;
    fresh_table(c, "t_parent", "id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE");
    fresh_table(c, "t_child", "id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t_parent(id)");
    DbValue p[] = {db_int(1), db_text("A")};
    exec_ok(c, "INSERT INTO t_parent(id, code) VALUES ($1, $2)", p, 2);

    assert_err(store_exec(c, "INSERT INTO t_parent(id, code) VALUES ($1, $2)", p, 2, NULL, &err),
               err, 409);
    DbValue same_code[] = {db_int(2), db_text("A")};
    int rc =
        store_exec(c, "INSERT INTO t_parent(id, code) VALUES ($1, $2)", same_code, 2, NULL, &err);
    assert_string_equal(err.code, "conflict");
    assert_err(rc, err, 409);
    DbValue no_code[] = {db_int(3), db_null()};
    assert_err(
        store_exec(c, "INSERT INTO t_parent(id, code) VALUES ($1, $2)", no_code, 2, NULL, &err),
        err, 409);
    DbValue orphan[] = {db_int(1), db_int(99)};
    assert_err(
        store_exec(c, "INSERT INTO t_child(id, parent) VALUES ($1, $2)", orphan, 2, NULL, &err),
        err, 409);
    /* The connection is still fine afterwards. */
    assert_int_equal(count_rows(c, "t_parent"), 1);
    assert_int_equal(count_rows(c, "t_child"), 0);
    store_release(f->store, c);
}

static void test_other_errors_are_internal(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    DbRows r;
    int rc = store_exec(c, "SELEC 1", NULL, 0, NULL, &err);
    assert_string_equal(err.code, "internal_error");
    assert_true(strlen(err.message_en) > 0);
    assert_err(rc, err, 500);
    assert_err(store_query(c, &a, "SELECT * FROM no_such_table", NULL, 0, &r, &err), err, 500);
    assert_int_equal(r.nrows, 0);
    assert_err(store_exec_script(c, "CREATE TABLE t_bad (; DROP", &err), err, 500);
    assert_int_equal(int_ok(c, "SELECT 1", NULL, 0), 1);
    arena_free(&a);
    store_release(f->store, c);
}

static void test_transactions(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    StoreConn *other = store_acquire(f->store);
    Error err = ERROR_INIT;
    fresh_table(c, "t_tx", "id INTEGER PRIMARY KEY");

    assert_ok(store_begin(c, &err), err);
    exec_ok(c, "INSERT INTO t_tx(id) VALUES (1)", NULL, 0);
    assert_int_equal(count_rows(c, "t_tx"), 1);
    assert_int_equal(count_rows(other, "t_tx"), 0); /* not visible before commit */
    store_rollback(c);
    assert_int_equal(count_rows(c, "t_tx"), 0);

    assert_ok(store_begin(c, &err), err);
    exec_ok(c, "INSERT INTO t_tx(id) VALUES (2)", NULL, 0);
    exec_ok(c, "INSERT INTO t_tx(id) VALUES (3)", NULL, 0);
    assert_ok(store_commit(c, &err), err);
    assert_int_equal(count_rows(other, "t_tx"), 2);

    /* A failed statement inside a transaction: roll back, the earlier work is gone too. */
    assert_ok(store_begin(c, &err), err);
    exec_ok(c, "INSERT INTO t_tx(id) VALUES (4)", NULL, 0);
    assert_err(store_exec(c, "INSERT INTO t_tx(id) VALUES (2)", NULL, 0, NULL, &err), err, 409);
    store_rollback(c);
    assert_int_equal(count_rows(c, "t_tx"), 2);

    store_rollback(c); /* harmless without a transaction */
    assert_int_equal(count_rows(c, "t_tx"), 2);
    store_release(f->store, other);
    store_release(f->store, c);
}

static void test_query_int(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Error err = ERROR_INIT;
    int64_t v = 77;
    fresh_table(c, "t_qi", "id INTEGER PRIMARY KEY, v BIGINT");
    exec_ok(c, "INSERT INTO t_qi(id, v) VALUES (1, 5000000000), (2, NULL)", NULL, 0);
    assert_int_equal(int_ok(c, "SELECT count(*) FROM t_qi", NULL, 0), 2);
    assert_int_equal(int_ok(c, "SELECT v FROM t_qi WHERE id = 1", NULL, 0), 5000000000LL);
    assert_int_equal(store_query_int(c, "SELECT v FROM t_qi WHERE id = 2", NULL, 0, &v, &err), 1);
    assert_int_equal(store_query_int(c, "SELECT v FROM t_qi WHERE id = 3", NULL, 0, &v, &err), 1);
    assert_int_equal(v, 77); /* untouched when there is no value */
    assert_err(store_query_int(c, "SELECT v FROM t_missing", NULL, 0, &v, &err), err, 500);
    store_release(f->store, c);
}

static int g_apply_calls;

static int apply_insert(StoreConn *c, Error *err)
{
    g_apply_calls++;
    return store_exec(c, "INSERT INTO m_a(x) VALUES (2)", NULL, 0, NULL, err);
}

static int apply_fail(StoreConn *c, Error *err)
{
    if (store_exec(c, "INSERT INTO m_a(x) VALUES (99)", NULL, 0, NULL, err) < 0)
        return -1;
    return error_set(err, 500, "migration_failed", "迁移失败", "deliberate failure");
}

static int64_t migrations_recorded(StoreConn *c, const char *module)
{
    DbValue p[] = {db_text(module)};
    return int_ok(c, "SELECT count(*) FROM schema_migrations WHERE module = $1", p, 1);
}

static void test_migrate(void **state)
{
    Fixture *f = *state;
    Error err = ERROR_INIT;
    char module[64];
    snprintf(module, sizeof module, "test_store_%d", (int)getpid());
    StoreConn *c = store_acquire(f->store);
    exec_ok(c, f->is_pg ? "DROP TABLE IF EXISTS m_a, m_b CASCADE" : "DROP TABLE IF EXISTS m_a",
            NULL, 0);
    if (!f->is_pg)
        exec_ok(c, "DROP TABLE IF EXISTS m_b", NULL, 0);
    store_release(f->store, c);

    const Migration steps[] = {
        {1, "create m_a", "CREATE TABLE m_a (x INTEGER); INSERT INTO m_a(x) VALUES (1)",
         "CREATE TABLE m_a (x INTEGER); INSERT INTO m_a(x) VALUES (1)", NULL},
        {2, "fill m_a", NULL, NULL, apply_insert},
    };
    g_apply_calls = 0;
    assert_ok(store_migrate(f->store, module, steps, 2, &err), err);
    assert_ok(store_migrate(f->store, module, steps, 2, &err), err); /* second run: no-op */
    assert_int_equal(g_apply_calls, 1);
    c = store_acquire(f->store);
    assert_int_equal(count_rows(c, "m_a"), 2);
    assert_int_equal(migrations_recorded(c, module), 2);
    store_release(f->store, c);

    /* A failing step is rolled back whole and not recorded; earlier steps stay. */
    const Migration broken[] = {
        steps[0],
        steps[1],
        {3, "broken", "CREATE TABLE m_b (x INTEGER); INSERT INTO m_missing VALUES (1)",
         "CREATE TABLE m_b (x INTEGER); INSERT INTO m_missing VALUES (1)", NULL},
        {4, "never reached", "CREATE TABLE m_c (x INTEGER)", "CREATE TABLE m_c (x INTEGER)", NULL},
    };
    assert_err(store_migrate(f->store, module, broken, 4, &err), err, 500);
    const Migration broken_fn[] = {steps[0], steps[1], {3, "fails in C", NULL, NULL, apply_fail}};
    assert_err(store_migrate(f->store, module, broken_fn, 3, &err), err, 500);
    c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    DbRows r;
    assert_err(store_query(c, &a, "SELECT * FROM m_b", NULL, 0, &r, &err), err, 500);
    assert_int_equal(count_rows(c, "m_a"), 2);
    assert_int_equal(migrations_recorded(c, module), 2);
    store_release(f->store, c);

    /* Fixed, step 3 applies and is recorded. */
    const Migration fixed[] = {
        steps[0],
        steps[1],
        {3, "fixed", "CREATE TABLE m_b (x INTEGER)", "CREATE TABLE m_b (x INTEGER)", NULL},
    };
    assert_ok(store_migrate(f->store, module, fixed, 3, &err), err);
    c = store_acquire(f->store);
    assert_int_equal(count_rows(c, "m_b"), 0);
    assert_int_equal(migrations_recorded(c, module), 3);
    DbValue p[] = {db_text(module)};
    r = query_ok(c, &a,
                 "SELECT version, name, applied_at FROM schema_migrations WHERE module = $1 "
                 "ORDER BY version",
                 p, 1);
    assert_int_equal(r.nrows, 3);
    assert_string_equal(db_cell(&r, 2, 0), "3");
    assert_string_equal(db_cell(&r, 2, 1), "fixed");
    int64_t at;
    assert_int_equal(clock_parse_iso(db_cell(&r, 2, 2), &at), 0);
    exec_ok(c, "DELETE FROM schema_migrations WHERE module = $1", p, 1);
    arena_free(&a);
    store_release(f->store, c);
}

enum { THREADS = 6, TX_PER_THREAD = 20, ROWS_PER_TX = 5 };

typedef struct Worker {
    Store *store;
    int id;
    int failures;
    char first_error[512];
} Worker;

static int insert_batch(Worker *w, StoreConn *c, int tx, Error *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    for (int k = 0; k < ROWS_PER_TX; k++) {
        DbValue p[] = {db_int(w->id), db_int(tx * ROWS_PER_TX + k), db_text("并发")};
        if (store_exec(c, "INSERT INTO t_conc(worker, seq, note) VALUES ($1, $2, $3)", p, 3, NULL,
                       err) < 0) {
            store_rollback(c);
            return -1;
        }
    }
    if (store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    for (int tx = 0; tx < TX_PER_THREAD; tx++) {
        Error err = ERROR_INIT;
        StoreConn *c = store_acquire(w->store);
        if (insert_batch(w, c, tx, &err) < 0 && w->failures++ == 0)
            snprintf(w->first_error, sizeof w->first_error, "%s", err.message_en);
        store_release(w->store, c);
        error_clear(&err);
    }
    return NULL;
}

static void test_concurrent_pool(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    fresh_table(c, "t_conc",
                "worker INTEGER NOT NULL, seq INTEGER NOT NULL, note TEXT, "
                "PRIMARY KEY (worker, seq)");
    store_release(f->store, c);

    /* More threads than pooled connections (4): store_acquire has to wait. */
    pthread_t threads[THREADS];
    Worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){.store = f->store, .id = i};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        if (workers[i].failures)
            print_error("worker %d: %d failed transactions, first: %s\n", i, workers[i].failures,
                        workers[i].first_error);
        assert_int_equal(workers[i].failures, 0);
    }
    c = store_acquire(f->store);
    assert_int_equal(count_rows(c, "t_conc"), THREADS * TX_PER_THREAD * ROWS_PER_TX);
    DbValue w0[] = {db_int(0)};
    assert_int_equal(int_ok(c, "SELECT count(DISTINCT seq) FROM t_conc WHERE worker = $1", w0, 1),
                     TX_PER_THREAD * ROWS_PER_TX);
    store_release(f->store, c);
}

static void test_chinese_text(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    fresh_table(c, "t_zh", "id INTEGER PRIMARY KEY, name TEXT");
    const char *name = "应急管理局·防汛抗旱指挥部（二〇二六）🚒";
    DbValue p[] = {db_int(1), db_text(name)};
    exec_ok(c, "INSERT INTO t_zh(id, name) VALUES ($1, $2)", p, 2);
    exec_ok(c, "INSERT INTO t_zh(id, name) VALUES (2, '地震局')", NULL, 0);

    DbRows r = query_ok(c, &a, "SELECT name, length(name) AS chars FROM t_zh ORDER BY id", NULL, 0);
    assert_string_equal(db_cell(&r, 0, 0), name);
    assert_string_equal(db_cell(&r, 0, 1), "20"); /* characters, not bytes */
    assert_string_equal(db_cell(&r, 1, 0), "地震局");
    DbValue by_name[] = {db_text("地震局")};
    assert_int_equal(int_ok(c, "SELECT id FROM t_zh WHERE name = $1", by_name, 1), 2);
    DbValue prefix[] = {db_text("应急管理%")};
    assert_int_equal(int_ok(c, "SELECT id FROM t_zh WHERE name LIKE $1", prefix, 1), 1);

    /* A long value survives intact. */
    size_t len = 30000 * strlen("汛");
    char *big = xmalloc(len + 1);
    for (size_t i = 0; i < len; i += strlen("汛"))
        memcpy(big + i, "汛", strlen("汛"));
    big[len] = 0;
    DbValue pb[] = {db_int(3), db_text(big)};
    exec_ok(c, "INSERT INTO t_zh(id, name) VALUES ($1, $2)", pb, 2);
    r = query_ok(c, &a, "SELECT name FROM t_zh WHERE id = 3", NULL, 0);
    assert_string_equal(db_cell(&r, 0, 0), big);
    free(big);
    arena_free(&a);
    store_release(f->store, c);
}

/* ---- backend-independent and PostgreSQL-only tests -------------------------------------- */

static void test_open_errors(void **state)
{
    Error err = ERROR_INIT;
    assert_null(store_open("mysql://localhost/x", 1, &err));
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "bad_db_url");
    error_clear(&err);
    assert_null(store_open("sqlite:/nonexistent-dir/sub/x.db", 1, &err));
    assert_string_equal(err.code, "db_open_failed");
    error_clear(&err);
    /* Nothing listens on port 1. */
    assert_null(store_open("postgres://postgres@127.0.0.1:1/none?connect_timeout=2", 1, &err));
    assert_string_equal(err.code, "db_open_failed");
    assert_non_null(strstr(err.message_en, "PostgreSQL"));
    error_clear(&err);
}

/* Ends c's server session from another connection, as a server restart or an administrator
 * would. */
static void kill_session(Fixture *f, StoreConn *c)
{
    int64_t pid = int_ok(c, "SELECT pg_backend_pid()", NULL, 0);
    StoreConn *admin = store_acquire(f->store);
    DbValue p[] = {db_int(pid)};
    assert_int_equal(
        int_ok(admin, "SELECT CASE WHEN pg_terminate_backend($1::int) THEN 1 END", p, 1), 1);
    store_release(f->store, admin);
    /* pg_terminate_backend only signals: wait until the session is really gone. */
    for (int i = 0; i < 200; i++) {
        StoreConn *probe = store_acquire(f->store);
        int64_t alive =
            int_ok(probe, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", p, 1);
        store_release(f->store, probe);
        if (!alive)
            return;
        usleep(10000);
    }
    fail_msg("backend %lld did not exit", (long long)pid);
}

static void test_pg_reconnects(void **state)
{
    Fixture *f = *state;
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(f->store);
    fresh_table(c, "t_re", "id INTEGER PRIMARY KEY");

    /* libpq only notices the loss on the next statement, which fails; the one after it runs
     * on a fresh session. */
    kill_session(f, c);
    assert_err(store_exec(c, "INSERT INTO t_re(id) VALUES (1)", NULL, 0, NULL, &err), err, 500);
    exec_ok(c, "INSERT INTO t_re(id) VALUES (2)", NULL, 0);
    assert_int_equal(count_rows(c, "t_re"), 1);

    /* A BEGIN that finds the session gone is retried transparently. */
    kill_session(f, c);
    assert_ok(store_begin(c, &err), err);
    exec_ok(c, "INSERT INTO t_re(id) VALUES (3)", NULL, 0);
    assert_ok(store_commit(c, &err), err);
    assert_int_equal(count_rows(c, "t_re"), 2);
    store_release(f->store, c);
}

static void test_pg_lost_transaction_is_not_committed(void **state)
{
    Fixture *f = *state;
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(f->store);
    fresh_table(c, "t_lost", "id INTEGER PRIMARY KEY");

    assert_ok(store_begin(c, &err), err);
    exec_ok(c, "INSERT INTO t_lost(id) VALUES (1)", NULL, 0);
    kill_session(f, c);
    assert_int_equal(store_exec(c, "INSERT INTO t_lost(id) VALUES (2)", NULL, 0, NULL, &err), -1);
    error_clear(&err);
    /* The session is gone with its transaction: COMMIT must fail, not run on a new session. */
    assert_int_equal(store_commit(c, &err), -1);
    assert_int_not_equal(err.status, 0);
    error_clear(&err);
    store_rollback(c);
    assert_int_equal(count_rows(c, "t_lost"), 0);
    exec_ok(c, "INSERT INTO t_lost(id) VALUES (3)", NULL, 0);
    assert_int_equal(count_rows(c, "t_lost"), 1);
    store_release(f->store, c);
}

static void test_pg_session_settings(void **state)
{
    Fixture *f = *state;
    StoreConn *c = store_acquire(f->store);
    Arena a = ARENA_INIT;
    DbRows r = query_ok(c, &a,
                        "SELECT current_setting('client_encoding'), current_setting('TimeZone'), "
                        "current_setting('standard_conforming_strings')",
                        NULL, 0);
    assert_string_equal(db_cell(&r, 0, 0), "UTF8");
    assert_string_equal(db_cell(&r, 0, 1), "UTC");
    assert_string_equal(db_cell(&r, 0, 2), "on");
    /* A NOTICE (table missing) is not an error. */
    exec_ok(c, "DROP TABLE IF EXISTS t_never_created", NULL, 0);
    arena_free(&a);
    store_release(f->store, c);
}

#define STORE_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest both_tests[] = {
    STORE_TEST(test_dialect),
    STORE_TEST(test_every_type),
    STORE_TEST(test_unused_parameters_ignored),
    STORE_TEST(test_placeholders_out_of_order_and_repeated),
    STORE_TEST(test_rows_and_column_names),
    STORE_TEST(test_affected_counts),
    STORE_TEST(test_constraint_violations_are_conflicts),
    STORE_TEST(test_other_errors_are_internal),
    STORE_TEST(test_transactions),
    STORE_TEST(test_query_int),
    STORE_TEST(test_migrate),
    STORE_TEST(test_concurrent_pool),
    STORE_TEST(test_chinese_text),
};

static const struct CMUnitTest pg_tests[] = {
    STORE_TEST(test_pg_session_settings),
    STORE_TEST(test_pg_reconnects),
    STORE_TEST(test_pg_lost_transaction_is_not_committed),
};

static const struct CMUnitTest plain_tests[] = {
    cmocka_unit_test(test_open_errors),
};

int main(void)
{
    log_set_level(LOG_ERROR);
    int failed = cmocka_run_group_tests_name("store", plain_tests, NULL, NULL);
    g_use_pg = 0;
    failed += cmocka_run_group_tests_name("store on sqlite", both_tests, NULL, NULL);
    if (!test_pg_url()) {
        print_message("skipped: store on postgres (YINGJI_TEST_PG is not set; "
                      "tests/unit/run.sh sets it)\n");
        return failed;
    }
    g_use_pg = 1;
    failed += cmocka_run_group_tests_name("store on postgres", both_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store on postgres only", pg_tests, NULL, NULL);
    return failed;
}
