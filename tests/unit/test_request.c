/* Unit tests: query parameters, URL decoding and request ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "request.h"

static void test_query_finds_and_decodes(void **state)
{
    struct request rq;
    char out[32];
    (void)state;
    memset(&rq, 0, sizeof rq);
    rq.query = (char *)"q=ha+noi&limit=5&x=%C3%A0&empty=&flag";
    assert_int_equal(request_query(&rq, "q", out, sizeof out), 1);
    assert_string_equal(out, "ha noi");
    assert_int_equal(request_query(&rq, "limit", out, sizeof out), 1);
    assert_string_equal(out, "5");
    assert_int_equal(request_query(&rq, "x", out, sizeof out), 1);
    assert_string_equal(out, "\xc3\xa0");
    assert_int_equal(request_query(&rq, "empty", out, sizeof out), 1);
    assert_string_equal(out, "");
    assert_int_equal(request_query(&rq, "flag", out, sizeof out), 1);
    assert_int_equal(request_query(&rq, "lim", out, sizeof out), 0);
    assert_int_equal(request_query(&rq, "missing", out, sizeof out), 0);
}

static void test_query_rejects_nul_bad_escapes_and_overflow(void **state)
{
    struct request rq;
    char out[4];
    (void)state;
    memset(&rq, 0, sizeof rq);
    rq.query = (char *)"a=%00&b=%zz&c=%4&d=toolong";
    assert_int_equal(request_query(&rq, "a", out, sizeof out), -1);
    assert_int_equal(request_query(&rq, "b", out, sizeof out), -1);
    assert_int_equal(request_query(&rq, "c", out, sizeof out), -1);
    assert_int_equal(request_query(&rq, "d", out, sizeof out), -1);
}

static void test_no_query_means_absent(void **state)
{
    struct request rq;
    char out[8];
    (void)state;
    memset(&rq, 0, sizeof rq);
    assert_int_equal(request_query(&rq, "a", out, sizeof out), 0);
}

static void test_request_ids(void **state)
{
    char id[REQUEST_ID_MAX + 1];
    char longid[REQUEST_ID_MAX + 2];
    (void)state;
    assert_true(request_id_valid("abc-123_x.y:z"));
    assert_false(request_id_valid(""));
    assert_false(request_id_valid("has space"));
    assert_false(request_id_valid("new\nline"));
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_false(request_id_valid(longid));
    request_id_generate(id);
    assert_int_equal(strlen(id), 32);
    assert_true(request_id_valid(id));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_finds_and_decodes),
        cmocka_unit_test(test_query_rejects_nul_bad_escapes_and_overflow),
        cmocka_unit_test(test_no_query_means_absent),
        cmocka_unit_test(test_request_ids),
    };
    return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
