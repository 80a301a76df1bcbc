/* dest_feed: user-service's follower of destination-service's change feed
 * (GET /internal/v1/destinations/changes, common/internal_api.h; docs/resilience.md).
 *
 * A thread of its own polls the feed every DEST_FEED_POLL_MS from a cursor kept in the users
 * database (dest_feed_cursor). For each page it first tells the request path's cache
 * (delete: the id is refused from then on; create/update: the id is valid at once), then,
 * in one users-database transaction, marks the reviews and plan stops naming a deleted id
 * destination_missing and advances the cursor — so a change is applied to the database
 * exactly once, across restarts and replicas. A 410 (the cursor fell out of the retention,
 * or the log was reset) or a first start without a cursor: the cache is cleared, one full
 * reconcile runs, and the follower goes on from the sequence it read before reconciling.
 * destination-service down: backoff up to DEST_FEED_BACKOFF_MAX_MS, then on from the cursor.
 *
 * The answer parser is pure and bounded, for unit tests and tests/fuzz/fuzz_feed.c. */
#ifndef DEST_FEED_H
#define DEST_FEED_H

#include <stddef.h>

#include "db_status.h"
#include "internal_api.h"

enum dest_feed_op { DEST_FEED_CREATE = 0, DEST_FEED_UPDATE = 1, DEST_FEED_DELETE = 2 };

struct dest_feed_change {
    long long seq, id;
    enum dest_feed_op op;
};

/* One answer of the feed, parsed. */
struct dest_feed_page {
    size_t n;
    struct dest_feed_change changes[INTERNAL_CHANGES_LIMIT_MAX];
    long long next_after, last_seq;
};

enum dest_feed_parse {
    DEST_FEED_PAGE = 0, /* a 200 page: changes, next_after, last_seq */
    DEST_FEED_GONE,     /* a 410: last_seq set (the sequence to go on from after a reconcile) */
    DEST_FEED_BAD,      /* anything else: not JSON, wrong shape, out of order, out of range */
};

/* Parses the answer (status, body[0..len), not NUL-terminated) to a request with cursor
 * after and the given limit. A page is accepted only if it keeps the contract: at most
 * limit changes, seq strictly increasing and > after, ids and sequences exact positive
 * integers (<= INTERNAL_SEQ_MAX), op one of the three, next_after = the last seq (or after
 * when empty), last_seq >= next_after. Anything else is DEST_FEED_BAD and nothing of it
 * may be applied. */
enum dest_feed_parse dest_feed_parse(int status, const char *body, size_t len, long long after, size_t limit,
                                     struct dest_feed_page *out);

/* Starts the follower (none when DEST_FEED_POLL_MS is 0). 0, or -1. */
int dest_feed_start(const struct db_options *dbo, const char *internal_token);
void dest_feed_stop(void);

#endif
