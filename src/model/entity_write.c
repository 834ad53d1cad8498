/* model/entity_write — create, update and delete inside a Tx, each with its audit entry
 * (secret values masked) and change event, limited to the actor's jurisdiction.
 *
 * Per-record temporaries (rows, SQL text, audit JSON text) go to a scratch arena the caller
 * frees, so a CSV import of many rows does not grow the request arena. */
#include "model/entity_internal.h"
#include "core/clock.h"
#include "flow/audit.h"

#include <stdio.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------------------------- */

static int has_secret(const Entity *e)
{
    for (const Field *f = e->fields; f->name; f++)
        if (f->flags & FIELD_SECRET)
            return 1;
    return 0;
}

/* The record as audited: like the output, with secret values shown as "***". */
static json_t *audit_json(const Entity *e, const DbRows *rows, json_t *output)
{
    return has_secret(e) ? ent_row_json(e, rows, 0, SECRETS_MASK) : json_incref(output);
}

static const char *division_of(const Entity *e, json_t *rec)
{
    const Field *div = ent_division_field(e);
    return div ? json_string_value(json_object_get(rec, div->name)) : NULL;
}

/* audit_record with its temporaries in scratch rather than the request arena. */
static int audit(Tx *tx, Arena *scratch, const char *action, const Entity *e, const char *key,
                 json_t *before, json_t *after, Error *err)
{
    Arena *saved = tx->arena;
    tx->arena = scratch;
    int rc = audit_record(tx, action, e->table, key, division_of(e, after ? after : before), before,
                          after, err);
    tx->arena = saved;
    return rc;
}

static void now_iso(char *out, size_t n)
{
    clock_format_iso(clock_now(), out, n);
}

/* Enterprise users write only their own enterprise's records; an enterprise account not
 * yet linked to an enterprise writes none. */
static int force_enterprise(const Entity *e, const Actor *a, json_t *rec, Error *err)
{
    const Field *ent = ent_enterprise_field(e);
    if (!ent || !a)
        return 0;
    if (a->enterprise_id)
        json_object_set_new(rec, ent->name, json_integer(a->enterprise_id));
    else if (a->role == ROLE_ENTERPRISE)
        return error_set(err, 403, "enterprise_unlinked", "您的账号尚未关联企业，请联系管理员",
                         "the account is not linked to an enterprise");
    return 0;
}

/* Checks that every reference in rec names an existing row (422 "引用的记录不存在"). */
static int check_refs(Tx *tx, const Entity *e, json_t *rec, json_t *cache, Error *err)
{
    int missing = 0;
    for (const Field *f = e->fields; f->name; f++) {
        json_t *v = json_object_get(rec, f->name);
        if (f->type != FT_REF || !f->ref_table || !json_is_integer(v))
            continue;
        char ck[160];
        snprintf(ck, sizeof ck, "%s:%lld", f->ref_table, (long long)json_integer_value(v));
        if (cache && json_object_get(cache, ck))
            continue;
        StrBuf sql = STRBUF_INIT;
        strbuf_addf(&sql, "SELECT 1 FROM %s WHERE id = $1", f->ref_table);
        DbValue p = db_int(json_integer_value(v));
        int64_t one;
        int rc = store_query_int(tx->conn, strbuf_cstr(&sql), &p, 1, &one, err);
        strbuf_free(&sql);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            ent_field_error(err, f, "引用的记录不存在");
            missing++;
        } else if (cache) {
            json_object_set_new(cache, ck, json_true());
        }
    }
    return missing ? ent_validation_failed(err) : 0;
}

/* Checks unique fields (and a client-given key) whose value is new against the stored rows,
 * so a duplicate is a field message (422) rather than a failed statement; before is NULL on
 * create. The unique index still guards against a concurrent writer (409). */
static int check_unique(Tx *tx, const Entity *e, json_t *rec, json_t *before, const WriteOpts *o,
                        Error *err)
{
    int dup = 0;
    for (const Field *f = e->fields; f->name; f++) {
        json_t *v = json_object_get(rec, f->name);
        int key = (f->flags & FIELD_KEY) && !before && !o->key_is_new;
        if (!(f->flags & FIELD_UNIQUE) && !key)
            continue;
        if (!v || json_is_null(v) || (before && json_equal(v, json_object_get(before, f->name))))
            continue;
        Arena a = ARENA_INIT;
        DbValue p;
        int rc = ent_json_param(f, v, &a, &p);
        StrBuf sql = STRBUF_INIT;
        strbuf_addf(&sql, "SELECT 1 FROM %s WHERE %s = $1", e->table, f->name);
        int64_t one;
        if (rc == 0)
            rc = store_query_int(tx->conn, strbuf_cstr(&sql), &p, 1, &one, err);
        else
            rc = error_internal(err, "entity: a unique value does not match its field type");
        strbuf_free(&sql);
        arena_free(&a);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            ent_field_error(err, f, "已存在，不能重复");
            dup++;
        }
    }
    return dup ? ent_validation_failed(err) : 0;
}

