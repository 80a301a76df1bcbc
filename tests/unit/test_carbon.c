/* test_carbon.c - unit tests for user-service/carbon/carbon.c: the factor table, trip kg and its
 * rounding, eco trips, ranks, summary periods and RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "carbon.h"

#define KG_EPS 1e-9

/* The contract, written out once more by hand: every allowed pair with its factor and unit. */
static const struct {
    const char *vehicle, *fuel;
    double factor;
    int per_vehicle;
} expected[] = {
    {"car", "petrol", 0.171, 1},      {"car", "diesel", 0.158, 1},       {"car", "electric", 0.053, 1},
    {"car", "hybrid", 0.112, 1},      {"motorbike", "petrol", 0.103, 0}, {"motorbike", "electric", 0.024, 0},
    {"bus", "petrol", 0.089, 0},      {"bus", "diesel", 0.082, 0},       {"bus", "electric", 0.027, 0},
    {"bus", "hybrid", 0.056, 0},      {"metro", "electric", 0.0278, 0},  {"train", "diesel", 0.0355, 0},
    {"train", "electric", 0.0355, 0}, {"walk_or_cycle", "none", 0.0, 0},
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

static void test_table_has_exactly_the_expected_pairs(void **state)
{
    (void)state;
    assert_int_equal(carbon_nfactors, NEXPECTED);
    for (size_t i = 0; i < NEXPECTED; i++) {
        const struct carbon_factor *f = carbon_factor_find(expected[i].vehicle, expected[i].fuel);
        double v = -1;
        assert_non_null(f);
        assert_int_equal(carbon_factor(expected[i].vehicle, expected[i].fuel, &v), 0);
        assert_true(fabs(v - expected[i].factor) < KG_EPS);
        assert_int_equal(f->unit, expected[i].per_vehicle ? CARBON_PER_VEHICLE_KM : CARBON_PER_PASSENGER_KM);
        assert_string_equal(carbon_unit_name(f->unit), expected[i].per_vehicle ? "vehicle-km" : "passenger-km");
        assert_non_null(f->source);
        assert_true(strlen(f->source) > 10);
    }
}

static void test_every_pair_kg_for_ten_km(void **state)
{
    (void)state;
    for (size_t i = 0; i < NEXPECTED; i++) {
        double kg = carbon_trip_kg(expected[i].vehicle, expected[i].fuel, 10.0, 0);
        double want = round(expected[i].factor * 10.0 * 1000.0) / 1000.0;
        assert_true(fabs(kg - want) < KG_EPS);
    }
    /* by hand, a few: */
    assert_true(fabs(carbon_trip_kg("car", "petrol", 10, 0) - 1.71) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("metro", "electric", 10, 0) - 0.278) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("train", "diesel", 100, 0) - 3.55) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("walk_or_cycle", "none", 12.5, 0) - 0.0) < KG_EPS);
}

static void test_every_impossible_pair_is_rejected(void **state)
{
    double v = 123;
    int allowed = 0;

    (void)state;
    for (int a = 0; carbon_vehicle_types[a]; a++) {
        for (int b = 0; carbon_fuel_types[b]; b++) {
            int in_table = 0;
            for (size_t i = 0; i < NEXPECTED; i++)
                in_table |= strcmp(expected[i].vehicle, carbon_vehicle_types[a]) == 0 &&
                            strcmp(expected[i].fuel, carbon_fuel_types[b]) == 0;
            if (in_table) {
                allowed++;
                continue;
            }
            assert_null(carbon_factor_find(carbon_vehicle_types[a], carbon_fuel_types[b]));
            assert_int_equal(carbon_factor(carbon_vehicle_types[a], carbon_fuel_types[b], &v), -1);
            assert_true(carbon_trip_kg(carbon_vehicle_types[a], carbon_fuel_types[b], 10, 1) < 0);
        }
    }
    assert_int_equal(allowed, NEXPECTED);
    assert_true(v == 123); /* untouched on failure */
    assert_int_equal(carbon_factor("walk_or_cycle", "diesel", &v), -1);
    assert_int_equal(carbon_factor("metro", "petrol", &v), -1);
    assert_int_equal(carbon_factor("plane", "petrol", &v), -1);
    assert_int_equal(carbon_factor(NULL, "petrol", &v), -1);
}

