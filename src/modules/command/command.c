/* modules/command — operations, routes, escalation job and module; see command.h. */
#include "modules/command/command.h"

#include "core/clock.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"
#include "http/route.h"
#include "modules/incidents/incidents.h"
#include "modules/plans/plans.h"
#include "modules/resources/resources.h"
#include "modules/supplies/supplies.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISSUER (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)
#define RECIPIENT (ROLE_ANY & ~(ROLE_VIEWER | ROLE_ENTERPRISE))
#define FIELD_SIDE (ISSUER | ROLE_TEAM_MEMBER)
#define READ (ROLE_STAFF | ROLE_VIEWER) /* as the incidents module reads */
#define ACTIVATE (ROLE_ADMIN | ROLE_COMMANDER)

int command_demo(Tx *tx, Error *err); /* demo.c */

/* ---- helpers ----------------------------------------------------------------------------- */

static int invalid(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

/* 422 unless every key of body is one of allowed (NULL-terminated); body may be NULL. */
static int only_keys(json_t *body, const char *const *allowed, Error *err)
{
    if (body && !json_is_object(body))
        return error_set(err, 400, "bad_json", "请求体应为 JSON 对象", "body must be an object");
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(body, k, v)
    {
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0)
                ok = 1;
        if (ok)
            continue;
        if (!bad++)
            error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                      "unknown field '%s'", k);
        error_field(err, k, "不支持的字段");
    }
    return bad ? -1 : 0;
}

static const char *str_of(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *now_iso(Tx *tx)
{
    char buf[32];
    clock_format_iso(clock_now(), buf, sizeof buf);
    return arena_strdup(tx->arena, buf);
}

static const char *actor_name(const Actor *a)
{
    return a->username ? a->username : "system";
}

static const char *key_of(Arena *arena, json_t *rec)
{
    return arena_printf(arena, "%lld", (long long)json_integer_value(json_object_get(rec, "id")));
}

/* Loads the incident inside the actor's jurisdiction; *id and *div point into tx->arena. */
static int load_incident(Tx *tx, const char *key, json_t **inc, long long *id, const char **div,
                         Error *err)
{
    if (entity_get(tx->conn, &incidents_entity, tx->actor, key, inc, err) < 0)
        return -1;
    *id = (long long)json_integer_value(json_object_get(*inc, "id"));
    *div = arena_strdup(tx->arena, str_of(*inc, "division_code"));
    return 0;
}

static int refuse_closed(json_t *inc, Error *err)
{
    const char *st = str_of(inc, "status");
    if (st && strcmp(st, "closed") == 0)
        return error_set(err, 409, "incident_closed", "事件已结案", "the incident is closed");
    return 0;
}

static int timeline(Tx *tx, long long incident_id, const char *div, const char *kind,
                    const char *text, json_t *data, Error *err)
{
    int rc = incident_timeline_add(tx, incident_id, div, kind, text, data, err);
    json_decref(data);
    return rc;
}

double command_distance_km(double lon1, double lat1, double lon2, double lat2)
{
    const double r = 6371.0088, d = M_PI / 180.0;
    double dlat = (lat2 - lat1) * d, dlon = (lon2 - lon1) * d;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d) * cos(lat2 * d) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1.0, sqrt(a)));
}

/* ---- plan activation --------------------------------------------------------------------- */

static const char *const activate_keys[] = {"plan_id", "response_level", NULL};

int command_activate_plan(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err)
{
    json_t *inc = NULL, *plan = NULL, *tasks = NULL;
    long long iid;
    const char *div;
    int rc = -1;
    if (only_keys(body, activate_keys, err) < 0)
        return -1;
    json_t *pid = json_object_get(body, "plan_id");
    const char *lv = str_of(body, "response_level");
    if (!json_is_integer(pid) || json_integer_value(pid) <= 0)
        return invalid(err, "plan_id", "请选择预案", "plan_id must be a positive integer");
    const char *level = lv ? plans_response_level_of(lv) : NULL;
    if (!level)
        return invalid(err, "response_level", "响应级别应为 I、II、III 或 IV",
                       "response_level must be I..IV");
    if (load_incident(tx, incident_id, &inc, &iid, &div, err) < 0 || refuse_closed(inc, err) < 0)
        goto out;
    const char *pkey = arena_printf(tx->arena, "%lld", (long long)json_integer_value(pid));
    if (entity_get(tx->conn, &plans_entity, tx->actor, pkey, &plan, err) < 0)
        goto out;
    int listed = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(plan, "response_levels"), i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), level) == 0)
            listed = 1;
    }
    if (!listed) {
        invalid(err, "response_level", "该预案未设此响应级别",
                "the plan has no steps for this level");
        goto out;
    }
    int64_t n = 0;
    DbValue p[] = {db_int(iid), db_int(json_integer_value(pid))};
    if (store_query_int(
            tx->conn, "SELECT COUNT(*) FROM response_tasks WHERE incident_id = $1 AND plan_id = $2",
            p, 2, &n, err) < 0)
        goto out;
    if (n > 0) {
        error_set(err, 409, "plan_already_active", "该预案已对本事件启动",
                  "the plan is already activated for this incident");
        goto out;
    }
    tasks = json_array();
    json_array_foreach(json_object_get(plan, "response_steps"), i, v)
    {
        const char *sl = str_of(v, "level");
        if (!sl || strcmp(sl, level) != 0)
            continue;
        json_t *t = json_pack("{s:I, s:s, s:I, s:s?, s:s, s:O?, s:s?, s:s?}", "incident_id",
                              (json_int_t)iid, "division_code", div, "plan_id",
                              json_integer_value(pid), "plan_title", str_of(plan, "title"), "level",
                              level, "step", json_object_get(v, "step"), "responsible_org",
                              str_of(v, "responsible_org"), "action", str_of(v, "action"));
        json_t *row = NULL;
        int r = entity_create(tx, &response_tasks_entity, t, &row, err);
        json_decref(t);
        if (r < 0)
            goto out;
        json_array_append_new(tasks, row);
    }
    if (timeline(tx, iid, div, "plan_activated",
                 arena_printf(tx->arena, "启动预案《%s》%s级响应，生成 %zu 项任务",
                              str_of(plan, "title") ? str_of(plan, "title") : "", level,
                              json_array_size(tasks)),
                 json_pack("{s:O, s:s, s:I}", "plan_id", pid, "level", level, "tasks",
                           (json_int_t)json_array_size(tasks)),
                 err) < 0)
        goto out;
    if (out)
        *out = json_pack("{s:I, s:O, s:s, s:O}", "incident_id", (json_int_t)iid, "plan_id", pid,
                         "response_level", level, "tasks", tasks);
    rc = 0;
