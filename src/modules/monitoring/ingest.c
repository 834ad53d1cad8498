/* modules/monitoring/ingest — readings in: parse, authenticate, store, evaluate, commit.
 *
 * The one entry point for HTTP and MQTT (monitoring_ingest, contract in monitoring.h). A
 * batch is stored in transactions of up to MON_TX_CHUNK readings, each holding its readings
 * (INSERT … ON CONFLICT DO NOTHING, so duplicates are recognised by the store), the rule
 * evaluations and every warning change they cause. The answer is built only after the last
 * commit. The engine lock is held from evaluation to commit so the in-memory windows and
 * rule states follow the committed order, and given up between transactions (first come,
 * first served); when a transaction fails the engine is marked stale and reloaded from the
 * store before the next one. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ----------------------------------------------------------------------- */

static int64_t env_int(const char *name, int64_t def, int64_t lo, int64_t hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end || n < lo || n > hi) {
        log_warn("monitoring: %s=%s 无效，使用默认值 %lld / invalid, using %lld", name, v,
                 (long long)def, (long long)def);
        return def;
    }
    return n;
}

int64_t mon_retention_ms(void)
{
    static int64_t days;
    if (!days)
        days = env_int("YINGJI_READING_RETENTION_DAYS", 90, 1, 36500);
    return days * 86400000LL;
}

WarnLevel mon_publish_level(void)
{
    const char *v = getenv("YINGJI_WARNING_PUBLISH_LEVEL");
    WarnLevel l = warn_level_from_name(v);
    return l == LEVEL_NONE ? LEVEL_ORANGE : l;
}

int64_t mon_now_ms(void)
{
    return clock_real_now_ms() + clock_get_offset() * 1000;
}

void mon_format_ms(int64_t ms, char *out, size_t len)
{
    clock_format_iso(ms / 1000 - (ms % 1000 < 0), out, len);
}

/* ---- authentication ---------------------------------------------------------------------- */

static int unauthorised(Error *err)
{
    return error_set(
        err, 401, "gateway_unauthorised", "网关认证失败：编号或密钥错误，或网关已停用",
        "gateway authentication failed: wrong code or key, or the gateway is disabled");
}

static const GatewayRt *authenticate(const char *auth, const char *expect, Error *err)
{
    const char *colon = auth ? strchr(auth, ':') : NULL;
    if (!colon || colon == auth || !colon[1] || colon - auth >= 64) {
        unauthorised(err);
        return NULL;
    }
    char code[64], hash[65];
    snprintf(code, sizeof code, "%.*s", (int)(colon - auth), auth);
    const GatewayRt *g = mon_gateway_by_code(code);
    mon_key_hash(colon + 1, hash);
    if (!g || !g->enabled || strlen(g->key_hash) != 64 || sodium_memcmp(hash, g->key_hash, 64) ||
        (expect && strcmp(expect, code) != 0)) {
        unauthorised(err);
        return NULL;
    }
    return g;
}

/* ---- classification ---------------------------------------------------------------------- */

typedef struct Accepted {
    SensorRt *sensor; /* resolved again by sensor_id for each transaction (see ingest_chunk) */
    int64_t sensor_id;
    int index; /* in the batch */
    int64_t ts_ms;
    double value;
} Accepted;

static void reject(json_t *rejected, int index, const char *sensor, const char *code,
                   const char *zh, const char *en)
{
    json_array_append_new(rejected,
                          json_pack("{s:i, s:s, s:s, s:s, s:s}", "index", index, "sensor", sensor,
                                    "code", code, "message", zh, "message_en", en));
}

