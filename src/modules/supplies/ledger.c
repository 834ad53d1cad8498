/* modules/supplies/ledger — the ledger's effect on the balances, the rebuild, and the
 * batches that expire soon. See supplies.h for the promises.
 *
 * Effects of one entry (quantity q, batch b — "" when none):
 *   receive   +q (warehouse, item, b)
 *   issue     -q (warehouse, item, b)          scrap  -q (warehouse, item, b)
 *   transfer  -q (warehouse, item, b)  +q (to_warehouse, item, b)
 *   rotate    -q (warehouse, item, b)  +q (warehouse, item, new_batch)
 * Every entry first touches the balance rows it changes in canonical order (creating a
 * zero row when missing, locking it on PostgreSQL), then applies the decrement as a
 * conditional UPDATE whose row count says whether the stock sufficed, then the increment. */
#include "modules/supplies/supplies_internal.h"

#include "core/clock.h"
#include "flow/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers shared by the module ------------------------------------------------ */

int supplies_json_int(json_t *o, const char *k, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return 0;
    *out = json_integer_value(v);
    return 1;
}

int supplies_json_num(json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return 1;
}

int supplies_only_keys(json_t *obj, const char *const *allowed, Error *err)
{
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(obj, k, v)
    {
        int ok = 0;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = strcmp(allowed[i], k) == 0;
        if (!ok) {
            error_field(err, k, "不支持的字段");
            bad++;
        }
    }
    if (bad)
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "validation failed: unknown field");
    return 0;
}

const char *supplies_prefix_like(Arena *arena, const Actor *actor)
{
    return arena_printf(arena, "%s%%", actor && actor->jurisdiction ? actor->jurisdiction : "");
}

static const char *json_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s;
}

static void now_iso(char *out, size_t n)
{
    clock_format_iso(clock_now(), out, n);
}

/* ---- balance rows ------------------------------------------------------------------------ */

static int key_cmp(const void *a, const void *b)
{
    const StockKey *x = a, *y = b;
    if (x->warehouse_id != y->warehouse_id)
        return x->warehouse_id < y->warehouse_id ? -1 : 1;
    if (x->item_id != y->item_id)
        return x->item_id < y->item_id ? -1 : 1;
    return strcmp(x->batch_no, y->batch_no);
}

int supplies_touch_keys(Tx *tx, StockKey *keys, int n, Error *err)
{
    static const char *sql =
        "INSERT INTO supply_stock (warehouse_id, item_id, batch_no, quantity, expiry_date,"
        " division_code, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $5, $6, $6)"
        " ON CONFLICT (warehouse_id, item_id, batch_no) DO UPDATE SET quantity ="
        " supply_stock.quantity";
    char now[32];
    now_iso(now, sizeof now);
    qsort(keys, (size_t)n, sizeof *keys, key_cmp);
    for (int i = 0; i < n; i++) {
        if (i > 0 && key_cmp(&keys[i - 1], &keys[i]) == 0)
            continue;
        DbValue p[] = {db_int(keys[i].warehouse_id),   db_int(keys[i].item_id),
                       db_text(keys[i].batch_no),      db_text(keys[i].expiry_date),
                       db_text(keys[i].division_code), db_text(now)};
        if (store_exec(tx->conn, sql, p, 6, NULL, err) < 0)
            return -1;
    }
    return 0;
}

const char *supplies_batch_expiry(Tx *tx, int64_t item_id, const char *batch_no, Error *err,
                                  int *failed)
{
    DbRows r;
    DbValue p[] = {db_int(item_id), db_text(batch_no)};
    *failed = 0;
    if (store_query(tx->conn, tx->arena,
                    "SELECT expiry_date FROM supply_stock WHERE item_id = $1 AND batch_no = $2"
                    " AND expiry_date IS NOT NULL ORDER BY expiry_date LIMIT 1",
                    p, 2, &r, err) < 0) {
        *failed = 1;
        return NULL;
    }
    return r.nrows ? db_cell(&r, 0, 0) : NULL;
}

typedef struct Wh {
    int64_t id;
    const char *division, *status, *name;
} Wh;

