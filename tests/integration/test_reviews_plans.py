"""Reviews and plans (issue 5): destination ids checked through destination-service,
owner-only plans, itinerary order, expand with one batch call, footprint."""
import concurrent.futures
import math

from harness import problem_ok
from test_accounts import api, assert_422_on, new_admin, new_user

HANOI_LAKE, TEMPLE, OPERA = 1, 2, 3  # demo destinations (seed ids)
NO_SUCH_DEST = 900000001


def dest(h, did):
    return h.get(h.dest_url + "/api/v1/destinations/%d" % did).json()


def internal_calls(h):
    return h.metric(h.dest_url, "http_requests_total", {"route": "/internal/v1/destinations"})


def new_plan(h, u, **kw):
    body = {"place_name": "Hà Nội weekend", "start_date": "2026-12-01", "end_date": "2026-12-05"}
    body.update(kw)
    r = h.post(api(h, "/plans"), body, token=u["token"])
    assert r.status == 201, r
    return r.json()


def add_stop(h, u, plan, **kw):
    body = {"destination_id": HANOI_LAKE, "type": "attraction", "visit_date": "2026-12-02"}
    body.update(kw)
    return h.post(api(h, "/plans/%d/destinations" % plan["id"]), body, token=u["token"])


# ---- reviews ----

def test_review_on_existing_destination_is_201(h):
    u = new_user(h)
    r = h.post(api(h, "/reviews"), {"destination_id": TEMPLE, "rating": 5, "content": "Quiet and green"},
               token=u["token"])
    assert r.status == 201, r
    rv = r.json()
    assert rv["destination_id"] == TEMPLE and rv["rating"] == 5 and rv["user_id"] == u["id"]
    assert rv["destination_verified"] is True and rv["destination_missing"] is False
    assert r.header("Location") == "/api/v1/reviews/%d" % rv["id"]


def test_review_on_missing_destination_is_422(h):
    u = new_user(h)
    r = h.post(api(h, "/reviews"), {"destination_id": NO_SUCH_DEST, "rating": 4}, token=u["token"])
    assert_422_on(r, "destination_id")
    assert h.psql("users", "SELECT count(*) FROM reviews WHERE user_id = %d" % u["id"]) == "0"


def test_second_review_of_a_destination_is_409(h):
    u = new_user(h)
    assert h.post(api(h, "/reviews"), {"destination_id": OPERA, "rating": 3}, token=u["token"]).status == 201
    problem_ok(h.post(api(h, "/reviews"), {"destination_id": OPERA, "rating": 4}, token=u["token"]), 409)


def test_review_validation_names_each_field(h):
    u = new_user(h)
    r = h.post(api(h, "/reviews"), {"destination_id": "x", "rating": 6, "content": "a" * 5001}, token=u["token"])
    assert_422_on(r, "destination_id", "rating", "content")
    assert_422_on(h.post(api(h, "/reviews"), {"rating": 0}, token=u["token"]), "destination_id", "rating")
    problem_ok(h.post(api(h, "/reviews"), b"{bad", headers={"Content-Type": "application/json"},
                      token=u["token"]), 400)
    problem_ok(h.post(api(h, "/reviews"), b"{}", headers={"Content-Type": "text/plain"}, token=u["token"]), 415)
    problem_ok(h.post(api(h, "/reviews"), {"destination_id": 1, "rating": 1}), 401)


def test_reviews_list_summary_and_histogram(h):
    did = 40
    users = [new_user(h) for _ in range(3)]
    for u, rating in zip(users, (5, 4, 4)):
        assert h.post(api(h, "/reviews"), {"destination_id": did, "rating": rating}, token=u["token"]).status == 201
    r = h.get(api(h, "/reviews?destination_id=%d&limit=2" % did))
    assert r.status == 200, r
    page = r.json()
    assert page["total"] >= 3 and page["limit"] == 2 and len(page["items"]) == 2
    assert page["items"][0]["id"] > page["items"][1]["id"]  # newest first
    s = h.get(api(h, "/reviews/summary?destination_id=%d" % did)).json()
    assert s["count"] >= 3 and s["histogram"]["4"] >= 2 and set(s["histogram"]) == {"1", "2", "3", "4", "5"}
    mine = h.get(api(h, "/reviews?user_id=%d" % users[0]["id"])).json()
    assert [i["user_id"] for i in mine["items"]] == [users[0]["id"]]
    assert_422_on(h.get(api(h, "/reviews/summary")), "destination_id")
    assert_422_on(h.get(api(h, "/reviews?limit=1000")), "limit")


