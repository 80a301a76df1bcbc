/* ids: parsing, sorting and formatting lists of ids. */
#include "ids.h"

#include <stdio.h>
#include <stdlib.h>

#define BIGINT_MAX 9223372036854775807LL
#define STR_(x) #x
#define STR(x) STR_(x)

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return (x > y) - (x < y);
}

size_t ids_sort_unique(long long *ids, size_t n)
{
    size_t w = 0;

    if (n == 0)
        return 0;
    qsort(ids, n, sizeof *ids, cmp_ll);
    for (size_t i = 1; i < n; i++)
        if (ids[i] != ids[w])
            ids[++w] = ids[i];
    return w + 1;
}

/* Reads one item s[0..len): a positive bigint without sign or leading zero. */
static enum ids_status parse_item(const char *s, size_t len, long long *out)
{
    long long v = 0;

    if (len == 0)
        return IDS_EMPTY;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return IDS_BAD_CHAR;
    if (s[0] == '0' || len > IDS_DIGITS_MAX)
        return IDS_RANGE;
    for (size_t i = 0; i < len; i++) {
        int d = s[i] - '0';
        if (v > (BIGINT_MAX - d) / 10)
            return IDS_RANGE;
        v = v * 10 + d;
    }
    *out = v;
    return IDS_OK;
}

enum ids_status ids_parse(const char *text, size_t len, long long out[IDS_MAX], size_t *n)
{
    size_t count = 0, start = 0;

    *n = 0;
    if (!text || len == 0)
        return IDS_EMPTY;
    /* Characters first, so "1, 2" says "bad character" however long the list is. */
    for (size_t i = 0; i < len; i++)
        if (text[i] != ',' && (text[i] < '0' || text[i] > '9'))
            return IDS_BAD_CHAR;
    for (size_t i = 0; i <= len; i++) {
        enum ids_status st;
        if (i < len && text[i] != ',')
            continue;
        if (count == IDS_MAX)
            return IDS_TOO_MANY;
        if ((st = parse_item(text + start, i - start, &out[count])) != IDS_OK)
            return st;
        count++;
        start = i + 1;
    }
    *n = ids_sort_unique(out, count);
    return IDS_OK;
}

const char *ids_status_str(enum ids_status s)
{
    switch (s) {
    case IDS_OK: return "ok";
    case IDS_EMPTY: return "must be a comma-separated list of ids without empty items";
    case IDS_BAD_CHAR: return "must hold only digits and commas";
    case IDS_RANGE: return "must hold positive ids (no leading zeros, at most 9223372036854775807)";
    case IDS_TOO_MANY: return "must name at most " STR(IDS_MAX) " ids";
    }
    return "is invalid";
}

long ids_pg_array(const long long *ids, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    int w;

    if (cap < 3)
        return -1;
    out[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        w = snprintf(out + len, cap - len, "%s%lld", i ? "," : "", ids[i]);
        if (w < 0 || (size_t)w >= cap - len)
            return -1;
        len += (size_t)w;
    }
    if (cap - len < 2)
        return -1;
    out[len++] = '}';
    out[len] = '\0';
    return (long)len;
}
