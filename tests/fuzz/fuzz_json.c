/* fuzz_json: request bodies through json_body() and the JSON decoders of every area.
 *
 * The whole input is the body of a request sent with Content-Type: application/json. When
 * json_body() accepts it, each area reads it the way its handler does — the same getters,
 * flags, bounds and follow-up checks (destinations_fields_read for destinations, the
 * accounts rules for users and auth, RFC 3339 times for carbon trips, the assistant for
 * messages) — and the collected field errors become a 422 problem, as a handler answers. */
#include <math.h>

#include "fuzz.h"

#include "accounts.h"
#include "assistant.h"
#include "carbon.h"
#include "destinations_fields.h"
#include "exact_int.h"
#include "ids.h"
#include "json.h"
#include "problem.h"
#include "reply.h"
#include "utf8.h"

/* Bounds the handlers use (static in their *_routes.c files). */
#define PLACE_NAME_MAX 255
#define MONEY_MAX 1e12
#define NOTE_MAX 1000
#define POSITION_MAX 10000
#define CONTENT_MAX 5000
#define POINTS_MAX 100000
#define REASON_MAX 200
#define TIME_TEXT_MAX 64
#define MISSION_NAME_MAX 200
#define MISSION_DESCRIPTION_MAX 1000
#define MISSION_VALUE_MAX 100000
#define MESSAGES_CONTENT_MAX 2000
#define SUBJECT_BYTES (ASSISTANT_SUBJECT_MAX * 4 + 1)

static const char *const stop_types[] = {"restaurant", "accommodation", "attraction", "transport", NULL};
static const char *const time_slots[] = {"morning", "afternoon", "evening", NULL};
static const char *const triggers[] = {"manual", "register", "eco_trip", "first_review", "first_plan", NULL};

/* Ends an area like a handler: a 422 naming every bad field. */
static void answer(struct field_errors *fe)
{
    struct reply rp = {0};

    FUZZ_CHECK(fe->n >= 0);
    if (fe->n) {
        problem_fields(&rp, fe);
        FUZZ_CHECK(rp.status == 422 && rp.body != NULL);
    }
    reply_free(&rp);
    memset(fe, 0, sizeof *fe);
}

static void check_str(enum json_got g, const char *s, size_t max_chars)
{
    if (g == JSON_OK)
        FUZZ_CHECK(s && utf8_valid(s, strlen(s)) && utf8_chars(s) <= max_chars);
}

static void destinations(cJSON *body, struct field_errors *fe)
{
    for (int mode = DEST_FIELDS_CREATE; mode <= DEST_FIELDS_PATCH; mode++) {
        struct dest_fields f;
        memset(&f, 0, sizeof f);
        if (destinations_fields_read(body, (enum dest_fields_mode)mode, &f, fe) == 0) {
            cJSON *patch = destinations_fields_json(&f);
            char *text;
            FUZZ_CHECK(patch != NULL);
            if (f.present & DF_LATITUDE)
                FUZZ_CHECK(fabs(f.latitude) <= DEST_LAT_MAX);
            if (f.present & DF_LONGITUDE)
                FUZZ_CHECK(fabs(f.longitude) <= DEST_LON_MAX);
            if ((f.present & DF_CATEGORY) && f.category)
                FUZZ_CHECK(destinations_category_valid(f.category));
            text = cJSON_PrintUnformatted(patch);
            FUZZ_CHECK(text != NULL);
            free(text);
            cJSON_Delete(patch);
        }
        answer(fe);
    }
    {
        long long *ids = NULL;
        size_t n = 0;
        if (json_get_ids(body, "ids", JF_REQUIRED, 1, IDS_MAX, &ids, &n, fe) == JSON_OK) {
            FUZZ_CHECK(n >= 1 && n <= IDS_MAX);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(ids[i] >= 1);
            n = ids_sort_unique(ids, n);
            for (size_t i = 1; i < n; i++)
                FUZZ_CHECK(ids[i - 1] < ids[i]);
            free(ids);
        }
        answer(fe);
    }
}

