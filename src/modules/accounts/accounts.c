/* modules/accounts — entities, migrations and user administration; see accounts.h. */
#include "modules/accounts/accounts_internal.h"

#include "http/server.h"
#include "modules/divisions/divisions.h"

#include "core/clock.h"
#include "core/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- organisations (组织机构) ---------- */

static const EnumValue org_kinds[] = {
    {"emergency_bureau", "应急管理部门"},
    {"government", "政府及部门"},
    {"town_office", "乡镇（街道）应急管理所"},
    {"rescue_team", "救援队伍"},
    {"enterprise", "企业"},
    {"other", "其他"},
    {NULL, NULL},
};

static const Field org_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "名称", "name", NULL, NULL, 100,
     0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "类别", "kind", org_kinds, NULL,
     0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT | FIELD_INDEX,
     "所属区划", "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"parent_id", FT_REF, FIELD_FILTER, "上级机构", "parent organisation", NULL, "orgs", 0, 0, 0, 0,
     NULL},
    {"leader", FT_TEXT, FIELD_SEARCH, "负责人", "leader", NULL, NULL, 50, 0, 0, 0, NULL},
    {"phone", FT_TEXT, FIELD_SEARCH, "联系电话", "phone", NULL, NULL, 30, 0, 0, 0, NULL},
    {"address", FT_TEXT, 0, "地址", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

const Entity orgs_entity = {
    .table = "orgs",
    .plural = "orgs",
    .label_zh = "组织机构",
    .label_en = "organisation",
    .fields = org_fields,
    .division_field = "division_code",
    .default_sort = "division_code",
    .before_write = NULL,
};

/* ---------- users (用户) ---------- */

static const EnumValue role_values[] = {
    {"admin", "系统管理员"},     {"duty_officer", "值班员"}, {"commander", "指挥长"},
    {"inspector", "执法人员"},   {"enterprise", "企业用户"}, {"info_officer", "灾害信息员"},
    {"team_member", "救援队员"}, {"viewer", "只读用户"},     {NULL, NULL},
};

static const Field user_fields[] = {
    {"username", FT_TEXT,
     FIELD_REQUIRED | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT | FIELD_IMMUTABLE, "用户名",
     "username", NULL, NULL, 32, 0, 0, 0, NULL},
    {"display_name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "姓名", "name", NULL,
     NULL, 50, 0, 0, 0, NULL},
    {"role", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "角色", "role", role_values, NULL,
     0, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_FILTER | FIELD_SORT | FIELD_INDEX, "管辖区划",
     "jurisdiction", NULL, NULL, 0, 0, 0, 0, NULL},
    {"org_id", FT_REF, FIELD_FILTER, "所属机构", "organisation", NULL, "orgs", 0, 0, 0, 0, NULL},
    {"title", FT_TEXT, 0, "职务", "title", NULL, NULL, 50, 0, 0, 0, NULL},
    {"phone", FT_TEXT, FIELD_SEARCH, "手机号码", "mobile phone", NULL, NULL, 30, 0, 0, 0, NULL},
    {"email", FT_TEXT, 0, "电子邮箱", "e-mail", NULL, NULL, 100, 0, 0, 0, NULL},
    {"enterprise_id", FT_INT, FIELD_FILTER, "所属企业编号", "enterprise id", NULL, NULL, 0, 1, 1,
     9e15, NULL},
    {"active", FT_BOOL, FIELD_FILTER, "启用", "active", NULL, NULL, 0, 0, 0, 0, "1"},
    {"password_hash", FT_TEXT, FIELD_SECRET | FIELD_READONLY | FIELD_NOCSV, "密码摘要",
     "password hash", NULL, NULL, 255, 0, 0, 0, NULL},
    {"failed_logins", FT_INT, FIELD_READONLY | FIELD_NOCSV, "连续登录失败次数", "failed logins",
     NULL, NULL, 0, 0, 0, 0, "0"},
    {"locked_until", FT_TIME, FIELD_READONLY, "锁定至", "locked until", NULL, NULL, 0, 0, 0, 0,
     NULL},
    {"last_login_at", FT_TIME, FIELD_READONLY | FIELD_SORT, "最近登录", "last login", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"password_changed_at", FT_TIME, FIELD_READONLY | FIELD_NOCSV, "密码修改时间",
     "password changed", NULL, NULL, 0, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

/* User names are lower-case ASCII letters, digits, '.', '_' and '-', 3 to 32 long, so
 * they can be typed on any keyboard and never collide by case. */
static int username_valid(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n < 3 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)u[i];
        if (!(islower(ch) || isdigit(ch) || ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static int user_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)tx;
    (void)e;
    if (!before && !username_valid(json_string_value(json_object_get(rec, "username")))) {
        error_set(err, 422, "validation_failed", "用户名须为 3–32 位小写字母、数字或 . _ -",
                  "username must be 3-32 lower-case letters, digits, '.', '_' or '-'");
        error_field(err, "username", "用户名须为 3–32 位小写字母、数字或 . _ -");
        return -1;
    }
    return 0;
}

const Entity users_entity = {
    .table = "users",
    .plural = "users",
    .label_zh = "用户",
    .label_en = "user",
    .fields = user_fields,
    .division_field = "division_code",
    .default_sort = "username",
    .before_write = user_before_write,
};

int accounts_check_password_policy(const char *pw, Error *err)
{
    size_t n = pw ? strlen(pw) : 0;
    int letter = 0, digit = 0;
    for (size_t i = 0; i < n; i++) {
        letter |= isalpha((unsigned char)pw[i]) != 0;
        digit |= isdigit((unsigned char)pw[i]) != 0;
    }
    if (n >= 8 && n <= 128 && letter && digit)
        return 0;
    error_set(err, 422, "validation_failed", "密码须为 8–128 位，且同时包含字母和数字",
              "the password must be 8-128 characters with at least one letter and one digit");
    error_field(err, "password", "密码须为 8–128 位，且同时包含字母和数字");
    return -1;
}

static int store_password(Tx *tx, const char *user_id, const char *password, Error *err)
{
    char hash[crypto_pwhash_STRBYTES], now[32];
    if (accounts_check_password_policy(password, err) < 0 || password_hash(password, hash, err) < 0)
        return -1;
    clock_format_iso(clock_now(), now, sizeof now);
    json_t *v = json_pack("{s:s, s:s, s:i, s:n}", "password_hash", hash, "password_changed_at", now,
                          "failed_logins", 0, "locked_until");
    int rc = entity_update_internal(tx, &users_entity, user_id, v, err);
    json_decref(v);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int accounts_create_user(Tx *tx, json_t *fields, const char *password, json_t **out, Error *err)
{
    json_t *created = NULL;
    if (accounts_check_password_policy(password, err) < 0 ||
        entity_create(tx, &users_entity, fields, &created, err) < 0)
        return -1;
    char id[24];
    snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(created, "id")));
    if (store_password(tx, id, password, err) < 0) {
        json_decref(created);
        return -1;
    }
    if (out)
        *out = created;
    else
        json_decref(created);
    return 0;
}

int accounts_set_password(Tx *tx, const char *user_id, const char *password, Error *err)
{
    return store_password(tx, user_id, password, err);
}

/* ---------- user administration routes ---------- */

/* The password travels beside the user's fields; take it out before validation so the
 * entity engine never sees it. */
static int split_password(json_t *body, json_t **fields, const char **password, Error *err)
{
    json_t *pw = json_object_get(body, "password");
    if (!json_is_string(pw)) {
        error_set(err, 422, "validation_failed", "请填写初始密码", "password is required");
        error_field(err, "password", "请填写初始密码");
        return -1;
    }
    *password = json_string_value(pw);
    *fields = json_deep_copy(body);
    json_object_del(*fields, "password");
    return 0;
}

typedef struct CreateUser {
    json_t *fields;
    const char *password;
    json_t *out;
} CreateUser;

static int create_user_tx(Tx *tx, void *ctx, Error *err)
{
    CreateUser *cu = ctx;
    return accounts_create_user(tx, cu->fields, cu->password, &cu->out, err);
}

static int handle_user_create(Req *req, Resp *resp, Error *err)
{
    CreateUser cu = {0};
    if (req_body_object_or_fail(req, err) < 0 ||
        split_password(req->json, &cu.fields, &cu.password, err) < 0)
        return -1;
    int rc = tx_run(req->store, req->actor, req->arena, create_user_tx, &cu, err);
    json_decref(cu.fields);
    if (rc < 0)
        return -1;
    return resp_json(resp, 201, cu.out);
}

typedef struct UserAction {
    Req *req;
    const char *id;
    const char *password; /* for set-password */
} UserAction;

/* The target user, inside the actor's jurisdiction, or 404. */
static int load_target(Tx *tx, const char *id, json_t **user, Error *err)
{
    return entity_get(tx->conn, &users_entity, tx->actor, id, user, err);
}

static int set_password_tx(Tx *tx, void *ctx, Error *err)
{
    UserAction *ua = ctx;
    json_t *user = NULL;
    if (load_target(tx, ua->id, &user, err) < 0)
        return -1;
    json_decref(user);
    if (accounts_set_password(tx, ua->id, ua->password, err) < 0)
        return -1;
    /* an administrator's reset ends the user's sessions everywhere */
    return sessions_end_for_user(tx->conn, strtoll(ua->id, NULL, 10), NULL, err);
}

static int handle_user_password(Req *req, Resp *resp, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    json_t *pw = json_object_get(req->json, "password");
    if (!json_is_string(pw) || json_object_size(req->json) != 1) {
        error_set(err, 422, "validation_failed", "请只提交新密码（password）",
                  "send exactly one field: password");
        error_field(err, "password", "请填写新密码");
        return -1;
    }
    UserAction ua = {req, req_param(req, "id"), json_string_value(pw)};
    if (tx_run(req->store, req->actor, req->arena, set_password_tx, &ua, err) < 0)
        return -1;
    return resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int unlock_tx(Tx *tx, void *ctx, Error *err)
{
    UserAction *ua = ctx;
    json_t *user = NULL;
    if (load_target(tx, ua->id, &user, err) < 0)
        return -1;
    json_decref(user);
    json_t *v = json_pack("{s:i, s:n}", "failed_logins", 0, "locked_until");
    int rc = entity_update_internal(tx, &users_entity, ua->id, v, err);
    json_decref(v);
    return rc;
}

static int handle_user_unlock(Req *req, Resp *resp, Error *err)
{
    UserAction ua = {req, req_param(req, "id"), NULL};
    if (tx_run(req->store, req->actor, req->arena, unlock_tx, &ua, err) < 0)
        return -1;
    json_t *user = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &users_entity, req->actor, ua.id, &user, err);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, user);
}

/* Adds division_name beside division_code, so lists read 青石镇 rather than 620390100. */
static void add_division_name(StoreConn *c, Arena *arena, json_t *user)
{
    const char *name =
        divisions_name(c, arena, json_string_value(json_object_get(user, "division_code")));
    json_object_set_new(user, "division_name", name ? json_string(name) : json_null());
}

static int handle_user_list(Req *req, Resp *resp, Error *err)
{
    ListQuery lq;
    req_list_query(req, &lq);
    json_t *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_list(c, req->arena, &users_entity, req->actor, &lq, &out, err);
    json_t *items = rc == 0 ? json_object_get(out, "items") : NULL;
    for (size_t i = 0; i < json_array_size(items); i++)
        add_division_name(c, req->arena, json_array_get(items, i));
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}

static int handle_user_get(Req *req, Resp *resp, Error *err)
{
    json_t *user = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &users_entity, req->actor, req_param(req, "id"), &user, err);
    if (rc == 0)
        add_division_name(c, req->arena, user);
    store_release(req->store, c);
    return rc < 0 ? -1 : resp_json(resp, 200, user);
}