out:
    json_decref(inc);
    json_decref(plan);
    json_decref(tasks);
    return rc;
}

/* ---- response tasks ---------------------------------------------------------------------- */

static const char *const task_keys[] = {"note", NULL};

int command_task_act(Tx *tx, const char *key, const char *action, json_t *body, json_t **out,
                     Error *err)
{
    json_t *t = NULL;
    json_t *note = json_object_get(body, "note");
    if (only_keys(body, task_keys, err) < 0)
        return -1;
    if (note && !json_is_null(note) &&
        (!json_is_string(note) || strlen(json_string_value(note)) > 2000))
        return invalid(err, "note", "应为文字", "note must be text");
    if (entity_get(tx->conn, &response_tasks_entity, tx->actor, key, &t, err) < 0)
        return -1;
    const char *to = NULL;
    int rc = workflow_apply(tx, &response_tasks_flow, key, action, body, &to, err);
    if (rc == 0) {
        const char *org = str_of(t, "responsible_org"), *what = str_of(t, "action");
        rc = timeline(tx, (long long)json_integer_value(json_object_get(t, "incident_id")),
                      str_of(t, "division_code"), arena_printf(tx->arena, "task_%s", action),
                      arena_printf(tx->arena, "任务%s（%s）：%s%s%s",
                                   strcmp(action, "start") == 0 ? "开始执行" : "完成",
                                   org ? org : "", what ? what : "",
                                   json_is_string(note) ? "；" : "",
                                   json_is_string(note) ? json_string_value(note) : ""),
                      json_pack("{s:O, s:s}", "task_id", json_object_get(t, "id"), "to", to), err);
    }
    if (rc == 0 && out) {
        rc = entity_get(tx->conn, &response_tasks_entity, &actor_system, key, out, err);
        if (rc == 0)
            json_object_set_new(*out, "actions",
                                workflow_actions(&response_tasks_flow, to, tx->actor));
    }
    json_decref(t);
    return rc;
}

/* ---- instructions ------------------------------------------------------------------------ */

static const char *const issue_keys[] = {"to_org_id",           "to_user_id", "content",
                                         "sign_within_minutes", "due_at",     NULL};

static const char *escalate_key(Arena *a, const char *key)
{
    return arena_printf(a, "instructions:%s:escalate", key);
}

static int name_of(Tx *tx, const char *sql, json_int_t id, const char **name, const char **div,
                   Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(id)};
    if (store_query(tx->conn, tx->arena, sql, p, 1, &rows, err) < 0)
        return -1;
    if (rows.nrows == 0)
        return 1;
    *name = db_cell(&rows, 0, 0);
    *div = db_cell(&rows, 0, 1);
    return 0;
}

int command_issue_instruction(Tx *tx, const char *incident_id, json_t *body, json_t **out,
                              Error *err)
{
    json_t *inc = NULL, *rec = NULL, *row = NULL;
    long long iid;
    const char *div;
    int rc = -1;
    if (only_keys(body, issue_keys, err) < 0)
        return -1;
    json_t *org = json_object_get(body, "to_org_id"), *user = json_object_get(body, "to_user_id");
    if (org && json_is_null(org))
        org = NULL;
    if (user && json_is_null(user))
        user = NULL;
    if (!org == !user)
        return invalid(err, org ? "to_user_id" : "to_org_id", "须指定接收单位或接收人（二选一）",
                       "give exactly one of to_org_id and to_user_id");
    json_t *who = org ? org : user;
    if (!json_is_integer(who))
        return invalid(err, org ? "to_org_id" : "to_user_id", "应为正整数",
                       "recipient id must be an integer");
    if (load_incident(tx, incident_id, &inc, &iid, &div, err) < 0 || refuse_closed(inc, err) < 0)
        goto out;
    const char *to_name = NULL, *to_div = NULL;
    int r = name_of(tx,
                    org ? "SELECT name, division_code FROM orgs WHERE id = $1"
                        : "SELECT COALESCE(display_name, username), division_code FROM users "
                          "WHERE id = $1",
                    json_integer_value(who), &to_name, &to_div, err);
    if (r < 0)
        goto out;
    if (r == 1 || !actor_covers(tx->actor, to_div ? to_div : "")) {
        invalid(err, org ? "to_org_id" : "to_user_id", "接收方不存在或不在管辖范围内",
                "the recipient does not exist or is outside the jurisdiction");
        goto out;
    }
    rec = json_deep_copy(body);
    json_object_del(rec, org ? "to_user_id" : "to_org_id");
    const char *now = now_iso(tx);
    json_object_set_new(rec, "incident_id", json_integer(iid));
    json_object_set_new(rec, "division_code", json_string(div));
    json_object_set_new(rec, "to_name", json_string(to_name ? to_name : ""));
    json_object_set_new(rec, "issued_by", json_integer(tx->actor->user_id));
    json_object_set_new(rec, "issued_by_name", json_string(actor_name(tx->actor)));
    json_object_set_new(rec, "issued_at", json_string(now));
    if (entity_create(tx, &instructions_entity, rec, &row, err) < 0)
        goto out;
    const char *key = key_of(tx->arena, row);
    json_int_t minutes = json_integer_value(json_object_get(row, "sign_within_minutes"));
    if (minutes <= 0)
        minutes = 10;
    json_t *payload = json_pack("{s:s}", "key", key);
    r = scheduler_set(tx, "instructions.escalate", escalate_key(tx->arena, key),
                      clock_now() + minutes * 60, payload, err);
    json_decref(payload);
    if (r < 0)
        goto out;
    if (timeline(tx, iid, div, "instruction_issued",
                 arena_printf(tx->arena, "下达指令（%s）：%s", to_name ? to_name : "",
                              str_of(row, "content")),
                 json_pack("{s:O}", "instruction_id", json_object_get(row, "id")), err) < 0)
        goto out;
    json_object_set_new(row, "actions", workflow_actions(&instructions_flow, "issued", tx->actor));
    if (out)
        *out = json_incref(row);
    rc = 0;
out:
    json_decref(inc);
    json_decref(rec);
    json_decref(row);
    return rc;
}

