"""Security review checks (issue 9, docs/security.md) that no other suite makes:

- object properties a client must not set are ignored (OWASP API3, mass assignment);
- answers of destination-service are not trusted blindly (API10): redirects are not
  followed, oversized, malformed and mis-shaped answers are failures, ids that were not
  asked about are neither used nor cached, and hostile numbers do not reach an integer cast;
- a server-side failure tells the client nothing about its cause (API8);
- tokens are EdDSA under a kid (issue 19 item 2): only user-service holds the private key,
  HS256 (the former shared secret) is refused everywhere, and keys rotate through
  JWT_VERIFY_KEYS without logging anyone out."""
import http.server
import json
import secrets
import threading
import time

import ed25519
import harness
from harness import problem_ok
from accounts import PASSWORD, api, new_user

SLOW = getattr(harness, "SLOWDOWN", 1.0)  # > 1 when the daemons run under a wrapper (valgrind)


# ---- API3: object property level authorization ----

def test_properties_a_client_may_not_set_are_ignored(h):
    u, other = new_user(h), new_user(h)
    tok = u["token"]
    # the profile: role, points, rank, email, id and token version are not the client's to set
    r = h.request("PATCH", api(h, "/users/me"), {"username": u["username"], "role": "admin", "eco_point": 99999,
                                                  "rank": "Diamond", "email": "x@example.com", "id": other["id"],
                                                  "token_version": 5, "password_hash": "x"}, token=tok)
    assert r.status == 200, r
    me = h.get(api(h, "/users/me"), token=tok).json()
    assert (me["role"], me["eco_point"], me["rank"], me["email"], me["id"]) == \
        ("user", u["eco_point"], u["rank"], u["email"], u["id"]), me
    assert h.get(api(h, "/users"), token=tok).status == 403  # still not an admin, and the token still works
    assert h.psql("users", "SELECT role || ',' || token_version FROM users WHERE id = %d" % u["id"]) == "user,0"
    # owned objects are the caller's, whatever the body says; computed fields are computed
    p = h.post(api(h, "/plans"), {"place_name": "Mine", "start_date": "2026-12-01", "end_date": "2026-12-02",
                                   "user_id": other["id"], "id": 1, "stop_count": 99}, token=tok).json()
    assert p["user_id"] == u["id"] and p["stop_count"] == 0, p
    c = h.post(api(h, "/carbon"), {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 10,
                                   "carbon_emission_kg": 0, "user_id": other["id"]}, token=tok).json()
    assert c["carbon_emission_kg"] == 1.71, c
    assert h.psql("users", "SELECT user_id FROM carbon_emissions WHERE id = %d" % c["id"]) == str(u["id"])
    rv = h.post(api(h, "/reviews"), {"destination_id": 4, "rating": 4, "user_id": other["id"],
                                     "destination_verified": False, "destination_missing": True}, token=tok).json()
    assert rv["user_id"] == u["id"] and rv["destination_verified"] is True and rv["destination_missing"] is False, rv
    # a review's destination and a stop's destination cannot be moved by an edit
    r = h.request("PATCH", api(h, "/reviews/%d" % rv["id"]), {"rating": 2, "destination_id": 5}, token=tok)
    assert r.status == 200 and r.json()["destination_id"] == 4, r
    m = h.post(api(h, "/messages"), {"content": "hello", "sender": "assistant", "intent": "x"}, token=tok).json()
    assert m["message"]["sender"] == "user", m


# ---- API10: unsafe consumption of the destination-service API ----

