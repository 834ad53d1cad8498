/* tests/unit/test_channels — modules/publish/channel: the HTTP adapters against a stub gateway,
 * the spool adapter, configuration, truncation, receipt and reply parsing.
 *
 * The stub gateway is a real HTTP server (libmicrohttpd) started by the test on a free
 * 127.0.0.1 port. It records every request (path, headers, body) and answers by path:
 *   /ok          200 {"id":"msg-N"}          /ok-int   200 {"message_id":12345}
 *   /500         500                         /429      429 with Retry-After: 7
 *   /408         408                         /400      400 {"error":"bad phone"}
 *   /503-date    503 with Retry-After as an HTTP date 120 s ahead
 *   /301         301 to /ok (not followed)   /slow     200 after 1 s (beyond the timeout)
 *   /wx          200 {"errcode":0}           /wx-bad   200 {"errcode":93000}
 *   /wx-limit    200 {"errcode":45009}
 *   /by-phone    200 for phones ending in an odd digit, 503 for the others */
#include "test_util.h"

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "modules/publish/channel.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* ---- the stub gateway ------------------------------------------------------------------- */

#define MAX_REQS 64

typedef struct Req {
    char path[64], key[256], auth[256], ctype[128], extra[64];
    size_t long_len; /* length of an X-Long header */
    char *body;
} Req;

typedef struct Stub {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t mu;
    Req reqs[MAX_REQS];
    int n;
} Stub;

static Stub stub;

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t n)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, n, "%s", v ? v : "");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *hname, const char *hvalue)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static int phone_is_odd(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    const char *p = json_string_value(json_object_get(j, "phone"));
    int odd = p && *p && (p[strlen(p) - 1] - '0') % 2 == 1;
    json_decref(j);
    return odd;
}

