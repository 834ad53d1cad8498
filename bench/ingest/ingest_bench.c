/* bench/ingest — load generator for the readings ingest (POST /api/v1/readings, MQTT) and
 * for its peer, InfluxDB 1.x's line protocol (POST /write). Built by bench/ingest/run.sh with
 * `gcc -O2` against libmosquitto and jansson; HTTP/1.1 keep-alive over plain POSIX sockets.
 *
 *   ingest_bench http    --port P --sensors FILE [--format yingji|influx] [--key GW:KEY]
 *                        [--path PATH] [--conns C] [--batch B] [--seconds S] [--rate R]
 *                        [--ts-base MS] [--ts-step MS]
 *   ingest_bench mqtt    --port BROKER_PORT --sensors FILE --key GW:KEY [--gateway GW]
 *                        [--batch B] [--seconds S] [--window W] [--ts-base MS] [--ts-step MS]
 *   ingest_bench latency --port P --sensors FILE --key GW:KEY --token TOKEN
 *                        --probe-sensor CODE --probe-high V --probe-low V --probe-hold-ms MS
 *                        [--probes N] [--rate R] [--conns C] [--batch B]
 *                        [--ts-base MS] [--ts-step MS] [--probe-ts-base MS]
 *
 * FILE has one sensor a line: "CODE MEASUREMENT LOW HIGH" — each reading's value is drawn
 * uniformly from [LOW, HIGH] (run.sh picks ranges below every warning threshold, so the
 * load itself raises nothing); MEASUREMENT names the InfluxDB measurement (the sensor type).
 * Connection c of C owns the sensors i with i % C == c (like one gateway per connection) and
 * sends rounds of them in order: round r of a sensor has ts = ts-base + r * ts-step (ms).
 * A batch is B readings (line format for Yingji, line protocol for InfluxDB).
 *
 * http: C connections send batches back to back (or paced at R readings/s in total) for S
 *   seconds, then wait for the answers in flight. A batch counts when its answer is 200
 *   (Yingji: the answer's "accepted" is added) or 204 (InfluxDB).
 * mqtt: one client publishes batches (QoS 1, "@auth"/"@batch" header lines) to
 *   yingji/readings/GW, keeping at most W batches unanswered, and counts the answers on
 *   yingji/acks/GW (the durable acknowledgement).
 * latency: runs the http load paced at R readings/s in the background, holds an SSE stream
 *   GET /api/v1/events open (Authorization: Bearer TOKEN) and sends N probe cycles for the
 *   probe sensor, each three single-reading batches at event times T, T+1 s and
 *   T+1 s+hold+1 s: HIGH (raises a warning), LOW (starts the hold), LOW (closes it). For the
 *   raise and the close it measures the time from sending the reading to the arrival of the
 *   SSE change event of that warning (entity monitor_warnings, the id from the answer), and
 *   the time to the HTTP answer. Cycle i uses T = probe-ts-base + i * (hold + 10 s). Each
 *   measured reading leaves after a random pause of 0–100 ms, so the probes do not fall
 *   into step with periodic work of the server (the SSE notifier's 100 ms tick).
 *
 * Prints one line "RESULT mode=… key=value …" (rates in readings/s, times in ms) for run.sh;
 * diagnostics go to stderr. Exit status 1 when nothing was acknowledged or probes failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------- options ---------- */

static const char *opt_host = "127.0.0.1";
static int opt_port;
static const char *opt_sensors;
static int opt_influx;
static const char *opt_key;
static const char *opt_gateway = "GW-DEMO-01";
static const char *opt_path;
static int opt_conns = 2;
static int opt_batch = 5000;
static double opt_seconds = 10;
static double opt_rate; /* readings/s in total; 0 = as fast as possible */
static long long opt_ts_base;
static long long opt_ts_step = 1000;
static int opt_window = 4;
static const char *opt_token;
static const char *opt_probe_sensor;
static double opt_probe_high = NAN, opt_probe_low = NAN;
static long long opt_probe_hold_ms = -1;
static int opt_probes = 200;
static long long opt_probe_ts_base;
static const char *opt_sse_entity = "monitor_warnings";

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ingest_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long long wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---------- growable buffer ---------- */

typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

static void buf_reserve(Buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p)
        die("out of memory");
    b->cap = cap;
}

