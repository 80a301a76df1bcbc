/* fuzz_media_strip: the photo metadata stripper media_upload runs on every stored image.
 *
 * Input: byte 0 picks the type handed to media_strip() (0 JPEG, 1 PNG, 2 WebP, 3 an unknown
 * type, anything else what media_sniff() says of the rest, as the upload path does); the rest
 * is the file, copied into a buffer of exactly its length. Checked: the answer is 0 or -1
 * with a reason exactly when it failed; the output fits in the input's length (the header's
 * promise) and the orientation is 0..8; a second strip of the output is a fixed point with
 * the same orientation (2..8 survive, 1 does not); the output buffer cut to the output's
 * exact length still suffices, one byte less does not; media_exif_orientation() on the raw
 * bytes stays in 0..8. */
#include "fuzz.h"

#include "media.h"
#include "media_strip.h"

static const char *pick(uint8_t sel, const uint8_t *d, size_t n)
{
    switch (sel) {
    case 0: return MEDIA_JPEG;
    case 1: return MEDIA_PNG;
    case 2: return MEDIA_WEBP;
    case 3: return "image/gif";
    default: return media_sniff(d, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *type, *why = "unset";
    uint8_t *in, *out, *again;
    size_t n, out_len = 7, len2 = 7;
    int orient = -1, orient2 = -1, r;

    if (size == 0)
        return 0;
    n = size - 1;
    in = malloc(n ? n : 1);
    out = malloc(n ? n : 1);
    if (!in || !out)
        abort();
    if (n)
        memcpy(in, data + 1, n);
    type = pick(data[0], in, n);

    r = media_exif_orientation(in, n);
    FUZZ_CHECK(r >= 0 && r <= 8);

    r = media_strip(type ? type : "", in, n, out, n, &out_len, &orient, &why);
    FUZZ_CHECK(r == 0 || r == -1);
    FUZZ_CHECK(orient >= 0 && orient <= 8);
    if (r == -1) {
        FUZZ_CHECK(why != NULL && why[0] != '\0' && out_len == 0);
    } else {
        FUZZ_CHECK(why == NULL && out_len <= n);
        /* exactly out_len bytes of room give the same answer; one byte less is refused */
        again = malloc(out_len ? out_len : 1);
        if (!again)
            abort();
        FUZZ_CHECK(media_strip(type, in, n, again, out_len, &len2, NULL, NULL) == 0);
        FUZZ_CHECK(len2 == out_len && memcmp(again, out, out_len) == 0);
        if (out_len > 0)
            FUZZ_CHECK(media_strip(type, in, n, again, out_len - 1, &len2, NULL, NULL) == -1);
        /* stripping what was stripped changes nothing */
        FUZZ_CHECK(media_strip(type, out, out_len, again, out_len, &len2, &orient2, &why) == 0);
        FUZZ_CHECK(len2 == out_len && memcmp(again, out, out_len) == 0);
        FUZZ_CHECK(orient2 == (orient >= 2 ? orient : 0));
        free(again);
    }
    free(in);
    free(out);
    return 0;
}
