/* dest_feed: following destination-service's change feed. */
#include "dest_feed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bg_task.h"
#include "config.h"
#include "dest_check.h"
#include "dest_client.h"
#include "dest_feed_store.h"
#include "log.h"
#include "metrics.h"
#include "reconcile.h"
#include "reconcile_store.h"

#define POLL_DEFAULT_MS 250
#define BACKOFF_MAX_DEFAULT_MS 5000
#define STALE_DEFAULT_S 10
#define TRUSTED_TTL_DEFAULT_S 3600
#define PATH_MAX_LEN 128
#define RID "dest-feed"

/* ---- the parser ---- */

/* The exact integer in [min, INTERNAL_SEQ_MAX] v holds, or -1. */
static long long exact(const cJSON *v, long long min)
{
    double d;

    if (!cJSON_IsNumber(v))
        return -1;
    d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)INTERNAL_SEQ_MAX)
        return -1;
    return (long long)d;
}

static int parse_op(const cJSON *v, enum dest_feed_op *op)
{
    static const char *const names[] = {"create", "update", "delete"};

    if (!cJSON_IsString(v))
        return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(v->valuestring, names[i]) == 0) {
            *op = (enum dest_feed_op)i;
            return 0;
        }
    return -1;
}

static enum dest_feed_parse parse_page(const cJSON *j, long long after, size_t limit, struct dest_feed_page *out)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_CHANGES), *el;
    long long prev = after;

    if (!cJSON_IsArray(arr))
        return DEST_FEED_BAD;
    cJSON_ArrayForEach (el, arr) {
        struct dest_feed_change *c;
        if (out->n >= limit || out->n >= INTERNAL_CHANGES_LIMIT_MAX || !cJSON_IsObject(el))
            return DEST_FEED_BAD;
        c = &out->changes[out->n];
        c->seq = exact(cJSON_GetObjectItemCaseSensitive(el, "seq"), 1);
        c->id = exact(cJSON_GetObjectItemCaseSensitive(el, "destination_id"), 1);
        if (c->seq <= prev || c->id < 1 || parse_op(cJSON_GetObjectItemCaseSensitive(el, "op"), &c->op) < 0)
            return DEST_FEED_BAD;
        prev = c->seq;
        out->n++;
    }
    out->next_after = exact(cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_NEXT_AFTER), 0);
    out->last_seq = exact(cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_LAST_SEQ), 0);
    if (out->next_after != prev || out->last_seq < out->next_after)
        return DEST_FEED_BAD;
    return DEST_FEED_PAGE;
}

enum dest_feed_parse dest_feed_parse(int status, const char *body, size_t len, long long after, size_t limit,
                                     struct dest_feed_page *out)
{
    enum dest_feed_parse r = DEST_FEED_BAD;
    cJSON *j;

    out->n = 0;
    out->next_after = out->last_seq = -1;
    if ((status != 200 && status != 410) || !body || after < 0 || !(j = cJSON_ParseWithLength(body, len)))
        return DEST_FEED_BAD;
    if (!cJSON_IsObject(j))
        r = DEST_FEED_BAD;
    else if (status == 200)
        r = parse_page(j, after, limit, out);
    else if ((out->last_seq = exact(cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_LAST_SEQ), 0)) >= 0)
        r = DEST_FEED_GONE;
    cJSON_Delete(j);
    if (r == DEST_FEED_BAD) {
        out->n = 0;
        out->next_after = out->last_seq = -1;
    }
    return r;
}

/* ---- the follower ---- */

static struct metric *m_applied, *m_marked, *m_reconciles, *m_failures, *m_lag, *m_behind;

static struct {
    struct bg_task bg;
    long poll_ms, backoff_max_ms;
    struct db_options dbo;
    const char *token;
} task = {.bg = BG_TASK_INIT};

/* A request that found a destination valid just before its deletion reached the cache can
 * insert its review or plan stop after the marking transaction committed, unmarked. Every
 * such request ends within its deadline (DB_STATEMENT_TIMEOUT_MS, 5 s by default), so the
 * follower marks each deleted id once more on every poll for REMARK_MS after applying it:
 * the late row is marked within one poll of its insert. */
#define REMARK_MS 15000
#define REMARK_MAX 512 /* deletions remembered; a burst beyond it is left to the reconciler */

struct recent_deletes {
    long long ids[REMARK_MAX], at_ms[REMARK_MAX];
    size_t next, n; /* a ring: next is where the next id goes */
};

struct follower {
    struct db *db;
    struct recent_deletes recent;
    struct dest_shared own; /* the follower's HTTP client state (no cache) */
    struct dest_client client;
    struct dest_shared *target; /* the request path's: its cache learns what the feed says */
    struct dest_feed_page *page;
    long long after, caught_up_ms;
    int have_cursor;
};

