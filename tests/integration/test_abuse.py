"""Abuse limits (issue 9): login attempts limited per account and per client address in
PostgreSQL (so the limit holds across replicas and restarts), bounded list and batch sizes,
and slow clients and connection floods that do not stop a daemon answering others.

The login-limit tests restart user-service with small limits and put the defaults back in
`finally`; each starts and ends with an empty login_attempts table, so the rest of the suite
(all from 127.0.0.1) is never throttled by them."""
import concurrent.futures
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time

import harness
from harness import problem_ok
from accounts import PASSWORD, api, new_user

SLOW = getattr(harness, "SLOWDOWN", 1.0)  # > 1 when the daemons run under a wrapper (valgrind)


def login(h, email, password, headers=None, base=None):
    return h.post((base or h.user_url) + "/api/v1/auth/login", {"email": email, "password": password},
                  headers=headers)


WINDOW_MARGIN_S = 20  # the longest a test of these limits runs after restart_user


def ghost():
    return "ghost%s@example.com" % secrets.token_hex(5)


def restart_user(h, **env):
    h.psql("users", "DELETE FROM login_attempts")
    h.user.stop()
    h.user.start(extra_env={k: str(v) for k, v in env.items()})
    # the counters are fixed windows aligned on the epoch: a test whose attempts straddled a
    # window's end would see them split over two counters (a 401 where the limit says 429)
    for w in (int(env.get("LOGIN_WINDOW_SECONDS", 300)), int(env.get("REGISTER_WINDOW_SECONDS", 3600))):
        left = w - time.time() % w
        if left < WINDOW_MARGIN_S:
            time.sleep(left + 0.1)


def restore_user(h):
    h.user.stop()
    h.psql("users", "DELETE FROM login_attempts")
    h.user.start()


def assert_429(r, window):
    problem_ok(r, 429)
    retry = int(r.header("Retry-After"))
    assert 1 <= retry <= window, r.headers
    return retry


def address_keys(h):
    return h.psql("users", "SELECT string_agg(key, ',' ORDER BY key) FROM login_attempts WHERE key LIKE 'ip:%'")


def pair(email, addr="127.0.0.1"):
    """The key of the hard login limit: one account from one address."""
    return "email:%s|ip:%s" % (email, addr)


def attempts(h, key):
    v = h.psql("users", "SELECT COALESCE(sum(attempts), 0) FROM login_attempts WHERE key = '%s'"
               % key.replace("'", "''"))
    return int(v)


# ---- login limits ----

def test_login_is_429_after_n_failures_with_retry_after(h):
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000,
                     LOGIN_WINDOW_SECONDS=120)
        u = new_user(h)
        for _ in range(3):
            problem_ok(login(h, u["email"], "wrong password"), 401)
        assert attempts(h, pair(u["email"])) == 3
        assert_429(login(h, u["email"], "wrong password"), 120)
        # blocked means blocked: the right password does not get through either, and the
        # email's case does not make it another account
        assert_429(login(h, u["email"], PASSWORD), 120)
        assert_429(login(h, u["email"].upper(), PASSWORD), 120)
        # other accounts are not affected
        other = new_user(h)
        assert login(h, other["email"], PASSWORD).status == 200
        # a body that does not even validate is 422 and is not counted
        before = attempts(h, pair(u["email"]))
        problem_ok(h.post(api(h, "/auth/login"), {"email": u["email"]}), 422)
        assert attempts(h, pair(u["email"])) == before
    finally:
        restore_user(h)


def test_limited_login_is_answered_before_any_password_hashing(h):
    # Real argon2id parameters: a checked password costs tens of milliseconds; a refused
    # attempt must cost a couple of statements, not a hash.
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=2, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000,
                     PASSWORD_OPSLIMIT=2, PASSWORD_MEMLIMIT_KIB=32768)
        u = new_user(h)

        def cost():  # server CPU time, not wall time: see Daemon.cpu_seconds
            before = h.user.cpu_seconds()
            r = login(h, u["email"], "wrong password")
            return r, h.user.cpu_seconds() - before

        checked, refused = [], []
        for _ in range(2):
            r, t = cost()
            problem_ok(r, 401)
            checked.append(t)
        for _ in range(6):
            r, t = cost()
            assert_429(r, 300)
            refused.append(t)
        # two verifies of 32 MiB cost tens of ms of CPU; six refusals must cost far less
        assert sum(checked) > 0.04, checked
        assert sum(refused) < sum(checked) / 3, (checked, refused)
    finally:
        restore_user(h)


def test_login_limit_per_address_spans_emails(h):
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=1000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=4,
                     LOGIN_WINDOW_SECONDS=60)
        u = new_user(h)
        for _ in range(4):
            problem_ok(login(h, ghost(), "wrong password"), 401)
        assert attempts(h, "ip:127.0.0.1") == 4
        assert_429(login(h, ghost(), "wrong password"), 60)
        # the address is blocked for everyone behind it, whatever the account
        assert_429(login(h, u["email"], PASSWORD), 60)
        # emails that could never be an account count against the address too
        assert attempts(h, "ip:127.0.0.1") == 6
    finally:
        restore_user(h)


