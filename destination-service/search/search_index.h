/* search_index: destinations in memory for word search and proximity.
 *
 * Holds, per destination, only what search needs: id, the folded words of its name and
 * address (fold.h), category and coordinates. GET answers still read the rows themselves
 * from PostgreSQL, by id; the index only decides which ids and in what order.
 *
 * Words: every query word must match a word of the name or the address, in any order. A
 * word matches exactly; the query's last word also as a prefix (as-you-type); words of 5-8
 * letters with 1 edit and from 9 letters with 2 (insertion, deletion, substitution or
 * transposition of neighbours; only a-z words). When that finds nothing, 4-letter words get
 * 1 edit too ("qouc" -> quoc). Two neighbouring words of a name or address are also indexed
 * joined ("Hà Nội" -> hanoi), so the joined spelling matches.
 *
 * Ranking, in this order: more query words matched exactly; fewer edits; more words matched
 * in the name than in the address; the matched words closer together and in query order;
 * fewer name words left unmatched; lower id.
 *
 * Not thread-safe: search_live serializes writers against readers. */
#ifndef SEARCH_INDEX_H
#define SEARCH_INDEX_H

#include <stddef.h>

#define SEARCH_QUERY_WORDS_MAX 12 /* words of a query beyond this are ignored */
#define SEARCH_TOTAL_EXACT 1000   /* totals are exact up to here at least (the default cap) */

struct search_index;

/* One destination as the index takes it. Strings are copied (folded) by search_index_put. */
struct search_doc {
    long long id;
    const char *name;
    const char *address; /* NULL: none */
    int category;        /* index into dest_categories, -1 for none */
    double lat, lon;
};

/* One nearby hit: the destination and its great-circle distance in metres. */
struct search_hit {
    long long id;
    double distance_m;
};

/* An empty index, or NULL when out of memory. */
struct search_index *search_index_new(void);
void search_index_free(struct search_index *ix);

/* Adds d, replacing the destination with the same id if there is one. 0, or -1 when out of
 * memory (the index then does not hold d; an older version of it is removed). */
int search_index_put(struct search_index *ix, const struct search_doc *d);

/* Puts the dictionary in text order: call once after loading in bulk, before the first
 * search (until then words are only appended; afterwards each new word is put in order).
 * 0, or -1 when out of memory. */
int search_index_seal(struct search_index *ix);

/* Removes destination id (nothing when it is not there). */
void search_index_remove(struct search_index *ix, long long id);

/* Destinations held. */
size_t search_index_count(const struct search_index *ix);

/* Bytes the index uses, roughly (for the metrics). */
size_t search_index_bytes(const struct search_index *ix);

/* The destinations matching q (of category, or any when category < 0), ranked: the ids of
 * ranks offset .. offset+limit-1 into ids (room for limit), their count returned; *total is
 * the number of matches, and *total_exact (when not NULL) 1 if that is all of them. Once
 * the page is certain and the cap's number of matches (SEARCH_TOTAL_EXACT unless set) has
 * been counted, the search stops: *total is then a lower bound (at least the cap) and
 * *total_exact 0. Below the cap the total is always exact. -1 when out of memory. A q
 * without words matches nothing. */
long long search_index_find_counted(const struct search_index *ix, const char *q, int category, long long offset,
                                    long long limit, long long *ids, long long *total, int *total_exact);

/* search_index_find_counted without the flag. */
long long search_index_find(const struct search_index *ix, const char *q, int category, long long offset,
                            long long limit, long long *ids, long long *total);

/* Sets the number of matches a search counts at least before it may stop (SIZE_MAX: all,
 * every total exact). */
void search_index_set_total_cap(struct search_index *ix, size_t cap);

/* The at most limit destinations within radius_m metres of (lat, lon), nearest first (then
 * by id), into out (room for limit). Returns their count, or -1 when out of memory. */
long long search_index_nearby(const struct search_index *ix, double lat, double lon, double radius_m, size_t limit,
                              struct search_hit *out);

/* The great-circle distance in metres between two points, on earthdistance's sphere (the
 * radius PostgreSQL's earth() returns), so that it equals earth_distance(). */
double search_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif
