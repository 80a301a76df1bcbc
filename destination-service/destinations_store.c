/* destinations_store: the SQL for the destinations table. */
#include "destinations_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#include "civil.h"
#include "destinations_fields.h"
#include "ids.h"

#define NUM_TEXT_MAX 32 /* a bigint or a double written with %.17g */

/* Columns every read returns, in this order (see row_to_json); extra columns follow. The two
 * times come as whole seconds since 1970 and are written out here (add_time): to_char was a
 * tenth of PostgreSQL's work for a page of 20 rows. */
#define DEST_COLUMNS                                                                                                   \
    "id, name, latitude, longitude, category, address, description, green_certified, "                                 \
    "floor(date_part('epoch', created_at))::bigint, floor(date_part('epoch', updated_at))::bigint"
#define DEST_NCOLUMNS 10

static struct db_statement q_get = {"SELECT " DEST_COLUMNS " FROM destinations WHERE id = $1", 1, 0};

/* Search: two statements rather than "$1 IS NULL OR ...", so that a cached generic plan
 * can never lose the trigram index. count(*) OVER () is the total of all matches, in the
 * same scan; an empty page (offset past the end) has no row to carry it, so the count
 * statements answer then. */
static struct db_statement q_list = {"SELECT " DEST_COLUMNS ", count(*) OVER () FROM destinations"
                                     " WHERE ($1::text IS NULL OR category = $1)"
                                     " ORDER BY id LIMIT $2 OFFSET $3",
                                     3, 0};
static struct db_statement q_list_count = {
    "SELECT count(*) FROM destinations WHERE ($1::text IS NULL OR category = $1)", 1, 0};
static struct db_statement q_search = {
    "SELECT " DEST_COLUMNS ", count(*) OVER () FROM destinations"
    " WHERE search_key LIKE dest_search_pattern($1)"
    " AND ($2::text IS NULL OR category = $2)"
    " ORDER BY similarity(search_key, dest_search_key($1)) DESC, id LIMIT $3 OFFSET $4",
    4, 0};
static struct db_statement q_search_count = {"SELECT count(*) FROM destinations"
                                             " WHERE search_key LIKE dest_search_pattern($1)"
                                             " AND ($2::text IS NULL OR category = $2)",
                                             2, 0};

/* See migrations/destinations/0001_schema.sql: the column side is always dest_ll_to_earth,
 * so the GiST index destinations_earth_idx serves both the box and the ordering. */
static struct db_statement q_nearby = {
    "SELECT " DEST_COLUMNS ","
    " round((earth_distance(ll_to_earth($1, $2), dest_ll_to_earth(latitude, longitude)) / 1000.0)::numeric, 3)"
    " FROM destinations"
    " WHERE earth_box(ll_to_earth($1, $2), $3) @> dest_ll_to_earth(latitude, longitude)"
    " AND earth_distance(ll_to_earth($1, $2), dest_ll_to_earth(latitude, longitude)) <= $3"
    " ORDER BY dest_ll_to_earth(latitude, longitude) <-> ll_to_earth($1, $2) LIMIT $4",
    4, 0};

static struct db_statement q_create = {
    "INSERT INTO destinations (name, latitude, longitude, category, address, description, green_certified)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " DEST_COLUMNS,
    7, 0};

/* A partial update: $2 is a JSON object of the fields to change (already validated); a key
 * that is present sets its column, null included, and an absent key keeps it. */
