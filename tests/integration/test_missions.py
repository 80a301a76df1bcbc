"""Missions, eco points and ranks (issue 6): admin CRUD, manual completion once (also under
20 parallel requests), trigger missions refused for claiming, a user's missions and points,
the leaderboard, and the rank thresholds."""
import concurrent.futures
import secrets

from harness import problem_ok
from accounts import PASSWORD, api, new_user

MISSION_FIELDS = {"id", "name", "description", "action_trigger", "value", "active", "created_at", "updated_at"}


# ---- helpers ----

def new_admin(h):
    u = new_user(h)
    h.psql("users", "UPDATE users SET role = 'admin' WHERE id = %d" % u["id"])
    return u


def uniq_name(prefix="Mission"):
    return "%s %s" % (prefix, secrets.token_hex(5))


def create_mission(h, admin, **fields):
    body = {"name": uniq_name(), "action_trigger": "manual", "value": 25}
    body.update(fields)
    r = h.post(api(h, "/missions"), body, token=admin["token"])
    assert r.status == 201, r
    return r.json()


def complete(h, user, mission_id):
    return h.post(api(h, "/missions/%d/complete" % mission_id), token=user["token"])


def eco_point(h, user):
    return int(h.psql("users", "SELECT eco_point FROM users WHERE id = %d" % user["id"]))


def assert_422_on(resp, field):
    p = problem_ok(resp, 422)
    assert field in {e["field"] for e in p.get("errors", [])}, p
    return p


# ---- admin CRUD ----

def test_admin_creates_reads_updates_and_deletes_a_mission(h):
    admin = new_admin(h)
    name = uniq_name("Plant a tree")
    r = h.post(api(h, "/missions"), {"name": "  " + name + "  ", "description": "Plant one.",
                                     "action_trigger": "manual", "value": 70}, token=admin["token"])
    assert r.status == 201, r
    m = r.json()
    assert set(m) == MISSION_FIELDS
    assert r.header("location") == "/api/v1/missions/%d" % m["id"]
    assert (m["name"], m["description"], m["action_trigger"], m["value"], m["active"]) == (
        name, "Plant one.", "manual", 70, True)

    got = h.get(api(h, "/missions/%d" % m["id"]), token=admin["token"]).json()
    assert got["completed"] is False and got["completed_at"] is None and got["name"] == name

    r = h.request("PATCH", api(h, "/missions/%d" % m["id"]), {"value": 80, "description": None},
                  token=admin["token"])
    assert r.status == 200, r
    p = r.json()
    assert p["value"] == 80 and p["description"] is None and p["name"] == name and p["active"] is True
    r = h.request("PATCH", api(h, "/missions/%d" % m["id"]), {}, token=admin["token"])
    assert r.status == 200 and r.json()["value"] == 80

    r = h.request("DELETE", api(h, "/missions/%d" % m["id"]), token=admin["token"])
    assert r.status == 204, r
    problem_ok(h.get(api(h, "/missions/%d" % m["id"]), token=admin["token"]), 404)
    problem_ok(h.request("DELETE", api(h, "/missions/%d" % m["id"]), token=admin["token"]), 404)
    problem_ok(h.request("PATCH", api(h, "/missions/%d" % m["id"]), {"value": 1}, token=admin["token"]), 404)


def test_defaults_value_0_and_active_true(h):
    admin = new_admin(h)
    r = h.post(api(h, "/missions"), {"name": uniq_name(), "action_trigger": "first_plan"}, token=admin["token"])
    assert r.status == 201, r
    m = r.json()
    assert m["value"] == 0 and m["active"] is True and m["description"] is None
    h.request("DELETE", api(h, "/missions/%d" % m["id"]), token=admin["token"])


def test_duplicate_name_is_409_case_insensitively(h):
    admin = new_admin(h)
    m = create_mission(h, admin)
    problem_ok(h.post(api(h, "/missions"), {"name": m["name"].upper(), "action_trigger": "manual"},
                      token=admin["token"]), 409)
    other = create_mission(h, admin)
    problem_ok(h.request("PATCH", api(h, "/missions/%d" % other["id"]), {"name": m["name"].lower()},
                         token=admin["token"]), 409)
    problem_ok(h.post(api(h, "/missions"), {"name": "Welcome ABOARD", "action_trigger": "manual"},
                      token=admin["token"]), 409)  # the demo mission


