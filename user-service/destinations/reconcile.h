/* reconcile: keeps destination ids in the users database honest after the fact.
 *
 * Asks destination-service about every referenced destination id, in batches, and marks
 * the rows: destination gone → destination_missing (the row is kept: no user data is lost);
 * destination there → verified (confirms rows written in deferred mode). Runs as the
 * `user-service reconcile` command and every RECONCILE_INTERVAL_SECONDS inside the daemon. */
#ifndef RECONCILE_H
#define RECONCILE_H

#include "db_status.h"
#include "dest_client.h"
#include "server.h"

struct reconcile_counts {
    long long ids_checked, existing, missing, rows_confirmed, rows_marked_missing;
};

/* One full pass. 0 on success, -1 when a dependency failed or *stop became non-zero between
 * two batches (stop may be NULL); the counts hold what was done. */
int reconcile_run(struct db *db, struct dest_client *c, const int *stop, struct reconcile_counts *n);

/* A client of its own that never caches (a reconciler must see deletions at once), with
 * its own breaker. The change-feed follower uses one too. 0 or -1. */
int reconcile_client_init(struct dest_shared *s, struct dest_client *c, const char *internal_token);
void reconcile_client_destroy(struct dest_shared *s, struct dest_client *c);

/* The `reconcile` command: one pass, counts printed. Returns the exit status. */
int reconcile_command(const struct db_options *dbo, const char *internal_token);

/* The background task inside the daemon: a media orphan sweep at start, then a pass every
 * RECONCILE_INTERVAL_SECONDS (none when 0). */
int reconcile_start(const struct db_options *dbo, const char *internal_token);
void reconcile_stop(void);

#endif
