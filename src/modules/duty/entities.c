/* modules/duty — the roster and handover entities, their hooks and shift times; see duty.h. */
#include "modules/duty/duty_internal.h"

#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OFFICERS 20
#define MAX_ITEMS 100
#define NAME_CHARS 50
#define PHONE_CHARS 30
#define ITEM_CHARS 500

/* ---- shifts and local time --------------------------------------------------------------- */

typedef struct Shift {
    const char *value, *label, *start, *end;
} Shift;

static const Shift shifts[] = {
    {"day", "白班", "08:00", "18:00"},
    {"night", "夜班", "18:00", "08:00"},
    {"24h", "24小时", "08:00", "08:00"},
};
#define NSHIFTS ((int)(sizeof shifts / sizeof shifts[0]))

static const Shift *shift_of(const char *value)
{
    for (int i = 0; value && i < NSHIFTS; i++)
        if (strcmp(shifts[i].value, value) == 0)
            return &shifts[i];
    return NULL;
}

const char *duty_shift_label(const char *shift)
{
    const Shift *s = shift_of(shift);
    return s ? s->label : shift;
}

/* "HH:MM" -> minutes after midnight; -1 when malformed. */
static int parse_hm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

int duty_shift_window(const char *date, const char *shift, const char *start, const char *end,
                      int64_t *from, int64_t *to)
{
    const Shift *sh = shift_of(shift);
    int64_t midnight;
    if (!sh || !date || strlen(date) != 10 || clock_parse_iso(date, &midnight) < 0)
        return -1;
    int s = parse_hm(start ? start : sh->start), e = parse_hm(end ? end : sh->end);
    if (s < 0 || e < 0)
        return -1;
    *from = midnight - DUTY_TZ_OFFSET + (int64_t)s * 60;
    *to = midnight - DUTY_TZ_OFFSET + (int64_t)e * 60;
    if (e <= s)
        *to += 86400;
    return 0;
}

