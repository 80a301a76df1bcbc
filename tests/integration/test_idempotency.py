"""Idempotency-Key (issue 19) on the POSTs that create: a retry with the same key and body
gets the first answer back without a second write; another body is 422; a key still being
processed is 409; a malformed key is 400; keys are per user."""
import contextlib
import hashlib
import json
import secrets
import subprocess

from harness import problem_ok
from accounts import api, new_user

TRIP = json.dumps({"vehicle_type": "bus", "fuel_type": "diesel", "distance_km": 12.5}).encode()


def post(h, user, path, body, key, ctype="application/json"):
    headers = {"Content-Type": ctype}
    if key is not None:
        headers["Idempotency-Key"] = key
    return h.post(api(h, path), body, headers=headers, token=user["token"])


def count(h, table, user):
    return int(h.psql("users", "SELECT count(*) FROM %s WHERE user_id = %d" % (table, user["id"])))


def test_replay_returns_the_first_answer_and_writes_once(h):
    u = new_user(h)
    key = "trip-" + secrets.token_hex(8)
    first = post(h, u, "/carbon", TRIP, key)
    assert first.status == 201, first
    again = post(h, u, "/carbon", TRIP, key)
    assert again.status == 201, again
    assert again.json()["id"] == first.json()["id"]
    assert again.body == first.body
    assert again.header("Location") == first.header("Location") and first.header("Location")
    assert again.header("Idempotent-Replayed") == "true"
    assert first.header("Idempotent-Replayed") is None
    assert count(h, "carbon_emissions", u) == 1
    # without a key, the same body is a second trip
    assert post(h, u, "/carbon", TRIP, None).status == 201
    assert count(h, "carbon_emissions", u) == 2


def test_replay_of_a_plan(h):
    u = new_user(h)
    body = json.dumps({"place_name": "Weekend", "start_date": "2026-12-01", "end_date": "2026-12-03"}).encode()
    a = post(h, u, "/plans", body, "plan-1")
    b = post(h, u, "/plans", body, "plan-1")
    assert a.status == 201 and b.status == 201, (a, b)
    assert a.json()["id"] == b.json()["id"] and b.header("Idempotent-Replayed") == "true"
    assert count(h, "plans", u) == 1


def test_replay_of_a_media_upload_stores_one_file(h):
    from test_media import multipart, png_bytes
    u = new_user(h)
    body, ct = multipart(png_bytes())
    a = h.post(api(h, "/media?category=travel_photo"), body, headers={"Content-Type": ct, "Idempotency-Key": "m1"},
               token=u["token"])
    b = h.post(api(h, "/media?category=travel_photo"), body, headers={"Content-Type": ct, "Idempotency-Key": "m1"},
               token=u["token"])
    assert a.status == 201 and b.status == 201, (a, b)
    assert a.json()["id"] == b.json()["id"] and b.header("Idempotent-Replayed") == "true"
    assert count(h, "media_files", u) == 1
    # the query is part of the request: the same key and body as an avatar is another request
    c = h.post(api(h, "/media?category=avatar"), body, headers={"Content-Type": ct, "Idempotency-Key": "m1"},
               token=u["token"])
    problem_ok(c, 422)


