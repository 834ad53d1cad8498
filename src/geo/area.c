/* geo/area — see area.h. */
#include "geo/area.h"

#include "core/arena.h"
#include "geo/spatial.h"

#include <geos_c.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEG2RAD (M_PI / 180.0)
#define RAD2DEG (180.0 / M_PI)
/* A circle's box is widened by this much (degrees) so rounding never makes it too small. */
#define BOX_PAD_DEG 1e-9
/* geo_area_filter with threads = 0 starts a second thread from this many points on. */
#define FILTER_THREAD_MIN 100000
#define FILTER_MAX_THREADS 16

/* A grid over a polygon's box: each cell is wholly inside, wholly outside, or crossed by the
 * boundary (only those points go to GEOS). See grid_build. */
enum { CELL_UNKNOWN = 0, CELL_EDGE, CELL_IN, CELL_OUT };

typedef struct Grid {
    int nx, ny;          /* cells across and down */
    double inv_w, inv_h; /* cells per degree */
    uint8_t *cell;       /* ny rows of nx; CELL_* */
} Grid;

typedef struct AreaPolygon {
    GEOSGeometry *geom;               /* one valid Polygon or MultiPolygon, owned */
    const GEOSPreparedGeometry *prep; /* of geom, in the area's context; used under the lock */
    GeoBBox box;
    Grid grid;
} AreaPolygon;

typedef struct AreaCircle {
    double lon, lat, radius_m;
    GeoBBox box;
} AreaCircle;

struct GeoArea {
    GEOSContextHandle_t ctx; /* builds, validates and serves geo_area_covers (under lock) */
    pthread_mutex_t lock;
    AreaPolygon *polys;
    const GEOSPreparedGeometry **preps; /* polys[i].prep, as GeosUse takes them */
    size_t npolys, cap_polys;
    size_t polygon_parts; /* polygons, counting each part of a MultiPolygon */
    AreaCircle *circles;
    size_t ncircles, cap_circles;
    GeoBBox box; /* of everything; valid when npolys + ncircles > 0 */
    char geos_msg[256];
};

/* ---- errors ------------------------------------------------------------------------------ */

/* 422 invalid_area with a Chinese and an English message, both already formatted. */
static int area_fail(Error *err, const char *zh, const char *en)
{
    return error_set(err, 422, "invalid_area", zh, "%s", en);
}

/* Where a problem is, in both languages: "第 2 个面的第 1 个内环" / "polygon 2, hole 1". */
typedef struct Where {
    char zh[128];
    char en[96];
} Where;

static void where_ring(Where *w, size_t poly, size_t ring)
{
    char pzh[48] = "", pen[48] = "";
    if (poly > 0) {
        snprintf(pzh, sizeof pzh, "第 %zu 个面的", poly);
        snprintf(pen, sizeof pen, "polygon %zu, ", poly);
    }
    if (ring == 0) {
        snprintf(w->zh, sizeof w->zh, "%s外环", pzh);
        snprintf(w->en, sizeof w->en, "%souter ring", pen);
    } else {
        snprintf(w->zh, sizeof w->zh, "%s第 %zu 个内环", pzh, ring);
        snprintf(w->en, sizeof w->en, "%shole %zu", pen, ring);
    }
}

static void geos_message(const char *msg, void *userdata)
{
    GeoArea *area = userdata;
    snprintf(area->geos_msg, sizeof area->geos_msg, "%s", msg);
}

