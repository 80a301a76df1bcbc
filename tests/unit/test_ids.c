/* test_ids.c - unit tests for destination-service/ids.c: the ?ids= parser, sorting and
 * de-duplicating, and the PostgreSQL array literal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

static long long out[IDS_MAX];

static enum ids_status parse(const char *s, size_t *n)
{
    return ids_parse(s, strlen(s), out, n);
}

static void test_parses_one_and_several_ids(void **state)
{
    size_t n;

    (void)state;
    assert_int_equal(parse("7", &n), IDS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 7);
    assert_int_equal(parse("3,1,2", &n), IDS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 3);
}

static void test_duplicates_are_removed_and_sorted(void **state)
{
    size_t n;

    (void)state;
    assert_int_equal(parse("5,5,2,5,2,9", &n), IDS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 5);
    assert_int_equal(out[2], 9);
}

static void test_largest_bigint_is_accepted_one_more_is_not(void **state)
{
    size_t n;

    (void)state;
    assert_int_equal(parse("9223372036854775807", &n), IDS_OK);
    assert_int_equal(out[0], 9223372036854775807LL);
    assert_int_equal(parse("9223372036854775808", &n), IDS_RANGE);
    assert_int_equal(n, 0);
    assert_int_equal(parse("99999999999999999999", &n), IDS_RANGE);
    assert_int_equal(parse("1,18446744073709551617", &n), IDS_RANGE);
}

static void test_zero_and_leading_zeros_are_refused(void **state)
{
    size_t n;

    (void)state;
    assert_int_equal(parse("0", &n), IDS_RANGE);
    assert_int_equal(parse("1,01", &n), IDS_RANGE);
    assert_int_equal(parse("00", &n), IDS_RANGE);
}

static void test_empty_items_are_refused(void **state)
{
    size_t n;

    (void)state;
    assert_int_equal(parse("", &n), IDS_EMPTY);
    assert_int_equal(ids_parse(NULL, 0, out, &n), IDS_EMPTY);
    assert_int_equal(parse(",", &n), IDS_EMPTY);
    assert_int_equal(parse("1,,2", &n), IDS_EMPTY);
    assert_int_equal(parse(",1", &n), IDS_EMPTY);
    assert_int_equal(parse("1,", &n), IDS_EMPTY);
}

static void test_spaces_signs_and_letters_are_refused(void **state)
{
    static const char *const bad[] = {"1, 2", " 1", "1 ", "+1", "-1", "1.5", "1e3", "abc", "0x10", "1;2", "1\t2"};
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &n), IDS_BAD_CHAR);
        assert_int_equal(n, 0);
    }
}

static void test_len_bounds_the_read(void **state)
{
    size_t n;

    (void)state;
    /* Only the first 3 bytes count: the ",x" beyond them is never looked at. */
    assert_int_equal(ids_parse("1,2,x", 3, out, &n), IDS_OK);
    assert_int_equal(n, 2);
}

/* A list of count ids, each "1" (so the only limit hit is the count). */
static char *list_of(size_t count, const char *item)
{
    size_t il = strlen(item), cap = count * (il + 1) + 1, len = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? "," : "", item);
    return s;
}

static void test_1000_ids_pass_1001_do_not(void **state)
{
    char *s;
    size_t n;

    (void)state;
    s = list_of(IDS_MAX, "42");
    assert_int_equal(parse(s, &n), IDS_OK);
    assert_int_equal(n, 1); /* all duplicates */
    free(s);
    s = list_of(IDS_MAX + 1, "42");
    assert_int_equal(parse(s, &n), IDS_TOO_MANY);
    assert_int_equal(n, 0);
    free(s);
}

static void test_1000_distinct_ids_are_kept(void **state)
{
    char *s = malloc(IDS_TEXT_MAX + 1);
    size_t n, len = 0;

    (void)state;
    assert_non_null(s);
    for (int i = IDS_MAX; i >= 1; i--)
        len += (size_t)snprintf(s + len, IDS_TEXT_MAX + 1 - len, "%s%d", i == IDS_MAX ? "" : ",", i);
    assert_int_equal(parse(s, &n), IDS_OK);
    assert_int_equal(n, IDS_MAX);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i], (long long)i + 1);
    free(s);
}

static void test_sort_unique_handles_empty_and_single(void **state)
{
    long long v[] = {4, 4, 4};

    (void)state;
    assert_int_equal(ids_sort_unique(v, 0), 0);
    assert_int_equal(ids_sort_unique(v, 1), 1);
    assert_int_equal(ids_sort_unique(v, 3), 1);
    assert_int_equal(v[0], 4);
}

static void test_pg_array_literal(void **state)
{
    long long v[] = {1, 22, 9223372036854775807LL};
    char buf[64];

    (void)state;
    assert_int_equal(ids_pg_array(v, 3, buf, sizeof buf), strlen("{1,22,9223372036854775807}"));
    assert_string_equal(buf, "{1,22,9223372036854775807}");
    assert_int_equal(ids_pg_array(v, 0, buf, sizeof buf), 2);
    assert_string_equal(buf, "{}");
}

static void test_pg_array_refuses_what_does_not_fit(void **state)
{
    long long v[] = {12345, 67890};
    char buf[12];

    (void)state;
    assert_int_equal(ids_pg_array(v, 2, buf, sizeof buf), -1); /* needs 14 bytes */
    assert_int_equal(ids_pg_array(v, 1, buf, 8), 7);           /* "{12345}" + NUL */
    assert_int_equal(ids_pg_array(v, 1, buf, 7), -1);
    assert_int_equal(ids_pg_array(v, 0, buf, 2), -1);
}

static void test_status_strings_are_never_null(void **state)
{
    (void)state;
    for (int s = IDS_OK; s <= IDS_TOO_MANY; s++)
        assert_non_null(ids_status_str((enum ids_status)s));
    assert_non_null(strstr(ids_status_str(IDS_TOO_MANY), "1000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_one_and_several_ids),
        cmocka_unit_test(test_duplicates_are_removed_and_sorted),
        cmocka_unit_test(test_largest_bigint_is_accepted_one_more_is_not),
        cmocka_unit_test(test_zero_and_leading_zeros_are_refused),
        cmocka_unit_test(test_empty_items_are_refused),
        cmocka_unit_test(test_spaces_signs_and_letters_are_refused),
        cmocka_unit_test(test_len_bounds_the_read),
        cmocka_unit_test(test_1000_ids_pass_1001_do_not),
        cmocka_unit_test(test_1000_distinct_ids_are_kept),
        cmocka_unit_test(test_sort_unique_handles_empty_and_single),
        cmocka_unit_test(test_pg_array_literal),
        cmocka_unit_test(test_pg_array_refuses_what_does_not_fit),
        cmocka_unit_test(test_status_strings_are_never_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
