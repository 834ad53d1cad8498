/* modules/enterprises — the enterprise registry: one enterprise, one code, one file
 * (一企一码一档, SPEC C5; seeds 001 三(二)2–3).
 *
 * Owns the tables `enterprises` (企业: 统一社会信用代码, industry, scale, four-colour risk
 * class, location, legal representative, safety manager, public phone, licences, status),
 * `hazard_sources` (重大危险源, GB 18218-2018 grades 一级…四级) and `enterprise_people`
 * (责任人: 主要负责人, 安全管理人员, … with certificates).
 *
 * Promises:
 *   - A 统一社会信用代码 is 18 characters of GB 32100-2015's alphabet (no I O S V Z) with a
 *     correct check character and a numeric division part; it is stored upper-case and unique.
 *   - Jurisdiction: every record has a division code (a hazard source's and a person's is
 *     their enterprise's, kept in step when the enterprise moves). Enterprise users (role
 *     enterprise, users.enterprise_id) see and change only their own enterprise's records;
 *     an enterprise account not linked to an enterprise is refused (403 enterprise_unlinked).
 *     The entity engine limits rows by a field named `enterprise_id`; for `enterprises`
 *     itself that field is a read-only copy of the record's own id, allocated before the
 *     insert (enterprise_before_write), so the engine's scoping covers the registry too.
 *   - 一企一码: every enterprise gets a random, unguessable qr_token (128 bits, base64url) on
 *     create; its QR code (libqrencode, error correction M) encodes `<public_url>/m/e/<token>`;
 *     rotating the token makes the old code stop working. The public summary behind the
 *     code shows the enterprise's public face only — never personal phone numbers, licence
 *     numbers, internal notes, ids or people other than the safety manager's name.
 *   - public_url is the deployment's address for phones, from YINGJI_PUBLIC_URL (read at
 *     start); without it the UI may pass its own origin (?base=https://host), else the code
 *     holds the path only ("/m/e/<token>").
 *
 * Routes (read: every logged-in role inside its jurisdiction; write: see the table in
 * enterprises.c): /api/v1/enterprises (list, export.csv, import.csv, export.geojson,
 * import.geojson, get, create, change, delete — refused while hazard sources, people or user
 * accounts still belong to it),
 * /api/v1/enterprises/:id/file (一企一档), /api/v1/enterprises/:id/qr.svg,
 * POST /api/v1/enterprises/:id/qr/rotate (administrators), /api/v1/hazard-sources,
 * /api/v1/enterprise-people, and the public GET /api/v1/public/enterprises/:token.
 *
 * Memory: returned json_t values are new references owned by the caller; StrBuf output is
 * appended to the caller's buffer. */
#ifndef YJ_MODULES_ENTERPRISES_H
#define YJ_MODULES_ENTERPRISES_H

#include "core/strbuf.h"
#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module enterprises_module;
extern const Entity enterprises_entity;
extern const Entity hazard_sources_entity;
extern const Entity enterprise_people_entity;

#define ENTERPRISES_CREDIT_CODE_LEN 18
#define ENTERPRISES_TOKEN_LEN 22 /* 16 random bytes, base64url without padding */

/* GB 32100-2015: the check character for the first 17 characters, or 0 when one of them
 * is outside the code's alphabet. */
char enterprises_credit_check_char(const char *first17);
/* 1 when code is a well-formed 统一社会信用代码 (upper-case) with a correct check char. */
int enterprises_credit_code_valid(const char *code);

/* Writes a fresh random token (ENTERPRISES_TOKEN_LEN characters + NUL) to out. */
void enterprises_new_token(char out[ENTERPRISES_TOKEN_LEN + 1]);

/* QR code of text (libqrencode, 8-bit mode, error correction M) as a standalone SVG with a
 * four-module quiet zone, one module per SVG unit. title (may be NULL) becomes the SVG's
 * <title>. *version and *modules (may be NULL) receive the QR version and its width in
 * modules. Returns 0, or -1 with err when the text cannot be encoded. */
int enterprises_qr_svg(const char *text, const char *title, StrBuf *out, int *version, int *modules,
                       Error *err);

/* The path a QR code opens, "/m/e/<token>", in arena. */
const char *enterprises_public_path(Arena *arena, const char *token);

/* The public summary behind a QR token; 404 when no enterprise has it. */
int enterprises_public_summary(StoreConn *c, Arena *arena, const char *token, json_t **out,
                               Error *err);

/* 一企一档: {"enterprise", "division_name", "hazard_sources", "people", "summary",
 * "public_path"}, limited to the actor (404 outside it). */
int enterprises_file(StoreConn *c, Arena *arena, const Actor *actor, const char *id, json_t **out,
                     Error *err);

/* Issues a new qr_token for the enterprise (inside the actor's scope, else 404); the old one
 * stops working. *token_out (may be NULL) receives the new token in tx->arena. */
int enterprises_rotate_token(Tx *tx, const char *id, const char **token_out, Error *err);

/* Demo data (Module.demo): about 60 enterprises of 云岭县 with their hazard sources and
 * people; links the demo account `enterprise` to the first. */
int enterprises_demo(Tx *tx, Error *err);

#endif
