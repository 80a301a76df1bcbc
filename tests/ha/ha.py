"""tests/ha: scale-out and fail-over under load (make test-ha; tests/ha/run.sh sets up the
two clusters and calls this). Python standard library only.

1. Replicas: two user-service and two destination-service processes behind nginx running
   deploy/gateway/nginx.conf (two `server`s per upstream). A mixed load (reads; POST
   /api/v1/carbon, each tagged by its distance) goes through the gateway while one replica of
   each service is SIGKILLed and restarted, then all four are restarted one at a time
   (SIGTERM, wait for /readyz 200, next). Every answer is counted; the tagged rows are
   counted in the database.
2. Fail-over: a hot standby of the users cluster (pg_basebackup -R, streaming, synchronous),
   both hosts in user-service's URL with target_session_attrs=read-write. Under a write load
   (register, trips, reviews) the primary is stopped (-m immediate) and the standby promoted.

Everything started here is stopped in `finally`, also when a check fails.
"""
import http.client
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [os.path.join(_TESTS, "lib"), os.path.join(_TESTS, "integration")]  # openapi_check
from harness import ROOT, Daemon, free_port  # noqa: E402
from gateway import Gateway  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
RUN_DIR = os.environ["TEST_RUN_DIR"]
LOG_DIR = os.path.join(RUN_DIR, "logs")
PASSWORD = "correct horse battery"
DEADLINE_S = 4.0  # a client's deadline for one answer
STANDBY_NAME = "ha_standby"
IS_ROOT = os.getuid() == 0

results = []  # (name, ok, detail)


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, (": " + detail) if detail else ""), flush=True)


# ---------------------------------------------------------------- ports and processes

_next_port = [int(os.environ.get("HA_PORT_BASE", "0") or 0)]


def port():
    if not _next_port[0]:
        return free_port()
    _next_port[0] += 1
    return _next_port[0] - 1


def pgbin(prog):
    vers = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int)
    return os.path.join("/usr/lib/postgresql", vers[-1], "bin", prog)


def as_postgres(argv, **kw):
    if IS_ROOT:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    return subprocess.run(argv, cwd="/", capture_output=True, text=True, timeout=kw.pop("timeout", 60), **kw)


def conninfo_host(conninfo):
    for part in conninfo.split():
        if part.startswith("host="):
            return part[5:]
    raise ValueError("no host= in " + conninfo)


def psql(host, sql, db="ecomovex_users", port_=5432):
    out = subprocess.run([pgbin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port_),
                          "-U", "postgres", "-d", db, "-c", sql], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError("psql: " + out.stderr.strip())
    return out.stdout.strip()