static struct db_statement q_update = {
    "UPDATE destinations SET"
    " name = CASE WHEN p.d ? 'name' THEN p.d->>'name' ELSE name END,"
    " latitude = CASE WHEN p.d ? 'latitude' THEN (p.d->>'latitude')::double precision ELSE latitude END,"
    " longitude = CASE WHEN p.d ? 'longitude' THEN (p.d->>'longitude')::double precision ELSE longitude END,"
    " category = CASE WHEN p.d ? 'category' THEN p.d->>'category' ELSE category END,"
    " address = CASE WHEN p.d ? 'address' THEN p.d->>'address' ELSE address END,"
    " description = CASE WHEN p.d ? 'description' THEN p.d->>'description' ELSE description END,"
    " green_certified = CASE WHEN p.d ? 'green_certified' THEN (p.d->>'green_certified')::boolean"
    " ELSE green_certified END"
    " FROM (SELECT $2::jsonb AS d) AS p WHERE id = $1 RETURNING " DEST_COLUMNS,
    2, 0};

static struct db_statement q_delete = {"DELETE FROM destinations WHERE id = $1 RETURNING id", 1, 0};

static struct db_statement q_batch = {
    "SELECT " DEST_COLUMNS " FROM destinations WHERE id = ANY($1::bigint[]) ORDER BY id", 1, 0};

/* One snapshot: the bounds and the page are consistent with each other. */
static struct db_statement q_changes = {
    "SELECT s.pruned_through, greatest(s.pruned_through, (SELECT coalesce(max(seq), 0) FROM destination_change_log)),"
    " c.seq, c.destination_id, c.op, " DB_TS(
        "c.at") " FROM destination_change_log_state s"
                " LEFT JOIN LATERAL (SELECT seq, destination_id, op, at FROM destination_change_log WHERE seq > $1"
                " ORDER BY seq LIMIT $2) c ON true ORDER BY c.seq",
    2, 0};
/* Age, not count: a rolled-back bulk insert burns sequence numbers, and counting numbers
 * would shrink what is kept. destination_change_log_at_idx keeps it a range delete. */
static struct db_statement q_prune = {
    "WITH d AS (DELETE FROM destination_change_log WHERE at < now() - $1::bigint * interval '1 second'"
    " RETURNING seq)"
    " UPDATE destination_change_log_state SET pruned_through = (SELECT max(seq) FROM d)"
    " WHERE (SELECT max(seq) FROM d) > pruned_through",
    1, 0};

static struct db_statement q_existing = {"SELECT id FROM destinations WHERE id = ANY($1::bigint[]) ORDER BY id", 1, 0};

/* Numbers are copied as PostgreSQL wrote them (bigint and float8 text is valid JSON): the
 * double round trip cost a fifth of a GET's instructions (docs/performance.md). */
