/* plans_routes: the plans API. */
#include "plans_routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carbon.h"
#include "civil.h"
#include "dest_check.h"
#include "exact_int.h"
#include "geo.h"
#include "json.h"
#include "paging.h"
#include "plans_store.h"
#include "problem.h"
#include "server.h"
#include "users_db.h"

#define PLACE_NAME_MAX 255
#define PLAN_DAYS_MAX 365
#define MONEY_MAX 999999999999.99 /* numeric(14,2): 12 digits before the point */
#define NOTE_MAX 1000
#define POSITION_MAX 10000
#define MONEY_TEXT 32
#define MODE_MAX 32
#define KM_DECIMALS 1000.0

static const char *const stop_types[] = {"restaurant", "accommodation", "attraction", "transport", NULL};
static const char *const time_slots[] = {"morning", "afternoon", "evening", NULL};

/* A string member of a JSON object we built, or "" (never NULL, even after an allocation failure). */
static const char *str_of(const cJSON *o, const char *name)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    return v ? v : "";
}

/* Reads an optional, nullable money field into text for the database. Returns the getter's result. */
static enum json_got get_money(const cJSON *body, const char *name, char out[MONEY_TEXT], struct field_errors *fe)
{
    double v;
    enum json_got g = json_get_num(body, name, JF_NULLABLE, 0, MONEY_MAX, &v, fe);

    if (g == JSON_OK)
        snprintf(out, MONEY_TEXT, "%.2f", v);
    return g;
}

/* A 422 naming the fields a database rule refused (the API's 422 always carries errors). */
static void unprocessable(struct reply *rp, const char *const *fields, const char *message)
{
    struct field_errors fe = {0};

    for (; *fields; fields++)
        field_error(&fe, *fields, "%s", message);
    problem_fields(rp, &fe);
}

static const char *const plan_rule_fields[] = {"start_date", "end_date", "budget", NULL};
static const char *const plan_date_fields[] = {"start_date", "end_date", NULL};
static const char *const stop_rule_fields[] = {"position", "estimated_cost", "note", NULL};

static void plan_failed(struct reply *rp, enum db_status st, long long id)
{
    if (st == DB_OK)
        problem(rp, 404, "You have no plan with id %lld.", id);
    else if (st == DB_CHECK)
        unprocessable(rp, plan_rule_fields, "breaks a rule of plans (dates in order, budget, length)");
    else
        users_db_failed(rp, st);
}

/* Reads and checks the plan fields; `creating` makes name and dates required. */
static void read_plan(cJSON *body, int creating, struct plan_input *in, char budget[MONEY_TEXT],
                      struct field_errors *fe)
{
    unsigned req = creating ? JF_REQUIRED : 0;
    enum json_got g;

    json_get_str(body, "place_name", req, 1, PLACE_NAME_MAX, &in->place_name, fe);
    json_get_date(body, "start_date", req, in->start_date, fe);
    json_get_date(body, "end_date", req, in->end_date, fe);
    g = get_money(body, "budget_limit", budget, fe);
    in->budget_set = g == JSON_OK || g == JSON_NULL;
    in->budget_limit = g == JSON_OK ? budget : NULL;
    if (in->start_date[0] && in->end_date[0]) {
        long long span = civil_days_of_text(in->end_date) - civil_days_of_text(in->start_date);
        if (span < 0)
            field_error(fe, "end_date", "must not be before start_date");
        else if (span > PLAN_DAYS_MAX)
            field_error(fe, "end_date", "must be at most %d days after start_date", PLAN_DAYS_MAX);
    }
}

void plans_create(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct plan_input in = {0};
    char budget[MONEY_TEXT];
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *out = NULL;
    enum db_status st;

    if (!body)
        return;
    read_plan(body, 1, &in, budget, &fe);
    if (fe.n)
        problem_fields(rp, &fe);
    else if ((st = plans_store_create(rq->worker->db, rq->auth.user_id, &in, &out)) != DB_OK || !out)
        plan_failed(rp, st == DB_OK ? DB_ERROR : st, 0);
    else
        reply_created(rp, 201, out, "/api/v1/plans");
}

void plans_list(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct paging p;
    long long total = 0;
    cJSON *items = NULL;
    enum db_status st;

    if (paging_parse(rq, PAGING_MAX_LIMIT, &p, &fe) < 0)
        problem_fields(rp, &fe);
    else if ((st = plans_store_list(rq->worker->db, rq->auth.user_id, &p, &items, &total)) != DB_OK)
        users_db_failed(rp, st);
    else
        reply_json(rp, 200, paging_wrap(items, &p, total));
}

