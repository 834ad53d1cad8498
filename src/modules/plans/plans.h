/* modules/plans — the contingency plan registry (预案, SPEC C8): plans at five levels and of
 * five kinds, their structured parts, versions, filing (备案) with review, revision due dates,
 * the share filed and revised on time per area, and matching plans to an incident (智能适配).
 *
 * Owns the tables `plans` (the current version of each plan) and `plan_versions` (the frozen
 * text of each version that was filed or superseded). `plans` is an Entity of the model
 * engine (list/q/filter/sort/paging, CSV import and export, audit, change events, jurisdiction
 * by `division_code`); title, body, responsible units and resources named are full-text
 * fields (FIELD_FULLTEXT; substring search until the Chinese index serves them).
 *
 * A plan: title, level (city 市级 / county 县级 / town 乡级 / village 村级 / enterprise 企事业),
 * kind (overall 总体 / special 专项 / department 部门 / onsite 现场处置方案 / card 应急处置卡),
 * event_types (JSON array of GB/T 35561 five-character codes such as "11B03" 暴雨; class and
 * category headers such as "11A00", "12000" allowed; format checked here, existence is the
 * event-type table's business), response_levels (JSON array of "I".."IV"), division_code,
 * org_id (编制单位), body, response_steps (JSON array of {level, step, responsible_org, action}:
 * level one of I–IV, step a positive integer, the two texts non-empty), responsible_units
 * (JSON array of names), resources_named, version (read-only, 1 on create), revision_due
 * (date; three years after today when not given), state (read-only: draft 草稿, submitted 已报送,
 * filed 已备案, returned 退回) with submitted_at, filed_at and review_comment (read-only).
 *
 * Filing workflow (flow/workflow.h), one transaction per step with history and audit:
 *   draft|returned --submit--> submitted     (admin, commander; input {comment?})
 *   submitted --file--> filed                 (admin; input {comment?}) freezes the version
 *   submitted --return--> returned            (admin; input {comment} required)
 *   filed --revise--> draft                   (admin, commander) see plans_revise()
 * Only a draft or returned plan has its content edited in place; a submitted or filed plan
 * refuses content changes (409 plan_locked) — a filed plan is changed by a revision. Its
 * revision_due may be changed in any state. Action input other than `comment` is refused (422).
 *
 * Promises:
 *   - plans_revise(): the filed version's frozen copy exists in plan_versions (written at
 *     filing, or now), the plan goes back to draft with version + 1, filed_at and
 *     review_comment cleared and the given changes applied (validated like an update); a
 *     frozen version row never changes afterwards.
 *   - plans_match(): see below; plans_stats(): see below. Both are limited to the actor's
 *     jurisdiction like every read.
 *
 * Routes (one table): the standard entity routes at /api/v1/plans (reads: staff, viewers,
 * information officers; writes: administrators and commanders; filing review: administrators),
 * list and get adding `revision_overdue` (and on get `actions`, the workflow actions open to
 * the caller), DELETE only of a draft or returned plan without frozen versions (409
 * plan_has_record), POST /api/v1/plans/:id/{submit,file,return,revise} answering the plan,
 * GET /api/v1/plans/:id/versions → {"current": n, "items": [{version, title, state, filed_at,
 * note, frozen_by, frozen_at}]} newest first, GET /api/v1/plans/:id/versions?version=N → that
 * version's {version, title, state, filed_at, note, frozen_by, frozen_at, plan: {…frozen}},
 * GET /api/v1/plans/stats?division=&level=&kind= (plans_stats), POST /api/v1/plans/match
 * {event_type, response_level | grade, division_code, limit} (plans_match).
 *
 * Demo (Module.demo): about forty plans of the demo county 云岭县 across levels and kinds with
 * steps for I–IV, in every filing state, some with overdue revisions and older versions.
 *
 * Returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_PLANS_H
#define YJ_MODULES_PLANS_H

#include "flow/tx.h"
#include "flow/workflow.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module plans_module;
extern const Entity plans_entity;
extern const Workflow plans_flow;

/* 1 when code is a GB/T 35561 five-character event code: '1', a category digit, a class
 * letter (A–Z without I and O) or '0' for a category header, two digits. */
