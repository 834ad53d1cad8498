/* core/fileio — whole-file reading for imports and the command line.
 *
 * file_read_all() returns the file's bytes NUL-terminated in a malloc'd buffer the caller
 * frees, with *len set to the length without the NUL; NULL with errno set on failure. */
#ifndef YJ_CORE_FILEIO_H
#define YJ_CORE_FILEIO_H

#include <stddef.h>

char *file_read_all(const char *path, size_t *len);

#endif
