/* modules/monitoring/rules — the arithmetic of early-warning rules (预警规则), free of storage.
 *
 * A rule turns the recent readings of one sensor into a graded level: none, 蓝 (IV, blue),
 * 黄 (III, yellow), 橙 (II, orange), 红 (I, red). This file owns only the arithmetic; the
 * engine (engine.c) keeps one SampleWindow per sensor and one RuleState per (rule, sensor),
 * persists the changes and raises the warnings.
 *
 * Times are Unix milliseconds of the readings (event time), never the wall clock, so a
 * replayed series gives the same answer. Kinds and their metric at event time `now`:
 *   RULE_THRESHOLD  the value of the latest sample (the one with the greatest ts);
 *   RULE_RATE       latest value minus the value of the oldest sample with
 *                   ts >= now - window (a change over the window, in the value's unit);
 *                   no metric while the window holds fewer than two samples;
 *   RULE_SUM        the sum of the samples with now - window < ts <= now (rainfall 1 h /
 *                   3 h / 24 h cumulative: the lower edge is excluded, the upper included),
 *                   rounded to 1e-9 so that decimal readings (0.1 + 0.2 …) reach a decimal
 *                   threshold exactly as the hand-computed sum does;
 *   RULE_NODATA     seconds of silence, now - latest ts, evaluated against the wall clock by
 *                   the engine (掉线); thresholds are silences in seconds;
 *   RULE_COMBO      the lowest of its member rules' current levels at the same point (all
 *                   members must be at a level for the combination to be at one; e.g.
 *                   rainfall AND displacement), computed by combo_level().
 * Levels from a metric: DIR_ABOVE — the highest level whose threshold the metric reaches
 * (metric >= threshold: "以上" includes the number); DIR_BELOW — the highest level whose
 * threshold the metric reaches from above (metric <= threshold). A NAN threshold means the
 * rule has no such level. Thresholds must be monotonic in the level (checked by
 * rule_spec_check).
 *
 * Hysteresis (回差) and hold time (最短保持): escalation applies at once — a rising danger is
 * never delayed. Going down is damped twice: a level is only left when the metric has moved
 * past its threshold by `hysteresis` (in the safe direction), and the lower level must then
 * have held, on every evaluation, for `hold_ms` before it applies (hold_ms = 0: at once).
 * The level applied after the hold is the candidate of the evaluation that completes it.
 *
 * Ownership: SampleWindow owns its array (window_free); everything else is plain values. */
#ifndef YJ_MONITORING_RULES_H
#define YJ_MONITORING_RULES_H

#include <stdint.h>

typedef enum {
    LEVEL_NONE = 0,
    LEVEL_BLUE = 1,   /* 蓝色 IV 级 */
    LEVEL_YELLOW = 2, /* 黄色 III 级 */
    LEVEL_ORANGE = 3, /* 橙色 II 级 */
    LEVEL_RED = 4,    /* 红色 I 级 */
} WarnLevel;

const char *warn_level_name(WarnLevel l);      /* "none", "blue", "yellow", "orange", "red" */
const char *warn_level_label_zh(WarnLevel l);  /* "无", "蓝色", "黄色", "橙色", "红色" */
const char *warn_level_roman(WarnLevel l);     /* "", "IV", "III", "II", "I" */
WarnLevel warn_level_from_name(const char *s); /* unknown or NULL -> LEVEL_NONE */

typedef enum { RULE_THRESHOLD, RULE_RATE, RULE_SUM, RULE_NODATA, RULE_COMBO } RuleKind;
typedef enum { DIR_ABOVE, DIR_BELOW } RuleDirection;

const char *rule_kind_name(RuleKind k); /* "threshold", "rate", "sum", "nodata", "combo" */
int rule_kind_from_name(const char *s, RuleKind *out); /* 0 or -1 */

typedef struct RuleSpec {
    int64_t id;
    RuleKind kind;
    RuleDirection direction;
    int64_t window_ms;   /* RULE_RATE, RULE_SUM: window length (> 0); others: unused */
    double threshold[5]; /* [LEVEL_BLUE..LEVEL_RED]; [0] unused; NAN = level not used */
    double hysteresis;   /* >= 0, in the metric's unit */
    int64_t hold_ms;     /* >= 0 */
} RuleSpec;

/* 0 when the spec is usable; -1 with a Chinese reason in msg (and English in msg_en):
 * no threshold at all (except COMBO, whose level comes from its members), thresholds not
 * monotonic for the direction, negative hysteresis or hold, missing window for RATE/SUM.
 * msg buffers >= 160 bytes. */
int rule_spec_check(const RuleSpec *spec, char *msg, char *msg_en);

typedef struct Sample {
    int64_t ts_ms;
    double value;
} Sample;

/* Recent samples of one sensor, sorted by ts ascending, no two with the same ts. cum[i] is
 * the sum of v[0..i] (extended precision) for i < cum_ok, brought up to date lazily by the
 * next window sum, so a sum costs two binary searches whatever the window's length: appends
 * keep it current in O(1); a late sample or a trim invalidates it from there on.
 * Zero-initialise ({0}) before use. */
typedef struct SampleWindow {
    Sample *v;        /* the n live samples; the arrays start off entries before v and cum */
    long double *cum; /* cum[i] = cum0 + v[0].value + … + v[i].value, for i < cum_ok */
    int n, cap, off;  /* cap counts from the arrays' start; trimmed samples leave off behind */
    int cum_ok;
    long double cum0; /* the running sum before v[0] */
} SampleWindow;

/* Inserts in ts order (late samples go to their place). Returns 1 when inserted, 0 when a
 * sample with the same ts is already there (a duplicate: the first value is kept). */
int window_insert(SampleWindow *w, Sample s);
/* Drops samples with ts < keep_from_ms, but always keeps the latest one. O(1) amortised: the
 * live samples move to the arrays' start only once the dropped ones outnumber them. */
void window_trim(SampleWindow *w, int64_t keep_from_ms);
void window_free(SampleWindow *w);
/* Latest sample or NULL when empty. */
const Sample *window_latest(const SampleWindow *w);

/* The metric of a THRESHOLD, RATE or SUM rule at event time now (see above). Returns 1 with
 * *metric set, 0 when the rule has no metric yet (empty window; RATE with < 2 samples). */
int rule_metric(const RuleSpec *spec, SampleWindow *w, int64_t now_ms, double *metric);

/* Level of a metric without hysteresis. */
WarnLevel rule_raw_level(const RuleSpec *spec, double metric);
/* Level of a metric given the current level, with hysteresis applied to going down. */
WarnLevel rule_level_with_hysteresis(const RuleSpec *spec, double metric, WarnLevel current);

/* The lowest of n levels (LEVEL_NONE when n == 0 or any is NONE). */
WarnLevel combo_level(const WarnLevel *levels, int n);

typedef struct RuleState {
    WarnLevel level;          /* applied level */
    int64_t level_since_ms;   /* event time it was applied */
    WarnLevel pending;        /* lower candidate waiting for its hold, or level when none */
    int64_t pending_since_ms; /* event time the current run of lower candidates began */
} RuleState;

typedef struct RuleChange {
    WarnLevel from, to;
} RuleChange;

/* One evaluation: applies a candidate level (from rule_level_with_hysteresis, combo_level
 * or a no-data silence) at event time now under the hold rule above. Returns 1 and fills
 * *change when the applied level changed, else 0. Evaluations must come with
 * non-decreasing now for a state; an older now is treated as equal to the newest seen. */
int rule_step(const RuleSpec *spec, RuleState *st, WarnLevel candidate, int64_t now_ms,
              RuleChange *change);

#endif
