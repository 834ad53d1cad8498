/* core/arena — region allocator for per-request and per-job memory.
 *
 * Everything allocated from an Arena is freed at once by arena_free(); nothing allocated
 * from it is ever freed singly. A request gets one arena, freed when the response is sent.
 * Allocation failure aborts with a message (out-of-memory is not a recoverable state). */
#ifndef YJ_CORE_ARENA_H
#define YJ_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
} Arena;

/* clang-format off */
#define ARENA_INIT {NULL}
/* clang-format on */

void *arena_alloc(Arena *a, size_t size);    /* zeroed, aligned for any type */
char *arena_strdup(Arena *a, const char *s); /* NULL stays NULL */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);
void arena_free(Arena *a); /* frees every block; the arena can be reused afterwards */

/* Allocation helpers outside arenas that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
