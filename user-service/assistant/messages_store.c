/* messages_store: the SQL for messages (see messages_store.h). */
#include "messages_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

#define ID_TEXT_MAX 24
#define MESSAGE_COLUMNS "id, sender, content, intent, " DB_TS("created_at") ", language"

static struct db_statement q_insert = {"INSERT INTO messages (user_id, sender, content, intent, language) VALUES ($1, "
                                       "$2, $3, $4, $5) RETURNING " MESSAGE_COLUMNS,
                                       5, 0};
static struct db_statement q_list = {"SELECT " MESSAGE_COLUMNS
                                     " FROM messages WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)"
                                     " ORDER BY id DESC LIMIT $3",
                                     3, 0};
/* The plan GET /plans lists first (latest start date, then newest), with its stops'
 * destinations in itinerary order; one row with a NULL destination when it has none. */
static struct db_statement q_latest_plan = {"SELECT p.place_name, to_char(p.start_date, 'YYYY-MM-DD'), d.destination_id"
                                            " FROM (SELECT id, place_name, start_date FROM plans WHERE user_id = $1"
                                            " ORDER BY start_date DESC, id DESC LIMIT 1) p"
                                            " LEFT JOIN plan_destinations d ON d.plan_id = p.id"
                                            " ORDER BY d.visit_date, d.time_slot, d.position, d.id LIMIT $2",
                                            2, 0};
static struct db_statement q_clear = {"DELETE FROM messages WHERE user_id = $1", 1, 0};

/* Row i of r as a message object (intent only when with_intent); NULL when out of memory. */
static cJSON *message_json(const PGresult *r, int i, int with_intent)
{
    cJSON *o = cJSON_CreateObject();
    const char *intent = db_str(r, i, 3);

    if (!o)
        return NULL;
    if (!cJSON_AddNumberToObject(o, "id", (double)db_ll(r, i, 0)) ||
        !cJSON_AddStringToObject(o, "sender", db_str(r, i, 1)) ||
        !cJSON_AddStringToObject(o, "content", db_str(r, i, 2)) ||
        (with_intent &&
         !(intent ? cJSON_AddStringToObject(o, "intent", intent) : cJSON_AddNullToObject(o, "intent"))) ||
        !cJSON_AddStringToObject(o, "created_at", db_str(r, i, 4)) ||
        !cJSON_AddStringToObject(o, "language", db_str(r, i, 5))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static enum db_status insert_one(struct db *db, const char *uid, const char *sender, const char *content,
                                 const char *intent, const char *language, int with_intent, cJSON **out)
{
    const char *params[5] = {uid, sender, content, intent, language};
    enum db_status st;
    PGresult *r = db_exec(db, &q_insert, params, &st);

    if (!r)
        return st;
    *out = message_json(r, 0, with_intent);
    PQclear(r);
    return *out ? DB_OK : DB_ERROR;
}

enum db_status messages_store_exchange(struct db *db, long long user_id, const char *content, const char *reply,
                                       const char *intent, const char *language, cJSON **message, cJSON **reply_out)
{
    char uid[ID_TEXT_MAX];
    enum db_status st;

    *message = *reply_out = NULL;
    snprintf(uid, sizeof uid, "%lld", user_id);
    if ((st = db_begin(db)) != DB_OK)
        return st;
    st = insert_one(db, uid, "user", content, NULL, language, 0, message);
    if (st == DB_OK)
        st = insert_one(db, uid, "assistant", reply, intent, language, 1, reply_out);
    st = db_finish(db, st);
    if (st != DB_OK) {
        cJSON_Delete(*message);
        cJSON_Delete(*reply_out);
        *message = *reply_out = NULL;
    }
    return st;
}

enum db_status messages_store_list(struct db *db, long long user_id, long long before_id, long long limit,
                                   cJSON **items, long long *next_before_id)
{
    char uid[ID_TEXT_MAX], before[ID_TEXT_MAX], lim[ID_TEXT_MAX];
    const char *params[3] = {uid, before_id > 0 ? before : NULL, lim};
    enum db_status st;
    PGresult *r;
    int n;

    *items = NULL;
    *next_before_id = 0;
    snprintf(uid, sizeof uid, "%lld", user_id);
    snprintf(before, sizeof before, "%lld", before_id);
    snprintf(lim, sizeof lim, "%lld", limit + 1); /* one more tells whether a next page exists */
    if (!(r = db_exec(db, &q_list, params, &st)))
        return st;
    n = PQntuples(r);
    if (!(*items = cJSON_CreateArray())) {
        PQclear(r);
        return DB_ERROR;
    }
    for (int i = 0; i < n && i < limit; i++) {
        cJSON *o = message_json(r, i, 1);
        if (!o) {
            cJSON_Delete(*items);
            *items = NULL;
            PQclear(r);
            return DB_ERROR;
        }
        cJSON_AddItemToArray(*items, o);
    }
    if (n > limit)
        *next_before_id = db_ll(r, (int)limit - 1, 0);
    PQclear(r);
    return DB_OK;
}

enum db_status messages_store_clear(struct db *db, long long user_id, long long *deleted)
{
    char uid[ID_TEXT_MAX];
    const char *params[1] = {uid};
    enum db_status st;
    PGresult *r;

    snprintf(uid, sizeof uid, "%lld", user_id);
    *deleted = 0;
    if (!(r = db_exec(db, &q_clear, params, &st)))
        return st;
    *deleted = atoll(PQcmdTuples(r));
    PQclear(r);
    return DB_OK;
}

enum db_status messages_store_latest_plan(struct db *db, long long user_id, cJSON **plan)
{
    char uid[ID_TEXT_MAX], lim[ID_TEXT_MAX];
    const char *params[2] = {uid, lim};
    cJSON *ids;
    enum db_status st;
    PGresult *r;
    int n;

    *plan = NULL;
    snprintf(uid, sizeof uid, "%lld", user_id);
    snprintf(lim, sizeof lim, "%d", MESSAGES_PLAN_STOPS_MAX);
    if (!(r = db_exec(db, &q_latest_plan, params, &st)))
        return st;
    if ((n = PQntuples(r)) == 0) {
        PQclear(r);
        return DB_OK;
    }
    if (!(*plan = cJSON_CreateObject()) || !cJSON_AddStringToObject(*plan, "place_name", db_str(r, 0, 0)) ||
        !cJSON_AddStringToObject(*plan, "start_date", db_str(r, 0, 1)) ||
        !(ids = cJSON_AddArrayToObject(*plan, "destination_ids")))
        goto oom;
    for (int i = 0; i < n; i++) {
        cJSON *id;
        if (PQgetisnull(r, i, 2))
            continue;
        if (!(id = cJSON_CreateNumber((double)db_ll(r, i, 2))))
            goto oom;
        cJSON_AddItemToArray(ids, id);
    }
    PQclear(r);
    return DB_OK;
oom:
    cJSON_Delete(*plan);
    *plan = NULL;
    PQclear(r);
    return DB_ERROR;
}
