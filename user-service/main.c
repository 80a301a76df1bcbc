/* user-service: owns the users database — accounts, trips, missions, reviews, plans,
 * media and the eco assistant — and asks destination-service about destination ids. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "accounts.h"
#include "auth.h"
#include "auth_routes.h"
#include "carbon_routes.h"
#include "config.h"
#include "dest_check.h"
#include "log.h"
#include "media_routes.h"
#include "messages_routes.h"
#include "missions_routes.h"
#include "plans_routes.h"
#include "problem.h"
#include "ratelimit.h"
#include "reconcile.h"
#include "reviews_routes.h"
#include "service.h"
#include "users_routes.h"
#include "users_store.h"

#define OPSLIMIT_MAX 64             /* argon2id passes: far beyond any sane setting */
#define MEMLIMIT_MAX_KIB (4L << 20) /* 4 GiB */
#define KIB 1024

static const struct route routes[] = {
    {"POST", "/api/v1/auth/register", auth_register, AUTH_NONE},
    {"POST", "/api/v1/auth/login", auth_login, AUTH_NONE},
    {"GET", "/api/v1/users/me", users_get_me, AUTH_USER},
    {"PATCH", "/api/v1/users/me", users_patch_me, AUTH_USER},
    {"DELETE", "/api/v1/users/me", users_delete_me, AUTH_USER},
    {"PUT", "/api/v1/users/me/password", users_put_password, AUTH_USER},
    {"GET", "/api/v1/users", users_list, AUTH_ADMIN},
    {"GET", "/api/v1/users/{id}", users_get, AUTH_USER},
    {"POST", "/api/v1/users/{id}/eco-points", users_add_points, AUTH_ADMIN},

    {"POST", "/api/v1/reviews", reviews_create, AUTH_USER},
    {"GET", "/api/v1/reviews", reviews_list, AUTH_NONE},
    {"GET", "/api/v1/reviews/summary", reviews_summary, AUTH_NONE},
    {"GET", "/api/v1/reviews/{id}", reviews_get, AUTH_NONE},
    {"PATCH", "/api/v1/reviews/{id}", reviews_patch, AUTH_USER},
    {"DELETE", "/api/v1/reviews/{id}", reviews_delete, AUTH_USER},

    {"POST", "/api/v1/plans", plans_create, AUTH_USER},
    {"GET", "/api/v1/plans", plans_list, AUTH_USER},
    {"GET", "/api/v1/plans/{id}", plans_get, AUTH_USER},
    {"PATCH", "/api/v1/plans/{id}", plans_patch, AUTH_USER},
    {"DELETE", "/api/v1/plans/{id}", plans_delete, AUTH_USER},
    {"POST", "/api/v1/plans/{id}/destinations", plans_add_stop, AUTH_USER},
    {"GET", "/api/v1/plans/{id}/destinations", plans_list_stops, AUTH_USER},
    {"PATCH", "/api/v1/plans/{id}/destinations/{id}", plans_patch_stop, AUTH_USER},
    {"DELETE", "/api/v1/plans/{id}/destinations/{id}", plans_delete_stop, AUTH_USER},
    {"GET", "/api/v1/plans/{id}/footprint", plans_footprint, AUTH_USER},

    {"GET", "/api/v1/carbon/factors", carbon_list_factors, AUTH_NONE},
    {"POST", "/api/v1/carbon", carbon_create, AUTH_USER},
    {"GET", "/api/v1/carbon", carbon_list, AUTH_USER},
    {"GET", "/api/v1/carbon/summary", carbon_summary, AUTH_USER},
    {"GET", "/api/v1/carbon/{id}", carbon_get, AUTH_USER},
    {"DELETE", "/api/v1/carbon/{id}", carbon_delete, AUTH_USER},

    {"GET", "/api/v1/missions", missions_list, AUTH_USER},
    {"POST", "/api/v1/missions", missions_create, AUTH_ADMIN},
    {"GET", "/api/v1/missions/{id}", missions_get, AUTH_USER},
    {"PATCH", "/api/v1/missions/{id}", missions_update, AUTH_ADMIN},
    {"DELETE", "/api/v1/missions/{id}", missions_delete, AUTH_ADMIN},
    {"POST", "/api/v1/missions/{id}/complete", missions_complete, AUTH_USER},
    {"GET", "/api/v1/users/me/missions", missions_of_me, AUTH_USER},
    {"GET", "/api/v1/leaderboard", missions_leaderboard, AUTH_USER},

    {"POST", "/api/v1/media", media_upload, AUTH_USER},
    {"GET", "/api/v1/media", media_list, AUTH_USER},
    {"GET", "/api/v1/media/{id}", media_get, AUTH_USER},
    {"GET", "/api/v1/media/{id}/content", media_content, AUTH_USER},
    {"DELETE", "/api/v1/media/{id}", media_delete, AUTH_USER},

    {"POST", "/api/v1/messages", messages_create, AUTH_USER},
    {"GET", "/api/v1/messages", messages_list, AUTH_USER},
    {"DELETE", "/api/v1/messages", messages_clear, AUTH_USER},
};

