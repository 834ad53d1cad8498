/* modules/publish/cap_validate — checking a CAP 1.2 message: the XML Schema (embedded below,
 * written from the OASIS CAP 1.2 specification, run by libxml2's xmlSchema), the rules of the
 * specification the schema cannot express, and the GB/T 35965.1 profile; plus the `yingji cap`
 * commands. Every problem carries its line, element path, code and both messages; all problems
 * are collected. Contract in cap.h, the rule list in docs/cap.md. */
#include "modules/publish/cap.h"

#include "core/fileio.h"
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* ---- the schema --------------------------------------------------------------------------- */

/* CAP 1.2 as its specification defines it (section 3.4): the alert/info/resource/area
 * sequences in their order, the enumerations, the dateTime pattern without "Z", and the
 * ##other extension point after the info blocks. */
static const char cap_xsd[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'\n"
    "    xmlns:cap='" CAP_NS "' targetNamespace='" CAP_NS "'\n"
    "    elementFormDefault='qualified' attributeFormDefault='unqualified' version='1.2'>\n"
    " <xs:simpleType name='DateTime'><xs:restriction base='xs:dateTime'>\n"
    "  <xs:pattern value='\\d\\d\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[\\-+]\\d\\d:\\d\\d'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='Status'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Actual'/><xs:enumeration value='Exercise'/>\n"
    "  <xs:enumeration value='System'/><xs:enumeration value='Test'/>\n"
    "  <xs:enumeration value='Draft'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='MsgType'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Alert'/><xs:enumeration value='Update'/>\n"
    "  <xs:enumeration value='Cancel'/><xs:enumeration value='Ack'/>\n"
    "  <xs:enumeration value='Error'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='Scope'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Public'/><xs:enumeration value='Restricted'/>\n"
    "  <xs:enumeration value='Private'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='Category'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Geo'/><xs:enumeration value='Met'/>\n"
    "  <xs:enumeration value='Safety'/><xs:enumeration value='Security'/>\n"
    "  <xs:enumeration value='Rescue'/><xs:enumeration value='Fire'/>\n"
    "  <xs:enumeration value='Health'/><xs:enumeration value='Env'/>\n"
    "  <xs:enumeration value='Transport'/><xs:enumeration value='Infra'/>\n"
    "  <xs:enumeration value='CBRNE'/><xs:enumeration value='Other'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='ResponseType'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Shelter'/><xs:enumeration value='Evacuate'/>\n"
    "  <xs:enumeration value='Prepare'/><xs:enumeration value='Execute'/>\n"
    "  <xs:enumeration value='Avoid'/><xs:enumeration value='Monitor'/>\n"
    "  <xs:enumeration value='Assess'/><xs:enumeration value='AllClear'/>\n"
    "  <xs:enumeration value='None'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='Urgency'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Immediate'/><xs:enumeration value='Expected'/>\n"
    "  <xs:enumeration value='Future'/><xs:enumeration value='Past'/>\n"
    "  <xs:enumeration value='Unknown'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='Severity'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Extreme'/><xs:enumeration value='Severe'/>\n"
    "  <xs:enumeration value='Moderate'/><xs:enumeration value='Minor'/>\n"
    "  <xs:enumeration value='Unknown'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:simpleType name='Certainty'><xs:restriction base='xs:string'>\n"
    "  <xs:enumeration value='Observed'/><xs:enumeration value='Likely'/>\n"
    "  <xs:enumeration value='Possible'/><xs:enumeration value='Unlikely'/>\n"
    "  <xs:enumeration value='Unknown'/>\n"
    " </xs:restriction></xs:simpleType>\n"
    " <xs:complexType name='Pair'><xs:sequence>\n"
    "  <xs:element name='valueName' type='xs:string'/>\n"
    "  <xs:element name='value' type='xs:string'/>\n"
    " </xs:sequence></xs:complexType>\n"
    " <xs:complexType name='Resource'><xs:sequence>\n"
    "  <xs:element name='resourceDesc' type='xs:string'/>\n"
    "  <xs:element name='mimeType' type='xs:string'/>\n"
    "  <xs:element name='size' type='xs:integer' minOccurs='0'/>\n"
    "  <xs:element name='uri' type='xs:anyURI' minOccurs='0'/>\n"
    "  <xs:element name='derefUri' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='digest' type='xs:string' minOccurs='0'/>\n"
    " </xs:sequence></xs:complexType>\n"
    " <xs:complexType name='Area'><xs:sequence>\n"
    "  <xs:element name='areaDesc' type='xs:string'/>\n"
    "  <xs:element name='polygon' type='xs:string' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='circle' type='xs:string' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='geocode' type='cap:Pair' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='altitude' type='xs:decimal' minOccurs='0'/>\n"
    "  <xs:element name='ceiling' type='xs:decimal' minOccurs='0'/>\n"
    " </xs:sequence></xs:complexType>\n"
    " <xs:complexType name='Info'><xs:sequence>\n"
    "  <xs:element name='language' type='xs:language' default='en-US' minOccurs='0'/>\n"
    "  <xs:element name='category' type='cap:Category' maxOccurs='unbounded'/>\n"
    "  <xs:element name='event' type='xs:string'/>\n"
    "  <xs:element name='responseType' type='cap:ResponseType' minOccurs='0'\n"
    "      maxOccurs='unbounded'/>\n"
    "  <xs:element name='urgency' type='cap:Urgency'/>\n"
    "  <xs:element name='severity' type='cap:Severity'/>\n"
    "  <xs:element name='certainty' type='cap:Certainty'/>\n"
    "  <xs:element name='audience' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='eventCode' type='cap:Pair' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='effective' type='cap:DateTime' minOccurs='0'/>\n"
    "  <xs:element name='onset' type='cap:DateTime' minOccurs='0'/>\n"
    "  <xs:element name='expires' type='cap:DateTime' minOccurs='0'/>\n"
    "  <xs:element name='senderName' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='headline' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='description' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='instruction' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='web' type='xs:anyURI' minOccurs='0'/>\n"
    "  <xs:element name='contact' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='parameter' type='cap:Pair' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='resource' type='cap:Resource' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='area' type='cap:Area' minOccurs='0' maxOccurs='unbounded'/>\n"
    " </xs:sequence></xs:complexType>\n"
    " <xs:element name='alert'><xs:complexType><xs:sequence>\n"
    "  <xs:element name='identifier' type='xs:string'/>\n"
    "  <xs:element name='sender' type='xs:string'/>\n"
    "  <xs:element name='sent' type='cap:DateTime'/>\n"
    "  <xs:element name='status' type='cap:Status'/>\n"
    "  <xs:element name='msgType' type='cap:MsgType'/>\n"
    "  <xs:element name='source' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='scope' type='cap:Scope'/>\n"
    "  <xs:element name='restriction' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='addresses' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='code' type='xs:string' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:element name='note' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='references' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='incidents' type='xs:string' minOccurs='0'/>\n"
    "  <xs:element name='info' type='cap:Info' minOccurs='0' maxOccurs='unbounded'/>\n"
    "  <xs:any minOccurs='0' maxOccurs='unbounded' namespace='##other' processContents='lax'/>\n"
    " </xs:sequence></xs:complexType></xs:element>\n"
    "</xs:schema>\n";

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

static void schema_compile_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    log_error("CAP schema: %s", e && e->message ? e->message : "?");
}

