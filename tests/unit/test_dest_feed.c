/* Unit tests: the change-feed answer parser (dest_feed_parse) and what the feed asks of the
 * cache (a feed entry outlives a stale validate answer; trusted positives). No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dest_cache.h"
#include "dest_feed.h"

static struct dest_feed_page page;

static enum dest_feed_parse parse(int status, const char *body, long long after, size_t limit)
{
    return dest_feed_parse(status, body, strlen(body), after, limit, &page);
}

static void test_page_is_parsed_in_order(void **state)
{
    (void)state;
    assert_int_equal(parse(200,
                           "{\"changes\":[{\"seq\":11,\"destination_id\":5,\"op\":\"create\",\"at\":\"x\"},"
                           "{\"seq\":14,\"destination_id\":7,\"op\":\"delete\",\"at\":\"x\"},"
                           "{\"seq\":15,\"destination_id\":5,\"op\":\"update\",\"at\":\"x\"}],"
                           "\"next_after\":15,\"last_seq\":20}",
                           10, 100),
                     DEST_FEED_PAGE);
    assert_int_equal(page.n, 3);
    assert_int_equal(page.changes[0].seq, 11);
    assert_int_equal(page.changes[0].op, DEST_FEED_CREATE);
    assert_int_equal(page.changes[1].id, 7);
    assert_int_equal(page.changes[1].op, DEST_FEED_DELETE);
    assert_int_equal(page.changes[2].op, DEST_FEED_UPDATE);
    assert_int_equal(page.next_after, 15);
    assert_int_equal(page.last_seq, 20);
}

static void test_empty_page_keeps_the_cursor(void **state)
{
    (void)state;
    assert_int_equal(parse(200, "{\"changes\":[],\"next_after\":10,\"last_seq\":10}", 10, 100), DEST_FEED_PAGE);
    assert_int_equal(page.n, 0);
    assert_int_equal(page.next_after, 10);
    /* an empty page that moves the cursor would skip changes never seen */
    assert_int_equal(parse(200, "{\"changes\":[],\"next_after\":12,\"last_seq\":12}", 10, 100), DEST_FEED_BAD);
}

static void test_gone_carries_the_head(void **state)
{
    (void)state;
    assert_int_equal(parse(410,
                           "{\"type\":\"urn:ecomovex:problem:gone\",\"status\":410,\"oldest_seq\":50,"
                           "\"last_seq\":90}",
                           3, 100),
                     DEST_FEED_GONE);
    assert_int_equal(page.last_seq, 90);
    assert_int_equal(parse(410, "{\"status\":410}", 3, 100), DEST_FEED_BAD);
}

static void test_contract_breaks_are_refused_whole(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"changes\":{},\"next_after\":11,\"last_seq\":11}",
        /* not after the cursor, not increasing, duplicated */
        "{\"changes\":[{\"seq\":10,\"destination_id\":5,\"op\":\"delete\"}],\"next_after\":10,\"last_seq\":10}",
        "{\"changes\":[{\"seq\":12,\"destination_id\":5,\"op\":\"delete\"},{\"seq\":11,\"destination_id\":6,"
        "\"op\":\"delete\"}],\"next_after\":11,\"last_seq\":12}",
        "{\"changes\":[{\"seq\":12,\"destination_id\":5,\"op\":\"delete\"},{\"seq\":12,\"destination_id\":6,"
        "\"op\":\"delete\"}],\"next_after\":12,\"last_seq\":12}",
        /* ids and sequences that are no exact positive integers */
        "{\"changes\":[{\"seq\":11,\"destination_id\":0,\"op\":\"delete\"}],\"next_after\":11,\"last_seq\":11}",
        "{\"changes\":[{\"seq\":11,\"destination_id\":1.5,\"op\":\"delete\"}],\"next_after\":11,\"last_seq\":11}",
        "{\"changes\":[{\"seq\":11,\"destination_id\":\"5\",\"op\":\"delete\"}],\"next_after\":11,\"last_seq\":11}",
        "{\"changes\":[{\"seq\":1e300,\"destination_id\":5,\"op\":\"delete\"}],\"next_after\":1e300,\"last_seq\":"
        "1e300}",
        "{\"changes\":[{\"seq\":9007199254740992,\"destination_id\":5,\"op\":\"delete\"}],"
        "\"next_after\":9007199254740992,\"last_seq\":9007199254740992}",
        /* unknown op, missing members, next_after or last_seq inconsistent */
        "{\"changes\":[{\"seq\":11,\"destination_id\":5,\"op\":\"drop\"}],\"next_after\":11,\"last_seq\":11}",
        "{\"changes\":[{\"seq\":11,\"destination_id\":5}],\"next_after\":11,\"last_seq\":11}",
        "{\"changes\":[{\"seq\":11,\"destination_id\":5,\"op\":\"delete\"}],\"next_after\":12,\"last_seq\":12}",
        "{\"changes\":[{\"seq\":11,\"destination_id\":5,\"op\":\"delete\"}],\"next_after\":11,\"last_seq\":10}",
        "{\"changes\":[{\"seq\":11,\"destination_id\":5,\"op\":\"delete\"}],\"next_after\":11}",
        /* more than asked for */
        "{\"changes\":[{\"seq\":11,\"destination_id\":5,\"op\":\"delete\"},{\"seq\":12,\"destination_id\":6,"
        "\"op\":\"delete\"},{\"seq\":13,\"destination_id\":7,\"op\":\"delete\"}],\"next_after\":13,\"last_seq\":13}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(200, bad[i], 10, 2), DEST_FEED_BAD);
        assert_int_equal(page.n, 0);
    }
    assert_int_equal(parse(500, "{\"changes\":[],\"next_after\":10,\"last_seq\":10}", 10, 2), DEST_FEED_BAD);
    assert_int_equal(parse(404, "{}", 10, 2), DEST_FEED_BAD);
}

