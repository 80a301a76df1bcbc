/* utf8: strict decoding. The first byte fixes the length and the range allowed for the
 * second byte; that range is what rules out overlong forms (E0, F0), surrogates (ED) and
 * code points above U+10FFFF (F4). */
#include "utf8.h"

size_t utf8_decode(const unsigned char *s, size_t avail, unsigned *cp)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    unsigned v;

    if (c < 0x80) {
        if (cp)
            *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0Fu;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07u;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (avail <= need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    if (cp)
        *cp = v;
    return need + 1;
}

int utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, n;

    while (i < len) {
        if ((n = utf8_decode(s + i, len - i, NULL)) == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}