def test_review_expand_embeds_the_destination(h):
    u = new_user(h)
    rv = h.post(api(h, "/reviews"), {"destination_id": 5, "rating": 4}, token=u["token"]).json()
    r = h.get(api(h, "/reviews/%d?expand=destination" % rv["id"]))
    assert r.status == 200, r
    body = r.json()
    assert body["destination_status"] == "ok" and body["destination"]["id"] == 5
    assert body["destination"]["name"] == dest(h, 5)["name"]
    assert "destination" not in h.get(api(h, "/reviews/%d" % rv["id"])).json()
    problem_ok(h.get(api(h, "/reviews/%d?expand=user" % rv["id"])), 400)


def test_only_author_or_admin_changes_a_review(h):
    a, b, admin = new_user(h), new_user(h), new_admin(h)
    rv = h.post(api(h, "/reviews"), {"destination_id": 6, "rating": 2}, token=a["token"]).json()
    url = api(h, "/reviews/%d" % rv["id"])
    problem_ok(h.request("PATCH", url, {"rating": 5}, token=b["token"]), 403)
    problem_ok(h.request("DELETE", url, token=b["token"]), 403)
    r = h.request("PATCH", url, {"rating": 3, "content": "better"}, token=a["token"])
    assert r.status == 200 and r.json()["rating"] == 3 and r.json()["content"] == "better", r
    assert_422_on(h.request("PATCH", url, {"rating": 9}, token=a["token"]), "rating")
    assert h.request("DELETE", url, token=admin["token"]).status == 204
    problem_ok(h.get(url), 404)
    problem_ok(h.request("DELETE", url, token=a["token"]), 404)


# ---- plans ----

def test_plan_crud_is_owner_only(h):
    a, b = new_user(h), new_user(h)
    p = new_plan(h, a, budget_limit=100)
    assert p["total_estimated_cost"] == 0 and p["over_budget"] is False and p["budget_limit"] == 100
    url = api(h, "/plans/%d" % p["id"])
    problem_ok(h.get(url, token=b["token"]), 404)
    problem_ok(h.request("PATCH", url, {"place_name": "mine now"}, token=b["token"]), 404)
    problem_ok(h.request("DELETE", url, token=b["token"]), 404)
    assert h.get(url, token=a["token"]).json()["place_name"] == "Hà Nội weekend"
    lst = h.get(api(h, "/plans"), token=a["token"]).json()
    assert lst["total"] == 1 and lst["items"][0]["id"] == p["id"]
    assert h.get(api(h, "/plans"), token=b["token"]).json()["total"] == 0
    r = h.request("PATCH", url, {"place_name": "Hà Nội long weekend", "budget_limit": None}, token=a["token"])
    assert r.status == 200 and r.json()["budget_limit"] is None, r
    assert h.request("DELETE", url, token=a["token"]).status == 204
    problem_ok(h.get(url, token=a["token"]), 404)


def test_plan_validation(h):
    u = new_user(h)
    assert_422_on(h.post(api(h, "/plans"), {"place_name": " ", "start_date": "2026-02-30",
                                            "end_date": "x", "budget_limit": -1}, token=u["token"]),
                  "place_name", "start_date", "end_date", "budget_limit")
    assert_422_on(h.post(api(h, "/plans"), {"place_name": "x", "start_date": "2026-12-05",
                                            "end_date": "2026-12-01"}, token=u["token"]), "end_date")
    p = new_plan(h, u)
    assert_422_on(h.request("PATCH", api(h, "/plans/%d" % p["id"]), {"end_date": "2026-11-01"},
                            token=u["token"]), "end_date")


def test_stops_follow_itinerary_order_and_totals(h):
    u = new_user(h)
    p = new_plan(h, u, budget_limit=50)
    specs = [("2026-12-03", "morning", 0, 10), ("2026-12-02", "evening", 0, 20), ("2026-12-02", None, 1, 5),
             ("2026-12-02", "morning", 2, 15), ("2026-12-02", "morning", 1, 3)]
    ids = []
    for i, (day, slot, pos, cost) in enumerate(specs):
        body = {"destination_id": 10 + i, "type": "attraction", "visit_date": day, "position": pos,
                "estimated_cost": cost}
        if slot:
            body["time_slot"] = slot
        r = add_stop(h, u, p, **body)
        assert r.status == 201, r
        ids.append(r.json()["id"])
    items = h.get(api(h, "/plans/%d/destinations" % p["id"]), token=u["token"]).json()["items"]
    order = [i["id"] for i in items]
    assert order == [ids[4], ids[3], ids[1], ids[2], ids[0]], (order, ids)
    plan = h.get(api(h, "/plans/%d" % p["id"]), token=u["token"]).json()
    assert plan["total_estimated_cost"] == 53 and plan["over_budget"] is True and plan["stop_count"] == 5


