/* store/postgres — the PostgreSQL backend: one libpq connection per pooled connection.
 *
 * Owns the libpq side of the storage interface: connecting (UTF-8 client encoding, UTC
 * session time zone, standard-conforming strings, notices silenced), running statements with
 * PQexecParams and text-format parameters, materialising results into the caller's Arena the
 * same way sqlite.c does, and mapping SQLSTATE class 23 (integrity constraint violation) to a
 * 409 conflict.
 *
 * A connection found broken before a statement is reset once (PQreset). If it was inside a
 * transaction when it broke, the statement is refused rather than run on the fresh session,
 * so that a COMMIT can never "succeed" after the transaction's work was lost. A BEGIN that
 * fails because the server went away while the connection sat idle is retried once. */
#include "store/backend.h"
#include "core/log.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from PostgreSQL's catalog (pg_type.dat); stable across versions. */
#define PG_INT8OID 20
#define PG_TEXTOID 25
#define PG_BYTEAOID 17
#define PG_FLOAT8OID 701

typedef struct PgConn {
    PGconn *pg;
    int in_tx; /* last known state: inside a transaction block (or a failed one) */
} PgConn;

/* Parameters converted for PQexecParams: a number needs its text form somewhere to live. */
typedef struct PgParams {
    Oid *types;
    const char **values;
    char (*numbers)[32];
    char **owned; /* bytea parameters in their hex text form, freed with the params */
} PgParams;

static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    log_debug("postgres: %.*s", (int)n, message);
}

/* Copies a libpq message into buf as one line: libpq's messages can span several lines
 * ("FATAL: …\nserver closed the connection unexpectedly\n\tThis probably means …"). */
static const char *trimmed(const char *msg, char *buf, size_t len)
{
    snprintf(buf, len, "%s", msg && *msg ? msg : "unknown PostgreSQL error");
    size_t n = 0;
    for (const char *p = buf; *p; p++) {
        char ch = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
        if (ch == ' ' && (n == 0 || buf[n - 1] == ' '))
            continue;
        buf[n++] = ch;
    }
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = 0;
    return buf;
}

/* Fills err from a failed result (res may be NULL when libpq could not even send). */
static int pg_fail(PgConn *c, const PGresult *res, Error *err)
{
    char buf[480];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *msg = primary ? primary : PQerrorMessage(c->pg);
    int conflict = state && strncmp(state, "23", 2) == 0;
    if (state) {
        char with_state[512];
        snprintf(with_state, sizeof with_state, "%s (SQLSTATE %s)", trimmed(msg, buf, sizeof buf),
                 state);
        return store_error(err, conflict, with_state);
    }
    return store_error(err, 0, trimmed(msg, buf, sizeof buf));
}

/* Session settings every connection needs; run after connecting and after a reset. */
static int pg_setup(PGconn *pg, Error *err)
{
    char buf[480];
    if (PQsetClientEncoding(pg, "UTF8") != 0)
        return error_set(err, 500, "db_open_failed", "数据库初始化失败",
                         "PostgreSQL setup failed: cannot set client_encoding UTF8: %s",
                         trimmed(PQerrorMessage(pg), buf, sizeof buf));
    PGresult *res = PQexec(pg, "SET TIME ZONE 'UTC'; SET standard_conforming_strings = on;"
                               " SET application_name = 'yingji'");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        error_set(err, 500, "db_open_failed", "数据库初始化失败", "PostgreSQL setup failed: %s",
                  trimmed(PQresultErrorMessage(res), buf, sizeof buf));
    PQclear(res);
    return ok ? 0 : -1;
}

static void *pg_connect(const char *url, Error *err)
{
    char buf[480];
    PGconn *pg = PQconnectdb(url);
    if (!pg) {
        error_set(err, 500, "db_open_failed", "无法连接数据库",
                  "cannot connect to PostgreSQL: out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        error_set(err, 500, "db_open_failed", "无法连接数据库", "cannot connect to PostgreSQL: %s",
                  trimmed(PQerrorMessage(pg), buf, sizeof buf));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, pg_notice, NULL);
    if (pg_setup(pg, err) < 0) {
        PQfinish(pg);
        return NULL;
    }
    PgConn *c = xcalloc(1, sizeof *c);
    c->pg = pg;
    return c;
}

