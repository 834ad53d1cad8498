/* modules/accounts/auth — passwords, sessions, login, the Authenticator.
 *
 * Login order of checks: client address rate limit → user lookup → lockout → password
 * (argon2id; a fixed dummy hash is verified for unknown names so both take the same time)
 * → active. Failures are counted per user (lockout after LOCKOUT_FAILURES, for
 * LOCKOUT_SECONDS) and per client address (RATE_MAX_FAILURES per RATE_WINDOW_SECONDS,
 * in memory: a restart forgets it, the per-user lockout is stored). */
#include "modules/accounts/accounts_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "flow/audit.h"
#include "modules/divisions/divisions.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- passwords ---------- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void sodium_setup(void)
{
    if (sodium_init() < 0) {
        log_error("libsodium failed to initialise");
        abort();
    }
    char pw[33];
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(pw, sizeof pw, rnd, sizeof rnd);
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        log_error("argon2id: out of memory while preparing the dummy hash");
        abort();
    }
}

int password_hash(const char *password, char out[crypto_pwhash_STRBYTES], Error *err)
{
    pthread_once(&sodium_once, sodium_setup);
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return error_internal(err, "argon2id hashing failed (out of memory)");
    return 0;
}

int password_verify(const char *hash, const char *password)
{
    pthread_once(&sodium_once, sodium_setup);
    if (!hash || !*hash)
        hash = dummy_hash;
    int ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    return ok && hash != dummy_hash;
}

/* ---------- tokens and sessions ---------- */

static void random_hex(char *out, size_t bytes)
{
    pthread_once(&sodium_once, sodium_setup);
    unsigned char rnd[32];
    randombytes_buf(rnd, bytes);
    sodium_bin2hex(out, bytes * 2 + 1, rnd, bytes);
}

void session_token_hash(const char *token, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof h);
}

int sessions_end_for_user(StoreConn *c, int64_t user_id, const char *keep_token_hash, Error *err)
{
    DbValue p[] = {db_int(user_id), db_text(keep_token_hash ? keep_token_hash : "")};
    return store_exec(c, "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", p, 2, NULL,
                      err);
}

int accounts_authenticate(Store *store, Arena *arena, const char *token, Actor *out,
                          const char **csrf_token, Error *err)
{
    char th[65];
    session_token_hash(token, th);
    DbValue p[] = {db_text(th), db_int(clock_now())};
    DbRows rows;
    StoreConn *c = store_acquire(store);
    int rc = store_query(c, arena,
                         "SELECT s.csrf_token, u.id, u.username, u.role, u.division_code,"
                         " u.enterprise_id FROM sessions s JOIN users u ON u.id = s.user_id"
                         " WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
                         p, 2, &rows, err);
    store_release(store, c);
    if (rc < 0)
        return -1;
    if (rows.nrows == 0)
        return error_set(err, 401, "unauthenticated", "登录已失效，请重新登录",
                         "the session is unknown or has expired; log in again");
    *csrf_token = db_cell(&rows, 0, 0);
    out->user_id = strtoll(db_cell(&rows, 0, 1), NULL, 10);
    out->username = db_cell(&rows, 0, 2);
    out->role = role_from_name(db_cell(&rows, 0, 3));
    out->jurisdiction = db_cell(&rows, 0, 4) ? db_cell(&rows, 0, 4) : "";
    out->enterprise_id = db_cell(&rows, 0, 5) ? strtoll(db_cell(&rows, 0, 5), NULL, 10) : 0;
    return 0;
}

/* ---------- per-address rate limit ---------- */

#define RATE_SLOTS 1024

typedef struct RateSlot {
    char addr[64];
    int64_t window_start;
    int failures;
} RateSlot;

