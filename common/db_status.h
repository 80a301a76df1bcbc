/* db_status: what code above the stores may know of the database — how a call ended, and
 * a connection as an opaque handle with its options and life cycle. No libpq here.
 *
 * Stores (the *_store.c files), db.c and migrate.c are the only files that see libpq, run
 * statements and open transactions (db.h); routes, the server and the other areas include
 * this header instead. `make lint` fails when any other file includes db.h or <libpq-fe.h>. */
#ifndef ECOMOVEX_DB_STATUS_H
#define ECOMOVEX_DB_STATUS_H

struct db; /* one worker's connection (db.h) */

enum db_status {
    DB_OK = 0,
    DB_UNAVAILABLE,   /* no connection, or it broke during the call: answer 503 */
    DB_UNIQUE,        /* 23505 unique_violation: usually 409 */
    DB_FOREIGN_KEY,   /* 23503 */
    DB_CHECK,         /* 23514 check_violation, 22xxx data exceptions */
    DB_SERIALIZATION, /* 40001 / 40P01: safe to retry the transaction */
    DB_ERROR,         /* anything else: a bug or schema mismatch, logged */
};

/* The constraint named by the last failed statement on this handle ("" if none): lets a
 * handler tell which unique index a DB_UNIQUE hit (email or username, say). */
const char *db_last_constraint(const struct db *db);

/* How a worker's connection is opened (db_new); plain values, no libpq types. */
struct db_options {
    const char *conninfo;
    int connect_timeout_s;
    int statement_timeout_ms;
    int backoff_min_ms, backoff_max_ms;
};

/* ---- a connection's life, for the server and service start-up; statements and
 * transactions are in db.h, for stores ---- */

/* Makes a handle; connects lazily on first use. NULL when out of memory. */
struct db *db_new(const struct db_options *o);

/* Closes the connection and frees the handle; sets *db to NULL. */
void db_free(struct db **db);

/* Pings the server (SELECT 1). DB_OK when it answers. */
enum db_status db_ping(struct db *db);

/* 1 if the handle currently has a usable connection. */
int db_connected(const struct db *db);

/* Registers the db_errors_total / db_reconnects_total metrics (call once before workers start). */
void db_metrics_init(void);

#endif
