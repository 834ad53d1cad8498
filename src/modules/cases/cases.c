/* modules/cases — the case library: entity, hook, incident closure, routes, migrations and the
 * module; see cases.h. */
#include "modules/cases/cases.h"

#include "http/route.h"
#include "modules/plans/plans.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ (ROLE_STAFF | ROLE_VIEWER | ROLE_INFO_OFFICER)
#define WRITE (ROLE_ADMIN | ROLE_COMMANDER)
#define LONG_TEXT 20000

int cases_demo(Tx *tx, Error *err); /* demo.c */

static const EnumValue case_grades[] = {
    {"extraordinary", "特别重大"}, {"major", "重大"}, {"larger", "较大"},
    {"general", "一般"},           {NULL, NULL},
};

static const EnumValue case_sources[] = {
    {"incident", "本地事件"},
    {"import", "导入"},
    {"report", "调查报告"},
    {NULL, NULL},
};

#define TEXT(name, label, en, flags, max)                                                          \
    {                                                                                              \
        name, FT_TEXT, flags, label, en, NULL, NULL, max, 0, 0, 0, NULL                            \
    }
#define FULL (FIELD_SEARCH | FIELD_FULLTEXT)

static const Field case_fields[] = {
    TEXT("title", "案例名称", "title", FIELD_REQUIRED | FULL | FIELD_SORT, 200),
    {"occurred_at", FT_TIME, FIELD_REQUIRED | FIELD_SORT, "发生时间", "occurred at", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "发生区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    TEXT("event_type", "事件类型代码", "event type", FIELD_FILTER | FIELD_SORT, 5),
    {"grade", FT_ENUM, FIELD_FILTER | FIELD_SORT, "事故等级", "grade", case_grades, NULL, 0, 0, 0,
     0, NULL},
    {"deaths", FT_INT, FIELD_SORT, "死亡人数", "deaths", NULL, NULL, 0, 1, 0, 100000, NULL},
    {"injuries", FT_INT, FIELD_SORT, "重伤人数", "serious injuries", NULL, NULL, 0, 1, 0, 1000000,
     NULL},
    {"direct_loss_wan", FT_REAL, FIELD_SORT, "直接经济损失（万元）", "direct loss (10k yuan)", NULL,
     NULL, 0, 1, 0, 1e9, NULL},
    TEXT("summary", "事件经过", "summary", FULL, LONG_TEXT),
    TEXT("cause", "原因分析", "cause", FULL, LONG_TEXT),
    TEXT("lessons", "教训（四不放过）", "lessons", FULL, LONG_TEXT),
    TEXT("measures", "整改措施", "measures", FULL, LONG_TEXT),
    TEXT("evaluation", "总结评估", "evaluation", FULL, LONG_TEXT),
    {"source", FT_ENUM, FIELD_FILTER | FIELD_SORT, "来源", "source", case_sources, NULL, 0, 0, 0, 0,
     "'report'"},
    TEXT("source_ref", "来源文号", "source reference", FIELD_SEARCH, 200),
    {"incident_id", FT_INT, FIELD_READONLY | FIELD_FILTER | FIELD_INDEX, "关联事件", "incident",
     NULL, NULL, 0, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

static double num_of(json_t *rec, const char *name, int *given)
{
    json_t *v = json_object_get(rec, name);
    if (!json_is_number(v))
        return 0;
    *given = 1;
    return json_number_value(v);
}

/* 生产安全事故报告和调查处理条例 第三条: "以上" includes the number, "以下" excludes it. */
static const char *grade_of(double deaths, double injuries, double loss_wan)
{
    if (deaths >= 30 || injuries >= 100 || loss_wan >= 10000)
        return "extraordinary";
    if (deaths >= 10 || injuries >= 50 || loss_wan >= 5000)
        return "major";
    if (deaths >= 3 || injuries >= 10 || loss_wan >= 1000)
        return "larger";
    return "general";
}

static int case_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)tx;
    (void)e;
    json_t *et = json_object_get(rec, "event_type");
    if (json_is_string(et) && !plans_event_code_valid(json_string_value(et))) {
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "malformed event type code");
        error_field(err, "event_type", "应为 5 位事件类型代码（GB/T 35561，例如 12D01）");
        return -1;
    }
    json_t *grade = json_object_get(rec, "grade");
    if (!grade || json_is_null(grade)) {
        int given = 0;
        double d = num_of(rec, "deaths", &given), i = num_of(rec, "injuries", &given),
               l = num_of(rec, "direct_loss_wan", &given);
        if (given)
            json_object_set_new(rec, "grade", json_string(grade_of(d, i, l)));
    }
    (void)before;
    return 0;
}

