/* test_multipart.c - unit tests for user-service/media/multipart.c: boundaries from Content-Type,
 * and the bounded, binary-safe multipart/form-data parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

#define U8(s) ((const uint8_t *)(s))

static int find(const char *body, size_t len, const char *b, struct multipart_part *p)
{
    return multipart_find_file(U8(body), len, b, "file", p);
}

static void test_boundary_plain_and_quoted(void **state)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];

    (void)state;
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc", b, sizeof b), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(multipart_boundary("Multipart/Form-Data;BOUNDARY=\"a b;c\"", b, sizeof b), 0);
    assert_string_equal(b, "a b;c");
    assert_int_equal(multipart_boundary("multipart/form-data; charset=utf-8; Boundary=x-1 ", b, sizeof b), 0);
    assert_string_equal(b, "x-1");
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"q\\\"x\"", b, sizeof b),
                     -1); /* '"' not a bchar */
}

static void test_boundary_rejects(void **state)
{
    char b[MULTIPART_BOUNDARY_MAX + 1], longb[200];

    (void)state;
    assert_int_equal(multipart_boundary("multipart/form-data", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"\"", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/mixed; boundary=abc", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("image/png", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"abc", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"ab \"", b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=a\x01b", b, sizeof b), -1);
    assert_int_equal(multipart_boundary(NULL, b, sizeof b), -1);
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%070d", 7);
    assert_int_equal(multipart_boundary(longb, b, sizeof b), 0);
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%071d", 7);
    assert_int_equal(multipart_boundary(longb, b, sizeof b), -1);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc", b, 10), -1);
}

static void test_normal_upload(void **state)
{
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\n"
                               "Content-Type: image/png\r\n"
                               "\r\n"
                               "\x89PNG\r\n\x1a\n\0\0binary\r\n"
                               "--XyZ--\r\n";
    struct multipart_part p;

    (void)state;
    assert_int_equal(find(body, sizeof body - 1, "XyZ", &p), 1);
    assert_int_equal(p.len, 16);
    assert_memory_equal(p.data, "\x89PNG\r\n\x1a\n\0\0binary", 16);
    assert_string_equal(p.filename, "cat.png");
    assert_true(p.has_filename);
    assert_string_equal(p.content_type, "image/png");
    assert_string_equal(p.name, "file");
}

static void test_preamble_padding_epilogue_quoted(void **state)
{
    static const char body[] = "this is a preamble\r\n"
                               "--a b;c \t\r\n"
                               "content-disposition: form-data; filename=\"x \\\"y\\\".jpg\"; name=file\r\n"
                               "\r\n"
                               "DATA\r\n"
                               "--a b;c--\r\nepilogue --a b;c garbage";
    struct multipart_part p;

    (void)state;
    assert_int_equal(find(body, sizeof body - 1, "a b;c", &p), 1);
    assert_int_equal(p.len, 4);
    assert_memory_equal(p.data, "DATA", 4);
    assert_string_equal(p.filename, "x \"y\".jpg");
    assert_string_equal(p.content_type, "");
}

static void test_two_parts_file_second(void **state)
{
    static const char body[] = "--b\r\n"
                               "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
                               "hello\r\n"
                               "--b\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
                               "Content-Type: image/jpeg\r\n\r\n"
                               "\xff\xd8\xff"
                               "\r\n--b--";
    struct multipart_part p;

    (void)state;
    assert_int_equal(find(body, sizeof body - 1, "b", &p), 1);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, "\xff\xd8\xff", 3);
    assert_string_equal(p.content_type, "image/jpeg");
    /* No part called "other": well formed, not found. */
    assert_int_equal(multipart_find_file(U8(body), sizeof body - 1, "b", "other", &p), 0);
}

static void test_missing_close_is_malformed(void **state)
{
    static const char no_close[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA\r\n--b\r\n";
    static const char no_crlf[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA--b--";
    static const char cut[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA";
    static const char no_headers_end[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n";
    struct multipart_part p;

    (void)state;
    assert_int_equal(find(no_close, sizeof no_close - 1, "b", &p), -1);
    assert_int_equal(find(no_crlf, sizeof no_crlf - 1, "b", &p), -1);
    assert_int_equal(find(cut, sizeof cut - 1, "b", &p), -1);
    assert_int_equal(find(no_headers_end, sizeof no_headers_end - 1, "b", &p), -1);
}

static void test_boundary_inside_content_without_crlf(void **state)
{
    static const char body[] = "--bnd\r\n"
                               "Content-Disposition: form-data; name=\"file\"\r\n\r\n"
                               "x--bnd y\n--bnd z--bnd--"
                               "\r\n--bnd--\r\n";
    struct multipart_part p;

    (void)state;
    assert_int_equal(find(body, sizeof body - 1, "bnd", &p), 1);
    assert_int_equal(p.len, strlen("x--bnd y\n--bnd z--bnd--"));
    assert_memory_equal(p.data, "x--bnd y\n--bnd z--bnd--", p.len);
}

static void test_empty_file_and_part_without_headers(void **state)
{
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--b--";
    static const char bare[] = "--b\r\n\r\nanon\r\n--b--";
    struct multipart_part p;

    (void)state;
    assert_int_equal(find(body, sizeof body - 1, "b", &p), 1);
    assert_int_equal(p.len, 0);
    assert_true(p.has_filename);
    assert_string_equal(p.filename, "");
    assert_int_equal(find(bare, sizeof bare - 1, "b", &p), 0);
    assert_int_equal(multipart_parse(U8(bare), sizeof bare - 1, "b", NULL, NULL), 0);
}

static void test_oversize_headers(void **state)
{
    size_t cap = MULTIPART_FILENAME_MAX + MULTIPART_HEADERS_MAX + 200, n = 0;
    char *body = malloc(cap);
    struct multipart_part p;

    (void)state;
    assert_non_null(body);
    n += (size_t)snprintf(body + n, cap - n, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\nX-Pad: ");
    memset(body + n, 'a', MULTIPART_HEADERS_MAX);
    n += MULTIPART_HEADERS_MAX;
    n += (size_t)snprintf(body + n, cap - n, "\r\n\r\nDATA\r\n--b--");
    assert_int_equal(find(body, n, "b", &p), -1);
    /* A filename longer than its buffer is refused, not truncated silently. */
    n = (size_t)snprintf(body, cap, "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    memset(body + n, 'f', MULTIPART_FILENAME_MAX);
    n += MULTIPART_FILENAME_MAX;
    n += (size_t)snprintf(body + n, cap - n, "\"\r\n\r\nDATA\r\n--b--");
    assert_int_equal(find(body, n, "b", &p), -1);
    free(body);
}

static void test_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "--b",
        "--bx\r\n\r\nA\r\n--b--",
        "--b\r\nno colon here\r\n\r\nA\r\n--b--",
        "--b\r\n: empty name\r\n\r\nA\r\n--b--",
        "--b\r\n folded: x\r\n\r\nA\r\n--b--",
        "--b\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nA\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"file\r\n\r\nA\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name\r\n\r\nA\r\n--b--",
    };
    struct multipart_part p;
    static const uint8_t nul_hdr[] = "--b\r\nX: a\0b\r\n\r\nA\r\n--b--";

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(find(bad[i], strlen(bad[i]), "b", &p), -1);
    assert_int_equal(multipart_find_file(nul_hdr, sizeof nul_hdr - 1, "b", "file", &p), -1);
    assert_int_equal(multipart_parse(NULL, 0, "b", NULL, NULL), -1);
    assert_int_equal(multipart_parse(U8("--b--"), 5, "", NULL, NULL), -1);
    assert_int_equal(multipart_parse(U8("--b--"), 5, "b", NULL, NULL), 0);
}

/* Every prefix of a valid body parses without reading past its end (ASan checks the reads
 * on an exactly-sized heap copy) and, being cut, is never well formed before the close. */
static void test_every_prefix_is_bounded(void **state)
{
    static const char body[] = "pre\r\n--b \r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                               "Content-Type: image/png\r\n\r\nDATA\r\n--b--";
    struct multipart_part p;

    (void)state;
    for (size_t n = 1; n < sizeof body - 1; n++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, body, n);
        assert_int_equal(multipart_find_file(copy, n, "b", "file", &p), -1);
        free(copy);
    }
    assert_int_equal(find(body, sizeof body - 1, "b", &p), 1);
}

static int stop_cb(const struct multipart_part *part, void *arg)
{
    (void)part;
    ++*(int *)arg;
    return 7;
}

static void test_callback_can_stop(void **state)
{
    static const char body[] = "--b\r\n\r\nA\r\n--b\r\n\r\nB\r\n--b--";
    int calls = 0;

    (void)state;
    assert_int_equal(multipart_parse(U8(body), sizeof body - 1, "b", stop_cb, &calls), 7);
    assert_int_equal(calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary_plain_and_quoted),
        cmocka_unit_test(test_boundary_rejects),
        cmocka_unit_test(test_normal_upload),
        cmocka_unit_test(test_preamble_padding_epilogue_quoted),
        cmocka_unit_test(test_two_parts_file_second),
        cmocka_unit_test(test_missing_close_is_malformed),
        cmocka_unit_test(test_boundary_inside_content_without_crlf),
        cmocka_unit_test(test_empty_file_and_part_without_headers),
        cmocka_unit_test(test_oversize_headers),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_every_prefix_is_bounded),
        cmocka_unit_test(test_callback_can_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
