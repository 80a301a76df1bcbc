/* reply: filling the answer a worker hands back to the loop thread. */
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void clear_body(struct reply *rp)
{
    free(rp->body);
    rp->body = NULL;
    rp->body_len = 0;
    rp->content_type = NULL;
}

/* The 500 answered when memory ran out: a fixed problem+json text, so that producing it
 * needs at most one small allocation (and, without even that, it goes out bodiless). */
static const char oom_body[] =
    "{\"type\":\"" PROBLEM_TYPE_BASE "internal\",\"title\":\"Internal Server Error\",\"status\":500,"
    "\"detail\":\"The server could not answer this request.\"}";

void reply_oom(struct reply *rp)
{
    reply_free(rp);
    rp->status = 500;
    rp->body = strdup(oom_body);
    rp->content_type = rp->body ? CT_PROBLEM : NULL;
    rp->body_len = rp->body ? sizeof oom_body - 1 : 0;
}

void reply_take_body(struct reply *rp, int status, const char *content_type, char *body, size_t len)
{
    clear_body(rp);
    rp->status = status;
    rp->content_type = content_type;
    rp->body = body;
    rp->body_len = len;
}

int reply_copy_body(struct reply *rp, int status, const char *content_type, const void *body, size_t len)
{
    char *copy = malloc(len + 1);

    if (!copy) {
        reply_oom(rp);
        return -1;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    reply_take_body(rp, status, content_type, copy, len);
    return 0;
}

int reply_json(struct reply *rp, int status, cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;

    cJSON_Delete(json);
    if (!text) {
        reply_oom(rp);
        return -1;
    }
    reply_take_body(rp, status, CT_JSON, text, strlen(text));
    return 0;
}

cJSON *reply_object_of(struct reply *rp, const char *name, cJSON *item)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !cJSON_AddItemToObject(o, name, item)) {
        cJSON_Delete(o);
        cJSON_Delete(item);
        reply_oom(rp);
        return NULL;
    }
    return o;
}

int reply_created(struct reply *rp, int status, cJSON *json, const char *prefix)
{
    char loc[256];
    double id = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(json, "id")); /* NaN when absent */

    if (id != id || reply_json(rp, status, json) < 0) {
        if (id != id) {
            cJSON_Delete(json);
            reply_oom(rp);
        }
        return -1;
    }
    snprintf(loc, sizeof loc, "%s/%lld", prefix, (long long)id);
    return reply_header(rp, "Location", loc);
}

void reply_empty(struct reply *rp, int status)
{
    clear_body(rp);
    rp->status = status;
}

const char *reply_get_header(const struct reply *rp, const char *name)
{
    for (int i = 0; i < rp->nheaders; i++)
        if (strcasecmp(rp->headers[i].name, name) == 0)
            return rp->headers[i].value;
    return NULL;
}

int reply_header(struct reply *rp, const char *name, const char *value)
{
    char *v = strdup(value);
    int i;

    if (!v)
        return -1;
    for (i = 0; i < rp->nheaders; i++) {
        if (strcasecmp(rp->headers[i].name, name) == 0) {
            free(rp->headers[i].value);
            rp->headers[i].value = v;
            return 0;
        }
    }
    if (rp->nheaders == REPLY_MAX_HEADERS || !(rp->headers[i].name = strdup(name))) {
        free(v);
        return -1;
    }
    rp->headers[i].value = v;
    rp->nheaders++;
    return 0;
}

void reply_free(struct reply *rp)
{
    clear_body(rp);
    for (int i = 0; i < rp->nheaders; i++) {
        free(rp->headers[i].name);
        free(rp->headers[i].value);
    }
    memset(rp, 0, sizeof *rp);
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}
