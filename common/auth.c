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
    const char *v = config_env_str(name, NULL);

    if (v && strlen(v) >= min)
        return v;
    if (!dev_mode)
        config_fail(name, v ? "too short (set a long random value)"
                            : "not set (set a long random value, or ECOMOVEX_DEV=1 for development)");
    log_msg(LOG_WARN, NULL, "%s %s: using the development value (ECOMOVEX_DEV=1)", name, v ? "too short" : "not set");
    return dev;
}

void auth_config_from_env(struct auth_config *c)
{
    int dev = config_env_bool("ECOMOVEX_DEV", 0);

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

int auth_bearer(const struct request *rq, struct reply *rp, const struct auth_config *c, struct jwt_claims *out)
{
    const char *h = request_header(rq, "Authorization");
    enum jwt_status st;

    if (!h)
        return auth_unauthorized(rp, "This endpoint needs a bearer token.");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return auth_unauthorized(rp, "The Authorization header must be 'Bearer <token>'.");
    h += 7;
    while (*h == ' ')
        h++;
    st = jwt_verify(h, strlen(h), c->issuer, (const unsigned char *)c->jwt_secret, c->jwt_secret_len,
                    (long long)time(NULL), AUTH_LEEWAY_S, out);
    if (st == JWT_EXPIRED)
        return auth_unauthorized(rp, "The token has expired; log in again.");
    if (st != JWT_OK)
        return auth_unauthorized(rp, "The token is not valid.");
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
