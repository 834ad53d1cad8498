/* modules/duty — who is on duty now, routes, migrations and the module; see duty.h. */
#include "modules/duty/duty_internal.h"

#include "core/clock.h"
#include "http/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READ (ROLE_STAFF | ROLE_VIEWER)
#define WRITE (ROLE_ADMIN | ROLE_DUTY_OFFICER)

/* ---- who is on duty ---------------------------------------------------------------------- */

static json_t *person_json(json_t *p)
{
    json_t *uid = json_object_get(p, "user_id"), *phone = json_object_get(p, "phone");
    return json_pack("{s:O, s:O, s:O}", "user_id", uid ? uid : json_null(), "name",
                     json_object_get(p, "name"), "phone", phone ? phone : json_null());
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *roster_item(const DbRows *rows, int i, int64_t from, int64_t to)
{
    char a[32], b[32];
    clock_format_iso(from, a, sizeof a);
    clock_format_iso(to, b, sizeof b);
    json_t *leader = json_null();
    if (db_cell(rows, i, 10) && *db_cell(rows, i, 10)) {
        const char *uid = db_cell(rows, i, 9);
        leader =
            json_pack("{s:o, s:s, s:o}", "user_id", uid ? json_integer(atoll(uid)) : json_null(),
                      "name", db_cell(rows, i, 10), "phone", text_or_null(db_cell(rows, i, 11)));
    }
    json_t *officers = json_array();
    json_t *stored = db_cell(rows, i, 12) ? json_loads(db_cell(rows, i, 12), 0, NULL) : NULL;
    size_t k;
    json_t *p;
    json_array_foreach(stored, k, p)
    {
        json_array_append_new(officers, person_json(p));
    }
    json_decref(stored);
    const char *shift = db_cell(rows, i, 6);
    return json_pack(
        "{s:I, s:s, s:o, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "org_id",
        (json_int_t)atoll(db_cell(rows, i, 1)), "org_name", db_cell(rows, i, 2), "org_kind",
        text_or_null(db_cell(rows, i, 3)), "division_code", db_cell(rows, i, 4), "roster_id",
        (json_int_t)atoll(db_cell(rows, i, 0)), "date", db_cell(rows, i, 5), "shift", shift,
        "shift_label", duty_shift_label(shift), "start_time", db_cell(rows, i, 7), "end_time",
        db_cell(rows, i, 8), "starts_at", a, "ends_at", b, "phone",
        text_or_null(db_cell(rows, i, 13)), "leader", leader, "officers", officers);
}

int duty_now(StoreConn *c, Arena *arena, const Actor *actor, json_int_t org_id, int64_t at,
             json_t **out, Error *err)
{
    const char *prefix = actor->jurisdiction ? actor->jurisdiction : "";
    if (org_id) {
        DbRows o;
        DbValue p[] = {db_int(org_id)};
        if (store_query(c, arena, "SELECT division_code FROM orgs WHERE id = $1", p, 1, &o, err) <
            0)
            return -1;
        if (o.nrows == 0 || !actor_covers(actor, db_cell(&o, 0, 0)))
            return error_not_found(err);
    }
    char today[16], yesterday[16];
    duty_local_date(at, today, sizeof today);
    duty_local_date(at - 86400, yesterday, sizeof yesterday);
    DbRows rows;
    DbValue p[] = {db_text(yesterday), db_text(today), db_text(arena_printf(arena, "%s%%", prefix)),
                   db_int(org_id)};
    if (store_query(c, arena,
                    "SELECT r.id, r.org_id, o.name, o.kind, r.division_code, r.date, r.shift,"
                    " r.start_time, r.end_time, r.leader_user_id, r.leader_name, r.leader_phone,"
                    " r.officers, r.phone"
                    " FROM duty_rosters r JOIN orgs o ON o.id = r.org_id"
                    " WHERE r.date IN ($1, $2) AND r.division_code LIKE $3"
                    " AND ($4 = 0 OR r.org_id = $4)"
                    " ORDER BY r.division_code, r.org_id, r.date, r.start_time, r.id",
                    p, 4, &rows, err) < 0)
        return -1;
    json_t *items = json_array();
    for (int i = 0; i < rows.nrows; i++) {
        int64_t from, to;
        if (duty_shift_window(db_cell(&rows, i, 5), db_cell(&rows, i, 6), db_cell(&rows, i, 7),
                              db_cell(&rows, i, 8), &from, &to) < 0)
            continue;
        if (from <= at && at < to)
            json_array_append_new(items, roster_item(&rows, i, from, to));
    }
    char iso[32], local[32];
    clock_format_iso(at, iso, sizeof iso);
    time_t lt = (time_t)(at + DUTY_TZ_OFFSET);
    struct tm tm;
    gmtime_r(&lt, &tm);
    strftime(local, sizeof local, "%Y-%m-%d %H:%M", &tm);
    *out = json_pack("{s:s, s:s, s:o}", "at", iso, "local_time", local, "items", items);
    return 0;
}

static int handle_now(Req *req, Resp *resp, Error *err)
{
    json_int_t org_id = 0;
    int64_t at = clock_now();
    const char *o = req_query(req, "org_id"), *a = req_query(req, "at");
    if (o && *o) {
        char *end = NULL;
        org_id = strtoll(o, &end, 10);
        if (*end || org_id <= 0) {
            error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                      "org_id must be a positive integer");
            error_field(err, "org_id", "应为正整数");
            return -1;
        }
    }
    if (a && *a && clock_parse_iso(a, &at) < 0) {
        error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                  "at must be an ISO-8601 time");
        error_field(err, "at", "时间格式有误，应为 ISO-8601");
        return -1;
    }
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = duty_now(c, req->arena, req->actor, org_id, at, &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

/* ---- roster deletion --------------------------------------------------------------------- */

static int delete_roster_tx(Tx *tx, void *ctx, Error *err)
{
    return duty_delete_roster(tx, ctx, err);
}

static int handle_roster_delete(Req *req, Resp *resp, Error *err)
{
    if (tx_run(req->store, req->actor, req->arena, delete_roster_tx, (void *)req_param(req, "id"),
               err) < 0)
        return -1;
    resp->status = 204;
    return 0;
}

/* ---- routes ------------------------------------------------------------------------------ */

static const Route duty_routes[] = {
    {"GET", "/api/v1/duty/now", handle_now, READ, SCOPE_JURISDICTION, &duty_rosters_entity,
     "当前在岗值班人员（按单位）", 0},
    ENTITY_ROUTES_NO_DELETE(&duty_rosters_entity, "/api/v1/duty_rosters", READ, WRITE),
    {"DELETE", "/api/v1/duty_rosters/:id", handle_roster_delete, WRITE, SCOPE_JURISDICTION,
     &duty_rosters_entity, "删除（无交接班记录时）", 0},
    ENTITY_ROUTES_NO_DELETE(&duty_handovers_entity, "/api/v1/duty_handovers", READ, WRITE),
};

static void duty_register_routes(void)
{
    http_register_entity(&duty_rosters_entity);
    http_register_entity(&duty_handovers_entity);
    http_register_routes(duty_routes, (int)(sizeof duty_routes / sizeof duty_routes[0]));
}

/* ---- migrations -------------------------------------------------------------------------- */

static int create_tables(StoreConn *c, Error *err)
{
    if (entity_create_table(c, &duty_rosters_entity, err) < 0 ||
        entity_create_table(c, &duty_handovers_entity, err) < 0)
        return -1;
    return store_exec_script(c,
                             "CREATE UNIQUE INDEX IF NOT EXISTS duty_rosters_org_date_shift_uidx"
                             " ON duty_rosters (org_id, date, shift);"
                             "CREATE INDEX IF NOT EXISTS duty_rosters_date_idx"
                             " ON duty_rosters (date);"
                             "CREATE INDEX IF NOT EXISTS duty_handovers_org_at_idx"
                             " ON duty_handovers (org_id, at)",
                             err);
}

static const Migration duty_migrations[] = {
    {1, "duty rosters and handovers", NULL, NULL, create_tables},
};

static int duty_migrate(Store *store, Error *err)
{
    return store_migrate(store, "duty", duty_migrations,
                         (int)(sizeof duty_migrations / sizeof duty_migrations[0]), err);
}

const Module duty_module = {
    .name = "duty",
    .migrate = duty_migrate,
    .register_routes = duty_register_routes,
    .start = NULL,
    .demo = duty_demo,
};
