/* fuzz_router: the route matcher, path/query decoding and the header values every request
 * goes through before a handler runs.
 *
 * Input: "METHOD\nPATH[?QUERY]\nHEADER-VALUE" (later lines optional). The path and query are
 * split at the first '?', as evhttp does; the header value is tried as X-Request-ID and
 * If-None-Match. Both services' route tables are matched (copied from their main.c). */
#include <math.h>

#include "fuzz.h"

#include "etag.h"
#include "exact_int.h"
#include "ids.h"
#include "media.h"
#include "paging.h"
#include "problem.h"
#include "reply.h"
#include "request.h"
#include "router.h"

/* user-service/main.c and destination-service/main.c, without their handlers. */
static const struct route user_routes[] = {
    {"POST", "/api/v1/auth/register", NULL, AUTH_NONE},
    {"POST", "/api/v1/auth/login", NULL, AUTH_NONE},
    {"GET", "/api/v1/users/me", NULL, AUTH_USER},
    {"PATCH", "/api/v1/users/me", NULL, AUTH_USER},
    {"DELETE", "/api/v1/users/me", NULL, AUTH_USER},
    {"PUT", "/api/v1/users/me/password", NULL, AUTH_USER},
    {"GET", "/api/v1/users", NULL, AUTH_ADMIN},
    {"GET", "/api/v1/users/{id}", NULL, AUTH_USER},
    {"POST", "/api/v1/users/{id}/eco-points", NULL, AUTH_ADMIN},
    {"POST", "/api/v1/reviews", NULL, AUTH_USER},
    {"GET", "/api/v1/reviews", NULL, AUTH_NONE},
    {"GET", "/api/v1/reviews/summary", NULL, AUTH_NONE},
    {"GET", "/api/v1/reviews/{id}", NULL, AUTH_NONE},
    {"PATCH", "/api/v1/reviews/{id}", NULL, AUTH_USER},
    {"DELETE", "/api/v1/reviews/{id}", NULL, AUTH_USER},
    {"POST", "/api/v1/plans", NULL, AUTH_USER},
    {"GET", "/api/v1/plans", NULL, AUTH_USER},
    {"GET", "/api/v1/plans/{id}", NULL, AUTH_USER},
    {"PATCH", "/api/v1/plans/{id}", NULL, AUTH_USER},
    {"DELETE", "/api/v1/plans/{id}", NULL, AUTH_USER},
    {"POST", "/api/v1/plans/{id}/destinations", NULL, AUTH_USER},
    {"GET", "/api/v1/plans/{id}/destinations", NULL, AUTH_USER},
    {"PATCH", "/api/v1/plans/{id}/destinations/{id}", NULL, AUTH_USER},
    {"DELETE", "/api/v1/plans/{id}/destinations/{id}", NULL, AUTH_USER},
    {"GET", "/api/v1/plans/{id}/footprint", NULL, AUTH_USER},
    {"GET", "/api/v1/carbon/factors", NULL, AUTH_NONE},
    {"POST", "/api/v1/carbon", NULL, AUTH_USER},
    {"GET", "/api/v1/carbon", NULL, AUTH_USER},
    {"GET", "/api/v1/carbon/summary", NULL, AUTH_USER},
    {"GET", "/api/v1/carbon/{id}", NULL, AUTH_USER},
    {"DELETE", "/api/v1/carbon/{id}", NULL, AUTH_USER},
    {"GET", "/api/v1/missions", NULL, AUTH_USER},
    {"POST", "/api/v1/missions", NULL, AUTH_ADMIN},
    {"GET", "/api/v1/missions/{id}", NULL, AUTH_USER},
    {"PATCH", "/api/v1/missions/{id}", NULL, AUTH_ADMIN},
    {"DELETE", "/api/v1/missions/{id}", NULL, AUTH_ADMIN},
    {"POST", "/api/v1/missions/{id}/complete", NULL, AUTH_USER},
    {"GET", "/api/v1/users/me/missions", NULL, AUTH_USER},
    {"GET", "/api/v1/leaderboard", NULL, AUTH_USER},
    {"POST", "/api/v1/media", NULL, AUTH_USER},
    {"GET", "/api/v1/media", NULL, AUTH_USER},
    {"GET", "/api/v1/media/{id}", NULL, AUTH_USER},
    {"GET", "/api/v1/media/{id}/content", NULL, AUTH_USER},
    {"DELETE", "/api/v1/media/{id}", NULL, AUTH_USER},
    {"POST", "/api/v1/messages", NULL, AUTH_USER},
    {"GET", "/api/v1/messages", NULL, AUTH_USER},
    {"DELETE", "/api/v1/messages", NULL, AUTH_USER},
};

static const struct route dest_routes[] = {
    {"GET", "/api/v1/destinations", NULL, AUTH_NONE},
    {"POST", "/api/v1/destinations", NULL, AUTH_ADMIN},
    {"GET", "/api/v1/destinations/nearby", NULL, AUTH_NONE},
    {"GET", "/api/v1/destinations/{id}", NULL, AUTH_NONE},
    {"PATCH", "/api/v1/destinations/{id}", NULL, AUTH_ADMIN},
    {"DELETE", "/api/v1/destinations/{id}", NULL, AUTH_ADMIN},
    {"GET", "/internal/v1/destinations", NULL, AUTH_INTERNAL},
    {"POST", "/internal/v1/destinations/validate", NULL, AUTH_INTERNAL},
};

/* Every query parameter a handler reads (request_query, query_ll, query_double). */
static const char *const query_names[] = {
    "q",   "category",  "expand",    "fuel",           "ids",     "mode", "period", "limit", "offset", "lat",
    "lon", "radius_km", "before_id", "destination_id", "user_id", "from", "to",     "date",
};

