/* quota: per-user spending limits over the shared counters. */
#include "quota.h"

#include <stdio.h>

#include "config.h"
#include "log.h"
#include "problem.h"
#include "ratelimit.h"
#include "ratelimit_store.h"
#include "server.h"
#include "users_db.h"

#define MIB (1024L * 1024)

struct quota message_quota = {"messages", "messages", 30, 60};
struct quota upload_quota = {"upload_bytes", "uploaded bytes", 200 * MIB, 86400};

void quota_config_from_env(void)
{
    message_quota.limit = config_env_long("MESSAGES_PER_USER_PER_MINUTE", message_quota.limit, 0, 100000);
    upload_quota.limit = config_env_long("UPLOAD_BYTES_PER_USER_PER_DAY", upload_quota.limit, 0, QUOTA_AMOUNT_MAX);
}

static void key_of(char *key, size_t cap, const struct quota *q, long long user_id)
{
    snprintf(key, cap, "%s:user:%lld", q->name, user_id);
}

/* Takes amount back off key's window; says so in the log when the database would not. */
static void take_back(struct request *rq, const char *key, long long window_start, long amount)
{
    enum db_status st = ratelimit_store_take_back(rq->worker->db, key, window_start, amount);

    if (st != DB_OK)
        log_msg(LOG_WARN, rq->request_id, "quota: could not give back %ld of %s (database status %d)", amount, key,
                (int)st);
}

int quota_take(struct request *rq, struct reply *rp, const struct quota *q, long amount, struct quota_spend *spent)
{
    char key[RATELIMIT_KEY_MAX], retry[24];
    struct ratelimit_hit hit;
    enum db_status st;

    *spent = (struct quota_spend){q, 0, 0};
    if (!q->limit)
        return 0;
    key_of(key, sizeof key, q, rq->auth.user_id);
    if ((st = ratelimit_store_add(rq->worker->db, key, q->window_s, amount, &hit)) != DB_OK) {
        users_db_failed(rp, st);
        return -1;
    }
    if (hit.attempts <= q->limit) {
        *spent = (struct quota_spend){q, amount, hit.window_start};
        return 0;
    }
    /* refused, so not spent: the next smaller request may still fit */
    take_back(rq, key, hit.window_start, amount);
    problem(rp, 429, "Too many %s: at most %ld per %ld seconds; try again in %lld seconds.", q->what, q->limit,
            q->window_s, hit.retry_after);
    snprintf(retry, sizeof retry, "%lld", hit.retry_after);
    reply_header(rp, "Retry-After", retry);
    return -1;
}

void quota_refund(struct request *rq, const struct quota_spend *spent)
{
    char key[RATELIMIT_KEY_MAX];

    if (!spent->amount)
        return;
    key_of(key, sizeof key, spent->q, rq->auth.user_id);
    take_back(rq, key, spent->window_start, spent->amount);
}
