/* modules/supplies/demo — the demo county's reserves (Module.demo of `yingji demo`).
 *
 * Built for 云岭县 (620390) from a fixed-seed generator, so every run is the same apart from
 * dates, which follow the clock (expiry dates are "today + n days"):
 *   - the catalogue of 001 专栏4 (five categories; 饮用水 and 方便食品 added to the living
 *     category because the demand standards need them), 56 items;
 *   - warehouses at four levels: the city's 金昌市应急物资储备库 (6203), the county's
 *     分拨中心, one 储备点 per town (12) and 20 village 储备室, placed near their division's
 *     centre, plus 3 agreement stores (协议储备) held by companies;
 *   - stock booked as real 入库 entries through the ledger, in batches; food, water and
 *     other perishables carry expiry dates, some within 30 days; then a few 调拨, an 出库,
 *     a 轮换 and a 报废;
 *   - supplier capacity (产能储备) and the demand standards (see the table below). */
#include "modules/supplies/supplies_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SEED 0x5375707031ULL
#define COUNTY "620390"
#define NVILLAGE_STORES 20

typedef struct Rng {
    uint64_t state;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(Rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int rng_range(Rng *r, int lo, int hi)
{
    return lo + (int)(rng_unit(r) * (hi - lo + 1));
}

/* ---- catalogue (001 专栏4) --------------------------------------------------------------- */

/* tier: where it is stocked — 3 village and up, 2 town and up, 1 county and city only */
typedef struct DemoItem {
    const char *code, *name, *category, *unit, *spec;
    int shelf_life_days; /* 0 = none */
    int base;            /* county-level stock */
    int tier;
} DemoItem;

static const DemoItem items[] = {
    {"SH-001", "棉衣", "living", "件", "冬季加厚，均码", 0, 800, 2},
    {"SH-002", "棉被", "living", "床", "2.0×2.3 m，3 kg", 0, 1500, 3},
    {"SH-003", "毛毯", "living", "条", "1.5×2.0 m", 0, 1200, 2},
    {"SH-004", "家庭应急包", "living", "个", "3 人 3 天基本生活与急救用品", 1825, 500, 3},
    {"SH-005", "睡袋", "living", "个", "-10 ℃ 级", 0, 600, 2},
    {"SH-006", "折叠桌椅", "living", "套", "1 桌 4 椅", 0, 150, 1},
    {"SH-007", "帐篷厕所", "living", "顶", "单蹲位", 0, 60, 2},
    {"SH-008", "手电筒", "living", "个", "LED 充电式", 0, 800, 3},
    {"SH-009", "火炉", "living", "个", "帐篷取暖炉", 0, 200, 2},
    {"SH-010", "场地照明灯", "living", "台", "升降式 LED", 0, 30, 1},
    {"SH-011", "苫布", "living", "块", "6×8 m 防雨", 0, 800, 3},
    {"SH-012", "防潮垫", "living", "张", "1.8×0.6 m", 0, 1200, 2},
    {"SH-013", "救灾帐篷", "living", "顶", "12 m² 单帐篷", 0, 400, 3},
    {"SH-014", "折叠床", "living", "张", "钢制", 0, 800, 2},
    {"SH-015", "发电机", "living", "台", "汽油 5 kW", 0, 20, 1},
    {"SH-016", "饮用水", "living", "桶", "5 升", 540, 3000, 3},
    {"SH-017", "方便食品", "living", "份", "自热米饭 / 压缩饼干，1 餐", 365, 9000, 3},
    {"XF-001", "空气呼吸器", "fire", "具", "正压式 6.8 L", 0, 40, 1},
    {"XF-002", "水带", "fire", "盘", "DN65 20 m", 0, 200, 2},
    {"XF-003", "灭火防护服", "fire", "套", "", 0, 80, 1},
    {"XF-004", "防化服", "fire", "套", "重型", 0, 20, 1},
    {"XF-005", "隔热服", "fire", "套", "", 0, 20, 1},
    {"XF-006", "防冻服", "fire", "套", "", 0, 30, 1},
    {"XF-007", "防毒面具", "fire", "个", "过滤式", 1095, 300, 2},
    {"XF-008", "泡沫灭火剂", "fire", "桶", "3% 水成膜，200 L", 2920, 40, 1},
    {"XF-009", "高倍数泡沫发生器", "fire", "台", "", 0, 4, 1},
    {"XF-010", "泡沫管枪", "fire", "支", "PQ8", 0, 20, 1},
    {"SL-001", "风力灭火机", "forest", "台", "背负式", 0, 60, 2},
    {"SL-002", "火场切割锯", "forest", "台", "", 0, 30, 1},
    {"SL-003", "接力水泵", "forest", "台", "", 0, 20, 1},
    {"SL-004", "移动水池", "forest", "个", "5 m³", 0, 20, 1},
    {"SL-005", "电动水枪", "forest", "支", "", 0, 40, 1},
    {"SL-006", "智能头盔", "forest", "顶", "带定位与图传", 0, 40, 1},
    {"SL-007", "过滤式呼吸面罩", "forest", "个", "", 1095, 200, 2},
    {"SL-008", "阻燃防护服", "forest", "套", "", 0, 150, 1},
    {"SL-009", "小型无人侦察机", "forest", "架", "多旋翼，续航 40 分钟", 0, 4, 1},
    {"SL-010", "单兵通信终端", "forest", "台", "", 0, 20, 1},
    {"SL-011", "履带式森林消防车", "forest", "辆", "", 0, 1, 1},
    {"FX-001", "编织袋", "flood", "条", "50×80 cm", 0, 30000, 3},
    {"FX-002", "土工布", "flood", "平方米", "200 g/m²", 0, 5000, 2},
    {"FX-003", "钢丝网兜", "flood", "个", "", 0, 300, 2},
    {"FX-004", "防管涌单元", "flood", "套", "", 0, 20, 1},
    {"FX-005", "防洪子堤", "flood", "米", "组合式", 0, 500, 1},
    {"FX-006", "救生衣", "flood", "件", "成人", 1825, 600, 3},
    {"FX-007", "橡皮艇", "flood", "艘", "6 人", 0, 10, 1},
    {"FX-008", "冲锋舟", "flood", "艘", "40 马力", 0, 4, 1},
    {"FX-009", "巡堤查险灯具", "flood", "个", "", 0, 200, 2},
    {"FX-010", "大型移动灯塔", "flood", "台", "", 0, 4, 1},
    {"FX-011", "汽柴油发电机", "flood", "台", "柴油 30 kW", 0, 6, 1},
    {"FX-012", "移动排涝泵站", "flood", "台", "1000 m³/h", 0, 3, 1},
    {"FX-013", "水下探测设备", "flood", "台", "声呐", 0, 2, 1},
    {"KS-001", "潜水泵", "mine", "台", "矿用 50 m³/h", 0, 12, 1},
    {"KS-002", "排水管路", "mine", "米", "DN100", 0, 1000, 1},
    {"KS-003", "应急电源", "mine", "台", "移动式 50 kW", 0, 4, 1},
    {"KS-004", "矿山救援帐篷", "mine", "顶", "充气式", 0, 10, 1},
    {"KS-005", "压缩氧自救器", "mine", "台", "隔绝式 45 分钟", 1825, 120, 1},
};

/* ---- demand standards ---------------------------------------------------------------------
 * Common 救灾 practice for the first 72 hours of a cold-region emergency: one 12 m² tent
 * per household of 3–4 people, a quilt and a blanket per person (two covers on cold
 * nights, as Sphere recommends for cold climates), a sleeping mat and warm coat each,
 * ~3 L of drinking water per person per day (two 5 L tubs for three days), three meals a
 * day for three days, a toilet tent per 20 people (Sphere), lighting per 50 households and a
 * generator per 100. All editable (supply_standards). */
typedef struct DemoStandard {
    const char *code, *basis;
    double quantity;
    const char *note;
} DemoStandard;

static const DemoStandard standards[] = {
    {"SH-013", "household", 1, "每户 1 顶 12 m² 救灾帐篷（3–4 人）"},
    {"SH-002", "person", 1, "每人 1 床棉被"},
    {"SH-003", "person", 1, "每人 1 条毛毯（寒冷地区被、毯各 1）"},
    {"SH-001", "person", 1, "每人 1 件棉衣（冬季）"},
    {"SH-012", "person", 1, "每人 1 张防潮垫"},
    {"SH-014", "household", 2, "每户 2 张折叠床"},
    {"SH-004", "household", 1, "每户 1 个家庭应急包"},
    {"SH-008", "household", 1, "每户 1 个手电筒"},
    {"SH-011", "household", 1, "每户 1 块苫布"},
    {"SH-016", "person", 2, "每人每天约 3 升饮用水，3 天 2 桶（5 升）"},
    {"SH-017", "person", 9, "每人每天 3 餐，3 天 9 份"},
    {"SH-007", "person", 0.05, "每 20 人 1 顶帐篷厕所"},
    {"SH-010", "household", 0.02, "每 50 户 1 台场地照明灯"},
    {"SH-015", "household", 0.01, "每 100 户 1 台发电机"},
};

/* ---- supplier capacity (产能储备) --------------------------------------------------------- */

typedef struct DemoCapacity {
    const char *company, *code, *division, *contact, *phone;
    int per_day;
    double lead_hours;
    int designated;
} DemoCapacity;

static const DemoCapacity capacities[] = {
    {"云岭县鑫源商贸有限公司", "SH-017", "620390001", "王福来", "0935-6220101", 5000, 6, 1},
    {"云岭县鑫源商贸有限公司", "SH-016", "620390001", "王福来", "0935-6220101", 3000, 4, 1},
    {"甘肃陇原被服有限公司", "SH-002", "620390002", "刘秀英", "0935-6220202", 800, 24, 1},
    {"甘肃陇原被服有限公司", "SH-001", "620390002", "刘秀英", "0935-6220202", 600, 24, 1},
    {"甘肃陇原被服有限公司", "SH-003", "620390002", "刘秀英", "0935-6220202", 1000, 24, 0},
    {"金昌华泰建材有限公司", "FX-001", "620390104", "赵宏", "0935-6220303", 20000, 12, 1},
    {"金昌华泰建材有限公司", "FX-002", "620390104", "赵宏", "0935-6220303", 5000, 24, 0},
    {"云岭县青石矿业有限公司", "KS-002", "620390100", "蒋宏伟", "0935-6210280", 500, 8, 0},
    {"云岭县永丰帐篷制造厂", "SH-013", "620390106", "孙立军", "0935-6220404", 200, 48, 1},
    {"云岭县永丰帐篷制造厂", "SH-007", "620390106", "孙立军", "0935-6220404", 50, 48, 0},
    {"云岭县宏达机电设备有限公司", "SH-015", "620390105", "周建设", "0935-6220505", 20, 24, 0},
    {"云岭县宏达机电设备有限公司", "KS-001", "620390105", "周建设", "0935-6220505", 30, 24, 0},
};

/* ---- helpers ----------------------------------------------------------------------------- */

typedef struct Ctx {
    Tx *tx;
    Rng rng;
    int64_t item_ids[COUNT(items)];
    int movements;
} Ctx;

static int item_index(const char *code)
{
    for (int i = 0; i < COUNT(items); i++)
        if (strcmp(items[i].code, code) == 0)
            return i;
    return -1;
}

static int64_t id_of(json_t *row)
{
    return json_integer_value(json_object_get(row, "id"));
}

static int create(Ctx *cx, const Entity *e, json_t *in, int64_t *id, Error *err)
{
    json_t *out = NULL;
    int rc = entity_create(cx->tx, e, in, &out, err);
    if (rc < 0)
        log_error("demo supplies: %s: %s", e->table, err->message_en);
    else if (id)
        *id = id_of(out);
    json_decref(out);
    json_decref(in);
    return rc;
}

static int book(Ctx *cx, json_t *m, Error *err)
{
    json_t *out = NULL;
    int rc = supplies_book(cx->tx, m, &out, err);
    if (rc < 0)
        log_error("demo supplies: movement: %s", err->message_en);
    json_decref(out);
    json_decref(m);
    cx->movements += rc == 0;
    return rc;
}

static void date_in(int days, char *out)
{
    char iso[32];
    clock_format_iso(clock_now() + (int64_t)days * 86400, iso, sizeof iso);
    memcpy(out, iso, 10);
    out[10] = '\0';
}

/* A division's name and centre (the county's plan gives every division a centre). */
static int division_at(Tx *tx, const char *code, const char **name, double *lon, double *lat,
                       Error *err)
{
    DbRows r;
    DbValue p = db_text(code);
    if (store_query(tx->conn, tx->arena,
                    "SELECT name, center_lon, center_lat FROM divisions WHERE code = $1", &p, 1, &r,
                    err) < 0)
        return -1;
    if (!r.nrows || !db_cell(&r, 0, 1) || !db_cell(&r, 0, 2))
        return 1;
    *name = db_cell(&r, 0, 0);
    *lon = atof(db_cell(&r, 0, 1));
    *lat = atof(db_cell(&r, 0, 2));
    return 0;
}

typedef struct Store_ {
    const char *name, *level, *kind, *holder, *division;
    double lon, lat;
    int64_t id;
    int tier;                /* items of this tier and above: 1 city/county, 2 town, 3 village */
    double scale;            /* share of an item's county-level base */
    const char *only_prefix; /* agreement stores: only items whose code starts so */
    const char *tag;
} WStore;

static const char *const managers[] = {"张建军", "李秀兰", "王志强", "刘海燕", "陈国华",
                                       "杨丽娟", "赵永平", "黄建国", "周玉梅", "吴振海"};

static int add_warehouse(Ctx *cx, WStore *w, Error *err)
{
    double area = w->tier == 1   ? rng_range(&cx->rng, 1500, 4000)
                  : w->tier == 2 ? rng_range(&cx->rng, 200, 600)
                                 : rng_range(&cx->rng, 30, 120);
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:s}", "name", w->name,
                           "level", w->level, "kind", w->kind, "manager",
                           managers[rng_range(&cx->rng, 0, COUNT(managers) - 1)], "phone",
                           "0935-62"
                           "30000",
                           "division_code", w->division, "lon", round(w->lon * 1e6) / 1e6, "lat",
                           round(w->lat * 1e6) / 1e6, "area_m2", area, "address", w->name);
    char phone[32];
    snprintf(phone, sizeof phone, "0935-623%04d", rng_range(&cx->rng, 0, 9999));
    json_object_set_new(in, "phone", json_string(phone));
    if (w->holder)
        json_object_set_new(in, "holder", json_string(w->holder));
    return create(cx, &warehouses_entity, in, &w->id, err);
}