void duty_local_date(int64_t t, char *out, size_t n)
{
    time_t lt = (time_t)(t + DUTY_TZ_OFFSET);
    struct tm tm;
    gmtime_r(&lt, &tm);
    strftime(out, n, "%Y-%m-%d", &tm);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static int refuse(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

static json_int_t int_of(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static const char *str_of(json_t *rec, const char *name)
{
    return json_string_value(json_object_get(rec, name));
}

static int blank(const char *s)
{
    if (!s)
        return 1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return *s == 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* One jurisdiction code lies inside the other (an empty or missing code covers everything). */
static int related(const char *a, const char *b)
{
    if (!a || !*a || !b || !*b)
        return 1;
    size_t na = strlen(a), nb = strlen(b);
    return strncmp(a, b, na < nb ? na : nb) == 0;
}

typedef struct User {
    const char *name, *phone, *division;
    int active;
} User;

/* 1 found, 0 missing, -1 error. */
static int load_user(Tx *tx, json_int_t id, User *u, Error *err)
{
    DbRows rows;
    DbValue p[] = {db_int(id)};
    if (store_query(tx->conn, tx->arena,
                    "SELECT display_name, phone, division_code, active FROM users WHERE id = $1", p,
                    1, &rows, err) < 0)
        return -1;
    if (rows.nrows == 0)
        return 0;
    u->name = db_cell(&rows, 0, 0);
    u->phone = db_cell(&rows, 0, 1);
    u->division = db_cell(&rows, 0, 2);
    u->active = db_cell(&rows, 0, 3) && atoi(db_cell(&rows, 0, 3)) != 0;
    return 1;
}

/* ---- rosters (值班表) ---------------------------------------------------------------------- */

static const EnumValue shift_values[] = {
    {"day", "白班"}, {"night", "夜班"}, {"24h", "24小时"}, {NULL, NULL}};

static const Field roster_fields[] = {
    {"org_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "值班单位", "organisation", NULL, "orgs", 0,
     0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"date", FT_DATE, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "值班日期", "date", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"shift", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "班次", "shift", shift_values,
     NULL, 0, 0, 0, 0, NULL},
    {"start_time", FT_TEXT, FIELD_SORT, "开始时间（HH:MM）", "start time", NULL, NULL, 5, 0, 0, 0,
     NULL},
    {"end_time", FT_TEXT, 0, "结束时间（HH:MM，不晚于开始即次日）", "end time", NULL, NULL, 5, 0, 0,
     0, NULL},
    {"leader_user_id", FT_REF, FIELD_FILTER, "带班领导账号", "leader (user)", NULL, "users", 0, 0,
     0, 0, NULL},
    {"leader_name", FT_TEXT, FIELD_SEARCH | FIELD_SORT, "带班领导", "leader", NULL, NULL,
     NAME_CHARS, 0, 0, 0, NULL},
    {"leader_phone", FT_TEXT, 0, "带班领导电话", "leader phone", NULL, NULL, PHONE_CHARS, 0, 0, 0,
     NULL},
    {"officers", FT_JSON, FIELD_REQUIRED, "值班员", "duty officers", NULL, NULL, 0, 0, 0, 0, NULL},
    {"officer_names", FT_TEXT, FIELD_READONLY | FIELD_SEARCH, "值班员姓名", "duty officer names",
     NULL, NULL, 0, 0, 0, 0, NULL},
    {"phone", FT_TEXT, FIELD_SEARCH, "值班电话", "duty phone", NULL, NULL, PHONE_CHARS, 0, 0, 0,
     NULL},
    {"remarks", FT_TEXT, 0, "备注", "remarks", NULL, NULL, 1000, 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

/* A person of a roster, normalised into a new object {user_id?, name, phone?}; NULL with a
 * 422 on `field` when it is malformed or names an unusable account. */
static json_t *person_norm(Tx *tx, json_t *p, const char *division, const char *field, Error *err)
{
    static const char *const keys[] = {"user_id", "name", "phone", NULL};
    if (!json_is_object(p)) {
        refuse(err, field, "每位人员须为 {user_id, name, phone} 对象",
               "each person must be an object {user_id, name, phone}");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        int known = 0;
        for (int i = 0; keys[i]; i++)
            known |= strcmp(keys[i], k) == 0;
        if (!known) {
            refuse(err, field, "人员只能包含 user_id、name、phone",
                   "a person has only user_id, name and phone");
            return NULL;
        }
    }
    json_t *uid = json_object_get(p, "user_id"), *jn = json_object_get(p, "name"),
           *jp = json_object_get(p, "phone");
    if ((uid && !json_is_null(uid) && !json_is_integer(uid)) ||
        (jn && !json_is_null(jn) && !json_is_string(jn)) ||
        (jp && !json_is_null(jp) && !json_is_string(jp))) {
        refuse(err, field, "人员字段类型有误：user_id 为整数，name、phone 为文本",
               "user_id must be an integer, name and phone text");
        return NULL;
    }
    const char *name = json_string_value(jn), *phone = json_string_value(jp);
    json_t *out = json_object();
    if (json_is_integer(uid)) {
        User u;
        int found = load_user(tx, json_integer_value(uid), &u, err);
        if (found < 0)
            goto fail;
        if (found == 0 || !u.active || !related(u.division, division)) {
            refuse(err, field, "人员账号不存在、已停用或不属于本单位所在区划",
                   "the person's account does not exist, is inactive or belongs elsewhere");
            goto fail;
        }
        json_object_set(out, "user_id", uid);
        name = u.name;
        if (u.phone && *u.phone)
            phone = u.phone;
    }
    if (blank(name) || utf8_chars(name) > NAME_CHARS) {
        refuse(err, field, "人员须有姓名（不超过 50 个字符）",
               "each person needs a name of at most 50 characters");
        goto fail;
    }
    if (phone && utf8_chars(phone) > PHONE_CHARS) {
        refuse(err, field, "电话不能超过 30 个字符", "phone longer than 30 characters");
        goto fail;
    }
    json_object_set_new(out, "name", json_string(name));
    if (phone && *phone)
        json_object_set_new(out, "phone", json_string(phone));
    return out;
fail:
    json_decref(out);
    return NULL;
}

static int set_leader(Tx *tx, json_t *rec, const char *division, Error *err)
{
    json_t *p = json_object();
    json_int_t uid = int_of(rec, "leader_user_id");
    if (uid)
        json_object_set_new(p, "user_id", json_integer(uid));
    if (str_of(rec, "leader_name"))
        json_object_set(p, "name", json_object_get(rec, "leader_name"));
    if (str_of(rec, "leader_phone"))
        json_object_set(p, "phone", json_object_get(rec, "leader_phone"));
    if (!uid && blank(str_of(rec, "leader_name"))) {
        json_decref(p);
        return refuse(err, "leader_name", "请填写带班领导（姓名或账号）",
                      "the leader on duty (name or user) is required");
    }
    json_t *n = person_norm(tx, p, division, uid ? "leader_user_id" : "leader_name", err);
    json_decref(p);
    if (!n)
        return -1;
    json_object_set(rec, "leader_name", json_object_get(n, "name"));
    json_t *ph = json_object_get(n, "phone");
    json_object_set(rec, "leader_phone", ph ? ph : json_null());
    json_decref(n);
    return 0;
}

static int set_officers(Tx *tx, json_t *rec, const char *division, Error *err)
{
    json_t *in = json_object_get(rec, "officers");
    size_t n = json_array_size(in);
    if (!json_is_array(in) || n == 0 || n > MAX_OFFICERS)
        return refuse(err, "officers", "值班员须为 1–20 人的数组",
                      "officers must be an array of 1 to 20 people");
    json_t *out = json_array();
    StrBuf names = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        json_t *p = person_norm(tx, json_array_get(in, i), division, "officers", err);
        if (!p)
            goto fail;
        json_t *uid = json_object_get(p, "user_id");
        const char *name = str_of(p, "name");
        for (size_t j = 0; j < json_array_size(out); j++) {
            json_t *q = json_array_get(out, j);
            json_t *quid = json_object_get(q, "user_id");
            if ((uid && quid && json_equal(uid, quid)) ||
                (!uid && !quid && strcmp(name, str_of(q, "name")) == 0)) {
                json_decref(p);
                refuse(err, "officers", "值班员不能重复", "an officer is listed twice");
                goto fail;
            }
        }
        strbuf_addf(&names, "%s%s", i ? "、" : "", name);
        json_array_append_new(out, p);
    }
    json_object_set_new(rec, "officers", out);
    json_object_set_new(rec, "officer_names", json_string(strbuf_cstr(&names)));
    strbuf_free(&names);
    return 0;
fail:
    json_decref(out);
    strbuf_free(&names);
    return -1;
}

static int set_times(json_t *rec, Error *err)
{
    const Shift *sh = shift_of(str_of(rec, "shift"));
    if (!sh)
        return refuse(err, "shift", "班次取值有误", "unknown shift");
    static const char *const names[] = {"start_time", "end_time"};
    for (int i = 0; i < 2; i++) {
        const char *v = str_of(rec, names[i]);
        if (blank(v))
            json_object_set_new(rec, names[i], json_string(i ? sh->end : sh->start));
        else if (parse_hm(v) < 0)
            return refuse(err, names[i], "时间格式应为 HH:MM（00:00–23:59）",
                          "time must be HH:MM (00:00-23:59)");
    }
    return 0;
}

static int roster_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    DbRows rows;
    DbValue p[] = {db_int(int_of(rec, "org_id"))};
    if (store_query(tx->conn, tx->arena, "SELECT division_code FROM orgs WHERE id = $1", p, 1,
                    &rows, err) < 0)
        return -1;
    const char *division = rows.nrows ? db_cell(&rows, 0, 0) : NULL;
    if (!division || !actor_covers(tx->actor, division))
        return refuse(err, "org_id", "值班单位不存在或不在管辖范围内",
                      "the organisation does not exist or lies outside your jurisdiction");
    json_object_set_new(rec, "division_code", json_string(division));
    if (before && int_of(before, "org_id") != int_of(rec, "org_id")) {
        DbValue h[] = {db_int(int_of(before, "id"))};
        int64_t n = 0;
        if (store_query_int(tx->conn, "SELECT count(*) FROM duty_handovers WHERE roster_id = $1", h,
                            1, &n, err) < 0)
            return -1;
        if (n > 0)
            return error_set(err, 409, "has_handovers", "该值班表已有交接班记录，不能改到其他单位",
                             "the roster has handovers; its organisation cannot change");
    }
    if (set_times(rec, err) < 0 || set_leader(tx, rec, division, err) < 0 ||
        set_officers(tx, rec, division, err) < 0)
        return -1;
    DbValue q[] = {db_int(int_of(rec, "org_id")), db_text(str_of(rec, "date")),
                   db_text(str_of(rec, "shift")), db_int(before ? int_of(before, "id") : 0)};
    int64_t other = 0;
    int rc = store_query_int(tx->conn,
                             "SELECT id FROM duty_rosters WHERE org_id = $1 AND date = $2 AND "
                             "shift = $3 AND id <> $4",
                             q, 4, &other, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return error_setf(err, 409, "duplicate_roster", "该单位当天已有此班次的值班表（编号 %lld）",
                          "the organisation already has this shift on that date (roster %lld)",
                          (long long)other, (long long)other);
    return 0;
}

const Entity duty_rosters_entity = {
    .table = "duty_rosters",
    .plural = "duty_rosters",
    .label_zh = "值班表",
    .label_en = "duty rosters",
    .fields = roster_fields,
    .division_field = "division_code",
    .default_sort = "-date",
    .before_write = roster_before_write,
};

int duty_delete_roster(Tx *tx, const char *id, Error *err)
{
    json_t *r = NULL;
    if (entity_get(tx->conn, &duty_rosters_entity, tx->actor, id, &r, err) < 0)
        return -1;
    json_decref(r);
    DbValue p[] = {db_int(strtoll(id, NULL, 10))};
    int64_t n = 0;
    if (store_query_int(tx->conn, "SELECT count(*) FROM duty_handovers WHERE roster_id = $1", p, 1,
                        &n, err) < 0)
        return -1;
    if (n > 0)
        return error_setf(err, 409, "has_handovers", "该值班表已有 %lld 条交接班记录，不能删除",
                          "the roster has %lld handovers and cannot be deleted", (long long)n,
                          (long long)n);
    return entity_delete(tx, &duty_rosters_entity, id, err);
}

/* ---- handovers (交接班) -------------------------------------------------------------------- */

static const Field handover_fields[] = {
    {"roster_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER | FIELD_IMMUTABLE, "值班表", "roster", NULL,
     "duty_rosters", 0, 0, 0, 0, NULL},
    {"org_id", FT_REF, FIELD_READONLY | FIELD_FILTER, "值班单位", "organisation", NULL, "orgs", 0,
     0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER | FIELD_SORT, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"from_user_id", FT_REF, FIELD_FILTER | FIELD_IMMUTABLE, "交班人账号", "handed over by (user)",
     NULL, "users", 0, 0, 0, 0, NULL},
    {"from_name", FT_TEXT, FIELD_SEARCH | FIELD_IMMUTABLE, "交班人", "handed over by", NULL, NULL,
     NAME_CHARS, 0, 0, 0, NULL},
    {"to_user_id", FT_REF, FIELD_FILTER | FIELD_IMMUTABLE, "接班人账号", "taken over by (user)",
     NULL, "users", 0, 0, 0, 0, NULL},
    {"to_name", FT_TEXT, FIELD_SEARCH | FIELD_IMMUTABLE, "接班人", "taken over by", NULL, NULL,
     NAME_CHARS, 0, 0, 0, NULL},
    {"at", FT_TIME, FIELD_SORT | FIELD_IMMUTABLE, "交接时间", "handover time", NULL, NULL, 0, 0, 0,
     0, NULL},
    {"summary", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH, "值班情况", "summary", NULL, NULL, 4000, 0,
     0, 0, NULL},
    {"open_items", FT_JSON, 0, "待办事项", "open items", NULL, NULL, 0, 0, 0, 0, NULL},
    {"prev_handover_id", FT_REF, FIELD_READONLY, "上一次交接班", "previous handover", NULL,
     "duty_handovers", 0, 0, 0, 0, NULL},
    {"carried_count", FT_INT, FIELD_READONLY, "转入待办数", "items carried over", NULL, NULL, 0, 0,
     0, 0, "0"},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

/* Validates open_items into a new array of {text, done, carried_from?}; NULL with a 422. */
static json_t *items_norm(json_t *in, Error *err)
{
    if (!in || json_is_null(in))
        return json_array();
    if (!json_is_array(in) || json_array_size(in) > MAX_ITEMS) {
        refuse(err, "open_items", "待办事项须为不超过 100 项的数组",
               "open_items must be an array of at most 100 items");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(in, i, it)
    {
        const char *k;
        json_t *v;
        int bad = !json_is_object(it);
        if (!bad)
            json_object_foreach(it, k, v)
            {
                bad |= strcmp(k, "text") != 0 && strcmp(k, "done") != 0 &&
                       strcmp(k, "carried_from") != 0;
            }
        json_t *text = json_object_get(it, "text"), *done = json_object_get(it, "done"),
               *from = json_object_get(it, "carried_from");
        bad = bad || !json_is_string(text) || blank(json_string_value(text)) ||
              utf8_chars(json_string_value(text)) > ITEM_CHARS ||
              (done && !json_is_boolean(done) && !json_is_null(done)) ||
              (from && !json_is_integer(from) && !json_is_null(from));
        if (bad) {
            json_decref(out);
            refuse(err, "open_items", "每项待办须为 {text: 文本（不超过 500 字）, done: 是否办结}",
                   "each item must be {text (at most 500 characters), done (boolean)}");
            return NULL;
        }
        json_t *n = json_pack("{s:O, s:b}", "text", text, "done", json_is_true(done));
        if (json_is_integer(from))
            json_object_set(n, "carried_from", from);
        json_array_append_new(out, n);
    }
    return out;
}

typedef struct Roster {
    json_int_t id, org_id, leader_user_id;
    const char *division, *date, *start_time, *leader_name;
    json_t *officers; /* owned */
} Roster;

static void roster_from_rows(const DbRows *rows, int i, Roster *r)
{
    r->id = atoll(db_cell(rows, i, 0));
    r->org_id = atoll(db_cell(rows, i, 1));
    r->division = db_cell(rows, i, 2);
    r->date = db_cell(rows, i, 3);
    r->start_time = db_cell(rows, i, 4);
    r->leader_user_id = db_cell(rows, i, 5) ? atoll(db_cell(rows, i, 5)) : 0;
    r->leader_name = db_cell(rows, i, 6);
    r->officers = db_cell(rows, i, 7) ? json_loads(db_cell(rows, i, 7), 0, NULL) : NULL;
}

#define ROSTER_COLS                                                                                \
    "id, org_id, division_code, date, start_time, leader_user_id, leader_name, officers"

/* Whether the person (by user id when non-zero, else by name) is on the roster. */
static int on_roster(const Roster *r, json_int_t uid, const char *name)
{
    if (uid ? r->leader_user_id == uid : (r->leader_name && name && !strcmp(r->leader_name, name)))
        return 1;
    size_t i;
    json_t *p;
    json_array_foreach(r->officers, i, p)
    {
        json_int_t pu = int_of(p, "user_id");
        const char *pn = str_of(p, "name");
        if (uid ? pu == uid : (pn && name && strcmp(pn, name) == 0))
            return 1;
    }
    return 0;
}

/* Fills <side>_user_id / <side>_name; the actor is the default from-person. */
static int set_person(Tx *tx, json_t *rec, const char *side, Error *err)
{
    char uf[16], nf[16];
    snprintf(uf, sizeof uf, "%s_user_id", side);
    snprintf(nf, sizeof nf, "%s_name", side);
    json_int_t uid = int_of(rec, uf);
    if (!uid && blank(str_of(rec, nf)) && strcmp(side, "from") == 0 && tx->actor->user_id) {
        uid = tx->actor->user_id;
        json_object_set_new(rec, uf, json_integer(uid));
    }
    if (uid) {
        User u;
        int found = load_user(tx, uid, &u, err);
        if (found < 0)
            return -1;
        if (found == 0 || !u.active)
            return refuse(err, uf, "账号不存在或已停用", "the user does not exist or is inactive");
        json_object_set_new(rec, nf, json_string(u.name));
    } else if (blank(str_of(rec, nf))) {
        return refuse(err, nf, strcmp(side, "from") == 0 ? "请填写交班人" : "请填写接班人",
                      "the person is required");
    }
    return 0;
}

/* Appends the previous handover's open items that are not done (and not listed yet). */
static int carry_over(Tx *tx, json_t *rec, json_int_t org_id, json_t *items, Error *err)
{
    if (conn_dialect(tx->conn) == DIALECT_POSTGRES) {
        DbRows lock;
        DbValue lp[] = {db_int(org_id)};
        if (store_query(tx->conn, tx->arena,
                        "SELECT pg_advisory_xact_lock(hashtext('duty_handovers'), ($1)::int)", lp,
                        1, &lock, err) < 0)
            return -1;
    }
    DbRows rows;
    DbValue p[] = {db_int(org_id), db_text(str_of(rec, "at"))};
    if (store_query(tx->conn, tx->arena,
                    "SELECT id, open_items FROM duty_handovers WHERE org_id = $1 AND at <= $2 "
                    "ORDER BY at DESC, id DESC LIMIT 1",
                    p, 2, &rows, err) < 0)
        return -1;
    int carried = 0;
    if (rows.nrows == 1) {
        json_int_t prev = atoll(db_cell(&rows, 0, 0));
        json_object_set_new(rec, "prev_handover_id", json_integer(prev));
        json_t *old = db_cell(&rows, 0, 1) ? json_loads(db_cell(&rows, 0, 1), 0, NULL) : NULL;
        size_t i;
        json_t *it;
        json_array_foreach(old, i, it)
        {
            const char *text = str_of(it, "text");
            if (!text || json_is_true(json_object_get(it, "done")))
                continue;
            int listed = 0;
            for (size_t j = 0; j < json_array_size(items) && !listed; j++)
                listed = strcmp(str_of(json_array_get(items, j), "text"), text) == 0;
            if (listed)
                continue;
            json_int_t origin = int_of(it, "carried_from");
            json_array_append_new(items, json_pack("{s:s, s:b, s:I}", "text", text, "done", 0,
                                                   "carried_from", origin ? origin : prev));
            carried++;
        }
        json_decref(old);
    }
    json_object_set_new(rec, "carried_count", json_integer(carried));
    return 0;
}

static int handover_before_write(Tx *tx, const Entity *e, json_t *rec, json_t *before, Error *err)
{
    (void)e;
    json_t *items = items_norm(json_object_get(rec, "open_items"), err);
    if (!items)
        return -1;
    int rc = -1;
    Roster r = {0}, next = {0};
    if (before) {
        json_object_set(rec, "open_items", items);
        rc = 0;
        goto out;
    }
    DbRows rows;
    DbValue p[] = {db_int(int_of(rec, "roster_id"))};
    if (store_query(tx->conn, tx->arena, "SELECT " ROSTER_COLS " FROM duty_rosters WHERE id = $1",
                    p, 1, &rows, err) < 0)
        goto out;
    if (rows.nrows == 0 || !actor_covers(tx->actor, db_cell(&rows, 0, 2))) {
        refuse(err, "roster_id", "值班表不存在或不在管辖范围内",
               "the roster does not exist or lies outside your jurisdiction");
        goto out;
    }
    roster_from_rows(&rows, 0, &r);
    json_object_set_new(rec, "org_id", json_integer(r.org_id));
    json_object_set_new(rec, "division_code", json_string(r.division));
    if (blank(str_of(rec, "at"))) {
        char now[32];
        clock_format_iso(clock_now(), now, sizeof now);
        json_object_set_new(rec, "at", json_string(now));
    }
    if (set_person(tx, rec, "from", err) < 0 || set_person(tx, rec, "to", err) < 0)
        goto out;
    json_int_t fu = int_of(rec, "from_user_id"), tu = int_of(rec, "to_user_id");
    const char *fname = str_of(rec, "from_name"), *tname = str_of(rec, "to_name");
    if (!on_roster(&r, fu, fname)) {
        refuse(err, fu ? "from_user_id" : "from_name", "交班人不在该值班表上",
               "the person handing over is not on the roster");
        goto out;
    }
    if ((fu && fu == tu) || (!fu && !tu && strcmp(fname, tname) == 0)) {
        refuse(err, tu ? "to_user_id" : "to_name", "交班人与接班人不能是同一人",
               "the person taking over must differ from the one handing over");
        goto out;
    }
    DbValue q[] = {db_int(r.org_id), db_int(r.id), db_text(r.date), db_text(r.start_time)};
    if (store_query(tx->conn, tx->arena,
                    "SELECT " ROSTER_COLS " FROM duty_rosters WHERE org_id = $1 AND id <> $2 AND "
                    "(date > $3 OR (date = $3 AND start_time > $4)) "
                    "ORDER BY date, start_time, id LIMIT 1",
                    q, 4, &rows, err) < 0)
        goto out;
    if (rows.nrows == 1) {
        roster_from_rows(&rows, 0, &next);
        if (!on_roster(&next, tu, tname)) {
            refuse(err, tu ? "to_user_id" : "to_name", "接班人不在下一班次的值班表上",
                   "the person taking over is not on the next shift's roster");
            goto out;
        }
    }
    if (carry_over(tx, rec, r.org_id, items, err) < 0)
        goto out;
    json_object_set(rec, "open_items", items);
    rc = 0;
out:
    json_decref(r.officers);
    json_decref(next.officers);
    json_decref(items);
    return rc;
}

const Entity duty_handovers_entity = {
    .table = "duty_handovers",
    .plural = "duty_handovers",
    .label_zh = "交接班记录",
    .label_en = "duty handovers",
    .fields = handover_fields,
    .division_field = "division_code",
    .default_sort = "-at",
    .before_write = handover_before_write,
};
