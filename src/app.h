/* app — the list of modules and what happens to all of them at start-up.
 * app_open() opens the store and runs every migration (flow layer first, then each
 * module in order); app_register_routes() installs built-in and module routes. The
 * returned Store is owned by the caller (store_close). */
#ifndef YJ_APP_H
#define YJ_APP_H

#include "http/server.h"
#include "modules/module.h"

Store *app_open(const char *db_url, int pool_size, Error *err);
void app_register_routes(const ServerConfig *cfg);
void app_start_modules(Store *store);
const Module *const *app_modules(int *n);

#endif