class Standby:
    """A hot standby of a primary (users, or destinations) in its own /tmp directory (owned
    by postgres); name is its application_name on the primary."""

    def __init__(self, primary_host, name=None):
        self.primary = primary_host
        self.name = name or STANDBY_NAME
        self.base = tempfile.mkdtemp(prefix="ecomovex-ha-standby.", dir="/tmp")
        if IS_ROOT:
            shutil.chown(self.base, "postgres")
        os.chmod(self.base, 0o700)
        self.data = os.path.join(self.base, "data")
        self.host = self.base

    def create(self):
        r = as_postgres([pgbin("pg_basebackup"), "-D", self.data, "-R", "-X", "stream", "-c", "fast",
                         "-h", self.primary, "-p", "5432", "-U", "postgres", "-w"], timeout=120)
        if r.returncode != 0:
            raise RuntimeError("pg_basebackup: " + r.stderr)
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            f.write("\n# tests/ha: the standby's own socket, and a name the primary waits for\n"
                    "unix_socket_directories = '%s'\nlisten_addresses = ''\nhot_standby = on\n"
                    "primary_conninfo = 'host=%s port=5432 user=postgres application_name=%s'\n"
                    % (self.base, self.primary, self.name))
        r = as_postgres([pgbin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.base, "postgres.log"), "-w",
                         "-t", "60", "start"], timeout=90)
        if r.returncode != 0:
            raise RuntimeError("standby start: " + r.stderr + r.stdout)

    def promote(self):
        r = as_postgres([pgbin("pg_ctl"), "-D", self.data, "-w", "-t", "30", "promote"])
        if r.returncode != 0:
            raise RuntimeError("promote: " + r.stderr + r.stdout)

    def destroy(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            as_postgres([pgbin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.base, ignore_errors=True)


def daemon(name, binary, env, port_):
    d = Daemon(name, os.path.join(BUILD, binary), env, os.path.join(LOG_DIR, name + ".log"))
    d.port = port_
    return d


def kill(d, sig):
    """Signals d and waits for it to exit (the harness's stop, for any signal)."""
    d.stop(sig=sig, timeout=15)


# ---------------------------------------------------------------- HTTP load

class Client:
    """One keep-alive connection to the gateway; request() never raises."""

    def __init__(self, port_):
        self.port = port_
        self.conn = None

    def request(self, method, path, body=None, token=None):
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        data = json.dumps(body).encode() if body is not None else None
        t0 = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE_S)
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            raw = r.read()
            status, retry_after = r.status, r.getheader("Retry-After")
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except Exception as e:  # connection error or the deadline: a failed request
            if self.conn:
                self.conn.close()
            self.conn = None
            return {"t0": t0, "t1": time.monotonic(), "method": method, "path": path, "status": 0,
                    "error": type(e).__name__, "retry_after": None, "body": b""}
        return {"t0": t0, "t1": time.monotonic(), "method": method, "path": path, "status": status,
                "error": None, "retry_after": retry_after, "body": raw}


def register(client, name):
    r = client.request("POST", "/api/v1/auth/register", {"username": name, "email": name + "@example.com",
                                                         "password": PASSWORD})
    if r["status"] == 201:
        b = json.loads(r["body"])
        return r, b["user"]["id"], b["access_token"]
    return r, None, None


class Load:
    """Client threads running fn(client, stop_event, record) until stopped."""

    def __init__(self, port_):
        self.port = port_
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = []
        self.threads = []

    def record(self, a, **tags):
        a.update(tags)
        with self.lock:
            self.answers.append(a)

    def add(self, fn, *args):
        t = threading.Thread(target=self._run, args=(fn,) + args, daemon=True)
        self.threads.append(t)

    def _run(self, fn, *args):
        c = Client(self.port)
        try:
            fn(c, self, *args)
        except Exception:
            traceback.print_exc()

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(DEADLINE_S * 3)


def pause(a, s):
    """A client's pause between requests: longer after a refusal, as a client honouring
    Retry-After would wait (shortened to 0.2 s so that the recovery is measured finely).
    Register and login pass the gateway's per-address limit (10/s) otherwise: the two writers
    that register stay near 4/s each (register_writer every 0.25 s, review_writer every 4th
    review at 0.05 s), so that a fast machine does not reach the limit (it did at 0.15 and
    0.02 s: a 429 in the fail-over window)."""
    time.sleep(0.2 if a["status"] != 201 else s)


def failed(a):
    return a["status"] == 0 or a["status"] >= 500


# ---------------------------------------------------------------- 1. replicas

def reader(c, load, paths):
    i = 0
    while not load.stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        load.record(c.request("GET", path[0], token=path[1]), kind="read")
        time.sleep(0.01)


def trip_writer(c, load, uid, token, offset):
    n = 0
    while not load.stop.is_set():
        n += 1
        dist = "%d.5" % (offset + n)  # the tag: unique per user
        a = c.request("POST", "/api/v1/carbon", {"vehicle_type": "bus", "fuel_type": "diesel",
                                                 "distance_km": float(dist)}, token=token)
        load.record(a, kind="trip", uid=uid, tag=dist)
        pause(a, 0.01)


def part_replicas(env, users_host, gw_port, users, dests):
    setup = Client(gw_port)
    writers = []
    for i in range(2):
        r, uid, tok = register(setup, "hawriter%d%d" % (i, int(time.time())))
        if uid is None:
            raise RuntimeError("register through the gateway: %r" % r)
        writers.append((uid, tok))
    load = Load(gw_port)
    reads = [("/api/v1/destinations/%d" % i, None) for i in (1, 2, 3)] + \
            [("/api/v1/carbon", writers[0][1]), ("/api/v1/users/me", writers[1][1]),
             ("/api/v1/destinations?limit=5", None)]
    for k in range(2):
        load.add(reader, reads[k:] + reads[:k])
    for i, (uid, tok) in enumerate(writers):
        load.add(trip_writer, uid, tok, 0)
    load.start()
    time.sleep(1.5)
    # ---- kills: one replica of each service, then back
    t_kill = time.monotonic()
    kill(users[0], signal.SIGKILL)
    kill(dests[0], signal.SIGKILL)
    time.sleep(1.0)
    users[0].start()
    dests[0].start()
    time.sleep(1.0)
    t_roll = time.monotonic()
    # ---- rolling restart: one at a time, the next only once it is ready again
    for d in (users[0], users[1], dests[0], dests[1]):
        kill(d, signal.SIGTERM)
        d.start()  # waits for /readyz 200
        time.sleep(0.5)
    t_end = time.monotonic()
    time.sleep(0.5)
    load.finish()

    during_kill = [a for a in load.answers if t_kill <= a["t0"] < t_roll]
    during_roll = [a for a in load.answers if t_roll <= a["t0"] < t_end]
    kill_failed_reads = [a for a in during_kill if a["method"] == "GET" and failed(a)]
    kill_failed_writes = [a for a in during_kill if a["method"] != "GET" and failed(a)]
    roll_failed = [a for a in during_roll if failed(a)]
    others = [a for a in load.answers if not failed(a) and a["status"] >= 400]
    check("replicas: rolling restart, every request answered (%d requests, %d failed)"
          % (len(during_roll), len(roll_failed)), not roll_failed, _sample(roll_failed))
    check("replicas: SIGKILL of a replica of each, no idempotent request failed (%d reads, %d failed)"
          % (len([a for a in during_kill if a["method"] == "GET"]), len(kill_failed_reads)),
          not kill_failed_reads, _sample(kill_failed_reads))
    check("replicas: no 4xx under load", not others, _sample(others))
    # ---- the database: every acknowledged trip once, none twice
    ok_tags = {(a["uid"], a["tag"]) for a in load.answers if a["kind"] == "trip" and a["status"] == 201}
    rows = psql(users_host, "SELECT user_id, distance_km, count(*) FROM carbon_emissions WHERE user_id IN (%s) "
                            "GROUP BY 1, 2" % ",".join(str(u) for u, _ in writers))
    counts = {}
    for line in rows.splitlines():
        u, dist, n = line.split("|")
        counts[(int(u), "%.1f" % float(dist))] = int(n)
    twice = [k for k, n in counts.items() if n > 1]
    missing = [k for k in ok_tags if counts.get(k, 0) != 1]
    writes = len([a for a in load.answers if a["kind"] == "trip"])
    check("replicas: %d writes, %d answered 201, %d rows; none applied twice, every 201 stored"
          % (writes, len(ok_tags), sum(counts.values())), not twice and not missing,
          "twice %s, missing %s" % (twice[:5], missing[:5]))
    n = len(during_kill) + len(during_roll)
    f = len(kill_failed_reads) + len(roll_failed)
    print("replicas: writes sent during the kills: %d, not acknowledged (5xx or no answer; a POST is never "
          "retried): %d" % (len([a for a in during_kill if a["method"] != "GET"]), len(kill_failed_writes)))
    return n, f


def _sample(answers):
    return "; ".join("%s %s -> %s%s" % (a["method"], a["path"], a["status"], " " + a["error"] if a["error"] else "")
                     for a in answers[:5])


# ---------------------------------------------------------------- 2. fail-over

def register_writer(c, load, prefix):
    n = 0
    while not load.stop.is_set():
        n += 1
        name = "%s%d" % (prefix, n)
        r, _, _ = register(c, name)
        load.record(r, kind="register", tag=name)
        pause(r, 0.25)


def review_writer(c, load, prefix):
    """One review per (fresh user, destination 1..4): each review is tagged by its content."""
    uid = tok = None
    n = 0
    after_503 = False
    while not load.stop.is_set():
        if uid is None or n % 4 == 0:
            r, uid2, tok2 = register(c, "%su%d" % (prefix, n))
            if r["status"] == 409 and after_503:
                # The 503 before was a commit in flight when the primary stopped: it committed
                # all the same (its answer went with the connection). Settled; a fresh name.
                load.record(r, kind="settled", tag="%su%d" % (prefix, n))
                uid, after_503, n = None, False, n + 1
                continue
            load.record(r, kind="register", tag="%su%d" % (prefix, n))
            after_503 = r["status"] == 503
            if uid2 is None:
                pause(r, 0.05)
                continue
            uid, tok = uid2, tok2
        n += 1
        tag = "%s-%d" % (prefix, n)
        a = c.request("POST", "/api/v1/reviews", {"destination_id": (n - 1) % 4 + 1, "rating": 4, "content": tag},
                      token=tok)
        load.record(a, kind="review", tag=tag)
        pause(a, 0.05)


def readyz_poller(stop, port_, out):
    while not stop.is_set():
        t = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port_, timeout=2)
            c.request("GET", "/readyz")
            s = c.getresponse().status
            c.close()
        except OSError:
            s = 0
        out.append((t, s))
        time.sleep(0.1)


