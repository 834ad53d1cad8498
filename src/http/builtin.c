/* http/builtin — routes every deployment has: health, metrics, OpenAPI, live events,
 * metadata for UIs, public config, and (tests only) the clock. */
#include "core/clock.h"
#include "core/strbuf.h"
#include "flow/events.h"
#include "http/router.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* ---------- metrics ---------- */

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])
static atomic_ullong by_class[6]; /* 1xx..5xx */
static atomic_ullong bucket_counts[NBUCKETS + 1];
static atomic_ullong duration_us_total;
static atomic_ullong requests_total;
static int64_t started_at;

void metrics_count_request(int status, double seconds)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        atomic_fetch_add(&by_class[cls], 1);
    atomic_fetch_add(&requests_total, 1);
    atomic_fetch_add(&duration_us_total, (unsigned long long)(seconds * 1e6));
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add(&bucket_counts[b], 1);
}

static int handle_metrics(Req *req, Resp *resp, Error *err)
{
    (void)err;
    StrBuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "# HELP yingji_http_requests_total HTTP requests by status class.\n"
                     "# TYPE yingji_http_requests_total counter\n");
    for (int c = 1; c <= 5; c++)
        strbuf_addf(&sb, "yingji_http_requests_total{class=\"%dxx\"} %llu\n", c,
                    (unsigned long long)atomic_load(&by_class[c]));
    strbuf_adds(&sb, "# HELP yingji_http_request_duration_seconds Request latency.\n"
                     "# TYPE yingji_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += atomic_load(&bucket_counts[b]);
        strbuf_addf(&sb, "yingji_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    buckets[b], cum);
    }
    cum += atomic_load(&bucket_counts[NBUCKETS]);
    strbuf_addf(&sb, "yingji_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    strbuf_addf(&sb, "yingji_http_request_duration_seconds_sum %.6f\n",
                (double)atomic_load(&duration_us_total) / 1e6);
    strbuf_addf(&sb, "yingji_http_request_duration_seconds_count %llu\n",
                (unsigned long long)atomic_load(&requests_total));
    strbuf_addf(&sb,
                "# HELP yingji_sse_clients Open live-event streams.\n# TYPE yingji_sse_clients "
                "gauge\nyingji_sse_clients %d\n",
                http_sse_clients());
    strbuf_addf(&sb,
                "# HELP yingji_change_events_total Change events published.\n# TYPE "
                "yingji_change_events_total counter\nyingji_change_events_total %llu\n",
                (unsigned long long)events_published_total());
    strbuf_addf(&sb,
                "# HELP yingji_uptime_seconds Seconds since start.\n# TYPE yingji_uptime_seconds "
                "gauge\nyingji_uptime_seconds %lld\n",
                (long long)(clock_real_now_ms() / 1000 - started_at));
    resp->body = arena_strndup(req->arena, strbuf_cstr(&sb), sb.len);
    resp->body_len = sb.len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    strbuf_free(&sb);
    return 0;
}

/* ---------- health ---------- */

static int handle_healthz(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    int64_t one = 0;
    int rc = store_query_int(c, "SELECT 1", NULL, 0, &one, err);
    store_release(req->store, c);
    if (rc != 0) {
        error_clear(err);
        return error_set(err, 503, "store_unavailable", "数据库不可用", "store unavailable");
    }
    return resp_json(
        resp, 200,
        json_pack("{s:s, s:s}", "status", "ok", "store",
                  store_dialect(req->store) == DIALECT_SQLITE ? "sqlite" : "postgres"));
}

/* ---------- OpenAPI ---------- */

static json_t *openapi_path_params(const char *pattern)
{
    json_t *params = json_array();
    for (const char *p = strchr(pattern, ':'); p; p = strchr(p + 1, ':')) {
        const char *end = strchr(p, '/');
        int n = end ? (int)(end - p - 1) : (int)strlen(p + 1);
        char name[64];
        snprintf(name, sizeof name, "%.*s", n, p + 1);
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in",
                                                "path", "required", 1, "schema", "type", "string"));
    }
    return params;
}

static char *openapi_path(Arena *a, const char *pattern)
{
    StrBuf sb = STRBUF_INIT;
    for (const char *p = pattern; *p; p++) {
        if (*p == ':') {
            strbuf_addch(&sb, '{');
            p++;
            while (*p && *p != '/')
                strbuf_addch(&sb, *p++);
            strbuf_addch(&sb, '}');
            p--;
        } else {
            strbuf_addch(&sb, *p);
        }
    }
    char *out = arena_strdup(a, strbuf_cstr(&sb));
    strbuf_free(&sb);
    return out;
}

static json_t *roles_json(unsigned roles)
{
    json_t *arr = json_array();
    for (int i = 0; i < role_count; i++)
        if (roles & role_table[i].role)
            json_array_append_new(arr, json_string(role_table[i].name));
    return arr;
}

