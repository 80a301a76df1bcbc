/* server: libevent loop thread + worker pool + graceful drain. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"

#define LISTEN_BACKLOG 1024
#define SERVER_MAX_LISTENERS 8 /* addresses a host name may give (localhost: ::1 and 127.0.0.1) */
#define DRAIN_POLL_MS 20
#define DRAIN_FLUSH_MS 100 /* let the last replies leave the socket buffers */
/* A draining server keeps answering for at least this long, every reply with Connection:
 * close, so that a gateway's kept-alive connections are closed after an answer rather than
 * under a request it has just written (which it could not send elsewhere if it is a POST). */
#define DRAIN_MIN_MS 500
#define ACCEPT_PAUSE_MS 100 /* after accept() fails for want of descriptors or memory */
#define ACCEPT_LOG_EVERY_S 10
#define LOG_FLUSH_MS 50 /* the loop thread's log lines wait at most this long */
#define HEALTH_BODY "{\"status\":\"ok\"}"

enum builtin { BUILTIN_NONE = 0, BUILTIN_READYZ };

struct job {
    struct evhttp_request *req; /* touched on the loop thread only */
    struct request rq;
    struct reply rp;
    enum builtin builtin;
    int slot; /* metrics slot */
    struct job *next;
};

struct server {
    const struct server_options *opt;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound[SERVER_MAX_LISTENERS]; /* one per address; none once draining */
    int nbound;
    struct event *wake_ev, *sigterm_ev, *sigint_ev, *drain_ev, *accept_ev, *flush_ev;
    int wake_fd;
    struct timespec drain_started;

    /* bounded job queue (ring) */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct job **ring;
    int qhead, qlen, stopping;

    /* completed jobs, handed back to the loop */
    pthread_mutex_t dlock;
    struct job *done;

    pthread_t *threads;
    struct worker *workers;
    int nthreads;
    int draining;
    long inflight; /* loop thread only */
    time_t accept_logged;
};

static struct metric *m_shed, *m_inflight, *m_accept_errors;

static struct server *the_server; /* the listener's error callback gets evhttp's argument, not ours */

int server_draining(const struct server *s)
{
    return __atomic_load_n(&s->draining, __ATOMIC_RELAXED);
}

static int server_draining_now(void)
{
    return the_server && server_draining(the_server);
}

static double elapsed_s(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    default: return "OTHER";
    }
}

/* ---- sending, on the loop thread ---- */

static void free_body(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

/* Puts rp's body in b without a copy. A problem+json object gains "instance" (the request
 * id, so a client's report can be found in the log): the closing brace is written after it. */
static void add_body(struct evbuffer *b, const struct request *rq, struct reply *rp)
{
    size_t len = rp->body_len;
    int problem = rp->content_type && strcmp(rp->content_type, CT_PROBLEM) == 0 && rp->body[len - 1] == '}';

    if (problem)
        len--;
    if (evbuffer_add_reference(b, rp->body, len, free_body, NULL) < 0)
        return;
    rp->body = NULL; /* the evbuffer frees it once written */
    if (problem && evbuffer_add_printf(b, ",\"instance\":\"" PROBLEM_INSTANCE_BASE "%s\"}", rq->request_id) < 0)
        evbuffer_add(b, "}", 1);
}

static void send_reply(struct evhttp_request *req, const struct request *rq, struct reply *rp)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();

    if (rp->content_type && rp->body_len)
        evhttp_add_header(oh, "Content-Type", rp->content_type);
    evhttp_add_header(oh, "X-Request-ID", rq->request_id);
    for (int i = 0; i < rp->nheaders; i++)
        evhttp_add_header(oh, rp->headers[i].name, rp->headers[i].value);
    if (server_draining_now()) /* evhttp closes the connection once this reply is written */
        evhttp_add_header(oh, "Connection", "close");
    if (strcmp(rq->method, "HEAD") == 0) {
        /* evhttp would write the body even for HEAD: announce its length, send none. */
        char len[24];
        snprintf(len, sizeof len, "%zu", rp->body_len);
        evhttp_add_header(oh, "Content-Length", len);
    } else if (b && rp->body_len) {
        add_body(b, rq, rp);
    }
    /* With its connection gone, evhttp frees req here instead of writing: still answered once. */
    evhttp_send_reply(req, rp->status, http_reason(rp->status), b);
    if (b)
        evbuffer_free(b);
}

