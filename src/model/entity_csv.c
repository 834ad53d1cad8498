/* model/entity_csv — CSV export and all-or-nothing CSV import of an entity.
 *
 * Columns: the key, every field that is neither SECRET nor NOCSV, then created_at and
 * updated_at. The export's header row holds the Chinese labels; the import accepts a label or
 * a field name per column, so an exported file re-imports. Values are written for people:
 * enum labels, 是/否 for booleans; the import accepts those and the raw values.
 *
 * Import policy (docs/entities.md): a column that is unknown, secret or NOCSV refuses the
 * whole file; read-only and engine columns (created_at, updated_at) are accepted and
 * ignored. Each row is a create, or an update when the key column holds an existing key. An
 * empty cell is an absent value. Every row is tried and every bad row is reported; if any is
 * bad the function fails and the caller rolls everything back. Duplicates of unique fields
 * are found by the engine's own checks, so no statement fails and no savepoints are needed
 * (tens of thousands of subtransactions would hurt PostgreSQL); should a statement still fail
 * on PostgreSQL, the remaining rows are validated without the store. Up to IMPORT_EVENTS_PER_ROW
 * rows send one change event each; larger imports send one "import" event. */
#include "model/csv.h"
#include "model/entity_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define IMPORT_EVENTS_PER_ROW 100
#define IMPORT_EVENT_DIVISIONS 64

/* ---- columns ----------------------------------------------------------------------------- */

typedef enum { COL_KEY, COL_FIELD, COL_IGNORED, COL_UNNAMED } ColKind;

typedef struct CsvCol {
    ColKind kind;
    const Field *f; /* COL_FIELD, or COL_KEY of a declared key */
    const char *name;
    const char *label;
} CsvCol;

static int exported(const Field *f)
{
    return !(f->flags & (FIELD_SECRET | FIELD_NOCSV | FIELD_KEY));
}

/* The export's columns, in order; returns the count (cols holds >= nfields + 3). */
static int export_columns(const Entity *e, CsvCol *cols)
{
    int n = 0;
    const Field *k = entity_field(e, entity_key_name(e));
    if (k)
        cols[n++] = (CsvCol){COL_KEY, k, k->name, k->label_zh ? k->label_zh : k->name};
    else
        cols[n++] = (CsvCol){COL_KEY, NULL, ENT_AUTO_KEY, "编号"};
    for (const Field *f = e->fields; f->name; f++)
        if (exported(f))
            cols[n++] = (CsvCol){COL_FIELD, f, f->name, f->label_zh ? f->label_zh : f->name};
    cols[n++] = (CsvCol){COL_IGNORED, NULL, ENT_CREATED, "创建时间"};
    cols[n++] = (CsvCol){COL_IGNORED, NULL, ENT_UPDATED, "更新时间"};
    return n;
}

static int count_fields(const Entity *e)
{
    int n = 0;
    for (const Field *f = e->fields; f->name; f++)
        n++;
    return n;
}

/* ---- export ------------------------------------------------------------------------------ */

static const char *export_cell(const Field *f, const char *cell)
{
    if (!cell || !f)
        return cell;
    if (f->type == FT_BOOL)
        return strcmp(cell, "0") != 0 ? "是" : "否";
    if (f->type == FT_ENUM) {
        const char *label = ent_enum_label(f, cell);
        return label ? label : cell;
    }
    return cell;
}

static void export_rows(const CsvCol *cols, int ncols, const DbRows *rows, StrBuf *out)
{
    int *idx = xcalloc((size_t)ncols, sizeof *idx);
    for (int c = 0; c < ncols; c++)
        idx[c] = db_col(rows, cols[c].name);
    for (int r = 0; r < rows->nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            const char *cell = idx[c] < 0 ? NULL : db_cell(rows, r, idx[c]);
            csv_write_field(out, export_cell(cols[c].f, cell), c == 0);
        }
        csv_end_row(out);
    }
    free(idx);
}

