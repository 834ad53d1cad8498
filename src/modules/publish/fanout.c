/* modules/publish/fanout — issuing a warning: targeting, the durable queue, the sender,
 * answers.
 *
 * Targeting. The directory (publish_people, publish_specials: id, division code, lon/lat) is
 * kept in memory, loaded on first use and again after a committed change to either table
 * (change events; a bulk load that bypasses the engine calls pub_directory_reset). A recipient
 * is targeted when its division code starts with one of the warning's target divisions OR
 * its location is covered by the warning's polygons/circles (geo_area_filter, boundary
 * inside), and in every case its division lies inside the warning's own division_code.
 *
 * Enqueue. The issue transaction writes one outbox message "publish.send" per PUB_BATCH
 * recipients, holding their ids ({warning_id, kind person|special, ids, due, at}): 1M
 * recipients = 1 000 outbox rows of ~8 KB, durable with the issue, instead of 1M rows and
 * their indexes inside it. The first delivery of a message writes its target rows in one
 * set-based INSERT … SELECT … RETURNING (outbox_seen "publish.materialise" makes it once: a
 * repeat finds the rows by (warning_id, person_id)) with the answer deadline of the issue
 * ("due"), and the special groups' visit tasks; then it sends them. Backups added by the
 * sweep are rows already and are queued as id ranges. A warning of at most PUB_ROWS_AT_ISSUE
 * recipients (a county's usual one) has its rows written in the issue transaction itself, so
 * its board is complete at once; its messages then only send.
 *
 * The range queries write "+warning_id" so that no planner prefers the warning's index (all
 * its rows, growing with the fan-out) to the id range of the batch.
 *
 * Sending (pub_send_range, the outbox handler's body). No transaction is open while a channel
 * is called (a slow gateway never holds the write lock); the results of up to
 * PUB_RECORD_MS (100 ms) of sends are then recorded in one transaction: a publish_deliveries row
 * per target × channel (unique idempotency key, INSERT … ON CONFLICT DO NOTHING) and the target's
 * state. Before sending, the keys already recorded for the range are read: those are never
 * sent again. A crash after a send and before its record resends it with the same key.
 *
 * Answer-link tokens: "<target id in hex>-<24 hex digits>", the digits a keyed BLAKE2b MAC
 * of the id under a random 32-byte key made once per deployment (libsodium randombytes,
 * publish_secret). Nothing per target is stored or indexed, which keeps the enqueue lean;
 * a forged token fails the constant-time comparison. */
#include "modules/publish/publish_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "flow/audit.h"
#include "flow/events.h"
#include "flow/outbox.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDS_PER_STATEMENT PUB_BATCH /* ids per outbox message */

/* ---- the token key ------------------------------------------------------------------------ */

static unsigned char token_key[crypto_generichash_KEYBYTES];
static int token_key_loaded;

int pub_secret_load(Store *store, Error *err)
{
    StoreConn *c = store_acquire(store);
    Arena arena = ARENA_INIT;
    unsigned char k[crypto_generichash_KEYBYTES];
    char hex[2 * sizeof k + 1];
    randombytes_buf(k, sizeof k);
    sodium_bin2hex(hex, sizeof hex, k, sizeof k);
    DbValue p[] = {db_text(hex)};
    DbRows rows;
    int rc = store_exec(c,
                        "INSERT INTO publish_secret (id, token_key) VALUES (1, $1) ON CONFLICT"
                        " (id) DO NOTHING",
                        p, 1, NULL, err);
    if (rc == 0)
        rc = store_query(c, &arena, "SELECT token_key FROM publish_secret WHERE id = 1", NULL, 0,
                         &rows, err);
    if (rc == 0 && rows.nrows == 1 &&
        sodium_hex2bin(token_key, sizeof token_key, db_cell(&rows, 0, 0),
                       strlen(db_cell(&rows, 0, 0)), NULL, NULL, NULL) == 0)
        token_key_loaded = 1;
    else if (rc == 0)
        rc = error_internal(err, "publish_secret holds no usable key");
    arena_free(&arena);
    store_release(store, c);
    return rc;
}

static void mac_hex(int64_t id, char out[25])
{
    char msg[24];
    unsigned char mac[12];
    int n = snprintf(msg, sizeof msg, "%lld", (long long)id);
    crypto_generichash(mac, sizeof mac, (const unsigned char *)msg, (size_t)n, token_key,
                       sizeof token_key);
    sodium_bin2hex(out, 25, mac, sizeof mac);
}

void pub_token(int64_t target_id, char out[PUB_TOKEN_LEN + 1])
{
    char mac[25];
    mac_hex(target_id, mac);
    snprintf(out, PUB_TOKEN_LEN + 1, "%llx-%s", (unsigned long long)target_id, mac);
}

int pub_token_target(const char *token, int64_t *target_id)
{
    if (!token_key_loaded || !token || strlen(token) > PUB_TOKEN_LEN)
        return -1;
    char *end;
    unsigned long long id = strtoull(token, &end, 16);
    if (end == token || *end != '-' || strlen(end + 1) != 24 || id == 0 || id > INT64_MAX)
        return -1;
    char mac[25];
    mac_hex((int64_t)id, mac);
    if (sodium_memcmp(mac, end + 1, 24) != 0)
        return -1;
    *target_id = (int64_t)id;
    return 0;
}