static void job_free(struct job *j)
{
    request_free(&j->rq);
    reply_free(&j->rp);
    free(j);
}

/* Answers on the loop thread without a worker (health, metrics, load shedding). */
static void answer_now(struct server *s, struct evhttp_request *req, struct request *rq, struct reply *rp, int slot,
                       const char *route)
{
    send_reply(req, rq, rp);
    metrics_request(slot, rq->method, rp->status, elapsed_s(&rq->started));
    trace_set_current(&rq->trace);
    log_access(rq->request_id, rq->method, route, rp->status, elapsed_s(&rq->started) * 1e3, rq->client_addr);
    trace_set_current(NULL);
    (void)s;
}

static void on_log_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    log_flush();
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    uint64_t n;
    struct job *list, *next;

    (void)what;
    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
        log_msg(LOG_WARN, NULL, "eventfd read: %s", strerror(errno));
    pthread_mutex_lock(&s->dlock);
    list = s->done;
    s->done = NULL;
    pthread_mutex_unlock(&s->dlock);
    for (; list; list = next) {
        next = list->next;
        send_reply(list->req, &list->rq, &list->rp);
        job_free(list);
        s->inflight--;
    }
    metrics_set(m_inflight, s->inflight);
}

/* ---- the job queue ---- */

static int queue_push(struct server *s, struct job *j)
{
    int ok;

    pthread_mutex_lock(&s->qlock);
    ok = s->qlen < s->opt->queue_max;
    if (ok) {
        s->ring[(s->qhead + s->qlen) % s->opt->queue_max] = j;
        s->qlen++;
        pthread_cond_signal(&s->qcond);
    }
    pthread_mutex_unlock(&s->qlock);
    return ok ? 0 : -1;
}

/* Blocks for a job; NULL once the server is stopping and the queue is empty. */
static struct job *queue_pop(struct server *s)
{
    struct job *j = NULL;

    pthread_mutex_lock(&s->qlock);
    while (s->qlen == 0 && !s->stopping) {
        if (log_pending()) { /* going idle: write this thread's log lines first (not under the lock) */
            pthread_mutex_unlock(&s->qlock);
            log_flush();
            pthread_mutex_lock(&s->qlock);
            continue;
        }
        pthread_cond_wait(&s->qcond, &s->qlock);
    }
    if (s->qlen > 0) {
        j = s->ring[s->qhead];
        s->qhead = (s->qhead + 1) % s->opt->queue_max;
        s->qlen--;
    }
    pthread_mutex_unlock(&s->qlock);
    return j;
}

static void complete(struct server *s, struct job *j)
{
    uint64_t one = 1;
    int was_empty;

    pthread_mutex_lock(&s->dlock);
    was_empty = s->done == NULL;
    j->next = s->done;
    s->done = j;
    pthread_mutex_unlock(&s->dlock);
    /* One wake-up per batch: the loop takes the whole list at once. */
    if (was_empty && write(s->wake_fd, &one, sizeof one) < 0)
        log_msg(LOG_ERROR, NULL, "eventfd write: %s", strerror(errno));
}

/* ---- workers ---- */

static void run_route(struct server *s, struct request *rq, struct reply *rp, int *slot)
{
    char allow[ROUTER_ALLOW_MAX];
    int index = -1;

    switch (router_match(s->opt->routes, s->opt->nroutes, rq->method, rq->path, &index, rq->ids, &rq->nids, allow,
                         sizeof allow)) {
    case ROUTE_NOT_FOUND: problem(rp, 404, "Nothing is found at this path."); return;
    case ROUTE_BAD_METHOD:
        problem(rp, 405, "This path does not accept %s; it accepts %s.", rq->method, allow);
        reply_header(rp, "Allow", allow);
        return;
    case ROUTE_OK: break;
    }
    *slot = index;
    rq->route = &s->opt->routes[index];
    rq->route_index = index;
    if (rq->route->auth != AUTH_NONE && (!s->opt->authorize || s->opt->authorize(rq, rp, rq->route->auth) != 0)) {
        if (!rp->status)
            problem(rp, 401, "Authentication is required.");
        return;
    }
    rq->route->handler(rq, rp);
}

