/* media_strip: metadata removal for JPEG, PNG and WebP uploads (see media_strip.h). */
#include "media_strip.h"

#include <string.h>

#include "media.h"

#define TIFF_MIN 26 /* header 8, one-entry IFD 2 + 12, next-IFD offset 4 */
#define EXIF_HEADER "Exif\0\0"
#define EXIF_HEADER_LEN 6
#define PNG_SIG_LEN 8
#define PNG_CHUNK_MAX 0x7fffffffUL
#define VP8X_FLAG_EXIF 0x08
#define VP8X_FLAG_XMP 0x04

struct out {
    uint8_t *p;
    size_t cap, len;
};

static int put(struct out *o, const void *p, size_t k)
{
    if (k > o->cap - o->len)
        return -1;
    memcpy(o->p + o->len, p, k);
    o->len += k;
    return 0;
}

static unsigned rd16(const uint8_t *p, int big)
{
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t rd32(const uint8_t *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void wr32(uint8_t *p, uint32_t v, int big)
{
    for (int i = 0; i < 4; i++)
        p[big ? i : 3 - i] = (uint8_t)(v >> (24 - 8 * i));
}

int media_exif_orientation(const uint8_t *t, size_t n)
{
    int big;
    uint32_t off;
    unsigned count;

    if (!t || n < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M')))
        return 0;
    big = t[0] == 'M';
    if (rd16(t + 2, big) != 42)
        return 0;
    off = rd32(t + 4, big);
    if (off < 8 || off > n || n - off < 2)
        return 0;
    count = rd16(t + off, big);
    if ((size_t)count * 12 + 4 > n - off - 2)
        return 0; /* the IFD and its next-IFD offset must fit */
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *e = t + off + 2 + 12 * (size_t)i;
        if (rd16(e, big) == 0x0112 && rd16(e + 2, big) == 3 && rd32(e + 4, big) == 1) {
            unsigned v = rd16(e + 8, big);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
}

/* The 26-byte big-endian TIFF block holding only orientation v. */
static void tiff_minimal(uint8_t t[TIFF_MIN], int v)
{
    static const uint8_t head[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1};

    memset(t, 0, TIFF_MIN);
    memcpy(t, head, sizeof head);
    t[18] = (uint8_t)(v >> 8);
    t[19] = (uint8_t)v;
}

/* The TIFF block of an Exif payload, with or without the "Exif\0\0" header. */
static int payload_orientation(const uint8_t *p, size_t n)
{
    if (n >= EXIF_HEADER_LEN && memcmp(p, EXIF_HEADER, EXIF_HEADER_LEN) == 0)
        return media_exif_orientation(p + EXIF_HEADER_LEN, n - EXIF_HEADER_LEN);
    return media_exif_orientation(p, n);
}

/* ---- JPEG ---- */

static int starts(const uint8_t *p, size_t n, const char *id, size_t idlen)
{
    return n >= idlen && memcmp(p, id, idlen) == 0;
}

/* 1 if the segment with marker m and payload p[0..n) is copied. */
static int jpeg_keep(uint8_t m, const uint8_t *p, size_t n)
{
    if (m == 0xe0)
        return starts(p, n, "JFIF\0", 5);
    if (m == 0xe2)
        return starts(p, n, "ICC_PROFILE\0", 12);
    if (m == 0xee)
        return starts(p, n, "Adobe", 5);
    return !(m >= 0xe1 && m <= 0xef) && m != 0xfe;
}

/* Copies the entropy-coded data from in[*i) up to the next marker that is not a stuffed
 * 0xFF00 or a restart (RSTn); *i is left on that marker's first 0xFF, fill bytes included:
 * fill copied as data would join whatever data is kept after a dropped segment into a false
 * marker. -1 when the data ends first. */
static int jpeg_scan(const uint8_t *in, size_t n, size_t *i, struct out *o)
{
    size_t s = *i;

    for (; *i + 1 < n; (*i)++) {
        uint8_t b = in[*i + 1];
        if (in[*i] == 0xff && b != 0x00 && !(b >= 0xd0 && b <= 0xd7))
            return put(o, in + s, *i - s);
    }
    return -1;
}

static int jpeg_strip(const uint8_t *in, size_t n, struct out *o, int *orient, const char **why)
{
    size_t i = 2;
    int in_scan = 0, seen_exif = 0;

    *why = "The JPEG's segments run past the end of the file or it has no end (EOI).";
    if (n < 4 || put(o, in, 2) < 0)
        return -1;
    for (;;) {
        uint8_t m;
        size_t len;

        if (in_scan && jpeg_scan(in, n, &i, o) < 0)
            return -1;
        while (i < n && in[i] == 0xff && i + 1 < n && in[i + 1] == 0xff)
            i++; /* fill bytes */
        if (i + 1 >= n || in[i] != 0xff)
            return -1;
        m = in[i + 1];
        if (in_scan && m >= 0xd0 && m <= 0xd7) {
            if (put(o, in + i, 2) < 0) /* a restart behind fill bytes: the fill goes */
                return -1;
            i += 2;
            continue;
        }
        if (m == 0xd9) {
            if (!in_scan) {
                *why = "The JPEG ends (EOI) before any image data (SOS).";
                return -1;
            }
            return put(o, in + i, 2); /* what follows EOI is dropped */
        }
        if (m == 0xd8 || m == 0x00 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) {
            *why = "The JPEG holds a marker out of place.";
            return -1;
        }
        if (n - i < 4 || (len = (size_t)in[i + 2] << 8 | in[i + 3]) < 2 || len > n - i - 2)
            return -1;
        if (m == 0xe1 && !seen_exif && starts(in + i + 4, len - 2, EXIF_HEADER, EXIF_HEADER_LEN)) {
            int v = media_exif_orientation(in + i + 4 + EXIF_HEADER_LEN, len - 2 - EXIF_HEADER_LEN);
            seen_exif = 1; /* only the first Exif block counts, as viewers read it */
            *orient = v;
            if (v >= 2) {
                uint8_t seg[4 + EXIF_HEADER_LEN + TIFF_MIN] = {0xff, 0xe1, 0, 2 + EXIF_HEADER_LEN + TIFF_MIN};
                memcpy(seg + 4, EXIF_HEADER, EXIF_HEADER_LEN);
                tiff_minimal(seg + 4 + EXIF_HEADER_LEN, v);
                if (put(o, seg, sizeof seg) < 0)
                    return -1;
            }
        } else if (jpeg_keep(m, in + i + 4, len - 2) && put(o, in + i, len + 2) < 0) {
            return -1;
        }
        i += len + 2;
        if (m == 0xda)
            in_scan = 1;
    }
}

/* ---- PNG ---- */

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static int png_keep(const uint8_t type[4])
{
    static const char kept[][5] = {"tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "cICP", "mDCv", "cLLi",
                                   "sBIT", "bKGD", "hIST", "sPLT", "pHYs", "acTL", "fcTL", "fdAT"};

    if (!(type[0] & 0x20))
        return 1; /* critical: upper-case first letter */
    for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
        if (memcmp(type, kept[k], 4) == 0)
            return 1;
    return 0;
}

static int png_exif(const uint8_t *data, size_t len, struct out *o, int *orient, int *seen)
{
    uint8_t c[12 + TIFF_MIN];
    int v;

    if (*seen)
        return 0; /* only the first eXIf counts */
    *seen = 1;
    v = *orient = media_exif_orientation(data, len);
    if (v < 2)
        return 0;
    wr32(c, TIFF_MIN, 1);
    c[4] = 'e';
    c[5] = 'X';
    c[6] = 'I';
    c[7] = 'f';
    tiff_minimal(c + 8, v);
    wr32(c + 8 + TIFF_MIN, crc32_of(c + 4, 4 + TIFF_MIN), 1);
    return put(o, c, sizeof c);
}

static int png_strip(const uint8_t *in, size_t n, struct out *o, int *orient, const char **why)
{
    size_t i = PNG_SIG_LEN;
    int seen = 0;

    *why = "The PNG's chunks run past the end of the file or it has no IEND chunk.";
    if (n < PNG_SIG_LEN || put(o, in, PNG_SIG_LEN) < 0)
        return -1;
    while (n - i >= 12) {
        uint32_t len = rd32(in + i, 1);
        const uint8_t *type = in + i + 4;

        if (len > PNG_CHUNK_MAX || len > n - i - 12)
            return -1;
        if (memcmp(type, "eXIf", 4) == 0) {
            if (png_exif(in + i + 8, len, o, orient, &seen) < 0)
                return -1;
        } else if (png_keep(type) && put(o, in + i, (size_t)len + 12) < 0) {
            return -1;
        }
        if (memcmp(type, "IEND", 4) == 0)
            return 0; /* what follows IEND is dropped */
        i += (size_t)len + 12;
    }
    return -1;
}

/* ---- WebP ---- */

/* Walks the RIFF chunks of in[12..end); with o NULL only finds the orientation. */
static int webp_walk(const uint8_t *in, size_t end, struct out *o, int *orient, int keep_exif)
{
    size_t i = 12;
    int seen = 0;

    while (i < end) {
        size_t len, whole;
        const uint8_t *id = in + i;

        if (end - i < 8)
            return -1;
        len = rd32(in + i + 4, 0);
        if (len > end - i - 8 || (len & 1 && len + 1 > end - i - 8))
            return -1;
        whole = 8 + len + (len & 1);
        if (!o) {
            if (memcmp(id, "EXIF", 4) == 0 && !seen++)
                *orient = payload_orientation(in + i + 8, len);
        } else if (memcmp(id, "EXIF", 4) == 0) {
            if (keep_exif && !seen++) {
                uint8_t c[8 + TIFF_MIN] = {'E', 'X', 'I', 'F', TIFF_MIN, 0, 0, 0};
                tiff_minimal(c + 8, *orient);
                if (put(o, c, sizeof c) < 0)
                    return -1;
            }
        } else if (memcmp(id, "XMP ", 4) == 0) {
            /* dropped */
        } else if (memcmp(id, "VP8X", 4) == 0 && len >= 1) {
            size_t at = o->len;
            if (put(o, in + i, whole) < 0)
                return -1;
            o->p[at + 8] &= (uint8_t) ~(VP8X_FLAG_XMP | (keep_exif ? 0 : VP8X_FLAG_EXIF));
        } else if (put(o, in + i, whole) < 0) {
            return -1;
        }
        i += whole;
    }
    return 0;
}

static int webp_strip(const uint8_t *in, size_t n, struct out *o, int *orient, const char **why)
{
    size_t riff;

    *why = "The WebP's RIFF chunks run past the end of the file.";
    if (n < 12 || (riff = rd32(in + 4, 0)) < 4 || riff > n - 8)
        return -1;
    if (webp_walk(in, riff + 8, NULL, orient, 0) < 0 || put(o, in, 12) < 0)
        return -1;
    if (webp_walk(in, riff + 8, o, orient, *orient >= 2) < 0)
        return -1;
    wr32(o->p + 4, (uint32_t)(o->len - 8), 0);
    return 0;
}

int media_strip(const char *type, const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                int *orientation, const char **why)
{
    struct out o = {out, cap, 0};
    int rc = -1, orient = 0;
    const char *reason = "The file is not a JPEG, PNG or WebP image.";

    if (in && out && type) {
        if (strcmp(type, MEDIA_JPEG) == 0)
            rc = jpeg_strip(in, n, &o, &orient, &reason);
        else if (strcmp(type, MEDIA_PNG) == 0)
            rc = png_strip(in, n, &o, &orient, &reason);
        else if (strcmp(type, MEDIA_WEBP) == 0)
            rc = webp_strip(in, n, &o, &orient, &reason);
    }
    if (out_len)
        *out_len = rc == 0 ? o.len : 0;
    if (orientation)
        *orientation = orient;
    if (why)
        *why = rc == 0 ? NULL : reason;
    return rc;
}
