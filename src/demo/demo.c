/* demo — see demo.h.
 *
 * The county is a grid of GRID_COLS × GRID_ROWS cells over lon 102.0–102.6, lat 38.2–38.6.
 * Every grid vertex is computed once and jittered by a fixed-seed generator, so the cells
 * (村/社区), the blocks of cells (乡镇/街道) and the whole grid (县) share exactly the same
 * vertices: no gaps, no overlaps. Names and population figures come from the same
 * generator, so every run builds the same county.
 *
 * Building the plan (geometry, names, codes, figures) is pure computation; only the
 * load_* functions touch the store, all inside one Tx as the system actor. */
#include "demo/demo.h"

#include "app.h"

#include "core/actor.h"
#include "core/arena.h"
#include "core/log.h"
#include "flow/tx.h"
#include "model/entity.h"
#include "modules/accounts/accounts.h"
#include "modules/divisions/divisions.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define GRID_COLS 15
#define GRID_ROWS 11
#define NCELLS (GRID_COLS * GRID_ROWS)
#define NTOWNS 12
#define LON_WEST 102.0
#define LON_EAST 102.6
#define LAT_SOUTH 38.2
#define LAT_NORTH 38.6
#define LAT_MID ((LAT_SOUTH + LAT_NORTH) / 2)
#define JITTER 0.25 /* largest vertex shift, as a share of a cell, each way */
#define SEED 0x59696e676a69ULL
#define EARTH_RADIUS_KM 6371.0088
#define PI 3.14159265358979323846
#define RING_MAX (2 * (GRID_COLS + GRID_ROWS) + 1)
#define NAME_MAX 64
#define MAX_ORGS 32
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define CITY_CODE "6203"
#define CITY_NAME "金昌市"
#define DEMO_PASSWORD "Yingji@2026"

/* ---- the county's towns, organisations and accounts ------------------------------------- */

/* Blocks of cells, one per town: column and row boundaries in cells (north row first). */
static const int block_cols[] = {0, 4, 8, 12, GRID_COLS};
static const int block_rows[] = {0, 4, 8, GRID_ROWS};

typedef struct DemoTown {
    const char *code; /* 9 digits */
    const char *name;
    int block_row, block_col;
    int communities;    /* 社区居委会 among its cells; the rest are 村民委员会 */
    int county_seat;    /* 街道: communities cluster around the county's centre */
    const char *leader; /* of its 应急管理所 */
} DemoTown;

static const DemoTown towns[NTOWNS] = {
    {"620390001", "城关街道", 1, 1, 10, 1, "刘振华"},
    {"620390002", "东关街道", 1, 2, 8, 1, "陈晓梅"},
    {"620390100", "青石镇", 2, 0, 2, 0, "马国庆"},
    {"620390101", "河西镇", 1, 0, 1, 0, "杨永福"},
    {"620390102", "柳泉镇", 0, 1, 1, 0, "何明远"},
    {"620390103", "白杨镇", 0, 2, 1, 0, "高志强"},
    {"620390104", "石门镇", 1, 3, 1, 0, "郭建军"},
    {"620390105", "沙河镇", 2, 1, 1, 0, "周立新"},
    {"620390106", "永丰镇", 2, 2, 1, 0, "孙海燕"},
    {"620390200", "马营乡", 0, 0, 0, 0, "朱长青"},
    {"620390201", "杏林乡", 0, 3, 0, 0, "胡文斌"},
    {"620390202", "南滩乡", 2, 3, 0, 0, "吴秀兰"},
};

/* Names of 社区 (without the suffix) for the 街道 and the second seat community of a 镇; a
 * 镇's first community is named after the town. */
static const char *const community_names[] = {
    "新华", "东街", "西街", "南关", "北关", "和平", "建设", "胜利", "团结", "幸福",
    "人民", "文化", "育才", "康宁", "永安", "滨河", "长宁", "兴隆", "光明", "振兴",
    "友谊", "春华", "丰乐", "河畔", "东城", "西城", "南苑", "北苑",
};

