/* modules/publish/capmap — a warning row as a CAP 1.2 message (GB/T 35965.1 profile) and
 * back, and the warning's target area as a GeoArea.
 *
 * Area fields of a warning: target_divisions ["620390100", …] (recipients whose division
 * code starts with one of them), polygons [GeoJSON Polygon | MultiPolygon, …], circles
 * [{"lon", "lat", "radius_m"}, …]. In CAP they become one <area>: areaDesc, a <polygon> per
 * outer ring ("lat,lon" pairs; CAP has no holes, so a hole is targeted but not exported), a
 * <circle> "lat,lon km" per circle, a GB/T 2260 <geocode> (12 digits) per target division. */
#include "modules/publish/publish_internal.h"

#include "core/clock.h"
#include "core/strbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int area_refuse(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s: %s", field,
              en);
    error_field(err, field, zh);
    return -1;
}

int pub_area_of(json_t *w, GeoArea **out, Error *err)
{
    *out = NULL;
    json_t *polys = json_object_get(w, "polygons"), *circles = json_object_get(w, "circles");
    if (json_is_string(polys)) /* stored JSON read back as text */
        polys = NULL;
    size_t np = json_is_array(polys) ? json_array_size(polys) : 0;
    size_t nc = json_is_array(circles) ? json_array_size(circles) : 0;
    if (!np && !nc)
        return 0;
    GeoArea *area = geo_area_new();
    for (size_t i = 0; i < np; i++) {
        Error e2 = ERROR_INIT;
        if (geo_area_add_geojson(area, json_array_get(polys, i), &e2) < 0) {
            char zh[600];
            snprintf(zh, sizeof zh, "第 %zu 个多边形：%s", i + 1, e2.message);
            area_refuse(err, "polygons", zh, e2.message_en);
            error_clear(&e2);
            geo_area_free(area);
            return -1;
        }
    }
    for (size_t i = 0; i < nc; i++) {
        json_t *c = json_array_get(circles, i);
        json_t *lon = json_object_get(c, "lon"), *lat = json_object_get(c, "lat"),
               *r = json_object_get(c, "radius_m");
        Error e2 = ERROR_INIT;
        if (!json_is_number(lon) || !json_is_number(lat) || !json_is_number(r) ||
            geo_area_add_circle(area, json_number_value(lon), json_number_value(lat),
                                json_number_value(r), &e2) < 0) {
            error_clear(&e2);
            geo_area_free(area);
            return area_refuse(err, "circles",
                               "圆形区域应为 {lon, lat, radius_m}，半径单位为米且大于0",
                               "a circle is {lon, lat, radius_m} with a positive radius in metres");
        }
    }
    *out = area;
    return 0;
}

int pub_area_check(json_t *rec, const Actor *actor, Error *err)
{
    json_t *divs = json_object_get(rec, "target_divisions");
    const char *own = pub_json_str(rec, "division_code");
    if (divs && !json_is_null(divs)) {
        if (!json_is_array(divs))
            return area_refuse(err, "target_divisions", "目标区划应为区划代码数组",
                               "must be an array of division codes");
        json_t *norm = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(divs, i, v)
        {
            char code[16];
            if (!json_is_string(v) || division_code_normalize(json_string_value(v), code) < 0) {
                json_decref(norm);
                return area_refuse(err, "target_divisions", "区划代码格式不正确",
                                   "a division code is malformed");
            }
            if (!actor_covers(actor, code) || (own && strncmp(code, own, strlen(own)) != 0)) {
                json_decref(norm);
                return area_refuse(err, "target_divisions",
                                   "目标区划须在发布区划和您的管辖范围之内",
                                   "target divisions must lie inside the warning's division and "
                                   "your jurisdiction");
            }
            json_array_append_new(norm, json_string(code));
        }
        json_object_set_new(rec, "target_divisions", norm);
    }
    json_t *polys = json_object_get(rec, "polygons"), *circles = json_object_get(rec, "circles");
    if (polys && !json_is_null(polys) && !json_is_array(polys))
        return area_refuse(err, "polygons", "目标多边形应为 GeoJSON 几何对象数组",
                           "must be an array of GeoJSON geometries");
    if (circles && !json_is_null(circles) && !json_is_array(circles))
        return area_refuse(err, "circles", "圆形区域应为数组", "must be an array");
    GeoArea *area = NULL;
    if (pub_area_of(rec, &area, err) < 0)
        return -1;
    geo_area_free(area);
    return 0;
}

