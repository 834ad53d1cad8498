/* modules/enterprises/demo — the enterprises of the demo county 云岭县 (620390): 60
 * fictional enterprises across the industries the seed plans name (mines, coal, chemicals,
 * fireworks, metallurgy, industry and trade, construction, transport), placed near their
 * town's centre, with valid 统一社会信用代码, licences, 25 major hazard sources and two or
 * three responsible people each. Deterministic: every figure comes from a fixed-seed
 * generator; only the QR tokens are random (they are capabilities). The first enterprise,
 * 云岭县青石矿业有限公司, is the one the demo account `enterprise` belongs to. */
#include "modules/enterprises/enterprises_internal.h"

#include "core/log.h"
#include "modules/accounts/accounts.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTY "620390"
#define NTOWNS 12
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Towns of the demo county in demo/demo.c's order; centres are read from `divisions`. */
static const char *const town_codes[NTOWNS] = {
    "620390001", "620390002", "620390100", "620390101", "620390102", "620390103",
    "620390104", "620390105", "620390106", "620390200", "620390201", "620390202",
};
enum { CG, DG, QS, HX, LQ, BY, SM, SH, YF, MY, XL, NT };

typedef struct DemoEnterprise {
    const char *name;
    const char *industry;
    const char *scale;
    int town;
    const char *risk;
    const char *status; /* NULL = operating */
    const char *notes;  /* internal note, or NULL */
} DemoEnterprise;

