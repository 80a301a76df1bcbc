/* hash_gate: a FIFO of jobs, each on its caller's stack, taken by the hashing threads; one
 * mutex and two condition variables (work for the threads; changed for the callers: a job
 * started or ended, a place in the wait freed). */
#include "hash_gate.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
    void (*fn)(void *);
    void *arg;
    enum job_state state;
    struct job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER, changed;
static struct job *head, **tail = &head;
static int slots, waiters_max = 1, queued, stopping;
static long wait_ms = 2000;
#define OVERFLOW_WAIT_MS 10   /* how long a caller that finds the wait full may wait for a place */
static long long avg_us = -1; /* the recent average of one job's duration; -1: none yet */
static pthread_t *threads;
static struct metric *m_refused, *m_busy;

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void *hasher_main(void *unused)
{
    long long t0, t;
    struct job *j;

    (void)unused;
    /* Linux's nice is per thread: only this one yields. Failing leaves it at 0, which is
     * the old behaviour, not an error. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HASH_GATE_NICE);
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!head && !stopping)
            pthread_cond_wait(&work, &lock);
        if (!head)
            break;
        j = head;
        if (!(head = j->next))
            tail = &head;
        queued--;
        j->state = JOB_RUNNING;
        metrics_add(m_busy, 1);           /* under the lock, so the gauge never shows more than the slots */
        pthread_cond_broadcast(&changed); /* a place in the wait is free */
        pthread_mutex_unlock(&lock);
        t0 = now_us();
        j->fn(j->arg);
        t = now_us() - t0;
        pthread_mutex_lock(&lock);
        avg_us = avg_us < 0 ? t : (7 * avg_us + t) / 8;
        j->state = JOB_DONE;
        metrics_add(m_busy, -1);
        pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int hash_gate_setup(int n, long wait, int workers)
{
    pthread_condattr_t a;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &a);
    pthread_condattr_destroy(&a);
    n = n > 0 ? n : 1;
    /* Waiters and hashes together leave at least one worker to the other routes. */
    waiters_max = workers - n - 1 > n ? workers - n - 1 : n;
    wait_ms = wait;
    m_refused = metrics_counter("password_hash_refused_total",
                                "Register, login or password change answered 503: no hashing slot in time.", "");
    m_busy = metrics_gauge("password_hashes_in_progress", "argon2id computations running now.", "");
    if (!(threads = calloc((size_t)n, sizeof *threads)))
        return -1;
    for (slots = 0; slots < n; slots++) {
        if (pthread_create(&threads[slots], NULL, hasher_main, NULL) != 0) {
            log_msg(LOG_ERROR, NULL, "could not start a password hashing thread");
            hash_gate_stop();
            return -1;
        }
    }
    return 0;
}

/* Takes j out of the queue, where it still is. */
static void unqueue(struct job *j)
{
    struct job **p = &head;

    while (*p != j)
        p = &(*p)->next;
    if (!(*p = j->next))
        tail = p;
    queued--;
    pthread_cond_broadcast(&changed);
}

int hash_gate_run(struct reply *rp, void (*fn)(void *arg), void *arg)
{
    struct job j = {fn, arg, JOB_QUEUED, NULL};
    struct timespec until, place;
    int ran = 0, full;

    deadline_after_ms(CLOCK_MONOTONIC, wait_ms, &until);
    deadline_after_ms(CLOCK_MONOTONIC, wait_ms < OVERFLOW_WAIT_MS ? wait_ms : OVERFLOW_WAIT_MS, &place);
    pthread_mutex_lock(&lock);
    /* A waiter holds a worker as surely as a hash does. A caller that finds the wait full
     * holds the last one: it waits (OVERFLOW_WAIT_MS at most) only when jobs are short
     * enough that a place is likely to free in that time, and is refused at once otherwise;
     * with real hashing parameters that is always, so a flood never holds the last worker,
     * while jobs of microseconds (a test's parameters) that happen to meet still pass. */
    full = queued >= waiters_max;
    if (full && avg_us * 2 <= OVERFLOW_WAIT_MS * 1000)
        while ((full = queued >= waiters_max) && pthread_cond_timedwait(&changed, &lock, &place) == 0)
            ;
    if (!full) {
        *tail = &j;
        tail = &j.next;
        queued++;
        pthread_cond_signal(&work);
        while (j.state == JOB_QUEUED && pthread_cond_timedwait(&changed, &lock, &until) == 0)
            ;
        if (j.state == JOB_QUEUED)
            unqueue(&j);
        else
            ran = 1;
        while (j.state != JOB_DONE && ran) /* started: j lives on this stack until it ends */
            pthread_cond_wait(&changed, &lock);
    }
    pthread_mutex_unlock(&lock);
    if (!ran) {
        metrics_add(m_refused, 1);
        problem(rp, 503, "Too many passwords are being checked right now; retry in a second.");
        reply_header(rp, "Retry-After", HASH_GATE_RETRY_AFTER);
        return -1;
    }
    return 0;
}

void hash_gate_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&work);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < slots; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    threads = NULL;
    slots = 0;
}
