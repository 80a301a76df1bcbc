/* service: what both daemons' main() share — command line, common configuration,
 * and the serve / migrate commands. A daemon describes itself in a struct service_def. */
#ifndef ECOMOVEX_SERVICE_H
#define ECOMOVEX_SERVICE_H

#include "auth.h"
#include "server.h"

#ifndef ECOMOVEX_VERSION
#define ECOMOVEX_VERSION "0.0.0-dev"
#endif

struct service_def {
    const char *name;    /* "user-service" */
    const char *summary; /* one line for --help */
    const char *addr_var, *addr_default;
    const char *db_var, *db_default;
    /* The owner's URL that `migrate` uses ("USER_DB_MIGRATE_URL"); unset or empty: db_var.
     * The daemon itself runs on db_var, a role with DML only (docs/security.md). */
    const char *migrate_db_var;
    const char *migrations_default; /* "migrations/users" */
    const struct route *routes;
    size_t nroutes;
    /* Reads the service's own configuration and adjusts o; called before serve. 0 or -1. */
    int (*setup)(struct server_options *o);
    /* Releases what setup made (after serve returns). May be NULL. */
    void (*teardown)(void);
    /* Extra subcommands ("reconcile"): returns an exit status, or -1 if cmd is unknown. */
    int (*command)(const char *cmd, int argc, char **argv);
    const char *commands_help; /* extra lines for --help */
    /* 1 for user-service: it holds the private key and signs tokens (auth_config_from_env),
     * and has the keygen command. Every other service only verifies. */
    int signs_tokens;
};

/* The shared configuration, read once by service_main before setup runs. */
extern struct auth_config service_auth;
extern const char *service_db_url;

/* The database options from the environment (the daemon's, for commands such as reconcile). */
void service_db_options(struct db_options *o);

/* Parses argv and runs the chosen command. Returns the process exit status. */
int service_main(int argc, char **argv, const struct service_def *d);

#endif
