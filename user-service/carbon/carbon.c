/* carbon: the emission factor table and the pure arithmetic of trips, ranks and periods. */
#include "carbon.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "civil.h"

#define GRAMS_PER_KG 1000.0
#define ROUNDING_TOLERANCE_G 1e-6 /* in units of the last kept decimal: far above double's error */
#define PCT_SCALE 100.0           /* 2 decimals */
#define PERCENT 100.0
#define SECONDS_PER_DAY 86400LL
#define SECONDS_PER_HOUR 3600LL
#define SECONDS_PER_MINUTE 60LL
#define DAYS_PER_WEEK 7
#define ISO_MONDAY 1 /* weekday numbers: 0 = Sunday ... 6 = Saturday */

/* Sources, named once (docs/carbon.md says more). */
#define SRC_ORIGINAL "EcomoveX original local factor table (per km)"
#define SRC_UK_2023_UNDERGROUND                                                                                        \
    "UK Government GHG Conversion Factors for Company Reporting 2023 (DESNZ), Business travel - land, "                \
    "Rail: London Underground"
#define SRC_UK_2023_RAIL                                                                                               \
    "UK Government GHG Conversion Factors for Company Reporting 2023 (DESNZ), Business travel - land, "                \
    "Rail: National rail (fleet average, no fuel split)"
#define SRC_ACTIVE "Active travel: no tailpipe emissions"

const char *const carbon_vehicle_types[] = {"car", "motorbike", "bus", "metro", "train", "walk_or_cycle", NULL};
_Static_assert(sizeof carbon_vehicle_types / sizeof carbon_vehicle_types[0] == CARBON_NVEHICLES + 1,
               "CARBON_NVEHICLES must match carbon_vehicle_types");
const char *const carbon_fuel_types[] = {"petrol", "diesel", "electric", "hybrid", "none", NULL};

const struct carbon_factor carbon_factors[] = {
    {"car", "petrol", 0.171, CARBON_PER_VEHICLE_KM, SRC_ORIGINAL},
    {"car", "diesel", 0.158, CARBON_PER_VEHICLE_KM, SRC_ORIGINAL},
    {"car", "electric", 0.053, CARBON_PER_VEHICLE_KM, SRC_ORIGINAL},
    {"car", "hybrid", 0.112, CARBON_PER_VEHICLE_KM, SRC_ORIGINAL},
    {"motorbike", "petrol", 0.103, CARBON_PER_PASSENGER_KM, SRC_ORIGINAL},
    {"motorbike", "electric", 0.024, CARBON_PER_PASSENGER_KM, SRC_ORIGINAL},
    {"bus", "petrol", 0.089, CARBON_PER_PASSENGER_KM, SRC_ORIGINAL},
    {"bus", "diesel", 0.082, CARBON_PER_PASSENGER_KM, SRC_ORIGINAL},
    {"bus", "electric", 0.027, CARBON_PER_PASSENGER_KM, SRC_ORIGINAL},
    {"bus", "hybrid", 0.056, CARBON_PER_PASSENGER_KM, SRC_ORIGINAL},
    {"metro", "electric", 0.0278, CARBON_PER_PASSENGER_KM, SRC_UK_2023_UNDERGROUND},
    {"train", "diesel", 0.0355, CARBON_PER_PASSENGER_KM, SRC_UK_2023_RAIL},
    {"train", "electric", 0.0355, CARBON_PER_PASSENGER_KM, SRC_UK_2023_RAIL},
    {"walk_or_cycle", "none", 0.0, CARBON_PER_PASSENGER_KM, SRC_ACTIVE},
};
const size_t carbon_nfactors = sizeof carbon_factors / sizeof carbon_factors[0];

const char *carbon_unit_name(enum carbon_unit u)
{
    return u == CARBON_PER_VEHICLE_KM ? "vehicle-km" : "passenger-km";
}

const struct carbon_factor *carbon_factor_find(const char *vehicle, const char *fuel)
{
    if (!vehicle || !fuel)
        return NULL;
    for (size_t i = 0; i < carbon_nfactors; i++)
        if (strcmp(carbon_factors[i].vehicle_type, vehicle) == 0 && strcmp(carbon_factors[i].fuel_type, fuel) == 0)
            return &carbon_factors[i];
    return NULL;
}

