/* modules/monitoring/jobs — the background work of monitoring.
 *
 *   monitoring.nodata  every minute (scheduler, wall clock): sensors silent longer than their
 *                      no-data rule turn 掉线 and raise it; the last values read since the
 *                      previous run are written to the sensor rows; the readings' journal is
 *                      compacted into blocks (series.c) when no busy ingest did it before.
 *   monitoring.rollup  every 5 minutes: the hours not yet final (from the previous hour of
 *                      the last completed pass — so a server that was down catches up — to the
 *                      current one) are rolled up again, and a few older hours that received
 *                      late readings (marked in monitor_rollup_dirty by the ingest); raw
 *                      readings older than the retention are deleted (whole compactions), their
 * hours rolled up first when they never were. A pass goes sensor by sensor through the series
 * (series.c), 100 sensors per job run a second apart, so no run holds the write lock for long
 * however many sensors there are. outbox "monitoring.notify"  the in-app channel: a notice row per
 * recipient, once per message id (outbox_seen), with a change event for the bell. The scheduler
 * runs a job inside its own transaction; the engine lock is only tried there (never waited for) so
 * a job and an ingest batch cannot wait on each other: when the engine is busy the job runs again a
 * second later. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODATA_EVERY_S 60
#define ROLLUP_EVERY_S 300
#define ROLLUP_DIRTY_PER_RUN 4
#define ROLLUP_MAX_HOURS 72        /* a pass catches up at most this far back */
#define ROLLUP_SENSORS_PER_RUN 100 /* per transaction: the write lock is held briefly */

static Store *job_store;

static int schedule(Tx *tx, const char *kind, int64_t in_seconds, Error *err)
{
    return scheduler_set(tx, kind, kind, clock_now() + in_seconds, NULL, err);
}

int mon_jobs_schedule(Tx *tx, Error *err)
{
    if (schedule(tx, "monitoring.nodata", NODATA_EVERY_S, err) < 0)
        return -1;
    return schedule(tx, "monitoring.rollup", 10, err); /* catch up soon after a start */
}

/* ---- no data (掉线) ----------------------------------------------------------------------- */

/* The newest value of every sensor that received readings since the last run, written to
 * the sensor rows in one prepared statement. */
static int flush_last_values(Tx *tx, Error *err)
{
    int n = 0, total = mon_sensor_count();
    DbValue *rows = arena_alloc(tx->arena, sizeof *rows * 3 * (size_t)(total ? total : 1));
    for (int i = 0; i < total; i++) {
        SensorRt *s = mon_sensor_at(i);
        const Sample *latest = window_latest(&s->win);
        if (!s->dirty || !latest)
            continue;
        char *ts = arena_alloc(tx->arena, 32);
        mon_format_ms(latest->ts_ms, ts, 32);
        rows[3 * n] = db_int(s->id);
        rows[3 * n + 1] = db_real(latest->value);
        rows[3 * n + 2] = db_text(ts);
        n++;
    }
    if (store_exec_many(tx->conn,
                        "UPDATE monitor_sensors SET last_value = $2, last_reading_at = $3 WHERE id"
                        " = $1",
                        rows, 3, n, NULL, err) < 0)
        return -1;
    for (int i = 0; i < total; i++)
        mon_sensor_at(i)->dirty = 0;
    return 0;
}

int mon_nodata_scan(Tx *tx, int64_t now_ms, Error *err)
{
    int64_t moved;
    /* a quiet deployment's journal is moved into blocks here, once a minute */
    if (flush_last_values(tx, err) < 0 ||
        mon_series_compact(tx->conn, tx->arena, MON_COMPACT_READINGS, &moved, err) < 0)
        return -1;
    for (int i = 0; i < mon_sensor_count(); i++) {
        SensorRt *s = mon_sensor_at(i);
        if (strcmp(s->state, "disabled") == 0 || strcmp(s->state, "maintenance") == 0)
            continue;
        double silence_s = (double)(now_ms - s->last_arrival_ms) / 1000.0;
        for (int r = 0; r < s->nrules; r++) {
            RuleInst *ri = &s->rules[r];
            if (ri->spec.kind != RULE_NODATA)
                continue;
            RuleChange ch;
            WarnLevel cand = rule_raw_level(&ri->spec, silence_s);
            if (!rule_step(&ri->spec, &ri->st, cand, now_ms, &ch))
                continue;
            WarnSubject subj = mon_sensor_subject(tx, s);
            subj.unit = "s"; /* the metric of a no-data rule is the silence */
            if (mon_warning_change(tx, ri, &subj, &ch, silence_s, now_ms, NULL, NULL, err) < 0)
                return -1;
            if (ch.to > LEVEL_NONE && mon_sensor_switch_state(tx, s, "online", "offline", err) < 0)
                return -1;
        }
    }
    return 0;
}

