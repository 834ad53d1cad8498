/* tests/unit/test_cap — CAP 1.2 messages profiled by GB/T 35965.1 (modules/publish/cap):
 * the valid messages of tests/data/cap validate clean; each invalid message yields its one
 * problem with the exact code, path and line; all problems of a message are collected;
 * XML → model → XML is byte-stable after one normalisation and XML → JSON → XML gives the same
 * bytes; JSON input is checked; DOCTYPE/entity (XXE), billion-laughs, XInclude and oversize
 * documents never leak or hang; the time, identifier and geocode builders; the commands behind
 * `yingji cap validate` and `yingji cap convert`.
 *
 * Run from the repository root (make unit does): the messages are read from tests/data/cap. */
#include "test_util.h"

#include "core/fileio.h"
#include "modules/publish/cap.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <time.h>

#define DATA "tests/data/cap/"

/* ---- helpers ----------------------------------------------------------------------------- */

static char *load(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    char *data = file_read_all(path, len);
    if (!data) {
        print_error("cannot read %s (run from the repository root)\n", path);
        fail();
    }
    return data;
}

static void print_report(const CapReport *r)
{
    for (size_t i = 0; i < r->n; i++)
        print_message("  %d %s [%s] %s\n", r->items[i].line, r->items[i].path, r->items[i].code,
                      r->items[i].en);
}

static const CapProblem *find_problem(const CapReport *r, const char *code, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].code, code) == 0 && strcmp(r->items[i].path, path) == 0)
            return &r->items[i];
    return NULL;
}

static size_t count_code(const CapReport *r, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += strcmp(r->items[i].code, code) == 0;
    return n;
}

static CapAlert *parse_file(const char *name)
{
    size_t len;
    char *data = load(name, &len);
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    int rc = cap_alert_from_xml(data, len, &a, &err);
    free(data);
    assert_ok(rc, err);
    return a;
}

/* XML text of a model (malloc'd). */
static char *to_xml(const CapAlert *a)
{
    StrBuf sb = STRBUF_INIT;
    Error err = ERROR_INIT;
    assert_ok(cap_alert_to_xml(a, &sb, &err), err);
    return strbuf_detach(&sb);
}

static CapAlert *parse_text(const char *xml)
{
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    assert_ok(cap_alert_from_xml(xml, strlen(xml), &a, &err), err);
    return a;
}

/* A file holding a unique secret that a resolved entity or XInclude would reveal. */
typedef struct Secret {
    char path[64];
    char text[64];
} Secret;

static void secret_make(Secret *s)
{
    snprintf(s->path, sizeof s->path, "/tmp/yingji-cap-secret-XXXXXX");
    int fd = mkstemp(s->path);
    assert_true(fd >= 0);
    snprintf(s->text, sizeof s->text, "SECRET-%d-%ld", (int)getpid(), (long)time(NULL));
    assert_int_equal(write(fd, s->text, strlen(s->text)), (ssize_t)strlen(s->text));
    close(fd);
}

/* A CAP message built from tests/data/cap/<name> with every "/etc/hostname" pointed at the
 * secret file (malloc'd). */
static char *aim_at_secret(const char *name, const Secret *sec, size_t *len)
{
    char *data = load(name, len);
    StrBuf sb = STRBUF_INIT;
    const char *p = data, *hit;
    while ((hit = strstr(p, "/etc/hostname"))) {
        strbuf_add(&sb, p, (size_t)(hit - p));
        strbuf_adds(&sb, sec->path);
        p = hit + strlen("/etc/hostname");
    }
    strbuf_adds(&sb, p);
    free(data);
    *len = sb.len;
    return strbuf_detach(&sb);
}

static const char *const valid_files[] = {"valid_rainstorm_red.xml", "valid_rainstorm_update.xml",
                                          "valid_rainstorm_cancel.xml", "valid_minimal.xml"};
#define N_VALID (sizeof valid_files / sizeof valid_files[0])

/* ---- validation -------------------------------------------------------------------------- */

static void test_valid_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VALID; i++) {
        size_t len;
        char *data = load(valid_files[i], &len);
        CapReport r = CAP_REPORT_INIT;
        size_t n = cap_validate_xml(data, len, CAP_CHECK_ALL, &r);
        if (n) {
            print_message("%s:\n", valid_files[i]);
            print_report(&r);
        }
        assert_int_equal(n, 0);
        assert_int_equal(r.n, 0);
        cap_report_clear(&r);
        free(data);
    }
}

