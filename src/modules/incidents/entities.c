/* modules/incidents/entities — the five entities, grading and the write hooks; see
 * incidents.h. */
#include "modules/incidents/incidents_internal.h"

#include "core/clock.h"
#include "flow/workflow.h"

#include <stdio.h>
#include <string.h>

#define F_END                                                                                      \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }

/* ---- grading ----------------------------------------------------------------------------- */

/* 生产安全事故报告和调查处理条例 第三条; "以上包括本数，以下不包括本数". Loss in 万元. */
IncidentGrade incident_grade(long long deaths, long long serious_injuries, double direct_loss_wan)
{
    if (deaths >= 30 || serious_injuries >= 100 || direct_loss_wan >= 10000)
        return INCIDENT_GRADE_EXTRAORDINARY;
    if (deaths >= 10 || serious_injuries >= 50 || direct_loss_wan >= 5000)
        return INCIDENT_GRADE_MAJOR;
    if (deaths >= 3 || serious_injuries >= 10 || direct_loss_wan >= 1000)
        return INCIDENT_GRADE_LARGER;
    return INCIDENT_GRADE_GENERAL;
}

static const EnumValue grades[] = {{"extraordinary", "特别重大"},
                                   {"major", "重大"},
                                   {"larger", "较大"},
                                   {"general", "一般"},
                                   {NULL, NULL}};

const char *incident_grade_value(IncidentGrade g)
{
    return g >= 1 && g <= 4 ? grades[g - 1].value : "general";
}

const char *incident_grade_label(IncidentGrade g)
{
    return g >= 1 && g <= 4 ? grades[g - 1].label_zh : "一般";
}

IncidentGrade incident_grade_from_value(const char *v)
{
    for (int i = 0; v && grades[i].value; i++)
        if (strcmp(grades[i].value, v) == 0)
            return (IncidentGrade)(i + 1);
    return 0;
}

const char *incident_suggested_level(IncidentGrade g)
{
    static const char *const lv[] = {"I", "II", "III", "IV"};
    return g >= 1 && g <= 4 ? lv[g - 1] : "IV";
}

int event_type_is_production_safety(const char *code)
{
    return code && strlen(code) == 5 && code[0] == '1' && code[1] == '2';
}

/* ---- event types ------------------------------------------------------------------------- */