/* GEOS's validity reasons (IsValidOp, TopologyValidationError) in Chinese. */
static const char *reason_zh(const char *reason)
{
    static const struct {
        const char *en, *zh;
    } map[] = {
        {"Ring Self-intersection", "环自相交"},
        {"Self-intersection", "边界自相交或相互重叠"},
        {"Hole lies outside shell", "内环（洞）位于外环之外"},
        {"Holes are nested", "内环相互嵌套"},
        {"Interior is disconnected", "内环把面分割成不连通的部分"},
        {"Nested shells", "多面的各部分相互嵌套"},
        {"Duplicate Rings", "有重复的环"},
        {"Too few", "环的不同顶点太少"},
        {"Invalid Coordinate", "坐标无效"},
        {"Ring is not closed", "环未闭合"},
        {"Repeated Point", "重复的点"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(reason, map[i].en, strlen(map[i].en)) == 0)
            return map[i].zh;
    return "几何图形无效";
}

/* 0 when g is a valid polygonal geometry; else 422 with GEOS's reason and location. */
static int check_valid(GeoArea *area, const GEOSGeometry *g, const char *what_zh,
                       const char *what_en, Error *err)
{
    char *reason = NULL;
    GEOSGeometry *loc = NULL;
    area->geos_msg[0] = 0;
    char v = GEOSisValidDetail_r(area->ctx, g, 0, &reason, &loc);
    if (v == 1) {
        if (reason)
            GEOSFree_r(area->ctx, reason);
        if (loc)
            GEOSGeom_destroy_r(area->ctx, loc);
        return 0;
    }
    if (v != 0) {
        area->geos_msg[sizeof area->geos_msg - 1] = 0;
        return error_setf(err, 422, "invalid_area", "%s无法校验：%s", "%s cannot be validated: %s",
                          what_zh, area->geos_msg);
    }
    double x = NAN, y = NAN;
    if (loc) {
        GEOSGeomGetX_r(area->ctx, loc, &x);
        GEOSGeomGetY_r(area->ctx, loc, &y);
    }
    char zh[400], en[400];
    const char *r = reason ? reason : "invalid geometry";
    snprintf(zh, sizeof zh, "%s无效：%s（%s），位置 经度 %.7f、纬度 %.7f", what_zh, reason_zh(r), r,
             x, y);
    snprintf(en, sizeof en, "%s is invalid: %s at lon %.7f, lat %.7f", what_en, r, x, y);
    if (reason)
        GEOSFree_r(area->ctx, reason);
    if (loc)
        GEOSGeom_destroy_r(area->ctx, loc);
    return area_fail(err, zh, en);
}

/* ---- boxes ------------------------------------------------------------------------------- */

static int box_has(const GeoBBox *b, double lon, double lat)
{
    return lon >= b->min_lon && lon <= b->max_lon && lat >= b->min_lat && lat <= b->max_lat;
}

static void box_join(GeoArea *area, const GeoBBox *b)
{
    if (area->npolys + area->ncircles == 0) {
        area->box = *b;
        return;
    }
    area->box.min_lon = fmin(area->box.min_lon, b->min_lon);
    area->box.min_lat = fmin(area->box.min_lat, b->min_lat);
    area->box.max_lon = fmax(area->box.max_lon, b->max_lon);
    area->box.max_lat = fmax(area->box.max_lat, b->max_lat);
}

/* The box of the spherical cap of angular radius r (radians) around (lon, lat). */
static GeoBBox circle_box(double lon, double lat, double r)
{
    GeoBBox b;
    double dlat = r * RAD2DEG;
    b.min_lat = fmax(-90, lat - dlat - BOX_PAD_DEG);
    b.max_lat = fmin(90, lat + dlat + BOX_PAD_DEG);
    double s = sin(r) / cos(lat * DEG2RAD);
    if (r >= M_PI_2 || b.max_lat >= 90 || b.min_lat <= -90 || !(s < 1)) {
        b.min_lon = -180;
        b.max_lon = 180;
        return b;
    }
    double dlon = asin(s) * RAD2DEG;
    b.min_lon = lon - dlon - BOX_PAD_DEG;
    b.max_lon = lon + dlon + BOX_PAD_DEG;
    if (b.min_lon < -180 || b.max_lon > 180) { /* wraps the antimeridian */
        b.min_lon = -180;
        b.max_lon = 180;
    }
    return b;
}

/* ---- building polygons ------------------------------------------------------------------- */

/* A ring's positions as lon,lat pairs. */
typedef struct Ring {
    double *xy;
    size_t n; /* positions */
} Ring;

static int check_position(double lon, double lat, const Where *w, size_t pos, Error *err)
{
    if (geo_valid(lon, lat))
        return 0;
    char zh[300], en[300];
    snprintf(zh, sizeof zh,
             "%s第 %zu 个点的坐标超出范围（经度 -180 至 180，纬度 -90 至 90）：%g, %g", w->zh, pos,
             lon, lat);
    snprintf(en, sizeof en,
             "%s, position %zu: coordinates out of range (lon -180..180, lat -90..90): %g, %g",
             w->en, pos, lon, lat);
    return area_fail(err, zh, en);
}

/* Fewer than 4 positions or first != last are refused before GEOS sees the ring. */
static int check_ring(const Ring *r, const Where *w, Error *err)
{
    char zh[300], en[300];
    if (r->n < 4) {
        snprintf(zh, sizeof zh, "%s只有 %zu 个点，至少需要 4 个（首尾相同）", w->zh, r->n);
        snprintf(en, sizeof en,
                 "%s has %zu positions; a ring needs at least 4 (the first repeated last)", w->en,
                 r->n);
        return area_fail(err, zh, en);
    }
    size_t l = 2 * (r->n - 1);
    if (r->xy[0] != r->xy[l] || r->xy[1] != r->xy[l + 1]) {
        snprintf(zh, sizeof zh, "%s未闭合：首点 (%g, %g) 与末点 (%g, %g) 不同", w->zh, r->xy[0],
                 r->xy[1], r->xy[l], r->xy[l + 1]);
        snprintf(en, sizeof en,
                 "%s is not closed: first position (%g, %g) differs from the last (%g, %g)", w->en,
                 r->xy[0], r->xy[1], r->xy[l], r->xy[l + 1]);
        return area_fail(err, zh, en);
    }
    return 0;
}

static int geos_fail(GeoArea *area, const char *what, Error *err)
{
    area->geos_msg[sizeof area->geos_msg - 1] = 0;
    return error_setf(err, 422, "invalid_area", "无法构建面：%s（%s）", "cannot build %s: %s", what,
                      area->geos_msg[0] ? area->geos_msg : "GEOS error");
}

/* A GEOS Polygon from checked rings (rings[0] the shell); NULL and err on failure. */
static GEOSGeometry *make_polygon(GeoArea *area, const Ring *rings, size_t nrings, Error *err)
{
    GEOSContextHandle_t ctx = area->ctx;
    area->geos_msg[0] = 0;
    GEOSGeometry **lr = xcalloc(nrings, sizeof *lr);
    GEOSGeometry *poly = NULL;
    size_t made = 0;
    for (; made < nrings; made++) {
        GEOSCoordSequence *seq =
            GEOSCoordSeq_copyFromBuffer_r(ctx, rings[made].xy, (unsigned)rings[made].n, 0, 0);
        /* the ring takes the sequence over, even when it fails (the ring's constructor owns
         * it), so the sequence is never destroyed here */
        lr[made] = seq ? GEOSGeom_createLinearRing_r(ctx, seq) : NULL;
        if (!lr[made]) {
            geos_fail(area, "ring", err);
            goto out;
        }
    }
    poly = GEOSGeom_createPolygon_r(ctx, lr[0], lr + 1, (unsigned)(nrings - 1));
    if (!poly) {
        geos_fail(area, "polygon", err);
        goto out;
    }
    made = 0; /* the polygon owns the rings now */
out:
    for (size_t i = 0; i < made; i++)
        GEOSGeom_destroy_r(ctx, lr[i]);
    free(lr);
    return poly;
}

/* ---- the cell grid ---------------------------------------------------------------------
 *
 * A point's cell is cell_index() of its lon and lat: floor((v - v0) * inv) clamped to the grid.
 * That function is monotonic in v, so the points of one cell form a rectangle. A cell is EDGE
 * when some point of the boundary (any ring) falls in it: every edge is cut into pieces no
 * longer than a cell and the cells of each piece's box, widened by GRID_PAD_DEG for the
 * rounding of the cut points, are marked. A cell that is not EDGE holds no boundary point, so
 * all its points are inside or all outside; neighbouring non-EDGE cells form one boundary-free
 * rectangle together, so a whole 4-connected region of them is classified by one GEOS test of
 * one of its points. The result is exact: the same answer as GEOS for every point. */

#define GRID_PAD_DEG 1e-9
#define GRID_CELLS_PER_VERTEX 64
#define GRID_MIN_SIDE 16
#define GRID_MAX_SIDE 512

static int cell_index(double v, double v0, double inv, int n)
{
    double f = floor((v - v0) * inv);
    if (!(f >= 0))
        return 0;
    return f >= n ? n - 1 : (int)f;
}

static void grid_mark_box(Grid *g, const GeoBBox *pb, double x0, double y0, double x1, double y1)
{
    int i0 = cell_index(fmin(x0, x1) - GRID_PAD_DEG, pb->min_lon, g->inv_w, g->nx);
    int i1 = cell_index(fmax(x0, x1) + GRID_PAD_DEG, pb->min_lon, g->inv_w, g->nx);
    int j0 = cell_index(fmin(y0, y1) - GRID_PAD_DEG, pb->min_lat, g->inv_h, g->ny);
    int j1 = cell_index(fmax(y0, y1) + GRID_PAD_DEG, pb->min_lat, g->inv_h, g->ny);
    for (int j = j0; j <= j1; j++)
        memset(g->cell + (size_t)j * g->nx + i0, CELL_EDGE, (size_t)(i1 - i0 + 1));
}

static void grid_mark_ring(Grid *g, const GeoBBox *pb, GEOSContextHandle_t ctx,
                           const GEOSGeometry *ring)
{
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n) || n < 2)
        return;
    double *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    GEOSCoordSeq_copyToBuffer_r(ctx, seq, xy, 0, 0);
    for (unsigned k = 0; k + 1 < n; k++) {
        double ax = xy[2 * k], ay = xy[2 * k + 1], bx = xy[2 * k + 2], by = xy[2 * k + 3];
        double dx = bx - ax, dy = by - ay;
        int pieces = 1 + (int)fmax(fabs(dx) * g->inv_w, fabs(dy) * g->inv_h);
        double px = ax, py = ay;
        for (int p = 1; p <= pieces; p++) {
            double t = (double)p / pieces;
            double qx = p == pieces ? bx : ax + dx * t, qy = p == pieces ? by : ay + dy * t;
            grid_mark_box(g, pb, px, py, qx, qy);
            px = qx;
            py = qy;
        }
    }
    free(xy);
}

