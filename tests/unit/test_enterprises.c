/* tests/unit/test_enterprises — the enterprise registry below the HTTP layer (一企一码一档):
 * 统一社会信用代码 check characters (GB 32100-2015), the QR code's SVG against what
 * libqrencode reports, qr_token set on create and rotated (the old token stops working),
 * the public summary leaking nothing private, hazard source grading by R value, children
 * following their enterprise's division, and enterprise users limited to their enterprise.
 *
 * Runs on SQLite (a fresh temp file) and on PostgreSQL (YINGJI_TEST_PG, a fresh schema). */
#include "test_app.h"

#include "app.h"
#include "core/log.h"
#include "modules/divisions/divisions.h"
#include "modules/enterprises/enterprises.h"

#include <qrencode.h>

#define PG_SCHEMA "yj_enterprises_test"

typedef struct Fx {
    TEST_APP_FIELDS; /* first: tests/unit/test_app.h */
} Fx;

/* ---- records ----------------------------------------------------------------------------- */

typedef struct CreateCtx {
    const Entity *e;
    const char *json;
    json_t *out;
} CreateCtx;

static int create_tx(Tx *tx, void *ctx, Error *err)
{
    CreateCtx *cc = ctx;
    json_error_t jerr;
    json_t *in = json_loads(cc->json, 0, &jerr);
    if (!in) {
        print_error("bad test JSON: %s\n", jerr.text);
        fail();
    }
    int rc = entity_create(tx, cc->e, in, &cc->out, err);
    json_decref(in);
    return rc;
}

/* Creates a record as actor; *out (may be NULL) receives it. */
static int create(Fx *fx, const Actor *actor, const Entity *e, const char *json, json_t **out,
                  Error *err)
{
    Arena a = ARENA_INIT;
    CreateCtx cc = {e, json, NULL};
    int rc = tx_run(fx->store, actor, &a, create_tx, &cc, err);
    arena_free(&a);
    if (out)
        *out = cc.out;
    else
        json_decref(cc.out);
    return rc;
}

static void seed_divisions(Fx *fx)
{
    static const char *const divs[] = {
        "{\"code\":\"62\",\"name\":\"甘肃省\"}",
        "{\"code\":\"6203\",\"name\":\"金昌市\"}",
        "{\"code\":\"620390\",\"name\":\"云岭县\"}",
        "{\"code\":\"620390100\",\"name\":\"青石镇\"}",
        "{\"code\":\"620390101\",\"name\":\"河西镇\"}",
    };
    Error err = ERROR_INIT;
    for (size_t i = 0; i < sizeof divs / sizeof divs[0]; i++)
        assert_ok(create(fx, &actor_system, &divisions_entity, divs[i], NULL, &err), err);
}

static int setup_sqlite(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 0, PG_SCHEMA, 2);
    *state = fx;
    seed_divisions(fx);
    return 0;
}

static int setup_pg(void **state)
{
    Fx *fx = test_app_new(sizeof *fx, 1, PG_SCHEMA, 2);
    *state = fx;
    if (!fx)
        return 0;
    seed_divisions(fx);
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    if (!fx)
        return 0;
    test_app_free(fx);
    return 0;
}

static Fx *fixture(void **state)
{
    return test_app_fixture(state);
}

/* Valid codes: 91440300708461136T is a real, published code; the others are built here. */
#define CODE_A "91620390MA71234560"
#define CODE_B "91620390MA7ABCDEF0"

/* code with its check character fixed (the 18th character). */
static const char *with_check(char *code)
{
    code[17] = enterprises_credit_check_char(code);
    return code;
}

