/* service: shared main() of the daemons. */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "healthcheck.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"

#define WORKERS_MAX 256
#define QUEUE_MAX_DEFAULT 1024
#define QUEUE_MAX_LIMIT 100000
#define IDLE_TIMEOUT_DEFAULT_S 30
#define GRACE_DEFAULT_S 10
#define HEADERS_MAX_BYTES (8 * 1024)
#define DB_CONNECT_TIMEOUT_DEFAULT_S 2
#define DB_STATEMENT_TIMEOUT_DEFAULT_MS 5000
#define DB_BACKOFF_MIN_MS 100
#define DB_BACKOFF_MAX_MS 2000
#define RETRY_AFTER_DEFAULT_S 1

struct auth_config service_auth;
const char *service_db_url;

static void usage(const struct service_def *d, FILE *f)
{
    fprintf(f,
            "%s %s — %s\n\n"
            "usage: %s [serve]            run the HTTP daemon (default)\n"
            "       %s migrate [--seed]   apply pending migrations (and load the demo data) as the\n"
            "                             owner role of %s (else %s)\n"
            "       %s healthcheck [--ready]  exit 0 if the daemon at %s answers /healthz (/readyz) 200\n"
            "%s"
            "       %s --help | --version\n\n"
            "Configuration is read from the environment; see README.md for every variable.\n"
            "  %s (default %s), %s, WORKERS, LOG_LEVEL, JWT_VERIFY_KEYS, INTERNAL_TOKEN, ...\n",
            d->name, ECOMOVEX_VERSION, d->summary, d->name, d->name, d->migrate_db_var ? d->migrate_db_var : d->db_var,
            d->db_var, d->name, d->addr_var, d->commands_help ? d->commands_help : "", d->name, d->addr_var,
            d->addr_default, d->db_var);
}

/* The container probe: no logging set-up, no secrets, only the listen address. */
static int cmd_healthcheck(const struct service_def *d, int argc, char **argv)
{
    char host[CONFIG_HOST_MAX];
    int port, ready = argc == 1 && strcmp(argv[0], "--ready") == 0;

    if (argc > 1 || (argc == 1 && !ready)) {
        fprintf(stderr, "usage: %s healthcheck [--ready]\n", d->name);
        return 2;
    }
    config_env_addr(d->addr_var, d->addr_default, host, &port);
    return healthcheck_run(host, port, ready ? "/readyz" : "/healthz", HEALTHCHECK_TIMEOUT_MS);
}

static int cmd_migrate(const struct service_def *d, int argc, char **argv)
{
    const char *dir = config_env_str("MIGRATIONS_DIR", d->migrations_default);
    char seed[4096];
    int with_seed = 0;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0) {
            with_seed = 1;
        } else {
            fprintf(stderr, "%s migrate: unknown option %s\n", d->name, argv[i]);
            return 2;
        }
    }
    snprintf(seed, sizeof seed, "%s/seed", dir);
    /* migrations are DDL: the owner role's URL when one is given, not the runtime role's */
    if (d->migrate_db_var) {
        const char *owner = config_env_str(d->migrate_db_var, "");
        if (owner[0])
            return migrate_run(owner, dir, with_seed ? seed : NULL);
    }
    return migrate_run(service_db_url, dir, with_seed ? seed : NULL);
}

static int default_workers(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)(cores * 2 > WORKERS_MAX ? WORKERS_MAX : cores * 2) : 2;
}

void service_db_options(struct db_options *o)
{
    o->conninfo = service_db_url;
    o->connect_timeout_s = (int)config_env_long("DB_CONNECT_TIMEOUT_SECONDS", DB_CONNECT_TIMEOUT_DEFAULT_S, 1, 60);
    o->statement_timeout_ms =
        (int)config_env_long("DB_STATEMENT_TIMEOUT_MS", DB_STATEMENT_TIMEOUT_DEFAULT_MS, 10, 600000);
    o->backoff_min_ms = DB_BACKOFF_MIN_MS;
    o->backoff_max_ms = DB_BACKOFF_MAX_MS;
}

static int cmd_serve(const struct service_def *d)
{
    struct server_options o = {0};
    int rc;

    o.service = d->name;
    config_env_addr(d->addr_var, d->addr_default, o.host, &o.port);
    /* the development secrets are in this repository: never serve them beyond this machine */
    if (config_dev_mode() && !config_host_is_loopback(o.host))
        config_fail("ECOMOVEX_DEV", "is only allowed with a loopback listen address (127.0.0.1, ::1, localhost): "
                                    "its secrets are public");
    o.workers = (int)config_env_long("WORKERS", default_workers(), 1, WORKERS_MAX);
    o.queue_max = (int)config_env_long("QUEUE_MAX", QUEUE_MAX_DEFAULT, 1, QUEUE_MAX_LIMIT);
    o.idle_timeout_s = (int)config_env_long("HTTP_IDLE_TIMEOUT_SECONDS", IDLE_TIMEOUT_DEFAULT_S, 1, 3600);
    o.shutdown_grace_s = (int)config_env_long("SHUTDOWN_GRACE_SECONDS", GRACE_DEFAULT_S, 0, 3600);
    o.retry_after_s = (int)config_env_long("RETRY_AFTER_SECONDS", RETRY_AFTER_DEFAULT_S, 1, 3600);
    problem_retry_after_s = o.retry_after_s;
    o.max_body = JSON_BODY_MAX;
    o.max_headers = HEADERS_MAX_BYTES;
    o.routes = d->routes;
    o.nroutes = d->nroutes;
    service_db_options(&o.db);
    if (metrics_init(d->name, d->routes, d->nroutes) < 0)
        return 1;
    db_metrics_init();
    if (d->setup && d->setup(&o) < 0)
        return 1;
    rc = server_run(&o);
    if (d->teardown)
        d->teardown();
    metrics_free();
    return rc;
}

int service_main(int argc, char **argv, const struct service_def *d)
{
    enum log_level lvl;
    const char *cmd = argc > 1 ? argv[1] : "serve";

    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(d, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("%s %s\n", d->name, ECOMOVEX_VERSION);
        return 0;
    }
    if (strcmp(cmd, "healthcheck") == 0)
        return cmd_healthcheck(d, argc - 2, argv + 2);
    if (log_parse_level(config_env_str("LOG_LEVEL", "info"), &lvl) < 0)
        config_fail("LOG_LEVEL", "expected one of debug, info, warn, error");
    log_init(d->name, lvl);
    if (sodium_init() < 0) {
        fprintf(stderr, "%s: libsodium could not start\n", d->name);
        return 1;
    }
    service_db_url = config_env_str(d->db_var, d->db_default);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(d, argc - 2, argv + 2);
    if (d->signs_tokens && strcmp(cmd, "keygen") == 0)
        return auth_keygen_command(argc - 2, argv + 2);
    auth_config_from_env(&service_auth, d->signs_tokens);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(d);
    if (d->command) {
        int rc = d->command(cmd, argc - 2, argv + 2);
        if (rc >= 0)
            return rc;
    }
    fprintf(stderr, "%s: unknown command '%s'\n\n", d->name, cmd);
    usage(d, stderr);
    return 2;
}
