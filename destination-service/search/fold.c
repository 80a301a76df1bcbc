/* fold: accent- and case-folded words of a text (see fold.h). */
#include "fold.h"

#include <string.h>

#include "utf8.h"

/* U+00C0..U+00FF: the base letter of each, '-' for the two signs (multiplication, division)
 * and '*' for the letters that fold to two (Æ æ Þ þ ß), which fold_cp spells out. */
static const char latin1[] = "aaaaaa*ceeeeiiiidnooooo-ouuuuy**"
                             "aaaaaa*ceeeeiiiidnooooo-ouuuuy*y";

/* U+0100..U+017F (Latin Extended-A), '*' for Ĳ ĳ Œ œ. */
static const char latin_ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkk"
                                  "llllllllllnnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/* U+1EA0..U+1EF9, the Vietnamese block of Latin Extended Additional: runs of one base letter
 * (ạ ả ấ ầ ẩ ẫ ậ ắ ằ ẳ ẵ ặ and their capitals, then e, i, o, u, y). */
static const struct {
    unsigned first, last;
    char base;
} vietnamese[] = {
    {0x1EA0, 0x1EB7, 'a'}, {0x1EB8, 0x1EC7, 'e'}, {0x1EC8, 0x1ECB, 'i'},
    {0x1ECC, 0x1EE3, 'o'}, {0x1EE4, 0x1EF1, 'u'}, {0x1EF2, 0x1EF9, 'y'},
};

/* What code point cp becomes: the letters written into out (at most 2), 0 letters for a
 * combining mark (it belongs to the letter before), or -1 for a separator. Other non-ASCII
 * code points return -2: the caller keeps their UTF-8 bytes. */
static int fold_cp(unsigned cp, char out[2])
{
    char c = 0;

    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z')
            c = (char)(cp - 'A' + 'a');
        else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
            c = (char)cp;
        else
            return -1;
    } else if (cp >= 0x300 && cp <= 0x36F) {
        return 0; /* combining diacritical marks */
    } else if (cp < 0xC0 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
               (cp >= 0xFF00 && cp <= 0xFF0F)) {
        return -1; /* Latin-1 punctuation, general and CJK punctuation, full-width signs */
    } else if (cp <= 0xFF) {
        c = latin1[cp - 0xC0];
    } else if (cp <= 0x17F) {
        c = latin_ext_a[cp - 0x100];
    } else if (cp == 0x1A0 || cp == 0x1A1) {
        c = 'o'; /* Ơ ơ */
    } else if (cp == 0x1AF || cp == 0x1B0) {
        c = 'u'; /* Ư ư */
    } else {
        for (size_t i = 0; i < sizeof vietnamese / sizeof vietnamese[0]; i++)
            if (cp >= vietnamese[i].first && cp <= vietnamese[i].last)
                c = vietnamese[i].base;
        if (!c)
            return -2;
    }
    if (c == '-')
        return -1;
    if (c != '*') {
        out[0] = c;
        return 1;
    }
    const char *two = cp == 0xC6 || cp == 0xE6     ? "ae"
                      : cp == 0xDE || cp == 0xFE   ? "th"
                      : cp == 0xDF                 ? "ss"
                      : cp == 0x132 || cp == 0x133 ? "ij"
                                                   : "oe"; /* Œ œ */
    out[0] = two[0];
    out[1] = two[1];
    return 2;
}

size_t fold_next(const char **s, char word[FOLD_WORD_MAX + 1])
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = 0, avail = strlen((const char *)p);

    while (avail > 0) {
        unsigned cp;
        size_t n = utf8_decode(p, avail, &cp);
        char letters[2];
        int k = n ? fold_cp(cp, letters) : -1;

        if (n == 0)
            n = 1; /* an invalid byte: a separator */
        p += n;
        avail -= n;
        if (k == -1) {
            if (len > 0)
                break;
            continue;
        }
        if (k == -2) { /* kept as it is written */
            if (len + n <= FOLD_WORD_MAX) {
                memcpy(word + len, p - n, n);
                len += n;
            }
            continue;
        }
        for (int i = 0; i < k && len < FOLD_WORD_MAX; i++)
            word[len++] = letters[i];
    }
    word[len] = '\0';
    *s = (const char *)p;
    return len;
}

int fold_is_alpha(const char *word, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (word[i] < 'a' || word[i] > 'z')
            return 0;
    return len > 0;
}