static int nodata_job(Tx *tx, const char *key, json_t *payload, Error *err)
{
    (void)key;
    (void)payload;
    if (mon_engine_trylock() != 0)
        return schedule(tx, "monitoring.nodata", 1, err);
    int rc = mon_engine_refresh(job_store, err);
    if (rc == 0)
        rc = mon_nodata_scan(tx, mon_now_ms(), err);
    if (rc < 0)
        mon_engine_mark_stale(); /* the job's writes roll back; memory must follow */
    mon_engine_unlock();
    if (rc < 0)
        return -1;
    return schedule(tx, "monitoring.nodata", NODATA_EVERY_S, err);
}

/* ---- roll-up and retention ---------------------------------------------------------------- */

/* Up to max sensor ids after `after`, as rows of one parameter for store_exec_many. */
static int sensor_ids(Tx *tx, int64_t after, int max, DbValue **ids, int *n, Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(after), db_int(max)};
    if (store_query(tx->conn, tx->arena,
                    "SELECT id FROM monitor_sensors WHERE id > $1 ORDER BY id LIMIT $2", p, 2,
                    &rows, err) < 0)
        return -1;
    *n = rows.nrows;
    *ids = arena_alloc(tx->arena, sizeof **ids * (size_t)(rows.nrows ? rows.nrows : 1));
    for (int i = 0; i < rows.nrows; i++)
        (*ids)[i] = db_int(atoll(db_cell(&rows, i, 0)));
    return 0;
}

/* The roll-up row of one sensor's hour from its readings; nothing when it has none. */
static int hour_row(Tx *tx, const SeriesJournal *j, int64_t sensor, int64_t hour, DbValue *row,
                    Error *err)
{
    SeriesStats st;
    if (mon_series_hour_stats(tx->conn, tx->arena, j, sensor, hour, &st, err) < 0)
        return -1;
    if (st.n == 0)
        return 0;
    row[0] = db_int(sensor);
    row[1] = db_int(hour);
    row[2] = db_int(st.n);
    row[3] = db_real(st.sum);
    row[4] = db_real(st.min);
    row[5] = db_real(st.max);
    return 1;
}

/* Roll-up rows of the given hours of the given sensors; replace: overwrite rows that exist
 * (else they are kept). */
static int rollup_hours(Tx *tx, const SeriesJournal *j, const DbValue *ids, int n,
                        const int64_t *hours, int nh, int replace, Error *err)
{
    DbValue *rows = arena_alloc(tx->arena, sizeof *rows * 6 * (size_t)(n * nh > 0 ? n * nh : 1));
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int h = 0; h < nh; h++) {
            int got = hour_row(tx, j, ids[i].i, hours[h], rows + 6 * k, err);
            if (got < 0)
                return -1;
            k += got;
        }
    return store_exec_many(
        tx->conn,
        replace ? "INSERT INTO monitor_rollup (sensor_id, hour, n, sum, min, max) VALUES ($1, $2,"
                  " $3, $4, $5, $6) ON CONFLICT (sensor_id, hour) DO UPDATE SET n = excluded.n,"
                  " sum = excluded.sum, min = excluded.min, max = excluded.max"
                : "INSERT INTO monitor_rollup (sensor_id, hour, n, sum, min, max) VALUES ($1, $2,"
                  " $3, $4, $5, $6) ON CONFLICT (sensor_id, hour) DO NOTHING",
        rows, 6, k, NULL, err);
}

/* Compactions (series.c) whose newest reading is older than the retention go, with their
 * blocks; hours of theirs never rolled up (the server was down through them) are rolled up
 * first. A compaction goes whole: a reading outlives the retention by at most the
 * compaction's time span (minutes for a steady stream; longer when it holds late readings). */