/* ---- warning → CAP ---------------------------------------------------------------------- */

static const char *cap_time(CapAlert *a, const char *iso)
{
    int64_t t;
    if (!iso || clock_parse_iso(iso, &t) < 0)
        return NULL;
    char *out = arena_alloc(&a->arena, 26);
    cap_format_time((time_t)t, out);
    return out;
}

static const char *ring_text(CapAlert *a, json_t *ring)
{
    StrBuf sb = STRBUF_INIT;
    size_t i;
    json_t *pos;
    json_array_foreach(ring, i, pos)
    {
        strbuf_addf(&sb, "%s%.10g,%.10g", i ? " " : "", json_number_value(json_array_get(pos, 1)),
                    json_number_value(json_array_get(pos, 0)));
    }
    const char *s = arena_strdup(&a->arena, strbuf_cstr(&sb));
    strbuf_free(&sb);
    return s;
}

static void add_polygons(CapAlert *a, CapArea *ar, json_t *polys)
{
    size_t n = 0, i;
    json_t *g;
    json_array_foreach(polys, i, g)
    {
        const char *type = pub_json_str(g, "type");
        json_t *co = json_object_get(g, "coordinates");
        n += type && strcmp(type, "MultiPolygon") == 0 ? json_array_size(co) : 1;
    }
    ar->polygons = arena_alloc(&a->arena, sizeof *ar->polygons * (n ? n : 1));
    json_array_foreach(polys, i, g)
    {
        const char *type = pub_json_str(g, "type");
        json_t *co = json_object_get(g, "coordinates");
        if (type && strcmp(type, "MultiPolygon") == 0) {
            size_t k;
            json_t *part;
            json_array_foreach(co, k, part)
            {
                ar->polygons[ar->n_polygons++] = ring_text(a, json_array_get(part, 0));
            }
        } else {
            ar->polygons[ar->n_polygons++] = ring_text(a, json_array_get(co, 0));
        }
    }
}

