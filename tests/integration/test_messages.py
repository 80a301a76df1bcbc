"""The eco assistant (issue 6, docs/openapi.yaml tag messages): POST stores the user's message
and a deterministic reply in one transaction, GET pages newest first by before_id, DELETE
clears; intents in English and Vietnamese; destination search through destination-service,
answered plainly (and still 201) while it is down."""
from harness import problem_ok
from test_accounts import new_user, new_admin, api, assert_422_on
from test_reviews_plans import new_plan, add_stop


# Words every Vietnamese reply has one of and no English reply has (place names aside).
VI_MARKERS = ("Bạn ", "Tôi ", "Các địa điểm", "Xin chào", "Tuần này", "Tháng này", "Dịch vụ", "Trong ", "Kế hoạch ",
              "Không điểm")


def say(h, u, text, lang="en", headers=None):
    """Posts text; asserts the reply is in lang ("vi" or "en") and both messages say so."""
    r = h.post(api(h, "/messages"), {"content": text}, token=u["token"], headers=headers)
    assert r.status == 201, r
    reply = r.json()["reply"]["content"]
    in_vi = any(m in reply for m in VI_MARKERS)
    assert in_vi == (lang == "vi"), (text, lang, reply)
    assert r.json()["message"]["language"] == r.json()["reply"]["language"] == lang, r.json()
    return r.json()


def rows(h, uid):
    return h.psql("users", "SELECT sender || '|' || coalesce(intent, '-') FROM messages WHERE user_id = %d "
                           "ORDER BY id" % uid).splitlines()


def test_post_answers_message_and_reply_and_stores_both_rows(h):
    u = new_user(h)
    b = say(h, u, "  hello  ")
    m, r = b["message"], b["reply"]
    assert set(m) == {"id", "sender", "content", "created_at", "language"}
    assert m["sender"] == "user" and m["content"] == "hello" and m["language"] == "en"
    assert set(r) == {"id", "sender", "content", "intent", "created_at", "language"} and r["language"] == "en"
    assert r["sender"] == "assistant" and r["intent"] == "greeting" and r["id"] > m["id"]
    assert r["content"].startswith("Hello!") and "places near" in r["content"]
    assert rows(h, u["id"]) == ["user|-", "assistant|greeting"]


def test_help_is_the_default(h):
    u = new_user(h)
    r = say(h, u, "what can you do?")["reply"]
    assert r["intent"] == "help" and "footprint" in r["content"] and "find" in r["content"]


def test_footprint_this_week_reflects_a_logged_trip(h):
    u = new_user(h)
    r = say(h, u, "What is my footprint this week?")["reply"]
    assert r["intent"] == "footprint_week" and "no trips this week" in r["content"], r
    t = h.post(api(h, "/carbon"), {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 10}, token=u["token"])
    assert t.status == 201, t
    r = say(h, u, "my footprint this week")["reply"]
    assert "1 trip emitting 1.710 kg CO2e" in r["content"], r
    r = say(h, u, "Lượng khí thải tuần này", "vi")["reply"]
    assert r["intent"] == "footprint_week" and "bạn đã ghi 1 chuyến đi, thải ra 1,710 kg CO2e" in r["content"], r


def test_footprint_this_month_and_compare(h):
    u = new_user(h)
    h.post(api(h, "/carbon"), {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 10}, token=u["token"])
    r = say(h, u, "dau chan carbon thang nay", "vi")["reply"]
    assert r["intent"] == "footprint_month" and "Tháng này" in r["content"] and "1,710" in r["content"], r
    r = say(h, u, "compare with last week")["reply"]
    assert r["intent"] == "footprint_compare" and "last week" in r["content"] and "1.710" in r["content"], r
    r = say(h, u, "khí thải so với tháng trước", "vi")["reply"]
    assert r["intent"] == "footprint_compare" and "tháng trước là" in r["content"], r


def test_missions_and_points_mention_the_users_eco_point(h):
    u = new_user(h)
    me = h.get(api(h, "/users/me"), token=u["token"]).json()
    r = say(h, u, "How many points do I have?")["reply"]
    assert r["intent"] == "missions_points", r
    assert "You have %d eco point" % me["eco_point"] in r["content"] and me["rank"] in r["content"], r
    vi_rank = {"Bronze": "Đồng", "Silver": "Bạc", "Gold": "Vàng"}[me["rank"]]
    for text in ("Nhiệm vụ và điểm của tôi", "nhiem vu cua toi"):
        r = say(h, u, text, "vi")["reply"]
        assert r["intent"] == "missions_points", (text, r)
        assert "Bạn có %d điểm xanh, hạng %s" % (me["eco_point"], vi_rank) in r["content"], r


