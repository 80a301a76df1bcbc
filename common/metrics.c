/* metrics: fixed-size counters and a growing text buffer for /metrics. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"

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

struct metric {
    const char *name, *help, *labels;
    int is_gauge;
    long long value;
};

static const char *svc = "";
static const struct route *route_table;
static size_t nroute;
static struct slot_stats *slots;
static struct metric named[METRICS_MAX_NAMED];
static int nnamed;

int metrics_init(const char *service, const struct route *routes, size_t nroutes)
{
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

static struct metric *add_named(const char *name, const char *help, const char *labels, int gauge)
{
    struct metric *m;

    if (nnamed == METRICS_MAX_NAMED)
        return NULL;
    m = &named[nnamed++];
    m->name = name;
    m->help = help;
    m->labels = labels ? labels : "";
    m->is_gauge = gauge;
    return m;
}

struct metric *metrics_counter(const char *name, const char *help, const char *labels)
{
    return add_named(name, help, labels, 0);
}

struct metric *metrics_gauge(const char *name, const char *help, const char *labels)
{
    return add_named(name, help, labels, 1);
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

char *metrics_render(size_t *len)
{
    struct dynbuf t;

    dynbuf_init(&t, METRICS_TEXT_MAX);
    if (slots)
        render_requests(&t);
    for (int i = 0; i < nnamed; i++) {
        const struct metric *m = &named[i];
        if (i == 0 || strcmp(named[i - 1].name, m->name) != 0) {
            dynbuf_printf(&t, "# HELP %s %s\n", m->name, m->help);
            dynbuf_printf(&t, "# TYPE %s %s\n", m->name, m->is_gauge ? "gauge" : "counter");
        }
        dynbuf_printf(&t, "%s{service=\"%s\"%s%s} %lld\n", m->name, svc, *m->labels ? "," : "", m->labels,
                      __atomic_load_n(&m->value, __ATOMIC_RELAXED));
    }
    return dynbuf_take(&t, len);
}
