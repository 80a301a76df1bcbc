/* test_media.c - unit tests for user-service/media/media.c: magic-byte sniffing, declared types,
 * categories, sha256, client file names and If-None-Match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "media.h"

static void test_sniff(void **state)
{
    static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10};
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13};
    static const uint8_t webp[] = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' '};
    static const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a'};
    static const uint8_t avi[] = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'A', 'V', 'I', ' '};

    (void)state;
    assert_string_equal(media_sniff(jpeg, sizeof jpeg), MEDIA_JPEG);
    assert_string_equal(media_sniff(jpeg, 3), MEDIA_JPEG);
    assert_null(media_sniff(jpeg, 2));
    assert_string_equal(media_sniff(png, sizeof png), MEDIA_PNG);
    assert_null(media_sniff(png, 7));
    assert_string_equal(media_sniff(webp, sizeof webp), MEDIA_WEBP);
    assert_string_equal(media_sniff(webp, 12), MEDIA_WEBP);
    assert_null(media_sniff(webp, 11));
    assert_null(media_sniff(gif, sizeof gif));
    assert_null(media_sniff(avi, sizeof avi));
    assert_null(media_sniff((const uint8_t *)"hello world, plain text", 23));
    assert_null(media_sniff(NULL, 0));
}

static void test_declared_types(void **state)
{
    (void)state;
    assert_string_equal(media_type_canonical("image/png"), MEDIA_PNG);
    assert_string_equal(media_type_canonical(" Image/JPEG; q=1"), MEDIA_JPEG);
    assert_string_equal(media_type_canonical("image/webp"), MEDIA_WEBP);
    assert_null(media_type_canonical("image/jpg"));
    assert_null(media_type_canonical("image/pngx"));
    assert_null(media_type_canonical("text/plain"));
    assert_null(media_type_canonical(""));
    assert_null(media_type_canonical(NULL));
}

static void test_categories(void **state)
{
    (void)state;
    assert_true(media_category_valid("avatar"));
    assert_true(media_category_valid("cover"));
    assert_true(media_category_valid("travel_photo"));
    assert_true(media_category_valid("review"));
    assert_false(media_category_valid("Avatar"));
    assert_false(media_category_valid(""));
    assert_false(media_category_valid(NULL));
    assert_true(media_category_public("avatar"));
    assert_true(media_category_public("cover"));
    assert_false(media_category_public("travel_photo"));
    assert_false(media_category_public("review"));
}

static void test_sha256(void **state)
{
    char hex[MEDIA_SHA256_HEX];

    (void)state;
    assert_true(sodium_init() >= 0);
    media_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    media_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_filename(void **state)
{
    char out[MEDIA_FILENAME_MAX], in[2000];

    (void)state;
    media_filename("cat.png", out);
    assert_string_equal(out, "cat.png");
    media_filename("../../etc/passwd", out);
    assert_string_equal(out, "passwd");
    media_filename("C:\\Users\\me\\ảnh đẹp.jpg", out);
    assert_string_equal(out, "ảnh đẹp.jpg");
    media_filename("  a\tb\x01\x7f.png  ", out);
    assert_string_equal(out, "ab.png");
    media_filename("dir/", out);
    assert_string_equal(out, MEDIA_DEFAULT_FILENAME);
    media_filename("..", out);
    assert_string_equal(out, MEDIA_DEFAULT_FILENAME);
    media_filename("\xff\xfe.png", out);
    assert_string_equal(out, MEDIA_DEFAULT_FILENAME);
    media_filename(NULL, out);
    assert_string_equal(out, MEDIA_DEFAULT_FILENAME);
    /* 400 three-byte code points are cut to 255 whole code points. */
    in[0] = '\0';
    for (int i = 0; i < 400; i++)
        strcat(in, "ả");
    media_filename(in, out);
    assert_int_equal(strlen(out), 255 * strlen("ả"));
}

static void test_etag_match(void **state)
{
    const char *sha = "ab12";

    (void)state;
    assert_true(media_etag_match("\"ab12\"", sha));
    assert_true(media_etag_match("W/\"ab12\"", sha));
    assert_true(media_etag_match("\"x\", \"ab12\"", sha));
    assert_true(media_etag_match("*", sha));
    assert_false(media_etag_match("\"ab1\"", sha));
    assert_false(media_etag_match("\"ab123\"", sha));
    assert_false(media_etag_match("ab12", sha));
    assert_false(media_etag_match("\"ab12", sha));
    assert_false(media_etag_match("", sha));
    assert_false(media_etag_match(NULL, sha));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),  cmocka_unit_test(test_declared_types), cmocka_unit_test(test_categories),
        cmocka_unit_test(test_sha256), cmocka_unit_test(test_filename),       cmocka_unit_test(test_etag_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
