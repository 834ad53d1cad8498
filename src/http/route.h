/* http/route — the contract between the HTTP layer and the modules.
 *
 * A module declares its routes in one static table of Route and registers it with
 * http_register_routes() at start-up (see app.c). The router matches method + pattern
 * (segments like ":id" capture path parameters), then — before any handler runs —
 * authenticates the request, checks the route's roles, and sets the actor whose
 * jurisdiction the entity engine applies to every read and write. Handlers never check
 * permissions themselves.
 *
 * A handler reads the Req, fills the Resp (normally resp->json, a new reference the
 * router sends and releases) and returns 0, or returns -1 with err filled; the router
 * turns err into the documented error body. All memory a handler needs for the request
 * comes from req->arena, freed after the response is sent. */
#ifndef YJ_HTTP_ROUTE_H
#define YJ_HTTP_ROUTE_H

#include "core/actor.h"
#include "core/arena.h"
#include "core/error.h"
#include "model/entity.h"
#include "store/store.h"

#include <jansson.h>

typedef enum {
    SCOPE_PUBLIC,       /* no login needed (login itself, health) */
    SCOPE_LOGIN,        /* any logged-in user; handler data is not jurisdictional */
    SCOPE_JURISDICTION, /* logged-in; records limited to the actor's jurisdiction */
} Scope;

#define REQ_MAX_PARAMS 4
#define RESP_MAX_HEADERS 4

typedef struct Route Route;

typedef struct Req {
    Arena *arena;
    Store *store;
    const Route *route;
    const char *method;
    const char *path;
    const char *request_id;
    const char *client_ip;
    const char *param_names[REQ_MAX_PARAMS];
    const char *param_values[REQ_MAX_PARAMS];
    int nparams;
    ListParam *query; /* decoded query string, in order */
    int nquery;
    const char *body; /* raw body (NUL-terminated), or NULL */
    size_t body_len;
    json_t *json;               /* parsed JSON body (borrowed; the router owns it), or NULL */
    const Actor *actor;         /* never NULL past the router for non-public routes */
    const char *session_token;  /* when the request carried one */
    const char *content_type;   /* Content-Type header, or NULL */
    const char *gateway_key;    /* X-Gateway-Key header (device credentials), or NULL */
    const char *channel_secret; /* X-Channel-Secret header (publication callbacks), or NULL */
    void *conn_ctx;             /* private to the server */
} Req;

typedef struct Resp {
    int status;       /* default 200 */
    json_t *json;     /* owned: the router sends and decrefs it */
    const char *body; /* or a raw body (arena or static) */
    size_t body_len;
    const char *content_type;
    const char *header_names[RESP_MAX_HEADERS];
    const char *header_values[RESP_MAX_HEADERS];
    int nheaders;
    int stream_events;               /* set by the SSE handler: the server streams change events */
    const char *stream_jurisdiction; /* with stream_events: the subscriber's prefix */
} Resp;

typedef int (*Handler)(Req *req, Resp *resp, Error *err);

struct Route {
    const char *method;
    const char *pattern; /* "/api/v1/users/:id" */
    Handler handler;
    unsigned roles; /* Role bits allowed; ignored for SCOPE_PUBLIC */
    Scope scope;
    const Entity *entity;   /* for the generic entity handlers, else NULL */
    const char *summary_zh; /* OpenAPI summary */
    unsigned flags;
};

enum {
    ROUTE_RAW_BODY = 1 << 0, /* body is not JSON (CSV upload); req->json stays NULL */
    ROUTE_NO_CSRF = 1 << 1,  /* cookie writes allowed without CSRF header (login) */
    /* Long handlers (bulk ingest): run on the server's work threads, not on the network
     * thread that owns the connection, so the other connections of that thread — live SSE
     * streams among them — are not held up while it runs. */
    ROUTE_OFFLOAD = 1 << 2,
};

void http_register_routes(const Route *routes, int n);
void http_register_entity(const Entity *e); /* for OpenAPI components */