/* 村 names are a prefix and a landform (王家 + 沟 -> 王家沟村), never repeated in the county. */
static const char *const village_prefixes[] = {
    "王家", "李家", "张家", "赵家", "刘家", "陈家", "杨家", "马家", "何家", "高家", "郭家",
    "周家", "孙家", "朱家", "胡家", "吴家", "蒋家", "范家", "韩家", "魏家", "董家", "薛家",
    "任家", "段家", "红柳", "黄羊", "白杨", "青杨", "柳树", "杏树", "榆树", "沙枣", "黑山",
    "红山", "大河", "小河", "水磨", "芦草", "野狐", "石灰", "古城", "上坝", "下坝",
};
static const char *const village_landforms[] = {
    "沟", "湾", "坪", "庄", "堡", "台", "滩", "岔", "寨", "泉", "梁", "坡", "井", "川", "营", "墩",
};

typedef struct DemoOrg {
    const char *name;
    const char *kind;
    const char *parent; /* name of an org listed before it, or NULL */
    const char *leader;
    const char *phone;
    const char *address;
} DemoOrg;

#define BUREAU_NAME "云岭县应急管理局"

/* The county's organisations; the towns' 应急管理所 are added from towns[]. */
static const DemoOrg county_orgs[] = {
    {"云岭县人民政府", "government", NULL, "赵文华", "0935-6210001", "云岭县城关街道人民路1号"},
    {BUREAU_NAME, "emergency_bureau", "云岭县人民政府", "李建国", "0935-6210110",
     "云岭县城关街道新华路12号"},
    {"云岭县消防救援大队", "rescue_team", NULL, "王海军", "0935-6210119",
     "云岭县东关街道长宁路88号"},
    {"云岭县公安局", "government", "云岭县人民政府", "张志刚", "0935-6210210",
     "云岭县城关街道人民路20号"},
    {"云岭县气象局", "government", "云岭县人民政府", "韩雪松", "0935-6210121",
     "云岭县东关街道气象路3号"},
    {"云岭县水务局", "government", "云岭县人民政府", "魏长河", "0935-6210230",
     "云岭县城关街道滨河路6号"},
    {"云岭县自然资源局", "government", "云岭县人民政府", "董建平", "0935-6210240",
     "云岭县城关街道建设路15号"},
    {"云岭县卫生健康局", "government", "云岭县人民政府", "薛丽娟", "0935-6210120",
     "云岭县东关街道康宁路9号"},
    {"云岭县交通运输局", "government", "云岭县人民政府", "任国栋", "0935-6210250",
     "云岭县东关街道兴隆路21号"},
    {"云岭县住房和城乡建设局", "government", "云岭县人民政府", "段春生", "0935-6210260",
     "云岭县城关街道建设路30号"},
    {"云岭县矿山应急救援队", "rescue_team", BUREAU_NAME, "范铁柱", "0935-6210270",
     "云岭县青石镇矿区路1号"},
    {"云岭县青石矿业有限公司", "enterprise", NULL, "蒋宏伟", "0935-6210280",
     "云岭县青石镇工业园区8号"},
};

typedef struct DemoAccount {
    const char *username;
    const char *password;
    const char *role; /* users.role value */
    const char *display_name;
    const char *division_code;
    const char *org; /* org name, or NULL */
    const char *phone;
    const char *title;
    const char *duties; /* what the account is for, shown by demo_print_accounts */
} DemoAccount;