static json_t *add_enterprise(Fx *fx, const char *name, const char *code, const char *division)
{
    char json[1024], cc[19];
    snprintf(cc, sizeof cc, "%s", code);
    snprintf(json, sizeof json,
             "{\"name\":\"%s\",\"credit_code\":\"%s\",\"industry\":\"non_coal_mine\","
             "\"scale\":\"small\",\"risk_class\":\"orange\",\"division_code\":\"%s\","
             "\"address\":\"云岭县青石镇工业园区8号\",\"lon\":102.1,\"lat\":38.3,"
             "\"legal_rep\":\"赵法人\",\"safety_manager\":\"钱安全\",\"phone\":\"0935-6210280\","
             "\"employees\":120,\"notes\":\"内部备注：约谈记录\","
             "\"licences\":[{\"name\":\"安全生产许可证（非煤矿山）\",\"number\":\"（甘）FM安许证字"
             "〔2024〕0123\",\"expires\":\"2099-12-31\"},{\"name\":\"采矿许可证\",\"number\":"
             "\"C6203902024\",\"expires\":\"2001-01-01\"}]}",
             name, with_check(cc), division);
    Error err = ERROR_INIT;
    json_t *out = NULL;
    assert_ok(create(fx, &actor_system, &enterprises_entity, json, &out, &err), err);
    return out;
}

static int64_t id_of(json_t *rec)
{
    return json_integer_value(json_object_get(rec, "id"));
}

static const char *key_of(json_t *rec, char buf[24])
{
    snprintf(buf, 24, "%lld", (long long)id_of(rec));
    return buf;
}

/* ---- pure functions ---------------------------------------------------------------------- */

static void test_credit_code(void **state)
{
    (void)state;
    assert_true(enterprises_credit_code_valid("91440300708461136T"));
    assert_true(enterprises_credit_code_valid("91110000802100433B"));
    assert_false(enterprises_credit_code_valid("91440300708461136A")); /* wrong check char */
    assert_false(enterprises_credit_code_valid("91440300708461136"));  /* 17 characters */
    assert_false(enterprises_credit_code_valid("91440300708461136TT"));
    assert_false(enterprises_credit_code_valid(NULL));
    assert_int_equal(enterprises_credit_check_char("91440300708461136"), 'T');
    /* I, O, S, V, Z are not in the alphabet; the division part is digits */
    assert_int_equal(enterprises_credit_check_char("9144030070846113I"), 0);
    assert_int_equal(enterprises_credit_check_char("91A40300708461136"), 0);
    char code[19] = CODE_A;
    assert_true(enterprises_credit_code_valid(with_check(code)));
    char token[ENTERPRISES_TOKEN_LEN + 1], other[ENTERPRISES_TOKEN_LEN + 1];
    enterprises_new_token(token);
    enterprises_new_token(other);
    assert_int_equal(strlen(token), ENTERPRISES_TOKEN_LEN);
    assert_string_not_equal(token, other);
    assert_int_equal(
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        ENTERPRISES_TOKEN_LEN);
}

/* Sum of the run lengths "h<n>" in the SVG path: the dark modules drawn. */
static int dark_in_svg(const char *svg)
{
    const char *d = strstr(svg, " d=\"");
    assert_non_null(d);
    int n = 0;
    for (const char *p = d + 4; *p && *p != '"'; p++)
        if (*p == 'h' && p[1] != '-')
            n += atoi(p + 1);
    return n;
}

static void test_qr_svg(void **state)
{
    (void)state;
    const char *url = "https://yj.example.gov.cn/m/e/AbCdEfGhIjKlMnOpQrStUv";
    StrBuf sb = STRBUF_INIT;
    Error err = ERROR_INIT;
    int version = 0, modules = 0;
    assert_ok(enterprises_qr_svg(url, "青石矿业 & <一企一码>", &sb, &version, &modules, &err), err);
    QRcode *qr = QRcode_encodeString8bit(url, 0, QR_ECLEVEL_M);
    assert_non_null(qr);
    assert_int_equal(version, qr->version);
    assert_int_equal(modules, qr->width);
    assert_int_equal(modules, 17 + 4 * version); /* ISO/IEC 18004 */
    int dark = 0;
    for (int i = 0; i < qr->width * qr->width; i++)
        dark += qr->data[i] & 1;
    QRcode_free(qr);
    const char *svg = strbuf_cstr(&sb);
    char want[128];
    assert_int_equal(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44), 0);
    snprintf(want, sizeof want, "viewBox=\"0 0 %d %d\"", modules + 8, modules + 8);
    assert_non_null(strstr(svg, want));
    snprintf(want, sizeof want, "data-qr-version=\"%d\" data-qr-modules=\"%d\"", version, modules);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(svg, "<title>青石矿业 &amp; &lt;一企一码&gt;</title>"));
    assert_int_equal(dark_in_svg(svg), dark);
    /* the finder pattern's top edge: 7 dark modules at the quiet zone's corner */
    assert_non_null(strstr(svg, "d=\"M4 4h7v1h-7z"));
    assert_null(strstr(strstr(svg, "<svg ") + 5, "<svg "));
    size_t n = strlen(svg);
    assert_true(n > 8 && strcmp(svg + n - 7, "</svg>\n") == 0);
    strbuf_free(&sb);
}

