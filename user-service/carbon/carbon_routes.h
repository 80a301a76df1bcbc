/* carbon_routes: the trip log and footprint API (docs/carbon.md).
 * Each handler parses and validates its input, calls carbon (pure rules) and carbon_store,
 * and answers. Trips belong to their owner: another user's trip is a 404. */
#ifndef CARBON_ROUTES_H
#define CARBON_ROUTES_H

#include "reply.h"
#include "request.h"

#define CARBON_FUTURE_SLACK_S 300              /* traveled_at may be this far ahead of our clock */
#define CARBON_EARLIEST "2000-01-01T00:00:00Z" /* traveled_at may not be before this */

void carbon_list_factors(struct request *rq, struct reply *rp); /* GET /api/v1/carbon/factors (public) */
void carbon_create(struct request *rq, struct reply *rp);       /* POST /api/v1/carbon: 201 + Location */
void carbon_list(struct request *rq, struct reply *rp);         /* GET /api/v1/carbon?from=&to=&limit=&offset= */
void carbon_get(struct request *rq, struct reply *rp);          /* GET /api/v1/carbon/{id} */
void carbon_delete(struct request *rq, struct reply *rp);       /* DELETE /api/v1/carbon/{id}: 204 */
void carbon_summary(struct request *rq, struct reply *rp);      /* GET /api/v1/carbon/summary?period=&date= */

#endif
