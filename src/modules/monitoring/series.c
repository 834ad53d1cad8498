/* modules/monitoring/series — the raw series of readings: a journal and per-sensor blocks.
 *
 * Why two tables. A (sensor, time) key written reading by reading makes every transaction
 * dirty one page per sensor it touches, so a batch over a thousand sensors wrote ~1.8 KB per
 * reading (docs/performance.md). Readings are therefore written twice, both times in bulk:
 *
 *   monitor_reading_journal (seq, n, data)  one row per ingest transaction, appended at the
 *       right edge of its key: the readings that transaction accepted, as groups
 *       [int64 sensor_id][uint32 count]{[int64 ts_ms][float64 value]}×count. A reading is
 *       durable (and acknowledged) when its journal row commits, together with the warnings
 *       it raised.
 *   monitor_reading_compactions (id, tmin, tmax, n) and
 *   monitor_reading_blocks (compaction_id, sensor_id, t0, t1, n, data)  the compactor's
 *       output: one row per compaction (its readings' time range) and, keyed by it first, one
 *       block per sensor and clock hour in it, {[int64 ts_ms][float64 value]}×n sorted, t0/t1
 *       its first/last time. Keyed by the compaction, a compaction's blocks go to the end of
 *       the key together (a key by sensor first would again touch one page per sensor); a
 *       reader finds the compactions whose range meets its own (an index on tmax) and seeks
 *       the sensor's blocks in each. Blocks of one sensor from different compactions may
 *       overlap in time (late readings); no two hold the same (sensor, ts).
 *   monitor_reading_latest (sensor_id, ts)  each sensor's newest stored time (for the engine's
 *       windows at start), one small row per sensor, updated by every compaction.
 *
 * mon_series_compact moves journal rows into a compaction in one transaction (read, sort,
 * write the compaction, delete exactly the rows read), so a reading is always in exactly one
 * of the two. It runs when enough readings are pending (after an ingest batch), from the
 * no-data job once a minute, and until the journal is empty at start. Retention (jobs.c)
 * deletes whole compactions.
 *
 * Readers take the journal first and the blocks second: a compaction between the two shows
 * a reading twice (never not at all), and equal (sensor, ts) pairs are merged keeping the
 * first stored. Uniqueness of (sensor, ts) is the ingest's job (ingest.c: the engine's window
 * covers the recent readings of a sensor, mon_series_has the older ones).
 *
 * Byte order: little-endian, as written by this machine (checked at compile time). */
#include "modules/monitoring/monitoring_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "series blobs are little-endian");

#define GROUP_HEAD 12 /* int64 sensor id + uint32 count */
#define SAMPLE_SIZE 16

static atomic_llong pending; /* readings appended to the journal since the last compaction */

/* ---- encoding ------------------------------------------------------------------------------ */

static unsigned char *put_sample(unsigned char *p, int64_t ts, double v)
{
    memcpy(p, &ts, 8);
    memcpy(p + 8, &v, 8);
    return p + SAMPLE_SIZE;
}

