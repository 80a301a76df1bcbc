/* config: environment variables with defaults, checked strictly.
 *
 * The config_parse_* functions are pure and unit-tested; the config_env_* getters read
 * the environment and, on a bad value, print "NAME: why (got 'value')" to stderr and
 * exit with status 2, so a misconfigured container fails at once and says why. */
#ifndef ECOMOVEX_CONFIG_H
#define ECOMOVEX_CONFIG_H

#include <stddef.h>

#define CONFIG_EXIT_BAD_VALUE 2
#define CONFIG_HOST_MAX 256

/* Parses a whole decimal integer in [min, max]. Returns 0, or -1 (with a reason in why). */
int config_parse_long(const char *text, long min, long max, long *out, const char **why);

/* Parses true/false/1/0/yes/no/on/off. Returns 0, or -1. */
int config_parse_bool(const char *text, int *out, const char **why);

/* Parses "host:port" (port 1..65535; host may be "[::1]"). Returns 0, or -1. */
int config_parse_addr(const char *text, char host[CONFIG_HOST_MAX], int *port, const char **why);

/* 1 if host (as config_parse_addr leaves it) names only this machine: localhost, 127.x.y.z
 * or ::1. A wildcard ("0.0.0.0", "::", "") is not loopback. */
int config_host_is_loopback(const char *host);

/* NULL if secret looks random enough to be one, else why not: a placeholder word
 * ("change", "example", "secret", "password", "development") or too few distinct
 * characters (fewer than CONFIG_SECRET_MIN_DISTINCT). Length is checked by the caller. */
#define CONFIG_SECRET_MIN_DISTINCT 6
const char *config_secret_weakness(const char *secret);

/* Index of text in the NULL-terminated list allowed, or -1. */
int config_parse_enum(const char *text, const char *const *allowed);

/* Getters: unset or empty → def; bad → message + exit(2). */
const char *config_env_str(const char *name, const char *def);
long config_env_long(const char *name, long def, long min, long max);
int config_env_bool(const char *name, int def);
void config_env_addr(const char *name, const char *def, char host[CONFIG_HOST_MAX], int *port);
int config_env_enum(const char *name, const char *def, const char *const *allowed);

/* ECOMOVEX_DEV: development mode (public fixed secrets, weak password hashing allowed). */
int config_dev_mode(void);

/* Prints "NAME: why" and exits 2. For checks that span several variables. */
void config_fail(const char *name, const char *why) __attribute__((noreturn));

#endif