/* Adds the parameter for value v of field f; returns its placeholder number, or -1. */
static int bind_field(const Field *f, json_t *v, SqlParams *p, Error *err)
{
    DbValue dv;
    if (ent_json_param(f, v, p->arena, &dv) < 0)
        return error_internal(err, "entity: a value does not match its field type");
    return sqlp_add(p, dv);
}

/* ---- create ------------------------------------------------------------------------------ */

/* Checks that rec names only declared columns (a hook may have added others). */
static int check_columns(const Entity *e, json_t *rec, Error *err)
{
    const char *name;
    json_t *v;
    json_object_foreach(rec, name, v)
    {
        if (!entity_field(e, name) && strcmp(name, entity_key_name(e)) != 0)
            return error_internal(err, "entity: record holds a column the entity does not declare");
    }
    return 0;
}

static int insert_row(Tx *tx, const Entity *e, json_t *rec, Arena *scratch, DbRows *rows,
                      Error *err)
{
    if (check_columns(e, rec, err) < 0)
        return -1;
    StrBuf cols = STRBUF_INIT, vals = STRBUF_INIT, sql = STRBUF_INIT;
    SqlParams p;
    sqlp_init(&p, scratch);
    int rc = 0;
    json_t *auto_id = entity_field(e, ENT_AUTO_KEY) ? NULL : json_object_get(rec, ENT_AUTO_KEY);
    if (json_is_integer(auto_id)) {
        int n = sqlp_add(&p, db_int(json_integer_value(auto_id)));
        strbuf_addf(&cols, "%s, ", ENT_AUTO_KEY);
        strbuf_addf(&vals, "$%d, ", n);
    }
    for (const Field *f = e->fields; f->name; f++) {
        json_t *v = json_object_get(rec, f->name);
        if (!v)
            continue;
        int n = bind_field(f, v, &p, err);
        if (n < 0) {
            rc = -1;
            goto out;
        }
        strbuf_addf(&cols, "%s, ", f->name);
        strbuf_addf(&vals, "$%d, ", n);
    }
    char now[32];
    now_iso(now, sizeof now);
    int n = sqlp_add(&p, db_text(arena_strdup(scratch, now)));
    strbuf_addf(&sql, "INSERT INTO %s (%s%s, %s) VALUES (%s$%d, $%d) RETURNING *", e->table,
                strbuf_cstr(&cols), ENT_CREATED, ENT_UPDATED, strbuf_cstr(&vals), n, n);
    rc = store_query(tx->conn, scratch, strbuf_cstr(&sql), p.v, p.n, rows, err);
    if (rc == 0 && rows->nrows != 1)
        rc = error_internal(err, "entity: INSERT … RETURNING gave no row");
out:
    strbuf_free(&cols);
    strbuf_free(&vals);
    strbuf_free(&sql);
    return rc;
}

int ent_insert(Tx *tx, const Entity *e, json_t *rec, const WriteOpts *o, Arena *scratch,
               json_t **out, Error *err)
{
    DbRows rows;
    json_t *after = NULL, *audited = NULL;
    if (force_enterprise(e, tx->actor, rec, err) < 0 || check_refs(tx, e, rec, o->refs_ok, err) < 0)
        return -1;
    if (e->before_write && e->before_write(tx, e, rec, NULL, err) < 0)
        return -1;
    if (check_unique(tx, e, rec, NULL, o, err) < 0)
        return -1;
    if (insert_row(tx, e, rec, scratch, &rows, err) < 0)
        return -1;
    after = ent_row_json(e, &rows, 0, SECRETS_OMIT);
    if (ent_geo_sync(tx, e, after, err) < 0 || ent_search_sync(tx, e, NULL, after, err) < 0) {
        json_decref(after);
        return -1;
    }
    audited = audit_json(e, &rows, after);
    const char *key = ent_row_key(e, &rows, 0);
    int rc = audit(tx, scratch, "create", e, key, NULL, audited, err);
    if (rc == 0 && o->events)
        tx_event(tx, e->table, key, "create", division_of(e, after));
    json_decref(audited);
    if (rc == 0 && out)
        *out = json_incref(after);
    json_decref(after);
    return rc;
}

/* Input with what the actor implies when absent: the division (a town user's records lie in
 * the town) and an enterprise user's enterprise_id. Returns a new reference. */
