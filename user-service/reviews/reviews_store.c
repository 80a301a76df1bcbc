/* reviews_store: the SQL for reviews. */
#include "reviews_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "missions_store.h"

#define REVIEW_COLS                                                                                                    \
    "r.id, r.user_id, u.username, r.destination_id, r.rating, r.content, r.destination_verified, "                     \
    "r.destination_missing, " DB_TS("r.created_at") ", " DB_TS("r.updated_at")
#define PAGE_TAIL " ORDER BY r.created_at DESC, r.id DESC LIMIT $1 OFFSET $2"

static struct db_statement q_create = {
    "WITH r AS (INSERT INTO reviews (user_id, destination_id, rating, content, destination_verified) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING *) "
    "SELECT " REVIEW_COLS ", count(*) OVER () FROM r JOIN users u ON u.id = r.user_id",
    5, 0};
static struct db_statement q_get = {
    "SELECT " REVIEW_COLS ", count(*) OVER () FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = $1", 1, 0};
/* One statement per filter, so each has a plan that uses its index. */
static struct db_statement q_list_all = {
    "SELECT " REVIEW_COLS ", count(*) OVER () FROM reviews r JOIN users u ON u.id = r.user_id" PAGE_TAIL, 2, 0};
static struct db_statement q_list_dest = {"SELECT " REVIEW_COLS ", count(*) OVER () FROM reviews r JOIN users u ON "
                                          "u.id = r.user_id WHERE r.destination_id = $3" PAGE_TAIL,
                                          3, 0};
static struct db_statement q_list_user = {"SELECT " REVIEW_COLS ", count(*) OVER () FROM reviews r JOIN users u ON "
                                          "u.id = r.user_id WHERE r.user_id = $3" PAGE_TAIL,
                                          3, 0};
static struct db_statement q_list_both = {"SELECT " REVIEW_COLS ", count(*) OVER () FROM reviews r JOIN users u ON "
                                          "u.id = r.user_id WHERE r.destination_id = $3 AND r.user_id = $4" PAGE_TAIL,
                                          4, 0};
/* Counts for a page past the end, where the window count has no row to ride on. */
static struct db_statement q_count_all = {"SELECT count(*) FROM reviews", 0, 0};
static struct db_statement q_count_dest = {"SELECT count(*) FROM reviews WHERE destination_id = $1", 1, 0};
static struct db_statement q_count_user = {"SELECT count(*) FROM reviews WHERE user_id = $1", 1, 0};
static struct db_statement q_count_both = {"SELECT count(*) FROM reviews WHERE destination_id = $1 AND user_id = $2", 2,
                                           0};
static struct db_statement q_summary = {
    "SELECT count(*), round(avg(rating)::numeric, 2), "
    "count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3), "
    "count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5) "
    "FROM reviews WHERE destination_id = $1 AND NOT destination_missing",
    1, 0};
static struct db_statement q_update = {
    "WITH r AS (UPDATE reviews SET rating = COALESCE($2::smallint, rating), content = COALESCE($3, content) "
    "WHERE id = $1 RETURNING *) "
    "SELECT " REVIEW_COLS ", count(*) OVER () FROM r JOIN users u ON u.id = r.user_id",
    3, 0};
static struct db_statement q_delete = {"DELETE FROM reviews WHERE id = $1", 1, 0};

static cJSON *row_json(const PGresult *r, int i)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", (double)db_ll(r, i, 0));
    cJSON_AddNumberToObject(o, "user_id", (double)db_ll(r, i, 1));
    cJSON_AddStringToObject(o, "username", db_str(r, i, 2));
    cJSON_AddNumberToObject(o, "destination_id", (double)db_ll(r, i, 3));
    cJSON_AddNumberToObject(o, "rating", (double)db_ll(r, i, 4));
    cJSON_AddStringToObject(o, "content", db_str(r, i, 5));
    cJSON_AddBoolToObject(o, "destination_verified", db_bool(r, i, 6));
    cJSON_AddBoolToObject(o, "destination_missing", db_bool(r, i, 7));
    cJSON_AddStringToObject(o, "created_at", db_str(r, i, 8));
    cJSON_AddStringToObject(o, "updated_at", db_str(r, i, 9));
    return o;
}

/* Runs a statement expected to give at most one review row. */
static enum db_status one(struct db *db, struct db_statement *q, const char *const *params, cJSON **out,
                          long long *author)
{
    enum db_status st;
    PGresult *r = db_exec(db, q, params, &st);

    *out = NULL;
    if (!r)
        return st;
    if (PQntuples(r) == 1) {
        if (author)
            *author = db_ll(r, 0, 1);
        if (!(*out = row_json(r, 0)))
            st = DB_ERROR;
    }
    PQclear(r);
    return st;
}

