/* modules/publish/channel_spool — the file adapter: one JSON line per message appended to
 * <dir>/<channel name>.jsonl and fsync'ed before SENT is returned.
 *
 * A key is written at most once: the keys already in the file (with the byte offset of their
 * line) are indexed when the file is opened, on the first send. A crash in the middle of a
 * write leaves a torn last line without its newline; opening cuts it off, so the message is
 * written whole when the outbox retries it. A write or fsync that fails is cut off the same
 * way and reported as RETRY. The file is locked (flock) against a second process; threads of
 * this process take the spool's mutex. */
#include "modules/publish/channel_internal.h"

#include "core/clock.h"
#include "core/fileio.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct ChannelSpool {
    pthread_mutex_t mu;
    int fd;       /* -1 until opened */
    json_t *keys; /* object: key -> byte offset of its line */
    off_t end;    /* end of the last complete line */
};

ChannelSpool *channel_spool_new(void)
{
    ChannelSpool *sp = xcalloc(1, sizeof *sp);
    pthread_mutex_init(&sp->mu, NULL);
    sp->fd = -1;
    return sp;
}

void channel_spool_free(ChannelSpool *sp)
{
    if (!sp)
        return;
    if (sp->fd >= 0)
        close(sp->fd); /* releases the flock */
    json_decref(sp->keys);
    pthread_mutex_destroy(&sp->mu);
    free(sp);
}

/* Indexes the complete lines of data; returns the end of the last one. */
static off_t index_lines(ChannelSpool *sp, const char *data, size_t len, const char *path)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        json_t *line = json_loadb(data + start, i - start, 0, NULL);
        const char *key = json_string_value(json_object_get(line, "key"));
        if (key)
            json_object_set_new(sp->keys, key, json_integer((json_int_t)start));
        else
            log_warn("spool %s: line at byte %zu is not a message; skipped", path, start);
        json_decref(line);
        start = i + 1;
    }
    return (off_t)start;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Opens (creating) the spool file, locks it, indexes it and cuts a torn last line off. */
static int spool_open(const Channel *ch, ChannelSpool *sp, char *why, size_t whylen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.jsonl", ch->dir, ch->name) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    if (mkdir(ch->dir, 0750) < 0 && errno != EEXIST)
        goto fail;
    int created = access(path, F_OK) < 0;
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        goto fail;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(why, whylen, "%.400s is locked by another process", path);
        close(fd);
        return -1;
    }
    size_t len;
    char *data = file_read_all(path, &len);
    if (!data) {
        close(fd);
        goto fail;
    }
    sp->keys = json_object();
    sp->end = index_lines(sp, data, len, path);
    free(data);
    if ((size_t)sp->end < len) {
        log_warn("spool %s: torn last line (%zu bytes) cut off", path, len - (size_t)sp->end);
        if (ftruncate(fd, sp->end) < 0 || fsync(fd) < 0) {
            json_decref(sp->keys);
            sp->keys = NULL;
            close(fd);
            goto fail;
        }
    }
    if (created && sync_dir(ch->dir) < 0)
        log_warn("spool %s: cannot fsync the directory: %s", ch->dir, strerror(errno));
    sp->fd = fd;
    return 0;
fail:
    snprintf(why, whylen, "%.400s: %s", path, strerror(errno));
    return -1;
}

/* The JSON line of msg (with its newline), malloc'ed. */
static char *spool_line(const Channel *ch, const ChannelMessage *msg, const char *text)
{
    char now[32];
    clock_format_iso(clock_now(), now, sizeof now);
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "key", msg->idempotency_key, "channel",
                          ch->name, "warning_id", (json_int_t)msg->warning_id, "recipient_id",
                          (json_int_t)msg->recipient_id, "text", text);
    if (msg->address)
        json_object_set_new(o, "address", json_string(msg->address));
    if (msg->title)
        json_object_set_new(o, "title", json_string(msg->title));
    if (msg->ack_url)
        json_object_set_new(o, "ack_url", json_string(msg->ack_url));
    if (msg->level > 0)
        json_object_set_new(o, "level", json_integer(msg->level));
    json_object_set_new(o, "written_at", json_string(now));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    size_t n = strlen(s);
    char *line = xmalloc(n + 2);
    memcpy(line, s, n);
    memcpy(line + n, "\n", 2);
    free(s);
    return line;
}

/* Writes line at the end and syncs it; on failure cuts the file back to sp->end. */
static int append_synced(ChannelSpool *sp, const char *line, char *why, size_t whylen)
{
    size_t len = strlen(line), done = 0;
    while (done < len) {
        ssize_t w = write(sp->fd, line + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        done += (size_t)w;
    }
    if (fdatasync(sp->fd) < 0)
        goto fail;
    sp->end += (off_t)len;
    return 0;
fail:
    snprintf(why, whylen, "write: %s", strerror(errno ? errno : EIO));
    if (ftruncate(sp->fd, sp->end) < 0)
        log_error("spool: cannot cut a failed write off: %s", strerror(errno));
    return -1;
}

ChannelOutcome channel_spool_send(const Channel *ch, const ChannelMessage *msg, ChannelReceipt *out,
                                  Error *err)
{
    ChannelSpool *sp = ch->spool;
    Arena a = ARENA_INIT;
    char why[512] = "";
    ChannelOutcome o;
    const char *text = channel_compose(&a, ch, msg, err);
    if (!text) {
        arena_free(&a);
        out->outcome = CHANNEL_FAILED; /* err filled by channel_compose */
        return CHANNEL_FAILED;
    }
    pthread_mutex_lock(&sp->mu);
    if (sp->fd < 0 && spool_open(ch, sp, why, sizeof why) < 0) {
        o = channel_retry(out, err, "无法打开投递文件", "cannot open the spool file", why);
        goto out;
    }
    json_t *seen = json_object_get(sp->keys, msg->idempotency_key);
    if (seen) { /* written before (maybe before a crash): done, nothing new to write */
        out->duplicate = 1;
        snprintf(out->provider_id, sizeof out->provider_id, "%lld",
                 (long long)json_integer_value(seen));
        out->outcome = o = CHANNEL_SENT;
        goto out;
    }
    char *line = spool_line(ch, msg, text);
    off_t at = sp->end;
    if (append_synced(sp, line, why, sizeof why) < 0) {
        o = channel_retry(out, err, "写入投递文件失败", "cannot write the spool file", why);
    } else {
        json_object_set_new(sp->keys, msg->idempotency_key, json_integer((json_int_t)at));
        snprintf(out->provider_id, sizeof out->provider_id, "%lld", (long long)at);
        out->outcome = o = CHANNEL_SENT;
    }
    free(line);
out:
    pthread_mutex_unlock(&sp->mu);
    arena_free(&a);
    return o;
}
