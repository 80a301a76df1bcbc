/* missions_store: the SQL for missions, completions, the points they award and the leaderboard. */
#include "missions_store.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

#define NUM_TEXT_MAX 32

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Columns every mission read returns, in this order (see row_to_json). */
#define MISSION_COLUMNS                                                                                                \
    "m.id, m.name, m.description, m.action_trigger, m.value, m.active, " TS("m.created_at") ", " TS("m.updated_at")
#define MISSION_NCOLUMNS 8

/* The award, shared by automatic and manual completion: CANDIDATES selects (id, value,
 * name) of the missions to complete for user $1. "done" holds the completions that went in
 * (the primary key turns a repeat into nothing), "award" adds their points to the user
 * (only when there are any), "events" records one audit row per mission that gave points.
 * One statement: all of it commits or none of it does. */
#define AWARD_CTES(CANDIDATES)                                                                                         \
    "WITH cand AS (" CANDIDATES "),"                                                                                   \
    " done AS (INSERT INTO mission_users (user_id, mission_id, points_awarded)"                                        \
    " SELECT $1::bigint, id, value FROM cand ON CONFLICT (user_id, mission_id) DO NOTHING"                             \
    " RETURNING mission_id, points_awarded, completed_at),"                                                            \
    " award AS (UPDATE users SET eco_point = eco_point + s.total"                                                      \
    " FROM (SELECT sum(points_awarded) AS total FROM done) AS s"                                                       \
    " WHERE users.id = $1::bigint AND s.total > 0 RETURNING users.eco_point, users.rank),"                             \
    " events AS (INSERT INTO eco_point_events (user_id, points, reason, mission_id)"                                   \
    " SELECT $1::bigint, d.points_awarded, left('Mission completed: ' || c.name, 200), d.mission_id"                   \
    " FROM done d JOIN cand c ON c.id = d.mission_id WHERE d.points_awarded > 0)"

static struct db_statement q_trigger = {
    AWARD_CTES(
        "SELECT id, value, name FROM missions WHERE action_trigger = $2 AND active") " SELECT count(*) FROM done",
    2, 0};

/* Row: action_trigger, active, points_awarded (NULL: nothing went in), completed_at,
 * eco_point, rank, then the mission. No row: no such mission. */
static struct db_statement q_complete = {
    AWARD_CTES(
        "SELECT id, value, name FROM missions WHERE id = $2 AND active AND action_trigger = "
        "'manual'") " SELECT m.action_trigger, m.active, d.points_awarded, " TS("d.completed_at") ","
                                                                                                  " COALESCE((SELECT "
                                                                                                  "eco_point FROM "
                                                                                                  "award), "
                                                                                                  "u.eco_point), "
                                                                                                  "COALESCE((SELECT "
                                                                                                  "rank "
                                                                                                  "FROM award), "
                                                                                                  "u.rank),"
                                                                                                  " " MISSION_COLUMNS
                                                                                                  " FROM missions m "
                                                                                                  "LEFT JOIN done d ON "
                                                                                                  "d.mission_id = m.id"
                                                                                                  " LEFT JOIN users u "
                                                                                                  "ON u.id = "
                                                                                                  "$1::bigint WHERE "
                                                                                                  "m.id = $2",
    2, 0};

static struct db_statement q_list = {
    "SELECT " MISSION_COLUMNS
    ", " TS("mu.completed_at") ", count(*) OVER ()"
                               " FROM missions m LEFT JOIN mission_users mu ON mu.mission_id = m.id AND mu.user_id = $1"
                               " WHERE ($2::boolean OR m.active) ORDER BY m.id LIMIT $3 OFFSET $4",
    4, 0};
static struct db_statement q_list_count = {"SELECT count(*) FROM missions WHERE ($1::boolean OR active)", 1, 0};

static struct db_statement q_get = {
    "SELECT " MISSION_COLUMNS
    ", " TS("mu.completed_at") " FROM missions m LEFT JOIN mission_users mu ON mu.mission_id = m.id AND mu.user_id = $1"
                               " WHERE m.id = $3 AND ($2::boolean OR m.active)",
    3, 0};

static struct db_statement q_create = {
    "INSERT INTO missions AS m (name, description, action_trigger, value, active)"
    " VALUES ($1, $2, $3, COALESCE($4::integer, 0), COALESCE($5::boolean, true)) RETURNING " MISSION_COLUMNS,
    5, 0};

static struct db_statement q_update = {
    "UPDATE missions AS m SET name = COALESCE($2, m.name),"
    " description = CASE WHEN $3::boolean THEN $4 ELSE m.description END,"
    " action_trigger = COALESCE($5, m.action_trigger), value = COALESCE($6::integer, m.value),"
    " active = COALESCE($7::boolean, m.active)"
    " WHERE m.id = $1 RETURNING " MISSION_COLUMNS,
    7, 0};

static struct db_statement q_delete = {"DELETE FROM missions WHERE id = $1 RETURNING id", 1, 0};