static const DemoEnterprise enterprises[] = {
    /* 非煤矿山 */
    {"云岭县青石矿业有限公司", "non_coal_mine", "medium", QS, "orange", NULL,
     "2026年汛期前专项检查发现问题3项，已督促整改"},
    {"云岭县石门铁矿有限责任公司", "non_coal_mine", "medium", SM, "orange", NULL, NULL},
    {"云岭县马营建材石灰岩矿有限公司", "non_coal_mine", "small", MY, "yellow", NULL, NULL},
    {"云岭县黑山铜矿有限公司", "non_coal_mine", "medium", QS, "red", NULL,
     "井下采空区治理方案待专家评审"},
    {"云岭县金岭选矿有限公司", "non_coal_mine", "small", QS, "red", NULL, "尾矿库列入县级挂牌督办"},
    {"云岭县红山砂石有限公司", "non_coal_mine", "small", SH, "yellow", NULL, NULL},
    {"云岭县杏林石英砂矿有限公司", "non_coal_mine", "small", XL, "blue", NULL, NULL},
    {"云岭县南滩萤石矿业有限公司", "non_coal_mine", "small", NT, "yellow", NULL, NULL},
    {"云岭县石门宏达石材有限公司", "non_coal_mine", "micro", SM, "blue", NULL, NULL},
    {"云岭县永丰新型建材有限公司", "non_coal_mine", "micro", YF, "blue", "suspended",
     "因环保整改停产"},
    {"云岭县白杨镍矿有限责任公司", "non_coal_mine", "medium", BY, "orange", NULL, NULL},
    {"云岭县柳泉石膏矿有限公司", "non_coal_mine", "small", LQ, "yellow", NULL, NULL},
    /* 煤矿 */
    {"云岭县马营煤业有限公司", "coal_mine", "medium", MY, "red", NULL, "高瓦斯矿井，重点监管"},
    {"云岭县石门煤矿有限责任公司", "coal_mine", "small", SM, "orange", NULL, NULL},
    {"云岭县杏林煤炭洗选有限公司", "coal_mine", "small", XL, "yellow", "rectifying",
     "2026年9月执法检查责令停产整顿"},
    /* 危险化学品 */
    {"云岭县河西化工有限责任公司", "hazardous_chemicals", "medium", HX, "red", NULL, NULL},
    {"云岭县鑫源化工有限公司", "hazardous_chemicals", "small", HX, "orange", NULL, NULL},
    {"云岭县宏通石油储运有限公司", "hazardous_chemicals", "medium", DG, "orange", NULL, NULL},
    {"云岭县永安加油站有限公司", "hazardous_chemicals", "micro", CG, "yellow", NULL, NULL},
    {"云岭县沙河液化石油气有限公司", "hazardous_chemicals", "micro", SH, "orange", NULL, NULL},
    {"云岭县瑞丰氯碱有限公司", "hazardous_chemicals", "large", HX, "red", NULL,
     "液氯储罐区视频监控与气体报警已接入"},
    {"云岭县恒达危险品仓储有限公司", "hazardous_chemicals", "small", HX, "orange", NULL, NULL},
    {"云岭县华源天然气有限公司", "hazardous_chemicals", "small", DG, "orange", NULL, NULL},
    {"云岭县安达民用爆破器材有限公司", "hazardous_chemicals", "micro", CG, "red", NULL, NULL},
    {"云岭县柳泉化肥有限公司", "hazardous_chemicals", "medium", LQ, "orange", NULL, NULL},
    /* 烟花爆竹 */
    {"云岭县吉庆烟花爆竹批发有限公司", "fireworks", "small", YF, "red", NULL,
     "春节前储存量需重点核查"},
    {"云岭县红火烟花爆竹经营部", "fireworks", "micro", CG, "yellow", NULL, NULL},
    {"云岭县喜乐烟花爆竹经营部", "fireworks", "micro", DG, "yellow", NULL, NULL},
    {"云岭县鸿运烟花爆竹经营部", "fireworks", "micro", HX, "blue", NULL, NULL},
    /* 冶金 */
    {"云岭县金岭冶炼有限公司", "metallurgy", "large", HX, "red", NULL, NULL},
    {"云岭县宏泰铸造有限公司", "metallurgy", "small", SH, "orange", NULL, NULL},
    {"云岭县白杨铁合金有限公司", "metallurgy", "medium", BY, "orange", NULL, NULL},
    {"云岭县永丰有色金属压延有限公司", "metallurgy", "small", YF, "yellow", NULL, NULL},
    /* 工贸 */
    {"云岭县祥和面粉有限公司", "industry_trade", "small", YF, "yellow", NULL, "粉尘涉爆企业"},
    {"云岭县柳泉木业有限公司", "industry_trade", "small", LQ, "yellow", NULL, NULL},
    {"云岭县杏林农产品冷链有限公司", "industry_trade", "small", XL, "orange", NULL, "涉氨制冷企业"},
    {"云岭县东关纺织有限公司", "industry_trade", "medium", DG, "blue", NULL, NULL},
    {"云岭县宏达建材有限公司", "industry_trade", "medium", SH, "yellow", NULL, NULL},
    {"云岭县城关印刷包装有限公司", "industry_trade", "small", CG, "blue", NULL, NULL},
    {"云岭县南滩枸杞加工有限公司", "industry_trade", "micro", NT, "blue", NULL, NULL},
    {"云岭县河西机械制造有限公司", "industry_trade", "medium", HX, "yellow", NULL, NULL},
    {"云岭县白杨饲料有限公司", "industry_trade", "small", BY, "blue", NULL, NULL},
    {"云岭县马营酒业有限公司", "industry_trade", "small", MY, "yellow", NULL, NULL},
    /* 建筑施工 */
    {"云岭县第一建筑工程有限公司", "construction", "large", CG, "orange", NULL, NULL},
    {"云岭县城乡建设工程有限公司", "construction", "medium", DG, "yellow", NULL, NULL},
    {"云岭县宏基建筑安装有限公司", "construction", "medium", CG, "yellow", NULL, NULL},
    {"云岭县路桥工程有限公司", "construction", "medium", DG, "orange", NULL,
     "国道改线段高边坡施工"},
    {"云岭县青石建筑劳务有限公司", "construction", "small", QS, "blue", NULL, NULL},
    {"云岭县永安水利水电工程有限公司", "construction", "small", YF, "yellow", NULL, NULL},
    {"云岭县恒信市政工程有限公司", "construction", "small", CG, "yellow", NULL, NULL},
    {"云岭县鼎盛钢结构工程有限公司", "construction", "small", HX, "yellow", NULL, NULL},
    {"云岭县安居建设工程有限公司", "construction", "small", DG, "blue", NULL, NULL},
    {"云岭县石门建筑工程有限公司", "construction", "micro", SM, "blue", NULL, NULL},
    /* 交通运输 */
    {"云岭县顺达危险货物运输有限公司", "transport", "small", HX, "orange", NULL, NULL},
    {"云岭县公共交通有限公司", "transport", "medium", CG, "yellow", NULL, NULL},
    {"云岭县长运客运有限公司", "transport", "medium", DG, "yellow", NULL, NULL},
    {"云岭县通达物流有限公司", "transport", "small", SH, "blue", NULL, NULL},
    /* 其他 */
    {"云岭县金岭光伏发电有限公司", "other", "small", NT, "blue", NULL, NULL},
    {"云岭县城关热力有限公司", "other", "medium", CG, "yellow", NULL, NULL},
    {"云岭县云岭宾馆有限公司", "other", "small", CG, "blue", NULL, NULL},
};

