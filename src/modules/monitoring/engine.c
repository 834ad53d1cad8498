/* modules/monitoring/engine — the in-memory state of every sensor and rule (监测引擎).
 *
 * One Engine per process, guarded by one first-come-first-served lock: ingest, the no-data scan and
 * the routes that read live values take it. It holds, per sensor, its registry row, a window of
 * recent samples as long as its longest rule, and one RuleInst (spec + RuleState + active warning)
 * per effective rule; per point, its combination rules; and the gateways with their key
 * hashes. It is loaded from the store at start and reloaded when a registry row changes
 * (seen through the committed change events, so never before the change committed); a
 * reload keeps the windows and rule states of the sensors and rules that still exist.
 *
 * Effective rules of a sensor: the enabled non-combination rules of its type whose point is
 * the sensor's point or, with no point, whose division is a prefix of the sensor's division;
 * for each (kind, window) the point's rule wins, else the most specific division's. */
#include "modules/monitoring/monitoring_internal.h"

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/events.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Engine {
    SensorRt *sensors; /* sorted by id */
    int nsensors;
    int *by_code; /* open addressing: index + 1, 0 = empty */
    int code_cap;
    GatewayRt *gateways;
    int ngateways;
    ComboInst *combos;
    int ncombos;
    EventSub *sub;
    int stale;
    int suspect; /* a write failed: reload windows and states from the store, carry nothing */
    int loaded;
};

static Engine engine;

/* A ticket lock: first come, first served. A gateway sending large batches gives the lock up
 * between its transactions; with a plain mutex it would usually take it straight back, and a
 * single urgent reading could wait behind a whole stream. */
static pthread_mutex_t engine_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t engine_turn = PTHREAD_COND_INITIALIZER;
static uint64_t next_ticket, now_serving;

Engine *mon_engine(void)
{
    return &engine;
}

void mon_engine_lock(void)
{
    pthread_mutex_lock(&engine_mu);
    uint64_t mine = next_ticket++;
    while (now_serving != mine)
        pthread_cond_wait(&engine_turn, &engine_mu);
    pthread_mutex_unlock(&engine_mu);
}

int mon_engine_trylock(void)
{
    pthread_mutex_lock(&engine_mu);
    int free_now = now_serving == next_ticket;
    if (free_now)
        next_ticket++;
    pthread_mutex_unlock(&engine_mu);
    return free_now ? 0 : -1;
}

void mon_engine_unlock(void)
{
    pthread_mutex_lock(&engine_mu);
    now_serving++;
    pthread_cond_broadcast(&engine_turn);
    pthread_mutex_unlock(&engine_mu);
}

void mon_engine_mark_stale(void)
{
    engine.stale = 1;
    engine.suspect = 1;
}

void mon_key_hash(const char *key, char *out)
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)key, strlen(key), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* ---- lookups ----------------------------------------------------------------------------- */

static uint32_t code_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

SensorRt *mon_sensor_by_code(const char *code)
{
    if (!engine.code_cap)
        return NULL;
    uint32_t mask = (uint32_t)engine.code_cap - 1;
    for (uint32_t i = code_hash(code) & mask;; i = (i + 1) & mask) {
        int slot = engine.by_code[i];
        if (!slot)
            return NULL;
        if (strcmp(engine.sensors[slot - 1].code, code) == 0)
            return &engine.sensors[slot - 1];
    }
}