static void pg_disconnect(void *native)
{
    PgConn *c = native;
    PQfinish(c->pg);
    free(c);
}

/* Resets a broken connection and restores the session settings. */
static int pg_reconnect(PgConn *c, Error *err)
{
    char buf[480];
    log_warn("postgres: connection lost, reconnecting");
    PQreset(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK)
        return error_set(err, 503, "db_unavailable", "数据库暂时不可用，请稍后重试",
                         "PostgreSQL connection lost and reconnect failed: %s",
                         trimmed(PQerrorMessage(c->pg), buf, sizeof buf));
    return pg_setup(c->pg, err);
}

/* Reconnects once if the connection broke since the last statement. A transaction that was
 * open on the broken session is gone: the statement is refused (except ROLLBACK, which has
 * nothing left to do) so the caller sees the failure instead of running outside it. */
static int pg_ensure(PgConn *c, const char *sql, Error *err)
{
    if (PQstatus(c->pg) == CONNECTION_OK)
        return 0;
    if (pg_reconnect(c, err) < 0)
        return -1;
    int was_in_tx = c->in_tx;
    c->in_tx = 0;
    if (was_in_tx && strcmp(sql, "ROLLBACK") != 0)
        return error_set(err, 503, "db_unavailable", "数据库连接中断，事务未完成，请重试",
                         "PostgreSQL connection lost during a transaction; it was rolled back");
    return 0;
}

/* Remembers whether the session is inside a transaction. While the connection is broken
 * libpq reports PQTRANS_UNKNOWN: the last known state is kept so pg_ensure can refuse. */
static void pg_track_tx(PgConn *c)
{
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts != PQTRANS_UNKNOWN)
        c->in_tx = ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
}

static void pg_params_free(PgParams *p)
{
    free(p->types);
    free(p->values);
    free(p->numbers);
    for (int i = 0; p->owned && p->owned[i]; i++)
        free(p->owned[i]);
    free(p->owned);
}

/* bytea's text input form: \x followed by two hex digits per byte. */
static char *bytea_hex(const unsigned char *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *out = xmalloc(2 * n + 3), *o = out;
    *o++ = '\\';
    *o++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *o++ = digits[b[i] >> 4];
        *o++ = digits[b[i] & 15];
    }
    *o = 0;
    return out;
}

/* True when "$n" occurs in sql as a whole placeholder (not as a prefix of "$n0"). */
static int uses_param(const char *sql, int n)
{
    char name[16];
    int len = snprintf(name, sizeof name, "$%d", n);
    for (const char *p = strstr(sql, name); p; p = strstr(p + 1, name))
        if (p[len] < '0' || p[len] > '9')
            return 1;
    return 0;
}

/* A double as PostgreSQL's float8 input reads it, exactly (17 significant digits). */
static void format_real(char *out, size_t len, double r)
{
    if (isnan(r))
        snprintf(out, len, "NaN");
    else if (isinf(r))
        snprintf(out, len, "%s", r > 0 ? "Infinity" : "-Infinity");
    else
        snprintf(out, len, "%.17g", r);
}

/* Text-format parameters with explicit types. A NULL is left untyped so the server infers
 * its type from the context, except when the statement never mentions it (the SQLite
 * backend ignores unused parameters; PostgreSQL cannot infer a type for them). */
