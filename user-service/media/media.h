/* media: the pure parts of media uploads — type sniffing by magic bytes, sha256, categories,
 * declared-type comparison, client file names, and If-None-Match against a file's tag. */
#ifndef MEDIA_H
#define MEDIA_H

#include <stddef.h>
#include <stdint.h>

#define MEDIA_SHA256_HEX 65      /* 64 hex digits and the NUL */
#define MEDIA_FILENAME_CHARS 255 /* media_files.filename, in code points */
#define MEDIA_FILENAME_MAX (MEDIA_FILENAME_CHARS * 4 + 1)
#define MEDIA_DEFAULT_FILENAME "upload"

#define MEDIA_JPEG "image/jpeg"
#define MEDIA_PNG "image/png"
#define MEDIA_WEBP "image/webp"

/* avatar, cover, travel_photo, review; NULL-terminated. */
extern const char *const media_categories[];

/* The content type the first bytes announce: MEDIA_JPEG (FF D8 FF), MEDIA_PNG (the 8-byte
 * signature) or MEDIA_WEBP ("RIFF" size "WEBP"); NULL for anything else. Static strings. */
const char *media_sniff(const uint8_t *p, size_t n);

/* The static string for an allowed type named by declared ("image/PNG; x=y" → MEDIA_PNG),
 * or NULL when declared is not one of the three. */
const char *media_type_canonical(const char *declared);

/* 1 if category is one of media_categories. */
int media_category_valid(const char *category);

/* 1 if files of category are readable by any signed-in user (avatar, cover). */
int media_category_public(const char *category);

/* Lower-case hex SHA-256 of p[0..n) (libsodium) into out. */
void media_sha256_hex(const void *p, size_t n, char out[MEDIA_SHA256_HEX]);

/* A file name safe to store and show: the part after the last '/' or '\', control
 * characters removed, trimmed, at most MEDIA_FILENAME_CHARS code points; invalid UTF-8,
 * "", "." or ".." give MEDIA_DEFAULT_FILENAME. Never used as a path. */
void media_filename(const char *in, char out[MEDIA_FILENAME_MAX]);

/* 1 if the If-None-Match header value matches the strong tag "\"<sha256>\"" (or is "*";
 * W/ prefixes are compared weakly, as RFC 9110 says for If-None-Match). */
int media_etag_match(const char *if_none_match, const char *sha256);

#endif
