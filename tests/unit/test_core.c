/* tests/unit/test_core — unit tests of core/: arena, strbuf, clock (ISO-8601), error. */
#include "test_util.h"

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <stdalign.h>

/* ---- arena ------------------------------------------------------------------------------ */

static void test_arena_many_allocations(void **state)
{
    Arena a = ARENA_INIT;
    enum { N = 50000 };
    int **ptrs = xcalloc(N, sizeof *ptrs);
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(i % 7 + 1);
        ptrs[i] = arena_alloc(&a, n * sizeof(int));
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(ptrs[i][k], 0); /* zeroed */
            ptrs[i][k] = i;
        }
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < i % 7 + 1; k++)
            assert_int_equal(ptrs[i][k], i); /* nothing overwritten by later allocations */
    free(ptrs);
    arena_free(&a);
    assert_null(a.head);
}

static void test_arena_alignment(void **state)
{
    Arena a = ARENA_INIT;
    for (size_t size = 1; size < 300; size += 3) {
        void *p = arena_alloc(&a, size);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        double *d = arena_alloc(&a, sizeof(double));
        *d = 1.5; /* UBSan checks the alignment of this store */
        assert_true(*d == 1.5);
    }
    assert_non_null(arena_alloc(&a, 0));
    arena_free(&a);
}

static void test_arena_big_allocation(void **state)
{
    Arena a = ARENA_INIT;
    char *small = arena_strdup(&a, "before");
    size_t big = (size_t)8 << 20;
    unsigned char *p = arena_alloc(&a, big);
    for (size_t i = 0; i < big; i += 4096)
        assert_int_equal(p[i], 0);
    memset(p, 0xab, big);
    assert_int_equal(p[big - 1], 0xab);
    char *after = arena_strdup(&a, "after");
    assert_string_equal(small, "before");
    assert_string_equal(after, "after");
    arena_free(&a);
    /* The arena is reusable after arena_free. */
    assert_string_equal(arena_strdup(&a, "again"), "again");
    arena_free(&a);
}

static void test_arena_strings(void **state)
{
    Arena a = ARENA_INIT;
    assert_null(arena_strdup(&a, NULL));
    assert_null(arena_strndup(&a, NULL, 3));
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    assert_string_equal(arena_strdup(&a, "应急管理"), "应急管理");
    assert_string_equal(arena_printf(&a, "%s-%d-%.2f", "x", 42, 1.5), "x-42-1.50");
    assert_string_equal(arena_printf(&a, "%s", ""), "");
    /* A formatted string larger than a block. */
    char *big = arena_printf(&a, "%20000d|", 7);
    assert_int_equal(strlen(big), 20001);
    assert_int_equal(big[19999], '7');
    assert_int_equal(big[20000], '|');
    arena_free(&a);
}

/* ---- strbuf ----------------------------------------------------------------------------- */

static void test_strbuf_build(void **state)
{
    StrBuf sb = STRBUF_INIT;
    assert_string_equal(strbuf_cstr(&sb), "");
    strbuf_adds(&sb, "SELECT ");
    strbuf_add(&sb, "id, nameXXX", 8);
    strbuf_addch(&sb, ' ');
    strbuf_addf(&sb, "FROM %s WHERE id = $%d", "hazards", 1);
    assert_string_equal(strbuf_cstr(&sb), "SELECT id, name FROM hazards WHERE id = $1");
    assert_int_equal(sb.len, strlen(strbuf_cstr(&sb)));
    strbuf_reset(&sb);
    assert_string_equal(strbuf_cstr(&sb), "");
    assert_int_equal(sb.len, 0);
    strbuf_addf(&sb, "%s", "");
    assert_int_equal(sb.len, 0);
    strbuf_free(&sb);
    assert_null(sb.buf);
}

static void test_strbuf_growth(void **state)
{
    StrBuf sb = STRBUF_INIT;
    for (int i = 0; i < 10000; i++)
        strbuf_addf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 20000);
    for (size_t i = 0; i < sb.len; i += 2)
        assert_int_equal(sb.buf[i], '0' + (int)(i / 2 % 10));
    strbuf_add(&sb, "\0z", 2); /* binary-safe */
    assert_int_equal(sb.len, 20002);
    assert_int_equal(sb.buf[20001], 'z');
    assert_int_equal(sb.buf[20002], 0);
    char *s = strbuf_detach(&sb);
    assert_null(sb.buf);
    assert_int_equal(sb.len, 0);
    assert_int_equal(s[0], '0');
    free(s);
    char *empty = strbuf_detach(&sb);
    assert_string_equal(empty, "");
    free(empty);
}

/* ---- clock ------------------------------------------------------------------------------ */

static int64_t parse_ok(const char *s)
{
    int64_t t = -1;
    if (clock_parse_iso(s, &t) != 0) {
        print_error("clock_parse_iso rejected valid '%s'\n", s);
        fail();
    }
    return t;
}

