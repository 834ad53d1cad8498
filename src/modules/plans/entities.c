/* modules/plans — the plans and plan_versions entities and the plan hook; see plans.h. */
#include "modules/plans/plans_internal.h"

#include "core/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define F_END                                                                                      \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }

static const EnumValue plan_levels[] = {
    {"city", "市级"},    {"county", "县级"},       {"town", "乡级"},
    {"village", "村级"}, {"enterprise", "企事业"}, {NULL, NULL},
};

static const EnumValue plan_kinds[] = {
    {"overall", "总体预案"},    {"special", "专项预案"}, {"department", "部门预案"},
    {"onsite", "现场处置方案"}, {"card", "应急处置卡"},  {NULL, NULL},
};

static const EnumValue plan_states[] = {
    {"draft", "草稿"}, {"submitted", "已报送"}, {"filed", "已备案"}, {"returned", "退回"},
    {NULL, NULL},
};

static const Field plan_fields[] = {
    {"title", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_FULLTEXT | FIELD_SORT, "预案名称",
     "title", NULL, NULL, 200, 0, 0, 0, NULL},
    {"level", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "预案层级", "level", plan_levels,
     NULL, 0, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "预案类别", "kind", plan_kinds,
     NULL, 0, 0, 0, 0, NULL},
    {"event_types", FT_JSON, 0, "适用事件类型", "event types", NULL, NULL, 0, 0, 0, 0, NULL},
    {"response_levels", FT_JSON, 0, "适用响应级别", "response levels", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"org_id", FT_REF, FIELD_FILTER, "编制单位", "owner organisation", NULL, "orgs", 0, 0, 0, 0,
     NULL},
    {"body", FT_TEXT, FIELD_SEARCH | FIELD_FULLTEXT, "预案正文", "body", NULL, NULL, 200000, 0, 0,
     0, NULL},
    {"response_steps", FT_JSON, 0, "响应步骤", "response steps", NULL, NULL, 0, 0, 0, 0, NULL},
    {"responsible_units", FT_JSON, FIELD_SEARCH | FIELD_FULLTEXT, "责任单位", "responsible units",
     NULL, NULL, 0, 0, 0, 0, NULL},
    {"resources_named", FT_TEXT, FIELD_SEARCH | FIELD_FULLTEXT, "所需应急资源", "resources named",
     NULL, NULL, 2000, 0, 0, 0, NULL},
    {"version", FT_INT, FIELD_READONLY | FIELD_SORT, "版本号", "version", NULL, NULL, 0, 0, 0, 0,
     "1"},
    {"effective_date", FT_DATE, FIELD_SORT, "印发日期", "effective date", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"revision_due", FT_DATE, FIELD_SORT, "修订期限", "revision due", NULL, NULL, 0, 0, 0, 0, NULL},
    {"state", FT_ENUM, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "备案状态", "filing state",
     plan_states, NULL, 0, 0, 0, 0, "'draft'"},
    {"submitted_at", FT_TIME, FIELD_READONLY | FIELD_SORT, "报送时间", "submitted at", NULL, NULL,
     0, 0, 0, 0, NULL},
    {"filed_at", FT_TIME, FIELD_READONLY | FIELD_SORT, "备案时间", "filed at", NULL, NULL, 0, 0, 0,
     0, NULL},
    {"review_comment", FT_TEXT, FIELD_READONLY, "审查意见", "review comment", NULL, NULL, 1000, 0,
     0, 0, NULL},
    F_END,
};

/* ---- checks of the structured parts ------------------------------------------------------ */

int plans_event_code_valid(const char *s)
{
    if (!s || strlen(s) != 5 || s[0] != '1' || !isdigit((unsigned char)s[1]))
        return 0;
    char c = s[2];
    int class_ok = c == '0' || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O');
    return class_ok && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]);
}

static const char *const levels_roman[] = {"I", "II", "III", "IV"};

static int level_index(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, levels_roman[i]) == 0)
            return i;
    return -1;
}

