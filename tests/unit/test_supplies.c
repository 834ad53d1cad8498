/* tests/unit/test_supplies — the supplies module below the HTTP layer: the ledger and its
 * balances (receive, FEFO issue, transfer, rotate, scrap), refusals that write nothing,
 * the rebuild, concurrent transfers and issues from many threads (totals conserved, no
 * negative balance, balances equal to the ledger sum), expiring batches, demand, and the
 * allocation proposal (ordering by arrival time, the 2-hour flag) and its all-or-nothing
 * confirmation.
 *
 * Runs on SQLite (a fresh file, so several connections really share it) and on PostgreSQL
 * (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/scheduler.h"
#include "modules/supplies/supplies_internal.h"
#include "modules/supplies/supplies.h"

#include <pthread.h>

#define PG_SCHEMA "yj_supplies_test"
#define POOL 10
#define THREADS 8
#define OPS 50

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
    int64_t w1, w2, item;
} Fx;

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, POOL);
    *state = fx;
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, POOL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static int64_t count(Store *s, const char *sql)
{
    Error err = ERROR_INIT;
    int64_t n = -1;
    StoreConn *c = store_acquire(s);
    int rc = store_query_int(c, sql, NULL, 0, &n, &err);
    store_release(s, c);
    assert_ok(rc < 0 ? -1 : 0, err);
    return n;
}

static int64_t stock(Fx *fx, int64_t wh, int64_t item, const char *batch)
{
    Error err = ERROR_INIT;
    int64_t n = 0;
    DbValue p[] = {db_int(wh), db_int(item), db_text(batch)};
    StoreConn *c = store_acquire(fx->store);
    int rc = store_query_int(c,
                             "SELECT quantity FROM supply_stock WHERE warehouse_id = $1 AND"
                             " item_id = $2 AND batch_no = $3",
                             p, 3, &n, &err);
    store_release(fx->store, c);
    assert_ok(rc < 0 ? -1 : 0, err);
    return rc == 1 ? 0 : n;
}

typedef struct Op {
    const Entity *e;
    json_t *in;
    json_t *out;
    int fix;
    int (*fn)(Tx *, void *, Error *);
} Op;

static int create_tx(Tx *tx, void *ctx, Error *err)
{
    Op *op = ctx;
    return entity_create(tx, op->e, op->in, &op->out, err);
}

/* Creates a record as the system actor; steals in; returns the new id. */
static int64_t create(Fx *fx, const Entity *e, json_t *in)
{
    Error err = ERROR_INIT;
    Arena a = ARENA_INIT;
    Op op = {e, in, NULL, 0, NULL};
    int rc = tx_run(fx->store, &actor_system, &a, create_tx, &op, &err);
    json_decref(in);
    arena_free(&a);
    assert_ok(rc, err);
    int64_t id = json_integer_value(json_object_get(op.out, "id"));
    json_decref(op.out);
    return id;
}

static int book_tx(Tx *tx, void *ctx, Error *err)
{
    Op *op = ctx;
    return supplies_book(tx, op->in, &op->out, err);
}

/* Books a movement (steals m); returns 0 or -1 with err; *out (may be NULL) gets the row. */
static int book(Store *s, json_t *m, json_t **out, Error *err)
{
    Arena a = ARENA_INIT;
    Op op = {NULL, m, NULL, 0, NULL};
    int rc = tx_run(s, &actor_system, &a, book_tx, &op, err);
    json_decref(m);
    arena_free(&a);
    if (out)
        *out = op.out;
    else
        json_decref(op.out);
    return rc;
}

static int64_t warehouse(Fx *fx, const char *name, const char *division, double lon, double lat)
{
    return create(fx, &warehouses_entity,
                  json_pack("{s:s, s:s, s:s, s:s, s:f, s:f}", "name", name, "level", "town", "kind",
                            "government", "division_code", division, "lon", lon, "lat", lat));
}

static int64_t item(Fx *fx, const char *code, const char *name)
{
    return create(fx, &supply_items_entity,
                  json_pack("{s:s, s:s, s:s, s:s}", "code", code, "name", name, "category",
                            "living", "unit", "个"));
}

