/* test_media_strip.c - unit tests for user-service/media/media_strip.c: Exif (GPS), XMP,
 * IPTC, comments and text chunks leave JPEG, PNG and WebP files; image data stays byte for
 * byte; the orientation survives; malformed files are refused without reading past them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "media.h"
#include "media_strip.h"

#define CAP 4096
#define GPS_MARK "GPS-52.3676N-4.9041E"

struct buf {
    uint8_t p[CAP];
    size_t n;
};

static void add(struct buf *b, const void *p, size_t k)
{
    assert_true(b->n + k <= CAP);
    memcpy(b->p + b->n, p, k);
    b->n += k;
}

static void add_byte(struct buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    add(b, &c, 1);
}

static void add16(struct buf *b, unsigned v, int big)
{
    add_byte(b, big ? v >> 8 : v & 0xff);
    add_byte(b, big ? v & 0xff : v >> 8);
}

static void add32(struct buf *b, uint32_t v, int big)
{
    for (int i = 0; i < 4; i++)
        add_byte(b, (v >> (big ? 24 - 8 * i : 8 * i)) & 0xff);
}

static int has(const uint8_t *p, size_t n, const void *needle, size_t k)
{
    for (size_t i = 0; k <= n && i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

/* A TIFF block: IFD0 with a GPS-IFD pointer and, when orient, the orientation tag; then the
 * GPS marker text, so the test can look for it. */
static void tiff(struct buf *b, int big, unsigned orient)
{
    size_t start = b->n;
    unsigned entries = orient ? 2 : 1;
    add(b, big ? "MM" : "II", 2);
    add16(b, 42, big);
    add32(b, 8, big);
    add16(b, entries, big);
    if (orient) {
        add16(b, 0x0112, big);
        add16(b, 3, big);
        add32(b, 1, big);
        add16(b, orient, big);
        add16(b, 0, big);
    }
    add16(b, 0x8825, big); /* GPSInfo IFD pointer */
    add16(b, 4, big);
    add32(b, 1, big);
    add32(b, (uint32_t)(b->n - start + 8), big);
    add32(b, 0, big);
    add(b, GPS_MARK, sizeof GPS_MARK - 1);
}

static void jpeg_segment(struct buf *b, unsigned marker, const struct buf *payload)
{
    add_byte(b, 0xff);
    add_byte(b, marker);
    add16(b, (unsigned)payload->n + 2, 1);
    add(b, payload->p, payload->n);
}

static const uint8_t scan_data[] = {0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0x78};

/* SOI, APP0 JFIF, APP1 Exif (GPS, orientation), APP1 XMP, APP13 IPTC, COM, DQT, SOS + data,
 * EOI, and a trailing second image with its own Exif. */