class FakeDest(http.server.BaseHTTPRequestHandler):
    """A destination-service whose answers the test chooses (FakeDest.mode)."""
    mode = "ok"
    calls = []
    trap_hits = []
    trap_url = ""

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the client gave up first (the slow answer): that is the point
            pass

    def asked(self):
        if self.command == "POST":
            n = int(self.headers.get("Content-Length", "0"))
            return json.loads(self.rfile.read(n))["ids"]
        q = self.path.split("ids=", 1)[1] if "ids=" in self.path else ""
        return [int(x) for x in q.split(",") if x]

    def handle_one(self):
        ids = self.asked()
        FakeDest.calls.append((self.command, self.path, ids))
        mode = FakeDest.mode
        if mode == "redirect":
            return self.answer(307, {}, [("Location", FakeDest.trap_url + self.path)])
        if mode == "huge":
            return self.answer(200, b'{"existing":' + json.dumps(ids).encode() + b',"pad":"' + b"x" * (5 << 20)
                               + b'"}')
        if mode == "garbage":
            return self.answer(200, b"<html>not json</html>")
        if mode == "shape":
            return self.answer(200, {"existing": ",".join(map(str, ids)), "missing": {}})
        if mode == "slow":
            time.sleep(2)
            return self.answer(200, {"existing": ids, "missing": []})
        if mode == "hostile" and self.command == "POST":
            raw = ('{"existing":[1e300,-1,1.5,"7",null,1e999,-1e999,424242,%s],"missing":[9007199254740993]}'
                   % ",".join(map(str, ids)))
            return self.answer(200, raw.encode())
        if mode == "hostile":  # the batch GET: coordinates and ids of every wrong kind
            items = ('[{"id":1e300,"latitude":1,"longitude":1},{"id":424243,"latitude":1,"longitude":1},'
                     '{"id":%d,"latitude":1e999,"longitude":0},{"id":%d,"latitude":"x","longitude":0},'
                     '5,null,"x",{"id":%d,"latitude":91,"longitude":0}]' % (ids[0], ids[1 % len(ids)], ids[-1]))
            return self.answer(200, ('{"items":%s}' % items).encode())
        return self.answer(200, {"existing": ids, "missing": []} if self.command == "POST" else
                           {"items": [{"id": i, "name": "x", "latitude": 21.0, "longitude": 105.8} for i in ids]})

    do_GET = do_POST = handle_one


class Trap(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle_one(self):
        FakeDest.trap_hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_GET = do_POST = handle_one


def serve(handler):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_hostile_destination_service_answers_are_not_trusted(h):
    fake, trap = serve(FakeDest), serve(Trap)
    FakeDest.trap_url = "http://127.0.0.1:%d" % trap.server_address[1]
    h.user.stop()
    h.user.start(extra_env={"DESTINATION_SERVICE_URL": "http://127.0.0.1:%d" % fake.server_address[1],
                            "DEST_TIMEOUT_MS": "500", "DEST_BREAKER_MIN_CALLS": "100000",
                            "DEST_CACHE_NEGATIVE_TTL_SECONDS": "0", "RECONCILE_INTERVAL_SECONDS": "0"})
    try:
        u = new_user(h)
        tok = u["token"]
        base = 700000 + secrets.randbelow(100000) * 10

        def review(did):
            return h.post(api(h, "/reviews"), {"destination_id": did, "rating": 4}, token=tok)

        # each failure mode is a 503 with Retry-After, quickly, and writes nothing
        for n, mode in enumerate(("redirect", "huge", "garbage", "shape", "slow")):
            FakeDest.mode = mode
            t0 = time.time()
            r = review(base + n)
            problem_ok(r, 503)
            assert r.header("Retry-After") and time.time() - t0 < 2 * SLOW, (mode, time.time() - t0)
        assert FakeDest.trap_hits == [], "a redirect was followed: %s" % FakeDest.trap_hits
        assert h.psql("users", "SELECT count(*) FROM reviews WHERE user_id = %d" % u["id"]) == "0"

        # hostile numbers next to the asked id: the asked id is taken; nothing else is used or cached
        FakeDest.mode = "hostile"
        asked = base + 7
        assert review(asked).status == 201
        FakeDest.mode = "ok"
        FakeDest.calls.clear()
        assert review(424242).status == 201  # listed unasked above: must be asked for now
        assert [c[2] for c in FakeDest.calls] == [[424242]], FakeDest.calls

        # the batch fetch (footprint, expand): items with bad ids or coordinates are skipped
        p = h.post(api(h, "/plans"), {"place_name": "Hostile", "start_date": "2026-12-01", "end_date": "2026-12-05"},
                   token=tok).json()
        stops = []
        for k, did in enumerate((base + 20, base + 21, base + 22)):
            r = h.post(api(h, "/plans/%d/destinations" % p["id"]),
                       {"destination_id": did, "type": "attraction", "visit_date": "2026-12-02", "position": k},
                       token=tok)
            assert r.status == 201, r
            stops.append(r.json()["id"])
        FakeDest.mode = "hostile"
        r = h.get(api(h, "/plans/%d/footprint" % p["id"]), token=tok)
        assert r.status == 200, r
        assert r.json()["legs"] == [] and sorted(r.json()["skipped_item_ids"]) == sorted(stops), r.json()
        r = h.get(api(h, "/plans/%d/destinations?expand=destination" % p["id"]), token=tok)
        assert r.status == 200, r
        for item in r.json()["items"]:
            d = item["destination"]
            assert d is None or d["id"] == item["destination_id"], item
        assert h.user.alive()
    finally:
        FakeDest.mode = "ok"
        h.user.stop()
        h.user.start()
        fake.shutdown()
        trap.shutdown()
        fake.server_close()
        trap.server_close()


def test_proxy_variables_in_the_environment_never_see_the_internal_token(h):
    # A proxy injected through the environment (http_proxy and friends, which libcurl honours
    # by default) would receive X-Internal-Token. Only DESTINATION_SERVICE_PROXY is used.
    FakeDest.trap_hits = []
    trap = serve(Trap)
    proxy = "http://127.0.0.1:%d" % trap.server_address[1]
    h.user.stop()
    h.user.start(extra_env={v: proxy for v in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                               "ALL_PROXY", "all_proxy")})
    try:
        u = new_user(h)
        r = h.post(api(h, "/reviews"), {"destination_id": 2, "rating": 4}, token=u["token"])
        assert r.status == 201, r
        assert FakeDest.trap_hits == [], FakeDest.trap_hits
        # named explicitly, it is used (the trap answers 200 with no body: a 503, not a write)
        h.user.stop()
        h.user.start(extra_env={"DESTINATION_SERVICE_PROXY": proxy, "DEST_CACHE_TTL_SECONDS": "0"})
        problem_ok(h.post(api(h, "/reviews"), {"destination_id": 3, "rating": 4}, token=new_user(h)["token"]), 503)
        assert len(FakeDest.trap_hits) >= 1, FakeDest.trap_hits
    finally:
        h.user.stop()
        h.user.start()
        trap.shutdown()
        trap.server_close()


