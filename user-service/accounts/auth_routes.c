/* auth_routes: register and login. Passwords are read, hashed or verified, and forgotten:
 * they never reach a log line, and the hash never leaves the store. */
#include "auth_routes.h"

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "accounts.h"
#include "hash_gate.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "problem.h"
#include "ratelimit.h"
#include "ratelimit_store.h"
#include "server.h"
#include "service.h"
#include "users_db.h"
#include "users_store.h"

/* One answer for an unknown email and a wrong password: nothing tells them apart. */
#define LOGIN_FAILED "The email or password is not correct."
#define PRUNE_EVERY 256 /* login attempts (per process) between two prunings of old windows */

void auth_token_reply(struct reply *rp, int status, const struct users_identity *who, cJSON *user)
{
    struct jwt_claims c = {.sub = who->id,
                           .role = who->admin ? JWT_ROLE_ADMIN : JWT_ROLE_USER,
                           .iat = (long long)time(NULL),
                           .ver = who->token_version};
    char token[JWT_MAX_LEN + 1];
    cJSON *o = NULL;

    c.exp = c.iat + service_auth.ttl_s;
    if (jwt_sign(&c, service_auth.issuer, &service_auth.signer, token, sizeof token) < 0) {
        log_msg(LOG_ERROR, NULL, "could not sign a token for user %lld", who->id);
        cJSON_Delete(user);
        problem_internal(rp);
        return;
    }
    if ((o = cJSON_CreateObject()) && cJSON_AddItemToObject(o, "user", user)) {
        user = NULL;
        cJSON_AddStringToObject(o, "access_token", token);
        cJSON_AddStringToObject(o, "token_type", "bearer");
        cJSON_AddNumberToObject(o, "expires_in", (double)service_auth.ttl_s);
    } else {
        cJSON_Delete(o);
        o = NULL;
    }
    cJSON_Delete(user);
    sodium_memzero(token, sizeof token);
    reply_json(rp, status, o);
}

/* Maps a duplicate at registration to the field the unique index guards. */
static void duplicate(struct reply *rp, const char *constraint)
{
    if (strcmp(constraint, USERS_EMAIL_KEY) == 0)
        problem(rp, 409, "An account with this email already exists.");
    else if (strcmp(constraint, USERS_USERNAME_KEY) == 0)
        problem(rp, 409, "This username is taken.");
    else
        problem(rp, 409, "An account with these details already exists.");
}

void auth_too_many(struct reply *rp, const char *what, long long wait)
{
    char retry[24];

    problem(rp, 429, "Too many %s; try again in %lld seconds.", what, wait);
    snprintf(retry, sizeof retry, "%lld", wait);
    reply_header(rp, "Retry-After", retry);
}

/* Counts this registration against its client address (REGISTER_MAX_PER_ADDRESS per
 * REGISTER_WINDOW_SECONDS, in PostgreSQL so that replicas share it). 0 to go on, or -1 with
 * rp filled: 429 + Retry-After, or 503 when the database is down. */
static int register_throttle(struct request *rq, struct reply *rp)
{
    const struct ratelimit_config *c = &register_limits;
    char addr[RATELIMIT_ADDR_MAX], key[RATELIMIT_KEY_MAX];
    struct ratelimit_hit hit;
    enum db_status st;

    if (!c->per_address)
        return 0;
    ratelimit_client_addr(c, rq->client_addr, ratelimit_forwarded_for(rq), addr);
    snprintf(key, sizeof key, "register:ip:%s", addr);
    if ((st = ratelimit_store_hit(rq->worker->db, key, c->window_s, &hit)) != DB_OK) {
        users_db_failed(rp, st);
        return -1;
    }
    if (hit.attempts <= c->per_address)
        return 0;
    auth_too_many(rp, "registrations from your address", hit.retry_after);
    return -1;
}

/* Register costs one hash, the most expensive thing an unauthenticated client can ask for,
 * so everything cheaper comes first: field checks, the per-address limit, and whether the
 * email or username is taken (a 409 in microseconds); then a slot of the hash gate. */
