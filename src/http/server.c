/* http/server — libmicrohttpd glue: connections, bodies, responses, static files, SSE.
 *
 * Request life: the access handler's first call only allocates the connection context and
 * matches the route (to pick the body limit); later calls append body bytes; the last call
 * (no more upload data) runs the router and queues the response. The request arena lives
 * in the context and is freed by the completion callback, which also writes the access
 * log line. Server-Sent Events use a callback response that suspends the connection when
 * there is nothing to send; a notifier thread resumes it when events or a heartbeat are due. */
#include "http/server.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "flow/events.h"
#include "http/router.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OFFLOAD_THREADS_MAX 64

typedef struct OffloadJob OffloadJob;

struct Server {
    struct MHD_Daemon *daemon;
    Store *store;
    ServerConfig cfg;
    char web_root[PATH_MAX];
    pthread_t notifier;
    atomic_int stopping;
    /* work threads of ROUTE_OFFLOAD handlers: a FIFO of suspended connections */
    pthread_t offload_threads[OFFLOAD_THREADS_MAX];
    int noffload;
    pthread_mutex_t offload_lock;
    pthread_cond_t offload_ready;
    OffloadJob *offload_head, *offload_tail;
    int offload_stop;
};

enum { OFFLOAD_NONE, OFFLOAD_RUNNING, OFFLOAD_DONE };

typedef struct ConnCtx {
    Arena arena;
    int offload; /* OFFLOAD_*: a ROUTE_OFFLOAD handler queued, running or finished */
    HttpIn in;   /* the request handed to the work thread */
    Resp resp;   /* its answer, sent when the connection is resumed */
    StrBuf body;
    const Route *route;
    int too_large;
    size_t limit;
    int64_t started_ms;
    int status;
    char request_id[40];
    char method[16];
    char path[256]; /* for the access log; query strings are not logged */
} ConnCtx;

static atomic_uint_fast64_t request_counter;

/* ---------- SSE ---------- */

typedef struct SseStream SseStream;
struct SseStream {
    SseStream *next;
    struct MHD_Connection *conn;
    EventSub *sub;
    char jurisdiction[24];
    int suspended;
    int closed;
    int64_t last_write_ms;
    int hello_sent;
};

static pthread_mutex_t sse_lock = PTHREAD_MUTEX_INITIALIZER;
static SseStream *sse_streams;
static atomic_int sse_count;
static atomic_int sse_stopping;
#define SSE_HEARTBEAT_MS 15000

static int sse_visible(const SseStream *st, const ChangeEvent *ev)
{
    size_t n = strlen(st->jurisdiction);
    return n == 0 || ev->division[0] == 0 || strncmp(ev->division, st->jurisdiction, n) == 0;
}

static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    SseStream *st = cls;
    (void)pos;
    if (atomic_load(&sse_stopping))
        return MHD_CONTENT_READER_END_OF_STREAM;
    StrBuf out = STRBUF_INIT;
    if (!st->hello_sent) {
        strbuf_adds(&out, "retry: 3000\nevent: hello\ndata: {}\n\n");
        st->hello_sent = 1;
    }
    ChangeEvent evs[32];
    int resync = 0;
    size_t n = events_poll(st->sub, evs, 32, &resync);
    if (resync)
        strbuf_adds(&out, "event: resync\ndata: {}\n\n");
    for (size_t i = 0; i < n; i++) {
        if (!sse_visible(st, &evs[i]))
            continue;
        json_t *d = json_pack("{s:s, s:s, s:s}", "entity", evs[i].entity, "id", evs[i].key,
                              "action", evs[i].action);
        char *txt = json_dumps(d, JSON_COMPACT);
        strbuf_addf(&out, "id: %llu\nevent: change\ndata: %s\n\n", (unsigned long long)evs[i].seq,
                    txt);
        free(txt);
        json_decref(d);
    }
    int64_t now = clock_real_now_ms();
    if (out.len == 0 && now - st->last_write_ms >= SSE_HEARTBEAT_MS)
        strbuf_adds(&out, ": ping\n\n");
    if (out.len == 0 || out.len > max) {
        /* nothing to say (or, rarely, more than fits: ask for a resync instead) */
        if (out.len > max) {
            strbuf_free(&out);
            const char *r = "event: resync\ndata: {}\n\n";
            memcpy(buf, r, strlen(r));
            return (ssize_t)strlen(r);
        }
        strbuf_free(&out);
        pthread_mutex_lock(&sse_lock);
        MHD_suspend_connection(st->conn);
        st->suspended = 1;
        pthread_mutex_unlock(&sse_lock);
        return 0;
    }
    memcpy(buf, out.buf, out.len);
    ssize_t len = (ssize_t)out.len;
    strbuf_free(&out);
    st->last_write_ms = now;
    return len;
}