static void buf_add(Buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

__attribute__((format(printf, 2, 3))) static void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    buf_reserve(b, 256);
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("vsnprintf failed");
    if ((size_t)n >= b->cap - b->len) { /* did not fit: grow and format again */
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* ---------- sensors and batches ---------- */

typedef struct Sensor {
    char code[64];
    char meas[64];
    double lo, hi;
} Sensor;

static Sensor *sensors;
static int nsensors;

static void load_sensors(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    char line[512];
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        Sensor s;
        if (line[0] == '#' || sscanf(line, "%63s %63s %lf %lf", s.code, s.meas, &s.lo, &s.hi) != 4)
            continue;
        if (nsensors == cap) {
            cap = cap ? cap * 2 : 256;
            sensors = realloc(sensors, (size_t)cap * sizeof *sensors);
            if (!sensors)
                die("out of memory");
        }
        sensors[nsensors++] = s;
    }
    fclose(f);
    if (nsensors == 0)
        die("no sensors in %s", path);
}

/* The reading sequence of one connection: its sensors in turn, round after round. */
typedef struct Gen {
    int first, stride; /* sensors first, first + stride, … */
    int count;         /* how many sensors that is */
    long long next;    /* next reading number */
    unsigned seed;
    long long max_ts;
} Gen;

static void gen_init(Gen *g, int conn, int conns)
{
    g->first = conn;
    g->stride = conns;
    g->count = (nsensors - conn + conns - 1) / conns;
    g->next = 0;
    g->seed = 12345u + (unsigned)conn * 7919u;
    g->max_ts = 0;
    if (g->count <= 0)
        die("%d connections but only %d sensors", conns, nsensors);
}

/* Appends n readings to b in the line format (Yingji) or the line protocol (InfluxDB). */
static void gen_batch(Gen *g, Buf *b, int n)
{
    char line[256];
    for (int k = 0; k < n; k++, g->next++) {
        const Sensor *s = &sensors[g->first + (int)(g->next % g->count) * g->stride];
        long long ts = opt_ts_base + (g->next / g->count) * opt_ts_step;
        double v = s->lo + (s->hi - s->lo) * ((double)rand_r(&g->seed) / ((double)RAND_MAX + 1.0));
        int len;
        if (opt_influx)
            len = snprintf(line, sizeof line, "%s,sensor=%s value=%.3f %lld\n", s->meas, s->code, v,
                           ts);
        else
            len = snprintf(line, sizeof line, "%s %.3f %lld\n", s->code, v, ts);
        buf_add(b, line, (size_t)len);
        if (ts > g->max_ts)
            g->max_ts = ts;
    }
}

/* ---------- HTTP/1.1 client (keep-alive, Content-Length or chunked) ---------- */

typedef struct Conn {
    int fd;
    char in[65536];
    size_t start, end;
} Conn;

static int conn_open(Conn *c)
{
    c->start = c->end = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port)};
    inet_pton(AF_INET, opt_host, &a.sin_addr);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(Conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int conn_fill(Conn *c)
{
    if (c->start == c->end)
        c->start = c->end = 0;
    if (c->end == sizeof c->in) {
        if (c->start == 0)
            return -1;
        memmove(c->in, c->in + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    for (;;) {
        ssize_t r = recv(c->fd, c->in + c->end, sizeof c->in - c->end, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c->end += (size_t)r;
        return 0;
    }
}

/* One line without its CRLF into out (NUL-terminated, truncated to outsz). */
static int conn_line(Conn *c, char *out, size_t outsz)
{
    for (;;) {
        char *nl = memchr(c->in + c->start, '\n', c->end - c->start);
        if (nl) {
            size_t n = (size_t)(nl - (c->in + c->start));
            size_t m = n;
            if (m > 0 && c->in[c->start + m - 1] == '\r')
                m--;
            if (m >= outsz)
                m = outsz - 1;
            memcpy(out, c->in + c->start, m);
            out[m] = 0;
            c->start += n + 1;
            return 0;
        }
        if (conn_fill(c) < 0)
            return -1;
    }
}

static int conn_bytes(Conn *c, Buf *out, size_t n)
{
    while (n > 0) {
        if (c->start == c->end && conn_fill(c) < 0)
            return -1;
        size_t k = c->end - c->start;
        if (k > n)
            k = n;
        if (out)
            buf_add(out, c->in + c->start, k);
        c->start += k;
        n -= k;
    }
    return 0;
}

/* Reads one response: status, body into body (cleared first). -1 on a broken connection;
 * *closing is set when the server said Connection: close. */
static int read_response(Conn *c, int *status, Buf *body, int *closing)
{
    char line[8192];
    long long clen = -1;
    int chunked = 0;
    *closing = 0;
    body->len = 0;
    if (body->p)
        body->p[0] = 0;
    if (conn_line(c, line, sizeof line) < 0)
        return -1;
    if (sscanf(line, "HTTP/1.%*d %d", status) != 1)
        return -1;
    for (;;) {
        if (conn_line(c, line, sizeof line) < 0)
            return -1;
        if (!line[0])
            break;
        if (strncasecmp(line, "content-length:", 15) == 0)
            clen = atoll(line + 15);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && strcasestr(line, "chunked"))
            chunked = 1;
        else if (strncasecmp(line, "connection:", 11) == 0 && strcasestr(line, "close"))
            *closing = 1;
    }
    if (chunked) {
        for (;;) {
            if (conn_line(c, line, sizeof line) < 0)
                return -1;
            long n = strtol(line, NULL, 16);
            if (n == 0) {
                while (conn_line(c, line, sizeof line) == 0 && line[0])
                    ;
                break;
            }
            if (conn_bytes(c, body, (size_t)n) < 0 || conn_line(c, line, sizeof line) < 0)
                return -1;
        }
    } else if (clen > 0) {
        if (conn_bytes(c, body, (size_t)clen) < 0)
            return -1;
    } else if (clen < 0 && *status != 204 && *status != 304) {
        return -1; /* a body to the end of the connection: not expected here */
    }
    return 0;
}

/* POSTs body with the given content type; answers status and the response body. Reconnects
 * once when the kept-alive connection turned out closed. */
static int http_post(Conn *c, const char *path, const char *ctype, const char *extra_headers,
                     const Buf *body, int *status, Buf *answer)
{
    char head[1024];
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && conn_open(c) < 0)
            return -1;
        int n = snprintf(head, sizeof head,
                         "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\n"
                         "Content-Length: %zu\r\n%s\r\n",
                         path, opt_host, opt_port, ctype, body->len, extra_headers);
        int closing = 0;
        if (send_all(c->fd, head, (size_t)n) == 0 && send_all(c->fd, body->p, body->len) == 0 &&
            read_response(c, status, answer, &closing) == 0) {
            if (closing)
                conn_close(c);
            return 0;
        }
        conn_close(c);
    }
    return -1;
}

/* ---------- http load ---------- */

typedef struct Load {
    int conn, conns;
    double rate;     /* this connection's readings/s, 0 = unpaced */
    double stop_at;  /* mono ms */
    long long readings, batches, errors, rejected, dup_batches, dups;
    double last_answer_ms;
    double batch_ms_sum;
    long long max_ts;
    atomic_int *stop_flag;
} Load;

static const char *ingest_path(void)
{
    if (opt_path)
        return opt_path;
    return opt_influx ? "/write?db=bench&precision=ms" : "/api/v1/readings";
}

static long long answer_int(const char *text, const char *key)
{
    json_t *doc = json_loads(text, 0, NULL);
    json_t *v = json_object_get(doc, key);
    long long n = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
    json_decref(doc);
    return n;
}

static long long answer_rejected(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    json_t *v = json_object_get(doc, "rejected");
    long long n = json_is_array(v) ? (long long)json_array_size(v) : 0;
    json_decref(doc);
    return n;
}

static void *load_thread(void *arg)
{
    Load *L = arg;
    Gen g;
    gen_init(&g, L->conn, L->conns);
    Conn c = {.fd = -1};
    Buf body = {0}, answer = {0};
    char hdr[512] = "";
    if (!opt_influx && opt_key)
        snprintf(hdr, sizeof hdr, "X-Gateway-Key: %s\r\n", opt_key);
    const char *ctype = opt_influx ? "text/plain; charset=utf-8" : "text/plain; charset=utf-8";
    double t0 = mono_ms();
    long long sent = 0;
    while (mono_ms() < L->stop_at && !(L->stop_flag && atomic_load(L->stop_flag))) {
        if (L->rate > 0) { /* paced: batch k leaves at t0 + k * batch / rate */
            double due = t0 + (double)sent * 1000.0 / L->rate;
            double now = mono_ms();
            if (due > now) {
                double w = due - now;
                if (due > L->stop_at)
                    break;
                usleep((useconds_t)(w * 1000));
            }
        }
        body.len = 0;
        gen_batch(&g, &body, opt_batch);
        sent += opt_batch;
        int status = 0;
        double b0 = mono_ms();
        if (http_post(&c, ingest_path(), ctype, hdr, &body, &status, &answer) < 0) {
            L->errors++;
            fprintf(stderr, "ingest_bench: connection %d: request failed\n", L->conn);
            usleep(100000);
            continue;
        }
        double b1 = mono_ms();
        if (status == 200 && !opt_influx) {
            long long acc = answer_int(answer.p ? answer.p : "", "accepted");
            long long dup = answer_int(answer.p ? answer.p : "", "duplicates");
            L->rejected += answer_rejected(answer.p ? answer.p : "");
            L->readings += acc > 0 ? acc : 0;
            if (dup > 0)
                L->dups += dup;
            if (dup > 0 && ++L->dup_batches <= 3)
                fprintf(stderr, "ingest_bench: %lld duplicates in a batch (timestamps reused?)\n",
                        dup);
        } else if (status == 204 && opt_influx) {
            L->readings += opt_batch;
        } else {
            L->errors++;
            if (L->errors <= 3)
                fprintf(stderr, "ingest_bench: connection %d: HTTP %d: %.300s\n", L->conn, status,
                        answer.p ? answer.p : "");
            continue;
        }
        L->batches++;
        L->batch_ms_sum += b1 - b0;
        L->last_answer_ms = b1;
    }
    L->max_ts = g.max_ts;
    conn_close(&c);
    free(body.p);
    free(answer.p);
    return NULL;
}

static long long load_dups; /* duplicates answered in the last joined run */

typedef struct LoadRun {
    pthread_t th[64];
    Load L[64];
    int conns;
    double t0;
} LoadRun;

static void load_start(LoadRun *R, int conns, double rate, double seconds, atomic_int *stop_flag)
{
    if (conns < 1 || conns > 64)
        die("--conns must be 1..64");
    R->conns = conns;
    R->t0 = mono_ms();
    for (int i = 0; i < conns; i++) {
        R->L[i] = (Load){.conn = i,
                         .conns = conns,
                         .rate = rate / conns,
                         .stop_at = R->t0 + seconds * 1000,
                         .stop_flag = stop_flag};
        pthread_create(&R->th[i], NULL, load_thread, &R->L[i]);
    }
}

static void load_join(LoadRun *R, long long *readings, long long *batches, long long *errors,
                      long long *rejected, double *elapsed_ms, double *avg_batch_ms,
                      long long *max_ts)
{
    double last = R->t0;
    double bsum = 0;
    *readings = *batches = *errors = *rejected = 0;
    load_dups = 0;
    *max_ts = 0;
    for (int i = 0; i < R->conns; i++) {
        pthread_join(R->th[i], NULL);
        *readings += R->L[i].readings;
        *batches += R->L[i].batches;
        *errors += R->L[i].errors;
        *rejected += R->L[i].rejected;
        load_dups += R->L[i].dups;
        bsum += R->L[i].batch_ms_sum;
        if (R->L[i].last_answer_ms > last)
            last = R->L[i].last_answer_ms;
        if (R->L[i].max_ts > *max_ts)
            *max_ts = R->L[i].max_ts;
    }
    *elapsed_ms = last - R->t0;
    *avg_batch_ms = *batches ? bsum / (double)*batches : 0;
}

static int run_http(void)
{
    LoadRun R;
    load_start(&R, opt_conns, opt_rate, opt_seconds, NULL);
    long long readings, batches, errors, rejected, max_ts;
    double elapsed, avg_batch;
    load_join(&R, &readings, &batches, &errors, &rejected, &elapsed, &avg_batch, &max_ts);
    double rate = elapsed > 0 ? (double)readings * 1000.0 / elapsed : 0;
    printf("RESULT mode=http target=%s conns=%d batch=%d readings=%lld batches=%lld errors=%lld "
           "rejected=%lld duplicates=%lld seconds=%.2f rate=%.0f avg_batch_ms=%.1f max_ts=%lld\n",
           opt_influx ? "influxdb" : "yingji", opt_conns, opt_batch, readings, batches, errors,
           rejected, load_dups, elapsed / 1000, rate, avg_batch, max_ts);
    fflush(stdout);
    return readings > 0 && errors == 0 && rejected == 0 && load_dups == 0 ? 0 : 1;
}

/* ---------- MQTT ---------- */

static pthread_mutex_t mq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mq_cond = PTHREAD_COND_INITIALIZER;
static int mq_outstanding, mq_connected, mq_subscribed;
static long long mq_readings, mq_acks, mq_errors;
static double mq_last_ack_ms;

static void mq_on_connect(struct mosquitto *m, void *obj, int rc)
{
    (void)obj;
    if (rc != 0) {
        fprintf(stderr, "ingest_bench: mqtt connect refused: %s\n", mosquitto_connack_string(rc));
        return;
    }
    char topic[256];
    snprintf(topic, sizeof topic, "yingji/acks/%s", opt_gateway);
    mosquitto_subscribe(m, NULL, topic, 1);
    pthread_mutex_lock(&mq_lock);
    mq_connected = 1;
    pthread_cond_broadcast(&mq_cond);
    pthread_mutex_unlock(&mq_lock);
}

static void mq_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *q)
{
    (void)m, (void)obj, (void)mid, (void)n, (void)q;
    pthread_mutex_lock(&mq_lock);
    mq_subscribed = 1;
    pthread_cond_broadcast(&mq_cond);
    pthread_mutex_unlock(&mq_lock);
}

