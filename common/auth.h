/* auth: checking a request's credentials — bearer JWTs and the internal service token. */
#ifndef ECOMOVEX_AUTH_H
#define ECOMOVEX_AUTH_H

#include <stddef.h>

#include "jwt.h"
#include "reply.h"
#include "request.h"

#define AUTH_SECRET_MIN JWT_MIN_KEY_LEN /* bytes of JWT_SECRET */
#define AUTH_INTERNAL_TOKEN_MIN 16      /* bytes of INTERNAL_TOKEN */
#define AUTH_INTERNAL_TOKEN_MAX 200     /* longer would not fit the client's header buffer */
#define AUTH_LEEWAY_S 30                /* clock skew tolerated on exp */

struct auth_config {
    const char *jwt_secret;
    size_t jwt_secret_len;
    const char *issuer;
    long long ttl_s;
    const char *internal_token;
};

/* Reads JWT_SECRET, JWT_ISSUER, JWT_TTL_SECONDS and INTERNAL_TOKEN. A missing or short
 * secret or token, or one that looks like a placeholder or has too little variety
 * (config_secret_weakness), exits 2 (configuration error) unless ECOMOVEX_DEV=1, in which
 * case a fixed development value is used and a warning logged. */
void auth_config_from_env(struct auth_config *c);

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