static int code_ok(const char *s)
{
    if (!s || strlen(s) != 5)
        return 0;
    for (int i = 0; i < 5; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

static int refuse(Error *err, const char *field, const char *zh, const char *en)
{
    error_field(err, field, zh);
    return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
}

static int event_type_hook(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    (void)before;
    const char *code = json_string_value(json_object_get(rec, "code"));
    if (!code_ok(code))
        return refuse(err, "code", "代码应为 5 位数字或大写字母", "code must be 5 characters");
    const char *parent = json_string_value(json_object_get(rec, "parent_code"));
    if (parent && *parent) {
        if (strcmp(parent, code) == 0)
            return refuse(err, "parent_code", "上级代码不能是自身", "parent is itself");
        int64_t n = 0;
        DbValue p = db_text(parent);
        if (store_query_int(tx->conn, "SELECT count(*) FROM event_types WHERE code = $1", &p, 1, &n,
                            err) < 0)
            return -1;
        if (n == 0)
            return refuse(err, "parent_code", "上级代码不存在", "unknown parent code");
    }
    return 0;
}

static const Field event_type_fields[] = {
    {"code", FT_TEXT, FIELD_KEY | FIELD_REQUIRED | FIELD_SEARCH | FIELD_FILTER | FIELD_SORT, "代码",
     "code", NULL, NULL, 5, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "名称", "name", NULL, NULL, 100,
     0, 0, 0, NULL},
    {"parent_code", FT_TEXT, FIELD_FILTER | FIELD_INDEX, "上级代码", "parent code", NULL, NULL, 5,
     0, 0, 0, NULL},
    {"level", FT_INT, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "层级", "level", NULL, NULL, 0, 1,
     0, 3, NULL},
    F_END,
};

const Entity event_types_entity = {
    .table = "event_types",
    .plural = "event_types",
    .label_zh = "突发事件分类",
    .label_en = "event types",
    .fields = event_type_fields,
    .default_sort = "code",
    .before_write = event_type_hook,
};

/* ---- incidents --------------------------------------------------------------------------- */

static const EnumValue sources[] = {
    {"phone", "电话"}, {"hotline_12345", "12345热线"}, {"report", "报告"}, {"sensor", "监测"},
    {"upper", "上级"}, {"public", "群众举报"},         {NULL, NULL}};
static const EnumValue levels[] = {
    {"I", "I级"}, {"II", "II级"}, {"III", "III级"}, {"IV", "IV级"}, {NULL, NULL}};
static const EnumValue statuses[] = {{"reported", "已接报"},
                                     {"verified", "已核实"},
                                     {"responding", "处置中"},
                                     {"closed", "已结案"},
                                     {NULL, NULL}};

#define COUNT_FIELD(n, zh, en)                                                                     \
    {                                                                                              \
        n, FT_INT, FIELD_SORT, zh, en, NULL, NULL, 0, 1, 0, 1000000, "0"                           \
    }

static const Field incident_fields[] = {
    {"title", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "事件名称", "title", NULL, NULL,
     200, 0, 0, 0, NULL},
    {"source", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "信息来源", "source", sources, NULL, 0, 0, 0,
     0, NULL},
    {"occurred_at", FT_TIME, FIELD_REQUIRED | FIELD_SORT, "发生时间", "occurred at", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"reported_at", FT_TIME, FIELD_SORT | FIELD_IMMUTABLE, "接报时间", "reported at", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"address", FT_TEXT, FIELD_SEARCH, "地点", "address", NULL, NULL, 300, 0, 0, 0, NULL},
    {"lon", FT_REAL, 0, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, 0, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "行政区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"event_type", FT_TEXT, FIELD_REQUIRED | FIELD_FILTER, "事件类型", "event type", NULL, NULL, 5,
     0, 0, 0, NULL},
    COUNT_FIELD("deaths", "死亡人数", "deaths"),
    COUNT_FIELD("missing", "失踪人数", "missing"),
    COUNT_FIELD("serious_injuries", "重伤人数", "serious injuries"),
    COUNT_FIELD("injuries", "轻伤人数", "injuries"),
    {"direct_loss_wan", FT_REAL, FIELD_SORT, "直接经济损失（万元）", "direct loss (10k yuan)", NULL,
     NULL, 0, 1, 0, 1e9, "0"},
    {"description", FT_TEXT, FIELD_SEARCH | FIELD_FULLTEXT, "事件描述", "description", NULL, NULL,
     5000, 0, 0, 0, NULL},
    {"production_safety", FT_BOOL, FIELD_READONLY | FIELD_FILTER, "生产安全事故",
     "production safety accident", NULL, NULL, 0, 0, 0, 0, "0"},
    {"grade", FT_ENUM, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "事故等级", "grade", grades,
     NULL, 0, 0, 0, 0, NULL},
    {"suggested_response_level", FT_ENUM, FIELD_READONLY, "建议响应级别", "suggested level", levels,
     NULL, 0, 0, 0, 0, NULL},
    {"response_level", FT_ENUM, FIELD_READONLY | FIELD_FILTER, "响应级别", "response level", levels,
     NULL, 0, 0, 0, 0, NULL},
    {"status", FT_ENUM, FIELD_READONLY | FIELD_FILTER, "状态", "status", statuses, NULL, 0, 0, 0, 0,
     "'reported'"},
    {"grade_at", FT_TIME, FIELD_READONLY, "定级时间", "graded at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"late", FT_BOOL, FIELD_READONLY | FIELD_FILTER, "迟报", "late", NULL, NULL, 0, 0, 0, 0, "0"},
    {"late_items", FT_JSON, FIELD_READONLY | FIELD_NOCSV, "迟报事项", "late items", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"evaluation", FT_TEXT, FIELD_READONLY, "总结评估", "evaluation", NULL, NULL, 10000, 0, 0, 0,
     NULL},
    {"closed_at", FT_TIME, FIELD_READONLY | FIELD_SORT, "结案时间", "closed at", NULL, NULL, 0, 0,
     0, 0, NULL},
    F_END,
};

static long long int_of(json_t *rec, const char *k)
{
    json_t *v = json_object_get(rec, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static double num_of(json_t *rec, const char *k)
{
    json_t *v = json_object_get(rec, k);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static int same_value(json_t *a, json_t *b)
{
    if (!a || json_is_null(a))
        return !b || json_is_null(b);
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return b && json_equal(a, b);
}

/* 1 when rec differs from before in a field clients write (an unchanged re-import of a
 * closed incident is no change). */
static int client_changes(json_t *rec, json_t *before)
{
    for (const Field *f = incident_fields; f->name; f++)
        if (!(f->flags & FIELD_READONLY) &&
            !same_value(json_object_get(rec, f->name), json_object_get(before, f->name)))
            return 1;
    return 0;
}

static int incident_hook(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    if (before) {
        const char *st = json_string_value(json_object_get(before, "status"));
        if (st && strcmp(st, "closed") == 0 && client_changes(rec, before))
            return error_set(err, 409, "incident_closed", "事件已结案，不能再修改",
                             "the incident is closed");
    }
    const char *type = json_string_value(json_object_get(rec, "event_type"));
    int64_t n = 0;
    DbValue p = db_text(type ? type : "");
    if (store_query_int(tx->conn, "SELECT count(*) FROM event_types WHERE code = $1", &p, 1, &n,
                        err) < 0)
        return -1;
    if (n == 0)
        return refuse(err, "event_type", "事件类型代码不存在（见突发事件分类）",
                      "unknown event type");
    int64_t now = clock_now(), occurred = 0, reported = now;
    const char *rs = json_string_value(json_object_get(rec, "reported_at"));
    if (rs)
        clock_parse_iso(rs, &reported);
    else
        json_object_set_new(rec, "reported_at", json_string(incidents_iso(tx->arena, now)));
    clock_parse_iso(json_string_value(json_object_get(rec, "occurred_at")), &occurred);
    if (occurred > reported)
        return refuse(err, "occurred_at", "发生时间不能晚于接报时间",
                      "occurred_at is after reported_at");
    if (reported > now + 600)
        return refuse(err, "reported_at", "接报时间不能晚于当前时间", "reported_at in the future");

    IncidentGrade g =
        incident_grade(int_of(rec, "deaths") + int_of(rec, "missing"),
                       int_of(rec, "serious_injuries"), num_of(rec, "direct_loss_wan"));
    json_object_set_new(rec, "grade", json_string(incident_grade_value(g)));
    json_object_set_new(rec, "suggested_response_level", json_string(incident_suggested_level(g)));
    json_object_set_new(rec, "production_safety",
                        json_boolean(event_type_is_production_safety(type)));
    IncidentGrade old =
        before ? incident_grade_from_value(json_string_value(json_object_get(before, "grade"))) : 0;
    if (!before)
        json_object_set_new(rec, "grade_at",
                            json_string(json_string_value(json_object_get(rec, "reported_at"))));
    else if (old && g < old) /* raised: the clock of the new grade starts now */
        json_object_set_new(rec, "grade_at", json_string(incidents_iso(tx->arena, now)));
    return 0;
}

const Entity incidents_entity = {
    .table = "incidents",
    .plural = "incidents",
    .label_zh = "突发事件",
    .label_en = "incidents",
    .fields = incident_fields,
    .division_field = "division_code",
    .default_sort = "-reported_at",
    .before_write = incident_hook,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "title",
    .state_field = "status",
};

/* ---- timeline ---------------------------------------------------------------------------- */

static const Field event_fields[] = {
    {"incident_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "事件", "incident", NULL, "incidents", 0,
     0, 0, 0, NULL},
    {"at", FT_TIME, FIELD_REQUIRED | FIELD_SORT, "时间", "at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"kind", FT_TEXT, FIELD_REQUIRED | FIELD_FILTER, "类别", "kind", NULL, NULL, 40, 0, 0, 0, NULL},
    {"actor", FT_TEXT, 0, "操作人", "actor", NULL, NULL, 100, 0, 0, 0, NULL},
    {"text", FT_TEXT, FIELD_SEARCH, "内容", "text", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"data", FT_JSON, 0, "数据", "data", NULL, NULL, 0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "行政区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    F_END,
};

const Entity incident_events_entity = {
    .table = "incident_events",
    .plural = "incident_events",
    .label_zh = "事件时间线",
    .label_en = "incident timeline",
    .fields = event_fields,
    .division_field = "division_code",
    .default_sort = "at",
};

/* ---- attachments ------------------------------------------------------------------------- */

static const Field attachment_fields[] = {
    {"incident_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE, "事件", "incident",
     NULL, "incidents", 0, 0, 0, 0, NULL},
    {"file_name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "文件名", "file name", NULL, NULL, 200, 0,
     0, 0, NULL},
    {"content_type", FT_TEXT, FIELD_REQUIRED | FIELD_FILTER, "文件类型", "content type", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"size", FT_INT, FIELD_REQUIRED | FIELD_SORT, "大小（字节）", "size", NULL, NULL, 0, 1, 0,
     INCIDENT_ATTACHMENT_MAX, NULL},
    {"sha256", FT_TEXT, FIELD_REQUIRED | FIELD_INDEX, "SHA-256", "sha256", NULL, NULL, 64, 0, 0, 0,
     NULL},
    {"uploaded_by", FT_TEXT, 0, "上传人", "uploaded by", NULL, NULL, 100, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER, "行政区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    F_END,
};

const Entity incident_attachments_entity = {
    .table = "incident_attachments",
    .plural = "incident_attachments",
    .label_zh = "事件附件",
    .label_en = "incident attachments",
    .fields = attachment_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};

/* ---- reports ----------------------------------------------------------------------------- */

static const EnumValue report_kinds[] = {
    {"first", "首报"}, {"followup", "续报"}, {"final", "终报"}, {NULL, NULL}};
static const EnumValue channels[] = {{"phone", "电话"}, {"written", "书面"}, {NULL, NULL}};
static const EnumValue report_statuses[] = {{"draft", "草稿"}, {"sent", "已报送"}, {NULL, NULL}};

static int report_hook(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    if (before) {
        const char *st = json_string_value(json_object_get(before, "status"));
        if (st && strcmp(st, "sent") == 0)
            return error_set(err, 409, "report_sent", "报告已报送，内容不可修改（请另发续报）",
                             "the report was sent; its content is frozen");
        return 0;
    }
    return incidents_report_prepare(tx, rec, err);
}

static const Field report_fields[] = {
    {"incident_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE, "事件", "incident",
     NULL, "incidents", 0, 0, 0, 0, NULL},
    {"number", FT_TEXT, FIELD_READONLY | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT, "文号", "number",
     NULL, NULL, 60, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "报告类别", "kind", report_kinds, NULL, 0, 0,
     0, 0, NULL},
    {"channel", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "报送方式", "channel", channels, NULL, 0, 0,
     0, 0, NULL},
    {"recipient", FT_TEXT, 0, "报送单位", "recipient", NULL, NULL, 200, 0, 0, 0, NULL},
    {"content", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "报告内容", "content", NULL, NULL, 10000, 0,
     0, 0, NULL},
    {"status", FT_ENUM, FIELD_READONLY | FIELD_FILTER, "状态", "status", report_statuses, NULL, 0,
     0, 0, 0, "'draft'"},
    {"sent_at", FT_TIME, FIELD_READONLY | FIELD_SORT, "报送时间", "sent at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"due_at", FT_TIME, FIELD_READONLY, "报送时限", "due at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"rule", FT_TEXT, FIELD_READONLY, "时限规则", "rule", NULL, NULL, 40, 0, 0, 0, NULL},
    {"late", FT_BOOL, FIELD_READONLY | FIELD_FILTER, "迟报", "late", NULL, NULL, 0, 0, 0, 0, "0"},
    {"sent_by", FT_TEXT, FIELD_READONLY, "报送人", "sent by", NULL, NULL, 100, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER, "行政区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    F_END,
};

const Entity incident_reports_entity = {
    .table = "incident_reports",
    .plural = "incident_reports",
    .label_zh = "信息报送",
    .label_en = "incident reports",
    .fields = report_fields,
    .division_field = "division_code",
    .default_sort = "-id",
    .before_write = report_hook,
};

/* ---- workflow ---------------------------------------------------------------------------- */

static const char *const need_evaluation[] = {"evaluation", NULL};
static const Transition incident_transitions[] = {
    {"reported", "verify", "verified", ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER, NULL,
     "核实", 0},
    {"verified", "respond", "responding", ROLE_ADMIN | ROLE_COMMANDER, NULL, "启动处置", 0},
    {"verified", "close", "closed", ROLE_ADMIN | ROLE_COMMANDER, need_evaluation, "结案", 0},
    {"responding", "close", "closed", ROLE_ADMIN | ROLE_COMMANDER, need_evaluation, "结案", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow incident_flow = {"incidents", "id", "status", "division_code", incident_transitions};