static void fill_info(CapAlert *a, CapInfo *in, json_t *w, int en)
{
    const char *level = pub_json_str(w, "level");
    const CapLevelInfo *li = cap_level_info(pub_level_of(level));
    in->language = en ? CAP_LANG_EN : CAP_LANG_ZH;
    in->categories = arena_alloc(&a->arena, sizeof *in->categories);
    int cat = cap_enum_find(&cap_category_enum, pub_json_str(w, "category"));
    in->categories[0] = cat < 0 ? CAP_CAT_OTHER : (CapCategory)cat;
    in->n_categories = 1;
    in->event = arena_strdup(&a->arena, pub_json_str(w, "event"));
    int u = cap_enum_find(&cap_urgency_enum, pub_json_str(w, "urgency"));
    int c = cap_enum_find(&cap_certainty_enum, pub_json_str(w, "certainty"));
    in->urgency = u < 0 ? CAP_URG_UNKNOWN : (CapUrgency)u;
    in->certainty = c < 0 ? CAP_CERT_UNKNOWN : (CapCertainty)c;
    in->severity = li ? li->severity : CAP_SEV_UNKNOWN;
    in->event_codes = arena_alloc(&a->arena, sizeof *in->event_codes);
    in->event_codes[0] =
        (CapPair){CAP_EVENT_CODE_NAME, arena_strdup(&a->arena, pub_json_str(w, "event_code"))};
    in->n_event_codes = 1;
    in->effective = cap_time(a, pub_json_str(w, "effective"));
    in->expires = cap_time(a, pub_json_str(w, "expires"));
    in->sender_name = arena_strdup(&a->arena, pub_json_str(w, "sender_name"));
    const char *h = pub_json_str(w, en ? "headline_en" : "headline");
    const char *d = pub_json_str(w, en ? "description_en" : "description");
    const char *ins = pub_json_str(w, en ? "instruction_en" : "instruction");
    in->headline = arena_strdup(&a->arena, h);
    in->description = arena_strdup(&a->arena, d ? d : pub_json_str(w, "description"));
    in->instruction = arena_strdup(&a->arena, ins);
    in->parameters = arena_alloc(&a->arena, sizeof *in->parameters);
    in->parameters[0] = (CapPair){CAP_LEVEL_PARAM, li ? li->colour : "蓝色"};
    in->n_parameters = 1;
    /* one area */
    in->areas = arena_alloc(&a->arena, sizeof *in->areas);
    in->n_areas = 1;
    CapArea *ar = &in->areas[0];
    const char *desc = pub_json_str(w, "area_desc");
    ar->area_desc = arena_strdup(&a->arena, desc && *desc ? desc : "预警区域");
    json_t *polys = json_object_get(w, "polygons"), *circles = json_object_get(w, "circles"),
           *divs = json_object_get(w, "target_divisions");
    if (json_is_array(polys))
        add_polygons(a, ar, polys);
    size_t nc = json_is_array(circles) ? json_array_size(circles) : 0;
    ar->circles = arena_alloc(&a->arena, sizeof *ar->circles * (nc ? nc : 1));
    for (size_t i = 0; i < nc; i++) {
        json_t *ci = json_array_get(circles, i);
        ar->circles[ar->n_circles++] = arena_printf(
            &a->arena, "%.10g,%.10g %.10g", json_number_value(json_object_get(ci, "lat")),
            json_number_value(json_object_get(ci, "lon")),
            json_number_value(json_object_get(ci, "radius_m")) / 1000.0);
    }
    size_t nd = json_is_array(divs) ? json_array_size(divs) : 0;
    ar->geocodes = arena_alloc(&a->arena, sizeof *ar->geocodes * (nd ? nd : 1));
    for (size_t i = 0; i < nd; i++) {
        char g[13];
        Error e2 = ERROR_INIT;
        if (cap_division_geocode(json_string_value(json_array_get(divs, i)), g, &e2) < 0) {
            error_clear(&e2);
            continue;
        }
        ar->geocodes[ar->n_geocodes++] = (CapPair){CAP_GEOCODE_NAME, arena_strdup(&a->arena, g)};
    }
}

CapAlert *pub_cap_of(json_t *w, json_t *ref)
{
    CapAlert *a = cap_alert_new();
    const char *id = pub_json_str(w, "identifier");
    char tmp[32];
    if (!id || !*id) { /* a draft: a provisional identifier of now */
        Error e2 = ERROR_INIT;
        if (cap_make_identifier(pub_cap_unit(), (time_t)clock_now(), 0, tmp, &e2) < 0)
            snprintf(tmp, sizeof tmp, "%s", "draft");
        error_clear(&e2);
        id = tmp;
    }
    a->identifier = arena_strdup(&a->arena, id);
    a->sender = arena_strdup(&a->arena, pub_cap_sender());
    const char *sent = pub_json_str(w, "sent_at");
    if (!sent || !*sent) {
        char *s = arena_alloc(&a->arena, 26);
        cap_format_time((time_t)clock_now(), s);
        sent = s;
    }
    a->sent = arena_strdup(&a->arena, sent);
    int st = cap_enum_find(&cap_status_enum, pub_json_str(w, "cap_status"));
    a->status = st < 0 ? CAP_STATUS_ACTUAL : (CapStatus)st;
    int mt = cap_enum_find(&cap_msg_type_enum, pub_json_str(w, "msg_type"));
    a->msg_type = mt < 0 ? CAP_MSG_ALERT : (CapMsgType)mt;
    a->scope = CAP_SCOPE_PUBLIC;
    if (ref && a->msg_type != CAP_MSG_ALERT)
        a->references = arena_printf(&a->arena, "%s,%s,%s", pub_cap_sender(),
                                     pub_json_str(ref, "identifier"), pub_json_str(ref, "sent_at"));
    int en = pub_json_str(w, "headline_en") && *pub_json_str(w, "headline_en");
    a->infos = arena_alloc(&a->arena, sizeof *a->infos * 2);
    fill_info(a, &a->infos[a->n_infos++], w, 0);
    if (en)
        fill_info(a, &a->infos[a->n_infos++], w, 1);
    return a;
}

