/* utf8: the one strict UTF-8 decoder (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), for validating bodies, escaping log text and reading characters. */
#ifndef ECOMOVEX_UTF8_H
#define ECOMOVEX_UTF8_H

#include <stddef.h>

/* Decodes the character at s (avail bytes, avail >= 1): returns its length (1..4) and sets
 * *cp (may be NULL), or returns 0 when no valid character starts there. */
size_t utf8_decode(const unsigned char *s, size_t avail, unsigned *cp);

/* 1 when str[0..len) is valid UTF-8 throughout. */
int utf8_valid(const char *str, size_t len);

/* Characters (code points) of the valid UTF-8 string s. */
size_t utf8_chars(const char *s);

#endif
