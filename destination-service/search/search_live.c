/* search_live: the live search index and the thread that keeps it current (search_live.h). */
#include "search_live.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bg_task.h"
#include "config.h"
#include "destinations_store.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"

#define LOAD_PAGE 20000
#define RETRY_MS 1000
#define SYNC_MS_DEFAULT 200

static pthread_rwlock_t lock;
static struct search_index *live; /* NULL until the first load */
static struct bg_task task = BG_TASK_INIT;
static struct db_options options;
static long sync_ms = SYNC_MS_DEFAULT;
static struct metric *m_docs, *m_bytes, *m_loads;

struct loading {
    struct search_index *ix;
    long long last_id;
};

static int put_loading(const struct search_doc *d, void *ctx)
{
    struct loading *l = ctx;

    l->last_id = d->id;
    return search_index_put(l->ix, d);
}

static void publish_sizes(void)
{
    metrics_set(m_docs, live ? (long long)search_index_count(live) : 0);
    metrics_set(m_bytes, live ? (long long)search_index_bytes(live) : 0);
}

/* Builds a whole index from the database and swaps it in; *cursor the log position it is
 * current from. */
static enum db_status load(struct db *db, long long *cursor)
{
    struct loading l = {.ix = search_index_new()};
    double t0 = metrics_now();
    enum db_status st;
    long long n = 0;

    if (!l.ix)
        return DB_ERROR;
    if ((st = destinations_store_change_cursor(db, cursor)) != DB_OK)
        goto fail;
    do {
        if (bg_task_stopping(&task)) {
            st = DB_ERROR;
            goto fail;
        }
        st = destinations_store_index_page(db, l.last_id, LOAD_PAGE, put_loading, &l, &n);
    } while (st == DB_OK && n == LOAD_PAGE);
    if (st != DB_OK || search_index_seal(l.ix) < 0) {
        st = st != DB_OK ? st : DB_ERROR;
        goto fail;
    }
    pthread_rwlock_wrlock(&lock);
    struct search_index *old = live;
    live = l.ix;
    publish_sizes();
    pthread_rwlock_unlock(&lock);
    search_index_free(old);
    metrics_add(m_loads, 1);
    log_msg(LOG_INFO, NULL, "search index: %zu destinations loaded in %.0f ms (%zu KiB)", search_index_count(l.ix),
            (metrics_now() - t0) * 1000.0, search_index_bytes(l.ix) / 1024);
    return DB_OK;
fail:
    search_index_free(l.ix);
    return st;
}

/* The rows of changed destinations, copied out of the result so that the write lock is
 * held only to apply them. */
struct fetched {
    struct search_doc d[IDS_MAX];
    size_t n;
};

static int keep_row(const struct search_doc *d, void *ctx)
{
    struct fetched *f = ctx;
    struct search_doc *x = &f->d[f->n];

    if (f->n == IDS_MAX)
        return 0;
    *x = *d;
    x->name = strdup(d->name ? d->name : "");
    x->address = d->address ? strdup(d->address) : NULL;
    if (!x->name || (d->address && !x->address)) {
        free((char *)x->name);
        free((char *)x->address);
        return -1;
    }
    f->n++;
    return 0;
}

static void fetched_free(struct fetched *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free((char *)f->d[i].name);
        free((char *)f->d[i].address);
    }
    f->n = 0;
}

/* One round of following the log. Returns DB_OK with *more set when a full page came (go on
 * at once), or the failure; *reload when the log was pruned past the cursor. */
static enum db_status follow(struct db *db, long long *cursor, int *more, int *reload)
{
    static struct fetched f; /* the thread's own; too big for its stack */
    struct dest_changes ch = {0};
    long long ids[IDS_MAX];
    size_t n = 0, cnt;
    enum db_status st;
    int ok = 1;

