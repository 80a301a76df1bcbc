/* destinations_routes: the destinations API. */
#include "destinations_routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "destinations_fields.h"
#include "destinations_store.h"
#include "etag.h"
#include "ids.h"
#include "internal_api.h"
#include "json.h"
#include "log.h"
#include "paging.h"
#include "problem.h"
#include "read_db.h"
#include "search_live.h"
#include "server.h"
#include "utf8.h"

#define LOCATION_MAX 64
#define METRES_PER_KM 1000.0
#define CHANGES_KEEP_DEFAULT_S (7 * 86400)

static long long changes_keep_s = CHANGES_KEEP_DEFAULT_S;

void destinations_changes_setup(void)
{
    changes_keep_s = config_env_long("DEST_CHANGES_KEEP_SECONDS", CHANGES_KEEP_DEFAULT_S, 1, 366L * 86400);
}

/* After a write: the change log keeps the changes of the last changes_keep_s seconds. A
 * failure only delays pruning to the next write. */
static void prune_changes(struct request *rq)
{
    if (destinations_store_prune(rq->worker->db, changes_keep_s) != DB_OK)
        log_msg(LOG_WARN, rq->request_id, "change log: pruning failed; the next write retries");
}

/* A CHECK constraint refused a write our validation let through: a 422 naming the field
 * the constraint guards ("destinations_name_check" -> "name"). */
static void check_failed(struct reply *rp, const char *constraint)
{
    static const char prefix[] = "destinations_", suffix[] = "_check";
    struct field_errors fe = {0};
    char field[FIELD_NAME_MAX];
    size_t len = strlen(constraint), pl = sizeof prefix - 1, sl = sizeof suffix - 1;

    if (len > pl + sl && len - pl - sl < sizeof field && strncmp(constraint, prefix, pl) == 0 &&
        strcmp(constraint + len - sl, suffix) == 0)
        snprintf(field, sizeof field, "%.*s", (int)(len - pl - sl), constraint + pl);
    else
        snprintf(field, sizeof field, "body");
    field_error(&fe, field, "is not a valid value");
    problem_fields(rp, &fe);
}

/* Turns a store failure into the answer a client should see. */
static void store_failed(struct request *rq, struct reply *rp, enum db_status st)
{
    static const struct db_answers answers = {.database = "The destinations database",
                                              .unique =
                                                  "A destination with this name already exists at these coordinates."};

    if (st == DB_CHECK) /* names the field from the constraint */
        check_failed(rp, db_last_constraint(rq->worker->db));
    else
        problem_db(rp, st, &answers);
}

static void not_found(struct reply *rp, long long id)
{
    problem(rp, 404, "No destination has id %lld.", id);
}

/* Answers json (taken over) with status, a strong ETag of the body and, when given,
 * Cache-Control; a GET whose If-None-Match matches gets 304 with the same headers. */
static void reply_tagged(const struct request *rq, struct reply *rp, int status, cJSON *json, const char *cache_control)
{
    char tag[ETAG_MAX];

    if (reply_json(rp, status, json) < 0)
        return;
    etag_compute(rp->body, rp->body_len, tag);
    reply_header(rp, "ETag", tag);
    if (cache_control)
        reply_header(rp, "Cache-Control", cache_control);
    if (strcmp(rq->method, "GET") == 0 && etag_match(request_header(rq, "If-None-Match"), tag))
        reply_empty(rp, 304);
}

void destinations_get(struct request *rq, struct reply *rp)
{
    cJSON *d = NULL;
    struct db *db = read_db(rq);
    enum db_status st = destinations_store_get(db, rq->ids[0], &d);

    if (read_db_retry(rq, db, st, !d)) /* the standby may not have it yet */
        st = destinations_store_get(rq->worker->db, rq->ids[0], &d);

    if (st != DB_OK)
        store_failed(rq, rp, st);
    else if (!d)
        not_found(rp, rq->ids[0]);
    else
        reply_tagged(rq, rp, 200, d, DEST_CACHE_ONE);
}