/* ---- the directory cache ------------------------------------------------------------------ */

typedef struct Dir {
    size_t n, cap;
    int64_t *ids;
    double *lon, *lat;
    char (*div)[13];
} Dir;

static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;
static Dir dir_people, dir_specials;
static int dir_loaded;
static EventSub *dir_sub;

static void dir_clear(Dir *d)
{
    free(d->ids);
    free(d->lon);
    free(d->lat);
    free(d->div);
    memset(d, 0, sizeof *d);
}

void pub_directory_reset(void)
{
    pthread_mutex_lock(&dir_lock);
    dir_clear(&dir_people);
    dir_clear(&dir_specials);
    dir_loaded = 0;
    if (dir_sub) {
        events_unsubscribe(dir_sub);
        dir_sub = NULL;
    }
    pthread_mutex_unlock(&dir_lock);
}

static void dir_push(Dir *d, int64_t id, const char *div, const char *lon, const char *lat)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->ids = xrealloc(d->ids, sizeof *d->ids * d->cap);
        d->lon = xrealloc(d->lon, sizeof *d->lon * d->cap);
        d->lat = xrealloc(d->lat, sizeof *d->lat * d->cap);
        d->div = xrealloc(d->div, sizeof *d->div * d->cap);
    }
    d->ids[d->n] = id;
    d->lon[d->n] = lon ? atof(lon) : NAN;
    d->lat[d->n] = lat ? atof(lat) : NAN;
    snprintf(d->div[d->n], sizeof d->div[0], "%s", div ? div : "");
    d->n++;
}

/* Reads a directory table in pages of 100 000 rows (by id). */
static int dir_load(StoreConn *c, const char *sql, Dir *d, Error *err)
{
    int64_t after = 0;
    for (;;) {
        Arena arena = ARENA_INIT;
        DbRows rows;
        DbValue p[] = {db_int(after)};
        if (store_query(c, &arena, sql, p, 1, &rows, err) < 0) {
            arena_free(&arena);
            return -1;
        }
        for (int i = 0; i < rows.nrows; i++) {
            after = atoll(db_cell(&rows, i, 0));
            dir_push(d, after, db_cell(&rows, i, 1), db_cell(&rows, i, 2), db_cell(&rows, i, 3));
        }
        int n = rows.nrows;
        arena_free(&arena);
        if (n < 100000)
            return 0;
    }
}

/* Brings the cache up to date; call with dir_lock held. */
static int dir_refresh(StoreConn *c, Error *err)
{
    if (dir_sub) {
        ChangeEvent ev[256];
        size_t n;
        int resync = 0;
        while ((n = events_poll(dir_sub, ev, 256, &resync)) > 0 || resync) {
            for (size_t i = 0; i < n; i++)
                if (strcmp(ev[i].entity, "publish_people") == 0 ||
                    strcmp(ev[i].entity, "publish_specials") == 0)
                    dir_loaded = 0;
            if (resync)
                dir_loaded = 0;
            resync = 0;
            if (n == 0)
                break;
        }
    } else {
        dir_sub = events_subscribe();
        dir_loaded = 0;
    }
    if (dir_loaded)
        return 0;
    dir_clear(&dir_people);
    dir_clear(&dir_specials);
    if (dir_load(c,
                 "SELECT id, division_code, lon, lat FROM publish_people WHERE id > $1 AND active"
                 " = 1 ORDER BY id LIMIT 100000",
                 &dir_people, err) < 0 ||
        dir_load(c,
                 "SELECT id, division_code, lon, lat FROM publish_specials WHERE id > $1 ORDER BY"
                 " id LIMIT 100000",
                 &dir_specials, err) < 0) {
        dir_clear(&dir_people);
        dir_clear(&dir_specials);
        return -1;
    }
    dir_loaded = 1;
    return 0;
}

/* ---- resolve ------------------------------------------------------------------------------ */

static int div_matches(const char *div, json_t *targets)
{
    size_t i;
    json_t *v;
    json_array_foreach(targets, i, v)
    {
        const char *t = json_string_value(v);
        if (t && strncmp(div, t, strlen(t)) == 0)
            return 1;
    }
    return 0;
}

/* The ids of d targeted by the warning, as a new JSON array per IDS_PER_STATEMENT ids
 * (appended to chunks). */
static size_t resolve(const Dir *d, json_t *targets, const GeoArea *area, const char *own,
                      json_t *chunks)
{
    uint8_t *hit = xcalloc(d->n ? d->n : 1, 1);
    if (area && d->n)
        geo_area_filter(area, d->lon, d->lat, d->n, hit, 0);
    size_t own_len = strlen(own), count = 0;
    json_t *cur = NULL;
    for (size_t i = 0; i < d->n; i++) {
        if (strncmp(d->div[i], own, own_len) != 0)
            continue;
        if (!hit[i] && !(targets && div_matches(d->div[i], targets)))
            continue;
        if (!cur || json_array_size(cur) == IDS_PER_STATEMENT) {
            cur = json_array();
            json_array_append_new(chunks, cur);
        }
        json_array_append_new(cur, json_integer(d->ids[i]));
        count++;
    }
    free(hit);
    return count;
}

static const char *ids_in(const StoreConn *c)
{
    return conn_dialect(c) == DIALECT_POSTGRES
               ? "(SELECT (jsonb_array_elements_text($4::jsonb))::bigint)"
               : "(SELECT value FROM json_each($4))";
}