static void reviews(cJSON *body, struct field_errors *fe)
{
    long long did = 0, rating = 0;
    const char *content = NULL;

    json_get_int(body, "destination_id", JF_REQUIRED, 1, EXACT_INT_MAX, &did, fe);
    if (json_get_int(body, "rating", JF_REQUIRED, 1, 5, &rating, fe) == JSON_OK)
        FUZZ_CHECK(rating >= 1 && rating <= 5);
    check_str(json_get_str(body, "content", 0, 0, CONTENT_MAX, &content, fe), content, CONTENT_MAX);
    answer(fe);
}

static void money(cJSON *body, const char *name, struct field_errors *fe)
{
    char text[32];
    double v;

    if (json_get_num(body, name, JF_NULLABLE, 0, MONEY_MAX, &v, fe) == JSON_OK) {
        FUZZ_CHECK(v >= 0 && v <= MONEY_MAX);
        FUZZ_CHECK(snprintf(text, sizeof text, "%.2f", v) < (int)sizeof text);
    }
}

static void plans(cJSON *body, struct field_errors *fe)
{
    const char *place = NULL, *note = NULL;
    char start[JSON_DATE_LEN + 1] = "", end[JSON_DATE_LEN + 1] = "", visit[JSON_DATE_LEN + 1] = "";
    long long did, position;
    int k;

    for (unsigned req = 0; req <= JF_REQUIRED; req += JF_REQUIRED) {
        check_str(json_get_str(body, "place_name", req, 1, PLACE_NAME_MAX, &place, fe), place, PLACE_NAME_MAX);
        if (json_get_date(body, "start_date", req, start, fe) == JSON_OK)
            FUZZ_CHECK(json_date_valid(start));
        if (json_get_date(body, "end_date", req, end, fe) == JSON_OK)
            FUZZ_CHECK(json_date_valid(end));
        money(body, "budget_limit", fe);
        answer(fe);

        json_get_int(body, "destination_id", JF_REQUIRED, 1, EXACT_INT_MAX, &did, fe);
        if (json_get_enum(body, "type", req, stop_types, &k, fe) == JSON_OK)
            FUZZ_CHECK(k >= 0 && k < 4);
        json_get_date(body, "visit_date", req, visit, fe);
        if (json_get_enum(body, "time_slot", JF_NULLABLE, time_slots, &k, fe) == JSON_OK)
            FUZZ_CHECK(k >= 0 && k < 3);
        json_get_int(body, "position", 0, 0, POSITION_MAX, &position, fe);
        money(body, "estimated_cost", fe);
        check_str(json_get_str(body, "note", JF_NULLABLE, 0, NOTE_MAX, &note, fe), note, NOTE_MAX);
        answer(fe);
    }
}

static void carbon(cJSON *body, struct field_errors *fe)
{
    int vehicle = -1, fuel = -1;
    long long passengers = 1, t;
    double km = 0;
    const char *when = NULL;
    char out[CARBON_TIME_LEN + 1];

    json_get_enum(body, "vehicle_type", JF_REQUIRED, carbon_vehicle_types, &vehicle, fe);
    json_get_enum(body, "fuel_type", JF_REQUIRED, carbon_fuel_types, &fuel, fe);
    if (json_get_num(body, "distance_km", JF_REQUIRED, 0, CARBON_DISTANCE_MAX_KM, &km, fe) == JSON_OK && km <= 0)
        field_error(fe, "distance_km", "must be greater than 0");
    json_get_int(body, "passengers", JF_NULLABLE, CARBON_PASSENGERS_MIN, CARBON_PASSENGERS_MAX, &passengers, fe);
    if (json_get_str(body, "traveled_at", JF_NULLABLE, 1, TIME_TEXT_MAX, &when, fe) == JSON_OK &&
        carbon_parse_time(when, &t) == 0) {
        long long again;
        carbon_format_time(t, out);
        FUZZ_CHECK(strlen(out) <= CARBON_TIME_LEN);
        if (t >= 0 && t < 253402300800LL) { /* years 1970..9999 format as RFC 3339 and read back */
            FUZZ_CHECK(carbon_parse_time(out, &again) == 0 && again == t);
        }
    }
    if (vehicle >= 0 && fuel >= 0 && km > 0 &&
        carbon_factor_find(carbon_vehicle_types[vehicle], carbon_fuel_types[fuel])) {
        double kg = carbon_trip_kg(carbon_vehicle_types[vehicle], carbon_fuel_types[fuel], km, (int)passengers);
        FUZZ_CHECK(isfinite(kg) && kg >= 0);
        (void)carbon_is_eco_trip(carbon_vehicle_types[vehicle], carbon_fuel_types[fuel]);
    }
    answer(fe);
}