static int classify(const ParsedBatch *b, const GatewayRt *g, int64_t now_ms, Accepted *acc,
                    json_t *rejected)
{
    int n = 0;
    int64_t oldest = now_ms - mon_retention_ms();
    for (int i = 0; i < b->n; i++) {
        const ParsedReading *r = &b->readings[i];
        SensorRt *s = mon_sensor_by_code(r->sensor);
        if (!s)
            reject(rejected, i, r->sensor, "unknown_sensor", "传感器未登记", "unknown sensor");
        else if (s->gateway_id != g->id)
            reject(rejected, i, r->sensor, "wrong_gateway", "传感器不属于该网关",
                   "the sensor belongs to another gateway");
        else if (strcmp(s->state, "disabled") == 0)
            reject(rejected, i, r->sensor, "sensor_disabled", "传感器已停用",
                   "the sensor is retired");
        else if (r->ts_ms > now_ms + MON_FUTURE_SLACK_MS)
            reject(rejected, i, r->sensor, "future_reading", "读数时间超前平台时钟5分钟以上",
                   "the reading is more than 5 minutes in the future");
        else if (r->ts_ms < oldest)
            reject(rejected, i, r->sensor, "too_old", "读数早于保留期限",
                   "the reading is older than the retention");
        else
            acc[n++] = (Accepted){s, s->id, i, r->ts_ms, r->value};
    }
    return n;
}

static int by_sensor_then_time(const void *a, const void *b)
{
    const Accepted *x = a, *y = b;
    if (x->sensor_id != y->sensor_id)
        return x->sensor_id < y->sensor_id ? -1 : 1;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    return x->index - y->index;
}

static int by_time_then_position(const void *a, const void *b)
{
    const Accepted *x = a, *y = b;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    return x->index - y->index;
}

/* acc in by_sensor_then_time's order. A bulk batch (large against the registry) is sorted by
 * a stable counting sort on the sensor's position in the engine (the order of ids), and a
 * sensor's run only by time when it is not in time order already (gateways send in order):
 * linear, where qsort cost a twentieth of the time the engine lock was held. */
static void sort_accepted(Accepted *acc, int n, Arena *arena)
{
    int ns = mon_sensor_count();
    if (n < 64 || ns > 4 * n) {
        qsort(acc, (size_t)n, sizeof *acc, by_sensor_then_time);
        return;
    }
    int *next = arena_alloc(arena, sizeof *next * (size_t)(ns + 1));
    for (int i = 0; i < n; i++)
        next[acc[i].sensor->idx + 1]++;
    for (int k = 0; k < ns; k++)
        next[k + 1] += next[k];
    Accepted *out = arena_alloc(arena, sizeof *out * (size_t)n);
    for (int i = 0; i < n; i++) /* batch order kept within a sensor */
        out[next[acc[i].sensor->idx]++] = acc[i];
    memcpy(acc, out, sizeof *acc * (size_t)n);
    for (int i = 0; i < n;) {
        int j = i + 1, sorted = 1;
        for (; j < n && acc[j].sensor == acc[i].sensor; j++)
            sorted = sorted && acc[j].ts_ms > acc[j - 1].ts_ms;
        if (!sorted)
            qsort(acc + i, (size_t)(j - i), sizeof *acc, by_time_then_position);
        i = j;
    }
}

/* ---- evaluation -------------------------------------------------------------------------- */

/* A reading from a sensor that was 掉线: back online, its no-data warning closed at once. */
static int back_online(Tx *tx, SensorRt *s, int64_t at_ms, json_t *out, Error *err)
{
    for (int r = 0; r < s->nrules; r++) {
        RuleInst *ri = &s->rules[r];
        if (ri->spec.kind != RULE_NODATA || ri->st.level == LEVEL_NONE)
            continue;
        WarnSubject subj = mon_sensor_subject(tx, s);
        RuleChange ch = {ri->st.level, LEVEL_NONE};
        ri->st = (RuleState){LEVEL_NONE, at_ms, LEVEL_NONE, at_ms};
        if (mon_warning_change(tx, ri, &subj, &ch, 0, at_ms, NULL, out, err) < 0)
            return -1;
    }
    return mon_sensor_switch_state(tx, s, "offline", "online", err);
}

