/* destinations_routes: HTTP <-> domain for the destinations API (docs/openapi.yaml, tag destinations).
 * Each handler parses and validates its input, calls destinations_store, and answers. */
#ifndef DESTINATIONS_ROUTES_H
#define DESTINATIONS_ROUTES_H

#include "reply.h"
#include "request.h"

/* Cache lifetimes the gateway may use: one destination changes rarely; lists a bit more. */
#define DEST_CACHE_ONE "public, max-age=60"
#define DEST_CACHE_LIST "public, max-age=10"

#define DEST_QUERY_MAX 200 /* characters of ?q= */
#define DEST_RADIUS_KM_DEFAULT 10.0
#define DEST_RADIUS_KM_MAX 1000.0
#define DEST_NEARBY_LIMIT_MAX 100

/* GET /api/v1/destinations/{id}: one destination, with ETag and If-None-Match. */
void destinations_get(struct request *rq, struct reply *rp);

/* GET /api/v1/destinations?q=&category=&limit=&offset=: name search, paged. */
void destinations_search(struct request *rq, struct reply *rp);

/* GET /api/v1/destinations/nearby?lat=&lon=&radius_km=&limit=: nearest first, as
 * {"items":[... each with "distance_km"],"limit":N,"radius_km":R} (no offset or total: a
 * nearest-first page is cut by the index, the rows beyond it are never counted). */
void destinations_nearby(struct request *rq, struct reply *rp);

/* POST /api/v1/destinations (admin): 201 with Location. */
void destinations_create(struct request *rq, struct reply *rp);

/* PATCH /api/v1/destinations/{id} (admin): changes the fields the body carries; an object
 * with none of them changes nothing and answers the destination as it is. */
void destinations_update(struct request *rq, struct reply *rp);

/* DELETE /api/v1/destinations/{id} (admin): 204. */
void destinations_delete(struct request *rq, struct reply *rp);

/* GET /internal/v1/destinations?ids=1,2,3 (service): {"items":[...]} by id. */
void destinations_internal_batch(struct request *rq, struct reply *rp);

/* POST /internal/v1/destinations/validate (service): {"ids":[...]} -> existing / missing. */
void destinations_internal_validate(struct request *rq, struct reply *rp);

/* GET /internal/v1/destinations/changes?after=&limit= (service): the change feed
 * (internal_api.h). */
void destinations_internal_changes(struct request *rq, struct reply *rp);

/* Reads DEST_CHANGES_KEEP_SECONDS (how long the change log keeps a change). Call once at
 * start-up. */
void destinations_changes_setup(void);

#endif