static const DemoAccount accounts[] = {
    {"admin", "Admin@12345", "admin", "李明 (系统管理员)", DEMO_COUNTY_CODE, BUREAU_NAME,
     "13909350001", "信息化科科长", "全县用户、单位、区划与审计管理"},
    {"duty", DEMO_PASSWORD, "duty_officer", "张伟 (值班员)", DEMO_COUNTY_CODE, BUREAU_NAME,
     "13909350002", "应急值班员", "县级值班：接报、登记、续报、交接班"},
    {"commander", DEMO_PASSWORD, "commander", "王建华 (指挥长)", DEMO_COUNTY_CODE, BUREAU_NAME,
     "13909350003", "局长", "指挥调度：启动响应、审批预案与预警"},
    {"inspector", DEMO_PASSWORD, "inspector", "赵磊 (执法人员)", DEMO_COUNTY_CODE, BUREAU_NAME,
     "13909350004", "综合执法大队执法员", "隐患排查与执法检查"},
    {"enterprise", DEMO_PASSWORD, "enterprise", "蒋宏伟 (企业用户)", DEMO_COUNTY_CODE,
     "云岭县青石矿业有限公司", "13909350005", "安全管理员", "企业隐患自查自报"},
    {"info", DEMO_PASSWORD, "info_officer", "马小芳 (灾害信息员)", "620390100", "青石镇应急管理所",
     "13909350006", "灾害信息员", "青石镇灾情报送"},
    {"team", DEMO_PASSWORD, "team_member", "王海军 (救援队员)", DEMO_COUNTY_CODE,
     "云岭县消防救援大队", "13909350007", "消防救援站站长", "接收救援任务、反馈进展"},
    {"viewer", DEMO_PASSWORD, "viewer", "陈静 (只读用户)", DEMO_COUNTY_CODE, "云岭县人民政府",
     "13909350008", "政府办公室科员", "只读查看全县信息"},
    {"town1", DEMO_PASSWORD, "duty_officer", "马国庆 (青石镇值班员)", "620390100",
     "青石镇应急管理所", "13909350009", "应急管理所所长", "青石镇值班：本镇接报与上报"},
    {"town2", DEMO_PASSWORD, "duty_officer", "杨永福 (河西镇值班员)", "620390101",
     "河西镇应急管理所", "13909350010", "应急管理所所长", "河西镇值班：本镇接报与上报"},
    {"city", DEMO_PASSWORD, "admin", "周强 (市级管理员)", CITY_CODE, NULL, "13909350011",
     "金昌市应急管理局信息科", "市级管理：可见金昌市全部区县"},
};

/* ---- deterministic generator (splitmix64) ------------------------------------------------ */

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

