/* modules/divisions — administrative divisions (行政区划) and jurisdiction geography.
 *
 * Owns the `divisions` table: one row per division code (GB/T 2260 six-digit codes for
 * province/city/county, extended by the statistical 9-digit town and 12-digit village
 * codes), its name, level (derived from the code length), parent code, population and
 * households, and an optional boundary polygon (GeoJSON geometry, WGS-84) with a label
 * point. A record's jurisdiction everywhere in the platform is its division code; a user's
 * jurisdiction is a code prefix (core/actor.h) and the entity engine limits every list,
 * read and write of this table by it like any other.
 *
 * Promises: codes are validated and normalised (12-digit zero-padded forms collapse to the
 * natural length); parent_code is always the code with its last level cut off, so the tree
 * can be walked without joins; the national import is all-or-nothing.
 *
 * Routes: the standard entity routes at /api/v1/divisions (everyone reads inside their
 * jurisdiction, administrators write), GET /api/v1/divisions/geojson?parent=CODE (children
 * as a GeoJSON FeatureCollection for the map) and GET /api/v1/divisions/stats. */
#ifndef YJ_MODULES_DIVISIONS_H
#define YJ_MODULES_DIVISIONS_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module divisions_module;
extern const Entity divisions_entity;

/* Level of a normalised code: "province" (2 digits), "city" (4), "county" (6), "town" (9),
 * "village" (12); NULL for anything else. Static strings. */
const char *divisions_level_of(const char *code);

/* Parent of a normalised code, itself normalised ("620321100" -> "620321", "441900003" ->
 * "4419" because 441900 is the padded form of city 4419); "" for a province. out >= 13. */
void divisions_parent_of(const char *code, char *out);

/* Progress of a long import: stage name (Chinese), rows done, rows in the stage. */
typedef void (*DivisionsProgress)(const char *stage, int done, int total, void *ctx);

/* Imports the national statistical division tree from dir, which holds the CSV files of
 * the public modood/Administrative-divisions-of-China dataset (provinces.csv, cities.csv,
 * areas.csv and, when with_towns, streets.csv). Inserts or updates names and parents inside
 * tx; *imported gets the number of rows. Any bad row refuses the whole import (422 with
 * every bad row listed in err->rows). progress may be NULL. */
int divisions_import_national(Tx *tx, const char *dir, int with_towns, DivisionsProgress progress,
                              void *ctx, int *imported, Error *err);

/* Name of a division code, copied into arena; NULL when unknown. */
const char *divisions_name(StoreConn *c, Arena *arena, const char *code);

#endif
