/* server: the HTTP front of a daemon — one libevent loop thread, a pool of workers.
 *
 * The loop thread owns evhttp: it copies each request into a job and pushes it on a
 * bounded queue (full: an immediate 503 with Retry-After). Workers pop jobs, route them,
 * check authorization and run plain synchronous handlers; finished replies go back to the
 * loop through a completion list and an eventfd. /healthz and /metrics are answered on the
 * loop thread itself; /readyz asks the worker's database. SIGTERM or SIGINT starts a drain:
 * readiness turns 503, no new connections are accepted, in-flight requests finish, and
 * server_run returns within the grace period. */
#ifndef ECOMOVEX_SERVER_H
#define ECOMOVEX_SERVER_H

#include <stddef.h>

#include "body_gate.h"
#include "config.h"
#include "db_status.h"
#include "router.h"

struct server;

/* A worker thread's own resources: handlers reach them through rq->worker. */
struct worker {
    int id;
    struct db *db; /* this worker's connection (NULL when the service has no database) */
    void *ctx;     /* service-specific (user-service: its destination client) */
    const struct server *server;
};

struct server_options {
    const char *service; /* "user-service" */
    char host[CONFIG_HOST_MAX];
    int port;
    int workers;
    int queue_max;        /* jobs waiting for a worker before we shed load */
    size_t max_body;      /* evhttp's cap; routes may enforce smaller limits */
    size_t max_headers;   /* total header bytes */
    int idle_timeout_s;   /* idle or slow connections are closed after this */
    int shutdown_grace_s; /* drain limit */
    int retry_after_s;    /* Retry-After on 503 */
    const struct route *routes;
    size_t nroutes;
    struct db_options db; /* db.conninfo NULL: the service has no database */
    /* Called in each worker thread before it takes jobs / after it stops. May be NULL. */
    int (*worker_init)(struct worker *w);
    void (*worker_fini)(struct worker *w);
    /* Checks rq against level before the handler runs. Returns 0 to go on, or fills rp
     * (401/403/503) and returns -1. Required when a route needs more than AUTH_NONE. */
    int (*authorize)(struct request *rq, struct reply *rp, enum auth_level level);
    /* Each request's body cap, decided from its head before the body is read
     * (common/body_gate.h); NULL: max_body for every request. */
    const struct body_caps *body_caps;
};

/* Runs the server until a drain completes. Returns 0 after a clean drain, 1 when the
 * server could not start (address in use, out of memory). */
int server_run(const struct server_options *o);

/* 1 once a drain has begun (handlers may use it to stop long work early). */
int server_draining(const struct server *s);

#endif
