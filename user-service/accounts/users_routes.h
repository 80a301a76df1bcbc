/* users_routes: profiles — one's own, other users' public ones, and the admin's views. */
#ifndef USERS_ROUTES_H
#define USERS_ROUTES_H

#include "reply.h"
#include "request.h"

void users_get_me(struct request *rq, struct reply *rp);       /* GET /api/v1/users/me */
void users_patch_me(struct request *rq, struct reply *rp);     /* PATCH /api/v1/users/me */
void users_delete_me(struct request *rq, struct reply *rp);    /* DELETE /api/v1/users/me */
void users_put_password(struct request *rq, struct reply *rp); /* PUT /api/v1/users/me/password */
void users_get(struct request *rq, struct reply *rp);          /* GET /api/v1/users/{id}: public profile */
/* GET /internal/v1/users/{id}/session?ver=V (internal token): whether a token of user id at
 * version V is still in force, and whether the user is an administrator now (internal_api.h). */
void users_internal_session(struct request *rq, struct reply *rp);
void users_list(struct request *rq, struct reply *rp);       /* GET /api/v1/users: admin, paged */
void users_add_points(struct request *rq, struct reply *rp); /* POST /api/v1/users/{id}/eco-points: admin */

#endif
