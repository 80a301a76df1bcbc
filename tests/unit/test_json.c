/* Unit tests: request bodies are read strictly and getters record field errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "utf8.h"

static struct request make_request(const char *content_type, const char *body, size_t len)
{
    static char ctname[] = "Content-Type";
    struct request rq;
    memset(&rq, 0, sizeof rq);
    if (content_type) {
        rq.headers[0].name = ctname;
        rq.headers[0].value = (char *)content_type;
        rq.nheaders = 1;
    }
    rq.body = (char *)body;
    rq.body_len = len;
    return rq;
}

static int body_status(const char *ct, const char *body, size_t len)
{
    struct request rq = make_request(ct, body, len);
    struct reply rp = {0};
    cJSON *j = json_body(&rq, &rp, 64);
    int status = j ? 0 : rp.status;
    if (j)
        assert_string_not_equal(rp.content_type ? rp.content_type : "", CT_PROBLEM);
    assert_ptr_equal(j, rq.json); /* the request owns the tree; handlers never free it */
    cJSON_Delete(rq.json);
    reply_free(&rp);
    return status;
}

static void test_body_accepts_a_json_object(void **state)
{
    (void)state;
    assert_int_equal(body_status("application/json", "{\"a\":1}", 7), 0);
    assert_int_equal(body_status("Application/JSON; charset=utf-8", "{}", 2), 0);
}

static void test_body_rejections_have_the_right_status(void **state)
{
    static const char big[] = "{\"a\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}";
    (void)state;
    assert_int_equal(body_status(NULL, "{}", 2), 415);
    assert_int_equal(body_status("text/plain", "{}", 2), 415);
    assert_int_equal(body_status("application/jsonx", "{}", 2), 415);
    assert_int_equal(body_status("application/json", big, strlen(big)), 413);
    assert_int_equal(body_status("application/json", "", 0), 400);
    assert_int_equal(body_status("application/json", "{\"a\":", 5), 400);
    assert_int_equal(body_status("application/json", "[1,2]", 5), 400);
    assert_int_equal(body_status("application/json", "{\"a\":NaN}", 9), 400);
    assert_int_equal(body_status("application/json", "{\"a\":\"\xff\"}", 8), 400);
    assert_int_equal(body_status("application/json", "{\"a\":\"x\\u0000y\"}", 16), 400);
    assert_int_equal(body_status("application/json", "{} trailing", 11), 400);
    /* RFC 8259: control characters inside strings must be escaped; outside them they are white space */
    assert_int_equal(body_status("application/json", "{\"a\":\"x\ny\"}", 11), 400);
    assert_int_equal(body_status("application/json", "{\"a\":\"\t\"}", 9), 400);
    assert_int_equal(body_status("application/json", "{\"a\":\"\x1f\"}", 9), 400);
    assert_int_equal(body_status("application/json", "{\n\t\"a\":\"x\\ny\"\r\n}", 16), 0);
}

static void test_nul_escape_detection_ignores_escaped_backslash(void **state)
{
    /* "\\u0000" is a backslash followed by text, not a NUL */
    static const char ok[] = "{\"a\":\"\\\\u0000\"}";
    (void)state;
    assert_int_equal(body_status("application/json", ok, strlen(ok)), 0);
}

static void test_utf8_validation(void **state)
{
    (void)state;
    assert_true(utf8_valid("H\xc3\xa0 N\xe1\xbb\x99i", 9));
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xe1\xbb", 2));         /* truncated */
    assert_false(utf8_valid("\xf5\x80\x80\x80", 4)); /* beyond U+10FFFF */
    assert_int_equal(utf8_chars("H\xc3\xa0 N\xe1\xbb\x99i"), 6);
}

static void test_string_getter_trims_and_counts_characters(void **state)
{
    cJSON *o = cJSON_Parse("{\"name\":\"  H\xc3\xa0 N\xe1\xbb\x99i  \",\"blank\":\"   \",\"n\":5}");
    struct field_errors fe = {0};
    const char *s = NULL;
    (void)state;
    assert_int_equal(json_get_str(o, "name", JF_REQUIRED, 1, 6, &s, &fe), JSON_OK);
    assert_string_equal(s, "H\xc3\xa0 N\xe1\xbb\x99i");
    assert_int_equal(json_get_str(o, "blank", JF_REQUIRED, 1, 10, &s, &fe), JSON_BAD);
    assert_int_equal(json_get_str(o, "n", 0, 1, 10, &s, &fe), JSON_BAD);
    assert_int_equal(json_get_str(o, "absent", 0, 1, 10, &s, &fe), JSON_ABSENT);
    assert_int_equal(json_get_str(o, "missing", JF_REQUIRED, 1, 10, &s, &fe), JSON_BAD);
    assert_int_equal(fe.n, 3);
    assert_string_equal(fe.e[0].field, "blank");
    assert_string_equal(fe.e[1].field, "n");
    assert_string_equal(fe.e[2].field, "missing");
    cJSON_Delete(o);
}

