/* search/cjk_fts5 — the CJK tokenizer (search/cjk.h) as an SQLite FTS5 custom tokenizer.
 *
 * cjk_fts5_register() registers the tokenizer "cjk" on one SQLite connection (through the
 * fts5_api pointer that `SELECT fts5(?1)` hands out with sqlite3_bind_pointer); store/sqlite.c
 * calls it for every connection it opens, before any statement touches an FTS5 table.
 *   - Documents (and FTS5's auxiliary functions): cjk_index_tokens — a bigram is emitted
 *     FTS5_TOKEN_COLOCATED with the unigram of its first character; occurrences beyond
 *     CJK_MAX_OCCUR are left out, a filler token ("\x01", never produced for a query) keeping
 *     a position that would otherwise vanish, so positions stay those of cjk.h.
 *   - Queries: cjk_query_tokens, one token per position (a quoted phrase is a chain).
 * Depends only on SQLite and search/cjk. */
#ifndef YJ_SEARCH_CJK_FTS5_H
#define YJ_SEARCH_CJK_FTS5_H

#include <sqlite3.h>

/* SQLITE_OK, or an SQLite error code (FTS5 missing). */
int cjk_fts5_register(sqlite3 *db);

#endif