static void pg_params_init(PgParams *p, const char *sql, const DbValue *params, int nparams)
{
    size_t n = nparams > 0 ? (size_t)nparams : 1;
    p->types = xcalloc(n, sizeof *p->types);
    p->values = xcalloc(n, sizeof *p->values);
    p->numbers = xcalloc(n, sizeof *p->numbers);
    p->owned = NULL;
    int nowned = 0;
    for (int i = 0; i < nparams; i++) {
        switch (params[i].type) {
        case DB_INT:
            p->types[i] = PG_INT8OID;
            snprintf(p->numbers[i], sizeof p->numbers[i], "%lld", (long long)params[i].i);
            p->values[i] = p->numbers[i];
            break;
        case DB_REAL:
            p->types[i] = PG_FLOAT8OID;
            format_real(p->numbers[i], sizeof p->numbers[i], params[i].r);
            p->values[i] = p->numbers[i];
            break;
        case DB_TEXT:
            p->types[i] = PG_TEXTOID;
            p->values[i] = params[i].s;
            break;
        case DB_BLOB:
            if (!p->owned)
                p->owned = xcalloc(n + 1, sizeof *p->owned);
            p->types[i] = PG_BYTEAOID;
            p->owned[nowned] = bytea_hex((const unsigned char *)params[i].s, (size_t)params[i].i);
            p->values[i] = p->owned[nowned++];
            break;
        default:
            p->types[i] = uses_param(sql, i + 1) ? 0 : PG_TEXTOID;
            p->values[i] = NULL;
        }
    }
}

