/* bg_task: one background thread of a daemon (user-service's reconciler and change-feed
 * follower, destination-service's search index sync) that sleeps between rounds and stops
 * at once when asked: start, nap, stop. Each task keeps its own database connection and
 * client; only the thread's life is here. */
#ifndef BG_TASK_H
#define BG_TASK_H

#include <pthread.h>

struct bg_task {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, stop; /* stop: read by the thread (also as reconcile_run's flag) */
    void *(*fn)(void *);
};

#define BG_TASK_INIT                                                                                                   \
    {                                                                                                                  \
        .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER                                            \
    }

/* Starts fn(NULL) on a new thread. 0, or -1 when no thread could be made. The thread's
 * buffered log lines (log.h) are written out whenever it naps and when fn returns. */
int bg_task_start(struct bg_task *t, void *(*fn)(void *));

/* Sleeps ms (0: not at all) or until bg_task_stop. 1 when the task is stopping. */
int bg_task_nap(struct bg_task *t, long ms);

/* 1 once bg_task_stop has been called. */
int bg_task_stopping(struct bg_task *t);

/* Wakes the thread from its nap, asks it to stop and waits for it; nothing when not running. */
void bg_task_stop(struct bg_task *t);

#endif
