/* modules/divisions — see divisions.h. */
#include "modules/divisions/divisions.h"

#include "core/fileio.h"
#include "core/log.h"
#include "http/route.h"
#include "model/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- entity ---------- */

static const EnumValue level_values[] = {
    {"province", "省级"}, {"city", "市级"},    {"county", "县级"},
    {"town", "乡级"},     {"village", "村级"}, {NULL, NULL},
};

static const Field division_fields[] = {
    {"code", FT_DIVISION, FIELD_KEY | FIELD_REQUIRED | FIELD_SEARCH | FIELD_FILTER | FIELD_SORT,
     "区划代码", "division code", NULL, NULL, 0, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "名称", "name", NULL, NULL, 100,
     0, 0, 0, NULL},
    {"level", FT_ENUM, FIELD_READONLY | FIELD_FILTER | FIELD_SORT | FIELD_INDEX, "级别", "level",
     level_values, NULL, 0, 0, 0, 0, NULL},
    {"parent_code", FT_TEXT, FIELD_READONLY | FIELD_FILTER | FIELD_SORT | FIELD_INDEX, "上级代码",
     "parent code", NULL, NULL, 12, 0, 0, 0, NULL},
    {"population", FT_INT, FIELD_SORT, "户籍人口", "population", NULL, NULL, 0, 1, 0, 2e9, NULL},
    {"households", FT_INT, FIELD_SORT, "户数", "households", NULL, NULL, 0, 1, 0, 1e9, NULL},
    {"area_km2", FT_REAL, FIELD_SORT, "面积（平方公里）", "area (km²)", NULL, NULL, 0, 1, 0, 2e7,
     NULL},
    {"center_lon", FT_REAL, 0, "中心经度", "centre longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"center_lat", FT_REAL, 0, "中心纬度", "centre latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"geometry", FT_JSON, FIELD_NOCSV, "边界（GeoJSON）", "boundary (GeoJSON geometry)", NULL, NULL,
     0, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

const char *divisions_level_of(const char *code)
{
    switch (code ? strlen(code) : 0) {
    case 2:
        return "province";
    case 4:
        return "city";
    case 6:
        return "county";
    case 9:
        return "town";
    case 12:
        return "village";
    default:
        return NULL;
    }
}

void divisions_parent_of(const char *code, char *out)
{
    size_t n = strlen(code);
    size_t cut = n == 12 ? 9 : n == 9 ? 6 : n == 6 ? 4 : n == 4 ? 2 : 0;
    char raw[13];
    memcpy(raw, code, cut);
    raw[cut] = 0;
    /* 441900003's parent 441900 is the zero-padded form of city 4419 (东莞市) */
    if (!cut || division_code_normalize(raw, out) < 0)
        snprintf(out, 13, "%s", raw);
}

/* A geometry must be a GeoJSON Polygon or MultiPolygon with numeric positions. */
static int check_geometry(json_t *g, Error *err)
{
    if (!g || json_is_null(g))
        return 0;
    const char *type = json_string_value(json_object_get(g, "type"));
    json_t *coords = json_object_get(g, "coordinates");
    if (!type || !json_is_array(coords) ||
        (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0)) {
        error_set(err, 422, "validation_failed", "边界须为 GeoJSON Polygon 或 MultiPolygon",
                  "geometry must be a GeoJSON Polygon or MultiPolygon");
        error_field(err, "geometry", "边界须为 GeoJSON Polygon 或 MultiPolygon");
        return -1;
    }
    return 0;
}

/* Derives level and parent_code from the code; refuses a code whose parent is unknown
 * (except provinces), so the tree has no orphans. */
static int division_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    (void)before;
    const char *code = json_string_value(json_object_get(rec, "code"));
    const char *level = divisions_level_of(code);
    if (!level)
        return error_set(err, 422, "validation_failed", "区划代码格式错误",
                         "malformed division code");
    char parent[13];
    divisions_parent_of(code, parent);
    json_object_set_new(rec, "level", json_string(level));
    json_object_set_new(rec, "parent_code", *parent ? json_string(parent) : json_null());
    if (check_geometry(json_object_get(rec, "geometry"), err) < 0)
        return -1;
    if (!*parent)
        return 0;
    int64_t n = 0;
    DbValue p[] = {db_text(parent)};
    if (store_query_int(tx->conn, "SELECT count(*) FROM divisions WHERE code = $1", p, 1, &n, err) <
        0)
        return -1;
    if (n == 0) {
        error_setf(err, 422, "validation_failed", "上级区划 %s 不存在，请先导入上级区划",
                   "parent division %s does not exist; import it first", parent, parent);
        error_field(err, "code", "上级区划不存在");
        return -1;
    }
    return 0;
}

const Entity divisions_entity = {
    .table = "divisions",
    .plural = "divisions",
    .label_zh = "行政区划",
    .label_en = "administrative division",
    .fields = division_fields,
    .division_field = "code",
    .default_sort = "code",
    .before_write = division_before_write,
};

const char *divisions_name(StoreConn *c, Arena *arena, const char *code)
{
    if (!code || !*code)
        return NULL;
    DbRows rows;
    Error err = ERROR_INIT;
    DbValue p[] = {db_text(code)};
    if (store_query(c, arena, "SELECT name FROM divisions WHERE code = $1", p, 1, &rows, &err) <
            0 ||
        rows.nrows == 0) {
        error_clear(&err);
        return NULL;
    }
    return db_cell(&rows, 0, 0);
}

/* ---------- national import ---------- */

typedef struct NationalFile {
    const char *file;
    const char *stage_zh;
    const char *parent_column; /* column holding the parent code, NULL for provinces */
} NationalFile;

static const NationalFile national_files[] = {
    {"provinces.csv", "省级", NULL},
    {"cities.csv", "市级", "provinceCode"},
    {"areas.csv", "县级", "cityCode"},
    {"streets.csv", "乡级", "areaCode"},
};

static char *read_file(const char *path, size_t *len, Error *err)
{
    char *data = file_read_all(path, len);
    if (!data)
        error_setf(err, 400, "file_unreadable", "无法读取文件 %s：%s", "cannot read %s: %s", path,
                   strerror(errno), path, strerror(errno));
    return data;
}

/* Converts one modood CSV (code,name,parentCode…) to the entity's CSV (code,name): the
 * parent is derived from the code, and a code whose parent column disagrees is refused. */
static int convert_national(const NationalFile *nf, const char *data, size_t len, Arena *arena,
                            StrBuf *out, int *rows_out, Error *err)
{
    CsvReader r;
    CsvRow row;
    int line;
    csv_reader_init(&r, data, len);
    if (csv_next_row(&r, arena, &row, &line) <= 0)
        return error_setf(err, 422, "import_failed", "%s 为空", "%s is empty", nf->file, nf->file);
    int code_col = -1, name_col = -1, parent_col = -1;
    for (int i = 0; i < row.nfields; i++) {
        if (strcmp(row.fields[i], "code") == 0)
            code_col = i;
        else if (strcmp(row.fields[i], "name") == 0)
            name_col = i;
        else if (nf->parent_column && strcmp(row.fields[i], nf->parent_column) == 0)
            parent_col = i;
    }
    if (code_col < 0 || name_col < 0 || (nf->parent_column && parent_col < 0))
        return error_setf(err, 422, "import_failed", "%s 缺少 code/name 等列",
                          "%s lacks the code/name columns", nf->file, nf->file);
    strbuf_adds(out, "code,name\r\n");
    *rows_out = 0;
    int rc;
    while ((rc = csv_next_row(&r, arena, &row, &line)) > 0) {
        if (row.nfields == 1 && !*row.fields[0])
            continue;
        if (row.nfields <= code_col || row.nfields <= name_col ||
            (parent_col >= 0 && row.nfields <= parent_col))
            return error_setf(err, 422, "import_failed", "%s 第 %d 行列数不足",
                              "%s line %d has too few columns", nf->file, line, nf->file, line);
        char code[13], parent[13], given_parent[13] = "";
        if (division_code_normalize(row.fields[code_col], code) < 0)
            return error_setf(err, 422, "import_failed", "%s 第 %d 行：区划代码格式错误",
                              "%s line %d: malformed division code", nf->file, line, nf->file,
                              line);
        if (strlen(code) != strlen(row.fields[code_col]))
            continue; /* 441900 东莞市 repeats city 4419 at county level: one row is enough */
        divisions_parent_of(code, parent);
        if (parent_col >= 0)
            division_code_normalize(row.fields[parent_col], given_parent);
        if (parent_col >= 0 && strcmp(parent, given_parent) != 0)
            return error_setf(err, 422, "import_failed", "%s 第 %d 行：上级代码与区划代码不符",
                              "%s line %d: parent code does not match the code", nf->file, line,
                              nf->file, line);
        csv_write_field(out, code, 1);
        csv_write_field(out, row.fields[name_col], 0);
        csv_end_row(out);
        (*rows_out)++;
    }
    if (rc < 0)
        return error_setf(err, 422, "import_failed", "%s 第 %d 行 CSV 格式错误",
                          "%s line %d: malformed CSV", nf->file, line, nf->file, line);
    return 0;
}

static int import_one(Tx *tx, const char *dir, const NationalFile *nf, DivisionsProgress progress,
                      void *ctx, int *imported, Error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, nf->file);
    size_t len = 0;
    char *data = read_file(path, &len, err);
    if (!data)
        return -1;
    Arena arena = ARENA_INIT;
    StrBuf csv = STRBUF_INIT;
    int nrows = 0;
    int rc = convert_national(nf, data, len, &arena, &csv, &nrows, err);
    free(data);
    if (rc == 0 && progress)
        progress(nf->stage_zh, 0, nrows, ctx);
    ImportResult res = {0};
    if (rc == 0)
        rc = entity_import_csv(tx, &divisions_entity, csv.buf, csv.len, &res, err);
    if (rc < 0 && res.row_errors && json_array_size(res.row_errors) && !err->rows)
        err->rows = json_incref(res.row_errors);
    if (rc == 0) {
        *imported += res.rows_imported;
        if (progress)
            progress(nf->stage_zh, res.rows_imported, nrows, ctx);
    }
    import_result_clear(&res);
    strbuf_free(&csv);
    arena_free(&arena);
    return rc;
}

