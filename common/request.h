/* request: what a handler sees of an HTTP request — plain copies, no libevent types.
 *
 * The loop thread builds a request from the evhttp request and hands it to a worker;
 * every string here is owned by the request and freed by request_free(). */
#ifndef ECOMOVEX_REQUEST_H
#define ECOMOVEX_REQUEST_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "trace.h"

#define REQUEST_MAX_HEADERS 64 /* evhttp's header size cap keeps real requests far below */
#define REQUEST_ID_MAX 64      /* longest X-Request-ID we accept from a client */
#define REQUEST_MAX_IDS 4      /* {id} segments a route pattern may hold */
#define REQUEST_ADDR_MAX 64

struct route;
struct worker;

struct header {
    char *name;
    char *value;
};

enum auth_role { ROLE_NONE = 0, ROLE_USER, ROLE_ADMIN };

struct auth {
    long long user_id; /* 0 when the caller is anonymous */
    enum auth_role role;
    int token_version;
};

struct request {
    const char *method; /* static string: "GET", "POST", ... */
    char *path;         /* raw (still percent-encoded) path, never NULL */
    char *query;        /* raw query string after '?', or NULL */
    struct header headers[REQUEST_MAX_HEADERS];
    int nheaders;
    char *body; /* NUL-terminated copy of the body (NULL when empty) */
    size_t body_len;
    cJSON *json; /* the body parsed by json_body(), or NULL; freed by request_free, never by handlers */
    char request_id[REQUEST_ID_MAX + 1]; /* a valid X-Request-ID, else a valid traceparent's trace id, else random */
    struct trace trace;                  /* W3C trace context: this service's span for the request */
    char client_addr[REQUEST_ADDR_MAX];
    long long ids[REQUEST_MAX_IDS]; /* values of the {id} segments, in order */
    int nids;
    const struct route *route; /* the matched route, or NULL */
    int route_index;           /* index into the service's table, -1 for none */
    struct auth auth;
    struct worker *worker; /* the worker running the handler */
    struct timespec started;
};

/* Value of the first header called name (case-insensitive), or NULL. */
const char *request_header(const struct request *rq, const char *name);

/* Decodes query parameter name into out (cap bytes, NUL-terminated).
 * Returns 1 when found, 0 when absent, -1 when malformed, too long or holding a NUL byte. */
int request_query(const struct request *rq, const char *name, char *out, size_t cap);

/* Percent-decodes src[0..len) into out (cap bytes); '+' becomes a space when plus_is_space.
 * Returns the decoded length, or -1 on a bad escape, a NUL byte, or overflow. */
long request_url_decode(const char *src, size_t len, int plus_is_space, char *out, size_t cap);

/* 1 if s is an acceptable client-supplied request id: 1..REQUEST_ID_MAX of [A-Za-z0-9._:-]. */
int request_id_valid(const char *s);

/* Writes a fresh random 32-hex-digit request id into out (REQUEST_ID_MAX + 1 bytes). */
void request_id_generate(char *out);

/* Frees everything the request owns (not the struct itself). */
void request_free(struct request *rq);

#endif