static void jpeg_with_metadata(struct buf *b, int big, unsigned orient)
{
    static struct buf seg;
    static const uint8_t dqt[] = {0x00, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t sos[] = {0x01, 0x01, 0x00, 0x00, 0x3f, 0x00};

    memset(b, 0, sizeof *b);
    add(b, "\xff\xd8", 2);
    seg.n = 0;
    add(&seg, "JFIF\0\1\1\0\0\1\0\1\0\0", 14);
    jpeg_segment(b, 0xe0, &seg);
    seg.n = 0;
    add(&seg, "Exif\0\0", 6);
    tiff(&seg, big, orient);
    jpeg_segment(b, 0xe1, &seg);
    seg.n = 0;
    add(&seg, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>" GPS_MARK "</x:xmpmeta>", 63);
    jpeg_segment(b, 0xe1, &seg);
    seg.n = 0;
    add(&seg,
        "Photoshop 3.0\0"
        "8BIM" GPS_MARK,
        38);
    jpeg_segment(b, 0xed, &seg);
    seg.n = 0;
    add(&seg, "comment " GPS_MARK, 28);
    jpeg_segment(b, 0xfe, &seg);
    seg.n = 0;
    add(&seg, dqt, sizeof dqt);
    jpeg_segment(b, 0xdb, &seg);
    seg.n = 0;
    add(&seg, sos, sizeof sos);
    jpeg_segment(b, 0xda, &seg);
    add(b, scan_data, sizeof scan_data);
    add(b, "\xff\xd9", 2);
    add(b,
        "\xff\xd8\xff\xe1\x00\x1c"
        "Exif\0\0" GPS_MARK "\xff\xd9",
        34);
}

static int strip(const char *type, const struct buf *in, struct buf *out, int *orient)
{
    const char *why = "unset";
    int rc = media_strip(type, in->p, in->n, out->p, in->n, &out->n, orient, &why);
    if (rc == 0)
        assert_null(why);
    else
        assert_non_null(why);
    return rc;
}

static void test_jpeg(void **state)
{
    static struct buf in, out;
    static const uint8_t sos_head[] = {0xff, 0xda, 0x00, 0x08};
    int orient = -1;

    (void)state;
    for (int big = 0; big <= 1; big++) {
        jpeg_with_metadata(&in, big, 6);
        assert_true(has(in.p, in.n, GPS_MARK, strlen(GPS_MARK)));
        assert_int_equal(strip(MEDIA_JPEG, &in, &out, &orient), 0);
        assert_int_equal(orient, 6);
        assert_true(out.n < in.n);
        assert_false(has(out.p, out.n, GPS_MARK, strlen(GPS_MARK)));
        assert_false(has(out.p, out.n, "xmpmeta", 7));
        assert_false(has(out.p, out.n, "Photoshop", 9));
        assert_false(has(out.p, out.n, "comment", 7));
        assert_true(has(out.p, out.n, "JFIF", 4));
        assert_true(has(out.p, out.n, "\xff\xdb\x00\x0b\x00\x01\x02", 7));
        assert_true(has(out.p, out.n, sos_head, sizeof sos_head));
        assert_true(has(out.p, out.n, scan_data, sizeof scan_data));
        /* one minimal Exif with only the orientation, big-endian */
        assert_true(has(out.p, out.n,
                        "\xff\xe1\x00\x22"
                        "Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06",
                        30));
        assert_memory_equal(out.p, "\xff\xd8", 2);
        assert_memory_equal(out.p + out.n - 2 - sizeof scan_data, scan_data, sizeof scan_data);
        assert_memory_equal(out.p + out.n - 2, "\xff\xd9", 2);
    }
    /* orientation 1 or none: no Exif at all */
    jpeg_with_metadata(&in, 1, 1);
    assert_int_equal(strip(MEDIA_JPEG, &in, &out, &orient), 0);
    assert_int_equal(orient, 1);
    assert_false(has(out.p, out.n, "Exif", 4));
    jpeg_with_metadata(&in, 0, 0);
    assert_int_equal(strip(MEDIA_JPEG, &in, &out, &orient), 0);
    assert_int_equal(orient, 0);
    assert_false(has(out.p, out.n, "Exif", 4));
}

static void test_jpeg_keeps_icc_and_clean_files(void **state)
{
    static const uint8_t clean[] = {0xff, 0xd8, 0xff, 0xe2, 0x00, 0x10, 'I',  'C',  'C',  '_',  'P',  'R',  'O',
                                    'F',  'I',  'L',  'E',  0,    1,    1,    0xff, 0xee, 0x00, 0x07, 'A',  'd',
                                    'o',  'b',  'e',  0xff, 0xda, 0x00, 0x02, 0x11, 0x22, 0xff, 0x00, 0xff, 0xd9};
    static const uint8_t mpf[] = {0xff, 0xd8, 0xff, 0xe2, 0x00, 0x08, 'M',  'P',  'F', 0,
                                  1,    2,    0xff, 0xda, 0x00, 0x02, 0x11, 0xff, 0xd9};
    uint8_t out[sizeof clean];
    size_t n = 0;
    int orient = -1;
    const char *why;

    (void)state;
    assert_int_equal(media_strip(MEDIA_JPEG, clean, sizeof clean, out, sizeof out, &n, &orient, &why), 0);
    assert_int_equal(n, sizeof clean);
    assert_memory_equal(out, clean, sizeof clean);
    assert_int_equal(orient, 0);
    assert_int_equal(media_strip(MEDIA_JPEG, mpf, sizeof mpf, out, sizeof out, &n, &orient, &why), 0);
    assert_int_equal(n, sizeof mpf - 10);
    assert_memory_equal(out, "\xff\xd8\xff\xda\x00\x02\x11\xff\xd9", 9);
}

static void test_jpeg_malformed(void **state)
{
    static struct buf in;
    static const uint8_t *cases[] = {
        (const uint8_t *)"\xff\xd8\xff\xe1\x00\x40"
                         "Exif", /* segment past the end */
        (const uint8_t *)"\xff\xd8\xff\xe1\x00\x01"
                         "Exif",                             /* length below 2 */
        (const uint8_t *)"\xff\xd8\xff\xe0\x00\x02\xff\xd9", /* EOI before SOS */
        (const uint8_t *)"\xff\xd8\xff\xda\x00\x02\x11\x22", /* no EOI */
        (const uint8_t *)"\xff\xd8\x00\x00\xff\xd9",         /* not a marker */
        (const uint8_t *)"\xff\xd8\xff",
    };
    static const size_t lens[] = {10, 10, 8, 8, 6, 3};
    uint8_t out[CAP];
    size_t n = 99;
    int orient;
    const char *why = NULL;

    (void)state;
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        assert_int_equal(media_strip(MEDIA_JPEG, cases[k], lens[k], out, sizeof out, &n, &orient, &why), -1);
        assert_non_null(why);
        assert_int_equal(n, 0);
    }
    /* every truncation of a good file is refused, on a buffer of exactly that length */
    jpeg_with_metadata(&in, 1, 3);
    for (size_t cut = 0; cut < in.n - 36; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, in.p, cut);
        assert_int_equal(media_strip(MEDIA_JPEG, copy, cut, out, sizeof out, &n, &orient, &why), -1);
        free(copy);
    }
    /* an output buffer too small is refused, never overrun */
    assert_int_equal(media_strip(MEDIA_JPEG, in.p, in.n, out, 20, &n, &orient, &why), -1);
}