static const Route user_routes[] = {
    {"GET", "/api/v1/users", handle_user_list, ROLE_ADMIN, SCOPE_JURISDICTION, &users_entity,
     "用户列表", 0},
    {"GET", "/api/v1/users/export.csv", entity_handle_export, ROLE_ADMIN, SCOPE_JURISDICTION,
     &users_entity, "导出用户", 0},
    {"GET", "/api/v1/users/:id", handle_user_get, ROLE_ADMIN, SCOPE_JURISDICTION, &users_entity,
     "查看用户", 0},
    {"POST", "/api/v1/users", handle_user_create, ROLE_ADMIN, SCOPE_JURISDICTION, &users_entity,
     "新建用户（含初始密码）", 0},
    {"PATCH", "/api/v1/users/:id", entity_handle_update, ROLE_ADMIN, SCOPE_JURISDICTION,
     &users_entity, "修改用户（停用：active=false）", 0},
    {"POST", "/api/v1/users/:id/password", handle_user_password, ROLE_ADMIN, SCOPE_JURISDICTION,
     &users_entity, "重置用户密码", 0},
    {"POST", "/api/v1/users/:id/unlock", handle_user_unlock, ROLE_ADMIN, SCOPE_JURISDICTION,
     &users_entity, "解除登录锁定", 0},
    ENTITY_ROUTES(&orgs_entity, "/api/v1/orgs", ROLE_ANY, ROLE_ADMIN),
};

