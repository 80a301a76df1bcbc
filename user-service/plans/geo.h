/* geo: distances on the Earth for plan footprints. Pure functions. */
#ifndef GEO_H
#define GEO_H

#define GEO_EARTH_RADIUS_KM 6371.0088 /* IUGG mean radius */
#define GEO_ROAD_FACTOR 1.4           /* road distance ≈ great-circle × 1.4 (docs/reviews-and-plans.md) */

/* Great-circle distance in km between two points given in degrees (haversine). */
double geo_great_circle_km(double lat1, double lon1, double lat2, double lon2);

/* The distance a trip between the points is estimated to cover: great-circle × GEO_ROAD_FACTOR. */
double geo_trip_km(double lat1, double lon1, double lat2, double lon2);

#endif