static void mq_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
    (void)m, (void)obj;
    json_t *doc = json_loadb(msg->payload, (size_t)msg->payloadlen, 0, NULL);
    json_t *acc = json_object_get(doc, "accepted");
    pthread_mutex_lock(&mq_lock);
    if (json_is_integer(acc)) {
        mq_readings += json_integer_value(acc);
        json_t *dup = json_object_get(doc, "duplicates");
        if (json_is_integer(dup) && json_integer_value(dup) > 0)
            mq_errors++;
        json_t *rej = json_object_get(doc, "rejected");
        if (json_is_array(rej) && json_array_size(rej) > 0)
            mq_errors++;
    } else {
        mq_errors++;
        if (mq_errors <= 3)
            fprintf(stderr, "ingest_bench: mqtt answer: %.300s\n", (const char *)msg->payload);
    }
    mq_acks++;
    mq_outstanding--;
    mq_last_ack_ms = mono_ms();
    pthread_cond_broadcast(&mq_cond);
    pthread_mutex_unlock(&mq_lock);
    json_decref(doc);
}

static void mq_wait(double until_ms, int (*done)(void))
{
    pthread_mutex_lock(&mq_lock);
    while (!done()) {
        double now = mono_ms();
        if (now >= until_ms)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double w = until_ms - now;
        if (w > 100)
            w = 100;
        ts.tv_nsec += (long)(w * 1e6);
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&mq_cond, &mq_lock, &ts);
    }
    pthread_mutex_unlock(&mq_lock);
}

