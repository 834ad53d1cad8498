/* flow/scheduler — durable timers: deadlines, escalations, reminders.
 *
 * A job is a row (kind, unique key, due time, JSON payload) written in the caller's
 * transaction, so it survives restarts and exists iff the change that set it committed.
 * scheduler_set() with an existing key moves that job (idempotent re-scheduling);
 * scheduler_cancel() removes it. scheduler_run_due() runs every job due at clock_now() with
 * the handler registered for its kind, each in its own transaction together with the job's
 * removal; a failing handler leaves the job for a retry with backoff. On PostgreSQL several
 * instances may run jobs concurrently (FOR UPDATE SKIP LOCKED).
 *
 * A handler runs in the job's Tx (actor: actor_system) and must not commit or roll it back;
 * returning -1 (with err) undoes its writes and retries the job after
 * min(2^attempts * 5 s, 1 h), keeping err's message in scheduler_jobs.last_error. A handler
 * may scheduler_set() its own key again (the job row is removed before it runs). Jobs of
 * kinds without a handler stay pending. payload is borrowed in both directions. */
#ifndef YJ_FLOW_SCHEDULER_H
#define YJ_FLOW_SCHEDULER_H

#include "flow/tx.h"

#include <jansson.h>

typedef int (*JobHandler)(Tx *tx, const char *key, json_t *payload, Error *err);

int scheduler_set(Tx *tx, const char *kind, const char *key, int64_t due_at, json_t *payload,
                  Error *err);
int scheduler_cancel(Tx *tx, const char *key, Error *err);
void scheduler_register(const char *kind, JobHandler handler); /* at start-up only */
/* Runs due jobs (at most max); returns how many ran, or -1 on store error. */
int scheduler_run_due(Store *store, int max, Error *err);

/* Background runner for the server: a thread calling scheduler_run_due every interval_ms.
 * Returns 0, or -1 when it is already running or cannot start. stop() wakes it and waits for
 * it to finish; no-op if not running. */
int scheduler_thread_start(Store *store, int interval_ms);
void scheduler_thread_stop(void);

#endif