static void schema_init(void)
{
    cap_xml_init();
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(cap_xsd, (int)strlen(cap_xsd));
    xmlSchemaSetParserStructuredErrors(pc, schema_compile_error, NULL);
    schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
}

/* ---- places ------------------------------------------------------------------------------- */

/* /alert/info[1]/area[2]/polygon[1]: the root without an index, below it the position among
 * same-named siblings. */
static void node_path(const xmlNode *n, char *out, size_t size)
{
    const xmlNode *chain[64];
    int depth = 0;
    for (const xmlNode *p = n; p && p->type == XML_ELEMENT_NODE && depth < 64; p = p->parent)
        chain[depth++] = p;
    size_t len = 0;
    out[0] = 0;
    for (int i = depth - 1; i >= 0 && len < size; i--) {
        const xmlNode *e = chain[i];
        if (i == depth - 1) {
            len += (size_t)snprintf(out + len, size - len, "/%s", (const char *)e->name);
            continue;
        }
        int k = 1;
        for (const xmlNode *s = e->prev; s; s = s->prev)
            k += s->type == XML_ELEMENT_NODE &&
                 strcmp((const char *)s->name, (const char *)e->name) == 0;
        len += (size_t)snprintf(out + len, size - len, "/%s[%d]", (const char *)e->name, k);
    }
    if (!out[0])
        snprintf(out, size, "/");
}

