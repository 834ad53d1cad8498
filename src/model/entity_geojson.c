/* model/entity_geojson — map presence of located entities: the spatial index kept in step
 * with every write, and GeoJSON export and import.
 *
 * An entity is located when it names lon_field and lat_field (FT_REAL, ranges declared by
 * the module: [-180,180] and [-90,90]). Every create, update, delete and import through the
 * engine calls ent_geo_sync / ent_geo_remove in the same Tx, so geo_points never disagrees
 * with the committed rows: a record with both coordinates has its point, one without any has
 * none, one with a single coordinate is refused.
 *
 * GeoJSON export: a FeatureCollection, one Feature per listed record (the list's q, filters,
 * sort and jurisdiction, no paging), "id" the record key, geometry a Point [lon, lat] or null,
 * properties every non-secret field except the two coordinates, plus the key and the two
 * timestamps. Import: a FeatureCollection (or one Feature); each feature is a record — its
 * key from properties or the Feature's "id" (update when it exists, as in the CSV import),
 * its coordinates from the Point geometry (null geometry: coordinates absent, so unchanged
 * on update). Read-only properties and the timestamps are ignored, so an export imports
 * back; secret properties are refused. All-or-nothing with every bad feature reported by
 * number (from 1) in the same {"line", "message", "fields"} shape as CSV rows. */
#include "geo/spatial.h"
#include "model/entity_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- spatial index ----------------------------------------------------------------------- */

int ent_located(const Entity *e)
{
    return e->lon_field && e->lat_field && entity_field(e, e->lon_field) &&
           entity_field(e, e->lat_field);
}

static const char *key_text(const Entity *e, json_t *rec, char *buf, size_t n)
{
    json_t *k = json_object_get(rec, entity_key_name(e));
    if (json_is_integer(k)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(k));
        return buf;
    }
    return json_string_value(k);
}

/* A field's value as text for the map (strings as they are, numbers printed), in arena. */
static const char *value_text(Arena *a, json_t *rec, const char *field)
{
    json_t *v = field ? json_object_get(rec, field) : NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *out = arena_strdup(a, s);
    free(s);
    return out;
}

int ent_geo_sync(Tx *tx, const Entity *e, json_t *after, Error *err)
{
    if (!ent_located(e))
        return 0;
    char kb[32];
    const char *key = key_text(e, after, kb, sizeof kb);
    if (!key)
        return error_internal(err, "entity: located record without a key");
    json_t *lon = json_object_get(after, e->lon_field), *lat = json_object_get(after, e->lat_field);
    int has_lon = json_is_number(lon), has_lat = json_is_number(lat);
    if (!has_lon && !has_lat)
        return geo_remove(tx->conn, e->table, key, err);
    const Field *flon = entity_field(e, e->lon_field), *flat = entity_field(e, e->lat_field);
    if (!has_lon || !has_lat) {
        const Field *missing = has_lon ? flat : flon;
        ent_field_error(err, missing, "须与经度、纬度同时填写");
        return ent_validation_failed(err);
    }
    double x = json_number_value(lon), y = json_number_value(lat);
    int bad = 0;
    if (!(x >= -180 && x <= 180)) {
        ent_field_error(err, flon, "应在 -180 到 180 之间");
        bad++;
    }
    if (!(y >= -90 && y <= 90)) {
        ent_field_error(err, flat, "应在 -90 到 90 之间");
        bad++;
    }
    if (bad)
        return ent_validation_failed(err);
    Arena a = ARENA_INIT;
    const Field *div = ent_division_field(e);
    const char *division = NULL;
    if (div) {
        division = json_string_value(json_object_get(after, div->name));
        if (!division)
            division = "";
    }
    int rc = geo_put(tx->conn, e->table, key, x, y, division, value_text(&a, after, e->title_field),
                     value_text(&a, after, e->state_field), err);
    arena_free(&a);
    return rc;
}

