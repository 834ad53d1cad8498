/* modules/publish/cap — the CAP 1.2 model: enumeration tables, the XXE-safe reader, and the
 * conversions XML ↔ model ↔ JSON, all driven by one description of the element structure
 * (Shape/Slot tables below, in the schema's element order). Contract in cap.h. */
#include "modules/publish/cap.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* ---- enumeration tables ------------------------------------------------------------------ */

#define ENUM(var, elname, ...)                                                                     \
    static const CapEnumValue var##_values[] = {__VA_ARGS__};                                      \
    const CapEnum var = {elname, var##_values, (int)(sizeof var##_values / sizeof(CapEnumValue))}

ENUM(cap_status_enum, "status", {"Actual", "实际"}, {"Exercise", "演练"}, {"System", "系统"},
     {"Test", "测试"}, {"Draft", "草稿"});
ENUM(cap_msg_type_enum, "msgType", {"Alert", "首次发布"}, {"Update", "更新"}, {"Cancel", "解除"},
     {"Ack", "确认"}, {"Error", "错误"});
ENUM(cap_scope_enum, "scope", {"Public", "公开"}, {"Restricted", "限制"}, {"Private", "私有"});
ENUM(cap_category_enum, "category", {"Geo", "地质"}, {"Met", "气象"}, {"Safety", "安全"},
     {"Security", "治安"}, {"Rescue", "救援"}, {"Fire", "火灾"}, {"Health", "卫生"},
     {"Env", "环境"}, {"Transport", "交通"}, {"Infra", "基础设施"}, {"CBRNE", "化生放核爆"},
     {"Other", "其他"});
ENUM(cap_response_type_enum, "responseType", {"Shelter", "就地避险"}, {"Evacuate", "撤离"},
     {"Prepare", "准备"}, {"Execute", "执行预案"}, {"Avoid", "回避"}, {"Monitor", "关注"},
     {"Assess", "评估"}, {"AllClear", "解除"}, {"None", "无需行动"});
ENUM(cap_urgency_enum, "urgency", {"Immediate", "立即"}, {"Expected", "即将"}, {"Future", "未来"},
     {"Past", "已过"}, {"Unknown", "未知"});
ENUM(cap_severity_enum, "severity", {"Extreme", "特别严重"}, {"Severe", "严重"},
     {"Moderate", "较重"}, {"Minor", "一般"}, {"Unknown", "未知"});
ENUM(cap_certainty_enum, "certainty", {"Observed", "已发生"}, {"Likely", "很可能"},
     {"Possible", "可能"}, {"Unlikely", "不太可能"}, {"Unknown", "未知"});

_Static_assert(sizeof(CapStatus) == sizeof(int) && sizeof(CapCategory) == sizeof(int) &&
                   sizeof(CapSeverity) == sizeof(int),
               "CAP enumerations are stored as int");

int cap_enum_find(const CapEnum *e, const char *code)
{
    for (int i = 0; code && i < e->n; i++)
        if (strcmp(e->values[i].code, code) == 0)
            return i;
    return -1;
}

const char *cap_enum_code(const CapEnum *e, int v)
{
    return v >= 0 && v < e->n ? e->values[v].code : NULL;
}

static const CapLevelInfo levels[] = {
    {CAP_LEVEL_RED, "红色", "I", "Red", CAP_SEV_EXTREME},
    {CAP_LEVEL_ORANGE, "橙色", "II", "Orange", CAP_SEV_SEVERE},
    {CAP_LEVEL_YELLOW, "黄色", "III", "Yellow", CAP_SEV_MODERATE},
    {CAP_LEVEL_BLUE, "蓝色", "IV", "Blue", CAP_SEV_MINOR},
};

const CapLevelInfo *cap_level_info(CapLevel level)
{
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (levels[i].level == level)
            return &levels[i];
    return NULL;
}

CapLevel cap_level_from_colour(const char *colour)
{
    for (size_t i = 0; colour && i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(levels[i].colour, colour) == 0)
            return levels[i].level;
    return CAP_LEVEL_NONE;
}

CapLevel cap_level_from_severity(CapSeverity s)
{
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (levels[i].severity == s)
            return levels[i].level;
    return CAP_LEVEL_NONE;
}

/* ---- the element structure --------------------------------------------------------------- */

typedef enum { S_TEXT, S_ENUM, S_TEXTS, S_ENUMS, S_PAIRS, S_CHILDREN } SlotKind;

typedef struct Shape Shape;
typedef struct Slot {
    const char *name; /* element name = JSON key */
    SlotKind kind;
    int required;     /* single: present; lists: at least one */
    size_t off;       /* the field (pointer or int) */
    size_t count_off; /* lists: the size_t count */
    const CapEnum *e;
    const Shape *child;
} Slot;

struct Shape {
    size_t size;
    const Slot *slots;
    size_t n;
};

#define OFF(T, f) offsetof(T, f)
#define TEXT(T, f, name, req)                                                                      \
    {                                                                                              \
        name, S_TEXT, req, OFF(T, f), 0, NULL, NULL                                                \
    }
#define ENUMF(T, f, name, e)                                                                       \
    {                                                                                              \
        name, S_ENUM, 1, OFF(T, f), 0, &e, NULL                                                    \
    }
#define TEXTS(T, f, n, name)                                                                       \
    {                                                                                              \
        name, S_TEXTS, 0, OFF(T, f), OFF(T, n), NULL, NULL                                         \
    }
#define ENUMS(T, f, n, name, e, req)                                                               \
    {                                                                                              \
        name, S_ENUMS, req, OFF(T, f), OFF(T, n), &e, NULL                                         \
    }
#define PAIRS(T, f, n, name)                                                                       \
    {                                                                                              \
        name, S_PAIRS, 0, OFF(T, f), OFF(T, n), NULL, NULL                                         \
    }
#define KIDS(T, f, n, name, shape)                                                                 \
    {                                                                                              \
        name, S_CHILDREN, 0, OFF(T, f), OFF(T, n), NULL, &shape                                    \
    }
#define SHAPE(T, slots)                                                                            \
    {                                                                                              \
        sizeof(T), slots, sizeof slots / sizeof slots[0]                                           \
    }

static const Slot resource_slots[] = {
    TEXT(CapResource, resource_desc, "resourceDesc", 1),
    TEXT(CapResource, mime_type, "mimeType", 1),
    TEXT(CapResource, size, "size", 0),
    TEXT(CapResource, uri, "uri", 0),
    TEXT(CapResource, deref_uri, "derefUri", 0),
    TEXT(CapResource, digest, "digest", 0),
};
static const Shape resource_shape = SHAPE(CapResource, resource_slots);

static const Slot area_slots[] = {
    TEXT(CapArea, area_desc, "areaDesc", 1),      TEXTS(CapArea, polygons, n_polygons, "polygon"),
    TEXTS(CapArea, circles, n_circles, "circle"), PAIRS(CapArea, geocodes, n_geocodes, "geocode"),
    TEXT(CapArea, altitude, "altitude", 0),       TEXT(CapArea, ceiling, "ceiling", 0),
};
static const Shape area_shape = SHAPE(CapArea, area_slots);

static const Slot info_slots[] = {
    TEXT(CapInfo, language, "language", 0),
    ENUMS(CapInfo, categories, n_categories, "category", cap_category_enum, 1),
    TEXT(CapInfo, event, "event", 1),
    ENUMS(CapInfo, response_types, n_response_types, "responseType", cap_response_type_enum, 0),
    ENUMF(CapInfo, urgency, "urgency", cap_urgency_enum),
    ENUMF(CapInfo, severity, "severity", cap_severity_enum),
    ENUMF(CapInfo, certainty, "certainty", cap_certainty_enum),
    TEXT(CapInfo, audience, "audience", 0),
    PAIRS(CapInfo, event_codes, n_event_codes, "eventCode"),
    TEXT(CapInfo, effective, "effective", 0),
    TEXT(CapInfo, onset, "onset", 0),
    TEXT(CapInfo, expires, "expires", 0),
    TEXT(CapInfo, sender_name, "senderName", 0),
    TEXT(CapInfo, headline, "headline", 0),
    TEXT(CapInfo, description, "description", 0),
    TEXT(CapInfo, instruction, "instruction", 0),
    TEXT(CapInfo, web, "web", 0),
    TEXT(CapInfo, contact, "contact", 0),
    PAIRS(CapInfo, parameters, n_parameters, "parameter"),
    KIDS(CapInfo, resources, n_resources, "resource", resource_shape),
    KIDS(CapInfo, areas, n_areas, "area", area_shape),
};
static const Shape info_shape = SHAPE(CapInfo, info_slots);

static const Slot alert_slots[] = {
    TEXT(CapAlert, identifier, "identifier", 1),
    TEXT(CapAlert, sender, "sender", 1),
    TEXT(CapAlert, sent, "sent", 1),
    ENUMF(CapAlert, status, "status", cap_status_enum),
    ENUMF(CapAlert, msg_type, "msgType", cap_msg_type_enum),
    TEXT(CapAlert, source, "source", 0),
    ENUMF(CapAlert, scope, "scope", cap_scope_enum),
    TEXT(CapAlert, restriction, "restriction", 0),
    TEXT(CapAlert, addresses, "addresses", 0),
    TEXTS(CapAlert, codes, n_codes, "code"),
    TEXT(CapAlert, note, "note", 0),
    TEXT(CapAlert, references, "references", 0),
    TEXT(CapAlert, incidents, "incidents", 0),
    KIDS(CapAlert, infos, n_infos, "info", info_shape),
};
static const Shape alert_shape = SHAPE(CapAlert, alert_slots);

/* Field access by offset through memcpy: no type punning of the struct's members. */
static void *get_ptr(const void *obj, size_t off)
{
    void *p;
    memcpy(&p, (const char *)obj + off, sizeof p);
    return p;
}
static void set_ptr(void *obj, size_t off, const void *p)
{
    memcpy((char *)obj + off, &p, sizeof p);
}
static int get_int(const void *obj, size_t off)
{
    int v;
    memcpy(&v, (const char *)obj + off, sizeof v);
    return v;
}
static void set_int(void *obj, size_t off, int v)
{
    memcpy((char *)obj + off, &v, sizeof v);
}
static size_t get_count(const void *obj, size_t off)
{
    size_t n;
    memcpy(&n, (const char *)obj + off, sizeof n);
    return n;
}
static void set_count(void *obj, size_t off, size_t n)
{
    memcpy((char *)obj + off, &n, sizeof n);
}

/* ---- alerts ------------------------------------------------------------------------------- */

CapAlert *cap_alert_new(void)
{
    CapAlert *a = xcalloc(1, sizeof *a);
    return a;
}

void cap_alert_free(CapAlert *a)
{
    if (!a)
        return;
    arena_free(&a->arena);
    free(a);
}

/* ---- problems ----------------------------------------------------------------------------- */

void cap_report_clear(CapReport *r)
{
    free(r->items);
    memset(r, 0, sizeof *r);
}

void cap_report_add(CapReport *r, int line, const char *path, const char *code, const char *zh,
                    const char *en)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->items = xrealloc(r->items, r->cap * sizeof *r->items);
    }
    CapProblem *p = &r->items[r->n++];
    memset(p, 0, sizeof *p);
    p->line = line;
    snprintf(p->path, sizeof p->path, "%s", path ? path : "/");
    snprintf(p->code, sizeof p->code, "%s", code);
    snprintf(p->zh, sizeof p->zh, "%s", zh);
    snprintf(p->en, sizeof p->en, "%s", en);
}

