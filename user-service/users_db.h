/* users_db: how user-service answers when a call to its own database fails. Every area
 * uses it, so it lives at the top of the service rather than in one area's handlers. */
#ifndef USERS_DB_H
#define USERS_DB_H

#include "db_status.h"
#include "reply.h"

/* Answers a store failure the way a client should see it: 503 + Retry-After when the users
 * database is down, 404 when the caller's account vanished under a foreign key, 500
 * (details in the log only) otherwise. */
void users_db_failed(struct reply *rp, enum db_status st);

#endif
