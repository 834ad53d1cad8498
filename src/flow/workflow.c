/* flow/workflow — the one state-machine engine.
 *
 * Table and column names come only from the static Workflow declaration, never from input.
 * A workflow table must have an `updated_at` TEXT column (every entity-engine table has
 * one): each step sets it to the step's time.
 *
 * Record keys are passed as text. SQLite compares them through the column's affinity; on
 * PostgreSQL an integer key column needs an integer parameter, so the key column's type is
 * looked up once in pg_attribute and cached per table. */
#include "flow/workflow.h"
#include "core/clock.h"
#include "core/log.h"
#include "flow/audit.h"
#include "flow/scheduler.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_TYPE_CACHE 128

/* ---- record key binding ----------------------------------------------------------------- */

typedef struct KeyType {
    char table[64], column[64];
    int is_int;
} KeyType;

static pthread_mutex_t key_types_lock = PTHREAD_MUTEX_INITIALIZER;
static KeyType key_types[KEY_TYPE_CACHE];
static int nkey_types;

/* 1 int, 0 not int, -1 not cached. */
static int cached_key_type(const Workflow *wf)
{
    int found = -1;
    pthread_mutex_lock(&key_types_lock);
    for (int i = 0; i < nkey_types && found < 0; i++)
        if (strcmp(key_types[i].table, wf->table) == 0 &&
            strcmp(key_types[i].column, wf->key_column) == 0)
            found = key_types[i].is_int;
    pthread_mutex_unlock(&key_types_lock);
    return found;
}

static void cache_key_type(const Workflow *wf, int is_int)
{
    pthread_mutex_lock(&key_types_lock);
    if (nkey_types < KEY_TYPE_CACHE) {
        KeyType *k = &key_types[nkey_types++];
        snprintf(k->table, sizeof k->table, "%s", wf->table);
        snprintf(k->column, sizeof k->column, "%s", wf->key_column);
        k->is_int = is_int;
    }
    pthread_mutex_unlock(&key_types_lock);
}

/* PostgreSQL only: whether the key column is an integer type. */
static int pg_key_is_int(Tx *tx, const Workflow *wf, int *is_int, Error *err)
{
    int cached = cached_key_type(wf);
    if (cached >= 0) {
        *is_int = cached;
        return 0;
    }
    DbRows rows;
    DbValue p[] = {db_text(wf->table), db_text(wf->key_column)};
    if (store_query(tx->conn, tx->arena,
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                    " WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
                    p, 2, &rows, err) < 0)
        return -1;
    if (rows.nrows != 1)
        return error_internal(err, "workflow key column not found");
    const char *type = db_cell(&rows, 0, 0);
    *is_int = strcmp(type, "bigint") == 0 || strcmp(type, "integer") == 0 ||
              strcmp(type, "smallint") == 0;
    cache_key_type(wf, *is_int);
    return 0;
}

/* The key as a parameter for `<key_column> = $n`; returns 1 when the key cannot exist
 * (non-numeric key for an integer column), 0 bound, -1 error. */
