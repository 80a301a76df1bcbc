/* bare_evhttp: the ceiling for GET /healthz — a minimal libevent evhttp server on one thread
 * answering every request with a fixed JSON body. Built and started by bench/run.sh.
 *   usage: bare_evhttp PORT          (listens on 127.0.0.1:PORT until SIGTERM) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static const char body[] = "{\"status\":\"ok\"}";

static void on_request(struct evhttp_request *req, void *arg)
{
    struct evbuffer *b = arg;

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer_add_reference(b, body, sizeof body - 1, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", b);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
    struct event_base *base;
    struct evhttp *http;
    struct evbuffer *b;
    struct event *term;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!(base = event_base_new()) || !(http = evhttp_new(base)) || !(b = evbuffer_new()))
        return 1;
    if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
        perror("bind");
        return 1;
    }
    evhttp_set_gencb(http, on_request, b);
    term = evsignal_new(base, SIGTERM, on_term, base);
    event_add(term, NULL);
    event_base_dispatch(base);
    event_free(term);
    evbuffer_free(b);
    evhttp_free(http);
    event_base_free(base);
    return 0;
}
