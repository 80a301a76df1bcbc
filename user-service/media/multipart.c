/* multipart: a bounded multipart/form-data parser. */
#include "multipart.h"

#include <string.h>
#include <strings.h>

#define DELIM_MAX (4 + MULTIPART_BOUNDARY_MAX) /* CRLF "--" boundary */
#define FORM_DATA "multipart/form-data"

static int is_ws(int c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ws(const char *p)
{
    while (is_ws((unsigned char)*p))
        p++;
    return p;
}

/* Parameter pname of the ';'-separated parameters that follow the first ';' of s (name
 * case-insensitive; value a token or a quoted string with backslash escapes). Returns 1
 * found (value in out), 0 absent, -1 malformed or longer than cap - 1. */
static int param_get(const char *s, const char *pname, char *out, size_t cap)
{
    const char *p = strchr(s, ';');
    size_t plen = strlen(pname);

    if (!p)
        return 0;
    while (*p == ';') {
        const char *n;
        size_t nlen, o = 0;
        int match;

        p = skip_ws(p + 1);
        n = p;
        while (*p && *p != '=' && *p != ';' && !is_ws((unsigned char)*p))
            p++;
        nlen = (size_t)(p - n);
        p = skip_ws(p);
        if (nlen == 0 && (*p == ';' || *p == '\0'))
            continue; /* an empty parameter: "a; ; b" or a trailing ';' */
        if (*p != '=')
            return -1;
        p = skip_ws(p + 1);
        match = nlen == plen && strncasecmp(n, pname, plen) == 0;
        if (*p == '"') {
            for (p++;; p++) {
                char c = *p;
                if (c == '\0')
                    return -1; /* unterminated quoted string */
                if (c == '"')
                    break;
                if (c == '\\' && p[1])
                    c = *++p;
                if (match) {
                    if (o + 1 >= cap)
                        return -1;
                    out[o++] = c;
                }
            }
            p++;
        } else {
            for (; *p && *p != ';' && !is_ws((unsigned char)*p); p++) {
                if (match) {
                    if (o + 1 >= cap)
                        return -1;
                    out[o++] = *p;
                }
            }
        }
        p = skip_ws(p);
        if (*p && *p != ';')
            return -1;
        if (match) {
            out[o] = '\0';
            return 1;
        }
    }
    return 0;
}

/* RFC 2046 allows only DIGIT / ALPHA / "'()+_,-./:=?" and space in a boundary; quoted
 * boundaries seen in the wild also hold ';' and other punctuation, so any printable ASCII
 * but '"' and '\\' is taken (the value is only ever compared byte for byte). */
static int bchar(int c)
{
    return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

int multipart_boundary(const char *content_type, char *out, size_t cap)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];
    const char *p;
    size_t n;

    if (!content_type || !out || cap < MULTIPART_BOUNDARY_MAX + 1)
        return -1;
    p = skip_ws(content_type);
    n = strlen(FORM_DATA);
    if (strncasecmp(p, FORM_DATA, n) != 0 || (p[n] && p[n] != ';' && !is_ws((unsigned char)p[n])))
        return -1;
    if (param_get(p + n, "boundary", b, sizeof b) != 1)
        return -1;
    n = strlen(b);
    if (n == 0 || b[n - 1] == ' ')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!bchar((unsigned char)b[i]))
            return -1;
    memcpy(out, b, n + 1);
    return 0;
}

