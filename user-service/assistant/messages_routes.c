/* messages_routes: the eco assistant's conversation API (see messages_routes.h). */
#include "messages_routes.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "assistant.h"
#include "carbon.h"
#include "carbon_store.h"
#include "dest_check.h"
#include "exact_int.h"
#include "json.h"
#include "messages_store.h"
#include "missions_store.h"
#include "paging.h"
#include "problem.h"
#include "quota.h"
#include "server.h"
#include "users_db.h"
#include "users_store.h"

#define SUBJECT_BYTES (ASSISTANT_SUBJECT_MAX * 4 + 1)
#define PATH_MAX_BYTES (64 + SUBJECT_BYTES * 3)
#define LANGUAGE_LOOKBACK 10 /* earlier messages read to tell the language of one that does not */

static void store_failed(struct reply *rp, enum db_status st)
{
    users_db_failed(rp, st);
}

/* ---- the data behind each intent ---- */

static enum db_status footprint_reply(struct request *rq, int vi, enum assistant_intent intent, const char *subject,
                                      char *text, size_t cap)
{
    int month =
        intent == ASSISTANT_FOOTPRINT_MONTH || (intent == ASSISTANT_FOOTPRINT_COMPARE && !strcmp(subject, "month"));
    enum carbon_period period = month ? CARBON_MONTH : CARBON_WEEK;
    char now[CARBON_TIME_LEN + 1], date[CARBON_DATE_LEN + 1];
    struct carbon_bounds b;
    struct carbon_totals t;
    struct assistant_footprint f;
    enum db_status st;

    carbon_format_time((long long)time(NULL), now); /* today, UTC, as the summary endpoint */
    memcpy(date, now, CARBON_DATE_LEN);
    date[CARBON_DATE_LEN] = '\0';
    if (carbon_period_bounds(period, date, &b) < 0)
        return DB_ERROR;
    if ((st = carbon_store_summary(rq->worker->db, rq->auth.user_id, &b, &t)) != DB_OK)
        return st;
    f = (struct assistant_footprint){carbon_period_name(period), b.start, b.last, t.kg, t.prev_kg, t.trips};
    (vi ? assistant_vi_reply_footprint : assistant_reply_footprint)(text, cap, intent, &f);
    return DB_OK;
}

/* The caller's eco points and rank (a string inside *user, which the caller deletes). */
static enum db_status user_points(struct request *rq, cJSON **user, long long *points, const char **rank)
{
    enum db_status st;

    *points = 0;
    *rank = NULL;
    if ((st = users_store_get(rq->worker->db, rq->auth.user_id, USERS_VIEW_SELF, user)) != DB_OK)
        return st;
    if (*user) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(*user, "eco_point");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(*user, "rank");
        *points = cJSON_IsNumber(p) ? (long long)p->valuedouble : 0;
        *rank = cJSON_IsString(r) ? r->valuestring : NULL;
    }
    return DB_OK;
}

static enum db_status points_reply(struct request *rq, int vi, char *text, size_t cap)
{
    cJSON *user = NULL, *missions = NULL, *el;
    const char *names[ASSISTANT_PLACES_MAX];
    long long total_points = 0, points = 0;
    const char *rank = NULL;
    size_t n = 0;
    enum db_status st;

    if ((st = user_points(rq, &user, &points, &rank)) != DB_OK)
        return st;
    if ((st = missions_store_of_user(rq->worker->db, rq->auth.user_id, &missions, &total_points)) != DB_OK) {
        cJSON_Delete(user);
        return st;
    }
    cJSON_ArrayForEach (el, missions) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(el, "mission");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(m ? m : el, "name");
        if (n < ASSISTANT_PLACES_MAX && cJSON_IsString(name))
            names[n++] = name->valuestring;
    }
    (vi ? assistant_vi_reply_points : assistant_reply_points)(text, cap, points, rank ? rank : carbon_rank(points),
                                                              cJSON_GetArraySize(missions), names, n);
    cJSON_Delete(user);
    cJSON_Delete(missions);
    return DB_OK;
}

static enum db_status next_rank_reply(struct request *rq, int vi, char *text, size_t cap)
{
    cJSON *user = NULL;
    long long points;
    const char *rank;
    enum db_status st;

    if ((st = user_points(rq, &user, &points, &rank)) != DB_OK)
        return st;
    (vi ? assistant_vi_reply_next_rank : assistant_reply_next_rank)(text, cap, points, rank);
    cJSON_Delete(user);
    return DB_OK;
}