/* Helpers for handlers. */
const char *req_param(const Req *req, const char *name); /* path parameter */
const char *req_query(const Req *req, const char *name); /* query parameter or NULL */
void resp_header(Resp *resp, const char *name, const char *value);
int resp_json(Resp *resp, int status, json_t *json); /* steals json; returns 0 */
/* Requires a JSON object body; -1 with a 400 error otherwise. */
int req_body_object_or_fail(const Req *req, Error *err);
/* Requires a JSON object body (or none) holding only the names in allowed (NULL-terminated);
 * -1 with a 400 (not an object) or 422 naming each unknown field otherwise. */
int req_body_fields_or_fail(const Req *req, const char *const *allowed, Error *err);
/* The request's ListQuery built from its query string. */
void req_list_query(const Req *req, ListQuery *lq);

/* Generic entity handlers: routes set .entity and use these. */
int entity_handle_list(Req *req, Resp *resp, Error *err);
int entity_handle_get(Req *req, Resp *resp, Error *err); /* path param "id" */
int entity_handle_create(Req *req, Resp *resp, Error *err);
int entity_handle_update(Req *req, Resp *resp, Error *err); /* PATCH, path param "id" */
int entity_handle_delete(Req *req, Resp *resp, Error *err);
int entity_handle_export(Req *req, Resp *resp, Error *err);         /* CSV */
int entity_handle_import(Req *req, Resp *resp, Error *err);         /* CSV body, ROUTE_RAW_BODY */
int entity_handle_export_geojson(Req *req, Resp *resp, Error *err); /* located entities */
int entity_handle_import_geojson(Req *req, Resp *resp, Error *err); /* GeoJSON, ROUTE_RAW_BODY */

/* Declares the six standard routes of an entity other than DELETE (for entities whose
 * deletion needs its own rules, or that are never deleted). */
#define ENTITY_ROUTES_NO_DELETE(ent, base, read_roles, write_roles)                                \
    {"GET", base, entity_handle_list, read_roles, SCOPE_JURISDICTION, ent, "列表查询", 0},         \
        {"GET",                                                                                    \
         base "/export.csv",                                                                       \
         entity_handle_export,                                                                     \
         read_roles,                                                                               \
         SCOPE_JURISDICTION,                                                                       \
         ent,                                                                                      \
         "导出CSV",                                                                                \
         0},                                                                                       \
        {"POST", base "/import.csv", entity_handle_import, write_roles, SCOPE_JURISDICTION,        \
         ent,    "导入CSV",          ROUTE_RAW_BODY},                                              \
        {"GET", base "/:id", entity_handle_get, read_roles, SCOPE_JURISDICTION, ent, "查看", 0},   \
        {"POST", base, entity_handle_create, write_roles, SCOPE_JURISDICTION, ent, "新建", 0},     \
    {                                                                                              \
        "PATCH", base "/:id", entity_handle_update, write_roles, SCOPE_JURISDICTION, ent, "修改",  \
            0                                                                                      \
    }

/* Declares the seven standard routes of an entity in a module's table. */
#define ENTITY_ROUTES(ent, base, read_roles, write_roles)                                          \
    ENTITY_ROUTES_NO_DELETE(ent, base, read_roles, write_roles),                                   \
    {                                                                                              \
        "DELETE", base "/:id", entity_handle_delete, write_roles, SCOPE_JURISDICTION, ent, "删除", \
            0                                                                                      \
    }

/* Declares the GeoJSON export and import of a located entity (Entity.lon_field/lat_field),
 * beside its ENTITY_ROUTES: GET base/export.geojson, POST base/import.geojson. */
#define ENTITY_GEO_ROUTES(ent, base, read_roles, write_roles)                                      \
    {"GET",                                                                                        \
     base "/export.geojson",                                                                       \
     entity_handle_export_geojson,                                                                 \
     read_roles,                                                                                   \
     SCOPE_JURISDICTION,                                                                           \
     ent,                                                                                          \
     "导出GeoJSON",                                                                                \
     0},                                                                                           \
    {                                                                                              \
        "POST", base "/import.geojson", entity_handle_import_geojson, write_roles,                 \
            SCOPE_JURISDICTION, ent, "导入GeoJSON", ROUTE_RAW_BODY                                 \
    }

#endif
