/* modules/duty — 应急值守 (SPEC C1): duty rosters per organisation and day, who is on duty
 * now, and the handover log (交接班) with open items carried from shift to shift.
 *
 * Owns the tables `duty_rosters` (值班表: org_id, date, shift day/night/24h with its local
 * start and end times, 带班领导 leader_user_id / leader_name / leader_phone, 值班员 `officers`
 * — a JSON array of people {user_id?, name, phone?}, so staff without a platform account can
 * be on a roster —, the duty phone) and `duty_handovers` (交接班: roster_id, from and to
 * person, at, summary, open_items [{text, done, carried_from?}]). Both are entities of the
 * model engine (list/q/filter/sort/paging, CSV, audit, events), with jurisdiction by
 * `division_code`, which is always derived: a roster takes its organisation's code, a
 * handover its roster's.
 *
 * Promises:
 *   - A roster's organisation lies inside the writer's jurisdiction (else 422 on org_id);
 *     one roster per organisation, date and shift (409 `duplicate_roster`, also under
 *     concurrency: a unique index backs the check).
 *   - Times are local to Asia/Shanghai (UTC+8, no daylight saving). Shifts default to
 *     day 08:00–18:00, night 18:00–08:00 and 24h 08:00–08:00; an end at or before the start
 *     is on the next day. duty_shift_window() turns a roster into its UTC interval [from, to).
 *   - A person on a roster with a user_id is an active user whose jurisdiction contains the
 *     roster's division or lies inside it; name and phone default to the user's.
 *   - A handover's from-person is on the roster (leader or officer; by user id, else by
 *     name) and, when the organisation has a later roster, its to-person is on that next
 *     roster (422 otherwise). Creating a handover appends every not-done open item of the
 *     organisation's previous handover (latest `at` not after this one) that it does not
 *     already list, with `carried_from` = the handover where the item was first recorded;
 *     `prev_handover_id` and `carried_count` say what was carried. Concurrent handovers of
 *     one organisation are serialised (PostgreSQL advisory lock; SQLite's write lock).
 *   - A roster with handovers is not deleted (409 has_handovers); handovers are a log and
 *     are never deleted.
 *
 * Routes: standard entity routes at /api/v1/duty_rosters and /api/v1/duty_handovers (no
 * DELETE for handovers) — read by staff and viewers, written by administrators and duty
 * officers; GET /api/v1/duty/now?org_id=&at= → {"at", "local_time", "items": [one per roster
 * covering the instant: {org_id, org_name, org_kind, division_code, roster_id, date, shift,
 * shift_label, start_time, end_time, starts_at, ends_at, phone, leader {user_id, name, phone}
 * | null, officers [{user_id, name, phone}]}]} for the organisations inside the jurisdiction
 * (org_id outside it or unknown: 404).
 *
 * Demo: rosters of the county bureau (day and night shifts) and the 12 town offices (24h)
 * for the 7 days around today, handovers with open items for the past shifts.
 *
 * Returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_DUTY_H
#define YJ_MODULES_DUTY_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module duty_module;
extern const Entity duty_rosters_entity;
extern const Entity duty_handovers_entity;

#define DUTY_TZ_OFFSET (8 * 3600) /* Asia/Shanghai */

/* The UTC interval [*from, *to) of a shift on local date "YYYY-MM-DD" from local "HH:MM"
 * start to "HH:MM" end (NULL: the shift's default); 0 or -1 on a malformed value. */
int duty_shift_window(const char *date, const char *shift, const char *start, const char *end,
                      int64_t *from, int64_t *to);
/* Local (Asia/Shanghai) date "YYYY-MM-DD" of instant t; out >= 11 bytes. */
void duty_local_date(int64_t t, char *out, size_t n);

/* Who is on duty at instant `at` in the organisations inside actor's jurisdiction (org_id 0:
 * all; else that one, 404 when unknown or outside). Shape as GET /api/v1/duty/now. */
int duty_now(StoreConn *c, Arena *arena, const Actor *actor, json_int_t org_id, int64_t at,
             json_t **out, Error *err);

#endif