static RateSlot rate_slots[RATE_SLOTS];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of addr, or the stalest slot recycled for it. Caller holds rate_lock. */
static RateSlot *rate_slot(const char *addr, int64_t now)
{
    RateSlot *oldest = &rate_slots[0];
    for (int i = 0; i < RATE_SLOTS; i++) {
        RateSlot *s = &rate_slots[i];
        if (strcmp(s->addr, addr) == 0) {
            /* a window in the future means the clock was moved back (tests): start anew */
            if (now - s->window_start >= RATE_WINDOW_SECONDS || now < s->window_start) {
                s->window_start = now;
                s->failures = 0;
            }
            return s;
        }
        if (s->window_start < oldest->window_start)
            oldest = s;
    }
    snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
    oldest->window_start = now;
    oldest->failures = 0;
    return oldest;
}

static int rate_limited(const char *addr)
{
    pthread_mutex_lock(&rate_lock);
    int limited = rate_slot(addr ? addr : "", clock_now())->failures >= RATE_MAX_FAILURES;
    pthread_mutex_unlock(&rate_lock);
    return limited;
}

static void rate_count_failure(const char *addr)
{
    pthread_mutex_lock(&rate_lock);
    rate_slot(addr ? addr : "", clock_now())->failures++;
    pthread_mutex_unlock(&rate_lock);
}

/* ---------- login ---------- */

typedef struct LoginUser {
    int found;
    int64_t id;
    const char *username, *display_name, *role, *division_code, *password_hash;
    int64_t enterprise_id; /* 0 = none */
    int active, failed_logins;
    int64_t locked_until; /* 0 = not locked */
} LoginUser;

static int load_login_user(StoreConn *c, Arena *arena, const char *username, LoginUser *u,
                           Error *err)
{
    DbValue p[] = {db_text(username)};
    DbRows rows;
    memset(u, 0, sizeof *u);
    if (store_query(c, arena,
                    "SELECT id, username, display_name, role, division_code, password_hash,"
                    " active, failed_logins, locked_until, enterprise_id FROM users"
                    " WHERE username = $1",
                    p, 1, &rows, err) < 0)
        return -1;
    if (rows.nrows == 0)
        return 0;
    u->found = 1;
    u->id = strtoll(db_cell(&rows, 0, 0), NULL, 10);
    u->username = db_cell(&rows, 0, 1);
    u->display_name = db_cell(&rows, 0, 2);
    u->role = db_cell(&rows, 0, 3);
    u->division_code = db_cell(&rows, 0, 4);
    u->password_hash = db_cell(&rows, 0, 5);
    u->active = db_cell(&rows, 0, 6) && atoi(db_cell(&rows, 0, 6)) != 0;
    u->failed_logins = db_cell(&rows, 0, 7) ? atoi(db_cell(&rows, 0, 7)) : 0;
    if (db_cell(&rows, 0, 8))
        clock_parse_iso(db_cell(&rows, 0, 8), &u->locked_until);
    u->enterprise_id = db_cell(&rows, 0, 9) ? strtoll(db_cell(&rows, 0, 9), NULL, 10) : 0;
    return 0;
}

/* The actor a login event is recorded under: the user when known. */
static Actor login_actor(const LoginUser *u)
{
    Actor a = {u->found ? u->id : 0, u->found ? u->username : "anonymous", 0, "", 0};
    return a;
}

typedef struct LoginAttempt {
    Req *req;
    const char *username;
    LoginUser user;
    const char *outcome; /* audit action */
    const char *reason;
    char token[65], csrf[65];
    int64_t expires_at;
} LoginAttempt;

static json_t *attempt_json(const LoginAttempt *la)
{
    json_t *j = json_pack("{s:s, s:s}", "username", la->username, "client_ip",
                          la->req->client_ip ? la->req->client_ip : "");
    if (la->reason)
        json_object_set_new(j, "reason", json_string(la->reason));
    return j;
}

static int audit_attempt(Tx *tx, LoginAttempt *la, Error *err)
{
    json_t *after = attempt_json(la);
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, la->user.id);
    int rc = audit_record(tx, la->outcome, "users", la->user.found ? key : "",
                          la->user.division_code, NULL, after, err);
    json_decref(after);
    return rc;
}

