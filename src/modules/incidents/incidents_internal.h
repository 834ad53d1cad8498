/* modules/incidents/incidents_internal — shared by the incidents module's files only.
 *
 * entities.c     the five entities, grading, the event-type and incident hooks
 * incidents.c    intake, update, workflow actions, response level, timeline, reporting clock
 * reports.c      reports (number, send, freeze) and statistics
 * attachments.c  type sniffing, storage on disk, upload and download handlers
 * routes.c       the route table, handlers, migrations, start, the module
 * demo.c         the demo county's event types and incidents */
#ifndef YJ_MODULES_INCIDENTS_INTERNAL_H
#define YJ_MODULES_INCIDENTS_INTERNAL_H

#include "flow/workflow.h"
#include "http/route.h"
#include "modules/incidents/incidents.h"

#define INCIDENTS_READ (ROLE_STAFF | ROLE_VIEWER)
#define INCIDENTS_WRITE (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER)

extern const Workflow incident_flow;

/* incidents.c */
int incidents_load(Tx *tx, const char *id, json_t **out, Error *err); /* in jurisdiction */
int incidents_schedule_clock(Tx *tx, json_t *incident, Error *err);
/* After a GeoJSON import: incidents without a timeline get the intake's steps. */
int incidents_after_import(Tx *tx, Error *err);
int incidents_mark_late(Tx *tx, long long id, const char *rule, const char *label, long long due,
                        Error *err);
int incidents_report_due_job(Tx *tx, const char *key, json_t *payload, Error *err);
const ReportRule *incidents_rule(const char *code);
const char *incidents_job_key(Arena *a, long long id, const char *rule);
int incidents_set_rule_job(Tx *tx, long long id, const ReportRule *r, long long due, long long base,
                           Error *err);
/* Refuses keys of obj not in allowed (NULL-terminated): 422. */
int incidents_only_keys(json_t *obj, const char *const *allowed, Error *err);
const char *incidents_iso(Arena *a, long long t);

/* reports.c: on create, the incident's division and the generated number */
int incidents_report_prepare(Tx *tx, json_t *rec, Error *err);

/* attachments.c */
int incidents_handle_upload(Req *req, Resp *resp, Error *err);
int incidents_handle_download(Req *req, Resp *resp, Error *err);
int incidents_handle_attachment_list(Req *req, Resp *resp, Error *err);

/* demo.c */
int incidents_demo(Tx *tx, Error *err);

#endif
