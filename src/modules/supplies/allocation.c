/* modules/supplies/allocation — demand from standards, allocation proposals and their
 * confirmation.
 *
 * Demand: for every standard, ceil(quantity × people) or ceil(quantity × households). When
 * only one of people / households is given, the other comes from the division's
 * population / households ratio (division_code), else SUPPLIES_DEFAULT_HOUSEHOLD_SIZE.
 *
 * Proposal: for each item, the batches with stock in active warehouses inside the actor's
 * jurisdiction (expired batches left out) are sorted by arrival time — straight-line
 * (haversine) distance / speed — then by earliest expiry (FEFO), and taken greedily until
 * the demand is covered. Every allocation says whether it arrives within the target (the
 * 2-hour target of 000 专栏5.1 by default); an item is late when any allocation misses it,
 * short when the stock does not cover it (then the supplier capacity rows for the item are
 * listed: 产能储备 as the fallback). `lines` is ready to send to confirm.
 *
 * Confirmation books one 调拨 (to a warehouse) or 出库 (to a destination text) per line and
 * batch, in one transaction: the balance rows are touched first in canonical order, so the
 * transaction holds every lock it needs before its first audit entry. */
#include "modules/supplies/supplies_internal.h"

#include "core/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define EARTH_RADIUS_KM 6371.0088
#define MAX_LINES 500

double supplies_distance_km(double lon1, double lat1, double lon2, double lat2)
{
    double rad = PI / 180;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * EARTH_RADIUS_KM * asin(fmin(1.0, sqrt(a)));
}

static double round_to(double x, double unit)
{
    return round(x / unit) * unit;
}

static int bad_request(Error *err)
{
    return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                     "validation failed");
}

static void today_iso(char *out, size_t n)
{
    clock_format_iso(clock_now(), out, n);
    if (n > 10)
        out[10] = '\0';
}

/* ---- demand ------------------------------------------------------------------------------ */

typedef struct Need {
    int64_t item_id, quantity;
    const char *code, *name, *unit, *category, *basis;
    double per;
} Need;

typedef struct Demand {
    int64_t households, people;
    Need *needs;
    int n;
} Demand;

/* Reads lon/lat (when want_point), households, people, division_code from body. */
static int read_counts(StoreConn *c, Arena *arena, json_t *body, Demand *d, Error *err)
{
    int bad = 0;
    int64_t h = -1, p = -1;
    json_t *hv = json_object_get(body, "households"), *pv = json_object_get(body, "people");
    if (hv && !json_is_null(hv) &&
        (!supplies_json_int(body, "households", &h) || h < 0 || h > 1e8)) {
        error_field(err, "households", "受灾户数应为 0 到 1 亿之间的整数");
        bad++;
    }
    if (pv && !json_is_null(pv) && (!supplies_json_int(body, "people", &p) || p < 0 || p > 1e9)) {
        error_field(err, "people", "受灾人数应为 0 到 10 亿之间的整数");
        bad++;
    }
    if (!bad && h <= 0 && p <= 0) {
        error_field(err, "people", "请填写受灾人数或户数");
        bad++;
    }
    json_t *dv = json_object_get(body, "division_code");
    if (dv && !json_is_null(dv) && !json_is_string(dv)) {
        error_field(err, "division_code", "行政区划代码应为字符串");
        bad++;
    }
    if (bad)
        return bad_request(err);
    double size = SUPPLIES_DEFAULT_HOUSEHOLD_SIZE;
    if (json_is_string(dv) && (h <= 0 || p <= 0)) {
        char code[16];
        if (division_code_normalize(json_string_value(dv), code) < 0) {
            error_field(err, "division_code", "行政区划代码格式不正确");
            return bad_request(err);
        }
        DbRows r;
        DbValue pc = db_text(code);
        if (store_query(c, arena, "SELECT population, households FROM divisions WHERE code = $1",
                        &pc, 1, &r, err) < 0)
            return -1;
        if (r.nrows && db_cell(&r, 0, 0) && db_cell(&r, 0, 1) && atof(db_cell(&r, 0, 1)) > 0 &&
            atof(db_cell(&r, 0, 0)) > 0)
            size = atof(db_cell(&r, 0, 0)) / atof(db_cell(&r, 0, 1));
    }
    if (p <= 0)
        p = (int64_t)ceil(h * size - 1e-9);
    if (h <= 0)
        h = (int64_t)ceil(p / size - 1e-9);
    d->households = h;
    d->people = p;
    return 0;
}

