/* modules/resources — the demo county's rescue forces and resources (Module.demo).
 *
 * Scale from the seed plans: 6 rescue teams with 334 people and a 277-person expert library
 * (004 三(八)), 27 shelters (004 专栏), equipment of every team and town office, heavy
 * machinery of companies and individual owners (001 三(四)3), helicopter landing points
 * (000 专栏5 3), transport capacity. Everything is placed near the centre of its town (or
 * village, for shelters) as the divisions table holds it, and written through the entity
 * engine as the demo's actor, so it is validated, audited and in the spatial index. Names,
 * numbers and positions come from one fixed-seed generator: every run builds the same data.
 *
 * Shelter areas are sized from the towns' populations so that five towns meet the 1.5 ㎡ per
 * person target and seven do not; one shelter is closed for renovation. */
#include "modules/resources/resources_internal.h"

#include "core/log.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTY "620390"
#define SEED 0x7265736f75726365ULL /* "resource" */
#define MAX_TOWNS 32
#define MAX_VILLAGES 64 /* per town */
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define LON_MIN 102.0
#define LON_MAX 102.6
#define LAT_MIN 38.2
#define LAT_MAX 38.6

/* ---- generator (splitmix64) -------------------------------------------------------------- */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
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

/* ---- the county as stored ---------------------------------------------------------------- */

typedef struct Place {
    const char *code, *name;
    double lon, lat;
} Place;

typedef struct Town {
    Place p;
    json_int_t population;
    Place villages[MAX_VILLAGES];
    int nvillages;
} Town;

typedef struct Demo {
    Tx *tx;
    Rng rng;
    Town towns[MAX_TOWNS];
    int ntowns;
    int created[8]; /* per registry, for the log line */
} Demo;

static int load_county(Demo *d, Error *err)
{
    DbRows rows;
    DbValue p[] = {db_text(COUNTY)};
    if (store_query(d->tx->conn, d->tx->arena,
                    "SELECT code, name, center_lon, center_lat, population FROM divisions "
                    "WHERE parent_code = $1 AND center_lon IS NOT NULL ORDER BY code",
                    p, 1, &rows, err) < 0)
        return -1;
    if (rows.nrows == 0 || rows.nrows > MAX_TOWNS)
        return error_internal(err, "resources demo: the demo county's towns are missing");
    for (int i = 0; i < rows.nrows; i++) {
        Town *t = &d->towns[d->ntowns++];
        t->p = (Place){db_cell(&rows, i, 0), db_cell(&rows, i, 1), atof(db_cell(&rows, i, 2)),
                       atof(db_cell(&rows, i, 3))};
        t->population = db_cell(&rows, i, 4) ? atoll(db_cell(&rows, i, 4)) : 0;
    }
    DbValue v[] = {db_text(COUNTY "%")};
    if (store_query(d->tx->conn, d->tx->arena,
                    "SELECT code, name, center_lon, center_lat, parent_code FROM divisions "
                    "WHERE code LIKE $1 AND level = 'village' AND center_lon IS NOT NULL "
                    "ORDER BY code",
                    v, 1, &rows, err) < 0)
        return -1;
    for (int i = 0; i < rows.nrows; i++)
        for (int k = 0; k < d->ntowns; k++) {
            Town *t = &d->towns[k];
            if (strcmp(t->p.code, db_cell(&rows, i, 4)) != 0 || t->nvillages == MAX_VILLAGES)
                continue;
            t->villages[t->nvillages++] =
                (Place){db_cell(&rows, i, 0), db_cell(&rows, i, 1), atof(db_cell(&rows, i, 2)),
                        atof(db_cell(&rows, i, 3))};
        }
    return 0;
}

static const Town *town_named(const Demo *d, const char *name)
{
    for (int i = 0; name && i < d->ntowns; i++)
        if (strcmp(d->towns[i].p.name, name) == 0)
            return &d->towns[i];
    return &d->towns[0]; /* the county seat */
}

static json_int_t org_named(Demo *d, const char *name)
{
    if (!name)
        return 0;
    DbValue p[] = {db_text(name)};
    int64_t id = 0;
    Error err = ERROR_INIT;
    int rc = store_query_int(d->tx->conn, "SELECT id FROM orgs WHERE name = $1", p, 1, &id, &err);
    error_clear(&err);
    return rc == 0 ? id : 0;
}

/* ---- small generators -------------------------------------------------------------------- */

static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "赵", "马", "周", "吴", "徐", "孙", "胡", "朱", "高",
    "林", "何", "郭", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏",
    "薛", "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方",
    "石", "姚", "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱",
    "秦", "史", "顾", "侯", "邵", "孟", "段", "雷", "汤", "尹", "常", "武", "乔", "贺", "牛",
};

static const char *const given[] = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华",
    "飞", "鑫", "波", "宁", "凯", "峰", "亮", "林", "浩", "东", "文", "海", "建", "国", "志",
    "永", "红", "霞", "丽", "燕", "敏", "静", "芳", "娟", "英", "玲", "梅", "琳", "雪", "婷",
    "慧", "晓", "春", "秋", "云", "立", "新", "学", "德", "福", "荣", "光", "宏", "振", "成",
    "兴", "庆", "祥", "瑞", "俊", "毅", "旭", "晨", "阳", "彬", "博", "宇", "嘉", "泽", "欣",
};

/* A plausible Chinese name: common surnames more often, one or two given characters. */
static const char *person(Demo *d)
{
    double u = rng_unit(&d->rng);
    const char *s = surnames[(int)(u * u * COUNT(surnames))];
    const char *g1 = given[rng_range(&d->rng, 0, COUNT(given) - 1)];
    if (rng_unit(&d->rng) < 0.3)
        return arena_printf(d->tx->arena, "%s%s", s, g1);
    return arena_printf(d->tx->arena, "%s%s%s", s, g1,
                        given[rng_range(&d->rng, 0, COUNT(given) - 1)]);
}

