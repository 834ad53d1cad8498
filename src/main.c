/* main — the `yingji` command table.
 *
 *   yingji serve  [--db URL] [--listen HOST:PORT] [--web-root DIR] [--threads N]
 *                 [--mqtt HOST:PORT] [--channels PATH]
 *   yingji demo   [--db URL] [--reference DIR] [--accounts-only]
 *   yingji import KIND FILE [--db URL]      KIND: an entity (divisions, orgs), or
 *                                           divisions-national DIR (--with-towns)
 *   yingji export KIND [--db URL]           CSV (UTF-8 with BOM) on standard output
 *   yingji user add --username U --password P --role R [--division CODE] [--display-name N]
 *   yingji audit verify [--db URL]
 *   yingji cap validate FILE…               CAP 1.2 / GB/T 35965.1 check, one line per problem
 *   yingji cap convert FILE --to json|xml   CAP XML or JSON in, the other (or the same) out
 *
 * Every option can also come from the environment as YINGJI_<NAME> (--web-root →
 * YINGJI_WEB_ROOT). Exit status: 0 success, 1 failure, 2 usage error. */
#include "app.h"
#include "core/clock.h"
#include "core/fileio.h"
#include "core/log.h"
#include "demo/demo.h"
#include "flow/audit.h"
#include "flow/outbox.h"
#include "flow/scheduler.h"
#include "modules/accounts/accounts.h"
#include "modules/divisions/divisions.h"
#include "modules/monitoring/monitoring.h"
#include "modules/publish/cap.h"
#include "modules/publish/channel.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>

#define DEFAULT_DB "sqlite:data/yingji.db"
#define DEFAULT_LISTEN "127.0.0.1:8080"

/* ---------- options ---------- */

#define MAX_OPTS 16
#define MAX_ARGS 64 /* `cap validate FILE…` takes many files */

typedef struct Opts {
    const char *names[MAX_OPTS];
    const char *values[MAX_OPTS]; /* "" for flags */
    int n;
    const char *args[MAX_ARGS]; /* positional */
    int nargs;
} Opts;

static int usage(void);

static int parse_opts(int argc, char **argv, Opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            if (o->nargs == MAX_ARGS)
                return -1;
            o->args[o->nargs++] = a;
            continue;
        }
        if (o->n == MAX_OPTS)
            return -1;
        const char *eq = strchr(a, '=');
        int flag = !eq && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0);
        o->names[o->n] = eq ? strndup(a + 2, (size_t)(eq - a - 2)) : a + 2;
        o->values[o->n] = eq ? eq + 1 : flag ? "" : argv[++i];
        o->n++;
    }
    return 0;
}

/* --name value, else YINGJI_NAME, else def. */
static const char *opt(const Opts *o, const char *name, const char *def)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->names[i], name) == 0)
            return o->values[i];
    char env[64] = "YINGJI_";
    size_t k = strlen(env);
    for (const char *p = name; *p && k < sizeof env - 1; p++)
        env[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    env[k] = 0;
    const char *v = getenv(env);
    return v && *v ? v : def;
}

