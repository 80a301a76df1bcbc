/* metrics: fixed-size counters and a growing text buffer for /metrics. */
#include "metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dynbuf.h"

#ifndef ECOMOVEX_VERSION
#define ECOMOVEX_VERSION "0.0.0-dev"
#endif
#ifndef ECOMOVEX_COMMIT /* the Makefile passes git's short hash when it can */
#define ECOMOVEX_COMMIT "unknown"
#endif

#define STATUS_MIN 100
#define STATUS_SLOTS 500 /* 100..599 */
#define NBUCKETS 12
#define METHOD_SLOTS 8
#define METRICS_TEXT_MAX (16u << 20) /* a render larger than 16 MiB is a bug, not a scrape */

static const double bucket_le[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
static const char *const methods[METHOD_SLOTS] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "OTHER"};
static const char *const builtin_names[METRICS_NBUILTIN] = {"/healthz", "/readyz", "/metrics", "unmatched"};

struct slot_stats {
    unsigned long long count[METHOD_SLOTS][STATUS_SLOTS];
    unsigned long long bucket[NBUCKETS + 1]; /* last: +Inf */
    unsigned long long sum_us;
};

enum metric_kind { KIND_COUNTER = 0, KIND_GAUGE, KIND_STATE };

struct metric {
    const char *name, *help, *labels;
    long long value;
    const char *const *states; /* KIND_STATE: labels is the label's name, states its values */
    enum metric_kind kind;
    int nstates;
};

struct metrics_histogram {
    const char *name, *help, *labels;
    unsigned long long bucket[METRICS_HIST_BUCKETS + 1]; /* not cumulative; last: above every bound */
    unsigned long long sum_ns;
};

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,   0.25,   0.5,   1.0,  2.5};

static const char *svc = "";
static const struct route *route_table;
static size_t nroute;
static struct slot_stats *slots;
static struct metric named[METRICS_MAX_NAMED];
static int nnamed;
static struct metrics_histogram hists[METRICS_MAX_HISTOGRAMS];
static int nhists;
static double start_time; /* unix seconds, for process_start_time_seconds */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double metrics_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int metrics_init(const char *service, const struct route *routes, size_t nroutes)
{
    if (!start_time)
        start_time = wall_now();
    svc = service;
    route_table = routes;
    nroute = nroutes;
    slots = calloc(nroutes + METRICS_NBUILTIN, sizeof *slots);
    return slots ? 0 : -1;
}

void metrics_free(void)
{
    free(slots);
    slots = NULL;
}

int metrics_builtin_slot(enum metrics_builtin b)
{
    return (int)nroute + (int)b;
}

static int method_index(const char *m)
{
    for (int i = 0; i < METHOD_SLOTS - 1; i++)
        if (strcmp(m, methods[i]) == 0)
            return i;
    return METHOD_SLOTS - 1;
}

