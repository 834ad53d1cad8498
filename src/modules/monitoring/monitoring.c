/* modules/monitoring — the module: migrations, start-up, registration; see monitoring.h. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/log.h"

#include <stdlib.h>

static int create_entities(StoreConn *c, Error *err)
{
    const Entity *const es[] = {&monitor_points_entity,  &monitor_gateways_entity,
                                &monitor_sensors_entity, &monitor_rules_entity,
                                &monitor_advice_entity,  &monitor_warnings_entity,
                                &monitor_notices_entity};
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
        if (entity_create_table(c, es[i], err) < 0)
            return -1;
    return 0;
}

/* The raw series is a clustered (sensor_id, ts) key on both backends: one B-tree, no rowid. */
static const char sqlite_series[] =
    "CREATE TABLE IF NOT EXISTS monitor_readings (sensor_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " value REAL NOT NULL, PRIMARY KEY (sensor_id, ts)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS monitor_rollup (sensor_id INTEGER NOT NULL, hour INTEGER NOT NULL,"
    " n INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,"
    " PRIMARY KEY (sensor_id, hour)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS monitor_warning_events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " warning_id INTEGER NOT NULL REFERENCES monitor_warnings(id), at TEXT NOT NULL,"
    " action TEXT NOT NULL, from_level TEXT NOT NULL, to_level TEXT NOT NULL, value REAL,"
    " readings TEXT);"
    "CREATE INDEX IF NOT EXISTS monitor_warning_events_warning ON monitor_warning_events"
    " (warning_id);"
    "CREATE UNIQUE INDEX IF NOT EXISTS monitor_warnings_one_active ON monitor_warnings"
    " (rule_id, subject) WHERE state = 'active';";

static const char postgres_series[] =
    "CREATE TABLE IF NOT EXISTS monitor_readings (sensor_id BIGINT NOT NULL, ts BIGINT NOT NULL,"
    " value DOUBLE PRECISION NOT NULL, PRIMARY KEY (sensor_id, ts));"
    "CREATE TABLE IF NOT EXISTS monitor_rollup (sensor_id BIGINT NOT NULL, hour BIGINT NOT NULL,"
    " n BIGINT NOT NULL, sum DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL,"
    " max DOUBLE PRECISION NOT NULL, PRIMARY KEY (sensor_id, hour));"
    "CREATE TABLE IF NOT EXISTS monitor_warning_events (id BIGSERIAL PRIMARY KEY,"
    " warning_id BIGINT NOT NULL REFERENCES monitor_warnings(id), at TEXT NOT NULL,"
    " action TEXT NOT NULL, from_level TEXT NOT NULL, to_level TEXT NOT NULL,"
    " value DOUBLE PRECISION, readings TEXT);"
    "CREATE INDEX IF NOT EXISTS monitor_warning_events_warning ON monitor_warning_events"
    " (warning_id);"
    "CREATE UNIQUE INDEX IF NOT EXISTS monitor_warnings_one_active ON monitor_warnings"
    " (rule_id, subject) WHERE state = 'active';";

/* Readings move from one (sensor_id, ts) row each into the journal and blocks of series.c. */
static const char sqlite_journal[] =
    "CREATE TABLE IF NOT EXISTS monitor_reading_journal (seq INTEGER PRIMARY KEY,"
    " n INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS monitor_reading_compactions (id INTEGER PRIMARY KEY,"
    " tmin INTEGER NOT NULL, tmax INTEGER NOT NULL, n INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS monitor_reading_compactions_tmax ON monitor_reading_compactions"
    " (tmax);"
    "CREATE TABLE IF NOT EXISTS monitor_reading_blocks (compaction_id INTEGER NOT NULL,"
    " sensor_id INTEGER NOT NULL, t0 INTEGER NOT NULL, t1 INTEGER NOT NULL, n INTEGER NOT NULL,"
    " vsum REAL NOT NULL, vmin REAL NOT NULL, vmax REAL NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (compaction_id, sensor_id, t0)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS monitor_reading_latest (sensor_id INTEGER NOT NULL PRIMARY KEY,"
    " ts INTEGER NOT NULL)";
static const char postgres_journal[] =
    "CREATE TABLE IF NOT EXISTS monitor_reading_journal (seq BIGSERIAL PRIMARY KEY,"
    " n INTEGER NOT NULL, data BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS monitor_reading_compactions (id BIGSERIAL PRIMARY KEY,"
    " tmin BIGINT NOT NULL, tmax BIGINT NOT NULL, n BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS monitor_reading_compactions_tmax ON monitor_reading_compactions"
    " (tmax);"
    "CREATE TABLE IF NOT EXISTS monitor_reading_blocks (compaction_id BIGINT NOT NULL,"
    " sensor_id BIGINT NOT NULL, t0 BIGINT NOT NULL, t1 BIGINT NOT NULL, n INTEGER NOT NULL,"
    " vsum DOUBLE PRECISION NOT NULL, vmin DOUBLE PRECISION NOT NULL,"
    " vmax DOUBLE PRECISION NOT NULL, data BYTEA NOT NULL,"
    " PRIMARY KEY (compaction_id, sensor_id, t0));"
    "CREATE TABLE IF NOT EXISTS monitor_reading_latest (sensor_id BIGINT NOT NULL PRIMARY KEY,"
    " ts BIGINT NOT NULL)";

/* One sensor's rows of the old table as blocks. */
static int convert_sensor(StoreConn *c, int64_t sensor, Error *err)
{
    Arena arena = ARENA_INIT;
    DbValue p[] = {db_int(sensor)};
    DbRows rows;
    int rc = store_query(c, &arena,
                         "SELECT ts, value FROM monitor_readings WHERE sensor_id = $1 ORDER BY ts",
                         p, 1, &rows, err);
    if (rc == 0) {
        SeriesReading *r = arena_alloc(&arena, sizeof *r * (size_t)(rows.nrows ? rows.nrows : 1));
        for (int i = 0; i < rows.nrows; i++)
            r[i] = (SeriesReading){sensor, atoll(db_cell(&rows, i, 0)), atof(db_cell(&rows, i, 1))};
        rc = mon_series_write_blocks(c, &arena, r, rows.nrows, err);
    }
    arena_free(&arena);
    return rc;
}

static int readings_to_blocks(StoreConn *c, Error *err)
{
    int pg = conn_dialect(c) == DIALECT_POSTGRES;
    if (store_exec_script(c, pg ? postgres_journal : sqlite_journal, err) < 0)
        return -1;
    Arena arena = ARENA_INIT;
    DbRows ids;
    int rc = store_query(c, &arena, "SELECT DISTINCT sensor_id FROM monitor_readings", NULL, 0,
                         &ids, err);
    for (int i = 0; rc == 0 && i < ids.nrows; i++)
        rc = convert_sensor(c, atoll(db_cell(&ids, i, 0)), err);
    arena_free(&arena);
    if (rc == 0)
        rc = store_exec_script(c, "DROP TABLE monitor_readings", err);
    return rc;
}

static const Migration migrations[] = {
    {1, "monitoring registries, warnings and notices", NULL, NULL, create_entities},
    {2, "readings, hourly roll-up, warning events, one active warning per rule and subject",
     sqlite_series, postgres_series, NULL},
    {3, "readings by time (roll-up and retention by hour), hours with late readings",
     "CREATE INDEX IF NOT EXISTS monitor_readings_ts ON monitor_readings (ts);"
     "CREATE TABLE IF NOT EXISTS monitor_rollup_dirty (hour INTEGER NOT NULL PRIMARY KEY)",
     "CREATE INDEX IF NOT EXISTS monitor_readings_ts ON monitor_readings (ts);"
     "CREATE TABLE IF NOT EXISTS monitor_rollup_dirty (hour BIGINT NOT NULL PRIMARY KEY)",
     NULL},
    /* the time index cost a fifth of the ingest rate; the jobs go sensor by sensor instead */
    {4, "no time index on readings: roll-up and retention walk the (sensor, time) key",
     "DROP INDEX IF EXISTS monitor_readings_ts", "DROP INDEX IF EXISTS monitor_readings_ts", NULL},
    {5, "roll-up progress: hours before done_until are final",
     "CREATE TABLE IF NOT EXISTS monitor_rollup_state (id INTEGER NOT NULL PRIMARY KEY,"
     " done_until INTEGER NOT NULL)",
     "CREATE TABLE IF NOT EXISTS monitor_rollup_state (id INTEGER NOT NULL PRIMARY KEY,"
     " done_until BIGINT NOT NULL)",
     NULL},
    {6, "readings as a journal and compactions of per-sensor hourly blocks (series.c)", NULL, NULL,
     readings_to_blocks},
};

static int monitoring_migrate(Store *store, Error *err)
{
    return store_migrate(store, "monitoring", migrations,
                         (int)(sizeof migrations / sizeof migrations[0]), err);
}

static void monitoring_start(Store *store)
{
    Error err = ERROR_INIT;
    /* an empty journal: the engine's windows load from the blocks alone */
    if (mon_series_compact_now(store, 0, &err) < 0)
        error_clear(&err);
    mon_engine_lock();
    if (mon_engine_load(store, &err) < 0)
        log_warn("monitoring: 引擎将在首批读数时重试加载 / the engine retries at the first batch");
    mon_engine_unlock();
    error_clear(&err);
    mon_jobs_start(store);
}

const Module monitoring_module = {
    .name = "monitoring",
    .migrate = monitoring_migrate,
    .register_routes = mon_register_routes,
    .start = monitoring_start,
    .demo = mon_demo,
};
