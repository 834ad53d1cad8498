/* model/csv — RFC 4180 reading and writing (quoted fields, doubled quotes, CRLF or LF,
 * newlines inside quotes, optional UTF-8 BOM). Small enough to own, fuzzed in tests/fuzz.
 *
 * csv_next_row() parses one record starting at *pos and advances it; fields are copied
 * into the arena. Returns 1 for a row, 0 at end of input, -1 on malformed input (an
 * unterminated quote), with *line telling where the row started. */
#ifndef YJ_MODEL_CSV_H
#define YJ_MODEL_CSV_H

#include "core/arena.h"
#include "core/strbuf.h"

#include <stddef.h>

typedef struct CsvRow {
    int nfields;
    char **fields;
} CsvRow;

typedef struct CsvReader {
    const char *data;
    size_t len, pos;
    int line; /* 1-based line of the next row */
} CsvReader;

void csv_reader_init(CsvReader *r, const char *data, size_t len); /* skips a BOM */
int csv_next_row(CsvReader *r, Arena *arena, CsvRow *row, int *row_line);
/* Appends one field, quoted when needed; guards against formula injection in spreadsheets
 * by prefixing a ' to values starting with = + - @ that are not numbers. */
void csv_write_field(StrBuf *out, const char *value, int first_in_row);
void csv_end_row(StrBuf *out); /* CRLF */

#endif