static int mq_ready(void) { return mq_connected && mq_subscribed; }
static int mq_has_room(void) { return mq_outstanding < opt_window; }
static int mq_drained(void) { return mq_outstanding <= 0; }

static int run_mqtt(void)
{
    if (!opt_key)
        die("mqtt needs --key");
    mosquitto_lib_init();
    char id[64];
    snprintf(id, sizeof id, "ingest-bench-%d", (int)getpid());
    struct mosquitto *m = mosquitto_new(id, true, NULL);
    if (!m)
        die("mosquitto_new failed");
    mosquitto_connect_callback_set(m, mq_on_connect);
    mosquitto_subscribe_callback_set(m, mq_on_subscribe);
    mosquitto_message_callback_set(m, mq_on_message);
    mosquitto_max_inflight_messages_set(m, 0);
    if (mosquitto_connect(m, opt_host, opt_port, 30) != MOSQ_ERR_SUCCESS)
        die("cannot connect to the broker on port %d", opt_port);
    mosquitto_loop_start(m);
    mq_wait(mono_ms() + 10000, mq_ready);
    if (!mq_ready())
        die("no MQTT connection/subscription within 10 s");
    char topic[256];
    snprintf(topic, sizeof topic, "yingji/readings/%s", opt_gateway);
    Gen g;
    gen_init(&g, 0, 1);
    Buf body = {0};
    double t0 = mono_ms(), stop = t0 + opt_seconds * 1000;
    long long published = 0;
    while (mono_ms() < stop) {
        mq_wait(stop, mq_has_room);
        if (mono_ms() >= stop)
            break;
        body.len = 0;
        buf_printf(&body, "@auth %s\n@batch bench-%d-%lld\n", opt_key, (int)getpid(), published);
        gen_batch(&g, &body, opt_batch);
        pthread_mutex_lock(&mq_lock);
        mq_outstanding++;
        pthread_mutex_unlock(&mq_lock);
        int rc = mosquitto_publish(m, NULL, topic, (int)body.len, body.p, 1, false);
        if (rc != MOSQ_ERR_SUCCESS)
            die("publish failed: %s", mosquitto_strerror(rc));
        published++;
    }
    mq_wait(mono_ms() + 60000, mq_drained);
    double elapsed = mq_last_ack_ms - t0;
    pthread_mutex_lock(&mq_lock);
    long long readings = mq_readings, acks = mq_acks, errors = mq_errors;
    int missing = mq_outstanding;
    pthread_mutex_unlock(&mq_lock);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    double rate = elapsed > 0 ? (double)readings * 1000.0 / elapsed : 0;
    printf("RESULT mode=mqtt batch=%d window=%d published=%lld acks=%lld unanswered=%d "
           "readings=%lld errors=%lld seconds=%.2f rate=%.0f max_ts=%lld\n",
           opt_batch, opt_window, published, acks, missing, readings, errors, elapsed / 1000,
           rate, g.max_ts);
    free(body.p);
    return readings > 0 && errors == 0 && missing == 0 ? 0 : 1;
}

