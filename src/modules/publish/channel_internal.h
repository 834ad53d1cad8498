/* modules/publish/channel_internal — what channel.c, channel_http.c and channel_spool.c share;
 * nothing outside modules/publish includes it. */
#ifndef YJ_PUBLISH_CHANNEL_INTERNAL_H
#define YJ_PUBLISH_CHANNEL_INTERNAL_H

#include "modules/publish/channel.h"

/* curl_global_init() once for the process (pthread_once); 0, or -1 when it failed. */
int channel_http_global_init(void);
/* Checks an http(s) URL with libcurl's URL parser; 0, or -1 when it is not one. */
int channel_http_url_ok(const char *url);
/* POSTs msg as the JSON shape of ch->kind (channel_http.c). */
ChannelOutcome channel_http_send(const Channel *ch, const ChannelMessage *msg, ChannelReceipt *out,
                                 Error *err);

ChannelSpool *channel_spool_new(void);
void channel_spool_free(ChannelSpool *sp);
/* Appends msg as one JSON line to <ch->dir>/<ch->name>.jsonl unless its key is there. */
ChannelOutcome channel_spool_send(const Channel *ch, const ChannelMessage *msg, ChannelReceipt *out,
                                  Error *err);

/* Ends buf before its first ill-formed UTF-8 sequence (e.g. a character snprintf cut). */
void channel_utf8_clip(char *buf);

/* Outcome helpers: fill err and out->outcome, return the outcome. */
ChannelOutcome channel_retry(ChannelReceipt *out, Error *err, const char *zh, const char *en,
                             const char *detail);
ChannelOutcome channel_failed(ChannelReceipt *out, Error *err, const char *zh, const char *en,
                              const char *detail);

#endif
