/* modules/plans — the demo county's contingency plans (Module.demo).
 *
 * The 五级三类 system of 000 第五章第一节 at the scale of a county: the county's 总体预案, its
 * special plans (防汛抗旱, 地质灾害, 森林草原火灾, 危险化学品, 矿山, 地震, 道路交通 …), the
 * bureaus' department plans, the towns' and villages' plans, enterprises' 综合预案, 现场处置方案
 * and 应急处置卡, and two plans of the city above. Each plan has response steps for the levels
 * it covers (I–IV), written from its family's units and actions. Filing states are mixed
 * (草稿, 已报送, 已备案, 退回, and filed plans revised into a second version), and some
 * revisions are overdue, so the statistics show areas below the 100% target. Everything goes
 * through the entity engine and the filing workflow as the demo's actor (validated, audited,
 * with history); revision dates are relative to the day the demo is loaded. */
#include "modules/plans/plans_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct Family {
    const char *key;
    const char *scope;       /* 适用范围, with the family's words for search */
    const char *event_types; /* comma-separated codes; "" = general */
    const char *org[4];      /* responsible units of steps 1..4 */
    const char *action[4];
    const char *resources;
} Family;

static const Family families[] = {
    {"overall",
     "适用于本行政区域内自然灾害、事故灾难、公共卫生事件和社会安全事件等各类突发事件的应对工作，"
     "是组织应对各类突发事件的总体制度安排",
     "",
     {"县应急委员会", "云岭县应急管理局", "云岭县卫生健康局", "云岭县公安局"},
     {"县应急委员会主任宣布启动应急响应，成立现场指挥部，统一指挥各方力量",
      "汇总事件信息，按规定时限向上级报告，调度救援队伍和应急物资",
      "组织紧急医学救援，设立临时医疗点，转运伤员",
      "实施现场警戒和交通管制，维护社会治安，疏导群众"},
     "综合性消防救援队伍、专业救援队伍、县级应急物资储备库、避难场所"},
    {"flood",
     "适用于本县行政区域内暴雨、洪水、山洪、城镇内涝、干旱等水旱灾害的防御和应急处置",
     "11A01,11A02,11A51,11A52,11B03",
     {"县防汛抗旱指挥部办公室", "云岭县水务局", "云岭县气象局", "云岭县应急管理局"},
     {"发布暴雨洪水预警，启动防汛应急响应，防汛责任人上岗到位",
      "加强水库、堤防、淤地坝巡查，落实 24 小时值守，必要时开闸泄洪",
      "加密雨情监测，滚动发布暴雨预报和山洪风险预警",
      "组织转移受威胁群众至避难场所，调度冲锋舟、救生衣、编织袋等防汛物资"},
     "冲锋舟 6 艘、编织袋 5 万条、抽水泵 20 台、防汛抢险队 4 支"},
    {"geo",
     "适用于本县行政区域内滑坡、泥石流、山体崩塌、地面塌陷等地质灾害的应急处置",
     "11D01,11D02,11D03,11D04",
     {"县地质灾害应急指挥部", "云岭县自然资源局", "云岭县应急管理局", "云岭县交通运输局"},
     {"启动地质灾害应急响应，划定危险区，组织受威胁群众撤离",
      "派出专业技术人员开展应急调查，监测灾害体变形，研判发展趋势",
      "调派救援队伍搜救被困人员，设置安置点", "抢通受损道路，设置警示标志和绕行方案"},
     "地质灾害监测预警设备、群测群防员 165 名、挖掘机 8 台"},
    {"forest",
     "适用于本县林区、草原发生的森林草原火灾的扑救和应急处置",
     "11G01,11G04,11G05",
     {"县森林草原防灭火指挥部", "云岭县消防救援大队", "云岭县气象局", "云岭县公安局"},
     {"启动森林草原火灾应急响应，设立前线指挥部，划分扑救区域",
      "调派专业扑火队伍和消防救援力量，实施以水灭火和隔离带开设",
      "开展火场气象保障，适时实施人工增雨", "封控火场周边道路，疏散林区周边群众，开展火案侦查"},
     "风力灭火机 80 台、以水灭火设备 12 套、专业扑火队 2 支"},
    {"chem",
     "适用于本县危险化学品生产、储存、使用、经营、运输过程中发生的泄漏、火灾、爆炸、中毒等事故",
     "12D00,12D01,12D02,12D03,12D04",
     {"县危险化学品事故应急指挥部", "云岭县消防救援大队", "云岭县应急管理局", "云岭县卫生健康局"},
     {"启动危险化学品事故应急响应，确定警戒区和疏散范围，开展环境监测",
      "开展堵漏、洗消、冷却、灭火等专业处置，严防次生灾害",
      "组织专家会商，核查企业重大危险源和周边敏感目标", "救治中毒和灼烫伤员，指导周边群众防护"},
     "危化品处置车、堵漏器材、防化服、洗消设备、应急监测车"},
    {"mine",
     "适用于本县煤矿、金属与非金属矿山发生的透水、瓦斯、顶板、中毒窒息、尾矿库溃坝等事故",
     "12A00,12B00,12B02,12B03,12B04",
     {"县矿山事故应急指挥部", "云岭县矿山应急救援队", "云岭县应急管理局", "云岭县卫生健康局"},
     {"启动矿山事故应急响应，核清井下人数，组织撤人停产",
      "矿山救护队下井侦察、通风排水、搜救被困人员", "组织专家制定救援方案，协调大型排水和钻探设备",
      "开展伤员救治和心理疏导"},
     "矿山救护车、正压氧气呼吸器、大流量排水泵、生命探测仪"},
    {"quake",
     "适用于本县行政区域内发生的地震灾害和县外发生对本县造成重大影响的地震的应急处置",
     "11C02",
     {"县抗震救灾指挥部", "云岭县应急管理局", "云岭县住房和城乡建设局", "云岭县卫生健康局"},
     {"启动地震应急响应，开展震情灾情速报，组织抗震救灾",
      "调派救援力量开展人员搜救，开放避难场所，调拨帐篷和生活物资",
      "组织房屋建筑安全鉴定，排查危房和次生灾害隐患", "开展医疗救治和卫生防疫"},
     "帐篷 2000 顶、折叠床、生命探测仪、地震救援队"},
    {"road",
     "适用于本县境内国省道、县乡道路发生的重特大道路交通事故和危险品运输车辆事故",
     "12H00,12H01,12H02,12H04",
     {"云岭县公安局", "云岭县交通运输局", "云岭县卫生健康局", "云岭县消防救援大队"},
     {"实施交通管制和现场保护，组织车辆分流", "调派清障车辆和抢修力量，恢复道路通行",
      "开展伤员现场急救和转运", "破拆救援被困人员，处置车辆起火"},
     "清障车、破拆工具、急救车"},
    {"fire",
     "适用于本县城乡建筑火灾、人员密集场所火灾和高层建筑火灾的扑救与应急处置",
     "12G00,12G03,12G04,12G06",
     {"云岭县消防救援大队", "云岭县公安局", "云岭县卫生健康局", "云岭县住房和城乡建设局"},
     {"调派灭火救援力量，组织人员疏散和火灾扑救", "设置警戒，维护现场秩序，开展火灾调查",
      "组织伤员救治", "组织建筑结构安全评估"},
     "水罐消防车、登高平台车、空气呼吸器"},
    {"weather",
     "适用于暴雪、寒潮、大风、沙尘暴、低温冻害、高温等气象灾害的防御和应急处置",
     "11B00,11B04,11B05,11B06,11B07",
     {"云岭县气象局", "云岭县应急管理局", "云岭县交通运输局", "云岭县住房和城乡建设局"},
     {"发布气象灾害预警信号，启动气象灾害应急响应", "组织转移安置受威胁群众，保障困难群众基本生活",
      "组织道路除雪防滑，保障交通畅通", "加固临时建筑和户外广告设施"},
     "除雪车、融雪剂、防寒物资"},
    {"construction",
     "适用于房屋建筑和市政工程施工过程中发生的坍塌、高处坠落、起重伤害等生产安全事故",
     "12C00,12C01,12P13",
     {"云岭县住房和城乡建设局", "云岭县消防救援大队", "云岭县卫生健康局", "云岭县应急管理局"},
     {"启动建筑施工事故应急响应，责令停工，封闭现场", "搜救被埋压人员，防止二次坍塌", "救治伤员",
      "组织事故调查，督促同类工程开展隐患排查"},
     "起重机、破拆顶撑器材、生命探测仪"},
    {"safety",
     "适用于本县行政区域内发生的各类生产安全事故的应对工作，是生产安全事故应对的综合性专项预案",
     "12000",
     {"县安全生产委员会", "云岭县应急管理局", "云岭县消防救援大队", "云岭县卫生健康局"},
     {"启动生产安全事故应急响应，成立现场指挥部", "核实事故情况，按规定时限报告，调度救援力量",
      "开展抢险救援，控制危险源", "组织医疗救治"},
     "专业救援队伍、应急专家库、应急物资储备库"},
};

