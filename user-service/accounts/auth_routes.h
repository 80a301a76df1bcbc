/* auth_routes: registering and logging in — the two endpoints that issue tokens. */
#ifndef AUTH_ROUTES_H
#define AUTH_ROUTES_H

#include <cjson/cJSON.h>

#include "reply.h"
#include "request.h"
#include "users_store.h"

/* POST /api/v1/auth/register {username, email, password} → 201 with a token. */
void auth_register(struct request *rq, struct reply *rp);

/* POST /api/v1/auth/login {email, password} → 200 with a token, or the one 401. */
void auth_login(struct request *rq, struct reply *rp);

/* POST /api/v1/auth/logout-all (signed in) → 204: every token of the caller, this one
 * included, stops working at once on every replica. */
void auth_logout_all(struct request *rq, struct reply *rp);

/* Answers status with {user, access_token, token_type:"bearer", expires_in} for who.
 * Takes over user (deleted on every path). */
void auth_token_reply(struct reply *rp, int status, const struct users_identity *who, cJSON *user);

/* 429 "Too many <what>; try again in <wait> seconds." with Retry-After: wait. */
void auth_too_many(struct reply *rp, const char *what, long long wait);

#endif
