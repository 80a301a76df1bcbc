/* assistant: keyword matcher and reply texts of the eco assistant (see assistant.h). */
#include "assistant.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "assistant_text.h"
#include "carbon.h"
#include "utf8.h"

static const char *const intent_names[] = {
    "help",
    "greeting",
    "footprint_week",
    "footprint_month",
    "footprint_compare",
    "missions_points",
    "find_destination",
    "places_near",
    "reduce_footprint",
    "greenest_stop",
    "next_rank",
};

const char *assistant_intent_name(enum assistant_intent i)
{
    if ((unsigned)i >= sizeof intent_names / sizeof intent_names[0])
        return "help";
    return intent_names[i];
}

/* ---- folding ---- */

/* ASCII base letter of a Latin-1 / Vietnamese letter (lower or upper case), or 0. */
static char base_letter(unsigned cp)
{
    static const struct {
        unsigned lo, hi;
        char base;
    } ranges[] = {
        {0xC0, 0xC5, 'a'},     {0xC7, 0xC7, 'c'},     {0xC8, 0xCB, 'e'},     {0xCC, 0xCF, 'i'},
        {0xD1, 0xD1, 'n'},     {0xD2, 0xD6, 'o'},     {0xD8, 0xD8, 'o'},     {0xD9, 0xDC, 'u'},
        {0xDD, 0xDD, 'y'},     {0xE0, 0xE5, 'a'},     {0xE7, 0xE7, 'c'},     {0xE8, 0xEB, 'e'},
        {0xEC, 0xEF, 'i'},     {0xF1, 0xF1, 'n'},     {0xF2, 0xF6, 'o'},     {0xF8, 0xF8, 'o'},
        {0xF9, 0xFC, 'u'},     {0xFD, 0xFD, 'y'},     {0xFF, 0xFF, 'y'},     {0x102, 0x103, 'a'},
        {0x110, 0x111, 'd'},   {0x128, 0x129, 'i'},   {0x168, 0x169, 'u'},   {0x1A0, 0x1A1, 'o'},
        {0x1AF, 0x1B0, 'u'},   {0x1EA0, 0x1EB7, 'a'}, {0x1EB8, 0x1EC7, 'e'}, {0x1EC8, 0x1ECB, 'i'},
        {0x1ECC, 0x1EE3, 'o'}, {0x1EE4, 0x1EF1, 'u'}, {0x1EF2, 0x1EF9, 'y'},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i].lo && cp <= ranges[i].hi)
            return ranges[i].base;
    return 0;
}

/* Decodes one UTF-8 character at s (at most avail bytes); returns its length (1 for a
 * stray byte, which is then taken as is) and sets *cp. */
static size_t utf8_next(const unsigned char *s, size_t avail, unsigned *cp)
{
    size_t n = utf8_decode(s, avail, cp);

    if (n == 0) { /* not UTF-8 (bodies are checked before; the fuzzer is not): the byte as is */
        *cp = s[0];
        n = 1;
    }
    return n;
}

/* The fold; *consumed receives how many bytes of text it covered. */
static size_t fold(const char *text, char *out, size_t cap, unsigned short *off, size_t *consumed)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0, total = strlen(text);

    if (total > ASSISTANT_SCAN_MAX)
        total = ASSISTANT_SCAN_MAX;
    while (i < total) {
        unsigned cp;
        size_t n = utf8_next(s + i, total - i, &cp);
        char b = 0;

        if (n == 1 && cp < 0x80)
            b = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
        else if (cp >= 0x300 && cp <= 0x36F) { /* combining mark (decomposed input): drop */
            i += n;
            continue;
        } else
            b = base_letter(cp);
        if (b) {
            if (o + 1 >= cap)
                break;
            if (off)
                off[o] = (unsigned short)i;
            out[o++] = b;
        } else {
            if (o + n >= cap)
                break;
            for (size_t k = 0; k < n; k++) {
                if (off)
                    off[o] = (unsigned short)i;
                out[o++] = (char)s[i + k];
            }
        }
        i += n;
    }
    if (cap)
        out[o] = '\0';
    *consumed = i;
    return o;
}

size_t assistant_fold(const char *text, char *out, size_t cap, unsigned short *off)
{
    size_t consumed;
    return fold(text, out, cap, off, &consumed);
}

/* ---- matching ---- */