static double rng_unit(Rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int rng_range(Rng *r, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(rng_unit(r) * (hi - lo + 1));
}

/* ---- geometry ---------------------------------------------------------------------------- */

typedef struct Point {
    double lon, lat;
} Point;

/* Grid vertices: v[row][col], row 0 on the northern edge. */
typedef struct Grid {
    Point v[GRID_ROWS + 1][GRID_COLS + 1];
} Grid;

typedef struct Ring {
    Point pt[RING_MAX];
    int n; /* closed: pt[n-1] == pt[0] */
} Ring;

static double round_to(double x, double unit)
{
    return round(x / unit) * unit;
}

static void grid_build(Grid *g)
{
    Rng rng = {SEED};
    double dlon = (LON_EAST - LON_WEST) / GRID_COLS, dlat = (LAT_NORTH - LAT_SOUTH) / GRID_ROWS;
    for (int r = 0; r <= GRID_ROWS; r++)
        for (int c = 0; c <= GRID_COLS; c++) {
            double jx = (2 * rng_unit(&rng) - 1) * JITTER;
            double jy = (2 * rng_unit(&rng) - 1) * JITTER;
            g->v[r][c].lon = round_to(LON_WEST + (c + jx) * dlon, 1e-6);
            g->v[r][c].lat = round_to(LAT_NORTH - (r + jy) * dlat, 1e-6);
        }
}

static void ring_add(Ring *ring, Point p)
{
    ring->pt[ring->n++] = p;
}

/* Outline of the cells [c0, c1) × [r0, r1), counter-clockwise from the south-west corner
 * through every grid vertex on its edges, closed. */
static void block_ring(const Grid *g, int c0, int r0, int c1, int r1, Ring *ring)
{
    ring->n = 0;
    for (int c = c0; c < c1; c++) /* southern edge, eastwards */
        ring_add(ring, g->v[r1][c]);
    for (int r = r1; r > r0; r--) /* eastern edge, northwards */
        ring_add(ring, g->v[r][c1]);
    for (int c = c1; c > c0; c--) /* northern edge, westwards */
        ring_add(ring, g->v[r0][c]);
    for (int r = r0; r < r1; r++) /* western edge, southwards */
        ring_add(ring, g->v[r][c0]);
    ring_add(ring, ring->pt[0]);
}

/* Twice the signed area of the ring in square degrees (positive when counter-clockwise). */
static double ring_area2_deg(const Ring *ring)
{
    double a = 0;
    for (int i = 0; i + 1 < ring->n; i++)
        a += ring->pt[i].lon * ring->pt[i + 1].lat - ring->pt[i + 1].lon * ring->pt[i].lat;
    return a;
}

/* Area in km² on a local equirectangular projection around the county's mid latitude. */
static double ring_area_km2(const Ring *ring)
{
    double km_per_deg = EARTH_RADIUS_KM * PI / 180;
    double kx = km_per_deg * cos(LAT_MID * PI / 180);
    return round_to(fabs(ring_area2_deg(ring)) / 2 * kx * km_per_deg, 0.01);
}

static Point ring_centroid(const Ring *ring)
{
    double a2 = ring_area2_deg(ring), cx = 0, cy = 0;
    for (int i = 0; i + 1 < ring->n; i++) {
        const Point *p = &ring->pt[i], *q = &ring->pt[i + 1];
        double cross = p->lon * q->lat - q->lon * p->lat;
        cx += (p->lon + q->lon) * cross;
        cy += (p->lat + q->lat) * cross;
    }
    Point c = {round_to(cx / (3 * a2), 1e-6), round_to(cy / (3 * a2), 1e-6)};
    return c;
}

/* GeoJSON Polygon geometry of the ring; new reference. */
static json_t *ring_geometry(const Ring *ring)
{
    json_t *pts = json_array();
    for (int i = 0; i < ring->n; i++)
        json_array_append_new(pts, json_pack("[f, f]", ring->pt[i].lon, ring->pt[i].lat));
    return json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", pts);
}

/* ---- the plan: every division of the county, computed before anything is written -------- */

typedef struct Village {
    int town; /* index in towns[] */
    int col, row;
    int community; /* 社区 rather than 村 */
    char code[13];
    char name[NAME_MAX];
    long population, households;
} Village;

typedef struct Plan {
    Grid grid;
    Village villages[NCELLS]; /* by town, then code */
    int nvillages;
    long town_population[NTOWNS], town_households[NTOWNS];
    long population, households;
} Plan;

typedef struct Cell {
    int col, row;
    double dist2; /* squared distance to the town's seat, in cells */
} Cell;

/* The town's cells, nearest to its seat first (ties in row-major order). Returns the count. */
static int town_cells(const DemoTown *t, Cell *cells)
{
    int c0 = block_cols[t->block_col], c1 = block_cols[t->block_col + 1];
    int r0 = block_rows[t->block_row], r1 = block_rows[t->block_row + 1];
    double sx = t->county_seat ? GRID_COLS / 2.0 : (c0 + c1) / 2.0;
    double sy = t->county_seat ? GRID_ROWS / 2.0 : (r0 + r1) / 2.0;
    int n = 0;
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            double dx = c + 0.5 - sx, dy = r + 0.5 - sy;
            Cell cell = {c, r, dx * dx + dy * dy};
            int i = n++;
            for (; i > 0 && cells[i - 1].dist2 > cell.dist2; i--) /* stable insertion sort */
                cells[i] = cells[i - 1];
            cells[i] = cell;
        }
    return n;
}

/* A town's name without its 镇/乡/街道 suffix ("青石镇" -> "青石"), into out. */
static void town_stem(const char *name, char *out, size_t size)
{
    static const char *const suffixes[] = {"街道", "镇", "乡"};
    size_t n = strlen(name);
    for (int i = 0; i < COUNT(suffixes); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) {
            n -= k;
            break;
        }
    }
    snprintf(out, size, "%.*s", (int)n, name);
}

static int name_taken(const Plan *p, const char *name)
{
    for (int i = 0; i < p->nvillages; i++)
        if (strcmp(p->villages[i].name, name) == 0)
            return 1;
    return 0;
}

/* Name of the k-th community of town t; *next_pool walks community_names[]. */
static void community_name(const DemoTown *t, int k, int *next_pool, char *out)
{
    if (k == 0 && !t->county_seat) {
        char stem[NAME_MAX / 2];
        town_stem(t->name, stem, sizeof stem);
        snprintf(out, NAME_MAX, "%s社区", stem);
    } else {
        snprintf(out, NAME_MAX, "%s社区", community_names[(*next_pool)++ % COUNT(community_names)]);
    }
}

static void village_name(const Plan *p, Rng *rng, char *out)
{
    do {
        int a = rng_range(rng, 0, COUNT(village_prefixes) - 1);
        int b = rng_range(rng, 0, COUNT(village_landforms) - 1);
        snprintf(out, NAME_MAX, "%s%s村", village_prefixes[a], village_landforms[b]);
    } while (name_taken(p, out));
}

