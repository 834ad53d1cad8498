/* modules/supplies/supplies — routes, handlers, migrations and the module; see supplies.h. */
#include "modules/supplies/supplies_internal.h"

#include <stdlib.h>
#include <string.h>

#define READ_ROLES (ROLE_ANY & ~ROLE_ENTERPRISE)
#define WRITE_ROLES (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)

/* ---- handlers ---------------------------------------------------------------------------- */

static json_t *body_or_empty(const Req *req)
{
    return req->json ? req->json : NULL;
}

typedef struct RebuildCtx {
    int fix;
    json_t *report;
} RebuildCtx;

static int rebuild_tx(Tx *tx, void *ctx, Error *err)
{
    RebuildCtx *rc = ctx;
    return supplies_rebuild(tx, rc->fix, &rc->report, err);
}

/* POST /api/v1/supply-stock/rebuild {"dry_run"?: bool} */
static int handle_rebuild(Req *req, Resp *resp, Error *err)
{
    static const char *const keys[] = {"dry_run", NULL};
    json_t *b = body_or_empty(req);
    RebuildCtx ctx = {1, NULL};
    if (b && !json_is_object(b))
        return error_set(err, 400, "bad_request", "请求体应为 JSON 对象", "a JSON object expected");
    if (b && supplies_only_keys(b, keys, err) < 0)
        return -1;
    json_t *dry = b ? json_object_get(b, "dry_run") : NULL;
    if (dry && !json_is_boolean(dry)) {
        error_field(err, "dry_run", "应为 true 或 false");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "validation failed");
    }
    ctx.fix = !json_is_true(dry);
    if (tx_run(req->store, req->actor, req->arena, rebuild_tx, &ctx, err) < 0)
        return -1;
    return resp_json(resp, 200, ctx.report);
}

