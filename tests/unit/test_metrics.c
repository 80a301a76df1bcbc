/* test_metrics.c - unit tests for common/metrics.c: histogram buckets and their text,
 * the state gauge, the process_* series and build_info. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

static struct metrics_histogram *h_a, *h_b;
static struct metric *m_state;
static const char *const states[] = {"closed", "open", "half_open"};

/* The value of the sample whose name and labels are exactly series; -1 when absent. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *p = text;

    while ((p = strstr(p, series))) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p += n;
    }
    return -1;
}

static int occurrences(const char *text, const char *s)
{
    int n = 0;

    for (const char *p = text; (p = strstr(p, s)); p += strlen(s))
        n++;
    return n;
}

/* Open descriptors counted without /proc: each number fcntl knows. */
static int open_fds(void)
{
    int n = 0;

    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

static char *render(void)
{
    size_t len = 0;
    char *t = metrics_render(&len);

    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    return t;
}

static int setup(void **state)
{
    (void)state;
    if (metrics_init("svc", NULL, 0) < 0)
        return -1;
    h_a = metrics_histogram("t_seconds", "A test histogram.", "kind=\"a\"");
    h_b = metrics_histogram("t_seconds", "A test histogram.", "kind=\"b\"");
    m_state = metrics_state_gauge("t_state", "A test state.", "state", states, 3);
    return h_a && h_b && m_state ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    metrics_free();
    return 0;
}

static void test_bounds_are_the_documented_ones(void **state)
{
    static const double want[METRICS_HIST_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    (void)state;
    for (int i = 0; i < METRICS_HIST_BUCKETS; i++)
        assert_true(metrics_hist_bounds[i] == want[i]);
}

static void test_buckets_are_cumulative_with_inclusive_bounds(void **state)
{
    char *t;

    (void)state;
    metrics_observe(h_a, 0.0005); /* le 0.001 */
    metrics_observe(h_a, 0.001);  /* on a bound: counted in that bucket (le is <=) */
    metrics_observe(h_a, 0.003);  /* le 0.005 */
    metrics_observe(h_a, 0.3);    /* le 0.5 */
    metrics_observe(h_a, 10.0);   /* above every bound: +Inf only */
    metrics_observe(h_a, -1.0);   /* a clock step back: no time, first bucket */
    metrics_observe(NULL, 1.0);   /* an unregistered histogram is ignored */
    t = render();
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"0.001\"}") == 3);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"0.0025\"}") == 3);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"0.005\"}") == 4);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"0.25\"}") == 4);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"0.5\"}") == 5);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"2.5\"}") == 5);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"a\",le=\"+Inf\"}") == 6);
    assert_true(sample(t, "t_seconds_count{service=\"svc\",kind=\"a\"}") == 6);
    assert_float_equal(sample(t, "t_seconds_sum{service=\"svc\",kind=\"a\"}"), 0.0005 + 0.001 + 0.003 + 0.3 + 10.0,
                       1e-6);
    /* the other histogram of the name is untouched, and rendered all the same */
    assert_true(sample(t, "t_seconds_count{service=\"svc\",kind=\"b\"}") == 0);
    assert_true(sample(t, "t_seconds_bucket{service=\"svc\",kind=\"b\",le=\"+Inf\"}") == 0);
    free(t);
}

static void test_histogram_text_has_one_header_and_every_bucket(void **state)
{
    char *t;

    (void)state;
    t = render();
    assert_int_equal(occurrences(t, "# HELP t_seconds A test histogram.\n"), 1);
    assert_int_equal(occurrences(t, "# TYPE t_seconds histogram\n"), 1);
    /* 11 finite bounds and +Inf per labelled histogram */
    assert_int_equal(occurrences(t, "t_seconds_bucket{service=\"svc\",kind=\"b\",le="), METRICS_HIST_BUCKETS + 1);
    assert_non_null(strstr(t, "# TYPE t_seconds histogram\nt_seconds_bucket{service=\"svc\",kind=\"a\",le=\"0.001\"}"));
    /* the +Inf bucket comes last, then _sum, then _count */
    assert_non_null(strstr(t, "le=\"2.5\"} 0\nt_seconds_bucket{service=\"svc\",kind=\"b\",le=\"+Inf\"} 0\n"
                              "t_seconds_sum{service=\"svc\",kind=\"b\"} 0.000000000\n"
                              "t_seconds_count{service=\"svc\",kind=\"b\"} 0\n"));
    free(t);
}