/* Found by fuzz_media_strip: fill bytes (0xFF) in front of a dropped marker inside the scan
 * were copied as image data, so they joined the next kept data into a false marker (here
 * FF B3) and the stored file no longer parsed. The fill goes with its marker; a restart
 * marker behind fill bytes keeps working; 0xFF fill in front of a stuffed 00 is malformed. */
static void test_jpeg_fill_before_dropped_marker(void **state)
{
    static const uint8_t in[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x12, 0x34, 0xff, 0xff, 0xff, 0xed, 0x00,
                                 0x04, 'P',  'S',  0xb3, 0xb3, 0xff, 0xff, 0xd0, 0x56, 0xff, 0xff, 0xd9};
    static const uint8_t want[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x12, 0x34,
                                   0xb3, 0xb3, 0xff, 0xd0, 0x56, 0xff, 0xd9};
    static const uint8_t stuffed[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x12, 0xff, 0xff, 0x00, 0xff, 0xd9};
    uint8_t out[sizeof in], again[sizeof in];
    size_t n = 0, n2 = 0;
    int orient = -1;
    const char *why = NULL;

    (void)state;
    assert_int_equal(media_strip(MEDIA_JPEG, in, sizeof in, out, sizeof out, &n, &orient, &why), 0);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* what was stored strips again to itself */
    assert_int_equal(media_strip(MEDIA_JPEG, out, n, again, sizeof again, &n2, &orient, &why), 0);
    assert_int_equal(n2, n);
    assert_memory_equal(again, out, n);
    assert_int_equal(media_strip(MEDIA_JPEG, stuffed, sizeof stuffed, out, sizeof out, &n, &orient, &why), -1);
    assert_non_null(why);
}