/* Gives every non-EDGE cell 4-connected to cell `start` the status `st` (an explicit stack). */
static void grid_fill(Grid *g, size_t start, uint8_t st, size_t *stack)
{
    size_t top = 0;
    g->cell[start] = st;
    stack[top++] = start;
    while (top > 0) {
        size_t c = stack[--top];
        int i = (int)(c % (size_t)g->nx), j = (int)(c / (size_t)g->nx);
        size_t nb[4];
        int k = 0;
        if (i > 0)
            nb[k++] = c - 1;
        if (i + 1 < g->nx)
            nb[k++] = c + 1;
        if (j > 0)
            nb[k++] = c - (size_t)g->nx;
        if (j + 1 < g->ny)
            nb[k++] = c + (size_t)g->nx;
        for (int m = 0; m < k; m++)
            if (g->cell[nb[m]] == CELL_UNKNOWN) {
                g->cell[nb[m]] = st;
                stack[top++] = nb[m];
            }
    }
}

static void grid_build(AreaPolygon *p, GEOSContextHandle_t ctx, int nvertices)
{
    Grid *g = &p->grid;
    const GeoBBox *b = &p->box;
    double side = sqrt((double)nvertices * GRID_CELLS_PER_VERTEX);
    int n = side < GRID_MIN_SIDE ? GRID_MIN_SIDE : side > GRID_MAX_SIDE ? GRID_MAX_SIDE : (int)side;
    g->nx = g->ny = n;
    g->inv_w = n / (b->max_lon - b->min_lon);
    g->inv_h = n / (b->max_lat - b->min_lat);
    size_t ncells = (size_t)n * (size_t)n;
    g->cell = xcalloc(ncells, 1);
    int parts = GEOSGetNumGeometries_r(ctx, p->geom); /* 1 for a Polygon */
    for (int k = 0; k < parts; k++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, p->geom, k);
        grid_mark_ring(g, b, ctx, GEOSGetExteriorRing_r(ctx, poly));
        int holes = GEOSGetNumInteriorRings_r(ctx, poly);
        for (int h = 0; h < holes; h++)
            grid_mark_ring(g, b, ctx, GEOSGetInteriorRingN_r(ctx, poly, h));
    }
    size_t *stack = xmalloc(ncells * sizeof *stack);
    for (size_t c = 0; c < ncells; c++) {
        if (g->cell[c] != CELL_UNKNOWN)
            continue;
        int i = (int)(c % (size_t)n), j = (int)(c / (size_t)n);
        double x = b->min_lon + (i + 0.5) / g->inv_w, y = b->min_lat + (j + 0.5) / g->inv_h;
        if (cell_index(x, b->min_lon, g->inv_w, n) != i ||
            cell_index(y, b->min_lat, g->inv_h, n) != j) {
            g->cell[c] = CELL_EDGE; /* cannot name a point of this cell: leave it to GEOS */
            continue;
        }
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx, x, y);
        char in = pt ? GEOSPreparedCovers_r(ctx, p->prep, pt) : 2;
        if (pt)
            GEOSGeom_destroy_r(ctx, pt);
        if (in == 2) {
            g->cell[c] = CELL_EDGE;
            continue;
        }
        grid_fill(g, c, in ? CELL_IN : CELL_OUT, stack);
    }
    free(stack);
}

