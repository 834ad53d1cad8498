/* tests/unit/test_util — small helpers shared by the cmocka unit tests (header only).
 *
 * Includes cmocka with the headers it needs, and provides:
 *   test_sqlite_url(buf)     a fresh, empty SQLite database file as "sqlite:/tmp/…"; remove it
 *                            (and its -wal/-shm companions) with test_sqlite_remove(url)
 *   test_pg_url()            the PostgreSQL URL from YINGJI_TEST_PG, or NULL when not set;
 *                            tests needing PostgreSQL then skip (tests/unit/run.sh and `make
 *                            test` always set it, starting a throwaway cluster)
 *   TEST_PG_URL_OR_SKIP(v)   declares `const char *v` = test_pg_url() or skips the test
 *   test_pg_schema_url(base, schema, out, n)
 *                            empties schema `schema` in the cluster of `base` (drop + create) and
 *                            writes a URL whose connections use it (search_path) into out
 *   assert_ok(rc, err)       fails with err.message_en printed unless rc == 0
 *   assert_err(rc, err, st)  fails unless rc == -1 and err.status == st; clears err */
#ifndef YJ_TEST_UTIL_H
#define YJ_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "store/store.h"

#define TEST_URL_MAX 256

/* Fills buf (TEST_URL_MAX bytes) with "sqlite:PATH" for a new empty file and returns buf. */
static inline char *test_sqlite_url(char *buf)
{
    const char *tmp = getenv("TMPDIR");
    char path[TEST_URL_MAX - 8];
    snprintf(path, sizeof path, "%s/yingji-test-XXXXXX.db", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(path, 3);
    if (fd < 0) {
        print_error("cannot create a temporary file in %s\n", tmp && *tmp ? tmp : "/tmp");
        fail();
    }
    close(fd);
    snprintf(buf, TEST_URL_MAX, "sqlite:%s", path);
    return buf;
}

/* Removes the database file of a test_sqlite_url() URL and SQLite's companion files. */
static inline void test_sqlite_remove(const char *url)
{
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    char side[TEST_URL_MAX * 2 + 16];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

static inline const char *test_pg_url(void)
{
    const char *url = getenv("YINGJI_TEST_PG");
    return url && *url ? url : NULL;
}

#define TEST_PG_URL_OR_SKIP(var)                                                                   \
    const char *var = test_pg_url();                                                               \
    do {                                                                                           \
        if (!var) {                                                                                \
            print_message("skipped: YINGJI_TEST_PG is not set (tests/unit/run.sh sets it)\n");     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_ok(rc, err)                                                                         \
    do {                                                                                           \
        long long rc_ = (long long)(rc);                                                           \
        if (rc_ != 0) {                                                                            \
            print_error("%s:%d: returned %lld: [%d %s] %s\n", __FILE__, __LINE__, rc_,             \
                        (err).status, (err).code, (err).message_en);                               \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_err(rc, err, want_status)                                                           \
    do {                                                                                           \
        long long rc_ = (long long)(rc);                                                           \
        if (rc_ != -1 || (err).status != (want_status)) {                                          \
            print_error("%s:%d: expected status %d, got rc %lld status %d: %s\n", __FILE__,        \
                        __LINE__, (want_status), rc_, (err).status, (err).message_en);             \
            fail();                                                                                \
        }                                                                                          \
        error_clear(&(err));                                                                       \
    } while (0)

/* Recreates an empty schema in base's database and writes the URL whose connections use it.
 * Each test file uses its own schema, so files never see each other's tables. */
static inline void test_pg_schema_url(const char *base, const char *schema, char *out, size_t n)
{
    Error err = ERROR_INIT;
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
    Store *admin = store_open(base, 1, &err);
    assert_non_null(admin);
    StoreConn *c = store_acquire(admin);
    int rc = store_exec_script(c, sql, &err);
    store_release(admin, c);
    store_close(admin);
    assert_ok(rc, err);
    snprintf(out, n, "%s%soptions=-csearch_path%%3D%s", base, strchr(base, '?') ? "&" : "?",
             schema);
}

#endif
