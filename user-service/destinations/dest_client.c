/* dest_client: cache, breaker and retry around one HTTP exchange. */
#include "dest_client.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "dynbuf.h"
#include "exact_int.h"
#include "internal_api.h"
#include "log.h"
#include "metrics.h"
#include "trace.h"

#define ID_TEXT_MAX 21 /* "9223372036854775807," */
#define HEADER_MAX 256

enum call_outcome { OUT_OK = 0, OUT_HTTP_ERROR, OUT_TIMEOUT, OUT_CONNECT, OUT_NETWORK, OUT_BREAKER, OUT_COUNT };
static const char *const outcome_labels[OUT_COUNT] = {"outcome=\"ok\"",
                                                      "outcome=\"http_error\"",
                                                      "outcome=\"timeout\"",
                                                      "outcome=\"connect_error\"",
                                                      "outcome=\"network_error\"",
                                                      "outcome=\"breaker_open\""};

static struct metric *m_calls[OUT_COUNT], *m_hits, *m_misses, *m_state, *m_trans[3];
static struct metrics_histogram *m_call_seconds[OUT_BREAKER]; /* a call the breaker refused takes no time */

static void on_breaker_change(enum breaker_state to)
{
    metrics_set(m_state, to); /* one atomic index: a scrape sees exactly one state at 1 */
    metrics_add(m_trans[to], 1);
    log_msg(to == BREAKER_OPEN ? LOG_WARN : LOG_INFO, NULL, "destination-service circuit breaker: %s",
            breaker_state_name(to));
}

/* ---- configuration ---- */

#define PEM_CERT_LINE "-----BEGIN CERTIFICATE-----"

int dest_ca_file_usable(const char *path)
{
    char line[256];
    int found = 0, line_start = 1;
    FILE *f = fopen(path, "r");

    if (!f)
        return 0;
    /* fgets in bounded pieces: a long line is read on, and only a piece that starts a line counts */
    while (!found && fgets(line, sizeof line, f)) {
        found = line_start && strncmp(line, PEM_CERT_LINE, sizeof PEM_CERT_LINE - 1) == 0;
        line_start = strchr(line, '\n') != NULL;
    }
    if (ferror(f)) /* a directory opens, then fails to read */
        found = 0;
    fclose(f);
    return found;
}

static void check_ca_file(const char *base_url, const char *ca_file)
{
    char why[512];

    if (!ca_file || strncmp(base_url, "https://", 8) != 0 || dest_ca_file_usable(ca_file))
        return;
    snprintf(why, sizeof why, "'%.300s' cannot be read or holds no PEM certificate (" PEM_CERT_LINE ")", ca_file);
    config_fail("DESTINATION_SERVICE_CA_FILE", why);
}

void dest_config_from_env(struct dest_config *c, const char *base_url, const char *internal_token)
{
    c->base_url = base_url;
    c->internal_token = internal_token;
    c->proxy = config_env_str("DESTINATION_SERVICE_PROXY", "");
    c->ca_file = config_env_str("DESTINATION_SERVICE_CA_FILE", NULL);
    check_ca_file(base_url, c->ca_file);
    c->connect_timeout_ms = config_env_long("DEST_CONNECT_TIMEOUT_MS", 250, 1, 60000);
    c->timeout_ms = config_env_long("DEST_TIMEOUT_MS", 1000, 1, 120000);
    c->positive_ttl_ms = config_env_long("DEST_CACHE_TTL_SECONDS", 300, 0, 86400) * 1000;
    c->negative_ttl_ms = config_env_long("DEST_CACHE_NEGATIVE_TTL_SECONDS", 5, 0, 3600) * 1000;
    c->cache_capacity = (size_t)config_env_long("DEST_CACHE_MAX_ENTRIES", 65536, 16, 16 * 1024 * 1024);
    c->breaker.window_s = (int)config_env_long("DEST_BREAKER_WINDOW_SECONDS", 10, 1, BREAKER_MAX_BUCKETS);
    c->breaker.min_calls = (int)config_env_long("DEST_BREAKER_MIN_CALLS", 5, 1, 100000);
    c->breaker.failure_pct = (int)config_env_long("DEST_BREAKER_FAILURE_PCT", 50, 1, 100);
    c->breaker.open_ms = (int)config_env_long("DEST_BREAKER_OPEN_MS", 2000, 10, 600000);
    if (c->connect_timeout_ms > c->timeout_ms)
        config_fail("DEST_CONNECT_TIMEOUT_MS", "must not exceed DEST_TIMEOUT_MS");
}

