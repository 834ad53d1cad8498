/* modules/plans — matching plans to an incident (智能适配) and the filing / revision shares
 * per division; see plans.h for the ranking rules and the shapes. */
#include "modules/plans/plans_internal.h"

#include <stdlib.h>
#include <string.h>

static int refuse_field(Error *err, const char *field, const char *zh, const char *en)
{
    error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段", "%s", en);
    error_field(err, field, zh);
    return -1;
}

/* 0 province, 1 city, 2 county, 3 town, 4 village; -1 otherwise. */
static int division_depth(const char *code)
{
    switch (strlen(code)) {
    case 2:
        return 0;
    case 4:
        return 1;
    case 6:
        return 2;
    case 9:
        return 3;
    case 12:
        return 4;
    default:
        return -1;
    }
}

typedef struct Cand {
    json_t *plan; /* borrowed from the rows' JSON array */
    int event;    /* 3 exact, 2 class, 1 category, 0 general */
    const char *event_code;
    int level;
    int div_rank; /* 0 same / any, 1.. ancestors by distance, 100+ descendants */
    const char *div_kind;
    int filed;
    json_int_t version, id;
} Cand;

static int cand_cmp(const void *pa, const void *pb)
{
    const Cand *a = pa, *b = pb;
    if (a->event != b->event)
        return b->event - a->event;
    if (a->level != b->level)
        return b->level - a->level;
    if (a->div_rank != b->div_rank)
        return a->div_rank - b->div_rank;
    if (a->filed != b->filed)
        return b->filed - a->filed;
    if (a->version != b->version)
        return a->version < b->version ? 1 : -1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The plan's best event match against code; -1 when it does not apply. */
static int event_match(json_t *types, const char *code, const char **matched)
{
    *matched = NULL;
    if (!json_is_array(types) || json_array_size(types) == 0)
        return 0;
    int best = -1;
    size_t i;
    json_t *v;
    json_array_foreach(types, i, v)
    {
        const char *t = json_string_value(v);
        int s = -1;
        if (!t)
            continue;
        if (strcmp(t, code) == 0)
            s = 3;
        else if (strncmp(t, code, 3) == 0)
            s = 2;
        else if (strncmp(t, code, 2) == 0)
            s = 1;
        else if (strcmp(t, "10000") == 0)
            s = 0;
        if (s > best) {
            best = s;
            *matched = s > 0 ? t : NULL;
        }
    }
    return best;
}

static int lists_level(json_t *levels, const char *level)
{
    size_t i;
    json_t *v;
    json_array_foreach(levels, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), level) == 0)
            return 1;
    }
    return 0;
}

static int level_rank(const char *l)
{
    static const char *const order[] = {"I", "II", "III", "IV"};
    for (int i = 0; l && i < 4; i++)
        if (strcmp(l, order[i]) == 0)
            return i;
    return 4;
}

static int step_cmp(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int la = level_rank(json_string_value(json_object_get(a, "level")));
    int lb = level_rank(json_string_value(json_object_get(b, "level")));
    if (la != lb)
        return la - lb;
    json_int_t sa = json_integer_value(json_object_get(a, "step"));
    json_int_t sb = json_integer_value(json_object_get(b, "step"));
    return sa < sb ? -1 : sa > sb;
}

/* The plan's steps for level (all when NULL), ordered by level and step. */
static json_t *steps_for(json_t *plan, const char *level)
{
    json_t *all = json_object_get(plan, "response_steps");
    size_t n = json_is_array(all) ? json_array_size(all) : 0;
    json_t **pick = n ? malloc(n * sizeof *pick) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(all, i);
        const char *l = json_string_value(json_object_get(s, "level"));
        if (!level || (l && strcmp(l, level) == 0))
            pick[k++] = s;
    }
    if (k > 1)
        qsort(pick, k, sizeof *pick, step_cmp);
    json_t *out = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append(out, pick[i]);
    free(pick);
    return out;
}

static json_t *match_item(const Cand *c, const char *level)
{
    static const char *const keys[] = {
        "id",      "title",       "level",           "kind",   "division_code",     "state",
        "version", "event_types", "response_levels", "org_id", "responsible_units", "revision_due",
        NULL};
    static const char *const event_names[] = {"general", "category", "class", "exact"};
    json_t *item = json_object();
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(c->plan, *k);
        json_object_set(item, *k, v ? v : json_null());
    }
    json_object_set_new(item, "filed", json_boolean(c->filed));
    json_object_set_new(item, "match",
                        json_pack("{s:s, s:o, s:b, s:s, s:i}", "event", event_names[c->event],
                                  "event_type",
                                  c->event_code ? json_string(c->event_code) : json_null(), "level",
                                  c->level, "division", c->div_kind, "division_distance",
                                  c->div_rank >= 100 ? c->div_rank - 100 : c->div_rank));
    json_object_set_new(item, "steps", steps_for(c->plan, level));
    return item;
}