int entity_export_csv(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                      const ListQuery *lq, StrBuf *out, Error *err)
{
    ListSql ls;
    if (ent_list_sql(e, actor, lq, conn_dialect(c), arena, &ls, err) < 0)
        return -1;
    CsvCol *cols = xcalloc((size_t)count_fields(e) + 3, sizeof *cols);
    int ncols = export_columns(e, cols);
    strbuf_adds(out, "\xEF\xBB\xBF");
    for (int i = 0; i < ncols; i++)
        csv_write_field(out, cols[i].label, i == 0);
    csv_end_row(out);
    int rc = 0;
    for (int64_t offset = 0;; offset += ENT_EXPORT_PAGE) {
        Arena page = ARENA_INIT; /* one page of rows in memory at a time */
        DbRows rows;
        rc = ent_list_page(c, &page, e, &ls, ENT_EXPORT_PAGE, offset, &rows, err);
        if (rc == 0)
            export_rows(cols, ncols, &rows, out);
        int more = rc == 0 && rows.nrows == ENT_EXPORT_PAGE;
        arena_free(&page);
        if (!more)
            break;
    }
    free(cols);
    ent_list_sql_free(&ls);
    return rc;
}

/* ---- import: header ---------------------------------------------------------------------- */

typedef struct Importer {
    Tx *tx;
    const Entity *e;
    CsvCol *cols;
    int ncols;
    int key_col; /* index of the key column, or -1 */
    WriteOpts opts;
    ImportResult *res;
    int explicit_ids;  /* auto-increment ids given in the file */
    char division[16]; /* common prefix of the imported rows' division codes */
    int ndivisions;
    json_t *divisions; /* set of the division codes touched (up to IMPORT_EVENT_DIVISIONS) */
    int many_divisions;
    int dead; /* a statement failed on PostgreSQL: check the remaining rows only */
    /* When the table was empty at the start, the keys this import created (a key not in it
     * needs no lookup: an initial load of many rows saves a query per row); else NULL. */
    json_t *new_keys;
} Importer;

static char *trim(Arena *a, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return arena_strndup(a, s, n);
}

/* Finds the column a header names; fills col or returns -1 with the problem in *why. */
static int match_header(const Entity *e, const char *h, CsvCol *col, const char **why)
{
    const char *key = entity_key_name(e);
    int auto_key = !entity_field(e, key);
    if (!*h) {
        *col = (CsvCol){COL_UNNAMED, NULL, "", ""};
        return 0;
    }
    if (auto_key && (strcmp(h, ENT_AUTO_KEY) == 0 || strcmp(h, "编号") == 0)) {
        *col = (CsvCol){COL_KEY, NULL, ENT_AUTO_KEY, "编号"};
        return 0;
    }
    if (!strcmp(h, ENT_CREATED) || !strcmp(h, "创建时间") || !strcmp(h, ENT_UPDATED) ||
        !strcmp(h, "更新时间")) {
        *col = (CsvCol){COL_IGNORED, NULL, h, h};
        return 0;
    }
    const Field *f = entity_field(e, h);
    for (const Field *g = e->fields; !f && g->name; g++)
        if (g->label_zh && strcmp(g->label_zh, h) == 0)
            f = g;
    if (!f || (f->flags & FIELD_SECRET)) {
        *why = "不是可导入的列";
        return -1;
    }
    if (f->flags & FIELD_NOCSV) {
        *why = "不能通过 CSV 导入";
        return -1;
    }
    ColKind kind = (f->flags & FIELD_KEY)        ? COL_KEY
                   : (f->flags & FIELD_READONLY) ? COL_IGNORED
                                                 : COL_FIELD;
    *col = (CsvCol){kind, f, f->name, f->label_zh ? f->label_zh : f->name};
    return 0;
}

/* Refuses the whole file because of its header; the problem is also the one "row" error. */
static int header_refused(Importer *im, int line, const char *zh, const char *en, Error *err)
{
    json_array_append_new(im->res->row_errors,
                          json_pack("{s:i, s:s, s:{}}", "line", line, "message", zh, "fields"));
    return error_set(err, 422, "import_failed", zh, "%s", en);
}

/* At most max bytes of s, cut at a UTF-8 character boundary, for messages. */
static const char *clip(Arena *a, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return s;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return arena_printf(a, "%.*s…", (int)max, s);
}

