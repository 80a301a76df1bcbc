/* reply: what a handler fills — status, headers and body, handed back to the loop thread.
 *
 * A reply owns its body and header copies; reply_free() releases them. Every setter
 * replaces what was there, so a handler may overwrite an answer (e.g. turn a half-built
 * 200 into a 503) without leaking. */
#ifndef ECOMOVEX_REPLY_H
#define ECOMOVEX_REPLY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "request.h"

#define REPLY_MAX_HEADERS 8

#define CT_JSON "application/json"
#define CT_PROBLEM "application/problem+json"

/* Every problem's "type" is PROBLEM_TYPE_BASE followed by a slug naming the kind of error
 * (problem_type_slug); "instance", added by the server as it sends, is PROBLEM_INSTANCE_BASE
 * followed by the request id. docs/problems.md lists the types. */
#define PROBLEM_TYPE_BASE "urn:ecomovex:problem:"
#define PROBLEM_INSTANCE_BASE "urn:ecomovex:request:"
#define CT_TEXT "text/plain; charset=utf-8"

struct reply {
    int status;               /* 0 until a handler answers */
    const char *content_type; /* static string, or NULL for no body */
    char *body;               /* malloc'd, owned */
    size_t body_len;
    struct header headers[REPLY_MAX_HEADERS];
    int nheaders;
};

/* Serializes json (which the call takes over and deletes) as the body with status.
 * Returns 0, or -1 when out of memory (the reply then holds reply_oom's 500). */
int reply_json(struct reply *rp, int status, cJSON *json);

/* A created resource: serializes json (taken over, as reply_json) with status (201, or 202
 * for an accepted but unconfirmed write) and, when that worked, Location: <prefix>/<id>
 * where id is json's "id" member. Returns 0, or -1 (the reply then holds reply_oom's 500). */
int reply_created(struct reply *rp, int status, cJSON *json, const char *prefix);

/* A new object holding item (taken over) under name: the usual wrapper of a list. NULL when
 * out of memory, with item freed and rp holding reply_oom's 500. */
cJSON *reply_object_of(struct reply *rp, const char *name, cJSON *item);

/* Takes ownership of body (malloc'd, len bytes; may be NULL with len 0). */
void reply_take_body(struct reply *rp, int status, const char *content_type, char *body, size_t len);

/* Copies body. Returns 0, or -1 when out of memory (the reply then holds reply_oom's 500). */
int reply_copy_body(struct reply *rp, int status, const char *content_type, const void *body, size_t len);

/* A reply without a body (204, 304). */
void reply_empty(struct reply *rp, int status);

/* Adds (or replaces) a response header; copies name and value. Returns 0, or -1 when full or out of memory. */
int reply_header(struct reply *rp, const char *name, const char *value);

/* Value of a header already set on the reply, or NULL. */
const char *reply_get_header(const struct reply *rp, const char *name);

/* Replaces whatever rp held with a 500 problem answer for when memory ran out; needs no
 * formatting and at most one small allocation. */
void reply_oom(struct reply *rp);

/* Frees body and headers and zeroes the reply. */
void reply_free(struct reply *rp);

/* The standard reason phrase for an HTTP status ("Not Found"), or "Unknown". */
const char *http_reason(int status);

#endif
