/* destinations_fields: the writable fields of a destination, read from a request body and
 * validated as docs/openapi.yaml (tag destinations) says. Pure (cJSON in, struct out): unit-tested. */
#ifndef DESTINATIONS_FIELDS_H
#define DESTINATIONS_FIELDS_H

#include <cjson/cJSON.h>

#include "problem.h"

#define DEST_NAME_MAX 200
#define DEST_ADDRESS_MAX 500
#define DEST_DESCRIPTION_MAX 5000
#define DEST_LAT_MAX 90.0
#define DEST_LON_MAX 180.0

/* Bits of struct dest_fields.present: which fields the body carried (null included). */
#define DF_NAME 0x01u
#define DF_LATITUDE 0x02u
#define DF_LONGITUDE 0x04u
#define DF_CATEGORY 0x08u
#define DF_ADDRESS 0x10u
#define DF_DESCRIPTION 0x20u
#define DF_GREEN 0x40u

enum dest_fields_mode {
    DEST_FIELDS_CREATE, /* name, latitude and longitude are required */
    DEST_FIELDS_PATCH,  /* any subset; none required */
};

/* Validated values. Strings point into the cJSON body they were read from (trimmed in
 * place) and live as long as it; a present nullable field that is NULL was JSON null. */
struct dest_fields {
    unsigned present;
    const char *name;
    double latitude, longitude;
    const char *category;
    const char *address;
    const char *description;
    int green_certified;
};

/* The allowed categories, NULL-terminated. */
extern const char *const dest_categories[];

/* 1 if s is one of dest_categories. */
int destinations_category_valid(const char *s);

/* 1 if q has a search word of at least 2 characters: a run of ASCII letters or digits or
 * non-ASCII characters (counted in code points), split by anything else (spaces,
 * punctuation, LIKE's % and _). A q without one would match most of the catalogue. */
int destinations_query_has_word(const char *q);

/* Reads every known field of body into f; unknown fields are ignored. Every invalid field
 * (wrong type, out of range, null where not allowed, missing when required) is added to fe.
 * Returns 0 when all are valid, -1 otherwise. */
int destinations_fields_read(cJSON *body, enum dest_fields_mode mode, struct dest_fields *f, struct field_errors *fe);

/* The present fields of f as a new JSON object (caller deletes), null for null: the patch
 * document the store applies. NULL when out of memory. */
cJSON *destinations_fields_json(const struct dest_fields *f);

#endif
