"""Foundation: probes, metrics, the shape of errors, HTTP limits."""
import concurrent.futures
import http.client
import http.server
import os
import re
import secrets
import socket
import subprocess
import threading
import time

from accounts import api, new_user
from harness import Daemon, free_port, problem_ok


def test_healthz_answers_ok_on_both(h):
    for url in (h.user_url, h.dest_url):
        r = h.get(url + "/healthz")
        assert r.status == 200 and r.json() == {"status": "ok"}, r


def test_readyz_answers_ready_on_both(h):
    for url in (h.user_url, h.dest_url):
        r = h.get(url + "/readyz")
        assert r.status == 200 and r.json()["status"] == "ready", r


def test_unknown_path_is_404_problem(h):
    for url in (h.user_url, h.dest_url):
        problem_ok(h.get(url + "/no/such/path"), 404)


def test_non_numeric_id_is_404_problem(h):
    for bad in ("abc", "0", "-1", "1.5", "99999999999999999999", "%00", "01"):
        problem_ok(h.get(h.dest_url + "/api/v1/destinations/" + bad), 404)


def test_wrong_method_is_405_with_allow(h):
    r = h.request("PUT", h.dest_url + "/api/v1/destinations/1")
    problem_ok(r, 405)
    assert "GET" in r.header("Allow"), r.headers


def test_wrong_method_on_a_builtin_is_405_with_allow(h):
    for url in (h.user_url, h.dest_url):
        for path in ("/healthz", "/readyz", "/metrics"):
            for method in ("DELETE", "POST", "PUT", "PATCH", "OPTIONS"):
                r = h.request(method, url + path + ("?x=1" if method == "PATCH" else ""))
                p = problem_ok(r, 405)
                assert r.header("Allow") == "GET, HEAD", (method, path, r.headers)
                assert method in p["detail"], p
            r = h.request("HEAD", url + path)
            assert r.status == 200 and r.body == b"", (path, r)


def test_request_id_is_echoed_or_generated(h):
    r = h.get(h.dest_url + "/healthz", headers={"X-Request-ID": "trace-abc.123"})
    assert r.header("X-Request-ID") == "trace-abc.123"
    r = h.get(h.dest_url + "/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.header("X-Request-ID") and r.header("X-Request-ID") != "bad id with spaces"
    r = h.get(h.dest_url + "/healthz")
    assert len(r.header("X-Request-ID")) >= 16
    # without X-Request-ID, a valid W3C traceparent's trace id is the request id, on /healthz as
    # on any route; a client's own X-Request-ID stays (as on user-service's internal calls)
    tid = "0af7651916cd43dd8448eb211c80319c"
    for path in ("/healthz", "/api/v1/destinations/1"):
        r = h.get(h.dest_url + path, headers={"traceparent": "00-%s-b7ad6b7169203331-01" % tid})
        assert r.header("X-Request-ID") == tid, (path, r.headers)
        r = h.get(h.dest_url + path, headers={"traceparent": "00-%s-b7ad6b7169203331-01" % tid.upper()})
        assert r.header("X-Request-ID") not in (tid, tid.upper()), (path, r.headers)
        r = h.get(h.dest_url + path, headers={"X-Request-ID": "trace-abc.123",
                                              "traceparent": "00-%s-b7ad6b7169203331-01" % tid})
        assert r.header("X-Request-ID") == "trace-abc.123", (path, r.headers)


def test_access_log_is_one_json_line_per_request(h):
    import json
    rid = "log-check-%d" % time.time_ns()
    h.get(h.dest_url + "/api/v1/destinations/1", headers={"X-Request-ID": rid})
    time.sleep(0.2)
    lines = [json.loads(l) for l in h.dest.log_text().splitlines() if rid in l]
    assert len(lines) == 1, lines
    rec = lines[0]
    for key in ("time", "level", "service", "request_id", "method", "route", "status", "duration_ms"):
        assert key in rec, rec
    assert rec["route"] == "/api/v1/destinations/{id}" and rec["status"] == 200


def test_metrics_count_requests_by_route_and_status(h):
    before = h.metric(h.dest_url, "http_requests_total", {"route": "/api/v1/destinations/{id}", "status": "404"})
    h.get(h.dest_url + "/api/v1/destinations/999999999")
    after = h.metric(h.dest_url, "http_requests_total", {"route": "/api/v1/destinations/{id}", "status": "404"})
    assert after == before + 1, (before, after)
    text = h.get(h.dest_url + "/metrics").body.decode()
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert 'db_errors_total{service="destination-service"}' in text


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(h, url):
    """The samples of url's /metrics as (name, labels, value), and its TYPE lines by name."""
    samples, types = [], {}
    for line in h.get(url + "/metrics").body.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        samples.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return samples, types


def values(samples, name, **labels):
    return [(lb, v) for n, lb, v in samples if n == name and all(lb.get(k) == x for k, x in labels.items())]


def one(samples, name, **labels):
    found = values(samples, name, **labels)
    assert len(found) == 1, (name, labels, found)
    return found[0][1]


def histogram(samples, name, **labels):
    """Checks one histogram's shape (cumulative buckets ending in +Inf = _count) and returns
    its _count and _sum."""
    buckets = [(lb["le"], v) for lb, v in values(samples, name + "_bucket", **labels)]
    assert buckets and buckets[-1][0] == "+Inf", buckets
    bounds = [float(le) for le, _ in buckets[:-1]]
    assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds), buckets
    counts = [v for _, v in buckets]
    assert all(a <= b for a, b in zip(counts, counts[1:])), "buckets must be cumulative: %r" % buckets
    count, total = one(samples, name + "_count", **labels), one(samples, name + "_sum", **labels)
    assert count == counts[-1] and total >= 0, (count, buckets)
    return count, total


