/* modules/publish/routes — the HTTP surface of publication (one route table); docs/publish.md
 * describes each route. Roles are checked by the router; jurisdiction by the entity engine
 * and the workflow (a record outside it is 404). */
#include "modules/publish/publish_internal.h"

#include "core/clock.h"
#include "http/route.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ (ROLE_STAFF | ROLE_VIEWER | ROLE_INFO_OFFICER)
#define DRAFT (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)
#define SIGN (ROLE_ADMIN | ROLE_COMMANDER)
#define DIRECTORY (ROLE_ADMIN | ROLE_DUTY_OFFICER)
#define VISIT (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER | ROLE_INFO_OFFICER)

static int html(Req *req, Resp *resp, int status, StrBuf *sb)
{
    resp->status = status;
    resp->body = arena_strndup(req->arena, strbuf_cstr(sb), sb->len);
    resp->body_len = sb->len;
    resp->content_type = "text/html; charset=utf-8";
    strbuf_free(sb);
    return 0;
}

/* The steps the actor may take now. "supersede" is left out: issuing an update does it, no
 * route offers it. */
static json_t *with_actions(json_t *w, const Actor *actor)
{
    json_t *all = workflow_actions(&pub_flow, pub_json_str(w, "state"), actor),
           *shown = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "action")), "supersede") != 0)
            json_array_append(shown, a);
    }
    json_decref(all);
    json_object_set_new(w, "actions", shown);
    return w;
}

/* GET /:id — the warning with the steps the actor may take and the steps it went through
 * (who, when, the reason of a return or a cancel). */
static int warning_get(Req *req, Resp *resp, Error *err)
{
    json_t *w = NULL, *hist = NULL;
    const char *key = req_param(req, "id");
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &publish_warnings_entity, req->actor, key, &w, err);
    if (rc == 0 && !(hist = workflow_history_json(c, req->arena, "publish_warnings", key, err)))
        rc = -1;
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(w);
        return -1;
    }
    json_object_set_new(w, "history", hist);
    return resp_json(resp, 200, with_actions(w, req->actor));
}

/* ---- workflow steps: POST /api/v1/publish-warnings/:id/<action> -------------------------- */

typedef struct StepCtx {
    Req *req;
    const char *action;
    int64_t targets;
    json_t *out;
} StepCtx;

static int step_tx(Tx *tx, void *ctx, Error *err)
{
    StepCtx *s = ctx;
    const char *key = req_param(s->req, "id");
    int rc = strcmp(s->action, "issue") == 0 ? pub_issue(tx, key, s->req->json, &s->targets, err)
             : strcmp(s->action, "cancel") == 0
                 ? pub_cancel(tx, key, s->req->json, err)
                 : workflow_apply(tx, &pub_flow, key, s->action, s->req->json, NULL, err);
    if (rc < 0)
        return -1;
    return entity_get(tx->conn, &publish_warnings_entity, tx->actor, key, &s->out, err);
}

static int warning_step(Req *req, Resp *resp, Error *err)
{
    static const char *const allowed[] = {"reason", "note", NULL};
    if (req_body_fields_or_fail(req, allowed, err) < 0)
        return -1;
    const char *slash = strrchr(req->route->pattern, '/');
    StepCtx s = {req, slash + 1, 0, NULL};
    if (tx_run(req->store, req->actor, req->arena, step_tx, &s, err) < 0)
        return -1;
    return resp_json(resp, 200, with_actions(s.out, req->actor));
}

/* ---- POST /api/v1/publish-warnings/:id/update: a new draft updating an issued warning --- */

