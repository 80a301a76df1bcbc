/* session_check: asks user-service whether a token is still in force before an admin write.
 *
 * destination-service verifies a token's signature alone, but user-service retires tokens
 * (account deleted, password changed: token_version bumped; role taken away). Before every
 * request that needs an administrator, the token's (sub, ver) is checked against user-service's
 * internal session route (internal_api.h). A positive answer is cached for at most
 * USER_SESSION_CACHE_MS (default 4000, at most 5000, counted from when the question was
 * sent), so a retired token stops working within 5 s; negative answers are never cached.
 * When user-service cannot answer, the write is refused with 503 and Retry-After. */
#ifndef SESSION_CHECK_H
#define SESSION_CHECK_H

#define SESSION_CACHE_MS_MAX 5000     /* the promise of issue 19: refused within 5 s */
#define SESSION_CACHE_MS_DEFAULT 4000 /* a second to spare for the call and the clock */
#define SESSION_CACHE_SLOTS 1024      /* bounded: one (sub, ver) per slot, overwritten on collision */
#define SESSION_RETRY_AFTER_S 5       /* the Retry-After of a 503 while user-service is unreachable */
#define SESSION_URL_MAX 512           /* USER_SERVICE_URL's longest accepted value */
#define SESSION_RESPONSE_MAX 4096     /* a larger answer is an error */

enum session_state {
    SESSION_ACTIVE_ADMIN = 0, /* in force, and the user is an administrator now */
    SESSION_ACTIVE_USER,      /* in force, but the user is no administrator (any more) */
    SESSION_RETIRED,          /* no such user, or an older token_version */
    SESSION_UNKNOWN           /* user-service did not answer well: refuse with 503 */
};

/* Reads USER_SERVICE_URL (default http://127.0.0.1:8081), USER_SESSION_TIMEOUT_MS (default
 * 1000) and USER_SESSION_CACHE_MS (default 4000, 0..5000); initializes libcurl. Before the
 * workers start. 0, or -1 (logged). */
int session_check_setup(void);

/* Frees libcurl's global state (at shutdown). */
void session_check_teardown(void);

/* The state of user sub's token of version ver (request_id for the logs and X-Request-ID). */
enum session_state session_check(long long sub, int ver, const char *request_id);

#endif
