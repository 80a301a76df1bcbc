/* test_etag.c - unit tests for destination-service/etag.c: strong tags and If-None-Match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "etag.h"

#define TAG "\"0123456789abcdef0123456789abcdef\""

static void test_tag_is_quoted_hex_and_stable(void **state)
{
    char a[ETAG_MAX], b[ETAG_MAX];

    (void)state;
    etag_compute("{\"id\":1}", 8, a);
    etag_compute("{\"id\":1}", 8, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), ETAG_MAX - 1);
    assert_int_equal(a[0], '"');
    assert_int_equal(a[ETAG_MAX - 2], '"');
    for (int i = 1; i < ETAG_MAX - 2; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
}

static void test_tag_changes_with_the_body(void **state)
{
    char a[ETAG_MAX], b[ETAG_MAX];

    (void)state;
    etag_compute("{\"id\":1}", 8, a);
    etag_compute("{\"id\":2}", 8, b);
    assert_string_not_equal(a, b);
    etag_compute("", 0, b);
    assert_string_not_equal(a, b);
}

static void test_exact_tag_matches(void **state)
{
    (void)state;
    assert_true(etag_match(TAG, TAG));
    assert_false(etag_match("\"other\"", TAG));
}

static void test_star_matches_anything(void **state)
{
    (void)state;
    assert_true(etag_match("*", TAG));
    assert_true(etag_match(" * ", TAG));
}

static void test_weak_comparison_ignores_w_prefix(void **state)
{
    (void)state;
    assert_true(etag_match("W/" TAG, TAG));
    assert_true(etag_match(TAG, "W/" TAG));
    assert_false(etag_match("W/\"other\"", TAG));
}

static void test_list_matches_any_member(void **state)
{
    (void)state;
    assert_true(etag_match("\"a\", " TAG, TAG));
    assert_true(etag_match("\"a\",W/" TAG ", \"b\"", TAG));
    assert_true(etag_match("  \"a\" ,\t" TAG "  ", TAG));
    assert_false(etag_match("\"a\", \"b\"", TAG));
    assert_true(etag_match("\"a,b\", " TAG, TAG)); /* a tag may hold a comma */
    assert_false(etag_match("\"a,b\"", "\"a\""));
}

static void test_absent_and_malformed_headers_match_nothing(void **state)
{
    static const char *const bad[] = {"",
                                      ",",
                                      "0123456789abcdef0123456789abcdef",
                                      "\"unterminated",
                                      "W/",
                                      "w/" TAG,
                                      TAG "x",
                                      "\"a\" \"b\"",
                                      "**",
                                      "\"a\" junk, " TAG};

    (void)state;
    assert_false(etag_match(NULL, TAG));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(etag_match(bad[i], TAG));
    assert_false(etag_match(TAG, NULL));
    assert_false(etag_match(TAG, "not-a-tag"));
}

static void test_prefix_of_a_tag_does_not_match(void **state)
{
    (void)state;
    assert_false(etag_match("\"0123456789abcdef\"", TAG));
    assert_false(etag_match("\"0123456789abcdef0123456789abcdef0\"", TAG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_is_quoted_hex_and_stable),
        cmocka_unit_test(test_tag_changes_with_the_body),
        cmocka_unit_test(test_exact_tag_matches),
        cmocka_unit_test(test_star_matches_anything),
        cmocka_unit_test(test_weak_comparison_ignores_w_prefix),
        cmocka_unit_test(test_list_matches_any_member),
        cmocka_unit_test(test_absent_and_malformed_headers_match_nothing),
        cmocka_unit_test(test_prefix_of_a_tag_does_not_match),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
