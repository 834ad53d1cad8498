/* modules/publish/channel — the adapter interface: configuration, text composition and
 * truncation, dispatch to the HTTP and spool adapters, and the parsing of receipt and reply
 * callbacks. Contract in channel.h, reference in docs/channels.md. */
#include "modules/publish/channel_internal.h"

#include "core/clock.h"
#include "core/fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- kinds ------------------------------------------------------------------------------ */

static const char *const kind_names[] = {
    [CHANNEL_SMS] = "sms",   [CHANNEL_BROADCAST] = "broadcast", [CHANNEL_WECHAT] = "wechat",
    [CHANNEL_CALL] = "call", [CHANNEL_SPOOL] = "spool",
};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

const char *channel_kind_name(ChannelKind kind)
{
    return (size_t)kind < N_KINDS ? kind_names[kind] : "unknown";
}

int channel_kind_parse(const char *name, ChannelKind *out)
{
    for (size_t i = 0; name && i < N_KINDS; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (ChannelKind)i;
            return 0;
        }
    }
    return -1;
}

static int kind_is_http(ChannelKind kind)
{
    return kind != CHANNEL_SPOOL;
}

/* ---- outcomes --------------------------------------------------------------------------- */

/* Fills err with status, code and "zh[：detail]" / "en[: detail]". */
static void outcome_error(Error *err, int status, const char *code, const char *zh, const char *en,
                          const char *detail)
{
    if (!err)
        return;
    int d = detail && *detail;
    error_set(err, status, code, zh, "%s", en);
    snprintf(err->message, sizeof err->message, "%s%s%s", zh, d ? "：" : "", d ? detail : "");
    snprintf(err->message_en, sizeof err->message_en, "%s%s%s", en, d ? ": " : "", d ? detail : "");
    channel_utf8_clip(err->message);
    channel_utf8_clip(err->message_en);
}

ChannelOutcome channel_retry(ChannelReceipt *out, Error *err, const char *zh, const char *en,
                             const char *detail)
{
    out->outcome = CHANNEL_RETRY;
    outcome_error(err, 503, "channel_retry", zh, en, detail);
    return CHANNEL_RETRY;
}

