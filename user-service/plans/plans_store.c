/* plans_store: the SQL for plans and plan stops. */
#include "plans_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "missions_store.h"

#define PLAN_COLS                                                                                                      \
    "p.id, p.user_id, p.place_name, to_char(p.start_date, 'YYYY-MM-DD'), to_char(p.end_date, 'YYYY-MM-DD'), "          \
    "p.budget_limit::float8, COALESCE(t.total, 0)::float8, COALESCE(t.n, 0), " DB_TS("p.created_at") ", " DB_TS(       \
        "p.updated_at")
#define PLAN_TOTALS                                                                                                    \
    " LEFT JOIN LATERAL (SELECT sum(estimated_cost) AS total, count(*) AS n FROM plan_destinations d "                 \
    "WHERE d.plan_id = p.id) t ON true"
#define STOP_COLS                                                                                                      \
    "s.id, s.plan_id, s.destination_id, s.type, to_char(s.visit_date, 'YYYY-MM-DD'), s.time_slot, s.position, "        \
    "s.estimated_cost::float8, s.note, s.destination_verified, s.destination_missing, " DB_TS(                         \
        "s.created_at") ", " DB_TS("s.updated_at")
#define STR2(x) #x
#define STR(x) STR2(x)
#define SLOT_ORDER "CASE s.time_slot WHEN 'morning' THEN 0 WHEN 'afternoon' THEN 1 WHEN 'evening' THEN 2 ELSE 3 END"

static struct db_statement q_get = {
    "SELECT " PLAN_COLS " FROM plans p" PLAN_TOTALS " WHERE p.id = $1 AND p.user_id = $2", 2, 0};
static struct db_statement q_create = {
    "WITH p AS (INSERT INTO plans (user_id, place_name, start_date, end_date, budget_limit) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING *), t AS (SELECT 0::numeric AS total, 0 AS n) "
    "SELECT " PLAN_COLS " FROM p, t",
    5, 0};
static struct db_statement q_list = {"SELECT " PLAN_COLS ", count(*) OVER () FROM plans p" PLAN_TOTALS
                                     " WHERE p.user_id = $1 ORDER BY p.start_date DESC, p.id DESC LIMIT $2 OFFSET $3",
                                     3, 0};
static struct db_statement q_count = {"SELECT count(*) FROM plans WHERE user_id = $1", 1, 0};
/* The new dates must still hold every stop: checked in the same statement. */
static struct db_statement q_update = {
    "UPDATE plans p SET place_name = COALESCE($3, place_name), start_date = COALESCE($4::date, start_date), "
    "end_date = COALESCE($5::date, end_date), "
    "budget_limit = CASE WHEN $6::boolean THEN $7::numeric ELSE budget_limit END "
    "WHERE p.id = $1 AND p.user_id = $2 AND NOT EXISTS (SELECT 1 FROM plan_destinations d WHERE d.plan_id = p.id "
    "AND (d.visit_date < COALESCE($4::date, p.start_date) OR d.visit_date > COALESCE($5::date, p.end_date))) "
    "RETURNING p.id",
    7, 0};
static struct db_statement q_lock = {"SELECT 1 FROM plans WHERE id = $1 AND user_id = $2 FOR UPDATE", 2, 0};
static struct db_statement q_delete = {"DELETE FROM plans WHERE id = $1 AND user_id = $2", 2, 0};
static struct db_statement q_add_stop = {
    "WITH s AS (INSERT INTO plan_destinations (plan_id, destination_id, type, visit_date, time_slot, position, "
    "estimated_cost, note, destination_verified) "
    "SELECT p.id, $3, $4, $5::date, $6, COALESCE($7::integer, 0), $8::numeric, $9, $10::boolean FROM plans p "
    "WHERE p.id = $1 AND p.user_id = $2 AND $5::date BETWEEN p.start_date AND p.end_date "
    "AND (SELECT count(*) FROM plan_destinations x WHERE x.plan_id = p.id) < " STR(
        PLAN_MAX_STOPS) " RETURNING *) SELECT " STOP_COLS " FROM s",
    10, 0};
static struct db_statement q_stops = {
    "SELECT " STOP_COLS " FROM plans p JOIN plan_destinations s ON s.plan_id = p.id WHERE p.id = $1 AND p.user_id = $2 "
    "ORDER BY s.visit_date, " SLOT_ORDER ", s.position, s.id",
    2, 0};