const char *plans_response_level_of(const char *s)
{
    static const char *const aliases[4][8] = {
        {"I", "1", "Ⅰ", "特别重大", "extraordinary", "especially_major", "particularly_serious",
         "I级"},
        {"II", "2", "Ⅱ", "重大", "major", "serious", "II级", NULL},
        {"III", "3", "Ⅲ", "较大", "larger", "relatively_major", "large", "III级"},
        {"IV", "4", "Ⅳ", "一般", "general", "ordinary", "IV级", NULL},
    };
    for (int i = 0; s && i < 4; i++)
        for (int k = 0; k < 8 && aliases[i][k]; k++)
            if (strcmp(s, aliases[i][k]) == 0)
                return levels_roman[i];
    return NULL;
}

typedef struct Check {
    Error *err;
    int problems;
} Check;

static void refuse(Check *c, const char *field, const char *zh)
{
    if (!c->problems++)
        error_set(c->err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "invalid structured plan fields");
    error_field(c->err, field, zh);
}

static int array_or_null(Check *c, json_t *rec, const char *field, const char *zh)
{
    json_t *v = json_object_get(rec, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        refuse(c, field, zh);
        return -1;
    }
    return 1;
}

static int string_in(json_t *arr, const char *s, size_t upto)
{
    for (size_t i = 0; i < upto && i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_array_get(arr, i)), s) == 0)
            return 1;
    return 0;
}

static void check_event_types(Check *c, json_t *rec)
{
    if (array_or_null(c, rec, "event_types", "应为事件类型代码的数组，例如 [\"11B03\"]") <= 0)
        return;
    json_t *arr = json_object_get(rec, "event_types");
    if (json_array_size(arr) > 100)
        return refuse(c, "event_types", "事件类型不能超过 100 个");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || !plans_event_code_valid(json_string_value(v))) {
            char msg[160];
            snprintf(msg, sizeof msg, "第 %zu 项不是 5 位事件类型代码（GB/T 35561，例如 11B03）",
                     i + 1);
            return refuse(c, "event_types", msg);
        }
        if (string_in(arr, json_string_value(v), i))
            return refuse(c, "event_types", "事件类型重复");
    }
}

static void check_levels(Check *c, json_t *rec)
{
    if (array_or_null(c, rec, "response_levels", "应为响应级别的数组，例如 [\"I\",\"II\"]") <= 0)
        return;
    json_t *arr = json_object_get(rec, "response_levels");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || level_index(json_string_value(v)) < 0)
            return refuse(c, "response_levels", "响应级别只能是 I、II、III、IV");
        if (string_in(arr, json_string_value(v), i))
            return refuse(c, "response_levels", "响应级别重复");
    }
}

static int nonblank(json_t *v)
{
    const char *s = json_string_value(v);
    while (s && *s && isspace((unsigned char)*s))
        s++;
    return s && *s;
}

static void check_steps(Check *c, json_t *rec)
{
    if (array_or_null(c, rec, "response_steps", "应为响应步骤的数组") <= 0)
        return;
    json_t *arr = json_object_get(rec, "response_steps");
    json_t *levels = json_object_get(rec, "response_levels");
    if (json_array_size(arr) > 500)
        return refuse(c, "response_steps", "响应步骤不能超过 500 条");
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s)
    {
        char msg[200];
        const char *why = NULL;
        json_t *lv = json_object_get(s, "level"), *st = json_object_get(s, "step");
        if (!json_is_object(s))
            why = "应为对象 {level, step, responsible_org, action}";
        else if (json_object_size(s) != 4 || !lv || !st || !json_object_get(s, "responsible_org") ||
                 !json_object_get(s, "action"))
            why = "应恰好包含 level、step、responsible_org、action 四项";
        else if (!json_is_string(lv) || level_index(json_string_value(lv)) < 0)
            why = "level 只能是 I、II、III、IV";
        else if (!json_is_integer(st) || json_integer_value(st) < 1 ||
                 json_integer_value(st) > 1000)
            why = "step 应为 1 至 1000 的整数";
        else if (!nonblank(json_object_get(s, "responsible_org")))
            why = "responsible_org（责任单位）必填";
        else if (!nonblank(json_object_get(s, "action")))
            why = "action（处置措施）必填";
        else if (json_is_array(levels) && !string_in(levels, json_string_value(lv), (size_t)-1))
            why = "级别不在本预案的适用响应级别中";
        if (why) {
            snprintf(msg, sizeof msg, "第 %zu 步：%s", i + 1, why);
            return refuse(c, "response_steps", msg);
        }
    }
}