/* Every non-no-data rule of a sensor at event time now. */
static int evaluate_sensor(Tx *tx, SensorRt *s, int64_t now, json_t *out, Error *err)
{
    for (int r = 0; r < s->nrules; r++) {
        RuleInst *ri = &s->rules[r];
        double m;
        if (ri->spec.kind == RULE_NODATA || !rule_metric(&ri->spec, &s->win, now, &m))
            continue;
        WarnLevel cand = rule_level_with_hysteresis(&ri->spec, m, ri->st.level);
        RuleChange ch;
        if (!rule_step(&ri->spec, &ri->st, cand, now, &ch))
            continue;
        WarnSubject subj = mon_sensor_subject(tx, s); /* built only for a change */
        if (mon_warning_change(tx, ri, &subj, &ch, m, now, &s->win, out, err) < 0)
            return -1;
    }
    return 0;
}

/* The highest level of a member rule among the sensors of a point. */
static WarnLevel member_level(int64_t point_id, int64_t rule_id)
{
    WarnLevel best = LEVEL_NONE;
    for (int i = 0; i < mon_sensor_count(); i++) {
        SensorRt *s = mon_sensor_at(i);
        if (s->point_id != point_id)
            continue;
        for (int r = 0; r < s->nrules; r++)
            if (s->rules[r].spec.id == rule_id && s->rules[r].st.level > best)
                best = s->rules[r].st.level;
    }
    return best;
}

static int evaluate_combos(Tx *tx, int64_t point_id, int64_t now, json_t *out, Error *err)
{
    for (int i = 0; i < mon_combo_count(); i++) {
        ComboInst *c = mon_combo_at(i);
        if (c->point_id != point_id)
            continue;
        WarnLevel levels[8];
        for (int m = 0; m < c->nmembers; m++)
            levels[m] = member_level(point_id, c->members[m]);
        WarnLevel cand = combo_level(levels, c->nmembers);
        RuleChange ch;
        if (!rule_step(&c->r.spec, &c->r.st, cand, now, &ch))
            continue;
        WarnSubject subj = {arena_printf(tx->arena, "point:%lld", (long long)point_id),
                            point_id,
                            0,
                            c->enterprise_id,
                            c->division,
                            NULL,
                            NULL,
                            NULL,
                            NULL};
        if (mon_warning_change(tx, &c->r, &subj, &ch, (double)cand, now, NULL, out, err) < 0)
            return -1;
    }
    return 0;
}

/* Hours before the previous one that received readings now are marked for the roll-up job
 * (jobs.c), which otherwise treats them as final. */
static int mark_late_hours(Tx *tx, const Accepted *acc, const int64_t *affected, int n,
                           int64_t now_ms, Error *err)
{
    int64_t recent = now_ms - now_ms % MON_HOUR_MS - MON_HOUR_MS;
    DbValue *hours = NULL;
    int nh = 0;
    for (int i = 0; i < n; i++) {
        int64_t h = acc[i].ts_ms - acc[i].ts_ms % MON_HOUR_MS;
        if (!affected[i] || h >= recent)
            continue;
        int seen = 0;
        for (int k = 0; k < nh && !seen; k++)
            seen = hours[k].i == h;
        if (seen)
            continue;
        if (!hours)
            hours = arena_alloc(tx->arena, sizeof *hours * (size_t)n);
        hours[nh++] = db_int(h);
    }
    return store_exec_many(
        tx->conn, "INSERT INTO monitor_rollup_dirty (hour) VALUES ($1) ON CONFLICT DO NOTHING",
        hours, 1, nh, NULL, err);
}

/* The sensor's rules and its point's combinations at event time now; a sensor under repair
 * (维护) is stored, not evaluated. */
static int evaluate(Tx *tx, SensorRt *s, int64_t now, json_t *out, Error *err)
{
    if (strcmp(s->state, "maintenance") == 0)
        return 0;
    if (evaluate_sensor(tx, s, now, out, err) < 0)
        return -1;
    return evaluate_combos(tx, s->point_id, now, out, err);
}

