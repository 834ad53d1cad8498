/* modules/publish/channel_http — the HTTP adapters (SMS, broadcast, WeChat webhook, call):
 * one JSON POST per message through libcurl, the provider's answer mapped to SENT / RETRY /
 * FAILED. Request shapes and the mapping are documented in docs/channels.md.
 *
 * Each send uses its own CURL easy handle (created and cleaned up in the call), so sends may
 * run on any number of threads; CURLOPT_NOSIGNAL keeps timeouts off signals. Redirects are not
 * followed and only http/https are allowed. */
#include "modules/publish/channel_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define RESPONSE_MAX (64 * 1024) /* bytes of a provider's answer kept */
#define USER_AGENT "yingji-channel/1"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int channel_http_global_init(void)
{
    pthread_once(&global_once, global_init);
    return global_rc == CURLE_OK ? 0 : -1;
}

int channel_http_url_ok(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) && *host;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok ? 0 : -1;
}

/* ---- request bodies --------------------------------------------------------------------- */

/* Sets key to a string value unless s is NULL or empty. */
static void set_opt(json_t *obj, const char *key, const char *s)
{
    if (s && *s)
        json_object_set_new(obj, key, json_string(s));
}

/* The JSON request of ch->kind for msg with its composed text; new reference. */
static json_t *request_body(const Channel *ch, const ChannelMessage *msg, const char *text)
{
    json_t *b = json_pack("{s:s}", "key", msg->idempotency_key);
    switch (ch->kind) {
    case CHANNEL_SMS:
        json_object_set_new(b, "phone", json_string(msg->address));
        json_object_set_new(b, "text", json_string(text));
        set_opt(b, "sign", ch->sign);
        set_opt(b, "callback", ch->callback_url);
        break;
    case CHANNEL_BROADCAST:
        json_object_set_new(b, "area_code", json_string(msg->address));
        set_opt(b, "title", msg->title);
        json_object_set_new(b, "text", json_string(text));
        if (msg->level > 0)
            json_object_set_new(b, "level", json_integer(msg->level));
        break;
    case CHANNEL_WECHAT: {
        json_t *t = json_pack("{s:s}", "content", text);
        if (msg->address && *msg->address)
            json_object_set_new(t, "mentioned_mobile_list", json_pack("[s]", msg->address));
        json_object_set_new(b, "msgtype", json_string("text"));
        json_object_set_new(b, "text", t);
        break;
    }
    case CHANNEL_CALL:
        json_object_set_new(b, "phone", json_string(msg->address));
        json_object_set_new(b, "tts", json_string(text));
        set_opt(b, "callback", ch->callback_url);
        break;
    case CHANNEL_SPOOL:
        break;
    }
    return b;
}

/* ---- the exchange ----------------------------------------------------------------------- */

typedef struct Response {
    char buf[RESPONSE_MAX + 1];
    size_t len;
} Response;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    Response *r = userdata;
    size_t n = size * nmemb, room = RESPONSE_MAX - r->len;
    memcpy(r->buf + r->len, data, n < room ? n : room);
    r->len += n < room ? n : room;
    r->buf[r->len] = 0;
    return n; /* read everything; keep the first RESPONSE_MAX bytes */
}

static struct curl_slist *request_headers(Arena *a, const Channel *ch, const char *key)
{
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    h = curl_slist_append(h, arena_printf(a, "Idempotency-Key: %s", key));
    for (size_t i = 0; i < ch->n_headers; i++)
        h = curl_slist_append(h,
                              arena_printf(a, "%s: %s", ch->headers[i].name, ch->headers[i].value));
    return h;
}

/* The start of a provider's answer, safe to put in an error message. */
static const char *answer_excerpt(Arena *a, const Response *r)
{
    char *s = channel_truncate(a, r->buf, 120, 0);
    return s ? s : "(binary)";
}

