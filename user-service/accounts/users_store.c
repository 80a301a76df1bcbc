/* users_store: the SQL for the users table and eco_point_events. */
#include "users_store.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "missions_store.h"

#define ID_BUF 24 /* a bigint in decimal, sign and NUL */

/* Columns every user read returns, in this order (see row_to_json). */
#define USER_COLUMNS                                                                                                   \
    "id, username, email, role, eco_point, rank, avatar_media_id, cover_media_id, "                                    \
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), token_version"

static struct db_statement q_create = {
    "INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING " USER_COLUMNS, 4, 0};
static struct db_statement q_cred_email = {
    "SELECT id, role = 'admin', token_version, password_hash FROM users WHERE email = $1", 1, 0};
static struct db_statement q_cred_id = {
    "SELECT id, role = 'admin', token_version, password_hash FROM users WHERE id = $1", 1, 0};
static struct db_statement q_rehash = {"UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2", 3,
                                       0};
static struct db_statement q_set_password = {
    "UPDATE users SET password_hash = $3, token_version = token_version + 1 "
    "WHERE id = $1 AND password_hash = $2 RETURNING id, role = 'admin', token_version",
    3, 0};
static struct db_statement q_identity = {"SELECT id, role = 'admin', token_version FROM users WHERE id = $1", 1, 0};
static struct db_statement q_get = {"SELECT " USER_COLUMNS " FROM users WHERE id = $1", 1, 0};
/* $2 NULL keeps the username; $3/$5 say whether to set avatar/cover to $4/$6 (NULL clears). */
static struct db_statement q_update = {
    "UPDATE users SET username = COALESCE($2, username), "
    "avatar_media_id = CASE WHEN $3::boolean THEN $4::bigint ELSE avatar_media_id END, "
    "cover_media_id = CASE WHEN $5::boolean THEN $6::bigint ELSE cover_media_id END "
    "WHERE id = $1 RETURNING " USER_COLUMNS,
    6, 0};
static struct db_statement q_delete = {"DELETE FROM users WHERE id = $1", 1, 0};
static struct db_statement q_end_sessions = {"UPDATE users SET token_version = token_version + 1 WHERE id = $1", 1, 0};
static struct db_statement q_count = {"SELECT count(*) FROM users", 0, 0};
static struct db_statement q_taken = {"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1), "
                                      "EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($2))",
                                      2, 0};
static struct db_statement q_make_admin = {"UPDATE users SET role = 'admin' WHERE email = $1 RETURNING id", 1, 0};
static struct db_statement q_list = {"SELECT " USER_COLUMNS " FROM users ORDER BY id LIMIT $1 OFFSET $2", 2, 0};
static struct db_statement q_add_points = {
    "UPDATE users SET eco_point = eco_point + $2::bigint WHERE id = $1 RETURNING " USER_COLUMNS, 2, 0};
static struct db_statement q_point_event = {
    "INSERT INTO eco_point_events (user_id, points, reason, created_by) VALUES ($1, $2, $3, $4)", 4, 0};

static void ll_str(char buf[ID_BUF], long long v)
{
    snprintf(buf, ID_BUF, "%lld", v);
}

static void add_id_or_null(cJSON *o, const char *name, const PGresult *r, int row, int col)
{
    if (db_str(r, row, col))
        cJSON_AddNumberToObject(o, name, (double)db_ll(r, row, col));
    else
        cJSON_AddNullToObject(o, name);
}

