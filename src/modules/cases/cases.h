/* modules/cases — the case library (案例库, SPEC C11): closed incidents and imported accident
 * investigation reports, with cause, lessons (四不放过) and measures, searchable in Chinese.
 *
 * Owns the table `cases`, an Entity of the model engine (list/q/filter/sort/paging, CSV import
 * and export — the way accident reports are loaded — audit, change events, jurisdiction by
 * `division_code`). Fields: title, occurred_at, division_code, event_type (GB/T 35561 five-
 * character code, format checked), grade (extraordinary 特别重大 / major 重大 / larger 较大 /
 * general 一般), deaths, injuries (重伤), direct_loss_wan (直接经济损失，万元), summary (经过),
 * cause (原因), lessons (教训，四不放过), measures (整改措施), evaluation (总结评估) — the six
 * texts are full-text fields (FIELD_FULLTEXT; substring search until the Chinese index serves
 * them) — source (incident 本地事件 / import 导入 / report 调查报告; "report" when not given),
 * source_ref (document number or origin), incident_id (read-only: the closed incident).
 *
 * Promises:
 *   - grade, when not given, is derived from deaths, injuries and direct loss with the
 *     thresholds of 生产安全事故报告和调查处理条例 (特别重大 ≥30 deaths or ≥100 serious
 *     injuries or ≥10000 万元; 重大 ≥10 / ≥50 / ≥5000; 较大 ≥3 / ≥10 / ≥1000; else 一般;
 *     "以上" includes the number, "以下" excludes it) — only when at least one figure is given.
 *   - At most one case per incident (cases_create_from_incident updates the existing one).
 *
 * Routes (one table): the standard entity routes at /api/v1/cases — reads: staff, viewers,
 * information officers; writes: administrators and commanders — and GET /api/v1/cases/related
 * (cases_related), which the plan and incident pages use to link their cases.
 *
 * Demo (Module.demo): about thirty fictional cases of the demo county with causes, lessons and
 * measures, of every grade and most event classes.
 *
 * Returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_CASES_H
#define YJ_MODULES_CASES_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module cases_module;
extern const Entity cases_entity;

/* For the incidents module, at closure (call it inside the closing transaction): makes the
 * closed incident a case, or updates the case already made from it. Reads these members of
 * `incident` (borrowed; absent or null ones are skipped):
 *   id (required, integer), title | name (else "事件 <id>"), occurred_at | reported_at |
 *   received_at | created_at (an ISO-8601 instant; required), division_code (required),
 *   event_type, grade (the case's values, 特别重大/重大/较大/一般, or I–IV), deaths,
 *   serious_injuries | injuries, direct_loss_wan | direct_loss_yuan (÷10000), description |
 *   summary, cause, lessons, measures;
 * `evaluation` (the 总结评估, required non-empty) is stored as the case's evaluation. The case
 * gets source "incident", source_ref "incident:<id>" and incident_id. Runs as tx->actor, so
 * the incident's division must lie inside the actor's jurisdiction (else 403/422 like any
 * write). Returns 0, or -1 with err (422 on missing id, time, division or evaluation);
 * cases_find_by_incident() then gives the case. */
int cases_create_from_incident(Tx *tx, json_t *incident, const char *evaluation, Error *err);

/* The case made from incident `incident_id` as the actor sees it: 0 with *out (new
 * reference), 1 when there is none, -1 on error. */
int cases_find_by_incident(StoreConn *c, const Actor *actor, json_int_t incident_id, json_t **out,
                           Error *err);

/* Cases like an incident or a plan's event type (GET /api/v1/cases/related?event_type=&
 * division=&limit=): cases inside the actor's jurisdiction (and under `division` when given)
 * whose event type shares at least the category (first two characters) with event_type,
 * ranked exact code > same class (first three) > same category, then by grade (特别重大
 * first, no grade last), then newest first, then id. Without an event type (NULL or ""):
 * every case, by grade and time ("match": "any"). limit 1..100 (0 = 10).
 * *out = {"items": [case + "match": "exact|class|category|any"], "total": N}. 422 on a
 * malformed event type or division. */
int cases_related(StoreConn *c, Arena *arena, const Actor *actor, const char *event_type,
                  const char *division, int limit, json_t **out, Error *err);

#endif
