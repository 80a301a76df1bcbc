/* idempotency: the Idempotency-Key wrapper of creating handlers (see idempotency.h). */
#include "idempotency.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "idempotency_store.h"
#include "log.h"
#include "problem.h"
#include "server.h"

#define ROUTE_SCOPE_MAX 200
#define PRUNE_BATCH 1000

static atomic_llong last_prune;

int idempotency_key_valid(const char *s)
{
    size_t n = 0;

    if (!s)
        return 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e || n >= IDEMPOTENCY_KEY_MAX)
            return 0;
    return n >= 1;
}

void idempotency_fingerprint(const char *method, const char *path, const char *query, const char *body, size_t len,
                             char *hex)
{
    crypto_hash_sha256_state h;
    unsigned char out[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)method, strlen(method));
    crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)path, strlen(path));
    if (query) {
        crypto_hash_sha256_update(&h, (const unsigned char *)"?", 1);
        crypto_hash_sha256_update(&h, (const unsigned char *)query, strlen(query));
    }
    crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
    if (body && len)
        crypto_hash_sha256_update(&h, (const unsigned char *)body, len);
    crypto_hash_sha256_final(&h, out);
    sodium_bin2hex(hex, IDEMPOTENCY_HASH_HEX, out, sizeof out);
}

/* The static Content-Type string for a stored one; NULL for a type we do not replay. */
static const char *content_type_static(const char *ct)
{
    static const char *const known[] = {CT_JSON, CT_PROBLEM, CT_TEXT};

    for (size_t i = 0; ct && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(ct, known[i]) == 0)
            return known[i];
    return NULL;
}

/* A bounded prune of expired keys, at most once every IDEMPOTENCY_PRUNE_EVERY_S per process. */
static void maybe_prune(struct request *rq)
{
    long long now = (long long)time(NULL), last = atomic_load(&last_prune);

    if (now - last < IDEMPOTENCY_PRUNE_EVERY_S || !atomic_compare_exchange_strong(&last_prune, &last, now))
        return;
    if (idem_store_prune(rq->worker->db, IDEMPOTENCY_TTL_S, PRUNE_BATCH) < 0)
        log_msg(LOG_WARN, rq->request_id, "idempotency: pruning expired keys failed");
}

static void replay(struct reply *rp, struct idem_row *row)
{
    const char *ct = content_type_static(row->content_type);

    if (row->body && ct) {
        reply_take_body(rp, row->status, ct, row->body, row->body_len);
        row->body = NULL;
    } else {
        reply_empty(rp, row->status);
    }
    if ((row->location[0] && reply_header(rp, "Location", row->location) < 0) ||
        reply_header(rp, "Idempotent-Replayed", "true") < 0)
        reply_oom(rp);
}

/* The key's answer, in the transaction that ran the handler: a success (2xx) is always
 * kept, with its body when that can be replayed; a client error (4xx) is kept when it can
 * be replayed whole. 1 when the caller commits, 0 when it rolls everything back: 5xx and
 * 429 (the client may retry), 409 (the state may change), or an answer that cannot be kept
 * (the key is then free again, as if never sent). -1 when keeping it failed (*st). */
static int record(struct request *rq, struct reply *rp, const char *scope, const char *key, enum db_status *st)
{
    const char *loc = reply_get_header(rp, "Location");
    const char *ct = rp->content_type ? content_type_static(rp->content_type) : NULL;
    int success = rp->status >= 200 && rp->status < 300;
    int whole = rp->body_len <= IDEMPOTENCY_BODY_MAX && (!rp->content_type || ct) &&
                (!rp->body || strlen(rp->body) == rp->body_len);
    char *body = NULL;

    if (loc && strlen(loc) >= 512)
        loc = NULL;
    if (!success && (rp->status < 400 || rp->status >= 500 || rp->status == 429 || rp->status == 409 || !whole))
        return 0;
    if (whole && rp->body) {
        if (!(body = malloc(rp->body_len + 1))) {
            *st = DB_ERROR;
            return -1;
        }
        memcpy(body, rp->body, rp->body_len);
        body[rp->body_len] = '\0';
    }
    /* A success too large to keep is replayed as its status and Location, without the body. */
    *st = idem_store_answer(rq->worker->db, rq->auth.user_id, scope, key, rp->status, whole ? ct : NULL, loc, body);
    free(body);
    return *st == DB_OK ? 1 : -1;
}

