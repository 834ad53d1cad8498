/* modules/monitoring/monitoring_internal — shared between the files of this module only.
 *
 * entities.c  the entity tables and their hooks
 * engine.c    the in-memory engine: sensors, windows, rule states, gateways (Engine)
 * ingest.c    parsing of the JSON and line formats, monitoring_ingest()
 * warnings.c  a level change → warning row, event row, audit, outbox, point status
 * routes.c    the HTTP handlers and the route table
 * series.c    the raw series: the journal of readings, per-sensor blocks, the compactor
 * jobs.c      scheduler jobs: no-data scan, roll-up and retention; outbox in-app delivery
 * demo.c      the demo county's points, sensors, gateways, rules and advice */
#ifndef YJ_MONITORING_INTERNAL_H
#define YJ_MONITORING_INTERNAL_H

#include "modules/monitoring/monitoring.h"
#include "modules/monitoring/rules.h"

#include <pthread.h>

#define MON_FUTURE_SLACK_MS (5 * 60 * 1000LL) /* readings up to 5 min ahead of our clock */
#define MON_MAX_BATCH 100000
#define MON_HOUR_MS 3600000LL /* the roll-up's unit */
#define MON_TX_CHUNK 5000     /* readings per transaction: the most a single urgent reading waits */
#define MON_EVENT_READINGS 50 /* readings kept with a warning event */

/* ---- configuration (environment, read once at start) ------------------------------------- */
int64_t mon_retention_ms(void);    /* YINGJI_READING_RETENTION_DAYS, default 90 */
WarnLevel mon_publish_level(void); /* YINGJI_WARNING_PUBLISH_LEVEL, default orange */
int64_t mon_now_ms(void);          /* clock_now() with its test offset, in ms */
void mon_format_ms(int64_t ms, char *out, size_t len); /* ISO-8601 UTC, seconds precision */

/* ---- parsing (ingest.c) ------------------------------------------------------------------ */
typedef struct ParsedReading {
    const char *sensor; /* in the batch's arena */
    int64_t ts_ms;
    double value;
} ParsedReading;

typedef struct ParsedBatch {
    const char *auth;  /* "CODE:KEY" from the body, or NULL */
    const char *batch; /* batch id, or NULL */
    ParsedReading *readings;
    int n;
} ParsedBatch;

/* Parses a whole body; -1 with a 400 (or 413) error naming the line/index on any malformed
 * part — out->auth and out->batch then still hold what was read before it (the batch id of
 * an error answer). Strings live in arena. now_ms fills missing line timestamps. */
int mon_parse(const char *body, size_t len, IngestFormat fmt, int64_t now_ms, Arena *arena,
              ParsedBatch *out, Error *err);

/* ---- the engine (engine.c) --------------------------------------------------------------- */
typedef struct RuleInst {
    RuleSpec spec;
    char name[96];
    RuleState st;
    int64_t warning_id; /* the active warning of (rule, subject), 0 when none */
} RuleInst;

typedef struct SensorRt {
    int64_t id, point_id, gateway_id, enterprise_id;
    int idx; /* position in the engine (mon_sensor_at): the order of ids */
    char code[64], type[32], unit[24], division[16], state[16], point_name[128];
    int64_t interval_s;
    SampleWindow win;
    int64_t keep_ms; /* longest window of its rules */
    RuleInst *rules;
    int nrules;
    int64_t last_arrival_ms; /* clock of the last reading's arrival (no-data) */
    int dirty;               /* last value not yet written to the registry row */
} SensorRt;

typedef struct ComboInst {
    RuleInst r;
    int64_t point_id;
    char division[16];
    int64_t enterprise_id;
    int64_t members[8];
    int nmembers;
} ComboInst;

typedef struct GatewayRt {
    int64_t id;
    char code[64];
    char key_hash[65]; /* hex BLAKE2b-256 of the key, "" = no key yet */
    int enabled;
} GatewayRt;

typedef struct Engine Engine;

/* The module's one engine; locked by mon_engine_lock for every use. */
Engine *mon_engine(void);
void mon_engine_lock(void);
int mon_engine_trylock(void); /* 0 when taken, else the lock is busy */
void mon_engine_unlock(void);
/* (Re)loads registry, windows and rule states from the store, keeping the windows and rule
 * states of sensors and rules that still exist. Call with the lock held. */
int mon_engine_load(Store *store, Error *err);
/* Reloads when a registry table changed since the last call (committed change events). */
int mon_engine_refresh(Store *store, Error *err);
void mon_engine_mark_stale(void);
/* Forgets everything (as a process restart would); the next use loads from the store. */
void mon_engine_reset(void);
SensorRt *mon_sensor_by_code(const char *code);
SensorRt *mon_sensor_by_id(int64_t id);
int mon_sensor_count(void);
SensorRt *mon_sensor_at(int i);
const GatewayRt *mon_gateway_by_code(const char *code);
ComboInst *mon_combo_at(int i);
int mon_combo_count(void);

/* Key hashing shared by the engine and the rotate-key route. out >= 65 bytes. */
void mon_key_hash(const char *key, char *out);

/* ---- warnings (warnings.c) --------------------------------------------------------------- */
typedef struct WarnSubject {
    const char *subject; /* "sensor:<id>" or "point:<id>" */
    int64_t point_id, sensor_id, enterprise_id;
    const char *division, *sensor_type, *sensor_code, *unit;
    const char *point_name; /* NULL for a combination: taken from the point's row */
} WarnSubject;