def test_stop_rules(h):
    a, b = new_user(h), new_user(h)
    p = new_plan(h, a)
    assert_422_on(add_stop(h, a, p, visit_date="2026-12-09"), "visit_date")
    assert_422_on(add_stop(h, a, p, destination_id=NO_SUCH_DEST), "destination_id")
    assert_422_on(add_stop(h, a, p, type="hotel", time_slot="night", estimated_cost=-1, note="n" * 1001),
                  "type", "time_slot", "estimated_cost", "note")
    problem_ok(add_stop(h, b, p), 404)
    s = add_stop(h, a, p).json()
    url = api(h, "/plans/%d/destinations/%d" % (p["id"], s["id"]))
    r = h.request("PATCH", url, {"time_slot": "afternoon", "note": "sunset", "estimated_cost": 12.5},
                  token=a["token"])
    assert r.status == 200 and r.json()["time_slot"] == "afternoon" and r.json()["estimated_cost"] == 12.5, r
    assert_422_on(h.request("PATCH", url, {"visit_date": "2027-01-01"}, token=a["token"]), "visit_date")
    problem_ok(h.request("PATCH", url, {"note": "x"}, token=b["token"]), 404)
    problem_ok(h.request("DELETE", url, token=b["token"]), 404)
    # a plan's dates cannot shrink away from its stops
    problem_ok(h.request("PATCH", api(h, "/plans/%d" % p["id"]), {"start_date": "2026-12-03"},
                         token=a["token"]), 422)
    assert h.request("DELETE", url, token=a["token"]).status == 204
    problem_ok(h.request("DELETE", url, token=a["token"]), 404)


def test_expand_costs_one_internal_call_for_twenty_stops(h):
    u = new_user(h)
    p = new_plan(h, u, end_date="2026-12-20")
    for i in range(20):
        assert add_stop(h, u, p, destination_id=20 + i, visit_date="2026-12-%02d" % (1 + i % 20)).status == 201
    before = internal_calls(h)
    r = h.get(api(h, "/plans/%d/destinations?expand=destination" % p["id"]), token=u["token"])
    after = internal_calls(h)
    assert r.status == 200, r
    items = r.json()["items"]
    assert len(items) == 20 and all(i["destination_status"] == "ok" for i in items)
    assert all(i["destination"]["id"] == i["destination_id"] for i in items)
    assert after - before == 1, (before, after)


def haversine(a, b):
    p1, p2 = math.radians(a["latitude"]), math.radians(b["latitude"])
    dp, dl = p2 - p1, math.radians(b["longitude"] - a["longitude"])
    x = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(x))


def test_footprint_sums_legs_by_the_factor_table(h):
    u = new_user(h)
    p = new_plan(h, u)
    for day, did in (("2026-12-01", HANOI_LAKE), ("2026-12-02", TEMPLE), ("2026-12-03", OPERA)):
        assert add_stop(h, u, p, destination_id=did, visit_date=day).status == 201
    r = h.get(api(h, "/plans/%d/footprint?mode=bus" % p["id"]), token=u["token"])
    assert r.status == 200, r
    f = r.json()
    assert f["mode"] == "bus" and f["fuel_type"] == "diesel" and len(f["legs"]) == 2
    factors = h.get(api(h, "/carbon/factors")).json()
    items = factors["items"] if isinstance(factors, dict) else factors
    bus = [x for x in items if x["vehicle_type"] == "bus" and x["fuel_type"] == "diesel"][0]["kg_co2e_per_km"]
    d = [dest(h, i) for i in (HANOI_LAKE, TEMPLE, OPERA)]
    want_km = haversine(d[0], d[1]) * 1.4
    assert abs(f["legs"][0]["distance_km"] - want_km) < 0.01, (f["legs"][0], want_km)
    assert abs(f["legs"][0]["kg_co2e"] - want_km * bus) < 0.002
    assert abs(f["total_kg_co2e"] - sum(l["kg_co2e"] for l in f["legs"])) < 0.002
    assert_422_on(h.get(api(h, "/plans/%d/footprint?mode=boat" % p["id"]), token=u["token"]), "mode")
    assert_422_on(h.get(api(h, "/plans/%d/footprint?mode=walk_or_cycle&fuel=diesel" % p["id"]),
                        token=u["token"]), "fuel")