typedef struct DemoHazard {
    int enterprise; /* index into enterprises[] */
    const char *name;
    const char *level;
    const char *substances;
    double quantity_t;
} DemoHazard;

static const DemoHazard hazards[] = {
    {0, "青石矿业炸药库", "III", "乳化炸药、工业导爆索、导爆管雷管", 12},
    {0, "青石沟尾矿库", "IV", "选矿尾砂（含重金属）", 850000},
    {1, "石门铁矿炸药库", "IV", "乳化炸药、导爆管雷管", 6},
    {3, "黑山铜矿炸药库", "III", "乳化炸药、铵油炸药", 15},
    {4, "金岭选矿尾矿库", "II", "选矿尾砂（含铜、铅、锌）", 2300000},
    {10, "白杨镍矿炸药库", "IV", "乳化炸药", 5},
    {11, "柳泉石膏矿炸药库", "IV", "乳化炸药", 3},
    {12, "马营煤业井下爆炸材料库", "IV", "煤矿许用乳化炸药、煤矿许用电雷管", 4},
    {13, "石门煤矿爆炸材料库", "IV", "煤矿许用乳化炸药", 3},
    {15, "液氨罐区", "II", "液氨", 80},
    {15, "甲醇罐区", "III", "甲醇", 3000},
    {16, "苯类储罐区", "III", "苯、甲苯", 600},
    {17, "宏通油库汽柴油罐区", "II", "汽油、柴油", 8000},
    {19, "液化石油气储配站储罐区", "III", "液化石油气", 120},
    {20, "液氯储罐区", "I", "液氯", 150},
    {20, "氢气柜", "IV", "氢气", 2},
    {21, "危险化学品甲类仓库", "III", "乙醇、丙酮、乙酸乙酯", 400},
    {22, "LNG储罐区", "III", "液化天然气", 180},
    {23, "民用爆炸物品储存库", "III", "乳化炸药、导爆管雷管", 20},
    {24, "硝酸铵仓库", "II", "硝酸铵", 2000},
    {25, "烟花爆竹成品仓库", "III", "烟花爆竹（1.3G、1.4G 类）", 60},
    {29, "转炉煤气柜", "III", "一氧化碳（转炉煤气）", 15},
    {29, "液氧储罐区", "IV", "液氧", 180},
    {31, "高炉煤气柜", "IV", "一氧化碳（高炉煤气）", 8},
    {35, "氨制冷机房及储氨器", "IV", "液氨", 15},
};

static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱",
    "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "于",
    "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢",
};
static const char *const given_names[] = {
    "建军", "国强", "志刚", "海燕", "永红", "秀英", "明",   "伟",   "静",   "丽",   "强",   "磊",
    "军",   "洋",   "勇",   "艳",   "杰",   "娟",   "涛",   "超",   "明亮", "红梅", "春生", "建平",
    "文斌", "晓东", "玉兰", "宏亮", "俊峰", "德福", "福海", "立新", "亚军", "桂英", "少华", "振国",
};
static const char *const roads[] = {"工业园区", "矿区路", "建设路", "人民路", "兴隆路",
                                    "滨河路",   "长宁路", "和平路", "新华路", "团结路"};

/* ---- deterministic generator (splitmix64, as demo/demo.c) -------------------------------- */

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

static int rng_range(Rng *r, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(rng_unit(r) * (hi - lo + 1));
}

static double round6(double x)
{
    return round(x * 1e6) / 1e6;
}

/* ---- generated values -------------------------------------------------------------------- */

