/* modules/monitoring/mqtt — readings over MQTT (监测数据 MQTT 接入).
 *
 * Owns the one libmosquitto client of the process (monitoring_mqtt_start/stop, contract in
 * monitoring.h). The client subscribes with QoS 1 to the shared subscription
 * $share/yingji/yingji/readings/+ (several Yingji instances share the stream, each batch
 * goes to one of them), takes the gateway code from the topic's last segment, feeds the
 * payload to monitoring_ingest (JSON when its first non-space byte is '{', else the line
 * format) and publishes the answer — after the commit — to yingji/acks/<gateway> (QoS 1):
 * the ingest result, or {"batch": ID|null, "error": {code, message, message_en, status}}.
 *
 * Threads: libmosquitto runs its network loop on its own thread (mosquitto_loop_start);
 * the callbacks, and so every ingest, run there one message at a time. monitoring_ingest is
 * thread-safe; start and stop are called from the main thread only. Reconnection is
 * libmosquitto's (a first retry at once, then a backoff growing from 1 s to at most 30 s)
 * once a first connection was made; until then (the broker was not up when Yingji started)
 * a thread of ours retries it with the same backoff;
 * the subscription is made again on every connect, so a broker restart is survived
 * (messages published while no instance is subscribed are the broker's to keep or lose: the
 * gateway resends until it sees its answer). An empty message (the MQTT idiom for clearing
 * a retained one) is not a batch and gets no answer.
 *
 * Memory: the client and the copied host name are owned here and freed by stop. */
#include "modules/monitoring/monitoring_internal.h"
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MQTT_SUBSCRIPTION "$share/yingji/yingji/readings/+"
#define MQTT_ACK_PREFIX "yingji/acks/"
#define MQTT_DEFAULT_PORT 1883
#define MQTT_KEEPALIVE 30
#define MQTT_RECONNECT_MIN 1
#define MQTT_RECONNECT_MAX 30
#define GATEWAY_CODE_MAX 128

static struct mosquitto *client;
static Store *ingest_store;
static pthread_t connector;     /* retries the first connection (see connect_first) */
static int connector_running;   /* connector started, not yet joined */
static atomic_int stopping;     /* stop() asked the connector to give up */
static atomic_int loop_started; /* libmosquitto's network thread runs */
static char broker_host[256];
static int broker_port;
static int lib_ready;

/* ---- the answer ------------------------------------------------------------------------- */

/* The batch id of a refused body as the readings parser finds it (a JSON string "batch", or
 * the "@batch ID" header line), when it comes before what made the body fail. New reference
 * (json null when not found). */
static json_t *batch_of(const char *body, size_t len, IngestFormat fmt)
{
    Arena arena = ARENA_INIT;
    Error ignored = ERROR_INIT;
    ParsedBatch b;
    mon_parse(body, len, fmt, 0, &arena, &b, &ignored);
    json_t *out = b.batch ? json_string(b.batch) : NULL; /* NULL on bad UTF-8 */
    error_clear(&ignored);
    arena_free(&arena);
    return out ? out : json_null();
}

static json_t *error_answer(const Error *err, const char *body, size_t len, IngestFormat fmt)
{
    json_t *batch = batch_of(body, len, fmt);
    json_t *wrapped = error_to_json(err); /* {"error": {…}} */
    json_t *e = json_incref(json_object_get(wrapped, "error"));
    json_decref(wrapped);
    json_object_set_new(e, "status", json_integer(err->status ? err->status : 500));
    return json_pack("{s:o, s:o}", "batch", batch ? batch : json_null(), "error", e);
}

static void publish_answer(struct mosquitto *mosq, const char *gateway, json_t *answer)
{
    char topic[sizeof MQTT_ACK_PREFIX + GATEWAY_CODE_MAX];
    snprintf(topic, sizeof topic, MQTT_ACK_PREFIX "%s", gateway);
    char *text = json_dumps(answer, JSON_COMPACT);
    if (!text) {
        log_error("mqtt: 应答无法序列化 / the answer for %s cannot be serialised", gateway);
        return;
    }
    int rc = mosquitto_publish(mosq, NULL, topic, (int)strlen(text), text, 1, false);
    if (rc != MOSQ_ERR_SUCCESS)
        log_warn("mqtt: 发送应答失败 / publishing the answer to %s failed: %s (the gateway "
                 "will resend)",
                 topic, mosquitto_strerror(rc));
    free(text);
}

