/* modules/command — the entities and workflows of the command workspace; see command.h. */
#include "modules/command/command.h"

#define NOFIELD                                                                                    \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }
#define INCIDENT_FIELDS                                                                            \
    {"incident_id",                                                                                \
     FT_REF,                                                                                       \
     FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE | FIELD_INDEX,                                \
     "事件",                                                                                       \
     "incident",                                                                                   \
     NULL,                                                                                         \
     "incidents",                                                                                  \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     NULL},                                                                                        \
    {                                                                                              \
        "division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE, "所属区划", \
            "division", NULL, NULL, 0, 0, 0, 0, NULL                                               \
    }

static const EnumValue task_states[] = {
    {"pending", "待执行"}, {"in_progress", "执行中"}, {"done", "已完成"}, {NULL, NULL}};

static const Field task_fields[] = {
    INCIDENT_FIELDS,
    {"plan_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "预案", "plan", NULL, "plans", 0, 0, 0, 0,
     NULL},
    {"plan_title", FT_TEXT, 0, "预案名称", "plan title", NULL, NULL, 300, 0, 0, 0, NULL},
    {"level", FT_TEXT, 0, "响应级别", "response level", NULL, NULL, 4, 0, 0, 0, NULL},
    {"step", FT_INT, FIELD_SORT, "步骤", "step", NULL, NULL, 0, 0, 0, 0, NULL},
    {"responsible_org", FT_TEXT, FIELD_SEARCH, "责任单位", "responsible organisation", NULL, NULL,
     300, 0, 0, 0, NULL},
    {"action", FT_TEXT, FIELD_SEARCH, "措施", "action", NULL, NULL, 4000, 0, 0, 0, NULL},
    {"state", FT_ENUM, FIELD_FILTER, "状态", "state", task_states, NULL, 0, 0, 0, 0, "'pending'"},
    NOFIELD,
};

const Entity response_tasks_entity = {
    .table = "response_tasks",
    .plural = "response_tasks",
    .label_zh = "响应任务",
    .label_en = "response tasks",
    .fields = task_fields,
    .division_field = "division_code",
    .default_sort = "id",
};

static const EnumValue instruction_states[] = {{"issued", "下达"},    {"signed", "签收"},
                                               {"executing", "执行"}, {"feedback", "反馈"},
                                               {"done", "完成"},      {NULL, NULL}};

static const Field instruction_fields[] = {
    INCIDENT_FIELDS,
    {"to_org_id", FT_REF, FIELD_FILTER, "接收单位", "to organisation", NULL, "orgs", 0, 0, 0, 0,
     NULL},
    {"to_user_id", FT_REF, FIELD_FILTER, "接收人", "to user", NULL, "users", 0, 0, 0, 0, NULL},
    {"to_name", FT_TEXT, 0, "接收方", "recipient", NULL, NULL, 200, 0, 0, 0, NULL},
    {"content", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "指令内容", "content", NULL, NULL, 2000, 0,
     0, 0, NULL},
    {"sign_within_minutes", FT_INT, 0, "签收时限（分钟）", "sign within (minutes)", NULL, NULL, 0,
     1, 1, 1440, "10"},
    {"due_at", FT_TIME, 0, "完成时限", "due at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"state", FT_ENUM, FIELD_FILTER | FIELD_SORT, "状态", "state", instruction_states, NULL, 0, 0,
     0, 0, "'issued'"},
    {"escalated", FT_BOOL, FIELD_FILTER, "超时未签收已上报", "escalated", NULL, NULL, 0, 0, 0, 0,
     "0"},
    {"escalated_at", FT_TIME, 0, "上报时间", "escalated at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"issued_by", FT_INT, 0, "下达人", "issued by", NULL, NULL, 0, 0, 0, 0, NULL},
    {"issued_by_name", FT_TEXT, 0, "下达人姓名", "issued by name", NULL, NULL, 100, 0, 0, 0, NULL},
    {"issued_at", FT_TIME, FIELD_SORT, "下达时间", "issued at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"signed_at", FT_TIME, 0, "签收时间", "signed at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"signed_by_name", FT_TEXT, 0, "签收人", "signed by", NULL, NULL, 100, 0, 0, 0, NULL},
    {"executing_at", FT_TIME, 0, "开始执行时间", "executing since", NULL, NULL, 0, 0, 0, 0, NULL},
    {"feedback", FT_TEXT, 0, "反馈内容", "feedback", NULL, NULL, 4000, 0, 0, 0, NULL},
    {"feedback_at", FT_TIME, 0, "反馈时间", "feedback at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"done_at", FT_TIME, 0, "完成时间", "done at", NULL, NULL, 0, 0, 0, 0, NULL},
    NOFIELD,
};

const Entity instructions_entity = {
    .table = "instructions",
    .plural = "instructions",
    .label_zh = "指令",
    .label_en = "instructions",
    .fields = instruction_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};

static const EnumValue dispatch_kinds[] = {
    {"team", "救援队伍"}, {"expert", "专家"}, {"supply", "物资"}, {NULL, NULL}};
static const EnumValue dispatch_states[] = {{"dispatched", "已派出"},
                                            {"en_route", "途中"},
                                            {"arrived", "到达"},
                                            {"returned", "返回"},
                                            {NULL, NULL}};

#define COORD(n, zh, en, lo, hi)                                                                   \
    {                                                                                              \
        n, FT_REAL, 0, zh, en, NULL, NULL, 0, 1, lo, hi, NULL                                      \
    }
static const Field dispatch_fields[] = {
    INCIDENT_FIELDS,
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "类别", "kind", dispatch_kinds, NULL, 0, 0, 0,
     0, NULL},
    {"ref_id", FT_INT, FIELD_REQUIRED | FIELD_FILTER, "资源编号", "resource id", NULL, NULL, 0, 0,
     0, 0, NULL},
    {"ref_name", FT_TEXT, FIELD_SEARCH, "资源名称", "resource name", NULL, NULL, 200, 0, 0, 0,
     NULL},
    {"ref_note", FT_TEXT, 0, "调拨单/说明", "allocation reference", NULL, NULL, 500, 0, 0, 0, NULL},
    COORD("from_lon", "出发经度", "from longitude", -180, 180),
    COORD("from_lat", "出发纬度", "from latitude", -90, 90),
    COORD("dest_lon", "目的地经度", "destination longitude", -180, 180),
    COORD("dest_lat", "目的地纬度", "destination latitude", -90, 90),
    {"speed_kmh", FT_REAL, 0, "估算速度（公里/小时）", "speed (km/h)", NULL, NULL, 0, 1, 1, 1000,
     NULL},
    {"distance_km", FT_REAL, 0, "直线距离（公里）", "distance (km)", NULL, NULL, 0, 0, 0, 0, NULL},
    {"eta_minutes", FT_INT, 0, "预计到达（分钟）", "ETA (minutes)", NULL, NULL, 0, 0, 0, 0, NULL},
    {"state", FT_ENUM, FIELD_FILTER, "状态", "state", dispatch_states, NULL, 0, 0, 0, 0,
     "'dispatched'"},
    {"prev_readiness", FT_TEXT, 0, "出动前战备状态", "readiness before", NULL, NULL, 32, 0, 0, 0,
     NULL},
    {"dispatched_by_name", FT_TEXT, 0, "调度人", "dispatched by", NULL, NULL, 100, 0, 0, 0, NULL},
    {"dispatched_at", FT_TIME, FIELD_SORT, "派出时间", "dispatched at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"arrived_at", FT_TIME, 0, "到达时间", "arrived at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"returned_at", FT_TIME, 0, "返回时间", "returned at", NULL, NULL, 0, 0, 0, 0, NULL},
    NOFIELD,
};

const Entity dispatches_entity = {
    .table = "dispatches",
    .plural = "dispatches",
    .label_zh = "调度",
    .label_en = "dispatches",
    .fields = dispatch_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};

static const Field field_report_fields[] = {
    INCIDENT_FIELDS,
    {"text", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "反馈内容", "text", NULL, NULL, 4000, 0, 0, 0,
     NULL},
    COORD("lon", "经度", "longitude", -180, 180),
    COORD("lat", "纬度", "latitude", -90, 90),
    {"reporter_id", FT_INT, 0, "反馈人", "reporter", NULL, NULL, 0, 0, 0, 0, NULL},
    {"reporter_name", FT_TEXT, 0, "反馈人姓名", "reporter name", NULL, NULL, 100, 0, 0, 0, NULL},
    {"reported_at", FT_TIME, FIELD_SORT, "反馈时间", "reported at", NULL, NULL, 0, 0, 0, 0, NULL},
    NOFIELD,
};

const Entity field_reports_entity = {
    .table = "field_reports",
    .plural = "field_reports",
    .label_zh = "现场反馈",
    .label_en = "field reports",
    .fields = field_report_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};

static const Field notification_fields[] = {
    INCIDENT_FIELDS,
    {"user_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_INDEX, "接收人", "user", NULL,
     "users", 0, 0, 0, 0, NULL},
    {"user_name", FT_TEXT, 0, "接收人姓名", "user name", NULL, NULL, 100, 0, 0, 0, NULL},
    {"message", FT_TEXT, FIELD_REQUIRED, "通知内容", "message", NULL, NULL, 2000, 0, 0, 0, NULL},
    {"sent_by_name", FT_TEXT, 0, "发送人", "sent by", NULL, NULL, 100, 0, 0, 0, NULL},
    {"sent_at", FT_TIME, FIELD_SORT, "发送时间", "sent at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"read_at", FT_TIME, 0, "阅读时间", "read at", NULL, NULL, 0, 0, 0, 0, NULL},
    {"delivered_at", FT_TIME, FIELD_READONLY, "送达时间", "delivered at", NULL, NULL, 0, 0, 0, 0,
     NULL},
    NOFIELD,
};

const Entity notifications_entity = {
    .table = "notifications",
    .plural = "notifications",
    .label_zh = "通知",
    .label_en = "notifications",
    .fields = notification_fields,
    .division_field = "division_code",
    .default_sort = "-id",
};

/* ---- workflows --------------------------------------------------------------------------- */

#define ISSUER (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)
#define RECIPIENT (ROLE_ANY & ~(ROLE_VIEWER | ROLE_ENTERPRISE))
#define FIELD_SIDE (ISSUER | ROLE_TEAM_MEMBER)

static const char *const need_feedback[] = {"feedback", NULL};

static const Transition instruction_transitions[] = {
    {"issued", "sign", "signed", RECIPIENT, NULL, "签收", 0},
    {"signed", "execute", "executing", RECIPIENT, NULL, "执行", 0},
    {"executing", "feedback", "feedback", RECIPIENT, need_feedback, "反馈", 0},
    {"feedback", "complete", "done", ISSUER, NULL, "完成", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow instructions_flow = {"instructions", "id", "state", "division_code",
                                    instruction_transitions};

static const Transition task_transitions[] = {
    {"pending", "start", "in_progress", RECIPIENT, NULL, "开始执行", 0},
    {"pending", "finish", "done", RECIPIENT, NULL, "完成", 0},
    {"in_progress", "finish", "done", RECIPIENT, NULL, "完成", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow response_tasks_flow = {"response_tasks", "id", "state", "division_code",
                                      task_transitions};

static const Transition dispatch_transitions[] = {
    {"dispatched", "depart", "en_route", FIELD_SIDE, NULL, "出发", 0},
    {"en_route", "arrive", "arrived", FIELD_SIDE, NULL, "到达", 0},
    {"dispatched", "arrive", "arrived", FIELD_SIDE, NULL, "到达", 0},
    {"dispatched", "return", "returned", FIELD_SIDE, NULL, "返回", 0},
    {"en_route", "return", "returned", FIELD_SIDE, NULL, "返回", 0},
    {"arrived", "return", "returned", FIELD_SIDE, NULL, "返回", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow dispatches_flow = {"dispatches", "id", "state", "division_code",
                                  dispatch_transitions};
