/* messages_store: the SQL for messages (the conversation with the eco assistant), nothing else.
 *
 * Every function returns DB_OK or why the database said no. Messages are JSON objects
 * shaped as the API answers them: id, sender ("user" | "assistant"), content, intent
 * (null for the user's messages), created_at (RFC 3339 UTC), language ("en" | "vi"). A user only ever sees their
 * own conversation. */
#ifndef MESSAGES_STORE_H
#define MESSAGES_STORE_H

#include <cjson/cJSON.h>

#include "db_status.h"

/* Stores the user's message and the assistant's reply (with its intent) in one
 * transaction: both rows or neither, both with language ("en" | "vi", the exchange's).
 * *message and *reply receive them. */
enum db_status messages_store_exchange(struct db *db, long long user_id, const char *content, const char *reply,
                                       const char *intent, const char *language, cJSON **message, cJSON **reply_out);

/* Up to limit of user_id's messages with id < before_id (0: no bound), newest first (id
 * desc), into *items; *next_before_id is the id to pass for the next page, or 0 at the end. */
enum db_status messages_store_list(struct db *db, long long user_id, long long before_id, long long limit,
                                   cJSON **items, long long *next_before_id);

/* Deletes user_id's whole conversation; *deleted receives how many rows went. */
enum db_status messages_store_clear(struct db *db, long long user_id, long long *deleted);

/* "Which of my plan's stops is greenest": user_id's plan that GET /plans lists first
 * (latest start_date, then newest id) as {place_name, start_date, destination_ids: [...]}
 * (its stops in itinerary order, at most MESSAGES_PLAN_STOPS_MAX); *plan NULL when the
 * user has no plan. Read-only; plans and plan_destinations belong to the plans area. */
#define MESSAGES_PLAN_STOPS_MAX 200 /* PLAN_MAX_STOPS */
enum db_status messages_store_latest_plan(struct db *db, long long user_id, cJSON **plan);

#endif