static void users_and_auth(cJSON *body, struct field_errors *fe)
{
    const char *email_in = NULL, *why, *pw = NULL, *reason = NULL;
    char email[ACCOUNTS_EMAIL_MAX + 1];
    long long points, media_id;

    /* register */
    accounts_get_str(body, "username", JF_REQUIRED, accounts_username_check, fe);
    if (json_get_str(body, "email", JF_REQUIRED, 0, JSON_BODY_MAX, &email_in, fe) == JSON_OK) {
        if ((why = accounts_email_normalize(email_in, email, sizeof email)) != NULL)
            field_error(fe, "email", "%s", why);
        else
            FUZZ_CHECK(strlen(email) <= ACCOUNTS_EMAIL_MAX && strchr(email, '@'));
    }
    accounts_get_str(body, "password", JF_REQUIRED | JF_NOTRIM, accounts_password_check, fe);
    answer(fe);
    /* login */
    json_get_str(body, "email", JF_REQUIRED, 1, JSON_BODY_MAX, &email_in, fe);
    json_get_str(body, "password", JF_REQUIRED | JF_NOTRIM, 1, JSON_BODY_MAX, &pw, fe);
    answer(fe);
    /* PATCH /users/me, PUT /users/me/password */
    accounts_get_str(body, "username", 0, accounts_username_check, fe);
    json_get_int(body, "avatar_media_id", JF_NULLABLE, 1, EXACT_INT_MAX, &media_id, fe);
    json_get_int(body, "cover_media_id", JF_NULLABLE, 1, EXACT_INT_MAX, &media_id, fe);
    json_get_str(body, "old_password", JF_REQUIRED | JF_NOTRIM, 1, JSON_BODY_MAX, &pw, fe);
    accounts_get_str(body, "new_password", JF_REQUIRED | JF_NOTRIM, accounts_password_check, fe);
    answer(fe);
    /* POST /users/{id}/eco-points */
    if (json_get_int(body, "points", JF_REQUIRED, -POINTS_MAX, POINTS_MAX, &points, fe) == JSON_OK) {
        FUZZ_CHECK(points >= -POINTS_MAX && points <= POINTS_MAX);
        (void)carbon_rank(points);
    }
    check_str(json_get_str(body, "reason", JF_REQUIRED, 1, REASON_MAX, &reason, fe), reason, REASON_MAX);
    answer(fe);
}

static void missions(cJSON *body, struct field_errors *fe)
{
    const char *name = NULL, *description = NULL;
    long long value;
    int trig, active;

    check_str(json_get_str(body, "name", JF_REQUIRED, 1, MISSION_NAME_MAX, &name, fe), name, MISSION_NAME_MAX);
    json_get_str(body, "description", JF_NULLABLE, 0, MISSION_DESCRIPTION_MAX, &description, fe);
    json_get_enum(body, "action_trigger", JF_REQUIRED, triggers, &trig, fe);
    json_get_int(body, "value", 0, 0, MISSION_VALUE_MAX, &value, fe);
    json_get_bool(body, "active", 0, &active, fe);
    answer(fe);
}

