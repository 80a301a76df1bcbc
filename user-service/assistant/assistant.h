/* assistant: the eco assistant's rules — a deterministic keyword matcher (English and
 * Vietnamese, with or without diacritics) and the reply texts built from data.
 *
 * Pure: no I/O, no database, no allocation. messages_routes gathers the data an intent
 * needs (footprint, points, destinations) and hands it to a formatter here, so every
 * sentence the assistant can say is unit-tested (tests/unit/test_assistant.c). */
#ifndef ASSISTANT_H
#define ASSISTANT_H

#include <stddef.h>

#define ASSISTANT_SUBJECT_MAX 100  /* characters of "X" in "find X" / "places near X" */
#define ASSISTANT_SCAN_MAX 8192    /* bytes of a message the matcher looks at */
#define ASSISTANT_REPLY_MAX 4000   /* bytes (so also characters) of a reply */
#define ASSISTANT_PLACES_MAX 5     /* destinations listed in one reply */
#define ASSISTANT_NEAR_RADIUS_KM 5 /* "places near X": within this of X */
#define ASSISTANT_RECENT_TRIPS 20  /* "reduce my footprint": the user's newest trips looked at */

enum assistant_intent {
    ASSISTANT_HELP = 0,
    ASSISTANT_GREETING,
    ASSISTANT_FOOTPRINT_WEEK,
    ASSISTANT_FOOTPRINT_MONTH,
    ASSISTANT_FOOTPRINT_COMPARE,
    ASSISTANT_MISSIONS_POINTS,
    ASSISTANT_FIND_DESTINATION,
    ASSISTANT_PLACES_NEAR,
    ASSISTANT_REDUCE_FOOTPRINT,
    ASSISTANT_GREENEST_STOP,
    ASSISTANT_NEXT_RANK,
};

/* "help", "greeting", "footprint_week", "footprint_month", "footprint_compare",
 * "missions_points", "find_destination", "places_near", "reduce_footprint",
 * "greenest_stop", "next_rank" (stored in messages.intent). */
const char *assistant_intent_name(enum assistant_intent i);

/* Folds text for matching into out (cap bytes, NUL-terminated): ASCII lower-cased,
 * Vietnamese (and Latin-1) letters to their ASCII base ("Tuần" -> "tuan", "Đ" -> "d"),
 * combining marks dropped, other characters kept as they are. When off is not NULL,
 * off[i] is the byte offset in text of the character out[i] came from. Looks at most at
 * ASSISTANT_SCAN_MAX bytes. Returns the length of out. */
size_t assistant_fold(const char *text, char *out, size_t cap, unsigned short *off);

/* The intent of a message. REDUCE_FOOTPRINT (a reduce word with a footprint or trip word),
 * GREENEST_STOP (a greenest word with a plan or stop word) and NEXT_RANK ("next rank",
 * "lên hạng", ...) are tried first, before the footprint, place and mission words. For FIND_DESTINATION and
 * PLACES_NEAR, subject receives X as the user wrote it (diacritics kept), trimmed of spaces and trailing ?.!, at most
 * ASSISTANT_SUBJECT_MAX characters and cap - 1 bytes, cut at a character boundary; for
 * FOOTPRINT_COMPARE it receives the period compared, "week" or "month"; otherwise "".
 * A find / near keyword with nothing after it does not count. subject may be NULL when
 * cap is 0. */
enum assistant_intent assistant_match(const char *text, char *subject, size_t cap);

/* What the assistant can do (the HELP reply; the GREETING reply starts with a hello). */
const char *assistant_help_text(void);

/* Replies. Each writes a NUL-terminated text of at most cap - 1 bytes (cap <=
 * ASSISTANT_REPLY_MAX + 1 keeps it within the column's limit) and returns its length. */
size_t assistant_reply_help(char *out, size_t cap, int greeting);

/* The user's footprint over one period and the one before it. */
struct assistant_footprint {
    const char *period;      /* "week" | "month" */
    const char *start, *end; /* the period's first and last day, YYYY-MM-DD */
    double kg, prev_kg;
    long long trips;
};
/* intent: FOOTPRINT_WEEK, FOOTPRINT_MONTH or FOOTPRINT_COMPARE. */
size_t assistant_reply_footprint(char *out, size_t cap, enum assistant_intent intent,
                                 const struct assistant_footprint *f);

/* Eco points, rank and the missions completed (names newest first, n of total shown). */
size_t assistant_reply_points(char *out, size_t cap, long long eco_point, const char *rank, long long completed,
                              const char *const *names, size_t n);

/* "How do I reduce my footprint": what the user's ASSISTANT_RECENT_TRIPS newest trips did
 * by car and motorbike (the high-carbon modes of the factor table). */