static void test_clock_parse_valid(void **state)
{
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("2026-11-22T08:00:00Z"), 1795334400);
    assert_int_equal(parse_ok("2026-11-22 08:00:00Z"), 1795334400);
    assert_int_equal(parse_ok("2026-11-22T08:00:00.123Z"), 1795334400);
    assert_int_equal(parse_ok("2026-11-22T08:00:00.5+00:00"), 1795334400);
    assert_int_equal(parse_ok("2026-11-22"), 1795334400 - 8 * 3600);
    assert_int_equal(parse_ok("1999-12-31T23:59:59Z"), 946684799);
    assert_int_equal(parse_ok("2038-01-19T03:14:08Z"), 2147483648LL);
}

static void test_clock_parse_offsets(void **state)
{
    /* Beijing time is UTC+8: 16:00 there is 08:00 UTC. */
    assert_int_equal(parse_ok("2026-11-22T16:00:00+08:00"), 1795334400);
    assert_int_equal(parse_ok("2026-11-22T02:30:00-05:30"), 1795334400);
    assert_int_equal(parse_ok("2026-11-22T08:00:00-00:00"), 1795334400);
    /* An offset can move the instant across a day and a year boundary. */
    assert_int_equal(parse_ok("2000-01-01T07:59:59+08:00"), 946684799);
}

static void test_clock_parse_leap_days(void **state)
{
    int64_t t;
    assert_int_equal(parse_ok("2024-02-29"), 1709164800);
    assert_int_equal(parse_ok("2000-02-29T23:59:59Z"), 951868799); /* divisible by 400 */
    assert_int_equal(clock_parse_iso("2023-02-29", &t), -1);
    assert_int_equal(clock_parse_iso("1900-02-29", &t), -1); /* divisible by 100, not 400 */
    assert_int_equal(clock_parse_iso("2100-02-29T00:00:00Z", &t), -1);
    assert_int_equal(clock_parse_iso("2024-02-30", &t), -1);
    assert_int_equal(parse_ok("2024-03-01") - parse_ok("2024-02-28"), 2 * 86400);
    assert_int_equal(parse_ok("2023-03-01") - parse_ok("2023-02-28"), 86400);
}

static void test_clock_parse_invalid(void **state)
{
    static const char *bad[] = {
        "",
        "2026",
        "2026-11",
        "2026-1-22",
        "2026/11/22",
        "abcd-ef-gh",
        "2026-13-01",
        "2026-00-10",
        "2026-11-00",
        "2026-11-31",
        "2026-04-31",
        "2026-11-22T",
        "2026-11-22T08:00Z",
        "2026-11-22T8:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T08:60:00Z",
        "2026-11-22T08:00:61Z",
        "2026-11-22T08:00:00+0800",
        "2026-11-22T08:00:00+08",
        "2026-11-22T08:00:00+08:00:00",
        "2026-11-22T08:00:00X",
        "2026-11-22T08:00:00Z ",
        "2026-11-22T08:00:00Zjunk",
        "2026-11-22junk",
        "2026-11-22 ",
        " 2026-11-22",
        "2026-11-22T08:xx:00Z",
        "２０２６-11-22",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t t = 12345;
        if (clock_parse_iso(bad[i], &t) != -1) {
            print_error("clock_parse_iso accepted invalid '%s'\n", bad[i]);
            fail();
        }
    }
}

