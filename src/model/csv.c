/* model/csv — RFC 4180 reader and writer; see csv.h for the contract.
 *
 * Reading is lenient where spreadsheets are sloppy and strict where data could be lost:
 * line ends may be CRLF, LF or a lone CR; a quote inside an unquoted field is kept as a
 * character; text after a closing quote is appended to the field; only an unterminated
 * quoted field is an error, since everything after it would be misread. */
#include "model/csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void csv_reader_init(CsvReader *r, const char *data, size_t len)
{
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->line = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
}

/* Consumes a line end at the reader's position (CRLF, LF or CR); returns 1 if there was one. */
static int take_line_end(CsvReader *r)
{
    if (r->pos >= r->len)
        return 0;
    char c = r->data[r->pos];
    if (c == '\r') {
        r->pos++;
        if (r->pos < r->len && r->data[r->pos] == '\n')
            r->pos++;
    } else if (c == '\n') {
        r->pos++;
    } else {
        return 0;
    }
    r->line++;
    return 1;
}

/* Reads a quoted field body after its opening quote into sb; -1 when the quote never ends. */
static int read_quoted(CsvReader *r, StrBuf *sb)
{
    while (r->pos < r->len) {
        char c = r->data[r->pos];
        if (c == '"') {
            if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
                strbuf_addch(sb, '"');
                r->pos += 2;
                continue;
            }
            r->pos++;
            return 0;
        }
        if (c == '\n' || (c == '\r' && !(r->pos + 1 < r->len && r->data[r->pos + 1] == '\n')))
            r->line++;
        strbuf_addch(sb, c);
        r->pos++;
    }
    return -1;
}

/* Appends unquoted characters up to the next delimiter or line end. */
static void read_plain(CsvReader *r, StrBuf *sb)
{
    size_t start = r->pos;
    while (r->pos < r->len) {
        char c = r->data[r->pos];
        if (c == ',' || c == '\n' || c == '\r')
            break;
        r->pos++;
    }
    strbuf_add(sb, r->data + start, r->pos - start);
}

/* Reads one field into sb; -1 on an unterminated quote. */
static int read_field(CsvReader *r, StrBuf *sb)
{
    strbuf_reset(sb);
    if (r->pos < r->len && r->data[r->pos] == '"') {
        r->pos++;
        if (read_quoted(r, sb) < 0)
            return -1;
    }
    read_plain(r, sb); /* an unquoted field, or stray text after a closing quote */
    return 0;
}

typedef struct FieldList {
    char **v;
    int n, cap;
} FieldList;

static void fields_push(FieldList *fl, Arena *arena, const StrBuf *sb)
{
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? fl->cap * 2 : 16;
        fl->v = xrealloc(fl->v, sizeof *fl->v * (size_t)fl->cap);
    }
    fl->v[fl->n++] = arena_strndup(arena, sb->buf ? sb->buf : "", sb->len);
}

int csv_next_row(CsvReader *r, Arena *arena, CsvRow *row, int *row_line)
{
    row->nfields = 0;
    row->fields = NULL;
    if (row_line)
        *row_line = r->line;
    if (r->pos >= r->len)
        return 0;
    StrBuf sb = STRBUF_INIT;
    FieldList fl = {NULL, 0, 0};
    int rc = 1;
    for (;;) {
        if (read_field(r, &sb) < 0) {
            rc = -1;
            goto out;
        }
        fields_push(&fl, arena, &sb);
        if (r->pos < r->len && r->data[r->pos] == ',') {
            r->pos++;
            continue;
        }
        take_line_end(r);
        break;
    }
    row->nfields = fl.n;
    row->fields = arena_alloc(arena, sizeof(char *) * (size_t)fl.n);
    memcpy(row->fields, fl.v, sizeof(char *) * (size_t)fl.n);
out:
    free(fl.v);
    strbuf_free(&sb);
    return rc;
}

/* True when the whole string is a finite decimal number such as "-12", "+3.5" or "1e3". */
static int is_number(const char *s)
{
    if (!*s)
        return 0;
    char *end;
    double d = strtod(s, &end);
    if (*end || !isfinite(d))
        return 0;
    /* strtod also takes hex, "inf" and "nan": accept only decimal spellings. */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return 0;
    return 1;
}

static int is_formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@';
}

/* A value needs the ' guard when a spreadsheet would read it as a formula, or when it
 * already starts with apostrophes before such a character (so the importer, which drops
 * one leading apostrophe before a formula character, gets the original back). */
static int needs_guard(const char *v)
{
    const char *p = v;
    while (*p == '\'')
        p++;
    if (!is_formula_start(*p))
        return 0;
    return p != v || !is_number(v);
}

static int needs_quotes(const char *v)
{
    return strpbrk(v, ",\"\r\n") != NULL;
}

void csv_write_field(StrBuf *out, const char *value, int first_in_row)
{
    if (!first_in_row)
        strbuf_addch(out, ',');
    if (!value || !*value)
        return;
    int guard = needs_guard(value);
    if (!needs_quotes(value)) {
        if (guard)
            strbuf_addch(out, '\'');
        strbuf_adds(out, value);
        return;
    }
    strbuf_addch(out, '"');
    if (guard)
        strbuf_addch(out, '\'');
    for (const char *p = value; *p; p++) {
        if (*p == '"')
            strbuf_addch(out, '"');
        strbuf_addch(out, *p);
    }
    strbuf_addch(out, '"');
}

void csv_end_row(StrBuf *out)
{
    strbuf_add(out, "\r\n", 2);
}
