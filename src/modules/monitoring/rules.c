/* modules/monitoring/rules — the arithmetic of early-warning rules (see rules.h).
 *
 * Depends on libc and libm only: the engine, the tests and the tools link it as it is. */
#include "modules/monitoring/rules.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_MSG_MAX 160
#define WINDOW_MIN_CAP 16

/* ---- names ------------------------------------------------------------------------------ */

static const char *const level_names[] = {"none", "blue", "yellow", "orange", "red"};
static const char *const level_labels_zh[] = {"无", "蓝色", "黄色", "橙色", "红色"};
static const char *const level_romans[] = {"", "IV", "III", "II", "I"};
static const char *const kind_names[] = {"threshold", "rate", "sum", "nodata", "combo"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int level_valid(WarnLevel l)
{
    return (int)l >= LEVEL_NONE && (int)l <= LEVEL_RED;
}

/* Out-of-range levels read as LEVEL_NONE, the same way unknown names do. */
const char *warn_level_name(WarnLevel l)
{
    return level_names[level_valid(l) ? l : LEVEL_NONE];
}

const char *warn_level_label_zh(WarnLevel l)
{
    return level_labels_zh[level_valid(l) ? l : LEVEL_NONE];
}

const char *warn_level_roman(WarnLevel l)
{
    return level_romans[level_valid(l) ? l : LEVEL_NONE];
}

WarnLevel warn_level_from_name(const char *s)
{
    for (int i = 0; s && i < COUNT(level_names); i++)
        if (strcmp(s, level_names[i]) == 0)
            return (WarnLevel)i;
    return LEVEL_NONE;
}

const char *rule_kind_name(RuleKind k)
{
    return (int)k >= 0 && (int)k < COUNT(kind_names) ? kind_names[k] : "unknown";
}

int rule_kind_from_name(const char *s, RuleKind *out)
{
    for (int i = 0; s && i < COUNT(kind_names); i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (RuleKind)i;
            return 0;
        }
    }
    return -1;
}

/* ---- spec check ------------------------------------------------------------------------- */

static int refuse(char *msg, char *msg_en, const char *zh, const char *en)
{
    if (msg)
        snprintf(msg, RULES_MSG_MAX, "%s", zh);
    if (msg_en)
        snprintf(msg_en, RULES_MSG_MAX, "%s", en);
    return -1;
}

/* 1 when the thresholds that are set strictly rise (ABOVE) or fall (BELOW) with the level;
 * else 0 with *lo, *hi the first offending pair of levels. */
static int thresholds_monotonic(const RuleSpec *spec, int *lo, int *hi)
{
    int prev = 0;
    for (int l = LEVEL_BLUE; l <= LEVEL_RED; l++) {
        double t = spec->threshold[l];
        if (isnan(t))
            continue;
        if (prev) {
            double p = spec->threshold[prev];
            int ok = spec->direction == DIR_ABOVE ? t > p : t < p;
            if (!ok) {
                *lo = prev;
                *hi = l;
                return 0;
            }
        }
        prev = l;
    }
    return 1;
}

static int any_threshold(const RuleSpec *spec)
{
    for (int l = LEVEL_BLUE; l <= LEVEL_RED; l++)
        if (!isnan(spec->threshold[l]))
            return 1;
    return 0;
}

static int refuse_monotonic(const RuleSpec *spec, int lo, int hi, char *msg, char *msg_en)
{
    int above = spec->direction == DIR_ABOVE;
    double tl = spec->threshold[lo], th = spec->threshold[hi];
    if (msg)
        snprintf(msg, RULES_MSG_MAX, "阈值须随级别%s（%s阈值预警）：%s %g 不%s%s %g",
                 above ? "递增" : "递减", above ? "高于" : "低于", level_labels_zh[hi], th,
                 above ? "高于" : "低于", level_labels_zh[lo], tl);
    if (msg_en)
        snprintf(msg_en, RULES_MSG_MAX,
                 "thresholds must %s with the level (direction %s): %s %g is not %s %s %g",
                 above ? "rise" : "fall", above ? "above" : "below", level_names[hi], th,
                 above ? "above" : "below", level_names[lo], tl);
    return -1;
}

