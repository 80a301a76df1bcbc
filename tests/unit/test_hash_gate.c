/* test_hash_gate.c - unit tests for user-service/accounts/hash_gate.c: work runs on a hashing
 * thread of lower priority, at most workers - slots - 1 callers wait, a full wait is refused
 * within 10 ms, and work not started within the wait never runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hash_gate.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A job that records where it ran and, when asked, holds its thread until released. */
struct probe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int hold, started, ran;
    long tid;
    int nice;
};

static struct probe held = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0};

static void job(void *arg)
{
    struct probe *p = arg;

    pthread_mutex_lock(&p->lock);
    p->started = 1;
    p->tid = (long)syscall(SYS_gettid);
    p->nice = getpriority(PRIO_PROCESS, (id_t)p->tid);
    pthread_cond_broadcast(&p->cond);
    while (p->hold)
        pthread_cond_wait(&p->cond, &p->lock);
    p->ran = 1;
    pthread_mutex_unlock(&p->lock);
}

struct caller {
    pthread_t thread;
    struct probe *p;
    int rc, status;
};

static void *call(void *arg)
{
    struct caller *c = arg;
    struct reply rp;

    memset(&rp, 0, sizeof rp);
    c->rc = hash_gate_run(&rp, job, c->p);
    c->status = rp.status;
    reply_free(&rp);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    /* one slot, a 300 ms wait, four workers: two callers may wait */
    return hash_gate_setup(1, 300, 4);
}

static int teardown(void **state)
{
    (void)state;
    hash_gate_stop();
    return 0;
}

static void test_work_runs_on_a_hashing_thread_of_lower_priority(void **state)
{
    struct probe p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0};
    struct reply rp;

    (void)state;
    memset(&rp, 0, sizeof rp);
    assert_int_equal(hash_gate_run(&rp, job, &p), 0);
    assert_int_equal(rp.status, 0);
    assert_int_equal(p.ran, 1);
    assert_int_not_equal(p.tid, (long)syscall(SYS_gettid));
    assert_int_equal(p.nice, HASH_GATE_NICE);
}

/* Holds the one slot with `held` and returns its caller, once the job has started. */
static void hold_the_slot(struct caller *c)
{
    held.hold = 1;
    held.started = 0;
    c->p = &held;
    assert_int_equal(pthread_create(&c->thread, NULL, call, c), 0);
    pthread_mutex_lock(&held.lock);
    while (!held.started)
        pthread_cond_wait(&held.cond, &held.lock);
    pthread_mutex_unlock(&held.lock);
}

static void release_the_slot(struct caller *c)
{
    pthread_mutex_lock(&held.lock);
    held.hold = 0;
    pthread_cond_broadcast(&held.cond);
    pthread_mutex_unlock(&held.lock);
    pthread_join(c->thread, NULL);
    assert_int_equal(c->rc, 0);
}

static void test_a_full_wait_is_refused_within_10_ms_and_the_waiters_run_in_turn(void **state)
{
    struct probe w[2] = {{PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0},
                         {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0}};
    struct probe extra = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0};
    struct caller holder, waiter[2], late = {.p = &extra};
    double t0;

    (void)state;
    hold_the_slot(&holder);
    for (int i = 0; i < 2; i++) {
        waiter[i].p = &w[i];
        assert_int_equal(pthread_create(&waiter[i].thread, NULL, call, &waiter[i]), 0);
    }
    usleep(200 * 1000); /* both are in the wait by now */
    t0 = now_s();
    call(&late);
    assert_int_equal(late.rc, -1);
    assert_int_equal(late.status, 503);
    assert_true(now_s() - t0 < 0.1); /* after 10 ms, not after the 300 ms wait */
    assert_int_equal(extra.ran, 0);
    release_the_slot(&holder);
    for (int i = 0; i < 2; i++) {
        pthread_join(waiter[i].thread, NULL);
        assert_int_equal(waiter[i].rc, 0);
        assert_int_equal(w[i].ran, 1);
    }
}

static void test_work_not_started_within_the_wait_never_runs(void **state)
{
    struct probe p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0};
    struct caller holder, waiter = {.p = &p};
    double t0;

    (void)state;
    hold_the_slot(&holder);
    t0 = now_s();
    call(&waiter);
    assert_int_equal(waiter.rc, -1);
    assert_int_equal(waiter.status, 503);
    assert_true(now_s() - t0 >= 0.29);
    release_the_slot(&holder);
    /* the slot is free again, and the timed-out job was taken out of the queue */
    waiter.rc = 1;
    call(&waiter);
    assert_int_equal(waiter.rc, 0);
    assert_int_equal(p.ran, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_runs_on_a_hashing_thread_of_lower_priority),
        cmocka_unit_test(test_a_full_wait_is_refused_within_10_ms_and_the_waiters_run_in_turn),
        cmocka_unit_test(test_work_not_started_within_the_wait_never_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