int dest_shared_init(struct dest_shared *s, const struct dest_config *c)
{
    static const char *const trans[3] = {"to=\"closed\"", "to=\"open\"", "to=\"half_open\""};
    static const char *const states[3] = {"closed", "open", "half_open"}; /* by enum breaker_state */

    s->cfg = *c;
    s->feed = (struct dest_feed_trust){0}; /* dest_feed_start turns it on for the request path */
    breaker_init(&s->breaker, &c->breaker);
    s->breaker.on_change = on_breaker_change;
    if (dest_cache_init(&s->cache, c->cache_capacity) < 0)
        return -1;
    if (m_state)
        return 0; /* metrics are process-wide: a second client state (the reconciler's) shares them */
    for (int i = 0; i < OUT_COUNT; i++)
        m_calls[i] =
            metrics_counter("dest_client_calls_total", "Calls to destination-service, by outcome.", outcome_labels[i]);
    m_hits = metrics_counter("dest_cache_hits_total", "Destination ids answered from the cache.", "");
    m_misses = metrics_counter("dest_cache_misses_total", "Destination ids not in the cache.", "");
    for (int i = 0; i < OUT_BREAKER; i++)
        m_call_seconds[i] =
            metrics_histogram("dest_client_call_duration_seconds",
                              "One HTTP exchange with destination-service (each try), by outcome.", outcome_labels[i]);
    m_state = metrics_state_gauge("dest_breaker_state",
                                  "Circuit breaker state: 1 for the current one (closed, open, half_open).", "state",
                                  states, 3);
    for (int i = 0; i < 3; i++)
        m_trans[i] = metrics_counter("dest_breaker_transitions_total", "Circuit breaker state changes.", trans[i]);
    return 0;
}

void dest_shared_destroy(struct dest_shared *s)
{
    breaker_destroy(&s->breaker);
    dest_cache_destroy(&s->cache);
}

/* ---- retry policy ---- */

static unsigned next_rand(unsigned *rng)
{
    /* xorshift32: jitter only needs to differ between workers, not to be secret */
    unsigned x = *rng ? *rng : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *rng = x;
}

long dest_retry_delay_ms(int attempt, long remaining_ms, long connect_timeout_ms, unsigned *rng)
{
    long delay;

    if (attempt != 1)
        return -1;
    delay = DEST_RETRY_MIN_MS + (long)(next_rand(rng) % (DEST_RETRY_MAX_MS - DEST_RETRY_MIN_MS));
    return remaining_ms - delay >= connect_timeout_ms ? delay : -1;
}

/* ---- one call with breaker and retry ---- */

static enum call_outcome classify(int rc, enum dest_error err, int status)
{
    if (rc == 0)
        return status >= 500 ? OUT_HTTP_ERROR : OUT_OK;
    if (err == DEST_ERR_TIMEOUT)
        return OUT_TIMEOUT;
    if (err == DEST_ERR_CONNECT)
        return OUT_CONNECT;
    return OUT_NETWORK;
}

/* Sends one request through the breaker, retrying once when it is idempotent and time allows.
 * Returns OUT_OK with a response whose status is < 500 (the caller frees out->body). */
