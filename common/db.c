/* db: per-worker libpq connection with prepared statements and reconnect. */
#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

#define STMT_NAME_MAX 16

struct db {
    struct db_options opt;
    PGconn *conn;
    unsigned char prepared[DB_MAX_STATEMENTS]; /* by statement id, for this connection */
    char last_constraint[64];
    int depth;                 /* open transactions: 0 none, 1 a transaction, more its savepoints */
    int nested;                /* db_nest on: each statement at depth 1 gets its own savepoint */
    long long next_attempt_ms; /* monotonic time before which we do not retry */
    int backoff_ms;
};

static struct metric *m_errors, *m_unavailable, *m_reconnects;
static struct metrics_histogram *m_duration;
static int last_statement_id;

void db_metrics_init(void)
{
    m_errors = metrics_counter("db_errors_total", "Database errors that were not the client's fault.", "");
    m_unavailable = metrics_counter("db_unavailable_total", "Database calls refused because it was down.", "");
    m_reconnects = metrics_counter("db_connects_total", "Database connections made.", "");
    m_duration = metrics_histogram("db_statement_duration_seconds",
                                   "Time to run one prepared statement and read its result, errors included.", "");
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct db *db_new(const struct db_options *o)
{
    struct db *db = calloc(1, sizeof *db);

    if (!db)
        return NULL;
    db->opt = *o;
    db->backoff_ms = o->backoff_min_ms;
    return db;
}

/* The statement's number, given on first use by any thread. 0 when there are too many. */
static int statement_id(struct db_statement *s)
{
    int id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE), fresh, expected = 0;

    if (id)
        return id;
    fresh = __atomic_add_fetch(&last_statement_id, 1, __ATOMIC_ACQ_REL);
    if (fresh >= DB_MAX_STATEMENTS)
        return 0;
    if (__atomic_compare_exchange_n(&s->id, &expected, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    return expected; /* another thread numbered it first; the number `fresh` stays unused */
}

static void disconnect(struct db *db)
{
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
}

void db_free(struct db **db)
{
    if (!*db)
        return;
    disconnect(*db);
    free(*db);
    *db = NULL;
}

static void schedule_retry(struct db *db)
{
    db->next_attempt_ms = now_ms() + db->backoff_ms;
    db->backoff_ms = db->backoff_ms * 2 > db->opt.backoff_max_ms ? db->opt.backoff_max_ms : db->backoff_ms * 2;
}

static int connect_and_prepare(struct db *db)
{
    char timeout[16], stmt_timeout[24];
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {db->opt.conninfo, timeout, "ecomovex", NULL};

    snprintf(timeout, sizeof timeout, "%d", db->opt.connect_timeout_s);
    /* expand_dbname=1: the conninfo string or URI is expanded, our keys fill the gaps. */
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        log_msg(LOG_WARN, NULL, "database connection failed: %s",
                db->conn ? PQerrorMessage(db->conn) : "out of memory");
        disconnect(db);
        return -1;
    }
    /* Errors without DETAIL or CONTEXT: those quote whole rows ("Failing row contains ...")
     * and key values, which would put users' data into the log. */
    PQsetErrorVerbosity(db->conn, PQERRORS_TERSE);
    snprintf(stmt_timeout, sizeof stmt_timeout, "%d", db->opt.statement_timeout_ms);
    {
        const char *p[] = {stmt_timeout};
        PGresult *r =
            PQexecParams(db->conn, "SELECT set_config('statement_timeout', $1, false)", 1, NULL, p, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (!ok)
            goto fail;
    }
    memset(db->prepared, 0, sizeof db->prepared);
    metrics_add(m_reconnects, 1);
    db->backoff_ms = db->opt.backoff_min_ms;
    return 0;
fail:
    disconnect(db);
    return -1;
}

/* Makes sure there is a live connection. A connection that the server closed while we
 * were idle shows up as a readable socket: catch that here rather than fail a request. */
static int ensure(struct db *db)
{
    /* Inside a transaction whose connection broke, a fresh connection would silently run the
     * rest in autocommit: refuse until the caller ends the transaction. */
    if (db->depth && !db->conn)
        return -1;
    /* Outside one, a connection must never be left mid-transaction by a slip elsewhere:
     * every later request on this worker would fail with 25P02. */
    if (!db->depth && db->conn && PQstatus(db->conn) == CONNECTION_OK &&
        PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        log_msg(LOG_ERROR, NULL, "a connection was left inside a transaction; rolling it back");
        PQclear(PQexec(db->conn, "ROLLBACK"));
    }
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
        struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};
        if (poll(&pfd, 1, 0) > 0) {
            if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK)
                disconnect(db);
            else {
                PGnotify *n;
                while ((n = PQnotifies(db->conn)) != NULL)
                    PQfreemem(n);
            }
        }
    }
    if (db->conn && PQstatus(db->conn) != CONNECTION_OK)
        disconnect(db);
    if (db->conn)
        return 0;
    if (now_ms() < db->next_attempt_ms)
        return -1;
    if (connect_and_prepare(db) == 0)
        return 0;
    schedule_retry(db);
    return -1;
}

