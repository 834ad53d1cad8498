/* modules/publish/publish_internal — shared between the files of this module only.
 *
 * entities.c  the tables declared once, their hooks, the workflow table
 * capmap.c    warning row ⇄ CAP message (export, issue, import), the target area (GeoArea)
 * fanout.c    targeting (directory cache, resolve), enqueue, the batch sender, answers
 * escalate.c  the 叫应 sweep: backup (AB岗), visit tasks (上门提醒)
 * progress.c  the progress board and the printable report
 * routes.c    the HTTP handlers and the route table
 * jobs.c      outbox handlers (publish.send, monitoring.publish), the sweep job
 * demo.c      the demo county's directory and one issued warning
 * publish.c   configuration, migrations, the Module */
#ifndef YJ_PUBLISH_INTERNAL_H
#define YJ_PUBLISH_INTERNAL_H

#include "flow/workflow.h"
#include "geo/area.h"
#include "modules/publish/cap.h"
#include "modules/publish/publish.h"

#define PUB_BATCH 1000         /* targets per "publish.send" outbox message */
#define PUB_RECORD_MS 100      /* the sender records its sends every 100 ms, in one transaction */
#define PUB_SWEEP_EVERY_S 30   /* the 叫应 sweep's period */
#define PUB_SWEEP_MAX 5000     /* due targets handled per sweep transaction */
#define PUB_TARGET_MINUTES 30  /* the 30-minute target (000 专栏1.4) */
#define PUB_ROWS_AT_ISSUE 5000 /* up to this many recipients: target rows in the issue tx */
#define PUB_TOKEN_LEN 48       /* answer-link token "<id hex>-<24 hex MAC>" fits */

/* ---- configuration (publish.c) ----------------------------------------------------------- */
const ChannelSet *pub_channels(void);
int64_t pub_ack_seconds(void); /* YINGJI_ACK_MINUTES × 60, default 600 */
const char *pub_public_url(void);
const char *pub_cap_sender(void);
const char *pub_cap_unit(void);
Store *pub_store(void);

/* ---- entities.c -------------------------------------------------------------------------- */
extern const Workflow pub_flow;
/* Level name ("red" …) → CapLevel; CAP_LEVEL_NONE when unknown. */
CapLevel pub_level_of(const char *name);
const char *pub_level_name(CapLevel l);
const char *pub_level_zh(const char *name); /* "红色" … */

/* ---- capmap.c ---------------------------------------------------------------------------- */
/* The target area of a warning row (polygons and circles; division codes are not geometry).
 * *out NULL when the warning has no geometry. */
int pub_area_of(json_t *warning, GeoArea **out, Error *err);
/* Checks the area fields of a record (422 on the field). */
int pub_area_check(json_t *rec, const Actor *actor, Error *err);
/* The CAP message of a warning row (ref: the row it updates or cancels, or NULL). identifier
 * and sent are the row's (or provisional ones for a draft). New alert owned by the caller. */
CapAlert *pub_cap_of(json_t *warning, json_t *ref);
/* A CAP document → a new warning record for entity_create (identifier and division set). */
int pub_cap_import(const char *xml, size_t len, const Actor *actor, json_t **rec, Error *err);

/* ---- fanout.c ---------------------------------------------------------------------------- */
void pub_directory_reset(void);
extern int64_t pub_rows_at_issue; /* PUB_ROWS_AT_ISSUE; tests lower it */
/* Issues key in tx: the workflow step, the CAP identifier and XML, the targets, the visits of
 * special groups and the outbox messages. *targets (may be NULL) gets the count. */
int pub_issue(Tx *tx, const char *key, json_t *input, int64_t *targets, Error *err);
/* Sends the queued targets of a warning with from <= id <= to; 0 when all are recorded,
 * -1 when some must be retried (err) — the outbox handler's body. */
int pub_send_range(Store *store, int64_t warning_id, int64_t from, int64_t to, Error *err);
/* One "publish.send" message: a batch of recipient ids (writes their target rows once, then
 * sends) or a range of target ids {from, to} (sends). The outbox handler's body. */
int pub_send_batch(Store *store, const char *msg_id, json_t *payload, Error *err);
/* Cancels key in tx (the workflow step) and queues the cancellation notice ("publish.cancel"
 * {warning_id, from, to}) to every target the warning reached; pub_send_cancel sends one such
 * range (keys "cancel:<warning>:<target>:<channel>", once each). */
int pub_cancel(Tx *tx, const char *key, json_t *input, Error *err);
int pub_send_cancel(Store *store, json_t *payload, Error *err);
/* One "publish.broadcast" message {warning_id, channel, area}: the 应急广播 of an area, once
 * (its delivery row, key "warn:<warning>:area:<code>:<channel>"). */
int pub_send_broadcast(Store *store, json_t *payload, Error *err);
/* Enqueues the targets of warning with ids in [from, to] in tx (outbox messages per batch). */
int pub_enqueue(Tx *tx, int64_t warning_id, int64_t from, int64_t to, Error *err);
/* Records an answer (idempotent: 1 recorded now, 0 already answered or not found). */
int pub_answer(Tx *tx, int64_t target_id, const char *channel, int help, Error *err);
/* Answer-link token of a target, and back (0, or -1 for a forged or malformed token). */
void pub_token(int64_t target_id, char out[PUB_TOKEN_LEN + 1]);
int pub_token_target(const char *token, int64_t *target_id);
int pub_secret_load(Store *store, Error *err);
/* A change event for a warning's progress, at most one a second per warning. */
void pub_progress_event(Tx *tx, int64_t warning_id, const char *division);

/* ---- escalate.c -------------------------------------------------------------------------- */
/* One sweep at `now`: due targets escalated (backup, then visit); returns how many changed. */
int pub_sweep(Tx *tx, int64_t now, Error *err);

/* ---- progress.c -------------------------------------------------------------------------- */
int pub_progress(StoreConn *c, Arena *a, const Actor *actor, const char *key, json_t **out,
                 Error *err);
int pub_report_html(StoreConn *c, Arena *a, const Actor *actor, const char *key, StrBuf *out,
                    Error *err);

/* ---- routes.c, jobs.c, demo.c ------------------------------------------------------------ */
void pub_register_routes(void);
void pub_jobs_start(Store *store);
int pub_jobs_schedule(Tx *tx, Error *err);
int pub_monitoring_draft(Tx *tx, const char *msg_id, json_t *payload, Error *err);
int pub_demo(Tx *tx, Error *err);

/* helpers */
int64_t pub_json_int(json_t *o, const char *name);
const char *pub_json_str(json_t *o, const char *name);

#endif