static int opt_flag(const Opts *o, const char *name)
{
    const char *v = opt(o, name, NULL);
    return v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

static void print_error(const char *what_zh, const char *what_en, const Error *err)
{
    fprintf(stderr, "yingji: %s失败：%s\n        %s failed: %s\n", what_zh, err->message, what_en,
            err->message_en);
    for (void *it = json_object_iter(err->fields); it; it = json_object_iter_next(err->fields, it))
        fprintf(stderr, "  %s: %s\n", json_object_iter_key(it),
                json_string_value(json_object_iter_value(it)));
    size_t nrows = json_array_size(err->rows);
    for (size_t i = 0; i < nrows && i < 50; i++) {
        char *s = json_dumps(json_array_get(err->rows, i), JSON_COMPACT);
        fprintf(stderr, "  %s\n", s ? s : "");
        free(s);
    }
    if (nrows > 50)
        fprintf(stderr, "  …（共 %zu 行有误 / %zu bad rows in all）\n", nrows, nrows);
}

/* A channel file that does not load stops the start, its problems listed: warnings would
 * otherwise go out through a channel nobody configured (NULL or "": no file, the default
 * spool). */
static int check_channels(const char *path)
{
    if (!path || !*path)
        return 0;
    Error err = ERROR_INIT;
    ChannelSet *set = channels_load_file(path, &err);
    if (!set) {
        print_error("读取渠道配置", "reading the channel file", &err);
        error_clear(&err);
        return -1;
    }
    channels_free(set);
    return 0;
}

/* Makes the directory of a sqlite:PATH database so a fresh checkout just works. */
static void ensure_sqlite_dir(const char *url)
{
    if (strncmp(url, "sqlite:", 7) != 0)
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", url + 7);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = 0;
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    mkdir(dir, 0755);
}

static Store *open_store(const Opts *o, int pool)
{
    const char *url = opt(o, "db", DEFAULT_DB);
    Error err = ERROR_INIT;
    ensure_sqlite_dir(url);
    Store *s = app_open(url, pool, &err);
    if (!s) {
        print_error("打开数据库", "opening the database", &err);
        error_clear(&err);
    }
    return s;
}

/* ---------- serve ---------- */

static int parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return -1;
    snprintf(host, hostlen, "%.*s", (int)(colon - listen), listen);
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static int cmd_serve(const Opts *o)
{
    char host[256];
    ServerConfig cfg = {0};
    if (parse_listen(opt(o, "listen", DEFAULT_LISTEN), host, sizeof host, &cfg.port) < 0) {
        fprintf(stderr, "yingji: --listen 应为 HOST:PORT / --listen must be HOST:PORT\n");
        return 2;
    }
    cfg.listen_host = host;
    const char *mqtt = opt(o, "mqtt", NULL); /* "": --mqtt without a value */
    if (mqtt && !*mqtt) {
        fprintf(stderr, "yingji: --mqtt 应为 HOST:PORT / --mqtt must be HOST:PORT\n");
        return 2;
    }
    cfg.threads = atoi(opt(o, "threads", "8"));
    if (cfg.threads < 1)
        cfg.threads = 1;
    cfg.web_root = opt(o, "web-root", "web/dist");
    cfg.max_body = 1 << 20;
    cfg.max_upload = 64 << 20;
    cfg.test_clock = opt_flag(o, "test-clock");
    if (cfg.test_clock)
        log_warn("--test-clock: POST /api/v1/test/clock is enabled (tests only, never in service)");
    http_set_public_config(opt(o, "platform-name", "应急管理综合应用平台"), opt(o, "tile-url", ""));

    /* signals are taken by sigwait below; every thread started after this inherits the mask */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* warning publication's channel file (docs/channels.md), read by the publish module */
    const char *channels = opt(o, "channels", NULL);
    if (channels && *channels)
        setenv("YINGJI_CHANNELS", channels, 1);
    if (check_channels(getenv("YINGJI_CHANNELS")) < 0)
        return 2;
    Store *store = open_store(o, cfg.threads + 4);
    if (!store)
        return 1;
    app_register_routes(&cfg);
    app_start_modules(store);
    Error err = ERROR_INIT;
    Server *srv = http_start(store, &cfg, &err);
    if (!srv) {
        print_error("启动服务", "starting the server", &err);
        error_clear(&err);
        store_close(store);
        return 1;
    }
    scheduler_thread_start(store, 1000);
    outbox_thread_start(store, 1000);
    if (mqtt && monitoring_mqtt_start(store, mqtt, &err) < 0) {
        print_error("启动 MQTT 接入", "starting MQTT ingest", &err);
        error_clear(&err);
        http_stop(srv);
        outbox_thread_stop();
        scheduler_thread_stop();
        store_close(store);
        return 1;
    }
    log_info("yingji serving http://%s:%d/ (database %s)", host, http_port(srv),
             store_url_redacted(store));
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("signal %d: stopping", sig);
    monitoring_mqtt_stop();
    http_stop(srv);
    outbox_thread_stop();
    scheduler_thread_stop();
    store_close(store);
    log_info("stopped");
    return 0;
}

/* ---------- demo ---------- */

static int cmd_demo(const Opts *o)
{
    if (opt_flag(o, "accounts-only")) {
        demo_print_accounts(stdout);
        return 0;
    }
    Store *store = open_store(o, 2);
    if (!store)
        return 1;
    Error err = ERROR_INIT;
    int rc = demo_load(store, opt(o, "reference", "reference"), &err);
    store_close(store);
    if (rc < 0) {
        print_error("加载演示数据", "loading the demo data", &err);
        error_clear(&err);
        return 1;
    }
    printf("演示数据已加载 / demo data loaded: %s %s\n\n", DEMO_COUNTY_CODE, DEMO_COUNTY_NAME);
    demo_print_accounts(stdout);
    return 0;
}

/* ---------- import / export ---------- */

static const Entity *find_entity(const char *plural)
{
    int n;
    const Entity *const *es = http_entities(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(es[i]->plural, plural) == 0)
            return es[i];
    return NULL;
}

static int unknown_kind(const char *kind)
{
    fprintf(stderr, "yingji: 未知的数据类别 %s / unknown kind %s. 可用 / available:", kind, kind);
    int n;
    const Entity *const *es = http_entities(&n);
    for (int i = 0; i < n; i++)
        if (es[i] != &users_entity)
            fprintf(stderr, " %s", es[i]->plural);
    fprintf(stderr, " divisions-national\n");
    return 2;
}

typedef struct ImportJob {
    const Entity *entity; /* NULL: national divisions */
    const char *path;
    int with_towns;
    int imported;
} ImportJob;

static void print_progress(const char *stage, int done, int total, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "  %s: %d/%d\n", stage, done, total);
}