/* ---------- SSE latency ---------- */

typedef struct SseEv {
    char id[64];
    double at;
} SseEv;

static pthread_mutex_t sse_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sse_cond = PTHREAD_COND_INITIALIZER;
static SseEv *sse_evs;
static size_t sse_n, sse_cap;
static int sse_ready, sse_dead;
static long long sse_changes;

static void sse_record(const char *data, double at)
{
    json_t *doc = json_loads(data, 0, NULL);
    const char *entity = json_string_value(json_object_get(doc, "entity"));
    json_t *idv = json_object_get(doc, "id");
    char id[64] = "";
    if (json_is_string(idv))
        snprintf(id, sizeof id, "%s", json_string_value(idv));
    else if (json_is_integer(idv))
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(idv));
    pthread_mutex_lock(&sse_lock);
    sse_changes++;
    if (entity && strcmp(entity, opt_sse_entity) == 0 && id[0]) {
        if (sse_n == sse_cap) {
            sse_cap = sse_cap ? sse_cap * 2 : 1024;
            sse_evs = realloc(sse_evs, sse_cap * sizeof *sse_evs);
            if (!sse_evs)
                die("out of memory");
        }
        snprintf(sse_evs[sse_n].id, sizeof sse_evs[sse_n].id, "%s", id);
        sse_evs[sse_n].at = at;
        sse_n++;
        pthread_cond_broadcast(&sse_cond);
    }
    pthread_mutex_unlock(&sse_lock);
    json_decref(doc);
}

/* Feeds SSE text: dispatches each "event: change" block's data line. */
typedef struct SseParse {
    char event[64];
    Buf data;
    Buf line;
} SseParse;