const char *db_last_constraint(const struct db *db)
{
    return db->last_constraint;
}

int db_connected(const struct db *db)
{
    return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

static enum db_status classify(struct db *db, PGresult *r)
{
    const char *state;

    if (!r || PQstatus(db->conn) != CONNECTION_OK) {
        log_msg(LOG_WARN, NULL, "database connection lost: %s", PQerrorMessage(db->conn));
        disconnect(db);
        schedule_retry(db);
        db->next_attempt_ms = 0; /* the server may be back already: try at the next call */
        return DB_UNAVAILABLE;
    }
    switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK: return DB_OK;
    default: break;
    }
    state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    {
        const char *c = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        snprintf(db->last_constraint, sizeof db->last_constraint, "%s", c ? c : "");
    }
    if (state && strcmp(state, "23505") == 0)
        return DB_UNIQUE;
    if (state && strcmp(state, "23503") == 0)
        return DB_FOREIGN_KEY;
    if (state && (strcmp(state, "23514") == 0 || strncmp(state, "22", 2) == 0))
        return DB_CHECK;
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
        return DB_SERIALIZATION;
    /* 57P01 admin shutdown, 08xxx connection exceptions, 53xxx out of resources, 57014 timeout;
     * 25006 read_only_sql_transaction: this server is a standby (a URL without
     * target_session_attrs=read-write, or a primary demoted under us). Not a bug but a
     * database that cannot take writes now: 503, and a fresh connection at the next call
     * lets libpq look for the primary again. */
    if (state && strcmp(state, "25006") == 0) {
        log_msg(LOG_WARN, NULL, "database is read-only (25006): reconnecting to find the primary");
        disconnect(db);
        db->next_attempt_ms = 0;
        return DB_UNAVAILABLE;
    }
    if (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 || strncmp(state, "53", 2) == 0)) {
        log_msg(LOG_WARN, NULL, "database unavailable (%s): %s", state, PQresultErrorMessage(r));
        return DB_UNAVAILABLE;
    }
    log_msg(LOG_ERROR, NULL, "database error %s: %s", state ? state : "?", PQresultErrorMessage(r));
    return DB_ERROR;
}

/* Prepares s on this connection if it has not been yet. Returns DB_OK or the failure. */
static enum db_status prepare(struct db *db, struct db_statement *s, int id, const char *name)
{
    PGresult *r;
    enum db_status st;

    if (db->prepared[id])
        return DB_OK;
    r = PQprepare(db->conn, name, s->sql, s->nparams, NULL);
    st = classify(db, r);
    if (st != DB_OK)
        log_msg(LOG_ERROR, NULL, "preparing statement %d failed: %.200s", id, s->sql);
    PQclear(r);
    if (st == DB_OK)
        db->prepared[id] = 1;
    return st;
}

static enum db_status simple(struct db *db, const char *sql);

/* Runs s on this connection (prepared there first if need be). */
static PGresult *exec_prepared(struct db *db, struct db_statement *s, const char *const *params, enum db_status *st)
{
    char name[STMT_NAME_MAX];
    int id = statement_id(s);
    PGresult *r;
    double t0;

    if (!id) {
        log_msg(LOG_ERROR, NULL, "more than %d statements: raise DB_MAX_STATEMENTS", DB_MAX_STATEMENTS);
        *st = DB_ERROR;
        return NULL;
    }
    if (ensure(db) < 0) {
        metrics_add(m_unavailable, 1);
        *st = DB_UNAVAILABLE;
        return NULL;
    }
    snprintf(name, sizeof name, "s%d", id);
    if ((*st = prepare(db, s, id, name)) != DB_OK) {
        if (*st != DB_UNAVAILABLE)
            metrics_add(m_errors, 1);
        return NULL;
    }
    t0 = metrics_now();
    r = PQexecPrepared(db->conn, name, s->nparams, params, NULL, NULL, 0);
    metrics_observe(m_duration, metrics_now() - t0);
    *st = classify(db, r);
    if (*st == DB_OK)
        return r;
    if (*st == DB_ERROR)
        metrics_add(m_errors, 1);
    if (*st == DB_UNAVAILABLE)
        metrics_add(m_unavailable, 1);
    PQclear(r);
    return NULL;
}