static const char *const note_keys[] = {"note", NULL};
static const char *const feedback_keys[] = {"feedback", "note", NULL};

static int optional_text(json_t *body, const char *k, size_t max, Error *err)
{
    json_t *v = json_object_get(body, k);
    if (v && !json_is_null(v) && (!json_is_string(v) || strlen(json_string_value(v)) > max))
        return invalid(err, k, "应为文字（长度适当）", "must be text of reasonable length");
    return 0;
}

int command_instruction_act(Tx *tx, const char *key, const char *action, json_t *body, json_t **out,
                            Error *err)
{
    int is_fb = strcmp(action, "feedback") == 0;
    if (only_keys(body, is_fb ? feedback_keys : note_keys, err) < 0 ||
        optional_text(body, "note", 2000, err) < 0 ||
        optional_text(body, "feedback", 4000, err) < 0)
        return -1;
    if (is_fb && (!str_of(body, "feedback") || !*str_of(body, "feedback")))
        return invalid(err, "feedback", "请填写反馈内容", "feedback is required");
    json_t *ins = NULL, *values = NULL;
    int rc = -1;
    if (entity_get(tx->conn, &instructions_entity, tx->actor, key, &ins, err) < 0)
        return -1;
    const char *to = NULL;
    if (workflow_apply(tx, &instructions_flow, key, action, body, &to, err) < 0)
        goto out;
    const char *now = now_iso(tx);
    const char *label = "";
    values = json_object();
    if (strcmp(action, "sign") == 0) {
        json_object_set_new(values, "signed_at", json_string(now));
        json_object_set_new(values, "signed_by_name", json_string(actor_name(tx->actor)));
        if (scheduler_cancel(tx, escalate_key(tx->arena, key), err) < 0)
            goto out;
        label = "签收";
    } else if (strcmp(action, "execute") == 0) {
        json_object_set_new(values, "executing_at", json_string(now));
        label = "开始执行";
    } else if (is_fb) {
        json_object_set_new(values, "feedback", json_string(str_of(body, "feedback")));
        json_object_set_new(values, "feedback_at", json_string(now));
        label = "反馈";
    } else {
        json_object_set_new(values, "done_at", json_string(now));
        label = "完成";
    }
    if (entity_update_internal(tx, &instructions_entity, key, values, err) < 0)
        goto out;
    long long iid = (long long)json_integer_value(json_object_get(ins, "incident_id"));
    const char *text = arena_printf(tx->arena, "指令%s（%s）：%s", label, actor_name(tx->actor),
                                    is_fb ? str_of(body, "feedback") : str_of(ins, "content"));
    if (timeline(tx, iid, str_of(ins, "division_code"),
                 arena_printf(tx->arena, "instruction_%s", action), text,
                 json_pack("{s:O, s:s}", "instruction_id", json_object_get(ins, "id"), "to", to),
                 err) < 0)
        goto out;
    if (out) {
        if (entity_get(tx->conn, &instructions_entity, &actor_system, key, out, err) < 0)
            goto out;
        json_object_set_new(*out, "actions", workflow_actions(&instructions_flow, to, tx->actor));
    }
    rc = 0;
out:
    json_decref(ins);
    json_decref(values);
    return rc;
}

