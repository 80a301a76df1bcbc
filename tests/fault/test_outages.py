"""Fault injection on the foundation: a database going away, and draining on SIGTERM."""
import signal
import threading
import time

from harness import problem_ok


def test_readyz_follows_the_destinations_database_without_restart(h):
    assert h.get(h.dest_url + "/readyz").status == 200
    h.pg("stop", "destinations")
    try:
        r = h.get(h.dest_url + "/readyz")
        problem_ok(r, 503)
        assert r.header("Retry-After")
        assert h.get(h.dest_url + "/healthz").status == 200  # alive, just not ready
        problem_ok(h.get(h.dest_url + "/api/v1/destinations/1"), 503)
        if "user-service" in [d.name for d in h.daemons()]:
            assert h.get(h.user_url + "/readyz").status == 200  # the other side is not affected
    finally:
        h.pg("start", "destinations")
    deadline = time.time() + 10
    while time.time() < deadline and h.get(h.dest_url + "/readyz").status != 200:
        time.sleep(0.1)
    assert h.get(h.dest_url + "/readyz").status == 200
    assert h.get(h.dest_url + "/api/v1/destinations/1").status == 200
    assert h.dest.alive()


def test_sigterm_drains_and_exits_0(h):
    results = []

    def slow_client():
        # a request in flight while SIGTERM arrives must still be answered
        results.append(h.get(h.dest_url + "/api/v1/destinations/1").status)

    threads = [threading.Thread(target=slow_client) for _ in range(20)]
    for t in threads:
        t.start()
    time.sleep(0.01)
    h.dest.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(10)
    t0 = time.time()
    code = h.dest.proc.wait(10)
    assert code == 0, code
    assert time.time() - t0 < 6
    # every request that got a connection got an answer: no resets mid-request
    assert all(s in (200, 503) for s in results), results
    h.dest.start()
