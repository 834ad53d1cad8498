/* modules/incidents/incidents — intake, update, workflow actions, the response level, the
 * timeline and the reporting clock; see incidents.h for the rules. */
#include "modules/incidents/incidents_internal.h"
#include "modules/cases/cases.h"

#include "core/clock.h"
#include "flow/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ReportRule incident_report_rules[] = {
    {"phone_first", "电话首报", 1, "first", "phone", 30 * 60},
    {"written_first", "书面首报", 1, "first", "written", 60 * 60},
    {"first", "首报", -1, "first", NULL, 2 * 3600},
    {"followup", "续报", 0, "followup", NULL, INCIDENT_FOLLOWUP_SECONDS},
    {"intake", "单位报告", 0, NULL, NULL, INCIDENT_INTAKE_SECONDS},
    {NULL, NULL, 0, NULL, NULL, 0},
};

const ReportRule *incidents_rule(const char *code)
{
    for (const ReportRule *r = incident_report_rules; code && r->code; r++)
        if (strcmp(r->code, code) == 0)
            return r;
    return NULL;
}

const char *incidents_iso(Arena *a, long long t)
{
    char buf[32];
    clock_format_iso(t, buf, sizeof buf);
    return arena_strdup(a, buf);
}

int incidents_only_keys(json_t *obj, const char *const *allowed, Error *err)
{
    const char *k;
    json_t *v;
    int bad = 0;
    if (obj && !json_is_object(obj))
        return error_set(err, 400, "bad_json", "请求体应为 JSON 对象", "body must be an object");
    json_object_foreach(obj, k, v)
    {
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0)
                ok = 1;
        if (!ok) {
            error_field(err, k, "不支持的字段");
            bad++;
        }
    }
    return bad ? error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                           "unknown fields")
               : 0;
}

static long long iso_time(const char *s)
{
    int64_t t = 0;
    return s && clock_parse_iso(s, &t) == 0 ? (long long)t : 0;
}