static int handle_openapi(Req *req, Resp *resp, Error *err)
{
    (void)err;
    json_t *paths = json_object();
    int n;
    const Route *const *rs = http_routes(&n);
    for (int i = 0; i < n; i++) {
        const Route *r = rs[i];
        char *path = openapi_path(req->arena, r->pattern);
        json_t *item = json_object_get(paths, path);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        char method[16];
        size_t k;
        for (k = 0; k < sizeof method - 1 && r->method[k]; k++)
            method[k] = (char)(r->method[k] | 0x20);
        method[k] = 0;
        json_t *op = json_pack(
            "{s:s, s:o, s:{s:{s:s}}}", "summary", r->summary_zh ? r->summary_zh : "", "parameters",
            openapi_path_params(r->pattern), "responses", "200", "description", "OK");
        if (r->entity) {
            json_object_set_new(op, "tags", json_pack("[s]", r->entity->label_zh));
            json_object_set_new(op, "x-entity", json_string(r->entity->table));
        }
        if (r->scope != SCOPE_PUBLIC) {
            json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "cookie"));
            json_object_set_new(op, "x-roles", roles_json(r->roles));
            json_object_set_new(op, "x-jurisdiction", json_boolean(r->scope == SCOPE_JURISDICTION));
        }
        json_object_set_new(item, method, op);
    }
    json_t *schemas = json_object();
    const Entity *const *es = http_entities(&n);
    for (int i = 0; i < n; i++)
        json_object_set_new(schemas, es[i]->table, entity_openapi_schema(es[i]));
    json_object_set_new(
        schemas, "Error",
        json_pack("{s:s, s:{s:{s:s}}}", "type", "object", "properties", "error", "type", "object"));
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:o, s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}}", "openapi",
        "3.0.3", "info", "title", "Yingji 应急管理综合应用平台 API", "version", "1", "description",
        "All routes under /api/v1. Errors: {\"error\":{code,message,message_en,fields}}.", "paths",
        paths, "components", "schemas", schemas, "securitySchemes", "bearer", "type", "http",
        "scheme", "bearer", "cookie", "type", "apiKey", "in", "cookie", "name", "yingji_session");
    return resp_json(resp, 200, doc);
}

/* ---------- SSE, metadata, config ---------- */

static int handle_events(Req *req, Resp *resp, Error *err)
{
    (void)err;
    resp->stream_events = 1;
    resp->stream_jurisdiction = req->actor->jurisdiction;
    return 0;
}

static int handle_meta_roles(Req *req, Resp *resp, Error *err)
{
    (void)req;
    (void)err;
    json_t *arr = json_array();
    for (int i = 0; i < role_count; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "value", role_table[i].name,
                                             "label", role_table[i].label_zh, "label_en",
                                             role_table[i].label_en));
    return resp_json(resp, 200, json_pack("{s:o}", "items", arr));
}

static int handle_meta_entities(Req *req, Resp *resp, Error *err)
{
    (void)req;
    (void)err;
    json_t *obj = json_object();
    int n;
    const Entity *const *es = http_entities(&n);
    for (int i = 0; i < n; i++)
        json_object_set_new(obj, es[i]->plural,
                            json_pack("{s:s, s:s, s:o}", "label", es[i]->label_zh, "label_en",
                                      es[i]->label_en, "fields", entity_meta_json(es[i])));
    return resp_json(resp, 200, obj);
}

static char cfg_platform[128] = "应急管理综合应用平台";
static char cfg_tile_url[512];

void http_set_public_config(const char *platform_name, const char *tile_url)
{
    if (platform_name)
        snprintf(cfg_platform, sizeof cfg_platform, "%s", platform_name);
    if (tile_url)
        snprintf(cfg_tile_url, sizeof cfg_tile_url, "%s", tile_url);
}

static int handle_config(Req *req, Resp *resp, Error *err)
{
    (void)req;
    (void)err;
    return resp_json(resp, 200,
                     json_pack("{s:s, s:s, s:s}", "platform_name", cfg_platform, "tile_url",
                               cfg_tile_url, "timezone", "Asia/Shanghai"));
}

/* Test-only: shift the platform clock. Registered only with --test-clock. */
static int handle_test_clock(Req *req, Resp *resp, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    json_t *off = json_object_get(req->json, "offset_seconds");
    if (!json_is_integer(off))
        return error_set(err, 422, "validation_failed", "offset_seconds 应为整数",
                         "offset_seconds must be an integer");
    clock_set_offset(json_integer_value(off));
    return resp_json(resp, 200, json_pack("{s:I}", "now", (json_int_t)clock_now()));
}

static const Route builtin_routes[] = {
    {"GET", "/healthz", handle_healthz, 0, SCOPE_PUBLIC, NULL, "健康检查", 0},
    {"GET", "/metrics", handle_metrics, 0, SCOPE_PUBLIC, NULL, "运行指标（Prometheus）", 0},
    {"GET", "/api/v1/openapi.json", handle_openapi, 0, SCOPE_PUBLIC, NULL, "接口说明（OpenAPI）",
     0},
    {"GET", "/api/v1/config", handle_config, 0, SCOPE_PUBLIC, NULL, "平台公开配置", 0},
    {"GET", "/api/v1/events", handle_events, ROLE_ANY, SCOPE_JURISDICTION, NULL,
     "实时变更事件（SSE）", 0},
    {"GET", "/api/v1/meta/roles", handle_meta_roles, ROLE_ANY, SCOPE_LOGIN, NULL, "角色列表", 0},
    {"GET", "/api/v1/meta/entities", handle_meta_entities, ROLE_ANY, SCOPE_LOGIN, NULL, "数据字典",
     0},
};

static const Route test_routes[] = {
    {"POST", "/api/v1/test/clock", handle_test_clock, 0, SCOPE_PUBLIC, NULL, "测试：调整时钟",
     ROUTE_NO_CSRF},
};

void http_register_builtin(const ServerConfig *cfg)
{
    started_at = clock_real_now_ms() / 1000;
    http_register_routes(builtin_routes, (int)(sizeof builtin_routes / sizeof builtin_routes[0]));
    if (cfg->test_clock)
        http_register_routes(test_routes, 1);
}