static void base_data(Fx *fx)
{
    fx->w1 = warehouse(fx, "一号库", "620390100", 102.1, 38.3);
    fx->w2 = warehouse(fx, "二号库", "620390101", 102.3, 38.4);
    fx->item = item(fx, "T-001", "棉被");
}

static json_t *mv(const char *kind, int64_t item_id, int64_t wh, int64_t qty)
{
    return json_pack("{s:s, s:I, s:I, s:I}", "kind", kind, "item_id", (json_int_t)item_id,
                     "warehouse_id", (json_int_t)wh, "quantity", (json_int_t)qty);
}

static json_t *with(json_t *m, const char *k, json_t *v)
{
    json_object_set_new(m, k, v);
    return m;
}

static void date_in(int days, char *out)
{
    char iso[32];
    clock_format_iso(clock_now() + (int64_t)days * 86400, iso, sizeof iso);
    memcpy(out, iso, 10);
    out[10] = '\0';
}

typedef struct RebuildCtx {
    int fix;
    json_t *report;
} RebuildCtx;

static int rebuild_tx(Tx *tx, void *ctx, Error *err)
{
    RebuildCtx *r = ctx;
    return supplies_rebuild(tx, r->fix, &r->report, err);
}

/* Runs the rebuild; returns the number of differences it found. */
static int rebuild(Fx *fx, int fix, int *corrected)
{
    Error err = ERROR_INIT;
    Arena a = ARENA_INIT;
    RebuildCtx r = {fix, NULL};
    int rc = tx_run(fx->store, &actor_system, &a, rebuild_tx, &r, &err);
    arena_free(&a);
    assert_ok(rc, err);
    int n = (int)json_array_size(json_object_get(r.report, "differences"));
    if (corrected)
        *corrected = (int)json_integer_value(json_object_get(r.report, "corrected"));
    json_decref(r.report);
    return n;
}

typedef struct ReverseCtx {
    const char *id;
    json_t *out;
} ReverseCtx;

static int reverse_tx(Tx *tx, void *ctx, Error *err)
{
    ReverseCtx *r = ctx;
    return supplies_reverse(tx, r->id, NULL, &r->out, err);
}

static int reverse(Fx *fx, const char *id, json_t **out, Error *err)
{
    Arena a = ARENA_INIT;
    ReverseCtx r = {id, NULL};
    int rc = tx_run(fx->store, &actor_system, &a, reverse_tx, &r, err);
    arena_free(&a);
    if (out)
        *out = r.out;
    else
        json_decref(r.out);
    return rc;
}

/* ---- ledger → balances ------------------------------------------------------------------- */

