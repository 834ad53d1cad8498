/* modules/publish/escalate — the 叫应 sweep.
 *
 * One scheduler job ("publish.sweep", every PUB_SWEEP_EVERY_S seconds, again after 1 s while
 * a run found a full chunk) rather than a job per target: a million targets would be a
 * million scheduler rows written at issue and a million job transactions, where the sweep is
 * a handful of set-based statements over an index on (escalation, due_at).
 *
 * A target needing an answer (a person, not a backup, of an issued warning) with none at its
 * due time (issue + YINGJI_ACK_MINUTES):
 *   escalation none   → its backup (AB岗, publish_people.backup_id, active) becomes a target
 *                       of the warning (kind backup, parent_id = the first such target) and is
 *                       sent to; the target's escalation becomes "backup", due again one
 *                       period later. Without a backup: straight to a visit.
 *   escalation backup → if the backup answered (as a target of this warning): "covered";
 *                       otherwise a visit task (上门提醒, reason no_answer) for the person's
 *                       grid member (publish_people.grid_member_id; none: an unassigned task
 *                       the town follows up) and escalation "visit".
 * An answer at any point stops the chain (answered targets are never selected). */
#include "modules/publish/publish_internal.h"

#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *in_list(const StoreConn *c)
{
    return conn_dialect(c) == DIALECT_POSTGRES
               ? "(SELECT (jsonb_array_elements_text($1::jsonb))::bigint)"
               : "(SELECT value FROM json_each($1))";
}

/* Ids of the due targets at stage `stage` as a JSON array text; *n their count. */
static int due_ids(Tx *tx, const char *stage, const char *now, char **ids, int *n, Error *err)
{
    DbValue p[] = {db_text(stage), db_text(now), db_int(PUB_SWEEP_MAX)};
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT t.id FROM publish_targets t JOIN publish_warnings w ON w.id ="
                    " t.warning_id WHERE t.escalation = $1 AND t.due_at <= $2 AND t.answered_at"
                    " IS NULL AND t.needs_ack = 1 AND t.parent_id IS NULL AND w.state ="
                    " 'issued' ORDER BY t.due_at, t.id LIMIT $3",
                    p, 3, &rows, err) < 0)
        return -1;
    json_t *arr = json_array();
    for (int i = 0; i < rows.nrows; i++)
        json_array_append_new(arr, json_integer(atoll(db_cell(&rows, i, 0))));
    char *s = json_dumps(arr, JSON_COMPACT);
    *ids = arena_strdup(tx->arena, s);
    free(s);
    json_decref(arr);
    *n = rows.nrows;
    return 0;
}

static int exec(Tx *tx, const char *fmt, const char *ids, const char *a, const char *b, Error *err)
{
    const char *sql = arena_printf(tx->arena, fmt, in_list(tx->conn));
    DbValue p[] = {db_text(ids), db_text(a), db_text(b)};
    int np = b ? 3 : a ? 2 : 1;
    return store_exec(tx->conn, sql, p, np, NULL, err);
}

static const char visits_sql[] =
    "INSERT INTO publish_visits (warning_id, target_id, reason, subject_name, visitor_id,"
    " visitor_name, visitor_phone, state, division_code, created_at, updated_at) SELECT"
    " t.warning_id, t.id, 'no_answer', t.name, g.id, g.name, g.phone, 'open', t.division_code,"
    " $2, $2 FROM publish_targets t LEFT JOIN publish_people p ON p.id = t.person_id LEFT JOIN"
    " publish_people g ON g.id = p.grid_member_id WHERE t.id IN %s AND t.escalation = $3";

static int to_visit(Tx *tx, const char *ids, const char *stage, const char *now, Error *err)
{
    if (exec(tx, visits_sql, ids, now, stage, err) < 0)
        return -1;
    return exec(tx,
                "UPDATE publish_targets SET escalation = 'visit', updated_at = $2 WHERE id IN %s"
                " AND escalation = $3",
                ids, now, stage, err);
}

