/* breaker: sliding-window failure rate, open / half-open / closed. */
#include "breaker.h"

#include <string.h>

static void set_state(struct breaker *b, enum breaker_state to, long long now_ms)
{
    if (b->state == to)
        return;
    b->state = to;
    b->transitions[to]++;
    if (to == BREAKER_OPEN)
        b->opened_at_ms = now_ms;
    if (to == BREAKER_CLOSED) { /* a fresh start: old failures do not count against it */
        memset(b->ok, 0, sizeof b->ok);
        memset(b->failed, 0, sizeof b->failed);
    }
    if (b->on_change)
        b->on_change(to);
}

void breaker_init(struct breaker *b, const struct breaker_config *c)
{
    memset(b, 0, sizeof *b);
    b->cfg = *c;
    if (b->cfg.window_s < 1)
        b->cfg.window_s = 1;
    if (b->cfg.window_s > BREAKER_MAX_BUCKETS)
        b->cfg.window_s = BREAKER_MAX_BUCKETS;
    pthread_mutex_init(&b->lock, NULL);
    for (int i = 0; i < BREAKER_MAX_BUCKETS; i++)
        b->bucket_sec[i] = -1;
}

void breaker_destroy(struct breaker *b)
{
    pthread_mutex_destroy(&b->lock);
}

/* Moves an open breaker whose wait is over to half-open. Caller holds the lock. */
static void refresh(struct breaker *b, long long now_ms)
{
    if (b->state == BREAKER_OPEN && now_ms - b->opened_at_ms >= b->cfg.open_ms) {
        set_state(b, BREAKER_HALF_OPEN, now_ms);
        b->probe_out = 0;
    }
}

enum breaker_ticket breaker_allow(struct breaker *b, long long now_ms)
{
    enum breaker_ticket t = BREAKER_DENY;

    pthread_mutex_lock(&b->lock);
    refresh(b, now_ms);
    if (b->state == BREAKER_CLOSED) {
        t = BREAKER_CALL;
    } else if (b->state == BREAKER_HALF_OPEN && !b->probe_out) {
        b->probe_out = 1; /* exactly one probe at a time */
        t = BREAKER_PROBE;
    }
    pthread_mutex_unlock(&b->lock);
    return t;
}

void breaker_record(struct breaker *b, long long now_ms, int success, enum breaker_ticket t)
{
    long long sec = now_ms / 1000;
    int i = (int)(sec % b->cfg.window_s), calls = 0, fails = 0;

    pthread_mutex_lock(&b->lock);
    if (b->state == BREAKER_HALF_OPEN) {
        if (t == BREAKER_PROBE) {
            b->probe_out = 0;
            set_state(b, success ? BREAKER_CLOSED : BREAKER_OPEN, now_ms);
        }
        goto out;
    }
    if (b->state == BREAKER_OPEN)
        goto out; /* a late answer from before it opened: the wait decides, not this */
    if (b->bucket_sec[i] != sec) {
        b->bucket_sec[i] = sec;
        b->ok[i] = b->failed[i] = 0;
    }
    if (success)
        b->ok[i]++;
    else
        b->failed[i]++;
    if (success)
        goto out;
    for (int k = 0; k < b->cfg.window_s; k++) {
        if (b->bucket_sec[k] > sec - b->cfg.window_s) {
            calls += b->ok[k] + b->failed[k];
            fails += b->failed[k];
        }
    }
    if (calls >= b->cfg.min_calls && fails * 100 >= b->cfg.failure_pct * calls)
        set_state(b, BREAKER_OPEN, now_ms);
out:
    pthread_mutex_unlock(&b->lock);
}

enum breaker_state breaker_state(struct breaker *b, long long now_ms)
{
    enum breaker_state s;

    pthread_mutex_lock(&b->lock);
    refresh(b, now_ms);
    s = b->state;
    pthread_mutex_unlock(&b->lock);
    return s;
}

const char *breaker_state_name(enum breaker_state s)
{
    static const char *const names[] = {"closed", "open", "half_open"};
    return names[s];
}
