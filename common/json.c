/* json: strict request bodies and typed getters. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exact_int.h"
#include "json.h"
#include "utf8.h"

#define DATE_YEAR_MIN 1900
#define DATE_YEAR_MAX 9999

int json_content_type_ok(const char *ct)
{
    static const char mt[] = "application/json";
    size_t n = sizeof mt - 1;

    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, mt, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* What is wrong with the strings of the raw body, or NULL: a \u0000 escape (PostgreSQL text
 * cannot store NUL, and cJSON would silently cut the string there), or a raw control
 * character, which RFC 8259 requires escaped and cJSON would otherwise take as it is. */
static const char *string_problem(const char *s, size_t len)
{
    int in_str = 0;

    for (size_t i = 0; i < len; i++) {
        if (!in_str) {
            if (s[i] == '"')
                in_str = 1;
            continue;
        }
        if (s[i] == '"') {
            in_str = 0;
        } else if ((unsigned char)s[i] < 0x20) {
            return "Control characters in strings must be escaped (RFC 8259).";
        } else if (s[i] == '\\' && i + 1 < len) {
            if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                return "Strings must not contain NUL characters.";
            i++;
        }
    }
    return NULL;
}

cJSON *json_body(struct request *rq, struct reply *rp, size_t max_bytes)
{
    const char *end = NULL, *why;
    cJSON *root;

    if (!json_content_type_ok(request_header(rq, "Content-Type"))) {
        problem(rp, 415, "The body must be JSON, sent with Content-Type: application/json.");
        return NULL;
    }
    if (rq->body_len > max_bytes) {
        problem(rp, 413, "The body is larger than %zu bytes.", max_bytes);
        return NULL;
    }
    if (rq->body_len == 0) {
        problem(rp, 400, "The request needs a JSON body.");
        return NULL;
    }
    if (memchr(rq->body, '\0', rq->body_len) || !utf8_valid(rq->body, rq->body_len)) {
        problem(rp, 400, "The body is not valid UTF-8 text.");
        return NULL;
    }
    if ((why = string_problem(rq->body, rq->body_len))) {
        problem(rp, 400, "%s", why);
        return NULL;
    }
    /* The body is NUL-terminated (see request.h); counting the NUL lets cJSON insist that
     * nothing follows the object. */
    root = cJSON_ParseWithLengthOpts(rq->body, rq->body_len + 1, &end, 1);
    if (!root) {
        problem(rp, 400, "The body is not valid JSON (near byte %ld).", end ? (long)(end - rq->body) : 0L);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        problem(rp, 400, "The body must be a JSON object.");
        return NULL;
    }
    cJSON_Delete(rq->json); /* a second call parses afresh; the request keeps one tree */
    rq->json = root;
    return root;
}

/* Common prologue: finds the item, handles absent and null. Returns JSON_OK to go on. */
static enum json_got lookup(const cJSON *obj, const char *name, unsigned flags, const cJSON **item,
                            struct field_errors *fe)
{
    *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!*item) {
        if (flags & JF_REQUIRED) {
            field_error(fe, name, "is required");
            return JSON_BAD;
        }
        return JSON_ABSENT;
    }
    if (cJSON_IsNull(*item)) {
        if (flags & JF_NULLABLE)
            return JSON_NULL;
        field_error(fe, name, "must not be null");
        return JSON_BAD;
    }
    return JSON_OK;
}

static void trim_in_place(char *s)
{
    size_t len = strlen(s), start = 0;

    while (start < len && isspace((unsigned char)s[start]))
        start++;
    while (len > start && isspace((unsigned char)s[len - 1]))
        len--;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
}

enum json_got json_get_str(cJSON *obj, const char *name, unsigned flags, size_t min_chars, size_t max_chars,
                           const char **out, struct field_errors *fe)
{
    const cJSON *item;
    enum json_got g = lookup(obj, name, flags, &item, fe);
    size_t n;

    if (g != JSON_OK)
        return g;
    if (!cJSON_IsString(item) || !item->valuestring) {
        field_error(fe, name, "must be a string");
        return JSON_BAD;
    }
    if (!(flags & JF_NOTRIM))
        trim_in_place(item->valuestring);
    n = utf8_chars(item->valuestring);
    if (n < min_chars || n > max_chars) {
        if (min_chars == max_chars)
            field_error(fe, name, "must be %zu characters long", min_chars);
        else if (n < min_chars && min_chars == 1)
            field_error(fe, name, "must not be empty");
        else
            field_error(fe, name, "must be %zu to %zu characters long", min_chars, max_chars);
        return JSON_BAD;
    }
    *out = item->valuestring;
    return JSON_OK;
}