def trip(h, u, vehicle, fuel, km):
    r = h.post(api(h, "/carbon"), {"vehicle_type": vehicle, "fuel_type": fuel, "distance_km": km}, token=u["token"])
    assert r.status == 201, r


def test_reduce_footprint_compares_recent_car_and_motorbike_km_with_the_factor_table(h):
    u = new_user(h)
    r = say(h, u, "How do I reduce my footprint for this trip?")["reply"]
    assert r["intent"] == "reduce_footprint", r
    assert r["content"].startswith("You have no trips logged yet.") and "train (0.0355)" in r["content"], r
    trip(h, u, "car", "petrol", 10)        # 1.710 kg
    trip(h, u, "motorbike", "petrol", 10)  # 1.030 kg
    trip(h, u, "bus", "diesel", 4)         # already low-carbon: not counted
    r = say(h, u, "How do I reduce my footprint for this trip?")["reply"]
    assert r["intent"] == "reduce_footprint", r
    # 20 km: train 0.0355 x 20 = 0.710, bus 0.082 x 20 = 1.640, metro 0.0278 x 20 = 0.556
    assert ("Of your 3 latest trips, 10.0 km by car and 10.0 km by motorbike emitted 2.740 kg CO2e. The same 20.0 km "
            "by train would emit 0.710 kg CO2e (0.0355 per km), by bus would emit 1.640 kg CO2e (0.082 per km), or by "
            "metro would emit 0.556 kg CO2e (0.0278 per km).") in r["content"], r
    for text in ("Làm sao để giảm khí thải cho chuyến đi này?", "lam sao de giam khi thai cho chuyen di nay"):
        r = say(h, u, text, "vi")["reply"]
        assert r["intent"] == "reduce_footprint", (text, r)
        assert ("10,0 km bằng ô tô và 10,0 km bằng xe máy đã thải ra 2,740 kg CO2e. Cùng 20,0 km đó đi tàu hỏa sẽ thải "
                "ra 0,710 kg CO2e (0,0355 mỗi km)") in r["content"], r
        assert "đi metro sẽ thải ra 0,556 kg CO2e" in r["content"], r


def test_greenest_stop_names_the_green_certified_stops_of_the_plan(h):
    u = new_user(h)
    r = say(h, u, "Which of my plan's stops is greenest?")["reply"]
    assert r["intent"] == "greenest_stop" and "You have no travel plan yet." in r["content"], r
    p = new_plan(h, u, place_name="Hà Nội", start_date="2026-12-20", end_date="2026-12-22")
    r = say(h, u, "Điểm dừng nào trong kế hoạch của tôi xanh nhất?", "vi")["reply"]
    assert r["intent"] == "greenest_stop", r
    assert r["content"] == "Kế hoạch \"Hà Nội\" (từ 20/12/2026) của bạn chưa có điểm dừng nào.", r
    assert add_stop(h, u, p, destination_id=2, visit_date="2026-12-20").status == 201  # Đền Ngọc Sơn: not certified
    r = say(h, u, "diem dung nao trong ke hoach cua toi xanh nhat", "vi")["reply"]
    assert "Không điểm nào trong 1 điểm dừng của kế hoạch \"Hà Nội\" (từ 20/12/2026)" in r["content"], r
    assert add_stop(h, u, p, destination_id=1, visit_date="2026-12-21").status == 201  # Hồ Hoàn Kiếm: certified
    r = say(h, u, "Which of my plan's stops is greenest?")["reply"]
    assert r["content"] == ('Of the 2 stops of your plan "Hà Nội" (from 2026-12-20), the greenest is the '
                            "green-certified one: Hồ Hoàn Kiếm (attraction, Hoàn Kiếm, Hà Nội)."), r
    r = say(h, u, "diem dung nao trong ke hoach cua toi xanh nhat", "vi")["reply"]
    assert "điểm xanh nhất là điểm có chứng nhận xanh: Hồ Hoàn Kiếm (điểm tham quan, Hoàn Kiếm, Hà Nội)." \
        in r["content"], r
    h.dest.stop()
    try:
        r = say(h, u, "Which of my plan's stops is greenest?")["reply"]
        assert r["intent"] == "greenest_stop", r
        assert "Destination search is unavailable right now" in r["content"] and "Hà Nội" in r["content"], r
    finally:
        h.dest.start()