int divisions_import_national(Tx *tx, const char *dir, int with_towns, DivisionsProgress progress,
                              void *ctx, int *imported, Error *err)
{
    int nfiles = with_towns ? 4 : 3;
    *imported = 0;
    for (int i = 0; i < nfiles; i++)
        if (import_one(tx, dir, &national_files[i], progress, ctx, imported, err) < 0)
            return -1;
    return 0;
}

/* ---------- routes ---------- */

/* The parent whose children the map shows when none is asked for: the actor's own
 * division, or for a deployment-wide actor the parent of the shortest mapped code. */
static const char *default_map_parent(Req *req, StoreConn *c, Error *err)
{
    if (*req->actor->jurisdiction)
        return req->actor->jurisdiction;
    DbRows rows;
    if (store_query(c, req->arena,
                    "SELECT parent_code FROM divisions WHERE geometry IS NOT NULL "
                    "ORDER BY length(code), code LIMIT 1",
                    NULL, 0, &rows, err) < 0)
        return NULL;
    if (rows.nrows == 0 || !db_cell(&rows, 0, 0))
        return "";
    return db_cell(&rows, 0, 0);
}

static json_t *feature_json(const DbRows *rows, int i)
{
    json_error_t jerr;
    const char *geom = db_cell(rows, i, 4);
    json_t *g = geom ? json_loads(geom, 0, &jerr) : NULL;
    const char *pop = db_cell(rows, i, 3);
    json_t *props = json_pack("{s:s, s:s, s:s}", "code", db_cell(rows, i, 0), "name",
                              db_cell(rows, i, 1), "level", db_cell(rows, i, 2));
    json_object_set_new(props, "population", pop ? json_integer(atoll(pop)) : json_null());
    const char *lon = db_cell(rows, i, 5), *lat = db_cell(rows, i, 6);
    if (lon && lat)
        json_object_set_new(props, "center", json_pack("[f,f]", atof(lon), atof(lat)));
    return json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", g ? g : json_null(),
                     "properties", props);
}

