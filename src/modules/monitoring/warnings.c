/* modules/monitoring/warnings — one level change of a rule becomes a durable warning change.
 *
 * mon_warning_change() runs inside the ingest (or no-data scan) transaction: the warning row
 * (created on a raise, updated on escalate/de-escalate, closed on close), its event row with
 * the readings that caused it, the audit entry, the SSE change event, the outbox messages to
 * the responsible people ("monitoring.notify") and, at the publication level, the hand-off
 * to warning publication ("monitoring.publish"), and the point's status. The unique index on
 * (rule_id, subject) of active warnings makes a second raise for the same rule and subject
 * fail instead of duplicating a warning. */
#include "modules/monitoring/monitoring_internal.h"

#include "flow/audit.h"
#include "flow/outbox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *action_of(const RuleChange *ch)
{
    if (ch->from == LEVEL_NONE)
        return "raise";
    if (ch->to == LEVEL_NONE)
        return "close";
    return ch->to > ch->from ? "escalate" : "deescalate";
}

/* Built-in advice when no template matches (防控建议兜底). */
static const char *generic_advice(WarnLevel l)
{
    switch (l) {
    case LEVEL_RED:
        return "立即启动应急响应，组织危险区域人员撤离，封控现场，专家会商研判，每小时报告一次。";
    case LEVEL_ORANGE:
        return "加密监测频次，责任人到岗到位，做好人员转移准备，预置救援力量和物资。";
    case LEVEL_YELLOW:
        return "加强巡查和监测，核实现场情况，通知责任人和受威胁群众做好防范。";
    case LEVEL_BLUE:
        return "关注数据变化，检查监测设备，做好值班值守。";
    default:
        return "";
    }
}

static int advice_for(Tx *tx, const RuleInst *ri, const WarnSubject *s, WarnLevel l,
                      const char **out, Error *err)
{
    *out = generic_advice(l);
    if (ri->spec.kind == RULE_NODATA) {
        *out = "检查设备供电、通信和网关，尽快恢复数据上报；恢复前安排人员现场巡查，"
               "不得因数据中断放松值守。";
        return 0;
    }
    if (l == LEVEL_NONE || !s->sensor_type)
        return 0;
    DbValue p[] = {db_text(s->sensor_type), db_text(warn_level_name(l)), db_text(s->division)};
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT advice FROM monitor_advice WHERE sensor_type = $1 AND level = $2"
                    " AND substr($3, 1, length(division_code)) = division_code"
                    " ORDER BY length(division_code) DESC, id LIMIT 1",
                    p, 3, &rows, err) < 0)
        return -1;
    if (rows.nrows)
        *out = db_cell(&rows, 0, 0);
    return 0;
}

static double threshold_of(const RuleInst *ri, WarnLevel l)
{
    return l >= LEVEL_BLUE && l <= LEVEL_RED ? ri->spec.threshold[l] : NAN;
}

static DbValue real_or_null(double v)
{
    return isfinite(v) ? db_real(v) : db_null();
}

static int insert_warning(Tx *tx, RuleInst *ri, const WarnSubject *s, WarnLevel l, double value,
                          const char *at, const char *advice, Error *err)
{
    const char *point_name = s->point_name ? s->point_name : "";
    DbValue p[] = {
        db_int(s->point_id),
        db_text(point_name),
        s->sensor_id ? db_int(s->sensor_id) : db_null(),
        db_text(s->sensor_code),
        db_text(s->sensor_type),
        db_text(s->subject),
        db_int(ri->spec.id),
        db_text(ri->name),
        db_text(rule_kind_name(ri->spec.kind)),
        db_text(warn_level_name(l)),
        real_or_null(value),
        real_or_null(threshold_of(ri, l)),
        db_text(s->unit),
        db_text(advice),
        db_text(at),
        db_text(s->division),
        s->enterprise_id ? db_int(s->enterprise_id) : db_null(),
    };
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "INSERT INTO monitor_warnings (point_id, point_name, sensor_id, sensor_code,"
                    " sensor_type, subject, rule_id, rule_name, rule_kind, level, max_level, state,"
                    " value, threshold, unit, advice, started_at, level_changed_at, division_code,"
                    " enterprise_id, published, created_at, updated_at) VALUES ($1, $2, $3, $4, $5,"
                    " $6, $7, $8, $9, $10, $10, 'active', $11, $12, $13, $14, $15, $15, $16, $17,"
                    " 0, $15, $15) RETURNING id",
                    p, 17, &rows, err) < 0)
        return -1;
    ri->warning_id = atoll(db_cell(&rows, 0, 0));
    if (!point_name[0]) /* a combination: name it from its point */
        return store_exec(tx->conn,
                          "UPDATE monitor_warnings SET point_name = (SELECT name FROM "
                          "monitor_points WHERE id = $2) WHERE id = $1",
                          (DbValue[]){db_int(ri->warning_id), db_int(s->point_id)}, 2, NULL, err);
    return 0;
}