ChannelOutcome channel_failed(ChannelReceipt *out, Error *err, const char *zh, const char *en,
                              const char *detail)
{
    out->outcome = CHANNEL_FAILED;
    outcome_error(err, 422, "channel_failed", zh, en, detail);
    return CHANNEL_FAILED;
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* Length (1–4) of the well-formed UTF-8 sequence at s and its code point, or 0 when s starts
 * with NUL or an ill-formed sequence (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_next(const char *str, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t c = s[0], min;
    size_t n;
    if (c == 0)
        return 0;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2, c &= 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, c &= 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

void channel_utf8_clip(char *buf)
{
    uint32_t cp;
    size_t n;
    while ((n = utf8_next(buf, &cp)) > 0)
        buf += n;
    *buf = 0;
}

long channel_utf8_chars(const char *s)
{
    long chars = 0;
    uint32_t cp;
    while (*s) {
        size_t n = utf8_next(s, &cp);
        if (!n)
            return -1;
        s += n;
        chars++;
    }
    return chars;
}

#define ELLIPSIS "…"
#define ELLIPSIS_BYTES 3

/* Like channel_truncate with SIZE_MAX meaning "no limit". */
static char *truncate_to(Arena *a, const char *s, size_t max_chars, size_t max_bytes)
{
    long chars = channel_utf8_chars(s);
    if (chars < 0)
        return NULL;
    size_t len = strlen(s);
    if ((size_t)chars <= max_chars && len <= max_bytes)
        return arena_strdup(a, s);
    if (max_chars < 1 || max_bytes < ELLIPSIS_BYTES)
        return arena_strdup(a, "");
    size_t keep_chars = max_chars - 1, keep_bytes = max_bytes - ELLIPSIS_BYTES, off = 0;
    uint32_t cp;
    for (size_t i = 0; i < keep_chars; i++) {
        size_t n = utf8_next(s + off, &cp);
        if (off + n > keep_bytes)
            break;
        off += n;
    }
    char *r = arena_alloc(a, off + ELLIPSIS_BYTES + 1);
    memcpy(r, s, off);
    memcpy(r + off, ELLIPSIS, ELLIPSIS_BYTES + 1);
    return r;
}

char *channel_truncate(Arena *a, const char *s, size_t max_chars, size_t max_bytes)
{
    return truncate_to(a, s, max_chars ? max_chars : SIZE_MAX, max_bytes ? max_bytes : SIZE_MAX);
}

/* ---- composition ------------------------------------------------------------------------ */

#define ACK_PROMPT "\n确认收到请点击："

static int has(const char *s)
{
    return s && *s;
}

char *channel_compose(Arena *a, const Channel *ch, const ChannelMessage *msg, Error *err)
{
    ChannelReceipt ignored;
    const char *text = msg->text ? msg->text : "";
    const char *title = has(msg->title) ? msg->title : NULL;
    char *head = NULL, *tail = "";
    switch (ch->kind) {
    case CHANNEL_SMS:
    case CHANNEL_WECHAT:
        head = title ? arena_printf(a, "%s\n%s", title, text) : arena_strdup(a, text);
        if (has(msg->ack_url))
            tail = arena_printf(a, ACK_PROMPT "%s", msg->ack_url);
        break;
    case CHANNEL_CALL:
        head = title ? arena_printf(a, "%s。%s", title, text) : arena_strdup(a, text);
        break;
    case CHANNEL_BROADCAST:
    case CHANNEL_SPOOL:
        head = arena_strdup(a, text);
        break;
    }
    long tail_chars = channel_utf8_chars(tail);
    if (channel_utf8_chars(head) < 0 || tail_chars < 0) {
        channel_failed(&ignored, err, "消息内容不是有效的 UTF-8 文本",
                       "message text is not valid UTF-8", NULL);
        return NULL;
    }
    size_t tail_len = strlen(tail);
    size_t max_chars = ch->max_chars ? ch->max_chars : SIZE_MAX;
    size_t max_bytes = ch->max_bytes ? ch->max_bytes : SIZE_MAX;
    if ((size_t)tail_chars >= max_chars || tail_len >= max_bytes) {
        channel_failed(&ignored, err, "确认链接超过渠道的长度上限",
                       "the acknowledgement link alone exceeds the channel's length limit",
                       ch->name);
        return NULL;
    }
    size_t rest_chars = max_chars == SIZE_MAX ? SIZE_MAX : max_chars - (size_t)tail_chars;
    size_t rest_bytes = max_bytes == SIZE_MAX ? SIZE_MAX : max_bytes - tail_len;
    char *body = truncate_to(a, head, rest_chars, rest_bytes);
    return *tail ? arena_printf(a, "%s%s", body, tail) : body;
}

/* ---- sending ---------------------------------------------------------------------------- */

static int utf8_or_null(const char *s)
{
    return !s || channel_utf8_chars(s) >= 0;
}

/* Idempotency keys travel in a header: 1–200 printable ASCII characters, no spaces. */
static int key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n < 1 || n > 200)
        return 0;
    for (; *key; key++) {
        if (*key < 0x21 || *key > 0x7E)
            return 0;
    }
    return 1;
}

ChannelOutcome channel_send(const Channel *ch, const ChannelMessage *msg, ChannelReceipt *out,
                            Error *err)
{
    memset(out, 0, sizeof *out);
    if (!ch->enabled)
        return channel_failed(out, err, "渠道已停用", "channel is disabled", ch->name);
    if (!key_ok(msg->idempotency_key))
        return channel_failed(out, err, "消息的幂等键缺失或无效（应为 1–200 个可见 ASCII 字符）",
                              "idempotency key missing or invalid (1-200 printable ASCII)", NULL);
    if (!msg->text || channel_utf8_chars(msg->text) < 0 || !utf8_or_null(msg->title) ||
        !utf8_or_null(msg->address) || !utf8_or_null(msg->ack_url))
        return channel_failed(out, err, "消息内容为空或不是有效的 UTF-8 文本",
                              "message text is missing or not valid UTF-8", NULL);
    if ((ch->kind == CHANNEL_SMS || ch->kind == CHANNEL_CALL || ch->kind == CHANNEL_BROADCAST) &&
        !has(msg->address))
        return channel_failed(out, err, "接收地址为空（手机号或区域码）",
                              "recipient address (phone or area code) is missing", NULL);
    if (ch->kind == CHANNEL_SPOOL)
        return channel_spool_send(ch, msg, out, err);
    return channel_http_send(ch, msg, out, err);
}

/* ---- configuration ---------------------------------------------------------------------- */

typedef struct Check {
    Error *err;
    int problems;
    char first_zh[320], first_en[320];
} Check;

/* Records one problem at field path (e.g. "channels[1].url"). */
static void problem(Check *c, const char *path, const char *zh, const char *en)
{
    if (!c->problems++) {
        snprintf(c->first_zh, sizeof c->first_zh, "%s：%s", path, zh);
        snprintf(c->first_en, sizeof c->first_en, "%s: %s", path, en);
        channel_utf8_clip(c->first_zh);
        channel_utf8_clip(c->first_en);
    }
    error_field(c->err, path, zh);
}

static const char *const channel_fields[] = {
    "name",       "kind",        "enabled",         "url",       "callback_url",
    "sign",       "dir",         "max_chars",       "max_bytes", "headers",
    "timeout_ms", "description", "callback_secret",
};

static int known_field(const char *key)
{
    for (size_t i = 0; i < sizeof channel_fields / sizeof channel_fields[0]; i++) {
        if (strcmp(key, channel_fields[i]) == 0)
            return 1;
    }
    return 0;
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    }
    return 1;
}