static int load_standards(StoreConn *c, Arena *arena, Demand *d, Error *err)
{
    DbRows r;
    if (store_query(c, arena,
                    "SELECT s.item_id, i.code, i.name, i.unit, i.category, s.basis, s.quantity"
                    " FROM supply_standards s JOIN supply_items i ON i.id = s.item_id"
                    " ORDER BY i.category, i.code",
                    NULL, 0, &r, err) < 0)
        return -1;
    d->needs = arena_alloc(arena, sizeof(Need) * (size_t)(r.nrows + 1));
    d->n = 0;
    for (int i = 0; i < r.nrows; i++) {
        Need *n = &d->needs[d->n];
        n->item_id = strtoll(db_cell(&r, i, 0), NULL, 10);
        n->code = db_cell(&r, i, 1);
        n->name = db_cell(&r, i, 2);
        n->unit = db_cell(&r, i, 3);
        n->category = db_cell(&r, i, 4);
        n->basis = db_cell(&r, i, 5);
        n->per = atof(db_cell(&r, i, 6));
        double base =
            strcmp(n->basis, "household") == 0 ? (double)d->households : (double)d->people;
        n->quantity = (int64_t)ceil(n->per * base - 1e-9);
        if (n->quantity > 0)
            d->n++;
    }
    return 0;
}

static json_t *need_json(const Need *n)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:f, s:I}", "item_id", (json_int_t)n->item_id,
                     "code", n->code, "name", n->name, "unit", n->unit, "category", n->category,
                     "basis", n->basis, "per", n->per, "quantity", (json_int_t)n->quantity);
}

static const char *const demand_keys[] = {"lon",    "lat",           "households",
                                          "people", "division_code", NULL};

int supplies_demand(StoreConn *c, Arena *arena, const Actor *actor, json_t *body, json_t **out,
                    Error *err)
{
    (void)actor;
    Demand d = {0};
    if (supplies_only_keys(body, demand_keys, err) < 0 ||
        read_counts(c, arena, body, &d, err) < 0 || load_standards(c, arena, &d, err) < 0)
        return -1;
    json_t *items = json_array();
    for (int i = 0; i < d.n; i++)
        json_array_append_new(items, need_json(&d.needs[i]));
    *out = json_pack("{s:I, s:I, s:o}", "households", (json_int_t)d.households, "people",
                     (json_int_t)d.people, "items", items);
    return 0;
}

/* ---- proposal ---------------------------------------------------------------------------- */

typedef struct Source {
    int64_t warehouse_id, quantity;
    const char *name, *level, *kind, *division, *batch, *expiry;
    double distance_km, eta_min;
} Source;

static int source_cmp(const void *a, const void *b)
{
    const Source *x = a, *y = b;
    if (x->eta_min != y->eta_min)
        return x->eta_min < y->eta_min ? -1 : 1;
    if (x->warehouse_id != y->warehouse_id)
        return x->warehouse_id < y->warehouse_id ? -1 : 1;
    if (!x->expiry != !y->expiry)
        return x->expiry ? -1 : 1; /* batches with an expiry date go first */
    int c = x->expiry ? strcmp(x->expiry, y->expiry) : 0;
    return c ? c : strcmp(x->batch, y->batch);
}

static int read_param(json_t *body, const char *k, double def, double lo, double hi, double *out,
                      const char *msg, Error *err)
{
    json_t *v = json_object_get(body, k);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v) || json_number_value(v) <= lo || json_number_value(v) > hi) {
        error_field(err, k, msg);
        return 1;
    }
    *out = json_number_value(v);
    return 0;
}

/* Explicit needs [{item_id, quantity}] instead of the standards. */
static int read_items(StoreConn *c, Arena *arena, json_t *arr, Demand *d, Error *err)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > MAX_LINES) {
        error_field(err, "items", "物资清单应为 1–500 项的数组");
        return bad_request(err);
    }
    d->needs = arena_alloc(arena, sizeof(Need) * json_array_size(arr));
    d->n = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        Need *n = &d->needs[d->n];
        if (!json_is_object(o) || !supplies_json_int(o, "item_id", &n->item_id) ||
            !supplies_json_int(o, "quantity", &n->quantity) || n->quantity <= 0 ||
            json_object_size(o) != 2) {
            error_field(err, arena_printf(arena, "items[%zu]", i),
                        "每项须为 {item_id, quantity}，数量为正整数");
            return bad_request(err);
        }
        DbRows r;
        DbValue p = db_int(n->item_id);
        if (store_query(c, arena,
                        "SELECT code, name, unit, category FROM supply_items WHERE id = $1", &p, 1,
                        &r, err) < 0)
            return -1;
        if (!r.nrows) {
            error_field(err, arena_printf(arena, "items[%zu].item_id", i), "引用的记录不存在");
            return bad_request(err);
        }
        n->code = db_cell(&r, 0, 0);
        n->name = db_cell(&r, 0, 1);
        n->unit = db_cell(&r, 0, 2);
        n->category = db_cell(&r, 0, 3);
        n->basis = NULL;
        n->per = 0;
        d->n++;
    }
    return 0;
}

