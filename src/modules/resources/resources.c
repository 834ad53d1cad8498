/* modules/resources — routes, migrations and the module; see resources.h. */
#include "modules/resources/resources_internal.h"

#include "http/route.h"

#include <stdio.h>
#include <stdlib.h>

#define READ ROLE_ANY
#define WRITE (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)

/* ---- deletes with rules ------------------------------------------------------------------ */

/* fn runs in one transaction with the record's id (path parameter) as its context. */
static int in_delete_tx(Req *req, Resp *resp, TxFn fn, Error *err)
{
    if (tx_run(req->store, req->actor, req->arena, fn, (void *)req_param(req, "id"), err) < 0)
        return -1;
    resp->status = 204;
    return 0;
}

static int count_of(Tx *tx, const char *sql, const char *id, int64_t *n, Error *err)
{
    DbValue p[] = {db_int(strtoll(id, NULL, 10))};
    return store_query_int(tx->conn, sql, p, 1, n, err) < 0 ? -1 : 0;
}

/* A team goes only when no member and no equipment record points at it any more. */
int resources_delete_team(Tx *tx, const char *id, Error *err)
{
    json_t *team = NULL;
    if (entity_get(tx->conn, &teams_entity, tx->actor, id, &team, err) < 0)
        return -1;
    json_decref(team);
    int64_t members = 0, equipment = 0;
    if (count_of(tx, "SELECT count(*) FROM team_members WHERE team_id = $1", id, &members, err) <
            0 ||
        count_of(tx, "SELECT count(*) FROM equipment WHERE team_id = $1", id, &equipment, err) < 0)
        return -1;
    if (members > 0)
        return error_setf(err, 409, "has_members", "该队伍还有 %lld 名队员，请先删除或调出队员",
                          "the team still has %lld members; delete or move them first",
                          (long long)members, (long long)members);
    if (equipment > 0)
        return error_setf(err, 409, "has_equipment",
                          "该队伍名下还有 %lld 条装备记录，请先移交或删除",
                          "the team still holds %lld equipment records; hand them over first",
                          (long long)equipment, (long long)equipment);
    return entity_delete(tx, &teams_entity, id, err);
}

static int delete_team_tx(Tx *tx, void *ctx, Error *err)
{
    return resources_delete_team(tx, ctx, err);
}

static int handle_team_delete(Req *req, Resp *resp, Error *err)
{
    return in_delete_tx(req, resp, delete_team_tx, err);
}

/* Deleting a member lowers its team's member_count in the same transaction. */
int resources_delete_member(Tx *tx, const char *id, Error *err)
{
    json_t *m = NULL;
    if (entity_get(tx->conn, &team_members_entity, tx->actor, id, &m, err) < 0)
        return -1;
    json_int_t team = json_integer_value(json_object_get(m, "team_id"));
    json_decref(m);
    if (entity_delete(tx, &team_members_entity, id, err) < 0)
        return -1;
    return resources_team_recount(tx, team, 0, 0, err);
}

static int delete_member_tx(Tx *tx, void *ctx, Error *err)
{
    return resources_delete_member(tx, ctx, err);
}

static int handle_member_delete(Req *req, Resp *resp, Error *err)
{
    return in_delete_tx(req, resp, delete_member_tx, err);
}

/* ---- shelter analysis -------------------------------------------------------------------- */

static int handle_shelter_analysis(Req *req, Resp *resp, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc =
        resources_shelter_analysis(c, req->arena, req->actor, req_query(req, "parent"), &out, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

/* ---- routes ------------------------------------------------------------------------------ */

#define LOCATED(ent, base)                                                                         \
    ENTITY_ROUTES(ent, base, READ, WRITE), ENTITY_GEO_ROUTES(ent, base, READ, WRITE)

static const Route resource_routes[] = {
    {"GET", "/api/v1/shelters/analysis", handle_shelter_analysis, READ, SCOPE_JURISDICTION,
     &shelters_entity, "人均避难面积分析（各下级区划对照 1.5㎡ 目标）", 0},
    ENTITY_ROUTES_NO_DELETE(&teams_entity, "/api/v1/teams", READ, WRITE),
    ENTITY_GEO_ROUTES(&teams_entity, "/api/v1/teams", READ, WRITE),
    {"DELETE", "/api/v1/teams/:id", handle_team_delete, WRITE, SCOPE_JURISDICTION, &teams_entity,
     "删除（无队员、无装备时）", 0},
    ENTITY_ROUTES_NO_DELETE(&team_members_entity, "/api/v1/team_members", READ, WRITE),
    {"DELETE", "/api/v1/team_members/:id", handle_member_delete, WRITE, SCOPE_JURISDICTION,
     &team_members_entity, "删除（同时更新队伍人数）", 0},
    LOCATED(&experts_entity, "/api/v1/experts"),
    LOCATED(&equipment_entity, "/api/v1/equipment"),
    LOCATED(&machinery_entity, "/api/v1/machinery"),
    LOCATED(&helipads_entity, "/api/v1/helipads"),
    LOCATED(&transport_entity, "/api/v1/transport"),
    LOCATED(&shelters_entity, "/api/v1/shelters"),
};

static const Entity *const resource_entities[] = {
    &teams_entity,     &team_members_entity, &experts_entity,   &equipment_entity,
    &machinery_entity, &helipads_entity,     &transport_entity, &shelters_entity,
};
#define NENTITIES ((int)(sizeof resource_entities / sizeof resource_entities[0]))

static void resources_register_routes(void)
{
    for (int i = 0; i < NENTITIES; i++)
        http_register_entity(resource_entities[i]);
    http_register_routes(resource_routes,
                         (int)(sizeof resource_routes / sizeof resource_routes[0]));
}

/* ---- migrations -------------------------------------------------------------------------- */

static int create_tables(StoreConn *c, Error *err)
{
    for (int i = 0; i < NENTITIES; i++) /* teams first: members and equipment refer to it */
        if (entity_create_table(c, resource_entities[i], err) < 0)
            return -1;
    return 0;
}

static const Migration resource_migrations[] = {
    {1, "create the resource registries", NULL, NULL, create_tables},
};

static int resources_migrate(Store *store, Error *err)
{
    return store_migrate(store, "resources", resource_migrations,
                         (int)(sizeof resource_migrations / sizeof resource_migrations[0]), err);
}

const Module resources_module = {
    .name = "resources",
    .migrate = resources_migrate,
    .register_routes = resources_register_routes,
    .start = NULL,
    .demo = resources_demo,
};
