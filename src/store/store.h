/* store — the storage interface; every byte of platform state goes through it.
 *
 * A Store is a thread-safe pool of connections to one database: SQLite (the embedded
 * default, WAL mode, foreign keys on, one connection per worker) or PostgreSQL (libpq).
 * Callers take a connection with store_acquire(), run statements on it, and give it back
 * with store_release(); a connection is used by one thread at a time.
 *
 * SQL is written once for both backends: placeholders are `$1`, `$2`, … (PostgreSQL style;
 * the SQLite backend binds them by name), types are INTEGER/BIGINT, DOUBLE PRECISION, TEXT,
 * timestamps are ISO-8601 UTC TEXT, booleans are INTEGER 0/1. Where the dialects differ
 * (auto ids, upsert locks) callers ask store_dialect(). Parameters are always bound, never
 * spliced into SQL text.
 *
 * Results are materialised in the caller's Arena as text cells (NULL = SQL NULL), so their
 * lifetime is the arena's. Errors come back as -1 with the Error filled; a unique/foreign
 * key violation maps to status 409 code "conflict", anything else to 500.
 *
 * Migrations: store_migrate() applies a module's numbered list of forward-only steps, each in
 * its own transaction, recording applied numbers in schema_migrations. */
#ifndef YJ_STORE_H
#define YJ_STORE_H

#include "core/arena.h"
#include "core/error.h"

#include <stdint.h>

typedef enum { DIALECT_SQLITE, DIALECT_POSTGRES } Dialect;

typedef enum { DB_NULL, DB_INT, DB_REAL, DB_TEXT, DB_BLOB } DbType;

typedef struct DbValue {
    DbType type;
    int64_t i;
    double r;
    const char *s; /* DB_TEXT: borrowed, NUL-terminated UTF-8; DB_BLOB: borrowed bytes, i long */
} DbValue;

static inline DbValue db_int(int64_t v)
{
    DbValue x = {DB_INT, v, 0, 0};
    return x;
}
static inline DbValue db_real(double v)
{
    DbValue x = {DB_REAL, 0, v, 0};
    return x;
}
static inline DbValue db_text(const char *s)
{
    DbValue x = {s ? DB_TEXT : DB_NULL, 0, 0, s};
    return x;
}
/* A BLOB / bytea parameter. Read back, a blob cell is its raw bytes on SQLite (length in
 * db_cell_size) and bytea's text form (\x and hex digits) on PostgreSQL. */
static inline DbValue db_blob(const void *p, size_t n)
{
    DbValue x = {DB_BLOB, (int64_t)n, 0, (const char *)p};
    return x;
}
static inline DbValue db_null(void)
{
    DbValue x = {DB_NULL, 0, 0, 0};
    return x;
}

typedef struct DbRows {
    int nrows, ncols;
    char **names;  /* ncols column names */
    char **cells;  /* nrows * ncols, row-major; NULL for SQL NULL */
    size_t *sizes; /* bytes of each cell (without its NUL): a SQLite BLOB comes back raw */
} DbRows;

static inline const char *db_cell(const DbRows *r, int row, int col)
{
    return r->cells[(long)row * r->ncols + col];
}
static inline size_t db_cell_size(const DbRows *r, int row, int col)
{
    return r->sizes[(long)row * r->ncols + col];
}
int db_col(const DbRows *r, const char *name); /* index or -1 */

typedef struct Store Store;
typedef struct StoreConn StoreConn;

/* url: "sqlite:PATH" or "postgres://…" / "postgresql://…". pool_size >= 1. */
Store *store_open(const char *url, int pool_size, Error *err);
void store_close(Store *s);
Dialect store_dialect(const Store *s);
const char *store_url_redacted(const Store *s); /* for logs: password hidden */

StoreConn *store_acquire(Store *s); /* blocks until a connection is free */
void store_release(Store *s, StoreConn *c);
Dialect conn_dialect(const StoreConn *c);

/* Transactions. store_begin takes the write lock at once on SQLite (BEGIN IMMEDIATE) so a
 * read-then-write transaction never fails half-way with SQLITE_BUSY. */
int store_begin(StoreConn *c, Error *err);
int store_commit(StoreConn *c, Error *err);
void store_rollback(StoreConn *c); /* never fails visibly; safe when no transaction */

/* Runs one statement. affected (may be NULL) receives the number of changed rows. */
int store_exec(StoreConn *c, const char *sql, const DbValue *params, int nparams, int64_t *affected,
               Error *err);
/* Runs one query and materialises all rows in arena. */
int store_query(StoreConn *c, Arena *arena, const char *sql, const DbValue *params, int nparams,
                DbRows *out, Error *err);
/* Runs one statement once per row of parameters (rows holds nrows * nparams values,
 * row-major), prepared once: the bulk path for high-volume writes such as sensor readings.
 * affected_each (may be NULL) receives each row's changed-row count, e.g. 0 for a row an
 * INSERT … ON CONFLICT DO NOTHING skipped. Meant inside a transaction: on error the caller
 * rolls back (rows before the failing one were executed). */
int store_exec_many(StoreConn *c, const char *sql, const DbValue *rows, int nparams, int nrows,
                    int64_t *affected_each, Error *err);
/* Runs several ;-separated statements without parameters (DDL). */
int store_exec_script(StoreConn *c, const char *sql, Error *err);
/* Convenience: first column of first row as int64; -1 error, 0 ok, 1 no row. */
int store_query_int(StoreConn *c, const char *sql, const DbValue *params, int nparams, int64_t *out,
                    Error *err);

typedef struct Migration {
    int version;
    const char *name;
    /* Either SQL per dialect ... */
    const char *sql_sqlite;
    const char *sql_postgres;
    /* ... or a function (for DDL generated from entity tables); may be NULL. */
    int (*apply)(StoreConn *c, Error *err);
} Migration;

/* Applies every migration of `module` whose version is not yet recorded in
 * schema_migrations(module, version, name, applied_at), in order, each in one transaction
 * together with its record. Versions must be strictly increasing within a module. */
int store_migrate(Store *s, const char *module, const Migration *steps, int nsteps, Error *err);

#endif
