"""Foundation: probes, metrics, the shape of errors, HTTP limits."""
import concurrent.futures
import http.client
import http.server
import os
import socket
import subprocess
import threading
import time

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
    env = dict(h.env, WORKERS="lots")
    p = subprocess.run([h.dest.binary, "serve"], env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "WORKERS" in p.stderr, (p.returncode, p.stderr)
    env = dict(h.env, JWT_SECRET="short")
    env.pop("ECOMOVEX_DEV", None)
    p = subprocess.run([h.dest.binary, "serve"], env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "JWT_SECRET" in p.stderr, (p.returncode, p.stderr)


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
