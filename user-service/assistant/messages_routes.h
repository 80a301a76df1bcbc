/* messages_routes: the eco assistant's conversation API (docs/assistant.md).
 * POST stores the user's message and the assistant's deterministic reply (assistant.c
 * decides the intent and words it; the data comes from the carbon and missions stores and
 * from destination-service's public search). A user only sees their own conversation. */
#ifndef MESSAGES_ROUTES_H
#define MESSAGES_ROUTES_H

#include "reply.h"
#include "request.h"

#define MESSAGES_CONTENT_MAX 2000 /* characters of a user's message, after trimming */

void messages_create(struct request *rq, struct reply *rp); /* POST /api/v1/messages: 201 {message, reply} */
void messages_list(struct request *rq, struct reply *rp);   /* GET /api/v1/messages?before_id=&limit= */
void messages_clear(struct request *rq, struct reply *rp);  /* DELETE /api/v1/messages: 204 */

#endif