static int expire(Tx *tx, const SeriesJournal *j, int64_t before, Error *err)
{
    DbValue p[] = {db_int(before)};
    DbRows missing;
    if (store_query(tx->conn, tx->arena,
                    "SELECT DISTINCT b.sensor_id, b.t0 - b.t0 % 3600000 FROM"
                    " monitor_reading_compactions k JOIN monitor_reading_blocks b ON"
                    " b.compaction_id = k.id WHERE k.tmax < $1 AND NOT EXISTS (SELECT 1 FROM"
                    " monitor_rollup r WHERE r.sensor_id = b.sensor_id AND r.hour = b.t0 - b.t0 %"
                    " 3600000)",
                    p, 1, &missing, err) < 0)
        return -1;
    for (int i = 0; i < missing.nrows; i++) {
        DbValue id = db_int(atoll(db_cell(&missing, i, 0)));
        int64_t hour = atoll(db_cell(&missing, i, 1));
        if (rollup_hours(tx, j, &id, 1, &hour, 1, 0, err) < 0)
            return -1;
    }
    int64_t blocks = 0, compactions = 0;
    if (store_exec(tx->conn,
                   "DELETE FROM monitor_reading_blocks WHERE compaction_id IN (SELECT id FROM"
                   " monitor_reading_compactions WHERE tmax < $1)",
                   p, 1, &blocks, err) < 0 ||
        store_exec(tx->conn, "DELETE FROM monitor_reading_compactions WHERE tmax < $1", p, 1,
                   &compactions, err) < 0)
        return -1;
    if (compactions)
        log_info("monitoring: 删除超过保留期的读数块 %lld 个 / deleted %lld reading blocks past"
                 " retention",
                 (long long)blocks, (long long)blocks);
    return store_exec(tx->conn, "DELETE FROM monitor_rollup_dirty WHERE hour < $1", p, 1, NULL,
                      err);
}

/* Takes up to ROLLUP_DIRTY_PER_RUN hours that received late readings (oldest first) into the
 * pass, removing their marks: the pass rolls them up slice by slice with the others. */
static int take_dirty_hours(Tx *tx, int64_t before, RollupPass *pass, Error *err)
{
    DbValue lim[] = {db_int(before), db_int(ROLLUP_DIRTY_PER_RUN)};
    DbRows dirty;
    if (store_query(tx->conn, tx->arena,
                    "SELECT hour FROM monitor_rollup_dirty WHERE hour < $1 ORDER BY hour LIMIT $2",
                    lim, 2, &dirty, err) < 0)
        return -1;
    pass->nlate = 0;
    for (int i = 0; i < dirty.nrows; i++) {
        DbValue h[] = {db_int(atoll(db_cell(&dirty, i, 0)))};
        pass->late[pass->nlate++] = h[0].i;
        if (store_exec(tx->conn, "DELETE FROM monitor_rollup_dirty WHERE hour = $1", h, 1, NULL,
                       err) < 0)
            return -1;
    }
    return 0;
}

/* Where a pass starts: the first hour not yet final (the previous hour of the last pass that
 * completed), at most ROLLUP_MAX_HOURS back; 48 hours back on a store never rolled up. */
static int pass_start(Tx *tx, int64_t current, int64_t *from, Error *err)
{
    int64_t done = 0;
    int rc = store_query_int(tx->conn, "SELECT done_until FROM monitor_rollup_state WHERE id = 1",
                             NULL, 0, &done, err);
    if (rc < 0)
        return -1;
    *from = rc == 1 ? current - 48 * MON_HOUR_MS : done;
    if (*from < current - ROLLUP_MAX_HOURS * MON_HOUR_MS)
        *from = current - ROLLUP_MAX_HOURS * MON_HOUR_MS;
    if (*from > current - MON_HOUR_MS)
        *from = current - MON_HOUR_MS;
    return 0;
}

int mon_rollup_slice(Tx *tx, int64_t now_ms, RollupPass *pass, Error *err)
{
    DbValue *ids;
    int n;
    int64_t current = now_ms - now_ms % MON_HOUR_MS;
    if (pass->after == 0 && (pass_start(tx, current, &pass->from, err) < 0 ||
                             take_dirty_hours(tx, current - MON_HOUR_MS, pass, err) < 0))
        return -1;
    SeriesJournal j;
    if (sensor_ids(tx, pass->after, ROLLUP_SENSORS_PER_RUN, &ids, &n, err) < 0 ||
        mon_series_journal_load(tx->conn, tx->arena, &j, err) < 0)
        return -1;
    int64_t hours[ROLLUP_MAX_HOURS + 2 + 8];
    int nh = 0;
    for (int64_t h = pass->from; h <= current && nh < ROLLUP_MAX_HOURS + 2; h += MON_HOUR_MS)
        hours[nh++] = h;
    for (int i = 0; i < pass->nlate; i++)
        if (pass->late[i] < pass->from)
            hours[nh++] = pass->late[i];
    if (n > 0 && rollup_hours(tx, &j, ids, n, hours, nh, 1, err) < 0)
        return -1;
    pass->after = n == ROLLUP_SENSORS_PER_RUN ? ids[n - 1].i : 0;
    if (pass->after)
        return 0;
    if (expire(tx, &j, now_ms - mon_retention_ms(), err) < 0)
        return -1;
    /* the pass is over: the hours before the previous one are final */
    DbValue p[] = {db_int(current - MON_HOUR_MS)};
    return store_exec(tx->conn,
                      "INSERT INTO monitor_rollup_state (id, done_until) VALUES (1, $1) ON CONFLICT"
                      " (id) DO UPDATE SET done_until = excluded.done_until",
                      p, 1, NULL, err);
}