static const char *str_of(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int incidents_load(Tx *tx, const char *id, json_t **out, Error *err)
{
    return entity_get(tx->conn, &incidents_entity, tx->actor, id, out, err);
}

/* ---- timeline ---------------------------------------------------------------------------- */

int incident_timeline_add(Tx *tx, long long incident_id, const char *division, const char *kind,
                          const char *text, json_t *data, Error *err)
{
    const char *now = incidents_iso(tx->arena, clock_now());
    char *js = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *who = tx->actor && tx->actor->username ? tx->actor->username : "system";
    DbValue p[] = {db_int(incident_id), db_text(now), db_text(kind),    db_text(who),
                   db_text(text),       db_text(js),  db_text(division)};
    int rc = store_exec(tx->conn,
                        "INSERT INTO incident_events (incident_id, at, kind, actor, text, data,"
                        " division_code, created_at, updated_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $2, $2)",
                        p, 7, NULL, err);
    free(js);
    if (rc == 0) {
        char key[32];
        snprintf(key, sizeof key, "%lld", incident_id);
        tx_event(tx, "incident_events", key, kind, division);
    }
    return rc;
}

/* ---- the reporting clock ----------------------------------------------------------------- */

static int rule_applies(const ReportRule *r, IncidentGrade g)
{
    int serious = g == INCIDENT_GRADE_EXTRAORDINARY || g == INCIDENT_GRADE_MAJOR;
    return r->serious_only == 0 || (r->serious_only == 1 && serious) ||
           (r->serious_only == -1 && !serious);
}

const char *incidents_job_key(Arena *a, long long id, const char *rule)
{
    return arena_printf(a, "incidents:%lld:report:%s", id, rule);
}

/* 1 when a sent report satisfies rule for the incident by due (and after base for 续报). */
static int rule_satisfied(Tx *tx, long long id, const ReportRule *r, long long due, long long base,
                          Error *err)
{
    const char *due_s = incidents_iso(tx->arena, due), *base_s = incidents_iso(tx->arena, base);
    int64_t n = 0;
    int rc;
    if (strcmp(r->code, "followup") == 0) {
        DbValue p[] = {db_int(id), db_text(due_s), db_text(base_s)};
        rc = store_query_int(tx->conn,
                             "SELECT count(*) FROM incident_reports WHERE incident_id = $1 AND"
                             " status = 'sent' AND kind IN ('followup', 'final') AND"
                             " sent_at <= $2 AND sent_at > $3",
                             p, 3, &n, err);
    } else {
        DbValue p[] = {db_int(id), db_text(due_s), db_text(r->kind),
                       db_text(r->channel ? r->channel : "")};
        rc = store_query_int(tx->conn,
                             "SELECT count(*) FROM incident_reports WHERE incident_id = $1 AND"
                             " status = 'sent' AND sent_at <= $2 AND kind = $3 AND"
                             " ($4 = '' OR channel = $4)",
                             p, 4, &n, err);
    }
    return rc < 0 ? -1 : n > 0;
}

int incidents_set_rule_job(Tx *tx, long long id, const ReportRule *r, long long due, long long base,
                           Error *err)
{
    json_t *p = json_pack("{s:I, s:s, s:I, s:I}", "incident", (json_int_t)id, "rule", r->code,
                          "due", (json_int_t)due, "base", (json_int_t)base);
    int rc = scheduler_set(tx, "incidents.report_due", incidents_job_key(tx->arena, id, r->code),
                           due, p, err);
    json_decref(p);
    return rc;
}

/* The first-report rules of the incident's grade get a job each (from grade_at); the rules
 * of other grades are cancelled. */
int incidents_schedule_clock(Tx *tx, json_t *inc, Error *err)
{
    long long id = (long long)json_integer_value(json_object_get(inc, "id"));
    IncidentGrade g = incident_grade_from_value(str_of(inc, "grade"));
    long long base = iso_time(str_of(inc, "grade_at"));
    if (!base)
        base = iso_time(str_of(inc, "reported_at"));
    for (const ReportRule *r = incident_report_rules; r->code; r++) {
        if (strcmp(r->code, "followup") == 0 || strcmp(r->code, "intake") == 0)
            continue;
        const char *key = incidents_job_key(tx->arena, id, r->code);
        if (!rule_applies(r, g)) {
            if (scheduler_cancel(tx, key, err) < 0)
                return -1;
            continue;
        }
        int done = rule_satisfied(tx, id, r, base + r->seconds, 0, err);
        if (done < 0)
            return -1;
        if (done ? scheduler_cancel(tx, key, err) < 0
                 : incidents_set_rule_job(tx, id, r, base + r->seconds, base, err) < 0)
            return -1;
    }
    return 0;
}

int incidents_mark_late(Tx *tx, long long id, const char *rule, const char *label, long long due,
                        Error *err)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", id);
    json_t *inc = NULL;
    if (entity_get(tx->conn, &incidents_entity, &actor_system, key, &inc, err) < 0)
        return -1;
    json_t *items = json_object_get(inc, "late_items");
    items = json_is_array(items) ? json_deep_copy(items) : json_array();
    size_t i;
    json_t *it;
    const char *due_s = incidents_iso(tx->arena, due);
    json_array_foreach(items, i, it)
    {
        const char *r0 = str_of(it, "rule");
        if (r0 && strcmp(r0, rule) == 0 &&
            strcmp(str_of(it, "due_at") ? str_of(it, "due_at") : "", due_s) == 0) {
            json_decref(items);
            json_decref(inc);
            return 0; /* already flagged */
        }
    }
    json_array_append_new(
        items, json_pack("{s:s, s:s, s:s}", "rule", rule, "label", label, "due_at", due_s));
    json_t *values = json_pack("{s:b, s:o}", "late", 1, "late_items", items);
    const char *div = arena_strdup(tx->arena, str_of(inc, "division_code"));
    int rc = entity_update_internal(tx, &incidents_entity, key, values, err);
    json_decref(values);
    json_decref(inc);
    if (rc < 0)
        return -1;
    json_t *data = json_pack("{s:s, s:s}", "rule", rule, "due_at", due_s);
    rc = incident_timeline_add(tx, id, div, "late",
                               arena_printf(tx->arena, "迟报：%s 时限 %s 已过", label, due_s), data,
                               err);
    json_decref(data);
    return rc;
}

/* Scheduler job "incidents.report_due": flags the incident late when no report satisfies
 * the rule by its deadline. */
int incidents_report_due_job(Tx *tx, const char *key, json_t *payload, Error *err)
{
    (void)key;
    long long id = (long long)json_integer_value(json_object_get(payload, "incident"));
    long long due = (long long)json_integer_value(json_object_get(payload, "due"));
    long long base = (long long)json_integer_value(json_object_get(payload, "base"));
    const ReportRule *r = incidents_rule(str_of(payload, "rule"));
    if (!r || id <= 0)
        return 0;
    int64_t exists = 0;
    DbValue p = db_int(id);
    if (store_query_int(tx->conn, "SELECT count(*) FROM incidents WHERE id = $1", &p, 1, &exists,
                        err) < 0)
        return -1;
    if (!exists)
        return 0;
    int done = rule_satisfied(tx, id, r, due, base, err);
    if (done < 0)
        return -1;
    return done ? 0 : incidents_mark_late(tx, id, r->code, r->label, due, err);
}

/* ---- intake and update ------------------------------------------------------------------- */

static int after_intake(Tx *tx, json_t *inc, const char *how, Error *err);

