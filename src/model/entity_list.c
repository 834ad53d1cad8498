/* model/entity_list — list with q, filters, sort and paging, always inside the actor's
 * jurisdiction; the FROM/WHERE/ORDER BY it builds is shared with the CSV and GeoJSON exports.
 * An entity with FIELD_FULLTEXT fields answers q from the search index (search/search.h):
 * the matching documents are joined and, without an explicit sort, order the rows by rank.
 *
 * The SQL is the same on both backends except for case-insensitive matching (SQLite's LIKE
 * ignores ASCII case; PostgreSQL needs ILIKE). NULLs sort last ascending and first
 * descending on both, made explicit with "(col IS NULL)" because the defaults differ. */
#include "model/entity_internal.h"
#include "core/clock.h"
#include "search/search.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_paging_param(const char *name)
{
    return strcmp(name, "q") == 0 || strcmp(name, "page") == 0 || strcmp(name, "page_size") == 0 ||
           strcmp(name, "sort") == 0;
}

/* ---- q ----------------------------------------------------------------------------------- */

/* The fields q matches by substring: FIELD_SEARCH ones, without the full-text fields of an
 * entity whose q the search index answers. */
static int substring_field(const Field *f, int fulltext)
{
    return (f->flags & FIELD_SEARCH) && !(f->flags & FIELD_SECRET) &&
           !(fulltext && (f->flags & FIELD_FULLTEXT));
}

/* " AND (…)": q as a substring of the search fields; or_fts: a record whose search document
 * matched (the LEFT JOINed fts) qualifies too. */
static void add_search(const Entity *e, const char *raw, Dialect d, ListSql *ls, int fulltext,
                       int or_fts)
{
    Arena *a = ls->params.arena;
    const char *q = raw;
    while (q && isspace((unsigned char)*q))
        q++;
    if (!q || !*q)
        return;
    size_t n = strlen(q);
    while (n > 0 && isspace((unsigned char)q[n - 1]))
        n--;
    q = arena_strndup(a, q, n);
    int any = 0;
    for (const Field *f = e->fields; f->name; f++)
        any |= substring_field(f, fulltext);
    if (!any) {
        if (or_fts)
            strbuf_adds(&ls->where, " AND fts.fts_key IS NOT NULL");
        return;
    }
    char *pattern = arena_printf(a, "%%%s%%", ent_like_escape(a, q));
    int np = sqlp_add(&ls->params, db_text(pattern));
    const char *like = d == DIALECT_POSTGRES ? "ILIKE" : "LIKE";
    strbuf_adds(&ls->where, or_fts ? " AND (fts.fts_key IS NOT NULL OR " : " AND (");
    int first = 1;
    for (const Field *f = e->fields; f->name; f++) {
        if (!substring_field(f, fulltext))
            continue;
        strbuf_addf(&ls->where, "%s", first ? "" : " OR ");
        if (ent_is_text_type(f->type))
            strbuf_addf(&ls->where, "%s %s $%d ESCAPE '\\'", f->name, like, np);
        else
            strbuf_addf(&ls->where, "CAST(%s AS TEXT) %s $%d ESCAPE '\\'", f->name, like, np);
        first = 0;
    }
    strbuf_adds(&ls->where, ")");
}

/* q of an entity with full-text fields: the records whose search document matches, joined
 * with their rank (search/search.h); its other search fields (codes, numbers) still match by
 * substring, ranked after the documents. A q with nothing searchable in it matches only by
 * those substrings (nothing when there are none). */
static int add_fulltext(const Entity *e, const char *q, Dialect d, ListSql *ls, Error *err)
{
    const char *t = q;
    while (t && isspace((unsigned char)*t))
        t++;
    if (!t || !*t)
        return 0;
    SearchQuery sq;
    if (search_parse(ls->params.arena, t, &sq, err) < 0)
        return -1;
    int extra = 0;
    for (const Field *f = e->fields; f->name; f++)
        extra |= substring_field(f, 1);
    if (sq.nterms == 0) {
        if (extra)
            add_search(e, t, d, ls, 1, 0);
        else
            strbuf_adds(&ls->where, " AND 1 = 0");
        return 0;
    }
    int pq = sqlp_add(&ls->params, db_text(search_match_text(&sq, d)));
    int pe = sqlp_add(&ls->params, db_text(e->table));
    strbuf_adds(&ls->from, extra ? " LEFT JOIN " : " JOIN ");
    search_subquery_sql(d, pq, pe, &ls->from);
    const char *key = entity_key_name(e);
    if (entity_key_is_int(e))
        strbuf_addf(&ls->from, " fts ON %s.%s = CAST(fts.fts_key AS %s)", e->table, key,
                    d == DIALECT_SQLITE ? "INTEGER" : "BIGINT");
    else
        strbuf_addf(&ls->from, " fts ON %s.%s = fts.fts_key", e->table, key);
    if (extra)
        add_search(e, t, d, ls, 1, 1);
    ls->ranked = 1;
    return 0;
}