/* A batch's target rows, written by its first delivery (outbox_seen keeps it to once). */
static const char insert_people[] =
    "INSERT INTO publish_targets (warning_id, kind, person_id, name, phone, role, division_code,"
    " needs_ack, state, escalation, due_at, help, created_at, updated_at) SELECT $1, 'person',"
    " p.id, p.name, p.phone, p.role, p.division_code, 1, 'queued', 'none', $2, 0, $3, $3 FROM"
    " publish_people p WHERE p.id IN %s ORDER BY p.id RETURNING id";

static const char insert_specials[] =
    "INSERT INTO publish_targets (warning_id, kind, special_id, name, phone, role, division_code,"
    " needs_ack, state, escalation, due_at, help, created_at, updated_at) SELECT $1, 'special',"
    " s.id, s.name, s.phone, s.kind, s.division_code, 0, 'queued', 'none', $2, 0, $3, $3 FROM"
    " publish_specials s WHERE s.id IN %s ORDER BY s.id RETURNING id";

/* 上门提醒 for every targeted special-group member, to their carer (ids: the new targets). */
static const char insert_special_visits[] =
    "INSERT INTO publish_visits (warning_id, target_id, reason, subject_name, address,"
    " visitor_id, visitor_name, visitor_phone, state, division_code, created_at, updated_at)"
    " SELECT t.warning_id, t.id, 'special', s.name, s.address, c.id, c.name, c.phone, 'open',"
    " s.division_code, $3, $3 FROM publish_targets t JOIN publish_specials s ON s.id ="
    " t.special_id LEFT JOIN publish_people c ON c.id = s.carer_id WHERE t.id IN %s AND"
    " t.warning_id = $1 AND $2 = $2";

static const char batch_range_people[] =
    "SELECT MIN(id), MAX(id) FROM publish_targets WHERE warning_id = $1 AND $2 = $2 AND $3 = $3"
    " AND person_id IN %s";
static const char batch_range_specials[] =
    "SELECT MIN(id), MAX(id) FROM publish_targets WHERE warning_id = $1 AND $2 = $2 AND $3 = $3"
    " AND kind = 'special' AND special_id IN %s";

