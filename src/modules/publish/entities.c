/* modules/publish/entities — the publication tables declared once, and the warning
 * workflow as a table; see publish.h. */
#include "modules/publish/publish_internal.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>

#define RO FIELD_READONLY
#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }

int64_t pub_json_int(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v))
        return atoll(json_string_value(v));
    return 0;
}

const char *pub_json_str(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* ---- enumerations ------------------------------------------------------------------------- */

static const EnumValue levels[] = {
    {"red", "红色"}, {"orange", "橙色"}, {"yellow", "黄色"}, {"blue", "蓝色"}, {NULL, NULL},
};

CapLevel pub_level_of(const char *name)
{
    static const CapLevel map[] = {CAP_LEVEL_RED, CAP_LEVEL_ORANGE, CAP_LEVEL_YELLOW,
                                   CAP_LEVEL_BLUE};
    for (int i = 0; name && levels[i].value; i++)
        if (strcmp(levels[i].value, name) == 0)
            return map[i];
    return CAP_LEVEL_NONE;
}

const char *pub_level_name(CapLevel l)
{
    switch (l) {
    case CAP_LEVEL_RED:
        return "red";
    case CAP_LEVEL_ORANGE:
        return "orange";
    case CAP_LEVEL_YELLOW:
        return "yellow";
    case CAP_LEVEL_BLUE:
        return "blue";
    default:
        return NULL;
    }
}

const char *pub_level_zh(const char *name)
{
    for (int i = 0; name && levels[i].value; i++)
        if (strcmp(levels[i].value, name) == 0)
            return levels[i].label_zh;
    return "";
}

static const EnumValue warning_states[] = {
    {"draft", "草稿"},       {"review", "待审核"},     {"approved", "已审核"}, {"issued", "已发布"},
    {"cancelled", "已解除"}, {"superseded", "已更新"}, {NULL, NULL},
};

static const EnumValue msg_types[] = {
    {"Alert", "首发"}, {"Update", "更新"}, {"Cancel", "解除"}, {NULL, NULL}};

static const EnumValue cap_statuses[] = {
    {"Actual", "正式"}, {"Exercise", "演练"}, {"Test", "测试"}, {NULL, NULL}};

static const EnumValue urgencies[] = {{"Immediate", "立即"}, {"Expected", "预期"},
                                      {"Future", "未来"},    {"Past", "已过去"},
                                      {"Unknown", "未知"},   {NULL, NULL}};

static const EnumValue certainties[] = {{"Observed", "已发生"}, {"Likely", "很可能"},
                                        {"Possible", "可能"},   {"Unlikely", "不太可能"},
                                        {"Unknown", "未知"},    {NULL, NULL}};

static const EnumValue categories[] = {
    {"Geo", "地质"},       {"Met", "气象"},       {"Safety", "安全"},       {"Security", "治安"},
    {"Rescue", "救援"},    {"Fire", "火灾"},      {"Health", "卫生"},       {"Env", "环境"},
    {"Transport", "交通"}, {"Infra", "基础设施"}, {"CBRNE", "危化/核生化"}, {"Other", "其他"},
    {NULL, NULL}};

static const EnumValue person_roles[] = {{"town_leader", "乡镇领导"},
                                         {"village_leader", "村干部"},
                                         {"grid_member", "网格员"},
                                         {"info_officer", "信息员"},
                                         {"enterprise_safety", "企业安全员"},
                                         {"risk_owner", "风险点责任人"},
                                         {NULL, NULL}};

static const EnumValue special_kinds[] = {
    {"elderly", "老人"}, {"disabled", "残疾人"}, {"other", "其他"}, {NULL, NULL}};

static const EnumValue target_kinds[] = {
    {"person", "责任人"}, {"backup", "AB岗"}, {"special", "特殊群体"}, {NULL, NULL}};

static const EnumValue target_states[] = {{"queued", "待发送"},    {"sent", "已发送"},
                                          {"delivered", "已送达"}, {"answered", "已应答"},
                                          {"failed", "发送失败"},  {NULL, NULL}};

static const EnumValue escalations[] = {{"none", "未升级"},
                                        {"backup", "已转AB岗"},
                                        {"visit", "已派上门"},
                                        {"covered", "AB岗已应答"},
                                        {NULL, NULL}};

static const EnumValue outcomes[] = {{"sent", "已发送"}, {"failed", "失败"}, {NULL, NULL}};

static const EnumValue visit_states[] = {{"open", "待上门"}, {"done", "已上门"}, {NULL, NULL}};

/* ---- warnings (预警信息) ------------------------------------------------------------------ */

static const Field warning_fields[] = {
    {"identifier", FT_TEXT, RO | FIELD_SEARCH | FIELD_SORT, "预警编号", "CAP identifier", NULL,
     NULL, 64, 0, 0, 0, NULL},
    {"msg_type", FT_ENUM, RO | FIELD_FILTER, "信息类型", "message type", msg_types, NULL, 0, 0, 0,
     0, "'Alert'"},
    {"references_id", FT_REF, RO | FIELD_FILTER, "更新/解除的预警", "references", NULL,
     "publish_warnings", 0, 0, 0, 0, NULL},
    {"cap_status", FT_ENUM, 0, "信息状态", "CAP status", cap_statuses, NULL, 0, 0, 0, 0,
     "'Actual'"},
    {"level", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "预警级别", "level", levels,
     NULL, 0, 0, 0, 0, NULL},
    {"event", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "事件类型", "event", NULL, NULL, 100, 0, 0, 0,
     NULL},
    {"event_code", FT_TEXT, FIELD_REQUIRED | FIELD_FILTER, "事件类型代码",
     "event code (GB/T 35561)", NULL, NULL, 5, 0, 0, 0, NULL},
    {"category", FT_ENUM, 0, "类别", "category", categories, NULL, 0, 0, 0, 0, "'Met'"},
    {"urgency", FT_ENUM, 0, "紧急程度", "urgency", urgencies, NULL, 0, 0, 0, 0, "'Expected'"},
    {"certainty", FT_ENUM, 0, "确定程度", "certainty", certainties, NULL, 0, 0, 0, 0, "'Likely'"},
    {"sender_name", FT_TEXT, 0, "发布单位", "sender name", NULL, NULL, 100, 0, 0, 0, NULL},
    {"headline", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "标题", "headline", NULL, NULL, 200, 0, 0,
     0, NULL},
    {"description", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "预警内容", "description", NULL, NULL,
     2000, 0, 0, 0, NULL},
    {"instruction", FT_TEXT, 0, "防御指南", "instruction", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"headline_en", FT_TEXT, 0, "英文标题", "headline (en-US)", NULL, NULL, 200, 0, 0, 0, NULL},
    {"description_en", FT_TEXT, 0, "英文内容", "description (en-US)", NULL, NULL, 2000, 0, 0, 0,
     NULL},
    {"instruction_en", FT_TEXT, 0, "英文防御指南", "instruction (en-US)", NULL, NULL, 2000, 0, 0, 0,
     NULL},
    {"area_desc", FT_TEXT, 0, "影响区域描述", "area description", NULL, NULL, 500, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "发布区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"target_divisions", FT_JSON, 0, "目标区划", "target division codes", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"polygons", FT_JSON, 0, "目标多边形", "target polygons (GeoJSON)", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"circles", FT_JSON, 0, "目标圆形区域", "target circles", NULL, NULL, 0, 0, 0, 0, NULL},
    {"effective", FT_TIME, 0, "生效时间", "effective", NULL, NULL, 0, 0, 0, 0, NULL},
    {"expires", FT_TIME, FIELD_SORT, "失效时间", "expires", NULL, NULL, 0, 0, 0, 0, NULL},
    {"state", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "状态", "state", warning_states, NULL, 0, 0,
     0, 0, "'draft'"},
    {"source_monitor_warning_id", FT_INT, RO | FIELD_FILTER, "来源监测预警", "monitoring warning",
     NULL, NULL, 0, 0, 0, 0, NULL},
    {"sent_at", FT_TEXT, RO | FIELD_NOCSV, "CAP发送时间", "CAP sent", NULL, NULL, 32, 0, 0, 0,
     NULL},
    {"cap_xml", FT_TEXT, RO | FIELD_NOCSV, "CAP报文", "issued CAP XML", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"cancel_cap_xml", FT_TEXT, RO | FIELD_NOCSV, "解除CAP报文", "CAP Cancel message", NULL, NULL,
     0, 0, 0, 0, NULL},
    {"issued_at", FT_TIME, RO | FIELD_SORT, "发布时间", "issued at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"last_answer_at", FT_TIME, RO, "最后应答时间", "last answer at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"targets_total", FT_INT, RO, "叫应对象数", "targets", NULL, NULL, 0, 0, 0, 0, "0"},
    END,
};

static int warning_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    if (before) {
        const char *state = pub_json_str(before, "state");
        if (state && strcmp(state, "draft") != 0 && strcmp(state, "review") != 0 &&
            tx->actor->user_id != 0)
            return error_set(err, 409, "invalid_state", "只有草稿和待审核的预警可以修改",
                             "only drafts and warnings under review can be edited");
    }
    return pub_area_check(rec, tx->actor, err);
}

const Entity publish_warnings_entity = {
    .table = "publish_warnings",
    .plural = "publish-warnings",
    .label_zh = "预警信息",
    .label_en = "published warnings",
    .fields = warning_fields,
    .division_field = "division_code",
    .default_sort = "-id",
    .before_write = warning_before_write,
    .state_field = "state",
};

/* draft → review (审核) → approved → issued → cancelled / superseded (by an issued update) */
static const char *const need_reason[] = {"reason", NULL};
static const Transition transitions[] = {
    {"draft", "submit", "review", ROLE_DUTY_OFFICER | ROLE_COMMANDER | ROLE_ADMIN, NULL, "提交审核",
     0},
    {"review", "approve", "approved", ROLE_COMMANDER | ROLE_ADMIN, NULL, "审核通过", 0},
    {"review", "return", "draft", ROLE_COMMANDER | ROLE_ADMIN, need_reason, "退回", 0},
    {"approved", "issue", "issued", ROLE_COMMANDER | ROLE_ADMIN, NULL, "签发", 0},
    {"issued", "cancel", "cancelled", ROLE_COMMANDER | ROLE_ADMIN, need_reason, "解除", 0},
    {"issued", "supersede", "superseded", ROLE_COMMANDER | ROLE_ADMIN, NULL, "被更新", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow pub_flow = {"publish_warnings", "id", "state", "division_code", transitions};

/* ---- the directory: people (责任人) and special groups (特殊群体) ------------------------- */

static int check_channels(json_t *rec, Error *err)
{
    json_t *ch = json_object_get(rec, "channels");
    if (!ch || json_is_null(ch))
        return 0;
    size_t i;
    json_t *v;
    int ok = json_is_array(ch);
    json_array_foreach(ch, i, v)
    {
        if (!json_is_string(v))
            ok = 0;
    }
    if (ok)
        return 0;
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
              "channels must be an array of channel names");
    error_field(err, "channels", "渠道应为渠道名称的数组");
    return -1;
}

/* Mainland mobiles as 11 digits ("+86 139-0000-0001" → "13900000001"), the form SMS replies
 * are matched in (channel_parse_replies normalises the sender the same way); others as given. */
static void normalise_phone(json_t *rec)
{
    const char *ph = pub_json_str(rec, "phone");
    if (!ph)
        return;
    char d[32];
    size_t n = 0;
    for (const char *p = ph; *p && n < sizeof d - 1; p++) {
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
        else if (*p != ' ' && *p != '-' && !(*p == '+' && p == ph))
            return; /* not a plain number: keep it */
    }
    d[n] = 0;
    const char *m = d;
    if (n == 15 && strncmp(d, "0086", 4) == 0)
        m = d + 4;
    else if (n == 13 && strncmp(d, "86", 2) == 0)
        m = d + 2;
    if (strlen(m) == 11 && m[0] == '1' && strcmp(m, ph) != 0)
        json_object_set_new(rec, "phone", json_string(m));
}

static int person_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)tx;
    (void)e;
    normalise_phone(rec);
    int64_t id = before ? pub_json_int(before, "id") : 0;
    if (id && (pub_json_int(rec, "backup_id") == id || pub_json_int(rec, "grid_member_id") == id)) {
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "a person cannot be their own backup or grid member");
        error_field(err, "backup_id", "AB岗不能是本人");
        return -1;
    }
    return check_channels(rec, err);
}