/* ---- filters ----------------------------------------------------------------------------- */

static const Field *filter_field(const Entity *e, const char *name)
{
    const Field *f = entity_field(e, name);
    if (!f && strcmp(name, "division") == 0)
        f = ent_division_field(e); /* ?division= works whatever the column is called */
    if (!f || !(f->flags & FIELD_FILTER) || (f->flags & FIELD_SECRET))
        return NULL;
    return f;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "是"))
        *out = 1;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "否"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_real(const char *s, double *out)
{
    char *end;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

/* Converts a filter value to a parameter; NULL message on success, else the problem. */
static const char *filter_value(const Field *f, const char *v, Arena *a, DbValue *out)
{
    int64_t i;
    double r;
    int b;
    char code[16], iso[32];
    switch (f->type) {
    case FT_INT:
    case FT_REF:
        if (ent_parse_int(v, &i) < 0)
            return "应为整数";
        *out = db_int(i);
        return NULL;
    case FT_REAL:
        if (parse_real(v, &r) < 0)
            return "应为数字";
        *out = db_real(r);
        return NULL;
    case FT_BOOL:
        if (parse_bool(v, &b) < 0)
            return "应为 true 或 false";
        *out = db_int(b);
        return NULL;
    case FT_DIVISION:
        if (strlen(v) >= sizeof code || division_code_normalize(v, code) < 0)
            return "应为 2、4、6、9 或 12 位数字的行政区划代码";
        *out = db_text(arena_printf(a, "%s%%", code));
        return NULL;
    case FT_TIME:
        if (clock_parse_iso(v, &i) < 0)
            return "应为 ISO-8601 时间";
        clock_format_iso(i, iso, sizeof iso);
        *out = db_text(arena_strdup(a, iso));
        return NULL;
    default:
        *out = db_text(arena_strdup(a, v));
        return NULL;
    }
}

/* Adds one filter condition, or records why it cannot be one; returns 1 when refused as an
 * unknown name, 2 for a bad value, 0 when added. */
static int add_filter(const Entity *e, const ListParam *lp, ListSql *ls, Error *err)
{
    const Field *f = filter_field(e, lp->name);
    if (!f) {
        error_field(err, lp->name, "不支持按此字段筛选");
        return 1;
    }
    DbValue v;
    const char *problem = filter_value(f, lp->value, ls->params.arena, &v);
    if (problem) {
        ent_field_error(err, f, problem);
        return 2;
    }
    int n = sqlp_add(&ls->params, v);
    if (f->type == FT_DIVISION)
        strbuf_addf(&ls->where, " AND %s LIKE $%d", f->name, n);
    else
        strbuf_addf(&ls->where, " AND %s = $%d", f->name, n);
    return 0;
}

static int add_filters(const Entity *e, const ListQuery *lq, ListSql *ls, Error *err)
{
    int unknown = 0, bad = 0;
    for (int i = 0; i < lq->nfilters; i++) {
        const ListParam *lp = &lq->filters[i];
        if (!lp->name || is_paging_param(lp->name) || !lp->value || !*lp->value)
            continue;
        int rc = add_filter(e, lp, ls, err);
        unknown += rc == 1;
        bad += rc == 2;
    }
    if (unknown)
        return error_set(err, 422, "unknown_filter", "不支持的查询条件，请检查标注的参数",
                         "unknown filter parameter");
    if (bad)
        return ent_validation_failed(err);
    return 0;
}

/* ---- sort -------------------------------------------------------------------------------- */

static int sortable(const Entity *e, const char *name, int *nullable)
{
    *nullable = 0;
    if (strcmp(name, entity_key_name(e)) == 0 || strcmp(name, ENT_CREATED) == 0 ||
        strcmp(name, ENT_UPDATED) == 0)
        return 1;
    const Field *f = entity_field(e, name);
    if (!f || !(f->flags & FIELD_SORT) || (f->flags & FIELD_SECRET))
        return 0;
    *nullable = !(f->flags & FIELD_REQUIRED);
    return 1;
}

static int add_sort(const Entity *e, const char *sort, ListSql *ls, Error *err)
{
    int from_client = sort && *sort;
    if (!from_client && ls->ranked) { /* best matches first */
        strbuf_addf(&ls->order, " ORDER BY (fts.fts_rank IS NULL), fts.fts_rank DESC, %s.%s",
                    e->table, entity_key_name(e));
        return 0;
    }
    const char *s = from_client ? sort : e->default_sort ? e->default_sort : entity_key_name(e);
    int desc = s[0] == '-';
    const char *name = s + (desc || s[0] == '+');
    int nullable;
    if (!sortable(e, name, &nullable)) {
        if (!from_client)
            return error_internal(err, "entity: default_sort names a column that cannot sort");
        error_field(err, "sort", "不支持按此字段排序");
        return error_set(err, 422, "invalid_sort", "不支持的排序字段", "cannot sort by '%s'", name);
    }
    const char *dir = desc ? " DESC" : "";
    strbuf_adds(&ls->order, " ORDER BY ");
    if (nullable)
        strbuf_addf(&ls->order, "(%s IS NULL)%s, ", name, dir);
    strbuf_addf(&ls->order, "%s%s", name, dir);
    if (strcmp(name, entity_key_name(e)) != 0)
        strbuf_addf(&ls->order, ", %s%s", entity_key_name(e), dir);
    return 0;
}

/* ---- the query --------------------------------------------------------------------------- */

int ent_list_sql(const Entity *e, const Actor *actor, const ListQuery *lq, Dialect d, Arena *arena,
                 ListSql *out, Error *err)
{
    memset(out, 0, sizeof *out);
    sqlp_init(&out->params, arena);
    strbuf_addf(&out->from, " FROM %s", e->table);
    strbuf_adds(&out->where, " WHERE 1=1");
    ent_scope_where(e, actor, &out->params, &out->where);
    int rc = 0;
    if (ent_fulltext(e))
        rc = add_fulltext(e, lq->q, d, out, err);
    else
        add_search(e, lq->q, d, out, 0, 0);
    if (rc < 0 || add_filters(e, lq, out, err) < 0 || add_sort(e, lq->sort, out, err) < 0) {
        ent_list_sql_free(out);
        return -1;
    }
    return 0;
}

void ent_list_sql_free(ListSql *ls)
{
    strbuf_free(&ls->from);
    strbuf_free(&ls->where);
    strbuf_free(&ls->order);
}

static int paging(const ListQuery *lq, int *page, int *size, Error *err)
{
    if (lq->page < 0)
        error_field(err, "page", "页码应为正整数");
    if (lq->page_size < 0)
        error_field(err, "page_size", "每页条数应为正整数");
    if (lq->page < 0 || lq->page_size < 0)
        return ent_validation_failed(err);
    *page = lq->page ? lq->page : 1;
    *size = lq->page_size ? lq->page_size : ENT_PAGE_SIZE_DEFAULT;
    if (*size > ENT_PAGE_SIZE_MAX)
        *size = ENT_PAGE_SIZE_MAX;
    return 0;
}

static int count_rows(StoreConn *c, const Entity *e, ListSql *ls, int64_t *total, Error *err)
{
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "SELECT COUNT(*)%s%s", strbuf_cstr(&ls->from), strbuf_cstr(&ls->where));
    int rc = store_query_int(c, strbuf_cstr(&sql), ls->params.v, ls->params.n, total, err);
    strbuf_free(&sql);
    if (rc == 1)
        *total = 0;
    return rc < 0 ? -1 : 0;
}