static void sse_feed(SseParse *P, const char *p, size_t n, double at)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (p[i] != '\r')
                buf_add(&P->line, &p[i], 1);
            continue;
        }
        const char *l = P->line.p ? P->line.p : "";
        if (P->line.len == 0) { /* dispatch */
            if (strcmp(P->event, "change") == 0 && P->data.len)
                sse_record(P->data.p, at);
            if (strcmp(P->event, "hello") == 0) {
                pthread_mutex_lock(&sse_lock);
                sse_ready = 1;
                pthread_cond_broadcast(&sse_cond);
                pthread_mutex_unlock(&sse_lock);
            }
            P->event[0] = 0;
            P->data.len = 0;
        } else if (strncmp(l, "event:", 6) == 0) {
            snprintf(P->event, sizeof P->event, "%s", l + 6 + (l[6] == ' '));
        } else if (strncmp(l, "data:", 5) == 0) {
            buf_add(&P->data, l + 5 + (l[5] == ' '), strlen(l + 5 + (l[5] == ' ')));
        }
        P->line.len = 0;
        if (P->line.p)
            P->line.p[0] = 0;
    }
}

static void *sse_thread(void *arg)
{
    (void)arg;
    Conn c = {.fd = -1};
    if (conn_open(&c) < 0)
        goto dead;
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/events HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     opt_host, opt_port, opt_token);
    if (send_all(c.fd, req, (size_t)n) < 0)
        goto dead;
    char line[8192];
    int status = 0, chunked = 0;
    if (conn_line(&c, line, sizeof line) < 0 || sscanf(line, "HTTP/1.%*d %d", &status) != 1)
        goto dead;
    if (status != 200) {
        fprintf(stderr, "ingest_bench: GET /api/v1/events answered %d\n", status);
        goto dead;
    }
    for (;;) {
        if (conn_line(&c, line, sizeof line) < 0)
            goto dead;
        if (!line[0])
            break;
        if (strncasecmp(line, "transfer-encoding:", 18) == 0 && strcasestr(line, "chunked"))
            chunked = 1;
    }
    SseParse P = {0};
    for (;;) {
        if (chunked) {
            if (conn_line(&c, line, sizeof line) < 0)
                goto dead;
            long len = strtol(line, NULL, 16);
            if (len <= 0)
                goto dead;
            while (len > 0) {
                if (c.start == c.end && conn_fill(&c) < 0)
                    goto dead;
                size_t k = c.end - c.start;
                if ((long)k > len)
                    k = (size_t)len;
                sse_feed(&P, c.in + c.start, k, mono_ms());
                c.start += k;
                len -= (long)k;
            }
            if (conn_line(&c, line, sizeof line) < 0)
                goto dead;
        } else {
            if (c.start == c.end && conn_fill(&c) < 0)
                goto dead;
            sse_feed(&P, c.in + c.start, c.end - c.start, mono_ms());
            c.start = c.end;
        }
    }
dead:
    conn_close(&c);
    pthread_mutex_lock(&sse_lock);
    sse_dead = 1;
    pthread_cond_broadcast(&sse_cond);
    pthread_mutex_unlock(&sse_lock);
    return NULL;
}

/* Arrival time of the first change event of warning id arriving at or after t0; -1 after
 * timeout_ms. */
static double sse_wait_for(const char *id, double t0, double timeout_ms)
{
    double until = mono_ms() + timeout_ms;
    double found = -1;
    pthread_mutex_lock(&sse_lock);
    for (;;) {
        for (size_t i = sse_n; i-- > 0;) {
            if (sse_evs[i].at < t0)
                break;
            if (strcmp(sse_evs[i].id, id) == 0)
                found = sse_evs[i].at; /* keep going back: the first one after t0 */
        }
        if (found >= 0 || sse_dead || mono_ms() >= until)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 5 * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&sse_cond, &sse_lock, &ts);
    }
    pthread_mutex_unlock(&sse_lock);
    return found;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
    if (n == 0)
        return NAN;
    int i = (int)ceil(p / 100.0 * n) - 1;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    return v[i];
}

/* Sends one single-reading batch; returns the HTTP status (-1: failed) and the answer. */
static int probe_send(Conn *c, double value, long long ts, Buf *answer)
{
    Buf body = {0};
    buf_printf(&body, "%s %.3f %lld\n", opt_probe_sensor, value, ts);
    char hdr[512];
    snprintf(hdr, sizeof hdr, "X-Gateway-Key: %s\r\n", opt_key);
    int status = 0;
    int rc = http_post(c, "/api/v1/readings", "text/plain; charset=utf-8", hdr, &body, &status,
                       answer);
    free(body.p);
    return rc < 0 ? -1 : status;
}

/* The warning of an answer: with want_id NULL the id of the first "raise", else want_id if it
 * is listed with the given action. Fills id; 0 when found. */