typedef struct Expect {
    const char *file, *code, *path;
    int line;
    size_t schema; /* schema problems expected besides */
} Expect;

static const Expect invalid[] = {
    {"invalid_datetime_form.xml", "datetime_form", "/alert/sent[1]", 5, 1},
    {"invalid_polygon_not_closed.xml", "polygon_not_closed", "/alert/info[1]/area[1]/polygon[1]",
     27, 0},
    {"invalid_polygon_too_few.xml", "polygon_too_few", "/alert/info[1]/area[1]/polygon[1]", 27, 0},
    {"invalid_polygon_coord.xml", "polygon_coord", "/alert/info[1]/area[1]/polygon[1]", 27, 0},
    {"invalid_circle_form.xml", "circle_form", "/alert/info[1]/area[1]/circle[1]", 27, 0},
    {"invalid_references_missing.xml", "references_missing", "/alert/msgType[1]", 7, 0},
    {"invalid_references_form.xml", "references_form", "/alert/references[1]", 9, 0},
    {"invalid_restriction_missing.xml", "restriction_missing", "/alert/scope[1]", 8, 0},
    {"invalid_addresses_missing.xml", "addresses_missing", "/alert/scope[1]", 8, 0},
    {"invalid_expires_before_effective.xml", "expires_before_effective",
     "/alert/info[1]/expires[1]", 22, 0},
    {"invalid_info_missing.xml", "info_missing", "/alert", 2, 0},
    {"invalid_identifier_form.xml", "identifier_form", "/alert/identifier[1]", 3, 0},
    {"invalid_info_zh_missing.xml", "info_zh_missing", "/alert", 2, 0},
    {"invalid_level_severity.xml", "level_severity", "/alert/info[1]/severity[1]", 15, 0},
    {"invalid_level_missing.xml", "level_missing", "/alert/info[1]", 9, 0},
    {"invalid_event_code_form.xml", "event_code_form", "/alert/info[1]/eventCode[1]", 17, 0},
    {"invalid_geocode_form.xml", "geocode_form", "/alert/info[1]/area[1]/geocode[1]", 27, 0},
    {"invalid_schema_enum.xml", "schema", "/alert/status[1]", 6, 0},
    {"malformed.xml", "xml_malformed", "/", 8, 0},
    {"xxe_entity.xml", "xml_doctype", "/", 2, 0},
    {"billion_laughs.xml", "xml_doctype", "/", 2, 0},
};

static void test_invalid_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        const Expect *e = &invalid[i];
        size_t len;
        char *data = load(e->file, &len);
        CapReport r = CAP_REPORT_INIT;
        size_t n = cap_validate_xml(data, len, CAP_CHECK_ALL, &r);
        const CapProblem *p = find_problem(&r, e->code, e->path);
        size_t want = 1 + e->schema;
        if (!p || n != want || r.n != want || p->line != e->line ||
            (strcmp(e->code, "schema") != 0 && count_code(&r, "schema") != e->schema)) {
            print_message("%s: expected [%s] at %s line %d (+%zu schema), got:\n", e->file, e->code,
                          e->path, e->line, e->schema);
            print_report(&r);
            fail();
        }
        assert_true(p->zh[0] && p->en[0]);
        cap_report_clear(&r);
        free(data);
    }
}

/* valid_minimal.xml with `from` replaced by `to` yields `total` problems, one of them `code`
 * at `path`. */
static void expect_edit(const char *from, const char *to, const char *code, const char *path,
                        size_t total)
{
    size_t len;
    char *data = load("valid_minimal.xml", &len);
    char *at = strstr(data, from);
    assert_non_null(at);
    StrBuf sb = STRBUF_INIT;
    strbuf_add(&sb, data, (size_t)(at - data));
    strbuf_adds(&sb, to);
    strbuf_adds(&sb, at + strlen(from));
    free(data);
    CapReport r = CAP_REPORT_INIT;
    size_t n = cap_validate_xml(sb.buf, sb.len, CAP_CHECK_ALL, &r);
    if (n != total || !find_problem(&r, code, path)) {
        print_message("expected [%s] at %s (%zu in all), got:\n", code, path, total);
        print_report(&r);
        fail();
    }
    cap_report_clear(&r);
    strbuf_free(&sb);
}

