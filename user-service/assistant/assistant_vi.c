/* assistant_vi: which language a message is in, and the assistant's replies in Vietnamese
 * (see assistant.h). Pure, like assistant.c. */
#include <stdio.h>
#include <string.h>

#include "assistant.h"
#include "assistant_text.h"
#include "carbon.h"

#define VI_NUM_MAX 48  /* a formatted number: digits, separators, sign, NUL */
#define VI_DATE_MAX 11 /* dd/mm/yyyy and NUL */

const char *assistant_lang_name(enum assistant_lang lang)
{
    return lang == ASSISTANT_LANG_VI ? "vi" : "en";
}

/* ---- detection ---- */

/* A code point only Vietnamese (of the languages users write here) puts in a word: ă â đ ê
 * ô ơ ư in either case, the precomposed tone-marked letters, and the tone marks as
 * combining characters (grave, acute, tilde, hook above, dot below). */
static int vietnamese_letter(unsigned cp)
{
    switch (cp) {
    case 0x102:
    case 0x103:
    case 0xC2:
    case 0xE2:
    case 0x110:
    case 0x111:
    case 0xCA:
    case 0xEA:
    case 0xD4:
    case 0xF4:
    case 0x1A0:
    case 0x1A1:
    case 0x1AF:
    case 0x1B0:
    case 0x300:
    case 0x301:
    case 0x303:
    case 0x309:
    case 0x323: return 1;
    default: return cp >= 0x1EA0 && cp <= 0x1EF9;
    }
}

