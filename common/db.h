/* db: one PostgreSQL connection per worker, prepared statements, reconnect with backoff.
 *
 * A statement is a static struct db_statement next to the code that uses it (in an
 * <area>_store.c). It gets a process-wide number on first use and is prepared on each
 * connection the first time that connection runs it; afterwards a call only sends the
 * statement name and parameters. When the database goes away, calls fail at once with
 * DB_UNAVAILABLE (the handler answers 503) and a later call reconnects, with backoff. */
#ifndef ECOMOVEX_DB_H
#define ECOMOVEX_DB_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "db_status.h"

#define DB_MAX_STATEMENTS 512

struct db_statement {
    const char *sql;
    int nparams;
    int id; /* 0 until first use; then fixed for the life of the process */
};

/* SQL expression formatting timestamptz column col as RFC 3339 UTC ("2026-11-25T12:00:00Z"). */
#define DB_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Runs statement s with text parameters (NULL = SQL NULL). Returns the result (caller
 * PQclear()s) with *st = DB_OK, or NULL with *st saying why. */
PGresult *db_exec(struct db *db, struct db_statement *s, const char *const *params, enum db_status *st);

/* Transactions on this worker's connection. db_begin may reconnect; inside a transaction a
 * failure leaves the transaction aborted until db_rollback. Return DB_OK or the failure.
 * Inside a transaction, db_begin opens a savepoint of it, which db_commit releases and
 * db_rollback undoes: code that has its own transaction can run inside an enclosing one. */
enum db_status db_begin(struct db *db);
enum db_status db_commit(struct db *db);
void db_rollback(struct db *db);

/* Inside a transaction (depth 1), db_nest(db, 1) gives every statement run outside a
 * transaction of its own a savepoint, so its failure undoes it alone and the enclosing
 * transaction goes on, as statements do in autocommit; db_nest(db, 0), db_commit or
 * db_rollback end that. For wrapping a whole handler in one transaction (idempotency.c). */
void db_nest(struct db *db, int on);

/* Ends the transaction: commits when st is DB_OK, rolls back otherwise. Returns the
 * transaction's outcome (st, or the commit's failure). */
enum db_status db_finish(struct db *db, enum db_status st);

/* Runs s, expecting at most one row: *out is row(r, 0) of the first row, or NULL when
 * there is none (DB_OK either way); DB_ERROR when row fails (out of memory). */
enum db_status db_one(struct db *db, struct db_statement *s, const char *const *params,
                      cJSON *(*row)(const PGresult *r, int i), cJSON **out);

/* One page of a list: `page` returns the rows with count(*) OVER () in column total_col;
 * `count` (same filter, no paging) answers the total when the page is empty past its offset,
 * where the window count has no row to ride on. row turns one result row into JSON. */
struct db_page_query {
    struct db_statement *page, *count;
    const char *const *page_params, *const *count_params;
    int total_col;
    cJSON *(*row)(const PGresult *r, int i);
};

/* Runs q for a page starting at offset: *items is a JSON array (caller deletes) and *total
 * the number of rows of the whole list. On failure *items is NULL. */
enum db_status db_page(struct db *db, const struct db_page_query *q, long long offset, cJSON **items, long long *total);

/* Small result readers: value of row/col as long long / double / string (NULL if SQL NULL). */
long long db_ll(const PGresult *r, int row, int col);
double db_double(const PGresult *r, int row, int col);
const char *db_str(const PGresult *r, int row, int col);
int db_bool(const PGresult *r, int row, int col);

#endif