static int pg_succeeded(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static PGresult *pg_run_once(PgConn *c, const char *sql, const DbValue *params, int nparams)
{
    PgParams p;
    pg_params_init(&p, sql, params, nparams);
    PGresult *res = PQexecParams(c->pg, sql, nparams, p.types, p.values, NULL, NULL, 0);
    pg_params_free(&p);
    if (!res)
        res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
    pg_track_tx(c);
    return res;
}

/* Runs one statement; returns its result (free with PQclear). A BEGIN that finds the server
 * gone (e.g. restarted while this connection sat idle in the pool) is retried once on a fresh
 * session: nothing was started yet, so repeating it is safe. */
static PGresult *pg_run(PgConn *c, const char *sql, const DbValue *params, int nparams)
{
    int was_in_tx = c->in_tx;
    PGresult *res = pg_run_once(c, sql, params, nparams);
    if (pg_succeeded(res) || PQstatus(c->pg) != CONNECTION_BAD || was_in_tx ||
        strcmp(sql, "BEGIN") != 0)
        return res;
    Error ignored = ERROR_INIT;
    if (pg_reconnect(c, &ignored) == 0) {
        PQclear(res);
        res = pg_run_once(c, sql, params, nparams);
    }
    error_clear(&ignored);
    return res;
}

static int pg_exec(void *native, const char *sql, const DbValue *params, int nparams,
                   int64_t *affected, Error *err)
{
    PgConn *c = native;
    if (pg_ensure(c, sql, err) < 0)
        return -1;
    PGresult *res = pg_run(c, sql, params, nparams);
    int rc = 0;
    if (!pg_succeeded(res))
        rc = pg_fail(c, res, err);
    else if (affected)
        *affected = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return rc;
}

/* Copies a tuples result into arena: column names, then cells row-major, NULL for NULL. */
static void pg_materialise(const PGresult *res, Arena *arena, DbRows *out)
{
    int nrows = PQntuples(res), ncols = PQnfields(res);
    out->nrows = nrows;
    out->ncols = ncols;
    out->names = arena_alloc(arena, sizeof(char *) * (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++)
        out->names[i] = arena_strdup(arena, PQfname(res, i));
    size_t ncells = (size_t)nrows * (size_t)ncols;
    out->cells = arena_alloc(arena, sizeof(char *) * (ncells ? ncells : 1));
    out->sizes = arena_alloc(arena, sizeof(size_t) * (ncells ? ncells : 1));
    for (int r = 0; r < nrows; r++)
        for (int i = 0; i < ncols; i++) {
            size_t at = (size_t)r * (size_t)ncols + (size_t)i;
            out->sizes[at] = PQgetisnull(res, r, i) ? 0 : (size_t)PQgetlength(res, r, i);
            out->cells[at] = PQgetisnull(res, r, i)
                                 ? NULL
                                 : arena_strndup(arena, PQgetvalue(res, r, i), out->sizes[at]);
        }
}

static int pg_query(void *native, Arena *arena, const char *sql, const DbValue *params, int nparams,
                    DbRows *out, Error *err)
{
    PgConn *c = native;
    memset(out, 0, sizeof *out);
    if (pg_ensure(c, sql, err) < 0)
        return -1;
    PGresult *res = pg_run(c, sql, params, nparams);
    int rc = 0;
    if (!pg_succeeded(res))
        rc = pg_fail(c, res, err);
    else
        pg_materialise(res, arena, out);
    PQclear(res);
    return rc;
}

static int pg_exec_script(void *native, const char *sql, Error *err)
{
    PgConn *c = native;
    if (pg_ensure(c, sql, err) < 0)
        return -1;
    PGresult *res = PQexec(c->pg, sql);
    if (!res)
        res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
    pg_track_tx(c);
    int rc = pg_succeeded(res) ? 0 : pg_fail(c, res, err);
    PQclear(res);
    return rc;
}

/* Reads results until libpq has none left for the current query (pipeline mode returns a
 * NULL after each). */
static void pg_drain_query(PgConn *c)
{
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL)
        PQclear(res);
}

/* Reads the answers of one pipeline segment: n results (each followed by a NULL), then the
 * sync. The first error is kept in err (later statements come back PGRES_PIPELINE_ABORTED). */
static int pg_read_segment(PgConn *c, int n, int64_t *affected, int rc, Error *err)
{
    for (int i = 0; i < n; i++) {
        PGresult *res = PQgetResult(c->pg);
        if (!res)
            res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
        if (rc == 0 && !pg_succeeded(res))
            rc = pg_fail(c, res, err);
        else if (rc == 0 && affected)
            affected[i] = strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        pg_drain_query(c);
    }
    PGresult *sync = PQgetResult(c->pg); /* PGRES_PIPELINE_SYNC */
    if (!sync && rc == 0)
        rc = pg_fail(c, NULL, err);
    PQclear(sync);
    return rc;
}

/* Pipeline mode: the statement is prepared once and the rows are sent in segments of
 * PG_SEGMENT without waiting for each answer, one sync per segment; the answers are read in
 * order. A round trip per segment instead of one per row; segments keep both sides'
 * socket buffers from filling up (libpq's warning about blocking pipelines). */
#define PG_SEGMENT 1000
static int pg_exec_many(void *native, const char *sql, const DbValue *rows, int nparams, int nrows,
                        int64_t *affected_each, Error *err)
{
    PgConn *c = native;
    if (pg_ensure(c, sql, err) < 0)
        return -1;
    if (!PQenterPipelineMode(c->pg))
        return pg_fail(c, NULL, err);
    PgParams first;
    pg_params_init(&first, sql, rows, nparams);
    int rc = 0;
    if (!PQsendPrepare(c->pg, "", sql, nparams, first.types) || !PQpipelineSync(c->pg))
        rc = pg_fail(c, NULL, err);
    pg_params_free(&first);
    if (rc == 0)
        rc = pg_read_segment(c, 1, NULL, 0, err);
    for (int from = 0; rc == 0 && from < nrows; from += PG_SEGMENT) {
        int n = nrows - from < PG_SEGMENT ? nrows - from : PG_SEGMENT;
        int sent = 0;
        for (; sent < n; sent++) {
            PgParams p;
            pg_params_init(&p, sql, rows + (size_t)(from + sent) * (size_t)nparams, nparams);
            int ok = PQsendQueryPrepared(c->pg, "", nparams, p.values, NULL, NULL, 0);
            pg_params_free(&p);
            if (!ok)
                break;
        }
        if (sent < n || !PQpipelineSync(c->pg)) {
            rc = pg_fail(c, NULL, err);
            break;
        }
        rc = pg_read_segment(c, n, affected_each ? affected_each + from : NULL, rc, err);
    }
    PQexitPipelineMode(c->pg);
    pg_track_tx(c);
    return rc;
}

const StoreOps store_postgres_ops = {
    .dialect = DIALECT_POSTGRES,
    .begin_sql = "BEGIN",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .query = pg_query,
    .exec_script = pg_exec_script,
    .exec_many = pg_exec_many,
};
