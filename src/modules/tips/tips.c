/* modules/tips — the tips entity, numbering, workflow, routes and module; see tips.h. */
#include "modules/tips/tips.h"

#include "core/clock.h"
#include "http/route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READ (ROLE_STAFF | ROLE_VIEWER | ROLE_INFO_OFFICER)
#define CREATE (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_INSPECTOR | ROLE_INFO_OFFICER)
#define EDIT (ROLE_ADMIN | ROLE_DUTY_OFFICER)
#define R_ROUTE (ROLE_ADMIN | ROLE_DUTY_OFFICER)
#define R_HANDLE (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_INSPECTOR)
#define R_REWARD (ROLE_ADMIN | ROLE_COMMANDER)
#define TZ_OFFSET (8 * 3600) /* Asia/Shanghai */

int tips_demo(Tx *tx, Error *err); /* demo.c */

/* ---- the entity -------------------------------------------------------------------------- */

static const EnumValue sources[] = {
    {"hotline", "12345热线"}, {"phone", "举报电话"}, {"website", "网站"},
    {"visit", "来访"},        {"letter", "信件"},    {"wechat", "微信/APP"},
    {"upper", "上级转交"},    {"other", "其他"},     {NULL, NULL},
};

static const EnumValue statuses[] = {
    {"received", "已登记"}, {"assigned", "已交办"}, {"transferred", "已转办"},
    {"handled", "已办结"},  {"answered", "已答复"}, {NULL, NULL},
};

static const EnumValue channels[] = {
    {"phone", "电话"},  {"sms", "短信"},        {"letter", "书面"}, {"visit", "当面"},
    {"online", "网上"}, {"public", "公开答复"}, {NULL, NULL},
};