static void test_ledger_balances(void **state)
{
    Fx *fx = fixture(state);
    base_data(fx);
    Error err = ERROR_INIT;
    char soon[16], later[16];
    date_in(20, soon);
    date_in(200, later);
    assert_ok(book(fx->store,
                   with(with(mv("receive", fx->item, fx->w1, 100), "batch_no", json_string("A")),
                        "expiry_date", json_string(soon)),
                   NULL, &err),
              err);
    assert_ok(book(fx->store,
                   with(with(mv("receive", fx->item, fx->w1, 50), "batch_no", json_string("B")),
                        "expiry_date", json_string(later)),
                   NULL, &err),
              err);
    /* an issue without a batch takes the batch that expires first, and records it */
    json_t *row = NULL;
    assert_ok(book(fx->store, mv("issue", fx->item, fx->w1, 30), &row, &err), err);
    assert_string_equal(json_string_value(json_object_get(row, "batch_no")), "A");
    assert_string_equal(json_string_value(json_object_get(row, "division_code")), "620390100");
    assert_string_equal(json_string_value(json_object_get(row, "created_by")), "system");
    json_decref(row);
    assert_int_equal(stock(fx, fx->w1, fx->item, "A"), 70);
    /* transfer: two effects, the batch and its expiry travel */
    assert_ok(book(fx->store,
                   with(with(mv("transfer", fx->item, fx->w1, 20), "to_warehouse_id",
                             json_integer(fx->w2)),
                        "batch_no", json_string("B")),
                   NULL, &err),
              err);
    assert_int_equal(stock(fx, fx->w1, fx->item, "B"), 30);
    assert_int_equal(stock(fx, fx->w2, fx->item, "B"), 20);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_stock WHERE batch_no = 'B'"
                                      " AND expiry_date IS NOT NULL"),
                     2);
    /* rotation: A out, A2 in, same warehouse */
    assert_ok(book(fx->store,
                   with(with(with(mv("rotate", fx->item, fx->w1, 10), "batch_no", json_string("A")),
                             "new_batch_no", json_string("A2")),
                        "expiry_date", json_string(later)),
                   NULL, &err),
              err);
    assert_int_equal(stock(fx, fx->w1, fx->item, "A"), 60);
    assert_int_equal(stock(fx, fx->w1, fx->item, "A2"), 10);
    assert_ok(book(fx->store, with(mv("scrap", fx->item, fx->w1, 5), "batch_no", json_string("A2")),
                   NULL, &err),
              err);
    assert_int_equal(stock(fx, fx->w1, fx->item, "A2"), 5);
    assert_int_equal(count(fx->store, "SELECT SUM(quantity) FROM supply_stock"), 100 + 50 - 30 - 5);
    /* every entry audited */
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM audit_log WHERE entity ="
                                      " 'supply_movements'"),
                     6);
    assert_int_equal(rebuild(fx, 0, NULL), 0);

    /* corrections are reversing entries: the transfer W1 -> W2 of batch B goes back, once */
    int64_t transfer_id =
        count(fx->store, "SELECT id FROM supply_movements WHERE kind = 'transfer'");
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)transfer_id);
    assert_ok(reverse(fx, id, &row, &err), err);
    assert_string_equal(json_string_value(json_object_get(row, "kind")), "transfer");
    assert_int_equal(json_integer_value(json_object_get(row, "warehouse_id")), fx->w2);
    assert_int_equal(json_integer_value(json_object_get(row, "reverses_id")), transfer_id);
    json_decref(row);
    assert_int_equal(stock(fx, fx->w1, fx->item, "B"), 50);
    assert_int_equal(stock(fx, fx->w2, fx->item, "B"), 0);
    assert_err(reverse(fx, id, NULL, &err), err, 409); /* reversed already */
    assert_err(reverse(fx, "999999", NULL, &err), err, 404);
    assert_int_equal(rebuild(fx, 0, NULL), 0);
}

static void test_refusals_write_nothing(void **state)
{
    Fx *fx = fixture(state);
    base_data(fx);
    Error err = ERROR_INIT;
    assert_ok(book(fx->store, mv("receive", fx->item, fx->w1, 10), NULL, &err), err);
    int64_t moves = count(fx->store, "SELECT COUNT(*) FROM supply_movements");
    int64_t rows = count(fx->store, "SELECT COUNT(*) FROM supply_stock");
    int64_t audits = count(fx->store, "SELECT COUNT(*) FROM audit_log");

    assert_int_equal(book(fx->store, mv("issue", fx->item, fx->w1, 11), NULL, &err), -1);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.code, "insufficient_stock");
    assert_true(strstr(err.message, "库存不足") != NULL);
    error_clear(&err);
    assert_err(
        book(fx->store,
             with(mv("transfer", fx->item, fx->w1, 11), "to_warehouse_id", json_integer(fx->w2)),
             NULL, &err),
        err, 409);
    assert_err(book(fx->store, with(mv("issue", fx->item, fx->w1, 1), "batch_no", json_string("X")),
                    NULL, &err),
               err, 409);
    assert_err(book(fx->store, mv("issue", fx->item, fx->w2, 1), NULL, &err), err, 409);
    /* cross-field rules */
    assert_err(book(fx->store, mv("transfer", fx->item, fx->w1, 1), NULL, &err), err, 422);
    assert_err(
        book(fx->store,
             with(mv("transfer", fx->item, fx->w1, 1), "to_warehouse_id", json_integer(fx->w1)),
             NULL, &err),
        err, 422);
    assert_err(book(fx->store, mv("rotate", fx->item, fx->w1, 1), NULL, &err), err, 422);
    assert_err(book(fx->store, mv("issue", fx->item, fx->w1, 0), NULL, &err), err, 422);
    assert_err(book(fx->store, mv("issue", fx->item, 999999, 1), NULL, &err), err, 422);

    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_movements"), moves);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_stock"), rows);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM audit_log"), audits);
    assert_int_equal(stock(fx, fx->w1, fx->item, ""), 10);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_stock WHERE quantity < 0"), 0);
}

