/* dynbuf: doubling growth, capped at max. */
#include "dynbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DYNBUF_FIRST 256 /* the first allocation, unless max is smaller */

void dynbuf_init(struct dynbuf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

/* Makes room for n more bytes and the NUL. 0, or -1 (and failed set). */
static int grow(struct dynbuf *b, size_t n)
{
    size_t need, ncap;
    char *np;

    if (b->failed)
        return -1;
    if (n >= b->max - b->len) { /* len + n + 1 > max, without overflow */
        b->failed = 1;
        return -1;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : DYNBUF_FIRST;
    while (ncap < need)
        ncap = ncap > b->max / 2 ? b->max : ncap * 2;
    if (ncap > b->max)
        ncap = b->max;
    if (!(np = realloc(b->p, ncap))) {
        b->failed = 1;
        return -1;
    }
    b->p = np;
    b->cap = ncap;
    return 0;
}

int dynbuf_add(struct dynbuf *b, const void *data, size_t n)
{
    if (grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int dynbuf_printf(struct dynbuf *b, const char *fmt, ...)
{
    size_t room = b->p ? b->cap - b->len : 0;
    va_list ap;
    int n;

    if (b->failed)
        return -1;
    /* Usually the text fits the room left: one formatting pass. */
    va_start(ap, fmt);
    n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return -1;
    }
    if ((size_t)n >= room) {
        if (grow(b, (size_t)n) < 0)
            return -1;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    } else if (b->len + (size_t)n >= b->max) {
        b->p[b->len] = '\0';
        b->failed = 1;
        return -1;
    }
    b->len += (size_t)n;
    return 0;
}

char *dynbuf_take(struct dynbuf *b, size_t *len)
{
    char *p = b->failed ? NULL : b->p;

    if (b->failed)
        free(b->p);
    *len = p ? b->len : 0;
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return p;
}

void dynbuf_free(struct dynbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
