/* user-service: owns the users database — accounts, trips, missions, reviews, plans,
 * media and the eco assistant — and asks destination-service about destination ids. */
#include <stddef.h>
#include <string.h>

#include "accounts_service.h"
#include "auth_routes.h"
#include "carbon_routes.h"
#include "destinations_service.h"
#include "idempotency.h"
#include "media_files.h"
#include "media_routes.h"
#include "messages_routes.h"
#include "missions_routes.h"
#include "plans_routes.h"
#include "reviews_routes.h"
#include "service.h"
#include "users_routes.h"

/* The POSTs that create take an Idempotency-Key (user-service/idempotency/idempotency.h). */
IDEMPOTENT(reviews_create)
IDEMPOTENT(plans_create)
IDEMPOTENT(plans_add_stop)
IDEMPOTENT(carbon_create)
IDEMPOTENT(media_upload)
IDEMPOTENT(messages_create)

static const struct route routes[] = {
    {"POST", "/api/v1/auth/register", auth_register, AUTH_NONE},
    {"POST", "/api/v1/auth/login", auth_login, AUTH_NONE},
    {"POST", "/api/v1/auth/logout-all", auth_logout_all, AUTH_USER},
    {"GET", "/api/v1/users/me", users_get_me, AUTH_USER},
    {"PATCH", "/api/v1/users/me", users_patch_me, AUTH_USER},
    {"DELETE", "/api/v1/users/me", users_delete_me, AUTH_USER},
    {"PUT", "/api/v1/users/me/password", users_put_password, AUTH_USER},
    {"GET", "/api/v1/users", users_list, AUTH_ADMIN},
    {"GET", "/api/v1/users/{id}", users_get, AUTH_USER},
    {"POST", "/api/v1/users/{id}/eco-points", users_add_points, AUTH_ADMIN},

    {"POST", "/api/v1/reviews", reviews_create_idempotent, AUTH_USER},
    {"GET", "/api/v1/reviews", reviews_list, AUTH_NONE},
    {"GET", "/api/v1/reviews/summary", reviews_summary, AUTH_NONE},
    {"GET", "/api/v1/reviews/{id}", reviews_get, AUTH_NONE},
    {"PATCH", "/api/v1/reviews/{id}", reviews_patch, AUTH_USER},
    {"DELETE", "/api/v1/reviews/{id}", reviews_delete, AUTH_USER},

    {"POST", "/api/v1/plans", plans_create_idempotent, AUTH_USER},
    {"GET", "/api/v1/plans", plans_list, AUTH_USER},
    {"GET", "/api/v1/plans/{id}", plans_get, AUTH_USER},
    {"PATCH", "/api/v1/plans/{id}", plans_patch, AUTH_USER},
    {"DELETE", "/api/v1/plans/{id}", plans_delete, AUTH_USER},
    {"POST", "/api/v1/plans/{id}/destinations", plans_add_stop_idempotent, AUTH_USER},
    {"GET", "/api/v1/plans/{id}/destinations", plans_list_stops, AUTH_USER},
    {"PATCH", "/api/v1/plans/{id}/destinations/{id}", plans_patch_stop, AUTH_USER},
    {"DELETE", "/api/v1/plans/{id}/destinations/{id}", plans_delete_stop, AUTH_USER},
    {"GET", "/api/v1/plans/{id}/footprint", plans_footprint, AUTH_USER},

    {"GET", "/api/v1/carbon/factors", carbon_list_factors, AUTH_NONE},
    {"POST", "/api/v1/carbon", carbon_create_idempotent, AUTH_USER},
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

    {"POST", "/api/v1/media", media_upload_idempotent, AUTH_USER},
    {"GET", "/api/v1/media", media_list, AUTH_USER},
    {"GET", "/api/v1/media/{id}", media_get, AUTH_USER},
    {"GET", "/api/v1/media/{id}/content", media_content, AUTH_USER},
    {"DELETE", "/api/v1/media/{id}", media_delete, AUTH_USER},

    {"POST", "/api/v1/messages", messages_create_idempotent, AUTH_USER},
    {"GET", "/api/v1/messages", messages_list, AUTH_USER},
    {"DELETE", "/api/v1/messages", messages_clear, AUTH_USER},

    {"GET", "/internal/v1/users/{id}/session", users_internal_session, AUTH_INTERNAL},
};

/* Media before destinations: media_setup may raise o->max_body and sets o->body_caps. */
static int setup(struct server_options *o)
{
    if (accounts_setup(o) < 0 || media_setup(o) < 0 || destinations_setup(o) < 0)
        return -1;
    o->authorize = accounts_authorize;
    return 0;
}

static void teardown(void)
{
    destinations_teardown();
    accounts_teardown();
}

static int command(const char *cmd, int argc, char **argv)
{
    if (strcmp(cmd, "reconcile") == 0)
        return destinations_reconcile_command(argc);
    if (strcmp(cmd, "make-admin") == 0)
        return accounts_make_admin_command(argc, argv);
    return -1;
}

static const struct service_def def = {
    .name = "user-service",
    .summary = "accounts, trips, missions, reviews, plans, media and the eco assistant of EcomoveX",
    .addr_var = "USER_SERVICE_ADDR",
    .addr_default = "127.0.0.1:8081",
    .db_var = "USER_DB_URL",
    .db_default = "postgresql:///ecomovex_users",
    .migrate_db_var = "USER_DB_MIGRATE_URL",
    .migrations_default = "migrations/users",
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .setup = setup,
    .teardown = teardown,
    .command = command,
    .commands_help = "       user-service reconcile          mark reviews and plan stops whose destination is gone\n"
                     "       user-service make-admin EMAIL   make the account of EMAIL an administrator\n"
                     "       user-service keygen [KID]       print a new token signing key and its public key\n",
    .signs_tokens = 1,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &def);
}
