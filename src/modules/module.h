/* modules/module — what every capability module exposes to the application.
 *
 * A module owns its tables (created by its numbered migrations), its routes (one table,
 * registered by register_routes) and its background handlers (outbox topics, scheduler
 * kinds, registered in start). The application (app.c) lists modules in dependency order;
 * nothing else knows which modules exist. */
#ifndef YJ_MODULES_MODULE_H
#define YJ_MODULES_MODULE_H

#include "core/error.h"
#include "flow/tx.h"
#include "store/store.h"

typedef struct Module {
    const char *name;
    int (*migrate)(Store *store, Error *err); /* may be NULL */
    void (*register_routes)(void);            /* may be NULL */
    void (*start)(Store *store);              /* handlers, caches; may be NULL */
    /* Demo data of `yingji demo` (may be NULL): called in dependency order inside the one
     * demo transaction, after the divisions, organisations and accounts of the demo county
     * (demo/demo.h: 620390 云岭县) exist; deterministic (fixed seeds), at the seeds' scale. */
    int (*demo)(Tx *tx, Error *err);
} Module;

#endif