def test_next_rank_counts_the_points_still_needed(h):
    u, admin = new_user(h), new_admin(h)
    have = h.get(api(h, "/users/me"), token=u["token"]).json()["eco_point"]
    r = h.post(api(h, "/users/%d/eco-points" % u["id"]), {"points": 4000 - have, "reason": "test"},
               token=admin["token"])
    assert r.status == 200, r
    r = say(h, u, "How many points to the next rank?")["reply"]
    assert r["intent"] == "next_rank", r
    assert r["content"] == ("You have 4000 eco points (rank Gold). 1001 more points bring you to Platinum, which "
                            "starts at 5001 points."), r
    for text in ("Còn bao nhiêu điểm nữa để lên hạng tiếp theo?", "con bao nhieu diem nua de len hang"):
        r = say(h, u, text, "vi")["reply"]
        assert r["intent"] == "next_rank", (text, r)
        assert r["content"] == ("Bạn có 4.000 điểm xanh (hạng Vàng). Cần thêm 1.001 điểm để lên hạng Bạch kim, bắt "
                                "đầu từ 5.001 điểm."), r
    assert h.post(api(h, "/users/%d/eco-points" % u["id"]), {"points": 8000, "reason": "test"},
                  token=admin["token"]).status == 200
    r = say(h, u, "How many points to the next rank?")["reply"]
    assert r["content"] == "You have 12000 eco points and already hold the top rank, Diamond.", r


def test_find_destination_by_name_english_and_vietnamese(h):
    u = new_user(h)
    for text, lang in (("find Hồ Hoàn Kiếm", "en"), ("tìm hoan kiem", "vi"), ("Where is Ho Hoan Kiem?", "en"),
                       ("Hồ Hoàn Kiếm ở đâu?", "vi")):
        r = say(h, u, text, lang)["reply"]
        assert r["intent"] == "find_destination", (text, r)
        assert "Hồ Hoàn Kiếm" in r["content"], (text, r)
    r = say(h, u, "find Zzqxw Nowhere")["reply"]
    assert "could not find any destination" in r["content"], r


def test_places_near_lists_nearby_names(h):
    u = new_user(h)
    r = say(h, u, "places near Hồ Hoàn Kiếm")["reply"]
    assert r["intent"] == "places_near", r
    assert r["content"].startswith("Places within 5 km of Hồ Hoàn Kiếm:") and "Đền Ngọc Sơn" in r["content"], r
    r = say(h, u, "địa điểm gần hồ hoàn kiếm", "vi")["reply"]
    assert r["intent"] == "places_near", r
    assert r["content"].startswith("Các địa điểm trong vòng 5 km quanh Hồ Hoàn Kiếm:"), r
    assert "Đền Ngọc Sơn" in r["content"] and " km)" in r["content"], r
    r = say(h, u, "places near Zzqxw Nowhere")["reply"]
    assert "could not find a destination called" in r["content"], r


def test_destination_service_down_still_201_with_a_plain_sentence(h):
    u = new_user(h)
    h.dest.stop()
    try:
        for text in ("find Hồ Hoàn Kiếm", "places near Hồ Hoàn Kiếm"):
            b = say(h, u, text)
            assert "Destination search is unavailable right now" in b["reply"]["content"], b
        b = say(h, u, "tìm Hồ Hoàn Kiếm", "vi")
        assert "Dịch vụ tìm địa điểm hiện không hoạt động" in b["reply"]["content"], b
        # the user side stays up
        assert say(h, u, "my points")["reply"]["intent"] == "missions_points"
        assert h.get(api(h, "/messages"), token=u["token"]).status == 200
    finally:
        h.dest.start()
    assert len(rows(h, u["id"])) == 8


def test_reply_in_the_language_of_the_message(h):
    u = new_user(h)
    r = say(h, u, "Tuần này tôi đã thải bao nhiêu CO2?", "vi")["reply"]
    assert r["intent"] == "footprint_week" and r["content"].startswith("Tuần này (từ "), r
    assert "/" in r["content"] and " đến " in r["content"] and "0,000 kg CO2e" in r["content"], r
    r = say(h, u, "xin chao", "vi")["reply"]
    assert r["intent"] == "greeting" and r["content"].startswith("Xin chào! Tôi là trợ lý"), r
    assert "Hello" not in r["content"], r
    r = say(h, u, "hello")["reply"]
    assert r["content"].startswith("Hello! I am") and "Xin chào" not in r["content"], r