static enum MHD_Result answer(struct MHD_Connection *c, const char *url, const char *body)
{
    char id[64];
    pthread_mutex_lock(&stub.mu);
    int n = stub.n;
    if (stub.n < MAX_REQS) {
        Req *q = &stub.reqs[stub.n++];
        snprintf(q->path, sizeof q->path, "%s", url);
        copy_header(c, "Idempotency-Key", q->key, sizeof q->key);
        copy_header(c, "Authorization", q->auth, sizeof q->auth);
        copy_header(c, "Content-Type", q->ctype, sizeof q->ctype);
        copy_header(c, "X-Extra", q->extra, sizeof q->extra);
        const char *xl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Long");
        q->long_len = xl ? strlen(xl) : 0;
        q->body = xstrdup(body);
    }
    pthread_mutex_unlock(&stub.mu);
    if (strcmp(url, "/ok") == 0) {
        snprintf(id, sizeof id, "{\"id\":\"msg-%d\"}", n + 1);
        return reply(c, 200, id, NULL, NULL);
    }
    if (strcmp(url, "/ok-int") == 0)
        return reply(c, 200, "{\"message_id\":12345}", NULL, NULL);
    if (strcmp(url, "/500") == 0)
        return reply(c, 500, "internal", NULL, NULL);
    if (strcmp(url, "/429") == 0)
        return reply(c, 429, "{}", "Retry-After", "7");
    if (strcmp(url, "/503-date") == 0) { /* Retry-After as an HTTP date two minutes ahead */
        char date[64];
        time_t t = time(NULL) + 120;
        struct tm tm;
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
        return reply(c, 503, "{}", "Retry-After", date);
    }
    if (strcmp(url, "/408") == 0)
        return reply(c, 408, "{}", NULL, NULL);
    if (strcmp(url, "/400") == 0)
        return reply(c, 400, "{\"error\":\"bad phone\"}", NULL, NULL);
    if (strcmp(url, "/301") == 0)
        return reply(c, 301, "", "Location", "/ok");
    if (strcmp(url, "/slow") == 0) {
        sleep(1);
        return reply(c, 200, "{\"id\":\"late\"}", NULL, NULL);
    }
    if (strcmp(url, "/wx") == 0)
        return reply(c, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", NULL, NULL);
    if (strcmp(url, "/wx-bad") == 0)
        return reply(c, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}", NULL, NULL);
    if (strcmp(url, "/wx-limit") == 0)
        return reply(c, 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", NULL,
                     NULL);
    if (strcmp(url, "/by-phone") == 0)
        return phone_is_odd(body) ? reply(c, 200, "{\"id\":\"odd\"}", NULL, NULL)
                                  : reply(c, 503, "{}", NULL, NULL);
    return reply(c, 404, "{}", NULL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **ctx)
{
    (void)cls, (void)method, (void)version;
    StrBuf *body = *ctx;
    if (!body) { /* headers only: answer once the body is in */
        *ctx = xcalloc(1, sizeof(StrBuf));
        return MHD_YES;
    }
    if (*data_size) {
        strbuf_add(body, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    return answer(c, url, strbuf_cstr(body));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    if (*ctx) {
        strbuf_free(*ctx);
        free(*ctx);
        *ctx = NULL;
    }
}

static int stub_start(void **state)
{
    (void)state;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&stub.mu, NULL);
    stub.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                                   0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!stub.daemon)
        return -1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(stub.daemon, MHD_DAEMON_INFO_BIND_PORT);
    stub.port = di ? di->port : 0;
    return stub.port ? 0 : -1;
}

static void stub_reset(void)
{
    pthread_mutex_lock(&stub.mu);
    for (int i = 0; i < stub.n; i++)
        free(stub.reqs[i].body);
    memset(stub.reqs, 0, sizeof stub.reqs);
    stub.n = 0;
    pthread_mutex_unlock(&stub.mu);
}

static int stub_stop(void **state)
{
    (void)state;
    MHD_stop_daemon(stub.daemon);
    stub_reset();
    return 0;
}

static int stub_count(void)
{
    pthread_mutex_lock(&stub.mu);
    int n = stub.n;
    pthread_mutex_unlock(&stub.mu);
    return n;
}

/* A 127.0.0.1 port nobody listens on: bound, read, closed. */
static int closed_port(void)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* A set from a printf-style configuration (%1$d is the stub's port). */
static ChannelSet *load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static ChannelSet *load(const char *fmt, ...)
{
    char text[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    Error err = ERROR_INIT;
    ChannelSet *set = channels_load(text, &err);
    if (!set) {
        print_error("channels_load: %s\n%s\n", err.message_en, text);
        error_clear(&err);
        fail();
    }
    return set;
}

/* One HTTP channel of kind at path on the stub. */
static ChannelSet *http_channel(const char *kind, const char *path, const char *more)
{
    return load("{\"channels\":[{\"name\":\"c\",\"kind\":\"%s\",\"url\":\"http://127.0.0.1:%d%s\","
                "\"timeout_ms\":2000%s%s}]}",
                kind, stub.port, path, more ? "," : "", more ? more : "");
}

static ChannelMessage message(const char *key, const char *address)
{
    ChannelMessage m = {.idempotency_key = key,
                        .warning_id = 42,
                        .recipient_id = 7,
                        .address = address,
                        .title = "暴雨红色预警",
                        .text = "预计未来3小时内降雨量将达100毫米以上，请立即转移危险区域人员。",
                        .ack_url = "https://yj.example.gov.cn/a/Xk3",
                        .level = 1};
    return m;
}

static ChannelOutcome send1(const ChannelSet *set, const ChannelMessage *m, ChannelReceipt *r,
                            Error *err)
{
    return channel_send(&set->items[0], m, r, err);
}

static json_t *last_body(void)
{
    pthread_mutex_lock(&stub.mu);
    json_t *j = stub.n ? json_loads(stub.reqs[stub.n - 1].body, 0, NULL) : NULL;
    pthread_mutex_unlock(&stub.mu);
    assert_non_null(j);
    return j;
}

static const char *jstr(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* ---- HTTP adapters ---------------------------------------------------------------------- */

static void test_sms_sent_with_key_header_and_body(void **state)
{
    (void)state;
    stub_reset();
    ChannelSet *set = http_channel("sms", "/ok",
                                   "\"sign\":\"【某县应急管理局】\",\"callback_url\":\"https://yj."
                                   "example.gov.cn/api/v1/channels/sms/receipts\",\"headers\":{"
                                   "\"Authorization\":\"Bearer t0k\",\"X-Extra\":\"x1\"}");
    ChannelMessage m = message("warn:42:7:c", "13800138001");
    ChannelReceipt r;
    Error err = ERROR_INIT;
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    assert_int_equal(r.outcome, CHANNEL_SENT);
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.provider_id, "msg-1");
    assert_int_equal(err.status, 0);
    assert_int_equal(stub_count(), 1);
    Req *q = &stub.reqs[0];
    assert_string_equal(q->path, "/ok");
    assert_string_equal(q->key, "warn:42:7:c");
    assert_string_equal(q->auth, "Bearer t0k");
    assert_string_equal(q->extra, "x1");
    assert_string_equal(q->ctype, "application/json; charset=utf-8");
    json_t *b = last_body();
    assert_string_equal(jstr(b, "key"), "warn:42:7:c");
    assert_string_equal(jstr(b, "phone"), "13800138001");
    assert_string_equal(jstr(b, "sign"), "【某县应急管理局】");
    assert_string_equal(jstr(b, "callback"),
                        "https://yj.example.gov.cn/api/v1/channels/sms/receipts");
    assert_string_equal(
        jstr(b, "text"),
        "暴雨红色预警\n预计未来3小时内降雨量将达100毫米以上，请立即转移危险区域人员。"
        "\n确认收到请点击：https://yj.example.gov.cn/a/Xk3");
    assert_int_equal(json_object_size(b), 5);
    json_decref(b);
    /* a long header value (e.g. a signed token) goes out whole */
    channels_free(set);
    char more[2100] = "\"headers\":{\"X-Long\":\"";
    size_t at = strlen(more);
    memset(more + at, 'a', 2000);
    snprintf(more + at + 2000, sizeof more - at - 2000, "\"}");
    set = http_channel("sms", "/ok", more);
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    assert_int_equal(stub.reqs[1].long_len, 2000);
    /* the provider's id may be a number under "message_id" */
    channels_free(set);
    set = http_channel("sms", "/ok-int", NULL);
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    assert_string_equal(r.provider_id, "12345");
    channels_free(set);
}

static void expect(const char *path, ChannelOutcome want, int want_http, long timeout_ms)
{
    char more[64];
    snprintf(more, sizeof more, "\"timeout_ms\":%ld", timeout_ms);
    ChannelSet *set = load("{\"channels\":[{\"name\":\"c\",\"kind\":\"sms\",\"url\":\"http://"
                           "127.0.0.1:%d%s\",%s}]}",
                           stub.port, path, more);
    ChannelMessage m = message("warn:1:2:c", "13800138000");
    ChannelReceipt r;
    Error err = ERROR_INIT;
    ChannelOutcome o = send1(set, &m, &r, &err);
    if (o != want || r.http_status != want_http) {
        print_error("%s: outcome %d http %d, want %d http %d (%s)\n", path, o, r.http_status, want,
                    want_http, err.message_en);
        fail();
    }
    assert_int_equal(err.status, want == CHANNEL_RETRY ? 503 : 422);
    assert_true(err.message[0] && err.message_en[0]);
    error_clear(&err);
    channels_free(set);
}

static void test_http_outcomes(void **state)
{
    (void)state;
    stub_reset();
    expect("/500", CHANNEL_RETRY, 500, 2000);
    expect("/408", CHANNEL_RETRY, 408, 2000);
    expect("/400", CHANNEL_FAILED, 400, 2000);
    expect("/301", CHANNEL_FAILED, 301, 2000); /* redirects are not followed */
    expect("/nothing-here", CHANNEL_FAILED, 404, 2000);
    int64_t t0 = clock_real_now_ms();
    expect("/slow", CHANNEL_RETRY, 0, 300); /* timed out: no HTTP status */
    assert_true(clock_real_now_ms() - t0 < 900);
    /* 429 reports Retry-After */
    ChannelSet *set = http_channel("sms", "/429", NULL);
    ChannelMessage m = message("warn:1:2:c", "13800138000");
    ChannelReceipt r;
    Error err = ERROR_INIT;
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_RETRY);
    assert_int_equal(r.http_status, 429);
    assert_int_equal(r.retry_after_s, 7);
    error_clear(&err);
    channels_free(set);
    set = http_channel("sms", "/503-date", NULL);
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_RETRY);
    assert_int_equal(r.http_status, 503);
    assert_in_range(r.retry_after_s, 115, 121);
    error_clear(&err);
    channels_free(set);
    /* connection refused */
    set = load("{\"channels\":[{\"name\":\"c\",\"kind\":\"sms\",\"url\":\"http://127.0.0.1:%d/x\"}"
               "]}",
               closed_port());
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_RETRY);
    assert_int_equal(r.http_status, 0);
    assert_int_equal(err.status, 503);
    assert_non_null(strstr(err.message_en, "onnect"));
    error_clear(&err);
    channels_free(set);
}

static void test_other_kinds_request_shapes(void **state)
{
    (void)state;
    stub_reset();
    ChannelReceipt r;
    Error err = ERROR_INIT;
    /* broadcast: area code, title and text apart, level */
    ChannelSet *set = http_channel("broadcast", "/ok", NULL);
    ChannelMessage m = message("warn:42:0:bc", "620302001");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    json_t *b = last_body();
    assert_string_equal(jstr(b, "key"), "warn:42:0:bc");
    assert_string_equal(jstr(b, "area_code"), "620302001");
    assert_string_equal(jstr(b, "title"), "暴雨红色预警");
    assert_string_equal(jstr(b, "text"), m.text); /* no link on a loudspeaker */
    assert_int_equal(json_integer_value(json_object_get(b, "level")), 1);
    json_decref(b);
    channels_free(set);
    /* wechat webhook: WeChat Work robot text message, @-mention of the recipient */
    set = http_channel("wechat", "/wx", NULL);
    m = message("warn:42:7:wx", "13800138001");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    assert_string_equal(r.provider_id, "");
    b = last_body();
    assert_string_equal(jstr(b, "msgtype"), "text");
    assert_string_equal(jstr(b, "key"), "warn:42:7:wx");
    json_t *t = json_object_get(b, "text");
    assert_non_null(strstr(jstr(t, "content"), "确认收到请点击：https://yj.example.gov.cn/a/Xk3"));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(t, "mentioned_mobile_list"), 0)),
        "13800138001");
    json_decref(b);
    channels_free(set);
    set = http_channel("wechat", "/wx-bad", NULL);
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_non_null(strstr(err.message_en, "93000"));
    error_clear(&err);
    channels_free(set);
    set = http_channel("wechat", "/wx-limit", NULL);
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_RETRY);
    error_clear(&err);
    channels_free(set);
    /* call: TTS text, callback for the keypress */
    set = http_channel("call", "/ok", "\"callback_url\":\"https://yj.example.gov.cn/cb/call\"");
    m = message("warn:42:7:call", "13800138001");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    b = last_body();
    assert_string_equal(jstr(b, "key"), "warn:42:7:call");
    assert_string_equal(jstr(b, "phone"), "13800138001");
    assert_string_equal(jstr(b, "callback"), "https://yj.example.gov.cn/cb/call");
    assert_string_equal(jstr(b, "tts"), "暴雨红色预警。预计未来3小时内降雨量将达100毫米以上，"
                                        "请立即转移危险区域人员。");
    json_decref(b);
    assert_string_equal(stub.reqs[stub.n - 1].key, "warn:42:7:call");
    channels_free(set);
}

