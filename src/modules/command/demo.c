/* modules/command — demo data of the command workspace (see command.h): for the first two
 * open incidents of the demo county, the best matching plan activated at the incident's
 * level, three instructions (one done, one signed, one escalated), two team dispatches, field
 * reports and notifications to the demo team member and information officer (one read). */
#include "modules/command/command.h"

#include "core/clock.h"
#include "flow/scheduler.h"
#include "modules/plans/plans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int command_demo(Tx *tx, Error *err);

static int call(Tx *tx, int (*fn)(Tx *, const char *, json_t *, json_t **, Error *),
                const char *key, const char *json, json_int_t *id, Error *err)
{
    json_t *in = json_loads(json, 0, NULL), *out = NULL;
    int rc = fn(tx, key, in, &out, err);
    if (rc == 0 && id)
        *id = json_integer_value(json_object_get(out, "id"));
    json_decref(in);
    json_decref(out);
    return rc;
}

static int act(Tx *tx, int (*fn)(Tx *, const char *, const char *, json_t *, json_t **, Error *),
               json_int_t id, const char *action, const char *json, Error *err)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_t *in = json ? json_loads(json, 0, NULL) : NULL, *out = NULL;
    int rc = fn(tx, key, action, in, &out, err);
    json_decref(in);
    json_decref(out);
    return rc;
}

/* Activates the best plan listing the incident's level; no plan is not an error. */
static int activate(Tx *tx, const char *key, const char *event_type, const char *level,
                    const char *division, Error *err)
{
    json_t *m = NULL;
    Error e2 = ERROR_INIT;
    if (!event_type || !level ||
        plans_match(tx->conn, tx->arena, tx->actor, event_type, level, division, 20, &m, &e2) < 0) {
        error_clear(&e2);
        return 0;
    }
    size_t i;
    json_t *p;
    json_int_t plan = 0;
    json_array_foreach(json_object_get(m, "items"), i, p)
    {
        if (!plan && json_is_true(json_object_get(json_object_get(p, "match"), "level")) &&
            json_array_size(json_object_get(p, "steps")) > 0)
            plan = json_integer_value(json_object_get(p, "id"));
    }
    json_decref(m);
    if (!plan)
        return 0;
    char body[96];
    snprintf(body, sizeof body, "{\"plan_id\":%lld,\"response_level\":\"%s\"}", (long long)plan,
             level);
    return call(tx, command_activate_plan, key, body, NULL, err);
}

static json_int_t first_int(Tx *tx, const char *sql, int offset, Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(offset)};
    if (store_query(tx->conn, tx->arena, sql, p, 1, &rows, err) < 0 || rows.nrows == 0)
        return 0;
    return (json_int_t)strtoll(db_cell(&rows, 0, 0), NULL, 10);
}