def test_non_admin_gets_403_on_writes_and_anonymous_401(h):
    admin, user = new_admin(h), new_user(h)
    m = create_mission(h, admin)
    problem_ok(h.post(api(h, "/missions"), {"name": uniq_name(), "action_trigger": "manual"}, token=user["token"]),
               403)
    problem_ok(h.request("PATCH", api(h, "/missions/%d" % m["id"]), {"value": 1}, token=user["token"]), 403)
    problem_ok(h.request("DELETE", api(h, "/missions/%d" % m["id"]), token=user["token"]), 403)
    problem_ok(h.get(api(h, "/missions")), 401)
    problem_ok(h.post(api(h, "/missions/%d/complete" % m["id"])), 401)
    problem_ok(h.get(api(h, "/users/me/missions")), 401)
    problem_ok(h.get(api(h, "/leaderboard")), 401)
    # a token forged with role=admin does not help: the role comes from the database
    forged = h.jwt(user["id"], role="admin", ver=0)
    problem_ok(h.post(api(h, "/missions"), {"name": uniq_name(), "action_trigger": "manual"}, token=forged), 403)


def test_bad_mission_fields_are_422(h):
    admin = new_admin(h)
    cases = [
        ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 201}, "name"), ({"name": 5}, "name"),
        ({"description": "d" * 1001}, "description"), ({"action_trigger": "login"}, "action_trigger"),
        ({"value": -1}, "value"), ({"value": 100001}, "value"), ({"value": 1.5}, "value"),
        ({"active": "yes"}, "active"),
    ]
    for fields, field in cases:
        body = {"name": uniq_name(), "action_trigger": "manual"}
        body.update(fields)
        assert_422_on(h.post(api(h, "/missions"), body, token=admin["token"]), field)
    assert_422_on(h.post(api(h, "/missions"), {"action_trigger": "manual"}, token=admin["token"]), "name")
    assert_422_on(h.post(api(h, "/missions"), {"name": uniq_name()}, token=admin["token"]), "action_trigger")
    m = create_mission(h, admin)
    assert_422_on(h.request("PATCH", api(h, "/missions/%d" % m["id"]), {"name": None}, token=admin["token"]), "name")
    problem_ok(h.post(api(h, "/missions"), "{oops", token=admin["token"],
                      headers={"Content-Type": "application/json"}), 400)
    assert h.post(api(h, "/missions"), {"name": "y" * 200, "action_trigger": "manual", "value": 100000},
                  token=admin["token"]).status == 201


def test_users_see_active_missions_admins_see_all(h):
    admin, user = new_admin(h), new_user(h)
    hidden = create_mission(h, admin, active=False)
    problem_ok(h.get(api(h, "/missions/%d" % hidden["id"]), token=user["token"]), 404)
    assert h.get(api(h, "/missions/%d" % hidden["id"]), token=admin["token"]).json()["active"] is False

    def all_ids(token):
        ids, offset = [], 0
        while True:
            page = h.get(api(h, "/missions?limit=100&offset=%d" % offset), token=token).json()
            ids += [m["id"] for m in page["items"]]
            offset += 100
            if offset >= page["total"]:
                return ids, page["total"]

    user_ids, user_total = all_ids(user["token"])
    admin_ids, admin_total = all_ids(admin["token"])
    assert hidden["id"] not in user_ids and hidden["id"] in admin_ids
    assert user_total == len(user_ids) and admin_total == len(admin_ids) and admin_total > user_total
    assert user_ids == sorted(user_ids)
    page = h.get(api(h, "/missions?limit=1"), token=user["token"]).json()
    assert len(page["items"]) == 1 and page["limit"] == 1 and page["total"] == user_total
    assert_422_on(h.get(api(h, "/missions?limit=101"), token=user["token"]), "limit")


# ---- completion ----

def test_manual_completion_awards_once_then_409(h):
    admin, user = new_admin(h), new_user(h)
    m = create_mission(h, admin, value=120)
    before = eco_point(h, user)
    r = complete(h, user, m["id"])
    assert r.status == 201, r
    body = r.json()
    assert body["points_awarded"] == 120 and body["eco_point"] == before + 120 and body["mission"]["id"] == m["id"]
    assert body["completed_at"].endswith("Z") and body["rank"] == h.psql(
        "users", "SELECT rank FROM users WHERE id = %d" % user["id"])
    problem_ok(complete(h, user, m["id"]), 409)
    assert eco_point(h, user) == before + 120
    got = h.get(api(h, "/missions/%d" % m["id"]), token=user["token"]).json()
    assert got["completed"] is True and got["completed_at"] == body["completed_at"]
    ev = h.psql("users", "SELECT points, mission_id FROM eco_point_events WHERE user_id = %d AND mission_id = %d"
                % (user["id"], m["id"]))
    assert ev == "120|%d" % m["id"]
    # another user may still complete it
    assert complete(h, new_user(h), m["id"]).status == 201


def test_trigger_missions_cannot_be_claimed(h):
    admin, user = new_admin(h), new_user(h)
    for trig in ("register", "eco_trip", "first_review", "first_plan"):
        m = create_mission(h, admin, action_trigger=trig, value=10)
        p = problem_ok(complete(h, user, m["id"]), 409)
        assert "action" in p["detail"], p
        h.request("DELETE", api(h, "/missions/%d" % m["id"]), token=admin["token"])
    assert h.psql("users", "SELECT count(*) FROM mission_users mu JOIN missions m ON m.id = mu.mission_id "
                           "WHERE mu.user_id = %d AND m.action_trigger <> 'register'" % user["id"]) == "0"