static void test_answers_for_some_recipients(void **state)
{
    (void)state;
    stub_reset();
    ChannelSet *set = http_channel("sms", "/by-phone", NULL);
    const char *phones[] = {"13800000001", "13800000002", "13800000003", "13800000004"};
    for (int i = 0; i < 4; i++) {
        char key[64];
        snprintf(key, sizeof key, "warn:5:%d:c", i);
        ChannelMessage m = message(key, phones[i]);
        ChannelReceipt r;
        Error err = ERROR_INIT;
        ChannelOutcome o = send1(set, &m, &r, &err);
        assert_int_equal(o, i % 2 == 0 ? CHANNEL_SENT : CHANNEL_RETRY);
        assert_int_equal(r.http_status, i % 2 == 0 ? 200 : 503);
        assert_string_equal(stub.reqs[i].key, key);
        error_clear(&err);
    }
    channels_free(set);
}

static void test_send_refuses_bad_messages(void **state)
{
    (void)state;
    stub_reset();
    ChannelSet *set = http_channel("sms", "/ok", NULL);
    ChannelReceipt r;
    Error err = ERROR_INIT;
    ChannelMessage m = message(NULL, "13800138000");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_err(-1, err, 422);
    m = message("bad key", "13800138000"); /* a space would break the header */
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_err(-1, err, 422);
    m = message("warn:1:1:c\r\nX-Evil: 1", "13800138000");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_err(-1, err, 422);
    m = message("warn:1:1:c", "13800138000");
    m.text = "\xE5\xBA"; /* a cut character */
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_err(-1, err, 422);
    m = message("warn:1:1:c", NULL);
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_err(-1, err, 422);
    channels_free(set);
    set = http_channel("sms", "/ok", "\"enabled\":false");
    m = message("warn:1:1:c", "13800138000");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_non_null(strstr(err.message_en, "disabled"));
    assert_err(-1, err, 422);
    channels_free(set);
    assert_int_equal(stub_count(), 0); /* none of them reached the gateway */
}

