/* dest_cache: a bounded TTL cache of "does destination id exist?" answers.
 *
 * Shared by all workers (one mutex; the critical section is a few loads). Fixed capacity,
 * set-associative: an id lives in one of DEST_CACHE_WAYS slots of its set, and a new entry
 * replaces an expired one or the one expiring first. Memory never grows. */
#ifndef DEST_CACHE_H
#define DEST_CACHE_H

#include <pthread.h>
#include <stddef.h>

#define DEST_CACHE_WAYS 4

struct dest_cache_entry {
    long long id;         /* 0: empty */
    long long expires_ms; /* entry is valid while now < expires_ms */
    long long stored_ms;  /* when it was written */
    int exists;
    int from_feed; /* written by the change feed: only the feed replaces it while it lives */
};

struct dest_cache {
    pthread_mutex_t lock;
    size_t nsets;
    struct dest_cache_entry *slots; /* nsets * DEST_CACHE_WAYS */
    int written;                    /* an entry was stored since init or the last clear */
};

/* capacity is rounded up to a multiple of DEST_CACHE_WAYS. 0 or -1 (out of memory). */
int dest_cache_init(struct dest_cache *c, size_t capacity);
void dest_cache_destroy(struct dest_cache *c);

/* 1 and *exists when id has a live answer at now_ms; 0 otherwise. */
int dest_cache_get(struct dest_cache *c, long long id, long long now_ms, int *exists);

/* As dest_cache_get, but a positive answer stored before min_stored_ms is no answer (the
 * TTL rule that applies while the change feed cannot vouch for old positives). */
int dest_cache_get_since(struct dest_cache *c, long long id, long long now_ms, long long min_stored_ms, int *exists);

/* Remembers an answer of destination-service for id until expires_ms. A live entry the
 * change feed wrote is kept: a validate answer that was in flight while the feed applied a
 * delete must not bring the id back. */
void dest_cache_put(struct dest_cache *c, long long id, int exists, long long now_ms, long long expires_ms);

/* The change feed's word on id (exists 0: deleted, 1: created or updated), replacing any entry. */
void dest_cache_put_feed(struct dest_cache *c, long long id, int exists, long long now_ms, long long expires_ms);

/* Forgets every entry (after the feed lost track: changes may have been missed). A cache with
 * nothing stored since init or the last clear is left as it is: its slots, zero pages the
 * kernel has not handed out yet, stay untouched (the feed's first resync at start-up would
 * otherwise fault in all of them, 2 MiB at the default 65536 entries, before any request). */
void dest_cache_clear(struct dest_cache *c);

#endif
