/* tests/unit/test_monitor_rules — the arithmetic of early-warning rules (modules/monitoring/
 * rules): level names, thresholds on both sides for both directions, SUM and RATE windows at
 * their edges (1 h / 3 h / 24 h rainfall), the sample window, hysteresis, hold time,
 * out-of-order evaluations, combinations and the spec check. Every expected number is worked
 * out by hand in the comments. Needs no database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/monitoring/rules.h"

#include <math.h>

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
/* 2026-11-23T10:00:00Z: a realistic event time, so no arithmetic hides near zero. */
#define T0 1795428000000LL

#define assert_metric(got, want)                                                                   \
    do {                                                                                           \
        double got_ = (got), want_ = (want);                                                       \
        if (!(fabs(got_ - want_) <= 1e-9)) {                                                       \
            print_error("%s:%d: metric %.12g, expected %.12g\n", __FILE__, __LINE__, got_, want_); \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- helpers ---------------------------------------------------------------------------- */

static RuleSpec spec_of(RuleKind kind, RuleDirection dir, double blue, double yellow, double orange,
                        double red)
{
    RuleSpec s = {.id = 1, .kind = kind, .direction = dir};
    s.threshold[0] = NAN;
    s.threshold[LEVEL_BLUE] = blue;
    s.threshold[LEVEL_YELLOW] = yellow;
    s.threshold[LEVEL_ORANGE] = orange;
    s.threshold[LEVEL_RED] = red;
    return s;
}

static void insert(SampleWindow *w, int64_t ts, double value)
{
    assert_int_equal(window_insert(w, (Sample){ts, value}), 1);
}

static double metric_at(const RuleSpec *spec, SampleWindow *w, int64_t now)
{
    double m = NAN;
    assert_int_equal(rule_metric(spec, w, now, &m), 1);
    return m;
}

/* What the engine does per reading: metric -> level with hysteresis -> hold. Returns 1 on a
 * level change (filled into *change). */
static int evaluate(const RuleSpec *spec, SampleWindow *w, RuleState *st, int64_t now,
                    RuleChange *change)
{
    double m;
    if (!rule_metric(spec, w, now, &m))
        return 0;
    WarnLevel cand = rule_level_with_hysteresis(spec, m, st->level);
    return rule_step(spec, st, cand, now, change);
}

/* ---- names ------------------------------------------------------------------------------ */

static void test_level_names(void **state)
{
    (void)state;
    static const struct {
        WarnLevel level;
        const char *name, *zh, *roman;
    } want[] = {
        {LEVEL_NONE, "none", "无", ""},          {LEVEL_BLUE, "blue", "蓝色", "IV"},
        {LEVEL_YELLOW, "yellow", "黄色", "III"}, {LEVEL_ORANGE, "orange", "橙色", "II"},
        {LEVEL_RED, "red", "红色", "I"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_string_equal(warn_level_name(want[i].level), want[i].name);
        assert_string_equal(warn_level_label_zh(want[i].level), want[i].zh);
        assert_string_equal(warn_level_roman(want[i].level), want[i].roman);
        assert_int_equal(warn_level_from_name(want[i].name), want[i].level);
    }
    assert_int_equal(warn_level_from_name(NULL), LEVEL_NONE);
    assert_int_equal(warn_level_from_name("purple"), LEVEL_NONE);
    assert_int_equal(warn_level_from_name(""), LEVEL_NONE);
    assert_int_equal(warn_level_from_name("红色"), LEVEL_NONE); /* names, not labels */
}

static void test_kind_names(void **state)
{
    (void)state;
    static const struct {
        RuleKind kind;
        const char *name;
    } want[] = {{RULE_THRESHOLD, "threshold"},
                {RULE_RATE, "rate"},
                {RULE_SUM, "sum"},
                {RULE_NODATA, "nodata"},
                {RULE_COMBO, "combo"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        RuleKind k = RULE_COMBO + 1;
        assert_string_equal(rule_kind_name(want[i].kind), want[i].name);
        assert_int_equal(rule_kind_from_name(want[i].name, &k), 0);
        assert_int_equal(k, want[i].kind);
    }
    RuleKind k = RULE_SUM;
    assert_int_equal(rule_kind_from_name("average", &k), -1);
    assert_int_equal(rule_kind_from_name(NULL, &k), -1);
    assert_int_equal(k, RULE_SUM); /* untouched on failure */
}

/* ---- thresholds ------------------------------------------------------------------------- */

/* Water level, warning above: blue 10, yellow 20, orange 30, red 40. "以上" includes the
 * number, so each threshold itself already is its level. */
static void test_threshold_above_both_sides(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 20, 30, 40);
    static const struct {
        double metric;
        WarnLevel level;
    } cases[] = {
        {-5, LEVEL_NONE},       {9.999, LEVEL_NONE},    {10, LEVEL_BLUE},
        {10.001, LEVEL_BLUE},   {19.999, LEVEL_BLUE},   {20, LEVEL_YELLOW},
        {20.001, LEVEL_YELLOW}, {29.999, LEVEL_YELLOW}, {30, LEVEL_ORANGE},
        {30.001, LEVEL_ORANGE}, {39.999, LEVEL_ORANGE}, {40, LEVEL_RED},
        {40.001, LEVEL_RED},    {1e9, LEVEL_RED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("metric %g\n", cases[i].metric);
        assert_int_equal(rule_raw_level(&s, cases[i].metric), cases[i].level);
    }
}

/* Dry beach length (干滩长度), warning below: blue 100, yellow 80, orange 60, red 40 m. */
static void test_threshold_below_both_sides(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_BELOW, 100, 80, 60, 40);
    static const struct {
        double metric;
        WarnLevel level;
    } cases[] = {
        {500, LEVEL_NONE},      {100.001, LEVEL_NONE},  {100, LEVEL_BLUE},
        {99.999, LEVEL_BLUE},   {80.001, LEVEL_BLUE},   {80, LEVEL_YELLOW},
        {79.999, LEVEL_YELLOW}, {60.001, LEVEL_YELLOW}, {60, LEVEL_ORANGE},
        {59.999, LEVEL_ORANGE}, {40.001, LEVEL_ORANGE}, {40, LEVEL_RED},
        {39.999, LEVEL_RED},    {-3, LEVEL_RED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("metric %g\n", cases[i].metric);
        assert_int_equal(rule_raw_level(&s, cases[i].metric), cases[i].level);
    }
}

/* Only yellow 50 and red 80: between them the level is yellow — never the unused orange —
 * and below 50 there is no blue to fall to. A NAN metric reaches nothing. */
static void test_threshold_unused_levels(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, NAN, 50, NAN, 80);
    char msg[160], msg_en[160];
    assert_int_equal(rule_spec_check(&s, msg, msg_en), 0);
    assert_int_equal(rule_raw_level(&s, 0), LEVEL_NONE);
    assert_int_equal(rule_raw_level(&s, 49.9), LEVEL_NONE);
    assert_int_equal(rule_raw_level(&s, 50), LEVEL_YELLOW);
    assert_int_equal(rule_raw_level(&s, 79.9), LEVEL_YELLOW);
    assert_int_equal(rule_raw_level(&s, 80), LEVEL_RED);
    assert_int_equal(rule_raw_level(&s, NAN), LEVEL_NONE);

    RuleSpec b = spec_of(RULE_THRESHOLD, DIR_BELOW, NAN, NAN, 5, NAN); /* orange only, below */
    assert_int_equal(rule_raw_level(&b, 5.1), LEVEL_NONE);
    assert_int_equal(rule_raw_level(&b, 5), LEVEL_ORANGE);
    assert_int_equal(rule_raw_level(&b, -100), LEVEL_ORANGE);
}

/* THRESHOLD's metric is the value with the greatest ts — not the largest value, not the
 * last inserted. */
static void test_threshold_metric_is_latest_sample(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 20, 30, 40);
    SampleWindow w = {0};
    double m = -1;
    assert_int_equal(rule_metric(&s, &w, T0, &m), 0); /* empty: no metric */
    insert(&w, T0, 45);
    insert(&w, T0 + MIN_MS, 25);
    assert_metric(metric_at(&s, &w, T0 + MIN_MS), 25); /* 25, although 45 is larger */
    insert(&w, T0 + MIN_MS / 2, 100);                  /* a late reading, in the middle */
    assert_metric(metric_at(&s, &w, T0 + MIN_MS), 25); /* still the one at T0 + 1 min */
    assert_int_equal(rule_raw_level(&s, 25), LEVEL_YELLOW);
    window_free(&w);
}

/* ---- SUM -------------------------------------------------------------------------------- */

/* 1 h window at now = T0: the sum covers T0 - 3 600 000 < ts <= T0. */
static void test_sum_window_edges(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_SUM, DIR_ABOVE, 20, 30, 50, 70);
    s.window_ms = HOUR_MS;
    SampleWindow w = {0};
    double m = -1;
    assert_int_equal(rule_metric(&s, &w, T0, &m), 0); /* empty window: no metric */

    insert(&w, T0 - HOUR_MS, 1);     /* exactly at now - window: excluded */
    insert(&w, T0 - HOUR_MS + 1, 2); /* 1 ms inside: included */
    insert(&w, T0, 4);               /* exactly now: included */
    insert(&w, T0 + 1, 8);           /* after now: excluded */
    /* 2 + 4 = 6 */
    assert_metric(metric_at(&s, &w, T0), 6);

    /* One millisecond later the 2 sits at the edge and the 8 at now: 4 + 8 = 12. */
    assert_metric(metric_at(&s, &w, T0 + 1), 12);

    /* One millisecond earlier the 1 is 1 ms inside and the 4 is after now: 1 + 2 = 3. */
    assert_metric(metric_at(&s, &w, T0 - 1), 3);

    /* Two hours on, nothing is in the window: no rain is a metric of 0, not "no metric". */
    assert_metric(metric_at(&s, &w, T0 + 2 * HOUR_MS), 0);
    assert_int_equal(rule_raw_level(&s, 0), LEVEL_NONE);
    window_free(&w);
}

/* 24 h of 5-minute rainfall, readings k = 0 … 288 at T0 + k·5 min, evaluated at
 * now = T0 + 288·5 min = T0 + 24 h:
 *   k = 0            100 mm  (exactly at now - 24 h: outside every window)
 *   k = 1 … 252      0.5 mm  (252 readings, the first 21 h)
 *   k = 253 … 276    1 mm    (24 readings, hours 21–23)
 *   k = 277 … 288    6 mm    (12 readings, the last hour)
 * 1 h  window: k in (276, 288] = 12 × 6                     = 72 mm
 * 3 h  window: k in (252, 288] = 24 × 1 + 72                = 96 mm
 * 24 h window: k in (0, 288]   = 252 × 0.5 + 24 + 72 = 126 + 96 = 222 mm
 *   (with the edge reading wrongly counted it would be 322 mm: red instead of orange)
 * Thresholds (blue/yellow/orange/red): 1 h 20/30/50/70, 3 h 30/50/80/100,
 * 24 h 50/100/150/250 → 72 ≥ 70 red, 80 ≤ 96 < 100 orange, 150 ≤ 222 < 250 orange. */
static void test_sum_rainfall_1h_3h_24h(void **state)
{
    (void)state;
    RuleSpec h1 = spec_of(RULE_SUM, DIR_ABOVE, 20, 30, 50, 70);
    RuleSpec h3 = spec_of(RULE_SUM, DIR_ABOVE, 30, 50, 80, 100);
    RuleSpec h24 = spec_of(RULE_SUM, DIR_ABOVE, 50, 100, 150, 250);
    h1.window_ms = HOUR_MS;
    h3.window_ms = 3 * HOUR_MS;
    h24.window_ms = 24 * HOUR_MS;
    const int64_t step = 5 * MIN_MS;

    SampleWindow w = {0};
    for (int k = 288; k >= 0; k--) { /* inserted backwards: every one is a late sample */
        double v = k == 0 ? 100 : k <= 252 ? 0.5 : k <= 276 ? 1 : 6;
        insert(&w, T0 + k * step, v);
    }
    assert_int_equal(w.n, 289);
    const int64_t now = T0 + 288 * step;
    assert_int_equal(now, T0 + 24 * HOUR_MS);

    assert_metric(metric_at(&h1, &w, now), 72);
    assert_metric(metric_at(&h3, &w, now), 96);
    assert_metric(metric_at(&h24, &w, now), 222);
    assert_int_equal(rule_raw_level(&h1, 72), LEVEL_RED);
    assert_int_equal(rule_raw_level(&h3, 96), LEVEL_ORANGE);
    assert_int_equal(rule_raw_level(&h24, 222), LEVEL_ORANGE);

    /* Half an hour earlier, now = T0 + 282·5 min; the readings k = 283 … 288 lie after now.
     * 1 h: k in (270, 282] = 271…276 at 1 mm + 277…282 at 6 mm = 6 + 36 = 42 → yellow
     * (30 ≤ 42 < 50). */
    assert_metric(metric_at(&h1, &w, T0 + 282 * step), 42);
    assert_int_equal(rule_raw_level(&h1, 42), LEVEL_YELLOW);
    window_free(&w);
}

/* ---- RATE ------------------------------------------------------------------------------- */

/* GNSS displacement over 1 h: readings T0 10 mm, +20 min 12, +40 min 15, +60 min 19. */
static void test_rate_over_window(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_RATE, DIR_ABOVE, 2, 5, 8, 12);
    s.window_ms = HOUR_MS;
    SampleWindow w = {0};
    double m = -1;
    assert_int_equal(rule_metric(&s, &w, T0, &m), 0); /* empty */
    insert(&w, T0, 10);
    assert_int_equal(rule_metric(&s, &w, T0, &m), 0); /* one sample: no change yet */
    insert(&w, T0 + 20 * MIN_MS, 12);
    insert(&w, T0 + 40 * MIN_MS, 15);
    insert(&w, T0 + 60 * MIN_MS, 19);

    /* now = T0 + 60 min: the oldest sample with ts >= now - 1 h = T0 is the one exactly at
     * the edge (included): 19 - 10 = 9 → orange (8 ≤ 9 < 12). */
    assert_metric(metric_at(&s, &w, T0 + HOUR_MS), 9);
    assert_int_equal(rule_raw_level(&s, 9), LEVEL_ORANGE);
    /* 1 ms later T0 is out; the oldest is T0 + 20 min: 19 - 12 = 7 → yellow. */
    assert_metric(metric_at(&s, &w, T0 + HOUR_MS + 1), 7);
    /* At T0 + 119 min only T0 + 60 min is in [T0 + 59 min, …]: it is the latest itself, so
     * fewer than two samples: no metric. */
    assert_int_equal(rule_metric(&s, &w, T0 + 119 * MIN_MS, &m), 0);
    /* At T0 + 100 min: [T0 + 40 min, …] holds 15 and 19: 19 - 15 = 4 → blue. */
    assert_metric(metric_at(&s, &w, T0 + 100 * MIN_MS), 4);
    assert_int_equal(rule_raw_level(&s, 4), LEVEL_BLUE);
    window_free(&w);
}