def test_metrics_have_process_series_and_build_info_on_both(h):
    for url, service, daemon in ((h.user_url, "user-service", h.user), (h.dest_url, "destination-service", h.dest)):
        samples, types = scrape(h, url)
        assert types.get("process_cpu_seconds_total") == "counter", types
        for name in ("process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
                     "build_info"):
            assert types.get(name) == "gauge", (name, types)
        assert 0 < one(samples, "process_cpu_seconds_total") <= daemon.cpu_seconds() + 1
        assert 1 << 20 < one(samples, "process_resident_memory_bytes") < 4 << 30
        # the listener, a database connection per worker, epoll: more than the standard three
        assert 3 < one(samples, "process_open_fds") < 10000
        start = one(samples, "process_start_time_seconds")
        assert time.time() - 3600 < start <= time.time(), start
        info = values(samples, "build_info")
        assert len(info) == 1 and info[0][1] == 1, info
        labels = info[0][0]
        assert labels["service"] == service and labels["version"] and labels["commit"], labels


def test_metrics_db_statement_histogram_counts_statements(h):
    u = new_user(h)
    before, _ = histogram(scrape(h, h.user_url)[0], "db_statement_duration_seconds", service="user-service")
    for _ in range(20):  # each reads the account in the database
        assert h.get(api(h, "/users/me"), token=u["token"]).status == 200
    samples, types = scrape(h, h.user_url)
    assert types.get("db_statement_duration_seconds") == "histogram", types
    after, total = histogram(samples, "db_statement_duration_seconds", service="user-service")
    assert after >= before + 20 and total > 0, (before, after, total)
    # destination-service times its statements too
    h.get(h.dest_url + "/api/v1/destinations/1")
    count, _ = histogram(scrape(h, h.dest_url)[0], "db_statement_duration_seconds", service="destination-service")
    assert count > 0


def calls_timed(samples):
    """Internal-call histogram observations and dest_client_calls_total that went out (all outcomes but breaker_open)."""
    timed = sum(histogram(samples, "dest_client_call_duration_seconds", outcome=lb["outcome"])[0]
                for lb, _ in values(samples, "dest_client_call_duration_seconds_count"))
    sent = sum(v for lb, v in values(samples, "dest_client_calls_total") if lb["outcome"] != "breaker_open")
    return timed, sent