static int word_char(char c)
{
    unsigned char u = (unsigned char)c;
    return (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u >= 0x80;
}

/* Position of the first whole-word occurrence of kw in f (len bytes), or -1. "diem" right
 * after "dia " is "địa điểm" (a place), not points. */
static long find_word(const char *f, size_t len, const char *kw)
{
    size_t kl = strlen(kw);
    const char *p = f;

    while ((p = strstr(p, kw)) != NULL) {
        size_t pos = (size_t)(p - f);
        int ok = (pos == 0 || !word_char(f[pos - 1])) && (pos + kl >= len || !word_char(f[pos + kl]));
        if (ok && strcmp(kw, "diem") == 0 && pos >= 4 && memcmp(f + pos - 4, "dia ", 4) == 0)
            ok = 0;
        if (ok)
            return (long)pos;
        p++;
    }
    return -1;
}

static int has_any(const char *f, size_t len, const char *const *kws)
{
    for (; *kws; kws++)
        if (find_word(f, len, *kws) >= 0)
            return 1;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies text[a..b) into subject trimmed (leading spaces and ":,-"; trailing spaces and
 * "?.!"), at most ASSISTANT_SUBJECT_MAX characters and cap - 1 bytes, cut at a character
 * boundary. Returns its length (0: nothing there). */
static size_t take_subject(const char *text, size_t a, size_t b, char *subject, size_t cap)
{
    size_t n = 0, chars = 0;

    while (a < b && (is_space(text[a]) || text[a] == ':' || text[a] == ',' || text[a] == '-'))
        a++;
    while (b > a && (is_space(text[b - 1]) || text[b - 1] == '?' || text[b - 1] == '.' || text[b - 1] == '!'))
        b--;
    if (cap == 0)
        return 0;
    while (a + n < b && chars < ASSISTANT_SUBJECT_MAX) {
        unsigned cp;
        size_t k = utf8_next((const unsigned char *)text + a + n, b - a - n, &cp);
        if (n + k >= cap)
            break;
        n += k;
        chars++;
    }
    while (n > 0 && is_space(text[a + n - 1]))
        n--;
    memcpy(subject, text + a, n);
    subject[n] = '\0';
    return n;
}

static const char *const footprint_words[] = {"footprint", "emission", "emissions", "emit",      "emitted",  "co2",
                                              "co2e",      "carbon",   "khi thai",  "phat thai", "dau chan", NULL};
static const char *const compare_words[] = {"compare",    "compared",    "comparison", "versus", "vs",
                                            "last week",  "last month",  "previous",   "so voi", "so sanh",
                                            "tuan truoc", "thang truoc", NULL};
static const char *const month_words[] = {"month", "monthly", "thang", NULL};
static const char *const near_words[] = {"near", "gan", "xung quanh", "quanh", NULL};
static const char *const find_words[] = {"where is", "where's", "search for", "search", "look for",
                                         "look up",  "find",    "tim kiem",   "tim",    NULL};
static const char *const mission_words[] = {"mission", "missions", "point",       "points", "eco point",
                                            "rank",    "ranking",  "leaderboard", "badge",  "nhiem vu",
                                            "diem",    "xep hang", "cap bac",     NULL};
/* The three questions tried first: each needs a word of both of its lists, so that "reduce
 * my footprint" is not the weekly footprint and "điểm dừng xanh nhất" not the points. */
static const char *const reduce_words[] = {"reduce", "reducing", "cut down", "cut my", "lower my",
                                           "giam",   "cat giam", "giam bot", NULL};
static const char *const trip_words[] = {"trip",       "trips",  "travel",     "journey", "chuyen di",
                                         "chuyen nay", "di lai", "hanh trinh", NULL};
static const char *const greenest_words[] = {"greenest",     "most green",      "most eco",  "eco friendly",
                                             "eco-friendly", "green certified", "certified", "xanh nhat",
                                             "than thien",   "chung nhan",      NULL};
static const char *const plan_words[] = {"plan",     "plans",      "plan's",    "stop",     "stops", "itinerary",
                                         "ke hoach", "lich trinh", "diem dung", "diem den", "chang", NULL};
static const char *const next_rank_words[] = {"next rank",      "next level",   "rank up",  "level up",
                                              "hang tiep theo", "hang ke tiep", "len hang", "thang hang",
                                              "cap tiep theo",  "len cap",      NULL};
static const char *const greeting_words[] = {"hi", "hello", "hey", "good morning", "xin chao", "chao", "alo", NULL};

/* Tries the keywords of kws in order: the first whole-word hit with something after it
 * gives the subject. Returns 1 when one did. */
static int subject_after(const char *text, const char *f, size_t flen, const unsigned short *off, size_t consumed,
                         const char *const *kws, char *subject, size_t cap)
{
    for (; *kws; kws++) {
        long pos = find_word(f, flen, *kws);
        size_t end;
        if (pos < 0)
            continue;
        end = (size_t)pos + strlen(*kws);
        if (take_subject(text, end < flen ? off[end] : consumed, consumed, subject, cap) > 0)
            return 1;
    }
    return 0;
}

enum assistant_intent assistant_match(const char *text, char *subject, size_t cap)
{
    char f[ASSISTANT_SCAN_MAX + 1];
    unsigned short off[ASSISTANT_SCAN_MAX + 1];
    size_t consumed, flen;
    long pos;

    if (subject && cap)
        subject[0] = '\0';
    if (!text)
        return ASSISTANT_HELP;
    flen = fold(text, f, sizeof f, off, &consumed);

    if (has_any(f, flen, reduce_words) && (has_any(f, flen, footprint_words) || has_any(f, flen, trip_words)))
        return ASSISTANT_REDUCE_FOOTPRINT;
    if (has_any(f, flen, greenest_words) && has_any(f, flen, plan_words))
        return ASSISTANT_GREENEST_STOP;
    if (has_any(f, flen, next_rank_words))
        return ASSISTANT_NEXT_RANK;
    if (has_any(f, flen, compare_words)) {
        if (subject && cap)
            snprintf(subject, cap, "%s", has_any(f, flen, month_words) ? "month" : "week");
        return ASSISTANT_FOOTPRINT_COMPARE;
    }
    if (has_any(f, flen, footprint_words))
        return has_any(f, flen, month_words) ? ASSISTANT_FOOTPRINT_MONTH : ASSISTANT_FOOTPRINT_WEEK;
    if (subject && cap) {
        if (subject_after(text, f, flen, off, consumed, near_words, subject, cap))
            return ASSISTANT_PLACES_NEAR;
        if (subject_after(text, f, flen, off, consumed, find_words, subject, cap))
            return ASSISTANT_FIND_DESTINATION;
        /* Vietnamese "X ở đâu?" (where is X): the subject comes first. */
        if ((pos = find_word(f, flen, "o dau")) > 0 && take_subject(text, 0, off[pos], subject, cap) > 0)
            return ASSISTANT_FIND_DESTINATION;
        subject[0] = '\0';
    }
    if (has_any(f, flen, mission_words))
        return ASSISTANT_MISSIONS_POINTS;
    if (has_any(f, flen, greeting_words))
        return ASSISTANT_GREETING;
    return ASSISTANT_HELP;
}

/* ---- replies ---- */

static const char help_text[] =
    "I am the EcomoveX eco assistant. Ask me about: your footprint this week (\"my footprint this week\"), "
    "this month (\"my footprint this month\"), compared with the last period (\"compare with last week\"); "
    "your missions and eco points (\"my missions and points\"); a destination by name (\"find Ho Hoan Kiem\"); "
    "places near a destination (\"places near Ho Hoan Kiem\"). You can also write to me in Vietnamese.";

const char *assistant_help_text(void)
{
    return help_text;
}

size_t assistant_reply_help(char *out, size_t cap, int greeting)
{
    struct out o = out_init(out, cap);

    if (greeting)
        put(&o, "Hello! ");
    put(&o, "%s", help_text);
    return o.len;
}

static const char *plural(long long n)
{
    return n == 1 ? "" : "s";
}

size_t assistant_reply_footprint(char *out, size_t cap, enum assistant_intent intent,
                                 const struct assistant_footprint *f)
{
    struct out o = out_init(out, cap);
    const char *per = f->period;
    double pct;

    if (intent == ASSISTANT_FOOTPRINT_COMPARE) {
        put(&o, "This %s (%s to %s) your trips emitted %.3f kg CO2e; last %s they emitted %.3f kg CO2e. ", per,
            f->start, f->end, f->kg, per, f->prev_kg);
        if (carbon_change_pct(f->kg, f->prev_kg, &pct) < 0)
            put(&o,
                f->kg > 0 ? "There was nothing logged last %s to compare with."
                          : "Nothing is logged in either period yet.",
                per);
        else if (pct < 0)
            put(&o, "That is %.2f%% less than last %s. Well done!", -pct, per);
        else if (pct > 0)
            put(&o, "That is %.2f%% more than last %s. Walking, cycling, metro or bus would bring it down.", pct, per);
        else
            put(&o, "That is the same as last %s.", per);
        return o.len;
    }
    if (f->trips == 0) {
        put(&o, "You have logged no trips this %s (%s to %s), so your footprint is 0.000 kg CO2e so far.", per,
            f->start, f->end);
        return o.len;
    }
    put(&o, "This %s (%s to %s) you logged %lld trip%s emitting %.3f kg CO2e.", per, f->start, f->end, f->trips,
        plural(f->trips), f->kg);
    if (f->prev_kg > 0)
        put(&o, " Last %s it was %.3f kg CO2e.", per, f->prev_kg);
    return o.len;
}

size_t assistant_reply_points(char *out, size_t cap, long long eco_point, const char *rank, long long completed,
                              const char *const *names, size_t n)
{
    struct out o = out_init(out, cap);

    put(&o, "You have %lld eco point%s and your rank is %s. You have completed %lld mission%s", eco_point,
        plural(eco_point), rank ? rank : "Bronze", completed, plural(completed));
    if (n == 0 || completed == 0) {
        put(&o, ". Complete missions, such as logging an eco trip, to earn more points.");
        return o.len;
    }
    put(&o, ":");
    for (size_t i = 0; i < n && !o.full; i++)
        put(&o, "%s %s", i ? "," : "", names[i]);
    if (!o.full && (long long)n < completed)
        put(&o, " and %lld more", completed - (long long)n);
    if (!o.full)
        put(&o, ".");
    return o.len;
}

static void put_place(struct out *o, size_t i, const struct assistant_place *p)
{
    struct out save = *o;

    put(o, "%s%s", i ? "; " : " ", p->name ? p->name : "(unnamed)");
    if (p->category || p->address || p->distance_km >= 0) {
        int first = 1;
        put(o, " (");
        if (p->category) {
            put(o, "%s", p->category);
            first = 0;
        }
        if (p->address) {
            put(o, "%s%s", first ? "" : ", ", p->address);
            first = 0;
        }
        if (p->distance_km >= 0)
            put(o, "%s%.1f km away", first ? "" : ", ", p->distance_km);
        put(o, ")");
    }
    if (o->full) { /* a place is listed whole or not at all */
        save.full = 1;
        save.p[save.len] = '\0';
        *o = save;
    }
}

size_t assistant_reply_places(char *out, size_t cap, enum assistant_intent intent, const char *subject,
                              enum assistant_lookup lookup, const char *anchor, const struct assistant_place *places,
                              size_t n)
{
    struct out o = out_init(out, cap);

    if (lookup == ASSISTANT_LOOKUP_UNAVAILABLE) {
        put(&o,
            "Destination search is unavailable right now, so I cannot look up \"%s\". Please try again in a "
            "moment.",
            subject);
        return o.len;
    }
    if (intent == ASSISTANT_PLACES_NEAR) {
        if (lookup == ASSISTANT_LOOKUP_NO_ANCHOR) {
            put(&o, "I could not find a destination called \"%s\" to look around.", subject);
            return o.len;
        }
        if (n == 0) {
            put(&o, "I found no other destinations within %d km of %s.", ASSISTANT_NEAR_RADIUS_KM, anchor);
            return o.len;
        }
        put(&o, "Places within %d km of %s:", ASSISTANT_NEAR_RADIUS_KM, anchor);
    } else {
        if (n == 0) {
            put(&o, "I could not find any destination matching \"%s\".", subject);
            return o.len;
        }
        put(&o, "Destinations matching \"%s\":", subject);
    }
    for (size_t i = 0; i < n && i < ASSISTANT_PLACES_MAX && !o.full; i++)
        put_place(&o, i, &places[i]);
    if (!o.full)
        put(&o, ".");
    return o.len;
}

/* ---- reduce, greenest, next rank ---- */

void assistant_alternatives(const struct assistant_trips *t, struct assistant_alternative *alt)
{
    static const char *const low[ASSISTANT_ALTERNATIVES] = {"train", "bus", "metro"};
    double km = t->car_km + t->motorbike_km;

    for (size_t i = 0; i < ASSISTANT_ALTERNATIVES; i++) {
        alt[i].vehicle = low[i];
        alt[i].factor = 0;
        carbon_factor(low[i], carbon_default_fuel(low[i]), &alt[i].factor);
        alt[i].kg = carbon_round_kg(alt[i].factor * km);
    }
}

size_t assistant_reply_reduce(char *out, size_t cap, const struct assistant_trips *t)
{
    struct out o = out_init(out, cap);
    struct assistant_alternative alt[ASSISTANT_ALTERNATIVES];
    double car = 0;

    assistant_alternatives(t, alt);
    if (t->car_km + t->motorbike_km <= 0) {
        carbon_factor("car", "petrol", &car);
        if (t->trips == 0)
            put(&o, "You have no trips logged yet. ");
        else
            put(&o, "Your %lld latest trip%s used no car or motorbike: well done. ", t->trips, plural(t->trips));
        put(&o,
            "The lowest-carbon ways to travel: walking or cycling (0 kg CO2e per km), metro (%g), train (%g) and "
            "bus (%g kg CO2e per passenger-km), against %g kg CO2e per km for a petrol car.",
            alt[2].factor, alt[0].factor, alt[1].factor, car);
        return o.len;
    }
    put(&o,
        "Of your %lld latest trip%s, %.1f km by car and %.1f km by motorbike emitted %.3f kg CO2e. The same %.1f km",
        t->trips, plural(t->trips), t->car_km, t->motorbike_km, t->kg, t->car_km + t->motorbike_km);
    for (size_t i = 0; i < ASSISTANT_ALTERNATIVES; i++)
        put(&o, "%s by %s would emit %.3f kg CO2e (%g per km)",
            i == 0                           ? ""
            : i + 1 < ASSISTANT_ALTERNATIVES ? ","
                                             : ", or",
            alt[i].vehicle, alt[i].kg, alt[i].factor);
    put(&o, ". Walking or cycling emits nothing.");
    return o.len;
}

size_t assistant_reply_greenest(char *out, size_t cap, const struct assistant_plan *plan,
                                const struct assistant_place *green, size_t n)
{
    struct out o = out_init(out, cap);

    if (!plan->name) {
        put(&o, "You have no travel plan yet. Create one and add its stops, then ask me which is greenest.");
        return o.len;
    }
    if (plan->stops == 0) {
        put(&o, "Your plan \"%s\" (from %s) has no stops yet.", plan->name, plan->start_date);
        return o.len;
    }
    if (n == 0) {
        put(&o, "None of the %lld stop%s of your plan \"%s\" (from %s) is green certified.", plan->stops,
            plural(plan->stops), plan->name, plan->start_date);
        return o.len;
    }
    if (n == 1)
        put(&o,
            "Of the %lld stop%s of your plan \"%s\" (from %s), the greenest is the green-certified one:", plan->stops,
            plural(plan->stops), plan->name, plan->start_date);
    else
        put(&o, "Of the %lld stops of your plan \"%s\" (from %s), the greenest are these %zu green-certified ones:",
            plan->stops, plan->name, plan->start_date, n);
    for (size_t i = 0; i < n && i < ASSISTANT_PLACES_MAX && !o.full; i++)
        put_place(&o, i, &green[i]);
    if (!o.full)
        put(&o, ".");
    return o.len;
}

size_t assistant_reply_next_rank(char *out, size_t cap, long long eco_point, const char *rank)
{
    struct out o = out_init(out, cap);
    long long at = 0;
    const char *next = carbon_next_rank(eco_point, &at);

    if (!rank)
        rank = carbon_rank(eco_point);
    if (!next) {
        put(&o, "You have %lld eco point%s and already hold the top rank, %s.", eco_point, plural(eco_point), rank);
        return o.len;
    }
    put(&o, "You have %lld eco point%s (rank %s). %lld more point%s bring you to %s, which starts at %lld points.",
        eco_point, plural(eco_point), rank, at - eco_point, plural(at - eco_point), next, at);
    return o.len;
}