const Entity cases_entity = {
    .table = "cases",
    .plural = "cases",
    .label_zh = "事故案例",
    .label_en = "cases",
    .fields = case_fields,
    .division_field = "division_code",
    .default_sort = "-occurred_at",
    .before_write = case_before_write,
};

/* ---- closure of an incident -------------------------------------------------------------- */

static json_t *first_of(json_t *o, const char *const *names)
{
    for (; *names; names++) {
        json_t *v = json_object_get(o, *names);
        if (v && !json_is_null(v))
            return v;
    }
    return NULL;
}

static void copy_as(json_t *to, const char *name, json_t *from, const char *const *names)
{
    json_t *v = first_of(from, names);
    if (v)
        json_object_set(to, name, v);
}

static int refuse(Error *err, const char *field, const char *zh)
{
    error_set(err, 422, "validation_failed", "结案转案例失败：事件信息不完整",
              "the incident lacks %s", field);
    error_field(err, field, zh);
    return -1;
}

int cases_find_by_incident(StoreConn *c, const Actor *actor, json_int_t incident_id, json_t **out,
                           Error *err)
{
    DbValue p[] = {db_int(incident_id)};
    int64_t id = 0;
    int rc = store_query_int(c, "SELECT id FROM cases WHERE incident_id = $1 ORDER BY id", p, 1,
                             &id, err);
    if (rc != 0)
        return rc;
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    return entity_get(c, &cases_entity, actor, key, out, err);
}