static void messages(cJSON *body, struct field_errors *fe)
{
    const char *content = NULL;
    char subject[SUBJECT_BYTES];

    if (json_get_str(body, "content", JF_REQUIRED, 1, MESSAGES_CONTENT_MAX, &content, fe) == JSON_OK) {
        enum assistant_intent i = assistant_match(content, subject, sizeof subject);
        FUZZ_CHECK(assistant_intent_name(i) != NULL && strlen(subject) < sizeof subject);
    }
    answer(fe);
}

/* Every getter on every field name, both required and optional: the getters themselves. */
static void every_getter(cJSON *body, struct field_errors *fe)
{
    static const char *const names[] = {
        "name",           "latitude",     "longitude",       "category",
        "destination_id", "rating",       "content",         "place_name",
        "start_date",     "end_date",     "budget_limit",    "type",
        "visit_date",     "time_slot",    "position",        "estimated_cost",
        "note",           "vehicle_type", "fuel_type",       "distance_km",
        "passengers",     "traveled_at",  "username",        "email",
        "password",       "points",       "reason",          "ids",
        "address",        "description",  "green_certified", "action_trigger",
        "value",          "active",
    };
    static const char *const allowed[] = {"a", "", "restaurant", NULL};
    static const unsigned flag_sets[] = {0, JF_NULLABLE, JF_REQUIRED | JF_NOTRIM};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *n = names[i];
        for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++) {
            unsigned flags = flag_sets[f];
            const char *s = NULL;
            char date[JSON_DATE_LEN + 1];
            long long ll, *ids = NULL;
            size_t nids = 0;
            double d;
            int b, k;

            check_str(json_get_str(body, n, flags | JF_NOTRIM, 0, 3, &s, fe), s, 3);
            check_str(json_get_str(body, n, flags, 1, JSON_BODY_MAX, &s, fe), s, JSON_BODY_MAX);
            if (json_get_int(body, n, flags, -5, 5, &ll, fe) == JSON_OK)
                FUZZ_CHECK(ll >= -5 && ll <= 5);
            if (json_get_int(body, n, flags, -EXACT_INT_MAX, EXACT_INT_MAX, &ll, fe) == JSON_OK)
                FUZZ_CHECK(ll >= -EXACT_INT_MAX && ll <= EXACT_INT_MAX);
            if (json_get_num(body, n, flags, -90, 90, &d, fe) == JSON_OK)
                FUZZ_CHECK(isfinite(d) && d >= -90 && d <= 90);
            json_get_bool(body, n, flags, &b, fe);
            if (json_get_enum(body, n, flags, allowed, &k, fe) == JSON_OK)
                FUZZ_CHECK(k >= 0 && k < 3);
            if (json_get_date(body, n, flags, date, fe) == JSON_OK)
                FUZZ_CHECK(strlen(date) == JSON_DATE_LEN);
            if (json_get_ids(body, n, flags, 0, 3, &ids, &nids, fe) == JSON_OK) {
                FUZZ_CHECK(nids <= 3);
                free(ids);
            }
        }
        answer(fe);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char ctname[] = "Content-Type", ctvalue[] = "application/json";
    struct field_errors fe = {0};
    struct reply rp = {0};
    struct request rq;
    cJSON *body;

    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.headers[0].name = ctname;
    rq.headers[0].value = ctvalue;
    rq.nheaders = 1;
    /* As server.c builds it: a NUL-terminated copy, NULL when empty. */
    rq.body = size ? fuzz_strndup(data, size) : NULL;
    rq.body_len = size;

    body = json_body(&rq, &rp, JSON_BODY_MAX);
    if (!body) {
        FUZZ_CHECK(rp.status == 400 || rp.status == 413);
        FUZZ_CHECK(rp.content_type && strcmp(rp.content_type, CT_PROBLEM) == 0);
    } else {
        FUZZ_CHECK(rp.status == 0 && cJSON_IsObject(body));
        destinations(body, &fe);
        reviews(body, &fe);
        plans(body, &fe);
        carbon(body, &fe);
        users_and_auth(body, &fe);
        missions(body, &fe);
        messages(body, &fe);
        every_getter(body, &fe);
        cJSON_Delete(body);
    }
    reply_free(&rp);
    free(rq.body);
    return 0;
}
