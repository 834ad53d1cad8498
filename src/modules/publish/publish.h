/* modules/publish — warning publication and 叫应 (acknowledgement) (SPEC C4): a warning
 * reaches every responsible person in its area within 30 minutes, and every one of them
 * answers or is chased (backup, then a door-to-door visit). docs/publish.md is the reference.
 *
 * Owns the tables
 *   publish_warnings    预警信息: CAP fields (identifier, msg type, level 红橙黄蓝 ↔ severity,
 *                       event and GB/T 35561 code, headline/description/instruction zh-CN and
 *                       optional en-US), the area (target division codes, GeoJSON polygons,
 *                       circles), effective/expires, state draft → review → approved → issued
 *                       → cancelled | superseded, the update chain (references_id), the source
 *                       monitoring warning, the issued CAP XML, issue and last-answer times.
 *   publish_people      责任人名录: name, phone, role (乡镇领导 村干部 网格员 信息员 企业安全员
 *                       风险点责任人), division code, location, backup (AB岗), visiting grid
 *                       member, user account, preferred channels.
 *   publish_specials    特殊群体: name, kind (老人 残疾人 其他), division, location, address,
 *                       carer.
 *   publish_targets     one row per warning × recipient: the send state and the 叫应 state
 *                       (queued → sent → delivered → answered; escalation none → backup →
 *                       visit | covered), the answer deadline, answer time and channel.
 *   publish_deliveries  one row per target × channel: idempotency key (unique), outcome,
 *                       provider id, receipt status and time.
 *   publish_visits      上门提醒: target, visitor (grid member or carer), state open → done,
 *                       note, visited_at, recorded_by.
 *   publish_secret      the random key (libsodium) answer-link tokens are MACs under.
 *
 * Promises
 *   - Every workflow step is one transaction with its audit entry and history (flow/workflow);
 *     issuing also resolves the recipients and queues every one of them (outbox batches of
 *     their ids) in that same transaction: a crash before the commit leaves a warning that was
 *     never issued, after it every recipient is queued.
 *   - Sending (outbox topic "publish.send", one message per batch of PUB_BATCH recipients, which
 *     writes their target rows once — at issue already for up to PUB_ROWS_AT_ISSUE): each
 *     target × channel is sent with the idempotency key "warn:<warning>:<target>:<channel>";
 *     a delivery recorded as sent/failed is never sent again; one sent but not yet recorded
 *     (crash between send and commit) is sent again with the same key, which the spool and
 *     the providers drop. Retry with the outbox's backoff for channels that answer RETRY.
 *   - Cancel builds the CAP Cancel message (references the issued one; cancel_cap_xml) and
 *     sends a notice ("publish.cancel") once to every target the warning reached.
 *   - Emergency broadcast (应急广播): one "publish.broadcast" message per broadcast channel and
 *     target area at issue, sent once (key "warn:<warning>:area:<code>:<channel>").
 *   - 叫应: a target that needs an answer and has none by its deadline (YINGJI_ACK_MINUTES,
 *     default 10) gets its backup (AB岗) targeted and sent to; if neither answers within
 *     another period a visit task goes to the person's grid member. Special-group members
 *     always get a visit task for their carer, written with their target row. The sweep job
 *     "publish.sweep" runs every 30 s over all due targets in bulk.
 *   - Answers are idempotent (the first answer's time and channel are kept) and come from the
 *     link (/api/v1/publish/ack/<token>, token = MAC of the target id), an SMS reply keyword
 *     (callback authenticated by the channel's callback_secret), a call keypress receipt, or
 *     the app (the person's own account).
 *   - The monitoring hand-off (outbox "monitoring.publish") opens one prefilled draft per
 *     message (outbox_seen), never issues.
 *
 * Configuration: YINGJI_CHANNELS (channel file, docs/channels.md; none: one spool channel
 * "file" in $YINGJI_DATA_DIR/spool), YINGJI_ACK_MINUTES, YINGJI_PUBLIC_URL (answer links),
 * YINGJI_CAP_SENDER (CAP sender), YINGJI_CAP_UNIT (14-digit issuing-unit code).
 *
 * Memory: returned JSON is owned by the caller; the channel set and the directory cache are
 * owned by the module (pub_set_channels takes ownership). */
#ifndef YJ_MODULES_PUBLISH_H
#define YJ_MODULES_PUBLISH_H

#include "model/entity.h"
#include "modules/module.h"
#include "modules/publish/channel.h"

extern const Module publish_module;

extern const Entity publish_warnings_entity;
extern const Entity publish_people_entity;
extern const Entity publish_specials_entity;
extern const Entity publish_targets_entity;
extern const Entity publish_deliveries_entity;
extern const Entity publish_visits_entity;

/* Replaces the module's channel set (owned from now on; NULL: the default spool). */
void pub_set_channels(ChannelSet *set);

#endif