void cap_report_addf(CapReport *r, int line, const char *path, const char *code, const char *zh_fmt,
                     const char *en_fmt, ...)
{
    char zh[512], en[512];
    va_list ap, ap2;
    va_start(ap, en_fmt);
    va_copy(ap2, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(zh, sizeof zh, zh_fmt, ap);
    vsnprintf(en, sizeof en, en_fmt, ap2);
#pragma GCC diagnostic pop
    va_end(ap2);
    va_end(ap);
    cap_report_add(r, line, path, code, zh, en);
}

/* ---- the XXE-safe reader ------------------------------------------------------------------ */

static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)id;
    (void)ctxt;
    (void)url;
    return NULL; /* nothing outside the document is ever read */
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init_once(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_entity);
}

/* libxml2's generic error channel (used where no parser context is at hand, e.g. encoding
 * conversion) prints to stderr; the reader reports through the context's handler instead. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void cap_xml_init(void)
{
    pthread_once(&xml_once, xml_init_once);
    xmlSetGenericErrorFunc(NULL, quiet); /* per thread in libxml2: set on every use */
}

typedef struct ReadState {
    CapReport *r;
    int doctype, doctype_line, errors;
} ReadState;

/* SAX internalSubset: the DOCTYPE was just read; stop before its internal subset is parsed. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name;
    (void)ext;
    (void)sys;
    xmlParserCtxtPtr ctxt = ctx;
    ReadState *st = ctxt->_private;
    st->doctype = 1;
    st->doctype_line = xmlSAX2GetLineNumber(ctx);
    xmlStopParser(ctxt);
}

static void on_parse_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    ReadState *st = ctxt->_private;
    if (!e || e->level < XML_ERR_ERROR || st->doctype || st->errors >= 10)
        return;
    char msg[400];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "?");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = 0;
    st->errors++;
    cap_report_addf(st->r, e->line, "/", "xml_malformed", "XML 格式错误：%s", "malformed XML: %s",
                    msg);
}

void *cap_xml_read(const char *buf, size_t len, CapReport *r)
{
    cap_xml_init();
    if (len > CAP_MAX_BYTES) {
        cap_report_addf(r, 0, "/", "xml_too_large", "文件过大（%zu 字节，上限 %d 字节）",
                        "document too large (%zu bytes, limit %d)", len, CAP_MAX_BYTES);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
    if (!ctxt) {
        cap_report_addf(r, 0, "/", "xml_malformed", "XML 为空或无法读取",
                        "empty or unreadable XML");
        return NULL;
    }
    ReadState st = {r, 0, 0, 0};
    ctxt->_private = &st;
    /* NONET; never NOENT, DTDLOAD, DTDATTR, XINCLUDE */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->externalSubset = NULL;
    ctxt->sax->resolveEntity = NULL;
    ctxt->sax->serror = on_parse_error;
    xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->myDoc;
    int ok = ctxt->wellFormed && !st.doctype && doc && !doc->intSubset && !doc->extSubset;
    ctxt->myDoc = NULL;
    xmlFreeParserCtxt(ctxt);
    if (ok)
        return doc;
    xmlFreeDoc(doc);
    if (st.doctype)
        cap_report_addf(r, st.doctype_line, "/", "xml_doctype",
                        "拒绝带 DOCTYPE 的文档（CAP 不需要 DTD，实体一律不解析）",
                        "document with a DOCTYPE refused (CAP needs no DTD; entities are never "
                        "resolved)");
    else if (!st.errors)
        cap_report_addf(r, 0, "/", "xml_malformed", "XML 格式错误", "malformed XML");
    return NULL;
}