/* One GET of the feed after cursor after: the parsed answer in f->page. */
static enum dest_feed_parse fetch(struct follower *f, long long after, size_t limit)
{
    char path[PATH_MAX_LEN];
    struct dest_response resp;
    enum dest_feed_parse r;

    snprintf(path, sizeof path, INTERNAL_PATH_CHANGES "?after=%lld&limit=%zu", after, limit);
    if (dest_client_request(&f->client, RID, path, &resp) != DEST_OK)
        return DEST_FEED_BAD;
    r = dest_feed_parse(resp.status, resp.body, resp.len, after, limit, f->page);
    if (r == DEST_FEED_BAD)
        log_msg(LOG_WARN, RID, "destination change feed: unusable answer (status %d)", resp.status);
    free(resp.body);
    return r;
}

/* Lost track (410, or no cursor yet): forget the cache, reconcile everything, go on from
 * head, a sequence read before the reconcile started (so no later change is skipped). */
static int resync(struct follower *f, long long head)
{
    struct reconcile_counts n;

    if (head < 0) {
        enum dest_feed_parse r = fetch(f, 0, 1);
        if (r == DEST_FEED_BAD)
            return -1;
        head = f->page->last_seq;
    }
    dest_cache_clear(&f->target->cache);
    if (reconcile_run(f->db, &f->client, &task.bg.stop, &n) < 0)
        return -1;
    if (dest_feed_store_reset(f->db, head) != DB_OK)
        return -1;
    metrics_add(m_reconciles, 1);
    log_msg(LOG_INFO, RID,
            "destination change feed: full reconcile (ids_checked=%lld rows_marked_missing=%lld), "
            "following from %lld",
            n.ids_checked, n.rows_marked_missing, head);
    f->after = head;
    f->have_cursor = 1;
    return 0;
}

/* The request path's cache learns the page: deleted ids refused, created/updated ones valid. */
static void tell_cache(struct follower *f, long long now)
{
    const struct dest_shared *s = f->target;
    long ttl = s->cfg.positive_ttl_ms > s->feed.trusted_ttl_ms ? s->cfg.positive_ttl_ms : s->feed.trusted_ttl_ms;

    for (size_t i = 0; i < f->page->n; i++) {
        const struct dest_feed_change *c = &f->page->changes[i];
        if (c->op == DEST_FEED_DELETE)
            dest_cache_put_feed(&f->target->cache, c->id, 0, now, now + ttl);
        else if (s->cfg.positive_ttl_ms > 0)
            dest_cache_put_feed(&f->target->cache, c->id, 1, now, now + ttl);
    }
}

/* Applies f->page: cache first (the sooner refused the better), then the database. */
static int apply(struct follower *f)
{
    static long long seqs[INTERNAL_CHANGES_LIMIT_MAX], dids[INTERNAL_CHANGES_LIMIT_MAX],
        dseqs[INTERNAL_CHANGES_LIMIT_MAX]; /* only the follower thread uses them */
    const struct dest_feed_page *p = f->page;
    size_t nd = 0;
    long long applied = 0, marked = 0;

    tell_cache(f, dest_mono_ms());
    for (size_t i = 0; i < p->n; i++) {
        seqs[i] = p->changes[i].seq;
        if (p->changes[i].op == DEST_FEED_DELETE) {
            dids[nd] = p->changes[i].id;
            dseqs[nd++] = p->changes[i].seq;
        }
    }
    if (p->next_after > f->after &&
        dest_feed_store_apply(f->db, seqs, p->n, dids, dseqs, nd, p->next_after, &applied, &marked) != DB_OK)
        return -1;
    metrics_add(m_applied, applied);
    metrics_add(m_marked, marked);
    f->after = p->next_after;
    for (size_t i = 0; i < nd; i++) {
        f->recent.ids[f->recent.next] = dids[i];
        f->recent.at_ms[f->recent.next] = dest_mono_ms();
        f->recent.next = (f->recent.next + 1) % REMARK_MAX;
        if (f->recent.n < REMARK_MAX)
            f->recent.n++;
    }
    return 0;
}

/* Marks again the ids deleted in the last REMARK_MS (see REMARK_MS). */
static int remark(struct follower *f, long long now)
{
    static long long ids[REMARK_MAX]; /* only the follower thread uses it */
    size_t n = 0;
    long long changed = 0;

    for (size_t i = 0; i < f->recent.n; i++)
        if (now - f->recent.at_ms[i] < REMARK_MS)
            ids[n++] = f->recent.ids[i];
    if (n == 0) {
        f->recent.n = f->recent.next = 0;
        return 0;
    }
    if (reconcile_store_mark(f->db, ids, n, 0, &changed) != DB_OK)
        return -1;
    metrics_add(m_marked, changed);
    return 0;
}

