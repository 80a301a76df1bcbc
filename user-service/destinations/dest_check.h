/* dest_check: the destination side as reviews and plans see it.
 *
 * Holds the process-wide destination client state (breaker, cache), the per-worker clients,
 * and the one rule every write that names a destination follows: exists → write; missing →
 * 422 on destination_id; no answer → 503 (strict) or write it unverified (deferred). */
#ifndef DEST_CHECK_H
#define DEST_CHECK_H

#include <cjson/cJSON.h>

#include "dest_client.h"
#include "reply.h"
#include "request.h"
#include "server.h"

enum dest_validation { DEST_VALIDATION_STRICT = 0, DEST_VALIDATION_DEFERRED = 1 };

/* Reads DESTINATION_SERVICE_URL, DESTINATION_VALIDATION and the DEST_* knobs; sets up the
 * shared client state. Call from setup, once. 0 or -1. */
int dest_check_setup(const char *internal_token);
void dest_check_teardown(void);

/* Per-worker client (worker->ctx). */
int dest_check_worker_init(struct worker *w);
void dest_check_worker_fini(struct worker *w);

/* The worker's client, for handlers that call destination-service themselves. */
struct dest_client *dest_check_client(const struct request *rq);

/* Checks that destination id exists before a write. Returns 0 with *verified = 1 (exists)
 * or 0 (deferred mode, no answer: write it unverified); or -1 with rp filled (422 naming
 * field, or 503 with Retry-After). */
int dest_check_exists(struct request *rq, struct reply *rp, long long id, const char *field, int *verified);

/* ?expand= of a read: 1 when it names destination, 0 when absent, -1 (with a 400 in rp)
 * for anything else. */
int dest_check_expand_param(const struct request *rq, struct reply *rp);

/* Embeds destinations into items (a JSON array of objects carrying "destination_id"): one
 * batch call for all distinct ids; each item gets "destination" (object or null) and
 * "destination_status" ("ok", "missing" or "unavailable"). Never fails the request. */
void dest_check_expand(struct request *rq, cJSON *items);

/* The fetched destinations for ids (JSON array, caller deletes), or NULL when unavailable. */
cJSON *dest_check_fetch(struct request *rq, const long long *ids, size_t n);

/* The validation mode in force. */
enum dest_validation dest_check_mode(void);

/* The shared state (the reconciler uses it outside the server). */
struct dest_shared *dest_check_shared(void);

#endif
