/* http/router — route registry, matching, authentication, authorisation, error rendering.
 * Permission checks live here and only here: a handler runs only for an actor whose role
 * the route allows; its jurisdiction then limits every record the entity engine touches. */
#include "http/router.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 1024
#define MAX_ENTITIES 256

static const Route *routes[MAX_ROUTES];
static int nroutes;
static const Entity *entities[MAX_ENTITIES];
static int nentities;
static Authenticator authenticator;

void http_register_routes(const Route *table, int n)
{
    for (int i = 0; i < n; i++) {
        if (nroutes == MAX_ROUTES) {
            log_error("too many routes");
            abort();
        }
        routes[nroutes++] = &table[i];
        if (table[i].entity)
            http_register_entity(table[i].entity);
    }
}

void http_register_entity(const Entity *e)
{
    for (int i = 0; i < nentities; i++)
        if (entities[i] == e)
            return;
    if (nentities < MAX_ENTITIES)
        entities[nentities++] = e;
}

const Route *const *http_routes(int *n)
{
    *n = nroutes;
    return routes;
}

const Entity *const *http_entities(int *n)
{
    *n = nentities;
    return entities;
}

void http_set_authenticator(Authenticator auth)
{
    authenticator = auth;
}

/* Matches "/api/v1/users/:id" against "/api/v1/users/42"; captures into req. */
static int pattern_match(const char *pattern, const char *path, Req *req)
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == ':') {
            const char *name = ++p;
            while (*p && *p != '/')
                p++;
            const char *val = s;
            while (*s && *s != '/')
                s++;
            if (s == val || np == REQ_MAX_PARAMS)
                return 0;
            if (req) {
                req->param_names[np] = arena_strndup(req->arena, name, (size_t)(p - name));
                req->param_values[np] = arena_strndup(req->arena, val, (size_t)(s - val));
            }
            np++;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    if (*p || *s)
        return 0;
    if (req)
        req->nparams = np;
    return 1;
}

const Route *router_match(const char *method, const char *path, Req *req, int *method_mismatch)
{
    *method_mismatch = 0;
    /* Literal segments win over parameters: "/users/export.csv" before "/users/:id". */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < nroutes; i++) {
            const Route *r = routes[i];
            int has_param = strchr(r->pattern, ':') != NULL;
            if (has_param != pass)
                continue;
            if (!pattern_match(r->pattern, path, NULL))
                continue;
            if (strcmp(r->method, method) != 0 &&
                !(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
                *method_mismatch = 1;
                continue;
            }
            if (req)
                pattern_match(r->pattern, path, req);
            return r;
        }
    }
    return NULL;
}

void router_render_error(Resp *resp, const Error *err)
{
    resp->status = err->status ? err->status : 500;
    json_decref(resp->json);
    resp->json = error_to_json(err);
    resp->body = NULL;
    resp->stream_events = 0;
}

static int authenticate(Store *store, const HttpIn *in, Req *req, Actor *actor, Error *err)
{
    const char *token = in->bearer ? in->bearer : in->cookie_token;
    if (!token || !*token)
        return error_set(err, 401, "unauthenticated", "请先登录", "login required");
    if (!authenticator)
        return error_internal(err, "no authenticator installed");
    const char *csrf = NULL;
    if (authenticator(store, req->arena, token, actor, &csrf, err) < 0)
        return -1;
    req->actor = actor;
    req->session_token = token;
    int writes = strcmp(in->method, "GET") != 0 && strcmp(in->method, "HEAD") != 0;
    /* Browsers send the cookie by themselves; a write must prove it came from our page. */
    if (writes && !in->bearer && !(req->route->flags & ROUTE_NO_CSRF) &&
        (!in->csrf_header || !csrf || strcmp(in->csrf_header, csrf) != 0))
        return error_set(err, 403, "csrf_failed", "页面已过期，请刷新后重试（CSRF 校验失败）",
                         "missing or wrong X-CSRF-Token header");
    if (!(req->route->roles & actor->role))
        return error_forbidden(err);
    return 0;
}

