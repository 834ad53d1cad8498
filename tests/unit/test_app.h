/* tests/unit/test_app — the fixture of the module tests: the whole application (app_open: every
 * module's migrations) on a fresh store, on SQLite or on PostgreSQL (header only).
 *
 * A test's fixture struct begins with TEST_APP_FIELDS (store, url, pg), so the helpers work on
 * any of them through TestApp, whose fields are the same:
 *   test_app_new(size, pg, schema, pool)   a zeroed fixture of `size` bytes with the
 *                                          application open on a fresh SQLite file (pg 0) or a
 *                                          fresh schema of the YINGJI_TEST_PG server (pg 1);
 *                                          NULL when pg and YINGJI_TEST_PG is not set
 *   test_app_free(fx)                      closes the store, removes the SQLite file, frees fx
 *                                          (NULL: nothing)
 *   test_app_fixture(state)                the fixture of a test, or skip() when its setup
 *                                          found no PostgreSQL
 * The test's own setup then adds its data; its teardown undoes its own state, then frees. */
#ifndef YJ_TEST_APP_H
#define YJ_TEST_APP_H

#include "test_util.h"

#include "app.h"
#include "core/arena.h"

/* clang-format off */
#define TEST_APP_FIELDS Store *store; char url[TEST_URL_MAX + 64]; int pg
/* clang-format on */

typedef struct TestApp {
    TEST_APP_FIELDS;
} TestApp;

static inline Store *test_app_open(const char *url, int pool)
{
    Error err = ERROR_INIT;
    Store *s = app_open(url, pool, &err);
    if (!s) {
        print_error("app_open %s: %s\n", url, err.message_en);
        error_clear(&err);
        fail();
    }
    return s;
}

static inline void *test_app_new(size_t size, int pg, const char *schema, int pool)
{
    const char *base = test_pg_url();
    if (pg && !base)
        return NULL;
    TestApp *a = xcalloc(1, size);
    a->pg = pg;
    if (pg)
        test_pg_schema_url(base, schema, a->url, sizeof a->url);
    else
        test_sqlite_url(a->url);
    a->store = test_app_open(a->url, pool);
    return a;
}

static inline void test_app_free(void *fx)
{
    TestApp *a = fx;
    if (!a)
        return;
    store_close(a->store);
    if (!a->pg)
        test_sqlite_remove(a->url);
    free(a);
}

static inline void *test_app_fixture(void **state)
{
    if (!*state) {
        print_message("skipped: YINGJI_TEST_PG is not set\n");
        skip();
    }
    return *state;
}

#endif