static const Field person_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"phone", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_INDEX, "手机号", "phone", NULL, NULL,
     20, 0, 0, 0, NULL},
    {"role", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "角色", "role", person_roles,
     NULL, 0, 0, 0, 0, NULL},
    {"title", FT_TEXT, FIELD_SEARCH, "职务", "title", NULL, NULL, 100, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"lon", FT_REAL, 0, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, 0, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"backup_id", FT_REF, FIELD_FILTER, "AB岗", "backup person", NULL, "publish_people", 0, 0, 0, 0,
     NULL},
    {"grid_member_id", FT_REF, FIELD_FILTER, "上门网格员", "visiting grid member", NULL,
     "publish_people", 0, 0, 0, 0, NULL},
    {"user_id", FT_REF, FIELD_FILTER, "平台账号", "user account", NULL, "users", 0, 0, 0, 0, NULL},
    {"channels", FT_JSON, 0, "优先渠道", "preferred channels", NULL, NULL, 0, 0, 0, 0, NULL},
    {"active", FT_BOOL, FIELD_FILTER, "在岗", "active", NULL, NULL, 0, 0, 0, 0, "1"},
    END,
};

const Entity publish_people_entity = {
    .table = "publish_people",
    .plural = "publish-people",
    .label_zh = "责任人名录",
    .label_en = "responsible people",
    .fields = person_fields,
    .division_field = "division_code",
    .default_sort = "division_code",
    .before_write = person_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
};