static int bind_key(Tx *tx, const Workflow *wf, const char *key, DbValue *out, Error *err)
{
    int is_int = 0;
    if (conn_dialect(tx->conn) == DIALECT_POSTGRES && pg_key_is_int(tx, wf, &is_int, err) < 0)
        return -1;
    if (!is_int) {
        *out = db_text(key);
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(key, &end, 10);
    if (!*key || *end || errno)
        return 1;
    *out = db_int(v);
    return 0;
}

/* ---- steps ------------------------------------------------------------------------------ */

typedef struct Record {
    DbValue key;
    const char *state;
    const char *division; /* NULL when the workflow has no jurisdiction column */
} Record;

/* Loads (and on PostgreSQL locks) the record inside the actor's jurisdiction. */
static int load_record(Tx *tx, const Workflow *wf, const char *key, Record *rec, Error *err)
{
    int b = bind_key(tx, wf, key, &rec->key, err);
    if (b != 0)
        return b < 0 ? -1 : error_not_found(err);
    const char *sql =
        arena_printf(tx->arena, "SELECT %s, %s FROM %s WHERE %s = $1%s", wf->state_column,
                     wf->division_column ? wf->division_column : "NULL", wf->table, wf->key_column,
                     conn_dialect(tx->conn) == DIALECT_POSTGRES ? " FOR UPDATE" : "");
    DbRows rows;
    if (store_query(tx->conn, tx->arena, sql, &rec->key, 1, &rows, err) < 0)
        return -1;
    if (rows.nrows == 0)
        return error_not_found(err);
    rec->state = db_cell(&rows, 0, 0) ? db_cell(&rows, 0, 0) : "";
    rec->division = db_cell(&rows, 0, 1);
    if (wf->division_column && !actor_covers(tx->actor, rec->division))
        return error_not_found(err);
    return 0;
}

static int from_matches(const Transition *t, const char *state)
{
    return strcmp(t->from, "*") == 0 || strcmp(t->from, state) == 0;
}

/* The transition for (state, action) the actor's role allows; 409 when the state has no
 * such action, 403 when it has but not for this role. */
static const Transition *find_transition(const Workflow *wf, const char *state, const char *action,
                                         const Actor *actor, Error *err)
{
    int exists = 0;
    for (const Transition *t = wf->transitions; t->from; t++) {
        if (!from_matches(t, state) || strcmp(t->action, action) != 0)
            continue;
        if (t->roles & actor->role)
            return t;
        exists = 1;
    }
    if (exists)
        error_forbidden(err);
    else
        error_setf(err, 409, "invalid_transition", "当前状态（%s）下不能执行“%s”操作",
                   "state '%s' does not allow action '%s'", state, action);
    return NULL;
}

static int blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

static int input_present(json_t *input, const char *name)
{
    json_t *v = json_is_object(input) ? json_object_get(input, name) : NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v))
        return !blank(json_string_value(v));
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return 1;
}

static int check_inputs(const Transition *t, json_t *input, Error *err)
{
    int missing = 0;
    for (const char *const *name = t->required_inputs; name && *name; name++) {
        if (input_present(input, *name))
            continue;
        if (!missing)
            error_set(err, 422, "validation_failed", "请填写必填内容",
                      "required input missing for action '%s'", t->action);
        error_field(err, *name, "必填");
        missing++;
    }
    return missing ? -1 : 0;
}

static int update_state(Tx *tx, const Workflow *wf, const Record *rec, const char *to,
                        const char *now, Error *err)
{
    const char *sql =
        arena_printf(tx->arena, "UPDATE %s SET %s = $1, updated_at = $2 WHERE %s = $3", wf->table,
                     wf->state_column, wf->key_column);
    DbValue p[] = {db_text(to), db_text(now), rec->key};
    return store_exec(tx->conn, sql, p, 3, NULL, err);
}

