/* geo/area — target areas of warnings: which points lie inside a polygon or circle.
 *
 * Owns the GeoArea: the union of any number of polygons (GeoJSON Polygon or MultiPolygon,
 * holes allowed, or a CAP <polygon>) and circles (centre lon/lat and a radius in metres, or a
 * CAP <circle>), all in WGS-84. It answers one question, "is this point in the area?", for one
 * point (geo_area_covers) or for a million at once (geo_area_filter, the resolve stage of
 * warning fan-out).
 *
 * Semantics (the same for both calls, which always agree):
 *   - polygons: "covers" — a point inside a polygon or ON its boundary (an edge or a vertex of
 *     the outer ring or of a hole) is in the area; a point strictly inside a hole is not. This
 *     is PostGIS's ST_Covers, not ST_Contains (which leaves the boundary out): a warning for a
 *     polygon drawn along a road reaches the houses on the road. Edges are straight lines in
 *     the lon/lat plane (as PostGIS `geometry`, as every web map draws them), not great circles;
 *     polygons crossing the antimeridian are not supported (RFC 7946 says to split them);
 *   - circles: great-circle (haversine, geo_distance_m of geo/spatial.h) distance from the
 *     centre <= the radius;
 *   - the area is the union: a point is in it when any polygon or circle has it. An empty area
 *     (nothing added) has no point.
 *
 * Validation (every add function): nothing is added on failure and err is set to 422
 * "invalid_area" with a Chinese and an English message naming the polygon, ring and position:
 * wrong GeoJSON shape, a ring with fewer than 4 positions, a ring whose first and last position
 * differ (unclosed), a coordinate that is not a finite number in [-180, 180] × [-90, 90], any
 * GEOS invalidity (self-intersection, a hole outside its shell, nested shells, …: GEOS's reason,
 * in Chinese too, and the location it reports), a radius not in (0, 20 000 000] m, malformed
 * CAP text.
 *
 * Implementation: each polygon or multipolygon added is one GEOS geometry prepared once
 * (GEOSPrepare_r: an indexed point locator, so a test costs O(log vertices) however many parts
 * a multipolygon has), with its own bounding box and a grid of up to 512 × 512 cells over that
 * box (about 64 cells per vertex, one byte each), made when it is added: a cell the boundary does
 * not cross is known to be wholly inside or wholly outside, so only points in the few cells the
 * boundary crosses are handed to GEOS. The answer is exactly GEOS's for every point (the grid only
 * skips work; tests/unit/test_area checks it against GEOS alone on points a hair's breadth off
 * slanted edges). The area's bounding box is checked before anything else; the added geometries are
 * tried one after the other, so an area is meant to hold a few of them (a CAP <area> has a
 * handful), not thousands.
 *
 * Threads: build an area (new, add_*) in one thread. Once built, every read call — covers,
 * filter, bbox — may run from any number of threads at once on the same area: covers takes the
 * area's lock (GEOS prepared geometries build their index lazily and a GEOS context handle is
 * not reentrant), filter gives each worker its own GEOS context and its own prepared copies,
 * sharing nothing mutable. Adding while another thread reads is not allowed.
 *
 * Memory: the GeoArea and everything in it belongs to the caller of geo_area_new and is freed
 * by geo_area_free. No call keeps a pointer to its arguments (the json_t, the strings, the
 * coordinate arrays). Depends on GEOS, jansson, core/ and geo/spatial. */
#ifndef YJ_GEO_AREA_H
#define YJ_GEO_AREA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Largest circle radius accepted, metres (as geo_nearby). */
#define GEO_AREA_MAX_RADIUS_M 20000000.0

typedef struct GeoArea GeoArea;

typedef struct GeoBBox {
    double min_lon, min_lat, max_lon, max_lat;
} GeoBBox;

/* A new, empty area; never NULL (out-of-memory aborts). */
GeoArea *geo_area_new(void);
/* Frees the area and all it holds; NULL is fine. */
void geo_area_free(GeoArea *area);

/* Adds a GeoJSON geometry object {"type":"Polygon"|"MultiPolygon","coordinates":…} with
 * positions [lon, lat] (a third number, altitude, is ignored). A MultiPolygon is validated as a
 * whole (its parts may touch at points but not overlap). */
int geo_area_add_geojson(GeoArea *area, const json_t *geometry, Error *err);

/* Adds a CAP 1.2 <polygon>: whitespace-separated "lat,lon" pairs — latitude FIRST — at least 4,
 * the first equal to the last. */
int geo_area_add_cap_polygon(GeoArea *area, const char *cap_text, Error *err);

/* Adds a circle: centre (lon, lat), radius in metres, in (0, GEO_AREA_MAX_RADIUS_M]. */
int geo_area_add_circle(GeoArea *area, double lon, double lat, double radius_m, Error *err);

/* Adds a CAP 1.2 <circle>: "lat,lon radius" with the radius in KILOMETRES. */
int geo_area_add_cap_circle(GeoArea *area, const char *cap_text, Error *err);

/* Numbers of polygons (a MultiPolygon counts its parts) and circles held. */
size_t geo_area_polygon_count(const GeoArea *area);
size_t geo_area_circle_count(const GeoArea *area);

/* The bounding box of the area in lon/lat: 1 and *out filled, or 0 for an empty area. A circle's
 * box is exact for the great circle (slightly enlarged, never too small); a circle reaching a
 * pole or the antimeridian widens the box to every longitude. */
int geo_area_bbox(const GeoArea *area, GeoBBox *out);

/* 1 when (lon, lat) is in the area (see Semantics above), else 0; 0 for non-finite input. */
int geo_area_covers(const GeoArea *area, double lon, double lat);

/* The bulk test: hit[i] = geo_area_covers(area, lon[i], lat[i]) for i < n; returns the number
 * of hits. threads: how many threads share the work (1 = the caller's alone; 0 = automatic: up
 * to 2, only when n is large enough to pay for them). A thread that cannot be started leaves
 * its share to the caller's thread, so the answer is always complete. */
size_t geo_area_filter(const GeoArea *area, const double *lon, const double *lat, size_t n,
                       uint8_t *hit, int threads);

#endif
