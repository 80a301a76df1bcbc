/* search_index: the in-memory word and grid index of destinations (see search_index.h). */
#include "search_index.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

#define NONE UINT32_MAX
/* A token: the word id (24 bits), then the field (name or address), whether it is two
 * words joined, and the word's position in its field (6 bits; later words share the last). */
#define POS_MAX 63u
#define DOC_TOKENS_MAX 1024 /* a name of 200 and an address of 500 characters stay below */
#define FIELD_ADDRESS 0x80u
#define JOINED 0x40u
#define TOKEN(word, flags, pos) (((word) << 8) | (flags) | (pos))
#define TOKEN_WORD(t) ((t) >> 8)
#define TOKEN_FIELD(t) ((t)&FIELD_ADDRESS)
#define TOKEN_JOINED(t) (((t)&JOINED) != 0)
#define TOKEN_POS(t) ((t)&POS_MAX)
#define WORDS_MAX (1u << 24) /* what a token's 24 bits can name */
#define EARTH_RADIUS_M 6378168.0
#define CELL_DEG 0.02 /* grid cells of 0.02 x 0.02 degrees (2.2 km north-south) */
#define LON_CELLS 18000
#define NEARBY_FIRST_M 1000.0

/* A posting's meta byte: whether the word is only in the document's address (bit 7), and
 * the document's name word count (up to 127). Postings are kept in (meta, id) order once the
 * index is sealed, so that a search reads the documents that can rank best first and can stop
 * when the rest cannot enter the page (see find_pass). */
#define META_ADDRESS 0x80u
#define META_WORDS 0x7fu

struct word {
    uint32_t off; /* into chars */
    uint8_t len;
    uint8_t alpha;       /* only a-z: typo tolerance applies */
    uint8_t name_joined; /* used as two words joined in some name (covers two name words) */
    uint8_t one_meta;    /* cap <= 1: the only posting's meta */
    uint32_t rank;       /* position in sorted (valid once sealed) */
    uint32_t n, cap;
    union {
        uint32_t one; /* cap <= 1: the only posting, inline */
        uint32_t *many;
    } post;        /* slots of the documents holding the word (dead ones included) */
    uint8_t *meta; /* cap > 1: the postings' meta bytes */
};

struct doc {
    long long id;
    double lat, lon;
    uint32_t *tok;
    uint16_t ntok;
    int8_t category;
    uint8_t name_words;
    uint8_t alive;
    uint64_t sig; /* one bit per word held (word_bit): a word whose bit is clear is not held */
};

struct u32vec {
    uint32_t *v;
    uint32_t n, cap;
};

/* A grid cell's document: its slot, and its coordinates again, so that a nearby scan can
 * pass over the documents outside its box without reading them. */
struct cell_doc {
    uint32_t slot;
    float lat, lon;
};

struct cell {
    int64_t key;
    int used;
    struct cell_doc *v;
    uint32_t n, cap;
};

struct id_entry {
    long long id;
    uint32_t slot; /* NONE: removed */
    uint8_t used;
};

struct search_index {
    struct word *words;
    uint32_t nwords, capwords;
    char *chars;
    size_t nchars, capchars;
    uint32_t *wtab; /* open addressing over word ids by their text */
    size_t wtab_cap;
    uint32_t *sorted; /* word ids in text order (prefix ranges) */
    int sealed;
    struct u32vec bylen[FOLD_WORD_MAX + 1]; /* a-z words by length (typo candidates) */
    struct doc *docs;
    uint32_t ndocs, capdocs;
    size_t alive;
    struct id_entry *ids;
    size_t ids_cap, ids_n;
    struct cell *cells;
    size_t cells_cap, cells_n;
    size_t bytes;
    size_t total_cap; /* matches counted at least before a search may stop counting */
};

/* ---- small containers ---- */

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size, size_t *bytes)
{
    uint32_t c = *cap ? *cap : 4;
    void *q;

    if (need <= *cap)
        return 0;
    while (c < need)
        c = c > UINT32_MAX / 2 ? need : c * 2;
    if (!(q = realloc(*p, (size_t)c * size)))
        return -1;
    *bytes += (size_t)(c - *cap) * size;
    *p = q;
    *cap = c;
    return 0;
}

