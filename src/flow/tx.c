#include "flow/tx.h"
#include "flow/events.h"
#include "core/log.h"

struct TxEvent {
    TxEvent *next;
    const char *entity, *key, *action, *division;
};

int tx_begin(Tx *tx, StoreConn *conn, const Actor *actor, Arena *arena, Error *err)
{
    tx->conn = conn;
    tx->actor = actor;
    tx->arena = arena;
    tx->events = NULL;
    tx->open = 0;
    if (store_begin(conn, err) < 0)
        return -1;
    tx->open = 1;
    return 0;
}

static void publish_in_order(TxEvent *ev)
{
    /* events were pushed in front; publish oldest first */
    if (!ev)
        return;
    publish_in_order(ev->next);
    events_publish(ev->entity, ev->key, ev->action, ev->division);
}

int tx_commit(Tx *tx, Error *err)
{
    if (!tx->open)
        return error_internal(err, "commit of a transaction that is not open");
    tx->open = 0;
    if (store_commit(tx->conn, err) < 0) {
        store_rollback(tx->conn);
        tx->events = NULL;
        return -1;
    }
    publish_in_order(tx->events);
    tx->events = NULL;
    return 0;
}

void tx_rollback(Tx *tx)
{
    if (!tx->open)
        return;
    tx->open = 0;
    tx->events = NULL;
    store_rollback(tx->conn);
}

void tx_event(Tx *tx, const char *entity, const char *key, const char *action,
              const char *division_code)
{
    TxEvent *ev = arena_alloc(tx->arena, sizeof *ev);
    ev->entity = arena_strdup(tx->arena, entity);
    ev->key = arena_strdup(tx->arena, key);
    ev->action = arena_strdup(tx->arena, action);
    ev->division = arena_strdup(tx->arena, division_code ? division_code : "");
    ev->next = tx->events;
    tx->events = ev;
}

int tx_run(Store *store, const Actor *actor, Arena *arena, TxFn fn, void *ctx, Error *err)
{
    StoreConn *c = store_acquire(store);
    Tx tx;
    int rc = tx_begin(&tx, c, actor, arena, err);
    if (rc == 0) {
        rc = fn(&tx, ctx, err);
        if (rc == 0)
            rc = tx_commit(&tx, err);
        else
            tx_rollback(&tx);
    }
    store_release(store, c);
    return rc;
}

int tx_run_system(Store *store, TxFn fn, void *ctx, const char *what)
{
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    int rc = tx_run(store, &actor_system, &arena, fn, ctx, &err);
    if (rc < 0)
        log_warn("启动时的事务失败 / %s failed: %s", what, err.message_en);
    error_clear(&err);
    arena_free(&arena);
    return rc;
}