/* key: the time of epoch (seconds since 1970, UTC) as "YYYY-MM-DDTHH:MM:SSZ". */
static void add_time(cJSON *o, const char *key, const char *epoch)
{
    long long t = strtoll(epoch, NULL, 10), days = t / 86400, s = t % 86400, y;
    char buf[48];
    int m, d;

    if (s < 0) { /* before 1970: the day before, counted from its midnight */
        s += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ", y, m, d, s / 3600, s / 60 % 60, s % 60);
    cJSON_AddStringToObject(o, key, buf);
}

static cJSON *row_to_json(const PGresult *r, int row)
{
    cJSON *o = cJSON_CreateObject();
    const char *s;

    if (!o)
        return NULL;
    cJSON_AddRawToObject(o, "id", PQgetvalue(r, row, 0));
    cJSON_AddStringToObject(o, "name", db_str(r, row, 1));
    cJSON_AddRawToObject(o, "latitude", PQgetvalue(r, row, 2));
    cJSON_AddRawToObject(o, "longitude", PQgetvalue(r, row, 3));
    if ((s = db_str(r, row, 4)))
        cJSON_AddStringToObject(o, "category", s);
    else
        cJSON_AddNullToObject(o, "category");
    if ((s = db_str(r, row, 5)))
        cJSON_AddStringToObject(o, "address", s);
    else
        cJSON_AddNullToObject(o, "address");
    if ((s = db_str(r, row, 6)))
        cJSON_AddStringToObject(o, "description", s);
    else
        cJSON_AddNullToObject(o, "description");
    cJSON_AddBoolToObject(o, "green_certified", db_bool(r, row, 7));
    add_time(o, "created_at", PQgetvalue(r, row, 8));
    add_time(o, "updated_at", PQgetvalue(r, row, 9));
    return o;
}

/* Every row of r as an array; when distance_col >= 0 each item also gets "distance_km"
 * from that column. NULL when out of memory. */
static cJSON *rows_to_json(const PGresult *r, int distance_col)
{
    cJSON *a = cJSON_CreateArray();

    for (int i = 0; a && i < PQntuples(r); i++) {
        cJSON *o = row_to_json(r, i);
        if (!o || (distance_col >= 0 && !cJSON_AddRawToObject(o, "distance_km", PQgetvalue(r, i, distance_col)))) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

enum db_status destinations_store_get(struct db *db, long long id, cJSON **out)
{
    char idbuf[NUM_TEXT_MAX];
    const char *params[] = {idbuf};

    snprintf(idbuf, sizeof idbuf, "%lld", id);
    return db_one(db, &q_get, params, row_to_json, out);
}

/* The total for an empty page: a separate count of the matches. */
static enum db_status count_matches(struct db *db, const char *q, const char *category, long long *total)
{
    const char *params[2];
    enum db_status st;
    PGresult *r;

    if (q) {
        params[0] = q;
        params[1] = category;
    } else {
        params[0] = category;
    }
    if (!(r = db_exec(db, q ? &q_search_count : &q_list_count, params, &st)))
        return st;
    *total = db_ll(r, 0, 0);
    PQclear(r);
    return DB_OK;
}

enum db_status destinations_store_search(struct db *db, const char *q, const char *category, const struct paging *p,
                                         cJSON **items, long long *total)
{
    char limit[NUM_TEXT_MAX], offset[NUM_TEXT_MAX];
    const char *params[4];
    enum db_status st;
    PGresult *r;
    int n;

    *items = NULL;
    *total = 0;
    if (q && !*q)
        q = NULL;
    snprintf(limit, sizeof limit, "%lld", p->limit);
    snprintf(offset, sizeof offset, "%lld", p->offset);
    if (q) {
        params[0] = q;
        params[1] = category;
        params[2] = limit;
        params[3] = offset;
    } else {
        params[0] = category;
        params[1] = limit;
        params[2] = offset;
    }
    if (!(r = db_exec(db, q ? &q_search : &q_list, params, &st)))
        return st;
    n = PQntuples(r);
    if (n > 0)
        *total = db_ll(r, 0, DEST_NCOLUMNS);
    if (!(*items = rows_to_json(r, -1)))
        st = DB_ERROR;
    PQclear(r);
    if (st == DB_OK && n == 0 && p->offset > 0)
        st = count_matches(db, q, category, total);
    if (st != DB_OK) {
        cJSON_Delete(*items);
        *items = NULL;
    }
    return st;
}

enum db_status destinations_store_nearby(struct db *db, double lat, double lon, double radius_m, long long limit,
                                         cJSON **items)
{
    char la[NUM_TEXT_MAX], lo[NUM_TEXT_MAX], rad[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    const char *params[] = {la, lo, rad, lim};
    enum db_status st;
    PGresult *r;

    *items = NULL;
    snprintf(la, sizeof la, "%.17g", lat);
    snprintf(lo, sizeof lo, "%.17g", lon);
    snprintf(rad, sizeof rad, "%.17g", radius_m);
    snprintf(lim, sizeof lim, "%lld", limit);
    if (!(r = db_exec(db, &q_nearby, params, &st)))
        return st;
    if (!(*items = rows_to_json(r, DEST_NCOLUMNS)))
        st = DB_ERROR;
    PQclear(r);
    return st;
}

enum db_status destinations_store_create(struct db *db, const struct dest_fields *f, cJSON **out)
{
    char la[NUM_TEXT_MAX], lo[NUM_TEXT_MAX];
    const char *params[] = {f->name, la, lo, f->category, f->address, f->description, f->green_certified ? "t" : "f"};

    snprintf(la, sizeof la, "%.17g", f->latitude);
    snprintf(lo, sizeof lo, "%.17g", f->longitude);
    return db_one(db, &q_create, params, row_to_json, out);
}

enum db_status destinations_store_update(struct db *db, long long id, const struct dest_fields *f, cJSON **out)
{
    char idbuf[NUM_TEXT_MAX];
    const char *params[2] = {idbuf, NULL};
    cJSON *patch = destinations_fields_json(f);
    char *text = patch ? cJSON_PrintUnformatted(patch) : NULL;
    enum db_status st = DB_ERROR;

    *out = NULL;
    cJSON_Delete(patch);
    if (!text)
        return DB_ERROR;
    snprintf(idbuf, sizeof idbuf, "%lld", id);
    params[1] = text;
    st = db_one(db, &q_update, params, row_to_json, out);
    free(text);
    return st;
}

enum db_status destinations_store_delete(struct db *db, long long id, int *deleted)
{
    char idbuf[NUM_TEXT_MAX];
    const char *params[] = {idbuf};
    enum db_status st;
    PGresult *r;

    *deleted = 0;
    snprintf(idbuf, sizeof idbuf, "%lld", id);
    if (!(r = db_exec(db, &q_delete, params, &st)))
        return st;
    *deleted = PQntuples(r) > 0;
    PQclear(r);
    return DB_OK;
}

/* Runs s with ids[0..n) as its one bigint[] parameter. */
static PGresult *exec_ids(struct db *db, struct db_statement *s, const long long *ids, size_t n, enum db_status *st)
{
    size_t cap = n * (IDS_DIGITS_MAX + 1) + 3;
    char *arr = malloc(cap);
    const char *params[1] = {arr};
    PGresult *r = NULL;

    *st = DB_ERROR;
    if (arr && ids_pg_array(ids, n, arr, cap) >= 0)
        r = db_exec(db, s, params, st);
    free(arr);
    return r;
}

enum db_status destinations_store_batch(struct db *db, const long long *ids, size_t n, cJSON **items)
{
    enum db_status st;
    PGresult *r;

    *items = NULL;
    if (!(r = exec_ids(db, &q_batch, ids, n, &st)))
        return st;
    if (!(*items = rows_to_json(r, -1)))
        st = DB_ERROR;
    PQclear(r);
    return st;
}

enum db_status destinations_store_existing(struct db *db, const long long *ids, size_t n, long long *found,
                                           size_t *nfound)
{
    enum db_status st;
    PGresult *r;
    int rows;

    *nfound = 0;
    if (!(r = exec_ids(db, &q_existing, ids, n, &st)))
        return st;
    rows = PQntuples(r);
    for (int i = 0; i < rows && (size_t)i < n; i++)
        found[(*nfound)++] = db_ll(r, i, 0);
    PQclear(r);
    return DB_OK;
}

enum db_status destinations_store_changes(struct db *db, long long after, long long limit, struct dest_changes *out)
{
    char a[NUM_TEXT_MAX], l[NUM_TEXT_MAX];
    const char *params[] = {a, l};
    enum db_status st;
    PGresult *r;

    *out = (struct dest_changes){0};
    snprintf(a, sizeof a, "%lld", after);
    snprintf(l, sizeof l, "%lld", limit);
    if (!(r = db_exec(db, &q_changes, params, &st)))
        return st;
    if (PQntuples(r) < 1 || !(out->items = cJSON_CreateArray())) {
        PQclear(r);
        return DB_ERROR;
    }
    out->pruned_through = db_ll(r, 0, 0);
    out->last_seq = db_ll(r, 0, 1);
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *o;
        if (PQgetisnull(r, i, 2))
            continue; /* the LEFT JOIN's row when there is no change */
        if (!(o = cJSON_CreateObject())) {
            st = DB_ERROR;
            break;
        }
        cJSON_AddItemToArray(out->items, o);
        cJSON_AddRawToObject(o, "seq", PQgetvalue(r, i, 2));
        cJSON_AddRawToObject(o, "destination_id", PQgetvalue(r, i, 3));
        cJSON_AddStringToObject(o, "op", db_str(r, i, 4));
        cJSON_AddStringToObject(o, "at", db_str(r, i, 5));
    }
    PQclear(r);
    if (st != DB_OK) {
        cJSON_Delete(out->items);
        out->items = NULL;
    }
    return st;
}

enum db_status destinations_store_prune(struct db *db, long long keep_seconds)
{
    char k[NUM_TEXT_MAX];
    const char *params[] = {k};
    enum db_status st;
    PGresult *r;

    snprintf(k, sizeof k, "%lld", keep_seconds);
    if (!(r = db_exec(db, &q_prune, params, &st)))
        return st;
    PQclear(r);
    return DB_OK;
}

/* ---- the search index's reads ---- */

#define INDEX_COLUMNS "id, name, address, category, latitude, longitude"

static struct db_statement q_change_cursor = {
    "SELECT greatest(s.pruned_through, (SELECT coalesce(max(seq), 0) FROM destination_change_log))"
    " FROM destination_change_log_state s",
    0, 0};
static struct db_statement q_index_page = {
    "SELECT " INDEX_COLUMNS " FROM destinations WHERE id > $1 ORDER BY id LIMIT $2", 2, 0};
static struct db_statement q_index_rows = {"SELECT " INDEX_COLUMNS " FROM destinations WHERE id = ANY($1::bigint[])", 1,
                                           0};

enum db_status destinations_store_change_cursor(struct db *db, long long *seq)
{
    enum db_status st;
    PGresult *r = db_exec(db, &q_change_cursor, NULL, &st);

    if (!r)
        return st;
    *seq = PQntuples(r) == 1 ? db_ll(r, 0, 0) : 0;
    PQclear(r);
    return DB_OK;
}

/* Passes each row of r (INDEX_COLUMNS) to each. */
static enum db_status index_rows(PGresult *r, dest_row_fn each, void *ctx)
{
    enum db_status st = DB_OK;

    for (int i = 0; st == DB_OK && i < PQntuples(r); i++) {
        const char *cat = db_str(r, i, 3);
        int category = -1;
        for (int c = 0; cat && dest_categories[c]; c++)
            if (strcmp(cat, dest_categories[c]) == 0)
                category = c;
        struct search_doc d = {.id = db_ll(r, i, 0),
                               .name = db_str(r, i, 1),
                               .address = db_str(r, i, 2),
                               .category = category,
                               .lat = db_double(r, i, 4),
                               .lon = db_double(r, i, 5)};
        if (each(&d, ctx) != 0)
            st = DB_ERROR;
    }
    PQclear(r);
    return st;
}

enum db_status destinations_store_index_page(struct db *db, long long after, long long limit, dest_row_fn each,
                                             void *ctx, long long *n)
{
    char a[NUM_TEXT_MAX], l[NUM_TEXT_MAX];
    const char *params[] = {a, l};
    enum db_status st;
    PGresult *r;

    *n = 0;
    snprintf(a, sizeof a, "%lld", after);
    snprintf(l, sizeof l, "%lld", limit);
    if (!(r = db_exec(db, &q_index_page, params, &st)))
        return st;
    *n = PQntuples(r);
    return index_rows(r, each, ctx);
}

enum db_status destinations_store_index_rows(struct db *db, const long long *ids, size_t n, dest_row_fn each, void *ctx)
{
    enum db_status st;
    PGresult *r = exec_ids(db, &q_index_rows, ids, n, &st);

    return r ? index_rows(r, each, ctx) : st;
}
