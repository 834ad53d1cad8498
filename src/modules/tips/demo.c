/* modules/tips — the demo county's public tips (Module.demo).
 *
 * 30 tips received over the last 30 days (clock_now) from the 12345 hotline, the reporting
 * phone, the website, visits and letters, spread over the towns (青石镇 gets several), each
 * moved through the workflow as far as its turn says: some only registered, some handed to
 * their town office (交办), some transferred to another town or a county department (转办),
 * some handled, answered back, and the true ones rewarded. Deterministic. */
#include "modules/tips/tips.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTIPS 30
#define MAX_ORGS 32
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct TipText {
    const char *event_type, *content, *place;
} TipText;

static const TipText texts[] = {
    {"非法开采", "有人夜间在河道附近用挖掘机非法采砂，运砂车辆超载，路面破损严重。", "河道采砂点"},
    {"违规动火作业", "某加工厂在车间内电焊作业，旁边堆放油漆桶，无人监护，也没有灭火器。",
     "工业园区加工厂"},
    {"消防通道堵塞", "小区消防通道长期被私家车和杂物占用，消防车无法通行。", "小区北门"},
    {"危险化学品非法储存", "居民楼下仓库存放大量液化气罐和油桶，疑似无证经营。", "居民楼底商"},
    {"非法经营烟花爆竹", "临街商铺私自囤积销售烟花爆竹，没有经营许可。", "集贸市场临街商铺"},
    {"尾矿库安全隐患", "尾矿库坝体有渗水，夜间有车辆往库区倾倒废渣。", "矿区尾矿库"},
    {"建筑施工隐患", "在建工地高处作业工人不系安全带，脚手架没有防护网。", "在建住宅工地"},
    {"燃气安全隐患", "餐馆后厨燃气管道老化，经常闻到燃气味，老板不予维修。", "街边餐馆"},
    {"瞒报事故", "某砂石场上月有工人受伤被送医，企业私下赔偿没有上报。", "砂石场"},
    {"疏散通道锁闭", "商场营业期间安全出口上锁，疏散指示灯不亮。", "百货商场"},
    {"道路运输超员", "农村客运车辆经常超员，早晚学生乘车时尤其严重。", "乡村公路客运站点"},
    {"地质灾害隐患", "村后山坡出现裂缝，雨后有碎石滚落，威胁坡下几户人家。", "村后山坡"},
};

static const char *const sources[] = {"hotline", "phone", "website", "visit", "letter", "wechat"};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "马", "周", "吴"};
static const char *const given[] = {"先生", "女士"};

typedef struct Org {
    json_int_t id;
    const char *name, *division, *kind, *place; /* place: the division's name */
} Org;

static int load_orgs(Tx *tx, Org *orgs, int *n, Error *err)
{
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT o.id, o.name, o.division_code, o.kind, d.name FROM orgs o"
                    " LEFT JOIN divisions d ON d.code = o.division_code"
                    " WHERE o.division_code LIKE '620390%'"
                    " AND o.kind IN ('emergency_bureau', 'government', 'town_office')"
                    " ORDER BY o.division_code, o.id",
                    NULL, 0, &rows, err) < 0)
        return -1;
    *n = 0;
    for (int i = 0; i < rows.nrows && *n < MAX_ORGS; i++)
        orgs[(*n)++] =
            (Org){atoll(db_cell(&rows, i, 0)), db_cell(&rows, i, 1), db_cell(&rows, i, 2),
                  db_cell(&rows, i, 3), db_cell(&rows, i, 4) ? db_cell(&rows, i, 4) : ""};
    return 0;
}

static const Org *town_office(const Org *orgs, int n, int k)
{
    int seen = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++)
            if (strcmp(orgs[i].kind, "town_office") == 0 && seen++ >= k)
                return &orgs[i];
    return &orgs[0];
}

static int count_towns(const Org *orgs, int n)
{
    int t = 0;
    for (int i = 0; i < n; i++)
        t += strcmp(orgs[i].kind, "town_office") == 0;
    return t;
}

static const Org *department(const Org *orgs, int n, int k)
{
    int deps = 0;
    for (int i = 0; i < n; i++)
        deps += strcmp(orgs[i].kind, "government") == 0;
    for (int i = 0, seen = 0; deps && i < n; i++)
        if (strcmp(orgs[i].kind, "government") == 0 && seen++ == k % deps)
            return &orgs[i];
    return &orgs[0];
}