static const Field special_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL, NULL, 50, 0,
     0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "类别", "kind", special_kinds, NULL, 0, 0, 0,
     0, NULL},
    {"phone", FT_TEXT, 0, "电话", "phone", NULL, NULL, 20, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"address", FT_TEXT, FIELD_SEARCH, "住址", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    {"lon", FT_REAL, 0, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, 0, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"carer_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "帮扶责任人", "carer", NULL,
     "publish_people", 0, 0, 0, 0, NULL},
    {"notes", FT_TEXT, 0, "备注", "notes", NULL, NULL, 500, 0, 0, 0, NULL},
    END,
};

static int special_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)tx;
    (void)e;
    (void)before;
    (void)err;
    normalise_phone(rec);
    return 0;
}

const Entity publish_specials_entity = {
    .table = "publish_specials",
    .plural = "publish-specials",
    .label_zh = "特殊群体",
    .label_en = "special groups",
    .fields = special_fields,
    .division_field = "division_code",
    .default_sort = "division_code",
    .before_write = special_before_write,
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
};

/* ---- targets, deliveries, visits (written by the module, read through the engine) -------- */

static const Field target_fields[] = {
    /* not FT_REF: no per-row foreign-key probe and no index of its own at a million inserts;
     * the index (warning_id, person_id) of migration 2 serves both */
    {"warning_id", FT_INT, RO | FIELD_FILTER, "预警", "warning", NULL, NULL, 0, 0, 0, 0, NULL},
    {"kind", FT_ENUM, RO | FIELD_FILTER, "对象类别", "kind", target_kinds, NULL, 0, 0, 0, 0, NULL},
    {"person_id", FT_INT, RO | FIELD_FILTER, "责任人", "person", NULL, NULL, 0, 0, 0, 0, NULL},
    {"special_id", FT_INT, RO | FIELD_FILTER, "特殊群体成员", "special-group member", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"parent_id", FT_INT, RO | FIELD_FILTER, "原叫应对象", "escalated from", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"name", FT_TEXT, RO | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL, NULL, 50, 0, 0, 0,
     NULL},
    {"phone", FT_TEXT, RO | FIELD_INDEX, "手机号", "phone", NULL, NULL, 20, 0, 0, 0, NULL},
    {"role", FT_TEXT, RO | FIELD_FILTER, "角色", "role", NULL, NULL, 32, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, RO | FIELD_FILTER | FIELD_SORT, "所属区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    {"needs_ack", FT_BOOL, RO | FIELD_FILTER, "须应答", "needs an answer", NULL, NULL, 0, 0, 0, 0,
     "1"},
    {"state", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "状态", "state", target_states, NULL, 0, 0,
     0, 0, "'queued'"},
    {"escalation", FT_ENUM, RO | FIELD_FILTER, "升级", "escalation", escalations, NULL, 0, 0, 0, 0,
     "'none'"},
    {"due_at", FT_TIME, RO | FIELD_SORT, "应答期限", "answer due", NULL, NULL, 0, 0, 0, 0, NULL},
    {"sent_at", FT_TIME, RO, "发送时间", "sent at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"delivered_at", FT_TIME, RO, "送达时间", "delivered at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"answered_at", FT_TIME, RO | FIELD_SORT, "应答时间", "answered at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"answer_channel", FT_TEXT, RO | FIELD_FILTER, "应答方式", "answered through", NULL, NULL, 64,
     0, 0, 0, NULL},
    {"help", FT_BOOL, RO | FIELD_FILTER, "求助", "asks for help", NULL, NULL, 0, 0, 0, 0, "0"},
    END,
};