static enum call_outcome call(struct dest_client *c, const char *method, const char *path, const char *body, size_t len,
                              const char *request_id, struct dest_response *out)
{
    const struct dest_config *cfg = &c->shared->cfg;
    long long deadline = c->now_ms() + cfg->timeout_ms;
    enum call_outcome o = OUT_BREAKER;

    for (int attempt = 0;; attempt++) {
        enum dest_error err = DEST_ERR_NONE;
        long remaining = (long)(deadline - c->now_ms()), delay;
        int rc;
        double t0;

        enum breaker_ticket ticket = breaker_allow(&c->shared->breaker, c->now_ms());

        if (ticket == BREAKER_DENY) {
            if (attempt == 0)
                o = OUT_BREAKER;
            break;
        }
        memset(out, 0, sizeof *out);
        t0 = metrics_now();
        rc = c->call(c->transport, method, path, body, len, request_id, remaining > 0 ? remaining : 1, out, &err);
        o = classify(rc, err, out->status);
        metrics_observe(m_call_seconds[o], metrics_now() - t0);
        breaker_record(&c->shared->breaker, c->now_ms(), o == OUT_OK, ticket);
        metrics_add(m_calls[o], 1);
        if (o == OUT_OK)
            return o;
        free(out->body);
        memset(out, 0, sizeof *out);
        /* Every call we make is a read, so it is safe to repeat. */
        delay = dest_retry_delay_ms(attempt + 1, (long)(deadline - c->now_ms()), cfg->connect_timeout_ms, &c->rng);
        if (delay < 0)
            break;
        c->sleep_ms(delay);
    }
    if (o == OUT_BREAKER)
        metrics_add(m_calls[OUT_BREAKER], 1);
    /* The path only, never its query: a search's q is what the user typed. */
    log_msg(LOG_WARN, request_id, "destination-service %s %.*s: %s", method, (int)strcspn(path, "?"), path,
            outcome_labels[o]);
    return o;
}

/* ---- validate ---- */

/* {"ids":[...]} for ids[0..n); the caller frees *out. 0, or -1 when out of memory. */
static int ids_json(const long long *ids, size_t n, char **out, size_t *len)
{
    struct dynbuf b;

    dynbuf_init(&b, n * ID_TEXT_MAX + 16);
    dynbuf_printf(&b, "{\"" INTERNAL_FIELD_IDS "\":[");
    for (size_t i = 0; i < n; i++)
        dynbuf_printf(&b, "%s%lld", i ? "," : "", ids[i]);
    dynbuf_printf(&b, "]}");
    *out = dynbuf_take(&b, len);
    return *out ? 0 : -1;
}

/* The id a JSON value of the other service's answer holds, or 0 when it is no positive
 * integer a double holds exactly (the cast of a huge or non-finite double would be undefined). */
static long long answer_id(const cJSON *v)
{
    double d;

    if (!cJSON_IsNumber(v))
        return 0;
    d = v->valuedouble;
    return isfinite(d) && d >= 1 && d <= (double)EXACT_INT_MAX && d == floor(d) ? (long long)d : 0;
}

/* ---- the change feed's word on cached positives ---- */

void dest_feed_trust_good(struct dest_shared *s, long long now_ms)
{
    __atomic_store_n(&s->feed.last_good_ms, now_ms, __ATOMIC_RELEASE);
}

int dest_feed_trust_healthy(struct dest_shared *s, long long now_ms)
{
    long long good = __atomic_load_n(&s->feed.last_good_ms, __ATOMIC_ACQUIRE);

    return s->feed.enabled && good != 0 && now_ms - good <= s->feed.stale_ms;
}

/* Positives stored before this are not trusted now: none while the feed is healthy (it
 * would have removed a deleted id), else those older than DEST_CACHE_TTL_SECONDS. */
static long long trusted_since(struct dest_client *c)
{
    long long now = c->now_ms();

    if (!c->shared->feed.enabled || dest_feed_trust_healthy(c->shared, now))
        return LLONG_MIN;
    return now - c->shared->cfg.positive_ttl_ms;
}

/* When a positive answer stored now expires: DEST_CACHE_TTL_SECONDS, or longer with the feed on. */
static long long positive_expiry(const struct dest_client *c, long long now)
{
    const struct dest_shared *s = c->shared;
    long ttl = s->cfg.positive_ttl_ms;

    if (s->feed.enabled && s->feed.trusted_ttl_ms > ttl)
        ttl = s->feed.trusted_ttl_ms;
    return now + ttl;
}

