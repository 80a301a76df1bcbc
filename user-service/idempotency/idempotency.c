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

/* Keeps rp as the key's answer when it may be replayed, else releases the key. */
static void record(struct request *rq, struct reply *rp, const char *scope, const char *key)
{
    const char *loc = reply_get_header(rp, "Location");
    const char *ct = rp->content_type ? content_type_static(rp->content_type) : NULL;
    int keep = rp->status >= 200 && rp->status < 500 && rp->status != 429 && rp->status != 409 &&
               rp->body_len <= IDEMPOTENCY_BODY_MAX && (!rp->content_type || ct) &&
               (!rp->body || strlen(rp->body) == rp->body_len) && (!loc || strlen(loc) < 512);
    char *body = NULL;
    enum db_status st;

    if (keep && rp->body) {
        if (!(body = malloc(rp->body_len + 1))) {
            keep = 0;
        } else {
            memcpy(body, rp->body, rp->body_len);
            body[rp->body_len] = '\0';
        }
    }
    if (keep)
        st = idem_store_answer(rq->worker->db, rq->auth.user_id, scope, key, rp->status, ct, loc, body);
    else
        st = idem_store_release(rq->worker->db, rq->auth.user_id, scope, key);
    if (st != DB_OK) /* the claim stays; it counts as abandoned after IDEMPOTENCY_STALE_S */
        log_msg(LOG_WARN, rq->request_id, "idempotency: %s the key's answer failed (status %d)",
                keep ? "keeping" : "releasing", (int)st);
    free(body);
}

void idempotency_run(struct request *rq, struct reply *rp, route_handler handler)
{
    const char *key = request_header(rq, IDEMPOTENCY_HEADER);
    char scope[ROUTE_SCOPE_MAX], hash[IDEMPOTENCY_HASH_HEX];
    struct idem_row row;
    enum db_status st;
    int r;

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
    r = idem_store_claim(rq->worker->db, rq->auth.user_id, scope, key, hash, IDEMPOTENCY_TTL_S, IDEMPOTENCY_STALE_S,
                         &row, &st);
    if (r < 0) {
        if (st == DB_SERIALIZATION)
            st = DB_UNAVAILABLE; /* answered 503 with Retry-After: a retry finds the key settled */
        problem_db(rp, st, &(struct db_answers){.database = "The users database"});
        return;
    }
    if (r == 1) {
        handler(rq, rp);
        record(rq, rp, scope, key);
        return;
    }
    if (strcmp(row.hash, hash) != 0) {
        struct field_errors fe = {0};
        field_error(&fe, IDEMPOTENCY_HEADER,
                    "was used with another request (method, path, query or body) in the last 24 hours; "
                    "use a new key for a new request");
        problem_fields(rp, &fe);
    } else if (row.status == 0) {
        problem(rp, 409, "A request with this " IDEMPOTENCY_HEADER " is still being processed; retry later.");
        if (reply_header(rp, "Retry-After", "1") < 0)
            reply_oom(rp);
    } else
        replay(rp, &row);
    free(row.body);
}
