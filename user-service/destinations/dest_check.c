/* dest_check: destination validation and expansion for user-service handlers. */
#include "dest_check.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "problem.h"

#define DEST_URL_DEFAULT "http://127.0.0.1:8082"
#define DEST_RETRY_AFTER_S 2

static struct dest_shared shared;
static int shared_ready;
static enum dest_validation mode;

int dest_check_setup(const char *internal_token)
{
    static const char *const modes[] = {"strict", "deferred", NULL};
    struct dest_config cfg;

    mode = (enum dest_validation)config_env_enum("DESTINATION_VALIDATION", "strict", modes);
    dest_config_from_env(&cfg, config_env_str("DESTINATION_SERVICE_URL", DEST_URL_DEFAULT), internal_token);
    if (strncmp(cfg.base_url, "http://", 7) != 0 && strncmp(cfg.base_url, "https://", 8) != 0)
        config_fail("DESTINATION_SERVICE_URL", "must start with http:// or https://");
    if (dest_shared_init(&shared, &cfg) < 0)
        return -1;
    shared_ready = 1;
    return 0;
}

void dest_check_teardown(void)
{
    if (shared_ready)
        dest_shared_destroy(&shared);
    shared_ready = 0;
}

struct dest_shared *dest_check_shared(void)
{
    return &shared;
}

enum dest_validation dest_check_mode(void)
{
    return mode;
}

int dest_check_worker_init(struct worker *w)
{
    struct dest_client *c = calloc(1, sizeof *c);

    if (!c || dest_client_init_curl(c, &shared, (unsigned)w->id + 1) < 0) {
        free(c);
        return -1;
    }
    w->ctx = c;
    return 0;
}

void dest_check_worker_fini(struct worker *w)
{
    struct dest_client *c = w->ctx;

    if (c) {
        dest_client_destroy(c);
        free(c);
    }
    w->ctx = NULL;
}

struct dest_client *dest_check_client(const struct request *rq)
{
    return rq->worker->ctx;
}

int dest_check_exists(struct request *rq, struct reply *rp, long long id, const char *field, int *verified)
{
    int exists = -1;

    if (dest_client_validate(dest_check_client(rq), rq->request_id, &id, 1, &exists) == DEST_OK) {
        if (exists == 1) {
            *verified = 1;
            return 0;
        }
        {
            struct field_errors fe = {0};
            field_error(&fe, field, "no destination has id %lld", id);
            problem_fields(rp, &fe);
        }
        return -1;
    }
    if (mode == DEST_VALIDATION_DEFERRED) {
        *verified = 0;
        return 0;
    }
    problem_unavailable(rp, DEST_RETRY_AFTER_S, "destination-service, which checks destination ids,");
    return -1;
}

cJSON *dest_check_fetch(struct request *rq, const long long *ids, size_t n)
{
    cJSON *items = NULL;

    if (dest_client_fetch(dest_check_client(rq), rq->request_id, ids, n, &items) != DEST_OK)
        return NULL;
    return items;
}

#define EXPAND_MAX 32

int dest_check_expand_param(const struct request *rq, struct reply *rp)
{
    char v[EXPAND_MAX];
    int got = request_query(rq, "expand", v, sizeof v);

    if (got == 0)
        return 0;
    if (got > 0 && strcmp(v, "destination") == 0)
        return 1;
    problem(rp, 400, "expand accepts only 'destination'.");
    return -1;
}

/* Whether f has the shape the API promises for an embedded destination (the Destination
 * schema's required fields, each of its type and range): what destination-service answers
 * is passed on to clients only when it does. */
static int destination_shape_ok(const cJSON *f)
{
    static const char *const strings[] = {"name", "category", "address", "description", "created_at", "updated_at"};
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(f, "latitude");
    const cJSON *lon = cJSON_GetObjectItemCaseSensitive(f, "longitude");

    if (!cJSON_IsNumber(id) || id->valuedouble < 1 || !cJSON_IsNumber(lat) || lat->valuedouble < -90 ||
        lat->valuedouble > 90 || !cJSON_IsNumber(lon) || lon->valuedouble < -180 || lon->valuedouble > 180 ||
        !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(f, "green_certified")))
        return 0;
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, strings[i])))
            return 0;
    return 1;
}

void dest_check_expand(struct request *rq, cJSON *items)
{
    size_t n = 0, k = 0;
    long long *ids;
    cJSON *item, *fetched = NULL;

    cJSON_ArrayForEach (item, items)
        n++;
    if (n == 0 || !(ids = malloc(n * sizeof *ids)))
        return;
    cJSON_ArrayForEach (item, items) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(item, "destination_id");
        if (cJSON_IsNumber(d))
            ids[k++] = (long long)d->valuedouble;
    }
    n = k < DEST_MAX_IDS ? k : DEST_MAX_IDS; /* the client removes duplicates */
    fetched = n ? dest_check_fetch(rq, ids, n) : NULL;
    free(ids);
    cJSON_ArrayForEach (item, items) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(item, "destination_id"), *f;
        cJSON *found = NULL;
        const char *status = fetched ? "missing" : "unavailable";

        cJSON_ArrayForEach (f, fetched) {
            const cJSON *fid = cJSON_GetObjectItemCaseSensitive(f, "id");
            if (cJSON_IsNumber(fid) && cJSON_IsNumber(d) && fid->valuedouble == d->valuedouble) {
                /* a malformed answer is no answer: null, unavailable */
                found = destination_shape_ok(f) ? cJSON_Duplicate(f, 1) : NULL;
                status = found ? "ok" : "unavailable";
                break;
            }
        }
        cJSON_AddItemToObject(item, "destination", found ? found : cJSON_CreateNull());
        cJSON_AddStringToObject(item, "destination_status", status);
    }
    cJSON_Delete(fetched);
}
