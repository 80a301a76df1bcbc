/* test_assistant.c - unit tests for user-service/assistant/assistant.c: the keyword matcher (English
 * and Vietnamese, with and without diacritics), subject extraction and the reply texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "assistant.h"

static const struct {
    const char *text;
    enum assistant_intent intent;
    const char *subject; /* NULL: not checked */
} cases[] = {
    /* footprint */
    {"What is my footprint this week?", ASSISTANT_FOOTPRINT_WEEK, ""},
    {"CO2 THIS WEEK", ASSISTANT_FOOTPRINT_WEEK, ""},
    {"my carbon emissions", ASSISTANT_FOOTPRINT_WEEK, ""},
    {"Lượng khí thải tuần này của tôi", ASSISTANT_FOOTPRINT_WEEK, ""},
    {"luong khi thai tuan nay", ASSISTANT_FOOTPRINT_WEEK, ""},
    {"my footprint this month", ASSISTANT_FOOTPRINT_MONTH, ""},
    {"Dấu chân carbon THÁNG này", ASSISTANT_FOOTPRINT_MONTH, ""},
    {"dau chan carbon thang nay", ASSISTANT_FOOTPRINT_MONTH, ""},
    {"compare my footprint with last week", ASSISTANT_FOOTPRINT_COMPARE, "week"},
    {"Compare this month with last month", ASSISTANT_FOOTPRINT_COMPARE, "month"},
    {"khí thải so với tuần trước", ASSISTANT_FOOTPRINT_COMPARE, "week"},
    {"so voi thang truoc", ASSISTANT_FOOTPRINT_COMPARE, "month"},
    /* missions and points */
    {"How many points do I have?", ASSISTANT_MISSIONS_POINTS, ""},
    {"my missions", ASSISTANT_MISSIONS_POINTS, ""},
    {"What is my RANK", ASSISTANT_MISSIONS_POINTS, ""},
    {"Nhiệm vụ của tôi", ASSISTANT_MISSIONS_POINTS, ""},
    {"điểm của tôi là bao nhiêu", ASSISTANT_MISSIONS_POINTS, ""},
    {"diem cua toi", ASSISTANT_MISSIONS_POINTS, ""},
    /* find */
    {"find Hồ Hoàn Kiếm", ASSISTANT_FIND_DESTINATION, "Hồ Hoàn Kiếm"},
    {"Where is Hồ Hoàn Kiếm?", ASSISTANT_FIND_DESTINATION, "Hồ Hoàn Kiếm"},
    {"tìm hoan kiem", ASSISTANT_FIND_DESTINATION, "hoan kiem"},
    {"TÌM KIẾM  Văn Miếu  ", ASSISTANT_FIND_DESTINATION, "Văn Miếu"},
    {"tim Nha hat Lon!", ASSISTANT_FIND_DESTINATION, "Nha hat Lon"},
    {"Hồ Hoàn Kiếm ở đâu?", ASSISTANT_FIND_DESTINATION, "Hồ Hoàn Kiếm"},
    /* near */
    {"places near Hồ Hoàn Kiếm", ASSISTANT_PLACES_NEAR, "Hồ Hoàn Kiếm"},
    {"What is NEAR hoan kiem lake?", ASSISTANT_PLACES_NEAR, "hoan kiem lake"},
    {"địa điểm gần Hồ Hoàn Kiếm", ASSISTANT_PLACES_NEAR, "Hồ Hoàn Kiếm"},
    {"dia diem gan ho hoan kiem", ASSISTANT_PLACES_NEAR, "ho hoan kiem"},
    {"find places near: Văn Miếu.", ASSISTANT_PLACES_NEAR, "Văn Miếu"},
    /* reduce, greenest, next rank: tried before the footprint and mission words they contain */
    {"How do I reduce my footprint for this trip?", ASSISTANT_REDUCE_FOOTPRINT, ""},
    {"how can I reduce my carbon emissions this month", ASSISTANT_REDUCE_FOOTPRINT, ""},
    {"reduce my footprint compared with last week", ASSISTANT_REDUCE_FOOTPRINT, ""},
    {"Làm sao để giảm khí thải cho chuyến đi này?", ASSISTANT_REDUCE_FOOTPRINT, ""},
    {"lam sao de giam khi thai cho chuyen di nay", ASSISTANT_REDUCE_FOOTPRINT, ""},
    {"Which of my plan's stops is greenest?", ASSISTANT_GREENEST_STOP, ""},
    {"which stop in my plan is green certified", ASSISTANT_GREENEST_STOP, ""},
    {"Điểm dừng nào trong kế hoạch của tôi xanh nhất?", ASSISTANT_GREENEST_STOP, ""},
    {"diem dung nao trong ke hoach cua toi xanh nhat", ASSISTANT_GREENEST_STOP, ""},
    {"How many points to the next rank?", ASSISTANT_NEXT_RANK, ""},
    {"how many eco points until I rank up", ASSISTANT_NEXT_RANK, ""},
    {"Còn bao nhiêu điểm nữa để lên hạng tiếp theo?", ASSISTANT_NEXT_RANK, ""},
    {"con bao nhieu diem nua de len hang", ASSISTANT_NEXT_RANK, ""},
    /* ... and only with both of their words */
    {"reduce", ASSISTANT_HELP, ""},
    {"giảm giá", ASSISTANT_HELP, ""},
    {"the greenest place near Văn Miếu", ASSISTANT_PLACES_NEAR, "Văn Miếu"},
    {"my plan", ASSISTANT_HELP, ""},
    {"my rank", ASSISTANT_MISSIONS_POINTS, ""},
    /* greeting */
    {"Hi", ASSISTANT_GREETING, ""},
    {"hello there", ASSISTANT_GREETING, ""},
    {"Xin chào", ASSISTANT_GREETING, ""},
    {"xin chao", ASSISTANT_GREETING, ""},
    {"CHÀO BẠN", ASSISTANT_GREETING, ""},
    /* help: nothing matches, or a keyword inside another word, or no subject */
    {"", ASSISTANT_HELP, ""},
    {"   \t\n ", ASSISTANT_HELP, ""},
    {"?!", ASSISTANT_HELP, ""},
    {"this is nice", ASSISTANT_HELP, ""},  /* "hi" inside "this" */
    {"find", ASSISTANT_HELP, ""},          /* no subject */
    {"places near ?", ASSISTANT_HELP, ""}, /* no subject */
    {"what can you do", ASSISTANT_HELP, ""},
    /* decomposed diacritics (combining marks) fold too */
    {"tie\xcc\x82\xcc\x81m Ho", ASSISTANT_HELP, ""}, /* "tiếm" is not "tim" */
    {"ti\xcc\x80m Ho", ASSISTANT_FIND_DESTINATION, "Ho"},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char subject[ASSISTANT_SUBJECT_MAX * 4 + 1] = "junk";
        enum assistant_intent got = assistant_match(cases[i].text, subject, sizeof subject);
        if (got != cases[i].intent || (cases[i].subject && strcmp(subject, cases[i].subject) != 0))
            fail_msg("case %zu \"%s\": got %s \"%s\", want %s \"%s\"", i, cases[i].text, assistant_intent_name(got),
                     subject, assistant_intent_name(cases[i].intent), cases[i].subject ? cases[i].subject : "*");
    }
}

