/* geo/spatial — the spatial index of located records (一张图, nearby queries).
 *
 * Owns the table `geo_points`: one row per located record of any entity (entity table name,
 * record key as text, WGS-84 lon/lat, the record's division code, a title and a state for
 * the map), UNIQUE(entity, record_key). geo_migrate() creates it (module "geo" in
 * schema_migrations) with a real spatial index on each backend:
 *   - SQLite: an R*Tree virtual table `geo_rtree(id, min_lon, max_lon, min_lat, max_lat)`
 *     (rtree_i32: coordinates in integer units of 1e-7 degree, about 1 cm) kept in step with
 *     geo_points by triggers (insert, update of lon/lat, delete);
 *   - PostgreSQL: a GiST index on the built-in `point(lon, lat)` expression, queried with
 *     `point(lon, lat) <@ box(…)` (no PostGIS).
 * Both answer a bounding-box prefilter through the index; distances are great-circle
 * (haversine, mean Earth radius 6 371 008.8 m) and both backends return the same hits in the
 * same order (nearest first, ties by entity, then key) with the same total:
 *   - SQLite reads candidate ids and coordinates from the R*Tree alone, computes distances
 *     here, applies the jurisdiction/entity filters in one pass over the box's rows, and reads
 *     only the hits (and any point within the coordinates' rounding error of the circle, whose
 *     exact distance decides) from geo_points;
 *   - PostgreSQL filters and orders in SQL by the chord between unit vectors (x, y, z columns
 *     of geo_points, monotonic in the great-circle distance), with count(*) OVER () for the
 *     total.
 * Row ids follow the Z-order (Morton) curve of the location, so points near each other are
 * stored near each other (a box query reads few pages); a point that moves gets a new id.
 *
 * Promises: geo_put/geo_remove run on the caller's connection, so inside the caller's
 * transaction (the entity engine calls them in the Tx of every write: a rolled-back write
 * leaves no trace in the index). Coordinates outside [-180,180] × [-90,90] are refused (422).
 * Jurisdiction: a prefix "" sees everything; otherwise a point is seen when its division code
 * starts with the prefix, or when it has no division code at all (NULL: entities without a
 * jurisdiction column are visible to everyone, as in the entity engine); an entity with a
 * jurisdiction column whose record has no code is stored with "" and seen only by
 * deployment-wide actors.
 *
 * Memory: GeoHit arrays and their strings live in the Arena passed in. Depends only on
 * store/ and core/. */
#ifndef YJ_GEO_SPATIAL_H
#define YJ_GEO_SPATIAL_H

#include "core/arena.h"
#include "core/error.h"
#include "store/store.h"

#define GEO_EARTH_RADIUS_M 6371008.8

typedef struct GeoHit {
    const char *entity;        /* entity table name */
    const char *key;           /* record key as text */
    const char *title;         /* may be NULL */
    const char *state;         /* may be NULL */
    const char *division_code; /* may be NULL */
    double lon, lat;
    double distance_m; /* geo_nearby: great-circle distance from the query point; else 0 */
} GeoHit;

/* Creates geo_points and its index (numbered migrations, module "geo"). */
int geo_migrate(Store *store, Error *err);

/* Great-circle (haversine) distance in metres between two WGS-84 points. */
double geo_distance_m(double lon1, double lat1, double lon2, double lat2);

/* True when lon is in [-180, 180] and lat in [-90, 90] (and both finite). */
int geo_valid(double lon, double lat);

/* Inserts or moves the point of (entity, key). division NULL = the entity has no
 * jurisdiction column; title/state may be NULL. 422 for coordinates out of range. */
int geo_put(StoreConn *c, const char *entity, const char *key, double lon, double lat,
            const char *division, const char *title, const char *state, Error *err);
/* Removes the point of (entity, key); no error when there is none. */
int geo_remove(StoreConn *c, const char *entity, const char *key, Error *err);

/* The points within radius_m metres of (lon, lat), nearest first, at most limit of them.
 * entities: the entity table names to include (nentities 0 = all); jurisdiction_prefix:
 * see above (NULL = ""). out and n receive the hits; *total (may be NULL) the number of points
 * within the radius before the limit. radius_m in (0, 20 000 000]; limit >= 1. */
int geo_nearby(StoreConn *c, Arena *arena, double lon, double lat, double radius_m,
               const char *const *entities, int nentities, const char *jurisdiction_prefix,
               int limit, GeoHit **out, int *n, int *total, Error *err);

/* The points of one entity inside the box [min_lon, max_lon] × [min_lat, max_lat] (no
 * antimeridian wrap: min_lon <= max_lon), inside the jurisdiction, at most limit of them
 * (ordered by key text, so a capped answer is stable); *truncated (may be NULL) is set when
 * more existed. */
int geo_bbox(StoreConn *c, Arena *arena, const char *entity, double min_lon, double min_lat,
             double max_lon, double max_lat, const char *jurisdiction_prefix, int limit,
             GeoHit **out, int *n, int *truncated, Error *err);

/* Number of points of one entity inside the jurisdiction. */
int geo_count(StoreConn *c, const char *entity, const char *jurisdiction_prefix, int64_t *out,
              Error *err);

#endif
