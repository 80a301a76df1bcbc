/* hash_gate: a counting semaphore with a timed wait (mutex + condition variable on the
 * monotonic clock), and two metrics for the operator. */
#include "hash_gate.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "deadline.h"
#include "metrics.h"
#include "problem.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed;
static int slots = 1, waiters_max = 1, busy, waiting; /* waiting: callers in the timed wait */
static long wait_ms = 2000;
#define OVERFLOW_WAIT_MS 10 /* the wait of a caller that finds the wait full */
static struct metric *m_refused, *m_busy;

void hash_gate_setup(int n, long wait, int workers)
{
    pthread_condattr_t a;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&freed, &a);
    pthread_condattr_destroy(&a);
    slots = n > 0 ? n : 1;
    /* Waiters and hashes together leave at least one worker to the other routes. */
    waiters_max = workers - slots - 1 > slots ? workers - slots - 1 : slots;
    wait_ms = wait;
    m_refused = metrics_counter("password_hash_refused_total",
                                "Register, login or password change answered 503: no hashing slot in time.", "");
    m_busy = metrics_gauge("password_hashes_in_progress", "argon2id computations running now.", "");
}

int hash_gate_enter(struct reply *rp)
{
    struct timespec until;
    int rc = 0;

    pthread_mutex_lock(&lock);
    /* A waiter holds a worker as surely as a hash does: past waiters_max, a caller waits only
     * OVERFLOW_WAIT_MS, so that hashing and waiting never hold every worker for long, while
     * short hashes that happen to meet still pass. */
    deadline_after_ms(
        CLOCK_MONOTONIC,
        busy >= slots && waiting >= waiters_max && wait_ms > OVERFLOW_WAIT_MS ? OVERFLOW_WAIT_MS : wait_ms, &until);
    waiting++;
    while (busy >= slots && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&freed, &lock, &until);
    waiting--;
    if (busy < slots) {
        busy++;
        metrics_add(m_busy, 1); /* under the lock, so the gauge never shows more than the slots */
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    if (rc) {
        metrics_add(m_refused, 1);
        problem(rp, 503, "Too many passwords are being checked right now; retry in a second.");
        reply_header(rp, "Retry-After", HASH_GATE_RETRY_AFTER);
        return -1;
    }
    return 0;
}

void hash_gate_leave(void)
{
    pthread_mutex_lock(&lock);
    busy--;
    metrics_add(m_busy, -1);
    pthread_cond_signal(&freed);
    pthread_mutex_unlock(&lock);
}
