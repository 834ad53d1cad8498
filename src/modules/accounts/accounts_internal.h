/* modules/accounts/accounts_internal — shared by the accounts module's files only.
 *
 * accounts.c   entities (orgs, users), migrations, user administration routes, module
 * auth.c       passwords, sessions, login rate limit and lockout, the Authenticator
 * audit_view.c the audit trail's list, CSV export and verification routes */
#ifndef YJ_MODULES_ACCOUNTS_INTERNAL_H
#define YJ_MODULES_ACCOUNTS_INTERNAL_H

#include "http/route.h"
#include "modules/accounts/accounts.h"

#include <sodium.h>

#define SESSION_TTL_SECONDS (12 * 3600)
#define LOCKOUT_FAILURES 5
#define LOCKOUT_SECONDS (15 * 60)
#define RATE_WINDOW_SECONDS (10 * 60)
#define RATE_MAX_FAILURES 20
#define SESSION_COOKIE "yingji_session"

/* auth.c */
int password_hash(const char *password, char out[crypto_pwhash_STRBYTES], Error *err);
int password_verify(const char *hash, const char *password); /* 1 = matches */
/* BLAKE2b-256 of a session token as 64 hex characters (+NUL), which is what is stored. */
void session_token_hash(const char *token, char out[65]);
int accounts_authenticate(Store *store, Arena *arena, const char *token, Actor *out,
                          const char **csrf_token, Error *err);
/* Ends every session of a user except keep_token_hash (NULL = all). */
int sessions_end_for_user(StoreConn *c, int64_t user_id, const char *keep_token_hash, Error *err);
extern const Route auth_routes[];
extern const int auth_route_count;

/* audit_view.c */
extern const Route audit_routes[];
extern const int audit_route_count;

#endif