static const Family *family(const char *key)
{
    for (int i = 0; i < COUNT(families); i++)
        if (strcmp(families[i].key, key) == 0)
            return &families[i];
    return &families[0];
}

typedef struct DemoPlan {
    const char *title;
    const char *level;
    const char *kind;
    const char *division; /* code; "V:<town>" = the first village of the town */
    const char *org;      /* organisation name, or NULL */
    const char *family;
    const char *levels; /* "I,II,III,IV" etc. */
    char state;         /* D draft, S submitted, F filed, R returned, V revised+filed, W revised */
    int due_days;       /* revision due relative to today (negative: overdue) */
} DemoPlan;

#define C "620390"
static const DemoPlan plans[] = {
    /* county: overall and special plans */
    {"云岭县突发事件总体应急预案", "county", "overall", C, "云岭县人民政府", "overall",
     "I,II,III,IV", 'V', 900},
    {"云岭县防汛抗旱应急预案", "county", "special", C, "云岭县水务局", "flood", "I,II,III,IV", 'V',
     700},
    {"云岭县地质灾害应急预案", "county", "special", C, "云岭县自然资源局", "geo", "I,II,III,IV",
     'F', -45},
    {"云岭县森林草原火灾应急预案", "county", "special", C, "云岭县应急管理局", "forest",
     "I,II,III,IV", 'F', 400},
    {"云岭县危险化学品事故应急预案", "county", "special", C, "云岭县应急管理局", "chem",
     "I,II,III,IV", 'F', 500},
    {"云岭县矿山事故应急预案", "county", "special", C, "云岭县应急管理局", "mine", "I,II,III,IV",
     'F', 300},
    {"云岭县地震应急预案", "county", "special", C, "云岭县应急管理局", "quake", "I,II,III,IV", 'F',
     -200},
    {"云岭县道路交通事故应急预案", "county", "special", C, "云岭县交通运输局", "road",
     "I,II,III,IV", 'S', 600},
    {"云岭县气象灾害应急预案", "county", "special", C, "云岭县气象局", "weather", "II,III,IV", 'F',
     800},
    {"云岭县生产安全事故应急预案", "county", "special", C, "云岭县应急管理局", "safety",
     "I,II,III,IV", 'F', 650},
    {"云岭县建筑施工事故应急预案", "county", "special", C, "云岭县住房和城乡建设局", "construction",
     "II,III,IV", 'R', 365},
    {"云岭县火灾事故应急预案", "county", "special", C, "云岭县消防救援大队", "fire", "I,II,III,IV",
     'D', 1000},
    /* county: department plans */
    {"云岭县水务局水旱灾害防御应急预案", "county", "department", C, "云岭县水务局", "flood",
     "III,IV", 'F', 250},
    {"云岭县自然资源局地质灾害应急处置部门预案", "county", "department", C, "云岭县自然资源局",
     "geo", "III,IV", 'F', -30},
    {"云岭县交通运输局公路交通突发事件应急预案", "county", "department", C, "云岭县交通运输局",
     "road", "III,IV", 'S', 500},
    {"云岭县卫生健康局突发事件紧急医学救援预案", "county", "department", C, "云岭县卫生健康局",
     "overall", "I,II,III,IV", 'F', 180},
    {"云岭县应急管理局危险化学品事故部门应急预案", "county", "department", C, "云岭县应急管理局",
     "chem", "III,IV", 'D', 700},
    {"云岭县气象局暴雪寒潮大风灾害防御预案", "county", "department", C, "云岭县气象局", "weather",
     "III,IV", 'F', -90},
    /* towns */
    {"青石镇突发事件总体应急预案", "town", "overall", C "100", "青石镇应急管理所", "overall",
     "III,IV", 'F', 400},
    {"青石镇防汛应急预案", "town", "special", C "100", "青石镇应急管理所", "flood", "III,IV", 'F',
     300},
    {"青石镇矿山事故应急预案", "town", "special", C "100", "青石镇应急管理所", "mine", "III,IV",
     'S', 500},
    {"河西镇突发事件总体应急预案", "town", "overall", C "101", "河西镇应急管理所", "overall",
     "III,IV", 'F', -20},
    {"河西镇防汛应急预案", "town", "special", C "101", "河西镇应急管理所", "flood", "III,IV", 'R',
     300},
    {"柳泉镇森林草原火灾应急预案", "town", "special", C "102", "柳泉镇应急管理所", "forest",
     "III,IV", 'F', 600},
    {"白杨镇地质灾害应急预案", "town", "special", C "103", "白杨镇应急管理所", "geo", "III,IV", 'F',
     200},
    {"石门镇危险化学品事故应急预案", "town", "special", C "104", "石门镇应急管理所", "chem",
     "III,IV", 'F', 420},
    {"沙河镇防汛应急预案", "town", "special", C "105", "沙河镇应急管理所", "flood", "III,IV", 'D',
     700},
    {"永丰镇突发事件总体应急预案", "town", "overall", C "106", "永丰镇应急管理所", "overall",
     "III,IV", 'F', -150},
    {"马营乡森林草原火灾应急预案", "town", "special", C "200", "马营乡应急管理所", "forest",
     "III,IV", 'F', 100},
    {"城关街道城市内涝应急预案", "town", "special", C "001", "城关街道应急管理所", "flood",
     "III,IV", 'F', 500},
    {"东关街道高层建筑火灾应急预案", "town", "special", C "002", "东关街道应急管理所", "fire",
     "III,IV", 'S', 550},
    /* villages: 多案合一 manuals */
    {"青石镇村级多案合一应急手册", "village", "overall", "V:" C "100", NULL, "flood", "IV", 'F',
     300},
    {"白杨镇村级地质灾害避险应急预案", "village", "special", "V:" C "103", NULL, "geo", "IV", 'D',
     365},
    {"柳泉镇村级森林防火应急预案", "village", "special", "V:" C "102", NULL, "forest", "IV", 'F',
     -10},
    /* enterprises */
    {"云岭县青石矿业有限公司生产安全事故综合应急预案", "enterprise", "overall", C "100",
     "云岭县青石矿业有限公司", "mine", "II,III,IV", 'F', 700},
    {"云岭县青石矿业有限公司井下透水事故现场处置方案", "enterprise", "onsite", C "100",
     "云岭县青石矿业有限公司", "mine", "III,IV", 'F', 700},
    {"云岭县青石矿业有限公司中毒窒息应急处置卡", "enterprise", "card", C "100",
     "云岭县青石矿业有限公司", "mine", "IV", 'S', 700},
    {"云岭县宏泰化工有限公司危险化学品泄漏现场处置方案", "enterprise", "onsite", C "104", NULL,
     "chem", "III,IV", 'F', -60},
    {"云岭县宏泰化工有限公司储罐区火灾爆炸应急处置卡", "enterprise", "card", C "104", NULL, "chem",
     "IV", 'D', 700},
    /* the city above */
    {"金昌市防汛抗旱应急预案", "city", "special", "6203", NULL, "flood", "I,II,III,IV", 'F', 800},
    {"金昌市危险化学品事故应急预案", "city", "special", "6203", NULL, "chem", "I,II,III,IV", 'F',
     800},
};

