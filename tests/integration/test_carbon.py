"""Carbon footprint (issue 6): the factor table, logging trips with server-side kg, listing
with from/to, owner-only get/delete, the period summary, and the eco_trip mission."""
import datetime
import secrets

from harness import problem_ok
from accounts import PASSWORD, api, new_user


# The contract's table, written out by hand: (vehicle, fuel) -> (kg per km, unit).
FACTORS = {
    ("car", "petrol"): (0.171, "vehicle-km"),
    ("car", "diesel"): (0.158, "vehicle-km"),
    ("car", "electric"): (0.053, "vehicle-km"),
    ("car", "hybrid"): (0.112, "vehicle-km"),
    ("motorbike", "petrol"): (0.103, "passenger-km"),
    ("motorbike", "electric"): (0.024, "passenger-km"),
    ("bus", "petrol"): (0.089, "passenger-km"),
    ("bus", "diesel"): (0.082, "passenger-km"),
    ("bus", "electric"): (0.027, "passenger-km"),
    ("bus", "hybrid"): (0.056, "passenger-km"),
    ("metro", "electric"): (0.0278, "passenger-km"),
    ("train", "diesel"): (0.0355, "passenger-km"),
    ("train", "electric"): (0.0355, "passenger-km"),
    ("walk_or_cycle", "none"): (0.0, "passenger-km"),
}
VEHICLES = ["car", "motorbike", "bus", "metro", "train", "walk_or_cycle"]
FUELS = ["petrol", "diesel", "electric", "hybrid", "none"]


# ---- helpers ----

def log_trip(h, user, **fields):
    body = {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 10}
    body.update(fields)
    return h.post(api(h, "/carbon"), body, token=user["token"])


def logged(h, user, **fields):
    r = log_trip(h, user, **fields)
    assert r.status == 201, r
    return r.json()


def assert_422_on(resp, field):
    p = problem_ok(resp, 422)
    assert field in {e["field"] for e in p.get("errors", [])}, p
    return p


def eco_point(h, user):
    return int(h.psql("users", "SELECT eco_point FROM users WHERE id = %d" % user["id"]))


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- factors ----

def test_factors_are_public_and_complete(h):
    r = h.get(api(h, "/carbon/factors"))
    assert r.status == 200, r
    items = r.json()["items"]
    got = {(i["vehicle_type"], i["fuel_type"]): (i["kg_co2e_per_km"], i["unit"]) for i in items}
    assert got == FACTORS
    for i in items:
        assert i["source"] and isinstance(i["source"], str)
    sources = {(i["vehicle_type"]): i["source"] for i in items}
    assert "UK Government" in sources["metro"] and "2023" in sources["metro"]
    assert "UK Government" in sources["train"] and "2023" in sources["train"]


# ---- create ----

def test_create_computes_kg_for_every_pair(h):
    u = new_user(h)
    for (vehicle, fuel), (factor, _unit) in sorted(FACTORS.items()):
        t = logged(h, u, vehicle_type=vehicle, fuel_type=fuel, distance_km=40)
        assert t["vehicle_type"] == vehicle and t["fuel_type"] == fuel and t["distance_km"] == 40
        assert abs(t["carbon_emission_kg"] - round(factor * 40, 3)) < 1e-9, (vehicle, fuel, t)
        assert t["id"] > 0 and t["passengers"] is None and t["traveled_at"].endswith("Z")


def test_create_answers_201_with_location_and_the_stored_trip(h):
    u = new_user(h)
    r = log_trip(h, u, distance_km=12.5, passengers=2, traveled_at="2025-06-01T08:30:00+07:00")
    assert r.status == 201, r
    t = r.json()
    assert r.header("location") == "/api/v1/carbon/%d" % t["id"]
    assert t["traveled_at"] == "2025-06-01T01:30:00Z"
    assert t["passengers"] == 2
    assert t["carbon_emission_kg"] == 1.069  # 0.171 x 12.5 / 2 = 1.06875
    stored = h.psql("users", "SELECT user_id, carbon_emission_kg FROM carbon_emissions WHERE id = %d" % t["id"])
    assert stored == "%d|1.069" % u["id"]
    assert h.get(api(h, "/carbon/%d" % t["id"]), token=u["token"]).json() == t


