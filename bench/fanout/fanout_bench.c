/* bench/fanout/fanout_bench — the resolve stage of warning fan-out: which of 1 000 000
 * recipients lie in a warning area (geo/area, geo_area_filter).
 *
 *   fanout_bench DIR [--points N] [--runs R] [--seed S]
 *
 * Generates N recipient points deterministically (seed S): 85 % clustered around the towns of
 * a fictional county (lon 103.5–104.5, lat 36.0–36.8), 15 % scattered over it; a warning
 * polygon of 400 vertices (a lobed, concave outline around the county centre) with a 64-vertex
 * hole around one town (a sheltered area left out); and a 12 km circle around another town.
 * Writes DIR/points.csv (id,lon,lat with 17 significant digits, so PostgreSQL reads the very
 * same doubles), DIR/polygon.wkt, DIR/circle.txt ("lon lat radius_m"), then times
 * geo_area_filter (median of R runs) on the polygon, the circle and their union, with 1 and
 * 2 threads, plus the single-point geo_area_covers in a loop and, for reference, plain GEOS
 * (the polygon prepared with GEOSPrepare_r, its bounding box, one GEOSPreparedCovers_r per
 * point in the box: geo/area without its cell grid), and prints one line
 *   RESULT key=value …
 * with counts, milliseconds, nanoseconds per point and memory (VmRSS, VmHWM in MiB). */
#include "geo/area.h"
#include "geo/spatial.h"

#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NVERT 400
#define NHOLE 64

static uint64_t rng;

static double rnd(void) /* splitmix64 → [0, 1) */
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double gauss(void) /* Box–Muller */
{
    double u = rnd(), v = rnd();
    return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

/* Towns: centre, spread (degrees) and share of the clustered population. */
static const struct {
    double lon, lat, sigma, weight;
} towns[] = {
    {104.02, 36.42, 0.030, 0.30}, /* county seat */
    {103.72, 36.16, 0.025, 0.10}, {104.31, 36.58, 0.025, 0.09}, {103.86, 36.63, 0.020, 0.08},
    {104.18, 36.22, 0.020, 0.08}, {103.62, 36.48, 0.020, 0.07}, {104.40, 36.35, 0.020, 0.07},
    {103.95, 36.05, 0.015, 0.06}, {104.12, 36.72, 0.015, 0.05}, {103.55, 36.70, 0.015, 0.04},
    {104.46, 36.08, 0.015, 0.03}, {103.80, 36.35, 0.015, 0.03},
};
#define NTOWNS (sizeof towns / sizeof towns[0])
#define HOLE_TOWN 11  /* the hole sits on this town */
#define CIRCLE_TOWN 1 /* the circle on this one */
#define CIRCLE_R 12000.0

static void gen_points(size_t n, double *lon, double *lat)
{
    for (size_t i = 0; i < n; i++) {
        double x, y;
        if (rnd() < 0.15) {
            x = 103.5 + rnd();
            y = 36.0 + 0.8 * rnd();
        } else {
            double w = rnd(), acc = 0;
            size_t t = 0;
            for (; t < NTOWNS - 1; t++) {
                acc += towns[t].weight;
                if (w < acc)
                    break;
            }
            x = towns[t].lon + towns[t].sigma * gauss();
            y = towns[t].lat + 0.8 * towns[t].sigma * gauss();
        }
        lon[i] = x;
        lat[i] = y;
    }
}

/* The warning polygon: a lobed outline (star-shaped around its centre, so simple) and a hole. */
static void gen_polygon(double shell[NVERT + 1][2], double hole[NHOLE + 1][2])
{
    const double cx = 104.0, cy = 36.4;
    for (int i = 0; i < NVERT; i++) {
        double t = 2 * M_PI * i / NVERT;
        double r = 1 + 0.30 * sin(3 * t + 0.4) + 0.08 * sin(11 * t) + 0.03 * sin(29 * t + 1.0);
        shell[i][0] = cx + 0.40 * r * cos(t);
        shell[i][1] = cy + 0.32 * r * sin(t);
    }
    shell[NVERT][0] = shell[0][0];
    shell[NVERT][1] = shell[0][1];
    for (int i = 0; i < NHOLE; i++) { /* clockwise */
        double t = -2 * M_PI * i / NHOLE;
        hole[i][0] = towns[HOLE_TOWN].lon + 0.035 * cos(t);
        hole[i][1] = towns[HOLE_TOWN].lat + 0.025 * sin(t);
    }
    hole[NHOLE][0] = hole[0][0];
    hole[NHOLE][1] = hole[0][1];
}

static json_t *ring_json(const double (*ring)[2], int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("[f,f]", ring[i][0], ring[i][1]));
    return a;
}

