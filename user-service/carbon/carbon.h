/* carbon: the emission factor table and the pure arithmetic of trips, ranks and periods.
 *
 * THE factor table lives here and nowhere else (docs/carbon.md lists it with its sources):
 * kg CO2e per km for every allowed vehicle_type x fuel_type pair. Cars are per vehicle-km
 * (a trip's kg is divided by its passengers when given); every other vehicle is already
 * per passenger-km. No I/O, no database, no allocation: everything here is unit-tested. */
#ifndef CARBON_H
#define CARBON_H

#include <stddef.h>

#define CARBON_DISTANCE_MAX_KM 20000.0 /* 0 < distance_km <= this */
#define CARBON_PASSENGERS_MIN 1
#define CARBON_PASSENGERS_MAX 100
#define CARBON_DATE_LEN 10 /* YYYY-MM-DD */
#define CARBON_TIME_LEN 20 /* YYYY-MM-DDTHH:MM:SSZ */

enum carbon_unit {
    CARBON_PER_PASSENGER_KM, /* the trip's kg is factor x distance */
    CARBON_PER_VEHICLE_KM,   /* factor x distance / passengers (1 when not given) */
};

struct carbon_factor {
    const char *vehicle_type;
    const char *fuel_type;
    double kg_co2e_per_km;
    enum carbon_unit unit;
    const char *source;
};

/* The allowed values, NULL-terminated (json_get_enum lists). */
#define CARBON_NVEHICLES 6
extern const char *const carbon_vehicle_types[];
extern const char *const carbon_fuel_types[];

/* The whole table, in a stable order (vehicle, then fuel), carbon_nfactors rows. */
extern const struct carbon_factor carbon_factors[];
extern const size_t carbon_nfactors;

/* "passenger-km" or "vehicle-km". */
const char *carbon_unit_name(enum carbon_unit u);

/* The table row of vehicle x fuel, or NULL for an unknown or impossible pair
 * (walk_or_cycle + diesel, metro + petrol, ...). */
const struct carbon_factor *carbon_factor_find(const char *vehicle, const char *fuel);

/* Sets *factor to kg CO2e per km of vehicle x fuel (per vehicle-km for cars, see
 * carbon_factor_find for the unit). Returns 0, or -1 for an impossible pair. */
int carbon_factor(const char *vehicle, const char *fuel, double *factor);

/* Rounds kg half away from zero to 3 decimals (whole grams). A tolerance of 1e-6 g absorbs
 * binary floating point, so that 0.0278 x 2.5 = 0.0695 rounds to 0.070 as on paper
 * (in binary it is 69.49999999999999 grams). */
double carbon_round_kg(double kg);

/* kg CO2e of one trip, rounded by carbon_round_kg: factor x distance_km, divided by
 * passengers for per-vehicle-km factors (passengers <= 0: not given, taken as 1; ignored
 * for per-passenger-km factors). Returns -1.0 for an impossible pair or a distance outside
 * 0 < d <= CARBON_DISTANCE_MAX_KM. */
double carbon_trip_kg(const char *vehicle, const char *fuel, double distance_km, int passengers);

/* 1 if a trip counts as an eco trip (the eco_trip mission): walk_or_cycle, any electric
 * vehicle, or bus, metro or train whatever the fuel. */
int carbon_is_eco_trip(const char *vehicle, const char *fuel);

/* Rank for a number of eco points: Bronze <= 500 < Silver <= 2000 < Gold <= 5000 <
 * Platinum <= 10000 < Diamond. Must agree with eco_rank() in migrations/users/0001. */
const char *carbon_rank(long long points);

/* The rank after the one points holds and the fewest points that reach it (its lower
 * bound, e.g. 501 for Silver): returns that name and sets *at, or NULL at the top rank
 * (Diamond). Same table as carbon_rank. */
const char *carbon_next_rank(long long points, long long *at);

/* The fuel a vehicle is taken to use when none is named (car and motorbike petrol, bus
 * diesel, metro and train electric, walk_or_cycle none), or NULL for an unknown vehicle. */
const char *carbon_default_fuel(const char *vehicle);

/* Summary periods. */
enum carbon_period { CARBON_DAY = 0, CARBON_WEEK, CARBON_MONTH, CARBON_YEAR };

/* "day" | "week" | "month" | "year" -> *p. Returns 0, or -1 for anything else. */
int carbon_period_parse(const char *s, enum carbon_period *p);
const char *carbon_period_name(enum carbon_period p);

/* The period containing a date, all as UTC dates "YYYY-MM-DD": it covers the instants
 * [start 00:00:00Z, next 00:00:00Z); last is its last day (next - 1 day); the previous
 * period is [prev_start, start). Weeks are ISO weeks (Monday to Sunday). */
struct carbon_bounds {
    char start[CARBON_DATE_LEN + 1];
    char last[CARBON_DATE_LEN + 1];
    char next[CARBON_DATE_LEN + 1];
    char prev_start[CARBON_DATE_LEN + 1];
};

/* Fills *b for the period p around date ("YYYY-MM-DD", years CARBON_YEAR_MIN..CARBON_YEAR_MAX).
 * Returns 0, or -1 when date is not a valid calendar date in that range. */
#define CARBON_YEAR_MIN 1901
#define CARBON_YEAR_MAX 9998
int carbon_period_bounds(enum carbon_period p, const char *date, struct carbon_bounds *b);

/* Percentage change from prev to cur, rounded half away from zero to 2 decimals.
 * Returns 0 and sets *pct, or -1 when prev is 0 (no meaningful change: the API says null). */
int carbon_change_pct(double cur, double prev, double *pct);

/* Parses an RFC 3339 timestamp ("2026-11-25T12:00:00Z", "...T12:00:00.25+07:00"; 'T' or
 * 't', 'Z' or 'z' or a numeric offset; a fraction is accepted and dropped) into seconds
 * since the epoch. Returns 0, or -1 when malformed or not a real calendar time. */
int carbon_parse_time(const char *s, long long *epoch);

/* Formats epoch seconds as "YYYY-MM-DDTHH:MM:SSZ" (years 0..9999). */
void carbon_format_time(long long epoch, char out[CARBON_TIME_LEN + 1]);

#endif
