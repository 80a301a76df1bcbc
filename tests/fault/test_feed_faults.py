"""Fault injection for the destination change feed (issue 16): destination-service killed
mid-stream while more destinations are deleted; user-service killed in the middle of a run
of deletions. Every deletion must be applied to the users database once: none lost, none
twice. Deletions made while destination-service is down go straight to its database with
psql — the trigger logs them as it logs the API's.

Each user-service process counts what it applied (dest_feed_changes_applied_total); the
cursor row in the users database says where the previous one stopped, so "applied once" is
checked as: the new process applied exactly the changes after the cursor it found."""
import signal
import time

from test_accounts import api, new_user

API = "/api/v1/destinations"


def create(h):
    r = h.post(h.dest_url + API, {"name": "Fault feed %d" % time.time_ns(), "latitude": 11.5, "longitude": 107.5},
               token=h.admin_jwt())
    assert r.status == 201, r
    return r.json()["id"]


def reviewed_destinations(h, n):
    """n new destinations, each with one review by one user: {destination id: review id}."""
    u = new_user(h)
    out = {}
    for _ in range(n):
        did = create(h)
        r = h.post(api(h, "/reviews"), {"destination_id": did, "rating": 3}, token=u["token"])
        assert r.status == 201, r
        out[did] = r.json()["id"]
    return out


def cursor(h):
    v = h.psql("users", "SELECT after_seq FROM dest_feed_cursor")
    return int(v) if v else 0


def head(h):
    return int(h.psql("destinations", "SELECT coalesce(max(seq), 0) FROM destination_change_log"))


def changes_between(h, lo, hi):
    return int(h.psql("destinations", "SELECT count(*) FROM destination_change_log WHERE seq > %d AND seq <= %d"
                      % (lo, hi)))


def marked(h, review_ids):
    return int(h.psql("users", "SELECT count(*) FROM reviews WHERE destination_missing AND id IN (%s)"
                      % ",".join(map(str, review_ids))))


def wait_until(pred, timeout=15, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def psql_delete(h, did):
    h.psql("destinations", "DELETE FROM destinations WHERE id = %d" % did)


def test_destination_service_killed_mid_stream_every_deletion_applied_once(h):
    rows = reviewed_destinations(h, 6)
    dids = list(rows)
    assert wait_until(lambda: cursor(h) == head(h)), "the follower did not catch up"
    c0, applied0 = cursor(h), h.metric(h.user_url, "dest_feed_changes_applied_total")
    marked0 = h.metric(h.user_url, "dest_feed_rows_marked_missing_total")
    for did in dids[:2]:
        assert h.request("DELETE", h.dest_url + API + "/%d" % did, token=h.admin_jwt()).status == 204
    assert wait_until(lambda: marked(h, [rows[d] for d in dids[:2]]) == 2, timeout=3)
    h.dest.stop(signal.SIGKILL)
    failures0 = h.metric(h.user_url, "dest_feed_poll_failures_total")
    try:
        for did in dids[2:]:
            psql_delete(h, did)
        time.sleep(1.5)  # the follower fails and backs off meanwhile
        failures = h.metric(h.user_url, "dest_feed_poll_failures_total") - failures0
        assert failures >= 1, "the follower did not notice destination-service was gone"
        assert marked(h, [rows[d] for d in dids[2:]]) == 0  # nothing can arrive while it is down
    finally:
        h.dest.start()
    t0 = time.monotonic()
    assert wait_until(lambda: marked(h, list(rows.values())) == 6), "deletions made while down were lost"
    resumed = time.monotonic() - t0
    assert wait_until(lambda: cursor(h) == head(h))
    applied = h.metric(h.user_url, "dest_feed_changes_applied_total") - applied0
    expected = changes_between(h, c0, cursor(h))
    rows_marked = h.metric(h.user_url, "dest_feed_rows_marked_missing_total") - marked0
    print("  [feed, destination-service killed] %d deletions (4 while down): applied %d of %d changes, "
          "rows marked %d, %d failed polls, caught up %.0f ms after restart"
          % (len(dids), applied, expected, rows_marked, failures, 1000 * resumed))
    assert applied == expected == len(dids), (applied, expected)
    assert rows_marked == len(dids)
    assert h.metric(h.user_url, "dest_feed_full_reconciles_total") <= 1  # only the one at first start


def test_user_service_killed_mid_batch_loses_nothing_and_applies_nothing_twice(h):
    rows = reviewed_destinations(h, 30)
    dids = list(rows)
    assert wait_until(lambda: cursor(h) == head(h)), "the follower did not catch up"
    for i, did in enumerate(dids):
        if i == 12:
            h.user.stop(signal.SIGKILL)  # in the middle of the run, whatever it was doing
        psql_delete(h, did)
        time.sleep(0.02)
    found = cursor(h)  # where the killed process had got to: applied up to here, never again
    done_before = marked(h, [rows[d] for d in dids])
    h.user.start()
    assert wait_until(lambda: cursor(h) == head(h)), "the restarted follower did not catch up"
    assert wait_until(lambda: marked(h, list(rows.values())) == 30), "a deletion was lost across the restart"
    applied = h.metric(h.user_url, "dest_feed_changes_applied_total")
    expected = changes_between(h, found, cursor(h))
    print("  [feed, user-service killed] 30 deletions, %d marked before the kill; the new process applied %d "
          "(expected %d after cursor %d), full reconciles %d"
          % (done_before, applied, expected, found, h.metric(h.user_url, "dest_feed_full_reconciles_total")))
    assert 0 < done_before < 30, done_before
    assert applied == expected, (applied, expected)
    assert h.metric(h.user_url, "dest_feed_rows_marked_missing_total") == 30 - done_before
    assert h.metric(h.user_url, "dest_feed_full_reconciles_total") == 0  # the cursor was there