static void handle(struct server *s, struct worker *w, struct job *j)
{
    struct request *rq = &j->rq;
    struct reply *rp = &j->rp;
    const char *route_name;

    rq->worker = w;
    trace_set_current(&rq->trace);
    if (j->builtin == BUILTIN_READYZ) {
        if (server_draining(s))
            problem_unavailable(rp, s->opt->retry_after_s, "This instance is shutting down; it");
        else if (w->db && db_ping(w->db) != DB_OK)
            problem_unavailable(rp, s->opt->retry_after_s, "The database");
        else
            reply_copy_body(rp, 200, CT_JSON, "{\"status\":\"ready\"}", strlen("{\"status\":\"ready\"}"));
        route_name = "/readyz";
    } else {
        run_route(s, rq, rp, &j->slot);
        route_name = rq->route ? rq->route->pattern : "unmatched";
    }
    if (rp->status == 0) {
        log_msg(LOG_ERROR, rq->request_id, "handler for %s %s gave no answer", rq->method, route_name);
        problem_internal(rp);
    }
    metrics_request(j->slot, rq->method, rp->status, elapsed_s(&rq->started));
    log_access(rq->request_id, rq->method, route_name, rp->status, elapsed_s(&rq->started) * 1e3, rq->client_addr);
    trace_set_current(NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct server *s = (struct server *)w->server;
    struct job *j;

    while ((j = queue_pop(s)) != NULL) {
        handle(s, w, j);
        complete(s, j);
    }
    auth_thread_cleanup(); /* the thread's cache of verified tokens */
    log_flush();
    return NULL;
}

/* ---- accepting requests, on the loop thread ---- */

static int copy_request(struct evhttp_request *req, struct request *rq)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    size_t blen = in ? evbuffer_get_length(in) : 0;
    const char *rid;

    clock_gettime(CLOCK_MONOTONIC, &rq->started);
    rq->method = method_name(evhttp_request_get_command(req));
    rq->route_index = -1;
    if (!(rq->path = strdup(path && *path ? path : "/")))
        return -1;
    if (query && !(rq->query = strdup(query)))
        return -1;
    for (struct evkeyval *kv = ih->tqh_first; kv && rq->nheaders < REQUEST_MAX_HEADERS; kv = kv->next.tqe_next) {
        struct header *h = &rq->headers[rq->nheaders];
        if (!(h->name = strdup(kv->key)) || !(h->value = strdup(kv->value))) {
            free(h->name);
            h->name = NULL;
            return -1;
        }
        rq->nheaders++;
    }
    if (blen) {
        if (!(rq->body = malloc(blen + 1)))
            return -1;
        if (evbuffer_remove(in, rq->body, blen) != (int)blen)
            return -1;
        rq->body[blen] = '\0';
        rq->body_len = blen;
    }
    rid = request_header(rq, "X-Request-ID");
    if (rid && request_id_valid(rid))
        snprintf(rq->request_id, sizeof rq->request_id, "%s", rid);
    else
        request_id_generate(rq->request_id);
    /* A client's own X-Request-ID stays the request id (user-service's internal calls send theirs
     * with a traceparent of their own); without one, a valid traceparent's trace id is it. */
    if (trace_begin(&rq->trace, request_header(rq, "traceparent"), request_header(rq, "tracestate"), rq->request_id) &&
        !(rid && request_id_valid(rid)))
        snprintf(rq->request_id, sizeof rq->request_id, "%s", rq->trace.trace_id);
    if (conn) {
        char *addr = NULL;
        ev_uint16_t port = 0;
        evhttp_connection_get_peer(conn, &addr, &port);
        snprintf(rq->client_addr, sizeof rq->client_addr, "%s", addr ? addr : "");
    }
    return 0;
}

