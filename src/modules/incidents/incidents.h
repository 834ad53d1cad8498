/* modules/incidents — 接警 and 信息报送: event types, incident intake, grading, the incident
 * workflow and timeline, attachments and the reporting clock (SPEC C1; seeds 004 第四章一,
 * 003 四(二)1, 001 三(五)2; 生产安全事故报告和调查处理条例 第三、九、十条).
 *
 * Owns the tables
 *   event_types          GB/T 35561 event code tree (5-character code key, name, parent_code,
 *                        level 0–3), reference data loaded from reference/event_types.csv by
 *                        the demo, by `yingji import event_types FILE`, and at start when the
 *                        table is empty and the file exists;
 *   incidents            接警记录: source, times, place (point + division), event type (must
 *                        exist in event_types: 422 otherwise), casualties, direct loss (万元),
 *                        description; derived and read-only: grade, suggested_response_level,
 *                        production_safety, late (迟报) with late_items; response_level set by
 *                        the commander; status workflow reported 已接报 → verified 已核实 →
 *                        responding 处置中 → closed 已结案 (close needs an evaluation 总结评估);
 *                        located (lon/lat), so it is on the map;
 *   incident_events      the timeline: every action on an incident appends one row
 *                        (incident_id, at, kind, actor, text, data JSON), in the action's Tx;
 *   incident_attachments metadata of stored files (name, sniffed content type, size, SHA-256);
 *                        the bytes live on disk under $YINGJI_DATA_DIR/attachments (default
 *                        data/attachments), named by their SHA-256 hex only (no client text in
 *                        a path);
 *   incident_reports     信息报送 documents: number 云岭应急〔2026〕12号 generated per county and
 *                        year, kind first/followup/final, channel phone/written, content; draft
 *                        until sent; once sent its content is frozen (PATCH → 409).
 *
 * Grading (incident_grade): 生产安全事故报告和调查处理条例 第三条 with "以上包括本数，以下不包括
 * 本数": 特别重大 ≥30 deaths or ≥100 serious injuries or ≥10000 万元; 重大 ≥10 / ≥50 / ≥5000;
 * 较大 ≥3 / ≥10 / ≥1000; else 一般. An incident is graded from deaths + missing (死亡（含失踪）),
 * serious_injuries and direct_loss_wan. Suggested response level: 特别重大 I, 重大 II, 较大 III,
 * 一般 IV; the commander sets response_level (any of I–IV) and sees the suggestion.
 *
 * Reporting clock (deadlines from the later of reported_at and the time the grade was last
 * raised; one scheduler job "incidents.report_due" per rule, key
 * "incidents:<id>:report:<rule>"):
 *   rule            grades                report that satisfies it          deadline
 *   phone_first     特别重大, 重大          kind first, channel phone, sent    30 min
 *   written_first   特别重大, 重大          kind first, channel written, sent  60 min
 *   first           较大, 一般             kind first, any channel, sent      2 h (每级上报 ≤2 h)
 *   followup        any, until closed     a followup/final report sent       24 h after the
 *                                                                           last sent report
 *   intake          any                   occurred_at → reported_at ≤ 1 h    (单位负责人 1 h;
 *                                                                           checked at intake)
 * A job that finds no satisfying report by its deadline flags the incident late (迟报), adds
 * {rule, label, due_at} to late_items and appends a timeline row; a report sent after its due
 * time is itself flagged late. Closing cancels the follow-up clock.
 *
 * Routes (reads: staff roles and viewer; writes: admin, duty officer, commander; event
 * types: every logged-in user reads, administrators write):
 *   GET  /api/v1/event_types[/export.csv], POST /api/v1/event_types[/import.csv]
 *   GET  /api/v1/incidents[/export.csv|/export.geojson], POST /api/v1/incidents[/import.geojson]
 *   GET  /api/v1/incidents/stats                 counts by grade and status, 迟报 counts
 *   GET  /api/v1/incidents/:id                   the record + workflow "actions"
 *   PATCH /api/v1/incidents/:id                  regrades (409 once closed)
 *   POST /api/v1/incidents/:id/verify | respond | close {"evaluation"}
 *   POST /api/v1/incidents/:id/response-level    {"level": "I".."IV", "reason"?} commander
 *   GET  /api/v1/incidents/:id/timeline | reports | attachments
 *   POST /api/v1/incidents/:id/attachments?name=&type=   raw bytes, ≤ 20 MiB
 *   GET  /api/v1/incident_attachments[/:id]      list; download with its content type
 *   GET  /api/v1/incident_reports[/export.csv|/:id], POST /api/v1/incident_reports,
 *   PATCH /api/v1/incident_reports/:id (409 once sent), POST /api/v1/incident_reports/:id/send
 *
 * Memory: returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_INCIDENTS_H
#define YJ_MODULES_INCIDENTS_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

#include <jansson.h>
#include <stddef.h>

extern const Module incidents_module;
extern const Entity event_types_entity;
extern const Entity incidents_entity;
extern const Entity incident_events_entity;
extern const Entity incident_attachments_entity;
extern const Entity incident_reports_entity;

/* Grades, most serious first. */
typedef enum {
    INCIDENT_GRADE_EXTRAORDINARY = 1, /* 特别重大 "extraordinary" */
    INCIDENT_GRADE_MAJOR = 2,         /* 重大 "major" */
    INCIDENT_GRADE_LARGER = 3,        /* 较大 "larger" */
    INCIDENT_GRADE_GENERAL = 4,       /* 一般 "general" */
} IncidentGrade;

