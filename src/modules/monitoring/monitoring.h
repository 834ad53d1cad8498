/* modules/monitoring — monitoring points, sensors, readings and graded early warnings
 * (监测预警, SPEC C3). The platform's hot path: sensors never stop, and a missed or late
 * warning costs lives.
 *
 * Owns the tables
 *   monitor_points    监测点: code, name, kind, division_code, lon/lat, owner (enterprise or
 *                     department), responsible person and account; status (正常 / 蓝黄橙红
 *                     预警 / 掉线) kept by the engine — the map layer's colour.
 *   monitor_gateways  接入网关/设备: code, name, division_code, key hash (the key itself is
 *                     shown once, at creation or rotation), enabled.
 *   monitor_sensors   传感器: code (the id a gateway sends), point, gateway, type (雨量, 水位,
 *                     GNSS 位移, 浸润线, 干滩长度, 坝体位移, 可燃气体, 有毒气体, 温度, 烟感 …),
 *                     unit, expected interval, state (在线 / 掉线 / 维护 / 停用), last reading.
 *   monitor_rules     预警规则: per sensor type for a division, or per point (an override of
 *                     the same kind and window); kind, direction, window, thresholds by level,
 *                     hysteresis, hold time; combo rules name their member rules.
 *   monitor_advice    防控建议模板 per sensor type and level.
 *   monitor_warnings  监测预警: point, sensor, rule, level (current and highest), state
 *                     (active / closed), value, advice, times, acknowledgement.
 *   monitor_warning_events  every raise / escalate / de-escalate / close with the readings
 *                     that caused it.
 *   monitor_readings  (sensor_id, ts) -> value: the raw series, kept `retention` days.
 *   monitor_rollup    hourly count/sum/min/max/last per sensor: the downsampled history.
 *   monitor_notices   in-app delivery of warnings to the responsible people.
 *
 * Promises
 *   - A reading is acknowledged only after the transaction holding it committed
 *     (synchronous=FULL on SQLite): an acknowledged reading is never lost. A batch is stored
 *     in transactions of at most MON_TX_CHUNK (1 000) readings, the engine given up between
 *     them so a single urgent reading never waits behind a whole stream; the answer comes
 *     after the last one. A batch that fails part-way may be partly stored: its resend finds
 *     those readings as duplicates.
 *   - (sensor, ts) is unique: a duplicate keeps the first value and is counted, never
 *     evaluated twice; late and out-of-order readings are stored and folded into the windows
 *     in ts order; the rules are evaluated at the sensor's latest event time (rules.h).
 *   - At most one active warning per (rule, sensor) — a unique index, so a replayed stream
 *     after a crash never raises a warning twice. Each level change is in the transaction of
 *     the readings that cause it, with
 *     its event row, audit entry, SSE change event and outbox messages: "monitoring.notify"
 *     per responsible person (id monitor:warning:<id>:<level>:user:<uid>), delivered in-app
 *     by this module; and "monitoring.publish" when the level reaches the publication level
 *     (default orange, YINGJI_WARNING_PUBLISH_LEVEL) — the hand-off to warning publication
 *     (C4), consumed by that module.
 *   - No-data (掉线): a scheduler job scans every minute (wall clock, clock_now()) for sensors
 *     silent longer than their nodata rule; they turn 掉线 and raise its warning; the next
 *     reading closes it.
 *   - Retention: a scheduler job every 5 minutes rolls raw readings up by hour (every hour not
 *     final yet, and older hours the ingest marked as having received late readings) and
 *     deletes raw readings older than the retention
 *     (YINGJI_READING_RETENTION_DAYS, default 90); roll-ups are kept.
 *
 * Ingest (POST /api/v1/readings, and MQTT in mqtt.c) authenticates a gateway by
 * "CODE:KEY" — the X-Gateway-Key header, or in the body (JSON "auth", line format
 * "@auth CODE:KEY"). Formats:
 *   JSON  {"auth"?: "GW:KEY", "batch"?: "id", "readings": [{"sensor": "RG-001",
 *          "ts": "2026-11-23T10:00:00Z" | 1795428000000 (Unix ms), "value": 12.5}, …]}
 *   lines text/plain, one reading per line "SENSOR VALUE [TS_MS]" (spaces or tabs; TS
 *          defaults to the arrival time); blank lines and lines starting with '#' are skipped;
 *          optional header lines "@auth GW:KEY" and "@batch ID" before the first reading.
 * A malformed body (bad JSON, a line that does not parse, a non-finite value) refuses the
 * whole batch with 400 and stores nothing. Readings of unknown sensors, of sensors of
 * another gateway, of sensors 停用, more than 5 minutes in the future or older than the
 * retention are rejected one by one (listed in the answer, with index and reason) and the
 * rest is stored: a gateway never loses good readings because one sensor was retired.
 * Answer: 200 {"batch", "accepted", "duplicates", "rejected": [{"index", "sensor",
 * "code", "message", "message_en"}], "warnings": [{"id", "point_id", "sensor_id", "rule_id",
 * "action", "level"}]}; 401 bad key; 413 more than 100 000 readings.
 *
 * Routes (besides the entity routes of the tables above)
 *   POST /api/v1/readings                               gateway key (public route)
 *   GET  /api/v1/monitor-sensors/:id/readings?from=&to=&resolution=raw|hour  → {sensor,
 *        resolution, points: [[ts, value]] (raw) | [[ts, avg, min, max, n]] (hour),
 *        thresholds: [{rule_id, kind, level, value}], warnings: [{id, level, started_at,
 *        closed_at}]}; resolution defaults to raw for ranges up to 2 days.
 *   GET  /api/v1/monitor-live?point_id=                 latest value and time per sensor
 *        (in memory, within the jurisdiction)
 *   GET  /api/v1/monitor-board                          active warnings with their point and
 *        advice, counts by level, point counts by status
 *   GET  /api/v1/monitor-warnings/:id/events            the warning's changes with readings
 *   POST /api/v1/monitor-warnings/:id/ack {note?}       签收 (duty officer, commander, admin)
 *   POST /api/v1/monitor-gateways/:id/rotate-key {}     → {key: "CODE:KEY"} shown once
 *   GET  /api/v1/monitor-notices/mine, POST /api/v1/monitor-notices/:id/read
 *
 * Memory: the engine (engine.c) keeps, per sensor, its registry row, a window of recent
 * samples long enough for its longest rule, and one RuleState per rule; it is loaded at
 * start, refreshed when a registry row changes, and owned by this module. */
