/* accounts_service: the accounts area's part in running user-service. */
#ifndef ACCOUNTS_SERVICE_H
#define ACCOUNTS_SERVICE_H

#include "reply.h"
#include "request.h"
#include "router.h"
#include "server.h"

/* Reads the accounts configuration (PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT_KIB, PASSWORD_WAIT_MS,
 * the LOGIN_* and REGISTER_* limits), prepares password hashing and sizes the hash gate
 * (PASSWORD_HASH_SLOTS, default half of o's workers and of the processors, at least 1). 0, or -1
 * (logged); a malformed setting exits through config_fail. */
int accounts_setup(const struct server_options *o);

/* The server's authorize hook: internal token for AUTH_INTERNAL; otherwise a bearer token
 * whose user still exists with the same token_version, and an administrator for AUTH_ADMIN.
 * Fills rq->auth and returns 0, or fills rp (401/403/503) and returns -1. */
int accounts_authorize(struct request *rq, struct reply *rp, enum auth_level level);

/* Stops the hashing threads (at shutdown). */
void accounts_teardown(void);

/* `user-service make-admin EMAIL`: the operator's one way to make an administrator (of an
 * account that already exists). Prints the user's id; the exit status: 0, 1 when there is
 * no such account or no database, 2 on a malformed command. */
int accounts_make_admin_command(int argc, char **argv);

#endif