static void plan_village_figures(Village *v, Rng *rng)
{
    v->population = v->community ? rng_range(rng, 3000, 12000) : rng_range(rng, 800, 4000);
    v->households = lround(v->population / (2.6 + 0.4 * rng_unit(rng)));
}

/* Adds town ti's villages and communities to the plan. */
static void plan_town(Plan *p, int ti, Rng *rng, int *next_pool)
{
    const DemoTown *t = &towns[ti];
    Cell cells[NCELLS];
    int n = town_cells(t, cells), nvillage = 0;
    for (int i = 0; i < n; i++) {
        Village *v = &p->villages[p->nvillages];
        v->town = ti;
        v->col = cells[i].col;
        v->row = cells[i].row;
        v->community = i < t->communities;
        if (v->community) {
            snprintf(v->code, sizeof v->code, "%s%03d", t->code, i + 1);
            community_name(t, i, next_pool, v->name);
        } else {
            snprintf(v->code, sizeof v->code, "%s%03d", t->code, 200 + nvillage++);
            village_name(p, rng, v->name);
        }
        plan_village_figures(v, rng);
        p->town_population[ti] += v->population;
        p->town_households[ti] += v->households;
        p->nvillages++;
    }
    p->population += p->town_population[ti];
    p->households += p->town_households[ti];
}

static void plan_build(Plan *p)
{
    memset(p, 0, sizeof *p);
    grid_build(&p->grid);
    Rng rng = {SEED ^ 0x7a68ULL};
    int next_pool = 0;
    for (int ti = 0; ti < NTOWNS; ti++)
        plan_town(p, ti, &rng, &next_pool);
}

/* ---- writing ----------------------------------------------------------------------------- */

typedef struct OrgId {
    const char *name; /* borrowed from a static table or the Tx arena */
    json_int_t id;
} OrgId;

typedef struct DemoLoad {
    const char *reference_dir;
    int tty; /* stderr is a terminal: progress overwrites one line */
    Plan plan;
    OrgId orgs[MAX_ORGS];
    int norgs;
} DemoLoad;

static int refuse_if_loaded(Tx *tx, Error *err)
{
    int64_t users = 0;
    if (store_query_int(tx->conn, "SELECT count(*) FROM users", NULL, 0, &users, err) < 0)
        return -1;
    if (users > 0)
        return error_set(err, 409, "demo_exists", "数据库中已有用户，演示数据只能加载到空数据库",
                         "the database already holds users; demo data loads only into an "
                         "empty database");
    return 0;
}

static void on_progress(const char *stage, int done, int total, void *ctx)
{
    const DemoLoad *d = ctx;
    if (d->tty)
        fprintf(stderr, "\r加载全国行政区划: %s %d/%d", stage, done, total);
    else if (done == total)
        fprintf(stderr, "加载全国行政区划: %s %d/%d", stage, done, total);
    if (done == total)
        fputc('\n', stderr);
}

static int load_national(Tx *tx, DemoLoad *d, Error *err)
{
    const char *dir = arena_printf(tx->arena, "%s/divisions", d->reference_dir);
    int n = 0;
    return divisions_import_national(tx, dir, 0, on_progress, d, &n, err);
}

static int create_division(Tx *tx, const char *code, const char *name, const Ring *ring,
                           long population, long households, Error *err)
{
    Point c = ring_centroid(ring);
    json_t *in = json_pack("{s:s, s:s, s:I, s:I, s:f, s:o, s:f, s:f}", "code", code, "name", name,
                           "population", (json_int_t)population, "households",
                           (json_int_t)households, "area_km2", ring_area_km2(ring), "geometry",
                           ring_geometry(ring), "center_lon", c.lon, "center_lat", c.lat);
    int rc = entity_create(tx, &divisions_entity, in, NULL, err);
    json_decref(in);
    if (rc < 0)
        log_error("demo: division %s %s: %s", code, name, err->message_en);
    return rc;
}

static int load_county(Tx *tx, const Plan *p, Error *err)
{
    Ring ring;
    block_ring(&p->grid, 0, 0, GRID_COLS, GRID_ROWS, &ring);
    return create_division(tx, DEMO_COUNTY_CODE, DEMO_COUNTY_NAME, &ring, p->population,
                           p->households, err);
}

