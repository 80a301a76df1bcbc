/* reconcile_store: the SQL the reconciler needs — referenced destination ids, and marking rows. */
#ifndef RECONCILE_STORE_H
#define RECONCILE_STORE_H

#include <stddef.h>

#include "db_status.h"

/* Up to max distinct destination ids referenced by reviews or plan stops, greater than after,
 * ascending (keyset paging). *n is how many were written to ids. */
enum db_status reconcile_store_ids(struct db *db, long long after, long long *ids, size_t max, size_t *n);

/* Marks every row naming one of ids as existing (verified, not missing) or missing.
 * *changed is the number of rows whose flags changed. */
enum db_status reconcile_store_mark(struct db *db, const long long *ids, size_t n, int exists, long long *changed);

/* Takes / releases the session advisory lock that keeps replicas from reconciling at once.
 * *got is 0 when another process holds it. */
enum db_status reconcile_store_lock(struct db *db, int *got);
void reconcile_store_unlock(struct db *db);

#endif
