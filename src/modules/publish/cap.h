/* modules/publish/cap — OASIS CAP 1.2 warning messages, profiled by GB/T 35965.1.
 *
 * Owns the CAP message model (alert → info[] → resource[] / area[]), its enumerations as
 * tables (CAP code + Chinese label), reading it from XML (libxml2), writing it as XML in the
 * namespace urn:oasis:names:tc:emergency:cap:1.2 (elements in schema order), carrying it as
 * JSON (jansson, keys = CAP element names), and validating a message (cap_validate.c):
 * the CAP 1.2 XML Schema (embedded, written from the OASIS specification), the rules of the
 * specification the schema cannot express, and the project's GB/T 35965.1 profile
 * (docs/cap.md lists every rule and its problem code).
 *
 * Promises
 * - Round trip: XML → model → XML is stable after one normalisation, and model → JSON →
 *   model → XML gives the same bytes. The normalisation: every element's text is trimmed of
 *   leading and trailing XML white space (space, tab, CR, LF), inner white space is kept;
 *   output is UTF-8, indented by libxml2, with the CAP namespace as default namespace.
 *   Elements of other namespaces (the schema's ##other extension point, e.g. ds:Signature)
 *   are accepted and ignored: they are not carried by the model.
 * - XXE: a document is only ever parsed from memory, with XML_PARSE_NONET and without
 *   NOENT/DTDLOAD/DTDATTR/XINCLUDE; any DOCTYPE stops the parser the moment it is seen (so no
 *   entity, internal or external, is ever declared, let alone expanded: billion-laughs
 *   documents are refused at once); the process-wide external entity loader is replaced by one
 *   that refuses everything (cap_xml_init, called by every entry point); XInclude elements are
 *   never processed. Documents over CAP_MAX_BYTES (1 MiB) are refused before parsing.
 * - GB/T 35965.1 profile, as the project reads it (docs/cap.md): identifier
 *   ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N (31 characters: the 14-digit issuing-unit code = 6-digit
 *   division + 3-digit sector (GB/T 4657) + 3-digit sub-unit + 2-digit extension, the entry
 *   time in Beijing time, a one-digit sequence), taken from the standard's Appendix A as quoted
 *   publicly — not checked against the official text; a zh-CN info block is required, en-US is
 *   optional, no other language; every info carries the level as parameter valueName
 *   "预警级别" with value 红色/橙色/黄色/蓝色, which must match its severity (Extreme/Severe/
 *   Moderate/Minor = I/II/III/IV); every info carries an eventCode valueName "GB/T 35561" whose
 *   value is a 5-character event type code (data/event_types.csv); every geocode has valueName
 *   "GB/T 2260" and a 12-digit division code.
 *
 * Memory: a CapAlert owns all its strings and arrays in its own arena; cap_alert_free()
 * releases everything at once. Code that builds an alert by hand allocates from a->arena (or
 * points at memory that outlives the alert). JSON results are new references; StrBuf output
 * belongs to the caller's StrBuf; a CapReport owns its problems until cap_report_clear().
 * Thread safety: all functions may be called from several threads (the schema is compiled
 * once, read-only afterwards). */
#ifndef YJ_MODULES_PUBLISH_CAP_H
#define YJ_MODULES_PUBLISH_CAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/strbuf.h"

#define CAP_NS "urn:oasis:names:tc:emergency:cap:1.2"
#define CAP_MAX_BYTES (1 << 20) /* larger documents are refused unparsed */

/* Profile names (GB/T 35965.1 as implemented; see the opening comment). */
#define CAP_LEVEL_PARAM "预警级别"
#define CAP_EVENT_CODE_NAME "GB/T 35561"
#define CAP_GEOCODE_NAME "GB/T 2260"
#define CAP_LANG_ZH "zh-CN"
#define CAP_LANG_EN "en-US"

/* ---- enumerations (values index the tables below) ---------------------------------------- */

