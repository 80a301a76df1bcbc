/* test_assistant_vi.c - unit tests for user-service/assistant/assistant_vi.c: telling the language of
 * a message and of an Accept-Language header, and every reply in Vietnamese. */
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
    enum assistant_lang lang;
} lang_cases[] = {
    {"Tuần này tôi đã thải bao nhiêu CO2?", ASSISTANT_LANG_VI},
    {"tuan nay toi da thai bao nhieu CO2?", ASSISTANT_LANG_VI},
    {"Nhiệm vụ và điểm của tôi", ASSISTANT_LANG_VI},
    {"nhiem vu cua toi", ASSISTANT_LANG_VI},
    {"xin chao", ASSISTANT_LANG_VI},
    {"tìm", ASSISTANT_LANG_VI},
    {"Làm sao để giảm khí thải cho chuyến đi này?", ASSISTANT_LANG_VI},
    {"lam sao de giam khi thai cho chuyen di nay", ASSISTANT_LANG_VI},
    {"diem dung nao trong ke hoach cua toi xanh nhat", ASSISTANT_LANG_VI},
    {"con bao nhieu diem nua de len hang", ASSISTANT_LANG_VI},
    {"How do I reduce my footprint for this trip?", ASSISTANT_LANG_EN},
    {"Which of my plan's stops is greenest?", ASSISTANT_LANG_EN},
    {"How many points to the next rank?", ASSISTANT_LANG_EN},
    {"What is my footprint this week?", ASSISTANT_LANG_EN},
    {"hello", ASSISTANT_LANG_EN},
    {"find", ASSISTANT_LANG_EN},
    {"ok", ASSISTANT_LANG_UNKNOWN},
    {"Hồ Hoàn Kiếm", ASSISTANT_LANG_UNKNOWN}, /* a bare name: no words of either language */
    {"Đền Ngọc Sơn", ASSISTANT_LANG_UNKNOWN},
    {"123", ASSISTANT_LANG_UNKNOWN},
    {"", ASSISTANT_LANG_UNKNOWN},
};

static void test_language_of_a_message(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lang_cases / sizeof lang_cases[0]; i++) {
        enum assistant_lang got = assistant_language(lang_cases[i].text);
        if (got != lang_cases[i].lang)
            fail_msg("\"%s\": %d, expected %d", lang_cases[i].text, got, lang_cases[i].lang);
    }
    assert_int_equal(assistant_language(NULL), ASSISTANT_LANG_UNKNOWN);
    assert_string_equal(assistant_lang_name(ASSISTANT_LANG_VI), "vi");
    assert_string_equal(assistant_lang_name(ASSISTANT_LANG_UNKNOWN), "en");
}

static void test_accept_language_first_of_vi_or_en_not_refused(void **state)
{
    (void)state;
    assert_int_equal(assistant_accept_language("vi-VN,vi;q=0.9,en;q=0.8"), ASSISTANT_LANG_VI);
    assert_int_equal(assistant_accept_language("fr, EN-us;q=0.5"), ASSISTANT_LANG_EN);
    assert_int_equal(assistant_accept_language("vi;q=0, en"), ASSISTANT_LANG_EN);
    assert_int_equal(assistant_accept_language("vi;q=0.0"), ASSISTANT_LANG_UNKNOWN);
    assert_int_equal(assistant_accept_language("vi;q=0.5"), ASSISTANT_LANG_VI);
    assert_int_equal(assistant_accept_language("view, env"), ASSISTANT_LANG_UNKNOWN);
    assert_int_equal(assistant_accept_language("*"), ASSISTANT_LANG_UNKNOWN);
    assert_int_equal(assistant_accept_language(""), ASSISTANT_LANG_UNKNOWN);
    assert_int_equal(assistant_accept_language(NULL), ASSISTANT_LANG_UNKNOWN);
}

static void test_vi_greeting_and_help_are_vietnamese_only(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    (void)state;
    assistant_vi_reply_help(out, sizeof out, 1);
    assert_true(strncmp(out, "Xin chào! Tôi là trợ lý sinh thái EcomoveX.", strlen("Xin chào! Tôi là trợ lý")) == 0);
    assert_null(strstr(out, "Hello"));
    assistant_vi_reply_help(out, sizeof out, 0);
    assert_true(strncmp(out, "Tôi là trợ lý", strlen("Tôi là trợ lý")) == 0);
    assistant_reply_help(out, sizeof out, 1);
    assert_true(strncmp(out, "Hello! I am", 11) == 0);
    assert_null(strstr(out, "Xin chào"));
}