typedef struct Sender {
    const Channel *ch;
    int base, sent;
} Sender;

static void *send_many(void *arg)
{
    Sender *s = arg;
    for (int i = 0; i < 8; i++) {
        char key[64];
        snprintf(key, sizeof key, "warn:9:%d:c", s->base + i % 4); /* half are repeats */
        ChannelMessage m = message(key, "13800138000");
        ChannelReceipt r;
        Error err = ERROR_INIT;
        if (channel_send(s->ch, &m, &r, &err) == CHANNEL_SENT)
            s->sent++;
        error_clear(&err);
    }
    return NULL;
}

static void test_concurrent_http_sends(void **state)
{
    (void)state;
    stub_reset();
    ChannelSet *set = http_channel("sms", "/ok", NULL);
    pthread_t t[4];
    Sender s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (Sender){&set->items[0], i * 100, 0};
        pthread_create(&t[i], NULL, send_many, &s[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(s[i].sent, 8);
    }
    assert_int_equal(stub_count(), 32); /* HTTP dedup is the provider's job, by the key */
    channels_free(set);
}

/* ---- truncation ------------------------------------------------------------------------- */

static void test_truncate_on_character_boundary(void **state)
{
    (void)state;
    Arena a = ARENA_INIT;
    assert_string_equal(channel_truncate(&a, "应急管理局发布预警", 0, 0), "应急管理局发布预警");
    assert_string_equal(channel_truncate(&a, "应急管理局发布预警", 9, 27), "应急管理局发布预警");
    assert_string_equal(channel_truncate(&a, "应急管理局发布预警", 5, 0), "应急管理…");
    assert_string_equal(channel_truncate(&a, "应急管理局发布预警", 0, 10), "应急…");   /* 9 bytes */
    assert_string_equal(channel_truncate(&a, "应急管理局发布预警", 0, 11), "应急…");   /* not 2.x */
    assert_string_equal(channel_truncate(&a, "应急管理局发布预警", 0, 12), "应急管…"); /* 12 */
    assert_string_equal(channel_truncate(&a, "ab应急cd", 4, 0), "ab应…");
    assert_string_equal(channel_truncate(&a, "ab😀cd", 4, 0), "ab😀…");  /* 4-byte character */
    assert_string_equal(channel_truncate(&a, "ab😀cd", 0, 8), "ab😀cd"); /* fits */
    assert_string_equal(channel_truncate(&a, "ab😀cd", 0, 7), "ab…");
    assert_string_equal(channel_truncate(&a, "应急", 1, 0), "…");
    assert_null(channel_truncate(&a, "ab\xE5\xBA", 0, 0)); /* cut character */
    assert_int_equal(channel_utf8_chars("应急a😀"), 4);
    assert_int_equal(channel_utf8_chars("\xC0\x80"), -1);         /* overlong NUL */
    assert_int_equal(channel_utf8_chars("\xED\xA0\x80"), -1);     /* surrogate */
    assert_int_equal(channel_utf8_chars("\xF4\x90\x80\x80"), -1); /* beyond U+10FFFF */
    assert_int_equal(channel_utf8_chars("\xFF"), -1);
    arena_free(&a);
}

static void test_sms_text_cut_but_link_kept(void **state)
{
    (void)state;
    stub_reset();
    ChannelSet *set = http_channel("sms", "/ok", "\"max_chars\":60");
    ChannelMessage m = message("warn:42:7:c", "13800138001");
    ChannelReceipt r;
    Error err = ERROR_INIT;
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_SENT);
    json_t *b = last_body();
    const char *text = jstr(b, "text");
    assert_int_equal(channel_utf8_chars(text), 60);
    const char *tail = "…\n确认收到请点击：https://yj.example.gov.cn/a/Xk3";
    assert_string_equal(text + strlen(text) - strlen(tail), tail);
    assert_memory_equal(text, "暴雨红色预警\n预计", strlen("暴雨红色预警\n预计"));
    json_decref(b);
    channels_free(set);
    /* a limit the link alone reaches is refused, not cut */
    set = http_channel("sms", "/ok", "\"max_chars\":40");
    assert_int_equal(send1(set, &m, &r, &err), CHANNEL_FAILED);
    assert_err(-1, err, 422);
    channels_free(set);
    /* byte limits (WeChat Work robots take 2048 bytes) */
    Arena a = ARENA_INIT;
    set = http_channel("wechat", "/wx", "\"max_bytes\":64");
    m.ack_url = NULL;
    char *s = channel_compose(&a, &set->items[0], &m, &err);
    assert_non_null(s);
    assert_true(strlen(s) <= 64 && strlen(s) > 60);
    assert_true(channel_utf8_chars(s) > 0);
    assert_string_equal(s + strlen(s) - 3, "…");
    channels_free(set);
    arena_free(&a);
}

