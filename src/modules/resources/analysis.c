/* modules/resources — per-capita shelter area per division (resources.h). The shelters
 * under the parent are summed per division code in SQL, then each sum is given to the child
 * whose code is a prefix of it; closed shelters do not count. */
#include "modules/resources/resources_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct Sums {
    json_int_t shelters, capacity;
    double area;
} Sums;

/* One row of the analysis; population < 0 means unknown. */
static json_t *analysis_row(const char *code, const char *name, json_int_t population,
                            const Sums *s)
{
    json_t *row = json_pack("{s:s, s:s, s:I, s:I, s:f}", "code", code, "name", name ? name : "",
                            "shelter_count", s->shelters, "capacity_people", s->capacity,
                            "shelter_area_m2", s->area);
    if (population < 0) {
        json_object_set_new(row, "population", json_null());
        json_object_set_new(row, "per_capita_m2", json_null());
        json_object_set_new(row, "meets_target", json_null());
        json_object_set_new(row, "shortfall_m2", json_null());
        return row;
    }
    double need = RESOURCES_SHELTER_TARGET_M2 * (double)population;
    json_object_set_new(row, "population", json_integer(population));
    json_object_set_new(row, "per_capita_m2",
                        population > 0 ? json_real(s->area / (double)population) : json_null());
    json_object_set_new(row, "meets_target", json_boolean(s->area >= need));
    json_object_set_new(row, "shortfall_m2", json_real(s->area >= need ? 0 : need - s->area));
    return row;
}

static json_int_t population_of(const char *cell)
{
    return cell ? (json_int_t)atoll(cell) : -1;
}

int resources_shelter_analysis(StoreConn *c, Arena *arena, const Actor *actor, const char *parent,
                               json_t **out, Error *err)
{
    char code[13] = "";
    if (!parent || !*parent)
        parent = actor->jurisdiction;
    if (*parent && division_code_normalize(parent, code) < 0) {
        error_set(err, 422, "validation_failed", "区划代码格式错误", "malformed division code");
        error_field(err, "parent", "区划代码格式错误");
        return -1;
    }
    if (!actor_covers(actor, code))
        return error_not_found(err); /* outside the jurisdiction: as if it did not exist */

    /* the parent itself */
    const char *parent_name = "全部";
    json_int_t parent_population = -1;
    if (*code) {
        DbRows self;
        DbValue p[] = {db_text(code)};
        if (store_query(c, arena, "SELECT name, population FROM divisions WHERE code = $1", p, 1,
                        &self, err) < 0)
            return -1;
        if (self.nrows == 0)
            return error_not_found(err);
        parent_name = db_cell(&self, 0, 0);
        parent_population = population_of(db_cell(&self, 0, 1));
    }

    /* its children inside the jurisdiction */
    DbRows kids;
    const char *like = arena_printf(arena, "%s%%", actor->jurisdiction);
    DbValue kp[] = {db_text(code), db_text(like)};
    if (store_query(c, arena,
                    *code ? "SELECT code, name, population FROM divisions WHERE parent_code = $1 "
                            "AND code LIKE $2 ORDER BY code"
                          : "SELECT code, name, population FROM divisions WHERE parent_code IS "
                            "NULL AND $1 = '' AND code LIKE $2 ORDER BY code",
                    kp, 2, &kids, err) < 0)
        return -1;

    /* shelters under the parent, per division code */
    DbRows groups;
    DbValue sp[] = {db_text(arena_printf(arena, "%s%%", code))};
    if (store_query(c, arena,
                    "SELECT division_code, count(*), sum(area_m2), sum(capacity_people) "
                    "FROM shelters WHERE division_code LIKE $1 AND status <> 'closed' "
                    "GROUP BY division_code ORDER BY division_code",
                    sp, 1, &groups, err) < 0)
        return -1;

    Sums *sums = arena_alloc(arena, sizeof(Sums) * (size_t)(kids.nrows + 1));
    memset(sums, 0, sizeof(Sums) * (size_t)(kids.nrows + 1));
    Sums total = {0, 0, 0};
    for (int g = 0; g < groups.nrows; g++) {
        const char *div = db_cell(&groups, g, 0);
        const char *cap = db_cell(&groups, g, 3), *area = db_cell(&groups, g, 2);
        Sums s = {atoll(db_cell(&groups, g, 1)), cap ? atoll(cap) : 0, area ? atof(area) : 0};
        total.shelters += s.shelters;
        total.capacity += s.capacity;
        total.area += s.area;
        for (int k = 0; div && k < kids.nrows; k++) {
            const char *kc = db_cell(&kids, k, 0);
            if (strncmp(div, kc, strlen(kc)) == 0) {
                sums[k].shelters += s.shelters;
                sums[k].capacity += s.capacity;
                sums[k].area += s.area;
                break;
            }
        }
    }

    json_t *items = json_array();
    json_int_t kids_population = 0;
    int kids_known = 0;
    for (int k = 0; k < kids.nrows; k++) {
        json_int_t pop = population_of(db_cell(&kids, k, 2));
        if (pop >= 0) {
            kids_population += pop;
            kids_known++;
        }
        json_array_append_new(
            items, analysis_row(db_cell(&kids, k, 0), db_cell(&kids, k, 1), pop, &sums[k]));
    }
    if (parent_population < 0 && kids_known)
        parent_population = kids_population;
    *out = json_pack("{s:f, s:o, s:o}", "target_m2", RESOURCES_SHELTER_TARGET_M2, "total",
                     analysis_row(code, parent_name, parent_population, &total), "items", items);
    return 0;
}
