/* modules/publish/progress — the progress board of a warning and its printable report.
 *
 * Counts are one aggregate query over the warning's targets (index on warning_id), grouped
 * again by town (the first 9 digits of the recipient's division code) and by village (12
 * digits). "Pending" are targets that need an answer, have none, and whose backup did not
 * answer for them (escalation covered). The 30-minute measure is last_answer_at − issued_at
 * once nobody is pending; while some are, the time since issue so far. */
#include "modules/publish/publish_internal.h"

#include "core/clock.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTS                                                                                     \
    "COUNT(*), SUM(CASE WHEN t.state IN ('sent', 'delivered', 'answered') THEN 1 ELSE 0 END),"     \
    " SUM(CASE WHEN t.delivered_at IS NOT NULL OR t.state IN ('delivered', 'answered') THEN 1"     \
    " ELSE 0 END), SUM(CASE WHEN t.answered_at IS NOT NULL THEN 1 ELSE 0 END),"                    \
    " SUM(CASE WHEN t.escalation <> 'none' THEN 1 ELSE 0 END), SUM(CASE WHEN t.needs_ack = 1 AND"  \
    " t.answered_at IS NULL AND t.escalation <> 'covered' THEN 1 ELSE 0 END), SUM(CASE WHEN"       \
    " t.state = 'failed' THEN 1 ELSE 0 END), SUM(t.needs_ack)"

static json_int_t cell_int(const DbRows *r, int row, int col)
{
    const char *s = db_cell(r, row, col);
    return s ? atoll(s) : 0;
}

static json_t *counts_of(const DbRows *r, int row, int col)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "targeted", cell_int(r, row, col),
                     "sent", cell_int(r, row, col + 1), "delivered", cell_int(r, row, col + 2),
                     "answered", cell_int(r, row, col + 3), "escalated", cell_int(r, row, col + 4),
                     "pending", cell_int(r, row, col + 5), "failed", cell_int(r, row, col + 6),
                     "need_answer", cell_int(r, row, col + 7));
}

static int by_area(StoreConn *c, Arena *a, const char *key, int len, json_t **out, Error *err)
{
    const char *sql = arena_printf(
        a,
        "SELECT x.code, d.name, x.c0, x.c1, x.c2, x.c3, x.c4, x.c5, x.c6, x.c7, (SELECT COUNT(*)"
        " FROM publish_visits v WHERE v.warning_id = $1 AND substr(v.division_code, 1, %d) ="
        " x.code AND v.state = 'open'), (SELECT COUNT(*) FROM publish_visits v WHERE"
        " v.warning_id = $1 AND substr(v.division_code, 1, %d) = x.code AND v.state = 'done')"
        " FROM (SELECT substr(t.division_code, 1, %d) AS code, %s FROM publish_targets t WHERE"
        " t.warning_id = $1 AND length(t.division_code) >= %d GROUP BY substr(t.division_code,"
        " 1, %d)) x LEFT JOIN divisions d ON d.code = x.code ORDER BY x.code",
        len, len, len,
        "COUNT(*) AS c0, SUM(CASE WHEN t.state IN ('sent', 'delivered', 'answered') THEN 1 ELSE 0"
        " END) AS c1, SUM(CASE WHEN t.delivered_at IS NOT NULL OR t.state IN ('delivered',"
        " 'answered') THEN 1 ELSE 0 END) AS c2, SUM(CASE WHEN t.answered_at IS NOT NULL THEN 1"
        " ELSE 0 END) AS c3, SUM(CASE WHEN t.escalation <> 'none' THEN 1 ELSE 0 END) AS c4,"
        " SUM(CASE WHEN t.needs_ack = 1 AND t.answered_at IS NULL AND t.escalation <> 'covered'"
        " THEN 1 ELSE 0 END) AS c5, SUM(CASE WHEN t.state = 'failed' THEN 1 ELSE 0 END) AS c6,"
        " SUM(t.needs_ack) AS c7",
        len, len);
    DbRows rows;
    if (store_query(c, a, sql, (DbValue[]){db_int(atoll(key))}, 1, &rows, err) < 0)
        return -1;
    *out = json_array();
    for (int i = 0; i < rows.nrows; i++) {
        json_t *o = counts_of(&rows, i, 2);
        json_object_set_new(o, "code", json_string(db_cell(&rows, i, 0)));
        json_object_set_new(o, "name",
                            db_cell(&rows, i, 1) ? json_string(db_cell(&rows, i, 1)) : json_null());
        json_object_set_new(o, "visits_open", json_integer(cell_int(&rows, i, 10)));
        json_object_set_new(o, "visits_done", json_integer(cell_int(&rows, i, 11)));
        json_array_append_new(*out, o);
    }
    return 0;
}