/* ---- XML → model -------------------------------------------------------------------------- */

static int is_cap(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, CAP_NS) == 0;
}

static int named(const xmlNode *n, const char *name)
{
    return is_cap(n) && strcmp((const char *)n->name, name) == 0;
}

static size_t count_named(const xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (const xmlNode *c = parent->children; c; c = c->next)
        n += named(c, name);
    return n;
}

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The element's text, trimmed of XML white space at both ends, in the arena. */
static const char *node_text(Arena *a, const xmlNode *n)
{
    xmlChar *raw = xmlNodeGetContent(n);
    const char *s = raw ? (const char *)raw : "";
    size_t len = strlen(s);
    while (len && is_xml_space(s[len - 1]))
        len--;
    while (len && is_xml_space(*s)) {
        s++;
        len--;
    }
    char *out = arena_strndup(a, s, len);
    xmlFree(raw);
    return out;
}

static int read_struct(Arena *a, const Shape *sh, const xmlNode *el, void *obj, const char *path,
                       Error *err);

static int cap_invalid(Error *err, const char *path, const char *zh, const char *en)
{
    char zbuf[400];
    snprintf(zbuf, sizeof zbuf, "CAP 消息结构错误：%s %s", path, zh);
    return error_set(err, 400, "cap_invalid", zbuf, "invalid CAP message: %s %s", path, en);
}