/* ---- create, token, rotation, public summary --------------------------------------------- */

static void test_create_rules(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *a = add_enterprise(fx, "云岭县青石矿业有限公司", CODE_A, "620390100");
    const char *token = json_string_value(json_object_get(a, "qr_token"));
    assert_non_null(token);
    assert_int_equal(strlen(token), ENTERPRISES_TOKEN_LEN);
    assert_int_equal(json_integer_value(json_object_get(a, "enterprise_id")), id_of(a));
    /* a wrong check character, named on the field */
    assert_err(create(fx, &actor_system, &enterprises_entity,
                      "{\"name\":\"某公司\",\"credit_code\":\"91440300708461136A\","
                      "\"industry\":\"other\",\"division_code\":\"620390\"}",
                      NULL, &err),
               err, 422);
    /* lower case is accepted and stored upper case; a duplicate is refused */
    json_t *t = NULL;
    assert_ok(create(fx, &actor_system, &enterprises_entity,
                     "{\"name\":\"腾讯\",\"credit_code\":\"91440300708461136t\","
                     "\"industry\":\"other\",\"division_code\":\"620390\"}",
                     &t, &err),
              err);
    assert_string_equal(json_string_value(json_object_get(t, "credit_code")), "91440300708461136T");
    assert_string_equal(json_string_value(json_object_get(t, "status")), "operating");
    assert_int_equal(id_of(t), id_of(a) + 1);
    assert_int_equal(json_integer_value(json_object_get(t, "enterprise_id")), id_of(t));
    assert_err(create(fx, &actor_system, &enterprises_entity,
                      "{\"name\":\"重复\",\"credit_code\":\"91440300708461136T\","
                      "\"industry\":\"other\",\"division_code\":\"620390\"}",
                      NULL, &err),
               err, 422);
    /* the token and the scope copy are the server's */
    assert_err(create(fx, &actor_system, &enterprises_entity,
                      "{\"name\":\"某公司\",\"credit_code\":\"91440300708461136T\","
                      "\"industry\":\"other\",\"division_code\":\"620390\",\"qr_token\":\"x\"}",
                      NULL, &err),
               err, 422);
    /* licences are a list of {name, number, issuer, expires} */
    assert_err(create(fx, &actor_system, &enterprises_entity,
                      "{\"name\":\"某公司\",\"credit_code\":\"91110000802100433B\","
                      "\"industry\":\"other\",\"division_code\":\"620390\","
                      "\"licences\":[{\"name\":\"x\",\"expires\":\"2026-02-30\"}]}",
                      NULL, &err),
               err, 422);
    json_decref(t);
    json_decref(a);
}

typedef struct RotateCtx {
    const char *id;
    const char *token;
} RotateCtx;

static int rotate_tx(Tx *tx, void *ctx, Error *err)
{
    RotateCtx *rc = ctx;
    int r = enterprises_rotate_token(tx, rc->id, &rc->token, err);
    if (r == 0)
        rc->token = xstrdup(rc->token);
    return r;
}

static int public_summary(Fx *fx, const char *token, json_t **out, Error *err)
{
    Arena a = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = enterprises_public_summary(c, &a, token, out, err);
    store_release(fx->store, c);
    arena_free(&a);
    return rc;
}

