/* accounts_service: what the accounts area gives the whole service — its start-up
 * configuration and the check that runs before every handler that needs a user. */
#include "accounts_service.h"

#include <stddef.h>

#include "accounts.h"
#include "config.h"
#include "log.h"
#include "password.h"
#include "problem.h"
#include "ratelimit.h"
#include "service.h"
#include "users_db.h"
#include "users_store.h"

#define OPSLIMIT_MAX 64             /* argon2id passes: far beyond any sane setting */
#define MEMLIMIT_MAX_KIB (4L << 20) /* 4 GiB */
#define KIB 1024

/* A valid signature is not enough: the user must still exist, the token must be of the
 * current token_version (a password change retires older ones), and the role comes from
 * the database, so a demoted admin's token stops opening admin endpoints at once. */
int accounts_authorize(struct request *rq, struct reply *rp, enum auth_level level)
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

int accounts_setup(void)
{
    accounts_config_from_env(&accounts_config);
    ratelimit_config_from_env(&login_limits);
    if (password_init(&accounts_config.password) < 0) {
        log_msg(LOG_ERROR, NULL, "password hashing could not start (PASSWORD_OPSLIMIT / PASSWORD_MEMLIMIT_KIB)");
        return -1;
    }
    return 0;
}