static struct db_statement q_of_user = {
    "SELECT " MISSION_COLUMNS
    ", " TS("mu.completed_at") ", mu.points_awarded,"
                               " sum(mu.points_awarded) OVER ()"
                               " FROM mission_users mu JOIN missions m ON m.id = mu.mission_id WHERE mu.user_id = $1"
                               " ORDER BY mu.completed_at DESC, m.id",
    1, 0};

static struct db_statement q_leaderboard = {
    "SELECT row_number() OVER (ORDER BY eco_point DESC, id), id, username, eco_point, rank"
    " FROM users ORDER BY eco_point DESC, id LIMIT $1",
    1, 0};

static void ll_str(char buf[NUM_TEXT_MAX], long long v)
{
    snprintf(buf, NUM_TEXT_MAX, "%lld", v);
}

static void add_str_or_null(cJSON *o, const char *name, const PGresult *r, int row, int col)
{
    const char *s = db_str(r, row, col);

    if (s)
        cJSON_AddStringToObject(o, name, s);
    else
        cJSON_AddNullToObject(o, name);
}

/* The mission in columns col .. col + MISSION_NCOLUMNS - 1 of row. NULL when out of memory. */
static cJSON *row_to_json(const PGresult *r, int row, int col)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, row, col));
    cJSON_AddStringToObject(o, "name", db_str(r, row, col + 1));
    add_str_or_null(o, "description", r, row, col + 2);
    cJSON_AddStringToObject(o, "action_trigger", db_str(r, row, col + 3));
    cJSON_AddNumberToObject(o, "value", (double)db_ll(r, row, col + 4));
    cJSON_AddBoolToObject(o, "active", db_bool(r, row, col + 5));
    cJSON_AddStringToObject(o, "created_at", db_str(r, row, col + 6));
    if (!cJSON_AddStringToObject(o, "updated_at", db_str(r, row, col + 7))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* One mission row, its columns from the first (db_one's row reader). */
static cJSON *mission_row(const PGresult *r, int row)
{
    return row_to_json(r, row, 0);
}

/* The mission of row 0 plus "completed" / "completed_at" of the caller from column col. */
static cJSON *row_with_completion(const PGresult *r, int row, int col)
{
    cJSON *o = row_to_json(r, row, 0);

    if (o) {
        cJSON_AddBoolToObject(o, "completed", db_str(r, row, col) != NULL);
        add_str_or_null(o, "completed_at", r, row, col);
    }
    return o;
}

enum db_status missions_store_trigger(struct db *db, long long user_id, const char *trigger)
{
    char uid[NUM_TEXT_MAX];
    const char *params[] = {uid, trigger};
    enum db_status st;
    PGresult *r;

    ll_str(uid, user_id);
    if (!(r = db_exec(db, &q_trigger, params, &st)))
        return st;
    PQclear(r);
    return DB_OK;
}

/* A mission row with the caller's completion columns after MISSION_NCOLUMNS (db_page's row reader). */
static cJSON *listed_mission(const PGresult *r, int row)
{
    return row_with_completion(r, row, MISSION_NCOLUMNS);
}

enum db_status missions_store_list(struct db *db, long long user_id, int all, const struct paging *p, cJSON **items,
                                   long long *total)
{
    char uid[NUM_TEXT_MAX], limit[NUM_TEXT_MAX], offset[NUM_TEXT_MAX];
    const char *allp = all ? "true" : "false";
    const char *params[] = {uid, allp, limit, offset}, *count_params[] = {allp};
    struct db_page_query q = {&q_list, &q_list_count, params, count_params, MISSION_NCOLUMNS + 1, listed_mission};

    ll_str(uid, user_id);
    ll_str(limit, p->limit);
    ll_str(offset, p->offset);
    return db_page(db, &q, p->offset, items, total);
}

enum db_status missions_store_get(struct db *db, long long user_id, int all, long long id, cJSON **out)
{
    char uid[NUM_TEXT_MAX], mid[NUM_TEXT_MAX];
    const char *params[] = {uid, all ? "true" : "false", mid};
    enum db_status st;
    PGresult *r;

    *out = NULL;
    ll_str(uid, user_id);
    ll_str(mid, id);
    if (!(r = db_exec(db, &q_get, params, &st)))
        return st;
    if (PQntuples(r) == 1 && !(*out = row_with_completion(r, 0, MISSION_NCOLUMNS)))
        st = DB_ERROR;
    PQclear(r);
    return st;
}

enum db_status missions_store_create(struct db *db, const struct mission_fields *f, cJSON **out)
{
    char value[NUM_TEXT_MAX];
    const char *params[] = {f->name, f->has_description ? f->description : NULL, f->action_trigger,
                            f->has_value ? value : NULL, f->has_active ? (f->active ? "true" : "false") : NULL};

    ll_str(value, f->value);
    return db_one(db, &q_create, params, mission_row, out);
}

enum db_status missions_store_update(struct db *db, long long id, const struct mission_fields *f, cJSON **out)
{
    char mid[NUM_TEXT_MAX], value[NUM_TEXT_MAX];
    const char *params[] = {mid,
                            f->name,
                            f->has_description ? "true" : "false",
                            f->description,
                            f->action_trigger,
                            f->has_value ? value : NULL,
                            f->has_active ? (f->active ? "true" : "false") : NULL};

    ll_str(mid, id);
    ll_str(value, f->value);
    return db_one(db, &q_update, params, mission_row, out);
}

enum db_status missions_store_delete(struct db *db, long long id, int *deleted)
{
    char mid[NUM_TEXT_MAX];
    const char *params[] = {mid};
    enum db_status st;
    PGresult *r;

    *deleted = 0;
    ll_str(mid, id);
    if (!(r = db_exec(db, &q_delete, params, &st)))
        return st;
    *deleted = PQntuples(r) > 0;
    PQclear(r);
    return DB_OK;
}

enum db_status missions_store_complete(struct db *db, long long user_id, long long id, enum mission_completion *result,
                                       cJSON **out)
{
    char uid[NUM_TEXT_MAX], mid[NUM_TEXT_MAX];
    const char *params[] = {uid, mid};
    enum db_status st;
    cJSON *o = NULL, *m;
    PGresult *r;

    *out = NULL;
    ll_str(uid, user_id);
    ll_str(mid, id);
    if (!(r = db_exec(db, &q_complete, params, &st)))
        return st;
    if (PQntuples(r) != 1 || !db_bool(r, 0, 1))
        *result = MISSION_NOT_FOUND;
    else if (strcmp(db_str(r, 0, 0), "manual") != 0)
        *result = MISSION_NOT_MANUAL;
    else if (!db_str(r, 0, 2))
        *result = MISSION_ALREADY_DONE;
    else
        *result = MISSION_COMPLETED;
    if (*result == MISSION_COMPLETED) {
        if (!(o = cJSON_CreateObject()) || !(m = row_to_json(r, 0, 6))) {
            cJSON_Delete(o);
            PQclear(r);
            return DB_ERROR;
        }
        cJSON_AddItemToObject(o, "mission", m);
        cJSON_AddStringToObject(o, "completed_at", db_str(r, 0, 3));
        cJSON_AddNumberToObject(o, "points_awarded", (double)db_ll(r, 0, 2));
        cJSON_AddNumberToObject(o, "eco_point", (double)db_ll(r, 0, 4));
        add_str_or_null(o, "rank", r, 0, 5);
        *out = o;
    }
    PQclear(r);
    return DB_OK;
}

enum db_status missions_store_of_user(struct db *db, long long user_id, cJSON **items, long long *total_points)
{
    char uid[NUM_TEXT_MAX];
    const char *params[] = {uid};
    enum db_status st;
    PGresult *r;

    *total_points = 0;
    ll_str(uid, user_id);
    if (!(r = db_exec(db, &q_of_user, params, &st)))
        return st;
    if (!(*items = cJSON_CreateArray())) {
        PQclear(r);
        return DB_ERROR;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *o = row_to_json(r, i, 0);
        if (!o) {
            PQclear(r);
            cJSON_Delete(*items);
            *items = NULL;
            return DB_ERROR;
        }
        cJSON_AddStringToObject(o, "completed_at", db_str(r, i, MISSION_NCOLUMNS));
        cJSON_AddNumberToObject(o, "points_awarded", (double)db_ll(r, i, MISSION_NCOLUMNS + 1));
        cJSON_AddItemToArray(*items, o);
    }
    if (PQntuples(r) > 0)
        *total_points = db_ll(r, 0, MISSION_NCOLUMNS + 2);
    PQclear(r);
    return DB_OK;
}

enum db_status missions_store_leaderboard(struct db *db, long long limit, cJSON **items)
{
    char lim[NUM_TEXT_MAX];
    const char *params[] = {lim};
    enum db_status st;
    PGresult *r;

    ll_str(lim, limit);
    if (!(r = db_exec(db, &q_leaderboard, params, &st)))
        return st;
    if (!(*items = cJSON_CreateArray())) {
        PQclear(r);
        return DB_ERROR;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            PQclear(r);
            cJSON_Delete(*items);
            *items = NULL;
            return DB_ERROR;
        }
        cJSON_AddNumberToObject(o, "rank_position", (double)db_ll(r, i, 0));
        cJSON_AddNumberToObject(o, "id", (double)db_ll(r, i, 1));
        cJSON_AddStringToObject(o, "username", db_str(r, i, 2));
        cJSON_AddNumberToObject(o, "eco_point", (double)db_ll(r, i, 3));
        cJSON_AddStringToObject(o, "rank", db_str(r, i, 4));
        cJSON_AddItemToArray(*items, o);
    }
    PQclear(r);
    return DB_OK;
}