static json_t *suppliers_for(StoreConn *c, Arena *arena, const Actor *actor, int64_t item,
                             Error *err)
{
    DbRows r;
    DbValue p[] = {db_int(item), db_text(supplies_prefix_like(arena, actor))};
    if (store_query(c, arena,
                    "SELECT id, company, capacity_per_day, lead_time_hours, contact, phone,"
                    " division_code FROM supplier_capacity WHERE item_id = $1 AND"
                    " division_code LIKE $2 ORDER BY lead_time_hours, capacity_per_day DESC, id",
                    p, 2, &r, err) < 0)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < r.nrows; i++)
        json_array_append_new(a, json_pack("{s:I, s:s, s:I, s:f, s:s?, s:s?, s:s}", "id",
                                           (json_int_t)strtoll(db_cell(&r, i, 0), NULL, 10),
                                           "company", db_cell(&r, i, 1), "capacity_per_day",
                                           (json_int_t)strtoll(db_cell(&r, i, 2), NULL, 10),
                                           "lead_time_hours",
                                           db_cell(&r, i, 3) ? atof(db_cell(&r, i, 3)) : 0.0,
                                           "contact", db_cell(&r, i, 4), "phone", db_cell(&r, i, 5),
                                           "division_code", db_cell(&r, i, 6)));
    return a;
}

static const char *const propose_keys[] = {
    "lon",   "lat", "households", "people", "division_code", "speed_kmh", "target_minutes",
    "items", NULL};