static const unsigned char *get_sample(const unsigned char *p, int64_t *ts, double *v)
{
    memcpy(ts, p, 8);
    memcpy(v, p + 8, 8);
    return p + SAMPLE_SIZE;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A blob cell: raw bytes on SQLite, bytea's text form (\\x and hex digits) on PostgreSQL. */
static int blob_cell(StoreConn *c, const DbRows *rows, int i, int col, Arena *arena,
                     const unsigned char **out, size_t *len, Error *err)
{
    const char *cell = db_cell(rows, i, col);
    size_t n = cell ? db_cell_size(rows, i, col) : 0;
    if (conn_dialect(c) != DIALECT_POSTGRES) {
        *out = (const unsigned char *)cell;
        *len = n;
        return 0;
    }
    if (n < 2 || cell[0] != '\\' || cell[1] != 'x' || n % 2)
        goto corrupt;
    unsigned char *b = arena_alloc(arena, n / 2);
    for (size_t k = 2; k + 1 < n; k += 2) {
        int hi = hex_digit(cell[k]), lo = hex_digit(cell[k + 1]);
        if (hi < 0 || lo < 0)
            goto corrupt;
        b[k / 2 - 1] = (unsigned char)(hi << 4 | lo);
    }
    *out = b;
    *len = n / 2 - 1;
    return 0;
corrupt:
    return error_set(err, 500, "corrupt_series", "读数存储数据损坏",
                     "corrupt reading blob (not bytea hex)");
}

/* ---- the journal ---------------------------------------------------------------------------- */

int mon_series_append(Tx *tx, const SeriesReading *r, int n, Error *err)
{
    if (n <= 0)
        return 0;
    int groups = 0;
    for (int i = 0; i < n; i++)
        groups += i == 0 || r[i].sensor_id != r[i - 1].sensor_id;
    size_t size = (size_t)groups * GROUP_HEAD + (size_t)n * SAMPLE_SIZE;
    unsigned char *blob = arena_alloc(tx->arena, size), *p = blob;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && r[j].sensor_id == r[i].sensor_id)
            j++;
        uint32_t count = (uint32_t)(j - i);
        memcpy(p, &r[i].sensor_id, 8);
        memcpy(p + 8, &count, 4);
        p += GROUP_HEAD;
        for (; i < j; i++)
            p = put_sample(p, r[i].ts_ms, r[i].value);
    }
    DbValue v[] = {db_int(n), db_blob(blob, size)};
    if (store_exec(tx->conn, "INSERT INTO monitor_reading_journal (n, data) VALUES ($1, $2)", v, 2,
                   NULL, err) < 0)
        return -1;
    return 0;
}

void mon_series_note_appended(int n)
{
    atomic_fetch_add(&pending, n);
}

int mon_series_compact_due(void)
{
    return atomic_load(&pending) >= MON_COMPACT_AT;
}

/* One sensor's run of readings inside a journal row. */
typedef struct Group {
    int64_t sensor, first_ts, seq;
    const unsigned char *samples;
    uint32_t count;
} Group;

/* Appends the groups of one journal row to g (capacity cap, checked). */
static int decode_journal_row(const unsigned char *b, size_t len, int64_t seq, Group *g, int *ng,
                              int cap, Error *err)
{
    const unsigned char *p = b, *end = b + len;
    while (p < end) {
        Group x = {.seq = seq};
        if (end - p < GROUP_HEAD || *ng >= cap)
            goto corrupt;
        memcpy(&x.sensor, p, 8);
        memcpy(&x.count, p + 8, 4);
        p += GROUP_HEAD;
        if (x.count == 0 || (size_t)(end - p) < (size_t)x.count * SAMPLE_SIZE)
            goto corrupt;
        x.samples = p;
        memcpy(&x.first_ts, p, 8);
        p += (size_t)x.count * SAMPLE_SIZE;
        g[(*ng)++] = x;
    }
    return 0;
corrupt:
    return error_set(err, 500, "corrupt_series", "读数日志数据损坏",
                     "corrupt reading journal row %lld", (long long)seq);
}

