/* search/cjk — the one tokenizer of Chinese (and Japanese/Korean) text for full-text search.
 *
 * Owns no state. Turns UTF-8 text into tokens with positions, the way search engines' CJK
 * analysers do (Lucene's CJKBigramFilter with unigrams):
 *   - a run of CJK characters (Han ideographs, kana, hangul, bopomofo) gives each character
 *     as a unigram AND each adjacent pair as a bigram; the bigram takes the position of its
 *     first character: 暴雨预警 → 暴@0 暴雨@0 雨@1 雨预@1 预@2 预警@2 警@3;
 *   - a run of letters and digits (ASCII, fullwidth ＡＢ１２ folded to ASCII, other alphabets
 *     kept as they are) gives one token, ASCII lower-cased, at most CJK_WORD_MAX bytes (longer
 *     runs are cut at a character boundary): GB18218 → gb18218, 5G基站 → 5g@0 基@1 基站@1 站@2;
 *   - everything else (spaces, punctuation, symbols, emoji, control characters, bytes that
 *     are not valid UTF-8) separates tokens and takes no position, so 暴雨，预警 and 暴雨预警
 *     put 暴雨 and 预警 at the same distance.
 * Positions count units (CJK characters and words) from 0. Document tokenizing stops at
 * position CJK_MAX_POS (PostgreSQL's tsvector holds positions up to 16383), so both search
 * backends index exactly the same prefix of a very long text.
 *
 * Queries use the same walk (cjk_query_tokens): one token per unit, consecutive positions —
 * the bigram starting at a CJK character when the next character of its run follows, else the
 * unigram (or the word). A final unigram that the preceding bigram already implies is left
 * out. So a 1-character term is its unigram (雨), a longer one the chain of its bigrams
 * (危险化学品 → 危险 险化 化学 学品), and a phrase keeps its spacing: "暴雨 预警" → 暴雨@0
 * 雨@1 预警@2, which a document holding 暴雨预警 or 暴雨 预警 matches at consecutive positions.
 * Re-tokenizing a query token as a query gives that token back.
 *
 * Invalid UTF-8 never fails: an invalid byte is a separator. Tokens are handed to a callback
 * in a buffer valid only during the call (NUL-terminated). Depends on nothing. */
#ifndef YJ_SEARCH_CJK_H
#define YJ_SEARCH_CJK_H

#include <stddef.h>

#define CJK_WORD_MAX 64   /* bytes of a letter/digit token */
#define CJK_MAX_POS 16383 /* positions 0 … CJK_MAX_POS-1 are indexed */
#define CJK_TOKEN_MAX 72  /* buffer size that holds any token with its NUL */
#define CJK_MAX_OCCUR 256 /* occurrences of one token indexed per document */

typedef enum { CJK_UNIGRAM, CJK_BIGRAM, CJK_WORD } CjkKind;

typedef struct CjkToken {
    const char *text; /* NUL-terminated, valid during the callback */
    int len;          /* bytes */
    int pos;          /* unit position from 0 */
    int start, end;   /* byte range in the input that the token covers */
    CjkKind kind;
    int dropped; /* cjk_index_tokens: an occurrence beyond CJK_MAX_OCCUR (not to be indexed) */
} CjkToken;

/* Returns 0 to go on, non-zero to stop (that value is returned by the tokenizer). */
typedef int (*CjkEmit)(void *ctx, const CjkToken *t);

/* Document tokens of s[0..n): unigrams and bigrams of CJK runs, words; in position order,
 * at one position the unigram (or word) first, then the bigram. */
int cjk_tokenize(const char *s, size_t n, CjkEmit emit, void *ctx);

/* The tokens to index: cjk_tokenize's, with every occurrence of a token beyond its
 * CJK_MAX_OCCUR-th marked dropped (PostgreSQL keeps 256 positions of a lexeme; an FTS5
 * tokenizer leaves the same occurrences out). Returns -1 when out of memory. */
int cjk_index_tokens(const char *s, size_t n, CjkEmit emit, void *ctx);

/* Query tokens of s[0..n) (see above): one per position, consecutive from 0. */
int cjk_query_tokens(const char *s, size_t n, CjkEmit emit, void *ctx);

/* Number of code points of s[0..n) counting each invalid byte as one. */
size_t cjk_length(const char *s, size_t n);

#endif