enum json_got json_get_int(const cJSON *obj, const char *name, unsigned flags, long long min, long long max,
                           long long *out, struct field_errors *fe)
{
    const cJSON *item;
    enum json_got g = lookup(obj, name, flags, &item, fe);
    double v;

    if (g != JSON_OK)
        return g;
    if (!cJSON_IsNumber(item)) {
        field_error(fe, name, "must be an integer");
        return JSON_BAD;
    }
    v = item->valuedouble;
    if (!isfinite(v) || v != floor(v) || fabs(v) > (double)EXACT_INT_MAX) {
        field_error(fe, name, "must be an integer");
        return JSON_BAD;
    }
    if (v < (double)min || v > (double)max) {
        field_error(fe, name, "must be from %lld to %lld", min, max);
        return JSON_BAD;
    }
    *out = (long long)v;
    return JSON_OK;
}

enum json_got json_get_num(const cJSON *obj, const char *name, unsigned flags, double min, double max, double *out,
                           struct field_errors *fe)
{
    const cJSON *item;
    enum json_got g = lookup(obj, name, flags, &item, fe);
    double v;

    if (g != JSON_OK)
        return g;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        field_error(fe, name, "must be a finite number");
        return JSON_BAD;
    }
    v = item->valuedouble;
    if (v < min || v > max) {
        field_error(fe, name, "must be from %g to %g", min, max);
        return JSON_BAD;
    }
    *out = v;
    return JSON_OK;
}

enum json_got json_get_bool(const cJSON *obj, const char *name, unsigned flags, int *out, struct field_errors *fe)
{
    const cJSON *item;
    enum json_got g = lookup(obj, name, flags, &item, fe);

    if (g != JSON_OK)
        return g;
    if (!cJSON_IsBool(item)) {
        field_error(fe, name, "must be true or false");
        return JSON_BAD;
    }
    *out = cJSON_IsTrue(item);
    return JSON_OK;
}

enum json_got json_get_enum(const cJSON *obj, const char *name, unsigned flags, const char *const *allowed, int *out,
                            struct field_errors *fe)
{
    const cJSON *item;
    enum json_got g = lookup(obj, name, flags, &item, fe);

    if (g != JSON_OK)
        return g;
    if (cJSON_IsString(item) && item->valuestring) {
        for (int i = 0; allowed[i]; i++) {
            if (strcmp(item->valuestring, allowed[i]) == 0) {
                *out = i;
                return JSON_OK;
            }
        }
    }
    {
        char list[FIELD_MESSAGE_MAX];
        size_t n = 0;
        list[0] = '\0';
        for (int i = 0; allowed[i] && n < sizeof list; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", allowed[i]);
        field_error(fe, name, "must be one of: %s", list);
    }
    return JSON_BAD;
}

int json_date_valid(const char *t)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, leap;

    if (strlen(t) != JSON_DATE_LEN || t[4] != '-' || t[7] != '-')
        return 0;
    for (int i = 0; i < JSON_DATE_LEN; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)t[i]))
            return 0;
    y = atoi(t);
    m = atoi(t + 5);
    d = atoi(t + 8);
    if (y < DATE_YEAR_MIN || y > DATE_YEAR_MAX || m < 1 || m > 12 || d < 1)
        return 0;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

enum json_got json_get_date(const cJSON *obj, const char *name, unsigned flags, char out[JSON_DATE_LEN + 1],
                            struct field_errors *fe)
{
    const cJSON *item;
    enum json_got g = lookup(obj, name, flags, &item, fe);

    if (g != JSON_OK)
        return g;
    if (!cJSON_IsString(item) || !item->valuestring || !json_date_valid(item->valuestring)) {
        field_error(fe, name, "must be a date written YYYY-MM-DD");
        return JSON_BAD;
    }
    memcpy(out, item->valuestring, JSON_DATE_LEN + 1);
    return JSON_OK;
}

enum json_got json_get_ids(const cJSON *obj, const char *name, unsigned flags, size_t min_n, size_t max_n,
                           long long **out, size_t *n, struct field_errors *fe)
{
    const cJSON *item, *el;
    enum json_got g = lookup(obj, name, flags, &item, fe);
    size_t count = 0, i = 0;
    long long *ids;

    if (g != JSON_OK)
        return g;
    if (!cJSON_IsArray(item)) {
        field_error(fe, name, "must be an array of ids");
        return JSON_BAD;
    }
    cJSON_ArrayForEach (el, item)
        count++;
    if (count < min_n || count > max_n) {
        field_error(fe, name, "must hold %zu to %zu ids", min_n, max_n);
        return JSON_BAD;
    }
    ids = malloc((count ? count : 1) * sizeof *ids);
    if (!ids) {
        field_error(fe, name, "is too large");
        return JSON_BAD;
    }
    cJSON_ArrayForEach (el, item) {
        double v = el->valuedouble;
        if (!cJSON_IsNumber(el) || !isfinite(v) || v != floor(v) || v < 1 || v > (double)EXACT_INT_MAX) {
            free(ids);
            field_error(fe, name, "must hold positive integer ids only");
            return JSON_BAD;
        }
        ids[i++] = (long long)v;
    }
    *out = ids;
    *n = count;
    return JSON_OK;
}
