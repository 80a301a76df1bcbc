/*
 * password.h - password hashing with argon2id (libsodium crypto_pwhash_str).
 *
 * Hashes are self-describing PHC strings ("$argon2id$v=19$m=...,t=...,p=1$...")
 * so parameters can be raised later: password_needs_rehash tells when a stored
 * hash should be replaced after a successful login.
 *
 * Call sodium_init() and then password_init() once at start-up; afterwards
 * every function is thread-safe.
 */
#ifndef ECOMOVEX_PASSWORD_H
#define ECOMOVEX_PASSWORD_H

#include <sodium.h>
#include <stddef.h>

/* Production defaults: OWASP's argon2id minimum (m = 19 MiB, t = 2, p = 1). */
#define PASSWORD_DEFAULT_OPSLIMIT 2
#define PASSWORD_DEFAULT_MEMLIMIT (19u * 1024 * 1024)

/* Smallest parameters libsodium accepts: for tests only, never production. */
#define PASSWORD_TEST_OPSLIMIT crypto_pwhash_OPSLIMIT_MIN
#define PASSWORD_TEST_MEMLIMIT crypto_pwhash_MEMLIMIT_MIN

/* Size of an encoded hash buffer, including the terminating NUL. */
#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES

struct password_params {
    unsigned long long opslimit; /* argon2id passes (t) */
    size_t memlimit;             /* bytes of memory (m) */
};

/* Builds the dummy hash used by password_verify_dummy with params p. Call once
   after sodium_init and before any other password_ call; later calls are no-ops.
   Returns 0, or -1 (out of memory or invalid params). */
int password_init(const struct password_params *p);

/* Hashes pw (pwlen bytes) with argon2id and params p into out (caller-owned,
   PASSWORD_HASH_MAX bytes, NUL-terminated on success). Returns 0 or -1
   (out of memory or invalid params). */
int password_hash(const struct password_params *p, const char *pw, size_t pwlen, char out[PASSWORD_HASH_MAX]);

/* 1 if pw matches the NUL-terminated encoded hash, 0 if not, or if hash is
   malformed or longer than PASSWORD_HASH_MAX - 1. Constant time in the password. */
int password_verify(const char *hash, const char *pw, size_t pwlen);

/* Verifies pw against a fixed dummy hash so that a login for an unknown email
   costs the same time as one for a known email (whose hash uses the same params).
   Always returns 0. */
int password_verify_dummy(const char *pw, size_t pwlen);

/* 1 if hash was not made by argon2id with exactly params p (so it should be
   re-hashed at the next successful login), or is malformed; else 0. */
int password_needs_rehash(const struct password_params *p, const char *hash);

#endif /* ECOMOVEX_PASSWORD_H */
