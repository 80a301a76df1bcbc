/* accounts_service: what the accounts area gives the whole service — its start-up
 * configuration and the check that runs before every handler that needs a user. */
#include "accounts_service.h"

#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "accounts.h"
#include "config.h"
#include "hash_gate.h"
#include "log.h"
#include "password.h"
#include "problem.h"
#include "quota.h"
#include "ratelimit.h"
#include "service.h"
#include "users_db.h"
#include "users_store.h"

#define OPSLIMIT_MAX 64             /* argon2id passes: far beyond any sane setting */
#define MEMLIMIT_MAX_KIB (4L << 20) /* 4 GiB */
#define KIB 1024
#define HASH_WAIT_DEFAULT_MS 2000 /* longest wait for a hashing slot before a 503 */
#define HASH_WAIT_MAX_MS 60000

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

/* PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT_KIB (refused below OWASP's floor outside development). */
static void accounts_config_from_env(struct accounts_config *c)
{
    const char *weak;

    c->password.opslimit =
        (unsigned long long)config_env_long("PASSWORD_OPSLIMIT", PASSWORD_DEFAULT_OPSLIMIT, 1, OPSLIMIT_MAX);
    c->password.memlimit =
        (size_t)config_env_long("PASSWORD_MEMLIMIT_KIB", ACCOUNTS_MEMLIMIT_DEFAULT_KIB, 8, MEMLIMIT_MAX_KIB) * KIB;
    weak = accounts_hashing_weakness(c->password.opslimit, c->password.memlimit / KIB);
    if (weak && !config_dev_mode())
        config_fail("PASSWORD_OPSLIMIT / PASSWORD_MEMLIMIT_KIB", weak);
    if (config_env_str("BOOTSTRAP_ADMIN_EMAIL", NULL))
        config_fail("BOOTSTRAP_ADMIN_EMAIL", "is gone: run `user-service make-admin EMAIL` once instead");
}

/* A hash is pure CPU: at most half the workers and half the processors hash at once, so
 * that the other workers, and a processor to run them, stay for every other route. */
static long default_hash_slots(const struct server_options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), n = o->workers / 2;

    if (cpus > 0 && cpus / 2 < n)
        n = cpus / 2;
    return n > 0 ? n : 1;
}

int accounts_setup(const struct server_options *o)
{
    accounts_config_from_env(&accounts_config);
    ratelimit_config_from_env(&login_limits);
    quota_config_from_env();
    if (hash_gate_setup((int)config_env_long("PASSWORD_HASH_SLOTS", default_hash_slots(o), 1, 1024),
                        config_env_long("PASSWORD_WAIT_MS", HASH_WAIT_DEFAULT_MS, 1, HASH_WAIT_MAX_MS), o->workers) < 0)
        return -1;
    if (password_init(&accounts_config.password) < 0) {
        log_msg(LOG_ERROR, NULL, "password hashing could not start (PASSWORD_OPSLIMIT / PASSWORD_MEMLIMIT_KIB)");
        return -1;
    }
    return 0;
}

void accounts_teardown(void)
{
    hash_gate_stop();
}

int accounts_make_admin_command(int argc, char **argv)
{
    char email[ACCOUNTS_EMAIL_MAX + 1];
    struct db_options dbo;
    struct db *db;
    const char *why;
    long long id = 0;
    enum db_status st;

    if (argc != 1) {
        fprintf(stderr, "usage: user-service make-admin EMAIL\n");
        return 2;
    }
    if ((why = accounts_email_normalize(argv[0], email, sizeof email))) {
        fprintf(stderr, "make-admin: the email %s\n", why);
        return 2;
    }
    service_db_options(&dbo);
    if (!(db = db_new(&dbo)))
        return 1;
    st = users_store_make_admin(db, email, &id);
    db_free(&db);
    if (st != DB_OK) {
        fprintf(stderr, "make-admin: the users database is unavailable\n");
        return 1;
    }
    if (!id) {
        fprintf(stderr, "make-admin: no account has the email %s\n", email);
        return 1;
    }
    log_msg(LOG_WARN, NULL, "make-admin: user %lld (%s) is an administrator now", id, email);
    printf("user %lld is an administrator\n", id);
    return 0;
}