static void test_clock_format(void **state)
{
    char buf[32];
    clock_format_iso(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    clock_format_iso(1795334400, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-22T08:00:00Z");
    clock_format_iso(951868799, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T23:59:59Z");
    clock_format_iso(2147483648LL, buf, sizeof buf);
    assert_string_equal(buf, "2038-01-19T03:14:08Z");
    assert_int_equal(strlen(buf) + 1, 21);
    /* Round trip over a spread of instants, one roughly every 37 days for a century. */
    for (int64_t t = 0; t < 4102444800LL; t += 3196811) {
        clock_format_iso(t, buf, sizeof buf);
        assert_int_equal(parse_ok(buf), t);
    }
}

static void test_clock_offset(void **state)
{
    int64_t before = clock_now();
    clock_set_offset(86400);
    assert_int_equal(clock_get_offset(), 86400);
    int64_t shifted = clock_now();
    assert_true(shifted - before >= 86400 && shifted - before <= 86402);
    clock_set_offset(0);
    assert_int_equal(clock_get_offset(), 0);
    assert_true(clock_now() - before <= 2);
    int64_t ms = clock_real_now_ms();
    assert_true(ms / 1000 - clock_now() <= 1 && clock_now() - ms / 1000 <= 1);
}

/* ---- error ------------------------------------------------------------------------------ */

static void test_error_set(void **state)
{
    Error err = ERROR_INIT;
    assert_int_equal(err.status, 0);
    int rc = error_set(&err, 422, "validation_failed", "数据校验失败", "bad %s: %d", "level", 7);
    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.code, "validation_failed");
    assert_string_equal(err.message, "数据校验失败");
    assert_string_equal(err.message_en, "bad level: 7");
    error_clear(&err);
    assert_int_equal(err.status, 0);
    assert_string_equal(err.code, "");
    /* A NULL Error is allowed: the failure is still reported by the return value. */
    assert_int_equal(error_set(NULL, 500, "x", "x", "x"), -1);
    assert_int_equal(error_setf(NULL, 500, "x", "x", "x"), -1);
    error_field(NULL, "name", "必填");
    error_clear(NULL);
}

static void test_error_setf(void **state)
{
    Error err = ERROR_INIT;
    assert_int_equal(
        error_setf(&err, 404, "not_found", "找不到%s（%d）", "missing %s (%d)", "预案", 12), -1);
    assert_string_equal(err.message, "找不到预案（12）");
    assert_string_equal(err.message_en, "missing 预案 (12)");
    error_clear(&err);
}

static void test_error_truncates_long_messages(void **state)
{
    Error err = ERROR_INIT;
    char longtext[2000];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = 0;
    error_set(&err, 500, longtext, longtext, "%s", longtext);
    assert_int_equal(strlen(err.code), sizeof err.code - 1);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    assert_int_equal(strlen(err.message_en), sizeof err.message_en - 1);
    error_clear(&err);
}

static void test_error_fields_and_json(void **state)
{
    Error err = ERROR_INIT;
    error_set(&err, 422, "validation_failed", "数据校验失败", "validation failed");
    error_field(&err, "name", "名称必填");
    error_field(&err, "level", "等级无效");
    error_field(&err, "name", "名称过长"); /* replaces */
    assert_int_equal(json_object_size(err.fields), 2);

    json_t *j = error_to_json(&err);
    json_t *e = json_object_get(j, "error");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "code")), "validation_failed");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "数据校验失败");
    assert_string_equal(json_string_value(json_object_get(e, "message_en")), "validation failed");
    json_t *fields = json_object_get(e, "fields");
    assert_string_equal(json_string_value(json_object_get(fields, "name")), "名称过长");
    assert_string_equal(json_string_value(json_object_get(fields, "level")), "等级无效");
    json_decref(j);
    /* The JSON holds its own reference: the Error still owns (and frees) its fields. */
    assert_int_equal(json_object_size(err.fields), 2);
    error_clear(&err);
    assert_null(err.fields);
}

static void test_error_json_defaults(void **state)
{
    Error err = ERROR_INIT;
    json_t *j = error_to_json(&err);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "internal_error");
    assert_null(json_object_get(e, "fields"));
    json_decref(j);
}

static void test_error_shorthands(void **state)
{
    Error err = ERROR_INIT;
    assert_int_equal(error_not_found(&err), -1);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "not_found");
    error_clear(&err);
    assert_int_equal(error_forbidden(&err), -1);
    assert_int_equal(err.status, 403);
    assert_string_equal(err.code, "forbidden");
    error_clear(&err);
    assert_int_equal(error_internal(&err, "disk on fire"), -1);
    assert_int_equal(err.status, 500);
    assert_string_equal(err.code, "internal_error");
    assert_non_null(strstr(err.message_en, "disk on fire"));
    error_clear(&err);
}

static void test_file_read_all(void **state)
{
    (void)state;
    char path[] = "/tmp/yingji-fileio-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    size_t len = 99;
    char *data = file_read_all(path, &len); /* empty file: "" and length 0 */
    assert_non_null(data);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("a\0b,应急\n", 1, 11, f);
    fclose(f);
    data = file_read_all(path, &len); /* binary-safe, NUL-terminated */
    assert_non_null(data);
    assert_int_equal(len, 11);
    assert_memory_equal(data, "a\0b,应急\n", 11);
    assert_int_equal(data[11], 0);
    free(data);
    unlink(path);
    errno = 0;
    assert_null(file_read_all(path, &len));
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_many_allocations),
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_big_allocation),
        cmocka_unit_test(test_arena_strings),
        cmocka_unit_test(test_strbuf_build),
        cmocka_unit_test(test_strbuf_growth),
        cmocka_unit_test(test_clock_parse_valid),
        cmocka_unit_test(test_clock_parse_offsets),
        cmocka_unit_test(test_clock_parse_leap_days),
        cmocka_unit_test(test_clock_parse_invalid),
        cmocka_unit_test(test_clock_format),
        cmocka_unit_test(test_clock_offset),
        cmocka_unit_test(test_error_set),
        cmocka_unit_test(test_error_setf),
        cmocka_unit_test(test_error_truncates_long_messages),
        cmocka_unit_test(test_error_fields_and_json),
        cmocka_unit_test(test_error_json_defaults),
        cmocka_unit_test(test_error_shorthands),
        cmocka_unit_test(test_file_read_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
