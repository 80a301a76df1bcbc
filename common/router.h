/* router: the route table as data, and matching a method + path against it.
 *
 * A pattern is a literal path whose segments may be "{id}", which matches a positive
 * decimal bigint (1 .. 9223372036854775807, no sign, no leading zero). A segment that is
 * not such a number does not match, so "/things/abc" is a 404, never a 500. */
#ifndef ECOMOVEX_ROUTER_H
#define ECOMOVEX_ROUTER_H

#include <stddef.h>

#include "reply.h"
#include "request.h"

enum auth_level {
    AUTH_NONE = 0, /* anyone */
    AUTH_USER,     /* a valid bearer token */
    AUTH_ADMIN,    /* a valid bearer token of an admin */
    AUTH_INTERNAL, /* X-Internal-Token: service to service */
};

typedef void (*route_handler)(struct request *rq, struct reply *rp);

struct route {
    const char *method;
    const char *pattern;
    route_handler handler;
    enum auth_level auth;
};

enum route_match { ROUTE_OK = 0, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

#define ROUTER_ALLOW_MAX 64 /* room for "GET, POST, PUT, PATCH, DELETE" */

/* Finds the route for method + path in routes[0..n). On ROUTE_OK sets *index and fills
 * ids/nids with the {id} values. On ROUTE_BAD_METHOD writes the methods the path does
 * accept into allow ("GET, POST"). path is the raw path without the query. */
enum route_match router_match(const struct route *routes, size_t n, const char *method, const char *path, int *index,
                              long long ids[REQUEST_MAX_IDS], int *nids, char *allow, size_t allow_cap);

/* Parses s[0..len) as a positive bigint id. Returns 0 and sets *out, or -1. */
int router_parse_id(const char *s, size_t len, long long *out);

#endif
