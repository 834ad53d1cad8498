/* core/fileio — see fileio.h. */
#include "core/fileio.h"

#include "core/strbuf.h"

#include <errno.h>
#include <stdio.h>

char *file_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    StrBuf sb = STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        strbuf_free(&sb);
        errno = EIO;
        return NULL;
    }
    *len = sb.len;
    return strbuf_detach(&sb); /* an empty file is "", not a failure */
}
