/* flow/events — in-process hub of committed changes, feeding Server-Sent Events.
 *
 * tx_commit() publishes; every subscriber (one per open SSE connection) gets its own
 * bounded queue, so a slow browser never blocks a writer: when its queue is full the
 * oldest events are dropped and the subscriber is told to reload (a "resync" event).
 * Events carry the record's division code; the SSE layer delivers only those inside the
 * subscriber's jurisdiction. The hub owns every Event; a subscriber receives copies. */
#ifndef YJ_FLOW_EVENTS_H
#define YJ_FLOW_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ChangeEvent {
    uint64_t seq; /* increasing across the process */
    char entity[48];
    char key[64];
    char action[32];
    char division[24]; /* "" = visible everywhere */
} ChangeEvent;

typedef struct EventSub EventSub;

void events_publish(const char *entity, const char *key, const char *action,
                    const char *division_code);
EventSub *events_subscribe(void);
void events_unsubscribe(EventSub *sub);
/* Copies up to max pending events into out; returns the count (0 when none).
 * *resync is set to 1 if events were dropped since the last call. */
size_t events_poll(EventSub *sub, ChangeEvent *out, size_t max, int *resync);
/* Waits up to timeout_ms for an event; returns 1 if events are pending. */
int events_wait(EventSub *sub, int timeout_ms);
uint64_t events_published_total(void);
/* Waits up to timeout_ms until more than `seen` events have been published in all; returns
 * the number published so far (for a dispatcher serving many subscribers). */
uint64_t events_wait_published(uint64_t seen, int timeout_ms);

#endif