static int read_pair(Arena *a, const xmlNode *el, CapPair *p, const char *path, Error *err)
{
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (!is_cap(c))
            continue;
        if (named(c, "valueName") && !p->value_name)
            p->value_name = node_text(a, c);
        else if (named(c, "value") && !p->value)
            p->value = node_text(a, c);
        else
            return cap_invalid(err, path, "含多余元素", "has an unexpected element");
    }
    if (!p->value_name || !p->value)
        return cap_invalid(err, path, "缺少 valueName 或 value", "lacks valueName or value");
    return 0;
}

static int read_slot(Arena *a, const Slot *s, const xmlNode *el, void *obj, const char *path,
                     Error *err)
{
    size_t n = count_named(el, s->name);
    char sub[256];
    if (s->required && n == 0) {
        snprintf(sub, sizeof sub, "%s/%s", path, s->name);
        return cap_invalid(err, sub, "缺失", "is missing");
    }
    if ((s->kind == S_TEXT || s->kind == S_ENUM) && n > 1) {
        snprintf(sub, sizeof sub, "%s/%s[2]", path, s->name);
        return cap_invalid(err, sub, "不可重复", "must not repeat");
    }
    if (n == 0)
        return 0;
    size_t elsize = s->kind == S_TEXTS      ? sizeof(char *)
                    : s->kind == S_ENUMS    ? sizeof(int)
                    : s->kind == S_PAIRS    ? sizeof(CapPair)
                    : s->kind == S_CHILDREN ? s->child->size
                                            : 0;
    char *arr = elsize ? arena_alloc(a, n * elsize) : NULL;
    size_t i = 0;
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (!named(c, s->name))
            continue;
        snprintf(sub, sizeof sub, "%s/%s[%zu]", path, s->name, i + 1);
        const char *text = NULL;
        int v = 0;
        if (s->kind == S_TEXT || s->kind == S_TEXTS || s->kind == S_ENUM || s->kind == S_ENUMS)
            text = node_text(a, c);
        if (s->kind == S_ENUM || s->kind == S_ENUMS) {
            v = cap_enum_find(s->e, text);
            if (v < 0)
                return cap_invalid(err, sub, "取值不在枚举中", "is not one of the allowed values");
        }
        switch (s->kind) {
        case S_TEXT:
            set_ptr(obj, s->off, text);
            break;
        case S_ENUM:
            set_int(obj, s->off, v);
            break;
        case S_TEXTS:
            memcpy(arr + i * elsize, &text, sizeof text);
            break;
        case S_ENUMS:
            memcpy(arr + i * elsize, &v, sizeof v);
            break;
        case S_PAIRS:
            if (read_pair(a, c, (CapPair *)(void *)(arr + i * elsize), sub, err) < 0)
                return -1;
            break;
        case S_CHILDREN:
            if (read_struct(a, s->child, c, arr + i * elsize, sub, err) < 0)
                return -1;
            break;
        }
        i++;
    }
    if (arr) {
        set_ptr(obj, s->off, arr);
        set_count(obj, s->count_off, n);
    }
    return 0;
}