static int update_warning(Tx *tx, const RuleInst *ri, const RuleChange *ch, double value,
                          const char *at, const char *advice, Error *err)
{
    if (ch->to == LEVEL_NONE) {
        DbValue p[] = {db_int(ri->warning_id), db_text(at), real_or_null(value)};
        return store_exec(tx->conn,
                          "UPDATE monitor_warnings SET state = 'closed', closed_at = $2,"
                          " value = $3, updated_at = $2 WHERE id = $1",
                          p, 3, NULL, err);
    }
    DbValue p[] = {db_int(ri->warning_id), db_text(warn_level_name(ch->to)),       db_text(at),
                   real_or_null(value),    real_or_null(threshold_of(ri, ch->to)), db_text(advice),
                   db_int(ch->to)};
    /* max_level only rises: compare by the level's rank */
    return store_exec(tx->conn,
                      "UPDATE monitor_warnings SET level = $2, level_changed_at = $3, value = $4,"
                      " threshold = $5, advice = $6, updated_at = $3, max_level = CASE WHEN $7 >"
                      " (CASE max_level WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN 'orange' THEN"
                      " 3 WHEN 'red' THEN 4 ELSE 0 END) THEN $2 ELSE max_level END WHERE id = $1",
                      p, 7, NULL, err);
}

/* The window's samples of the rule's span up to at_ms (at most MON_EVENT_READINGS, latest);
 * for a rule without a window, the last few samples before the change. */
static json_t *readings_json(const RuleInst *ri, const SampleWindow *w, int64_t at_ms)
{
    json_t *arr = json_array();
    if (!w)
        return arr;
    int64_t from = ri->spec.window_ms ? at_ms - ri->spec.window_ms : INT64_MIN;
    int keep = ri->spec.window_ms ? MON_EVENT_READINGS : 10;
    int first = w->n;
    while (first > 0 && w->v[first - 1].ts_ms >= from && w->n - first < keep)
        first--;
    for (int i = first; i < w->n; i++) {
        if (w->v[i].ts_ms > at_ms)
            break;
        char ts[32];
        mon_format_ms(w->v[i].ts_ms, ts, sizeof ts);
        json_array_append_new(arr, json_pack("[s, f]", ts, w->v[i].value));
    }
    return arr;
}

