/* reconcile_store: SQL for the reconciler. */
#include "reconcile_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

#define RECONCILE_LOCK_KEY "7311440033"
#define ID_TEXT 21

static struct db_statement q_ids = {
    "SELECT id FROM (SELECT destination_id AS id FROM reviews WHERE destination_id > $1 "
    "UNION SELECT destination_id FROM plan_destinations WHERE destination_id > $1) x ORDER BY id LIMIT $2",
    2, 0};
/* One statement marks both tables; only rows whose flags change are touched. */
static struct db_statement q_mark = {"WITH r AS (UPDATE reviews SET destination_missing = NOT $2::boolean, "
                                     "destination_verified = destination_verified OR $2::boolean "
                                     "WHERE destination_id = ANY($1::bigint[]) AND (destination_missing = $2::boolean "
                                     "OR (NOT destination_verified AND $2::boolean)) RETURNING 1), "
                                     "p AS (UPDATE plan_destinations SET destination_missing = NOT $2::boolean, "
                                     "destination_verified = destination_verified OR $2::boolean "
                                     "WHERE destination_id = ANY($1::bigint[]) AND (destination_missing = $2::boolean "
                                     "OR (NOT destination_verified AND $2::boolean)) RETURNING 1) "
                                     "SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM p)",
                                     2, 0};
static struct db_statement q_lock = {"SELECT pg_try_advisory_lock(" RECONCILE_LOCK_KEY ")", 0, 0};
static struct db_statement q_unlock = {"SELECT pg_advisory_unlock(" RECONCILE_LOCK_KEY ")", 0, 0};

enum db_status reconcile_store_ids(struct db *db, long long after, long long *ids, size_t max, size_t *n)
{
    char a[24], m[24];
    const char *params[] = {a, m};
    enum db_status st;
    PGresult *r;

    snprintf(a, sizeof a, "%lld", after);
    snprintf(m, sizeof m, "%zu", max);
    *n = 0;
    if (!(r = db_exec(db, &q_ids, params, &st)))
        return st;
    for (int i = 0; i < PQntuples(r) && (size_t)i < max; i++)
        ids[(*n)++] = db_ll(r, i, 0);
    PQclear(r);
    return st;
}

enum db_status reconcile_store_mark(struct db *db, const long long *ids, size_t n, int exists, long long *changed)
{
    size_t cap = n * ID_TEXT + 3, used = 0;
    char *arr = malloc(cap);
    const char *params[] = {arr, exists ? "t" : "f"};
    enum db_status st;
    PGresult *r;

    *changed = 0;
    if (!arr)
        return DB_ERROR;
    used += (size_t)snprintf(arr, cap, "{");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(arr + used, cap - used, "%s%lld", i ? "," : "", ids[i]);
    snprintf(arr + used, cap - used, "}");
    r = db_exec(db, &q_mark, params, &st);
    free(arr);
    if (!r)
        return st;
    *changed = db_ll(r, 0, 0);
    PQclear(r);
    return st;
}

enum db_status reconcile_store_lock(struct db *db, int *got)
{
    enum db_status st;
    PGresult *r = db_exec(db, &q_lock, NULL, &st);

    *got = 0;
    if (!r)
        return st;
    *got = db_bool(r, 0, 0);
    PQclear(r);
    return st;
}

void reconcile_store_unlock(struct db *db)
{
    enum db_status st;
    PGresult *r = db_exec(db, &q_unlock, NULL, &st);
    PQclear(r);
}
