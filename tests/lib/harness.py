"""Integration harness: both daemons on free ports over the private PostgreSQL clusters.

tests/run.sh starts the clusters, creates and migrates the databases, and runs
runner.py, which builds one Harness and passes it to every test function
(`def test_something(h):`). Besides the Python standard library, only Debian's python3-yaml
and python3-jsonschema, for openapi_check: every answer `request` receives is checked
against docs/openapi.yaml, and the runner fails a test that received one that does not match.
"""
import base64
import http.client
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import time
import urllib.parse

import ed25519
import openapi_check

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# DAEMON_WRAPPER (e.g. "valgrind --tool=memcheck ...", see tests/memcheck.sh) is put in front of
# every daemon command. Such a wrapper makes start-up and shut-down many times slower, so the
# readiness and stop timeouts are multiplied by WRAPPER_SLOWDOWN (default 8 with a wrapper).
WRAPPER = shlex.split(os.environ.get("DAEMON_WRAPPER", ""))
SLOWDOWN = float(os.environ.get("WRAPPER_SLOWDOWN", "8")) if WRAPPER else 1.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Daemon:
    """One daemon process with its stdout captured to a file."""

    def __init__(self, name, binary, env, log_path):
        # only user-service holds the signing key; destination-service refuses to start with it
        env = ed25519.env_for(binary, env)
        self.name, self.binary, self.env, self.log_path = name, binary, env, log_path
        self.proc = None

    def start(self, extra_env=None, wait_ready=True):
        env = dict(self.env)
        env.update(extra_env or {})
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(WRAPPER + [self.binary, "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=30):
        timeout *= SLOWDOWN
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s; see %s" % (self.name, self.proc.returncode, self.log_path))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("%s not ready after %ss" % (self.name, timeout))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout * SLOWDOWN)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
        finally:
            self.log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        """CPU time (user + system, all threads) the daemon has used so far, from /proc: what
        tests compare when they ask how much work a request cost, since the wall time of one
        request on a shared machine varies far more than the work does."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Harness:
    def __init__(self):
        self.build = os.path.join(ROOT, os.environ.get("BUILD", "build"))
        self.run_dir = os.environ["TEST_RUN_DIR"]
        self.user_db_url = os.environ["USER_DB_URL"]
        self.dest_db_url = os.environ["DEST_DB_URL"]
        # the daemons serve as the runtime role (DML only); migrate runs as the owner; the
        # tests' own SQL (set-up, inspection, faults) as the cluster's superuser
        self.user_db_migrate_url = os.environ.get("USER_DB_MIGRATE_URL", self.user_db_url)
        self.dest_db_migrate_url = os.environ.get("DEST_DB_MIGRATE_URL", self.dest_db_url)
        self.user_db_admin_url = os.environ.get("USER_DB_ADMIN_URL", self.user_db_url)
        self.dest_db_admin_url = os.environ.get("DEST_DB_ADMIN_URL", self.dest_db_url)
        # user-service's signing key (JWT_SIGNING_KID/KEY) and every verifier's JWT_VERIFY_KEYS
        # (tests/run.sh generates them into secrets.env through scripts/env.sh)
        self.signing_key = ed25519.Key.from_env(os.environ)
        self.verify_keys = os.environ["JWT_VERIFY_KEYS"]
        self.internal_token = os.environ["INTERNAL_TOKEN"]
        self.issuer = "ecomovex"
        self.log_dir = os.path.join(self.run_dir, "logs")
        os.makedirs(self.log_dir, exist_ok=True)
        self.media_dir = os.path.join(self.run_dir, "media")
        os.makedirs(self.media_dir, exist_ok=True)
        dport, uport = free_port(), free_port()
        self.dest_url = "http://127.0.0.1:%d" % dport
        self.user_url = "http://127.0.0.1:%d" % uport
        base = {k: v for k, v in os.environ.items()}
        base.update({
            "JWT_VERIFY_KEYS": self.verify_keys, "INTERNAL_TOKEN": self.internal_token,
            "USER_DB_URL": self.user_db_url, "DEST_DB_URL": self.dest_db_url,
            "DEST_SERVICE_ADDR": "127.0.0.1:%d" % dport, "USER_SERVICE_ADDR": "127.0.0.1:%d" % uport,
            "DESTINATION_SERVICE_URL": self.dest_url, "USER_SERVICE_URL": self.user_url,
            "MEDIA_DIR": self.media_dir,
            "WORKERS": os.environ.get("TEST_WORKERS", "4"),  # tests/memcheck.sh: 2
            "HTTP_IDLE_TIMEOUT_SECONDS": "2", "SHUTDOWN_GRACE_SECONDS": "5",
            "LOG_LEVEL": "info",
            # fast password hashing in tests, below OWASP's floor, so development mode (which
            # allows it, on loopback only); production uses the argon2id defaults
            "PASSWORD_OPSLIMIT": "1", "PASSWORD_MEMLIMIT_KIB": "8", "ECOMOVEX_DEV": "1",
            # the hash threads run at nice 10: on a machine busy with other work a login can
            # wait past the 300 ms default and be shed with 503, which the fault suite's "no
            # 5xx on user-only routes" would count against the outage it tests (test_abuse's
            # flood, which tests the shedding, sets its own wait)
            "PASSWORD_WAIT_MS": "3000",
            # every test client is 127.0.0.1: a per-address login limit would make the suites
            # depend on each other's failed logins (test_abuse sets its own limits)
            "LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "0", "REGISTER_MAX_PER_ADDRESS": "0",
        })
        base.update(self.signing_key.env())
        base.pop("JWT_SECRET", None)  # the former HS256 key: both daemons refuse it
        self.env = base  # user-service's; env_for(binary) gives any daemon's
        self.dest = Daemon("destination-service", os.path.join(self.build, "destination-service"), base,
                           os.path.join(self.log_dir, "destination-service.log"))
        self.dest.port = dport
        self.user = Daemon("user-service", os.path.join(self.build, "user-service"), base,
                           os.path.join(self.log_dir, "user-service.log"))
        self.user.port = uport
        self.contract = openapi_check.contract(ROOT)
        self.violations = []  # of the contract, by answers of the current test (runner.py)

    # ---- lifecycle ----
    def daemons(self):
        """The daemons this run uses: SERVICES (default both) lets one side be tested alone."""
        wanted = os.environ.get("SERVICES", "destination-service user-service").split()
        return [d for d in (self.dest, self.user) if d.name in wanted]

    def start(self):
        for d in self.daemons():
            d.start()

    def stop(self):
        codes = {}
        for d in reversed(self.daemons()):
            codes[d.name] = d.stop()
        return codes

    def ensure_up(self):
        """Restarts a daemon a test left stopped, so later tests see both."""
        for d in self.daemons():
            if not d.alive():
                d.start()

    # ---- HTTP ----
    def request(self, method, url, body=None, headers=None, token=None, timeout=15, raw=None, contract=True):
        """url is absolute. body: dict/list (sent as JSON), bytes or str (sent as is).
        contract=False: the answer is not a daemon's (a test's stand-in upstream, or the
        gateway refusing a path it does not route), so docs/openapi.yaml does not describe it."""
        u = urllib.parse.urlsplit(url)
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = body
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        try:
            path = u.path + ("?" + u.query if u.query else "")
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            c.close()
        if contract:
            self.violations.extend(self.contract.check(method, url, resp.status, resp.headers, resp.body))
        return resp

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, body=None, **kw):
        return self.request("POST", url, body, **kw)

    def raw(self, port, data, timeout=5, read=True):
        """Sends raw bytes on a fresh connection; returns what came back (until close or timeout)."""
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        try:
            s.sendall(data)
            out = b""
            if read:
                while True:
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        break
                    if not chunk:
                        break
                    out += chunk
            return out
        finally:
            s.close()

    def root(self, rel):
        return os.path.join(ROOT, rel)

    # ---- databases ----
    def psql(self, db, sql, url=None):
        """Runs sql as the cluster's superuser (or as url) and returns its output."""
        url = url or (self.user_db_admin_url if db == "users" else self.dest_db_admin_url)
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def pg(self, action, name):
        subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), action, self.run_dir, name], check=True,
                       capture_output=True)

    # ---- tokens ----
    def admin_jwt(self):
        """A token of a real administrator: destination-service asks user-service whether an
        admin token is still in force (issue 19), so a forged one of a user that does not exist
        no longer opens admin writes. The account is made once per run, straight in SQL."""
        if getattr(self, "_admin_token", None) is None:
            name = "harness-admin-" + secrets.token_hex(6)
            uid = int(self.psql("users", "INSERT INTO users (username, email, password_hash, role) "
                                         "VALUES ('%s', '%s@example.com', 'x', 'admin') RETURNING id"
                                % (name, name)).splitlines()[0])
            self._admin_token = self.jwt(uid, role="admin", ttl=24 * 3600)
            self.admin_id = uid
        return self._admin_token

    def env_for(self, binary, **extra):
        """The environment to run binary (a path or name) with: destination-service's has no
        signing key."""
        return ed25519.env_for(binary, dict(self.env, **extra))

    def jwt(self, sub, role="user", ttl=3600, key=None, alg="EdDSA", iss=None, ver=0, header=None, payload=None,
            kid=None, hmac_key=None):
        """A token as user-service makes it, or a variation: key (an ed25519.Key) signs instead
        of user-service's key, kid replaces the header's kid, and any alg but EdDSA is signed
        with HMAC-SHA256 under hmac_key (forgeries the daemons must refuse)."""
        now = int(time.time())
        key = key or self.signing_key
        hdr = header if header is not None else {"alg": alg, "typ": "JWT", "kid": kid or key.kid}
        pl = payload if payload is not None else {"sub": str(sub), "role": role, "iat": now, "exp": now + ttl,
                                                  "iss": iss or self.issuer, "ver": ver}
        return ed25519.token(hdr, pl, key=key, hmac_key=hmac_key)

    def metric(self, base_url, name, labels=None):
        """Sum of the samples of metric name whose labels include all of labels."""
        text = self.get(base_url + "/metrics").body.decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            rest = line[len(name):]
            if rest and rest[0] not in "{ ":
                continue
            if labels and not all('%s="%s"' % kv in rest for kv in labels.items()):
                continue
            total += float(line.rsplit(" ", 1)[1])
        return total


def problem_ok(resp, status):
    """Asserts resp is an RFC 9457 problem with this status; returns its JSON."""
    assert resp.status == status, "expected %d, got %r" % (status, resp)
    assert resp.header("content-type", ).startswith("application/problem+json"), resp.headers
    p = resp.json()
    assert p["status"] == status and p["title"] and "detail" in p, p
    # A stable kind (docs/problems.md) and this occurrence, findable in the log by request id.
    assert p["type"].startswith("urn:ecomovex:problem:"), p
    assert p.get("instance") == "urn:ecomovex:request:%s" % resp.header("X-Request-ID"), (p, resp.headers)
    return p