void metrics_request(int slot, const char *method, int status, double seconds)
{
    struct slot_stats *s;
    int b = 0;

    if (!slots || slot < 0 || slot >= (int)(nroute + METRICS_NBUILTIN))
        return;
    s = &slots[slot];
    if (status < STATUS_MIN || status >= STATUS_MIN + STATUS_SLOTS)
        status = 500;
    __atomic_fetch_add(&s->count[method_index(method)][status - STATUS_MIN], 1, __ATOMIC_RELAXED);
    while (b < NBUCKETS && seconds > bucket_le[b])
        b++;
    __atomic_fetch_add(&s->bucket[b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->sum_us, (unsigned long long)(seconds * 1e6), __ATOMIC_RELAXED);
}

static struct metric *add_named(const char *name, const char *help, const char *labels, enum metric_kind kind)
{
    struct metric *m;

    if (nnamed == METRICS_MAX_NAMED)
        return NULL;
    m = &named[nnamed++];
    m->name = name;
    m->help = help;
    m->labels = labels ? labels : "";
    m->kind = kind;
    return m;
}

struct metric *metrics_counter(const char *name, const char *help, const char *labels)
{
    return add_named(name, help, labels, KIND_COUNTER);
}

struct metric *metrics_gauge(const char *name, const char *help, const char *labels)
{
    return add_named(name, help, labels, KIND_GAUGE);
}

struct metric *metrics_state_gauge(const char *name, const char *help, const char *label, const char *const *values,
                                   int n)
{
    struct metric *m = n > 0 ? add_named(name, help, label, KIND_STATE) : NULL;

    if (m) {
        m->states = values;
        m->nstates = n;
    }
    return m;
}

struct metrics_histogram *metrics_histogram(const char *name, const char *help, const char *labels)
{
    struct metrics_histogram *h;

    if (nhists == METRICS_MAX_HISTOGRAMS)
        return NULL;
    h = &hists[nhists++];
    memset(h, 0, sizeof *h);
    h->name = name;
    h->help = help;
    h->labels = labels ? labels : "";
    return h;
}

void metrics_observe(struct metrics_histogram *h, double seconds)
{
    int b = 0;

    if (!h)
        return;
    if (!(seconds > 0)) /* negative or NaN: a clock oddity, counted as no time */
        seconds = 0;
    while (b < METRICS_HIST_BUCKETS && seconds > metrics_hist_bounds[b])
        b++;
    __atomic_fetch_add(&h->bucket[b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum_ns, (unsigned long long)(seconds * 1e9), __ATOMIC_RELAXED);
}

void metrics_add(struct metric *m, long long n)
{
    if (m)
        __atomic_fetch_add(&m->value, n, __ATOMIC_RELAXED);
}

void metrics_set(struct metric *m, long long v)
{
    if (m)
        __atomic_store_n(&m->value, v, __ATOMIC_RELAXED);
}

long long metrics_get(const struct metric *m)
{
    return m ? __atomic_load_n(&m->value, __ATOMIC_RELAXED) : 0;
}

static const char *slot_route(size_t i)
{
    return i < nroute ? route_table[i].pattern : builtin_names[i - nroute];
}

static const char *slot_method(size_t i, int m)
{
    (void)i;
    return methods[m];
}

static void render_requests(struct dynbuf *t)
{
    size_t nslots = nroute + METRICS_NBUILTIN;

    dynbuf_printf(t, "# HELP http_requests_total Requests answered, by route, method and status.\n");
    dynbuf_printf(t, "# TYPE http_requests_total counter\n");
    for (size_t i = 0; i < nslots; i++)
        for (int m = 0; m < METHOD_SLOTS; m++)
            for (int st = 0; st < STATUS_SLOTS; st++) {
                unsigned long long c = __atomic_load_n(&slots[i].count[m][st], __ATOMIC_RELAXED);
                if (c)
                    dynbuf_printf(t,
                                  "http_requests_total{service=\"%s\",route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
                                  svc, slot_route(i), slot_method(i, m), st + STATUS_MIN, c);
            }
    dynbuf_printf(t, "# HELP http_request_duration_seconds Time from request received to reply ready.\n");
    dynbuf_printf(t, "# TYPE http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < nslots; i++) {
        unsigned long long cum = 0;
        for (int b = 0; b <= NBUCKETS; b++)
            cum += __atomic_load_n(&slots[i].bucket[b], __ATOMIC_RELAXED);
        if (!cum)
            continue;
        cum = 0;
        for (int b = 0; b < NBUCKETS; b++) {
            cum += __atomic_load_n(&slots[i].bucket[b], __ATOMIC_RELAXED);
            dynbuf_printf(t, "http_request_duration_seconds_bucket{service=\"%s\",route=\"%s\",le=\"%g\"} %llu\n", svc,
                          slot_route(i), bucket_le[b], cum);
        }
        cum += __atomic_load_n(&slots[i].bucket[NBUCKETS], __ATOMIC_RELAXED);
        dynbuf_printf(t, "http_request_duration_seconds_bucket{service=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n", svc,
                      slot_route(i), cum);
        dynbuf_printf(t, "http_request_duration_seconds_sum{service=\"%s\",route=\"%s\"} %.6f\n", svc, slot_route(i),
                      (double)__atomic_load_n(&slots[i].sum_us, __ATOMIC_RELAXED) / 1e6);
        dynbuf_printf(t, "http_request_duration_seconds_count{service=\"%s\",route=\"%s\"} %llu\n", svc, slot_route(i),
                      cum);
    }
}

static void render_header(struct dynbuf *t, const char *name, const char *help, const char *type)
{
    dynbuf_printf(t, "# HELP %s %s\n", name, help);
    dynbuf_printf(t, "# TYPE %s %s\n", name, type);
}

static void render_named(struct dynbuf *t)
{
    static const char *const types[] = {"counter", "gauge", "gauge"};

    for (int i = 0; i < nnamed; i++) {
        const struct metric *m = &named[i];
        long long v = __atomic_load_n(&m->value, __ATOMIC_RELAXED);

        if (i == 0 || strcmp(named[i - 1].name, m->name) != 0)
            render_header(t, m->name, m->help, types[m->kind]);
        if (m->kind != KIND_STATE) {
            dynbuf_printf(t, "%s{service=\"%s\"%s%s} %lld\n", m->name, svc, *m->labels ? "," : "", m->labels, v);
            continue;
        }
        for (int k = 0; k < m->nstates; k++)
            dynbuf_printf(t, "%s{service=\"%s\",%s=\"%s\"} %d\n", m->name, svc, m->labels, m->states[k], k == v);
    }
}

/* One histogram's series. The count is the sum of the buckets read, so _count always equals
 * the +Inf bucket even while other threads observe. */
static void render_histogram(struct dynbuf *t, const struct metrics_histogram *h)
{
    const char *sep = *h->labels ? "," : "";
    unsigned long long cum = 0;

    for (int b = 0; b <= METRICS_HIST_BUCKETS; b++) {
        char le[32];
        cum += __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
        if (b < METRICS_HIST_BUCKETS)
            snprintf(le, sizeof le, "%g", metrics_hist_bounds[b]);
        else
            snprintf(le, sizeof le, "+Inf");
        dynbuf_printf(t, "%s_bucket{service=\"%s\"%s%s,le=\"%s\"} %llu\n", h->name, svc, sep, h->labels, le, cum);
    }
    dynbuf_printf(t, "%s_sum{service=\"%s\"%s%s} %.9f\n", h->name, svc, sep, h->labels,
                  (double)__atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED) / 1e9);
    dynbuf_printf(t, "%s_count{service=\"%s\"%s%s} %llu\n", h->name, svc, sep, h->labels, cum);
}

static void render_histograms(struct dynbuf *t)
{
    for (int i = 0; i < nhists; i++) {
        if (i == 0 || strcmp(hists[i - 1].name, hists[i].name) != 0)
            render_header(t, hists[i].name, hists[i].help, "histogram");
        render_histogram(t, &hists[i]);
    }
}

/* Resident and virtual bytes from /proc/self/statm. 0, or -1 when it cannot be read. */
static int read_statm(double *rss, double *vsz)
{
    unsigned long long size = 0, resident = 0;
    long page = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "r");
    int n;

    if (!f)
        return -1;
    n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    if (n != 2 || page <= 0)
        return -1;
    *vsz = (double)size * (double)page;
    *rss = (double)resident * (double)page;
    return 0;
}

