"""Fault injection for the internal call (issue 5): destination-service killed, frozen,
its database stopped; the users database restarted; deferred mode and the reconciler;
orphans. Each scenario prints its numbers."""
import os
import signal
import subprocess
import threading
import time

from harness import problem_ok
from test_accounts import api, new_admin, new_user

CACHED_DEST = 7     # validated before each outage, so the cache holds it
LOAD_SECONDS = 3.0
THREADS = 6


class Load:
    """A bounded mixed load on user-only endpoints, in threads, for a fixed time."""

    def __init__(self, h, users):
        self.h, self.users = h, users
        self.results = []  # (kind, status, seconds)
        self.failed = []  # (kind, status, body) of the answers that were not 2xx
        self.lock = threading.Lock()

    def one(self, i):
        h, u = self.h, self.users[i % len(self.users)]
        kinds = [
            ("me", lambda: h.get(api(h, "/users/me"), token=u["token"])),
            ("login", lambda: h.post(api(h, "/auth/login"), {"email": u["email"], "password": u["password"]})),
            ("plans", lambda: h.post(api(h, "/plans"), {"place_name": "load", "start_date": "2026-12-01",
                                                          "end_date": "2026-12-02"}, token=u["token"])),
            ("plan_list", lambda: h.get(api(h, "/plans?limit=5"), token=u["token"])),
            ("reviews_read", lambda: h.get(api(h, "/reviews?destination_id=%d" % CACHED_DEST))),
        ]
        kind, f = kinds[i % len(kinds)]
        t0 = time.time()
        r = f()
        with self.lock:
            self.results.append((kind, r.status, time.time() - t0))
            if r.status >= 300:
                self.failed.append((kind, r.status, r.body.decode("utf-8", "replace")))

    def run(self, seconds):
        stop = time.time() + seconds

        def worker(k):
            i = k
            while time.time() < stop:
                self.one(i)
                i += THREADS

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return self

    def summary(self, label):
        n = len(self.results)
        ok = sum(1 for _, s, _ in self.results if 200 <= s < 300)
        e5 = sum(1 for _, s, _ in self.results if s >= 500)
        lat = sorted(x for _, _, x in self.results)
        p99 = lat[int(len(lat) * 0.99) - 1] if lat else 0
        print("  [%s] user-only requests: sent=%d 2xx=%d 5xx=%d p99=%.1fms" % (label, n, ok, e5, p99 * 1e3))
        for kind, status, body in self.failed[:5]:
            print("    %s answered %d: %s" % (kind, status, body[:200]))
        return n, ok, e5, p99


# The fail-fast bound of issue 5 is for the production build; sanitizer builds run the same
# code several times slower, so tests/run-all.sh stretches the bound for them.
FAST_FAIL_S = 0.05 * float(os.environ.get("FAULT_LATENCY_SCALE", "1"))


def review(h, u, did, rid=None):
    t0 = time.time()
    r = h.post(api(h, "/reviews"), {"destination_id": did, "rating": 4}, token=u["token"],
               headers={"X-Request-ID": rid} if rid else None)
    return r, time.time() - t0


def server_ms(h, rid):
    """The user-service access log's duration for request rid (time inside the daemon)."""
    import json
    for line in reversed(h.user.log_text().splitlines()):
        if rid in line and '"duration_ms"' in line:
            return json.loads(line)["duration_ms"]
    return None