static int add_history(Tx *tx, const Workflow *wf, const char *key, const char *from,
                       const Transition *t, json_t *input, const char *now, Error *err)
{
    char *text = input ? json_dumps(input, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    DbValue p[] = {db_text(wf->table),
                   db_text(key),
                   db_text(from),
                   db_text(t->to),
                   db_text(t->action),
                   db_int(tx->actor->user_id),
                   db_text(tx->actor->username ? tx->actor->username : ""),
                   db_text(now),
                   db_text(text)};
    int rc = store_exec(tx->conn,
                        "INSERT INTO workflow_history(entity, record_key, from_state, to_state,"
                        " action, actor_id, actor_name, at, input_json)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        p, 9, NULL, err);
    free(text);
    return rc;
}

static int audit_step(Tx *tx, const Workflow *wf, const char *key, const Record *rec,
                      const Transition *t, json_t *input, Error *err)
{
    json_t *before = json_pack("{s:s}", "state", rec->state);
    json_t *after = json_pack("{s:s}", "state", t->to);
    if (input)
        json_object_set(after, "input", input);
    int rc = audit_record(tx, t->action, wf->table, key, rec->division, before, after, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

static const char *deadline_key(Tx *tx, const Workflow *wf, const char *key)
{
    return arena_printf(tx->arena, "%s:%s:deadline", wf->table, key);
}

/* PostgreSQL: locks the record's deadline job (if any) before the record itself. The
 * scheduler locks a job and then, in its handler, the record; taking the locks in the same
 * order here keeps a step racing its own deadline from deadlocking. */
static int lock_deadline_job(Tx *tx, const Workflow *wf, const char *key, Error *err)
{
    if (conn_dialect(tx->conn) != DIALECT_POSTGRES)
        return 0;
    DbRows rows;
    DbValue p[] = {db_text(deadline_key(tx, wf, key))};
    return store_query(tx->conn, tx->arena,
                       "SELECT key FROM scheduler_jobs WHERE key = $1 FOR UPDATE", p, 1, &rows,
                       err);
}

/* Cancels the previous state's deadline job and schedules the new state's, if any. */
static int reschedule_deadline(Tx *tx, const Workflow *wf, const char *key, const Transition *t,
                               Error *err)
{
    const char *job_key = deadline_key(tx, wf, key);
    if (scheduler_cancel(tx, job_key, err) < 0)
        return -1;
    if (t->deadline_seconds <= 0)
        return 0;
    const char *kind = arena_printf(tx->arena, "%s.deadline", wf->table);
    json_t *payload = json_pack("{s:s, s:s}", "key", key, "state", t->to);
    int rc = scheduler_set(tx, kind, job_key, clock_now() + t->deadline_seconds, payload, err);
    json_decref(payload);
    return rc;
}

int workflow_apply(Tx *tx, const Workflow *wf, const char *key, const char *action, json_t *input,
                   const char **new_state, Error *err)
{
    Record rec;
    char now[32];
    if (!key || !*key)
        return error_not_found(err);
    if (lock_deadline_job(tx, wf, key, err) < 0 || load_record(tx, wf, key, &rec, err) < 0)
        return -1;
    const Transition *t = find_transition(wf, rec.state, action, tx->actor, err);
    if (!t || check_inputs(t, input, err) < 0)
        return -1;
    clock_format_iso(clock_now(), now, sizeof now);
    if (update_state(tx, wf, &rec, t->to, now, err) < 0 ||
        add_history(tx, wf, key, rec.state, t, input, now, err) < 0 ||
        reschedule_deadline(tx, wf, key, t, err) < 0 ||
        audit_step(tx, wf, key, &rec, t, input, err) < 0) /* last: it locks the chain */
        return -1;
    tx_event(tx, wf->table, key, action, rec.division);
    if (new_state)
        *new_state = arena_strdup(tx->arena, t->to);
    return 0;
}

json_t *workflow_actions(const Workflow *wf, const char *state, const Actor *actor)
{
    json_t *out = json_array();
    for (const Transition *t = wf->transitions; t->from; t++) {
        if (!from_matches(t, state) || !(t->roles & actor->role))
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "action", t->action, "label",
                                             t->label_zh ? t->label_zh : t->action, "to", t->to));
    }
    return out;
}

json_t *workflow_history_json(StoreConn *c, Arena *arena, const char *table, const char *key,
                              Error *err)
{
    DbRows rows;
    DbValue p[] = {db_text(table), db_text(key)};
    if (store_query(c, arena,
                    "SELECT from_state, to_state, action, actor_name, at, input_json"
                    " FROM workflow_history WHERE entity = $1 AND record_key = $2 ORDER BY id",
                    p, 2, &rows, err) < 0)
        return NULL;
    json_t *out = json_array();
    for (int i = 0; i < rows.nrows; i++) {
        json_t *in = db_cell(&rows, i, 5) ? json_loads(db_cell(&rows, i, 5), 0, NULL) : NULL;
        json_array_append_new(out,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "from",
                                        db_cell(&rows, i, 0), "to", db_cell(&rows, i, 1), "action",
                                        db_cell(&rows, i, 2), "by", db_cell(&rows, i, 3), "at",
                                        db_cell(&rows, i, 4), "input", in ? in : json_null()));
    }
    return out;
}