int pub_progress(StoreConn *c, Arena *a, const Actor *actor, const char *key, json_t **out,
                 Error *err)
{
    json_t *w = NULL;
    *out = NULL;
    if (entity_get(c, &publish_warnings_entity, actor, key, &w, err) < 0)
        return -1;
    DbValue p[] = {db_int(atoll(key))};
    DbRows tot, vis, un;
    json_t *towns = NULL, *villages = NULL;
    if (store_query(c, a, "SELECT " COUNTS " FROM publish_targets t WHERE t.warning_id = $1", p, 1,
                    &tot, err) < 0 ||
        store_query(c, a,
                    "SELECT SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END), SUM(CASE WHEN state"
                    " = 'done' THEN 1 ELSE 0 END) FROM publish_visits WHERE warning_id = $1",
                    p, 1, &vis, err) < 0 ||
        store_query(c, a,
                    "SELECT id, name, phone, role, kind, division_code, state, escalation FROM"
                    " publish_targets t WHERE t.warning_id = $1 AND t.needs_ack = 1 AND"
                    " t.answered_at IS NULL AND t.escalation <> 'covered' ORDER BY"
                    " t.division_code, t.id LIMIT 500",
                    p, 1, &un, err) < 0 ||
        by_area(c, a, key, 9, &towns, err) < 0 || by_area(c, a, key, 12, &villages, err) < 0) {
        json_decref(w);
        json_decref(towns);
        return -1;
    }
    json_t *totals = counts_of(&tot, 0, 0);
    /* recipients resolved at issue; the rows of a large warning follow with its batches */
    json_object_set_new(totals, "resolved", json_integer(pub_json_int(w, "targets_total")));
    json_object_set_new(totals, "visits_open", json_integer(cell_int(&vis, 0, 0)));
    json_object_set_new(totals, "visits_done", json_integer(cell_int(&vis, 0, 1)));
    json_t *pending = json_array();
    for (int i = 0; i < un.nrows; i++)
        json_array_append_new(
            pending, json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "id",
                               cell_int(&un, i, 0), "name", db_cell(&un, i, 1), "phone",
                               db_cell(&un, i, 2), "role", db_cell(&un, i, 3), "kind",
                               db_cell(&un, i, 4), "division_code", db_cell(&un, i, 5), "state",
                               db_cell(&un, i, 6), "escalation", db_cell(&un, i, 7)));
    /* the 30-minute target */
    int64_t issued = 0, last = 0;
    const char *is = pub_json_str(w, "issued_at"), *la = pub_json_str(w, "last_answer_at");
    json_t *timing = json_object();
    json_object_set_new(timing, "target_seconds", json_integer(PUB_TARGET_MINUTES * 60));
    if (is && clock_parse_iso(is, &issued) == 0) {
        int complete = cell_int(&tot, 0, 5) == 0;
        int64_t end =
            complete ? (la && clock_parse_iso(la, &last) == 0 ? last : issued) : clock_now();
        json_object_set_new(timing, "issued_at", json_string(is));
        json_object_set_new(timing, "last_answer_at", la ? json_string(la) : json_null());
        json_object_set_new(timing, "all_answered", json_boolean(complete));
        json_object_set_new(timing, "elapsed_seconds", json_integer(end - issued));
        json_object_set_new(timing, "within_target",
                            json_boolean(complete && end - issued <= PUB_TARGET_MINUTES * 60));
    }
    *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "warning", w, "totals", totals, "timing",
                     timing, "towns", towns, "villages", villages, "pending", pending);
    return 0;
}

/* ---- the printable report ------------------------------------------------------------------ */

static void esc(StrBuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            strbuf_adds(sb, "&lt;");
            break;
        case '>':
            strbuf_adds(sb, "&gt;");
            break;
        case '&':
            strbuf_adds(sb, "&amp;");
            break;
        case '"':
            strbuf_adds(sb, "&quot;");
            break;
        default:
            strbuf_addch(sb, *s);
        }
    }
}