/* The subject of a sensor's rules ("sensor:<id>", its point, type, code and unit). */
WarnSubject mon_sensor_subject(Tx *tx, const SensorRt *s);

/* Writes one level change of a rule instance in tx: creates, updates or closes the warning
 * row, appends the event (with the window's readings), the audit entry, the change event,
 * the outbox messages, and refreshes the point's status. value: the metric. window: the
 * sensor's samples (NULL for combo / no-data). Fills out (may be NULL) with a summary. */
int mon_warning_change(Tx *tx, RuleInst *ri, const WarnSubject *s, const RuleChange *ch,
                       double value, int64_t at_ms, const SampleWindow *window, json_t *out,
                       Error *err);
/* 在线 ⇄ 掉线: when the sensor is in state `from`, sets `to` (memory and row), sends a
 * "status" change event and refreshes its point's status; otherwise does nothing. */
int mon_sensor_switch_state(Tx *tx, SensorRt *s, const char *from, const char *to, Error *err);
/* Recomputes monitor_points.status from its active warnings and sensors. */
int mon_point_refresh_status(Tx *tx, int64_t point_id, Error *err);

/* ---- jobs (jobs.c) ----------------------------------------------------------------------- */
void mon_jobs_start(Store *store);
int mon_jobs_schedule(Tx *tx, Error *err); /* first runs of the periodic jobs (demo, start) */
int mon_nodata_scan(Tx *tx, int64_t now_ms, Error *err);
/* A roll-up pass, done in slices of sensors (jobs.c): the last sensor done (0: the pass has
 * not begun, or is over), the first hour it rolls up, and the late hours it took along. */
typedef struct RollupPass {
    int64_t after, from;
    int64_t late[8];
    int nlate;
} RollupPass;
/* One slice: the sensors after pass->after; pass->after = 0 starts a pass (sets from, takes
 * the late hours); when the pass is over pass->after is 0 again. mon_rollup runs a whole
 * pass in the caller's transaction. */
int mon_rollup_slice(Tx *tx, int64_t now_ms, RollupPass *pass, Error *err);
int mon_rollup(Tx *tx, int64_t now_ms, Error *err);

/* ---- the raw series (series.c; its first comment explains the journal and the blocks) ---- */
#define MON_COMPACT_AT 100000      /* readings pending in the journal before an ingest compacts */
#define MON_COMPACT_READINGS 50000 /* at most per compaction transaction */

typedef struct SeriesReading {
    int64_t sensor_id, ts_ms;
    double value;
} SeriesReading;

/* The journal's readings, sorted by sensor and time, one per (sensor, ts); in an arena. */
typedef struct SeriesJournal {
    SeriesReading *r;
    int n;
} SeriesJournal;

/* Appends r[0..n) (grouped by sensor; the caller guarantees each (sensor, ts) is new) to the
 * journal as one row in tx. */
int mon_series_append(Tx *tx, const SeriesReading *r, int n, Error *err);
void mon_series_note_appended(int n); /* after the commit: counts towards a compaction */
int mon_series_compact_due(void);     /* MON_COMPACT_AT readings are pending */
int mon_series_journal_load(StoreConn *c, Arena *arena, SeriesJournal *j, Error *err);
/* Readings of a sensor with from <= ts <= to, ascending, one per ts. j: the journal read
 * before (in the same transaction, or earlier under the engine lock), or NULL to read it
 * here. Everything in arena. */
int mon_series_read(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor,
                    int64_t from, int64_t to, Sample **out, int *n, Error *err);
/* Count, sum, min and max of a sensor's readings in one clock hour, from the blocks' own
 * aggregates and the journal (j: required), without decoding the blocks. A reading the
 * journal and a block both hold (a compaction between reading the two) would count twice:
 * call it inside a transaction, where no compaction can come between. */
typedef struct SeriesStats {
    int64_t n;
    double sum, min, max;
} SeriesStats;
int mon_series_hour_stats(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor,
                          int64_t hour, SeriesStats *out, Error *err);
/* Adds one value to st (zero-initialised: {0}). */
void mon_stats_add(SeriesStats *st, double v);
/* 1 when (sensor, ts) is stored, 0 when not, -1 on error. */
int mon_series_has(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor, int64_t ts,
                   Error *err);
/* The sensor's newest reading time, INT64_MIN when it has none. */
int mon_series_latest(StoreConn *c, Arena *arena, const SeriesJournal *j, int64_t sensor,
                      int64_t *latest, Error *err);
/* Writes r[0..n) (sorted by sensor and time, unique, not yet stored) as blocks. */
int mon_series_write_blocks(StoreConn *c, Arena *arena, const SeriesReading *r, int n, Error *err);
/* Moves the oldest journal rows holding at most max_readings readings (at least one row)
 * into blocks inside the caller's transaction; returns the rows moved (moved: their
 * readings), 0 when the journal is empty, or -1. */
int mon_series_compact(StoreConn *c, Arena *arena, int max_readings, int64_t *moved, Error *err);
/* Compacts in its own transactions, each under the engine lock (not held by the caller),
 * until fewer than `until` readings are pending (<= 0: until the journal is empty); returns
 * at once when another compaction runs. */
int mon_series_compact_now(Store *store, int64_t until, Error *err);

/* ---- routes (routes.c) and demo (demo.c) --------------------------------------------------- */
void mon_register_routes(void);
int mon_demo(Tx *tx, Error *err);

#endif