def test_same_key_with_another_body_is_422(h):
    u = new_user(h)
    key = "k-" + secrets.token_hex(8)
    assert post(h, u, "/carbon", TRIP, key).status == 201
    other = json.dumps({"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 3}).encode()
    p = problem_ok(post(h, u, "/carbon", other, key), 422)
    assert [e["field"] for e in p["errors"]] == ["Idempotency-Key"], p
    assert count(h, "carbon_emissions", u) == 1


def test_malformed_key_is_400_and_writes_nothing(h):
    u = new_user(h)
    for bad in ["", "a" * 256, "has space", "t\u00e9st".encode("utf-8").decode("latin-1")]:
        p = problem_ok(post(h, u, "/carbon", TRIP, bad), 400)
        assert "Idempotency-Key" in p["detail"], (bad, p)
    assert count(h, "carbon_emissions", u) == 0
    # the longest valid key, every visible ASCII character
    assert post(h, u, "/carbon", TRIP, "~" * 255).status == 201
    assert post(h, u, "/carbon", TRIP, "".join(chr(c) for c in range(0x21, 0x7f))).status == 201


def test_another_user_with_the_same_key_is_independent(h):
    a, b = new_user(h), new_user(h)
    ra = post(h, a, "/carbon", TRIP, "shared-key")
    rb = post(h, b, "/carbon", TRIP, "shared-key")
    assert ra.status == 201 and rb.status == 201, (ra, rb)
    assert ra.json()["id"] != rb.json()["id"]
    assert rb.header("Idempotent-Replayed") is None
    assert count(h, "carbon_emissions", a) == 1 and count(h, "carbon_emissions", b) == 1


def test_a_key_still_in_flight_is_409(h):
    u = new_user(h)
    # another replica running this very request: its transaction holds the key's lock
    lock = "SELECT pg_advisory_xact_lock(hashtextextended('%d' || ' ' || 'POST /api/v1/carbon' || ' ' || 'busy', 0))"
    holder = subprocess.Popen(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                               h.user_db_admin_url],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        holder.stdin.write("BEGIN;\n" + lock % u["id"] + ";\n\\echo locked\n")
        holder.stdin.flush()
        for line in holder.stdout:  # the lock's (empty) row, then our mark
            if line.strip() == "locked":
                break
        r = post(h, u, "/carbon", TRIP, "busy")
        problem_ok(r, 409)
        assert r.header("Retry-After")
        assert count(h, "carbon_emissions", u) == 0
    finally:
        holder.communicate("ROLLBACK;\n", timeout=10)
    # a claim left without an answer by an earlier version (one transaction for the claim, another
    # for the write) is 409 too, until it is a minute old
    digest = hashlib.sha256(b"POST\n/api/v1/carbon\n" + TRIP).hexdigest()
    h.psql("users", "INSERT INTO idempotency_keys (user_id, route, key, request_hash) "
                    "VALUES (%d, 'POST /api/v1/carbon', 'busy', '%s')" % (u["id"], digest))
    r = post(h, u, "/carbon", TRIP, "busy")
    problem_ok(r, 409)
    assert r.header("Retry-After")
    assert count(h, "carbon_emissions", u) == 0
    # a claim abandoned for over a minute (its replica died) is taken over
    h.psql("users", "UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' "
                    "WHERE user_id = %d" % u["id"])
    assert post(h, u, "/carbon", TRIP, "busy").status == 201
    assert count(h, "carbon_emissions", u) == 1


def test_an_expired_key_runs_again(h):
    u = new_user(h)
    assert post(h, u, "/carbon", TRIP, "old").status == 201
    h.psql("users", "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                    "WHERE user_id = %d" % u["id"])
    r = post(h, u, "/carbon", TRIP, "old")
    assert r.status == 201 and r.header("Idempotent-Replayed") is None
    assert count(h, "carbon_emissions", u) == 2


def test_a_refused_request_is_replayed_too(h):
    u = new_user(h)
    bad = json.dumps({"vehicle_type": "rocket", "fuel_type": "diesel", "distance_km": 1}).encode()
    a = post(h, u, "/carbon", bad, "bad-1")
    b = post(h, u, "/carbon", bad, "bad-1")
    assert a.status == 422 and b.status == 422 and b.header("Idempotent-Replayed") == "true"
    ja, jb = a.json(), b.json()
    assert ja.pop("instance") != jb.pop("instance")  # each answer names its own request
    assert ja == jb


@contextlib.contextmanager
def refused(h, name, when, error="EXCEPTION", table="idempotency_keys", event="UPDATE"):
    """While in the block, the users database refuses the rows of `table` that match `when`
    with `error` (a BEFORE `event` trigger named test_<name>)."""
    h.psql("users", "CREATE FUNCTION test_%s() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$BEGIN RAISE %s USING MESSAGE = 'refused by the test'; END$$; "
                    "CREATE TRIGGER test_%s BEFORE %s ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION test_%s()"
           % (name, error, name, event, table, when, name))
    try:
        yield
    finally:
        h.psql("users", "DROP TRIGGER test_%s ON %s; DROP FUNCTION test_%s()" % (name, table, name))


def kept_and_replayed(a, b, status):
    """a, the first answer, and b, its retry under the same key: both status, b replayed."""
    problem_ok(a, status)
    problem_ok(b, status)
    assert a.header("Idempotent-Replayed") is None and b.header("Idempotent-Replayed") == "true", (a, b)


def refused_twice_is_kept(h, u, path, body, key, status, *trigger):
    """The same keyed request twice while the database refuses its write (refused(h, *trigger)):
    the first answer is status and kept, the retry replays it."""
    with refused(h, *trigger):
        a = post(h, u, path, body, key)
        b = post(h, u, path, body, key)
    kept_and_replayed(a, b, status)


def test_a_failed_commit_keeps_neither_the_write_nor_the_key(h):
    """The claim, the write and the stored answer are one transaction: when storing the answer
    fails, the trip is not written either, the client hears 503, and a retry runs afresh
    (with the claim in a transaction of its own, the trip would stay and the key would be
    stuck: 409 for a minute, then a second trip)."""
    u = new_user(h)
    key = "fail-" + secrets.token_hex(6)
    with refused(h, "refuse_answer", "NEW.key = '%s' AND NEW.status IS NOT NULL" % key):
        r = post(h, u, "/carbon", TRIP, key)
        problem_ok(r, 503)
        assert r.header("Retry-After")
        assert count(h, "carbon_emissions", u) == 0
        assert count(h, "idempotency_keys", u) == 0
    first = post(h, u, "/carbon", TRIP, key)
    assert first.status == 201 and first.header("Idempotent-Replayed") is None, first
    again = post(h, u, "/carbon", TRIP, key)
    assert again.status == 201 and again.header("Idempotent-Replayed") == "true", again
    assert count(h, "carbon_emissions", u) == 1


def test_a_statement_failing_inside_a_keyed_request_undoes_itself_only(h):
    """A handler's own transaction is a savepoint of the request's: a plan the database refuses
    (check_violation, here raised by a trigger) rolls back to it, the handler answers 422, and
    that answer is kept in the same transaction and replayed (if the handler's rollback undid
    the whole request, the claim would go with it and the retry would run afresh)."""
    u = new_user(h)
    body = json.dumps({"place_name": "Refused", "start_date": "2026-12-01", "end_date": "2026-12-03"}).encode()
    refused_twice_is_kept(h, u, "/plans", body, "plan-refused", 422,
                          "refuse_plan", "NEW.place_name = 'Refused'", "check_violation", "plans", "INSERT")
    assert count(h, "plans", u) == 0


def test_a_lone_statement_failing_inside_a_keyed_request_undoes_itself_only(h):
    """A statement a handler runs without a transaction of its own (a car trip: no eco award,
    one INSERT) gets its own savepoint inside the request's transaction: refused by the
    database (foreign_key_violation, raised by a trigger, as when the account is deleted
    meanwhile), it is answered 404 and that answer is kept and replayed (without the savepoint
    the whole transaction would be aborted and the client would hear 503)."""
    u = new_user(h)
    car = json.dumps({"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 3.25}).encode()
    refused_twice_is_kept(h, u, "/carbon", car, "trip-refused", 404,
                          "refuse_trip", "NEW.distance_km = 3.25", "foreign_key_violation", "carbon_emissions", "INSERT")
    assert count(h, "carbon_emissions", u) == 0


def test_a_409_is_not_kept(h):
    """A conflict may clear (here: the first review is deleted): a 409 under a key is rolled
    back with the key, and the same key then runs afresh."""
    u = new_user(h)
    body = json.dumps({"destination_id": 1, "rating": 4, "content": "again"}).encode()
    assert post(h, u, "/reviews", body, None).status == 201
    problem_ok(post(h, u, "/reviews", body, "rev-1"), 409)
    assert count(h, "idempotency_keys", u) == 0
    h.psql("users", "DELETE FROM reviews WHERE user_id = %d" % u["id"])
    a = post(h, u, "/reviews", body, "rev-1")
    b = post(h, u, "/reviews", body, "rev-1")
    assert a.status == 201 and b.status == 201 and b.header("Idempotent-Replayed") == "true", (a, b)
    assert count(h, "reviews", u) == 1
