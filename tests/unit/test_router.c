/* Unit tests: the router matches paths and ids, and tells 404 from 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"

static void h(struct request *rq, struct reply *rp)
{
    (void)rq;
    (void)rp;
}

static const struct route table[] = {
    {"GET", "/api/v1/things", h, AUTH_NONE},          {"POST", "/api/v1/things", h, AUTH_USER},
    {"GET", "/api/v1/things/nearby", h, AUTH_NONE},   {"GET", "/api/v1/things/{id}", h, AUTH_NONE},
    {"DELETE", "/api/v1/things/{id}", h, AUTH_ADMIN}, {"PATCH", "/api/v1/plans/{id}/stops/{id}", h, AUTH_USER},
};
#define N (sizeof table / sizeof table[0])

static enum route_match match(const char *m, const char *p, int *idx, long long ids[], int *nids, char *allow)
{
    return router_match(table, N, m, p, idx, ids, nids, allow, ROUTER_ALLOW_MAX);
}

static void test_literal_path_matches_its_method(void **state)
{
    int idx = -1, nids = -1;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("POST", "/api/v1/things", &idx, ids, &nids, allow), ROUTE_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(nids, 0);
}

static void test_id_segment_captures_a_positive_bigint(void **state)
{
    int idx = -1, nids = 0;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("GET", "/api/v1/things/9223372036854775807", &idx, ids, &nids, allow), ROUTE_OK);
    assert_int_equal(idx, 3);
    assert_int_equal(nids, 1);
    assert_true(ids[0] == 9223372036854775807LL);
}

static void test_two_ids_are_captured_in_order(void **state)
{
    int idx = -1, nids = 0;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("PATCH", "/api/v1/plans/12/stops/34", &idx, ids, &nids, allow), ROUTE_OK);
    assert_int_equal(nids, 2);
    assert_int_equal(ids[0], 12);
    assert_int_equal(ids[1], 34);
}

static void test_literal_segment_beats_id_when_not_numeric(void **state)
{
    int idx = -1, nids = 0;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("GET", "/api/v1/things/nearby", &idx, ids, &nids, allow), ROUTE_OK);
    assert_int_equal(idx, 2);
}

static void test_bad_ids_do_not_match(void **state)
{
    static const char *const bad[] = {"/api/v1/things/0",
                                      "/api/v1/things/-1",
                                      "/api/v1/things/1.5",
                                      "/api/v1/things/01",
                                      "/api/v1/things/%31",
                                      "/api/v1/things/abc",
                                      "/api/v1/things/9223372036854775808",
                                      "/api/v1/things/99999999999999999999",
                                      "/api/v1/things/",
                                      "/api/v1/things//1",
                                      "/api/v1/things/1/"};
    int idx, nids;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(match("GET", bad[i], &idx, ids, &nids, allow), ROUTE_NOT_FOUND);
}

static void test_known_path_wrong_method_lists_allowed(void **state)
{
    int idx, nids;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("PUT", "/api/v1/things/5", &idx, ids, &nids, allow), ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD, DELETE");
    assert_int_equal(match("DELETE", "/api/v1/things", &idx, ids, &nids, allow), ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD, POST");
}

static void test_unknown_paths_are_not_found(void **state)
{
    int idx, nids;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("GET", "/", &idx, ids, &nids, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/v1/thing", &idx, ids, &nids, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api/v1/things/1/extra", &idx, ids, &nids, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "api/v1/things", &idx, ids, &nids, allow), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "", &idx, ids, &nids, allow), ROUTE_NOT_FOUND);
}

static void test_head_matches_get_routes(void **state)
{
    int idx = -1, nids = 0;
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    (void)state;
    assert_int_equal(match("HEAD", "/api/v1/things/7", &idx, ids, &nids, allow), ROUTE_OK);
    assert_int_equal(idx, 3);
    assert_int_equal(match("HEAD", "/api/v1/plans/1/stops/2", &idx, ids, &nids, allow), ROUTE_BAD_METHOD);
}

static void test_parse_id_limits(void **state)
{
    long long v = 0;
    (void)state;
    assert_int_equal(router_parse_id("1", 1, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(router_parse_id("123abc", 3, &v), 0); /* only len bytes are read */
    assert_int_equal(v, 123);
    assert_int_equal(router_parse_id("", 0, &v), -1);
    assert_int_equal(router_parse_id("00", 2, &v), -1);
    assert_int_equal(router_parse_id("12345678901234567890", 20, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_path_matches_its_method),
        cmocka_unit_test(test_id_segment_captures_a_positive_bigint),
        cmocka_unit_test(test_two_ids_are_captured_in_order),
        cmocka_unit_test(test_literal_segment_beats_id_when_not_numeric),
        cmocka_unit_test(test_bad_ids_do_not_match),
        cmocka_unit_test(test_known_path_wrong_method_lists_allowed),
        cmocka_unit_test(test_unknown_paths_are_not_found),
        cmocka_unit_test(test_head_matches_get_routes),
        cmocka_unit_test(test_parse_id_limits),
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