json_t *ent_create_input(const Entity *e, const Actor *a, json_t *in)
{
    if (!json_is_object(in) || !a)
        return json_incref(in);
    json_t *copy = json_copy(in);
    const Field *div = ent_division_field(e);
    json_t *dv = div ? json_object_get(in, div->name) : NULL;
    if (div && !(div->flags & FIELD_READONLY) && a->jurisdiction && *a->jurisdiction &&
        (!dv || json_is_null(dv) || (json_is_string(dv) && !*json_string_value(dv))))
        json_object_set_new(copy, div->name, json_string(a->jurisdiction));
    const Field *ent = ent_enterprise_field(e);
    if (ent && !(ent->flags & FIELD_READONLY) && a->enterprise_id &&
        !json_object_get(in, ent->name))
        json_object_set_new(copy, ent->name, json_integer(a->enterprise_id));
    return copy;
}

int entity_create(Tx *tx, const Entity *e, json_t *in, json_t **out, Error *err)
{
    Arena scratch = ARENA_INIT;
    json_t *input = ent_create_input(e, tx->actor, in);
    json_t *rec = ent_validate(e, input, VALIDATE_CREATE, tx->actor, err);
    int rc = -1;
    if (rec) {
        WriteOpts o = {1, NULL, 0, 0};
        rc = ent_insert(tx, e, rec, &o, &scratch, out, err);
    }
    json_decref(rec);
    json_decref(input);
    arena_free(&scratch);
    return rc;
}

/* ---- update ------------------------------------------------------------------------------ */

/* Builds "SET a = $1, …" for the columns whose value differs; returns how many. */
static int changed_columns(const Entity *e, json_t *rec, json_t *before, SqlParams *p, StrBuf *set,
                           Error *err)
{
    int changed = 0;
    for (const Field *f = e->fields; f->name; f++) {
        json_t *nv = json_object_get(rec, f->name);
        if ((f->flags & FIELD_KEY) || !nv)
            continue;
        json_t *ov = json_object_get(before, f->name);
        if (ov && json_equal(nv, ov))
            continue;
        if (!ov && json_is_null(nv))
            continue;
        int n = bind_field(f, nv, p, err);
        if (n < 0)
            return -1;
        strbuf_addf(set, "%s = $%d, ", f->name, n);
        changed++;
    }
    return changed;
}

static int update_columns(Tx *tx, const Entity *e, const char *key, const StrBuf *set, SqlParams *p,
                          DbRows *rows, Error *err)
{
    DbValue kv;
    if (ent_key_param(e, key, &kv) < 0)
        return error_internal(err, "entity: stored key cannot be read back");
    char now[32];
    now_iso(now, sizeof now);
    int nnow = sqlp_add(p, db_text(arena_strdup(p->arena, now)));
    int nkey = sqlp_add(p, kv);
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "UPDATE %s SET %s%s = $%d WHERE %s = $%d RETURNING *", e->table,
                set->buf ? set->buf : "", ENT_UPDATED, nnow, entity_key_name(e), nkey);
    int rc = store_query(tx->conn, p->arena, strbuf_cstr(&sql), p->v, p->n, rows, err);
    strbuf_free(&sql);
    if (rc == 0 && rows->nrows != 1)
        rc = error_internal(err, "entity: UPDATE … RETURNING gave no row");
    return rc;
}

/* Audits and events a stored update. */
static int finish_update(Tx *tx, const Entity *e, const DbRows *before_rows, const DbRows *rows,
                         const WriteOpts *o, Arena *scratch, json_t **out, Error *err)
{
    json_t *after = ent_row_json(e, rows, 0, SECRETS_OMIT);
    json_t *before = ent_row_json(e, before_rows, 0, SECRETS_OMIT);
    json_t *a_after = audit_json(e, rows, after), *a_before = audit_json(e, before_rows, before);
    const char *key = ent_row_key(e, rows, 0);
    int rc = ent_geo_sync(tx, e, after, err);
    if (rc == 0)
        rc = ent_search_sync(tx, e, before, after, err);
    if (rc == 0)
        rc = audit(tx, scratch, "update", e, key, a_before, a_after, err);
    if (rc == 0 && o->events) {
        const char *nd = division_of(e, after), *od = division_of(e, before);
        tx_event(tx, e->table, key, "update", nd);
        if (od && (!nd || strcmp(od, nd) != 0))
            tx_event(tx, e->table, key, "update", od); /* those who saw it there learn it left */
    }
    if (rc == 0 && out)
        *out = json_incref(after);
    json_decref(a_after);
    json_decref(a_before);
    json_decref(after);
    json_decref(before);
    return rc;
}

