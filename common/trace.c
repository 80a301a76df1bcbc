#include "trace.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static __thread const struct trace *current;

/* splitmix64: ids need to be unique, not secret, and a getrandom(2) per request was a
 * measurable part of answering /healthz. Each thread seeds its own state once from the OS. */
static unsigned long long next_id_word(void)
{
    static __thread unsigned long long state;
    static __thread int seeded;
    unsigned long long z;

    if (!seeded) {
        randombytes_buf(&state, sizeof state);
        seeded = 1;
    }
    z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void trace_new_id(char out[TRACE_ID_HEX + 1])
{
    unsigned long long a = next_id_word(), b = next_id_word();

    snprintf(out, TRACE_ID_HEX + 1, "%016llx%016llx", a, b);
}

/* 1 if s[0..n) is lowercase hex and not all zeros. */
static int hex_id(const char *s, size_t n)
{
    int nonzero = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
        nonzero |= c != '0';
    }
    return nonzero;
}

static int hex_digit(char c)
{
    return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int trace_parse_parent(const char *h, char trace_id[TRACE_ID_HEX + 1], char parent_id[SPAN_ID_HEX + 1], unsigned *flags)
{
    size_t n;
    int v0, v1, f0, f1;

    if (!h)
        return 0;
    n = strnlen(h, TRACEPARENT_LEN + 2);
    if (n < TRACEPARENT_LEN || (v0 = hex_digit(h[0])) < 0 || (v1 = hex_digit(h[1])) < 0 || h[2] != '-')
        return 0;
    if ((v0 == 15 && v1 == 15) || (v0 == 0 && v1 == 0 && n != TRACEPARENT_LEN))
        return 0;
    if (n > TRACEPARENT_LEN && h[TRACEPARENT_LEN] != '-')
        return 0;
    if (!hex_id(h + 3, TRACE_ID_HEX) || h[35] != '-' || !hex_id(h + 36, SPAN_ID_HEX) || h[52] != '-' ||
        (f0 = hex_digit(h[53])) < 0 || (f1 = hex_digit(h[54])) < 0)
        return 0;
    memcpy(trace_id, h + 3, TRACE_ID_HEX);
    trace_id[TRACE_ID_HEX] = '\0';
    memcpy(parent_id, h + 36, SPAN_ID_HEX);
    parent_id[SPAN_ID_HEX] = '\0';
    *flags = (unsigned)(f0 * 16 + f1);
    return 1;
}

int trace_state_valid(const char *h)
{
    size_t n = 0;

    if (!h)
        return 0;
    for (; h[n]; n++)
        if (n >= TRACESTATE_MAX || (unsigned char)h[n] < 0x20 || (unsigned char)h[n] > 0x7e)
            return 0;
    return n > 0;
}

int trace_begin(struct trace *t, const char *traceparent, const char *tracestate, const char *fallback_id)
{
    char rnd[TRACE_ID_HEX + 1];
    int continued = trace_parse_parent(traceparent, t->trace_id, t->parent_id, &t->flags);

    if (!continued) {
        if (!fallback_id || strlen(fallback_id) != TRACE_ID_HEX || !hex_id(fallback_id, TRACE_ID_HEX)) {
            trace_new_id(rnd);
            fallback_id = rnd;
        }
        memcpy(t->trace_id, fallback_id, TRACE_ID_HEX);
        t->trace_id[TRACE_ID_HEX] = '\0';
        t->parent_id[0] = '\0';
        t->flags = 0;
    }
    do /* a span id of zeros is invalid */
        trace_new_id(rnd);
    while (!hex_id(rnd, SPAN_ID_HEX));
    memcpy(t->span_id, rnd, SPAN_ID_HEX);
    t->span_id[SPAN_ID_HEX] = '\0';
    if (continued && trace_state_valid(tracestate))
        snprintf(t->state, sizeof t->state, "%s", tracestate);
    else
        t->state[0] = '\0';
    return continued;
}

void trace_child_parent(const struct trace *t, char *out, size_t cap)
{
    snprintf(out, cap, "00-%s-%s-%02x", t->trace_id, t->span_id, t->flags & 0xffu);
}

const struct trace *trace_current(void)
{
    return current;
}

void trace_set_current(const struct trace *t)
{
    current = t;
}

const char *trace_outgoing(const char *request_id, char *traceparent, size_t cap)
{
    const struct trace *cur = trace_current();
    struct trace fresh;

    if (!cur) {
        trace_begin(&fresh, NULL, NULL, request_id);
        trace_child_parent(&fresh, traceparent, cap);
        return NULL;
    }
    trace_child_parent(cur, traceparent, cap);
    return cur->state[0] ? cur->state : NULL;
}