/* Stage 1: none → backup (or visit). */
static int stage_backup(Tx *tx, const char *now, const char *due, char **out, int *count,
                        Error *err)
{
    char *ids;
    int n;
    if (due_ids(tx, "none", now, &ids, &n, err) < 0)
        return -1;
    *count = n;
    *out = ids;
    if (!n)
        return 0;
    /* one backup target per (warning, backup person) not targeted yet */
    if (exec(tx,
             "INSERT INTO publish_targets (warning_id, kind, person_id, parent_id, name, phone,"
             " role, division_code, needs_ack, state, escalation, due_at, help, created_at,"
             " updated_at) SELECT t.warning_id, 'backup', b.id, MIN(t.id), b.name, b.phone,"
             " b.role, b.division_code, 1, 'queued', 'none', $3, 0, $2, $2 FROM publish_targets t"
             " JOIN publish_people p ON p.id = t.person_id JOIN publish_people b ON b.id ="
             " p.backup_id AND b.active = 1 WHERE t.id IN %s AND NOT EXISTS (SELECT 1 FROM"
             " publish_targets x WHERE x.warning_id = t.warning_id AND x.person_id = b.id) GROUP"
             " BY t.warning_id, b.id, b.name, b.phone, b.role, b.division_code",
             ids, now, due, err) < 0)
        return -1;
    /* the new backup targets go out like any other */
    const char *sql = arena_printf(tx->arena,
                                   "SELECT warning_id, MIN(id), MAX(id) FROM publish_targets WHERE"
                                   " kind = 'backup' AND state = 'queued' AND parent_id IN %s"
                                   " GROUP BY warning_id",
                                   in_list(tx->conn));
    DbValue p[] = {db_text(ids)};
    DbRows rows;
    if (store_query(tx->conn, tx->arena, sql, p, 1, &rows, err) < 0)
        return -1;
    for (int i = 0; i < rows.nrows; i++)
        if (pub_enqueue(tx, atoll(db_cell(&rows, i, 0)), atoll(db_cell(&rows, i, 1)),
                        atoll(db_cell(&rows, i, 2)), err) < 0)
            return -1;
    /* targets whose backup is now a target of the warning wait one more period */
    if (exec(tx,
             "UPDATE publish_targets SET escalation = 'backup', due_at = $3, updated_at = $2 WHERE"
             " id IN %s AND EXISTS (SELECT 1 FROM publish_people p JOIN publish_targets x ON"
             " x.person_id = p.backup_id AND x.warning_id = publish_targets.warning_id WHERE p.id"
             " = publish_targets.person_id)",
             ids, now, due, err) < 0)
        return -1;
    return to_visit(tx, ids, "none", now, err); /* the rest have no backup */
}

/* Stage 2: backup → covered (the backup answered) or visit. */
static int stage_visit(Tx *tx, const char *now, char **out, int *count, Error *err)
{
    char *ids;
    int n;
    if (due_ids(tx, "backup", now, &ids, &n, err) < 0)
        return -1;
    *count = n;
    *out = ids;
    if (!n)
        return 0;
    if (exec(tx,
             "UPDATE publish_targets SET escalation = 'covered', updated_at = $2 WHERE id IN %s"
             " AND EXISTS (SELECT 1 FROM publish_people p JOIN publish_targets x ON x.person_id ="
             " p.backup_id AND x.warning_id = publish_targets.warning_id WHERE p.id ="
             " publish_targets.person_id AND x.answered_at IS NOT NULL)",
             ids, now, NULL, err) < 0)
        return -1;
    return to_visit(tx, ids, "backup", now, err);
}

int pub_sweep(Tx *tx, int64_t now_s, Error *err)
{
    char now[32], due[32];
    clock_format_iso(now_s, now, sizeof now);
    clock_format_iso(now_s + pub_ack_seconds(), due, sizeof due);
    int a = 0, b = 0;
    char *ia = NULL, *ib = NULL;
    /* stage 2 first: a target escalated to its backup in this run waits its full period */
    if (stage_visit(tx, now, &ib, &b, err) < 0 || stage_backup(tx, now, due, &ia, &a, err) < 0)
        return -1;
    for (int k = 0; k < 2; k++) { /* the boards of the warnings touched */
        const char *ids = k ? ia : ib;
        if (!ids || (k ? a : b) == 0)
            continue;
        DbRows rows;
        const char *sql = arena_printf(tx->arena,
                                       "SELECT id, division_code FROM publish_warnings WHERE id IN"
                                       " (SELECT warning_id FROM publish_targets WHERE id IN %s)",
                                       in_list(tx->conn));
        if (store_query(tx->conn, tx->arena, sql, (DbValue[]){db_text(ids)}, 1, &rows, err) < 0)
            return -1;
        for (int i = 0; i < rows.nrows; i++)
            tx_event(tx, "publish_warnings", db_cell(&rows, i, 0), "progress",
                     db_cell(&rows, i, 1));
    }
    return a + b;
}
