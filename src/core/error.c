#include "core/error.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fill(Error *err, int status, const char *code)
{
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
}

int error_set(Error *err, int status, const char *code, const char *zh, const char *en, ...)
{
    if (!err)
        return -1;
    fill(err, status, code);
    snprintf(err->message, sizeof err->message, "%s", zh);
    va_list ap;
    va_start(ap, en);
    vsnprintf(err->message_en, sizeof err->message_en, en, ap);
    va_end(ap);
    return -1;
}

int error_setf(Error *err, int status, const char *code, const char *zh_fmt, const char *en_fmt,
               ...)
{
    if (!err)
        return -1;
    fill(err, status, code);
    va_list ap;
    va_start(ap, en_fmt);
    va_list ap2;
    va_copy(ap2, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(err->message, sizeof err->message, zh_fmt, ap);
    vsnprintf(err->message_en, sizeof err->message_en, en_fmt, ap2);
#pragma GCC diagnostic pop
    va_end(ap2);
    va_end(ap);
    return -1;
}

void error_field(Error *err, const char *field, const char *zh)
{
    if (!err)
        return;
    if (!err->fields)
        err->fields = json_object();
    json_object_set_new(err->fields, field, json_string(zh));
}

void error_clear(Error *err)
{
    if (!err)
        return;
    json_decref(err->fields);
    json_decref(err->rows);
    memset(err, 0, sizeof *err);
}

json_t *error_to_json(const Error *err)
{
    json_t *e = json_pack("{s:s, s:s, s:s}", "code", err->code[0] ? err->code : "internal_error",
                          "message", err->message, "message_en", err->message_en);
    if (err->fields)
        json_object_set(e, "fields", err->fields);
    if (err->rows)
        json_object_set(e, "rows", err->rows);
    return json_pack("{s:o}", "error", e);
}

int error_internal(Error *err, const char *detail_en)
{
    log_error("internal error: %s", detail_en);
    return error_set(err, 500, "internal_error", "服务器内部错误，请稍后重试或联系管理员",
                     "internal error: %s", detail_en);
}

int error_not_found(Error *err)
{
    return error_set(err, 404, "not_found", "记录不存在或不在您的管辖范围内",
                     "record not found or outside your jurisdiction");
}

int error_forbidden(Error *err)
{
    return error_set(err, 403, "forbidden", "无权执行此操作", "you are not allowed to do this");
}