static int vec_push(struct u32vec *v, uint32_t x, size_t *bytes)
{
    if (grow((void **)&v->v, &v->cap, v->n + 1, sizeof *v->v, bytes) < 0)
        return -1;
    v->v[v->n++] = x;
    return 0;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_ll(long long x)
{
    uint64_t z = (uint64_t)x + 0x9e3779b97f4a7c15ull;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The bit of a document's signature that word w sets. */
static uint64_t word_bit(uint32_t w)
{
    return 1ull << ((w * 0x9e3779b1u) >> 26);
}

static const char *word_text(const struct search_index *ix, uint32_t w)
{
    return ix->chars + ix->words[w].off;
}

static const uint32_t *word_posts(const struct word *w)
{
    return w->cap <= 1 ? &w->post.one : w->post.many;
}

static const uint8_t *word_metas(const struct word *w)
{
    return w->cap <= 1 ? &w->one_meta : w->meta;
}

/* ---- the dictionary ---- */

static uint32_t word_find(const struct search_index *ix, const char *s, size_t len)
{
    size_t mask = ix->wtab_cap - 1, i;

    if (!ix->wtab_cap)
        return NONE;
    for (i = hash_bytes(s, len) & mask; ix->wtab[i] != NONE; i = (i + 1) & mask) {
        const struct word *w = &ix->words[ix->wtab[i]];
        if (w->len == len && memcmp(ix->chars + w->off, s, len) == 0)
            return ix->wtab[i];
    }
    return NONE;
}

static int wtab_grow(struct search_index *ix)
{
    size_t cap = ix->wtab_cap ? ix->wtab_cap * 2 : 1024, mask = cap - 1;
    uint32_t *t = malloc(cap * sizeof *t);

    if (!t)
        return -1;
    memset(t, 0xff, cap * sizeof *t);
    for (uint32_t w = 0; w < ix->nwords; w++) {
        size_t i = hash_bytes(word_text(ix, w), ix->words[w].len) & mask;
        while (t[i] != NONE)
            i = (i + 1) & mask;
        t[i] = w;
    }
    ix->bytes += (cap - ix->wtab_cap) * sizeof *t;
    free(ix->wtab);
    ix->wtab = t;
    ix->wtab_cap = cap;
    return 0;
}

static int word_cmp_text(const struct search_index *ix, uint32_t w, const char *s, size_t len)
{
    const struct word *a = &ix->words[w];
    size_t n = a->len < len ? a->len : len;
    int c = memcmp(ix->chars + a->off, s, n);

    return c ? c : (a->len > len) - (a->len < len);
}

/* The first position in sorted[0..n) whose word is >= s. */
static uint32_t sorted_lower(const struct search_index *ix, const char *s, size_t len, uint32_t n)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (word_cmp_text(ix, ix->sorted[mid], s, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The word id of s, added when new; NONE when out of memory or the dictionary is full. */
static uint32_t word_intern(struct search_index *ix, const char *s, size_t len)
{
    uint32_t w = word_find(ix, s, len), pos;
    struct word *nw;

    if (w != NONE)
        return w;
    if (ix->nwords + 1 >= WORDS_MAX)
        return NONE;
    if ((ix->nwords + 1) * 2 > ix->wtab_cap && wtab_grow(ix) < 0)
        return NONE;
    if (grow((void **)&ix->words, &ix->capwords, ix->nwords + 1, sizeof *ix->words, &ix->bytes) < 0)
        return NONE;
    if (ix->sealed) { /* sorted has room for capwords */
        uint32_t cap = ix->capwords;
        void *q = realloc(ix->sorted, (size_t)cap * sizeof *ix->sorted);
        if (!q)
            return NONE;
        ix->sorted = q;
    }
    while (ix->nchars + len > ix->capchars) {
        size_t cap = ix->capchars ? ix->capchars * 2 : 4096;
        char *q = realloc(ix->chars, cap);
        if (!q)
            return NONE;
        ix->bytes += cap - ix->capchars;
        ix->chars = q;
        ix->capchars = cap;
    }
    w = ix->nwords;
    nw = &ix->words[w];
    memset(nw, 0, sizeof *nw);
    nw->off = (uint32_t)ix->nchars;
    nw->len = (uint8_t)len;
    nw->alpha = (uint8_t)fold_is_alpha(s, len);
    memcpy(ix->chars + ix->nchars, s, len);
    if (nw->alpha && vec_push(&ix->bylen[len], w, &ix->bytes) < 0)
        return NONE;
    ix->nchars += len;
    ix->nwords++;
    {
        size_t mask = ix->wtab_cap - 1, i = hash_bytes(s, len) & mask;
        while (ix->wtab[i] != NONE)
            i = (i + 1) & mask;
        ix->wtab[i] = w;
    }
    if (ix->sealed) { /* keep text order: shift the later words one rank up */
        pos = sorted_lower(ix, s, len, w);
        memmove(ix->sorted + pos + 1, ix->sorted + pos, (size_t)(w - pos) * sizeof *ix->sorted);
        ix->sorted[pos] = w;
        for (uint32_t r = pos; r <= w; r++)
            ix->words[ix->sorted[r]].rank = r;
    }
    return w;
}

/* 1 when posting (ma, ia) comes before (mb, ib): meta, then id. */
static int post_before(unsigned ma, long long ia, unsigned mb, long long ib)
{
    return ma != mb ? ma < mb : ia < ib;
}

/* Adds slot (meta m) to w's postings: appended while loading in bulk (sorted when sealing),
 * in (meta, id) order afterwards. Each document posts a word once (search_index_put). */
static int word_add_post(struct search_index *ix, uint32_t w, uint32_t slot, uint8_t m)
{
    struct word *x = &ix->words[w];
    uint32_t at;

    if (x->cap == 0) {
        x->post.one = slot;
        x->one_meta = m;
        x->n = x->cap = 1;
        return 0;
    }
    if (x->cap == 1) {
        uint32_t *p = malloc(4 * sizeof *p);
        uint8_t *mm = malloc(4);
        if (!p || !mm) {
            free(p);
            free(mm);
            return -1;
        }
        p[0] = x->post.one;
        mm[0] = x->one_meta;
        x->post.many = p;
        x->meta = mm;
        x->cap = 4;
        ix->bytes += 4 * (sizeof *p + 1);
    } else if (x->n == x->cap) {
        uint32_t c = x->cap > UINT32_MAX / 2 ? UINT32_MAX : x->cap * 2;
        uint32_t *p;
        uint8_t *mm;
        if (c == x->cap || !(p = realloc(x->post.many, (size_t)c * sizeof *p)))
            return -1;
        x->post.many = p;
        if (!(mm = realloc(x->meta, c)))
            return -1;
        x->meta = mm;
        ix->bytes += (size_t)(c - x->cap) * (sizeof *p + 1);
        x->cap = c;
    }
    at = x->n;
    if (ix->sealed) { /* the first posting that comes after (m, id) */
        long long id = ix->docs[slot].id;
        uint32_t lo = 0, hi = x->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (post_before(x->meta[mid], ix->docs[x->post.many[mid]].id, m, id))
                lo = mid + 1;
            else
                hi = mid;
        }
        at = lo;
        memmove(x->post.many + at + 1, x->post.many + at, (size_t)(x->n - at) * sizeof *x->post.many);
        memmove(x->meta + at + 1, x->meta + at, x->n - at);
    }
    x->post.many[at] = slot;
    x->meta[at] = m;
    x->n++;
    return 0;
}

/* Puts w's postings in (meta, id) order, dropping removed documents. A bulk load appends
 * in slot order, which is id order when the documents came by id: a stable counting sort by
 * meta then gives (meta, id) order; otherwise qsort. -1 when out of memory. */
struct post_sort {
    long long id;
    uint32_t slot;
    uint8_t meta;
};

static int post_sort_cmp(const void *a, const void *b)
{
    const struct post_sort *x = a, *y = b;

    return post_before(x->meta, x->id, y->meta, y->id) ? -1 : post_before(y->meta, y->id, x->meta, x->id);
}

static int word_sort_posts(struct search_index *ix, struct word *x, uint32_t *tmp, uint8_t *tmeta)
{
    uint32_t count[257] = {0}, n = 0;
    int ordered = 1;

    if (x->cap <= 1)
        return 0;
    for (uint32_t i = 0; i < x->n; i++)
        if (ix->docs[x->post.many[i]].alive) {
            tmp[n] = x->post.many[i];
            tmeta[n++] = x->meta[i];
            count[tmeta[n - 1] + 1]++;
        }
    for (int b = 0; b < 256; b++)
        count[b + 1] += count[b];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = count[tmeta[i]]++;
        x->post.many[at] = tmp[i];
        x->meta[at] = tmeta[i];
    }
    x->n = n;
    for (uint32_t i = 1; i < n && ordered; i++)
        ordered =
            post_before(x->meta[i - 1], ix->docs[x->post.many[i - 1]].id, x->meta[i], ix->docs[x->post.many[i]].id);
    if (!ordered) {
        struct post_sort *ps = malloc((size_t)n * sizeof *ps);
        if (!ps)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            ps[i] = (struct post_sort){ix->docs[x->post.many[i]].id, x->post.many[i], x->meta[i]};
        qsort(ps, n, sizeof *ps, post_sort_cmp);
        for (uint32_t i = 0; i < n; i++) {
            x->post.many[i] = ps[i].slot;
            x->meta[i] = ps[i].meta;
        }
        free(ps);
    }
    return 0;
}

static const struct search_index *sort_ix; /* qsort has no context argument; sealing is single-threaded */

static int sort_by_text(const void *a, const void *b)
{
    const struct word *x = &sort_ix->words[*(const uint32_t *)a], *y = &sort_ix->words[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(sort_ix->chars + x->off, sort_ix->chars + y->off, n);

    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Puts the dictionary in text order (after a bulk load: inserting in order one word at a
 * time would be quadratic). */
static int seal(struct search_index *ix)
{
    uint32_t *s = malloc((size_t)(ix->capwords ? ix->capwords : 1) * sizeof *s), most = 1;
    uint32_t *tmp;
    uint8_t *tmeta;
    int bad;

    if (!s)
        return -1;
    for (uint32_t w = 0; w < ix->nwords; w++)
        if (ix->words[w].n > most)
            most = ix->words[w].n;
    tmp = malloc((size_t)most * sizeof *tmp);
    tmeta = malloc(most);
    bad = !tmp || !tmeta;
    for (uint32_t w = 0; !bad && w < ix->nwords; w++)
        bad = word_sort_posts(ix, &ix->words[w], tmp, tmeta) < 0;
    free(tmp);
    free(tmeta);
    if (bad) {
        free(s);
        return -1;
    }
    for (uint32_t w = 0; w < ix->nwords; w++)
        s[w] = w;
    sort_ix = ix;
    qsort(s, ix->nwords, sizeof *s, sort_by_text);
    for (uint32_t r = 0; r < ix->nwords; r++)
        ix->words[s[r]].rank = r;
    free(ix->sorted);
    ix->sorted = s;
    ix->sealed = 1;
    return 0;
}

/* ---- documents ---- */

static struct id_entry *id_slot(const struct search_index *ix, long long id)
{
    size_t mask = ix->ids_cap - 1;

    if (!ix->ids_cap)
        return NULL;
    for (size_t i = hash_ll(id) & mask; ix->ids[i].used; i = (i + 1) & mask)
        if (ix->ids[i].id == id)
            return &ix->ids[i];
    return NULL;
}

static int id_set(struct search_index *ix, long long id, uint32_t slot)
{
    struct id_entry *e = id_slot(ix, id);
    size_t mask, i;

    if (e) {
        e->slot = slot;
        return 0;
    }
    if ((ix->ids_n + 1) * 2 > ix->ids_cap) {
        size_t cap = ix->ids_cap ? ix->ids_cap * 2 : 1024;
        struct id_entry *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t j = 0; j < ix->ids_cap; j++) {
            if (!ix->ids[j].used)
                continue;
            for (i = hash_ll(ix->ids[j].id) & (cap - 1); t[i].used; i = (i + 1) & (cap - 1))
                ;
            t[i] = ix->ids[j];
        }
        ix->bytes += (cap - ix->ids_cap) * sizeof *t;
        free(ix->ids);
        ix->ids = t;
        ix->ids_cap = cap;
    }
    mask = ix->ids_cap - 1;
    for (i = hash_ll(id) & mask; ix->ids[i].used; i = (i + 1) & mask)
        ;
    ix->ids[i] = (struct id_entry){.id = id, .slot = slot, .used = 1};
    ix->ids_n++;
    return 0;
}

static long cell_row(double lat)
{
    long r = (long)floor((lat + 90.0) / CELL_DEG);
    return r < 0 ? 0 : r;
}

static long cell_col(double lon)
{
    long c = (long)floor((lon + 180.0) / CELL_DEG);
    return ((c % LON_CELLS) + LON_CELLS) % LON_CELLS;
}

static int64_t cell_key(long row, long col)
{
    return (int64_t)row * LON_CELLS + col;
}

static struct cell *cell_get(const struct search_index *ix, int64_t key)
{
    size_t mask = ix->cells_cap - 1;

    if (!ix->cells_cap)
        return NULL;
    for (size_t i = hash_ll(key) & mask; ix->cells[i].used; i = (i + 1) & mask)
        if (ix->cells[i].key == key)
            return &ix->cells[i];
    return NULL;
}

static struct cell *cell_make(struct search_index *ix, int64_t key)
{
    struct cell *c = cell_get(ix, key);
    size_t i, mask;

    if (c)
        return c;
    if ((ix->cells_n + 1) * 2 > ix->cells_cap) {
        size_t cap = ix->cells_cap ? ix->cells_cap * 2 : 1024;
        struct cell *t = calloc(cap, sizeof *t);
        if (!t)
            return NULL;
        for (size_t j = 0; j < ix->cells_cap; j++) {
            if (!ix->cells[j].used)
                continue;
            for (i = hash_ll(ix->cells[j].key) & (cap - 1); t[i].used; i = (i + 1) & (cap - 1))
                ;
            t[i] = ix->cells[j];
        }
        ix->bytes += (cap - ix->cells_cap) * sizeof *t;
        free(ix->cells);
        ix->cells = t;
        ix->cells_cap = cap;
    }
    mask = ix->cells_cap - 1;
    for (i = hash_ll(key) & mask; ix->cells[i].used; i = (i + 1) & mask)
        ;
    ix->cells[i] = (struct cell){.key = key, .used = 1};
    ix->cells_n++;
    return &ix->cells[i];
}

static void cell_drop(struct search_index *ix, const struct doc *d, uint32_t slot)
{
    struct cell *c = cell_get(ix, cell_key(cell_row(d->lat), cell_col(d->lon)));

    for (uint32_t i = 0; c && i < c->n; i++)
        if (c->v[i].slot == slot) {
            c->v[i] = c->v[--c->n];
            return;
        }
}

void search_index_remove(struct search_index *ix, long long id)
{
    struct id_entry *e = id_slot(ix, id);
    struct doc *d;

    if (!e || e->slot == NONE)
        return;
    d = &ix->docs[e->slot];
    cell_drop(ix, d, e->slot);
    free(d->tok);
    ix->bytes -= (size_t)d->ntok * sizeof *d->tok;
    d->tok = NULL;
    d->ntok = 0;
    d->alive = 0;
    e->slot = NONE;
    ix->alive--;
}

/* The tokens of one field of text into tok (room for DOC_TOKENS_MAX), from *n on; each
 * neighbouring pair of a-z words also joined. Returns the field's word count, or -1. */
static int tokenize(struct search_index *ix, const char *text, unsigned field, uint32_t *tok, uint16_t *n)
{
    char word[FOLD_WORD_MAX + 1], prev[FOLD_WORD_MAX + 1];
    size_t len, plen = 0;
    unsigned pos = 0;
    int words = 0;

    while (text && (len = fold_next(&text, word)) > 0) {
        uint32_t w = word_intern(ix, word, len);
        unsigned p = pos < POS_MAX ? pos : POS_MAX;
        if (w == NONE)
            return -1;
        if (*n < DOC_TOKENS_MAX)
            tok[(*n)++] = TOKEN(w, field, p);
        if (plen && fold_is_alpha(word, len) && plen + len <= FOLD_WORD_MAX && *n < DOC_TOKENS_MAX) {
            memcpy(prev + plen, word, len);
            if ((w = word_intern(ix, prev, plen + len)) == NONE)
                return -1;
            if (field == 0)
                ix->words[w].name_joined = 1;
            tok[(*n)++] = TOKEN(w, field | JOINED, p ? p - 1 : 0);
        }
        plen = fold_is_alpha(word, len) ? len : 0;
        memcpy(prev, word, len);
        pos++;
        words++;
    }
    return words;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

int search_index_put(struct search_index *ix, const struct search_doc *d)
{
    uint32_t tok[DOC_TOKENS_MAX], slot;
    uint16_t n = 0;
    int name_words;
    struct doc *x;
    struct cell *c;

    search_index_remove(ix, d->id);
    if ((name_words = tokenize(ix, d->name, 0, tok, &n)) < 0 || tokenize(ix, d->address, FIELD_ADDRESS, tok, &n) < 0)
        return -1;
    if (ix->ndocs == NONE - 1 ||
        grow((void **)&ix->docs, &ix->capdocs, ix->ndocs + 1, sizeof *ix->docs, &ix->bytes) < 0)
        return -1;
    slot = ix->ndocs;
    x = &ix->docs[slot];
    *x = (struct doc){.id = d->id,
                      .lat = d->lat,
                      .lon = d->lon,
                      .category = (int8_t)d->category,
                      .name_words = (uint8_t)(name_words > 255 ? 255 : name_words)};
    if (n && !(x->tok = malloc(n * sizeof *x->tok)))
        return -1;
    if (n)
        memcpy(x->tok, tok, n * sizeof *tok);
    x->ntok = n;
    for (uint16_t i = 0; i < n; i++)
        x->sig |= word_bit(TOKEN_WORD(tok[i]));
    ix->bytes += n * sizeof *tok;
    /* each word once, with its meta: sorted, a word's name tokens come before its address ones */
    qsort(tok, n, sizeof *tok, u32_cmp);
    for (uint16_t i = 0; i < n; i++) {
        uint8_t m = (uint8_t)((TOKEN_FIELD(tok[i]) ? META_ADDRESS : 0) |
                              (x->name_words < META_WORDS ? x->name_words : META_WORDS));
        if (i > 0 && TOKEN_WORD(tok[i]) == TOKEN_WORD(tok[i - 1]))
            continue;
        if (word_add_post(ix, TOKEN_WORD(tok[i]), slot, m) < 0) {
            free(x->tok);
            return -1;
        }
    }
    if (!(c = cell_make(ix, cell_key(cell_row(d->lat), cell_col(d->lon)))) ||
        grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v, &ix->bytes) < 0 || id_set(ix, d->id, slot) < 0) {
        free(x->tok);
        if (c)
            cell_drop(ix, x, slot);
        return -1;
    }
    c->v[c->n++] = (struct cell_doc){slot, (float)d->lat, (float)d->lon};
    x->alive = 1;
    ix->ndocs++;
    ix->alive++;
    return 0;
}

struct search_index *search_index_new(void)
{
    struct search_index *ix = calloc(1, sizeof(struct search_index));

    if (ix)
        ix->total_cap = SEARCH_TOTAL_EXACT;
    return ix;
}

void search_index_free(struct search_index *ix)
{
    if (!ix)
        return;
    for (uint32_t w = 0; w < ix->nwords; w++)
        if (ix->words[w].cap > 1) {
            free(ix->words[w].post.many);
            free(ix->words[w].meta);
        }
    for (uint32_t i = 0; i < ix->ndocs; i++)
        free(ix->docs[i].tok);
    for (size_t i = 0; i < ix->cells_cap; i++)
        if (ix->cells[i].used)
            free(ix->cells[i].v);
    for (size_t i = 0; i <= FOLD_WORD_MAX; i++)
        free(ix->bylen[i].v);
    free(ix->words);
    free(ix->chars);
    free(ix->wtab);
    free(ix->sorted);
    free(ix->docs);
    free(ix->ids);
    free(ix->cells);
    free(ix);
}

size_t search_index_count(const struct search_index *ix)
{
    return ix->alive;
}

size_t search_index_bytes(const struct search_index *ix)
{
    return ix->bytes + sizeof *ix;
}

int search_index_seal(struct search_index *ix)
{
    return ix->sealed ? 0 : seal(ix);
}

/* ---- search ---- */

enum match_kind { M_EXACT, M_PREFIX, M_TYPO, M_NONE };

struct typo {
    uint32_t word;
    uint8_t edits;
};

/* One word of a query and the dictionary words it matches. */
struct qword {
    size_t len;
    struct typo *typos;
    size_t ntypos;
    size_t cost;     /* postings to read if this word drives the search */
    uint32_t exact;  /* the same word, or NONE */
    uint32_t lo, hi; /* the last word: ranks [lo, hi) start with it */
    /* name words one match can cover at most (2: some candidate is two words joined in a
     * name): the exact word, the prefix range, the typos, any of them */
    uint8_t cover_exact, cover_range, cover_typo, cover;
    uint64_t sig;         /* the bits of every word q matches (all bits for a long prefix range) */
    uint8_t cost_partial; /* cost is a lower bound: more than the driver's */
    char text[FOLD_WORD_MAX + 1];
};

/* The optimal string alignment distance of a and b (edits: insertion, deletion,
 * substitution, transposition of neighbours) if it is at most k, else k + 1. */
static int edits_within(const char *a, size_t la, const char *b, size_t lb, int k)
{
    int rows[3][FOLD_WORD_MAX + 1], *pp = rows[0], *p = rows[1], *c = rows[2];

    if ((la > lb ? la - lb : lb - la) > (size_t)k)
        return k + 1;
    for (size_t j = 0; j <= lb; j++)
        p[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int best = c[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int v = p[j - 1] + (a[i - 1] != b[j - 1]);
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
            if (v < best)
                best = v;
        }
        if (best > k)
            return k + 1;
        int *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb] <= k ? p[lb] : k + 1;
}

/* Edits allowed in a query word of len letters: none below 5, 1 up to 8, 2 from 9; the
 * relaxed pass also gives 4-letter words one. */
static int edits_allowed(size_t len, int relaxed)
{
    return len >= 9 ? 2 : len >= 5 ? 1 : (relaxed && len == 4) ? 1 : 0;
}

static int typo_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct typo *)a)->word, y = ((const struct typo *)b)->word;
    return (x > y) - (x < y);
}

