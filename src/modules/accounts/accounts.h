/* modules/accounts — organisations, users, sessions, login and the audit trail's view.
 *
 * Owns the tables `orgs` (organisations: 应急管理局, 乡镇应急管理所, rescue teams' units…),
 * `users` (one role each, a division code that is the user's jurisdiction, argon2id password
 * hash, lockout state) and `sessions` (only a BLAKE2b hash of each token is stored).
 *
 * Promises:
 *   - Passwords are hashed with libsodium's argon2id (crypto_pwhash_str) and never leave
 *     the module; the same work is done for unknown user names so timing tells nothing.
 *   - Login is rate limited per client address and a user is locked for 15 minutes after
 *     5 failed attempts; every login, failure, lockout and logout is in the audit trail.
 *   - Sessions last 12 hours, travel as an HttpOnly SameSite=Strict cookie (writes then
 *     need the X-CSRF-Token header) or as a bearer token, and end at logout.
 *   - It installs the router's Authenticator, turning a token into an Actor whose
 *     jurisdiction is the user's division code: the router, not handlers, enforces it.
 *
 * Routes: /api/v1/auth/{login,logout,me,password}, /api/v1/users (list, view, export,
 * create, change; users are deactivated, never deleted), /api/v1/users/:id/{password,unlock},
 * /api/v1/orgs, and the audit trail: GET /api/v1/audit, /api/v1/audit/export.csv,
 * /api/v1/audit/verify (administrators). */
#ifndef YJ_MODULES_ACCOUNTS_H
#define YJ_MODULES_ACCOUNTS_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module accounts_module;
extern const Entity users_entity;
extern const Entity orgs_entity;

/* Password rules: 8–128 characters with at least a letter and a digit. 0 or -1 (422). */
int accounts_check_password_policy(const char *password, Error *err);

/* Creates a user inside tx: fields as the users entity takes them (username, display_name,
 * role, division_code, org_id, phone, …) plus the password, which is checked against the
 * policy and stored hashed. *out (may be NULL) receives the new user without secrets. */
int accounts_create_user(Tx *tx, json_t *fields, const char *password, json_t **out, Error *err);

/* Sets a user's password (policy checked, hashed) and clears its lockout. */
int accounts_set_password(Tx *tx, const char *user_id, const char *password, Error *err);

#endif
