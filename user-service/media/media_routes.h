/* media_routes: uploads and downloads of images (media_files) and their bytes under MEDIA_DIR.
 *
 * A file is written to <key>.tmp (O_EXCL, 0600), fsynced, renamed to MEDIA_DIR/<key> and the
 * directory fsynced before its row is inserted; a failed insert unlinks the file, and
 * media_setup sweeps *.tmp leftovers of a crash. key = "<user id>/<32 random hex>": the
 * client's file name is stored as data only, never used as a path. */
#ifndef MEDIA_ROUTES_H
#define MEDIA_ROUTES_H

#include "reply.h"
#include "request.h"
#include "server.h"

#define MEDIA_MAX_BYTES_DEFAULT 5242880L  /* 5 MiB */
#define MEDIA_MULTIPART_SLACK (64 * 1024) /* evhttp's cap = the file limit + room for multipart framing */

/* Reads MEDIA_DIR (default ./media; created 0700 when missing) and MEDIA_MAX_BYTES, sweeps
 * *.tmp files, and raises o->max_body to fit an upload. 0, or -1 (logged). */
int media_setup(struct server_options *o);

/* Removes MEDIA_DIR/<user_id>/ and every file in it (after the account is deleted).
 * Returns the number of files removed, or -1 (logged) when the directory could not be read. */
int media_remove_user_dir(long long user_id);

/* Removes files under MEDIA_DIR that no media_files row names and that are older than
 * min_age_s (so an upload between its rename and its INSERT is never touched): what a crash
 * between those two steps, or between a row's DELETE and its unlink, leaves behind. Returns
 * the number removed, or -1 when the database could not be asked. */
int media_sweep_orphans(struct db *db, long min_age_s);

void media_upload(struct request *rq, struct reply *rp);  /* POST /api/v1/media?category= */
void media_list(struct request *rq, struct reply *rp);    /* GET /api/v1/media */
void media_get(struct request *rq, struct reply *rp);     /* GET /api/v1/media/{id} */
void media_content(struct request *rq, struct reply *rp); /* GET /api/v1/media/{id}/content */
void media_delete(struct request *rq, struct reply *rp);  /* DELETE /api/v1/media/{id} */

#endif
