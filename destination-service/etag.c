/* etag: hashing representations and comparing entity tags. */
#include "etag.h"

#include <string.h>

#include <sodium.h>

void etag_compute(const void *body, size_t len, char out[ETAG_MAX])
{
    unsigned char h[ETAG_HASH_BYTES];

    crypto_generichash(h, sizeof h, body, len, NULL, 0);
    out[0] = '"';
    sodium_bin2hex(out + 1, ETAG_MAX - 2, h, sizeof h);
    out[ETAG_MAX - 2] = '"';
    out[ETAG_MAX - 1] = '\0';
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The opaque part of a tag without W/ (the quoted string), as s[0..*len). NULL if not a tag. */
static const char *opaque(const char *s, size_t n, size_t *len)
{
    if (n >= 2 && s[0] == 'W' && s[1] == '/') {
        s += 2;
        n -= 2;
    }
    if (n < 2 || s[0] != '"' || s[n - 1] != '"' || memchr(s + 1, '"', n - 2))
        return NULL;
    *len = n;
    return s;
}

int etag_match(const char *header, const char *etag)
{
    size_t elen, want_len;
    const char *want;

    if (!header || !etag || !(want = opaque(etag, strlen(etag), &want_len)))
        return 0;
    elen = strlen(header);
    for (size_t i = 0; i < elen;) {
        size_t start, end, len;
        const char *tag;

        while (i < elen && (is_ows(header[i]) || header[i] == ','))
            i++;
        if (i == elen)
            break;
        start = i;
        /* An entity tag may itself hold a comma: a member ends after its closing quote. */
        if (header[i] == 'W' && i + 1 < elen && header[i + 1] == '/')
            i += 2;
        if (i < elen && header[i] == '"') {
            const char *q = memchr(header + i + 1, '"', elen - i - 1);
            if (!q)
                return 0;
            i = (size_t)(q - header) + 1;
        } else {
            while (i < elen && header[i] != ',' && !is_ows(header[i]))
                i++;
        }
        end = i;
        while (i < elen && is_ows(header[i]))
            i++;
        if (i < elen && header[i] != ',')
            return 0; /* garbage after a member: the list is malformed */
        if (end - start == 1 && header[start] == '*')
            return 1;
        tag = opaque(header + start, end - start, &len);
        if (!tag)
            return 0;
        if (len == want_len && memcmp(tag, want, len) == 0)
            return 1;
    }
    return 0;
}
