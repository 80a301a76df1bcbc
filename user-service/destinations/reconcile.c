/* reconcile: batches of referenced ids through destination-service's validate endpoint. */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>

#include "bg_task.h"
#include "config.h"
#include "log.h"
#include "media_files.h"
#include "reconcile_store.h"

#define BATCH DEST_MAX_IDS
#define INTERVAL_DEFAULT_S 300
#define INTERVAL_MAX_S 86400
#define MEDIA_ORPHAN_MIN_AGE_S 600 /* an upload takes seconds; ten minutes is safely past one */

int reconcile_run(struct db *db, struct dest_client *c, const int *stop, struct reconcile_counts *n)
{
    long long ids[BATCH], after = 0;
    int exists[BATCH];
    size_t got;

    *n = (struct reconcile_counts){0};
    for (;;) {
        long long yes[BATCH], no[BATCH], changed;
        size_t ny = 0, nn = 0;

        if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED))
            return -1; /* shutting down: the next pass picks up from the start */
        if (reconcile_store_ids(db, after, ids, BATCH, &got) != DB_OK)
            return -1;
        if (got == 0)
            return 0;
        after = ids[got - 1];
        if (dest_client_validate(c, "reconciler", ids, got, exists) != DEST_OK)
            return -1;
        for (size_t i = 0; i < got; i++) {
            if (exists[i] == 1)
                yes[ny++] = ids[i];
            else
                no[nn++] = ids[i];
        }
        n->ids_checked += (long long)got;
        n->existing += (long long)ny;
        n->missing += (long long)nn;
        if (ny && reconcile_store_mark(db, yes, ny, 1, &changed) != DB_OK)
            return -1;
        n->rows_confirmed += ny ? changed : 0;
        if (nn && reconcile_store_mark(db, no, nn, 0, &changed) != DB_OK)
            return -1;
        n->rows_marked_missing += nn ? changed : 0;
    }
}

int reconcile_client_init(struct dest_shared *s, struct dest_client *c, const char *internal_token)
{
    struct dest_config cfg;

    dest_config_from_env(&cfg, config_env_str("DESTINATION_SERVICE_URL", "http://127.0.0.1:8082"), internal_token);
    cfg.positive_ttl_ms = cfg.negative_ttl_ms = 0;
    cfg.cache_capacity = DEST_CACHE_WAYS;
    cfg.timeout_ms = cfg.timeout_ms * 5; /* batches of 1000 ids: allow more time than one request */
    if (dest_shared_init(s, &cfg) < 0)
        return -1;
    s->breaker.on_change = NULL; /* dest_breaker_state reports the request path's breaker only */
    if (dest_client_init_curl(c, s, 1) < 0) {
        dest_shared_destroy(s);
        return -1;
    }
    return 0;
}

void reconcile_client_destroy(struct dest_shared *s, struct dest_client *c)
{
    dest_client_destroy(c);
    dest_shared_destroy(s);
}

static int pass(struct db *db, struct dest_client *c, const int *stop, int print)
{
    struct reconcile_counts n;
    int locked = 0, rc;

    if (reconcile_store_lock(db, &locked) != DB_OK)
        return -1;
    if (!locked) {
        log_msg(LOG_INFO, NULL, "reconcile: another process is reconciling; skipped");
        return 0;
    }
    rc = reconcile_run(db, c, stop, &n);
    reconcile_store_unlock(db);
    log_msg(rc ? LOG_WARN : LOG_INFO, NULL,
            "reconcile %s: ids_checked=%lld existing=%lld missing=%lld rows_confirmed=%lld rows_marked_missing=%lld",
            rc ? "stopped early" : "done", n.ids_checked, n.existing, n.missing, n.rows_confirmed,
            n.rows_marked_missing);
    if (print)
        printf("ids_checked=%lld existing=%lld missing=%lld rows_confirmed=%lld rows_marked_missing=%lld\n",
               n.ids_checked, n.existing, n.missing, n.rows_confirmed, n.rows_marked_missing);
    return rc;
}

int reconcile_command(const struct db_options *dbo, const char *internal_token)
{
    struct dest_shared s;
    struct dest_client c;
    struct db *db = db_new(dbo);
    int rc = 1;

    if (!db || reconcile_client_init(&s, &c, internal_token) < 0) {
        db_free(&db);
        return 1;
    }
    rc = pass(db, &c, NULL, 1) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "reconcile: stopped early (a database or destination-service was unavailable)\n");
    dest_client_destroy(&c);
    dest_shared_destroy(&s);
    db_free(&db);
    return rc;
}

/* ---- the periodic task ---- */

static struct {
    struct bg_task bg;
    int interval_s;
    struct db_options dbo;
    const char *token;
} task = {.bg = BG_TASK_INIT};

static void *task_main(void *arg)
{
    struct dest_shared s;
    struct dest_client c;
    struct db *db = db_new(&task.dbo);

    (void)arg;
    if (!db || reconcile_client_init(&s, &c, task.token) < 0) {
        log_msg(LOG_ERROR, NULL, "reconcile: could not start");
        db_free(&db);
        return NULL;
    }
    /* Once at start-up: files a crash left without their row. */
    if (media_sweep_orphans(db, MEDIA_ORPHAN_MIN_AGE_S) < 0)
        log_msg(LOG_WARN, NULL, "media: orphan sweep skipped (database unavailable)");
    while (task.interval_s > 0 && !bg_task_nap(&task.bg, task.interval_s * 1000L)) {
        pass(db, &c, &task.bg.stop, 0);
        log_flush(); /* this thread is not a worker: nothing else writes its lines */
    }
    dest_client_destroy(&c);
    dest_shared_destroy(&s);
    db_free(&db);
    return NULL;
}

int reconcile_start(const struct db_options *dbo, const char *internal_token)
{
    /* The thread runs even with the interval at 0: it sweeps media orphans once at start. */
    task.interval_s = (int)config_env_long("RECONCILE_INTERVAL_SECONDS", INTERVAL_DEFAULT_S, 0, INTERVAL_MAX_S);
    task.dbo = *dbo;
    task.token = internal_token;
    return bg_task_start(&task.bg, task_main);
}

void reconcile_stop(void)
{
    bg_task_stop(&task.bg);
}
