/* users_store: the SQL for the users table (and the eco-point audit trail), nothing else.
 *
 * Every function returns DB_OK or why the database said no; "not found" is DB_OK with a
 * found flag or a NULL object, never an error. JSON objects handed out are the caller's
 * to cJSON_Delete. */
#ifndef USERS_STORE_H
#define USERS_STORE_H

#include <cjson/cJSON.h>

#include "db_status.h"
#include "password.h"

/* Names of the constraints a handler tells apart (db_last_constraint). */
#define USERS_EMAIL_KEY "users_email_key"
#define USERS_USERNAME_KEY "users_username_lower_key"
#define USERS_AVATAR_FK "users_avatar_media_fk"
#define USERS_COVER_FK "users_cover_media_fk"
#define USERS_ECO_POINT_CHECK "users_eco_point_check"

/* Which columns a JSON user carries. */
enum users_view {
    USERS_VIEW_SELF,   /* id, username, email, role, eco_point, rank, avatar/cover ids, created_at */
    USERS_VIEW_PUBLIC, /* id, username, eco_point, rank, avatar_media_id, created_at: no email */
};

/* What a token is made from. */
struct users_identity {
    long long id;
    int admin;
    int token_version;
};

/* A login candidate: identity and the stored argon2id hash. */
struct users_credentials {
    struct users_identity who;
    char hash[PASSWORD_HASH_MAX];
};

/* Fields of a profile update; a field is changed only when its set_ flag is 1. */
struct users_patch {
    const char *username; /* NULL: keep */
    int set_avatar, set_cover;
    long long avatar_media_id, cover_media_id; /* 0 with set_ = 1: clear */
};

/* Inserts a user (email already normalized, role "admin" when admin) and, in the same
 * transaction, completes the 'register' missions, so that a failure can never leave an
 * account the client was told does not exist. On DB_OK fills *who and *user (self view,
 * read after the missions). DB_UNIQUE: db_last_constraint names the index. */
enum db_status users_store_create(struct db *db, const char *username, const char *email, const char *hash, int admin,
                                  struct users_identity *who, cJSON **user);

/* Looks up the account of a normalized email. *found = 0 when there is none. */
enum db_status users_store_credentials_by_email(struct db *db, const char *email, struct users_credentials *c,
                                                int *found);

/* Looks up user id's stored hash and identity (for a password change). */
enum db_status users_store_credentials_by_id(struct db *db, long long id, struct users_credentials *c, int *found);

/* Replaces the hash after a login when the KDF parameters changed; only if the stored hash
 * is still old_hash. Tokens stay valid. */
enum db_status users_store_rehash(struct db *db, long long id, const char *old_hash, const char *new_hash);

/* Sets a new hash and bumps token_version (every older token dies), but only if the stored
 * hash is still old_hash: two concurrent changes cannot both win. *changed = 0 otherwise.
 * On a change fills *who with the new token_version. */
enum db_status users_store_set_password(struct db *db, long long id, const char *old_hash, const char *new_hash,
                                        struct users_identity *who, int *changed);

/* Role and token version of user id, as authorization needs them. *found = 0 when gone. */
enum db_status users_store_identity(struct db *db, long long id, struct users_identity *who, int *found);

/* User id in the given view into *out; *out NULL when there is no such user. */
enum db_status users_store_get(struct db *db, long long id, enum users_view view, cJSON **out);

/* Applies p to user id; *out is the updated self view (NULL when the user is gone).
 * DB_UNIQUE: the username is taken. DB_FOREIGN_KEY: a media id is not the user's
 * (db_last_constraint says which). */
enum db_status users_store_update(struct db *db, long long id, const struct users_patch *p, cJSON **out);

/* Deletes user id; every row the user owns in this database goes with it (ON DELETE
 * CASCADE). *deleted = 0 when there was no such user. */
enum db_status users_store_delete(struct db *db, long long id, int *deleted);

/* Bumps token_version: every token issued to user id so far stops working. *ended = 0 when
 * the user is gone. */
enum db_status users_store_end_sessions(struct db *db, long long id, int *ended);

/* One page of users in the self view (admin list), ordered by id, and the total count. */
enum db_status users_store_list(struct db *db, long long limit, long long offset, cJSON **items, long long *total);

/* In one transaction: adds points to user id's eco_point (the rank follows by trigger) and
 * records an eco_point_events row by admin created_by. *out is the public view after the
 * change, NULL when there is no such user. DB_CHECK: the balance would go below zero. */
enum db_status users_store_add_points(struct db *db, long long id, long long points, const char *reason,
                                      long long created_by, cJSON **out);

/* Whether a registration would collide, asked before paying for its hash: *index is
 * USERS_EMAIL_KEY or USERS_USERNAME_KEY when taken, else NULL. The unique indexes still
 * decide at the insert (two registrations can pass this check together). */
enum db_status users_store_taken(struct db *db, const char *email, const char *username, const char **index);

/* Makes the account of the normalized email an administrator; *id is its id, 0 when no
 * account has that email. */
enum db_status users_store_make_admin(struct db *db, const char *email, long long *id);

#endif