static const Slot *find_slot(const Shape *sh, const char *name)
{
    for (size_t i = 0; i < sh->n; i++)
        if (strcmp(sh->slots[i].name, name) == 0)
            return &sh->slots[i];
    return NULL;
}

/* Elements of other namespaces are skipped (cap.h); an unknown CAP element is an error. */
static int read_struct(Arena *a, const Shape *sh, const xmlNode *el, void *obj, const char *path,
                       Error *err)
{
    for (const xmlNode *c = el->children; c; c = c->next)
        if (is_cap(c) && !find_slot(sh, (const char *)c->name)) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s/%s", path, (const char *)c->name);
            return cap_invalid(err, sub, "不是此处允许的元素", "is not allowed here");
        }
    for (size_t i = 0; i < sh->n; i++)
        if (read_slot(a, &sh->slots[i], el, obj, path, err) < 0)
            return -1;
    return 0;
}

static int problem_to_error(const CapReport *r, Error *err)
{
    const CapProblem *p = r->n ? &r->items[0] : NULL;
    if (!p)
        return error_internal(err, "CAP read failed without a problem");
    char zbuf[600];
    snprintf(zbuf, sizeof zbuf, "第 %d 行：%s", p->line, p->zh);
    return error_set(err, 400, p->code, zbuf, "line %d: %s", p->line, p->en);
}