/* A 统一社会信用代码 of an enterprise registered by 市场监管 (9) as a company (1) in the
 * county, whose organisation code (GB 11714) carries its own check character. */
static void credit_code(Rng *r, int modern, char out[ENTERPRISES_CREDIT_CODE_LEN + 1])
{
    static const char org_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    char org[9];
    for (int i = 0; i < 8; i++)
        org[i] = modern && i < 2   ? "MA"[i]
                 : modern && i < 3 ? "0123456789"[rng_range(r, 0, 9)]
                 : modern          ? org_chars[rng_range(r, 0, 30)]
                                   : "0123456789"[rng_range(r, 0, 9)];
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (org[i] <= '9' ? org[i] - '0' : org[i] - 'A' + 10) * org_weights[i];
    int c = 11 - sum % 11;
    org[8] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    snprintf(out, ENTERPRISES_CREDIT_CODE_LEN + 1, "91%s%.9s", COUNTY, org);
    out[17] = enterprises_credit_check_char(out);
    out[18] = 0;
}

static void person_name(Rng *r, char *out, size_t n)
{
    snprintf(out, n, "%s%s", surnames[rng_range(r, 0, COUNT(surnames) - 1)],
             given_names[rng_range(r, 0, COUNT(given_names) - 1)]);
}

static void mobile(Rng *r, char *out, size_t n)
{
    snprintf(out, n, "139%04d%04d", rng_range(r, 935, 938), rng_range(r, 0, 9999));
}

static void date_between(Rng *r, int y0, int y1, char *out, size_t n)
{
    snprintf(out, n, "%04d-%02d-%02d", rng_range(r, y0, y1), rng_range(r, 1, 12),
             rng_range(r, 1, 28));
}

static int employees_for(Rng *r, const char *scale)
{
    if (strcmp(scale, "large") == 0)
        return rng_range(r, 1000, 2600);
    if (strcmp(scale, "medium") == 0)
        return rng_range(r, 300, 980);
    if (strcmp(scale, "small") == 0)
        return rng_range(r, 20, 290);
    return rng_range(r, 3, 19);
}

static void add_licence(json_t *arr, Rng *r, const char *name, const char *number,
                        const char *issuer)
{
    char exp[40];
    date_between(r, 2025, 2029, exp, sizeof exp);
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "number", number,
                                         "issuer", issuer, "expires", exp));
}

static json_t *licences_for(Rng *r, const char *industry, const char *name, int i)
{
    json_t *l = json_array();
    char no[64];
    int year = rng_range(r, 2022, 2025), serial = rng_range(r, 100, 999);
    if (strcmp(industry, "non_coal_mine") == 0 || strcmp(industry, "coal_mine") == 0) {
        int coal = industry[0] == 'c';
        snprintf(no, sizeof no, "（甘）%s安许证字〔%d〕%04d", coal ? "MK" : "FM", year, serial);
        add_licence(l, r, coal ? "安全生产许可证（煤矿）" : "安全生产许可证（非煤矿山）", no,
                    "甘肃省应急管理厅");
        snprintf(no, sizeof no, "C62039020%02d%07d", year % 100, rng_range(r, 1000000, 9999999));
        add_licence(l, r, "采矿许可证", no, "云岭县自然资源局");
    } else if (strcmp(industry, "hazardous_chemicals") == 0) {
        snprintf(no, sizeof no, "甘金危化经字〔%d〕%03d", year, serial);
        add_licence(l, r, i % 3 == 0 ? "危险化学品安全生产许可证" : "危险化学品经营许可证", no,
                    "金昌市应急管理局");
    } else if (strcmp(industry, "fireworks") == 0) {
        snprintf(no, sizeof no, "（甘）YH经许字〔%d〕%03d", year, serial);
        add_licence(l, r,
                    strstr(name, "批发") ? "烟花爆竹经营（批发）许可证"
                                         : "烟花爆竹经营（零售）许可证",
                    no, "云岭县应急管理局");
    } else if (strcmp(industry, "construction") == 0) {
        snprintf(no, sizeof no, "（甘）JZ安许证字〔%d〕%06d", year, rng_range(r, 100000, 999999));
        add_licence(l, r, "建筑施工企业安全生产许可证", no, "甘肃省住房和城乡建设厅");
    } else if (strcmp(industry, "transport") == 0) {
        snprintf(no, sizeof no, "甘交运管许可金字62039%07d", rng_range(r, 1000000, 9999999));
        add_licence(l, r, "道路运输经营许可证", no, "云岭县交通运输局");
    }
    return l;
}

