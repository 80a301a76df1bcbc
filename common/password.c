/*
 * password.c - argon2id password hashing on top of libsodium.
 */
#include "password.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Length of the random secret the dummy hash is made from. Its value never
   matters (the dummy's result is ignored); random makes it unguessable anyway. */
#define PASSWORD_DUMMY_SECRET_LEN 32

static char dummy_hash[PASSWORD_HASH_MAX];
/* Set (release) once dummy_hash is complete; readers load it (acquire) so they
   never see a half-written hash. */
static atomic_int dummy_ready;
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;

/* A stored hash comes from the database: bound the scan instead of trusting a NUL. */
static int password_hash_terminated(const char *hash)
{
    return hash != NULL && strnlen(hash, PASSWORD_HASH_MAX) < PASSWORD_HASH_MAX;
}

/* libsodium accepts NULL only with a zero length. */
static int password_input_ok(const char *pw, size_t pwlen)
{
    return pw != NULL || pwlen == 0;
}

int password_init(const struct password_params *p)
{
    unsigned char secret[PASSWORD_DUMMY_SECRET_LEN];
    int rc = -1;

    if (p == NULL)
        return -1;
    pthread_mutex_lock(&dummy_lock);
    if (atomic_load_explicit(&dummy_ready, memory_order_acquire)) {
        rc = 0;
        goto out;
    }
    randombytes_buf(secret, sizeof secret);
    if (password_hash(p, (const char *)secret, sizeof secret, dummy_hash) != 0)
        goto out;
    atomic_store_explicit(&dummy_ready, 1, memory_order_release);
    rc = 0;
out:
    sodium_memzero(secret, sizeof secret);
    pthread_mutex_unlock(&dummy_lock);
    return rc;
}

int password_hash(const struct password_params *p, const char *pw, size_t pwlen, char out[PASSWORD_HASH_MAX])
{
    if (p == NULL || out == NULL || !password_input_ok(pw, pwlen))
        return -1;
    /* Argon2id explicitly, not "libsodium's current default", so that a library
       upgrade cannot silently change the algorithm of new hashes. */
    if (crypto_pwhash_str_alg(out, pw, pwlen, p->opslimit, p->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -1;
    return 0;
}

int password_verify(const char *hash, const char *pw, size_t pwlen)
{
    if (!password_hash_terminated(hash) || !password_input_ok(pw, pwlen))
        return 0;
    return crypto_pwhash_str_verify(hash, pw, pwlen) == 0;
}

int password_verify_dummy(const char *pw, size_t pwlen)
{
    int outcome;

    /* Without password_init there is nothing to burn time on; that is a
       start-up bug, documented in the header, not a runtime condition. */
    if (!atomic_load_explicit(&dummy_ready, memory_order_acquire) || !password_input_ok(pw, pwlen))
        return 0;
    /* The outcome is irrelevant: only the time spent matters. (A (void) cast
       does not silence gcc's warn_unused_result, hence the variable.) */
    outcome = crypto_pwhash_str_verify(dummy_hash, pw, pwlen);
    (void)outcome;
    return 0;
}

int password_needs_rehash(const struct password_params *p, const char *hash)
{
    if (p == NULL || !password_hash_terminated(hash))
        return 1;
    /* 0: same algorithm and params; 1: different; -1: not a valid hash. */
    return crypto_pwhash_str_needs_rehash(hash, p->opslimit, p->memlimit) != 0;
}