static void sse_free(void *cls)
{
    SseStream *st = cls;
    pthread_mutex_lock(&sse_lock);
    for (SseStream **pp = &sse_streams; *pp; pp = &(*pp)->next)
        if (*pp == st) {
            *pp = st->next;
            break;
        }
    pthread_mutex_unlock(&sse_lock);
    events_unsubscribe(st->sub);
    free(st);
    atomic_fetch_sub(&sse_count, 1);
}

static void *sse_notifier(void *arg)
{
    Server *srv = arg;
    uint64_t seen = events_published_total();
    while (!atomic_load(&srv->stopping)) {
        /* woken by the next commit's events at once; else every 100 ms for heartbeats */
        seen = events_wait_published(seen, 100);
        struct MHD_Connection *wake[256];
        int nwake = 0;
        int64_t now = clock_real_now_ms();
        pthread_mutex_lock(&sse_lock);
        for (SseStream *st = sse_streams; st && nwake < 256; st = st->next) {
            if (!st->suspended)
                continue;
            if (events_wait(st->sub, 0) || now - st->last_write_ms >= SSE_HEARTBEAT_MS) {
                st->suspended = 0;
                wake[nwake++] = st->conn;
            }
        }
        pthread_mutex_unlock(&sse_lock);
        for (int i = 0; i < nwake; i++)
            MHD_resume_connection(wake[i]);
    }
    return NULL;
}

static void sse_resume_all(void)
{
    struct MHD_Connection *wake[1024];
    int nwake = 0;
    pthread_mutex_lock(&sse_lock);
    for (SseStream *st = sse_streams; st && nwake < 1024; st = st->next)
        if (st->suspended) {
            st->suspended = 0;
            wake[nwake++] = st->conn;
        }
    pthread_mutex_unlock(&sse_lock);
    for (int i = 0; i < nwake; i++)
        MHD_resume_connection(wake[i]);
}

static struct MHD_Response *sse_response(struct MHD_Connection *conn, const char *jurisdiction)
{
    SseStream *st = xcalloc(1, sizeof *st);
    st->conn = conn;
    st->sub = events_subscribe();
    snprintf(st->jurisdiction, sizeof st->jurisdiction, "%s", jurisdiction ? jurisdiction : "");
    st->last_write_ms = clock_real_now_ms();
    pthread_mutex_lock(&sse_lock);
    st->next = sse_streams;
    sse_streams = st;
    pthread_mutex_unlock(&sse_lock);
    atomic_fetch_add(&sse_count, 1);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, sse_reader, st, sse_free);
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return r;
}

int http_sse_clients(void)
{
    return atomic_load(&sse_count);
}

/* ---------- static files ---------- */

