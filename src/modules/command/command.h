/* modules/command — the command workspace of an incident (指挥调度, SPEC C2; issue 4 items 6
 * and 8): plan activation with response tasks, instructions (指令) with sign-off escalation,
 * dispatch (调度) of teams, experts and supplies with distance and ETA, field reports
 * (现场反馈), notifications with read receipts, and the one-call workspace read.
 *
 * Owns the tables (each an Entity of the model engine, so every write is audited and sends
 * a change event to SSE subscribers; jurisdiction by `division_code`, always the incident's):
 *   response_tasks  one row per step of an activated plan at the chosen level: incident_id,
 *                   plan_id, plan_title, level, step, responsible_org, action, state
 *                   (pending 待执行 / in_progress 执行中 / done 已完成);
 *   instructions    指令: incident_id, to_org_id | to_user_id (+ to_name), content,
 *                   sign_within_minutes (default 10), due_at, state (workflow below),
 *                   escalated (+ escalated_at), issued_by/_name/_at, signed_at, executing_at,
 *                   feedback, feedback_at, done_at;
 *   dispatches      调度: incident_id, kind (team / expert / supply), ref_id (team id, expert id,
 *                   or for supply the id of the warehouse the allocation leaves from, with
 *                   ref_note holding the allocation reference), ref_name, from_lon/lat (the
 *                   resource's), dest_lon/lat (default the incident's), speed_kmh (default
 *                   YINGJI_DISPATCH_SPEED_KMH or 40), distance_km (great-circle, straight
 *                   line), eta_minutes (ceil(distance / speed × 60)), state dispatched 已派出 →
 *                   en_route 途中 → arrived 到达 → returned 返回, prev_readiness;
 *   field_reports   现场反馈: incident_id, text, lon, lat, reporter_id/_name, reported_at —
 *                   photos are uploaded with POST /api/v1/incidents/:id/attachments (the
 *                   incidents module's route), not here;
 *   notifications   incident_id, user_id, message, sent_by_name, sent_at, read_at,
 *                   delivered_at (set by the in-app channel).
 *
 * Workflows (flow/workflow.h; each step one Tx with history, audit and a timeline row):
 *   instructions: issued 下达 --sign--> signed 签收 --execute--> executing 执行 --feedback
 *     {feedback}--> feedback 反馈 --complete--> done 完成. The issuer side (admin, duty officer,
 *     commander) issues and completes; the recipient side is kept simple: every logged-in
 *     user inside the incident's jurisdiction except viewers and enterprise users signs,
 *     executes and feeds back (the addressee is recorded, not enforced).
 *     Escalation: issuing sets a scheduler job "instructions.escalate" (key
 *     "instructions:<id>:escalate") at issued_at + sign_within_minutes; signing cancels it.
 *     When it fires, the incident is open and the instruction is still issued, it sets
 *     escalated = true and escalated_at (change event action "escalate"), appends a timeline
 *     row (kind "instruction_escalated") and writes one
 *     outbox message (topic "notify", id "notify:instruction:<id>:escalated", payload {kind:
 *     "instruction_escalated", to: "superior", issuer_id, issuer_name, division_code: the
 *     parent division of the incident's (the issuer's superior level), instruction_id,
 *     incident_id, message}); the "notify" consumer resolves the superior's people.
 *   dispatches: dispatched --depart--> en_route --arrive--> arrived --return--> returned (return
 *     also from dispatched and en_route); admin, duty officer, commander and team members.
 *     Dispatching a team refuses a team already deployed (409 team_deployed), sets its
 *     readiness to deployed (teams entity, entity_update_internal) in the same Tx; return
 *     restores the readiness it had before.
 *
 * Routes (one table):
 *   POST /api/v1/incidents/:id/activate-plan {plan_id, response_level}     admin, commander
 *        → 201 {incident_id, plan_id, response_level, tasks: [...]}; the plan must be inside
 *        the jurisdiction (404) and list the level (422); 409 when already activated.
 *   POST /api/v1/response_tasks/:id/{start,finish} {note?}  pending → in_progress → done
 *        (finish also from pending); the recipient side's roles → 200 the task
 *   POST /api/v1/incidents/:id/instructions {to_org_id|to_user_id, content,
 *        sign_within_minutes?, due_at?}                  admin, duty officer, commander → 201
 *   POST /api/v1/instructions/:id/{sign,execute,feedback,complete} {note?} / {feedback}
 *        → 200 the instruction (with "actions")
 *   POST /api/v1/incidents/:id/dispatches {kind, ref_id, ref_note?, dest_lon?, dest_lat?,
 *        speed_kmh?}                                     admin, duty officer, commander → 201
 *   POST /api/v1/dispatches/:id/{depart,arrive,return} {note?}  → 200 the dispatch
 *   POST /api/v1/incidents/:id/field-reports {text, lon?, lat?}  every role but viewer and
 *        enterprise → 201
 *   POST /api/v1/incidents/:id/notify {user_ids: [...], message}  admin, duty officer,
 *        commander → 201 {items: [notification...]}; one outbox message per recipient (topic
 *        "notify", id "notify:incident:<iid>:notification:<nid>"); recipients must be users
 *        inside the caller's jurisdiction (422).
 *   GET  /api/v1/notifications/mine                    the caller's, newest first (≤ 200)
 *        → {items, total, unread}
 *   POST /api/v1/notifications/:id/read {}             the recipient only (others: 404) →
 *        the notification with read_at (kept from the first read).
 *   GET  /api/v1/incidents/:id/workspace (staff and viewers, as the incidents module reads)
 *        → {incident, timeline (latest 200, newest first), tasks, instructions, dispatches
 *        (these three each with "actions", the workflow actions open to the caller),
 *        field_reports, notifications (of the incident), matched_plans (plans_match, top 5)}
 * Every action body refuses unknown fields with 422 before changing anything.
 * Outbox: this module writes "notify" messages and registers their in-app channel
 * (delivery.c, consumer "notify.inapp", deduplicated by message id): a notification is marked
 * delivered; an escalation becomes notifications for the active administrators and
 * commanders of the level above the incident's division (or of its own division when no one
 * sits above it on this platform). SMS or app push would be further consumers.
 *
 * Demo (Module.demo): for the first two open incidents of the demo county (responding first)
 * the best matching plan activated at the incident's level with its tasks, three
 * instructions (done, signed, escalated), two team dispatches (en route, arrived), two field
 * reports, and notifications to the demo users `team` and `info` (one read).
 *
 * Returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_COMMAND_H
#define YJ_MODULES_COMMAND_H

#include "flow/tx.h"
#include "flow/workflow.h"
#include "model/entity.h"
#include "modules/module.h"

#include <jansson.h>

extern const Module command_module;
extern const Entity response_tasks_entity;
extern const Entity instructions_entity;
extern const Entity dispatches_entity;
extern const Entity field_reports_entity;
extern const Entity notifications_entity;
extern const Workflow instructions_flow;
extern const Workflow dispatches_flow;
extern const Workflow response_tasks_flow;

#define COMMAND_DEFAULT_SPEED_KMH 40.0

/* Great-circle distance in km between two WGS-84 points. */
double command_distance_km(double lon1, double lat1, double lon2, double lat2);

