/* tests/unit/test_search — Chinese full-text search: the CJK tokenizer (unigrams + bigrams,
 * positions, Latin/digit words, mixed scripts, invalid UTF-8), query parsing, and an entity
 * with FIELD_FULLTEXT fields kept in the search index through create/update/delete/import (a
 * rolled-back Tx leaves no trace), listed by ?q= through the index: 1-, 2-, 3-character and
 * long terms, mixed Chinese/Latin/digits, phrases in both orders, ranking, jurisdiction,
 * CSV export, and the same hits on SQLite and PostgreSQL for a list of queries.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_util.h"

#include "core/log.h"
#include "flow/audit.h"
#include "geo/spatial.h"
#include "model/entity.h"
#include "search/cjk.h"
#include "search/search.h"

#define PG_SCHEMA "yj_search_test"

/* ---- tokenizer --------------------------------------------------------------------------- */

static int collect(void *ctx, const CjkToken *t)
{
    StrBuf *sb = ctx;
    if (sb->len)
        strbuf_addch(sb, ' ');
    strbuf_addf(sb, "%s@%d", t->text, t->pos);
    if (t->dropped)
        strbuf_addch(sb, '!');
    return 0;
}

static void assert_doc_tokens(const char *text, size_t n, const char *want)
{
    StrBuf sb = STRBUF_INIT;
    assert_int_equal(cjk_tokenize(text, n, collect, &sb), 0);
    if (strcmp(strbuf_cstr(&sb), want) != 0) {
        print_error("tokens of \"%s\":\n  got  %s\n  want %s\n", text, strbuf_cstr(&sb), want);
        fail();
    }
    strbuf_free(&sb);
}

static void assert_query_tokens(const char *text, const char *want)
{
    StrBuf sb = STRBUF_INIT;
    assert_int_equal(cjk_query_tokens(text, strlen(text), collect, &sb), 0);
    if (strcmp(strbuf_cstr(&sb), want) != 0) {
        print_error("query tokens of \"%s\":\n  got  %s\n  want %s\n", text, strbuf_cstr(&sb),
                    want);
        fail();
    }
    strbuf_free(&sb);
}

#define DOC(text, want) assert_doc_tokens(text, strlen(text), want)

static void test_tokenizer(void **state)
{
    (void)state;
    DOC("雨", "雨@0");
    DOC("暴雨", "暴@0 暴雨@0 雨@1");
    DOC("暴雨预警", "暴@0 暴雨@0 雨@1 雨预@1 预@2 预警@2 警@3");
    /* separators take no position and break bigrams */
    DOC("暴雨，预警", "暴@0 暴雨@0 雨@1 预@2 预警@2 警@3");
    DOC("  暴雨 预警!", "暴@0 暴雨@0 雨@1 预@2 预警@2 警@3");
    /* Latin and digit runs: one lower-cased token */
    DOC("GB18218-2018 Hello", "gb18218@0 2018@1 hello@2");
    DOC("5G基站", "5g@0 基@1 基站@1 站@2");
    DOC("2号井", "2@0 号@1 号井@1 井@2");
    DOC("煤矿2号井", "煤@0 煤矿@0 矿@1 2@2 号@3 号井@3 井@4");
    /* fullwidth letters and digits fold to ASCII; kana and hangul are CJK */
    DOC("ＧＢ５０", "gb50@0");
    DOC("カタ한국", "カ@0 カタ@0 タ@1 タ한@1 한@2 한국@2 국@3");
    /* non-ASCII letters stay in their word (only ASCII is lower-cased) */
    DOC("Café", "café@0");
    DOC("", "");
    DOC("，。！？", "");
    /* invalid UTF-8: an invalid byte is a separator, a truncated sequence at the end too */
    DOC("\xff暴\xc3雨\xe6\x9a", "暴@0 雨@1");
    DOC("a\x80"
        "b\xed\xa0\x80"
        "c\xc0\xaf"
        "d",
        "a@0 b@1 c@2 d@3");
    /* an embedded NUL is a separator (length-delimited input) */
    assert_doc_tokens("暴\0雨", sizeof "暴\0雨" - 1, "暴@0 雨@1");
    /* long words are cut at CJK_WORD_MAX bytes */
    char longw[200];
    memset(longw, 'A', 150);
    longw[150] = 0;
    StrBuf want = STRBUF_INIT;
    for (int i = 0; i < CJK_WORD_MAX; i++)
        strbuf_addch(&want, 'a');
    strbuf_adds(&want, "@0");
    DOC(longw, strbuf_cstr(&want));
    strbuf_free(&want);
}

