/* media_files: the bytes of media files under MEDIA_DIR.
 *
 * A file is written to <key>.tmp (O_EXCL, 0600), fsynced, renamed to MEDIA_DIR/<key> and the
 * directory fsynced before its row is inserted; media_setup sweeps *.tmp leftovers of a
 * crash. key = "<user id>/<32 random hex>": the client's file name is stored as data only,
 * never used as a path. */
#ifndef MEDIA_FILES_H
#define MEDIA_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "db_status.h"
#include "media_store.h"
#include "server.h"

#define MEDIA_MAX_BYTES_DEFAULT 5242880L  /* 5 MiB */
#define MEDIA_MULTIPART_SLACK (64 * 1024) /* evhttp's cap = the file limit + room for multipart framing */

/* Reads MEDIA_DIR (default ./media; created 0700 when missing) and MEDIA_MAX_BYTES, sweeps
 * *.tmp files, raises o->max_body to fit an upload and sets o->body_caps so that only an upload with a
 * valid token may bring that much body. 0, or -1 (logged). */
int media_setup(struct server_options *o);

/* Removes MEDIA_DIR/<user_id>/ and every file in it (after the account is deleted).
 * Returns the number of files removed, or -1 (logged) when the directory could not be read. */
int media_remove_user_dir(long long user_id);

/* Removes files under MEDIA_DIR that no media_files row names and that are older than
 * min_age_s (so an upload between its rename and its INSERT is never touched): what a crash
 * between those two steps, or between a row's DELETE and its unlink, leaves behind. Returns
 * the number removed, or -1 when the database could not be asked. */
int media_sweep_orphans(struct db *db, long min_age_s);

/* The largest file accepted (MEDIA_MAX_BYTES). */
size_t media_files_max(void);

/* Writes p[0..n) as a fresh file of user_id: tmp, fsync, rename, fsync dir. Fills key.
 * 0, or -1 (logged). */
int media_files_write(const char *request_id, long long user_id, const uint8_t *p, size_t n, char key[MEDIA_KEY_MAX]);

/* Reads MEDIA_DIR/key, expecting exactly size bytes, into a malloc'd buffer; NULL (logged). */
char *media_files_read(const char *request_id, const char *key, long long size);

/* Removes MEDIA_DIR/key; a file already gone is not an error, any other failure is logged. */
void media_files_remove(const char *request_id, const char *key);

#endif
