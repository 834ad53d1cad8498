#include "flow/events.h"
#include "core/arena.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUB_QUEUE 256

struct EventSub {
    EventSub *next, *prev;
    ChangeEvent ring[SUB_QUEUE];
    size_t head, count;
    int dropped;
    pthread_cond_t ready;
};

static pthread_mutex_t hub_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hub_published = PTHREAD_COND_INITIALIZER;
static EventSub *subs;
static uint64_t next_seq = 1;

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

void events_publish(const char *entity, const char *key, const char *action,
                    const char *division_code)
{
    ChangeEvent ev;
    copy_str(ev.entity, sizeof ev.entity, entity);
    copy_str(ev.key, sizeof ev.key, key);
    copy_str(ev.action, sizeof ev.action, action);
    copy_str(ev.division, sizeof ev.division, division_code);
    pthread_mutex_lock(&hub_lock);
    ev.seq = next_seq++;
    for (EventSub *s = subs; s; s = s->next) {
        if (s->count == SUB_QUEUE) { /* drop the oldest, tell the client to resync */
            s->head = (s->head + 1) % SUB_QUEUE;
            s->count--;
            s->dropped = 1;
        }
        s->ring[(s->head + s->count) % SUB_QUEUE] = ev;
        s->count++;
        pthread_cond_signal(&s->ready);
    }
    pthread_cond_broadcast(&hub_published);
    pthread_mutex_unlock(&hub_lock);
}

EventSub *events_subscribe(void)
{
    EventSub *s = xcalloc(1, sizeof *s);
    pthread_cond_init(&s->ready, NULL);
    pthread_mutex_lock(&hub_lock);
    s->next = subs;
    if (subs)
        subs->prev = s;
    subs = s;
    pthread_mutex_unlock(&hub_lock);
    return s;
}

void events_unsubscribe(EventSub *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&hub_lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&hub_lock);
    pthread_cond_destroy(&s->ready);
    free(s);
}

size_t events_poll(EventSub *s, ChangeEvent *out, size_t max, int *resync)
{
    pthread_mutex_lock(&hub_lock);
    size_t n = 0;
    while (n < max && s->count) {
        out[n++] = s->ring[s->head];
        s->head = (s->head + 1) % SUB_QUEUE;
        s->count--;
    }
    if (resync)
        *resync = s->dropped;
    s->dropped = 0;
    pthread_mutex_unlock(&hub_lock);
    return n;
}

static struct timespec deadline_in(int timeout_ms);

int events_wait(EventSub *s, int timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&hub_lock);
    int rc = 0;
    while (s->count == 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->ready, &hub_lock, &until);
    int pending = s->count > 0 || s->dropped;
    pthread_mutex_unlock(&hub_lock);
    return pending;
}

static struct timespec deadline_in(int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

uint64_t events_wait_published(uint64_t seen, int timeout_ms)
{
    struct timespec until = deadline_in(timeout_ms);
    pthread_mutex_lock(&hub_lock);
    int rc = 0;
    while (next_seq - 1 <= seen && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&hub_published, &hub_lock, &until);
    uint64_t n = next_seq - 1;
    pthread_mutex_unlock(&hub_lock);
    return n;
}

uint64_t events_published_total(void)
{
    pthread_mutex_lock(&hub_lock);
    uint64_t n = next_seq - 1;
    pthread_mutex_unlock(&hub_lock);
    return n;
}
