/* accounts: the pure rules of user accounts — email normalization, username and password
 * checks — and the accounts configuration read at start-up. No I/O, no database. */
#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "password.h"
#include "reply.h"

#define ACCOUNTS_EMAIL_MAX 254      /* RFC 5321 path limit */
#define ACCOUNTS_EMAIL_LOCAL_MAX 64 /* RFC 5321 local-part limit */
#define ACCOUNTS_DOMAIN_LABEL_MAX 63
#define ACCOUNTS_USERNAME_MIN 3
#define ACCOUNTS_USERNAME_MAX 50
#define ACCOUNTS_PASSWORD_MIN 8   /* code points */
#define ACCOUNTS_PASSWORD_MAX 128 /* code points */

/* Kilobytes of argon2id memory by default (OWASP minimum, 19 MiB). */
#define ACCOUNTS_MEMLIMIT_DEFAULT_KIB 19456

/* What setup reads from the environment (see main.c), then read-only in the workers. */
struct accounts_config {
    struct password_params password;
};

extern struct accounts_config accounts_config;

/* Trims surrounding white space from in, lower-cases it (ASCII) and checks its syntax:
 * one '@', a local part of 1..64 characters (atext and dots, no leading, trailing or double
 * dot), a domain of at least two dot-separated labels of [a-z0-9-] (no leading or trailing
 * hyphen, 1..63 each), 254 characters at most in all. Writes the result into out (cap bytes).
 * Returns NULL when valid, else a static message saying what is wrong (out then undefined). */
const char *accounts_email_normalize(const char *in, char *out, size_t cap);

/* NULL if s is 3..50 characters of [A-Za-z0-9_.-], else a static message. */
const char *accounts_username_check(const char *s);

/* NULL if the valid UTF-8 string pw has 8..128 code points (nothing trimmed) and is not one
 * of the most common passwords (accounts_password_is_common), else a static message. */
const char *accounts_password_check(const char *pw);

/* 1 if pw, ASCII letters folded to lower case, is in the list of the most common passwords
 * of 8 or more characters shipped in common_passwords.c (sorted; searched by bisection). */
int accounts_password_is_common(const char *pw);

/* NULL if argon2id with t passes over mem_kib KiB is at least as costly as one of OWASP's
 * recommended settings (t=1 with 46 MiB, 2 with 19, 3 with 12, 4 with 9, 5+ with 7 MiB),
 * else a static message naming the floor. */
const char *accounts_hashing_weakness(unsigned long long t, size_t mem_kib);

/* A checked rule for a string field: NULL when s is acceptable, else why not. */
typedef const char *(*accounts_rule)(const char *s);

/* Reads string field name of obj (json_get_str with flags, any length) and applies rule.
 * Returns the string (pointing into obj) when present and valid; NULL when absent, null
 * (with JF_NULLABLE) or invalid, the last recorded in fe under name. */
const char *accounts_get_str(cJSON *obj, const char *name, unsigned flags, accounts_rule rule, struct field_errors *fe);

/* One trip to the hash gate, as a route needs it: first verify `password` (against `stored`,
 * or the dummy hash), then, unless that failed, hash `new_password` with the configured
 * parameters. */
struct password_work {
    enum { PW_VERIFY_NONE, PW_VERIFY_STORED, PW_VERIFY_DUMMY } verify;
    const char *stored, *password; /* for the verification */
    const char *new_password;      /* NULL: nothing to hash */
    char hash[PASSWORD_HASH_MAX];  /* out: the new hash */
    int verified, hashed;          /* out: 1 when verified; 0 when hashed, -1 failed or not asked */
};

/* Runs w on a hashing thread (hash_gate.h). 0 once done, or -1 with rp holding the 503. */
int accounts_password_work(struct reply *rp, struct password_work *w);

#endif