struct assistant_trips {
    long long trips;             /* trips looked at (0: none logged) */
    double car_km, motorbike_km; /* their distances by car / by motorbike */
    double kg;                   /* what those car and motorbike trips emitted (stored values) */
};

/* The same distance by a low-carbon mode: the factor table row (default fuel) and its kg. */
struct assistant_alternative {
    const char *vehicle; /* "train" | "bus" | "metro" */
    double factor;       /* kg CO2e per passenger-km */
    double kg;           /* factor x (car_km + motorbike_km), rounded by carbon_round_kg */
};
#define ASSISTANT_ALTERNATIVES 3

/* Fills alt[0..ASSISTANT_ALTERNATIVES) (train, bus, metro) for t. */
void assistant_alternatives(const struct assistant_trips *t, struct assistant_alternative *alt);

size_t assistant_reply_reduce(char *out, size_t cap, const struct assistant_trips *t);

struct assistant_place; /* below */

/* "Which of my plan's stops is greenest": the user's plan and its green-certified stops. */
struct assistant_plan {
    const char *name;       /* place_name; NULL: the user has no plan */
    const char *start_date; /* YYYY-MM-DD */
    long long stops;        /* how many stops it has */
};

/* green[0..n): the plan's green_certified stops, in itinerary order (distance_km unused). */
size_t assistant_reply_greenest(char *out, size_t cap, const struct assistant_plan *plan,
                                const struct assistant_place *green, size_t n);

/* "How many points to the next rank", from carbon_next_rank (rank: the user's, may be NULL). */
size_t assistant_reply_next_rank(char *out, size_t cap, long long eco_point, const char *rank);

struct assistant_place {
    const char *name;
    const char *category; /* may be NULL */
    const char *address;  /* may be NULL */
    double distance_km;   /* < 0: unknown */
};

enum assistant_lookup {
    ASSISTANT_LOOKUP_OK = 0,      /* places[0..n) answered (n may be 0: nothing matched) */
    ASSISTANT_LOOKUP_UNAVAILABLE, /* destination-service gave no answer */
    ASSISTANT_LOOKUP_NO_ANCHOR,   /* places near X: X itself was not found */
};

/* FIND_DESTINATION (anchor unused) or PLACES_NEAR (anchor: the name X resolved to). */
size_t assistant_reply_places(char *out, size_t cap, enum assistant_intent intent, const char *subject,
                              enum assistant_lookup lookup, const char *anchor, const struct assistant_place *places,
                              size_t n);

/* ---- language (assistant_vi.c) ---- */

enum assistant_lang {
    ASSISTANT_LANG_UNKNOWN = 0, /* too short or neutral to tell ("ok", "123") */
    ASSISTANT_LANG_EN,
    ASSISTANT_LANG_VI,
};

/* "en" | "vi" (UNKNOWN is "en"). */
const char *assistant_lang_name(enum assistant_lang lang);

/* The language a message is written in: whichever of Vietnamese and English words (as
 * folded, so Vietnamese typed without diacritics counts) it has more of; on a tie of some
 * words each, Vietnamese when it has a letter only Vietnamese uses (ă â đ ê ô ơ ư, a tone
 * mark). No such words (a bare place name, "ok") is UNKNOWN: a name with diacritics says
 * nothing about the language its writer wants. Looks at most at ASSISTANT_SCAN_MAX bytes. */
enum assistant_lang assistant_language(const char *text);

/* The first of vi / en an Accept-Language header names (q=0 excluded), else UNKNOWN.
 * header may be NULL. */
enum assistant_lang assistant_accept_language(const char *header);

/* The Vietnamese replies: the same contracts as the English ones above, in Vietnamese with
 * diacritics, a decimal comma (1.234,5), dates as dd/mm/yyyy and units kg CO2e, km. */
size_t assistant_vi_reply_help(char *out, size_t cap, int greeting);
size_t assistant_vi_reply_footprint(char *out, size_t cap, enum assistant_intent intent,
                                    const struct assistant_footprint *f);
size_t assistant_vi_reply_points(char *out, size_t cap, long long eco_point, const char *rank, long long completed,
                                 const char *const *names, size_t n);
size_t assistant_vi_reply_reduce(char *out, size_t cap, const struct assistant_trips *t);
size_t assistant_vi_reply_greenest(char *out, size_t cap, const struct assistant_plan *plan,
                                   const struct assistant_place *green, size_t n);
size_t assistant_vi_reply_next_rank(char *out, size_t cap, long long eco_point, const char *rank);
size_t assistant_vi_reply_places(char *out, size_t cap, enum assistant_intent intent, const char *subject,
                                 enum assistant_lookup lookup, const char *anchor, const struct assistant_place *places,
                                 size_t n);

#endif
