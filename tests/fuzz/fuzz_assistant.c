/* fuzz_assistant: the eco assistant's matcher on what a user types (user-service/assistant/assistant.h).
 *
 * The input is the message text. It is folded, matched with the subject buffer the
 * messages handler uses and with small ones, and the subject a match yields is fed into the
 * reply formatters the way messages_routes does, into buffers of exactly their cap. */
#include "fuzz.h"

#include "assistant.h"
#include "json.h"
#include "utf8.h"

#define SUBJECT_BYTES (ASSISTANT_SUBJECT_MAX * 4 + 1)

static void replies(enum assistant_intent intent, const char *subject)
{
    static const size_t caps[] = {1, 16, ASSISTANT_REPLY_MAX + 1};
    struct assistant_place places[2] = {
        {subject, "park", subject, 1.25},
        {"Văn Miếu", NULL, NULL, -1},
    };

    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char *out = malloc(caps[i]);
        size_t n;
        n = assistant_reply_help(out, caps[i], intent == ASSISTANT_GREETING);
        FUZZ_CHECK(n < caps[i] && strlen(out) == n);
        n = assistant_vi_reply_help(out, caps[i], intent == ASSISTANT_GREETING);
        FUZZ_CHECK(n < caps[i] && strlen(out) == n);
        for (int lookup = ASSISTANT_LOOKUP_OK; lookup <= ASSISTANT_LOOKUP_NO_ANCHOR; lookup++) {
            n = assistant_reply_places(out, caps[i], intent, subject, (enum assistant_lookup)lookup, subject, places,
                                       2);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
            n = assistant_vi_reply_places(out, caps[i], intent, subject, (enum assistant_lookup)lookup, subject, places,
                                          2);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
        }
        /* the three intents tried first: the plan's name and stops come from users */
        {
            struct assistant_plan plan = {subject, "2026-12-20", (long long)strlen(subject)};
            struct assistant_trips t = {(long long)strlen(subject), (double)strlen(subject) / 3, 0.5, 1.25};
            long long points = (long long)strlen(subject) * 997 - 5000;
            n = assistant_reply_greenest(out, caps[i], &plan, places, 2);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
            n = assistant_vi_reply_greenest(out, caps[i], &plan, places, 2);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
            n = assistant_reply_reduce(out, caps[i], &t);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
            n = assistant_vi_reply_reduce(out, caps[i], &t);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
            n = assistant_reply_next_rank(out, caps[i], points, NULL);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
            n = assistant_vi_reply_next_rank(out, caps[i], points, NULL);
            FUZZ_CHECK(n < caps[i] && strlen(out) == n);
        }
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {1, 2, 5, 8, SUBJECT_BYTES};
    char *text = fuzz_strndup(data, size);
    char *folded = malloc(ASSISTANT_SCAN_MAX * 2 + 1);
    unsigned short *off = malloc((ASSISTANT_SCAN_MAX * 2 + 1) * sizeof *off);
    char subject[SUBJECT_BYTES];
    enum assistant_intent intent;
    size_t n;

    if (!folded || !off)
        abort();
    n = assistant_fold(text, folded, ASSISTANT_SCAN_MAX * 2 + 1, off);
    FUZZ_CHECK(n == strlen(folded));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(off[i] < strlen(text) && (i == 0 || off[i - 1] <= off[i]));
    (void)assistant_fold(text, folded, 3, NULL);

    intent = assistant_match(text, subject, sizeof subject);
    FUZZ_CHECK(assistant_intent_name(intent) != NULL);
    {
        enum assistant_lang lang = assistant_language(text);
        FUZZ_CHECK(lang == ASSISTANT_LANG_UNKNOWN || lang == ASSISTANT_LANG_EN || lang == ASSISTANT_LANG_VI);
        lang = assistant_accept_language(text);
        FUZZ_CHECK(lang == ASSISTANT_LANG_UNKNOWN || lang == ASSISTANT_LANG_EN || lang == ASSISTANT_LANG_VI);
    }
    FUZZ_CHECK(strlen(subject) < sizeof subject);
    if (intent == ASSISTANT_FIND_DESTINATION || intent == ASSISTANT_PLACES_NEAR) {
        FUZZ_CHECK(subject[0] != '\0');
        if (utf8_valid(text, strlen(text))) /* a subject cut from valid text stays valid */
            FUZZ_CHECK(utf8_valid(subject, strlen(subject)) && utf8_chars(subject) <= ASSISTANT_SUBJECT_MAX);
        replies(intent, subject);
    } else if (intent == ASSISTANT_FOOTPRINT_COMPARE) {
        FUZZ_CHECK(strcmp(subject, "week") == 0 || strcmp(subject, "month") == 0);
    } else {
        FUZZ_CHECK(subject[0] == '\0');
    }
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char *small = malloc(caps[i]);
        enum assistant_intent again = assistant_match(text, small, caps[i]);
        FUZZ_CHECK(strlen(small) < caps[i]);
        (void)again;
        free(small);
    }
    (void)assistant_match(text, NULL, 0);

    free(text);
    free(folded);
    free(off);
    return 0;
}
