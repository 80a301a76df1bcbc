/*
 * test_password.c - unit tests for common/password.c (argon2id hashing).
 *
 * All hashes use libsodium's minimum parameters so the suite stays fast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "password.h"

#define TEST_PW "correct horse battery staple"
#define TEST_OTHER_PW "correct horse battery stapler"
#define ARGON2ID_PREFIX "$argon2id$"

static const struct password_params test_params = {
    .opslimit = PASSWORD_TEST_OPSLIMIT,
    .memlimit = PASSWORD_TEST_MEMLIMIT,
};

static void hash_pw(const char *pw, char out[PASSWORD_HASH_MAX])
{
    assert_int_equal(password_hash(&test_params, pw, strlen(pw), out), 0);
}

static int group_setup(void **state)
{
    (void)state;
    return password_init(&test_params);
}

static void test_hash_then_verify_matches(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, h);
    assert_int_equal(password_verify(h, TEST_PW, strlen(TEST_PW)), 1);
}

static void test_hash_is_argon2id(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, h);
    assert_memory_equal(h, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX));
}

static void test_wrong_password_does_not_match(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, h);
    assert_int_equal(password_verify(h, TEST_OTHER_PW, strlen(TEST_OTHER_PW)), 0);
}

static void test_password_prefix_does_not_match(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, h);
    /* pwlen is honoured: a shorter prefix of the right password is wrong. */
    assert_int_equal(password_verify(h, TEST_PW, strlen(TEST_PW) - 1), 0);
}

static void test_malformed_hash_does_not_match(void **state)
{
    (void)state;
    assert_int_equal(password_verify("not-a-hash", TEST_PW, strlen(TEST_PW)), 0);
}

static void test_empty_hash_does_not_match(void **state)
{
    (void)state;
    assert_int_equal(password_verify("", TEST_PW, strlen(TEST_PW)), 0);
}

static void test_truncated_hash_does_not_match(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, h);
    h[strlen(h) - 1] = '\0';
    assert_int_equal(password_verify(h, TEST_PW, strlen(TEST_PW)), 0);
}

static void test_unterminated_hash_does_not_match(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    /* No NUL within PASSWORD_HASH_MAX: rejected without reading further. */
    memset(h, 'a', sizeof h);
    assert_int_equal(password_verify(h, TEST_PW, strlen(TEST_PW)), 0);
}

static void test_same_password_hashes_differ(void **state)
{
    char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, a);
    hash_pw(TEST_PW, b);
    assert_string_not_equal(a, b);
}

static void test_needs_rehash_when_params_differ(void **state)
{
    char h[PASSWORD_HASH_MAX];
    struct password_params stronger = test_params;

    (void)state;
    hash_pw(TEST_PW, h);
    stronger.opslimit++;
    assert_int_equal(password_needs_rehash(&stronger, h), 1);
}

static void test_no_rehash_when_params_match(void **state)
{
    char h[PASSWORD_HASH_MAX];

    (void)state;
    hash_pw(TEST_PW, h);
    assert_int_equal(password_needs_rehash(&test_params, h), 0);
}

static void test_needs_rehash_for_malformed_hash(void **state)
{
    (void)state;
    assert_int_equal(password_needs_rehash(&test_params, "not-a-hash"), 1);
}

static void test_dummy_verify_returns_zero(void **state)
{
    (void)state;
    assert_int_equal(password_verify_dummy(TEST_PW, strlen(TEST_PW)), 0);
}

static void test_init_twice_is_harmless(void **state)
{
    (void)state;
    assert_int_equal(password_init(&test_params), 0);
    assert_int_equal(password_verify_dummy(TEST_PW, strlen(TEST_PW)), 0);
}

static void test_hash_rejects_params_below_minimum(void **state)
{
    char h[PASSWORD_HASH_MAX];
    struct password_params weak = {.opslimit = 0, .memlimit = PASSWORD_TEST_MEMLIMIT};

    (void)state;
    assert_int_equal(password_hash(&weak, TEST_PW, strlen(TEST_PW), h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_then_verify_matches),
        cmocka_unit_test(test_hash_is_argon2id),
        cmocka_unit_test(test_wrong_password_does_not_match),
        cmocka_unit_test(test_password_prefix_does_not_match),
        cmocka_unit_test(test_malformed_hash_does_not_match),
        cmocka_unit_test(test_empty_hash_does_not_match),
        cmocka_unit_test(test_truncated_hash_does_not_match),
        cmocka_unit_test(test_unterminated_hash_does_not_match),
        cmocka_unit_test(test_same_password_hashes_differ),
        cmocka_unit_test(test_needs_rehash_when_params_differ),
        cmocka_unit_test(test_no_rehash_when_params_match),
        cmocka_unit_test(test_needs_rehash_for_malformed_hash),
        cmocka_unit_test(test_dummy_verify_returns_zero),
        cmocka_unit_test(test_init_twice_is_harmless),
        cmocka_unit_test(test_hash_rejects_params_below_minimum),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
