/* modules/incidents/attachments — photos, documents and recordings of an incident.
 *
 * Upload: POST /api/v1/incidents/:id/attachments?name=FILE[&type=MIME] with the raw bytes as
 * the body. Larger than INCIDENT_ATTACHMENT_MAX → 413; empty → 422; the type is sniffed from
 * the bytes (magic numbers), never taken from the client: a declared type that disagrees, or
 * bytes of any other kind, → 415. The file is written to <dir>/<sha256 hex> (temp file +
 * rename, so a reader never sees half a file; identical files are stored once) before its
 * metadata row is inserted in the same transaction as the timeline entry; the client's name
 * is kept only as metadata and sent back in an RFC 6266/5987 Content-Disposition header.
 * Download: GET /api/v1/incident_attachments/:id, inside the jurisdiction of the incident. */
#include "modules/incidents/incidents_internal.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int unsupported(Error *err)
{
    return error_set(err, 415, "unsupported_media_type",
                     "文件类型不允许：仅限 JPEG/PNG 图片、PDF、Word(docx)、Excel(xlsx) 与音频",
                     "file type not allowed (JPEG, PNG, PDF, DOCX, XLSX, audio)");
}

static int has_ext(const char *name, const char *ext)
{
    size_t n = name ? strlen(name) : 0, m = strlen(ext);
    return n >= m && strcasecmp(name + n - m, ext) == 0;
}

static int starts(const unsigned char *d, size_t len, const void *magic, size_t n)
{
    return len >= n && memcmp(d, magic, n) == 0;
}

static const char *sniff(const unsigned char *d, size_t len, const char *name)
{
    if (starts(d, len, "\xFF\xD8\xFF", 3))
        return "image/jpeg";
    if (starts(d, len, "\x89PNG\r\n\x1A\n", 8))
        return "image/png";
    if (starts(d, len, "%PDF-", 5))
        return "application/pdf";
    if (starts(d, len, "PK\x03\x04", 4)) {
        int ct = memmem(d, len, "[Content_Types].xml", 19) != NULL;
        if (ct && memmem(d, len, "word/", 5) && has_ext(name, ".docx"))
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        if (ct && memmem(d, len, "xl/", 3) && has_ext(name, ".xlsx"))
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        return NULL;
    }
    if (starts(d, len, "ID3", 3) || (len >= 2 && d[0] == 0xFF && (d[1] & 0xE0) == 0xE0))
        return "audio/mpeg";
    if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WAVE", 4) == 0)
        return "audio/wav";
    if (starts(d, len, "OggS", 4))
        return "audio/ogg";
    if (starts(d, len, "#!AMR", 5))
        return "audio/amr";
    if (starts(d, len, "fLaC", 4))
        return "audio/flac";
    if (len >= 12 && memcmp(d + 4, "ftyp", 4) == 0 &&
        (memcmp(d + 8, "M4A ", 4) == 0 || memcmp(d + 8, "M4B ", 4) == 0))
        return "audio/mp4";
    return NULL;
}

/* A declared type matches the sniffed one when equal, or both audio, or image/jpg. */
static int declared_matches(const char *declared, const char *sniffed)
{
    if (!declared || !*declared)
        return 1;
    char d[128];
    size_t i = 0;
    for (; declared[i] && declared[i] != ';' && i + 1 < sizeof d; i++)
        d[i] = (char)(declared[i] >= 'A' && declared[i] <= 'Z' ? declared[i] + 32 : declared[i]);
    while (i > 0 && d[i - 1] == ' ')
        i--;
    d[i] = '\0';
    if (strcmp(d, sniffed) == 0)
        return 1;
    if (strcmp(d, "image/jpg") == 0 && strcmp(sniffed, "image/jpeg") == 0)
        return 1;
    return strncmp(d, "audio/", 6) == 0 && strncmp(sniffed, "audio/", 6) == 0;
}

const char *incident_attachment_sniff(const unsigned char *data, size_t len, const char *name,
                                      const char *declared, Error *err)
{
    const char *t = data ? sniff(data, len, name) : NULL;
    if (!t) {
        unsupported(err);
        return NULL;
    }
    if (!declared_matches(declared, t)) {
        error_set(err, 415, "unsupported_media_type", "声明的文件类型与文件内容不符",
                  "declared type does not match the content");
        return NULL;
    }
    return t;
}

char *incident_attachment_dir(void)
{
    const char *d = getenv("YINGJI_DATA_DIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/attachments", d && *d ? d : "data");
    return xstrdup(buf);
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0750);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes data to dir/hex unless it is there already. */
static int store_file(const char *hex, const char *data, size_t len, Error *err)
{
    char *dir = incident_attachment_dir();
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, hex);
    int rc = -1;
    struct stat st;
    if (stat(path, &st) == 0 && (size_t)st.st_size == len) {
        rc = 0;
        goto out;
    }
    if (mkdirs(dir) < 0) {
        log_error("attachments: cannot create %s: %s", dir, strerror(errno));
        rc = error_internal(err, "cannot create the attachment directory");
        goto out;
    }
    snprintf(tmp, sizeof tmp, "%s/.%s.%u.tmp", dir, hex, randombytes_random());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (fd < 0) {
        log_error("attachments: cannot write %s: %s", tmp, strerror(errno));
        rc = error_internal(err, "cannot write the attachment");
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int ok = off == len && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        log_error("attachments: cannot store %s: %s", path, strerror(errno));
        unlink(tmp);
        rc = error_internal(err, "cannot store the attachment");
        goto out;
    }
    rc = 0;
out:
    free(dir);
    return rc;
}

