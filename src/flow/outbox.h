/* flow/outbox — messages written with the change that causes them, delivered at least once.
 *
 * outbox_put() inserts a message in the caller's transaction, so a message exists iff the
 * change committed. Each message has a unique id (caller-chosen idempotency key, e.g.
 * "notify:incident:42:user:7", or generated); putting the same id twice keeps one message.
 * The dispatcher (outbox_dispatch_once, called by a background thread or by tests) takes
 * due messages, hands each to the handler registered for its topic, marks it delivered on
 * success and retries with exponential backoff on failure. Handlers may see a message more
 * than once (after a crash between delivery and marking): consumers deduplicate with
 * outbox_seen(), which records a message id once and tells whether it was new.
 *
 * A handler is called with no transaction open on conn; it may run its own transaction
 * there (e.g. outbox_seen plus its local writes) and must finish it before returning.
 * Returning -1 (with err) schedules a retry after min(2^attempts * 5 s, 1 h); the error is
 * kept in outbox.last_error. Messages of topics without a handler stay pending.
 *
 * On PostgreSQL several instances may dispatch concurrently (FOR UPDATE SKIP LOCKED). */
#ifndef YJ_FLOW_OUTBOX_H
#define YJ_FLOW_OUTBOX_H

#include "flow/tx.h"

#include <jansson.h>

typedef int (*OutboxHandler)(StoreConn *conn, const char *id, const char *topic, json_t *payload,
                             Error *err);

/* payload is borrowed. id may be NULL to generate one. */
int outbox_put(Tx *tx, const char *id, const char *topic, json_t *payload, Error *err);
void outbox_register(const char *topic, OutboxHandler handler); /* at start-up only */
/* Delivers up to max due messages; returns the number delivered, or -1 on store error. */
int outbox_dispatch_once(Store *store, int max, Error *err);
/* Consumer-side deduplication: 1 = first time this id is seen (recorded now), 0 = seen
 * before, -1 = error. Call inside the consumer's own transaction. */
int outbox_seen(StoreConn *conn, const char *consumer, const char *id, Error *err);

/* Background dispatcher for the server: a thread calling outbox_dispatch_once every
 * interval_ms (at once again while batches come back full). Returns 0, or -1 when it is
 * already running or cannot start. stop() wakes it, waits for it to finish; no-op if not
 * running. */
int outbox_thread_start(Store *store, int interval_ms);
void outbox_thread_stop(void);

#endif
