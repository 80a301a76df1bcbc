/* carbon_store: the SQL for carbon_emissions. */
#include "carbon_store.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

#include "missions_store.h"

#define NUM_TEXT_MAX 32 /* a bigint or a double written with %.17g */
#define INSTANT_MAX 32  /* "YYYY-MM-DDT00:00:00Z" */

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Columns every read returns, in this order (see row_to_json); extra columns follow. */
#define TRIP_COLUMNS                                                                                                   \
    "id, vehicle_type, fuel_type, distance_km, passengers, carbon_emission_kg, " TS("traveled_at") ", " TS("created_"  \
                                                                                                           "at")
#define TRIP_NCOLUMNS 8

/* traveled_at defaults to now, cut to whole seconds like every time the API shows. */
static struct db_statement q_create = {
    "INSERT INTO carbon_emissions"
    " (user_id, vehicle_type, fuel_type, distance_km, passengers, carbon_emission_kg, traveled_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::timestamptz, date_trunc('second', now())))"
    " RETURNING " TRIP_COLUMNS,
    7, 0};

static struct db_statement q_get = {"SELECT " TRIP_COLUMNS " FROM carbon_emissions WHERE id = $2 AND user_id = $1", 2,
                                    0};

static struct db_statement q_delete = {"DELETE FROM carbon_emissions WHERE id = $2 AND user_id = $1 RETURNING id", 2,
                                       0};

/* count(*) OVER () is the total in the same scan; an empty page has no row to carry it. */
static struct db_statement q_list = {
    "SELECT " TRIP_COLUMNS ", count(*) OVER () FROM carbon_emissions"
    " WHERE user_id = $1 AND ($2::timestamptz IS NULL OR traveled_at >= $2::timestamptz)"
    " AND ($3::timestamptz IS NULL OR traveled_at < $3::timestamptz)"
    " ORDER BY traveled_at DESC, id DESC LIMIT $4 OFFSET $5",
    5, 0};
static struct db_statement q_list_count = {
    "SELECT count(*) FROM carbon_emissions"
    " WHERE user_id = $1 AND ($2::timestamptz IS NULL OR traveled_at >= $2::timestamptz)"
    " AND ($3::timestamptz IS NULL OR traveled_at < $3::timestamptz)",
    3, 0};

/* The summary of one period, one scan of [prev_start, next): a row per vehicle type used
 * and the ROLLUP's grand-total row (GROUPING = 1). Columns: is_total, vehicle_type,
 * current kg, current trips, previous kg. Sums are numeric over the stored (already
 * rounded) values, so no binary drift, then rounded to grams. */
static struct db_statement q_summary = {
    "SELECT GROUPING(vehicle_type), vehicle_type,"
    " COALESCE(round(sum(carbon_emission_kg::numeric) FILTER (WHERE traveled_at >= $2::timestamptz), 3), 0),"
    " count(*) FILTER (WHERE traveled_at >= $2::timestamptz),"
    " COALESCE(round(sum(carbon_emission_kg::numeric) FILTER (WHERE traveled_at < $2::timestamptz), 3), 0)"
    " FROM carbon_emissions"
    " WHERE user_id = $1 AND traveled_at >= $3::timestamptz AND traveled_at < $4::timestamptz"
    " GROUP BY ROLLUP (vehicle_type)",
    4, 0};

static void ll_str(char buf[NUM_TEXT_MAX], long long v)
{
    snprintf(buf, NUM_TEXT_MAX, "%lld", v);
}

