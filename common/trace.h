/* W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent and tracestate a
 * request arrives with, this service's span for it, and the traceparent of a call it makes. */
#ifndef ECOMOVEX_TRACE_H
#define ECOMOVEX_TRACE_H

#include <stddef.h>

#define TRACE_ID_HEX 32
#define SPAN_ID_HEX 16
#define TRACEPARENT_LEN 55 /* "00-" trace "-" span "-" flags */
#define TRACESTATE_MAX 512 /* the limit the specification lets a vendor keep */

struct trace {
    char trace_id[TRACE_ID_HEX + 1];
    char span_id[SPAN_ID_HEX + 1];   /* this service's span for the request */
    char parent_id[SPAN_ID_HEX + 1]; /* the caller's span; "" when the trace starts here */
    unsigned flags;                  /* trace-flags, passed on unchanged (0 when the trace starts here) */
    char state[TRACESTATE_MAX + 1];  /* tracestate to pass on; "" when absent, invalid or without a traceparent */
};

/* Writes 32 random lowercase hex digits (a fresh trace id, and the request ids made here). */
void trace_new_id(char out[TRACE_ID_HEX + 1]);

/* Parses a traceparent header. Returns 1 and fills the fields when it is valid: version 00 at
 * exactly 55 characters, or a later version (not ff) of at least 55 with a '-' after the flags;
 * lowercase hex only; neither id all zeros. Returns 0 otherwise. */
int trace_parse_parent(const char *h, char trace_id[TRACE_ID_HEX + 1], char parent_id[SPAN_ID_HEX + 1],
                       unsigned *flags);

/* 1 if h can be passed on as tracestate: 1..TRACESTATE_MAX printable ASCII characters. */
int trace_state_valid(const char *h);

/* Starts this service's span. With a valid traceparent the trace continues (and tracestate, when
 * valid, is kept); otherwise the trace starts here, with fallback_id as its id when that is 32
 * lowercase hex digits (the request id), else a random one. Returns 1 when traceparent was valid. */
int trace_begin(struct trace *t, const char *traceparent, const char *tracestate, const char *fallback_id);

/* Writes the traceparent for a call made inside span t: version 00, t's trace and span ids and
 * flags. out needs TRACEPARENT_LEN + 1 bytes. */
void trace_child_parent(const struct trace *t, char *out, size_t cap);

/* The traceparent for a call made now for request_id, written to traceparent (TRACEPARENT_LEN + 1
 * bytes): a child of the thread's current span, or, outside any request (background tasks), of a
 * new trace. Returns the tracestate to send with it, or NULL. */
const char *trace_outgoing(const char *request_id, char *traceparent, size_t cap);

/* The span the calling thread works for (set by the server around a handler), or NULL. */
const struct trace *trace_current(void);
void trace_set_current(const struct trace *t);

#endif
