/* plans_routes: HTTP <-> domain for travel plans and their stops. Owner only: another
 * user's plan answers 404, exactly like one that does not exist. */
#ifndef PLANS_ROUTES_H
#define PLANS_ROUTES_H

#include "reply.h"
#include "request.h"

void plans_create(struct request *rq, struct reply *rp);
void plans_list(struct request *rq, struct reply *rp);
void plans_get(struct request *rq, struct reply *rp);
void plans_patch(struct request *rq, struct reply *rp);
void plans_delete(struct request *rq, struct reply *rp);
void plans_add_stop(struct request *rq, struct reply *rp);
void plans_list_stops(struct request *rq, struct reply *rp);
void plans_patch_stop(struct request *rq, struct reply *rp);
void plans_delete_stop(struct request *rq, struct reply *rp);
void plans_footprint(struct request *rq, struct reply *rp);

#endif