/* ---- spool ------------------------------------------------------------------------------ */

static char *temp_dir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/yingji-spool-XXXXXX");
    assert_non_null(mkdtemp(buf));
    return buf;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static ChannelSet *spool_set(const char *dir)
{
    return load("{\"channels\":[{\"name\":\"file\",\"kind\":\"spool\",\"dir\":\"%s\"}]}", dir);
}

static char *spool_text(const char *dir, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/file.jsonl", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = xcalloc(1, 65536);
    *len = fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void append_raw(const char *dir, const char *bytes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/file.jsonl", dir);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(bytes, f);
    fclose(f);
}

static ChannelOutcome spool_send(ChannelSet *set, const char *key, ChannelReceipt *r)
{
    ChannelMessage m = message(key, "13800138000");
    Error err = ERROR_INIT;
    ChannelOutcome o = send1(set, &m, r, &err);
    if (o != CHANNEL_SENT)
        print_error("spool send %s: %s\n", key, err.message_en);
    error_clear(&err);
    return o;
}

static void test_spool_appends_once(void **state)
{
    (void)state;
    char dir[64];
    temp_dir(dir, sizeof dir);
    ChannelSet *set = spool_set(dir);
    ChannelReceipt r;
    assert_int_equal(spool_send(set, "warn:1:1:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 0);
    assert_string_equal(r.provider_id, "0");
    assert_int_equal(spool_send(set, "warn:1:2:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 0);
    size_t len, len2;
    char *text = spool_text(dir, &len); /* on disk when SENT came back */
    assert_int_equal(count_lines(text), 2);
    json_t *line = json_loadb(text, strchr(text, '\n') - text, 0, NULL);
    assert_non_null(line);
    assert_string_equal(jstr(line, "key"), "warn:1:1:file");
    assert_string_equal(jstr(line, "channel"), "file");
    assert_string_equal(jstr(line, "text"), message(NULL, NULL).text);
    assert_string_equal(jstr(line, "title"), "暴雨红色预警");
    assert_string_equal(jstr(line, "ack_url"), "https://yj.example.gov.cn/a/Xk3");
    assert_int_equal(json_integer_value(json_object_get(line, "warning_id")), 42);
    assert_true(strlen(jstr(line, "written_at")) == 20);
    json_decref(line);
    /* the same key again: SENT, nothing written, the first line's offset as id */
    assert_int_equal(spool_send(set, "warn:1:2:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 1);
    assert_int_equal(atoi(r.provider_id), (int)(strchr(text, '\n') - text + 1));
    char *again = spool_text(dir, &len2);
    assert_int_equal(len2, len);
    free(again);
    free(text);
    channels_free(set);
    /* after a restart the index is rebuilt from the file */
    set = spool_set(dir);
    assert_int_equal(spool_send(set, "warn:1:1:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 1);
    assert_int_equal(spool_send(set, "warn:1:3:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 0);
    text = spool_text(dir, &len);
    assert_int_equal(count_lines(text), 3);
    free(text);
    channels_free(set);
    remove_dir(dir);
}

static void test_spool_recovers_from_torn_line(void **state)
{
    (void)state;
    char dir[64];
    temp_dir(dir, sizeof dir);
    ChannelSet *set = spool_set(dir);
    ChannelReceipt r;
    assert_int_equal(spool_send(set, "warn:2:1:file", &r), CHANNEL_SENT);
    channels_free(set);
    /* a crash in the middle of writing warn:2:2 */
    append_raw(dir, "{\"key\":\"warn:2:2:file\",\"channel\":\"file\",\"text\":\"预计未来");
    set = spool_set(dir);
    assert_int_equal(spool_send(set, "warn:2:2:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 0); /* the torn line did not count */
    size_t len;
    char *text = spool_text(dir, &len);
    assert_int_equal(count_lines(text), 2);
    assert_int_equal(text[len - 1], '\n');
    char *second = strchr(text, '\n') + 1;
    json_t *line = json_loadb(second, strlen(second) - 1, 0, NULL);
    assert_non_null(line); /* whole and valid */
    assert_string_equal(jstr(line, "key"), "warn:2:2:file");
    json_decref(line);
    free(text);
    channels_free(set);
    /* a complete line that is not a message is skipped, not fatal */
    append_raw(dir, "garbage\n");
    set = spool_set(dir);
    assert_int_equal(spool_send(set, "warn:2:2:file", &r), CHANNEL_SENT);
    assert_int_equal(r.duplicate, 1);
    channels_free(set);
    remove_dir(dir);
}

static void test_spool_locked_against_second_opener(void **state)
{
    (void)state;
    char dir[64];
    temp_dir(dir, sizeof dir);
    ChannelSet *one = spool_set(dir), *two = spool_set(dir);
    ChannelReceipt r;
    Error err = ERROR_INIT;
    assert_int_equal(spool_send(one, "warn:3:1:file", &r), CHANNEL_SENT);
    ChannelMessage m = message("warn:3:2:file", "x");
    assert_int_equal(send1(two, &m, &r, &err), CHANNEL_RETRY);
    assert_non_null(strstr(err.message_en, "locked"));
    assert_err(-1, err, 503);
    channels_free(one);
    assert_int_equal(spool_send(two, "warn:3:2:file", &r), CHANNEL_SENT);
    channels_free(two);
    /* an unusable directory is a RETRY (the disk may come back) */
    ChannelSet *bad = spool_set("/proc/yingji-no-such/dir");
    assert_int_equal(send1(bad, &m, &r, &err), CHANNEL_RETRY);
    assert_err(-1, err, 503);
    channels_free(bad);
    remove_dir(dir);
}

static void test_spool_concurrent_writers(void **state)
{
    (void)state;
    char dir[64];
    temp_dir(dir, sizeof dir);
    ChannelSet *set = spool_set(dir);
    pthread_t t[4];
    Sender s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (Sender){&set->items[0], (i % 2) * 100, 0}; /* two pairs share keys */
        pthread_create(&t[i], NULL, send_many, &s[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(s[i].sent, 8);
    }
    size_t len;
    char *text = spool_text(dir, &len);
    assert_int_equal(count_lines(text), 8); /* 2 bases × 4 keys, each once */
    free(text);
    channels_free(set);
    remove_dir(dir);
}

/* ---- configuration ---------------------------------------------------------------------- */

static void test_config_loads_with_defaults(void **state)
{
    (void)state;
    ChannelSet *set = load(
        "{\"channels\":["
        "{\"name\":\"sms-main\",\"kind\":\"sms\",\"url\":\"https://sms.example.cn/send\","
        "\"sign\":\"【县应急局】\",\"headers\":{\"Authorization\":\"Bearer x\"}},"
        "{\"name\":\"bc\",\"kind\":\"broadcast\",\"url\":\"http://10.0.0.5:8080/api\","
        "\"max_chars\":0,\"description\":\"县级应急广播平台\"},"
        "{\"name\":\"wx\",\"kind\":\"wechat\",\"url\":\"https://qyapi.example.com/send?key=a\","
        "\"enabled\":false},"
        "{\"name\":\"call\",\"kind\":\"call\",\"url\":\"https://call.example.cn/\",\"timeout_ms\":"
        "30000},"
        "{\"name\":\"file\",\"kind\":\"spool\",\"dir\":\"/tmp\"}]}");
    assert_int_equal(set->n, 5);
    const Channel *c = channels_find(set, "sms-main");
    assert_non_null(c);
    assert_int_equal(c->kind, CHANNEL_SMS);
    assert_true(c->enabled);
    assert_int_equal(c->timeout_ms, 10000);
    assert_int_equal(c->max_chars, 500);
    assert_int_equal(c->n_headers, 1);
    assert_string_equal(c->headers[0].name, "Authorization");
    assert_string_equal(c->sign, "【县应急局】");
    assert_int_equal(channels_find(set, "bc")->max_chars, 0);
    assert_false(channels_find(set, "wx")->enabled);
    assert_int_equal(channels_find(set, "wx")->max_bytes, 2048);
    assert_int_equal(channels_find(set, "call")->timeout_ms, 30000);
    assert_int_equal(channels_find(set, "file")->kind, CHANNEL_SPOOL);
    assert_null(channels_find(set, "nope"));
    assert_string_equal(channel_kind_name(CHANNEL_BROADCAST), "broadcast");
    channels_free(set);
    set = load("{\"channels\":[]}");
    assert_int_equal(set->n, 0);
    channels_free(set);
}

/* Loading text fails with 400 and a problem at field. */
static void bad_config(const char *text, const char *field)
{
    Error err = ERROR_INIT;
    ChannelSet *set = channels_load(text, &err);
    if (set || err.status != 400 || (field && !json_object_get(err.fields, field))) {
        char *f = err.fields ? json_dumps(err.fields, 0) : NULL;
        print_error("config %s: status %d fields %s\n", text, err.status, f ? f : "-");
        free(f);
        fail();
    }
    assert_string_equal(err.code, "invalid_channel_config");
    assert_non_null(strstr(err.message, "渠道配置"));
    assert_non_null(strstr(err.message_en, "channel configuration"));
    error_clear(&err);
    channels_free(set);
}

static void test_config_validation(void **state)
{
    (void)state;
    bad_config("{\"channels\":[", NULL);
    bad_config("[]", "channels");
    bad_config("{\"channel\":[]}", "channels");
    bad_config("{\"channels\":[], \"extra\":1}", "extra");
    bad_config("{\"channels\":[1]}", "channels[0].*");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"fax\"}]}", "channels[0].kind");
    bad_config("{\"channels\":[{\"kind\":\"spool\",\"dir\":\"/tmp\"}]}", "channels[0].name");
    bad_config("{\"channels\":[{\"name\":\"短信\",\"kind\":\"spool\",\"dir\":\"/tmp\"}]}",
               "channels[0].name");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"spool\",\"dir\":\"/tmp\"},"
               "{\"name\":\"a\",\"kind\":\"spool\",\"dir\":\"/tmp\"}]}",
               "channels[1].name");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\"}]}", "channels[0].url");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"ftp://x/y\"}]}",
               "channels[0].url");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"not a url\"}]}",
               "channels[0].url");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"timeout_ms\":5}]}",
               "channels[0].timeout_ms");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"timeout_ms\":\"5s\"}]}",
               "channels[0].timeout_ms");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"enabled\":\"yes\"}]}",
               "channels[0].enabled");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"headers\":{\"X-A\":\"1\\r\\nX-B: 2\"}}]}",
               "channels[0].headers.X-A");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"headers\":{\"Idempotency-Key\":\"k\"}}]}",
               "channels[0].headers.Idempotency-Key");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"broadcast\",\"url\":\"http://x/\","
               "\"sign\":\"【x】\"}]}",
               "channels[0].sign");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"spool\"}]}", "channels[0].dir");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"spool\",\"dir\":\"/tmp\","
               "\"url\":\"http://x/\"}]}",
               "channels[0].url");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"urll\":\"http://x/\"}]}",
               "channels[0].urll");
    bad_config("{\"channels\":[{\"name\":\"a\",\"kind\":\"sms\",\"url\":\"http://x/\","
               "\"max_bytes\":4}]}",
               "channels[0].max_bytes");
    /* every problem is reported, the count in the message */
    Error err = ERROR_INIT;
    assert_null(
        channels_load("{\"channels\":[{\"name\":\"A\",\"kind\":\"sms\",\"timeout_ms\":1}]}", &err));
    assert_int_equal(json_object_size(err.fields), 3);
    assert_non_null(strstr(err.message, "3 处"));
    assert_non_null(strstr(err.message_en, "3 problems"));
    error_clear(&err);
    /* a long Chinese unknown field: messages stay valid UTF-8 and render as JSON */
    assert_null(channels_load("{\"channels\":[{\"name\":\"a\",\"kind\":\"spool\",\"dir\":"
                              "\"/tmp\",\"应急广播平台的备注说明字段名称非常非常非常非常长\":1}]}",
                              &err));
    assert_int_equal(json_object_size(err.fields), 1);
    json_t *rendered = error_to_json(&err);
    assert_non_null(rendered);
    assert_int_equal(json_object_size(json_object_get(rendered, "error")), 4);
    json_decref(rendered);
    error_clear(&err);
    /* files */
    assert_null(channels_load_file("/nonexistent/channels.json", &err));
    assert_err(-1, err, 400);
    char path[] = "/tmp/yingji-channels-XXXXXX.json";
    int fd = mkstemps(path, 5);
    const char *cfg = "{\"channels\":[{\"name\":\"f\",\"kind\":\"spool\",\"dir\":\"/tmp\"}]}";
    assert_int_equal(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
    close(fd);
    ChannelSet *set = channels_load_file(path, &err);
    assert_non_null(set);
    assert_int_equal(set->n, 1);
    channels_free(set);
    unlink(path);
}

/* ---- receipts and replies --------------------------------------------------------------- */

static void test_parse_receipts(void **state)
{
    (void)state;
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    ChannelReport *r;
    size_t n;
    const char *one = "{\"key\":\"warn:42:7:sms\",\"id\":\"msg-1\",\"phone\":\"13800138001\","
                      "\"status\":\"DELIVRD\",\"time\":\"2026-11-23 09:30:00\"}";
    assert_ok(channel_parse_receipts(CHANNEL_SMS, one, strlen(one), &a, &r, &n, &err), err);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].key, "warn:42:7:sms");
    assert_string_equal(r[0].provider_id, "msg-1");
    assert_string_equal(r[0].address, "13800138001");
    assert_int_equal(r[0].status, CHANNEL_DELIVERED);
    assert_string_equal(r[0].raw_status, "DELIVRD");
    int64_t want;
    clock_parse_iso("2026-11-23T01:30:00Z", &want); /* Beijing time without a zone */
    assert_int_equal(r[0].time, want);
    const char *many = "[{\"id\":77,\"status\":\"UNDELIV\",\"time\":\"2026-11-23T01:30:00Z\"},"
                       "{\"key\":\"k2\",\"status\":\"delivered\",\"time\":1795397400000}]";
    assert_ok(channel_parse_receipts(CHANNEL_SMS, many, strlen(many), &a, &r, &n, &err), err);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].provider_id, "77");
    assert_string_equal(r[0].key, "");
    assert_int_equal(r[0].status, CHANNEL_UNDELIVERED);
    assert_int_equal(r[0].time, want);
    assert_int_equal(r[1].status, CHANNEL_DELIVERED);
    assert_int_equal(r[1].time, 1795397400); /* milliseconds */
    /* calls: answered with key 1 is an acknowledgement (叫应) */
    const char *call = "[{\"key\":\"c1\",\"status\":\"answered\",\"keypress\":\"1\"},"
                       "{\"key\":\"c2\",\"status\":\"answered\"},"
                       "{\"key\":\"c4\",\"status\":\"answered\",\"keypress\":2,"
                       "\"time\":\"2026-11-23T09:30:00\"},"
                       "{\"key\":\"c3\",\"status\":\"no_answer\",\"keypress\":\"1\"}]";
    assert_ok(channel_parse_receipts(CHANNEL_CALL, call, strlen(call), &a, &r, &n, &err), err);
    assert_int_equal(n, 4);
    assert_true(r[0].acknowledged);
    assert_false(r[0].needs_help);
    assert_int_equal(r[0].status, CHANNEL_DELIVERED);
    assert_false(r[1].acknowledged);
    assert_true(r[2].acknowledged); /* 2 = 求助: an answer that asks for help */
    assert_true(r[2].needs_help);
    assert_int_equal(r[2].time, want);
    assert_int_equal(r[3].status, CHANNEL_UNDELIVERED);
    const char *bc = "{\"key\":\"b\",\"area_code\":\"620302\",\"status\":\"played\"}";
    assert_ok(channel_parse_receipts(CHANNEL_BROADCAST, bc, strlen(bc), &a, &r, &n, &err), err);
    assert_string_equal(r[0].address, "620302");
    assert_int_equal(r[0].status, CHANNEL_DELIVERED);
    const char *wx = "{\"key\":\"w\",\"status\":\"read\"}";
    assert_ok(channel_parse_receipts(CHANNEL_WECHAT, wx, strlen(wx), &a, &r, &n, &err), err);
    assert_int_equal(r[0].status, CHANNEL_DELIVERED);
    /* refusals */
    const char *bad[] = {
        "not json",
        "[1]",
        "{\"status\":\"DELIVRD\"}",              /* neither key nor id */
        "{\"key\":\"k\",\"status\":\"played\"}", /* a broadcast word on sms */
        "{\"key\":\"k\"}",                       /* no status */
        "{\"key\":\"k\",\"status\":\"DELIVRD\",\"time\":\"yesterday\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            channel_parse_receipts(CHANNEL_SMS, bad[i], strlen(bad[i]), &a, &r, &n, &err), -1);
        assert_true(err.message[0] && err.message_en[0]);
        assert_err(-1, err, 400);
        assert_int_equal(n, 0);
    }
    assert_int_equal(channel_parse_receipts(CHANNEL_SPOOL, wx, strlen(wx), &a, &r, &n, &err), -1);
    assert_err(-1, err, 400);
    arena_free(&a);
}

