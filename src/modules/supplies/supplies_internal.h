/* modules/supplies/supplies_internal — shared by the supplies module's files only.
 *
 * entities.c    the six entities and their hooks' declarations
 * ledger.c      the ledger hook (stock effects, locking), rebuild, expiring batches
 * allocation.c  demand from standards, allocation proposal and confirmation
 * supplies.c    routes, handlers, migrations, the module
 * expiry_job.c  the daily expiry alert (scheduler job)
 * demo.c        the demo county's warehouses, catalogue, stock, capacity and standards */
#ifndef YJ_MODULES_SUPPLIES_INTERNAL_H
#define YJ_MODULES_SUPPLIES_INTERNAL_H

#include "http/route.h"
#include "modules/supplies/supplies.h"

/* ledger.c */
int supplies_movement_hook(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err);

/* Stock keys: one balance row. Touching a key makes the row exist and (PostgreSQL) locks
 * it; keys are touched in canonical order so that concurrent writers never deadlock. */
typedef struct StockKey {
    int64_t warehouse_id, item_id;
    const char *batch_no;      /* "" for no batch */
    const char *expiry_date;   /* for a new row; may be NULL */
    const char *division_code; /* the warehouse's */
} StockKey;
int supplies_touch_keys(Tx *tx, StockKey *keys, int n, Error *err);
/* The expiry date of (item, batch) wherever it lies, or NULL (arena string). */
const char *supplies_batch_expiry(Tx *tx, int64_t item_id, const char *batch_no, Error *err,
                                  int *failed);

/* expiry_job.c: registers and schedules the daily expiry alert */
void supplies_start(Store *store);

/* demo.c */
int supplies_demo(Tx *tx, Error *err);

/* helpers shared by the files */
int supplies_json_int(json_t *o, const char *k, int64_t *out); /* 1 when an integer */
int supplies_json_num(json_t *o, const char *k, double *out);  /* 1 when a number */
/* Refuses keys of obj not in allowed (NULL-terminated): 422 with a field message each. */
int supplies_only_keys(json_t *obj, const char *const *allowed, Error *err);
/* The actor's jurisdiction prefix followed by '%', for LIKE. */
const char *supplies_prefix_like(Arena *arena, const Actor *actor);

#endif
