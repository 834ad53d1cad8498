/* store/backend — what a storage backend implements (private to store/).
 * store.c owns the pool, transactions bookkeeping and migrations; a backend only opens
 * native connections and runs statements on them. */
#ifndef YJ_STORE_BACKEND_H
#define YJ_STORE_BACKEND_H

#include "store/store.h"

typedef struct StoreOps {
    Dialect dialect;
    const char *begin_sql; /* statement that opens a write transaction */
    void *(*connect)(const char *target, Error *err);
    void (*disconnect)(void *native);
    int (*exec)(void *native, const char *sql, const DbValue *params, int nparams,
                int64_t *affected, Error *err);
    int (*query)(void *native, Arena *arena, const char *sql, const DbValue *params, int nparams,
                 DbRows *out, Error *err);
    int (*exec_script)(void *native, const char *sql, Error *err);
    int (*exec_many)(void *native, const char *sql, const DbValue *rows, int nparams, int nrows,
                     int64_t *affected_each, Error *err);
    /* Optional upkeep running beside the pool for the Store's lifetime (SQLite: the WAL
     * checkpointer); start returns its handle or NULL, stop ends and frees it. */
    void *(*upkeep_start)(const char *target);
    void (*upkeep_stop)(void *upkeep);
} StoreOps;

extern const StoreOps store_sqlite_ops;
extern const StoreOps store_postgres_ops;

/* Shared by both backends: maps a constraint violation to 409, anything else to 500. */
int store_error(Error *err, int is_conflict, const char *backend_message);

#endif