int ent_geo_remove(Tx *tx, const Entity *e, const char *key, Error *err)
{
    if (!ent_located(e))
        return 0;
    return geo_remove(tx->conn, e->table, key, err);
}

/* ---- export ------------------------------------------------------------------------------ */

static int not_located(const Entity *e, Error *err)
{
    return error_setf(err, 404, "not_found", "%s没有位置信息，不能以 GeoJSON 导入导出",
                      "%.0s%s have no location: no GeoJSON import or export", e->label_zh,
                      e->label_en ? e->label_en : e->table);
}

static json_t *feature_of(const Entity *e, json_t *rec)
{
    json_t *lon = json_object_get(rec, e->lon_field), *lat = json_object_get(rec, e->lat_field);
    json_t *geometry = json_null();
    if (json_is_number(lon) && json_is_number(lat))
        geometry = json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates",
                             json_number_value(lon), json_number_value(lat));
    json_t *props = json_copy(rec);
    json_object_del(props, e->lon_field);
    json_object_del(props, e->lat_field);
    json_t *id = json_object_get(rec, entity_key_name(e));
    return json_pack("{s:s, s:O, s:o, s:o}", "type", "Feature", "id", id ? id : json_null(),
                     "geometry", geometry, "properties", props);
}

int entity_export_geojson(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                          const ListQuery *lq, StrBuf *out, Error *err)
{
    if (!ent_located(e))
        return not_located(e, err);
    ListSql ls;
    if (ent_list_sql(e, actor, lq, conn_dialect(c), arena, &ls, err) < 0)
        return -1;
    strbuf_adds(out, "{\"type\":\"FeatureCollection\",\"features\":[");
    int rc = 0, first = 1;
    for (int64_t offset = 0;; offset += ENT_EXPORT_PAGE) {
        Arena page = ARENA_INIT; /* one page of rows in memory at a time */
        DbRows rows;
        rc = ent_list_page(c, &page, e, &ls, ENT_EXPORT_PAGE, offset, &rows, err);
        for (int r = 0; rc == 0 && r < rows.nrows; r++) {
            json_t *rec = ent_row_json(e, &rows, r, SECRETS_OMIT);
            json_t *f = feature_of(e, rec);
            char *text = json_dumps(f, JSON_COMPACT);
            strbuf_adds(out, first ? "\n" : ",\n");
            strbuf_adds(out, text);
            first = 0;
            free(text);
            json_decref(f);
            json_decref(rec);
        }
        int more = rc == 0 && rows.nrows == ENT_EXPORT_PAGE;
        arena_free(&page);
        if (!more)
            break;
    }
    strbuf_adds(out, "\n]}\n");
    ent_list_sql_free(&ls);
    return rc;
}

/* ---- import ------------------------------------------------------------------------------ */

static int refuse(Error *err, const char *zh, const char *en)
{
    return error_set(err, 422, "import_failed", zh, "%s", en);
}

/* A Point geometry's coordinates; 0 ok, 1 null geometry, -1 malformed. */
static int point_of(json_t *g, double *lon, double *lat)
{
    if (!g || json_is_null(g))
        return 1;
    const char *type = json_string_value(json_object_get(g, "type"));
    json_t *co = json_object_get(g, "coordinates");
    if (!type || strcmp(type, "Point") != 0 || !json_is_array(co) || json_array_size(co) < 2 ||
        json_array_size(co) > 3 || !json_is_number(json_array_get(co, 0)) ||
        !json_is_number(json_array_get(co, 1)))
        return -1;
    *lon = json_number_value(json_array_get(co, 0));
    *lat = json_number_value(json_array_get(co, 1));
    return 0;
}

/* The record input of one feature; problems converting it go to cerr->fields. *key gets the
 * key text (in arena) or NULL. */
