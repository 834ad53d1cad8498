/* modules/incidents/demo — the demo county's event types and incidents (Module.demo).
 *
 * Event types come from reference/event_types.csv (skipped when the table is already filled;
 * without the file a small built-in subset is loaded, enough for the incidents below).
 * Fifteen incidents of varied types and grades lie in the towns of 620390, written through
 * the same functions as the API (intake, verify, respond, response level, reports, close), so
 * every one has its timeline, audit entries and reporting clock. Times are relative to the
 * demo's clock: most incidents are closed with their reports sent in time; two are being
 * handled; one 较大 incident received three hours ago has no first report and is flagged
 * 迟报 (its deadline passed). */
#include "modules/incidents/incidents_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNTY "620390"

static const char *const fallback_types[] = {"10000,突发事件,,0",
                                             "11000,自然灾害,10000,1",
                                             "11B00,气象灾害,11000,2",
                                             "11B03,暴雨事件,11B00,3",
                                             "11D00,地质灾害,11000,2",
                                             "11D02,泥石流事件,11D00,3",
                                             "11G00,森林草原火灾,11000,2",
                                             "11G01,境内森林火灾事件,11G00,3",
                                             "12000,事故灾难,10000,1",
                                             "12A00,煤矿事故,12000,2",
                                             "12A01,煤矿瓦斯事故,12A00,3",
                                             "12B00,金属与非金属矿山事故,12000,2",
                                             "12B04,金属与非金属矿尾矿库垮坝事故,12B00,3",
                                             "12C00,建筑业事故,12000,2",
                                             "12C01,房屋建筑与市政工程施工安全事故,12C00,3",
                                             "12D00,危险化学品事故,12000,2",
                                             "12D01,危险化学品爆炸事故,12D00,3",
                                             "12D02,危险化学品泄漏事故,12D00,3",
                                             "12G00,火灾事故,12000,2",
                                             "12H00,道路交通事故,12000,2",
                                             "12H02,撞车事件,12H00,3",
                                             NULL};

static int load_types(Tx *tx, Error *err)
{
    int64_t count = 0;
    if (store_query_int(tx->conn, "SELECT count(*) FROM event_types", NULL, 0, &count, err) < 0)
        return -1;
    if (count > 0)
        return 0;
    int n = 0;
    if (access(INCIDENT_EVENT_TYPES_CSV, R_OK) == 0)
        return incident_load_event_types(tx, INCIDENT_EVENT_TYPES_CSV, &n, err);
    log_warn("demo: %s not found; loading a built-in subset of event types",
             INCIDENT_EVENT_TYPES_CSV);
    StrBuf csv = STRBUF_INIT;
    strbuf_adds(&csv, "code,name,parent_code,level\n");
    for (int i = 0; fallback_types[i]; i++)
        strbuf_addf(&csv, "%s\n", fallback_types[i]);
    ImportResult res = {0};
    int rc = entity_import_csv(tx, &event_types_entity, strbuf_cstr(&csv), csv.len, &res, err);
    import_result_clear(&res);
    strbuf_free(&csv);
    return rc;
}

typedef struct DemoIncident {
    const char *title, *type, *source, *address;
    int deaths, missing, serious, injuries;
    double loss;
    int hours_ago;     /* reported this many hours before now */
    const char *state; /* final state: reported, verified, responding, closed */
    int reports;       /* 0: none (the overdue one); 1: first reports in time (+ final) */
} DemoIncident;

