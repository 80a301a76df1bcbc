/* Unit tests: configuration values are parsed strictly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config.h"

static void test_long_accepts_in_range(void **state)
{
    long v = 0;
    const char *why = NULL;
    (void)state;
    assert_int_equal(config_parse_long("42", 1, 100, &v, &why), 0);
    assert_int_equal(v, 42);
    assert_int_equal(config_parse_long("-5", -10, 0, &v, &why), 0);
    assert_int_equal(v, -5);
}

static void test_long_rejects_garbage_and_range(void **state)
{
    static const char *const bad[] = {"", "abc", "12abc", " 12", "12 ", "1e3", "+", "99999999999999999999999"};
    long v = 7;
    const char *why = NULL;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_int_equal(config_parse_long(bad[i], 0, 1000, &v, &why), -1);
        assert_non_null(why);
    }
    assert_int_equal(config_parse_long("1001", 0, 1000, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(v, 7);
}

static void test_bool_words(void **state)
{
    int v = -1;
    const char *why = NULL;
    (void)state;
    assert_int_equal(config_parse_bool("TRUE", &v, &why), 0);
    assert_int_equal(v, 1);
    assert_int_equal(config_parse_bool("off", &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(config_parse_bool("maybe", &v, &why), -1);
}

static void test_addr_forms(void **state)
{
    char host[CONFIG_HOST_MAX];
    int port = 0;
    const char *why = NULL;
    (void)state;
    assert_int_equal(config_parse_addr("127.0.0.1:8081", host, &port, &why), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8081);
    assert_int_equal(config_parse_addr("[::1]:9000", host, &port, &why), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 9000);
    assert_int_equal(config_parse_addr("localhost", host, &port, &why), -1);
    assert_int_equal(config_parse_addr("host:0", host, &port, &why), -1);
    assert_int_equal(config_parse_addr("host:65536", host, &port, &why), -1);
    assert_int_equal(config_parse_addr(":80", host, &port, &why), -1);
}

static void test_enum_index(void **state)
{
    static const char *const modes[] = {"strict", "deferred", NULL};
    (void)state;
    assert_int_equal(config_parse_enum("deferred", modes), 1);
    assert_int_equal(config_parse_enum("Strict", modes), -1);
}

static void test_loopback_hosts(void **state)
{
    (void)state;
    assert_true(config_host_is_loopback("127.0.0.1"));
    assert_true(config_host_is_loopback("127.1.2.3"));
    assert_true(config_host_is_loopback("::1"));
    assert_true(config_host_is_loopback("LOCALHOST"));
    assert_false(config_host_is_loopback("0.0.0.0"));
    assert_false(config_host_is_loopback("::"));
    assert_false(config_host_is_loopback(""));
    assert_false(config_host_is_loopback("127."));
    assert_false(config_host_is_loopback("127.0.0.1.example.com"));
    assert_false(config_host_is_loopback("10.0.0.1"));
}

static void test_secret_weakness(void **state)
{
    (void)state;
    assert_null(config_secret_weakness("9f2c4e61b0d87a35c1e9f04b6d2a8c73"));
    assert_non_null(config_secret_weakness("CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME"));
    assert_non_null(config_secret_weakness("my-jwt-Secret-for-the-example-app-2026"));
    assert_non_null(config_secret_weakness("ecomovex-development-secret-not-for-production-use"));
    assert_non_null(config_secret_weakness("abababababababababababababababab"));
    assert_non_null(config_secret_weakness("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_accepts_in_range),
        cmocka_unit_test(test_long_rejects_garbage_and_range),
        cmocka_unit_test(test_bool_words),
        cmocka_unit_test(test_addr_forms),
        cmocka_unit_test(test_loopback_hosts),
        cmocka_unit_test(test_secret_weakness),
        cmocka_unit_test(test_enum_index),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