static cJSON *row_to_json(const PGresult *r, int row, enum users_view view)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, row, 0));
    cJSON_AddStringToObject(o, "username", db_str(r, row, 1));
    if (view == USERS_VIEW_SELF) {
        cJSON_AddStringToObject(o, "email", db_str(r, row, 2));
        cJSON_AddStringToObject(o, "role", db_str(r, row, 3));
    }
    cJSON_AddNumberToObject(o, "eco_point", (double)db_ll(r, row, 4));
    cJSON_AddStringToObject(o, "rank", db_str(r, row, 5));
    add_id_or_null(o, "avatar_media_id", r, row, 6);
    if (view == USERS_VIEW_SELF)
        add_id_or_null(o, "cover_media_id", r, row, 7);
    if (!cJSON_AddStringToObject(o, "created_at", db_str(r, row, 8))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The first row of r as a JSON user into *out (NULL when r has no row). */
static enum db_status first_row(const PGresult *r, enum users_view view, cJSON **out)
{
    *out = NULL;
    if (PQntuples(r) < 1)
        return DB_OK;
    return (*out = row_to_json(r, 0, view)) ? DB_OK : DB_ERROR;
}

/* Reads (id, is_admin, token_version) from row 0 starting at column col. */
static void read_identity(const PGresult *r, int col, struct users_identity *who)
{
    who->id = db_ll(r, 0, col);
    who->admin = db_bool(r, 0, col + 1);
    who->token_version = (int)db_ll(r, 0, col + 2);
}

static enum db_status insert_user(struct db *db, const char *username, const char *email, const char *hash, int admin,
                                  struct users_identity *who, cJSON **user)
{
    const char *params[] = {username, email, hash, admin ? "admin" : "user"};
    enum db_status st;
    PGresult *r;

    *user = NULL;
    if (!(r = db_exec(db, &q_create, params, &st)))
        return st;
    if (PQntuples(r) == 1) {
        who->id = db_ll(r, 0, 0);
        who->admin = strcmp(db_str(r, 0, 3), "admin") == 0;
        who->token_version = (int)db_ll(r, 0, 9);
    }
    st = first_row(r, USERS_VIEW_SELF, user);
    if (st == DB_OK && !*user)
        st = DB_ERROR; /* INSERT ... RETURNING always gives the row */
    PQclear(r);
    return st;
}

enum db_status users_store_create(struct db *db, const char *username, const char *email, const char *hash, int admin,
                                  struct users_identity *who, cJSON **user)
{
    enum db_status st;

    *user = NULL;
    if ((st = db_begin(db)) != DB_OK)
        return st;
    st = insert_user(db, username, email, hash, admin, who, user);
    if (st == DB_OK)
        st = missions_store_trigger(db, who->id, MISSION_REGISTER);
    if (st == DB_OK) { /* the missions changed eco_point and rank: read the account again */
        cJSON_Delete(*user);
        st = users_store_get(db, who->id, USERS_VIEW_SELF, user);
    }
    if ((st = db_finish(db, st)) != DB_OK) {
        cJSON_Delete(*user);
        *user = NULL;
    }
    return st;
}

static enum db_status read_credentials(PGresult *r, struct users_credentials *c, int *found)
{
    const char *hash;

    *found = PQntuples(r) == 1;
    if (!*found)
        return DB_OK;
    read_identity(r, 0, &c->who);
    hash = db_str(r, 0, 3);
    if (!hash || strlen(hash) >= sizeof c->hash)
        return DB_ERROR; /* not a hash we could have written */
    memcpy(c->hash, hash, strlen(hash) + 1);
    return DB_OK;
}

enum db_status users_store_credentials_by_email(struct db *db, const char *email, struct users_credentials *c,
                                                int *found)
{
    const char *params[] = {email};
    enum db_status st;
    PGresult *r;

    *found = 0;
    if (!(r = db_exec(db, &q_cred_email, params, &st)))
        return st;
    st = read_credentials(r, c, found);
    PQclear(r);
    return st;
}

enum db_status users_store_credentials_by_id(struct db *db, long long id, struct users_credentials *c, int *found)
{
    char idbuf[ID_BUF];
    const char *params[] = {idbuf};
    enum db_status st;
    PGresult *r;

    *found = 0;
    ll_str(idbuf, id);
    if (!(r = db_exec(db, &q_cred_id, params, &st)))
        return st;
    st = read_credentials(r, c, found);
    PQclear(r);
    return st;
}

enum db_status users_store_rehash(struct db *db, long long id, const char *old_hash, const char *new_hash)
{
    char idbuf[ID_BUF];
    const char *params[] = {idbuf, old_hash, new_hash};
    enum db_status st;
    PGresult *r;

    ll_str(idbuf, id);
    if ((r = db_exec(db, &q_rehash, params, &st)))
        PQclear(r);
    return st;
}

enum db_status users_store_set_password(struct db *db, long long id, const char *old_hash, const char *new_hash,
                                        struct users_identity *who, int *changed)
{
    char idbuf[ID_BUF];
    const char *params[] = {idbuf, old_hash, new_hash};
    enum db_status st;
    PGresult *r;

    *changed = 0;
    ll_str(idbuf, id);
    if (!(r = db_exec(db, &q_set_password, params, &st)))
        return st;
    if ((*changed = PQntuples(r) == 1))
        read_identity(r, 0, who);
    PQclear(r);
    return DB_OK;
}

enum db_status users_store_identity(struct db *db, long long id, struct users_identity *who, int *found)
{
    char idbuf[ID_BUF];
    const char *params[] = {idbuf};
    enum db_status st;
    PGresult *r;

    *found = 0;
    ll_str(idbuf, id);
    if (!(r = db_exec(db, &q_identity, params, &st)))
        return st;
    if ((*found = PQntuples(r) == 1))
        read_identity(r, 0, who);
    PQclear(r);
    return DB_OK;
}

enum db_status users_store_get(struct db *db, long long id, enum users_view view, cJSON **out)
{
    char idbuf[ID_BUF];
    const char *params[] = {idbuf};
    enum db_status st;
    PGresult *r;

    *out = NULL;
    ll_str(idbuf, id);
    if (!(r = db_exec(db, &q_get, params, &st)))
        return st;
    st = first_row(r, view, out);
    PQclear(r);
    return st;
}

enum db_status users_store_update(struct db *db, long long id, const struct users_patch *p, cJSON **out)
{
    char idbuf[ID_BUF], avatar[ID_BUF], cover[ID_BUF];
    const char *params[] = {idbuf,
                            p->username,
                            p->set_avatar ? "true" : "false",
                            p->avatar_media_id > 0 ? avatar : NULL,
                            p->set_cover ? "true" : "false",
                            p->cover_media_id > 0 ? cover : NULL};
    enum db_status st;
    PGresult *r;

    *out = NULL;
    ll_str(idbuf, id);
    ll_str(avatar, p->avatar_media_id);
    ll_str(cover, p->cover_media_id);
    if (!(r = db_exec(db, &q_update, params, &st)))
        return st;
    st = first_row(r, USERS_VIEW_SELF, out);
    PQclear(r);
    return st;
}

/* Runs s, whose only parameter is the user id; *hit = whether it touched the one row. */
static enum db_status run_on_user(struct db *db, struct db_statement *s, long long id, int *hit)
{
    char idbuf[ID_BUF];
    const char *params[] = {idbuf};
    enum db_status st;
    PGresult *r;

    *hit = 0;
    ll_str(idbuf, id);
    if (!(r = db_exec(db, s, params, &st)))
        return st;
    *hit = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return DB_OK;
}

enum db_status users_store_delete(struct db *db, long long id, int *deleted)
{
    return run_on_user(db, &q_delete, id, deleted);
}

enum db_status users_store_end_sessions(struct db *db, long long id, int *ended)
{
    return run_on_user(db, &q_end_sessions, id, ended);
}

enum db_status users_store_list(struct db *db, long long limit, long long offset, cJSON **items, long long *total)
{
    char lim[ID_BUF], off[ID_BUF];
    const char *params[] = {lim, off};
    enum db_status st;
    PGresult *r;

    *items = NULL;
    if (!(r = db_exec(db, &q_count, NULL, &st)))
        return st;
    *total = db_ll(r, 0, 0);
    PQclear(r);
    ll_str(lim, limit);
    ll_str(off, offset);
    if (!(r = db_exec(db, &q_list, params, &st)))
        return st;
    if (!(*items = cJSON_CreateArray()))
        st = DB_ERROR;
    for (int i = 0; st == DB_OK && i < PQntuples(r); i++) {
        cJSON *u = row_to_json(r, i, USERS_VIEW_SELF);
        if (!u || !cJSON_AddItemToArray(*items, u)) {
            cJSON_Delete(u);
            st = DB_ERROR;
        }
    }
    PQclear(r);
    if (st != DB_OK) {
        cJSON_Delete(*items);
        *items = NULL;
    }
    return st;
}

enum db_status users_store_add_points(struct db *db, long long id, long long points, const char *reason,
                                      long long created_by, cJSON **out)
{
    char idbuf[ID_BUF], pts[ID_BUF], by[ID_BUF];
    const char *update_params[] = {idbuf, pts};
    const char *event_params[] = {idbuf, pts, reason, by};
    enum db_status st;
    PGresult *r;

    *out = NULL;
    ll_str(idbuf, id);
    ll_str(pts, points);
    ll_str(by, created_by);
    if ((st = db_begin(db)) != DB_OK)
        return st;
    if (!(r = db_exec(db, &q_add_points, update_params, &st)))
        goto fail;
    st = first_row(r, USERS_VIEW_PUBLIC, out);
    PQclear(r);
    if (st != DB_OK || !*out)
        goto fail; /* no such user: nothing to record */
    if (!(r = db_exec(db, &q_point_event, event_params, &st)))
        goto fail;
    PQclear(r);
    if ((st = db_commit(db)) == DB_OK)
        return DB_OK;
fail:
    db_rollback(db);
    if (st != DB_OK) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return st;
}

enum db_status users_store_make_admin(struct db *db, const char *email, long long *id)
{
    const char *params[] = {email};
    enum db_status st;
    PGresult *r;

    *id = 0;
    if (!(r = db_exec(db, &q_make_admin, params, &st)))
        return st;
    if (PQntuples(r) == 1)
        *id = db_ll(r, 0, 0);
    PQclear(r);
    return DB_OK;
}

enum db_status users_store_taken(struct db *db, const char *email, const char *username, const char **index)
{
    const char *params[] = {email, username};
    enum db_status st;
    PGresult *r;

    *index = NULL;
    if (!(r = db_exec(db, &q_taken, params, &st)))
        return st;
    if (db_bool(r, 0, 0))
        *index = USERS_EMAIL_KEY;
    else if (db_bool(r, 0, 1))
        *index = USERS_USERNAME_KEY;
    PQclear(r);
    return DB_OK;
}