const Entity publish_targets_entity = {
    .table = "publish_targets",
    .plural = "publish-targets",
    .label_zh = "叫应对象",
    .label_en = "warning recipients",
    .fields = target_fields,
    .division_field = "division_code",
    .default_sort = "id",
};

static const Field delivery_fields[] = {
    {"warning_id", FT_INT, RO | FIELD_FILTER | FIELD_INDEX, "预警", "warning", NULL, NULL, 0, 0, 0,
     0, NULL},
    {"target_id", FT_INT, RO | FIELD_FILTER | FIELD_INDEX, "叫应对象", "target", NULL, NULL, 0, 0,
     0, 0, NULL},
    {"channel", FT_TEXT, RO | FIELD_FILTER, "渠道", "channel", NULL, NULL, 64, 0, 0, 0, NULL},
    {"idem_key", FT_TEXT, RO | FIELD_UNIQUE, "幂等键", "idempotency key", NULL, NULL, 200, 0, 0, 0,
     NULL},
    {"outcome", FT_ENUM, RO | FIELD_FILTER, "发送结果", "outcome", outcomes, NULL, 0, 0, 0, 0,
     NULL},
    {"provider_id", FT_TEXT, RO | FIELD_INDEX, "服务商消息号", "provider message id", NULL, NULL,
     128, 0, 0, 0, NULL},
    {"error", FT_TEXT, RO, "错误", "error", NULL, NULL, 500, 0, 0, 0, NULL},
    {"receipt_status", FT_TEXT, RO | FIELD_FILTER, "回执状态", "receipt status", NULL, NULL, 32, 0,
     0, 0, NULL},
    {"receipt_at", FT_TIME, RO, "回执时间", "receipt at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, RO | FIELD_FILTER, "所属区划", "division", NULL, NULL, 0, 0, 0,
     0, NULL},
    END,
};