int mon_rollup(Tx *tx, int64_t now_ms, Error *err)
{
    RollupPass pass = {0};
    do {
        if (mon_rollup_slice(tx, now_ms, &pass, err) < 0)
            return -1;
    } while (pass.after);
    return 0;
}

/* One slice per run, the pass carried in the job's payload (durable: a restart continues
 * it); the next slice a second later, the next pass after ROLLUP_EVERY_S. */
static int rollup_job(Tx *tx, const char *key, json_t *payload, Error *err)
{
    (void)key;
    RollupPass pass = {0};
    json_t *a = json_object_get(payload, "after"), *f = json_object_get(payload, "from");
    json_t *late = json_object_get(payload, "late");
    pass.after = json_is_integer(a) ? json_integer_value(a) : 0;
    pass.from = json_is_integer(f) ? json_integer_value(f) : 0;
    for (size_t i = 0; i < json_array_size(late) && pass.nlate < ROLLUP_DIRTY_PER_RUN; i++)
        pass.late[pass.nlate++] = json_integer_value(json_array_get(late, i));
    if (mon_rollup_slice(tx, mon_now_ms(), &pass, err) < 0)
        return -1;
    json_t *hours = json_array();
    for (int i = 0; pass.after && i < pass.nlate; i++)
        json_array_append_new(hours, json_integer(pass.late[i]));
    json_t *p = json_pack("{s:I, s:I, s:o}", "after", (json_int_t)pass.after, "from",
                          (json_int_t)pass.from, "late", hours);
    int rc = scheduler_set(tx, "monitoring.rollup", "monitoring.rollup",
                           clock_now() + (pass.after ? 1 : ROLLUP_EVERY_S), p, err);
    json_decref(p);
    return rc;
}

/* ---- the in-app channel -------------------------------------------------------------------- */

static int deliver_tx(Tx *tx, const char *id, json_t *payload, Error *err)
{
    int fresh = outbox_seen(tx->conn, "monitoring.notify.inapp", id, err);
    if (fresh <= 0)
        return fresh;
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    const char *division = json_string_value(json_object_get(payload, "division_code"));
    DbValue p[] = {db_int(json_integer_value(json_object_get(payload, "user_id"))),
                   db_int(json_integer_value(json_object_get(payload, "warning_id"))),
                   db_text(json_string_value(json_object_get(payload, "level"))),
                   db_text(json_string_value(json_object_get(payload, "message"))),
                   db_text(division),
                   db_text(now)};
    DbRows rows;
    if (store_query(
            tx->conn, tx->arena,
            "INSERT INTO monitor_notices (user_id, warning_id, level, message, division_code,"
            " delivered_at, created_at, updated_at) SELECT $1, $2, $3, $4, $5, $6, $6, $6"
            " WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) RETURNING id",
            p, 6, &rows, err) < 0)
        return -1;
    if (rows.nrows)
        tx_event(tx, "monitor_notices", db_cell(&rows, 0, 0), "create", division);
    return 0;
}

static int deliver_inapp(StoreConn *conn, const char *id, const char *topic, json_t *payload,
                         Error *err)
{
    (void)topic;
    Arena arena = ARENA_INIT;
    Tx tx;
    int rc = tx_begin(&tx, conn, &actor_system, &arena, err);
    if (rc == 0) {
        rc = deliver_tx(&tx, id, payload, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    arena_free(&arena);
    return rc;
}

static int schedule_tx(Tx *tx, void *ctx, Error *err)
{
    (void)ctx;
    return mon_jobs_schedule(tx, err);
}

void mon_jobs_start(Store *store)
{
    job_store = store;
    scheduler_register("monitoring.nodata", nodata_job);
    scheduler_register("monitoring.rollup", rollup_job);
    outbox_register("monitoring.notify", deliver_inapp);
    tx_run_system(store, schedule_tx, NULL, "monitoring: scheduling the jobs");
}