int plans_match(StoreConn *c, Arena *arena, const Actor *actor, const char *event_type,
                const char *response_level, const char *division_code, int limit, json_t **out,
                Error *err)
{
    if (!event_type || !*event_type)
        return refuse_field(err, "event_type", "必填", "event_type is required");
    if (!plans_event_code_valid(event_type))
        return refuse_field(err, "event_type", "应为 5 位事件类型代码（GB/T 35561，例如 11B03）",
                            "malformed event type code");
    const char *level = NULL;
    if (response_level && *response_level && !(level = plans_response_level_of(response_level)))
        return refuse_field(err, "response_level",
                            "应为响应级别 I、II、III、IV 或事件等级 特别重大、重大、较大、一般",
                            "unknown response level or grade");
    char div[16] = "";
    if (division_code && *division_code &&
        (strlen(division_code) >= sizeof div || division_code_normalize(division_code, div) < 0))
        return refuse_field(err, "division_code", "应为 2、4、6、9 或 12 位数字的行政区划代码",
                            "malformed division code");
    if (limit <= 0)
        limit = 20;
    if (limit > 100)
        limit = 100;

    DbRows rows;
    DbValue p[] = {db_text(arena_printf(arena, "%s%%", actor->jurisdiction)), db_text(div),
                   db_text(arena_printf(arena, "%s%%", div))};
    if (store_query(c, arena,
                    *div ? "SELECT * FROM plans WHERE division_code LIKE $1 AND "
                           "($2 LIKE division_code || '%' OR division_code LIKE $3) ORDER BY id"
                         : "SELECT * FROM plans WHERE division_code LIKE $1 AND $2 = '' AND "
                           "$3 = $3 ORDER BY id",
                    p, 3, &rows, err) < 0)
        return -1;

    json_t *plans = json_array();
    Cand *cands = arena_alloc(arena, sizeof(Cand) * (size_t)(rows.nrows + 1));
    int n = 0, depth = *div ? division_depth(div) : -1;
    for (int r = 0; r < rows.nrows; r++) {
        json_t *plan = entity_row_json(&plans_entity, &rows, r);
        json_array_append_new(plans, plan);
        Cand *k = &cands[n];
        memset(k, 0, sizeof *k);
        k->plan = plan;
        k->event = event_match(json_object_get(plan, "event_types"), event_type, &k->event_code);
        if (k->event < 0)
            continue;
        k->level = level ? lists_level(json_object_get(plan, "response_levels"), level) : 0;
        const char *pd = json_string_value(json_object_get(plan, "division_code"));
        int pdepth = pd ? division_depth(pd) : -1;
        if (!*div) {
            k->div_kind = "any";
        } else if (pd && strcmp(pd, div) == 0) {
            k->div_kind = "same";
        } else if (pdepth < depth) {
            k->div_kind = "ancestor";
            k->div_rank = depth - pdepth;
        } else {
            k->div_kind = "descendant";
            k->div_rank = 100 + pdepth - depth;
        }
        const char *state = json_string_value(json_object_get(plan, "state"));
        k->filed = state && strcmp(state, "filed") == 0;
        k->version = json_integer_value(json_object_get(plan, "version"));
        k->id = json_integer_value(json_object_get(plan, "id"));
        n++;
    }
    qsort(cands, (size_t)n, sizeof *cands, cand_cmp);
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++)
        json_array_append_new(items, match_item(&cands[i], level));
    json_decref(plans);
    *out = json_pack("{s:o, s:i, s:{s:s, s:o, s:o}}", "items", items, "total", n, "query",
                     "event_type", event_type, "response_level",
                     level ? json_string(level) : json_null(), "division_code",
                     *div ? json_string(div) : json_null());
    return 0;
}

/* ---- filing and revision shares ---------------------------------------------------------- */

typedef struct Tally {
    json_int_t plans, filed, on_time;
} Tally;

static json_t *pct(json_int_t part, json_int_t whole)
{
    return whole ? json_real((double)(part * 1000 / whole) / 10.0) : json_null();
}