#define SIG_RANGE_MAX 64 /* a prefix range of more words gets no signature test */

/* Fills q's candidates (q->text, q->len set). For the last word, once the postings of its
 * prefix range pass enough (another word is cheaper to drive the search), the rest of the
 * range is not looked at: its cost is then a lower bound (cost_partial), and its cover and
 * signature say it may match anything. -1 when out of memory. */
static int qword_prepare(const struct search_index *ix, struct qword *q, int last, int relaxed, size_t enough)
{
    int k = fold_is_alpha(q->text, q->len) ? edits_allowed(q->len, relaxed) : 0;
    size_t cap = 0;

    q->exact = word_find(ix, q->text, q->len);
    q->cost = q->exact != NONE ? ix->words[q->exact].n : 0;
    q->lo = q->hi = 0;
    q->cost_partial = 0;
    q->cover_exact = q->cover_range = q->cover_typo = 1;
    q->sig = q->exact != NONE ? word_bit(q->exact) : 0;
    if (q->exact != NONE && ix->words[q->exact].name_joined)
        q->cover_exact = 2;
    if (last) {
        uint32_t lo = sorted_lower(ix, q->text, q->len, ix->nwords), hi = ix->nwords;
        for (uint32_t a = lo; a < hi;) { /* the first rank past the words starting with text */
            uint32_t mid = a + (hi - a) / 2;
            const struct word *w = &ix->words[ix->sorted[mid]];
            if (memcmp(ix->chars + w->off, q->text, w->len < q->len ? w->len : q->len) <= 0)
                a = mid + 1;
            else
                hi = mid;
        }
        q->lo = lo;
        q->hi = hi;
        q->cost = 0; /* the exact word is in the range */
        for (uint32_t r = lo; r < hi; r++) {
            const struct word *x = &ix->words[ix->sorted[r]];
            if (q->cost > enough) { /* "4" of "Hồ Hà Nội 4": 111 000 words at 1 M */
                q->cover_range = 2;
                q->sig = ~0ull;
                q->cost_partial = 1;
                break;
            }
            q->cost += x->n;
            if (x->name_joined)
                q->cover_range = 2;
            q->sig |= hi - lo > SIG_RANGE_MAX ? ~0ull : word_bit(ix->sorted[r]);
        }
    }
    q->typos = NULL;
    q->ntypos = 0;
    for (size_t len = q->len > (size_t)k ? q->len - k : 1; k > 0 && len <= q->len + k && len <= FOLD_WORD_MAX; len++) {
        const struct u32vec *v = &ix->bylen[len];
        for (uint32_t i = 0; i < v->n; i++) {
            uint32_t w = v->v[i];
            int e;
            if (w == q->exact || (e = edits_within(q->text, q->len, word_text(ix, w), len, k)) > k)
                continue;
            if (q->ntypos == cap) {
                void *t = realloc(q->typos, (cap = cap ? cap * 2 : 16) * sizeof *q->typos);
                if (!t)
                    return -1;
                q->typos = t;
            }
            q->typos[q->ntypos++] = (struct typo){w, (uint8_t)e};
            q->cost += ix->words[w].n;
            q->sig |= word_bit(w);
            if (ix->words[w].name_joined)
                q->cover_typo = 2;
        }
    }
    if (q->ntypos)
        qsort(q->typos, q->ntypos, sizeof *q->typos, typo_cmp);
    q->cover = q->cover_exact > q->cover_range ? q->cover_exact : q->cover_range;
    if (q->cover_typo > q->cover)
        q->cover = q->cover_typo;
    return 0;
}

