/* ratelimit_store: the login-attempt counters in the login_attempts table.
 *
 * Fixed windows: window_start is now() floored to a multiple of the window length, computed
 * by PostgreSQL so that every replica agrees on it. Each counter moves by one atomic
 * INSERT ... ON CONFLICT DO UPDATE ... RETURNING: no read-then-write race between replicas. */
#ifndef RATELIMIT_STORE_H
#define RATELIMIT_STORE_H

#include "db_status.h"

struct ratelimit_hit {
    long long attempts;     /* the counter after this attempt */
    long long retry_after;  /* whole seconds until the window ends (>= 1) */
    long long window_start; /* Unix time of the window's start */
};

/* Counts one attempt against key in the current window of window_s seconds. */
enum db_status ratelimit_store_hit(struct db *db, const char *key, long window_s, struct ratelimit_hit *out);

/* Forgets every window of key (a successful login resets its account's counter). */
enum db_status ratelimit_store_reset(struct db *db, const char *key);

/* Takes one attempt back off key's window that started at window_start (never below 0). */
enum db_status ratelimit_store_undo(struct db *db, const char *key, long long window_start);

/* Deletes windows that started more than a day ago. */
enum db_status ratelimit_store_prune(struct db *db, long long *deleted);

#endif
