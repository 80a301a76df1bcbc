/* Unit tests: problem answers have the RFC 9457 shape, with field errors on 422. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <cmocka.h>

#include "problem.h"

static cJSON *body_of(const struct reply *rp)
{
    cJSON *j = cJSON_ParseWithLength(rp->body, rp->body_len);
    assert_non_null(j);
    return j;
}

static void test_problem_has_type_title_status_detail(void **state)
{
    struct reply rp = {0};
    cJSON *j;
    (void)state;
    problem(&rp, 404, "No destination has id %d.", 7);
    assert_int_equal(rp.status, 404);
    assert_string_equal(rp.content_type, CT_PROBLEM);
    j = body_of(&rp);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "urn:ecomovex:problem:not-found");
    assert_string_equal(cJSON_GetObjectItem(j, "title")->valuestring, "Not Found");
    assert_int_equal(cJSON_GetObjectItem(j, "status")->valueint, 404);
    assert_string_equal(cJSON_GetObjectItem(j, "detail")->valuestring, "No destination has id 7.");
    assert_null(cJSON_GetObjectItem(j, "errors"));
    cJSON_Delete(j);
    reply_free(&rp);
}

/* One stable type per kind of error: a field-by-field 422 differs from a broken rule. */
static void test_each_kind_of_error_has_its_own_type(void **state)
{
    struct reply rp = {0};
    struct field_errors fe = {0};
    cJSON *j;
    (void)state;
    assert_string_equal(problem_type_slug(429, 0), "rate-limited");
    assert_string_equal(problem_type_slug(503, 0), "unavailable");
    assert_string_equal(problem_type_slug(422, 0), "rule-violated");
    assert_string_equal(problem_type_slug(422, 1), "invalid-fields");
    assert_string_equal(problem_type_slug(418, 0), "malformed-request");
    assert_string_equal(problem_type_slug(599, 0), "internal");
    field_error(&fe, "name", "must not be empty");
    problem_fields(&rp, &fe);
    j = body_of(&rp);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "urn:ecomovex:problem:invalid-fields");
    cJSON_Delete(j);
    reply_oom(&rp);
    j = body_of(&rp);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "urn:ecomovex:problem:internal");
    cJSON_Delete(j);
    reply_free(&rp);
}

static void test_detail_is_escaped(void **state)
{
    struct reply rp = {0};
    cJSON *j;
    (void)state;
    problem(&rp, 400, "quote \" backslash \\ newline \n bad \xff byte");
    j = body_of(&rp);
    assert_string_equal(cJSON_GetObjectItem(j, "detail")->valuestring,
                        "quote \" backslash \\ newline \n bad \xef\xbf\xbd byte");
    cJSON_Delete(j);
    reply_free(&rp);
}

static void test_fields_give_422_with_one_entry_per_field(void **state)
{
    struct reply rp = {0};
    struct field_errors fe = {0};
    cJSON *j, *errs;
    (void)state;
    field_error(&fe, "name", "must not be empty");
    field_error(&fe, "latitude", "must be from %d to %d", -90, 90);
    field_error(&fe, "name", "a second complaint is dropped");
    problem_fields(&rp, &fe);
    assert_int_equal(rp.status, 422);
    j = body_of(&rp);
    errs = cJSON_GetObjectItem(j, "errors");
    assert_int_equal(cJSON_GetArraySize(errs), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errs, 0), "field")->valuestring, "name");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errs, 1), "message")->valuestring,
                        "must be from -90 to 90");
    cJSON_Delete(j);
    reply_free(&rp);
}

static void test_unavailable_sets_retry_after(void **state)
{
    struct reply rp = {0};
    (void)state;
    problem_unavailable(&rp, 3, "The database");
    assert_int_equal(rp.status, 503);
    assert_string_equal(reply_get_header(&rp, "Retry-After"), "3");
    reply_free(&rp);
}

static void test_reply_header_replaces_same_name(void **state)
{
    struct reply rp = {0};
    (void)state;
    assert_int_equal(reply_header(&rp, "ETag", "\"a\""), 0);
    assert_int_equal(reply_header(&rp, "etag", "\"b\""), 0);
    assert_int_equal(rp.nheaders, 1);
    assert_string_equal(reply_get_header(&rp, "ETag"), "\"b\"");
    reply_free(&rp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_has_type_title_status_detail),
        cmocka_unit_test(test_each_kind_of_error_has_its_own_type),
        cmocka_unit_test(test_detail_is_escaped),
        cmocka_unit_test(test_fields_give_422_with_one_entry_per_field),
        cmocka_unit_test(test_unavailable_sets_retry_after),
        cmocka_unit_test(test_reply_header_replaces_same_name),
    };
    return cmocka_run_group_tests_name("problem", tests, NULL, NULL);
}