/* ---- loading ----------------------------------------------------------------------------- */

typedef struct Town {
    char name[64];
    double lon, lat;
} Town;

static int load_towns(Tx *tx, Town towns[NTOWNS], Error *err)
{
    for (int i = 0; i < NTOWNS; i++) {
        DbRows rows;
        DbValue p = db_text(town_codes[i]);
        if (store_query(tx->conn, tx->arena,
                        "SELECT name, center_lon, center_lat FROM divisions WHERE code = $1", &p, 1,
                        &rows, err) < 0)
            return -1;
        snprintf(towns[i].name, sizeof towns[i].name, "%s",
                 rows.nrows && db_cell(&rows, 0, 0) ? db_cell(&rows, 0, 0) : "");
        towns[i].lon = rows.nrows && db_cell(&rows, 0, 1) ? atof(db_cell(&rows, 0, 1)) : 102.3;
        towns[i].lat = rows.nrows && db_cell(&rows, 0, 2) ? atof(db_cell(&rows, 0, 2)) : 38.4;
    }
    return 0;
}

static int create(Tx *tx, const Entity *e, json_t *in, json_t **out, Error *err)
{
    int rc = entity_create(tx, e, in, out, err);
    if (rc < 0)
        log_error("demo: %s %s: %s", e->table,
                  json_string_value(json_object_get(in, "name"))
                      ? json_string_value(json_object_get(in, "name"))
                      : "",
                  err->message_en);
    json_decref(in);
    return rc;
}