int command_escalate_job(Tx *tx, const char *key, json_t *payload, Error *err)
{
    (void)key;
    const char *ikey = str_of(payload, "key");
    json_t *ins = NULL;
    if (!ikey)
        return 0;
    Error e2 = ERROR_INIT;
    if (entity_get(tx->conn, &instructions_entity, &actor_system, ikey, &ins, &e2) < 0) {
        int gone = e2.status == 404;
        if (!gone)
            *err = e2;
        else
            error_clear(&e2);
        return gone ? 0 : -1;
    }
    int rc = 0;
    const char *st = str_of(ins, "state");
    int64_t open = 0;
    DbValue ip[] = {db_int(json_integer_value(json_object_get(ins, "incident_id")))};
    if (store_query_int(tx->conn,
                        "SELECT COUNT(*) FROM incidents WHERE id = $1 AND status <> 'closed'", ip,
                        1, &open, err) < 0) {
        json_decref(ins);
        return -1;
    }
    if (open && st && strcmp(st, "issued") == 0 &&
        !json_is_true(json_object_get(ins, "escalated"))) {
        const char *div = arena_strdup(tx->arena, str_of(ins, "division_code"));
        long long iid = (long long)json_integer_value(json_object_get(ins, "incident_id"));
        json_t *values = json_pack("{s:b, s:s}", "escalated", 1, "escalated_at", now_iso(tx));
        rc = entity_update_internal(tx, &instructions_entity, ikey, values, err);
        json_decref(values);
        const char *msg =
            arena_printf(tx->arena, "指令超时未签收（%lld 分钟内应签收）：%s",
                         (long long)json_integer_value(json_object_get(ins, "sign_within_minutes")),
                         str_of(ins, "content"));
        if (rc == 0)
            tx_event(tx, "instructions", ikey, "escalate", div);
        if (rc == 0)
            rc = timeline(tx, iid, div, "instruction_escalated", msg,
                          json_pack("{s:O}", "instruction_id", json_object_get(ins, "id")), err);
        if (rc == 0) {
            /* the issuer's superior: the level above the incident's division */
            size_t n = strlen(div ? div : "");
            size_t up = n > 9 ? 9 : n > 6 ? 6 : n > 4 ? 4 : n > 2 ? 2 : 0;
            json_t *p = json_pack("{s:s, s:s, s:O, s:O?, s:s#, s:O, s:I, s:s}", "kind",
                                  "instruction_escalated", "to", "superior", "issuer_id",
                                  json_object_get(ins, "issued_by"), "issuer_name",
                                  json_object_get(ins, "issued_by_name"), "division_code",
                                  div ? div : "", up, "instruction_id", json_object_get(ins, "id"),
                                  "incident_id", (json_int_t)iid, "message", msg);
            rc = outbox_put(tx, arena_printf(tx->arena, "notify:instruction:%s:escalated", ikey),
                            "notify", p, err);
            json_decref(p);
        }
    }
    json_decref(ins);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static const char *const dispatch_keys[] = {"kind",     "ref_id",    "ref_note", "dest_lon",
                                            "dest_lat", "speed_kmh", NULL};

static double default_speed(void)
{
    const char *s = getenv("YINGJI_DISPATCH_SPEED_KMH");
    double v = s ? atof(s) : 0;
    return v > 0 ? v : COMMAND_DEFAULT_SPEED_KMH;
}

static int num_or_null(json_t *body, const char *k, double lo, double hi, double *out, Error *err)
{
    json_t *v = json_object_get(body, k);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return invalid(err, k, "数值超出范围", "number out of range");
    *out = json_number_value(v);
    return 1;
}

int command_dispatch(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err)
{
    json_t *inc = NULL, *res = NULL, *rec = NULL, *row = NULL;
    long long iid;
    const char *div;
    int rc = -1;
    if (only_keys(body, dispatch_keys, err) < 0)
        return -1;
    const char *kind = str_of(body, "kind");
    const Entity *re = NULL;
    if (kind && strcmp(kind, "team") == 0)
        re = &teams_entity;
    else if (kind && strcmp(kind, "expert") == 0)
        re = &experts_entity;
    else if (kind && strcmp(kind, "supply") == 0)
        re = &warehouses_entity;
    if (!re)
        return invalid(err, "kind", "类别应为 team、expert 或 supply",
                       "kind must be team, expert or supply");
    json_t *ref = json_object_get(body, "ref_id");
    if (!json_is_integer(ref) || json_integer_value(ref) <= 0)
        return invalid(err, "ref_id", "应为正整数", "ref_id must be a positive integer");
    double dlon = 0, dlat = 0, speed = default_speed();
    int hl = num_or_null(body, "dest_lon", -180, 180, &dlon, err);
    int ht = hl < 0 ? -1 : num_or_null(body, "dest_lat", -90, 90, &dlat, err);
    if (hl < 0 || ht < 0 || num_or_null(body, "speed_kmh", 1, 1000, &speed, err) < 0 ||
        optional_text(body, "ref_note", 500, err) < 0)
        return -1;
    if (hl != ht)
        return invalid(err, hl ? "dest_lat" : "dest_lon", "经度、纬度须同时填写",
                       "longitude and latitude go together");
    if (load_incident(tx, incident_id, &inc, &iid, &div, err) < 0 || refuse_closed(inc, err) < 0)
        goto out;
    if (!hl) {
        json_t *lo = json_object_get(inc, "lon"), *la = json_object_get(inc, "lat");
        if (json_is_number(lo) && json_is_number(la)) {
            hl = 1;
            dlon = json_number_value(lo);
            dlat = json_number_value(la);
        }
    }
    const char *rkey = arena_printf(tx->arena, "%lld", (long long)json_integer_value(ref));
    Error e2 = ERROR_INIT;
    if (entity_get(tx->conn, re, tx->actor, rkey, &res, &e2) < 0) {
        if (e2.status == 404) {
            error_clear(&e2);
            invalid(err, "ref_id", "资源不存在或不在管辖范围内",
                    "the resource does not exist or is outside the jurisdiction");
        } else
            *err = e2;
        goto out;
    }
    const char *prev = NULL;
    if (re == &teams_entity) {
        prev = arena_strdup(tx->arena, str_of(res, "readiness"));
        if (prev && strcmp(prev, "deployed") == 0) {
            error_set(err, 409, "team_deployed", "该队伍已出动", "the team is already deployed");
            goto out;
        }
        json_t *v = json_pack("{s:s}", "readiness", "deployed");
        int r = entity_update_internal(tx, &teams_entity, rkey, v, err);
        json_decref(v);
        if (r < 0)
            goto out;
    }
    const char *name = str_of(res, "name");
    if (!name)
        name = str_of(res, "owner");
    rec = json_pack("{s:I, s:s, s:s, s:O, s:s?, s:s, s:s, s:f}", "incident_id", (json_int_t)iid,
                    "division_code", div, "kind", kind, "ref_id", ref, "ref_name", name,
                    "dispatched_by_name", actor_name(tx->actor), "dispatched_at", now_iso(tx),
                    "speed_kmh", speed);
    if (prev)
        json_object_set_new(rec, "prev_readiness", json_string(prev));
    if (str_of(body, "ref_note"))
        json_object_set(rec, "ref_note", json_object_get(body, "ref_note"));
    json_t *flo = json_object_get(res, "lon"), *fla = json_object_get(res, "lat");
    if (hl) {
        json_object_set_new(rec, "dest_lon", json_real(dlon));
        json_object_set_new(rec, "dest_lat", json_real(dlat));
    }
    if (json_is_number(flo) && json_is_number(fla)) {
        json_object_set(rec, "from_lon", flo);
        json_object_set(rec, "from_lat", fla);
        if (hl) {
            double km =
                command_distance_km(json_number_value(flo), json_number_value(fla), dlon, dlat);
            json_object_set_new(rec, "distance_km", json_real(round(km * 100) / 100));
            json_object_set_new(rec, "eta_minutes",
                                json_integer((json_int_t)ceil(km / speed * 60)));
        }
    }
    if (entity_create(tx, &dispatches_entity, rec, &row, err) < 0)
        goto out;
    json_t *eta = json_object_get(row, "eta_minutes");
    const char *text =
        json_is_integer(eta)
            ? arena_printf(tx->arena, "调派%s「%s」，直线 %.2f 公里，预计 %lld 分钟到达",
                           strcmp(kind, "team") == 0     ? "救援队伍"
                           : strcmp(kind, "expert") == 0 ? "专家"
                                                         : "物资",
                           name ? name : "", json_number_value(json_object_get(row, "distance_km")),
                           (long long)json_integer_value(eta))
            : arena_printf(tx->arena, "调派「%s」", name ? name : "");
    if (timeline(tx, iid, div, "dispatched", text,
                 json_pack("{s:O, s:s}", "dispatch_id", json_object_get(row, "id"), "kind", kind),
                 err) < 0)
        goto out;
    json_object_set_new(row, "actions",
                        workflow_actions(&dispatches_flow, "dispatched", tx->actor));
    if (out)
        *out = json_incref(row);
    rc = 0;
out:
    json_decref(inc);
    json_decref(res);
    json_decref(rec);
    json_decref(row);
    return rc;
}

int command_dispatch_act(Tx *tx, const char *key, const char *action, json_t *body, json_t **out,
                         Error *err)
{
    if (only_keys(body, note_keys, err) < 0 || optional_text(body, "note", 2000, err) < 0)
        return -1;
    json_t *d = NULL, *values = NULL;
    int rc = -1;
    if (entity_get(tx->conn, &dispatches_entity, tx->actor, key, &d, err) < 0)
        return -1;
    const char *to = NULL;
    if (workflow_apply(tx, &dispatches_flow, key, action, body, &to, err) < 0)
        goto out;
    values = json_object();
    const char *label = "出发";
    if (strcmp(action, "arrive") == 0) {
        json_object_set_new(values, "arrived_at", json_string(now_iso(tx)));
        label = "到达现场";
    } else if (strcmp(action, "return") == 0) {
        json_object_set_new(values, "returned_at", json_string(now_iso(tx)));
        label = "返回";
        const char *kind = str_of(d, "kind");
        if (kind && strcmp(kind, "team") == 0) {
            const char *prev = str_of(d, "prev_readiness");
            json_t *v = json_pack("{s:s}", "readiness",
                                  prev && strcmp(prev, "deployed") != 0 ? prev : "ready");
            int r = entity_update_internal(
                tx, &teams_entity,
                arena_printf(tx->arena, "%lld",
                             (long long)json_integer_value(json_object_get(d, "ref_id"))),
                v, err);
            json_decref(v);
            if (r < 0)
                goto out;
        }
    }
    if (json_object_size(values) &&
        entity_update_internal(tx, &dispatches_entity, key, values, err) < 0)
        goto out;
    if (timeline(tx, (long long)json_integer_value(json_object_get(d, "incident_id")),
                 str_of(d, "division_code"), arena_printf(tx->arena, "dispatch_%s", action),
                 arena_printf(tx->arena, "「%s」%s",
                              str_of(d, "ref_name") ? str_of(d, "ref_name") : "", label),
                 json_pack("{s:O, s:s}", "dispatch_id", json_object_get(d, "id"), "to", to),
                 err) < 0)
        goto out;
    if (out) {
        if (entity_get(tx->conn, &dispatches_entity, &actor_system, key, out, err) < 0)
            goto out;
        json_object_set_new(*out, "actions", workflow_actions(&dispatches_flow, to, tx->actor));
    }
    rc = 0;
out:
    json_decref(d);
    json_decref(values);
    return rc;
}

/* ---- field reports ----------------------------------------------------------------------- */

static const char *const report_keys[] = {"text", "lon", "lat", NULL};

int command_field_report(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err)
{
    json_t *inc = NULL, *rec = NULL, *row = NULL;
    long long iid;
    const char *div;
    int rc = -1;
    if (only_keys(body, report_keys, err) < 0)
        return -1;
    const char *text = str_of(body, "text");
    if (!text || !*text)
        return invalid(err, "text", "请填写反馈内容", "text is required");
    if (load_incident(tx, incident_id, &inc, &iid, &div, err) < 0)
        goto out;
    rec = json_deep_copy(body);
    json_object_set_new(rec, "incident_id", json_integer(iid));
    json_object_set_new(rec, "division_code", json_string(div));
    json_object_set_new(rec, "reporter_id", json_integer(tx->actor->user_id));
    json_object_set_new(rec, "reporter_name", json_string(actor_name(tx->actor)));
    json_object_set_new(rec, "reported_at", json_string(now_iso(tx)));
    if (entity_create(tx, &field_reports_entity, rec, &row, err) < 0)
        goto out;
    if (timeline(tx, iid, div, "field_report",
                 arena_printf(tx->arena, "现场反馈（%s）：%s", actor_name(tx->actor), text),
                 json_pack("{s:O, s:O, s:O}", "field_report_id", json_object_get(row, "id"), "lon",
                           json_object_get(row, "lon"), "lat", json_object_get(row, "lat")),
                 err) < 0)
        goto out;
    if (out)
        *out = json_incref(row);
    rc = 0;
out:
    json_decref(inc);
    json_decref(rec);
    json_decref(row);
    return rc;
}

/* ---- notifications ----------------------------------------------------------------------- */

static const char *const notify_keys[] = {"user_ids", "message", NULL};

int command_notify(Tx *tx, const char *incident_id, json_t *body, json_t **out, Error *err)
{
    json_t *inc = NULL, *items = NULL;
    long long iid;
    const char *div;
    int rc = -1;
    if (only_keys(body, notify_keys, err) < 0)
        return -1;
    json_t *ids = json_object_get(body, "user_ids");
    const char *msg = str_of(body, "message");
    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 500)
        return invalid(err, "user_ids", "请选择接收人（1–500 人）", "user_ids: 1..500 user ids");
    if (!msg || !*msg || strlen(msg) > 6000)
        return invalid(err, "message", "请填写通知内容", "message is required");
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return invalid(err, "user_ids", "接收人编号应为正整数", "user ids are integers");
    }
    if (load_incident(tx, incident_id, &inc, &iid, &div, err) < 0)
        goto out;
    items = json_array();
    const char *now = now_iso(tx);
    json_array_foreach(ids, i, v)
    {
        const char *uname = NULL, *udiv = NULL;
        int r = name_of(tx,
                        "SELECT COALESCE(display_name, username), division_code FROM users "
                        "WHERE id = $1",
                        json_integer_value(v), &uname, &udiv, err);
        if (r < 0)
            goto out;
        if (r == 1 || !actor_covers(tx->actor, udiv ? udiv : "")) {
            invalid(err, "user_ids", "接收人不存在或不在管辖范围内",
                    "a recipient does not exist or is outside the jurisdiction");
            goto out;
        }
        json_t *rec =
            json_pack("{s:I, s:s, s:O, s:s?, s:s, s:s, s:s}", "incident_id", (json_int_t)iid,
                      "division_code", div, "user_id", v, "user_name", uname, "message", msg,
                      "sent_by_name", actor_name(tx->actor), "sent_at", now);
        json_t *row = NULL;
        r = entity_create(tx, &notifications_entity, rec, &row, err);
        json_decref(rec);
        if (r < 0)
            goto out;
        json_array_append_new(items, row);
        json_t *p =
            json_pack("{s:s, s:O, s:I, s:O, s:s, s:s}", "kind", "incident_notification", "user_id",
                      v, "incident_id", (json_int_t)iid, "notification_id",
                      json_object_get(row, "id"), "message", msg, "sent_by", actor_name(tx->actor));
        r = outbox_put(tx,
                       arena_printf(tx->arena, "notify:incident:%lld:notification:%lld", iid,
                                    (long long)json_integer_value(json_object_get(row, "id"))),
                       "notify", p, err);
        json_decref(p);
        if (r < 0)
            goto out;
    }
    if (timeline(tx, iid, div, "notified",
                 arena_printf(tx->arena, "通知 %zu 人：%s", json_array_size(items), msg),
                 json_pack("{s:O}", "user_ids", ids), err) < 0)
        goto out;
    if (out)
        *out = json_pack("{s:O, s:I}", "items", items, "total", (json_int_t)json_array_size(items));
    rc = 0;
