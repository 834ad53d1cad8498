/* modules/publish/channel — the delivery channels of warning publication (SPEC C4) behind one
 * adapter interface: SMS gateway, emergency broadcast (应急广播), WeChat / new-media webhook and
 * outbound call (all HTTP, through libcurl), and a file spool. docs/channels.md is the reference.
 *
 * Owns: the per-deployment channel configuration (ChannelSet, loaded from one JSON file, e.g.
 * the path in YINGJI_CHANNELS or `--channels PATH`), one send of one message to one recipient on
 * one channel, and the parsing of what providers post back (delivery receipts, SMS replies).
 * It does not own retries, recipients or acknowledgement state: messages come from the outbox
 * (flow/outbox.h), which delivers at least once and retries with backoff.
 *
 * Promises:
 *   - channel_send() returns CHANNEL_SENT (the provider accepted the message; its message id
 *     is in the receipt), CHANNEL_RETRY (timeout, connection failure, 408, 429, 5xx: the
 *     outbox should try again later, no sooner than receipt.retry_after_s when that is > 0) or
 *     CHANNEL_FAILED (other 4xx, a refused address or message, a disabled channel: retrying
 *     the same message cannot help). err is filled (Chinese + English) unless SENT.
 *   - Every HTTP request carries the message's idempotency key in the `Idempotency-Key` header
 *     and as "key" in the JSON body, so a provider can drop a repeat sent after a crash
 *     between send and mark. The spool writes a key at most once, across restarts.
 *   - Text is truncated to the channel's max_chars / max_bytes on a UTF-8 character boundary
 *     with "…"; the acknowledgement link is never cut. Invalid UTF-8 is refused (FAILED).
 *
 * Memory: a ChannelSet owns all its strings and is freed by channels_free(); nothing returned
 * borrows from a message. Parsed receipts and replies live in the caller's Arena.
 *
 * Threads: a ChannelSet is read-only after loading; channel_send() may run concurrently on
 * the same Channel from any number of threads (each call uses its own CURL easy handle; the
 * spool serialises its writers with a mutex and locks its file against other processes).
 * curl_global_init() runs once, on the first channels_load*() or channel_send() (pthread_once).
 * Free the set only when no send is running. */
#ifndef YJ_PUBLISH_CHANNEL_H
#define YJ_PUBLISH_CHANNEL_H

#include "core/arena.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CHANNEL_SMS,       /* SMS gateway (HTTP) */
    CHANNEL_BROADCAST, /* 应急广播 platform (HTTP) */
    CHANNEL_WECHAT,    /* WeChat Work / new-media webhook (HTTP) */
    CHANNEL_CALL,      /* outbound call / TTS platform (HTTP) */
    CHANNEL_SPOOL,     /* JSON lines appended to a file (tests, hand-off to other systems) */
} ChannelKind;

typedef struct ChannelHeader {
    char *name, *value;
} ChannelHeader;

typedef struct ChannelSpool ChannelSpool; /* spool file state (channel_spool.c) */

/* One configured channel. All strings owned by the ChannelSet; NULL when not configured. */
typedef struct Channel {
    char *name; /* unique in the set, [a-z0-9_-]{1,64} */
    ChannelKind kind;
    int enabled;
    char *url;             /* HTTP kinds: where requests are POSTed */
    char *callback_url;    /* sms, call: where the provider posts receipts ("callback" in body) */
    char *sign;            /* sms: signature, e.g. "【某县应急管理局】" ("sign" in body) */
    char *callback_secret; /* shared secret the provider sends in X-Channel-Secret on its
                              receipt/reply callbacks to Yingji; NULL: callbacks refused */
    long timeout_ms;       /* whole request, connect included */
    size_t max_chars;      /* text limit in characters (code points); 0 = none */
    size_t max_bytes;      /* text limit in UTF-8 bytes; 0 = none */
    ChannelHeader *headers; /* extra request headers (e.g. Authorization) */
    size_t n_headers;
    char *dir;           /* spool: directory of the file <dir>/<name>.jsonl */
    ChannelSpool *spool; /* spool: opened on first send */
} Channel;

typedef struct ChannelSet {
    Channel *items;
    size_t n;
} ChannelSet;

/* One message to one recipient on one channel. All borrowed; NULL fields are left out. */
typedef struct ChannelMessage {
    const char *idempotency_key; /* required, e.g. "warn:<id>:<recipient>:<channel>" */
    int64_t warning_id;
    int64_t recipient_id;
    const char *address; /* sms/call: phone; broadcast: area or terminal code; wechat: mobile
                            to @-mention (optional); spool: anything */
    const char *title;
    const char *text;    /* required, UTF-8 */
    const char *ack_url; /* 叫应 link (sms, wechat, spool); kept whole when text is cut */
    int level;           /* 1 红 特别重大 … 4 蓝 一般; 0 unspecified */
} ChannelMessage;