static int by_sensor_first_seq(const void *a, const void *b)
{
    const Group *x = a, *y = b;
    if (x->sensor != y->sensor)
        return x->sensor < y->sensor ? -1 : 1;
    if (x->first_ts != y->first_ts)
        return x->first_ts < y->first_ts ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorts by sensor, time, then the order stored; keeps the first of equal (sensor, ts). */
typedef struct Ordered {
    SeriesReading r;
    int64_t order;
} Ordered;

static int by_sensor_time_order(const void *a, const void *b)
{
    const Ordered *x = a, *y = b;
    if (x->r.sensor_id != y->r.sensor_id)
        return x->r.sensor_id < y->r.sensor_id ? -1 : 1;
    if (x->r.ts_ms != y->r.ts_ms)
        return x->r.ts_ms < y->r.ts_ms ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* r[0..n) of one sensor, o their stored order: sorted by time, the first of equal times
 * kept; returns the new count. */
static int sort_slice(Arena *arena, SeriesReading *r, const int64_t *order, int n)
{
    Ordered *o = arena_alloc(arena, sizeof *o * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        o[i] = (Ordered){r[i], order[i]};
    qsort(o, (size_t)n, sizeof *o, by_sensor_time_order);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || o[i].r.ts_ms != r[k - 1].ts_ms)
            r[k++] = o[i].r;
    return k;
}

/* The readings of the groups, by sensor and time, one per (sensor, ts). Groups are sorted
 * (by sensor, first time, row); a sensor's readings usually come out in order that way, and
 * only a sensor whose groups overlap (late or repeated readings) is sorted reading by
 * reading. */
static int flatten(Arena *arena, Group *g, int ng, SeriesReading *r, int64_t *order)
{
    qsort(g, (size_t)ng, sizeof *g, by_sensor_first_seq);
    int k = 0;
    for (int i = 0; i < ng;) {
        int start = k, sorted = 1;
        int64_t sensor = g[i].sensor;
        for (; i < ng && g[i].sensor == sensor; i++)
            for (uint32_t s = 0; s < g[i].count; s++, k++) {
                r[k].sensor_id = sensor;
                get_sample(g[i].samples + (size_t)s * SAMPLE_SIZE, &r[k].ts_ms, &r[k].value);
                order[k] = g[i].seq * 1048576 + s; /* a row holds < 2^20 readings */
                sorted = sorted && (k == start || r[k].ts_ms > r[k - 1].ts_ms);
            }
        if (!sorted)
            k = start + sort_slice(arena, r + start, order + start, k - start);
    }
    return k;
}

/* The journal rows (at most max, oldest first; max <= 0: all), decoded and sorted. seqs
 * (may be NULL) receives the rows' keys. */
static int load_journal(StoreConn *c, Arena *arena, int max, int lock, SeriesJournal *j,
                        int64_t **seqs, int *nseqs, Error *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT seq, n, data FROM monitor_reading_journal ORDER BY seq%s%s",
             max > 0 ? " LIMIT $1" : "",
             lock && conn_dialect(c) == DIALECT_POSTGRES ? " FOR UPDATE SKIP LOCKED" : "");
    DbValue p[] = {db_int(max)};
    DbRows rows;
    if (store_query(c, arena, sql, p, max > 0 ? 1 : 0, &rows, err) < 0)
        return -1;
    int total = 0, ng = 0;
    for (int i = 0; i < rows.nrows; i++)
        total += atoi(db_cell(&rows, i, 1));
    Group *g = arena_alloc(arena, sizeof *g * (size_t)(total ? total : 1));
    if (seqs) {
        *seqs = arena_alloc(arena, sizeof **seqs * (size_t)(rows.nrows ? rows.nrows : 1));
        *nseqs = rows.nrows;
    }
    for (int i = 0; i < rows.nrows; i++) {
        int64_t seq = atoll(db_cell(&rows, i, 0));
        const unsigned char *b;
        size_t len;
        if (blob_cell(c, &rows, i, 2, arena, &b, &len, err) < 0 ||
            decode_journal_row(b, len, seq, g, &ng, total, err) < 0)
            return -1;
        if (seqs)
            (*seqs)[i] = seq;
    }
    int n = 0;
    for (int i = 0; i < ng; i++)
        n += (int)g[i].count;
    j->r = arena_alloc(arena, sizeof *j->r * (size_t)(n ? n : 1));
    int64_t *order = arena_alloc(arena, sizeof *order * (size_t)(n ? n : 1));
    j->n = flatten(arena, g, ng, j->r, order);
    return 0;
}

int mon_series_journal_load(StoreConn *c, Arena *arena, SeriesJournal *j, Error *err)
{
    return load_journal(c, arena, 0, 0, j, NULL, NULL, err);
}

/* ---- blocks --------------------------------------------------------------------------------- */

static int64_t hour_of(int64_t ts)
{
    int64_t h = ts - ts % MON_HOUR_MS;
    return ts < 0 && ts % MON_HOUR_MS ? h - MON_HOUR_MS : h;
}

/* The newest time of each sensor of r (sorted by sensor and time), kept in
 * monitor_reading_latest: a small table (one row per sensor) the engine reads at start. */
static int note_latest(StoreConn *c, Arena *arena, const SeriesReading *r, int n, Error *err)
{
    DbValue *rows = arena_alloc(arena, sizeof *rows * 2 * (size_t)(n ? n : 1));
    int k = 0;
    for (int i = 0; i < n; i++)
        if (i + 1 == n || r[i + 1].sensor_id != r[i].sensor_id) {
            rows[2 * k] = db_int(r[i].sensor_id);
            rows[2 * k + 1] = db_int(r[i].ts_ms);
            k++;
        }
    return store_exec_many(c,
                           "INSERT INTO monitor_reading_latest (sensor_id, ts) VALUES ($1, $2) ON"
                           " CONFLICT (sensor_id) DO UPDATE SET ts = CASE WHEN excluded.ts >"
                           " monitor_reading_latest.ts THEN excluded.ts ELSE"
                           " monitor_reading_latest.ts END",
                           rows, 2, k, NULL, err);
}

/* Writes r[0..n) (sorted by sensor and time, unique, not yet stored) as one compaction: its
 * row (time range, count) and one block per sensor and clock hour, keyed by the compaction
 * first, so its blocks go to the end of the key together. */
int mon_series_write_blocks(StoreConn *c, Arena *arena, const SeriesReading *r, int n, Error *err)
{
    if (n <= 0)
        return 0;
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    int nb = 0;
    for (int i = 0; i < n; i++) {
        tmin = r[i].ts_ms < tmin ? r[i].ts_ms : tmin;
        tmax = r[i].ts_ms > tmax ? r[i].ts_ms : tmax;
        nb += i == 0 || r[i].sensor_id != r[i - 1].sensor_id ||
              hour_of(r[i].ts_ms) != hour_of(r[i - 1].ts_ms);
    }
    DbValue cp[] = {db_int(tmin), db_int(tmax), db_int(n)};
    DbRows id;
    if (store_query(c, arena,
                    "INSERT INTO monitor_reading_compactions (tmin, tmax, n) VALUES ($1, $2, $3)"
                    " RETURNING id",
                    cp, 3, &id, err) < 0)
        return -1;
    int64_t compaction = atoll(db_cell(&id, 0, 0));
    DbValue *rows = arena_alloc(arena, sizeof *rows * 9 * (size_t)nb);
    unsigned char *data = arena_alloc(arena, (size_t)n * SAMPLE_SIZE), *p = data;
    int b = 0;
    for (int i = 0; i < n; b++) {
        int j = i;
        while (j < n && r[j].sensor_id == r[i].sensor_id &&
               hour_of(r[j].ts_ms) == hour_of(r[i].ts_ms))
            j++;
        unsigned char *start = p;
        SeriesStats st = {0};
        for (int k = i; k < j; k++) {
            p = put_sample(p, r[k].ts_ms, r[k].value);
            mon_stats_add(&st, r[k].value);
        }
        DbValue *row = rows + 9 * b;
        row[0] = db_int(compaction);
        row[1] = db_int(r[i].sensor_id);
        row[2] = db_int(r[i].ts_ms);
        row[3] = db_int(r[j - 1].ts_ms);
        row[4] = db_int(j - i);
        row[5] = db_real(st.sum);
        row[6] = db_real(st.min);
        row[7] = db_real(st.max);
        row[8] = db_blob(start, (size_t)(p - start));
        i = j;
    }
    if (store_exec_many(c,
                        "INSERT INTO monitor_reading_blocks (compaction_id, sensor_id, t0, t1, n,"
                        " vsum, vmin, vmax, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        rows, 9, nb, NULL, err) < 0)
        return -1;
    return note_latest(c, arena, r, n, err);
}

/* Appends the samples of blocks (rows of t0, hex data) within [from, to] to out. */
static int collect_blocks(StoreConn *c, const DbRows *rows, int col, Arena *arena, int64_t from,
                          int64_t to, Sample *out, int *k, Error *err)
{
    for (int i = 0; i < rows->nrows; i++) {
        const unsigned char *b;
        size_t len;
        if (blob_cell(c, rows, i, col, arena, &b, &len, err) < 0)
            return -1;
        for (size_t off = 0; off + SAMPLE_SIZE <= len; off += SAMPLE_SIZE) {
            Sample s;
            get_sample(b + off, &s.ts_ms, &s.value);
            if (s.ts_ms >= from && s.ts_ms <= to)
                out[(*k)++] = s;
        }
    }
    return 0;
}

/* The journal's readings of one sensor: the range [lo, hi) of j->r. */
static void journal_range(const SeriesJournal *j, int64_t sensor, int *lo, int *hi)
{
    int a = 0, b = j->n;
    while (a < b) {
        int m = (a + b) / 2;
        if (j->r[m].sensor_id < sensor)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    for (b = a; b < j->n && j->r[b].sensor_id == sensor; b++)
        ;
    *hi = b;
}

int mon_series_read(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor,
                    int64_t from, int64_t to, Sample **out, int *n, Error *err)
{
    SeriesJournal own;
    if (!j) {
        if (mon_series_journal_load(c, arena, &own, err) < 0)
            return -1;
        j = &own;
    }
    /* the compactions whose time range meets [from, to], then the sensor's blocks in each
     * (CROSS JOIN keeps that order on SQLite, whose planner has no statistics here) */
    DbValue p[] = {db_int(sensor), db_int(from), db_int(to)};
    DbRows rows;
    if (store_query(c, arena,
                    "SELECT b.n, b.data FROM monitor_reading_compactions k CROSS JOIN"
                    " monitor_reading_blocks b WHERE k.tmax >= $2 AND k.tmin <= $3 AND"
                    " b.compaction_id = k.id AND b.sensor_id = $1 AND b.t1 >= $2 AND b.t0 <= $3"
                    " ORDER BY b.compaction_id, b.t0",
                    p, 3, &rows, err) < 0)
        return -1;
    int lo, hi, cap = 0;
    journal_range(j, sensor, &lo, &hi);
    for (int i = 0; i < rows.nrows; i++)
        cap += atoi(db_cell(&rows, i, 0));
    cap += hi - lo;
    Sample *s = arena_alloc(arena, sizeof *s * (size_t)(cap ? cap : 1));
    int k = 0;
    if (collect_blocks(c, &rows, 1, arena, from, to, s, &k, err) < 0)
        return -1;
    for (int i = lo; i < hi; i++)
        if (j->r[i].ts_ms >= from && j->r[i].ts_ms <= to)
            s[k++] = (Sample){j->r[i].ts_ms, j->r[i].value};
    /* blocks first, then the journal: sorting by (time, position) keeps the first stored of
     * equal times */
    Ordered *o = arena_alloc(arena, sizeof *o * (size_t)(k ? k : 1));
    for (int i = 0; i < k; i++)
        o[i] = (Ordered){{sensor, s[i].ts_ms, s[i].value}, i};
    qsort(o, (size_t)k, sizeof *o, by_sensor_time_order);
    int m = 0;
    for (int i = 0; i < k; i++)
        if (m == 0 || o[i].r.ts_ms != s[m - 1].ts_ms)
            s[m++] = (Sample){o[i].r.ts_ms, o[i].r.value};
    *out = s;
    *n = m;
    return 0;
}

void mon_stats_add(SeriesStats *st, double v)
{
    st->min = st->n == 0 || v < st->min ? v : st->min;
    st->max = st->n == 0 || v > st->max ? v : st->max;
    st->sum += v;
    st->n++;
}

int mon_series_hour_stats(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor,
                          int64_t hour, SeriesStats *out, Error *err)
{
    /* blocks lie within one clock hour: the hour's blocks are those starting in it */
    int64_t last = hour + MON_HOUR_MS - 1;
    DbValue p[] = {db_int(sensor), db_int(hour), db_int(last)};
    DbRows rows;
    if (store_query(c, arena,
                    "SELECT COUNT(*), SUM(b.n), SUM(b.vsum), MIN(b.vmin), MAX(b.vmax) FROM"
                    " monitor_reading_compactions k CROSS JOIN monitor_reading_blocks b WHERE"
                    " k.tmax >= $2 AND k.tmin <= $3 AND b.compaction_id = k.id AND b.sensor_id ="
                    " $1 AND b.t0 >= $2 AND b.t0 <= $3",
                    p, 3, &rows, err) < 0)
        return -1;
    *out = (SeriesStats){0, 0, 0, 0};
    if (atoll(db_cell(&rows, 0, 0)) > 0) {
        out->n = atoll(db_cell(&rows, 0, 1));
        out->sum = atof(db_cell(&rows, 0, 2));
        out->min = atof(db_cell(&rows, 0, 3));
        out->max = atof(db_cell(&rows, 0, 4));
    }
    int lo, hi;
    journal_range(j, sensor, &lo, &hi);
    for (int i = lo; i < hi; i++)
        if (j->r[i].ts_ms >= hour && j->r[i].ts_ms <= last)
            mon_stats_add(out, j->r[i].value);
    return 0;
}

int mon_series_has(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor, int64_t ts,
                   Error *err)
{
    Sample *s;
    int n;
    if (mon_series_read(c, arena, j, sensor, ts, ts, &s, &n, err) < 0)
        return -1;
    return n > 0;
}

int mon_series_latest(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor,
                      int64_t *latest, Error *err)
{
    int64_t t = INT64_MIN, stored = 0;
    DbValue p[] = {db_int(sensor)};
    int rc = store_query_int(c, "SELECT ts FROM monitor_reading_latest WHERE sensor_id = $1", p, 1,
                             &stored, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        t = stored;
    int lo, hi;
    journal_range(j, sensor, &lo, &hi);
    if (hi > lo && j->r[hi - 1].ts_ms > t)
        t = j->r[hi - 1].ts_ms;
    (void)arena;
    *latest = t;
    return 0;
}

/* ---- compaction ------------------------------------------------------------------------------ */

/* How many of the oldest journal rows hold at most max readings (at least one row). */
static int rows_within(StoreConn *c, Arena *arena, int max, int *nrows, Error *err)
{
    DbValue p[] = {db_int(max)}; /* a row holds at least one reading */
    DbRows rows;
    if (store_query(c, arena, "SELECT n FROM monitor_reading_journal ORDER BY seq LIMIT $1", p, 1,
                    &rows, err) < 0)
        return -1;
    int64_t sum = 0;
    *nrows = 0;
    for (int i = 0; i < rows.nrows; i++) {
        sum += atoll(db_cell(&rows, i, 0));
        if (i > 0 && sum > max)
            break;
        *nrows = i + 1;
    }
    return 0;
}

/* A compaction read and sorted, not yet written. */
typedef struct Batch {
    SeriesJournal j;
    int64_t *seqs;
    int nseqs;
} Batch;

/* One compactor at a time in a process: the read of one must not overlap the write of another. */
static pthread_mutex_t compactor = PTHREAD_MUTEX_INITIALIZER;

static int compact_read(StoreConn *c, Arena *arena, int max_readings, int lock, Batch *b,
                        Error *err)
{
    int want;
    b->nseqs = 0;
    if (rows_within(c, arena, max_readings, &want, err) < 0)
        return -1;
    if (want == 0)
        return 0;
    return load_journal(c, arena, want, lock, &b->j, &b->seqs, &b->nseqs, err);
}

static int compact_write(StoreConn *c, Arena *arena, const Batch *b, int64_t *moved, Error *err)
{
    if (b->nseqs == 0)
        return 0;
    if (mon_series_write_blocks(c, arena, b->j.r, b->j.n, err) < 0)
        return -1;
    DbValue *keys = arena_alloc(arena, sizeof *keys * (size_t)b->nseqs);
    for (int i = 0; i < b->nseqs; i++)
        keys[i] = db_int(b->seqs[i]);
    if (store_exec_many(c, "DELETE FROM monitor_reading_journal WHERE seq = $1", keys, 1, b->nseqs,
                        NULL, err) < 0)
        return -1;
    *moved = b->j.n;
    if (atomic_fetch_sub(&pending, b->j.n) < b->j.n)
        atomic_store(&pending, 0); /* rows of a previous process, or counted twice */
    return b->nseqs;
}

int mon_series_compact(StoreConn *c, Arena *arena, int max_readings, int64_t *moved, Error *err)
{
    Batch b;
    *moved = 0;
    if (pthread_mutex_trylock(&compactor) != 0)
        return 0; /* another compaction runs: this one is not needed now */
    int rc = compact_read(c, arena, max_readings, 1, &b, err);
    if (rc == 0)
        rc = compact_write(c, arena, &b, moved, err);
    pthread_mutex_unlock(&compactor);
    return rc;
}

/* One compaction in its own transaction under the engine lock. On SQLite the journal is read
 * and sorted before: only this process writes its file and only the compactor (one at a time)
 * deletes journal rows, so the rows read stay as they are; the lock is held just for the
 * writing. PostgreSQL reads in the transaction (FOR UPDATE SKIP LOCKED: several instances). */
static int compact_once(StoreConn *c, Arena *arena, int64_t *moved, Error *err)
{
    Batch b = {0};
    int early = conn_dialect(c) == DIALECT_SQLITE;
    *moved = 0;
    if (early && compact_read(c, arena, MON_COMPACT_READINGS, 0, &b, err) < 0)
        return -1;
    mon_engine_lock();
    int64_t t0 = clock_real_now_ms();
    int rows = 0, rc = store_begin(c, err);
    if (rc == 0 && !early)
        rc = compact_read(c, arena, MON_COMPACT_READINGS, 1, &b, err);
    if (rc == 0 && (rows = compact_write(c, arena, &b, moved, err)) < 0)
        rc = -1;
    if (rc == 0)
        rc = store_commit(c, err);
    if (rc < 0)
        store_rollback(c);
    mon_engine_unlock();
    log_debug("monitoring: 整理 %lld 条读数 %lld ms / compacted %lld readings in %lld ms",
              (long long)*moved, (long long)(clock_real_now_ms() - t0), (long long)*moved,
              (long long)(clock_real_now_ms() - t0));
    return rc < 0 ? -1 : rows;
}

/* Compacts in transactions of at most MON_COMPACT_READINGS readings until fewer than `until`
 * readings are pending (until <= 0: until the journal is empty). Each transaction runs under
 * the engine lock, first come first served with the ingest: the two never wait for each
 * other on the store's write lock (whose busy handler sleeps), and an urgent reading waits
 * at most for one compaction's writing. A caller that finds a compaction running returns at
 * once. */
int mon_series_compact_now(Store *store, int64_t until, Error *err)
{
    if (pthread_mutex_trylock(&compactor) != 0)
        return 0;
    int rc = 0;
    StoreConn *c = store_acquire(store);
    for (;;) {
        Arena arena = ARENA_INIT;
        int64_t moved;
        rc = compact_once(c, &arena, &moved, err);
        arena_free(&arena);
        if (rc <= 0 || (until > 0 && atomic_load(&pending) < until))
            break;
    }
    if (rc >= 0 && until <= 0)
        atomic_store(&pending, 0);
    store_release(store, c);
    pthread_mutex_unlock(&compactor);
    if (rc < 0)
        log_warn("monitoring: 读数整理失败 / compaction failed: %s", err->message_en);
    return rc < 0 ? -1 : 0;
}