static int update_tx(Tx *tx, void *ctx, Error *err)
{
    StepCtx *s = ctx;
    const char *key = req_param(s->req, "id");
    json_t *old = NULL, *in = json_object(), *created = NULL;
    int rc = -1;
    if (entity_get(tx->conn, &publish_warnings_entity, tx->actor, key, &old, err) < 0)
        goto out;
    if (strcmp(pub_json_str(old, "state"), "issued") != 0) {
        error_set(err, 409, "invalid_state", "只有已发布的预警可以更新",
                  "only an issued warning can be updated");
        goto out;
    }
    for (const Field *f = publish_warnings_entity.fields; f->name; f++) {
        json_t *v = json_object_get(old, f->name);
        if (!(f->flags & FIELD_READONLY) && v && !json_is_null(v))
            json_object_set(in, f->name, v);
    }
    if (json_is_object(s->req->json))
        json_object_update(in, s->req->json);
    if (entity_create(tx, &publish_warnings_entity, in, &created, err) < 0)
        goto out;
    const char *nk = arena_printf(tx->arena, "%lld", (long long)pub_json_int(created, "id"));
    json_t *set =
        json_pack("{s:s, s:I}", "msg_type", "Update", "references_id", (json_int_t)atoll(key));
    rc = entity_update_internal(tx, &publish_warnings_entity, nk, set, err);
    json_decref(set);
    if (rc == 0)
        rc = entity_get(tx->conn, &publish_warnings_entity, tx->actor, nk, &s->out, err);
out:
    json_decref(old);
    json_decref(in);
    json_decref(created);
    return rc;
}

static int warning_update(Req *req, Resp *resp, Error *err)
{
    if (req->json && !json_is_object(req->json))
        return req_body_object_or_fail(req, err);
    StepCtx s = {req, "update", 0, NULL};
    if (tx_run(req->store, req->actor, req->arena, update_tx, &s, err) < 0)
        return -1;
    return resp_json(resp, 201, with_actions(s.out, req->actor));
}

/* ---- CAP: GET /:id/cap.xml, POST /import.cap ----------------------------------------------- */

static int warning_cap(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    json_t *w = NULL, *ref = NULL;
    int rc = entity_get(c, &publish_warnings_entity, req->actor, req_param(req, "id"), &w, err);
    if (rc == 0 && pub_json_int(w, "references_id")) {
        char rk[24];
        snprintf(rk, sizeof rk, "%lld", (long long)pub_json_int(w, "references_id"));
        if (entity_get(c, &publish_warnings_entity, &actor_system, rk, &ref, err) < 0)
            ref = NULL;
        error_clear(err);
    }
    /* a cancelled warning's message is its Cancel, unless ?message=alert asks for the one
     * issued */
    const char *which = req_query(req, "message");
    int issued_one = which && strcmp(which, "alert") == 0;
    DbRows rows;
    if (rc == 0)
        rc = store_query(c, req->arena,
                         issued_one ? "SELECT cap_xml FROM publish_warnings WHERE id = $1"
                                    : "SELECT COALESCE(cancel_cap_xml, cap_xml) FROM"
                                      " publish_warnings WHERE id = $1",
                         (DbValue[]){db_int(pub_json_int(w, "id"))}, 1, &rows, err);
    store_release(req->store, c);
    if (rc < 0) {
        json_decref(w);
        return -1;
    }
    StrBuf sb = STRBUF_INIT;
    if (rows.nrows && db_cell(&rows, 0, 0)) { /* issued: the message as sent */
        strbuf_adds(&sb, db_cell(&rows, 0, 0));
    } else {
        CapAlert *a = pub_cap_of(w, ref);
        rc = cap_alert_to_xml(a, &sb, err);
        cap_alert_free(a);
    }
    json_decref(w);
    json_decref(ref);
    if (rc < 0) {
        strbuf_free(&sb);
        return -1;
    }
    resp->body = arena_strndup(req->arena, strbuf_cstr(&sb), sb.len);
    resp->body_len = sb.len;
    resp->content_type = "application/cap+xml; charset=utf-8";
    strbuf_free(&sb);
    return 0;
}

static int import_tx(Tx *tx, void *ctx, Error *err)
{
    StepCtx *s = ctx;
    json_t *rec = NULL;
    if (pub_cap_import(s->req->body ? s->req->body : "", s->req->body_len, tx->actor, &rec, err) <
        0)
        return -1;
    int rc = entity_create(tx, &publish_warnings_entity, rec, &s->out, err);
    json_decref(rec);
    return rc;
}

static int warning_import(Req *req, Resp *resp, Error *err)
{
    StepCtx s = {req, "import", 0, NULL};
    if (tx_run(req->store, req->actor, req->arena, import_tx, &s, err) < 0)
        return -1;
    return resp_json(resp, 201, with_actions(s.out, req->actor));
}

