/* modules/tips — public tips (举报线索, SPEC C1; 003 四(一)4(7)): registered and numbered,
 * handed to the responsible unit (交办) or transferred to another one (转办), handled, answered
 * back to the tipster, and rewarded when true.
 *
 * Owns the table `tips` (an entity of the model engine) and `tip_counters` (the per-day
 * sequence of tip numbers). A tip has a number JB<YYYYMMDD>-<NNNN> (the local Asia/Shanghai
 * date it was received, then the day's sequence), source (12345 热线, 举报电话, 网站, 来访,
 * 信件, 微信/APP, 上级转交, 其他), tipster name and phone (or anonymous), content, address,
 * optional lon/lat, division_code (its jurisdiction), event type text, and the state of its
 * workflow with what each step recorded.
 *
 * Workflow (flow/workflow.h, one transaction per step with history, audit and event):
 *   received 已登记 --assign 交办 {org_id, note?, due_date?}--> assigned 已交办
 *   received/assigned/transferred --transfer 转办 {org_id, note?}--> transferred 已转办
 *   transferred --assign--> assigned
 *   assigned/transferred --handle 办结 {result, verified}--> handled 已办结
 *   handled --answer 答复 {answer, channel, answered_at?}--> answered 已答复
 *   handled/answered --reward 奖励 {reward_amount, note?}--> (same state); only when verified
 * assign, transfer, answer: administrators and duty officers; handle: also inspectors;
 * reward: administrators and commanders. A 交办 goes to an organisation inside the actor's
 * jurisdiction and leaves the tip where it is; a 转办 goes to any organisation and moves the
 * tip's division_code to the organisation's (the previous one is kept in transferred_from),
 * so the first jurisdiction no longer sees it. Unknown or mistyped action input is 422.
 *
 * Promises:
 *   - Numbers are unique and gap-free per day, also under concurrent creates on both
 *     backends: the day's counter row is incremented inside the creating transaction
 *     (INSERT … ON CONFLICT DO UPDATE … RETURNING), which serialises creators of one day; a
 *     unique index backs it.
 *   - tipster_name and tipster_phone are FIELD_NOCSV (never in CSV exports) and are shown
 *     only to staff (administrators, duty officers, commanders, inspectors): other readers
 *     get the tip without them. An anonymous tip carries neither (422 otherwise).
 *   - division_code is fixed at creation; only a 转办 moves it.
 *
 * Routes: GET/POST /api/v1/tips, GET /api/v1/tips/export.csv, POST /api/v1/tips/import.csv,
 * GET/PATCH /api/v1/tips/:id (GET adds "actions": the steps open to the caller, and
 * "history": the workflow steps), POST /api/v1/tips/:id/{assign,transfer,handle,answer,
 * reward} (answer the tip). Reads: staff, viewers and information officers; create: duty
 * officers, administrators, inspectors and information officers; PATCH: administrators and
 * duty officers. Tips are never deleted.
 *
 * Returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_TIPS_H
#define YJ_MODULES_TIPS_H

#include "flow/tx.h"
#include "flow/workflow.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module tips_module;
extern const Entity tips_entity;
extern const Workflow tips_flow;

/* The next number for a tip received at `received_at` (Unix seconds): "JB20261123-0001";
 * takes the day's counter inside tx. out >= 32 bytes. */
int tips_next_number(Tx *tx, int64_t received_at, char *out, size_t n, Error *err);

/* Runs workflow action `action` on tip `key` with input (may be NULL) inside tx, recording
 * what the step carries (organisation, result, answer, reward) on the tip; *out (may be
 * NULL) receives the tip afterwards. Errors as workflow_apply, plus 422 for bad input. */
int tips_act(Tx *tx, const char *key, const char *action, json_t *input, json_t **out, Error *err);

#endif