def test_car_is_divided_by_passengers_other_vehicles_are_not(h):
    u = new_user(h)
    assert logged(h, u, distance_km=100, passengers=4)["carbon_emission_kg"] == 4.275
    assert logged(h, u, distance_km=100, passengers=1)["carbon_emission_kg"] == 17.1
    bus = logged(h, u, vehicle_type="bus", fuel_type="diesel", distance_km=100, passengers=4)
    assert bus["carbon_emission_kg"] == 8.2 and bus["passengers"] == 4


def test_kg_is_rounded_half_up_to_the_gram(h):
    u = new_user(h)
    # 0.0278 x 2.5 = 0.0695 (69.49999999999999 g in binary) and 0.0355 x 3 = 0.1065
    assert logged(h, u, vehicle_type="metro", fuel_type="electric", distance_km=2.5)["carbon_emission_kg"] == 0.07
    assert logged(h, u, vehicle_type="train", fuel_type="diesel", distance_km=3)["carbon_emission_kg"] == 0.107
    assert logged(h, u, vehicle_type="car", fuel_type="diesel", distance_km=10, passengers=3)[
        "carbon_emission_kg"] == 0.527


def test_create_without_token_is_401(h):
    r = h.post(api(h, "/carbon"), {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 1})
    problem_ok(r, 401)
    problem_ok(h.get(api(h, "/carbon")), 401)
    problem_ok(h.get(api(h, "/carbon/summary?period=week")), 401)
    problem_ok(h.get(api(h, "/carbon/1")), 401)
    problem_ok(h.request("DELETE", api(h, "/carbon/1")), 401)


def test_create_bad_json_is_400_and_wrong_type_is_415(h):
    u = new_user(h)
    problem_ok(h.post(api(h, "/carbon"), "{not json", token=u["token"],
                      headers={"Content-Type": "application/json"}), 400)
    problem_ok(h.post(api(h, "/carbon"), "[1]", token=u["token"], headers={"Content-Type": "application/json"}), 400)
    problem_ok(h.post(api(h, "/carbon"), '{"vehicle_type":"car"}', token=u["token"],
                      headers={"Content-Type": "text/plain"}), 415)


def test_every_bad_field_is_422(h):
    u = new_user(h)
    cases = [
        ({"vehicle_type": "plane"}, "vehicle_type"),
        ({"vehicle_type": None}, "vehicle_type"),
        ({"vehicle_type": 3}, "vehicle_type"),
        ({"fuel_type": "coal"}, "fuel_type"),
        ({"distance_km": 0}, "distance_km"),
        ({"distance_km": -1}, "distance_km"),
        ({"distance_km": 20000.5}, "distance_km"),
        ({"distance_km": "10"}, "distance_km"),
        ({"passengers": 0}, "passengers"),
        ({"passengers": 101}, "passengers"),
        ({"passengers": 1.5}, "passengers"),
        ({"traveled_at": "yesterday"}, "traveled_at"),
        ({"traveled_at": "2025-06-01 08:30:00Z"}, "traveled_at"),
        ({"traveled_at": "1999-12-31T23:59:59Z"}, "traveled_at"),
        ({"traveled_at": iso(datetime.datetime.utcnow() + datetime.timedelta(hours=1))}, "traveled_at"),
        ({"traveled_at": 1700000000}, "traveled_at"),
    ]
    for fields, field in cases:
        assert_422_on(log_trip(h, u, **fields), field)
    for missing in ("vehicle_type", "fuel_type", "distance_km"):
        body = {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 10}
        del body[missing]
        assert_422_on(h.post(api(h, "/carbon"), body, token=u["token"]), missing)
    # the edges that are fine
    assert log_trip(h, u, distance_km=20000).status == 201
    assert log_trip(h, u, passengers=100, traveled_at="2000-01-01T00:00:00Z").status == 201
    assert log_trip(h, u, traveled_at=iso(datetime.datetime.utcnow() + datetime.timedelta(minutes=2))).status == 201
    assert log_trip(h, u, passengers=None, traveled_at=None).status == 201
    assert h.psql("users", "SELECT count(*) FROM carbon_emissions WHERE user_id = %d" % u["id"]) == "4"