static int read_header(Importer *im, const CsvRow *row, int line, Arena *a, Error *err)
{
    char zh[400], en[400];
    im->cols = arena_alloc(a, sizeof *im->cols * (size_t)(row->nfields ? row->nfields : 1));
    im->ncols = row->nfields;
    im->key_col = -1;
    for (int i = 0; i < row->nfields; i++) {
        const char *h = trim(a, row->fields[i]), *why = NULL;
        const char *shown = clip(a, h, 120);
        if (match_header(im->e, h, &im->cols[i], &why) < 0) {
            snprintf(zh, sizeof zh, "导入失败：列“%s”%s", shown, why);
            snprintf(en, sizeof en, "import failed: column '%s' cannot be imported", shown);
            return header_refused(im, line, zh, en, err);
        }
        for (int j = 0; j < i; j++) {
            if (im->cols[i].kind == COL_UNNAMED || im->cols[i].kind == COL_IGNORED ||
                strcmp(im->cols[j].name, im->cols[i].name) != 0)
                continue;
            snprintf(zh, sizeof zh, "导入失败：列“%s”重复出现", shown);
            snprintf(en, sizeof en, "import failed: column '%s' appears twice", shown);
            return header_refused(im, line, zh, en, err);
        }
        if (im->cols[i].kind == COL_KEY)
            im->key_col = i;
    }
    return 0;
}

/* ---- import: cells ----------------------------------------------------------------------- */

/* Undoes the export's formula guard: one ' before = + - @ (after any further 's). */
static const char *unguard(const char *s)
{
    const char *p = s;
    if (*p != '\'')
        return s;
    while (*p == '\'')
        p++;
    return (*p == '=' || *p == '+' || *p == '-' || *p == '@') ? s + 1 : s;
}

