/* model/entity_internal — what the entity engine's files share (private to src/model/).
 *
 * The engine is split by concern: entity.c (declaration helpers, DDL, division codes,
 * metadata), entity_validate.c (input checking), entity_row.c (rows <-> JSON and SQL
 * parameters, scoped loads), entity_write.c (create/update/delete with audit and events),
 * entity_list.c (list and CSV export), entity_csv.c (CSV import).
 *
 * Memory: SqlParams and the strings the helpers build live in the Arena passed in; JSON
 * values returned are new references owned by the caller. */
#ifndef YJ_MODEL_ENTITY_INTERNAL_H
#define YJ_MODEL_ENTITY_INTERNAL_H

#include "model/entity.h"

#define ENT_TEXT_MAX_DEFAULT 2000
#define ENT_PAGE_SIZE_DEFAULT 20
#define ENT_PAGE_SIZE_MAX 500
#define ENT_EXPORT_PAGE 1000
#define ENT_CREATED "created_at"
#define ENT_UPDATED "updated_at"
#define ENT_AUTO_KEY "id"
#define ENT_ENTERPRISE "enterprise_id"
#define ENT_SECRET_MASK "***"

/* ---- SQL parameters ---------------------------------------------------------------------- */

typedef struct SqlParams {
    DbValue *v;
    int n, cap;
    Arena *arena;
} SqlParams;

void sqlp_init(SqlParams *p, Arena *arena);
int sqlp_add(SqlParams *p, DbValue v); /* returns the placeholder number ($n) */

/* ---- declaration helpers ----------------------------------------------------------------- */

const Field *ent_division_field(const Entity *e);   /* NULL when none */
const Field *ent_enterprise_field(const Entity *e); /* field named enterprise_id, or NULL */
const char *ent_type_name(FieldType t);
int ent_is_text_type(FieldType t); /* stored as TEXT */
int ent_text_max(const Field *f);
const char *ent_enum_label(const Field *f, const char *value); /* NULL when not a member */
const char *ent_enum_from_label(const Field *f, const char *label_or_value);
/* Strict decimal int64 ("12", "-3"; no spaces, no "1.0"). */
int ent_parse_int(const char *s, int64_t *out);
int ent_utf8_length(const char *s, size_t n); /* code points, or -1 when invalid UTF-8 */

/* ---- validation -------------------------------------------------------------------------- */

typedef enum {
    VALIDATE_CREATE,
    VALIDATE_UPDATE,
    VALIDATE_IMPORT_UPDATE, /* an update whose immutable fields the caller compares itself */
} ValidateMode;

json_t *ent_validate(const Entity *e, json_t *in, ValidateMode mode, const Actor *actor,
                     Error *err);
/* Fills err as the engine's 422 validation failure; the fields must already be set. */
int ent_validation_failed(Error *err);
/* "<label_zh><problem>" as a field message. */
void ent_field_error(Error *err, const Field *f, const char *problem);

/* ---- rows and parameters ----------------------------------------------------------------- */

enum { SECRETS_OMIT, SECRETS_MASK, SECRETS_KEEP };

/* One row of SELECT * as JSON; secrets omitted, masked as "***" (when set) or kept. */
json_t *ent_row_json(const Entity *e, const DbRows *rows, int row, int secrets);
/* The key column of a row as text (borrowed from rows). */
const char *ent_row_key(const Entity *e, const DbRows *rows, int row);
/* A JSON value of field f as a typed SQL parameter; JSON text is written into arena.
 * Returns -1 when the value does not fit the type (hooks setting wrong types). */
int ent_json_param(const Field *f, json_t *v, Arena *arena, DbValue *out);
/* The key text as a parameter; -1 when an integer key is malformed. */
int ent_key_param(const Entity *e, const char *key, DbValue *out);
/* True when the actor sees only part of the entity's rows (jurisdiction or enterprise). */
int ent_scoped(const Entity *e, const Actor *actor);
/* Appends " AND …" restricting rows to the actor's jurisdiction and enterprise. */
void ent_scope_where(const Entity *e, const Actor *actor, SqlParams *p, StrBuf *sql);
/* Escapes LIKE wildcards (% _ \) with backslashes, in arena. */
char *ent_like_escape(Arena *arena, const char *s);
/* Loads the row with this key (actor NULL: unscoped). Returns 1 found, 0 not found, -1. */
int ent_load(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor, const char *key,
             int for_update, DbRows *rows, Error *err);