def wait_until(pred, timeout=15, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def warm_cache(h):
    u = new_user(h)
    assert review(h, u, CACHED_DEST)[0].status == 201


def fast_fail_numbers(h, label, first_id, u):
    """Reviews by u on uncached ids: all 503 (with Retry-After); once the breaker is open, none
    waits for a timeout. Returns their statuses. u is made before the load starts."""
    lats, statuses, rids = [], [], []
    for k in range(12):
        rid = "ff-%s-%d-%d" % (label.replace(" ", "-"), first_id, k)
        r, dt = review(h, u, first_id + k, rid)
        statuses.append(r.status)
        lats.append(dt)
        rids.append(rid)
        if r.status == 503:
            assert r.header("Retry-After"), r.headers
    assert all(s == 503 for s in statuses), statuses
    assert h.metric(h.user_url, "dest_breaker_state", {"state": "open"}) == 1, "breaker should be open"
    time.sleep(0.1)  # let the access lines reach the log
    inside = [server_ms(h, rid) for rid in rids[-6:]]  # by now the breaker is open
    print("  [%s] uncached review writes: sent=%d 503=%d after the breaker opened: max %.1fms in the daemon, "
          "max %.1fms seen by the client" % (label, len(statuses), statuses.count(503), max(inside),
                                              max(lats[-6:]) * 1e3))
    assert max(inside) < FAST_FAIL_S * 1e3, inside
    # a cached destination still validates
    r, _ = review(h, new_user(h), CACHED_DEST)
    assert r.status == 201, r
    return statuses


def test_destination_service_killed(h):
    warm_cache(h)
    users = [new_user(h) for _ in range(4)]
    writer = new_user(h)
    baseline = Load(h, users).run(1.0).summary("no fault")
    h.dest.proc.send_signal(signal.SIGKILL)
    h.dest.proc.wait()
    try:
        load = Load(h, users)
        t = threading.Thread(target=load.run, args=(LOAD_SECONDS,))
        t.start()
        fast_fail_numbers(h, "killed", 500000, writer)
        t.join()
        n, ok, e5, _ = load.summary("killed")
        assert e5 == 0 and ok == n, load.results[:5]
        assert h.get(h.user_url + "/readyz").status == 200
    finally:
        h.dest.start()
    # within a few seconds the breaker lets a probe through and closes
    u = new_user(h)
    assert wait_until(lambda: review(h, u, 11)[0].status == 201, timeout=10)
    assert h.metric(h.user_url, "dest_breaker_state", {"state": "closed"}) == 1
    assert baseline[2] == 0


def test_destinations_database_stopped(h):
    warm_cache(h)
    users = [new_user(h) for _ in range(4)]
    writer = new_user(h)
    h.pg("stop", "destinations")
    try:
        problem_ok(h.get(h.dest_url + "/readyz"), 503)
        assert h.get(h.dest_url + "/healthz").status == 200
        load = Load(h, users)
        t = threading.Thread(target=load.run, args=(LOAD_SECONDS,))
        t.start()
        fast_fail_numbers(h, "dest db stopped", 600000, writer)
        t.join()
        n, ok, e5, _ = load.summary("dest db stopped")
        assert e5 == 0 and ok == n
        assert h.get(h.user_url + "/readyz").status == 200
    finally:
        h.pg("start", "destinations")
    u = new_user(h)
    assert wait_until(lambda: review(h, u, 12)[0].status == 201, timeout=10)


def test_destination_service_frozen_times_out_and_user_side_is_unaffected(h):
    warm_cache(h)
    users = [new_user(h) for _ in range(4)]
    _, _, _, p99_before = Load(h, users).run(1.5).summary("before freeze")
    h.dest.proc.send_signal(signal.SIGSTOP)
    try:
        u = new_user(h)
        r, dt = review(h, u, 700000)
        problem_ok(r, 503)
        timeout_s = int(h.env.get("DEST_TIMEOUT_MS", "1000")) / 1000.0
        print("  [frozen] first uncached write answered 503 after %.0fms (DEST_TIMEOUT_MS=%d)" %
              (dt * 1e3, timeout_s * 1e3))
        assert dt < timeout_s + 0.5, dt
        load = Load(h, users)
        t = threading.Thread(target=load.run, args=(LOAD_SECONDS,))
        t.start()
        for k in range(8):  # more timeouts open the breaker
            review(h, u, 700001 + k)
        t.join()
        n, ok, e5, p99 = load.summary("frozen")
        assert e5 == 0 and ok == n
        assert h.metric(h.user_url, "dest_breaker_state", {"state": "open"}) == 1
        # user-only latency is not dragged down by the stuck dependency (2x, plus a little slack for tiny numbers)
        assert p99 <= max(2 * p99_before, p99_before + 0.05), (p99, p99_before)
    finally:
        h.dest.proc.send_signal(signal.SIGCONT)
    u = new_user(h)
    assert wait_until(lambda: review(h, u, 13)[0].status == 201, timeout=10)


def test_users_database_restart_loses_no_acknowledged_write(h):
    u = new_user(h)
    acked = []

    def writer(stop):
        while not stop.is_set():
            r = h.post(api(h, "/plans"), {"place_name": "restart", "start_date": "2026-12-01",
                                          "end_date": "2026-12-02"}, token=u["token"])
            if r.status == 201:
                acked.append(r.json()["id"])
            else:
                assert r.status in (503, 401) or r.status >= 500, r
            time.sleep(0.01)

    stop = threading.Event()
    t = threading.Thread(target=writer, args=(stop,))
    t.start()
    time.sleep(0.5)
    h.pg("stop", "users")
    try:
        time.sleep(0.5)
        r = h.get(api(h, "/users/me"), token=u["token"])
        problem_ok(r, 503)
        problem_ok(h.get(h.user_url + "/readyz"), 503)
    finally:
        h.pg("start", "users")
    recovered = wait_until(lambda: h.get(h.user_url + "/readyz").status == 200, timeout=15)
    time.sleep(0.5)
    stop.set()
    t.join()
    assert recovered
    # every worker reconnects by itself within its backoff (at most 2 s), not just the one
    # that answered /readyz
    assert wait_until(lambda: all(h.get(api(h, "/users/me"), token=u["token"]).status == 200 for _ in range(8)),
                      timeout=10)
    stored = h.psql("users", "SELECT count(*) FROM plans WHERE user_id = %d AND id IN (%s)" %
                    (u["id"], ",".join(map(str, acked))))
    print("  [users db restart] acknowledged writes=%d stored after restart=%s" % (len(acked), stored))
    assert int(stored) == len(acked)


def reconcile(h):
    p = subprocess.run([h.user.binary, "reconcile"], env=h.env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    line = [l for l in p.stdout.splitlines() if l.startswith("ids_checked=")][-1]
    return dict(kv.split("=") for kv in line.split())


def test_deferred_mode_writes_unverified_and_reconcile_settles_them(h):
    h.user.stop()
    h.user.start(extra_env={"DESTINATION_VALIDATION": "deferred"})
    try:
        u = new_user(h)
        h.dest.stop()
        try:
            good, _ = review(h, u, 14)
            bad, _ = review(h, u, 800000)
            assert good.status == 202 and good.json()["destination_verified"] is False, good
            assert bad.status == 202 and bad.json()["destination_verified"] is False, bad
        finally:
            h.dest.start()
        counts = reconcile(h)
        print("  [deferred] reconcile: %s" % counts)
        row = h.psql("users", "SELECT destination_verified, destination_missing FROM reviews WHERE id = %d"
                     % good.json()["id"])
        assert row == "t|f", row
        row = h.psql("users", "SELECT destination_verified, destination_missing FROM reviews WHERE id = %d"
                     % bad.json()["id"])
        assert row == "f|t", row
    finally:
        h.user.stop()
        h.user.start()


def test_orphans_are_marked_not_deleted_and_left_out_of_summaries(h):
    """The reconciler alone, as after a restore from backup: the change feed is off here (it
    would mark the rows first; tests/fault/test_feed_faults.py and test_feed.py cover it)."""
    h.user.stop()
    h.user.start(extra_env={"DEST_FEED_POLL_MS": "0"})
    try:
        orphans(h)
    finally:
        h.user.stop()
        h.user.start()


def orphans(h):
    admin = h.admin_jwt()
    r = h.post(h.dest_url + "/api/v1/destinations", {"name": "Orphan cafe %d" % time.time_ns(),
                                                     "latitude": 10.5, "longitude": 106.5,
                                                     "category": "restaurant"}, token=admin)
    assert r.status == 201, r
    did = r.json()["id"]
    users = [new_user(h) for _ in range(2)]
    ids = [review(h, u, did)[0].json()["id"] for u in users]
    plan = h.post(api(h, "/plans"), {"place_name": "o", "start_date": "2026-12-01", "end_date": "2026-12-02"},
                  token=users[0]["token"]).json()
    stop = h.post(api(h, "/plans/%d/destinations" % plan["id"]), {"destination_id": did, "type": "restaurant",
                                                                  "visit_date": "2026-12-01"},
                  token=users[0]["token"]).json()
    assert h.get(api(h, "/reviews/summary?destination_id=%d" % did)).json()["count"] == 2
    assert h.request("DELETE", h.dest_url + "/api/v1/destinations/%d" % did, token=admin).status == 204
    before = h.psql("users", "SELECT count(*) FROM reviews WHERE destination_missing")
    counts = reconcile(h)
    print("  [orphans] reconcile: %s" % counts)
    after = h.psql("users", "SELECT count(*) FROM reviews WHERE destination_missing")
    assert int(after) - int(before) == 2
    assert h.psql("users", "SELECT count(*) FROM reviews WHERE id IN (%d,%d) AND destination_missing"
                  % tuple(ids)) == "2"
    assert h.psql("users", "SELECT destination_missing FROM plan_destinations WHERE id = %d" % stop["id"]) == "t"
    assert h.get(api(h, "/reviews/summary?destination_id=%d" % did)).json()["count"] == 0
    assert h.get(api(h, "/reviews/%d" % ids[0])).status == 200  # kept and readable
    r = h.get(api(h, "/plans/%d/destinations?expand=destination" % plan["id"]), token=users[0]["token"])
    assert r.json()["items"][0]["destination_status"] == "missing"