PGresult *db_exec(struct db *db, struct db_statement *s, const char *const *params, enum db_status *st)
{
    PGresult *r;

    if (!db->nested || db->depth != 1)
        return exec_prepared(db, s, params, st);
    /* A statement of code that runs without a transaction of its own, inside db_nest: its own
     * savepoint, so that its failure undoes it alone, as in autocommit, and the enclosing
     * transaction goes on. */
    if ((*st = simple(db, "SAVEPOINT stmt")) != DB_OK)
        return NULL;
    r = exec_prepared(db, s, params, st);
    if (simple(db, r ? "RELEASE SAVEPOINT stmt" : "ROLLBACK TO SAVEPOINT stmt; RELEASE SAVEPOINT stmt") != DB_OK && r) {
        PQclear(r);
        *st = DB_UNAVAILABLE;
        r = NULL;
    }
    return r;
}

static enum db_status simple(struct db *db, const char *sql)
{
    PGresult *r;
    enum db_status st;

    if (!db->conn)
        return DB_UNAVAILABLE;
    r = PQexec(db->conn, sql);
    st = classify(db, r);
    PQclear(r);
    return st;
}

enum db_status db_begin(struct db *db)
{
    enum db_status st;

    if (ensure(db) < 0) {
        metrics_add(m_unavailable, 1);
        return DB_UNAVAILABLE;
    }
    if ((st = simple(db, db->depth ? "SAVEPOINT tx" : "BEGIN")) == DB_OK)
        db->depth++;
    return st;
}

enum db_status db_commit(struct db *db)
{
    enum db_status st = DB_UNAVAILABLE;
    PGresult *r;

    if (db->depth > 1) {
        db->depth--;
        return simple(db, "RELEASE SAVEPOINT tx");
    }
    if (db->conn) {
        r = PQexec(db->conn, "COMMIT");
        st = classify(db, r);
        /* COMMIT of a transaction that had failed answers OK with the tag ROLLBACK */
        if (st == DB_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
            log_msg(LOG_ERROR, NULL, "COMMIT rolled back an aborted transaction");
            st = DB_ERROR;
        }
        PQclear(r);
    }
    db->depth = 0;
    db->nested = 0;
    return st;
}

void db_rollback(struct db *db)
{
    if (db->depth > 1) {
        db->depth--;
        if (db->conn)
            simple(db, "ROLLBACK TO SAVEPOINT tx; RELEASE SAVEPOINT tx");
        return;
    }
    if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        simple(db, "ROLLBACK");
    db->depth = 0;
    db->nested = 0;
}

void db_nest(struct db *db, int on)
{
    db->nested = on && db->depth == 1;
}

enum db_status db_finish(struct db *db, enum db_status st)
{
    if (st == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return st;
}

enum db_status db_ping(struct db *db)
{
    if (ensure(db) < 0)
        return DB_UNAVAILABLE;
    return simple(db, "SELECT 1");
}

enum db_status db_one(struct db *db, struct db_statement *s, const char *const *params,
                      cJSON *(*row)(const PGresult *r, int i), cJSON **out)
{
    enum db_status st;
    PGresult *r;

    *out = NULL;
    if (!(r = db_exec(db, s, params, &st)))
        return st;
    if (PQntuples(r) > 0 && !(*out = row(r, 0)))
        st = DB_ERROR;
    PQclear(r);
    return st;
}

enum db_status db_page(struct db *db, const struct db_page_query *q, long long offset, cJSON **items, long long *total)
{
    enum db_status st;
    PGresult *r;
    int n;

    *items = NULL;
    *total = 0;
    if (!(r = db_exec(db, q->page, q->page_params, &st)))
        return st;
    n = PQntuples(r);
    *items = cJSON_CreateArray();
    for (int i = 0; *items && i < n; i++) {
        cJSON *o = q->row(r, i);
        if (!o) {
            cJSON_Delete(*items);
            *items = NULL;
        } else {
            cJSON_AddItemToArray(*items, o);
        }
    }
    if (n > 0)
        *total = db_ll(r, 0, q->total_col);
    PQclear(r);
    if (!*items)
        return DB_ERROR;
    if (n == 0 && offset > 0) {
        if (!(r = db_exec(db, q->count, q->count_params, &st))) {
            cJSON_Delete(*items);
            *items = NULL;
            return st;
        }
        *total = db_ll(r, 0, 0);
        PQclear(r);
    }
    return DB_OK;
}

long long db_ll(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double db_double(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

const char *db_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int db_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}