/* 1 if id is one of ids[0..n). */
static int asked(long long id, const long long *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* Marks the ids listed in arr (a JSON array of numbers) as `exists` in the answer and cache.
 * Only ids that were asked about count: anything else in the answer is ignored, never cached. */
static void apply_list(struct dest_client *c, const cJSON *arr, int exists, const long long *ids, size_t n, int *out)
{
    const struct dest_config *cfg = &c->shared->cfg;
    long long now = c->now_ms();
    const cJSON *el;

    if (!cJSON_IsArray(arr))
        return;
    cJSON_ArrayForEach (el, arr) {
        long long id = answer_id(el);
        if (!id || !asked(id, ids, n))
            continue;
        for (size_t i = 0; i < n; i++)
            if (ids[i] == id)
                out[i] = exists;
        if (exists && cfg->positive_ttl_ms > 0)
            dest_cache_put(&c->shared->cache, id, 1, now, positive_expiry(c, now));
        else if (!exists && cfg->negative_ttl_ms > 0)
            dest_cache_put(&c->shared->cache, id, 0, now, now + cfg->negative_ttl_ms);
    }
}

enum dest_outcome dest_client_validate(struct dest_client *c, const char *request_id, const long long *ids, size_t n,
                                       int *exists)
{
    long long *miss = NULL;
    size_t nmiss = 0, len = 0;
    char *body = NULL;
    struct dest_response resp = {0};
    enum dest_outcome result = DEST_UNAVAILABLE;
    cJSON *j = NULL;

    if (n == 0)
        return DEST_OK;
    if (n > DEST_MAX_IDS || !(miss = malloc(n * sizeof *miss)))
        return DEST_UNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        int e;
        if (dest_cache_get_since(&c->shared->cache, ids[i], c->now_ms(), trusted_since(c), &e)) {
            exists[i] = e;
            metrics_add(m_hits, 1);
        } else {
            exists[i] = -1;
            miss[nmiss++] = ids[i];
            metrics_add(m_misses, 1);
        }
    }
    if (nmiss == 0) {
        result = DEST_OK;
        goto out;
    }
    if (ids_json(miss, nmiss, &body, &len) < 0)
        goto out;
    if (call(c, "POST", INTERNAL_PATH_VALIDATE, body, len, request_id, &resp) != OUT_OK)
        goto out;
    if (resp.status != 200 || !(j = cJSON_ParseWithLength(resp.body, resp.len))) {
        log_msg(LOG_ERROR, request_id, "destination-service validate answered %d", resp.status);
        goto out;
    }
    apply_list(c, cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_EXISTING), 1, ids, n, exists);
    apply_list(c, cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_MISSING), 0, ids, n, exists);
    result = DEST_OK;
    for (size_t i = 0; i < n; i++)
        if (exists[i] < 0)
            result = DEST_UNAVAILABLE; /* an answer that skipped an id we asked about */
out:
    cJSON_Delete(j);
    free(resp.body);
    free(body);
    free(miss);
    return result;
}

/* ---- fetch and plain GET ---- */

enum dest_outcome dest_client_get(struct dest_client *c, const char *request_id, const char *path_and_query,
                                  cJSON **json)
{
    struct dest_response resp = {0};
    enum dest_outcome result = DEST_UNAVAILABLE;

    *json = NULL;
    if (call(c, "GET", path_and_query, NULL, 0, request_id, &resp) != OUT_OK)
        goto out;
    if (resp.status != 200 || !(*json = cJSON_ParseWithLength(resp.body, resp.len))) {
        log_msg(LOG_ERROR, request_id, "destination-service GET answered %d", resp.status);
        goto out;
    }
    result = DEST_OK;
out:
    free(resp.body);
    return result;
}