static json_t *feature_input(const Entity *e, json_t *f, Arena *a, const char **key, Error *cerr)
{
    json_t *in = json_object();
    *key = NULL;
    const char *type = json_string_value(json_object_get(f, "type"));
    if (!json_is_object(f) || !type || strcmp(type, "Feature") != 0) {
        error_field(cerr, "type", "要素应为 GeoJSON Feature 对象");
        return in;
    }
    json_t *props = json_object_get(f, "properties");
    if (props && !json_is_null(props) && !json_is_object(props))
        error_field(cerr, "properties", "properties 应为对象");
    const char *kname = entity_key_name(e);
    json_t *kv = json_is_object(props) ? json_object_get(props, kname) : NULL;
    if (!kv || json_is_null(kv))
        kv = json_object_get(f, "id");
    if (json_is_integer(kv))
        *key = arena_printf(a, "%lld", (long long)json_integer_value(kv));
    else if (json_is_string(kv) && *json_string_value(kv))
        *key = arena_strdup(a, json_string_value(kv));
    else if (kv && !json_is_null(kv))
        error_field(cerr, kname, "编号应为整数或字符串");
    const char *name;
    json_t *v;
    if (json_is_object(props)) {
        json_object_foreach(props, name, v)
        {
            const Field *fd = entity_field(e, name);
            if (!strcmp(name, kname) || !strcmp(name, ENT_CREATED) || !strcmp(name, ENT_UPDATED))
                continue;
            if (fd && (fd->flags & FIELD_READONLY) && !(fd->flags & FIELD_SECRET))
                continue; /* server-owned: exported, ignored on the way back */
            if (fd && (fd->flags & FIELD_SECRET)) {
                error_field(cerr, name, "不是可导入的属性");
                continue;
            }
            json_object_set(in, name, v);
        }
    }
    double lon, lat;
    int pt = point_of(json_object_get(f, "geometry"), &lon, &lat);
    if (pt < 0)
        error_field(cerr, "geometry", "几何应为 Point，坐标为 [经度, 纬度]");
    else if (pt == 0) {
        json_object_set_new(in, e->lon_field, json_real(lon));
        json_object_set_new(in, e->lat_field, json_real(lat));
    }
    return in;
}

int entity_import_geojson(Tx *tx, const Entity *e, const char *data, size_t len,
                          ImportResult *result, Error *err)
{
    memset(result, 0, sizeof *result);
    if (!ent_located(e)) {
        result->row_errors = json_array();
        return not_located(e, err);
    }
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *features = NULL;
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!root) {
        result->row_errors = json_array();
        error_setf(err, 422, "import_failed", "GeoJSON 格式错误（第 %d 行第 %d 列）：%s",
                   "malformed GeoJSON (line %d, column %d): %s", jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (type && strcmp(type, "FeatureCollection") == 0 &&
        json_is_array(json_object_get(root, "features")))
        features = json_incref(json_object_get(root, "features"));
    else if (type && strcmp(type, "Feature") == 0)
        features = json_pack("[O]", root);
    json_decref(root);
    if (!features) {
        result->row_errors = json_array();
        return refuse(err, "导入失败：文件应为 GeoJSON FeatureCollection",
                      "import failed: the file must be a GeoJSON FeatureCollection");
    }
    int n = (int)json_array_size(features);
    EntImport *im = ent_import_begin(tx, e, result, n, err);
    if (!im) {
        json_decref(features);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc >= 0; i++) {
        Arena a = ARENA_INIT;
        Error cerr = ERROR_INIT;
        const char *key;
        json_t *in = feature_input(e, json_array_get(features, (size_t)i), &a, &key, &cerr);
        rc = ent_import_one(im, in, key, &cerr, i + 1, err);
        json_decref(in);
        error_clear(&cerr);
        arena_free(&a);
    }
    json_decref(features);
    return ent_import_end(im, rc < 0 ? -1 : 0, "导入失败：%zu 个要素有误，未导入任何记录",
                          "import failed: %zu bad features, nothing was imported", err);
}
