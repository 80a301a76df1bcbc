/* Unit tests: the destination client's breaker, cache and retry, with a fake clock and a
 * fake transport — no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dest_client.h"

/* ---- fake clock and transport ---- */

static long long fake_now;
static long long clock_now(void)
{
    return fake_now;
}
static void clock_sleep(long ms)
{
    fake_now += ms;
}

struct fake {
    int calls;
    int fail_next; /* this many calls fail before answers succeed */
    enum dest_error fail_with;
    int status;      /* status of successful exchanges */
    long latency_ms; /* added to the clock per call */
    char last_body[4096];
    char last_path[4096];
    long last_timeout;
};
static struct fake fk;

/* Answers validate with every even id existing, and fetch with every id asked. */
static int fake_call(void *ctx, const char *method, const char *path, const char *body, size_t len,
                     const char *request_id, long timeout_ms, struct dest_response *out, enum dest_error *err)
{
    char buf[4096];
    size_t n = 0;
    (void)ctx;
    (void)method;
    (void)request_id;
    fk.calls++;
    fk.last_timeout = timeout_ms;
    snprintf(fk.last_path, sizeof fk.last_path, "%s", path);
    snprintf(fk.last_body, sizeof fk.last_body, "%.*s", (int)len, body ? body : "");
    if (fk.fail_next > 0) {
        fk.fail_next--;
        fake_now += fk.fail_with == DEST_ERR_TIMEOUT ? timeout_ms : fk.latency_ms;
        *err = fk.fail_with;
        return -1;
    }
    fake_now += fk.latency_ms;
    if (body) {
        const char *p = strchr(body, '[');
        n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"existing\":[");
        int first = 1;
        for (long long id; p && sscanf(p + 1, "%lld", &id) == 1; p = strchr(p + 1, ','))
            if (id % 2 == 0) {
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", first ? "" : ",", id);
                first = 0;
            }
        n += (size_t)snprintf(buf + n, sizeof buf - n, "],\"missing\":[");
        first = 1;
        p = strchr(body, '[');
        for (long long id; p && sscanf(p + 1, "%lld", &id) == 1; p = strchr(p + 1, ','))
            if (id % 2) {
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", first ? "" : ",", id);
                first = 0;
            }
        n += (size_t)snprintf(buf + n, sizeof buf - n, "]}");
    } else {
        n = (size_t)snprintf(buf, sizeof buf, "{\"items\":[{\"id\":4,\"name\":\"x\"}]}");
    }
    out->status = fk.status;
    out->body = strdup(buf);
    out->len = n;
    return 0;
}

static struct dest_shared shared;
static struct dest_client client;

static int setup(void **state)
{
    struct dest_config cfg = {
        .base_url = "http://x",
        .internal_token = "t",
        .connect_timeout_ms = 100,
        .timeout_ms = 1000,
        .positive_ttl_ms = 60000,
        .negative_ttl_ms = 0,
        .cache_capacity = 64,
        .breaker = {.window_s = 10, .min_calls = 4, .failure_pct = 50, .open_ms = 2000},
    };
    (void)state;
    memset(&fk, 0, sizeof fk);
    fk.status = 200;
    fk.latency_ms = 2;
    fake_now = 1000000;
    assert_int_equal(dest_shared_init(&shared, &cfg), 0);
    memset(&client, 0, sizeof client);
    client.shared = &shared;
    client.call = fake_call;
    client.now_ms = clock_now;
    client.sleep_ms = clock_sleep;
    client.rng = 7;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dest_shared_destroy(&shared);
    return 0;
}

/* ---- breaker ---- */

