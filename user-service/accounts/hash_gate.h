/* hash_gate: at most a set number of argon2id computations (hash or verify) at once.
 *
 * A hash costs tens of milliseconds of CPU and megabytes of memory, and register, login
 * and password change are reachable without a token; without a bound, a flood of them
 * keeps every worker hashing and every other route waits. The gate leaves the other
 * workers free: a waiting caller holds a worker too, so at most workers - slots - 1 callers
 * (at least slots) may wait the full wait; one that finds the wait full waits 10 ms only. A
 * caller that cannot enter within its wait answers 503 with Retry-After. */
#ifndef HASH_GATE_H
#define HASH_GATE_H

#include "reply.h"

#define HASH_GATE_RETRY_AFTER "1" /* seconds: a slot frees within one hash's time */

/* Sets the number of slots (>= 1), the longest wait for one in milliseconds, and the number
 * of workers the waiters are bounded by. */
void hash_gate_setup(int slots, long wait_ms, int workers);

/* Takes a slot. 0, or -1 after wait_ms without one (10 ms when the wait is full), with rp
 * holding a 503 + Retry-After. */
int hash_gate_enter(struct reply *rp);

/* Gives the slot back. */
void hash_gate_leave(void);

#endif