static int answer_warning(const char *text, const char *action, const char *want_id, char *id,
                          size_t idsz)
{
    json_t *doc = json_loads(text, 0, NULL);
    json_t *ws = json_object_get(doc, "warnings");
    size_t i;
    json_t *w;
    int rc = -1;
    json_array_foreach(ws, i, w)
    {
        const char *a = json_string_value(json_object_get(w, "action"));
        json_t *wid = json_object_get(w, "id");
        char s[64];
        if (json_is_integer(wid))
            snprintf(s, sizeof s, "%lld", (long long)json_integer_value(wid));
        else if (json_is_string(wid))
            snprintf(s, sizeof s, "%s", json_string_value(wid));
        else
            continue;
        if (a && strcmp(a, action) == 0 && (!want_id || strcmp(want_id, s) == 0)) {
            snprintf(id, idsz, "%s", s);
            rc = 0;
            break;
        }
    }
    json_decref(doc);
    return rc;
}

static int run_latency(void)
{
    if (!opt_key || !opt_token || !opt_probe_sensor || isnan(opt_probe_high) ||
        isnan(opt_probe_low) || opt_probe_hold_ms < 0 || !opt_probe_ts_base)
        die("latency needs --key, --token, --probe-sensor, --probe-high, --probe-low, "
            "--probe-hold-ms and --probe-ts-base");
    pthread_t sth;
    pthread_create(&sth, NULL, sse_thread, NULL);
    pthread_mutex_lock(&sse_lock);
    double until = mono_ms() + 10000;
    while (!sse_ready && !sse_dead && mono_ms() < until) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&sse_cond, &sse_lock, &ts);
    }
    int ok = sse_ready && !sse_dead;
    pthread_mutex_unlock(&sse_lock);
    if (!ok)
        die("the SSE stream did not open");

    atomic_int stop_flag = 0;
    LoadRun R;
    if (opt_rate > 0) {
        load_start(&R, opt_conns, opt_rate, 1e6, &stop_flag);
        usleep(2000 * 1000); /* let the load settle */
    }
    int nsamples = 0, failed = 0;
    double *sse_lat = calloc((size_t)opt_probes * 2, sizeof(double));
    double *http_lat = calloc((size_t)opt_probes * 2, sizeof(double));
    Conn c = {.fd = -1};
    Buf answer = {0};
    long long cycle = opt_probe_hold_ms + 10000;
    unsigned probe_seed = 4242;
    double probe_t0 = mono_ms();
    for (int i = 0; i < opt_probes; i++) {
        long long T = opt_probe_ts_base + (long long)i * cycle;
        struct {
            double v;
            long long ts;
            const char *action; /* NULL: no change expected */
        } steps[3] = {{opt_probe_high, T, "raise"},
                      {opt_probe_low, T + 1000, NULL},
                      {opt_probe_low, T + 2000 + opt_probe_hold_ms, "close"}};
        char wid[64] = "";
        for (int s = 0; s < 3; s++) {
            /* readings arrive at random moments: a random pause (0–100 ms) keeps the probes
             * from locking onto any periodic activity of the server */
            if (steps[s].action)
                usleep((useconds_t)(rand_r(&probe_seed) % 100000));
            double t0 = mono_ms();
            int status = probe_send(&c, steps[s].v, steps[s].ts, &answer);
            double t1 = mono_ms();
            if (status != 200) {
                fprintf(stderr, "ingest_bench: probe %d.%d: HTTP %d %.300s\n", i, s, status,
                        answer.p ? answer.p : "");
                failed++;
                break;
            }
            if (!steps[s].action)
                continue;
            char id[64];
            if (answer_warning(answer.p, steps[s].action, s == 0 ? NULL : wid, id, sizeof id) <
                0) {
                fprintf(stderr, "ingest_bench: probe %d.%d: no %s in the answer: %.400s\n", i, s,
                        steps[s].action, answer.p);
                failed++;
                break;
            }
            if (s == 0)
                snprintf(wid, sizeof wid, "%s", id);
            double at = sse_wait_for(id, t0, 5000);
            if (at < 0) {
                fprintf(stderr, "ingest_bench: probe %d.%d: no SSE event for warning %s in 5 s\n",
                        i, s, id);
                failed++;
                break;
            }
            sse_lat[nsamples] = at - t0;
            http_lat[nsamples] = t1 - t0;
            nsamples++;
        }
        if (failed > 10)
            break;
    }
    double probe_secs = (mono_ms() - probe_t0) / 1000;
    long long readings = 0, batches = 0, errors = 0, rejected = 0, max_ts = 0;
    double elapsed = 0, avg_batch = 0;
    if (opt_rate > 0) {
        atomic_store(&stop_flag, 1);
        load_join(&R, &readings, &batches, &errors, &rejected, &elapsed, &avg_batch, &max_ts);
    }
    qsort(sse_lat, (size_t)nsamples, sizeof(double), cmp_double);
    qsort(http_lat, (size_t)nsamples, sizeof(double), cmp_double);
    printf("RESULT mode=latency probes=%d samples=%d failed=%d probe_seconds=%.1f "
           "sse_p50=%.1f sse_p90=%.1f sse_p99=%.1f sse_max=%.1f http_p50=%.1f http_p99=%.1f "
           "load_rate=%.0f load_readings=%lld load_errors=%lld load_avg_batch_ms=%.1f "
           "max_ts=%lld\n",
           opt_probes, nsamples, failed, probe_secs, pct(sse_lat, nsamples, 50),
           pct(sse_lat, nsamples, 90), pct(sse_lat, nsamples, 99),
           nsamples ? sse_lat[nsamples - 1] : NAN, pct(http_lat, nsamples, 50),
           pct(http_lat, nsamples, 99), elapsed > 0 ? (double)readings * 1000 / elapsed : 0,
           readings, errors, avg_batch, max_ts);
    fflush(stdout);
    conn_close(&c);
    free(answer.p);
    free(sse_lat);
    free(http_lat);
    /* the SSE thread is blocked in recv: the process exit ends it */
    return failed == 0 && nsamples > 0 ? 0 : 1;
}