static void row_counts(StrBuf *sb, json_t *o, const char *label)
{
    strbuf_adds(sb, "<tr><td>");
    esc(sb, label);
    static const char *const k[] = {"targeted", "delivered",   "answered",   "escalated",
                                    "pending",  "visits_open", "visits_done"};
    strbuf_adds(sb, "</td>");
    for (int i = 0; i < 7; i++)
        strbuf_addf(sb, "<td>%lld</td>", (long long)json_integer_value(json_object_get(o, k[i])));
    strbuf_adds(sb, "</tr>\n");
}

int pub_report_html(StoreConn *c, Arena *a, const Actor *actor, const char *key, StrBuf *sb,
                    Error *err)
{
    json_t *p;
    if (pub_progress(c, a, actor, key, &p, err) < 0)
        return -1;
    json_t *w = json_object_get(p, "warning"), *t = json_object_get(p, "timing");
    strbuf_adds(sb, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>");
    esc(sb, pub_json_str(w, "headline"));
    strbuf_adds(sb, " — 预警发布与叫应报告</title><style>"
                    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;"
                    "color:#111}h1{font-size:20pt}table{border-collapse:collapse;width:100%;"
                    "margin:1em 0}th,td{border:1px solid #444;padding:4px 6px;font-size:10pt;"
                    "text-align:left}th{background:#eee}.ok{color:#060}.late{color:#b00}"
                    "@page{size:A4;margin:15mm}@media print{body{margin:0}}"
                    "</style></head><body>\n<h1>");
    esc(sb, pub_json_str(w, "headline"));
    strbuf_adds(sb, "</h1>\n<p>预警编号：");
    esc(sb, pub_json_str(w, "identifier"));
    strbuf_adds(sb, "　级别：");
    esc(sb, pub_level_zh(pub_json_str(w, "level")));
    strbuf_adds(sb, "预警　状态：");
    esc(sb, pub_json_str(w, "state"));
    strbuf_adds(sb, "</p>\n<p>");
    esc(sb, pub_json_str(w, "description"));
    strbuf_adds(sb, "</p>\n<h2>30分钟叫应目标</h2>\n<p>");
    if (json_object_get(t, "issued_at")) {
        long long el = (long long)json_integer_value(json_object_get(t, "elapsed_seconds"));
        strbuf_adds(sb, "发布时间（UTC）：");
        esc(sb, pub_json_str(t, "issued_at"));
        strbuf_addf(sb, "；%s：%lld 分 %lld 秒；",
                    json_is_true(json_object_get(t, "all_answered")) ? "发布至最后应答用时"
                                                                     : "已用时（尚有人未应答）",
                    el / 60, el % 60);
        strbuf_adds(sb, json_is_true(json_object_get(t, "within_target"))
                            ? "<b class=\"ok\">达到30分钟目标</b>"
                            : "<b class=\"late\">未达到30分钟目标</b>");
    } else {
        strbuf_adds(sb, "尚未发布");
    }
    strbuf_adds(sb,
                "</p>\n<h2>进度</h2>\n<table><tr><th>区域</th><th>叫应对象</th><th>送达</th>"
                "<th>应答</th><th>升级</th><th>未应答</th><th>待上门</th><th>已上门</th></tr>\n");
    row_counts(sb, json_object_get(p, "totals"), "合计");
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(p, "towns"), i, o)
    {
        const char *name = pub_json_str(o, "name");
        row_counts(sb, o, name ? name : pub_json_str(o, "code"));
    }
    strbuf_adds(sb, "</table>\n<h2>未应答人员</h2>\n<table><tr><th>姓名</th><th>电话</th>"
                    "<th>角色</th><th>区划</th><th>升级</th></tr>\n");
    json_array_foreach(json_object_get(p, "pending"), i, o)
    {
        static const char *const k[] = {"name", "phone", "role", "division_code", "escalation"};
        strbuf_adds(sb, "<tr>");
        for (int j = 0; j < 5; j++) {
            strbuf_adds(sb, "<td>");
            esc(sb, pub_json_str(o, k[j]));
            strbuf_adds(sb, "</td>");
        }
        strbuf_adds(sb, "</tr>\n");
    }
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    strbuf_addf(sb, "</table>\n<p>报告生成时间（UTC）：%s</p>\n</body></html>\n", now);
    json_decref(p);
    return 0;
}