/* CELL_IN, CELL_OUT or CELL_EDGE for a point in the polygon's box. */
static int grid_lookup(const AreaPolygon *p, double lon, double lat)
{
    const Grid *g = &p->grid;
    int i = cell_index(lon, p->box.min_lon, g->inv_w, g->nx);
    int j = cell_index(lat, p->box.min_lat, g->inv_h, g->ny);
    return g->cell[(size_t)j * (size_t)g->nx + (size_t)i];
}

static void push_polygon(GeoArea *area, GEOSGeometry *g)
{
    AreaPolygon p = {.geom = g};
    p.prep = GEOSPrepare_r(area->ctx, g);
    if (!p.prep) {
        fprintf(stderr, "geo/area: GEOSPrepare failed: %s\n", area->geos_msg);
        abort();
    }
    GEOSGeom_getXMin_r(area->ctx, g, &p.box.min_lon);
    GEOSGeom_getYMin_r(area->ctx, g, &p.box.min_lat);
    GEOSGeom_getXMax_r(area->ctx, g, &p.box.max_lon);
    GEOSGeom_getYMax_r(area->ctx, g, &p.box.max_lat);
    if (area->npolys == area->cap_polys) {
        area->cap_polys = area->cap_polys ? 2 * area->cap_polys : 4;
        area->polys = xrealloc(area->polys, area->cap_polys * sizeof *area->polys);
        area->preps = xrealloc(area->preps, area->cap_polys * sizeof *area->preps);
    }
    grid_build(&p, area->ctx, GEOSGetNumCoordinates_r(area->ctx, g));
    box_join(area, &p.box);
    area->preps[area->npolys] = p.prep;
    area->polys[area->npolys++] = p;
}