/* ---------- main ---------- */

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: ingest_bench http|mqtt|latency [options] (see the comment at the top)");
    const char *mode = argv[1];
    enum {
        O_HOST = 1, O_PORT, O_SENSORS, O_FORMAT, O_KEY, O_GATEWAY, O_PATH, O_CONNS, O_BATCH,
        O_SECONDS, O_RATE, O_TSBASE, O_TSSTEP, O_WINDOW, O_TOKEN, O_PSENSOR, O_PHIGH, O_PLOW,
        O_PHOLD, O_PROBES, O_PTSBASE, O_SSEENTITY
    };
    static const struct option opts[] = {
        {"host", 1, 0, O_HOST},           {"port", 1, 0, O_PORT},
        {"sensors", 1, 0, O_SENSORS},     {"format", 1, 0, O_FORMAT},
        {"key", 1, 0, O_KEY},             {"gateway", 1, 0, O_GATEWAY},
        {"path", 1, 0, O_PATH},           {"conns", 1, 0, O_CONNS},
        {"batch", 1, 0, O_BATCH},         {"seconds", 1, 0, O_SECONDS},
        {"rate", 1, 0, O_RATE},           {"ts-base", 1, 0, O_TSBASE},
        {"ts-step", 1, 0, O_TSSTEP},      {"window", 1, 0, O_WINDOW},
        {"token", 1, 0, O_TOKEN},         {"probe-sensor", 1, 0, O_PSENSOR},
        {"probe-high", 1, 0, O_PHIGH},    {"probe-low", 1, 0, O_PLOW},
        {"probe-hold-ms", 1, 0, O_PHOLD}, {"probes", 1, 0, O_PROBES},
        {"probe-ts-base", 1, 0, O_PTSBASE}, {"sse-entity", 1, 0, O_SSEENTITY},
        {0, 0, 0, 0}};
    optind = 2;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case O_HOST: opt_host = optarg; break;
        case O_PORT: opt_port = atoi(optarg); break;
        case O_SENSORS: opt_sensors = optarg; break;
        case O_FORMAT: opt_influx = strcmp(optarg, "influx") == 0; break;
        case O_KEY: opt_key = optarg; break;
        case O_GATEWAY: opt_gateway = optarg; break;
        case O_PATH: opt_path = optarg; break;
        case O_CONNS: opt_conns = atoi(optarg); break;
        case O_BATCH: opt_batch = atoi(optarg); break;
        case O_SECONDS: opt_seconds = atof(optarg); break;
        case O_RATE: opt_rate = atof(optarg); break;
        case O_TSBASE: opt_ts_base = atoll(optarg); break;
        case O_TSSTEP: opt_ts_step = atoll(optarg); break;
        case O_WINDOW: opt_window = atoi(optarg); break;
        case O_TOKEN: opt_token = optarg; break;
        case O_PSENSOR: opt_probe_sensor = optarg; break;
        case O_PHIGH: opt_probe_high = atof(optarg); break;
        case O_PLOW: opt_probe_low = atof(optarg); break;
        case O_PHOLD: opt_probe_hold_ms = atoll(optarg); break;
        case O_PROBES: opt_probes = atoi(optarg); break;
        case O_PTSBASE: opt_probe_ts_base = atoll(optarg); break;
        case O_SSEENTITY: opt_sse_entity = optarg; break;
        default: die("unknown option");
        }
    }
    if (opt_port <= 0)
        die("--port is required");
    if (!opt_sensors)
        die("--sensors is required");
    if (opt_batch < 1)
        die("--batch must be >= 1");
    load_sensors(opt_sensors);
    if (!opt_ts_base)
        opt_ts_base = wall_ms() - 3600 * 1000LL;
    if (strcmp(mode, "http") == 0)
        return run_http();
    if (strcmp(mode, "mqtt") == 0)
        return run_mqtt();
    if (strcmp(mode, "latency") == 0)
        return run_latency();
    die("unknown mode %s", mode);
    return 2;
}