static int parse_bool_cell(const char *s, int *out)
{
    if (!strcmp(s, "是") || !strcasecmp(s, "true") || !strcmp(s, "1"))
        *out = 1;
    else if (!strcmp(s, "否") || !strcasecmp(s, "false") || !strcmp(s, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* Converts one non-empty cell to JSON by field type; NULL with a field message on failure. */
static json_t *cell_json(const Field *f, const char *raw, Arena *a, Error *cerr)
{
    const char *s = f->type == FT_TEXT || f->type == FT_JSON ? raw : trim(a, raw);
    int64_t i;
    int b;
    char *end;
    json_t *v = NULL;
    switch (f->type) {
    case FT_INT:
    case FT_REF:
        if (ent_parse_int(s, &i) == 0)
            return json_integer(i);
        ent_field_error(cerr, f, f->type == FT_REF ? "应为正整数（所引用记录的编号）" : "应为整数");
        return NULL;
    case FT_REAL: {
        double d = strtod(s, &end);
        if (*s && !*end && isfinite(d))
            return json_real(d);
        ent_field_error(cerr, f, "应为数字");
        return NULL;
    }
    case FT_BOOL:
        if (parse_bool_cell(s, &b) == 0)
            return json_boolean(b);
        ent_field_error(cerr, f, "应为“是”或“否”");
        return NULL;
    case FT_JSON:
        v = json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        if (!v)
            ent_field_error(cerr, f, "应为 JSON");
        return v;
    case FT_ENUM: {
        const char *value = ent_enum_from_label(f, s);
        v = json_string(value ? value : s);
        break;
    }
    default:
        v = json_string(s);
    }
    if (!v)
        ent_field_error(cerr, f, "含有无效的 UTF-8 字符");
    return v;
}

static int blank_row(const CsvRow *row)
{
    for (int i = 0; i < row->nfields; i++)
        for (const char *p = row->fields[i]; *p; p++)
            if (!isspace((unsigned char)*p))
                return 0;
    return 1;
}

/* The row as create/update input (fields only; the key column is read separately). Cell
 * problems go to cerr->fields; a value in a column without header is a problem too. */
static json_t *row_input(Importer *im, const CsvRow *row, Arena *a, Error *cerr)
{
    json_t *in = json_object();
    for (int i = 0; i < row->nfields; i++) {
        const char *cell = unguard(row->fields[i]);
        const CsvCol *col = i < im->ncols ? &im->cols[i] : NULL;
        if (!*cell || (col && col->kind == COL_IGNORED))
            continue;
        if (!col || col->kind == COL_UNNAMED) {
            char name[32];
            snprintf(name, sizeof name, "column_%d", i + 1);
            error_field(cerr, name, "该列没有表头");
            continue;
        }
        if (!col->f)
            continue; /* the auto-increment key */
        if (col->kind == COL_KEY)
            cell = trim(a, cell); /* the key is looked up trimmed: store it the same way */
        json_t *v = cell_json(col->f, cell, a, cerr);
        if (v)
            json_object_set_new(in, col->f->name, v);
    }
    return in;
}

/* ---- import: one row --------------------------------------------------------------------- */

/* Remembers where imported records lie, for the summary events. */
static void note_division(Importer *im, json_t *rec)
{
    const Field *div = ent_division_field(im->e);
    const char *d = div ? json_string_value(json_object_get(rec, div->name)) : NULL;
    if (!d)
        return;
    if (json_object_size(im->divisions) < IMPORT_EVENT_DIVISIONS)
        json_object_set_new(im->divisions, d, json_true());
    else if (!json_object_get(im->divisions, d))
        im->many_divisions = 1;
    if (im->ndivisions++ == 0) {
        snprintf(im->division, sizeof im->division, "%s", d);
        return;
    }
    size_t n = 0;
    while (im->division[n] && im->division[n] == d[n])
        n++;
    im->division[n] = 0;
}

/* A large import sends one "import" event per division code it touched, so subscribers of
 * each jurisdiction learn of it; beyond IMPORT_EVENT_DIVISIONS codes, one event for the
 * longest division code all records share (or for everyone). */
static void summary_events(Importer *im)
{
    const char *table = im->e->table;
    if (!im->many_divisions && json_object_size(im->divisions) > 0) {
        const char *code;
        json_t *v;
        json_object_foreach(im->divisions, code, v)
        {
            tx_event(im->tx, table, "", "import", code);
        }
        return;
    }
    static const size_t levels[] = {12, 9, 6, 4, 2};
    size_t n = strlen(im->division);
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (levels[i] <= n) {
            im->division[levels[i]] = 0;
            tx_event(im->tx, table, "", "import", im->division);
            return;
        }
    tx_event(im->tx, table, "", "import", NULL);
}

/* Keys created by this import, while the table held nothing else (see start_empty). */
static void remember_key(Importer *im, json_t *after, Arena *a)
{
    json_t *k = json_object_get(after, entity_key_name(im->e));
    const char *s = json_is_integer(k) ? arena_printf(a, "%lld", (long long)json_integer_value(k))
                                       : json_string_value(k);
    if (s)
        json_object_set_new(im->new_keys, s, json_true());
}

/* key_is_new: the row's key was looked up and is free. */
static int import_create(Importer *im, json_t *in, const char *auto_id, int key_is_new, Arena *a,
                         Error *err)
{
    json_t *input = ent_create_input(im->e, im->tx->actor, in);
    json_t *rec = ent_validate(im->e, input, VALIDATE_CREATE, im->tx->actor, err);
    json_t *after = NULL;
    int rc = -1;
    if (!rec)
        goto out;
    if (auto_id) {
        int64_t id;
        ent_parse_int(auto_id, &id); /* checked by the caller */
        json_object_set_new(rec, ENT_AUTO_KEY, json_integer(id));
        im->explicit_ids = 1;
    }
    WriteOpts o = im->opts;
    o.key_is_new = key_is_new;
    rc = ent_insert(im->tx, im->e, rec, &o, a, &after, err);
    if (rc == 0)
        note_division(im, after);
    if (rc == 0 && im->new_keys)
        remember_key(im, after, a);
out:
    json_decref(after);
    json_decref(rec);
    json_decref(input);
    return rc;
}

/* Immutable fields may appear in an update row only with their current value. */
static int drop_unchanged_immutables(const Entity *e, json_t *patch, json_t *before, Error *err)
{
    int bad = 0;
    for (const Field *f = e->fields; f->name; f++) {
        json_t *v = json_object_get(patch, f->name);
        if (!v || !(f->flags & FIELD_IMMUTABLE))
            continue;
        if (json_equal(v, json_object_get(before, f->name)))
            json_object_del(patch, f->name);
        else {
            ent_field_error(err, f, "创建后不可修改");
            bad++;
        }
    }
    return bad ? ent_validation_failed(err) : 0;
}

static int import_update(Importer *im, json_t *in, const DbRows *before_rows, Arena *a, Error *err)
{
    const Field *k = entity_field(im->e, entity_key_name(im->e));
    if (k)
        json_object_del(in, k->name);
    json_t *patch = ent_validate(im->e, in, VALIDATE_IMPORT_UPDATE, im->tx->actor, err);
    json_t *before = ent_row_json(im->e, before_rows, 0, SECRETS_KEEP), *after = NULL;
    int rc = -1;
    if (patch && drop_unchanged_immutables(im->e, patch, before, err) == 0)
        rc = ent_update_row(im->tx, im->e, before_rows, patch, &im->opts, a, &after, err);
    if (rc == 0)
        note_division(im, after);
    json_decref(after);
    json_decref(before);
    json_decref(patch);
    return rc;
}

/* Creates or updates the row's record; -1 with err (4xx: the row is bad). */
static int import_record(Importer *im, json_t *in, const char *key, Arena *a, Error *err)
{
    const Entity *e = im->e;
    if (!key)
        return import_create(im, in, NULL, 0, a, err);
    DbValue kv;
    if (ent_key_param(e, key, &kv) < 0) {
        error_field(err, entity_key_name(e), "编号应为整数");
        return ent_validation_failed(err);
    }
    const char *norm = kv.type == DB_INT ? arena_printf(a, "%lld", (long long)kv.i) : key;
    if (im->new_keys && !json_object_get(im->new_keys, norm)) /* the table held no rows */
        return import_create(im, in, entity_field(e, entity_key_name(e)) ? NULL : key, 1, a, err);
    DbRows rows;
    int found = ent_load(im->tx->conn, a, e, im->tx->actor, key, 1, &rows, err);
    if (found < 0)
        return -1;
    if (found)
        return import_update(im, in, &rows, a, err);
    if (ent_scoped(e, im->tx->actor)) {
        found = ent_load(im->tx->conn, a, e, NULL, key, 0, &rows, err);
        if (found < 0)
            return -1;
        if (found) /* exists, but not for this actor */
            return error_not_found(err);
    }
    return import_create(im, in, entity_field(e, entity_key_name(e)) ? NULL : key, 1, a, err);
}

static void add_row_error(Importer *im, int line, const Error *rerr)
{
    json_t *fields = rerr->fields ? json_deep_copy(rerr->fields) : json_object();
    json_array_append_new(im->res->row_errors, json_pack("{s:i, s:s, s:o}", "line", line, "message",
                                                         rerr->message, "fields", fields));
}

/* After a failed statement PostgreSQL refuses every further one in the transaction: the
 * remaining rows are then only checked, without the store, so their problems still show. */
static int validate_only(Importer *im, json_t *in, const char *key, Error *err)
{
    json_t *input = key ? json_incref(in) : ent_create_input(im->e, im->tx->actor, in);
    json_t *v = ent_validate(im->e, input, key ? VALIDATE_IMPORT_UPDATE : VALIDATE_CREATE,
                             im->tx->actor, err);
    json_decref(input);
    json_decref(v);
    return v ? 0 : -1;
}

/* One record's input (fields, the key or NULL, the problems found converting its cells in
 * cerr). Returns 0 (imported), 1 (bad record, recorded with its line) or -1 (the import
 * fails). */
static int import_input(Importer *im, json_t *in, const char *key, Arena *a, Error *cerr, int line,
                        Error *err)
{
    Error rerr = ERROR_INIT;
    /* A record with unreadable cells is only checked, so its other problems show too. */
    int rc = im->dead || cerr->fields ? validate_only(im, in, key, &rerr)
                                      : import_record(im, in, key, a, &rerr);
    if (rc == 0 && cerr->fields) {
        rc = -1;
        ent_validation_failed(&rerr);
    }
    if (rc < 0 && cerr->fields) { /* cell problems explain more than what followed from them */
        if (!rerr.fields)
            rerr.fields = json_object();
        json_object_update(rerr.fields, cerr->fields);
    }
    if (rc < 0 && rerr.status >= 400 && rerr.status < 500) {
        add_row_error(im, line, &rerr);
        if (rerr.status == 409 && conn_dialect(im->tx->conn) == DIALECT_POSTGRES)
            im->dead = 1;
        rc = 1;
    } else if (rc < 0) {
        *err = rerr; /* hands over the field object */
        rerr.fields = NULL;
    }
    error_clear(&rerr);
    return rc;
}

/* One data row. Returns 0 (imported), 1 (bad row, recorded) or -1 (the import fails). */
static int import_row(Importer *im, const CsvRow *row, int line, Error *err)
{
    Arena a = ARENA_INIT;
    Error cerr = ERROR_INIT;
    json_t *in = row_input(im, row, &a, &cerr);
    const char *key = NULL;
    if (im->key_col >= 0 && im->key_col < row->nfields)
        key = trim(&a, row->fields[im->key_col]);
    if (key && !*key)
        key = NULL;
    int rc = import_input(im, in, key, &a, &cerr, line, err);
    json_decref(in);
    error_clear(&cerr);
    arena_free(&a);
    return rc;
}

/* ---- import: the file -------------------------------------------------------------------- */

/* Counts data rows (and finds a malformed quote) before anything is written. */
static int scan_rows(const char *data, size_t len, int *nrows, int *bad_line)
{
    CsvReader r;
    csv_reader_init(&r, data, len);
    int rc, line;
    *nrows = 0;
    for (;;) {
        Arena a = ARENA_INIT;
        CsvRow row;
        rc = csv_next_row(&r, &a, &row, &line);
        if (rc == 1 && !blank_row(&row))
            (*nrows)++;
        arena_free(&a);
        if (rc <= 0)
            break;
    }
    *bad_line = line;
    return rc;
}

static int refuse_file(ImportResult *res, int line, Error *err, const char *zh, const char *en)
{
    json_array_append_new(res->row_errors,
                          json_pack("{s:i, s:s, s:{}}", "line", line, "message", zh, "fields"));
    return error_set(err, 422, "import_failed", zh, "%s", en);
}

static int check_file(const char *data, size_t len, ImportResult *res, int *nrows, Error *err)
{
    if (memchr(data, 0, len))
        return refuse_file(res, 1, err, "文件包含空字符，不是文本格式的 CSV",
                           "the file contains NUL bytes: not a CSV text file");
    if (ent_utf8_length(data, len) < 0)
        return refuse_file(res, 1, err,
                           "文件不是 UTF-8 编码（可能是 GBK），请在 Excel 中另存为“CSV UTF-8”",
                           "the file is not UTF-8 (GBK?); save it as CSV UTF-8");
    int bad_line;
    if (scan_rows(data, len, nrows, &bad_line) < 0) {
        char zh[160], en[160];
        snprintf(zh, sizeof zh, "CSV 格式错误：第 %d 行开始的引号没有闭合", bad_line);
        snprintf(en, sizeof en, "malformed CSV: unterminated quote in the row from line %d",
                 bad_line);
        return refuse_file(res, bad_line, err, zh, en);
    }
    return 0;
}

/* After explicit ids on PostgreSQL the identity sequence must move past them. */
static int fix_identity(Importer *im, Error *err)
{
    if (!im->explicit_ids || conn_dialect(im->tx->conn) != DIALECT_POSTGRES)
        return 0;
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM %s))",
                im->e->table);
    DbValue p = db_text(im->e->table);
    Arena a = ARENA_INIT;
    DbRows rows;
    int rc = store_query(im->tx->conn, &a, strbuf_cstr(&sql), &p, 1, &rows, err);
    arena_free(&a);
    strbuf_free(&sql);
    return rc;
}