int cap_alert_from_xml(const char *buf, size_t len, CapAlert **out, Error *err)
{
    *out = NULL;
    CapReport r = CAP_REPORT_INIT;
    xmlDocPtr doc = cap_xml_read(buf, len, &r);
    if (!doc) {
        problem_to_error(&r, err);
        cap_report_clear(&r);
        return -1;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    CapAlert *a = cap_alert_new();
    int rc;
    if (!root || !named(root, "alert"))
        rc = error_set(err, 400, "cap_invalid", "根元素不是 CAP 1.2 的 alert",
                       "the root element is not a CAP 1.2 alert");
    else
        rc = read_struct(&a->arena, &alert_shape, root, a, "/alert", err);
    xmlFreeDoc(doc);
    if (rc < 0) {
        cap_alert_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

/* ---- model → XML -------------------------------------------------------------------------- */

/* 1 when s is UTF-8 that XML 1.0 can carry (no C0 controls but tab, LF, CR). */
static int xml_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return 0;
    return xmlCheckUTF8((const xmlChar *)s);
}

typedef struct Writer {
    xmlNsPtr ns;
    Error *err;
} Writer;

static int write_text(Writer *w, xmlNodePtr parent, const char *name, const char *v,
                      const char *path)
{
    if (!xml_text_ok(v)) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s/%s", path, name);
        return cap_invalid(w->err, sub, "含非法字符或不是 UTF-8",
                           "holds a character XML cannot carry or is not UTF-8");
    }
    xmlNewTextChild(parent, w->ns, (const xmlChar *)name, (const xmlChar *)v);
    return 0;
}

static int write_struct(Writer *w, xmlNodePtr el, const Shape *sh, const void *obj,
                        const char *path);

static int write_slot(Writer *w, xmlNodePtr el, const Slot *s, const void *obj, const char *path)
{
    char sub[256];
    if (s->kind == S_TEXT || s->kind == S_ENUM) {
        const char *v =
            s->kind == S_TEXT ? get_ptr(obj, s->off) : cap_enum_code(s->e, get_int(obj, s->off));
        if (!v && s->required) {
            snprintf(sub, sizeof sub, "%s/%s", path, s->name);
            return cap_invalid(w->err, sub, "缺失或取值无效", "is missing or invalid");
        }
        return v ? write_text(w, el, s->name, v, path) : 0;
    }
    size_t n = get_count(obj, s->count_off);
    const char *arr = get_ptr(obj, s->off);
    if (s->required && n == 0) {
        snprintf(sub, sizeof sub, "%s/%s", path, s->name);
        return cap_invalid(w->err, sub, "至少需要一个", "needs at least one");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s/%s[%zu]", path, s->name, i + 1);
        if (s->kind == S_TEXTS || s->kind == S_ENUMS) {
            const char *v;
            if (s->kind == S_TEXTS) {
                memcpy(&v, arr + i * sizeof(char *), sizeof v);
            } else {
                int e;
                memcpy(&e, arr + i * sizeof(int), sizeof e);
                v = cap_enum_code(s->e, e);
            }
            if (!v)
                return cap_invalid(w->err, sub, "缺失或取值无效", "is missing or invalid");
            if (write_text(w, el, s->name, v, path) < 0)
                return -1;
        } else if (s->kind == S_PAIRS) {
            const CapPair *p = (const CapPair *)(const void *)(arr + i * sizeof(CapPair));
            if (!p->value_name || !p->value)
                return cap_invalid(w->err, sub, "缺少 valueName 或 value",
                                   "lacks valueName or value");
            xmlNodePtr pe = xmlNewChild(el, w->ns, (const xmlChar *)s->name, NULL);
            if (write_text(w, pe, "valueName", p->value_name, sub) < 0 ||
                write_text(w, pe, "value", p->value, sub) < 0)
                return -1;
        } else {
            xmlNodePtr ce = xmlNewChild(el, w->ns, (const xmlChar *)s->name, NULL);
            if (write_struct(w, ce, s->child, arr + i * s->child->size, sub) < 0)
                return -1;
        }
    }
    return 0;
}

static int write_struct(Writer *w, xmlNodePtr el, const Shape *sh, const void *obj,
                        const char *path)
{
    for (size_t i = 0; i < sh->n; i++)
        if (write_slot(w, el, &sh->slots[i], obj, path) < 0)
            return -1;
    return 0;
}

int cap_alert_to_xml(const CapAlert *a, StrBuf *out, Error *err)
{
    cap_xml_init();
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)"alert", NULL);
    xmlDocSetRootElement(doc, root);
    Writer w = {xmlNewNs(root, (const xmlChar *)CAP_NS, NULL), err};
    xmlSetNs(root, w.ns);
    int rc = write_struct(&w, root, &alert_shape, a, "/alert");
    if (rc == 0) {
        xmlChar *mem = NULL;
        int size = 0;
        xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
        if (mem)
            strbuf_add(out, mem, (size_t)size);
        else
            rc = error_internal(err, "xmlDocDumpFormatMemoryEnc failed");
        xmlFree(mem);
    }
    xmlFreeDoc(doc);
    return rc;
}

/* ---- model ↔ JSON ------------------------------------------------------------------------- */

static json_t *struct_to_json(const Shape *sh, const void *obj);

static json_t *pair_json(const CapPair *p)
{
    return json_pack("{s:s?, s:s?}", "valueName", p->value_name, "value", p->value);
}