static cJSON *row_to_json(const PGresult *r, int row)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, row, 0));
    cJSON_AddStringToObject(o, "vehicle_type", db_str(r, row, 1));
    cJSON_AddStringToObject(o, "fuel_type", db_str(r, row, 2));
    cJSON_AddNumberToObject(o, "distance_km", db_double(r, row, 3));
    if (db_str(r, row, 4))
        cJSON_AddNumberToObject(o, "passengers", (double)db_ll(r, row, 4));
    else
        cJSON_AddNullToObject(o, "passengers");
    cJSON_AddNumberToObject(o, "carbon_emission_kg", db_double(r, row, 5));
    cJSON_AddStringToObject(o, "traveled_at", db_str(r, row, 6));
    if (!cJSON_AddStringToObject(o, "created_at", db_str(r, row, 7))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

enum db_status carbon_store_create(struct db *db, long long user_id, const struct carbon_trip *t, int eco, cJSON **out)
{
    char uid[NUM_TEXT_MAX], dist[NUM_TEXT_MAX], pax[NUM_TEXT_MAX], kg[NUM_TEXT_MAX];
    const char *params[] = {uid, t->vehicle_type, t->fuel_type, dist, t->passengers > 0 ? pax : NULL,
                            kg,  t->traveled_at};
    enum db_status st;

    *out = NULL;
    ll_str(uid, user_id);
    ll_str(pax, t->passengers);
    snprintf(dist, sizeof dist, "%.17g", t->distance_km);
    snprintf(kg, sizeof kg, "%.3f", t->kg);
    if (!eco)
        return db_one(db, &q_create, params, row_to_json, out);
    /* The trip and the eco_trip award commit together or not at all. */
    if ((st = db_begin(db)) != DB_OK)
        return st;
    if ((st = db_one(db, &q_create, params, row_to_json, out)) != DB_OK || !*out)
        goto fail;
    if ((st = missions_store_trigger(db, user_id, MISSION_ECO_TRIP)) != DB_OK)
        goto fail;
    if ((st = db_commit(db)) == DB_OK)
        return DB_OK;
fail:
    db_rollback(db);
    cJSON_Delete(*out);
    *out = NULL;
    return st == DB_OK ? DB_ERROR : st;
}

enum db_status carbon_store_get(struct db *db, long long user_id, long long id, cJSON **out)
{
    char uid[NUM_TEXT_MAX], tid[NUM_TEXT_MAX];
    const char *params[] = {uid, tid};

    ll_str(uid, user_id);
    ll_str(tid, id);
    return db_one(db, &q_get, params, row_to_json, out);
}

enum db_status carbon_store_delete(struct db *db, long long user_id, long long id, int *deleted)
{
    char uid[NUM_TEXT_MAX], tid[NUM_TEXT_MAX];
    const char *params[] = {uid, tid};
    enum db_status st;
    PGresult *r;

    *deleted = 0;
    ll_str(uid, user_id);
    ll_str(tid, id);
    if (!(r = db_exec(db, &q_delete, params, &st)))
        return st;
    *deleted = PQntuples(r) > 0;
    PQclear(r);
    return DB_OK;
}

enum db_status carbon_store_list(struct db *db, long long user_id, const char *from, const char *to,
                                 const struct paging *p, cJSON **items, long long *total)
{
    char uid[NUM_TEXT_MAX], limit[NUM_TEXT_MAX], offset[NUM_TEXT_MAX];
    const char *params[] = {uid, from, to, limit, offset};
    struct db_page_query q = {&q_list, &q_list_count, params, params, TRIP_NCOLUMNS, row_to_json};

    ll_str(uid, user_id);
    ll_str(limit, p->limit);
    ll_str(offset, p->offset);
    return db_page(db, &q, p->offset, items, total);
}

/* The instant a UTC date starts, as the database reads it. */
static void day_start(const char *date, char out[INSTANT_MAX])
{
    snprintf(out, INSTANT_MAX, "%.10sT00:00:00Z", date);
}

enum db_status carbon_store_summary(struct db *db, long long user_id, const struct carbon_bounds *b,
                                    struct carbon_totals *out)
{
    char uid[NUM_TEXT_MAX], start[INSTANT_MAX], prev[INSTANT_MAX], next[INSTANT_MAX];
    const char *params[] = {uid, start, prev, next};
    enum db_status st;
    PGresult *r;

    memset(out, 0, sizeof *out);
    ll_str(uid, user_id);
    day_start(b->start, start);
    day_start(b->prev_start, prev);
    day_start(b->next, next);
    if (!(r = db_exec(db, &q_summary, params, &st)))
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        if (db_ll(r, i, 0)) { /* the grand total */
            out->kg = db_double(r, i, 2);
            out->trips = db_ll(r, i, 3);
            out->prev_kg = db_double(r, i, 4);
            continue;
        }
        for (int v = 0; v < CARBON_NVEHICLES; v++)
            if (strcmp(db_str(r, i, 1), carbon_vehicle_types[v]) == 0)
                out->by_vehicle[v] = db_double(r, i, 2);
    }
    PQclear(r);
    return DB_OK;
}