static int load_warehouse(Tx *tx, int64_t id, const char *field, Wh *w, Error *err)
{
    DbRows r;
    DbValue p = db_int(id);
    if (store_query(tx->conn, tx->arena,
                    "SELECT division_code, status, name FROM warehouses WHERE id = $1", &p, 1, &r,
                    err) < 0)
        return -1;
    /* a warehouse outside the actor's jurisdiction does not exist for the actor */
    if (r.nrows == 0 || !actor_covers(tx->actor, db_cell(&r, 0, 0))) {
        error_field(err, field, "引用的记录不存在");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "validation failed: unknown warehouse");
    }
    w->id = id;
    w->division = db_cell(&r, 0, 0);
    w->status = db_cell(&r, 0, 1);
    w->name = db_cell(&r, 0, 2);
    return 0;
}

static const char *item_name(Tx *tx, int64_t item_id)
{
    DbRows r;
    Error e = ERROR_INIT;
    DbValue p = db_int(item_id);
    const char *name = "?";
    if (store_query(tx->conn, tx->arena, "SELECT name FROM supply_items WHERE id = $1", &p, 1, &r,
                    &e) == 0 &&
        r.nrows)
        name = db_cell(&r, 0, 0);
    error_clear(&e);
    return name;
}

static int64_t balance(Tx *tx, int64_t wh, int64_t item, const char *batch)
{
    int64_t q = 0;
    Error e = ERROR_INIT;
    DbValue p[] = {db_int(wh), db_int(item), db_text(batch)};
    store_query_int(tx->conn,
                    "SELECT quantity FROM supply_stock WHERE warehouse_id = $1 AND item_id = $2"
                    " AND batch_no = $3",
                    p, 3, &q, &e);
    error_clear(&e);
    return q;
}

static int insufficient(Tx *tx, const Wh *w, int64_t item, const char *batch, int64_t want,
                        Error *err)
{
    int64_t have = balance(tx, w->id, item, batch);
    return error_setf(
        err, 409, "insufficient_stock", "库存不足：%s 的“%s”（批次 %s）现有 %lld，不能减少 %lld",
        "insufficient stock: warehouse %s, item %s, batch '%s' holds %lld, cannot "
        "take %lld",
        w->name, item_name(tx, item), *batch ? batch : "无", (long long)have, (long long)want);
}

/* FEFO: the batch that expires first (no expiry last) and holds at least q; NULL if none. */
static const char *pick_batch(Tx *tx, int64_t wh, int64_t item, int64_t q, Error *err, int *failed)
{
    DbRows r;
    DbValue p[] = {db_int(wh), db_int(item), db_int(q)};
    *failed = 0;
    if (store_query(tx->conn, tx->arena,
                    "SELECT batch_no FROM supply_stock WHERE warehouse_id = $1 AND item_id = $2"
                    " AND quantity >= $3 ORDER BY CASE WHEN expiry_date IS NULL THEN 1 ELSE 0"
                    " END, expiry_date, batch_no LIMIT 1",
                    p, 3, &r, err) < 0) {
        *failed = 1;
        return NULL;
    }
    return r.nrows ? db_cell(&r, 0, 0) : NULL;
}

static int apply_delta(Tx *tx, int64_t wh, int64_t item, const char *batch, int64_t delta,
                       int64_t *affected, Error *err)
{
    char now[32];
    now_iso(now, sizeof now);
    DbValue p[] = {db_int(delta < 0 ? -delta : delta), db_text(now), db_int(wh), db_int(item),
                   db_text(batch)};
    const char *sql = delta < 0
                          ? "UPDATE supply_stock SET quantity = quantity - $1, updated_at = $2"
                            " WHERE warehouse_id = $3 AND item_id = $4 AND batch_no = $5"
                            " AND quantity >= $1"
                          : "UPDATE supply_stock SET quantity = quantity + $1, updated_at = $2"
                            " WHERE warehouse_id = $3 AND item_id = $4 AND batch_no = $5";
    return store_exec(tx->conn, sql, p, 5, affected, err);
}

static int refuse_fields(Error *err)
{
    return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                     "validation failed");
}

/* ---- the hook ---------------------------------------------------------------------------- */