IncidentGrade incident_grade(long long deaths, long long serious_injuries, double direct_loss_wan);
const char *incident_grade_value(IncidentGrade g);      /* "extraordinary" … "general" */
const char *incident_grade_label(IncidentGrade g);      /* "特别重大" … "一般" */
IncidentGrade incident_grade_from_value(const char *v); /* 0 when unknown */
/* "I" … "IV" */
const char *incident_suggested_level(IncidentGrade g);

/* 1 when the 5-character code is in the 事故灾难 category (12xxx): 生产安全事故. */
int event_type_is_production_safety(const char *code);

/* Reporting rules (see the table above). */
typedef struct ReportRule {
    const char *code;    /* "phone_first" */
    const char *label;   /* "电话首报" */
    int serious_only;    /* 1: 特别重大/重大 only; 0: any grade; -1: 较大/一般 only */
    const char *kind;    /* report kind that satisfies it; "followup" matches followup/final */
    const char *channel; /* "phone", "written", or NULL for any */
    long long seconds;
} ReportRule;
extern const ReportRule incident_report_rules[]; /* terminated by {NULL} */
#define INCIDENT_FOLLOWUP_SECONDS (24 * 3600)
#define INCIDENT_INTAKE_SECONDS 3600

/* Attachments: at most this many bytes (413 above). */
#define INCIDENT_ATTACHMENT_MAX (20 * 1024 * 1024)
/* Sniffs the type from the bytes (JPEG, PNG, PDF, DOCX, XLSX, MP3, WAV, OGG, AMR, M4A, FLAC).
 * name is the client's file name (for the zip kinds' extension); declared may be NULL. Returns
 * the content type, or NULL with err 415 when the bytes are not an allowed type or do not
 * match the declared one. */
const char *incident_attachment_sniff(const unsigned char *data, size_t len, const char *name,
                                      const char *declared, Error *err);
/* The directory files are stored in (malloc'd; caller frees). */
char *incident_attachment_dir(void);

/* Records an incident (POST /api/v1/incidents body) in tx: validates, grades, schedules the
 * reporting clock, appends the timeline. *out (may be NULL) receives the stored record. */
int incident_record(Tx *tx, json_t *body, json_t **out, Error *err);
/* PATCH of an incident; regrades and moves the clock when the grade rises. */
int incident_update(Tx *tx, const char *id, json_t *patch, json_t **out, Error *err);
/* Workflow action verify / respond / close (close: body {"evaluation"}). */
int incident_action(Tx *tx, const char *id, const char *action, json_t *body, json_t **out,
                    Error *err);
/* Commander's response level: body {"level": "I".."IV", "reason"?}. */
int incident_set_response_level(Tx *tx, const char *id, json_t *body, json_t **out, Error *err);
/* Appends a timeline row (data borrowed, may be NULL). */
int incident_timeline_add(Tx *tx, long long incident_id, const char *division, const char *kind,
                          const char *text, json_t *data, Error *err);

/* Reports: create (number generated), send (at = send time; 0 = now). */
int incident_report_create(Tx *tx, json_t *body, json_t **out, Error *err);
int incident_report_send(Tx *tx, const char *id, long long at, json_t **out, Error *err);
/* {"total", "late_incidents", "late_reports", "by_grade": [{grade, label, count, late}],
 *  "by_status": {status: n}} inside the actor's jurisdiction. */
int incident_stats(StoreConn *c, Arena *arena, const Actor *actor, json_t **out, Error *err);

/* Loads reference/event_types.csv (path) into event_types in tx; *n rows imported. */
int incident_load_event_types(Tx *tx, const char *path, int *n, Error *err);
#define INCIDENT_EVENT_TYPES_CSV "reference/event_types.csv"

#endif