def test_successful_login_resets_the_account_and_only_failures_count(h):
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=7)
        u = new_user(h)
        for _ in range(3):  # 2 failures, then a success that starts the account afresh
            problem_ok(login(h, u["email"], "wrong password"), 401)
            problem_ok(login(h, u["email"], "wrong password"), 401)
            assert login(h, u["email"], PASSWORD).status == 200
            assert attempts(h, pair(u["email"])) == 0 and attempts(h, "email:" + u["email"]) == 0
        # the address saw 9 attempts; its 3 successes were taken back off: 6 failures
        assert attempts(h, "ip:127.0.0.1") == 6
        problem_ok(login(h, u["email"], "wrong password"), 401)  # the 7th failure: at the limit
        assert_429(login(h, u["email"], PASSWORD), 300)  # over it, even with the password
        # many successful logins from one address are never limited
        h.psql("users", "DELETE FROM login_attempts")
        for _ in range(12):
            assert login(h, u["email"], PASSWORD).status == 200
        assert attempts(h, "ip:127.0.0.1") == 0
    finally:
        restore_user(h)


def test_concurrent_attempts_are_counted_atomically(h):
    # 24 wrong logins at once for one account with a limit of 5: a read-then-write counter
    # would let more than 5 through; one INSERT ... ON CONFLICT ... RETURNING lets exactly 5.
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=5, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000, WORKERS=8)
        u = new_user(h)
        with concurrent.futures.ThreadPoolExecutor(max_workers=24) as ex:
            statuses = list(ex.map(lambda _: login(h, u["email"], "wrong password").status, range(24)))
        assert sorted(statuses) == [401] * 5 + [429] * 19, statuses
        assert attempts(h, pair(u["email"])) == 24
    finally:
        restore_user(h)


def test_login_limit_lives_in_the_database_and_survives_a_restart(h):
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=2, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000)
        u = new_user(h)
        for _ in range(2):
            problem_ok(login(h, u["email"], "wrong password"), 401)
        assert_429(login(h, u["email"], PASSWORD), 300)
        h.user.stop()  # another replica, or this one restarted: same database, same counters
        h.user.start(extra_env={"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT": "2", "LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "1000"})
        assert_429(login(h, u["email"], PASSWORD), 300)
        # the window is what ends it: move the stored window back by one length
        h.psql("users", "UPDATE login_attempts SET window_start = window_start - interval '300 seconds'")
        assert login(h, u["email"], PASSWORD).status == 200
    finally:
        restore_user(h)


def test_an_attacker_cannot_lock_the_owner_out_from_elsewhere(h):
    # The hard limit is per (account, address): the attacker's address is refused, even with
    # the right password; the owner, from another address, logs in.
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000,
                     TRUSTED_PROXIES="127.0.0.0/8")
        u = new_user(h)
        attacker, owner = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "203.0.113.20"}
        for _ in range(3):
            problem_ok(login(h, u["email"], "guess", headers=attacker), 401)
        assert_429(login(h, u["email"], "guess", headers=attacker), 300)
        assert_429(login(h, u["email"], PASSWORD, headers=attacker), 300)
        assert login(h, u["email"], PASSWORD, headers=owner).status == 200
        assert attempts(h, pair(u["email"], "198.51.100.7")) == 5
    finally:
        restore_user(h)


def test_past_the_account_ceiling_only_a_clean_address_may_try(h):
    # A guessing campaign spread over many addresses meets the per-account ceiling: an
    # address that already failed on the account is refused; a clean one (the owner) is
    # not, and the operator reads one warning naming the account.
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT_TOTAL=4,
                     LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000, TRUSTED_PROXIES="127.0.0.0/8")
        u = new_user(h)
        for n in range(4):
            problem_ok(login(h, u["email"], "guess", headers={"X-Forwarded-For": "198.51.100.%d" % n}), 401)
        assert_429(login(h, u["email"], "guess", headers={"X-Forwarded-For": "198.51.100.1"}), 300)
        problem_ok(login(h, u["email"], "guess", headers={"X-Forwarded-For": "198.51.100.50"}), 401)
        assert login(h, u["email"], PASSWORD, headers={"X-Forwarded-For": "203.0.113.20"}).status == 200
        assert h.user.log_text().count("login: the account %s passed 4 failed attempts" % u["email"]) == 1
    finally:
        restore_user(h)


def test_x_forwarded_for_is_honoured_only_from_trusted_proxies(h):
    try:
        # Not trusted (the default): the header is ignored, every attempt is 127.0.0.1's.
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=1000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=2)
        for n in range(2):
            problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "10.0.0.%d" % n}), 401)
        assert_429(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "10.0.0.9"}), 300)
        assert address_keys(h) == "ip:127.0.0.1"

        # Trusted: the LAST hop (what the proxy itself appended) is the client; what the
        # client wrote before it cannot move it to another bucket.
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=1000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=2,
                     TRUSTED_PROXIES="192.0.2.1, 127.0.0.0/8")
        for spoof in ("1.1.1.1", "2.2.2.2"):
            problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": spoof + ", 10.1.1.1"}), 401)
        assert_429(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "3.3.3.3,10.1.1.1"}), 300)
        problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "10.1.1.2"}), 401)
        # IPv6 clients count by their /64; garbage falls back to the proxy's own address
        problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "2001:db8:1:2::5"}), 401)
        problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "2001:db8:1:2:ffff::9"}), 401)
        problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "not-an-address"}), 401)
        keys = dict(line.split("|") for line in
                    h.psql("users", "SELECT key, attempts FROM login_attempts WHERE key LIKE 'ip:%'").splitlines())
        assert keys == {"ip:10.1.1.1": "3", "ip:10.1.1.2": "1", "ip:2001:db8:1:2::/64": "2",
                        "ip:127.0.0.1": "1"}, keys
    finally:
        restore_user(h)