static void test_state_gauge_shows_exactly_the_current_state(void **state)
{
    char *t;

    (void)state;
    t = render();
    assert_non_null(strstr(t, "# TYPE t_state gauge\n"));
    assert_true(sample(t, "t_state{service=\"svc\",state=\"closed\"}") == 1);
    assert_true(sample(t, "t_state{service=\"svc\",state=\"open\"}") == 0);
    assert_true(sample(t, "t_state{service=\"svc\",state=\"half_open\"}") == 0);
    free(t);
    metrics_set(m_state, 2);
    t = render();
    assert_true(sample(t, "t_state{service=\"svc\",state=\"closed\"}") == 0);
    assert_true(sample(t, "t_state{service=\"svc\",state=\"open\"}") == 0);
    assert_true(sample(t, "t_state{service=\"svc\",state=\"half_open\"}") == 1);
    free(t);
    metrics_set(m_state, 0);
}

static void test_process_series_are_present_and_sane(void **state)
{
    char *t;
    double fds, start;
    int fd;

    (void)state;
    t = render();
    assert_non_null(strstr(t, "# TYPE process_cpu_seconds_total counter\n"));
    assert_non_null(strstr(t, "# TYPE process_resident_memory_bytes gauge\n"));
    assert_non_null(strstr(t, "# TYPE process_open_fds gauge\n"));
    assert_non_null(strstr(t, "# TYPE process_start_time_seconds gauge\n"));
    assert_true(sample(t, "process_cpu_seconds_total") >= 0);
    assert_true(sample(t, "process_resident_memory_bytes") > 1024 * 1024); /* a linked test binary is over 1 MiB */
    assert_true(sample(t, "process_virtual_memory_bytes") >= sample(t, "process_resident_memory_bytes"));
    fds = sample(t, "process_open_fds");
    assert_true(fds >= 3);                  /* stdin, stdout, stderr */
    assert_true(fds == (double)open_fds()); /* not counting the descriptor that read /proc/self/fd */
    start = sample(t, "process_start_time_seconds");
    assert_true(start <= (double)time(NULL) + 1 && start > (double)time(NULL) - 3600);
    free(t);
    /* one more open descriptor is seen at the next scrape, and it does not count the scrape's own */
    fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    t = render();
    assert_true(sample(t, "process_open_fds") == fds + 1);
    assert_true(sample(t, "process_start_time_seconds") == start); /* fixed at start */
    free(t);
    close(fd);
}

static void test_build_info_names_service_version_and_commit(void **state)
{
    char *t;
    const char *p;

    (void)state;
    t = render();
    assert_non_null(strstr(t, "# TYPE build_info gauge\n"));
    p = strstr(t, "\nbuild_info{service=\"svc\",version=\"");
    assert_non_null(p);
    p = strstr(p, "\",commit=\"");
    assert_non_null(p);
    p = strchr(p + 10, '"');
    assert_non_null(p);
    assert_true(p > strstr(t, "\",commit=\"") + 10); /* a non-empty commit ("unknown" at worst) */
    assert_memory_equal(p, "\"} 1\n", 5);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_are_the_documented_ones),
        cmocka_unit_test(test_buckets_are_cumulative_with_inclusive_bounds),
        cmocka_unit_test(test_histogram_text_has_one_header_and_every_bucket),
        cmocka_unit_test(test_state_gauge_shows_exactly_the_current_state),
        cmocka_unit_test(test_process_series_are_present_and_sane),
        cmocka_unit_test(test_build_info_names_service_version_and_commit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