static const char *mime_for(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".geojson", "application/geo+json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int safe_relative(const char *path)
{
    if (strstr(path, "..") || strchr(path, '\\') || strstr(path, "//"))
        return 0;
    return 1;
}

static struct MHD_Response *static_response(Server *srv, const char *url, int *status)
{
    if (!srv->web_root[0])
        return NULL;
    char full[PATH_MAX + 64];
    const char *rel = strcmp(url, "/") == 0 ? "/index.html" : url;
    if (!safe_relative(rel))
        return NULL;
    snprintf(full, sizeof full, "%s%s", srv->web_root, rel);
    struct stat stbuf;
    int fd = -1;
    if (stat(full, &stbuf) == 0 && S_ISREG(stbuf.st_mode))
        fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* single-page app: unknown paths without an extension get index.html */
        const char *base = strrchr(rel, '/');
        if (base && strchr(base, '.'))
            return NULL;
        rel = "/index.html";
        snprintf(full, sizeof full, "%s%s", srv->web_root, rel);
        if (stat(full, &stbuf) != 0 || (fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)
            return NULL;
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)stbuf.st_size, fd);
    MHD_add_response_header(r, "Content-Type", mime_for(rel));
    MHD_add_response_header(r, "Cache-Control",
                            strncmp(rel, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable"
                                                             : "no-cache");
    *status = 200;
    return r;
}

/* ---------- requests ---------- */

static void add_security_headers(struct MHD_Response *r, const char *request_id)
{
    MHD_add_response_header(r, "X-Request-Id", request_id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob: https:; "
                            "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                            "connect-src 'self'; frame-ancestors 'none'");
}

typedef struct QueryCollect {
    Arena *arena;
    ListParam *items;
    int n, cap;
} QueryCollect;

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    QueryCollect *q = cls;
    (void)kind;
    if (q->n == q->cap) {
        int cap = q->cap ? q->cap * 2 : 8;
        ListParam *bigger = arena_alloc(q->arena, sizeof *bigger * (size_t)cap);
        if (q->n)
            memcpy(bigger, q->items, sizeof *bigger * (size_t)q->n);
        q->items = bigger;
        q->cap = cap;
    }
    q->items[q->n].name = arena_strdup(q->arena, key);
    q->items[q->n].value = arena_strdup(q->arena, value ? value : "");
    q->n++;
    return MHD_YES;
}

static const char *bearer_token(struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0)
        return h + 7;
    return NULL;
}

static void make_request_id(struct MHD_Connection *conn, char *out, size_t n)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given && strlen(given) < n && strlen(given) >= 8 &&
        strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
            strlen(given)) {
        snprintf(out, n, "%s", given);
        return;
    }
    static uint32_t prefix;
    if (!prefix)
        prefix = randombytes_random();
    snprintf(out, n, "%08x-%llu", prefix,
             (unsigned long long)atomic_fetch_add(&request_counter, 1) + 1);
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = 0;
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

static struct MHD_Response *api_response(Resp *resp)
{
    struct MHD_Response *r;
    if (resp->json) {
        char *txt = json_dumps(resp->json, JSON_COMPACT | JSON_REAL_PRECISION(15));
        size_t len = txt ? strlen(txt) : 0;
        r = MHD_create_response_from_buffer(len, txt, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    } else {
        r = MHD_create_response_from_buffer(resp->body_len, (void *)(resp->body ? resp->body : ""),
                                            MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, "Content-Type",
                                resp->content_type ? resp->content_type
                                                   : "text/plain; charset=utf-8");
    }
    MHD_add_response_header(r, "Cache-Control", "no-store");
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->header_names[i], resp->header_values[i]);
    return r;
}

/* ---------- work threads for ROUTE_OFFLOAD handlers ---------- */

struct OffloadJob {
    OffloadJob *next;
    struct MHD_Connection *conn;
    ConnCtx *ctx;
};