static void test_rotate_and_public_summary(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    char key[24];
    json_t *a = add_enterprise(fx, "云岭县青石矿业有限公司", CODE_A, "620390100");
    char *old = xstrdup(json_string_value(json_object_get(a, "qr_token")));
    char person[256];
    snprintf(person, sizeof person,
             "{\"enterprise_id\":%lld,\"name\":\"孙主要\",\"duty\":\"principal\","
             "\"phone\":\"13912345678\",\"certificate\":\"合格证 第620390000123号\"}",
             (long long)id_of(a));
    assert_ok(create(fx, &actor_system, &enterprise_people_entity, person, NULL, &err), err);
    char hazard[256];
    snprintf(hazard, sizeof hazard,
             "{\"enterprise_id\":%lld,\"name\":\"炸药库\",\"level\":\"III\","
             "\"substances\":\"乳化炸药\",\"quantity_t\":12}",
             (long long)id_of(a));
    assert_ok(create(fx, &actor_system, &hazard_sources_entity, hazard, NULL, &err), err);

    json_t *pub = NULL;
    assert_ok(public_summary(fx, old, &pub, &err), err);
    assert_string_equal(json_string_value(json_object_get(pub, "name")), "云岭县青石矿业有限公司");
    assert_string_equal(json_string_value(json_object_get(pub, "risk_class")), "orange");
    assert_string_equal(json_string_value(json_object_get(pub, "risk_colour")), "#FF9900");
    assert_string_equal(json_string_value(json_object_get(pub, "safety_manager")), "钱安全");
    assert_string_equal(json_string_value(json_object_get(pub, "phone")), "0935-6210280");
    assert_string_equal(json_string_value(json_object_get(pub, "division_name")), "青石镇");
    assert_int_equal(json_integer_value(json_object_get(pub, "major_hazard_sources")), 1);
    assert_int_equal(json_array_size(json_object_get(pub, "licences")), 2);
    assert_false(json_is_true(json_object_get(pub, "licences_valid"))); /* one expired */
    char *text = json_dumps(pub, 0);
    static const char *const private_bits[] = {
        "13912345678", "孙主要",      "赵法人",   "内部备注", "notes",
        "FM安许证字",  "C6203902024", "qr_token", "\"id\"",   "enterprise_id",
        "lon",         "legal_rep",   "employees"};
    for (size_t i = 0; i < sizeof private_bits / sizeof private_bits[0]; i++)
        if (strstr(text, private_bits[i])) {
            print_error("public summary leaks %s: %s\n", private_bits[i], text);
            fail();
        }
    free(text);
    json_decref(pub);

    /* rotation: the old token stops working, the new one works */
    Arena ar = ARENA_INIT;
    RotateCtx rc = {key_of(a, key), NULL};
    assert_ok(tx_run(fx->store, &actor_system, &ar, rotate_tx, &rc, &err), err);
    arena_free(&ar);
    assert_string_not_equal(rc.token, old);
    assert_err(public_summary(fx, old, &pub, &err), err, 404);
    assert_ok(public_summary(fx, rc.token, &pub, &err), err);
    json_decref(pub);
    assert_err(public_summary(fx, "not-a-token", &pub, &err), err, 404);
    assert_err(public_summary(fx, NULL, &pub, &err), err, 404);
    /* rotation outside the actor's jurisdiction is "not found" */
    Actor town2 = {9, "town2", ROLE_ADMIN, "620390101", 0};
    RotateCtx rc2 = {key, NULL};
    assert_err(tx_run(fx->store, &town2, &ar, rotate_tx, &rc2, &err), err, 404);
    arena_free(&ar);
    free((void *)rc.token);
    free(old);
    json_decref(a);
}

/* ---- hazard sources and people ----------------------------------------------------------- */