int incident_record(Tx *tx, json_t *body, json_t **out, Error *err)
{
    json_t *inc = NULL;
    if (entity_create(tx, &incidents_entity, body, &inc, err) < 0)
        return -1;
    int rc = after_intake(tx, inc, "接报", err);
    if (rc == 0 && out) {
        char key[32];
        snprintf(key, sizeof key, "%lld",
                 (long long)json_integer_value(json_object_get(inc, "id")));
        rc = entity_get(tx->conn, &incidents_entity, tx->actor, key, out, err);
    }
    json_decref(inc);
    return rc;
}

/* The steps of an intake after the row exists: timeline, clock, the unit's 1-hour rule. */
static int after_intake(Tx *tx, json_t *inc, const char *how, Error *err)
{
    long long id = (long long)json_integer_value(json_object_get(inc, "id"));
    const char *div = arena_strdup(tx->arena, str_of(inc, "division_code"));
    IncidentGrade g = incident_grade_from_value(str_of(inc, "grade"));
    json_t *data = json_pack("{s:s?, s:s?, s:s?}", "source", str_of(inc, "source"), "grade",
                             str_of(inc, "grade"), "event_type", str_of(inc, "event_type"));
    int rc = incident_timeline_add(tx, id, div, "reported",
                                   arena_printf(tx->arena, "%s：%s（%s，建议 %s 级响应）", how,
                                                str_of(inc, "title"), incident_grade_label(g),
                                                incident_suggested_level(g)),
                                   data, err);
    json_decref(data);
    if (rc == 0)
        rc = incidents_schedule_clock(tx, inc, err);
    long long occurred = iso_time(str_of(inc, "occurred_at"));
    long long reported = iso_time(str_of(inc, "reported_at"));
    if (rc == 0 && reported - occurred > INCIDENT_INTAKE_SECONDS)
        rc = incidents_mark_late(tx, id, "intake", "单位负责人 1 小时内报告",
                                 occurred + INCIDENT_INTAKE_SECONDS, err);
    return rc;
}

int incidents_after_import(Tx *tx, Error *err)
{
    DbRows r;
    if (store_query(tx->conn, tx->arena,
                    "SELECT id FROM incidents i WHERE NOT EXISTS"
                    " (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id) ORDER BY id",
                    NULL, 0, &r, err) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++) {
        json_t *inc = NULL;
        if (entity_get(tx->conn, &incidents_entity, &actor_system, db_cell(&r, i, 0), &inc, err) <
            0)
            return -1;
        int rc = after_intake(tx, inc, "导入", err);
        json_decref(inc);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int incident_update(Tx *tx, const char *id, json_t *patch, json_t **out, Error *err)
{
    json_t *before = NULL, *after = NULL;
    if (incidents_load(tx, id, &before, err) < 0)
        return -1;
    int rc = entity_update(tx, &incidents_entity, id, patch, &after, err);
    if (rc == 0) {
        const char *g0 = str_of(before, "grade"), *g1 = str_of(after, "grade");
        const char *div = arena_strdup(tx->arena, str_of(after, "division_code"));
        long long nid = (long long)json_integer_value(json_object_get(after, "id"));
        json_t *changed = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(patch, k, v)
        {
            if (!json_equal(json_object_get(before, k), json_object_get(after, k)))
                json_array_append_new(changed, json_string(k));
        }
        if (json_array_size(changed)) {
            json_t *data = json_pack("{s:O}", "fields", changed);
            rc = incident_timeline_add(tx, nid, div, "updated", "信息更新", data, err);
            json_decref(data);
        }
        json_decref(changed);
        if (rc == 0 && g0 && g1 && strcmp(g0, g1) != 0) {
            IncidentGrade g = incident_grade_from_value(g1);
            json_t *data = json_pack("{s:s, s:s}", "from", g0, "to", g1);
            rc = incident_timeline_add(
                tx, nid, div, "graded",
                arena_printf(tx->arena, "定级变更：%s → %s（建议 %s 级响应）",
                             incident_grade_label(incident_grade_from_value(g0)),
                             incident_grade_label(g), incident_suggested_level(g)),
                data, err);
            json_decref(data);
            if (rc == 0)
                rc = incidents_schedule_clock(tx, after, err);
        }
    }
    json_decref(before);
    if (rc == 0 && out)
        *out = json_incref(after);
    json_decref(after);
    return rc;
}

/* ---- workflow actions -------------------------------------------------------------------- */

static const char *const close_keys[] = {"evaluation", NULL};
static const char *const note_keys[] = {"note", NULL};

int incident_action(Tx *tx, const char *id, const char *action, json_t *body, json_t **out,
                    Error *err)
{
    int is_close = strcmp(action, "close") == 0;
    if (incidents_only_keys(body, is_close ? close_keys : note_keys, err) < 0)
        return -1;
    if (is_close) {
        const char *ev = str_of(body, "evaluation");
        json_t *v = json_object_get(body, "evaluation");
        if (v && !json_is_string(v)) {
            error_field(err, "evaluation", "总结评估应为文字");
            return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                             "evaluation must be text");
        }
        if (ev && strlen(ev) > 30000) {
            error_field(err, "evaluation", "总结评估过长");
            return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                             "evaluation too long");
        }
    }
    json_t *inc = NULL;
    if (incidents_load(tx, id, &inc, err) < 0)
        return -1;
    json_decref(inc);
    const char *to = NULL;
    if (workflow_apply(tx, &incident_flow, id, action, body, &to, err) < 0)
        return -1;
    if (incidents_load(tx, id, &inc, err) < 0)
        return -1;
    long long nid = (long long)json_integer_value(json_object_get(inc, "id"));
    const char *div = arena_strdup(tx->arena, str_of(inc, "division_code"));
    json_decref(inc);
    int rc = 0;
    const char *text = "";
    if (is_close) {
        json_t *values = json_pack("{s:s, s:s}", "evaluation", str_of(body, "evaluation"),
                                   "closed_at", incidents_iso(tx->arena, clock_now()));
        rc = entity_update_internal(tx, &incidents_entity, id, values, err);
        json_decref(values);
        if (rc == 0)
            rc = scheduler_cancel(tx, incidents_job_key(tx->arena, nid, "followup"), err);
        if (rc == 0 && (rc = incidents_load(tx, id, &inc, err)) == 0) {
            /* the closed incident becomes a case (案例库), in the same Tx */
            rc = cases_create_from_incident(tx, inc, str_of(body, "evaluation"), err);
            json_decref(inc);
        }
        text = "结案（已填写总结评估）";
    } else if (strcmp(action, "verify") == 0) {
        text = "已核实";
    } else {
        text = "启动处置";
    }
    if (rc == 0) {
        json_t *data = json_pack("{s:s, s:s}", "action", action, "to", to);
        const char *note = str_of(body, "note");
        rc = incident_timeline_add(tx, nid, div, action,
                                   note ? arena_printf(tx->arena, "%s：%s", text, note) : text,
                                   data, err);
        json_decref(data);
    }
    if (rc == 0 && out)
        rc = incidents_load(tx, id, out, err);
    return rc;
}

