/* plans_store: the SQL for plans and their stops (plan_destinations), nothing else.
 * Every call is scoped to an owner: another user's plan reads as absent. */
#ifndef PLANS_STORE_H
#define PLANS_STORE_H

#include <cjson/cJSON.h>

#include "db_status.h"
#include "json.h"
#include "paging.h"

#define PLAN_MAX_STOPS 200

struct plan_input {
    const char *place_name;             /* NULL: unchanged */
    char start_date[JSON_DATE_LEN + 1]; /* "": unchanged */
    char end_date[JSON_DATE_LEN + 1];   /* "": unchanged */
    int budget_set;                     /* 1: budget_limit given (NULL text clears it) */
    const char *budget_limit;           /* decimal text or NULL */
};

struct stop_input {
    long long destination_id;
    const char *type;                   /* NULL: unchanged */
    char visit_date[JSON_DATE_LEN + 1]; /* "": unchanged */
    int time_slot_set;
    const char *time_slot; /* NULL clears */
    int position_set;
    long long position;
    int cost_set;
    const char *estimated_cost; /* decimal text, NULL clears */
    int note_set;
    const char *note; /* NULL clears */
    int verified;
};

/* A plan as JSON (with total_estimated_cost, over_budget, stops); *out NULL when the owner
 * has no such plan. Dates in start/end (may be NULL) for range checks. */
enum db_status plans_store_get(struct db *db, long long owner, long long id, cJSON **out);

/* Creates a plan; the 'first_plan' mission moves in the same transaction. */
enum db_status plans_store_create(struct db *db, long long owner, const struct plan_input *in, cJSON **out);

enum db_status plans_store_list(struct db *db, long long owner, const struct paging *p, cJSON **items,
                                long long *total);

/* The three changes below each run in their own transaction holding the plan's row lock, so
 * that changes to its dates and to its stops are checked one after the other, each against
 * what the other committed. *found is 0 (and nothing changed) when the owner has no such plan. */

/* Changes a plan. *out NULL and *conflict 1 when a stop would fall outside the new dates. */
enum db_status plans_store_update(struct db *db, long long owner, long long id, const struct plan_input *in,
                                  cJSON **out, int *conflict, int *found);

enum db_status plans_store_delete(struct db *db, long long owner, long long id, int *deleted);

/* Adds a stop. *out NULL when the visit date is outside the plan or the plan is full. */
enum db_status plans_store_add_stop(struct db *db, long long owner, long long plan_id, const struct stop_input *in,
                                    cJSON **out, int *found);

/* The plan's stops in itinerary order (visit_date, time_slot, position, id); *items NULL
 * when the owner has no such plan. */
enum db_status plans_store_stops(struct db *db, long long owner, long long plan_id, cJSON **items);

/* Changes a stop; *out NULL when absent or when the new visit date is outside the plan
 * (*outside set). */
enum db_status plans_store_update_stop(struct db *db, long long owner, long long plan_id, long long item_id,
                                       const struct stop_input *in, cJSON **out, int *outside, int *found);

enum db_status plans_store_delete_stop(struct db *db, long long owner, long long plan_id, long long item_id,
                                       int *deleted);

#endif
