/* bench/fanout/enqueue_bench — the enqueue stage of warning fan-out, end to end in the module:
 * issue a warning whose polygon covers most of a directory of N people and time the issue
 * transaction (resolve over the in-memory directory + 1 target row per recipient + one outbox
 * message per 1 000 targets + the workflow step, CAP message and audit, + commit); then
 * acknowledgements per second, one transaction per answer (as the link, reply and app routes
 * do) and 1 000 per transaction (a gateway posting replies in bulk).
 *
 * usage: enqueue_bench DB_URL [--people N] [--acks N]   (DB_URL: a fresh sqlite:PATH or
 * postgres://… database; the directory is loaded first, untimed, with store_exec_many). */
#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/outbox.h"
#include "modules/publish/publish_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, const Error *err)
{
    fprintf(stderr, "enqueue_bench: %s: %s\n", what, err->message_en);
    exit(1);
}

static uint64_t rng = 42;
static double rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* N people in 103.0–104.0 × 38.0–38.6, divisions 620390 1xx 2yy. */
static int load_people(Tx *tx, void *ctx, Error *err)
{
    long n = *(long *)ctx;
    const long chunk = 10000;
    DbValue *rows = xmalloc(sizeof *rows * 8 * (size_t)chunk);
    char(*phones)[32] = xmalloc(sizeof *phones * (size_t)chunk);
    char(*divs)[32] = xmalloc(sizeof *divs * (size_t)chunk);
    int rc = 0;
    for (long base = 0; base < n && rc == 0; base += chunk) {
        long m = n - base < chunk ? n - base : chunk;
        for (long i = 0; i < m; i++) {
            long k = base + i;
            snprintf(phones[i], sizeof phones[i], "139%08ld", k % 100000000);
            snprintf(divs[i], sizeof divs[i], "620390%03ld%03ld", 100 + k % 12,
                     201 + (k / 12) % 14);
            DbValue *r = rows + 8 * i;
            r[0] = db_text("责任人");
            r[1] = db_text(phones[i]);
            r[2] = db_text(k % 10 == 0 ? "village_leader" : "grid_member");
            r[3] = db_text(divs[i]);
            r[4] = db_real(103.0 + rnd());
            r[5] = db_real(38.0 + 0.6 * rnd());
            r[6] = db_int(1);
            r[7] = db_text("2026-11-23T00:00:00Z");
        }
        rc = store_exec_many(
            tx->conn,
            "INSERT INTO publish_people (name, phone, role, division_code, lon, lat,"
            " active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
            " $8, $8)",
            rows, 8, (int)m, NULL, err);
    }
    free(rows);
    free(phones);
    free(divs);
    return rc;
}

static Store *bench_store;
static int bench_send(StoreConn *c, const char *id, const char *topic, json_t *p, Error *err)
{
    (void)c;
    (void)topic;
    return pub_send_batch(bench_store, id, p, err);
}

typedef struct Issue {
    json_t *warning;
    int64_t id, targets;
} Issue;

static int issue_tx(Tx *tx, void *ctx, Error *err)
{
    Issue *is = ctx;
    json_t *out = NULL;
    if (entity_create(tx, &publish_warnings_entity, is->warning, &out, err) < 0)
        return -1;
    is->id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)is->id);
    if (workflow_apply(tx, &pub_flow, key, "submit", NULL, NULL, err) < 0 ||
        workflow_apply(tx, &pub_flow, key, "approve", NULL, NULL, err) < 0)
        return -1;
    return pub_issue(tx, key, NULL, &is->targets, err);
}

static json_t *warning(json_t *area)
{
    json_t *w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "level", "red", "event", "暴雨",
                          "event_code", "11B03", "headline", "暴雨红色预警", "description",
                          "预计3小时内降雨量将达100毫米以上。", "division_code", "620390");
    json_object_update(w, area);
    json_decref(area);
    return w;
}

typedef struct Acks {
    int64_t from;
    long n, per_tx;
} Acks;

static int acks_tx(Tx *tx, void *ctx, Error *err)
{
    Acks *a = ctx;
    for (long i = 0; i < a->per_tx; i++)
        if (pub_answer(tx, a->from + i, "bench", 0, err) < 0)
            return -1;
    return 0;
}