/* COMBO rules take their level from their members: they need no thresholds and no window. */
int rule_spec_check(const RuleSpec *spec, char *msg, char *msg_en)
{
    int lo = 0, hi = 0;
    if ((int)spec->kind < RULE_THRESHOLD || (int)spec->kind > RULE_COMBO)
        return refuse(msg, msg_en, "规则类型未知", "unknown rule kind");
    if (spec->direction != DIR_ABOVE && spec->direction != DIR_BELOW)
        return refuse(msg, msg_en, "预警方向未知", "unknown rule direction");
    if ((spec->kind == RULE_RATE || spec->kind == RULE_SUM) && spec->window_ms <= 0)
        return refuse(msg, msg_en, "变化率和累计规则须设时间窗口（大于 0）",
                      "rate and sum rules need a window (> 0 ms)");
    if (spec->kind != RULE_COMBO && !any_threshold(spec))
        return refuse(msg, msg_en, "至少须设一个级别的阈值",
                      "at least one level needs a threshold");
    if (!thresholds_monotonic(spec, &lo, &hi))
        return refuse_monotonic(spec, lo, hi, msg, msg_en);
    if (!(spec->hysteresis >= 0)) /* also refuses NAN */
        return refuse(msg, msg_en, "回差不能为负", "hysteresis must not be negative");
    if (spec->hold_ms < 0)
        return refuse(msg, msg_en, "最短保持时间不能为负", "hold time must not be negative");
    return 0;
}

/* ---- sample window ---------------------------------------------------------------------- */