/* Whether acc (a reading of s) is already stored. The window holds every stored reading of
 * the sensor back to its newest minus keep_ms (window_insert refuses those); an older one is
 * looked up in the series, with the journal read once per transaction (*j). */
static int stored_before(Tx *tx, SensorRt *s, const Accepted *acc, SeriesJournal *j, int *have_j,
                         Error *err)
{
    const Sample *latest = window_latest(&s->win);
    if (!latest || acc->ts_ms >= latest->ts_ms - s->keep_ms)
        return 0;
    if (!*have_j && mon_series_journal_load(tx->conn, tx->arena, j, err) < 0)
        return -1;
    *have_j = 1;
    return mon_series_has(tx->conn, tx->arena, j, s->id, acc->ts_ms, err);
}

/* Stores the accepted readings (dup[i] set for duplicates) and evaluates the new ones: each
 * reading newer than the sensor's newest at its own time, late ones folded in together and
 * evaluated once at the newest time. The new readings go to the journal as one row. */
static int store_and_evaluate(Tx *tx, Accepted *acc, int n, int64_t now_ms, unsigned char *dup,
                              json_t *warnings, int *stored, Error *err)
{
    SeriesReading *fresh = arena_alloc(tx->arena, sizeof *fresh * (size_t)(n ? n : 1));
    int64_t *affected = arena_alloc(tx->arena, sizeof *affected * (size_t)(n ? n : 1));
    SeriesJournal journal;
    int have_journal = 0, nfresh = 0;
    for (int i = 0; i < n;) {
        SensorRt *s = acc[i].sensor;
        const Sample *before = window_latest(&s->win);
        int64_t newest = before ? before->ts_ms : INT64_MIN;
        int any = 0, late = 0;
        for (; i < n && acc[i].sensor == s; i++) {
            int old = stored_before(tx, s, &acc[i], &journal, &have_journal, err);
            if (old < 0)
                return -1;
            if (old || !window_insert(&s->win, (Sample){acc[i].ts_ms, acc[i].value})) {
                dup[acc[i].index] = 1;
                continue;
            }
            affected[i] = 1;
            fresh[nfresh++] = (SeriesReading){s->id, acc[i].ts_ms, acc[i].value};
            if (!any && back_online(tx, s, acc[i].ts_ms, warnings, err) < 0)
                return -1;
            any = 1;
            if (acc[i].ts_ms < newest) { /* late: folded in, evaluated once at the newest time */
                late = 1;
                continue;
            }
            newest = acc[i].ts_ms;
            late = 0;
            if (evaluate(tx, s, newest, warnings, err) < 0)
                return -1;
        }
        if (!any)
            continue;
        if (late && evaluate(tx, s, newest, warnings, err) < 0)
            return -1;
        s->last_arrival_ms = now_ms;
        s->dirty = 1;
        window_trim(&s->win, newest - s->keep_ms);
    }
    *stored = nfresh;
    if (mon_series_append(tx, fresh, nfresh, err) < 0)
        return -1;
    return mark_late_hours(tx, acc, affected, n, now_ms, err);
}

/* ---- the entry point --------------------------------------------------------------------- */

static json_t *answer(const ParsedBatch *b, int accepted, int dups, json_t *rejected,
                      json_t *warnings)
{
    return json_pack("{s:s?, s:i, s:i, s:O, s:O}", "batch", b->batch, "accepted", accepted,
                     "duplicates", dups, "rejected", rejected, "warnings", warnings);
}

/* One transaction of a batch: the readings acc[0..n) (sorted by sensor and time), their
 * evaluations and warning changes; called with the engine lock held. Sensors are looked up
 * again by id, as the engine may have been reloaded while the lock was given up between two
 * transactions; a sensor that is gone by then is rejected. */
