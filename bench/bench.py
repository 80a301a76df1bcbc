#!/usr/bin/env python3
"""The benchmark driver, run by bench/run.sh (`make bench`) once the clusters are up and migrated.

It loads the data set, starts both daemons and the bare evhttp server on free loopback ports,
drives wrk against each scenario and pgbench against the destinations cluster, samples each
daemon's RSS, checks that expand=destination costs one internal call, and prints the table and
the ratios (also written to bench/results/<UTC date-time>.md).

Environment (set by run.sh): ROOT, RUN_DIR, BIN_DIR, USER_DB_URL, DEST_DB_URL, PGBENCH_DB_URL,
JWT_SIGNING_KID/JWT_SIGNING_KEY/JWT_VERIFY_KEYS, INTERNAL_TOKEN, BARE_BIN; knobs: BENCH_SECONDS (10), BENCH_CONNECTIONS (64),
BENCH_THREADS (2), BENCH_LOG_LEVEL (info), BENCH_WORKERS (daemon default when unset),
BENCH_COMPARE_LOG (1 when BENCH_SECONDS <= 20: rerun two scenarios at the other log level),
BENCH_ONLY (scenario names' first words, comma-separated), BENCH_INDEX_WAIT (180: seconds to wait
after each start for destination-service's search index to hold every destination), BENCH_HOLD=1 (set up, write
run/bench/hold.env, wait for SIGTERM: for profiling by hand).
Standard library only.
"""
import base64
import datetime
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import ed25519  # noqa: E402  (tests/lib: Ed25519 through libsodium)

ROOT = os.environ["ROOT"]
RUN_DIR = os.environ["RUN_DIR"]
BIN_DIR = os.environ["BIN_DIR"]  # copies of build/'s binaries, made by run.sh
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "info")
WORKERS = os.environ.get("BENCH_WORKERS", "")
COMPARE_LOG = os.environ.get("BENCH_COMPARE_LOG", "1" if SECONDS <= 20 else "0") == "1"
HOLD = os.environ.get("BENCH_HOLD", "0") == "1"
ONLY = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
N_DEST = int(os.environ.get("BENCH_DESTINATIONS", "100000"))
N_USERS = int(os.environ.get("BENCH_USERS", "10000"))
INDEX_WAIT = float(os.environ.get("BENCH_INDEX_WAIT", "180"))
WARMUP_SECONDS = 2
MIB = 1024.0

LOG_DIR = os.path.join(RUN_DIR, "logs")
os.makedirs(LOG_DIR, exist_ok=True)
PIDS_FILE = os.path.join(RUN_DIR, "pids")  # run.sh's trap kills what is listed here


def say(msg):
    print("bench: " + msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, sql=None, file=None, variables=None):
    cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for k, v in (variables or {}).items():
        cmd += ["-v", "%s=%s" % (k, v)]
    cmd += [url] + (["-c", sql] if sql else ["-f", file])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("psql %s failed (%d): %s" % (file or sql[:80], out.returncode, out.stderr.strip()))
    return out.stdout.strip()


def owner_url(name):
    """The database owner's URL (USER_DB_MIGRATE_URL / DEST_DB_MIGRATE_URL): the bench data's
    TRUNCATE, sequences and ANALYZE need the owner; the daemons' runtime role may only read and
    write rows. Falls back to the runtime URL where no owner URL is set."""
    return os.environ.get(name + "_DB_MIGRATE_URL") or os.environ[name + "_DB_URL"]


def call(method, url, body=None, token=None, timeout=10):
    u = urllib.parse.urlsplit(url)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        hdrs["Authorization"] = "Bearer " + token
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(sub, key, ttl=6 * 3600):
    """A user token as user-service signs it (EdDSA under key's kid)."""
    now = int(time.time())
    return ed25519.token({"alg": "EdDSA", "typ": "JWT", "kid": key.kid},
                         {"sub": str(sub), "role": "user", "iat": now, "exp": now + ttl, "iss": "ecomovex", "ver": 0},
                         key=key)


# ---------------------------------------------------------------- processes