out:
    json_decref(inc);
    json_decref(items);
    return rc;
}

int command_notification_read(Tx *tx, const char *key, json_t **out, Error *err)
{
    json_t *n = NULL;
    Error e2 = ERROR_INIT;
    if (entity_get(tx->conn, &notifications_entity, &actor_system, key, &n, &e2) < 0) {
        if (e2.status == 404) {
            error_clear(&e2);
            return error_not_found(err);
        }
        *err = e2;
        return -1;
    }
    int rc = 0;
    if (json_integer_value(json_object_get(n, "user_id")) != tx->actor->user_id ||
        tx->actor->user_id == 0) {
        rc = error_not_found(err);
    } else if (!str_of(n, "read_at")) {
        json_t *v = json_pack("{s:s}", "read_at", now_iso(tx));
        rc = entity_update_internal(tx, &notifications_entity, key, v, err);
        json_decref(v);
    }
    json_decref(n);
    if (rc == 0 && out)
        rc = entity_get(tx->conn, &notifications_entity, &actor_system, key, out, err);
    return rc;
}

/* ---- workspace --------------------------------------------------------------------------- */

static json_t *rows_of(StoreConn *c, Arena *arena, const Entity *e, const char *sql, long long iid,
                       Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(iid)};
    if (store_query(c, arena, sql, p, 1, &rows, err) < 0)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < rows.nrows; i++)
        json_array_append_new(a, entity_row_json(e, &rows, i));
    return a;
}

