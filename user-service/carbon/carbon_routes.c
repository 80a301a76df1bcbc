/* carbon_routes: the trip log and footprint API. */
#include "carbon_routes.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "carbon.h"
#include "carbon_store.h"
#include "json.h"
#include "paging.h"
#include "problem.h"
#include "server.h"

#define CARBON_FACTORS_CACHE "public, max-age=3600"
#define TIME_TEXT_MAX 64  /* longest traveled_at text we look at */
#define QUERY_TEXT_MAX 16 /* ?from=, ?to=, ?date=, ?period= */

static void not_found(struct reply *rp, long long id)
{
    problem(rp, 404, "You have no trip with id %lld.", id);
}

/* What a client is told when the store fails or finds nothing. */
static const struct db_answers answers = {.database = "The users database",
                                          .check = "The trip breaks a rule of the data model.",
                                          .foreign_key = "Your account no longer exists.",
                                          .foreign_key_status = 404,
                                          .not_found = not_found};

static void store_failed(struct reply *rp, enum db_status st)
{
    problem_db(rp, st, &answers);
}

void carbon_list_factors(struct request *rq, struct reply *rp)
{
    cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");

    (void)rq;
    for (size_t i = 0; items && i < carbon_nfactors; i++) {
        const struct carbon_factor *f = &carbon_factors[i];
        cJSON *it = cJSON_CreateObject();
        if (!it)
            break;
        cJSON_AddStringToObject(it, "vehicle_type", f->vehicle_type);
        cJSON_AddStringToObject(it, "fuel_type", f->fuel_type);
        cJSON_AddNumberToObject(it, "kg_co2e_per_km", f->kg_co2e_per_km);
        cJSON_AddStringToObject(it, "unit", carbon_unit_name(f->unit));
        cJSON_AddStringToObject(it, "source", f->source);
        cJSON_AddBoolToObject(it, "eco_trip", carbon_is_eco_trip(f->vehicle_type, f->fuel_type));
        cJSON_AddItemToArray(items, it);
    }
    if (!items || cJSON_GetArraySize(items) != (int)carbon_nfactors) {
        cJSON_Delete(o);
        problem_internal(rp);
        return;
    }
    if (reply_json(rp, 200, o) == 0)
        reply_header(rp, "Cache-Control", CARBON_FACTORS_CACHE);
}

/* Reads optional traveled_at: RFC 3339, not before CARBON_EARLIEST, not more than
 * CARBON_FUTURE_SLACK_S ahead of now. Writes it normalized to UTC into out, or "" when absent. */
static void read_traveled_at(cJSON *body, char out[CARBON_TIME_LEN + 1], struct field_errors *fe)
{
    const char *s = NULL;
    long long t, earliest = 0;
    enum json_got g = json_get_str(body, "traveled_at", JF_NULLABLE, 1, TIME_TEXT_MAX, &s, fe);

    out[0] = '\0';
    if (g != JSON_OK)
        return;
    if (carbon_parse_time(s, &t) < 0) {
        field_error(fe, "traveled_at", "must be an RFC 3339 time such as 2026-11-25T12:00:00Z");
        return;
    }
    carbon_parse_time(CARBON_EARLIEST, &earliest);
    if (t < earliest)
        field_error(fe, "traveled_at", "must not be before %s", CARBON_EARLIEST);
    else if (t > (long long)time(NULL) + CARBON_FUTURE_SLACK_S)
        field_error(fe, "traveled_at", "must not be in the future");
    else
        carbon_format_time(t, out);
}

void carbon_create(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct carbon_trip t = {0};
    char when[CARBON_TIME_LEN + 1];
    int vehicle = -1, fuel = -1;
    long long passengers = 0;
    cJSON *body, *trip = NULL;
    enum db_status st;

    if (!(body = json_body(rq, rp, JSON_BODY_MAX)))
        return;
    json_get_enum(body, "vehicle_type", JF_REQUIRED, carbon_vehicle_types, &vehicle, &fe);
    json_get_enum(body, "fuel_type", JF_REQUIRED, carbon_fuel_types, &fuel, &fe);
    if (json_get_num(body, "distance_km", JF_REQUIRED, 0, CARBON_DISTANCE_MAX_KM, &t.distance_km, &fe) == JSON_OK &&
        t.distance_km <= 0)
        field_error(&fe, "distance_km", "must be greater than 0 and at most %g", CARBON_DISTANCE_MAX_KM);
    json_get_int(body, "passengers", JF_NULLABLE, CARBON_PASSENGERS_MIN, CARBON_PASSENGERS_MAX, &passengers, &fe);
    read_traveled_at(body, when, &fe);
    if (vehicle >= 0 && fuel >= 0 && !carbon_factor_find(carbon_vehicle_types[vehicle], carbon_fuel_types[fuel]))
        field_error(&fe, "fuel_type", "%s is not possible for vehicle_type %s (see GET /api/v1/carbon/factors)",
                    carbon_fuel_types[fuel], carbon_vehicle_types[vehicle]);
    if (problem_fields_any(rp, &fe))
        return;
    t.vehicle_type = carbon_vehicle_types[vehicle];
    t.fuel_type = carbon_fuel_types[fuel];
    t.passengers = (int)passengers;
    t.traveled_at = when[0] ? when : NULL;
    t.kg = carbon_trip_kg(t.vehicle_type, t.fuel_type, t.distance_km, t.passengers);
    st = carbon_store_create(rq->worker->db, rq->auth.user_id, &t, carbon_is_eco_trip(t.vehicle_type, t.fuel_type),
                             &trip);
    if (st == DB_OK && !trip)
        st = DB_ERROR;
    if (st != DB_OK)
        store_failed(rp, st);
    else
        reply_created(rp, 201, trip, "/api/v1/carbon");
}