enum dest_outcome dest_client_request(struct dest_client *c, const char *request_id, const char *path_and_query,
                                      struct dest_response *out)
{
    memset(out, 0, sizeof *out);
    return call(c, "GET", path_and_query, NULL, 0, request_id, out) == OUT_OK ? DEST_OK : DEST_UNAVAILABLE;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* One GET for ids[0..n) (n <= DEST_FETCH_CHUNK); appends what exists to arr. */
static enum dest_outcome fetch_chunk(struct dest_client *c, const char *request_id, const long long *ids, size_t n,
                                     cJSON *arr)
{
    static const char prefix[] = INTERNAL_PATH_BATCH "?" INTERNAL_FIELD_IDS "=";
    char path[sizeof prefix + DEST_FETCH_CHUNK * ID_TEXT_MAX];
    size_t used = sizeof prefix - 1;
    cJSON *j = NULL, *got, *el;
    enum dest_outcome result;

    memcpy(path, prefix, used + 1);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(path + used, sizeof path - used, "%s%lld", i ? "," : "", ids[i]);
    if ((result = dest_client_get(c, request_id, path, &j)) != DEST_OK)
        return result;
    got = cJSON_GetObjectItemCaseSensitive(j, INTERNAL_FIELD_ITEMS);
    if (!cJSON_IsArray(got)) {
        cJSON_Delete(j);
        return DEST_UNAVAILABLE;
    }
    while ((el = cJSON_DetachItemFromArray(got, 0)) != NULL) {
        long long id = answer_id(cJSON_GetObjectItemCaseSensitive(el, "id")), now = c->now_ms();
        if (!cJSON_IsObject(el) || !id || !asked(id, ids, n)) { /* not what we asked for: dropped */
            cJSON_Delete(el);
            continue;
        }
        if (c->shared->cfg.positive_ttl_ms > 0)
            dest_cache_put(&c->shared->cache, id, 1, now, positive_expiry(c, now));
        cJSON_AddItemToArray(arr, el);
    }
    cJSON_Delete(j);
    return DEST_OK;
}

enum dest_outcome dest_client_fetch(struct dest_client *c, const char *request_id, const long long *ids, size_t n,
                                    cJSON **items)
{
    long long *u = NULL;
    size_t nu = 0;
    cJSON *arr = cJSON_CreateArray();
    enum dest_outcome result = DEST_OK;

    *items = NULL;
    if (!arr || n > DEST_MAX_IDS || (n && !(u = malloc(n * sizeof *u)))) {
        cJSON_Delete(arr);
        return DEST_UNAVAILABLE;
    }
    /* distinct ids, in URLs short enough for any server's header limit */
    if (n) {
        memcpy(u, ids, n * sizeof *u);
        qsort(u, n, sizeof *u, cmp_ll);
        for (size_t i = 0; i < n; i++)
            if (i == 0 || u[i] != u[nu - 1])
                u[nu++] = u[i];
    }
    for (size_t off = 0; off < nu && result == DEST_OK; off += DEST_FETCH_CHUNK)
        result = fetch_chunk(c, request_id, u + off, nu - off < DEST_FETCH_CHUNK ? nu - off : DEST_FETCH_CHUNK, arr);
    free(u);
    if (result != DEST_OK) {
        cJSON_Delete(arr);
        return result;
    }
    *items = arr;
    return DEST_OK;
}

/* ---- the libcurl transport ---- */

struct curl_transport {
    CURL *h;
    const struct dest_config *cfg;
    char url[4096]; /* base URL + a DEST_FETCH_CHUNK-id path */
};

/* curl's write callback: the answer goes into a dynbuf capped at DEST_RESPONSE_MAX. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    size_t n = size * nmemb;

    return dynbuf_add(arg, ptr, n) == 0 ? n : 0; /* 0: curl aborts with CURLE_WRITE_ERROR */
}

