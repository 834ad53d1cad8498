/* modules/publish/demo — the demo county's 叫应 directory and one issued warning.
 *
 * Per town of 云岭县: a town leader (乡镇领导) and a deputy who is the leader's backup (AB岗), an
 * information officer (信息员, the first town's linked to the demo account "info"); per village
 * (the first four of each town): a village leader (村干部) whose backup is the second cadre of
 * the village, and a grid member (网格员) who visits. Twelve special-group members (老人,
 * 残疾人) with their grid member as carer. Phones in the fake 1xx-0000-xxxx form; locations a
 * few hundred metres from the village centres. Then one red rainstorm warning for 青石镇,
 * issued, with a third of its targets answered. Deterministic (no randomness). */
#include "modules/publish/publish_internal.h"

#include "demo/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄",
                                       "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"};
static const char *const given[] = {"建国", "秀英", "志强", "桂兰", "海涛", "玉梅", "永红", "明",
                                    "丽娟", "国华", "春生", "淑珍", "文斌", "凤英", "德胜", "小燕"};

static int seq;

static const char *name_of(Tx *tx)
{
    int k = seq++;
    return arena_printf(tx->arena, "%s%s", surnames[k % 16], given[(k / 16 + k * 7) % 16]);
}

static const char *phone_of(Tx *tx)
{
    static const char *const heads[] = {"139", "138", "137", "186", "158"};
    return arena_printf(tx->arena, "%s0000%04d", heads[seq % 5], 1000 + seq);
}

static int person(Tx *tx, const char *role, const char *title, const char *div, double lon,
                  double lat, json_int_t backup, json_int_t grid, json_int_t user, json_int_t *id,
                  Error *err)
{
    const char *nm = name_of(tx);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "name", nm, "phone", phone_of(tx), "role",
                  role, "title", title, "division_code", div, "lon", lon, "lat", lat);
    if (backup)
        json_object_set_new(rec, "backup_id", json_integer(backup));
    if (grid)
        json_object_set_new(rec, "grid_member_id", json_integer(grid));
    if (user)
        json_object_set_new(rec, "user_id", json_integer(user));
    json_t *out = NULL;
    int rc = entity_create(tx, &publish_people_entity, rec, &out, err);
    json_decref(rec);
    if (rc == 0 && id)
        *id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return rc;
}

static int special(Tx *tx, const char *kind, const char *div, const char *vname, double lon,
                   double lat, json_int_t carer, Error *err)
{
    json_t *rec = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:f, s:I, s:s}", "name", name_of(tx), "kind", kind,
        "division_code", div, "address", arena_printf(tx->arena, "%s%d号", vname, 10 + seq % 40),
        "lon", lon, "lat", lat, "carer_id", carer, "notes",
        strcmp(kind, "elderly") == 0 ? "独居老人，行动不便" : "肢体残疾，需协助转移");
    json_t *out = NULL;
    int rc = entity_create(tx, &publish_specials_entity, rec, &out, err);
    json_decref(rec);
    json_decref(out);
    return rc;
}