typedef enum {
    CAP_STATUS_ACTUAL,
    CAP_STATUS_EXERCISE,
    CAP_STATUS_SYSTEM,
    CAP_STATUS_TEST,
    CAP_STATUS_DRAFT
} CapStatus;
typedef enum {
    CAP_MSG_ALERT,
    CAP_MSG_UPDATE,
    CAP_MSG_CANCEL,
    CAP_MSG_ACK,
    CAP_MSG_ERROR
} CapMsgType;
typedef enum { CAP_SCOPE_PUBLIC, CAP_SCOPE_RESTRICTED, CAP_SCOPE_PRIVATE } CapScope;
typedef enum {
    CAP_CAT_GEO,
    CAP_CAT_MET,
    CAP_CAT_SAFETY,
    CAP_CAT_SECURITY,
    CAP_CAT_RESCUE,
    CAP_CAT_FIRE,
    CAP_CAT_HEALTH,
    CAP_CAT_ENV,
    CAP_CAT_TRANSPORT,
    CAP_CAT_INFRA,
    CAP_CAT_CBRNE,
    CAP_CAT_OTHER
} CapCategory;
typedef enum {
    CAP_RESP_SHELTER,
    CAP_RESP_EVACUATE,
    CAP_RESP_PREPARE,
    CAP_RESP_EXECUTE,
    CAP_RESP_AVOID,
    CAP_RESP_MONITOR,
    CAP_RESP_ASSESS,
    CAP_RESP_ALLCLEAR,
    CAP_RESP_NONE
} CapResponseType;
typedef enum {
    CAP_URG_IMMEDIATE,
    CAP_URG_EXPECTED,
    CAP_URG_FUTURE,
    CAP_URG_PAST,
    CAP_URG_UNKNOWN
} CapUrgency;
typedef enum {
    CAP_SEV_EXTREME,
    CAP_SEV_SEVERE,
    CAP_SEV_MODERATE,
    CAP_SEV_MINOR,
    CAP_SEV_UNKNOWN
} CapSeverity;
typedef enum {
    CAP_CERT_OBSERVED,
    CAP_CERT_LIKELY,
    CAP_CERT_POSSIBLE,
    CAP_CERT_UNLIKELY,
    CAP_CERT_UNKNOWN
} CapCertainty;

typedef struct CapEnumValue {
    const char *code; /* CAP spelling, e.g. "Extreme" */
    const char *zh;   /* Chinese label, e.g. "特别严重" */
} CapEnumValue;

typedef struct CapEnum {
    const char *name; /* element name, e.g. "severity" */
    const CapEnumValue *values;
    int n;
} CapEnum;

extern const CapEnum cap_status_enum, cap_msg_type_enum, cap_scope_enum, cap_category_enum,
    cap_response_type_enum, cap_urgency_enum, cap_severity_enum, cap_certainty_enum;

/* Index of code in e, or -1. */
int cap_enum_find(const CapEnum *e, const char *code);
/* Code of value v, or NULL when out of range. */
const char *cap_enum_code(const CapEnum *e, int v);

/* Domestic warning levels 红/橙/黄/蓝 = I/II/III/IV ↔ CAP severity. */
typedef enum {
    CAP_LEVEL_NONE,
    CAP_LEVEL_RED,
    CAP_LEVEL_ORANGE,
    CAP_LEVEL_YELLOW,
    CAP_LEVEL_BLUE
} CapLevel;
typedef struct CapLevelInfo {
    CapLevel level;
    const char *colour; /* parameter value: "红色" … "蓝色" */
    const char *roman;  /* "I" … "IV" */
    const char *en;     /* "Red" … "Blue" */
    CapSeverity severity;
} CapLevelInfo;
/* The table row of a level (NULL for CAP_LEVEL_NONE); by colour ("红色"); by severity. */
const CapLevelInfo *cap_level_info(CapLevel level);
CapLevel cap_level_from_colour(const char *colour);
CapLevel cap_level_from_severity(CapSeverity s);

/* ---- the model ----------------------------------------------------------------------------
 * Absent optional elements are NULL strings / zero counts. Texts are kept verbatim (after the
 * trim described above), so decimals, sizes and times survive byte for byte. */

typedef struct CapPair { /* eventCode, parameter, geocode */
    const char *value_name;
    const char *value;
} CapPair;

typedef struct CapResource {
    const char *resource_desc, *mime_type;
    const char *size, *uri, *deref_uri, *digest; /* optional */
} CapResource;

typedef struct CapArea {
    const char *area_desc;
    const char **polygons;
    size_t n_polygons;
    const char **circles;
    size_t n_circles;
    CapPair *geocodes;
    size_t n_geocodes;
    const char *altitude, *ceiling; /* optional */
} CapArea;

typedef struct CapInfo {
    const char *language; /* optional; CAP's default is en-US */
    CapCategory *categories;
    size_t n_categories;
    const char *event;
    CapResponseType *response_types;
    size_t n_response_types;
    CapUrgency urgency;
    CapSeverity severity;
    CapCertainty certainty;
    const char *audience;
    CapPair *event_codes;
    size_t n_event_codes;
    const char *effective, *onset, *expires;
    const char *sender_name, *headline, *description, *instruction, *web, *contact;
    CapPair *parameters;
    size_t n_parameters;
    CapResource *resources;
    size_t n_resources;
    CapArea *areas;
    size_t n_areas;
} CapInfo;

typedef struct CapAlert {
    Arena arena; /* owns everything below */
    const char *identifier, *sender, *sent;
    CapStatus status;
    CapMsgType msg_type;
    const char *source;
    CapScope scope;
    const char *restriction, *addresses;
    const char **codes;
    size_t n_codes;
    const char *note, *references, *incidents;
    CapInfo *infos;
    size_t n_infos;
} CapAlert;

