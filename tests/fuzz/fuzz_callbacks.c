/* tests/fuzz/fuzz_callbacks — libFuzzer target for the channel callback parsers
 * (modules/publish/channel: delivery receipts and SMS replies posted by providers — bodies from
 * the network, so any bytes).
 *
 * The first byte picks the parser (receipts of each HTTP kind, or SMS replies); the rest is the
 * body. Checks what channel.h promises: either -1 with a 400 error carrying both messages, or 0
 * with n entries whose strings are all present (never NULL); reply keywords classify to one of
 * the three kinds.
 *
 * Build and run (see tests/fuzz/Makefile):
 *   make -C tests/fuzz && build/fuzz/fuzz_callbacks -max_total_time=60 tests/fuzz/corpus_callbacks
 */
#include "modules/publish/channel.h"

#include <stdint.h>
#include <stdlib.h>

static void check_error(int rc, const Error *err)
{
    if (rc < 0 && (err->status != 400 || !err->message[0] || !err->message_en[0]))
        abort();
}

static void receipts(ChannelKind kind, const char *body, size_t len, Arena *a)
{
    Error err = ERROR_INIT;
    ChannelReport *out = NULL;
    size_t n = 0;
    int rc = channel_parse_receipts(kind, body, len, a, &out, &n, &err);
    check_error(rc, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!out[i].key || !out[i].provider_id || !out[i].address || !out[i].raw_status ||
            (!out[i].key[0] && !out[i].provider_id[0]))
            abort();
    error_clear(&err);
}

static void replies(const char *body, size_t len, Arena *a)
{
    Error err = ERROR_INIT;
    ChannelReply *out = NULL;
    size_t n = 0;
    int rc = channel_parse_replies(CHANNEL_SMS, body, len, a, &out, &n, &err);
    check_error(rc, &err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!out[i].from || !out[i].text || !out[i].keyword || !out[i].key)
            abort();
        if (out[i].kind != CHANNEL_REPLY_ACK && out[i].kind != CHANNEL_REPLY_HELP &&
            out[i].kind != CHANNEL_REPLY_UNKNOWN)
            abort();
    }
    error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const ChannelKind kinds[] = {CHANNEL_SMS, CHANNEL_BROADCAST, CHANNEL_WECHAT,
                                        CHANNEL_CALL};
    Arena a = ARENA_INIT;
    const char *body = (const char *)data + 1;
    if (data[0] % 5 == 4)
        replies(body, size - 1, &a);
    else
        receipts(kinds[data[0] % 5], body, size - 1, &a);
    arena_free(&a);
    return 0;
}