int carbon_factor(const char *vehicle, const char *fuel, double *factor)
{
    const struct carbon_factor *f = carbon_factor_find(vehicle, fuel);

    if (!f)
        return -1;
    *factor = f->kg_co2e_per_km;
    return 0;
}

/* Rounds v to an integer, half away from zero, with the tolerance for binary fractions. */
static double round_half_away(double v)
{
    return v < 0 ? -floor(-v + 0.5 + ROUNDING_TOLERANCE_G) : floor(v + 0.5 + ROUNDING_TOLERANCE_G);
}

double carbon_round_kg(double kg)
{
    return round_half_away(kg * GRAMS_PER_KG) / GRAMS_PER_KG;
}

double carbon_trip_kg(const char *vehicle, const char *fuel, double distance_km, int passengers)
{
    const struct carbon_factor *f = carbon_factor_find(vehicle, fuel);
    double kg;

    if (!f || !isfinite(distance_km) || distance_km <= 0 || distance_km > CARBON_DISTANCE_MAX_KM)
        return -1.0;
    kg = f->kg_co2e_per_km * distance_km;
    if (f->unit == CARBON_PER_VEHICLE_KM && passengers > 1)
        kg /= passengers;
    return carbon_round_kg(kg);
}

int carbon_is_eco_trip(const char *vehicle, const char *fuel)
{
    static const char *const eco_vehicles[] = {"walk_or_cycle", "bus", "metro", "train"};

    if (!vehicle || !fuel)
        return 0;
    if (strcmp(fuel, "electric") == 0)
        return 1;
    for (size_t i = 0; i < sizeof eco_vehicles / sizeof eco_vehicles[0]; i++)
        if (strcmp(vehicle, eco_vehicles[i]) == 0)
            return 1;
    return 0;
}

/* The ranks below the top one, each with the most points it holds. */
static const struct {
    long long max;
    const char *name;
} ranks[] = {{500, "Bronze"}, {2000, "Silver"}, {5000, "Gold"}, {10000, "Platinum"}};
#define NRANKS (sizeof ranks / sizeof ranks[0])
#define TOP_RANK "Diamond"

const char *carbon_rank(long long points)
{
    for (size_t i = 0; i < NRANKS; i++)
        if (points <= ranks[i].max)
            return ranks[i].name;
    return TOP_RANK;
}

const char *carbon_next_rank(long long points, long long *at)
{
    for (size_t i = 0; i < NRANKS; i++)
        if (points <= ranks[i].max) {
            *at = ranks[i].max + 1;
            return i + 1 < NRANKS ? ranks[i + 1].name : TOP_RANK;
        }
    return NULL;
}

const char *carbon_default_fuel(const char *vehicle)
{
    static const char *const pairs[][2] = {{"car", "petrol"},     {"motorbike", "petrol"}, {"bus", "diesel"},
                                           {"metro", "electric"}, {"train", "electric"},   {"walk_or_cycle", "none"}};

    for (size_t i = 0; vehicle && i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(vehicle, pairs[i][0]) == 0)
            return pairs[i][1];
    return NULL;
}

/* ---- dates ---- */

static const char *const period_names[] = {"day", "week", "month", "year"};

int carbon_period_parse(const char *s, enum carbon_period *p)
{
    for (int i = 0; s && i < (int)(sizeof period_names / sizeof period_names[0]); i++)
        if (strcmp(s, period_names[i]) == 0) {
            *p = (enum carbon_period)i;
            return 0;
        }
    return -1;
}

const char *carbon_period_name(enum carbon_period p)
{
    return period_names[p];
}

