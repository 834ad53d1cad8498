/* search/cjk — see cjk.h. */
#include "search/cjk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ------------------------------------------------------------------------------- */

/* Decodes the code point at s[i]; returns its length (1–4), or 0 when the bytes there are not
 * valid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated sequences). */
static int decode(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + (size_t)len > n)
        return 0;
    for (int k = 1; k < len; k++) {
        unsigned b = s[i + (size_t)k];
        if ((b & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (b & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* ---- character classes ------------------------------------------------------------------- */

typedef enum { CH_SEP, CH_CJK, CH_WORD } CharClass;

static int in(uint32_t c, uint32_t lo, uint32_t hi)
{
    return c >= lo && c <= hi;
}

static int is_cjk(uint32_t c)
{
    return in(c, 0x1100, 0x11FF) || /* hangul jamo */
           in(c, 0x2E80, 0x2FDF) || /* CJK and Kangxi radicals */
           in(c, 0x3005, 0x3007) || /* 々 〆 〇 */
           in(c, 0x3021, 0x3029) || /* Hangzhou numerals */
           in(c, 0x3031, 0x3035) || in(c, 0x3038, 0x303C) || in(c, 0x3041, 0x30FA) ||
           in(c, 0x30FC, 0x30FF) || /* kana but ・ */
           in(c, 0x3105, 0x312F) || /* bopomofo */
           in(c, 0x3131, 0x318E) || /* hangul compatibility jamo */
           in(c, 0x31A0, 0x31BF) || in(c, 0x31F0, 0x31FF) ||
           in(c, 0x3400, 0x4DBF) ||   /* CJK extension A */
           in(c, 0x4E00, 0x9FFF) ||   /* CJK unified ideographs */
           in(c, 0xA960, 0xA97F) ||   /* hangul jamo extended-A */
           in(c, 0xAC00, 0xD7FF) ||   /* hangul syllables, jamo ext-B */
           in(c, 0xF900, 0xFAFF) ||   /* CJK compatibility ideographs */
           in(c, 0xFF66, 0xFF9F) ||   /* halfwidth katakana */
           in(c, 0xFFA0, 0xFFDC) ||   /* halfwidth hangul */
           in(c, 0x1B000, 0x1B16F) || /* kana supplement, extended */
           in(c, 0x20000, 0x3FFFF);   /* CJK extensions B … */
}

/* Punctuation, symbols, marks, controls, private use, emoji: separators. */
static int is_sep(uint32_t c)
{
    if (c < 0x80)
        return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    return in(c, 0x80, 0xBF) || c == 0xD7 || c == 0xF7 || in(c, 0x2000, 0x2BFF) ||
           in(c, 0x2E00, 0x2E7F) || in(c, 0x2FF0, 0x3004) || in(c, 0x3008, 0x3020) || c == 0x3030 ||
           in(c, 0x3036, 0x3037) || in(c, 0x303D, 0x303F) || c == 0x30FB || in(c, 0x3200, 0x33FF) ||
           in(c, 0xD800, 0xF8FF) || in(c, 0xFE00, 0xFE6F) || in(c, 0xFF00, 0xFF0F) ||
           in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) ||
           in(c, 0xFFE0, 0xFFFF) || in(c, 0x1F000, 0x1FAFF) || in(c, 0xE0000, 0x10FFFF) ||
           c == 0xFEFF;
}

static CharClass classify(uint32_t c)
{
    if (is_cjk(c))
        return CH_CJK;
    return is_sep(c) ? CH_SEP : CH_WORD;
}

/* The folded form of a word character: ASCII lower-cased, fullwidth letters and digits as
 * ASCII; others as they are. Writes it to out (>= 4 bytes); returns its length. */
static int fold(uint32_t c, const unsigned char *raw, int rawlen, char *out)
{
    if (c >= 'A' && c <= 'Z') {
        out[0] = (char)(c - 'A' + 'a');
        return 1;
    }
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (in(c, 0xFF10, 0xFF19)) {
        out[0] = (char)('0' + (c - 0xFF10));
        return 1;
    }
    if (in(c, 0xFF21, 0xFF3A)) {
        out[0] = (char)('a' + (c - 0xFF21));
        return 1;
    }
    if (in(c, 0xFF41, 0xFF5A)) {
        out[0] = (char)('a' + (c - 0xFF41));
        return 1;
    }
    memcpy(out, raw, (size_t)rawlen);
    return rawlen;
}

/* ---- units ------------------------------------------------------------------------------- */

typedef struct Unit {
    int cjk;           /* a CJK character, else a word */
    size_t start, end; /* bytes in the input */
    char text[CJK_TOKEN_MAX];
    int len;
} Unit;

typedef struct Scan {
    const unsigned char *s;
    size_t n, i;
} Scan;

/* The next unit after the separators, or 0 at the end. */
static int next_unit(Scan *sc, Unit *u)
{
    uint32_t c = 0;
    int l = 0;
    CharClass cls = CH_SEP;
    while (sc->i < sc->n) {
        l = decode(sc->s, sc->n, sc->i, &c);
        if (l == 0) {
            sc->i++;
            continue;
        }
        cls = classify(c);
        if (cls != CH_SEP)
            break;
        sc->i += (size_t)l;
    }
    if (sc->i >= sc->n)
        return 0;
    u->start = sc->i;
    if (cls == CH_CJK) {
        u->cjk = 1;
        memcpy(u->text, sc->s + sc->i, (size_t)l);
        u->len = l;
        u->text[l] = 0;
        sc->i += (size_t)l;
        u->end = sc->i;
        return 1;
    }
    u->cjk = 0;
    u->len = 0;
    while (sc->i < sc->n) {
        l = decode(sc->s, sc->n, sc->i, &c);
        if (l == 0 || classify(c) != CH_WORD)
            break;
        char f[4];
        int fl = fold(c, sc->s + sc->i, l, f);
        if (u->len + fl <= CJK_WORD_MAX) {
            memcpy(u->text + u->len, f, (size_t)fl);
            u->len += fl;
        }
        sc->i += (size_t)l;
    }
    u->text[u->len] = 0;
    u->end = sc->i;
    return 1;
}

static int emit_one(CjkEmit emit, void *ctx, const Unit *u, int pos)
{
    CjkToken t = {u->text, u->len, pos, (int)u->start, (int)u->end, u->cjk ? CJK_UNIGRAM : CJK_WORD,
                  0};
    return emit(ctx, &t);
}

static int emit_pair(CjkEmit emit, void *ctx, const Unit *a, const Unit *b, int pos)
{
    char buf[CJK_TOKEN_MAX];
    memcpy(buf, a->text, (size_t)a->len);
    memcpy(buf + a->len, b->text, (size_t)b->len);
    buf[a->len + b->len] = 0;
    CjkToken t = {buf, a->len + b->len, pos, (int)a->start, (int)b->end, CJK_BIGRAM, 0};
    return emit(ctx, &t);
}

/* Two CJK characters with nothing between them. */
static int adjacent(const Unit *a, const Unit *b)
{
    return a->cjk && b->cjk && a->end == b->start;
}

int cjk_tokenize(const char *s, size_t n, CjkEmit emit, void *ctx)
{
    Scan sc = {(const unsigned char *)s, s ? n : 0, 0};
    Unit u[2];
    int cur = 0, has = next_unit(&sc, &u[0]);
    for (int pos = 0; has && pos < CJK_MAX_POS; pos++) {
        Unit *a = &u[cur], *b = &u[1 - cur];
        int more = next_unit(&sc, b);
        int rc = emit_one(emit, ctx, a, pos);
        if (rc == 0 && more && adjacent(a, b))
            rc = emit_pair(emit, ctx, a, b, pos);
        if (rc)
            return rc;
        cur = 1 - cur;
        has = more;
    }
    return 0;
}

int cjk_query_tokens(const char *s, size_t n, CjkEmit emit, void *ctx)
{
    Scan sc = {(const unsigned char *)s, s ? n : 0, 0};
    Unit u[2];
    int cur = 0, has = next_unit(&sc, &u[0]), prev_joined = 0;
    for (int pos = 0; has; pos++) {
        Unit *a = &u[cur], *b = &u[1 - cur];
        int more = next_unit(&sc, b);
        int rc = 0;
        if (more && adjacent(a, b))
            rc = emit_pair(emit, ctx, a, b, pos);
        else if (!(prev_joined && !more)) /* a final unigram the last bigram implies */
            rc = emit_one(emit, ctx, a, pos);
        if (rc)
            return rc;
        prev_joined = more && adjacent(a, b);
        cur = 1 - cur;
        has = more;
    }
    return 0;
}

size_t cjk_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; s && i < n;) {
        uint32_t c;
        int l = decode((const unsigned char *)s, n, i, &c);
        i += l ? (size_t)l : 1;
        count++;
    }
    return count;
}

/* ---- occurrence cap ---------------------------------------------------------------------- */

/* Counts of the tokens seen so far: open addressing over FNV-1a hashes, keys copied into one
 * growing buffer. */
typedef struct Counter {
    uint32_t *slot_hash;
    int *slot_off; /* offset of the key in keys + 1; 0 = empty */
    int *slot_count;
    size_t nslots, used;
    char *keys;
    size_t keys_len, keys_cap;
    CjkEmit emit;
    void *ctx;
    int oom;
} Counter;

static uint32_t fnv(const char *s, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int counter_grow(Counter *c)
{
    size_t nn = c->nslots ? c->nslots * 2 : 256;
    uint32_t *hs = calloc(nn, sizeof *hs);
    int *offs = calloc(nn, sizeof *offs), *counts = calloc(nn, sizeof *counts);
    if (!hs || !offs || !counts) {
        free(hs);
        free(offs);
        free(counts);
        return -1;
    }
    for (size_t i = 0; i < c->nslots; i++) {
        if (!c->slot_off[i])
            continue;
        size_t j = c->slot_hash[i] & (nn - 1);
        while (offs[j])
            j = (j + 1) & (nn - 1);
        hs[j] = c->slot_hash[i];
        offs[j] = c->slot_off[i];
        counts[j] = c->slot_count[i];
    }
    free(c->slot_hash);
    free(c->slot_off);
    free(c->slot_count);
    c->slot_hash = hs;
    c->slot_off = offs;
    c->slot_count = counts;
    c->nslots = nn;
    return 0;
}

/* Increments the count of the token; returns the new count, or -1 when out of memory. */
static int counter_add(Counter *c, const char *s, int n)
{
    if ((c->used + 1) * 2 > c->nslots && counter_grow(c) < 0)
        return -1;
    uint32_t h = fnv(s, n);
    size_t j = h & (c->nslots - 1);
    while (c->slot_off[j]) {
        const char *k = c->keys + c->slot_off[j] - 1;
        if (c->slot_hash[j] == h && (int)strlen(k) == n && memcmp(k, s, (size_t)n) == 0)
            return ++c->slot_count[j];
        j = (j + 1) & (c->nslots - 1);
    }
    if (c->keys_len + (size_t)n + 1 > c->keys_cap) {
        size_t cap = c->keys_cap ? c->keys_cap * 2 : 4096;
        while (cap < c->keys_len + (size_t)n + 1)
            cap *= 2;
        char *k = realloc(c->keys, cap);
        if (!k)
            return -1;
        c->keys = k;
        c->keys_cap = cap;
    }
    memcpy(c->keys + c->keys_len, s, (size_t)n);
    c->keys[c->keys_len + (size_t)n] = 0;
    c->slot_hash[j] = h;
    c->slot_off[j] = (int)c->keys_len + 1;
    c->slot_count[j] = 1;
    c->keys_len += (size_t)n + 1;
    c->used++;
    return 1;
}

static int count_emit(void *ctx, const CjkToken *t)
{
    Counter *c = ctx;
    int count = counter_add(c, t->text, t->len);
    if (count < 0) {
        c->oom = 1;
        return -1;
    }
    CjkToken copy = *t;
    copy.dropped = count > CJK_MAX_OCCUR;
    return c->emit(c->ctx, &copy);
}

int cjk_index_tokens(const char *s, size_t n, CjkEmit emit, void *ctx)
{
    Counter c;
    memset(&c, 0, sizeof c);
    c.emit = emit;
    c.ctx = ctx;
    int rc = cjk_tokenize(s, n, count_emit, &c);
    free(c.slot_hash);
    free(c.slot_off);
    free(c.slot_count);
    free(c.keys);
    return c.oom ? -1 : rc;
}