/* Sets im->new_keys when the table holds no rows (inside the import's transaction). */
static int start_empty(Importer *im, Error *err)
{
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "SELECT 1 FROM %s LIMIT 1", im->e->table);
    int64_t one;
    int rc = store_query_int(im->tx->conn, strbuf_cstr(&sql), NULL, 0, &one, err);
    strbuf_free(&sql);
    if (rc == 1)
        im->new_keys = json_object();
    return rc < 0 ? -1 : 0;
}

static int import_rows(Importer *im, const char *data, size_t len, Error *err)
{
    CsvReader r;
    csv_reader_init(&r, data, len);
    Arena head = ARENA_INIT;
    CsvRow row;
    int line, rc = csv_next_row(&r, &head, &row, &line);
    if (rc == 0)
        rc =
            refuse_file(im->res, 1, err, "文件是空的：第一行应为表头", "empty file: no header row");
    else if (rc == 1)
        rc = read_header(im, &row, line, &head, err);
    while (rc >= 0) {
        Arena a = ARENA_INIT;
        int more = csv_next_row(&r, &a, &row, &line);
        if (more == 1 && !blank_row(&row)) {
            im->res->rows_total++;
            rc = import_row(im, &row, line, err);
            im->res->rows_imported += rc == 0;
        }
        arena_free(&a);
        if (more != 1)
            break;
    }
    arena_free(&head);
    return rc < 0 ? -1 : 0;
}