/* RFC 9110 token characters, for header names. */
static int header_name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *s)))
            return 0;
    }
    return 1;
}

static int header_value_ok(const char *s)
{
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n')
            return 0;
    }
    return 1;
}

/* "channels[i].field", the field name cut to 48 bytes on a character boundary. */
static char *path_of(char *buf, size_t n, size_t index, const char *field)
{
    snprintf(buf, n, "channels[%zu].%.48s", index, field);
    channel_utf8_clip(buf);
    return buf;
}

/* A string field: NULL when absent; reports a problem when present but not a non-empty
 * string. */
static const char *get_string(Check *c, json_t *obj, size_t i, const char *field)
{
    char path[96];
    json_t *v = json_object_get(obj, field);
    if (!v)
        return NULL;
    if (!json_is_string(v) || !*json_string_value(v)) {
        problem(c, path_of(path, sizeof path, i, field), "应为非空字符串",
                "must be a non-empty string");
        return NULL;
    }
    return json_string_value(v);
}

/* An integer field in [lo, hi], def when absent. */
static long long get_int(Check *c, json_t *obj, size_t i, const char *field, long long lo,
                         long long hi, long long def)
{
    char path[96], zh[96], en[96];
    json_t *v = json_object_get(obj, field);
    if (!v)
        return def;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(zh, sizeof zh, "应为 %lld 到 %lld 之间的整数", lo, hi);
        snprintf(en, sizeof en, "must be an integer from %lld to %lld", lo, hi);
        problem(c, path_of(path, sizeof path, i, field), zh, en);
        return def;
    }
    return json_integer_value(v);
}

static void check_url(Check *c, size_t i, const char *field, const char *url)
{
    char path[96];
    if (url && channel_http_url_ok(url) < 0)
        problem(c, path_of(path, sizeof path, i, field), "应为 http:// 或 https:// 开头的完整地址",
                "must be an absolute http:// or https:// URL");
}

static void load_headers(Check *c, json_t *obj, size_t i, Channel *ch)
{
    char path[96];
    json_t *h = json_object_get(obj, "headers");
    if (!h)
        return;
    if (!json_is_object(h)) {
        problem(c, path_of(path, sizeof path, i, "headers"), "应为对象（请求头名 → 值）",
                "must be an object of header name to value");
        return;
    }
    ch->headers = xcalloc(json_object_size(h) + 1, sizeof *ch->headers);
    const char *name;
    json_t *v;
    json_object_foreach(h, name, v)
    {
        char hpath[160];
        snprintf(hpath, sizeof hpath, "channels[%zu].headers.%.64s", i, name);
        channel_utf8_clip(hpath);
        if (!header_name_ok(name) || !json_is_string(v) || !header_value_ok(json_string_value(v)) ||
            strcasecmp(name, "Idempotency-Key") == 0 || strcasecmp(name, "Content-Type") == 0) {
            problem(c, hpath,
                    "请求头名或值无效（值须为单行字符串，不可覆盖 Idempotency-Key 与 "
                    "Content-Type）",
                    "invalid header name or value (a one-line string; Idempotency-Key and "
                    "Content-Type are set by Yingji)");
            continue;
        }
        ch->headers[ch->n_headers].name = xstrdup(name);
        ch->headers[ch->n_headers].value = xstrdup(json_string_value(v));
        ch->n_headers++;
    }
}