def test_concurrent_reviews_of_one_destination_by_one_user_make_one_row(h):
    u = new_user(h)

    def one(_):
        return h.post(api(h, "/reviews"), {"destination_id": 77, "rating": 4}, token=u["token"]).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as ex:
        statuses = list(ex.map(one, range(10)))
    assert statuses.count(201) == 1 and statuses.count(409) == 9, statuses


def mission_points(h, trigger):
    return int(h.psql("users", "SELECT COALESCE(sum(value), 0) FROM missions WHERE active AND action_trigger = '%s'"
                      % trigger))


def test_register_first_review_and_first_plan_missions_fire_once(h):
    u = new_user(h)
    reg = mission_points(h, "register")
    assert reg > 0  # the demo missions include one
    me = h.get(api(h, "/users/me"), token=u["token"]).json()
    assert me["eco_point"] == reg and u["eco_point"] == reg, (me, u)
    for did in (90, 91):
        assert h.post(api(h, "/reviews"), {"destination_id": did, "rating": 5}, token=u["token"]).status == 201
    for _ in range(2):
        new_plan(h, u)
    want = reg + mission_points(h, "first_review") + mission_points(h, "first_plan")
    assert h.get(api(h, "/users/me"), token=u["token"]).json()["eco_point"] == want
    done = h.psql("users", "SELECT string_agg(m.action_trigger, ',' ORDER BY m.action_trigger) FROM mission_users mu "
                  "JOIN missions m ON m.id = mu.mission_id WHERE mu.user_id = %d" % u["id"])
    assert done.split(",").count("first_review") >= 1 and done.split(",").count("first_plan") >= 1, done
    events = h.psql("users", "SELECT count(*) FROM eco_point_events WHERE user_id = %d" % u["id"])
    assert int(events) == len(done.split(",")), (events, done)


def test_a_failed_review_write_awards_nothing(h):
    u = new_user(h)
    before = h.get(api(h, "/users/me"), token=u["token"]).json()["eco_point"]
    assert_422_on(h.post(api(h, "/reviews"), {"destination_id": NO_SUCH_DEST, "rating": 5}, token=u["token"]),
                  "destination_id")
    assert h.get(api(h, "/users/me"), token=u["token"]).json()["eco_point"] == before


def test_internal_calls_reuse_keep_alive_connections(h):
    """A steady stream of validations rides the workers' open connections: no new TCP
    connection per call (each closed one would leave a TIME-WAIT socket behind)."""
    import subprocess

    def sockets_to_dest():
        out = subprocess.run(["ss", "-tan", "dport = :%d" % h.dest.port], capture_output=True, text=True).stdout
        return [l for l in out.splitlines()[1:] if l.strip()]

    u = new_user(h)
    # warm every worker's connection
    for did in range(100, 116):
        h.post(api(h, "/reviews"), {"destination_id": did, "rating": 3}, token=u["token"])
    def count(state):
        return sum(1 for l in sockets_to_dest() if l.startswith(state))

    closed_before = count("TIME-WAIT")
    for did in range(120, 160):  # 40 uncached ids: 40 internal calls
        assert h.post(api(h, "/reviews"), {"destination_id": did, "rating": 3}, token=u["token"]).status == 201
    workers = int(h.env["WORKERS"])
    # one per worker, and one more for the change-feed follower (user-service/destinations/dest_feed.c)
    assert 1 <= count("ESTAB") <= workers + 1, sockets_to_dest()
    assert count("TIME-WAIT") <= closed_before, sockets_to_dest()  # no connection was opened and closed


def test_a_page_past_the_end_still_reports_the_total(h):
    users = [new_user(h) for _ in range(2)]
    for u in users:
        assert h.post(api(h, "/reviews"), {"destination_id": 95, "rating": 4}, token=u["token"]).status == 201
    want = int(h.psql("users", "SELECT count(*) FROM reviews WHERE destination_id = 95"))
    for query in ("destination_id=95", "destination_id=95&user_id=%d" % users[0]["id"],
                  "user_id=%d" % users[0]["id"], ""):
        page = h.get(api(h, "/reviews?%s&offset=5000" % query)).json()
        assert page["items"] == [] and page["offset"] == 5000, page
        if query == "destination_id=95":
            assert page["total"] == want, (query, page)
        elif query == "":
            assert page["total"] == int(h.psql("users", "SELECT count(*) FROM reviews")), page
        else:
            assert page["total"] >= 1, (query, page)
    plans = h.get(api(h, "/plans?offset=5000"), token=users[0]["token"]).json()
    assert plans["items"] == [] and plans["total"] == 0, plans