typedef struct V {
    CapReport *r;
    Arena tmp; /* texts read during one validation */
    unsigned checks;
} V;

static void problem(V *v, const xmlNode *n, const char *code, const char *zh, const char *en, ...)
{
    char path[256], zbuf[512], ebuf[512];
    node_path(n, path, sizeof path);
    va_list ap, ap2;
    va_start(ap, en);
    va_copy(ap2, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(zbuf, sizeof zbuf, zh, ap);
    vsnprintf(ebuf, sizeof ebuf, en, ap2);
#pragma GCC diagnostic pop
    va_end(ap2);
    va_end(ap);
    cap_report_add(v->r, (int)xmlGetLineNo(n), path, code, zbuf, ebuf);
}

/* Removes "{urn:…cap:1.2}" from libxml2's schema messages and the trailing newline. */
static void tidy_message(const char *in, char *out, size_t size)
{
    static const char ns[] = "{" CAP_NS "}";
    size_t k = 0;
    for (const char *p = in; *p && k + 1 < size;) {
        if (strncmp(p, ns, sizeof ns - 1) == 0) {
            p += sizeof ns - 1;
            continue;
        }
        out[k++] = *p++;
    }
    while (k && (out[k - 1] == '\n' || out[k - 1] == ' '))
        k--;
    out[k] = 0;
}

static void on_schema_error(void *ctx, xmlErrorPtr e)
{
    V *v = ctx;
    if (!e || e->level < XML_ERR_ERROR)
        return;
    char msg[400], path[256] = "/";
    tidy_message(e->message ? e->message : "?", msg, sizeof msg);
    if (e->node)
        node_path(e->node, path, sizeof path);
    int line = e->node ? (int)xmlGetLineNo(e->node) : e->line;
    cap_report_addf(v->r, line, path, "schema", "不符合 CAP 1.2 模式：%s",
                    "does not match the CAP 1.2 schema: %s", msg);
}

/* ---- DOM helpers -------------------------------------------------------------------------- */

static int is_cap(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           strcmp((const char *)n->ns->href, CAP_NS) == 0;
}

static int named(const xmlNode *n, const char *name)
{
    return is_cap(n) && strcmp((const char *)n->name, name) == 0;
}

/* The first child named name after `after` (NULL: from the start). */
static xmlNode *next_named(const xmlNode *parent, const xmlNode *after, const char *name)
{
    for (xmlNode *c = after ? after->next : parent->children; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

#define EACH(var, parent, name)                                                                    \
    for (xmlNode *var = next_named(parent, NULL, name); var; var = next_named(parent, var, name))

/* Trimmed text of n (in v->tmp); NULL when n is NULL. */
static const char *text(V *v, const xmlNode *n)
{
    if (!n)
        return NULL;
    xmlChar *raw = xmlNodeGetContent(n);
    const char *s = raw ? (const char *)raw : "";
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    while (len && strchr(" \t\r\n", *s)) {
        s++;
        len--;
    }
    char *out = arena_strndup(&v->tmp, s, len);
    xmlFree(raw);
    return out;
}

static const char *child_text(V *v, const xmlNode *parent, const char *name)
{
    return text(v, next_named(parent, NULL, name));
}

/* ---- the specification's rules ------------------------------------------------------------- */

static int has_restricted_chars(const char *s)
{
    return strpbrk(s, " \t\r\n,<&") != NULL;
}

static int check_time(V *v, const xmlNode *n, time_t *t)
{
    const char *s = text(v, n);
    if (!s || cap_parse_time(s, t) == 0)
        return s ? 0 : -1;
    problem(v, n, "datetime_form",
            "时间“%s”格式不对：应为 YYYY-MM-DDThh:mm:ss±hh:mm（不用 Z、不带小数秒，UTC 写作 "
            "-00:00）",
            "time \"%s\" must be YYYY-MM-DDThh:mm:ss±hh:mm (no Z, no fractional seconds, UTC "
            "as -00:00)",
            s);
    return -1;
}

static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf || strspn(s, "+-.0123456789") < len)
        return -1; /* plain decimals only: no hex, exponents, inf or nan */
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || errno || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

/* "lat,lon" → 0; -1 bad form. */
static int parse_point(const char *s, size_t len, double *lat, double *lon)
{
    const char *comma = memchr(s, ',', len);
    if (!comma)
        return -1;
    return parse_number(s, (size_t)(comma - s), lat) < 0 ||
                   parse_number(comma + 1, len - (size_t)(comma - s) - 1, lon) < 0
               ? -1
               : 0;
}

static int point_in_range(double lat, double lon)
{
    return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

/* The next whitespace-separated token of *p: its start, its length in *len; NULL at the end. */
static const char *next_word(const char **p, size_t *len)
{
    const char *q = *p;
    while (*q && isspace((unsigned char)*q))
        q++;
    if (!*q)
        return NULL;
    const char *start = q;
    while (*q && !isspace((unsigned char)*q))
        q++;
    *len = (size_t)(q - start);
    *p = q;
    return start;
}

static void check_polygon(V *v, const xmlNode *n)
{
    const char *s = text(v, n);
    double first_lat = 0, first_lon = 0, lat = 0, lon = 0;
    int count = 0, out_of_range = 0;
    size_t len;
    for (const char *p = s, *start; (start = next_word(&p, &len));) {
        if (parse_point(start, len, &lat, &lon) < 0) {
            problem(v, n, "polygon_form", "多边形第 %d 个点“%.*s”应为“纬度,经度”",
                    "polygon point %d \"%.*s\" must be \"lat,lon\"", count + 1, (int)len, start);
            return;
        }
        if (!point_in_range(lat, lon))
            out_of_range = out_of_range ? out_of_range : count + 1;
        if (count++ == 0) {
            first_lat = lat;
            first_lon = lon;
        }
    }
    if (out_of_range)
        problem(v, n, "polygon_coord", "多边形第 %d 个点超出范围（纬度 −90…90，经度 −180…180）",
                "polygon point %d out of range (lat -90..90, lon -180..180)", out_of_range);
    if (count < 4)
        problem(v, n, "polygon_too_few", "多边形只有 %d 个点，至少需要 4 个（首尾相同）",
                "polygon has %d points; at least 4 are needed (first = last)", count);
    else if (first_lat != lat || first_lon != lon)
        problem(v, n, "polygon_not_closed", "多边形未闭合：最后一个点应与第一个点相同",
                "polygon not closed: the last point must equal the first");
}

static void check_circle(V *v, const xmlNode *n)
{
    const char *s = text(v, n);
    const char *sp = s;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    const char *r = sp;
    while (*r && isspace((unsigned char)*r))
        r++;
    double lat, lon, radius;
    if (parse_point(s, (size_t)(sp - s), &lat, &lon) < 0 ||
        parse_number(r, strlen(r), &radius) < 0) {
        problem(v, n, "circle_form", "圆“%s”应为“纬度,经度 半径公里”",
                "circle \"%s\" must be \"lat,lon radius_km\"", s);
        return;
    }
    if (!point_in_range(lat, lon) || radius < 0)
        problem(v, n, "circle_coord", "圆心超出范围或半径为负：“%s”",
                "circle centre out of range or negative radius: \"%s\"", s);
}

/* Each space-separated reference is sender,identifier,sent with a CAP time. */
static void check_references(V *v, const xmlNode *n)
{
    const char *s = text(v, n);
    size_t len;
    for (const char *p = s, *start; (start = next_word(&p, &len));) {
        char *ref = arena_strndup(&v->tmp, start, len);
        char *c1 = strchr(ref, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        time_t t;
        int ok = c1 && c2 && c1 > ref && c2 > c1 + 1 && !strchr(c2 + 1, ',');
        if (ok && cap_parse_time(c2 + 1, &t) < 0)
            ok = 0;
        if (!ok)
            problem(v, n, "references_form", "引用“%s”应为“发送者,标识符,发送时间”，多条以空格分隔",
                    "reference \"%s\" must be \"sender,identifier,sent\", several separated by "
                    "spaces",
                    ref);
    }
}

static void check_area(V *v, const xmlNode *area)
{
    EACH(p, area, "polygon")
    check_polygon(v, p);
    EACH(c, area, "circle")
    check_circle(v, c);
    if (!(v->checks & CAP_CHECK_PROFILE))
        return;
    EACH(g, area, "geocode")
    {
        const char *name = child_text(v, g, "valueName"), *value = child_text(v, g, "value");
        if (!name || strcmp(name, CAP_GEOCODE_NAME) != 0)
            problem(v, g, "geocode_name", "地理编码的 valueName 应为“%s”（行政区划代码）",
                    "geocode valueName must be \"%s\" (division code)", CAP_GEOCODE_NAME);
        else if (!value || strlen(value) != 12 || strspn(value, "0123456789") != 12)
            problem(v, g, "geocode_form", "行政区划代码“%s”应为 12 位数字",
                    "division code \"%s\" must have 12 digits", value ? value : "");
    }
}

/* ---- the GB/T 35965.1 profile per info ---------------------------------------------------- */

static int event_code_ok(const char *s)
{
    /* '1', category digit, class letter (I, O unused) or 0, two-digit item */
    return s && strlen(s) == 5 && s[0] == '1' && isdigit((unsigned char)s[1]) &&
           (s[2] == '0' || (s[2] >= 'A' && s[2] <= 'Z' && s[2] != 'I' && s[2] != 'O')) &&
           isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]);
}

static void check_language(V *v, const xmlNode *info)
{
    const xmlNode *lang = next_named(info, NULL, "language");
    const char *l = lang ? text(v, lang) : CAP_LANG_EN;
    if (strcmp(l, CAP_LANG_ZH) != 0 && strcmp(l, CAP_LANG_EN) != 0)
        problem(v, lang, "info_language", "语言“%s”不在本配置中：只用 zh-CN 和 en-US",
                "language \"%s\" is not in the profile: zh-CN and en-US only", l);
}

/* The 预警级别 parameter is present, a known colour, and matches the severity. */
static void check_level(V *v, const xmlNode *info)
{
    const xmlNode *param = NULL;
    EACH(p, info, "parameter")
    {
        const char *name = child_text(v, p, "valueName");
        if (name && strcmp(name, CAP_LEVEL_PARAM) == 0 && !param)
            param = p;
    }
    if (!param) {
        problem(v, info, "level_missing", "缺少预警级别参数（valueName “%s”）",
                "warning level parameter missing (valueName \"%s\")", CAP_LEVEL_PARAM);
        return;
    }
    const char *colour = child_text(v, param, "value");
    const CapLevelInfo *li = cap_level_info(cap_level_from_colour(colour));
    if (!li) {
        problem(v, param, "level_invalid", "预警级别“%s”应为 红色、橙色、黄色 或 蓝色",
                "warning level \"%s\" must be 红色, 橙色, 黄色 or 蓝色", colour ? colour : "");
        return;
    }
    const xmlNode *sev = next_named(info, NULL, "severity");
    int s = cap_enum_find(&cap_severity_enum, text(v, sev));
    if (sev && s >= 0 && (CapSeverity)s != li->severity)
        problem(v, sev, "level_severity", "严重程度 %s 与预警级别 %s（%s 级）不符，应为 %s",
                "severity %s does not match warning level %s (%s), which requires %s",
                cap_enum_code(&cap_severity_enum, s), li->colour, li->roman,
                cap_enum_code(&cap_severity_enum, (int)li->severity));
}

/* At least one eventCode of the profile's valueName, each with a well-formed code. */
static void check_event_codes(V *v, const xmlNode *info)
{
    int found = 0;
    EACH(ec, info, "eventCode")
    {
        const char *name = child_text(v, ec, "valueName");
        if (!name || strcmp(name, CAP_EVENT_CODE_NAME) != 0)
            continue;
        found++;
        const char *value = child_text(v, ec, "value");
        if (!event_code_ok(value))
            problem(v, ec, "event_code_form",
                    "事件类型代码“%s”应为 5 位：1、类别数字、分类字母、两位序号（如 11B03）",
                    "event type code \"%s\" must be 5 characters: 1, category digit, class "
                    "letter, two-digit item (e.g. 11B03)",
                    value ? value : "");
    }
    if (!found)
        problem(v, info, "event_code_missing", "缺少事件类型代码（eventCode valueName “%s”）",
                "event type code missing (eventCode valueName \"%s\")", CAP_EVENT_CODE_NAME);
}

static void check_info(V *v, const xmlNode *info, time_t sent, int sent_ok)
{
    time_t effective = sent, onset = 0, expires = 0;
    int eff_ok = sent_ok, onset_ok = 0, exp_ok = 0;
    const xmlNode *eff = next_named(info, NULL, "effective");
    const xmlNode *on = next_named(info, NULL, "onset");
    const xmlNode *ex = next_named(info, NULL, "expires");
    if (eff)
        eff_ok = check_time(v, eff, &effective) == 0;
    if (on)
        onset_ok = check_time(v, on, &onset) == 0;
    if (ex)
        exp_ok = check_time(v, ex, &expires) == 0;
    if (exp_ok && eff_ok && expires <= effective)
        problem(v, ex, "expires_before_effective", "失效时间应晚于生效时间（未给出时为发送时间）",
                "expires must be after effective (or sent when effective is absent)");
    if (exp_ok && onset_ok && expires <= onset)
        problem(v, ex, "expires_before_onset", "失效时间应晚于事件开始时间",
                "expires must be after onset");
    EACH(area, info, "area")
    check_area(v, area);
    if (v->checks & CAP_CHECK_PROFILE) {
        check_language(v, info);
        check_level(v, info);
        check_event_codes(v, info);
    }
}

static void check_alert(V *v, const xmlNode *alert)
{
    const xmlNode *id = next_named(alert, NULL, "identifier");
    const char *ids = text(v, id);
    if (ids && has_restricted_chars(ids))
        problem(v, id, "identifier_chars", "标识符不能含空格、逗号、< 或 &",
                "identifier must not contain spaces, commas, < or &");
    else if (ids && (v->checks & CAP_CHECK_PROFILE) && !cap_identifier_ok(ids))
        problem(v, id, "identifier_form",
                "标识符“%s”应为 GB/T 35965.1 格式 ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N（31 位）",
                "identifier \"%s\" must have the GB/T 35965.1 form "
                "ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N (31 characters)",
                ids);
    const xmlNode *sender = next_named(alert, NULL, "sender");
    const char *ss = text(v, sender);
    if (ss && has_restricted_chars(ss))
        problem(v, sender, "sender_chars", "发送者不能含空格、逗号、< 或 &",
                "sender must not contain spaces, commas, < or &");

    time_t sent = 0;
    const xmlNode *sent_el = next_named(alert, NULL, "sent");
    int sent_ok = sent_el && check_time(v, sent_el, &sent) == 0;

    const xmlNode *scope = next_named(alert, NULL, "scope");
    const char *sc = text(v, scope);
    if (sc && strcmp(sc, "Restricted") == 0 && !next_named(alert, NULL, "restriction"))
        problem(v, scope, "restriction_missing", "范围为 Restricted 时必须给出 restriction",
                "scope Restricted requires a restriction");
    if (sc && strcmp(sc, "Private") == 0 && !next_named(alert, NULL, "addresses"))
        problem(v, scope, "addresses_missing", "范围为 Private 时必须给出 addresses",
                "scope Private requires addresses");

    const xmlNode *mt = next_named(alert, NULL, "msgType");
    const char *m = text(v, mt);
    const xmlNode *refs = next_named(alert, NULL, "references");
    if (m && strcmp(m, "Alert") != 0 && cap_enum_find(&cap_msg_type_enum, m) >= 0 && !refs)
        problem(v, mt, "references_missing", "消息类型 %s 必须给出 references（被引用的消息）",
                "msgType %s requires references to the earlier message(s)", m);
    if (refs)
        check_references(v, refs);

    int infos = 0, zh = 0;
    EACH(info, alert, "info")
    {
        infos++;
        const char *l = child_text(v, info, "language");
        zh += l && strcmp(l, CAP_LANG_ZH) == 0;
        check_info(v, info, sent, sent_ok);
    }
    int needs_info =
        m && (strcmp(m, "Alert") == 0 || strcmp(m, "Update") == 0 || strcmp(m, "Cancel") == 0);
    if (needs_info && !infos)
        problem(v, alert, "info_missing", "消息类型 %s 至少需要一个 info 信息块",
                "msgType %s needs at least one info block", m);
    if ((v->checks & CAP_CHECK_PROFILE) && infos && !zh)
        problem(v, alert, "info_zh_missing", "缺少中文（zh-CN）info 信息块",
                "the zh-CN info block is missing");
}

/* ---- entry points ------------------------------------------------------------------------- */

size_t cap_validate_xml(const char *buf, size_t len, unsigned checks, CapReport *r)
{
    size_t before = r->n;
    xmlDocPtr doc = cap_xml_read(buf, len, r);
    if (!doc)
        return r->n - before;
    pthread_once(&schema_once, schema_init);
    V v = {r, ARENA_INIT, checks};
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!schema) {
        cap_report_addf(r, 0, "/", "schema_unavailable", "CAP 模式无法加载（内部错误）",
                        "the CAP schema could not be loaded (internal error)");
    } else {
        xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
        xmlSchemaSetValidStructuredErrors(vc, on_schema_error, &v);
        xmlSchemaValidateDoc(vc, doc);
        xmlSchemaFreeValidCtxt(vc);
    }
    if (root && named(root, "alert"))
        check_alert(&v, root);
    else if (!r->n)
        cap_report_addf(r, root ? (int)xmlGetLineNo(root) : 0, "/", "not_cap",
                        "根元素不是 CAP 1.2 的 alert", "the root element is not a CAP 1.2 alert");
    arena_free(&v.tmp);
    xmlFreeDoc(doc);
    return r->n - before;
}

size_t cap_validate_alert(const CapAlert *a, unsigned checks, CapReport *r)
{
    StrBuf xml = STRBUF_INIT;
    Error err = ERROR_INIT;
    size_t n;
    if (cap_alert_to_xml(a, &xml, &err) < 0) {
        cap_report_add(r, 0, "/", err.code, err.message, err.message_en);
        n = 1;
    } else {
        n = cap_validate_xml(xml.buf, xml.len, checks, r);
    }
    error_clear(&err);
    strbuf_free(&xml);
    return n;
}

/* ---- command line ------------------------------------------------------------------------- */

static void print_problems(FILE *out, const char *path, const CapReport *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const CapProblem *p = &r->items[i];
        fprintf(out, "%s:%d: %s: %s / %s\n", path, p->line, p->path, p->zh, p->en);
    }
}