/* Receives the warehouse's stock: each item of its tier in one or two batches. */
static int stock_warehouse(Ctx *cx, const WStore *w, int soon, Error *err)
{
    for (int i = 0; i < COUNT(items); i++) {
        const DemoItem *it = &items[i];
        if (w->only_prefix ? strncmp(it->code, w->only_prefix, strlen(w->only_prefix)) != 0
                           : it->tier < w->tier)
            continue;
        int qty = (int)ceil(it->base * w->scale * (0.7 + 0.6 * rng_unit(&cx->rng)));
        if (qty < 1)
            qty = 1;
        int batches = it->shelf_life_days && qty >= 4 ? 2 : 1;
        for (int b = 0; b < batches; b++) {
            int q = batches == 2 ? (b == 0 ? qty / 3 : qty - qty / 3) : qty;
            char batch[64], expiry[16];
            snprintf(batch, sizeof batch, "%s-%s-%d", it->code, w->tag, b + 1);
            json_t *m = json_pack("{s:s, s:I, s:I, s:s, s:i, s:s, s:f}", "kind", "receive",
                                  "item_id", (json_int_t)cx->item_ids[i], "warehouse_id",
                                  (json_int_t)w->id, "batch_no", batch, "quantity", q, "reason",
                                  w->holder ? "协议储备企业代储入库" : "年度储备采购入库",
                                  "unit_cost", (double)rng_range(&cx->rng, 5, 500));
            if (it->shelf_life_days) {
                /* the older batch of perishables: some within 30 days of expiry */
                int days = b == 0
                               ? (soon ? rng_range(&cx->rng, 3, 28)
                                       : rng_range(&cx->rng, 45, it->shelf_life_days / 2))
                               : rng_range(&cx->rng, it->shelf_life_days / 2, it->shelf_life_days);
                date_in(days, expiry);
                json_object_set_new(m, "expiry_date", json_string(expiry));
            }
            if (book(cx, m, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int move(Ctx *cx, const char *kind, const char *code, const WStore *from, const WStore *to,
                int qty, const char *reason, Error *err)
{
    int i = item_index(code);
    json_t *m =
        json_pack("{s:s, s:I, s:I, s:i, s:s}", "kind", kind, "item_id", (json_int_t)cx->item_ids[i],
                  "warehouse_id", (json_int_t)from->id, "quantity", qty, "reason", reason);
    if (to)
        json_object_set_new(m, "to_warehouse_id", json_integer(to->id));
    return book(cx, m, err);
}

/* ---- the hook ---------------------------------------------------------------------------- */

int supplies_demo(Tx *tx, Error *err)
{
    Ctx cx = {tx, {SEED}, {0}, 0};
    Arena *arena = tx->arena;

    for (int i = 0; i < COUNT(items); i++) {
        const DemoItem *it = &items[i];
        json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", it->code, "name", it->name,
                               "category", it->category, "unit", it->unit, "spec", it->spec);
        if (it->shelf_life_days)
            json_object_set_new(in, "shelf_life_days", json_integer(it->shelf_life_days));
        if (create(&cx, &supply_items_entity, in, &cx.item_ids[i], err) < 0)
            return -1;
    }
    for (int i = 0; i < COUNT(standards); i++) {
        json_t *in = json_pack("{s:I, s:s, s:f, s:s}", "item_id",
                               (json_int_t)cx.item_ids[item_index(standards[i].code)], "basis",
                               standards[i].basis, "quantity", standards[i].quantity, "note",
                               standards[i].note);
        if (create(&cx, &supply_standards_entity, in, NULL, err) < 0)
            return -1;
    }
    for (int i = 0; i < COUNT(capacities); i++) {
        const DemoCapacity *c = &capacities[i];
        json_t *in =
            json_pack("{s:s, s:I, s:i, s:f, s:s, s:s, s:s, s:b}", "company", c->company, "item_id",
                      (json_int_t)cx.item_ids[item_index(c->code)], "capacity_per_day", c->per_day,
                      "lead_time_hours", c->lead_hours, "contact", c->contact, "phone", c->phone,
                      "division_code", c->division, "designated", c->designated);
        if (create(&cx, &supplier_capacity_entity, in, NULL, err) < 0)
            return -1;
    }

    /* warehouses: city, county, towns, villages, agreement holders */
    WStore *ws = arena_alloc(arena, sizeof(WStore) * 64);
    int nw = 0;
    const char *name;
    double lon, lat;
    int rc = division_at(tx, "6203", &name, &lon, &lat, err);
    if (rc < 0)
        return -1;
    if (rc == 1) { /* the national tree has no centres: the city's reserve lies north-west */
        lon = 102.06;
        lat = 38.57;
    }
    ws[nw++] = (WStore){"金昌市应急物资储备库（战略储备枢纽）",
                        "city",
                        "government",
                        NULL,
                        "6203",
                        lon,
                        lat,
                        0,
                        1,
                        2.5,
                        NULL,
                        "JC"};
    if (division_at(tx, COUNTY, &name, &lon, &lat, err) != 0)
        return err->status ? -1 : error_internal(err, "demo supplies: the county has no centre");
    WStore *county = &ws[nw];
    ws[nw++] = (WStore){"云岭县应急物资储备库（区域分拨中心）",
                        "county",
                        "government",
                        NULL,
                        COUNTY,
                        lon + 0.012,
                        lat - 0.008,
                        0,
                        1,
                        1.0,
                        NULL,
                        "YL"};
    DbRows towns, villages;
    DbValue pt = db_text(COUNTY "___");
    DbValue pv = db_text(COUNTY "______");
    if (store_query(tx->conn, arena,
                    "SELECT code, name, center_lon, center_lat FROM divisions WHERE code LIKE $1"
                    " AND center_lon IS NOT NULL ORDER BY code",
                    &pt, 1, &towns, err) < 0 ||
        store_query(tx->conn, arena,
                    "SELECT code, name, center_lon, center_lat FROM divisions WHERE code LIKE $1"
                    " AND center_lon IS NOT NULL ORDER BY code",
                    &pv, 1, &villages, err) < 0)
        return -1;
    int first_town = nw;
    for (int i = 0; i < towns.nrows && nw < 40; i++) {
        double jx = (rng_unit(&cx.rng) - 0.5) * 0.008, jy = (rng_unit(&cx.rng) - 0.5) * 0.008;
        ws[nw++] = (WStore){arena_printf(arena, "%s应急物资储备点", db_cell(&towns, i, 1)),
                            "town",
                            "government",
                            NULL,
                            db_cell(&towns, i, 0),
                            atof(db_cell(&towns, i, 2)) + jx,
                            atof(db_cell(&towns, i, 3)) + jy,
                            0,
                            2,
                            0.1,
                            NULL,
                            arena_printf(arena, "T%s", db_cell(&towns, i, 0) + 6)};
    }
    int ntown = nw - first_town;
    int nvill = villages.nrows < NVILLAGE_STORES ? villages.nrows : NVILLAGE_STORES;
    for (int k = 0; k < nvill; k++) {
        int i = k * villages.nrows / nvill;
        double jx = (rng_unit(&cx.rng) - 0.5) * 0.004, jy = (rng_unit(&cx.rng) - 0.5) * 0.004;
        ws[nw++] = (WStore){arena_printf(arena, "%s应急物资储备室", db_cell(&villages, i, 1)),
                            "village",
                            "government",
                            NULL,
                            db_cell(&villages, i, 0),
                            atof(db_cell(&villages, i, 2)) + jx,
                            atof(db_cell(&villages, i, 3)) + jy,
                            0,
                            3,
                            0.02,
                            NULL,
                            arena_printf(arena, "V%s", db_cell(&villages, i, 0) + 6)};
    }
    static const struct {
        const char *name, *holder, *division, *prefix, *tag;
        double scale;
    } agreements[] = {
        {"鑫源商贸协议储备库", "云岭县鑫源商贸有限公司", "620390001", "SH-01", "XY", 0.8},
        {"华泰建材防汛物资代储库", "金昌华泰建材有限公司", "620390104", "FX-00", "HT", 0.6},
        {"青石矿业应急物资代储点", "云岭县青石矿业有限公司", "620390100", "KS-", "QS", 1.0},
    };
    for (int i = 0; i < COUNT(agreements); i++) {
        if (division_at(tx, agreements[i].division, &name, &lon, &lat, err) != 0)
            return err->status ? -1 : error_internal(err, "demo supplies: a town has no centre");
        ws[nw++] = (WStore){agreements[i].name,
                            "county",
                            "agreement",
                            agreements[i].holder,
                            agreements[i].division,
                            lon + 0.01 * (i + 1),
                            lat + 0.006,
                            0,
                            1,
                            agreements[i].scale,
                            agreements[i].prefix,
                            agreements[i].tag};
    }
    for (int i = 0; i < nw; i++)
        if (add_warehouse(&cx, &ws[i], err) < 0)
            return -1;
    /* stock: the county and two of every three towns hold batches that expire soon */
    for (int i = 0; i < nw; i++)
        if (stock_warehouse(&cx, &ws[i], i == 1 || (i >= first_town && i % 3 != 0), err) < 0)
            return -1;

    /* a few movements of daily work */
    for (int t = 0; t < ntown && t < 4; t++) {
        const WStore *town = &ws[first_town + t];
        if (move(&cx, "transfer", "SH-002", county, town, 50, "向乡镇前置储备", err) < 0 ||
            move(&cx, "transfer", "SH-013", county, town, 10, "向乡镇前置储备", err) < 0)
            return -1;
    }
    if (move(&cx, "issue", "FX-001", county, NULL, 2000, "防汛演练消耗", err) < 0 ||
        move(&cx, "scrap", "SH-008", county, NULL, 12, "损坏报废（电池鼓包）", err) < 0)
        return -1;
    { /* rotation: the county's older water batch is replaced by fresh stock */
        char expiry[16];
        date_in(520, expiry);
        json_t *m =
            json_pack("{s:s, s:I, s:I, s:s, s:s, s:i, s:s, s:s}", "kind", "rotate", "item_id",
                      (json_int_t)cx.item_ids[item_index("SH-016")], "warehouse_id",
                      (json_int_t)county->id, "batch_no", "SH-016-YL-1", "new_batch_no",
                      "SH-016-YL-3", "quantity", 100, "expiry_date", expiry, "reason", "临期轮换");
        if (book(&cx, m, err) < 0)
            return -1;
    }
    log_info("demo supplies: %d items, %d standards, %d capacity rows, %d warehouses, %d ledger "
             "entries",
             COUNT(items), COUNT(standards), COUNT(capacities), nw, cx.movements);
    return 0;
}