/* ---- callbacks (libmosquitto's thread) --------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    (void)obj;
    if (rc != 0) {
        log_warn("mqtt: 代理拒绝连接 / broker %s:%d refused the connection: %s", broker_host,
                 broker_port, mosquitto_connack_string(rc));
        return;
    }
    int src = mosquitto_subscribe(mosq, NULL, MQTT_SUBSCRIPTION, 1);
    if (src != MOSQ_ERR_SUCCESS)
        log_error("mqtt: 订阅失败 / subscribing to %s failed: %s", MQTT_SUBSCRIPTION,
                  mosquitto_strerror(src));
    else
        log_info("mqtt: 已连接 %s:%d，订阅 %s / connected to %s:%d, subscribing to %s", broker_host,
                 broker_port, MQTT_SUBSCRIPTION, broker_host, broker_port, MQTT_SUBSCRIPTION);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos)
{
    (void)mosq, (void)obj, (void)mid;
    if (qos_count < 1 || granted_qos[0] > 2)
        log_error("mqtt: 代理拒绝订阅 / the broker refused the subscription %s", MQTT_SUBSCRIPTION);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    (void)mosq, (void)obj;
    if (rc != 0)
        log_warn("mqtt: 与 %s:%d 的连接断开，将自动重连 / connection to %s:%d lost (%s); "
                 "reconnecting",
                 broker_host, broker_port, broker_host, broker_port, mosquitto_strerror(rc));
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    (void)obj;
    const char *slash = strrchr(msg->topic, '/');
    const char *gateway = slash ? slash + 1 : msg->topic;
    size_t glen = strlen(gateway);
    if (glen == 0 || glen > GATEWAY_CODE_MAX) {
        log_warn("mqtt: 主题 %s 中没有有效的网关编码，已忽略 / no usable gateway code in topic %s; "
                 "message dropped",
                 msg->topic, msg->topic);
        return;
    }
    if (msg->payloadlen <= 0) {
        log_debug("mqtt: 空消息已忽略 / empty message on %s ignored", msg->topic);
        return;
    }
    const char *body = msg->payload;
    size_t len = (size_t)msg->payloadlen;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    IngestFormat fmt = i < len && body[i] == '{' ? INGEST_JSON : INGEST_LINES;

    json_t *result = NULL;
    Error err = ERROR_INIT;
    json_t *answer;
    if (monitoring_ingest(ingest_store, NULL, gateway, body, len, fmt, &result, &err) == 0) {
        answer = result;
    } else {
        if (err.status >= 500)
            log_error("mqtt: 网关 %s 的数据入库失败 / ingest for gateway %s failed: %s", gateway,
                      gateway, err.message_en);
        else
            log_info("mqtt: 网关 %s 的数据被拒绝 / batch from gateway %s refused: %d %s", gateway,
                     gateway, err.status, err.message_en);
        json_decref(result);
        answer = error_answer(&err, body, len, fmt);
    }
    error_clear(&err);
    publish_answer(mosq, gateway, answer);
    json_decref(answer);
}

/* ---- start / stop ------------------------------------------------------------------------ */

/* "HOST:PORT", "HOST" (port 1883) or "[IPV6]:PORT". */
static int parse_host_port(const char *hp, Error *err)
{
    const char *host = hp, *port = NULL;
    size_t hlen;
    if (*hp == '[') {
        const char *close = strchr(hp, ']');
        if (!close)
            goto bad;
        host = hp + 1;
        hlen = (size_t)(close - host);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            goto bad;
    } else {
        const char *colon = strrchr(hp, ':');
        hlen = colon ? (size_t)(colon - hp) : strlen(hp);
        port = colon ? colon + 1 : NULL;
    }
    if (hlen == 0 || hlen >= sizeof broker_host)
        goto bad;
    memcpy(broker_host, host, hlen);
    broker_host[hlen] = 0;
    broker_port = MQTT_DEFAULT_PORT;
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 1 || p > 65535)
            goto bad;
        broker_port = (int)p;
    }
    return 0;
bad:
    return error_setf(err, 400, "invalid_option", "--mqtt 应为 HOST:PORT（收到 %s）",
                      "--mqtt must be HOST:PORT (got %s)", hp);
}

/* Starts the connection and, once it is under way, libmosquitto's network thread (which
 * then reconnects by itself). 0 when both are started; -1 when the broker cannot be reached
 * now (logged when `quiet` is 0). */
