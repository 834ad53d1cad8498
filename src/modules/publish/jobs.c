/* modules/publish/jobs — the background work of publication.
 *
 *   outbox "publish.send"        {warning_id, kind, ids, due, at}: writes the batch's target
 *                                rows once, then sends them; {warning_id, from, to}: sends the
 *                                queued targets of that id range (fanout.c); returns -1
 *                                while a channel asks for a retry, so the outbox retries the
 *                                message with its backoff (recorded sends are skipped).
 *   outbox "publish.broadcast"   {warning_id, channel, area}: the 应急广播 of one target area on
 *                                one broadcast channel, once (fanout.c: pub_send_broadcast).
 *   outbox "publish.cancel"      {warning_id, from, to}: the cancellation notice (【解除】) to
 *                                the targets of that range the warning reached, once each.
 *   outbox "monitoring.publish"  the hand-off of a monitoring warning (monitoring/warnings.c):
 *                                one prefilled draft per message id (outbox_seen), around the
 *                                monitoring point (a 3 km circle and the point's division);
 *                                never issued automatically.
 *   scheduler "publish.sweep"    the 叫应 sweep (escalate.c) every 30 s, after 1 s while it
 *                                finds full chunks. */
#include "modules/publish/publish_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"
#include "modules/monitoring/monitoring.h"

#include <stdio.h>
#include <string.h>

#define MONITOR_RADIUS_M 3000.0

static Store *job_store;

static int send_handler(StoreConn *conn, const char *id, const char *topic, json_t *p, Error *err)
{
    (void)conn;
    (void)topic;
    return pub_send_batch(job_store, id, p, err);
}

static int broadcast_handler(StoreConn *conn, const char *id, const char *topic, json_t *p,
                             Error *err)
{
    (void)conn;
    (void)id;
    (void)topic;
    return pub_send_broadcast(job_store, p, err);
}

static int cancel_handler(StoreConn *conn, const char *id, const char *topic, json_t *p, Error *err)
{
    (void)conn;
    (void)id;
    (void)topic;
    return pub_send_cancel(job_store, p, err);
}

/* ---- the monitoring hand-off --------------------------------------------------------------- */

typedef struct EventMap {
    const char *sensor_type, *event, *code, *category;
} EventMap;

static const EventMap events_of[] = {
    {"rainfall", "暴雨", "11B03", "Met"},
    {"water_level", "洪水", "11A01", "Met"},
    {"gnss_displacement", "滑坡", "11D01", "Geo"},
    {"phreatic_line", "尾矿库险情", "12B04", "Safety"},
    {"beach_length", "尾矿库险情", "12B04", "Safety"},
    {"dam_displacement", "尾矿库险情", "12B04", "Safety"},
    {"combustible_gas", "危险化学品泄漏", "12D02", "CBRNE"},
    {"toxic_gas", "危险化学品泄漏", "12D02", "CBRNE"},
    {"temperature", "危险化学品火灾", "12D03", "Fire"},
    {"smoke", "危险化学品火灾", "12D03", "Fire"},
    {NULL, "其他自然灾害", "11Y00", "Other"},
};

int pub_monitoring_draft(Tx *tx, const char *msg_id, json_t *p, Error *err)
{
    int fresh = outbox_seen(tx->conn, "publish.monitoring", msg_id, err);
    if (fresh <= 0)
        return fresh;
    const char *type = pub_json_str(p, "sensor_type"), *level = pub_json_str(p, "level");
    const char *div = pub_json_str(p, "division_code");
    const EventMap *m = events_of;
    while (m->sensor_type && (!type || strcmp(m->sensor_type, type) != 0))
        m++;
    if (pub_level_of(level) == CAP_LEVEL_NONE || !div)
        return error_set(err, 422, "validation_failed", "监测预警移交消息不完整",
                         "the monitoring hand-off lacks a level or division");
    char pkey[24];
    snprintf(pkey, sizeof pkey, "%lld", (long long)pub_json_int(p, "point_id"));
    json_t *point = NULL;
    Error e2 = ERROR_INIT;
    if (entity_get(tx->conn, &monitor_points_entity, &actor_system, pkey, &point, &e2) < 0)
        point = NULL;
    error_clear(&e2);
    const char *pname = point ? pub_json_str(point, "name") : NULL;
    if (!pname)
        pname = "监测点";
    json_t *w = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "level", level, "event",
        m->event, "event_code", m->code, "category", m->category, "urgency", "Immediate",
        "certainty", "Observed", "headline",
        arena_printf(tx->arena, "%s%s预警", pname, pub_level_zh(level)), "description",
        pub_json_str(p, "message") ? pub_json_str(p, "message") : pname, "area_desc",
        arena_printf(tx->arena, "%s周边", pname), "division_code", div, "target_divisions", div);
    const char *advice = pub_json_str(p, "advice");
    if (advice && *advice)
        json_object_set_new(w, "instruction", json_string(advice));
    if (point && json_is_number(json_object_get(point, "lon")))
        json_object_set_new(w, "circles",
                            json_pack("[{s:O, s:O, s:f}]", "lon", json_object_get(point, "lon"),
                                      "lat", json_object_get(point, "lat"), "radius_m",
                                      MONITOR_RADIUS_M));
    json_decref(point);
    json_t *out = NULL;
    int rc = entity_create(tx, &publish_warnings_entity, w, &out, err);
    json_decref(w);
    if (rc == 0) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)pub_json_int(out, "id"));
        json_t *set = json_pack("{s:I}", "source_monitor_warning_id",
                                (json_int_t)pub_json_int(p, "warning_id"));
        rc = entity_update_internal(tx, &publish_warnings_entity, key, set, err);
        json_decref(set);
    }
    json_decref(out);
    return rc;
}

static int monitoring_handler(StoreConn *conn, const char *id, const char *topic, json_t *p,
                              Error *err)
{
    (void)topic;
    Arena arena = ARENA_INIT;
    Tx tx;
    int rc = tx_begin(&tx, conn, &actor_system, &arena, err);
    if (rc == 0) {
        rc = pub_monitoring_draft(&tx, id, p, err);
        if (rc >= 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    arena_free(&arena);
    return rc < 0 ? -1 : 0;
}

/* ---- the sweep ----------------------------------------------------------------------------- */

static int sweep_job(Tx *tx, const char *key, json_t *payload, Error *err)
{
    (void)key;
    (void)payload;
    int n = pub_sweep(tx, clock_now(), err);
    if (n < 0)
        return -1;
    return scheduler_set(tx, "publish.sweep", "publish.sweep",
                         clock_now() + (n >= PUB_SWEEP_MAX ? 1 : PUB_SWEEP_EVERY_S), NULL, err);
}

int pub_jobs_schedule(Tx *tx, Error *err)
{
    return scheduler_set(tx, "publish.sweep", "publish.sweep", clock_now() + PUB_SWEEP_EVERY_S,
                         NULL, err);
}

static int schedule_tx(Tx *tx, void *ctx, Error *err)
{
    (void)ctx;
    return pub_jobs_schedule(tx, err);
}

void pub_jobs_start(Store *store)
{
    job_store = store;
    outbox_register("publish.send", send_handler);
    outbox_register("publish.broadcast", broadcast_handler);
    outbox_register("publish.cancel", cancel_handler);
    outbox_register("monitoring.publish", monitoring_handler);
    scheduler_register("publish.sweep", sweep_job);
    tx_run_system(store, schedule_tx, NULL, "publish: scheduling the sweep");
}
