/* flow/tx — one unit of change: a store transaction with the actor who makes it.
 *
 * Every change to platform records goes through a Tx: the entity engine, workflows, the
 * audit chain and the outbox all write through tx->conn inside the same transaction, so a
 * change, its audit entry and its outgoing messages commit or vanish together. Change
 * events for live views (SSE) are collected with tx_event() and published by tx_commit()
 * only after the commit succeeded; a rolled-back Tx publishes nothing.
 *
 * The Tx borrows conn, actor and arena from the caller, which must outlive it. */
#ifndef YJ_FLOW_TX_H
#define YJ_FLOW_TX_H

#include "core/actor.h"
#include "core/arena.h"
#include "core/error.h"
#include "store/store.h"

typedef struct TxEvent TxEvent;

typedef struct Tx {
    StoreConn *conn;
    const Actor *actor;
    Arena *arena;
    TxEvent *events; /* pending, published on commit */
    int open;
} Tx;

int tx_begin(Tx *tx, StoreConn *conn, const Actor *actor, Arena *arena, Error *err);
int tx_commit(Tx *tx, Error *err); /* on failure the transaction is rolled back */
void tx_rollback(Tx *tx);          /* no-op when already finished */

/* Runs fn(tx, ctx) in one transaction on a pooled connection of store: commits when fn
 * returns 0, rolls back (and publishes nothing) otherwise. Returns fn's result or -1. */
typedef int (*TxFn)(Tx *tx, void *ctx, Error *err);
int tx_run(Store *store, const Actor *actor, Arena *arena, TxFn fn, void *ctx, Error *err);
/* tx_run as the system actor with an arena of its own, for start-up work that must not stop
 * the start (a module scheduling its first jobs): a failure is logged, naming `what`, and
 * returned (-1). */
int tx_run_system(Store *store, TxFn fn, void *ctx, const char *what);
/* Queues a change event: entity table name, record key, action ("create", "update",
 * "delete", or a workflow action), and the record's division code (NULL = visible to all
 * jurisdictions). Strings are copied into the Tx arena. */
void tx_event(Tx *tx, const char *entity, const char *key, const char *action,
              const char *division_code);

#endif
