/* idempotency_store: the SQL of the idempotency_keys table. */
#include "idempotency_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* One statement claims: a new key is inserted; a held key is taken over only when it
 * expired ($5 seconds) or its claim was abandoned without an answer ($6 seconds). Nothing
 * returned: the key is held by another request, read it with q_get. */
static struct db_statement q_claim = {
    "INSERT INTO idempotency_keys AS k (user_id, route, key, request_hash) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id, route, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now(), "
    "status = NULL, content_type = NULL, location = NULL, body = NULL "
    "WHERE k.created_at < now() - make_interval(secs => $5::int) "
    "OR (k.status IS NULL AND k.created_at < now() - make_interval(secs => $6::int)) RETURNING 1",
    6, 0};
/* Inside the transaction that will run the request: a second request with the same key
 * finds the lock taken instead of waiting on the first one's uncommitted claim. */
static struct db_statement q_lock = {
    "SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || ' ' || $2 || ' ' || $3, 0))", 3, 0};
static struct db_statement q_get = {"SELECT request_hash, status, content_type, location, body FROM idempotency_keys "
                                    "WHERE user_id = $1 AND route = $2 AND key = $3",
                                    3, 0};
static struct db_statement q_answer = {"UPDATE idempotency_keys SET status = $4, content_type = $5, location = $6, "
                                       "body = $7 WHERE user_id = $1 AND route = $2 AND key = $3",
                                       7, 0};
/* Bounded, so a prune never holds up the request that runs it; the created_at index finds them. */
static struct db_statement q_prune = {"DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
                                      "WHERE created_at < now() - make_interval(secs => $1::int) LIMIT $2)",
                                      2, 0};

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int idem_store_claim(struct db *db, long long user, const char *route, const char *key, const char *hash, int ttl_s,
                     int stale_s, struct idem_row *row, enum db_status *st)
{
    char uid[24], ttl[16], stale[16];
    const char *p[6] = {uid, route, key, hash, ttl, stale};
    PGresult *r;
    int claimed;

    snprintf(uid, sizeof uid, "%lld", user);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    snprintf(stale, sizeof stale, "%d", stale_s);
    memset(row, 0, sizeof *row);
    if (!(r = db_exec(db, &q_lock, p, st)))
        return -1;
    claimed = PQntuples(r) == 1 && db_bool(r, 0, 0);
    PQclear(r);
    if (!claimed)
        return 2;
    if (!(r = db_exec(db, &q_claim, p, st)))
        return -1;
    claimed = PQntuples(r) == 1;
    PQclear(r);
    if (claimed)
        return 1;
    if (!(r = db_exec(db, &q_get, p, st)))
        return -1;
    if (PQntuples(r) != 1) { /* pruned in between: let the client retry */
        PQclear(r);
        *st = DB_SERIALIZATION;
        return -1;
    }
    copy(row->hash, sizeof row->hash, db_str(r, 0, 0));
    row->status = PQgetisnull(r, 0, 1) ? 0 : (int)db_ll(r, 0, 1);
    copy(row->content_type, sizeof row->content_type, db_str(r, 0, 2));
    copy(row->location, sizeof row->location, db_str(r, 0, 3));
    if (!PQgetisnull(r, 0, 4)) {
        row->body_len = (size_t)PQgetlength(r, 0, 4);
        row->body = malloc(row->body_len + 1);
        if (!row->body) {
            PQclear(r);
            *st = DB_ERROR;
            return -1;
        }
        memcpy(row->body, PQgetvalue(r, 0, 4), row->body_len + 1);
    }
    PQclear(r);
    return 0;
}

enum db_status idem_store_begin(struct db *db)
{
    return db_begin(db);
}

void idem_store_nest(struct db *db, int on)
{
    db_nest(db, on);
}

enum db_status idem_store_end(struct db *db, int commit)
{
    if (commit)
        return db_commit(db);
    db_rollback(db);
    return DB_OK;
}

enum db_status idem_store_answer(struct db *db, long long user, const char *route, const char *key, int status,
                                 const char *content_type, const char *location, const char *body)
{
    char uid[24], s[8];
    const char *p[7] = {uid, route, key, s, content_type, location, body};
    enum db_status st;
    PGresult *r;

    snprintf(uid, sizeof uid, "%lld", user);
    snprintf(s, sizeof s, "%d", status);
    if ((r = db_exec(db, &q_answer, p, &st)))
        PQclear(r);
    return st;
}

long idem_store_prune(struct db *db, int ttl_s, int limit)
{
    char ttl[16], lim[16];
    const char *p[2] = {ttl, lim};
    enum db_status st;
    PGresult *r;
    long n;

    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    snprintf(lim, sizeof lim, "%d", limit);
    if (!(r = db_exec(db, &q_prune, p, &st)))
        return -1;
    n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return n;
}
