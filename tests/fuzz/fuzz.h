/* fuzz.h: small helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Every target copies the bytes it hands to the code under test into a buffer of exactly
 * the size the code may read (plus the NUL a C string needs), so AddressSanitizer sees any
 * read beyond it. FUZZ_CHECK turns a broken invariant into a crash libFuzzer records. */
#ifndef ECOMOVEX_FUZZ_H
#define ECOMOVEX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                               \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* A malloc'd NUL-terminated copy of d[0..n) (it may hold NUL bytes of its own). */
static inline char *fuzz_strndup(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, d, n);
    s[n] = '\0';
    return s;
}

/* Takes the bytes up to the next '\n' (or the end) off *d / *n as a new C string; the '\n'
 * is consumed. Returns NULL when nothing is left. */
static inline char *fuzz_line(const uint8_t **d, size_t *n)
{
    const uint8_t *nl;
    size_t len;
    char *s;

    if (*n == 0)
        return NULL;
    nl = memchr(*d, '\n', *n);
    len = nl ? (size_t)(nl - *d) : *n;
    s = fuzz_strndup(*d, len);
    *d += len + (nl ? 1 : 0);
    *n -= len + (nl ? 1 : 0);
    return s;
}

#endif
