/* reviews_routes: the reviews API. A review names a destination that lives in the other
 * database: it is checked with destination-service before it is written (dest_check). */
#include "reviews_routes.h"

#include <stdio.h>
#include <string.h>

#include "dest_check.h"
#include "exact_int.h"
#include "json.h"
#include "paging.h"
#include "problem.h"
#include "reviews_store.h"
#include "server.h"
#include "users_db.h"

#define RATING_MIN 1
#define RATING_MAX 5
#define CONTENT_MAX 5000

void reviews_create(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct review_input in = {0};
    long long did = 0, rating = 0;
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *out = NULL;
    enum db_status st;

    if (!body)
        return;
    json_get_int(body, "destination_id", JF_REQUIRED, 1, EXACT_INT_MAX, &did, &fe);
    json_get_int(body, "rating", JF_REQUIRED, RATING_MIN, RATING_MAX, &rating, &fe);
    json_get_str(body, "content", 0, 0, CONTENT_MAX, &in.content, &fe);
    if (fe.n) {
        problem_fields(rp, &fe);
        goto out;
    }
    in.destination_id = did;
    in.rating = (int)rating;
    if (dest_check_exists(rq, rp, did, "destination_id", &in.verified) < 0)
        goto out;
    st = reviews_store_create(rq->worker->db, rq->auth.user_id, &in, &out);
    if (st == DB_UNIQUE) {
        problem(rp, 409, "You have already reviewed destination %lld; change that review instead.", did);
        goto out;
    }
    if (st != DB_OK) {
        users_db_failed(rp, st);
        goto out;
    }
    /* Deferred mode: accepted, but the destination is not confirmed yet (the reconciler will). */
    reply_created(rp, in.verified ? 201 : 202, out, "/api/v1/reviews");
    out = NULL;
out:
    cJSON_Delete(out);
}

void reviews_list(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct paging p;
    long long did = 0, uid = 0, total = 0;
    cJSON *items = NULL;
    enum db_status st;

    paging_parse(rq, PAGING_MAX_LIMIT, &p, &fe);
    query_ll(rq, "destination_id", 1, EXACT_INT_MAX, &did, &fe);
    query_ll(rq, "user_id", 1, EXACT_INT_MAX, &uid, &fe);
    if (fe.n)
        problem_fields(rp, &fe);
    else if ((st = reviews_store_list(rq->worker->db, did, uid, &p, &items, &total)) != DB_OK)
        users_db_failed(rp, st);
    else
        reply_json(rp, 200, paging_wrap(items, &p, total));
}

void reviews_summary(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    long long did = 0;
    cJSON *out = NULL;
    enum db_status st;

    if (query_ll(rq, "destination_id", 1, EXACT_INT_MAX, &did, &fe) == 0)
        field_error(&fe, "destination_id", "is required");
    if (fe.n)
        problem_fields(rp, &fe);
    else if ((st = reviews_store_summary(rq->worker->db, did, &out)) != DB_OK)
        users_db_failed(rp, st);
    else
        reply_json(rp, 200, out);
}

void reviews_get(struct request *rq, struct reply *rp)
{
    cJSON *out = NULL, *one;
    int expand = dest_check_expand_param(rq, rp);
    enum db_status st;

    if (expand < 0)
        return;
    if ((st = reviews_store_get(rq->worker->db, rq->ids[0], &out, NULL)) != DB_OK) {
        users_db_failed(rp, st);
        return;
    }
    if (!out) {
        problem(rp, 404, "No review has id %lld.", rq->ids[0]);
        return;
    }
    if (expand && (one = cJSON_CreateArray())) {
        /* expand works on a list; a list of one keeps a single code path */
        cJSON_AddItemToArray(one, out);
        dest_check_expand(rq, one);
        out = cJSON_DetachItemFromArray(one, 0);
        cJSON_Delete(one);
    }
    reply_json(rp, 200, out);
}

/* Loads the review and checks the caller may change it. 0, or -1 with rp filled. */
static int load_for_change(struct request *rq, struct reply *rp)
{
    cJSON *cur = NULL;
    long long author = 0;
    enum db_status st = reviews_store_get(rq->worker->db, rq->ids[0], &cur, &author);

    cJSON_Delete(cur);
    if (st != DB_OK) {
        users_db_failed(rp, st);
        return -1;
    }
    if (!cur) {
        problem(rp, 404, "No review has id %lld.", rq->ids[0]);
        return -1;
    }
    if (author != rq->auth.user_id && rq->auth.role != ROLE_ADMIN) {
        problem(rp, 403, "Only the author or an administrator may change this review.");
        return -1;
    }
    return 0;
}

void reviews_patch(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct review_input in = {0};
    long long rating = 0;
    cJSON *body = json_body(rq, rp, JSON_BODY_MAX), *out = NULL;
    enum db_status st;

    if (!body)
        return;
    json_get_int(body, "rating", 0, RATING_MIN, RATING_MAX, &rating, &fe);
    json_get_str(body, "content", 0, 0, CONTENT_MAX, &in.content, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    in.rating = (int)rating;
    if (load_for_change(rq, rp) < 0)
        return;
    if ((st = reviews_store_update(rq->worker->db, rq->ids[0], &in, &out)) != DB_OK)
        users_db_failed(rp, st);
    else if (!out)
        problem(rp, 404, "No review has id %lld.", rq->ids[0]);
    else
        reply_json(rp, 200, out);
}

void reviews_delete(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st;

    if (load_for_change(rq, rp) < 0)
        return;
    if ((st = reviews_store_delete(rq->worker->db, rq->ids[0], &deleted)) != DB_OK)
        users_db_failed(rp, st);
    else if (!deleted)
        problem(rp, 404, "No review has id %lld.", rq->ids[0]);
    else
        reply_empty(rp, 204);
}