void plans_get(struct request *rq, struct reply *rp)
{
    cJSON *out = NULL;
    enum db_status st = plans_store_get(rq->worker->db, rq->auth.user_id, rq->ids[0], &out);

    if (st != DB_OK || !out)
        plan_failed(rp, st, rq->ids[0]);
    else
        reply_json(rp, 200, out);
}

void plans_patch(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct plan_input in = {0};
    char budget[MONEY_TEXT];
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *out = NULL, *cur = NULL;
    int conflict = 0, found = 0;
    enum db_status st;

    if (!body)
        return;
    read_plan(body, 0, &in, budget, &fe);
    if (fe.n) {
        problem_fields(rp, &fe);
        goto out;
    }
    /* One date alone must still be ordered against the stored other one. */
    if (!in.start_date[0] != !in.end_date[0]) {
        if ((st = plans_store_get(rq->worker->db, rq->auth.user_id, rq->ids[0], &cur)) != DB_OK || !cur) {
            plan_failed(rp, st, rq->ids[0]);
            goto out;
        }
        if (!in.start_date[0])
            snprintf(in.start_date, sizeof in.start_date, "%s", str_of(cur, "start_date"));
        else
            snprintf(in.end_date, sizeof in.end_date, "%s", str_of(cur, "end_date"));
        read_plan(body, 0, &in, budget, &fe);
        if (fe.n) {
            problem_fields(rp, &fe);
            goto out;
        }
    }
    st = plans_store_update(rq->worker->db, rq->auth.user_id, rq->ids[0], &in, &out, &conflict, &found);
    if (conflict)
        unprocessable(rp, plan_date_fields,
                      "leaves some stops of this plan outside the dates; move or remove them first");
    else if (st != DB_OK || !out)
        plan_failed(rp, st, rq->ids[0]);
    else
        reply_json(rp, 200, out);
out:
    cJSON_Delete(cur);
}

void plans_delete(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st = plans_store_delete(rq->worker->db, rq->auth.user_id, rq->ids[0], &deleted);

    if (st != DB_OK || !deleted)
        plan_failed(rp, st, rq->ids[0]);
    else
        reply_empty(rp, 204);
}

/* Reads the stop fields; `creating` makes destination_id, type and visit_date required. */
static void read_stop(cJSON *body, int creating, struct stop_input *in, char cost[MONEY_TEXT], struct field_errors *fe)
{
    unsigned req = creating ? JF_REQUIRED : 0;
    enum json_got g;
    int k;

    if (creating)
        json_get_int(body, "destination_id", JF_REQUIRED, 1, EXACT_INT_MAX, &in->destination_id, fe);
    else if (cJSON_GetObjectItemCaseSensitive(body, "destination_id"))
        field_error(fe, "destination_id", "cannot change; remove the stop and add another");
    if (json_get_enum(body, "type", req, stop_types, &k, fe) == JSON_OK)
        in->type = stop_types[k];
    json_get_date(body, "visit_date", req, in->visit_date, fe);
    g = json_get_enum(body, "time_slot", JF_NULLABLE, time_slots, &k, fe);
    in->time_slot_set = g == JSON_OK || g == JSON_NULL;
    in->time_slot = g == JSON_OK ? time_slots[k] : NULL;
    in->position_set = json_get_int(body, "position", 0, 0, POSITION_MAX, &in->position, fe) == JSON_OK;
    g = get_money(body, "estimated_cost", cost, fe);
    in->cost_set = g == JSON_OK || g == JSON_NULL;
    in->estimated_cost = g == JSON_OK ? cost : NULL;
    g = json_get_str(body, "note", JF_NULLABLE, 0, NOTE_MAX, &in->note, fe);
    in->note_set = g == JSON_OK || g == JSON_NULL;
    if (g != JSON_OK)
        in->note = NULL;
}