/* responsible_units: names; when not given, the units the steps name, in order. */
static void check_units(Check *c, json_t *rec)
{
    int has = array_or_null(c, rec, "responsible_units", "应为单位名称的数组");
    if (has < 0)
        return;
    if (has == 0) {
        json_t *steps = json_object_get(rec, "response_steps");
        if (!json_is_array(steps) || json_array_size(steps) == 0)
            return;
        json_t *units = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(steps, i, s)
        {
            json_t *org = json_object_get(s, "responsible_org");
            if (json_is_string(org) && !string_in(units, json_string_value(org), (size_t)-1))
                json_array_append(units, org);
        }
        json_object_set_new(rec, "responsible_units", units);
        return;
    }
    size_t i;
    json_t *v;
    json_t *arr = json_object_get(rec, "responsible_units");
    json_array_foreach(arr, i, v)
    {
        if (!nonblank(v))
            return refuse(c, "responsible_units", "单位名称应为非空文本");
    }
}

static void check_division_level(Check *c, json_t *rec)
{
    const char *level = json_string_value(json_object_get(rec, "level"));
    const char *code = json_string_value(json_object_get(rec, "division_code"));
    if (!level || !code || strcmp(level, "enterprise") == 0)
        return;
    size_t want = strcmp(level, "city") == 0     ? 4
                  : strcmp(level, "county") == 0 ? 6
                  : strcmp(level, "town") == 0   ? 9
                                                 : 12;
    if (strlen(code) != want)
        refuse(c, "division_code",
               "区划级别与预案层级不符（市级 4 位、县级 6 位、乡级 9 位、村级 12 位）");
}

void plans_today(char *out, size_t n)
{
    char iso[32];
    clock_format_iso(clock_now() + 8 * 3600, iso, sizeof iso); /* Asia/Shanghai, no DST */
    snprintf(out, n, "%.10s", iso);
}

int plans_revision_overdue(json_t *plan, const char *today)
{
    const char *due = json_string_value(json_object_get(plan, "revision_due"));
    return due && strcmp(due, today) < 0;
}

/* Three years after today: the latest a plan's next evaluation and revision may come. */
void plans_default_due(char *out, size_t n)
{
    char today[16];
    plans_today(today, sizeof today);
    int y = 0, m = 0, d = 0;
    sscanf(today, "%d-%d-%d", &y, &m, &d);
    if (m == 2 && d == 29)
        d = 28;
    snprintf(out, n, "%04d-%02d-%02d", y + 3, m, d);
}

/* Fields a submitted or filed plan keeps: everything but revision_due. */
static const char *const content_fields[] = {
    "title",           "level",          "kind", "event_types",    "response_levels",
    "division_code",   "org_id",         "body", "response_steps", "responsible_units",
    "resources_named", "effective_date", NULL};

static int content_changed(json_t *rec, json_t *before)
{
    for (const char *const *f = content_fields; *f; f++) {
        json_t *a = json_object_get(rec, *f), *b = json_object_get(before, *f);
        int a_null = !a || json_is_null(a), b_null = !b || json_is_null(b);
        if (a_null != b_null || (!a_null && !json_equal(a, b)))
            return 1;
    }
    return 0;
}

