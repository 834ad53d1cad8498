/* modules/map — see map.h. */
#include "modules/map/map.h"

#include "geo/spatial.h"
#include "http/route.h"
#include "http/server.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEARBY_RADIUS_DEFAULT 10000.0
#define NEARBY_RADIUS_MAX 200000.0
#define NEARBY_LIMIT_DEFAULT 50
#define NEARBY_LIMIT_MAX 500
#define LAYER_LIMIT_DEFAULT 2000
#define LAYER_LIMIT_MAX 10000
#define MAX_KINDS 32

/* ---- layers ------------------------------------------------------------------------------ */

static int located(const Entity *e)
{
    return e->lon_field && e->lat_field;
}

/* True when the actor's role may list the entity (its GET /api/v1/<plural> route): the map
 * shows no more than the registries themselves. */
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

/* The located entities registered with the HTTP layer that the actor may read, in
 * registration order. */
static int layers(const Actor *a, const Entity **out, int max)
{
    int n = 0, ne = 0;
    const Entity *const *es = http_entities(&ne);
    for (int i = 0; i < ne && n < max; i++)
        if (located(es[i]) && readable(es[i], a))
            out[n++] = es[i];
    return n;
}

/* The located entity of that plural (whether or not the actor may read it). */
static const Entity *layer_by_kind(const char *kind)
{
    int ne = 0;
    const Entity *const *es = http_entities(&ne);
    for (int i = 0; i < ne; i++)
        if (located(es[i]) && strcmp(es[i]->plural, kind) == 0)
            return es[i];
    return NULL;
}

static int layer_forbidden(Error *err, const Entity *e)
{
    return error_setf(err, 403, "forbidden", "无权查看“%s”图层",
                      "%.0syou may not view the %s layer", e->label_zh ? e->label_zh : e->plural,
                      e->plural);
}

static const Field *state_field(const Entity *e)
{
    return e->state_field ? entity_field(e, e->state_field) : NULL;
}

static const char *state_label(const Entity *e, const char *value)
{
    const Field *f = state_field(e);
    if (!f || !value || f->type != FT_ENUM || !f->enum_values)
        return NULL;
    for (const EnumValue *v = f->enum_values; v->value; v++)
        if (strcmp(v->value, value) == 0)
            return v->label_zh;
    return NULL;
}

/* An enterprise user sees only its enterprise's records of entities with an enterprise_id
 * field (the entity engine's rule). */
static int enterprise_scoped(const Entity *e, const Actor *a)
{
    return a->enterprise_id && entity_field(e, "enterprise_id");
}

static int layer_count(StoreConn *c, Arena *arena, const Entity *e, const Actor *a, int64_t *out,
                       Error *err)
{
    if (!enterprise_scoped(e, a))
        return geo_count(c, e->table, a->jurisdiction, out, err);
    const char *sql = arena_printf(
        arena,
        "SELECT count(*) FROM geo_points g JOIN %s t ON g.record_key = CAST(t.%s AS TEXT) "
        "WHERE g.entity = $1 AND t.enterprise_id = $2 AND (g.division_code IS NULL OR "
        "g.division_code LIKE $3)",
        e->table, entity_key_name(e));
    DbValue p[] = {db_text(e->table), db_int(a->enterprise_id),
                   db_text(arena_printf(arena, "%s%%", a->jurisdiction))};
    *out = 0;
    return store_query_int(c, sql, p, 3, out, err) < 0 ? -1 : 0;
}

/* Whether the actor sees the record: always, unless the entity is enterprise-scoped; then
 * the keys of the actor's enterprise's records are read once per request into *seen (a JSON
 * object: table -> {key: true}) and looked up. Returns 1, 0 or -1. */
static int visible(StoreConn *c, Arena *arena, const Entity *e, const Actor *a, const char *key,
                   json_t *seen, Error *err)
{
    if (!enterprise_scoped(e, a))
        return 1;
    json_t *keys = json_object_get(seen, e->table);
    if (!keys) {
        const char *sql =
            arena_printf(arena, "SELECT CAST(%s AS TEXT) FROM %s WHERE enterprise_id = $1",
                         entity_key_name(e), e->table);
        DbValue p[] = {db_int(a->enterprise_id)};
        Arena tmp = ARENA_INIT;
        DbRows rows;
        if (store_query(c, &tmp, sql, p, 1, &rows, err) < 0) {
            arena_free(&tmp);
            return -1;
        }
        keys = json_object();
        for (int i = 0; i < rows.nrows; i++)
            if (db_cell(&rows, i, 0))
                json_object_set_new(keys, db_cell(&rows, i, 0), json_true());
        json_object_set_new(seen, e->table, keys);
        arena_free(&tmp);
    }
    return json_object_get(keys, key) != NULL;
}