/* Copies value (trimmed) into out; -1 when it does not fit. */
static int copy_value(const char *v, char *out, size_t cap)
{
    size_t n;

    v = skip_ws(v);
    n = strlen(v);
    while (n && is_ws((unsigned char)v[n - 1]))
        n--;
    if (n >= cap)
        return -1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

/* form-data; name="..."; filename="..." */
static int read_disposition(const char *v, struct multipart_part *part)
{
    size_t n = strlen("form-data");
    int got;

    v = skip_ws(v);
    if (strncasecmp(v, "form-data", n) != 0 || (v[n] && v[n] != ';' && !is_ws((unsigned char)v[n])))
        return -1;
    if (param_get(v, "name", part->name, sizeof part->name) < 0)
        return -1;
    if ((got = param_get(v, "filename", part->filename, sizeof part->filename)) < 0)
        return -1;
    part->has_filename = got == 1;
    return 0;
}

/* Parses the header block h[0..n) (lines split by CRLF, no NUL bytes) into part. */
static int read_headers(const uint8_t *h, size_t n, struct multipart_part *part)
{
    char line[MULTIPART_HEADERS_MAX + 1];
    size_t i = 0;

    if (n > MULTIPART_HEADERS_MAX || memchr(h, '\0', n))
        return -1;
    while (i < n) {
        const uint8_t *e = memmem(h + i, n - i, "\r\n", 2);
        size_t ll = e ? (size_t)(e - (h + i)) : n - i;
        char *colon;

        memcpy(line, h + i, ll);
        line[ll] = '\0';
        i += ll + (e ? 2 : 0);
        if (ll == 0 || is_ws((unsigned char)line[0]) || !(colon = strchr(line, ':')) || colon == line)
            return -1; /* empty line inside the block, obsolete folding, or not "name: value" */
        *colon = '\0';
        if (strcasecmp(line, "Content-Disposition") == 0) {
            if (read_disposition(colon + 1, part) < 0)
                return -1;
        } else if (strcasecmp(line, "Content-Type") == 0) {
            if (copy_value(colon + 1, part->content_type, sizeof part->content_type) < 0)
                return -1;
        }
    }
    return 0;
}

/* The next CRLF "--boundary" at or after from, or NULL. */
static const uint8_t *find_delim(const uint8_t *data, size_t len, size_t from, const char *delim, size_t dlen)
{
    if (from > len)
        return NULL;
    return memmem(data + from, len - from, delim, dlen);
}

int multipart_parse(const uint8_t *data, size_t len, const char *boundary, multipart_cb cb, void *arg)
{
    char delim[DELIM_MAX];
    size_t blen, dlen, pos;
    const uint8_t *d;

    if (!boundary || !data || len == 0)
        return -1;
    blen = strlen(boundary);
    if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX)
        return -1;
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);
    dlen = 4 + blen;
    /* The first delimiter may open the body (no preamble, no CRLF before it). */
    if (len >= dlen - 2 && memcmp(data, delim + 2, dlen - 2) == 0)
        pos = dlen - 2;
    else if ((d = find_delim(data, len, 0, delim, dlen)))
        pos = (size_t)(d - data) + dlen;
    else
        return -1;
    for (int nparts = 0;; nparts++) {
        struct multipart_part part;
        size_t content;
        int rc;

        if (len - pos >= 2 && data[pos] == '-' && data[pos + 1] == '-')
            return 0; /* close delimiter; the epilogue is ignored */
        if (nparts >= MULTIPART_PARTS_MAX)
            return -1;
        while (pos < len && is_ws(data[pos])) /* transport padding */
            pos++;
        if (len - pos < 2 || data[pos] != '\r' || data[pos + 1] != '\n')
            return -1;
        pos += 2;
        memset(&part, 0, sizeof part);
        if (len - pos >= 2 && data[pos] == '\r' && data[pos + 1] == '\n') {
            content = pos + 2; /* a part without headers */
        } else {
            size_t window = len - pos < MULTIPART_HEADERS_MAX + 4 ? len - pos : MULTIPART_HEADERS_MAX + 4;
            const uint8_t *e = memmem(data + pos, window, "\r\n\r\n", 4);
            if (!e || read_headers(data + pos, (size_t)(e - (data + pos)), &part) < 0)
                return -1;
            content = (size_t)(e - data) + 4;
        }
        if (!(d = find_delim(data, len, content, delim, dlen)))
            return -1; /* no CRLF + delimiter after the content */
        part.data = data + content;
        part.len = (size_t)(d - part.data);
        if (cb && (rc = cb(&part, arg)) != 0)
            return rc;
        pos = (size_t)(d - data) + dlen;
    }
}

struct find_ctx {
    const char *field;
    struct multipart_part *out;
    int found;
};

static int find_cb(const struct multipart_part *part, void *arg)
{
    struct find_ctx *c = arg;

    if (!c->found && strcmp(part->name, c->field) == 0) {
        *c->out = *part;
        c->found = 1;
    }
    return 0;
}

int multipart_find_file(const uint8_t *body, size_t len, const char *boundary, const char *field,
                        struct multipart_part *out)
{
    struct find_ctx c = {field, out, 0};

    if (!field || !out)
        return -1;
    if (multipart_parse(body, len, boundary, find_cb, &c) != 0)
        return -1;
    return c.found;
}
