/* model/entity — entities declared once, as tables; everything generic derived from them.
 *
 * A module declares an Entity: its table, URL plural, labels and Field list (type, flags,
 * enum values, reference, limits). From that one declaration this engine makes:
 *   - the DDL for SQLite and PostgreSQL (table, indexes, foreign keys) — entity_ddl();
 *   - validation of JSON input with Chinese + English messages per field: unknown fields,
 *     wrong types, missing required fields, enum values, lengths, ranges, division codes
 *     that are malformed or outside the actor's jurisdiction — entity_validate();
 *   - JSON output of rows (secret fields never leave the engine) — entity_row_json();
 *   - create / get / update / delete inside a Tx, each with its audit entry and change
 *     event, limited to the actor's jurisdiction (a record outside it is "not found");
 *   - list with q (substring over search fields), filters on filterable fields, sort on
 *     sortable fields, paging, and total — all limited to the jurisdiction;
 *   - CSV export (UTF-8 with BOM, header row of Chinese labels then field names) and CSV
 *     import (header row by field name or Chinese label; all-or-nothing: any bad row refuses
 *     the whole file and every bad row is reported with its line number and reason);
 *   - the entity's part of the OpenAPI description — entity_openapi_schema().
 * A module adds only what is special (Entity.before_write hook for derived fields and
 * cross-field rules).
 *
 * Keys: the field flagged FIELD_KEY is the primary key; without one the engine adds
 * `id` (auto-increment integer). Returned json_t values are new references owned by the
 * caller. */
#ifndef YJ_MODEL_ENTITY_H
#define YJ_MODEL_ENTITY_H

#include "core/strbuf.h"
#include "flow/tx.h"

#include <jansson.h>

typedef enum {
    FT_TEXT,     /* string; max_len in characters (UTF-8 code points) */
    FT_INT,      /* 64-bit integer; min/max when has_range */
    FT_REAL,     /* double; min/max when has_range */
    FT_BOOL,     /* JSON true/false, stored 0/1 */
    FT_ENUM,     /* one of enum_values[].value */
    FT_TIME,     /* ISO-8601 instant, stored UTC "YYYY-MM-DDTHH:MM:SSZ" */
    FT_DATE,     /* "YYYY-MM-DD" */
    FT_DIVISION, /* 行政区划代码: 2, 4, 6, 9 or 12 digits; 12-digit padded forms normalised */
    FT_REF,      /* integer id of a row in ref_table */
    FT_JSON,     /* any JSON value, stored as text */
} FieldType;

enum {
    FIELD_REQUIRED = 1 << 0,  /* must be present (and non-empty) on create */
    FIELD_KEY = 1 << 1,       /* primary key (text or int given by the client) */
    FIELD_UNIQUE = 1 << 2,    /* unique index */
    FIELD_INDEX = 1 << 3,     /* plain index */
    FIELD_SEARCH = 1 << 4,    /* matched by ?q= */
    FIELD_FILTER = 1 << 5,    /* ?name=value filter (division: prefix match) */
    FIELD_SORT = 1 << 6,      /* allowed in ?sort=name / -name */
    FIELD_READONLY = 1 << 7,  /* set by the server only; rejected in input */
    FIELD_SECRET = 1 << 8,    /* never output, never exported, never audited in clear */
    FIELD_IMMUTABLE = 1 << 9, /* may be set on create, not changed by update */
    FIELD_NOCSV = 1 << 10,    /* left out of CSV import/export */
    FIELD_FULLTEXT = 1 << 11, /* FT_TEXT/FT_JSON indexed for Chinese full-text search (?q=) */
};

typedef struct EnumValue {
    const char *value;
    const char *label_zh;
} EnumValue;

typedef struct Field {
    const char *name;
    FieldType type;
    unsigned flags;
    const char *label_zh;
    const char *label_en;
    const EnumValue *enum_values; /* FT_ENUM: terminated by {NULL} */
    const char *ref_table;        /* FT_REF */
    int max_len;                  /* FT_TEXT: 0 = default 2000 */
    int has_range;
    double min, max;
    const char *default_sql; /* DEFAULT clause value, e.g. "0" or "'active'", or NULL */
} Field;

typedef struct Entity Entity;

/* Hook for what is special about an entity: derive fields, check cross-field rules.
 * rec is the full record about to be written (create: validated input; update: before
 * merged with the patch); before is NULL on create. Return -1 with err to refuse. */
typedef int (*EntityWriteHook)(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err);