static int has_vietnamese_letter(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, total = strlen(text);

    if (total > ASSISTANT_SCAN_MAX)
        total = ASSISTANT_SCAN_MAX;
    while (i < total) {
        unsigned cp = s[i], n = 1;
        if (s[i] >= 0xC0 && s[i] < 0xE0 && i + 1 < total) {
            cp = ((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
            n = 2;
        } else if (s[i] >= 0xE0 && s[i] < 0xF0 && i + 2 < total) {
            cp = ((s[i] & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
            n = 3;
        }
        if (vietnamese_letter(cp))
            return 1;
        i += n;
    }
    return 0;
}

/* Words typical of each language as the matcher folds them (Vietnamese without diacritics).
 * Words both languages write alike ("so", "the", "o", "co", "hi") are in neither. */
static const char *const vi_words[] = {
    "toi",   "cua",   "ban",   "bao",  "nhieu", "tuan", "thang", "nay",    "truoc", "khi",  "thai",  "phat",
    "dau",   "chan",  "nhiem", "vu",   "diem",  "tim",  "gan",   "quanh",  "xung",  "chao", "xin",   "dia",
    "gi",    "khong", "va",    "cho",  "voi",   "sanh", "xep",   "hang",   "cap",   "bac",  "luong", "minh",
    "duoc",  "nao",   "nhu",   "giup", "lam",   "sao",  "di",    "chuyen", "alo",   "oi",   "nhe",   "giam",
    "hoach", "xanh",  "nhat",  "tiep", "theo",  "len",  "dung",  NULL};
static const char *const en_words[] = {
    "my",        "me",       "i",         "what",    "how",    "is",   "are",     "this",   "week",    "month",
    "find",      "near",     "places",    "place",   "hello",  "hey",  "point",   "points", "mission", "missions",
    "footprint", "emission", "emissions", "compare", "with",   "last", "where",   "search", "can",     "you",
    "do",        "help",     "and",       "of",      "in",     "to",   "show",    "rank",   "much",    "many",
    "trip",      "trips",    "please",    "thanks",  "around", "good", "morning", "the",    "reduce",  "next",
    "greenest",  "plan",     "stops",     "stop",    NULL};

static int count_words(const char *f, size_t len, const char *const *words)
{
    int n = 0;
    size_t i = 0;

    while (i < len) {
        size_t j = i;
        while (j < len && ((f[j] >= 'a' && f[j] <= 'z') || (f[j] >= '0' && f[j] <= '9')))
            j++;
        if (j > i) {
            for (const char *const *w = words; *w; w++)
                if (strlen(*w) == j - i && memcmp(*w, f + i, j - i) == 0) {
                    n++;
                    break;
                }
            i = j;
        } else
            i++;
    }
    return n;
}

enum assistant_lang assistant_language(const char *text)
{
    char f[ASSISTANT_SCAN_MAX + 1];
    size_t len;
    int vi, en;

    if (!text)
        return ASSISTANT_LANG_UNKNOWN;
    len = assistant_fold(text, f, sizeof f, NULL);
    vi = count_words(f, len, vi_words);
    en = count_words(f, len, en_words);
    if (vi == en) /* a tie of words, not of none: diacritics decide */
        return vi > 0 && has_vietnamese_letter(text) ? ASSISTANT_LANG_VI : ASSISTANT_LANG_UNKNOWN;
    return vi > en ? ASSISTANT_LANG_VI : ASSISTANT_LANG_EN;
}

enum assistant_lang assistant_accept_language(const char *header)
{
    const char *p = header;

    while (p && *p) {
        const char *end = strchr(p, ','), *semi;
        size_t n = end ? (size_t)(end - p) : strlen(p), tag;

        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        semi = memchr(p, ';', n);
        tag = semi ? (size_t)(semi - p) : n;
        /* "q=0" (or 0.0, 0.00...) refuses the language */
        int refused = 0;
        if (semi) {
            const char *q = semi + 1;
            while (q < p + n && (*q == ' ' || *q == '\t'))
                q++;
            if (q + 2 < p + n + 1 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=' && q[2] == '0') {
                refused = 1;
                for (const char *d = q + 3; d < p + n; d++)
                    if (*d >= '1' && *d <= '9')
                        refused = 0;
            }
        }
        if (!refused && tag >= 2 && (tag == 2 || p[2] == '-' || p[2] == ' ')) {
            if ((p[0] == 'v' || p[0] == 'V') && (p[1] == 'i' || p[1] == 'I'))
                return ASSISTANT_LANG_VI;
            if ((p[0] == 'e' || p[0] == 'E') && (p[1] == 'n' || p[1] == 'N'))
                return ASSISTANT_LANG_EN;
        }
        p = end ? end + 1 : NULL;
    }
    return ASSISTANT_LANG_UNKNOWN;
}

/* ---- Vietnamese conventions ---- */

/* v with `decimals` digits, a decimal comma and a dot between thousands: 1234.5 -> "1.234,5". */
static const char *vi_num(char buf[VI_NUM_MAX], double v, int decimals)
{
    char raw[VI_NUM_MAX];
    size_t o = 0, i = 0, int_len;
    int n = snprintf(raw, sizeof raw, "%.*f", decimals, v);

    if (n < 0 || (size_t)n >= sizeof raw) {
        buf[0] = '\0';
        return buf;
    }
    if (raw[0] == '-')
        buf[o++] = raw[i++];
    int_len = strcspn(raw + i, ".");
    for (size_t k = 0; k < int_len; k++) {
        if (k > 0 && (int_len - k) % 3 == 0)
            buf[o++] = '.';
        buf[o++] = raw[i++];
    }
    if (raw[i] == '.') {
        buf[o++] = ',';
        i++;
        while (raw[i])
            buf[o++] = raw[i++];
    }
    buf[o] = '\0';
    return buf;
}

/* A factor as short as it is exact (%g), with a decimal comma: 0.0278 -> "0,0278". */
static const char *vi_factor(char buf[VI_NUM_MAX], double v)
{
    char *dot;

    snprintf(buf, VI_NUM_MAX, "%g", v);
    if ((dot = strchr(buf, '.')) != NULL)
        *dot = ',';
    return buf;
}

/* YYYY-MM-DD -> dd/mm/yyyy (anything else is copied as it is). */
static const char *vi_date(char buf[VI_DATE_MAX], const char *iso)
{
    if (iso && strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-')
        snprintf(buf, VI_DATE_MAX, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    else
        snprintf(buf, VI_DATE_MAX, "%s", iso ? iso : "");
    return buf;
}

static const char *vi_rank(const char *rank)
{
    static const struct {
        const char *en, *vi;
    } names[] = {
        {"Bronze", "Đồng"}, {"Silver", "Bạc"}, {"Gold", "Vàng"}, {"Platinum", "Bạch kim"}, {"Diamond", "Kim cương"}};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(rank, names[i].en) == 0)
            return names[i].vi;
    return rank;
}

static const char *vi_category(const char *category)
{
    static const struct {
        const char *en, *vi;
    } names[] = {{"attraction", "điểm tham quan"},
                 {"restaurant", "nhà hàng"},
                 {"accommodation", "chỗ ở"},
                 {"transport", "giao thông"},
                 {"other", "khác"}};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(category, names[i].en) == 0)
            return names[i].vi;
    return category;
}

/* ---- replies ---- */

static const char vi_help_text[] =
    "Tôi là trợ lý sinh thái EcomoveX. Bạn có thể hỏi tôi về: lượng khí thải tuần này (\"lượng khí thải tuần "
    "này\"), tháng này (\"lượng khí thải tháng này\"), so với kỳ trước (\"so với tuần trước\"); nhiệm vụ và điểm "
    "xanh của bạn (\"nhiệm vụ và điểm của tôi\"); một địa điểm theo tên (\"tìm Hồ Hoàn Kiếm\"); các địa điểm gần "
    "một nơi (\"địa điểm gần Hồ Hoàn Kiếm\"). Bạn cũng có thể viết bằng tiếng Anh.";

size_t assistant_vi_reply_help(char *out, size_t cap, int greeting)
{
    struct out o = out_init(out, cap);

    if (greeting)
        put(&o, "Xin chào! ");
    put(&o, "%s", vi_help_text);
    return o.len;
}

size_t assistant_vi_reply_footprint(char *out, size_t cap, enum assistant_intent intent,
                                    const struct assistant_footprint *f)
{
    struct out o = out_init(out, cap);
    int month = f->period && strcmp(f->period, "month") == 0;
    const char *Per = month ? "Tháng" : "Tuần", *per = month ? "tháng" : "tuần";
    char start[VI_DATE_MAX], end[VI_DATE_MAX], kg[VI_NUM_MAX], prev[VI_NUM_MAX], pc[VI_NUM_MAX];
    double pct;

    vi_date(start, f->start);
    vi_date(end, f->end);
    vi_num(kg, f->kg, 3);
    vi_num(prev, f->prev_kg, 3);
    if (intent == ASSISTANT_FOOTPRINT_COMPARE) {
        put(&o, "%s này (từ %s đến %s) các chuyến đi của bạn thải ra %s kg CO2e; %s trước là %s kg CO2e. ", Per, start,
            end, kg, per, prev);
        if (carbon_change_pct(f->kg, f->prev_kg, &pct) < 0) {
            if (f->kg > 0)
                put(&o, "%s trước chưa có chuyến đi nào để so sánh.", Per);
            else
                put(&o, "Cả hai kỳ đều chưa có chuyến đi nào được ghi.");
        } else if (pct < 0)
            put(&o, "Ít hơn %s%% so với %s trước. Làm tốt lắm!", vi_num(pc, -pct, 2), per);
        else if (pct > 0)
            put(&o, "Nhiều hơn %s%% so với %s trước. Đi bộ, đạp xe, đi metro hoặc xe buýt sẽ giúp giảm lượng này.",
                vi_num(pc, pct, 2), per);
        else
            put(&o, "Bằng với %s trước.", per);
        return o.len;
    }
    if (f->trips == 0) {
        put(&o,
            "%s này (từ %s đến %s) bạn chưa ghi chuyến đi nào, nên lượng khí thải của bạn đến nay là 0,000 kg "
            "CO2e.",
            Per, start, end);
        return o.len;
    }
    put(&o, "%s này (từ %s đến %s) bạn đã ghi %lld chuyến đi, thải ra %s kg CO2e.", Per, start, end, f->trips, kg);
    if (f->prev_kg > 0)
        put(&o, " %s trước là %s kg CO2e.", Per, prev);
    return o.len;
}

size_t assistant_vi_reply_points(char *out, size_t cap, long long eco_point, const char *rank, long long completed,
                                 const char *const *names, size_t n)
{
    struct out o = out_init(out, cap);

    put(&o, "Bạn có %lld điểm xanh, hạng %s. Bạn đã hoàn thành %lld nhiệm vụ", eco_point,
        vi_rank(rank ? rank : "Bronze"), completed);
    if (n == 0 || completed == 0) {
        put(&o, ". Hãy hoàn thành nhiệm vụ, ví dụ ghi một chuyến đi xanh, để nhận thêm điểm.");
        return o.len;
    }
    put(&o, ":");
    for (size_t i = 0; i < n && !o.full; i++)
        put(&o, "%s %s", i ? "," : "", names[i]);
    if (!o.full && (long long)n < completed)
        put(&o, " và %lld nhiệm vụ khác", completed - (long long)n);
    if (!o.full)
        put(&o, ".");
    return o.len;
}

static void put_place(struct out *o, size_t i, const struct assistant_place *p)
{
    struct out save = *o;
    char km[VI_NUM_MAX];

    put(o, "%s%s", i ? "; " : " ", p->name ? p->name : "(không tên)");
    if (p->category || p->address || p->distance_km >= 0) {
        int first = 1;
        put(o, " (");
        if (p->category) {
            put(o, "%s", vi_category(p->category));
            first = 0;
        }
        if (p->address) {
            put(o, "%s%s", first ? "" : ", ", p->address);
            first = 0;
        }
        if (p->distance_km >= 0)
            put(o, "%scách %s km", first ? "" : ", ", vi_num(km, p->distance_km, 1));
        put(o, ")");
    }
    if (o->full) { /* a place is listed whole or not at all */
        save.full = 1;
        save.p[save.len] = '\0';
        *o = save;
    }
}

size_t assistant_vi_reply_places(char *out, size_t cap, enum assistant_intent intent, const char *subject,
                                 enum assistant_lookup lookup, const char *anchor, const struct assistant_place *places,
                                 size_t n)
{
    struct out o = out_init(out, cap);

    if (lookup == ASSISTANT_LOOKUP_UNAVAILABLE) {
        put(&o, "Dịch vụ tìm địa điểm hiện không hoạt động, nên tôi chưa thể tra \"%s\". Vui lòng thử lại sau ít phút.",
            subject);
        return o.len;
    }
    if (intent == ASSISTANT_PLACES_NEAR) {
        if (lookup == ASSISTANT_LOOKUP_NO_ANCHOR) {
            put(&o, "Tôi không tìm thấy địa điểm nào tên \"%s\" để tìm quanh đó.", subject);
            return o.len;
        }
        if (n == 0) {
            put(&o, "Tôi không tìm thấy địa điểm nào khác trong vòng %d km quanh %s.", ASSISTANT_NEAR_RADIUS_KM,
                anchor);
            return o.len;
        }
        put(&o, "Các địa điểm trong vòng %d km quanh %s:", ASSISTANT_NEAR_RADIUS_KM, anchor);
    } else {
        if (n == 0) {
            put(&o, "Tôi không tìm thấy địa điểm nào khớp với \"%s\".", subject);
            return o.len;
        }
        put(&o, "Các địa điểm khớp với \"%s\":", subject);
    }
    for (size_t i = 0; i < n && i < ASSISTANT_PLACES_MAX && !o.full; i++)
        put_place(&o, i, &places[i]);
    if (!o.full)
        put(&o, ".");
    return o.len;
}

/* ---- reduce, greenest, next rank ---- */

static const char *vi_vehicle(const char *vehicle)
{
    return strcmp(vehicle, "train") == 0 ? "tàu hỏa" : strcmp(vehicle, "bus") == 0 ? "xe buýt" : "metro";
}

size_t assistant_vi_reply_reduce(char *out, size_t cap, const struct assistant_trips *t)
{
    struct out o = out_init(out, cap);
    struct assistant_alternative alt[ASSISTANT_ALTERNATIVES];
    char a[VI_NUM_MAX], b[VI_NUM_MAX], c[VI_NUM_MAX], d[VI_NUM_MAX], kg[VI_NUM_MAX];
    double car = 0;

    assistant_alternatives(t, alt);
    if (t->car_km + t->motorbike_km <= 0) {
        carbon_factor("car", "petrol", &car);
        if (t->trips == 0)
            put(&o, "Bạn chưa ghi chuyến đi nào. ");
        else
            put(&o, "%lld chuyến đi gần nhất của bạn không dùng ô tô hay xe máy: làm tốt lắm! ", t->trips);
        put(&o,
            "Các cách đi ít phát thải nhất: đi bộ hoặc đạp xe (0 kg CO2e mỗi km), metro (%s), tàu hỏa (%s) và xe "
            "buýt (%s kg CO2e mỗi hành khách-km), so với %s kg CO2e mỗi km của ô tô chạy xăng.",
            vi_factor(a, alt[2].factor), vi_factor(b, alt[0].factor), vi_factor(c, alt[1].factor), vi_factor(d, car));
        return o.len;
    }
    put(&o, "Trong %lld chuyến đi gần nhất của bạn, %s km bằng ô tô và %s km bằng xe máy đã thải ra %s kg CO2e. ",
        t->trips, vi_num(a, t->car_km, 1), vi_num(b, t->motorbike_km, 1), vi_num(kg, t->kg, 3));
    put(&o, "Cùng %s km đó", vi_num(c, t->car_km + t->motorbike_km, 1));
    for (size_t i = 0; i < ASSISTANT_ALTERNATIVES; i++)
        put(&o, "%s đi %s sẽ thải ra %s kg CO2e (%s mỗi km)",
            i == 0                           ? ""
            : i + 1 < ASSISTANT_ALTERNATIVES ? ","
                                             : ", hoặc",
            vi_vehicle(alt[i].vehicle), vi_num(kg, alt[i].kg, 3), vi_factor(d, alt[i].factor));
    put(&o, ". Đi bộ hoặc đạp xe không thải ra gì.");
    return o.len;
}

size_t assistant_vi_reply_greenest(char *out, size_t cap, const struct assistant_plan *plan,
                                   const struct assistant_place *green, size_t n)
{
    struct out o = out_init(out, cap);
    char start[VI_DATE_MAX];

    if (!plan->name) {
        put(&o, "Bạn chưa có kế hoạch du lịch nào. Hãy tạo một kế hoạch, thêm các điểm dừng rồi hỏi tôi điểm nào xanh "
                "nhất.");
        return o.len;
    }
    vi_date(start, plan->start_date);
    if (plan->stops == 0) {
        put(&o, "Kế hoạch \"%s\" (từ %s) của bạn chưa có điểm dừng nào.", plan->name, start);
        return o.len;
    }
    if (n == 0) {
        put(&o, "Không điểm nào trong %lld điểm dừng của kế hoạch \"%s\" (từ %s) có chứng nhận xanh.", plan->stops,
            plan->name, start);
        return o.len;
    }
    put(&o, "Trong %lld điểm dừng của kế hoạch \"%s\" (từ %s), %s có chứng nhận xanh:", plan->stops, plan->name, start,
        n == 1 ? "điểm xanh nhất là điểm" : "các điểm xanh nhất là những điểm");
    for (size_t i = 0; i < n && i < ASSISTANT_PLACES_MAX && !o.full; i++)
        put_place(&o, i, &green[i]);
    if (!o.full)
        put(&o, ".");
    return o.len;
}

size_t assistant_vi_reply_next_rank(char *out, size_t cap, long long eco_point, const char *rank)
{
    struct out o = out_init(out, cap);
    char pts[VI_NUM_MAX], more[VI_NUM_MAX], from[VI_NUM_MAX];
    long long at = 0;
    const char *next = carbon_next_rank(eco_point, &at);

    if (!rank)
        rank = carbon_rank(eco_point);
    vi_num(pts, (double)eco_point, 0);
    if (!next) {
        put(&o, "Bạn có %s điểm xanh và đã ở hạng cao nhất, %s.", pts, vi_rank(rank));
        return o.len;
    }
    put(&o, "Bạn có %s điểm xanh (hạng %s). Cần thêm %s điểm để lên hạng %s, bắt đầu từ %s điểm.", pts, vi_rank(rank),
        vi_num(more, (double)(at - eco_point), 0), vi_rank(next), vi_num(from, (double)at, 0));
    return o.len;
}
