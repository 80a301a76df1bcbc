/* reviews_routes: HTTP <-> domain for reviews (one per user per destination). */
#ifndef REVIEWS_ROUTES_H
#define REVIEWS_ROUTES_H

#include "reply.h"
#include "request.h"

void reviews_create(struct request *rq, struct reply *rp);
void reviews_list(struct request *rq, struct reply *rp);
void reviews_summary(struct request *rq, struct reply *rp);
void reviews_get(struct request *rq, struct reply *rp);
void reviews_patch(struct request *rq, struct reply *rp);
void reviews_delete(struct request *rq, struct reply *rp);

#endif
