/* dynbuf: a growable byte buffer with a size cap fixed when it is made (curl's dynbuf is
 * the model). Text is kept NUL-terminated. The first failure (out of memory, or the cap
 * reached) is sticky: later adds do nothing and report it, so a writer can add piece after
 * piece and check once at the end. */
#ifndef ECOMOVEX_DYNBUF_H
#define ECOMOVEX_DYNBUF_H

#include <stddef.h>

struct dynbuf {
    char *p;    /* NULL until the first add */
    size_t len; /* bytes held, the NUL not counted */
    size_t cap; /* bytes allocated */
    size_t max; /* len never reaches max: at most max - 1 bytes plus the NUL */
    int failed;
};

/* An empty buffer that will hold at most max - 1 bytes. Allocates nothing. */
void dynbuf_init(struct dynbuf *b, size_t max);

/* Appends n bytes. 0, or -1 when the cap would be passed or memory ran out (sticky). */
int dynbuf_add(struct dynbuf *b, const void *data, size_t n);

/* Appends printf-style text. 0, or -1 as dynbuf_add. */
int dynbuf_printf(struct dynbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands the bytes over (malloc'd, NUL-terminated; NULL when empty or failed) with their
 * length in *len, and leaves b empty. A failed buffer is freed and gives NULL. */
char *dynbuf_take(struct dynbuf *b, size_t *len);

/* Frees the bytes and leaves b empty (keeping its cap). */
void dynbuf_free(struct dynbuf *b);

#endif