/* A falling water level, warning below: rates -1/-2/-3/-5 m per hour. */
static void test_rate_falling(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_RATE, DIR_BELOW, -1, -2, -3, -5);
    s.window_ms = HOUR_MS;
    SampleWindow w = {0};
    insert(&w, T0, 12.5);
    insert(&w, T0 + 30 * MIN_MS, 11);
    insert(&w, T0 + HOUR_MS, 9.5);
    /* 9.5 - 12.5 = -3 → orange (-5 < -3 ≤ -3). */
    assert_metric(metric_at(&s, &w, T0 + HOUR_MS), -3);
    assert_int_equal(rule_raw_level(&s, -3), LEVEL_ORANGE);
    window_free(&w);
}

/* NODATA and COMBO have no metric from a window. */
static void test_metric_other_kinds(void **state)
{
    (void)state;
    SampleWindow w = {0};
    insert(&w, T0, 1);
    double m = -1;
    RuleSpec nodata = spec_of(RULE_NODATA, DIR_ABOVE, 600, 1800, NAN, NAN);
    RuleSpec combo = spec_of(RULE_COMBO, DIR_ABOVE, NAN, NAN, NAN, NAN);
    assert_int_equal(rule_metric(&nodata, &w, T0, &m), 0);
    assert_int_equal(rule_metric(&combo, &w, T0, &m), 0);
    window_free(&w);
}