static int one_incident(Tx *tx, const char *key, const char *event_type, const char *level,
                        const char *division, int n, Error *err)
{
    char body[512];
    if (activate(tx, key, event_type, level, division, err) < 0)
        return -1;
    /* instructions: done, signed, escalated */
    json_int_t org[3];
    for (int i = 0; i < 3; i++) {
        org[i] = first_int(tx,
                           "SELECT id FROM orgs WHERE division_code LIKE '620390%' ORDER BY id "
                           "LIMIT 1 OFFSET $1",
                           n * 3 + i, err);
        if (!org[i])
            return 0;
    }
    static const char *const texts[] = {"立即组织力量开展现场搜救，划定警戒区域",
                                        "核实周边群众疏散情况，30分钟内报送人数",
                                        "调集监测设备，每小时报告一次现场数据"};
    json_int_t ins[3];
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof body,
                 "{\"to_org_id\":%lld,\"content\":\"%s\",\"sign_within_minutes\":%d}",
                 (long long)org[i], texts[i], i == 2 ? 5 : 10);
        if (call(tx, command_issue_instruction, key, body, &ins[i], err) < 0)
            return -1;
    }
    if (act(tx, command_instruction_act, ins[0], "sign", NULL, err) < 0 ||
        act(tx, command_instruction_act, ins[0], "execute", NULL, err) < 0 ||
        act(tx, command_instruction_act, ins[0], "feedback",
            "{\"feedback\":\"已完成搜救，警戒区已设置\"}", err) < 0 ||
        act(tx, command_instruction_act, ins[0], "complete", NULL, err) < 0 ||
        act(tx, command_instruction_act, ins[1], "sign", NULL, err) < 0)
        return -1;
    char ikey[64];
    snprintf(ikey, sizeof ikey, "%lld", (long long)ins[2]);
    json_t *payload = json_pack("{s:s}", "key", ikey);
    int rc = command_escalate_job(tx, NULL, payload, err);
    json_decref(payload);
    snprintf(ikey, sizeof ikey, "instructions:%lld:escalate", (long long)ins[2]);
    if (rc < 0 || scheduler_cancel(tx, ikey, err) < 0)
        return -1;
    /* two team dispatches: one on the way, one arrived */
    for (int i = 0; i < 2; i++) {
        json_int_t team = first_int(tx,
                                    "SELECT id FROM teams WHERE division_code LIKE '620390%' AND "
                                    "readiness <> 'deployed' ORDER BY id LIMIT 1 OFFSET $1",
                                    0, err);
        if (!team)
            break;
        json_int_t d;
        snprintf(body, sizeof body, "{\"kind\":\"team\",\"ref_id\":%lld}", (long long)team);
        if (call(tx, command_dispatch, key, body, &d, err) < 0 ||
            act(tx, command_dispatch_act, d, "depart", NULL, err) < 0 ||
            (i == 1 && act(tx, command_dispatch_act, d, "arrive", NULL, err) < 0))
            return -1;
    }
    /* field reports */
    if (call(tx, command_field_report, key, "{\"text\":\"先期到达人员报告：现场明火已得到控制\"}",
             NULL, err) < 0 ||
        call(tx, command_field_report, key,
             "{\"text\":\"周边道路已实施交通管制，群众已疏散至安置点\"}", NULL, err) < 0)
        return -1;
    /* notifications to the demo team member and information officer, one read */
    json_int_t u1 =
        first_int(tx, "SELECT id FROM users WHERE username = 'team' LIMIT 1 OFFSET $1", 0, err);
    json_int_t u2 =
        first_int(tx, "SELECT id FROM users WHERE username = 'info' LIMIT 1 OFFSET $1", 0, err);
    if (u1 && u2) {
        snprintf(body, sizeof body,
                 "{\"user_ids\":[%lld,%lld],\"message\":\"请立即到现场指挥部报到，接受任务分配\"}",
                 (long long)u1, (long long)u2);
        json_t *in = json_loads(body, 0, NULL), *out = NULL;
        rc = command_notify(tx, key, in, &out, err);
        json_decref(in);
        if (rc == 0) {
            char nkey[24], now[32];
            clock_format_iso(clock_now(), now, sizeof now);
            snprintf(nkey, sizeof nkey, "%lld",
                     (long long)json_integer_value(
                         json_object_get(json_array_get(json_object_get(out, "items"), 0), "id")));
            json_t *v = json_pack("{s:s}", "read_at", now);
            rc = entity_update_internal(tx, &notifications_entity, nkey, v, err);
            json_decref(v);
        }
        json_decref(out);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int command_demo(Tx *tx, Error *err)
{
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT id, event_type, COALESCE(response_level, suggested_response_level),"
                    " division_code FROM incidents WHERE status <> 'closed' AND division_code LIKE"
                    " '620390%' ORDER BY CASE WHEN status = 'responding' THEN 0 ELSE 1 END, id"
                    " LIMIT 2",
                    NULL, 0, &rows, err) < 0)
        return -1;
    for (int i = 0; i < rows.nrows; i++)
        if (one_incident(tx, db_cell(&rows, i, 0), db_cell(&rows, i, 1), db_cell(&rows, i, 2),
                         db_cell(&rows, i, 3), i, err) < 0)
            return -1;
    return 0;
}