/* GET /api/v1/supplies/expiring?days=30 */
static int handle_expiring(Req *req, Resp *resp, Error *err)
{
    const char *d = req_query(req, "days");
    long days = 30;
    if (d) {
        char *end = NULL;
        days = strtol(d, &end, 10);
        if (!*d || *end || days < 0 || days > 3650) {
            error_field(err, "days", "天数应为 0–3650 的整数");
            return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                             "days must be an integer 0-3650");
        }
    }
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = supplies_expiring(c, req->arena, req->actor, (int)days, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

typedef int (*ReadFn)(StoreConn *c, Arena *arena, const Actor *actor, json_t *body, json_t **out,
                      Error *err);

static int run_read(Req *req, Resp *resp, ReadFn fn, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = fn(c, req->arena, req->actor, req->json, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

static int handle_demand(Req *req, Resp *resp, Error *err)
{
    return run_read(req, resp, supplies_demand, err);
}

static int handle_propose(Req *req, Resp *resp, Error *err)
{
    return run_read(req, resp, supplies_propose, err);
}

typedef struct ReverseCtx {
    const char *id;
    json_t *body, *out;
} ReverseCtx;

static int reverse_tx(Tx *tx, void *ctx, Error *err)
{
    ReverseCtx *rc = ctx;
    return supplies_reverse(tx, rc->id, rc->body, &rc->out, err);
}

/* POST /api/v1/supply-movements/:id/reverse {"reason"?} */
static int handle_reverse(Req *req, Resp *resp, Error *err)
{
    if (req->json && !json_is_object(req->json))
        return error_set(err, 400, "bad_request", "请求体应为 JSON 对象", "a JSON object expected");
    ReverseCtx rc = {req_param(req, "id"), req->json, NULL};
    if (tx_run(req->store, req->actor, req->arena, reverse_tx, &rc, err) < 0)
        return -1;
    return resp_json(resp, 201, rc.out);
}

typedef struct ConfirmCtx {
    json_t *body, *out;
} ConfirmCtx;

static int confirm_tx(Tx *tx, void *ctx, Error *err)
{
    ConfirmCtx *cc = ctx;
    return supplies_confirm(tx, cc->body, &cc->out, err);
}

static int handle_confirm(Req *req, Resp *resp, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    ConfirmCtx cc = {req->json, NULL};
    if (tx_run(req->store, req->actor, req->arena, confirm_tx, &cc, err) < 0)
        return -1;
    return resp_json(resp, 201, cc.out);
}

/* ---- routes ------------------------------------------------------------------------------ */

#define MOVES "/api/v1/supply-movements"
#define STOCK "/api/v1/supply-stock"

static const Route routes[] = {
    ENTITY_ROUTES(&warehouses_entity, "/api/v1/warehouses", READ_ROLES, WRITE_ROLES),
    ENTITY_GEO_ROUTES(&warehouses_entity, "/api/v1/warehouses", READ_ROLES, WRITE_ROLES),
    ENTITY_ROUTES(&supply_items_entity, "/api/v1/supply-items", READ_ROLES, WRITE_ROLES),
    ENTITY_ROUTES(&supply_standards_entity, "/api/v1/supply-standards", READ_ROLES, WRITE_ROLES),
    ENTITY_ROUTES(&supplier_capacity_entity, "/api/v1/supplier-capacity", READ_ROLES, WRITE_ROLES),
    /* the ledger: append-only — no PATCH, no DELETE */
    {"GET", MOVES, entity_handle_list, READ_ROLES, SCOPE_JURISDICTION, &supply_movements_entity,
     "出入库台账", 0},
    {"GET", MOVES "/export.csv", entity_handle_export, READ_ROLES, SCOPE_JURISDICTION,
     &supply_movements_entity, "导出出入库台账", 0},
    {"POST", MOVES "/import.csv", entity_handle_import, WRITE_ROLES, SCOPE_JURISDICTION,
     &supply_movements_entity, "导入出入库记录（逐条记账，全部成功或全部不导入）", ROUTE_RAW_BODY},
    {"GET", MOVES "/:id", entity_handle_get, READ_ROLES, SCOPE_JURISDICTION,
     &supply_movements_entity, "查看台账记录", 0},
    {"POST", MOVES, entity_handle_create, WRITE_ROLES, SCOPE_JURISDICTION, &supply_movements_entity,
     "记账：入库、出库、调拨、轮换、报废", 0},
    {"POST", MOVES "/:id/reverse", handle_reverse, WRITE_ROLES, SCOPE_JURISDICTION,
     &supply_movements_entity, "冲正：登记一笔相反的台账记录", 0},
    /* balances: derived, read-only */
    {"GET", STOCK, entity_handle_list, READ_ROLES, SCOPE_JURISDICTION, &supply_stock_entity,
     "库存余额", 0},
    {"GET", STOCK "/export.csv", entity_handle_export, READ_ROLES, SCOPE_JURISDICTION,
     &supply_stock_entity, "导出库存余额", 0},
    {"GET", STOCK "/:id", entity_handle_get, READ_ROLES, SCOPE_JURISDICTION, &supply_stock_entity,
     "查看库存余额", 0},
    {"POST", STOCK "/rebuild", handle_rebuild, ROLE_ADMIN, SCOPE_JURISDICTION, &supply_stock_entity,
     "按台账重算库存余额并报告差异", 0},
    {"GET", "/api/v1/supplies/expiring", handle_expiring, READ_ROLES, SCOPE_JURISDICTION, NULL,
     "临期物资批次（days 天内到期）", 0},
    {"POST", "/api/v1/supplies/demand", handle_demand, READ_ROLES, SCOPE_JURISDICTION, NULL,
     "按标准测算物资需求", 0},
    {"POST", "/api/v1/supplies/allocation/propose", handle_propose, READ_ROLES, SCOPE_JURISDICTION,
     NULL, "物资调配方案（按到达时间排序，标注 2 小时目标）", 0},
    {"POST", "/api/v1/supplies/allocation/confirm", handle_confirm, WRITE_ROLES, SCOPE_JURISDICTION,
     NULL, "确认调配：一次事务记入全部调拨/出库", 0},
};

static void supplies_register_routes(void)
{
    http_register_entity(&warehouses_entity);
    http_register_entity(&supply_items_entity);
    http_register_entity(&supply_movements_entity);
    http_register_entity(&supply_stock_entity);
    http_register_entity(&supplier_capacity_entity);
    http_register_entity(&supply_standards_entity);
    http_register_routes(routes, (int)(sizeof routes / sizeof routes[0]));
}

/* ---- migrations -------------------------------------------------------------------------- */

static int create_warehouses(StoreConn *c, Error *err)
{
    return entity_create_table(c, &warehouses_entity, err);
}

static int create_items(StoreConn *c, Error *err)
{
    return entity_create_table(c, &supply_items_entity, err);
}

static int create_movements(StoreConn *c, Error *err)
{
    return entity_create_table(c, &supply_movements_entity, err);
}

static int create_stock(StoreConn *c, Error *err)
{
    if (entity_create_table(c, &supply_stock_entity, err) < 0)
        return -1;
    return store_exec_script(c,
                             "CREATE UNIQUE INDEX supply_stock_key ON supply_stock"
                             " (warehouse_id, item_id, batch_no);"
                             "CREATE INDEX supply_stock_expiry ON supply_stock (expiry_date);",
                             err);
}

static int create_capacity(StoreConn *c, Error *err)
{
    return entity_create_table(c, &supplier_capacity_entity, err);
}

static int create_standards(StoreConn *c, Error *err)
{
    return entity_create_table(c, &supply_standards_entity, err);
}

static const Migration migrations[] = {
    {1, "create warehouses", NULL, NULL, create_warehouses},
    {2, "create supply_items", NULL, NULL, create_items},
    {3, "create supply_movements", NULL, NULL, create_movements},
    {4, "create supply_stock", NULL, NULL, create_stock},
    {5, "create supplier_capacity", NULL, NULL, create_capacity},
    {6, "create supply_standards", NULL, NULL, create_standards},
};

static int supplies_migrate(Store *store, Error *err)
{
    return store_migrate(store, "supplies", migrations,
                         (int)(sizeof migrations / sizeof migrations[0]), err);
}

const Module supplies_module = {
    .name = "supplies",
    .migrate = supplies_migrate,
    .register_routes = supplies_register_routes,
    .start = supplies_start,
    .demo = supplies_demo,
};
