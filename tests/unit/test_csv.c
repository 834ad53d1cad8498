/* tests/unit/test_csv — model/csv: RFC 4180 reading edge cases and the writer's quoting and
 * formula-injection guard. */
#include "test_util.h"

#include "core/arena.h"
#include "core/strbuf.h"
#include "model/csv.h"

/* Reads every row of s; returns the number of rows, or -1 (malformed) with *bad_line. */
static int read_all(const char *s, size_t len, Arena *a, CsvRow *rows, int *lines, int max,
                    int *bad_line)
{
    CsvReader r;
    csv_reader_init(&r, s, len);
    int n = 0, line;
    for (;;) {
        CsvRow row;
        int rc = csv_next_row(&r, a, &row, &line);
        if (rc < 0) {
            if (bad_line)
                *bad_line = line;
            return -1;
        }
        if (rc == 0)
            return n;
        assert_true(n < max);
        lines[n] = line;
        rows[n++] = row;
    }
}

#define READ(s, rows, lines) read_all((s), strlen(s), &a, (rows), (lines), 16, NULL)

static void test_basic_crlf(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    assert_int_equal(READ("a,b,c\r\n1,2,3\r\n", rows, lines), 2);
    assert_int_equal(rows[0].nfields, 3);
    assert_string_equal(rows[0].fields[0], "a");
    assert_string_equal(rows[0].fields[2], "c");
    assert_string_equal(rows[1].fields[1], "2");
    assert_int_equal(lines[0], 1);
    assert_int_equal(lines[1], 2);
    arena_free(&a);
}

static void test_lf_and_no_trailing_newline(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    assert_int_equal(READ("x,y\n1,2", rows, lines), 2);
    assert_string_equal(rows[1].fields[0], "1");
    assert_string_equal(rows[1].fields[1], "2");
    /* a lone CR ends a line too (old spreadsheets) */
    assert_int_equal(READ("x\ry\r", rows, lines), 2);
    assert_string_equal(rows[1].fields[0], "y");
    assert_int_equal(lines[1], 2);
    arena_free(&a);
}

static void test_bom_skipped(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    assert_int_equal(READ("\xEF\xBB\xBF名称,代码\r\n", rows, lines), 1);
    assert_string_equal(rows[0].fields[0], "名称");
    assert_int_equal(READ("\xEF\xBB\xBF", rows, lines), 0);
    assert_int_equal(READ("", rows, lines), 0);
    arena_free(&a);
}

static void test_quoted_fields(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    const char *s = "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\r\nline3\"\r\nnext,\"\"\r\n";
    assert_int_equal(READ(s, rows, lines), 2);
    assert_int_equal(rows[0].nfields, 3);
    assert_string_equal(rows[0].fields[0], "a,b");
    assert_string_equal(rows[0].fields[1], "say \"hi\"");
    assert_string_equal(rows[0].fields[2], "line1\nline2\r\nline3");
    assert_int_equal(lines[1], 4); /* the quoted newlines count */
    assert_string_equal(rows[1].fields[0], "next");
    assert_string_equal(rows[1].fields[1], "");
    arena_free(&a);
}

static void test_empty_fields_and_lines(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    assert_int_equal(READ(",,\na,\n\nb\n", rows, lines), 4);
    assert_int_equal(rows[0].nfields, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(rows[0].fields[i], "");
    assert_int_equal(rows[1].nfields, 2);
    assert_string_equal(rows[1].fields[1], "");
    assert_int_equal(rows[2].nfields, 1); /* a blank line is one empty field */
    assert_string_equal(rows[2].fields[0], "");
    assert_int_equal(lines[3], 4);
    arena_free(&a);
}

static void test_lenient_quotes(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    assert_int_equal(READ("ab\"c,\"x\"y\n", rows, lines), 1);
    assert_string_equal(rows[0].fields[0], "ab\"c"); /* a quote inside a plain field is text */
    assert_string_equal(rows[0].fields[1], "xy");    /* text after a closing quote is kept */
    arena_free(&a);
}

static void test_unterminated_quote(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16], bad = 0;
    const char *s = "a,b\n1,2\n\"open,3\n4,5\n";
    assert_int_equal(read_all(s, strlen(s), &a, rows, lines, 16, &bad), -1);
    assert_int_equal(bad, 3);
    assert_int_equal(READ("\"", rows, lines), -1);
    arena_free(&a);
}

