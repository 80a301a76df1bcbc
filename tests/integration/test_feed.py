"""The destination change feed (issue 16): destination-service's GET
/internal/v1/destinations/changes, and user-service's follower of it.

The feed tests read the log as it is and only look at changes after the cursor they start
from, so other tests' writes do not disturb them. A test that prunes the log puts
pruned_through back to 0 at the end (the bad-input sweep reads from after=0).
"""
import time
import urllib.parse

from harness import problem_ok

API = "/api/v1/destinations"
CHANGES = "/internal/v1/destinations/changes"


def internal(h):
    return {"X-Internal-Token": h.internal_token}


def changes(h, after, limit=None, status=200):
    q = {"after": after}
    if limit is not None:
        q["limit"] = limit
    r = h.get(h.dest_url + CHANGES + "?" + urllib.parse.urlencode(q), headers=internal(h))
    assert r.status == status, r
    return r.json()


def head(h):
    return changes(h, 0, limit=1)["last_seq"]


def create(h, name=None):
    body = {"name": name or "Feed place %d" % time.time_ns(), "latitude": 10.25, "longitude": 106.75}
    r = h.post(h.dest_url + API, body, token=h.jwt(1, role="admin"))
    assert r.status == 201, r
    return r.json()["id"]


def delete(h, did):
    r = h.request("DELETE", h.dest_url + API + "/%d" % did, token=h.jwt(1, role="admin"))
    assert r.status == 204, r


def test_feed_lists_create_update_delete_in_order(h):
    start = head(h)
    did = create(h)
    r = h.request("PATCH", h.dest_url + API + "/%d" % did, {"green_certified": True}, token=h.jwt(1, role="admin"))
    assert r.status == 200, r
    delete(h, did)
    got = changes(h, start)
    mine = [(c["op"], c["destination_id"]) for c in got["changes"] if c["destination_id"] == did]
    assert mine == [("create", did), ("update", did), ("delete", did)], got
    seqs = [c["seq"] for c in got["changes"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > start
    assert got["next_after"] == seqs[-1] and got["last_seq"] >= seqs[-1]
    # paging: limit 1 walks the same list one change at a time
    cursor, walked = start, []
    while True:
        page = changes(h, cursor, limit=1)
        if not page["changes"]:
            assert page["next_after"] == cursor
            break
        assert len(page["changes"]) == 1
        walked.append(page["changes"][0]["seq"])
        cursor = page["next_after"]
    assert walked[:len(seqs)] == seqs


def test_feed_refuses_bad_cursor_and_token(h):
    for q in ("", "after=-1", "after=abc", "after=1.5", "after=9007199254740992", "after=0&limit=0",
              "after=0&limit=1001", "after=0&limit=x"):
        r = h.get(h.dest_url + CHANGES + ("?" + q if q else ""), headers=internal(h))
        problem_ok(r, 422)
    r = h.get(h.dest_url + CHANGES + "?after=0")
    problem_ok(r, 401)
    r = h.get(h.dest_url + CHANGES + "?after=0", headers={"X-Internal-Token": "x" * 32})
    problem_ok(r, 401)


def test_feed_answers_410_past_retention_and_for_a_future_cursor(h):
    start = head(h)
    try:
        h.psql("destinations", "UPDATE destination_change_log_state SET pruned_through = %d" % (start + 5))
        p = problem_ok(h.get(h.dest_url + CHANGES + "?after=%d" % start, headers=internal(h)), 410)
        assert p["oldest_seq"] == start + 5 and p["last_seq"] >= start + 5, p
        assert changes(h, start + 5)["changes"] == []
    finally:
        h.psql("destinations", "UPDATE destination_change_log_state SET pruned_through = 0")
    p = problem_ok(h.get(h.dest_url + CHANGES + "?after=%d" % (head(h) + 1000), headers=internal(h)), 410)
    assert p["oldest_seq"] == 0, p