static void png_chunk(struct buf *b, const char *type, const void *data, size_t n)
{
    add32(b, (uint32_t)n, 1);
    add(b, type, 4);
    add(b, data, n);
    add32(b, 0x01020304, 1); /* the CRC is copied, not checked */
}

static void test_png(void **state)
{
    static struct buf in, out, exif;
    static const uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
    static const uint8_t idat[] = {0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00};
    int orient = -1;

    (void)state;
    add(&in, "\x89PNG\r\n\x1a\n", 8);
    png_chunk(&in, "IHDR", ihdr, sizeof ihdr);
    png_chunk(&in, "gAMA", "\0\0\xb1\x8f", 4);
    png_chunk(&in, "tEXt", "Location\0" GPS_MARK, 29);
    png_chunk(&in, "iTXt", "XML:com.adobe.xmp\0\0\0\0\0" GPS_MARK, 42);
    png_chunk(&in, "zTXt", "Comment\0\0" GPS_MARK, 29);
    png_chunk(&in, "tIME", "\x07\xea\x0c\x07\x10\x2d\x00", 7);
    tiff(&exif, 0, 8);
    png_chunk(&in, "eXIf", exif.p, exif.n);
    png_chunk(&in, "prVt", GPS_MARK, 20);
    png_chunk(&in, "IDAT", idat, sizeof idat);
    png_chunk(&in, "IEND", "", 0);
    add(&in, GPS_MARK, 20); /* trailing bytes */
    assert_int_equal(strip(MEDIA_PNG, &in, &out, &orient), 0);
    assert_int_equal(orient, 8);
    assert_false(has(out.p, out.n, GPS_MARK, strlen(GPS_MARK)));
    assert_false(has(out.p, out.n, "tEXt", 4) || has(out.p, out.n, "iTXt", 4) || has(out.p, out.n, "zTXt", 4));
    assert_false(has(out.p, out.n, "tIME", 4) || has(out.p, out.n, "prVt", 4));
    assert_true(has(out.p, out.n, "\0\0\0\x0dIHDR", 8) && has(out.p, out.n, "gAMA\0\0\xb1\x8f\x01\x02\x03\x04", 12));
    assert_true(has(out.p, out.n, idat, sizeof idat));
    /* the minimal eXIf: 26 bytes of TIFF holding orientation 8, with its real CRC */
    assert_true(has(out.p, out.n,
                    "\0\0\0\x1a"
                    "eXIfMM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x08",
                    28));
    assert_memory_equal(out.p + out.n - 12, "\0\0\0\0IEND\x01\x02\x03\x04", 12);

    /* malformed: a chunk past the end, a huge length, no IEND */
    for (size_t cut = 8; cut < in.n - 20; cut++) {
        struct buf part = {{0}, 0};
        add(&part, in.p, cut);
        assert_int_equal(strip(MEDIA_PNG, &part, &out, &orient), -1);
    }
    in.p[8] = 0x80;
    assert_int_equal(strip(MEDIA_PNG, &in, &out, &orient), -1);
}

static void webp_chunk(struct buf *b, const char *id, const void *data, size_t n)
{
    add(b, id, 4);
    add32(b, (uint32_t)n, 0);
    add(b, data, n);
    if (n & 1)
        add_byte(b, 0);
}