/* Reads an optional date query parameter "YYYY-MM-DD" into out ("" when absent). */
static void read_date(const struct request *rq, const char *name, char out[QUERY_TEXT_MAX], struct field_errors *fe)
{
    struct carbon_bounds b;
    int got = request_query(rq, name, out, QUERY_TEXT_MAX);

    if (got == 0) {
        out[0] = '\0';
        return;
    }
    if (got < 0 || !json_date_valid(out) || carbon_period_bounds(CARBON_DAY, out, &b) < 0) {
        out[0] = '\0';
        field_error(fe, name, "must be a date YYYY-MM-DD (years %d to %d)", CARBON_YEAR_MIN, CARBON_YEAR_MAX);
    }
}

void carbon_list(struct request *rq, struct reply *rp)
{
    char from[QUERY_TEXT_MAX], to[QUERY_TEXT_MAX], from_at[CARBON_TIME_LEN + 1], to_at[CARBON_TIME_LEN + 1];
    struct field_errors fe = {0};
    struct carbon_bounds b;
    struct paging pg;
    cJSON *items = NULL;
    long long total = 0;
    enum db_status st;

    read_date(rq, "from", from, &fe);
    read_date(rq, "to", to, &fe);
    paging_parse(rq, PAGING_MAX_LIMIT, &pg, &fe);
    if (from[0] && to[0] && strcmp(from, to) > 0)
        field_error(&fe, "to", "must not be before from");
    if (problem_fields_any(rp, &fe))
        return;
    /* Dates are whole UTC days, both ends included: [from 00:00Z, to + 1 day 00:00Z). */
    if (from[0])
        snprintf(from_at, sizeof from_at, "%.10sT00:00:00Z", from);
    if (to[0] && carbon_period_bounds(CARBON_DAY, to, &b) == 0)
        snprintf(to_at, sizeof to_at, "%.10sT00:00:00Z", b.next);
    st = carbon_store_list(rq->worker->db, rq->auth.user_id, from[0] ? from_at : NULL, to[0] ? to_at : NULL, &pg,
                           &items, &total);
    paging_reply(rp, st, &answers, items, &pg, total);
}

void carbon_get(struct request *rq, struct reply *rp)
{
    cJSON *trip = NULL;
    enum db_status st = carbon_store_get(rq->worker->db, rq->auth.user_id, rq->ids[0], &trip);

    problem_or_found(rp, st, &answers, rq->ids[0], trip);
}

void carbon_delete(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st = carbon_store_delete(rq->worker->db, rq->auth.user_id, rq->ids[0], &deleted);

    problem_or_deleted(rp, st, &answers, rq->ids[0], deleted);
}

/* The summary answer from the period, its bounds and the totals. NULL when out of memory. */
static cJSON *summary_json(enum carbon_period period, const struct carbon_bounds *b, const struct carbon_bounds *prev,
                           const struct carbon_totals *t)
{
    cJSON *o = cJSON_CreateObject(), *byv = cJSON_CreateObject();
    double pct;

    if (!o || !byv) {
        cJSON_Delete(o);
        cJSON_Delete(byv);
        return NULL;
    }
    cJSON_AddStringToObject(o, "period", carbon_period_name(period));
    cJSON_AddStringToObject(o, "start", b->start);
    cJSON_AddStringToObject(o, "end", b->last);
    cJSON_AddNumberToObject(o, "total_kg", t->kg);
    cJSON_AddNumberToObject(o, "trips", (double)t->trips);
    for (int v = 0; v < CARBON_NVEHICLES; v++)
        cJSON_AddNumberToObject(byv, carbon_vehicle_types[v], t->by_vehicle[v]);
    cJSON_AddItemToObject(o, "by_vehicle", byv);
    cJSON_AddStringToObject(o, "previous_start", prev->start);
    cJSON_AddStringToObject(o, "previous_end", prev->last);
    cJSON_AddNumberToObject(o, "previous_total_kg", t->prev_kg);
    if (carbon_change_pct(t->kg, t->prev_kg, &pct) == 0)
        cJSON_AddNumberToObject(o, "change_pct", pct);
    else
        cJSON_AddNullToObject(o, "change_pct");
    return o;
}

void carbon_summary(struct request *rq, struct reply *rp)
{
    char pbuf[QUERY_TEXT_MAX], date[QUERY_TEXT_MAX], now[CARBON_TIME_LEN + 1];
    enum carbon_period period = CARBON_WEEK;
    struct field_errors fe = {0};
    struct carbon_bounds b, prev;
    struct carbon_totals t;
    enum db_status st;
    int got;

    got = request_query(rq, "period", pbuf, sizeof pbuf);
    if (got == 0)
        field_error(&fe, "period", "is required: day, week, month or year");
    else if (got < 0 || carbon_period_parse(pbuf, &period) < 0)
        field_error(&fe, "period", "must be one of: day, week, month, year");
    read_date(rq, "date", date, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    if (!date[0]) { /* today, UTC */
        carbon_format_time((long long)time(NULL), now);
        memcpy(date, now, CARBON_DATE_LEN);
        date[CARBON_DATE_LEN] = '\0';
    }
    if (carbon_period_bounds(period, date, &b) < 0 || carbon_period_bounds(period, b.prev_start, &prev) < 0) {
        field_error(&fe, "date", "is too close to the edge of the calendar");
        problem_fields(rp, &fe);
        return;
    }
    if ((st = carbon_store_summary(rq->worker->db, rq->auth.user_id, &b, &t)) != DB_OK)
        store_failed(rp, st);
    else
        reply_json(rp, 200, summary_json(period, &b, &prev, &t));
}