/* GET /healthz, answered before anything is copied: liveness probes and load balancers call
 * it often, and copying every header into a job was most of its cost (docs/performance.md).
 * Returns 1 when it answered. */
static int answer_healthz(struct evhttp_request *req)
{
    static const char body[] = HEALTH_BODY;
    const char *uri = evhttp_request_get_uri(req), *rid;
    struct evkeyvalq *ih, *oh;
    struct evbuffer *b;
    struct evhttp_connection *conn;
    struct timespec t0;
    char id[REQUEST_ID_MAX + 1], parent[SPAN_ID_HEX + 1], *addr = NULL;
    unsigned flags;
    ev_uint16_t port = 0;

    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !uri || strcmp(uri, "/healthz") != 0 ||
        !(b = evbuffer_new()))
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ih = evhttp_request_get_input_headers(req);
    rid = evhttp_find_header(ih, "X-Request-ID");
    if (rid && request_id_valid(rid))
        snprintf(id, sizeof id, "%s", rid);
    else if (trace_parse_parent(evhttp_find_header(ih, "traceparent"), id, parent, &flags))
        ; /* the trace id is the request id */
    else
        request_id_generate(id);
    oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Content-Type", CT_JSON);
    evhttp_add_header(oh, "X-Request-ID", id);
    evbuffer_add_reference(b, body, sizeof body - 1, NULL, NULL);
    if ((conn = evhttp_request_get_connection(req)))
        evhttp_connection_get_peer(conn, &addr, &port);
    log_access(id, "GET", "/healthz", 200, elapsed_s(&t0) * 1e3, addr ? addr : "");
    metrics_request(metrics_builtin_slot(METRICS_HEALTHZ), "GET", 200, elapsed_s(&t0));
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
    return 1;
}

/* The built-in paths answer GET and HEAD (HEAD is GET without the body, which evhttp leaves
 * out); any other method is 405 with Allow, as on every routed path. */
#define BUILTIN_ALLOW "GET, HEAD"

