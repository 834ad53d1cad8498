#include "store/backend.h"
#include "core/clock.h"
#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct StoreConn {
    Store *store;
    void *native;
    StoreConn *next_free;
};

struct Store {
    const StoreOps *ops;
    char *url_redacted;
    int size;
    StoreConn *conns;
    StoreConn *free_list;
    pthread_mutex_t lock;
    pthread_cond_t available;
    void *upkeep; /* the backend's background upkeep, or NULL */
};

int db_col(const DbRows *r, const char *name)
{
    for (int i = 0; i < r->ncols; i++)
        if (strcmp(r->names[i], name) == 0)
            return i;
    return -1;
}

int store_error(Error *err, int is_conflict, const char *backend_message)
{
    if (is_conflict)
        return error_set(err, 409, "conflict", "数据冲突：记录重复或仍被其他记录引用",
                         "conflict: %s", backend_message);
    return error_internal(err, backend_message);
}

static char *redact(const char *url)
{
    /* postgres://user:secret@host/db -> postgres://user:***@host/db */
    char *out = xstrdup(url);
    char *scheme = strstr(out, "://");
    char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at) {
        char *r = xmalloc(strlen(out) + 4);
        sprintf(r, "%.*s:***%s", (int)(colon - out), out, at);
        free(out);
        return r;
    }
    return out;
}

Store *store_open(const char *url, int pool_size, Error *err)
{
    const StoreOps *ops;
    const char *target;
    if (strncmp(url, "sqlite:", 7) == 0) {
        ops = &store_sqlite_ops;
        target = url + 7;
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        ops = &store_postgres_ops;
        target = url;
    } else {
        error_set(err, 400, "bad_db_url", "数据库地址格式错误，应为 sqlite:路径 或 postgres://…",
                  "bad database URL '%s': use sqlite:PATH or postgres://…", url);
        return NULL;
    }
    if (pool_size < 1)
        pool_size = 1;
    Store *s = xcalloc(1, sizeof *s);
    s->ops = ops;
    s->url_redacted = redact(url);
    s->size = pool_size;
    s->conns = xcalloc((size_t)pool_size, sizeof *s->conns);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->available, NULL);
    for (int i = 0; i < pool_size; i++) {
        StoreConn *c = &s->conns[i];
        c->store = s;
        c->native = ops->connect(target, err);
        if (!c->native) {
            store_close(s);
            return NULL;
        }
        c->next_free = s->free_list;
        s->free_list = c;
    }
    if (ops->upkeep_start)
        s->upkeep = ops->upkeep_start(target);
    return s;
}

void store_close(Store *s)
{
    if (!s)
        return;
    if (s->upkeep && s->ops->upkeep_stop)
        s->ops->upkeep_stop(s->upkeep);
    for (int i = 0; i < s->size; i++)
        if (s->conns[i].native)
            s->ops->disconnect(s->conns[i].native);
    free(s->conns);
    free(s->url_redacted);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->available);
    free(s);
}

Dialect store_dialect(const Store *s)
{
    return s->ops->dialect;
}

const char *store_url_redacted(const Store *s)
{
    return s->url_redacted;
}

Dialect conn_dialect(const StoreConn *c)
{
    return c->store->ops->dialect;
}

StoreConn *store_acquire(Store *s)
{
    pthread_mutex_lock(&s->lock);
    while (!s->free_list)
        pthread_cond_wait(&s->available, &s->lock);
    StoreConn *c = s->free_list;
    s->free_list = c->next_free;
    pthread_mutex_unlock(&s->lock);
    return c;
}

void store_release(Store *s, StoreConn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&s->lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

int store_begin(StoreConn *c, Error *err)
{
    return c->store->ops->exec(c->native, c->store->ops->begin_sql, NULL, 0, NULL, err);
}

int store_commit(StoreConn *c, Error *err)
{
    return c->store->ops->exec(c->native, "COMMIT", NULL, 0, NULL, err);
}

void store_rollback(StoreConn *c)
{
    Error ignored = ERROR_INIT;
    c->store->ops->exec(c->native, "ROLLBACK", NULL, 0, NULL, &ignored);
    error_clear(&ignored);
}

int store_exec(StoreConn *c, const char *sql, const DbValue *params, int nparams, int64_t *affected,
               Error *err)
{
    return c->store->ops->exec(c->native, sql, params, nparams, affected, err);
}

int store_query(StoreConn *c, Arena *arena, const char *sql, const DbValue *params, int nparams,
                DbRows *out, Error *err)
{
    return c->store->ops->query(c->native, arena, sql, params, nparams, out, err);
}

int store_exec_many(StoreConn *c, const char *sql, const DbValue *rows, int nparams, int nrows,
                    int64_t *affected_each, Error *err)
{
    if (nrows <= 0)
        return 0;
    return c->store->ops->exec_many(c->native, sql, rows, nparams, nrows, affected_each, err);
}

int store_exec_script(StoreConn *c, const char *sql, Error *err)
{
    return c->store->ops->exec_script(c->native, sql, err);
}

int store_query_int(StoreConn *c, const char *sql, const DbValue *params, int nparams, int64_t *out,
                    Error *err)
{
    Arena a = ARENA_INIT;
    DbRows rows;
    int rc = store_query(c, &a, sql, params, nparams, &rows, err);
    if (rc == 0) {
        if (rows.nrows == 0 || rows.ncols == 0 || !db_cell(&rows, 0, 0))
            rc = 1;
        else
            *out = strtoll(db_cell(&rows, 0, 0), NULL, 10);
    }
    arena_free(&a);
    return rc;
}

static int apply_migration(StoreConn *c, const char *module, const Migration *m, Error *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    int rc = -1;
    const char *sql = conn_dialect(c) == DIALECT_SQLITE ? m->sql_sqlite : m->sql_postgres;
    if (sql && store_exec_script(c, sql, err) < 0)
        goto out;
    if (m->apply && m->apply(c, err) < 0)
        goto out;
    char at[32];
    clock_format_iso(clock_now(), at, sizeof at);
    DbValue p[] = {db_text(module), db_int(m->version), db_text(m->name), db_text(at)};
    if (store_exec(c,
                   "INSERT INTO schema_migrations(module, version, name, applied_at) "
                   "VALUES ($1, $2, $3, $4)",
                   p, 4, NULL, err) < 0)
        goto out;
    rc = store_commit(c, err);
out:
    if (rc < 0)
        store_rollback(c);
    return rc;
}

int store_migrate(Store *s, const char *module, const Migration *steps, int nsteps, Error *err)
{
    StoreConn *c = store_acquire(s);
    int rc = store_exec_script(c,
                               "CREATE TABLE IF NOT EXISTS schema_migrations ("
                               "module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
                               " applied_at TEXT NOT NULL, PRIMARY KEY (module, version))",
                               err);
    for (int i = 0; rc == 0 && i < nsteps; i++) {
        int64_t seen = 0;
        DbValue p[] = {db_text(module), db_int(steps[i].version)};
        int q = store_query_int(c,
                                "SELECT count(*) FROM schema_migrations "
                                "WHERE module = $1 AND version = $2",
                                p, 2, &seen, err);
        if (q < 0) {
            rc = -1;
            break;
        }
        if (seen)
            continue;
        log_info("migration %s/%d %s", module, steps[i].version, steps[i].name);
        rc = apply_migration(c, module, &steps[i], err);
    }
    store_release(s, c);
    return rc;
}