SensorRt *mon_sensor_by_id(int64_t id)
{
    int lo = 0, hi = engine.nsensors - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (engine.sensors[mid].id == id)
            return &engine.sensors[mid];
        if (engine.sensors[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

int mon_sensor_count(void)
{
    return engine.nsensors;
}

SensorRt *mon_sensor_at(int i)
{
    return &engine.sensors[i];
}

const GatewayRt *mon_gateway_by_code(const char *code)
{
    for (int i = 0; i < engine.ngateways; i++)
        if (strcmp(engine.gateways[i].code, code) == 0)
            return &engine.gateways[i];
    return NULL;
}

ComboInst *mon_combo_at(int i)
{
    return &engine.combos[i];
}

int mon_combo_count(void)
{
    return engine.ncombos;
}

/* ---- building ---------------------------------------------------------------------------- */

static void copy_text(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

static int64_t cell_int(const DbRows *r, int row, int col)
{
    const char *s = db_cell(r, row, col);
    return s ? atoll(s) : 0;
}

static double cell_real_or_nan(const DbRows *r, int row, int col)
{
    const char *s = db_cell(r, row, col);
    return s ? atof(s) : NAN;
}

typedef struct RuleRow {
    int64_t id, point_id;
    const char *name, *kind, *type, *division, *members;
    RuleSpec spec;
} RuleRow;

static void rule_row_parse(const DbRows *r, int i, RuleRow *out)
{
    memset(out, 0, sizeof *out);
    out->id = cell_int(r, i, 0);
    out->name = db_cell(r, i, 1);
    out->kind = db_cell(r, i, 2);
    out->type = db_cell(r, i, 3);
    out->point_id = cell_int(r, i, 4);
    out->division = db_cell(r, i, 5) ? db_cell(r, i, 5) : "";
    out->spec.id = out->id;
    rule_kind_from_name(out->kind, &out->spec.kind);
    out->spec.direction =
        db_cell(r, i, 6) && strcmp(db_cell(r, i, 6), "below") == 0 ? DIR_BELOW : DIR_ABOVE;
    out->spec.window_ms = cell_int(r, i, 7) * 1000;
    for (int l = LEVEL_BLUE; l <= LEVEL_RED; l++)
        out->spec.threshold[l] = cell_real_or_nan(r, i, 7 + l);
    out->spec.hysteresis = db_cell(r, i, 12) ? atof(db_cell(r, i, 12)) : 0;
    out->spec.hold_ms = cell_int(r, i, 13) * 1000;
    out->members = db_cell(r, i, 14);
}

/* Rank of a rule for a sensor: -1 not applicable; higher wins (point > longer division). */
static int rule_rank(const RuleRow *rr, const SensorRt *s)
{
    if (rr->spec.kind == RULE_COMBO || !rr->type || strcmp(rr->type, s->type) != 0)
        return -1;
    if (rr->point_id)
        return rr->point_id == s->point_id ? 100 : -1;
    size_t n = strlen(rr->division);
    return strncmp(s->division, rr->division, n) == 0 ? (int)n : -1;
}

static void sensor_pick_rules(SensorRt *s, const RuleRow *rules, int nrules)
{
    s->rules = xcalloc((size_t)(nrules ? nrules : 1), sizeof *s->rules);
    s->nrules = 0;
    s->keep_ms = 0;
    for (int i = 0; i < nrules; i++) {
        int rank = rule_rank(&rules[i], s);
        if (rank < 0)
            continue;
        int beaten = 0;
        for (int j = 0; j < nrules && !beaten; j++) {
            if (j == i || rules[j].spec.kind != rules[i].spec.kind ||
                rules[j].spec.window_ms != rules[i].spec.window_ms)
                continue;
            int other = rule_rank(&rules[j], s);
            beaten = other > rank || (other == rank && rules[j].id < rules[i].id);
        }
        if (beaten)
            continue;
        RuleInst *ri = &s->rules[s->nrules++];
        ri->spec = rules[i].spec;
        copy_text(ri->name, sizeof ri->name, rules[i].name);
        if (ri->spec.window_ms > s->keep_ms)
            s->keep_ms = ri->spec.window_ms;
    }
}

static void combo_parse_members(ComboInst *c, const char *members)
{
    json_t *m = members ? json_loads(members, 0, NULL) : NULL;
    c->nmembers = 0;
    for (size_t i = 0; json_is_array(m) && i < json_array_size(m) && c->nmembers < 8; i++)
        if (json_is_integer(json_array_get(m, i)))
            c->members[c->nmembers++] = json_integer_value(json_array_get(m, i));
    json_decref(m);
}

static void index_codes(Engine *e)
{
    int cap = 16;
    while (cap < e->nsensors * 2)
        cap *= 2;
    e->by_code = xcalloc((size_t)cap, sizeof *e->by_code);
    e->code_cap = cap;
    uint32_t mask = (uint32_t)cap - 1;
    for (int i = 0; i < e->nsensors; i++) {
        uint32_t h = code_hash(e->sensors[i].code) & mask;
        while (e->by_code[h])
            h = (h + 1) & mask;
        e->by_code[h] = i + 1;
    }
}

static void engine_free(Engine *e)
{
    for (int i = 0; i < e->nsensors; i++) {
        window_free(&e->sensors[i].win);
        free(e->sensors[i].rules);
    }
    free(e->sensors);
    free(e->by_code);
    free(e->gateways);
    free(e->combos);
    e->sensors = NULL;
    e->by_code = NULL;
    e->gateways = NULL;
    e->combos = NULL;
    e->nsensors = e->code_cap = e->ngateways = e->ncombos = 0;
}

static RuleInst *find_inst(RuleInst *list, int n, int64_t rule_id)
{
    for (int i = 0; i < n; i++)
        if (list[i].spec.id == rule_id)
            return &list[i];
    return NULL;
}

/* Moves windows and rule states from the old engine to the new one where they match. */
static void carry_over(Engine *old, Engine *fresh, unsigned char *have_window)
{
    for (int i = 0; i < fresh->nsensors; i++) {
        SensorRt *n = &fresh->sensors[i];
        SensorRt *o = NULL;
        for (int lo = 0, hi = old->nsensors - 1; lo <= hi && !o;) {
            int mid = (lo + hi) / 2;
            if (old->sensors[mid].id == n->id)
                o = &old->sensors[mid];
            else if (old->sensors[mid].id < n->id)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        if (!o)
            continue;
        n->win = o->win;
        memset(&o->win, 0, sizeof o->win);
        n->last_arrival_ms = o->last_arrival_ms;
        n->dirty = o->dirty;
        have_window[i] = 1;
        for (int r = 0; r < n->nrules; r++) {
            RuleInst *prev = find_inst(o->rules, o->nrules, n->rules[r].spec.id);
            if (prev) {
                n->rules[r].st = prev->st;
                n->rules[r].warning_id = prev->warning_id;
            }
        }
    }
    for (int i = 0; i < fresh->ncombos; i++)
        for (int j = 0; j < old->ncombos; j++)
            if (old->combos[j].r.spec.id == fresh->combos[i].r.spec.id) {
                fresh->combos[i].r.st = old->combos[j].r.st;
                fresh->combos[i].r.warning_id = old->combos[j].r.warning_id;
            }
}

/* Window of a sensor new to this process: its readings back to its longest rule's window
 * from its latest reading. j: the journal, read before the blocks (series.c). */
static int load_window(StoreConn *c, Arena *arena, const SeriesJournal *j, SensorRt *s, Error *err)
{
    int64_t latest;
    Sample *v;
    int n;
    if (mon_series_latest(c, arena, j, s->id, &latest, err) < 0)
        return -1;
    if (latest == INT64_MIN)
        return 0;
    if (mon_series_read(c, arena, j, s->id, latest - s->keep_ms, latest, &v, &n, err) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        window_insert(&s->win, v[i]);
    return 0;
}

/* Rule states of sensors and combos new to this process, from their active warnings. */
static int load_states(StoreConn *c, Arena *arena, Engine *e, const unsigned char *have_window,
                       Error *err)
{
    DbRows rows;
    if (store_query(c, arena,
                    "SELECT id, rule_id, subject, level, level_changed_at FROM monitor_warnings "
                    "WHERE state = 'active'",
                    NULL, 0, &rows, err) < 0)
        return -1;
    for (int i = 0; i < rows.nrows; i++) {
        int64_t wid = cell_int(&rows, i, 0), rule = cell_int(&rows, i, 1);
        const char *subject = db_cell(&rows, i, 2);
        RuleInst *ri = NULL;
        if (subject && strncmp(subject, "sensor:", 7) == 0) {
            SensorRt *s = mon_sensor_by_id(atoll(subject + 7));
            int idx = s ? (int)(s - e->sensors) : -1;
            if (s && !have_window[idx])
                ri = find_inst(s->rules, s->nrules, rule);
        } else {
            for (int k = 0; k < e->ncombos && !ri; k++)
                if (e->combos[k].r.spec.id == rule && !e->combos[k].r.warning_id)
                    ri = &e->combos[k].r;
        }
        if (!ri)
            continue;
        int64_t since = 0;
        if (db_cell(&rows, i, 4))
            clock_parse_iso(db_cell(&rows, i, 4), &since);
        ri->warning_id = wid;
        ri->st.level = warn_level_from_name(db_cell(&rows, i, 3));
        ri->st.level_since_ms = since * 1000;
        ri->st.pending = ri->st.level;
        ri->st.pending_since_ms = since * 1000;
    }
    return 0;
}

static int load_sensors(StoreConn *c, Arena *arena, Engine *e, Error *err)
{
    DbRows rows;
    if (store_query(
            c, arena,
            "SELECT s.id, s.code, s.point_id, s.gateway_id, s.type, s.unit, s.division_code,"
            " s.state, s.interval_seconds, s.enterprise_id, p.name FROM monitor_sensors s"
            " JOIN monitor_points p ON p.id = s.point_id ORDER BY s.id",
            NULL, 0, &rows, err) < 0)
        return -1;
    e->nsensors = rows.nrows;
    e->sensors = xcalloc((size_t)(rows.nrows ? rows.nrows : 1), sizeof *e->sensors);
    for (int i = 0; i < rows.nrows; i++) {
        SensorRt *s = &e->sensors[i];
        s->idx = i;
        s->id = cell_int(&rows, i, 0);
        copy_text(s->code, sizeof s->code, db_cell(&rows, i, 1));
        s->point_id = cell_int(&rows, i, 2);
        s->gateway_id = cell_int(&rows, i, 3);
        copy_text(s->type, sizeof s->type, db_cell(&rows, i, 4));
        copy_text(s->unit, sizeof s->unit, db_cell(&rows, i, 5));
        copy_text(s->division, sizeof s->division, db_cell(&rows, i, 6));
        copy_text(s->state, sizeof s->state, db_cell(&rows, i, 7));
        s->interval_s = cell_int(&rows, i, 8);
        s->enterprise_id = cell_int(&rows, i, 9);
        copy_text(s->point_name, sizeof s->point_name, db_cell(&rows, i, 10));
    }
    return 0;
}

static int load_gateways(StoreConn *c, Arena *arena, Engine *e, Error *err)
{
    DbRows rows;
    if (store_query(c, arena, "SELECT id, code, key_hash, enabled FROM monitor_gateways", NULL, 0,
                    &rows, err) < 0)
        return -1;
    e->ngateways = rows.nrows;
    e->gateways = xcalloc((size_t)(rows.nrows ? rows.nrows : 1), sizeof *e->gateways);
    for (int i = 0; i < rows.nrows; i++) {
        GatewayRt *g = &e->gateways[i];
        g->id = cell_int(&rows, i, 0);
        copy_text(g->code, sizeof g->code, db_cell(&rows, i, 1));
        copy_text(g->key_hash, sizeof g->key_hash, db_cell(&rows, i, 2));
        g->enabled = cell_int(&rows, i, 3) != 0;
    }
    return 0;
}

static int load_rules(StoreConn *c, Arena *arena, Engine *e, Error *err)
{
    DbRows rows;
    if (store_query(c, arena,
                    "SELECT r.id, r.name, r.kind, r.sensor_type, r.point_id, r.division_code,"
                    " r.direction, r.window_seconds, r.blue, r.yellow, r.orange, r.red,"
                    " r.hysteresis, r.hold_seconds, r.members, p.enterprise_id"
                    " FROM monitor_rules r LEFT JOIN monitor_points p ON p.id = r.point_id"
                    " WHERE r.enabled = 1 ORDER BY r.id",
                    NULL, 0, &rows, err) < 0)
        return -1;
    RuleRow *rr = xcalloc((size_t)(rows.nrows ? rows.nrows : 1), sizeof *rr);
    int ncombo = 0;
    for (int i = 0; i < rows.nrows; i++) {
        rule_row_parse(&rows, i, &rr[i]);
        ncombo += rr[i].spec.kind == RULE_COMBO;
    }
    for (int i = 0; i < e->nsensors; i++)
        sensor_pick_rules(&e->sensors[i], rr, rows.nrows);
    e->combos = xcalloc((size_t)(ncombo ? ncombo : 1), sizeof *e->combos);
    for (int i = 0; i < rows.nrows; i++) {
        if (rr[i].spec.kind != RULE_COMBO)
            continue;
        ComboInst *ci = &e->combos[e->ncombos++];
        ci->r.spec = rr[i].spec;
        copy_text(ci->r.name, sizeof ci->r.name, rr[i].name);
        ci->point_id = rr[i].point_id;
        copy_text(ci->division, sizeof ci->division, rr[i].division);
        ci->enterprise_id = cell_int(&rows, i, 15);
        combo_parse_members(ci, rr[i].members);
    }
    free(rr);
    return 0;
}

int mon_engine_load(Store *store, Error *err)
{
    if (!engine.sub)
        engine.sub = events_subscribe(); /* before reading: no change can slip between */
    Engine fresh = {0};
    Arena scratch = ARENA_INIT, *arena = &scratch, journal_arena = ARENA_INIT;
    StoreConn *c = store_acquire(store);
    int rc = -1;
    unsigned char *have_window = NULL;
    SeriesJournal journal;
    if (load_sensors(c, arena, &fresh, err) < 0 || load_gateways(c, arena, &fresh, err) < 0 ||
        load_rules(c, arena, &fresh, err) < 0 ||
        mon_series_journal_load(c, &journal_arena, &journal, err) < 0)
        goto out;
    index_codes(&fresh);
    have_window = xcalloc((size_t)(fresh.nsensors ? fresh.nsensors : 1), 1);
    if (!engine.suspect) /* after a failed write memory may hold what the store does not */
        carry_over(&engine, &fresh, have_window);
    Engine old = engine;
    engine = fresh; /* lookups below (mon_sensor_by_id) use the new engine */
    memset(&fresh, 0, sizeof fresh);
    engine.sub = old.sub;
    old.sub = NULL;
    int64_t now = mon_now_ms();
    int failed = 0;
    for (int i = 0; i < engine.nsensors && !failed; i++) {
        SensorRt *s = &engine.sensors[i];
        if (have_window[i])
            continue;
        failed = load_window(c, arena, &journal, s, err) < 0;
        const Sample *latest = window_latest(&s->win);
        s->last_arrival_ms = latest && latest->ts_ms < now ? latest->ts_ms : now;
        arena_free(arena);
    }
    if (!failed && load_states(c, arena, &engine, have_window, err) == 0)
        rc = 0;
    engine_free(&old);
    engine.loaded = rc == 0;
    engine.stale = rc != 0;
    engine.suspect = rc != 0;
out:
    arena_free(&journal_arena);
    engine_free(&fresh);
    free(have_window);
    store_release(store, c);
    arena_free(arena);
    if (rc < 0)
        log_warn("monitoring: 监测引擎加载失败 / engine load failed: %s", err->message_en);
    return rc;
}

void mon_engine_reset(void)
{
    engine_free(&engine);
    if (engine.sub)
        events_unsubscribe(engine.sub);
    engine.sub = NULL;
    engine.loaded = 0;
    engine.stale = 0;
    engine.suspect = 0;
}

static int registry_table(const char *entity)
{
    return strcmp(entity, "monitor_sensors") == 0 || strcmp(entity, "monitor_rules") == 0 ||
           strcmp(entity, "monitor_gateways") == 0 || strcmp(entity, "monitor_points") == 0;
}

int mon_engine_refresh(Store *store, Error *err)
{
    ChangeEvent evs[64];
    int resync = 0;
    size_t n;
    while (engine.sub && (n = events_poll(engine.sub, evs, 64, &resync)) > 0)
        for (size_t i = 0; i < n; i++)
            if (registry_table(evs[i].entity) && strcmp(evs[i].action, "status") != 0)
                engine.stale = 1;
    if (resync)
        engine.stale = 1;
    if (!engine.loaded || engine.stale)
        return mon_engine_load(store, err);
    return 0;
}
