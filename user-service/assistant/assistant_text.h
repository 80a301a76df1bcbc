/* assistant_text: the bounded reply buffer the assistant's formatters write into
 * (assistant.c in English, assistant_vi.c in Vietnamese). Internal to the assistant. */
#ifndef ASSISTANT_TEXT_H
#define ASSISTANT_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct out {
    char *p;
    size_t cap, len;
    int full;
};

/* Appends all of the formatted text or, when it does not fit, nothing (and marks full). */
__attribute__((format(printf, 2, 3))) static inline int put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->full || o->cap == 0 || o->len + 1 >= o->cap) {
        o->full = 1;
        return -1;
    }
    va_start(ap, fmt);
    n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->p[o->len] = '\0';
        o->full = 1;
        return -1;
    }
    o->len += (size_t)n;
    return 0;
}

static inline struct out out_init(char *p, size_t cap)
{
    struct out o = {p, cap, 0, 0};
    if (cap)
        p[0] = '\0';
    return o;
}

#endif