static void test_breaker_opens_on_failure_rate(void **state)
{
    struct breaker b;
    struct breaker_config c = {.window_s = 10, .min_calls = 4, .failure_pct = 50, .open_ms = 1000};
    (void)state;
    breaker_init(&b, &c);
    breaker_record(&b, 0, 1, BREAKER_CALL);
    breaker_record(&b, 10, 0, BREAKER_CALL);
    breaker_record(&b, 20, 0, BREAKER_CALL);
    assert_int_equal(breaker_state(&b, 30), BREAKER_CLOSED); /* 3 calls < min_calls */
    breaker_record(&b, 40, 1, BREAKER_CALL);
    assert_int_equal(breaker_state(&b, 50), BREAKER_CLOSED); /* 2 of 4 failed, but last was a success */
    breaker_record(&b, 60, 0, BREAKER_CALL);                 /* 3 of 5 failed */
    assert_int_equal(breaker_state(&b, 70), BREAKER_OPEN);
    assert_false(breaker_allow(&b, 80));
    breaker_destroy(&b);
}

static void test_breaker_half_open_lets_one_probe_and_closes_on_success(void **state)
{
    struct breaker b;
    struct breaker_config c = {.window_s = 10, .min_calls = 1, .failure_pct = 50, .open_ms = 1000};
    (void)state;
    breaker_init(&b, &c);
    breaker_record(&b, 0, 0, BREAKER_CALL);
    assert_int_equal(breaker_state(&b, 999), BREAKER_OPEN);
    assert_true(breaker_allow(&b, 1000)); /* the probe */
    assert_int_equal(breaker_state(&b, 1000), BREAKER_HALF_OPEN);
    assert_false(breaker_allow(&b, 1001)); /* only one probe at a time */
    breaker_record(&b, 1010, 1, BREAKER_PROBE);
    assert_int_equal(breaker_state(&b, 1011), BREAKER_CLOSED);
    assert_true(breaker_allow(&b, 1012));
    assert_int_equal(b.transitions[BREAKER_OPEN], 1);
    assert_int_equal(b.transitions[BREAKER_CLOSED], 1);
    breaker_destroy(&b);
}

static void test_breaker_failed_probe_reopens(void **state)
{
    struct breaker b;
    struct breaker_config c = {.window_s = 10, .min_calls = 1, .failure_pct = 50, .open_ms = 1000};
    (void)state;
    breaker_init(&b, &c);
    breaker_record(&b, 0, 0, BREAKER_CALL);
    assert_true(breaker_allow(&b, 1500));
    breaker_record(&b, 1600, 0, BREAKER_PROBE);
    assert_int_equal(breaker_state(&b, 1700), BREAKER_OPEN);
    assert_false(breaker_allow(&b, 2500)); /* a fresh wait started at 1600 */
    assert_true(breaker_allow(&b, 2600));
    breaker_destroy(&b);
}

static void test_breaker_half_open_ignores_late_answers_from_before(void **state)
{
    struct breaker b;
    struct breaker_config c = {.window_s = 10, .min_calls = 1, .failure_pct = 50, .open_ms = 1000};
    (void)state;
    breaker_init(&b, &c);
    assert_int_equal(breaker_allow(&b, 0), BREAKER_CALL); /* a slow call starts */
    breaker_record(&b, 10, 0, BREAKER_CALL);              /* another fails: open */
    assert_int_equal(breaker_allow(&b, 1010), BREAKER_PROBE);
    breaker_record(&b, 1011, 0, BREAKER_CALL); /* the slow call's late failure */
    assert_int_equal(breaker_state(&b, 1012), BREAKER_HALF_OPEN);
    breaker_record(&b, 1013, 1, BREAKER_PROBE); /* the probe decides */
    assert_int_equal(breaker_state(&b, 1014), BREAKER_CLOSED);
    breaker_destroy(&b);
}

static void test_breaker_forgets_failures_outside_the_window(void **state)
{
    struct breaker b;
    struct breaker_config c = {.window_s = 5, .min_calls = 3, .failure_pct = 50, .open_ms = 1000};
    (void)state;
    breaker_init(&b, &c);
    breaker_record(&b, 0, 0, BREAKER_CALL);
    breaker_record(&b, 100, 0, BREAKER_CALL);
    /* ten seconds later: the old failures are out of the window */
    breaker_record(&b, 10000, 0, BREAKER_CALL);
    assert_int_equal(breaker_state(&b, 10001), BREAKER_CLOSED);
    breaker_destroy(&b);
}