static void test_distance_out_of_range_is_rejected(void **state)
{
    (void)state;
    assert_true(carbon_trip_kg("car", "petrol", 0, 0) < 0);
    assert_true(carbon_trip_kg("car", "petrol", -1, 0) < 0);
    assert_true(carbon_trip_kg("car", "petrol", 20000.001, 0) < 0);
    assert_true(carbon_trip_kg("car", "petrol", NAN, 0) < 0);
    assert_true(fabs(carbon_trip_kg("car", "petrol", 20000, 0) - 3420.0) < KG_EPS);
}

static void test_car_is_divided_by_passengers_and_others_are_not(void **state)
{
    (void)state;
    assert_true(fabs(carbon_trip_kg("car", "petrol", 100, 4) - 4.275) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("car", "petrol", 100, 1) - 17.1) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("car", "petrol", 100, 0) - 17.1) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("car", "diesel", 10, 3) - 0.527) < KG_EPS); /* 0.52666.. */
    assert_true(fabs(carbon_trip_kg("bus", "diesel", 100, 4) - 8.2) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("motorbike", "petrol", 100, 2) - 10.3) < KG_EPS);
}

static void test_rounding_is_half_away_from_zero_at_the_gram(void **state)
{
    (void)state;
    /* 0.0278 x 2.5 = 0.0695 and 0.0355 x 3 = 0.1065 on paper, x.49999999 grams in binary */
    assert_true(fabs(carbon_trip_kg("metro", "electric", 2.5, 0) - 0.070) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("train", "electric", 3.0, 0) - 0.107) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("car", "petrol", 2.5, 0) - 0.428) < KG_EPS);
    assert_true(fabs(carbon_round_kg(0.0004999) - 0.0) < KG_EPS);
    assert_true(fabs(carbon_round_kg(0.0005) - 0.001) < KG_EPS);
    assert_true(fabs(carbon_round_kg(1.2344) - 1.234) < KG_EPS);
    assert_true(fabs(carbon_round_kg(1.2345) - 1.235) < KG_EPS);
    assert_true(fabs(carbon_round_kg(-1.2345) + 1.235) < KG_EPS);
    assert_true(fabs(carbon_trip_kg("metro", "electric", 0.01, 0) - 0.0) < KG_EPS);   /* 0.000278 */
    assert_true(fabs(carbon_trip_kg("metro", "electric", 0.02, 0) - 0.001) < KG_EPS); /* 0.000556 */
}

static void test_eco_trip_classification(void **state)
{
    (void)state;
    assert_true(carbon_is_eco_trip("walk_or_cycle", "none"));
    assert_true(carbon_is_eco_trip("car", "electric"));
    assert_true(carbon_is_eco_trip("motorbike", "electric"));
    assert_true(carbon_is_eco_trip("bus", "diesel"));
    assert_true(carbon_is_eco_trip("bus", "petrol"));
    assert_true(carbon_is_eco_trip("metro", "electric"));
    assert_true(carbon_is_eco_trip("train", "diesel"));
    assert_false(carbon_is_eco_trip("car", "petrol"));
    assert_false(carbon_is_eco_trip("car", "diesel"));
    assert_false(carbon_is_eco_trip("car", "hybrid"));
    assert_false(carbon_is_eco_trip("motorbike", "petrol"));
    assert_false(carbon_is_eco_trip(NULL, "electric"));
}

static void test_rank_thresholds(void **state)
{
    (void)state;
    assert_string_equal(carbon_rank(0), "Bronze");
    assert_string_equal(carbon_rank(500), "Bronze");
    assert_string_equal(carbon_rank(501), "Silver");
    assert_string_equal(carbon_rank(2000), "Silver");
    assert_string_equal(carbon_rank(2001), "Gold");
    assert_string_equal(carbon_rank(5000), "Gold");
    assert_string_equal(carbon_rank(5001), "Platinum");
    assert_string_equal(carbon_rank(10000), "Platinum");
    assert_string_equal(carbon_rank(10001), "Diamond");
    assert_string_equal(carbon_rank(1000000000LL), "Diamond");
}