# ---- API8: a failure's cause stays in the log ----

def test_a_server_error_tells_the_client_nothing_about_its_cause(h):
    u = new_user(h)
    rid = "sec-500-" + secrets.token_hex(4)
    h.psql("users", "ALTER TABLE messages RENAME COLUMN content TO content_secret_name")
    try:
        r = h.get(api(h, "/messages"), token=u["token"], headers={"X-Request-ID": rid})
    finally:
        h.psql("users", "ALTER TABLE messages RENAME COLUMN content_secret_name TO content")
    p = problem_ok(r, 500)
    assert p["detail"] == "The server could not answer this request.", p
    for leak in (b"content", b"column", b"SELECT", b"messages", b"ERROR", b"42703"):
        assert leak not in r.body, (leak, r.body)
    # the log has what an operator needs, tied to the request id
    time.sleep(0.1)
    lines = [line for line in h.user.log_text().splitlines() if '"level":"error"' in line]
    assert any("content" in line and "42703" in line for line in lines), lines[-5:]
    assert any(rid in line and '"status":500' in line for line in h.user.log_text().splitlines())
    assert h.get(api(h, "/messages"), token=u["token"]).status == 200  # and it recovers


def test_the_log_keeps_no_user_content_from_failed_statements_or_destination_calls(h):
    canary = "canary" + secrets.token_hex(6)
    u = new_user(h)
    # an unmapped database error (23502) whose DETAIL would quote the row, message included
    h.psql("users", "ALTER TABLE messages ADD COLUMN probe text NOT NULL DEFAULT 'x'")
    h.psql("users", "ALTER TABLE messages ALTER COLUMN probe DROP DEFAULT")
    try:
        problem_ok(h.post(api(h, "/messages"), {"content": "hello " + canary}, token=u["token"]), 500)
    finally:
        h.psql("users", "ALTER TABLE messages DROP COLUMN probe")
    time.sleep(0.1)
    log = h.user.log_text()
    assert "23502" in log and "probe" in log, log[-2000:]  # the operator still learns what failed
    assert canary not in log, [line for line in log.splitlines() if canary in line]
    # a search the assistant makes while destination-service is unreachable: path, no query
    h.user.stop()
    h.user.start(extra_env={"DESTINATION_SERVICE_URL": "http://127.0.0.1:%d" % harness.free_port()})
    try:
        r = h.post(api(h, "/messages"), {"content": "find " + canary}, token=u["token"])
        assert r.status == 201, r
        time.sleep(0.1)
        log = h.user.log_text()
        assert "destination-service GET /api/v1/destinations: " in log, log[-2000:]
        assert canary not in log, [line for line in log.splitlines() if canary in line]
    finally:
        h.user.stop()
        h.user.start()