static int insert_event(Tx *tx, const RuleInst *ri, const RuleChange *ch, const char *action,
                        double value, const char *at, json_t *readings, Error *err)
{
    char *text = json_dumps(readings, JSON_COMPACT);
    DbValue p[] = {db_int(ri->warning_id),
                   db_text(at),
                   db_text(action),
                   db_text(warn_level_name(ch->from)),
                   db_text(warn_level_name(ch->to)),
                   real_or_null(value),
                   db_text(text)};
    int rc = store_exec(tx->conn,
                        "INSERT INTO monitor_warning_events (warning_id, at, action, from_level,"
                        " to_level, value, readings) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        p, 7, NULL, err);
    free(text);
    return rc;
}

static const char *message_of(Tx *tx, const RuleInst *ri, const WarnSubject *s,
                              const RuleChange *ch, double value, const char *advice)
{
    const char *where = s->point_name ? s->point_name : "";
    if (ch->to == LEVEL_NONE)
        return arena_printf(tx->arena, "【预警解除】%s %s：%s 已恢复正常。", where,
                            s->sensor_code ? s->sensor_code : "", ri->name);
    return arena_printf(
        tx->arena, "【%s预警·%s级】%s %s %s：当前值 %.2f%s，达到%s阈值 %.2f%s。防控建议：%s",
        warn_level_label_zh(ch->to), warn_level_roman(ch->to), where,
        s->sensor_code ? s->sensor_code : "", ri->name, value, s->unit ? s->unit : "",
        warn_level_label_zh(ch->to), threshold_of(ri, ch->to), s->unit ? s->unit : "", advice);
}

/* The responsible account of the point and the active duty officers of its county. */
static int recipients(Tx *tx, const WarnSubject *s, DbRows *rows, Error *err)
{
    char county[7];
    snprintf(county, sizeof county, "%s", s->division ? s->division : "");
    DbValue p[] = {db_int(s->point_id), db_text(county)};
    return store_query(tx->conn, tx->arena,
                       "SELECT id FROM users WHERE active = 1 AND (id = (SELECT responsible_user_id"
                       " FROM monitor_points WHERE id = $1) OR (role = 'duty_officer' AND"
                       " division_code = $2)) ORDER BY id",
                       p, 2, rows, err);
}

static int notify(Tx *tx, const RuleInst *ri, const WarnSubject *s, const RuleChange *ch,
                  const char *message, Error *err)
{
    DbRows rows;
    if (recipients(tx, s, &rows, err) < 0)
        return -1;
    for (int i = 0; i < rows.nrows; i++) {
        char id[128];
        snprintf(id, sizeof id, "monitor:warning:%lld:%s:user:%s", (long long)ri->warning_id,
                 warn_level_name(ch->to), db_cell(&rows, i, 0));
        json_t *payload = json_pack("{s:I, s:I, s:s, s:s, s:s}", "user_id",
                                    (json_int_t)atoll(db_cell(&rows, i, 0)), "warning_id",
                                    (json_int_t)ri->warning_id, "level", warn_level_name(ch->to),
                                    "message", message, "division_code", s->division);
        int rc = outbox_put(tx, id, "monitoring.notify", payload, err);
        json_decref(payload);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The hand-off to warning publication (C4) once the publication level is reached. */
static int hand_off(Tx *tx, const RuleInst *ri, const WarnSubject *s, const RuleChange *ch,
                    double value, const char *advice, const char *message, Error *err)
{
    if (ch->to < mon_publish_level() || ch->to <= ch->from)
        return 0;
    char id[96];
    snprintf(id, sizeof id, "monitor:warning:%lld:publish:%s", (long long)ri->warning_id,
             warn_level_name(ch->to));
    json_t *payload = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:f, s:s, s:s, s:s}", "warning_id", (json_int_t)ri->warning_id,
        "point_id", (json_int_t)s->point_id, "level", warn_level_name(ch->to), "rule", ri->name,
        "division_code", s->division, "value", isfinite(value) ? value : 0.0, "sensor_type",
        s->sensor_type ? s->sensor_type : "", "advice", advice, "message", message);
    int rc = outbox_put(tx, id, "monitoring.publish", payload, err);
    json_decref(payload);
    if (rc < 0)
        return -1;
    return store_exec(tx->conn, "UPDATE monitor_warnings SET published = 1 WHERE id = $1",
                      (DbValue[]){db_int(ri->warning_id)}, 1, NULL, err);
}

int mon_point_refresh_status(Tx *tx, int64_t point_id, Error *err)
{
    DbValue p[] = {db_int(point_id)};
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT (SELECT MAX(CASE level WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN"
                    " 'orange' THEN 3 WHEN 'red' THEN 4 ELSE 0 END) FROM monitor_warnings WHERE"
                    " point_id = $1 AND state = 'active' AND rule_kind <> 'nodata'),"
                    " (SELECT COUNT(*) FROM monitor_sensors WHERE point_id = $1 AND state ="
                    " 'offline'), division_code, status FROM monitor_points WHERE id = $1",
                    p, 1, &rows, err) < 0)
        return -1;
    if (!rows.nrows)
        return 0;
    int worst = db_cell(&rows, 0, 0) ? atoi(db_cell(&rows, 0, 0)) : 0;
    int offline = db_cell(&rows, 0, 1) ? atoi(db_cell(&rows, 0, 1)) : 0;
    const char *status = worst ? warn_level_name((WarnLevel)worst) : offline ? "offline" : "normal";
    const char *old = db_cell(&rows, 0, 3);
    if (old && strcmp(old, status) == 0)
        return 0;
    DbValue u[] = {db_int(point_id), db_text(status)};
    if (store_exec(tx->conn, "UPDATE monitor_points SET status = $2 WHERE id = $1", u, 2, NULL,
                   err) < 0)
        return -1;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)point_id);
    tx_event(tx, "monitor_points", key, "status", db_cell(&rows, 0, 2));
    return 0;
}