enum step { STEP_IDLE, STEP_MORE, STEP_FAILED };

static enum step step(struct follower *f)
{
    enum dest_feed_parse r;
    long long now;

    if (!f->have_cursor) {
        int found;
        if (dest_feed_store_cursor(f->db, &f->after, &found) != DB_OK)
            return STEP_FAILED;
        if (!found)
            return resync(f, -1) == 0 ? STEP_MORE : STEP_FAILED;
        f->have_cursor = 1;
    }
    r = fetch(f, f->after, INTERNAL_CHANGES_LIMIT_MAX);
    if (r == DEST_FEED_BAD)
        return STEP_FAILED;
    if (r == DEST_FEED_GONE)
        return resync(f, f->page->last_seq) == 0 ? STEP_MORE : STEP_FAILED;
    if (apply(f) < 0 || remark(f, dest_mono_ms()) < 0)
        return STEP_FAILED;
    now = dest_mono_ms();
    dest_feed_trust_good(f->target, now);
    metrics_set(m_behind, f->page->last_seq - f->after);
    if (f->after >= f->page->last_seq)
        f->caught_up_ms = now;
    return f->page->n >= INTERNAL_CHANGES_LIMIT_MAX ? STEP_MORE : STEP_IDLE;
}

static void *task_main(void *arg)
{
    struct follower f = {0};
    long backoff = 0;

    (void)arg;
    f.target = dest_check_shared();
    f.caught_up_ms = dest_mono_ms();
    if (!(f.page = malloc(sizeof *f.page)) || !(f.db = db_new(&task.dbo)) ||
        reconcile_client_init(&f.own, &f.client, task.token) < 0) {
        log_msg(LOG_ERROR, NULL, "destination change feed: could not start");
        db_free(&f.db);
        free(f.page);
        return NULL;
    }
    while (!bg_task_stopping(&task.bg)) {
        enum step s = step(&f);
        long wait = s == STEP_MORE ? 0 : task.poll_ms;

        if (s == STEP_FAILED) {
            metrics_add(m_failures, 1);
            backoff = backoff ? backoff * 2 : task.poll_ms;
            if (backoff > task.backoff_max_ms)
                backoff = task.backoff_max_ms;
            wait = backoff;
        } else {
            backoff = 0;
        }
        metrics_set(m_lag, dest_mono_ms() - f.caught_up_ms);
        log_flush(); /* this thread is not a worker: nothing else writes its lines */
        if (bg_task_nap(&task.bg, wait))
            break;
    }
    reconcile_client_destroy(&f.own, &f.client);
    db_free(&f.db);
    free(f.page);
    return NULL;
}

static void register_metrics(void)
{
    m_applied = metrics_counter("dest_feed_changes_applied_total",
                                "Destination changes applied to the users database (each once).", "");
    m_marked = metrics_counter("dest_feed_rows_marked_missing_total",
                               "Reviews and plan stops the feed marked destination_missing.", "");
    m_reconciles = metrics_counter("dest_feed_full_reconciles_total",
                                   "Full reconciles the feed ran after losing track (410, first start).", "");
    m_failures = metrics_counter("dest_feed_poll_failures_total", "Feed polls that failed (then backed off).", "");
    m_lag = metrics_gauge("dest_feed_lag_ms", "Milliseconds since the follower was last caught up with the feed.", "");
    m_behind = metrics_gauge("dest_feed_sequences_behind", "Sequences between the cursor and the newest change.", "");
}

int dest_feed_start(const struct db_options *dbo, const char *internal_token)
{
    struct dest_shared *s = dest_check_shared();

    task.poll_ms = config_env_long("DEST_FEED_POLL_MS", POLL_DEFAULT_MS, 0, 60000);
    task.backoff_max_ms = config_env_long("DEST_FEED_BACKOFF_MAX_MS", BACKOFF_MAX_DEFAULT_MS, 10, 600000);
    s->feed.stale_ms = config_env_long("DEST_FEED_STALE_SECONDS", STALE_DEFAULT_S, 1, 86400) * 1000;
    s->feed.trusted_ttl_ms =
        config_env_long("DEST_FEED_TRUSTED_TTL_SECONDS", TRUSTED_TTL_DEFAULT_S, 0, 7 * 86400) * 1000;
    s->feed.enabled = task.poll_ms > 0;
    if (!s->feed.enabled)
        return 0;
    register_metrics();
    task.dbo = *dbo;
    task.token = internal_token;
    return bg_task_start(&task.bg, task_main);
}

void dest_feed_stop(void)
{
    bg_task_stop(&task.bg);
}
