/* http/router — socket-independent request dispatch (private to http/).
 *
 * router_handle() takes a parsed request, finds its route, authenticates, checks roles
 * and CSRF, parses the JSON body, runs the handler and renders errors. server.c feeds it
 * from libmicrohttpd; unit tests can feed it directly. */
#ifndef YJ_HTTP_ROUTER_H
#define YJ_HTTP_ROUTER_H

#include "http/server.h"

typedef struct HttpIn {
    const char *method;
    const char *path;
    ListParam *query;
    int nquery;
    const char *bearer;         /* Authorization: Bearer value, or NULL */
    const char *cookie_token;   /* session cookie value, or NULL */
    const char *csrf_header;    /* X-CSRF-Token, or NULL */
    const char *content_type;   /* Content-Type, or NULL */
    const char *gateway_key;    /* X-Gateway-Key (sensor gateways), or NULL */
    const char *channel_secret; /* X-Channel-Secret (publication callbacks), or NULL */
    const char *request_id;
    const char *client_ip;
    const char *body;
    size_t body_len;
    int body_too_large;
} HttpIn;

/* Finds the route for method+path; *method_mismatch set when the path exists with another
 * method. Path parameters are written to req. */
const Route *router_match(const char *method, const char *path, Req *req, int *method_mismatch);
/* Runs the whole request; always fills resp (status, json or body). */
void router_handle(Store *store, const HttpIn *in, Arena *arena, Resp *resp);
void router_render_error(Resp *resp, const Error *err);

/* Metrics kept by the router. */
void metrics_count_request(int status, double seconds);

#endif
