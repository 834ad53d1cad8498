/* flow/audit — hash-chained audit log, and the flow layer's migrations.
 *
 * Entry hash. Each entry's hash is the lowercase hex SHA-256 of its fields joined by "|",
 * each field written as its length in bytes, ":" and its bytes (so no text can move from one
 * field into the next without changing the hash):
 *
 *     prev_hash | id | at | actor_id | actor_name | action | entity | record_key |
 *     before_json | after_json
 *
 * id and actor_id in decimal, at as stored ("YYYY-MM-DDTHH:MM:SSZ"), before/after as the
 * stored canonical JSON (compact, sorted keys) or "" when NULL. The first entry's prev_hash
 * is 64 zeros. The chain head (audit_head, one row) holds the last id and hash; appends lock
 * it, so ids are dense (1, 2, 3, …) and a deleted entry shows as a gap. */
#include "flow/audit.h"
#include "core/clock.h"
#include "core/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_HEX 65 /* 64 hex digits + NUL */
#define VERIFY_PAGE 1000

static const char genesis_hash[HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* ---- migrations ------------------------------------------------------------------------ */

static const char audit_sqlite[] =
    "CREATE TABLE audit_log ("
    " id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor_id INTEGER NOT NULL,"
    " actor_name TEXT NOT NULL, action TEXT NOT NULL, entity TEXT NOT NULL,"
    " record_key TEXT NOT NULL, division_code TEXT, before_json TEXT, after_json TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_log_record ON audit_log(entity, record_key);"
    "CREATE INDEX audit_log_actor ON audit_log(actor_id);"
    "CREATE INDEX audit_log_division ON audit_log(division_code);"
    "CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " last_id INTEGER NOT NULL, last_hash TEXT NOT NULL);"
    "INSERT INTO audit_head(id, last_id, last_hash) VALUES (1, 0, "
    "'0000000000000000000000000000000000000000000000000000000000000000');"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;";

static const char audit_postgres[] =
    "CREATE TABLE audit_log ("
    " id BIGINT PRIMARY KEY, at TEXT NOT NULL, actor_id BIGINT NOT NULL,"
    " actor_name TEXT NOT NULL, action TEXT NOT NULL, entity TEXT NOT NULL,"
    " record_key TEXT NOT NULL, division_code TEXT, before_json TEXT, after_json TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_log_record ON audit_log(entity, record_key);"
    "CREATE INDEX audit_log_actor ON audit_log(actor_id);"
    "CREATE INDEX audit_log_division ON audit_log(division_code);"
    "CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " last_id BIGINT NOT NULL, last_hash TEXT NOT NULL);"
    "INSERT INTO audit_head(id, last_id, last_hash) VALUES (1, 0, "
    "'0000000000000000000000000000000000000000000000000000000000000000');"
    "CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'restrict_violation';"
    " END $$;"
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();"
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();";

/* Times are ISO-8601 UTC text, which orders correctly as text. */
static const char outbox_sql[] =
    "CREATE TABLE outbox ("
    " id TEXT PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL,"
    " created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at TEXT NOT NULL, delivered_at TEXT, last_error TEXT);"
    "CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE delivered_at IS NULL;"
    "CREATE TABLE outbox_seen ("
    " consumer TEXT NOT NULL, id TEXT NOT NULL, seen_at TEXT NOT NULL,"
    " PRIMARY KEY (consumer, id));";

static const char scheduler_sql[] =
    "CREATE TABLE scheduler_jobs ("
    " key TEXT PRIMARY KEY, kind TEXT NOT NULL, due_at TEXT NOT NULL,"
    " payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
    "CREATE INDEX scheduler_jobs_due ON scheduler_jobs(due_at);";

static const char history_sqlite[] =
    "CREATE TABLE workflow_history ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL, record_key TEXT NOT NULL,"
    " from_state TEXT NOT NULL, to_state TEXT NOT NULL, action TEXT NOT NULL,"
    " actor_id INTEGER NOT NULL, actor_name TEXT NOT NULL, at TEXT NOT NULL, input_json TEXT);"
    "CREATE INDEX workflow_history_record ON workflow_history(entity, record_key);";

