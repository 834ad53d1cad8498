/* modules/duty — the demo county's duty rosters and handovers (Module.demo).
 *
 * The county bureau (云岭县应急管理局) keeps a day and a night shift, each town office (乡镇
 * 应急管理所) one 24-hour shift, for the 7 days around today (clock_now, Asia/Shanghai):
 * a leader on duty (the bureau's commander and deputies; a town's office head) and two duty
 * officers from a small pool per organisation — the demo accounts `duty`, `town1`, `town2`
 * and `info` are on their organisation's rosters. Every shift that has ended gets its
 * handover, written in order through the entity engine so the open items are carried from
 * shift to shift as they would be. Names come from a fixed-seed generator. */
#include "modules/duty/duty_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 0x6475747973656564ULL /* "dutyseed" */
#define DAYS_BACK 3
#define DAYS_AHEAD 3
#define POOL 4
#define MAX_SLOTS 16
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

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

static int rng_below(Rng *r, int n)
{
    return (int)(rng_next(r) % (uint64_t)n);
}

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "马",
                                       "周", "吴", "徐", "孙", "胡", "朱", "高", "郭"};
static const char *const given[] = {"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明",
                                    "刚", "平", "辉", "鹏", "华", "霞", "丽", "燕", "敏", "静"};

static const char *const open_texts[] = {
    "青石镇尾矿库浸润线监测数据异常，督促企业复核并报结果",
    "县气象局发布大风蓝色预警，跟踪各乡镇防范措施落实情况",
    "河西镇群众反映某砂石场夜间违规作业，待执法大队核查",
    "国道312线K2135处山体落石，交通部门处置进展待续报",
    "柳泉镇独居老人冬季取暖安全排查名单待汇总",
    "值班电话录音设备故障，已报修待厂家上门",
    "沙河镇河道冰凌情况待水务局回复",
    "市应急管理局要求上报本周安全生产检查情况，周五前报送",
    "东关街道燃气管道改造工地围挡不规范，已通知住建局",
    "白杨镇森林防火检查站人员到岗情况待抽查",
    "永丰镇化工企业停产检修方案待备案",
    "南滩乡应急物资库棉被、帐篷库存盘点结果待报",
};

static const char *const summaries[] = {
    "本班次全县总体平稳，无突发事件报告，按时接收并转发上级通知，与公安、消防、卫健联动值守正常。",
    "本班次接报一般事件1起（已按程序续报），处理群众来电3次，各乡镇值班人员在岗在位。",
    "本班次无重大情况，完成视频点名抽查，督促2个乡镇补报值班日志。",
    "本班次气象条件较差，已转发预警信息并电话提醒重点单位做好防范，各项工作有序。",
};

typedef struct Person {
    json_int_t user_id; /* 0: no account */
    const char *name, *phone;
} Person;

typedef struct Org {
    json_int_t id;
    const char *name, *division, *leader, *phone;
    int bureau;
    Person leaders[POOL], officers[POOL];
    int nleaders, nofficers;
} Org;

typedef struct Slot { /* one roster of an organisation, in time order */
    json_int_t id;
    int64_t from, to;
    Person leader, officers[2];
} Slot;

typedef struct Demo {
    Tx *tx;
    Rng rng;
    int rosters, handovers;
} Demo;

static const char *gen_name(Demo *d)
{
    return arena_printf(d->tx->arena, "%s%s%s", surnames[rng_below(&d->rng, COUNT(surnames))],
                        given[rng_below(&d->rng, COUNT(given))],
                        given[rng_below(&d->rng, COUNT(given))]);
}

static const char *gen_mobile(Demo *d)
{
    return arena_printf(d->tx->arena, "139%08d", rng_below(&d->rng, 100000000));
}

/* The account with this username, as a person on a roster; 0 id when missing. */
static Person account(Demo *d, const char *username)
{
    Person p = {0, NULL, NULL};
    DbRows rows;
    DbValue v[] = {db_text(username)};
    Error err = ERROR_INIT;
    if (store_query(d->tx->conn, d->tx->arena,
                    "SELECT id, display_name, phone FROM users WHERE username = $1", v, 1, &rows,
                    &err) == 0 &&
        rows.nrows == 1) {
        p.user_id = atoll(db_cell(&rows, 0, 0));
        p.name = db_cell(&rows, 0, 1);
        p.phone = db_cell(&rows, 0, 2);
    }
    error_clear(&err);
    return p;
}

static void add_officer(Org *o, Person p)
{
    if (p.name && o->nofficers < POOL)
        o->officers[o->nofficers++] = p;
}

static void add_leader(Org *o, Person p)
{
    if (p.name && o->nleaders < POOL)
        o->leaders[o->nleaders++] = p;
}

static void fill_pools(Demo *d, Org *o)
{
    if (o->bureau) {
        add_leader(o, account(d, "commander"));
        add_officer(o, account(d, "duty"));
    } else {
        add_leader(o, (Person){0, o->leader, o->phone});
        if (strcmp(o->division, "620390100") == 0) {
            add_officer(o, account(d, "town1"));
            add_officer(o, account(d, "info"));
        } else if (strcmp(o->division, "620390101") == 0) {
            add_officer(o, account(d, "town2"));
        }
    }
    while (o->nleaders < (o->bureau ? 3 : 1))
        add_leader(o, (Person){0, gen_name(d), gen_mobile(d)});
    while (o->nofficers < POOL)
        add_officer(o, (Person){0, gen_name(d), gen_mobile(d)});
}

