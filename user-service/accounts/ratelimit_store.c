/* ratelimit_store: the SQL of the login limits. */
#include "ratelimit_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

#define NUM_BUF 24
#define ATTEMPTS_CAP "1000000000" /* the counter saturates here instead of overflowing int */

static struct db_statement q_hit = {
    "INSERT INTO login_attempts AS la (key, window_start, attempts) "
    "VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2::int) * $2::int), LEAST($3::int, " ATTEMPTS_CAP ")) "
    "ON CONFLICT (key, window_start) DO UPDATE SET attempts = LEAST(la.attempts::bigint + $3::int, " ATTEMPTS_CAP ") "
    "RETURNING attempts, "
    "GREATEST(1, ceil(extract(epoch FROM la.window_start + make_interval(secs => $2::int) - now())))::bigint, "
    "extract(epoch FROM la.window_start)::bigint",
    3, 0};
static struct db_statement q_reset = {"DELETE FROM login_attempts WHERE key = $1", 1, 0};
static struct db_statement q_undo = {"UPDATE login_attempts SET attempts = GREATEST(attempts - $3::int, 0) "
                                     "WHERE key = $1 AND window_start = to_timestamp($2::bigint)",
                                     3, 0};
static struct db_statement q_prune = {"DELETE FROM login_attempts WHERE window_start < now() - interval '1 day'", 0, 0};

enum db_status ratelimit_store_add(struct db *db, const char *key, long window_s, long amount,
                                   struct ratelimit_hit *out)
{
    char w[NUM_BUF], a[NUM_BUF];
    const char *params[] = {key, w, a};
    enum db_status st;
    PGresult *r;

    snprintf(w, sizeof w, "%ld", window_s);
    snprintf(a, sizeof a, "%ld", amount);
    if (!(r = db_exec(db, &q_hit, params, &st)))
        return st;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERROR;
    }
    out->attempts = db_ll(r, 0, 0);
    out->retry_after = db_ll(r, 0, 1);
    out->window_start = db_ll(r, 0, 2);
    PQclear(r);
    return DB_OK;
}

enum db_status ratelimit_store_hit(struct db *db, const char *key, long window_s, struct ratelimit_hit *out)
{
    return ratelimit_store_add(db, key, window_s, 1, out);
}

static enum db_status run(struct db *db, struct db_statement *s, const char *const *params, long long *affected)
{
    enum db_status st;
    PGresult *r = db_exec(db, s, params, &st);

    if (!r)
        return st;
    if (affected)
        *affected = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return DB_OK;
}

enum db_status ratelimit_store_reset(struct db *db, const char *key)
{
    const char *params[] = {key};
    return run(db, &q_reset, params, NULL);
}

enum db_status ratelimit_store_take_back(struct db *db, const char *key, long long window_start, long amount)
{
    char ws[NUM_BUF], a[NUM_BUF];
    const char *params[] = {key, ws, a};

    snprintf(ws, sizeof ws, "%lld", window_start);
    snprintf(a, sizeof a, "%ld", amount);
    return run(db, &q_undo, params, NULL);
}

enum db_status ratelimit_store_undo(struct db *db, const char *key, long long window_start)
{
    return ratelimit_store_take_back(db, key, window_start, 1);
}

enum db_status ratelimit_store_prune(struct db *db, long long *deleted)
{
    return run(db, &q_prune, NULL, deleted);
}
