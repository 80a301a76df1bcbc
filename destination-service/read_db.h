/* read_db: the optional read connection of destination-service (DEST_DB_READ_URL, a hot
 * standby) beside each worker's primary one.
 *
 * GET routes and the internal validate call read from it; writes, the change feed and
 * /readyz stay on DEST_DB_URL. A standby lags: anything it reports missing, and any call it
 * cannot answer, is asked of the primary before the answer says so (read_db_retry). */
#ifndef READ_DB_H
#define READ_DB_H

#include "db_status.h"
#include "request.h"
#include "server.h"

/* Reads DEST_DB_READ_URL (unset or empty: no read connection, every read goes to the
 * primary) and installs the worker hooks that open and close it. */
void read_db_setup(struct server_options *o);

/* The connection a read of rq goes to first: the standby's when configured, else the
 * primary's. */
struct db *read_db(const struct request *rq);

/* Whether a read that ended with st on db (from read_db) must be asked of the primary:
 * db is the standby and it failed, or it did not find what it was asked for (incomplete). */
int read_db_retry(const struct request *rq, const struct db *db, enum db_status st, int incomplete);

#endif
