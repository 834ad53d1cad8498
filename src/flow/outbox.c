/* flow/outbox — transactional outbox with at-least-once delivery.
 *
 * Times (created_at, next_attempt_at, delivered_at) are ISO-8601 UTC text, compared as text.
 *
 * Dispatch claims a batch of due messages in one short transaction (PostgreSQL: SELECT … FOR
 * UPDATE SKIP LOCKED, so concurrent instances take different messages; SQLite: the write
 * lock) by moving their next_attempt_at a lease ahead, then calls each handler with no
 * transaction open and marks the message delivered, or on failure records the error and
 * the retry time. An instance that dies mid-batch leaves its messages to be taken again
 * when the lease runs out. Only topics with a registered handler are claimed; other pending
 * topics are reported in the log (once per topic). */
#include "flow/outbox.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "flow/worker.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HANDLERS 64
#define TOPIC_MAX 64
#define LEASE_SECONDS 300
#define BACKOFF_BASE 5
#define BACKOFF_MAX 3600
#define UNHANDLED_CHECK_MS 60000
#define THREAD_BATCH 100

typedef struct TopicHandler {
    char topic[TOPIC_MAX];
    OutboxHandler fn;
} TopicHandler;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static TopicHandler handlers[MAX_HANDLERS];
static int nhandlers;
static char warned[MAX_HANDLERS][TOPIC_MAX]; /* unhandled topics already logged */
static int nwarned;
static int64_t last_unhandled_check_ms;

static void iso_at(int64_t t, char out[32])
{
    clock_format_iso(t, out, 32);
}

/* ---- registry --------------------------------------------------------------------------- */

void outbox_register(const char *topic, OutboxHandler handler)
{
    pthread_mutex_lock(&registry_lock);
    int i = 0;
    while (i < nhandlers && strcmp(handlers[i].topic, topic) != 0)
        i++;
    if (i == MAX_HANDLERS || strlen(topic) >= TOPIC_MAX) {
        pthread_mutex_unlock(&registry_lock);
        log_error("outbox: cannot register topic '%s' (too many topics or name too long)", topic);
        abort();
    }
    snprintf(handlers[i].topic, TOPIC_MAX, "%s", topic);
    handlers[i].fn = handler; /* registering a topic again replaces its handler */
    if (i == nhandlers)
        nhandlers++;
    pthread_mutex_unlock(&registry_lock);
}

static int registry_snapshot(TopicHandler out[MAX_HANDLERS])
{
    pthread_mutex_lock(&registry_lock);
    int n = nhandlers;
    memcpy(out, handlers, sizeof handlers[0] * (size_t)n);
    pthread_mutex_unlock(&registry_lock);
    return n;
}

static OutboxHandler handler_for(const TopicHandler *hs, int n, const char *topic)
{
    for (int i = 0; i < n; i++)
        if (strcmp(hs[i].topic, topic) == 0)
            return hs[i].fn;
    return NULL;
}

/* ---- put / seen ------------------------------------------------------------------------- */

static const char *new_id(Arena *arena)
{
    unsigned char raw[16];
    char *hex = arena_alloc(arena, sizeof raw * 2 + 1);
    if (sodium_init() < 0) {
        log_error("libsodium failed to initialise");
        abort();
    }
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof raw * 2 + 1, raw, sizeof raw);
    return hex;
}

static const char *payload_text(Arena *arena, json_t *payload)
{
    if (!payload)
        return "null";
    char *s = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s) {
        log_error("outbox: payload cannot be serialised");
        abort();
    }
    char *copy = arena_strdup(arena, s);
    free(s);
    return copy;
}

int outbox_put(Tx *tx, const char *id, const char *topic, json_t *payload, Error *err)
{
    char now[32];
    iso_at(clock_now(), now);
    DbValue p[] = {db_text(id ? id : new_id(tx->arena)), db_text(topic),
                   db_text(payload_text(tx->arena, payload)), db_text(now)};
    return store_exec(tx->conn,
                      "INSERT INTO outbox(id, topic, payload, created_at, attempts,"
                      " next_attempt_at) VALUES ($1, $2, $3, $4, 0, $4)"
                      " ON CONFLICT (id) DO NOTHING",
                      p, 4, NULL, err);
}

