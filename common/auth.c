/* auth: bearer tokens and the internal token. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "problem.h"

/* The development key pair's seed is the BLAKE2b hash of this text: public, like DEV_INTERNAL_TOKEN,
 * which is why development mode refuses non-loopback listen addresses (service.c). */
#define DEV_SEED_TEXT "ecomovex-development-signing-key-not-for-production-use"
#define DEV_KID "dev"
#define KEYGEN_KID_RANDOM 4 /* bytes of randomness in a generated kid: "k" + 8 hex digits */
#define DEV_INTERNAL_TOKEN "ecomovex-development-internal-token"
#define DEFAULT_ISSUER "ecomovex"
#define DEFAULT_TTL_S 3600
#define TTL_MAX_S (30L * 24 * 3600)

static const char *secret_or_dev(const char *name, size_t min, const char *dev, int dev_mode)
{
    const char *v = config_env_str(name, NULL), *weak;

    if (v && strlen(v) >= min) {
        if (!dev_mode && (weak = config_secret_weakness(v)))
            config_fail(name, weak);
        return v;
    }
    if (!dev_mode)
        config_fail(name, v ? "too short (set a long random value)"
                            : "not set (set a long random value, or ECOMOVEX_DEV=1 for development)");
    log_msg(LOG_WARN, NULL, "%s %s: using the development value (ECOMOVEX_DEV=1)", name, v ? "too short" : "not set");
    return dev;
}

static void dev_seed(unsigned char seed[JWT_SEED_LEN])
{
    crypto_generichash(seed, JWT_SEED_LEN, (const unsigned char *)DEV_SEED_TEXT, strlen(DEV_SEED_TEXT), NULL, 0);
}

/* Reads JWT_SIGNING_KID / JWT_SIGNING_KEY into c->signer, then wipes the seed: from our buffer
 * and from the environment (so /proc/PID/environ and any child process no longer show it). */
static void signer_from_env(struct auth_config *c, int dev)
{
    const char *kid = config_env_str("JWT_SIGNING_KID", NULL);
    char *text = getenv("JWT_SIGNING_KEY");
    unsigned char seed[JWT_SEED_LEN];
    const char *why;

    if (text && *text) {
        if (jwt_parse_key(text, seed, sizeof seed, &why) != 0)
            config_fail("JWT_SIGNING_KEY", why);
        sodium_memzero(text, strlen(text));
        unsetenv("JWT_SIGNING_KEY");
        if (!kid)
            config_fail("JWT_SIGNING_KID",
                        "not set (the key id of JWT_SIGNING_KEY; `user-service keygen` prints both)");
    } else {
        if (!dev)
            config_fail("JWT_SIGNING_KEY", "not set (base64url of a 32-byte Ed25519 seed: run `user-service keygen`, "
                                           "or ECOMOVEX_DEV=1 for development)");
        log_msg(LOG_WARN, NULL, "JWT_SIGNING_KEY not set: using the development key pair (ECOMOVEX_DEV=1)");
        dev_seed(seed);
        kid = DEV_KID;
    }
    if (!jwt_kid_ok(kid))
        config_fail("JWT_SIGNING_KID", "must be 1 to 32 characters of A-Z a-z 0-9 . _ -");
    if (jwt_signer_from_seed(&c->signer, kid, seed) != 0)
        config_fail("JWT_SIGNING_KEY", "could not derive the key pair");
    sodium_memzero(seed, sizeof seed);
    c->can_sign = 1;
}

static void verify_keys_from_env(struct auth_config *c, int signs, int dev)
{
    const char *v = config_env_str("JWT_VERIFY_KEYS", NULL), *why;

    memset(&c->verify, 0, sizeof c->verify);
    if (v && jwt_parse_keyset(v, &c->verify, &why) != 0)
        config_fail("JWT_VERIFY_KEYS", why);
    if (signs) {
        /* The signer always accepts its own tokens; a listed entry for its kid must be the same key. */
        if (jwt_keyset_add(&c->verify, c->signer.kid, c->signer.pk, &why) != 0)
            config_fail("JWT_VERIFY_KEYS", strcmp(why, "one kid names two different keys") == 0
                                               ? "names JWT_SIGNING_KID with another public key"
                                               : why);
        return;
    }
    if (c->verify.n > 0)
        return;
    if (!dev)
        config_fail("JWT_VERIFY_KEYS", "not set (kid:public-key entries, comma-separated, from `user-service keygen`; "
                                       "or ECOMOVEX_DEV=1 for development)");
    log_msg(LOG_WARN, NULL, "JWT_VERIFY_KEYS not set: using the development public key (ECOMOVEX_DEV=1)");
    {
        struct jwt_signer d;
        unsigned char seed[JWT_SEED_LEN];

        dev_seed(seed);
        if (jwt_signer_from_seed(&d, DEV_KID, seed) != 0 || jwt_keyset_add(&c->verify, d.kid, d.pk, &why) != 0)
            config_fail("JWT_VERIFY_KEYS", "could not derive the development key");
        sodium_memzero(&d, sizeof d);
    }
}

