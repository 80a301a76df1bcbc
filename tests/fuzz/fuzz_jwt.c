/* fuzz_jwt: bearer tokens through jwt_verify(), and sign -> verify round trips.
 *
 * The first byte picks the mode. Mode 0..127: the rest is a token, verified with a fixed
 * Ed25519 key set and issuer (as auth_bearer does) at a fixed "now"; an accepted token must
 * carry sane claims, and the same token must fail under another key (same kid), an empty
 * key set, or another issuer. Mode 128..255: the
 * rest is read as claims (sub, role, iat, exp, ver, issuer); a token jwt_sign() agrees to
 * make must verify to exactly those claims, and not under another key. */
#include <sodium.h>

#include "fuzz.h"

#include "jwt.h"

static struct jwt_signer signer;
static struct jwt_keyset keys, other, none; /* "k1": signer's key / another key / nothing */
#define NOW 1764000000LL                    /* 2025-11-24 */
#define LEEWAY 30

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsigned char seed[JWT_SEED_LEN];
    struct jwt_signer o;
    const char *why;

    if (sodium_init() < 0)
        abort();
    memset(seed, 0x55, sizeof seed);
    if (jwt_signer_from_seed(&signer, "k1", seed) != 0 || jwt_keyset_add(&keys, "k1", signer.pk, &why) != 0)
        abort();
    memset(seed, 0x66, sizeof seed);
    if (jwt_signer_from_seed(&o, "k1", seed) != 0 || jwt_keyset_add(&other, "k1", o.pk, &why) != 0)
        abort();
    return 0;
}

static long long take(const uint8_t **d, size_t *n)
{
    long long v = 0;
    size_t k = *n < 8 ? *n : 8;

    for (size_t i = 0; i < k; i++)
        v = (long long)((unsigned long long)v << 8 | (*d)[i]);
    *d += k;
    *n -= k;
    return v;
}

static void verify_token(const uint8_t *data, size_t size)
{
    /* exactly size bytes: jwt_verify must not read beyond len */
    char *tok = malloc(size ? size : 1);
    struct jwt_claims c;
    enum jwt_status st;

    if (!tok)
        abort();
    if (size)
        memcpy(tok, data, size);
    st = jwt_verify(tok, size, "ecomovex", &keys, NOW, LEEWAY, &c);
    FUZZ_CHECK(jwt_status_str(st) != NULL);
    if (st == JWT_OK) {
        FUZZ_CHECK(c.sub > 0);
        FUZZ_CHECK(c.role == JWT_ROLE_USER || c.role == JWT_ROLE_ADMIN);
        FUZZ_CHECK(c.ver >= 0 && c.exp > NOW - LEEWAY && c.iat >= 0);
        FUZZ_CHECK(jwt_verify(tok, size, "ecomovex", &other, NOW, LEEWAY, &c) != JWT_OK);
        FUZZ_CHECK(jwt_verify(tok, size, "other", &keys, NOW, LEEWAY, &c) != JWT_OK);
        FUZZ_CHECK(jwt_verify(tok, size, "ecomovex", &none, NOW, LEEWAY, &c) != JWT_OK);
    }
    /* leeway and now at their extremes must not overflow */
    (void)jwt_verify(tok, size, "ecomovex", &keys, -9223372036854775807LL - 1, 9223372036854775807LL, &c);
    (void)jwt_verify(tok, size, "ecomovex", &keys, 9223372036854775807LL, -5, &c);
    free(tok);
}

static void round_trip(const uint8_t *data, size_t size)
{
    struct jwt_claims in, out;
    char token[JWT_MAX_LEN + 1], *issuer;
    int small;

    memset(&in, 0, sizeof in);
    in.sub = take(&data, &size);
    in.role = (size && (data[0] & 1)) ? JWT_ROLE_ADMIN : JWT_ROLE_USER;
    small = size && (data[0] & 2);
    if (size) {
        data++;
        size--;
    }
    in.iat = take(&data, &size);
    in.exp = take(&data, &size);
    in.ver = (int)take(&data, &size);
    issuer = fuzz_strndup(data, size); /* the rest */

    if (jwt_sign(&in, issuer, &signer, token, small ? 64 : sizeof token) == 0) {
        size_t len = strlen(token);
        FUZZ_CHECK(len > 0 && len <= JWT_MAX_LEN);
        FUZZ_CHECK(jwt_verify(token, len, issuer, &keys, in.exp - 1, 0, &out) == JWT_OK);
        FUZZ_CHECK(out.sub == in.sub && out.role == in.role && out.iat == in.iat && out.exp == in.exp &&
                   out.ver == in.ver);
        FUZZ_CHECK(jwt_verify(token, len, issuer, &other, in.exp - 1, 0, &out) == JWT_BAD_SIGNATURE);
        FUZZ_CHECK(jwt_verify(token, len, issuer, &keys, in.exp, 0, &out) == JWT_EXPIRED);
    }
    free(issuer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] < 128)
        verify_token(data + 1, size - 1);
    else
        round_trip(data + 1, size - 1);
    return 0;
}
