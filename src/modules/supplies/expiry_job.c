/* modules/supplies/expiry_job — the daily expiry alert (临期预警).
 *
 * A durable scheduler job "supplies.expiry" (key "supplies:expiry:daily") runs every day at
 * 00:00 UTC (08:00 in Asia/Shanghai). It counts, per warehouse division, the batches with
 * stock that expire within SUPPLIES_EXPIRY_ALERT_DAYS (expired ones included) and raises a
 * change event ("supply_stock", key "", action "expiring") for each such division, so the
 * live views of that jurisdiction (SSE) hear of it and reload the expiring list; the counts
 * go to the log. It then schedules itself for the next day. The module's start hook creates
 * the job when it does not exist yet. */
#include "modules/supplies/supplies_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "flow/scheduler.h"

#include <stdlib.h>

#define JOB_KIND "supplies.expiry"
#define JOB_KEY "supplies:expiry:daily"

static int64_t next_midnight_utc(void)
{
    int64_t now = clock_now();
    return (now / 86400 + 1) * 86400;
}

static int expiry_alert(Tx *tx, const char *key, json_t *payload, Error *err)
{
    (void)key;
    int days = SUPPLIES_EXPIRY_ALERT_DAYS;
    if (json_is_integer(json_object_get(payload, "days")))
        days = (int)json_integer_value(json_object_get(payload, "days"));
    char until[32];
    clock_format_iso(clock_now() + (int64_t)days * 86400, until, sizeof until);
    until[10] = '\0';
    DbRows r;
    DbValue p = db_text(until);
    if (store_query(tx->conn, tx->arena,
                    "SELECT division_code, COUNT(*) FROM supply_stock WHERE quantity > 0 AND"
                    " expiry_date IS NOT NULL AND expiry_date <= $1 GROUP BY division_code"
                    " ORDER BY division_code",
                    &p, 1, &r, err) < 0)
        return -1;
    long batches = 0;
    for (int i = 0; i < r.nrows; i++) {
        tx_event(tx, "supply_stock", "", "expiring", db_cell(&r, i, 0));
        batches += atol(db_cell(&r, i, 1));
    }
    if (batches)
        log_info("supplies: %ld batches in %d divisions expire by %s", batches, r.nrows, until);
    json_t *next = json_pack("{s:i}", "days", days);
    int rc = scheduler_set(tx, JOB_KIND, JOB_KEY, next_midnight_utc(), next, err);
    json_decref(next);
    return rc;
}

static int ensure_job(Tx *tx, void *ctx, Error *err)
{
    (void)ctx;
    int64_t one;
    DbValue p = db_text(JOB_KEY);
    int rc =
        store_query_int(tx->conn, "SELECT 1 FROM scheduler_jobs WHERE key = $1", &p, 1, &one, err);
    if (rc != 1)
        return rc;
    json_t *payload = json_pack("{s:i}", "days", SUPPLIES_EXPIRY_ALERT_DAYS);
    rc = scheduler_set(tx, JOB_KIND, JOB_KEY, next_midnight_utc(), payload, err);
    json_decref(payload);
    return rc;
}

void supplies_start(Store *store)
{
    scheduler_register(JOB_KIND, expiry_alert);
    Error err = ERROR_INIT;
    Arena a = ARENA_INIT;
    if (tx_run(store, &actor_system, &a, ensure_job, NULL, &err) < 0)
        log_error("supplies: cannot schedule the daily expiry alert: %s", err.message_en);
    error_clear(&err);
    arena_free(&a);
}
