/*
 * jwt.h - EdDSA (Ed25519, RFC 8037) JSON Web Tokens (RFC 7519) for EcomoveX services.
 *
 * The user-service signs access tokens with a private key only it holds; every
 * service verifies them with public keys, so a verifier that leaks its
 * configuration cannot mint tokens (issue 19). Only "EdDSA" is accepted, so an
 * attacker cannot pick the algorithm ("none", or HS256 keyed with a public key).
 * The header names the key ("kid"): a verifier holds a few public keys at once,
 * which lets the signing key rotate without logging anyone out (docs/security.md).
 *
 * Thread-safe: no global state. sodium_init() must have been called once
 * (by main) before any function here is used.
 */
#ifndef ECOMOVEX_JWT_H
#define ECOMOVEX_JWT_H

#include <stddef.h>

/* Longer tokens are rejected unparsed: bounds stack buffers and CPU per request. */
#define JWT_MAX_LEN 1024

#define JWT_SEED_LEN 32       /* crypto_sign_SEEDBYTES: the private key as configured */
#define JWT_PUBLIC_KEY_LEN 32 /* crypto_sign_PUBLICKEYBYTES */
#define JWT_SECRET_KEY_LEN 64 /* crypto_sign_SECRETKEYBYTES: seed and public key */
#define JWT_KID_MAX 32        /* a kid is 1..32 of [A-Za-z0-9._-] */
#define JWT_MAX_VERIFY_KEYS 4 /* the current key, the next one, and a little room */

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
    JWT_BAD_ALG,       /* header "alg" is missing or not exactly "EdDSA" */
    JWT_UNKNOWN_KID,   /* header "kid" names none of the verification keys */
    JWT_BAD_SIGNATURE, /* the Ed25519 signature does not verify with the kid's key */
    JWT_EXPIRED,       /* exp <= now - leeway */
    JWT_BAD_ISSUER,    /* "iss" missing or different from the expected issuer */
    JWT_BAD_CLAIMS     /* sub/role/iat/exp/ver missing or of the wrong type or range */
};

/* The private key user-service signs with: its kid and libsodium's secret key
   (seed followed by public key). Wipe with sodium_memzero when done. */
struct jwt_signer {
    char kid[JWT_KID_MAX + 1];
    unsigned char sk[JWT_SECRET_KEY_LEN];
    unsigned char pk[JWT_PUBLIC_KEY_LEN];
};

/* The public keys a verifier accepts, by kid (distinct kids). */
struct jwt_verify_key {
    char kid[JWT_KID_MAX + 1];
    unsigned char pk[JWT_PUBLIC_KEY_LEN];
};
struct jwt_keyset {
    size_t n;
    struct jwt_verify_key keys[JWT_MAX_VERIFY_KEYS];
};

/* 1 if kid is 1..JWT_KID_MAX characters of [A-Za-z0-9._-] (pasted into JSON unescaped). */
int jwt_kid_ok(const char *kid);

/* Fills *s from a 32-byte seed (crypto_sign_seed_keypair). Returns 0, or -1 if kid is bad. */
int jwt_signer_from_seed(struct jwt_signer *s, const char *kid, const unsigned char seed[JWT_SEED_LEN]);

/* Decodes base64url (no padding) text of exactly n bytes into out. Returns 0, or -1 with why. */
int jwt_parse_key(const char *text, unsigned char *out, size_t n, const char **why);

/* Parses "kid:base64url(public key)[,kid:key...]" (at most JWT_MAX_VERIFY_KEYS entries,
   distinct kids, spaces around entries allowed) into *ks. Returns 0, or -1 with why. */
int jwt_parse_keyset(const char *text, struct jwt_keyset *ks, const char **why);

/* Adds (kid, pk) to *ks. Returns 0; 0 also if the same pair is already there; -1 (with
   why) if the kid is bad, already names another key, or the set is full. */
int jwt_keyset_add(struct jwt_keyset *ks, const char *kid, const unsigned char pk[JWT_PUBLIC_KEY_LEN],
                   const char **why);

/* Signs c (iat/exp taken from the struct) with EdDSA under s's kid and writes a
   NUL-terminated token into out (cap bytes, caller-owned). issuer must match
   [A-Za-z0-9._:-]+; c->sub must be > 0, c->ver >= 0, iat/exp in [0, 2^53].
   Returns 0, or -1 if an argument is invalid or the token does not fit in cap
   (or would exceed JWT_MAX_LEN). */
int jwt_sign(const struct jwt_claims *c, const char *issuer, const struct jwt_signer *s, char *out, size_t cap);

/* Verifies token (len bytes, need not be NUL-terminated; never read beyond len)
   at time now, accepting exp up to leeway seconds in the past (negative leeway
   counts as 0). Header must be {"alg":"EdDSA","kid":"..."} with optional
   "typ":"JWT" and no other member, and kid must be in ks. Payload must carry
   iss == issuer, sub (positive decimal string), role ("user"|"admin"), iat and
   exp (integers); ver is optional. Fills *out (caller-owned) on JWT_OK only. */
enum jwt_status jwt_verify(const char *token, size_t len, const char *issuer, const struct jwt_keyset *ks,
                           long long now, long long leeway, struct jwt_claims *out);

/* Static, human-readable name of s (for logs); never NULL. */
const char *jwt_status_str(enum jwt_status s);

#endif /* ECOMOVEX_JWT_H */