static char *read_file(const char *path, size_t *len, FILE *err)
{
    char *data = file_read_all(path, len);
    if (!data)
        fprintf(err, "yingji: 无法读取 %s：%s / cannot read %s: %s\n", path, strerror(errno), path,
                strerror(errno));
    return data;
}

int cap_cmd_validate(const char *const *paths, int n, FILE *out, FILE *err)
{
    int rc = 0;
    if (n < 1) {
        fprintf(err, "用法 / usage: yingji cap validate FILE…\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        char *data = read_file(paths[i], &len, err);
        if (!data) {
            rc = 2;
            continue;
        }
        CapReport r = CAP_REPORT_INIT;
        if (cap_validate_xml(data, len, CAP_CHECK_ALL, &r)) {
            print_problems(out, paths[i], &r);
            rc = rc ? rc : 1;
        } else {
            fprintf(out, "%s: 有效 / valid\n", paths[i]);
        }
        cap_report_clear(&r);
        free(data);
    }
    return rc;
}

/* JSON input when the first non-blank byte is '{', XML otherwise. */
static int is_json(const char *data)
{
    while (*data && isspace((unsigned char)*data))
        data++;
    return *data == '{';
}

static CapAlert *load_alert(const char *path, const char *data, size_t len, FILE *err)
{
    CapReport r = CAP_REPORT_INIT;
    Error e = ERROR_INIT;
    CapAlert *a = NULL;
    if (is_json(data)) {
        json_error_t je;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
            fprintf(err, "%s:%d: /: JSON 格式错误：%s / malformed JSON: %s\n", path, je.line,
                    je.text, je.text);
        else if (cap_alert_from_json(j, &a, &e) < 0)
            fprintf(err, "%s:0: /: %s / %s\n", path, e.message, e.message_en);
        else if (cap_validate_alert(a, CAP_CHECK_ALL, &r)) {
            print_problems(err, path, &r);
            cap_alert_free(a);
            a = NULL;
        }
        json_decref(j);
    } else if (cap_validate_xml(data, len, CAP_CHECK_ALL, &r)) {
        print_problems(err, path, &r);
    } else if (cap_alert_from_xml(data, len, &a, &e) < 0) {
        fprintf(err, "%s:0: /: %s / %s\n", path, e.message, e.message_en);
    }
    error_clear(&e);
    cap_report_clear(&r);
    return a;
}

int cap_cmd_convert(const char *path, const char *to, FILE *out, FILE *err)
{
    if (!path || !to || (strcmp(to, "json") != 0 && strcmp(to, "xml") != 0)) {
        fprintf(err, "用法 / usage: yingji cap convert FILE --to json|xml\n");
        return 2;
    }
    size_t len = 0;
    char *data = read_file(path, &len, err);
    if (!data)
        return 2;
    CapAlert *a = load_alert(path, data, len, err);
    free(data);
    if (!a)
        return 1;
    int rc = 0;
    if (strcmp(to, "json") == 0) {
        json_t *j = cap_alert_to_json(a);
        char *s = json_dumps(j, JSON_INDENT(2));
        fprintf(out, "%s\n", s);
        free(s);
        json_decref(j);
    } else {
        StrBuf xml = STRBUF_INIT;
        Error e = ERROR_INIT;
        if (cap_alert_to_xml(a, &xml, &e) < 0) {
            fprintf(err, "%s:0: /: %s / %s\n", path, e.message, e.message_en);
            rc = 1;
        } else {
            fwrite(xml.buf, 1, xml.len, out);
        }
        error_clear(&e);
        strbuf_free(&xml);
    }
    cap_alert_free(a);
    return rc;
}