int pub_enqueue(Tx *tx, int64_t wid, int64_t from, int64_t to, Error *err)
{
    for (int64_t a = from; a <= to; a += PUB_BATCH) {
        int64_t b = a + PUB_BATCH - 1 < to ? a + PUB_BATCH - 1 : to;
        char id[96];
        snprintf(id, sizeof id, "publish:send:%lld:t%lld", (long long)wid, (long long)a);
        json_t *p = json_pack("{s:I, s:I, s:I}", "warning_id", (json_int_t)wid, "from",
                              (json_int_t)a, "to", (json_int_t)b);
        int rc = outbox_put(tx, id, "publish.send", p, err);
        json_decref(p);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int materialise(Tx *tx, const char *msg_id, json_t *p, int64_t *from, int64_t *to,
                       Error *err);

int64_t pub_rows_at_issue = PUB_ROWS_AT_ISSUE;

/* One outbox message per chunk of ids: {warning_id, kind, ids, due, at}; with write_now the
 * target rows too (the message then finds them written and only sends). */
static int put_batches(Tx *tx, int64_t wid, const char *kind, json_t *chunks, const char *due,
                       const char *now, int write_now, Error *err)
{
    size_t i;
    json_t *ids;
    json_array_foreach(chunks, i, ids)
    {
        char id[96];
        snprintf(id, sizeof id, "publish:send:%lld:%c%lld", (long long)wid, kind[0],
                 (long long)json_integer_value(json_array_get(ids, 0)));
        json_t *p = json_pack("{s:I, s:s, s:O, s:s, s:s}", "warning_id", (json_int_t)wid, "kind",
                              kind, "ids", ids, "due", due, "at", now);
        int rc = outbox_put(tx, id, "publish.send", p, err);
        int64_t from, to;
        if (rc == 0 && write_now)
            rc = materialise(tx, id, p, &from, &to, err);
        json_decref(p);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Resolves the recipients of an issued warning w (a JSON row) and queues them in tx. */
static int fan_out(Tx *tx, json_t *w, int64_t *count, Error *err)
{
    int64_t wid = pub_json_int(w, "id");
    GeoArea *area = NULL;
    if (pub_area_of(w, &area, err) < 0)
        return -1;
    json_t *targets = json_object_get(w, "target_divisions");
    if (!json_is_array(targets) || !json_array_size(targets))
        targets = NULL;
    if (!area && !targets)
        return error_set(err, 422, "area_required", "请指定预警的目标区划或区域",
                         "the warning needs target divisions or an area");
    const char *own = pub_json_str(w, "division_code");
    json_t *people = json_array(), *specials = json_array();
    pthread_mutex_lock(&dir_lock);
    int rc = dir_refresh(tx->conn, err);
    size_t n = 0;
    if (rc == 0) {
        n = resolve(&dir_people, targets, area, own, people);
        n += resolve(&dir_specials, targets, area, own, specials);
    }
    pthread_mutex_unlock(&dir_lock);
    geo_area_free(area);
    char now[32], due[32];
    clock_format_iso(clock_now(), now, sizeof now);
    clock_format_iso(clock_now() + pub_ack_seconds(), due, sizeof due);
    int now_rows = (int64_t)n <= pub_rows_at_issue; /* small warnings: rows at once */
    if (rc == 0)
        rc = put_batches(tx, wid, "person", people, due, now, now_rows, err);
    if (rc == 0)
        rc = put_batches(tx, wid, "special", specials, due, now, now_rows, err);
    json_decref(people);
    json_decref(specials);
    *count = (int64_t)n;
    return rc;
}

/* The first delivery of a batch writes its target rows (and the special groups' visits);
 * later deliveries of the same message find them. from..to: the batch's target ids. */
static int materialise(Tx *tx, const char *msg_id, json_t *p, int64_t *from, int64_t *to,
                       Error *err)
{
    int64_t wid = pub_json_int(p, "warning_id");
    int special = strcmp(pub_json_str(p, "kind"), "special") == 0;
    char *ids = json_dumps(json_object_get(p, "ids"), JSON_COMPACT);
    DbValue v[] = {db_int(wid), db_text(pub_json_str(p, "due")), db_text(pub_json_str(p, "at")),
                   db_text(ids)};
    DbRows rows;
    *from = 0;
    *to = -1;
    int fresh = outbox_seen(tx->conn, "publish.materialise", msg_id, err), rc = fresh < 0 ? -1 : 0;
    if (fresh == 1) {
        const char *sql =
            arena_printf(tx->arena, special ? insert_specials : insert_people, ids_in(tx->conn));
        rc = store_query(tx->conn, tx->arena, sql, v, 4, &rows, err);
        json_t *made = json_array();
        for (int i = 0; rc == 0 && i < rows.nrows; i++) {
            int64_t id = atoll(db_cell(&rows, i, 0));
            *from = *from && *from < id ? *from : id;
            *to = *to > id ? *to : id;
            json_array_append_new(made, json_integer(id));
        }
        if (rc == 0 && special && rows.nrows) {
            char *mids = json_dumps(made, JSON_COMPACT);
            DbValue vv[] = {v[0], v[1], v[2], db_text(mids)};
            rc = store_exec(tx->conn,
                            arena_printf(tx->arena, insert_special_visits, ids_in(tx->conn)), vv, 4,
                            NULL, err);
            free(mids);
        }
        json_decref(made);
    } else if (fresh == 0) {
        const char *sql = arena_printf(
            tx->arena, special ? batch_range_specials : batch_range_people, ids_in(tx->conn));
        rc = store_query(tx->conn, tx->arena, sql, v, 4, &rows, err);
        if (rc == 0 && rows.nrows && db_cell(&rows, 0, 0)) {
            *from = atoll(db_cell(&rows, 0, 0));
            *to = atoll(db_cell(&rows, 0, 1));
        }
    }
    free(ids);
    return rc;
}

int pub_send_batch(Store *store, const char *msg_id, json_t *p, Error *err)
{
    int64_t wid = pub_json_int(p, "warning_id"), from = 0, to = -1;
    if (json_object_get(p, "from")) /* a range of rows written already (backups) */
        return pub_send_range(store, wid, pub_json_int(p, "from"), pub_json_int(p, "to"), err);
    StoreConn *c = store_acquire(store);
    Arena arena = ARENA_INIT;
    Tx tx;
    int64_t issued = 0;
    int rc = tx_begin(&tx, c, &actor_system, &arena, err);
    if (rc == 0)
        rc = store_query_int(c,
                             "SELECT COUNT(*) FROM publish_warnings WHERE id = $1 AND state ="
                             " 'issued'",
                             (DbValue[]){db_int(wid)}, 1, &issued, err) < 0
                 ? -1
                 : 0;
    if (rc == 0 && issued) /* a cancelled or superseded warning reaches nobody more */
        rc = materialise(&tx, msg_id, p, &from, &to, err);
    if (rc == 0)
        rc = tx_commit(&tx, err);
    else
        tx_rollback(&tx);
    arena_free(&arena);
    store_release(store, c);
    if (rc < 0 || !issued || to < from)
        return rc;
    return pub_send_range(store, wid, from, to, err);
}

/* 应急广播: one message per enabled broadcast channel and target area (the target divisions,
 * else the warning's own division), sent by pub_send_broadcast. */
static int broadcast_enqueue(Tx *tx, json_t *w, Error *err)
{
    const ChannelSet *set = pub_channels();
    int64_t wid = pub_json_int(w, "id");
    json_t *areas = json_object_get(w, "target_divisions");
    json_t *own = json_pack("[s]", pub_json_str(w, "division_code"));
    if (!json_is_array(areas) || !json_array_size(areas))
        areas = own;
    int rc = 0;
    for (size_t c = 0; c < set->n && rc == 0; c++) {
        const Channel *ch = &set->items[c];
        if (ch->kind != CHANNEL_BROADCAST || !ch->enabled)
            continue;
        size_t i;
        json_t *a;
        json_array_foreach(areas, i, a)
        {
            char id[160];
            snprintf(id, sizeof id, "publish:broadcast:%lld:%s:%s", (long long)wid,
                     json_string_value(a), ch->name);
            json_t *p = json_pack("{s:I, s:s, s:O}", "warning_id", (json_int_t)wid, "channel",
                                  ch->name, "area", a);
            rc = outbox_put(tx, id, "publish.broadcast", p, err);
            json_decref(p);
            if (rc < 0)
                break;
        }
    }
    json_decref(own);
    return rc;
}

int pub_issue(Tx *tx, const char *key, json_t *input, int64_t *targets, Error *err)
{
    json_t *w = NULL, *ref = NULL;
    int64_t count = 0;
    int rc = -1;
    if (workflow_apply(tx, &pub_flow, key, "issue", input, NULL, err) < 0)
        return -1;
    if (entity_get(tx->conn, &publish_warnings_entity, &actor_system, key, &w, err) < 0)
        return -1;
    int64_t now = clock_now();
    char ident[32], sent[26], iso[32];
    if (cap_make_identifier(pub_cap_unit(), (time_t)now, (int)(pub_json_int(w, "id") % 10), ident,
                            err) < 0)
        goto out;
    cap_format_time((time_t)now, sent);
    clock_format_iso(now, iso, sizeof iso);
    json_object_set_new(w, "identifier", json_string(ident));
    json_object_set_new(w, "sent_at", json_string(sent));
    int64_t ref_id = pub_json_int(w, "references_id");
    if (ref_id) {
        char rk[24];
        snprintf(rk, sizeof rk, "%lld", (long long)ref_id);
        if (entity_get(tx->conn, &publish_warnings_entity, &actor_system, rk, &ref, err) < 0)
            goto out;
        const char *rs = pub_json_str(ref, "state");
        if (rs && strcmp(rs, "issued") == 0 &&
            workflow_apply(tx, &pub_flow, rk, "supersede", NULL, NULL, err) < 0)
            goto out;
    }
    CapAlert *a = pub_cap_of(w, ref);
    StrBuf xml = STRBUF_INIT;
    int xrc = cap_alert_to_xml(a, &xml, err);
    cap_alert_free(a);
    if (xrc < 0) {
        strbuf_free(&xml);
        goto out;
    }
    if (fan_out(tx, w, &count, err) < 0 || broadcast_enqueue(tx, w, err) < 0) {
        strbuf_free(&xml);
        goto out;
    }
    json_t *set =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "identifier", ident, "sent_at", sent, "cap_xml",
                  strbuf_cstr(&xml), "issued_at", iso, "targets_total", (json_int_t)count);
    strbuf_free(&xml);
    rc = entity_update_internal(tx, &publish_warnings_entity, key, set, err);
    json_decref(set);
    if (targets)
        *targets = count;
out:
    if (rc < 0) { /* the cache may hold rows of this transaction, which rolls back */
        pthread_mutex_lock(&dir_lock);
        dir_loaded = 0;
        pthread_mutex_unlock(&dir_lock);
    }
    json_decref(w);
    json_decref(ref);
    return rc;
}

/* ---- the sender --------------------------------------------------------------------------- */

/* Channels a target gets (docs/publish.md): the person's preferred channels when listed,
 * else every enabled channel of a person-addressed kind (sms, wechat, spool), plus call
 * channels for red warnings and, from orange, for town and village leaders. Broadcast is
 * addressed to areas, not persons. */
static int channel_wanted(const Channel *ch, const char *level, const char *role, json_t *pref)
{
    if (!ch->enabled)
        return 0;
    if (json_is_array(pref) && json_array_size(pref)) {
        size_t i;
        json_t *v;
        json_array_foreach(pref, i, v)
        {
            if (json_is_string(v) && strcmp(json_string_value(v), ch->name) == 0)
                return 1;
        }
        return 0;
    }
    switch (ch->kind) {
    case CHANNEL_SMS:
    case CHANNEL_WECHAT:
    case CHANNEL_SPOOL:
        return 1;
    case CHANNEL_CALL:
        return strcmp(level, "red") == 0 ||
               (strcmp(level, "orange") == 0 && role &&
                (strcmp(role, "town_leader") == 0 || strcmp(role, "village_leader") == 0));
    default:
        return 0;
    }
}

typedef struct SendRec {
    int64_t target_id;
    const char *channel, *key, *outcome, *provider_id, *error, *division;
} SendRec;

typedef struct TargetDone {
    int64_t id;
    const char *state; /* sent / failed, or NULL when some channel must be retried */
} TargetDone;

static int record(Store *store, int64_t wid, const char *wdiv, SendRec *recs, int nrec,
                  TargetDone *done, int ndone, Error *err)
{
    StoreConn *c = store_acquire(store);
    Arena arena = ARENA_INIT;
    Tx tx;
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    int rc = tx_begin(&tx, c, &actor_system, &arena, err);
    if (rc == 0 && nrec) {
        DbValue *rows = arena_alloc(&arena, sizeof *rows * 9 * (size_t)nrec);
        for (int i = 0; i < nrec; i++) {
            DbValue *r = rows + 9 * i;
            r[0] = db_int(wid);
            r[1] = db_int(recs[i].target_id);
            r[2] = db_text(recs[i].channel);
            r[3] = db_text(recs[i].key);
            r[4] = db_text(recs[i].outcome);
            r[5] = db_text(recs[i].provider_id);
            r[6] = db_text(recs[i].error);
            r[7] = db_text(recs[i].division);
            r[8] = db_text(now);
        }
        rc = store_exec_many(c,
                             "INSERT INTO publish_deliveries (warning_id, target_id, channel,"
                             " idem_key, outcome, provider_id, error, division_code, created_at,"
                             " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON"
                             " CONFLICT (idem_key) DO NOTHING",
                             rows, 9, nrec, NULL, err);
    }
    if (rc == 0 && ndone) {
        DbValue *rows = arena_alloc(&arena, sizeof *rows * 3 * (size_t)ndone);
        int n = 0;
        for (int i = 0; i < ndone; i++) {
            if (!done[i].state)
                continue;
            rows[3 * n] = db_int(done[i].id);
            rows[3 * n + 1] = db_text(done[i].state);
            rows[3 * n + 2] = db_text(now);
            n++;
        }
        rc = store_exec_many(c,
                             "UPDATE publish_targets SET state = $2, sent_at = $3, updated_at = $3"
                             " WHERE id = $1 AND state = 'queued'",
                             rows, 3, n, NULL, err);
    }
    if (rc == 0) {
        pub_progress_event(&tx, wid, wdiv);
        rc = tx_commit(&tx, err);
    } else {
        tx_rollback(&tx);
    }
    arena_free(&arena);
    store_release(store, c);
    return rc;
}

/* The range's targets on their channels: the warning (cancel 0: queued targets of an issued
 * warning, keys "warn:…", the target's state follows) or its cancellation (cancel 1: targets
 * the warning reached, of a cancelled warning, keys "cancel:…", states unchanged). */
static int send_range(Store *store, int64_t wid, int64_t from, int64_t to, int cancel, Error *err)
{
    Arena arena = ARENA_INIT;
    StoreConn *c = store_acquire(store);
    DbValue p[] = {db_int(wid), db_int(from), db_int(to)};
    DbRows w, t, k;
    int rc = store_query(c, &arena,
                         "SELECT state, level, headline, description, instruction, division_code"
                         " FROM publish_warnings WHERE id = $1",
                         p, 1, &w, err);
    if (rc == 0 &&
        (w.nrows == 0 || strcmp(db_cell(&w, 0, 0), cancel ? "cancelled" : "issued") != 0)) {
        store_release(store, c); /* cancelled or superseded before sending: nothing to send */
        arena_free(&arena);
        return 0;
    }
    if (rc == 0)
        rc = store_query(c, &arena,
                         cancel ? "SELECT t.id, t.phone, t.role, t.division_code, p.channels"
                                  " FROM publish_targets t LEFT JOIN publish_people p ON p.id ="
                                  " t.person_id WHERE t.id BETWEEN $2 AND $3 AND +t.warning_id ="
                                  " $1 AND t.state IN ('sent', 'delivered', 'answered') ORDER BY"
                                  " t.id"
                                : "SELECT t.id, t.phone, t.role, t.division_code, p.channels"
                                  " FROM publish_targets t LEFT JOIN publish_people p ON p.id ="
                                  " t.person_id WHERE t.id BETWEEN $2 AND $3 AND +t.warning_id ="
                                  " $1 AND t.state = 'queued' ORDER BY t.id",
                         p, 3, &t, err);
    if (rc == 0)
        rc = store_query(c, &arena,
                         "SELECT idem_key FROM publish_deliveries WHERE target_id BETWEEN $2 AND $3"
                         " AND +warning_id = $1",
                         p, 3, &k, err);
    store_release(store, c);
    if (rc < 0) {
        arena_free(&arena);
        return -1;
    }
    json_t *seen = json_object();
    for (int i = 0; i < k.nrows; i++)
        json_object_set_new(seen, db_cell(&k, i, 0), json_true());
    const char *level = db_cell(&w, 0, 1), *wdiv = db_cell(&w, 0, 5);
    const char *instr = db_cell(&w, 0, 4);
    const char *text =
        cancel ? arena_printf(&arena, "【解除】%s已解除，请知悉。", db_cell(&w, 0, 2))
               : arena_printf(&arena, "%s%s%s 回复1确认收到，回复2求助。", db_cell(&w, 0, 3),
                              instr && *instr ? " 防御指南：" : "", instr ? instr : "");
    CapLevel lv = pub_level_of(level);
    int lvl = lv == CAP_LEVEL_RED ? 1 : lv == CAP_LEVEL_ORANGE ? 2 : lv == CAP_LEVEL_YELLOW ? 3 : 4;
    const ChannelSet *set = pub_channels();
    int retry = 0;
    Error last = ERROR_INIT;
    SendRec *recs = arena_alloc(&arena, sizeof *recs * ((size_t)t.nrows * (set->n + 1) + 1));
    TargetDone *done = arena_alloc(&arena, sizeof *done * ((size_t)t.nrows + 1));
    int64_t since = clock_real_now_ms();
    int nrec = 0, ndone = 0;
    for (int i = 0; i < t.nrows && rc == 0; i++) {
        int64_t tid = atoll(db_cell(&t, i, 0));
        const char *phone = db_cell(&t, i, 1), *role = db_cell(&t, i, 2), *div = db_cell(&t, i, 3);
        json_t *pref = db_cell(&t, i, 4) ? json_loads(db_cell(&t, i, 4), 0, NULL) : NULL;
        char token[PUB_TOKEN_LEN + 1];
        pub_token(tid, token);
        const char *ack =
            cancel ? NULL
                   : arena_printf(&arena, "%s/api/v1/publish/ack/%s", pub_public_url(), token);
        int sent = 0, failed = 0, pending = 0;
        for (size_t ci = 0; ci < set->n; ci++) {
            const Channel *ch = &set->items[ci];
            if (!channel_wanted(ch, level, role, pref))
                continue;
            const char *key = arena_printf(&arena, "%s:%lld:%lld:%s", cancel ? "cancel" : "warn",
                                           (long long)wid, (long long)tid, ch->name);
            if (json_object_get(seen, key)) {
                sent++; /* recorded before: never again */
                continue;
            }
            ChannelMessage m = {
                key,  wid, tid, ch->kind == CHANNEL_BROADCAST ? div : phone, db_cell(&w, 0, 2),
                text, ack, lvl};
            ChannelReceipt r;
            Error e2 = ERROR_INIT;
            ChannelOutcome o = channel_send(ch, &m, &r, &e2);
            if (o == CHANNEL_RETRY) {
                pending++;
                error_clear(&last);
                last = e2;
                continue;
            }
            recs[nrec++] = (SendRec){tid,
                                     ch->name,
                                     key,
                                     o == CHANNEL_SENT ? "sent" : "failed",
                                     arena_strdup(&arena, r.provider_id),
                                     o == CHANNEL_SENT ? NULL : arena_strdup(&arena, e2.message_en),
                                     div};
            if (o == CHANNEL_SENT)
                sent++;
            else
                failed++;
            error_clear(&e2);
        }
        json_decref(pref);
        done[ndone++] = (TargetDone){tid, pending ? NULL : sent ? "sent" : "failed"};
        retry |= pending > 0;
        (void)failed;
        /* record what was sent every PUB_RECORD_MS (and at the end): what a crash can make
         * the batch send again, with the same keys */
        if (clock_real_now_ms() - since >= PUB_RECORD_MS || i == t.nrows - 1) {
            since = clock_real_now_ms();
            rc = record(store, wid, wdiv, recs, nrec, done, cancel ? 0 : ndone, err);
            nrec = ndone = 0;
        }
    }
    json_decref(seen);
    arena_free(&arena);
    if (rc == 0 && retry) {
        *err = last;
        return -1;
    }
    error_clear(&last);
    return rc;
}

/* ---- answers ------------------------------------------------------------------------------ */

void pub_progress_event(Tx *tx, int64_t wid, const char *division)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        int64_t wid, last_ms;
    } slots[64];
    int64_t now = clock_real_now_ms();
    pthread_mutex_lock(&lock);
    int s = (int)(wid % 64), fire = slots[s].wid != wid || now - slots[s].last_ms >= 1000;
    if (fire) {
        slots[s].wid = wid;
        slots[s].last_ms = now;
    }
    pthread_mutex_unlock(&lock);
    if (fire) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)wid);
        tx_event(tx, "publish_warnings", key, "progress", division);
    }
}

