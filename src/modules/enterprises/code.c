/* modules/enterprises/code — 统一社会信用代码 (GB 32100-2015), the QR code of 一企一码 and
 * what it opens (the public summary), and the 一企一档 document; see enterprises.h. */
#include "modules/enterprises/enterprises_internal.h"

#include "core/clock.h"
#include "modules/divisions/divisions.h"

#include <ctype.h>
#include <errno.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- 统一社会信用代码 ---------- */

/* GB 32100-2015: 31 characters (no I, O, S, V, Z); check = 31 − Σ(value × weight) mod 31. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int credit_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};

char enterprises_credit_check_char(const char *s)
{
    if (!s)
        return 0;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        const char *p = s[i] ? strchr(credit_alphabet, s[i]) : NULL;
        if (!p)
            return 0;
        if (i >= 2 && i < 8 && !isdigit((unsigned char)s[i])) /* 登记管理机关行政区划码 */
            return 0;
        sum += (int)(p - credit_alphabet) * credit_weights[i];
    }
    return credit_alphabet[(31 - sum % 31) % 31];
}

int enterprises_credit_code_valid(const char *code)
{
    if (!code || strlen(code) != ENTERPRISES_CREDIT_CODE_LEN)
        return 0;
    char c = enterprises_credit_check_char(code);
    return c && code[17] == c;
}

/* ---------- tokens and the QR code ---------- */

void enterprises_new_token(char out[ENTERPRISES_TOKEN_LEN + 1])
{
    unsigned char raw[16];
    if (sodium_init() < 0)
        abort();
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, ENTERPRISES_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int token_wellformed(const char *t)
{
    if (!t || strlen(t) != ENTERPRISES_TOKEN_LEN)
        return 0;
    for (; *t; t++)
        if (!(isalnum((unsigned char)*t) || *t == '-' || *t == '_'))
            return 0;
    return 1;
}

const char *enterprises_public_path(Arena *arena, const char *token)
{
    return arena_printf(arena, "/m/e/%s", token);
}

static void xml_escape(StrBuf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            strbuf_adds(out, "&amp;");
            break;
        case '<':
            strbuf_adds(out, "&lt;");
            break;
        case '>':
            strbuf_adds(out, "&gt;");
            break;
        case '"':
            strbuf_adds(out, "&quot;");
            break;
        default:
            strbuf_addch(out, *s);
        }
    }
}

#define QR_QUIET 4 /* modules of white border, as ISO/IEC 18004 requires */

int enterprises_qr_svg(const char *text, const char *title, StrBuf *out, int *version, int *modules,
                       Error *err)
{
    QRcode *qr = text ? QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) : NULL;
    if (!qr)
        return error_set(err, 422, "qr_failed", "无法生成二维码（内容过长或无效）",
                         "cannot encode the QR code: %s", strerror(errno));
    int w = qr->width, size = w + 2 * QR_QUIET;
    strbuf_addf(out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 %d %d\" "
                "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" "
                "data-qr-version=\"%d\" data-qr-modules=\"%d\" data-qr-ecc=\"M\">\n",
                size, size, size * 8, size * 8, qr->version, w);
    if (title) {
        strbuf_adds(out, "<title>");
        xml_escape(out, title);
        strbuf_adds(out, "</title>\n");
    }
    strbuf_addf(out,
                "<rect width=\"%d\" height=\"%d\" fill=\"#FFFFFF\"/>\n<path fill=\"#000000\" d=\"",
                size, size);
    /* one sub-path per horizontal run of dark modules (bit 0 of each byte) */
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && (qr->data[y * w + x + run] & 1))
                run++;
            strbuf_addf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
            x += run;
        }
    }
    strbuf_adds(out, "\"/>\n</svg>\n");
    if (version)
        *version = qr->version;
    if (modules)
        *modules = w;
    QRcode_free(qr);
    return 0;
}

/* ---------- the public summary behind the code ---------- */

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Licences without their numbers: [{"name", "expires", "status"}], status valid / expiring
 * (within 90 days) / expired / unknown (no date); *expired counts the expired ones. */
static json_t *public_licences(json_t *licences, int *expired)
{
    char today[11], soon[11];
    ent_date_in(0, today);
    ent_date_in(90, soon);
    json_t *out = json_array();
    size_t i;
    json_t *l;
    *expired = 0;
    json_array_foreach(licences, i, l)
    {
        const char *exp = str(l, "expires");
        const char *status = !exp                     ? "unknown"
                             : strcmp(exp, today) < 0 ? "expired"
                             : strcmp(exp, soon) < 0  ? "expiring"
                                                      : "valid";
        *expired += strcmp(status, "expired") == 0;
        json_array_append_new(out, json_pack("{s:o, s:o, s:s}", "name", str_or_null(str(l, "name")),
                                             "expires", str_or_null(exp), "status", status));
    }
    return out;
}

