/* flow/scheduler — durable jobs in scheduler_jobs, run by kind.
 *
 * due_at is stored as ISO-8601 UTC text ("YYYY-MM-DDTHH:MM:SSZ"), which orders correctly as
 * text; the API takes Unix seconds.
 *
 * One job runs per transaction: select one due job (PostgreSQL: FOR UPDATE SKIP LOCKED, so
 * concurrent instances take different jobs; SQLite: the write lock of BEGIN IMMEDIATE), set a
 * savepoint, delete the job, call the handler. Deleting before the handler lets a handler
 * re-schedule the same key (a repeating reminder). On success the transaction commits; on
 * failure it rolls back to the savepoint — undoing the handler's writes and the deletion —
 * and records attempts, last_error and the retry time (now + min(2^attempts * 5 s, 1 h))
 * while still holding the row lock, so no other instance retries the job early. */
#include "flow/scheduler.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "flow/worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KINDS 64
#define KIND_MAX 64
#define BACKOFF_BASE 5
#define BACKOFF_MAX 3600
#define THREAD_BATCH 100

typedef struct KindHandler {
    char kind[KIND_MAX];
    JobHandler fn;
} KindHandler;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static KindHandler handlers[MAX_KINDS];
static int nhandlers;

static void iso_at(int64_t t, char out[32])
{
    clock_format_iso(t, out, 32);
}

/* ---- registry --------------------------------------------------------------------------- */

void scheduler_register(const char *kind, JobHandler handler)
{
    pthread_mutex_lock(&registry_lock);
    int i = 0;
    while (i < nhandlers && strcmp(handlers[i].kind, kind) != 0)
        i++;
    if (i == MAX_KINDS || strlen(kind) >= KIND_MAX) {
        pthread_mutex_unlock(&registry_lock);
        log_error("scheduler: cannot register kind '%s' (too many kinds or name too long)", kind);
        abort();
    }
    snprintf(handlers[i].kind, KIND_MAX, "%s", kind);
    handlers[i].fn = handler; /* registering a kind again replaces its handler */
    if (i == nhandlers)
        nhandlers++;
    pthread_mutex_unlock(&registry_lock);
}

static int registry_snapshot(KindHandler out[MAX_KINDS])
{
    pthread_mutex_lock(&registry_lock);
    int n = nhandlers;
    memcpy(out, handlers, sizeof handlers[0] * (size_t)n);
    pthread_mutex_unlock(&registry_lock);
    return n;
}

static JobHandler handler_for(const KindHandler *hs, int n, const char *kind)
{
    for (int i = 0; i < n; i++)
        if (strcmp(hs[i].kind, kind) == 0)
            return hs[i].fn;
    return NULL;
}

/* ---- set / cancel ----------------------------------------------------------------------- */

int scheduler_set(Tx *tx, const char *kind, const char *key, int64_t due_at, json_t *payload,
                  Error *err)
{
    char due[32];
    iso_at(due_at, due);
    char *text =
        payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    if (payload && !text)
        return error_internal(err, "scheduler: payload cannot be serialised");
    DbValue p[] = {db_text(key), db_text(kind), db_text(due), db_text(text ? text : "null")};
    int rc =
        store_exec(tx->conn,
                   "INSERT INTO scheduler_jobs(key, kind, due_at, payload, attempts, last_error)"
                   " VALUES ($1, $2, $3, $4, 0, NULL)"
                   " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,"
                   " due_at = excluded.due_at, payload = excluded.payload, attempts = 0,"
                   " last_error = NULL",
                   p, 4, NULL, err);
    free(text);
    return rc;
}

int scheduler_cancel(Tx *tx, const char *key, Error *err)
{
    DbValue p[] = {db_text(key)};
    return store_exec(tx->conn, "DELETE FROM scheduler_jobs WHERE key = $1", p, 1, NULL, err);
}

/* ---- running ---------------------------------------------------------------------------- */

typedef struct Job {
    const char *key, *kind, *payload;
    int64_t attempts;
} Job;

/* Selects and locks one due job of a registered kind; returns 1 found, 0 none, -1 error. */
static int take_job(Tx *tx, const KindHandler *hs, int n, Job *job, Error *err)
{
    char now[32];
    iso_at(clock_now(), now);
    StrBuf sql = STRBUF_INIT;
    DbValue params[MAX_KINDS + 1];
    params[0] = db_text(now);
    strbuf_adds(&sql, "SELECT key, kind, payload, attempts FROM scheduler_jobs"
                      " WHERE due_at <= $1 AND kind IN (");
    for (int i = 0; i < n; i++) {
        strbuf_addf(&sql, "%s$%d", i ? ", " : "", i + 2);
        params[i + 1] = db_text(hs[i].kind);
    }
    strbuf_adds(&sql, ") ORDER BY due_at, key LIMIT 1");
    if (conn_dialect(tx->conn) == DIALECT_POSTGRES)
        strbuf_adds(&sql, " FOR UPDATE SKIP LOCKED");
    DbRows rows;
    int rc = store_query(tx->conn, tx->arena, strbuf_cstr(&sql), params, n + 1, &rows, err);
    strbuf_free(&sql);
    if (rc < 0)
        return -1;
    if (rows.nrows == 0)
        return 0;
    job->key = db_cell(&rows, 0, 0);
    job->kind = db_cell(&rows, 0, 1);
    job->payload = db_cell(&rows, 0, 2);
    job->attempts = strtoll(db_cell(&rows, 0, 3), NULL, 10);
    return 1;
}