/* The ASSISTANT_RECENT_TRIPS newest trips: what went by car and by motorbike. */
static enum db_status reduce_reply(struct request *rq, int vi, char *text, size_t cap)
{
    struct paging pg = {ASSISTANT_RECENT_TRIPS, 0};
    struct assistant_trips t = {0, 0, 0, 0};
    cJSON *items = NULL;
    const cJSON *el;
    long long total = 0;
    enum db_status st;

    if ((st = carbon_store_list(rq->worker->db, rq->auth.user_id, NULL, NULL, &pg, &items, &total)) != DB_OK)
        return st;
    cJSON_ArrayForEach (el, items) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(el, "vehicle_type");
        const cJSON *km = cJSON_GetObjectItemCaseSensitive(el, "distance_km");
        const cJSON *kg = cJSON_GetObjectItemCaseSensitive(el, "carbon_emission_kg");
        int car = cJSON_IsString(v) && strcmp(v->valuestring, "car") == 0;
        int moto = cJSON_IsString(v) && strcmp(v->valuestring, "motorbike") == 0;

        t.trips++;
        if ((car || moto) && cJSON_IsNumber(km)) {
            *(car ? &t.car_km : &t.motorbike_km) += km->valuedouble;
            t.kg += cJSON_IsNumber(kg) ? kg->valuedouble : 0;
        }
    }
    t.kg = carbon_round_kg(t.kg);
    cJSON_Delete(items);
    (vi ? assistant_vi_reply_reduce : assistant_reply_reduce)(text, cap, &t);
    return DB_OK;
}

/* Percent-encodes s for a query value. */
static void url_encode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* GET path from destination-service; its "items" array (inside *json) or NULL when unavailable. */
static const cJSON *dest_items(struct request *rq, const char *path, cJSON **json)
{
    struct dest_client *c = dest_check_client(rq);
    const cJSON *items;

    *json = NULL;
    if (!c || dest_client_get(c, rq->request_id, path, json) != DEST_OK)
        return NULL;
    items = cJSON_GetObjectItemCaseSensitive(*json, "items");
    if (!cJSON_IsArray(items)) {
        cJSON_Delete(*json);
        *json = NULL;
        return NULL;
    }
    return items;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *name, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* The places of items (skipping id skip), at most ASSISTANT_PLACES_MAX; pointers into items. */
static size_t to_places(const cJSON *items, double skip, int near, struct assistant_place *p)
{
    const cJSON *el;
    size_t n = 0;

    cJSON_ArrayForEach (el, items) {
        if (n == ASSISTANT_PLACES_MAX)
            break;
        if (num_of(el, "id", -1) == skip)
            continue;
        p[n].name = str_of(el, "name");
        p[n].category = str_of(el, "category");
        p[n].address = near ? NULL : str_of(el, "address");
        p[n].distance_km = near ? num_of(el, "distance_km", -1) : -1;
        n++;
    }
    return n;
}

static void places_reply(struct request *rq, int vi, enum assistant_intent intent, const char *subject, char *text,
                         size_t cap)
{
    char enc[SUBJECT_BYTES * 3 + 1], path[PATH_MAX_BYTES];
    struct assistant_place places[ASSISTANT_PLACES_MAX];
    cJSON *found = NULL, *near = NULL;
    const cJSON *items, *anchor;
    size_t n = 0;

    url_encode(subject, enc, sizeof enc);
    snprintf(path, sizeof path, "/api/v1/destinations?q=%s&limit=%d", enc,
             intent == ASSISTANT_PLACES_NEAR ? 1 : ASSISTANT_PLACES_MAX);
    if (!(items = dest_items(rq, path, &found))) {
        (vi ? assistant_vi_reply_places : assistant_reply_places)(text, cap, intent, subject,
                                                                  ASSISTANT_LOOKUP_UNAVAILABLE, NULL, NULL, 0);
        return;
    }
    if (intent == ASSISTANT_FIND_DESTINATION) {
        n = to_places(items, -1, 0, places);
        (vi ? assistant_vi_reply_places : assistant_reply_places)(text, cap, intent, subject, ASSISTANT_LOOKUP_OK, NULL,
                                                                  places, n);
        cJSON_Delete(found);
        return;
    }
    if (!(anchor = cJSON_GetArrayItem(items, 0)) || !str_of(anchor, "name")) {
        (vi ? assistant_vi_reply_places : assistant_reply_places)(text, cap, intent, subject,
                                                                  ASSISTANT_LOOKUP_NO_ANCHOR, NULL, NULL, 0);
        cJSON_Delete(found);
        return;
    }
    /* one more than we list: the anchor itself comes back at distance 0 */
    snprintf(path, sizeof path, "/api/v1/destinations/nearby?lat=%.6f&lon=%.6f&radius_km=%d&limit=%d",
             num_of(anchor, "latitude", 0), num_of(anchor, "longitude", 0), ASSISTANT_NEAR_RADIUS_KM,
             ASSISTANT_PLACES_MAX + 1);
    if (!(items = dest_items(rq, path, &near)))
        (vi ? assistant_vi_reply_places : assistant_reply_places)(text, cap, intent, subject,
                                                                  ASSISTANT_LOOKUP_UNAVAILABLE, NULL, NULL, 0);
    else {
        n = to_places(items, num_of(anchor, "id", -1), 1, places);
        (vi ? assistant_vi_reply_places : assistant_reply_places)(text, cap, intent, subject, ASSISTANT_LOOKUP_OK,
                                                                  str_of(anchor, "name"), places, n);
    }
    cJSON_Delete(near);
    cJSON_Delete(found);
}

/* Fills green[] (at most ASSISTANT_PLACES_MAX, each destination once) with the stops of
 * ids[0..n) that fetched says are green_certified, in the stops' order. */
static size_t green_stops(const long long *ids, size_t n, const cJSON *fetched, const cJSON **seen,
                          struct assistant_place *green)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k < ASSISTANT_PLACES_MAX; i++) {
        const cJSON *f, *hit = NULL;
        int dup = 0;
        cJSON_ArrayForEach (f, fetched)
            if (num_of(f, "id", -1) == (double)ids[i] &&
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "green_certified")))
                hit = f;
        for (size_t j = 0; hit && j < k; j++)
            dup |= seen[j] == hit;
        if (!hit || dup)
            continue;
        seen[k] = hit;
        green[k++] = (struct assistant_place){str_of(hit, "name"), str_of(hit, "category"), str_of(hit, "address"), -1};
    }
    return k;
}