typedef enum { CHANNEL_SENT, CHANNEL_RETRY, CHANNEL_FAILED } ChannelOutcome;

typedef struct ChannelReceipt {
    ChannelOutcome outcome;
    int http_status;       /* provider's HTTP status; 0 when none (transport error, spool) */
    char provider_id[128]; /* provider's message id ("" when it gave none); spool: byte offset */
    long retry_after_s;    /* RETRY: Retry-After in seconds when the provider sent one, else 0 */
    int duplicate;         /* spool: the key was written before; nothing was written now */
} ChannelReceipt;

/* ---- configuration ---------------------------------------------------------------------- */

/* Parses and validates a configuration (format in docs/channels.md). Returns a new set, or
 * NULL with err (status 400, code "invalid_channel_config", one entry per bad field in
 * err->fields keyed like "channels[1].url"). */
ChannelSet *channels_load(const char *json_text, Error *err);
ChannelSet *channels_load_file(const char *path, Error *err);
void channels_free(ChannelSet *set); /* closes spool files; NULL is fine */
const Channel *channels_find(const ChannelSet *set, const char *name); /* NULL when none */

const char *channel_kind_name(ChannelKind kind);            /* "sms", "broadcast", … */
int channel_kind_parse(const char *name, ChannelKind *out); /* 0, or -1 when unknown */

/* ---- sending ---------------------------------------------------------------------------- */

/* Sends msg on ch; fills *out (always) and err (unless SENT). Blocks up to ch->timeout_ms. */
ChannelOutcome channel_send(const Channel *ch, const ChannelMessage *msg, ChannelReceipt *out,
                            Error *err);

/* The text a channel sends for msg after truncation, in a: sms and wechat "title\ntext\n确认收到
 * 请点击：ack_url" (parts that are NULL left out), call "title。text", broadcast and spool the
 * text. NULL with err (FAILED) when the text is not UTF-8 or the link alone exceeds the limit. */
char *channel_compose(Arena *a, const Channel *ch, const ChannelMessage *msg, Error *err);

/* s cut to at most max_chars characters and max_bytes bytes (0 = no limit), ending in "…"
 * when cut; never splits a character. NULL when s is not valid UTF-8. */
char *channel_truncate(Arena *a, const char *s, size_t max_chars, size_t max_bytes);
/* Number of characters of a UTF-8 string, or -1 when it is not valid UTF-8. */
long channel_utf8_chars(const char *s);

/* ---- callbacks -------------------------------------------------------------------------- */

typedef enum { CHANNEL_DELIVERED, CHANNEL_UNDELIVERED } ChannelDelivery;

/* One delivery receipt (回执). Strings in the caller's arena, "" when absent. */
typedef struct ChannelReport {
    const char *key;         /* idempotency key, when the provider echoes it */
    const char *provider_id; /* provider message id */
    const char *address;     /* phone / area code, when given */
    ChannelDelivery status;
    const char *raw_status; /* the provider's status word, e.g. "DELIVRD" */
    int acknowledged;       /* call: the callee answered by key (1 确认 or 2 求助; 叫应) */
    int needs_help;         /* call: the key was 2 (求助) */
    int64_t time;           /* Unix seconds UTC; 0 when absent */
} ChannelReport;

/* Parses a receipt callback body (one object or an array of objects) of an HTTP kind into
 * *out (n entries, in a). -1 with err (400) on malformed bodies or unknown status words. */
int channel_parse_receipts(ChannelKind kind, const char *body, size_t len, Arena *a,
                           ChannelReport **out, size_t *n, Error *err);

typedef enum {
    CHANNEL_REPLY_ACK,     /* 收到 / 确认 / 1 …: the person answered (应答) */
    CHANNEL_REPLY_HELP,    /* 2 / 求助 …: answered and asks for help */
    CHANNEL_REPLY_UNKNOWN, /* anything else: keep the text for the duty officer */
} ChannelReplyKind;

/* One upstream SMS reply (上行短信). */
typedef struct ChannelReply {
    const char *from;    /* sender, normalised: mainland mobiles as 11 digits */
    const char *text;    /* as received */
    const char *keyword; /* normalised text (see channel_reply_keyword) */
    ChannelReplyKind kind;
    const char *key; /* idempotency key when the gateway relates the reply; else "" */
    int64_t time;    /* Unix seconds UTC; 0 when absent */
} ChannelReply;

/* Parses an SMS gateway's reply callback (object or array). Only CHANNEL_SMS has replies. */
int channel_parse_replies(ChannelKind kind, const char *body, size_t len, Arena *a,
                          ChannelReply **out, size_t *n, Error *err);
/* Classifies a reply text; *normalised (in a, may be NULL) gets it trimmed, full-width
 * forms folded to ASCII, ASCII lower-cased and trailing punctuation dropped. */
ChannelReplyKind channel_reply_keyword(Arena *a, const char *text, const char **normalised);

#endif
