/* model/entity — declaration helpers, DDL for both dialects, division codes, and the
 * entity's description for UIs and OpenAPI. See entity.h for the contract and
 * entity_internal.h for how the engine is split. */
#include "model/entity_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- SQL parameters ---------------------------------------------------------------------- */

void sqlp_init(SqlParams *p, Arena *arena)
{
    p->v = NULL;
    p->n = p->cap = 0;
    p->arena = arena;
}

int sqlp_add(SqlParams *p, DbValue v)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 16;
        DbValue *bigger = arena_alloc(p->arena, sizeof *bigger * (size_t)cap);
        if (p->n)
            memcpy(bigger, p->v, sizeof *bigger * (size_t)p->n);
        p->v = bigger;
        p->cap = cap;
    }
    p->v[p->n++] = v;
    return p->n;
}

/* ---- declaration helpers ----------------------------------------------------------------- */

const Field *entity_field(const Entity *e, const char *name)
{
    for (const Field *f = e->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static const Field *key_field(const Entity *e)
{
    for (const Field *f = e->fields; f->name; f++)
        if (f->flags & FIELD_KEY)
            return f;
    return NULL;
}

const char *entity_key_name(const Entity *e)
{
    const Field *k = key_field(e);
    return k ? k->name : ENT_AUTO_KEY;
}

int entity_key_is_int(const Entity *e)
{
    const Field *k = key_field(e);
    return !k || k->type == FT_INT || k->type == FT_REF;
}

const Field *ent_division_field(const Entity *e)
{
    return e->division_field ? entity_field(e, e->division_field) : NULL;
}

const Field *ent_enterprise_field(const Entity *e)
{
    return entity_field(e, ENT_ENTERPRISE);
}

const char *ent_type_name(FieldType t)
{
    static const char *const names[] = {"text", "int",  "real",     "bool", "enum",
                                        "time", "date", "division", "ref",  "json"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "text";
}

int ent_is_text_type(FieldType t)
{
    return t == FT_TEXT || t == FT_ENUM || t == FT_TIME || t == FT_DATE || t == FT_DIVISION ||
           t == FT_JSON;
}

int ent_text_max(const Field *f)
{
    return f->max_len > 0 ? f->max_len : ENT_TEXT_MAX_DEFAULT;
}

const char *ent_enum_label(const Field *f, const char *value)
{
    for (const EnumValue *v = f->enum_values; v && v->value; v++)
        if (strcmp(v->value, value) == 0)
            return v->label_zh ? v->label_zh : v->value;
    return NULL;
}

const char *ent_enum_from_label(const Field *f, const char *label_or_value)
{
    for (const EnumValue *v = f->enum_values; v && v->value; v++)
        if (strcmp(v->value, label_or_value) == 0)
            return v->value;
    for (const EnumValue *v = f->enum_values; v && v->value; v++)
        if (v->label_zh && strcmp(v->label_zh, label_or_value) == 0)
            return v->value;
    return NULL;
}

int ent_parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

/* Length of the UTF-8 sequence starting with byte c (0 when c cannot start one). */
static int utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Checks one multi-byte sequence: continuation bytes, overlongs, surrogates, > U+10FFFF. */
static int utf8_seq_ok(const unsigned char *s, int n)
{
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0)
        return 0; /* overlong */
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0)
        return 0; /* UTF-16 surrogate */
    if (n == 4 && s[0] == 0xF0 && s[1] < 0x90)
        return 0; /* overlong */
    if (n == 4 && s[0] == 0xF4 && s[1] >= 0x90)
        return 0; /* beyond U+10FFFF */
    return 1;
}

int ent_utf8_length(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    int count = 0;
    size_t i = 0;
    while (i < n) {
        int len = utf8_seq_len(s[i]);
        if (len == 0 || i + (size_t)len > n || !utf8_seq_ok(s + i, len))
            return -1;
        i += (size_t)len;
        count++;
    }
    return count;
}

/* ---- division codes ---------------------------------------------------------------------- */

int division_code_normalize(const char *in, char *out)
{
    if (!in)
        return -1;
    size_t n = strlen(in);
    if (n != 2 && n != 4 && n != 6 && n != 9 && n != 12)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (in[i] < '0' || in[i] > '9')
            return -1;
    memcpy(out, in, n + 1);
    /* Strip zero padding level by level: 12 -> 9 -> 6 -> 4 -> 2 digits. */
    for (;;) {
        size_t shorter = n == 12 ? 9 : n == 9 ? 6 : n == 6 ? 4 : n == 4 ? 2 : 0;
        if (shorter == 0)
            break;
        int padded = 1;
        for (size_t i = shorter; i < n; i++)
            if (out[i] != '0')
                padded = 0;
        if (!padded)
            break;
        out[shorter] = 0;
        n = shorter;
    }
    return 0;
}

/* ---- DDL --------------------------------------------------------------------------------- */

static const char *column_type(FieldType t, Dialect d)
{
    switch (t) {
    case FT_INT:
    case FT_REF:
        return d == DIALECT_SQLITE ? "INTEGER" : "BIGINT";
    case FT_REAL:
        return d == DIALECT_SQLITE ? "REAL" : "DOUBLE PRECISION";
    case FT_BOOL:
        return "INTEGER";
    default:
        return "TEXT";
    }
}

static void ddl_column(const Field *f, Dialect d, StrBuf *out)
{
    strbuf_addf(out, ",\n  %s %s", f->name, column_type(f->type, d));
    if (f->flags & FIELD_REQUIRED)
        strbuf_adds(out, " NOT NULL");
    if (f->default_sql)
        strbuf_addf(out, " DEFAULT %s", f->default_sql);
    if (f->type == FT_REF && f->ref_table)
        strbuf_addf(out, " REFERENCES %s(id)", f->ref_table);
}

static void ddl_index(const Entity *e, const Field *f, int unique, StrBuf *out)
{
    strbuf_addf(out, "CREATE %sINDEX IF NOT EXISTS %s_%s_idx ON %s (%s);\n",
                unique ? "UNIQUE " : "", e->table, f->name, e->table, f->name);
}

void entity_ddl(const Entity *e, Dialect d, StrBuf *out)
{
    strbuf_addf(out, "CREATE TABLE IF NOT EXISTS %s (", e->table);
    const Field *k = key_field(e);
    if (k)
        strbuf_addf(out, "\n  %s %s NOT NULL PRIMARY KEY", k->name, column_type(k->type, d));
    else if (d == DIALECT_SQLITE)
        strbuf_adds(out, "\n  id INTEGER PRIMARY KEY AUTOINCREMENT");
    else
        strbuf_adds(out, "\n  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    for (const Field *f = e->fields; f->name; f++)
        if (!(f->flags & FIELD_KEY))
            ddl_column(f, d, out);
    strbuf_addf(out, ",\n  %s TEXT NOT NULL,\n  %s TEXT NOT NULL\n);\n", ENT_CREATED, ENT_UPDATED);
    const Field *div = ent_division_field(e);
    for (const Field *f = e->fields; f->name; f++) {
        if (f->flags & FIELD_KEY)
            continue;
        if (f->flags & FIELD_UNIQUE)
            ddl_index(e, f, 1, out);
        else if ((f->flags & FIELD_INDEX) || f == div || f->type == FT_REF)
            ddl_index(e, f, 0, out);
    }
}

int entity_create_table(StoreConn *c, const Entity *e, Error *err)
{
    StrBuf sql = STRBUF_INIT;
    entity_ddl(e, conn_dialect(c), &sql);
    int rc = store_exec_script(c, strbuf_cstr(&sql), err);
    strbuf_free(&sql);
    return rc;
}

/* ---- metadata for UIs and OpenAPI -------------------------------------------------------- */

static json_t *enum_json(const Field *f)
{
    json_t *arr = json_array();
    for (const EnumValue *v = f->enum_values; v && v->value; v++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "value", v->value, "label",
                                             v->label_zh ? v->label_zh : v->value));
    return arr;
}

static json_t *field_meta(const Field *f)
{
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "name", f->name, "type",
                  ent_type_name(f->type), "label", f->label_zh ? f->label_zh : "", "required",
                  (f->flags & FIELD_REQUIRED) != 0, "readonly", (f->flags & FIELD_READONLY) != 0,
                  "immutable", (f->flags & (FIELD_IMMUTABLE | FIELD_KEY)) != 0, "key",
                  (f->flags & FIELD_KEY) != 0, "search", (f->flags & FIELD_SEARCH) != 0, "filter",
                  (f->flags & FIELD_FILTER) != 0, "sort", (f->flags & FIELD_SORT) != 0);
    if (f->label_en)
        json_object_set_new(m, "label_en", json_string(f->label_en));
    if (f->type == FT_TEXT)
        json_object_set_new(m, "max_len", json_integer(ent_text_max(f)));
    if (f->has_range) {
        json_object_set_new(m, "min", json_real(f->min));
        json_object_set_new(m, "max", json_real(f->max));
    }
    if (f->type == FT_ENUM)
        json_object_set_new(m, "enum", enum_json(f));
    if (f->type == FT_REF && f->ref_table)
        json_object_set_new(m, "ref", json_string(f->ref_table));
    return m;
}

