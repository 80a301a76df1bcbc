/* auth: checking a request's credentials — bearer JWTs and the internal service token. */
#ifndef ECOMOVEX_AUTH_H
#define ECOMOVEX_AUTH_H

#include <stddef.h>

#include "jwt.h"
#include "reply.h"
#include "request.h"

#define AUTH_INTERNAL_TOKEN_MIN 16  /* bytes of INTERNAL_TOKEN */
#define AUTH_INTERNAL_TOKEN_MAX 200 /* longer would not fit the client's header buffer */
#define AUTH_LEEWAY_S 30            /* clock skew tolerated on exp */

struct auth_config {
    int can_sign;             /* 1 in user-service: signer holds its private key */
    struct jwt_signer signer; /* JWT_SIGNING_KID, JWT_SIGNING_KEY */
    struct jwt_keyset verify; /* JWT_VERIFY_KEYS (and, where it signs, its own public key) */
    const char *issuer;
    long long ttl_s;
    const char *internal_token;
};

/* Reads the token keys, JWT_ISSUER, JWT_TTL_SECONDS and INTERNAL_TOKEN.
 * signs (user-service): JWT_SIGNING_KID and JWT_SIGNING_KEY (base64url of a 32-byte Ed25519
 * seed) are required; its public key is accepted along with JWT_VERIFY_KEYS (optional).
 * !signs (a verifier): JWT_SIGNING_KEY must not be set; JWT_VERIFY_KEYS is required.
 * JWT_SECRET (the former HS256 key) is refused. A missing or malformed key, or a missing,
 * short or placeholder-looking INTERNAL_TOKEN, exits 2 (configuration error) naming the
 * variable, unless ECOMOVEX_DEV=1: then a fixed development key pair (kid "dev") and token
 * are used and a warning logged. The seed is wiped from the environment once read. */
void auth_config_from_env(struct auth_config *c, int signs);

/* `user-service keygen [KID]`: prints a new signing key as JWT_SIGNING_KID=, JWT_SIGNING_KEY=
 * and JWT_VERIFY_KEYS=kid:public-key lines (a .env or `. file` reads them as they are).
 * Returns the exit status. */
int auth_keygen_command(int argc, char **argv);

/* Verifies "Authorization: Bearer <jwt>". Returns 0 and fills *out, or -1 with a 401
 * problem (and WWW-Authenticate) in rp. The token itself is never logged. */
int auth_bearer(const struct request *rq, struct reply *rp, const struct auth_config *c, struct jwt_claims *out);

/* Frees the calling thread's cache of verified tokens (worker threads call it as they end). */
void auth_thread_cleanup(void);

/* Fills rp with a 401 problem carrying detail and WWW-Authenticate. Returns -1. */
int auth_unauthorized(struct reply *rp, const char *detail);

/* Checks X-Internal-Token in constant time. Returns 0, or -1 with a 401 problem in rp. */
int auth_internal(const struct request *rq, struct reply *rp, const struct auth_config *c);

/* Constant-time equality of two strings (time depends on the lengths only). */
int auth_equal(const char *a, const char *b);

#endif
