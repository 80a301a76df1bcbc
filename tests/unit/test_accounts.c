/* test_accounts.c - unit tests for user-service/accounts/accounts.c: email normalization and
 * syntax, username rules, password length rules and the checked string getter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "common_passwords.h"

static char out[ACCOUNTS_EMAIL_MAX + 1];

static void assert_email_valid(const char *in, const char *want)
{
    const char *why = accounts_email_normalize(in, out, sizeof out);

    if (why)
        fail_msg("'%s' refused: %s", in, why);
    assert_string_equal(out, want);
}

static void assert_email_invalid(const char *in)
{
    if (accounts_email_normalize(in, out, sizeof out) == NULL)
        fail_msg("'%s' accepted as '%s'", in, out);
}

/* s repeated to n characters, in a static buffer. */
static const char *repeat(char c, size_t n)
{
    static char buf[256];

    assert_true(n < sizeof buf);
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void test_email_is_trimmed_and_lower_cased(void **state)
{
    (void)state;
    assert_email_valid("  Alice.Smith@Example.COM \t\n", "alice.smith@example.com");
    assert_email_valid("bob+tag@mail.example.org", "bob+tag@mail.example.org");
    assert_email_valid("o'neil_x-1@sub-domain.example.vn", "o'neil_x-1@sub-domain.example.vn");
}

static void test_email_needs_exactly_one_at(void **state)
{
    (void)state;
    assert_email_invalid("alice.example.com");
    assert_email_invalid("alice@@example.com");
    assert_email_invalid("a@b@example.com");
}

static void test_email_needs_a_local_part_of_at_most_64(void **state)
{
    char buf[1024];

    (void)state;
    assert_email_invalid("@example.com");
    snprintf(buf, sizeof buf, "%s@example.com", repeat('a', 64));
    assert_email_valid(buf, buf);
    snprintf(buf, sizeof buf, "%s@example.com", repeat('a', 65));
    assert_email_invalid(buf);
}

static void test_email_local_part_dots_are_checked(void **state)
{
    (void)state;
    assert_email_invalid(".alice@example.com");
    assert_email_invalid("alice.@example.com");
    assert_email_invalid("al..ice@example.com");
    assert_email_invalid("\"quoted\"@example.com");
    assert_email_invalid("a(b)@example.com");
}

static void test_email_domain_needs_a_dot_and_sane_labels(void **state)
{
    (void)state;
    assert_email_invalid("alice@");
    assert_email_invalid("alice@localhost");
    assert_email_invalid("alice@.example.com");
    assert_email_invalid("alice@example..com");
    assert_email_invalid("alice@example.com.");
    assert_email_invalid("alice@-example.com");
    assert_email_invalid("alice@example-.com");
    assert_email_invalid("alice@exa_mple.com");
    assert_email_invalid("alice@[127.0.0.1]");
}

static void test_email_refuses_spaces_controls_and_non_ascii(void **state)
{
    (void)state;
    assert_email_invalid("ali ce@example.com");
    assert_email_invalid("alice@exam ple.com");
    assert_email_invalid("alice\x01@example.com");
    assert_email_invalid("alice\x7f@example.com");
    assert_email_invalid("al\xc3\xaf"
                         "ce@example.com");
    assert_email_invalid("");
    assert_email_invalid("   ");
}

static void test_email_is_at_most_254_characters(void **state)
{
    /* local (64) + '@' + 63 + '.' + 63 + '.' + 61 = 254 */
    char buf[300] = "";

    (void)state;
    strcat(buf, repeat('x', 64));
    strcat(buf, "@");
    strcat(buf, repeat('a', 63));
    strcat(buf, ".");
    strcat(buf, repeat('b', 63));
    strcat(buf, ".");
    strcat(buf, repeat('d', 61));
    assert_int_equal(strlen(buf), 254);
    assert_email_valid(buf, buf);
    strcat(buf, "d");
    assert_email_invalid(buf);
}

static void test_email_domain_label_is_at_most_63(void **state)
{
    char buf[1024];

    (void)state;
    snprintf(buf, sizeof buf, "a@%s.com", repeat('l', 64));
    assert_email_invalid(buf);
}

static void test_email_small_output_buffer_is_refused_not_overrun(void **state)
{
    char small[8];

    (void)state;
    assert_non_null(accounts_email_normalize("alice@example.com", small, sizeof small));
}

static void test_username_accepts_the_allowed_alphabet(void **state)
{
    (void)state;
    assert_null(accounts_username_check("abc"));
    assert_null(accounts_username_check("Alice_B.c-9"));
    assert_null(accounts_username_check(repeat('z', 50)));
}

static void test_username_length_is_3_to_50(void **state)
{
    (void)state;
    assert_non_null(accounts_username_check(""));
    assert_non_null(accounts_username_check("ab"));
    assert_non_null(accounts_username_check(repeat('z', 51)));
}

static void test_username_refuses_other_characters(void **state)
{
    (void)state;
    assert_non_null(accounts_username_check("ali ce"));
    assert_non_null(accounts_username_check("alice@x"));
    assert_non_null(accounts_username_check("al/ice"));
    assert_non_null(accounts_username_check("al\xc3\xaf"
                                            "ce"));
    assert_non_null(accounts_username_check("alice%"));
}

static void test_password_length_is_8_to_128_code_points(void **state)
{
    (void)state;
    assert_non_null(accounts_password_check(""));
    assert_non_null(accounts_password_check("1234567"));
    assert_null(accounts_password_check("12345679"));
    assert_null(accounts_password_check(repeat('p', 128)));
    assert_non_null(accounts_password_check(repeat('p', 129)));
}

static void test_password_counts_code_points_not_bytes(void **state)
{
    /* 8 x U+00E9 is 16 bytes but 8 characters; 7 x U+1F600 is 28 bytes but 7. */
    static const char eight_e_acute[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    static const char seven_emoji[] = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
                                      "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80";
    char many[128 * 2 + 1];

    (void)state;
    assert_null(accounts_password_check(eight_e_acute));
    assert_non_null(accounts_password_check(seven_emoji));
    /* 128 two-byte characters (256 bytes) are still 128 characters */
    for (int i = 0; i < 128; i++)
        memcpy(many + 2 * i, "\xc3\xa9", 2);
    many[256] = '\0';
    assert_null(accounts_password_check(many));
}

static void test_common_passwords_are_refused_in_any_case(void **state)
{
    (void)state;
    assert_non_null(accounts_password_check("12345678"));
    assert_non_null(accounts_password_check("Password123"));
    assert_non_null(accounts_password_check("MATKHAU123"));
    assert_non_null(accounts_password_check("iloveyou"));
    /* near misses are not in the list */
    assert_null(accounts_password_check("password1234x"));
    assert_null(accounts_password_check("correct horse battery"));
    assert_int_equal(accounts_password_is_common(repeat('a', 200)), 0);
}

static void test_common_password_list_is_sorted_lower_case_and_searchable(void **state)
{
    (void)state;
    assert_true(common_passwords_count > 50);
    for (size_t i = 0; i < common_passwords_count; i++) {
        const char *w = common_passwords[i];
        assert_true(strlen(w) >= ACCOUNTS_PASSWORD_MIN && strlen(w) <= COMMON_PASSWORD_MAX);
        for (const char *c = w; *c; c++)
            assert_false(*c >= 'A' && *c <= 'Z');
        if (i)
            assert_true(strcmp(common_passwords[i - 1], w) < 0);
        assert_true(accounts_password_is_common(w));
    }
}

static void test_hashing_below_owasp_minimum_is_named(void **state)
{
    (void)state;
    assert_null(accounts_hashing_weakness(2, 19456));
    assert_null(accounts_hashing_weakness(1, 47104));
    assert_null(accounts_hashing_weakness(3, 12288));
    assert_null(accounts_hashing_weakness(9, 7168));
    assert_non_null(accounts_hashing_weakness(2, 19455));
    assert_non_null(accounts_hashing_weakness(1, 19456));
    assert_non_null(accounts_hashing_weakness(5, 7167));
    assert_non_null(accounts_hashing_weakness(1, 8));
    assert_non_null(accounts_hashing_weakness(0, 1 << 20));
}

static void test_password_surrounding_spaces_count(void **state)
{
    (void)state;
    assert_null(accounts_password_check("   pw   "));
    assert_null(accounts_password_check("        "));
}

static void test_get_str_reports_rule_and_type_errors_by_field(void **state)
{
    struct field_errors fe = {0};
    cJSON *o = cJSON_Parse("{\"username\":\" ab \",\"password\":\"  long enough \",\"n\":5}");

    (void)state;
    assert_non_null(o);
    assert_null(accounts_get_str(o, "username", JF_REQUIRED, accounts_username_check, &fe));
    assert_string_equal(accounts_get_str(o, "password", JF_NOTRIM, accounts_password_check, &fe), "  long enough ");
    assert_null(accounts_get_str(o, "n", 0, accounts_username_check, &fe));
    assert_null(accounts_get_str(o, "missing", 0, accounts_username_check, &fe));
    assert_null(accounts_get_str(o, "absent", JF_REQUIRED, accounts_username_check, &fe));
    assert_int_equal(fe.n, 3);
    assert_string_equal(fe.e[0].field, "username");
    assert_string_equal(fe.e[1].field, "n");
    assert_string_equal(fe.e[2].field, "absent");
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_is_trimmed_and_lower_cased),
        cmocka_unit_test(test_email_needs_exactly_one_at),
        cmocka_unit_test(test_email_needs_a_local_part_of_at_most_64),
        cmocka_unit_test(test_email_local_part_dots_are_checked),
        cmocka_unit_test(test_email_domain_needs_a_dot_and_sane_labels),
        cmocka_unit_test(test_email_refuses_spaces_controls_and_non_ascii),
        cmocka_unit_test(test_email_is_at_most_254_characters),
        cmocka_unit_test(test_email_domain_label_is_at_most_63),
        cmocka_unit_test(test_email_small_output_buffer_is_refused_not_overrun),
        cmocka_unit_test(test_username_accepts_the_allowed_alphabet),
        cmocka_unit_test(test_username_length_is_3_to_50),
        cmocka_unit_test(test_username_refuses_other_characters),
        cmocka_unit_test(test_password_length_is_8_to_128_code_points),
        cmocka_unit_test(test_password_counts_code_points_not_bytes),
        cmocka_unit_test(test_password_surrounding_spaces_count),
        cmocka_unit_test(test_common_passwords_are_refused_in_any_case),
        cmocka_unit_test(test_common_password_list_is_sorted_lower_case_and_searchable),
        cmocka_unit_test(test_hashing_below_owasp_minimum_is_named),
        cmocka_unit_test(test_get_str_reports_rule_and_type_errors_by_field),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