int plans_event_code_valid(const char *code);

/* Response level "I".."IV" of a response level or an incident grade: "I".."IV", "1".."4",
 * 特别重大/重大/较大/一般 and the English values extraordinary|especially_major|
 * particularly_serious, major|serious, larger|relatively_major|large, general|ordinary.
 * NULL when not recognised. */
const char *plans_response_level_of(const char *level_or_grade);

/* Plans that apply to an incident, best first (POST /api/v1/plans/match):
 *   event_type      required, a five-character code;
 *   response_level  "I".."IV" or a grade (plans_response_level_of), may be NULL;
 *   division_code   the incident's division, may be NULL (no division preference).
 * A plan is a candidate when it lies inside the actor's jurisdiction, its division is the
 * incident's, one of its ancestors or one of its descendants, and one of its event types
 * shares at least the category (first two characters) with the incident's — or it lists no
 * event types / the root 10000 (a general plan, e.g. 总体预案). Ranking keys, in order:
 *   1. event: exact code (3) > same class, first three characters (2) > same category (1) >
 *      general (0);
 *   2. level: the plan lists the response level (1) or not (0);
 *   3. division: the incident's own division, then its parent, grandparent …, then plans of
 *      divisions below the incident's;
 *   4. filed plans before the others; then the higher version; then id.
 * *out = {"items": [{id, title, level, kind, division_code, state, version, event_types,
 *          response_levels, org_id, filed: bool, match: {event: "exact|class|category|
 *          general", event_type: the plan's code that matched or null, level: bool,
 *          division: "same|ancestor|descendant|any", division_distance}, steps: [the plan's
 *          response steps for the level, by step; all when no level]}],
 *         "total": N, "query": {event_type, response_level, division_code}}
 * limit 1..100 (0 = 20). 422 on a malformed event type, level or division code. */
int plans_match(StoreConn *c, Arena *arena, const Actor *actor, const char *event_type,
                const char *response_level, const char *division_code, int limit, json_t **out,
                Error *err);

/* Filing and revision shares per child division of `parent` (NULL/"" = the actor's
 * jurisdiction; for an all-seeing actor the provinces), optionally only plans of one level
 * and/or kind (NULL = all). today: "YYYY-MM-DD" (NULL = today in Asia/Shanghai). A plan is
 * revised on time when its revision_due is today or later. The parent must exist and lie
 * inside the jurisdiction (404); malformed codes are 422.
 * *out = {"target_pct": 100, "today": date,
 *         "total": {code, name, plans, filed, filed_pct, on_time, on_time_pct, overdue,
 *                   meets_target},
 *         "items": [the same per child division, by code]}
 * A row's percentages are null (and meets_target null) without plans; the total counts the
 * plans recorded at the parent's own code too. */
int plans_stats(StoreConn *c, Arena *arena, const Actor *actor, const char *parent,
                const char *level, const char *kind, const char *today, json_t **out, Error *err);

/* Revises filed plan `key` inside tx (as tx->actor, jurisdiction applied): input holds the
 * changed plan fields and an optional "note" (修订说明). 409 when the plan is not filed. *out
 * (may be NULL) receives the plan after the revision. */
int plans_revise(Tx *tx, const char *key, json_t *input, json_t **out, Error *err);

/* Applies a filing action ("submit", "file", "return") to plan `key` inside tx, with its
 * side effects (submitted_at; filed_at, review_comment and the frozen version; the return's
 * comment). input may be NULL; keys other than "comment" are refused (422). */
int plans_filing_action(Tx *tx, const char *key, const char *action, json_t *input, json_t **out,
                        Error *err);

#endif
