/* modules/incidents/routes — the route table, handlers, migrations, start-up and the module;
 * see incidents.h. */
#include "modules/incidents/incidents_internal.h"

#include "core/fileio.h"
#include "core/log.h"
#include "flow/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ INCIDENTS_READ
#define WRITE INCIDENTS_WRITE
#define CMD (ROLE_ADMIN | ROLE_COMMANDER)
#define INC "/api/v1/incidents"
#define REP "/api/v1/incident_reports"
#define ATT "/api/v1/incident_attachments"
#define ETY "/api/v1/event_types"

/* ---- handlers ---------------------------------------------------------------------------- */

typedef int (*WriteFn)(Tx *tx, Req *req, json_t **out, Error *err);
typedef struct Call {
    WriteFn fn;
    Req *req;
    json_t *out;
} Call;

static int call_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    return c->fn(tx, c->req, &c->out, err);
}

static int in_tx(Req *req, Resp *resp, WriteFn fn, int status, Error *err)
{
    Call c = {fn, req, NULL};
    if (tx_run(req->store, req->actor, req->arena, call_tx, &c, err) < 0) {
        json_decref(c.out);
        return -1;
    }
    return resp_json(resp, status, c.out);
}

static int body_or_fail(Req *req, Error *err)
{
    return req_body_object_or_fail(req, err);
}

static int do_create(Tx *tx, Req *req, json_t **out, Error *err)
{
    return incident_record(tx, req->json, out, err);
}

static int handle_create(Req *req, Resp *resp, Error *err)
{
    return body_or_fail(req, err) < 0 ? -1 : in_tx(req, resp, do_create, 201, err);
}

static int do_update(Tx *tx, Req *req, json_t **out, Error *err)
{
    return incident_update(tx, req_param(req, "id"), req->json, out, err);
}

static int handle_update(Req *req, Resp *resp, Error *err)
{
    return body_or_fail(req, err) < 0 ? -1 : in_tx(req, resp, do_update, 200, err);
}

static int do_action(Tx *tx, Req *req, json_t **out, Error *err)
{
    const char *path = req->path, *slash = strrchr(path, '/');
    return incident_action(tx, req_param(req, "id"), slash ? slash + 1 : "", req->json, out, err);
}

static int handle_action(Req *req, Resp *resp, Error *err)
{
    if (req->json && !json_is_object(req->json))
        return body_or_fail(req, err);
    return in_tx(req, resp, do_action, 200, err);
}

static int do_level(Tx *tx, Req *req, json_t **out, Error *err)
{
    return incident_set_response_level(tx, req_param(req, "id"), req->json, out, err);
}

static int handle_level(Req *req, Resp *resp, Error *err)
{
    return body_or_fail(req, err) < 0 ? -1 : in_tx(req, resp, do_level, 200, err);
}

static int handle_get(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &incidents_entity, req->actor, req_param(req, "id"), &out, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_object_set_new(out, "actions",
                        workflow_actions(&incident_flow,
                                         json_string_value(json_object_get(out, "status")),
                                         req->actor));
    const char *st = json_string_value(json_object_get(out, "status"));
    json_object_set_new(out, "can_set_response_level",
                        json_boolean((req->actor->role & CMD) && st && strcmp(st, "closed")));
    return resp_json(resp, 200, out);
}

/* A list of a child entity filtered by the incident (which must be visible). */
static int child_list(Req *req, Resp *resp, const Entity *e, const char *sort, Error *err)
{
    json_t *inc = NULL, *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &incidents_entity, req->actor, req_param(req, "id"), &inc, err);
    if (rc == 0) {
        ListParam f[] = {{"incident_id", req_param(req, "id")}};
        ListQuery lq = {NULL, 1, 500, sort, f, 1};
        rc = entity_list(c, req->arena, e, req->actor, &lq, &out, err);
    }
    store_release(req->store, c);
    json_decref(inc);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

static int handle_timeline(Req *req, Resp *resp, Error *err)
{
    return child_list(req, resp, &incident_events_entity, "at", err);
}

static int handle_reports_of(Req *req, Resp *resp, Error *err)
{
    return child_list(req, resp, &incident_reports_entity, "id", err);
}