int pub_answer(Tx *tx, int64_t target_id, const char *channel, int help, Error *err)
{
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    DbValue p[] = {db_int(target_id), db_text(now), db_text(channel), db_int(help ? 1 : 0)};
    int64_t changed = 0;
    if (store_exec(tx->conn,
                   "UPDATE publish_targets SET state = 'answered', answered_at = $2,"
                   " answer_channel = $3, help = $4, updated_at = $2 WHERE id = $1 AND"
                   " answered_at IS NULL",
                   p, 4, &changed, err) < 0)
        return -1;
    if (!changed)
        return 0;
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT t.warning_id, t.division_code, w.division_code FROM publish_targets t"
                    " JOIN publish_warnings w ON w.id = t.warning_id WHERE t.id = $1",
                    p, 1, &rows, err) < 0)
        return -1;
    int64_t wid = atoll(db_cell(&rows, 0, 0));
    DbValue q[] = {db_int(wid), db_text(now)};
    if (store_exec(tx->conn,
                   "UPDATE publish_warnings SET last_answer_at = $2 WHERE id = $1 AND"
                   " (last_answer_at IS NULL OR last_answer_at < $2)",
                   q, 2, NULL, err) < 0)
        return -1;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)target_id);
    json_t *after =
        json_pack("{s:s, s:s, s:b}", "state", "answered", "channel", channel, "help", help);
    int rc =
        audit_record(tx, "answer", "publish_targets", key, db_cell(&rows, 0, 1), NULL, after, err);
    json_decref(after);
    if (rc < 0)
        return -1;
    pub_progress_event(tx, wid, db_cell(&rows, 0, 2));
    return 1;
}