static void write_ring_wkt(FILE *f, const double (*ring)[2], int n)
{
    fputc('(', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.17g %.17g", i ? "," : "", ring[i][0], ring[i][1]);
    fputc(')', f);
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median milliseconds of `runs` calls of geo_area_filter; *count the hits (all runs agree). */
static double time_filter(const GeoArea *area, const double *lon, const double *lat, size_t n,
                          uint8_t *hit, int threads, int runs, size_t *count)
{
    double ms[64];
    if (runs > 64)
        runs = 64;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        size_t c = geo_area_filter(area, lon, lat, n, hit, threads);
        ms[r] = now_ms() - t0;
        if (r > 0 && c != *count) {
            fprintf(stderr, "fanout_bench: runs disagree (%zu, %zu)\n", *count, c);
            exit(1);
        }
        *count = c;
    }
    qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
    return ms[runs / 2];
}

/* VmRSS or VmHWM of this process in MiB. */
static double mem_mib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            kb = strtod(line + klen + 1, NULL);
    if (f)
        fclose(f);
    return kb / 1024;
}

/* Plain GEOS: milliseconds (median of runs) for the polygon of wkt_path, prepared, box first. */
static double time_plain_geos(const char *wkt_path, const double *lon, const double *lat, size_t n,
                              int runs, size_t *count)
{
    char wkt[1 << 16];
    FILE *f = fopen(wkt_path, "r");
    size_t len = f ? fread(wkt, 1, sizeof wkt - 1, f) : 0;
    if (f)
        fclose(f);
    wkt[len] = 0;
    GEOSContextHandle_t ctx = GEOS_init_r();
    GEOSWKTReader *rd = GEOSWKTReader_create_r(ctx);
    GEOSGeometry *g = GEOSWKTReader_read_r(ctx, rd, wkt);
    if (!g) {
        fprintf(stderr, "fanout_bench: cannot read %s\n", wkt_path);
        exit(1);
    }
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(ctx, g);
    double x0, y0, x1, y1;
    GEOSGeom_getXMin_r(ctx, g, &x0);
    GEOSGeom_getYMin_r(ctx, g, &y0);
    GEOSGeom_getXMax_r(ctx, g, &x1);
    GEOSGeom_getYMax_r(ctx, g, &y1);
    double ms[64];
    if (runs > 64)
        runs = 64;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        size_t c = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(lon[i] >= x0 && lon[i] <= x1 && lat[i] >= y0 && lat[i] <= y1))
                continue;
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx, lon[i], lat[i]);
            c += GEOSPreparedCovers_r(ctx, prep, pt) == 1;
            GEOSGeom_destroy_r(ctx, pt);
        }
        ms[r] = now_ms() - t0;
        *count = c;
    }
    GEOSPreparedGeom_destroy_r(ctx, prep);
    GEOSGeom_destroy_r(ctx, g);
    GEOSWKTReader_destroy_r(ctx, rd);
    GEOS_finish_r(ctx);
    qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
    return ms[runs / 2];
}

