/* modules/incidents/reports — 信息报送 documents (number, send, freeze) and the statistics.
 *
 * Numbers: "<county short name>应急〔<year>〕<n>号", n counting the county's reports of the
 * year (Asia/Shanghai) from 1; the short name is the county's name without its final
 * 县/区/市/旗. A unique index on number turns a concurrent duplicate into 409. */
#include "modules/incidents/incidents_internal.h"

#include "core/clock.h"
#include "flow/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long iso_time(const char *s)
{
    int64_t t = 0;
    return s && clock_parse_iso(s, &t) == 0 ? (long long)t : 0;
}

static const char *short_name(Arena *a, const char *name)
{
    static const char *const suffixes[] = {"县", "区", "市", "旗", NULL};
    size_t n = strlen(name);
    for (int i = 0; suffixes[i]; i++) {
        size_t m = strlen(suffixes[i]);
        if (n > m && strcmp(name + n - m, suffixes[i]) == 0)
            return arena_strndup(a, name, n - m);
    }
    return arena_strdup(a, name);
}

int incidents_report_prepare(Tx *tx, json_t *rec, Error *err)
{
    json_t *idv = json_object_get(rec, "incident_id");
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(idv));
    json_t *inc = NULL;
    if (incidents_load(tx, key, &inc, err) < 0) {
        if (err->status != 404)
            return -1;
        error_clear(err);
        error_field(err, "incident_id", "引用的事件不存在");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "unknown incident");
    }
    const char *div = arena_strdup(tx->arena, str_of(inc, "division_code"));
    json_decref(inc);
    json_object_set_new(rec, "division_code", json_string(div));
    char county[8];
    snprintf(county, sizeof county, "%.6s", div);
    DbRows r;
    DbValue p = db_text(county);
    if (store_query(tx->conn, tx->arena, "SELECT name FROM divisions WHERE code = $1", &p, 1, &r,
                    err) < 0)
        return -1;
    const char *name =
        r.nrows && db_cell(&r, 0, 0) ? short_name(tx->arena, db_cell(&r, 0, 0)) : county;
    char year[8];
    clock_format_iso(clock_now() + 8 * 3600, year, sizeof year); /* Asia/Shanghai */
    year[4] = '\0';
    const char *prefix = arena_printf(tx->arena, "%s应急〔%s〕", name, year);
    int64_t n = 0;
    DbValue q[] = {db_text(arena_printf(tx->arena, "%s%%", prefix))};
    if (store_query_int(tx->conn, "SELECT count(*) FROM incident_reports WHERE number LIKE $1", q,
                        1, &n, err) < 0)
        return -1;
    json_object_set_new(rec, "number",
                        json_string(arena_printf(tx->arena, "%s%lld号", prefix, (long long)n + 1)));
    return 0;
}

int incident_report_create(Tx *tx, json_t *body, json_t **out, Error *err)
{
    json_t *rep = NULL;
    if (entity_create(tx, &incident_reports_entity, body, &rep, err) < 0)
        return -1;
    long long iid = (long long)json_integer_value(json_object_get(rep, "incident_id"));
    json_t *data = json_pack("{s:O, s:s?, s:s?}", "report_id", json_object_get(rep, "id"), "kind",
                             str_of(rep, "kind"), "channel", str_of(rep, "channel"));
    int rc = incident_timeline_add(
        tx, iid, str_of(rep, "division_code"), "report_drafted",
        arena_printf(tx->arena, "拟写报告 %s", str_of(rep, "number") ? str_of(rep, "number") : ""),
        data, err);
    json_decref(data);
    if (rc == 0 && out)
        *out = json_incref(rep);
    json_decref(rep);
    return rc;
}

/* The rule a report answers, with its deadline. */
static const ReportRule *rule_for(Tx *tx, json_t *inc, json_t *rep, long long *due, long long *base,
                                  Error *err, int *failed)
{
    const char *kind = str_of(rep, "kind"), *channel = str_of(rep, "channel");
    IncidentGrade g = incident_grade_from_value(str_of(inc, "grade"));
    int serious = g == INCIDENT_GRADE_EXTRAORDINARY || g == INCIDENT_GRADE_MAJOR;
    long long graded = iso_time(str_of(inc, "grade_at"));
    if (!graded)
        graded = iso_time(str_of(inc, "reported_at"));
    *failed = 0;
    if (kind && strcmp(kind, "first") == 0) {
        const ReportRule *r =
            incidents_rule(!serious ? "first"
                                    : (channel && strcmp(channel, "phone") == 0 ? "phone_first"
                                                                                : "written_first"));
        *base = graded;
        *due = graded + r->seconds;
        return r;
    }
    DbRows rows;
    DbValue p = db_int((long long)json_integer_value(json_object_get(inc, "id")));
    if (store_query(tx->conn, tx->arena,
                    "SELECT max(sent_at) FROM incident_reports WHERE incident_id = $1 AND"
                    " status = 'sent'",
                    &p, 1, &rows, err) < 0) {
        *failed = 1;
        return NULL;
    }
    long long last = rows.nrows && db_cell(&rows, 0, 0) ? iso_time(db_cell(&rows, 0, 0)) : graded;
    const ReportRule *r = incidents_rule("followup");
    *base = last;
    *due = last + r->seconds;
    return r;
}