static json_t *slot_to_json(const Slot *s, const void *obj)
{
    if (s->kind == S_TEXT) {
        const char *v = get_ptr(obj, s->off);
        return v ? json_string(v) : NULL;
    }
    if (s->kind == S_ENUM) {
        const char *v = cap_enum_code(s->e, get_int(obj, s->off));
        return v ? json_string(v) : NULL;
    }
    size_t n = get_count(obj, s->count_off);
    const char *arr = get_ptr(obj, s->off);
    if (n == 0)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *item = NULL;
        if (s->kind == S_TEXTS) {
            const char *v;
            memcpy(&v, arr + i * sizeof(char *), sizeof v);
            item = v ? json_string(v) : json_null();
        } else if (s->kind == S_ENUMS) {
            int e;
            memcpy(&e, arr + i * sizeof(int), sizeof e);
            const char *v = cap_enum_code(s->e, e);
            item = v ? json_string(v) : json_null();
        } else if (s->kind == S_PAIRS) {
            item = pair_json((const CapPair *)(const void *)(arr + i * sizeof(CapPair)));
        } else {
            item = struct_to_json(s->child, arr + i * s->child->size);
        }
        json_array_append_new(list, item ? item : json_null());
    }
    return list;
}

static json_t *struct_to_json(const Shape *sh, const void *obj)
{
    json_t *o = json_object();
    for (size_t i = 0; i < sh->n; i++) {
        json_t *v = slot_to_json(&sh->slots[i], obj);
        if (v)
            json_object_set_new(o, sh->slots[i].name, v);
    }
    return o;
}

json_t *cap_alert_to_json(const CapAlert *a)
{
    return struct_to_json(&alert_shape, a);
}

static int json_invalid(Error *err, const char *path, const char *zh, const char *en)
{
    char zbuf[400];
    snprintf(zbuf, sizeof zbuf, "CAP JSON 错误：%s %s", path, zh);
    error_set(err, 400, "cap_invalid", zbuf, "invalid CAP JSON: %s %s", path, en);
    error_field(err, path, zh);
    return -1;
}

static int struct_from_json(Arena *a, const Shape *sh, const json_t *j, void *obj, const char *path,
                            Error *err);

static const char *json_text(Arena *a, const json_t *v)
{
    return json_is_string(v) ? arena_strndup(a, json_string_value(v), json_string_length(v)) : NULL;
}

static int item_from_json(Arena *a, const Slot *s, const json_t *v, char *dst, const char *path,
                          Error *err)
{
    if (s->kind == S_TEXT || s->kind == S_TEXTS) {
        const char *t = json_text(a, v);
        if (!t || strlen(t) != json_string_length(v))
            return json_invalid(err, path, "应为字符串（不含 NUL）",
                                "must be a string without NUL");
        memcpy(dst, &t, sizeof t);
        return 0;
    }
    if (s->kind == S_ENUM || s->kind == S_ENUMS) {
        int e = cap_enum_find(s->e, json_string_value(v));
        if (e < 0)
            return json_invalid(err, path, "取值不在枚举中", "is not one of the allowed values");
        memcpy(dst, &e, sizeof e);
        return 0;
    }
    if (s->kind == S_PAIRS) {
        CapPair p = {NULL, NULL};
        const json_t *vn = json_object_get(v, "valueName"), *vv = json_object_get(v, "value");
        if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_string(vn) ||
            !json_is_string(vv))
            return json_invalid(err, path, "应为 {\"valueName\", \"value\"}",
                                "must be {\"valueName\", \"value\"}");
        p.value_name = json_text(a, vn);
        p.value = json_text(a, vv);
        memcpy(dst, &p, sizeof p);
        return 0;
    }
    return struct_from_json(a, s->child, v, dst, path, err);
}

static int slot_from_json(Arena *a, const Slot *s, const json_t *v, void *obj, const char *path,
                          Error *err)
{
    char sub[256];
    snprintf(sub, sizeof sub, "%s/%s", path, s->name);
    if (s->kind == S_TEXT || s->kind == S_ENUM)
        return item_from_json(a, s, v, (char *)obj + s->off, sub, err);
    if (!json_is_array(v))
        return json_invalid(err, sub, "应为数组", "must be an array");
    size_t n = json_array_size(v);
    if (s->required && n == 0)
        return json_invalid(err, sub, "至少需要一个", "needs at least one");
    size_t elsize = s->kind == S_TEXTS   ? sizeof(char *)
                    : s->kind == S_ENUMS ? sizeof(int)
                    : s->kind == S_PAIRS ? sizeof(CapPair)
                                         : s->child->size;
    char *arr = n ? arena_alloc(a, n * elsize) : NULL;
    for (size_t i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s/%s[%zu]", path, s->name, i + 1);
        if (item_from_json(a, s, json_array_get(v, i), arr + i * elsize, sub, err) < 0)
            return -1;
    }
    set_ptr(obj, s->off, arr);
    set_count(obj, s->count_off, n);
    return 0;
}

