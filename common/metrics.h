/* metrics: Prometheus text exposition of request counts, latencies, named counters, gauges
 * and histograms, the process_* series of the process itself and a build_info gauge.
 *
 * Counters are plain integers updated with relaxed atomics: any thread may update them,
 * and rendering reads a slightly stale but consistent-enough snapshot. Named metrics are
 * registered at start-up, before the worker threads run. */
#ifndef ECOMOVEX_METRICS_H
#define ECOMOVEX_METRICS_H

#include <stddef.h>

#include "router.h"

#define METRICS_MAX_NAMED 64
#define METRICS_MAX_HISTOGRAMS 16
#define METRICS_HIST_BUCKETS 11 /* finite bounds of a named histogram; +Inf comes on top */

struct metric;
struct metrics_histogram;

/* Allocates the per-route tables: one slot per route plus the built-in and unmatched
 * paths. Returns 0, or -1 when out of memory. */
int metrics_init(const char *service, const struct route *routes, size_t nroutes);

/* Slots for requests that did not match a route of the table. */
enum metrics_builtin { METRICS_HEALTHZ = 0, METRICS_READYZ, METRICS_METRICS, METRICS_UNMATCHED, METRICS_NBUILTIN };

/* Slot of a built-in path (routes come first: slot i is route i). */
int metrics_builtin_slot(enum metrics_builtin b);

/* Counts one answered request of slot with status, and its duration. */
void metrics_request(int slot, const char *method, int status, double seconds);

/* Registers a counter or gauge called name with fixed labels ("outcome=\"ok\"", or "").
 * Metrics sharing a name must be registered one after another. NULL when full. */
struct metric *metrics_counter(const char *name, const char *help, const char *labels);
struct metric *metrics_gauge(const char *name, const char *help, const char *labels);

/* Registers a gauge that names one of n states: rendered as one series per state,
 * name{label="values[k]"}, 1 for the current state and 0 for the others. metrics_set picks
 * the state by its index (starts at 0). values must outlive the process. */
struct metric *metrics_state_gauge(const char *name, const char *help, const char *label, const char *const *values,
                                   int n);

void metrics_add(struct metric *m, long long n);
void metrics_set(struct metric *m, long long v);
long long metrics_get(const struct metric *m);

/* Registers a latency histogram in seconds with the fixed bounds of metrics_hist_bounds, and
 * fixed labels as for metrics_counter. Same registration rules; NULL when full. */
struct metrics_histogram *metrics_histogram(const char *name, const char *help, const char *labels);

/* Counts one observation of seconds (any thread; NULL h does nothing). */
void metrics_observe(struct metrics_histogram *h, double seconds);

/* The upper bounds of a named histogram's finite buckets, in seconds, ascending. */
extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];

/* Monotonic clock in seconds, for timing what metrics_observe is given. */
double metrics_now(void);

/* Renders everything in the Prometheus text format. Returns a malloc'd string (caller
 * frees) and its length in *len, or NULL when out of memory. */
char *metrics_render(size_t *len);

/* Frees the tables (at exit, for leak checkers). */
void metrics_free(void);

#endif