void auth_register(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *user = NULL;
    const char *username, *email_in = NULL, *password, *why;
    char email[ACCOUNTS_EMAIL_MAX + 1];
    struct password_work w = {.verify = PW_VERIFY_NONE};
    struct users_identity who = {0};
    const char *taken = NULL;
    enum db_status st;

    if (!body)
        return;
    username = accounts_get_str(body, "username", JF_REQUIRED, accounts_username_check, &fe);
    if (json_get_str(body, "email", JF_REQUIRED, 0, JSON_BODY_MAX, &email_in, &fe) == JSON_OK &&
        (why = accounts_email_normalize(email_in, email, sizeof email)))
        field_error(&fe, "email", "%s", why);
    password = accounts_get_str(body, "password", JF_REQUIRED | JF_NOTRIM, accounts_password_check, &fe);
    if (problem_fields_any(rp, &fe) || register_throttle(rq, rp) < 0)
        return;
    if ((st = users_store_taken(rq->worker->db, email, username, &taken)) != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    if (taken) {
        duplicate(rp, taken);
        return;
    }
    w.new_password = password;
    if (accounts_password_work(rp, &w) < 0)
        return;
    if (w.hashed < 0) {
        log_msg(LOG_ERROR, rq->request_id, "password hashing failed (out of memory?)");
        problem_internal(rp);
        return;
    }
    st = users_store_create(rq->worker->db, username, email, w.hash, 0, &who, &user);
    if (st != DB_OK) {
        cJSON_Delete(user);
        user = NULL;
    }
    sodium_memzero(w.hash, sizeof w.hash);
    if (st == DB_UNIQUE) {
        duplicate(rp, db_last_constraint(rq->worker->db));
        return;
    }
    if (st == DB_CHECK) {
        problem(rp, 422, "The username or email was refused by the database's rules.");
        return;
    }
    if (st != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    auth_token_reply(rp, 201, &who, user);
}

/* After a successful login, re-hashes a password stored with older KDF parameters. A
 * failure only costs the upgrade, never the login. */
/* Stores the rehash of a login's password made with today's parameters, if w made one. */
static void upgrade_hash(struct request *rq, const struct users_credentials *c, struct password_work *w)
{
    if (w->hashed == 0 && users_store_rehash(rq->worker->db, c->who.id, c->hash, w->hash) != DB_OK)
        log_msg(LOG_WARN, rq->request_id, "could not upgrade the password hash of user %lld", c->who.id);
    sodium_memzero(w->hash, sizeof w->hash);
}

/* The counters a login attempt moves (see ratelimit.h); "" when that limit is off or, for
 * the account keys, when the email could not be an account's.
 * - pair (account, address): the hard limit. An attacker who knows an email locks it only
 *   for the addresses they send from, never for its owner elsewhere.
 * - account: a much higher ceiling over all addresses (a spread-out guessing campaign);
 *   past it only an address with no failure on this account may still try.
 * - address: every attempt from one address, whatever the email. */
struct login_keys {
    char pair[RATELIMIT_KEY_MAX], account[RATELIMIT_KEY_MAX], address[RATELIMIT_KEY_MAX];
    long long address_window;
};

/* Counts one attempt on key; *attempts is the count in its window and *wait its Retry-After.
 * DB_OK or the failure. */
static enum db_status count(struct request *rq, const char *key, long window_s, long long *attempts, long long *wait)
{
    struct ratelimit_hit hit;
    enum db_status st = ratelimit_store_hit(rq->worker->db, key, window_s, &hit);

    *attempts = hit.attempts;
    *wait = hit.retry_after;
    return st;
}

/* Counts this attempt against every key before any hashing. Returns 0 to go on, or -1 with
 * rp filled: 429 + Retry-After when a limit is exceeded, 503 when the database is down. */
static int login_throttle(struct request *rq, struct reply *rp, const char *email, struct login_keys *k)
{
    static unsigned long calls;
    const struct ratelimit_config *c = &login_limits;
    char addr[RATELIMIT_ADDR_MAX];
    long long n = 0, pair_n = 0, w, wait = 0;
    enum db_status st;

    k->pair[0] = k->account[0] = k->address[0] = '\0';
    ratelimit_client_addr(c, rq->client_addr, ratelimit_forwarded_for(rq), addr);
    if (c->per_account && email)
        snprintf(k->pair, sizeof k->pair, "email:%s|ip:%s", email, addr);
    if (c->per_account_total && email)
        snprintf(k->account, sizeof k->account, "email:%s", email);
    if (c->per_address)
        snprintf(k->address, sizeof k->address, "ip:%s", addr);
    /* Always pair, account, address: a fixed lock order across replicas. */
    if (k->pair[0]) {
        if ((st = count(rq, k->pair, c->window_s, &pair_n, &w)) != DB_OK)
            goto failed;
        if (pair_n > c->per_account)
            wait = w;
    }
    if (k->account[0]) {
        if ((st = count(rq, k->account, c->window_s, &n, &w)) != DB_OK)
            goto failed;
        /* over the ceiling, an address that already failed on this account is refused; a
         * first attempt from a clean address (the owner, most likely) still goes through */
        if (n > c->per_account_total && pair_n != 1 && w > wait)
            wait = w;
        if (n == c->per_account_total + 1)
            log_msg(LOG_WARN, rq->request_id, "login: the account %s passed %ld failed attempts in %ld s", email,
                    c->per_account_total, c->window_s);
    }
    if (k->address[0]) {
        struct ratelimit_hit hit;
        if ((st = ratelimit_store_hit(rq->worker->db, k->address, c->window_s, &hit)) != DB_OK)
            goto failed;
        k->address_window = hit.window_start;
        if (hit.attempts > c->per_address && hit.retry_after > wait)
            wait = hit.retry_after;
    }
    if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) % PRUNE_EVERY == 0) {
        long long gone = 0;
        if (ratelimit_store_prune(rq->worker->db, &gone) != DB_OK)
            log_msg(LOG_WARN, rq->request_id, "could not prune old login_attempts windows");
        else if (gone)
            log_msg(LOG_INFO, rq->request_id, "pruned %lld old login_attempts windows", gone);
    }
    if (!wait)
        return 0;
    auth_too_many(rp, "login attempts", wait);
    return -1;
failed:
    users_db_failed(rp, st);
    return -1;
}

