/* idempotency: the Idempotency-Key header on the POSTs that create (docs/api.md,
 * "Idempotency-Key").
 *
 * idempotency_run() wraps a creating handler: without the header it just runs it. With a
 * key (IDEMPOTENCY_KEY_MAX visible ASCII characters at most, else 400), the key is claimed
 * in the users database for (user, route); a second request with the same key and the same
 * SHA-256 of method, path, query and body within IDEMPOTENCY_TTL_S gets the first answer back
 * (status, Content-Type, body, Location) with Idempotent-Replayed: true and no second write;
 * another body is 422; a key whose first request is still running is 409.
 *
 * The claim, everything the handler writes and the stored answer are one transaction (the
 * handler's own transactions become savepoints of it), so no crash or failed commit can
 * leave a write without its key or a key without its write: a retry then runs afresh.
 * Answers of 5xx, 429 and 409 are not kept: the transaction is rolled back, writes and claim
 * with it, and a retry runs the handler again. A success whose body is over
 * IDEMPOTENCY_BODY_MAX is replayed as its status and Location only. */
#ifndef IDEMPOTENCY_H
#define IDEMPOTENCY_H

#include <stddef.h>

#include "router.h"

#define IDEMPOTENCY_HEADER "Idempotency-Key"
#define IDEMPOTENCY_KEY_MAX 255
#define IDEMPOTENCY_BODY_MAX (64 * 1024) /* larger answers are not stored */
#define IDEMPOTENCY_TTL_S (24 * 3600)
#define IDEMPOTENCY_STALE_S 60  /* a claim without an answer after this was abandoned (crash) */
#define IDEMPOTENCY_HASH_HEX 65 /* SHA-256 in hex and its NUL */
#define IDEMPOTENCY_PRUNE_EVERY_S 60

/* 1 if s is a valid key: 1..IDEMPOTENCY_KEY_MAX characters, each 0x21..0x7E. */
int idempotency_key_valid(const char *s);

/* hex (IDEMPOTENCY_HASH_HEX bytes) = SHA-256 of method "\n" path ["?" query] "\n" body[0..len)
 * (path and query raw, as sent; query NULL when there is none). */
void idempotency_fingerprint(const char *method, const char *path, const char *query, const char *body, size_t len,
                             char *hex);

/* Runs handler under rq's Idempotency-Key, if any (see above). */
void idempotency_run(struct request *rq, struct reply *rp, route_handler handler);

/* A route_handler name that runs h under idempotency_run: IDEMPOTENT(h) defines h_idempotent. */
#define IDEMPOTENT(h)                                                                                                  \
    static void h##_idempotent(struct request *rq, struct reply *rp)                                                   \
    {                                                                                                                  \
        idempotency_run(rq, rp, h);                                                                                    \
    }

#endif
