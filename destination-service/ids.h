/* ids: lists of destination ids — the "?ids=1,2,3" query value, sorting and de-duplicating,
 * and the PostgreSQL array literal that carries a batch to one "= ANY($1::bigint[])" query.
 *
 * Everything here is pure (no I/O, no globals) and bounded by IDS_MAX. */
#ifndef DESTINATION_IDS_H
#define DESTINATION_IDS_H

#include <stddef.h>

#include "internal_api.h"

#define IDS_MAX INTERNAL_IDS_MAX /* ids one batch request may name */
#define IDS_DIGITS_MAX 19        /* digits of the largest bigint, 9223372036854775807 */
/* Longest text a list of IDS_MAX ids can take: each id plus its comma. */
#define IDS_TEXT_MAX (IDS_MAX * (IDS_DIGITS_MAX + 1))

enum ids_status {
    IDS_OK = 0,
    IDS_EMPTY,    /* no text, or an empty item ("1,,2", ",1", "1,") */
    IDS_BAD_CHAR, /* anything but digits and commas: spaces, signs, letters */
    IDS_RANGE,    /* 0, a leading zero, or more than a bigint */
    IDS_TOO_MANY, /* more than IDS_MAX items (before removing duplicates) */
};

/* Parses text "1,2,3" into out (room for IDS_MAX ids, caller-owned): sorted ascending,
 * duplicates removed, *n their count. text need not be NUL-terminated: len bytes are read.
 * On an error *n is 0 and out holds nothing useful. */
enum ids_status ids_parse(const char *text, size_t len, long long out[IDS_MAX], size_t *n);

/* A one-line description of s for an error message; never NULL. */
const char *ids_status_str(enum ids_status s);

/* Sorts ids[0..n) ascending and removes duplicates in place. Returns the new count. */
size_t ids_sort_unique(long long *ids, size_t n);

/* Writes ids[0..n) as a PostgreSQL array literal "{1,2,3}" into out (cap bytes, NUL-terminated).
 * Returns the length written, or -1 when it does not fit. */
long ids_pg_array(const long long *ids, size_t n, char *out, size_t cap);

#endif
