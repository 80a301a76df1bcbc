/* users_routes: profiles, password change, account deletion, the admin list and eco points.
 * "me" is always rq->auth.user_id, set by authorize from a token whose user still exists:
 * no route takes another user's id for a write, except the admin's eco-points. */
#include "users_routes.h"

#include <limits.h>
#include <string.h>

#include <sodium.h>

#include "accounts.h"
#include "auth_routes.h"
#include "exact_int.h"
#include "hash_gate.h"
#include "internal_api.h"
#include "json.h"
#include "log.h"
#include "media_files.h"
#include "paging.h"
#include "problem.h"
#include "ratelimit.h"
#include "ratelimit_store.h"
#include "server.h"
#include "users_db.h"
#include "users_store.h"

#define POINTS_MAX 100000 /* one admin adjustment, either way */
#define REASON_MAX 200    /* characters, as eco_point_events.reason allows */

/* The caller's own account vanished after authorize (deleted by a concurrent request). */
static void me_gone(struct reply *rp)
{
    problem(rp, 404, "Your account no longer exists.");
}

void users_get_me(struct request *rq, struct reply *rp)
{
    cJSON *user = NULL;
    enum db_status st = users_store_get(rq->worker->db, rq->auth.user_id, USERS_VIEW_SELF, &user);

    if (st != DB_OK)
        users_db_failed(rp, st);
    else if (!user)
        me_gone(rp);
    else
        reply_json(rp, 200, user);
}

/* Reads an optional, nullable media id: *set = 1 when the field is present (*id 0 for null). */
static void get_media_id(const cJSON *body, const char *name, int *set, long long *id, struct field_errors *fe)
{
    enum json_got g = json_get_int(body, name, JF_NULLABLE, 1, EXACT_INT_MAX, id, fe);

    *set = g == JSON_OK || g == JSON_NULL;
    if (g == JSON_NULL)
        *id = 0;
}

/* A media id that is not one of the caller's files fails the two-column foreign key. */
static void not_own_media(struct reply *rp, const char *constraint)
{
    struct field_errors fe = {0};

    field_error(&fe, strcmp(constraint, USERS_COVER_FK) == 0 ? "cover_media_id" : "avatar_media_id",
                "must be the id of one of your own media files");
    problem_fields(rp, &fe);
}

