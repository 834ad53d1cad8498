/* core/clock — the platform's notion of "now", injectable for tests.
 *
 * Every deadline, expiry and timestamp goes through clock_now(), which returns Unix seconds
 * UTC. Tests (and the test-only HTTP endpoint, when enabled) can pin or advance it with
 * clock_set_offset(); real logging uses clock_real_now_ms(). Timestamps are stored and sent
 * as ISO-8601 UTC ("2026-11-22T08:00:00Z"). */
#ifndef YJ_CORE_CLOCK_H
#define YJ_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t clock_now(void);                /* seconds, with the test offset applied */
int64_t clock_real_now_ms(void);        /* wall clock, milliseconds */
void clock_set_offset(int64_t seconds); /* shifts clock_now(); 0 restores real time */
int64_t clock_get_offset(void);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes incl. NUL). */
void clock_format_iso(int64_t t, char *out, size_t outlen);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" or "YYYY-MM-DD"; returns 0 or -1. */
int clock_parse_iso(const char *s, int64_t *out);

#endif