static int step(Tx *tx, const char *key, const char *action, json_t *input, Error *err)
{
    int rc = tips_act(tx, key, action, input, NULL, err);
    if (rc < 0)
        log_error("tips demo: %s %s: %s", action, key, err->message_en);
    json_decref(input);
    return rc;
}

static int demo_tip(Tx *tx, const Org *orgs, int norgs, int i, Error *err)
{
    int ntowns = count_towns(orgs, norgs);
    /* 青石镇 (the first town office after the two 街道) gets every fourth tip */
    int t = i % 4 == 0 ? 2 % ntowns : (i * 5) % ntowns;
    const Org *town = town_office(orgs, norgs, t);
    const TipText *tt = &texts[i % COUNT(texts)];
    char at[32];
    clock_format_iso(clock_now() - (int64_t)(NTIPS - i) * 86400 + (i % 7) * 3600, at, sizeof at);
    const char *source = sources[i % COUNT(sources)];
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "received_at", at, "source", source,
                           "content", tt->content, "address",
                           arena_printf(tx->arena, "云岭县%s%s", town->place, tt->place),
                           "division_code", town->division, "event_type", tt->event_type);
    if (i % 5 == 4) {
        json_object_set_new(in, "anonymous", json_true());
    } else {
        json_object_set_new(
            in, "tipster_name",
            json_string(arena_printf(tx->arena, "%s%s", surnames[i % COUNT(surnames)],
                                     given[i % COUNT(given)])));
        json_object_set_new(in, "tipster_phone",
                            json_string(arena_printf(tx->arena, "1379935%04d", 1000 + i * 37)));
    }
    json_t *out = NULL;
    int rc = entity_create(tx, &tips_entity, in, &out, err);
    json_decref(in);
    if (rc < 0) {
        log_error("tips demo: create: %s", err->message_en);
        return -1;
    }
    const char *key = arena_printf(tx->arena, "%" JSON_INTEGER_FORMAT,
                                   json_integer_value(json_object_get(out, "id")));
    json_decref(out);
    int turn = i % 6, verified = i % 3 != 0;
    if (turn == 0)
        return 0;
    if (turn == 2) { /* 转办: to another town or a county department */
        const Org *to =
            i % 4 == 2 ? department(orgs, norgs, i) : town_office(orgs, norgs, (t + 1) % ntowns);
        return step(tx, key, "transfer",
                    json_pack("{s:I, s:s}", "org_id", to->id, "note", "属地管理，请依职责核查处理"),
                    err);
    }
    if (step(tx, key, "assign",
             json_pack("{s:I, s:s}", "org_id", town->id, "note", "请于 7 日内核查并反馈"), err) < 0)
        return -1;
    if (turn == 1)
        return 0;
    if (step(tx, key, "handle",
             json_pack("{s:s, s:b}", "result",
                       verified ? "经现场核查，举报情况属实，已责令整改并依法立案处理。"
                                : "经现场核查，未发现举报所述问题，已做好解释工作。",
                       "verified", verified),
             err) < 0)
        return -1;
    if (turn == 3)
        return 0;
    if (i % 5 != 4 && step(tx, key, "answer",
                           json_pack("{s:s, s:s}", "answer",
                                     "您反映的问题已核查处理，感谢您对安全生产工作的监督。",
                                     "channel", i % 2 ? "phone" : "sms"),
                           err) < 0)
        return -1;
    if (verified && turn == 5)
        return step(tx, key, "reward", json_pack("{s:f}", "reward_amount", 500.0 + 100 * (i % 5)),
                    err);
    return 0;
}

int tips_demo(Tx *tx, Error *err)
{
    Org orgs[MAX_ORGS];
    int n = 0;
    if (load_orgs(tx, orgs, &n, err) < 0)
        return -1;
    if (count_towns(orgs, n) == 0)
        return error_internal(err, "tips demo: the demo county's town offices are missing");
    for (int i = 0; i < NTIPS; i++)
        if (demo_tip(tx, orgs, n, i, err) < 0)
            return -1;
    fprintf(stderr, "  举报线索 %d\n", NTIPS);
    return 0;
}
