/* http/server — the HTTP front door on libmicrohttpd (thread pool + epoll).
 *
 * Owns the daemon, the route table registry, authentication hook, request bodies (size
 * limits), JSON parsing (duplicate keys rejected), request ids, the access log, security
 * headers, static files of the built web UI with SPA fallback, Server-Sent Events at
 * /api/v1/events, /healthz, /metrics and /api/v1/openapi.json.
 *
 * Authentication is a hook the accounts module installs (http_set_authenticator), so this
 * layer knows nothing of users: given a session token it gets back an Actor (allocated in
 * the request arena) and the session's CSRF token. */
#ifndef YJ_HTTP_SERVER_H
#define YJ_HTTP_SERVER_H

#include "http/route.h"

typedef int (*Authenticator)(Store *store, Arena *arena, const char *token, Actor *out,
                             const char **csrf_token, Error *err);

typedef struct ServerConfig {
    const char *listen_host; /* "127.0.0.1" */
    int port;
    int threads;          /* thread pool size */
    const char *web_root; /* built UI (web/dist); NULL = none */
    size_t max_body;      /* JSON bodies */
    size_t max_upload;    /* ROUTE_RAW_BODY bodies */
    int test_clock;       /* 1: enable POST /api/v1/test/clock (tests only) */
} ServerConfig;

typedef struct Server Server;

void http_set_authenticator(Authenticator auth);
Server *http_start(Store *store, const ServerConfig *cfg, Error *err);
void http_stop(Server *s);
/* The port actually bound (useful with port 0). */
int http_port(const Server *s);

int http_sse_clients(void); /* open event streams, for /metrics */
/* Installs /healthz, /metrics, /api/v1/openapi.json, /api/v1/events, /api/v1/meta/…,
 * /api/v1/config (and the test clock when cfg->test_clock). */
void http_register_builtin(const ServerConfig *cfg);
/* Deployment settings shown to the UI by GET /api/v1/config. */
void http_set_public_config(const char *platform_name, const char *tile_url);

/* Registered routes, for OpenAPI and the authorisation matrix. */
const Route *const *http_routes(int *n);
const Entity *const *http_entities(int *n);

#endif