/* Provider message id from a 2xx answer {"id": …} or {"message_id": …}. */
static void provider_id(json_t *answer, ChannelReceipt *out)
{
    json_t *id = json_object_get(answer, "id");
    if (!id)
        id = json_object_get(answer, "message_id");
    if (json_is_string(id)) {
        snprintf(out->provider_id, sizeof out->provider_id, "%s", json_string_value(id));
        channel_utf8_clip(out->provider_id);
    } else if (json_is_integer(id)) {
        snprintf(out->provider_id, sizeof out->provider_id, "%lld",
                 (long long)json_integer_value(id));
    }
}

/* WeChat-style answers carry {"errcode": n, "errmsg": …} with HTTP 200: 0 is success,
 * -1 (busy) and 45009 (rate limit) are worth retrying, anything else is refused. */
static ChannelOutcome accepted(json_t *answer, Arena *a, const Response *r, ChannelReceipt *out,
                               Error *err)
{
    json_t *code = json_object_get(answer, "errcode");
    if (json_is_integer(code) && json_integer_value(code) != 0) {
        json_int_t c = json_integer_value(code);
        const char *detail =
            arena_printf(a, "errcode %lld: %s", (long long)c, answer_excerpt(a, r));
        if (c == -1 || c == 45009)
            return channel_retry(out, err, "渠道服务繁忙或限流", "provider busy or rate limited",
                                 detail);
        return channel_failed(out, err, "渠道拒绝了消息", "provider refused the message", detail);
    }
    provider_id(answer, out);
    out->outcome = CHANNEL_SENT;
    return CHANNEL_SENT;
}

static ChannelOutcome classify(CURL *h, CURLcode rc, const char *curl_msg, Arena *a,
                               const Response *r, ChannelReceipt *out, Error *err)
{
    if (rc != CURLE_OK) /* timeouts, refused connections, resets: the provider may come back */
        return channel_retry(out, err, "无法连接渠道服务或超时",
                             "provider unreachable or timed out",
                             arena_printf(a, "%s: %s", curl_easy_strerror(rc), curl_msg));
    long status = 0;
    curl_off_t retry_after = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
    out->http_status = (int)status;
    const char *detail = arena_printf(a, "HTTP %ld %s", status, answer_excerpt(a, r));
    if (status >= 200 && status < 300) {
        json_t *answer = json_loadb(r->buf, r->len, 0, NULL);
        ChannelOutcome o = accepted(answer, a, r, out, err);
        json_decref(answer);
        return o;
    }
    if (status == 408 || status == 429 || status >= 500) {
        /* seconds or an HTTP date (libcurl converts); a past date read as "now", at most 1 day */
        out->retry_after_s = retry_after < 0 ? 0 : retry_after > 86400 ? 86400 : (long)retry_after;
        return channel_retry(out, err, "渠道服务暂时不可用", "provider temporarily unavailable",
                             detail);
    }
    return channel_failed(out, err, "渠道拒绝了消息", "provider refused the message", detail);
}

ChannelOutcome channel_http_send(const Channel *ch, const ChannelMessage *msg, ChannelReceipt *out,
                                 Error *err)
{
    if (channel_http_global_init() < 0)
        return channel_retry(out, err, "HTTP 客户端初始化失败", "curl_global_init failed", NULL);
    Arena a = ARENA_INIT;
    ChannelOutcome o;
    const char *text = channel_compose(&a, ch, msg, err);
    if (!text) {
        arena_free(&a);
        out->outcome = CHANNEL_FAILED; /* err filled by channel_compose */
        return CHANNEL_FAILED;
    }
    json_t *body = request_body(ch, msg, text);
    char *payload = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    CURL *h = curl_easy_init();
    Response *resp = arena_alloc(&a, sizeof *resp);
    char curl_msg[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = request_headers(&a, ch, msg->idempotency_key);
    if (!h || !payload) {
        o = channel_retry(out, err, "HTTP 请求无法建立", "cannot set up the HTTP request", NULL);
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, ch->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ch->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ch->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    CURLcode rc = curl_easy_perform(h);
    o = classify(h, rc, curl_msg, &a, resp, out, err);
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    free(payload);
    arena_free(&a);
    return o;
}
