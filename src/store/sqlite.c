/* store/sqlite — the embedded backend: one sqlite3 handle per pooled connection, WAL mode,
 * foreign keys on, synchronous=FULL so a committed transaction survives power loss. Every
 * connection gets the project's FTS5 tokenizer "cjk" (search/cjk_fts5.h, a leaf that
 * depends only on SQLite) before any statement can touch the full-text index. A checkpointer
 * thread per Store copies the WAL back into the database beside the writers, so commits do
 * not stall on checkpoints. Each connection keeps its prepared statements (SqConn). */
#include "search/cjk_fts5.h"
#include "store/backend.h"
#include "core/arena.h"
#include "core/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(sqlite3 *db, Error *err)
{
    int code = sqlite3_extended_errcode(db);
    int conflict = (code & 0xff) == SQLITE_CONSTRAINT;
    return store_error(err, conflict, sqlite3_errmsg(db));
}

/* Checkpoints run beside the writers (the upkeep thread below), so a commit never stops to
 * copy the WAL back into the database; a writer only checkpoints itself when the WAL has
 * grown past this many pages (the upkeep fell far behind). */
#define WAL_SAFETY_PAGES "65536"
#define CHECKPOINT_EVERY_MS 200

/* A pooled connection: the handle and its cache of prepared statements. Statements are
 * prepared once per connection (SQLITE_PREPARE_PERSISTENT) and reset after each use; the
 * cache is a small round-robin table looked up by SQL text (the statements are the
 * program's own string constants, so a handful of distinct texts repeat). */
#define STMT_CACHE 64