static void test_vi_footprint_week_uses_comma_and_dd_mm_yyyy(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_footprint f = {"week", "2026-11-23", "2026-11-29", 1234.5, 17.1, 3};
    (void)state;
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_WEEK, &f);
    assert_string_equal(out, "Tuần này (từ 23/11/2026 đến 29/11/2026) bạn đã ghi 3 chuyến đi, thải ra 1.234,500 kg "
                             "CO2e. Tuần trước là 17,100 kg CO2e.");
    f.trips = 0;
    f.period = "month";
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_MONTH, &f);
    assert_string_equal(out, "Tháng này (từ 23/11/2026 đến 29/11/2026) bạn chưa ghi chuyến đi nào, nên lượng khí thải "
                             "của bạn đến nay là 0,000 kg CO2e.");
}

static void test_vi_footprint_compare_each_case(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_footprint f = {"week", "2026-11-23", "2026-11-29", 5, 10, 1};
    (void)state;
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_string_equal(out,
                        "Tuần này (từ 23/11/2026 đến 29/11/2026) các chuyến đi của bạn thải ra 5,000 kg CO2e; tuần "
                        "trước là 10,000 kg CO2e. Ít hơn 50,00% so với tuần trước. Làm tốt lắm!");
    f.kg = 15;
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_non_null(strstr(out, "Nhiều hơn 50,00% so với tuần trước."));
    f.kg = 10;
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_non_null(strstr(out, "Bằng với tuần trước."));
    f.prev_kg = 0;
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_non_null(strstr(out, "Tuần trước chưa có chuyến đi nào để so sánh."));
    f.kg = 0;
    assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f);
    assert_non_null(strstr(out, "Cả hai kỳ đều chưa có chuyến đi nào được ghi."));
}

static void test_vi_points_translate_the_rank(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    const char *names[] = {"Đi xe buýt", "Đạp xe"};
    (void)state;
    assistant_vi_reply_points(out, sizeof out, 600, "Silver", 3, names, 2);
    assert_string_equal(out, "Bạn có 600 điểm xanh, hạng Bạc. Bạn đã hoàn thành 3 nhiệm vụ: Đi xe buýt, Đạp xe và 1 "
                             "nhiệm vụ khác.");
    assistant_vi_reply_points(out, sizeof out, 0, NULL, 0, NULL, 0);
    assert_string_equal(out, "Bạn có 0 điểm xanh, hạng Đồng. Bạn đã hoàn thành 0 nhiệm vụ. Hãy hoàn thành nhiệm vụ, "
                             "ví dụ ghi một chuyến đi xanh, để nhận thêm điểm.");
}

static void test_vi_places_each_lookup(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_place p[] = {{"Đền Ngọc Sơn", "attraction", "Hoàn Kiếm, Hà Nội", 0.26},
                                  {"Phở Thìn", "restaurant", NULL, -1}};
    (void)state;
    assistant_vi_reply_places(out, sizeof out, ASSISTANT_PLACES_NEAR, "hồ hoàn kiếm", ASSISTANT_LOOKUP_OK,
                              "Hồ Hoàn Kiếm", p, 2);
    assert_string_equal(out, "Các địa điểm trong vòng 5 km quanh Hồ Hoàn Kiếm: Đền Ngọc Sơn (điểm tham quan, Hoàn "
                             "Kiếm, Hà Nội, cách 0,3 km); Phở Thìn (nhà hàng).");
    assistant_vi_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "phở", ASSISTANT_LOOKUP_OK, NULL, p + 1, 1);
    assert_string_equal(out, "Các địa điểm khớp với \"phở\": Phở Thìn (nhà hàng).");
    assistant_vi_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "zz", ASSISTANT_LOOKUP_OK, NULL, NULL, 0);
    assert_string_equal(out, "Tôi không tìm thấy địa điểm nào khớp với \"zz\".");
    assistant_vi_reply_places(out, sizeof out, ASSISTANT_PLACES_NEAR, "zz", ASSISTANT_LOOKUP_NO_ANCHOR, NULL, NULL, 0);
    assert_string_equal(out, "Tôi không tìm thấy địa điểm nào tên \"zz\" để tìm quanh đó.");
    assistant_vi_reply_places(out, sizeof out, ASSISTANT_PLACES_NEAR, "x", ASSISTANT_LOOKUP_OK, "X", NULL, 0);
    assert_string_equal(out, "Tôi không tìm thấy địa điểm nào khác trong vòng 5 km quanh X.");
    assistant_vi_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "x", ASSISTANT_LOOKUP_UNAVAILABLE, NULL,
                              NULL, 0);
    assert_string_equal(out, "Dịch vụ tìm địa điểm hiện không hoạt động, nên tôi chưa thể tra \"x\". Vui lòng thử "
                             "lại sau ít phút.");
}

static void test_vi_replies_stay_within_a_small_buffer(void **state)
{
    char out[24];
    struct assistant_place p[] = {{"Đền Ngọc Sơn", "attraction", "Hoàn Kiếm", 1}};
    struct assistant_footprint f = {"week", "2026-11-23", "2026-11-29", 1, 1, 1};
    (void)state;
    assert_true(assistant_vi_reply_places(out, sizeof out, ASSISTANT_FIND_DESTINATION, "Đền", ASSISTANT_LOOKUP_OK, NULL,
                                          p, 1) < sizeof out);
    assert_true(assistant_vi_reply_footprint(out, sizeof out, ASSISTANT_FOOTPRINT_COMPARE, &f) < sizeof out);
    assert_true(assistant_vi_reply_help(out, sizeof out, 1) < sizeof out);
    assert_int_equal(assistant_vi_reply_help(out, 0, 1), 0);
}

