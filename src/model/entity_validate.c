/* model/entity_validate — checks JSON input against an entity declaration.
 *
 * Every problem of every field is collected into err->fields (Chinese, prefixed with the
 * field's label) before the function gives up, so a form can mark all bad fields at once.
 * Values come back normalised: division codes shortened, times in UTC "…Z", reals as reals. */
#include "model/entity_internal.h"
#include "core/clock.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct VCtx {
    const Entity *e;
    ValidateMode mode;
    const Actor *actor;
    Error *err;
    int problems; /* field problems other than jurisdiction */
    int outside;  /* a division code lies outside the actor's jurisdiction */
} VCtx;

void ent_field_error(Error *err, const Field *f, const char *problem)
{
    StrBuf sb = STRBUF_INIT;
    strbuf_adds(&sb, f->label_zh ? f->label_zh : f->name);
    strbuf_adds(&sb, problem);
    error_field(err, f->name, strbuf_cstr(&sb));
    strbuf_free(&sb);
}

int ent_validation_failed(Error *err)
{
    return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                     "validation failed");
}

static void problem(VCtx *v, const Field *f, const char *what)
{
    ent_field_error(v->err, f, what);
    v->problems++;
}

static void problemf(VCtx *v, const Field *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problemf(VCtx *v, const Field *f, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    problem(v, f, buf);
}

static int blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

/* ---- one value per type ------------------------------------------------------------------ */

/* Checks a string's bytes: no NUL inside, valid UTF-8, at most max code points (0: no limit). */
static int check_string(VCtx *v, const Field *f, json_t *val, int max)
{
    const char *s = json_string_value(val);
    size_t n = json_string_length(val);
    if (strlen(s) != n) {
        problem(v, f, "不能包含空字符");
        return -1;
    }
    int chars = ent_utf8_length(s, n);
    if (chars < 0) {
        problem(v, f, "含有无效的 UTF-8 字符");
        return -1;
    }
    if (max > 0 && chars > max) {
        problemf(v, f, "长度不能超过 %d 个字符", max);
        return -1;
    }
    return 0;
}

static int in_range(VCtx *v, const Field *f, double d)
{
    if (f->has_range && (d < f->min || d > f->max)) {
        problemf(v, f, "取值应在 %g 至 %g 之间", f->min, f->max);
        return 0;
    }
    return 1;
}

static json_t *check_int(VCtx *v, const Field *f, json_t *val)
{
    const char *what = f->type == FT_REF ? "应为正整数（所引用记录的编号）" : "应为整数";
    if (!json_is_integer(val) || (f->type == FT_REF && json_integer_value(val) <= 0)) {
        problem(v, f, what);
        return NULL;
    }
    return in_range(v, f, (double)json_integer_value(val)) ? json_incref(val) : NULL;
}

static json_t *check_real(VCtx *v, const Field *f, json_t *val)
{
    if (!json_is_number(val)) {
        problem(v, f, "应为数字");
        return NULL;
    }
    double d = json_number_value(val);
    return in_range(v, f, d) ? json_real(d) : NULL;
}

static json_t *check_enum(VCtx *v, const Field *f, const char *s)
{
    if (ent_enum_label(f, s))
        return json_string(s);
    StrBuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "取值必须是以下之一：");
    for (const EnumValue *ev = f->enum_values; ev && ev->value; ev++) {
        if (ev != f->enum_values)
            strbuf_adds(&sb, "、");
        if (ev->label_zh && strcmp(ev->label_zh, ev->value) != 0)
            strbuf_addf(&sb, "%s（%s）", ev->label_zh, ev->value);
        else
            strbuf_adds(&sb, ev->value);
    }
    problem(v, f, strbuf_cstr(&sb));
    strbuf_free(&sb);
    return NULL;
}

static json_t *check_time(VCtx *v, const Field *f, const char *s)
{
    int64_t t;
    if (clock_parse_iso(s, &t) < 0) {
        problem(v, f, "应为 ISO-8601 时间，例如 2026-11-22T08:00:00Z");
        return NULL;
    }
    char iso[32];
    clock_format_iso(t, iso, sizeof iso);
    return json_string(iso);
}

static json_t *check_date(VCtx *v, const Field *f, const char *s)
{
    int64_t t;
    if (strlen(s) != 10 || clock_parse_iso(s, &t) < 0) {
        problem(v, f, "应为日期，格式 YYYY-MM-DD");
        return NULL;
    }
    return json_string(s);
}

static json_t *check_division(VCtx *v, const Field *f, const char *s)
{
    char code[16];
    if (strlen(s) >= sizeof code || division_code_normalize(s, code) < 0) {
        problem(v, f, "应为 2、4、6、9 或 12 位数字的行政区划代码");
        return NULL;
    }
    if (v->actor && !actor_covers(v->actor, code)) {
        ent_field_error(v->err, f, "不在您的管辖范围内");
        v->outside = 1;
        return NULL;
    }
    return json_string(code);
}