static void accounts_register_routes(void)
{
    http_register_entity(&orgs_entity);
    http_register_entity(&users_entity);
    http_register_routes(auth_routes, auth_route_count);
    http_register_routes(user_routes, (int)(sizeof user_routes / sizeof user_routes[0]));
    http_register_routes(audit_routes, audit_route_count);
    http_set_authenticator(accounts_authenticate);
}

/* ---------- migrations ---------- */

static int create_orgs(StoreConn *c, Error *err)
{
    return entity_create_table(c, &orgs_entity, err);
}

static int create_users(StoreConn *c, Error *err)
{
    return entity_create_table(c, &users_entity, err);
}

static const Migration account_migrations[] = {
    {1, "create orgs", NULL, NULL, create_orgs},
    {2, "create users", NULL, NULL, create_users},
    {3, "create sessions",
     "CREATE TABLE sessions (token_hash TEXT PRIMARY KEY,"
     " user_id INTEGER NOT NULL REFERENCES users(id), csrf_token TEXT NOT NULL,"
     " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, client_ip TEXT);"
     "CREATE INDEX sessions_user ON sessions(user_id);"
     "CREATE INDEX sessions_expiry ON sessions(expires_at);",
     "CREATE TABLE sessions (token_hash TEXT PRIMARY KEY,"
     " user_id BIGINT NOT NULL REFERENCES users(id), csrf_token TEXT NOT NULL,"
     " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, client_ip TEXT);"
     "CREATE INDEX sessions_user ON sessions(user_id);"
     "CREATE INDEX sessions_expiry ON sessions(expires_at);",
     NULL},
};

static int accounts_migrate(Store *store, Error *err)
{
    return store_migrate(store, "accounts", account_migrations,
                         (int)(sizeof account_migrations / sizeof account_migrations[0]), err);
}

const Module accounts_module = {
    .name = "accounts",
    .migrate = accounts_migrate,
    .register_routes = accounts_register_routes,
    .start = NULL,
};