/* ---- CAP → warning ---------------------------------------------------------------------- */

static json_t *iso_of(const char *cap)
{
    time_t t;
    if (!cap || cap_parse_time(cap, &t) < 0)
        return NULL;
    char out[32];
    clock_format_iso((int64_t)t, out, sizeof out);
    return json_string(out);
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v && *v)
        json_object_set_new(o, k, json_string(v));
}

static json_t *polygon_of(const char *text)
{
    json_t *ring = json_array();
    const char *p = text;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *end;
        double lat = strtod(p, &end);
        if (*end != ',') {
            json_decref(ring);
            return NULL;
        }
        double lon = strtod(end + 1, &end);
        json_array_append_new(ring, json_pack("[f,f]", lon, lat));
        p = end;
    }
    return json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
}

/* The longest code of a valid length (12, 9, 6, 4, 2) that all codes start with. */
static void common_division(json_t *codes, char out[16])
{
    out[0] = 0;
    size_t n = json_array_size(codes);
    if (!n)
        return;
    char pre[16];
    snprintf(pre, sizeof pre, "%s", json_string_value(json_array_get(codes, 0)));
    size_t len = strlen(pre);
    for (size_t i = 1; i < n; i++) {
        const char *c = json_string_value(json_array_get(codes, i));
        size_t k = 0;
        while (k < len && c[k] == pre[k])
            k++;
        len = k;
    }
    static const size_t lens[] = {12, 9, 6, 4, 2};
    for (int i = 0; i < 5; i++)
        if (lens[i] <= len) {
            snprintf(out, 16, "%.*s", (int)lens[i], pre);
            return;
        }
}

static int report_error(CapReport *r, Error *err)
{
    error_setf(err, 422, "cap_invalid", "CAP 报文有 %d 处问题，未导入",
               "the CAP message has %d problems; nothing was imported", (int)r->n);
    err->rows = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(err->rows,
                              json_pack("{s:i, s:s, s:s, s:s, s:s}", "line", r->items[i].line,
                                        "path", r->items[i].path, "code", r->items[i].code,
                                        "message", r->items[i].zh, "message_en", r->items[i].en));
    return -1;
}