/* ---- sample window ---------------------------------------------------------------------- */

static void test_window_insert_order_and_duplicates(void **state)
{
    (void)state;
    SampleWindow w = {0};
    assert_null(window_latest(&w));
    static const int64_t order[] = {50, 10, 40, 20, 30, 60, 0};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        insert(&w, order[i], (double)order[i] / 10);
    assert_int_equal(w.n, 7);
    for (int i = 0; i < w.n; i++) {
        assert_int_equal(w.v[i].ts_ms, i * 10);
        assert_metric(w.v[i].value, i);
    }
    /* Duplicates (first, middle, last) are refused; the first value stays. */
    assert_int_equal(window_insert(&w, (Sample){0, 99}), 0);
    assert_int_equal(window_insert(&w, (Sample){30, 99}), 0);
    assert_int_equal(window_insert(&w, (Sample){60, 99}), 0);
    assert_int_equal(w.n, 7);
    assert_metric(w.v[0].value, 0);
    assert_metric(w.v[3].value, 3);
    assert_int_equal(window_latest(&w)->ts_ms, 60);
    assert_metric(window_latest(&w)->value, 6);
    window_free(&w);
    assert_int_equal(w.n, 0);
    assert_null(window_latest(&w));

    /* 1 000 samples in descending ts, then the odd ones again: sorted, 1 000, no duplicate. */
    for (int i = 999; i >= 0; i--)
        insert(&w, T0 + 2 * i, i);
    for (int i = 1; i < 1000; i += 2)
        assert_int_equal(window_insert(&w, (Sample){T0 + 2 * i, -1}), 0);
    assert_int_equal(w.n, 1000);
    for (int i = 1; i < w.n; i++)
        assert_true(w.v[i - 1].ts_ms < w.v[i].ts_ms);
    assert_metric(w.v[500].value, 500);
    window_free(&w);
}