static void test_fold(void **state)
{
    char out[64];
    unsigned short off[64];
    (void)state;
    size_t n = assistant_fold("Tuần THÁNG gần Điểm Nhiệm Vụ", out, sizeof out, off);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "tuan thang gan diem nhiem vu");
    assert_int_equal(off[0], 0);
    assert_int_equal(off[4], 6); /* "Tuần" is 6 bytes */
    assistant_fold("ĂÂÊÔƠƯĐ ỳỵỷỹ ấầẩẫậ", out, sizeof out, NULL);
    assert_string_equal(out, "aaeooud yyyy aaaaa");
    assistant_fold("日本", out, sizeof out, NULL); /* other scripts kept as they are */
    assert_string_equal(out, "日本");
    assistant_fold("abcdef", out, 4, NULL); /* bounded */
    assert_string_equal(out, "abc");
}

static void test_subject_is_bounded(void **state)
{
    static char text[ASSISTANT_SCAN_MAX * 2];
    char subject[ASSISTANT_SUBJECT_MAX * 4 + 1], small[8];
    (void)state;
    /* 300 x "ồ" (3 bytes each) after "find " */
    strcpy(text, "find ");
    for (int i = 0; i < 300; i++)
        strcat(text, "ồ");
    assert_int_equal(assistant_match(text, subject, sizeof subject), ASSISTANT_FIND_DESTINATION);
    assert_int_equal(strlen(subject), ASSISTANT_SUBJECT_MAX * 3); /* 100 characters, whole */
    assert_int_equal(assistant_match(text, small, sizeof small), ASSISTANT_FIND_DESTINATION);
    assert_int_equal(strlen(small), 6); /* two whole characters fit in 7 bytes */
    assert_int_equal(assistant_match(text, NULL, 0), ASSISTANT_HELP);
}