static json_t *key_json(const Entity *e, const char *key)
{
    return entity_key_is_int(e) ? json_integer(atoll(key)) : json_string(key);
}

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* GET /api/v1/map/layers */
static int handle_layers(Req *req, Resp *resp, Error *err)
{
    const Entity *ls[MAX_KINDS];
    int n = layers(req->actor, ls, MAX_KINDS);
    json_t *out = json_array();
    StoreConn *c = store_acquire(req->store);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const Entity *e = ls[i];
        int64_t count = 0;
        rc = layer_count(c, req->arena, e, req->actor, &count, err);
        json_t *states = json_array();
        const Field *sf = state_field(e);
        if (sf && sf->type == FT_ENUM && sf->enum_values)
            for (const EnumValue *v = sf->enum_values; v->value; v++)
                json_array_append_new(states, json_pack("{s:s, s:s}", "value", v->value, "label",
                                                        v->label_zh ? v->label_zh : v->value));
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "kind", e->plural, "table",
                           e->table, "label_zh", e->label_zh ? e->label_zh : e->plural, "label_en",
                           e->label_en ? e->label_en : e->plural, "count", (json_int_t)count,
                           "state_field", nullable(e->state_field), "states", states));
    }
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(out);
        return -1;
    }
    return resp_json(resp, 200, out);
}

/* ---- parameters -------------------------------------------------------------------------- */

static int bad_param(Error *err, const char *name, const char *zh, const char *en)
{
    error_set(err, 400, "invalid_parameter", zh, "%s", en);
    error_field(err, name, zh);
    return -1;
}

static int out_of_range(Error *err, const char *name, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", zh, "%s", en);
    error_field(err, name, zh);
    return -1;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    while (s && isspace((unsigned char)*s))
        s++;
    if (!s || !*s)
        return -1;
    *out = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    return *end || !isfinite(*out) ? -1 : 0;
}

/* An optional integer parameter in [1, max] with a default. */
static int limit_param(Req *req, int def, int max, int *out, Error *err)
{
    const char *s = req_query(req, "limit");
    double v;
    *out = def;
    if (!s || !*s)
        return 0;
    if (parse_number(s, &v) < 0 || v != floor(v))
        return bad_param(err, "limit", "limit 应为整数", "limit must be an integer");
    if (v < 1 || v > max) {
        char zh[96], en[96];
        snprintf(zh, sizeof zh, "limit 应在 1 到 %d 之间", max);
        snprintf(en, sizeof en, "limit must be between 1 and %d", max);
        return out_of_range(err, "limit", zh, en);
    }
    *out = (int)v;
    return 0;
}

/* ---- one layer --------------------------------------------------------------------------- */

static int parse_bbox(const char *s, double box[4], Error *err)
{
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end;
        while (isspace((unsigned char)*p))
            p++;
        box[i] = strtod(p, &end);
        if (end == p || !isfinite(box[i]))
            goto bad;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (i < 3 && *p++ != ',')
            goto bad;
    }
    if (*p)
        goto bad;
    if (box[0] < -180 || box[2] > 180 || box[1] < -90 || box[3] > 90 || box[0] > box[2] ||
        box[1] > box[3])
        return out_of_range(
            err, "bbox",
            "bbox 超出范围：经度在 -180 到 180、纬度在 -90 到 90 之间，且最小值不大于最大值",
            "bbox out of range: longitudes in [-180, 180], latitudes in [-90, 90], "
            "minimum not above maximum");
    return 0;
bad:
    return bad_param(err, "bbox", "bbox 应为“最小经度,最小纬度,最大经度,最大纬度”四个数字",
                     "bbox must be four numbers: minlon,minlat,maxlon,maxlat");
}

static int unknown_kind(Error *err, const char *field, const char *kind)
{
    error_setf(err, 422, "validation_failed", "没有名为“%s”的地图图层", "no map layer named '%s'",
               kind, kind);
    error_field(err, field, "不是地图图层");
    return -1;
}

