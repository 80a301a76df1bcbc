/* dest_client: user-service's client for destination-service's internal API.
 *
 * Asking whether destination ids exist, and fetching destinations in a batch, over HTTP
 * keep-alive (one reused libcurl handle per worker). Around each call: a TTL cache of
 * existence answers, a process-wide circuit breaker, and at most one retry with jitter
 * inside the call's deadline. While the breaker is open nothing goes on the wire and
 * cached positive answers still serve.
 *
 * The transport is a function pointer, and time comes from now_ms/sleep_ms, so the whole
 * policy runs in unit tests with a fake clock and a fake transport. */
#ifndef DEST_CLIENT_H
#define DEST_CLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "breaker.h"
#include "dest_cache.h"
#include "internal_api.h"

#define DEST_MAX_IDS INTERNAL_IDS_MAX       /* per call, as destination-service accepts */
#define DEST_FETCH_CHUNK 100                /* ids per batch GET: keeps the URL near 2 KiB */
#define DEST_RESPONSE_MAX (4 * 1024 * 1024) /* larger answers are cut off and count as errors */

enum dest_error { DEST_ERR_NONE = 0, DEST_ERR_CONNECT, DEST_ERR_TIMEOUT, DEST_ERR_NETWORK, DEST_ERR_TOO_LARGE };

struct dest_response {
    int status;
    char *body; /* malloc'd, NUL-terminated; the caller frees */
    size_t len;
};

/* One HTTP exchange. 0 when an answer arrived (any status, *out filled), -1 otherwise with
 * *err saying why. body may be NULL for GET. */
typedef int (*dest_transport_fn)(void *ctx, const char *method, const char *path, const char *body, size_t len,
                                 const char *request_id, long timeout_ms, struct dest_response *out,
                                 enum dest_error *err);

struct dest_config {
    const char *base_url;       /* DESTINATION_SERVICE_URL */
    const char *internal_token; /* INTERNAL_TOKEN */
    const char *proxy;          /* DESTINATION_SERVICE_PROXY; "" or NULL: none, whatever http_proxy says */
    const char *ca_file;        /* DESTINATION_SERVICE_CA_FILE: CAs trusted for https; NULL: the system store */
    long connect_timeout_ms;    /* DEST_CONNECT_TIMEOUT_MS */
    long timeout_ms;            /* DEST_TIMEOUT_MS: the whole call, retry included */
    long positive_ttl_ms;       /* DEST_CACHE_TTL_SECONDS */
    long negative_ttl_ms;       /* DEST_CACHE_NEGATIVE_TTL_SECONDS (0: not cached) */
    size_t cache_capacity;      /* DEST_CACHE_MAX_ENTRIES */
    struct breaker_config breaker;
};

/* What the change feed (dest_feed) tells the request path: while it is healthy — a good
 * poll within stale_ms — cached positives live trusted_ttl_ms; otherwise positives older
 * than positive_ttl_ms are asked again (the plain TTL rule). */
struct dest_feed_trust {
    int enabled;            /* DEST_FEED_POLL_MS > 0 */
    long stale_ms;          /* DEST_FEED_STALE_SECONDS */
    long trusted_ttl_ms;    /* DEST_FEED_TRUSTED_TTL_SECONDS */
    long long last_good_ms; /* monotonic time of the last good poll (0: none yet); atomic */
};

/* What all workers share: the breaker, the cache and the configuration. */
struct dest_shared {
    struct dest_config cfg;
    struct breaker breaker;
    struct dest_cache cache;
    struct dest_feed_trust feed;
};

/* One per worker. */
struct dest_client {
    struct dest_shared *shared;
    dest_transport_fn call;
    void *transport; /* the transport's own state (a CURL handle) */
    long long (*now_ms)(void);
    void (*sleep_ms)(long ms);
    unsigned rng; /* jitter */
};

enum dest_outcome {
    DEST_OK = 0,      /* answered */
    DEST_UNAVAILABLE, /* no answer: down, timing out, 5xx, or breaker open — and nothing cached */
};

/* Reads the DEST_* configuration from the environment (exits 2 on a bad value, and when
 * base_url is https:// and DESTINATION_SERVICE_CA_FILE names a file dest_ca_file_usable refuses). */
void dest_config_from_env(struct dest_config *c, const char *base_url, const char *internal_token);

/* 1 when path opens for reading and holds a PEM certificate ("-----BEGIN CERTIFICATE-----"
 * at the start of a line), else 0: a missing file, a directory or a key alone would make
 * every https call fail, so start-up refuses them instead. */
int dest_ca_file_usable(const char *path);

/* Sets up the shared part and registers the client's metrics. 0 or -1. */
int dest_shared_init(struct dest_shared *s, const struct dest_config *c);
void dest_shared_destroy(struct dest_shared *s);

/* A worker's client over the libcurl transport. 0 or -1. */
int dest_client_init_curl(struct dest_client *c, struct dest_shared *s, unsigned seed);
void dest_client_destroy(struct dest_client *c);

/* For each ids[i] sets exists[i] to 1 or 0. Cached answers are used first; the rest go in one
 * call. DEST_UNAVAILABLE when some id has no answer (exists[] then holds 1 only for cached
 * positives, -1 for unknown). n <= DEST_MAX_IDS. */
enum dest_outcome dest_client_validate(struct dest_client *c, const char *request_id, const long long *ids, size_t n,
                                       int *exists);

/* Fetches the destinations ids[0..n) (duplicates allowed) in one call per DEST_FETCH_CHUNK distinct ids; *items is a
 * JSON array (caller deletes) of those that exist. Refreshes the cache for what it saw. */
enum dest_outcome dest_client_fetch(struct dest_client *c, const char *request_id, const long long *ids, size_t n,
                                    cJSON **items);

/* Searches destinations by name (q) or near a point; *items as for fetch. Used by the assistant. */
enum dest_outcome dest_client_get(struct dest_client *c, const char *request_id, const char *path_and_query,
                                  cJSON **json);

/* A GET of path_and_query through the breaker and retry: DEST_OK with out holding any
 * answer below 500 (the caller frees out->body), else DEST_UNAVAILABLE. */
enum dest_outcome dest_client_request(struct dest_client *c, const char *request_id, const char *path_and_query,
                                      struct dest_response *out);

/* The feed's health as the cache sees it: records a good poll / says whether it is healthy at now_ms. */
void dest_feed_trust_good(struct dest_shared *s, long long now_ms);
int dest_feed_trust_healthy(struct dest_shared *s, long long now_ms);

/* The monotonic clock the libcurl client uses (milliseconds). */
long long dest_mono_ms(void);

/* The retry policy, pure: the wait before retry number `attempt` (1 = the first retry) given
 * remaining_ms of the deadline, or -1 for no retry. At most one retry, jittered in
 * [DEST_RETRY_MIN_MS, DEST_RETRY_MAX_MS), and only if a connect still fits after it. */
#define DEST_RETRY_MIN_MS 10
#define DEST_RETRY_MAX_MS 50
long dest_retry_delay_ms(int attempt, long remaining_ms, long connect_timeout_ms, unsigned *rng);

#endif
