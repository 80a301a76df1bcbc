/* fuzz_feed: the change-feed answers user-service's follower parses (dest_feed.h).
 *
 * Input: first byte picks the status (even: 200, odd: 410), the next two the cursor asked
 * (0..65535) and the limit (1..256), the rest is the body, given with its length and no
 * terminator. Whatever dest_feed_parse accepts must keep the contract it promises — what
 * the follower applies without a second look: at most limit changes, sequences strictly
 * increasing above the cursor, positive ids, a known op, next_after the last sequence (or
 * the cursor), last_seq at or past it; a refusal leaves nothing behind. */
#include "fuzz.h"

#include "dest_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dest_feed_page page;
    int status;
    long long after;
    size_t limit, len;
    char *body;
    enum dest_feed_parse r;

    if (size < 3)
        return 0;
    status = data[0] & 1 ? 410 : 200;
    after = (long long)data[1] << 8 | data[2];
    limit = (size_t)(data[0] >> 1) * 2 + 1;
    len = size - 3;
    body = malloc(len ? len : 1);
    if (!body)
        abort();
    if (len)
        memcpy(body, data + 3, len);
    r = dest_feed_parse(status, body, len, after, limit, &page);
    FUZZ_CHECK(r == DEST_FEED_PAGE || r == DEST_FEED_GONE || r == DEST_FEED_BAD);
    if (r == DEST_FEED_PAGE) {
        long long prev = after;
        FUZZ_CHECK(status == 200 && page.n <= limit);
        for (size_t i = 0; i < page.n; i++) {
            const struct dest_feed_change *c = &page.changes[i];
            FUZZ_CHECK(c->seq > prev && c->seq <= INTERNAL_SEQ_MAX && c->id >= 1 && c->id <= INTERNAL_SEQ_MAX);
            FUZZ_CHECK(c->op == DEST_FEED_CREATE || c->op == DEST_FEED_UPDATE || c->op == DEST_FEED_DELETE);
            prev = c->seq;
        }
        FUZZ_CHECK(page.next_after == prev && page.last_seq >= page.next_after);
    } else if (r == DEST_FEED_GONE) {
        FUZZ_CHECK(status == 410 && page.n == 0 && page.last_seq >= 0 && page.last_seq <= INTERNAL_SEQ_MAX);
    } else {
        FUZZ_CHECK(page.n == 0 && page.next_after == -1 && page.last_seq == -1);
    }
    free(body);
    return 0;
}