/* The plan GET /plans lists first and its green-certified stops (destination-service says
 * which; down: the "unavailable" reply, naming the plan). */
static enum db_status greenest_reply(struct request *rq, int vi, char *text, size_t cap)
{
    struct assistant_place green[ASSISTANT_PLACES_MAX];
    const cJSON *seen[ASSISTANT_PLACES_MAX], *el;
    long long ids[MESSAGES_PLAN_STOPS_MAX];
    struct assistant_plan plan = {NULL, NULL, 0};
    cJSON *row = NULL, *fetched = NULL;
    size_t n = 0, k = 0;
    enum db_status st;

    if ((st = messages_store_latest_plan(rq->worker->db, rq->auth.user_id, &row)) != DB_OK)
        return st;
    if (row) {
        plan.name = str_of(row, "place_name");
        plan.start_date = str_of(row, "start_date");
        cJSON_ArrayForEach (el, cJSON_GetObjectItemCaseSensitive(row, "destination_ids"))
            if (n < MESSAGES_PLAN_STOPS_MAX)
                ids[n++] = (long long)el->valuedouble;
        plan.stops = (long long)n;
    }
    if (n > 0 && !(fetched = dest_check_fetch(rq, ids, n))) {
        (vi ? assistant_vi_reply_places : assistant_reply_places)(text, cap, ASSISTANT_FIND_DESTINATION, plan.name,
                                                                  ASSISTANT_LOOKUP_UNAVAILABLE, NULL, NULL, 0);
        cJSON_Delete(row);
        return DB_OK;
    }
    k = green_stops(ids, n, fetched, seen, green);
    (vi ? assistant_vi_reply_greenest : assistant_reply_greenest)(text, cap, &plan, green, k);
    cJSON_Delete(fetched);
    cJSON_Delete(row);
    return DB_OK;
}

/* The language to answer content in: its own; for a message that does not tell ("ok", a
 * bare place name), that of the user's latest message that does (of the last
 * LANGUAGE_LOOKBACK), then Accept-Language, then English. */
static int answer_in_vietnamese(struct request *rq, const char *content, const char *place)
{
    char rest[ASSISTANT_SCAN_MAX + 1];
    const char *at;
    enum assistant_lang lang;
    cJSON *items = NULL, *m;
    long long next = 0;

    /* the place asked about is a name, in whatever language: the words around it tell */
    snprintf(rest, sizeof rest, "%s", content);
    if (place && *place && (at = strstr(rest, place)) != NULL)
        memmove((char *)at, at + strlen(place), strlen(at + strlen(place)) + 1);
    lang = assistant_language(rest);
    if (lang == ASSISTANT_LANG_UNKNOWN &&
        messages_store_list(rq->worker->db, rq->auth.user_id, 0, LANGUAGE_LOOKBACK, &items, &next) == DB_OK) {
        cJSON_ArrayForEach (m, items) {
            if (lang != ASSISTANT_LANG_UNKNOWN)
                break;
            if (strcmp(str_of(m, "sender") ? str_of(m, "sender") : "", "user") == 0)
                lang = assistant_language(str_of(m, "content"));
        }
    }
    cJSON_Delete(items);
    if (lang == ASSISTANT_LANG_UNKNOWN)
        lang = assistant_accept_language(request_header(rq, "Accept-Language"));
    return lang == ASSISTANT_LANG_VI;
}