static void test_window_trim(void **state)
{
    (void)state;
    SampleWindow w = {0};
    window_trim(&w, T0); /* empty: nothing to do */
    assert_int_equal(w.n, 0);
    insert(&w, 10, 1);
    insert(&w, 20, 2);
    insert(&w, 30, 3);
    insert(&w, 40, 4);
    window_trim(&w, 0); /* nothing older than 0 */
    assert_int_equal(w.n, 4);
    window_trim(&w, 30); /* drops ts < 30: 10 and 20; 30 itself stays */
    assert_int_equal(w.n, 2);
    assert_int_equal(w.v[0].ts_ms, 30);
    assert_int_equal(w.v[1].ts_ms, 40);
    window_trim(&w, 1000); /* everything is old: the latest (40) stays */
    assert_int_equal(w.n, 1);
    assert_int_equal(window_latest(&w)->ts_ms, 40);
    assert_metric(window_latest(&w)->value, 4);
    insert(&w, 35, 3.5); /* a late sample still goes before the latest */
    assert_int_equal(w.v[0].ts_ms, 35);
    window_free(&w);
}

/* ---- hysteresis ------------------------------------------------------------------------- */

/* Yellow 50, orange 60, hysteresis 2, no hold: 49.9, 50.1, 49.9, 50.1, …
 *   49.9 at none:   raw none                                  → none
 *   50.1 at none:   raw yellow, rising applies at once        → yellow (the one change)
 *   49.9 at yellow: raw none; 49.9 + 2 = 51.9 ≥ 50 → yellow kept
 * Then down: 48 + 2 = 50 ≥ 50 keeps yellow (exactly threshold - hysteresis is not past it);
 * 47.99 + 2 = 49.99 < 50 leaves it. */
static void test_hysteresis_flapping(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, NAN, 50, 60, NAN);
    s.hysteresis = 2;
    RuleState st = {0};
    RuleChange ch;
    static const double series[] = {49.9, 50.1, 49.9, 50.1, 49.9, 50.1, 49.9, 50.1};
    int changes = 0;
    for (int i = 0; i < 8; i++) {
        WarnLevel cand = rule_level_with_hysteresis(&s, series[i], st.level);
        changes += rule_step(&s, &st, cand, T0 + i * MIN_MS, &ch);
    }
    assert_int_equal(changes, 1);
    assert_int_equal(st.level, LEVEL_YELLOW);
    assert_int_equal(st.level_since_ms, T0 + MIN_MS); /* the first 50.1 */

    assert_int_equal(rule_level_with_hysteresis(&s, 48, LEVEL_YELLOW), LEVEL_YELLOW);
    assert_int_equal(rule_level_with_hysteresis(&s, 47.99, LEVEL_YELLOW), LEVEL_NONE);
    /* Rising is never damped: at none, 49.99 is none (hysteresis only holds a level). */
    assert_int_equal(rule_level_with_hysteresis(&s, 49.99, LEVEL_NONE), LEVEL_NONE);
    assert_int_equal(rule_level_with_hysteresis(&s, 60, LEVEL_YELLOW), LEVEL_ORANGE);
}

/* Blue 10, yellow 20, orange 30, red 40, hysteresis 2, current red:
 *   38    → 38 + 2 = 40 reaches red                         → red kept
 *   37.5  → raw orange; 39.5 reaches only orange            → orange
 *   29    → raw yellow; 31 reaches orange (≤ current red)   → orange, not yellow
 *   27.9  → raw yellow; 29.9 reaches yellow                 → yellow
 *   5     → raw none; 7 reaches nothing                     → none (all the way down)
 * At current yellow, 29 stays yellow. With a wide hysteresis of 15, 19 at current yellow
 * is raw blue and 19 + 15 = 34 would reach orange, but hysteresis only keeps a level, it
 * never lifts one above the current: yellow. */
