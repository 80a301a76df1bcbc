/* body_gate: how much body each request may bring, decided from its request line and
 * headers as they arrive, before evhttp reads any of the body.
 *
 * evhttp has one body cap per connection, read when a request's headers are complete. The
 * gate watches the bytes a connection receives (a callback on its input buffer, which runs
 * before evhttp's read callback), reads each request head line by line as it arrives (evhttp
 * takes lines away as it parses them, so a head sent in pieces is never whole in the buffer)
 * and sets that request's cap on the connection before evhttp reaches its blank line. A body over the cap is refused
 * with 413 by evhttp itself, without reading it. Event loop thread only. */
#ifndef ECOMOVEX_BODY_GATE_H
#define ECOMOVEX_BODY_GATE_H

#include <stddef.h>

struct evhttp;

/* The two caps, and how a request earns the larger one. Both checks run on the event loop:
 * they must be cheap, with no I/O. */
struct body_caps {
    size_t small; /* every request's cap */
    size_t big;   /* the cap of a request that passes both checks */
    /* 1 when a request with this method and target (path and query) may bring big. */
    int (*big_route)(const char *method, const char *target);
    /* 1 when the credentials of this Authorization header hold; asked for a big route only. */
    int (*big_credentials)(const char *authorization);
};

/* Makes every connection of http start at caps->small and follow caps for each request it
 * receives. caps must outlive http. 0, or -1 out of memory. */
int body_gate_install(struct evhttp *http, const struct body_caps *caps);

/* Frees what body_gate_install allocated (after evhttp_free). */
void body_gate_free(void);

#endif
