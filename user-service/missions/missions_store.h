/* missions_store: the SQL for missions, completions (mission_users), eco points awarded by
 * them (users.eco_point + eco_point_events) and the leaderboard, nothing else.
 *
 * "Once" is decided by the database: mission_users' primary key (user_id, mission_id) and
 * INSERT ... ON CONFLICT DO NOTHING RETURNING; points are added only for the rows that
 * went in, in the same statement, so no read-then-write race exists across workers or
 * replicas. Every function returns DB_OK or why the database said no; JSON handed out is
 * the caller's to cJSON_Delete. Missions are objects shaped as the API answers them: id,
 * name, description, action_trigger, value, active, created_at, updated_at. */
#ifndef MISSIONS_STORE_H
#define MISSIONS_STORE_H

#include <cjson/cJSON.h>

#include "db_status.h"
#include "mission_triggers.h"
#include "paging.h"

#define MISSIONS_NAME_KEY "missions_name_lower_key" /* DB_UNIQUE on this: the name is taken */

/* Completes, for user_id, every active mission whose action_trigger is trigger ("register",
 * "eco_trip", "first_review", "first_plan") and that the user has not completed yet, adds
 * their values to users.eco_point (the rank follows by trigger) and records one
 * eco_point_events row per mission that awarded points. One statement; run it inside the
 * caller's transaction (db_begin ... db_commit) so the action and the award stand or fall
 * together. Calling it again for the same user and trigger does nothing. */
enum db_status missions_store_trigger(struct db *db, long long user_id, const char *trigger);

/* The fields of a mission to create or change; NULL / has_ = 0: absent. */
struct mission_fields {
    const char *name;
    int has_description;     /* description present (NULL then clears it) */
    const char *description; /* NULL with has_description: SQL NULL */
    const char *action_trigger;
    int has_value, has_active;
    long long value;
    int active;
};

/* One page of missions by id with, for user_id, "completed" (bool) and "completed_at"
 * (RFC 3339 or null). Inactive missions are included only when all is 1 (admins). */
enum db_status missions_store_list(struct db *db, long long user_id, int all, const struct paging *p, cJSON **items,
                                   long long *total);

/* Mission id as missions_store_list shows it into *out; NULL when there is none (or it is
 * inactive and all is 0). */
enum db_status missions_store_get(struct db *db, long long user_id, int all, long long id, cJSON **out);

/* Inserts a mission (name and action_trigger present) into *out. DB_UNIQUE: name taken. */
enum db_status missions_store_create(struct db *db, const struct mission_fields *f, cJSON **out);

/* Applies the present fields of f to mission id; *out NULL when there is none. */
enum db_status missions_store_update(struct db *db, long long id, const struct mission_fields *f, cJSON **out);

/* Deletes mission id (its completions go with it; points already awarded stay). */
enum db_status missions_store_delete(struct db *db, long long id, int *deleted);

/* What a manual completion came to. */
enum mission_completion {
    MISSION_COMPLETED = 0, /* completed now; points awarded */
    MISSION_NOT_FOUND,     /* no such mission, or inactive */
    MISSION_NOT_MANUAL,    /* completes only by its action */
    MISSION_ALREADY_DONE,  /* completed before */
};

/* Completes manual mission id for user_id and awards its value, once: of 20 concurrent
 * calls exactly one gets MISSION_COMPLETED. One statement (its own transaction). On
 * MISSION_COMPLETED *out is {"mission":{...}, "completed_at", "points_awarded",
 * "eco_point", "rank"}. */
enum db_status missions_store_complete(struct db *db, long long user_id, long long id, enum mission_completion *result,
                                       cJSON **out);

/* The missions user_id has completed, newest first, each with completed_at and
 * points_awarded, into *items; *total_points is the sum of points_awarded. */
enum db_status missions_store_of_user(struct db *db, long long user_id, cJSON **items, long long *total_points);

/* The limit users with the most eco points (ties: lower id first), each with
 * rank_position (1, 2, ...), id, username, eco_point and rank. */
enum db_status missions_store_leaderboard(struct db *db, long long limit, cJSON **items);

#endif