static int get_or_head(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* The metrics slot of a built-in path, or -1 for any other path. */
static int builtin_slot(const char *path)
{
    if (strcmp(path, "/healthz") == 0)
        return METRICS_HEALTHZ;
    if (strcmp(path, "/readyz") == 0)
        return METRICS_READYZ;
    if (strcmp(path, "/metrics") == 0)
        return METRICS_METRICS;
    return -1;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct server *s = arg;
    struct job *j;
    int builtin;

    if (answer_healthz(req))
        return;
    j = calloc(1, sizeof *j);

    if (!j || copy_request(req, &j->rq) < 0) {
        log_msg(LOG_ERROR, NULL, "out of memory copying a request");
        if (j)
            job_free(j);
        evhttp_send_error(req, 500, "Internal Server Error");
        return;
    }
    j->req = req;
    j->slot = metrics_builtin_slot(METRICS_UNMATCHED);
    builtin = builtin_slot(j->rq.path);
    if (builtin >= 0 && !get_or_head(j->rq.method)) {
        problem(&j->rp, 405, "This path does not accept %s; it accepts %s.", j->rq.method, BUILTIN_ALLOW);
        reply_header(&j->rp, "Allow", BUILTIN_ALLOW);
        answer_now(s, req, &j->rq, &j->rp, metrics_builtin_slot(builtin), j->rq.path);
        job_free(j);
        return;
    }
    if (builtin == METRICS_HEALTHZ) { /* with a query string, or HEAD */
        reply_copy_body(&j->rp, 200, CT_JSON, HEALTH_BODY, strlen(HEALTH_BODY));
        answer_now(s, req, &j->rq, &j->rp, metrics_builtin_slot(METRICS_HEALTHZ), "/healthz");
        job_free(j);
        return;
    }
    if (builtin == METRICS_METRICS) {
        size_t len = 0;
        char *text = metrics_render(&len);
        if (text)
            reply_take_body(&j->rp, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
        else
            problem_internal(&j->rp);
        answer_now(s, req, &j->rq, &j->rp, metrics_builtin_slot(METRICS_METRICS), "/metrics");
        job_free(j);
        return;
    }
    if (builtin == METRICS_READYZ) {
        j->builtin = BUILTIN_READYZ;
        j->slot = metrics_builtin_slot(METRICS_READYZ);
    }
    if (queue_push(s, j) < 0) {
        metrics_add(m_shed, 1);
        problem_unavailable(&j->rp, s->opt->retry_after_s, "The server is overloaded; it");
        answer_now(s, req, &j->rq, &j->rp, j->slot, "shed");
        job_free(j);
        return;
    }
    s->inflight++;
    metrics_set(m_inflight, s->inflight);
}

/* ---- start, drain, stop ---- */

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    struct timeval flush = {0, DRAIN_FLUSH_MS * 1000};

    (void)fd;
    (void)what;
    if (s->inflight == 0 && elapsed_s(&s->drain_started) * 1000 >= DRAIN_MIN_MS) {
        log_msg(LOG_INFO, NULL, "drained; exiting");
        event_base_loopexit(s->base, &flush);
        event_del(s->drain_ev);
    } else if (elapsed_s(&s->drain_started) >= s->opt->shutdown_grace_s) {
        log_msg(LOG_WARN, NULL, "grace period over with %ld requests in flight; exiting", s->inflight);
        event_base_loopexit(s->base, NULL);
        event_del(s->drain_ev);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *s = arg;
    struct timeval tick = {0, DRAIN_POLL_MS * 1000};

    (void)what;
    if (server_draining(s))
        return;
    log_msg(LOG_INFO, NULL, "signal %d: draining (grace %d s)", (int)sig, s->opt->shutdown_grace_s);
    __atomic_store_n(&s->draining, 1, __ATOMIC_RELAXED);
    clock_gettime(CLOCK_MONOTONIC, &s->drain_started);
    for (int i = 0; i < s->nbound; i++)
        evhttp_del_accept_socket(s->http, s->bound[i]);
    s->nbound = 0;
    s->drain_ev = event_new(s->base, -1, EV_PERSIST, on_drain_tick, s);
    if (!s->drain_ev || event_add(s->drain_ev, &tick) < 0)
        event_base_loopexit(s->base, NULL);
}

/* accept() failed with something a retry cannot fix at once: EMFILE/ENFILE (out of file
 * descriptors), ENOBUFS/ENOMEM. The pending connection keeps the listening socket readable,
 * so without this libevent would call accept() again at once, forever: a busy loop on the
 * loop thread and a warning line per try. Instead, stop accepting for ACCEPT_PAUSE_MS
 * (connections wait in the backlog meanwhile); requests on open connections go on. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    struct server *s = the_server;
    struct timeval pause = {0, ACCEPT_PAUSE_MS * 1000};
    int err = errno;
    time_t now = time(NULL);

    (void)arg;
    metrics_add(m_accept_errors, 1);
    evconnlistener_disable(l);
    if (!s || !s->accept_ev || event_add(s->accept_ev, &pause) < 0)
        evconnlistener_enable(l);
    if (s && now - s->accept_logged >= ACCEPT_LOG_EVERY_S) {
        s->accept_logged = now;
        log_msg(LOG_WARN, NULL, "accept failed: %s; pausing new connections for %d ms (logged at most every %d s)",
                strerror(err), ACCEPT_PAUSE_MS, ACCEPT_LOG_EVERY_S);
    }
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;

    (void)fd;
    (void)what;
    for (int i = 0; i < s->nbound; i++) /* none once draining: the listeners are gone */
        evconnlistener_enable(evhttp_bound_socket_get_listener(s->bound[i]));
}

/* A listening socket on a. v6only: 1 when the address family's other half has its own
 * socket, 0 for a lone IPv6 address (so "[::]" also takes IPv4 clients). */
static int listen_socket(const struct addrinfo *a, int v6only)
{
    int one = 1, fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (a->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) ||
        bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static int same_addr(const struct addrinfo *a, const struct addrinfo *b)
{
    return a->ai_addrlen == b->ai_addrlen && memcmp(a->ai_addr, b->ai_addr, a->ai_addrlen) == 0;
}

static int listen_on(struct server *s, const struct addrinfo *a, int v6only)
{
    struct evconnlistener *l;
    int fd = listen_socket(a, v6only);

    if (fd < 0)
        return -1;
    /* backlog 0: listen() has been called */
    if (!(l = evconnlistener_new(s->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd))) {
        close(fd);
        return -1;
    }
    if (!(s->bound[s->nbound] = evhttp_bind_listener(s->http, l))) {
        evconnlistener_free(l);
        return -1;
    }
    s->nbound++;
    evconnlistener_set_error_cb(l, on_accept_error);
    return 0;
}

/* Listens on every address the host resolves to (a name such as localhost gives ::1 and
 * 127.0.0.1), each once. "::" alone is dual-stack; where the kernel has no IPv6 at all, it
 * falls back to "0.0.0.0" with a warning rather than not starting. */
static int bind_listener(struct server *s)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL, *a, *b;
    char port[8];
    int rc, n = 0;

    snprintf(port, sizeof port, "%d", s->opt->port);
    if ((rc = getaddrinfo(s->opt->host, port, &hints, &ai)) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot resolve %s: %s", s->opt->host, gai_strerror(rc));
        return -1;
    }
    for (a = ai; a; a = a->ai_next)
        n++;
    for (a = ai; a; a = a->ai_next) {
        for (b = ai; b != a && !same_addr(a, b); b = b->ai_next)
            ;
        if (b != a) /* a duplicate */
            continue;
        if (s->nbound == SERVER_MAX_LISTENERS) {
            log_msg(LOG_WARN, NULL, "%s: listening on the first %d addresses only", s->opt->host, s->nbound);
            break;
        }
        if (listen_on(s, a, n > 1) == 0)
            continue;
        if (errno == EAFNOSUPPORT && n == 1 && strcmp(s->opt->host, "::") == 0) {
            struct addrinfo v4 = *a;
            struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->opt->port)};
            v4.ai_family = AF_INET;
            v4.ai_addr = (struct sockaddr *)&any;
            v4.ai_addrlen = sizeof any;
            log_msg(LOG_WARN, NULL, "no IPv6 on this host: listening on 0.0.0.0:%d instead of [::]", s->opt->port);
            if (listen_on(s, &v4, 0) == 0)
                continue;
        }
        log_msg(LOG_ERROR, NULL, "cannot listen on %s:%d: %s", s->opt->host, s->opt->port, strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    return 0;
}

static int start_workers(struct server *s)
{
    sigset_t all, old;

    s->threads = calloc((size_t)s->opt->workers, sizeof *s->threads);
    s->workers = calloc((size_t)s->opt->workers, sizeof *s->workers);
    if (!s->threads || !s->workers)
        return -1;
    /* Signals belong to the loop thread: workers start with them blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < s->opt->workers; i++) {
        struct worker *w = &s->workers[i];
        w->id = i;
        w->server = s;
        if (s->opt->db.conninfo && !(w->db = db_new(&s->opt->db)))
            break;
        if (s->opt->worker_init && s->opt->worker_init(w) < 0) {
            db_free(&w->db);
            break;
        }
        if (pthread_create(&s->threads[i], NULL, worker_main, w) != 0) {
            if (s->opt->worker_fini)
                s->opt->worker_fini(w);
            db_free(&w->db);
            break;
        }
        s->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return s->nthreads == s->opt->workers ? 0 : -1;
}

static void stop_workers(struct server *s)
{
    struct job *list, *next;

    pthread_mutex_lock(&s->qlock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    for (int i = 0; i < s->nthreads; i++) {
        pthread_join(s->threads[i], NULL);
        if (s->opt->worker_fini)
            s->opt->worker_fini(&s->workers[i]);
        db_free(&s->workers[i].db);
    }
    /* Replies finished after the loop stopped: their connections are closed with evhttp. */
    for (list = s->done; list; list = next) {
        next = list->next;
        job_free(list);
    }
    s->done = NULL;
}

int server_run(const struct server_options *o)
{
    struct server s = {.opt = o, .wake_fd = -1};
    struct timeval log_tick = {0, LOG_FLUSH_MS * 1000};
    int rc = 1;

    signal(SIGPIPE, SIG_IGN);
    log_set_buffered(1);
    m_shed = metrics_counter("http_requests_shed_total", "Requests refused with 503 because the queue was full.", "");
    m_inflight = metrics_gauge("http_requests_in_flight", "Requests accepted and not yet answered.", "");
    m_accept_errors =
        metrics_counter("http_accept_errors_total",
                        "accept() failures (out of file descriptors or memory); each pauses accepting.", "");
    the_server = &s;
    pthread_mutex_init(&s.qlock, NULL);
    pthread_cond_init(&s.qcond, NULL);
    pthread_mutex_init(&s.dlock, NULL);
    if (!(s.ring = calloc((size_t)o->queue_max, sizeof(struct job *))) || !(s.base = event_base_new()) ||
        !(s.http = evhttp_new(s.base)))
        goto out;
    evhttp_set_max_headers_size(s.http, (ev_ssize_t)o->max_headers);
    if (!o->body_caps)
        evhttp_set_max_body_size(s.http, (ev_ssize_t)o->max_body);
    else if (body_gate_install(s.http, o->body_caps) < 0)
        goto out;
    evhttp_set_timeout(s.http, o->idle_timeout_s);
    evhttp_set_allowed_methods(s.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
                                           EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    evhttp_set_default_content_type(s.http, CT_JSON);
    evhttp_set_gencb(s.http, on_request, &s);
    if ((s.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
        !(s.wake_ev = event_new(s.base, s.wake_fd, EV_READ | EV_PERSIST, on_wake, &s)) ||
        event_add(s.wake_ev, NULL) < 0 || !(s.sigterm_ev = evsignal_new(s.base, SIGTERM, on_signal, &s)) ||
        !(s.sigint_ev = evsignal_new(s.base, SIGINT, on_signal, &s)) ||
        !(s.accept_ev = evtimer_new(s.base, on_accept_resume, &s)) ||
        !(s.flush_ev = event_new(s.base, -1, EV_PERSIST, on_log_flush, NULL)) || event_add(s.flush_ev, &log_tick) < 0 ||
        event_add(s.sigterm_ev, NULL) < 0 || event_add(s.sigint_ev, NULL) < 0)
        goto out;
    if (bind_listener(&s) < 0)
        goto out;
    if (start_workers(&s) < 0) {
        log_msg(LOG_ERROR, NULL, "could not start %d workers", o->workers);
        goto stop;
    }
    log_msg(LOG_INFO, NULL, "listening on %s:%d with %d workers", o->host, o->port, o->workers);
    event_base_dispatch(s.base);
    rc = 0;
stop:
    stop_workers(&s);
out:
    if (rc)
        log_msg(LOG_ERROR, NULL, "server could not start");
    if (s.http)
        evhttp_free(s.http);
    body_gate_free();
    if (s.drain_ev)
        event_free(s.drain_ev);
    if (s.accept_ev)
        event_free(s.accept_ev);
    if (s.flush_ev)
        event_free(s.flush_ev);
    log_flush();
    if (s.wake_ev)
        event_free(s.wake_ev);
    if (s.sigterm_ev)
        event_free(s.sigterm_ev);
    if (s.sigint_ev)
        event_free(s.sigint_ev);
    if (s.base)
        event_base_free(s.base);
    if (s.wake_fd >= 0)
        close(s.wake_fd);
    free(s.ring);
    free(s.threads);
    free(s.workers);
    pthread_mutex_destroy(&s.qlock);
    pthread_cond_destroy(&s.qcond);
    pthread_mutex_destroy(&s.dlock);
    the_server = NULL;
    return rc;
}
