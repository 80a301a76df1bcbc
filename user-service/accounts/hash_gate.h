/* hash_gate: argon2id computations (hash or verify) on a few hashing threads of their own.
 *
 * A hash costs tens of milliseconds of CPU and megabytes of memory, and register, login
 * and password change are reachable without a token; without a bound, a flood of them
 * keeps every worker hashing and every other route waits. So a worker never hashes itself:
 * it hands the work to one of `slots` hashing threads and waits for it. Those threads run
 * at a lower CPU priority (nice HASH_GATE_NICE), so that on a busy machine the hashes yield
 * the processor to the requests that do not hash. A waiting caller holds a worker all the
 * same, so at most workers - slots - 1 callers (at least slots) may wait for a hashing
 * thread; one that finds the wait full waits 10 ms only for a place in it. A caller that
 * finds no place, or whose work has not started within its wait, answers 503 with
 * Retry-After. */
#ifndef HASH_GATE_H
#define HASH_GATE_H

#include "reply.h"

#define HASH_GATE_RETRY_AFTER "1" /* seconds: a slot frees within one hash's time */
#define HASH_GATE_NICE 10         /* the hashing threads' nice value, above the workers' 0 */

/* Starts `slots` (>= 1) hashing threads; wait_ms is the longest wait for one to take a
 * caller's work, and workers the number of workers the waiters are bounded by. 0, or -1
 * when no thread could be started. */
int hash_gate_setup(int slots, long wait_ms, int workers);

/* Runs fn(arg) on a hashing thread and returns once it has run: 0. -1 when it did not run
 * at all (no place in the wait within 10 ms, or no thread took it within wait_ms), with rp
 * holding a 503 + Retry-After. Work that has started is always waited for to its end. */
int hash_gate_run(struct reply *rp, void (*fn)(void *arg), void *arg);

/* Stops and joins the hashing threads (at shutdown, when no worker runs any more). */
void hash_gate_stop(void);

#endif