static void test_more_rules(void **state)
{
    (void)state;
    expect_edit("62032111500000_20260714090000_0", "a,b", "identifier_chars",
                "/alert/identifier[1]", 1);
    expect_edit("<sender>62032111500000", "<sender>county office", "sender_chars",
                "/alert/sender[1]", 1);
    expect_edit("</areaDesc>", "</areaDesc><polygon>0x1p3,101 38,101 38,102 0x1p3,101</polygon>",
                "polygon_form", "/alert/info[1]/area[1]/polygon[1]", 1);
    expect_edit("</areaDesc>",
                "</areaDesc><polygon>38,101 38,102 39,102 38,101</polygon>"
                "<polygon>38,101 38,102 39,102</polygon>",
                "polygon_too_few", "/alert/info[1]/area[1]/polygon[2]", 1);
    expect_edit("</areaDesc>", "</areaDesc><circle>38.2,181 5</circle>", "circle_coord",
                "/alert/info[1]/area[1]/circle[1]", 1);
    expect_edit("</areaDesc>", "</areaDesc><circle>38.2,101.9 -1</circle>", "circle_coord",
                "/alert/info[1]/area[1]/circle[1]", 1);
    expect_edit("<valueName>GB/T 2260", "<valueName>UGC", "geocode_name",
                "/alert/info[1]/area[1]/geocode[1]", 1);
    expect_edit("<value>蓝色", "<value>紫色", "level_invalid", "/alert/info[1]/parameter[1]", 1);
    expect_edit("<valueName>GB/T 35561", "<valueName>SAME", "event_code_missing", "/alert/info[1]",
                1);
    expect_edit("<language>zh-CN", "<language>fr-FR", "info_language", "/alert/info[1]/language[1]",
                2); /* and info_zh_missing */
    expect_edit("</eventCode>",
                "</eventCode><onset>2026-07-14T12:00:00+08:00</onset>"
                "<expires>2026-07-14T11:00:00+08:00</expires>",
                "expires_before_onset", "/alert/info[1]/expires[1]", 1);
    expect_edit("</eventCode>", "</eventCode><effective>2026-02-30T12:00:00+08:00</effective>",
                "datetime_form", "/alert/info[1]/effective[1]", 2); /* and the schema's */
    expect_edit("<msgType>Alert</msgType>",
                "<msgType>Update</msgType><references>s,x,2026-07-14T10:00:00Z</references>",
                "references_form", "/alert/references[1]", 2); /* references before scope */
    expect_edit("<scope>Public</scope>",
                "<scope>Public</scope><references>s,x,2026-07-14T09:00:00+08:00 s,,"
                "2026-07-14T09:00:00+08:00</references>",
                "references_form", "/alert/references[1]", 1);
}

/* One message with several faults: every one of them is reported. */
static void test_all_problems_collected(void **state)
{
    (void)state;
    size_t len;
    char *data = load("valid_rainstorm_red.xml", &len);
    StrBuf sb = STRBUF_INIT;
    strbuf_add(&sb, data, len);
    free(data);
    char *s = (char *)strbuf_cstr(&sb);
    /* break: identifier form, the zh-CN severity, the en-US polygon's closing point */
    memcpy(strstr(s, "62032111500000_2026"), "6203211150000X", 14);
    char *sev = strstr(s, "<severity>Extreme</severity>");
    memcpy(sev, "<severity>Severe</severity> ", 28);
    char *poly = strstr(strstr(s, "<language>en-US</language>"), "38.20,101.90</polygon>");
    memcpy(poly, "38.21", 5);
    CapReport r = CAP_REPORT_INIT;
    size_t n = cap_validate_xml(sb.buf, sb.len, CAP_CHECK_ALL, &r);
    if (n != 3)
        print_report(&r);
    assert_int_equal(n, 3);
    assert_non_null(find_problem(&r, "identifier_form", "/alert/identifier[1]"));
    assert_non_null(find_problem(&r, "level_severity", "/alert/info[1]/severity[1]"));
    assert_non_null(find_problem(&r, "polygon_not_closed", "/alert/info[2]/area[1]/polygon[1]"));
    cap_report_clear(&r);
    /* without the profile only the polygon remains */
    n = cap_validate_xml(sb.buf, sb.len, CAP_CHECK_SPEC, &r);
    assert_int_equal(n, 1);
    assert_string_equal(r.items[0].code, "polygon_not_closed");
    cap_report_clear(&r);
    strbuf_free(&sb);
}