/* Default text limits per kind (docs/channels.md). */
static void default_limits(ChannelKind kind, long long *chars, long long *bytes)
{
    static const long long def_chars[] = {[CHANNEL_SMS] = 500,
                                          [CHANNEL_BROADCAST] = 1000,
                                          [CHANNEL_WECHAT] = 0,
                                          [CHANNEL_CALL] = 300,
                                          [CHANNEL_SPOOL] = 0};
    *chars = def_chars[kind];
    *bytes = kind == CHANNEL_WECHAT ? 2048 : 0; /* WeChat Work robots: 2048 bytes of text */
}

static void check_known_fields(Check *c, json_t *obj, size_t i)
{
    char path[96];
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!known_field(key))
            problem(c, path_of(path, sizeof path, i, key), "未知字段（拼写错误？）",
                    "unknown field (typo?)");
    }
}

/* The channel's name, or NULL (with a problem) when missing, malformed or taken. */
static const char *check_name(Check *c, json_t *obj, size_t i, const ChannelSet *set)
{
    char path[96];
    const char *name = get_string(c, obj, i, "name");
    path_of(path, sizeof path, i, "name");
    if (!json_object_get(obj, "name"))
        problem(c, path, "缺少渠道名称", "name is required");
    else if (name && !name_ok(name))
        problem(c, path, "名称只能由小写字母、数字、- 和 _ 组成，最长 64 个字符",
                "name must be 1-64 characters of a-z, 0-9, - and _");
    else if (name && channels_find(set, name))
        problem(c, path, "渠道名称重复", "duplicate name");
    else
        return name;
    return NULL;
}

static int check_kind(Check *c, json_t *obj, size_t i, ChannelKind *k)
{
    char path[96];
    const char *kind = get_string(c, obj, i, "kind");
    if (kind && channel_kind_parse(kind, k) == 0)
        return 0;
    if (kind || !json_object_get(obj, "kind"))
        problem(c, path_of(path, sizeof path, i, "kind"),
                "渠道类型应为 sms、broadcast、wechat、call 或 spool",
                "kind must be sms, broadcast, wechat, call or spool");
    return -1;
}