static int struct_from_json(Arena *a, const Shape *sh, const json_t *j, void *obj, const char *path,
                            Error *err)
{
    if (!json_is_object(j))
        return json_invalid(err, path, "应为对象", "must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        char sub[256];
        snprintf(sub, sizeof sub, "%s/%s", path, key);
        if (!find_slot(sh, key))
            return json_invalid(err, sub, "不是 CAP 字段", "is not a CAP field");
    }
    for (size_t i = 0; i < sh->n; i++) {
        const Slot *s = &sh->slots[i];
        v = json_object_get(j, s->name);
        if (!v && s->required) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s/%s", path, s->name);
            return json_invalid(err, sub, "缺失", "is missing");
        }
        if (v && slot_from_json(a, s, v, obj, path, err) < 0)
            return -1;
    }
    return 0;
}

int cap_alert_from_json(const json_t *j, CapAlert **out, Error *err)
{
    *out = NULL;
    CapAlert *a = cap_alert_new();
    if (struct_from_json(&a->arena, &alert_shape, j, a, "/alert", err) < 0) {
        cap_alert_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

/* ---- times, identifiers, geocodes --------------------------------------------------------- */

#define BEIJING_OFFSET (8 * 3600)

void cap_format_time(time_t t, char out[26])
{
    time_t local = t + BEIJING_OFFSET;
    struct tm tm;
    gmtime_r(&local, &tm);
    strftime(out, 26, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int cap_parse_time(const char *s, time_t *t)
{
    if (!s)
        return -1;
    int neg = *s == '-';
    s += neg;
    /* YYYY-MM-DDThh:mm:ss±hh:mm = 25 characters */
    if (strlen(s) != 25 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || (s[19] != '+' && s[19] != '-') || s[22] != ':')
        return -1;
    int y, mo, d, h, mi, se, oh, om;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
        digits(s + 20, 2, &oh) || digits(s + 23, 2, &om))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || se > 59 ||
        oh > 14 || om > 59)
        return -1;
    if (s[19] == '+' && oh == 0 && om == 0)
        return -1; /* UTC is written -00:00 */
    int64_t year = neg ? -(int64_t)y : y;
    int64_t off = (int64_t)(oh * 3600 + om * 60) * (s[19] == '+' ? 1 : -1);
    *t = (time_t)(days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + se - off);
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int cap_make_identifier(const char *unit_code, time_t t, int seq, char out[32], Error *err)
{
    if (!unit_code || strlen(unit_code) != 14 || !all_digits(unit_code, 14))
        return error_set(err, 400, "validation_failed", "发布单位代码应为 14 位数字",
                         "the issuing-unit code must have 14 digits");
    if (seq < 0 || seq > 9)
        return error_set(err, 400, "validation_failed", "序列号应为 0–9",
                         "the sequence must be 0-9");
    time_t local = t + BEIJING_OFFSET;
    struct tm tm;
    gmtime_r(&local, &tm);
    char stamp[16];
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    snprintf(out, 32, "%s_%.14s_%d", unit_code, stamp, seq);
    return 0;
}

int cap_identifier_ok(const char *id)
{
    if (!id || strlen(id) != 31 || !all_digits(id, 14) || id[14] != '_' ||
        !all_digits(id + 15, 14) || id[29] != '_' || !all_digits(id + 30, 1))
        return 0;
    int mo = 0, d = 0, h = 0, mi = 0, se = 0, y = 0;
    digits(id + 15, 4, &y);
    digits(id + 19, 2, &mo);
    digits(id + 21, 2, &d);
    digits(id + 23, 2, &h);
    digits(id + 25, 2, &mi);
    digits(id + 27, 2, &se);
    return mo >= 1 && mo <= 12 && d >= 1 && d <= month_days(y, mo) && h < 24 && mi < 60 && se < 60;
}

int cap_division_geocode(const char *code, char out[13], Error *err)
{
    size_t n = code ? strlen(code) : 0;
    if ((n != 6 && n != 9 && n != 12) || !all_digits(code, n))
        return error_set(err, 400, "validation_failed", "行政区划代码应为 6、9 或 12 位数字",
                         "a division code has 6, 9 or 12 digits");
    memcpy(out, code, n);
    memset(out + n, '0', 12 - n);
    out[12] = 0;
    return 0;
}
