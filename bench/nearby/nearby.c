/* bench/nearby — nearby queries per second through geo_nearby (geo/spatial.h).
 *
 *   nearby DB_URL [--points N] [--seconds S] [--threads T] [--radius M] [--limit L] [--load 0|1]
 *          [--prefix JURISDICTION]
 *
 * Loads N located points (default 100 000; entity "bench_points", keys 1..N, uniformly
 * random in a 100 km × 100 km square around 103.5°E 38.5°N, fixed seed, one transaction)
 * into geo_points of DB_URL (sqlite:PATH or postgres://…) unless --load 0, then runs
 * nearby queries (radius 5 000 m, limit 50, every entity, whole jurisdiction) at random
 * points of the square from T threads (one store connection each) for S seconds (default 5),
 * as a deployment-wide actor or, with --prefix, one limited to a jurisdiction (the points'
 * division codes are 620390100, 620390101, 620390102 and 620321100 in turn),
 * after a short warm-up. Prints one line:
 *   RESULT <backend> threads=T queries=Q seconds=S qps=X avg_hits=H avg_in_radius=R
 * run.sh compares it with PostgreSQL's own GiST KNN query through pgbench. */
#include "core/arena.h"
#include "core/log.h"
#include "geo/spatial.h"
#include "store/store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CENTER_LON 103.5
#define CENTER_LAT 38.5
#define HALF_SIDE_M 50000.0

static double span_lat(void)
{
    return HALF_SIDE_M / (GEO_EARTH_RADIUS_M * 3.14159265358979323846 / 180.0);
}

static double span_lon(void)
{
    return span_lat() / cos(CENTER_LAT * 3.14159265358979323846 / 180.0);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double rnd(unsigned *seed)
{
    return (double)rand_r(seed) / ((double)RAND_MAX + 1.0);
}

static void die(const char *what, const Error *err)
{
    fprintf(stderr, "nearby: %s: %s\n", what, err ? err->message_en : "");
    exit(1);
}

static void load(Store *s, int n)
{
    Error err = ERROR_INIT;
    StoreConn *c = store_acquire(s);
    static const char *const divisions[] = {"620390100", "620390101", "620390102", "620321100"};
    static const char *const states[] = {"ready", "busy", "off"};
    unsigned seed = 20261123;
    double t0 = now_s();
    if (store_exec(c, "DELETE FROM geo_points WHERE entity = 'bench_points'", NULL, 0, NULL, &err) <
            0 ||
        store_begin(c, &err) < 0)
        die("clear", &err);
    for (int i = 1; i <= n; i++) {
        char key[16], title[32];
        snprintf(key, sizeof key, "%d", i);
        snprintf(title, sizeof title, "点%d", i);
        double lon = CENTER_LON + (rnd(&seed) * 2 - 1) * span_lon();
        double lat = CENTER_LAT + (rnd(&seed) * 2 - 1) * span_lat();
        if (geo_put(c, "bench_points", key, lon, lat, divisions[i % 4], title, states[i % 3],
                    &err) < 0)
            die("load", &err);
    }
    if (store_commit(c, &err) < 0)
        die("commit", &err);
    if (conn_dialect(c) == DIALECT_POSTGRES &&
        store_exec(c, "ANALYZE geo_points", NULL, 0, NULL, &err) < 0)
        die("analyze", &err);
    store_release(s, c);
    fprintf(stderr, "nearby: loaded %d points in %.1f s\n", n, now_s() - t0);
}

typedef struct Worker {
    Store *store;
    double radius;
    int limit;
    double until;
    unsigned seed;
    long queries;
    long hits, in_radius;
    const char *prefix;
} Worker;

static void *run(void *arg)
{
    Worker *w = arg;
    StoreConn *c = store_acquire(w->store);
    Error err = ERROR_INIT;
    while (now_s() < w->until) {
        Arena a = ARENA_INIT;
        GeoHit *hits;
        int n, total;
        double lon = CENTER_LON + (rnd(&w->seed) * 2 - 1) * span_lon();
        double lat = CENTER_LAT + (rnd(&w->seed) * 2 - 1) * span_lat();
        if (geo_nearby(c, &a, lon, lat, w->radius, NULL, 0, w->prefix, w->limit, &hits, &n, &total,
                       &err) < 0)
            die("query", &err);
        w->queries++;
        w->hits += n;
        w->in_radius += total;
        arena_free(&a);
    }
    store_release(w->store, c);
    return NULL;
}

static void measure(Store *s, int threads, double seconds, double radius, int limit,
                    const char *prefix, long *queries, long *hits, long *in_radius)
{
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    Worker *w = calloc((size_t)threads, sizeof *w);
    double until = now_s() + seconds;
    for (int i = 0; i < threads; i++) {
        w[i] = (Worker){s, radius, limit, until, 1000u + (unsigned)i, 0, 0, 0, prefix};
        pthread_create(&tid[i], NULL, run, &w[i]);
    }
    *queries = *hits = *in_radius = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        *queries += w[i].queries;
        *hits += w[i].hits;
        *in_radius += w[i].in_radius;
    }
    free(tid);
    free(w);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr,
                "usage: %s DB_URL [--points N] [--seconds S] [--threads T] [--radius M] "
                "[--limit L] [--load 0|1]\n",
                argv[0]);
        return 2;
    }
    const char *url = argv[1];
    int points = 100000, threads = 1, limit = 50, do_load = 1;
    double seconds = 5, radius = 5000;
    const char *prefix = "";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--points"))
            points = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--radius"))
            radius = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--limit"))
            limit = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--load"))
            do_load = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--prefix"))
            prefix = argv[i + 1];
    }
    log_set_level(LOG_ERROR);
    Error err = ERROR_INIT;
    Store *s = store_open(url, threads, &err);
    if (!s)
        die("open", &err);
    if (geo_migrate(s, &err) < 0)
        die("migrate", &err);
    if (do_load)
        load(s, points);
    long q, h, r;
    measure(s, threads, seconds < 1 ? seconds : 1, radius, limit, prefix, &q, &h, &r); /* warm-up */
    double t0 = now_s();
    measure(s, threads, seconds, radius, limit, prefix, &q, &h, &r);
    double el = now_s() - t0;
    printf("RESULT %s prefix=%s threads=%d queries=%ld seconds=%.2f qps=%.0f avg_hits=%.1f "
           "avg_in_radius=%.1f\n",
           store_dialect(s) == DIALECT_POSTGRES ? "postgres" : "sqlite", *prefix ? prefix : "-",
           threads, q, el, (double)q / el, q ? (double)h / (double)q : 0,
           q ? (double)r / (double)q : 0);
    store_close(s);
    return 0;
}