/* Which fields a kind requires or refuses. */
static void check_kind_fields(Check *c, json_t *obj, size_t i, const Channel *ch)
{
    char path[96];
    ChannelKind k = ch->kind;
    if (kind_is_http(k) && !ch->url)
        problem(c, path_of(path, sizeof path, i, "url"), "HTTP 渠道必须配置 url",
                "url is required for HTTP channels");
    if (!kind_is_http(k) && json_object_get(obj, "url"))
        problem(c, path_of(path, sizeof path, i, "url"), "spool 渠道不使用 url",
                "spool channels take no url");
    if (!kind_is_http(k) && json_object_get(obj, "headers"))
        problem(c, path_of(path, sizeof path, i, "headers"), "spool 渠道不使用请求头",
                "spool channels take no headers");
    if (k == CHANNEL_SPOOL && !ch->dir)
        problem(c, path_of(path, sizeof path, i, "dir"), "spool 渠道必须配置目录 dir",
                "dir is required for spool channels");
    if (k != CHANNEL_SPOOL && json_object_get(obj, "dir"))
        problem(c, path_of(path, sizeof path, i, "dir"), "只有 spool 渠道使用 dir",
                "only spool channels take dir");
    if (k != CHANNEL_SMS && json_object_get(obj, "sign"))
        problem(c, path_of(path, sizeof path, i, "sign"), "只有短信渠道使用签名 sign",
                "only sms channels take sign");
    if (k != CHANNEL_SMS && k != CHANNEL_CALL && json_object_get(obj, "callback_url"))
        problem(c, path_of(path, sizeof path, i, "callback_url"),
                "只有短信和外呼渠道使用 callback_url",
                "only sms and call channels take callback_url");
    if (ch->max_bytes && ch->max_bytes < 16)
        problem(c, path_of(path, sizeof path, i, "max_bytes"), "上限过小（至少 16 字节）",
                "limit too small (at least 16 bytes)");
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Checks channels[i] and, unless its kind is unknown, appends it to set (owning its strings,
 * so channels_free releases it even when other fields had problems). */
static void load_channel(Check *c, json_t *obj, size_t i, ChannelSet *set)
{
    char path[96];
    if (!json_is_object(obj)) {
        problem(c, path_of(path, sizeof path, i, "*"), "每个渠道应为对象",
                "each channel must be an object");
        return;
    }
    check_known_fields(c, obj, i);
    const char *name = check_name(c, obj, i, set);
    ChannelKind k;
    if (check_kind(c, obj, i, &k) < 0)
        return;
    Channel *ch = &set->items[set->n++];
    ch->kind = k;
    ch->name = xstrdup(name ? name : "");
    json_t *en = json_object_get(obj, "enabled");
    if (en && !json_is_boolean(en))
        problem(c, path_of(path, sizeof path, i, "enabled"), "应为 true 或 false",
                "must be true or false");
    ch->enabled = en ? json_is_true(en) : 1;
    ch->url = dup_or_null(get_string(c, obj, i, "url"));
    ch->callback_url = dup_or_null(get_string(c, obj, i, "callback_url"));
    ch->sign = dup_or_null(get_string(c, obj, i, "sign"));
    ch->callback_secret = dup_or_null(get_string(c, obj, i, "callback_secret"));
    ch->dir = dup_or_null(get_string(c, obj, i, "dir"));
    get_string(c, obj, i, "description");
    check_url(c, i, "url", ch->url);
    check_url(c, i, "callback_url", ch->callback_url);
    long long def_chars, def_bytes;
    default_limits(k, &def_chars, &def_bytes);
    ch->max_chars = (size_t)get_int(c, obj, i, "max_chars", 0, 100000, def_chars);
    ch->max_bytes = (size_t)get_int(c, obj, i, "max_bytes", 0, 1000000, def_bytes);
    ch->timeout_ms = (long)get_int(c, obj, i, "timeout_ms", 100, 120000, 10000);
    check_kind_fields(c, obj, i, ch);
    load_headers(c, obj, i, ch);
    if (k == CHANNEL_SPOOL)
        ch->spool = channel_spool_new();
}

ChannelSet *channels_load(const char *json_text, Error *err)
{
    if (channel_http_global_init() < 0) {
        error_internal(err, "curl_global_init failed");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        error_setf(err, 400, "invalid_channel_config", "渠道配置不是有效的 JSON（第 %d 行）：%s",
                   "channel configuration is not valid JSON (line %d): %s", jerr.line, jerr.text);
        return NULL;
    }
    Check c = {.err = err};
    json_t *list = json_object_get(root, "channels");
    ChannelSet *set = xcalloc(1, sizeof *set);
    const char *key;
    json_t *v;
    if (!json_is_object(root) || !json_is_array(list)) {
        problem(&c, "channels", "配置应为 {\"channels\": [...]}",
                "the configuration must be {\"channels\": [...]}");
    } else {
        json_object_foreach(root, key, v)
        {
            char top[64];
            snprintf(top, sizeof top, "%.48s", key);
            channel_utf8_clip(top);
            if (strcmp(key, "channels") != 0)
                problem(&c, top, "未知字段（拼写错误？）", "unknown field (typo?)");
        }
        set->items = xcalloc(json_array_size(list) + 1, sizeof *set->items);
        size_t i;
        json_array_foreach(list, i, v)
        {
            load_channel(&c, v, i, set);
        }
    }
    json_decref(root);
    if (c.problems) {
        channels_free(set);
        json_t *fields = err ? err->fields : NULL;
        if (err)
            err->fields = NULL;
        error_setf(err, 400, "invalid_channel_config", "渠道配置有误（%d 处）：%s",
                   "invalid channel configuration (%d problems): %s", c.problems, c.first_zh);
        if (err) {
            snprintf(err->message_en, sizeof err->message_en,
                     "invalid channel configuration (%d problems): %s", c.problems, c.first_en);
            err->fields = fields;
        }
        return NULL;
    }
    return set;
}

ChannelSet *channels_load_file(const char *path, Error *err)
{
    size_t len;
    char *text = file_read_all(path, &len);
    if (!text) {
        error_setf(err, 400, "invalid_channel_config", "无法读取渠道配置文件 %s：%s",
                   "cannot read the channel configuration %s: %s", path, strerror(errno));
        return NULL;
    }
    ChannelSet *set = channels_load(text, err);
    free(text);
    return set;
}

void channels_free(ChannelSet *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        Channel *ch = &set->items[i];
        free(ch->name);
        free(ch->url);
        free(ch->callback_url);
        free(ch->sign);
        free(ch->callback_secret);
        free(ch->dir);
        for (size_t h = 0; h < ch->n_headers; h++) {
            free(ch->headers[h].name);
            free(ch->headers[h].value);
        }
        free(ch->headers);
        channel_spool_free(ch->spool);
    }
    free(set->items);
    free(set);
}