void auth_config_from_env(struct auth_config *c, int signs)
{
    int dev = config_dev_mode();

    memset(c, 0, sizeof *c);
    if (config_env_str("JWT_SECRET", NULL))
        config_fail("JWT_SECRET",
                    "HS256 tokens are no longer accepted: unset it and set JWT_SIGNING_KEY (user-service) "
                    "and JWT_VERIFY_KEYS (docs/security.md, \"Token keys\")");
    if (signs)
        signer_from_env(c, dev);
    else if (config_env_str("JWT_SIGNING_KEY", NULL))
        config_fail("JWT_SIGNING_KEY", "this service only verifies tokens: give the private key to user-service alone "
                                       "and this one JWT_VERIFY_KEYS");
    verify_keys_from_env(c, signs, dev);
    c->issuer = config_env_str("JWT_ISSUER", DEFAULT_ISSUER);
    c->ttl_s = config_env_long("JWT_TTL_SECONDS", DEFAULT_TTL_S, 60, TTL_MAX_S);
    c->internal_token = secret_or_dev("INTERNAL_TOKEN", AUTH_INTERNAL_TOKEN_MIN, DEV_INTERNAL_TOKEN, dev);
    if (strlen(c->internal_token) > AUTH_INTERNAL_TOKEN_MAX)
        config_fail("INTERNAL_TOKEN", "too long (at most 200 bytes)");
}

int auth_keygen_command(int argc, char **argv)
{
    unsigned char seed[JWT_SEED_LEN], rnd[KEYGEN_KID_RANDOM];
    char kid[JWT_KID_MAX + 1];
    char b64[sodium_base64_ENCODED_LEN(JWT_SEED_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    struct jwt_signer s;

    if (argc > 1 || (argc == 1 && !jwt_kid_ok(argv[0]))) {
        fprintf(stderr, "usage: user-service keygen [KID]   (KID: 1 to 32 of A-Z a-z 0-9 . _ -)\n");
        return 2;
    }
    if (argc == 1) {
        snprintf(kid, sizeof kid, "%s", argv[0]);
    } else {
        randombytes_buf(rnd, sizeof rnd);
        snprintf(kid, sizeof kid, "k%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    }
    randombytes_buf(seed, sizeof seed);
    if (jwt_signer_from_seed(&s, kid, seed) != 0)
        return 1;
    sodium_bin2base64(b64, sizeof b64, seed, sizeof seed, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    printf("# user-service only (a secret):\nJWT_SIGNING_KID=%s\nJWT_SIGNING_KEY=%s\n", kid, b64);
    sodium_bin2base64(b64, sizeof b64, s.pk, sizeof s.pk, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    printf("# every service (public; when rotating, add this entry to the list in use):\nJWT_VERIFY_KEYS=%s:%s\n", kid,
           b64);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(&s, sizeof s);
    return 0;
}

int auth_unauthorized(struct reply *rp, const char *detail)
{
    problem(rp, 401, "%s", detail);
    reply_header(rp, "WWW-Authenticate", "Bearer realm=\"ecomovex\"");
    return -1;
}

/* A few tokens verified lately, per worker thread: a client sends the same token on every
 * request, and verifying it (base64, two JSON parses and an Ed25519 signature, which costs
 * far more than the HMAC that was once a third of the work of GET /users/me,
 * docs/performance.md) is worth skipping. Only tokens that verified are kept, compared
 * whole, and used only until their exp; the keys never change while the process runs. */
#define TOKEN_CACHE_SLOTS 64

struct token_slot {
    size_t len;
    char token[JWT_MAX_LEN];
    struct jwt_claims claims;
};

static __thread struct token_slot *token_cache; /* TOKEN_CACHE_SLOTS, allocated on first use */

static struct token_slot *token_slot(const char *t, size_t len)
{
    unsigned long long hash = 1469598103934665603ull; /* FNV-1a: only spreads tokens over slots */

    if (!token_cache && !(token_cache = calloc(TOKEN_CACHE_SLOTS, sizeof *token_cache)))
        return NULL;
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ (unsigned char)t[i]) * 1099511628211ull;
    return &token_cache[hash % TOKEN_CACHE_SLOTS];
}

void auth_thread_cleanup(void)
{
    free(token_cache);
    token_cache = NULL;
}

int auth_bearer(const struct request *rq, struct reply *rp, const struct auth_config *c, struct jwt_claims *out)
{
    const char *h = request_header(rq, "Authorization");
    long long now = (long long)time(NULL);
    struct token_slot *slot;
    enum jwt_status st;
    size_t len;

    if (!h)
        return auth_unauthorized(rp, "This endpoint needs a bearer token.");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return auth_unauthorized(rp, "The Authorization header must be 'Bearer <token>'.");
    h += 7;
    while (*h == ' ')
        h++;
    len = strlen(h);
    slot = len < JWT_MAX_LEN ? token_slot(h, len) : NULL;
    if (slot && slot->len == len && sodium_memcmp(slot->token, h, len) == 0 && slot->claims.exp + AUTH_LEEWAY_S > now) {
        *out = slot->claims;
        return 0;
    }
    st = jwt_verify(h, len, c->issuer, &c->verify, now, AUTH_LEEWAY_S, out);
    if (st == JWT_EXPIRED)
        return auth_unauthorized(rp, "The token has expired; log in again.");
    if (st != JWT_OK)
        return auth_unauthorized(rp, "The token is not valid.");
    if (slot) {
        memcpy(slot->token, h, len);
        slot->len = len;
        slot->claims = *out;
    }
    return 0;
}

int auth_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char ha[crypto_generichash_BYTES], hb[crypto_generichash_BYTES];

    /* Hash both so the comparison is fixed-length and leaks nothing about a prefix. */
    crypto_generichash(ha, sizeof ha, (const unsigned char *)a, la, NULL, 0);
    crypto_generichash(hb, sizeof hb, (const unsigned char *)b, lb, NULL, 0);
    return sodium_memcmp(ha, hb, sizeof ha) == 0;
}

int auth_internal(const struct request *rq, struct reply *rp, const struct auth_config *c)
{
    const char *t = request_header(rq, "X-Internal-Token");

    if (!t || !auth_equal(t, c->internal_token)) {
        problem(rp, 401, "This internal endpoint needs a valid X-Internal-Token.");
        return -1;
    }
    return 0;
}