/* Index of the first sample with ts >= t (w->n when none). */
static int first_at_or_after(const SampleWindow *w, int64_t t)
{
    int lo = 0, hi = w->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (w->v[mid].ts_ms < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first sample with ts > t (w->n when none). */
static int first_after(const SampleWindow *w, int64_t t)
{
    int lo = 0, hi = w->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (w->v[mid].ts_ms <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Moves the live samples (and their running sums, rebased to 0) to the arrays' start. */
static void window_compact(SampleWindow *w)
{
    Sample *v = w->v - w->off;
    long double *cum = w->cum - w->off;
    memmove(v, w->v, (size_t)w->n * sizeof *v);
    for (int i = 0; i < w->cum_ok; i++)
        cum[i] = w->cum[i] - w->cum0;
    w->v = v;
    w->cum = cum;
    w->cum0 = 0;
    w->off = 0;
}

/* Room for one more sample at the end: compacts, or doubles the arrays when they are full. */
static void window_grow(SampleWindow *w)
{
    if (w->off > 0) {
        window_compact(w);
        return;
    }
    if (w->cap > INT_MAX / 2) {
        fprintf(stderr, "yingji: sample window too large (%d samples)\n", w->n);
        abort();
    }
    int cap = w->cap ? w->cap * 2 : WINDOW_MIN_CAP;
    Sample *v = realloc(w->v, (size_t)cap * sizeof *v);
    long double *cum = v ? realloc(w->cum, (size_t)cap * sizeof *cum) : NULL;
    if (!v || !cum) {
        fprintf(stderr, "yingji: out of memory (%zu bytes)\n", (size_t)cap * sizeof *v);
        abort();
    }
    w->v = v;
    w->cum = cum;
    w->cap = cap;
}

int window_insert(SampleWindow *w, Sample s)
{
    int pos = first_at_or_after(w, s.ts_ms);
    if (pos < w->n && w->v[pos].ts_ms == s.ts_ms)
        return 0;
    if (w->off + w->n == w->cap)
        window_grow(w);
    memmove(&w->v[pos + 1], &w->v[pos], (size_t)(w->n - pos) * sizeof *w->v);
    w->v[pos] = s;
    w->n++;
    if (pos == w->n - 1 && w->cum_ok == pos) { /* an append to current sums */
        w->cum[pos] = (pos ? w->cum[pos - 1] : w->cum0) + s.value;
        w->cum_ok = w->n;
    } else if (w->cum_ok > pos) {
        w->cum_ok = pos;
    }
    return 1;
}

void window_trim(SampleWindow *w, int64_t keep_from_ms)
{
    if (w->n == 0)
        return;
    int drop = first_at_or_after(w, keep_from_ms);
    if (drop > w->n - 1)
        drop = w->n - 1; /* the latest sample always stays */
    if (drop == 0)
        return;
    if (w->cum_ok >= drop) {
        w->cum0 = w->cum[drop - 1];
        w->cum_ok -= drop;
    } else {
        w->cum0 = 0;
        w->cum_ok = 0;
    }
    w->v += drop;
    w->cum += drop;
    w->off += drop;
    w->n -= drop;
    if (w->off > w->n)
        window_compact(w);
}

/* Brings the running sums up to date. */
static void window_settle(SampleWindow *w)
{
    for (int i = w->cum_ok; i < w->n; i++)
        w->cum[i] = (i ? w->cum[i - 1] : w->cum0) + w->v[i].value;
    w->cum_ok = w->n;
}

void window_free(SampleWindow *w)
{
    free(w->v ? w->v - w->off : NULL);
    free(w->cum ? w->cum - w->off : NULL);
    *w = (SampleWindow){0};
}

const Sample *window_latest(const SampleWindow *w)
{
    return w->n > 0 ? &w->v[w->n - 1] : NULL;
}

/* ---- metrics ---------------------------------------------------------------------------- */

/* now - window, saturating at INT64_MIN instead of overflowing. */
static int64_t window_start(int64_t now_ms, int64_t window_ms)
{
    int64_t start;
    if (__builtin_sub_overflow(now_ms, window_ms, &start))
        return window_ms > 0 ? INT64_MIN : INT64_MAX;
    return start;
}

/* Latest value minus the value of the oldest sample with ts >= now - window; 0 when that
 * oldest sample is the latest itself (fewer than two samples in the window). */
static int rate_metric(const RuleSpec *spec, const SampleWindow *w, int64_t now_ms, double *metric)
{
    int first = first_at_or_after(w, window_start(now_ms, spec->window_ms));
    if (first >= w->n - 1)
        return 0;
    *metric = w->v[w->n - 1].value - w->v[first].value;
    return 1;
}

/* Sum over now - window < ts <= now; 0.0 (a metric) when no sample falls in the window. */
static int sum_metric(const RuleSpec *spec, SampleWindow *w, int64_t now_ms, double *metric)
{
    window_settle(w);
    int from = first_after(w, window_start(now_ms, spec->window_ms));
    int to = first_after(w, now_ms);
    long double sum = to > from ? w->cum[to - 1] - (from ? w->cum[from - 1] : w->cum0) : 0;
    *metric = fabsl(sum) < 1e6L ? (double)(roundl(sum * 1e9L) / 1e9L) : (double)sum;
    return 1;
}

/* NODATA and COMBO have no metric here (the engine and combo_level compute theirs). */
int rule_metric(const RuleSpec *spec, SampleWindow *w, int64_t now_ms, double *metric)
{
    if (w->n == 0)
        return 0;
    switch (spec->kind) {
    case RULE_THRESHOLD:
        *metric = w->v[w->n - 1].value;
        return 1;
    case RULE_RATE:
        return rate_metric(spec, w, now_ms, metric);
    case RULE_SUM:
        return sum_metric(spec, w, now_ms, metric);
    default:
        return 0;
    }
}

/* ---- levels ----------------------------------------------------------------------------- */

/* The highest level whose threshold the metric reaches; NAN thresholds (and a NAN metric)
 * reach nothing. */
WarnLevel rule_raw_level(const RuleSpec *spec, double metric)
{
    for (int l = LEVEL_RED; l >= LEVEL_BLUE; l--) {
        double t = spec->threshold[l];
        if (isnan(t))
            continue;
        if (spec->direction == DIR_ABOVE ? metric >= t : metric <= t)
            return (WarnLevel)l;
    }
    return LEVEL_NONE;
}

/* Going down, a level up to `current` is kept while the metric shifted by the hysteresis
 * towards danger still reaches it: for DIR_ABOVE the level with threshold t is left only when
 * metric < t - hysteresis (metric > t + hysteresis for DIR_BELOW). */
WarnLevel rule_level_with_hysteresis(const RuleSpec *spec, double metric, WarnLevel current)
{
    WarnLevel raw = rule_raw_level(spec, metric);
    if (raw >= current)
        return raw;
    double shifted =
        spec->direction == DIR_ABOVE ? metric + spec->hysteresis : metric - spec->hysteresis;
    WarnLevel kept = rule_raw_level(spec, shifted);
    if (kept > current)
        kept = current;
    return kept > raw ? kept : raw;
}

WarnLevel combo_level(const WarnLevel *levels, int n)
{
    if (n <= 0)
        return LEVEL_NONE;
    WarnLevel lowest = levels[0];
    for (int i = 1; i < n; i++)
        if (levels[i] < lowest)
            lowest = levels[i];
    return lowest;
}

/* ---- hold ------------------------------------------------------------------------------- */

/* Time bookkeeping in RuleState, which has no field of its own for "the newest now seen":
 *   - while a run of lower candidates is in progress (pending < level), pending_since_ms is
 *     the event time the run began;
 *   - otherwise (pending == level) pending_since_ms is the newest event time evaluated, so
 *     it is updated by every evaluation that starts no run.
 * An evaluation's now is raised to max(level_since_ms, pending_since_ms): nothing moves back
 * before a time already recorded. During a run, evaluations newer than its start are not
 * recorded, so an older now that still lies after the run's start is used as it is: it
 * cannot complete the hold sooner than the newer evaluation would have (but if it ends the
 * run, a later run may be dated from that older now rather than the newest one). A state
 * restored with pending == level and pending_since_ms = level_since_ms is consistent. */
static int64_t step_now(const RuleState *st, int64_t now_ms)
{
    int64_t seen =
        st->level_since_ms > st->pending_since_ms ? st->level_since_ms : st->pending_since_ms;
    return now_ms > seen ? now_ms : seen;
}

/* now - since for now >= since, without signed overflow. */
static uint64_t elapsed_ms(int64_t since, int64_t now)
{
    return (uint64_t)now - (uint64_t)since;
}

static int apply_level(RuleState *st, WarnLevel to, int64_t now, RuleChange *change)
{
    if (change) {
        change->from = st->level;
        change->to = to;
    }
    st->level = to;
    st->level_since_ms = now;
    st->pending = to;
    st->pending_since_ms = now;
    return 1;
}

int rule_step(const RuleSpec *spec, RuleState *st, WarnLevel candidate, int64_t now_ms,
              RuleChange *change)
{
    int64_t now = step_now(st, now_ms);
    if (candidate > st->level)
        return apply_level(st, candidate, now, change);
    if (candidate == st->level) {
        st->pending = st->level;
        st->pending_since_ms = now;
        return 0;
    }
    if (!(st->pending < st->level)) /* no run in progress: this evaluation starts one */
        st->pending_since_ms = now;
    st->pending = candidate;
    if (spec->hold_ms <= 0 || elapsed_ms(st->pending_since_ms, now) >= (uint64_t)spec->hold_ms)
        return apply_level(st, candidate, now, change);
    return 0;
}