static json_t *engine_column_meta(const char *name, const char *type, const char *label,
                                  const char *label_en, int sortable)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "name", name,
                     "type", type, "label", label, "label_en", label_en, "required", 0, "readonly",
                     1, "immutable", 1, "key", strcmp(name, ENT_AUTO_KEY) == 0, "search", 0,
                     "filter", 0, "sort", sortable);
}

json_t *entity_meta_json(const Entity *e)
{
    json_t *arr = json_array();
    if (!key_field(e))
        json_array_append_new(arr, engine_column_meta(ENT_AUTO_KEY, "int", "编号", "ID", 1));
    for (const Field *f = e->fields; f->name; f++)
        if (!(f->flags & FIELD_SECRET))
            json_array_append_new(arr, field_meta(f));
    json_array_append_new(arr, engine_column_meta(ENT_CREATED, "time", "创建时间", "created", 1));
    json_array_append_new(arr, engine_column_meta(ENT_UPDATED, "time", "更新时间", "updated", 1));
    return arr;
}

static json_t *field_schema(const Field *f)
{
    json_t *s = json_object();
    static const char *const types[] = {"string", "integer", "number", "boolean", "string",
                                        "string", "string",  "string", "integer", NULL};
    if (types[f->type])
        json_object_set_new(s, "type", json_string(types[f->type]));
    if (f->type == FT_INT || f->type == FT_REF)
        json_object_set_new(s, "format", json_string("int64"));
    else if (f->type == FT_REAL)
        json_object_set_new(s, "format", json_string("double"));
    else if (f->type == FT_TIME)
        json_object_set_new(s, "format", json_string("date-time"));
    else if (f->type == FT_DATE)
        json_object_set_new(s, "format", json_string("date"));
    else if (f->type == FT_DIVISION)
        json_object_set_new(s, "pattern",
                            json_string("^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"));
    if (f->type == FT_TEXT)
        json_object_set_new(s, "maxLength", json_integer(ent_text_max(f)));
    if (f->type == FT_ENUM) {
        json_t *vals = json_array();
        for (const EnumValue *v = f->enum_values; v && v->value; v++)
            json_array_append_new(vals, json_string(v->value));
        json_object_set_new(s, "enum", vals);
    }
    if (f->has_range && (f->type == FT_INT || f->type == FT_REAL)) {
        json_object_set_new(s, "minimum", json_real(f->min));
        json_object_set_new(s, "maximum", json_real(f->max));
    }
    if (f->type == FT_REF)
        json_object_set_new(s, "minimum", json_integer(1));
    if (f->label_zh)
        json_object_set_new(s, "description", json_string(f->label_zh));
    if (f->flags & FIELD_READONLY)
        json_object_set_new(s, "readOnly", json_true());
    if (!(f->flags & FIELD_REQUIRED) && !(f->flags & FIELD_KEY))
        json_object_set_new(s, "nullable", json_true());
    return s;
}