static const char history_postgres[] =
    "CREATE TABLE workflow_history ("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, entity TEXT NOT NULL,"
    " record_key TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,"
    " action TEXT NOT NULL, actor_id BIGINT NOT NULL, actor_name TEXT NOT NULL,"
    " at TEXT NOT NULL, input_json TEXT);"
    "CREATE INDEX workflow_history_record ON workflow_history(entity, record_key);";

static const Migration flow_steps[] = {
    {1, "audit log and chain head", audit_sqlite, audit_postgres, NULL},
    {2, "outbox", outbox_sql, outbox_sql, NULL},
    {3, "scheduler jobs", scheduler_sql, scheduler_sql, NULL},
    {4, "workflow history", history_sqlite, history_postgres, NULL},
};

int flow_migrate(Store *store, Error *err)
{
    return store_migrate(store, "flow", flow_steps, (int)(sizeof flow_steps / sizeof flow_steps[0]),
                         err);
}

/* ---- hashing ---------------------------------------------------------------------------- */

typedef struct AuditEntry {
    int64_t id;
    const char *at;
    int64_t actor_id;
    const char *actor_name;
    const char *action;
    const char *entity;
    const char *key;
    const char *division; /* jurisdiction of the record, or NULL */
    const char *before;   /* canonical JSON or NULL */
    const char *after;
    const char *prev_hash;
} AuditEntry;

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void)
{
    if (sodium_init() < 0) {
        log_error("libsodium failed to initialise");
        abort();
    }
}

static void hash_field(crypto_hash_sha256_state *st, const char *s, int first)
{
    char len[32];
    size_t n = s ? strlen(s) : 0;
    int w = snprintf(len, sizeof len, "%s%zu:", first ? "" : "|", n);
    crypto_hash_sha256_update(st, (const unsigned char *)len, (unsigned long long)w);
    if (n)
        crypto_hash_sha256_update(st, (const unsigned char *)s, n);
}

static void hash_int_field(crypto_hash_sha256_state *st, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    hash_field(st, num, 0);
}

/* Writes the entry's hex hash (HASH_HEX bytes) into out. */
static void entry_hash(const AuditEntry *e, char out[HASH_HEX])
{
    pthread_once(&sodium_once, sodium_setup);
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    hash_field(&st, e->prev_hash, 1);
    hash_int_field(&st, e->id);
    hash_field(&st, e->at, 0);
    hash_int_field(&st, e->actor_id);
    hash_field(&st, e->actor_name, 0);
    hash_field(&st, e->action, 0);
    hash_field(&st, e->entity, 0);
    hash_field(&st, e->key, 0);
    hash_field(&st, e->division, 0);
    hash_field(&st, e->before, 0);
    hash_field(&st, e->after, 0);
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, HASH_HEX, digest, sizeof digest);
}

/* Canonical JSON text in the arena, or NULL for NULL. */
static const char *canonical_json(Arena *arena, json_t *v)
{
    if (!v)
        return NULL;
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s) {
        log_error("audit: JSON value cannot be serialised");
        abort();
    }
    char *copy = arena_strdup(arena, s);
    free(s);
    return copy;
}

/* ---- append ----------------------------------------------------------------------------- */

/* Reads (and on PostgreSQL locks) the chain head. */
static int lock_head(Tx *tx, int64_t *last_id, char last_hash[HASH_HEX], Error *err)
{
    const char *sql = conn_dialect(tx->conn) == DIALECT_POSTGRES
                          ? "SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE"
                          : "SELECT last_id, last_hash FROM audit_head WHERE id = 1";
    DbRows rows;
    if (store_query(tx->conn, tx->arena, sql, NULL, 0, &rows, err) < 0)
        return -1;
    if (rows.nrows != 1 || !db_cell(&rows, 0, 0) || !db_cell(&rows, 0, 1))
        return error_internal(err, "audit_head row missing (run flow_migrate)");
    *last_id = strtoll(db_cell(&rows, 0, 0), NULL, 10);
    snprintf(last_hash, HASH_HEX, "%s", db_cell(&rows, 0, 1));
    return 0;
}