/* String-typed fields: TEXT, ENUM, TIME, DATE, DIVISION. */
static json_t *check_stringish(VCtx *v, const Field *f, json_t *val)
{
    if (!json_is_string(val)) {
        problem(v, f, "应为文本");
        return NULL;
    }
    if (check_string(v, f, val, f->type == FT_TEXT ? ent_text_max(f) : 0) < 0)
        return NULL;
    const char *s = json_string_value(val);
    switch (f->type) {
    case FT_ENUM:
        return check_enum(v, f, s);
    case FT_TIME:
        return check_time(v, f, s);
    case FT_DATE:
        return check_date(v, f, s);
    case FT_DIVISION:
        return check_division(v, f, s);
    default:
        return json_incref(val);
    }
}

/* Returns the normalised value (new reference) or NULL after recording the problem. */
static json_t *check_value(VCtx *v, const Field *f, json_t *val)
{
    switch (f->type) {
    case FT_INT:
    case FT_REF:
        return check_int(v, f, val);
    case FT_REAL:
        return check_real(v, f, val);
    case FT_BOOL:
        if (json_is_boolean(val))
            return json_incref(val);
        problem(v, f, "应为 true 或 false");
        return NULL;
    case FT_JSON:
        return json_incref(val);
    default:
        return check_stringish(v, f, val);
    }
}

/* ---- one input member -------------------------------------------------------------------- */

static int is_engine_column(const Entity *e, const char *name)
{
    return strcmp(name, ENT_CREATED) == 0 || strcmp(name, ENT_UPDATED) == 0 ||
           (strcmp(name, ENT_AUTO_KEY) == 0 && !entity_field(e, ENT_AUTO_KEY));
}

/* Refuses members the client may not send here; returns the field or NULL. */
static const Field *acceptable_field(VCtx *v, const char *name)
{
    if (is_engine_column(v->e, name)) {
        error_field(v->err, name, "该字段由系统生成，不能提交");
        v->problems++;
        return NULL;
    }
    const Field *f = entity_field(v->e, name);
    if (!f) {
        error_field(v->err, name, "未知字段");
        v->problems++;
        return NULL;
    }
    if (f->flags & FIELD_READONLY) {
        problem(v, f, "由系统设置，不能提交");
        return NULL;
    }
    int locked = f->flags & FIELD_KEY;
    if (v->mode == VALIDATE_UPDATE)
        locked |= f->flags & FIELD_IMMUTABLE;
    if (v->mode != VALIDATE_CREATE && locked) {
        problem(v, f, "创建后不可修改");
        return NULL;
    }
    return f;
}

/* Empty input: null, or an empty string for a typed (non-free-text) field. */
static int empty_value(const Field *f, json_t *val)
{
    if (json_is_null(val))
        return 1;
    if (!json_is_string(val))
        return 0;
    const char *s = json_string_value(val);
    return f->type == FT_TEXT ? blank(s) && (f->flags & (FIELD_REQUIRED | FIELD_KEY))
                              : f->type != FT_JSON && blank(s);
}

static void check_member(VCtx *v, json_t *out, const char *name, json_t *val)
{
    const Field *f = acceptable_field(v, name);
    if (!f)
        return;
    if (empty_value(f, val)) {
        if (f->flags & (FIELD_REQUIRED | FIELD_KEY))
            problem(v, f, "必填");
        else if (v->mode != VALIDATE_CREATE)
            json_object_set_new(out, name, json_null());
        return; /* on create an absent value lets the column default apply */
    }
    json_t *norm = check_value(v, f, val);
    if (norm)
        json_object_set_new(out, name, norm);
}

static void check_required(VCtx *v, json_t *in)
{
    for (const Field *f = v->e->fields; f->name; f++) {
        if (!(f->flags & (FIELD_REQUIRED | FIELD_KEY)) || (f->flags & FIELD_READONLY) ||
            f->default_sql)
            continue;
        if (!json_object_get(in, f->name))
            problem(v, f, "必填");
    }
}

json_t *ent_validate(const Entity *e, json_t *in, ValidateMode mode, const Actor *actor, Error *err)
{
    if (!json_is_object(in)) {
        error_set(err, 422, "validation_failed", "提交的数据应为 JSON 对象",
                  "the request body must be a JSON object");
        return NULL;
    }
    VCtx v = {e, mode, actor, err, 0, 0};
    json_t *out = json_object();
    const char *name;
    json_t *val;
    json_object_foreach(in, name, val)
    {
        check_member(&v, out, name, val);
    }
    if (mode == VALIDATE_CREATE)
        check_required(&v, in);
    if (v.problems) {
        ent_validation_failed(err);
    } else if (v.outside) {
        error_set(err, 403, "outside_jurisdiction", "所填行政区划不在您的管辖范围内",
                  "the division code lies outside your jurisdiction");
    } else {
        return out;
    }
    json_decref(out);
    return NULL;
}

json_t *entity_validate(const Entity *e, json_t *in, int is_create, const Actor *actor, Error *err)
{
    return ent_validate(e, in, is_create ? VALIDATE_CREATE : VALIDATE_UPDATE, actor, err);
}
