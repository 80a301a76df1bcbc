/* search_live: the search index destination-service answers searches and nearby from, kept
 * current from the database.
 *
 * At start a background thread reads the change log's position, then every destination
 * (pages by id), builds an index and swaps it in; until then search_live_find and
 * search_live_nearby say "not ready" and the routes use SQL. Afterwards the thread follows
 * the change log (migrations/destinations/0004_change_log.sql) every DEST_SEARCH_SYNC_MS
 * (default 200 ms): each changed destination is read again and replaced, or removed when it
 * is gone. A write this daemon makes is also applied at once (search_live_put), so it is
 * found by the next search here; other replicas see it after their next sync. Log pruned
 * past the thread's position (a long outage): it loads everything again.
 *
 * Readers share a read lock; the thread and search_live_put take the write lock for the
 * moment an update takes (building happens outside it). DEST_SEARCH_INDEX=false turns it
 * off (every search is SQL). */
#ifndef SEARCH_LIVE_H
#define SEARCH_LIVE_H

#include <stddef.h>

#include "db_status.h"
#include "search_index.h"

/* Reads the configuration and starts the thread with its own connection made from dbo.
 * 0, or -1 when the thread could not start. */
int search_live_start(const struct db_options *dbo);

/* Stops the thread and frees the index. */
void search_live_stop(void);

/* search_index_find_counted on the live index: 1 when answered (*n ids in ids, *total and
 * *total_exact), 0 when the index is not loaded (use SQL), -1 when out of memory. */
int search_live_find(const char *q, int category, long long offset, long long limit, long long *ids, long long *n,
                     long long *total, int *total_exact);

/* search_index_nearby on the live index, with the same returns as search_live_find. */
int search_live_nearby(double lat, double lon, double radius_m, size_t limit, struct search_hit *out, long long *n);

/* A destination this daemon has just written (or removed): applied now. */
void search_live_put(const struct search_doc *d);
void search_live_remove(long long id);

#endif
