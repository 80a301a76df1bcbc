/* accounts_service: the accounts area's part in running user-service. */
#ifndef ACCOUNTS_SERVICE_H
#define ACCOUNTS_SERVICE_H

#include "reply.h"
#include "request.h"
#include "router.h"

/* Reads the accounts configuration (PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT_KIB,
 * BOOTSTRAP_ADMIN_EMAIL, the LOGIN_* limits) and prepares password hashing. 0, or -1
 * (logged); a malformed setting exits through config_fail. */
int accounts_setup(void);

/* The server's authorize hook: internal token for AUTH_INTERNAL; otherwise a bearer token
 * whose user still exists with the same token_version, and an administrator for AUTH_ADMIN.
 * Fills rq->auth and returns 0, or fills rp (401/403/503) and returns -1. */
int accounts_authorize(struct request *rq, struct reply *rp, enum auth_level level);

#endif