static int plan_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)tx;
    (void)e;
    if (before) {
        const char *state = json_string_value(json_object_get(before, "state"));
        if (state && (strcmp(state, "submitted") == 0 || strcmp(state, "filed") == 0) &&
            content_changed(rec, before))
            return error_set(err, 409, "plan_locked",
                             strcmp(state, "filed") == 0
                                 ? "已备案的预案不能直接修改，请通过“修订”生成新版本"
                                 : "已报送待审的预案不能修改，请等待审查结果",
                             "a %s plan's content cannot be changed in place", state);
    }
    Check c = {err, 0};
    check_event_types(&c, rec);
    check_levels(&c, rec);
    check_steps(&c, rec);
    check_units(&c, rec);
    check_division_level(&c, rec);
    if (c.problems)
        return -1;
    json_t *due = json_object_get(rec, "revision_due");
    if (!before && (!due || json_is_null(due))) {
        char d[16];
        plans_default_due(d, sizeof d);
        json_object_set_new(rec, "revision_due", json_string(d));
    }
    return 0;
}

const Entity plans_entity = {
    .table = "plans",
    .plural = "plans",
    .label_zh = "应急预案",
    .label_en = "contingency plans",
    .fields = plan_fields,
    .division_field = "division_code",
    .default_sort = "title",
    .before_write = plan_before_write,
};

/* ---- frozen versions --------------------------------------------------------------------- */

static const Field version_fields[] = {
    {"plan_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "预案", "plan", NULL, "plans", 0, 0, 0, 0,
     NULL},
    {"version", FT_INT, FIELD_REQUIRED | FIELD_SORT, "版本号", "version", NULL, NULL, 0, 1, 1,
     1000000, NULL},
    {"title", FT_TEXT, FIELD_REQUIRED, "预案名称", "title", NULL, NULL, 200, 0, 0, 0, NULL},
    {"state", FT_TEXT, FIELD_REQUIRED, "冻结时状态", "state when frozen", NULL, NULL, 20, 0, 0, 0,
     NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "所属区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"filed_at", FT_TIME, 0, "备案时间", "filed at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"note", FT_TEXT, 0, "说明", "note", NULL, NULL, 1000, 0, 0, 0, NULL},
    {"frozen_by", FT_TEXT, 0, "冻结人", "frozen by", NULL, NULL, 100, 0, 0, 0, NULL},
    {"snapshot", FT_JSON, FIELD_REQUIRED | FIELD_NOCSV, "版本全文", "frozen text", NULL, NULL, 0, 0,
     0, 0, NULL},
    F_END,
};

const Entity plan_versions_entity = {
    .table = "plan_versions",
    .plural = "plan_versions",
    .label_zh = "预案版本",
    .label_en = "plan versions",
    .fields = version_fields,
    .division_field = "division_code",
    .default_sort = "-version",
};

int plans_freeze(Tx *tx, json_t *plan, const char *note, Error *err)
{
    json_int_t id = json_integer_value(json_object_get(plan, "id"));
    json_int_t version = json_integer_value(json_object_get(plan, "version"));
    DbValue p[] = {db_int(id), db_int(version)};
    int64_t n = 0;
    if (store_query_int(tx->conn,
                        "SELECT count(*) FROM plan_versions WHERE plan_id = $1 AND version = $2", p,
                        2, &n, err) < 0)
        return -1;
    if (n > 0)
        return 0;
    json_t *in =
        json_pack("{s:I, s:I, s:O, s:O, s:O, s:O}", "plan_id", id, "version", version, "title",
                  json_object_get(plan, "title"), "state", json_object_get(plan, "state"),
                  "division_code", json_object_get(plan, "division_code"), "snapshot", plan);
    json_t *filed = json_object_get(plan, "filed_at");
    if (json_is_string(filed))
        json_object_set(in, "filed_at", filed);
    if (note && *note)
        json_object_set_new(in, "note", json_string(note));
    if (tx->actor->username && *tx->actor->username)
        json_object_set_new(in, "frozen_by", json_string(tx->actor->username));
    json_t *out = NULL;
    int rc = entity_create(tx, &plan_versions_entity, in, &out, err);
    json_decref(in);
    json_decref(out);
    return rc;
}