int command_workspace(StoreConn *c, Arena *arena, const Actor *actor, const char *incident_id,
                      json_t **out, Error *err)
{
    json_t *inc = NULL;
    if (entity_get(c, &incidents_entity, actor, incident_id, &inc, err) < 0)
        return -1;
    long long iid = (long long)json_integer_value(json_object_get(inc, "id"));
    json_t *ws = json_pack("{s:o}", "incident", inc);
    static const struct {
        const char *name;
        const Entity *e;
        const char *sql;
    } parts[] = {
        {"timeline", &incident_events_entity,
         "SELECT * FROM incident_events WHERE incident_id = $1 ORDER BY id DESC LIMIT 200"},
        {"tasks", &response_tasks_entity,
         "SELECT * FROM response_tasks WHERE incident_id = $1 ORDER BY plan_id, step, id"},
        {"instructions", &instructions_entity,
         "SELECT * FROM instructions WHERE incident_id = $1 ORDER BY id DESC"},
        {"dispatches", &dispatches_entity,
         "SELECT * FROM dispatches WHERE incident_id = $1 ORDER BY id DESC"},
        {"field_reports", &field_reports_entity,
         "SELECT * FROM field_reports WHERE incident_id = $1 ORDER BY id DESC LIMIT 200"},
        {"notifications", &notifications_entity,
         "SELECT * FROM notifications WHERE incident_id = $1 ORDER BY id DESC LIMIT 200"},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        json_t *a = rows_of(c, arena, parts[i].e, parts[i].sql, iid, err);
        if (!a) {
            json_decref(ws);
            return -1;
        }
        json_object_set_new(ws, parts[i].name, a);
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(ws, "instructions"), i, v)
    {
        json_object_set_new(v, "actions",
                            workflow_actions(&instructions_flow, str_of(v, "state"), actor));
    }
    json_array_foreach(json_object_get(ws, "tasks"), i, v)
    {
        json_object_set_new(v, "actions",
                            workflow_actions(&response_tasks_flow, str_of(v, "state"), actor));
    }
    json_array_foreach(json_object_get(ws, "dispatches"), i, v)
    {
        json_object_set_new(v, "actions",
                            workflow_actions(&dispatches_flow, str_of(v, "state"), actor));
    }
    json_t *matched = NULL;
    const char *et = str_of(inc, "event_type");
    const char *lv = str_of(inc, "response_level");
    if (!lv)
        lv = str_of(inc, "grade");
    Error e2 = ERROR_INIT;
    if (et &&
        plans_match(c, arena, actor, et, lv, str_of(inc, "division_code"), 5, &matched, &e2) == 0)
        json_object_set(ws, "matched_plans", json_object_get(matched, "items"));
    else
        json_object_set_new(ws, "matched_plans", json_array());
    error_clear(&e2);
    json_decref(matched);
    *out = ws;
    return 0;
}

