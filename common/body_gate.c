/* body_gate: a per-connection watch over the received bytes, kept in a table indexed by the
 * connection's descriptor (no allocation per connection, nothing to leak when evhttp frees a
 * connection without telling). The watch knows where it is in the byte stream — between
 * requests, in a head, in a body of known length, or lost (a chunked body, a line too long),
 * after which it leaves the connection at the cap it last set. Pipelined requests: a head
 * that ends while an earlier request is still being read gets its cap once evhttp starts
 * reading it (heads waiting together get the smallest of their caps). */
#include "body_gate.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#define LINE_MAX_BYTES (16 * 1024) /* longest head line the gate reads; evhttp refuses longer */
#define SLOTS_MAX (1 << 20)        /* descriptors watched at most */

struct watch {
    struct evhttp_connection *evcon; /* NULL: slot free */
    size_t pos;                      /* bytes of the input buffer already looked at */
    size_t searched;                 /* bytes after pos known to hold no line end */
    unsigned long long body_left;    /* body bytes still to come before the next head */
    int lost;                        /* the stream can no longer be followed */
    /* the head being read: where it starts in the buffer, and what its lines said */
    int in_head, big_route, big_credentials, chunked;
    size_t head_off;
    long long length; /* Content-Length; -1 absent, -2 unusable */
    int pending;      /* a head waits behind an earlier request */
    size_t pending_off, pending_cap;
};

static struct watch *watches;
static size_t nwatches;
static const struct body_caps *caps;

static void set_cap(struct watch *w, size_t cap)
{
    evhttp_connection_set_max_body_size(w->evcon, (ev_ssize_t)(cap > SSIZE_MAX ? SSIZE_MAX : cap));
}

static long long parse_length(const char *v)
{
    long long n = 0;

    if (!*v)
        return -2;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (LLONG_MAX - 9) / 10)
            return -2;
        n = n * 10 + (*v - '0');
    }
    return n;
}

/* A head of cap starting off bytes into the buffer. With nothing before it, its cap is set
 * now. Behind an earlier request it waits: evhttp compares the cap with the body read so
 * far, so the earlier request keeps its own. Two or more waiting heads share the smallest. */
static void head_cap(struct watch *w, size_t off, size_t cap)
{
    if (off == 0) {
        w->pending = 0;
        set_cap(w, cap);
    } else if (!w->pending) {
        w->pending = 1;
        w->pending_off = off;
        w->pending_cap = cap;
    } else if (cap < w->pending_cap) {
        w->pending_cap = cap;
    }
}

static void request_line(struct watch *w, char *line, size_t start)
{
    char *method = strsep(&line, " "), *target = line ? strsep(&line, " ") : NULL;

    w->in_head = 1;
    w->head_off = start;
    w->big_route = caps->big_route(method, target ? target : "");
    w->big_credentials = w->chunked = 0;
    w->length = -1;
}

static void header_line(struct watch *w, char *line)
{
    char *colon = strchr(line, ':'), *v, *end;

    if (!colon)
        return;
    *colon = '\0';
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t');)
        *--end = '\0';
    if (strcasecmp(line, "Content-Length") == 0)
        w->length = w->length == -1 ? parse_length(v) : -2;
    else if (strcasecmp(line, "Transfer-Encoding") == 0)
        w->chunked = 1;
    else if (strcasecmp(line, "Authorization") == 0 && w->big_route)
        w->big_credentials = caps->big_credentials(v);
}

/* The blank line: the head's cap, and how much body follows. 0, or -1 when the stream is
 * lost (a chunked or unusable length). */
static int head_end(struct watch *w)
{
    w->in_head = 0;
    head_cap(w, w->head_off, w->big_route && w->big_credentials ? caps->big : caps->small);
    if (w->chunked || w->length == -2)
        return -1;
    w->body_left = w->length > 0 ? (unsigned long long)w->length : 0;
    return 0;
}

/* Reads the next line at w->pos if it is whole. 1 when one was read, 0 when more bytes are
 * needed, -1 when the stream is lost. */