/* A new empty alert (zeroed; its arena ready); free with cap_alert_free. */
CapAlert *cap_alert_new(void);
void cap_alert_free(CapAlert *a);

/* ---- conversions --------------------------------------------------------------------------
 * Reading maps the structure only (unknown CAP elements, missing required ones, unknown
 * enumeration values, repeated single elements fail with 400 "cap_invalid" naming the path);
 * run cap_validate_xml for the full check. */
int cap_alert_from_xml(const char *buf, size_t len, CapAlert **out, Error *err);
/* Appends the XML document to out. 400 "cap_invalid" when a text is not valid UTF-8 or holds
 * a character XML 1.0 cannot carry. */
int cap_alert_to_xml(const CapAlert *a, StrBuf *out, Error *err);
/* New reference: {"identifier": …, "info": [{"category": [...], "area": [...]}, …]}. */
json_t *cap_alert_to_json(const CapAlert *a);
/* From that form; unknown keys, wrong types and bad enumeration values fail with 400. */
int cap_alert_from_json(const json_t *j, CapAlert **out, Error *err);

/* ---- builders ------------------------------------------------------------------------------ */

/* "YYYY-MM-DDThh:mm:ss+08:00" (Beijing time, the profile's choice) into out (26 bytes). */
void cap_format_time(time_t t, char out[26]);
/* Parses the CAP form [-]YYYY-MM-DDThh:mm:ss±hh:mm (no "Z", no fraction, "-00:00" for UTC;
 * "+00:00" is refused as the specification asks); 0 and *t on success, -1 otherwise. */
int cap_parse_time(const char *s, time_t *t);
/* Identifier ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N from a 14-digit issuing-unit code, the entry
 * time (written in Beijing time) and a sequence 0–9, into out (32 bytes). */
int cap_make_identifier(const char *unit_code, time_t t, int seq, char out[32], Error *err);
/* 1 when id has the profile's identifier form. */
int cap_identifier_ok(const char *id);
/* A 6-, 9- or 12-digit division code as the 12-digit geocode value (zero-padded), into out. */
int cap_division_geocode(const char *code, char out[13], Error *err);

/* ---- validation (cap_validate.c) ----------------------------------------------------------- */

typedef struct CapProblem {
    int line;       /* 0 when not tied to a line */
    char path[256]; /* e.g. /alert/info[1]/area[2]/polygon[1]; "/" for the document */
    char code[48];  /* machine code, e.g. "polygon_not_closed" (docs/cap.md) */
    char zh[512];
    char en[512];
} CapProblem;

typedef struct CapReport {
    CapProblem *items;
    size_t n, cap;
} CapReport;

/* clang-format off */
#define CAP_REPORT_INIT {NULL, 0, 0}
/* clang-format on */

void cap_report_clear(CapReport *r);
/* Appends a problem. In the f form zh_fmt and en_fmt each consume the same argument list from
 * its start (like error_setf). */
void cap_report_add(CapReport *r, int line, const char *path, const char *code, const char *zh,
                    const char *en);
void cap_report_addf(CapReport *r, int line, const char *path, const char *code, const char *zh_fmt,
                     const char *en_fmt, ...);

enum {
    CAP_CHECK_SPEC = 1,    /* schema + the specification's rules */
    CAP_CHECK_PROFILE = 2, /* GB/T 35965.1 profile */
    CAP_CHECK_ALL = 3,
};

/* Checks a document and appends every problem found to r; returns the number appended
 * (0: valid). A document that is not well-formed, has a DOCTYPE or is too large yields that
 * one problem. */
size_t cap_validate_xml(const char *buf, size_t len, unsigned checks, CapReport *r);
/* Checks a model by writing it and checking the XML (lines refer to that XML). */
size_t cap_validate_alert(const CapAlert *a, unsigned checks, CapReport *r);

/* The XXE-safe reader every entry point uses: a libxml2 document (free with xmlFreeDoc), or
 * NULL with the problem appended to r. Returned as void * to keep libxml2 out of this header. */
void *cap_xml_read(const char *buf, size_t len, CapReport *r);
/* Installs the refusing external-entity loader and initialises libxml2 (idempotent). */
void cap_xml_init(void);

/* ---- command line (yingji cap …) ---------------------------------------------------------- */

/* `cap validate FILE…`: per problem "FILE:LINE: PATH: 中文 / English" on out, a summary line
 * per valid file; returns 0 all valid, 1 any problem, 2 a file could not be read (on err). */
int cap_cmd_validate(const char *const *paths, int n, FILE *out, FILE *err);
/* `cap convert FILE --to json|xml`: the message converted on out; problems on err (exit 1);
 * 2 for a bad --to or an unreadable file. */
int cap_cmd_convert(const char *path, const char *to, FILE *out, FILE *err);

#endif
