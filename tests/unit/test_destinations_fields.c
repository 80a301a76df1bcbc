/* test_destinations_fields.c - unit tests for destination-service/destinations_fields.c:
 * validating the writable fields of a destination (create and patch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "destinations_fields.h"

struct read {
    cJSON *body;
    struct dest_fields f;
    struct field_errors fe;
    int rc;
};

static void read_body(struct read *r, const char *json, enum dest_fields_mode mode)
{
    memset(r, 0, sizeof *r);
    r->body = cJSON_Parse(json);
    assert_non_null(r->body);
    r->rc = destinations_fields_read(r->body, mode, &r->f, &r->fe);
}

static int has_error(const struct read *r, const char *field)
{
    for (int i = 0; i < r->fe.n && i < FIELD_ERRORS_MAX; i++)
        if (strcmp(r->fe.e[i].field, field) == 0)
            return 1;
    return 0;
}

static void test_create_with_every_field(void **state)
{
    struct read r;

    (void)state;
    read_body(&r,
              "{\"name\":\"  Hồ Tây \",\"latitude\":21.05,\"longitude\":105.82,\"category\":\"attraction\","
              "\"address\":\"Tây Hồ\",\"description\":\"A lake\",\"green_certified\":true,\"extra\":[1]}",
              DEST_FIELDS_CREATE);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.fe.n, 0);
    assert_string_equal(r.f.name, "Hồ Tây"); /* trimmed */
    assert_true(r.f.latitude == 21.05 && r.f.longitude == 105.82);
    assert_string_equal(r.f.category, "attraction");
    assert_string_equal(r.f.address, "Tây Hồ");
    assert_int_equal(r.f.green_certified, 1);
    assert_int_equal(r.f.present,
                     DF_NAME | DF_LATITUDE | DF_LONGITUDE | DF_CATEGORY | DF_ADDRESS | DF_DESCRIPTION | DF_GREEN);
    cJSON_Delete(r.body);
}

static void test_create_requires_name_and_coordinates(void **state)
{
    struct read r;

    (void)state;
    read_body(&r, "{}", DEST_FIELDS_CREATE);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.fe.n, 3);
    assert_true(has_error(&r, "name") && has_error(&r, "latitude") && has_error(&r, "longitude"));
    cJSON_Delete(r.body);
}

static void test_every_bad_field_is_named_once(void **state)
{
    struct read r;

    (void)state;
    read_body(&r,
              "{\"name\":\"   \",\"latitude\":90.5,\"longitude\":\"105\",\"category\":\"museum\","
              "\"address\":7,\"description\":false,\"green_certified\":\"yes\"}",
              DEST_FIELDS_CREATE);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.fe.n, 7);
    assert_true(has_error(&r, "name") && has_error(&r, "latitude") && has_error(&r, "longitude") &&
                has_error(&r, "category") && has_error(&r, "address") && has_error(&r, "description") &&
                has_error(&r, "green_certified"));
    cJSON_Delete(r.body);
}

static void test_coordinate_bounds_are_inclusive(void **state)
{
    struct read r;

    (void)state;
    read_body(&r, "{\"name\":\"a\",\"latitude\":-90,\"longitude\":180}", DEST_FIELDS_CREATE);
    assert_int_equal(r.rc, 0);
    cJSON_Delete(r.body);
    read_body(&r, "{\"name\":\"a\",\"latitude\":0,\"longitude\":-180.0001}", DEST_FIELDS_CREATE);
    assert_int_equal(r.rc, -1);
    assert_true(has_error(&r, "longitude"));
    cJSON_Delete(r.body);
    read_body(&r, "{\"name\":\"a\",\"latitude\":1e999,\"longitude\":0}", DEST_FIELDS_CREATE);
    assert_true(has_error(&r, "latitude")); /* not finite */
    cJSON_Delete(r.body);
}

/* A JSON body whose field name holds n copies of the character c. */
static char *body_with(const char *field, const char *c, size_t n)
{
    size_t cl = strlen(c), cap = n * cl + strlen(field) + 64, len;
    char *s = malloc(cap);

    assert_non_null(s);
    len = (size_t)snprintf(s, cap, "{\"%s\":\"", field);
    for (size_t i = 0; i < n; i++, len += cl)
        memcpy(s + len, c, cl);
    snprintf(s + len, cap - len, "\"}");
    return s;
}

