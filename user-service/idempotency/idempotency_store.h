/* idempotency_store: the SQL of the idempotency_keys table (migrations/users/0004). */
#ifndef IDEMPOTENCY_STORE_H
#define IDEMPOTENCY_STORE_H

#include <stddef.h>

#include "db_status.h"

struct db;

/* What a key holds: the fingerprint and, once answered, the answer. */
struct idem_row {
    char hash[65];
    int status; /* 0 while the first request is still running */
    char content_type[128];
    char location[512];
    char *body; /* malloc'd (NULL for none), freed by the caller */
    size_t body_len;
};

/* Claims (user, route, key) with hash, inside the caller's transaction: 1 when claimed (a new
 * key, an expired one, or a claim left without an answer for stale_s seconds by an earlier
 * version), 0 when the key is held (*row filled), 2 when another transaction is claiming it
 * now, or -1 with *st. The claim holds until that transaction ends. */
int idem_store_claim(struct db *db, long long user, const char *route, const char *key, const char *hash, int ttl_s,
                     int stale_s, struct idem_row *row, enum db_status *st);

/* The transaction a keyed request runs in (db.h's, for idempotency.c, which sees no libpq):
 * begin; nest on while the handler runs (its transactions and lone statements become
 * savepoints); end commits when commit is 1, else rolls back, and returns the outcome. */
enum db_status idem_store_begin(struct db *db);
void idem_store_nest(struct db *db, int on);
enum db_status idem_store_end(struct db *db, int commit);

/* Records the answer of a claimed key. */
enum db_status idem_store_answer(struct db *db, long long user, const char *route, const char *key, int status,
                                 const char *content_type, const char *location, const char *body);

/* Deletes up to limit keys older than ttl_s; returns how many or -1. */
long idem_store_prune(struct db *db, int ttl_s, int limit);

#endif