static const char *mobile(Demo *d)
{
    static const char *const prefixes[] = {"139", "138", "137", "135", "133",
                                           "158", "159", "189", "180", "177"};
    return arena_printf(d->tx->arena, "%s%08d",
                        prefixes[rng_range(&d->rng, 0, COUNT(prefixes) - 1)],
                        rng_range(&d->rng, 0, 99999999));
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* A point within `radius` degrees of p, inside the county's box, to 6 decimals. */
static void near(Demo *d, const Place *p, double radius, double *lon, double *lat)
{
    double x = p->lon + (2 * rng_unit(&d->rng) - 1) * radius;
    double y = p->lat + (2 * rng_unit(&d->rng) - 1) * radius * 0.8;
    *lon = round(clampd(x, LON_MIN + 0.005, LON_MAX - 0.005) * 1e6) / 1e6;
    *lat = round(clampd(y, LAT_MIN + 0.005, LAT_MAX - 0.005) * 1e6) / 1e6;
}

static const char *date_between(Demo *d, int year0, int years)
{
    int y = year0 + rng_range(&d->rng, 0, years - 1), m = rng_range(&d->rng, 1, 12);
    return arena_printf(d->tx->arena, "%04d-%02d-%02d", y, m, rng_range(&d->rng, 1, 28));
}

/* Creates one record (in is stolen); *id (may be NULL) gets its id. */
static int create(Demo *d, const Entity *e, int slot, json_t *in, json_int_t *id, Error *err)
{
    json_t *out = NULL;
    int rc = entity_create(d->tx, e, in, &out, err);
    if (rc < 0) {
        char *s = json_dumps(in, JSON_COMPACT);
        log_error("resources demo: %s %s: %s %s", e->table, s ? s : "", err->message_en,
                  err->fields ? "(fields)" : "");
        free(s);
    } else {
        d->created[slot]++;
        if (id)
            *id = json_integer_value(json_object_get(out, "id"));
    }
    json_decref(out);
    json_decref(in);
    return rc;
}

/* ---- teams, members and their equipment --------------------------------------------------- */

typedef struct EquipSpec {
    const char *name, *kind, *model, *unit;
    int qmin, qmax;
} EquipSpec;

#define NKIT 12

typedef struct TeamSpec {
    const char *name, *kind, *town; /* base town (NULL: the county seat) */
    int town_level;                 /* registered with the town rather than the county */
    const char *org, *leader, *phone, *address;
    int members;
    const char *specialties, *equipment_summary, *readiness, *live_status;
    const char *certificates[4];
    const char *member_specialties[4];
    EquipSpec kit[NKIT];
} TeamSpec;

static const TeamSpec team_specs[] = {
    {"云岭县消防救援大队",
     "fire",
     "东关街道",
     0,
     "云岭县消防救援大队",
     "王海军",
     "0935-6210119",
     "云岭县东关街道长宁路88号",
     86,
     "火灾扑救、抢险救援、危化品处置、高空救援、水域救援",
     "抢险救援消防车、水罐消防车、举高喷射消防车、液压破拆工具组、生命探测仪",
     "ready",
     "全员在岗，24 小时执勤",
     {"消防员国家职业资格证书（四级）", "消防员国家职业资格证书（三级）", "消防设施操作员证",
      "机动车驾驶证（A2）"},
     {"灭火战斗", "破拆救援", "驾驶员", "通信保障"},
     {{"抢险救援消防车", "vehicle", "SGX5150TXFJY120", "辆", 2, 3},
      {"水罐消防车", "fire", "JDF5190GXFSG80", "辆", 2, 4},
      {"泡沫消防车", "fire", "SGX5280GXFPM120", "辆", 1, 2},
      {"举高喷射消防车", "fire", "ZLF5290JXFJP18", "辆", 1, 1},
      {"液压破拆工具组", "rescue", "LUKAS SP333", "套", 3, 6},
      {"正压式消防空气呼吸器", "protection", "RHZKF6.8/30", "具", 30, 60},
      {"雷达生命探测仪", "detection", "LD-1", "台", 1, 2},
      {"有毒气体检测仪", "detection", "PGM-6208", "台", 2, 4},
      {"消防侦察无人机", "drone", "大疆 M300 RTK", "架", 1, 2},
      {"移动照明灯组", "power", "SFW6110B", "台", 2, 4},
      {"冲锋舟", "water", "CFZ-560", "艘", 2, 3},
      {"救援三脚架", "rescue", "JSJ-3", "套", 2, 3}}},
    {"云岭县矿山应急救援队",
     "enterprise",
     "青石镇",
     1,
     "云岭县矿山应急救援队",
     "范铁柱",
     "0935-6210270",
     "云岭县青石镇矿区路1号",
     62,
     "矿山救护、瓦斯爆炸处置、透水救援、顶板冒落救援",
     "正压氧气呼吸器、多种气体检测仪、矿山救护车、矿用潜水泵、救灾通信系统",
     "ready",
     "两个小队轮值，一个小队下井巡查",
     {"矿山救护队员资格证", "特种作业操作证（井下）", "矿山救护指挥员资格证", "红十字救护员证"},
     {"井下救护", "气体检测", "排水抢险", "医疗急救"},
     {{"正压氧气呼吸器", "protection", "HY4", "台", 20, 40},
      {"多种气体检测仪", "detection", "CD4", "台", 6, 10},
      {"矿山救护车", "vehicle", "NJ5046XJH", "辆", 2, 3},
      {"液压起重气垫", "rescue", "QDQ-20", "套", 2, 4},
      {"矿用救灾通信系统", "communication", "KTW-2", "套", 1, 2},
      {"矿用隔爆潜水泵", "drainage", "BQS50-100", "台", 4, 8},
      {"红外热成像仪", "detection", "YRH250", "台", 1, 2},
      {"自动苏生器", "medical", "ASZ-30", "台", 2, 4},
      {"矿用防爆对讲机", "communication", "KTW168", "部", 20, 30},
      {"高倍数泡沫灭火装置", "fire", "BGP-200", "套", 1, 2},
      {"气动破拆工具", "rescue", "QPC-1", "套", 2, 3},
      {"快速密闭风障", "other", "KMF-1", "套", 4, 6}}},
    {"云岭县森林草原防灭火专业队",
     "professional",
     "马营乡",
     1,
     NULL,
     "韩永刚",
     "0935-6210330",
     "云岭县马营乡林场路6号",
     58,
     "森林草原火灾扑救、以水灭火、隔离带开设、火场清理",
     "风力灭火机、高压细水雾灭火机、森林消防水泵、运兵车",
     "standby",
     "防火期前集中训练，进山道口驻守",
     {"森林消防员培训合格证", "油锯操作证", "机动车驾驶证（B2）", "红十字救护员证"},
     {"扑火队员", "以水灭火", "油锯手", "后勤保障"},
     {{"风力灭火机", "forest", "6MF-30", "台", 20, 40},
      {"高压细水雾灭火机", "forest", "QWMB-12", "台", 10, 20},
      {"森林消防水泵", "forest", "Mark-3", "台", 4, 8},
      {"二号扑火工具", "forest", NULL, "把", 60, 100},
      {"森林消防运兵车", "vehicle", "依维柯 NJ2045", "辆", 3, 5},
      {"消防水车", "fire", "东风 12 吨", "辆", 1, 2},
      {"北斗定位终端", "communication", "UniStrong G30", "台", 10, 20},
      {"手持对讲机", "communication", "摩托罗拉 GP328D", "部", 30, 50},
      {"林火侦察无人机", "drone", "大疆 M30T", "架", 1, 2},
      {"油锯", "forest", "STIHL MS382", "台", 6, 10},
      {"割灌机", "forest", "STIHL FS450", "台", 6, 10},
      {"阻燃服", "protection", NULL, "套", 60, 80}}},
    {"云岭县民兵防汛抢险应急连",
     "militia",
     "河西镇",
     0,
     NULL,
     "魏长林",
     "0935-6210340",
     "云岭县河西镇人武部院内",
     54,
     "防汛抢险、堤坝加固、人员转移、道路抢通",
     "冲锋舟、橡皮艇、排水抢险车、移动泵站、发电机组",
     "training",
     "汛前集训第二周",
     {"民兵应急专业训练合格证", "冲锋舟驾驶证", "机动车驾驶证（B2）", "红十字救护员证"},
     {"舟艇操作", "堤坝抢险", "人员转移", "排涝"},
     {{"冲锋舟", "water", "CFZ-600", "艘", 4, 8},
      {"橡皮艇", "water", "QZ-430", "艘", 4, 6},
      {"救生衣", "water", NULL, "件", 100, 200},
      {"大流量排水抢险车", "drainage", "徐工 XZJ5150TPS", "辆", 1, 2},
      {"移动泵站", "drainage", "BPZ-1000", "套", 2, 3},
      {"柴油发电机组", "power", "康明斯 50kW", "台", 2, 4},
      {"照明灯塔", "power", "SFW6130B", "台", 2, 4},
      {"卫星电话", "communication", "天通 T900", "部", 3, 5},
      {"打桩机", "rescue", "DZ-90", "台", 1, 2},
      {"抢险运输车", "vehicle", "东风 EQ1120", "辆", 2, 4},
      {"抛投器", "water", "PTQ-200", "具", 2, 4},
      {"水域救援防护套装", "protection", NULL, "套", 30, 50}}},
    {"云岭县医疗应急救援队",
     "professional",
     "东关街道",
     0,
     NULL,
     "曹文博",
     "0935-6210120",
     "云岭县东关街道康宁路9号（县人民医院）",
     36,
     "院前急救、伤员转运、卫生防疫、心理援助",
     "负压救护车、监护型救护车、除颤仪、便携式呼吸机、野外手术帐篷",
     "ready",
     "急诊科值守，随时可出两个医疗小组",
     {"医师执业证书", "护士执业证书", "急救员证", "机动车驾驶证（B2）"},
     {"急诊医生", "护理", "检伤分类", "救护车驾驶"},
     {{"负压救护车", "vehicle", "福特全顺 V362", "辆", 2, 3},
      {"监护型救护车", "vehicle", "依维柯 Daily", "辆", 2, 4},
      {"心脏除颤仪（AED）", "medical", "迈瑞 BeneHeart D3", "台", 4, 6},
      {"便携式呼吸机", "medical", "迈瑞 SV300", "台", 2, 4},
      {"野外手术帐篷", "medical", "12㎡ 充气式", "顶", 1, 2},
      {"移动心电监护仪", "medical", "iMEC8", "台", 4, 6},
      {"铲式担架", "medical", NULL, "副", 10, 20},
      {"负压隔离担架", "medical", NULL, "副", 2, 4},
      {"医用氧气瓶", "medical", "10L", "个", 20, 30},
      {"卫生防疫消杀设备", "other", "3WF-18", "台", 4, 6},
      {"卫星电话", "communication", "天通 T900", "部", 1, 2},
      {"应急医疗背囊", "medical", NULL, "个", 20, 30}}},
    {"云岭县蓝天救援队",
     "social",
     "城关街道",
     1,
     NULL,
     "邓志远",
     "13909351234",
     "云岭县城关街道新华路56号",
     38,
     "山地搜救、水上救援、应急救护培训",
     "越野救援车、绳索救援套装、救援无人机、冲锋舟",
     "standby",
     "志愿者队伍，集结时间约 1 小时",
     {"红十字救护员证", "绳索救援技术证书", "潜水员证", "民用无人机驾驶员执照"},
     {"山地搜救", "绳索技术", "无人机搜索", "水上救援"},
     {{"越野救援车", "vehicle", "丰田 LC76", "辆", 2, 3},
      {"山地绳索救援套装", "rescue", NULL, "套", 4, 6},
      {"救援无人机", "drone", "大疆 Mavic 3E", "架", 2, 3},
      {"冲锋舟", "water", "CFZ-470", "艘", 1, 2},
      {"手持对讲机", "communication", "海能达 TD510", "部", 20, 30},
      {"急救包", "medical", NULL, "个", 20, 40},
      {"便携式发电机", "power", "本田 EU30is", "台", 2, 3},
      {"救灾帐篷", "other", "3×4 米", "顶", 6, 10},
      {"强光头灯", "power", NULL, "个", 40, 60},
      {"搜救犬装备", "other", NULL, "套", 2, 3},
      {"救生抛投绳包", "water", NULL, "个", 10, 20},
      {"GPS 手持机", "communication", "佳明 GPSMAP 66", "台", 4, 6}}},
};

static const char *equipment_state(Demo *d)
{
    double u = rng_unit(&d->rng);
    return u < 0.90 ? "normal" : u < 0.95 ? "maintenance" : u < 0.98 ? "broken" : "deployed";
}

static int add_equipment(Demo *d, const EquipSpec *k, const char *owner, json_int_t team,
                         const char *division, const Place *at, const char *location, Error *err)
{
    double lon, lat;
    near(d, at, 0.002, &lon, &lat);
    json_t *in = json_pack("{s:s, s:s, s:s?, s:i, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s}", "name",
                           k->name, "kind", k->kind, "model", k->model, "quantity",
                           rng_range(&d->rng, k->qmin, k->qmax), "unit", k->unit, "owner", owner,
                           "division_code", division, "location", location, "lon", lon, "lat", lat,
                           "state", equipment_state(d), "last_checked", date_between(d, 2026, 1));
    if (team)
        json_object_set_new(in, "team_id", json_integer(team));
    return create(d, &equipment_entity, 3, in, NULL, err);
}

static const char *member_role(const TeamSpec *s, int i)
{
    if (i == 0)
        return "队长";
    if (i <= 2)
        return "副队长";
    if (i % 10 == 3)
        return strcmp(s->kind, "fire") == 0 ? "站长" : "分队长";
    if (i % 10 == 5)
        return "班长";
    if (i % 10 == 7)
        return strcmp(s->kind, "professional") == 0 && strstr(s->name, "医疗") ? "医生" : "驾驶员";
    if (i % 10 == 9)
        return strstr(s->name, "医疗") ? "护士" : "通信员";
    return strstr(s->name, "医疗") ? "医护人员" : "队员";
}

static int add_team(Demo *d, const TeamSpec *s, Error *err)
{
    const Town *town = town_named(d, s->town);
    const char *division = s->town_level ? town->p.code : COUNTY;
    double lon, lat;
    near(d, &town->p, 0.006, &lon, &lat);
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:s}", "name",
                           s->name, "kind", s->kind, "specialties", s->specialties, "division_code",
                           division, "leader", s->leader, "phone", s->phone, "address", s->address,
                           "lon", lon, "lat", lat, "equipment_summary", s->equipment_summary,
                           "readiness", s->readiness, "live_status", s->live_status);
    json_int_t org = org_named(d, s->org);
    if (org)
        json_object_set_new(in, "org_id", json_integer(org));
    json_int_t team = 0;
    if (create(d, &teams_entity, 0, in, &team, err) < 0)
        return -1;
    for (int i = 0; i < s->members; i++) {
        int ncert = rng_range(&d->rng, 1, 2), c0 = rng_range(&d->rng, 0, 3);
        const char *certs = ncert == 1 ? s->certificates[c0]
                                       : arena_printf(d->tx->arena, "%s、%s", s->certificates[c0],
                                                      s->certificates[(c0 + 1) % 4]);
        double u = rng_unit(&d->rng);
        json_t *m =
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "team_id", team, "name",
                      i == 0 ? s->leader : person(d), "role", member_role(s, i), "phone", mobile(d),
                      "specialty", s->member_specialties[rng_range(&d->rng, 0, 3)], "certificates",
                      certs, "cert_expiry", date_between(d, 2025, 5), "status",
                      u < 0.88   ? "on_duty"
                      : u < 0.96 ? "off_duty"
                                 : "deployed");
        if (create(d, &team_members_entity, 1, m, NULL, err) < 0)
            return -1;
    }
    Place base = {division, s->name, lon, lat};
    for (int k = 0; k < NKIT; k++)
        if (add_equipment(d, &s->kit[k], s->name, team, division, &base, s->address, err) < 0)
            return -1;
    return 0;
}

