/* geo: haversine distances. */
#include "geo.h"

#include <math.h>

#define DEG_TO_RAD (3.14159265358979323846 / 180.0)

double geo_great_circle_km(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG_TO_RAD, p2 = lat2 * DEG_TO_RAD;
    double dp = (lat2 - lat1) * DEG_TO_RAD, dl = (lon2 - lon1) * DEG_TO_RAD;
    double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);

    if (a > 1.0) /* rounding near antipodes */
        a = 1.0;
    return 2.0 * GEO_EARTH_RADIUS_KM * asin(sqrt(a));
}

double geo_trip_km(double lat1, double lon1, double lat2, double lon2)
{
    return geo_great_circle_km(lat1, lon1, lat2, lon2) * GEO_ROAD_FACTOR;
}
