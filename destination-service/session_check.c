/* session_check: user-service's word on a token, with a short bounded cache. */
#include "session_check.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "config.h"
#include "curl_start.h"
#include "exact_int.h"
#include "internal_api.h"
#include "log.h"
#include "request.h"
#include "service.h"

#define DEFAULT_URL "http://127.0.0.1:8081"
#define DEFAULT_TIMEOUT_MS 1000
#define TIMEOUT_MS_MAX 10000
#define HEADER_MAX 320 /* "X-Internal-Token: " + AUTH_INTERNAL_TOKEN_MAX */

struct session_slot {
    long long sub;
    int ver;
    int admin;
    long long expires_ms; /* 0: empty */
};

static char base_url[SESSION_URL_MAX];
static long timeout_ms = DEFAULT_TIMEOUT_MS, cache_ms = SESSION_CACHE_MS_DEFAULT;
static struct session_slot cache[SESSION_CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int curl_ready;

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int session_check_setup(void)
{
    const char *url = config_env_str("USER_SERVICE_URL", DEFAULT_URL);
    size_t n = strlen(url);

    if (n == 0 || n >= sizeof base_url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        config_fail("USER_SERVICE_URL", "must be an http:// or https:// URL of at most 511 bytes");
    memcpy(base_url, url, n + 1);
    while (n > 0 && base_url[n - 1] == '/')
        base_url[--n] = '\0';
    timeout_ms = config_env_long("USER_SESSION_TIMEOUT_MS", DEFAULT_TIMEOUT_MS, 50, TIMEOUT_MS_MAX);
    cache_ms = config_env_long("USER_SESSION_CACHE_MS", SESSION_CACHE_MS_DEFAULT, 0, SESSION_CACHE_MS_MAX);
    if (curl_start() < 0) {
        log_msg(LOG_ERROR, NULL, "libcurl would not initialize");
        return -1;
    }
    curl_ready = 1;
    return 0;
}

void session_check_teardown(void)
{
    if (curl_ready)
        curl_global_cleanup();
    curl_ready = 0;
}

static struct session_slot *slot_of(long long sub, int ver)
{
    unsigned long long h = (unsigned long long)sub * 0x9E3779B97F4A7C15ull ^ (unsigned long long)(unsigned)ver;

    return &cache[(h ^ (h >> 29)) % SESSION_CACHE_SLOTS];
}

static int cache_get(long long sub, int ver, int *admin)
{
    struct session_slot *s;
    int hit = 0;

    if (cache_ms == 0)
        return 0;
    pthread_mutex_lock(&cache_lock);
    s = slot_of(sub, ver);
    if (s->expires_ms > now_ms() && s->sub == sub && s->ver == ver) {
        *admin = s->admin;
        hit = 1;
    }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_put(long long sub, int ver, int admin, long long asked_ms)
{
    struct session_slot *s;

    if (cache_ms == 0)
        return;
    pthread_mutex_lock(&cache_lock);
    s = slot_of(sub, ver);
    s->sub = sub;
    s->ver = ver;
    s->admin = admin;
    s->expires_ms = asked_ms + cache_ms; /* counted from the question: the answer is no older */
    pthread_mutex_unlock(&cache_lock);
}

struct sink {
    char buf[SESSION_RESPONSE_MAX + 1];
    size_t len;
    int overflow;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t len = size * n;

    if (len > SESSION_RESPONSE_MAX - s->len) {
        s->overflow = 1;
        return 0; /* aborts the transfer */
    }
    memcpy(s->buf + s->len, p, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return len;
}

/* One GET to user-service; the state it answered, or SESSION_UNKNOWN. */
static enum session_state ask(long long sub, int ver, const char *request_id)
{
    char url[SESSION_URL_MAX + 96], tok[HEADER_MAX], rid[REQUEST_ID_MAX + 32];
    struct curl_slist *hdrs = NULL, *h;
    static __thread struct sink sink;
    enum session_state out = SESSION_UNKNOWN;
    const cJSON *active, *admin;
    cJSON *doc = NULL;
    long status = 0;
    CURLcode rc;
    CURL *c;

    snprintf(url, sizeof url,
             "%s" INTERNAL_SESSION_PATH_PREFIX "%lld" INTERNAL_SESSION_PATH_SUFFIX "?" INTERNAL_QUERY_VER "=%d",
             base_url, sub, ver);
    snprintf(tok, sizeof tok, "X-Internal-Token: %s", service_auth.internal_token);
    if (request_id)
        snprintf(rid, sizeof rid, "X-Request-ID: %s", request_id);
    if (!(c = curl_easy_init()))
        return SESSION_UNKNOWN;
    if (!(hdrs = curl_slist_append(NULL, tok)))
        goto out;
    if (request_id && request_id[0]) {
        if (!(h = curl_slist_append(hdrs, rid)))
            goto out;
        hdrs = h;
    }
    sink.len = 0;
    sink.overflow = 0;
    sink.buf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        log_msg(LOG_WARN, request_id, "user-service did not answer the session check: %s", curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || !(doc = cJSON_ParseWithLength(sink.buf, sink.len))) {
        log_msg(LOG_WARN, request_id, "user-service answered the session check with %ld", status);
        goto out;
    }
    active = cJSON_GetObjectItemCaseSensitive(doc, INTERNAL_FIELD_ACTIVE);
    admin = cJSON_GetObjectItemCaseSensitive(doc, INTERNAL_FIELD_ADMIN);
    if (!cJSON_IsBool(active) || !cJSON_IsBool(admin))
        log_msg(LOG_WARN, request_id, "user-service's session answer lacks active/admin");
    else if (!cJSON_IsTrue(active))
        out = SESSION_RETIRED;
    else
        out = cJSON_IsTrue(admin) ? SESSION_ACTIVE_ADMIN : SESSION_ACTIVE_USER;
out:
    cJSON_Delete(doc);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return out;
}

enum session_state session_check(long long sub, int ver, const char *request_id)
{
    long long asked = now_ms();
    enum session_state st;
    int admin;

    if (sub > EXACT_INT_MAX) /* beyond any user id: user-service would only say 404 */
        return SESSION_RETIRED;
    if (cache_get(sub, ver, &admin))
        return admin ? SESSION_ACTIVE_ADMIN : SESSION_ACTIVE_USER;
    st = ask(sub, ver, request_id);
    if (st == SESSION_ACTIVE_ADMIN || st == SESSION_ACTIVE_USER)
        cache_put(sub, ver, st == SESSION_ACTIVE_ADMIN, asked);
    return st;
}