static json_t *stats_row(const char *code, const char *name, const Tally *t)
{
    json_t *row = json_pack("{s:s, s:s, s:I, s:I, s:o, s:I, s:o, s:I}", "code", code, "name",
                            name ? name : "", "plans", t->plans, "filed", t->filed, "filed_pct",
                            pct(t->filed, t->plans), "on_time", t->on_time, "on_time_pct",
                            pct(t->on_time, t->plans), "overdue", t->plans - t->on_time);
    json_object_set_new(row, "meets_target",
                        t->plans ? json_boolean(t->filed == t->plans && t->on_time == t->plans)
                                 : json_null());
    return row;
}

static int enum_ok(const Entity *e, const char *field, const char *v)
{
    const Field *f = entity_field(e, field);
    for (const EnumValue *ev = f->enum_values; ev->value; ev++)
        if (strcmp(ev->value, v) == 0)
            return 1;
    return 0;
}

int plans_stats(StoreConn *c, Arena *arena, const Actor *actor, const char *parent,
                const char *level, const char *kind, const char *today, json_t **out, Error *err)
{
    char code[16] = "", day[16];
    if (!parent || !*parent)
        parent = actor->jurisdiction;
    if (*parent && (strlen(parent) >= sizeof code || division_code_normalize(parent, code) < 0))
        return refuse_field(err, "division", "区划代码格式错误", "malformed division code");
    if (level && *level && !enum_ok(&plans_entity, "level", level))
        return refuse_field(err, "level", "预案层级取值无效", "unknown plan level");
    if (kind && *kind && !enum_ok(&plans_entity, "kind", kind))
        return refuse_field(err, "kind", "预案类别取值无效", "unknown plan kind");
    if (!actor_covers(actor, code))
        return error_not_found(err);
    if (!today) {
        plans_today(day, sizeof day);
        today = day;
    }

    const char *parent_name = "全部";
    if (*code) {
        DbRows self;
        DbValue p[] = {db_text(code)};
        if (store_query(c, arena, "SELECT name FROM divisions WHERE code = $1", p, 1, &self, err) <
            0)
            return -1;
        if (self.nrows == 0)
            return error_not_found(err);
        parent_name = db_cell(&self, 0, 0);
    }
    DbRows kids;
    DbValue kp[] = {db_text(code), db_text(arena_printf(arena, "%s%%", actor->jurisdiction))};
    if (store_query(c, arena,
                    *code ? "SELECT code, name FROM divisions WHERE parent_code = $1 AND code LIKE "
                            "$2 ORDER BY code"
                          : "SELECT code, name FROM divisions WHERE parent_code IS NULL AND $1 = "
                            "'' AND code LIKE $2 ORDER BY code",
                    kp, 2, &kids, err) < 0)
        return -1;

    DbRows rows;
    DbValue pp[] = {db_text(arena_printf(arena, "%s%%", code)), db_text(level ? level : ""),
                    db_text(kind ? kind : "")};
    if (store_query(c, arena,
                    "SELECT division_code, state, revision_due FROM plans WHERE division_code "
                    "LIKE $1 AND ($2 = '' OR level = $2) AND ($3 = '' OR kind = $3)",
                    pp, 3, &rows, err) < 0)
        return -1;
    Tally *t = arena_alloc(arena, sizeof(Tally) * (size_t)(kids.nrows + 1));
    Tally total = {0, 0, 0};
    for (int r = 0; r < rows.nrows; r++) {
        const char *div = db_cell(&rows, r, 0), *state = db_cell(&rows, r, 1);
        const char *due = db_cell(&rows, r, 2);
        int filed = state && strcmp(state, "filed") == 0;
        int on_time = due && strcmp(due, today) >= 0;
        total.plans++, total.filed += filed, total.on_time += on_time;
        for (int k = 0; div && k < kids.nrows; k++) {
            const char *kc = db_cell(&kids, k, 0);
            if (strncmp(div, kc, strlen(kc)) == 0) {
                t[k].plans++, t[k].filed += filed, t[k].on_time += on_time;
                break;
            }
        }
    }
    json_t *items = json_array();
    for (int k = 0; k < kids.nrows; k++)
        json_array_append_new(items, stats_row(db_cell(&kids, k, 0), db_cell(&kids, k, 1), &t[k]));
    *out = json_pack("{s:i, s:s, s:o, s:o}", "target_pct", 100, "today", today, "total",
                     stats_row(code, parent_name, &total), "items", items);
    return 0;
}