static struct db_statement q_update_stop = {
    "WITH s AS (UPDATE plan_destinations s SET type = COALESCE($4, s.type), "
    "visit_date = COALESCE($5::date, s.visit_date), "
    "time_slot = CASE WHEN $6::boolean THEN $7 ELSE s.time_slot END, "
    "position = CASE WHEN $8::boolean THEN $9::integer ELSE s.position END, "
    "estimated_cost = CASE WHEN $10::boolean THEN $11::numeric ELSE s.estimated_cost END, "
    "note = CASE WHEN $12::boolean THEN $13 ELSE s.note END "
    "FROM plans p WHERE s.id = $3 AND s.plan_id = $1 AND p.id = s.plan_id AND p.user_id = $2 "
    "AND COALESCE($5::date, s.visit_date) BETWEEN p.start_date AND p.end_date RETURNING s.*) "
    "SELECT " STOP_COLS " FROM s",
    13, 0};
static struct db_statement q_stop_exists = {"SELECT 1 FROM plan_destinations s JOIN plans p ON p.id = s.plan_id "
                                            "WHERE s.id = $3 AND s.plan_id = $1 AND p.user_id = $2",
                                            3, 0};
static struct db_statement q_delete_stop = {
    "DELETE FROM plan_destinations s USING plans p "
    "WHERE s.id = $3 AND s.plan_id = $1 AND p.id = s.plan_id AND p.user_id = $2",
    3, 0};

static cJSON *plan_json(const PGresult *r, int i)
{
    cJSON *o = cJSON_CreateObject();
    double total = db_double(r, i, 6);
    int has_budget = !PQgetisnull(r, i, 5);

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, i, 0));
    cJSON_AddNumberToObject(o, "user_id", (double)db_ll(r, i, 1));
    cJSON_AddStringToObject(o, "place_name", db_str(r, i, 2));
    cJSON_AddStringToObject(o, "start_date", db_str(r, i, 3));
    cJSON_AddStringToObject(o, "end_date", db_str(r, i, 4));
    if (has_budget)
        cJSON_AddNumberToObject(o, "budget_limit", db_double(r, i, 5));
    else
        cJSON_AddNullToObject(o, "budget_limit");
    cJSON_AddNumberToObject(o, "total_estimated_cost", total);
    cJSON_AddBoolToObject(o, "over_budget", has_budget && total > db_double(r, i, 5));
    cJSON_AddNumberToObject(o, "stop_count", (double)db_ll(r, i, 7));
    cJSON_AddStringToObject(o, "created_at", db_str(r, i, 8));
    cJSON_AddStringToObject(o, "updated_at", db_str(r, i, 9));
    return o;
}

static void add_str_or_null(cJSON *o, const char *name, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static cJSON *stop_json(const PGresult *r, int i)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, i, 0));
    cJSON_AddNumberToObject(o, "plan_id", (double)db_ll(r, i, 1));
    cJSON_AddNumberToObject(o, "destination_id", (double)db_ll(r, i, 2));
    cJSON_AddStringToObject(o, "type", db_str(r, i, 3));
    cJSON_AddStringToObject(o, "visit_date", db_str(r, i, 4));
    add_str_or_null(o, "time_slot", db_str(r, i, 5));
    cJSON_AddNumberToObject(o, "position", (double)db_ll(r, i, 6));
    if (PQgetisnull(r, i, 7))
        cJSON_AddNullToObject(o, "estimated_cost");
    else
        cJSON_AddNumberToObject(o, "estimated_cost", db_double(r, i, 7));
    add_str_or_null(o, "note", db_str(r, i, 8));
    cJSON_AddBoolToObject(o, "destination_verified", db_bool(r, i, 9));
    cJSON_AddBoolToObject(o, "destination_missing", db_bool(r, i, 10));
    cJSON_AddStringToObject(o, "created_at", db_str(r, i, 11));
    cJSON_AddStringToObject(o, "updated_at", db_str(r, i, 12));
    return o;
}

static void num(char *buf, size_t cap, long long v)
{
    snprintf(buf, cap, "%lld", v);
}

enum db_status plans_store_get(struct db *db, long long owner, long long id, cJSON **out)
{
    char a[24], b[24];
    const char *params[] = {a, b};

