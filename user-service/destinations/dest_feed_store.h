/* dest_feed_store: the SQL of the change-feed follower — its cursor, and applying a page
 * (migrations/users/0002_dest_feed_cursor.sql). */
#ifndef DEST_FEED_STORE_H
#define DEST_FEED_STORE_H

#include <stddef.h>

#include "db_status.h"

/* The stored cursor: *found 0 when there is none yet (first start). */
enum db_status dest_feed_store_cursor(struct db *db, long long *after, int *found);

/* In one transaction: locks the cursor row; of the deleted ids delete_ids[i] whose change
 * sequence delete_seqs[i] is above the stored cursor, marks every review and plan stop
 * naming them destination_missing; sets the cursor to next_after when that is above it.
 * *applied: how many of the page's change sequences seqs[0..nseqs) were above the stored
 * cursor (0 when another replica applied the page first); *marked: rows newly marked. */
enum db_status dest_feed_store_apply(struct db *db, const long long *seqs, size_t nseqs, const long long *delete_ids,
                                     const long long *delete_seqs, size_t ndeletes, long long next_after,
                                     long long *applied, long long *marked);

/* Sets the cursor to seq (creating it), whatever it was: after a full reconcile. */
enum db_status dest_feed_store_reset(struct db *db, long long seq);

#endif
