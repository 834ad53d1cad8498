/* modules/plans — routes, migrations and the module; see plans.h. */
#include "modules/plans/plans_internal.h"

#include "http/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ (ROLE_STAFF | ROLE_VIEWER | ROLE_INFO_OFFICER)
#define WRITE (ROLE_ADMIN | ROLE_COMMANDER)
#define REVIEW ROLE_ADMIN

/* ---- reads ------------------------------------------------------------------------------- */

static void annotate(json_t *plan, const char *today)
{
    json_object_set_new(plan, "revision_overdue",
                        json_boolean(plans_revision_overdue(plan, today)));
}

static int handle_list(Req *req, Resp *resp, Error *err)
{
    ListQuery lq;
    req_list_query(req, &lq);
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_list(c, req->arena, &plans_entity, req->actor, &lq, &out, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    char today[16];
    plans_today(today, sizeof today);
    size_t i;
    json_t *item;
    json_t *items = json_object_get(out, "items");
    json_array_foreach(items, i, item)
    {
        annotate(item, today);
    }
    return resp_json(resp, 200, out);
}

static int handle_get(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &plans_entity, req->actor, req_param(req, "id"), &out, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    char today[16];
    plans_today(today, sizeof today);
    annotate(out, today);
    json_object_set_new(out, "actions",
                        workflow_actions(&plans_flow,
                                         json_string_value(json_object_get(out, "state")),
                                         req->actor));
    return resp_json(resp, 200, out);
}

/* GET /api/v1/plans/:id/versions — {"current": n, "items": [frozen versions, newest first,
 * without their text]}; with ?version=N the frozen text of that version (handle_version). */
static int handle_version(Req *req, Resp *resp, Error *err);

static int handle_versions(Req *req, Resp *resp, Error *err)
{
    if (req_query(req, "version"))
        return handle_version(req, resp, err);
    json_t *plan = NULL, *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &plans_entity, req->actor, req_param(req, "id"), &plan, err);
    DbRows rows;
    if (rc == 0) {
        DbValue p[] = {db_int(json_integer_value(json_object_get(plan, "id")))};
        rc = store_query(c, req->arena,
                         "SELECT version, title, state, filed_at, note, frozen_by, created_at "
                         "FROM plan_versions WHERE plan_id = $1 ORDER BY version DESC",
                         p, 1, &rows, err);
    }
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(plan);
        return -1;
    }
    json_t *items = json_array();
    for (int r = 0; r < rows.nrows; r++) {
        json_t *it = json_pack("{s:I}", "version", (json_int_t)atoll(db_cell(&rows, r, 0)));
        for (int col = 1; col < rows.ncols; col++) {
            const char *v = db_cell(&rows, r, col);
            json_object_set_new(it, rows.names[col], v ? json_string(v) : json_null());
        }
        json_object_set_new(it, "frozen_at", json_deep_copy(json_object_get(it, "created_at")));
        json_object_del(it, "created_at");
        json_array_append_new(items, it);
    }
    out = json_pack("{s:O, s:o}", "current", json_object_get(plan, "version"), "items", items);
    json_decref(plan);
    return resp_json(resp, 200, out);
}

/* GET /api/v1/plans/:id/versions?version=N — the frozen text of one version:
 * {version, title, state, filed_at, note, frozen_by, frozen_at, plan: {…as it was}}. */
static int handle_version(Req *req, Resp *resp, Error *err)
{
    json_t *plan = NULL;
    const char *vs = req_query(req, "version");
    char *end = NULL;
    long long version = strtoll(vs, &end, 10);
    if (!*vs || *end)
        return error_not_found(err);
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &plans_entity, req->actor, req_param(req, "id"), &plan, err);
    DbRows rows;
    if (rc == 0) {
        DbValue p[] = {db_int(json_integer_value(json_object_get(plan, "id"))), db_int(version)};
        rc = store_query(c, req->arena,
                         "SELECT * FROM plan_versions WHERE plan_id = $1 AND version = $2", p, 2,
                         &rows, err);
    }
    store_release(req->store, c);
    json_decref(plan);
    if (rc < 0)
        return -1;
    if (rows.nrows == 0)
        return error_not_found(err);
    json_t *row = entity_row_json(&plan_versions_entity, &rows, 0);
    json_t *out = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "version", json_object_get(row, "version"),
        "title", json_object_get(row, "title"), "state", json_object_get(row, "state"), "filed_at",
        json_object_get(row, "filed_at"), "note", json_object_get(row, "note"), "frozen_by",
        json_object_get(row, "frozen_by"), "frozen_at", json_object_get(row, "created_at"), "plan",
        json_object_get(row, "snapshot"));
    json_decref(row);
    return resp_json(resp, 200, out);
}

