/* flow/worker — one background thread that repeats a step until stopped.
 *
 * The outbox dispatcher and the scheduler both run "do a batch of work; if the batch was not
 * full, sleep interval_ms or until woken; repeat". A Worker owns that loop: worker_start()
 * starts the thread (refused while it runs), worker_stop() wakes it, waits for the step in
 * progress to finish and joins it. A failed step is logged under the worker's name and the
 * loop goes on. Workers are static objects initialised with WORKER_INIT. */
#ifndef YJ_FLOW_WORKER_H
#define YJ_FLOW_WORKER_H

#include "core/error.h"
#include "store/store.h"

#include <pthread.h>

/* Does up to batch units of work; returns how many it did, or -1 with err. */
typedef int (*WorkerStep)(Store *store, int batch, Error *err);

typedef struct Worker {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int running, stopping, interval_ms, batch;
    Store *store;
    const char *name;
    WorkerStep step;
} Worker;

#define WORKER_INIT                                                                                \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER                        \
    }

int worker_start(Worker *w, const char *name, Store *store, WorkerStep step, int batch,
                 int interval_ms);
void worker_stop(Worker *w);

#endif