static void test_lengths_count_characters_not_bytes(void **state)
{
    struct read r;
    char *s;

    (void)state;
    s = body_with("name", "ệ", DEST_NAME_MAX); /* 200 characters, 600 bytes */
    read_body(&r, s, DEST_FIELDS_PATCH);
    assert_int_equal(r.rc, 0);
    cJSON_Delete(r.body);
    free(s);
    s = body_with("name", "a", DEST_NAME_MAX + 1);
    read_body(&r, s, DEST_FIELDS_PATCH);
    assert_true(has_error(&r, "name"));
    cJSON_Delete(r.body);
    free(s);
    s = body_with("address", "a", DEST_ADDRESS_MAX + 1);
    read_body(&r, s, DEST_FIELDS_PATCH);
    assert_true(has_error(&r, "address"));
    cJSON_Delete(r.body);
    free(s);
    s = body_with("description", "đ", DEST_DESCRIPTION_MAX);
    read_body(&r, s, DEST_FIELDS_PATCH);
    assert_int_equal(r.rc, 0);
    cJSON_Delete(r.body);
    free(s);
    s = body_with("description", "a", DEST_DESCRIPTION_MAX + 1);
    read_body(&r, s, DEST_FIELDS_PATCH);
    assert_true(has_error(&r, "description"));
    cJSON_Delete(r.body);
    free(s);
}

static void test_patch_takes_any_subset_and_nulls_for_optional_fields(void **state)
{
    struct read r;
    cJSON *doc;
    char *text;

    (void)state;
    read_body(&r, "{\"category\":null,\"address\":null,\"green_certified\":false}", DEST_FIELDS_PATCH);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.f.present, DF_CATEGORY | DF_ADDRESS | DF_GREEN);
    assert_null(r.f.category);
    assert_null(r.f.address);
    doc = destinations_fields_json(&r.f);
    text = cJSON_PrintUnformatted(doc);
    assert_string_equal(text, "{\"category\":null,\"address\":null,\"green_certified\":false}");
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(r.body);
}

static void test_patch_refuses_null_for_required_fields(void **state)
{
    struct read r;

    (void)state;
    read_body(&r, "{\"name\":null,\"latitude\":null,\"longitude\":null,\"green_certified\":null}", DEST_FIELDS_PATCH);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.fe.n, 4);
    cJSON_Delete(r.body);
}

static void test_patch_of_nothing_is_valid_and_empty(void **state)
{
    struct read r;
    cJSON *doc;
    char *text;

    (void)state;
    read_body(&r, "{\"unknown\":1}", DEST_FIELDS_PATCH);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.f.present, 0);
    doc = destinations_fields_json(&r.f);
    text = cJSON_PrintUnformatted(doc);
    assert_string_equal(text, "{}");
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(r.body);
}

static void test_patch_document_keeps_coordinates_exact(void **state)
{
    struct read r;
    cJSON *doc, *back;
    char *text;

    (void)state;
    read_body(&r, "{\"latitude\":21.028800000000001,\"longitude\":-0.1270}", DEST_FIELDS_PATCH);
    doc = destinations_fields_json(&r.f);
    text = cJSON_PrintUnformatted(doc);
    back = cJSON_Parse(text);
    assert_true(cJSON_GetObjectItem(back, "latitude")->valuedouble == r.f.latitude);
    assert_true(cJSON_GetObjectItem(back, "longitude")->valuedouble == r.f.longitude);
    free(text);
    cJSON_Delete(back);
    cJSON_Delete(doc);
    cJSON_Delete(r.body);
}

static void test_categories(void **state)
{
    (void)state;
    assert_true(destinations_category_valid("restaurant"));
    assert_true(destinations_category_valid("other"));
    assert_false(destinations_category_valid("Restaurant"));
    assert_false(destinations_category_valid(""));
}

/* ?q= needs a word of 2 characters (issue 20 item 13); % _ and punctuation separate words. */
static void test_query_has_word(void **state)
{
    (void)state;
    assert_true(destinations_query_has_word("ha"));
    assert_true(destinations_query_has_word("a b cd"));
    assert_true(destinations_query_has_word("\xc4\x91\xc3\xa0")); /* "đà": 2 characters, 4 bytes */
    assert_true(destinations_query_has_word("%noi"));
    assert_false(destinations_query_has_word("a"));
    assert_false(destinations_query_has_word("\xc4\x91")); /* "đ": 1 character, 2 bytes */
    assert_false(destinations_query_has_word("%"));
    assert_false(destinations_query_has_word("h_"));
    assert_false(destinations_query_has_word("a b - c"));
    assert_false(destinations_query_has_word(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_with_every_field),
        cmocka_unit_test(test_create_requires_name_and_coordinates),
        cmocka_unit_test(test_every_bad_field_is_named_once),
        cmocka_unit_test(test_coordinate_bounds_are_inclusive),
        cmocka_unit_test(test_lengths_count_characters_not_bytes),
        cmocka_unit_test(test_patch_takes_any_subset_and_nulls_for_optional_fields),
        cmocka_unit_test(test_patch_refuses_null_for_required_fields),
        cmocka_unit_test(test_patch_of_nothing_is_valid_and_empty),
        cmocka_unit_test(test_patch_document_keeps_coordinates_exact),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_query_has_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
