/* test_idempotency.c - unit tests for user-service/idempotency/idempotency.c: the
 * Idempotency-Key syntax and the request fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "idempotency.h"

static void test_key_syntax(void **state)
{
    char k[IDEMPOTENCY_KEY_MAX + 2];

    (void)state;
    assert_true(idempotency_key_valid("a"));
    assert_true(idempotency_key_valid("7f1c0a52-2b1e-4c3e-9a55-0d3c6f0e9b11"));
    assert_true(idempotency_key_valid("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"));
    memset(k, 'x', sizeof k);
    k[IDEMPOTENCY_KEY_MAX] = '\0';
    assert_true(idempotency_key_valid(k));
    k[IDEMPOTENCY_KEY_MAX] = 'x';
    k[IDEMPOTENCY_KEY_MAX + 1] = '\0';
    assert_false(idempotency_key_valid(k)); /* 256 */
    assert_false(idempotency_key_valid(NULL));
    assert_false(idempotency_key_valid(""));
    assert_false(idempotency_key_valid("a b"));
    assert_false(idempotency_key_valid("a\tb"));
    assert_false(idempotency_key_valid("a\x7f"));
    assert_false(idempotency_key_valid("caf\xc3\xa9"));
}

static void test_fingerprint(void **state)
{
    char a[IDEMPOTENCY_HASH_HEX], b[IDEMPOTENCY_HASH_HEX];

    (void)state;
    /* sha256("POST\n/api/v1/carbon\n{}") */
    idempotency_fingerprint("POST", "/api/v1/carbon", NULL, "{}", 2, a);
    assert_int_equal(strlen(a), 64);
    idempotency_fingerprint("POST", "/api/v1/carbon", NULL, "{} ", 2, b);
    assert_string_equal(a, b); /* only len bytes count */
    idempotency_fingerprint("POST", "/api/v1/carbon", NULL, "{ }", 3, b);
    assert_string_not_equal(a, b);
    idempotency_fingerprint("POST", "/api/v1/carbon", "x=1", "{}", 2, b);
    assert_string_not_equal(a, b);
    idempotency_fingerprint("POST", "/api/v1/plans", NULL, "{}", 2, b);
    assert_string_not_equal(a, b);
    idempotency_fingerprint("POST", "/api/v1/carbon", NULL, NULL, 0, a);
    idempotency_fingerprint("POST", "/api/v1/carbon", NULL, "", 0, b);
    assert_string_equal(a, b);
    assert_string_equal(a, "766f3941120c9ba4f0174820ae630d8c709e94fd1be84a348486720c51ace46b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_syntax),
        cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