    num(a, sizeof a, id);
    num(b, sizeof b, owner);
    return db_one(db, &q_get, params, plan_json, out);
}

/* Locks the owner's plan row until the transaction ends, so that changes to its dates and
 * to its stops are checked one after the other, each against what the other committed. */
static enum db_status lock_plan(struct db *db, long long owner, long long id, int *found)
{
    char a[24], b[24];
    const char *params[] = {a, b};
    enum db_status st;
    PGresult *r;

    num(a, sizeof a, id);
    num(b, sizeof b, owner);
    *found = 0;
    if (!(r = db_exec(db, &q_lock, params, &st)))
        return st;
    *found = PQntuples(r) > 0;
    PQclear(r);
    return st;
}

/* Opens a transaction holding the lock of the owner's plan id. DB_OK with *found 0 (and the
 * transaction already ended) when there is no such plan. */
static enum db_status begin_on_plan(struct db *db, long long owner, long long id, int *found)
{
    enum db_status st = db_begin(db);

    *found = 0;
    if (st == DB_OK && (st = lock_plan(db, owner, id, found)) == DB_OK && *found)
        return DB_OK;
    db_rollback(db);
    return st;
}

/* Ends the transaction begun by begin_on_plan (or db_begin); on failure *out is dropped. */
static enum db_status finish(struct db *db, enum db_status st, cJSON **out)
{
    if ((st = db_finish(db, st)) != DB_OK) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return st;
}

enum db_status plans_store_create(struct db *db, long long owner, const struct plan_input *in, cJSON **out)
{
    char a[24];
    const char *params[] = {a, in->place_name, in->start_date, in->end_date, in->budget_limit};
    enum db_status st;

    *out = NULL;
    num(a, sizeof a, owner);
    if ((st = db_begin(db)) != DB_OK)
        return st;
    st = db_one(db, &q_create, params, plan_json, out);
    if (st == DB_OK)
        st = missions_store_trigger(db, owner, MISSION_FIRST_PLAN);
    return finish(db, st, out);
}

enum db_status plans_store_list(struct db *db, long long owner, const struct paging *p, cJSON **items, long long *total)
{
    char a[24], lim[24], off[24];
    const char *params[] = {a, lim, off};
    struct db_page_query q = {&q_list, &q_count, params, params, 10, plan_json};

    num(a, sizeof a, owner);
    num(lim, sizeof lim, p->limit);
    num(off, sizeof off, p->offset);
    return db_page(db, &q, p->offset, items, total);
}

static enum db_status update_locked(struct db *db, long long owner, long long id, const struct plan_input *in,
                                    cJSON **out, int *conflict)
{
    char a[24], b[24];
    const char *params[] = {a,
                            b,
                            in->place_name,
                            in->start_date[0] ? in->start_date : NULL,
                            in->end_date[0] ? in->end_date : NULL,
                            in->budget_set ? "t" : "f",
                            in->budget_limit};
    enum db_status st;
    PGresult *r;
    int updated;

    num(a, sizeof a, id);
    num(b, sizeof b, owner);
    *out = NULL;
    *conflict = 0;
    if (!(r = db_exec(db, &q_update, params, &st)))
        return st;
    updated = PQntuples(r) > 0;
    PQclear(r);
    if ((st = plans_store_get(db, owner, id, out)) != DB_OK)
        return st;
    if (!updated && *out) { /* it exists, so the dates left a stop outside */
        cJSON_Delete(*out);
        *out = NULL;
        *conflict = 1;
    }
    return DB_OK;
}

enum db_status plans_store_update(struct db *db, long long owner, long long id, const struct plan_input *in,
                                  cJSON **out, int *conflict, int *found)
{
    enum db_status st;

    *out = NULL;
    if ((st = begin_on_plan(db, owner, id, found)) != DB_OK || !*found)
        return st;
    return finish(db, update_locked(db, owner, id, in, out, conflict), out);
}

static enum db_status deleted_rows(struct db *db, struct db_statement *q, const char *const *params, int *deleted)
{
    enum db_status st;
    PGresult *r = db_exec(db, q, params, &st);

    *deleted = 0;
    if (!r)
        return st;
    *deleted = atoi(PQcmdTuples(r)) > 0;
    PQclear(r);
    return st;
}

