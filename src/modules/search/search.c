/* modules/search — see search.h. */
#include "modules/search/search.h"

#include "http/route.h"
#include "http/server.h"
#include "search/search.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KINDS 32
#define PAGE_SIZE_DEFAULT 20
#define PAGE_SIZE_MAX 100

static int searchable(const Entity *e)
{
    for (const Field *f = e->fields; f->name; f++)
        if ((f->flags & FIELD_FULLTEXT) && !(f->flags & FIELD_SECRET))
            return 1;
    return 0;
}

/* True when the actor's role may list the entity (its GET /api/v1/<plural> route). */
static int readable(const Entity *e, const Actor *a)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/%s", e->plural);
    int nr = 0;
    const Route *const *rs = http_routes(&nr);
    for (int i = 0; i < nr; i++)
        if (strcmp(rs[i]->method, "GET") == 0 && strcmp(rs[i]->pattern, path) == 0)
            return (rs[i]->roles & a->role) != 0;
    return 0;
}

static const Entity *by_plural(const char *kind, size_t n)
{
    int ne = 0;
    const Entity *const *es = http_entities(&ne);
    for (int i = 0; i < ne; i++)
        if (searchable(es[i]) && strlen(es[i]->plural) == n && strncmp(es[i]->plural, kind, n) == 0)
            return es[i];
    return NULL;
}

static const Entity *by_table(const char *table)
{
    int ne = 0;
    const Entity *const *es = http_entities(&ne);
    for (int i = 0; i < ne; i++)
        if (strcmp(es[i]->table, table) == 0)
            return es[i];
    return NULL;
}

static int bad(Error *err, int status, const char *code, const char *field, const char *zh,
               const char *en)
{
    error_set(err, status, code, zh, "%s", en);
    error_field(err, field, zh);
    return -1;
}

/* The entities to search: ?kinds= (comma-separated plurals) or every searchable one the
 * actor may read. */
static int kinds_param(Req *req, const Entity **out, int *n, Error *err)
{
    const char *s = req_query(req, "kinds");
    *n = 0;
    if (!s || !*s) {
        int ne = 0;
        const Entity *const *es = http_entities(&ne);
        for (int i = 0; i < ne && *n < MAX_KINDS; i++)
            if (searchable(es[i]) && readable(es[i], req->actor))
                out[(*n)++] = es[i];
        return 0;
    }
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && isspace((unsigned char)*s)) {
            s++;
            len--;
        }
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len) {
            const Entity *e = by_plural(s, len);
            if (!e)
                return bad(err, 422, "validation_failed", "kinds", "不支持检索的类型",
                           "kinds names a kind that cannot be searched");
            if (!readable(e, req->actor))
                return error_setf(err, 403, "forbidden", "无权检索“%s”",
                                  "%.0syou may not search %s",
                                  e->label_zh ? e->label_zh : e->plural, e->plural);
            int dup = 0;
            for (int i = 0; i < *n; i++)
                dup |= out[i] == e;
            if (!dup) {
                if (*n == MAX_KINDS)
                    return bad(err, 422, "validation_failed", "kinds", "类型过多",
                               "too many kinds");
                out[(*n)++] = e;
            }
        }
        if (!end)
            break;
        s = end + 1;
    }
    if (*n == 0)
        return bad(err, 422, "validation_failed", "kinds", "不支持检索的类型",
                   "kinds names no kind that can be searched");
    return 0;
}

/* An optional integer parameter in [1, max] with a default. */
static int int_param(Req *req, const char *name, int def, int max, int *out, Error *err)
{
    const char *s = req_query(req, name);
    *out = def;
    if (!s || !*s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s)
        return bad(err, 400, "invalid_parameter", name, "应为正整数", "must be a positive integer");
    if (v < 1 || v > max)
        return bad(err, 422, "validation_failed", name, "超出范围", "out of range");
    *out = (int)v;
    return 0;
}

static json_t *key_json(const Entity *e, const char *key)
{
    return e && entity_key_is_int(e) ? json_integer(atoll(key)) : json_string(key);
}

/* GET /api/v1/search */
static int handle_search(Req *req, Resp *resp, Error *err)
{
    const char *q = req_query(req, "q");
    const Entity *kinds[MAX_KINDS];
    const char *tables[MAX_KINDS];
    int n = 0, page = 1, size = PAGE_SIZE_DEFAULT;
    SearchQuery parsed;
    if (search_parse(req->arena, q, &parsed, err) < 0) /* blank or over-long: 422 */
        return -1;
    if (kinds_param(req, kinds, &n, err) < 0 ||
        int_param(req, "page", 1, 1000000, &page, err) < 0 ||
        int_param(req, "page_size", PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, &size, err) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        tables[i] = kinds[i]->table;
    SearchHit *hits = NULL;
    int nhits = 0;
    int64_t total = 0;
    if (n > 0) {
        StoreConn *c = store_acquire(req->store);
        int rc = search_query(c, req->arena, tables, n, q, req->actor, size, (page - 1) * size,
                              &hits, &nhits, &total, err);
        store_release(req->store, c);
        if (rc < 0)
            return -1;
    }
    json_t *items = json_array();
    for (int i = 0; i < nhits; i++) {
        const SearchHit *h = &hits[i];
        const Entity *e = by_table(h->entity);
        json_t *marks = json_array();
        for (int k = 0; k < h->nmarks; k++)
            json_array_append_new(marks, json_pack("[i, i]", h->marks[2 * k], h->marks[2 * k + 1]));
        json_t *title = h->title ? json_string(h->title) : NULL;
        json_t *snippet = json_string(h->snippet ? h->snippet : "");
        json_array_append_new(items, json_pack("{s:s, s:o, s:o, s:o, s:o, s:f}", "kind",
                                               e ? e->plural : h->entity, "id", key_json(e, h->key),
                                               "title", title ? title : json_null(), "snippet",
                                               snippet ? snippet : json_string(""), "highlights",
                                               marks, "rank", h->rank));
    }
    return resp_json(resp, 200,
                     json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total,
                               "page", page, "page_size", size));
}

static const Route search_routes[] = {
    {"GET", "/api/v1/search", handle_search, ROLE_ANY, SCOPE_JURISDICTION, NULL, "全文检索", 0},
};

static void search_register_routes(void)
{
    http_register_routes(search_routes, (int)(sizeof search_routes / sizeof search_routes[0]));
}

const Module search_module = {
    .name = "search",
    .migrate = NULL,
    .register_routes = search_register_routes,
    .start = NULL,
};