WarnSubject mon_sensor_subject(Tx *tx, const SensorRt *s)
{
    WarnSubject w = {arena_printf(tx->arena, "sensor:%lld", (long long)s->id),
                     s->point_id,
                     s->id,
                     s->enterprise_id,
                     s->division,
                     s->type,
                     s->code,
                     s->unit,
                     s->point_name};
    return w;
}

int mon_sensor_switch_state(Tx *tx, SensorRt *s, const char *from, const char *to, Error *err)
{
    if (strcmp(s->state, from) != 0)
        return 0;
    snprintf(s->state, sizeof s->state, "%s", to);
    DbValue p[] = {db_int(s->id), db_text(to)};
    if (store_exec(tx->conn, "UPDATE monitor_sensors SET state = $2 WHERE id = $1", p, 2, NULL,
                   err) < 0)
        return -1;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)s->id);
    tx_event(tx, "monitor_sensors", key, "status", s->division);
    return mon_point_refresh_status(tx, s->point_id, err);
}

int mon_warning_change(Tx *tx, RuleInst *ri, const WarnSubject *s, const RuleChange *ch,
                       double value, int64_t at_ms, const SampleWindow *window, json_t *out,
                       Error *err)
{
    char at[32], key[24];
    mon_format_ms(at_ms, at, sizeof at);
    const char *action = action_of(ch);
    const char *advice = "";
    if (advice_for(tx, ri, s, ch->to, &advice, err) < 0)
        return -1;
    if (ch->from == LEVEL_NONE) {
        if (insert_warning(tx, ri, s, ch->to, value, at, advice, err) < 0)
            return -1;
    } else if (!ri->warning_id) {
        return error_set(err, 500, "internal", "预警状态不一致",
                         "rule %lld has a level but no warning", (long long)ri->spec.id);
    } else if (update_warning(tx, ri, ch, value, at, advice, err) < 0) {
        return -1;
    }
    json_t *readings = readings_json(ri, window, at_ms);
    int rc = insert_event(tx, ri, ch, action, value, at, readings, err);
    json_decref(readings);
    if (rc < 0)
        return -1;
    snprintf(key, sizeof key, "%lld", (long long)ri->warning_id);
    json_t *after = json_pack("{s:s, s:s, s:s, s:s, s:f}", "action", action, "from",
                              warn_level_name(ch->from), "to", warn_level_name(ch->to), "subject",
                              s->subject, "value", isfinite(value) ? value : 0.0);
    rc = audit_record(tx, action, "monitor_warnings", key, s->division, NULL, after, err);
    json_decref(after);
    if (rc < 0)
        return -1;
    tx_event(tx, "monitor_warnings", key, action, s->division);
    const char *message = message_of(tx, ri, s, ch, value, advice);
    if ((ch->to > ch->from && notify(tx, ri, s, ch, message, err) < 0) ||
        hand_off(tx, ri, s, ch, value, advice, message, err) < 0)
        return -1;
    if (out)
        json_array_append_new(
            out,
            json_pack("{s:I, s:I, s:o, s:I, s:s, s:s}", "id", (json_int_t)ri->warning_id,
                      "point_id", (json_int_t)s->point_id, "sensor_id",
                      s->sensor_id ? json_integer(s->sensor_id) : json_null(), "rule_id",
                      (json_int_t)ri->spec.id, "action", action, "level", warn_level_name(ch->to)));
    if (ch->to == LEVEL_NONE)
        ri->warning_id = 0;
    return mon_point_refresh_status(tx, s->point_id, err);
}