/* Open descriptors: the entries of /proc/self/fd, less the one reading it. -1 when unreadable. */
static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

/* The standard process_* series (no service label, as every Prometheus client renders them). */
static void render_process(struct dynbuf *t)
{
    struct rusage ru;
    struct rlimit rl;
    double rss, vsz;
    long fds = count_fds();

    if (!start_time)
        start_time = wall_now();
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                     (double)ru.ru_stime.tv_usec / 1e6;
        render_header(t, "process_cpu_seconds_total", "User and system CPU time spent, in seconds.", "counter");
        dynbuf_printf(t, "process_cpu_seconds_total %.6f\n", cpu);
    }
    if (read_statm(&rss, &vsz) == 0) {
        render_header(t, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
        dynbuf_printf(t, "process_resident_memory_bytes %.0f\n", rss);
        render_header(t, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
        dynbuf_printf(t, "process_virtual_memory_bytes %.0f\n", vsz);
    }
    if (fds >= 0) {
        render_header(t, "process_open_fds", "Number of open file descriptors.", "gauge");
        dynbuf_printf(t, "process_open_fds %ld\n", fds);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        render_header(t, "process_max_fds", "Maximum number of open file descriptors.", "gauge");
        dynbuf_printf(t, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
    render_header(t, "process_start_time_seconds", "Start time of the process since the unix epoch, in seconds.",
                  "gauge");
    dynbuf_printf(t, "process_start_time_seconds %.3f\n", start_time);
}

static void render_build_info(struct dynbuf *t)
{
    render_header(t, "build_info", "Always 1; the labels name the build that is running.", "gauge");
    dynbuf_printf(t, "build_info{service=\"%s\",version=\"%s\",commit=\"%s\"} 1\n", svc, ECOMOVEX_VERSION,
                  ECOMOVEX_COMMIT);
}

char *metrics_render(size_t *len)
{
    struct dynbuf t;

    dynbuf_init(&t, METRICS_TEXT_MAX);
    if (slots)
        render_requests(&t);
    render_named(&t);
    render_histograms(&t);
    render_process(&t);
    render_build_info(&t);
    return dynbuf_take(&t, len);
}