static void test_very_long_input(void **state)
{
    static char text[3 * ASSISTANT_SCAN_MAX];
    char subject[ASSISTANT_SUBJECT_MAX * 4 + 1];
    (void)state;
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    assert_int_equal(assistant_match(text, subject, sizeof subject), ASSISTANT_HELP);
    memcpy(text, "hello ", 6);
    assert_int_equal(assistant_match(text, subject, sizeof subject), ASSISTANT_GREETING);
    /* a keyword beyond the scanned part is not seen */
    memset(text, 'b', sizeof text - 1);
    memcpy(text + sizeof text - 8, " points", 7);
    assert_int_equal(assistant_match(text, subject, sizeof subject), ASSISTANT_HELP);
    assert_int_equal(assistant_match(NULL, subject, sizeof subject), ASSISTANT_HELP);
}

static void test_intent_names(void **state)
{
    (void)state;
    assert_string_equal(assistant_intent_name(ASSISTANT_HELP), "help");
    assert_string_equal(assistant_intent_name(ASSISTANT_FOOTPRINT_COMPARE), "footprint_compare");
    assert_string_equal(assistant_intent_name(ASSISTANT_PLACES_NEAR), "places_near");
    assert_string_equal(assistant_intent_name((enum assistant_intent)99), "help");
}

static void test_reply_help(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    (void)state;
    assistant_reply_help(out, sizeof out, 0);
    assert_string_equal(out, assistant_help_text());
    assert_non_null(strstr(out, "places near"));
    assistant_reply_help(out, sizeof out, 1);
    assert_true(strncmp(out, "Hello!", 6) == 0);
}

static void test_reply_footprint(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_footprint f = {"week", "2026-11-23", "2026-11-29", 1.71, 0, 1};
    (void)state;
    assistant_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_WEEK, &f);
    assert_string_equal(out, "This week (2026-11-23 to 2026-11-29) you logged 1 trip emitting 1.710 kg CO2e.");
    f.trips = 0, f.kg = 0;
    assistant_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_WEEK, &f);
    assert_non_null(strstr(out, "no trips this week"));
    f = (struct assistant_footprint){"month", "2026-11-01", "2026-11-30", 1.5, 3.0, 2};
    assistant_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_non_null(strstr(out, "1.500 kg CO2e; last month they emitted 3.000 kg CO2e"));
    assert_non_null(strstr(out, "50.00% less than last month"));
    f.prev_kg = 0;
    assistant_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_non_null(strstr(out, "nothing logged last month"));
    /* bounded: a tiny buffer gets nothing half-written */
    assert_int_equal(assistant_reply_footprint(out, 10, ASSISTANT_FOOTPRINT_WEEK, &f), 0);
    assert_string_equal(out, "");
}

static void test_reply_points(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    const char *names[] = {"Eco trip", "Welcome"};
    (void)state;
    assistant_reply_points(out, sizeof out, 150, "Bronze", 2, names, 2);
    assert_string_equal(out, "You have 150 eco points and your rank is Bronze. You have completed 2 missions: "
                             "Eco trip, Welcome.");
    assistant_reply_points(out, sizeof out, 0, "Bronze", 0, NULL, 0);
    assert_non_null(strstr(out, "completed 0 missions. Complete missions"));
    assistant_reply_points(out, sizeof out, 1, "Bronze", 7, names, 2);
    assert_non_null(strstr(out, "1 eco point and"));
    assert_non_null(strstr(out, "and 5 more."));
}

static void test_reply_places(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_place p[2] = {{"Hồ Hoàn Kiếm", "attraction", "Hoàn Kiếm, Hà Nội", -1},
                                   {"Đền Ngọc Sơn", "attraction", NULL, 0.25}};
    char big[600];
    struct assistant_place many[ASSISTANT_PLACES_MAX];
    (void)state;
    assistant_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "hoan kiem", ASSISTANT_LOOKUP_OK, NULL, p, 1);
    assert_string_equal(out, "Destinations matching \"hoan kiem\": Hồ Hoàn Kiếm (attraction, Hoàn Kiếm, Hà Nội).");
    assistant_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "zzz", ASSISTANT_LOOKUP_OK, NULL, p, 0);
    assert_string_equal(out, "I could not find any destination matching \"zzz\".");
    assistant_reply_places(out, sizeof out, ASSISTANT_PLACES_NEAR, "x", ASSISTANT_LOOKUP_OK, "Hồ Hoàn Kiếm", p + 1, 1);
    assert_string_equal(out, "Places within 5 km of Hồ Hoàn Kiếm: Đền Ngọc Sơn (attraction, 0.2 km away).");
    assistant_reply_places(out, sizeof out, ASSISTANT_PLACES_NEAR, "x", ASSISTANT_LOOKUP_NO_ANCHOR, NULL, NULL, 0);
    assert_non_null(strstr(out, "could not find a destination called \"x\""));
    assistant_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "x", ASSISTANT_LOOKUP_UNAVAILABLE, NULL, NULL,
                           0);
    assert_non_null(strstr(out, "Destination search is unavailable right now"));
    /* long names: the reply stays within the limit and never cuts a place in half */
    memset(big, 'n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < ASSISTANT_PLACES_MAX; i++)
        many[i] = (struct assistant_place){big, "other", big, -1};
    assert_true(assistant_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "n", ASSISTANT_LOOKUP_OK, NULL,
                                       many, ASSISTANT_PLACES_MAX) <= ASSISTANT_REPLY_MAX);
    assert_true(strlen(out) > 2 * sizeof big);
    assert_true(out[strlen(out) - 1] == ')');
}

