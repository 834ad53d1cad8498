#include "app.h"
#include "core/log.h"
#include "flow/audit.h"
#include "geo/spatial.h"
#include "search/search.h"
#include "modules/accounts/accounts.h"
#include "modules/divisions/divisions.h"
#include "modules/duty/duty.h"
#include "modules/supplies/supplies.h"
#include "modules/tips/tips.h"
#include "modules/enterprises/enterprises.h"
#include "modules/incidents/incidents.h"
#include "modules/map/map.h"
#include "modules/search/search.h"
#include "modules/resources/resources.h"
#include "modules/plans/plans.h"
#include "modules/cases/cases.h"
#include "modules/command/command.h"
#include "modules/monitoring/monitoring.h"
#include "modules/publish/publish.h"

static const Module *const modules[] = {
    &divisions_module,   &accounts_module,   &supplies_module, &resources_module, &duty_module,
    &tips_module,        &incidents_module,  &plans_module,    &cases_module,     &command_module,
    &enterprises_module, &monitoring_module, &publish_module,  &map_module,       &search_module,
};
static const int nmodules = (int)(sizeof modules / sizeof modules[0]);

const Module *const *app_modules(int *n)
{
    *n = nmodules;
    return modules;
}

Store *app_open(const char *db_url, int pool_size, Error *err)
{
    Store *store = store_open(db_url, pool_size, err);
    if (!store)
        return NULL;
    if (flow_migrate(store, err) < 0 || geo_migrate(store, err) < 0 ||
        search_migrate(store, err) < 0)
        goto fail;
    for (int i = 0; i < nmodules; i++)
        if (modules[i]->migrate && modules[i]->migrate(store, err) < 0)
            goto fail;
    return store;
fail:
    store_close(store);
    return NULL;
}

void app_register_routes(const ServerConfig *cfg)
{
    static int done;
    if (done)
        return;
    done = 1;
    http_register_builtin(cfg);
    for (int i = 0; i < nmodules; i++)
        if (modules[i]->register_routes)
            modules[i]->register_routes();
}

void app_start_modules(Store *store)
{
    for (int i = 0; i < nmodules; i++)
        if (modules[i]->start)
            modules[i]->start(store);
}