int supplies_movement_hook(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    if (before)
        return error_set(err, 409, "ledger_append_only",
                         "出入库台账只能追加，不能修改；更正请录入冲正记录（reverses_id）",
                         "the stock ledger is append-only; book a reversing entry instead");
    const char *kind = json_str(rec, "kind");
    int64_t item = 0, wh_id = 0, to_id = 0, qty = 0;
    supplies_json_int(rec, "item_id", &item);
    supplies_json_int(rec, "warehouse_id", &wh_id);
    supplies_json_int(rec, "quantity", &qty);
    int has_to = supplies_json_int(rec, "to_warehouse_id", &to_id);
    const char *batch = json_str(rec, "batch_no");
    const char *newb = json_str(rec, "new_batch_no");
    const char *expiry = json_str(rec, "expiry_date");
    int is_receive = strcmp(kind, "receive") == 0, is_transfer = strcmp(kind, "transfer") == 0;
    int is_rotate = strcmp(kind, "rotate") == 0;
    int bad = 0;

    if (is_transfer && !has_to) {
        error_field(err, "to_warehouse_id", "调拨须填写调入库");
        bad++;
    } else if (is_transfer && to_id == wh_id) {
        error_field(err, "to_warehouse_id", "调入库不能与调出库相同");
        bad++;
    } else if (!is_transfer && has_to) {
        error_field(err, "to_warehouse_id", "只有调拨才填写调入库");
        bad++;
    }
    if (is_rotate && (!newb || !*newb)) {
        error_field(err, "new_batch_no", "轮换须填写新批次号");
        bad++;
    } else if (is_rotate && strcmp(newb, batch ? batch : "") == 0) {
        error_field(err, "new_batch_no", "新批次号不能与原批次号相同");
        bad++;
    } else if (!is_rotate && newb && *newb) {
        error_field(err, "new_batch_no", "只有轮换才填写新批次号");
        bad++;
    }
    if (expiry && !is_receive && !is_rotate) {
        error_field(err, "expiry_date", "只有入库、轮换才填写有效期");
        bad++;
    }
    if (bad)
        return refuse_fields(err);

    Wh wh, to;
    if (load_warehouse(tx, wh_id, "warehouse_id", &wh, err) < 0)
        return -1;
    if (has_to && load_warehouse(tx, to_id, "to_warehouse_id", &to, err) < 0)
        return -1;
    const Wh *into = is_receive ? &wh : is_transfer ? &to : NULL;
    if (into && strcmp(into->status, "closed") == 0)
        return error_setf(err, 409, "warehouse_closed", "储备库“%s”已停用，不能入库",
                          "warehouse \"%s\" is closed", into->name);

    json_object_set_new(rec, "division_code", json_string(wh.division));
    json_object_set_new(
        rec, "created_by",
        json_string(tx->actor && tx->actor->username ? tx->actor->username : "system"));
    int failed = 0;
    if (!batch)
        batch = "";
    if (!is_receive && !json_str(rec, "batch_no")) {
        /* an outgoing entry without a batch: the batch that expires first and covers it */
        const char *b = pick_batch(tx, wh.id, item, qty, err, &failed);
        if (failed)
            return -1;
        if (!b)
            return insufficient(tx, &wh, item, "", qty, err);
        batch = b;
        if (*b)
            json_object_set_new(rec, "batch_no", json_string(b));
    }

    /* expiry of the batch: one date per (item, batch) */
    const char *known = supplies_batch_expiry(tx, item, is_rotate ? newb : batch, err, &failed);
    if (failed)
        return -1;
    if (expiry && known && strcmp(expiry, known) != 0) {
        error_field(err, "expiry_date", "与该批次已登记的有效期不一致");
        return error_setf(err, 422, "validation_failed",
                          "该批次已登记有效期 %s，与本次填写的不一致",
                          "batch already has expiry date %s", known);
    }
    const char *new_expiry = expiry ? expiry : known;
    const char *src_expiry = supplies_batch_expiry(tx, item, batch, err, &failed);
    if (failed)
        return -1;

    StockKey keys[2];
    int nkeys = 0;
    if (is_receive) {
        keys[nkeys++] = (StockKey){wh.id, item, batch, new_expiry, wh.division};
    } else {
        keys[nkeys++] = (StockKey){wh.id, item, batch, src_expiry, wh.division};
        if (is_transfer)
            keys[nkeys++] = (StockKey){to.id, item, batch, src_expiry, to.division};
        if (is_rotate)
            keys[nkeys++] = (StockKey){wh.id, item, newb, new_expiry, wh.division};
    }
    StockKey sorted[2];
    memcpy(sorted, keys, sizeof keys);
    if (supplies_touch_keys(tx, sorted, nkeys, err) < 0)
        return -1;

    int64_t n = 0;
    if (!is_receive) {
        if (apply_delta(tx, wh.id, item, batch, -qty, &n, err) < 0)
            return -1;
        if (n != 1)
            return insufficient(tx, &wh, item, batch, qty, err);
    }
    const StockKey *in = is_receive ? &keys[0] : nkeys == 2 ? &keys[1] : NULL;
    if (in) {
        if (apply_delta(tx, in->warehouse_id, item, in->batch_no, qty, &n, err) < 0)
            return -1;
        if (n != 1)
            return error_internal(err, "supplies: a touched balance row is missing");
    }
    return 0;
}