static void test_rebuild_finds_and_corrects(void **state)
{
    Fx *fx = fixture(state);
    base_data(fx);
    Error err = ERROR_INIT;
    assert_ok(book(fx->store, mv("receive", fx->item, fx->w1, 40), NULL, &err), err);
    assert_ok(
        book(fx->store,
             with(mv("transfer", fx->item, fx->w1, 15), "to_warehouse_id", json_integer(fx->w2)),
             NULL, &err),
        err);
    assert_int_equal(rebuild(fx, 1, NULL), 0);
    /* a balance edited behind the ledger's back */
    StoreConn *c = store_acquire(fx->store);
    int rc =
        store_exec(c, "UPDATE supply_stock SET quantity = quantity + 7 WHERE warehouse_id = $1",
                   (DbValue[]){db_int(fx->w2)}, 1, NULL, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    int corrected = -1;
    assert_int_equal(rebuild(fx, 0, &corrected), 1); /* dry run: reported, not written */
    assert_int_equal(corrected, 0);
    assert_int_equal(stock(fx, fx->w2, fx->item, ""), 22);
    assert_int_equal(rebuild(fx, 1, &corrected), 1);
    assert_int_equal(corrected, 1);
    assert_int_equal(stock(fx, fx->w2, fx->item, ""), 15);
    assert_int_equal(rebuild(fx, 0, NULL), 0);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM audit_log WHERE action = 'rebuild'"),
                     1);
}

/* ---- concurrency ------------------------------------------------------------------------- */

typedef struct Worker {
    Fx *fx;
    int index;
    int ok, refused, failed;
    int booked; /* ledger entries written */
    int64_t issued;
    char failure[600];
} Worker;

typedef struct ConfirmCtx {
    json_t *body, *out;
} ConfirmCtx;

static int confirm_tx(Tx *tx, void *ctx, Error *err);

/* Each operation: an issue (7), an allocation confirm taking 3 from each warehouse in one
 * transaction, or a transfer (13–32) either way. */
static void *worker_main(void *arg)
{
    Worker *w = arg;
    uint64_t seed = 0x1234567ULL + (uint64_t)w->index * 7919;
    for (int i = 0; i < OPS; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(seed >> 33);
        int from_first = r & 1;
        int64_t from = from_first ? w->fx->w1 : w->fx->w2, to = from_first ? w->fx->w2 : w->fx->w1;
        int what = (int)((r >> 1) % 6); /* 0, 1: issue; 2: confirm; else transfer */
        int64_t qty = what < 2 ? 7 : what == 2 ? 6 : 13 + (r >> 4) % 20;
        Error err = ERROR_INIT;
        int rc;
        if (what == 2) {
            json_t *body = json_pack(
                "{s:s, s:s, s:[{s:I, s:I, s:i}, {s:I, s:I, s:i}]}", "incident_ref", "CONC",
                "destination", "安置点", "lines", "warehouse_id", (json_int_t)w->fx->w2, "item_id",
                (json_int_t)w->fx->item, "quantity", 3, "warehouse_id", (json_int_t)w->fx->w1,
                "item_id", (json_int_t)w->fx->item, "quantity", 3);
            Arena a = ARENA_INIT;
            ConfirmCtx cc = {body, NULL};
            rc = tx_run(w->fx->store, &actor_system, &a, confirm_tx, &cc, &err);
            arena_free(&a);
            json_decref(body);
            json_decref(cc.out);
        } else {
            json_t *m = mv(what < 2 ? "issue" : "transfer", w->fx->item, from, qty);
            if (what >= 2)
                json_object_set_new(m, "to_warehouse_id", json_integer(to));
            rc = book(w->fx->store, m, NULL, &err);
        }
        if (rc == 0) {
            w->ok++;
            w->booked += what == 2 ? 2 : 1;
            if (what <= 2)
                w->issued += qty;
        } else if (err.status == 409 && strcmp(err.code, "insufficient_stock") == 0) {
            w->refused++;
        } else {
            w->failed++;
            snprintf(w->failure, sizeof w->failure, "[%d %s] %s", err.status, err.code,
                     err.message_en);
        }
        error_clear(&err);
    }
    return NULL;
}