static void test_query_tokens(void **state)
{
    (void)state;
    assert_query_tokens("雨", "雨@0");
    assert_query_tokens("暴雨", "暴雨@0");
    assert_query_tokens("化学品", "化学@0 学品@1");
    assert_query_tokens("危险化学品泄漏", "危险@0 险化@1 化学@2 学品@3 品泄@4 泄漏@5");
    /* a phrase keeps its spacing: the unigram closing a run holds its position */
    assert_query_tokens("暴雨 预警", "暴雨@0 雨@1 预警@2");
    assert_query_tokens("暴 雨", "暴@0 雨@1");
    assert_query_tokens("5G基站", "5g@0 基站@1");
    assert_query_tokens("2号井", "2@0 号井@1");
    assert_query_tokens("GB18218", "gb18218@0");
    assert_query_tokens("基站5G", "基站@0 站@1 5g@2");
    assert_query_tokens("！", "");
    /* re-tokenizing a query token as a query gives it back (FTS5 re-reads the quoted tokens) */
    const char *toks[] = {"雨", "暴雨", "gb18218", "5g", "café"};
    for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s@0", toks[i]);
        assert_query_tokens(toks[i], want);
    }
}

static void test_occurrence_cap(void **state)
{
    (void)state;
    /* 300 × "雨。": the unigram 雨 is indexed 256 times, later occurrences are dropped */
    StrBuf text = STRBUF_INIT;
    for (int i = 0; i < 300; i++)
        strbuf_adds(&text, "雨。");
    StrBuf sb = STRBUF_INIT;
    assert_int_equal(cjk_index_tokens(text.buf, text.len, collect, &sb), 0);
    assert_non_null(strstr(strbuf_cstr(&sb), "雨@255 "));
    assert_non_null(strstr(strbuf_cstr(&sb), "雨@256!"));
    assert_null(strstr(strbuf_cstr(&sb), "雨@255!"));
    strbuf_free(&sb);
    strbuf_free(&text);
}

static void test_parse(void **state)
{
    (void)state;
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    SearchQuery q;
    assert_ok(search_parse(&a, "暴雨 预警", &q, &err), err);
    assert_int_equal(q.nterms, 2);
    assert_string_equal(q.fts5, "\"暴雨\" AND \"预警\"");
    assert_string_equal(q.tsquery, "'暴雨' & '预警'");
    assert_ok(search_parse(&a, "\"暴雨 预警\" 5G基站", &q, &err), err);
    assert_int_equal(q.nterms, 2);
    assert_string_equal(q.fts5, "\"暴雨\" + \"雨\" + \"预警\" AND \"5g\" + \"基站\"");
    assert_string_equal(q.tsquery, "('暴雨' <-> '雨' <-> '预警') & ('5g' <-> '基站')");
    assert_ok(search_parse(&a, "“预警 暴雨”", &q, &err), err);
    assert_int_equal(q.nterms, 1);
    assert_string_equal(q.tsquery, "('预警' <-> '警' <-> '暴雨')");
    assert_ok(search_parse(&a, "！？", &q, &err), err);
    assert_int_equal(q.nterms, 0);
    /* blank, over-long, too many terms: 422 with a Chinese and an English message */
    assert_err(search_parse(&a, "   ", &q, &err), err, 422);
    assert_err(search_parse(&a, NULL, &q, &err), err, 422);
    StrBuf longq = STRBUF_INIT;
    for (int i = 0; i < 101; i++)
        strbuf_adds(&longq, "雨");
    assert_int_equal(search_parse(&a, longq.buf, &q, &err), -1);
    assert_int_equal(err.status, 422);
    assert_non_null(strstr(err.message, "过长"));
    assert_non_null(strstr(err.message_en, "too long"));
    error_clear(&err);
    strbuf_free(&longq);
    assert_err(search_parse(&a, "a b c d e f g h i j k l m n o p q", &q, &err), err, 422);
    arena_free(&a);
}

