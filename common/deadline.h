/* deadline: an absolute time some milliseconds from now, for pthread_cond_timedwait. */
#ifndef ECOMOVEX_DEADLINE_H
#define ECOMOVEX_DEADLINE_H

#include <time.h>

/* *out = the time on clock (the one the condition variable waits on) ms milliseconds from
 * now; ms >= 0. */
void deadline_after_ms(clockid_t clock, long ms, struct timespec *out);

#endif