#define RO FIELD_READONLY
static const Field tip_fields[] = {
    {"number", FT_TEXT, RO | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT, "举报编号", "number", NULL,
     NULL, 32, 0, 0, 0, NULL},
    {"received_at", FT_TIME, FIELD_SORT | FIELD_IMMUTABLE, "受理时间", "received at", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"source", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "举报来源", "source", sources,
     NULL, 0, 0, 0, 0, NULL},
    {"anonymous", FT_BOOL, FIELD_FILTER, "匿名举报", "anonymous", NULL, NULL, 0, 0, 0, 0, "0"},
    {"tipster_name", FT_TEXT, FIELD_NOCSV, "举报人姓名", "tipster name", NULL, NULL, 50, 0, 0, 0,
     NULL},
    {"tipster_phone", FT_TEXT, FIELD_NOCSV, "举报人电话", "tipster phone", NULL, NULL, 30, 0, 0, 0,
     NULL},
    {"content", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "举报内容", "content", NULL, NULL, 4000, 0,
     0, 0, NULL},
    {"address", FT_TEXT, FIELD_SEARCH, "地点", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    {"lon", FT_REAL, 0, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, 0, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT | FIELD_IMMUTABLE,
     "所属区划", "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"event_type", FT_TEXT, FIELD_SEARCH | FIELD_FILTER, "事件类型", "event type", NULL, NULL, 100,
     0, 0, 0, NULL},
    {"status", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "办理状态", "status", statuses, NULL, 0, 0,
     0, 0, "'received'"},
    {"assigned_org_id", FT_REF, RO | FIELD_FILTER, "承办单位", "handling organisation", NULL,
     "orgs", 0, 0, 0, 0, NULL},
    {"assigned_org_name", FT_TEXT, RO | FIELD_SEARCH, "承办单位名称", "handling organisation name",
     NULL, NULL, 100, 0, 0, 0, NULL},
    {"assigned_at", FT_TIME, RO | FIELD_SORT, "交办时间", "assigned at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"assign_note", FT_TEXT, RO, "交办意见", "assignment note", NULL, NULL, 1000, 0, 0, 0, NULL},
    {"due_date", FT_DATE, RO | FIELD_SORT, "办理期限", "due date", NULL, NULL, 0, 0, 0, 0, NULL},
    {"transferred_from", FT_TEXT, RO | FIELD_FILTER, "转出区划", "transferred from", NULL, NULL, 12,
     0, 0, 0, NULL},
    {"transferred_at", FT_TIME, RO, "转办时间", "transferred at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"transfer_note", FT_TEXT, RO, "转办意见", "transfer note", NULL, NULL, 1000, 0, 0, 0, NULL},
    {"result", FT_TEXT, RO, "办理结果", "result", NULL, NULL, 4000, 0, 0, 0, NULL},
    {"verified", FT_BOOL, RO | FIELD_FILTER, "经核查属实", "verified true", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"handled_at", FT_TIME, RO | FIELD_SORT, "办结时间", "handled at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"answer", FT_TEXT, RO, "答复内容", "answer", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"answer_channel", FT_ENUM, RO, "答复方式", "answer channel", channels, NULL, 0, 0, 0, 0, NULL},
    {"answered_at", FT_TIME, RO | FIELD_SORT, "答复时间", "answered at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"reward", FT_BOOL, RO | FIELD_FILTER, "给予奖励", "rewarded", NULL, NULL, 0, 0, 0, 0, "0"},
    {"reward_amount", FT_REAL, RO, "奖励金额（元）", "reward amount (yuan)", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"rewarded_at", FT_TIME, RO, "奖励时间", "rewarded at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"remarks", FT_TEXT, 0, "备注", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

static int refuse(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

static int present(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    if (!v || json_is_null(v))
        return 0;
    return !json_is_string(v) || *json_string_value(v);
}

int tips_next_number(Tx *tx, int64_t received_at, char *out, size_t n, Error *err)
{
    char day[16];
    time_t lt = (time_t)(received_at + TZ_OFFSET);
    struct tm tm;
    gmtime_r(&lt, &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    DbValue p[] = {db_text(day)};
    int64_t seq = 0;
    int rc = store_query_int(tx->conn,
                             "INSERT INTO tip_counters (day, last) VALUES ($1, 1)"
                             " ON CONFLICT (day) DO UPDATE SET last = tip_counters.last + 1"
                             " RETURNING last",
                             p, 1, &seq, err);
    if (rc != 0)
        return rc < 0 ? -1 : error_internal(err, "tips: the day's counter gave no row");
    snprintf(out, n, "JB%s-%04lld", day, (long long)seq);
    return 0;
}

static int tip_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    if (json_is_true(json_object_get(rec, "anonymous")) &&
        (present(rec, "tipster_name") || present(rec, "tipster_phone")))
        return refuse(err, present(rec, "tipster_name") ? "tipster_name" : "tipster_phone",
                      "匿名举报不登记举报人姓名和电话",
                      "an anonymous tip carries no tipster name or phone");
    if (present(rec, "lon") != present(rec, "lat"))
        return refuse(err, present(rec, "lon") ? "lat" : "lon", "须与经度、纬度同时填写",
                      "longitude and latitude go together");
    if (before)
        return 0;
    int64_t at = clock_now();
    const char *given = json_string_value(json_object_get(rec, "received_at"));
    if (given && clock_parse_iso(given, &at) < 0)
        at = clock_now();
    if (!given) {
        char iso[32];
        clock_format_iso(at, iso, sizeof iso);
        json_object_set_new(rec, "received_at", json_string(iso));
    }
    char number[32];
    if (tips_next_number(tx, at, number, sizeof number, err) < 0)
        return -1;
    json_object_set_new(rec, "number", json_string(number));
    json_object_set_new(rec, "status", json_string("received"));
    return 0;
}

const Entity tips_entity = {
    .table = "tips",
    .plural = "tips",
    .label_zh = "举报线索",
    .label_en = "public tips",
    .fields = tip_fields,
    .division_field = "division_code",
    .default_sort = "-received_at",
    .before_write = tip_before_write,
};

/* ---- the workflow ------------------------------------------------------------------------ */

static const char *const need_org[] = {"org_id", NULL};
static const char *const need_result[] = {"result", "verified", NULL};
static const char *const need_answer[] = {"answer", "channel", NULL};
static const char *const need_amount[] = {"reward_amount", NULL};

static const Transition tip_transitions[] = {
    {"received", "assign", "assigned", R_ROUTE, need_org, "交办", 0},
    {"transferred", "assign", "assigned", R_ROUTE, need_org, "交办", 0},
    {"received", "transfer", "transferred", R_ROUTE, need_org, "转办", 0},
    {"assigned", "transfer", "transferred", R_ROUTE, need_org, "转办", 0},
    {"transferred", "transfer", "transferred", R_ROUTE, need_org, "转办", 0},
    {"assigned", "handle", "handled", R_HANDLE, need_result, "办结", 0},
    {"transferred", "handle", "handled", R_HANDLE, need_result, "办结", 0},
    {"handled", "answer", "answered", R_ROUTE, need_answer, "答复", 0},
    {"handled", "reward", "handled", R_REWARD, need_amount, "奖励", 0},
    {"answered", "reward", "answered", R_REWARD, need_amount, "奖励", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow tips_flow = {"tips", "id", "status", "division_code", tip_transitions};

/* Input each action takes: name and JSON type ('s' string, 'i' integer, 'b' boolean,
 * 'n' number, 'd' date, 't' time, 'c' answer channel). */
typedef struct ActionInput {
    const char *action;
    const char *names[4];
    const char types[4];
} ActionInput;

static const ActionInput action_inputs[] = {
    {"assign", {"org_id", "note", "due_date", NULL}, {'i', 's', 'd', 0}},
    {"transfer", {"org_id", "note", NULL, NULL}, {'i', 's', 0, 0}},
    {"handle", {"result", "verified", NULL, NULL}, {'s', 'b', 0, 0}},
    {"answer", {"answer", "channel", "answered_at", NULL}, {'s', 'c', 't', 0}},
    {"reward", {"reward_amount", "note", NULL, NULL}, {'n', 's', 0, 0}},
};

static int type_ok(char t, json_t *v)
{
    int64_t when;
    switch (t) {
    case 's':
        return json_is_string(v) && strlen(json_string_value(v)) <= 12000;
    case 'i':
        return json_is_integer(v) && json_integer_value(v) > 0;
    case 'b':
        return json_is_boolean(v);
    case 'n':
        return json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) < 1e9;
    case 'd':
        return json_is_string(v) && strlen(json_string_value(v)) == 10 &&
               clock_parse_iso(json_string_value(v), &when) == 0;
    case 't':
        return json_is_string(v) && clock_parse_iso(json_string_value(v), &when) == 0;
    case 'c':
        for (const EnumValue *c = channels; json_is_string(v) && c->value; c++)
            if (strcmp(c->value, json_string_value(v)) == 0)
                return 1;
        return 0;
    }
    return 0;
}

static int check_input(const char *action, json_t *input, Error *err)
{
    const ActionInput *ai = NULL;
    for (size_t i = 0; i < sizeof action_inputs / sizeof action_inputs[0]; i++)
        if (strcmp(action_inputs[i].action, action) == 0)
            ai = &action_inputs[i];
    if (!ai)
        return error_not_found(err);
    if (input && !json_is_object(input))
        return error_set(err, 400, "bad_json", "请求体须为 JSON 对象", "body must be an object");
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(input, k, v)
    {
        int j = 0;
        while (ai->names[j] && strcmp(ai->names[j], k) != 0)
            j++;
        const char *msg = NULL;
        if (!ai->names[j])
            msg = "不支持的字段";
        else if (!json_is_null(v) && !type_ok(ai->types[j], v))
            msg = ai->types[j] == 'c' ? "答复方式取值有误：phone/sms/letter/visit/online/public"
                  : ai->types[j] == 'i' ? "应为正整数"
                  : ai->types[j] == 'b' ? "应为 true 或 false"
                  : ai->types[j] == 'n' ? "应为不小于 0 的数"
                  : ai->types[j] == 'd' ? "日期格式应为 YYYY-MM-DD"
                  : ai->types[j] == 't' ? "时间格式应为 ISO-8601"
                                        : "应为文本";
        if (!msg)
            continue;
        if (!bad++)
            error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                      "invalid input for action '%s'", action);
        error_field(err, k, msg);
    }
    return bad ? -1 : 0;
}

typedef struct OrgRow {
    const char *name, *division;
} OrgRow;

static int load_org(Tx *tx, json_int_t id, OrgRow *o, Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(id)};
    if (store_query(tx->conn, tx->arena, "SELECT name, division_code FROM orgs WHERE id = $1", p, 1,
                    &rows, err) < 0)
        return -1;
    if (rows.nrows == 0)
        return refuse(err, "org_id", "单位不存在", "the organisation does not exist");
    o->name = db_cell(&rows, 0, 0);
    o->division = db_cell(&rows, 0, 1);
    return 0;
}

static void set_text(json_t *v, const char *name, json_t *input, const char *key)
{
    json_t *x = json_object_get(input, key);
    json_object_set(v, name, x && json_is_string(x) ? x : json_null());
}

/* The fields a step records on the tip (new object), after its org and rules were checked. */
static json_t *step_values(Tx *tx, const char *action, json_t *tip, json_t *input,
                           const OrgRow *org, Error *err)
{
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    json_t *v = json_object();
    if (strcmp(action, "assign") == 0) {
        json_object_set(v, "assigned_org_id", json_object_get(input, "org_id"));
        json_object_set_new(v, "assigned_org_name", json_string(org->name));
        json_object_set_new(v, "assigned_at", json_string(now));
        set_text(v, "assign_note", input, "note");
        set_text(v, "due_date", input, "due_date");
    } else if (strcmp(action, "transfer") == 0) {
        json_object_set(v, "assigned_org_id", json_object_get(input, "org_id"));
        json_object_set_new(v, "assigned_org_name", json_string(org->name));
        json_object_set(v, "transferred_from", json_object_get(tip, "division_code"));
        json_object_set_new(v, "division_code", json_string(org->division));
        json_object_set_new(v, "transferred_at", json_string(now));
        set_text(v, "transfer_note", input, "note");
    } else if (strcmp(action, "handle") == 0) {
        set_text(v, "result", input, "result");
        json_object_set(v, "verified", json_object_get(input, "verified"));
        json_object_set_new(v, "handled_at", json_string(now));
    } else if (strcmp(action, "answer") == 0) {
        set_text(v, "answer", input, "answer");
        json_object_set(v, "answer_channel", json_object_get(input, "channel"));
        int64_t at = clock_now();
        const char *given = json_string_value(json_object_get(input, "answered_at"));
        if (given)
            clock_parse_iso(given, &at);
        char iso[32];
        clock_format_iso(at, iso, sizeof iso);
        json_object_set_new(v, "answered_at", json_string(iso));
    } else if (strcmp(action, "reward") == 0) {
        json_object_set_new(v, "reward", json_true());
        json_object_set_new(v, "reward_amount",
                            json_real(json_number_value(json_object_get(input, "reward_amount"))));
        json_object_set_new(v, "rewarded_at", json_string(now));
    }
    (void)tx;
    (void)err;
    return v;
}

int tips_act(Tx *tx, const char *key, const char *action, json_t *input, json_t **out, Error *err)
{
    json_t *tip = NULL, *values = NULL;
    OrgRow org = {NULL, NULL};
    int rc = -1;
    if (check_input(action, input, err) < 0 ||
        entity_get(tx->conn, &tips_entity, tx->actor, key, &tip, err) < 0)
        goto out;
    json_t *oid = json_object_get(input, "org_id");
    if (json_is_integer(oid) &&
        (strcmp(action, "assign") == 0 || strcmp(action, "transfer") == 0)) {
        if (load_org(tx, json_integer_value(oid), &org, err) < 0)
            goto out;
        if (strcmp(action, "assign") == 0 && !actor_covers(tx->actor, org.division)) {
            refuse(err, "org_id", "交办单位须在本级管辖范围内；跨辖区请转办",
                   "assign to an organisation inside your jurisdiction; transfer otherwise");
            goto out;
        }
    }
    if (strcmp(action, "reward") == 0 && !json_is_true(json_object_get(tip, "verified")) &&
        json_is_object(input) && json_object_get(input, "reward_amount")) {
        const char *st = json_string_value(json_object_get(tip, "status"));
        if (st && (strcmp(st, "handled") == 0 || strcmp(st, "answered") == 0)) {
            error_set(err, 422, "not_verified", "举报经核查属实后方可给予奖励",
                      "only a tip verified as true can be rewarded");
            goto out;
        }
    }
    if (workflow_apply(tx, &tips_flow, key, action, input, NULL, err) < 0)
        goto out;
    values = step_values(tx, action, tip, input, &org, err);
    if (entity_update_internal(tx, &tips_entity, key, values, err) < 0)
        goto out;
    if (out && entity_get(tx->conn, &tips_entity, &actor_system, key, out, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(tip);
    json_decref(values);
    return rc;
}

/* ---- handlers ---------------------------------------------------------------------------- */

/* Tipster identity is for staff only. */
static void strip_private(const Actor *a, json_t *tip)
{
    if (a && (a->role & ROLE_STAFF))
        return;
    json_object_del(tip, "tipster_name");
    json_object_del(tip, "tipster_phone");
}

static int handle_list(Req *req, Resp *resp, Error *err)
{
    if (entity_handle_list(req, resp, err) < 0)
        return -1;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(resp->json, "items"), i, it)
    {
        strip_private(req->actor, it);
    }
    return 0;
}

static int handle_get(Req *req, Resp *resp, Error *err)
{
    json_t *tip = NULL, *hist = NULL;
    const char *key = req_param(req, "id");
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &tips_entity, req->actor, key, &tip, err);
    if (rc == 0 && !(hist = workflow_history_json(c, req->arena, "tips", key, err)))
        rc = -1;
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(tip);
        return -1;
    }
    strip_private(req->actor, tip);
    json_object_set_new(tip, "actions",
                        workflow_actions(&tips_flow,
                                         json_string_value(json_object_get(tip, "status")),
                                         req->actor));
    json_object_set_new(tip, "history", hist);
    return resp_json(resp, 200, tip);
}

static int handle_create(Req *req, Resp *resp, Error *err)
{
    if (entity_handle_create(req, resp, err) < 0)
        return -1;
    strip_private(req->actor, resp->json);
    return 0;
}

typedef struct ActCtx {
    const char *key, *action;
    json_t *input, *out;
} ActCtx;

static int act_tx(Tx *tx, void *ctx, Error *err)
{
    ActCtx *a = ctx;
    return tips_act(tx, a->key, a->action, a->input, &a->out, err);
}

static int act(Req *req, Resp *resp, const char *action, Error *err)
{
    if (req->json && req_body_object_or_fail(req, err) < 0)
        return -1;
    ActCtx a = {req_param(req, "id"), action, req->json, NULL};
    if (tx_run(req->store, req->actor, req->arena, act_tx, &a, err) < 0) {
        json_decref(a.out);
        return -1;
    }
    strip_private(req->actor, a.out);
    return resp_json(resp, 200, a.out);
}

static int handle_assign(Req *req, Resp *resp, Error *err)
{
    return act(req, resp, "assign", err);
}

static int handle_transfer(Req *req, Resp *resp, Error *err)
{
    return act(req, resp, "transfer", err);
}

static int handle_handle(Req *req, Resp *resp, Error *err)
{
    return act(req, resp, "handle", err);
}

static int handle_answer(Req *req, Resp *resp, Error *err)
{
    return act(req, resp, "answer", err);
}

static int handle_reward(Req *req, Resp *resp, Error *err)
{
    return act(req, resp, "reward", err);
}

#define TIPS "/api/v1/tips"
#define E (&tips_entity)
static const Route tip_routes[] = {
    {"GET", TIPS, handle_list, READ, SCOPE_JURISDICTION, E, "列表查询", 0},
    {"GET", TIPS "/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION, E,
     "导出CSV（不含举报人信息）", 0},
    {"POST", TIPS "/import.csv", entity_handle_import, EDIT, SCOPE_JURISDICTION, E, "导入CSV",
     ROUTE_RAW_BODY},
    {"GET", TIPS "/:id", handle_get, READ, SCOPE_JURISDICTION, E, "查看（含可办理操作与办理记录）",
     0},
    {"POST", TIPS, handle_create, CREATE, SCOPE_JURISDICTION, E, "登记举报（自动编号）", 0},
    {"PATCH", TIPS "/:id", entity_handle_update, EDIT, SCOPE_JURISDICTION, E, "修改", 0},
    {"POST", TIPS "/:id/assign", handle_assign, R_ROUTE, SCOPE_JURISDICTION, E,
     "交办（给管辖范围内的单位）", 0},
    {"POST", TIPS "/:id/transfer", handle_transfer, R_ROUTE, SCOPE_JURISDICTION, E,
     "转办（给其他单位或辖区，区划随之变更）", 0},
    {"POST", TIPS "/:id/handle", handle_handle, R_HANDLE, SCOPE_JURISDICTION, E, "办结", 0},
    {"POST", TIPS "/:id/answer", handle_answer, R_ROUTE, SCOPE_JURISDICTION, E, "答复举报人", 0},
    {"POST", TIPS "/:id/reward", handle_reward, R_REWARD, SCOPE_JURISDICTION, E,
     "奖励（核查属实的举报）", 0},
};

static void tips_register_routes(void)
{
    http_register_entity(&tips_entity);
    http_register_routes(tip_routes, (int)(sizeof tip_routes / sizeof tip_routes[0]));
}

/* ---- migrations -------------------------------------------------------------------------- */

static int create_tables(StoreConn *c, Error *err)
{
    if (entity_create_table(c, &tips_entity, err) < 0)
        return -1;
    return store_exec_script(c,
                             "CREATE TABLE IF NOT EXISTS tip_counters ("
                             " day TEXT NOT NULL PRIMARY KEY, last INTEGER NOT NULL)",
                             err);
}

static const Migration tip_migrations[] = {
    {1, "tips and their daily number counters", NULL, NULL, create_tables},
};

static int tips_migrate(Store *store, Error *err)
{
    return store_migrate(store, "tips", tip_migrations,
                         (int)(sizeof tip_migrations / sizeof tip_migrations[0]), err);
}

const Module tips_module = {
    .name = "tips",
    .migrate = tips_migrate,
    .register_routes = tips_register_routes,
    .start = NULL,
    .demo = tips_demo,
};
