/* model/entity_row — rows to JSON, JSON values to typed SQL parameters, the jurisdiction
 * and enterprise restriction every read applies, and single-record reads. */
#include "model/entity_internal.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* ---- rows -> JSON ------------------------------------------------------------------------ */

static json_t *text_json(const char *cell)
{
    json_t *s = json_string(cell);
    if (!s) {
        log_warn("entity: stored text is not valid UTF-8; returned as null");
        return json_null();
    }
    return s;
}

static json_t *cell_json(FieldType t, const char *cell)
{
    if (!cell)
        return json_null();
    int64_t i;
    switch (t) {
    case FT_INT:
    case FT_REF:
        return ent_parse_int(cell, &i) == 0 ? json_integer(i) : text_json(cell);
    case FT_REAL:
        return json_real(strtod(cell, NULL));
    case FT_BOOL:
        return json_boolean(strcmp(cell, "0") != 0 && strcmp(cell, "f") != 0);
    case FT_JSON: {
        json_t *v = json_loads(cell, JSON_DECODE_ANY, NULL);
        return v ? v : text_json(cell);
    }
    default:
        return text_json(cell);
    }
}

static json_t *column_json(const Entity *e, const char *name, const char *cell, int secrets)
{
    const Field *f = entity_field(e, name);
    if (!f) {
        if (strcmp(name, ENT_AUTO_KEY) == 0)
            return cell_json(FT_INT, cell);
        if (strcmp(name, ENT_CREATED) == 0 || strcmp(name, ENT_UPDATED) == 0)
            return cell_json(FT_TEXT, cell);
        return NULL; /* a column the declaration does not know (e.g. a search vector) */
    }
    if (!(f->flags & FIELD_SECRET) || secrets == SECRETS_KEEP)
        return cell_json(f->type, cell);
    if (secrets == SECRETS_MASK)
        return cell ? json_string(ENT_SECRET_MASK) : json_null();
    return NULL;
}

json_t *ent_row_json(const Entity *e, const DbRows *rows, int row, int secrets)
{
    json_t *obj = json_object();
    for (int c = 0; c < rows->ncols; c++) {
        json_t *v = column_json(e, rows->names[c], db_cell(rows, row, c), secrets);
        if (v)
            json_object_set_new(obj, rows->names[c], v);
    }
    return obj;
}

json_t *entity_row_json(const Entity *e, const DbRows *rows, int row)
{
    return ent_row_json(e, rows, row, SECRETS_OMIT);
}

const char *ent_row_key(const Entity *e, const DbRows *rows, int row)
{
    int c = db_col(rows, entity_key_name(e));
    return c < 0 ? NULL : db_cell(rows, row, c);
}

/* ---- JSON -> parameters ------------------------------------------------------------------ */

int ent_json_param(const Field *f, json_t *v, Arena *arena, DbValue *out)
{
    if (!v || json_is_null(v)) {
        *out = db_null();
        return 0;
    }
    switch (f->type) {
    case FT_INT:
    case FT_REF:
        if (!json_is_integer(v))
            return -1;
        *out = db_int(json_integer_value(v));
        return 0;
    case FT_REAL:
        if (!json_is_number(v))
            return -1;
        *out = db_real(json_number_value(v));
        return 0;
    case FT_BOOL:
        if (json_is_boolean(v))
            *out = db_int(json_is_true(v));
        else if (json_is_integer(v))
            *out = db_int(json_integer_value(v) != 0);
        else
            return -1;
        return 0;
    case FT_JSON: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        if (!s)
            return -1;
        *out = db_text(arena_strdup(arena, s));
        free(s);
        return 0;
    }
    default:
        if (!json_is_string(v))
            return -1;
        *out = db_text(json_string_value(v));
        return 0;
    }
}

int ent_key_param(const Entity *e, const char *key, DbValue *out)
{
    if (!key)
        return -1;
    if (!entity_key_is_int(e)) {
        *out = db_text(key);
        return 0;
    }
    int64_t id;
    if (ent_parse_int(key, &id) < 0)
        return -1;
    *out = db_int(id);
    return 0;
}

/* ---- scope ------------------------------------------------------------------------------- */

char *ent_like_escape(Arena *arena, const char *s)
{
    char *out = arena_alloc(arena, strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (*s == '\\' || *s == '%' || *s == '_')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = 0;
    return out;
}

/* Enterprise users see only their own enterprise's records, linked or not. */
static int enterprise_limited(const Actor *actor)
{
    return actor->enterprise_id || actor->role == ROLE_ENTERPRISE;
}

int ent_scoped(const Entity *e, const Actor *actor)
{
    if (!actor)
        return 0;
    const Field *div = ent_division_field(e);
    if (div && actor->jurisdiction && *actor->jurisdiction)
        return 1;
    return ent_enterprise_field(e) && enterprise_limited(actor);
}

void ent_scope_where(const Entity *e, const Actor *actor, SqlParams *p, StrBuf *sql)
{
    if (!actor)
        return;
    const Field *div = ent_division_field(e);
    if (div && actor->jurisdiction && *actor->jurisdiction) {
        char *pattern =
            arena_printf(p->arena, "%s%%", ent_like_escape(p->arena, actor->jurisdiction));
        int n = sqlp_add(p, db_text(pattern));
        strbuf_addf(sql, " AND %s LIKE $%d ESCAPE '\\'", div->name, n);
    }
    const Field *ent = ent_enterprise_field(e);
    if (ent && enterprise_limited(actor)) {
        /* an enterprise account not yet linked to an enterprise (id 0) matches nothing */
        int n = sqlp_add(p, db_int(actor->enterprise_id));
        strbuf_addf(sql, " AND %s = $%d", ent->name, n);
    }
}

/* ---- single-record reads ----------------------------------------------------------------- */

int ent_load(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor, const char *key,
             int for_update, DbRows *rows, Error *err)
{
    DbValue kv;
    memset(rows, 0, sizeof *rows);
    if (ent_key_param(e, key, &kv) < 0)
        return 0;
    SqlParams p;
    sqlp_init(&p, arena);
    sqlp_add(&p, kv);
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "SELECT * FROM %s WHERE %s = $1", e->table, entity_key_name(e));
    ent_scope_where(e, actor, &p, &sql);
    if (for_update && conn_dialect(c) == DIALECT_POSTGRES)
        strbuf_adds(&sql, " FOR UPDATE");
    int rc = store_query(c, arena, strbuf_cstr(&sql), p.v, p.n, rows, err);
    strbuf_free(&sql);
    if (rc < 0)
        return -1;
    return rows->nrows > 0;
}

static int get(StoreConn *c, const Entity *e, const Actor *actor, const char *key, int secrets,
               json_t **out, Error *err)
{
    Arena arena = ARENA_INIT;
    DbRows rows;
    int rc = ent_load(c, &arena, e, actor, key, 0, &rows, err);
    if (rc == 0)
        rc = error_not_found(err);
    else if (rc > 0) {
        *out = ent_row_json(e, &rows, 0, secrets);
        rc = 0;
    }
    arena_free(&arena);
    return rc;
}

int entity_get(StoreConn *c, const Entity *e, const Actor *actor, const char *key, json_t **out,
               Error *err)
{
    return get(c, e, actor, key, SECRETS_OMIT, out, err);
}

int entity_get_raw(StoreConn *c, const Entity *e, const Actor *actor, const char *key, json_t **out,
                   Error *err)
{
    return get(c, e, actor, key, SECRETS_KEEP, out, err);
}