int pub_cap_import(const char *xml, size_t len, const Actor *actor, json_t **out, Error *err)
{
    *out = NULL;
    CapReport r = CAP_REPORT_INIT;
    if (cap_validate_xml(xml, len, CAP_CHECK_ALL, &r) > 0) {
        report_error(&r, err);
        cap_report_clear(&r);
        return -1;
    }
    cap_report_clear(&r);
    CapAlert *a = NULL;
    if (cap_alert_from_xml(xml, len, &a, err) < 0)
        return -1;
    if (a->msg_type != CAP_MSG_ALERT && a->msg_type != CAP_MSG_UPDATE) {
        cap_alert_free(a);
        return error_set(err, 422, "cap_unsupported", "只能导入首发或更新类型的预警报文",
                         "only Alert and Update messages can be imported");
    }
    const CapInfo *zh = NULL, *en = NULL;
    for (size_t i = 0; i < a->n_infos; i++) {
        const char *l = a->infos[i].language;
        if (l && strcmp(l, CAP_LANG_EN) == 0)
            en = &a->infos[i];
        else if (!zh)
            zh = &a->infos[i];
    }
    json_t *w = json_object(), *divs = json_array(), *polys = json_array(), *circles = json_array();
    const char *st = cap_enum_code(&cap_status_enum, (int)a->status);
    set_str(w, "cap_status",
            st && (strcmp(st, "Actual") == 0 || strcmp(st, "Exercise") == 0) ? st : "Test");
    CapLevel lv = CAP_LEVEL_NONE;
    for (size_t i = 0; i < zh->n_parameters; i++)
        if (strcmp(zh->parameters[i].value_name, CAP_LEVEL_PARAM) == 0)
            lv = cap_level_from_colour(zh->parameters[i].value);
    if (lv == CAP_LEVEL_NONE)
        lv = cap_level_from_severity(zh->severity);
    set_str(w, "level", pub_level_name(lv));
    set_str(w, "event", zh->event);
    for (size_t i = 0; i < zh->n_event_codes; i++)
        if (strcmp(zh->event_codes[i].value_name, CAP_EVENT_CODE_NAME) == 0)
            set_str(w, "event_code", zh->event_codes[i].value);
    if (zh->n_categories)
        set_str(w, "category", cap_enum_code(&cap_category_enum, (int)zh->categories[0]));
    set_str(w, "urgency", cap_enum_code(&cap_urgency_enum, (int)zh->urgency));
    set_str(w, "certainty", cap_enum_code(&cap_certainty_enum, (int)zh->certainty));
    set_str(w, "sender_name", zh->sender_name);
    set_str(w, "headline", zh->headline);
    set_str(w, "description", zh->description);
    set_str(w, "instruction", zh->instruction);
    if (en) {
        set_str(w, "headline_en", en->headline);
        set_str(w, "description_en", en->description);
        set_str(w, "instruction_en", en->instruction);
    }
    json_t *t = iso_of(zh->effective);
    if (t)
        json_object_set_new(w, "effective", t);
    if ((t = iso_of(zh->expires)))
        json_object_set_new(w, "expires", t);
    StrBuf desc = STRBUF_INIT;
    for (size_t i = 0; i < zh->n_areas; i++) {
        const CapArea *ar = &zh->areas[i];
        if (ar->area_desc)
            strbuf_addf(&desc, "%s%s", desc.len ? "；" : "", ar->area_desc);
        for (size_t k = 0; k < ar->n_polygons; k++) {
            json_t *g = polygon_of(ar->polygons[k]);
            if (g)
                json_array_append_new(polys, g);
        }
        for (size_t k = 0; k < ar->n_circles; k++) {
            double lat, lon, km;
            if (sscanf(ar->circles[k], "%lf,%lf %lf", &lat, &lon, &km) == 3)
                json_array_append_new(circles, json_pack("{s:f, s:f, s:f}", "lon", lon, "lat", lat,
                                                         "radius_m", km * 1000.0));
        }
        for (size_t k = 0; k < ar->n_geocodes; k++) {
            char code[16];
            if (strcmp(ar->geocodes[k].value_name, CAP_GEOCODE_NAME) == 0 &&
                division_code_normalize(ar->geocodes[k].value, code) == 0)
                json_array_append_new(divs, json_string(code));
        }
    }
    if (desc.len)
        set_str(w, "area_desc", strbuf_cstr(&desc));
    strbuf_free(&desc);
    /* the warning's own division: what its target divisions share, inside the jurisdiction */
    char own[16];
    common_division(divs, own);
    if (!own[0] && a->identifier && strlen(a->identifier) >= 6)
        snprintf(own, sizeof own, "%.6s", a->identifier);
    if (*actor->jurisdiction && (!own[0] || !actor_covers(actor, own)))
        snprintf(own, sizeof own, "%s", actor->jurisdiction);
    set_str(w, "division_code", own);
    json_object_set_new(w, "target_divisions", divs);
    json_object_set_new(w, "polygons", polys);
    json_object_set_new(w, "circles", circles);
    cap_alert_free(a);
    *out = w;
    return 0;
}