static int add_people(Tx *tx, Rng *r, int64_t eid, const char *industry, const char *legal_rep,
                      const char *safety_manager, Error *err)
{
    char phone[40], cert[256], exp[40], name[32];
    const char *duties[3] = {"principal", "safety_manager", NULL};
    const char *names[3] = {legal_rep, safety_manager, NULL};
    int n = 2 + (rng_range(r, 0, 1));
    if (n == 3) {
        person_name(r, name, sizeof name);
        names[2] = name;
        int blasting = strstr(industry, "mine") != NULL;
        duties[2] = blasting || strcmp(industry, "hazardous_chemicals") == 0 ? "special_operator"
                                                                             : "emergency_contact";
    }
    for (int k = 0; k < n; k++) {
        mobile(r, phone, sizeof phone);
        date_between(r, 2025, 2029, exp, sizeof exp);
        const char *certificate =
            strcmp(duties[k], "principal") == 0 ? "主要负责人安全生产知识和管理能力考核合格证"
            : strcmp(duties[k], "safety_manager") == 0
                ? "安全生产管理人员安全生产知识和管理能力考核合格证"
            : strcmp(duties[k], "special_operator") == 0
                ? (strstr(industry, "mine") ? "特种作业操作证（爆破作业）"
                                            : "特种作业操作证（危险化学品安全作业）")
                : NULL;
        snprintf(cert, sizeof cert, "%s 第%s%06d号", certificate ? certificate : "", COUNTY,
                 rng_range(r, 1, 999999));
        json_t *in = json_pack("{s:I, s:s, s:s, s:s}", "enterprise_id", (json_int_t)eid, "name",
                               names[k], "duty", duties[k], "phone", phone);
        if (certificate) {
            json_object_set_new(in, "certificate", json_string(cert));
            json_object_set_new(in, "cert_expiry", json_string(exp));
        }
        if (create(tx, &enterprise_people_entity, in, NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* Links the demo account `enterprise` to its enterprise. */
static int link_demo_user(Tx *tx, int64_t enterprise_id, Error *err)
{
    DbRows rows;
    DbValue p = db_text("enterprise");
    if (store_query(tx->conn, tx->arena, "SELECT id FROM users WHERE username = $1", &p, 1, &rows,
                    err) < 0)
        return -1;
    if (rows.nrows == 0)
        return 0;
    json_t *v = json_pack("{s:I}", "enterprise_id", (json_int_t)enterprise_id);
    int rc = entity_update_internal(tx, &users_entity, db_cell(&rows, 0, 0), v, err);
    json_decref(v);
    return rc;
}

int enterprises_demo(Tx *tx, Error *err)
{
    Town towns[NTOWNS];
    int64_t ids[COUNT(enterprises)];
    double lons[COUNT(enterprises)], lats[COUNT(enterprises)];
    Rng r = {0x71796a31ULL}; /* "一企一码" */
    if (load_towns(tx, towns, err) < 0)
        return -1;
    for (int i = 0; i < COUNT(enterprises); i++) {
        const DemoEnterprise *d = &enterprises[i];
        const Town *t = &towns[d->town];
        char code[ENTERPRISES_CREDIT_CODE_LEN + 1], legal[32], manager[32], phone[24], address[160];
        credit_code(&r, i % 3 != 0, code);
        person_name(&r, legal, sizeof legal);
        if (i == 0) /* the demo account's holder (demo/demo.c) */
            snprintf(manager, sizeof manager, "蒋宏伟");
        else
            person_name(&r, manager, sizeof manager);
        if (i == 0)
            snprintf(phone, sizeof phone, "0935-6210280");
        else
            snprintf(phone, sizeof phone, "0935-62%05d", rng_range(&r, 10000, 99999));
        if (i == 0)
            snprintf(address, sizeof address, "云岭县%s工业园区8号", t->name);
        else
            snprintf(address, sizeof address, "云岭县%s%s%d号", t->name,
                     roads[rng_range(&r, 0, COUNT(roads) - 1)], rng_range(&r, 1, 188));
        lons[i] = round6(t->lon + (rng_unit(&r) * 2 - 1) * 0.015);
        lats[i] = round6(t->lat + (rng_unit(&r) * 2 - 1) * 0.012);
        json_t *in = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:s, s:i, s:o}", "name",
            d->name, "credit_code", code, "industry", d->industry, "scale", d->scale, "risk_class",
            d->risk, "division_code", town_codes[d->town], "address", address, "lon", lons[i],
            "lat", lats[i], "legal_rep", legal, "safety_manager", manager, "phone", phone,
            "employees", employees_for(&r, d->scale), "licences",
            licences_for(&r, d->industry, d->name, i));
        if (d->status)
            json_object_set_new(in, "status", json_string(d->status));
        if (d->notes)
            json_object_set_new(in, "notes", json_string(d->notes));
        json_t *out = NULL;
        if (create(tx, &enterprises_entity, in, &out, err) < 0)
            return -1;
        ids[i] = json_integer_value(json_object_get(out, "id"));
        json_decref(out);
        if (add_people(tx, &r, ids[i], d->industry, legal, manager, err) < 0)
            return -1;
    }
    for (int h = 0; h < COUNT(hazards); h++) {
        const DemoHazard *d = &hazards[h];
        static const double lo[] = {100, 50, 10, 1}, hi[] = {160, 95, 45, 9};
        int li = strcmp(d->level, "I") == 0     ? 0
                 : strcmp(d->level, "II") == 0  ? 1
                 : strcmp(d->level, "III") == 0 ? 2
                                                : 3;
        double rv = round((lo[li] + rng_unit(&r) * (hi[li] - lo[li])) * 10) / 10;
        json_t *in =
            json_pack("{s:I, s:s, s:s, s:f, s:s, s:f, s:f, s:f}", "enterprise_id",
                      (json_int_t)ids[d->enterprise], "name", d->name, "level", d->level, "r_value",
                      rv, "substances", d->substances, "quantity_t", d->quantity_t, "lon",
                      round6(lons[d->enterprise] + (rng_unit(&r) * 2 - 1) * 0.003), "lat",
                      round6(lats[d->enterprise] + (rng_unit(&r) * 2 - 1) * 0.002));
        if (create(tx, &hazard_sources_entity, in, NULL, err) < 0)
            return -1;
    }
    fprintf(stderr, "演示企业 %d 家，重大危险源 %d 处\n", COUNT(enterprises), COUNT(hazards));
    return link_demo_user(tx, ids[0], err);
}