static int import_tx(Tx *tx, void *ctx, Error *err)
{
    ImportJob *job = ctx;
    if (!job->entity)
        return divisions_import_national(tx, job->path, job->with_towns, print_progress, NULL,
                                         &job->imported, err);
    size_t len = 0;
    char *data = file_read_all(job->path, &len);
    if (!data)
        return error_setf(err, 400, "file_unreadable", "无法读取文件 %s：%s", "cannot read %s: %s",
                          job->path, strerror(errno), job->path, strerror(errno));
    ImportResult res = {0};
    int rc = entity_import_csv(tx, job->entity, data, len, &res, err);
    free(data);
    if (rc < 0 && res.row_errors && json_array_size(res.row_errors) && !err->rows)
        err->rows = json_incref(res.row_errors);
    job->imported = res.rows_imported;
    import_result_clear(&res);
    return rc;
}

static int cmd_import(const Opts *o)
{
    if (o->nargs != 2)
        return usage();
    ServerConfig none = {0};
    app_register_routes(&none);
    ImportJob job = {NULL, o->args[1], opt_flag(o, "with-towns"), 0};
    if (strcmp(o->args[0], "divisions-national") != 0) {
        job.entity = find_entity(o->args[0]);
        if (!job.entity || job.entity == &users_entity)
            return unknown_kind(o->args[0]);
    }
    Store *store = open_store(o, 2);
    if (!store)
        return 1;
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    fprintf(stderr, "导入 %s ← %s …\n", o->args[0], job.path);
    int rc = tx_run(store, &actor_system, &arena, import_tx, &job, &err);
    arena_free(&arena);
    store_close(store);
    if (rc < 0) {
        print_error("导入", "import", &err);
        error_clear(&err);
        return 1;
    }
    printf("已导入 %d 行 / imported %d rows\n", job.imported, job.imported);
    return 0;
}

static int cmd_export(const Opts *o)
{
    if (o->nargs != 1)
        return usage();
    ServerConfig none = {0};
    app_register_routes(&none);
    const Entity *e = find_entity(o->args[0]);
    if (!e)
        return unknown_kind(o->args[0]);
    Store *store = open_store(o, 1);
    if (!store)
        return 1;
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    StrBuf out = STRBUF_INIT;
    ListQuery lq = {0};
    StoreConn *c = store_acquire(store);
    int rc = entity_export_csv(c, &arena, e, &actor_system, &lq, &out, &err);
    store_release(store, c);
    if (rc == 0)
        fwrite(out.buf, 1, out.len, stdout);
    else
        print_error("导出", "export", &err);
    strbuf_free(&out);
    error_clear(&err);
    arena_free(&arena);
    store_close(store);
    return rc < 0 ? 1 : 0;
}

/* ---------- user add ---------- */

typedef struct AddUser {
    json_t *fields;
    const char *password;
} AddUser;

static int add_user_tx(Tx *tx, void *ctx, Error *err)
{
    AddUser *au = ctx;
    return accounts_create_user(tx, au->fields, au->password, NULL, err);
}

