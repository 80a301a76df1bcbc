/* Unit tests: bearer tokens and the per-thread cache of verified ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth.h"

static struct auth_config cfg = {.issuer = "ecomovex", .ttl_s = 3600, .internal_token = "internal-token-for-tests"};
static struct jwt_signer other; /* a key the verifier does not list, under the same kid */

static int setup(void **state)
{
    unsigned char seed[JWT_SEED_LEN];
    const char *why;

    (void)state;
    memset(seed, 0x33, sizeof seed);
    if (jwt_signer_from_seed(&cfg.signer, "k1", seed) != 0)
        return -1;
    cfg.can_sign = 1;
    memset(seed, 0x44, sizeof seed);
    if (jwt_signer_from_seed(&other, "k1", seed) != 0)
        return -1;
    return jwt_keyset_add(&cfg.verify, cfg.signer.kid, cfg.signer.pk, &why);
}

static int check(const char *token, struct jwt_claims *out)
{
    static char name[] = "Authorization";
    char value[JWT_MAX_LEN + 16];
    struct request rq;
    struct reply rp = {0};
    int rc;

    memset(&rq, 0, sizeof rq);
    snprintf(value, sizeof value, "Bearer %s", token);
    rq.headers[0].name = name;
    rq.headers[0].value = value;
    rq.nheaders = 1;
    rc = auth_bearer(&rq, &rp, &cfg, out);
    if (rc < 0)
        assert_int_equal(rp.status, 401);
    reply_free(&rp);
    return rc;
}

static void make(char *out, size_t cap, long long sub, long long exp_delta, const struct jwt_signer *key)
{
    struct jwt_claims c = {.sub = sub, .role = JWT_ROLE_USER, .iat = time(NULL), .exp = time(NULL) + exp_delta};
    assert_int_equal(jwt_sign(&c, "ecomovex", key, out, cap), 0);
}

static void test_valid_token_passes_again_from_the_cache(void **state)
{
    char t[JWT_MAX_LEN];
    struct jwt_claims a, b;
    (void)state;
    make(t, sizeof t, 42, 600, &cfg.signer);
    assert_int_equal(check(t, &a), 0);
    assert_int_equal(check(t, &b), 0);
    assert_int_equal(a.sub, 42);
    assert_int_equal(b.sub, 42);
    assert_true(b.exp == a.exp);
}

static void test_a_lookalike_of_a_cached_token_is_verified_and_refused(void **state)
{
    char t[JWT_MAX_LEN], bad[JWT_MAX_LEN];
    struct jwt_claims c;
    size_t n;
    (void)state;
    make(t, sizeof t, 7, 600, &cfg.signer);
    assert_int_equal(check(t, &c), 0);
    n = strlen(t);
    memcpy(bad, t, n + 1);
    bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A'; /* same length, other signature */
    assert_int_equal(check(bad, &c), -1);
    bad[n - 1] = '\0'; /* a prefix of the cached token */
    assert_int_equal(check(bad, &c), -1);
}

static void test_other_key_and_expired_tokens_are_refused(void **state)
{
    char t[JWT_MAX_LEN];
    struct jwt_claims c;
    (void)state;
    make(t, sizeof t, 9, 600, &other);
    assert_int_equal(check(t, &c), -1);
    make(t, sizeof t, 9, -3600, &cfg.signer);
    assert_int_equal(check(t, &c), -1);
    assert_int_equal(check(t, &c), -1); /* a refused token is never cached */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_token_passes_again_from_the_cache),
        cmocka_unit_test(test_a_lookalike_of_a_cached_token_is_verified_and_refused),
        cmocka_unit_test(test_other_key_and_expired_tokens_are_refused),
    };
    int rc;
    if (sodium_init() < 0)
        return 1;
    rc = cmocka_run_group_tests_name("auth", tests, setup, NULL);
    auth_thread_cleanup();
    return rc;
}