/* ---- a full-text test entity ------------------------------------------------------------- */

static const Field doc_fields[] = {
    {"title", FT_TEXT, FIELD_REQUIRED | FIELD_FULLTEXT | FIELD_SORT, "标题", "title", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"content", FT_TEXT, FIELD_FULLTEXT, "正文", "content", NULL, NULL, 0, 0, 0, 0, NULL},
    {"steps", FT_JSON, FIELD_FULLTEXT, "步骤", "steps", NULL, NULL, 0, 0, 0, 0, NULL},
    {"code", FT_TEXT, FIELD_FILTER | FIELD_SORT | FIELD_SEARCH, "编码", "code", NULL, NULL, 20, 0,
     0, 0, NULL},
    {"division", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "行政区划", "division", NULL, NULL, 0,
     0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

static const Entity docs = {
    .table = "docs",
    .plural = "docs",
    .label_zh = "文档",
    .label_en = "documents",
    .fields = doc_fields,
    .division_field = "division",
    .default_sort = "id",
};

/* an entity without full-text fields: substring search, never in the index */
static const Field note_fields[] = {
    {"text", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "内容", "text", NULL, NULL, 0, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

static const Entity notes = {
    .table = "notes", .plural = "notes", .label_zh = "便签", .fields = note_fields};

static const Actor admin = {1, "admin", ROLE_ADMIN, "", 0};
static const Actor county = {2, "县值班员", ROLE_DUTY_OFFICER, "620321", 0};

/* The corpus: code, title, content, division. */
static const char *const corpus[][4] = {
    {"d1", "暴雨预警信号", "气象台发布暴雨预警：今晚有大暴雨，请注意防范。", "620321100"},
    {"d2", "火灾应急预案", "发生火灾时立即报警，拨打 119。", "620321100"},
    {"d3", "地震应急预案", "地震发生后组织群众疏散到避难场所。", "620321101"},
    {"d4", "危险化学品泄漏处置", "危险化学品泄漏事故现场处置，参照 GB18218-2018 辨识重大危险源。",
     "620321101"},
    {"d5", "通信保障", "5G基站抢修与应急通信车调度。", "620321"},
    {"d6", "煤矿透水", "煤矿2号井发生透水事故，井下12人被困。", "620321102"},
    {"d7", "防汛值班", "预警：暴雨将至，值班人员到岗。", "620321102"},
    {"d8", "消防检查", "检查消防通道，防止火灾。", "620322100"},
    {"d9", "火灾火灾", "火灾隐患排查，火灾扑救演练，火灾。", "620321"},
    {"d10", "小雨", "明天有小雨。", "620322"},
};
#define NCORPUS ((int)(sizeof corpus / sizeof corpus[0]))

/* ---- fixture ----------------------------------------------------------------------------- */

typedef struct Fx {
    Store *store;
    char url[TEST_URL_MAX + 64];
    int pg;
} Fx;

static Store *open_store(const char *url)
{
    Error err = ERROR_INIT;
    Store *s = store_open(url, 2, &err);
    if (!s) {
        print_error("store_open %s: %s\n", url, err.message_en);
        error_clear(&err);
        fail();
    }
    return s;
}

static void exec_sql(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(s);
    int rc = store_exec_script(c, sql, &err);
    store_release(s, c);
    assert_ok(rc, err);
}

static int64_t query_int(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    int64_t v = -1;
    StoreConn *c = store_acquire(s);
    int rc = store_query_int(c, sql, NULL, 0, &v, &err);
    store_release(s, c);
    assert_ok(rc < 0 ? -1 : 0, err);
    return rc == 1 ? -1 : v;
}

static void create_tables(Store *s)
{
    Error err = ERROR_INIT;
    assert_ok(flow_migrate(s, &err), err);
    assert_ok(geo_migrate(s, &err), err);
    assert_ok(search_migrate(s, &err), err);
    assert_ok(search_migrate(s, &err), err); /* numbered: running again is harmless */
    StoreConn *c = store_acquire(s);
    int rc = entity_create_table(c, &docs, &err);
    if (rc == 0)
        rc = entity_create_table(c, &notes, &err);
    store_release(s, c);
    assert_ok(rc, err);
}

static Fx *new_sqlite(void)
{
    Fx *fx = xcalloc(1, sizeof *fx);
    test_sqlite_url(fx->url);
    fx->store = open_store(fx->url);
    create_tables(fx->store);
    return fx;
}

static Fx *new_pg(void)
{
    const char *base = test_pg_url();
    if (!base)
        return NULL;
    Fx *fx = xcalloc(1, sizeof *fx);
    fx->pg = 1;
    Store *a = open_store(base);
    exec_sql(a, "DROP SCHEMA IF EXISTS " PG_SCHEMA " CASCADE; CREATE SCHEMA " PG_SCHEMA);
    store_close(a);
    snprintf(fx->url, sizeof fx->url, "%s%soptions=-csearch_path%%3D" PG_SCHEMA, base,
             strchr(base, '?') ? "&" : "?");
    fx->store = open_store(fx->url);
    create_tables(fx->store);
    return fx;
}

static void free_fx(Fx *fx)
{
    if (!fx)
        return;
    store_close(fx->store);
    if (!fx->pg)
        test_sqlite_remove(fx->url);
    free(fx);
}

static int setup_sqlite(void **state)
{
    *state = new_sqlite();
    return 0;
}

static int setup_pg(void **state)
{
    *state = new_pg();
    return 0;
}

static int teardown(void **state)
{
    free_fx(*state);
    return 0;
}

static Fx *fixture(void **state)
{
    Fx *fx = *state;
    if (!fx) {
        print_message("skipped: YINGJI_TEST_PG is not set (tests/unit/run.sh sets it)\n");
        skip();
    }
    return fx;
}

/* ---- helpers ----------------------------------------------------------------------------- */

typedef struct TTx {
    Store *s;
    StoreConn *c;
    Arena a;
    Tx tx;
} TTx;

static void ttx_begin(TTx *t, Store *s, const Actor *actor)
{
    Error err = ERROR_INIT;
    t->s = s;
    t->c = store_acquire(s);
    t->a = (Arena)ARENA_INIT;
    assert_ok(tx_begin(&t->tx, t->c, actor, &t->a, &err), err);
}

static int ttx_end(TTx *t, int rc)
{
    Error err = ERROR_INIT;
    if (rc == 0)
        assert_ok(tx_commit(&t->tx, &err), err);
    else
        tx_rollback(&t->tx);
    store_release(t->s, t->c);
    arena_free(&t->a);
    return rc;
}

static int64_t create_doc(Fx *fx, const char *code, const char *title, const char *content,
                          const char *division)
{
    Error err = ERROR_INIT;
    TTx t;
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "title", title, "content", content,
                           "division", division),
           *out = NULL;
    ttx_begin(&t, fx->store, &admin);
    int rc = ttx_end(&t, entity_create(&t.tx, &docs, in, &out, &err));
    json_decref(in);
    assert_ok(rc, err);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return id;
}

static void load_corpus(Fx *fx)
{
    for (int i = 0; i < NCORPUS; i++)
        create_doc(fx, corpus[i][0], corpus[i][1], corpus[i][2], corpus[i][3]);
}

/* The codes of the listed records for q, in list order, space-separated (a new string). */
static char *list_codes(Fx *fx, const Actor *a, const char *q, const char *sort)
{
    Error err = ERROR_INIT;
    Arena arena = ARENA_INIT;
    ListQuery lq = {.q = q, .page_size = 100, .sort = sort};
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_list(c, &arena, &docs, a, &lq, &out, &err);
    store_release(fx->store, c);
    arena_free(&arena);
    assert_ok(rc, err);
    StrBuf sb = STRBUF_INIT;
    json_t *items = json_object_get(out, "items");
    assert_int_equal(json_integer_value(json_object_get(out, "total")), json_array_size(items));
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (sb.len)
            strbuf_addch(&sb, ' ');
        strbuf_adds(&sb, json_string_value(json_object_get(it, "code")));
    }
    json_decref(out);
    char *s = strdup(strbuf_cstr(&sb));
    strbuf_free(&sb);
    return s;
}

/* The codes, sorted by code (the set of hits). */
static char *hit_set(Fx *fx, const Actor *a, const char *q)
{
    return list_codes(fx, a, q, "code");
}

#define ASSERT_HITS(fx, q, want)                                                                   \
    do {                                                                                           \
        char *got_ = hit_set(fx, &admin, q);                                                       \
        if (strcmp(got_, want) != 0) {                                                             \
            print_error("%s: q=%s: got [%s], want [%s]\n", (fx)->pg ? "postgres" : "sqlite", q,    \
                        got_, want);                                                               \
            free(got_);                                                                            \
            fail();                                                                                \
        }                                                                                          \
        free(got_);                                                                                \
    } while (0)

/* ---- the entity through the index -------------------------------------------------------- */

static void test_terms(void **state)
{
    Fx *fx = fixture(state);
    load_corpus(fx);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM fts_docs"), NCORPUS);
    /* 1 character */
    ASSERT_HITS(fx, "雨", "d1 d10 d7");
    ASSERT_HITS(fx, "井", "d6");
    /* 2 characters: the words the trigram tokenizer cannot find */
    ASSERT_HITS(fx, "暴雨", "d1 d7");
    ASSERT_HITS(fx, "火灾", "d2 d8 d9");
    ASSERT_HITS(fx, "地震", "d3");
    ASSERT_HITS(fx, "预案", "d2 d3");
    /* 3 characters and long terms: the exact string, not its characters anywhere */
    ASSERT_HITS(fx, "化学品", "d4");
    ASSERT_HITS(fx, "危险化学品泄漏", "d4");
    ASSERT_HITS(fx, "危险化学品爆炸", "");
    ASSERT_HITS(fx, "应急预案", "d2 d3");
    ASSERT_HITS(fx, "急预案地", "");
    /* mixed Chinese, Latin, digits; ASCII case does not matter */
    ASSERT_HITS(fx, "GB18218", "d4");
    ASSERT_HITS(fx, "gb18218", "d4");
    ASSERT_HITS(fx, "5G基站", "d5");
    ASSERT_HITS(fx, "5g", "d5");
    ASSERT_HITS(fx, "基站", "d5");
    ASSERT_HITS(fx, "2号井", "d6");
    ASSERT_HITS(fx, "3号井", "");
    ASSERT_HITS(fx, "119", "d2");
    /* several terms: all must match, in any order */
    ASSERT_HITS(fx, "暴雨 预警", "d1 d7");
    ASSERT_HITS(fx, "预警 暴雨", "d1 d7");
    ASSERT_HITS(fx, "火灾 预案", "d2");
    /* phrases: in this order, next to each other up to punctuation and spaces */
    ASSERT_HITS(fx, "\"暴雨 预警\"", "d1");
    ASSERT_HITS(fx, "\"预警 暴雨\"", "d7");
    ASSERT_HITS(fx, "“预警 暴雨”", "d7");
    ASSERT_HITS(fx, "\"煤矿 2号井\"", "d6");
    /* search fields outside the document still match by substring (codes, numbers) */
    ASSERT_HITS(fx, "d1", "d1 d10");
    ASSERT_HITS(fx, "d1 火灾", "");
    /* nothing searchable matches nothing; separators alone too */
    ASSERT_HITS(fx, "！", "");
    /* an explicit sort still applies to the hits */
    char *s = list_codes(fx, &admin, "火灾", "-code");
    assert_string_equal(s, "d9 d8 d2");
    free(s);
}

static void test_ranking(void **state)
{
    Fx *fx = fixture(state);
    load_corpus(fx);
    /* d9 holds 火灾 five times, d2 twice, d8 once */
    char *s = list_codes(fx, &admin, "火灾", NULL);
    assert_string_equal(s, "d9 d2 d8");
    free(s);
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    SearchHit *hits;
    int n;
    int64_t total;
    const char *const ents[] = {"docs"};
    StoreConn *c = store_acquire(fx->store);
    int rc = search_query(c, &a, ents, 1, "火灾", &admin, 2, 0, &hits, &n, &total, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    assert_int_equal(n, 2);
    assert_int_equal(total, 3);
    assert_string_equal(hits[0].key, "9");
    assert_true(hits[0].rank > hits[1].rank);
    assert_string_equal(hits[0].title, "火灾火灾");
    assert_non_null(strstr(hits[0].snippet, "火灾"));
    assert_true(hits[0].nmarks >= 1);
    assert_int_equal(hits[0].marks[1], 2); /* a two-character match */
    arena_free(&a);
}

static void test_snippet(void **state)
{
    (void)state;
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    SearchQuery q;
    SearchHit h;
    assert_ok(search_parse(&a, "\"暴雨 预警\"", &q, &err), err);
    search_snippet(&a, "一二三四五六七八九十一二三四五六七八九十暴雨，预警发布", &q, &h);
    assert_string_equal(h.snippet, "…六七八九十一二三四五六七八九十暴雨，预警发布");
    assert_int_equal(h.nmarks, 1);
    assert_int_equal(h.marks[0], 16);
    assert_int_equal(h.marks[1], 5);
    arena_free(&a);
}

static void test_follows_writes(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    int64_t id = create_doc(fx, "x1", "地震演练", "组织地震应急演练", "620321100");
    ASSERT_HITS(fx, "演练", "x1");
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);

    /* update: the old words leave, the new ones come */
    TTx t;
    json_t *patch = json_pack("{s:s, s:s}", "title", "洪水演练", "content", "组织防汛抢险");
    ttx_begin(&t, fx->store, &admin);
    assert_ok(ttx_end(&t, entity_update(&t.tx, &docs, key, patch, NULL, &err)), err);
    json_decref(patch);
    ASSERT_HITS(fx, "地震", "");
    ASSERT_HITS(fx, "洪水", "x1");
    ASSERT_HITS(fx, "防汛抢险", "x1");
    /* an update of a field outside the document leaves it alone */
    patch = json_pack("{s:s}", "code", "x1b");
    ttx_begin(&t, fx->store, &admin);
    assert_ok(ttx_end(&t, entity_update(&t.tx, &docs, key, patch, NULL, &err)), err);
    json_decref(patch);
    ASSERT_HITS(fx, "洪水", "x1b");

    /* JSON fields: their string values */
    patch = json_pack("{s:[s, {s:s}]}", "steps", "启动应急响应", "unit", "县消防救援大队");
    ttx_begin(&t, fx->store, &admin);
    assert_ok(ttx_end(&t, entity_update(&t.tx, &docs, key, patch, NULL, &err)), err);
    json_decref(patch);
    ASSERT_HITS(fx, "消防救援", "x1b");
    ASSERT_HITS(fx, "unit", "");

    /* a rolled-back create and a rolled-back delete leave no trace */
    ttx_begin(&t, fx->store, &admin);
    json_t *in =
        json_pack("{s:s, s:s, s:s}", "code", "x2", "title", "山体滑坡", "division", "620321100");
    assert_ok(entity_create(&t.tx, &docs, in, NULL, &err), err);
    json_decref(in);
    ttx_end(&t, -1);
    ASSERT_HITS(fx, "滑坡", "");
    ttx_begin(&t, fx->store, &admin);
    assert_ok(entity_delete(&t.tx, &docs, key, &err), err);
    ttx_end(&t, -1);
    ASSERT_HITS(fx, "洪水", "x1b");
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM fts_docs"), 1);

    /* delete */
    ttx_begin(&t, fx->store, &admin);
    assert_ok(ttx_end(&t, entity_delete(&t.tx, &docs, key, &err)), err);
    ASSERT_HITS(fx, "洪水", "");
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM fts_docs"), 0);

    /* CSV import: indexed in the same transaction; a refused import leaves nothing */
    const char *csv = "code,title,content,division\r\n"
                      "c1,台风应急预案,台风登陆前转移群众,620321\r\n"
                      "c2,森林火灾,扑救森林火灾,620321\r\n";
    ImportResult res;
    ttx_begin(&t, fx->store, &admin);
    assert_ok(ttx_end(&t, entity_import_csv(&t.tx, &docs, csv, strlen(csv), &res, &err)), err);
    import_result_clear(&res);
    ASSERT_HITS(fx, "台风", "c1");
    ASSERT_HITS(fx, "森林火灾", "c2");
    const char *bad = "code,title,content,division\r\n"
                      "c3,泥石流,泥石流预警,620321\r\n"
                      "c4,,缺标题,620321\r\n";
    ttx_begin(&t, fx->store, &admin);
    int rc = ttx_end(&t, entity_import_csv(&t.tx, &docs, bad, strlen(bad), &res, &err));
    assert_int_equal(rc, -1);
    error_clear(&err);
    import_result_clear(&res);
    ASSERT_HITS(fx, "泥石流", "");

    /* entities without full-text fields: untouched index, substring search as before */
    ttx_begin(&t, fx->store, &admin);
    in = json_pack("{s:s}", "text", "暴雨来了");
    assert_ok(ttx_end(&t, entity_create(&t.tx, &notes, in, NULL, &err)), err);
    json_decref(in);
    assert_int_equal(query_int(fx->store, "SELECT count(*) FROM fts_docs"), 2);
    Arena a = ARENA_INIT;
    ListQuery lq = {.q = "雨来"};
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    rc = entity_list(c, &a, &notes, &admin, &lq, &out, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    assert_int_equal(json_integer_value(json_object_get(out, "total")), 1);
    json_decref(out);
    arena_free(&a);
}

static void test_jurisdiction(void **state)
{
    Fx *fx = fixture(state);
    load_corpus(fx);
    /* the county sees its own records only: d8 (620322100) and d10 (620322) are outside */
    char *s = list_codes(fx, &county, "火灾", "code");
    assert_string_equal(s, "d2 d9");
    free(s);
    s = list_codes(fx, &county, "雨", "code");
    assert_string_equal(s, "d1 d7");
    free(s);
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    SearchHit *hits;
    int n;
    int64_t total;
    StoreConn *c = store_acquire(fx->store);
    int rc = search_query(c, &a, NULL, 0, "火灾", &county, 10, 0, &hits, &n, &total, &err);
    assert_ok(rc, err);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    rc = search_query(c, &a, NULL, 0, "火灾", &admin, 10, 0, &hits, &n, &total, &err);
    assert_ok(rc, err);
    assert_int_equal(total, 3);
    /* paging past the end still counts */
    rc = search_query(c, &a, NULL, 0, "火灾", &admin, 10, 10, &hits, &n, &total, &err);
    assert_ok(rc, err);
    assert_int_equal(n, 0);
    assert_int_equal(total, 3);
    /* over-long or blank q: 422 */
    assert_err(search_query(c, &a, NULL, 0, "", &admin, 10, 0, &hits, &n, &total, &err), err, 422);
    /* the list refuses an over-long q too */
    StrBuf longq = STRBUF_INIT;
    for (int i = 0; i < 101; i++)
        strbuf_adds(&longq, "火");
    ListQuery lq = {.q = longq.buf};
    json_t *out = NULL;
    assert_err(entity_list(c, &a, &docs, &admin, &lq, &out, &err), err, 422);
    strbuf_free(&longq);
    /* the CSV export answers q from the index */
    ListQuery eq = {.q = "地震"};
    StrBuf csv = STRBUF_INIT;
    assert_ok(entity_export_csv(c, &a, &docs, &county, &eq, &csv, &err), err);
    assert_non_null(strstr(strbuf_cstr(&csv), "地震应急预案"));
    assert_null(strstr(strbuf_cstr(&csv), "火灾"));
    strbuf_free(&csv);
    store_release(fx->store, c);
    arena_free(&a);
}

/* The same corpus on both backends gives the same hits for every query. */
static void test_same_hits(void **state)
{
    (void)state;
    Fx *pg = new_pg();
    if (!pg) {
        print_message("skipped: YINGJI_TEST_PG is not set (tests/unit/run.sh sets it)\n");
        skip();
    }
    Fx *sq = new_sqlite();
    load_corpus(sq);
    load_corpus(pg);
    /* plus a long text beyond the occurrence cap: the 257th 雨 and later are not indexed */
    StrBuf lng = STRBUF_INIT;
    for (int i = 0; i < 300; i++)
        strbuf_addf(&lng, "%s", i == 280 ? "雨晴。" : "雨。");
    create_doc(sq, "long", "长文", lng.buf, "620321");
    create_doc(pg, "long", "长文", lng.buf, "620321");
    strbuf_free(&lng);
    /* and one past the last indexed position: 乙丙 at position 20000 is not indexed, 丁戊 at
     * the start is (the text is longer than a field's default limit: a JSON field holds it) */
    StrBuf huge = STRBUF_INIT;
    strbuf_adds(&huge, "[\"丁戊 ");
    for (int i = 0; i < 20000; i++)
        strbuf_adds(&huge, i % 2 ? "甲" : "a ");
    strbuf_adds(&huge, "乙丙\"]");
    for (int b = 0; b < 2; b++) {
        Fx *fx = b ? pg : sq;
        int64_t id = create_doc(fx, "huge", "长文二", "", "620321");
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)id);
        Error err = ERROR_INIT;
        json_error_t je;
        json_t *patch = json_pack("{s:o}", "steps", json_loads(huge.buf, 0, &je));
        TTx t;
        ttx_begin(&t, fx->store, &admin);
        assert_ok(ttx_end(&t, entity_update(&t.tx, &docs, key, patch, NULL, &err)), err);
        json_decref(patch);
    }
    strbuf_free(&huge);
    static const char *const queries[] = {
        "雨",
        "暴雨",
        "火灾",
        "地震",
        "预案",
        "化学品",
        "危险化学品泄漏",
        "GB18218",
        "gb18218",
        "2018",
        "5G基站",
        "5g",
        "2号井",
        "119",
        "暴雨 预警",
        "\"暴雨 预警\"",
        "\"预警 暴雨\"",
        "应急 预案",
        "\"应急预案\"",
        "值班人员",
        "12人",
        "井下",
        "！",
        "雨晴",
        "\"雨 雨\"",
        "\"雨 雨晴\"",
        "晴",
        "消防 火灾",
        "小雨",
        "Z",
        "AND",
        "NEAR(火灾)",
        "火灾*",
        "^火灾 OR 地震",
        "丁戊",
        "乙丙",
        "甲",
        "a",
        "\"a 甲\"",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *a = hit_set(sq, &admin, queries[i]), *b = hit_set(pg, &admin, queries[i]);
        if (strcmp(a, b) != 0) {
            print_error("q=%s: sqlite [%s], postgres [%s]\n", queries[i], a, b);
            free(a);
            free(b);
            free_fx(sq);
            free_fx(pg);
            fail();
        }
        free(a);
        free(b);
        char *ca = hit_set(sq, &county, queries[i]), *cb = hit_set(pg, &county, queries[i]);
        assert_string_equal(ca, cb);
        free(ca);
        free(cb);
    }
    /* the occurrence cap is applied alike: 雨晴 (the 281st 雨) is found by its bigram, but the
     * phrase "雨 雨晴" needs the 280th 雨, which neither backend indexed */
    char *x = hit_set(sq, &admin, "雨晴");
    assert_string_equal(x, "long");
    free(x);
    x = hit_set(sq, &admin, "\"雨 雨晴\"");
    assert_string_equal(x, "");
    free(x);
    x = hit_set(pg, &admin, "丁戊");
    assert_string_equal(x, "huge");
    free(x);
    x = hit_set(pg, &admin, "乙丙");
    assert_string_equal(x, "");
    free(x);
    free_fx(sq);
    free_fx(pg);
}

/* ---- main -------------------------------------------------------------------------------- */

#define BOTH(fn)                                                                                   \
    {"sqlite/" #fn, fn, setup_sqlite, teardown, NULL},                                             \
    {                                                                                              \
        "postgres/" #fn, fn, setup_pg, teardown, NULL                                              \
    }

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer),
        cmocka_unit_test(test_query_tokens),
        cmocka_unit_test(test_occurrence_cap),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_snippet),
        BOTH(test_terms),
        BOTH(test_ranking),
        BOTH(test_follows_writes),
        BOTH(test_jurisdiction),
        cmocka_unit_test(test_same_hits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
