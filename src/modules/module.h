/* modules/module — what every capability module exposes to the application.
 *
 * A module owns its tables (created by its numbered migrations), its routes (one table,
 * registered by register_routes) and its background handlers (outbox topics, scheduler
 * kinds, registered in start). The application (app.c) lists modules in dependency order;
 * nothing else knows which modules exist. */
#ifndef YJ_MODULES_MODULE_H
#define YJ_MODULES_MODULE_H

#include "core/error.h"
#include "store/store.h"

typedef struct Module {
    const char *name;
    int (*migrate)(Store *store, Error *err); /* may be NULL */
    void (*register_routes)(void);            /* may be NULL */
    void (*start)(Store *store);              /* handlers, caches; may be NULL */
} Module;

#endif