int pub_send_broadcast(Store *store, json_t *p, Error *err)
{
    int64_t wid = pub_json_int(p, "warning_id");
    const char *area = pub_json_str(p, "area");
    const Channel *ch = channels_find(pub_channels(), pub_json_str(p, "channel"));
    if (!ch || !area)
        return 0; /* the channel left the configuration: nothing to do */
    Arena arena = ARENA_INIT;
    StoreConn *c = store_acquire(store);
    const char *key = arena_printf(&arena, "warn:%lld:area:%s:%s", (long long)wid, area, ch->name);
    DbRows w;
    int64_t seen = 0;
    int rc = store_query(c, &arena,
                         "SELECT state, level, headline, description, instruction, division_code"
                         " FROM publish_warnings WHERE id = $1",
                         (DbValue[]){db_int(wid)}, 1, &w, err);
    if (rc == 0)
        rc = store_query_int(c, "SELECT COUNT(*) FROM publish_deliveries WHERE idem_key = $1",
                             (DbValue[]){db_text(key)}, 1, &seen, err) < 0
                 ? -1
                 : 0;
    store_release(store, c);
    if (rc < 0 || !w.nrows || seen || strcmp(db_cell(&w, 0, 0), "issued") != 0) {
        arena_free(&arena);
        return rc;
    }
    CapLevel lv = pub_level_of(db_cell(&w, 0, 1));
    int lvl = lv == CAP_LEVEL_RED ? 1 : lv == CAP_LEVEL_ORANGE ? 2 : lv == CAP_LEVEL_YELLOW ? 3 : 4;
    const char *instr = db_cell(&w, 0, 4);
    const char *text = arena_printf(&arena, "%s%s%s", db_cell(&w, 0, 3),
                                    instr && *instr ? " 防御指南：" : "", instr ? instr : "");
    ChannelMessage m = {key, wid, 0, area, db_cell(&w, 0, 2), text, NULL, lvl};
    ChannelReceipt r;
    Error e2 = ERROR_INIT;
    ChannelOutcome o = channel_send(ch, &m, &r, &e2);
    if (o == CHANNEL_RETRY) {
        *err = e2;
        arena_free(&arena);
        return -1;
    }
    SendRec rec = {0,
                   ch->name,
                   key,
                   o == CHANNEL_SENT ? "sent" : "failed",
                   arena_strdup(&arena, r.provider_id),
                   o == CHANNEL_SENT ? NULL : arena_strdup(&arena, e2.message_en),
                   area};
    error_clear(&e2);
    rc = record(store, wid, db_cell(&w, 0, 5), &rec, 1, NULL, 0, err);
    arena_free(&arena);
    return rc;
}