/* GET /api/v1/divisions/geojson?parent=CODE — the mapped children of CODE inside the
 * actor's jurisdiction, as a FeatureCollection; "parent" holds CODE's own outline. */
static int handle_geojson(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    const char *parent = req_query(req, "parent");
    int rc = 0;
    if (!parent || !*parent)
        parent = default_map_parent(req, c, err);
    if (!parent)
        rc = -1;
    DbRows rows = {0};
    const char *like = arena_printf(req->arena, "%s%%", req->actor->jurisdiction);
    static const char *cols = "SELECT code, name, level, population, geometry, center_lon, "
                              "center_lat FROM divisions ";
    if (rc == 0) {
        DbValue p[] = {db_text(parent), db_text(like)};
        const char *sql = arena_printf(
            req->arena, "%sWHERE %s AND code LIKE $2 AND geometry IS NOT NULL ORDER BY code", cols,
            *parent ? "parent_code = $1" : "(parent_code IS NULL OR $1 = '')");
        rc = store_query(c, req->arena, sql, p, 2, &rows, err);
    }
    DbRows self = {0};
    if (rc == 0 && *parent && actor_covers(req->actor, parent)) {
        DbValue p[] = {db_text(parent)};
        rc = store_query(
            c, req->arena,
            arena_printf(req->arena, "%sWHERE code = $1 AND geometry IS NOT NULL", cols), p, 1,
            &self, err);
    }
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_t *features = json_array();
    for (int i = 0; i < rows.nrows; i++)
        json_array_append_new(features, feature_json(&rows, i));
    json_t *fc = json_pack("{s:s, s:o, s:s}", "type", "FeatureCollection", "features", features,
                           "parent_code", parent);
    json_object_set_new(fc, "parent", self.nrows ? feature_json(&self, 0) : json_null());
    return resp_json(resp, 200, fc);
}