/* The assistant's reply to content into text, in *vi's language; its intent into *intent. */
static enum db_status compose(struct request *rq, const char *content, char *text, size_t cap,
                              enum assistant_intent *intent, int *vi)
{
    char subject[SUBJECT_BYTES];

    *intent = assistant_match(content, subject, sizeof subject);
    *vi = answer_in_vietnamese(
        rq, content, *intent == ASSISTANT_FIND_DESTINATION || *intent == ASSISTANT_PLACES_NEAR ? subject : NULL);
    switch (*intent) {
    case ASSISTANT_FOOTPRINT_WEEK:
    case ASSISTANT_FOOTPRINT_MONTH:
    case ASSISTANT_FOOTPRINT_COMPARE: return footprint_reply(rq, *vi, *intent, subject, text, cap);
    case ASSISTANT_MISSIONS_POINTS: return points_reply(rq, *vi, text, cap);
    case ASSISTANT_REDUCE_FOOTPRINT: return reduce_reply(rq, *vi, text, cap);
    case ASSISTANT_GREENEST_STOP: return greenest_reply(rq, *vi, text, cap);
    case ASSISTANT_NEXT_RANK: return next_rank_reply(rq, *vi, text, cap);
    case ASSISTANT_FIND_DESTINATION:
    case ASSISTANT_PLACES_NEAR: places_reply(rq, *vi, *intent, subject, text, cap); return DB_OK;
    case ASSISTANT_GREETING:
    case ASSISTANT_HELP:
    default:
        (*vi ? assistant_vi_reply_help : assistant_reply_help)(text, cap, *intent == ASSISTANT_GREETING);
        return DB_OK;
    }
}

/* ---- handlers ---- */

void messages_create(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *msg = NULL, *rep = NULL, *o;
    char text[ASSISTANT_REPLY_MAX + 1];
    const char *content = NULL;
    enum assistant_intent intent;
    struct quota_spend spent;
    enum db_status st;
    int vi = 0;

    if (!body)
        return;
    json_get_str(body, "content", JF_REQUIRED, 1, MESSAGES_CONTENT_MAX, &content, &fe);
    if (problem_fields_any(rp, &fe) || quota_take(rq, rp, &message_quota, 1, &spent) < 0)
        return;
    if ((st = compose(rq, content, text, sizeof text, &intent, &vi)) != DB_OK ||
        (st = messages_store_exchange(rq->worker->db, rq->auth.user_id, content, text, assistant_intent_name(intent),
                                      assistant_lang_name(vi ? ASSISTANT_LANG_VI : ASSISTANT_LANG_EN), &msg, &rep)) !=
            DB_OK) {
        quota_refund(rq, &spent);
        store_failed(rp, st);
        return;
    }
    if (!(o = cJSON_CreateObject())) {
        cJSON_Delete(msg);
        cJSON_Delete(rep);
        problem_internal(rp);
        return;
    }
    cJSON_AddItemToObject(o, "message", msg);
    cJSON_AddItemToObject(o, "reply", rep);
    reply_json(rp, 201, o);
}

void messages_list(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    long long before = 0, limit = PAGING_DEFAULT_LIMIT, next = 0;
    cJSON *items = NULL, *o;
    enum db_status st;

    query_ll(rq, "before_id", 1, EXACT_INT_MAX, &before, &fe);
    query_ll(rq, "limit", 1, PAGING_MAX_LIMIT, &limit, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    if ((st = messages_store_list(rq->worker->db, rq->auth.user_id, before, limit, &items, &next)) != DB_OK) {
        store_failed(rp, st);
        return;
    }
    if (!(o = reply_object_of(rp, "items", items)))
        return;
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    if (next > 0)
        cJSON_AddNumberToObject(o, "next_before_id", (double)next);
    else
        cJSON_AddNullToObject(o, "next_before_id");
    reply_json(rp, 200, o);
}

void messages_clear(struct request *rq, struct reply *rp)
{
    long long deleted = 0;
    enum db_status st = messages_store_clear(rq->worker->db, rq->auth.user_id, &deleted);

    if (st != DB_OK)
        store_failed(rp, st);
    else
        reply_empty(rp, 204);
}
