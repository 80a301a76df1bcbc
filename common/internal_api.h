/* internal_api: the contract between user-service (the client) and destination-service
 * (the server) on /internal/v1, named once for both sides. docs/openapi.yaml describes the
 * same paths and fields under the tag "internal"; a change here changes it too. */
#ifndef ECOMOVEX_INTERNAL_API_H
#define ECOMOVEX_INTERNAL_API_H

/* GET  INTERNAL_PATH_BATCH?ids=1,2,3   -> {"items":[destination, ...]} (the ones that exist)
 * POST INTERNAL_PATH_VALIDATE {"ids":[...]} -> {"existing":[...],"missing":[...]} */
#define INTERNAL_PATH_BATCH "/internal/v1/destinations"
#define INTERNAL_PATH_VALIDATE "/internal/v1/destinations/validate"

#define INTERNAL_FIELD_IDS "ids"           /* the query parameter and the request member */
#define INTERNAL_FIELD_ITEMS "items"       /* batch answer */
#define INTERNAL_FIELD_EXISTING "existing" /* validate answer: ids that exist, ascending */
#define INTERNAL_FIELD_MISSING "missing"   /* validate answer: ids that do not */

#define INTERNAL_IDS_MAX 1000 /* ids one call may name (docs/openapi.yaml, tag internal) */

#endif