static int connect_once(int quiet)
{
    int rc = mosquitto_connect_async(client, broker_host, broker_port, MQTT_KEEPALIVE);
    if (rc != MOSQ_ERR_SUCCESS) {
        if (!quiet)
            log_warn("mqtt: 暂时无法连接 %s:%d（%s），将在后台重试 / cannot connect to %s:%d yet "
                     "(%s); retrying in the background",
                     broker_host, broker_port, mosquitto_strerror(rc), broker_host, broker_port,
                     mosquitto_strerror(rc));
        return -1;
    }
    rc = mosquitto_loop_start(client);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_error("mqtt: 无法启动网络线程 / cannot start the network thread: %s",
                  mosquitto_strerror(rc));
        return -1;
    }
    atomic_store(&loop_started, 1);
    return 0;
}

/* Retries the first connection with a backoff from 1 s to MQTT_RECONNECT_MAX s until it is
 * made or stop() is called. */
static void *connect_first(void *arg)
{
    (void)arg;
    int delay = MQTT_RECONNECT_MIN;
    while (!atomic_load(&stopping)) {
        for (int slept = 0; slept < delay * 10 && !atomic_load(&stopping); slept++)
            usleep(100 * 1000);
        if (atomic_load(&stopping) || connect_once(1) == 0)
            break;
        delay = delay * 2 > MQTT_RECONNECT_MAX ? MQTT_RECONNECT_MAX : delay * 2;
    }
    return NULL;
}

int monitoring_mqtt_start(Store *store, const char *host_port, Error *err)
{
    if (client)
        return error_set(err, 500, "mqtt_started", "MQTT 接入已启动",
                         "the MQTT client is already started");
    if (parse_host_port(host_port, err) < 0)
        return -1;
    if (!lib_ready) {
        mosquitto_lib_init();
        lib_ready = 1;
    }
    if (sodium_init() < 0)
        return error_set(err, 500, "internal_error", "服务器内部错误",
                         "libsodium failed to initialise");
    /* pid alone repeats across containers (pid 1 everywhere): a random suffix keeps two
     * instances from taking each other's session */
    char id[48];
    snprintf(id, sizeof id, "yingji-%ld-%08x", (long)getpid(), (unsigned)randombytes_random());
    ingest_store = store;
    client = mosquitto_new(id, true, NULL);
    if (!client)
        return error_set(err, 500, "mqtt_client", "无法创建 MQTT 客户端",
                         "cannot create the MQTT client: %s", strerror(errno));
    mosquitto_connect_callback_set(client, on_connect);
    mosquitto_disconnect_callback_set(client, on_disconnect);
    mosquitto_subscribe_callback_set(client, on_subscribe);
    mosquitto_message_callback_set(client, on_message);
    mosquitto_reconnect_delay_set(client, MQTT_RECONNECT_MIN, MQTT_RECONNECT_MAX, true);

    log_info("mqtt: 客户端 %s 连接 %s:%d / client %s connecting to %s:%d", id, broker_host,
             broker_port, id, broker_host, broker_port);
    atomic_store(&stopping, 0);
    if (connect_once(0) == 0)
        return 0;
    /* the broker is not there yet: libmosquitto only reconnects a client that was connected
     * once, so a thread of ours retries the first connection */
    if (pthread_create(&connector, NULL, connect_first, NULL) != 0) {
        mosquitto_destroy(client);
        client = NULL;
        return error_set(err, 500, "mqtt_client", "无法启动 MQTT 连接线程",
                         "cannot start the MQTT connection thread");
    }
    connector_running = 1;
    return 0;
}

void monitoring_mqtt_stop(void)
{
    if (!client)
        return;
    atomic_store(&stopping, 1);
    if (connector_running) {
        pthread_join(connector, NULL);
        connector_running = 0;
    }
    /* disconnecting (also when not connected) ends the loop and its reconnect sleep; a batch
     * being ingested is finished, its answer may be lost: the gateway resends it */
    mosquitto_disconnect(client);
    if (atomic_load(&loop_started))
        mosquitto_loop_stop(client, false);
    atomic_store(&loop_started, 0);
    mosquitto_destroy(client);
    client = NULL;
    ingest_store = NULL;
    if (lib_ready) {
        mosquitto_lib_cleanup();
        lib_ready = 0;
    }
    log_info("mqtt: 已停止 / stopped");
}