/* Counts a failed password for a known user and locks it at the limit. */
static int record_failure(Tx *tx, LoginAttempt *la, Error *err)
{
    int64_t now = clock_now();
    if (!la->user.found || la->user.locked_until > now)
        return audit_attempt(tx, la, err); /* attempts during a lock do not extend it */
    int failures = la->user.locked_until && la->user.locked_until <= now
                       ? 1
                       : la->user.failed_logins + 1; /* an expired lock starts a new count */
    char until[32] = "";
    if (failures >= LOCKOUT_FAILURES) {
        clock_format_iso(now + LOCKOUT_SECONDS, until, sizeof until);
        la->reason = "locked after repeated failures";
    }
    DbValue p[] = {db_int(failures), *until ? db_text(until) : db_null(), db_int(la->user.id)};
    if (store_exec(tx->conn, "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3",
                   p, 3, NULL, err) < 0)
        return -1;
    return audit_attempt(tx, la, err);
}

static int open_session(Tx *tx, LoginAttempt *la, Error *err)
{
    int64_t now = clock_now();
    char th[65], iso[32];
    random_hex(la->token, 32);
    random_hex(la->csrf, 32);
    session_token_hash(la->token, th);
    la->expires_at = now + SESSION_TTL_SECONDS;
    clock_format_iso(now, iso, sizeof iso);
    DbValue del[] = {db_int(now)};
    DbValue ins[] = {db_text(th), db_int(la->user.id),    db_text(la->csrf),
                     db_int(now), db_int(la->expires_at), db_text(la->req->client_ip)};
    DbValue upd[] = {db_text(iso), db_int(la->user.id)};
    if (store_exec(tx->conn, "DELETE FROM sessions WHERE expires_at <= $1", del, 1, NULL, err) <
            0 ||
        store_exec(tx->conn,
                   "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at,"
                   " client_ip) VALUES ($1, $2, $3, $4, $5, $6)",
                   ins, 6, NULL, err) < 0 ||
        store_exec(tx->conn,
                   "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1"
                   " WHERE id = $2",
                   upd, 2, NULL, err) < 0)
        return -1;
    return audit_attempt(tx, la, err);
}

static int login_tx(Tx *tx, void *ctx, Error *err)
{
    LoginAttempt *la = ctx;
    return strcmp(la->outcome, "login") == 0 ? open_session(tx, la, err)
                                             : record_failure(tx, la, err);
}

/* Records the attempt in its own transaction: failures must be kept although the request
 * fails. */
static int record_attempt(LoginAttempt *la, Error *err)
{
    Actor a = login_actor(&la->user);
    return tx_run(la->req->store, &a, la->req->arena, login_tx, la, err);
}

static int login_refused(LoginAttempt *la, const char *reason, Error *err)
{
    la->outcome = "login_failed";
    la->reason = reason;
    rate_count_failure(la->req->client_ip);
    Error ignored = ERROR_INIT;
    if (record_attempt(la, &ignored) < 0)
        log_error("login: recording a failed attempt: %s", ignored.message_en);
    error_clear(&ignored);
    return -1;
}

static json_t *user_json(StoreConn *c, Arena *arena, const LoginUser *u)
{
    const RoleInfo *ri = role_info(role_from_name(u->role));
    const char *dname = divisions_name(c, arena, u->division_code);
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "username",
                          u->username, "display_name", u->display_name ? u->display_name : "",
                          "role", u->role, "role_label", ri ? ri->label_zh : u->role);
    json_object_set_new(j, "division_code",
                        u->division_code ? json_string(u->division_code) : json_null());
    json_object_set_new(j, "division_name", dname ? json_string(dname) : json_null());
    json_object_set_new(j, "enterprise_id",
                        u->enterprise_id ? json_integer(u->enterprise_id) : json_null());
    return j;
}