/* Validates g (a Polygon or MultiPolygon; taken over) and adds it. A MultiPolygon stays one
 * prepared geometry with one grid, so its parts cost a point nothing more however many there
 * are. */
static int add_polygonal(GeoArea *area, GEOSGeometry *g, Error *err)
{
    int multi = GEOSGeomTypeId_r(area->ctx, g) == GEOS_MULTIPOLYGON;
    if (check_valid(area, g, multi ? "多面" : "面", multi ? "the multipolygon" : "the polygon",
                    err) < 0) {
        GEOSGeom_destroy_r(area->ctx, g);
        return -1;
    }
    area->polygon_parts += (size_t)GEOSGetNumGeometries_r(area->ctx, g);
    push_polygon(area, g);
    return 0;
}

/* ---- GeoJSON ----------------------------------------------------------------------------- */

/* Reads one GeoJSON ring (array of [lon, lat, …]) into r (xy from the arena). */
static int read_json_ring(Arena *ar, const json_t *ring, const Where *w, Ring *r, Error *err)
{
    char zh[300], en[300];
    if (!json_is_array(ring)) {
        snprintf(zh, sizeof zh, "%s应为坐标数组", w->zh);
        snprintf(en, sizeof en, "%s must be an array of positions", w->en);
        return area_fail(err, zh, en);
    }
    r->n = json_array_size(ring);
    r->xy = arena_alloc(ar, (r->n ? r->n : 1) * 2 * sizeof(double));
    for (size_t i = 0; i < r->n; i++) {
        const json_t *p = json_array_get(ring, i);
        const json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
        if (!json_is_array(p) || !json_is_number(x) || !json_is_number(y)) {
            snprintf(zh, sizeof zh, "%s第 %zu 个点应为 [经度, 纬度]", w->zh, i + 1);
            snprintf(en, sizeof en, "%s, position %zu must be [lon, lat]", w->en, i + 1);
            return area_fail(err, zh, en);
        }
        r->xy[2 * i] = json_number_value(x);
        r->xy[2 * i + 1] = json_number_value(y);
        if (check_position(r->xy[2 * i], r->xy[2 * i + 1], w, i + 1, err) < 0)
            return -1;
    }
    return check_ring(r, w, err);
}

/* One GeoJSON polygon (array of rings) → GEOS Polygon; poly is its number in a MultiPolygon
 * (0 for a Polygon). */