int supplies_propose(StoreConn *c, Arena *arena, const Actor *actor, json_t *body, json_t **out,
                     Error *err)
{
    double lon = 0, lat = 0, speed, target;
    int bad = 0;
    if (supplies_only_keys(body, propose_keys, err) < 0)
        return -1;
    if (!supplies_json_num(body, "lon", &lon) || lon < -180 || lon > 180) {
        error_field(err, "lon", "经度应为 -180 到 180 之间的数");
        bad++;
    }
    if (!supplies_json_num(body, "lat", &lat) || lat < -90 || lat > 90) {
        error_field(err, "lat", "纬度应为 -90 到 90 之间的数");
        bad++;
    }
    bad += read_param(body, "speed_kmh", SUPPLIES_DEFAULT_SPEED_KMH, 0, 1000, &speed,
                      "速度应为大于 0、不超过 1000 的数（千米/小时）", err);
    bad += read_param(body, "target_minutes", SUPPLIES_DEFAULT_TARGET_MINUTES, 0, 10080, &target,
                      "时限应为大于 0、不超过 10080 的数（分钟）", err);
    if (bad)
        return bad_request(err);
    Demand d = {0};
    json_t *explicit_items = json_object_get(body, "items");
    if (explicit_items) {
        if (read_items(c, arena, explicit_items, &d, err) < 0)
            return -1;
    } else if (read_counts(c, arena, body, &d, err) < 0 || load_standards(c, arena, &d, err) < 0) {
        return -1;
    }

    char today[32];
    today_iso(today, sizeof today);
    const char *like = supplies_prefix_like(arena, actor);
    json_t *items = json_array(), *lines = json_array(), *short_ids = json_array(),
           *late_ids = json_array();
    double worst = 0;
    for (int k = 0; k < d.n; k++) {
        const Need *n = &d.needs[k];
        DbRows r;
        DbValue p[] = {db_int(n->item_id), db_text(like), db_text(today)};
        if (store_query(c, arena,
                        "SELECT s.warehouse_id, w.name, w.level, w.kind, w.division_code, w.lon,"
                        " w.lat, s.batch_no, s.quantity, s.expiry_date FROM supply_stock s"
                        " JOIN warehouses w ON w.id = s.warehouse_id WHERE s.item_id = $1"
                        " AND s.quantity > 0 AND w.status = 'active' AND s.division_code LIKE $2"
                        " AND (s.expiry_date IS NULL OR s.expiry_date >= $3)",
                        p, 3, &r, err) < 0)
            goto fail;
        Source *src = arena_alloc(arena, sizeof(Source) * (size_t)(r.nrows + 1));
        for (int i = 0; i < r.nrows; i++) {
            Source *s = &src[i];
            s->warehouse_id = strtoll(db_cell(&r, i, 0), NULL, 10);
            s->name = db_cell(&r, i, 1);
            s->level = db_cell(&r, i, 2);
            s->kind = db_cell(&r, i, 3);
            s->division = db_cell(&r, i, 4);
            s->batch = db_cell(&r, i, 7) ? db_cell(&r, i, 7) : "";
            s->quantity = strtoll(db_cell(&r, i, 8), NULL, 10);
            s->expiry = db_cell(&r, i, 9);
            s->distance_km =
                supplies_distance_km(lon, lat, atof(db_cell(&r, i, 5)), atof(db_cell(&r, i, 6)));
            s->eta_min = s->distance_km / speed * 60;
        }
        qsort(src, (size_t)r.nrows, sizeof *src, source_cmp);
        json_t *allocs = json_array();
        int64_t left = n->quantity;
        int on_time = 1;
        double latest = 0;
        for (int i = 0; i < r.nrows && left > 0; i++) {
            const Source *s = &src[i];
            int64_t take = s->quantity < left ? s->quantity : left;
            left -= take;
            int meets = s->eta_min <= target;
            on_time &= meets;
            latest = s->eta_min > latest ? s->eta_min : latest;
            json_array_append_new(
                allocs,
                json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:f, s:f, s:b}",
                          "warehouse_id", (json_int_t)s->warehouse_id, "warehouse_name", s->name,
                          "level", s->level, "kind", s->kind, "division_code", s->division,
                          "batch_no", s->batch, "expiry_date", s->expiry, "quantity",
                          (json_int_t)take, "distance_km", round_to(s->distance_km, 0.01),
                          "eta_minutes", round_to(s->eta_min, 0.1), "meets_target", meets));
            json_array_append_new(lines, json_pack("{s:I, s:I, s:s, s:I}", "warehouse_id",
                                                   (json_int_t)s->warehouse_id, "item_id",
                                                   (json_int_t)n->item_id, "batch_no", s->batch,
                                                   "quantity", (json_int_t)take));
        }
        worst = latest > worst ? latest : worst;
        json_t *it = need_json(n);
        json_object_del(it, "quantity");
        json_object_set_new(it, "required", json_integer(n->quantity));
        json_object_set_new(it, "allocated", json_integer(n->quantity - left));
        json_object_set_new(it, "shortfall", json_integer(left));
        json_object_set_new(it, "late", json_boolean(!on_time));
        json_object_set_new(it, "meets_target", json_boolean(on_time && left == 0));
        json_object_set_new(it, "latest_eta_minutes", json_real(round_to(latest, 0.1)));
        json_object_set_new(it, "allocations", allocs);
        if (left > 0) {
            json_t *sup = suppliers_for(c, arena, actor, n->item_id, err);
            if (!sup) {
                json_decref(it);
                goto fail;
            }
            json_object_set_new(it, "suppliers", sup);
            json_array_append_new(short_ids, json_integer(n->item_id));
        }
        if (!on_time)
            json_array_append_new(late_ids, json_integer(n->item_id));
        json_array_append_new(items, it);
    }
    *out = json_pack("{s:f, s:f, s:f, s:f, s:I, s:I, s:b, s:b, s:f, s:o, s:o, s:o, s:o}", "lon",
                     lon, "lat", lat, "speed_kmh", speed, "target_minutes", target, "households",
                     (json_int_t)d.households, "people", (json_int_t)d.people, "all_covered",
                     json_array_size(short_ids) == 0, "all_on_time", json_array_size(late_ids) == 0,
                     "latest_eta_minutes", round_to(worst, 0.1), "shortfall_items", short_ids,
                     "late_items", late_ids, "items", items, "lines", lines);
    return 0;
fail:
    json_decref(items);
    json_decref(lines);
    json_decref(short_ids);
    json_decref(late_ids);
    return -1;
}

/* ---- confirmation ------------------------------------------------------------------------ */

