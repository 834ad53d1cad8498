/* model/entity_search — full-text search of entities with FIELD_FULLTEXT fields.
 *
 * The engine keeps one document per record in the search index (search/search.h) inside the
 * same Tx as every create, update, delete and import: ent_search_sync after the row is
 * written, ent_search_remove after it is deleted (a rolled-back write leaves no trace). The
 * document's body is the record's full-text fields in declaration order, joined by newlines
 * (text as it is; JSON fields by their string values, depth first; enums by their Chinese
 * label; other types as JSON text); its title is the entity's title_field, else the first
 * full-text field. Entities without full-text fields are never touched.
 *
 * Lists (entity_list.c) of such entities answer ?q= from the index (ent_list_sql joins the
 * matching documents and orders by rank unless a sort is given). */
#include "model/entity_internal.h"
#include "search/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ent_fulltext(const Entity *e)
{
    for (const Field *f = e->fields; f->name; f++)
        if ((f->flags & FIELD_FULLTEXT) && !(f->flags & FIELD_SECRET))
            return 1;
    return 0;
}

static void json_strings(json_t *v, StrBuf *sb)
{
    if (json_is_string(v)) {
        if (sb->len)
            strbuf_addch(sb, '\n');
        strbuf_adds(sb, json_string_value(v));
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            json_strings(json_array_get(v, i), sb);
    } else if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it))
            json_strings(json_object_iter_value(it), sb);
    }
}

/* The text of field f in rec, appended to sb (a newline before it when sb is not empty). */
static void field_text(const Field *f, json_t *rec, StrBuf *sb)
{
    json_t *v = json_object_get(rec, f->name);
    if (!v || json_is_null(v))
        return;
    if (f->type == FT_JSON) {
        json_strings(v, sb);
        return;
    }
    const char *s = json_string_value(v);
    if (f->type == FT_ENUM && s && ent_enum_label(f, s))
        s = ent_enum_label(f, s);
    char *dumped = NULL;
    if (!s)
        s = dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s && *s) {
        if (sb->len)
            strbuf_addch(sb, '\n');
        strbuf_adds(sb, s);
    }
    free(dumped);
}

static const char *key_of(const Entity *e, json_t *rec, char *buf, size_t n)
{
    json_t *k = json_object_get(rec, entity_key_name(e));
    if (json_is_integer(k)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(k));
        return buf;
    }
    return json_string_value(k);
}

/* True when nothing the document holds differs between before and after. */
static int same_document(const Entity *e, json_t *before, json_t *after)
{
    for (const Field *f = e->fields; f->name; f++) {
        int used = (f->flags & FIELD_FULLTEXT) ||
                   (e->title_field && !strcmp(f->name, e->title_field)) ||
                   (e->division_field && !strcmp(f->name, e->division_field)) ||
                   !strcmp(f->name, ENT_ENTERPRISE);
        if (!used)
            continue;
        json_t *a = json_object_get(before, f->name), *b = json_object_get(after, f->name);
        if (!(a == b || (a && b && json_equal(a, b))))
            return 0;
    }
    return 1;
}

int ent_search_sync(Tx *tx, const Entity *e, json_t *before, json_t *after, Error *err)
{
    if (!ent_fulltext(e))
        return 0;
    if (before && same_document(e, before, after))
        return 0;
    char kb[32];
    const char *key = key_of(e, after, kb, sizeof kb);
    if (!key)
        return error_internal(err, "entity: full-text record without a key");
    StrBuf body = STRBUF_INIT, title = STRBUF_INIT;
    const Field *first = NULL;
    for (const Field *f = e->fields; f->name; f++) {
        if (!(f->flags & FIELD_FULLTEXT) || (f->flags & FIELD_SECRET))
            continue;
        if (!first)
            first = f;
        field_text(f, after, &body);
    }
    const Field *tf = e->title_field ? entity_field(e, e->title_field) : NULL;
    field_text(tf ? tf : first, after, &title);
    SearchDoc d = {e->table, key, NULL, 0, 0, strbuf_cstr(&title), strbuf_cstr(&body)};
    const Field *div = ent_division_field(e);
    if (div) {
        d.division = json_string_value(json_object_get(after, div->name));
        if (!d.division)
            d.division = "";
    }
    const Field *ent = ent_enterprise_field(e);
    if (ent) {
        d.has_enterprise = 1;
        d.enterprise_id = json_integer_value(json_object_get(after, ent->name));
    }
    int rc = search_put(tx->conn, &d, err);
    strbuf_free(&body);
    strbuf_free(&title);
    return rc;
}

int ent_search_remove(Tx *tx, const Entity *e, const char *key, Error *err)
{
    if (!ent_fulltext(e))
        return 0;
    return search_remove(tx->conn, e->table, key, err);
}
