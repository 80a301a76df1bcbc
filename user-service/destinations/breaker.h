/* breaker: a process-wide circuit breaker for calls to destination-service.
 *
 * Closed: calls go out; outcomes are counted in a sliding window of one-second buckets.
 * When at least min_calls happened in the window and failure_pct of them failed, it
 * opens: calls fail at once, without network. After open_ms it lets one probe through
 * (half-open); the probe's success closes it, its failure opens it again.
 * Time is passed in by the caller (milliseconds, any monotonic origin), so tests drive it
 * with a fake clock. All functions are thread-safe. */
#ifndef BREAKER_H
#define BREAKER_H

#include <pthread.h>

#define BREAKER_MAX_BUCKETS 60

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN = 1, BREAKER_HALF_OPEN = 2 };

struct breaker_config {
    int window_s;    /* 1..BREAKER_MAX_BUCKETS seconds of history */
    int min_calls;   /* fewer calls than this in the window never open it */
    int failure_pct; /* 1..100 */
    int open_ms;     /* how long it stays open before a probe */
};

struct breaker {
    struct breaker_config cfg;
    pthread_mutex_t lock;
    enum breaker_state state;
    long long opened_at_ms;
    int probe_out; /* a half-open probe is in flight */
    long long bucket_sec[BREAKER_MAX_BUCKETS];
    int ok[BREAKER_MAX_BUCKETS], failed[BREAKER_MAX_BUCKETS];
    long long transitions[3];                 /* entered closed / open / half-open */
    void (*on_change)(enum breaker_state to); /* optional: metrics hook, called under the lock */
};

/* What breaker_allow grants: nothing, an ordinary call, or the one half-open probe. */
enum breaker_ticket { BREAKER_DENY = 0, BREAKER_CALL = 1, BREAKER_PROBE = 2 };

void breaker_init(struct breaker *b, const struct breaker_config *c);
void breaker_destroy(struct breaker *b);

/* Whether a call may go out now: BREAKER_CALL (closed), BREAKER_PROBE (this caller is the
 * half-open probe) or BREAKER_DENY (fail fast). */
enum breaker_ticket breaker_allow(struct breaker *b, long long now_ms);

/* Records the outcome of a call that breaker_allow let out, with the ticket it got. While
 * half-open only the probe's outcome decides: a late answer to a call made before the
 * breaker opened must not close or reopen it. */
void breaker_record(struct breaker *b, long long now_ms, int success, enum breaker_ticket t);

/* The state as of now_ms (an open breaker whose wait is over reads as half-open). */
enum breaker_state breaker_state(struct breaker *b, long long now_ms);

const char *breaker_state_name(enum breaker_state s);

#endif
