"""Fault injection on the foundation: a database going away, and draining on SIGTERM."""
import http.client
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


def test_draining_daemon_answers_kept_alive_connections_then_closes_them(h):
    """A gateway's kept-alive connection that sends a request just after SIGTERM gets its
    answer, marked Connection: close, instead of a connection closed under the request (which
    the gateway could not send elsewhere if it were a POST). tests/ha measures it under load."""
    c = http.client.HTTPConnection("127.0.0.1", h.dest.port, timeout=5)
    try:
        c.request("GET", "/api/v1/destinations/1")
        r = c.getresponse()
        r.read()
        assert r.status == 200 and (r.getheader("Connection") or "").lower() != "close"
        h.dest.proc.send_signal(signal.SIGTERM)
        time.sleep(0.1)  # the drain has begun and nothing is in flight
        c.request("GET", "/api/v1/destinations/1")
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
        assert (r.getheader("Connection") or "").lower() == "close", r.getheaders()
    finally:
        c.close()
    assert h.dest.proc.wait(10) == 0
    h.dest.start()