static void test_vi_reduce_uses_comma_and_the_factor_table(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_trips t = {3, 10, 5, 2.225};
    (void)state;
    assistant_vi_reply_reduce(out, sizeof out, &t);
    assert_string_equal(out, "Trong 3 chuyến đi gần nhất của bạn, 10,0 km bằng ô tô và 5,0 km bằng xe máy đã thải ra "
                             "2,225 kg CO2e. Cùng 15,0 km đó đi tàu hỏa sẽ thải ra 0,533 kg CO2e (0,0355 mỗi km), đi "
                             "xe buýt sẽ thải ra 1,230 kg CO2e (0,082 mỗi km), hoặc đi metro sẽ thải ra 0,417 kg CO2e "
                             "(0,0278 mỗi km). Đi bộ hoặc đạp xe không thải ra gì.");
    t = (struct assistant_trips){0, 0, 0, 0};
    assistant_vi_reply_reduce(out, sizeof out, &t);
    assert_string_equal(out, "Bạn chưa ghi chuyến đi nào. Các cách đi ít phát thải nhất: đi bộ hoặc đạp xe (0 kg CO2e "
                             "mỗi km), metro (0,0278), tàu hỏa (0,0355) và xe buýt (0,082 kg CO2e mỗi hành khách-km), "
                             "so với 0,171 kg CO2e mỗi km của ô tô chạy xăng.");
}

static void test_vi_greenest_each_case(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    struct assistant_plan plan = {"Hà Nội", "2026-12-20", 3};
    struct assistant_place green[] = {{"Hồ Hoàn Kiếm", "attraction", "Hoàn Kiếm", -1}};
    (void)state;
    assistant_vi_reply_greenest(out, sizeof out, &plan, green, 1);
    assert_string_equal(out, "Trong 3 điểm dừng của kế hoạch \"Hà Nội\" (từ 20/12/2026), điểm xanh nhất là điểm có "
                             "chứng nhận xanh: Hồ Hoàn Kiếm (điểm tham quan, Hoàn Kiếm).");
    assistant_vi_reply_greenest(out, sizeof out, &plan, NULL, 0);
    assert_string_equal(out, "Không điểm nào trong 3 điểm dừng của kế hoạch \"Hà Nội\" (từ 20/12/2026) có chứng nhận "
                             "xanh.");
    plan.stops = 0;
    assistant_vi_reply_greenest(out, sizeof out, &plan, NULL, 0);
    assert_string_equal(out, "Kế hoạch \"Hà Nội\" (từ 20/12/2026) của bạn chưa có điểm dừng nào.");
    plan.name = NULL;
    assistant_vi_reply_greenest(out, sizeof out, &plan, NULL, 0);
    assert_non_null(strstr(out, "Bạn chưa có kế hoạch du lịch nào."));
}

static void test_vi_next_rank_translates_and_groups_thousands(void **state)
{
    char out[ASSISTANT_REPLY_MAX + 1];
    (void)state;
    assistant_vi_reply_next_rank(out, sizeof out, 120, "Bronze");
    assert_string_equal(out,
                        "Bạn có 120 điểm xanh (hạng Đồng). Cần thêm 381 điểm để lên hạng Bạc, bắt đầu từ 501 điểm.");
    assistant_vi_reply_next_rank(out, sizeof out, 4000, NULL);
    assert_string_equal(out, "Bạn có 4.000 điểm xanh (hạng Vàng). Cần thêm 1.001 điểm để lên hạng Bạch kim, bắt đầu từ "
                             "5.001 điểm.");
    assistant_vi_reply_next_rank(out, sizeof out, 12000, "Diamond");
    assert_string_equal(out, "Bạn có 12.000 điểm xanh và đã ở hạng cao nhất, Kim cương.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_language_of_a_message),
        cmocka_unit_test(test_accept_language_first_of_vi_or_en_not_refused),
        cmocka_unit_test(test_vi_greeting_and_help_are_vietnamese_only),
        cmocka_unit_test(test_vi_footprint_week_uses_comma_and_dd_mm_yyyy),
        cmocka_unit_test(test_vi_footprint_compare_each_case),
        cmocka_unit_test(test_vi_points_translate_the_rank),
        cmocka_unit_test(test_vi_places_each_lookup),
        cmocka_unit_test(test_vi_replies_stay_within_a_small_buffer),
        cmocka_unit_test(test_vi_reduce_uses_comma_and_the_factor_table),
        cmocka_unit_test(test_vi_greenest_each_case),
        cmocka_unit_test(test_vi_next_rank_translates_and_groups_thousands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
