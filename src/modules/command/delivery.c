/* modules/command/delivery — the in-app channel of the "notify" outbox topic (站内通知送达).
 *
 * Every notification and escalation is written to the outbox with the change that causes
 * it; this consumer delivers it inside the platform, at least once and deduplicated by the
 * message id (outbox_seen, consumer "notify.inapp"):
 *   - incident_notification: marks the notification row delivered and sends a change event,
 *     so the recipient's bell updates live;
 *   - instruction_escalated (to the superior): creates a notification for every active
 *     administrator and commander whose jurisdiction is the division above the incident's
 *     (or, when there is none, those of the incident's own division).
 * SMS or app-push channels register further consumers of the same topic. */
#include "modules/command/command.h"

#include "core/clock.h"
#include "core/log.h"
#include "flow/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Delivery {
    const char *id;
    json_t *payload;
} Delivery;

static int mark_delivered(Tx *tx, json_t *payload, Error *err)
{
    json_int_t nid = json_integer_value(json_object_get(payload, "notification_id"));
    char key[24], now[32];
    snprintf(key, sizeof key, "%lld", (long long)nid);
    clock_format_iso(clock_now(), now, sizeof now);
    json_t *v = json_pack("{s:s}", "delivered_at", now);
    int rc = entity_update_internal(tx, &notifications_entity, key, v, err);
    json_decref(v);
    if (rc < 0 && err->status == 404) { /* the notification is gone: nothing to deliver */
        error_clear(err);
        return 0;
    }
    return rc;
}

/* Active administrators and commanders whose jurisdiction is exactly division. */
static int superiors(Tx *tx, const char *division, DbRows *rows, Error *err)
{
    DbValue p[] = {db_text(division)};
    return store_query(tx->conn, tx->arena,
                       "SELECT id, display_name FROM users WHERE active = 1 AND division_code = $1"
                       " AND role IN ('admin', 'commander') ORDER BY id",
                       p, 1, rows, err);
}

static int notify_superiors(Tx *tx, json_t *payload, Error *err)
{
    const char *up = json_string_value(json_object_get(payload, "division_code"));
    json_int_t incident_id = json_integer_value(json_object_get(payload, "incident_id"));
    DbValue p[] = {db_int(incident_id)};
    DbRows inc, rows = {0};
    if (store_query(tx->conn, tx->arena, "SELECT division_code FROM incidents WHERE id = $1", p, 1,
                    &inc, err) < 0)
        return -1;
    const char *div = inc.nrows ? db_cell(&inc, 0, 0) : NULL;
    if (!div)
        return 0; /* the incident is gone */
    if (up && *up && superiors(tx, up, &rows, err) < 0)
        return -1;
    /* no one above the incident's division on this platform: its own commanders */
    if (rows.nrows == 0 && superiors(tx, div, &rows, err) < 0)
        return -1;
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    for (int i = 0; i < rows.nrows; i++) {
        json_t *rec =
            json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "incident_id", incident_id,
                      "division_code", div, "user_id", (json_int_t)atoll(db_cell(&rows, i, 0)),
                      "user_name", db_cell(&rows, i, 1) ? db_cell(&rows, i, 1) : "", "message",
                      json_string_value(json_object_get(payload, "message")), "sent_by_name",
                      "系统（超时升级）", "sent_at", now);
        json_t *row = NULL;
        int rc = entity_create(tx, &notifications_entity, rec, &row, err);
        json_decref(rec);
        json_decref(row);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int deliver_tx(Tx *tx, void *ctx, Error *err)
{
    Delivery *d = ctx;
    int fresh = outbox_seen(tx->conn, "notify.inapp", d->id, err);
    if (fresh <= 0)
        return fresh; /* seen before: delivered already */
    const char *kind = json_string_value(json_object_get(d->payload, "kind"));
    if (kind && strcmp(kind, "incident_notification") == 0)
        return mark_delivered(tx, d->payload, err);
    if (kind && strcmp(kind, "instruction_escalated") == 0)
        return notify_superiors(tx, d->payload, err);
    log_warn("notify: message %s of unknown kind %s left to other channels", d->id,
             kind ? kind : "(none)");
    return 0;
}

int command_deliver_inapp(StoreConn *conn, const char *id, const char *topic, json_t *payload,
                          Error *err)
{
    (void)topic;
    Arena arena = ARENA_INIT;
    Delivery d = {id, payload};
    Tx tx;
    int rc = tx_begin(&tx, conn, &actor_system, &arena, err);
    if (rc == 0) {
        rc = deliver_tx(&tx, &d, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    arena_free(&arena);
    return rc;
}