static void test_reply_reduce(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_trips t = {3, 10, 5, 2.225};
    (void)state;
    assistant_reply_reduce(out, sizeof out, &t);
    assert_string_equal(out, "Of your 3 latest trips, 10.0 km by car and 5.0 km by motorbike emitted 2.225 kg CO2e. "
                             "The same 15.0 km by train would emit 0.533 kg CO2e (0.0355 per km), by bus would emit "
                             "1.230 kg CO2e (0.082 per km), or by metro would emit 0.417 kg CO2e (0.0278 per km). "
                             "Walking or cycling emits nothing.");
    t = (struct assistant_trips){0, 0, 0, 0};
    assistant_reply_reduce(out, sizeof out, &t);
    assert_string_equal(out, "You have no trips logged yet. The lowest-carbon ways to travel: walking or cycling (0 kg "
                             "CO2e per km), metro (0.0278), train (0.0355) and bus (0.082 kg CO2e per passenger-km), "
                             "against 0.171 kg CO2e per km for a petrol car.");
    t = (struct assistant_trips){1, 0, 0, 0};
    assistant_reply_reduce(out, sizeof out, &t);
    assert_non_null(strstr(out, "Your 1 latest trip used no car or motorbike: well done. The lowest-carbon"));
}

static void test_reply_greenest(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_plan plan = {"Hà Nội", "2026-12-20", 3};
    struct assistant_place green[] = {{"Hồ Hoàn Kiếm", "attraction", "Hoàn Kiếm", -1}, {"Văn Miếu", NULL, NULL, -1}};
    (void)state;
    assistant_reply_greenest(out, sizeof out, &plan, green, 1);
    assert_string_equal(out, "Of the 3 stops of your plan \"Hà Nội\" (from 2026-12-20), the greenest is the "
                             "green-certified one: Hồ Hoàn Kiếm (attraction, Hoàn Kiếm).");
    assistant_reply_greenest(out, sizeof out, &plan, green, 2);
    assert_non_null(strstr(out, "the greenest are these 2 green-certified ones: Hồ Hoàn Kiếm (attraction, Hoàn "
                                "Kiếm); Văn Miếu."));
    assistant_reply_greenest(out, sizeof out, &plan, NULL, 0);
    assert_string_equal(out, "None of the 3 stops of your plan \"Hà Nội\" (from 2026-12-20) is green certified.");
    plan.stops = 0;
    assistant_reply_greenest(out, sizeof out, &plan, NULL, 0);
    assert_string_equal(out, "Your plan \"Hà Nội\" (from 2026-12-20) has no stops yet.");
    plan.name = NULL;
    assistant_reply_greenest(out, sizeof out, &plan, NULL, 0);
    assert_non_null(strstr(out, "You have no travel plan yet."));
}

static void test_reply_next_rank(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    (void)state;
    assistant_reply_next_rank(out, sizeof out, 120, "Bronze");
    assert_string_equal(out, "You have 120 eco points (rank Bronze). 381 more points bring you to Silver, which starts "
                             "at 501 points.");
    assistant_reply_next_rank(out, sizeof out, 2000, NULL);
    assert_string_equal(out, "You have 2000 eco points (rank Silver). 1 more point bring you to Gold, which starts at "
                             "2001 points.");
    assistant_reply_next_rank(out, sizeof out, 10001, "Diamond");
    assert_string_equal(out, "You have 10001 eco points and already hold the top rank, Diamond.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_subject_is_bounded),
        cmocka_unit_test(test_very_long_input),
        cmocka_unit_test(test_intent_names),
        cmocka_unit_test(test_reply_help),
        cmocka_unit_test(test_reply_footprint),
        cmocka_unit_test(test_reply_points),
        cmocka_unit_test(test_reply_places),
        cmocka_unit_test(test_reply_reduce),
        cmocka_unit_test(test_reply_greenest),
        cmocka_unit_test(test_reply_next_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