static void test_feed_entry_outlives_a_late_validate_answer(void **state)
{
    struct dest_cache c;
    int e = -1;

    (void)state;
    assert_int_equal(dest_cache_init(&c, 16), 0);
    dest_cache_put(&c, 9, 1, 0, 1000);
    dest_cache_put_feed(&c, 9, 0, 10, 5000); /* deleted */
    dest_cache_put(&c, 9, 1, 20, 1000);      /* a validate answer from before the delete */
    assert_true(dest_cache_get(&c, 9, 30, &e));
    assert_int_equal(e, 0);
    dest_cache_put_feed(&c, 9, 1, 40, 5000); /* the feed itself may change its word */
    assert_true(dest_cache_get(&c, 9, 50, &e));
    assert_int_equal(e, 1);
    /* a positive stored before min_stored is no answer; a negative one still is */
    assert_false(dest_cache_get_since(&c, 9, 60, 41, &e));
    assert_true(dest_cache_get_since(&c, 9, 60, 40, &e));
    dest_cache_put_feed(&c, 8, 0, 0, 5000);
    assert_true(dest_cache_get_since(&c, 8, 60, 41, &e));
    assert_int_equal(e, 0);
    dest_cache_clear(&c);
    assert_false(dest_cache_get(&c, 8, 60, &e));
    dest_cache_destroy(&c);
}

/* Resident pages of [p, p + len), rounded out to whole pages. */
static size_t resident_pages(const void *p, size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)(pg - 1), end = (uintptr_t)p + len;
    size_t n = (end - start + (size_t)pg - 1) / (size_t)pg, resident = 0;
    unsigned char *v = malloc(n);

    assert_non_null(v);
    assert_int_equal(mincore((void *)start, end - start, v), 0);
    for (size_t i = 0; i < n; i++)
        resident += v[i] & 1;
    free(v);
    return resident;
}

/* The feed clears the cache on its first resync at start-up: a cache nothing was stored in
 * must not be written over, or all its pages (2 MiB by default) become resident at idle. */
static void test_clearing_an_unused_cache_touches_no_page(void **state)
{
    struct dest_cache c;
    size_t bytes;
    int e = -1;

    (void)state;
    assert_int_equal(dest_cache_init(&c, 65536), 0);
    bytes = c.nsets * DEST_CACHE_WAYS * sizeof *c.slots;
    dest_cache_clear(&c);
    assert_true(resident_pages(c.slots, bytes) <= 2); /* the allocation's header page at most */
    dest_cache_put(&c, 7, 1, 0, 1000);
    dest_cache_clear(&c);
    assert_false(dest_cache_get(&c, 7, 10, &e));
    dest_cache_put(&c, 7, 0, 20, 1000); /* still usable after a clear */
    assert_true(dest_cache_get(&c, 7, 30, &e));
    assert_int_equal(e, 0);
    dest_cache_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_is_parsed_in_order),
        cmocka_unit_test(test_empty_page_keeps_the_cursor),
        cmocka_unit_test(test_gone_carries_the_head),
        cmocka_unit_test(test_contract_breaks_are_refused_whole),
        cmocka_unit_test(test_feed_entry_outlives_a_late_validate_answer),
        cmocka_unit_test(test_clearing_an_unused_cache_touches_no_page),
    };
    return cmocka_run_group_tests_name("dest_feed", tests, NULL, NULL);
}