static void importer_init(Importer *im, Tx *tx, const Entity *e, ImportResult *result, int nrecords)
{
    memset(im, 0, sizeof *im);
    im->tx = tx;
    im->e = e;
    im->res = result;
    im->opts.events = nrecords <= IMPORT_EVENTS_PER_ROW;
    im->opts.refs_ok = json_object();
    im->divisions = json_object();
}

/* Ends an import whose records were all tried (rc 0) or that failed (-1): refuses it when any
 * record was bad (bad_zh/bad_en take the count as %zu), moves the identity sequence, sends
 * the summary events, releases what the importer holds. */
static int importer_finish(Importer *im, int rc, const char *bad_zh, const char *bad_en, Error *err)
{
    ImportResult *result = im->res;
    json_decref(im->new_keys);
    im->new_keys = NULL;
    json_decref(im->opts.refs_ok);
    im->opts.refs_ok = NULL;
    size_t bad = json_array_size(result->row_errors);
    if (rc == 0 && bad)
        rc = error_setf(err, 422, "import_failed", bad_zh, bad_en, bad, bad);
    if (rc == 0)
        rc = fix_identity(im, err);
    if (rc == 0 && !im->opts.events && result->rows_imported > 0)
        summary_events(im);
    if (rc < 0)
        result->rows_imported = 0;
    json_decref(im->divisions);
    im->divisions = NULL;
    return rc;
}

