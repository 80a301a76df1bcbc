/* media_store: the SQL for media_files. */
#include "media_store.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

#define NUM_TEXT_MAX 32

/* Columns every read returns, in this order (see row_to_json); extra columns follow. */
#define MEDIA_COLUMNS "id, filename, content_type, size, sha256, category, " DB_TS("created_at")
#define MEDIA_NCOLUMNS 7

static struct db_statement q_create = {
    "INSERT INTO media_files (user_id, filename, content_type, size, sha256, category, storage_key)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " RETURNING " MEDIA_COLUMNS,
    7, 0};

/* Own files, and anyone's avatars and covers. */
static struct db_statement q_get = {"SELECT " MEDIA_COLUMNS ", storage_key FROM media_files"
                                    " WHERE id = $2 AND (user_id = $1 OR category IN ('avatar', 'cover'))",
                                    2, 0};

static struct db_statement q_delete = {"DELETE FROM media_files WHERE id = $2 AND user_id = $1 RETURNING storage_key",
                                       2, 0};

static struct db_statement q_list = {"SELECT " MEDIA_COLUMNS ", count(*) OVER () FROM media_files WHERE user_id = $1"
                                     " ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
                                     3, 0};
static struct db_statement q_key_exists = {"SELECT 1 FROM media_files WHERE storage_key = $1", 1, 0};
static struct db_statement q_count = {"SELECT count(*) FROM media_files WHERE user_id = $1", 1, 0};

static void ll_str(char buf[NUM_TEXT_MAX], long long v)
{
    snprintf(buf, NUM_TEXT_MAX, "%lld", v);
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static cJSON *row_to_json(const PGresult *r, int row)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, row, 0));
    cJSON_AddStringToObject(o, "filename", db_str(r, row, 1));
    cJSON_AddStringToObject(o, "content_type", db_str(r, row, 2));
    cJSON_AddNumberToObject(o, "size", (double)db_ll(r, row, 3));
    cJSON_AddStringToObject(o, "sha256", db_str(r, row, 4));
    cJSON_AddStringToObject(o, "category", db_str(r, row, 5));
    if (!cJSON_AddStringToObject(o, "created_at", db_str(r, row, 6))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

enum db_status media_store_create(struct db *db, long long user_id, const struct media_new *m, cJSON **out)
{
    char uid[NUM_TEXT_MAX], size[NUM_TEXT_MAX];
    const char *params[] = {uid, m->filename, m->content_type, size, m->sha256, m->category, m->storage_key};
    enum db_status st;
    PGresult *r;

    *out = NULL;
    ll_str(uid, user_id);
    ll_str(size, m->size);
    if (!(r = db_exec(db, &q_create, params, &st)))
        return st;
    if (PQntuples(r) != 1 || !(*out = row_to_json(r, 0)))
        st = DB_ERROR;
    PQclear(r);
    return st;
}

enum db_status media_store_get(struct db *db, long long viewer, long long id, cJSON **out, struct media_info *info)
{
    char uid[NUM_TEXT_MAX], mid[NUM_TEXT_MAX];
    const char *params[] = {uid, mid};
    enum db_status st;
    PGresult *r;

    *out = NULL;
    ll_str(uid, viewer);
    ll_str(mid, id);
    if (!(r = db_exec(db, &q_get, params, &st)))
        return st;
    if (PQntuples(r) == 1) {
        if (!(*out = row_to_json(r, 0)))
            st = DB_ERROR;
        else if (info) {
            info->size = db_ll(r, 0, 3);
            copy(info->content_type, sizeof info->content_type, db_str(r, 0, 2));
            copy(info->sha256, sizeof info->sha256, db_str(r, 0, 4));
            copy(info->storage_key, sizeof info->storage_key, db_str(r, 0, MEDIA_NCOLUMNS));
        }
    }
    PQclear(r);
    return st;
}

enum db_status media_store_delete(struct db *db, long long user_id, long long id, int *deleted, char key[MEDIA_KEY_MAX])
{
    char uid[NUM_TEXT_MAX], mid[NUM_TEXT_MAX];
    const char *params[] = {uid, mid};
    enum db_status st;
    PGresult *r;

    *deleted = 0;
    key[0] = '\0';
    ll_str(uid, user_id);
    ll_str(mid, id);
    if (!(r = db_exec(db, &q_delete, params, &st)))
        return st;
    if (PQntuples(r) > 0) {
        *deleted = 1;
        copy(key, MEDIA_KEY_MAX, db_str(r, 0, 0));
    }
    PQclear(r);
    return DB_OK;
}

enum db_status media_store_list(struct db *db, long long user_id, const struct paging *p, cJSON **items,
                                long long *total)
{
    char uid[NUM_TEXT_MAX], limit[NUM_TEXT_MAX], offset[NUM_TEXT_MAX];
    const char *params[] = {uid, limit, offset};
    struct db_page_query q = {&q_list, &q_count, params, params, MEDIA_NCOLUMNS, row_to_json};

    ll_str(uid, user_id);
    ll_str(limit, p->limit);
    ll_str(offset, p->offset);
    return db_page(db, &q, p->offset, items, total);
}

enum db_status media_store_key_exists(struct db *db, const char *storage_key, int *exists)
{
    const char *params[] = {storage_key};
    enum db_status st;
    PGresult *r = db_exec(db, &q_key_exists, params, &st);

    *exists = 0;
    if (!r)
        return st;
    *exists = PQntuples(r) > 0;
    PQclear(r);
    return st;
}