static int days_in_month(long long y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && civil_is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n decimal digits at s. Returns the value, or -1. */
static long long digits(const char *s, int n)
{
    long long v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parses "YYYY-MM-DD" at s (exactly 10 characters used). Returns 0, or -1. */
static int parse_date(const char *s, long long *y, int *m, int *d)
{
    if (strlen(s) < CARBON_DATE_LEN || s[4] != '-' || s[7] != '-')
        return -1;
    *y = digits(s, 4);
    *m = (int)digits(s + 5, 2);
    *d = (int)digits(s + 8, 2);
    if (*y < 0 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

/* Writes the last n decimal digits of v >= 0 at out, zero-padded. */
static void put_digits(char *out, long long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

static void format_day(long long days, char out[CARBON_DATE_LEN + 1])
{
    long long y;
    int m, d;

    civil_from_days(days, &y, &m, &d);
    put_digits(out, y, 4); /* callers keep years within 0..9999 */
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[CARBON_DATE_LEN] = '\0';
}

/* 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday(long long days)
{
    return (int)(((days + 4) % DAYS_PER_WEEK + DAYS_PER_WEEK) % DAYS_PER_WEEK);
}

int carbon_period_bounds(enum carbon_period p, const char *date, struct carbon_bounds *b)
{
    long long y, day, start, next, prev;
    int m, d, dow;

    if (!date || strlen(date) != CARBON_DATE_LEN || parse_date(date, &y, &m, &d) < 0 || y < CARBON_YEAR_MIN ||
        y > CARBON_YEAR_MAX)
        return -1;
    day = civil_days(y, m, d);
    switch (p) {
    case CARBON_DAY:
        start = day;
        next = day + 1;
        prev = day - 1;
        break;
    case CARBON_WEEK:
        dow = weekday(day);
        start = day - (dow + DAYS_PER_WEEK - ISO_MONDAY) % DAYS_PER_WEEK;
        next = start + DAYS_PER_WEEK;
        prev = start - DAYS_PER_WEEK;
        break;
    case CARBON_MONTH:
        start = civil_days(y, m, 1);
        next = m == 12 ? civil_days(y + 1, 1, 1) : civil_days(y, m + 1, 1);
        prev = m == 1 ? civil_days(y - 1, 12, 1) : civil_days(y, m - 1, 1);
        break;
    case CARBON_YEAR:
        start = civil_days(y, 1, 1);
        next = civil_days(y + 1, 1, 1);
        prev = civil_days(y - 1, 1, 1);
        break;
    default: return -1;
    }
    format_day(start, b->start);
    format_day(next - 1, b->last);
    format_day(next, b->next);
    format_day(prev, b->prev_start);
    return 0;
}

int carbon_change_pct(double cur, double prev, double *pct)
{
    if (prev == 0)
        return -1;
    *pct = round_half_away((cur - prev) / prev * PERCENT * PCT_SCALE) / PCT_SCALE;
    return 0;
}

/* ---- RFC 3339 ---- */

int carbon_parse_time(const char *s, long long *epoch)
{
    long long y, hh, mi, ss, oh, om, offset = 0;
    int m, d;
    const char *p;

    if (!s || parse_date(s, &y, &m, &d) < 0 || (s[10] != 'T' && s[10] != 't'))
        return -1;
    p = s + 11;
    hh = digits(p, 2);
    if (hh < 0 || p[2] != ':' || (mi = digits(p + 3, 2)) < 0 || p[5] != ':' || (ss = digits(p + 6, 2)) < 0)
        return -1;
    /* 60 would be a leap second: real in RFC 3339 but unrepresentable here; refuse it. */
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    p += 8;
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return -1;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && (oh = digits(p + 1, 2)) >= 0 && p[3] == ':' &&
               (om = digits(p + 4, 2)) >= 0 && p[6] == '\0' && oh <= 23 && om <= 59) {
        offset = (oh * SECONDS_PER_HOUR + om * SECONDS_PER_MINUTE) * (*p == '-' ? -1 : 1);
    } else {
        return -1;
    }
    *epoch = civil_days(y, m, d) * SECONDS_PER_DAY + hh * SECONDS_PER_HOUR + mi * SECONDS_PER_MINUTE + ss - offset;
    return 0;
}

void carbon_format_time(long long epoch, char out[CARBON_TIME_LEN + 1])
{
    time_t t = (time_t)epoch;
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, CARBON_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != CARBON_TIME_LEN)
        out[0] = '\0';
}