def test_every_impossible_pair_is_422_on_fuel_type(h):
    u = new_user(h)
    for v in VEHICLES:
        for f in FUELS:
            if (v, f) in FACTORS:
                continue
            p = assert_422_on(log_trip(h, u, vehicle_type=v, fuel_type=f), "fuel_type")
            assert v in p["errors"][0]["message"], p
    assert h.psql("users", "SELECT count(*) FROM carbon_emissions WHERE user_id = %d" % u["id"]) == "0"


# ---- get, delete, list ----

def test_another_users_trip_is_404_for_get_and_delete(h):
    a, b = new_user(h), new_user(h)
    t = logged(h, a)
    problem_ok(h.get(api(h, "/carbon/%d" % t["id"]), token=b["token"]), 404)
    problem_ok(h.request("DELETE", api(h, "/carbon/%d" % t["id"]), token=b["token"]), 404)
    assert h.get(api(h, "/carbon/%d" % t["id"]), token=a["token"]).status == 200
    r = h.request("DELETE", api(h, "/carbon/%d" % t["id"]), token=a["token"])
    assert r.status == 204 and r.body == b"", r
    problem_ok(h.get(api(h, "/carbon/%d" % t["id"]), token=a["token"]), 404)
    problem_ok(h.request("DELETE", api(h, "/carbon/%d" % t["id"]), token=a["token"]), 404)
    problem_ok(h.get(api(h, "/carbon/abc"), token=a["token"]), 404)
    problem_ok(h.get(api(h, "/carbon/0"), token=a["token"]), 404)


def test_list_is_own_newest_first_filtered_and_paged(h):
    a, b = new_user(h), new_user(h)
    logged(h, b, traveled_at="2025-03-05T10:00:00Z")
    ids = {}
    for day in ("2025-03-01", "2025-03-03", "2025-03-05", "2025-03-07"):
        ids[day] = logged(h, a, traveled_at=day + "T12:00:00Z")["id"]
    same = logged(h, a, traveled_at="2025-03-05T12:00:00Z")["id"]  # same instant: higher id first
    late = logged(h, a, traveled_at="2025-03-05T23:59:59Z")["id"]
    r = h.get(api(h, "/carbon"), token=a["token"])
    assert r.status == 200, r
    page = r.json()
    assert page["total"] == 6 and page["limit"] == 20 and page["offset"] == 0
    order = [t["id"] for t in page["items"]]
    assert order == [ids["2025-03-07"], late, same, ids["2025-03-05"], ids["2025-03-03"], ids["2025-03-01"]]

    # from and to are whole UTC days, both included
    r = h.get(api(h, "/carbon?from=2025-03-03&to=2025-03-05"), token=a["token"]).json()
    assert [t["id"] for t in r["items"]] == [late, same, ids["2025-03-05"], ids["2025-03-03"]] and r["total"] == 4
    r = h.get(api(h, "/carbon?from=2025-03-05"), token=a["token"]).json()
    assert r["total"] == 4
    r = h.get(api(h, "/carbon?to=2025-03-01"), token=a["token"]).json()
    assert [t["id"] for t in r["items"]] == [ids["2025-03-01"]]

    r = h.get(api(h, "/carbon?limit=2&offset=1"), token=a["token"]).json()
    assert [t["id"] for t in r["items"]] == [late, same] and r["total"] == 6 and r["limit"] == 2
    r = h.get(api(h, "/carbon?limit=2&offset=10"), token=a["token"]).json()
    assert r["items"] == [] and r["total"] == 6


def test_list_bad_query_is_422(h):
    u = new_user(h)
    for q, field in (("from=2025-3-01", "from"), ("from=2025-02-30", "from"), ("to=yesterday", "to"),
                     ("from=2025-03-05&to=2025-03-01", "to"), ("limit=0", "limit"), ("limit=101", "limit"),
                     ("offset=-1", "offset"), ("from=2025-03-01T00:00:00Z", "from")):
        assert_422_on(h.get(api(h, "/carbon?" + q), token=u["token"]), field)


