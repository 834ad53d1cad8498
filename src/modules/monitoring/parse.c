/* modules/monitoring/parse — the two readings formats, parsed whole before anything is stored
 * (contract: mon_parse in monitoring_internal.h, formats in monitoring.h). Depends only on
 * core and jansson so the fuzz target (tests/fuzz/fuzz_readings.c) can link it alone.
 * The line format is the project's own (one reading per line); JSON goes through jansson. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/clock.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int malformed(Error *err, const char *where_zh, const char *where_en, long n, const char *zh,
                     const char *en)
{
    return error_setf(err, 400, "bad_readings", "数据格式错误（%s %ld）：%s",
                      "malformed readings (%s %ld): %s", where_zh, n, zh, where_en, n, en);
}

/* ISO-8601 instant (fractions of a second kept to the millisecond) or Unix ms. */
static int parse_time_ms(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    int64_t sec;
    if (!s || clock_parse_iso(s, &sec) < 0)
        return -1;
    int64_t ms = 0;
    const char *dot = strlen(s) > 19 && s[19] == '.' ? s + 20 : NULL;
    for (int i = 0; dot && i < 3; i++)
        ms = ms * 10 + (isdigit((unsigned char)dot[i]) ? dot[i] - '0' : 0);
    if (dot && !isdigit((unsigned char)dot[0]))
        ms = 0;
    *out = sec * 1000 + ms;
    return 0;
}

static int parse_json(const char *body, size_t len, Arena *arena, ParsedBatch *out, Error *err)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return error_setf(err, 400, "bad_json", "请求体不是合法的JSON对象（第%d行）：%s",
                          "the body is not a JSON object (line %d): %s", je.line, je.text, je.line,
                          je.text);
    }
    int rc = -1;
    json_t *auth = json_object_get(root, "auth"), *batch = json_object_get(root, "batch");
    json_t *list = json_object_get(root, "readings");
    out->auth = json_is_string(auth) ? arena_strdup(arena, json_string_value(auth)) : NULL;
    out->batch = json_is_string(batch) ? arena_strdup(arena, json_string_value(batch)) : NULL;
    if (!json_is_array(list)) {
        error_set(err, 400, "bad_readings", "缺少 readings 数组", "the readings array is missing");
        goto out;
    }
    size_t n = json_array_size(list);
    if (n > MON_MAX_BATCH) {
        error_setf(err, 413, "batch_too_large", "一批最多 %d 条读数", "at most %d readings a batch",
                   MON_MAX_BATCH, MON_MAX_BATCH);
        goto out;
    }
    out->readings = arena_alloc(arena, sizeof *out->readings * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(list, i);
        json_t *sensor = json_object_get(r, "sensor"), *value = json_object_get(r, "value");
        ParsedReading *pr = &out->readings[i];
        if (!json_is_string(sensor) || !json_string_length(sensor)) {
            malformed(err, "读数", "reading", (long)i, "缺少 sensor", "sensor is missing");
            goto out;
        }
        if (!json_is_number(value) || !isfinite(json_number_value(value))) {
            malformed(err, "读数", "reading", (long)i, "value 须为有限数值",
                      "value must be a finite number");
            goto out;
        }
        if (parse_time_ms(json_object_get(r, "ts"), &pr->ts_ms) < 0) {
            malformed(err, "读数", "reading", (long)i, "ts 须为ISO-8601时间或Unix毫秒",
                      "ts must be an ISO-8601 instant or Unix milliseconds");
            goto out;
        }
        pr->sensor = arena_strdup(arena, json_string_value(sensor));
        pr->value = json_number_value(value);
    }
    out->n = (int)n;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* Splits the next whitespace-separated token of [*p, end); NUL-terminates it in place. */
static char *next_token(char **p, char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    if (*p >= end)
        return NULL;
    char *start = *p;
    while (*p < end && **p != ' ' && **p != '\t')
        (*p)++;
    if (*p < end)
        *(*p)++ = 0;
    else
        **p = 0; /* end points at the line's terminator, which is ours to overwrite */
    return start;
}

static int parse_line(char *line, char *end, long lineno, int64_t now_ms, int seen_reading,
                      Arena *arena, ParsedBatch *out, Error *err)
{
    char *p = line;
    char *t1 = next_token(&p, end);
    if (!t1 || t1[0] == '#')
        return 0;
    char *t2 = next_token(&p, end), *t3 = next_token(&p, end), *t4 = next_token(&p, end);
    if (t1[0] == '@') {
        if (seen_reading || !t2 || t3)
            return malformed(err, "第", "line", lineno, "头部行须在读数之前且只有一个参数",
                             "header lines come before the readings and take one argument");
        if (strcmp(t1, "@auth") == 0)
            out->auth = arena_strdup(arena, t2);
        else if (strcmp(t1, "@batch") == 0)
            out->batch = arena_strdup(arena, t2);
        else
            return malformed(err, "第", "line", lineno, "未知的头部行", "unknown header line");
        return 0;
    }
    if (!t2 || t4)
        return malformed(err, "第", "line", lineno, "应为“传感器编号 数值 [毫秒时间戳]”",
                         "expected \"SENSOR VALUE [TS_MS]\"");
    char *e;
    errno = 0;
    double v = strtod(t2, &e);
    if (*e || errno || !isfinite(v))
        return malformed(err, "第", "line", lineno, "数值无效", "the value is not a finite number");
    int64_t ts = now_ms;
    if (t3) {
        errno = 0;
        long long n = strtoll(t3, &e, 10);
        if (*e || errno || n < 0)
            return malformed(err, "第", "line", lineno, "时间戳须为Unix毫秒",
                             "the timestamp must be Unix milliseconds");
        ts = n;
    }
    ParsedReading *pr = &out->readings[out->n++];
    pr->sensor = t1;
    pr->value = v;
    pr->ts_ms = ts;
    return 0;
}

static int parse_lines(const char *body, size_t len, int64_t now_ms, Arena *arena, ParsedBatch *out,
                       Error *err)
{
    size_t nlines = 1;
    for (size_t i = 0; i < len; i++)
        nlines += body[i] == '\n';
    if (nlines > MON_MAX_BATCH + 16)
        return error_setf(err, 413, "batch_too_large", "一批最多 %d 条读数",
                          "at most %d readings a batch", MON_MAX_BATCH, MON_MAX_BATCH);
    char *copy = arena_strndup(arena, body, len); /* tokens point into it */
    out->readings = arena_alloc(arena, sizeof *out->readings * nlines);
    char *p = copy, *end = copy + len;
    for (long lineno = 1; p < end; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le--;
        if (memchr(p, 0, (size_t)(le - p)))
            return malformed(err, "第", "line", lineno, "含有NUL字符", "contains a NUL byte");
        if (parse_line(p, le, lineno, now_ms, out->n > 0, arena, out, err) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    if (out->n > MON_MAX_BATCH)
        return error_setf(err, 413, "batch_too_large", "一批最多 %d 条读数",
                          "at most %d readings a batch", MON_MAX_BATCH, MON_MAX_BATCH);
    return 0;
}

int mon_parse(const char *body, size_t len, IngestFormat fmt, int64_t now_ms, Arena *arena,
              ParsedBatch *out, Error *err)
{
    memset(out, 0, sizeof *out);
    if (!body || len == 0)
        return error_set(err, 400, "bad_readings", "请求体为空", "the body is empty");
    return fmt == INGEST_JSON ? parse_json(body, len, arena, out, err)
                              : parse_lines(body, len, now_ms, arena, out, err);
}