static void test_int_getter_rejects_fractions_and_huge_values(void **state)
{
    cJSON *o = cJSON_Parse("{\"a\":3,\"b\":1.5,\"c\":1e309,\"d\":\"3\",\"e\":-1,\"f\":9007199254740993}");
    struct field_errors fe = {0};
    long long v = 0;
    (void)state;
    assert_int_equal(json_get_int(o, "a", JF_REQUIRED, 1, 5, &v, &fe), JSON_OK);
    assert_int_equal(v, 3);
    assert_int_equal(json_get_int(o, "b", 0, 0, 5, &v, &fe), JSON_BAD);
    assert_int_equal(json_get_int(o, "c", 0, 0, 5, &v, &fe), JSON_BAD);
    assert_int_equal(json_get_int(o, "d", 0, 0, 5, &v, &fe), JSON_BAD);
    assert_int_equal(json_get_int(o, "e", 0, 0, 5, &v, &fe), JSON_BAD);
    assert_int_equal(json_get_int(o, "f", 0, 0, 9223372036854775807LL, &v, &fe), JSON_BAD);
    assert_int_equal(fe.n, 5);
    cJSON_Delete(o);
}

static void test_null_handling(void **state)
{
    cJSON *o = cJSON_Parse("{\"a\":null}");
    struct field_errors fe = {0};
    double d;
    (void)state;
    assert_int_equal(json_get_num(o, "a", JF_NULLABLE, 0, 1, &d, &fe), JSON_NULL);
    assert_int_equal(fe.n, 0);
    assert_int_equal(json_get_num(o, "a", 0, 0, 1, &d, &fe), JSON_BAD);
    assert_int_equal(fe.n, 1);
    cJSON_Delete(o);
}

static void test_enum_date_bool_and_ids(void **state)
{
    static const char *const kinds[] = {"car", "bus", NULL};
    cJSON *o = cJSON_Parse("{\"k\":\"bus\",\"bad\":\"Bus\",\"d\":\"2024-02-29\",\"d2\":\"2023-02-29\","
                           "\"b\":true,\"ids\":[3,1,3],\"badids\":[1,0],\"many\":[1,2,3,4]}");
    struct field_errors fe = {0};
    int i = -1, b = -1;
    char date[JSON_DATE_LEN + 1];
    long long *ids = NULL;
    size_t n = 0;
    (void)state;
    assert_int_equal(json_get_enum(o, "k", JF_REQUIRED, kinds, &i, &fe), JSON_OK);
    assert_int_equal(i, 1);
    assert_int_equal(json_get_enum(o, "bad", JF_REQUIRED, kinds, &i, &fe), JSON_BAD);
    assert_int_equal(json_get_date(o, "d", JF_REQUIRED, date, &fe), JSON_OK);
    assert_string_equal(date, "2024-02-29");
    assert_int_equal(json_get_date(o, "d2", JF_REQUIRED, date, &fe), JSON_BAD);
    assert_int_equal(json_get_bool(o, "b", JF_REQUIRED, &b, &fe), JSON_OK);
    assert_int_equal(b, 1);
    assert_int_equal(json_get_ids(o, "ids", JF_REQUIRED, 1, 3, &ids, &n, &fe), JSON_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 3);
    free(ids);
    assert_int_equal(json_get_ids(o, "badids", JF_REQUIRED, 1, 3, &ids, &n, &fe), JSON_BAD);
    assert_int_equal(json_get_ids(o, "many", JF_REQUIRED, 1, 3, &ids, &n, &fe), JSON_BAD);
    assert_int_equal(fe.n, 4);
    cJSON_Delete(o);
}

static void test_date_validation(void **state)
{
    (void)state;
    assert_true(json_date_valid("2026-11-25"));
    assert_true(json_date_valid("2000-02-29"));
    assert_false(json_date_valid("1900-02-29"));
    assert_false(json_date_valid("2026-13-01"));
    assert_false(json_date_valid("2026-04-31"));
    assert_false(json_date_valid("2026-1-01"));
    assert_false(json_date_valid("20261125"));
    assert_false(json_date_valid("2026-11-25T00:00:00Z"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_accepts_a_json_object),
        cmocka_unit_test(test_body_rejections_have_the_right_status),
        cmocka_unit_test(test_nul_escape_detection_ignores_escaped_backslash),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_string_getter_trims_and_counts_characters),
        cmocka_unit_test(test_int_getter_rejects_fractions_and_huge_values),
        cmocka_unit_test(test_null_handling),
        cmocka_unit_test(test_enum_date_bool_and_ids),
        cmocka_unit_test(test_date_validation),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