int supplies_book(Tx *tx, json_t *movement, json_t **out, Error *err)
{
    return entity_create(tx, &supply_movements_entity, movement, out, err);
}

/* ---- reversal (冲正) ---------------------------------------------------------------------- */

int supplies_reverse(Tx *tx, const char *id, json_t *body, json_t **out, Error *err)
{
    static const char *const keys[] = {"reason", NULL};
    if (body && supplies_only_keys(body, keys, err) < 0)
        return -1;
    json_t *why = body ? json_object_get(body, "reason") : NULL;
    if (why && !json_is_string(why)) {
        error_field(err, "reason", "事由应为文字");
        return refuse_fields(err);
    }
    json_t *m = NULL;
    if (entity_get(tx->conn, &supply_movements_entity, tx->actor, id, &m, err) < 0)
        return -1;
    int64_t one;
    DbValue pid = db_int(json_integer_value(json_object_get(m, "id")));
    int found = store_query_int(tx->conn, "SELECT 1 FROM supply_movements WHERE reverses_id = $1",
                                &pid, 1, &one, err);
    if (found <= 0) {
        json_decref(m);
        return found < 0 ? -1
                         : error_setf(err, 409, "already_reversed", "第 %s 号记录已经冲正过",
                                      "entry %s was reversed already", id);
    }
    const char *kind = json_str(m, "kind");
    const char *batch = json_str(m, "batch_no") ? json_str(m, "batch_no") : "";
    json_t *r = json_pack("{s:O, s:O, s:s, s:O}", "item_id", json_object_get(m, "item_id"),
                          "quantity", json_object_get(m, "quantity"), "batch_no", batch,
                          "reverses_id", json_object_get(m, "id"));
    const char *rkind = "issue";
    if (strcmp(kind, "receive") == 0) {
        json_object_set(r, "warehouse_id", json_object_get(m, "warehouse_id"));
    } else if (strcmp(kind, "issue") == 0 || strcmp(kind, "scrap") == 0) {
        rkind = "receive";
        json_object_set(r, "warehouse_id", json_object_get(m, "warehouse_id"));
    } else if (strcmp(kind, "transfer") == 0) {
        rkind = "transfer";
        json_object_set(r, "warehouse_id", json_object_get(m, "to_warehouse_id"));
        json_object_set(r, "to_warehouse_id", json_object_get(m, "warehouse_id"));
    } else { /* rotate: the new batch back into the old one */
        rkind = "rotate";
        json_object_set(r, "warehouse_id", json_object_get(m, "warehouse_id"));
        json_object_set(r, "batch_no", json_object_get(m, "new_batch_no"));
        json_object_set_new(r, "new_batch_no", json_string(batch));
    }
    json_object_set_new(r, "kind", json_string(rkind));
    char reason[400];
    snprintf(reason, sizeof reason, "冲正第 %s 号记录%s%.300s", id, why ? "：" : "",
             why ? json_string_value(why) : "");
    json_object_set_new(r, "reason", json_string(reason));
    if (json_str(m, "incident_ref"))
        json_object_set(r, "incident_ref", json_object_get(m, "incident_ref"));
    json_decref(m);
    int rc = supplies_book(tx, r, out, err);
    json_decref(r);
    return rc;
}

/* ---- rebuild ----------------------------------------------------------------------------- */

/* Ledger sums per (warehouse, item, batch) for the warehouses inside the prefix. */
static const char *ledger_sums_sql =
    "SELECT e.warehouse_id, e.item_id, e.batch, SUM(e.q) FROM ("
    " SELECT warehouse_id, item_id, COALESCE(batch_no, '') AS batch,"
    "  CASE WHEN kind = 'receive' THEN quantity ELSE -quantity END AS q FROM supply_movements"
    " UNION ALL SELECT to_warehouse_id, item_id, COALESCE(batch_no, ''), quantity"
    "  FROM supply_movements WHERE kind = 'transfer'"
    " UNION ALL SELECT warehouse_id, item_id, new_batch_no, quantity"
    "  FROM supply_movements WHERE kind = 'rotate') e"
    " JOIN warehouses w ON w.id = e.warehouse_id WHERE w.division_code LIKE $1"
    " GROUP BY e.warehouse_id, e.item_id, e.batch ORDER BY e.warehouse_id, e.item_id, e.batch";