static GEOSGeometry *json_polygon(GeoArea *area, Arena *ar, const json_t *rings, size_t poly,
                                  Error *err)
{
    size_t n = json_is_array(rings) ? json_array_size(rings) : 0;
    if (n == 0) {
        if (poly)
            error_setf(err, 422, "invalid_area", "多面的第 %zu 个面应为非空的环数组",
                       "polygon %zu must be a non-empty array of rings", poly);
        else
            area_fail(err, "面应为非空的环数组", "the polygon must be a non-empty array of rings");
        return NULL;
    }
    Ring *r = arena_alloc(ar, n * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        Where w;
        where_ring(&w, poly, i);
        if (read_json_ring(ar, json_array_get(rings, i), &w, &r[i], err) < 0)
            return NULL;
    }
    return make_polygon(area, r, n, err);
}

int geo_area_add_geojson(GeoArea *area, const json_t *geometry, Error *err)
{
    const char *type = json_string_value(json_object_get(geometry, "type"));
    const json_t *coords = json_object_get(geometry, "coordinates");
    if (!type || (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0))
        return area_fail(err, "区域应为 GeoJSON 的 Polygon 或 MultiPolygon 几何对象",
                         "the area must be a GeoJSON Polygon or MultiPolygon geometry object");
    if (!json_is_array(coords) || json_array_size(coords) == 0)
        return area_fail(err, "GeoJSON 几何对象缺少非空的 coordinates 数组",
                         "the GeoJSON geometry needs a non-empty \"coordinates\" array");
    Arena ar = ARENA_INIT;
    GEOSGeometry *g = NULL;
    int rc = -1;
    if (strcmp(type, "Polygon") == 0) {
        g = json_polygon(area, &ar, coords, 0, err);
    } else {
        size_t n = json_array_size(coords);
        GEOSGeometry **parts = xcalloc(n, sizeof *parts);
        size_t made = 0;
        for (; made < n; made++) {
            parts[made] = json_polygon(area, &ar, json_array_get(coords, made), made + 1, err);
            if (!parts[made])
                break;
        }
        if (made == n) {
            g = GEOSGeom_createCollection_r(area->ctx, GEOS_MULTIPOLYGON, parts, (unsigned)n);
            if (!g)
                geos_fail(area, "multipolygon", err);
            else
                made = 0; /* the collection owns the parts */
        }
        for (size_t i = 0; i < made; i++)
            GEOSGeom_destroy_r(area->ctx, parts[i]);
        free(parts);
    }
    if (g)
        rc = add_polygonal(area, g, err);
    arena_free(&ar);
    return rc;
}

/* ---- CAP text ---------------------------------------------------------------------------- */

