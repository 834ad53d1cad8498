/* modules/accounts/audit_view — the audit trail for administrators (审计日志查询).
 *
 * Lists, exports and verifies flow/audit's chain. An administrator sees the entries whose
 * record lies inside their jurisdiction (entries without a division only when their
 * jurisdiction is the whole deployment). Filters: entity, action, actor, record_id, from,
 * to (ISO times) and q (actor, record or changed values). */
#include "modules/accounts/accounts_internal.h"

#include "core/strbuf.h"
#include "flow/audit.h"
#include "model/csv.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_EXPORT_MAX 100000

typedef struct AuditQuery {
    StrBuf where;
    DbValue params[12];
    int nparams;
} AuditQuery;

static void add_cond(AuditQuery *aq, const char *fmt, const char *value)
{
    aq->params[aq->nparams++] = db_text(value);
    strbuf_adds(&aq->where, aq->nparams == 1 ? " WHERE " : " AND ");
    strbuf_addf(&aq->where, fmt, aq->nparams, aq->nparams, aq->nparams);
}

static const char *const audit_filters[] = {"entity", "action", "actor", "record_id", "from",
                                            "to",     "q",      "page",  "page_size", NULL};

static int known_filter(const char *name)
{
    for (int i = 0; audit_filters[i]; i++)
        if (strcmp(audit_filters[i], name) == 0)
            return 1;
    return 0;
}

static int build_query(Req *req, AuditQuery *aq, Error *err)
{
    memset(aq, 0, sizeof *aq);
    for (int i = 0; i < req->nquery; i++)
        if (!known_filter(req->query[i].name))
            return error_setf(err, 400, "bad_filter", "不支持的查询条件：%s",
                              "unknown query parameter: %s", req->query[i].name,
                              req->query[i].name);
    const char *jur = req->actor->jurisdiction;
    if (*jur)
        add_cond(aq, "division_code LIKE $%d", arena_printf(req->arena, "%s%%", jur));
    static const struct {
        const char *param, *cond;
    } conds[] = {
        {"entity", "entity = $%d"},    {"action", "action = $%d"},
        {"actor", "actor_name = $%d"}, {"record_id", "record_key = $%d"},
        {"from", "at >= $%d"},         {"to", "at <= $%d"},
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        const char *v = req_query(req, conds[i].param);
        if (v && *v)
            add_cond(aq, conds[i].cond, v);
    }
    const char *q = req_query(req, "q");
    if (q && *q)
        add_cond(aq, "(actor_name LIKE $%d OR record_key LIKE $%d OR after_json LIKE $%d)",
                 arena_printf(req->arena, "%%%s%%", q));
    return 0;
}

static json_t *parsed_or_null(const char *text)
{
    json_error_t jerr;
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, &jerr) : NULL;
    return v ? v : json_null();
}

static const char audit_columns[] =
    "SELECT id, at, actor_id, actor_name, action, entity, record_key, division_code,"
    " before_json, after_json FROM audit_log";

static json_t *entry_json(const DbRows *r, int i)
{
    json_t *j =
        json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)atoll(db_cell(r, i, 0)),
                  "at", db_cell(r, i, 1), "actor_id", (json_int_t)atoll(db_cell(r, i, 2)), "actor",
                  db_cell(r, i, 3), "action", db_cell(r, i, 4), "entity", db_cell(r, i, 5),
                  "record_id", db_cell(r, i, 6));
    json_object_set_new(j, "division_code",
                        db_cell(r, i, 7) ? json_string(db_cell(r, i, 7)) : json_null());
    json_object_set_new(j, "before", parsed_or_null(db_cell(r, i, 8)));
    json_object_set_new(j, "after", parsed_or_null(db_cell(r, i, 9)));
    return j;
}

static int read_paging(Req *req, int *page, int *size, Error *err)
{
    const char *p = req_query(req, "page"), *s = req_query(req, "page_size");
    *page = p ? atoi(p) : 1;
    *size = s ? atoi(s) : 20;
    if (*page < 1 || *size < 1 || *size > 500)
        return error_set(err, 400, "bad_paging", "分页参数错误（page ≥ 1，page_size 1–500）",
                         "page must be >= 1 and page_size 1-500");
    return 0;
}

