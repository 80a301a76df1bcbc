/* destinations_store: the SQL for the destinations table, nothing else.
 *
 * Every function returns DB_OK or why the database failed; results are new cJSON values
 * the caller owns (cJSON_Delete). Destinations are JSON objects shaped as the API answers
 * them: id, name, latitude, longitude, category, address, description, green_certified,
 * created_at, updated_at (RFC 3339 UTC). */
#ifndef DESTINATIONS_STORE_H
#define DESTINATIONS_STORE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "db_status.h"
#include "destinations_fields.h"
#include "paging.h"
#include "search_index.h"

/* Loads destination id into *out. DB_OK with *out NULL when there is no such destination. */
enum db_status destinations_store_get(struct db *db, long long id, cJSON **out);

/* One page of the destinations whose name contains q (accent- and case-insensitive; NULL
 * or "" for all), optionally only of category (NULL for any). *items is an array, *total
 * the count of all matches. With q: most similar names first, then by id; without: by id. */
enum db_status destinations_store_search(struct db *db, const char *q, const char *category, const struct paging *p,
                                         cJSON **items, long long *total);

/* The at most limit destinations within radius_m metres of (lat, lon), nearest first, each
 * with "distance_km" (3 decimals), as an array in *items. */
enum db_status destinations_store_nearby(struct db *db, double lat, double lon, double radius_m, long long limit,
                                         cJSON **items);

/* Inserts a destination from f (name, latitude and longitude present) into *out.
 * DB_UNIQUE when the same name is already at the same coordinates. */
enum db_status destinations_store_create(struct db *db, const struct dest_fields *f, cJSON **out);

/* Applies the present fields of f to destination id; *out is the result, NULL when there
 * is no such destination. DB_UNIQUE as for create. */
enum db_status destinations_store_update(struct db *db, long long id, const struct dest_fields *f, cJSON **out);

/* Deletes destination id; *deleted is 1 if it existed. */
enum db_status destinations_store_delete(struct db *db, long long id, int *deleted);

/* The destinations among ids[0..n) (n >= 1), by id ascending, as an array in *items:
 * one query whatever n is. */
enum db_status destinations_store_batch(struct db *db, const long long *ids, size_t n, cJSON **items);

/* Which of ids[0..n) (n >= 1) exist: their ids ascending into found (room for n), the
 * count in *nfound. One query. */
enum db_status destinations_store_existing(struct db *db, const long long *ids, size_t n, long long *found,
                                           size_t *nfound);

/* The change log (migrations/destinations/0004_change_log.sql): what GET
 * /internal/v1/destinations/changes reads, in one statement (one snapshot). */
struct dest_changes {
    long long pruned_through; /* the highest sequence pruning removed: after below it is gone */
    long long last_seq;       /* the newest sequence written (pruned_through when the log is empty) */
    cJSON *items;             /* [{"seq","destination_id","op","at"}], seq ascending; the caller deletes */
};

/* Up to limit changes with seq > after, oldest first, with the log's bounds. */
enum db_status destinations_store_changes(struct db *db, long long after, long long limit, struct dest_changes *out);

/* Removes the changes older than keep_seconds (raising pruned_through to the newest
 * removed). Cheap: a range delete on the time index. */
enum db_status destinations_store_prune(struct db *db, long long keep_seconds);

/* ---- what the search index (search/search_live.c) reads ---- */

/* Called with each row read; a non-zero return stops the reading with DB_ERROR. */
typedef int (*dest_row_fn)(const struct search_doc *d, void *ctx);

/* The change log's position now: the newest sequence written (or pruned through). Reading
 * it before the rows means every later write is in the log after it. */
enum db_status destinations_store_change_cursor(struct db *db, long long *seq);

/* The up to limit destinations with id > after, by id, each passed to each; *n how many. */
enum db_status destinations_store_index_page(struct db *db, long long after, long long limit, dest_row_fn each,
                                             void *ctx, long long *n);

/* The destinations among ids[0..n) that exist, each passed to each. */
enum db_status destinations_store_index_rows(struct db *db, const long long *ids, size_t n, dest_row_fn each,
                                             void *ctx);

#endif
