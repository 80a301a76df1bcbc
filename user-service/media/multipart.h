/* multipart: a bounded multipart/form-data parser (RFC 7578 over RFC 2046).
 *
 * Pure: no allocation, no global state, never reads outside data[0..len). Parts are handed
 * out as pointers into the caller's buffer (no copy), so the body may be binary. The grammar
 * followed: an optional preamble, then "--boundary" (at offset 0, or after a CRLF), optional
 * transport padding (spaces and tabs), CRLF; per part a header block ending in an empty line
 * (at most MULTIPART_HEADERS_MAX bytes) and the content up to the next CRLF "--boundary";
 * the body must end with the close delimiter "--boundary--" (an epilogue after it is
 * ignored). A delimiter that is not preceded by CRLF is part of the content. */
#ifndef MULTIPART_H
#define MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define MULTIPART_BOUNDARY_MAX 70   /* RFC 2046 section 5.1.1 */
#define MULTIPART_HEADERS_MAX 4096  /* one part's header block, CRLFs included */
#define MULTIPART_NAME_MAX 128      /* form field name, NUL included */
#define MULTIPART_FILENAME_MAX 1024 /* client's file name, NUL included */
#define MULTIPART_CTYPE_MAX 128     /* part Content-Type value, NUL included */
#define MULTIPART_PARTS_MAX 64

struct multipart_part {
    const uint8_t *data; /* into the parsed buffer */
    size_t len;
    char name[MULTIPART_NAME_MAX];         /* Content-Disposition name ("" when absent) */
    char filename[MULTIPART_FILENAME_MAX]; /* Content-Disposition filename ("" when absent) */
    int has_filename;
    char content_type[MULTIPART_CTYPE_MAX]; /* the part's Content-Type, trimmed ("" when absent) */
};

/* Called for each part in order; a non-zero return stops the parse (multipart_parse then
 * returns that value). */
typedef int (*multipart_cb)(const struct multipart_part *part, void *arg);

/* Parses data[0..len) with boundary (1..MULTIPART_BOUNDARY_MAX bytes, without the leading
 * "--"). Returns 0 after a well-formed body, -1 when malformed (no boundary, a part without
 * its trailing CRLF + delimiter, no close delimiter, a header block too large or not
 * "name: value" lines, too many parts), or the callback's non-zero value. cb may be NULL. */
int multipart_parse(const uint8_t *data, size_t len, const char *boundary, multipart_cb cb, void *arg);

/* The first part whose form name is field, into *out. The whole body must be well formed.
 * Returns 1 found, 0 not there, -1 malformed. */
int multipart_find_file(const uint8_t *body, size_t len, const char *boundary, const char *field,
                        struct multipart_part *out);

/* The boundary parameter of a "multipart/form-data; boundary=..." Content-Type (parameter
 * name case-insensitive, value a token or a quoted string) into out (cap bytes, at least
 * MULTIPART_BOUNDARY_MAX + 1). Returns 0, or -1 when the type is not multipart/form-data or
 * the boundary is absent, empty, longer than 70 or holds characters RFC 2046 forbids. */
int multipart_boundary(const char *content_type, char *out, size_t cap);

#endif
