/* flow/workflow — state machines declared as tables, applied one transaction per step.
 *
 * A Workflow names the entity table it drives, its state column and its transitions
 * (from-state, action, to-state, roles allowed, fields the action's input must carry, and
 * an optional deadline that schedules a job when the new state is entered). Hazards,
 * incidents, warnings, plans and reports all use this one engine.
 *
 * workflow_apply() loads the record (inside the actor's jurisdiction), finds the transition
 * for (current state, action), checks the actor's role and the required input fields,
 * updates the state, appends the step to workflow_history (who, when, from, to, action,
 * input), writes the audit entry, cancels the previous state's deadline job and schedules
 * the new one, and queues a change event — all in the caller's Tx. A refused step returns
 * -1 with a 403 (role), 404 (not found / outside jurisdiction), 409 (action not allowed in
 * the current state) or 422 (missing input) and changes nothing.
 *
 * The entity table must have an `updated_at` TEXT column; each step sets it. A deadline is a
 * scheduler job of kind "<table>.deadline", key "<table>:<key>:deadline", payload
 * {"key": record key, "state": state entered}; the module registers its handler (which runs
 * as actor_system and should re-check the state). */
#ifndef YJ_FLOW_WORKFLOW_H
#define YJ_FLOW_WORKFLOW_H

#include "flow/tx.h"

#include <jansson.h>

typedef struct Transition {
    const char *from;   /* state, or "*" for any state */
    const char *action; /* e.g. "submit" */
    const char *to;
    unsigned roles;                     /* Role bits allowed */
    const char *const *required_inputs; /* NULL-terminated names, or NULL */
    const char *label_zh;               /* e.g. "提交" */
    int64_t deadline_seconds;           /* 0 = none; else job "<table>.deadline" */
} Transition;

typedef struct Workflow {
    const char *table;             /* entity table */
    const char *key_column;        /* e.g. "id" */
    const char *state_column;      /* e.g. "state" */
    const char *division_column;   /* jurisdiction column, or NULL */
    const Transition *transitions; /* terminated by a {NULL} entry */
} Workflow;

/* input may be NULL. On success *new_state (if non-NULL) points into tx->arena. */
int workflow_apply(Tx *tx, const Workflow *wf, const char *key, const char *action, json_t *input,
                   const char **new_state, Error *err);
/* Actions available to the actor in a state (for UIs); returns a new JSON array. */
json_t *workflow_actions(const Workflow *wf, const char *state, const Actor *actor);
/* The steps a record went through, oldest first: a new JSON array of {from, to, action, by,
 * at, input}; NULL with err on a store error. */
json_t *workflow_history_json(StoreConn *c, Arena *arena, const char *table, const char *key,
                              Error *err);

#endif
