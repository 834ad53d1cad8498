/* modules/duty — what the module's files share (private to src/modules/duty/).
 *
 * entities.c: Field tables, Entities, hooks and shift times; duty.c: /duty/now, routes,
 * migrations and the Module; demo.c: the demo county's rosters and handovers. */
#ifndef YJ_MODULES_DUTY_INTERNAL_H
#define YJ_MODULES_DUTY_INTERNAL_H

#include "modules/duty/duty.h"

/* Label of a shift value ("day" -> "白班"), or the value itself. */
const char *duty_shift_label(const char *shift);

/* Deletes a roster inside tx as its actor sees it: 404 outside, 409 with handovers. */
int duty_delete_roster(Tx *tx, const char *id, Error *err);

/* Module.demo hook (demo.c). */
int duty_demo(Tx *tx, Error *err);

#endif