/* ---- cache ---- */

static void test_cache_hits_until_expiry(void **state)
{
    struct dest_cache c;
    int e = -1;
    (void)state;
    assert_int_equal(dest_cache_init(&c, 16), 0);
    assert_false(dest_cache_get(&c, 5, 0, &e));
    dest_cache_put(&c, 5, 1, 0, 100);
    assert_true(dest_cache_get(&c, 5, 99, &e));
    assert_int_equal(e, 1);
    assert_false(dest_cache_get(&c, 5, 100, &e));
    dest_cache_put(&c, 5, 0, 100, 200); /* same id: replaced, never duplicated */
    assert_true(dest_cache_get(&c, 5, 150, &e));
    assert_int_equal(e, 0);
    dest_cache_destroy(&c);
}

static void test_cache_is_bounded(void **state)
{
    struct dest_cache c;
    int e, hits = 0;
    (void)state;
    assert_int_equal(dest_cache_init(&c, 16), 0);
    for (long long id = 1; id <= 10000; id++)
        dest_cache_put(&c, id, 1, 0, 1000 + id);
    for (long long id = 1; id <= 10000; id++)
        hits += dest_cache_get(&c, id, 0, &e);
    assert_true(hits <= (int)(c.nsets * DEST_CACHE_WAYS));
    assert_true(hits > 0);
    dest_cache_destroy(&c);
}

/* ---- retry policy ---- */

static void test_retry_once_with_jitter_inside_deadline(void **state)
{
    unsigned rng = 1;
    (void)state;
    for (int i = 0; i < 100; i++) {
        long d = dest_retry_delay_ms(1, 1000, 100, &rng);
        assert_true(d >= DEST_RETRY_MIN_MS && d < DEST_RETRY_MAX_MS);
    }
    assert_int_equal(dest_retry_delay_ms(2, 1000, 100, &rng), -1);
    assert_int_equal(dest_retry_delay_ms(1, 120, 100, &rng), -1); /* no room for a connect after the wait */
}

/* ---- the client ---- */

static void test_validate_asks_once_for_all_unknown_ids(void **state)
{
    long long ids[] = {2, 3, 4, 2};
    int ex[4];
    (void)state;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 4, ex), DEST_OK);
    assert_int_equal(fk.calls, 1);
    assert_int_equal(ex[0], 1);
    assert_int_equal(ex[1], 0);
    assert_int_equal(ex[2], 1);
    assert_int_equal(ex[3], 1);
    assert_string_equal(fk.last_path, "/internal/v1/destinations/validate");
}

static void test_cached_positive_needs_no_call(void **state)
{
    long long ids[] = {8};
    int ex[1];
    (void)state;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_OK);
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_OK);
    assert_int_equal(fk.calls, 1);
    assert_int_equal(ex[0], 1);
}

static void test_missing_answer_is_not_cached_by_default(void **state)
{
    long long ids[] = {9};
    int ex[1];
    (void)state;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_OK);
    assert_int_equal(ex[0], 0);
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_OK);
    assert_int_equal(fk.calls, 2);
}

static void test_connect_error_is_retried_once(void **state)
{
    long long ids[] = {10};
    int ex[1];
    (void)state;
    fk.fail_next = 1;
    fk.fail_with = DEST_ERR_CONNECT;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_OK);
    assert_int_equal(fk.calls, 2);
    assert_int_equal(ex[0], 1);
}

static void test_timeout_uses_the_deadline_and_is_not_retried(void **state)
{
    long long ids[] = {12};
    int ex[1];
    long long t0 = fake_now;
    (void)state;
    fk.fail_next = 5;
    fk.fail_with = DEST_ERR_TIMEOUT;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_UNAVAILABLE);
    assert_int_equal(fk.calls, 1);
    assert_int_equal(fk.last_timeout, 1000);
    assert_true(fake_now - t0 <= 1000);
    assert_int_equal(ex[0], -1);
}