def test_metrics_internal_call_histogram_times_each_call_and_breaker_shows_one_state(h):
    u = new_user(h)
    samples, types = scrape(h, h.user_url)
    assert types.get("dest_client_call_duration_seconds") == "histogram", types
    before, _ = calls_timed(samples)
    validations = h.metric(h.dest_url, "http_requests_total", {"route": "/internal/v1/destinations/validate"})
    # an id no cache has seen: user-service must ask destination-service, which says it is missing
    missing = 900000000 + secrets.randbelow(90000000)
    r = h.post(api(h, "/reviews"), {"destination_id": missing, "rating": 4}, token=u["token"])
    assert r.status == 422, r
    assert h.metric(h.dest_url, "http_requests_total", {"route": "/internal/v1/destinations/validate"}) > validations
    samples, _ = scrape(h, h.user_url)
    after, sent = calls_timed(samples)
    assert after > before, (before, after)
    ok, ok_sum = histogram(samples, "dest_client_call_duration_seconds", outcome="ok")
    assert ok > 0 and ok_sum > 0
    # every call that went out is timed (the feed follower's polls may land between the two reads)
    assert abs(after - sent) <= 1, (after, sent)
    states = values(samples, "dest_breaker_state", service="user-service")
    assert sorted(lb["state"] for lb, _ in states) == ["closed", "half_open", "open"], states
    assert sorted(v for _, v in states) == [0, 0, 1], states
    assert one(samples, "dest_breaker_state", state="closed") == 1  # destination-service is up


def test_body_over_the_limit_is_413(h):
    big = b"{" + b" " * (70 * 1024) + b"}"
    r = h.request("POST", h.dest_url + "/api/v1/destinations", body=big,
                  headers={"Content-Type": "application/json"})
    assert r.status == 413, r
    assert h.get(h.dest_url + "/healthz").status == 200