# ---- summary ----

def summary(h, user, period, date):
    r = h.get(api(h, "/carbon/summary?period=%s&date=%s" % (period, date)), token=user["token"])
    assert r.status == 200, r
    return r.json()


def test_week_summary_splits_sunday_235959_from_monday_midnight(h):
    u = new_user(h)
    # 2025-11-30 is a Sunday
    logged(h, u, distance_km=10, traveled_at="2025-11-30T23:59:59Z")  # Sunday
    logged(h, u, vehicle_type="bus", fuel_type="diesel", distance_km=10, traveled_at="2025-12-01T00:00:00Z")  # Mon
    logged(h, u, vehicle_type="bus", fuel_type="diesel", distance_km=20, traveled_at="2025-11-24T00:00:00Z")  # Mon
    s = summary(h, u, "week", "2025-11-30")
    assert s["period"] == "week" and s["start"] == "2025-11-24" and s["end"] == "2025-11-30"
    assert s["total_kg"] == 3.35 and s["trips"] == 2  # 1.71 + 1.64
    assert s["by_vehicle"]["car"] == 1.71 and s["by_vehicle"]["bus"] == 1.64 and s["by_vehicle"]["train"] == 0
    assert set(s["by_vehicle"]) == set(VEHICLES)
    assert s["previous_total_kg"] == 0 and s["change_pct"] is None
    assert s["previous_start"] == "2025-11-17" and s["previous_end"] == "2025-11-23"

    s = summary(h, u, "week", "2025-12-01")
    assert s["start"] == "2025-12-01" and s["end"] == "2025-12-07"
    assert s["total_kg"] == 0.82 and s["trips"] == 1 and s["by_vehicle"]["car"] == 0
    assert s["previous_total_kg"] == 3.35
    assert s["change_pct"] == -75.52  # (0.82 - 3.35) / 3.35 = -75.522..%


def test_day_month_year_summaries_and_change_pct(h):
    u = new_user(h)
    logged(h, u, distance_km=10, traveled_at="2024-02-29T23:59:59Z")      # 1.71, leap day
    logged(h, u, distance_km=20, traveled_at="2024-03-01T00:00:00Z")      # 3.42
    logged(h, u, distance_km=10, traveled_at="2024-01-31T12:00:00Z")      # 1.71
    logged(h, u, distance_km=30, traveled_at="2023-12-31T23:59:59Z")      # 5.13
    d = summary(h, u, "day", "2024-03-01")
    assert (d["start"], d["end"], d["total_kg"], d["trips"]) == ("2024-03-01", "2024-03-01", 3.42, 1)
    assert d["previous_total_kg"] == 1.71 and d["change_pct"] == 100.0
    m = summary(h, u, "month", "2024-02-10")
    assert (m["start"], m["end"], m["total_kg"], m["trips"]) == ("2024-02-01", "2024-02-29", 1.71, 1)
    assert m["previous_total_kg"] == 1.71 and m["change_pct"] == 0
    y = summary(h, u, "year", "2024-07-01")
    assert (y["start"], y["end"], y["total_kg"], y["trips"]) == ("2024-01-01", "2024-12-31", 6.84, 3)
    assert y["previous_total_kg"] == 5.13 and y["change_pct"] == 33.33
    empty = summary(h, u, "year", "2030-01-01")
    assert empty["total_kg"] == 0 and empty["trips"] == 0 and empty["change_pct"] is None


def test_summary_sums_stored_rounded_values(h):
    u = new_user(h)
    for _ in range(3):  # each 0.0278 x 2.5 -> 0.070 stored; 3 x 0.070 = 0.21 (not 3 x 0.0695 = 0.2085)
        logged(h, u, vehicle_type="metro", fuel_type="electric", distance_km=2.5, traveled_at="2025-05-05T10:00:00Z")
    s = summary(h, u, "day", "2025-05-05")
    assert s["total_kg"] == 0.21 and s["by_vehicle"]["metro"] == 0.21


