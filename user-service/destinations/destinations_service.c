/* destinations_service: start-up and shut-down of user-service's destination client. */
#include "destinations_service.h"

#include <stdio.h>

#include <curl/curl.h>

#include "curl_start.h"

#include "dest_check.h"
#include "dest_feed.h"
#include "reconcile.h"
#include "service.h"

int destinations_setup(struct server_options *o)
{
    /* libcurl's global state must exist before any worker makes a handle. */
    if (curl_start() < 0 || dest_check_setup(service_auth.internal_token) < 0)
        return -1;
    o->worker_init = dest_check_worker_init;
    o->worker_fini = dest_check_worker_fini;
    if (dest_feed_start(&o->db, service_auth.internal_token) < 0)
        return -1;
    return reconcile_start(&o->db, service_auth.internal_token);
}

void destinations_teardown(void)
{
    dest_feed_stop();
    reconcile_stop();
    dest_check_teardown();
    curl_global_cleanup();
}

int destinations_reconcile_command(int argc)
{
    struct db_options dbo;
    int rc;

    if (argc > 0) {
        fprintf(stderr, "user-service reconcile takes no arguments\n");
        return 2;
    }
    service_db_options(&dbo);
    if (curl_start() < 0) {
        fprintf(stderr, "reconcile: libcurl could not start\n");
        return 1;
    }
    rc = reconcile_command(&dbo, service_auth.internal_token);
    curl_global_cleanup();
    return rc;
}