static int ingest_chunk(Store *store, Accepted *acc, int n, int64_t now_ms, const Actor *gateway,
                        unsigned char *dup, json_t *rejected, json_t *warnings,
                        const ParsedBatch *b, Arena *arena, Error *err)
{
    int kept = 0;
    for (int i = 0; i < n; i++) {
        acc[i].sensor = mon_sensor_by_id(acc[i].sensor_id);
        if (acc[i].sensor)
            acc[kept++] = acc[i];
        else
            reject(rejected, acc[i].index, b->readings[acc[i].index].sensor, "unknown_sensor",
                   "传感器未登记", "unknown sensor");
    }
    StoreConn *c = store_acquire(store);
    Tx tx;
    int fresh = 0;
    int rc = tx_begin(&tx, c, gateway, arena, err);
    if (rc == 0) {
        rc = store_and_evaluate(&tx, acc, kept, now_ms, dup, warnings, &fresh, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    store_release(store, c);
    if (rc < 0)
        mon_engine_mark_stale(); /* memory may hold what the store does not */
    else
        mon_series_note_appended(fresh);
    return rc < 0 ? -1 : kept;
}

/* Authenticates, classifies and stores a parsed batch in transactions of MON_TX_CHUNK
 * readings, giving the engine lock up between them. */
static int ingest_batch(Store *store, const ParsedBatch *b, const char *auth, const char *expect,
                        int64_t now_ms, Arena *arena, json_t **result, Error *err)
{
    json_t *rejected = json_array(), *warnings = json_array();
    Accepted *acc = arena_alloc(arena, sizeof *acc * (size_t)(b->n ? b->n : 1));
    unsigned char *dup = arena_alloc(arena, (size_t)(b->n ? b->n : 1));
    Actor gateway = actor_system;
    int n = 0, stored = 0, rc;
    mon_engine_lock();
    const GatewayRt *g = NULL;
    rc = mon_engine_refresh(store, err);
    if (rc == 0 && !(g = authenticate(auth ? auth : b->auth, expect, err)))
        rc = -1;
    if (rc == 0) {
        gateway.username = arena_printf(arena, "gateway:%s", g->code);
        n = classify(b, g, now_ms, acc, rejected);
        sort_accepted(acc, n, arena);
    }
    if (rc < 0 || n == 0)
        mon_engine_unlock();
    for (int from = 0; rc == 0 && from < n; from += MON_TX_CHUNK) {
        if (from > 0 && (mon_engine_lock(), mon_engine_refresh(store, err) < 0)) {
            mon_engine_unlock();
            rc = -1;
            break;
        }
        int cnt = n - from < MON_TX_CHUNK ? n - from : MON_TX_CHUNK;
        int kept = ingest_chunk(store, acc + from, cnt, now_ms, &gateway, dup, rejected, warnings,
                                b, arena, err);
        mon_engine_unlock();
        if (kept < 0)
            rc = -1;
        else
            stored += kept;
    }
    if (rc == 0) {
        int dups = 0;
        for (int i = 0; i < b->n; i++)
            dups += dup[i];
        *result = answer(b, stored - dups, dups, rejected, warnings);
    }
    if (rc == 0 && mon_series_compact_due()) {
        Error cerr = ERROR_INIT; /* the batch is stored: a failed compaction is retried later */
        mon_series_compact_now(store, MON_COMPACT_AT / 2, &cerr);
        error_clear(&cerr);
    }
    json_decref(rejected);
    json_decref(warnings);
    return rc;
}

int monitoring_ingest(Store *store, const char *auth, const char *expect_gateway, const char *body,
                      size_t len, IngestFormat fmt, json_t **result, Error *err)
{
    Arena arena = ARENA_INIT;
    ParsedBatch b;
    int64_t now_ms = mon_now_ms();
    int rc = mon_parse(body, len, fmt, now_ms, &arena, &b, err);
    if (rc == 0)
        rc = ingest_batch(store, &b, auth, expect_gateway, now_ms, &arena, result, err);
    arena_free(&arena);
    return rc;
}