def test_summary_defaults_to_today_and_checks_its_query(h):
    u = new_user(h)
    logged(h, u, distance_km=10)
    r = h.get(api(h, "/carbon/summary?period=day"), token=u["token"])
    assert r.status == 200, r
    s = r.json()
    assert s["start"] == datetime.datetime.utcnow().strftime("%Y-%m-%d") or s["trips"] == 0  # midnight race
    for q, field in (("", "period"), ("period=fortnight", "period"), ("period=week&date=2025-02-29", "date"),
                     ("period=week&date=20250101", "date")):
        assert_422_on(h.get(api(h, "/carbon/summary?" + q), token=u["token"]), field)


# ---- the eco_trip mission ----

def test_eco_trip_completes_the_eco_trip_missions_once(h):
    u = new_user(h)
    expected = int(h.psql("users", "SELECT COALESCE(sum(value), 0) FROM missions "
                                   "WHERE action_trigger = 'eco_trip' AND active"))
    assert expected > 0  # the demo data has one
    before = eco_point(h, u)
    logged(h, u)  # car petrol: not an eco trip
    assert eco_point(h, u) == before
    assert h.psql("users", "SELECT count(*) FROM mission_users mu JOIN missions m ON m.id = mu.mission_id "
                           "WHERE mu.user_id = %d AND m.action_trigger = 'eco_trip'" % u["id"]) == "0"
    logged(h, u, vehicle_type="walk_or_cycle", fuel_type="none", distance_km=3)
    assert eco_point(h, u) == before + expected
    logged(h, u, vehicle_type="bus", fuel_type="diesel", distance_km=3)
    logged(h, u, vehicle_type="car", fuel_type="electric", distance_km=3)
    assert eco_point(h, u) == before + expected  # once
    events = h.psql("users", "SELECT count(*), sum(points) FROM eco_point_events e JOIN missions m "
                             "ON m.id = e.mission_id WHERE e.user_id = %d AND m.action_trigger = 'eco_trip'"
                    % u["id"])
    n = int(h.psql("users", "SELECT count(*) FROM missions WHERE action_trigger = 'eco_trip' AND active AND value > 0"))
    assert events == "%d|%d" % (n, expected), events
    mine = h.get(api(h, "/users/me/missions"), token=u["token"]).json()
    assert any(m["action_trigger"] == "eco_trip" for m in mine["missions"])


def test_trip_and_award_roll_back_together(h):
    """A failing award (a CHECK on the points) must undo the trip: one transaction."""
    u = new_user(h)
    name = "Broken eco " + secrets.token_hex(4)
    mid = int(h.psql("users", "INSERT INTO missions (name, action_trigger, value) VALUES ('%s', 'eco_trip', 5) "
                              "RETURNING id" % name).splitlines()[0])
    # A trigger that refuses this mission's completion, to simulate a failure after the insert.
    fn = "h8_refuse_%s" % secrets.token_hex(4)
    h.psql("users", "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.mission_id = %d THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; "
                    "CREATE TRIGGER %s BEFORE INSERT ON mission_users FOR EACH ROW EXECUTE FUNCTION %s()"
           % (fn, mid, fn, fn))
    try:
        before = eco_point(h, u)
        r = log_trip(h, u, vehicle_type="walk_or_cycle", fuel_type="none", distance_km=1)
        assert r.status == 500, r
        assert h.psql("users", "SELECT count(*) FROM carbon_emissions WHERE user_id = %d" % u["id"]) == "0"
        assert h.psql("users", "SELECT count(*) FROM mission_users mu JOIN missions m ON m.id = mu.mission_id "
                               "WHERE mu.user_id = %d AND m.action_trigger = 'eco_trip'" % u["id"]) == "0"
        assert eco_point(h, u) == before
    finally:
        h.psql("users", "DROP TRIGGER %s ON mission_users; DROP FUNCTION %s(); DELETE FROM missions WHERE id = %d"
               % (fn, fn, mid))
    # afterwards the same trip goes through
    assert log_trip(h, u, vehicle_type="walk_or_cycle", fuel_type="none", distance_km=1).status == 201
