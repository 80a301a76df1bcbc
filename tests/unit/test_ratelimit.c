/* test_ratelimit.c - unit tests for user-service/accounts/ratelimit.c: TRUSTED_PROXIES parsing,
 * trusted-peer matching, and which address a login attempt counts against. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

static struct ratelimit_config with(const char *trusted)
{
    struct ratelimit_config c = {.per_account = 10, .per_account_total = 100, .per_address = 50, .window_s = 300};
    const char *why = NULL;

    assert_int_equal(ratelimit_parse_trusted(trusted, &c, &why), 0);
    return c;
}

static void test_trusted_list_parses_addresses_and_ranges(void **state)
{
    struct ratelimit_config c = with(" 10.0.0.7 ,172.16.0.0/12, fd00::/8,::1 ,");

    (void)state;
    assert_int_equal(c.ntrusted, 4);
    assert_int_equal(c.trusted[0].bits, 32);
    assert_int_equal(c.trusted[1].bits, 12);
    assert_int_equal(c.trusted[2].bits, 8);
    assert_int_equal(c.trusted[3].bits, 128);
    assert_int_equal(with("").ntrusted, 0);
    assert_int_equal(with(" , ").ntrusted, 0);
}

static void test_trusted_list_refuses_garbage(void **state)
{
    static const char *const bad[] = {"gateway",     "10.0.0.0/33", "::/129",          "10.0.0.1/",   "10.0.0.1/x",
                                      "10.0.0.1/-1", "10.0.0.256",  "1.2.3.4 5.6.7.8", "10.0.0.1/8/8"};
    struct ratelimit_config c;
    const char *why;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_int_equal(ratelimit_parse_trusted(bad[i], &c, &why), -1);
        assert_non_null(why);
    }
    {
        char many[40 * 12] = "";
        for (int i = 0; i < 33; i++)
            snprintf(many + strlen(many), sizeof many - strlen(many), "10.0.0.%d,", i);
        assert_int_equal(ratelimit_parse_trusted(many, &c, &why), -1);
    }
}

static void test_trusted_matching_follows_the_prefix(void **state)
{
    struct ratelimit_config c = with("172.16.0.0/12, 10.1.2.3, 2001:db8::/32");

    (void)state;
    assert_true(ratelimit_trusted(&c, "172.16.0.1"));
    assert_true(ratelimit_trusted(&c, "172.31.255.255"));
    assert_false(ratelimit_trusted(&c, "172.32.0.0"));
    assert_true(ratelimit_trusted(&c, "10.1.2.3"));
    assert_false(ratelimit_trusted(&c, "10.1.2.4"));
    assert_true(ratelimit_trusted(&c, "::ffff:10.1.2.3")); /* IPv4-mapped is IPv4 */
    assert_true(ratelimit_trusted(&c, "2001:db8:ffff::1"));
    assert_false(ratelimit_trusted(&c, "2001:db9::1"));
    assert_false(ratelimit_trusted(&c, ""));
    assert_false(ratelimit_trusted(&c, NULL));
    assert_false(ratelimit_trusted(&c, "not an address"));
    c = with("");
    assert_false(ratelimit_trusted(&c, "127.0.0.1"));
}

static void test_untrusted_peer_is_the_client_whatever_it_forwards(void **state)
{
    struct ratelimit_config c = with("");
    char out[RATELIMIT_ADDR_MAX];

    (void)state;
    assert_int_equal(ratelimit_client_addr(&c, "192.0.2.9", "203.0.113.1", out), 0);
    assert_string_equal(out, "192.0.2.9");
    assert_int_equal(ratelimit_client_addr(&c, "::ffff:192.0.2.9", NULL, out), 0);
    assert_string_equal(out, "192.0.2.9");
}

static void test_trusted_peer_gives_the_last_hop(void **state)
{
    struct ratelimit_config c = with("127.0.0.1");
    char out[RATELIMIT_ADDR_MAX];

    (void)state;
    assert_int_equal(ratelimit_client_addr(&c, "127.0.0.1", "1.1.1.1, 2.2.2.2,\t203.0.113.7 ", out), 0);
    assert_string_equal(out, "203.0.113.7");
    assert_int_equal(ratelimit_client_addr(&c, "127.0.0.1", "203.0.113.8", out), 0);
    assert_string_equal(out, "203.0.113.8");
    /* a trusted proxy without a usable last hop: the proxy itself */
    static const char *const junk[] = {
        "", " ", "1.1.1.1,", "unknown", "203.0.113.7:443", "[2001:db8::1]", "1.1.1.1, not-an-ip"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        assert_int_equal(ratelimit_client_addr(&c, "127.0.0.1", junk[i], out), 0);
        assert_string_equal(out, "127.0.0.1");
    }
}

static void test_ipv6_clients_count_by_their_64(void **state)
{
    struct ratelimit_config c = with("::1");
    char a[RATELIMIT_ADDR_MAX], b[RATELIMIT_ADDR_MAX];

    (void)state;
    assert_int_equal(ratelimit_client_addr(&c, "2001:db8:1:2:aaaa::1", NULL, a), 0);
    assert_int_equal(ratelimit_client_addr(&c, "2001:db8:1:2:bbbb::2", NULL, b), 0);
    assert_string_equal(a, "2001:db8:1:2::/64");
    assert_string_equal(a, b);
    assert_int_equal(ratelimit_client_addr(&c, "::1", "2001:DB8:1:3::9", a), 0);
    assert_string_equal(a, "2001:db8:1:3::/64");
}

static void test_no_address_at_all_is_unknown(void **state)
{
    struct ratelimit_config c = with("");
    char out[RATELIMIT_ADDR_MAX];

    (void)state;
    assert_int_equal(ratelimit_client_addr(&c, "", NULL, out), -1);
    assert_string_equal(out, "unknown");
    assert_int_equal(ratelimit_client_addr(&c, NULL, "1.2.3.4", out), -1);
    assert_string_equal(out, "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trusted_list_parses_addresses_and_ranges),
        cmocka_unit_test(test_trusted_list_refuses_garbage),
        cmocka_unit_test(test_trusted_matching_follows_the_prefix),
        cmocka_unit_test(test_untrusted_peer_is_the_client_whatever_it_forwards),
        cmocka_unit_test(test_trusted_peer_gives_the_last_hop),
        cmocka_unit_test(test_ipv6_clients_count_by_their_64),
        cmocka_unit_test(test_no_address_at_all_is_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
