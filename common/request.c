/* request: header lookup, query decoding and request ids. */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

const char *request_header(const struct request *rq, const char *name)
{
    for (int i = 0; i < rq->nheaders; i++)
        if (strcasecmp(rq->headers[i].name, name) == 0)
            return rq->headers[i].value;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long request_url_decode(const char *src, size_t len, int plus_is_space, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            int hi, lo;
            if (len - i < 3)
                return -1;
            hi = hexval((unsigned char)src[i + 1]);
            lo = hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == 0 || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    if (cap == 0)
        return -1;
    out[o] = '\0';
    return (long)o;
}

int request_query(const struct request *rq, const char *name, char *out, size_t cap)
{
    const char *p = rq->query;
    size_t nlen = strlen(name);

    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t seglen = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', seglen);
        size_t keylen = eq ? (size_t)(eq - p) : seglen;

        if (keylen == nlen && memcmp(p, name, nlen) == 0) {
            const char *val = eq ? eq + 1 : p + seglen;
            size_t vlen = eq ? seglen - keylen - 1 : 0;
            return request_url_decode(val, vlen, 1, out, cap) < 0 ? -1 : 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int request_id_valid(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == ':' || c == '-';
        if (!ok || n >= REQUEST_ID_MAX)
            return 0;
    }
    return n > 0;
}

void request_id_generate(char *out)
{
    trace_new_id(out); /* a fresh id is a valid trace id too */
}

void request_free(struct request *rq)
{
    free(rq->path);
    free(rq->query);
    free(rq->body);
    cJSON_Delete(rq->json);
    rq->json = NULL;
    for (int i = 0; i < rq->nheaders; i++) {
        free(rq->headers[i].name);
        free(rq->headers[i].value);
    }
    rq->path = rq->query = rq->body = NULL;
    rq->nheaders = 0;
}
