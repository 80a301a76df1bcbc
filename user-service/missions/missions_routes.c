/* missions_routes: missions, their completion, a user's eco points and the leaderboard. */
#include "missions_routes.h"

#include <stdio.h>

#include "json.h"
#include "mission_triggers.h"
#include "missions_store.h"
#include "paging.h"
#include "problem.h"
#include "server.h"

static const char *const triggers[] = MISSION_TRIGGERS;

static void not_found(struct reply *rp, long long id)
{
    problem(rp, 404, "No mission has id %lld.", id);
}

/* What a client is told when the store fails or finds nothing. */
static const struct db_answers answers = {
    .database = "The users database",
    .unique = "A mission with this name already exists (names are compared case-insensitively).",
    .check = "The mission breaks a rule of the data model.",
    .foreign_key = "Your account or the mission no longer exists.",
    .foreign_key_status = 404,
    .not_found = not_found};

static void store_failed(struct reply *rp, enum db_status st)
{
    problem_db(rp, st, &answers);
}

static int is_admin(const struct request *rq)
{
    return rq->auth.role == ROLE_ADMIN;
}

void missions_list(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct paging pg;
    cJSON *items = NULL;
    long long total = 0;
    enum db_status st;

    paging_parse(rq, PAGING_MAX_LIMIT, &pg, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    st = missions_store_list(rq->worker->db, rq->auth.user_id, is_admin(rq), &pg, &items, &total);
    paging_reply(rp, st, &answers, items, &pg, total);
}

void missions_get(struct request *rq, struct reply *rp)
{
    cJSON *m = NULL;
    enum db_status st = missions_store_get(rq->worker->db, rq->auth.user_id, is_admin(rq), rq->ids[0], &m);

    problem_or_found(rp, st, &answers, rq->ids[0], m);
}

/* Reads the mission fields of body into f; name and action_trigger are required when creating. */
static void read_fields(cJSON *body, int creating, struct mission_fields *f, struct field_errors *fe)
{
    unsigned req = creating ? JF_REQUIRED : 0;
    int trig = -1;
    enum json_got g;

    json_get_str(body, "name", req, 1, MISSION_NAME_MAX, &f->name, fe);
    g = json_get_str(body, "description", JF_NULLABLE, 0, MISSION_DESCRIPTION_MAX, &f->description, fe);
    f->has_description = g == JSON_OK || g == JSON_NULL;
    if (g == JSON_NULL)
        f->description = NULL;
    if (json_get_enum(body, "action_trigger", req, triggers, &trig, fe) == JSON_OK)
        f->action_trigger = triggers[trig];
    f->has_value = json_get_int(body, "value", 0, 0, MISSION_VALUE_MAX, &f->value, fe) == JSON_OK;
    f->has_active = json_get_bool(body, "active", 0, &f->active, fe) == JSON_OK;
}

/* The request's body read into f (creating: name, action_trigger and value required); the
 * strings of f point into rq->json. 0, or -1 with rp filled (400/413/415/422). */
static int read_body(struct request *rq, struct reply *rp, int creating, struct mission_fields *f)
{
    struct field_errors fe = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX);

    if (!body)
        return -1;
    read_fields(body, creating, f, &fe);
    return problem_fields_any(rp, &fe) ? -1 : 0;
}

void missions_create(struct request *rq, struct reply *rp)
{
    struct mission_fields f = {0};
    cJSON *m = NULL;
    enum db_status st;

    if (read_body(rq, rp, 1, &f) < 0)
        return;
    st = missions_store_create(rq->worker->db, &f, &m);
    if (st == DB_OK && !m)
        st = DB_ERROR;
    if (st != DB_OK)
        store_failed(rp, st);
    else
        reply_created(rp, 201, m, "/api/v1/missions");
}

void missions_update(struct request *rq, struct reply *rp)
{
    struct mission_fields f = {0};
    cJSON *m = NULL;
    enum db_status st;

    if (read_body(rq, rp, 0, &f) < 0)
        return;
    st = missions_store_update(rq->worker->db, rq->ids[0], &f, &m);
    problem_or_found(rp, st, &answers, rq->ids[0], m);
}

void missions_delete(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st = missions_store_delete(rq->worker->db, rq->ids[0], &deleted);

    problem_or_deleted(rp, st, &answers, rq->ids[0], deleted);
}

void missions_complete(struct request *rq, struct reply *rp)
{
    enum mission_completion result = MISSION_NOT_FOUND;
    cJSON *out = NULL;
    enum db_status st = missions_store_complete(rq->worker->db, rq->auth.user_id, rq->ids[0], &result, &out);

    if (st != DB_OK) {
        store_failed(rp, st);
        return;
    }
    switch (result) {
    case MISSION_COMPLETED: reply_json(rp, 201, out); return;
    case MISSION_NOT_MANUAL:
        problem(rp, 409, "Mission %lld completes by itself when its action happens; it cannot be claimed.", rq->ids[0]);
        return;
    case MISSION_ALREADY_DONE: problem(rp, 409, "You have already completed mission %lld.", rq->ids[0]); return;
    case MISSION_NOT_FOUND:
    default: not_found(rp, rq->ids[0]); return;
    }
}

void missions_of_me(struct request *rq, struct reply *rp)
{
    cJSON *items = NULL, *o;
    long long total_points = 0;
    enum db_status st = missions_store_of_user(rq->worker->db, rq->auth.user_id, &items, &total_points);

    if (st != DB_OK) {
        store_failed(rp, st);
        return;
    }
    if (!(o = reply_object_of(rp, "missions", items)))
        return;
    cJSON_AddNumberToObject(o, "total_points", (double)total_points);
    reply_json(rp, 200, o);
}

void missions_leaderboard(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    long long limit = LEADERBOARD_DEFAULT_LIMIT;
    cJSON *items = NULL, *o;
    enum db_status st;

    query_ll(rq, "limit", 1, LEADERBOARD_MAX_LIMIT, &limit, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    if ((st = missions_store_leaderboard(rq->worker->db, limit, &items)) != DB_OK) {
        store_failed(rp, st);
        return;
    }
    if (!(o = reply_object_of(rp, "items", items)))
        return;
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    reply_json(rp, 200, o);
}
