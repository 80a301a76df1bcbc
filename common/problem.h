/* problem: RFC 9457 application/problem+json answers.
 *
 * Every error a client sees goes through here, so the shape is the same everywhere:
 * {"type","title","status","detail"} plus "errors":[{"field","message"}] on 422. */
#ifndef ECOMOVEX_PROBLEM_H
#define ECOMOVEX_PROBLEM_H

#include "db_status.h"
#include "reply.h"

#define FIELD_ERRORS_MAX 16
#define FIELD_NAME_MAX 64
#define FIELD_MESSAGE_MAX 160

struct field_error {
    char field[FIELD_NAME_MAX];
    char message[FIELD_MESSAGE_MAX];
};

/* Field errors collected while validating a request; more than FIELD_ERRORS_MAX are counted, not kept. */
struct field_errors {
    int n;
    struct field_error e[FIELD_ERRORS_MAX];
};

/* Records that field is invalid (printf-style message). The first error per field wins. */
void field_error(struct field_errors *fe, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The slug of the type (after PROBLEM_TYPE_BASE, reply.h) for status; fields: the answer lists field errors
 * (problem_fields). */
const char *problem_type_slug(int status, int fields);

/* Fills rp with a problem answer: title is the status' reason phrase, detail is printf-style. */
void problem(struct reply *rp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 422 listing every field error. */
void problem_fields(struct reply *rp, const struct field_errors *fe);

/* The usual end of validation: when fe holds errors, answers problem_fields and returns 1
 * (the handler returns); 0 when there is nothing to answer. */
int problem_fields_any(struct reply *rp, const struct field_errors *fe);

/* 503 with Retry-After (seconds): a dependency is down. */
void problem_unavailable(struct reply *rp, int retry_after_s, const char *what);

/* What an area says when its store fails; NULL members fall back to generic wording. */
struct db_answers {
    const char *database;    /* "The users database": named in the 503 */
    const char *unique;      /* 409 detail on DB_UNIQUE */
    const char *check;       /* 422 detail on DB_CHECK */
    const char *foreign_key; /* detail on DB_FOREIGN_KEY, answered with foreign_key_status */
    int foreign_key_status;  /* 404 or 422; 0 means 500 */
    /* The 404 of problem_or_found and problem_or_deleted. */
    void (*not_found)(struct reply *rp, long long id);
};

/* Seconds of Retry-After on a 503 from problem_db (RETRY_AFTER_SECONDS; set at start-up). */
extern int problem_retry_after_s;

/* The one mapping of a store failure to an answer: DB_UNAVAILABLE → 503 + Retry-After,
 * DB_UNIQUE → 409, DB_CHECK → 422, DB_FOREIGN_KEY → a->foreign_key_status, anything else
 * (and DB_OK, which is a caller bug) → 500 with the details left to the log. */
void problem_db(struct reply *rp, enum db_status st, const struct db_answers *a);

/* The usual end of a read by id: the store's failure, a->not_found when obj is NULL,
 * else 200 with obj (taken over). */
void problem_or_found(struct reply *rp, enum db_status st, const struct db_answers *a, long long id, cJSON *obj);

/* The usual end of a delete by id: the store's failure, a->not_found when nothing was
 * deleted, else 204. */
void problem_or_deleted(struct reply *rp, enum db_status st, const struct db_answers *a, long long id, int deleted);

/* Adds the integer extension member name (a fixed identifier, not escaped) to the problem rp
 * holds, e.g. 410's "oldest_seq". A reply that is no problem object is left as it is. */
void problem_member_ll(struct reply *rp, const char *name, long long value);

/* 500 without details (the details go to the log, never to the client). */
void problem_internal(struct reply *rp);

#endif