/* ---- handlers ---------------------------------------------------------------------------- */

typedef struct Call {
    const char *key, *action;
    json_t *body, *out;
    int (*fn)(Tx *, const char *, json_t *, json_t **, Error *);
    int (*act)(Tx *, const char *, const char *, json_t *, json_t **, Error *);
} Call;

static int call_tx(Tx *tx, void *ctx, Error *err)
{
    Call *c = ctx;
    if (c->act)
        return c->act(tx, c->key, c->action, c->body, &c->out, err);
    return c->fn(tx, c->key, c->body, &c->out, err);
}

static int run(Req *req, Resp *resp, Call *c, int status, Error *err)
{
    if (req->json && req_body_object_or_fail(req, err) < 0)
        return -1;
    c->key = req_param(req, "id");
    c->body = req->json;
    if (tx_run(req->store, req->actor, req->arena, call_tx, c, err) < 0) {
        json_decref(c->out);
        return -1;
    }
    return resp_json(resp, status, c->out);
}

static int last_segment_action(Req *req, Resp *resp,
                               int (*act)(Tx *, const char *, const char *, json_t *, json_t **,
                                          Error *),
                               Error *err)
{
    const char *slash = strrchr(req->path, '/');
    Call c = {0};
    c.act = act;
    c.action = slash ? slash + 1 : "";
    return run(req, resp, &c, 200, err);
}

static int h_activate(Req *req, Resp *resp, Error *err)
{
    Call c = {.fn = command_activate_plan};
    return run(req, resp, &c, 201, err);
}

static int h_issue(Req *req, Resp *resp, Error *err)
{
    Call c = {.fn = command_issue_instruction};
    return run(req, resp, &c, 201, err);
}

static int h_instruction_act(Req *req, Resp *resp, Error *err)
{
    return last_segment_action(req, resp, command_instruction_act, err);
}

static int h_dispatch(Req *req, Resp *resp, Error *err)
{
    Call c = {.fn = command_dispatch};
    return run(req, resp, &c, 201, err);
}

static int h_task_act(Req *req, Resp *resp, Error *err)
{
    return last_segment_action(req, resp, command_task_act, err);
}

static int h_dispatch_act(Req *req, Resp *resp, Error *err)
{
    return last_segment_action(req, resp, command_dispatch_act, err);
}

static int h_field_report(Req *req, Resp *resp, Error *err)
{
    Call c = {.fn = command_field_report};
    return run(req, resp, &c, 201, err);
}

static int h_notify(Req *req, Resp *resp, Error *err)
{
    Call c = {.fn = command_notify};
    return run(req, resp, &c, 201, err);
}

