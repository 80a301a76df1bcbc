/* body_gate: how much body each request may bring, decided from its request line and
 * headers as they arrive, before evhttp reads any of the body.
 *
 * evhttp has one body cap per connection, read when a request's headers are complete. The
 * gate watches the bytes a connection receives (a callback on its input buffer, which runs
 * before evhttp's read callback), finds each request head, asks the service for that
 * request's cap and sets it on the connection. A body over the cap is refused with 413 by
 * evhttp itself, without reading it. Event loop thread only. */
#ifndef ECOMOVEX_BODY_GATE_H
#define ECOMOVEX_BODY_GATE_H

#include <stddef.h>

struct evhttp;

/* The most bytes of body a request may bring, from its method, request target (path and
 * query) and Authorization header (NULL when absent). method NULL asks for the cap of a
 * request whose head could not be read whole. Must be cheap: it runs on the event loop. */
typedef size_t (*body_cap_fn)(const char *method, const char *target, const char *authorization);

/* Makes every connection of http start at cap(NULL, NULL, NULL) and follow cap for each
 * request head it receives. 0, or -1 out of memory. */
int body_gate_install(struct evhttp *http, body_cap_fn cap);

/* Frees what body_gate_install allocated (after evhttp_free). */
void body_gate_free(void);

#endif