static void test_next_rank(void **state)
{
    long long at = -1;

    (void)state;
    assert_string_equal(carbon_next_rank(0, &at), "Silver");
    assert_int_equal(at, 501);
    assert_string_equal(carbon_next_rank(500, &at), "Silver");
    assert_int_equal(at, 501);
    assert_string_equal(carbon_next_rank(501, &at), "Gold");
    assert_int_equal(at, 2001);
    assert_string_equal(carbon_next_rank(5000, &at), "Platinum");
    assert_int_equal(at, 5001);
    assert_string_equal(carbon_next_rank(10000, &at), "Diamond");
    assert_int_equal(at, 10001);
    /* each next rank is what carbon_rank says at its threshold */
    for (long long p = 0; p <= 10000; p += 250) {
        const char *next = carbon_next_rank(p, &at);
        assert_string_equal(carbon_rank(at), next);
        assert_string_equal(carbon_rank(at - 1), carbon_rank(p));
    }
    assert_null(carbon_next_rank(10001, &at));
    assert_null(carbon_next_rank(1000000000LL, &at));
}

static void test_default_fuel(void **state)
{
    (void)state;
    for (const char *const *v = carbon_vehicle_types; *v; v++)
        assert_non_null(carbon_factor_find(*v, carbon_default_fuel(*v)));
    assert_string_equal(carbon_default_fuel("bus"), "diesel");
    assert_string_equal(carbon_default_fuel("train"), "electric");
    assert_null(carbon_default_fuel("plane"));
    assert_null(carbon_default_fuel(NULL));
}

static void expect_bounds(enum carbon_period p, const char *date, const char *start, const char *last, const char *next,
                          const char *prev)
{
    struct carbon_bounds b;

    assert_int_equal(carbon_period_bounds(p, date, &b), 0);
    assert_string_equal(b.start, start);
    assert_string_equal(b.last, last);
    assert_string_equal(b.next, next);
    assert_string_equal(b.prev_start, prev);
}

static void test_iso_week_starts_monday_and_sunday_ends_it(void **state)
{
    (void)state;
    /* 2026-11-29 is a Sunday, 2026-11-30 a Monday: different ISO weeks. */
    expect_bounds(CARBON_WEEK, "2026-11-29", "2026-11-23", "2026-11-29", "2026-11-30", "2026-11-16");
    expect_bounds(CARBON_WEEK, "2026-11-30", "2026-11-30", "2026-12-06", "2026-12-07", "2026-11-23");
    expect_bounds(CARBON_WEEK, "2026-11-23", "2026-11-23", "2026-11-29", "2026-11-30", "2026-11-16");
    /* across a year end: 2025-12-31 is a Wednesday, ISO week 2026-W01 starts 2025-12-29 */
    expect_bounds(CARBON_WEEK, "2026-01-01", "2025-12-29", "2026-01-04", "2026-01-05", "2025-12-22");
    /* dates before 1970 (negative day numbers) */
    expect_bounds(CARBON_WEEK, "1969-12-31", "1969-12-29", "1970-01-04", "1970-01-05", "1969-12-22");
}

static void test_day_month_year_edges_and_leap_day(void **state)
{
    (void)state;
    expect_bounds(CARBON_DAY, "2026-03-01", "2026-03-01", "2026-03-01", "2026-03-02", "2026-02-28");
    expect_bounds(CARBON_DAY, "2024-03-01", "2024-03-01", "2024-03-01", "2024-03-02", "2024-02-29");
    expect_bounds(CARBON_DAY, "2026-12-31", "2026-12-31", "2026-12-31", "2027-01-01", "2026-12-30");
    expect_bounds(CARBON_MONTH, "2024-02-29", "2024-02-01", "2024-02-29", "2024-03-01", "2024-01-01");
    expect_bounds(CARBON_MONTH, "2026-02-10", "2026-02-01", "2026-02-28", "2026-03-01", "2026-01-01");
    expect_bounds(CARBON_MONTH, "2026-01-31", "2026-01-01", "2026-01-31", "2026-02-01", "2025-12-01");
    expect_bounds(CARBON_MONTH, "2026-12-01", "2026-12-01", "2026-12-31", "2027-01-01", "2026-11-01");
    expect_bounds(CARBON_YEAR, "2024-02-29", "2024-01-01", "2024-12-31", "2025-01-01", "2023-01-01");
    expect_bounds(CARBON_YEAR, "2000-12-31", "2000-01-01", "2000-12-31", "2001-01-01", "1999-01-01");
}

