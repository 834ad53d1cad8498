/* modules/resources — what the module's files share (private to src/modules/resources/).
 *
 * entities.c: the Field tables, Entities and hooks; analysis.c: the shelter analysis;
 * resources.c: routes, migrations and the Module; demo.c: the demo county's resources. */
#ifndef YJ_MODULES_RESOURCES_INTERNAL_H
#define YJ_MODULES_RESOURCES_INTERNAL_H

#include "modules/resources/resources.h"

/* The team with this id as the Tx's actor sees it (*team: new reference), or -1 with a 422
 * field error on team_id when it does not exist or lies outside the jurisdiction. */
int resources_team_visible(Tx *tx, json_int_t team_id, json_t **team, Error *err);

/* Deletes inside tx as its actor sees them (404 outside). A team only without members and
 * equipment (409 has_members / has_equipment); a member lowers its team's member_count. */
int resources_delete_team(Tx *tx, const char *id, Error *err);
int resources_delete_member(Tx *tx, const char *id, Error *err);

/* Module.demo hook (demo.c). */
int resources_demo(Tx *tx, Error *err);

#endif
