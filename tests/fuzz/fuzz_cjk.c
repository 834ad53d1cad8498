/* tests/fuzz/fuzz_cjk — libFuzzer target for search/cjk (the CJK tokenizer).
 *
 * Tokenizes the input (any bytes: invalid UTF-8, NULs) as a document, as indexed tokens and
 * as a query, and checks what cjk.h promises: tokens are non-empty valid UTF-8 within
 * CJK_TOKEN_MAX, their byte ranges lie inside the input, document positions never go back and
 * stay below CJK_MAX_POS, a bigram shares its position with a unigram, query positions are
 * consecutive from 0, the indexed tokens are the document tokens (some marked dropped, never
 * the first CJK_MAX_OCCUR of one), and each query token re-tokenized as a query gives itself.
 *
 * Build and run (see tests/fuzz/Makefile):
 *   make -C tests/fuzz && build/fuzz/fuzz_cjk -max_total_time=60 tests/fuzz/corpus_cjk */
#include "search/cjk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int valid_utf8(const unsigned char *s, int n)
{
    for (int i = 0; i < n;) {
        unsigned c = s[i];
        int l = c < 0x80             ? 1
                : (c & 0xE0) == 0xC0 ? 2
                : (c & 0xF0) == 0xE0 ? 3
                : (c & 0xF8) == 0xF0 ? 4
                                     : 0;
        if (!l || i + l > n || c == 0)
            return 0;
        for (int k = 1; k < l; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += l;
    }
    return 1;
}

typedef struct Check {
    size_t n;
    int last_pos;
    int count;
    int query;
} Check;

static void check_token(Check *c, const CjkToken *t)
{
    if (t->len <= 0 || t->len >= CJK_TOKEN_MAX || (int)strlen(t->text) != t->len)
        abort();
    if (!valid_utf8((const unsigned char *)t->text, t->len))
        abort();
    if (t->start < 0 || t->end <= t->start || (size_t)t->end > c->n)
        abort();
    if (t->pos < 0 || t->pos >= CJK_MAX_POS + (c->query ? 1 << 20 : 0))
        abort();
}

static int doc_token(void *ctx, const CjkToken *t)
{
    Check *c = ctx;
    check_token(c, t);
    if (t->pos < c->last_pos || t->pos > c->last_pos + 1)
        abort();
    if (t->kind == CJK_BIGRAM && t->pos != c->last_pos)
        abort(); /* a bigram follows the unigram of its first character */
    c->last_pos = t->pos;
    c->count++;
    return 0;
}

typedef struct IndexCheck {
    Check c;
    int kept;
} IndexCheck;

static int index_token(void *ctx, const CjkToken *t)
{
    IndexCheck *ic = ctx;
    if (!t->dropped)
        ic->kept++;
    return doc_token(&ic->c, t);
}

static int self_token(void *ctx, const CjkToken *t)
{
    const char *want = ctx;
    if (t->pos != 0 || strcmp(t->text, want) != 0)
        abort();
    return 0;
}

static int query_token(void *ctx, const CjkToken *t)
{
    Check *c = ctx;
    check_token(c, t);
    if (t->pos != c->last_pos + 1)
        abort();
    c->last_pos = t->pos;
    char copy[CJK_TOKEN_MAX];
    memcpy(copy, t->text, (size_t)t->len + 1);
    if (cjk_query_tokens(copy, (size_t)t->len, self_token, copy) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    Check doc = {size, 0, 0, 0};
    if (cjk_tokenize(s, size, doc_token, &doc) != 0)
        abort();
    IndexCheck ix = {{size, 0, 0, 0}, 0};
    if (cjk_index_tokens(s, size, index_token, &ix) != 0 || ix.c.count != doc.count)
        abort();
    if (doc.count > 0 && ix.kept == 0)
        abort();
    Check q = {size, -1, 0, 1};
    if (cjk_query_tokens(s, size, query_token, &q) != 0)
        abort();
    if (cjk_length(s, size) > size)
        abort();
    return 0;
}