static const char *const level_keys[] = {"level", "reason", NULL};

int incident_set_response_level(Tx *tx, const char *id, json_t *body, json_t **out, Error *err)
{
    if (incidents_only_keys(body, level_keys, err) < 0)
        return -1;
    const char *lv = str_of(body, "level");
    if (!lv || (strcmp(lv, "I") && strcmp(lv, "II") && strcmp(lv, "III") && strcmp(lv, "IV"))) {
        error_field(err, "level", "响应级别取值必须是以下之一：I、II、III、IV");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "level must be I, II, III or IV");
    }
    json_t *reason = json_object_get(body, "reason");
    if (reason && !json_is_string(reason) && !json_is_null(reason)) {
        error_field(err, "reason", "理由应为文字");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "reason must be text");
    }
    json_t *inc = NULL;
    if (incidents_load(tx, id, &inc, err) < 0)
        return -1;
    const char *st = str_of(inc, "status");
    if (st && strcmp(st, "closed") == 0) {
        json_decref(inc);
        return error_set(err, 409, "incident_closed", "事件已结案，不能再调整响应级别",
                         "the incident is closed");
    }
    const char *suggested = arena_strdup(tx->arena, str_of(inc, "suggested_response_level"));
    const char *prev = arena_strdup(tx->arena, str_of(inc, "response_level"));
    const char *div = arena_strdup(tx->arena, str_of(inc, "division_code"));
    long long nid = (long long)json_integer_value(json_object_get(inc, "id"));
    json_decref(inc);
    json_t *values = json_pack("{s:s}", "response_level", lv);
    int rc = entity_update_internal(tx, &incidents_entity, id, values, err);
    json_decref(values);
    if (rc == 0) {
        json_t *data = json_pack("{s:s, s:s?, s:s?, s:s?}", "level", lv, "suggested", suggested,
                                 "previous", prev, "reason", json_string_value(reason));
        rc = incident_timeline_add(
            tx, nid, div, "response_level",
            arena_printf(tx->arena, "指挥长确定 %s 级响应（建议 %s 级）%s%s", lv,
                         suggested ? suggested : "-", json_string_value(reason) ? "：" : "",
                         json_string_value(reason) ? json_string_value(reason) : ""),
            data, err);
        json_decref(data);
    }
    if (rc == 0 && out)
        rc = incidents_load(tx, id, out, err);
    return rc;
}
