/* problem: RFC 9457 answers. Built with snprintf into a bounded buffer, not cJSON,
 * so that an error answer needs exactly one allocation and cannot itself fail halfway. */
#include "problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define PROBLEM_DETAIL_MAX 512
#define PROBLEM_BODY_MAX (PROBLEM_DETAIL_MAX * 2 + FIELD_ERRORS_MAX * (FIELD_NAME_MAX + FIELD_MESSAGE_MAX) * 2 + 512)

void field_error(struct field_errors *fe, const char *field, const char *fmt, ...)
{
    va_list ap;

    for (int i = 0; i < fe->n && i < FIELD_ERRORS_MAX; i++)
        if (strcmp(fe->e[i].field, field) == 0)
            return;
    if (fe->n < FIELD_ERRORS_MAX) {
        struct field_error *e = &fe->e[fe->n];
        snprintf(e->field, sizeof e->field, "%s", field);
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    }
    fe->n++;
}

/* Appends to body (PROBLEM_BODY_MAX bytes) at *n; a piece that would not fit is dropped
 * whole, so *n never passes the end and the text stays well-formed up to the last piece. */
static void append(char *body, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *body, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int w;

    va_start(ap, fmt);
    w = vsnprintf(body + *n, PROBLEM_BODY_MAX - *n, fmt, ap);
    va_end(ap);
    if (w > 0 && (size_t)w < PROBLEM_BODY_MAX - *n)
        *n += (size_t)w;
    else
        body[*n] = '\0';
}

/* The type URI of each kind of error (docs/problems.md lists them): one per status, plus
 * the field-by-field 422 of problem_fields, which clients handle differently from a 422 rule. */
static const struct {
    int status;
    const char *slug;
} types[] = {
    {400, "malformed-request"},
    {401, "unauthenticated"},
    {403, "forbidden"},
    {404, "not-found"},
    {405, "method-not-allowed"},
    {406, "not-acceptable"},
    {408, "request-timeout"},
    {409, "conflict"},
    {410, "gone"},
    {412, "precondition-failed"},
    {413, "too-large"},
    {414, "too-large"},
    {415, "unsupported-media-type"},
    {422, "rule-violated"},
    {429, "rate-limited"},
    {431, "too-large"},
    {500, "internal"},
    {502, "bad-gateway"},
    {503, "unavailable"},
    {504, "timeout"},
};

const char *problem_type_slug(int status, int fields)
{
    if (status == 422 && fields)
        return "invalid-fields";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].status == status)
            return types[i].slug;
    return status >= 500 ? "internal" : "malformed-request";
}

static void emit(struct reply *rp, int status, const char *detail, const struct field_errors *fe)
{
    char *body = malloc(PROBLEM_BODY_MAX);
    char esc[PROBLEM_DETAIL_MAX * 2];
    size_t n = 0;

    if (!body) {
        reply_oom(rp);
        return;
    }
    log_json_escape(esc, sizeof esc, detail);
    append(body, &n, "{\"type\":\"" PROBLEM_TYPE_BASE "%s\",\"title\":\"%s\",\"status\":%d,\"detail\":\"%s\"",
           problem_type_slug(status, fe != NULL), http_reason(status), status, esc);
    if (fe) {
        append(body, &n, ",\"errors\":[");
        for (int i = 0; i < fe->n && i < FIELD_ERRORS_MAX; i++) {
            char f[FIELD_NAME_MAX * 2], m[FIELD_MESSAGE_MAX * 2];
            log_json_escape(f, sizeof f, fe->e[i].field);
            log_json_escape(m, sizeof m, fe->e[i].message);
            append(body, &n, "%s{\"field\":\"%s\",\"message\":\"%s\"}", i ? "," : "", f, m);
        }
        append(body, &n, "]");
    }
    append(body, &n, "}");
    reply_take_body(rp, status, CT_PROBLEM, body, n);
}

void problem(struct reply *rp, int status, const char *fmt, ...)
{
    char detail[PROBLEM_DETAIL_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    emit(rp, status, detail, NULL);
}

void problem_fields(struct reply *rp, const struct field_errors *fe)
{
    emit(rp, 422, fe->n == 1 ? "One field is invalid." : "Some fields are invalid.", fe);
}

int problem_fields_any(struct reply *rp, const struct field_errors *fe)
{
    if (!fe->n)
        return 0;
    problem_fields(rp, fe);
    return 1;
}

void problem_unavailable(struct reply *rp, int retry_after_s, const char *what)
{
    char ra[16];

    problem(rp, 503, "%s is unavailable; retry later.", what);
    snprintf(ra, sizeof ra, "%d", retry_after_s);
    reply_header(rp, "Retry-After", ra);
}

int problem_retry_after_s = 1;

void problem_db(struct reply *rp, enum db_status st, const struct db_answers *a)
{
    switch (st) {
    case DB_UNAVAILABLE:
        problem_unavailable(rp, problem_retry_after_s, a->database ? a->database : "The database");
        return;
    case DB_UNIQUE:
        problem(rp, 409, "%s", a->unique ? a->unique : "This conflicts with something that already exists.");
        return;
    case DB_CHECK: problem(rp, 422, "%s", a->check ? a->check : "The values break a rule of the data model."); return;
    case DB_FOREIGN_KEY:
        if (a->foreign_key_status) {
            problem(rp, a->foreign_key_status, "%s", a->foreign_key ? a->foreign_key : "A referenced item is gone.");
            return;
        }
        break;
    default: break;
    }
    problem_internal(rp);
}

void problem_or_found(struct reply *rp, enum db_status st, const struct db_answers *a, long long id, cJSON *obj)
{
    if (st != DB_OK)
        problem_db(rp, st, a);
    else if (!obj)
        a->not_found(rp, id);
    else
        reply_json(rp, 200, obj);
}

void problem_or_deleted(struct reply *rp, enum db_status st, const struct db_answers *a, long long id, int deleted)
{
    if (st != DB_OK)
        problem_db(rp, st, a);
    else if (!deleted)
        a->not_found(rp, id);
    else
        reply_empty(rp, 204);
}

void problem_internal(struct reply *rp)
{
    emit(rp, 500, "The server could not answer this request.", NULL);
}

void problem_member_ll(struct reply *rp, const char *name, long long value)
{
    char extra[PROBLEM_DETAIL_MAX];
    int n;
    char *body;

    if (!rp->body || rp->body_len < 2 || rp->body[rp->body_len - 1] != '}' || !rp->content_type ||
        strcmp(rp->content_type, CT_PROBLEM) != 0)
        return;
    n = snprintf(extra, sizeof extra, ",\"%s\":%lld}", name, value);
    if (n < 0 || (size_t)n >= sizeof extra || !(body = realloc(rp->body, rp->body_len + (size_t)n)))
        return;
    memcpy(body + rp->body_len - 1, extra, (size_t)n); /* over the closing brace, with a new one */
    rp->body = body;
    rp->body_len += (size_t)n - 1;
}