/* GET /api/v1/map/layers/:kind */
static int handle_layer(Req *req, Resp *resp, Error *err)
{
    const char *kind = req_param(req, "kind");
    const Entity *e = layer_by_kind(kind);
    if (!e) {
        error_setf(err, 404, "not_found", "没有名为“%s”的地图图层", "no map layer named '%s'", kind,
                   kind);
        return -1;
    }
    if (!readable(e, req->actor))
        return layer_forbidden(err, e);
    double box[4] = {-180, -90, 180, 90};
    const char *bbox = req_query(req, "bbox");
    int limit;
    if ((bbox && *bbox && parse_bbox(bbox, box, err) < 0) ||
        limit_param(req, LAYER_LIMIT_DEFAULT, LAYER_LIMIT_MAX, &limit, err) < 0)
        return -1;
    GeoHit *hits;
    int n, truncated;
    int scoped = enterprise_scoped(e, req->actor); /* filtered here: every point, then the cap */
    json_t *seen = json_object();
    StoreConn *c = store_acquire(req->store);
    int rc =
        geo_bbox(c, req->arena, e->table, box[0], box[1], box[2], box[3], req->actor->jurisdiction,
                 scoped ? 1 << 30 : limit, &hits, &n, &truncated, err);
    json_t *features = json_array();
    for (int i = 0; rc == 0 && i < n; i++) {
        int v = visible(c, req->arena, e, req->actor, hits[i].key, seen, err);
        if (v < 0)
            rc = -1;
        if (v <= 0)
            continue;
        if ((int)json_array_size(features) >= limit) {
            truncated = 1;
            break;
        }
        json_t *props = json_pack(
            "{s:o, s:s, s:o, s:o, s:o}", "id", key_json(e, hits[i].key), "kind", e->plural, "title",
            nullable(hits[i].title ? hits[i].title : hits[i].key), "state", nullable(hits[i].state),
            "state_label", nullable(state_label(e, hits[i].state)));
        json_array_append_new(features, json_pack("{s:s, s:o, s:{s:s, s:[f, f]}, s:o}", "type",
                                                  "Feature", "id", key_json(e, hits[i].key),
                                                  "geometry", "type", "Point", "coordinates",
                                                  hits[i].lon, hits[i].lat, "properties", props));
    }
    store_release(req->store, c);
    json_decref(seen);
    if (rc < 0) {
        json_decref(features);
        return -1;
    }
    return resp_json(resp, 200,
                     json_pack("{s:s, s:s, s:b, s:o}", "type", "FeatureCollection", "kind",
                               e->plural, "truncated", truncated, "features", features));
}

/* ---- nearby ------------------------------------------------------------------------------ */

static int coordinate_param(Req *req, const char *name, double lo, double hi, double *out,
                            Error *err)
{
    const char *s = req_query(req, name);
    char zh[128], en[128];
    if (!s || !*s) {
        snprintf(zh, sizeof zh, "缺少参数 %s（%s）", name,
                 *name == 'l' && name[1] == 'o' ? "经度" : "纬度");
        snprintf(en, sizeof en, "parameter %s is required", name);
        return bad_param(err, name, zh, en);
    }
    if (parse_number(s, out) < 0) {
        snprintf(zh, sizeof zh, "%s 应为数字", name);
        snprintf(en, sizeof en, "%s must be a number", name);
        return bad_param(err, name, zh, en);
    }
    if (*out < lo || *out > hi) {
        snprintf(zh, sizeof zh, "%s 应在 %g 到 %g 之间", name, lo, hi);
        snprintf(en, sizeof en, "%s must be between %g and %g", name, lo, hi);
        return out_of_range(err, name, zh, en);
    }
    return 0;
}

/* kinds=a,b,c → the layers' entities; no kinds = every layer. */
static int kinds_param(Req *req, const Entity **es, int *n, Error *err)
{
    const char *s = req_query(req, "kinds");
    if (!s || !*s) {
        *n = layers(req->actor, es, MAX_KINDS);
        return 0;
    }
    *n = 0;
    char *copy = arena_strdup(req->arena, s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        size_t len = strlen(tok);
        while (len && isspace((unsigned char)tok[len - 1]))
            tok[--len] = 0;
        if (!*tok)
            continue;
        const Entity *e = layer_by_kind(tok);
        if (!e)
            return unknown_kind(err, "kinds", tok);
        if (!readable(e, req->actor))
            return layer_forbidden(err, e);
        int dup = 0;
        for (int i = 0; i < *n; i++)
            dup |= es[i] == e;
        if (!dup && *n < MAX_KINDS)
            es[(*n)++] = e;
    }
    if (*n == 0)
        return bad_param(err, "kinds", "kinds 应为逗号分隔的图层名称",
                         "kinds must name map layers");
    return 0;
}

