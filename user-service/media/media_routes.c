/* media_routes: the media API and the files under MEDIA_DIR. */
#include "media_routes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "media.h"
#include "media_files.h"
#include "media_store.h"
#include "media_strip.h"
#include "multipart.h"
#include "paging.h"
#include "problem.h"
#include "quota.h"

#define MEDIA_CACHE "private, max-age=3600"
#define CATEGORY_TEXT_MAX 32

static void not_found(struct reply *rp, long long id)
{
    problem(rp, 404, "There is no media file with id %lld that you may see.", id);
}

/* The users-database answers (as users_db_failed gives them) with this area's 404. */
static const struct db_answers answers = {.database = "The users database",
                                          .foreign_key = "Your account no longer exists.",
                                          .foreign_key_status = 404,
                                          .not_found = not_found};

static void store_failed(struct reply *rp, enum db_status st)
{
    problem_db(rp, st, &answers);
}

static int is_multipart(const char *ct)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return strncasecmp(ct, "multipart/", strlen("multipart/")) == 0;
}

/* Strips the metadata of data[0..len) (media_strip.h), then charges the quota, hashes, writes
 * and records the stripped bytes: size and sha256 describe what is stored and served. */
static void store_upload(struct request *rq, struct reply *rp, const char *type, const uint8_t *data, size_t len,
                         const char *filename, const char *cat)
{
    struct field_errors fe = {0};
    struct media_new m = {0};
    char sha[MEDIA_SHA256_HEX], key[MEDIA_KEY_MAX], fname[MEDIA_FILENAME_MAX];
    struct quota_spend spent;
    const char *why;
    uint8_t *clean = malloc(len);
    size_t n = 0;
    cJSON *out = NULL;
    enum db_status st;

    if (!clean) {
        problem_internal(rp);
        return;
    }
    if (media_strip(type, data, len, clean, len, &n, NULL, &why) < 0) {
        field_error(&fe, "file", "is not a well-formed image: %s", why);
        problem_fields(rp, &fe);
        goto out;
    }
    if (quota_take(rq, rp, &upload_quota, (long)n, &spent) < 0)
        goto out;
    media_sha256_hex(clean, n, sha);
    media_filename(filename, fname);
    if (media_files_write(rq->request_id, rq->auth.user_id, clean, n, key) < 0) {
        quota_refund(rq, &spent);
        problem_internal(rp);
        goto out;
    }
    m.filename = fname;
    m.content_type = type;
    m.sha256 = sha;
    m.category = cat;
    m.storage_key = key;
    m.size = (long long)n;
    st = media_store_create(rq->worker->db, rq->auth.user_id, &m, &out);
    if (st != DB_OK) {
        media_files_remove(rq->request_id, key);
        quota_refund(rq, &spent);
        store_failed(rp, st);
        goto out;
    }
    reply_created(rp, 201, out, "/api/v1/media");
out:
    free(clean);
}

