/* core/error — the one error type every layer returns.
 *
 * A function that can fail returns 0 on success and -1 on failure and fills an Error the
 * caller passed in. An Error carries the HTTP status the failure maps to, a machine code
 * (e.g. "validation_failed"), a Chinese message for users and an English one for operators,
 * and optionally per-field messages (a jansson object owned by the Error) and, for imports,
 * per-row problems (an array). error_clear() releases both; an Error on the stack must be cleared
 * once it was set. */
#ifndef YJ_CORE_ERROR_H
#define YJ_CORE_ERROR_H

#include <jansson.h>

typedef struct Error {
    int status;           /* HTTP status this failure maps to; 0 when no error */
    char code[48];        /* machine code, e.g. "validation_failed" */
    char message[512];    /* 中文说明 */
    char message_en[512]; /* English */
    json_t *fields;       /* NULL or object field -> Chinese message; owned */
    json_t *rows;         /* NULL or array of per-row problems (imports); owned */
} Error;

/* clang-format off */
#define ERROR_INIT {0, {0}, {0}, {0}, NULL, NULL}
/* clang-format on */

/* Fills err (if non-NULL) and returns -1, so callers can `return error_set(...)`. */
int error_set(Error *err, int status, const char *code, const char *zh, const char *en, ...)
    __attribute__((format(printf, 5, 6)));
/* Like error_set, with a Chinese message that also takes the printf arguments (zh first,
 * then en use the same argument list, so both must consume identical conversions). */
int error_setf(Error *err, int status, const char *code, const char *zh_fmt, const char *en_fmt,
               ...);
/* Adds a field message (Chinese) to err->fields, creating the object. */
void error_field(Error *err, const char *field, const char *zh);
void error_clear(Error *err);
/* JSON body {"error": {...}}; new reference. */
json_t *error_to_json(const Error *err);

/* Common shorthands. */
int error_internal(Error *err, const char *detail_en);
int error_not_found(Error *err);
int error_forbidden(Error *err);

#endif