static int handle_audit_list(Req *req, Resp *resp, Error *err)
{
    AuditQuery aq;
    int page, size;
    if (read_paging(req, &page, &size, err) < 0 || build_query(req, &aq, err) < 0)
        return -1;
    int64_t total = 0;
    DbRows rows = {0};
    int n = aq.nparams;
    aq.params[n] = db_int(size);
    aq.params[n + 1] = db_int((int64_t)(page - 1) * size);
    const char *where = strbuf_cstr(&aq.where);
    StoreConn *c = store_acquire(req->store);
    int rc = store_query_int(c, arena_printf(req->arena, "SELECT count(*) FROM audit_log%s", where),
                             aq.params, n, &total, err);
    if (rc >= 0)
        rc = store_query(c, req->arena,
                         arena_printf(req->arena, "%s%s ORDER BY id DESC LIMIT $%d OFFSET $%d",
                                      audit_columns, where, n + 1, n + 2),
                         aq.params, n + 2, &rows, err);
    store_release(req->store, c);
    strbuf_free(&aq.where);
    if (rc < 0)
        return -1;
    json_t *items = json_array();
    for (int i = 0; i < rows.nrows; i++)
        json_array_append_new(items, entry_json(&rows, i));
    return resp_json(resp, 200,
                     json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total,
                               "page", page, "page_size", size));
}

static void export_row(StrBuf *out, const DbRows *r, int i)
{
    static const int cols[] = {0, 1, 3, 4, 5, 6, 7, 8, 9};
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
        csv_write_field(out, db_cell(r, i, cols[k]) ? db_cell(r, i, cols[k]) : "", k == 0);
    csv_end_row(out);
}

static int handle_audit_export(Req *req, Resp *resp, Error *err)
{
    AuditQuery aq;
    if (build_query(req, &aq, err) < 0)
        return -1;
    DbRows rows;
    int n = aq.nparams;
    aq.params[n] = db_int(AUDIT_EXPORT_MAX);
    StoreConn *c = store_acquire(req->store);
    int rc = store_query(c, req->arena,
                         arena_printf(req->arena, "%s%s ORDER BY id LIMIT $%d", audit_columns,
                                      strbuf_cstr(&aq.where), n + 1),
                         aq.params, n + 1, &rows, err);
    store_release(req->store, c);
    strbuf_free(&aq.where);
    if (rc < 0)
        return -1;
    StrBuf out = STRBUF_INIT;
    strbuf_adds(&out, "\xEF\xBB\xBF");
    static const char *const header[] = {"序号", "时间（UTC）", "操作人", "操作",  "对象",
                                         "记录", "区划",        "变更前", "变更后"};
    for (size_t k = 0; k < sizeof header / sizeof header[0]; k++)
        csv_write_field(&out, header[k], k == 0);
    csv_end_row(&out);
    for (int i = 0; i < rows.nrows; i++)
        export_row(&out, &rows, i);
    resp->body = arena_strndup(req->arena, out.buf, out.len);
    resp->body_len = out.len;
    strbuf_free(&out);
    resp->content_type = "text/csv; charset=utf-8";
    resp_header(resp, "Content-Disposition", "attachment; filename=\"audit.csv\"");
    return 0;
}

static int handle_audit_verify(Req *req, Resp *resp, Error *err)
{
    AuditVerify v;
    StoreConn *c = store_acquire(req->store);
    int rc = audit_verify(c, &v, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_t *j = json_pack("{s:b, s:I}", "ok", v.broken_id == 0, "checked", (json_int_t)v.checked);
    if (v.broken_id) {
        json_object_set_new(j, "broken_id", json_integer(v.broken_id));
        json_object_set_new(j, "reason", json_string(v.reason));
    }
    return resp_json(resp, 200, j);
}

const Route audit_routes[] = {
    {"GET", "/api/v1/audit", handle_audit_list, ROLE_ADMIN, SCOPE_JURISDICTION, NULL,
     "审计日志查询", 0},
    {"GET", "/api/v1/audit/export.csv", handle_audit_export, ROLE_ADMIN, SCOPE_JURISDICTION, NULL,
     "导出审计日志", 0},
    {"GET", "/api/v1/audit/verify", handle_audit_verify, ROLE_ADMIN, SCOPE_LOGIN, NULL,
     "校验审计链完整性", 0},
};
const int audit_route_count = (int)(sizeof audit_routes / sizeof audit_routes[0]);