void media_upload(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct multipart_part part;
    char cat[CATEGORY_TEXT_MAX], boundary[MULTIPART_BOUNDARY_MAX + 1];
    const char *ct = request_header(rq, "Content-Type"), *declared = ct, *sniffed, *filename = NULL;
    const uint8_t *data = (const uint8_t *)rq->body;
    size_t len = rq->body ? rq->body_len : 0;
    int got = request_query(rq, "category", cat, sizeof cat);

    if (got == 0)
        field_error(&fe, "category", "is required: avatar, cover, travel_photo or review");
    else if (got < 0 || !media_category_valid(cat))
        field_error(&fe, "category", "must be one of: avatar, cover, travel_photo, review");
    if (problem_fields_any(rp, &fe))
        return;
    if (ct && is_multipart(ct)) {
        if (multipart_boundary(ct, boundary, sizeof boundary) < 0) {
            problem(rp, 400, "Send multipart/form-data with a valid boundary parameter.");
            return;
        }
        if ((got = len ? multipart_find_file(data, len, boundary, "file", &part) : -1) < 0) {
            problem(rp, 400, "The multipart/form-data body is malformed.");
            return;
        }
        if (got == 0) {
            field_error(&fe, "file", "is required: a form field named file holding the image");
            problem_fields(rp, &fe);
            return;
        }
        data = part.data;
        len = part.len;
        /* A part without a Content-Type is judged by its bytes alone. */
        declared = part.content_type[0] ? part.content_type : NULL;
        filename = part.has_filename ? part.filename : NULL;
    } else if (!ct || !media_type_canonical(ct)) {
        problem(rp, 415,
                "Send the image as multipart/form-data (field file) or as the body with Content-Type "
                "image/jpeg, image/png or image/webp.");
        return;
    }
    if (len == 0) {
        field_error(&fe, "file", "must not be empty");
        problem_fields(rp, &fe);
        return;
    }
    if (len > media_files_max()) {
        problem(rp, 413, "The file is %zu bytes; the limit is %zu bytes.", len, media_files_max());
        return;
    }
    if (!(sniffed = media_sniff(data, len))) {
        problem(rp, 415, "The file is not a JPEG, PNG or WebP image.");
        return;
    }
    if (declared && media_type_canonical(declared) != sniffed) {
        problem(rp, 415, "The file's bytes are %s, which is not the type it was declared as.", sniffed);
        return;
    }
    store_upload(rq, rp, sniffed, data, len, filename, cat);
}

void media_list(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct paging pg;
    cJSON *items = NULL;
    long long total = 0;
    enum db_status st;

    if (paging_parse(rq, PAGING_MAX_LIMIT, &pg, &fe) < 0) {
        problem_fields(rp, &fe);
        return;
    }
    st = media_store_list(rq->worker->db, rq->auth.user_id, &pg, &items, &total);
    paging_reply(rp, st, &answers, items, &pg, total);
}

void media_get(struct request *rq, struct reply *rp)
{
    cJSON *meta = NULL;
    enum db_status st = media_store_get(rq->worker->db, rq->auth.user_id, rq->ids[0], &meta, NULL);

    problem_or_found(rp, st, &answers, rq->ids[0], meta);
}

static void content_headers(struct reply *rp, const char *etag)
{
    reply_header(rp, "ETag", etag);
    reply_header(rp, "Cache-Control", MEDIA_CACHE);
    reply_header(rp, "X-Content-Type-Options", "nosniff");
}

void media_content(struct request *rq, struct reply *rp)
{
    struct media_info info;
    char etag[MEDIA_SHA256_HEX + 2], *buf;
    const char *type;
    cJSON *meta = NULL;
    enum db_status st = media_store_get(rq->worker->db, rq->auth.user_id, rq->ids[0], &meta, &info);

    if (st != DB_OK) {
        store_failed(rp, st);
        return;
    }
    if (!meta) {
        not_found(rp, rq->ids[0]);
        return;
    }
    cJSON_Delete(meta);
    snprintf(etag, sizeof etag, "\"%s\"", info.sha256);
    if (media_etag_match(request_header(rq, "If-None-Match"), info.sha256)) {
        reply_empty(rp, 304);
        content_headers(rp, etag);
        return;
    }
    if (!(type = media_type_canonical(info.content_type)) ||
        !(buf = media_files_read(rq->request_id, info.storage_key, info.size))) {
        problem_internal(rp);
        return;
    }
    reply_take_body(rp, 200, type, buf, (size_t)info.size);
    content_headers(rp, etag);
}

void media_delete(struct request *rq, struct reply *rp)
{
    char key[MEDIA_KEY_MAX];
    int deleted = 0;
    enum db_status st = media_store_delete(rq->worker->db, rq->auth.user_id, rq->ids[0], &deleted, key);

    if (st != DB_OK) {
        store_failed(rp, st);
        return;
    }
    if (!deleted) {
        not_found(rp, rq->ids[0]);
        return;
    }
    media_files_remove(rq->request_id, key);
    reply_empty(rp, 204);
}