/* Reads ?q= (trimmed; NULL when absent or blank) into buf. */
static void read_q(const struct request *rq, char *buf, size_t cap, const char **q, struct field_errors *fe)
{
    size_t len, start = 0;
    int got = request_query(rq, "q", buf, cap);

    *q = NULL;
    if (got < 0 || (got > 0 && !utf8_valid(buf, strlen(buf)))) {
        field_error(fe, "q", "must be UTF-8 text of at most %d characters", DEST_QUERY_MAX);
        return;
    }
    if (got == 0)
        return;
    len = strlen(buf);
    while (start < len && (buf[start] == ' ' || buf[start] == '\t'))
        start++;
    while (len > start && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    buf[len] = '\0';
    if (utf8_chars(buf + start) > DEST_QUERY_MAX)
        field_error(fe, "q", "must be at most %d characters", DEST_QUERY_MAX);
    else if (len > start && !destinations_query_has_word(buf + start))
        field_error(fe, "q", "must have a word of at least 2 letters or digits");
    else if (len > start)
        *q = buf + start;
}

/* Reads ?category= (NULL when absent) into buf. */
static void read_category(const struct request *rq, char *buf, size_t cap, const char **category,
                          struct field_errors *fe)
{
    int got = request_query(rq, "category", buf, cap);

    *category = NULL;
    if (got == 0)
        return;
    if (got < 0 || !destinations_category_valid(buf))
        field_error(fe, "category", "must be one of: attraction, restaurant, accommodation, transport, other");
    else
        *category = buf;
}

/* The destinations ids[0..n) (ranked by the index) read from the database in that order,
 * each with "distance_km" from hits[i] when hits is given. A row deleted after the index
 * answered is left out. */
static enum db_status rows_in_order(const struct request *rq, const long long *ids, long long n,
                                    const struct search_hit *hits, cJSON **out)
{
    long long sorted[PAGING_MAX_LIMIT > DEST_NEARBY_LIMIT_MAX ? PAGING_MAX_LIMIT : DEST_NEARBY_LIMIT_MAX];
    cJSON *rows[sizeof sorted / sizeof sorted[0]], *items = NULL, *c;
    long long row_id[sizeof sorted / sizeof sorted[0]];
    struct db *db = read_db(rq);
    size_t nrows = 0, ns;
    enum db_status st;

    *out = cJSON_CreateArray();
    if (!*out)
        return DB_ERROR;
    if (n <= 0)
        return DB_OK;
    memcpy(sorted, ids, (size_t)n * sizeof *ids);
    ns = ids_sort_unique(sorted, (size_t)n);
    st = destinations_store_batch(db, sorted, ns, &items);
    if (read_db_retry(rq, db, st, st == DB_OK && (size_t)cJSON_GetArraySize(items) < ns)) {
        cJSON_Delete(items); /* the standby may not have them yet */
        st = destinations_store_batch(rq->worker->db, sorted, ns, &items);
    }
    if (st != DB_OK) {
        cJSON_Delete(*out);
        *out = NULL;
        return st;
    }
    while ((c = items->child) && nrows < ns) { /* by id ascending, as sorted */
        rows[nrows] = cJSON_DetachItemViaPointer(items, c);
        row_id[nrows++] = strtoll(cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring, NULL, 10);
    }
    cJSON_Delete(items);
    for (long long i = 0; i < n; i++) {
        size_t lo = 0, hi = nrows;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (row_id[mid] < ids[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == nrows || row_id[lo] != ids[i] || !rows[lo])
            continue; /* deleted since */
        if (hits) {
            char km[32];
            snprintf(km, sizeof km, "%.3f", round(hits[i].distance_m) / METRES_PER_KM);
            cJSON_AddRawToObject(rows[lo], "distance_km", km);
        }
        cJSON_AddItemToArray(*out, rows[lo]);
        rows[lo] = NULL;
    }
    for (size_t i = 0; i < nrows; i++)
        cJSON_Delete(rows[i]);
    return DB_OK;
}

static int category_index(const char *category)
{
    for (int i = 0; category && dest_categories[i]; i++)
        if (strcmp(category, dest_categories[i]) == 0)
            return i;
    return -1;
}

/* A word search from the in-memory index: 1 when answered (*st says how the rows were
 * read; *exact 0 when *total is only a lower bound), 0 when the index is not loaded and SQL
 * must answer. */
static int search_indexed(const struct request *rq, const char *q, const char *category, const struct paging *pg,
                          cJSON **items, long long *total, int *exact, enum db_status *st)
{
    long long ids[PAGING_MAX_LIMIT], n = 0;
    int rc = search_live_find(q, category_index(category), pg->offset, pg->limit, ids, &n, total, exact);

    if (rc <= 0)
        return 0;
    *st = rows_in_order(rq, ids, n, NULL, items);
    return 1;
}

void destinations_search(struct request *rq, struct reply *rp)
{
    /* 4 bytes per character is the most UTF-8 needs; longer text is refused as too long. */
    char qbuf[DEST_QUERY_MAX * 4 + 1], cbuf[32];
    const char *q, *category;
    struct field_errors fe = {0};
    struct paging pg;
    cJSON *items = NULL, *page;
    long long total = 0;
    int exact = 1;
    enum db_status st;

    read_q(rq, qbuf, sizeof qbuf, &q, &fe);
    read_category(rq, cbuf, sizeof cbuf, &category, &fe);
    paging_parse(rq, PAGING_MAX_LIMIT, &pg, &fe);
    if (fe.n) {
        problem_fields(rp, &fe);
        return;
    }
    if (!q || !search_indexed(rq, q, category, &pg, &items, &total, &exact, &st)) {
        exact = 1; /* SQL counts every match */
        st = destinations_store_search(read_db(rq), q, category, &pg, &items, &total);
        if (st != DB_OK && read_db_retry(rq, read_db(rq), st, 0))
            st = destinations_store_search(rq->worker->db, q, category, &pg, &items, &total);
    }
    if (st != DB_OK) {
        store_failed(rq, rp, st);
        return;
    }
    page = paging_wrap(items, &pg, total);
    /* a word search says whether total counts every match (docs/openapi.yaml) */
    if (page && q && !cJSON_AddBoolToObject(page, "total_exact", exact)) {
        cJSON_Delete(page);
        page = NULL;
    }
    reply_tagged(rq, rp, 200, page, DEST_CACHE_LIST);
}

void destinations_nearby(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    double lat = 0, lon = 0, radius_km = DEST_RADIUS_KM_DEFAULT;
    long long limit = PAGING_DEFAULT_LIMIT, n = 0;
    struct search_hit hits[DEST_NEARBY_LIMIT_MAX];
    cJSON *items = NULL, *o;
    enum db_status st;

    if (query_double(rq, "lat", -90, 90, &lat, &fe) == 0)
        field_error(&fe, "lat", "is required");
    if (query_double(rq, "lon", -180, 180, &lon, &fe) == 0)
        field_error(&fe, "lon", "is required");
    if (query_double(rq, "radius_km", 0, DEST_RADIUS_KM_MAX, &radius_km, &fe) > 0 && radius_km <= 0)
        field_error(&fe, "radius_km", "must be a number greater than 0 and at most %g", DEST_RADIUS_KM_MAX);
    query_ll(rq, "limit", 1, DEST_NEARBY_LIMIT_MAX, &limit, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    if (search_live_nearby(lat, lon, radius_km * METRES_PER_KM, (size_t)limit, hits, &n) > 0) {
        long long ids[DEST_NEARBY_LIMIT_MAX];
        for (long long i = 0; i < n; i++)
            ids[i] = hits[i].id;
        st = rows_in_order(rq, ids, n, hits, &items);
    } else {
        st = destinations_store_nearby(read_db(rq), lat, lon, radius_km * METRES_PER_KM, limit, &items);
        if (read_db_retry(rq, read_db(rq), st, 0))
            st = destinations_store_nearby(rq->worker->db, lat, lon, radius_km * METRES_PER_KM, limit, &items);
    }
    if (st != DB_OK) {
        store_failed(rq, rp, st);
        return;
    }
    if (!(o = reply_object_of(rp, "items", items)))
        return;
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    cJSON_AddNumberToObject(o, "radius_km", radius_km);
    reply_tagged(rq, rp, 200, o, DEST_CACHE_LIST);
}

/* After a write: the destination d (as the store answered it) is searchable here at once. */
static void index_written(const cJSON *d)
{
    const cJSON *cat = cJSON_GetObjectItemCaseSensitive(d, "category");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(d, "address");
    struct search_doc doc = {
        .id = strtoll(cJSON_GetObjectItemCaseSensitive(d, "id")->valuestring, NULL, 10),
        .name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name")),
        .address = cJSON_IsString(addr) ? addr->valuestring : NULL,
        .category = category_index(cJSON_IsString(cat) ? cat->valuestring : NULL),
        .lat = strtod(cJSON_GetObjectItemCaseSensitive(d, "latitude")->valuestring, NULL),
        .lon = strtod(cJSON_GetObjectItemCaseSensitive(d, "longitude")->valuestring, NULL),
    };

    search_live_put(&doc);
}

void destinations_create(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct dest_fields f;
    char location[LOCATION_MAX];
    cJSON *body, *d = NULL;
    enum db_status st;

    if (!(body = json_body(rq, rp, JSON_BODY_MAX)))
        return;
    if (destinations_fields_read(body, DEST_FIELDS_CREATE, &f, &fe) < 0) {
        problem_fields(rp, &fe);
        return;
    }
    st = destinations_store_create(rq->worker->db, &f, &d);
    if (st != DB_OK || !d) {
        store_failed(rq, rp, st == DB_OK ? DB_ERROR : st);
        return;
    }
    /* the store copies numbers as raw text */
    snprintf(location, sizeof location, "/api/v1/destinations/%s",
             cJSON_GetObjectItemCaseSensitive(d, "id")->valuestring);
    index_written(d);
    prune_changes(rq);
    reply_tagged(rq, rp, 201, d, NULL);
    if (rp->status == 201) /* not on the 500 a failed serialization becomes */
        reply_header(rp, "Location", location);
}

void destinations_update(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    struct dest_fields f;
    cJSON *body, *d = NULL;
    enum db_status st;

    if (!(body = json_body(rq, rp, JSON_BODY_MAX)))
        return;
    if (destinations_fields_read(body, DEST_FIELDS_PATCH, &f, &fe) < 0) {
        problem_fields(rp, &fe);
        return;
    }
    /* Nothing to change: answer the destination as it is, without touching updated_at. */
    if (f.present == 0)
        st = destinations_store_get(rq->worker->db, rq->ids[0], &d);
    else
        st = destinations_store_update(rq->worker->db, rq->ids[0], &f, &d);
    if (st != DB_OK)
        store_failed(rq, rp, st);
    else if (!d)
        not_found(rp, rq->ids[0]);
    else {
        if (f.present) {
            index_written(d);
            prune_changes(rq);
        }
        reply_tagged(rq, rp, 200, d, NULL);
    }
}

void destinations_delete(struct request *rq, struct reply *rp)
{
    int deleted = 0;
    enum db_status st = destinations_store_delete(rq->worker->db, rq->ids[0], &deleted);

    if (st != DB_OK)
        store_failed(rq, rp, st);
    else if (!deleted)
        not_found(rp, rq->ids[0]);
    else {
        search_live_remove(rq->ids[0]);
        prune_changes(rq);
        reply_empty(rp, 204);
    }
}

void destinations_internal_batch(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    char *text = malloc(IDS_TEXT_MAX + 1);
    long long *ids = malloc(IDS_MAX * sizeof *ids);
    cJSON *items = NULL, *o;
    size_t n = 0;
    enum ids_status is = IDS_EMPTY;
    enum db_status st;
    int got;

    if (!text || !ids) {
        free(text);
        free(ids);
        problem_internal(rp);
        return;
    }
    got = request_query(rq, INTERNAL_FIELD_IDS, text, IDS_TEXT_MAX + 1);
    if (got == 0)
        field_error(&fe, "ids", "is required");
    else if (got < 0)
        field_error(&fe, "ids", "is malformed or longer than %d ids can be", IDS_MAX);
    else if ((is = ids_parse(text, strlen(text), ids, &n)) != IDS_OK)
        field_error(&fe, "ids", "%s", ids_status_str(is));
    free(text);
    if (fe.n) {
        free(ids);
        problem_fields(rp, &fe);
        return;
    }
    st = destinations_store_batch(rq->worker->db, ids, n, &items);
    free(ids);
    if (st != DB_OK) {
        store_failed(rq, rp, st);
        return;
    }
    if (!(o = reply_object_of(rp, INTERNAL_FIELD_ITEMS, items)))
        return;
    reply_json(rp, 200, o);
}

/* {"existing":[...],"missing":[...]} from the asked ids (sorted, unique) and the found ones
 * (a sorted subset of them). NULL when out of memory. */
static cJSON *validate_answer(const long long *ids, size_t n, const long long *found, size_t nfound)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *existing = cJSON_AddArrayToObject(o, INTERNAL_FIELD_EXISTING);
    cJSON *missing = cJSON_AddArrayToObject(o, INTERNAL_FIELD_MISSING);
    size_t j = 0;

    if (!o || !existing || !missing) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int present = j < nfound && found[j] == ids[i];
        cJSON *v = cJSON_CreateNumber((double)ids[i]);
        if (!v) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToArray(present ? existing : missing, v);
        j += (size_t)present;
    }
    return o;
}

void destinations_internal_validate(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    long long *ids = NULL, *found = NULL;
    size_t n = 0, nfound = 0;
    cJSON *body, *answer;
    enum db_status st;

    if (!(body = json_body(rq, rp, JSON_BODY_MAX)))
        return;
    json_get_ids(body, INTERNAL_FIELD_IDS, JF_REQUIRED, 1, IDS_MAX, &ids, &n, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    n = ids_sort_unique(ids, n);
    if (!(found = malloc(n * sizeof *found))) {
        free(ids);
        problem_internal(rp);
        return;
    }
    /* an id the standby does not know may be one created a moment ago: the primary decides */
    st = destinations_store_existing(read_db(rq), ids, n, found, &nfound);
    if (read_db_retry(rq, read_db(rq), st, nfound < n))
        st = destinations_store_existing(rq->worker->db, ids, n, found, &nfound);
    answer = st == DB_OK ? validate_answer(ids, n, found, nfound) : NULL;
    free(ids);
    free(found);
    if (st != DB_OK)
        store_failed(rq, rp, st);
    else if (!answer)
        problem_internal(rp);
    else
        reply_json(rp, 200, answer);
}

void destinations_internal_changes(struct request *rq, struct reply *rp)
{
    struct field_errors fe = {0};
    long long after = 0, limit = INTERNAL_CHANGES_LIMIT_DEFAULT;
    struct dest_changes ch;
    const cJSON *last;
    cJSON *o;
    enum db_status st;

    if (query_ll(rq, "after", 0, INTERNAL_SEQ_MAX, &after, &fe) == 0)
        field_error(&fe, "after", "is required (0 for the start of the log)");
    query_ll(rq, "limit", 1, INTERNAL_CHANGES_LIMIT_MAX, &limit, &fe);
    if (problem_fields_any(rp, &fe))
        return;
    if ((st = destinations_store_changes(rq->worker->db, after, limit, &ch)) != DB_OK) {
        store_failed(rq, rp, st);
        return;
    }
    if (after < ch.pruned_through || after > ch.last_seq) {
        cJSON_Delete(ch.items);
        if (after < ch.pruned_through)
            problem(rp, 410, "Changes after %lld are no longer kept; the oldest cursor answered is %lld.", after,
                    ch.pruned_through);
        else
            problem(rp, 410, "No change %lld was ever written here (the log was reset); start again.", after);
        problem_member_ll(rp, INTERNAL_FIELD_OLDEST_SEQ, ch.pruned_through);
        problem_member_ll(rp, INTERNAL_FIELD_LAST_SEQ, ch.last_seq);
        return;
    }
    last = cJSON_GetArrayItem(ch.items, cJSON_GetArraySize(ch.items) - 1);
    if (!(o = reply_object_of(rp, INTERNAL_FIELD_CHANGES, ch.items)))
        return;
    if (last)
        cJSON_AddRawToObject(o, INTERNAL_FIELD_NEXT_AFTER, cJSON_GetObjectItemCaseSensitive(last, "seq")->valuestring);
    else
        cJSON_AddNumberToObject(o, INTERNAL_FIELD_NEXT_AFTER, (double)after);
    cJSON_AddNumberToObject(o, INTERNAL_FIELD_LAST_SEQ, (double)ch.last_seq);
    reply_json(rp, 200, o);
}
