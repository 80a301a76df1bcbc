/* paging: list parameters and answers. */
#include "paging.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define QUERY_NUM_MAX 32

int query_ll(const struct request *rq, const char *name, long long min, long long max, long long *out,
             struct field_errors *fe)
{
    char buf[QUERY_NUM_MAX], *end;
    long long v;
    int got = request_query(rq, name, buf, sizeof buf);

    if (got == 0)
        return 0;
    errno = 0;
    v = got > 0 ? strtoll(buf, &end, 10) : 0;
    if (got < 0 || end == buf || *end || errno == ERANGE || v < min || v > max) {
        field_error(fe, name, "must be an integer from %lld to %lld", min, max);
        return -1;
    }
    *out = v;
    return 1;
}

int query_double(const struct request *rq, const char *name, double min, double max, double *out,
                 struct field_errors *fe)
{
    char buf[QUERY_NUM_MAX], *end;
    double v;
    int got = request_query(rq, name, buf, sizeof buf);

    if (got == 0)
        return 0;
    v = got > 0 ? strtod(buf, &end) : 0;
    if (got < 0 || end == buf || *end || !isfinite(v) || v < min || v > max) {
        field_error(fe, name, "must be a number from %g to %g", min, max);
        return -1;
    }
    *out = v;
    return 1;
}

int paging_parse(const struct request *rq, long long max_limit, struct paging *p, struct field_errors *fe)
{
    int bad = 0;

    p->limit = PAGING_DEFAULT_LIMIT < max_limit ? PAGING_DEFAULT_LIMIT : max_limit;
    p->offset = 0;
    bad |= query_ll(rq, "limit", 1, max_limit, &p->limit, fe) < 0;
    bad |= query_ll(rq, "offset", 0, PAGING_MAX_OFFSET, &p->offset, fe) < 0;
    return bad ? -1 : 0;
}

cJSON *paging_wrap(cJSON *items, const struct paging *p, long long total)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !items) {
        cJSON_Delete(o);
        cJSON_Delete(items);
        return NULL;
    }
    cJSON_AddItemToObject(o, "items", items);
    cJSON_AddNumberToObject(o, "limit", (double)p->limit);
    cJSON_AddNumberToObject(o, "offset", (double)p->offset);
    cJSON_AddNumberToObject(o, "total", (double)total);
    return o;
}

void paging_reply(struct reply *rp, enum db_status st, const struct db_answers *a, cJSON *items, const struct paging *p,
                  long long total)
{
    if (st != DB_OK) {
        cJSON_Delete(items);
        problem_db(rp, st, a);
    } else {
        reply_json(rp, 200, paging_wrap(items, p, total));
    }
}