static void test_reply_keywords(void **state)
{
    (void)state;
    Arena a = ARENA_INIT;
    const char *norm;
    struct {
        const char *text, *norm;
        ChannelReplyKind kind;
    } cases[] = {
        {"1", "1", CHANNEL_REPLY_ACK},
        {"１", "1", CHANNEL_REPLY_ACK}, /* full-width digit */
        {" 收到！", "收到", CHANNEL_REPLY_ACK},
        {"确认。", "确认", CHANNEL_REPLY_ACK},
        {"\xE3\x80\x80已收到\xE3\x80\x80", "已收到", CHANNEL_REPLY_ACK}, /* ideographic spaces */
        {"OK", "ok", CHANNEL_REPLY_ACK},
        {"Ｙｅｓ!", "yes", CHANNEL_REPLY_ACK},
        {"2", "2", CHANNEL_REPLY_HELP},
        {"求助！！", "求助", CHANNEL_REPLY_HELP},
        {"你好", "你好", CHANNEL_REPLY_UNKNOWN},
        {"11", "11", CHANNEL_REPLY_UNKNOWN},
        {"收到收到", "收到收到", CHANNEL_REPLY_UNKNOWN},
        {"", "", CHANNEL_REPLY_UNKNOWN},
        {"\xFF", "", CHANNEL_REPLY_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ChannelReplyKind k = channel_reply_keyword(&a, cases[i].text, &norm);
        if (k != cases[i].kind || strcmp(norm, cases[i].norm) != 0) {
            print_error("'%s': kind %d norm '%s'\n", cases[i].text, k, norm);
            fail();
        }
    }
    assert_int_equal(channel_reply_keyword(NULL, "收到", NULL), CHANNEL_REPLY_ACK);
    arena_free(&a);
}

static void test_parse_replies(void **state)
{
    (void)state;
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    ChannelReply *r;
    size_t n;
    const char *body = "[{\"phone\":\"+86 138-0013-8001\",\"text\":\"收到！\","
                       "\"time\":\"2026-11-23 09:31:00\"},"
                       "{\"phone\":\"8613800138002\",\"text\":\"路已经淹了，出不去\"},"
                       "{\"phone\":\"95119\",\"text\":\"2\",\"key\":\"warn:42:9:sms\"}]";
    assert_ok(channel_parse_replies(CHANNEL_SMS, body, strlen(body), &a, &r, &n, &err), err);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].from, "13800138001");
    assert_string_equal(r[0].text, "收到！");
    assert_string_equal(r[0].keyword, "收到");
    assert_int_equal(r[0].kind, CHANNEL_REPLY_ACK);
    assert_true(r[0].time > 0);
    assert_string_equal(r[1].from, "13800138002");
    assert_int_equal(r[1].kind, CHANNEL_REPLY_UNKNOWN);
    assert_string_equal(r[1].text, "路已经淹了，出不去");
    assert_int_equal(r[1].time, 0);
    assert_string_equal(r[2].from, "95119");
    assert_int_equal(r[2].kind, CHANNEL_REPLY_HELP);
    assert_string_equal(r[2].key, "warn:42:9:sms");
    const char *bad = "{\"text\":\"1\"}";
    assert_int_equal(channel_parse_replies(CHANNEL_SMS, bad, strlen(bad), &a, &r, &n, &err), -1);
    assert_err(-1, err, 400);
    bad = "{\"phone\":\"1\",\"text\":1}";
    assert_int_equal(channel_parse_replies(CHANNEL_SMS, bad, strlen(bad), &a, &r, &n, &err), -1);
    assert_err(-1, err, 400);
    assert_int_equal(channel_parse_replies(CHANNEL_CALL, body, strlen(body), &a, &r, &n, &err), -1);
    assert_err(-1, err, 400);
    arena_free(&a);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    /* the stub is local: never go through a proxy from the environment */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sms_sent_with_key_header_and_body),
        cmocka_unit_test(test_http_outcomes),
        cmocka_unit_test(test_other_kinds_request_shapes),
        cmocka_unit_test(test_answers_for_some_recipients),
        cmocka_unit_test(test_send_refuses_bad_messages),
        cmocka_unit_test(test_concurrent_http_sends),
        cmocka_unit_test(test_truncate_on_character_boundary),
        cmocka_unit_test(test_sms_text_cut_but_link_kept),
        cmocka_unit_test(test_spool_appends_once),
        cmocka_unit_test(test_spool_recovers_from_torn_line),
        cmocka_unit_test(test_spool_locked_against_second_opener),
        cmocka_unit_test(test_spool_concurrent_writers),
        cmocka_unit_test(test_config_loads_with_defaults),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_parse_receipts),
        cmocka_unit_test(test_reply_keywords),
        cmocka_unit_test(test_parse_replies),
    };
    return cmocka_run_group_tests(tests, stub_start, stub_stop);
}