json_t *entity_openapi_schema(const Entity *e)
{
    json_t *props = json_object(), *required = json_array();
    if (!key_field(e))
        json_object_set_new(props, ENT_AUTO_KEY,
                            json_pack("{s:s, s:s, s:s, s:b}", "type", "integer", "format", "int64",
                                      "description", "编号", "readOnly", 1));
    for (const Field *f = e->fields; f->name; f++) {
        if (f->flags & FIELD_SECRET)
            continue;
        json_object_set_new(props, f->name, field_schema(f));
        if (f->flags & (FIELD_REQUIRED | FIELD_KEY))
            json_array_append_new(required, json_string(f->name));
    }
    json_object_set_new(props, ENT_CREATED,
                        json_pack("{s:s, s:s, s:s, s:b}", "type", "string", "format", "date-time",
                                  "description", "创建时间", "readOnly", 1));
    json_object_set_new(props, ENT_UPDATED,
                        json_pack("{s:s, s:s, s:s, s:b}", "type", "string", "format", "date-time",
                                  "description", "更新时间", "readOnly", 1));
    json_t *schema = json_pack("{s:s, s:s, s:o}", "type", "object", "description",
                               e->label_zh ? e->label_zh : e->table, "properties", props);
    if (e->label_en)
        json_object_set_new(schema, "title", json_string(e->label_en));
    if (json_array_size(required))
        json_object_set_new(schema, "required", required);
    else
        json_decref(required);
    return schema;
}
