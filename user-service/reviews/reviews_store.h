/* reviews_store: the SQL for reviews, nothing else. Results are JSON objects ready to answer. */
#ifndef REVIEWS_STORE_H
#define REVIEWS_STORE_H

#include <cjson/cJSON.h>

#include "db_status.h"
#include "paging.h"

struct review_input {
    long long destination_id;
    int rating;          /* 0: unchanged (update) */
    const char *content; /* NULL: unchanged (update) / "" (create) */
    int verified;
};

/* Inserts a review by user_id and, in the same transaction, moves the 'first_review'
 * mission; *out is the stored review. DB_UNIQUE when the user already reviewed that
 * destination (and nothing changed). */
enum db_status reviews_store_create(struct db *db, long long user_id, const struct review_input *in, cJSON **out);

/* The review id (NULL *out when absent), with its author's id in *author. */
enum db_status reviews_store_get(struct db *db, long long id, cJSON **out, long long *author);

/* A page of reviews, newest first, filtered by destination and/or author (0: any). */
enum db_status reviews_store_list(struct db *db, long long destination_id, long long user_id, const struct paging *p,
                                  cJSON **items, long long *total);

/* {destination_id, count, average, histogram{"1".."5"}}, leaving out rows whose destination is gone. */
enum db_status reviews_store_summary(struct db *db, long long destination_id, cJSON **out);

/* Changes rating and/or content; *out NULL when the review is absent. */
enum db_status reviews_store_update(struct db *db, long long id, const struct review_input *in, cJSON **out);

/* Deletes; *deleted is 0 when it was absent. */
enum db_status reviews_store_delete(struct db *db, long long id, int *deleted);

#endif