const Channel *channels_find(const ChannelSet *set, const char *name)
{
    for (size_t i = 0; set && name && i < set->n; i++) {
        if (set->items[i].name && strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    }
    return NULL;
}

/* ---- callbacks -------------------------------------------------------------------------- */

/* A string or integer member as text in a ("" when absent or of another type). */
static const char *member_text(Arena *a, json_t *obj, const char *field)
{
    json_t *v = json_object_get(obj, field);
    if (json_is_string(v))
        return arena_strdup(a, json_string_value(v));
    if (json_is_integer(v))
        return arena_printf(a, "%lld", (long long)json_integer_value(v));
    return "";
}

/* "time": ISO-8601 with a zone; without one ("YYYY-MM-DD HH:MM:SS" or "…T…", what Chinese
 * gateways send) Beijing time; or Unix seconds / milliseconds. 0 when absent; -1 when present but
 * unreadable. */
static int member_time(json_t *obj, int64_t *out)
{
    json_t *v = json_object_get(obj, "time");
    *out = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        json_int_t t = json_integer_value(v);
        *out = t > 100000000000LL ? t / 1000 : t;
        return t > 0 ? 0 : -1;
    }
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    char local[40];
    if (strlen(s) == 19 && (s[10] == ' ' || s[10] == 'T')) { /* no zone: Beijing time */
        snprintf(local, sizeof local, "%.10sT%s+08:00", s, s + 11);
        return clock_parse_iso(local, out);
    }
    return clock_parse_iso(s, out);
}

/* Parses body as one object or an array of objects; *items is a new reference. */
static int callback_items(const char *body, size_t len, json_t **items, Error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return error_setf(err, 400, "invalid_callback", "回调内容不是有效的 JSON：%s",
                          "callback body is not valid JSON: %s", jerr.text);
    if (json_is_object(root)) {
        *items = json_pack("[o]", root);
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v)
    {
        if (!json_is_object(v))
            break;
    }
    if (!json_is_array(root) || i < json_array_size(root)) {
        json_decref(root);
        return error_set(err, 400, "invalid_callback", "回调内容应为对象或对象数组",
                         "callback body must be an object or an array of objects");
    }
    *items = root;
    return 0;
}

typedef struct StatusWord {
    unsigned kinds; /* bit per ChannelKind */
    const char *word;
    ChannelDelivery status;
} StatusWord;

#define K(kind) (1u << (kind))
#define K_ALL (K(CHANNEL_SMS) | K(CHANNEL_BROADCAST) | K(CHANNEL_WECHAT) | K(CHANNEL_CALL))

/* Status words of receipts, case-insensitive (docs/channels.md). SMS words are the CMPP/SGIP
 * status report codes gateways pass on. */
static const StatusWord status_words[] = {
    {K_ALL, "delivered", CHANNEL_DELIVERED},
    {K_ALL, "success", CHANNEL_DELIVERED},
    {K_ALL, "failed", CHANNEL_UNDELIVERED},
    {K(CHANNEL_SMS), "DELIVRD", CHANNEL_DELIVERED},
    {K(CHANNEL_SMS), "UNDELIV", CHANNEL_UNDELIVERED},
    {K(CHANNEL_SMS), "EXPIRED", CHANNEL_UNDELIVERED},
    {K(CHANNEL_SMS), "REJECTD", CHANNEL_UNDELIVERED},
    {K(CHANNEL_SMS), "DELETED", CHANNEL_UNDELIVERED},
    {K(CHANNEL_SMS), "UNKNOWN", CHANNEL_UNDELIVERED},
    {K(CHANNEL_BROADCAST), "played", CHANNEL_DELIVERED},
    {K(CHANNEL_BROADCAST), "offline", CHANNEL_UNDELIVERED},
    {K(CHANNEL_WECHAT), "read", CHANNEL_DELIVERED},
    {K(CHANNEL_CALL), "answered", CHANNEL_DELIVERED},
    {K(CHANNEL_CALL), "no_answer", CHANNEL_UNDELIVERED},
    {K(CHANNEL_CALL), "busy", CHANNEL_UNDELIVERED},
    {K(CHANNEL_CALL), "rejected", CHANNEL_UNDELIVERED},
    {K(CHANNEL_CALL), "unreachable", CHANNEL_UNDELIVERED},
};

