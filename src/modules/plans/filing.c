/* modules/plans — the filing workflow (报送 → 备案 / 退回), versions and revision; see plans.h. */
#include "modules/plans/plans_internal.h"

#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITERS (ROLE_ADMIN | ROLE_COMMANDER)

static const char *const need_comment[] = {"comment", NULL};

static const Transition plan_transitions[] = {
    {"draft", "submit", "submitted", WRITERS, NULL, "报送备案", 0},
    {"returned", "submit", "submitted", WRITERS, NULL, "重新报送", 0},
    {"submitted", "file", "filed", ROLE_ADMIN, NULL, "予以备案", 0},
    {"submitted", "return", "returned", ROLE_ADMIN, need_comment, "退回修改", 0},
    {"filed", "revise", "draft", WRITERS, NULL, "修订（新版本）", 0},
    {NULL, NULL, NULL, 0, NULL, NULL, 0},
};

const Workflow plans_flow = {"plans", "id", "state", "division_code", plan_transitions};

static int bad_input(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

/* Action input: nothing, or an object with an optional text "comment" (≤ 1000 characters). */
static int check_action_input(json_t *input, Error *err)
{
    if (!input || json_is_null(input))
        return 0;
    if (!json_is_object(input))
        return error_set(err, 422, "validation_failed", "提交的数据应为 JSON 对象",
                         "the request body must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(input, k, v)
    {
        if (strcmp(k, "comment") != 0)
            return bad_input(err, k, "未知字段", "unknown field in action input");
        if (!json_is_null(v) && !json_is_string(v))
            return bad_input(err, k, "应为文本", "comment must be text");
        if (json_is_string(v) && json_string_length(v) > 3000)
            return bad_input(err, k, "长度不能超过 1000 个字符", "comment too long");
    }
    return 0;
}

static int load_plan(Tx *tx, const char *key, json_t **plan, Error *err)
{
    return entity_get(tx->conn, &plans_entity, tx->actor, key, plan, err);
}

static void set_now(json_t *v, const char *field)
{
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    json_object_set_new(v, field, json_string(now));
}

int plans_filing_action(Tx *tx, const char *key, const char *action, json_t *input, json_t **out,
                        Error *err)
{
    if (strcmp(action, "submit") != 0 && strcmp(action, "file") != 0 &&
        strcmp(action, "return") != 0)
        return error_internal(err, "plans_filing_action: unknown action");
    if (check_action_input(input, err) < 0)
        return -1;
    if (workflow_apply(tx, &plans_flow, key, action, input, NULL, err) < 0)
        return -1;
    json_t *comment = json_is_object(input) ? json_object_get(input, "comment") : NULL;
    json_t *v = json_object();
    if (strcmp(action, "submit") == 0) {
        set_now(v, "submitted_at");
        json_object_set_new(v, "review_comment", json_null());
    } else {
        json_object_set(v, "review_comment", comment ? comment : json_null());
        if (strcmp(action, "file") == 0)
            set_now(v, "filed_at");
    }
    int rc = entity_update_internal(tx, &plans_entity, key, v, err);
    json_decref(v);
    json_t *plan = NULL;
    if (rc == 0)
        rc = load_plan(tx, key, &plan, err);
    if (rc == 0 && strcmp(action, "file") == 0)
        rc = plans_freeze(tx, plan,
                          json_is_string(comment) ? json_string_value(comment) : "予以备案", err);
    if (rc == 0 && out)
        *out = json_incref(plan);
    json_decref(plan);
    return rc;
}

/* PostgreSQL: locks the plan's row so two revisions of one plan queue. */
static int lock_plan(Tx *tx, const char *key, Error *err)
{
    if (conn_dialect(tx->conn) != DIALECT_POSTGRES)
        return 0;
    char *end = NULL;
    long long id = strtoll(key, &end, 10);
    if (!*key || *end)
        return error_not_found(err);
    DbValue p[] = {db_int(id)};
    int64_t got = 0;
    return store_query_int(tx->conn, "SELECT id FROM plans WHERE id = $1 FOR UPDATE", p, 1, &got,
                           err) < 0
               ? -1
               : 0;
}

int plans_revise(Tx *tx, const char *key, json_t *input, json_t **out, Error *err)
{
    if (input && !json_is_null(input) && !json_is_object(input))
        return error_set(err, 422, "validation_failed", "提交的数据应为 JSON 对象",
                         "the request body must be a JSON object");
    json_t *note = json_is_object(input) ? json_object_get(input, "note") : NULL;
    if (note && !json_is_null(note) && !json_is_string(note))
        return bad_input(err, "note", "应为文本", "note must be text");
    /* the changes: every member but the note, validated like an update before anything moves */
    json_t *changes = json_object();
    if (json_is_object(input)) {
        json_object_update(changes, input);
        json_object_del(changes, "note");
    }
    json_t *plan = NULL, *checked = NULL;
    int rc = -1;
    if (json_object_size(changes) > 0 &&
        !(checked = entity_validate(&plans_entity, changes, 0, tx->actor, err)))
        goto out;
    json_decref(checked);
    if (lock_plan(tx, key, err) < 0 || load_plan(tx, key, &plan, err) < 0)
        goto out;
    const char *state = json_string_value(json_object_get(plan, "state"));
    if (!state || strcmp(state, "filed") != 0) {
        rc = error_setf(err, 409, "invalid_transition", "只有已备案的预案才能修订（当前状态：%s）",
                        "only a filed plan can be revised (state '%s')", state ? state : "",
                        state ? state : "");
        goto out;
    }
    const char *note_s = json_is_string(note) ? json_string_value(note) : NULL;
    json_int_t version = json_integer_value(json_object_get(plan, "version"));
    if (plans_freeze(tx, plan, "予以备案", err) < 0)
        goto out;
    json_t *wf_in = json_pack("{s:I}", "version", version + 1);
    if (note_s)
        json_object_set_new(wf_in, "note", json_string(note_s));
    rc = workflow_apply(tx, &plans_flow, key, "revise", wf_in, NULL, err);
    json_decref(wf_in);
    if (rc < 0)
        goto out;
    json_t *v = json_pack("{s:I, s:n, s:n, s:n}", "version", version + 1, "filed_at",
                          "submitted_at", "review_comment");
    if (!json_object_get(changes, "revision_due")) { /* the next revision is due in 3 years */
        char due[16];
        plans_default_due(due, sizeof due);
        json_object_set_new(v, "revision_due", json_string(due));
    }
    rc = entity_update_internal(tx, &plans_entity, key, v, err);
    json_decref(v);
    if (rc == 0 && json_object_size(changes) > 0) {
        json_t *updated = NULL;
        rc = entity_update(tx, &plans_entity, key, changes, &updated, err);
        json_decref(updated);
    }
    if (rc == 0 && out)
        rc = load_plan(tx, key, out, err);
out:
    json_decref(changes);
    json_decref(plan);
    return rc;
}