/* A valid signature is not enough: the user must still exist, the token must be of the
 * current token_version (a password change retires older ones), and the role comes from
 * the database, so a demoted admin's token stops opening admin endpoints at once. */
static int authorize(struct request *rq, struct reply *rp, enum auth_level level)
{
    struct jwt_claims c;
    struct users_identity who;
    enum db_status st;
    int found = 0;

    if (level == AUTH_INTERNAL)
        return auth_internal(rq, rp, &service_auth);
    if (auth_bearer(rq, rp, &service_auth, &c) < 0)
        return -1;
    if ((st = users_store_identity(rq->worker->db, c.sub, &who, &found)) != DB_OK) {
        users_db_failed(rp, st);
        return -1;
    }
    if (!found || who.token_version != c.ver)
        return auth_unauthorized(rp, "The token is no longer valid; log in again.");
    rq->auth.user_id = who.id;
    rq->auth.role = who.admin ? ROLE_ADMIN : ROLE_USER;
    rq->auth.token_version = who.token_version;
    if (level == AUTH_ADMIN && !who.admin) {
        problem(rp, 403, "Only administrators may do this.");
        return -1;
    }
    return 0;
}

/* PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT_KIB, BOOTSTRAP_ADMIN_EMAIL. */
static void accounts_config_from_env(struct accounts_config *c)
{
    const char *admin = config_env_str("BOOTSTRAP_ADMIN_EMAIL", NULL);
    const char *why;

    c->password.opslimit =
        (unsigned long long)config_env_long("PASSWORD_OPSLIMIT", PASSWORD_DEFAULT_OPSLIMIT, 1, OPSLIMIT_MAX);
    c->password.memlimit =
        (size_t)config_env_long("PASSWORD_MEMLIMIT_KIB", ACCOUNTS_MEMLIMIT_DEFAULT_KIB, 8, MEMLIMIT_MAX_KIB) * KIB;
    c->bootstrap_admin_email[0] = '\0';
    if (admin && (why = accounts_email_normalize(admin, c->bootstrap_admin_email, sizeof c->bootstrap_admin_email)))
        config_fail("BOOTSTRAP_ADMIN_EMAIL", why);
}

static int setup(struct server_options *o)
{
    accounts_config_from_env(&accounts_config);
    ratelimit_config_from_env(&login_limits);
    if (password_init(&accounts_config.password) < 0) {
        log_msg(LOG_ERROR, NULL, "password hashing could not start (PASSWORD_OPSLIMIT / PASSWORD_MEMLIMIT_KIB)");
        return -1;
    }
    o->authorize = authorize;
    /* libcurl's global state must exist before any worker makes a handle. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || dest_check_setup(service_auth.internal_token) < 0)
        return -1;
    o->worker_init = dest_check_worker_init;
    o->worker_fini = dest_check_worker_fini;
    if (media_setup(o) < 0)
        return -1;
    if (reconcile_start(&o->db, service_auth.internal_token) < 0)
        return -1;
    return 0;
}

static void teardown(void)
{
    reconcile_stop();
    dest_check_teardown();
    curl_global_cleanup();
}

static int command(const char *cmd, int argc, char **argv)
{
    struct db_options dbo;

    (void)argv;
    if (strcmp(cmd, "reconcile") != 0)
        return -1;
    if (argc > 0) {
        fprintf(stderr, "user-service reconcile takes no arguments\n");
        return 2;
    }
    service_db_options(&dbo);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    {
        int rc = reconcile_command(&dbo, service_auth.internal_token);
        curl_global_cleanup();
        return rc;
    }
}

static const struct service_def def = {
    .name = "user-service",
    .summary = "accounts, trips, missions, reviews, plans, media and the eco assistant of EcomoveX",
    .addr_var = "USER_SERVICE_ADDR",
    .addr_default = "127.0.0.1:8081",
    .db_var = "USER_DB_URL",
    .db_default = "postgresql:///ecomovex_users",
    .migrations_default = "migrations/users",
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .setup = setup,
    .teardown = teardown,
    .command = command,
    .commands_help = "       user-service reconcile          mark reviews and plan stops whose destination is gone\n",
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &def);
}