static void test_concurrent_transfers(void **state)
{
    Fx *fx = fixture(state);
    base_data(fx);
    Error err = ERROR_INIT;
    const int64_t initial = 400;
    assert_ok(book(fx->store, mv("receive", fx->item, fx->w1, initial), NULL, &err), err);
    assert_ok(book(fx->store, mv("receive", fx->item, fx->w2, initial), NULL, &err), err);
    pthread_t th[THREADS];
    Worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (Worker){fx, i, 0, 0, 0, 0, 0, {0}};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    int ok = 0, refused = 0, booked = 0;
    int64_t issued = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].failed)
            print_error("worker %d: %d failures, last: %s\n", i, w[i].failed, w[i].failure);
        assert_int_equal(w[i].failed, 0);
        ok += w[i].ok;
        booked += w[i].booked;
        refused += w[i].refused;
        issued += w[i].issued;
    }
    print_message("%s: %d booked, %d refused (insufficient), %lld issued\n",
                  fx->pg ? "postgres" : "sqlite", ok, refused, (long long)issued);
    assert_int_equal(ok + refused, THREADS * OPS);
    assert_true(refused > 0); /* the stock ran short, so refusals were exercised */
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_movements"), booked + 2);
    assert_int_equal(count(fx->store, "SELECT SUM(quantity) FROM supply_stock"),
                     2 * initial - issued);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_stock WHERE quantity < 0"), 0);
    assert_int_equal(rebuild(fx, 0, NULL), 0); /* balances == ledger sums */
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM audit_log WHERE entity ="
                                      " 'supply_movements'"),
                     booked + 2);
}

/* ---- expiring, demand, allocation -------------------------------------------------------- */

static void test_expiring(void **state)
{
    Fx *fx = fixture(state);
    base_data(fx);
    Error err = ERROR_INIT;
    char d10[16], d100[16];
    date_in(10, d10);
    date_in(100, d100);
    assert_ok(book(fx->store,
                   with(with(mv("receive", fx->item, fx->w1, 5), "batch_no", json_string("S")),
                        "expiry_date", json_string(d10)),
                   NULL, &err),
              err);
    assert_ok(book(fx->store,
                   with(with(mv("receive", fx->item, fx->w1, 5), "batch_no", json_string("L")),
                        "expiry_date", json_string(d100)),
                   NULL, &err),
              err);
    /* a batch has one expiry date */
    assert_err(book(fx->store,
                    with(with(mv("receive", fx->item, fx->w2, 5), "batch_no", json_string("S")),
                         "expiry_date", json_string(d100)),
                    NULL, &err),
               err, 422);
    Arena a = ARENA_INIT;
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    int rc = supplies_expiring(c, &a, &actor_system, 30, &out, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    json_t *items = json_object_get(out, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *it = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(it, "batch_no")), "S");
    assert_int_equal(json_integer_value(json_object_get(it, "days_left")), 10);
    json_decref(out);
    /* a town actor elsewhere sees nothing */
    Actor town = {7, "town2", ROLE_DUTY_OFFICER, "620390101", 0};
    c = store_acquire(fx->store);
    rc = supplies_expiring(c, &a, &town, 365, &out, &err);
    store_release(fx->store, c);
    assert_ok(rc, err);
    assert_int_equal(json_array_size(json_object_get(out, "items")), 0);
    json_decref(out);
    arena_free(&a);
}