const Entity publish_deliveries_entity = {
    .table = "publish_deliveries",
    .plural = "publish-deliveries",
    .label_zh = "发送记录",
    .label_en = "deliveries",
    .fields = delivery_fields,
    .division_field = "division_code",
    .default_sort = "id",
};

static const EnumValue visit_reasons[] = {
    {"no_answer", "未应答"}, {"special", "特殊群体"}, {NULL, NULL}};

static const Field visit_fields[] = {
    {"warning_id", FT_INT, RO | FIELD_FILTER | FIELD_INDEX, "预警", "warning", NULL, NULL, 0, 0, 0,
     0, NULL},
    {"target_id", FT_INT, RO | FIELD_FILTER | FIELD_INDEX, "叫应对象", "target", NULL, NULL, 0, 0,
     0, 0, NULL},
    {"reason", FT_ENUM, RO | FIELD_FILTER, "原因", "reason", visit_reasons, NULL, 0, 0, 0, 0, NULL},
    {"subject_name", FT_TEXT, RO | FIELD_SEARCH, "上门对象", "visited person", NULL, NULL, 50, 0, 0,
     0, NULL},
    {"address", FT_TEXT, RO, "住址", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    {"visitor_id", FT_INT, RO | FIELD_FILTER, "上门人", "visitor", NULL, NULL, 0, 0, 0, 0, NULL},
    {"visitor_name", FT_TEXT, RO, "上门人姓名", "visitor name", NULL, NULL, 50, 0, 0, 0, NULL},
    {"visitor_phone", FT_TEXT, RO, "上门人电话", "visitor phone", NULL, NULL, 20, 0, 0, 0, NULL},
    {"state", FT_ENUM, RO | FIELD_FILTER | FIELD_SORT, "状态", "state", visit_states, NULL, 0, 0, 0,
     0, "'open'"},
    {"note", FT_TEXT, RO, "上门情况", "note", NULL, NULL, 1000, 0, 0, 0, NULL},
    {"visited_at", FT_TIME, RO, "上门时间", "visited at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"recorded_by", FT_TEXT, RO, "记录人", "recorded by", NULL, NULL, 64, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, RO | FIELD_FILTER | FIELD_SORT, "所属区划", "division", NULL,
     NULL, 0, 0, 0, 0, NULL},
    END,
};

const Entity publish_visits_entity = {
    .table = "publish_visits",
    .plural = "publish-visits",
    .label_zh = "上门提醒",
    .label_en = "visit tasks",
    .fields = visit_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};