/* Every town's 应急管理所 keeps four kinds of small equipment. */
static const EquipSpec town_kit[] = {
    {"汽油发电机", "power", "5kW", "台", 1, 3},
    {"移动照明灯", "power", NULL, "台", 2, 4},
    {"抽水泵", "drainage", "QDX15", "台", 2, 4},
    {"卫星电话", "communication", "天通 T900", "部", 1, 2},
    {"巡查无人机", "drone", "大疆 Mini 4 Pro", "架", 1, 1},
    {"风力灭火机", "forest", "6MF-30", "台", 2, 6},
    {"救生衣", "water", NULL, "件", 20, 40},
    {"应急广播（大喇叭）", "communication", NULL, "套", 4, 12},
};

static int add_town_equipment(Demo *d, Error *err)
{
    for (int t = 0; t < d->ntowns; t++) {
        const Town *town = &d->towns[t];
        const char *owner = arena_printf(d->tx->arena, "%s应急管理所", town->p.name);
        const char *where = arena_printf(d->tx->arena, "%s应急物资储备点", town->p.name);
        for (int k = 0; k < 4; k++)
            if (add_equipment(d, &town_kit[(t + 2 * k) % COUNT(town_kit)], owner, 0, town->p.code,
                              &town->p, where, err) < 0)
                return -1;
    }
    return 0;
}