static void test_hysteresis_several_levels(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 20, 30, 40);
    s.hysteresis = 2;
    assert_int_equal(rule_level_with_hysteresis(&s, 38, LEVEL_RED), LEVEL_RED);
    assert_int_equal(rule_level_with_hysteresis(&s, 37.5, LEVEL_RED), LEVEL_ORANGE);
    assert_int_equal(rule_level_with_hysteresis(&s, 29, LEVEL_RED), LEVEL_ORANGE);
    assert_int_equal(rule_level_with_hysteresis(&s, 27.9, LEVEL_RED), LEVEL_YELLOW);
    assert_int_equal(rule_level_with_hysteresis(&s, 5, LEVEL_RED), LEVEL_NONE);
    assert_int_equal(rule_level_with_hysteresis(&s, 29, LEVEL_YELLOW), LEVEL_YELLOW);
    s.hysteresis = 15;
    assert_int_equal(rule_level_with_hysteresis(&s, 19, LEVEL_YELLOW), LEVEL_YELLOW);
    s.hysteresis = 2;
    assert_int_equal(rule_level_with_hysteresis(&s, NAN, LEVEL_RED), LEVEL_NONE);
}

/* Below, yellow 80, hysteresis 5, current yellow: the safe direction is up, so yellow is
 * left only above 80 + 5 = 85: 84.9 - 5 = 79.9 ≤ 80 and 85 - 5 = 80 ≤ 80 keep it;
 * 85.01 - 5 = 80.01 > 80 leaves it. */
static void test_hysteresis_below(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_BELOW, NAN, 80, NAN, NAN);
    s.hysteresis = 5;
    assert_int_equal(rule_level_with_hysteresis(&s, 84.9, LEVEL_YELLOW), LEVEL_YELLOW);
    assert_int_equal(rule_level_with_hysteresis(&s, 85, LEVEL_YELLOW), LEVEL_YELLOW);
    assert_int_equal(rule_level_with_hysteresis(&s, 85.01, LEVEL_YELLOW), LEVEL_NONE);
    assert_int_equal(rule_level_with_hysteresis(&s, 80.5, LEVEL_NONE), LEVEL_NONE);
}

/* ---- hold ------------------------------------------------------------------------------- */

#define HOLD 600000 /* 10 min */

static RuleSpec hold_spec(int64_t hold)
{
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 20, 30, 40);
    s.hold_ms = hold;
    return s;
}

/* Yellow at T0; none from T0 + 1 s on. The run begins at T0 + 1 000:
 *   T0 + 1 000 + 599 999 → 599 999 ms held < 600 000: still yellow
 *   T0 + 1 000 + 600 000 → 600 000 ms held: none applies */
static void test_hold_exact(void **state)
{
    (void)state;
    RuleSpec s = hold_spec(HOLD);
    RuleState st = {0};
    RuleChange ch = {LEVEL_RED, LEVEL_RED};
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0, &ch), 1); /* rising: at once */
    assert_int_equal(ch.from, LEVEL_NONE);
    assert_int_equal(ch.to, LEVEL_YELLOW);

    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 1000, &ch), 0);
    assert_int_equal(st.pending, LEVEL_NONE);
    assert_int_equal(st.pending_since_ms, T0 + 1000);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 1000 + 599999, &ch), 0);
    assert_int_equal(st.level, LEVEL_YELLOW);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 1000 + 600000, &ch), 1);
    assert_int_equal(ch.from, LEVEL_YELLOW);
    assert_int_equal(ch.to, LEVEL_NONE);
    assert_int_equal(st.level, LEVEL_NONE);
    assert_int_equal(st.level_since_ms, T0 + 601000);
    assert_int_equal(st.pending, LEVEL_NONE);
}

/* Yellow; none at T0 and T0 + 5 min, yellow again at T0 + 6 min (the run is broken), none
 * from T0 + 8 min: the hold counts from T0 + 8 min, so at T0 + 10 min (10 min after the
 * first drop, only 2 min into the new run) nothing changes, at T0 + 17:59.999 still nothing,
 * at T0 + 18 min none applies. */
static void test_hold_interrupted_run_restarts(void **state)
{
    (void)state;
    RuleSpec s = hold_spec(HOLD);
    RuleState st = {0};
    RuleChange ch;
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 - MIN_MS, &ch), 1);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 5 * MIN_MS, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 + 6 * MIN_MS, &ch), 0);
    assert_int_equal(st.pending, LEVEL_YELLOW); /* no run in progress */
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 8 * MIN_MS, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 10 * MIN_MS, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 18 * MIN_MS - 1, &ch), 0);
    assert_int_equal(st.level, LEVEL_YELLOW);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 18 * MIN_MS, &ch), 1);
    assert_int_equal(st.level, LEVEL_NONE);
}

/* Orange; blue at T0 starts a run; red at T0 + 1 min applies at once (orange → red) and ends
 * the run; yellow from T0 + 2 min is a new run: T0 + 11:59.999 nothing, T0 + 12 min yellow. */
