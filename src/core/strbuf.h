/* core/strbuf — growable byte buffer for building SQL, CSV and text responses.
 *
 * A StrBuf owns its heap memory until strbuf_free() or strbuf_detach() (which hands the
 * NUL-terminated string to the caller, who frees it with free()). Growth aborts on OOM. */
#ifndef YJ_CORE_STRBUF_H
#define YJ_CORE_STRBUF_H

#include <stddef.h>

typedef struct StrBuf {
    char *buf;
    size_t len, cap;
} StrBuf;

/* clang-format off */
#define STRBUF_INIT {NULL, 0, 0}
/* clang-format on */

void strbuf_add(StrBuf *sb, const void *data, size_t n);
void strbuf_adds(StrBuf *sb, const char *s);
void strbuf_addch(StrBuf *sb, char c);
void strbuf_addf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *strbuf_cstr(StrBuf *sb); /* always NUL-terminated, "" when empty */
void strbuf_reset(StrBuf *sb);
char *strbuf_detach(StrBuf *sb);
void strbuf_free(StrBuf *sb);

#endif