/* A model edited in memory is checked through its XML. */
static void test_validate_model(void **state)
{
    (void)state;
    CapAlert *a = parse_file("valid_rainstorm_red.xml");
    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_alert(a, CAP_CHECK_ALL, &r), 0);
    a->infos[1].severity = CAP_SEV_MINOR;
    a->scope = CAP_SCOPE_PRIVATE;
    assert_int_equal(cap_validate_alert(a, CAP_CHECK_ALL, &r), 2);
    assert_non_null(find_problem(&r, "level_severity", "/alert/info[2]/severity[1]"));
    assert_non_null(find_problem(&r, "addresses_missing", "/alert/scope[1]"));
    cap_report_clear(&r);
    cap_alert_free(a);
}

/* ---- round trips ------------------------------------------------------------------------- */

static void test_xml_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VALID; i++) {
        size_t len;
        char *orig = load(valid_files[i], &len);
        CapAlert *a = parse_file(valid_files[i]);
        char *once = to_xml(a);
        CapAlert *b = parse_text(once);
        char *twice = to_xml(b);
        assert_string_equal(once, twice); /* byte-stable after one normalisation */
        json_t *ja = cap_alert_to_json(a), *jb = cap_alert_to_json(b);
        assert_true(json_equal(ja, jb)); /* no value lost on the way */
        CapReport r = CAP_REPORT_INIT;
        assert_int_equal(cap_validate_xml(once, strlen(once), CAP_CHECK_ALL, &r), 0);
        /* every element of the original, in its order, is in the output (the files are
         * written in the normalised form apart from comments) */
        for (const char *p = strstr(orig, "<alert"), *q = strstr(once, "<alert"); p;) {
            const char *end = strchr(p, '\n');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)n, p);
            const char *at = strstr(q, line);
            if (!at) {
                print_message("%s: line not in output: %s\n", valid_files[i], line);
                fail();
            }
            q = at + n;
            p = end ? end + 1 : NULL;
        }
        json_decref(ja);
        json_decref(jb);
        free(once);
        free(twice);
        free(orig);
        cap_alert_free(a);
        cap_alert_free(b);
    }
}

static void test_values_kept(void **state)
{
    (void)state;
    CapAlert *a = parse_file("valid_rainstorm_red.xml");
    assert_int_equal(a->n_infos, 2);
    assert_string_equal(a->infos[0].language, "zh-CN");
    assert_int_equal(a->infos[0].severity, CAP_SEV_EXTREME);
    assert_int_equal(a->infos[0].n_response_types, 2);
    assert_int_equal(a->infos[0].response_types[1], CAP_RESP_EVACUATE);
    assert_true(strstr(a->infos[0].description, "以上，\n可能引发") != NULL); /* inner newline */
    const char *tail = "flash floods & urban waterlogging possible.";         /* &amp; decoded */
    const char *d = a->infos[1].description;
    assert_true(strlen(d) > strlen(tail));
    assert_string_equal(d + strlen(d) - strlen(tail), tail);
    assert_int_equal(a->infos[0].n_areas, 2);
    assert_string_equal(a->infos[0].areas[0].circles[0], "38.2470,101.9720 5.0");
    assert_int_equal(a->infos[0].areas[0].n_geocodes, 2);
    assert_string_equal(a->infos[0].areas[1].altitude, "1900.5");
    assert_string_equal(a->infos[0].resources[0].size, "204800");
    assert_string_equal(a->codes[0], "GB/T 35965.1-2018");
    assert_int_equal(cap_level_from_colour(a->infos[0].parameters[0].value), CAP_LEVEL_RED);
    cap_alert_free(a);

    /* surrounding white space is the normalisation: trimmed on reading */
    const char *xml = "<alert xmlns='" CAP_NS "'><identifier>\n  x-1 \t</identifier>"
                      "<sender>s</sender><sent> 2026-07-14T10:00:00+08:00\n</sent>"
                      "<status>Test</status><msgType>Ack</msgType><scope>Public</scope>"
                      "<references>s,x-0,2026-07-14T09:00:00+08:00</references></alert>";
    a = parse_text(xml);
    assert_string_equal(a->identifier, "x-1");
    assert_string_equal(a->sent, "2026-07-14T10:00:00+08:00");
    assert_int_equal(a->n_infos, 0);
    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_alert(a, CAP_CHECK_SPEC, &r), 0); /* Ack needs no info */
    cap_report_clear(&r);
    cap_alert_free(a);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VALID; i++) {
        CapAlert *a = parse_file(valid_files[i]);
        char *xml1 = to_xml(a);
        json_t *j = cap_alert_to_json(a);
        char *text = json_dumps(j, JSON_COMPACT);
        json_error_t je;
        json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        assert_non_null(back);
        CapAlert *b = NULL;
        Error err = ERROR_INIT;
        assert_ok(cap_alert_from_json(back, &b, &err), err);
        char *xml2 = to_xml(b);
        assert_string_equal(xml1, xml2);
        json_t *j2 = cap_alert_to_json(b);
        assert_true(json_equal(j, j2));
        json_decref(j2);
        free(xml2);
        cap_alert_free(b);
        json_decref(back);
        free(text);
        json_decref(j);
        free(xml1);
        cap_alert_free(a);
    }
}