# ---- API8 / API2: no default secrets outside development ----

def start_briefly(binary, env, timeout=1.5):
    """Starts `binary serve` with env: (exit status, output), or ("running", output) if it
    served for timeout seconds (then it is stopped)."""
    import subprocess
    p = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate(timeout=15)
        return "running", out


def test_development_mode_serves_only_on_loopback(h):
    from harness import free_port
    for binary, addr in ((h.user.binary, "USER_SERVICE_ADDR"), (h.dest.binary, "DEST_SERVICE_ADDR")):
        for host, allowed in (("0.0.0.0", False), ("[::]", False), ("127.0.0.1", True)):
            env = h.env_for(binary, ECOMOVEX_DEV="1", **{addr: "%s:%d" % (host, free_port())})
            code, out = start_briefly(binary, env)
            if allowed:
                assert code == "running", (binary, host, code, out)
            else:
                assert code == 2 and "ECOMOVEX_DEV" in out and "loopback" in out, (binary, host, code, out)


def test_weak_password_hashing_is_refused_outside_development(h):
    from harness import free_port
    base = dict(h.env, USER_SERVICE_ADDR="127.0.0.1:%d" % free_port())
    base.pop("ECOMOVEX_DEV")
    for ops, kib in (("1", "8"), ("2", "19455"), ("1", "19456")):
        code, out = start_briefly(h.user.binary, dict(base, PASSWORD_OPSLIMIT=ops, PASSWORD_MEMLIMIT_KIB=kib))
        assert code == 2 and "PASSWORD_MEMLIMIT_KIB" in out and "OWASP" in out, (ops, kib, code, out)
    # OWASP's t=3 / 12 MiB setting is enough
    code, out = start_briefly(h.user.binary, dict(base, PASSWORD_OPSLIMIT="3", PASSWORD_MEMLIMIT_KIB="12288"))
    assert code == "running", (code, out)


