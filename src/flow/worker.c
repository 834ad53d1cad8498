/* flow/worker — see worker.h. */
#include "flow/worker.h"

#include "core/log.h"

#include <time.h>

/* Sleeps up to ms or until signalled; w->lock is held by the caller. */
static void wait_ms(Worker *w, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->wake, &w->lock, &until);
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->lock);
        Error err = ERROR_INIT;
        int n = w->step(w->store, w->batch, &err);
        if (n < 0)
            log_error("%s: %s", w->name, err.message_en);
        error_clear(&err);
        pthread_mutex_lock(&w->lock);
        if (n < w->batch && !w->stopping)
            wait_ms(w, w->interval_ms);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int worker_start(Worker *w, const char *name, Store *store, WorkerStep step, int batch,
                 int interval_ms)
{
    pthread_mutex_lock(&w->lock);
    int rc = -1;
    if (w->running) {
        log_error("%s: thread already running", name);
        goto out;
    }
    w->name = name;
    w->store = store;
    w->step = step;
    w->batch = batch > 0 ? batch : 1;
    w->interval_ms = interval_ms > 0 ? interval_ms : 1000;
    w->stopping = 0;
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        log_error("%s: cannot start the thread", name);
        goto out;
    }
    w->running = 1;
    rc = 0;
out:
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void worker_stop(Worker *w)
{
    pthread_mutex_lock(&w->lock);
    if (!w->running) {
        pthread_mutex_unlock(&w->lock);
        return;
    }
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_lock(&w->lock);
    w->running = 0;
    pthread_mutex_unlock(&w->lock);
}