int ent_list_page(StoreConn *c, Arena *arena, const Entity *e, ListSql *ls, int64_t limit,
                  int64_t offset, DbRows *rows, Error *err)
{
    SqlParams p = ls->params; /* copy: the limit and offset are added to this query only */
    int nl = sqlp_add(&p, db_int(limit));
    int no = sqlp_add(&p, db_int(offset));
    StrBuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "SELECT %s.*%s%s%s LIMIT $%d OFFSET $%d", e->table, strbuf_cstr(&ls->from),
                strbuf_cstr(&ls->where), strbuf_cstr(&ls->order), nl, no);
    int rc = store_query(c, arena, strbuf_cstr(&sql), p.v, p.n, rows, err);
    strbuf_free(&sql);
    return rc;
}

int entity_list(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                const ListQuery *lq, json_t **out, Error *err)
{
    int page = 1, size = 20;
    int64_t total = 0;
    ListSql ls;
    DbRows rows;
    if (paging(lq, &page, &size, err) < 0)
        return -1;
    if (ent_list_sql(e, actor, lq, conn_dialect(c), arena, &ls, err) < 0)
        return -1;
    int rc = count_rows(c, e, &ls, &total, err);
    if (rc == 0)
        rc = ent_list_page(c, arena, e, &ls, size, (int64_t)(page - 1) * size, &rows, err);
    if (rc == 0) {
        json_t *items = json_array();
        for (int i = 0; i < rows.nrows; i++)
            json_array_append_new(items, ent_row_json(e, &rows, i, SECRETS_OMIT));
        *out = json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total, "page",
                         page, "page_size", size);
    }
    ent_list_sql_free(&ls);
    return rc;
}