static int insert_entry(Tx *tx, const AuditEntry *e, const char *hash, Error *err)
{
    DbValue p[] = {db_int(e->id),          db_text(e->at),        db_int(e->actor_id),
                   db_text(e->actor_name), db_text(e->action),    db_text(e->entity),
                   db_text(e->key),        db_text(e->division),  db_text(e->before),
                   db_text(e->after),      db_text(e->prev_hash), db_text(hash)};
    return store_exec(tx->conn,
                      "INSERT INTO audit_log(id, at, actor_id, actor_name, action, entity,"
                      " record_key, division_code, before_json, after_json, prev_hash, hash)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                      p, 12, NULL, err);
}

static int advance_head(Tx *tx, int64_t id, const char *hash, Error *err)
{
    DbValue p[] = {db_int(id), db_text(hash)};
    return store_exec(tx->conn, "UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1",
                      p, 2, NULL, err);
}

int audit_record(Tx *tx, const char *action, const char *entity, const char *key,
                 const char *division_code, json_t *before, json_t *after, Error *err)
{
    int64_t last_id = 0;
    char prev[HASH_HEX], hash[HASH_HEX], at[32];
    if (lock_head(tx, &last_id, prev, err) < 0)
        return -1;
    clock_format_iso(clock_now(), at, sizeof at);
    AuditEntry e = {
        .id = last_id + 1,
        .at = at,
        .actor_id = tx->actor->user_id,
        .actor_name = tx->actor->username ? tx->actor->username : "",
        .action = action,
        .entity = entity,
        .key = key ? key : "",
        .division = division_code && *division_code ? division_code : NULL,
        .before = canonical_json(tx->arena, before),
        .after = canonical_json(tx->arena, after),
        .prev_hash = prev,
    };
    entry_hash(&e, hash);
    if (insert_entry(tx, &e, hash, err) < 0)
        return -1;
    return advance_head(tx, e.id, hash, err);
}

/* ---- verification ----------------------------------------------------------------------- */

typedef struct Walk {
    int64_t last_id;          /* id of the last entry checked (0 before the first) */
    char last_hash[HASH_HEX]; /* its hash (genesis before the first) */
} Walk;

static int broken(AuditVerify *out, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int broken(AuditVerify *out, int64_t id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out->broken_id = id;
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    return 1;
}

static int read_head(StoreConn *conn, int64_t *last_id, char last_hash[HASH_HEX], Error *err)
{
    Arena a = ARENA_INIT;
    DbRows rows;
    int rc = store_query(conn, &a, "SELECT last_id, last_hash FROM audit_head WHERE id = 1", NULL,
                         0, &rows, err);
    if (rc == 0 && (rows.nrows != 1 || !db_cell(&rows, 0, 0) || !db_cell(&rows, 0, 1)))
        rc = error_internal(err, "audit_head row missing (run flow_migrate)");
    if (rc == 0) {
        *last_id = strtoll(db_cell(&rows, 0, 0), NULL, 10);
        snprintf(last_hash, HASH_HEX, "%s", db_cell(&rows, 0, 1));
    }
    arena_free(&a);
    return rc;
}

/* A NOT NULL cell, read defensively ("" if someone altered the schema). */
static const char *cell(const DbRows *r, int row, int col)
{
    const char *v = db_cell(r, row, col);
    return v ? v : "";
}

/* Checks one row against the walk so far; returns 1 when broken, 0 when fine. */
static int check_row(const DbRows *r, int row, Walk *w, AuditVerify *out)
{
    AuditEntry e = {
        .id = strtoll(cell(r, row, 0), NULL, 10),
        .at = cell(r, row, 1),
        .actor_id = strtoll(cell(r, row, 2), NULL, 10),
        .actor_name = cell(r, row, 3),
        .action = cell(r, row, 4),
        .entity = cell(r, row, 5),
        .key = cell(r, row, 6),
        .division = db_cell(r, row, 7),
        .before = db_cell(r, row, 8), /* NULL = no record (create/delete) */
        .after = db_cell(r, row, 9),
        .prev_hash = cell(r, row, 10),
    };
    const char *stored = cell(r, row, 11);
    char hash[HASH_HEX];
    if (e.id != w->last_id + 1)
        return broken(out, w->last_id + 1,
                      "entry %" PRId64 " is missing (next entry is %" PRId64 ")", w->last_id + 1,
                      e.id);
    if (strcmp(e.prev_hash, w->last_hash) != 0)
        return broken(out, e.id, "entry %" PRId64 " does not link to entry %" PRId64, e.id,
                      w->last_id);
    entry_hash(&e, hash);
    if (strcmp(hash, stored) != 0)
        return broken(out, e.id, "entry %" PRId64 " was altered (hash mismatch)", e.id);
    w->last_id = e.id;
    snprintf(w->last_hash, HASH_HEX, "%s", stored);
    out->checked++;
    return 0;
}

/* Checks one page of entries after w->last_id up to head_id; *n gets the row count.
 * Returns -1 on store error, 1 when broken, 0 when fine. */
static int check_page(StoreConn *conn, Walk *w, int64_t head_id, AuditVerify *out, int *n,
                      Error *err)
{
    Arena a = ARENA_INIT;
    DbRows rows;
    DbValue p[] = {db_int(w->last_id), db_int(head_id), db_int(VERIFY_PAGE)};
    int rc = store_query(conn, &a,
                         "SELECT id, at, actor_id, actor_name, action, entity, record_key,"
                         " division_code, before_json, after_json, prev_hash, hash FROM audit_log"
                         " WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
                         p, 3, &rows, err);
    *n = rc == 0 ? rows.nrows : 0;
    for (int i = 0; rc == 0 && i < rows.nrows; i++)
        rc = check_row(&rows, i, w, out);
    arena_free(&a);
    return rc;
}

/* After the walk: entries appended outside the chain head (max id beyond the head). */
static int check_beyond_head(StoreConn *conn, AuditVerify *out, Error *err)
{
    int64_t max_id = 0, head_id = 0;
    char head_hash[HASH_HEX];
    /* max first, head second: a legitimate append commits its row and the head together,
     * so the head read later can never be behind a legitimate max. */
    int q = store_query_int(conn, "SELECT max(id) FROM audit_log", NULL, 0, &max_id, err);
    if (q < 0)
        return -1;
    if (read_head(conn, &head_id, head_hash, err) < 0)
        return -1;
    if (q == 0 && max_id > head_id)
        return broken(out, head_id + 1,
                      "entry %" PRId64 " lies beyond the chain head (last id %" PRId64 ")",
                      head_id + 1, head_id);
    return 0;
}

int audit_verify(StoreConn *conn, AuditVerify *out, Error *err)
{
    memset(out, 0, sizeof *out);
    Walk w = {0, {0}};
    memcpy(w.last_hash, genesis_hash, HASH_HEX);
    int64_t head_id = 0;
    char head_hash[HASH_HEX];
    if (read_head(conn, &head_id, head_hash, err) < 0)
        return -1;
    int rc = 0, n = VERIFY_PAGE;
    while (rc == 0 && w.last_id < head_id && n > 0)
        rc = check_page(conn, &w, head_id, out, &n, err);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return 0;
    if (w.last_id < head_id) {
        broken(out, w.last_id + 1,
               "entries %" PRId64 "-%" PRId64 " are missing (the chain head says %" PRId64 ")",
               w.last_id + 1, head_id, head_id);
        return 0;
    }
    if (strcmp(w.last_hash, head_hash) != 0) {
        broken(out, head_id, "entry %" PRId64 " does not match the chain head", head_id);
        return 0;
    }
    return check_beyond_head(conn, out, err) < 0 ? -1 : 0;
}