static int confirm_tx(Tx *tx, void *ctx, Error *err)
{
    ConfirmCtx *cc = ctx;
    return supplies_confirm(tx, cc->body, &cc->out, err);
}

static int confirm(Fx *fx, json_t *body, json_t **out, Error *err)
{
    Arena a = ARENA_INIT;
    ConfirmCtx cc = {body, NULL};
    int rc = tx_run(fx->store, &actor_system, &a, confirm_tx, &cc, err);
    arena_free(&a);
    json_decref(body);
    if (out)
        *out = cc.out;
    else
        json_decref(cc.out);
    return rc;
}

static void test_allocation(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    /* incident at (102.0, 38.0); warehouses 5, 60 and 150 km north */
    int64_t near = warehouse(fx, "近库", "620390100", 102.0, 38.045);
    int64_t mid = warehouse(fx, "中库", "620390101", 102.0, 38.54);
    int64_t far = warehouse(fx, "远库", "620390102", 102.0, 39.35);
    int64_t tent = item(fx, "T-013", "救灾帐篷");
    int64_t water = item(fx, "T-016", "饮用水");
    create(fx, &supply_standards_entity,
           json_pack("{s:I, s:s, s:f}", "item_id", (json_int_t)tent, "basis", "household",
                     "quantity", 1.0));
    create(fx, &supply_standards_entity,
           json_pack("{s:I, s:s, s:f}", "item_id", (json_int_t)water, "basis", "person", "quantity",
                     2.0));
    assert_ok(book(fx->store, mv("receive", tent, far, 50), NULL, &err), err);
    assert_ok(book(fx->store, mv("receive", tent, near, 10), NULL, &err), err);
    assert_ok(book(fx->store, mv("receive", tent, mid, 10), NULL, &err), err);
    assert_ok(book(fx->store, mv("receive", water, near, 1000), NULL, &err), err);

    /* demand: 25 households, people from the default household size */
    Arena a = ARENA_INIT;
    json_t *out = NULL, *body = json_pack("{s:i}", "households", 25);
    StoreConn *c = store_acquire(fx->store);
    int rc = supplies_demand(c, &a, &actor_system, body, &out, &err);
    json_decref(body);
    assert_ok(rc, err);
    assert_int_equal(json_integer_value(json_object_get(out, "people")), 75);
    json_t *items = json_object_get(out, "items");
    assert_int_equal(json_array_size(items), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *it = json_array_get(items, i);
        int64_t id = json_integer_value(json_object_get(it, "item_id"));
        assert_int_equal(json_integer_value(json_object_get(it, "quantity")),
                         id == tent ? 25 : 150);
    }
    json_decref(out);

    /* proposal: nearest first, the far one misses the 2-hour target */
    body = json_pack("{s:f, s:f, s:i, s:i}", "lon", 102.0, "lat", 38.0, "households", 25, "people",
                     80);
    rc = supplies_propose(c, &a, &actor_system, body, &out, &err);
    json_decref(body);
    assert_ok(rc, err);
    json_t *tent_it = NULL;
    items = json_object_get(out, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        if (json_integer_value(json_object_get(json_array_get(items, i), "item_id")) == tent)
            tent_it = json_array_get(items, i);
    assert_non_null(tent_it);
    json_t *al = json_object_get(tent_it, "allocations");
    assert_int_equal(json_array_size(al), 3);
    int64_t order[3] = {near, mid, far}, qty[3] = {10, 10, 5};
    double prev = -1;
    for (int i = 0; i < 3; i++) {
        json_t *x = json_array_get(al, (size_t)i);
        assert_int_equal(json_integer_value(json_object_get(x, "warehouse_id")), order[i]);
        assert_int_equal(json_integer_value(json_object_get(x, "quantity")), qty[i]);
        double eta = json_real_value(json_object_get(x, "eta_minutes"));
        assert_true(eta >= prev);
        prev = eta;
        assert_int_equal(json_is_true(json_object_get(x, "meets_target")), i < 2);
    }
    double d0 = json_real_value(json_object_get(json_array_get(al, 0), "distance_km"));
    assert_true(d0 > 4.9 && d0 < 5.1);
    assert_true(json_is_true(json_object_get(tent_it, "late")));
    assert_int_equal(json_integer_value(json_object_get(tent_it, "shortfall")), 0);
    assert_false(json_is_true(json_object_get(out, "all_on_time")));
    assert_true(json_is_true(json_object_get(out, "all_covered")));
    json_decref(out);

    /* a faster convoy makes everything on time; more households leave a shortfall */
    body = json_pack("{s:f, s:f, s:i, s:i, s:f}", "lon", 102.0, "lat", 38.0, "households", 100,
                     "people", 300, "speed_kmh", 80.0);
    rc = supplies_propose(c, &a, &actor_system, body, &out, &err);
    json_decref(body);
    assert_ok(rc, err);
    assert_true(json_is_true(json_object_get(out, "all_on_time")));
    assert_false(json_is_true(json_object_get(out, "all_covered")));
    assert_int_equal(json_array_size(json_object_get(out, "shortfall_items")), 1);
    json_decref(out);
    store_release(fx->store, c);
    arena_free(&a);

    /* confirm: all lines or none */
    int64_t moves = count(fx->store, "SELECT COUNT(*) FROM supply_movements");
    json_t *lines =
        json_pack("[{s:I, s:I, s:i}, {s:I, s:I, s:i}]", "warehouse_id", (json_int_t)near, "item_id",
                  (json_int_t)tent, "quantity", 10, "warehouse_id", (json_int_t)mid, "item_id",
                  (json_int_t)tent, "quantity", 11);
    assert_err(confirm(fx,
                       json_pack("{s:s, s:s, s:o}", "incident_ref", "INC-1", "destination",
                                 "河西镇安置点", "lines", lines),
                       NULL, &err),
               err, 409);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_movements"), moves);
    assert_int_equal(stock(fx, near, tent, ""), 10);
    lines = json_pack("[{s:I, s:I, s:i}, {s:I, s:I, s:i}]", "warehouse_id", (json_int_t)near,
                      "item_id", (json_int_t)tent, "quantity", 10, "warehouse_id", (json_int_t)mid,
                      "item_id", (json_int_t)tent, "quantity", 4);
    assert_ok(confirm(fx,
                      json_pack("{s:s, s:I, s:o}", "incident_ref", "INC-1", "to_warehouse_id",
                                (json_int_t)far, "lines", lines),
                      &out, &err),
              err);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 2);
    json_decref(out);
    assert_int_equal(stock(fx, near, tent, ""), 0);
    assert_int_equal(stock(fx, mid, tent, ""), 6);
    assert_int_equal(stock(fx, far, tent, ""), 64);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM supply_movements WHERE incident_ref ="
                                      " 'INC-1' AND kind = 'transfer'"),
                     2);
    assert_int_equal(rebuild(fx, 0, NULL), 0);
}

/* The daily expiry alert: created at start, runs when due, schedules the next day. */
static void test_expiry_job(void **state)
{
    Fx *fx = fixture(state);
    supplies_start(fx->store);
    supplies_start(fx->store); /* idempotent */
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM scheduler_jobs WHERE kind ="
                                      " 'supplies.expiry'"),
                     1);
    Error err = ERROR_INIT;
    assert_int_equal(scheduler_run_due(fx->store, 10, &err), 0); /* not due yet */
    clock_set_offset(86400 + 60);
    int ran = scheduler_run_due(fx->store, 10, &err);
    clock_set_offset(0);
    assert_int_equal(ran, 1);
    assert_int_equal(count(fx->store, "SELECT COUNT(*) FROM scheduler_jobs WHERE kind ="
                                      " 'supplies.expiry' AND attempts = 0"),
                     1);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        BOTH(test_ledger_balances),
        BOTH(test_refusals_write_nothing),
        BOTH(test_rebuild_finds_and_corrects),
        BOTH(test_concurrent_transfers),
        BOTH(test_expiring),
        BOTH(test_allocation),
        BOTH(test_expiry_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