static int read_credentials(Req *req, const char **username, const char **password, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    *username = json_string_value(json_object_get(req->json, "username"));
    *password = json_string_value(json_object_get(req->json, "password"));
    if (*username && *password && **username && **password && strlen(*username) <= 64 &&
        strlen(*password) <= 1024)
        return 0;
    error_set(err, 422, "validation_failed", "请输入用户名和密码",
              "username and password are required");
    if (!*username || !**username)
        error_field(err, "username", "请输入用户名");
    if (!*password || !**password)
        error_field(err, "password", "请输入密码");
    return -1;
}

static void set_session_cookie(Req *req, Resp *resp, const char *token, int max_age)
{
    resp_header(resp, "Set-Cookie",
                arena_printf(req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
                             SESSION_COOKIE, token, max_age));
}

static char *lower_copy(Arena *a, const char *s)
{
    char *c = arena_strdup(a, s);
    for (char *p = c; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return c;
}

static int handle_login(Req *req, Resp *resp, Error *err)
{
    const char *username, *password;
    if (read_credentials(req, &username, &password, err) < 0)
        return -1;
    if (rate_limited(req->client_ip))
        return error_set(err, 429, "rate_limited", "登录失败次数过多，请 10 分钟后再试",
                         "too many failed logins from this address; try again in 10 minutes");
    LoginAttempt la = {.req = req, .username = lower_copy(req->arena, username)};
    StoreConn *c = store_acquire(req->store);
    int rc = load_login_user(c, req->arena, la.username, &la.user, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    if (la.user.found && la.user.locked_until > clock_now()) {
        login_refused(&la, "account locked", err);
        return error_set(err, 423, "account_locked",
                         "连续登录失败次数过多，账号已锁定 15 分钟，请稍后再试或联系管理员解锁",
                         "the account is locked after repeated failures; try later or ask an "
                         "administrator to unlock it");
    }
    if (!password_verify(la.user.password_hash, password)) {
        login_refused(&la, "wrong password or unknown user", err);
        return error_set(err, 401, "login_failed", "用户名或密码错误",
                         "wrong username or password");
    }
    if (!la.user.active) {
        login_refused(&la, "account disabled", err);
        return error_set(err, 403, "account_disabled", "账号已停用，请联系管理员",
                         "the account is disabled");
    }
    la.outcome = "login";
    if (record_attempt(&la, err) < 0)
        return -1;
    char expires[32];
    clock_format_iso(la.expires_at, expires, sizeof expires);
    c = store_acquire(req->store);
    json_t *user = user_json(c, req->arena, &la.user);
    store_release(req->store, c);
    set_session_cookie(req, resp, la.token, SESSION_TTL_SECONDS);
    return resp_json(resp, 200,
                     json_pack("{s:s, s:s, s:s, s:o}", "token", la.token, "csrf_token", la.csrf,
                               "expires_at", expires, "user", user));
}

typedef struct LogoutCtx {
    Req *req;
} LogoutCtx;

static int logout_tx(Tx *tx, void *ctx, Error *err)
{
    LogoutCtx *lc = ctx;
    char th[65], key[24];
    session_token_hash(lc->req->session_token, th);
    DbValue p[] = {db_text(th)};
    if (store_exec(tx->conn, "DELETE FROM sessions WHERE token_hash = $1", p, 1, NULL, err) < 0)
        return -1;
    snprintf(key, sizeof key, "%" PRId64, tx->actor->user_id);
    return audit_record(tx, "logout", "users", key, tx->actor->jurisdiction, NULL, NULL, err);
}

static int handle_logout(Req *req, Resp *resp, Error *err)
{
    LogoutCtx lc = {req};
    if (tx_run(req->store, req->actor, req->arena, logout_tx, &lc, err) < 0)
        return -1;
    set_session_cookie(req, resp, "", 0);
    return resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int handle_me(Req *req, Resp *resp, Error *err)
{
    LoginUser u;
    char th[65];
    session_token_hash(req->session_token, th);
    DbValue p[] = {db_text(th)};
    DbRows rows;
    StoreConn *c = store_acquire(req->store);
    int rc = load_login_user(c, req->arena, req->actor->username, &u, err);
    if (rc == 0)
        rc = store_query(c, req->arena, "SELECT csrf_token FROM sessions WHERE token_hash = $1", p,
                         1, &rows, err);
    json_t *user = rc == 0 && u.found ? user_json(c, req->arena, &u) : NULL;
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    if (!user || rows.nrows == 0)
        return error_set(err, 401, "unauthenticated", "登录已失效，请重新登录",
                         "the session has ended");
    return resp_json(resp, 200,
                     json_pack("{s:o, s:s}", "user", user, "csrf_token", db_cell(&rows, 0, 0)));
}

typedef struct ChangeOwn {
    Req *req;
    const char *old_password, *new_password;
} ChangeOwn;

static int change_own_tx(Tx *tx, void *ctx, Error *err)
{
    ChangeOwn *co = ctx;
    LoginUser u;
    if (load_login_user(tx->conn, tx->arena, tx->actor->username, &u, err) < 0)
        return -1;
    if (!u.found || !password_verify(u.password_hash, co->old_password)) {
        error_set(err, 422, "validation_failed", "原密码不正确", "the current password is wrong");
        error_field(err, "old_password", "原密码不正确");
        return -1;
    }
    if (strcmp(co->old_password, co->new_password) == 0) {
        error_set(err, 422, "validation_failed", "新密码不能与原密码相同",
                  "the new password must differ from the current one");
        error_field(err, "new_password", "新密码不能与原密码相同");
        return -1;
    }
    char id[24], th[65];
    snprintf(id, sizeof id, "%" PRId64, u.id);
    session_token_hash(co->req->session_token, th);
    if (accounts_set_password(tx, id, co->new_password, err) < 0) {
        if (err->fields && json_object_get(err->fields, "password")) {
            json_object_set(err->fields, "new_password", json_object_get(err->fields, "password"));
            json_object_del(err->fields, "password");
        }
        return -1;
    }
    return sessions_end_for_user(tx->conn, u.id, th, err); /* other devices log out */
}

static int handle_change_own_password(Req *req, Resp *resp, Error *err)
{
    if (req_body_object_or_fail(req, err) < 0)
        return -1;
    ChangeOwn co = {req, json_string_value(json_object_get(req->json, "old_password")),
                    json_string_value(json_object_get(req->json, "new_password"))};
    if (!co.old_password || !co.new_password) {
        error_set(err, 422, "validation_failed", "请填写原密码和新密码",
                  "old_password and new_password are required");
        if (!co.old_password)
            error_field(err, "old_password", "请填写原密码");
        if (!co.new_password)
            error_field(err, "new_password", "请填写新密码");
        return -1;
    }
    if (tx_run(req->store, req->actor, req->arena, change_own_tx, &co, err) < 0)
        return -1;
    return resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

const Route auth_routes[] = {
    {"POST", "/api/v1/auth/login", handle_login, 0, SCOPE_PUBLIC, NULL, "登录", ROUTE_NO_CSRF},
    {"POST", "/api/v1/auth/logout", handle_logout, ROLE_ANY, SCOPE_LOGIN, NULL, "退出登录",
     ROUTE_NO_CSRF},
    {"GET", "/api/v1/auth/me", handle_me, ROLE_ANY, SCOPE_LOGIN, NULL, "当前用户", 0},
    {"POST", "/api/v1/auth/password", handle_change_own_password, ROLE_ANY, SCOPE_LOGIN, NULL,
     "修改本人密码", 0},
};
const int auth_route_count = (int)(sizeof auth_routes / sizeof auth_routes[0]);
