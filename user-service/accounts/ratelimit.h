/* ratelimit: the rules of the login limits — configuration, trusted proxies, and which
 * client address a request counts against. Pure functions; the counters themselves live in
 * PostgreSQL (ratelimit_store), so every replica shares them.
 *
 * Fixed windows of LOGIN_WINDOW_SECONDS. Every login attempt that gets past body
 * validation is counted, atomically and before any password hashing, against two keys:
 * "email:<normalized email>" (LOGIN_MAX_ATTEMPTS_PER_ACCOUNT) and "ip:<client address>"
 * (LOGIN_MAX_ATTEMPTS_PER_ADDRESS). Over either limit the answer is 429 with Retry-After.
 * A successful login deletes its account counter and takes its own attempt back off the
 * address counter, so in effect only failures (and attempts still in flight) count. */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>

#include "request.h"

#define RATELIMIT_TRUSTED_MAX 32
#define RATELIMIT_ADDR_MAX 64                   /* text of an address or an IPv6 /64 prefix, NUL included */
#define RATELIMIT_KEY_MAX 340                   /* "email:" + a 254-byte email + "|ip:" + an address, NUL included */
#define RATELIMIT_DEFAULT_PER_ACCOUNT 10        /* failures of one account from one address */
#define RATELIMIT_DEFAULT_PER_ACCOUNT_TOTAL 100 /* of one account from everywhere */
#define RATELIMIT_DEFAULT_PER_ADDRESS 50
#define RATELIMIT_DEFAULT_WINDOW_S 300
#define RATELIMIT_WINDOW_MAX_S 86400 /* windows older than a day are pruned */

/* An address range: family AF_INET or AF_INET6, the address bytes and the prefix length. */
struct ratelimit_net {
    int family;
    unsigned char addr[16];
    int bits;
};

struct ratelimit_config {
    long per_account;       /* attempts on one account from one address; 0: no limit */
    long per_account_total; /* on one account from all addresses; 0: no ceiling */
    long per_address;       /* 0: no per-address limit */
    long window_s;
    int ntrusted;
    struct ratelimit_net trusted[RATELIMIT_TRUSTED_MAX];
};

/* The process-wide login limits (set once in setup, read by the workers). */
extern struct ratelimit_config login_limits;

/* Registrations per client address (per_address per window_s; the same TRUSTED_PROXIES). */
extern struct ratelimit_config register_limits;
#define RATELIMIT_DEFAULT_REGISTER_PER_ADDRESS 20
#define RATELIMIT_DEFAULT_REGISTER_WINDOW_S 3600

/* Parses TRUSTED_PROXIES: a comma-separated list of IPv4/IPv6 addresses or CIDR ranges
 * ("10.0.0.7, 172.16.0.0/12, fd00::/8"); empty means none. Returns 0, or -1 with why. */
int ratelimit_parse_trusted(const char *text, struct ratelimit_config *c, const char **why);

/* Reads LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT_TOTAL,
 * LOGIN_MAX_ATTEMPTS_PER_ADDRESS, LOGIN_WINDOW_SECONDS
 * and TRUSTED_PROXIES into c, and REGISTER_MAX_PER_ADDRESS and REGISTER_WINDOW_SECONDS into
 * register_limits; a bad value exits 2 naming the variable. */
void ratelimit_config_from_env(struct ratelimit_config *c);

/* 1 if the textual address peer lies in one of the trusted ranges. */
int ratelimit_trusted(const struct ratelimit_config *c, const char *peer);

/* The address a request counts against, written into out: peer, unless peer is a trusted
 * proxy and xff (the X-Forwarded-For value, may be NULL) ends in a valid address, in which
 * case that last hop — the one the proxy itself appended. IPv4-mapped IPv6 is written as
 * IPv4; other IPv6 addresses are reduced to their /64 (one subscriber's usual allocation).
 * Returns 0, or -1 when neither gives an address (out is then "unknown"). */
int ratelimit_client_addr(const struct ratelimit_config *c, const char *peer, const char *xff,
                          char out[RATELIMIT_ADDR_MAX]);

/* The value of the last X-Forwarded-For header of rq, or NULL. */
const char *ratelimit_forwarded_for(const struct request *rq);

#endif
