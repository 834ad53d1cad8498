/* flow/audit — the append-only, hash-chained record of every change (审计日志).
 *
 * audit_record() appends one entry in the caller's transaction: who (actor), when, action,
 * entity, record key, the record before and after (JSON, secrets already removed by the
 * caller). Each entry stores prev_hash and hash = SHA-256(prev_hash | canonical entry), so
 * any edit or deletion of an earlier entry breaks the chain. Appends are serialised through
 * a one-row chain head locked in the transaction (SQLite: the write lock; PostgreSQL:
 * SELECT … FOR UPDATE), so concurrent writers produce one linear chain.
 *
 * audit_verify() walks the chain and reports the first broken link. The audit table is
 * never updated or deleted by the platform; PostgreSQL and SQLite triggers refuse it. */
#ifndef YJ_FLOW_AUDIT_H
#define YJ_FLOW_AUDIT_H

#include "flow/tx.h"

#include <jansson.h>

/* before/after are borrowed and may be NULL (create/delete); stored as canonical JSON.
 * division_code is the record's jurisdiction (NULL = deployment-wide): audit views show an
 * administrator only the entries inside their jurisdiction. */
int audit_record(Tx *tx, const char *action, const char *entity, const char *key,
                 const char *division_code, json_t *before, json_t *after, Error *err);

typedef struct AuditVerify {
    int64_t checked;   /* entries checked */
    int64_t broken_id; /* first bad entry id; 0 when the chain is intact */
    char reason[256];
} AuditVerify;

int audit_verify(StoreConn *conn, AuditVerify *out, Error *err);

/* Migrations of the flow layer (audit, outbox, scheduler, workflow history). */
int flow_migrate(Store *store, Error *err);

#endif