static void test_open_breaker_fails_fast_without_network_but_serves_cached(void **state)
{
    long long cached[] = {20}, fresh[] = {22};
    int ex[1];
    (void)state;
    assert_int_equal(dest_client_validate(&client, "rid", cached, 1, ex), DEST_OK); /* now cached */
    fk.fail_next = 1000;
    fk.fail_with = DEST_ERR_CONNECT;
    for (long long id = 100; id < 110; id += 2) {
        long long one[] = {id};
        assert_int_equal(dest_client_validate(&client, "rid", one, 1, ex), DEST_UNAVAILABLE);
    }
    assert_int_equal(breaker_state(&shared.breaker, fake_now), BREAKER_OPEN);
    {
        int before = fk.calls;
        assert_int_equal(dest_client_validate(&client, "rid", fresh, 1, ex), DEST_UNAVAILABLE);
        assert_int_equal(fk.calls, before); /* nothing on the wire */
        assert_int_equal(dest_client_validate(&client, "rid", cached, 1, ex), DEST_OK);
        assert_int_equal(ex[0], 1);
        assert_int_equal(fk.calls, before);
    }
    /* after the wait a probe goes out; its success closes the breaker */
    fake_now += 2000;
    fk.fail_next = 0;
    assert_int_equal(dest_client_validate(&client, "rid", fresh, 1, ex), DEST_OK);
    assert_int_equal(breaker_state(&shared.breaker, fake_now), BREAKER_CLOSED);
}

static void test_5xx_is_a_failure_and_4xx_is_not(void **state)
{
    long long ids[] = {30};
    int ex[1];
    (void)state;
    fk.status = 503;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_UNAVAILABLE);
    assert_int_equal(fk.calls, 2); /* retried once */
    fk.status = 401;
    assert_int_equal(dest_client_validate(&client, "rid", ids, 1, ex), DEST_UNAVAILABLE);
    assert_int_equal(fk.calls, 3); /* not retried: the service answered */
    assert_int_equal(breaker_state(&shared.breaker, fake_now), BREAKER_CLOSED);
}

static void test_fetch_builds_one_batch_path_and_caches(void **state)
{
    long long ids[] = {4, 5, 6};
    cJSON *items = NULL;
    int ex[1];
    long long four[] = {4};
    (void)state;
    assert_int_equal(dest_client_fetch(&client, "rid", ids, 3, &items), DEST_OK);
    assert_string_equal(fk.last_path, "/internal/v1/destinations?ids=4,5,6");
    assert_int_equal(cJSON_GetArraySize(items), 1);
    cJSON_Delete(items);
    assert_int_equal(dest_client_validate(&client, "rid", four, 1, ex), DEST_OK);
    assert_int_equal(fk.calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_opens_on_failure_rate),
        cmocka_unit_test(test_breaker_half_open_lets_one_probe_and_closes_on_success),
        cmocka_unit_test(test_breaker_failed_probe_reopens),
        cmocka_unit_test(test_breaker_half_open_ignores_late_answers_from_before),
        cmocka_unit_test(test_breaker_forgets_failures_outside_the_window),
        cmocka_unit_test(test_cache_hits_until_expiry),
        cmocka_unit_test(test_cache_is_bounded),
        cmocka_unit_test(test_retry_once_with_jitter_inside_deadline),
        cmocka_unit_test_setup_teardown(test_validate_asks_once_for_all_unknown_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cached_positive_needs_no_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_answer_is_not_cached_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_error_is_retried_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_uses_the_deadline_and_is_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_breaker_fails_fast_without_network_but_serves_cached, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_5xx_is_a_failure_and_4xx_is_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_builds_one_batch_path_and_caches, setup, teardown),
    };
    return cmocka_run_group_tests_name("dest_client", tests, NULL, NULL);
}