/* GET /api/v1/divisions/stats — divisions, population and households per level inside the
 * actor's jurisdiction. */
static int handle_stats(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    DbRows rows;
    DbValue p[] = {db_text(arena_printf(req->arena, "%s%%", req->actor->jurisdiction))};
    int rc = store_query(c, req->arena,
                         "SELECT level, count(*), sum(population), sum(households) FROM divisions "
                         "WHERE code LIKE $1 GROUP BY level",
                         p, 1, &rows, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_t *levels = json_object();
    json_int_t total = 0;
    for (int i = 0; level_values[i].value; i++)
        json_object_set_new(levels, level_values[i].value,
                            json_pack("{s:s, s:i, s:n, s:n}", "label", level_values[i].label_zh,
                                      "count", 0, "population", "households"));
    for (int i = 0; i < rows.nrows; i++) {
        json_t *l = json_object_get(levels, db_cell(&rows, i, 0));
        if (!l)
            continue;
        json_int_t n = atoll(db_cell(&rows, i, 1));
        total += n;
        json_object_set_new(l, "count", json_integer(n));
        for (int k = 2; k <= 3; k++) {
            const char *v = db_cell(&rows, i, k);
            json_object_set_new(l, k == 2 ? "population" : "households",
                                v ? json_integer(atoll(v)) : json_null());
        }
    }
    return resp_json(resp, 200,
                     json_pack("{s:s, s:I, s:o}", "jurisdiction", req->actor->jurisdiction, "total",
                               total, "levels", levels));
}

/* DELETE /api/v1/divisions/:code — only a division without children: the tree keeps no
 * orphans in either direction. */
static int delete_division_tx(Tx *tx, void *ctx, Error *err)
{
    const char *code = ctx;
    int64_t children = 0;
    DbValue p[] = {db_text(code)};
    if (store_query_int(tx->conn, "SELECT count(*) FROM divisions WHERE parent_code = $1", p, 1,
                        &children, err) < 0)
        return -1;
    if (children > 0)
        return error_setf(err, 409, "has_children",
                          "该区划下还有 %lld 个下级区划，请先删除下级区划",
                          "the division still has %lld child divisions; delete them first",
                          (long long)children, (long long)children);
    return entity_delete(tx, &divisions_entity, code, err);
}

static int handle_delete(Req *req, Resp *resp, Error *err)
{
    char code[13];
    const char *raw = req_param(req, "id");
    if (division_code_normalize(raw, code) < 0)
        return error_not_found(err);
    if (tx_run(req->store, req->actor, req->arena, delete_division_tx, code, err) < 0)
        return -1;
    resp->status = 204;
    return 0;
}

static const Route division_routes[] = {
    {"GET", "/api/v1/divisions/geojson", handle_geojson, ROLE_ANY, SCOPE_JURISDICTION,
     &divisions_entity, "下级区划边界（GeoJSON）", 0},
    {"GET", "/api/v1/divisions/stats", handle_stats, ROLE_ANY, SCOPE_JURISDICTION,
     &divisions_entity, "区划统计", 0},
    ENTITY_ROUTES_NO_DELETE(&divisions_entity, "/api/v1/divisions", ROLE_ANY, ROLE_ADMIN),
    {"DELETE", "/api/v1/divisions/:id", handle_delete, ROLE_ADMIN, SCOPE_JURISDICTION,
     &divisions_entity, "删除（无下级区划时）", 0},
};

static void divisions_register_routes(void)
{
    http_register_entity(&divisions_entity);
    http_register_routes(division_routes,
                         (int)(sizeof division_routes / sizeof division_routes[0]));
}

/* ---------- migrations ---------- */

static int create_divisions(StoreConn *c, Error *err)
{
    return entity_create_table(c, &divisions_entity, err);
}

static const Migration division_migrations[] = {
    {1, "create divisions", NULL, NULL, create_divisions},
};

static int divisions_migrate(Store *store, Error *err)
{
    return store_migrate(store, "divisions", division_migrations,
                         (int)(sizeof division_migrations / sizeof division_migrations[0]), err);
}

const Module divisions_module = {
    .name = "divisions",
    .migrate = divisions_migrate,
    .register_routes = divisions_register_routes,
    .start = NULL,
};