static void test_hold_escalation_during_pending(void **state)
{
    (void)state;
    RuleSpec s = hold_spec(HOLD);
    RuleState st = {0};
    RuleChange ch;
    assert_int_equal(rule_step(&s, &st, LEVEL_ORANGE, T0 - MIN_MS, &ch), 1);
    assert_int_equal(rule_step(&s, &st, LEVEL_BLUE, T0, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_RED, T0 + MIN_MS, &ch), 1);
    assert_int_equal(ch.from, LEVEL_ORANGE);
    assert_int_equal(ch.to, LEVEL_RED);
    assert_int_equal(st.level_since_ms, T0 + MIN_MS);
    assert_int_equal(st.pending, LEVEL_RED);
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 + 2 * MIN_MS, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 + 12 * MIN_MS - 1, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 + 12 * MIN_MS, &ch), 1);
    assert_int_equal(ch.from, LEVEL_RED);
    assert_int_equal(ch.to, LEVEL_YELLOW);
}

/* Red; blue at T0, orange at T0 + 5 min, yellow at T0 + 10 min: the run of lower candidates
 * lasted 10 min and the evaluation completing it says yellow, so yellow applies — neither
 * the first candidate (blue) nor the highest (orange). */
static void test_hold_applies_completing_candidate(void **state)
{
    (void)state;
    RuleSpec s = hold_spec(HOLD);
    RuleState st = {0};
    RuleChange ch;
    assert_int_equal(rule_step(&s, &st, LEVEL_RED, T0 - MIN_MS, &ch), 1);
    assert_int_equal(rule_step(&s, &st, LEVEL_BLUE, T0, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_ORANGE, T0 + 5 * MIN_MS, &ch), 0);
    assert_int_equal(st.pending, LEVEL_ORANGE);
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 + 10 * MIN_MS, &ch), 1);
    assert_int_equal(ch.from, LEVEL_RED);
    assert_int_equal(ch.to, LEVEL_YELLOW);
}

static void test_hold_zero_applies_at_once(void **state)
{
    (void)state;
    RuleSpec s = hold_spec(0);
    RuleState st = {0};
    RuleChange ch;
    assert_int_equal(rule_step(&s, &st, LEVEL_RED, T0, &ch), 1);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0, &ch), 1); /* same instant */
    assert_int_equal(ch.from, LEVEL_RED);
    assert_int_equal(ch.to, LEVEL_NONE);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 1, &ch), 0); /* no change: 0 */
}

/* ---- out-of-order input ----------------------------------------------------------------- */

/* Yellow applied at T0 + 10 min. A late evaluation at T0 saying none is taken as happening
 * at T0 + 10 min: the run begins there, not at T0, so at T0 + 19:59.999 yellow still holds
 * (had T0 been used, 10 min would have passed at T0 + 10 min already) and the drop applies
 * at T0 + 20 min. A late escalation is dated at the newest time seen, never before. */
static void test_out_of_order_does_not_move_back(void **state)
{
    (void)state;
    RuleSpec s = hold_spec(HOLD);
    RuleState st = {0};
    RuleChange ch;
    assert_int_equal(rule_step(&s, &st, LEVEL_YELLOW, T0 + 10 * MIN_MS, &ch), 1);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0, &ch), 0);
    assert_int_equal(st.level, LEVEL_YELLOW);
    assert_int_equal(st.level_since_ms, T0 + 10 * MIN_MS);
    assert_int_equal(st.pending_since_ms, T0 + 10 * MIN_MS);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 20 * MIN_MS - 1, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 20 * MIN_MS, &ch), 1);
    assert_int_equal(st.level_since_ms, T0 + 20 * MIN_MS);

    /* Evaluated at none up to T0 + 30 min; then a late red dated T0 + 25 min. */
    assert_int_equal(rule_step(&s, &st, LEVEL_NONE, T0 + 30 * MIN_MS, &ch), 0);
    assert_int_equal(rule_step(&s, &st, LEVEL_RED, T0 + 25 * MIN_MS, &ch), 1);
    assert_int_equal(st.level_since_ms, T0 + 30 * MIN_MS);
}

/* Through the whole chain: 1 h rainfall with yellow 30, hold 10 min. Readings at T0 (20 mm)
 * and T0 + 10 min (15 mm): at T0 + 10 min the sum is 20 + 15 = 35 → yellow. A late reading
 * dated T0 + 5 min (0 mm) is then evaluated at its own, older time: the window
 * (T0 - 55 min, T0 + 5 min] holds 20 + 0 = 20 → none. rule_step takes that older now as
 * T0 + 10 min, the newest it has seen: it only starts a run there, and yellow stays. */
static void test_out_of_order_late_sample(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_SUM, DIR_ABOVE, NAN, 30, NAN, NAN);
    s.window_ms = HOUR_MS;
    s.hold_ms = HOLD;
    SampleWindow w = {0};
    RuleState st = {0};
    RuleChange ch;
    insert(&w, T0, 20);
    assert_int_equal(evaluate(&s, &w, &st, T0, &ch), 0); /* 20 < 30 */
    insert(&w, T0 + 10 * MIN_MS, 15);
    assert_int_equal(evaluate(&s, &w, &st, T0 + 10 * MIN_MS, &ch), 1); /* 20 + 15 = 35 */
    assert_int_equal(st.level, LEVEL_YELLOW);

    insert(&w, T0 + 5 * MIN_MS, 0);
    /* At T0 + 5 min: (T0 - 55 min, T0 + 5 min] holds 20 + 0 = 20 → none. */
    assert_metric(metric_at(&s, &w, T0 + 5 * MIN_MS), 20);
    assert_int_equal(evaluate(&s, &w, &st, T0 + 5 * MIN_MS, &ch), 0);
    assert_int_equal(st.level, LEVEL_YELLOW);
    assert_int_equal(st.level_since_ms, T0 + 10 * MIN_MS);
    assert_int_equal(st.pending_since_ms, T0 + 10 * MIN_MS);
    window_free(&w);
}

