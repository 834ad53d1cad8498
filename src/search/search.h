/* search/search — the full-text index of Chinese text (全文检索), on both backends.
 *
 * Owns the search tables (numbered migrations, module "search"): one document per record of
 * every entity with FIELD_FULLTEXT fields — entity (table name), record key as text, the
 * record's division code and enterprise id (for jurisdiction), a title, and the body (the
 * record's full-text fields joined by newlines). The entity engine calls search_put /
 * search_remove inside the Tx of every create, update, delete and import, so the index never
 * disagrees with committed rows (a rolled-back write leaves no trace), as geo/ does for points.
 *   - SQLite: an FTS5 table `fts_docs(entity, record_key, division_code, enterprise_id, title,
 *     body)` whose only indexed column is body, tokenized by the project's `cjk` tokenizer
 *     (search/cjk_fts5.c, registered on every connection by store/sqlite.c), ranked by bm25;
 *     `fts_keys(id, entity, record_key)` maps a record to its FTS5 rowid so that a put or a
 *     remove never scans.
 *   - PostgreSQL: a table `fts_docs` with a `tsv tsvector` column built here from the same
 *     tokens (search/cjk.h) as quoted lexemes with positions, cast to tsvector (no parser, no
 *     dictionary: the 'simple' handling of our own lexemes), a GIN index, ranked by ts_rank.
 *
 * Same hits on both backends: documents are tokenized by the one function (cjk_tokenize)
 * with the same two caps — positions below CJK_MAX_POS, and at most CJK_MAX_OCCUR
 * occurrences of one token per document (PostgreSQL keeps 256 positions of a lexeme; FTS5 is
 * given a filler token where a position would otherwise vanish) — and a query is compiled
 * from the tokens of cjk_query_tokens into an FTS5 expression (each term a quoted phrase
 * that FTS5 hands to the same tokenizer in query mode, terms joined by AND) and a tsquery
 * (each term its lexemes joined by <->, terms by &). Ranks differ between backends (bm25 and
 * ts_rank), hits do not.
 *
 * Query syntax (search_parse): terms separated by spaces all must match (any order); a term
 * matches where its text occurs inside a run of text (a CJK term as the chain of its bigrams,
 * so 危险化学品泄漏 finds exactly that string; a 1-character term by its unigram); a phrase
 * in double quotes ("暴雨 预警", also “…”) needs its terms in that order, next to each other
 * up to spaces and punctuation. Mixed text is split by script (5G基站 → 5g, 基站). Latin
 * letters match without regard to ASCII case. A q that is blank or longer than
 * SEARCH_Q_MAX characters is refused (422, Chinese and English message).
 *
 * Jurisdiction: a document of an entity without a division column has division_code NULL
 * (seen by everyone); with one, its code ("" when the record has none: seen only by
 * deployment-wide actors). enterprise_id is NULL for entities without an enterprise_id
 * field, the record's id or -1 when empty; enterprise users see only their own.
 *
 * Memory: everything returned lives in the Arena passed in. Depends on store/ and core/. */
#ifndef YJ_SEARCH_SEARCH_H
#define YJ_SEARCH_SEARCH_H

#include "core/actor.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "store/store.h"

#define SEARCH_Q_MAX 100     /* characters of a query */
#define SEARCH_TERMS_MAX 16  /* terms of a query */
#define SEARCH_TITLE_MAX 100 /* characters of a stored title */
#define SEARCH_SNIPPET 60    /* characters of a snippet */

/* Creates the search tables (module "search" in schema_migrations). */
int search_migrate(Store *store, Error *err);

typedef struct SearchDoc {
    const char *entity;    /* entity table name */
    const char *key;       /* record key as text */
    const char *division;  /* NULL: the entity has no jurisdiction column */
    int has_enterprise;    /* the entity has an enterprise_id field */
    int64_t enterprise_id; /* with has_enterprise: the record's, 0 when empty */
    const char *title;     /* may be NULL */
    const char *body;      /* full text; NULL or "" is still a document (that matches nothing) */
} SearchDoc;

/* Inserts or replaces the document of (entity, key) on the caller's connection (its Tx). */
int search_put(StoreConn *c, const SearchDoc *d, Error *err);
/* Removes the document of (entity, key); no error when there is none. */
int search_remove(StoreConn *c, const char *entity, const char *key, Error *err);

/* A parsed query: its terms as token chains, and the text to bind for each backend. */
typedef struct SearchTerm {
    const char **tokens;
    int ntokens;
} SearchTerm;

typedef struct SearchQuery {
    SearchTerm *terms;
    int nterms;          /* 0: nothing searchable (only punctuation): matches nothing */
    const char *fts5;    /* FTS5 MATCH expression */
    const char *tsquery; /* PostgreSQL tsquery text */
} SearchQuery;

/* Parses q (see the syntax above) into arena. 422 for a blank or over-long q. */
int search_parse(Arena *arena, const char *q, SearchQuery *out, Error *err);

/* The text to bind as the match parameter for the dialect. */
const char *search_match_text(const SearchQuery *q, Dialect d);

/* Appends "(SELECT record_key AS fts_key, <score> AS fts_rank FROM fts_docs WHERE <match
 * $pq> AND entity = $pe)" — the documents of one entity matching the parameter $pq (bound to
 * search_match_text), with a score where higher is better — for the entity engine's lists. */
void search_subquery_sql(Dialect d, int pq, int pe, StrBuf *out);

typedef struct SearchHit {
    const char *entity; /* entity table name */
    const char *key;
    const char *title;   /* may be NULL */
    const char *snippet; /* plain text around the first match ("…" where cut) */
    int *marks;          /* nmarks pairs {start, length} in characters of snippet */
    int nmarks;
    double rank; /* higher is better (-bm25 on SQLite, ts_rank on PostgreSQL) */
} SearchHit;

/* Searches the documents of the given entities (n 0: of every entity) that the actor sees,
 * best first (ties by entity, then key); limit 1…100, offset >= 0. *total (may be NULL)
 * receives the number of hits before paging. q as in search_parse. */
int search_query(StoreConn *c, Arena *arena, const char *const *entities, int n, const char *q,
                 const Actor *actor, int limit, int offset, SearchHit **hits, int *nhits,
                 int64_t *total, Error *err);

/* Snippet of body around the first match of query (used by search_query). */
void search_snippet(Arena *arena, const char *body, const SearchQuery *q, SearchHit *hit);

/* The PostgreSQL tsvector text of a body ("'tok':pos …", positions from 1), in arena. */
char *search_tsvector_text(Arena *arena, const char *body);

#endif