int pub_demo(Tx *tx, Error *err)
{
    seq = 0;
    DbRows towns, users;
    if (store_query(tx->conn, tx->arena,
                    "SELECT code, name, center_lon, center_lat FROM divisions WHERE parent_code ="
                    " $1 AND center_lon IS NOT NULL ORDER BY substr(code, 7, 1) = '0', code",
                    (DbValue[]){db_text(DEMO_COUNTY_CODE)}, 1, &towns, err) < 0 ||
        store_query(tx->conn, tx->arena, "SELECT id FROM users WHERE username = 'info'", NULL, 0,
                    &users, err) < 0)
        return -1;
    json_int_t info_user = users.nrows ? atoll(db_cell(&users, 0, 0)) : 0;
    int specials = 0;
    for (int t = 0; t < towns.nrows; t++) {
        const char *tc = db_cell(&towns, t, 0);
        double tlon = atof(db_cell(&towns, t, 2)), tlat = atof(db_cell(&towns, t, 3));
        json_int_t deputy, leader;
        if (person(tx, "town_leader", "副镇长（AB岗）", tc, tlon + 0.002, tlat, 0, 0, 0, &deputy,
                   err) < 0 ||
            person(tx, "town_leader", "镇长", tc, tlon, tlat + 0.002, deputy, 0, 0, &leader, err) <
                0 ||
            person(tx, "info_officer", "灾害信息员", tc, tlon - 0.002, tlat, leader, 0,
                   t == 0 ? info_user : 0, NULL, err) < 0)
            return -1;
        DbRows vil;
        if (store_query(tx->conn, tx->arena,
                        "SELECT code, name, center_lon, center_lat FROM divisions WHERE"
                        " parent_code = $1 AND center_lon IS NOT NULL ORDER BY code LIMIT 4",
                        (DbValue[]){db_text(tc)}, 1, &vil, err) < 0)
            return -1;
        for (int v = 0; v < vil.nrows; v++) {
            const char *vc = db_cell(&vil, v, 0);
            double lon = atof(db_cell(&vil, v, 2)), lat = atof(db_cell(&vil, v, 3));
            json_int_t grid, second, head;
            if (person(tx, "grid_member", "网格员", vc, lon + 0.003, lat - 0.001, 0, 0, 0, &grid,
                       err) < 0 ||
                person(tx, "village_leader", "村委会副主任", vc, lon - 0.001, lat + 0.002, 0, grid,
                       0, &second, err) < 0 ||
                person(tx, "village_leader", "村党支部书记", vc, lon, lat, second, grid, 0, &head,
                       err) < 0)
                return -1;
            if (specials < 12 && v < 2 &&
                special(tx, specials % 3 == 2 ? "disabled" : "elderly", vc, db_cell(&vil, v, 1),
                        lon + 0.001 * (v + 1), lat - 0.002, grid, err) < 0)
                return -1;
            specials += v < 2;
        }
    }
    /* one red rainstorm warning for the first town, issued, a third answered */
    if (!towns.nrows)
        return 0;
    json_t *w =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "level", "red",
                  "event", "暴雨", "event_code", "11B03", "category", "Met", "urgency", "Immediate",
                  "certainty", "Likely", "sender_name", "云岭县应急管理局", "headline",
                  arena_printf(tx->arena, "%s暴雨红色预警", db_cell(&towns, 0, 1)), "description",
                  "预计未来3小时内降雨量将达100毫米以上，山洪、滑坡风险极高。", "instruction",
                  "立即转移危险区域群众，停止户外作业，网格员逐户通知特殊群体。", "division_code",
                  db_cell(&towns, 0, 0), "target_divisions", db_cell(&towns, 0, 0));
    json_t *out = NULL;
    int rc = entity_create(tx, &publish_warnings_entity, w, &out, err);
    json_decref(w);
    if (rc < 0)
        return -1;
    const char *key = arena_printf(tx->arena, "%lld", (long long)pub_json_int(out, "id"));
    json_decref(out);
    int64_t n = 0;
    if (workflow_apply(tx, &pub_flow, key, "submit", NULL, NULL, err) < 0 ||
        workflow_apply(tx, &pub_flow, key, "approve", NULL, NULL, err) < 0 ||
        pub_issue(tx, key, NULL, &n, err) < 0)
        return -1;
    DbRows t;
    if (store_query(tx->conn, tx->arena,
                    "SELECT id FROM publish_targets WHERE warning_id = $1 AND needs_ack = 1 ORDER"
                    " BY id",
                    (DbValue[]){db_int(atoll(key))}, 1, &t, err) < 0)
        return -1;
    for (int i = 0; i < t.nrows; i += 3)
        if (pub_answer(tx, atoll(db_cell(&t, i, 0)), i % 2 ? "sms-reply" : "link", 0, err) < 0)
            return -1;
    return 0;
}
