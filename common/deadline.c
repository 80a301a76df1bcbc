/* deadline: see deadline.h. */
#include "deadline.h"

#define NS_PER_S 1000000000L

void deadline_after_ms(clockid_t clock, long ms, struct timespec *out)
{
    clock_gettime(clock, out);
    out->tv_sec += ms / 1000;
    out->tv_nsec += (ms % 1000) * 1000000L;
    if (out->tv_nsec >= NS_PER_S) {
        out->tv_sec++;
        out->tv_nsec -= NS_PER_S;
    }
}
