/* etag: strong entity tags for JSON representations, and If-None-Match matching.
 *
 * A tag is the BLAKE2b hash (libsodium crypto_generichash, 128 bits) of the exact body
 * bytes, in hex, quoted: the same representation always gives the same tag, and any
 * change to the body (an updated_at moving is enough) gives another. Pure functions;
 * sodium_init() must have run once (main does). */
#ifndef DESTINATION_ETAG_H
#define DESTINATION_ETAG_H

#include <stddef.h>

#define ETAG_HASH_BYTES 16                 /* 128 bits: collisions are not a concern */
#define ETAG_MAX (2 * ETAG_HASH_BYTES + 3) /* quotes, hex and the NUL */

/* Writes the strong tag of body[0..len) ("\"<32 hex>\"") into out. */
void etag_compute(const void *body, size_t len, char out[ETAG_MAX]);

/* 1 if the If-None-Match header value header matches etag (a quoted tag), using the weak
 * comparison RFC 9110 section 13.1.2 prescribes for GET: "*" matches anything, a W/ prefix
 * is ignored on either side, and a list "a", W/"b" matches when any member does. A NULL
 * header or a malformed list matches nothing. */
int etag_match(const char *header, const char *etag);

#endif
