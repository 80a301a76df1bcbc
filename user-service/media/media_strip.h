/* media_strip: removes the metadata of an uploaded image before it is stored — a pure,
 * bounded walk over the container, no decoding.
 *
 * JPEG  segments from SOI to EOI: APP1 (Exif, XMP), APP13 (IPTC/Photoshop), COM and every
 *       other APPn are dropped, except APP0 "JFIF", APP2 "ICC_PROFILE" (the colour profile)
 *       and APP14 "Adobe" (needed to decode CMYK/YCCK). Tables, frame and scan headers and
 *       the entropy-coded data are copied as they are; the bytes after EOI (an MPF second
 *       image with its own Exif, anything appended) are dropped.
 * PNG   critical chunks and the ancillary ones that only describe how to show the pixels
 *       (tRNS gAMA cHRM sRGB iCCP cICP mDCv cLLi sBIT bKGD hIST sPLT pHYs and the APNG
 *       acTL fcTL fdAT) are copied whole, CRC included; every other chunk (eXIf, tEXt, zTXt,
 *       iTXt, tIME, private ones) is dropped, and so is everything after IEND.
 * WebP  RIFF chunks: EXIF and XMP are dropped, VP8X's EXIF/XMP flags follow, the RIFF size
 *       is rewritten; bytes after the RIFF size are dropped.
 * Orientation: the Exif orientation tag (IFD0 0x0112, either byte order) is read before the
 * Exif goes; when it is 2..8 a minimal Exif holding only that tag (26 bytes of TIFF) takes
 * the place of the first Exif block, so viewers still turn the picture. The output is never
 * longer than the input. */
#ifndef MEDIA_STRIP_H
#define MEDIA_STRIP_H

#include <stddef.h>
#include <stdint.h>

/* Strips in[0..n) of type (MEDIA_JPEG, MEDIA_PNG or MEDIA_WEBP) into out[0..cap); cap >= n
 * always suffices. Sets *out_len and *orientation (1..8 as the Exif said, 0 when it said
 * nothing usable). 0, or -1 with *why (a static sentence) when the file is malformed: a
 * length past the end, a missing end marker, an unknown type, or cap too small. Never reads
 * outside in[0..n) nor writes outside out[0..cap). */
int media_strip(const char *type, const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                int *orientation, const char **why);

/* The Exif orientation (1..8) in the TIFF block t[0..n), or 0 when there is none or the block
 * is malformed. */
int media_exif_orientation(const uint8_t *t, size_t n);

#endif