/* How word w matches q: the kind, and the edits of a typo into *edits. */
static enum match_kind qword_match(const struct search_index *ix, const struct qword *q, uint32_t w, int *edits)
{
    size_t lo = 0, hi = q->ntypos;

    *edits = 0;
    if (w == q->exact)
        return M_EXACT;
    if (q->lo < q->hi && ix->words[w].rank >= q->lo && ix->words[w].rank < q->hi)
        return M_PREFIX;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (q->typos[mid].word < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < q->ntypos && q->typos[lo].word == w) {
        *edits = q->typos[lo].edits;
        return M_TYPO;
    }
    return M_NONE;
}

struct match {
    uint32_t key; /* the ranking, smaller first (see rank_key) */
    uint32_t slot;
    long long id;
};

static int match_cmp(const void *a, const void *b)
{
    const struct match *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Distance between the positions of two consecutive query words' matches: 0 next to each
 * other in query order, more when apart or reversed; 7 across fields or far apart. */
static unsigned proximity(uint32_t a, uint32_t b)
{
    int d = (int)TOKEN_POS(b) - (int)TOKEN_POS(a);
    unsigned c;

    if (TOKEN_FIELD(a) != TOKEN_FIELD(b))
        return 7;
    c = d >= 1 ? (unsigned)(d - 1) : (unsigned)(1 - d);
    return c > 7 ? 7 : c;
}

/* Scores document d against the query: 0 with the rank key in *key, or -1 when a word is
 * not matched. Key, most significant first: words not matched exactly, edits, words found
 * only in the address, proximity, name words left unmatched. */
static int rank_key(const struct search_index *ix, const struct doc *d, const struct qword *q, size_t nq, uint32_t *key)
{
    uint32_t chosen[SEARCH_QUERY_WORDS_MAX];
    unsigned inexact = 0, edits = 0, in_address = 0, prox = 0, covered = 0, unmatched;

    for (size_t i = 0; i < nq; i++) {
        int best_kind = M_NONE, best_edits = 0;
        uint32_t best = 0;
        for (uint16_t t = 0; t < d->ntok; t++) {
            int e;
            enum match_kind k = qword_match(ix, &q[i], TOKEN_WORD(d->tok[t]), &e);
            if (k == M_NONE)
                continue;
            /* better: kind, then edits, then the name, then earlier (tokens are in order) */
            if (best_kind == M_NONE || (int)k < best_kind || ((int)k == best_kind && e < best_edits) ||
                ((int)k == best_kind && e == best_edits && TOKEN_FIELD(best) && !TOKEN_FIELD(d->tok[t]))) {
                best_kind = (int)k;
                best_edits = e;
                best = d->tok[t];
            }
        }
        if (best_kind == M_NONE)
            return -1;
        chosen[i] = best;
        inexact += best_kind != M_EXACT;
        edits += (unsigned)best_edits;
        if (TOKEN_FIELD(best))
            in_address++;
        else
            covered += TOKEN_JOINED(best) ? 2 : 1;
        if (i > 0)
            prox += proximity(chosen[i - 1], best);
    }
    unmatched = d->name_words > covered ? d->name_words - covered : 0;
    *key = (inexact << 24) | ((edits > 31 ? 31 : edits) << 19) | (in_address << 15) | ((prox > 127 ? 127 : prox) << 8) |
           (unmatched > 255 ? 255 : unmatched);
    return 0;
}

/* The page so far: a max-heap of the best need matches (match_cmp order), worst on top. */
struct page_heap {
    struct match *m;
    size_t n, cap, need;
};

static void heap_down(struct match *h, size_t k, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        struct match t;
        if (l < k && match_cmp(&h[l], &h[top]) > 0)
            top = l;
        if (r < k && match_cmp(&h[r], &h[top]) > 0)
            top = r;
        if (top == i)
            return;
        t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

/* Offers x to the page: 0, or -1 when out of memory. */
static int heap_offer(struct page_heap *h, struct match x)
{
    if (h->need == 0)
        return 0;
    if (h->n == h->need) {
        if (match_cmp(&x, &h->m[0]) < 0) {
            h->m[0] = x;
            heap_down(h->m, h->n, 0);
        }
        return 0;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        void *t;
        if (cap > h->need)
            cap = h->need;
        if (!(t = realloc(h->m, cap * sizeof *h->m)))
            return -1;
        h->m = t;
        h->cap = cap;
    }
    size_t i = h->n++;
    h->m[i] = x;
    while (i > 0 && match_cmp(&h->m[(i - 1) / 2], &h->m[i]) < 0) {
        struct match t = h->m[i];
        h->m[i] = h->m[(i - 1) / 2];
        h->m[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

/* 0 when d's signature shows a query word it cannot match. */
static int sig_may_match(const struct doc *d, const struct qword *q, size_t nq)
{
    for (size_t i = 0; i < nq; i++)
        if (!(d->sig & q[i].sig))
            return 0;
    return 1;
}

/* 1 when every query word but skip matches a word of d. */
static int doc_matches(const struct search_index *ix, const struct doc *d, const struct qword *q, size_t nq,
                       size_t skip)
{
    for (size_t i = 0; i < nq; i++)
        if (i != skip && !(d->sig & q[i].sig))
            return 0; /* without reading the tokens */
    for (size_t i = 0; i < nq; i++) {
        uint16_t t = 0;
        int e;
        if (i == skip)
            continue;
        while (t < d->ntok && qword_match(ix, &q[i], TOKEN_WORD(d->tok[t]), &e) == M_NONE)
            t++;
        if (t == d->ntok)
            return 0;
    }
    return 1;
}

void search_index_set_total_cap(struct search_index *ix, size_t cap)
{
    ix->total_cap = cap;
}

/* The state of one pass: the query, the page, the count. */
struct pass {
    const struct search_index *ix;
    const struct qword *q;
    size_t nq, driver;
    int category;
    uint32_t other_inexact; /* query words other than the driver that are in no document exactly */
    uint32_t other_cover;   /* name words the other query words can cover at most */
    struct page_heap page;
    uint8_t *seen;
    size_t count;                            /* matches found */
    int partial;                             /* some documents were not looked at: count is a lower bound */
    size_t read;                             /* the driver's postings read */
    uint32_t misses[SEARCH_QUERY_WORDS_MAX]; /* documents met whose signature lacks each word */
    uint8_t *sieve;                          /* NULL, or one bit per slot: set where a word can match */
    int sieve_tried;
};

/* When the driver's postings are mostly of documents that lack another query word ("noi" of
 * "Hồ Hà Nội 4": 28 000 postings, 183 matches), each such document still costs a cache miss
 * (its signature). After SIEVE_AFTER postings with fewer than one match in SIEVE_RATIO, the
 * postings of the word the documents met lacked most often are marked in a bitmap, if they are
 * not many more than the driver's (SIEVE_COST); the driver then passes over the documents left
 * unmarked without reading them. The bitmap only removes documents that cannot match, so the
 * result is the same. */
#define SIEVE_AFTER 2048
#define SIEVE_RATIO 8
#define SIEVE_COST 4

static void sieve_mark(struct pass *p, uint32_t w)
{
    const struct word *x = &p->ix->words[w];
    const uint32_t *posts = word_posts(x);

    for (uint32_t i = 0; i < x->n; i++)
        p->sieve[posts[i] / 8] |= (uint8_t)(1u << (posts[i] % 8));
}

/* 1 when slot s passes the sieve (or there is none). */
static int sieved(const struct pass *p, uint32_t s)
{
    return !p->sieve || (p->sieve[s / 8] & (1u << (s % 8)));
}

/* Builds the sieve for the word missed most often, when it is worth it (see above). */
static void sieve_build(struct pass *p)
{
    const struct qword *q = NULL;
    uint32_t most = 0;

    p->sieve_tried = 1;
    for (size_t i = 0; i < p->nq; i++)
        if (i != p->driver && p->misses[i] > most && !p->q[i].cost_partial &&
            p->q[i].cost <= SIEVE_COST * p->q[p->driver].cost) {
            q = &p->q[i];
            most = p->misses[i];
        }
    if (!q || !(p->sieve = calloc(p->ix->ndocs / 8 + 1, 1)))
        return;
    if (q->exact != NONE)
        sieve_mark(p, q->exact);
    for (uint32_t r = q->lo; r < q->hi; r++)
        sieve_mark(p, p->ix->sorted[r]);
    for (size_t t = 0; t < q->ntypos; t++)
        sieve_mark(p, q->typos[t].word);
}

/* Reads the postings of dictionary word w, which the driver matches with kind (M_EXACT,
 * M_PREFIX or M_TYPO, edits), a match covering at most cover name words. Each new document
 * is scored and offered to the page, unless the lower bound of its key shows it cannot enter
 * a full page: then it is only counted (matched against the other words), and once the
 * count reaches the cap (search_index_set_total_cap) not even that. The bound, from the posting's meta: the tier's
 * inexact words and edits, plus (exact words only) the address-only bit, plus the name
 * words no query word can cover. Postings are in (meta, id) order, so the bound grows along
 * the list (for a prefix or a typo, whose address bit is left out of the bound, within each
 * half: name, then address only). -1 when out of memory. */
#define PREFETCH_DOC 32
#define PREFETCH_TOK 16

static int pass_word(struct pass *p, uint32_t w, enum match_kind kind, int edits, unsigned cover)
{
    const struct search_index *ix = p->ix;
    const struct word *x = &ix->words[w];
    const uint32_t *posts = word_posts(x);
    const uint8_t *metas = word_metas(x);
    uint32_t tier = ((p->other_inexact + (kind != M_EXACT)) << 24) | ((uint32_t)edits << 19);

    for (uint32_t i = 0; i < x->n; i++) {
        uint32_t s = posts[i], key, lb, words = metas[i] & META_WORDS;
        const struct doc *d;
        int hopeless = 0;
        /* the documents are met in no memory order: fetch ahead (two loads each), not those
         * the sieve will pass over (reading .tok is itself a load of the document) */
        if (i + PREFETCH_DOC < x->n && sieved(p, posts[i + PREFETCH_DOC]))
            __builtin_prefetch(&ix->docs[posts[i + PREFETCH_DOC]]);
        if (i + PREFETCH_TOK < x->n && sieved(p, posts[i + PREFETCH_TOK]))
            __builtin_prefetch(ix->docs[posts[i + PREFETCH_TOK]].tok);
        if (p->seen[s / 8] & (1u << (s % 8)))
            continue;
        if (++p->read == SIEVE_AFTER && !p->sieve_tried && p->count * SIEVE_RATIO < p->read)
            sieve_build(p);
        if (!sieved(p, s))
            continue; /* lacks the sieve's word */
        lb = tier | (words > cover + p->other_cover ? words - cover - p->other_cover : 0);
        if (kind == M_EXACT && (metas[i] & META_ADDRESS))
            lb |= 1u << 15;
        if (p->page.n == p->page.need && p->page.n > 0) {
            const struct match *worst = &p->page.m[0];
            hopeless = lb > worst->key || (lb == worst->key && ix->docs[s].id > worst->id);
        }
        if (hopeless && p->count >= p->ix->total_cap) {
            const struct match *worst = &p->page.m[0];
            p->partial = 1;
            if (lb == worst->key) { /* the rest of this meta has higher ids */
                while (i + 1 < x->n && metas[i + 1] == metas[i])
                    i++;
            } else if (kind == M_EXACT || (metas[i] & META_ADDRESS)) {
                return 0; /* the bound only grows from here */
            } else {      /* on to the address-only half */
                while (i + 1 < x->n && !(metas[i + 1] & META_ADDRESS))
                    i++;
            }
            continue;
        }
        p->seen[s / 8] |= (uint8_t)(1u << (s % 8));
        d = &ix->docs[s];
        if (!d->alive || (p->category >= 0 && d->category != p->category))
            continue;
        if (hopeless) {
            p->count += (size_t)doc_matches(ix, d, p->q, p->nq, p->driver);
            continue;
        }
        if (!sig_may_match(d, p->q, p->nq)) {
            if (!p->sieve_tried)
                for (size_t j = 0; j < p->nq; j++)
                    p->misses[j] += !(d->sig & p->q[j].sig);
            continue;
        }
        if (rank_key(ix, d, p->q, p->nq, &key) < 0)
            continue;
        p->count++;
        if (heap_offer(&p->page, (struct match){key, s, d->id}) < 0)
            return -1;
    }
    return 0;
}

static void qwords_free(struct qword *q, size_t nq)
{
    for (size_t i = 0; i < nq; i++)
        free(q[i].typos);
}

/* One pass of search_index_find; relaxed: 4-letter words get an edit too. The driver's
 * candidates are read best first: its exact word, then the other words of its prefix
 * range, then its typos by edits, so that each document is first met at its best match. */
static long long find_pass(const struct search_index *ix, struct qword *q, size_t nq, int relaxed, int category,
                           long long offset, long long limit, long long *ids, long long *total, int *exact)
{
    struct pass p = {.ix = ix, .q = q, .nq = nq, .category = category};
    const struct qword *dq;
    long long out = -1;
    int max_edits = 0;

    *total = 0;
    *exact = 1;
    for (size_t i = 0; i < nq; i++) {
        size_t enough = i > 0 && i + 1 == nq ? q[p.driver].cost : SIZE_MAX;
        if (qword_prepare(ix, &q[i], i + 1 == nq, relaxed, enough) < 0)
            goto done;
        if (q[i].cost < q[p.driver].cost)
            p.driver = i;
    }
    dq = &q[p.driver];
    if (dq->cost == 0) {
        out = 0;
        goto done;
    }
    /* A word matched inexactly adds an inexact word to the key, which outweighs all it can
     * cover; so a bound may count the other words' exact covers only, when they have one. */
    for (size_t i = 0; i < nq; i++)
        if (i != p.driver) {
            p.other_inexact += q[i].exact == NONE;
            p.other_cover += q[i].exact != NONE ? q[i].cover_exact : q[i].cover;
        }
    p.page.need = (size_t)offset + (size_t)limit;
    if (!(p.seen = calloc(ix->ndocs / 8 + 1, 1)))
        goto done;
    if (dq->exact != NONE && pass_word(&p, dq->exact, M_EXACT, 0, dq->cover_exact) < 0)
        goto done;
    for (uint32_t r = dq->lo; r < dq->hi; r++)
        if (ix->sorted[r] != dq->exact && pass_word(&p, ix->sorted[r], M_PREFIX, 0, dq->cover_range) < 0)
            goto done;
    for (size_t t = 0; t < dq->ntypos; t++)
        if (dq->typos[t].edits > max_edits)
            max_edits = dq->typos[t].edits;
    for (int e = 1; e <= max_edits; e++)
        for (size_t t = 0; t < dq->ntypos; t++) {
            uint32_t w = dq->typos[t].word;
            if (dq->typos[t].edits != e ||
                (dq->lo < dq->hi && ix->words[w].rank >= dq->lo && ix->words[w].rank < dq->hi))
                continue; /* a word of the prefix range matches as a prefix */
            if (pass_word(&p, w, M_TYPO, e, dq->cover_typo) < 0)
                goto done;
        }
    *total = (long long)p.count;
    *exact = !p.partial;
    out = 0;
    if (p.page.n)
        qsort(p.page.m, p.page.n, sizeof *p.page.m, match_cmp);
    for (size_t i = (size_t)offset; i < p.page.n; i++)
        ids[out++] = p.page.m[i].id;
done:
    free(p.seen);
    free(p.sieve);
    free(p.page.m);
    qwords_free(q, nq);
    return out;
}

long long search_index_find_counted(const struct search_index *ix, const char *q, int category, long long offset,
                                    long long limit, long long *ids, long long *total, int *total_exact)
{
    struct qword words[SEARCH_QUERY_WORDS_MAX];
    size_t nq = 0;
    long long n;
    int short_word = 0, exact_dummy;

    if (!total_exact)
        total_exact = &exact_dummy;
    *total = 0;
    *total_exact = 1;
    if (!ix->sealed)
        return -1;
    while (nq < SEARCH_QUERY_WORDS_MAX && (words[nq].len = fold_next(&q, words[nq].text)) > 0) {
        short_word |= words[nq].len == 4 && fold_is_alpha(words[nq].text, 4);
        nq++;
    }
    if (nq == 0)
        return 0;
    n = find_pass(ix, words, nq, 0, category, offset, limit, ids, total, total_exact);
    if (n == 0 && *total == 0 && short_word)
        n = find_pass(ix, words, nq, 1, category, offset, limit, ids, total, total_exact);
    return n;
}

long long search_index_find(const struct search_index *ix, const char *q, int category, long long offset,
                            long long limit, long long *ids, long long *total)
{
    return search_index_find_counted(ix, q, category, offset, limit, ids, total, NULL);
}

/* ---- nearby ---- */

double search_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    double r = M_PI / 180.0, dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);

    return 2.0 * EARTH_RADIUS_M * asin(a < 1.0 ? sqrt(a) : 1.0);
}

struct nearest {
    struct search_hit *out;
    size_t n, limit;
    double lat, lon, radius_m;
    double cos_lat;         /* of the box's latitude farthest from the equator: longitudes shrink least there */
    float box_lat, box_lon; /* half sides in degrees of a box holding every point that can still enter */
};

#define METRES_PER_DEG (EARTH_RADIUS_M * M_PI / 180.0)
#define BOX_SLACK_DEG 1e-4f /* far more than a float coordinate's rounding (~1e-5 degrees) */

/* The box around z's circle of radius r metres (the whole circle, or the worst hit kept). */
static void nearest_box(struct nearest *z, double r)
{
    double dlat = r / METRES_PER_DEG;

    z->box_lat = (float)dlat + BOX_SLACK_DEG;
    z->box_lon = z->cos_lat > 1e-3 && dlat / z->cos_lat < 180.0 ? (float)(dlat / z->cos_lat) + BOX_SLACK_DEG : 360.0f;
}

static void nearest_offer(struct nearest *z, const struct doc *d)
{
    double dist = search_distance_m(z->lat, z->lon, d->lat, d->lon);
    size_t i;

    if (dist > z->radius_m)
        return;
    if (z->n == z->limit &&
        (dist > z->out[z->n - 1].distance_m || (dist == z->out[z->n - 1].distance_m && d->id > z->out[z->n - 1].id)))
        return;
    i = z->n < z->limit ? z->n++ : z->n - 1;
    while (i > 0 &&
           (z->out[i - 1].distance_m > dist || (z->out[i - 1].distance_m == dist && z->out[i - 1].id > d->id))) {
        z->out[i] = z->out[i - 1];
        i--;
    }
    z->out[i] = (struct search_hit){d->id, dist};
    if (z->n == z->limit) /* nothing farther than the worst kept can enter any more */
        nearest_box(z, z->out[z->n - 1].distance_m);
}

/* The cell's documents inside z's box (longitudes compared around the circle) are offered;
 * the others are not read. */
static void cell_offer(const struct search_index *ix, const struct cell *c, struct nearest *z)
{
    float lat = (float)z->lat, lon = (float)z->lon;

    for (uint32_t i = 0; c && i < c->n; i++) {
        float dlon = fabsf(c->v[i].lon - lon);
        if (dlon > 180.0f)
            dlon = 360.0f - dlon;
        if (fabsf(c->v[i].lat - lat) <= z->box_lat && dlon <= z->box_lon)
            nearest_offer(z, &ix->docs[c->v[i].slot]);
    }
}

/* Every destination within z->radius_m, the nearest z->limit kept. */
static void nearby_scan(const struct search_index *ix, struct nearest *z)
{
    double dlat = z->radius_m / (EARTH_RADIUS_M * M_PI / 180.0), lat0 = z->lat - dlat, lat1 = z->lat + dlat;
    double maxabs = fabs(lat0) > fabs(lat1) ? fabs(lat0) : fabs(lat1), dlon;
    long r0 = cell_row(lat0 < -90 ? -90 : lat0), r1 = cell_row(lat1 > 90 ? 90 : lat1), c0, ncols;

    z->n = 0;
    z->cos_lat = maxabs >= 89.9 ? 0.0 : cos(maxabs * M_PI / 180.0);
    nearest_box(z, z->radius_m);
    dlon = maxabs >= 89.9 ? 360.0 : dlat / z->cos_lat;
    if (dlon >= 180.0) {
        c0 = 0;
        ncols = LON_CELLS;
    } else {
        c0 = cell_col(z->lon - dlon);
        ncols = cell_col(z->lon + dlon) - c0 + 1;
        if (ncols <= 0)
            ncols += LON_CELLS;
    }
    if ((double)(r1 - r0 + 1) * (double)ncols > (double)ix->cells_n) { /* fewer cells exist than the box has */
        for (size_t i = 0; i < ix->cells_cap; i++) {
            long row = (long)(ix->cells[i].key / LON_CELLS), col = (long)(ix->cells[i].key % LON_CELLS);
            if (ix->cells[i].used && row >= r0 && row <= r1 && (col - c0 + LON_CELLS) % LON_CELLS < ncols)
                cell_offer(ix, &ix->cells[i], z);
        }
        return;
    }
    for (long row = r0; row <= r1; row++)
        for (long j = 0; j < ncols; j++)
            cell_offer(ix, cell_get(ix, cell_key(row, (c0 + j) % LON_CELLS)), z);
}

long long search_index_nearby(const struct search_index *ix, double lat, double lon, double radius_m, size_t limit,
                              struct search_hit *out)
{
    struct nearest z = {.out = out, .limit = limit, .lat = lat, .lon = lon};

    if (limit == 0)
        return 0;
    /* Growing circles: once one holds limit destinations, none outside it can be nearer. */
    for (z.radius_m = radius_m < NEARBY_FIRST_M ? radius_m : NEARBY_FIRST_M;; z.radius_m *= 4) {
        if (z.radius_m > radius_m)
            z.radius_m = radius_m;
        nearby_scan(ix, &z);
        if (z.n >= limit || z.radius_m >= radius_m)
            break;
    }
    return (long long)z.n;
}