static int parse_body(const HttpIn *in, Req *req, Error *err)
{
    if (in->body_too_large)
        return error_set(err, 413, "body_too_large", "提交的数据过大", "request body too large");
    req->body = in->body;
    req->content_type = in->content_type;
    req->gateway_key = in->gateway_key;
    req->channel_secret = in->channel_secret;
    req->body_len = in->body_len;
    if (!in->body || in->body_len == 0 || (req->route->flags & ROUTE_RAW_BODY))
        return 0;
    json_error_t jerr;
    req->json = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req->json)
        return error_setf(err, 400, "bad_json",
                          "JSON 格式错误（第 %d 行第 %d 列）：请检查提交的数据",
                          "malformed JSON at line %d column %d", jerr.line, jerr.column);
    return 0;
}

void router_handle(Store *store, const HttpIn *in, Arena *arena, Resp *resp)
{
    Error err = ERROR_INIT;
    Req req = {0};
    Actor *actor = arena_alloc(arena, sizeof *actor);
    req.arena = arena;
    req.store = store;
    req.method = in->method;
    req.path = in->path;
    req.request_id = in->request_id;
    req.client_ip = in->client_ip;
    req.query = in->query;
    req.nquery = in->nquery;
    resp->status = 200;
    int mismatch;
    req.route = router_match(in->method, in->path, &req, &mismatch);
    if (!req.route) {
        if (mismatch)
            error_set(&err, 405, "method_not_allowed", "不支持的请求方法", "method not allowed");
        else
            error_set(&err, 404, "no_such_route", "接口不存在", "no such API route");
        goto fail;
    }
    if (req.route->scope != SCOPE_PUBLIC && authenticate(store, in, &req, actor, &err) < 0)
        goto fail;
    if (req.route->scope == SCOPE_PUBLIC && (in->bearer || in->cookie_token) && authenticator) {
        /* public routes may still know who calls (e.g. logout, me); failures are ignored */
        Error ignored = ERROR_INIT;
        const char *csrf;
        const char *tok = in->bearer ? in->bearer : in->cookie_token;
        if (authenticator(store, arena, tok, actor, &csrf, &ignored) == 0) {
            req.actor = actor;
            req.session_token = tok;
        }
        error_clear(&ignored);
    }
    if (parse_body(in, &req, &err) < 0)
        goto fail;
    if (req.route->handler(&req, resp, &err) < 0)
        goto fail;
    json_decref(req.json);
    return;
fail:
    json_decref(req.json);
    router_render_error(resp, &err);
    error_clear(&err);
}

const char *req_param(const Req *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

const char *req_query(const Req *req, const char *name)
{
    for (int i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

void resp_header(Resp *resp, const char *name, const char *value)
{
    if (resp->nheaders == RESP_MAX_HEADERS)
        return;
    resp->header_names[resp->nheaders] = name;
    resp->header_values[resp->nheaders] = value;
    resp->nheaders++;
}

int resp_json(Resp *resp, int status, json_t *json)
{
    json_decref(resp->json);
    resp->status = status;
    resp->json = json;
    return 0;
}

int req_body_object_or_fail(const Req *req, Error *err)
{
    if (!req->json || !json_is_object(req->json))
        return error_set(err, 400, "bad_json", "请求体应为 JSON 对象",
                         "body must be a JSON object");
    return 0;
}

int req_body_fields_or_fail(const Req *req, const char *const *allowed, Error *err)
{
    if (!req->json)
        return 0;
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(req->json, k, v)
    {
        int known = 0;
        for (int i = 0; allowed && allowed[i] && !known; i++)
            known = strcmp(allowed[i], k) == 0;
        if (!known) {
            if (!bad)
                error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                          "unknown field '%s'", k);
            error_field(err, k, "未知字段");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int parse_int(const char *s, int fallback)
{
    if (!s || !*s)
        return fallback;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 1000000)
        return -1; /* the entity engine refuses it with a clear message */
    return (int)v;
}

void req_list_query(const Req *req, ListQuery *lq)
{
    memset(lq, 0, sizeof *lq);
    lq->q = req_query(req, "q");
    lq->page = parse_int(req_query(req, "page"), 1);
    lq->page_size = parse_int(req_query(req, "page_size"), 20);
    lq->sort = req_query(req, "sort");
    lq->filters = req->query;
    lq->nfilters = req->nquery;
}