def part_failover(primary_host, standby, gw_port, users):
    setup = Client(gw_port)
    r, uid, tok = register(setup, "hatrips%d" % int(time.time()))
    if uid is None:
        raise RuntimeError("register: %r" % r)
    load = Load(gw_port)
    stamp = int(time.time()) % 100000
    load.add(register_writer, "hareg%d" % stamp)
    load.add(trip_writer, uid, tok, 10000)
    load.add(review_writer, "harev%d" % stamp)
    ready = [[] for _ in users]
    stop_ready = threading.Event()
    pollers = [threading.Thread(target=readyz_poller, args=(stop_ready, u.port, ready[i]), daemon=True)
               for i, u in enumerate(users)]
    for p in pollers:
        p.start()
    load.start()
    time.sleep(2.0)
    t_stop = time.monotonic()
    r = as_postgres([pgbin("pg_ctl"), "-D", os.environ["USERS_PGDATA"], "-m", "immediate", "-w", "stop"])
    if r.returncode != 0:
        raise RuntimeError("stopping the primary: " + r.stderr)
    time.sleep(1.0)  # an operator's (or Patroni's) moment of detection
    t_promote = time.monotonic()
    standby.promote()
    t_ok = None
    limit = t_promote + 20
    while time.monotonic() < limit and t_ok is None:
        time.sleep(0.1)
        with load.lock:
            ok = [a["t1"] for a in load.answers if a["kind"] in ("register", "trip", "review")
                  and a["status"] == 201 and a["t0"] >= t_promote]
        t_ok = min(ok) if ok else None
    time.sleep(2.0)
    load.finish()
    time.sleep(0.3)
    stop_ready.set()
    for p in pollers:
        p.join(5)

    # Workers reconnect each on its own backoff: writes are "accepted again" once the last
    # refusal after the stop has been answered (and one has succeeded after the promote).
    if t_ok is not None:
        refused = [a["t1"] for a in load.answers if a["t1"] >= t_stop and a["status"] != 201]
        t_ok = max([t_ok] + refused)
    back = (t_ok - t_promote) if t_ok is not None else float("inf")
    window = [a for a in load.answers if a["t1"] >= t_stop and (t_ok is None or a["t1"] <= t_ok)]
    a503 = [a for a in window if a["status"] == 503 and a["retry_after"]]
    other = [a for a in window if not (a["status"] == 503 and a["retry_after"]) and a["status"] != 201
             and a["kind"] != "settled"]
    check("failover: writes accepted again %.2f s after the promote (goal <= 5 s)" % back, back <= 5.0)
    check("failover: in the window only 503 with Retry-After (%d), nothing else (%d)" % (len(a503), len(other)),
          not other, _sample(other))
    slow = [a for a in load.answers if a["t1"] - a["t0"] > DEADLINE_S]
    check("failover: no answer took longer than the %g s deadline" % DEADLINE_S, not slow, _sample(slow))
    outside = [a for a in load.answers if a not in window and a["status"] != 201 and a["kind"] != "settled"]
    check("failover: every write outside the window answered 201", not outside, _sample(outside))
    # /readyz: 503 while no host accepts writes, 200 after
    for i, u in enumerate(users):
        during = [s for t, s in ready[i] if t_stop + 0.2 <= t <= t_promote]
        after = [s for t, s in ready[i]][-3:]
        check("failover: user-service #%d /readyz 503 during the window, 200 after" % (i + 1),
              during and all(s == 503 for s in during) and after and all(s == 200 for s in after),
              "during %s, last %s" % (sorted(set(during)), after))
    # every acknowledged write on the new primary
    acked = [a for a in load.answers if a["status"] == 201]
    lost = 0
    host = standby.host
    names = [a["tag"] for a in acked if a["kind"] == "register"]
    trips = [a["tag"] for a in acked if a["kind"] == "trip"]
    reviews = [a["tag"] for a in acked if a["kind"] == "review"]
    if names:
        have = set(psql(host, "SELECT username FROM users WHERE username IN (%s)" % _list(names)).splitlines())
        lost += len([n for n in names if n not in have])
    if trips:
        have = {"%.1f" % float(x) for x in
                psql(host, "SELECT distance_km FROM carbon_emissions WHERE user_id = %d" % uid).splitlines()}
        lost += len([t for t in trips if t not in have])
    if reviews:
        have = set(psql(host, "SELECT content FROM reviews WHERE content IN (%s)" % _list(reviews)).splitlines())
        lost += len([t for t in reviews if t not in have])
    check("failover: all %d acknowledged writes (%d registrations, %d trips, %d reviews) are on the new primary"
          % (len(acked), len(names), len(trips), len(reviews)), lost == 0, "%d lost" % lost)
    return back, len(a503), len(other), lost


