"""The API gateway for tests: Debian's nginx running deploy/gateway/nginx.conf.

The template is rendered by deploy/gateway/render.sh, the same script the gateway container
runs, with free loopback ports for nginx and the harness's daemons as upstreams; then
`nginx -p PREFIX -c PREFIX/nginx.conf -e stderr -g 'daemon off;'` runs as a child process.

    from gateway import gateway
    gw = gateway(h)            # started on first use, once per process; stopped at exit
    r = h.get(gw.url + "/api/v1/destinations/1")
    gw.log_for(request_id)     # the gateway's JSON access-log records with this request id

Started as root (CI), nginx's master stays root and its workers run as `nobody`: the prefix
is a fresh 0755 directory under /tmp, and nginx itself creates its temp directories there
and hands them to the worker user. Log files are opened by the master, so they live under
the harness's log directory ($TEST_RUN_DIR/logs/gateway/) and survive the run.
Only the Python standard library is used.
"""
import atexit
import ctypes
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import ROOT, free_port

NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
RENDER = os.path.join(ROOT, "deploy", "gateway", "render.sh")
TEMPLATE = os.path.join(ROOT, "deploy", "gateway", "nginx.conf")
PR_SET_PDEATHSIG = 1
try:  # resolved here, not in the forked child
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent():
    """In the child before exec: nginx's master gets SIGTERM if the test runner dies."""
    if _prctl:
        _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def stop_nginx(proc, out, prefix):
    """Stops an nginx started as a child (SIGTERM, fast shutdown: tests have nothing in
    flight; SIGKILL after 10 s), closes its output file and removes its prefix directory.
    Each may be None (never started)."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc and out:
        out.close()
    if prefix:
        shutil.rmtree(prefix, ignore_errors=True)


def _upstream(ports):
    """render.sh's USER_UPSTREAM / DEST_UPSTREAM: loopback host:port, comma-separated."""
    if isinstance(ports, int):
        ports = [ports]
    return ",".join("127.0.0.1:%d" % p for p in ports)


class Gateway:
    """One nginx in front of user_port and dest_port (loopback): a port each, or a list of
    ports, one per replica (tests/ha). port: the gateway's own (default a free one)."""

    def __init__(self, user_port, dest_port, log_dir, name="gateway", port=None):
        self.user_port, self.dest_port = user_port, dest_port
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_dir = os.path.join(log_dir, name)
        self.proc = None
        self.prefix = None

    def start(self, timeout=10):
        os.makedirs(self.log_dir, exist_ok=True)
        self.prefix = tempfile.mkdtemp(prefix="ecomovex-gateway-")
        os.chmod(self.prefix, 0o755)  # the worker user must reach the temp directories
        os.symlink(self.log_dir, os.path.join(self.prefix, "logs"))
        env = dict(os.environ, GATEWAY_TEMPLATE=TEMPLATE, GATEWAY_PREFIX=self.prefix,
                   GATEWAY_LISTEN="127.0.0.1:%d" % self.port,
                   USER_UPSTREAM=_upstream(self.user_port), DEST_UPSTREAM=_upstream(self.dest_port),
                   GATEWAY_LOG_STDOUT="0", GATEWAY_EXEC="0",
                   # static upstream groups: the tests' loopback lists need no DNS at run time
                   GATEWAY_RESOLVER="")
        subprocess.run(["sh", RENDER], env=env, check=True, capture_output=True, timeout=10)
        self.conf = os.path.join(self.prefix, "nginx.conf")
        self.out = open(os.path.join(self.log_dir, "nginx.out"), "ab")
        self.proc = subprocess.Popen([NGINX, "-p", self.prefix, "-c", self.conf, "-e", "stderr",
                                      "-g", "daemon off;"],
                                     stdout=self.out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited with %s: %s" % (self.proc.returncode, self.output()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("nginx did not answer within %ss: %s" % (timeout, self.output()))

    def stop(self):
        stop_nginx(self.proc, self.out, self.prefix)
        self.prefix = None
        return self.proc.returncode if self.proc else None

    def output(self):
        try:
            with open(os.path.join(self.log_dir, "nginx.out"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-2000:]
        except OSError:
            return ""

    def access_log(self):
        """Every record of the access log (one JSON object per line)."""
        try:
            with open(os.path.join(self.log_dir, "access.log"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def log_for(self, request_id, timeout=2.0):
        """The access-log records of request_id (nginx writes the line as the answer ends)."""
        deadline = time.time() + timeout
        while True:
            recs = [r for r in self.access_log() if r.get("request_id") == request_id]
            if recs or time.time() >= deadline:
                return recs
            time.sleep(0.02)


_gateways = {}
_log_offsets = {}  # daemon log path -> size when the gateway started: earlier lines are not ours


def gateway(h):
    """The gateway in front of this harness's daemons, started on first use (one per run)."""
    key = id(h)
    gw = _gateways.get(key)
    if gw is None or gw.proc.poll() is not None:
        for d in (h.user, h.dest):
            if d.log_path not in _log_offsets:
                _log_offsets[d.log_path] = os.path.getsize(d.log_path) if os.path.exists(d.log_path) else 0
        gw = Gateway(h.user.port, h.dest.port, h.log_dir).start()
        _gateways[key] = gw
    return gw


def _stop_all():
    for gw in _gateways.values():
        gw.stop()
    _gateways.clear()


atexit.register(_stop_all)


def daemon_log_records(daemon, request_id, timeout=2.0):
    """The JSON log records of a harness daemon that carry request_id."""
    deadline = time.time() + timeout
    while True:
        recs = []
        with open(daemon.log_path, "rb") as f:
            f.seek(_log_offsets.get(daemon.log_path, 0))
            text = f.read().decode("utf-8", "replace")
        for line in text.splitlines():
            if request_id in line:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("request_id") == request_id:
                    recs.append(rec)
        if recs or time.time() >= deadline:
            return recs
        time.sleep(0.02)
