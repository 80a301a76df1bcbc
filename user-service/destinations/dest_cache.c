/* dest_cache: set-associative TTL cache. */
#include "dest_cache.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int dest_cache_init(struct dest_cache *c, size_t capacity)
{
    c->nsets = capacity / DEST_CACHE_WAYS + 1;
    c->slots = calloc(c->nsets * DEST_CACHE_WAYS, sizeof *c->slots);
    c->written = 0;
    if (!c->slots)
        return -1;
    pthread_mutex_init(&c->lock, NULL);
    return 0;
}

void dest_cache_destroy(struct dest_cache *c)
{
    free(c->slots);
    c->slots = NULL;
    pthread_mutex_destroy(&c->lock);
}

static struct dest_cache_entry *set_of(struct dest_cache *c, long long id)
{
    unsigned long long h = (unsigned long long)id * 0x9E3779B97F4A7C15ull; /* spread sequential ids */
    return &c->slots[(h >> 17) % c->nsets * DEST_CACHE_WAYS];
}

int dest_cache_get(struct dest_cache *c, long long id, long long now_ms, int *exists)
{
    return dest_cache_get_since(c, id, now_ms, LLONG_MIN, exists);
}

int dest_cache_get_since(struct dest_cache *c, long long id, long long now_ms, long long min_stored_ms, int *exists)
{
    struct dest_cache_entry *set;
    int hit = 0;

    pthread_mutex_lock(&c->lock);
    set = set_of(c, id);
    for (int w = 0; w < DEST_CACHE_WAYS; w++) {
        if (set[w].id == id && now_ms < set[w].expires_ms) {
            if (set[w].exists && set[w].stored_ms < min_stored_ms)
                break; /* too old to trust */
            *exists = set[w].exists;
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void put(struct dest_cache *c, long long id, int exists, long long now_ms, long long expires_ms, int feed)
{
    struct dest_cache_entry *set, *victim;

    pthread_mutex_lock(&c->lock);
    set = set_of(c, id);
    victim = NULL;
    for (int w = 0; w < DEST_CACHE_WAYS && !victim; w++)
        if (set[w].id == id)
            victim = &set[w]; /* one entry per id, so an old answer can never resurface */
    if (victim && victim->from_feed && !feed && now_ms < victim->expires_ms) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    for (int w = 0; w < DEST_CACHE_WAYS && !victim; w++)
        if (set[w].id == 0 || set[w].expires_ms <= now_ms)
            victim = &set[w];
    if (!victim) {
        victim = &set[0];
        for (int w = 1; w < DEST_CACHE_WAYS; w++)
            if (set[w].expires_ms < victim->expires_ms)
                victim = &set[w];
    }
    victim->id = id;
    victim->exists = exists;
    victim->expires_ms = expires_ms;
    victim->stored_ms = now_ms;
    victim->from_feed = feed;
    c->written = 1;
    pthread_mutex_unlock(&c->lock);
}

void dest_cache_put(struct dest_cache *c, long long id, int exists, long long now_ms, long long expires_ms)
{
    put(c, id, exists, now_ms, expires_ms, 0);
}

void dest_cache_put_feed(struct dest_cache *c, long long id, int exists, long long now_ms, long long expires_ms)
{
    put(c, id, exists, now_ms, expires_ms, 1);
}

void dest_cache_clear(struct dest_cache *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->written)
        memset(c->slots, 0, c->nsets * DEST_CACHE_WAYS * sizeof *c->slots);
    c->written = 0;
    pthread_mutex_unlock(&c->lock);
}
