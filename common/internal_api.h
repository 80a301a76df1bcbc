/* internal_api: the contract between user-service (the client) and destination-service
 * (the server) on /internal/v1, named once for both sides — and the one call the other way,
 * destination-service asking user-service's session route (below). docs/openapi.yaml describes the
 * same paths and fields under the tag "internal"; a change here changes it too. */
#ifndef ECOMOVEX_INTERNAL_API_H
#define ECOMOVEX_INTERNAL_API_H

/* GET  INTERNAL_PATH_BATCH?ids=1,2,3   -> {"items":[destination, ...]} (the ones that exist)
 * POST INTERNAL_PATH_VALIDATE {"ids":[...]} -> {"existing":[...],"missing":[...]} */
#define INTERNAL_PATH_BATCH "/internal/v1/destinations"
#define INTERNAL_PATH_VALIDATE "/internal/v1/destinations/validate"

/* GET INTERNAL_PATH_CHANGES?after=SEQ&limit=N -> the change feed, oldest first:
 *   {"changes":[{"seq":S,"destination_id":ID,"op":"create"|"update"|"delete","at":"RFC 3339"}],
 *    "next_after":S (the cursor for the next call), "last_seq":S (the newest sequence written)}
 * 410 problem with "oldest_seq" (the smallest after still answered) and "last_seq" when
 * after is older than the retention kept, or newer than anything written (a restored log). */
#define INTERNAL_PATH_CHANGES "/internal/v1/destinations/changes"
#define INTERNAL_FIELD_CHANGES "changes"
#define INTERNAL_FIELD_NEXT_AFTER "next_after"
#define INTERNAL_FIELD_LAST_SEQ "last_seq"
#define INTERNAL_FIELD_OLDEST_SEQ "oldest_seq"
#define INTERNAL_CHANGES_LIMIT_MAX 1000 /* changes one call may answer */
#define INTERNAL_CHANGES_LIMIT_DEFAULT 100
#define INTERNAL_SEQ_MAX 9007199254740991LL /* a cursor stays exact in a JSON double */

#define INTERNAL_FIELD_IDS "ids"           /* the query parameter and the request member */
#define INTERNAL_FIELD_ITEMS "items"       /* batch answer */
#define INTERNAL_FIELD_EXISTING "existing" /* validate answer: ids that exist, ascending */
#define INTERNAL_FIELD_MISSING "missing"   /* validate answer: ids that do not */

#define INTERNAL_IDS_MAX 1000 /* ids one call may name (docs/openapi.yaml, tag internal) */

/* The other direction: destination-service (the client) asks user-service (the server)
 * whether a token it verified is still in force before an admin write (issue 19).
 * GET INTERNAL_SESSION_PATH_PREFIX ID INTERNAL_SESSION_PATH_SUFFIX?ver=V
 *   -> 200 {"active":true|false,"admin":true|false}: active when user ID exists and its
 *      token_version is V; admin is the role in the database now (false when not active). */
#define INTERNAL_SESSION_PATH_PREFIX "/internal/v1/users/"
#define INTERNAL_SESSION_PATH_SUFFIX "/session"
#define INTERNAL_QUERY_VER "ver"
#define INTERNAL_FIELD_ACTIVE "active"
#define INTERNAL_FIELD_ADMIN "admin"

#endif