    *more = *reload = 0;
    if ((st = destinations_store_changes(db, *cursor, IDS_MAX, &ch)) != DB_OK)
        return st;
    if (*cursor < ch.pruned_through) {
        *reload = 1;
        cJSON_Delete(ch.items);
        return DB_OK;
    }
    cnt = (size_t)cJSON_GetArraySize(ch.items);
    for (cJSON *c = ch.items ? ch.items->child : NULL; c && n < IDS_MAX; c = c->next) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "destination_id");
        cJSON *seq = cJSON_GetObjectItemCaseSensitive(c, "seq");
        long long s = seq && seq->valuestring ? strtoll(seq->valuestring, NULL, 10) : 0;
        if (id && id->valuestring)
            ids[n++] = strtoll(id->valuestring, NULL, 10); /* raw numbers, as PostgreSQL wrote them */
        if (s > *cursor)
            *cursor = s;
    }
    cJSON_Delete(ch.items);
    if (n == 0)
        return DB_OK;
    n = ids_sort_unique(ids, n);
    if ((st = destinations_store_index_rows(db, ids, n, keep_row, &f)) == DB_OK) {
        pthread_rwlock_wrlock(&lock);
        for (size_t i = 0; i < n; i++)
            search_index_remove(live, ids[i]);
        for (size_t i = 0; i < f.n; i++)
            ok &= search_index_put(live, &f.d[i]) == 0;
        publish_sizes();
        pthread_rwlock_unlock(&lock);
    }
    fetched_free(&f);
    if (!ok) { /* out of memory: a destination is missing; build anew later */
        log_msg(LOG_ERROR, NULL, "search index: out of memory applying changes; reloading");
        *reload = 1;
    }
    *more = cnt == IDS_MAX;
    return st;
}

static void *sync_main(void *arg)
{
    struct db *db = db_new(&options);
    long long cursor = 0;
    int loaded = 0, failing = 0;

    (void)arg;
    while (db && !bg_task_stopping(&task)) {
        int more = 0, reload = 0;
        enum db_status st = loaded ? follow(db, &cursor, &more, &reload) : load(db, &cursor);
        if (st != DB_OK) {
            if (!failing++)
                log_msg(LOG_WARN, NULL, "search index: %s failed (database status %d); retrying every %d ms",
                        loaded ? "sync" : "load", (int)st, RETRY_MS);
            bg_task_nap(&task, RETRY_MS);
            continue;
        }
        if (failing)
            log_msg(LOG_INFO, NULL, "search index: %s works again", loaded ? "sync" : "load");
        failing = 0;
        loaded = !reload;
        if (!more && loaded)
            bg_task_nap(&task, sync_ms);
    }
    db_free(&db);
    return NULL;
}

int search_live_start(const struct db_options *dbo)
{
    pthread_rwlockattr_t a;

    m_docs = metrics_gauge("search_index_documents", "Destinations in the in-memory search index.", "");
    m_bytes = metrics_gauge("search_index_bytes", "Memory the in-memory search index uses, roughly.", "");
    m_loads = metrics_counter("search_index_loads_total", "Full loads of the search index from the database.", "");
    if (!config_env_bool("DEST_SEARCH_INDEX", 1)) {
        log_msg(LOG_INFO, NULL, "search index: off (DEST_SEARCH_INDEX); searches use SQL");
        return 0;
    }
    sync_ms = config_env_long("DEST_SEARCH_SYNC_MS", SYNC_MS_DEFAULT, 10, 60000);
    options = *dbo;
    pthread_rwlockattr_init(&a);
    /* a steady stream of searches must not keep an update waiting */
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock, &a);
    pthread_rwlockattr_destroy(&a);
    return bg_task_start(&task, sync_main);
}

void search_live_stop(void)
{
    if (!task.running)
        return;
    bg_task_stop(&task);
    search_index_free(live);
    live = NULL;
    pthread_rwlock_destroy(&lock);
}

int search_live_find(const char *q, int category, long long offset, long long limit, long long *ids, long long *n,
                     long long *total, int *total_exact)
{
    int rc = 0;

    if (!task.running)
        return 0;
    pthread_rwlock_rdlock(&lock);
    if (live) {
        *n = search_index_find_counted(live, q, category, offset, limit, ids, total, total_exact);
        rc = *n < 0 ? -1 : 1;
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

int search_live_nearby(double lat, double lon, double radius_m, size_t limit, struct search_hit *out, long long *n)
{
    int rc = 0;

    if (!task.running)
        return 0;
    pthread_rwlock_rdlock(&lock);
    if (live) {
        *n = search_index_nearby(live, lat, lon, radius_m, limit, out);
        rc = *n < 0 ? -1 : 1;
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

void search_live_put(const struct search_doc *d)
{
    if (!task.running)
        return;
    pthread_rwlock_wrlock(&lock);
    if (live && search_index_put(live, d) < 0)
        search_index_remove(live, d->id); /* the sync thread's next read of it puts it back */
    publish_sizes();
    pthread_rwlock_unlock(&lock);
}

void search_live_remove(long long id)
{
    if (!task.running)
        return;
    pthread_rwlock_wrlock(&lock);
    if (live)
        search_index_remove(live, id);
    publish_sizes();
    pthread_rwlock_unlock(&lock);
}