static const char *const level_names[] = {"I", "II", "III", "IV"};
static const char *const level_prefix[] = {"特别重大（I级）响应：", "重大（II级）响应：",
                                           "较大（III级）响应：", "一般（IV级）响应："};

static json_t *split(const char *list)
{
    json_t *arr = json_array();
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_string(t));
    return arr;
}

/* Steps for each level the plan covers: four at I and II, three at III, two at IV. */
static json_t *steps_of(const Family *f, json_t *levels)
{
    json_t *steps = json_array();
    size_t i;
    json_t *lv;
    json_array_foreach(levels, i, lv)
    {
        int li = 0;
        while (li < 4 && strcmp(level_names[li], json_string_value(lv)) != 0)
            li++;
        if (li == 4)
            continue;
        int n = li <= 1 ? 4 : li == 2 ? 3 : 2;
        for (int s = 0; s < n; s++) {
            char action[600];
            snprintf(action, sizeof action, "%s%s", level_prefix[li], f->action[s]);
            json_array_append_new(steps, json_pack("{s:s, s:i, s:s, s:s}", "level", level_names[li],
                                                   "step", s + 1, "responsible_org", f->org[s],
                                                   "action", action));
        }
    }
    return steps;
}

static char *body_of(Arena *a, const DemoPlan *p, const Family *f, const char *edition)
{
    return arena_printf(
        a,
        "%s（%s）\n一、总则\n（一）编制目的：为规范突发事件应对工作，最大程度减少人员伤亡和财产"
        "损失，保障人民群众生命财产安全。\n（二）适用范围：%"
        "s。\n（三）工作原则：人民至上、生命至上；"
        "统一领导、分级负责；属地为主、协调联动；快速反应、科学处置。\n二、组织体系\n成立应急指挥部"
        "，"
        "由%s牵头，%s、%s等单位为成员单位。\n三、监测预警\n加强风险监测和隐患排查，按照蓝、黄、橙、"
        "红四级发布预警信息。\n四、应急响应\n按照事件严重程度分级响应，各级响应的措施见响应步骤。\n"
        "五、应急保障\n%s。\n六、附则\n本预案自印发之日起施行，至少每三年评估修订一次。",
        p->title, edition, f->scope, f->org[0], f->org[1], f->org[2], f->resources);
}