#ifndef YJ_MODULES_MONITORING_H
#define YJ_MODULES_MONITORING_H

#include "modules/module.h"
#include "model/entity.h"

#include <jansson.h>

extern const Module monitoring_module;

extern const Entity monitor_points_entity;
extern const Entity monitor_gateways_entity;
extern const Entity monitor_sensors_entity;
extern const Entity monitor_rules_entity;
extern const Entity monitor_advice_entity;
extern const Entity monitor_warnings_entity;
extern const Entity monitor_notices_entity;

typedef enum { INGEST_JSON, INGEST_LINES } IngestFormat;

/* Authenticates auth ("CODE:KEY"; NULL: taken from the body), parses body, stores the
 * readings (transactions of up to 1 000), evaluates the rules and writes the warning changes
 * in the same transactions, commits, then returns 0 with *result (new reference; the answer
 * described above). -1 with err: 400 malformed, 401 bad key, 413 too large, 500 store.
 * expect_gateway (may be NULL): the gateway code the caller already knows (MQTT topic);
 * a different authenticated gateway is refused with 401. Thread-safe. */
int monitoring_ingest(Store *store, const char *auth, const char *expect_gateway, const char *body,
                      size_t len, IngestFormat fmt, json_t **result, Error *err);

/* MQTT (mqtt.c): subscribes to yingji/readings/+ on the broker at host:port (as the shared
 * subscription $share/yingji/yingji/readings/+, so several instances split the batches), feeds
 * every message to monitoring_ingest (format by its first byte: '{' JSON, else lines) with the
 * topic's gateway code, and publishes the answer — after the commit — to
 * yingji/acks/<gateway> (QoS 1). That answer, not the MQTT PUBACK, is the durable
 * acknowledgement: a gateway resends a batch until it sees it. Reconnects by itself.
 * start returns -1 with err when the client cannot be created; stop is a no-op when not
 * started. */
int monitoring_mqtt_start(Store *store, const char *host_port, Error *err);
void monitoring_mqtt_stop(void);

#endif
