/* Unit tests: the shared small things of common/ — UTF-8 decoding, calendar day numbers and
 * the bounded growable buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "civil.h"
#include "utf8.h"

static size_t dec(const char *s, unsigned *cp)
{
    return utf8_decode((const unsigned char *)s, strlen(s), cp);
}

static void test_utf8_decode_gives_code_points_and_lengths(void **state)
{
    unsigned cp = 0;

    (void)state;
    assert_int_equal(dec("A", &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(dec("\xc3\xa0", &cp), 2); /* à */
    assert_int_equal(cp, 0xE0);
    assert_int_equal(dec("\xe1\xbb\x99", &cp), 3); /* ộ */
    assert_int_equal(cp, 0x1ED9);
    assert_int_equal(dec("\xf0\x9f\x8c\xb1", &cp), 4); /* U+1F331 */
    assert_int_equal(cp, 0x1F331);
    assert_int_equal(dec("\xf4\x8f\xbf\xbf", &cp), 4); /* U+10FFFF, the last */
    assert_int_equal(cp, 0x10FFFF);
}

static void test_utf8_decode_refuses_what_rfc_3629_forbids(void **state)
{
    (void)state;
    assert_int_equal(dec("\xc0\xaf", NULL), 0);         /* overlong '/' */
    assert_int_equal(dec("\xe0\x80\xaf", NULL), 0);     /* overlong, three bytes */
    assert_int_equal(dec("\xed\xa0\x80", NULL), 0);     /* surrogate U+D800 */
    assert_int_equal(dec("\xf4\x90\x80\x80", NULL), 0); /* above U+10FFFF */
    assert_int_equal(dec("\xf5\x80\x80\x80", NULL), 0);
    assert_int_equal(dec("\x80", NULL), 0);         /* a lone continuation byte */
    assert_int_equal(dec("\xe1\xbb", NULL), 0);     /* cut short */
    assert_int_equal(dec("\xe1\x41\x41", NULL), 0); /* not a continuation */
    assert_true(utf8_valid("H\xc3\xa0 N\xe1\xbb\x99i", 9));
    assert_false(utf8_valid("ok\xe1\xbb", 4));
    assert_int_equal(utf8_chars("H\xc3\xa0 N\xe1\xbb\x99i"), 6);
}

static void test_civil_days_round_trip_and_known_dates(void **state)
{
    long long y;
    int m, d;

    (void)state;
    assert_int_equal(civil_days(1970, 1, 1), 0);
    assert_int_equal(civil_days(2000, 3, 1), 11017);
    assert_int_equal(civil_days(1969, 12, 31), -1);
    assert_int_equal(civil_days(2024, 3, 1) - civil_days(2024, 2, 28), 2); /* leap day between */
    assert_int_equal(civil_days(2100, 3, 1) - civil_days(2100, 2, 28), 1); /* 2100 is not leap */
    assert_int_equal(civil_days_of_text("2026-12-06") - civil_days_of_text("2026-01-01"), 339);
    for (long long z = -800000; z <= 800000; z += 997) {
        civil_from_days(z, &y, &m, &d);
        assert_int_equal(civil_days(y, m, d), z);
    }
    assert_true(civil_is_leap(2000) && civil_is_leap(2024));
    assert_false(civil_is_leap(1900) || civil_is_leap(2026));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode_gives_code_points_and_lengths),
        cmocka_unit_test(test_utf8_decode_refuses_what_rfc_3629_forbids),
        cmocka_unit_test(test_civil_days_round_trip_and_known_dates),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