static void *offload_worker(void *arg)
{
    Server *srv = arg;
    pthread_mutex_lock(&srv->offload_lock);
    for (;;) {
        while (!srv->offload_head && !srv->offload_stop)
            pthread_cond_wait(&srv->offload_ready, &srv->offload_lock);
        OffloadJob *job = srv->offload_head;
        if (!job)
            break; /* stopping, and the queue is drained */
        srv->offload_head = job->next;
        if (!srv->offload_head)
            srv->offload_tail = NULL;
        pthread_mutex_unlock(&srv->offload_lock);
        router_handle(srv->store, &job->ctx->in, &job->ctx->arena, &job->ctx->resp);
        job->ctx->offload = OFFLOAD_DONE;
        MHD_resume_connection(job->conn); /* MHD calls on_request again: respond() answers */
        free(job);
        pthread_mutex_lock(&srv->offload_lock);
    }
    pthread_mutex_unlock(&srv->offload_lock);
    return NULL;
}

/* Suspends the connection and queues its request for a work thread. */
static void offload(Server *srv, struct MHD_Connection *conn, ConnCtx *ctx)
{
    OffloadJob *job = xcalloc(1, sizeof *job);
    job->conn = conn;
    job->ctx = ctx;
    ctx->offload = OFFLOAD_RUNNING;
    MHD_suspend_connection(conn);
    pthread_mutex_lock(&srv->offload_lock);
    if (srv->offload_tail)
        srv->offload_tail->next = job;
    else
        srv->offload_head = job;
    srv->offload_tail = job;
    pthread_cond_signal(&srv->offload_ready);
    pthread_mutex_unlock(&srv->offload_lock);
}

static void offload_start(Server *srv)
{
    pthread_mutex_init(&srv->offload_lock, NULL);
    pthread_cond_init(&srv->offload_ready, NULL);
    /* as many as network threads: a short request never queues behind long ones for a thread
     * (what it then waits for, e.g. the monitoring engine, is first come, first served) */
    int n = srv->cfg.threads > 0 ? srv->cfg.threads : 4;
    if (n > OFFLOAD_THREADS_MAX)
        n = OFFLOAD_THREADS_MAX;
    for (int i = 0; i < n; i++)
        if (pthread_create(&srv->offload_threads[srv->noffload], NULL, offload_worker, srv) == 0)
            srv->noffload++;
}

/* Finishes the queued requests, then ends the work threads. */
static void offload_stop(Server *srv)
{
    pthread_mutex_lock(&srv->offload_lock);
    srv->offload_stop = 1;
    pthread_cond_broadcast(&srv->offload_ready);
    pthread_mutex_unlock(&srv->offload_lock);
    for (int i = 0; i < srv->noffload; i++)
        pthread_join(srv->offload_threads[i], NULL);
    pthread_mutex_destroy(&srv->offload_lock);
    pthread_cond_destroy(&srv->offload_ready);
}