def test_oversized_header_is_refused_and_daemon_keeps_serving(h):
    r = h.raw(h.dest.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 4"), r[:100]
    assert h.get(h.dest_url + "/healthz").status == 200


def test_garbage_request_line_is_400(h):
    r = h.raw(h.dest.port, b"\x00\x01garbage nonsense\r\n\r\n")
    assert r == b"" or r.startswith(b"HTTP/1.1 400"), r[:100]
    assert h.get(h.dest_url + "/healthz").status == 200


def test_half_request_is_closed_after_idle_timeout(h):
    s = socket.create_connection(("127.0.0.1", h.dest.port), timeout=10)
    t0 = time.time()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no blank line: the request never ends
    # others are served meanwhile
    assert h.get(h.dest_url + "/healthz").status == 200
    data = s.recv(100)  # returns b"" (or an error answer) once the server closes it
    waited = time.time() - t0
    s.close()
    assert waited < 8, waited  # HTTP_IDLE_TIMEOUT_SECONDS=2 in the harness
    assert data == b"" or data.startswith(b"HTTP/1.1 4"), data


def test_200_concurrent_connections_all_answered(h):
    def one(_):
        return h.get(h.dest_url + "/healthz", timeout=20).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as ex:
        statuses = list(ex.map(one, range(200)))
    assert statuses.count(200) == 200, statuses


def test_bad_config_value_exits_2_naming_the_variable(h):
    import subprocess
    env = h.env_for(h.dest.binary, WORKERS="lots")
    p = subprocess.run([h.dest.binary, "serve"], env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "WORKERS" in p.stderr, (p.returncode, p.stderr)
    env = h.env_for(h.dest.binary, JWT_VERIFY_KEYS="k1:short")
    env.pop("ECOMOVEX_DEV", None)
    p = subprocess.run([h.dest.binary, "serve"], env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "JWT_VERIFY_KEYS" in p.stderr, (p.returncode, p.stderr)


def test_help_and_version(h):
    import subprocess
    for d in (h.dest, h.user):
        p = subprocess.run([d.binary, "--version"], capture_output=True, text=True, timeout=5)
        assert p.returncode == 0 and d.name in p.stdout
        p = subprocess.run([d.binary, "--help"], capture_output=True, text=True, timeout=5)
        assert p.returncode == 0 and "migrate" in p.stdout


def test_migrate_twice_and_concurrently_is_safe(h):
    import subprocess
    env = dict(h.env, MIGRATIONS_DIR=h.root("migrations/destinations"))
    procs = [subprocess.Popen([h.dest.binary, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert b"applied migrations/" not in out or b"seed" in out  # nothing new to apply
    n = h.psql("destinations", "SELECT count(*) FROM schema_migrations")
    assert int(n) >= 1


def test_failing_migration_rolls_back_and_names_the_file(h):
    import os
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(dir=h.run_dir)
    with open(os.path.join(d, "0001_ok.sql"), "w") as f:
        f.write("CREATE TABLE mig_probe_a (id int);")
    with open(os.path.join(d, "0002_broken.sql"), "w") as f:
        f.write("CREATE TABLE mig_probe_b (id int); SELECT no_such_function();")
    env = dict(h.env, MIGRATIONS_DIR=d)
    p = subprocess.run([h.dest.binary, "migrate"], env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "0002_broken.sql" in p.stderr and "no_such_function" in p.stderr, p.stderr
    assert h.psql("destinations", "SELECT to_regclass('mig_probe_a') IS NOT NULL") == "t"
    assert h.psql("destinations", "SELECT to_regclass('mig_probe_b') IS NULL") == "t"
    h.psql("destinations", "DROP TABLE mig_probe_a; DELETE FROM schema_migrations WHERE version = '0001_ok.sql'")


def test_head_answers_like_get_without_a_body(h):
    raw = h.raw(h.dest.port, b"HEAD /api/v1/destinations/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), raw[:200]
    assert body == b"", body[:100]
    r = h.request("PUT", h.dest_url + "/api/v1/destinations/1")
    assert "HEAD" in r.header("Allow"), r.headers


def _healthz_at(addr, port):
    c = http.client.HTTPConnection(addr, port, timeout=3)
    try:
        c.request("GET", "/healthz")
        return c.getresponse().status
    finally:
        c.close()


def test_a_daemon_listens_dual_stack_on_ipv6_any_and_on_every_address_of_a_name(h):
    # "[::]" is one socket for IPv6 and IPv4 clients; a name is every address it resolves to
    # (localhost: ::1 and 127.0.0.1 where /etc/hosts says so), each its own socket.
    cases = (("[::]", {"127.0.0.1", "::1"}),
             ("localhost", {a[4][0] for a in socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)}))
    for host, addrs in cases:
        port = free_port()
        env = dict(h.env, DEST_SERVICE_ADDR="%s:%d" % (host, port))
        env.pop("ECOMOVEX_DEV")  # development mode is loopback-only; the harness's secrets are real
        d = Daemon("destination-service-listen", h.dest.binary, env,
                   os.path.join(h.log_dir, "destination-service-listen.log"))
        d.port = port
        try:
            d.start(wait_ready=False)
            deadline = time.time() + 20
            while True:
                try:
                    if _healthz_at(sorted(addrs)[0], port) == 200:
                        break
                except OSError:
                    pass
                assert d.alive() and time.time() < deadline, (host, d.log_text()[-2000:])
                time.sleep(0.05)
            for a in addrs:
                assert _healthz_at(a, port) == 200, (host, a)
        finally:
            d.stop()


def test_healthcheck_subcommand_is_the_container_probe(h):
    # `<daemon> healthcheck [--ready]` replaces curl in the images: 0 only for a 200 from the
    # daemon's own listen address (a wildcard one is asked on 127.0.0.1), 1 otherwise, in time.
    def run(binary, var, addr, *args):
        t0 = time.time()
        p = subprocess.run([binary, "healthcheck", *args], env=dict(h.env, **{var: addr}), capture_output=True,
                           timeout=30)
        return p.returncode, time.time() - t0, p.stderr.decode()

    for d, var in ((h.dest, "DEST_SERVICE_ADDR"), (h.user, "USER_SERVICE_ADDR")):
        for addr in ("127.0.0.1:%d" % d.port, "[::]:%d" % d.port, "0.0.0.0:%d" % d.port):
            for args in ((), ("--ready",)):
                rc, _, err = run(d.binary, var, addr, *args)
                assert rc == 0, (d.name, addr, args, err)
    assert run(h.dest.binary, "DEST_SERVICE_ADDR", "127.0.0.1:1")[0] == 1
    assert run(h.dest.binary, "DEST_SERVICE_ADDR", "127.0.0.1:%d" % h.dest.port, "--bogus")[0] == 2
    # a listener that accepts and never answers: 1 after the 2 s budget, not a hang
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        rc, took, err = run(h.dest.binary, "DEST_SERVICE_ADDR", "127.0.0.1:%d" % silent.getsockname()[1])
        assert rc == 1 and 1.5 < took < 10 and "no answer" in err, (rc, took, err)
    finally:
        silent.close()

    # an answer other than 200 (a draining or unready daemon's 503): 1
    class Unready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(503)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Unready)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        rc, _, err = run(h.dest.binary, "DEST_SERVICE_ADDR", "127.0.0.1:%d" % srv.server_port, "--ready")
        assert rc == 1 and "answered 503" in err, (rc, err)
    finally:
        srv.shutdown()
        srv.server_close()