void plans_add_stop(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct stop_input in = {0};
    char cost[MONEY_TEXT];
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *plan = NULL, *out = NULL;
    int found = 0;
    enum db_status st;

    if (!body)
        return;
    read_stop(body, 1, &in, cost, &fe);
    if (fe.n) {
        problem_fields(rp, &fe);
        goto out;
    }
    if ((st = plans_store_get(rq->worker->db, rq->auth.user_id, rq->ids[0], &plan)) != DB_OK || !plan) {
        plan_failed(rp, st, rq->ids[0]);
        goto out;
    }
    if (strcmp(in.visit_date, str_of(plan, "start_date")) < 0 || strcmp(in.visit_date, str_of(plan, "end_date")) > 0) {
        field_error(&fe, "visit_date", "must be within the plan's dates");
        problem_fields(rp, &fe);
        goto out;
    }
    if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(plan, "stop_count")) >= PLAN_MAX_STOPS) {
        problem(rp, 409, "A plan holds at most %d stops.", PLAN_MAX_STOPS);
        goto out;
    }
    if (dest_check_exists(rq, rp, in.destination_id, "destination_id", &in.verified) < 0)
        goto out;
    /* The plan's dates and stop count are checked again by the insert, under the plan's lock. */
    st = plans_store_add_stop(rq->worker->db, rq->auth.user_id, rq->ids[0], &in, &out, &found);
    if (st != DB_OK || !found) {
        plan_failed(rp, st, rq->ids[0]);
        goto out;
    }
    if (!out) { /* the plan changed under us: dates, deletion or a full plan */
        problem(rp, 409, "The plan changed while the stop was being added; try again.");
        goto out;
    }
    reply_json(rp, in.verified ? 201 : 202, out);
out:
    cJSON_Delete(plan);
}

void plans_list_stops(struct request *rq, struct reply *rp)
{
    cJSON *items = NULL, *out;
    int expand = dest_check_expand_param(rq, rp);
    enum db_status st;

    if (expand < 0)
        return;
    if ((st = plans_store_stops(rq->worker->db, rq->auth.user_id, rq->ids[0], &items)) != DB_OK || !items) {
        plan_failed(rp, st, rq->ids[0]);
        return;
    }
    if (expand)
        dest_check_expand(rq, items);
    if (!(out = reply_object_of(rp, "items", items)))
        return;
    reply_json(rp, 200, out);
}

void plans_patch_stop(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct stop_input in = {0};
    char cost[MONEY_TEXT];
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *out = NULL;
    int outside = 0, found = 0;
    enum db_status st;

    if (!body)
        return;
    read_stop(body, 0, &in, cost, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    st = plans_store_update_stop(rq->worker->db, rq->auth.user_id, rq->ids[0], rq->ids[1], &in, &out, &outside, &found);
    if (st == DB_CHECK) /* a value the columns cannot hold: the client's, not ours */
        unprocessable(rp, stop_rule_fields, "breaks a rule of plan stops (position, cost, note length)");
    else if (st != DB_OK)
        users_db_failed(rp, st);
    else if (outside) {
        field_error(&fe, "visit_date", "must be within the plan's dates");
        problem_fields(rp, &fe);
    } else if (!out)
        problem(rp, 404, "Plan %lld has no stop %lld of yours.", rq->ids[0], rq->ids[1]);
    else
        reply_json(rp, 200, out);
}

void plans_delete_stop(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st = plans_store_delete_stop(rq->worker->db, rq->auth.user_id, rq->ids[0], rq->ids[1], &deleted);

    if (st != DB_OK)
        users_db_failed(rp, st);
    else if (!deleted)
        problem(rp, 404, "Plan %lld has no stop %lld of yours.", rq->ids[0], rq->ids[1]);
    else
        reply_empty(rp, 204);
}

/* ---- footprint ---- */

static double round_km(double km)
{
    return round(km * KM_DECIMALS) / KM_DECIMALS;
}

/* Coordinates of destination id among fetched; 0 when found. */
static int coords_of(const cJSON *fetched, long long id, double *lat, double *lon)
{
    const cJSON *f;

    cJSON_ArrayForEach (f, fetched) {
        const cJSON *fid = cJSON_GetObjectItemCaseSensitive(f, "id");
        /* compared as doubles: casting another service's number to an integer could overflow */
        if (cJSON_IsNumber(fid) && fid->valuedouble == (double)id) {
            *lat = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "latitude"));
            *lon = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "longitude"));
            return isfinite(*lat) && isfinite(*lon) && fabs(*lat) <= 90 && fabs(*lon) <= 180 ? 0 : -1;
        }
    }
    return -1;
}