int pub_send_range(Store *store, int64_t wid, int64_t from, int64_t to, Error *err)
{
    return send_range(store, wid, from, to, 0, err);
}

int pub_send_cancel(Store *store, json_t *p, Error *err)
{
    return send_range(store, pub_json_int(p, "warning_id"), pub_json_int(p, "from"),
                      pub_json_int(p, "to"), 1, err);
}

/* The CAP Cancel message of an issued warning w: a new identifier and time, msgType Cancel,
 * references = the issued message (sender, identifier, sent), the warning's info blocks with
 * the reason as the note. Stored as cancel_cap_xml. */
static int cancel_message(Tx *tx, const char *key, json_t *w, const char *reason, Error *err)
{
    json_t *c = json_deep_copy(w);
    int64_t now = clock_now();
    char ident[32], sent[26];
    int rc = cap_make_identifier(pub_cap_unit(), (time_t)now, (int)(pub_json_int(w, "id") % 10),
                                 ident, err);
    if (rc == 0) {
        cap_format_time((time_t)now, sent);
        json_object_set_new(c, "identifier", json_string(ident));
        json_object_set_new(c, "sent_at", json_string(sent));
        json_object_set_new(c, "msg_type", json_string("Cancel"));
        CapAlert *a = pub_cap_of(c, w);
        if (reason && *reason)
            a->note = arena_strdup(&a->arena, reason);
        StrBuf xml = STRBUF_INIT;
        rc = cap_alert_to_xml(a, &xml, err);
        cap_alert_free(a);
        if (rc == 0) {
            json_t *set = json_pack("{s:s}", "cancel_cap_xml", strbuf_cstr(&xml));
            rc = entity_update_internal(tx, &publish_warnings_entity, key, set, err);
            json_decref(set);
        }
        strbuf_free(&xml);
    }
    json_decref(c);
    return rc;
}