static void test_hazard_rules(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *a = add_enterprise(fx, "云岭县河西化工有限责任公司", CODE_A, "620390101");
    char json[256];
    json_t *h = NULL;
    /* R = 120 grades it 一级; the location defaults to the enterprise's */
    snprintf(json, sizeof json,
             "{\"enterprise_id\":%lld,\"name\":\"液氯储罐区\",\"r_value\":120,"
             "\"substances\":\"液氯\",\"quantity_t\":150}",
             (long long)id_of(a));
    assert_ok(create(fx, &actor_system, &hazard_sources_entity, json, &h, &err), err);
    assert_string_equal(json_string_value(json_object_get(h, "level")), "I");
    assert_string_equal(json_string_value(json_object_get(h, "division_code")), "620390101");
    assert_true(json_real_value(json_object_get(h, "lon")) == 102.1);
    json_decref(h);
    /* a level that contradicts R, and neither level nor R, are refused */
    snprintf(json, sizeof json,
             "{\"enterprise_id\":%lld,\"name\":\"甲醇罐区\",\"r_value\":5,\"level\":\"II\"}",
             (long long)id_of(a));
    assert_err(create(fx, &actor_system, &hazard_sources_entity, json, NULL, &err), err, 422);
    snprintf(json, sizeof json, "{\"enterprise_id\":%lld,\"name\":\"甲醇罐区\"}",
             (long long)id_of(a));
    assert_err(create(fx, &actor_system, &hazard_sources_entity, json, NULL, &err), err, 422);
    /* a division cannot be sent: it is the enterprise's */
    snprintf(
        json, sizeof json,
        "{\"enterprise_id\":%lld,\"name\":\"x\",\"level\":\"IV\",\"division_code\":\"620390100\"}",
        (long long)id_of(a));
    assert_err(create(fx, &actor_system, &hazard_sources_entity, json, NULL, &err), err, 422);
    assert_err(create(fx, &actor_system, &hazard_sources_entity,
                      "{\"enterprise_id\":999999,\"name\":\"x\",\"level\":\"IV\"}", NULL, &err),
               err, 422);

    /* moving the enterprise moves its hazard sources and people */
    snprintf(json, sizeof json,
             "{\"enterprise_id\":%lld,\"name\":\"李安全\",\"duty\":\"safety_manager\"}",
             (long long)id_of(a));
    assert_ok(create(fx, &actor_system, &enterprise_people_entity, json, NULL, &err), err);
    Arena ar = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    Tx tx;
    char key[24];
    assert_ok(tx_begin(&tx, c, &actor_system, &ar, &err), err);
    json_t *patch = json_pack("{s:s}", "division_code", "620390100");
    assert_ok(entity_update(&tx, &enterprises_entity, key_of(a, key), patch, NULL, &err), err);
    json_decref(patch);
    assert_ok(tx_commit(&tx, &err), err);
    int64_t n = -1;
    assert_ok(store_query_int(c,
                              "SELECT (SELECT count(*) FROM hazard_sources WHERE division_code = "
                              "'620390100') + (SELECT count(*) FROM enterprise_people WHERE "
                              "division_code = '620390100')",
                              NULL, 0, &n, &err),
              err);
    assert_int_equal(n, 2);
    store_release(fx->store, c);
    arena_free(&ar);
    json_decref(a);
}

/* ---- enterprise users see only their enterprise ------------------------------------------ */

static int64_t list_total(Fx *fx, const Entity *e, const Actor *actor)
{
    Arena a = ARENA_INIT;
    Error err = ERROR_INIT;
    ListQuery lq = {0};
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_list(c, &a, e, actor, &lq, &out, &err);
    store_release(fx->store, c);
    arena_free(&a);
    assert_ok(rc, err);
    int64_t n = json_integer_value(json_object_get(out, "total"));
    json_decref(out);
    return n;
}

static int get(Fx *fx, const Entity *e, const Actor *actor, const char *key, Error *err)
{
    json_t *out = NULL;
    StoreConn *c = store_acquire(fx->store);
    int rc = entity_get(c, e, actor, key, &out, err);
    store_release(fx->store, c);
    json_decref(out);
    return rc;
}

static int file_of(Fx *fx, const Actor *actor, const char *key, json_t **out, Error *err)
{
    Arena a = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    int rc = enterprises_file(c, &a, actor, key, out, err);
    store_release(fx->store, c);
    arena_free(&a);
    return rc;
}