static int org_id(Tx *tx, const char *name, json_int_t *id, Error *err)
{
    *id = 0;
    if (!name)
        return 0;
    DbValue p[] = {db_text(name)};
    int64_t v = 0;
    int rc =
        store_query_int(tx->conn, "SELECT id FROM orgs WHERE name = $1 ORDER BY id", p, 1, &v, err);
    if (rc < 0)
        return -1;
    *id = rc == 0 ? v : 0;
    return 0;
}

static int division_of(Tx *tx, const char *spec, const char **out, Error *err)
{
    if (strncmp(spec, "V:", 2) != 0) {
        *out = spec;
        return 0;
    }
    DbRows rows;
    DbValue p[] = {db_text(spec + 2)};
    if (store_query(tx->conn, tx->arena,
                    "SELECT code FROM divisions WHERE parent_code = $1 ORDER BY code", p, 1, &rows,
                    err) < 0)
        return -1;
    *out = rows.nrows ? db_cell(&rows, 0, 0) : spec + 2;
    return 0;
}

static void date_in(int days, char *out, size_t n)
{
    char iso[32];
    clock_format_iso(clock_now() + 8 * 3600 + (int64_t)days * 86400, iso, sizeof iso);
    snprintf(out, n, "%.10s", iso);
}

static int act(Tx *tx, const char *key, const char *action, const char *comment, Error *err)
{
    json_t *in = comment ? json_pack("{s:s}", "comment", comment) : NULL;
    int rc = plans_filing_action(tx, key, action, in, NULL, err);
    json_decref(in);
    return rc;
}