static double acks(Store *store, int64_t from, long n, long per_tx)
{
    Error err = ERROR_INIT;
    double t0 = now_ms();
    for (long done = 0; done < n; done += per_tx) {
        Arena arena = ARENA_INIT;
        Acks a = {from + done, n, per_tx};
        if (tx_run(store, &actor_system, &arena, acks_tx, &a, &err) < 0)
            die("answer", &err);
        arena_free(&arena);
    }
    return n / ((now_ms() - t0) / 1000.0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DB_URL [--people N] [--acks N]\n", argv[0]);
        return 2;
    }
    long people = 1000000, nacks = 20000;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--people") == 0)
            people = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--acks") == 0)
            nacks = atol(argv[i + 1]);
    }
    log_set_level(LOG_WARN);
    Error err = ERROR_INIT;
    Store *store = app_open(argv[1], 4, &err);
    if (!store)
        die("open", &err);
    bench_store = store;
    if (pub_secret_load(store, &err) < 0)
        die("secret", &err);
    Arena arena = ARENA_INIT;
    double t0 = now_ms();
    if (tx_run(store, &actor_system, &arena, load_people, &people, &err) < 0)
        die("load", &err);
    printf("directory: %ld people loaded in %.0f ms (untimed set-up)\n", people, now_ms() - t0);
    pub_directory_reset();
    ChannelSet *off = channels_load("{\"channels\": [{\"name\": \"off\", \"kind\": \"spool\","
                                    " \"dir\": \"/tmp\", \"enabled\": false}]}",
                                    &err);
    if (!off)
        die("channels", &err);
    pub_set_channels(off);
    outbox_register("publish.send", bench_send);

    /* a one-division warning first: loads the directory into memory (done once per process) */
    Issue small = {warning(json_pack("{s:[s]}", "target_divisions", "620390100201")), 0, 0};
    t0 = now_ms();
    if (tx_run(store, &actor_system, &arena, issue_tx, &small, &err) < 0)
        die("issue (small)", &err);
    printf("directory into memory + small warning: %.0f ms (%lld targets)\n", now_ms() - t0,
           (long long)small.targets);

    /* the polygon (with a hole) covering ~90 % of the directory */
    json_t *area = json_pack(
        "{s:[{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]], [[f,f],[f,f],[f,f],[f,f],[f,f]]]}]}",
        "polygons", "type", "Polygon", "coordinates", 102.99, 37.99, 104.01, 37.99, 104.01, 38.61,
        102.99, 38.61, 102.99, 37.99, 103.4, 38.2, 103.4, 38.26, 103.7, 38.26, 103.7, 38.2, 103.4,
        38.2);
    Issue big = {warning(area), 0, 0};
    t0 = now_ms();
    if (tx_run(store, &actor_system, &arena, issue_tx, &big, &err) < 0)
        die("issue", &err);
    double ms = now_ms() - t0;
    printf("issue (resolve + %lld targets + %lld outbox messages + commit): %.0f ms, %.0f "
           "targets/s\n",
           (long long)big.targets, (long long)((big.targets + PUB_BATCH - 1) / PUB_BATCH), ms,
           big.targets / (ms / 1000.0));
    /* the sender's first stage: every batch writes its target rows (no channel enabled, so
     * nothing is sent: this times the rows, the 叫应 state the sweep and the board work on) */
    t0 = now_ms();
    int got;
    while ((got = outbox_dispatch_once(store, 100, &err)) > 0)
        ;
    if (got < 0)
        die("dispatch", &err);
    ms = now_ms() - t0;
    printf("batches → target rows (outbox dispatch, no channel): %.0f ms, %.0f rows/s\n", ms,
           big.targets / (ms / 1000.0));
    StoreConn *c = store_acquire(store);
    int64_t first = 0;
    DbValue p[] = {db_int(big.id)};
    if (store_query_int(c, "SELECT MIN(id) FROM publish_targets WHERE warning_id = $1", p, 1,
                        &first, &err) < 0)
        die("min", &err);
    store_release(store, c);
    long one = nacks / 4 ? nacks / 4 : 1;
    printf("acknowledgements, one per transaction: %.0f /s (%ld answers)\n",
           acks(store, first, one, 1), one);
    printf("acknowledgements, 1000 per transaction: %.0f /s (%ld answers)\n",
           acks(store, first + one, nacks, 1000), nacks);
    arena_free(&arena);
    store_close(store);
    return 0;
}