def test_ambiguous_message_follows_previous_messages_then_accept_language(h):
    u = new_user(h)
    say(h, u, "ok", "en")  # nothing to go on: English
    say(h, u, "ok", "vi", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8"})
    say(h, u, "ok", "en", headers={"Accept-Language": "vi;q=0, en"})
    say(h, u, "cảm ơn, nhiệm vụ của tôi", "vi")
    say(h, u, "ok", "vi")  # the previous message was Vietnamese
    say(h, u, "Hồ Hoàn Kiếm", "vi", headers={"Accept-Language": "en"})  # a bare name: still the conversation's
    say(h, u, "my points please")
    say(h, u, "Đền Ngọc Sơn", "en", headers={"Accept-Language": "vi"})


def test_the_language_is_stored_with_each_message_and_listed(h):
    u = new_user(h)
    say(h, u, "dấu chân carbon tuần này", "vi")
    say(h, u, "ok", "vi")  # follows the conversation, and is stored as such
    say(h, u, "my footprint this week", "en")
    items = h.get(api(h, "/messages"), token=u["token"]).json()["items"]
    assert [m["language"] for m in items] == ["en", "en", "vi", "vi", "vi", "vi"], items
    stored = h.psql("users", "SELECT string_agg(language, ',' ORDER BY id) FROM messages WHERE user_id = %d"
                    % u["id"])
    assert stored == "vi,vi,vi,vi,en,en", stored


def test_list_pages_newest_first_with_before_id(h):
    u = new_user(h)
    for i in range(3):
        say(h, u, "hello %d" % i)
    r = h.get(api(h, "/messages?limit=4"), token=u["token"])
    assert r.status == 200, r
    p1 = r.json()
    ids = [m["id"] for m in p1["items"]]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True) and p1["limit"] == 4
    assert p1["next_before_id"] == ids[-1]
    assert p1["items"][0]["sender"] == "assistant" and p1["items"][1]["content"] == "hello 2"
    assert p1["items"][1]["intent"] is None
    p2 = h.get(api(h, "/messages?limit=4&before_id=%d" % p1["next_before_id"]), token=u["token"]).json()
    ids2 = [m["id"] for m in p2["items"]]
    assert len(ids2) == 2 and max(ids2) < min(ids) and p2["next_before_id"] is None
    assert h.get(api(h, "/messages"), token=u["token"]).json()["limit"] == 20
    for q in ("limit=0", "limit=101", "limit=x", "before_id=0", "before_id=abc"):
        assert_422_on(h.get(api(h, "/messages?" + q), token=u["token"]), q.split("=")[0])


def test_delete_clears_only_own_conversation(h):
    a, b = new_user(h), new_user(h)
    say(h, a, "hi")
    say(h, b, "hi")
    assert h.get(api(h, "/messages"), token=b["token"]).json()["items"][0]["content"] != ""
    r = h.request("DELETE", api(h, "/messages"), token=a["token"])
    assert r.status == 204 and r.body == b"", r
    assert h.get(api(h, "/messages"), token=a["token"]).json() == {"items": [], "limit": 20, "next_before_id": None}
    assert len(h.get(api(h, "/messages"), token=b["token"]).json()["items"]) == 2
    assert rows(h, a["id"]) == []


def test_validation_and_auth(h):
    u = new_user(h)
    url = api(h, "/messages")
    for body in ({}, {"content": ""}, {"content": "   "}, {"content": "x" * 2001}, {"content": 5},
                 {"content": None}, {"content": ["hi"]}):
        assert_422_on(h.post(url, body, token=u["token"]), "content")
    assert h.post(url, {"content": "ế" * 2000}, token=u["token"]).status == 201  # characters, not bytes
    assert h.post(url, "not json", token=u["token"], headers={"Content-Type": "application/json"}).status == 400
    problem_ok(h.post(url, {"content": "hi"}), 401)
    problem_ok(h.get(url), 401)
    problem_ok(h.request("DELETE", url), 401)
    assert len(rows(h, u["id"])) == 2