/* GET /api/v1/resources/nearby */
static int handle_nearby(Req *req, Resp *resp, Error *err)
{
    double lon, lat, radius = NEARBY_RADIUS_DEFAULT;
    int limit;
    const Entity *es[MAX_KINDS];
    int nes = 0;
    if (coordinate_param(req, "lon", -180, 180, &lon, err) < 0 ||
        coordinate_param(req, "lat", -90, 90, &lat, err) < 0)
        return -1;
    const char *r = req_query(req, "radius");
    if (r && *r) {
        if (parse_number(r, &radius) < 0)
            return bad_param(err, "radius", "radius 应为以米为单位的数字",
                             "radius must be a number of metres");
        if (!(radius > 0) || radius > NEARBY_RADIUS_MAX)
            return out_of_range(err, "radius", "radius 应大于 0 且不超过 200000 米",
                                "radius must be above 0 and at most 200000 metres");
    }
    if (limit_param(req, NEARBY_LIMIT_DEFAULT, NEARBY_LIMIT_MAX, &limit, err) < 0 ||
        kinds_param(req, es, &nes, err) < 0)
        return -1;
    json_t *items = json_array();
    int total = 0;
    if (nes > 0) {
        const char *tables[MAX_KINDS];
        int scoped = 0;
        for (int i = 0; i < nes; i++) {
            tables[i] = es[i]->table;
            scoped |= enterprise_scoped(es[i], req->actor);
        }
        GeoHit *hits;
        int n;
        json_t *seen = json_object();
        StoreConn *c = store_acquire(req->store);
        /* enterprise-scoped kinds are filtered after the query: ask for every hit then */
        int rc = geo_nearby(c, req->arena, lon, lat, radius, tables, nes, req->actor->jurisdiction,
                            scoped ? 1 << 30 : limit, &hits, &n, &total, err);
        int shown = 0, nseen = 0;
        for (int i = 0; rc == 0 && i < n; i++) {
            const Entity *e = NULL;
            for (int k = 0; k < nes; k++)
                if (strcmp(es[k]->table, hits[i].entity) == 0)
                    e = es[k];
            int v = e ? visible(c, req->arena, e, req->actor, hits[i].key, seen, err) : 0;
            if (v < 0)
                rc = -1;
            if (v <= 0)
                continue;
            nseen++;
            if (shown >= limit)
                continue;
            shown++;
            json_array_append_new(
                items, json_pack("{s:s, s:o, s:o, s:o, s:o, s:f, s:f, s:f, s:o}", "kind", e->plural,
                                 "id", key_json(e, hits[i].key), "title",
                                 nullable(hits[i].title ? hits[i].title : hits[i].key), "state",
                                 nullable(hits[i].state), "state_label",
                                 nullable(state_label(e, hits[i].state)), "lon", hits[i].lon, "lat",
                                 hits[i].lat, "distance_m", round(hits[i].distance_m * 10) / 10,
                                 "division_code", nullable(hits[i].division_code)));
        }
        if (scoped) /* every hit was checked: the total is what the actor may see */
            total = nseen;
        store_release(req->store, c);
        json_decref(seen);
        if (rc < 0) {
            json_decref(items);
            return -1;
        }
    }
    return resp_json(resp, 200, json_pack("{s:o, s:i}", "items", items, "total", total));
}

/* ---- module ------------------------------------------------------------------------------ */

static const Route map_routes[] = {
    {"GET", "/api/v1/map/layers", handle_layers, ROLE_ANY, SCOPE_JURISDICTION, NULL,
     "地图图层（一张图）", 0},
    {"GET", "/api/v1/map/layers/:kind", handle_layer, ROLE_ANY, SCOPE_JURISDICTION, NULL,
     "图层要素（GeoJSON，bbox 范围内）", 0},
    {"GET", "/api/v1/resources/nearby", handle_nearby, ROLE_ANY, SCOPE_JURISDICTION, NULL,
     "周边资源查询（由近及远）", 0},
};

static void map_register_routes(void)
{
    http_register_routes(map_routes, (int)(sizeof map_routes / sizeof map_routes[0]));
}

const Module map_module = {
    .name = "map",
    .migrate = NULL,
    .register_routes = map_register_routes,
    .start = NULL,
};
