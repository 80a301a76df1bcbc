/* carbon_store: the SQL for carbon_emissions (the user's logged trips), nothing else.
 *
 * Every function returns DB_OK or why the database said no; "not found" is DB_OK with a
 * NULL object. Trips are JSON objects shaped as the API answers them: id, vehicle_type,
 * fuel_type, distance_km, passengers (or null), carbon_emission_kg, traveled_at,
 * created_at (RFC 3339 UTC, whole seconds). Trips are always scoped to their owner: another
 * user's trip is simply not found. */
#ifndef CARBON_STORE_H
#define CARBON_STORE_H

#include <cjson/cJSON.h>

#include "carbon.h"
#include "db_status.h"
#include "paging.h"

/* A trip to record; kg already computed by carbon_trip_kg. */
struct carbon_trip {
    const char *vehicle_type, *fuel_type;
    double distance_km;
    int passengers; /* 0: not given (NULL) */
    double kg;
    const char *traveled_at; /* "YYYY-MM-DDTHH:MM:SSZ", or NULL for now */
};

/* Inserts t for user_id into *out. When eco is 1 it also completes the user's eco_trip
 * missions (missions_store_trigger) in the same transaction: both or neither. */
enum db_status carbon_store_create(struct db *db, long long user_id, const struct carbon_trip *t, int eco, cJSON **out);

/* Trip id of user_id into *out (NULL when there is none of theirs). */
enum db_status carbon_store_get(struct db *db, long long user_id, long long id, cJSON **out);

/* Deletes trip id of user_id; *deleted = 1 if there was one. */
enum db_status carbon_store_delete(struct db *db, long long user_id, long long id, int *deleted);

/* One page of user_id's trips with from <= traveled_at < to (RFC 3339 instants; NULL: no
 * bound), newest first (traveled_at, then id), and the count of all that match. */
enum db_status carbon_store_list(struct db *db, long long user_id, const char *from, const char *to,
                                 const struct paging *p, cJSON **items, long long *total);

/* The totals of one period in one query: kg and trips of [start, next), per vehicle type
 * too, and kg of the previous period [prev_start, start). Sums are of the stored (rounded)
 * values, rounded again to 3 decimals. */
struct carbon_totals {
    double kg, prev_kg;
    long long trips;
    double by_vehicle[CARBON_NVEHICLES]; /* indexed as carbon_vehicle_types */
};

enum db_status carbon_store_summary(struct db *db, long long user_id, const struct carbon_bounds *b,
                                    struct carbon_totals *out);

#endif