int outbox_seen(StoreConn *conn, const char *consumer, const char *id, Error *err)
{
    char now[32];
    int64_t affected = 0;
    iso_at(clock_now(), now);
    DbValue p[] = {db_text(consumer), db_text(id), db_text(now)};
    if (store_exec(conn,
                   "INSERT INTO outbox_seen(consumer, id, seen_at) VALUES ($1, $2, $3)"
                   " ON CONFLICT (consumer, id) DO NOTHING",
                   p, 3, &affected, err) < 0)
        return -1;
    return affected == 1 ? 1 : 0;
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* Appends "($first, $first+1, …)" for n topics and fills their parameters. */
static void topic_list(StrBuf *sql, DbValue *params, int first, const TopicHandler *hs, int n)
{
    strbuf_addch(sql, '(');
    for (int i = 0; i < n; i++) {
        strbuf_addf(sql, "%s$%d", i ? ", " : "", first + i);
        params[first - 1 + i] = db_text(hs[i].topic);
    }
    strbuf_addch(sql, ')');
}

static int already_warned(const char *topic)
{
    for (int i = 0; i < nwarned; i++)
        if (strcmp(warned[i], topic) == 0)
            return 1;
    return 0;
}

static void warn_topic(const char *topic)
{
    pthread_mutex_lock(&registry_lock);
    if (!already_warned(topic)) {
        log_warn("outbox: messages with topic '%s' are pending but no handler is registered",
                 topic);
        if (nwarned < MAX_HANDLERS)
            snprintf(warned[nwarned++], TOPIC_MAX, "%s", topic);
    }
    pthread_mutex_unlock(&registry_lock);
}

static int unhandled_check_due(void)
{
    int64_t now = clock_real_now_ms();
    pthread_mutex_lock(&registry_lock);
    int due = last_unhandled_check_ms == 0 || now - last_unhandled_check_ms >= UNHANDLED_CHECK_MS;
    if (due)
        last_unhandled_check_ms = now;
    pthread_mutex_unlock(&registry_lock);
    return due;
}

/* Logs (once per topic) due messages that no registered handler takes. Best effort. */
static void warn_unhandled(StoreConn *conn, const TopicHandler *hs, int n)
{
    if (!unhandled_check_due())
        return;
    char now[32];
    iso_at(clock_now(), now);
    StrBuf sql = STRBUF_INIT;
    DbValue params[MAX_HANDLERS + 1];
    params[0] = db_text(now);
    strbuf_adds(&sql, "SELECT DISTINCT topic FROM outbox WHERE delivered_at IS NULL"
                      " AND next_attempt_at <= $1");
    if (n > 0) {
        strbuf_adds(&sql, " AND topic NOT IN ");
        topic_list(&sql, params, 2, hs, n);
    }
    strbuf_adds(&sql, " LIMIT 20");
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    DbRows rows;
    if (store_query(conn, &a, strbuf_cstr(&sql), params, n + 1, &rows, &err) == 0)
        for (int i = 0; i < rows.nrows; i++)
            warn_topic(db_cell(&rows, i, 0));
    error_clear(&err);
    arena_free(&a);
    strbuf_free(&sql);
}

typedef struct Claimed {
    const char *id, *topic, *payload;
    int64_t attempts;
} Claimed;

static int select_due(StoreConn *conn, Arena *arena, const TopicHandler *hs, int n, int max,
                      DbRows *rows, Error *err)
{
    char now[32];
    iso_at(clock_now(), now);
    StrBuf sql = STRBUF_INIT;
    DbValue params[MAX_HANDLERS + 2];
    params[0] = db_text(now);
    params[1] = db_int(max);
    strbuf_adds(&sql, "SELECT id, topic, payload, attempts FROM outbox"
                      " WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND topic IN ");
    topic_list(&sql, params, 3, hs, n);
    strbuf_adds(&sql, " ORDER BY next_attempt_at, created_at, id LIMIT $2");
    if (conn_dialect(conn) == DIALECT_POSTGRES)
        strbuf_adds(&sql, " FOR UPDATE SKIP LOCKED");
    int rc = store_query(conn, arena, strbuf_cstr(&sql), params, n + 2, rows, err);
    strbuf_free(&sql);
    return rc;
}

static int lease(StoreConn *conn, const char *id, Error *err)
{
    char until[32];
    iso_at(clock_now() + LEASE_SECONDS, until);
    DbValue p[] = {db_text(id), db_text(until)};
    return store_exec(conn, "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1", p, 2, NULL,
                      err);
}

/* Takes up to max due messages of the given topics; the array lives in arena. */
static int claim(StoreConn *conn, Arena *arena, const TopicHandler *hs, int n, int max,
                 Claimed **out, int *nout, Error *err)
{
    DbRows rows;
    *nout = 0;
    if (store_begin(conn, err) < 0)
        return -1;
    if (select_due(conn, arena, hs, n, max, &rows, err) < 0)
        goto fail;
    *out = arena_alloc(arena, sizeof **out * (size_t)(rows.nrows ? rows.nrows : 1));
    for (int i = 0; i < rows.nrows; i++) {
        Claimed *c = &(*out)[i];
        c->id = db_cell(&rows, i, 0);
        c->topic = db_cell(&rows, i, 1);
        c->payload = db_cell(&rows, i, 2);
        c->attempts = strtoll(db_cell(&rows, i, 3), NULL, 10);
        if (lease(conn, c->id, err) < 0)
            goto fail;
    }
    if (store_commit(conn, err) < 0)
        goto fail;
    *nout = rows.nrows;
    return 0;
fail:
    store_rollback(conn);
    return -1;
}

static int mark_delivered(StoreConn *conn, const char *id, Error *err)
{
    char now[32];
    iso_at(clock_now(), now);
    DbValue p[] = {db_text(id), db_text(now)};
    return store_exec(conn, "UPDATE outbox SET delivered_at = $2, last_error = NULL WHERE id = $1",
                      p, 2, NULL, err);
}

static int64_t backoff_seconds(int64_t attempts)
{
    if (attempts >= 10) /* 2^10 * 5 s is past the cap already */
        return BACKOFF_MAX;
    int64_t d = ((int64_t)1 << attempts) * BACKOFF_BASE;
    return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

static int mark_failed(StoreConn *conn, const Claimed *m, const char *why, Error *err)
{
    int64_t attempts = m->attempts + 1;
    char next[32];
    iso_at(clock_now() + backoff_seconds(attempts), next);
    DbValue p[] = {db_text(m->id), db_int(attempts), db_text(next), db_text(why)};
    log_warn("outbox: delivery of %s (%s) failed, attempt %lld: %s", m->id, m->topic,
             (long long)attempts, why);
    return store_exec(conn,
                      "UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4"
                      " WHERE id = $1",
                      p, 4, NULL, err);
}

/* Hands one message to its handler; returns 1 delivered, 0 failed (retry later), -1 store
 * error while recording the outcome. */
static int deliver(StoreConn *conn, const Claimed *m, OutboxHandler fn, Error *err)
{
    Error herr = ERROR_INIT;
    json_error_t jerr;
    json_t *payload = json_loads(m->payload, JSON_DECODE_ANY, &jerr);
    int ok = payload ? fn(conn, m->id, m->topic, payload, &herr) == 0 : 0;
    if (!payload)
        error_set(&herr, 500, "bad_payload", "消息内容无法解析", "payload is not JSON: %s",
                  jerr.text);
    else if (!ok && !herr.message_en[0])
        error_set(&herr, 500, "handler_failed", "消息处理失败", "handler failed");
    json_decref(payload);
    int rc = ok ? mark_delivered(conn, m->id, err) : mark_failed(conn, m, herr.message_en, err);
    error_clear(&herr);
    return rc < 0 ? -1 : ok;
}

int outbox_dispatch_once(Store *store, int max, Error *err)
{
    TopicHandler hs[MAX_HANDLERS];
    int n = registry_snapshot(hs);
    StoreConn *conn = store_acquire(store);
    Arena arena = ARENA_INIT;
    Claimed *msgs = NULL;
    int nmsgs = 0, delivered = 0;
    warn_unhandled(conn, hs, n);
    if (n == 0 || max <= 0)
        goto out;
    if (claim(conn, &arena, hs, n, max, &msgs, &nmsgs, err) < 0) {
        delivered = -1;
        goto out;
    }
    for (int i = 0; i < nmsgs; i++) {
        int rc = deliver(conn, &msgs[i], handler_for(hs, n, msgs[i].topic), err);
        if (rc < 0) {
            delivered = -1;
            goto out;
        }
        delivered += rc;
    }
out:
    arena_free(&arena);
    store_release(store, conn);
    return delivered;
}

/* ---- background thread ------------------------------------------------------------------ */

static Worker worker = WORKER_INIT;

int outbox_thread_start(Store *store, int interval_ms)
{
    return worker_start(&worker, "outbox dispatcher", store, outbox_dispatch_once, THREAD_BATCH,
                        interval_ms);
}

void outbox_thread_stop(void)
{
    worker_stop(&worker);
}