/* ---- a storm, end to end ---------------------------------------------------------------- */

/* 1 h rainfall, blue 20, yellow 30, orange 50, red 70, hysteresis 2, hold 30 min. Readings
 * every 5 min at T0 + k·5 min: 10 mm for k = 1 … 6, then 0. Evaluated at each reading, the
 * window trimmed to the last hour as the engine would:
 *   k = 1 sum 10 none; k = 2 sum 20 blue (change); k = 3 30 yellow (change); k = 4 40;
 *   k = 5 50 orange (change); k = 6 … 12 sum 60 (k = 1 … 6 are all within the hour)
 *   k = 13 (now - 1 h = T0 + 5 min: k = 1 at the edge, excluded) 50 orange
 *   k = 14 40: raw yellow, 42 < 50 → yellow candidate: the run begins at T0 + 70 min
 *   k = 15 30 yellow; k = 16 20 blue (22 < 30); k = 17 10 none; k = 18 … 0 none
 *   k = 20 (T0 + 100 min, 30 min into the run): none applies, straight from orange.
 * Four changes: none→blue, blue→yellow, yellow→orange, orange→none. */
/* A long stream through one window: every step appends (and now and then inserts a late
 * sample), trims to the last hour and checks the hour's sum and the count kept against a
 * plain sum over everything inserted. Exercises the lazy trim (the dropped samples left in
 * front until they outnumber the live ones), the compaction that follows and the growth. */
static void test_window_sliding_sums(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_SUM, DIR_ABOVE, 1e9, 2e9, 3e9, 4e9);
    s.window_ms = HOUR_MS;
    enum { STEPS = 5000 };
    static Sample all[STEPS * 2];
    int nall = 0;
    SampleWindow w = {0};
    unsigned seed = 7;
    for (int k = 1; k <= STEPS; k++) {
        int64_t now = T0 + (int64_t)k * 60 * 1000; /* one a minute: 60 in an hour */
        seed = seed * 1103515245u + 12345u;
        double v = (double)(seed >> 16 & 1023) / 8.0;
        assert_int_equal(window_insert(&w, (Sample){now, v}), 1);
        all[nall++] = (Sample){now, v};
        if (k % 7 == 0) { /* a late one, 90 s back (between two others) */
            assert_int_equal(window_insert(&w, (Sample){now - 90 * 1000, 1.0}), 1);
            all[nall++] = (Sample){now - 90 * 1000, 1.0};
        }
        window_trim(&w, now - 2 * HOUR_MS);
        long double want = 0;
        int live = 0;
        for (int i = 0; i < nall; i++) {
            if (all[i].ts_ms > now - HOUR_MS && all[i].ts_ms <= now)
                want += all[i].value;
            live += all[i].ts_ms >= now - 2 * HOUR_MS;
        }
        assert_int_equal(w.n, live);
        assert_metric(metric_at(&s, &w, now), (double)want);
    }
    assert_true(w.off <= w.n); /* compacted once the dropped outnumbered the live */
    window_free(&w);
}

static void test_storm_end_to_end(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_SUM, DIR_ABOVE, 20, 30, 50, 70);
    s.window_ms = HOUR_MS;
    s.hysteresis = 2;
    s.hold_ms = 30 * MIN_MS;
    char msg[160], msg_en[160];
    assert_int_equal(rule_spec_check(&s, msg, msg_en), 0);

    static const struct {
        int k;
        WarnLevel from, to;
    } want[] = {{2, LEVEL_NONE, LEVEL_BLUE},
                {3, LEVEL_BLUE, LEVEL_YELLOW},
                {5, LEVEL_YELLOW, LEVEL_ORANGE},
                {20, LEVEL_ORANGE, LEVEL_NONE}};
    SampleWindow w = {0};
    RuleState st = {0};
    int seen = 0;
    for (int k = 1; k <= 30; k++) {
        int64_t now = T0 + k * 5 * MIN_MS;
        RuleChange ch;
        insert(&w, now, k <= 6 ? 10 : 0);
        window_trim(&w, now - HOUR_MS);
        if (evaluate(&s, &w, &st, now, &ch)) {
            assert_true(seen < 4);
            assert_int_equal(k, want[seen].k);
            assert_int_equal(ch.from, want[seen].from);
            assert_int_equal(ch.to, want[seen].to);
            seen++;
        }
        if (k == 13)
            assert_metric(metric_at(&s, &w, now), 50);
        if (k == 14)
            assert_int_equal(st.pending_since_ms, T0 + 70 * MIN_MS);
    }
    assert_int_equal(seen, 4);
    assert_int_equal(st.level, LEVEL_NONE);
    assert_int_equal(st.level_since_ms, T0 + 100 * MIN_MS);
    window_free(&w);
}

/* ---- combinations ----------------------------------------------------------------------- */

static void test_combo_level(void **state)
{
    (void)state;
    /* rainfall red AND displacement yellow → yellow: both are at least yellow. */
    WarnLevel a[] = {LEVEL_RED, LEVEL_YELLOW, LEVEL_ORANGE};
    assert_int_equal(combo_level(a, 3), LEVEL_YELLOW);
    WarnLevel b[] = {LEVEL_RED, LEVEL_NONE};
    assert_int_equal(combo_level(b, 2), LEVEL_NONE);
    WarnLevel c[] = {LEVEL_BLUE};
    assert_int_equal(combo_level(c, 1), LEVEL_BLUE);
    assert_int_equal(combo_level(NULL, 0), LEVEL_NONE);
    WarnLevel d[] = {LEVEL_ORANGE, LEVEL_ORANGE};
    assert_int_equal(combo_level(d, 2), LEVEL_ORANGE);
}