static int load_towns(Tx *tx, const Plan *p, Error *err)
{
    for (int i = 0; i < NTOWNS; i++) {
        const DemoTown *t = &towns[i];
        Ring ring;
        block_ring(&p->grid, block_cols[t->block_col], block_rows[t->block_row],
                   block_cols[t->block_col + 1], block_rows[t->block_row + 1], &ring);
        if (create_division(tx, t->code, t->name, &ring, p->town_population[i],
                            p->town_households[i], err) < 0)
            return -1;
    }
    return 0;
}

static int load_villages(Tx *tx, const Plan *p, Error *err)
{
    for (int i = 0; i < p->nvillages; i++) {
        const Village *v = &p->villages[i];
        Ring ring;
        block_ring(&p->grid, v->col, v->row, v->col + 1, v->row + 1, &ring);
        if (create_division(tx, v->code, v->name, &ring, v->population, v->households, err) < 0)
            return -1;
    }
    return 0;
}

static json_int_t org_id(const DemoLoad *d, const char *name)
{
    for (int i = 0; name && i < d->norgs; i++)
        if (strcmp(d->orgs[i].name, name) == 0)
            return d->orgs[i].id;
    return 0;
}

/* Creates one organisation and remembers its id under its name. */
static int create_org(Tx *tx, DemoLoad *d, const DemoOrg *o, const char *division_code, Error *err)
{
    if (d->norgs == MAX_ORGS)
        return error_internal(err, "demo: too many organisations");
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", o->name, "kind", o->kind,
                           "division_code", division_code, "leader", o->leader, "phone", o->phone,
                           "address", o->address);
    json_int_t parent = org_id(d, o->parent);
    if (parent)
        json_object_set_new(in, "parent_id", json_integer(parent));
    json_t *out = NULL;
    int rc = entity_create(tx, &orgs_entity, in, &out, err);
    json_decref(in);
    if (rc == 0) {
        d->orgs[d->norgs].name = o->name;
        d->orgs[d->norgs].id = json_integer_value(json_object_get(out, "id"));
        d->norgs++;
    } else {
        log_error("demo: organisation %s: %s", o->name, err->message_en);
    }
    json_decref(out);
    return rc;
}

/* The 应急管理所 of town i, its strings in the Tx arena. */
static DemoOrg town_office(Tx *tx, int i)
{
    const DemoTown *t = &towns[i];
    DemoOrg o = {
        arena_printf(tx->arena, "%s应急管理所", t->name),
        "town_office",
        BUREAU_NAME,
        t->leader,
        arena_printf(tx->arena, "0935-62103%02d", i + 1),
        arena_printf(tx->arena, "云岭县%s%s院内", t->name, t->county_seat ? "办事处" : "人民政府")};
    return o;
}

static int load_orgs(Tx *tx, DemoLoad *d, Error *err)
{
    for (int i = 0; i < COUNT(county_orgs); i++)
        if (create_org(tx, d, &county_orgs[i], DEMO_COUNTY_CODE, err) < 0)
            return -1;
    for (int i = 0; i < NTOWNS; i++) {
        DemoOrg o = town_office(tx, i);
        if (create_org(tx, d, &o, towns[i].code, err) < 0)
            return -1;
    }
    return 0;
}

static int create_account(Tx *tx, const DemoLoad *d, const DemoAccount *a, Error *err)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "username", a->username,
                           "display_name", a->display_name, "role", a->role, "division_code",
                           a->division_code, "phone", a->phone, "title", a->title);
    int rc = 0;
    if (a->org) {
        json_int_t id = org_id(d, a->org);
        if (id)
            json_object_set_new(in, "org_id", json_integer(id));
        else
            rc = error_internal(err, "demo: an account names an unknown organisation");
    }
    if (rc == 0)
        rc = accounts_create_user(tx, in, a->password, NULL, err);
    if (rc < 0)
        log_error("demo: user %s: %s", a->username, err->message_en);
    json_decref(in);
    return rc;
}

static int load_accounts(Tx *tx, const DemoLoad *d, Error *err)
{
    for (int i = 0; i < COUNT(accounts); i++)
        if (create_account(tx, d, &accounts[i], err) < 0)
            return -1;
    return 0;
}