/* ---- progress and report ------------------------------------------------------------------ */

static int warning_progress(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    json_t *out = NULL;
    int rc = pub_progress(c, req->arena, req->actor, req_param(req, "id"), &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

static int warning_report(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    StrBuf sb = STRBUF_INIT;
    int rc = pub_report_html(c, req->arena, req->actor, req_param(req, "id"), &sb, err);
    store_release(req->store, c);
    if (rc < 0) {
        strbuf_free(&sb);
        return -1;
    }
    return html(req, resp, 200, &sb);
}

/* ---- the answer link: GET/POST /api/v1/publish/ack/:token (public) ----------------------- */

static void page_head(StrBuf *sb, const char *title)
{
    strbuf_adds(sb,
                "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    strbuf_adds(sb, title);
    strbuf_adds(sb, "</title><style>body{font-family:sans-serif;margin:1.5em;font-size:18px}"
                    "button{font-size:20px;padding:.6em 1.5em;margin:.3em}</style></head><body>\n");
}

static void esc(StrBuf *sb, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<')
            strbuf_adds(sb, "&lt;");
        else if (*s == '>')
            strbuf_adds(sb, "&gt;");
        else if (*s == '&')
            strbuf_adds(sb, "&amp;");
        else if (*s == '"')
            strbuf_adds(sb, "&quot;");
        else
            strbuf_addch(sb, *s);
    }
}

static int target_of_token(Req *req, int64_t *id, Error *err)
{
    if (pub_token_target(req_param(req, "token"), id) < 0)
        return error_set(err, 404, "not_found", "链接无效或已失效", "invalid answer link");
    return 0;
}

static int ack_rows(StoreConn *c, Arena *a, int64_t id, DbRows *rows, Error *err)
{
    if (store_query(c, a,
                    "SELECT t.name, t.answered_at, w.headline, w.description, w.instruction FROM"
                    " publish_targets t JOIN publish_warnings w ON w.id = t.warning_id WHERE t.id"
                    " = $1",
                    (DbValue[]){db_int(id)}, 1, rows, err) < 0)
        return -1;
    if (!rows->nrows)
        return error_set(err, 404, "not_found", "链接无效或已失效", "invalid answer link");
    return 0;
}

static int ack_get(Req *req, Resp *resp, Error *err)
{
    int64_t id;
    if (target_of_token(req, &id, err) < 0)
        return -1;
    StoreConn *c = store_acquire(req->store);
    DbRows r;
    int rc = ack_rows(c, req->arena, id, &r, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    StrBuf sb = STRBUF_INIT;
    page_head(&sb, "预警信息确认");
    strbuf_adds(&sb, "<h2>");
    esc(&sb, db_cell(&r, 0, 2));
    strbuf_adds(&sb, "</h2>\n<p>");
    esc(&sb, db_cell(&r, 0, 3));
    strbuf_adds(&sb, "</p>\n<p>");
    esc(&sb, db_cell(&r, 0, 4));
    strbuf_adds(&sb, "</p>\n<p>");
    esc(&sb, db_cell(&r, 0, 0));
    if (db_cell(&r, 0, 1)) {
        strbuf_adds(&sb, "，您已确认收到本预警（");
        esc(&sb, db_cell(&r, 0, 1));
        strbuf_adds(&sb, " UTC）。</p>\n");
    } else {
        strbuf_adds(&sb, "，请确认已收到本预警：</p>\n<form method=\"post\"><button name=\"answer\""
                         " value=\"ack\">确认收到</button><button name=\"answer\" value=\"help\">"
                         "收到，需要帮助</button></form>\n");
    }
    strbuf_adds(&sb, "</body></html>\n");
    return html(req, resp, 200, &sb);
}

typedef struct AnswerCtx {
    int64_t id;
    const char *channel;
    int help;
    int recorded;
} AnswerCtx;

static int answer_tx(Tx *tx, void *ctx, Error *err)
{
    AnswerCtx *a = ctx;
    int rc = pub_answer(tx, a->id, a->channel, a->help, err);
    if (rc < 0)
        return -1;
    a->recorded = rc;
    return 0;
}

static int ack_post(Req *req, Resp *resp, Error *err)
{
    AnswerCtx a = {0, "link", 0, 0};
    if (target_of_token(req, &a.id, err) < 0)
        return -1;
    a.help = req->body && (strstr(req->body, "help") != NULL);
    if (tx_run(req->store, &actor_system, req->arena, answer_tx, &a, err) < 0)
        return -1;
    StrBuf sb = STRBUF_INIT;
    page_head(&sb, "已确认");
    strbuf_adds(&sb,
                a.recorded ? "<h2>已确认收到，谢谢！</h2>\n" : "<h2>您此前已确认收到。</h2>\n");
    if (a.help)
        strbuf_adds(&sb, "<p>已记录您的求助，值班人员将尽快与您联系。</p>\n");
    strbuf_adds(&sb, "</body></html>\n");
    return html(req, resp, 200, &sb);
}

/* ---- provider callbacks: POST /api/v1/publish/callbacks/:channel/(receipts|replies) ------ */

static const Channel *callback_channel(Req *req, Error *err)
{
    const Channel *ch = channels_find(pub_channels(), req_param(req, "channel"));
    const char *given = req->channel_secret;
    if (!ch)
        return error_set(err, 404, "not_found", "渠道不存在", "no such channel"), NULL;
    if (!ch->callback_secret || !given || strlen(given) != strlen(ch->callback_secret) ||
        sodium_memcmp(given, ch->callback_secret, strlen(given)) != 0)
        return error_set(err, 401, "unauthorized", "回调密钥错误",
                         "missing or wrong X-Channel-Secret"),
               NULL;
    return ch;
}

typedef struct CbCtx {
    const Channel *ch;
    ChannelReport *reps;
    ChannelReply *replies;
    size_t n;
    int matched, answered;
    json_t *unknown;
} CbCtx;

static int receipts_tx(Tx *tx, void *ctx, Error *err)
{
    CbCtx *cb = ctx;
    for (size_t i = 0; i < cb->n; i++) {
        ChannelReport *r = &cb->reps[i];
        char at[32];
        clock_format_iso(r->time ? r->time : clock_now(), at, sizeof at);
        DbValue p[] = {db_text(cb->ch->name), db_text(r->key), db_text(r->provider_id),
                       db_text(r->raw_status), db_text(at)};
        DbRows rows;
        if (store_query(tx->conn, tx->arena,
                        "UPDATE publish_deliveries SET receipt_status = $4, receipt_at = $5,"
                        " updated_at = $5 WHERE channel = $1 AND ((length($2) > 0 AND idem_key ="
                        " $2) OR (length($3) > 0 AND provider_id = $3)) RETURNING target_id",
                        p, 5, &rows, err) < 0)
            return -1;
        for (int k = 0; k < rows.nrows; k++) {
            int64_t tid = atoll(db_cell(&rows, k, 0));
            cb->matched++;
            if (r->status == CHANNEL_DELIVERED &&
                store_exec(tx->conn,
                           "UPDATE publish_targets SET delivered_at = COALESCE(delivered_at, $2),"
                           " state = CASE WHEN state IN ('queued', 'sent', 'failed') THEN"
                           " 'delivered' ELSE state END, updated_at = $2 WHERE id = $1",
                           (DbValue[]){db_int(tid), db_text(at)}, 2, NULL, err) < 0)
                return -1;
            if (r->acknowledged) {
                int rc = pub_answer(tx, tid, cb->ch->name, r->needs_help, err);
                if (rc < 0)
                    return -1;
                cb->answered += rc;
            }
        }
    }
    return 0;
}

static int callback_receipts(Req *req, Resp *resp, Error *err)
{
    CbCtx cb = {0};
    if (!(cb.ch = callback_channel(req, err)))
        return -1;
    if (channel_parse_receipts(cb.ch->kind, req->body ? req->body : "", req->body_len, req->arena,
                               &cb.reps, &cb.n, err) < 0)
        return -1;
    if (tx_run(req->store, &actor_system, req->arena, receipts_tx, &cb, err) < 0)
        return -1;
    return resp_json(resp, 200,
                     json_pack("{s:I, s:i, s:i}", "received", (json_int_t)cb.n, "matched",
                               cb.matched, "answered", cb.answered));
}

static int replies_tx(Tx *tx, void *ctx, Error *err)
{
    CbCtx *cb = ctx;
    for (size_t i = 0; i < cb->n; i++) {
        ChannelReply *r = &cb->replies[i];
        if (r->kind == CHANNEL_REPLY_UNKNOWN) {
            json_array_append_new(cb->unknown,
                                  json_pack("{s:s, s:s}", "from", r->from, "text", r->text));
            continue;
        }
        DbRows rows;
        if (r->key && *r->key) {
            if (store_query(tx->conn, tx->arena,
                            "SELECT target_id FROM publish_deliveries WHERE idem_key = $1",
                            (DbValue[]){db_text(r->key)}, 1, &rows, err) < 0)
                return -1;
        } else if (store_query(tx->conn, tx->arena,
                               "SELECT t.id FROM publish_targets t JOIN publish_warnings w ON"
                               " w.id = t.warning_id WHERE t.phone = $1 AND t.answered_at IS"
                               " NULL AND t.needs_ack = 1 AND w.state = 'issued'",
                               (DbValue[]){db_text(r->from)}, 1, &rows, err) < 0) {
            return -1;
        }
        for (int k = 0; k < rows.nrows; k++) {
            int rc = pub_answer(tx, atoll(db_cell(&rows, k, 0)), cb->ch->name,
                                r->kind == CHANNEL_REPLY_HELP, err);
            if (rc < 0)
                return -1;
            cb->matched++;
            cb->answered += rc;
        }
    }
    return 0;
}

static int callback_replies(Req *req, Resp *resp, Error *err)
{
    CbCtx cb = {0};
    if (!(cb.ch = callback_channel(req, err)))
        return -1;
    if (channel_parse_replies(cb.ch->kind, req->body ? req->body : "", req->body_len, req->arena,
                              &cb.replies, &cb.n, err) < 0)
        return -1;
    cb.unknown = json_array();
    if (tx_run(req->store, &actor_system, req->arena, replies_tx, &cb, err) < 0) {
        json_decref(cb.unknown);
        return -1;
    }
    return resp_json(resp, 200,
                     json_pack("{s:I, s:i, s:o}", "received", (json_int_t)cb.n, "answered",
                               cb.answered, "unknown", cb.unknown));
}

/* ---- the app: GET /api/v1/publish/mine, POST /api/v1/publish-targets/:id/answer ----------- */

static int mine(Req *req, Resp *resp, Error *err)
{
    StoreConn *c = store_acquire(req->store);
    DbRows r;
    int rc = store_query(c, req->arena,
                         "SELECT t.id, t.warning_id, w.headline, w.level, w.issued_at, t.state,"
                         " t.answered_at FROM publish_targets t JOIN publish_people p ON p.id ="
                         " t.person_id JOIN publish_warnings w ON w.id = t.warning_id WHERE"
                         " p.user_id = $1 AND w.state = 'issued' ORDER BY t.id DESC LIMIT 100",
                         (DbValue[]){db_int(req->actor->user_id)}, 1, &r, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    json_t *items = json_array();
    for (int i = 0; i < r.nrows; i++)
        json_array_append_new(
            items, json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s?}", "id",
                             (json_int_t)atoll(db_cell(&r, i, 0)), "warning_id",
                             (json_int_t)atoll(db_cell(&r, i, 1)), "headline", db_cell(&r, i, 2),
                             "level", db_cell(&r, i, 3), "issued_at", db_cell(&r, i, 4), "state",
                             db_cell(&r, i, 5), "answered_at", db_cell(&r, i, 6)));
    return resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

static int app_answer_tx(Tx *tx, void *ctx, Error *err)
{
    AnswerCtx *a = ctx;
    int64_t owner = 0;
    int rc = store_query_int(tx->conn,
                             "SELECT p.user_id FROM publish_targets t JOIN publish_people p ON"
                             " p.id = t.person_id WHERE t.id = $1",
                             (DbValue[]){db_int(a->id)}, 1, &owner, err);
    if (rc < 0)
        return -1;
    if (rc == 1 || owner != tx->actor->user_id || owner == 0)
        return error_not_found(err); /* someone else's target is not yours to see */
    return answer_tx(tx, ctx, err);
}

static int app_answer(Req *req, Resp *resp, Error *err)
{
    static const char *const allowed[] = {"help", NULL};
    if (req_body_fields_or_fail(req, allowed, err) < 0)
        return -1;
    json_t *h = req->json ? json_object_get(req->json, "help") : NULL;
    AnswerCtx a = {atoll(req_param(req, "id")), "app", json_is_true(h), 0};
    if (tx_run(req->store, req->actor, req->arena, app_answer_tx, &a, err) < 0)
        return -1;
    return resp_json(resp, 200, json_pack("{s:b, s:b}", "answered", 1, "recorded_now", a.recorded));
}

/* ---- POST /api/v1/publish-visits/:id/done {note} (上门提醒 recorded) ---------------------- */

static int visit_tx(Tx *tx, void *ctx, Error *err)
{
    StepCtx *s = ctx;
    const char *key = req_param(s->req, "id");
    json_t *v = NULL;
    if (entity_get(tx->conn, &publish_visits_entity, tx->actor, key, &v, err) < 0)
        return -1;
    int open = strcmp(pub_json_str(v, "state"), "open") == 0;
    json_decref(v);
    if (!open)
        return error_set(err, 409, "invalid_state", "该上门任务已记录", "the visit is recorded");
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    const char *at = pub_json_str(s->req->json, "visited_at");
    int64_t t;
    json_t *set = json_pack("{s:s, s:O, s:s, s:s}", "state", "done", "note",
                            json_object_get(s->req->json, "note"), "visited_at",
                            at && clock_parse_iso(at, &t) == 0 ? at : now, "recorded_by",
                            tx->actor->username ? tx->actor->username : "system");
    int rc = entity_update_internal(tx, &publish_visits_entity, key, set, err);
    json_decref(set);
    return rc < 0 ? -1 : entity_get(tx->conn, &publish_visits_entity, tx->actor, key, &s->out, err);
}

static int visit_done(Req *req, Resp *resp, Error *err)
{
    static const char *const allowed[] = {"note", "visited_at", NULL};
    if (req_body_fields_or_fail(req, allowed, err) < 0)
        return -1;
    json_t *note = req->json ? json_object_get(req->json, "note") : NULL;
    if (!json_is_string(note) || json_string_length(note) == 0) {
        error_set(err, 422, "validation_failed", "请填写上门情况", "note is required");
        error_field(err, "note", "上门情况必填");
        return -1;
    }
    StepCtx s = {req, "done", 0, NULL};
    if (tx_run(req->store, req->actor, req->arena, visit_tx, &s, err) < 0)
        return -1;
    return resp_json(resp, 200, s.out);
}

/* ---- the table ------------------------------------------------------------------------------ */

#define STEP(action, roles, zh)                                                                    \
    {                                                                                              \
        "POST", "/api/v1/publish-warnings/:id/" action, warning_step, roles, SCOPE_JURISDICTION,   \
            NULL, zh, 0                                                                            \
    }
#define READ_ONLY(ent, base)                                                                        \
    {"GET", base, entity_handle_list, READ, SCOPE_JURISDICTION, ent, "列表查询", 0},                \
        {"GET", base "/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION, ent, "导出CSV", \
         0},                                                                                        \
    {                                                                                               \
        "GET", base "/:id", entity_handle_get, READ, SCOPE_JURISDICTION, ent, "查看", 0             \
    }

static const Route routes[] = {
    {"GET", "/api/v1/publish-warnings", entity_handle_list, READ, SCOPE_JURISDICTION,
     &publish_warnings_entity, "列表查询", 0},
    {"GET", "/api/v1/publish-warnings/export.csv", entity_handle_export, READ, SCOPE_JURISDICTION,
     &publish_warnings_entity, "导出CSV", 0},
    {"POST", "/api/v1/publish-warnings/import.csv", entity_handle_import, DRAFT, SCOPE_JURISDICTION,
     &publish_warnings_entity, "导入CSV", ROUTE_RAW_BODY},
    {"GET", "/api/v1/publish-warnings/:id", warning_get, READ, SCOPE_JURISDICTION,
     &publish_warnings_entity, "查看（含可办理操作与办理记录）", 0},
    {"POST", "/api/v1/publish-warnings", entity_handle_create, DRAFT, SCOPE_JURISDICTION,
     &publish_warnings_entity, "新建", 0},
    {"PATCH", "/api/v1/publish-warnings/:id", entity_handle_update, DRAFT, SCOPE_JURISDICTION,
     &publish_warnings_entity, "修改", 0},
    {"POST", "/api/v1/publish-warnings/import.cap", warning_import, DRAFT, SCOPE_JURISDICTION, NULL,
     "导入CAP预警报文为草稿", ROUTE_RAW_BODY},
    {"GET", "/api/v1/publish-warnings/:id/cap.xml", warning_cap, READ, SCOPE_JURISDICTION, NULL,
     "导出CAP报文", 0},
    STEP("submit", DRAFT, "提交审核"),
    STEP("approve", SIGN, "审核通过"),
    STEP("return", SIGN, "退回"),
    STEP("issue", SIGN, "签发（定向、发送、叫应）"),
    STEP("cancel", SIGN, "解除"),
    {"POST", "/api/v1/publish-warnings/:id/update", warning_update, DRAFT, SCOPE_JURISDICTION, NULL,
     "更新（新建引用本预警的草稿）", 0},
    {"GET", "/api/v1/publish-warnings/:id/progress", warning_progress, READ, SCOPE_JURISDICTION,
     NULL, "叫应进度", 0},
    {"GET", "/api/v1/publish-warnings/:id/report", warning_report, READ, SCOPE_JURISDICTION, NULL,
     "叫应报告（可打印）", 0},
    ENTITY_ROUTES(&publish_people_entity, "/api/v1/publish-people", READ, DIRECTORY),
    ENTITY_GEO_ROUTES(&publish_people_entity, "/api/v1/publish-people", READ, DIRECTORY),
    ENTITY_ROUTES(&publish_specials_entity, "/api/v1/publish-specials", READ, DIRECTORY),
    ENTITY_GEO_ROUTES(&publish_specials_entity, "/api/v1/publish-specials", READ, DIRECTORY),
    READ_ONLY(&publish_targets_entity, "/api/v1/publish-targets"),
    READ_ONLY(&publish_deliveries_entity, "/api/v1/publish-deliveries"),
    READ_ONLY(&publish_visits_entity, "/api/v1/publish-visits"),
    {"POST", "/api/v1/publish-visits/:id/done", visit_done, VISIT, SCOPE_JURISDICTION, NULL,
     "记录上门提醒", 0},
    {"GET", "/api/v1/publish/mine", mine, ROLE_ANY, SCOPE_LOGIN, NULL, "我的叫应", 0},
    {"POST", "/api/v1/publish-targets/:id/answer", app_answer, ROLE_ANY, SCOPE_LOGIN, NULL,
     "应答（本人）", 0},
    {"GET", "/api/v1/publish/ack/:token", ack_get, 0, SCOPE_PUBLIC, NULL, "叫应链接", 0},
    {"POST", "/api/v1/publish/ack/:token", ack_post, 0, SCOPE_PUBLIC, NULL, "叫应链接确认",
     ROUTE_RAW_BODY | ROUTE_NO_CSRF},
    {"POST", "/api/v1/publish/callbacks/:channel/receipts", callback_receipts, 0, SCOPE_PUBLIC,
     NULL, "渠道回执回调", ROUTE_RAW_BODY | ROUTE_NO_CSRF},
    {"POST", "/api/v1/publish/callbacks/:channel/replies", callback_replies, 0, SCOPE_PUBLIC, NULL,
     "上行短信回调", ROUTE_RAW_BODY | ROUTE_NO_CSRF},
};

void pub_register_routes(void)
{
    const Entity *const es[] = {&publish_warnings_entity,   &publish_people_entity,
                                &publish_specials_entity,   &publish_targets_entity,
                                &publish_deliveries_entity, &publish_visits_entity};
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
        http_register_entity(es[i]);
    http_register_routes(routes, (int)(sizeof routes / sizeof routes[0]));
}