int cases_create_from_incident(Tx *tx, json_t *incident, const char *evaluation, Error *err)
{
    static const char *const k_title[] = {"title", "name", NULL};
    static const char *const k_time[] = {"occurred_at", "reported_at", "received_at", "created_at",
                                         NULL};
    static const char *const k_div[] = {"division_code", NULL};
    static const char *const k_type[] = {"event_type", NULL};
    static const char *const k_deaths[] = {"deaths", NULL};
    static const char *const k_inj[] = {"serious_injuries", "injuries", NULL};
    static const char *const k_loss[] = {"direct_loss_wan", NULL};
    static const char *const k_summary[] = {"description", "summary", NULL};
    static const char *const k_cause[] = {"cause", NULL};
    static const char *const k_lessons[] = {"lessons", NULL};
    static const char *const k_measures[] = {"measures", NULL};

    json_t *idv = json_object_get(incident, "id");
    if (!json_is_integer(idv))
        return refuse(err, "id", "缺少事件编号");
    if (!first_of(incident, k_time))
        return refuse(err, "occurred_at", "缺少发生时间");
    if (!first_of(incident, k_div))
        return refuse(err, "division_code", "缺少所属区划");
    const char *ev = evaluation;
    while (ev && (*ev == ' ' || *ev == '\t' || *ev == '\n' || *ev == '\r'))
        ev++;
    if (!ev || !*ev)
        return refuse(err, "evaluation", "结案须填写总结评估");
    json_int_t id = json_integer_value(idv);

    json_t *in = json_object();
    json_t *title = first_of(incident, k_title);
    if (json_is_string(title) && json_string_length(title) > 0)
        json_object_set(in, "title", title);
    else
        json_object_set_new(in, "title", json_sprintf("事件 %lld", (long long)id));
    copy_as(in, "occurred_at", incident, k_time);
    copy_as(in, "division_code", incident, k_div);
    copy_as(in, "event_type", incident, k_type);
    copy_as(in, "deaths", incident, k_deaths);
    copy_as(in, "injuries", incident, k_inj);
    copy_as(in, "direct_loss_wan", incident, k_loss);
    json_t *yuan = json_object_get(incident, "direct_loss_yuan");
    if (!json_object_get(in, "direct_loss_wan") && json_is_number(yuan))
        json_object_set_new(in, "direct_loss_wan", json_real(json_number_value(yuan) / 10000.0));
    const char *g = json_string_value(json_object_get(incident, "grade"));
    if (g) {
        const char *lv = plans_response_level_of(g);
        static const char *const by_level[] = {"extraordinary", "major", "larger", "general"};
        static const char *const levels[] = {"I", "II", "III", "IV"};
        for (int i = 0; lv && i < 4; i++)
            if (strcmp(lv, levels[i]) == 0)
                g = by_level[i];
        json_object_set_new(in, "grade", json_string(g));
    }
    copy_as(in, "summary", incident, k_summary);
    copy_as(in, "cause", incident, k_cause);
    copy_as(in, "lessons", incident, k_lessons);
    copy_as(in, "measures", incident, k_measures);
    json_object_set_new(in, "evaluation", json_string(evaluation));
    json_object_set_new(in, "source", json_string("incident"));
    json_object_set_new(in, "source_ref", json_sprintf("incident:%lld", (long long)id));

    json_t *existing = NULL, *out = NULL;
    int rc = cases_find_by_incident(tx->conn, &actor_system, id, &existing, err);
    if (rc == 0) {
        char key[32];
        snprintf(key, sizeof key, "%lld",
                 (long long)json_integer_value(json_object_get(existing, "id")));
        rc = entity_update(tx, &cases_entity, key, in, &out, err);
    } else if (rc == 1) {
        rc = entity_create(tx, &cases_entity, in, &out, err);
        if (rc == 0) {
            char key[32];
            snprintf(key, sizeof key, "%lld",
                     (long long)json_integer_value(json_object_get(out, "id")));
            json_t *v = json_pack("{s:I}", "incident_id", id);
            rc = entity_update_internal(tx, &cases_entity, key, v, err);
            json_decref(v);
        }
    }
    json_decref(existing);
    json_decref(out);
    json_decref(in);
    return rc;
}

/* ---- related cases ----------------------------------------------------------------------- */

typedef struct Related {
    json_t *c; /* borrowed */
    int event, grade;
    const char *at;
    json_int_t id;
} Related;

static int grade_rank(const char *g)
{
    for (int i = 0; g && case_grades[i].value; i++)
        if (strcmp(g, case_grades[i].value) == 0)
            return i;
    return 4;
}

static int related_cmp(const void *pa, const void *pb)
{
    const Related *a = pa, *b = pb;
    if (a->event != b->event)
        return b->event - a->event;
    if (a->grade != b->grade)
        return a->grade - b->grade;
    int t = strcmp(b->at ? b->at : "", a->at ? a->at : "");
    if (t)
        return t;
    return a->id < b->id ? -1 : a->id > b->id;
}