static const char *stock_sql =
    "SELECT warehouse_id, item_id, batch_no, quantity, id, division_code FROM supply_stock"
    " WHERE division_code LIKE $1 ORDER BY warehouse_id, item_id, batch_no";

typedef struct Bal {
    int64_t wh, item, qty, id;
    const char *batch, *division;
} Bal;

static int bal_cmp(const Bal *a, const Bal *b)
{
    if (a->wh != b->wh)
        return a->wh < b->wh ? -1 : 1;
    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    return strcmp(a->batch, b->batch);
}

static Bal row_bal(const DbRows *r, int i, int stock)
{
    Bal b = {strtoll(db_cell(r, i, 0), NULL, 10),
             strtoll(db_cell(r, i, 1), NULL, 10),
             strtoll(db_cell(r, i, 3) ? db_cell(r, i, 3) : "0", NULL, 10),
             0,
             db_cell(r, i, 2) ? db_cell(r, i, 2) : "",
             NULL};
    if (stock) {
        b.id = strtoll(db_cell(r, i, 4), NULL, 10);
        b.division = db_cell(r, i, 5);
    }
    return b;
}

static int correct(Tx *tx, const Bal *want, const Bal *have, Error *err)
{
    char now[32];
    now_iso(now, sizeof now);
    json_t *before = have ? json_pack("{s:I}", "quantity", (json_int_t)have->qty) : NULL;
    json_t *after = json_pack("{s:I, s:I, s:s, s:I}", "warehouse_id", (json_int_t)want->wh,
                              "item_id", (json_int_t)want->item, "batch_no", want->batch,
                              "quantity", (json_int_t)want->qty);
    int rc = 0;
    char key[32];
    if (have) {
        DbValue p[] = {db_int(want->qty), db_text(now), db_int(have->id)};
        rc = store_exec(tx->conn,
                        "UPDATE supply_stock SET quantity = $1, updated_at = $2 WHERE id = $3", p,
                        3, NULL, err);
        snprintf(key, sizeof key, "%lld", (long long)have->id);
    } else {
        DbRows r;
        DbValue p[] = {db_int(want->wh), db_int(want->item), db_text(want->batch),
                       db_int(want->qty), db_text(now)};
        rc = store_query(tx->conn, tx->arena,
                         "INSERT INTO supply_stock (warehouse_id, item_id, batch_no, quantity,"
                         " division_code, created_at, updated_at) SELECT $1, $2, $3, $4,"
                         " division_code, $5, $5 FROM warehouses WHERE id = $1 RETURNING id",
                         p, 5, &r, err);
        snprintf(key, sizeof key, "%s", rc == 0 && r.nrows ? db_cell(&r, 0, 0) : "");
    }
    const char *division = have ? have->division : want->division;
    if (rc == 0)
        rc = audit_record(tx, "rebuild", "supply_stock", key, division, before, after, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

int supplies_rebuild(Tx *tx, int fix, json_t **report, Error *err)
{
    DbRows L, S;
    DbValue p = db_text(supplies_prefix_like(tx->arena, tx->actor));
    /* PostgreSQL: no movement may commit between reading the ledger and the balances */
    if (conn_dialect(tx->conn) == DIALECT_POSTGRES &&
        store_exec(tx->conn, "LOCK TABLE supply_movements, supply_stock IN EXCLUSIVE MODE", NULL, 0,
                   NULL, err) < 0)
        return -1;
    if (store_query(tx->conn, tx->arena, ledger_sums_sql, &p, 1, &L, err) < 0 ||
        store_query(tx->conn, tx->arena, stock_sql, &p, 1, &S, err) < 0)
        return -1;
    json_t *diffs = json_array();
    int i = 0, j = 0, corrected = 0, rc = 0;
    int64_t ledger_total = 0, stock_total = 0;
    while (rc == 0 && (i < L.nrows || j < S.nrows)) {
        Bal l = {0}, s = {0};
        int c;
        if (i < L.nrows)
            l = row_bal(&L, i, 0);
        if (j < S.nrows)
            s = row_bal(&S, j, 1);
        if (i >= L.nrows)
            c = 1;
        else if (j >= S.nrows)
            c = -1;
        else
            c = bal_cmp(&l, &s);
        const Bal *want = c <= 0 ? &l : NULL, *have = c >= 0 ? &s : NULL;
        Bal zero;
        if (!want) {
            zero = s;
            zero.qty = 0;
            want = &zero;
        }
        ledger_total += c <= 0 ? l.qty : 0;
        stock_total += have ? have->qty : 0;
        int64_t stored = have ? have->qty : 0;
        if (stored != want->qty) {
            json_array_append_new(
                diffs, json_pack("{s:I, s:I, s:s, s:I, s:I}", "warehouse_id", (json_int_t)want->wh,
                                 "item_id", (json_int_t)want->item, "batch_no", want->batch,
                                 "stored", (json_int_t)stored, "ledger", (json_int_t)want->qty));
            if (fix && want->qty >= 0) {
                rc = correct(tx, want, have, err);
                corrected += rc == 0;
            }
        }
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    if (rc < 0) {
        json_decref(diffs);
        return -1;
    }
    *report = json_pack("{s:i, s:o, s:i, s:I, s:I, s:b}", "checked",
                        S.nrows > L.nrows ? S.nrows : L.nrows, "differences", diffs, "corrected",
                        corrected, "ledger_total", (json_int_t)ledger_total, "stock_total",
                        (json_int_t)stock_total, "consistent", json_array_size(diffs) == 0);
    return 0;
}

/* ---- expiring batches -------------------------------------------------------------------- */

int supplies_expiring(StoreConn *c, Arena *arena, const Actor *actor, int days, json_t **out,
                      Error *err)
{
    char today[32], until[32];
    int64_t now = clock_now();
    clock_format_iso(now, today, sizeof today);
    clock_format_iso(now + (int64_t)days * 86400, until, sizeof until);
    today[10] = until[10] = '\0';
    DbRows r;
    DbValue p[] = {db_text(until), db_text(supplies_prefix_like(arena, actor))};
    if (store_query(c, arena,
                    "SELECT s.id, s.warehouse_id, w.name, s.division_code, s.item_id, i.code,"
                    " i.name, i.unit, i.category, s.batch_no, s.quantity, s.expiry_date"
                    " FROM supply_stock s JOIN warehouses w ON w.id = s.warehouse_id"
                    " JOIN supply_items i ON i.id = s.item_id"
                    " WHERE s.quantity > 0 AND s.expiry_date IS NOT NULL AND s.expiry_date <= $1"
                    " AND s.division_code LIKE $2 ORDER BY s.expiry_date, s.warehouse_id, s.id",
                    p, 2, &r, err) < 0)
        return -1;
    json_t *items = json_array();
    int64_t t0 = 0;
    char iso[64];
    snprintf(iso, sizeof iso, "%.10sT00:00:00Z", today);
    clock_parse_iso(iso, &t0);
    for (int i = 0; i < r.nrows; i++) {
        int64_t te = 0;
        snprintf(iso, sizeof iso, "%.10sT00:00:00Z", db_cell(&r, i, 11));
        clock_parse_iso(iso, &te);
        long left = (long)((te - t0) / 86400);
        json_array_append_new(
            items,
            json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:i, s:b}",
                      "stock_id", (json_int_t)strtoll(db_cell(&r, i, 0), NULL, 10), "warehouse_id",
                      (json_int_t)strtoll(db_cell(&r, i, 1), NULL, 10), "warehouse_name",
                      db_cell(&r, i, 2), "division_code", db_cell(&r, i, 3), "item_id",
                      (json_int_t)strtoll(db_cell(&r, i, 4), NULL, 10), "item_code",
                      db_cell(&r, i, 5), "item_name", db_cell(&r, i, 6), "unit", db_cell(&r, i, 7),
                      "category", db_cell(&r, i, 8), "batch_no", db_cell(&r, i, 9), "quantity",
                      (json_int_t)strtoll(db_cell(&r, i, 10), NULL, 10), "expiry_date",
                      db_cell(&r, i, 11), "days_left", (int)left, "expired", left < 0));
    }
    *out = json_pack("{s:i, s:s, s:s, s:i, s:o}", "days", days, "as_of", today, "until", until,
                     "total", r.nrows, "items", items);
    return 0;
}