static void webp_with_metadata(struct buf *b, unsigned orient, int exif_header)
{
    static struct buf exif;
    static const uint8_t vp8x[10] = {0x3c, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* ICC alpha EXIF XMP */

    memset(b, 0, sizeof *b);
    exif.n = 0;
    if (exif_header)
        add(&exif, "Exif\0\0", 6);
    tiff(&exif, 0, orient);
    add(b, "RIFF\0\0\0\0WEBP", 12);
    webp_chunk(b, "VP8X", vp8x, sizeof vp8x);
    webp_chunk(b, "ICCP", "icc", 3);
    webp_chunk(b, "VP8L", "\x2f\0\0\0\0pixels", 11);
    webp_chunk(b, "EXIF", exif.p, exif.n);
    webp_chunk(b, "XMP ", "<x:xmpmeta>" GPS_MARK "</x:xmpmeta>", 43);
    b->p[4] = (uint8_t)(b->n - 8);
    b->p[5] = (uint8_t)((b->n - 8) >> 8);
}

static void test_webp(void **state)
{
    static struct buf in, out;
    int orient = -1;

    (void)state;
    webp_with_metadata(&in, 0, 1);
    assert_int_equal(strip(MEDIA_WEBP, &in, &out, &orient), 0);
    assert_int_equal(orient, 0);
    assert_false(has(out.p, out.n, GPS_MARK, strlen(GPS_MARK)) || has(out.p, out.n, "EXIF", 4) ||
                 has(out.p, out.n, "XMP ", 4));
    assert_int_equal(out.p[20], 0x30); /* ICC and alpha stay, EXIF and XMP flags go */
    assert_true(has(out.p, out.n, "ICCPicc\0", 8) || has(out.p, out.n, "ICCP\x03\0\0\0icc\0", 12));
    assert_true(has(out.p, out.n, "VP8L\x0b\0\0\0\x2f\0\0\0\0pixels\0", 20));
    assert_int_equal(out.p[4] | out.p[5] << 8 | out.p[6] << 16 | out.p[7] << 24, (int)out.n - 8);

    webp_with_metadata(&in, 5, 0);
    assert_int_equal(strip(MEDIA_WEBP, &in, &out, &orient), 0);
    assert_int_equal(orient, 5);
    assert_false(has(out.p, out.n, GPS_MARK, strlen(GPS_MARK)));
    assert_int_equal(out.p[20], 0x38); /* EXIF flag kept for the minimal Exif */
    assert_true(has(out.p, out.n, "EXIF\x1a\0\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x05", 28));
    assert_int_equal(out.p[4] | out.p[5] << 8, (int)out.n - 8);

    /* malformed: every truncation (the RIFF size then lies), a chunk size past the end */
    webp_with_metadata(&in, 5, 1);
    for (size_t cut = 0; cut < in.n; cut++) {
        struct buf part = {{0}, 0};
        add(&part, in.p, cut);
        assert_int_equal(strip(MEDIA_WEBP, &part, &out, &orient), -1);
    }
    in.p[16] = 0xff;
    in.p[19] = 0x7f;
    assert_int_equal(strip(MEDIA_WEBP, &in, &out, &orient), -1);
}

static void test_orientation(void **state)
{
    static struct buf t;

    (void)state;
    tiff(&t, 0, 7);
    assert_int_equal(media_exif_orientation(t.p, t.n), 7);
    t.n = 0;
    tiff(&t, 1, 2);
    assert_int_equal(media_exif_orientation(t.p, t.n), 2);
    assert_int_equal(media_exif_orientation(t.p, 20), 0); /* IFD cut short */
    t.p[4] = 0xff;                                        /* IFD offset past the end */
    assert_int_equal(media_exif_orientation(t.p, t.n), 0);
    assert_int_equal(media_exif_orientation(NULL, 0), 0);
    assert_int_equal(media_exif_orientation((const uint8_t *)"XX\0\x2a", 4), 0);
}

static void test_unknown_type(void **state)
{
    uint8_t out[4];
    size_t n;
    const char *why = NULL;

    (void)state;
    assert_int_equal(media_strip("image/gif", (const uint8_t *)"GIF8", 4, out, 4, &n, NULL, &why), -1);
    assert_non_null(why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_jpeg_keeps_icc_and_clean_files),
        cmocka_unit_test(test_jpeg_malformed),
        cmocka_unit_test(test_jpeg_fill_before_dropped_marker),
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_webp),
        cmocka_unit_test(test_orientation),
        cmocka_unit_test(test_unknown_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
