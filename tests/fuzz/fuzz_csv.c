/* tests/fuzz/fuzz_csv — libFuzzer target for model/csv.
 *
 * Reads the input as CSV to the end and checks what the reader promises: it never reads past
 * the input, always advances, ends with 0 or -1, and line numbers only grow. Every parsed row
 * is then written back with csv_write_field and read again: the reader must return the same
 * fields (up to the writer's formula guard, which adds one leading apostrophe). Fields with
 * NUL bytes are skipped for the round trip (they are C strings on the way out).
 *
 * Build and run (see tests/fuzz/Makefile):
 *   make -C tests/fuzz && build/fuzz/fuzz_csv -max_total_time=60 tests/fuzz/corpus_csv */
#include "model/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The writer's formula guard: one ' before values a spreadsheet would read as a formula. */
static const char *unguard(const char *written, const char *original)
{
    if (written[0] == '\'' && strcmp(written + 1, original) == 0)
        return written + 1;
    return written;
}

static void round_trip(const CsvRow *row)
{
    StrBuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "\xEF\xBB\xBF"); /* as exports start, so a field may begin with U+FEFF */
    for (int i = 0; i < row->nfields; i++)
        csv_write_field(&sb, row->fields[i], i == 0);
    csv_end_row(&sb);
    Arena a = ARENA_INIT;
    CsvReader r;
    CsvRow back;
    int line;
    csv_reader_init(&r, sb.buf, sb.len);
    int rc = csv_next_row(&r, &a, &back, &line);
    /* A row of one empty field is written as an empty line, read back as one empty field. */
    if (rc != 1 || back.nfields != row->nfields)
        abort();
    for (int i = 0; i < row->nfields; i++)
        if (strcmp(unguard(back.fields[i], row->fields[i]), row->fields[i]) != 0)
            abort();
    if (csv_next_row(&r, &a, &back, &line) != 0)
        abort();
    arena_free(&a);
    strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan catches any read past the end. */
    char *copy = malloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    CsvReader r;
    csv_reader_init(&r, copy, size);
    Arena a = ARENA_INIT;
    int last_line = 0;
    for (;;) {
        size_t before = r.pos;
        CsvRow row;
        int line;
        int rc = csv_next_row(&r, &a, &row, &line);
        if (rc != 1) {
            if (rc != 0 && rc != -1)
                abort();
            break;
        }
        if (r.pos <= before || r.pos > size || line < last_line || row.nfields < 1)
            abort();
        last_line = line;
        int has_nul = 0;
        for (int i = 0; i < row.nfields; i++)
            if (!row.fields[i])
                abort();
        for (size_t i = before; i < r.pos; i++)
            has_nul |= copy[i] == 0;
        if (!has_nul)
            round_trip(&row);
    }
    arena_free(&a);
    free(copy);
    return 0;
}