/* Legs between consecutive stops that have coordinates; fills out. */
static void build_legs(const cJSON *stops, const cJSON *fetched, double factor, cJSON *out)
{
    cJSON *legs = cJSON_AddArrayToObject(out, "legs"), *skipped = cJSON_AddArrayToObject(out, "skipped_item_ids");
    const cJSON *s, *prev = NULL;
    double plat = 0, plon = 0, total_km = 0, total_kg = 0;

    cJSON_ArrayForEach (s, stops) {
        long long did = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "destination_id"));
        double item = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "id")), lat, lon;

        if (coords_of(fetched, did, &lat, &lon) < 0) {
            cJSON_AddItemToArray(skipped, cJSON_CreateNumber(item)); /* its destination is gone */
            continue;
        }
        if (prev) {
            double km = round_km(geo_trip_km(plat, plon, lat, lon)), kg = carbon_round_kg(km * factor);
            cJSON *leg = cJSON_CreateObject();
            cJSON_AddNumberToObject(leg, "from_item_id",
                                    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(prev, "id")));
            cJSON_AddNumberToObject(leg, "to_item_id", item);
            cJSON_AddNumberToObject(leg, "from_destination_id",
                                    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(prev, "destination_id")));
            cJSON_AddNumberToObject(leg, "to_destination_id", (double)did);
            cJSON_AddNumberToObject(leg, "distance_km", km);
            cJSON_AddNumberToObject(leg, "kg_co2e", kg);
            cJSON_AddItemToArray(legs, leg);
            total_km += km;
            total_kg += kg;
        }
        prev = s;
        plat = lat;
        plon = lon;
    }
    cJSON_AddNumberToObject(out, "total_distance_km", round_km(total_km));
    cJSON_AddNumberToObject(out, "total_kg_co2e", carbon_round_kg(total_kg));
}

void plans_footprint(struct request *rq, struct reply *rp)
{
    char mode[MODE_MAX] = "car", fuel[MODE_MAX] = "";
    struct field_errors fe = {0};
    double factor = 0;
    long long *ids = NULL;
    size_t n = 0;
    cJSON *stops = NULL, *fetched = NULL, *out, *s;
    enum db_status st;
    int got;

    if (request_query(rq, "mode", mode, sizeof mode) < 0 || !carbon_default_fuel(mode))
        field_error(&fe, "mode", "must be one of: car, motorbike, bus, metro, train, walk_or_cycle");
    else if ((got = request_query(rq, "fuel", fuel, sizeof fuel)) < 0) /* malformed, too long or holding NUL */
        field_error(&fe, "fuel", "must be one of: petrol, diesel, electric, hybrid, none");
    else if (got == 0)
        snprintf(fuel, sizeof fuel, "%s", carbon_default_fuel(mode));
    if (!fe.n && carbon_factor(mode, fuel, &factor) < 0)
        field_error(&fe, "fuel", "cannot be combined with mode %s", mode);
    if (problem_fields_any(rp, &fe))
        return;
    if ((st = plans_store_stops(rq->worker->db, rq->auth.user_id, rq->ids[0], &stops)) != DB_OK || !stops) {
        plan_failed(rp, st, rq->ids[0]);
        return;
    }
    if ((n = (size_t)cJSON_GetArraySize(stops)) && (ids = malloc(n * sizeof *ids))) {
        size_t k = 0;
        cJSON_ArrayForEach (s, stops)
            ids[k++] = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "destination_id"));
        /* coordinates live in the other database: one batch call, and no guessing if it is down */
        if (!(fetched = dest_check_fetch(rq, ids, n))) {
            free(ids);
            cJSON_Delete(stops);
            problem_unavailable(rp, 2, "destination-service, which knows the stops' coordinates,");
            return;
        }
    }
    free(ids);
    if (!(out = cJSON_CreateObject())) {
        cJSON_Delete(stops);
        cJSON_Delete(fetched);
        problem_internal(rp);
        return;
    }
    cJSON_AddNumberToObject(out, "plan_id", (double)rq->ids[0]);
    cJSON_AddStringToObject(out, "mode", mode);
    cJSON_AddStringToObject(out, "fuel_type", fuel);
    cJSON_AddNumberToObject(out, "kg_co2e_per_km", factor);
    cJSON_AddNumberToObject(out, "road_factor", GEO_ROAD_FACTOR);
    build_legs(stops, fetched, factor, out);
    cJSON_Delete(stops);
    cJSON_Delete(fetched);
    reply_json(rp, 200, out);
}
