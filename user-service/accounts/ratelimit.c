/* ratelimit: login-limit configuration and client addresses. */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define ENTRY_MAX 64 /* longest TRUSTED_PROXIES entry: an IPv6 address and "/128" */
#define LIMIT_MAX 1000000L
#define IPV6_SUBNET_BITS 64

struct ratelimit_config login_limits = {RATELIMIT_DEFAULT_PER_ACCOUNT,
                                        RATELIMIT_DEFAULT_PER_ACCOUNT_TOTAL,
                                        RATELIMIT_DEFAULT_PER_ADDRESS,
                                        RATELIMIT_DEFAULT_WINDOW_S,
                                        0,
                                        {{0}}};
struct ratelimit_config register_limits;

/* Parses a textual address into family and 16 bytes (an IPv4-mapped IPv6 becomes IPv4). */
static int parse_addr(const char *s, int *family, unsigned char addr[16])
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = AF_INET6;
        if (memcmp(addr, v4mapped, sizeof v4mapped) == 0) {
            memmove(addr, addr + 12, 4);
            memset(addr + 4, 0, 12);
            *family = AF_INET;
        }
        return 0;
    }
    return -1;
}

static int in_net(const struct ratelimit_net *n, int family, const unsigned char addr[16])
{
    int full = n->bits / 8, rest = n->bits % 8;

    if (n->family != family || memcmp(n->addr, addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        return (n->addr[full] & mask) == (addr[full] & mask);
    }
}

static int parse_entry(const char *s, size_t len, struct ratelimit_net *n)
{
    char buf[ENTRY_MAX], *slash, *end;
    int max;

    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if ((slash = strchr(buf, '/')))
        *slash = '\0';
    if (parse_addr(buf, &n->family, n->addr) < 0)
        return -1;
    max = n->family == AF_INET ? 32 : 128;
    n->bits = max;
    if (slash) {
        long bits = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end || bits < 0 || bits > max)
            return -1;
        n->bits = (int)bits;
    }
    return 0;
}

int ratelimit_parse_trusted(const char *text, struct ratelimit_config *c, const char **why)
{
    const char *p = text;

    c->ntrusted = 0;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            if (c->ntrusted == RATELIMIT_TRUSTED_MAX) {
                *why = "too many entries (at most 32)";
                return -1;
            }
            if (parse_entry(p, len, &c->trusted[c->ntrusted]) < 0) {
                *why = "expected a comma-separated list of IP addresses or CIDR ranges";
                return -1;
            }
            c->ntrusted++;
        }
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

void ratelimit_config_from_env(struct ratelimit_config *c)
{
    const char *why = NULL, *trusted = config_env_str("TRUSTED_PROXIES", "");

    c->per_account = config_env_long("LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", RATELIMIT_DEFAULT_PER_ACCOUNT, 0, LIMIT_MAX);
    c->per_account_total =
        config_env_long("LOGIN_MAX_ATTEMPTS_PER_ACCOUNT_TOTAL", RATELIMIT_DEFAULT_PER_ACCOUNT_TOTAL, 0, LIMIT_MAX);
    c->per_address = config_env_long("LOGIN_MAX_ATTEMPTS_PER_ADDRESS", RATELIMIT_DEFAULT_PER_ADDRESS, 0, LIMIT_MAX);
    c->window_s = config_env_long("LOGIN_WINDOW_SECONDS", RATELIMIT_DEFAULT_WINDOW_S, 1, RATELIMIT_WINDOW_MAX_S);
    if (ratelimit_parse_trusted(trusted, c, &why) < 0)
        config_fail("TRUSTED_PROXIES", why);
    register_limits = *c;
    register_limits.per_account = register_limits.per_account_total = 0;
    register_limits.per_address =
        config_env_long("REGISTER_MAX_PER_ADDRESS", RATELIMIT_DEFAULT_REGISTER_PER_ADDRESS, 0, LIMIT_MAX);
    register_limits.window_s =
        config_env_long("REGISTER_WINDOW_SECONDS", RATELIMIT_DEFAULT_REGISTER_WINDOW_S, 1, RATELIMIT_WINDOW_MAX_S);
}

int ratelimit_trusted(const struct ratelimit_config *c, const char *peer)
{
    unsigned char addr[16];
    int family;

    if (!peer || parse_addr(peer, &family, addr) < 0)
        return 0;
    for (int i = 0; i < c->ntrusted; i++)
        if (in_net(&c->trusted[i], family, addr))
            return 1;
    return 0;
}

/* Canonical text of s (IPv6 cut to its /64) into out. */
static int canonical(const char *s, char out[RATELIMIT_ADDR_MAX])
{
    unsigned char addr[16];
    char text[INET6_ADDRSTRLEN];
    int family;

    if (parse_addr(s, &family, addr) < 0)
        return -1;
    if (family == AF_INET6)
        memset(addr + IPV6_SUBNET_BITS / 8, 0, 16 - IPV6_SUBNET_BITS / 8);
    if (!inet_ntop(family, addr, text, sizeof text))
        return -1;
    snprintf(out, RATELIMIT_ADDR_MAX, family == AF_INET6 ? "%s/64" : "%s", text);
    return 0;
}

int ratelimit_client_addr(const struct ratelimit_config *c, const char *peer, const char *xff,
                          char out[RATELIMIT_ADDR_MAX])
{
    if (xff && ratelimit_trusted(c, peer)) {
        const char *last = strrchr(xff, ',');
        char hop[RATELIMIT_ADDR_MAX];
        size_t len;

        last = last ? last + 1 : xff;
        while (*last == ' ' || *last == '\t')
            last++;
        len = strlen(last);
        while (len && (last[len - 1] == ' ' || last[len - 1] == '\t'))
            len--;
        if (len && len < sizeof hop) {
            memcpy(hop, last, len);
            hop[len] = '\0';
            if (canonical(hop, out) == 0)
                return 0;
        }
        /* a trusted proxy sent no usable address: count against the proxy itself */
    }
    if (peer && canonical(peer, out) == 0)
        return 0;
    snprintf(out, RATELIMIT_ADDR_MAX, "unknown");
    return -1;
}

const char *ratelimit_forwarded_for(const struct request *rq)
{
    const char *v = NULL;

    for (int i = 0; i < rq->nheaders; i++)
        if (strcasecmp(rq->headers[i].name, "X-Forwarded-For") == 0)
            v = rq->headers[i].value;
    return v;
}
