/* read_db: the optional standby connection (see read_db.h). */
#include "read_db.h"

#include "config.h"
#include "log.h"

static struct db_options read_options;

static int worker_init(struct worker *w)
{
    return (w->ctx = db_new(&read_options)) ? 0 : -1;
}

static void worker_fini(struct worker *w)
{
    struct db *db = w->ctx;

    db_free(&db);
    w->ctx = NULL;
}

void read_db_setup(struct server_options *o)
{
    const char *url = config_env_str("DEST_DB_READ_URL", "");

    if (!*url)
        return;
    read_options = o->db;
    read_options.conninfo = url;
    o->worker_init = worker_init;
    o->worker_fini = worker_fini;
    log_msg(LOG_INFO, NULL, "reads go to DEST_DB_READ_URL first, then to the primary");
}

struct db *read_db(const struct request *rq)
{
    return rq->worker->ctx ? rq->worker->ctx : rq->worker->db;
}

int read_db_retry(const struct request *rq, const struct db *db, enum db_status st, int incomplete)
{
    return db != rq->worker->db && (st != DB_OK || incomplete);
}