static int next_line(struct watch *w, struct evbuffer *buf, size_t len)
{
    static char text[LINE_MAX_BYTES + 1]; /* the event loop is one thread */
    struct evbuffer_ptr from, end;
    size_t start = w->pos, n;

    /* Resume where the last look stopped, so a line sent a byte at a time is searched once. */
    evbuffer_ptr_set(buf, &from, w->pos + w->searched, EVBUFFER_PTR_SET);
    end = evbuffer_search(buf, "\n", 1, &from);
    if (end.pos < 0) {
        w->searched = len - w->pos;
        return len - w->pos > LINE_MAX_BYTES ? -1 : 0;
    }
    n = (size_t)end.pos + 1 - w->pos;
    if (n > LINE_MAX_BYTES)
        return -1;
    evbuffer_ptr_set(buf, &from, w->pos, EVBUFFER_PTR_SET);
    evbuffer_copyout_from(buf, &from, text, n);
    w->pos += n;
    w->searched = 0;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    text[n] = '\0';
    if (!w->in_head) {
        if (n > 0) /* blank lines between requests are skipped */
            request_line(w, text, start);
        return 1;
    }
    if (n == 0)
        return head_end(w) < 0 ? -1 : 1;
    header_line(w, text);
    return 1;
}

static void bytes_added(struct watch *w, struct evbuffer *buf)
{
    size_t len = evbuffer_get_length(buf), take;
    int r;

    while (!w->lost && w->pos < len) {
        if (w->body_left) {
            take = len - w->pos < w->body_left ? len - w->pos : (size_t)w->body_left;
            w->pos += take;
            w->body_left -= take;
            continue;
        }
        if ((r = next_line(w, buf, len)) == 0)
            return;
        if (r < 0)
            w->lost = 1;
    }
}

/* evhttp took n bytes from the front. A waiting head gets its cap once evhttp starts
 * reading it (bytes past its start are taken), not when the body before it has gone:
 * evhttp compares that body with the cap just after taking it. */
static void bytes_removed(struct watch *w, size_t n)
{
    w->pos -= n < w->pos ? n : w->pos;
    w->head_off -= n < w->head_off ? n : w->head_off;
    if (!w->pending)
        return;
    if (n > w->pending_off) {
        w->pending = 0;
        set_cap(w, w->pending_cap);
    } else {
        w->pending_off -= n;
    }
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct watch *w = &watches[(uintptr_t)arg];

    if (w->evcon == evcon)
        memset(w, 0, sizeof *w);
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct bufferevent *bev = arg;
    evutil_socket_t fd = bufferevent_getfd(bev);
    void *cbarg = NULL;
    struct watch *w;

    bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg); /* evhttp's: the connection */
    if (fd < 0 || (size_t)fd >= nwatches || !cbarg)
        return;
    w = &watches[fd];
    if (w->evcon != cbarg) { /* a new connection on this descriptor */
        memset(w, 0, sizeof *w);
        w->evcon = cbarg;
        evhttp_connection_set_closecb(w->evcon, on_close, (void *)(uintptr_t)fd);
    }
    if (info->n_deleted)
        bytes_removed(w, info->n_deleted);
    if (info->n_added)
        bytes_added(w, buf);
}

static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

    (void)arg;
    if (bev && evbuffer_add_cb(bufferevent_get_input(bev), on_input, bev) == NULL) {
        bufferevent_free(bev);
        return NULL; /* evhttp makes its own: that connection keeps the small cap */
    }
    return bev;
}

int body_gate_install(struct evhttp *http, const struct body_caps *c)
{
    struct rlimit rl;

    nwatches = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < SLOTS_MAX
                   ? (size_t)rl.rlim_cur
                   : SLOTS_MAX;
    if (!(watches = calloc(nwatches, sizeof *watches)))
        return -1;
    caps = c;
    evhttp_set_max_body_size(http, (ev_ssize_t)c->small);
    evhttp_set_bevcb(http, new_bev, NULL);
    return 0;
}

void body_gate_free(void)
{
    free(watches);
    watches = NULL;
    nwatches = 0;
}