static int cmd_user(const Opts *o)
{
    if (o->nargs != 1 || strcmp(o->args[0], "add") != 0)
        return usage();
    const char *username = opt(o, "username", NULL), *password = opt(o, "password", NULL);
    const char *role = opt(o, "role", NULL), *division = opt(o, "division", NULL);
    if (!username || !password || !role) {
        fprintf(stderr, "yingji user add: 需要 --username、--password 和 --role\n"
                        "                 --username, --password and --role are required\n");
        return 2;
    }
    json_t *fields = json_pack("{s:s, s:s, s:s}", "username", username, "display_name",
                               opt(o, "display-name", username), "role", role);
    if (division && *division)
        json_object_set_new(fields, "division_code", json_string(division));
    else
        fprintf(stderr, "注意：未指定 --division，该用户的管辖范围为整个平台\n"
                        "note: no --division given; the user's jurisdiction is the whole "
                        "deployment\n");
    Store *store = open_store(o, 2);
    if (!store) {
        json_decref(fields);
        return 1;
    }
    AddUser au = {fields, password};
    Arena arena = ARENA_INIT;
    Error err = ERROR_INIT;
    int rc = tx_run(store, &actor_system, &arena, add_user_tx, &au, &err);
    if (rc < 0)
        print_error("创建用户", "creating the user", &err);
    else
        printf("已创建用户 %s（%s）/ user %s created\n", username, role, username);
    error_clear(&err);
    arena_free(&arena);
    json_decref(fields);
    store_close(store);
    return rc < 0 ? 1 : 0;
}

/* ---------- audit verify ---------- */

static int cmd_audit(const Opts *o)
{
    if (o->nargs != 1 || strcmp(o->args[0], "verify") != 0)
        return usage();
    Store *store = open_store(o, 1);
    if (!store)
        return 1;
    Error err = ERROR_INIT;
    AuditVerify v;
    StoreConn *c = store_acquire(store);
    int rc = audit_verify(c, &v, &err);
    store_release(store, c);
    store_close(store);
    if (rc < 0) {
        print_error("校验审计链", "verifying the audit chain", &err);
        error_clear(&err);
        return 1;
    }
    if (v.broken_id) {
        printf("审计链断裂：第 %lld 条 — %s\nBROKEN at entry %lld: %s\n", (long long)v.broken_id,
               v.reason, (long long)v.broken_id, v.reason);
        return 1;
    }
    printf("OK：审计链完整，共校验 %lld 条 / audit chain intact, %lld entries checked\n",
           (long long)v.checked, (long long)v.checked);
    return 0;
}

/* ---------- cap validate / convert ---------- */

static int cmd_cap(const Opts *o)
{
    if (o->nargs >= 2 && strcmp(o->args[0], "validate") == 0)
        return cap_cmd_validate(o->args + 1, o->nargs - 1, stdout, stderr);
    if (o->nargs == 2 && strcmp(o->args[0], "convert") == 0)
        return cap_cmd_convert(o->args[1], opt(o, "to", NULL), stdout, stderr);
    return usage();
}

/* ---------- command table ---------- */

typedef struct Command {
    const char *name;
    int (*run)(const Opts *o);
    const char *help;
} Command;

static const Command commands[] = {
    {"serve", cmd_serve,
     "serve [--db URL] [--listen HOST:PORT] [--web-root DIR] [--threads N] [--mqtt HOST:PORT]"
     " [--channels PATH]"},
    {"demo", cmd_demo, "demo [--db URL] [--reference DIR] [--accounts-only]"},
    {"import", cmd_import,
     "import KIND FILE [--db URL]   (KIND: divisions, orgs; divisions-national DIR "
     "[--with-towns])"},
    {"export", cmd_export, "export KIND [--db URL] > FILE.csv"},
    {"user", cmd_user,
     "user add --username U --password P --role R [--division CODE] [--display-name NAME]"},
    {"audit", cmd_audit, "audit verify [--db URL]"},
    {"cap", cmd_cap, "cap validate FILE…  |  cap convert FILE --to json|xml"},
};

static int usage(void)
{
    fprintf(stderr, "用法 / usage: yingji COMMAND [OPTIONS]\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stderr, "  yingji %s\n", commands[i].help);
    fprintf(stderr,
            "--db: sqlite:PATH (default %s) or postgres://…; every option also reads "
            "YINGJI_<NAME>.\n",
            DEFAULT_DB);
    return 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage();
    Opts o;
    if (parse_opts(argc - 2, argv + 2, &o) < 0)
        return usage();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(&o);
    return usage();
}
