/* civil: proleptic Gregorian calendar dates as day numbers, for date arithmetic without
 * time zones or libc's time_t range (the algorithms of H. Hinnant's "chrono-Compatible
 * Low-Level Date Algorithms", written out here). */
#ifndef ECOMOVEX_CIVIL_H
#define ECOMOVEX_CIVIL_H

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). */
long long civil_days(long long y, int m, int d);

/* The date of day number z (the inverse of civil_days). */
void civil_from_days(long long z, long long *y, int *m, int *d);

/* 1 when y is a leap year. */
int civil_is_leap(long long y);

/* Day number of a date already checked to be "YYYY-MM-DD" (json_get_date's format). */
long long civil_days_of_text(const char *ymd);

#endif
