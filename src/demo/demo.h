/* demo — the demonstration data set of `yingji demo` and `make run`.
 *
 * A fictional county, 云岭县 (code 620390, under 金昌市 6203 of 甘肃省 62), built to the scale
 * of the seed plans: 12 towns and street offices (9-digit codes), 165 villages and
 * communities (12-digit codes) with boundary polygons that share their edges, population
 * figures, the county's organisations (应急管理局 and partner bureaus, the towns' 应急管理所)
 * and one user for every role. The national provinces, cities and counties are loaded too,
 * so codes above the county resolve to names.
 *
 * demo_load() writes everything in one transaction as the system actor (so it is audited),
 * then runs every module's Module.demo hook in the same transaction, and refuses to run on a store
 * that already holds users. demo_print_accounts() prints the demo accounts and what each may do. */
#ifndef YJ_DEMO_H
#define YJ_DEMO_H

#include "core/error.h"
#include "store/store.h"

#include <stdio.h>

#define DEMO_COUNTY_CODE "620390"
#define DEMO_COUNTY_NAME "云岭县"

/* reference_dir holds divisions/{provinces,cities,areas}.csv (the repository's reference/). */
int demo_load(Store *store, const char *reference_dir, Error *err);
void demo_print_accounts(FILE *out);

#endif