static int load_plan(Tx *tx, const DemoPlan *p, Error *err)
{
    const Family *f = family(p->family);
    const char *division;
    json_int_t org;
    if (division_of(tx, p->division, &division, err) < 0 || org_id(tx, p->org, &org, err) < 0)
        return -1;
    int revised = p->state == 'V' || p->state == 'W';
    char due[16], effective[16];
    date_in(p->due_days, due, sizeof due);
    date_in(p->due_days - 3 * 365, effective, sizeof effective);
    json_t *levels = split(p->levels);
    json_t *in = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:O, s:o, s:s, s:s, s:s, s:s}", "title", p->title, "level",
        p->level, "kind", p->kind, "division_code", division, "event_types", split(f->event_types),
        "response_levels", levels, "response_steps", steps_of(f, levels), "body",
        body_of(tx->arena, p, f, revised ? "2021年版" : "现行版"), "resources_named", f->resources,
        "revision_due", revised ? "2024-06-30" : due, "effective_date", effective);
    json_decref(levels);
    if (org)
        json_object_set_new(in, "org_id", json_integer(org));
    json_t *out = NULL;
    int rc = entity_create(tx, &plans_entity, in, &out, err);
    json_decref(in);
    if (rc < 0)
        return -1;
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(out, "id")));
    json_decref(out);

    switch (p->state) {
    case 'S':
        return act(tx, key, "submit", NULL, err);
    case 'R':
        if (act(tx, key, "submit", NULL, err) < 0)
            return -1;
        return act(tx, key, "return",
                   "响应分级标准与县总体预案不衔接，应急保障措施不具体，请修改后重新报送", err);
    case 'F':
        if (act(tx, key, "submit", NULL, err) < 0)
            return -1;
        return act(tx, key, "file", "经审查，预案要素齐全，予以备案", err);
    case 'V':
    case 'W': {
        if (act(tx, key, "submit", NULL, err) < 0 ||
            act(tx, key, "file", "2021年版予以备案", err) < 0)
            return -1;
        json_t *rev = json_pack(
            "{s:s, s:s, s:s}", "note", "根据演练评估和机构改革情况修订，调整响应分级和成员单位职责",
            "body", body_of(tx->arena, p, f, "2024年修订版"), "revision_due", due);
        rc = plans_revise(tx, key, rev, NULL, err);
        json_decref(rev);
        if (rc < 0 || p->state == 'W')
            return rc;
        if (act(tx, key, "submit", NULL, err) < 0)
            return -1;
        return act(tx, key, "file", "修订版予以备案", err);
    }
    default:
        return 0;
    }
}

int plans_demo(Tx *tx, Error *err)
{
    for (int i = 0; i < COUNT(plans); i++)
        if (load_plan(tx, &plans[i], err) < 0) {
            log_error("plans demo: %s: %s", plans[i].title, err->message_en);
            return -1;
        }
    fprintf(stderr, "应急预案 %d 件\n", COUNT(plans));
    return 0;
}
