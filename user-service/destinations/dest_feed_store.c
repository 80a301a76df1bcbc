/* dest_feed_store: SQL of the change-feed follower. */
#include "dest_feed_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

#define NUM_TEXT 24

static struct db_statement q_cursor = {"SELECT after_seq FROM dest_feed_cursor", 0, 0};
static struct db_statement q_lock = {"SELECT after_seq FROM dest_feed_cursor FOR UPDATE", 0, 0};
static struct db_statement q_mark = {
    "WITH r AS (UPDATE reviews SET destination_missing = true"
    " WHERE destination_id = ANY($1::bigint[]) AND NOT destination_missing RETURNING 1),"
    " p AS (UPDATE plan_destinations SET destination_missing = true"
    " WHERE destination_id = ANY($1::bigint[]) AND NOT destination_missing RETURNING 1)"
    " SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM p)",
    1, 0};
static struct db_statement q_advance = {"UPDATE dest_feed_cursor SET after_seq = $1, updated_at = now()", 1, 0};
static struct db_statement q_reset = {"INSERT INTO dest_feed_cursor (after_seq) VALUES ($1) ON CONFLICT (one)"
                                      " DO UPDATE SET after_seq = EXCLUDED.after_seq, updated_at = now()",
                                      1, 0};

enum db_status dest_feed_store_cursor(struct db *db, long long *after, int *found)
{
    enum db_status st;
    PGresult *r = db_exec(db, &q_cursor, NULL, &st);

    *after = 0;
    *found = 0;
    if (!r)
        return st;
    if (PQntuples(r) > 0) {
        *after = db_ll(r, 0, 0);
        *found = 1;
    }
    PQclear(r);
    return DB_OK;
}

/* "{1,2,3}" of the ids whose seq is above cur; NULL when out of memory. *n is how many. */
static char *array_above(const long long *ids, const long long *seqs, size_t n, long long cur, size_t *count)
{
    size_t cap = n * NUM_TEXT + 3, used = 1;
    char *a = malloc(cap);

    *count = 0;
    if (!a)
        return NULL;
    a[0] = '{';
    for (size_t i = 0; i < n; i++) {
        if (seqs[i] <= cur)
            continue;
        used += (size_t)snprintf(a + used, cap - used, "%s%lld", *count ? "," : "", ids[i]);
        (*count)++;
    }
    snprintf(a + used, cap - used, "}");
    return a;
}

/* The statements of dest_feed_store_apply, inside its transaction. */
static enum db_status apply_in(struct db *db, const long long *seqs, size_t nseqs, const long long *delete_ids,
                               const long long *delete_seqs, size_t ndeletes, long long next_after, long long *applied,
                               long long *marked)
{
    char nbuf[NUM_TEXT];
    const char *p1[1];
    enum db_status st;
    long long cur;
    size_t nmark;
    char *arr;
    PGresult *r = db_exec(db, &q_lock, NULL, &st);

    if (!r)
        return st;
    if (PQntuples(r) < 1) {
        PQclear(r);
        return DB_ERROR; /* the follower creates the row before it applies pages */
    }
    cur = db_ll(r, 0, 0);
    PQclear(r);
    for (size_t i = 0; i < nseqs; i++)
        *applied += seqs[i] > cur;
    if (!(arr = array_above(delete_ids, delete_seqs, ndeletes, cur, &nmark)))
        return DB_ERROR;
    if (nmark) {
        p1[0] = arr;
        r = db_exec(db, &q_mark, p1, &st);
        if (r) {
            *marked = db_ll(r, 0, 0);
            PQclear(r);
        }
    }
    free(arr);
    if (st != DB_OK || next_after <= cur)
        return st;
    snprintf(nbuf, sizeof nbuf, "%lld", next_after);
    p1[0] = nbuf;
    if ((r = db_exec(db, &q_advance, p1, &st)))
        PQclear(r);
    return st;
}

enum db_status dest_feed_store_apply(struct db *db, const long long *seqs, size_t nseqs, const long long *delete_ids,
                                     const long long *delete_seqs, size_t ndeletes, long long next_after,
                                     long long *applied, long long *marked)
{
    enum db_status st;

    *applied = *marked = 0;
    if ((st = db_begin(db)) != DB_OK)
        return st;
    st = apply_in(db, seqs, nseqs, delete_ids, delete_seqs, ndeletes, next_after, applied, marked);
    st = db_finish(db, st);
    if (st != DB_OK)
        *applied = *marked = 0;
    return st;
}

enum db_status dest_feed_store_reset(struct db *db, long long seq)
{
    char s[NUM_TEXT];
    const char *params[] = {s};
    enum db_status st;
    PGresult *r;

    snprintf(s, sizeof s, "%lld", seq);
    if (!(r = db_exec(db, &q_reset, params, &st)))
        return st;
    PQclear(r);
    return DB_OK;
}