def _list(tags):
    return ",".join("'%s'" % t.replace("'", "") for t in tags)


def standby_write_is_503(env, standby):
    """A write that reaches a standby (a URL without target_session_attrs, or a primary
    demoted under a connection) is a database that cannot take writes now: 503 + Retry-After,
    not a 500 (SQLSTATE 25006, common/db.c)."""
    e = dict(env, USER_DB_URL="host=%s port=5432 dbname=ecomovex_users user=users_app" % standby.host,
             USER_SERVICE_ADDR="127.0.0.1:%d" % port())
    d = daemon("user-service-on-standby", "user-service", e, int(e["USER_SERVICE_ADDR"].rsplit(":", 1)[1]))
    d.start()
    try:
        r, _, _ = register(Client(d.port), "haro%d" % int(time.time()))
        check("standby: a write reaching a read-only standby answers 503 with Retry-After (got %s)" % r["status"],
              r["status"] == 503 and r["retry_after"], r["body"][:200].decode("utf-8", "replace"))
    finally:
        kill(d, signal.SIGTERM)


# ---------------------------------------------------------------- destinations read scaling

DEST_DB = "ecomovex_destinations"


def part_read_replica(env, users_host):
    """destination-service with DEST_DB_READ_URL = a hot standby of the destinations primary:
    a destination created on the primary while the standby's replay is paused is valid for
    user-service at once (the standby's "missing" is checked on the primary), and reads keep
    working with the primary stopped."""
    dest_primary = conninfo_host(os.environ["DEST_DB_URL"])
    standby = Standby(dest_primary, name="ecomovex_ha_dest_standby")
    started = []
    try:
        standby.create()
        deadline = time.time() + 30
        while time.time() < deadline and psql(dest_primary, "SELECT count(*) FROM pg_stat_replication WHERE "
                                                            "application_name = '%s' AND state = 'streaming'"
                                              % standby.name, db=DEST_DB) != "1":
            time.sleep(0.2)
        dport, uport = port(), port()
        e = dict(env, DEST_DB_READ_URL="host=%s port=5432 dbname=%s user=destinations_app" % (standby.host, DEST_DB),
                 DEST_SERVICE_ADDR="127.0.0.1:%d" % dport)
        d = daemon("destination-service-read", "destination-service", e, dport)
        # the feed off: the id must be learnt through the validate call, not the change feed
        u = daemon("user-service-read", "user-service", dict(env, USER_SERVICE_ADDR="127.0.0.1:%d" % uport,
                                                             DEST_FEED_POLL_MS="0",
                                                             DESTINATION_SERVICE_URL="http://127.0.0.1:%d" % dport),
                   uport)
        for x in (d, u):
            x.start()
            started.append(x)
        psql(standby.host, "SELECT pg_wal_replay_pause()", db=DEST_DB)
        new_id = int(psql(dest_primary, "INSERT INTO destinations (name, latitude, longitude, category, address) "
                                        "VALUES ('HA read replica test %d', 10.5, 106.5, 'attraction', 'test') "
                                        "RETURNING id" % int(time.time()), db=DEST_DB).splitlines()[0])
        time.sleep(0.3)
        on_standby = psql(standby.host, "SELECT count(*) FROM destinations WHERE id = %d" % new_id, db=DEST_DB)
        check("read replica: the standby lags (replay paused): it does not have destination %d" % new_id,
              on_standby == "0", "count on the standby: %s" % on_standby)
        c = Client(u.port)
        r, uid, tok = register(c, "haread%d" % int(time.time()))
        rv = c.request("POST", "/api/v1/reviews", {"destination_id": new_id, "rating": 5, "content": "fresh"},
                       token=tok) if tok else {"status": r["status"], "body": r["body"]}
        check("read replica: a destination created on the primary is valid for user-service at once (review %s)"
              % rv["status"], rv["status"] == 201, rv["body"][:200].decode("utf-8", "replace"))
        got = Client(d.port).request("GET", "/api/v1/destinations/%d" % new_id)
        check("read replica: GET by id of it answers 200 from the primary (got %s)" % got["status"],
              got["status"] == 200)
        psql(standby.host, "SELECT pg_wal_replay_resume()", db=DEST_DB)
        r = as_postgres([pgbin("pg_ctl"), "-D", os.environ["DEST_PGDATA"], "-m", "immediate", "-w", "stop"])
        if r.returncode != 0:
            raise RuntimeError("stopping the destinations primary: " + r.stderr)
        dc = Client(d.port)
        reads = [dc.request("GET", p)["status"] for p in
                 ("/api/v1/destinations/1", "/api/v1/destinations?q=hoan", "/api/v1/destinations?limit=5",
                  "/api/v1/destinations/nearby?lat=21.03&lon=105.85&radius_km=5")]
        check("read replica: reads keep working with the destinations primary stopped (%s)" % reads,
              reads == [200, 200, 200, 200])
        v = c.request("POST", "/api/v1/reviews", {"destination_id": 2, "rating": 4, "content": "still"}, token=tok)
        check("read replica: user-service still validates ids the standby has (review %s)" % v["status"],
              v["status"] == 201, v["body"][:200].decode("utf-8", "replace"))
        gone = c.request("POST", "/api/v1/reviews", {"destination_id": 987654321, "rating": 4, "content": "x"},
                         token=tok)
        check("read replica: an id the standby lacks is not called missing without the primary (got %s)"
              % gone["status"], gone["status"] != 422 and gone["status"] != 201 and gone["status"] != 500,
              gone["body"][:200].decode("utf-8", "replace"))
    finally:
        for x in started:
            kill(x, signal.SIGTERM)
        standby.destroy()


# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- 4. TLS to the database

class TlsCluster:
    """A fresh users cluster that takes TCP connections over TLS only (hostssl; hostnossl is
    rejected), with a self-signed certificate for localhost made here, and a second
    certificate nobody signed the server's with, for the refusal."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="ecomovex-ha-tls.", dir="/tmp")
        self.data = os.path.join(self.base, "data")
        self.port = port()
        self.running = False

    def cert(self, name):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                            "-keyout", os.path.join(self.base, name + ".key"),
                            "-out", os.path.join(self.base, name + ".crt")], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("openssl: " + r.stderr)
        os.chmod(os.path.join(self.base, name + ".key"), 0o600)

    def create(self):
        self.cert("server")
        self.cert("other")
        if IS_ROOT:
            for f in ("", "server.key", "server.crt"):
                shutil.chown(os.path.join(self.base, f), "postgres")
        os.chmod(self.base, 0o755)
        r = as_postgres([pgbin("initdb"), "-D", self.data, "--auth=trust", "-U", "postgres", "--encoding=UTF8",
                         "--no-locale"], timeout=120)
        if r.returncode != 0:
            raise RuntimeError("initdb: " + r.stderr)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nssl = on\n"
                    "ssl_cert_file = '%s/server.crt'\nssl_key_file = '%s/server.key'\n"
                    % (self.port, self.base, self.base, self.base))
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n")
        r = as_postgres([pgbin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.base, "postgres.log"), "-w",
                         "-t", "60", "start"], timeout=90)
        if r.returncode != 0:
            raise RuntimeError("TLS cluster start: " + r.stderr + r.stdout)
        self.running = True
        self.psql("CREATE DATABASE ecomovex_users", db="postgres")

    def psql(self, sql, db="ecomovex_users"):
        return psql(self.base, sql, db, self.port)

    def url(self, extra):
        return "host=localhost port=%d dbname=ecomovex_users user=postgres %s" % (self.port, extra)

    def destroy(self):
        if self.running:
            as_postgres([pgbin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.base, ignore_errors=True)


def migrate_users(env, url):
    return subprocess.run([os.path.join(BUILD, "user-service"), "migrate"], env=dict(env, USER_DB_URL=url, USER_DB_MIGRATE_URL=url),
                          capture_output=True, text=True, timeout=60)


def last_line(r):
    lines = [x for x in (r.stderr + r.stdout).splitlines() if x.strip()]
    return lines[-1][-200:] if lines else ""


def part_tls(env):
    """user-service reaches its database over TLS with sslmode=verify-full, and refuses a
    server whose certificate its root does not sign, or a connection without TLS."""
    c = TlsCluster()
    d = None
    try:
        c.create()
        good = c.url("sslmode=verify-full sslrootcert=%s/server.crt" % c.base)
        r = migrate_users(env, good)
        check("tls: migrate over TLS with sslmode=verify-full (exit %d)" % r.returncode, r.returncode == 0,
              "" if r.returncode == 0 else last_line(r))
        wrong = migrate_users(env, c.url("sslmode=verify-full sslrootcert=%s/other.crt" % c.base))
        check("tls: a server certificate the root does not sign is refused (exit %d)" % wrong.returncode,
              wrong.returncode != 0 and "certificate verify failed" in wrong.stderr + wrong.stdout,
              last_line(wrong))
        plain = migrate_users(env, c.url("sslmode=disable"))
        check("tls: a connection without TLS is rejected by the server's hostnossl rule (exit %d)" % plain.returncode,
              plain.returncode != 0 and "no encryption" in plain.stderr + plain.stdout,
              last_line(plain))
        p = port()
        d = daemon("user-service-tls", "user-service", dict(env, USER_DB_URL=good, USER_SERVICE_ADDR="127.0.0.1:%d" % p), p)
        d.start()
        reg, uid, _ = register(Client(p), "hatls%d" % int(time.time()))
        sessions = c.psql("SELECT count(*) FILTER (WHERE s.ssl) || ' ' || count(*) FILTER (WHERE NOT s.ssl) "
                          "FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.client_addr IS NOT NULL")
        on, off = map(int, sessions.split())
        stored = c.psql("SELECT count(*) FROM users WHERE id = %d" % uid) if uid else "0"
        check("tls: user-service serves over TLS sessions only (register %d, stored %s; TCP sessions with TLS %d, "
              "without %d)" % (reg["status"], stored, on, off), reg["status"] == 201 and stored == "1" and on >= 1
              and off == 0)
    finally:
        if d:
            kill(d, signal.SIGTERM)
        c.destroy()


def main():
    t_start = time.monotonic()
    os.makedirs(LOG_DIR, exist_ok=True)
    media = os.path.join(RUN_DIR, "media")
    os.makedirs(media, exist_ok=True)
    primary_host = conninfo_host(os.environ["USER_DB_URL"])
    standby = Standby(primary_host)
    started = []
    gw = None
    replicas = failover = None
    try:
        standby.create()
        deadline = time.time() + 30
        while time.time() < deadline and psql(primary_host, "SELECT count(*) FROM pg_stat_replication WHERE "
                                                            "application_name = '%s' AND state = 'streaming'"
                                              % STANDBY_NAME) != "1":
            time.sleep(0.2)
        psql(primary_host, "ALTER SYSTEM SET synchronous_standby_names = '%s'" % STANDBY_NAME)
        psql(primary_host, "SELECT pg_reload_conf()")
        deadline = time.time() + 10
        while time.time() < deadline and psql(primary_host, "SELECT sync_state FROM pg_stat_replication WHERE "
                                                            "application_name = '%s'" % STANDBY_NAME) != "sync":
            time.sleep(0.1)
        sync = psql(primary_host, "SELECT sync_state FROM pg_stat_replication WHERE application_name = '%s'"
                    % STANDBY_NAME)
        check("standby: streaming from the users primary, synchronous (sync_state %s)" % sync, sync == "sync")

        gw_port = port()
        uports, dports = [port(), port()], [port(), port()]
        env = {k: v for k, v in os.environ.items()}
        env.update({
            "USER_DB_URL": "host=%s,%s port=5432,5432 dbname=ecomovex_users user=users_app "
                           "target_session_attrs=read-write" % (primary_host, standby.host),
            "MEDIA_DIR": media, "WORKERS": "2", "SHUTDOWN_GRACE_SECONDS": "5", "LOG_LEVEL": "warn",
            "PASSWORD_OPSLIMIT": "1", "PASSWORD_MEMLIMIT_KIB": "8", "ECOMOVEX_DEV": "1",
            "LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "0", "REGISTER_MAX_PER_ADDRESS": "0",
            "DESTINATION_SERVICE_URL": "http://127.0.0.1:%d" % dports[1],
        })
        users = [daemon("user-service-%d" % (i + 1), "user-service",
                        dict(env, USER_SERVICE_ADDR="127.0.0.1:%d" % p), p) for i, p in enumerate(uports)]
        dests = [daemon("destination-service-%d" % (i + 1), "destination-service",
                        dict(env, DEST_SERVICE_ADDR="127.0.0.1:%d" % p), p) for i, p in enumerate(dports)]
        for d in dests + users:
            d.start()
            started.append(d)
        gw = Gateway(uports, dports, LOG_DIR, name="gateway-ha", port=gw_port).start()
        conf = open(gw.conf).read()
        conf = "\n".join(line for line in conf.splitlines() if not line.lstrip().startswith("#"))
        blocks = re.findall(r"\bupstream (\w+) \{([^}]*)\}", conf)
        check("gateway: two servers in each upstream, retries on error timeout http_502 http_503, never a sent POST",
              len(blocks) == 2 and all(b.count("server 127.0.0.1:") == 2 for _, b in blocks) and "proxy_next_upstream error timeout http_502 http_503;" in conf
              and not re.search(r"proxy_next_upstream [^;]*non_idempotent", conf))

        replicas = part_replicas(env, primary_host, gw_port, users, dests)
        standby_write_is_503(env, standby)
        failover = part_failover(primary_host, standby, gw_port, users)
        part_read_replica(env, primary_host)
        part_tls(env)
    except Exception:
        traceback.print_exc()
        check("the suite ran to its end", False)
    finally:
        if gw:
            gw.stop()
        for d in started:
            kill(d, signal.SIGTERM)
        standby.destroy()
    if replicas:
        print("replicas: %d requests through the gateway during kills and a rolling restart, failed: %d" % replicas)
    if failover:
        print("failover: users primary stopped, writes accepted again after %.1f s, answers in the window: "
              "503\u00d7%d other\u00d7%d, acknowledged writes lost: %d" % failover)
    passed = len([r for r in results if r[1]])
    print("ha: %d passed, %d failed (%d s)" % (passed, len(results) - passed, time.monotonic() - t_start))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