/* Every module's own demo data, in the application's module order. */
static int load_module_demos(Tx *tx, Error *err)
{
    int n;
    const Module *const *mods = app_modules(&n);
    for (int i = 0; i < n; i++) {
        if (!mods[i]->demo)
            continue;
        fprintf(stderr, "演示数据：%s\n", mods[i]->name);
        if (mods[i]->demo(tx, err) < 0) {
            log_error("demo: module %s: %s", mods[i]->name, err->message_en);
            return -1;
        }
    }
    return 0;
}

static int load_all(Tx *tx, void *ctx, Error *err)
{
    DemoLoad *d = ctx;
    if (refuse_if_loaded(tx, err) < 0 || load_national(tx, d, err) < 0)
        return -1;
    fprintf(stderr, "创建演示县 %s (%s): 乡镇(街道) %d, 村(社区) %d, 单位 %d, 账号 %d\n",
            DEMO_COUNTY_NAME, DEMO_COUNTY_CODE, NTOWNS, d->plan.nvillages,
            COUNT(county_orgs) + NTOWNS, COUNT(accounts));
    if (load_county(tx, &d->plan, err) < 0 || load_towns(tx, &d->plan, err) < 0 ||
        load_villages(tx, &d->plan, err) < 0 || load_orgs(tx, d, err) < 0 ||
        load_accounts(tx, d, err) < 0)
        return -1;
    return load_module_demos(tx, err);
}

int demo_load(Store *store, const char *reference_dir, Error *err)
{
    DemoLoad d;
    memset(&d, 0, sizeof d);
    d.reference_dir = reference_dir;
    d.tty = isatty(fileno(stderr));
    plan_build(&d.plan);
    Arena arena = ARENA_INIT;
    int rc = tx_run(store, &actor_system, &arena, load_all, &d, err);
    arena_free(&arena);
    return rc;
}

/* ---- the accounts table ------------------------------------------------------------------ */

static const char *division_label(const char *code)
{
    if (strcmp(code, DEMO_COUNTY_CODE) == 0)
        return DEMO_COUNTY_NAME;
    if (strcmp(code, CITY_CODE) == 0)
        return CITY_NAME;
    for (int i = 0; i < NTOWNS; i++)
        if (strcmp(code, towns[i].code) == 0)
            return towns[i].name;
    return "";
}

/* Columns a UTF-8 string takes on a terminal: CJK (3-byte sequences) take two. */
static int display_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x80)
            w++;
        else if ((*p & 0xf0) == 0xe0)
            w += 2;
        else if ((*p & 0xc0) == 0xc0)
            w++;
    }
    return w;
}

/* Prints s padded to width columns, with at least two spaces after it. */
static void print_cell(FILE *out, const char *s, int width)
{
    int pad = width - display_width(s);
    fprintf(out, "%s%*s", s, pad < 2 ? 2 : pad, "");
}

void demo_print_accounts(FILE *out)
{
    enum { W_USER = 13, W_PASS = 15, W_ROLE = 41, W_AREA = 20 };
    fprintf(out, "演示账号 Demo accounts (%s %s)\n", DEMO_COUNTY_NAME, DEMO_COUNTY_CODE);
    fputs("  ", out);
    print_cell(out, "用户名 User", W_USER);
    print_cell(out, "密码 Password", W_PASS);
    print_cell(out, "角色 Role", W_ROLE);
    print_cell(out, "管辖 Jurisdiction", W_AREA);
    fputs("职责 Duties\n", out);
    for (int i = 0; i < COUNT(accounts); i++) {
        const DemoAccount *a = &accounts[i];
        const RoleInfo *ri = role_info(role_from_name(a->role));
        char role[96], area[64];
        snprintf(role, sizeof role, "%s %s", ri ? ri->label_zh : a->role, ri ? ri->label_en : "");
        snprintf(area, sizeof area, "%s %s", a->division_code, division_label(a->division_code));
        fputs("  ", out);
        print_cell(out, a->username, W_USER);
        print_cell(out, a->password, W_PASS);
        print_cell(out, role, W_ROLE);
        print_cell(out, area, W_AREA);
        fprintf(out, "%s\n", a->duties);
    }
}