static void test_embedded_nul_length(void **state)
{
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    static const char s[] = "a,b\n1,2"; /* only len bytes are read, no NUL needed */
    assert_int_equal(read_all(s, 5, &a, rows, lines, 16, NULL), 2);
    assert_string_equal(rows[1].fields[0], "1");
    assert_int_equal(rows[1].nfields, 1);
    arena_free(&a);
}

/* ---- writer ------------------------------------------------------------------------------ */

static const char *one_field(StrBuf *sb, const char *v)
{
    strbuf_reset(sb);
    csv_write_field(sb, v, 1);
    return strbuf_cstr(sb);
}

static void test_write_quoting(void **state)
{
    StrBuf sb = STRBUF_INIT;
    assert_string_equal(one_field(&sb, "plain"), "plain");
    assert_string_equal(one_field(&sb, NULL), "");
    assert_string_equal(one_field(&sb, ""), "");
    assert_string_equal(one_field(&sb, "a,b"), "\"a,b\"");
    assert_string_equal(one_field(&sb, "say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(one_field(&sb, "l1\nl2"), "\"l1\nl2\"");
    assert_string_equal(one_field(&sb, "应急管理"), "应急管理");
    strbuf_reset(&sb);
    csv_write_field(&sb, "a", 1);
    csv_write_field(&sb, "b", 0);
    csv_write_field(&sb, NULL, 0);
    csv_end_row(&sb);
    assert_string_equal(strbuf_cstr(&sb), "a,b,\r\n");
    strbuf_free(&sb);
}

static void test_formula_guard(void **state)
{
    StrBuf sb = STRBUF_INIT;
    assert_string_equal(one_field(&sb, "=SUM(A1:A9)"), "'=SUM(A1:A9)");
    assert_string_equal(one_field(&sb, "+86 931"), "'+86 931");
    assert_string_equal(one_field(&sb, "-abc"), "'-abc");
    assert_string_equal(one_field(&sb, "@cmd"), "'@cmd");
    assert_string_equal(one_field(&sb, "=HYPERLINK(\"x\",\"y\")"),
                        "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
    /* numbers stay numbers */
    assert_string_equal(one_field(&sb, "-12.5"), "-12.5");
    assert_string_equal(one_field(&sb, "+3"), "+3");
    assert_string_equal(one_field(&sb, "-1e3"), "-1e3");
    assert_string_equal(one_field(&sb, "-inf"), "'-inf");
    assert_string_equal(one_field(&sb, "-0x10"), "'-0x10");
    /* an apostrophe before a formula character gets one more, so an import can undo it */
    assert_string_equal(one_field(&sb, "'=x"), "''=x");
    assert_string_equal(one_field(&sb, "'plain"), "'plain");
    strbuf_free(&sb);
}

static void test_write_read_round_trip(void **state)
{
    const char *values[] = {"名称, 含逗号", "引号\"内\"", "换行\n第二行", "\r\nCRLF", "",
                            "  空格  ",     "trailing,",  "\"",           ",",        "x"};
    int n = (int)(sizeof values / sizeof values[0]);
    StrBuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "\xEF\xBB\xBF");
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < n; i++)
            csv_write_field(&sb, values[i], i == 0);
        csv_end_row(&sb);
    }
    Arena a = ARENA_INIT;
    CsvRow rows[16];
    int lines[16];
    assert_int_equal(read_all(sb.buf, sb.len, &a, rows, lines, 16, NULL), 2);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(rows[r].nfields, n);
        for (int i = 0; i < n; i++)
            assert_string_equal(rows[r].fields[i], values[i]);
    }
    assert_int_equal(lines[1], 4); /* two newlines inside quoted values in row 1 */
    arena_free(&a);
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_crlf),
        cmocka_unit_test(test_lf_and_no_trailing_newline),
        cmocka_unit_test(test_bom_skipped),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_empty_fields_and_lines),
        cmocka_unit_test(test_lenient_quotes),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_embedded_nul_length),
        cmocka_unit_test(test_write_quoting),
        cmocka_unit_test(test_formula_guard),
        cmocka_unit_test(test_write_read_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
