/* modules/map — 一张图: every located registry as a map layer, and "resources near here".
 *
 * Owns no tables: it reads the spatial index geo_points (geo/spatial.h) that the entity
 * engine keeps in step with every located entity (Entity.lon_field/lat_field), and finds the
 * layers among the entities registered with the HTTP layer (http_entities()), so a module
 * that declares a located entity gets its layer without telling this one. Listed last in
 * app.c so that every other module has registered its entities.
 *
 * Routes (all ROLE_ANY, SCOPE_JURISDICTION: only points whose division code lies inside the
 * actor's jurisdiction; an enterprise user sees of an entity with an enterprise_id field only
 * its own enterprise's records, as in the entity engine; a layer exists for an actor only when
 * the actor's role may list the entity (its GET /api/v1/<plural> route) — naming another
 * layer is 403 forbidden):
 *   GET /api/v1/map/layers
 *       → [{"kind": plural, "table", "label_zh", "label_en", "count", "state_field",
 *           "states": [{"value", "label"}]}]
 *   GET /api/v1/map/layers/:kind?bbox=minlon,minlat,maxlon,maxlat&limit=N (default 2000, at
 *       most 10000; no bbox = the whole world)
 *       → {"type": "FeatureCollection", "kind", "truncated": bool, "features": [{"type":
 *          "Feature", "id", "geometry": Point, "properties": {"id", "kind", "title", "state",
 *          "state_label"}}]}
 *   GET /api/v1/resources/nearby?lon=&lat=&radius=M (default 10000, at most 200000)
 *       &kinds=teams,experts (default every layer)&limit=N (default 50, at most 500)
 *       → {"items": [{"kind", "id", "title", "state", "state_label", "lon", "lat",
 *          "distance_m", "division_code"}], "total": points within the radius}, nearest first
 *          (great-circle distance in metres).
 * Bad parameters: 400 invalid_parameter (missing or not a number) or 422 validation_failed
 * (out of range, unknown kind), with Chinese and English messages and the field named. */
#ifndef YJ_MODULES_MAP_H
#define YJ_MODULES_MAP_H

#include "modules/module.h"

extern const Module map_module;

#endif
