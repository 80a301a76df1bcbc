/* media: sniffing, hashing and the small checks of media uploads. */
#include "media.h"

#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "json.h"
#include "utf8.h"

const char *const media_categories[] = {"avatar", "cover", "travel_photo", "review", NULL};

static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

const char *media_sniff(const uint8_t *p, size_t n)
{
    if (!p)
        return NULL;
    if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        return MEDIA_JPEG;
    if (n >= sizeof png_sig && memcmp(p, png_sig, sizeof png_sig) == 0)
        return MEDIA_PNG;
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return MEDIA_WEBP;
    return NULL;
}

const char *media_type_canonical(const char *declared)
{
    static const char *const types[] = {MEDIA_JPEG, MEDIA_PNG, MEDIA_WEBP};
    size_t n;

    if (!declared)
        return NULL;
    while (*declared == ' ' || *declared == '\t')
        declared++;
    n = strcspn(declared, "; \t");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i]) == n && strncasecmp(declared, types[i], n) == 0)
            return types[i];
    return NULL;
}

int media_category_valid(const char *category)
{
    for (size_t i = 0; category && media_categories[i]; i++)
        if (strcmp(category, media_categories[i]) == 0)
            return 1;
    return 0;
}

int media_category_public(const char *category)
{
    return category && (strcmp(category, "avatar") == 0 || strcmp(category, "cover") == 0);
}

void media_sha256_hex(const void *p, size_t n, char out[MEDIA_SHA256_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, p, n);
    sodium_bin2hex(out, MEDIA_SHA256_HEX, h, sizeof h);
}

void media_filename(const char *in, char out[MEDIA_FILENAME_MAX])
{
    const char *base = in ? in : "";
    size_t o = 0, chars = 0, start, end;

    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    if (!utf8_valid(base, strlen(base)))
        base = "";
    /* Copy whole code points, dropping C0 controls and DEL, up to the limit. */
    for (const unsigned char *p = (const unsigned char *)base; *p && chars < MEDIA_FILENAME_CHARS;) {
        size_t cl = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        if (*p < 0x20 || *p == 0x7f) {
            p++;
            continue;
        }
        if (o + cl >= MEDIA_FILENAME_MAX)
            break;
        memcpy(out + o, p, cl);
        o += cl;
        p += cl;
        chars++;
    }
    out[o] = '\0';
    for (start = 0; out[start] == ' ' || out[start] == '\t'; start++)
        ;
    for (end = o; end > start && (out[end - 1] == ' ' || out[end - 1] == '\t'); end--)
        ;
    memmove(out, out + start, end - start);
    out[end - start] = '\0';
    if (!out[0] || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, MEDIA_FILENAME_MAX, "%s", MEDIA_DEFAULT_FILENAME);
}

int media_etag_match(const char *h, const char *sha256)
{
    size_t slen;

    if (!h || !sha256)
        return 0;
    slen = strlen(sha256);
    while (*h) {
        const char *q;

        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (!*h)
            break;
        if (*h == '*')
            return 1;
        if (h[0] == 'W' && h[1] == '/')
            h += 2;
        if (*h != '"' || !(q = strchr(h + 1, '"')))
            return 0; /* malformed list: no match */
        if ((size_t)(q - h - 1) == slen && memcmp(h + 1, sha256, slen) == 0)
            return 1;
        h = q + 1;
    }
    return 0;
}
