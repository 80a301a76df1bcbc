/* quota: what one user may spend per window — assistant messages per minute, upload bytes
 * per day — counted in PostgreSQL (ratelimit_store, keys "<name>:user:<id>") so that every
 * replica shares the counters, like the login limits. */
#ifndef QUOTA_H
#define QUOTA_H

#include "reply.h"
#include "request.h"

#define QUOTA_AMOUNT_MAX 1000000000L /* the counters saturate here (ratelimit_store) */

struct quota {
    const char *name; /* key prefix and the variable's subject, e.g. "messages" */
    const char *what; /* how a 429 names what was spent, e.g. "messages" */
    long limit;       /* per user per window; 0: no quota */
    long window_s;
};

extern struct quota message_quota; /* MESSAGES_PER_USER_PER_MINUTE, default 30 */
extern struct quota upload_quota;  /* UPLOAD_BYTES_PER_USER_PER_DAY, default 200 MiB */

/* Reads both quotas from the environment; a bad value exits 2 naming the variable. */
void quota_config_from_env(void);

/* What one quota_take spent, so that a request whose work then fails can give it back. */
struct quota_spend {
    const struct quota *q;
    long amount; /* 0: nothing was spent (no quota) */
    long long window_start;
};

/* Spends amount (1..QUOTA_AMOUNT_MAX) of q for the authenticated user of rq, into *spent.
 * 0 to go on; -1 with rp filled: 429 with Retry-After (nothing spent: the amount is taken
 * back), or 503 when the users database is down. */
int quota_take(struct request *rq, struct reply *rp, const struct quota *q, long amount, struct quota_spend *spent);

/* Gives back what spent holds: the work it paid for failed (a database or disk error), so
 * the user keeps the amount. A failure to give back is logged, never answered: the counter
 * then errs on the side of the limit, and the window's end clears it. */
void quota_refund(struct request *rq, const struct quota_spend *spent);

#endif