typedef struct Piece {
    int64_t warehouse_id, item_id, quantity;
    const char *batch;
    const char *division; /* of the source warehouse */
    int line;
} Piece;

static const char *const confirm_keys[] = {"incident_ref", "to_warehouse_id", "destination",
                                           "reason",       "lines",           NULL};
static const char *const line_keys[] = {"warehouse_id", "item_id", "batch_no", "quantity", NULL};

/* The division of a warehouse inside the actor's jurisdiction, or NULL with err. */
static const char *warehouse_division(Tx *tx, int64_t id, const char *field, Error *err)
{
    DbRows r;
    DbValue p = db_int(id);
    if (store_query(tx->conn, tx->arena, "SELECT division_code, name FROM warehouses WHERE id = $1",
                    &p, 1, &r, err) < 0)
        return NULL;
    if (!r.nrows || !actor_covers(tx->actor, db_cell(&r, 0, 0))) {
        error_field(err, field, "引用的记录不存在");
        bad_request(err);
        return NULL;
    }
    return db_cell(&r, 0, 0);
}

/* Splits a line without a batch over the batches of (warehouse, item), earliest expiry
 * first (expired batches are not sent out). Returns the number of pieces added, or -1. */
static int split_fefo(Tx *tx, Piece *pieces, int np, const Piece *line, Error *err)
{
    char today[32];
    today_iso(today, sizeof today);
    DbRows r;
    DbValue p[] = {db_int(line->warehouse_id), db_int(line->item_id), db_text(today)};
    if (store_query(tx->conn, tx->arena,
                    "SELECT batch_no, quantity FROM supply_stock WHERE warehouse_id = $1 AND"
                    " item_id = $2 AND quantity > 0 AND (expiry_date IS NULL OR expiry_date >= $3)"
                    " ORDER BY CASE WHEN expiry_date IS NULL THEN 1 ELSE 0 END, expiry_date,"
                    " batch_no",
                    p, 3, &r, err) < 0)
        return -1;
    int64_t left = line->quantity, avail = 0;
    int added = 0;
    for (int i = 0; i < r.nrows && left > 0; i++) {
        int64_t q = strtoll(db_cell(&r, i, 1), NULL, 10), take = q < left ? q : left;
        avail += q;
        Piece *pc = &pieces[np + added++];
        *pc = *line;
        pc->batch = db_cell(&r, i, 0);
        pc->quantity = take;
        left -= take;
    }
    if (left > 0)
        return error_setf(err, 409, "insufficient_stock",
                          "库存不足：第 %d 行要求 %lld，该库该物资可用库存仅 %lld",
                          "insufficient stock: line %d asks for %lld, only %lld available",
                          line->line + 1, (long long)line->quantity, (long long)avail);
    return added;
}