static int handle_stats(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    for (int i = 0; i < req->nquery; i++) {
        const char *n = req->query[i].name;
        if (strcmp(n, "division") != 0 && strcmp(n, "level") != 0 && strcmp(n, "kind") != 0)
            return error_setf(err, 422, "unknown_filter", "不支持的查询参数：%s",
                              "unknown query parameter: %s", n, n);
    }
    StoreConn *c = store_acquire(req->store);
    int rc = plans_stats(c, req->arena, req->actor, req_query(req, "division"),
                         req_query(req, "level"), req_query(req, "kind"), NULL, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

static const char *body_text(const Req *req, const char *name, Error *err, int *bad)
{
    json_t *v = json_object_get(req->json, name);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "%s must be text", name);
        error_field(err, name, "应为文本");
        return NULL;
    }
    return json_string_value(v);
}

/* POST /api/v1/plans/match {event_type, response_level | grade, division_code, limit} */
static int handle_match(Req *req, Resp *resp, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach(req->json, k, v)
    {
        if (strcmp(k, "event_type") && strcmp(k, "response_level") && strcmp(k, "grade") &&
            strcmp(k, "division_code") && strcmp(k, "limit")) {
            error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                      "unknown field %s", k);
            error_field(err, k, "未知字段");
            return -1;
        }
    }
    int bad = 0;
    const char *et = body_text(req, "event_type", err, &bad);
    const char *rl = bad ? NULL : body_text(req, "response_level", err, &bad);
    const char *grade = bad ? NULL : body_text(req, "grade", err, &bad);
    const char *div = bad ? NULL : body_text(req, "division_code", err, &bad);
    if (bad)
        return -1;
    json_t *lim = json_object_get(req->json, "limit");
    int limit = json_is_integer(lim) ? (int)json_integer_value(lim) : 0;
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc =
        plans_match(c, req->arena, req->actor, et, rl && *rl ? rl : grade, div, limit, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

/* ---- workflow actions -------------------------------------------------------------------- */

typedef struct ActionCtx {
    const char *key, *action;
    json_t *input, *out;
} ActionCtx;

static int action_tx(Tx *tx, void *ctx, Error *err)
{
    ActionCtx *a = ctx;
    if (strcmp(a->action, "revise") == 0)
        return plans_revise(tx, a->key, a->input, &a->out, err);
    return plans_filing_action(tx, a->key, a->action, a->input, &a->out, err);
}

static int run_action(Req *req, Resp *resp, const char *action, Error *err)
{
    if (req->json && !json_is_object(req->json))
        return req_body_object_or_fail(req, err);
    ActionCtx a = {req_param(req, "id"), action, req->json, NULL};
    if (tx_run(req->store, req->actor, req->arena, action_tx, &a, err) < 0) {
        json_decref(a.out);
        return -1;
    }
    return resp_json(resp, 200, a.out);
}

static int handle_submit(Req *req, Resp *resp, Error *err)
{
    return run_action(req, resp, "submit", err);
}

static int handle_file(Req *req, Resp *resp, Error *err)
{
    return run_action(req, resp, "file", err);
}

static int handle_return(Req *req, Resp *resp, Error *err)
{
    return run_action(req, resp, "return", err);
}

static int handle_revise(Req *req, Resp *resp, Error *err)
{
    return run_action(req, resp, "revise", err);
}

/* ---- delete ------------------------------------------------------------------------------ */

/* Only a plan that never left the drafting desk goes: a draft or returned plan without frozen
 * versions (a filed plan is a record of the filing, 409 otherwise). */
static int delete_tx(Tx *tx, void *ctx, Error *err)
{
    const char *key = ctx;
    json_t *plan = NULL;
    if (entity_get(tx->conn, &plans_entity, tx->actor, key, &plan, err) < 0)
        return -1;
    const char *state = json_string_value(json_object_get(plan, "state"));
    int editable = state && (strcmp(state, "draft") == 0 || strcmp(state, "returned") == 0);
    DbValue p[] = {db_int(json_integer_value(json_object_get(plan, "id")))};
    json_decref(plan);
    int64_t versions = 0;
    if (store_query_int(tx->conn, "SELECT count(*) FROM plan_versions WHERE plan_id = $1", p, 1,
                        &versions, err) < 0)
        return -1;
    if (!editable || versions > 0)
        return error_set(err, 409, "plan_has_record",
                         "已报送或有备案版本的预案不能删除，可通过修订更新",
                         "a submitted plan or one with filed versions cannot be deleted");
    return entity_delete(tx, &plans_entity, key, err);
}

static int handle_delete(Req *req, Resp *resp, Error *err)
{
    if (tx_run(req->store, req->actor, req->arena, delete_tx, (void *)req_param(req, "id"), err) <
        0)
        return -1;
    resp->status = 204;
    return 0;
}

/* ---- routes ------------------------------------------------------------------------------ */

#define BASE "/api/v1/plans"
static const Route plan_routes[] = {
    {"GET", BASE "/stats", handle_stats, READ, SCOPE_JURISDICTION, &plans_entity,
     "预案备案率与按期修订率（各下级区划，目标 100%）", 0},
    {"POST", BASE "/match", handle_match, READ, SCOPE_JURISDICTION, &plans_entity,
     "预案智能匹配（事件类型、响应级别、区划）", 0},
    {"GET", BASE, handle_list, READ, SCOPE_JURISDICTION, &plans_entity, "列表查询", 0},
    {"GET", BASE "/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION, &plans_entity,
     "导出CSV", 0},
    {"POST", BASE "/import.csv", entity_handle_import, WRITE, SCOPE_JURISDICTION, &plans_entity,
     "导入CSV", ROUTE_RAW_BODY},
    {"GET", BASE "/:id", handle_get, READ, SCOPE_JURISDICTION, &plans_entity, "查看", 0},
    {"POST", BASE, entity_handle_create, WRITE, SCOPE_JURISDICTION, &plans_entity, "新建", 0},
    {"PATCH", BASE "/:id", entity_handle_update, WRITE, SCOPE_JURISDICTION, &plans_entity,
     "修改（草稿或退回状态）", 0},
    {"DELETE", BASE "/:id", handle_delete, WRITE, SCOPE_JURISDICTION, &plans_entity,
     "删除（未报送且无备案版本）", 0},
    {"POST", BASE "/:id/submit", handle_submit, WRITE, SCOPE_JURISDICTION, &plans_entity,
     "报送备案", 0},
    {"POST", BASE "/:id/file", handle_file, REVIEW, SCOPE_JURISDICTION, &plans_entity,
     "审查：予以备案", 0},
    {"POST", BASE "/:id/return", handle_return, REVIEW, SCOPE_JURISDICTION, &plans_entity,
     "审查：退回修改", 0},
    {"POST", BASE "/:id/revise", handle_revise, WRITE, SCOPE_JURISDICTION, &plans_entity,
     "修订（生成新版本）", 0},
    {"GET", BASE "/:id/versions", handle_versions, READ, SCOPE_JURISDICTION, &plans_entity,
     "历史版本（?version=N 取该版本全文）", 0},
};

static void plans_register_routes(void)
{
    http_register_entity(&plans_entity);
    http_register_routes(plan_routes, (int)(sizeof plan_routes / sizeof plan_routes[0]));
}

/* ---- migrations -------------------------------------------------------------------------- */

static int create_tables(StoreConn *c, Error *err)
{
    if (entity_create_table(c, &plans_entity, err) < 0 ||
        entity_create_table(c, &plan_versions_entity, err) < 0)
        return -1;
    return store_exec_script(c,
                             "CREATE UNIQUE INDEX IF NOT EXISTS plan_versions_plan_version_idx "
                             "ON plan_versions(plan_id, version)",
                             err);
}

static const Migration plan_migrations[] = {
    {1, "plans and their frozen versions", NULL, NULL, create_tables},
};

static int plans_migrate(Store *store, Error *err)
{
    return store_migrate(store, "plans", plan_migrations,
                         (int)(sizeof plan_migrations / sizeof plan_migrations[0]), err);
}

const Module plans_module = {
    .name = "plans",
    .migrate = plans_migrate,
    .register_routes = plans_register_routes,
    .start = NULL,
    .demo = plans_demo,
};
