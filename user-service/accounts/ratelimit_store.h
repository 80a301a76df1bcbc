/* ratelimit_store: the counters of the login, registration and per-user quota limits, in
 * the login_attempts table.
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

/* Adds amount (1..ATTEMPTS_CAP) to key's counter in the current window: the same as
 * ratelimit_store_hit for a quota counted in units other than attempts (bytes). */
enum db_status ratelimit_store_add(struct db *db, const char *key, long window_s, long amount,
                                   struct ratelimit_hit *out);

/* Takes amount back off key's window that started at window_start (never below 0). */
enum db_status ratelimit_store_take_back(struct db *db, const char *key, long long window_start, long amount);

/* Forgets every window of key (a successful login resets its account's counter). */
enum db_status ratelimit_store_reset(struct db *db, const char *key);

/* Takes one attempt back off key's window that started at window_start (never below 0). */
enum db_status ratelimit_store_undo(struct db *db, const char *key, long long window_start);

/* Deletes windows that started more than a day ago. */
enum db_status ratelimit_store_prune(struct db *db, long long *deleted);

#endif
