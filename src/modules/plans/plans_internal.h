/* modules/plans — what the module's files share (private to src/modules/plans/).
 *
 * entities.c: the plans and plan_versions entities and their hook; filing.c: the filing
 * workflow, versions and revision; match.c: matching and statistics; plans.c: routes,
 * migrations and the Module; demo.c: the demo county's plans. */
#ifndef YJ_MODULES_PLANS_INTERNAL_H
#define YJ_MODULES_PLANS_INTERNAL_H

#include "modules/plans/plans.h"

/* The frozen copies of plan versions (no routes of its own; read through the plan). */
extern const Entity plan_versions_entity;

/* "YYYY-MM-DD" of today in Asia/Shanghai (out >= 11 bytes). */
void plans_today(char *out, size_t n);

/* Three years after today ("YYYY-MM-DD"): the default revision due date. */
void plans_default_due(char *out, size_t n);

/* 1 when the plan JSON's revision_due lies before today. */
int plans_revision_overdue(json_t *plan, const char *today);

/* Writes the frozen copy of the plan's current version unless it exists. */
int plans_freeze(Tx *tx, json_t *plan, const char *note, Error *err);

/* Module.demo hook (demo.c). */
int plans_demo(Tx *tx, Error *err);

#endif
