/* auth: bearer tokens and the internal token. */
#include "auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "problem.h"

#define DEV_SECRET "ecomovex-development-secret-not-for-production-use"
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

void auth_config_from_env(struct auth_config *c)
{
    int dev = config_dev_mode();

    c->jwt_secret = secret_or_dev("JWT_SECRET", AUTH_SECRET_MIN, DEV_SECRET, dev);
    c->jwt_secret_len = strlen(c->jwt_secret);
    c->issuer = config_env_str("JWT_ISSUER", DEFAULT_ISSUER);
    c->ttl_s = config_env_long("JWT_TTL_SECONDS", DEFAULT_TTL_S, 60, TTL_MAX_S);
    c->internal_token = secret_or_dev("INTERNAL_TOKEN", AUTH_INTERNAL_TOKEN_MIN, DEV_INTERNAL_TOKEN, dev);
    if (strlen(c->internal_token) > AUTH_INTERNAL_TOKEN_MAX)
        config_fail("INTERNAL_TOKEN", "too long (at most 200 bytes)");
}

int auth_unauthorized(struct reply *rp, const char *detail)
{
    problem(rp, 401, "%s", detail);
    reply_header(rp, "WWW-Authenticate", "Bearer realm=\"ecomovex\"");
    return -1;
}

/* A few tokens verified lately, per worker thread: a client sends the same token on every
 * request, and verifying it (base64, HMAC, two JSON parses) was a third of the work of
 * GET /users/me (docs/performance.md). Only tokens that verified are kept, compared whole,
 * and used only until their exp; the key never changes while the process runs. */
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
    st =
        jwt_verify(h, len, c->issuer, (const unsigned char *)c->jwt_secret, c->jwt_secret_len, now, AUTH_LEEWAY_S, out);
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