typedef struct SqConn {
    sqlite3 *db;
    struct {
        char *sql;
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
    unsigned next;
} SqConn;

/* A writer waiting for another's transaction polls every half millisecond, for up to
 * BUSY_TIMEOUT_MS. SQLite's own busy timeout sleeps 1, 2, 5, 10 … 100 ms between tries, so a
 * waiter could sleep on for up to 100 ms after the lock was free: an urgent reading queued
 * behind a bulk write paid for it. */
#define BUSY_TIMEOUT_MS 30000
#define BUSY_POLL_US 500

static int wait_busy(void *arg, int tries)
{
    (void)arg;
    if ((int64_t)tries * BUSY_POLL_US >= (int64_t)BUSY_TIMEOUT_MS * 1000)
        return 0;
    struct timespec pause = {0, BUSY_POLL_US * 1000L};
    nanosleep(&pause, NULL);
    return 1;
}

static sqlite3 *open_db(const char *path, Error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        error_set(err, 500, "db_open_failed", "无法打开数据库文件",
                  "cannot open SQLite database '%s': %s", path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_handler(db, wait_busy, NULL);
    char *msg = NULL;
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                     " PRAGMA wal_autocheckpoint=" WAL_SAFETY_PAGES ";"
                     " PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-16384;"
                     " PRAGMA secure_delete=FAST;"
                     " PRAGMA mmap_size=268435456;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        error_set(err, 500, "db_open_failed", "数据库初始化失败", "SQLite setup failed: %s",
                  msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return NULL;
    }
    if (cjk_fts5_register(db) != SQLITE_OK) {
        error_set(err, 500, "db_open_failed", "数据库初始化失败",
                  "SQLite setup failed: cannot register the FTS5 tokenizer 'cjk' (%s)",
                  sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static void *sq_connect(const char *path, Error *err)
{
    sqlite3 *db = open_db(path, err);
    if (!db)
        return NULL;
    SqConn *c = xcalloc(1, sizeof *c);
    c->db = db;
    return c;
}

static void sq_disconnect(void *native)
{
    SqConn *c = native;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(c->cache[i].st);
        free(c->cache[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

/* The connection's prepared statement for sql, ready to bind (NULL with err on failure). */
static sqlite3_stmt *stmt_get(SqConn *c, const char *sql, Error *err)
{
    for (int i = 0; i < STMT_CACHE; i++)
        if (c->cache[i].sql && strcmp(c->cache[i].sql, sql) == 0)
            return c->cache[i].st;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fail(c->db, err);
        return NULL;
    }
    unsigned slot = c->next++ % STMT_CACHE;
    sqlite3_finalize(c->cache[slot].st);
    free(c->cache[slot].sql);
    c->cache[slot].sql = xstrdup(sql);
    c->cache[slot].st = st;
    return st;
}

/* Back to the cache: reset, bindings cleared (text and blobs are bound SQLITE_STATIC). */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int bind_all(sqlite3_stmt *st, const DbValue *params, int nparams)
{
    for (int i = 0; i < nparams; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue; /* parameter not used by this statement */
        int rc;
        switch (params[i].type) {
        case DB_INT:
            rc = sqlite3_bind_int64(st, idx, params[i].i);
            break;
        case DB_REAL:
            rc = sqlite3_bind_double(st, idx, params[i].r);
            break;
        case DB_TEXT:
            rc = sqlite3_bind_text(st, idx, params[i].s, -1, SQLITE_STATIC);
            break;
        case DB_BLOB:
            rc = sqlite3_bind_blob64(st, idx, params[i].s, (sqlite3_uint64)params[i].i,
                                     SQLITE_STATIC);
            break;
        default:
            rc = sqlite3_bind_null(st, idx);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static sqlite3_stmt *prepare(SqConn *c, const char *sql, const DbValue *params, int nparams,
                             Error *err)
{
    sqlite3_stmt *st = stmt_get(c, sql, err);
    if (!st)
        return NULL;
    if (bind_all(st, params, nparams) != SQLITE_OK) {
        fail(c->db, err);
        stmt_done(st);
        return NULL;
    }
    return st;
}

static int sq_exec(void *native, const char *sql, const DbValue *params, int nparams,
                   int64_t *affected, Error *err)
{
    SqConn *c = native;
    sqlite3 *db = c->db;
    sqlite3_stmt *st = prepare(c, sql, params, nparams, err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    int out = 0;
    if (rc != SQLITE_DONE)
        out = fail(db, err);
    else if (affected)
        *affected = sqlite3_changes64(db);
    stmt_done(st);
    return out;
}

static int sq_query(void *native, Arena *arena, const char *sql, const DbValue *params, int nparams,
                    DbRows *out, Error *err)
{
    SqConn *c = native;
    sqlite3 *db = c->db;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prepare(c, sql, params, nparams, err);
    if (!st)
        return -1;
    int ncols = sqlite3_column_count(st);
    out->ncols = ncols;
    out->names = arena_alloc(arena, sizeof(char *) * (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++)
        out->names[i] = arena_strdup(arena, sqlite3_column_name(st, i));
    size_t cap = 16;
    char **cells = arena_alloc(arena, sizeof(char *) * cap * (size_t)(ncols ? ncols : 1));
    size_t *sizes = arena_alloc(arena, sizeof(size_t) * cap * (size_t)(ncols ? ncols : 1));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)out->nrows == cap) {
            char **bigger = arena_alloc(arena, sizeof(char *) * cap * 2 * (size_t)ncols);
            size_t *more = arena_alloc(arena, sizeof(size_t) * cap * 2 * (size_t)ncols);
            memcpy(bigger, cells, sizeof(char *) * cap * (size_t)ncols);
            memcpy(more, sizes, sizeof(size_t) * cap * (size_t)ncols);
            cells = bigger;
            sizes = more;
            cap *= 2;
        }
        for (int i = 0; i < ncols; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            size_t at = (size_t)out->nrows * (size_t)ncols + (size_t)i;
            sizes[at] = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
            cells[at] = t ? arena_strndup(arena, (const char *)t, sizes[at]) : NULL;
        }
        out->nrows++;
    }
    out->cells = cells;
    out->sizes = sizes;
    int ret = 0;
    if (rc != SQLITE_DONE)
        ret = fail(db, err);
    stmt_done(st);
    return ret;
}

/* One prepared statement, its parameter slots looked up once, stepped once per row. */
static int sq_exec_many(void *native, const char *sql, const DbValue *rows, int nparams, int nrows,
                        int64_t *affected_each, Error *err)
{
    SqConn *c = native;
    sqlite3 *db = c->db;
    int idx[64];
    if (nparams > (int)(sizeof idx / sizeof idx[0]))
        return store_error(err, 0, "exec_many: too many parameters per row");
    sqlite3_stmt *st = stmt_get(c, sql, err);
    if (!st)
        return -1;
    for (int i = 0; i < nparams; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        idx[i] = sqlite3_bind_parameter_index(st, name);
    }
    int out = 0;
    for (int r = 0; r < nrows && out == 0; r++) {
        const DbValue *v = rows + (size_t)r * (size_t)nparams;
        int rc = SQLITE_OK;
        for (int i = 0; i < nparams && rc == SQLITE_OK; i++) {
            if (idx[i] == 0)
                continue;
            switch (v[i].type) {
            case DB_INT:
                rc = sqlite3_bind_int64(st, idx[i], v[i].i);
                break;
            case DB_REAL:
                rc = sqlite3_bind_double(st, idx[i], v[i].r);
                break;
            case DB_TEXT:
                rc = sqlite3_bind_text(st, idx[i], v[i].s, -1, SQLITE_STATIC);
                break;
            case DB_BLOB:
                rc = sqlite3_bind_blob64(st, idx[i], v[i].s, (sqlite3_uint64)v[i].i, SQLITE_STATIC);
                break;
            default:
                rc = sqlite3_bind_null(st, idx[i]);
            }
        }
        if (rc == SQLITE_OK) {
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        }
        if (rc != SQLITE_DONE) {
            out = fail(db, err);
            break;
        }
        if (affected_each)
            affected_each[r] = sqlite3_changes64(db);
        sqlite3_reset(st);
    }
    stmt_done(st);
    return out;
}

static int sq_exec_script(void *native, const char *sql, Error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(((SqConn *)native)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = store_error(err, 0, msg ? msg : "script failed");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

/* ---- upkeep: the WAL checkpointer -------------------------------------------------------- */

typedef struct Checkpointer {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
} Checkpointer;

/* PASSIVE checkpoints never wait for readers or writers: they copy what the WAL holds up to
 * the oldest reader, and the next writer restarts the WAL once all of it is copied. */
static void *checkpoint_loop(void *arg)
{
    Checkpointer *cp = arg;
    pthread_mutex_lock(&cp->lock);
    while (!cp->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&cp->wake, &cp->lock, &until);
        if (cp->stop)
            break;
        pthread_mutex_unlock(&cp->lock);
        int wal_pages = 0, copied = 0;
        sqlite3_wal_checkpoint_v2(cp->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        pthread_mutex_lock(&cp->lock);
    }
    pthread_mutex_unlock(&cp->lock);
    return NULL;
}

static void *sq_upkeep_start(const char *path)
{
    Checkpointer *cp = xcalloc(1, sizeof *cp);
    Error err = ERROR_INIT;
    cp->db = open_db(path, &err);
    error_clear(&err);
    pthread_mutex_init(&cp->lock, NULL);
    pthread_cond_init(&cp->wake, NULL);
    if (!cp->db || pthread_create(&cp->thread, NULL, checkpoint_loop, cp) != 0) {
        log_warn("sqlite: 后台检查点线程未启动，由写入者自行检查点 / no checkpoint thread:"
                 " writers checkpoint themselves");
        if (cp->db)
            sqlite3_close_v2(cp->db);
        pthread_mutex_destroy(&cp->lock);
        pthread_cond_destroy(&cp->wake);
        free(cp);
        return NULL;
    }
    return cp;
}

static void sq_upkeep_stop(void *upkeep)
{
    Checkpointer *cp = upkeep;
    pthread_mutex_lock(&cp->lock);
    cp->stop = 1;
    pthread_cond_signal(&cp->wake);
    pthread_mutex_unlock(&cp->lock);
    pthread_join(cp->thread, NULL);
    sqlite3_close_v2(cp->db);
    pthread_mutex_destroy(&cp->lock);
    pthread_cond_destroy(&cp->wake);
    free(cp);
}

const StoreOps store_sqlite_ops = {
    .dialect = DIALECT_SQLITE,
    .begin_sql = "BEGIN IMMEDIATE",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .query = sq_query,
    .exec_many = sq_exec_many,
    .upkeep_start = sq_upkeep_start,
    .upkeep_stop = sq_upkeep_stop,
    .exec_script = sq_exec_script,
};
