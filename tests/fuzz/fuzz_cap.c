/* tests/fuzz/fuzz_cap — libFuzzer target for the CAP reader and validator (modules/publish/cap).
 *
 * The input is any bytes taken as a CAP document. Checks what cap.h promises: validation never
 * crashes and every problem it reports has a code, a path and both messages; a document that
 * validates without problems converts to the model and back to XML, and that XML validates
 * without problems again and converts to the same bytes a second time (the round trip is
 * stable). XXE: the reader never resolves entities or DTDs (a DOCTYPE is refused), so no
 * input can make the fuzzer read a file or the network.
 *
 * Build and run (see tests/fuzz/Makefile):
 *   make -C tests/fuzz && build/fuzz/fuzz_cap -max_total_time=60 tests/fuzz/corpus_cap */
#include "modules/publish/cap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_report(const CapReport *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const CapProblem *p = &r->items[i];
        if (!p->code[0] || !p->path[0] || !p->zh[0] || !p->en[0])
            abort();
    }
}

/* XML of a document that validated: converts, validates clean and converts stably. */
static void round_trip(const uint8_t *data, size_t size)
{
    CapAlert *a = NULL;
    Error err = ERROR_INIT;
    if (cap_alert_from_xml((const char *)data, size, &a, &err) < 0)
        abort(); /* valid documents always convert */
    StrBuf x1 = STRBUF_INIT, x2 = STRBUF_INIT;
    if (cap_alert_to_xml(a, &x1, &err) < 0)
        abort();
    CapReport again = CAP_REPORT_INIT;
    if (cap_validate_xml(x1.buf, x1.len, CAP_CHECK_SPEC | CAP_CHECK_PROFILE, &again) != 0)
        abort();
    cap_report_clear(&again);
    CapAlert *b = NULL;
    if (cap_alert_from_xml(x1.buf, x1.len, &b, &err) < 0 || cap_alert_to_xml(b, &x2, &err) < 0)
        abort();
    if (x1.len != x2.len || memcmp(x1.buf, x2.buf, x1.len) != 0)
        abort();
    cap_alert_free(a);
    cap_alert_free(b);
    strbuf_free(&x1);
    strbuf_free(&x2);
    error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CapReport r = CAP_REPORT_INIT;
    size_t n = cap_validate_xml((const char *)data, size, CAP_CHECK_SPEC | CAP_CHECK_PROFILE, &r);
    if (n != r.n)
        abort();
    check_report(&r);
    cap_report_clear(&r);
    if (n == 0)
        round_trip(data, size);
    return 0;
}