/* Runs handler with the key claimed: the claim, the handler's writes and the answer are one
 * transaction, so a crash or a failed commit anywhere leaves neither the write nor the key,
 * and a retry runs afresh. The handler's own transactions become savepoints (db_nest). */
static void run_claimed(struct request *rq, struct reply *rp, route_handler handler, const char *scope, const char *key)
{
    struct db *db = rq->worker->db;
    enum db_status st = DB_OK, end;
    int keep;

    idem_store_nest(db, 1);
    handler(rq, rp);
    idem_store_nest(db, 0);
    keep = record(rq, rp, scope, key, &st);
    end = idem_store_end(db, keep == 1); /* commit, or roll everything back */
    if (keep == 1)
        st = end;
    if (keep != 0 && st != DB_OK) { /* nothing of the request was kept: say so, not what the handler said */
        log_msg(LOG_WARN, rq->request_id, "idempotency: the request's transaction failed (status %d)", (int)st);
        reply_free(rp);
        if (st == DB_SERIALIZATION || st == DB_ERROR)
            st = DB_UNAVAILABLE; /* 503 with Retry-After: a retry runs the request again */
        problem_db(rp, st, &(struct db_answers){.database = "The users database"});
    }
}

void idempotency_run(struct request *rq, struct reply *rp, route_handler handler)
{
    const char *key = request_header(rq, IDEMPOTENCY_HEADER);
    char scope[ROUTE_SCOPE_MAX], hash[IDEMPOTENCY_HASH_HEX];
    struct idem_row row;
    enum db_status st;
    int r = -1;

    if (!key || rq->auth.user_id <= 0 || !rq->worker || !rq->worker->db) {
        handler(rq, rp);
        return;
    }
    if (!idempotency_key_valid(key)) {
        problem(rp, 400, "The " IDEMPOTENCY_HEADER " header must be 1 to %d visible ASCII characters (0x21-0x7E).",
                IDEMPOTENCY_KEY_MAX);
        return;
    }
    snprintf(scope, sizeof scope, "%s %s", rq->method, rq->route ? rq->route->pattern : rq->path);
    idempotency_fingerprint(rq->method, rq->path, rq->query, rq->body, rq->body_len, hash);
    maybe_prune(rq);
    if ((st = idem_store_begin(rq->worker->db)) == DB_OK) {
        r = idem_store_claim(rq->worker->db, rq->auth.user_id, scope, key, hash, IDEMPOTENCY_TTL_S, IDEMPOTENCY_STALE_S,
                             &row, &st);
        if (r == 1) {
            run_claimed(rq, rp, handler, scope, key);
            return;
        }
        idem_store_end(rq->worker->db, 0);
    }
    if (st != DB_OK) {
        if (st == DB_SERIALIZATION)
            st = DB_UNAVAILABLE; /* answered 503 with Retry-After: a retry finds the key settled */
        problem_db(rp, st, &(struct db_answers){.database = "The users database"});
        return;
    }
    if (r == 2 || (row.status == 0 && strcmp(row.hash, hash) == 0)) { /* r 2: row was not read */
        problem(rp, 409, "A request with this " IDEMPOTENCY_HEADER " is still being processed; retry later.");
        if (reply_header(rp, "Retry-After", "1") < 0)
            reply_oom(rp);
    } else if (strcmp(row.hash, hash) != 0) {
        struct field_errors fe = {0};
        field_error(&fe, IDEMPOTENCY_HEADER,
                    "was used with another request (method, path, query or body) in the last 24 hours; "
                    "use a new key for a new request");
        problem_fields(rp, &fe);
    } else
        replay(rp, &row);
    free(row.body);
}
