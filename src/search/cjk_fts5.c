/* search/cjk_fts5 — see cjk_fts5.h. */
#include "search/cjk_fts5.h"
#include "search/cjk.h"

#include <string.h>

#define CJK_FILLER "\x01"

typedef struct Fts5Tokenizer Fts5Tokenizer;
static int tokenizer_instance; /* the tokenizer has no state: every instance is this address */

static int cjk_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
    (void)ctx;
    (void)argv;
    if (argc != 0)
        return SQLITE_ERROR; /* the tokenizer takes no options */
    *out = (Fts5Tokenizer *)&tokenizer_instance;
    return SQLITE_OK;
}

static void cjk_delete(Fts5Tokenizer *t)
{
    (void)t;
}

typedef struct Feed {
    void *ctx;
    int (*xToken)(void *, int, const char *, int, int, int);
    int last_pos; /* position of the last token given to FTS5, -1 before any */
} Feed;

static int doc_token(void *ctx, const CjkToken *t)
{
    Feed *f = ctx;
    int first = t->pos != f->last_pos;
    if (t->dropped) {
        if (!first)
            return 0;
        f->last_pos = t->pos; /* keep the position with a token no query asks for */
        return f->xToken(f->ctx, 0, CJK_FILLER, 1, t->start, t->end);
    }
    f->last_pos = t->pos;
    return f->xToken(f->ctx, first ? 0 : FTS5_TOKEN_COLOCATED, t->text, t->len, t->start, t->end);
}

static int query_token(void *ctx, const CjkToken *t)
{
    Feed *f = ctx;
    return f->xToken(f->ctx, 0, t->text, t->len, t->start, t->end);
}

static int cjk_tokenize_cb(Fts5Tokenizer *tok, void *ctx, int flags, const char *text, int n,
                           int (*xToken)(void *, int, const char *, int, int, int))
{
    (void)tok;
    Feed f = {ctx, xToken, -1};
    if (n <= 0)
        return SQLITE_OK;
    int rc;
    if (flags & FTS5_TOKENIZE_QUERY)
        rc = cjk_query_tokens(text, (size_t)n, query_token, &f);
    else
        rc = cjk_index_tokens(text, (size_t)n, doc_token, &f);
    return rc == 0 ? SQLITE_OK : rc < 0 ? SQLITE_NOMEM : rc;
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return api;
}

int cjk_fts5_register(sqlite3 *db)
{
    fts5_api *api = fts5_api_of(db);
    if (!api || api->iVersion < 2)
        return SQLITE_ERROR;
    static fts5_tokenizer tokenizer = {cjk_create, cjk_delete, cjk_tokenize_cb};
    return api->xCreateTokenizer(api, "cjk", NULL, &tokenizer, NULL);
}