/* ---- experts ----------------------------------------------------------------------------- */

typedef struct FieldSpec {
    const char *field;
    int count;
    const char *employers[4];
    const char *employer_towns[4]; /* NULL: a county body in the county seat */
    const char *specialties[4];
    const char *titles[4];
} FieldSpec;

#define ENG_TITLES                                                                                 \
    {                                                                                              \
        "正高级工程师", "高级工程师", "工程师", "高级工程师"                                  \
    }

static const FieldSpec field_specs[] = {
    {"geology",
     26,
     {"云岭县自然资源局", "甘肃省地矿局第六地质矿产勘查院", "云岭县地质灾害防治中心",
      "金昌市自然资源局"},
     {NULL, "石门镇", NULL, NULL},
     {"滑坡与泥石流监测", "地质灾害危险性评估", "崩塌防治工程", "工程地质勘察"},
     ENG_TITLES},
    {"flood",
     24,
     {"云岭县水务局", "云岭县水利工程建设管理站", "金昌市水务局", "云岭县河西灌区管理所"},
     {NULL, NULL, NULL, "河西镇"},
     {"山洪灾害防御", "水库大坝安全", "堤防抢险", "抗旱水源调度"},
     ENG_TITLES},
    {"forest_fire",
     22,
     {"云岭县林业和草原局", "马营乡林业工作站", "祁连山国家公园云岭管护站",
      "云岭县森林草原防灭火指挥部办公室"},
     {NULL, "马营乡", "马营乡", NULL},
     {"林火行为分析", "以水灭火战术", "森林草原火险预警", "扑火安全"},
     {"林业正高级工程师", "林业高级工程师", "林业工程师", "助理工程师"}},
    {"hazchem",
     24,
     {"云岭县应急管理局", "金昌化工园区云岭片区管委会", "云岭县安全生产技术服务中心",
      "甘肃金川化工有限公司云岭分厂"},
     {NULL, "沙河镇", NULL, "沙河镇"},
     {"危险化学品泄漏处置", "重大危险源评估", "化工工艺安全", "职业卫生"},
     {"注册安全工程师", "高级工程师", "正高级工程师", "工程师"}},
    {"mining",
     28,
     {"云岭县青石矿业有限公司", "云岭县矿山应急救援队", "金川集团股份有限公司", "云岭县应急管理局"},
     {"青石镇", "青石镇", NULL, NULL},
     {"矿井通风与瓦斯防治", "矿井水害防治", "顶板管理", "矿山救护"},
     ENG_TITLES},
    {"fire",
     20,
     {"云岭县消防救援大队", "金昌市消防救援支队", "云岭县消防救援大队东关站", "云岭县消防安全协会"},
     {NULL, NULL, "东关街道", NULL},
     {"火灾调查", "灭火救援指挥", "高层建筑灭火", "危化品火灾处置"},
     {"高级专业技术职务", "中级专业技术职务", "消防救援站站长", "高级工程师"}},
    {"medical",
     36,
     {"云岭县人民医院", "云岭县中医医院", "云岭县疾病预防控制中心", "青石镇卫生院"},
     {"东关街道", "城关街道", NULL, "青石镇"},
     {"急诊医学", "创伤外科", "重症医学", "传染病防控"},
     {"主任医师", "副主任医师", "主治医师", "主管护师"}},
    {"weather",
     12,
     {"云岭县气象局", "金昌市气象局", "云岭县人工影响天气办公室", "云岭县气象局"},
     {"东关街道", NULL, NULL, "东关街道"},
     {"短时临近预报", "强对流天气", "农业气象", "人工增雨"},
     ENG_TITLES},
    {"earthquake",
     10,
     {"云岭县地震局", "金昌市地震局", "甘肃省地震局金昌地震台", "云岭县地震局"},
     {NULL, NULL, NULL, NULL},
     {"地震监测", "震害评估", "建筑抗震鉴定", "地震应急"},
     ENG_TITLES},
    {"engineering",
     24,
     {"云岭县住房和城乡建设局", "云岭县路桥工程有限公司", "云岭县交通运输局",
      "甘肃路桥建设集团云岭项目部"},
     {NULL, "东关街道", NULL, "永丰镇"},
     {"房屋安全鉴定", "桥梁抢修", "道路抢通", "建筑结构"},
     ENG_TITLES},
    {"traffic",
     14,
     {"云岭县交通运输局", "云岭县公安局交通管理大队", "云岭县公路管理段", "云岭县汽车运输有限公司"},
     {NULL, NULL, "沙河镇", NULL},
     {"道路交通事故救援", "交通管制", "危险货物运输", "公路养护"},
     {"高级工程师", "一级警长", "工程师", "高级经济师"}},
    {"power",
     12,
     {"国网云岭县供电公司", "中国移动云岭分公司", "中国电信云岭分公司", "云岭县工业和信息化局"},
     {NULL, NULL, NULL, NULL},
     {"电网抢修", "应急通信保障", "配电自动化", "卫星通信"},
     ENG_TITLES},
    {"psychology",
     15,
     {"云岭县人民医院心理科", "河西学院心理健康教育中心", "云岭县第一中学", "云岭县妇幼保健院"},
     {"东关街道", NULL, NULL, NULL},
     {"心理危机干预", "创伤后应激障碍", "儿童心理", "团体心理辅导"},
     {"主任医师", "副教授", "心理咨询师", "副主任医师"}},
    {"management",
     10,
     {"云岭县应急管理局", "云岭县人民政府办公室", "云岭县发展和改革局", "云岭县民政局"},
     {NULL, NULL, NULL, NULL},
     {"应急预案管理", "应急指挥", "灾害救助", "风险评估"},
     {"四级调研员", "高级经济师", "一级主任科员", "高级工程师"}},
};

