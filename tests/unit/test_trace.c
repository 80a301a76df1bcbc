/* Unit tests: W3C trace context (common/trace.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "trace.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"

static void test_valid_traceparents_parse(void **state)
{
    char t[TRACE_ID_HEX + 1], p[SPAN_ID_HEX + 1];
    unsigned f = 99;
    (void)state;
    assert_int_equal(trace_parse_parent("00-" TID "-" PID "-01", t, p, &f), 1);
    assert_string_equal(t, TID);
    assert_string_equal(p, PID);
    assert_int_equal(f, 1);
    /* a later version may carry more fields after a '-' */
    assert_int_equal(trace_parse_parent("cc-" TID "-" PID "-09-whatever", t, p, &f), 1);
    assert_int_equal(f, 9);
    assert_int_equal(trace_parse_parent("01-" TID "-" PID "-00", t, p, &f), 1);
}

static void test_invalid_traceparents_are_refused(void **state)
{
    static const char *bad[] = {
        "",
        "00-" TID "-" PID "-0",                           /* short */
        "00-" TID "-" PID "-01-",                         /* version 00 is exactly 55 */
        "00-" TID "-" PID "-01x",                         /* likewise */
        "ff-" TID "-" PID "-01",                          /* version ff is invalid */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", /* uppercase */
        "00-00000000000000000000000000000000-" PID "-01", /* zero trace id */
        "00-" TID "-0000000000000000-01",                 /* zero parent id */
        "00_" TID "-" PID "-01",                          /* separators */
        "00-" TID "_" PID "-01",
        "00-" TID "-" PID "_01",
        "cc-" TID "-" PID "-01x",                         /* later version: '-' after flags */
        "00-4bf92f3577b34da6a3ce929d0e0e473g-" PID "-01", /* not hex */
        "0g-" TID "-" PID "-01",
        "00-" TID "-" PID "-0z",
    };
    char t[TRACE_ID_HEX + 1], p[SPAN_ID_HEX + 1];
    unsigned f;
    (void)state;
    assert_int_equal(trace_parse_parent(NULL, t, p, &f), 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (trace_parse_parent(bad[i], t, p, &f) != 0)
            fail_msg("accepted %s", bad[i]);
}

static void test_begin_continues_a_valid_trace_with_a_new_span(void **state)
{
    struct trace tr;
    char out[TRACEPARENT_LEN + 1];
    (void)state;
    assert_int_equal(trace_begin(&tr, "00-" TID "-" PID "-01", "congo=t61rcWkgMzE", "ignored"), 1);
    assert_string_equal(tr.trace_id, TID);
    assert_string_equal(tr.parent_id, PID);
    assert_string_equal(tr.state, "congo=t61rcWkgMzE");
    assert_int_equal(strlen(tr.span_id), SPAN_ID_HEX);
    assert_string_not_equal(tr.span_id, PID);
    trace_child_parent(&tr, out, sizeof out);
    assert_int_equal(strlen(out), TRACEPARENT_LEN);
    assert_memory_equal(out, "00-" TID "-", 36);
    assert_memory_equal(out + 36, tr.span_id, SPAN_ID_HEX);
    assert_string_equal(out + 52, "-01");
}

static void test_begin_without_a_valid_parent_starts_a_trace(void **state)
{
    struct trace tr, tr2;
    char t[TRACE_ID_HEX + 1], p[SPAN_ID_HEX + 1], out[TRACEPARENT_LEN + 1];
    unsigned f;
    (void)state;
    /* a 32-hex request id becomes the trace id; tracestate without a traceparent is dropped */
    assert_int_equal(trace_begin(&tr, "garbage", "a=b", TID), 0);
    assert_string_equal(tr.trace_id, TID);
    assert_string_equal(tr.parent_id, "");
    assert_string_equal(tr.state, "");
    assert_int_equal(tr.flags, 0);
    /* any other request id: a random trace id, still a valid traceparent on the way out */
    trace_begin(&tr, NULL, NULL, "my-request-1");
    trace_begin(&tr2, NULL, NULL, "my-request-1");
    assert_string_not_equal(tr.trace_id, tr2.trace_id);
    trace_child_parent(&tr, out, sizeof out);
    assert_int_equal(trace_parse_parent(out, t, p, &f), 1);
    assert_string_equal(t, tr.trace_id);
    assert_string_equal(p, tr.span_id);
}

static void test_tracestate_is_bounded_and_printable(void **state)
{
    char big[TRACESTATE_MAX + 2];
    (void)state;
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(trace_state_valid(big), 0);
    big[TRACESTATE_MAX] = '\0';
    assert_int_equal(trace_state_valid(big), 1);
    assert_int_equal(trace_state_valid("a=b\r\nX-Evil: 1"), 0);
    assert_int_equal(trace_state_valid(""), 0);
    assert_int_equal(trace_state_valid(NULL), 0);
}

static void test_outgoing_follows_the_current_span(void **state)
{
    struct trace tr;
    char out[TRACEPARENT_LEN + 1], t[TRACE_ID_HEX + 1], p[SPAN_ID_HEX + 1];
    unsigned f;
    const char *ts;
    (void)state;
    trace_begin(&tr, "00-" TID "-" PID "-01", "k=v", NULL);
    trace_set_current(&tr);
    ts = trace_outgoing("whatever", out, sizeof out);
    assert_non_null(ts);
    assert_string_equal(ts, "k=v");
    assert_int_equal(trace_parse_parent(out, t, p, &f), 1);
    assert_string_equal(t, TID);
    assert_string_equal(p, tr.span_id);
    assert_int_equal(f, 1);
    assert_ptr_equal(trace_current(), &tr);
    trace_set_current(NULL);
    /* outside a request: a new trace from the (32-hex) request id, no tracestate */
    assert_null(trace_outgoing("0af7651916cd43dd8448eb211c80319c", out, sizeof out));
    assert_int_equal(trace_parse_parent(out, t, p, &f), 1);
    assert_string_equal(t, "0af7651916cd43dd8448eb211c80319c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_traceparents_parse),
        cmocka_unit_test(test_invalid_traceparents_are_refused),
        cmocka_unit_test(test_begin_continues_a_valid_trace_with_a_new_span),
        cmocka_unit_test(test_begin_without_a_valid_parent_starts_a_trace),
        cmocka_unit_test(test_tracestate_is_bounded_and_printable),
        cmocka_unit_test(test_outgoing_follows_the_current_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