int enterprises_public_summary(StoreConn *c, Arena *arena, const char *token, json_t **out,
                               Error *err)
{
    if (!token_wellformed(token))
        return error_not_found(err);
    DbRows rows;
    DbValue p = db_text(token);
    if (store_query(c, arena, "SELECT * FROM enterprises WHERE qr_token = $1", &p, 1, &rows, err) <
        0)
        return -1;
    if (rows.nrows == 0)
        return error_not_found(err);
    json_t *e = entity_row_json(&enterprises_entity, &rows, 0);
    int64_t hazards = 0;
    DbValue id = db_int(json_integer_value(json_object_get(e, "id")));
    if (store_query_int(c, "SELECT count(*) FROM hazard_sources WHERE enterprise_id = $1", &id, 1,
                        &hazards, err) < 0) {
        json_decref(e);
        return -1;
    }
    int expired = 0;
    json_t *licences = public_licences(json_object_get(e, "licences"), &expired);
    const char *risk = str(e, "risk_class");
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    *out = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:b, "
        "s:s}",
        "name", str_or_null(str(e, "name")), "address", str_or_null(str(e, "address")),
        "division_name", str_or_null(divisions_name(c, arena, str(e, "division_code"))), "industry",
        str_or_null(str(e, "industry")), "industry_label",
        str_or_null(ent_label(ent_industries, str(e, "industry"))), "scale_label",
        str_or_null(ent_label(ent_scales, str(e, "scale"))), "risk_class", str_or_null(risk),
        "risk_label", str_or_null(ent_label(ent_risk_classes, risk)), "risk_colour",
        str_or_null(ent_risk_colour(risk)), "status", str_or_null(str(e, "status")), "status_label",
        str_or_null(ent_label(ent_statuses, str(e, "status"))), "safety_manager",
        str_or_null(str(e, "safety_manager")), "phone", str_or_null(str(e, "phone")), "credit_code",
        str_or_null(str(e, "credit_code")), "major_hazard_sources", (json_int_t)hazards, "licences",
        licences, "licences_valid", expired == 0, "checked_at", now);
    json_decref(e);
    return 0;
}

/* ---------- 一企一档 ---------- */

static int list_of(StoreConn *c, Arena *arena, const Entity *e, const Actor *actor,
                   const char *enterprise_id, json_t **items, Error *err)
{
    ListParam f = {"enterprise_id", enterprise_id};
    ListQuery lq = {NULL, 1, 500, NULL, &f, 1};
    json_t *page = NULL;
    if (entity_list(c, arena, e, actor, &lq, &page, err) < 0)
        return -1;
    *items = json_incref(json_object_get(page, "items"));
    json_decref(page);
    return 0;
}

static int count_before(json_t *items, const char *field, const char *date)
{
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *d = str(it, field);
        n += d && strcmp(d, date) < 0;
    }
    return n;
}

int enterprises_file(StoreConn *c, Arena *arena, const Actor *actor, const char *id, json_t **out,
                     Error *err)
{
    json_t *ent = NULL, *hazards = NULL, *people = NULL;
    if (entity_get(c, &enterprises_entity, actor, id, &ent, err) < 0)
        return -1;
    const char *key = arena_printf(arena, "%" JSON_INTEGER_FORMAT,
                                   json_integer_value(json_object_get(ent, "id")));
    if (list_of(c, arena, &hazard_sources_entity, actor, key, &hazards, err) < 0 ||
        list_of(c, arena, &enterprise_people_entity, actor, key, &people, err) < 0) {
        json_decref(ent);
        json_decref(hazards);
        return -1;
    }
    int expired = 0;
    json_decref(public_licences(json_object_get(ent, "licences"), &expired));
    char today[11];
    ent_date_in(0, today);
    json_t *by_level = json_object();
    size_t i;
    json_t *h;
    json_array_foreach(hazards, i, h)
    {
        const char *lv = str(h, "level");
        if (lv)
            json_object_set_new(
                by_level, lv, json_integer(json_integer_value(json_object_get(by_level, lv)) + 1));
    }
    const char *token = str(ent, "qr_token");
    *out =
        json_pack("{s:O, s:o, s:O, s:O, s:{s:I, s:o, s:I, s:i, s:i}, s:o}", "enterprise", ent,
                  "division_name", str_or_null(divisions_name(c, arena, str(ent, "division_code"))),
                  "hazard_sources", hazards, "people", people, "summary", "hazard_sources",
                  (json_int_t)json_array_size(hazards), "hazard_sources_by_level", by_level,
                  "people", (json_int_t)json_array_size(people), "licences_expired", expired,
                  "certificates_expired", count_before(people, "cert_expiry", today), "public_path",
                  token ? json_string(enterprises_public_path(arena, token)) : json_null());
    json_decref(ent);
    json_decref(hazards);
    json_decref(people);
    return 0;
}

/* ---------- rotation ---------- */

int enterprises_rotate_token(Tx *tx, const char *id, const char **token_out, Error *err)
{
    json_t *ent = NULL;
    if (entity_get(tx->conn, &enterprises_entity, tx->actor, id, &ent, err) < 0)
        return -1;
    char key[24], token[ENTERPRISES_TOKEN_LEN + 1];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(ent, "id")));
    json_decref(ent);
    enterprises_new_token(token);
    json_t *v = json_pack("{s:s}", "qr_token", token);
    int rc = entity_update_internal(tx, &enterprises_entity, key, v, err);
    json_decref(v);
    if (rc == 0 && token_out)
        *token_out = arena_strdup(tx->arena, token);
    return rc;
}