static int status_word(ChannelKind kind, const char *word, ChannelDelivery *out)
{
    for (size_t i = 0; i < sizeof status_words / sizeof status_words[0]; i++) {
        if ((status_words[i].kinds & K(kind)) && strcasecmp(word, status_words[i].word) == 0) {
            *out = status_words[i].status;
            return 0;
        }
    }
    return -1;
}

/* The member naming the recipient in each kind's request and receipt. */
static const char *address_field(ChannelKind kind)
{
    return kind == CHANNEL_BROADCAST ? "area_code" : kind == CHANNEL_WECHAT ? "to" : "phone";
}

static int parse_report(ChannelKind kind, json_t *obj, size_t i, Arena *a, ChannelReport *r,
                        Error *err)
{
    r->key = member_text(a, obj, "key");
    r->provider_id = member_text(a, obj, "id");
    r->address = member_text(a, obj, address_field(kind));
    r->raw_status = member_text(a, obj, "status");
    if (!*r->key && !*r->provider_id)
        return error_setf(err, 400, "invalid_callback", "第 %zu 条回执缺少 key 或 id",
                          "receipt %zu has neither key nor id", i + 1);
    if (status_word(kind, r->raw_status, &r->status) < 0)
        return error_setf(err, 400, "invalid_callback", "第 %zu 条回执的状态无法识别",
                          "receipt %zu has an unknown status", i + 1);
    if (member_time(obj, &r->time) < 0)
        return error_setf(err, 400, "invalid_callback", "第 %zu 条回执的时间格式无法识别",
                          "receipt %zu has an unreadable time", i + 1);
    const char *keys = member_text(a, obj, "keypress");
    ChannelReplyKind answer = kind == CHANNEL_CALL && r->status == CHANNEL_DELIVERED
                                  ? channel_reply_keyword(a, keys, NULL)
                                  : CHANNEL_REPLY_UNKNOWN;
    r->acknowledged = answer != CHANNEL_REPLY_UNKNOWN;
    r->needs_help = answer == CHANNEL_REPLY_HELP;
    return 0;
}

int channel_parse_receipts(ChannelKind kind, const char *body, size_t len, Arena *a,
                           ChannelReport **out, size_t *n, Error *err)
{
    *out = NULL;
    *n = 0;
    if (!kind_is_http(kind))
        return error_set(err, 400, "invalid_callback", "该渠道没有送达回执",
                         "channel kind %s has no delivery receipts", channel_kind_name(kind));
    json_t *items;
    if (callback_items(body, len, &items, err) < 0)
        return -1;
    size_t count = json_array_size(items), i;
    ChannelReport *r = arena_alloc(a, (count + 1) * sizeof *r);
    json_t *v;
    int rc = 0;
    json_array_foreach(items, i, v)
    {
        if ((rc = parse_report(kind, v, i, a, &r[i], err)) < 0)
            break;
    }
    json_decref(items);
    if (rc < 0)
        return -1;
    *out = r;
    *n = count;
    return 0;
}

/* ---- replies ---------------------------------------------------------------------------- */

static const char *const ack_words[] = {"1",  "收到", "已收到", "收到了", "确认", "确认收到",
                                        "好", "好的", "明白",   "ok",     "y",    "yes"};
static const char *const help_words[] = {"2", "求助", "需要帮助", "help"};

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0)
            return 1;
    }
    return 0;
}