static const char *const past_incidents[] = {
    "2022 年 7 月城区暴雨内涝",     "2023 年 8 月石门镇山洪",
    "2024 年 3 月青石矿区透水事故", "2024 年 9 月 G312 线危化品运输车泄漏",
    "2025 年 4 月马营乡森林火灾",   "2025 年 6 月河西镇冰雹灾害",
    "2025 年 11 月南滩乡滑坡",      "2026 年 5 月全县综合应急演练",
};

static const char *incidents_served(Demo *d, int n)
{
    if (n == 0)
        return NULL;
    int k = n < 3 ? n : 3, start = rng_range(&d->rng, 0, COUNT(past_incidents) - 1);
    const char *s = past_incidents[start];
    for (int i = 1; i < k; i++)
        s = arena_printf(d->tx->arena, "%s、%s", s,
                         past_incidents[(start + i * 3) % COUNT(past_incidents)]);
    return s;
}

static int add_experts(Demo *d, Error *err)
{
    for (int f = 0; f < COUNT(field_specs); f++) {
        const FieldSpec *s = &field_specs[f];
        for (int i = 0; i < s->count; i++) {
            int e = rng_range(&d->rng, 0, 3);
            const char *tn = s->employer_towns[e];
            const Town *town = town_named(d, tn ? tn : (i % 2 ? "东关街道" : "城关街道"));
            double lon, lat, u = rng_unit(&d->rng);
            near(d, &town->p, 0.01, &lon, &lat);
            int served = rng_range(&d->rng, 0, 12) * (rng_unit(&d->rng) < 0.7);
            json_t *in = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:i, s:s?}", "name", person(d),
                "field", s->field, "specialty", s->specialties[rng_range(&d->rng, 0, 3)], "title",
                s->titles[rng_range(&d->rng, 0, 3)], "employer", s->employers[e], "phone",
                mobile(d), "division_code", tn ? town->p.code : COUNTY, "availability",
                u < 0.85   ? "available"
                : u < 0.95 ? "busy"
                           : "unavailable",
                "lon", lon, "lat", lat, "served_count", served, "served_incidents",
                incidents_served(d, served));
            if (create(d, &experts_entity, 2, in, NULL, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- heavy machinery --------------------------------------------------------------------- */

typedef struct Owner {
    const char *name, *phone, *town;
} Owner;

static const Owner machine_companies[] = {
    {"云岭县宏达工程机械租赁有限公司", "0935-6218801", "城关街道"},
    {"云岭县路桥工程有限公司", "0935-6218802", "东关街道"},
    {"金昌顺安建筑工程有限公司云岭分公司", "0935-6218803", "东关街道"},
    {"云岭县青石矿业有限公司", "0935-6210280", "青石镇"},
    {"云岭县永丰建材有限公司", "0935-6218805", "永丰镇"},
    {"云岭县河西砂石有限公司", "0935-6218806", "河西镇"},
    {"云岭县石门水泥有限公司", "0935-6218807", "石门镇"},
    {"云岭县沙河运输有限公司", "0935-6218808", "沙河镇"},
};

typedef struct MachineKind {
    const char *kind, *label;
    int count;
    const char *models[3];
} MachineKind;

static const MachineKind machine_kinds[] = {
    {"excavator", "挖掘机", 14, {"三一 SY215C", "徐工 XE215DA", "卡特彼勒 320GC"}},
    {"loader", "装载机", 10, {"柳工 CLG856H", "徐工 LW500FV", "临工 L956F"}},
    {"crane", "汽车吊", 5, {"徐工 QY25K5", "三一 STC250", "中联 ZTC250"}},
    {"bulldozer", "推土机", 4, {"山推 SD16", "山推 SD22", "山推 SD16"}},
    {"dump_truck", "自卸车", 5, {"陕汽德龙 X3000", "重汽豪沃 T5G", "东风天龙 KC"}},
    {"grader", "平地机", 1, {"徐工 GR165", "徐工 GR165", "徐工 GR165"}},
    {"forklift", "叉车", 1, {"合力 CPCD50", "合力 CPCD50", "合力 CPCD50"}},
};

static int add_machinery(Demo *d, Error *err)
{
    int n = 0;
    for (int k = 0; k < COUNT(machine_kinds); k++) {
        const MachineKind *mk = &machine_kinds[k];
        for (int i = 0; i < mk->count; i++, n++) {
            int company = n % 5 != 4; /* four in five belong to companies */
            const Owner *o = &machine_companies[n % COUNT(machine_companies)];
            const Town *town = company ? town_named(d, o->town) : &d->towns[(n * 7) % d->ntowns];
            const char *owner =
                company ? o->name : arena_printf(d->tx->arena, "%s（个体）", person(d));
            const char *model = mk->models[rng_range(&d->rng, 0, 2)];
            double lon, lat, u = rng_unit(&d->rng);
            near(d, &town->p, 0.012, &lon, &lat);
            json_t *in = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:f, s:f, s:s, s:b}", "name",
                arena_printf(d->tx->arena, "%s %s", model, mk->label), "kind", mk->kind, "model",
                model, "owner", owner, "owner_type", company ? "company" : "individual",
                "owner_phone", company ? o->phone : mobile(d), "quantity",
                company ? rng_range(&d->rng, 1, 4) : 1, "division_code", town->p.code, "address",
                arena_printf(d->tx->arena, "云岭县%s%s", town->p.name,
                             company ? "公司停车场" : "村民自家院内"),
                "lon", lon, "lat", lat, "state",
                u < 0.8   ? "available"
                : u < 0.9 ? "deployed"
                          : "maintenance",
                "agreement", company ? 1 : rng_unit(&d->rng) < 0.5);
            if (create(d, &machinery_entity, 4, in, NULL, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- helicopter landing points ----------------------------------------------------------- */

typedef struct HelipadSpec {
    const char *name, *kind, *town, *size, *surface, *aircraft;
    int night;
    const char *manager, *phone;
} HelipadSpec;

static const HelipadSpec helipad_specs[] = {
    {"县体育场直升机临时起降点", "temporary", "城关街道", "60×60 米", "草坪",
     "中型直升机（AC313 及以下）", 0, "云岭县体育中心", "0935-6210501"},
    {"云岭县人民医院楼顶停机坪", "rooftop", "东关街道", "25×25 米", "混凝土",
     "轻型直升机（AW119 及以下）", 1, "云岭县人民医院", "0935-6210502"},
    {"马营乡航空护林直升机起降点", "permanent", "马营乡", "50×50 米", "混凝土",
     "中型直升机（米-171 及以下）", 0, "云岭县林业和草原局", "0935-6210503"},
    {"青石镇矿区直升机起降点", "permanent", "青石镇", "40×40 米", "混凝土",
     "中型直升机（AC313 及以下）", 1, "云岭县青石矿业有限公司", "0935-6210504"},
};

static int add_helipads(Demo *d, Error *err)
{
    for (int i = 0; i < COUNT(helipad_specs); i++) {
        const HelipadSpec *h = &helipad_specs[i];
        const Town *town = town_named(d, h->town);
        double lon, lat;
        near(d, &town->p, 0.008, &lon, &lat);
        json_t *in = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:f, s:f, s:s, s:s, s:s}", "name", h->name,
            "kind", h->kind, "size", h->size, "surface", h->surface, "max_aircraft", h->aircraft,
            "night_capable", h->night, "division_code", town->p.code, "address",
            arena_printf(d->tx->arena, "云岭县%s", town->p.name), "lon", lon, "lat", lat, "manager",
            h->manager, "phone", h->phone, "state", "available");
        if (create(d, &helipads_entity, 5, in, NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- transport capacity ------------------------------------------------------------------ */

typedef struct TransportSpec {
    const char *owner, *kind;
    int vehicles;
    double tons;
    int seats;
    const char *town, *phone;
} TransportSpec;

static const TransportSpec transport_specs[] = {
    {"云岭县顺达物流有限公司", "cargo", 12, 96, 0, "城关街道", "0935-6218901"},
    {"云岭县公共交通有限公司", "bus", 30, 0, 1050, "东关街道", "0935-6218902"},
    {"云岭县汽车运输有限公司", "bus", 18, 0, 810, "城关街道", "0935-6218903"},
    {"中国邮政集团有限公司云岭县分公司", "van", 8, 16, 0, "东关街道", "0935-6218904"},
    {"云岭县鲜达冷链物流有限公司", "cold_chain", 4, 20, 0, "东关街道", "0935-6218905"},
    {"云岭县沙河运输有限公司", "cargo", 15, 180, 0, "沙河镇", "0935-6218808"},
    {"云岭县永丰建材有限公司车队", "flatbed", 6, 180, 0, "永丰镇", "0935-6218805"},
    {"云岭县供水有限公司", "tanker", 3, 30, 0, "城关街道", "0935-6218908"},
    {"云岭县城乡客运站", "bus", 12, 0, 420, "河西镇", "0935-6218909"},
    {"云岭县青石矿业有限公司车队", "cargo", 10, 300, 0, "青石镇", "0935-6210280"},
};

static int add_transport(Demo *d, Error *err)
{
    int ncompanies = COUNT(transport_specs);
    for (int i = 0; i < ncompanies + 10; i++) {
        TransportSpec s;
        if (i < ncompanies) {
            s = transport_specs[i];
        } else { /* individual owners in the towns, one to three lorries each */
            int v = rng_range(&d->rng, 1, 3);
            s = (TransportSpec){arena_printf(d->tx->arena, "%s（个体运输户）", person(d)),
                                "cargo",
                                v,
                                v * (double)rng_range(&d->rng, 8, 30),
                                0,
                                d->towns[(i * 5) % d->ntowns].p.name,
                                NULL};
        }
        const Town *town = town_named(d, s.town);
        double lon, lat, u = rng_unit(&d->rng);
        near(d, &town->p, 0.01, &lon, &lat);
        json_t *in = json_pack(
            "{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:b}", "owner", s.owner,
            "owner_type", i < ncompanies ? "company" : "individual", "vehicle_kind", s.kind,
            "vehicle_count", s.vehicles, "contact", person(d), "phone",
            s.phone ? s.phone : mobile(d), "division_code", town->p.code, "address",
            arena_printf(d->tx->arena, "云岭县%s", town->p.name), "lon", lon, "lat", lat, "state",
            u < 0.85 ? "available" : "deployed", "agreement", i < ncompanies);
        if (s.tons > 0)
            json_object_set_new(in, "capacity_tons", json_real(s.tons));
        if (s.seats > 0)
            json_object_set_new(in, "seats", json_integer(s.seats));
        if (create(d, &transport_entity, 6, in, NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- shelters ---------------------------------------------------------------------------- */

typedef struct ShelterKind {
    const char *suffix, *kind, *level;
    int water, power, medical, toilet;
} ShelterKind;

static const ShelterKind shelter_kinds[] = {
    {"人民公园应急避难场所", "outdoor", "central", 1, 1, 1, 1},
    {"体育场应急避难场所", "outdoor", "fixed", 1, 1, 0, 1},
    {"中心小学体育馆避难场所", "indoor", "fixed", 1, 1, 1, 1},
    {"文化广场应急避难场所", "outdoor", "emergency", 1, 0, 0, 1},
    {"中学操场避难场所", "outdoor", "emergency", 1, 1, 0, 1},
    {"综合文化站避难场所", "indoor", "emergency", 1, 1, 0, 1},
    {"滨河公园应急避难场所", "outdoor", "fixed", 1, 0, 0, 1},
};

/* Towns (by the last three digits of their code) whose shelters reach 1.5 ㎡ per person. */
static int town_meets_target(const char *code)
{
    static const char *const meets[] = {"001", "100", "101", "102", "106"};
    size_t n = strlen(code);
    for (int i = 0; i < COUNT(meets); i++)
        if (n == 9 && strcmp(code + 6, meets[i]) == 0)
            return 1;
    return 0;
}

static int shelters_in(const Town *t)
{
    size_t n = strlen(t->p.code);
    if (n == 9 && strcmp(t->p.code + 6, "001") == 0)
        return 4;
    if (n == 9 && strcmp(t->p.code + 6, "002") == 0)
        return 3;
    return 2;
}

static int add_shelters(Demo *d, Error *err)
{
    for (int t = 0; t < d->ntowns; t++) {
        const Town *town = &d->towns[t];
        int n = shelters_in(town);
        /* 南滩乡's second shelter is closed for renovation and counts for nothing */
        int closed = strcmp(town->p.code + strlen(town->p.code) - 3, "202") == 0 ? n - 1 : -1;
        double factor = town_meets_target(town->p.code) ? 1.6 + 0.5 * rng_unit(&d->rng)
                                                        : 0.4 + 0.8 * rng_unit(&d->rng);
        /* indoor halls and closed sites have their own modest size; the outdoor sites share
         * what the town's target factor asks for */
        double areas[8], weights[8], wsum = 0, fixed = 0;
        for (int j = 0; j < n; j++) {
            const ShelterKind *k = &shelter_kinds[(t + j) % COUNT(shelter_kinds)];
            weights[j] = 0;
            if (j == closed || strcmp(k->kind, "indoor") == 0) {
                areas[j] = 800 + 100 * rng_range(&d->rng, 0, 20);
                if (j != closed)
                    fixed += areas[j];
            } else {
                wsum += weights[j] = 0.6 + 0.8 * rng_unit(&d->rng);
            }
        }
        double outdoor = factor * (double)town->population - fixed;
        for (int j = 0; j < n; j++) {
            const ShelterKind *k = &shelter_kinds[(t + j) % COUNT(shelter_kinds)];
            const Place *at = town->nvillages ? &town->villages[j % town->nvillages] : &town->p;
            double area = weights[j] > 0 ? outdoor * weights[j] / wsum : areas[j];
            area = ceil(area / 10) * 10;
            double lon, lat;
            near(d, at, 0.003, &lon, &lat);
            json_t *in = json_pack(
                "{s:s, s:s, s:s, s:I, s:f, s:b, s:b, s:b, s:b, s:s, s:s, s:f, s:f, s:s, s:s, "
                "s:s}",
                "name", arena_printf(d->tx->arena, "%s%s", town->p.name, k->suffix), "kind",
                k->kind, "level", k->level, "capacity_people",
                (json_int_t)(area / RESOURCES_SHELTER_TARGET_M2 / 10) * 10, "area_m2", area,
                "has_water", k->water, "has_power", k->power, "has_medical", k->medical,
                "has_toilet", k->toilet, "address",
                arena_printf(d->tx->arena, "云岭县%s%s", town->p.name, at->name), "division_code",
                at->code, "lon", lon, "lat", lat, "status", j == closed ? "closed" : "standby",
                "manager", person(d), "phone", mobile(d));
            if (j == closed)
                json_object_set_new(in, "remarks", json_string("升级改造中，预计 2027 年重新启用"));
            if (create(d, &shelters_entity, 7, in, NULL, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- the hook ---------------------------------------------------------------------------- */

int resources_demo(Tx *tx, Error *err)
{
    Demo *d = arena_alloc(tx->arena, sizeof *d);
    d->tx = tx;
    d->rng.s = SEED;
    if (load_county(d, err) < 0)
        return -1;
    for (int i = 0; i < COUNT(team_specs); i++)
        if (add_team(d, &team_specs[i], err) < 0)
            return -1;
    if (add_town_equipment(d, err) < 0 || add_experts(d, err) < 0 || add_machinery(d, err) < 0 ||
        add_helipads(d, err) < 0 || add_transport(d, err) < 0 || add_shelters(d, err) < 0)
        return -1;
    fprintf(stderr,
            "应急资源: 救援队伍 %d, 队员 %d, 专家 %d, 装备 %d, 重型机械 %d, 直升机起降点 %d, "
            "运力 %d, 避难场所 %d\n",
            d->created[0], d->created[1], d->created[2], d->created[3], d->created[4],
            d->created[5], d->created[6], d->created[7]);
    return 0;
}