int entity_import_csv(Tx *tx, const Entity *e, const char *data, size_t len, ImportResult *result,
                      Error *err)
{
    memset(result, 0, sizeof *result);
    result->row_errors = json_array();
    int nrows = 0;
    if (check_file(data, len, result, &nrows, err) < 0)
        return -1;
    Importer im;
    importer_init(&im, tx, e, result, nrows);
    int rc = start_empty(&im, err);
    if (rc == 0)
        rc = import_rows(&im, data, len, err);
    return importer_finish(&im, rc, "导入失败：%zu 行数据有误，未导入任何记录",
                           "import failed: %zu bad rows, nothing was imported", err);
}

/* ---- records from other formats (GeoJSON) ------------------------------------------------ */

EntImport *ent_import_begin(Tx *tx, const Entity *e, ImportResult *result, int nrecords, Error *err)
{
    memset(result, 0, sizeof *result);
    result->row_errors = json_array();
    Importer *im = xcalloc(1, sizeof *im);
    importer_init(im, tx, e, result, nrecords);
    if (start_empty(im, err) < 0) {
        importer_finish(im, -1, "", "", err);
        free(im);
        return NULL;
    }
    return im;
}

int ent_import_one(EntImport *im, json_t *in, const char *key, Error *cerr, int number, Error *err)
{
    Arena a = ARENA_INIT;
    im->res->rows_total++;
    int rc = import_input(im, in, key, &a, cerr, number, err);
    im->res->rows_imported += rc == 0;
    arena_free(&a);
    return rc;
}

int ent_import_end(EntImport *im, int rc, const char *bad_zh, const char *bad_en, Error *err)
{
    rc = importer_finish(im, rc, bad_zh, bad_en, err);
    free(im);
    return rc;
}

void import_result_clear(ImportResult *r)
{
    json_decref(r->row_errors);
    r->row_errors = NULL;
}