static const DemoIncident incidents[] = {
    {"青石镇化工园区储罐泄漏", "12D02", "phone", "青石镇化工园区3号罐区", 0, 0, 0, 2, 35, 720,
     "closed", 1},
    {"河西镇在建住宅楼脚手架坍塌", "12C01", "report", "河西镇幸福路在建项目", 1, 0, 2, 3, 120, 600,
     "closed", 1},
    {"柳泉镇暴雨内涝", "11B03", "sensor", "柳泉镇老街片区", 0, 0, 0, 0, 260, 520, "closed", 1},
    {"云岭煤矿瓦斯爆炸", "12A01", "upper", "云岭煤矿二号井", 4, 0, 6, 11, 1800, 480, "closed", 1},
    {"县道 X201 两车相撞", "12H02", "hotline_12345", "X201 线 12 公里处", 2, 0, 1, 4, 40, 400,
     "closed", 1},
    {"东山林场森林火情", "11G01", "public", "东山林场 7 林班", 0, 0, 0, 0, 80, 360, "closed", 1},
    {"尾矿库局部渗漏", "12B04", "sensor", "金岭矿业尾矿库", 0, 0, 0, 0, 15, 300, "closed", 1},
    {"仓储物流园火灾", "12G00", "phone", "县物流园 B 区仓库", 0, 0, 3, 6, 1200, 240, "closed", 1},
    {"沟谷泥石流冲毁道路", "11D02", "report", "王家沟村后山沟谷", 0, 1, 0, 2, 300, 200, "closed",
     1},
    {"烟花仓库爆炸", "12D01", "phone", "河西镇工业区", 10, 1, 12, 20, 6000, 20, "responding", 1},
    {"化肥厂氨气泄漏", "12D02", "phone", "青石镇化肥厂", 0, 0, 1, 5, 20, 10, "responding", 1},
    {"建筑工地塔吊倾覆", "12C01", "report", "县城南区在建商业综合体", 3, 0, 2, 1, 400, 3,
     "verified", 0},
    {"农用车侧翻", "12H02", "hotline_12345", "柳泉镇 S308 线", 0, 0, 0, 2, 3, 1, "reported", 1},
    {"山林冒烟（核实中）", "11G01", "public", "西岭村后山", 0, 0, 0, 0, 0, 0, "reported", 0},
    {"暴雨致民房倒塌", "11B03", "info", "河西镇李家村", 0, 0, 1, 2, 60, 30, "closed", 1},
};

static int run_action(Tx *tx, const char *key, const char *action, json_t *body, Error *err)
{
    json_t *out = NULL;
    int rc = incident_action(tx, key, action, body, &out, err);
    json_decref(out);
    return rc;
}

static int send_report(Tx *tx, long long iid, const char *kind, const char *channel,
                       const char *content, long long at, Error *err)
{
    json_t *body =
        json_pack("{s:I, s:s, s:s, s:s, s:s}", "incident_id", (json_int_t)iid, "kind", kind,
                  "channel", channel, "content", content, "recipient", "金昌市应急管理局");
    json_t *rep = NULL, *sent = NULL;
    if (at > clock_now())
        at = clock_now();
    int rc = incident_report_create(tx, body, &rep, err);
    json_decref(body);
    if (rc == 0) {
        char key[32];
        snprintf(key, sizeof key, "%lld",
                 (long long)json_integer_value(json_object_get(rep, "id")));
        rc = incident_report_send(tx, key, at, &sent, err);
    }
    json_decref(rep);
    json_decref(sent);
    return rc;
}

static int one(Tx *tx, const DemoIncident *d, const char *town, double lon, double lat, Error *err)
{
    long long now = clock_now(), reported = now - (long long)d->hours_ago * 3600 - 600;
    const char *source = strcmp(d->source, "info") == 0 ? "report" : d->source;
    json_t *body = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:i, s:i, s:i, s:i, s:f, s:s}", "title",
        d->title, "source", source, "occurred_at", incidents_iso(tx->arena, reported - 900),
        "reported_at", incidents_iso(tx->arena, reported), "address", d->address, "division_code",
        town, "lon", lon, "lat", lat, "event_type", d->type, "deaths", d->deaths, "missing",
        d->missing, "serious_injuries", d->serious, "injuries", d->injuries, "direct_loss_wan",
        d->loss, "description",
        arena_printf(tx->arena, "%s。现场人员报告：%s，伤亡与损失情况见各栏。", d->title,
                     d->address));
    json_t *inc = NULL;
    int rc = incident_record(tx, body, &inc, err);
    json_decref(body);
    if (rc < 0)
        return -1;
    long long id = (long long)json_integer_value(json_object_get(inc, "id"));
    IncidentGrade g = incident_grade_from_value(json_string_value(json_object_get(inc, "grade")));
    json_decref(inc);
    char key[32];
    snprintf(key, sizeof key, "%lld", id);
    int serious = g <= INCIDENT_GRADE_MAJOR;
    if (d->reports) {
        const char *c1 = arena_printf(tx->arena, "%s：接报后立即核实，初步情况如下……", d->title);
        if (serious) {
            rc = send_report(tx, id, "first", "phone", c1, reported + 20 * 60, err);
            if (rc == 0)
                rc = send_report(tx, id, "first", "written", c1, reported + 50 * 60, err);
        } else {
            rc = send_report(tx, id, "first", "written", c1, reported + 90 * 60, err);
        }
        if (rc < 0)
            return -1;
    }
    if (strcmp(d->state, "reported") == 0)
        return 0;
    if (run_action(tx, key, "verify", NULL, err) < 0)
        return -1;
    if (strcmp(d->state, "verified") == 0)
        return 0;
    if (strcmp(d->state, "responding") == 0 || g <= INCIDENT_GRADE_LARGER) {
        if (run_action(tx, key, "respond", NULL, err) < 0)
            return -1;
        json_t *lv = json_pack("{s:s, s:s}", "level", incident_suggested_level(g), "reason",
                               "按建议级别启动响应");
        json_t *out = NULL;
        rc = incident_set_response_level(tx, key, lv, &out, err);
        json_decref(lv);
        json_decref(out);
        if (rc < 0)
            return -1;
    }
    if (strcmp(d->state, "closed") != 0)
        return 0;
    if (send_report(tx, id, "final", "written",
                    arena_printf(tx->arena, "%s处置完毕，终报如下……", d->title),
                    reported + 12 * 3600 < now ? reported + 12 * 3600 : now, err) < 0)
        return -1;
    json_t *ev =
        json_pack("{s:s}", "evaluation",
                  "处置及时，信息报送符合时限；暴露出隐患排查不到位，已督促整改（四不放过）。");
    rc = run_action(tx, key, "close", ev, err);
    json_decref(ev);
    return rc;
}