static json_t *person_in(const Person *p)
{
    if (p->user_id)
        return json_pack("{s:I}", "user_id", p->user_id);
    return json_pack("{s:s, s:s}", "name", p->name, "phone", p->phone ? p->phone : "");
}

static int create_roster(Demo *d, Org *o, const char *date, const char *shift, Slot *s, Error *err)
{
    json_t *in =
        json_pack("{s:I, s:s, s:s, s:s, s:o}", "org_id", o->id, "date", date, "shift", shift,
                  "phone", o->phone ? o->phone : "", "officers",
                  json_pack("[o, o]", person_in(&s->officers[0]), person_in(&s->officers[1])));
    if (s->leader.user_id)
        json_object_set_new(in, "leader_user_id", json_integer(s->leader.user_id));
    else
        json_object_set_new(in, "leader_name", json_string(s->leader.name));
    if (s->leader.phone && !s->leader.user_id)
        json_object_set_new(in, "leader_phone", json_string(s->leader.phone));
    json_t *out = NULL;
    int rc = entity_create(d->tx, &duty_rosters_entity, in, &out, err);
    if (rc < 0) {
        char *t = json_dumps(in, JSON_COMPACT);
        log_error("duty demo: roster %s: %s", t ? t : "", err->message_en);
        free(t);
    } else {
        s->id = json_integer_value(json_object_get(out, "id"));
        d->rosters++;
    }
    json_decref(out);
    json_decref(in);
    return rc;
}

static void who(json_t *in, const char *side, const Person *p)
{
    char f[16];
    if (p->user_id) {
        snprintf(f, sizeof f, "%s_user_id", side);
        json_object_set_new(in, f, json_integer(p->user_id));
    } else {
        snprintf(f, sizeof f, "%s_name", side);
        json_object_set_new(in, f, json_string(p->name));
    }
}

static int create_handover(Demo *d, const Slot *s, const Slot *next, Error *err)
{
    json_t *items = json_array();
    int n = rng_below(&d->rng, 3);
    for (int i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:s, s:b}", "text",
                                               open_texts[rng_below(&d->rng, COUNT(open_texts))],
                                               "done", rng_below(&d->rng, 4) == 0));
    char at[32];
    clock_format_iso(s->to, at, sizeof at);
    json_t *in = json_pack("{s:I, s:s, s:s, s:o}", "roster_id", s->id, "at", at, "summary",
                           summaries[rng_below(&d->rng, COUNT(summaries))], "open_items", items);
    who(in, "from", &s->officers[0]);
    who(in, "to", &next->officers[0]);
    int rc = entity_create(d->tx, &duty_handovers_entity, in, NULL, err);
    if (rc < 0)
        log_error("duty demo: handover of roster %lld: %s", (long long)s->id, err->message_en);
    else
        d->handovers++;
    json_decref(in);
    return rc;
}

static int demo_org(Demo *d, Org *o, int64_t now, Error *err)
{
    static const char *const bureau_shifts[] = {"day", "night"};
    static const char *const town_shifts[] = {"24h"};
    const char *const *sh = o->bureau ? bureau_shifts : town_shifts;
    int nsh = o->bureau ? 2 : 1, nslots = 0;
    Slot slots[MAX_SLOTS];
    memset(slots, 0, sizeof slots);
    fill_pools(d, o);
    for (int day = -DAYS_BACK; day <= DAYS_AHEAD; day++) {
        char date[16];
        duty_local_date(now + (int64_t)day * 86400, date, sizeof date);
        for (int k = 0; k < nsh && nslots < MAX_SLOTS; k++) {
            Slot *s = &slots[nslots];
            int turn = (day + DAYS_BACK) * nsh + k;
            s->leader = o->leaders[turn % o->nleaders];
            s->officers[0] = o->officers[turn % o->nofficers];
            s->officers[1] = o->officers[(turn + 1) % o->nofficers];
            if (duty_shift_window(date, sh[k], NULL, NULL, &s->from, &s->to) < 0)
                return error_internal(err, "duty demo: bad shift window");
            if (create_roster(d, o, date, sh[k], s, err) < 0)
                return -1;
            nslots++;
        }
    }
    for (int i = 0; i + 1 < nslots && slots[i].to <= now; i++)
        if (create_handover(d, &slots[i], &slots[i + 1], err) < 0)
            return -1;
    return 0;
}

int duty_demo(Tx *tx, Error *err)
{
    Demo d = {tx, {SEED}, 0, 0};
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT id, name, division_code, leader, phone, kind FROM orgs"
                    " WHERE division_code LIKE '620390%' AND kind IN ('emergency_bureau',"
                    " 'town_office') ORDER BY division_code, id",
                    NULL, 0, &rows, err) < 0)
        return -1;
    int64_t now = clock_now();
    for (int i = 0; i < rows.nrows; i++) {
        Org o;
        memset(&o, 0, sizeof o);
        o.id = atoll(db_cell(&rows, i, 0));
        o.name = db_cell(&rows, i, 1);
        o.division = db_cell(&rows, i, 2);
        o.leader = db_cell(&rows, i, 3) ? db_cell(&rows, i, 3) : "值班领导";
        o.phone = db_cell(&rows, i, 4);
        o.bureau = strcmp(db_cell(&rows, i, 5), "emergency_bureau") == 0;
        if (demo_org(&d, &o, now, err) < 0)
            return -1;
    }
    fprintf(stderr, "  值班表 %d，交接班记录 %d\n", d.rosters, d.handovers);
    return 0;
}