int pub_cancel(Tx *tx, const char *key, json_t *input, Error *err)
{
    json_t *w = NULL;
    if (workflow_apply(tx, &pub_flow, key, "cancel", input, NULL, err) < 0 ||
        entity_get(tx->conn, &publish_warnings_entity, &actor_system, key, &w, err) < 0)
        return -1;
    int made = cancel_message(tx, key, w, pub_json_str(input, "reason"), err);
    json_decref(w);
    if (made < 0)
        return -1;
    int64_t wid = atoll(key);
    DbRows rows;
    if (store_query(tx->conn, tx->arena,
                    "SELECT MIN(id), MAX(id) FROM publish_targets WHERE warning_id = $1",
                    (DbValue[]){db_int(wid)}, 1, &rows, err) < 0)
        return -1;
    if (!rows.nrows || !db_cell(&rows, 0, 0))
        return 0;
    int64_t from = atoll(db_cell(&rows, 0, 0)), to = atoll(db_cell(&rows, 0, 1));
    for (int64_t a = from; a <= to; a += PUB_BATCH) {
        char id[96];
        snprintf(id, sizeof id, "publish:cancel:%lld:%lld", (long long)wid, (long long)a);
        json_t *p =
            json_pack("{s:I, s:I, s:I}", "warning_id", (json_int_t)wid, "from", (json_int_t)a, "to",
                      (json_int_t)(a + PUB_BATCH - 1 < to ? a + PUB_BATCH - 1 : to));
        int rc = outbox_put(tx, id, "publish.cancel", p, err);
        json_decref(p);
        if (rc < 0)
            return -1;
    }
    return 0;
}