def test_secrets_are_required_unless_development_mode_is_explicit(h):
    import subprocess
    from harness import free_port

    def run(binary, addr_var, **env):
        e = h.env_for(binary, **{addr_var: "127.0.0.1:%d" % free_port()})
        e.pop("ECOMOVEX_DEV", None)
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        p = subprocess.Popen([binary, "serve"], env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = p.communicate(timeout=1.5)
            return p.returncode, out
        except subprocess.TimeoutExpired:  # it started: stop it
            p.terminate()
            out, _ = p.communicate(timeout=15)
            return "running", out

    key, pub = h.env["JWT_SIGNING_KEY"], h.signing_key.verify_entry()
    user_cases = (("JWT_SIGNING_KEY", None), ("JWT_SIGNING_KEY", key[:-1]), ("JWT_SIGNING_KEY", key + "A"),
                  ("JWT_SIGNING_KEY", key + "="), ("JWT_SIGNING_KID", None), ("JWT_SIGNING_KID", "a b"),
                  ("JWT_VERIFY_KEYS", pub[:-1]), ("JWT_VERIFY_KEYS", h.signing_key.kid + ":" + "A" * 43))
    dest_cases = (("JWT_VERIFY_KEYS", None), ("JWT_VERIFY_KEYS", ""), ("JWT_VERIFY_KEYS", "k1"),
                  ("JWT_VERIFY_KEYS", pub + ","), ("JWT_VERIFY_KEYS", ",".join("k%d:%s" % (i, pub.split(":")[1])
                                                                              for i in range(5))),
                  ("JWT_SIGNING_KEY", key))  # a verifier is never given the private key
    for binary, addr, cases in ((h.user.binary, "USER_SERVICE_ADDR", user_cases),
                                (h.dest.binary, "DEST_SERVICE_ADDR", dest_cases)):
        for var, value in cases + (("INTERNAL_TOKEN", None), ("INTERNAL_TOKEN", "x" * 15),
                                   ("JWT_SECRET", "a-former-hs256-secret-0123456789abcdef")):
            code, out = run(binary, addr, **{var: value})
            assert code == 2 and var in out, (binary, var, value, code, out)
        code, out = run(binary, addr, JWT_SIGNING_KEY=None, JWT_VERIFY_KEYS=None, INTERNAL_TOKEN="x" * 15,
                        ECOMOVEX_DEV="0")
        assert code == 2, (binary, code, out)
        # only an explicit development flag starts it without them, and it says so
        code, out = run(binary, addr, JWT_SIGNING_KEY=None, JWT_SIGNING_KID=None, JWT_VERIFY_KEYS=None,
                        INTERNAL_TOKEN=None, ECOMOVEX_DEV="1")
        assert code == "running" and "development" in out, (binary, code, out)
    # the development token is refused when given explicitly, and so is a placeholder
    for binary, addr in ((h.user.binary, "USER_SERVICE_ADDR"), (h.dest.binary, "DEST_SERVICE_ADDR")):
        for value in ("ecomovex-development-internal-token", "CHANGE-ME" * 4, "ab" * 20):
            code, out = run(binary, addr, INTERNAL_TOKEN=value)
            assert code == 2 and "INTERNAL_TOKEN" in out, (binary, value, code, out)
    # the real secrets never reach a log line
    for d in (h.user, h.dest):
        text = d.log_text()
        assert h.env["JWT_SIGNING_KEY"] not in text and h.internal_token not in text, d.name


# ---- token keys (issue 19 item 2) ----

DEST_API = "/api/v1/destinations"
# what a deployment before issue 19 gave both daemons, and the development value of then
FORMER_SECRETS = (b"ecomovex-development-secret-not-for-production-use", secrets.token_urlsafe(36).encode())


def admin_ok(h, token):
    """(user-service, destination-service) statuses for an admin's token: GET /users/me, and
    an admin write on destination-service (DELETE of an id that does not exist: 404 once the
    token is accepted, 401 if not)."""
    u = h.get(api(h, "/users/me"), token=token).status
    d = h.request("DELETE", h.dest_url + DEST_API + "/987654321", token=token).status
    return u, d


def test_hs256_tokens_are_refused_by_both_daemons(h):
    h.admin_jwt()
    forged = [h.jwt(h.admin_id, role="admin", alg="HS256", hmac_key=s) for s in FORMER_SECRETS]
    forged += [h.jwt(h.admin_id, role="admin", header={"alg": "HS256", "typ": "JWT"}, hmac_key=s)
               for s in FORMER_SECRETS]
    # alg confusion: the public key (which every verifier holds) used as an HMAC key
    forged.append(h.jwt(h.admin_id, role="admin", alg="HS256", hmac_key=h.signing_key.public))
    for t in forged:
        assert admin_ok(h, t) == (401, 401), t
    assert admin_ok(h, h.jwt(h.admin_id, role="admin")) == (200, 404)  # while EdDSA ones work


def test_unknown_kid_and_tampered_signatures_are_401(h):
    h.admin_jwt()
    good = h.jwt(h.admin_id, role="admin")
    assert admin_ok(h, good) == (200, 404)  # the same token, unchanged, is accepted
    head, body, sig = good.split(".")
    raw = bytearray(ed25519.unb64url(sig))
    raw[5] ^= 1
    bad = {
        "unknown kid": h.jwt(h.admin_id, role="admin", kid="k-unknown"),
        "no kid": h.jwt(h.admin_id, role="admin", header={"alg": "EdDSA", "typ": "JWT"}),
        "another key under our kid": h.jwt(h.admin_id, role="admin", key=ed25519.Key.generate(h.signing_key.kid)),
        "tampered signature": head + "." + body + "." + ed25519.b64url(bytes(raw)),
        "signature of another token": head + "." + body + "." + h.jwt(h.admin_id, role="admin", ttl=60).split(".")[2],
    }
    for what, t in bad.items():
        assert admin_ok(h, t) == (401, 401), what


def test_destination_service_verifies_without_the_private_key(h):
    import subprocess
    from harness import free_port
    assert "JWT_SIGNING_KEY" not in h.dest.env and "JWT_SIGNING_KID" not in h.dest.env
    h.admin_jwt()
    assert admin_ok(h, h.jwt(h.admin_id, role="admin"))[1] == 404
    if not harness.WRAPPER:  # the daemon's own environment, as /proc shows it
        for d in (h.dest, h.user):
            with open("/proc/%d/environ" % d.proc.pid, "rb") as f:
                env = f.read()
            # user-service wipes the seed once read; destination-service never had it
            assert h.env["JWT_SIGNING_KEY"].encode() not in env, d.name
            assert b"JWT_VERIFY_KEYS=" in env, d.name
    # given the private key, destination-service refuses to start, naming it
    env = dict(h.dest.env, JWT_SIGNING_KEY=h.env["JWT_SIGNING_KEY"], DEST_SERVICE_ADDR="127.0.0.1:%d" % free_port())
    p = subprocess.run([h.dest.binary, "serve"], env=env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "JWT_SIGNING_KEY" in p.stderr, (p.returncode, p.stderr)


def test_keygen_prints_a_key_pair_the_daemons_accept(h):
    import subprocess
    p = subprocess.run([h.user.binary, "keygen", "k-test.1"], env=h.env, capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    lines = dict(l.split("=", 1) for l in p.stdout.splitlines() if not l.startswith("#"))
    k = ed25519.Key.from_env(lines)
    assert sorted(lines) == ["JWT_SIGNING_KEY", "JWT_SIGNING_KID", "JWT_VERIFY_KEYS"], p.stdout
    assert lines["JWT_SIGNING_KID"] == "k-test.1" and lines["JWT_VERIFY_KEYS"] == k.verify_entry(), p.stdout
    # what it prints is a configuration the daemons start with (compose .env, k8s Secret)
    env = h.env_for(h.dest.binary, JWT_VERIFY_KEYS=lines["JWT_VERIFY_KEYS"] + "," + h.verify_keys)
    assert start_briefly(h.dest.binary, dict(env, DEST_SERVICE_ADDR="127.0.0.1:%d" % harness.free_port()))[0] \
        == "running"
    again = subprocess.run([h.user.binary, "keygen"], env=h.env, capture_output=True, text=True, timeout=10)
    assert again.returncode == 0 and lines["JWT_SIGNING_KEY"] not in again.stdout  # a new key every time
    bad = subprocess.run([h.user.binary, "keygen", "no spaces"], env=h.env, capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2, bad.stdout


def test_keys_rotate_without_logging_anyone_out(h):
    """docs/security.md "Token keys": add the new public key everywhere, switch the signer,
    then (after JWT_TTL_SECONDS) drop the old public key."""
    h.admin_jwt()
    old, new = h.signing_key, ed25519.Key.generate("k-next")
    both = h.verify_keys + "," + new.verify_entry()
    old_token = h.jwt(h.admin_id, role="admin")
    new_token = h.jwt(h.admin_id, role="admin", key=new)
    assert admin_ok(h, new_token) == (401, 401)  # not listed yet
    try:
        # 1. every verifier lists both keys: tokens of either verify
        for d in (h.dest, h.user):
            d.stop()
            d.start(extra_env={"JWT_VERIFY_KEYS": both})
        assert admin_ok(h, new_token) == (200, 404)
        assert admin_ok(h, old_token) == (200, 404)
        # 2. the signer switches: new tokens carry the new kid, old ones still work
        h.user.stop()
        h.user.start(extra_env=dict(new.env(), JWT_VERIFY_KEYS=both))
        u = new_user(h)
        kid = json.loads(ed25519.unb64url(u["token"].split(".")[0]))["kid"]
        assert kid == "k-next", kid
        assert h.get(api(h, "/users/me"), token=u["token"]).status == 200
        assert admin_ok(h, old_token) == (200, 404)
        # 3. the old key is dropped: its tokens are refused, the new ones are not
        for d, extra in ((h.dest, {"JWT_VERIFY_KEYS": new.verify_entry()}),
                         (h.user, dict(new.env(), JWT_VERIFY_KEYS=new.verify_entry()))):
            d.stop()
            d.start(extra_env=extra)
        assert admin_ok(h, old_token) == (401, 401)
        assert admin_ok(h, new_token) == (200, 404)
        assert h.get(api(h, "/users/me"), token=u["token"]).status == 200
    finally:
        for d in (h.dest, h.user):
            d.stop()
            d.start()
    assert old.kid == h.signing_key.kid and admin_ok(h, old_token) == (200, 404)