/* The last path component of the client's name, without control characters. */
static const char *clean_name(Arena *a, const char *name)
{
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    char *out = arena_strdup(a, base);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F || *p == '"')
            *p = '_';
    return out;
}

typedef struct Upload {
    const char *incident_id;
    const char *name, *type, *hex;
    const char *data;
    size_t len;
    json_t *out;
} Upload;

static int upload_tx(Tx *tx, void *ctx, Error *err)
{
    Upload *u = ctx;
    json_t *inc = NULL;
    if (incidents_load(tx, u->incident_id, &inc, err) < 0)
        return -1;
    const char *div =
        arena_strdup(tx->arena, json_string_value(json_object_get(inc, "division_code")));
    json_int_t iid = json_integer_value(json_object_get(inc, "id"));
    json_decref(inc);
    if (store_file(u->hex, u->data, u->len, err) < 0)
        return -1;
    json_t *rec = json_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:s, s:s}", "incident_id", iid, "file_name", u->name,
        "content_type", u->type, "size", (json_int_t)u->len, "sha256", u->hex, "uploaded_by",
        tx->actor->username ? tx->actor->username : "system", "division_code", div);
    int rc = entity_create(tx, &incident_attachments_entity, rec, &u->out, err);
    json_decref(rec);
    if (rc < 0)
        return -1;
    json_t *data =
        json_pack("{s:O, s:s, s:s, s:I}", "attachment_id", json_object_get(u->out, "id"),
                  "file_name", u->name, "content_type", u->type, "size", (json_int_t)u->len);
    rc = incident_timeline_add(tx, iid, div, "attachment",
                               arena_printf(tx->arena, "上传附件 %s", u->name), data, err);
    json_decref(data);
    return rc;
}

int incidents_handle_upload(Req *req, Resp *resp, Error *err)
{
    if (req->body_len > INCIDENT_ATTACHMENT_MAX)
        return error_set(err, 413, "body_too_large", "附件超过 20 MiB 上限",
                         "attachment larger than 20 MiB");
    const char *name = req_query(req, "name");
    if (!name || !*name || strlen(name) > 200) {
        error_field(err, "name", "请在 ?name= 中给出文件名（不超过 200 个字符）");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "?name= (file name) is required");
    }
    if (!req->body || req->body_len == 0) {
        error_field(err, "file", "文件为空");
        return error_set(err, 422, "validation_failed", "提交的数据有误，请检查标注的字段",
                         "empty file");
    }
    Upload u = {req_param(req, "id"),
                clean_name(req->arena, name),
                NULL,
                NULL,
                req->body,
                req->body_len,
                NULL};
    u.type = incident_attachment_sniff((const unsigned char *)req->body, req->body_len, u.name,
                                       req_query(req, "type"), err);
    if (!u.type)
        return -1;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)req->body, req->body_len);
    char *hex = arena_alloc(req->arena, sizeof hash * 2 + 1);
    sodium_bin2hex(hex, sizeof hash * 2 + 1, hash, sizeof hash);
    u.hex = hex;
    if (tx_run(req->store, req->actor, req->arena, upload_tx, &u, err) < 0)
        return -1;
    return resp_json(resp, 201, u.out);
}

static int hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int incidents_handle_download(Req *req, Resp *resp, Error *err)
{
    json_t *rec = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc =
        entity_get(c, &incident_attachments_entity, req->actor, req_param(req, "id"), &rec, err);
    store_release(req->store, c);
    if (rc < 0)
        return -1;
    const char *hex = arena_strdup(req->arena, json_string_value(json_object_get(rec, "sha256")));
    const char *type =
        arena_strdup(req->arena, json_string_value(json_object_get(rec, "content_type")));
    const char *name =
        arena_strdup(req->arena, json_string_value(json_object_get(rec, "file_name")));
    json_decref(rec);
    if (!hex64(hex))
        return error_internal(err, "attachment: bad stored hash");
    char *dir = incident_attachment_dir();
    const char *path = arena_printf(req->arena, "%s/%s", dir, hex);
    free(dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("attachments: %s: %s", path, strerror(errno));
        return error_set(err, 410, "gone", "附件文件已不存在", "the attachment file is missing");
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || st.st_size > INCIDENT_ATTACHMENT_MAX) {
        fclose(f);
        return error_internal(err, "attachment: cannot stat");
    }
    char *buf = arena_alloc(req->arena, (size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    if (n != (size_t)st.st_size)
        return error_internal(err, "attachment: short read");
    /* RFC 5987: filename*=UTF-8''percent-encoded; an ASCII fallback without specials */
    StrBuf cd = STRBUF_INIT;
    strbuf_adds(&cd, "attachment; filename=\"attachment\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; p && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            strbuf_addch(&cd, (char)*p);
        else
            strbuf_addf(&cd, "%%%02X", *p);
    }
    resp_header(resp, "Content-Disposition", arena_strdup(req->arena, strbuf_cstr(&cd)));
    strbuf_free(&cd);
    resp->status = 200;
    resp->body = buf;
    resp->body_len = n;
    resp->content_type = type;
    return 0;
}

int incidents_handle_attachment_list(Req *req, Resp *resp, Error *err)
{
    json_t *inc = NULL, *out = NULL;
    StoreConn *c = store_acquire(req->store);
    int rc = entity_get(c, &incidents_entity, req->actor, req_param(req, "id"), &inc, err);
    if (rc == 0) {
        ListParam f[] = {{"incident_id", req_param(req, "id")}};
        ListQuery lq = {NULL, 1, 500, "id", f, 1};
        rc = entity_list(c, req->arena, &incident_attachments_entity, req->actor, &lq, &out, err);
    }
    store_release(req->store, c);
    json_decref(inc);
    return rc < 0 ? -1 : resp_json(resp, 200, out);
}