class Proc:
    """A daemon (or the bare server) with stdout to a log file; RSS read from /proc."""

    def __init__(self, name, argv, env, port):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.url = "http://127.0.0.1:%d" % port
        self.proc = None

    def start(self, ready_path="/readyz"):
        self.started = time.time()
        log = open(os.path.join(LOG_DIR, self.name + ".log"), "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        with open(PIDS_FILE, "a") as f:
            f.write("%d\n" % self.proc.pid)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s; see %s/%s.log" % (self.name, self.proc.returncode,
                                                                         LOG_DIR, self.name))
            try:
                if call("GET", self.url + ready_path, timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("%s not ready after 30 s" % self.name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def status_kib(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def rollup(self):
        """Anonymous memory and PSS (shared library pages divided among their users), KiB."""
        out = {}
        with open("/proc/%d/smaps_rollup" % self.proc.pid) as f:
            for line in f:
                k = line.split(":")[0]
                if k in ("Pss", "Anonymous"):
                    out[k] = int(line.split()[1])
        return out

    def metric(self, name, labels=None):
        text = call("GET", self.url + "/metrics")[1].decode()
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


class RssSampler(threading.Thread):
    """Polls VmRSS of the daemons every 100 ms; .peak[name] in KiB."""

    def __init__(self, procs):
        super().__init__(daemon=True)
        self.procs, self.peak, self.stop_flag = procs, {p.name: 0 for p in procs}, False

    def run(self):
        while not self.stop_flag:
            for p in self.procs:
                try:
                    self.peak[p.name] = max(self.peak[p.name], p.status_kib("VmRSS"))
                except OSError:
                    pass
            time.sleep(0.1)

    def finish(self):
        self.stop_flag = True
        self.join()
        return self.peak


# ---------------------------------------------------------------- load generators

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else None


def wrk(url, script, args=(), seconds=SECONDS, conns=CONNS):
    cmd = ["wrk", "-t%d" % min(THREADS, conns), "-c%d" % conns, "-d%ds" % seconds, "--latency", "--timeout", "5s",
           "-s", os.path.join("bench", script), url]
    if args:
        cmd += ["--"] + [str(a) for a in args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError("wrk failed: %s\n%s" % (out.stderr, out.stdout))
    text = out.stdout
    r = {"raw": text}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, text, re.M)
        r["p" + pct] = to_ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", text)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["sockerr"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"^STATUS (.*)$", text, re.M)
    r["statuses"] = m.group(1).strip() if m else ""
    return r


def pgbench(url, seconds=SECONDS):
    """pgbench -S -M prepared at wrk's concurrency; p50/p99 from the per-transaction log."""
    prefix = os.path.join(RUN_DIR, "pgbench_log")
    for f in os.listdir(RUN_DIR):
        if f.startswith("pgbench_log"):
            os.unlink(os.path.join(RUN_DIR, f))
    cmd = ["pgbench", "-n", "-S", "-M", "prepared", "-c", str(CONNS), "-j", str(THREADS), "-T", str(seconds),
           "-l", "--log-prefix=" + prefix, url]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=RUN_DIR)
    if out.returncode != 0:
        raise RuntimeError("pgbench failed: %s" % out.stderr)
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    lat = []
    for f in os.listdir(RUN_DIR):
        if f.startswith("pgbench_log"):
            with open(os.path.join(RUN_DIR, f)) as fh:
                lat += [int(line.split()[2]) / 1000.0 for line in fh if line.strip()]
    lat.sort()
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: None)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return {"rps": float(m.group(1)) if m else 0.0, "p50": pick(0.50), "p99": pick(0.99),
            "requests": len(lat), "non2xx": int(failed.group(1)) if failed else 0, "sockerr": 0,
            "statuses": "", "raw": out.stdout}


# ---------------------------------------------------------------- the run

class Bench:
    def __init__(self):
        self.secret = ed25519.Key.from_env(os.environ)  # user-service's signing key
        self.base_env = dict(os.environ)
        self.results = []    # (name, result dict or None, peak RSS KiB by daemon)
        self.notes = []
        self.user = self.dest = self.bare = None
        self.n_dest_rows = None  # destinations in the database: what the search index must hold
        self.index_loads = []    # one dict per start of destination-service (wait_index)

    def daemon_env(self, log_level, workers):
        env = dict(self.base_env)
        env.update({"DEST_SERVICE_ADDR": "127.0.0.1:%d" % self.dest_port,
                    "USER_SERVICE_ADDR": "127.0.0.1:%d" % self.user_port,
                    "DESTINATION_SERVICE_URL": "http://127.0.0.1:%d" % self.dest_port,
                    "MEDIA_DIR": os.path.join(RUN_DIR, "media"), "LOG_LEVEL": log_level})
        env.pop("WORKERS", None)
        if workers:
            env["WORKERS"] = workers
        return env

    def start_daemons(self, log_level=LOG_LEVEL, workers=WORKERS, wait_index=True, why="restart"):
        env = self.daemon_env(log_level, workers)
        self.dest = Proc("destination-service", [os.path.join(BIN_DIR, "destination-service"), "serve"],
                         ed25519.env_for("destination-service", env),
                         self.dest_port).start()
        self.user = Proc("user-service", [os.path.join(BIN_DIR, "user-service"), "serve"], env,
                         self.user_port).start()
        if wait_index:
            self.wait_index(why)

    def wait_index(self, why):
        """destination-service is ready before its in-memory search index is loaded (a background
        thread loads it; search and nearby answer from SQL meanwhile). Measuring search or nearby
        then would measure the fallback, so every start waits until search_index_documents equals
        the destinations in the database, and records how long that took and the RSS with it."""
        want = self.n_dest_rows
        deadline = self.dest.started + INDEX_WAIT
        docs = 0.0
        while True:
            try:
                docs = self.dest.metric("search_index_documents")
            except OSError:
                pass
            if docs == want or time.time() >= deadline:
                break
            time.sleep(0.1)
        took = time.time() - self.dest.started
        loaded = docs == want
        # The daemon's "search index: N destinations loaded in X ms" line comes from its loader
        # thread, whose log buffer may not be flushed yet: the size is read from the metric.
        log_ms = None
        index_bytes = self.dest.metric("search_index_bytes") if loaded else None
        try:
            with open(os.path.join(LOG_DIR, "destination-service.log"), errors="replace") as f:
                for m in re.finditer(r"search index: (\d+) destinations loaded in (\d+) ms \((\d+) KiB\)",
                                     f.read()):
                    log_ms = int(m.group(2))  # the last one: this start's
        except OSError:
            pass
        rec = {"why": why, "loaded": loaded, "docs": int(docs), "want": want, "seconds": took,
               "log_ms": log_ms if loaded else None,
               "index_kib": int(index_bytes / 1024) if index_bytes is not None else None,
               "rss": self.dest.status_kib("VmRSS"), "detail": self.dest.rollup()}
        self.index_loads.append(rec)
        if loaded:
            say("search index loaded: %d destinations in %.1f s after start (log: %s ms; search_index_bytes "
                "%s KiB); destination-service RSS %.1f MiB" % (docs, took, "-" if log_ms is None else log_ms,
                                                               rec["index_kib"], rec["rss"] / MIB))
        else:
            say("warning: search index holds %d of %d destinations after %.0f s; search and nearby may "
                "measure the SQL fallback" % (docs, want, took))
            self.notes.append("search index NOT loaded after %s (%d of %d destinations after %.0f s): search and "
                              "nearby figures may be the SQL fallback's" % (why, docs, want, took))
        return rec

    def stop_daemons(self):
        for p in (self.user, self.dest):
            if p:
                p.stop()

    def quiesce(self):
        """Waits until neither daemon has a request in flight: a slow scenario (search) leaves a
        queue behind when wrk stops, which would otherwise spill into the next one."""
        deadline = time.time() + 60
        while time.time() < deadline:
            if all(p.metric("http_requests_in_flight") == 0 for p in (self.user, self.dest) if p):
                return
            time.sleep(0.2)
        say("warning: requests still in flight after 60 s")

    def run(self, name, proc_url, script, args=(), daemons=True, conns=CONNS):
        if ONLY and name.split()[0] not in ONLY:
            return None
        self.quiesce()
        say("%-28s %d s ..." % (name, SECONDS))
        warm = wrk(proc_url, script, args, seconds=WARMUP_SECONDS, conns=conns) if script and WARMUP_SECONDS else None
        procs = [self.user, self.dest] if daemons else []
        sampler = RssSampler(procs)
        sampler.start()
        r = wrk(proc_url, script, args, conns=conns) if script else pgbench(os.environ["PGBENCH_DB_URL"])
        peaks = sampler.finish()
        r["warmup_requests"] = warm["requests"] if warm else 0
        say("    %.0f req/s, p50 %s ms, p99 %s ms, non-2xx %d %s" % (r["rps"], fmt(r["p50"]), fmt(r["p99"]),
                                                                   r["non2xx"], r["statuses"]))
        self.results.append((name, r, peaks))
        return r

    def main(self):
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = os.getloadavg()
        self.dest_port, self.user_port, bare_port = free_port(), free_port(), free_port()
        os.makedirs(os.path.join(RUN_DIR, "media"), exist_ok=True)

        # -- data: destinations first (the users data needs the highest destination id)
        say("loading %d destinations ..." % N_DEST)
        t0 = time.time()
        psql(owner_url("DEST"), file=os.path.join(ROOT, "bench", "data_destinations.sql"),
             variables={"n": N_DEST})
        max_dest = int(psql(os.environ["DEST_DB_URL"], "SELECT max(id) FROM destinations"))
        self.n_dest_rows = int(psql(os.environ["DEST_DB_URL"], "SELECT count(*) FROM destinations"))

        # -- daemons; idle RSS before any request but /readyz (destination-service's search index
        #    may still be loading then: its RSS with the index is recorded by wait_index)
        self.start_daemons(wait_index=False)
        time.sleep(0.5)
        self.idle = {p.name: p.status_kib("VmRSS") for p in (self.user, self.dest)}
        self.idle_detail = {p.name: p.rollup() for p in (self.user, self.dest)}
        self.idle_index_docs = int(self.dest.metric("search_index_documents"))
        say("idle RSS: " + ", ".join("%s %.1f MiB" % (k, v / MIB) for k, v in self.idle.items()) +
            " (search index then: %d of %d destinations)" % (self.idle_index_docs, self.n_dest_rows))
        self.wait_index("start-up")

        # -- one real registration: its argon2id hash is shared by the SQL-made users
        st, body = call("POST", self.user.url + "/api/v1/auth/register",
                        {"username": "bench_owner", "email": "bench_owner@example.com", "password": "Bench-pass-123"})
        if st != 201:
            raise RuntimeError("register answered %d: %s" % (st, body[:300]))
        me_token = json.loads(body)["access_token"]
        pw_hash = psql(os.environ["USER_DB_URL"], "SELECT password_hash FROM users WHERE username = 'bench_owner'")
        say("loading %d users with trips, reviews, plans ..." % N_USERS)
        psql(owner_url("USER"), file=os.path.join(ROOT, "bench", "data_users.sql"),
             variables={"n": N_USERS, "hash": pw_hash, "max_dest": max_dest})
        counts = psql(os.environ["USER_DB_URL"],
                      "SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM carbon_emissions)"
                      " || ' trips, ' || (SELECT count(*) FROM reviews) || ' reviews, ' ||"
                      " (SELECT count(*) FROM plans) || ' plans, ' || (SELECT count(*) FROM plan_destinations) ||"
                      " ' plan stops'")
        self.dataset = "%d destinations (ids 1..%d); %s" % (
            int(psql(os.environ["DEST_DB_URL"], "SELECT count(*) FROM destinations")), max_dest, counts)
        say("data set: %s (%.0f s)" % (self.dataset, time.time() - t0))

        # -- tokens for the writes: every bench user, minted with user-service's signing key
        tokens_file = os.path.join(RUN_DIR, "tokens.txt")
        ids = psql(os.environ["USER_DB_URL"], "SELECT id FROM users WHERE username LIKE 'bench\\_user\\_%' ORDER BY id")
        ids = [int(x) for x in ids.split()]
        with open(tokens_file, "w") as f:
            for uid in ids:
                f.write("%d %s\n" % (uid, mint(uid, self.secret)))
        plan_id, owner = psql(os.environ["USER_DB_URL"],
                              "SELECT id, user_id FROM plans WHERE place_name = 'Hành trình 20 điểm'").split("|")
        owner_token = mint(int(owner), self.secret)

        # -- the bare evhttp ceiling
        self.bare = Proc("bare_evhttp", [os.environ["BARE_BIN"], str(bare_port)], os.environ, bare_port)
        self.bare.start(ready_path="/")

        if HOLD:
            return self.hold(max_dest, tokens_file, me_token, plan_id, owner_token, bare_port)

        # -- scenarios
        self.run("bare-evhttp (ceiling)", self.bare.url, "healthz.lua", daemons=False)
        self.run("healthz", self.user.url, "healthz.lua")
        self.run("pgbench -S (ceiling)", None, None, daemons=False)
        self.run("destinations/{id}", self.dest.url, "dest_by_id.lua", [max_dest])
        self.run("destinations/{id} at 8 connections", self.dest.url, "dest_by_id.lua", [max_dest], conns=8)
        self.run("users/me", self.user.url, "users_me.lua", [me_token])
        st, _ = call("POST", self.user.url + "/api/v1/carbon",
                     {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 3.5}, token=owner_token)
        if st == 404:
            self.notes.append("POST /api/v1/carbon answered 404 (route not there yet): n/a")
            self.results.append(("carbon POST", None, {}))
        else:
            self.run("carbon POST", self.user.url, "carbon.lua", [tokens_file])
        hits0, miss0 = self.user.metric("dest_cache_hits_total"), self.user.metric("dest_cache_misses_total")
        self.run("reviews POST", self.user.url, "reviews.lua", [tokens_file, max_dest])
        hits, miss = self.user.metric("dest_cache_hits_total") - hits0, self.user.metric("dest_cache_misses_total") - miss0
        if hits + miss:
            self.notes.append("reviews: validation cache %d hits, %d misses (%.0f%% hit) during the timed run + "
                              "warm-up; each miss is one internal call" % (hits, miss, 100.0 * hits / (hits + miss)))
        self.run("nearby 5 km", self.dest.url, "nearby.lua")
        self.quiesce()
        self.expand_calls = self.expand_check(plan_id, owner_token)
        # every expand the user-service answered (wrk's count misses the requests still in flight when
        # it stops) against the batch calls destination-service received meanwhile
        internal = {"route": "/internal/v1/destinations"}
        expand_route = {"route": "/api/v1/plans/{id}/destinations", "method": "GET"}
        calls0, served0 = self.dest.metric("http_requests_total", internal), \
            self.user.metric("http_requests_total", expand_route)
        r = self.run("plans expand (20 stops)", self.user.url, "expand.lua", [plan_id, owner_token])
        if r:
            self.quiesce()
            calls = self.dest.metric("http_requests_total", internal) - calls0
            served = self.user.metric("http_requests_total", expand_route) - served0
            self.notes.append("plans expand: %d internal batch calls for %d expand requests served (warm-up "
                              "included, by user-service's counter): %s" % (
                                  calls, served, "one each" if calls == served else "NOT one each"))
        self.run("search ?q=", self.dest.url, "search.lua")
        self.quiesce()
        self.hwm = {p.name: p.status_kib("VmHWM") for p in (self.user, self.dest)}
        self.end_rss = {p.name: p.status_kib("VmRSS") for p in (self.user, self.dest)}

        # -- the access log's cost: healthz and destinations/{id} again, alternating the other log level
        #    and this one (other, this, other), so each level has two samples and the noise shows
        self.log_cmp = None
        if COMPARE_LOG and not ONLY:
            other = "warn" if LOG_LEVEL == "info" else "info"
            samples = {LOG_LEVEL: [(self.find("healthz"), self.find("destinations/{id}"))], other: []}
            for level in (other, LOG_LEVEL, other):
                self.stop_daemons()
                self.start_daemons(log_level=level)
                a = wrk(self.user.url, "healthz.lua")
                wrk(self.dest.url, "dest_by_id.lua", [max_dest], seconds=WARMUP_SECONDS)
                b = wrk(self.dest.url, "dest_by_id.lua", [max_dest])
                say("LOG_LEVEL=%s: healthz %.0f req/s, destinations/{id} %.0f req/s" % (level, a["rps"], b["rps"]))
                samples[level].append((a, b))
            self.log_cmp = (other, samples)

        self.report(started, load_before, os.getloadavg())

    def hold(self, max_dest, tokens_file, me_token, plan_id, owner_token, bare_port):
        """BENCH_HOLD=1: set everything up, write run/bench/hold.env, and wait for SIGTERM/SIGINT
        (for profiling by hand: perf, callgrind, other WORKERS)."""
        env = {"USER_DB_URL": os.environ["USER_DB_URL"], "DEST_DB_URL": os.environ["DEST_DB_URL"],
               "PGBENCH_DB_URL": os.environ["PGBENCH_DB_URL"],
               "JWT_VERIFY_KEYS": os.environ["JWT_VERIFY_KEYS"],
               "INTERNAL_TOKEN": os.environ["INTERNAL_TOKEN"], "USER_URL": self.user.url, "DEST_URL": self.dest.url,
               "BARE_URL": self.bare.url, "USER_PID": self.user.proc.pid, "DEST_PID": self.dest.proc.pid,
               "BARE_PID": self.bare.proc.pid, "MAX_DEST": max_dest, "TOKENS_FILE": tokens_file,
               "ME_TOKEN": me_token, "PLAN_ID": plan_id, "OWNER_TOKEN": owner_token}
        path = os.path.join(RUN_DIR, "hold.env")
        with open(path, "w") as f:
            for k, v in env.items():
                f.write("%s='%s'\n" % (k, v))
        say("holding: the stack is up, see %s; send SIGTERM to %d to tear it down" % (path, os.getpid()))
        while True:
            signal.pause()

    def expand_check(self, plan_id, token):
        label = {"route": "/internal/v1/destinations"}
        before = self.dest.metric("http_requests_total", label)
        st, body = call("GET", self.user.url + "/api/v1/plans/%s/destinations?expand=destination" % plan_id,
                        token=token)
        after = self.dest.metric("http_requests_total", label)
        items = json.loads(body).get("items", []) if st == 200 else []
        expanded = sum(1 for it in items if isinstance(it.get("destination"), dict))
        if expanded != len(items) or not items:
            self.notes.append("expand check answer (HTTP %d): %s" % (st, body[:400].decode("utf-8", "replace")))
        say("expand check: HTTP %d, %d stops, %d expanded, internal calls %d" % (st, len(items), expanded,
                                                                                after - before))
        return {"status": st, "stops": len(items), "expanded": expanded, "calls": int(after - before)}

    # ---------------------------------------------------------------- report

    def find(self, name):
        for n, r, _ in self.results:
            if n == name:
                return r
        return None

    def report(self, started, load_before, load_after):
        lines = []
        w = lines.append
        w("# EcomoveX bench — %s" % started.strftime("%Y-%m-%d %H:%M:%S UTC"))
        w("")
        w("- machine: %d CPUs (%s), %s; wrk, both daemons, the bare server and PostgreSQL share them" % (
            os.cpu_count(), cpu_model(), mem_total()))
        w("- load: wrk -t%d -c%d -d%ds --latency (warm-up %d s before each); pgbench -S -M prepared -c%d -j%d -T%d" % (
            THREADS, CONNS, SECONDS, WARMUP_SECONDS, CONNS, THREADS, SECONDS))
        w("- daemons: build/ (-O2 -g, no sanitizers), WORKERS=%s, LOG_LEVEL=%s (stdout to a file)" % (
            WORKERS or "default (2 x cores)", LOG_LEVEL))
        w("- data: %s" % self.dataset)
        w("- PostgreSQL: shared_buffers %s (BENCH_PG_SHARED_BUFFERS), synchronous_commit %s" % (
            psql(os.environ["PGBENCH_DB_URL"], "SHOW shared_buffers").strip(),
            psql(os.environ["PGBENCH_DB_URL"], "SHOW synchronous_commit").strip()))
        w("- load average before / after: %.2f / %.2f" % (load_before[0], load_after[0]))
        w("")
        w("| scenario | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | user-service peak RSS MiB | destination-service peak RSS MiB |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, r, peaks in self.results:
            if r is None:
                w("| %s | n/a | | | | | | | |" % name)
                continue
            non2xx = "%d" % r["non2xx"] + (" (%s)" % r["statuses"] if r["statuses"] else "")
            w("| %s | %.0f | %s | %s | %d | %s | %d | %s | %s |" % (
                name, r["rps"], fmt(r["p50"]), fmt(r["p99"]), r["requests"], non2xx, r["sockerr"],
                fmt_kib(peaks.get("user-service")), fmt_kib(peaks.get("destination-service"))))
        w("")
        w("Idle RSS after start-up: user-service %.1f MiB (anonymous %.1f, PSS %.1f), destination-service %.1f MiB "
          "(anonymous %.1f, PSS %.1f): most of RSS is shared library pages (libpq, libcurl and what they load). " % (
              self.idle["user-service"] / MIB, self.idle_detail["user-service"]["Anonymous"] / MIB,
              self.idle_detail["user-service"]["Pss"] / MIB, self.idle["destination-service"] / MIB,
              self.idle_detail["destination-service"]["Anonymous"] / MIB,
              self.idle_detail["destination-service"]["Pss"] / MIB))
        w("VmHWM at the end: user-service %.1f MiB, destination-service %.1f MiB (user-service's includes one "
          "argon2id registration, 19 MiB, before the load; peak columns above are VmRSS sampled every 100 ms). "
          "VmRSS at the end: user-service %.1f MiB, destination-service %.1f MiB." % (
              self.hwm["user-service"] / MIB, self.hwm["destination-service"] / MIB,
              self.end_rss["user-service"] / MIB, self.end_rss["destination-service"] / MIB))
        w("")
        w("Idle RSS is read 0.5 s after /readyz; destination-service's search index then held %d of %d "
          "destinations. Search index, each start of destination-service (waited for before any scenario; "
          "seconds from the process start until search_index_documents equals the destinations count):" % (
              self.idle_index_docs, self.n_dest_rows))
        w("")
        w("| start | destinations in the index | loaded after s | load (log line) ms | search_index_bytes KiB | "
          "destination-service RSS MiB with the index | anonymous MiB |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        for x in self.index_loads:
            w("| %s | %d of %d%s | %.1f | %s | %s | %.1f | %.1f |" % (
                x["why"], x["docs"], x["want"], "" if x["loaded"] else " (**NOT loaded**)", x["seconds"],
                "-" if x["log_ms"] is None else x["log_ms"], "-" if x["index_kib"] is None else x["index_kib"],
                x["rss"] / MIB, x["detail"].get("Anonymous", 0) / MIB))
        w("")
        w("## Ratios and targets")
        w("")
        w("| check | measured | target | verdict |")
        w("|---|---:|---:|---|")

        def ratio_row(label, num, den, target):
            a, b = self.find(num), self.find(den)
            if not a or not b or not b["rps"]:
                w("| %s | n/a | >= %.2f | not measured |" % (label, target))
                return
            x = a["rps"] / b["rps"]
            w("| %s | %.3f | >= %.2f | %s |" % (label, x, target, verdict(x >= target, x / target)))

        ratio_row("healthz / bare evhttp", "healthz", "bare-evhttp (ceiling)", 0.85)
        ratio_row("destinations/{id} / pgbench -S tps", "destinations/{id}", "pgbench -S (ceiling)", 0.35)
        d = self.find("destinations/{id}")
        if d and d["p99"] is not None:
            w("| destinations/{id} p99 at %d connections | %.2f ms | <= 5 ms | %s |" % (
                CONNS, d["p99"], verdict(d["p99"] <= 5.0, 5.0 / d["p99"] if d["p99"] else 1)))
        ratio_row("search ?q= / destinations/{id}", "search ?q=", "destinations/{id}", 0.15)
        s = self.find("search ?q=")
        if s and s["p99"] is not None:
            w("| search ?q= p99 at %d connections | %.2f ms | <= 50 ms | %s |" % (
                CONNS, s["p99"], verdict(s["p99"] <= 50.0, 50.0 / s["p99"] if s["p99"] else 1)))
        else:
            w("| search ?q= p99 at %d connections | n/a | <= 50 ms | not measured |" % CONNS)
        ratio_row("nearby 5 km / destinations/{id}", "nearby 5 km", "destinations/{id}", 0.40)
        pg = self.find("pgbench -S (ceiling)")
        if d and pg and d["p99"] is not None and pg["p99"]:
            x = d["p99"] / pg["p99"]
            w("| destinations/{id} p99 / pgbench -S p99 (pgbench's p99: every transaction of its timed run, "
              "from its per-transaction log, -l) | %.2f (%.2f / %.2f ms) | <= 1.5 | %s |" % (
                  x, d["p99"], pg["p99"], verdict(x <= 1.5, 1.5 / x if x else 1)))
        else:
            w("| destinations/{id} p99 / pgbench -S p99 | n/a | <= 1.5 | not measured |")
        ratio_row("reviews POST / carbon POST", "reviews POST", "carbon POST", 0.60)
        e = self.expand_calls
        w("| expand=destination, 20-stop plan: internal calls | %d (HTTP %d, %d/%d expanded) | 1 | %s |" % (
            e["calls"], e["status"], e["expanded"], e["stops"], "met" if e["calls"] == 1 and e["status"] == 200 else "NOT MET"))
        for name in ("user-service", "destination-service"):
            idle = self.idle[name] / MIB
            w("| %s idle RSS | %.1f MiB | <= 8 MiB | %s |" % (name, idle, verdict(idle <= 8, 8 / idle)))
            peak = max([p.get(name, 0) for _, r, p in self.results if r is not None] or [0]) / MIB
            w("| %s peak RSS under load | %.1f MiB | <= 64 MiB | %s |" % (name, peak, verdict(peak <= 64, 64 / peak if peak else 1)))
        errors = [(n, r) for n, r, _ in self.results if r and (r["sockerr"] or
                                                                    (r["non2xx"] and not n.startswith("reviews")))]
        w("| errors (non-2xx outside reviews' rare 409s, socket errors) | %s | none | %s |" % (
            ", ".join("%s: %d non-2xx, %d socket" % (n, r["non2xx"], r["sockerr"]) for n, r in errors) or "none",
            "met" if not errors else "NOT MET"))
        w("")
        if self.log_cmp:
            other, samples = self.log_cmp
            w("## Access log cost (same run; daemons restarted, levels alternated: %s, %s, %s)" % (
                other, LOG_LEVEL, other))
            w("")
            w("| scenario | LOG_LEVEL=%s req/s (samples) | LOG_LEVEL=%s req/s (samples) | change of the means |" % (
                LOG_LEVEL, other))
            w("|---|---:|---:|---:|")
            for i, name in enumerate(("healthz", "destinations/{id}")):
                a = [x[i]["rps"] for x in samples[LOG_LEVEL] if x[i]]
                b = [x[i]["rps"] for x in samples[other] if x[i]]
                if a and b:
                    ma, mb = sum(a) / len(a), sum(b) / len(b)
                    w("| %s | %.0f (%s) | %.0f (%s) | %+.1f%% |" % (name, ma, " ".join("%.0f" % x for x in a), mb,
                                                                  " ".join("%.0f" % x for x in b), pct(mb, ma)))
            w("")
            w("On this shared machine two samples of the same setting can differ by 10-40%; see "
              "docs/performance.md for the instruction counts (callgrind), which are stable.")
            w("")
        if self.notes:
            w("## Notes")
            w("")
            for n in self.notes:
                w("- " + n)
            w("")
        text = "\n".join(lines)
        print("\n" + text, flush=True)
        out_dir = os.path.join(ROOT, "bench", "results")
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, started.strftime("%Y-%m-%dT%H%M%SZ") + ("-%ds" % SECONDS) + ".md")
        with open(path, "w") as f:
            f.write(text + "\n\n<details><summary>raw wrk / pgbench output</summary>\n\n```\n")
            for name, r, _ in self.results:
                if r:
                    f.write("== %s\n%s\n" % (name, r["raw"]))
            f.write("```\n</details>\n")
        say("written to %s" % os.path.relpath(path, ROOT))


def fmt(x):
    return "-" if x is None else ("%.2f" % x if x < 100 else "%.0f" % x)


def fmt_kib(k):
    return "-" if not k else "%.1f" % (k / MIB)


def pct(new, old):
    return 100.0 * (new - old) / old if old else 0.0


def verdict(ok, factor):
    return "met" if ok else "**not met** (%.0f%% of target)" % (100.0 * factor)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def mem_total():
    with open("/proc/meminfo") as f:
        return "%.0f GiB RAM" % (int(f.readline().split()[1]) / 1024.0 / 1024.0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    b = Bench()
    try:
        b.main()
    finally:
        for p in (b.user, b.dest, b.bare):
            if p:
                p.stop()