static void test_json_refused(void **state)
{
    (void)state;
    CapAlert *a = parse_file("valid_minimal.xml");
    json_t *good = cap_alert_to_json(a);
    cap_alert_free(a);
    Error err = ERROR_INIT;
    CapAlert *b = NULL;

    json_t *j = json_deep_copy(good);
    json_object_set_new(j, "colour", json_string("红"));
    assert_err(cap_alert_from_json(j, &b, &err), err, 400);
    assert_null(b);
    json_decref(j);

    j = json_deep_copy(good);
    json_object_set_new(json_array_get(json_object_get(j, "info"), 0), "severity",
                        json_string("Catastrophic"));
    assert_int_equal(cap_alert_from_json(j, &b, &err), -1);
    assert_string_equal(err.code, "cap_invalid");
    assert_non_null(json_object_get(err.fields, "/alert/info[1]/severity"));
    error_clear(&err);
    json_decref(j);

    j = json_deep_copy(good);
    json_object_del(j, "sent");
    assert_int_equal(cap_alert_from_json(j, &b, &err), -1);
    assert_non_null(json_object_get(err.fields, "/alert/sent"));
    error_clear(&err);
    json_decref(j);

    j = json_deep_copy(good);
    json_object_set_new(json_array_get(json_object_get(j, "info"), 0), "category", json_array());
    assert_err(cap_alert_from_json(j, &b, &err), err, 400);
    json_decref(j);

    j = json_deep_copy(good);
    json_object_set_new(j, "note", json_integer(3));
    assert_err(cap_alert_from_json(j, &b, &err), err, 400);
    json_decref(j);

    /* a control character cannot be written as XML */
    j = json_deep_copy(good);
    json_object_set_new(j, "note", json_string("bell\x07"));
    assert_ok(cap_alert_from_json(j, &b, &err), err);
    StrBuf sb = STRBUF_INIT;
    assert_err(cap_alert_to_xml(b, &sb, &err), err, 400);
    strbuf_free(&sb);
    cap_alert_free(b);
    json_decref(j);
    json_decref(good);
}

/* ---- hostile documents ------------------------------------------------------------------- */

