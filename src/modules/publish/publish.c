/* modules/publish — the module: configuration, migrations, start-up; see publish.h. */
#include "modules/publish/publish_internal.h"

#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- configuration ------------------------------------------------------------------------- */

static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static ChannelSet *channels;
static Store *module_store;

static ChannelSet *default_channels(void)
{
    const char *d = getenv("YINGJI_DATA_DIR");
    json_t *cfg =
        json_pack("{s:[{s:s, s:s, s:s}]}", "channels", "name", "file", "kind", "spool", "dir", "");
    char dir[4096];
    mkdir(d && *d ? d : "data", 0750); /* the spool creates one level, its own */
    snprintf(dir, sizeof dir, "%s/spool", d && *d ? d : "data");
    json_object_set_new(json_array_get(json_object_get(cfg, "channels"), 0), "dir",
                        json_string(dir));
    char *text = json_dumps(cfg, 0);
    json_decref(cfg);
    Error err = ERROR_INIT;
    ChannelSet *set = channels_load(text, &err);
    free(text);
    if (!set) {
        log_error("publish: 默认渠道无法配置 / the default spool channel: %s", err.message_en);
        error_clear(&err);
        set = xcalloc(1, sizeof *set);
    }
    return set;
}

void pub_set_channels(ChannelSet *set)
{
    pthread_mutex_lock(&cfg_lock);
    channels_free(channels);
    channels = set;
    pthread_mutex_unlock(&cfg_lock);
}

const ChannelSet *pub_channels(void)
{
    pthread_mutex_lock(&cfg_lock);
    if (!channels)
        channels = default_channels();
    ChannelSet *set = channels;
    pthread_mutex_unlock(&cfg_lock);
    return set;
}

int64_t pub_ack_seconds(void)
{
    const char *v = getenv("YINGJI_ACK_MINUTES");
    long m = v && *v ? atol(v) : 10;
    return (m > 0 && m <= 24 * 60 ? m : 10) * 60;
}

const char *pub_public_url(void)
{
    const char *v = getenv("YINGJI_PUBLIC_URL");
    return v ? v : "";
}

const char *pub_cap_sender(void)
{
    const char *v = getenv("YINGJI_CAP_SENDER");
    return v && *v ? v : "yingji@emergency.gov.cn";
}

const char *pub_cap_unit(void)
{
    const char *v = getenv("YINGJI_CAP_UNIT");
    return v && strlen(v) == 14 ? v : "62039000000000";
}

Store *pub_store(void)
{
    return module_store;
}

/* ---- migrations ---------------------------------------------------------------------------- */

static int create_entities(StoreConn *c, Error *err)
{
    const Entity *const es[] = {&publish_warnings_entity,   &publish_people_entity,
                                &publish_specials_entity,   &publish_targets_entity,
                                &publish_deliveries_entity, &publish_visits_entity};
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++)
        if (entity_create_table(c, es[i], err) < 0)
            return -1;
    return 0;
}

static const char extra_sql[] =
    "CREATE TABLE IF NOT EXISTS publish_secret (id INTEGER NOT NULL PRIMARY KEY,"
    " token_key TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS publish_targets_due ON publish_targets (escalation, due_at);"
    "CREATE INDEX IF NOT EXISTS publish_targets_warning_person ON publish_targets (warning_id,"
    " person_id)";

static const Migration migrations[] = {
    {1, "publication: warnings, directory, targets, deliveries, visits", NULL, NULL,
     create_entities},
    {2, "answer-link key, sweep and sender indexes", extra_sql, extra_sql, NULL},
};

static int publish_migrate(Store *store, Error *err)
{
    return store_migrate(store, "publish", migrations,
                         (int)(sizeof migrations / sizeof migrations[0]), err);
}

static void publish_start(Store *store)
{
    module_store = store;
    Error err = ERROR_INIT;
    if (pub_secret_load(store, &err) < 0)
        log_error("publish: 叫应链接密钥不可用 / no answer-link key: %s", err.message_en);
    error_clear(&err);
    const char *path = getenv("YINGJI_CHANNELS");
    if (path && *path) {
        ChannelSet *set = channels_load_file(path, &err);
        if (!set) {
            /* serve checked the file before starting (main.c): it changed since */
            log_error("publish: 渠道配置 %s 有误，改用默认文件渠道 / bad channel configuration, "
                      "using the default spool: %s",
                      path, err.message_en);
            error_clear(&err);
        } else {
            log_info("publish: %zu channels from %s", set->n, path);
        }
        pub_set_channels(set);
    }
    if (!*pub_public_url())
        log_warn("publish: YINGJI_PUBLIC_URL 未设置，叫应链接为相对地址 / not set: answer links in "
                 "messages are relative");
    pub_directory_reset();
    pub_jobs_start(store);
}

const Module publish_module = {
    .name = "publish",
    .migrate = publish_migrate,
    .register_routes = pub_register_routes,
    .start = publish_start,
    .demo = pub_demo,
};