def test_behind_the_gateway_a_spoofed_forwarded_for_does_not_move_the_client(h):
    from gateway import gateway
    gw = gateway(h)
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=1000, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=2,
                     TRUSTED_PROXIES="127.0.0.1")
        for n in range(2):
            problem_ok(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "203.0.113.%d" % n}, base=gw.url),
                       401)
        # nginx appended the address it saw (127.0.0.1): that is the key, not the spoof
        assert_429(login(h, ghost(), "x" * 8, headers={"X-Forwarded-For": "203.0.113.77"}, base=gw.url), 300)
        assert address_keys(h) == "ip:127.0.0.1"
    finally:
        restore_user(h)


def test_bad_login_limit_settings_stop_the_daemon_naming_the_variable(h):
    for var, value in (("LOGIN_WINDOW_SECONDS", "0"), ("LOGIN_WINDOW_SECONDS", "86401"),
                       ("LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", "-1"), ("LOGIN_MAX_ATTEMPTS_PER_ADDRESS", "ten"),
                       ("TRUSTED_PROXIES", "10.0.0.0/33"), ("TRUSTED_PROXIES", "gateway.local")):
        env = dict(h.env)
        env[var] = value
        env["USER_SERVICE_ADDR"] = "127.0.0.1:1"  # never reached: the check comes first
        p = subprocess.run([h.user.binary, "serve"], env=env, capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and var in p.stderr, (var, value, p.returncode, p.stderr)


def change_password(h, u, old, new="a brand new passphrase"):
    return h.request("PUT", api(h, "/users/me/password"), {"old_password": old, "new_password": new},
                     token=u["token"])


def test_password_change_attempts_are_limited_per_account(h):
    # A stolen token must not buy unlimited guesses of the old password.
    try:
        restart_user(h, LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=3, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=1000)
        u, other = new_user(h), new_user(h)
        for _ in range(3):
            problem_ok(change_password(h, u, "wrong guess"), 403)
        assert_429(change_password(h, u, "wrong guess"), 300)
        assert_429(change_password(h, u, PASSWORD), 300)  # limited means limited
        assert attempts(h, "password:user:%d" % u["id"]) == 5
        r = change_password(h, other, PASSWORD)  # another account is not affected
        assert r.status == 200, r
        assert attempts(h, "password:user:%d" % other["id"]) == 0  # a success starts afresh
    finally:
        restore_user(h)


# ---- registration (issue 20, item 1) ----

def register_as(h, name, email=None, headers=None):
    return h.post(api(h, "/auth/register"),
                  {"username": name, "email": email or name + "@example.com", "password": PASSWORD},
                  headers=headers)


def test_a_taken_email_or_username_is_409_before_any_hashing(h):
    # Real argon2id parameters: a fresh registration costs the daemon one hash of CPU; a
    # duplicate must cost a couple of statements, whoever sends it.
    try:
        restart_user(h, PASSWORD_OPSLIMIT=2, PASSWORD_MEMLIMIT_KIB=32768)
        u = new_user(h)

        def cost(name, email=None):
            before = h.user.cpu_seconds()
            r = register_as(h, name, email)
            return r, h.user.cpu_seconds() - before

        fresh = []
        for _ in range(3):
            r, t = cost("f" + secrets.token_hex(5))
            assert r.status == 201, r
            fresh.append(t)
        dup = []
        for _ in range(3):
            r, t = cost("d" + secrets.token_hex(5), u["email"])  # the email is taken
            problem_ok(r, 409)
            assert "email" in r.json()["detail"]
            dup.append(t)
            r, t = cost(u["username"].upper(), "x%s@example.com" % secrets.token_hex(5))  # the username is
            problem_ok(r, 409)
            assert "username" in r.json()["detail"]
            dup.append(t)
        assert sum(fresh) > 0.05, fresh  # three hashes of 32 MiB
        assert sum(dup) < sum(fresh) / 4, (fresh, dup)  # six duplicates: far less than three hashes
    finally:
        restore_user(h)


def test_registrations_per_address_are_limited_in_the_database(h):
    try:
        restart_user(h, REGISTER_MAX_PER_ADDRESS=3, REGISTER_WINDOW_SECONDS=600)
        h.psql("users", "DELETE FROM login_attempts WHERE key LIKE 'register:%'")
        for _ in range(3):
            assert register_as(h, "r" + secrets.token_hex(5)).status == 201
        assert_429(register_as(h, "r" + secrets.token_hex(5)), 600)
        # an untrusted X-Forwarded-For does not buy a new address
        assert_429(register_as(h, "r" + secrets.token_hex(5), headers={"X-Forwarded-For": "203.0.113.9"}), 600)
        assert h.psql("users", "SELECT count(*) FROM login_attempts WHERE key = 'register:ip:127.0.0.1'") == "1"
        # shared by replicas and restarts: the count lives in PostgreSQL
        h.user.stop()
        h.user.start(extra_env={"REGISTER_MAX_PER_ADDRESS": "3", "REGISTER_WINDOW_SECONDS": "600"})
        assert_429(register_as(h, "r" + secrets.token_hex(5)), 600)
    finally:
        h.psql("users", "DELETE FROM login_attempts WHERE key LIKE 'register:%'")
        restore_user(h)


# argv: URL PASSWORD THREADS SECONDS; prints the status of every registration it sent.
FLOOD = """
import json, secrets, sys, threading, time, urllib.error, urllib.request
url, pw, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
end, codes = time.time() + secs, []
def run():
    while time.time() < end:
        name = "fl" + secrets.token_hex(5)
        body = json.dumps({"username": name, "email": name + "@example.com", "password": pw}).encode()
        req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        t0 = time.perf_counter()
        try:
            code = urllib.request.urlopen(req, timeout=30).status
        except urllib.error.HTTPError as e:
            code = e.code
        codes.append("%d:%d" % (code, (time.perf_counter() - t0) * 1000))
ts = [threading.Thread(target=run) for _ in range(n)]
[t.start() for t in ts]
[t.join() for t in ts]
print(" ".join(codes))
"""


def test_a_registration_flood_leaves_other_routes_their_workers(h):
    # Real hashing parameters, four workers and one hashing slot (the default on 2 processors):
    # one registration hashes (on the gate's own thread, at a lower priority), two may wait for
    # it (workers - slots - 1), and a fourth that finds the wait full answers 503 + Retry-After
    # at once; GET /users/me of another client keeps answering 200 without waiting behind a
    # hash, on the worker left.
    wait_ms = 1000
    try:
        restart_user(h, PASSWORD_OPSLIMIT=3, PASSWORD_MEMLIMIT_KIB=65536, PASSWORD_WAIT_MS=wait_ms, WORKERS=4,
                     PASSWORD_HASH_SLOTS=1)
        me = new_user(h)

        def probe(n, gauge=None):
            """Latencies of n GET /users/me, sorted; every 4th one also samples the hashes
            running now into gauge."""
            times = []
            for i in range(n):
                t0 = time.perf_counter()
                r = h.get(api(h, "/users/me"), token=me["token"])
                times.append(time.perf_counter() - t0)
                assert r.status == 200, r
                if gauge is not None and i % 4 == 0:
                    gauge.append(h.metric(h.user_url, "password_hashes_in_progress"))
            return sorted(times)

        quiet = probe(200)
        # one registration on a quiet daemon: how long a request that waits behind a hash takes
        hash_s = []
        for _ in range(2):
            t0 = time.perf_counter()
            assert register_as(h, "fl" + secrets.token_hex(5)).status == 201
            hash_s.append(time.perf_counter() - t0)
        hash_s = min(hash_s)
        # the flood runs in its own process, so that it does not take the GIL from the probe
        flood = subprocess.Popen([sys.executable, "-c", FLOOD, api(h, "/auth/register"), PASSWORD, "4", "4"],
                                 stdout=subprocess.PIPE, text=True)
        hashing = []
        try:
            time.sleep(0.5)
            busy = probe(200, hashing)
        finally:
            out, _ = flood.communicate(timeout=60)
        answers = [tuple(map(int, a.split(":"))) for a in out.split()]
        codes = [c for c, _ in answers]
        assert set(codes) <= {201, 503}, sorted(set(codes))
        # refused because the wait was full, not after waiting it out
        refused_ms = sorted(ms for c, ms in answers if c == 503)
        assert refused_ms and refused_ms[len(refused_ms) // 2] < 0.3 * wait_ms, refused_ms
        assert codes.count(503) > 0 and codes.count(201) > 0, (codes.count(201), codes.count(503))
        assert h.metric(h.user_url, "password_hash_refused_total") >= codes.count(503)
        p50 = lambda t: t[len(t) // 2]
        p99 = lambda t: t[int(len(t) * 0.99) - 1]
        print(f"  [flood] /users/me p50 quiet={p50(quiet) * 1000:.1f}ms busy={p50(busy) * 1000:.1f}ms, "
              f"p99 quiet={p99(quiet) * 1000:.1f}ms busy={p99(busy) * 1000:.1f}ms "
              f"({p99(busy) / p99(quiet):.1f}x), one hash={hash_s * 1000:.0f}ms, "
              f"hashes running when sampled: max {max(hashing):.0f}; {codes.count(201)} x 201, "
              f"{codes.count(503)} x 503 (median {refused_ms[len(refused_ms) // 2]} ms)")
        # The mechanism, read from the daemon: at most one hash at a time (the slot), and the
        # flood did keep it busy. Without the gate all four workers hash at once.
        assert max(hashing) == 1, hashing
        # Its effect, measured against the hash itself rather than a wall-clock figure, so that
        # a loaded or sanitizer-built machine does not fail it: a typical probe does not queue
        # behind a hash, and not even the slowest waits a whole one.
        assert p50(busy) < 0.5 * hash_s, (p50(busy), hash_s)
        assert p99(busy) < hash_s, (p99(busy), hash_s)
        # And the issue's own figure, in the production build: p99 within 3x of the quiet one.
        # A sanitizer build runs every request several times slower while the (uninstrumented)
        # hash keeps its speed, so there the bounds against the hash above are the test.
        if not os.environ.get("BUILD", "build").startswith("build-asan"):
            assert p99(busy) <= 3 * p99(quiet), (p99(busy), p99(quiet))
        r = register_as(h, "fl" + secrets.token_hex(5))
        assert r.status == 201, r  # the gate empties once the flood stops
    finally:
        restore_user(h)


# ---- bodies are judged by their head ----

UPLOAD = "/api/v1/media?category=travel_photo"
FIVE_MIB = 5 * 1024 * 1024


def upload_head(token=None, length=FIVE_MIB):
    auth = "Authorization: Bearer %s\r\n" % token if token else ""
    return ("POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\n%sContent-Length: %d\r\n\r\n"
            % (UPLOAD, auth, length)).encode()


def answer_to_head(h, head, wait=1.0):
    """Sends only a request head; the status line if the daemon answers within wait seconds
    (without the body), else None."""
    s = socket.create_connection(("127.0.0.1", h.user.port), timeout=wait)
    try:
        s.sendall(head)
        try:
            got = s.recv(4096)
        except socket.timeout:
            return None
        return got.split(b"\r\n", 1)[0].decode()
    finally:
        s.close()


def push_upload(port, head, total, out):
    """Sends head, waits half a second for an answer, then sends total body bytes anyway (as
    an attacker would) and reads an answer if none came yet; appends (status line or None,
    seconds to the answer, body bytes the daemon took) to out."""
    t0 = time.perf_counter()
    status, t_answer, sent = None, None, 0
    s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    try:
        s.sendall(head)
        try:
            got = s.recv(4096)
            status, t_answer = got.split(b"\r\n", 1)[0].decode(), time.perf_counter() - t0
        except socket.timeout:
            pass
        s.settimeout(20)
        try:
            while sent < total:
                sent += s.send(b"\xff" * min(65536, total - sent))
            if status is None:
                status = s.recv(4096).split(b"\r\n", 1)[0].decode()
                t_answer = time.perf_counter() - t0
        except OSError:
            pass
    finally:
        s.close()
    out.append((status, t_answer if t_answer is not None else 99.0, sent))


def peak_rss_kib(h):
    with open("/proc/%d/status" % h.user.proc.pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def test_an_upload_body_is_refused_from_its_head_unless_the_token_holds(h):
    # Answered before any body byte is sent: no token, a forged token, or a JSON route.
    me = new_user(h)
    forged = me["token"][:-4] + ("AAAA" if not me["token"].endswith("AAAA") else "BBBB")
    for head in (upload_head(), upload_head(forged),
                 b"POST /api/v1/carbon HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + me["token"].encode() + b"\r\nContent-Length: 70000\r\n\r\n"):
        line = answer_to_head(h, head)
        assert line is not None and " 413" in line, (head[:60], line)
    # A valid token on the upload route: the daemon waits for the body (no answer yet).
    assert answer_to_head(h, upload_head(me["token"]), wait=0.5) is None
    from test_media import jpeg_bytes
    img = jpeg_bytes(2 * 1024 * 1024)  # well-formed: the server walks its segments
    # ... also when the head arrives in pieces (evhttp takes each line as it comes), and the
    # upload then goes through
    head = upload_head(me["token"], len(img))
    s = socket.create_connection(("127.0.0.1", h.user.port), timeout=0.3)
    try:
        for piece in (head[:20], head[20:90], head[90:]):
            s.sendall(piece)
            time.sleep(0.15)
        try:
            early = s.recv(4096)
        except socket.timeout:
            early = None
        assert early is None, early[:60]
        s.settimeout(5)
        s.sendall(img)
        assert s.recv(4096).startswith(b"HTTP/1.1 201"), "the upload sent in pieces was not stored"
    finally:
        s.close()
    # ... and a pipelined JSON request after an upload keeps its small cap
    big_json = b"{" + b" " * 70000 + b"}"
    both = (upload_head(me["token"], len(img)) + img +
            b"POST /api/v1/carbon HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer "
            + me["token"].encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(big_json) + big_json)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", h.raw(h.user.port, both, timeout=3))
    assert statuses == [b"201", b"413"], statuses


def test_unauthenticated_5_mib_uploads_cost_no_memory(h):
    # 50 concurrent 5 MiB uploads without a token: each answered 413 at once, the body never
    # read, and the daemon's peak RSS grows by less than 32 MiB over its peak after one
    # ordinary authenticated upload.
    from test_media import jpeg_bytes
    me = new_user(h)
    r = h.request("POST", h.user_url + UPLOAD, body=jpeg_bytes(4 * 1024 * 1024),
                  token=me["token"], headers={"Content-Type": "image/jpeg"})
    assert r.status == 201, r
    before = peak_rss_kib(h)
    out = []
    threads = [threading.Thread(target=push_upload, args=(h.user.port, upload_head(), FIVE_MIB, out))
               for _ in range(50)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    after = peak_rss_kib(h)
    statuses = sorted(set(st for st, _, _ in out))
    slowest = max(t for _, t, _ in out)
    sent = sum(n for _, _, n in out)
    print("  [uploads] 50 x 5 MiB without a token: answers %s, slowest %.2f s, body bytes sent %d MiB of 250, "
          "peak RSS %d -> %d KiB (+%d)" % (statuses, slowest, sent >> 20, before, after, after - before))
    assert all(st and " 413" in st for st, _, _ in out), statuses
    assert slowest < 5, slowest
    assert after - before < 32 * 1024, (before, after)
    assert h.get(api(h, "/users/me"), token=me["token"]).status == 200


# ---- per-user quotas ----

def away_from_a_window_edge(window_s, margin=10):
    """Fixed windows start at multiples of window_s: wait out the last seconds of one, so
    that a test's requests all fall into the same window."""
    left = window_s - time.time() % window_s
    if left < margin:
        time.sleep(left + 0.2)


def post_message(h, user, text="hello"):
    return h.post(api(h, "/messages"), {"content": text}, token=user["token"])


def test_assistant_messages_per_user_are_limited_in_the_database(h):
    try:
        restart_user(h, MESSAGES_PER_USER_PER_MINUTE=3)
        away_from_a_window_edge(60)
        a, b = new_user(h), new_user(h)
        for _ in range(3):
            assert post_message(h, a).status == 201
        assert_429(post_message(h, a), 60)
        assert "at most 3 per 60 seconds" in post_message(h, a).json()["detail"]
        assert attempts(h, "messages:user:%d" % a["id"]) == 3  # refused ones are not counted
        assert post_message(h, b).status == 201  # per user, not per address
        # the counter is PostgreSQL's, so a restarted (or another) replica knows it
        h.user.stop()
        h.user.start(extra_env={"MESSAGES_PER_USER_PER_MINUTE": "3"})
        assert_429(post_message(h, a), 60)
        assert h.get(api(h, "/messages"), token=a["token"]).status == 200  # reading is not spent
    finally:
        restore_user(h)


def test_upload_bytes_per_user_are_limited_and_a_refused_file_costs_nothing(h):
    from test_media import jpeg_bytes, upload
    try:
        restart_user(h, UPLOAD_BYTES_PER_USER_PER_DAY=3000)
        away_from_a_window_edge(86400)
        a, b = new_user(h), new_user(h)
        assert upload(h, a, jpeg_bytes(1994)).status == 201  # 2000 bytes
        assert_429(upload(h, a, jpeg_bytes(1494)), 86400)  # 1500 more would be 3500
        assert attempts(h, "upload_bytes:user:%d" % a["id"]) == 2000
        assert upload(h, a, jpeg_bytes(894)).status == 201  # 900 more still fits: 2900
        assert_429(upload(h, a, jpeg_bytes(194)), 86400)
        assert upload(h, b, jpeg_bytes(1994)).status == 201  # another user has their own
        # a file the daemon refuses for its bytes is not counted either
        problem_ok(upload(h, b, b"not an image at all", ctype="image/png"), 415)
        assert attempts(h, "upload_bytes:user:%d" % b["id"]) == 2000
    finally:
        restore_user(h)


def test_a_quota_is_given_back_when_the_work_it_paid_for_fails(h):
    """The amount is spent before the work; a database failure after it (here a trigger
    that refuses the insert) answers 500 and leaves the counter where it was."""
    from test_media import jpeg_bytes, upload
    away_from_a_window_edge(60)
    u = new_user(h)
    assert post_message(h, u).status == 201
    assert upload(h, u, jpeg_bytes(994)).status == 201
    h.psql("users", """
        CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
        CREATE TRIGGER refuse_messages BEFORE INSERT ON messages FOR EACH ROW
            WHEN (NEW.user_id = %d) EXECUTE FUNCTION refuse_for_test();
        CREATE TRIGGER refuse_media BEFORE INSERT ON media_files FOR EACH ROW
            WHEN (NEW.user_id = %d) EXECUTE FUNCTION refuse_for_test();""" % (u["id"], u["id"]))
    try:
        problem_ok(post_message(h, u), 500)
        problem_ok(upload(h, u, jpeg_bytes(1994)), 500)
        assert attempts(h, "messages:user:%d" % u["id"]) == 1
        assert attempts(h, "upload_bytes:user:%d" % u["id"]) == 1000
    finally:
        h.psql("users", "DROP TRIGGER refuse_messages ON messages; DROP TRIGGER refuse_media ON media_files; "
                        "DROP FUNCTION refuse_for_test()")
    assert post_message(h, u).status == 201
    assert attempts(h, "messages:user:%d" % u["id"]) == 2


def test_old_windows_are_pruned(h):
    # every 256th attempt of a process deletes windows older than a day
    h.psql("users", "DELETE FROM login_attempts; INSERT INTO login_attempts (key, window_start, attempts) "
                    "VALUES ('ip:192.0.2.1', now() - interval '2 days', 7), ('ip:192.0.2.2', now(), 1)")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
            list(ex.map(lambda _: login(h, "bad@@", "x").status, range(300)))
        left = h.psql("users", "SELECT string_agg(key, ',' ORDER BY key) FROM login_attempts WHERE key LIKE "
                               "'ip:192.0.2.%'")
        assert left == "ip:192.0.2.2", left
    finally:
        h.psql("users", "DELETE FROM login_attempts")


# ---- list and batch sizes ----

def new_admin(h):
    u = new_user(h)
    h.psql("users", "UPDATE users SET role = 'admin' WHERE id = %d" % u["id"])
    return u


def seed_rows(h, uid, n):
    """n rows of each user-owned list straight through SQL (the API would take a while)."""
    h.psql("users", """
        INSERT INTO carbon_emissions (user_id, vehicle_type, fuel_type, distance_km, carbon_emission_kg)
             SELECT {u}, 'bus', 'diesel', 1, 0.1 FROM generate_series(1, {n});
        INSERT INTO messages (user_id, sender, content) SELECT {u}, 'user', 'hi' FROM generate_series(1, {n});
        INSERT INTO plans (user_id, place_name, start_date, end_date)
             SELECT {u}, 'p' || g, '2026-01-01', '2026-01-02' FROM generate_series(1, {n}) g;
        INSERT INTO reviews (user_id, destination_id, rating) SELECT {u}, 900000 + g, 3 FROM generate_series(1, {n}) g;
        INSERT INTO media_files (user_id, filename, content_type, size, sha256, category, storage_key)
             SELECT {u}, 'a.png', 'image/png', 1, repeat('0', 64), 'travel_photo', 'seed/{u}/' || g
               FROM generate_series(1, {n}) g;
    """.format(u=uid, n=n))


def test_every_list_endpoint_caps_limit_at_100(h):
    u, admin = new_user(h), new_admin(h)
    seed_rows(h, u["id"], 120)
    uid = u["id"]
    # (base url, token, extra query, rows this caller surely has beyond 100)
    lists = [
        (h.user_url + "/api/v1/users", admin, "", None),
        (h.user_url + "/api/v1/reviews", None, "user_id=%d" % uid, 120),
        (h.user_url + "/api/v1/plans", u, "", 120),
        (h.user_url + "/api/v1/carbon", u, "", 120),
        (h.user_url + "/api/v1/missions", admin, "", None),
        (h.user_url + "/api/v1/media", u, "", 120),
        (h.user_url + "/api/v1/messages", u, "", 120),
        (h.user_url + "/api/v1/leaderboard", u, "", None),
        (h.dest_url + "/api/v1/destinations", None, "", None),
        (h.dest_url + "/api/v1/destinations/nearby", None, "lat=21.03&lon=105.85&radius_km=1000", None),
    ]
    for base, who, extra, rows in lists:
        tok = who["token"] if who else None

        def get(q):
            return h.get(base + "?" + "&".join(x for x in (extra, q) if x), token=tok)

        for bad in ("limit=101", "limit=0", "limit=-1", "limit=1000000", "limit=99999999999999999999"):
            p = problem_ok(get(bad), 422)
            assert [e["field"] for e in p["errors"]] == ["limit"], (base, bad, p)
        r = get("limit=100")
        assert r.status == 200, (base, r)
        assert len(r.json()["items"]) <= 100 and r.json()["limit"] == 100, base
        if rows:
            assert len(r.json()["items"]) == 100, base
            if "total" in r.json():
                assert r.json()["total"] == rows, (base, r.json()["total"])
            assert len(get("").json()["items"]) == 20, base  # the default page
        if base.endswith(("/users", "/reviews", "/plans", "/carbon", "/missions", "/media", "/destinations")):
            p = problem_ok(get("offset=1000001"), 422)
            assert [e["field"] for e in p["errors"]] == ["offset"], (base, p)


def test_plan_holds_at_most_200_stops_even_under_concurrency(h):
    u = new_user(h)
    r = h.post(api(h, "/plans"), {"place_name": "Long trip", "start_date": "2026-12-01", "end_date": "2026-12-31"},
               token=u["token"])
    plan = r.json()["id"]
    h.psql("users", "INSERT INTO plan_destinations (plan_id, destination_id, type, visit_date) "
                    "SELECT %d, 1, 'attraction', '2026-12-01' FROM generate_series(1, 199)" % plan)
    url = api(h, "/plans/%d/destinations" % plan)
    stop = {"destination_id": 1, "type": "attraction", "visit_date": "2026-12-02"}
    assert h.post(url, stop, token=u["token"]).status == 201  # the 200th
    problem_ok(h.post(url, stop, token=u["token"]), 409)
    # back to 199, then 10 writers race for the last place: exactly one gets it
    h.psql("users", "DELETE FROM plan_destinations WHERE id = (SELECT max(id) FROM plan_destinations "
                    "WHERE plan_id = %d)" % plan)
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as ex:
        statuses = list(ex.map(lambda _: h.post(url, stop, token=u["token"]).status, range(10)))
    assert sorted(statuses) == [201] + [409] * 9, statuses
    assert h.psql("users", "SELECT count(*) FROM plan_destinations WHERE plan_id = %d" % plan) == "200"
    # and the footprint of a full plan is one batch call of at most 200 ids
    assert h.get(api(h, "/plans/%d/footprint" % plan), token=u["token"]).status == 200


# ---- slow clients and connection floods ----

def test_idle_connections_and_a_slowloris_do_not_stop_others(h):
    """300 idle connections and a client trickling a header byte a second: others are still
    answered at once, and the idle ones are closed after HTTP_IDLE_TIMEOUT_SECONDS (2 in the
    harness). The trickler is not closed by the daemon (its timeout is per read): the
    gateway's client_header_timeout is what bounds it (docs/security.md)."""
    port = h.user.port
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(300)]
    stop = threading.Event()
    trickled = []

    def slowloris():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            for b in b"GET /api/v1/carbon/factors HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                if stop.is_set():
                    break
                s.sendall(bytes([b]))
                trickled.append(b)
                stop.wait(1.0)
        except OSError:
            trickled.append(None)
        finally:
            s.close()

    t = threading.Thread(target=slowloris)
    t.start()
    try:
        t0 = time.time()
        slowest = 0.0
        while time.time() - t0 < 3.5:  # across the idle timeout
            for path in ("/readyz", "/api/v1/carbon/factors"):
                a = time.perf_counter()
                assert h.get(h.user_url + path, timeout=5).status == 200
                slowest = max(slowest, time.perf_counter() - a)
            time.sleep(0.05)
        assert slowest < 0.5 * SLOW, slowest
        closed = 0
        for s in idle:
            s.settimeout(2)
            try:
                closed += s.recv(1) == b""
            except (ConnectionResetError, socket.timeout):
                closed += 1
        assert closed == 300, closed
        assert None not in trickled and len(trickled) >= 3, trickled  # still trickling meanwhile
    finally:
        stop.set()
        t.join()
        for s in idle:
            s.close()
    assert h.user.alive() and h.get(h.user_url + "/readyz").status == 200


def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime


def test_out_of_file_descriptors_pauses_accepting_without_spinning(h):
    """With RLIMIT_NOFILE at 64 and 150 connections held open, accept() fails with EMFILE.
    The daemon pauses accepting (100 ms at a time) instead of retrying in a busy loop: no
    CPU burnt, one log line, requests on open connections still answered, and new
    connections served again as soon as descriptors are free."""
    import http.client
    import resource
    from harness import free_port

    port = free_port()
    env = h.env_for(h.dest.binary, DEST_SERVICE_ADDR="127.0.0.1:%d" % port, HTTP_IDLE_TIMEOUT_SECONDS="60",
                    WORKERS="2")
    log_path = h.log_dir + "/destination-service-emfile.log"

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    with open(log_path, "wb") as log:
        p = subprocess.Popen([h.dest.binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT,
                             preexec_fn=limit)
    flood = []
    try:
        deadline = time.time() + 10
        while True:
            try:
                keep = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                keep.request("GET", "/readyz")
                keep.getresponse().read()
                break
            except OSError:
                assert time.time() < deadline and p.poll() is None, "daemon did not start"
                time.sleep(0.05)
        for _ in range(150):
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)
        c0 = cpu_ticks(p.pid)
        time.sleep(1.0)
        burnt = cpu_ticks(p.pid) - c0
        assert burnt < 10, burnt  # ticks of 10 ms: a busy accept loop burns 30 to 100 a second
        keep.request("GET", "/metrics")
        metrics = keep.getresponse().read().decode()
        errors = [line for line in metrics.splitlines() if line.startswith("http_accept_errors_total")]
        assert errors and float(errors[0].split()[-1]) >= 1, errors
        keep.request("GET", "/healthz")
        r = keep.getresponse()
        assert r.status == 200 and r.read()  # open connections go on
        # a worker that has yet to open its database connection cannot get a descriptor
        # either: /readyz may say 503 meanwhile, but it answers
        keep.request("GET", "/readyz")
        r = keep.getresponse()
        r.read()
        assert r.status in (200, 503), r.status
        for s in flood:
            s.close()
        flood = []
        t0 = time.time()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/healthz")
        assert c.getresponse().status == 200
        assert time.time() - t0 < 1.0
        c.close()
        keep.close()
    finally:
        for s in flood:
            s.close()
        p.terminate()
        assert p.wait(15) == 0
    lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
    warned = [line for line in lines if "accept" in line]
    assert 1 <= len(warned) <= 3, warned[:5]


def test_a_full_queue_sheds_at_once_and_a_stuck_statement_times_out(h):
    """One worker, a queue of 2, and a table locked by someone else: the worker's request and
    the two queued ones end with 503 after DB_STATEMENT_TIMEOUT_MS each; every further request
    is refused at once with 503 + Retry-After (QUEUE_MAX), and /healthz never waits."""
    h.dest.stop()
    h.dest.start(extra_env={"WORKERS": "1", "QUEUE_MAX": "2", "DB_STATEMENT_TIMEOUT_MS": "1000"})
    locker = subprocess.Popen(["psql", "-X", "-q", h.dest_db_admin_url, "-c",
                               "BEGIN; LOCK TABLE destinations IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(5); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while h.psql("destinations", "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                     "WHERE c.relname = 'destinations' AND l.mode = 'AccessExclusiveLock' "
                                     "AND l.granted") != "1":
            assert time.time() < deadline, "the lock was never taken"
            time.sleep(0.05)
        shed_before = h.metric(h.dest_url, "http_requests_shed_total")

        def one(_):
            t0 = time.perf_counter()
            r = h.get(h.dest_url + "/api/v1/destinations/1", timeout=10)
            return r, time.perf_counter() - t0

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
            futures = [ex.submit(one, i) for i in range(8)]
            time.sleep(0.2)
            t0 = time.perf_counter()
            assert h.get(h.dest_url + "/healthz").status == 200
            assert time.perf_counter() - t0 < 0.2 * SLOW
            results = [f.result() for f in futures]
        fast = [t for r, t in results if t < 0.5 * SLOW]
        for r, t in results:
            problem_ok(r, 503)
            assert r.header("Retry-After"), r.headers
            assert t < 4.5 * SLOW, t  # at most three statement timeouts in a row
        assert len(fast) >= 4, [round(t, 2) for _, t in results]
        assert h.metric(h.dest_url, "http_requests_shed_total") - shed_before >= 4
        locker.wait(15)
        assert h.get(h.dest_url + "/api/v1/destinations/1").status == 200
    finally:
        if locker.poll() is None:
            locker.kill()
            locker.wait()
        h.dest.stop()
        h.dest.start()
