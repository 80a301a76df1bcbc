/* bg_task: a background thread's start, naps and stop (see bg_task.h). */
#include "bg_task.h"

#include "deadline.h"
#include "log.h"

/* The thread: the task's function, then out with what it logged. */
static void *run(void *arg)
{
    struct bg_task *t = arg;
    void *r = t->fn(NULL);

    log_flush();
    return r;
}

int bg_task_start(struct bg_task *t, void *(*fn)(void *))
{
    __atomic_store_n(&t->stop, 0, __ATOMIC_RELAXED);
    t->fn = fn;
    if (pthread_create(&t->thread, NULL, run, t) != 0)
        return -1;
    t->running = 1;
    return 0;
}

int bg_task_nap(struct bg_task *t, long ms)
{
    struct timespec until;
    int stop;

    if (ms <= 0)
        return bg_task_stopping(t);
    log_flush(); /* the thread goes idle: its log lines must not wait for the next round */
    deadline_after_ms(CLOCK_REALTIME, ms, &until);
    pthread_mutex_lock(&t->lock);
    while (!t->stop && pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0)
        ;
    stop = t->stop;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

int bg_task_stopping(struct bg_task *t)
{
    return __atomic_load_n(&t->stop, __ATOMIC_RELAXED);
}

void bg_task_stop(struct bg_task *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->running = 0;
}