struct Entity {
    const char *table;  /* SQL table, also the entity name in audit and events */
    const char *plural; /* URL segment: /api/v1/<plural> */
    const char *label_zh;
    const char *label_en;
    const Field *fields;        /* terminated by {NULL} */
    const char *division_field; /* jurisdiction column (FT_DIVISION), or NULL */
    const char *default_sort;   /* e.g. "-id" */
    EntityWriteHook before_write;
    /* Map presence (一张图): an entity with a location names its FT_REAL longitude and
     * latitude fields (WGS-84). The engine then keeps the record in the spatial index
     * (geo/) inside the same transaction as every write, for nearby queries and map
     * layers; title_field names the record on the map, state_field colours it (both may
     * be NULL). */
    const char *lon_field;
    const char *lat_field;
    const char *title_field;
    const char *state_field;
};

const Field *entity_field(const Entity *e, const char *name);
const char *entity_key_name(const Entity *e); /* FIELD_KEY field name or "id" */
int entity_key_is_int(const Entity *e);

/* DDL: CREATE TABLE IF NOT EXISTS + CREATE INDEX IF NOT EXISTS statements, ;-separated. */
void entity_ddl(const Entity *e, Dialect d, StrBuf *out);
/* A Migration.apply body: runs entity_ddl for the connection's dialect. */
int entity_create_table(StoreConn *c, const Entity *e, Error *err);

/* Division codes: validates 2/4/6/9/12 digits and normalises a 12-digit code padded with
 * zeros to its natural length (620321000000 -> 620321). Returns 0 or -1. out >= 13 bytes. */
int division_code_normalize(const char *in, char *out);

/* Validates input. is_create: required fields enforced, key may be given; update: only the
 * fields present are checked, IMMUTABLE/KEY fields refused. Returns a new object holding
 * the normalised values (e.g. division codes), or NULL with err (422, fields filled). */
json_t *entity_validate(const Entity *e, json_t *in, int is_create, const Actor *actor, Error *err);

/* Row (from SELECT * of the table) -> JSON object without secret fields. */
json_t *entity_row_json(const Entity *e, const DbRows *rows, int row);

int entity_create(Tx *tx, const Entity *e, json_t *in, json_t **out, Error *err);
int entity_get(StoreConn *c, const Entity *e, const Actor *actor, const char *key, json_t **out,
               Error *err);
/* Like entity_get, including secret fields (for modules that check passwords etc.). */
int entity_get_raw(StoreConn *c, const Entity *e, const Actor *actor, const char *key, json_t **out,
                   Error *err);
int entity_update(Tx *tx, const Entity *e, const char *key, json_t *patch, json_t **out,
                  Error *err);
/* Sets fields the server owns (READONLY/SECRET included) without input validation; still
 * audited (secret values masked) and evented. For modules, never for client input. */
int entity_update_internal(Tx *tx, const Entity *e, const char *key, json_t *values, Error *err);
int entity_delete(Tx *tx, const Entity *e, const char *key, Error *err);

typedef struct ListParam {
    const char *name;
    const char *value;
} ListParam;

typedef struct ListQuery {
    const char *q;
    int page;      /* 1-based; 0 -> 1 */
    int page_size; /* 0 -> 20; capped at 500 (exports: unlimited) */
    const char *sort;
    const ListParam *filters; /* any query parameters; unknown names are refused */
    int nfilters;
} ListQuery;

/* {"items": [...], "total": N, "page": P, "page_size": S} */
int entity_list(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                const ListQuery *lq, json_t **out, Error *err);
int entity_export_csv(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                      const ListQuery *lq, StrBuf *out, Error *err);

typedef struct ImportResult {
    int rows_total;
    int rows_imported;
    json_t *row_errors; /* array of {"line": n, "message": "...", "fields": {...}}; owned */
} ImportResult;

/* Imports CSV (BOM optional) inside tx: every row validated as a create (or an update when
 * the key exists); any bad row -> -1 with 422 and result->row_errors listing every bad row,
 * and the caller rolls back. */
int entity_import_csv(Tx *tx, const Entity *e, const char *data, size_t len, ImportResult *result,
                      Error *err);
void import_result_clear(ImportResult *r);

/* GeoJSON of located entities (lon_field/lat_field set; others: 404). The export writes a
 * FeatureCollection of the listed records (q, filters, sort, jurisdiction; no paging): Point
 * geometry, every non-secret field but the coordinates as properties. The import takes a
 * FeatureCollection with the CSV import's rules (create or update by key, all-or-nothing);
 * bad features are numbered from 1 in result->row_errors ({"line": n, "message", "fields"}). */
int entity_export_geojson(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                          const ListQuery *lq, StrBuf *out, Error *err);
int entity_import_geojson(Tx *tx, const Entity *e, const char *data, size_t len,
                          ImportResult *result, Error *err);

/* JSON schema object for OpenAPI (components.schemas). */
json_t *entity_openapi_schema(const Entity *e);
/* Field metadata for UIs: [{"name","type","label","required","enum":[...]}...] */
json_t *entity_meta_json(const Entity *e);

#endif