static void test_enterprise_scope(void **state)
{
    Fx *fx = fixture(state);
    Error err = ERROR_INIT;
    json_t *a = add_enterprise(fx, "甲公司", CODE_A, "620390100");
    json_t *b = add_enterprise(fx, "乙公司", CODE_B, "620390101");
    char json[256], ka[24], kb[24];
    key_of(a, ka);
    key_of(b, kb);
    for (int i = 0; i < 2; i++) {
        snprintf(json, sizeof json, "{\"enterprise_id\":%s,\"name\":\"危险源\",\"level\":\"IV\"}",
                 i ? kb : ka);
        assert_ok(create(fx, &actor_system, &hazard_sources_entity, json, NULL, &err), err);
        snprintf(json, sizeof json,
                 "{\"enterprise_id\":%s,\"name\":\"负责人\",\"duty\":\"principal\"}", i ? kb : ka);
        assert_ok(create(fx, &actor_system, &enterprise_people_entity, json, NULL, &err), err);
    }
    Actor county = {2, "county", ROLE_INSPECTOR, "620390", 0};
    Actor ent_a = {3, "ent_a", ROLE_ENTERPRISE, "620390", id_of(a)};
    Actor town2 = {4, "town2", ROLE_DUTY_OFFICER, "620390101", 0};
    assert_int_equal(list_total(fx, &enterprises_entity, &county), 2);
    assert_int_equal(list_total(fx, &enterprises_entity, &ent_a), 1);
    assert_int_equal(list_total(fx, &hazard_sources_entity, &ent_a), 1);
    assert_int_equal(list_total(fx, &enterprise_people_entity, &ent_a), 1);
    assert_int_equal(list_total(fx, &enterprises_entity, &town2), 1);
    assert_int_equal(list_total(fx, &hazard_sources_entity, &town2), 1);
    assert_ok(get(fx, &enterprises_entity, &ent_a, ka, &err), err);
    assert_err(get(fx, &enterprises_entity, &ent_a, kb, &err), err, 404);
    assert_err(get(fx, &enterprises_entity, &town2, ka, &err), err, 404);

    /* the file: everything of the enterprise in one document, scoped the same way */
    json_t *doc = NULL;
    assert_ok(file_of(fx, &ent_a, ka, &doc, &err), err);
    assert_int_equal(json_array_size(json_object_get(doc, "hazard_sources")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "people")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "division_name")), "青石镇");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "summary"), "licences_expired")),
        1);
    json_decref(doc);
    assert_err(file_of(fx, &ent_a, kb, &doc, &err), err, 404);

    /* an enterprise user's new records are its own enterprise's, whatever it sends */
    json_t *h = NULL;
    snprintf(json, sizeof json, "{\"enterprise_id\":%s,\"name\":\"自报危险源\",\"level\":\"IV\"}",
             kb);
    assert_ok(create(fx, &ent_a, &hazard_sources_entity, json, &h, &err), err);
    assert_int_equal(json_integer_value(json_object_get(h, "enterprise_id")), id_of(a));
    assert_string_equal(json_string_value(json_object_get(h, "division_code")), "620390100");
    json_decref(h);
    /* and it cannot change its enterprise's scope or token */
    Arena ar = ARENA_INIT;
    StoreConn *c = store_acquire(fx->store);
    Tx tx;
    assert_ok(tx_begin(&tx, c, &ent_a, &ar, &err), err);
    json_t *patch = json_pack("{s:I}", "enterprise_id", (json_int_t)id_of(b));
    assert_err(entity_update(&tx, &enterprises_entity, ka, patch, NULL, &err), err, 422);
    json_decref(patch);
    patch = json_pack("{s:s}", "name", "乙公司改名");
    assert_err(entity_update(&tx, &enterprises_entity, kb, patch, NULL, &err), err, 404);
    json_decref(patch);
    tx_rollback(&tx);
    store_release(fx->store, c);
    arena_free(&ar);
    json_decref(a);
    json_decref(b);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credit_code),
        cmocka_unit_test(test_qr_svg),
        BOTH(test_create_rules),
        BOTH(test_rotate_and_public_summary),
        BOTH(test_hazard_rules),
        BOTH(test_enterprise_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