static int64_t backoff_seconds(int64_t attempts)
{
    if (attempts >= 10) /* 2^10 * 5 s is past the cap already */
        return BACKOFF_MAX;
    int64_t d = ((int64_t)1 << attempts) * BACKOFF_BASE;
    return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

static int record_failure(Tx *tx, const Job *job, const char *why, Error *err)
{
    int64_t attempts = job->attempts + 1;
    char next[32];
    iso_at(clock_now() + backoff_seconds(attempts), next);
    log_warn("scheduler: job %s (%s) failed, attempt %lld: %s", job->key, job->kind,
             (long long)attempts, why);
    DbValue p[] = {db_text(job->key), db_int(attempts), db_text(next), db_text(why)};
    return store_exec(tx->conn,
                      "UPDATE scheduler_jobs SET attempts = $2, due_at = $3, last_error = $4"
                      " WHERE key = $1",
                      p, 4, NULL, err);
}

/* Deletes the job and runs its handler after a savepoint; returns 1 when the handler
 * succeeded, 0 when it failed (the savepoint is rolled back, herr filled), -1 store error. */
static int run_handler(Tx *tx, const Job *job, JobHandler fn, Error *herr, Error *err)
{
    DbValue p[] = {db_text(job->key)};
    if (store_exec(tx->conn, "SAVEPOINT scheduler_job", NULL, 0, NULL, err) < 0 ||
        store_exec(tx->conn, "DELETE FROM scheduler_jobs WHERE key = $1", p, 1, NULL, err) < 0)
        return -1;
    json_error_t jerr;
    json_t *payload = json_loads(job->payload, JSON_DECODE_ANY, &jerr);
    int ok = payload ? fn(tx, job->key, payload, herr) == 0 : 0;
    if (!payload)
        error_set(herr, 500, "bad_payload", "任务内容无法解析", "payload is not JSON: %s",
                  jerr.text);
    else if (!ok && !herr->message_en[0])
        error_set(herr, 500, "handler_failed", "定时任务处理失败", "handler failed");
    json_decref(payload);
    if (ok)
        return 1;
    tx->events = NULL; /* the failed handler's change events must not be published */
    if (store_exec(tx->conn, "ROLLBACK TO SAVEPOINT scheduler_job", NULL, 0, NULL, err) < 0)
        return -1;
    return 0;
}

/* Runs one due job in its own transaction; returns 1 ran, 2 failed (retry recorded), 0 none
 * due, -1 store error. */
static int run_one(StoreConn *conn, const KindHandler *hs, int n, Error *err)
{
    Arena arena = ARENA_INIT;
    Error herr = ERROR_INIT;
    Tx tx;
    Job job;
    int rc = -1;
    if (tx_begin(&tx, conn, &actor_system, &arena, err) < 0)
        goto out;
    int found = take_job(&tx, hs, n, &job, err);
    if (found <= 0) {
        rc = found;
        goto out;
    }
    int ok = run_handler(&tx, &job, handler_for(hs, n, job.kind), &herr, err);
    if (ok < 0)
        goto out;
    if (!ok && record_failure(&tx, &job, herr.message_en, err) < 0)
        goto out;
    if (tx_commit(&tx, err) < 0)
        goto out;
    rc = ok ? 1 : 2;
out:
    tx_rollback(&tx);
    error_clear(&herr);
    arena_free(&arena);
    return rc;
}

int scheduler_run_due(Store *store, int max, Error *err)
{
    KindHandler hs[MAX_KINDS];
    int n = registry_snapshot(hs);
    if (n == 0 || max <= 0)
        return 0;
    StoreConn *conn = store_acquire(store);
    int ran = 0, rc = 1;
    for (int taken = 0; taken < max && rc > 0; taken++) {
        rc = run_one(conn, hs, n, err);
        if (rc == 1)
            ran++;
    }
    store_release(store, conn);
    return rc < 0 ? -1 : ran;
}

/* ---- background thread ------------------------------------------------------------------ */

static Worker worker = WORKER_INIT;

int scheduler_thread_start(Store *store, int interval_ms)
{
    return worker_start(&worker, "scheduler", store, scheduler_run_due, THREAD_BATCH, interval_ms);
}

void scheduler_thread_stop(void)
{
    worker_stop(&worker);
}
