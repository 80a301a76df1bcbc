/* media_store: the SQL for media_files, nothing else.
 *
 * Metadata is a JSON object shaped as the API answers it: id, filename, content_type,
 * size, sha256, category, created_at (RFC 3339 UTC). "Not found" is DB_OK with a NULL
 * object. The bytes live under MEDIA_DIR/<storage_key>; media_files handles them. */
#ifndef MEDIA_STORE_H
#define MEDIA_STORE_H

#include <cjson/cJSON.h>

#include "db_status.h"
#include "paging.h"

#define MEDIA_KEY_MAX 64 /* "<user id>/<32 hex>" and the NUL */

struct media_new {
    const char *filename, *content_type, *sha256, *category, *storage_key;
    long long size;
};

/* What a handler needs besides the metadata to serve or remove the bytes. */
struct media_info {
    long long size;
    char content_type[32];
    char sha256[65];
    char storage_key[MEDIA_KEY_MAX];
};

/* Inserts m for user_id; *out is the new file's metadata. */
/* *exists is 1 when a row names the file storage_key. */
enum db_status media_store_key_exists(struct db *db, const char *storage_key, int *exists);

enum db_status media_store_create(struct db *db, long long user_id, const struct media_new *m, cJSON **out);

/* File id as viewer may see it: their own, or anyone's avatar or cover. *out NULL when not
 * found; info (may be NULL) filled when found. */
enum db_status media_store_get(struct db *db, long long viewer, long long id, cJSON **out, struct media_info *info);

/* Deletes user_id's file id; *deleted = 1 and key holds its storage key when there was one. */
enum db_status media_store_delete(struct db *db, long long user_id, long long id, int *deleted,
                                  char key[MEDIA_KEY_MAX]);

/* One page of user_id's files, newest first, and the count of all of them. */
enum db_status media_store_list(struct db *db, long long user_id, const struct paging *p, cJSON **items,
                                long long *total);

#endif