static int read_fn(Tx *tx, const char *key, json_t *body, json_t **out, Error *err)
{
    static const char *const none[] = {NULL};
    if (only_keys(body, none, err) < 0)
        return -1;
    return command_notification_read(tx, key, out, err);
}

static int h_read(Req *req, Resp *resp, Error *err)
{
    Call c = {.fn = read_fn};
    return run(req, resp, &c, 200, err);
}

static int h_mine(Req *req, Resp *resp, Error *err)
{
    if (req->nquery > 0)
        return error_set(err, 422, "validation_failed", "不支持的查询参数",
                         "this list takes no query parameters");
    StoreConn *c = store_acquire(req->store);
    DbRows rows;
    DbValue p[] = {db_int(req->actor->user_id)};
    int rc = store_query(
        c, req->arena, "SELECT * FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT 200",
        p, 1, &rows, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_t *items = json_array();
    int unread = 0;
    for (int i = 0; i < rows.nrows; i++) {
        json_t *n = entity_row_json(&notifications_entity, &rows, i);
        if (!str_of(n, "read_at"))
            unread++;
        json_array_append_new(items, n);
    }
    return resp_json(
        resp, 200,
        json_pack("{s:o, s:i, s:i}", "items", items, "total", rows.nrows, "unread", unread));
}

static int h_workspace(Req *req, Resp *resp, Error *err)
{
    json_t *ws = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = command_workspace(c, req->arena, req->actor, req_param(req, "id"), &ws, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    return resp_json(resp, 200, ws);
}

#define INC "/api/v1/incidents/:id"
#define SJ SCOPE_JURISDICTION
static const Route routes[] = {
    {"GET", INC "/workspace", h_workspace, READ, SJ, &incidents_entity,
     "指挥工作台（事件、时间线、任务、指令、调度、现场反馈、匹配预案）", 0},
    {"POST", INC "/activate-plan", h_activate, ACTIVATE, SJ, &incidents_entity,
     "启动预案（按响应级别生成任务）", 0},
    {"POST", INC "/instructions", h_issue, ISSUER, SJ, &incidents_entity, "下达指令", 0},
    {"POST", INC "/dispatches", h_dispatch, ISSUER, SJ, &incidents_entity,
     "调派队伍、专家、物资（直线距离与预计到达）", 0},
    {"POST", INC "/field-reports", h_field_report, RECIPIENT, SJ, &incidents_entity,
     "现场反馈（照片请用附件上传）", 0},
    {"POST", INC "/notify", h_notify, ISSUER, SJ, &incidents_entity, "发送通知（回执）", 0},
    {"POST", "/api/v1/response_tasks/:id/start", h_task_act, RECIPIENT, SJ, &response_tasks_entity,
     "任务开始执行", 0},
    {"POST", "/api/v1/response_tasks/:id/finish", h_task_act, RECIPIENT, SJ, &response_tasks_entity,
     "任务完成", 0},
    {"POST", "/api/v1/instructions/:id/sign", h_instruction_act, RECIPIENT, SJ,
     &instructions_entity, "签收指令", 0},
    {"POST", "/api/v1/instructions/:id/execute", h_instruction_act, RECIPIENT, SJ,
     &instructions_entity, "执行指令", 0},
    {"POST", "/api/v1/instructions/:id/feedback", h_instruction_act, RECIPIENT, SJ,
     &instructions_entity, "反馈指令执行情况", 0},
    {"POST", "/api/v1/instructions/:id/complete", h_instruction_act, ISSUER, SJ,
     &instructions_entity, "确认指令完成", 0},
    {"POST", "/api/v1/dispatches/:id/depart", h_dispatch_act, FIELD_SIDE, SJ, &dispatches_entity,
     "出发", 0},
    {"POST", "/api/v1/dispatches/:id/arrive", h_dispatch_act, FIELD_SIDE, SJ, &dispatches_entity,
     "到达", 0},
    {"POST", "/api/v1/dispatches/:id/return", h_dispatch_act, FIELD_SIDE, SJ, &dispatches_entity,
     "返回（队伍恢复出动前的战备状态）", 0},
    {"GET", "/api/v1/notifications/mine", h_mine, ROLE_ANY, SCOPE_LOGIN, NULL, "我的通知", 0},
    {"POST", "/api/v1/notifications/:id/read", h_read, ROLE_ANY, SCOPE_LOGIN, NULL,
     "标记已读（回执）", 0},
};

static void command_register_routes(void)
{
    http_register_entity(&response_tasks_entity);
    http_register_entity(&instructions_entity);
    http_register_entity(&dispatches_entity);
    http_register_entity(&field_reports_entity);
    http_register_entity(&notifications_entity);
    http_register_routes(routes, (int)(sizeof routes / sizeof routes[0]));
}

/* ---- module ------------------------------------------------------------------------------ */

static int create_tables(StoreConn *c, Error *err)
{
    const Entity *const all[] = {&response_tasks_entity, &instructions_entity, &dispatches_entity,
                                 &field_reports_entity, &notifications_entity};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (entity_create_table(c, all[i], err) < 0)
            return -1;
    return 0;
}

static const Migration migrations[] = {
    {1, "response tasks, instructions, dispatches, field reports, notifications", NULL, NULL,
     create_tables},
};

static int command_migrate(Store *store, Error *err)
{
    return store_migrate(store, "command", migrations,
                         (int)(sizeof migrations / sizeof migrations[0]), err);
}

static void command_start(Store *store)
{
    (void)store;
    scheduler_register("instructions.escalate", command_escalate_job);
    outbox_register("notify", command_deliver_inapp);
}

const Module command_module = {
    .name = "command",
    .migrate = command_migrate,
    .register_routes = command_register_routes,
    .start = command_start,
    .demo = command_demo,
};