static void test_bad_dates_and_periods_are_refused(void **state)
{
    struct carbon_bounds b;
    enum carbon_period p;

    (void)state;
    assert_int_equal(carbon_period_bounds(CARBON_DAY, "2026-02-29", &b), -1);
    assert_int_equal(carbon_period_bounds(CARBON_DAY, "2100-02-29", &b), -1);
    assert_int_equal(carbon_period_bounds(CARBON_DAY, "2026-13-01", &b), -1);
    assert_int_equal(carbon_period_bounds(CARBON_DAY, "2026-1-01", &b), -1);
    assert_int_equal(carbon_period_bounds(CARBON_DAY, "2026-01-011", &b), -1);
    assert_int_equal(carbon_period_bounds(CARBON_DAY, "9999-12-31", &b), -1);
    assert_int_equal(carbon_period_bounds(CARBON_DAY, NULL, &b), -1);
    assert_int_equal(carbon_period_parse("week", &p), 0);
    assert_int_equal(p, CARBON_WEEK);
    assert_string_equal(carbon_period_name(CARBON_YEAR), "year");
    assert_int_equal(carbon_period_parse("Week", &p), -1);
    assert_int_equal(carbon_period_parse("fortnight", &p), -1);
}

static void test_change_pct(void **state)
{
    double pct = 0;

    (void)state;
    assert_int_equal(carbon_change_pct(5, 0, &pct), -1);
    assert_int_equal(carbon_change_pct(0, 0, &pct), -1);
    assert_int_equal(carbon_change_pct(15, 10, &pct), 0);
    assert_true(fabs(pct - 50.0) < KG_EPS);
    assert_int_equal(carbon_change_pct(0, 10, &pct), 0);
    assert_true(fabs(pct + 100.0) < KG_EPS);
    assert_int_equal(carbon_change_pct(1, 3, &pct), 0);
    assert_true(fabs(pct + 66.67) < KG_EPS);
}

static void test_rfc3339_parse_and_format(void **state)
{
    char out[CARBON_TIME_LEN + 1];
    long long t = 0;

    (void)state;
    assert_int_equal(carbon_parse_time("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(carbon_parse_time("2026-11-29T23:59:59Z", &t), 0);
    carbon_format_time(t, out);
    assert_string_equal(out, "2026-11-29T23:59:59Z");
    assert_int_equal(carbon_parse_time("2026-11-30T06:59:59.999+07:00", &t), 0);
    carbon_format_time(t, out);
    assert_string_equal(out, "2026-11-29T23:59:59Z");
    assert_int_equal(carbon_parse_time("2026-11-29t20:00:00-04:00", &t), 0);
    carbon_format_time(t, out);
    assert_string_equal(out, "2026-11-30T00:00:00Z");
    assert_int_equal(carbon_parse_time("2024-02-29T12:00:00z", &t), 0);
    assert_int_equal(carbon_parse_time("2026-02-29T12:00:00Z", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29 23:59:59Z", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29T24:00:00Z", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29T23:59:60Z", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29T23:59:59", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29T23:59:59.Z", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29T23:59:59+0700", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29T23:59:59Zjunk", &t), -1);
    assert_int_equal(carbon_parse_time("2026-11-29", &t), -1);
    assert_int_equal(carbon_parse_time("", &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_has_exactly_the_expected_pairs),
        cmocka_unit_test(test_every_pair_kg_for_ten_km),
        cmocka_unit_test(test_every_impossible_pair_is_rejected),
        cmocka_unit_test(test_distance_out_of_range_is_rejected),
        cmocka_unit_test(test_car_is_divided_by_passengers_and_others_are_not),
        cmocka_unit_test(test_rounding_is_half_away_from_zero_at_the_gram),
        cmocka_unit_test(test_eco_trip_classification),
        cmocka_unit_test(test_rank_thresholds),
        cmocka_unit_test(test_next_rank),
        cmocka_unit_test(test_default_fuel),
        cmocka_unit_test(test_iso_week_starts_monday_and_sunday_ends_it),
        cmocka_unit_test(test_day_month_year_edges_and_leap_day),
        cmocka_unit_test(test_bad_dates_and_periods_are_refused),
        cmocka_unit_test(test_change_pct),
        cmocka_unit_test(test_rfc3339_parse_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