void users_patch_me(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct users_patch p = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *user = NULL;
    enum db_status st;

    if (!body)
        return;
    p.username = accounts_get_str(body, "username", 0, accounts_username_check, &fe);
    get_media_id(body, "avatar_media_id", &p.set_avatar, &p.avatar_media_id, &fe);
    get_media_id(body, "cover_media_id", &p.set_cover, &p.cover_media_id, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    st = users_store_update(rq->worker->db, rq->auth.user_id, &p, &user);
    if (st == DB_UNIQUE)
        problem(rp, 409, "This username is taken.");
    else if (st == DB_FOREIGN_KEY)
        not_own_media(rp, db_last_constraint(rq->worker->db));
    else if (st != DB_OK)
        users_db_failed(rp, st);
    else if (!user)
        me_gone(rp);
    else
        reply_json(rp, 200, user);
}

/* Deletes the account and, through ON DELETE CASCADE, every row it owns in the users
 * database; after the commit the bytes of the user's media files go too (MEDIA_DIR/<id>/). */
void users_delete_me(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st = users_store_delete(rq->worker->db, rq->auth.user_id, &deleted);

    if (st != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    if (!deleted) {
        me_gone(rp);
        return;
    }
    log_msg(LOG_INFO, rq->request_id, "user %lld deleted their account", rq->auth.user_id);
    media_remove_user_dir(rq->auth.user_id); /* the rows went with the account; now the bytes */
    reply_empty(rp, 204);
}

/* Changes the password after checking the old one; answers 200 with a fresh token, since
 * the change bumps token_version and every older token (the caller's too) stops working. */
void users_put_password(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *user = NULL;
    const char *old_pw = NULL, *new_pw;
    struct users_credentials c;
    struct users_identity who = {0};
    struct password_work w = {.verify = PW_VERIFY_STORED};
    enum db_status st;
    int found = 0, changed = 0;
    char key[RATELIMIT_KEY_MAX] = "";

    if (!body)
        return;
    json_get_str(body, "old_password", JF_REQUIRED | JF_NOTRIM, 1, JSON_BODY_MAX, &old_pw, &fe);
    new_pw = accounts_get_str(body, "new_password", JF_REQUIRED | JF_NOTRIM, accounts_password_check, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    /* Old-password guesses with a stolen token are limited like logins: per account. */
    if (login_limits.per_account) {
        struct ratelimit_hit hit;
        snprintf(key, sizeof key, "password:user:%lld", rq->auth.user_id);
        if ((st = ratelimit_store_hit(rq->worker->db, key, login_limits.window_s, &hit)) != DB_OK) {
            users_db_failed(rp, st);
            return;
        }
        if (hit.attempts > login_limits.per_account) {
            auth_too_many(rp, "password change attempts", hit.retry_after);
            return;
        }
    }
    if ((st = users_store_credentials_by_id(rq->worker->db, rq->auth.user_id, &c, &found)) != DB_OK || !found) {
        if (st != DB_OK)
            users_db_failed(rp, st);
        else
            me_gone(rp);
        return;
    }
    w.stored = c.hash;
    w.password = old_pw;
    w.new_password = new_pw;
    if (accounts_password_work(rp, &w) < 0) {
        sodium_memzero(c.hash, sizeof c.hash);
        return;
    }
    if (!w.verified) {
        sodium_memzero(c.hash, sizeof c.hash);
        problem(rp, 403, "The old password is not correct.");
        return;
    }
    if (w.hashed < 0) {
        st = DB_ERROR;
        log_msg(LOG_ERROR, rq->request_id, "password hashing failed (out of memory?)");
    } else {
        /* Only if the hash we verified is still the stored one: a concurrent change wins once. */
        st = users_store_set_password(rq->worker->db, rq->auth.user_id, c.hash, w.hash, &who, &changed);
    }
    sodium_memzero(c.hash, sizeof c.hash);
    sodium_memzero(w.hash, sizeof w.hash);
    if (st == DB_OK && changed && key[0] && ratelimit_store_reset(rq->worker->db, key) != DB_OK)
        log_msg(LOG_WARN, rq->request_id, "could not reset the password-change counter of user %lld", who.id);
    if (st != DB_OK)
        users_db_failed(rp, st);
    else if (!changed)
        problem(rp, 403, "The old password is not correct.");
    else if ((st = users_store_get(rq->worker->db, who.id, USERS_VIEW_SELF, &user)) != DB_OK)
        users_db_failed(rp, st);
    else if (!user)
        me_gone(rp);
    else
        auth_token_reply(rp, 200, &who, user);
}

void users_get(struct request *rq, struct reply *rp)
{
    cJSON *user = NULL;
    enum db_status st = users_store_get(rq->worker->db, rq->ids[0], USERS_VIEW_PUBLIC, &user);

    if (st != DB_OK)
        users_db_failed(rp, st);
    else if (!user)
        problem(rp, 404, "No user has id %lld.", rq->ids[0]);
    else
        reply_json(rp, 200, user);
}

void users_internal_session(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct users_identity who = {0};
    long long ver = 0;
    int found = 0;
    enum db_status st;
    cJSON *o;

    if (query_ll(rq, INTERNAL_QUERY_VER, 0, INT_MAX, &ver, &fe) == 0)
        field_error(&fe, INTERNAL_QUERY_VER, "is required (the token's version)");
    if (problem_fields_any(rp, &fe))
        return;
    if (rq->ids[0] > EXACT_INT_MAX) { /* beyond any id (and any token's sub) */
        problem(rp, 404, "No user has id %lld.", rq->ids[0]);
        return;
    }
    if ((st = users_store_identity(rq->worker->db, rq->ids[0], &who, &found)) != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    found = found && who.token_version == (int)ver;
    if (!(o = cJSON_CreateObject()) || !cJSON_AddBoolToObject(o, INTERNAL_FIELD_ACTIVE, found) ||
        !cJSON_AddBoolToObject(o, INTERNAL_FIELD_ADMIN, found && who.admin)) {
        cJSON_Delete(o);
        reply_oom(rp);
        return;
    }
    reply_json(rp, 200, o);
}

void users_list(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct paging pg;
    cJSON *items = NULL, *page;
    long long total = 0;
    enum db_status st;

    if (paging_parse(rq, PAGING_MAX_LIMIT, &pg, &fe) < 0)
        problem_fields(rp, &fe);
    else if ((st = users_store_list(rq->worker->db, pg.limit, pg.offset, &items, &total)) != DB_OK)
        users_db_failed(rp, st);
    else if (!(page = paging_wrap(items, &pg, total)))
        problem_internal(rp);
    else
        reply_json(rp, 200, page);
}

/* Adds (or with a negative number removes) eco points. A balance below zero is refused
 * with 422 on points, not clamped: the audit trail then always sums to the balance. */
void users_add_points(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *user = NULL;
    const char *reason = NULL;
    long long points = 0;
    enum db_status st;

    if (!body)
        return;
    if (json_get_int(body, "points", JF_REQUIRED, -POINTS_MAX, POINTS_MAX, &points, &fe) == JSON_OK && points == 0)
        field_error(&fe, "points", "must not be 0");
    json_get_str(body, "reason", JF_REQUIRED, 1, REASON_MAX, &reason, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    st = users_store_add_points(rq->worker->db, rq->ids[0], points, reason, rq->auth.user_id, &user);
    if (st == DB_CHECK) {
        field_error(&fe, "points", "would take the user's eco points below 0");
        problem_fields(rp, &fe);
        return;
    }
    if (st != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    if (!user) {
        problem(rp, 404, "No user has id %lld.", rq->ids[0]);
        return;
    }
    log_msg(LOG_INFO, rq->request_id, "admin %lld gave %lld eco points to user %lld", rq->auth.user_id, points,
            rq->ids[0]);
    reply_json(rp, 200, user);
}