enum db_status plans_store_delete(struct db *db, long long owner, long long id, int *deleted)
{
    char a[24], b[24];
    const char *params[] = {a, b};

    num(a, sizeof a, id);
    num(b, sizeof b, owner);
    return deleted_rows(db, &q_delete, params, deleted);
}

static enum db_status add_stop_locked(struct db *db, long long owner, long long plan_id, const struct stop_input *in,
                                      cJSON **out)
{
    char a[24], b[24], c[24], pos[24];
    const char *params[] = {a,
                            b,
                            c,
                            in->type,
                            in->visit_date,
                            in->time_slot,
                            in->position_set ? pos : NULL,
                            in->estimated_cost,
                            in->note,
                            in->verified ? "t" : "f"};

    num(a, sizeof a, plan_id);
    num(b, sizeof b, owner);
    num(c, sizeof c, in->destination_id);
    num(pos, sizeof pos, in->position);
    return db_one(db, &q_add_stop, params, stop_json, out);
}

enum db_status plans_store_add_stop(struct db *db, long long owner, long long plan_id, const struct stop_input *in,
                                    cJSON **out, int *found)
{
    enum db_status st;

    *out = NULL;
    if ((st = begin_on_plan(db, owner, plan_id, found)) != DB_OK || !*found)
        return st;
    return finish(db, add_stop_locked(db, owner, plan_id, in, out), out);
}

enum db_status plans_store_stops(struct db *db, long long owner, long long plan_id, cJSON **items)
{
    char a[24], b[24];
    const char *params[] = {a, b};
    enum db_status st;
    PGresult *r;
    cJSON *plan = NULL;

    *items = NULL;
    if ((st = plans_store_get(db, owner, plan_id, &plan)) != DB_OK || !plan)
        return st;
    cJSON_Delete(plan);
    num(a, sizeof a, plan_id);
    num(b, sizeof b, owner);
    if (!(r = db_exec(db, &q_stops, params, &st)))
        return st;
    *items = cJSON_CreateArray();
    for (int i = 0; *items && i < PQntuples(r); i++)
        cJSON_AddItemToArray(*items, stop_json(r, i));
    PQclear(r);
    return *items ? st : DB_ERROR;
}

static enum db_status update_stop_locked(struct db *db, long long owner, long long plan_id, long long item_id,
                                         const struct stop_input *in, cJSON **out, int *outside)
{
    char a[24], b[24], c[24], pos[24];
    const char *params[] = {a,
                            b,
                            c,
                            in->type,
                            in->visit_date[0] ? in->visit_date : NULL,
                            in->time_slot_set ? "t" : "f",
                            in->time_slot,
                            in->position_set ? "t" : "f",
                            in->position_set ? pos : NULL,
                            in->cost_set ? "t" : "f",
                            in->estimated_cost,
                            in->note_set ? "t" : "f",
                            in->note};
    enum db_status st;
    PGresult *r;

    num(a, sizeof a, plan_id);
    num(b, sizeof b, owner);
    num(c, sizeof c, item_id);
    num(pos, sizeof pos, in->position);
    *outside = 0;
    if ((st = db_one(db, &q_update_stop, params, stop_json, out)) != DB_OK || *out)
        return st;
    if (!(r = db_exec(db, &q_stop_exists, params, &st)))
        return st;
    *outside = PQntuples(r) > 0; /* it exists: the new date was outside the plan */
    PQclear(r);
    return DB_OK;
}

enum db_status plans_store_update_stop(struct db *db, long long owner, long long plan_id, long long item_id,
                                       const struct stop_input *in, cJSON **out, int *outside, int *found)
{
    enum db_status st;

    *out = NULL;
    if ((st = begin_on_plan(db, owner, plan_id, found)) != DB_OK || !*found)
        return st;
    return finish(db, update_stop_locked(db, owner, plan_id, item_id, in, out, outside), out);
}

enum db_status plans_store_delete_stop(struct db *db, long long owner, long long plan_id, long long item_id,
                                       int *deleted)
{
    char a[24], b[24], c[24];
    const char *params[] = {a, b, c};

    num(a, sizeof a, plan_id);
    num(b, sizeof b, owner);
    num(c, sizeof c, item_id);
    return deleted_rows(db, &q_delete_stop, params, deleted);
}