static enum MHD_Result respond(Server *srv, struct MHD_Connection *conn, ConnCtx *ctx,
                               const char *url, const char *method)
{
    struct MHD_Response *r = NULL;
    int status = 404;
    if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/healthz") != 0 &&
        strcmp(url, "/metrics") != 0) {
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            r = static_response(srv, url, &status);
        if (!r) {
            const char *msg = "Not Found";
            r = MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_PERSISTENT);
            status = 404;
        }
    } else if (ctx->offload == OFFLOAD_RUNNING) {
        return MHD_YES; /* suspended until the work thread resumes it */
    } else if (ctx->offload == OFFLOAD_DONE) {
        status = ctx->resp.status;
        r = api_response(&ctx->resp);
        json_decref(ctx->resp.json);
        ctx->resp.json = NULL;
    } else {
        QueryCollect q = {&ctx->arena, NULL, 0, 0};
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
        char ip[64];
        client_ip(conn, ip, sizeof ip);
        HttpIn in = {
            .method = method,
            .path = url,
            .query = q.items,
            .nquery = q.n,
            .bearer = bearer_token(conn),
            .cookie_token = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "yingji_session"),
            .csrf_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token"),
            .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
            .gateway_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Gateway-Key"),
            .channel_secret =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Channel-Secret"),
            .request_id = ctx->request_id,
            .client_ip = arena_strdup(&ctx->arena, ip),
            .body = ctx->body.len ? ctx->body.buf : NULL,
            .body_len = ctx->body.len,
            .body_too_large = ctx->too_large,
        };
        if (ctx->route && (ctx->route->flags & ROUTE_OFFLOAD) && srv->noffload) {
            ctx->in = in;
            offload(srv, conn, ctx);
            return MHD_YES;
        }
        Resp resp = {0};
        router_handle(srv->store, &in, &ctx->arena, &resp);
        status = resp.status;
        if (resp.stream_events && status == 200) {
            r = sse_response(conn, resp.stream_jurisdiction);
            json_decref(resp.json);
        } else {
            r = api_response(&resp);
            json_decref(resp.json);
        }
    }
    add_security_headers(r, ctx->request_id);
    ctx->status = status;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    Server *srv = cls;
    (void)version;
    ConnCtx *ctx = *con_cls;
    if (!ctx) {
        ctx = xcalloc(1, sizeof *ctx);
        ctx->started_ms = clock_real_now_ms();
        make_request_id(conn, ctx->request_id, sizeof ctx->request_id);
        snprintf(ctx->method, sizeof ctx->method, "%s", method);
        snprintf(ctx->path, sizeof ctx->path, "%s", url);
        int mismatch;
        ctx->route = router_match(method, url, NULL, &mismatch);
        ctx->limit = ctx->route && (ctx->route->flags & ROUTE_RAW_BODY) ? srv->cfg.max_upload
                                                                        : srv->cfg.max_body;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (ctx->body.len + *upload_data_size > ctx->limit) {
            ctx->too_large = 1;
            strbuf_free(&ctx->body);
        } else if (!ctx->too_large) {
            strbuf_add(&ctx->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return respond(srv, conn, ctx, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    ConnCtx *ctx = *con_cls;
    if (!ctx)
        return;
    double secs = (double)(clock_real_now_ms() - ctx->started_ms) / 1000.0;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    (void)ci;
    metrics_count_request(ctx->status, secs);
    log_info("access id=%s %s %s status=%d ms=%.1f%s", ctx->request_id, ctx->method, ctx->path,
             ctx->status, secs * 1000.0,
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
    json_decref(ctx->resp.json); /* an offloaded answer that was never sent */
    strbuf_free(&ctx->body);
    arena_free(&ctx->arena);
    free(ctx);
    *con_cls = NULL;
}

static void *log_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    log_debug("request %s", uri);
    return NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = 0;
    log_warn("http: %s", buf);
}

Server *http_start(Store *store, const ServerConfig *cfg, Error *err)
{
    if (sodium_init() < 0) {
        error_internal(err, "libsodium init failed");
        return NULL;
    }
    Server *srv = xcalloc(1, sizeof *srv);
    srv->store = store;
    srv->cfg = *cfg;
    if (cfg->web_root && !realpath(cfg->web_root, srv->web_root)) {
        log_warn("web UI not found at %s (run `make web`); serving the API only", cfg->web_root);
        srv->web_root[0] = 0;
    }
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, cfg->listen_host, &addr.sin_addr) != 1) {
        error_set(err, 400, "bad_listen", "监听地址格式错误", "bad listen address '%s'",
                  cfg->listen_host);
        free(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 4),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_URI_LOG_CALLBACK, log_uri, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_END);
    if (!srv->daemon) {
        error_set(err, 500, "listen_failed", "无法启动网络服务（端口被占用？）",
                  "cannot listen on %s:%d (port in use?)", cfg->listen_host, cfg->port);
        free(srv);
        return NULL;
    }
    pthread_create(&srv->notifier, NULL, sse_notifier, srv);
    offload_start(srv);
    return srv;
}

int http_port(const Server *s)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void http_stop(Server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    atomic_store(&sse_stopping, 1);
    pthread_join(s->notifier, NULL);
    MHD_quiesce_daemon(s->daemon);
    offload_stop(s);
    sse_resume_all();
    MHD_stop_daemon(s->daemon);
    free(s);
}