int incident_report_send(Tx *tx, const char *id, long long at, json_t **out, Error *err)
{
    json_t *rep = NULL, *inc = NULL;
    int rc = -1;
    if (!at)
        at = clock_now();
    if (entity_get(tx->conn, &incident_reports_entity, tx->actor, id, &rep, err) < 0)
        return -1;
    if (strcmp(str_of(rep, "status") ? str_of(rep, "status") : "", "sent") == 0) {
        rc = error_set(err, 409, "report_sent", "报告已报送", "the report was already sent");
        goto out;
    }
    char ikey[32];
    long long iid = (long long)json_integer_value(json_object_get(rep, "incident_id"));
    snprintf(ikey, sizeof ikey, "%lld", iid);
    if (entity_get(tx->conn, &incidents_entity, &actor_system, ikey, &inc, err) < 0)
        goto out;
    long long due = 0, base = 0;
    int failed = 0;
    const ReportRule *r = rule_for(tx, inc, rep, &due, &base, err, &failed);
    if (failed)
        goto out;
    int late = at > due;
    const char *who = tx->actor && tx->actor->username ? tx->actor->username : "system";
    json_t *values = json_pack(
        "{s:s, s:s, s:s, s:s, s:b, s:s}", "status", "sent", "sent_at", incidents_iso(tx->arena, at),
        "due_at", incidents_iso(tx->arena, due), "rule", r->code, "late", late, "sent_by", who);
    rc = entity_update_internal(tx, &incident_reports_entity, id, values, err);
    json_decref(values);
    if (rc < 0)
        goto out;
    if ((rc = scheduler_cancel(tx, incidents_job_key(tx->arena, iid, r->code), err)) < 0)
        goto out;
    if (late && (rc = incidents_mark_late(tx, iid, r->code, r->label, due, err)) < 0)
        goto out;
    const char *kind = str_of(rep, "kind"), *st = str_of(inc, "status");
    int closed = st && strcmp(st, "closed") == 0;
    if (kind && strcmp(kind, "final") != 0 && !closed)
        rc = incidents_set_rule_job(tx, iid, incidents_rule("followup"),
                                    at + INCIDENT_FOLLOWUP_SECONDS, at, err);
    else
        rc = scheduler_cancel(tx, incidents_job_key(tx->arena, iid, "followup"), err);
    if (rc < 0)
        goto out;
    json_t *data = json_pack("{s:O, s:s?, s:s?, s:s, s:b}", "report_id", json_object_get(rep, "id"),
                             "number", str_of(rep, "number"), "kind", kind, "due_at",
                             incidents_iso(tx->arena, due), "late", late);
    rc = incident_timeline_add(
        tx, iid, str_of(inc, "division_code"), "report_sent",
        arena_printf(tx->arena, "报送%s %s（%s）%s", r->label,
                     str_of(rep, "number") ? str_of(rep, "number") : "",
                     strcmp(str_of(rep, "channel"), "phone") == 0 ? "电话" : "书面",
                     late ? "，迟报" : ""),
        data, err);
    json_decref(data);
    if (rc == 0 && out)
        rc = entity_get(tx->conn, &incident_reports_entity, tx->actor, id, out, err);
out:
    json_decref(rep);
    json_decref(inc);
    return rc;
}

/* ---- statistics -------------------------------------------------------------------------- */

int incident_stats(StoreConn *c, Arena *arena, const Actor *actor, json_t **out, Error *err)
{
    DbValue p = db_text(arena_printf(arena, "%s%%", actor->jurisdiction));
    DbRows g, s;
    int64_t late_reports = 0;
    if (store_query(c, arena,
                    "SELECT grade, count(*), sum(late) FROM incidents WHERE division_code LIKE $1"
                    " GROUP BY grade",
                    &p, 1, &g, err) < 0 ||
        store_query(c, arena,
                    "SELECT status, count(*) FROM incidents WHERE division_code LIKE $1"
                    " GROUP BY status",
                    &p, 1, &s, err) < 0 ||
        store_query_int(c,
                        "SELECT count(*) FROM incident_reports WHERE late = 1 AND"
                        " division_code LIKE $1",
                        &p, 1, &late_reports, err) < 0)
        return -1;
    json_t *by_grade = json_array(), *by_status = json_object();
    long long total = 0, late = 0;
    for (int k = INCIDENT_GRADE_EXTRAORDINARY; k <= INCIDENT_GRADE_GENERAL; k++) {
        long long n = 0, l = 0;
        for (int i = 0; i < g.nrows; i++)
            if (db_cell(&g, i, 0) && strcmp(db_cell(&g, i, 0), incident_grade_value(k)) == 0) {
                n = atoll(db_cell(&g, i, 1));
                l = db_cell(&g, i, 2) ? atoll(db_cell(&g, i, 2)) : 0;
            }
        json_array_append_new(by_grade,
                              json_pack("{s:s, s:s, s:I, s:I}", "grade", incident_grade_value(k),
                                        "label", incident_grade_label(k), "count", (json_int_t)n,
                                        "late", (json_int_t)l));
    }
    for (int i = 0; i < g.nrows; i++) {
        total += atoll(db_cell(&g, i, 1));
        late += db_cell(&g, i, 2) ? atoll(db_cell(&g, i, 2)) : 0;
    }
    static const char *const sts[] = {"reported", "verified", "responding", "closed", NULL};
    for (int k = 0; sts[k]; k++)
        json_object_set_new(by_status, sts[k], json_integer(0));
    for (int i = 0; i < s.nrows; i++)
        if (db_cell(&s, i, 0))
            json_object_set_new(by_status, db_cell(&s, i, 0),
                                json_integer(atoll(db_cell(&s, i, 1))));
    *out = json_pack("{s:I, s:I, s:I, s:o, s:o}", "total", (json_int_t)total, "late_incidents",
                     (json_int_t)late, "late_reports", (json_int_t)late_reports, "by_grade",
                     by_grade, "by_status", by_status);
    return 0;
}