static void test_xxe_never_resolved(void **state)
{
    (void)state;
    Secret sec;
    secret_make(&sec);
    size_t len;
    char *data = aim_at_secret("xxe_entity.xml", &sec, &len);
    assert_non_null(strstr(data, sec.path));
    assert_non_null(strstr(data, "&e;"));

    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_xml(data, len, CAP_CHECK_ALL, &r), 1);
    assert_string_equal(r.items[0].code, "xml_doctype");
    assert_null(strstr(r.items[0].en, sec.text));
    cap_report_clear(&r);
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    assert_int_equal(cap_alert_from_xml(data, len, &a, &err), -1);
    assert_null(a);
    assert_string_equal(err.code, "xml_doctype");
    assert_null(strstr(err.message_en, sec.text));
    error_clear(&err);

    /* an internal entity is refused the same way: no DOCTYPE at all */
    const char *internal = "<?xml version='1.0'?><!DOCTYPE alert [<!ENTITY e '秘密'>]>"
                           "<alert xmlns='" CAP_NS "'><identifier>&e;</identifier></alert>";
    assert_int_equal(cap_validate_xml(internal, strlen(internal), CAP_CHECK_ALL, &r), 1);
    assert_string_equal(r.items[0].code, "xml_doctype");
    assert_null(strstr(r.items[0].en, "秘密"));
    cap_report_clear(&r);

    /* the process-wide loader refuses files even to a careless caller of libxml2 that asks for
     * entity substitution and DTD loading */
    cap_xml_init();
    xmlDocPtr doc = xmlReadMemory(data, (int)len, "x.xml", NULL,
                                  XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    if (doc) {
        xmlChar *dump = NULL;
        int size = 0;
        xmlDocDumpMemory(doc, &dump, &size);
        assert_null(strstr((const char *)dump, sec.text));
        xmlFree(dump);
        xmlFreeDoc(doc);
    }
    free(data);
    unlink(sec.path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_billion_laughs_refused_quickly(void **state)
{
    (void)state;
    size_t len;
    char *data = load("billion_laughs.xml", &len);
    assert_non_null(strstr(data, "<!ENTITY lol9"));
    double t0 = now_s();
    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_xml(data, len, CAP_CHECK_ALL, &r), 1);
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    assert_int_equal(cap_alert_from_xml(data, len, &a, &err), -1);
    double took = now_s() - t0;
    assert_string_equal(r.items[0].code, "xml_doctype");
    assert_string_equal(err.code, "xml_doctype");
    assert_true(took < 0.5);
    error_clear(&err);
    cap_report_clear(&r);
    free(data);
}

static void test_xinclude_not_processed(void **state)
{
    (void)state;
    Secret sec;
    secret_make(&sec);
    size_t len;
    char *data = aim_at_secret("xinclude.xml", &sec, &len);
    assert_non_null(strstr(data, "<xi:include"));
    CapReport r = CAP_REPORT_INIT; /* a ##other element: valid, and ignored by the model */
    assert_int_equal(cap_validate_xml(data, len, CAP_CHECK_ALL, &r), 0);
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    assert_ok(cap_alert_from_xml(data, len, &a, &err), err);
    json_t *j = cap_alert_to_json(a);
    char *text = json_dumps(j, 0);
    char *xml = to_xml(a);
    assert_null(strstr(xml, "include"));
    assert_null(strstr(text, "include"));
    assert_null(strstr(xml, sec.text));
    assert_null(strstr(text, sec.text));
    free(xml);
    free(text);
    json_decref(j);
    cap_alert_free(a);
    free(data);
    unlink(sec.path);
}

static void test_too_large_refused(void **state)
{
    (void)state;
    size_t len = CAP_MAX_BYTES + 1;
    char *big = xmalloc(len);
    memset(big, ' ', len);
    CapReport r = CAP_REPORT_INIT;
    assert_int_equal(cap_validate_xml(big, len, CAP_CHECK_ALL, &r), 1);
    assert_string_equal(r.items[0].code, "xml_too_large");
    cap_report_clear(&r);
    free(big);
}

static void test_not_cap(void **state)
{
    (void)state;
    const char *other = "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.1'><x/></alert>";
    CapReport r = CAP_REPORT_INIT;
    assert_true(cap_validate_xml(other, strlen(other), CAP_CHECK_ALL, &r) >= 1);
    assert_string_equal(r.items[0].code, "schema");
    cap_report_clear(&r);
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    assert_err(cap_alert_from_xml(other, strlen(other), &a, &err), err, 400);
}

/* ---- builders ---------------------------------------------------------------------------- */

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

static void test_times(void **state)
{
    (void)state;
    time_t t;
    assert_int_equal(cap_parse_time("2026-07-14T08:30:00+08:00", &t), 0);
    assert_int_equal(t, utc(2026, 7, 14, 0, 30, 0));
    assert_int_equal(cap_parse_time("2024-02-29T23:59:59-05:30", &t), 0);
    assert_int_equal(t, utc(2024, 3, 1, 5, 29, 59));
    assert_int_equal(cap_parse_time("2026-01-01T00:00:00-00:00", &t), 0);
    assert_int_equal(t, utc(2026, 1, 1, 0, 0, 0));
    const char *bad[] = {"2026-07-14T00:30:00Z",      "2026-07-14T00:30:00.5+08:00",
                         "2026-07-14T00:30:00+00:00", "2026-02-30T00:00:00+08:00",
                         "2026-07-14 00:30:00+08:00", "2026-07-14T24:00:00+08:00",
                         "2026-07-14T00:30:00+0800",  ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cap_parse_time(bad[i], &t) == 0) {
            print_message("accepted: %s\n", bad[i]);
            fail();
        }
    char out[26];
    cap_format_time(utc(2026, 7, 14, 0, 30, 0), out);
    assert_string_equal(out, "2026-07-14T08:30:00+08:00");
    assert_int_equal(cap_parse_time(out, &t), 0);
    assert_int_equal(t, utc(2026, 7, 14, 0, 30, 0));
}

static void test_identifier_and_geocodes(void **state)
{
    (void)state;
    char id[32];
    Error err = ERROR_INIT;
    assert_ok(cap_make_identifier("62032111500000", utc(2026, 7, 14, 0, 30, 0), 3, id, &err), err);
    assert_string_equal(id, "62032111500000_20260714083000_3");
    assert_int_equal(strlen(id), 31);
    assert_true(cap_identifier_ok(id));
    assert_err(cap_make_identifier("620321", 0, 0, id, &err), err, 400);
    assert_err(cap_make_identifier("62032111500000", 0, 10, id, &err), err, 400);
    assert_false(cap_identifier_ok("62032111500000_20261314083000_3")); /* month 13 */
    assert_false(cap_identifier_ok("62032111500000-20260714083000-3"));
    assert_false(cap_identifier_ok("62032111500000_20260714083000_35"));

    char geo[13];
    assert_ok(cap_division_geocode("620321", geo, &err), err);
    assert_string_equal(geo, "620321000000");
    assert_ok(cap_division_geocode("620321101", geo, &err), err);
    assert_string_equal(geo, "620321101000");
    assert_ok(cap_division_geocode("620321101203", geo, &err), err);
    assert_string_equal(geo, "620321101203");
    assert_err(cap_division_geocode("62032", geo, &err), err, 400);
    assert_err(cap_division_geocode("62032a", geo, &err), err, 400);
}

static void test_levels_and_enums(void **state)
{
    (void)state;
    const CapSeverity want[] = {CAP_SEV_EXTREME, CAP_SEV_SEVERE, CAP_SEV_MODERATE, CAP_SEV_MINOR};
    const char *colours[] = {"红色", "橙色", "黄色", "蓝色"};
    const char *romans[] = {"I", "II", "III", "IV"};
    for (int i = 0; i < 4; i++) {
        CapLevel l = cap_level_from_colour(colours[i]);
        const CapLevelInfo *li = cap_level_info(l);
        assert_non_null(li);
        assert_int_equal(li->severity, want[i]);
        assert_string_equal(li->roman, romans[i]);
        assert_int_equal(cap_level_from_severity(want[i]), l);
    }
    assert_int_equal(cap_level_from_colour("紫色"), CAP_LEVEL_NONE);
    assert_int_equal(cap_level_from_severity(CAP_SEV_UNKNOWN), CAP_LEVEL_NONE);
    assert_int_equal(cap_enum_find(&cap_category_enum, "CBRNE"), CAP_CAT_CBRNE);
    assert_int_equal(cap_enum_find(&cap_response_type_enum, "AllClear"), CAP_RESP_ALLCLEAR);
    assert_int_equal(cap_enum_find(&cap_msg_type_enum, "alert"), -1);
    assert_string_equal(cap_enum_code(&cap_certainty_enum, CAP_CERT_UNLIKELY), "Unlikely");
    assert_null(cap_enum_code(&cap_scope_enum, 3));
}

/* ---- the commands ------------------------------------------------------------------------ */

typedef struct Capture {
    char *buf;
    size_t len;
    FILE *f;
} Capture;

static void cap_open(Capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static void cap_close(Capture *c)
{
    fclose(c->f);
}

static void test_cmd_validate(void **state)
{
    (void)state;
    Capture out, err;
    const char *ok[] = {DATA "valid_rainstorm_red.xml", DATA "valid_minimal.xml"};
    cap_open(&out);
    cap_open(&err);
    assert_int_equal(cap_cmd_validate(ok, 2, out.f, err.f), 0);
    cap_close(&out);
    cap_close(&err);
    assert_non_null(strstr(out.buf, DATA "valid_minimal.xml: 有效 / valid\n"));
    free(out.buf);
    free(err.buf);

    const char *mixed[] = {DATA "valid_minimal.xml", DATA "invalid_polygon_not_closed.xml"};
    cap_open(&out);
    cap_open(&err);
    assert_int_equal(cap_cmd_validate(mixed, 2, out.f, err.f), 1);
    cap_close(&out);
    cap_close(&err);
    assert_non_null(strstr(out.buf, DATA "invalid_polygon_not_closed.xml:27: "
                                         "/alert/info[1]/area[1]/polygon[1]: 多边形未闭合："
                                         "最后一个点应与第一个点相同 / polygon not closed: the "
                                         "last point must equal the first\n"));
    free(out.buf);
    free(err.buf);

    const char *missing[] = {DATA "valid_minimal.xml", DATA "no-such-file.xml"};
    cap_open(&out);
    cap_open(&err);
    assert_int_equal(cap_cmd_validate(missing, 2, out.f, err.f), 2);
    cap_close(&out);
    cap_close(&err);
    assert_non_null(strstr(err.buf, "no-such-file.xml"));
    free(out.buf);
    free(err.buf);
}

static void test_cmd_convert(void **state)
{
    (void)state;
    Capture out, err;
    /* XML → JSON */
    cap_open(&out);
    cap_open(&err);
    assert_int_equal(cap_cmd_convert(DATA "valid_rainstorm_red.xml", "json", out.f, err.f), 0);
    cap_close(&out);
    cap_close(&err);
    json_error_t je;
    json_t *j = json_loads(out.buf, 0, &je);
    assert_non_null(j);
    CapAlert *a = parse_file("valid_rainstorm_red.xml");
    json_t *want = cap_alert_to_json(a);
    assert_true(json_equal(j, want));
    json_decref(want);
    json_decref(j);

    /* that JSON → XML gives the normalised XML of the original */
    char tmp[] = "/tmp/yingji-cap-XXXXXX.json";
    int fd = mkstemps(tmp, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, out.buf, out.len), (ssize_t)out.len);
    close(fd);
    free(out.buf);
    free(err.buf);
    cap_open(&out);
    cap_open(&err);
    assert_int_equal(cap_cmd_convert(tmp, "xml", out.f, err.f), 0);
    cap_close(&out);
    cap_close(&err);
    unlink(tmp);
    char *xml = to_xml(a);
    assert_string_equal(out.buf, xml);
    free(xml);
    free(out.buf);
    free(err.buf);
    cap_alert_free(a);

    /* invalid input: problems on err, exit 1; bad --to: 2 */
    cap_open(&out);
    cap_open(&err);
    assert_int_equal(cap_cmd_convert(DATA "invalid_level_severity.xml", "json", out.f, err.f), 1);
    assert_int_equal(cap_cmd_convert(DATA "valid_minimal.xml", "yaml", out.f, err.f), 2);
    assert_int_equal(cap_cmd_convert(DATA "xxe_entity.xml", "xml", out.f, err.f), 1);
    cap_close(&out);
    cap_close(&err);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(err.buf, "/alert/info[1]/severity[1]"));
    assert_non_null(strstr(err.buf, "DOCTYPE"));
    free(out.buf);
    free(err.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_messages),
        cmocka_unit_test(test_invalid_messages),
        cmocka_unit_test(test_more_rules),
        cmocka_unit_test(test_all_problems_collected),
        cmocka_unit_test(test_validate_model),
        cmocka_unit_test(test_xml_round_trip),
        cmocka_unit_test(test_values_kept),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_refused),
        cmocka_unit_test(test_xxe_never_resolved),
        cmocka_unit_test(test_billion_laughs_refused_quickly),
        cmocka_unit_test(test_xinclude_not_processed),
        cmocka_unit_test(test_too_large_refused),
        cmocka_unit_test(test_not_cap),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_identifier_and_geocodes),
        cmocka_unit_test(test_levels_and_enums),
        cmocka_unit_test(test_cmd_validate),
        cmocka_unit_test(test_cmd_convert),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