/* The operations behind the routes; each runs inside the caller's Tx as tx->actor, with the
 * incident (key `incident_id`) loaded inside the actor's jurisdiction (404 outside). body
 * is borrowed; *out (may be NULL) receives the result shown in the route list above. */
int command_activate_plan(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err);
int command_issue_instruction(Tx *tx, const char *incident_id, json_t *body, json_t **out,
                              Error *err);
/* action: sign | execute | feedback | complete */
int command_instruction_act(Tx *tx, const char *key, const char *action, json_t *body, json_t **out,
                            Error *err);
int command_dispatch(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err);
/* action: start | finish (response tasks) */
int command_task_act(Tx *tx, const char *key, const char *action, json_t *body, json_t **out,
                     Error *err);
/* action: depart | arrive | return */
int command_dispatch_act(Tx *tx, const char *key, const char *action, json_t *body, json_t **out,
                         Error *err);
int command_field_report(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err);
int command_notify(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err);
int command_notification_read(Tx *tx, const char *key, json_t **out, Error *err);
int command_workspace(StoreConn *c, Arena *arena, const Actor *actor, const char *incident_id,
                      json_t **out, Error *err);

/* The escalation job's handler (registered in start; exposed for tests). */
int command_escalate_job(Tx *tx, const char *key, json_t *payload, Error *err);

/* The in-app delivery of the "notify" outbox topic (delivery.c): marks notifications
 * delivered and turns escalations into notifications for the superior level's
 * administrators and commanders. Registered by the module's start hook. */
int command_deliver_inapp(StoreConn *conn, const char *id, const char *topic, json_t *payload,
                          Error *err);

#endif
