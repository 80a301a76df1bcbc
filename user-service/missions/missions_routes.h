/* missions_routes: missions, their completion, a user's eco points and the leaderboard
 * (docs/missions.md: missions, eco points, ranks). Each handler validates its input,
 * calls missions_store and answers. Users see active missions only; admins see all. */
#ifndef MISSIONS_ROUTES_H
#define MISSIONS_ROUTES_H

#include "reply.h"
#include "request.h"

#define MISSION_NAME_MAX 200
#define MISSION_DESCRIPTION_MAX 1000
#define MISSION_VALUE_MAX 100000
#define LEADERBOARD_DEFAULT_LIMIT 10
#define LEADERBOARD_MAX_LIMIT 100

void missions_list(struct request *rq, struct reply *rp);        /* GET /api/v1/missions (user), paged */
void missions_get(struct request *rq, struct reply *rp);         /* GET /api/v1/missions/{id} (user) */
void missions_create(struct request *rq, struct reply *rp);      /* POST /api/v1/missions (admin): 201 */
void missions_update(struct request *rq, struct reply *rp);      /* PATCH /api/v1/missions/{id} (admin) */
void missions_delete(struct request *rq, struct reply *rp);      /* DELETE /api/v1/missions/{id} (admin): 204 */
void missions_complete(struct request *rq, struct reply *rp);    /* POST /api/v1/missions/{id}/complete (user) */
void missions_of_me(struct request *rq, struct reply *rp);       /* GET /api/v1/users/me/missions (user) */
void missions_leaderboard(struct request *rq, struct reply *rp); /* GET /api/v1/leaderboard?limit= (user) */

#endif
