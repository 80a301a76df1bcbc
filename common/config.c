/* config: strict parsing of environment variables. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PORT_MAX 65535

int config_parse_long(const char *text, long min, long max, long *out, const char **why)
{
    char *end;
    long v;

    errno = 0;
    if (!text || !*text || (*text != '-' && (*text < '0' || *text > '9'))) {
        *why = "not an integer";
        return -1;
    }
    v = strtol(text, &end, 10);
    if (*end != '\0') {
        *why = "not an integer";
        return -1;
    }
    if (errno == ERANGE || v < min || v > max) {
        *why = "out of range";
        return -1;
    }
    *out = v;
    return 0;
}

int config_parse_bool(const char *text, int *out, const char **why)
{
    static const char *const yes[] = {"1", "true", "yes", "on", NULL};
    static const char *const no[] = {"0", "false", "no", "off", NULL};

    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    *why = "not a boolean (use true or false)";
    return -1;
}

int config_parse_addr(const char *text, char host[CONFIG_HOST_MAX], int *port, const char **why)
{
    const char *colon = strrchr(text, ':');
    size_t hlen;
    long p;

    if (!colon || colon == text) {
        *why = "expected host:port";
        return -1;
    }
    hlen = (size_t)(colon - text);
    if (text[0] == '[') { /* [::1]:8081 */
        if (hlen < 3 || text[hlen - 1] != ']') {
            *why = "expected [ipv6]:port";
            return -1;
        }
        text++;
        hlen -= 2;
    }
    if (hlen >= CONFIG_HOST_MAX) {
        *why = "host too long";
        return -1;
    }
    if (config_parse_long(colon + 1, 1, PORT_MAX, &p, why) < 0) {
        *why = "port must be an integer from 1 to 65535";
        return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

int config_parse_enum(const char *text, const char *const *allowed)
{
    for (int i = 0; allowed[i]; i++)
        if (strcmp(text, allowed[i]) == 0)
            return i;
    return -1;
}

void config_fail(const char *name, const char *why)
{
    fprintf(stderr, "configuration error: %s: %s\n", name, why);
    exit(CONFIG_EXIT_BAD_VALUE);
}

static void fail_value(const char *name, const char *why, const char *value)
{
    fprintf(stderr, "configuration error: %s: %s (got '%.64s')\n", name, why, value);
    exit(CONFIG_EXIT_BAD_VALUE);
}

const char *config_env_str(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

long config_env_long(const char *name, long def, long min, long max)
{
    const char *v = getenv(name), *why = NULL;
    long out;

    if (!v || !*v)
        return def;
    if (config_parse_long(v, min, max, &out, &why) < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s; expected an integer from %ld to %ld", why, min, max);
        fail_value(name, msg, v);
    }
    return out;
}

int config_env_bool(const char *name, int def)
{
    const char *v = getenv(name), *why = NULL;
    int out;

    if (!v || !*v)
        return def;
    if (config_parse_bool(v, &out, &why) < 0)
        fail_value(name, why, v);
    return out;
}

int config_host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    return strncmp(host, "127.", 4) == 0 && strspn(host + 4, "0123456789.") == strlen(host + 4) && host[4];
}

const char *config_secret_weakness(const char *secret)
{
    static const char *const placeholders[] = {"change", "example", "secret", "password", "development", NULL};
    unsigned char seen[256] = {0};
    int distinct = 0;

    for (int i = 0; placeholders[i]; i++)
        if (strcasestr(secret, placeholders[i]))
            return "looks like a placeholder (set a long random value, e.g. openssl rand -hex 32)";
    for (const unsigned char *c = (const unsigned char *)secret; *c; c++)
        if (!seen[*c]++)
            distinct++;
    if (distinct < CONFIG_SECRET_MIN_DISTINCT)
        return "has too few distinct characters to be random (e.g. openssl rand -hex 32)";
    return NULL;
}

int config_dev_mode(void)
{
    return config_env_bool("ECOMOVEX_DEV", 0);
}

void config_env_addr(const char *name, const char *def, char host[CONFIG_HOST_MAX], int *port)
{
    const char *v = config_env_str(name, def), *why = NULL;

    if (config_parse_addr(v, host, port, &why) < 0)
        fail_value(name, why, v);
}

int config_env_enum(const char *name, const char *def, const char *const *allowed)
{
    const char *v = config_env_str(name, def);
    int i = config_parse_enum(v, allowed);

    if (i < 0) {
        char msg[256];
        size_t n = (size_t)snprintf(msg, sizeof msg, "expected one of");
        for (int k = 0; allowed[k] && n < sizeof msg; k++)
            n += (size_t)snprintf(msg + n, sizeof msg - n, "%s %s", k ? "," : "", allowed[k]);
        fail_value(name, msg, v);
    }
    return i;
}