/* Drops trailing spaces and punctuation (ASCII and 。、…) from s in place. */
static void trim_end(char *s)
{
    static const char *const marks[] = {"。", "、", "…"};
    size_t n = strlen(s);
    for (;;) {
        if (n && strchr(" \t\r\n.!,;:?~", s[n - 1])) {
            s[--n] = 0;
            continue;
        }
        size_t m = 0;
        for (; m < sizeof marks / sizeof marks[0]; m++) {
            size_t k = strlen(marks[m]);
            if (n >= k && memcmp(s + n - k, marks[m], k) == 0) {
                n -= k;
                s[n] = 0;
                break;
            }
        }
        if (m == sizeof marks / sizeof marks[0])
            return;
    }
}

ChannelReplyKind channel_reply_keyword(Arena *a, const char *text, const char **normalised)
{
    Arena local = ARENA_INIT;
    Arena *use = a ? a : &local;
    size_t len = text ? strlen(text) : 0;
    char *out = arena_alloc(use, len + 1), *o = out;
    uint32_t cp;
    for (const char *s = text; s && *s;) {
        size_t n = utf8_next(s, &cp);
        if (!n) { /* not UTF-8: nothing to recognise */
            o = out;
            break;
        }
        if (cp == 0x3000 || cp == 0xA0)
            cp = ' ';
        else if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII forms */
            cp -= 0xFEE0;
        if (cp < 0x80)
            *o++ = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        else {
            memcpy(o, s, n);
            o += n;
        }
        s += n;
    }
    *o = 0;
    trim_end(out);
    char *start = out + strspn(out, " \t\r\n");
    ChannelReplyKind kind = in_list(start, ack_words, sizeof ack_words / sizeof ack_words[0])
                                ? CHANNEL_REPLY_ACK
                            : in_list(start, help_words, sizeof help_words / sizeof help_words[0])
                                ? CHANNEL_REPLY_HELP
                                : CHANNEL_REPLY_UNKNOWN;
    if (normalised)
        *normalised = a ? start : NULL;
    arena_free(&local);
    return kind;
}

/* Mainland mobile numbers as 11 digits ("+86 138-0000-0000" → "13800000000"); other
 * addresses only lose spaces and dashes. */
static const char *normalise_phone(Arena *a, const char *s)
{
    char *out = arena_alloc(a, strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s != ' ' && *s != '-')
            *o++ = *s;
    }
    *o = 0;
    const char *p = out;
    if (strncmp(p, "+86", 3) == 0)
        p += 3;
    else if (strncmp(p, "0086", 4) == 0)
        p += 4;
    else if (strlen(p) == 13 && strncmp(p, "86", 2) == 0)
        p += 2;
    if (strlen(p) == 11 && p[0] == '1' && strspn(p, "0123456789") == 11)
        return p;
    return out;
}

static int parse_reply(json_t *obj, size_t i, Arena *a, ChannelReply *r, Error *err)
{
    const char *from = member_text(a, obj, "phone");
    json_t *text = json_object_get(obj, "text");
    if (!*from || !json_is_string(text))
        return error_setf(err, 400, "invalid_callback", "第 %zu 条上行短信缺少 phone 或 text",
                          "reply %zu lacks phone or text", i + 1);
    r->from = normalise_phone(a, from);
    r->text = arena_strdup(a, json_string_value(text));
    r->key = member_text(a, obj, "key");
    r->kind = channel_reply_keyword(a, r->text, &r->keyword);
    if (member_time(obj, &r->time) < 0)
        return error_setf(err, 400, "invalid_callback", "第 %zu 条上行短信的时间格式无法识别",
                          "reply %zu has an unreadable time", i + 1);
    return 0;
}

int channel_parse_replies(ChannelKind kind, const char *body, size_t len, Arena *a,
                          ChannelReply **out, size_t *n, Error *err)
{
    *out = NULL;
    *n = 0;
    if (kind != CHANNEL_SMS)
        return error_set(err, 400, "invalid_callback", "只有短信渠道有上行回复",
                         "only sms channels have replies (not %s)", channel_kind_name(kind));
    json_t *items;
    if (callback_items(body, len, &items, err) < 0)
        return -1;
    size_t count = json_array_size(items), i;
    ChannelReply *r = arena_alloc(a, (count + 1) * sizeof *r);
    json_t *v;
    int rc = 0;
    json_array_foreach(items, i, v)
    {
        if ((rc = parse_reply(v, i, a, &r[i], err)) < 0)
            break;
    }
    json_decref(items);
    if (rc < 0)
        return -1;
    *out = r;
    *n = count;
    return 0;
}