static int handle_stats(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = incident_stats(c, req->arena, req->actor, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

static int do_report_create(Tx *tx, Req *req, json_t **out, Error *err)
{
    return incident_report_create(tx, req->json, out, err);
}

static int handle_report_create(Req *req, Resp *resp, Error *err)
{
    return body_or_fail(req, err) < 0 ? -1 : in_tx(req, resp, do_report_create, 201, err);
}

static const char *const no_keys[] = {NULL};

static int do_report_send(Tx *tx, Req *req, json_t **out, Error *err)
{
    if (incidents_only_keys(req->json, no_keys, err) < 0)
        return -1;
    return incident_report_send(tx, req_param(req, "id"), 0, out, err);
}

static int handle_report_send(Req *req, Resp *resp, Error *err)
{
    return in_tx(req, resp, do_report_send, 200, err);
}

/* GeoJSON import: the engine's all-or-nothing import, then every new incident gets what an
 * intake gives it (timeline, reporting clock) in the same transaction. */
static int handle_import_geojson(Req *req, Resp *resp, Error *err)
{
    if (!req->body || req->body_len == 0)
        return error_set(err, 400, "empty_body", "请上传 GeoJSON 文件内容",
                         "GeoJSON body required");
    ImportResult result = {0};
    StoreConn *c = store_acquire(req->store);
    Tx tx;
    int rc = tx_begin(&tx, c, req->actor, req->arena, err);
    if (rc == 0) {
        rc = entity_import_geojson(&tx, &incidents_entity, req->body, req->body_len, &result, err);
        if (rc == 0)
            rc = incidents_after_import(&tx, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    store_release(req->store, c);
    if (rc < 0) {
        if (result.row_errors && !err->rows)
            err->rows = json_incref(result.row_errors);
        import_result_clear(&result);
        return -1;
    }
    json_t *out = json_pack("{s:i, s:i}", "rows_total", result.rows_total, "rows_imported",
                            result.rows_imported);
    import_result_clear(&result);
    return resp_json(resp, 200, out);
}

/* ---- routes ------------------------------------------------------------------------------ */

static const Route routes[] = {
    /* event types (reference data) */
    {"GET", ETY, entity_handle_list, ROLE_ANY, SCOPE_LOGIN, &event_types_entity,
     "突发事件分类（GB/T 35561）", 0},
    {"GET", ETY "/export.csv", entity_handle_export, ROLE_ANY, SCOPE_LOGIN, &event_types_entity,
     "导出突发事件分类", 0},
    {"POST", ETY "/import.csv", entity_handle_import, ROLE_ADMIN, SCOPE_LOGIN, &event_types_entity,
     "导入突发事件分类（按代码新增或更正）", ROUTE_RAW_BODY},
    {"POST", ETY, entity_handle_create, ROLE_ADMIN, SCOPE_LOGIN, &event_types_entity,
     "新增事件分类", 0},
    /* incidents */
    {"GET", INC "/stats", handle_stats, READ, SCOPE_JURISDICTION, &incidents_entity,
     "事件统计（按等级、状态，迟报数）", 0},
    {"GET", INC, entity_handle_list, READ, SCOPE_JURISDICTION, &incidents_entity, "事件列表", 0},
    {"GET", INC "/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION, &incidents_entity,
     "导出事件", 0},
    {"GET", INC "/export.geojson", entity_handle_export_geojson, READ, SCOPE_JURISDICTION,
     &incidents_entity, "导出事件 GeoJSON", 0},
    {"POST", INC "/import.geojson", handle_import_geojson, WRITE, SCOPE_JURISDICTION,
     &incidents_entity, "导入事件 GeoJSON（新事件按接警登记处理）", ROUTE_RAW_BODY},
    {"GET", INC "/:id", handle_get, READ, SCOPE_JURISDICTION, &incidents_entity,
     "查看事件（含可执行的操作）", 0},
    {"POST", INC, handle_create, WRITE, SCOPE_JURISDICTION, &incidents_entity,
     "接警登记（自动定级、启动报送时限）", 0},
    {"PATCH", INC "/:id", handle_update, WRITE, SCOPE_JURISDICTION, &incidents_entity,
     "修改事件信息（重新定级）", 0},
    {"POST", INC "/:id/verify", handle_action, WRITE, SCOPE_JURISDICTION, &incidents_entity, "核实",
     0},
    {"POST", INC "/:id/respond", handle_action, CMD, SCOPE_JURISDICTION, &incidents_entity,
     "启动处置", 0},
    {"POST", INC "/:id/close", handle_action, CMD, SCOPE_JURISDICTION, &incidents_entity,
     "结案（须填写总结评估 evaluation）", 0},
    {"POST", INC "/:id/response-level", handle_level, ROLE_COMMANDER, SCOPE_JURISDICTION,
     &incidents_entity, "指挥长确定响应级别（I–IV）", 0},
    {"GET", INC "/:id/timeline", handle_timeline, READ, SCOPE_JURISDICTION, &incidents_entity,
     "事件时间线", 0},
    {"GET", INC "/:id/reports", handle_reports_of, READ, SCOPE_JURISDICTION, &incidents_entity,
     "事件的信息报送", 0},
    {"GET", INC "/:id/attachments", incidents_handle_attachment_list, READ, SCOPE_JURISDICTION,
     &incidents_entity, "事件附件列表", 0},
    /* photos and recordings also come from the field (team members, information officers,
     * inspectors) through the phone page /m/report/:id */
    {"POST", INC "/:id/attachments", incidents_handle_upload,
     WRITE | ROLE_TEAM_MEMBER | ROLE_INFO_OFFICER | ROLE_INSPECTOR, SCOPE_JURISDICTION,
     &incidents_entity, "上传附件（?name=文件名&type=类型，原始字节，≤20 MiB）", ROUTE_RAW_BODY},
    /* attachments */
    {"GET", ATT, entity_handle_list, READ, SCOPE_JURISDICTION, &incident_attachments_entity,
     "附件列表", 0},
    {"GET", ATT "/:id", incidents_handle_download, READ, SCOPE_JURISDICTION,
     &incident_attachments_entity, "下载附件", 0},
    /* reports */
    {"GET", REP, entity_handle_list, READ, SCOPE_JURISDICTION, &incident_reports_entity,
     "信息报送列表", 0},
    {"GET", REP "/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION,
     &incident_reports_entity, "导出信息报送", 0},
    {"GET", REP "/:id", entity_handle_get, READ, SCOPE_JURISDICTION, &incident_reports_entity,
     "查看报告", 0},
    {"POST", REP, handle_report_create, WRITE, SCOPE_JURISDICTION, &incident_reports_entity,
     "拟写报告（生成文号）", 0},
    {"PATCH", REP "/:id", entity_handle_update, WRITE, SCOPE_JURISDICTION, &incident_reports_entity,
     "修改报告（报送后不可修改）", 0},
    {"POST", REP "/:id/send", handle_report_send, WRITE, SCOPE_JURISDICTION,
     &incident_reports_entity, "报送（内容冻结，判定是否迟报）", 0},
};

static const Entity *const entities[] = {
    &event_types_entity,          &incidents_entity,        &incident_events_entity,
    &incident_attachments_entity, &incident_reports_entity,
};
#define NENTITIES ((int)(sizeof entities / sizeof entities[0]))

static void incidents_register_routes(void)
{
    for (int i = 0; i < NENTITIES; i++)
        http_register_entity(entities[i]);
    http_register_routes(routes, (int)(sizeof routes / sizeof routes[0]));
}

/* ---- migrations -------------------------------------------------------------------------- */

static int create_tables(StoreConn *c, Error *err)
{
    for (int i = 0; i < NENTITIES; i++)
        if (entity_create_table(c, entities[i], err) < 0)
            return -1;
    return store_exec_script(c,
                             "CREATE INDEX incident_events_timeline ON incident_events"
                             " (incident_id, at)",
                             err);
}

static const Migration migrations[] = {
    {1, "create event_types, incidents, timeline, attachments, reports", NULL, NULL, create_tables},
};

static int incidents_migrate(Store *store, Error *err)
{
    return store_migrate(store, "incidents", migrations,
                         (int)(sizeof migrations / sizeof migrations[0]), err);
}

/* ---- start ------------------------------------------------------------------------------- */

int incident_load_event_types(Tx *tx, const char *path, int *n, Error *err)
{
    size_t len = 0;
    char *data = file_read_all(path, &len);
    if (!data)
        return error_setf(err, 400, "file_unreadable", "无法读取文件 %s", "cannot read %s", path,
                          path);
    ImportResult res = {0};
    int rc = entity_import_csv(tx, &event_types_entity, data, len, &res, err);
    free(data);
    if (n)
        *n = res.rows_imported;
    import_result_clear(&res);
    return rc;
}

static int autoload_tx(Tx *tx, void *ctx, Error *err)
{
    int64_t count = 0;
    if (store_query_int(tx->conn, "SELECT count(*) FROM event_types", NULL, 0, &count, err) < 0)
        return -1;
    if (count > 0)
        return 0;
    return incident_load_event_types(tx, INCIDENT_EVENT_TYPES_CSV, ctx, err);
}

static void incidents_start(Store *store)
{
    scheduler_register("incidents.report_due", incidents_report_due_job);
    if (access(INCIDENT_EVENT_TYPES_CSV, R_OK) != 0)
        return;
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    int n = 0;
    if (tx_run(store, &actor_system, &arena, autoload_tx, &n, &err) < 0) {
        log_error("incidents: loading %s: %s", INCIDENT_EVENT_TYPES_CSV, err.message_en);
        error_clear(&err);
    } else if (n > 0) {
        log_info("incidents: event_types was empty: loaded %d event types from %s", n,
                 INCIDENT_EVENT_TYPES_CSV);
    }
    arena_free(&arena);
}

const Module incidents_module = {
    .name = "incidents",
    .migrate = incidents_migrate,
    .register_routes = incidents_register_routes,
    .start = incidents_start,
    .demo = incidents_demo,
};
