/* destinations_service: the client side of destination-service as a part of user-service —
 * libcurl's global state, each worker's handle (dest_check), the periodic reconciler and
 * the one-off `user-service reconcile` command. */
#ifndef DESTINATIONS_SERVICE_H
#define DESTINATIONS_SERVICE_H

#include "server.h"

/* Starts libcurl, the shared client state and the reconciler; sets o's worker hooks so
 * that each worker gets its own client. 0, or -1 (logged). */
int destinations_setup(struct server_options *o);

/* Stops the reconciler and frees what destinations_setup made. */
void destinations_teardown(void);

/* `user-service reconcile` (no arguments): one reconciling pass now. The exit status. */
int destinations_reconcile_command(int argc);

#endif