/* ---- writing ----------------------------------------------------------------------------- */

typedef struct WriteOpts {
    int events;      /* queue one change event per record */
    json_t *refs_ok; /* cache of references known to exist ("table:id" keys), or NULL */
    int internal;    /* server-owned values: no hook, no reference or enterprise checks */
    int key_is_new;  /* the caller already knows no row has the record's key */
} WriteOpts;

/* Create input with what the actor implies when absent (division = the actor's
 * jurisdiction, enterprise_id = the enterprise user's); a new reference. */
json_t *ent_create_input(const Entity *e, const Actor *a, json_t *in);
/* Inserts a validated record (owned by the caller, may be changed by defaults and the
 * hook); *out (may be NULL) receives the stored record without secrets. scratch holds
 * per-record temporaries. */
int ent_insert(Tx *tx, const Entity *e, json_t *rec, const WriteOpts *o, Arena *scratch,
               json_t **out, Error *err);
/* Applies a validated patch to the loaded row `before` (row 0 of rows). */
int ent_update_row(Tx *tx, const Entity *e, const DbRows *before, json_t *patch, const WriteOpts *o,
                   Arena *scratch, json_t **out, Error *err);

/* ---- imports from other formats (entity_csv.c) -------------------------------------------- */

/* The CSV importer's record-level machinery, for other formats (GeoJSON): begin, one call per
 * record (numbered from 1; cerr holds problems found converting it, its fields NULL when
 * none), end. Same rules as the CSV import: create or update by key, every bad record
 * reported in result->row_errors as {"line": number, "message", "fields"}, any bad record
 * fails the import at ent_import_end (bad_zh/bad_en formats take the count as %zu). */
typedef struct Importer EntImport;
EntImport *ent_import_begin(Tx *tx, const Entity *e, ImportResult *result, int nrecords,
                            Error *err);
/* 0 imported, 1 bad record (recorded), -1 the import fails (err). */
int ent_import_one(EntImport *im, json_t *in, const char *key, Error *cerr, int number, Error *err);
/* Frees im; rc is 0 when every record was tried. Returns 0 or -1. */
int ent_import_end(EntImport *im, int rc, const char *bad_zh, const char *bad_en, Error *err);

/* ---- map presence (entity_geojson.c) ------------------------------------------------------ */

/* True when the entity names its longitude and latitude fields. */
int ent_located(const Entity *e);
/* Keeps the spatial index (geo/) in step with the stored record `after` (output JSON of the
 * row) inside tx: puts its point, or removes it when it has no coordinates; 422 with field
 * messages when only one coordinate is given or one is out of range. No-op for entities
 * without a location. */
int ent_geo_sync(Tx *tx, const Entity *e, json_t *after, Error *err);
/* Removes the record's point (after a delete). */
int ent_geo_remove(Tx *tx, const Entity *e, const char *key, Error *err);

/* ---- full-text search (entity_search.c) --------------------------------------------------- */

/* True when the entity has FIELD_FULLTEXT fields (its records are in the search index). */
int ent_fulltext(const Entity *e);
/* Keeps the record's search document in step with the stored record `after` (output JSON of
 * the row) inside tx; before (may be NULL) is the record before an update: when nothing the
 * document holds changed, nothing is written. No-op for entities without full-text fields. */
int ent_search_sync(Tx *tx, const Entity *e, json_t *before, json_t *after, Error *err);
/* Removes the record's search document (after a delete). */
int ent_search_remove(Tx *tx, const Entity *e, const char *key, Error *err);

/* ---- listing ----------------------------------------------------------------------------- */

typedef struct ListSql {
    StrBuf from;  /* " FROM <table>[ JOIN <matching search documents> fts ON …]" */
    int ranked;   /* q answered by the search index: fts.fts_rank orders when no sort is given */
    StrBuf where; /* " WHERE 1=1 AND …" */
    StrBuf order; /* " ORDER BY …" */
    SqlParams params;
} ListSql;

int ent_list_sql(const Entity *e, const Actor *actor, const ListQuery *lq, Dialect d, Arena *arena,
                 ListSql *out, Error *err);
void ent_list_sql_free(ListSql *ls);
/* One page of the listed rows (SELECT * … LIMIT limit OFFSET offset) into arena. */
int ent_list_page(StoreConn *c, Arena *arena, const Entity *e, ListSql *ls, int64_t limit,
                  int64_t offset, DbRows *rows, Error *err);

#endif