def test_inactive_or_missing_mission_is_404(h):
    admin, user = new_admin(h), new_user(h)
    m = create_mission(h, admin, active=False)
    problem_ok(complete(h, user, m["id"]), 404)
    problem_ok(complete(h, user, 9223372036854775807), 404)
    h.request("PATCH", api(h, "/missions/%d" % m["id"]), {"active": True}, token=admin["token"])
    assert complete(h, user, m["id"]).status == 201


def test_twenty_parallel_completions_award_once(h):
    admin, user = new_admin(h), new_user(h)
    m = create_mission(h, admin, value=333)
    before = eco_point(h, user)
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: complete(h, user, m["id"]).status, range(20)))
    assert sorted(statuses) == [201] + [409] * 19, statuses
    assert h.psql("users", "SELECT count(*) FROM mission_users WHERE user_id = %d AND mission_id = %d"
                  % (user["id"], m["id"])) == "1"
    assert eco_point(h, user) == before + 333
    assert h.psql("users", "SELECT count(*) FROM eco_point_events WHERE user_id = %d AND mission_id = %d"
                  % (user["id"], m["id"])) == "1"


def test_rank_follows_points_from_missions(h):
    admin, user = new_admin(h), new_user(h)
    h.psql("users", "UPDATE users SET eco_point = 450 WHERE id = %d" % user["id"])
    m = create_mission(h, admin, value=51)
    body = complete(h, user, m["id"]).json()
    assert body["eco_point"] == 501 and body["rank"] == "Silver"


def test_sql_rank_agrees_with_the_thresholds(h):
    got = h.psql("users", "SELECT string_agg(eco_rank(p), ',' ORDER BY p) FROM unnest(ARRAY"
                          "[0,500,501,2000,2001,5000,5001,10000,10001]::bigint[]) AS p")
    assert got == "Bronze,Bronze,Silver,Silver,Gold,Gold,Platinum,Platinum,Diamond"


# ---- a user's missions and the leaderboard ----

def test_my_missions_lists_completions_and_total_points(h):
    admin, user = new_admin(h), new_user(h)
    base = h.get(api(h, "/users/me/missions"), token=user["token"]).json()
    a = create_mission(h, admin, value=30)
    b = create_mission(h, admin, value=45)
    create_mission(h, admin, value=1000)  # not completed
    assert complete(h, user, a["id"]).status == 201
    assert complete(h, user, b["id"]).status == 201
    r = h.get(api(h, "/users/me/missions"), token=user["token"])
    assert r.status == 200, r
    mine = r.json()
    assert mine["total_points"] == base["total_points"] + 75
    assert len(mine["missions"]) == len(base["missions"]) + 2
    by_id = {m["id"]: m for m in mine["missions"]}
    assert by_id[a["id"]]["points_awarded"] == 30 and by_id[b["id"]]["points_awarded"] == 45
    assert by_id[a["id"]]["completed_at"].endswith("Z") and by_id[a["id"]]["name"] == a["name"]
    # points awarded stay what they were when the mission's value changes later
    h.request("PATCH", api(h, "/missions/%d" % a["id"]), {"value": 999}, token=admin["token"])
    again = h.get(api(h, "/users/me/missions"), token=user["token"]).json()
    assert again["total_points"] == mine["total_points"]


def test_leaderboard_orders_by_points_then_id_without_emails(h):
    users = [new_user(h) for _ in range(4)]
    top = 2000000000
    points = [top, top + 5, top, top - 1]
    try:
        for u, p in zip(users, points):
            h.psql("users", "UPDATE users SET eco_point = %d WHERE id = %d" % (p, u["id"]))
        r = h.get(api(h, "/leaderboard?limit=4"), token=users[0]["token"])
        assert r.status == 200, r
        items = r.json()["items"]
        assert [i["id"] for i in items] == [users[1]["id"], users[0]["id"], users[2]["id"], users[3]["id"]]
        assert [i["rank_position"] for i in items] == [1, 2, 3, 4]
        assert items[0]["eco_point"] == top + 5 and items[0]["rank"] == "Diamond"
        assert items[0]["username"] == users[1]["username"]
        for i in items:
            assert set(i) == {"rank_position", "id", "username", "eco_point", "rank"}
        assert len(h.get(api(h, "/leaderboard"), token=users[0]["token"]).json()["items"]) <= 10
        for bad in ("0", "101", "x"):
            assert_422_on(h.get(api(h, "/leaderboard?limit=" + bad), token=users[0]["token"]), "limit")
    finally:
        for u in users:
            h.psql("users", "UPDATE users SET eco_point = 0 WHERE id = %d" % u["id"])