static int curl_call(void *ctx, const char *method, const char *path, const char *body, size_t len,
                     const char *request_id, long timeout_ms, struct dest_response *out, enum dest_error *err)
{
    struct curl_transport *t = ctx;
    struct curl_slist *hdrs = NULL;
    struct dynbuf s;
    char h_token[HEADER_MAX], h_rid[HEADER_MAX], tp[TRACEPARENT_LEN + 1], h_tp[HEADER_MAX],
        h_ts[TRACESTATE_MAX + sizeof "tracestate: "];
    const char *ts;
    long status = 0;
    CURLcode rc;

    if ((size_t)snprintf(t->url, sizeof t->url, "%s%s", t->cfg->base_url, path) >= sizeof t->url ||
        (size_t)snprintf(h_token, sizeof h_token, "X-Internal-Token: %s", t->cfg->internal_token) >= sizeof h_token) {
        *err = DEST_ERR_NETWORK; /* never send a cut URL or token */
        return -1;
    }
    snprintf(h_rid, sizeof h_rid, "X-Request-ID: %s", request_id ? request_id : "");
    dynbuf_init(&s, DEST_RESPONSE_MAX);
    hdrs = curl_slist_append(hdrs, h_token);
    hdrs = curl_slist_append(hdrs, h_rid);
    ts = trace_outgoing(request_id, tp, sizeof tp);
    snprintf(h_tp, sizeof h_tp, "traceparent: %s", tp);
    hdrs = curl_slist_append(hdrs, h_tp);
    if (ts) {
        snprintf(h_ts, sizeof h_ts, "tracestate: %s", ts);
        hdrs = curl_slist_append(hdrs, h_ts);
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(t->h, CURLOPT_URL, t->url);
    curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(t->h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(t->h, CURLOPT_CONNECTTIMEOUT_MS,
                     t->cfg->connect_timeout_ms < timeout_ms ? t->cfg->connect_timeout_ms : timeout_ms);
    curl_easy_setopt(t->h, CURLOPT_WRITEDATA, &s);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(t->h, CURLOPT_HTTPGET, 1L);
    }
    rc = curl_easy_perform(t->h);
    curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE)
            log_msg(LOG_WARN, request_id, "destination-service TLS: %s", curl_easy_strerror(rc));
        dynbuf_free(&s);
        *err = rc == CURLE_OPERATION_TIMEDOUT ? DEST_ERR_TIMEOUT
               : rc == CURLE_COULDNT_CONNECT  ? DEST_ERR_CONNECT
               : rc == CURLE_WRITE_ERROR      ? DEST_ERR_TOO_LARGE
                                              : DEST_ERR_NETWORK;
        return -1;
    }
    curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
    out->status = (int)status;
    out->body = dynbuf_take(&s, &out->len); /* NULL for an empty answer */
    return 0;
}

long long dest_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int dest_client_init_curl(struct dest_client *c, struct dest_shared *s, unsigned seed)
{
    struct curl_transport *t = calloc(1, sizeof *t);

    memset(c, 0, sizeof *c);
    if (!t || !(t->h = curl_easy_init())) {
        free(t);
        return -1;
    }
    t->cfg = &s->cfg;
    /* Options that never change: set once, so the handle keeps its connection alive. */
    curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(t->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(t->h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(t->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(t->h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Only the proxy the operator names: an empty CURLOPT_PROXY makes libcurl ignore
     * http_proxy, HTTPS_PROXY and ALL_PROXY, which would otherwise receive X-Internal-Token. */
    curl_easy_setopt(t->h, CURLOPT_PROXY, s->cfg.proxy ? s->cfg.proxy : "");
    /* https: the peer's chain and name are always verified (libcurl's defaults, stated so no
     * one turns them off); a private CA replaces the system store rather than joining it. */
    curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->cfg.ca_file) {
        curl_easy_setopt(t->h, CURLOPT_CAINFO, s->cfg.ca_file);
        curl_easy_setopt(t->h, CURLOPT_CAPATH, NULL);
    }
    c->shared = s;
    c->call = curl_call;
    c->transport = t;
    c->now_ms = dest_mono_ms;
    c->sleep_ms = real_sleep;
    c->rng = seed * 2654435761u + 1;
    return 0;
}

void dest_client_destroy(struct dest_client *c)
{
    struct curl_transport *t = c->transport;

    if (t && c->call == curl_call) {
        curl_easy_cleanup(t->h);
        free(t);
    }
    c->transport = NULL;
}