static GeoArea *area_or_die(const json_t *poly, int with_circle)
{
    GeoArea *a = geo_area_new();
    Error err = ERROR_INIT;
    if ((poly && geo_area_add_geojson(a, poly, &err) < 0) ||
        (with_circle && geo_area_add_circle(a, towns[CIRCLE_TOWN].lon, towns[CIRCLE_TOWN].lat,
                                            CIRCLE_R, &err) < 0)) {
        fprintf(stderr, "fanout_bench: area refused: %s\n", err.message_en);
        exit(1);
    }
    return a;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fanout_bench DIR [--points N] [--runs R] [--seed S]\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t n = 1000000;
    int runs = 7;
    rng = 20260601;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--points") == 0)
            n = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            rng = strtoull(argv[i + 1], NULL, 10);
    }
    double rss0 = mem_mib("VmRSS");
    double *lon = malloc(n * sizeof *lon), *lat = malloc(n * sizeof *lat);
    uint8_t *hit = malloc(n);
    if (!lon || !lat || !hit)
        return 1;
    gen_points(n, lon, lat);
    memset(hit, 0, n);
    double rss_points = mem_mib("VmRSS");

    static double shell[NVERT + 1][2], hole[NHOLE + 1][2];
    gen_polygon(shell, hole);
    FILE *f = open_out(dir, "points.csv");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%zu,%.17g,%.17g\n", i + 1, lon[i], lat[i]);
    fclose(f);
    f = open_out(dir, "polygon.wkt");
    fputs("POLYGON(", f);
    write_ring_wkt(f, (const double(*)[2])shell, NVERT + 1);
    fputc(',', f);
    write_ring_wkt(f, (const double(*)[2])hole, NHOLE + 1);
    fputs(")\n", f);
    fclose(f);
    f = open_out(dir, "circle.txt");
    fprintf(f, "%.17g %.17g %.17g\n", towns[CIRCLE_TOWN].lon, towns[CIRCLE_TOWN].lat, CIRCLE_R);
    fclose(f);

    /* the polygon as the API receives it: GeoJSON (what the warning form sends) */
    json_t *poly = json_pack("{s:s, s:[o,o]}", "type", "Polygon", "coordinates",
                             ring_json((const double(*)[2])shell, NVERT + 1),
                             ring_json((const double(*)[2])hole, NHOLE + 1));
    double t0 = now_ms();
    GeoArea *ap = area_or_die(poly, 0);
    double build_ms = now_ms() - t0;
    double rss_area = mem_mib("VmRSS");
    GeoArea *ac = area_or_die(NULL, 1);
    GeoArea *au = area_or_die(poly, 1);

    size_t cp1 = 0, cp2 = 0, cc1 = 0, cc2 = 0, cu2 = 0, cu1 = 0;
    double p1 = time_filter(ap, lon, lat, n, hit, 1, runs, &cp1);
    double p2 = time_filter(ap, lon, lat, n, hit, 2, runs, &cp2);
    double c1 = time_filter(ac, lon, lat, n, hit, 1, runs, &cc1);
    double c2 = time_filter(ac, lon, lat, n, hit, 2, runs, &cc2);
    double u1 = time_filter(au, lon, lat, n, hit, 1, runs, &cu1);
    double u2 = time_filter(au, lon, lat, n, hit, 2, runs, &cu2);
    if (cp1 != cp2 || cc1 != cc2 || cu1 != cu2) {
        fprintf(stderr, "fanout_bench: 1 and 2 threads disagree\n");
        return 1;
    }
    /* points in the polygon's bounding box: the ones that reach GEOS */
    GeoBBox b;
    geo_area_bbox(ap, &b);
    size_t inbox = 0;
    for (size_t i = 0; i < n; i++)
        inbox += lon[i] >= b.min_lon && lon[i] <= b.max_lon && lat[i] >= b.min_lat &&
                 lat[i] <= b.max_lat;
    /* the single-point call in a loop (lock, one GEOS point per call) */
    t0 = now_ms();
    size_t cov = 0;
    for (size_t i = 0; i < n; i++)
        cov += (size_t)geo_area_covers(ap, lon[i], lat[i]);
    double covers_ms = now_ms() - t0;
    if (cov != cp1) {
        fprintf(stderr, "fanout_bench: covers (%zu) and filter (%zu) disagree\n", cov, cp1);
        return 1;
    }
    double rss_end = mem_mib("VmRSS"), hwm = mem_mib("VmHWM");
    char wkt_path[4096];
    snprintf(wkt_path, sizeof wkt_path, "%s/polygon.wkt", dir);
    size_t cg = 0;
    double plain = time_plain_geos(wkt_path, lon, lat, n, runs, &cg);
    if (cg != cp1) {
        fprintf(stderr, "fanout_bench: plain GEOS (%zu) and filter (%zu) disagree\n", cg, cp1);
        return 1;
    }

    printf(
        "RESULT points=%zu runs=%d vertices=%d hole_vertices=%d poly_count=%zu "
        "circle_count=%zu union_count=%zu poly_bbox_points=%zu build_ms=%.3f "
        "poly_t1_ms=%.1f poly_t2_ms=%.1f circle_t1_ms=%.1f circle_t2_ms=%.1f "
        "union_t1_ms=%.1f union_t2_ms=%.1f covers_loop_ms=%.1f plain_geos_ms=%.1f poly_t1_ns=%.0f "
        "poly_t1_ns_per_bbox_point=%.0f circle_t1_ns=%.0f rss_start_mib=%.1f "
        "rss_points_mib=%.1f rss_area_mib=%.1f rss_end_mib=%.1f hwm_mib=%.1f\n",
        n, runs, NVERT, NHOLE, cp1, cc1, cu1, inbox, build_ms, p1, p2, c1, c2, u1, u2, covers_ms,
        plain, p1 * 1e6 / (double)n, p1 * 1e6 / (double)(inbox ? inbox : 1), c1 * 1e6 / (double)n,
        rss0, rss_points, rss_area, rss_end, hwm);
    json_decref(poly);
    geo_area_free(ap);
    geo_area_free(ac);
    geo_area_free(au);
    free(lon);
    free(lat);
    free(hit);
    return 0;
}
