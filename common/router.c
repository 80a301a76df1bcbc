/* router: segment-by-segment matching of a path against the route table. */
#include "router.h"

#include <stdio.h>
#include <string.h>

#define ID_SEGMENT "{id}"
#define ID_MAX_DIGITS 19

int router_parse_id(const char *s, size_t len, long long *out)
{
    long long v = 0;

    if (len == 0 || len > ID_MAX_DIGITS || s[0] == '0')
        return -1;
    for (size_t i = 0; i < len; i++) {
        int d = s[i] - '0';
        if (d < 0 || d > 9)
            return -1;
        if (v > (__LONG_LONG_MAX__ - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* 1 if path matches pattern, collecting {id} values. */
static int match_path(const char *pattern, const char *path, long long ids[REQUEST_MAX_IDS], int *nids)
{
    const char *p = pattern, *s = path;
    int n = 0;

    while (*p && *s) {
        const char *pe, *se;
        size_t plen, slen;

        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        pe = strchr(p, '/');
        se = strchr(s, '/');
        plen = pe ? (size_t)(pe - p) : strlen(p);
        slen = se ? (size_t)(se - s) : strlen(s);
        if (plen == strlen(ID_SEGMENT) && memcmp(p, ID_SEGMENT, plen) == 0) {
            if (n == REQUEST_MAX_IDS || router_parse_id(s, slen, &ids[n]) < 0)
                return 0;
            n++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return 0;
    *nids = n;
    return 1;
}

enum route_match router_match(const struct route *routes, size_t n, const char *method, const char *path, int *index,
                              long long ids[REQUEST_MAX_IDS], int *nids, char *allow, size_t allow_cap)
{
    enum route_match result = ROUTE_NOT_FOUND;
    size_t used = 0;

    if (allow_cap)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        long long tmp[REQUEST_MAX_IDS];
        int ntmp = 0;

        if (!match_path(routes[i].pattern, path, tmp, &ntmp))
            continue;
        /* HEAD is GET without the body (RFC 9110 9.3.2); evhttp leaves the body out. */
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
            memcpy(ids, tmp, sizeof tmp);
            *nids = ntmp;
            *index = (int)i;
            return ROUTE_OK;
        }
        result = ROUTE_BAD_METHOD;
        if (allow_cap && !strstr(allow, routes[i].method)) {
            int is_get = strcmp(routes[i].method, "GET") == 0;
            int w = snprintf(allow + used, allow_cap - used, "%s%s%s", used ? ", " : "", routes[i].method,
                             is_get ? ", HEAD" : "");
            if (w > 0 && (size_t)w < allow_cap - used)
                used += (size_t)w;
        }
    }
    return result;
}
