/* destinations_fields: validating a destination's writable fields. */
#include "destinations_fields.h"

#include <ctype.h>
#include <string.h>

#include "json.h"

const char *const dest_categories[] = {"attraction", "restaurant", "accommodation", "transport", "other", NULL};

int destinations_category_valid(const char *s)
{
    for (int i = 0; dest_categories[i]; i++)
        if (strcmp(s, dest_categories[i]) == 0)
            return 1;
    return 0;
}

/* Marks bit in f->present when the getter found the field (a value or null). */
static void mark(struct dest_fields *f, unsigned bit, enum json_got g)
{
    if (g == JSON_OK || g == JSON_NULL)
        f->present |= bit;
}

/* An optional text field: absent, null, or 0..max characters (trimmed). */
static void read_text(cJSON *body, const char *name, size_t max, unsigned bit, const char **out, struct dest_fields *f,
                      struct field_errors *fe)
{
    *out = NULL;
    mark(f, bit, json_get_str(body, name, JF_NULLABLE, 0, max, out, fe));
}

int destinations_fields_read(cJSON *body, enum dest_fields_mode mode, struct dest_fields *f, struct field_errors *fe)
{
    unsigned req = mode == DEST_FIELDS_CREATE ? JF_REQUIRED : 0;
    int before = fe->n, cat = -1;
    enum json_got g;

    memset(f, 0, sizeof *f);
    mark(f, DF_NAME, json_get_str(body, "name", req, 1, DEST_NAME_MAX, &f->name, fe));
    mark(f, DF_LATITUDE, json_get_num(body, "latitude", req, -DEST_LAT_MAX, DEST_LAT_MAX, &f->latitude, fe));
    mark(f, DF_LONGITUDE, json_get_num(body, "longitude", req, -DEST_LON_MAX, DEST_LON_MAX, &f->longitude, fe));
    g = json_get_enum(body, "category", JF_NULLABLE, dest_categories, &cat, fe);
    mark(f, DF_CATEGORY, g);
    f->category = g == JSON_OK ? dest_categories[cat] : NULL;
    read_text(body, "address", DEST_ADDRESS_MAX, DF_ADDRESS, &f->address, f, fe);
    read_text(body, "description", DEST_DESCRIPTION_MAX, DF_DESCRIPTION, &f->description, f, fe);
    mark(f, DF_GREEN, json_get_bool(body, "green_certified", 0, &f->green_certified, fe));
    return fe->n == before ? 0 : -1;
}

/* Adds s, or null when s is NULL. Returns 0, or -1 when out of memory. */
static int add_text(cJSON *o, const char *name, const char *s)
{
    return (s ? cJSON_AddStringToObject(o, name, s) : cJSON_AddNullToObject(o, name)) ? 0 : -1;
}

cJSON *destinations_fields_json(const struct dest_fields *f)
{
    cJSON *o = cJSON_CreateObject();
    int bad = !o;

    if (!bad && (f->present & DF_NAME))
        bad |= add_text(o, "name", f->name);
    if (!bad && (f->present & DF_LATITUDE))
        bad |= !cJSON_AddNumberToObject(o, "latitude", f->latitude);
    if (!bad && (f->present & DF_LONGITUDE))
        bad |= !cJSON_AddNumberToObject(o, "longitude", f->longitude);
    if (!bad && (f->present & DF_CATEGORY))
        bad |= add_text(o, "category", f->category);
    if (!bad && (f->present & DF_ADDRESS))
        bad |= add_text(o, "address", f->address);
    if (!bad && (f->present & DF_DESCRIPTION))
        bad |= add_text(o, "description", f->description);
    if (!bad && (f->present & DF_GREEN))
        bad |= !cJSON_AddBoolToObject(o, "green_certified", f->green_certified);
    if (bad) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int destinations_query_has_word(const char *q)
{
    int run = 0;

    for (const unsigned char *c = (const unsigned char *)q; *c; c++) {
        if ((*c & 0xC0) == 0x80)
            continue; /* a UTF-8 continuation byte: part of the character before */
        if (*c >= 0x80 || isalnum(*c)) {
            if (++run >= 2)
                return 1;
        } else {
            run = 0;
        }
    }
    return 0;
}