enum db_status reviews_store_create(struct db *db, long long user_id, const struct review_input *in, cJSON **out)
{
    char uid[24], did[24], rating[8];
    const char *params[] = {uid, did, rating, in->content ? in->content : "", in->verified ? "t" : "f"};
    enum db_status st;

    snprintf(uid, sizeof uid, "%lld", user_id);
    snprintf(did, sizeof did, "%lld", in->destination_id);
    snprintf(rating, sizeof rating, "%d", in->rating);
    *out = NULL;
    if ((st = db_begin(db)) != DB_OK)
        return st;
    st = one(db, &q_create, params, out, NULL);
    if (st == DB_OK)
        st = missions_store_trigger(db, user_id, MISSION_FIRST_REVIEW);
    if ((st = db_finish(db, st)) != DB_OK) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return st;
}

enum db_status reviews_store_get(struct db *db, long long id, cJSON **out, long long *author)
{
    char rid[24];
    const char *params[] = {rid};

    snprintf(rid, sizeof rid, "%lld", id);
    return one(db, &q_get, params, out, author);
}

enum db_status reviews_store_list(struct db *db, long long destination_id, long long user_id, const struct paging *p,
                                  cJSON **items, long long *total)
{
    char lim[24], off[24], a[24], b[24];
    const char *params[] = {lim, off, a, b};
    /* One statement per filter, so each has a plan that uses its index; $3/$4 are the filters. */
    struct db_page_query q = {destination_id && user_id ? &q_list_both
                              : destination_id          ? &q_list_dest
                              : user_id                 ? &q_list_user
                                                        : &q_list_all,
                              destination_id && user_id ? &q_count_both
                              : destination_id          ? &q_count_dest
                              : user_id                 ? &q_count_user
                                                        : &q_count_all,
                              params,
                              params + 2,
                              10,
                              row_json};

    snprintf(lim, sizeof lim, "%lld", p->limit);
    snprintf(off, sizeof off, "%lld", p->offset);
    snprintf(a, sizeof a, "%lld", destination_id ? destination_id : user_id);
    snprintf(b, sizeof b, "%lld", user_id);
    return db_page(db, &q, p->offset, items, total);
}

enum db_status reviews_store_summary(struct db *db, long long destination_id, cJSON **out)
{
    char did[24];
    const char *params[] = {did};
    enum db_status st;
    PGresult *r;
    cJSON *hist;

    snprintf(did, sizeof did, "%lld", destination_id);
    *out = NULL;
    if (!(r = db_exec(db, &q_summary, params, &st)))
        return st;
    if ((*out = cJSON_CreateObject()) && (hist = cJSON_CreateObject())) {
        cJSON_AddNumberToObject(*out, "destination_id", (double)destination_id);
        cJSON_AddNumberToObject(*out, "count", (double)db_ll(r, 0, 0));
        if (PQgetisnull(r, 0, 1))
            cJSON_AddNullToObject(*out, "average");
        else
            cJSON_AddNumberToObject(*out, "average", db_double(r, 0, 1));
        for (int k = 1; k <= 5; k++) {
            char key[2] = {(char)('0' + k), '\0'};
            cJSON_AddNumberToObject(hist, key, (double)db_ll(r, 0, 1 + k));
        }
        cJSON_AddItemToObject(*out, "histogram", hist);
    } else {
        st = DB_ERROR;
    }
    PQclear(r);
    return st;
}

enum db_status reviews_store_update(struct db *db, long long id, const struct review_input *in, cJSON **out)
{
    char rid[24], rating[8];
    const char *params[] = {rid, in->rating ? rating : NULL, in->content};

    snprintf(rid, sizeof rid, "%lld", id);
    snprintf(rating, sizeof rating, "%d", in->rating);
    return one(db, &q_update, params, out, NULL);
}

enum db_status reviews_store_delete(struct db *db, long long id, int *deleted)
{
    char rid[24];
    const char *params[] = {rid};
    enum db_status st;
    PGresult *r;

    snprintf(rid, sizeof rid, "%lld", id);
    *deleted = 0;
    if (!(r = db_exec(db, &q_delete, params, &st)))
        return st;
    *deleted = atoi(PQcmdTuples(r)) > 0;
    PQclear(r);
    return st;
}