/* Parses "lat,lon" at *s (leading blanks skipped) and advances *s past it. */
static int read_cap_pair(const char **s, double *lat, double *lon)
{
    const char *p = *s;
    char *end;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (!*p || *p == ',')
        return -1;
    *lat = strtod(p, &end);
    if (end == p || *end != ',')
        return -1;
    p = end + 1;
    if (!*p || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        return -1;
    *lon = strtod(p, &end);
    if (end == p || (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r'))
        return -1;
    *s = end;
    return 0;
}

static int at_end(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return *s == 0;
}

int geo_area_add_cap_polygon(GeoArea *area, const char *cap_text, Error *err)
{
    Ring r = {NULL, 0};
    size_t cap = 16;
    int rc = -1;
    Where w;
    where_ring(&w, 0, 0);
    r.xy = xmalloc(cap * 2 * sizeof(double));
    const char *s = cap_text ? cap_text : "";
    while (!at_end(s)) {
        double lat, lon;
        if (read_cap_pair(&s, &lat, &lon) < 0) {
            char zh[200], en[200];
            snprintf(zh, sizeof zh,
                     "CAP 多边形第 %zu 个坐标对格式错误，应为“纬度,经度”，以空格分隔", r.n + 1);
            snprintf(en, sizeof en,
                     "CAP polygon: coordinate pair %zu is malformed; expected \"lat,lon\" pairs "
                     "separated by spaces",
                     r.n + 1);
            area_fail(err, zh, en);
            goto out;
        }
        if (check_position(lon, lat, &w, r.n + 1, err) < 0)
            goto out;
        if (r.n == cap) {
            cap *= 2;
            r.xy = xrealloc(r.xy, cap * 2 * sizeof(double));
        }
        r.xy[2 * r.n] = lon;
        r.xy[2 * r.n + 1] = lat;
        r.n++;
    }
    if (check_ring(&r, &w, err) < 0)
        goto out;
    GEOSGeometry *g = make_polygon(area, &r, 1, err);
    if (g)
        rc = add_polygonal(area, g, err);
out:
    free(r.xy);
    return rc;
}

int geo_area_add_circle(GeoArea *area, double lon, double lat, double radius_m, Error *err)
{
    if (!geo_valid(lon, lat))
        return error_setf(err, 422, "invalid_area",
                          "圆心坐标超出范围（经度 -180 至 180，纬度 -90 至 90）：%g, %g",
                          "circle centre out of range (lon -180..180, lat -90..90): %g, %g", lon,
                          lat);
    if (!(radius_m > 0 && radius_m <= GEO_AREA_MAX_RADIUS_M))
        return error_setf(err, 422, "invalid_area", "圆的半径应大于 0 且不超过 %.0f 米：%g",
                          "the circle radius must be > 0 and at most %.0f m: %g",
                          GEO_AREA_MAX_RADIUS_M, radius_m);
    AreaCircle c = {lon, lat, radius_m, circle_box(lon, lat, radius_m / GEO_EARTH_RADIUS_M)};
    if (area->ncircles == area->cap_circles) {
        area->cap_circles = area->cap_circles ? 2 * area->cap_circles : 4;
        area->circles = xrealloc(area->circles, area->cap_circles * sizeof *area->circles);
    }
    box_join(area, &c.box);
    area->circles[area->ncircles++] = c;
    return 0;
}

int geo_area_add_cap_circle(GeoArea *area, const char *cap_text, Error *err)
{
    const char *s = cap_text ? cap_text : "";
    double lat, lon, km;
    char *end;
    if (read_cap_pair(&s, &lat, &lon) < 0 || (km = strtod(s, &end), end == s) || !at_end(end))
        return area_fail(err, "CAP 圆格式错误，应为“纬度,经度 半径(千米)”",
                         "CAP circle is malformed; expected \"lat,lon radius_km\"");
    return geo_area_add_circle(area, lon, lat, km * 1000.0, err);
}

/* ---- life cycle and reads ---------------------------------------------------------------- */

GeoArea *geo_area_new(void)
{
    GeoArea *area = xcalloc(1, sizeof *area);
    area->ctx = GEOS_init_r();
    if (!area->ctx) {
        fprintf(stderr, "geo/area: GEOS_init_r failed\n");
        abort();
    }
    GEOSContext_setErrorMessageHandler_r(area->ctx, geos_message, area);
    pthread_mutex_init(&area->lock, NULL);
    return area;
}

void geo_area_free(GeoArea *area)
{
    if (!area)
        return;
    for (size_t i = 0; i < area->npolys; i++) {
        GEOSPreparedGeom_destroy_r(area->ctx, area->polys[i].prep);
        GEOSGeom_destroy_r(area->ctx, area->polys[i].geom);
        free(area->polys[i].grid.cell);
    }
    free(area->polys);
    free(area->preps);
    free(area->circles);
    pthread_mutex_destroy(&area->lock);
    GEOS_finish_r(area->ctx);
    free(area);
}

size_t geo_area_polygon_count(const GeoArea *area)
{
    return area->polygon_parts;
}

size_t geo_area_circle_count(const GeoArea *area)
{
    return area->ncircles;
}

int geo_area_bbox(const GeoArea *area, GeoBBox *out)
{
    if (area->npolys + area->ncircles == 0)
        return 0;
    *out = area->box;
    return 1;
}

/* The GEOS side of a point test: the area's own context and prepared polygons (geo_area_covers,
 * under the lock), or a filter worker's, whose context and prepared copies are made on first
 * need (a worker whose points never fall in a cell the boundary crosses never makes them). */
typedef struct GeosUse {
    GEOSContextHandle_t ctx;
    const GEOSPreparedGeometry **preps;
    GEOSGeometry **copies; /* a worker's; NULL when preps are the area's own */
} GeosUse;

static const GEOSPreparedGeometry *geos_prepared(GeosUse *u, const GeoArea *area, size_t i)
{
    if (!u->ctx) {
        u->ctx = GEOS_init_r();
        if (!u->ctx) {
            fprintf(stderr, "geo/area: GEOS_init_r failed\n");
            abort();
        }
        u->copies = xcalloc(area->npolys, sizeof *u->copies);
        u->preps = xcalloc(area->npolys, sizeof *u->preps);
    }
    if (!u->preps[i]) {
        u->copies[i] = GEOSGeom_clone_r(u->ctx, area->polys[i].geom);
        u->preps[i] = u->copies[i] ? GEOSPrepare_r(u->ctx, u->copies[i]) : NULL;
        if (!u->preps[i]) {
            fprintf(stderr, "geo/area: cannot prepare a copy of a polygon\n");
            abort();
        }
    }
    return u->preps[i];
}

static void geos_release(GeosUse *u, const GeoArea *area)
{
    if (!u->ctx || !u->copies)
        return;
    for (size_t i = 0; i < area->npolys; i++) {
        if (u->preps[i])
            GEOSPreparedGeom_destroy_r(u->ctx, u->preps[i]);
        if (u->copies[i])
            GEOSGeom_destroy_r(u->ctx, u->copies[i]);
    }
    free(u->preps);
    free(u->copies);
    GEOS_finish_r(u->ctx);
}

/* The one point test of both covers and filter, cheapest first: the polygons' grids, then the
 * circles, then GEOS for the polygons whose grid cell the boundary crosses. */
static int point_in(const GeoArea *area, GeosUse *u, double lon, double lat)
{
    if (area->npolys + area->ncircles == 0 || !box_has(&area->box, lon, lat))
        return 0;
    int edges = 0;
    for (size_t i = 0; i < area->npolys; i++) {
        if (!box_has(&area->polys[i].box, lon, lat))
            continue;
        int cell = grid_lookup(&area->polys[i], lon, lat);
        if (cell == CELL_IN)
            return 1;
        edges += cell == CELL_EDGE;
    }
    for (size_t i = 0; i < area->ncircles; i++) {
        const AreaCircle *c = &area->circles[i];
        if (box_has(&c->box, lon, lat) && geo_distance_m(c->lon, c->lat, lon, lat) <= c->radius_m)
            return 1;
    }
    GEOSGeometry *pt = NULL;
    int in = 0;
    for (size_t i = 0; i < area->npolys && edges > 0 && !in; i++) {
        if (!box_has(&area->polys[i].box, lon, lat) ||
            grid_lookup(&area->polys[i], lon, lat) != CELL_EDGE)
            continue;
        edges--;
        const GEOSPreparedGeometry *prep = geos_prepared(u, area, i);
        if (!pt)
            pt = GEOSGeom_createPointFromXY_r(u->ctx, lon, lat);
        in = pt && GEOSPreparedCovers_r(u->ctx, prep, pt) == 1;
    }
    if (pt)
        GEOSGeom_destroy_r(u->ctx, pt);
    return in;
}

int geo_area_covers(const GeoArea *area, double lon, double lat)
{
    GeoArea *a = (GeoArea *)area; /* the lock and the lazily indexed prepared geometries */
    pthread_mutex_lock(&a->lock);
    GeosUse u = {a->ctx, a->preps, NULL};
    int in = point_in(a, &u, lon, lat);
    pthread_mutex_unlock(&a->lock);
    return in;
}

/* ---- bulk -------------------------------------------------------------------------------- */

typedef struct FilterJob {
    const GeoArea *area;
    const double *lon, *lat;
    uint8_t *hit;
    size_t begin, end;
    size_t count;
} FilterJob;

/* One worker: its own GEOS context and prepared copies, made on first need. */
static void *filter_run(void *arg)
{
    FilterJob *job = arg;
    GeosUse u = {NULL, NULL, NULL};
    size_t count = 0;
    for (size_t i = job->begin; i < job->end; i++) {
        uint8_t in = (uint8_t)point_in(job->area, &u, job->lon[i], job->lat[i]);
        job->hit[i] = in;
        count += in;
    }
    job->count = count;
    geos_release(&u, job->area);
    return NULL;
}

static int auto_threads(size_t n)
{
    if (n < FILTER_THREAD_MIN)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 2 ? 2 : 1;
}

size_t geo_area_filter(const GeoArea *area, const double *lon, const double *lat, size_t n,
                       uint8_t *hit, int threads)
{
    if (threads <= 0)
        threads = auto_threads(n);
    if (threads > FILTER_MAX_THREADS)
        threads = FILTER_MAX_THREADS;
    if ((size_t)threads > n)
        threads = n > 0 ? (int)n : 1;
    FilterJob jobs[FILTER_MAX_THREADS] = {{0}};
    pthread_t tid[FILTER_MAX_THREADS];
    int started[FILTER_MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++)
        jobs[t] = (FilterJob){area,
                              lon,
                              lat,
                              hit,
                              n * (size_t)t / (size_t)threads,
                              n * (size_t)(t + 1) / (size_t)threads,
                              0};
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, filter_run, &jobs[t]) == 0;
    filter_run(&jobs[0]);
    size_t count = jobs[0].count;
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            filter_run(&jobs[t]);
        count += jobs[t].count;
    }
    return count;
}