/* A successful login: its account and (account, address) start afresh, and its own attempt
 * comes back off the address counter, so an address is limited by its failures, not by its
 * users' logins. */
static void login_succeeded(struct request *rq, const struct login_keys *k)
{
    if ((k->pair[0] && ratelimit_store_reset(rq->worker->db, k->pair) != DB_OK) ||
        (k->account[0] && ratelimit_store_reset(rq->worker->db, k->account) != DB_OK) ||
        (k->address[0] && ratelimit_store_undo(rq->worker->db, k->address, k->address_window) != DB_OK))
        log_msg(LOG_WARN, rq->request_id, "could not update the login counters after a successful login");
}

void auth_login(struct request *rq, struct reply *rp)
{
    struct login_keys keys;
    struct field_errors fe = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *user = NULL;
    const char *email_in = NULL, *password = NULL;
    char email[ACCOUNTS_EMAIL_MAX + 1];
    struct users_credentials c;
    struct password_work w = {.verify = PW_VERIFY_NONE};
    enum db_status st = DB_OK;
    int found = 0, ok, valid;

    if (!body)
        return;
    json_get_str(body, "email", JF_REQUIRED, 1, JSON_BODY_MAX, &email_in, &fe);
    json_get_str(body, "password", JF_REQUIRED | JF_NOTRIM, 1, JSON_BODY_MAX, &password, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    /* An email that cannot be registered is simply an unknown one: same path, same answer. */
    valid = accounts_email_normalize(email_in, email, sizeof email) == NULL;
    if (login_throttle(rq, rp, valid ? email : NULL, &keys) < 0) {
        return;
    }
    if (valid)
        st = users_store_credentials_by_email(rq->worker->db, email, &c, &found);
    if (st != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    /* An unknown email still pays for one hash, so timing does not tell it apart; a known
     * one stored with older parameters is rehashed in the same trip. */
    w.verify = found ? PW_VERIFY_STORED : PW_VERIFY_DUMMY;
    w.stored = found ? c.hash : NULL;
    w.password = password;
    if (found && password_needs_rehash(&accounts_config.password, c.hash))
        w.new_password = password;
    if (accounts_password_work(rp, &w) < 0) {
        if (found)
            sodium_memzero(c.hash, sizeof c.hash);
        return;
    }
    ok = w.verified;
    if (found && ok)
        upgrade_hash(rq, &c, &w);
    if (found)
        sodium_memzero(c.hash, sizeof c.hash);
    if (!found || !ok) {
        problem(rp, 401, LOGIN_FAILED);
        return;
    }
    if ((st = users_store_get(rq->worker->db, c.who.id, USERS_VIEW_SELF, &user)) != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    if (!user) { /* deleted between the two statements */
        problem(rp, 401, LOGIN_FAILED);
        return;
    }
    login_succeeded(rq, &keys);
    auth_token_reply(rp, 200, &c.who, user);
}

void auth_logout_all(struct request *rq, struct reply *rp)
{
    enum db_status st;
    int ended = 0;

    if ((st = users_store_end_sessions(rq->worker->db, rq->auth.user_id, &ended)) != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    if (!ended) { /* deleted after authorization: the token is already worthless */
        problem(rp, 404, "Your account no longer exists.");
        return;
    }
    log_msg(LOG_INFO, rq->request_id, "user %lld ended all their sessions", rq->auth.user_id);
    reply_empty(rp, 204);
}
