/* http/entity_handlers — the seven generic routes of an entity (list, export, import, get,
 * create, update, delete). Each takes a store connection for the request, runs the entity
 * engine with the request's actor (whose jurisdiction the engine applies), and gives the
 * connection back. Writes run in one Tx: the change, its audit entry and its event. */
#include "core/log.h"
#include "flow/tx.h"
#include "http/route.h"

#include <stdio.h>
#include <string.h>

int entity_handle_list(Req *req, Resp *resp, Error *err)
{
    ListQuery lq;
    req_list_query(req, &lq);
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_list(c, req->arena, req->route->entity, req->actor, &lq, &out, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    return resp_json(resp, 200, out);
}

int entity_handle_get(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, req->route->entity, req->actor, req_param(req, "id"), &out, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    return resp_json(resp, 200, out);
}

typedef int (*WriteFn)(Tx *tx, Req *req, json_t **out, Error *err);

/* Runs fn inside one transaction on a pooled connection. */
static int in_tx(Req *req, WriteFn fn, json_t **out, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    Tx tx;
    int rc = tx_begin(&tx, c, req->actor, req->arena, err);
    if (rc == 0) {
        rc = fn(&tx, req, out, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    store_release(req->store, c);
    return rc;
}

static int do_create(Tx *tx, Req *req, json_t **out, Error *err)
{
    return entity_create(tx, req->route->entity, req->json, out, err);
}

static int do_update(Tx *tx, Req *req, json_t **out, Error *err)
{
    return entity_update(tx, req->route->entity, req_param(req, "id"), req->json, out, err);
}

static int do_delete(Tx *tx, Req *req, json_t **out, Error *err)
{
    (void)out;
    return entity_delete(tx, req->route->entity, req_param(req, "id"), err);
}

int entity_handle_create(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    if (req_body_object_or_fail(req, err) < 0 || in_tx(req, do_create, &out, err) < 0)
        return -1;
    return resp_json(resp, 201, out);
}

int entity_handle_update(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    if (req_body_object_or_fail(req, err) < 0 || in_tx(req, do_update, &out, err) < 0)
        return -1;
    return resp_json(resp, 200, out);
}

int entity_handle_delete(Req *req, Resp *resp, Error *err)
{
    if (in_tx(req, do_delete, NULL, err) < 0)
        return -1;
    resp->status = 204;
    return 0;
}

int entity_handle_export(Req *req, Resp *resp, Error *err)
{
    ListQuery lq;
    req_list_query(req, &lq);
    StrBuf sb = STRBUF_INIT;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_export_csv(c, req->arena, req->route->entity, req->actor, &lq, &sb, err);
    store_release(req->store, c);
    if (rc < 0) {
        strbuf_free(&sb);
        return -1;
    }
    resp->body = arena_strndup(req->arena, strbuf_cstr(&sb), sb.len);
    resp->body_len = sb.len;
    strbuf_free(&sb);
    resp->content_type = "text/csv; charset=utf-8";
    resp_header(
        resp, "Content-Disposition",
        arena_printf(req->arena, "attachment; filename=\"%s.csv\"", req->route->entity->plural));
    return 0;
}

typedef int (*ImportFn)(Tx *tx, const Entity *e, const char *data, size_t len, ImportResult *result,
                        Error *err);

/* Runs an all-or-nothing import of the request body in one transaction. */
static int import_body(Req *req, Resp *resp, ImportFn fn, Error *err)
{
    ImportResult result = {0};
    StoreConn *c = store_acquire(req->store);
    Tx tx;
    int rc = tx_begin(&tx, c, req->actor, req->arena, err);
    if (rc == 0) {
        rc = fn(&tx, req->route->entity, req->body, req->body_len, &result, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    store_release(req->store, c);
    if (rc < 0) {
        if (result.row_errors && !err->rows) /* every bad row, its line and reason */
            err->rows = json_incref(result.row_errors);
        import_result_clear(&result);
        return -1;
    }
    json_t *out = json_pack("{s:i, s:i}", "rows_total", result.rows_total, "rows_imported",
                            result.rows_imported);
    import_result_clear(&result);
    return resp_json(resp, 200, out);
}

int entity_handle_import(Req *req, Resp *resp, Error *err)
{
    if (!req->body || req->body_len == 0)
        return error_set(err, 400, "empty_body", "请上传 CSV 文件内容", "CSV body required");
    return import_body(req, resp, entity_import_csv, err);
}

/* POST <base>/import.geojson — a FeatureCollection; {"rows_total", "rows_imported"} as for
 * CSV (rows = features), bad features listed in error.rows by number. */
int entity_handle_import_geojson(Req *req, Resp *resp, Error *err)
{
    if (!req->body || req->body_len == 0)
        return error_set(err, 400, "empty_body", "请上传 GeoJSON 文件内容",
                         "GeoJSON body required");
    return import_body(req, resp, entity_import_geojson, err);
}

/* GET <base>/export.geojson — the listed records as a FeatureCollection. */
int entity_handle_export_geojson(Req *req, Resp *resp, Error *err)
{
    ListQuery lq;
    req_list_query(req, &lq);
    StrBuf sb = STRBUF_INIT;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_export_geojson(c, req->arena, req->route->entity, req->actor, &lq, &sb, err);
    store_release(req->store, c);
    if (rc < 0) {
        strbuf_free(&sb);
        return -1;
    }
    resp->body = arena_strndup(req->arena, strbuf_cstr(&sb), sb.len);
    resp->body_len = sb.len;
    strbuf_free(&sb);
    resp->content_type = "application/geo+json; charset=utf-8";
    resp_header(resp, "Content-Disposition",
                arena_printf(req->arena, "attachment; filename=\"%s.geojson\"",
                             req->route->entity->plural));
    return 0;
}
