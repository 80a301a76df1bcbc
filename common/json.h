/* json: reading request bodies strictly, and typed getters that record field errors.
 *
 * A handler parses the body with json_body(), then reads each field with a getter.
 * Getters never fail the request themselves: they add to a struct field_errors, and the
 * handler answers one 422 naming every bad field (problem_fields). Unknown fields are
 * ignored; a field of the wrong type is an error. */
#ifndef ECOMOVEX_JSON_H
#define ECOMOVEX_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "problem.h"
#include "request.h"

#define JSON_BODY_MAX (64 * 1024) /* JSON bodies <= 64 KiB (docs/security.md, limits) */
#define JSON_DATE_LEN 10          /* YYYY-MM-DD */

/* Getter flags. */
#define JF_REQUIRED 1u /* absent (or null unless JF_NULLABLE) is an error */
#define JF_NULLABLE 2u /* null is accepted and reported as JSON_NULL */
#define JF_NOTRIM 4u   /* strings: keep surrounding white space */

enum json_got { JSON_BAD = -1, JSON_ABSENT = 0, JSON_OK = 1, JSON_NULL = 2 };

/* Parses rq's body as a JSON object of at most max_bytes. On failure fills rp — 415 when
 * Content-Type is not application/json, 413 when too large, 400 when empty, malformed,
 * not UTF-8, holding a \u0000 escape or a raw control character in a string, or not an
 * object — and returns NULL. The tree belongs to the request (rq->json) and is freed with
 * it: a handler never deletes its body, so every early return is just a return. */
cJSON *json_body(struct request *rq, struct reply *rp, size_t max_bytes);

/* 1 if the Content-Type header names application/json (parameters allowed). */
int json_content_type_ok(const char *content_type);

/* String of min_chars..max_chars code points (after trimming unless JF_NOTRIM). *out points
 * into obj (trimmed in place) and lives as long as obj. */
enum json_got json_get_str(cJSON *obj, const char *name, unsigned flags, size_t min_chars, size_t max_chars,
                           const char **out, struct field_errors *fe);

/* Integer (a JSON number without fraction, |v| <= 2^53) in [min, max]. */
enum json_got json_get_int(const cJSON *obj, const char *name, unsigned flags, long long min, long long max,
                           long long *out, struct field_errors *fe);

/* Finite number in [min, max]. */
enum json_got json_get_num(const cJSON *obj, const char *name, unsigned flags, double min, double max, double *out,
                           struct field_errors *fe);

enum json_got json_get_bool(const cJSON *obj, const char *name, unsigned flags, int *out, struct field_errors *fe);

/* String that must be one of the NULL-terminated list allowed; *out is its index. */
enum json_got json_get_enum(const cJSON *obj, const char *name, unsigned flags, const char *const *allowed, int *out,
                            struct field_errors *fe);

/* Calendar date "YYYY-MM-DD" (years 1900..9999); out receives the validated text. */
enum json_got json_get_date(const cJSON *obj, const char *name, unsigned flags, char out[JSON_DATE_LEN + 1],
                            struct field_errors *fe);

/* Array of min_n..max_n positive ids; *out is malloc'd (caller frees) and *n its length. */
enum json_got json_get_ids(const cJSON *obj, const char *name, unsigned flags, size_t min_n, size_t max_n,
                           long long **out, size_t *n, struct field_errors *fe);

/* 1 if text is a valid "YYYY-MM-DD" calendar date. */
int json_date_valid(const char *text);

#endif
