/*
 * jwt.h - HS256 JSON Web Tokens (RFC 7519) for EcomoveX services.
 *
 * The user-service signs access tokens; every service verifies them. Only
 * HS256 is accepted so that an attacker cannot pick the algorithm ("none",
 * or an asymmetric one whose public key would be misused as an HMAC key).
 *
 * Thread-safe: no global state. sodium_init() must have been called once
 * (by main) before any function here is used.
 */
#ifndef ECOMOVEX_JWT_H
#define ECOMOVEX_JWT_H

#include <stddef.h>

/* Longer tokens are rejected unparsed: bounds stack buffers and CPU per request. */
#define JWT_MAX_LEN 1024

/* RFC 7518 section 3.2: an HS256 key must be at least as long as the hash
   output (32 bytes). Shorter keys make offline brute force practical. */
#define JWT_MIN_KEY_LEN 32

enum jwt_role { JWT_ROLE_USER = 0, JWT_ROLE_ADMIN = 1 };

struct jwt_claims {
    long long sub;      /* user id; "sub" is a decimal string in the token */
    enum jwt_role role; /* "role": "user" | "admin" */
    long long iat, exp; /* seconds since epoch, integers in [0, 2^53] */
    int ver;            /* "ver": token version (integer >= 0), default 0 if absent */
};

enum jwt_status {
    JWT_OK = 0,
    JWT_MALFORMED,     /* not three base64url segments of JSON objects, bad header members */
    JWT_BAD_ALG,       /* header "alg" is missing or not exactly "HS256" */
    JWT_BAD_SIGNATURE, /* HMAC mismatch (or key shorter than JWT_MIN_KEY_LEN) */
    JWT_EXPIRED,       /* exp <= now - leeway */
    JWT_BAD_ISSUER,    /* "iss" missing or different from the expected issuer */
    JWT_BAD_CLAIMS     /* sub/role/iat/exp/ver missing or of the wrong type or range */
};

/* Signs c (iat/exp taken from the struct) with HS256 and writes a NUL-terminated
   token into out (cap bytes, caller-owned). issuer must match [A-Za-z0-9._:-]+;
   c->sub must be > 0, c->ver >= 0, iat/exp in [0, 2^53]; keylen >= JWT_MIN_KEY_LEN.
   Returns 0, or -1 if an argument is invalid or the token does not fit in cap
   (or would exceed JWT_MAX_LEN). */
int jwt_sign(const struct jwt_claims *c, const char *issuer, const unsigned char *key, size_t keylen, char *out,
             size_t cap);

/* Verifies token (len bytes, need not be NUL-terminated; never read beyond len)
   at time now, accepting exp up to leeway seconds in the past (negative leeway
   counts as 0). Header must be {"alg":"HS256"} with optional "typ":"JWT" and no
   other member. Payload must carry iss == issuer, sub (positive decimal string),
   role ("user"|"admin"), iat and exp (integers); ver is optional. Fills *out
   (caller-owned) on JWT_OK only. */
enum jwt_status jwt_verify(const char *token, size_t len, const char *issuer, const unsigned char *key, size_t keylen,
                           long long now, long long leeway, struct jwt_claims *out);

/* Static, human-readable name of s (for logs); never NULL. */
const char *jwt_status_str(enum jwt_status s);

#endif /* ECOMOVEX_JWT_H */