int cases_related(StoreConn *c, Arena *arena, const Actor *actor, const char *event_type,
                  const char *division, int limit, json_t **out, Error *err)
{
    char div[16] = "";
    if (event_type && !*event_type)
        event_type = NULL;
    if (event_type && !plans_event_code_valid(event_type)) {
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "event_type must be a five-character code");
        error_field(err, "event_type", "应为 5 位事件类型代码（GB/T 35561，例如 12D01）");
        return -1;
    }
    if (division && *division &&
        (strlen(division) >= sizeof div || division_code_normalize(division, div) < 0)) {
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "malformed division code");
        error_field(err, "division", "应为 2、4、6、9 或 12 位数字的行政区划代码");
        return -1;
    }
    if (limit <= 0)
        limit = 10;
    if (limit > 100)
        limit = 100;
    DbRows rows;
    DbValue p[] = {db_text(arena_printf(arena, "%s%%", actor->jurisdiction)),
                   db_text(arena_printf(arena, "%s%%", div)),
                   db_text(arena_printf(arena, "%.2s%%", event_type ? event_type : ""))};
    if (store_query(c, arena,
                    event_type ? "SELECT * FROM cases WHERE division_code LIKE $1 AND "
                                 "division_code LIKE $2 AND event_type LIKE $3 ORDER BY id"
                               : "SELECT * FROM cases WHERE division_code LIKE $1 AND "
                                 "division_code LIKE $2 AND $3 = '%' ORDER BY id",
                    p, 3, &rows, err) < 0)
        return -1;
    json_t *all = json_array();
    Related *r = arena_alloc(arena, sizeof(Related) * (size_t)(rows.nrows + 1));
    for (int i = 0; i < rows.nrows; i++) {
        json_t *cs = entity_row_json(&cases_entity, &rows, i);
        json_array_append_new(all, cs);
        const char *t = json_string_value(json_object_get(cs, "event_type"));
        int ev = !event_type || !t                ? 0
                 : !strcmp(t, event_type)         ? 3
                 : strncmp(t, event_type, 3) == 0 ? 2
                                                  : 1;
        r[i] = (Related){cs, ev, grade_rank(json_string_value(json_object_get(cs, "grade"))),
                         json_string_value(json_object_get(cs, "occurred_at")),
                         json_integer_value(json_object_get(cs, "id"))};
    }
    qsort(r, (size_t)rows.nrows, sizeof *r, related_cmp);
    static const char *const names[] = {"any", "category", "class", "exact"};
    json_t *items = json_array();
    for (int i = 0; i < rows.nrows && i < limit; i++) {
        json_t *it = json_deep_copy(r[i].c);
        json_object_set_new(it, "match", json_string(names[r[i].event]));
        json_array_append_new(items, it);
    }
    json_decref(all);
    *out = json_pack("{s:o, s:i}", "items", items, "total", rows.nrows);
    return 0;
}

static int handle_related(Req *req, Resp *resp, Error *err)
{
    for (int i = 0; i < req->nquery; i++) {
        const char *n = req->query[i].name;
        if (strcmp(n, "event_type") && strcmp(n, "division") && strcmp(n, "limit"))
            return error_setf(err, 422, "unknown_filter", "不支持的查询参数：%s",
                              "unknown query parameter: %s", n, n);
    }
    const char *lim = req_query(req, "limit");
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = cases_related(c, req->arena, req->actor, req_query(req, "event_type"),
                           req_query(req, "division"), lim ? atoi(lim) : 0, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

/* ---- routes, migrations, module ---------------------------------------------------------- */

static const Route case_routes[] = {
    {"GET", "/api/v1/cases/related", handle_related, READ, SCOPE_JURISDICTION, &cases_entity,
     "相关案例（按事件类型、等级、时间）", 0},
    ENTITY_ROUTES(&cases_entity, "/api/v1/cases", READ, WRITE),
};

static void cases_register_routes(void)
{
    http_register_entity(&cases_entity);
    http_register_routes(case_routes, (int)(sizeof case_routes / sizeof case_routes[0]));
}

static int create_tables(StoreConn *c, Error *err)
{
    return entity_create_table(c, &cases_entity, err);
}

static const Migration case_migrations[] = {
    {1, "the case library", NULL, NULL, create_tables},
};

static int cases_migrate(Store *store, Error *err)
{
    return store_migrate(store, "cases", case_migrations,
                         (int)(sizeof case_migrations / sizeof case_migrations[0]), err);
}

const Module cases_module = {
    .name = "cases",
    .migrate = cases_migrate,
    .register_routes = cases_register_routes,
    .start = NULL,
    .demo = cases_demo,
};