int ent_update_row(Tx *tx, const Entity *e, const DbRows *before_rows, json_t *patch,
                   const WriteOpts *o, Arena *scratch, json_t **out, Error *err)
{
    json_t *before = ent_row_json(e, before_rows, 0, SECRETS_KEEP);
    json_t *rec = json_deep_copy(before);
    StrBuf set = STRBUF_INIT;
    SqlParams p;
    sqlp_init(&p, scratch);
    DbRows rows;
    int rc = -1;
    json_object_update(rec, patch);
    if (!o->internal) {
        const Field *ent = ent_enterprise_field(e);
        if (ent && tx->actor->enterprise_id)
            json_object_set(rec, ent->name, json_object_get(before, ent->name));
        if (check_refs(tx, e, patch, o->refs_ok, err) < 0)
            goto out;
        if (e->before_write && e->before_write(tx, e, rec, before, err) < 0)
            goto out;
    }
    if (check_unique(tx, e, rec, before, o, err) < 0)
        goto out;
    int changed = changed_columns(e, rec, before, &p, &set, err);
    if (changed < 0)
        goto out;
    if (changed == 0) { /* nothing to write, nothing to audit */
        if (out)
            *out = ent_row_json(e, before_rows, 0, SECRETS_OMIT);
        rc = 0;
        goto out;
    }
    if (update_columns(tx, e, ent_row_key(e, before_rows, 0), &set, &p, &rows, err) < 0)
        goto out;
    rc = finish_update(tx, e, before_rows, &rows, o, scratch, out, err);
out:
    strbuf_free(&set);
    json_decref(rec);
    json_decref(before);
    return rc;
}

int entity_update(Tx *tx, const Entity *e, const char *key, json_t *patch, json_t **out, Error *err)
{
    Arena scratch = ARENA_INIT;
    json_t *valid = NULL;
    DbRows rows;
    int rc = ent_load(tx->conn, &scratch, e, tx->actor, key, 1, &rows, err);
    if (rc <= 0) {
        if (rc == 0)
            error_not_found(err);
        rc = -1;
        goto out;
    }
    rc = -1;
    valid = ent_validate(e, patch, VALIDATE_UPDATE, tx->actor, err);
    if (!valid)
        goto out;
    WriteOpts o = {1, NULL, 0, 0};
    rc = ent_update_row(tx, e, &rows, valid, &o, &scratch, out, err);
out:
    json_decref(valid);
    arena_free(&scratch);
    return rc;
}

int entity_update_internal(Tx *tx, const Entity *e, const char *key, json_t *values, Error *err)
{
    Arena scratch = ARENA_INIT;
    DbRows rows;
    int rc = -1;
    if (!json_is_object(values) || check_columns(e, values, err) < 0) {
        if (!json_is_object(values))
            error_internal(err, "entity_update_internal: values must be an object");
        goto out;
    }
    int found = ent_load(tx->conn, &scratch, e, NULL, key, 1, &rows, err);
    if (found <= 0) {
        if (found == 0)
            error_not_found(err);
        goto out;
    }
    WriteOpts o = {1, NULL, 1, 0};
    rc = ent_update_row(tx, e, &rows, values, &o, &scratch, NULL, err);
out:
    arena_free(&scratch);
    return rc;
}

/* ---- delete ------------------------------------------------------------------------------ */

int entity_delete(Tx *tx, const Entity *e, const char *key, Error *err)
{
    Arena scratch = ARENA_INIT;
    DbRows rows;
    json_t *before = NULL, *audited = NULL;
    int rc = ent_load(tx->conn, &scratch, e, tx->actor, key, 1, &rows, err);
    if (rc <= 0) {
        if (rc == 0)
            error_not_found(err);
        rc = -1;
        goto out;
    }
    DbValue kv;
    ent_key_param(e, key, &kv);
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "DELETE FROM %s WHERE %s = $1", e->table, entity_key_name(e));
    rc = store_exec(tx->conn, strbuf_cstr(&sql), &kv, 1, NULL, err);
    strbuf_free(&sql);
    if (rc < 0)
        goto out;
    before = ent_row_json(e, &rows, 0, SECRETS_OMIT);
    audited = audit_json(e, &rows, before);
    const char *stored_key = ent_row_key(e, &rows, 0);
    rc = ent_geo_remove(tx, e, stored_key, err);
    if (rc == 0)
        rc = ent_search_remove(tx, e, stored_key, err);
    if (rc == 0)
        rc = audit(tx, &scratch, "delete", e, stored_key, audited, NULL, err);
    if (rc == 0)
        tx_event(tx, e->table, stored_key, "delete", division_of(e, before));
out:
    json_decref(audited);
    json_decref(before);
    arena_free(&scratch);
    return rc;
}