static int count_ids(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; (p = strstr(p, "{id}")) != NULL; p += 4)
        n++;
    return n;
}

static void match_table(const struct route *routes, size_t n, const char *method, const char *path)
{
    long long ids[REQUEST_MAX_IDS];
    char allow[ROUTER_ALLOW_MAX];
    struct reply rp = {0};
    int index = -1, nids = -1;

    switch (router_match(routes, n, method, path, &index, ids, &nids, allow, sizeof allow)) {
    case ROUTE_OK:
        FUZZ_CHECK(index >= 0 && (size_t)index < n);
        FUZZ_CHECK(strcmp(routes[index].method, method) == 0 || /* HEAD is served by the GET route */
                   (strcmp(method, "HEAD") == 0 && strcmp(routes[index].method, "GET") == 0));
        FUZZ_CHECK(nids == count_ids(routes[index].pattern));
        for (int i = 0; i < nids; i++) {
            char text[32];
            FUZZ_CHECK(ids[i] > 0);
            snprintf(text, sizeof text, "/%lld", ids[i]);
            FUZZ_CHECK(strstr(path, text) != NULL); /* the id is written canonically in the path */
        }
        break;
    case ROUTE_BAD_METHOD:
        FUZZ_CHECK(allow[0] != '\0' && strlen(allow) < sizeof allow);
        problem(&rp, 405, "This path does not accept %s; it accepts %s.", method, allow);
        FUZZ_CHECK(reply_header(&rp, "Allow", allow) == 0);
        break;
    case ROUTE_NOT_FOUND:
        FUZZ_CHECK(allow[0] == '\0');
        problem(&rp, 404, "Nothing is found at this path.");
        break;
    default: FUZZ_CHECK(!"router_match returned an unknown value");
    }
    reply_free(&rp);
}

static void decode(const char *src, int plus_is_space)
{
    static const size_t caps[] = {1, 2, 8, 32, 256, 4096};
    size_t len = strlen(src);

    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char *out = malloc(caps[i]);
        long r = request_url_decode(src, len, plus_is_space, out, caps[i]);
        if (r >= 0) {
            FUZZ_CHECK((size_t)r < caps[i] && (size_t)r <= len);
            FUZZ_CHECK(strlen(out) == (size_t)r);
        }
        free(out);
    }
}

static void query(const struct request *rq)
{
    static const size_t caps[] = {1, 16, 256, IDS_TEXT_MAX + 1};
    struct field_errors fe = {0};
    struct paging pg;
    long long ll;
    double d;

    for (size_t i = 0; i < sizeof query_names / sizeof query_names[0]; i++) {
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            char *out = malloc(caps[k]);
            int got = request_query(rq, query_names[i], out, caps[k]);
            FUZZ_CHECK(got >= -1 && got <= 1);
            if (got == 1)
                FUZZ_CHECK(strlen(out) < caps[k]);
            free(out);
        }
        if (query_ll(rq, query_names[i], 1, EXACT_INT_MAX, &ll, &fe) == 1)
            FUZZ_CHECK(ll >= 1 && ll <= EXACT_INT_MAX);
        if (query_double(rq, query_names[i], -180, 180, &d, &fe) == 1)
            FUZZ_CHECK(isfinite(d) && d >= -180 && d <= 180);
    }
    if (paging_parse(rq, PAGING_MAX_LIMIT, &pg, &fe) == 0)
        FUZZ_CHECK(pg.limit >= 1 && pg.limit <= PAGING_MAX_LIMIT && pg.offset >= 0 && pg.offset <= PAGING_MAX_OFFSET);
    if (fe.n) {
        struct reply rp = {0};
        problem_fields(&rp, &fe);
        FUZZ_CHECK(rp.status == 422);
        reply_free(&rp);
    }
}

static void header_value(char *value)
{
    static char xrid[] = "X-Request-ID", inm[] = "If-None-Match";
    static const char tag[] = "\"0123456789abcdef0123456789abcdef\"";
    static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    struct request rq;

    memset(&rq, 0, sizeof rq);
    rq.headers[0].name = xrid;
    rq.headers[0].value = value;
    rq.headers[1].name = inm;
    rq.headers[1].value = value;
    rq.nheaders = 2;
    FUZZ_CHECK(request_header(&rq, "x-request-id") == value);
    if (request_id_valid(value))
        FUZZ_CHECK(strlen(value) >= 1 && strlen(value) <= REQUEST_ID_MAX);
    (void)etag_match(request_header(&rq, "If-None-Match"), tag);
    (void)media_etag_match(value, sha);
    (void)media_type_canonical(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *method = fuzz_line(&data, &size);
    char *target = fuzz_line(&data, &size);
    char *value = fuzz_strndup(data, size);
    char *qmark;
    struct request rq;

    if (!method)
        method = fuzz_strndup((const uint8_t *)"GET", 3);
    if (!target)
        target = fuzz_strndup((const uint8_t *)"/", 1);
    memset(&rq, 0, sizeof rq);
    rq.method = method;
    if ((qmark = strchr(target, '?')) != NULL) {
        *qmark = '\0';
        rq.query = qmark + 1;
    }
    rq.path = target;

    match_table(user_routes, sizeof user_routes / sizeof user_routes[0], method, target);
    match_table(dest_routes, sizeof dest_routes / sizeof dest_routes[0], method, target);
    decode(target, 0);
    if (rq.query) {
        decode(rq.query, 1);
        query(&rq);
    }
    header_value(value);

    free(method);
    free(target);
    free(value);
    return 0;
}