/* ---- spec check ------------------------------------------------------------------------- */

#define assert_refused(spec, zh_part, en_part)                                                     \
    do {                                                                                           \
        char m_[160] = "", e_[160] = "";                                                           \
        assert_int_equal(rule_spec_check(&(spec), m_, e_), -1);                                    \
        print_message("%s / %s\n", m_, e_);                                                        \
        assert_non_null(strstr(m_, zh_part));                                                      \
        assert_non_null(strstr(e_, en_part));                                                      \
    } while (0)

static void test_spec_check_accepts(void **state)
{
    (void)state;
    char m[160], e[160];
    RuleSpec above = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 20, 30, 40);
    RuleSpec below = spec_of(RULE_THRESHOLD, DIR_BELOW, 100, 80, 60, 40);
    RuleSpec sum = spec_of(RULE_SUM, DIR_ABOVE, 20, 30, 50, 70);
    sum.window_ms = HOUR_MS;
    sum.hysteresis = 0;
    sum.hold_ms = 0;
    RuleSpec nodata = spec_of(RULE_NODATA, DIR_ABOVE, NAN, 600, NAN, 3600);
    RuleSpec combo = spec_of(RULE_COMBO, DIR_ABOVE, NAN, NAN, NAN, NAN); /* needs none */
    assert_int_equal(rule_spec_check(&above, m, e), 0);
    assert_int_equal(rule_spec_check(&below, m, e), 0);
    assert_int_equal(rule_spec_check(&sum, m, e), 0);
    assert_int_equal(rule_spec_check(&nodata, m, e), 0);
    assert_int_equal(rule_spec_check(&combo, m, e), 0);
}

static void test_spec_check_refusals(void **state)
{
    (void)state;
    RuleSpec s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 30, 20, 40); /* orange below yellow */
    assert_refused(s, "阈值须随级别递增（高于阈值预警）", "must rise with the level");
    s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 10, 30, 40); /* blue = yellow: never blue */
    assert_refused(s, "递增", "rise");
    s = spec_of(RULE_THRESHOLD, DIR_ABOVE, NAN, 50, NAN, 40); /* across the unused levels */
    assert_refused(s, "递增", "rise");
    s = spec_of(RULE_THRESHOLD, DIR_BELOW, 10, 20, 30, 40); /* below must fall */
    assert_refused(s, "阈值须随级别递减（低于阈值预警）", "must fall with the level");
    s = spec_of(RULE_THRESHOLD, DIR_BELOW, 100, 80, 80, 40);
    assert_refused(s, "递减", "fall");

    s = spec_of(RULE_THRESHOLD, DIR_ABOVE, NAN, NAN, NAN, NAN);
    assert_refused(s, "阈值", "threshold");
    s = spec_of(RULE_NODATA, DIR_ABOVE, NAN, NAN, NAN, NAN);
    assert_refused(s, "阈值", "threshold");

    s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 10, 20, 30, 40);
    s.hysteresis = -0.1;
    assert_refused(s, "回差", "hysteresis");
    s.hysteresis = NAN;
    assert_refused(s, "回差", "hysteresis");
    s.hysteresis = 0;
    s.hold_ms = -1;
    assert_refused(s, "保持", "hold");

    s = spec_of(RULE_RATE, DIR_ABOVE, 1, 2, 3, 4); /* window 0 */
    assert_refused(s, "窗口", "window");
    s = spec_of(RULE_SUM, DIR_ABOVE, 1, 2, 3, 4);
    s.window_ms = -HOUR_MS;
    assert_refused(s, "窗口", "window");
    s = spec_of(RULE_THRESHOLD, DIR_ABOVE, 1, 2, 3, 4); /* a threshold rule needs none */
    char m[160], e[160];
    assert_int_equal(rule_spec_check(&s, m, e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_names),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_threshold_above_both_sides),
        cmocka_unit_test(test_threshold_below_both_sides),
        cmocka_unit_test(test_threshold_unused_levels),
        cmocka_unit_test(test_threshold_metric_is_latest_sample),
        cmocka_unit_test(test_sum_window_edges),
        cmocka_unit_test(test_sum_rainfall_1h_3h_24h),
        cmocka_unit_test(test_rate_over_window),
        cmocka_unit_test(test_rate_falling),
        cmocka_unit_test(test_metric_other_kinds),
        cmocka_unit_test(test_window_insert_order_and_duplicates),
        cmocka_unit_test(test_window_trim),
        cmocka_unit_test(test_window_sliding_sums),
        cmocka_unit_test(test_hysteresis_flapping),
        cmocka_unit_test(test_hysteresis_several_levels),
        cmocka_unit_test(test_hysteresis_below),
        cmocka_unit_test(test_hold_exact),
        cmocka_unit_test(test_hold_interrupted_run_restarts),
        cmocka_unit_test(test_hold_escalation_during_pending),
        cmocka_unit_test(test_hold_applies_completing_candidate),
        cmocka_unit_test(test_hold_zero_applies_at_once),
        cmocka_unit_test(test_out_of_order_does_not_move_back),
        cmocka_unit_test(test_out_of_order_late_sample),
        cmocka_unit_test(test_storm_end_to_end),
        cmocka_unit_test(test_combo_level),
        cmocka_unit_test(test_spec_check_accepts),
        cmocka_unit_test(test_spec_check_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
