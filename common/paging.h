/* paging: ?limit= and ?offset= for list endpoints, and the {"items","limit","offset","total"} answer. */
#ifndef ECOMOVEX_PAGING_H
#define ECOMOVEX_PAGING_H

#include <cjson/cJSON.h>

#include "problem.h"
#include "request.h"

#define PAGING_DEFAULT_LIMIT 20
#define PAGING_MAX_LIMIT 100
#define PAGING_MAX_OFFSET 1000000 /* deeper pages are refused: OFFSET scans what it skips */

struct paging {
    long long limit, offset;
};

/* Reads limit (1..max_limit, default PAGING_DEFAULT_LIMIT) and offset (0..PAGING_MAX_OFFSET)
 * from rq's query. Bad values are added to fe (the handler answers 422). Returns 0 or -1. */
int paging_parse(const struct request *rq, long long max_limit, struct paging *p, struct field_errors *fe);

/* Wraps items (taken over) as {"items":[...],"limit":N,"offset":N,"total":N}. NULL on OOM. */
cJSON *paging_wrap(cJSON *items, const struct paging *p, long long total);

/* The usual end of a paged list: the store's failure (problem_db with a), else 200 with
 * paging_wrap(items, p, total). */
void paging_reply(struct reply *rp, enum db_status st, const struct db_answers *a, cJSON *items, const struct paging *p,
                  long long total);

/* Reads an integer query parameter in [min, max]. Returns 1 found, 0 absent, -1 bad (recorded in fe). */
int query_ll(const struct request *rq, const char *name, long long min, long long max, long long *out,
             struct field_errors *fe);

/* Reads a finite number query parameter in [min, max]. Returns 1 found, 0 absent, -1 bad (recorded in fe). */
int query_double(const struct request *rq, const char *name, double min, double max, double *out,
                 struct field_errors *fe);

#endif
