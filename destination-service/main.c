/* destination-service: owns the destinations database; serves the public destinations
 * API and the internal API user-service uses to validate destination ids. */
#include <stddef.h>

#include "auth.h"
#include "destinations_routes.h"
#include "problem.h"
#include "read_db.h"
#include "search_live.h"
#include "service.h"
#include "session_check.h"

static const struct route routes[] = {
    {"GET", "/api/v1/destinations", destinations_search, AUTH_NONE},
    {"POST", "/api/v1/destinations", destinations_create, AUTH_ADMIN},
    {"GET", "/api/v1/destinations/nearby", destinations_nearby, AUTH_NONE},
    {"GET", "/api/v1/destinations/{id}", destinations_get, AUTH_NONE},
    {"PATCH", "/api/v1/destinations/{id}", destinations_update, AUTH_ADMIN},
    {"DELETE", "/api/v1/destinations/{id}", destinations_delete, AUTH_ADMIN},
    {"GET", "/internal/v1/destinations", destinations_internal_batch, AUTH_INTERNAL},
    {"POST", "/internal/v1/destinations/validate", destinations_internal_validate, AUTH_INTERNAL},
    {"GET", "/internal/v1/destinations/changes", destinations_internal_changes, AUTH_INTERNAL},
};

static int authorize(struct request *rq, struct reply *rp, enum auth_level level)
{
    struct jwt_claims c;

    if (level == AUTH_INTERNAL)
        return auth_internal(rq, rp, &service_auth);
    if (auth_bearer(rq, rp, &service_auth, &c) < 0)
        return -1;
    rq->auth.user_id = c.sub;
    rq->auth.token_version = c.ver;
    rq->auth.role = c.role == JWT_ROLE_ADMIN ? ROLE_ADMIN : ROLE_USER;
    /* A token that does not even claim the role is refused without asking anyone. */
    if (level == AUTH_ADMIN && rq->auth.role != ROLE_ADMIN) {
        problem(rp, 403, "Only administrators may change destinations.");
        return -1;
    }
    /* destination-service has no users table: user-service says whether the token is still
     * in force (not retired by a deletion, a password change or logout-all) and what the role
     * is now (issue 19). */
    switch (session_check(c.sub, c.ver, rq->request_id)) {
    case SESSION_ACTIVE_ADMIN: return 0;
    case SESSION_ACTIVE_USER:
        rq->auth.role = ROLE_USER;
        if (level == AUTH_ADMIN) {
            problem(rp, 403, "Only administrators may change destinations.");
            return -1;
        }
        return 0;
    case SESSION_RETIRED: return auth_unauthorized(rp, "The token is no longer valid; log in again.");
    case SESSION_UNKNOWN: break;
    }
    problem_unavailable(rp, SESSION_RETRY_AFTER_S, "The account service (which vouches for admin tokens)");
    return -1;
}

static int setup(struct server_options *o)
{
    o->authorize = authorize;
    destinations_changes_setup();
    read_db_setup(o);
    if (session_check_setup() < 0)
        return -1;
    return search_live_start(&o->db);
}

static void teardown(void)
{
    search_live_stop();
    session_check_teardown();
}

static const struct service_def def = {
    .name = "destination-service",
    .summary = "destinations of EcomoveX: search, nearby, and validation for other services",
    .addr_var = "DEST_SERVICE_ADDR",
    .addr_default = "127.0.0.1:8082",
    .db_var = "DEST_DB_URL",
    .db_default = "postgresql:///ecomovex_destinations",
    .migrate_db_var = "DEST_DB_MIGRATE_URL",
    .migrations_default = "migrations/destinations",
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .setup = setup,
    .teardown = teardown,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &def);
}