/* The town an incident happened in: the one its address or title names (河西镇…), else the
 * towns in turn; -1 when the county has no towns. */
static int demo_town_of(const DbRows *towns, const DemoIncident *d, size_t i)
{
    for (int t = 0; t < towns->nrows; t++) {
        const char *name = db_cell(towns, t, 1);
        if (name && (strstr(d->address, name) || strstr(d->title, name)))
            return t;
        if (name && strcmp(name, "城关街道") == 0 && strncmp(d->address, "县城", 6) == 0)
            return t; /* the county seat */
    }
    return towns->nrows ? (int)(i % (size_t)towns->nrows) : -1;
}

int incidents_demo(Tx *tx, Error *err)
{
    if (load_types(tx, err) < 0)
        return -1;
    DbRows towns;
    if (store_query(
            tx->conn, tx->arena,
            "SELECT code, name, center_lon, center_lat FROM divisions WHERE code LIKE '" COUNTY
            "___' ORDER BY code",
            NULL, 0, &towns, err) < 0)
        return -1;
    int n = 0;
    for (size_t i = 0; i < sizeof incidents / sizeof incidents[0]; i++) {
        int t = demo_town_of(&towns, &incidents[i], i);
        const char *town = t >= 0 ? db_cell(&towns, t, 0) : COUNTY;
        /* near the town's centre, spread a little so markers do not stack */
        double lon = (t >= 0 && db_cell(&towns, t, 2) ? atof(db_cell(&towns, t, 2)) : 102.3) +
                     0.006 * (double)((int)(i % 5) - 2);
        double lat = (t >= 0 && db_cell(&towns, t, 3) ? atof(db_cell(&towns, t, 3)) : 38.4) +
                     0.005 * (double)((int)(i % 3) - 1);
        if (one(tx, &incidents[i], town, lon, lat, err) < 0) {
            log_error("demo: incident %s: %s", incidents[i].title, err->message_en);
            return -1;
        }
        n++;
    }
    /* the overdue one: its deadline has passed; flag it now as the scheduler would */
    DbRows due;
    if (store_query(tx->conn, tx->arena,
                    "SELECT key, payload FROM scheduler_jobs WHERE kind = 'incidents.report_due'"
                    " AND due_at <= $1",
                    (DbValue[]){db_text(incidents_iso(tx->arena, clock_now()))}, 1, &due, err) < 0)
        return -1;
    for (int i = 0; i < due.nrows; i++) {
        json_t *p = json_loads(db_cell(&due, i, 1), 0, NULL);
        int rc = p ? incidents_report_due_job(tx, db_cell(&due, i, 0), p, err) : 0;
        json_decref(p);
        if (rc < 0)
            return -1;
    }
    log_info("demo: %d incidents with timelines and reports", n);
    return 0;
}