int supplies_confirm(Tx *tx, json_t *body, json_t **out, Error *err)
{
    Arena *arena = tx->arena;
    int bad = 0;
    if (supplies_only_keys(body, confirm_keys, err) < 0)
        return -1;
    const char *incident = json_string_value(json_object_get(body, "incident_ref"));
    const char *dest = json_string_value(json_object_get(body, "destination"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    int64_t to = 0;
    int has_to = supplies_json_int(body, "to_warehouse_id", &to);
    json_t *lines = json_object_get(body, "lines");
    if (!incident || !*incident || strlen(incident) > 300) {
        error_field(err, "incident_ref", "请填写关联事件");
        bad++;
    }
    if (has_to == (dest && *dest)) {
        error_field(err, "to_warehouse_id",
                    "请填写调入库（to_warehouse_id）或送达地点（destination）之一");
        bad++;
    }
    if ((json_object_get(body, "to_warehouse_id") && !has_to) ||
        (json_object_get(body, "destination") &&
         !json_is_string(json_object_get(body, "destination"))) ||
        (dest && strlen(dest) > 150) ||
        (json_object_get(body, "reason") && (!reason || strlen(reason) > 150))) {
        error_field(err, "destination", "字段类型或长度不正确");
        bad++;
    }
    size_t nl = json_array_size(lines);
    if (!json_is_array(lines) || nl == 0 || nl > MAX_LINES) {
        error_field(err, "lines", "调拨明细应为 1–500 行的数组");
        bad++;
    }
    if (bad)
        return bad_request(err);

    const char *to_division = NULL;
    if (has_to && !(to_division = warehouse_division(tx, to, "to_warehouse_id", err)))
        return -1;
    Piece *pieces = NULL;
    int np = 0, cap = 0;
    for (size_t i = 0; i < nl; i++) {
        json_t *o = json_array_get(lines, i);
        Piece line = {0};
        line.line = (int)i;
        json_t *bv = json_is_object(o) ? json_object_get(o, "batch_no") : NULL;
        if (!json_is_object(o) || supplies_only_keys(o, line_keys, err) < 0 ||
            !supplies_json_int(o, "warehouse_id", &line.warehouse_id) ||
            !supplies_json_int(o, "item_id", &line.item_id) ||
            !supplies_json_int(o, "quantity", &line.quantity) || line.quantity <= 0 ||
            (bv && !json_is_null(bv) && !json_is_string(bv))) {
            error_clear(err);
            error_field(err, arena_printf(arena, "lines[%zu]", i),
                        "每行须为 {warehouse_id, item_id, batch_no?, quantity}，数量为正整数");
            return bad_request(err);
        }
        line.batch = json_is_string(bv) ? json_string_value(bv) : NULL;
        if (!(line.division = warehouse_division(
                  tx, line.warehouse_id, arena_printf(arena, "lines[%zu].warehouse_id", i), err)))
            return -1;
        int64_t one;
        DbValue pi = db_int(line.item_id);
        int rc = store_query_int(tx->conn, "SELECT 1 FROM supply_items WHERE id = $1", &pi, 1, &one,
                                 err);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            error_field(err, arena_printf(arena, "lines[%zu].item_id", i), "引用的记录不存在");
            return bad_request(err);
        }
        /* room for every batch the line may split into */
        DbRows cnt;
        DbValue pc[] = {db_int(line.warehouse_id), db_int(line.item_id)};
        if (store_query(
                tx->conn, arena,
                "SELECT COUNT(*) FROM supply_stock WHERE warehouse_id = $1 AND item_id = $2", pc, 2,
                &cnt, err) < 0)
            return -1;
        int need = np + 1 + atoi(db_cell(&cnt, 0, 0));
        if (need > cap) {
            Piece *grown = arena_alloc(arena, sizeof(Piece) * (size_t)(need * 2));
            if (np)
                memcpy(grown, pieces, sizeof(Piece) * (size_t)np);
            pieces = grown;
            cap = need * 2;
        }
        if (line.batch) {
            pieces[np++] = line;
        } else {
            int added = split_fefo(tx, pieces, np, &line, err);
            if (added < 0)
                return -1;
            np += added;
        }
    }

    /* every balance row this transaction changes, touched in canonical order */
    StockKey *keys = arena_alloc(arena, sizeof(StockKey) * (size_t)(2 * np + 1));
    int nk = 0, failed = 0;
    for (int i = 0; i < np; i++) {
        const char *expiry =
            supplies_batch_expiry(tx, pieces[i].item_id, pieces[i].batch, err, &failed);
        if (failed)
            return -1;
        keys[nk++] = (StockKey){pieces[i].warehouse_id, pieces[i].item_id, pieces[i].batch, expiry,
                                pieces[i].division};
        if (has_to)
            keys[nk++] = (StockKey){to, pieces[i].item_id, pieces[i].batch, expiry, to_division};
    }
    if (supplies_touch_keys(tx, keys, nk, err) < 0)
        return -1;

    json_t *booked = json_array();
    const char *why =
        has_to ? (reason ? reason : "应急调拨")
               : arena_printf(arena, "调往%s%s%s", dest, reason ? "：" : "", reason ? reason : "");
    for (int i = 0; i < np; i++) {
        json_t *m = json_pack(
            "{s:s, s:I, s:I, s:I, s:s, s:s}", "kind", has_to ? "transfer" : "issue", "item_id",
            (json_int_t)pieces[i].item_id, "warehouse_id", (json_int_t)pieces[i].warehouse_id,
            "quantity", (json_int_t)pieces[i].quantity, "reason", why, "incident_ref", incident);
        if (has_to)
            json_object_set_new(m, "to_warehouse_id", json_integer(to));
        json_object_set_new(m, "batch_no", json_string(pieces[i].batch)); /* "" = no batch */
        json_t *row = NULL;
        int rc = supplies_book(tx, m, &row, err);
        json_decref(m);
        if (rc < 0) {
            json_decref(booked);
            return -1;
        }
        json_array_append_new(booked, row);
    }
    *out = json_pack("{s:s, s:i, s:o}", "incident_ref", incident, "count", np, "movements", booked);
    return 0;
}
