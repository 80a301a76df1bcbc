"""An https DESTINATION_SERVICE_URL (issue 20, item 9; docs/security.md "In transit").

destination-service speaks plain HTTP, so https means a TLS terminator in front of it: here a
small nginx of its own (one `ssl` listener on a free loopback port, proxy_pass to the
harness's destination-service) with a server certificate for 127.0.0.1/localhost signed by a
throwaway CA that `openssl` makes in a temporary directory. Extra user-services (their own
ports, the harness's databases) point at https://127.0.0.1:PORT and differ only in what they
trust: that CA (DESTINATION_SERVICE_CA_FILE), another self-signed CA, or the system store.
Only the Python standard library and the openssl and nginx commands are used."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import harness
from accounts import api, new_user
from gateway import NGINX, _die_with_parent, stop_nginx
from harness import Daemon, free_port, problem_ok

VALIDATE_PATH = "/internal/v1/destinations/validate"  # INTERNAL_PATH_VALIDATE (common/internal_api.h)
# what user-service logs for CURLE_PEER_FAILED_VERIFICATION (curl_easy_strerror)
CERT_REFUSED = "destination-service TLS: SSL peer certificate or SSH remote key was not OK"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d, name):
    """A self-signed CA (P-256, one day) in d/name.key and d/name.crt; returns the .crt path."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=EcomoveX test " + name, "-keyout", name + ".key", "-out", name + ".crt",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=d)
    return os.path.join(d, name + ".crt")


def make_server_cert(d, ca, name, san):
    """d/name.key and d/name.crt, a server certificate for subjectAltName san signed by CA `ca`."""
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % san)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=" + name, "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
            "-days", "1", "-extfile", name + ".ext", "-out", name + ".crt", cwd=d)
    return os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")


NGINX_CONF = """worker_processes 1;
pid %(prefix)s/nginx.pid;
events { worker_connections 64; }
http {
    log_format tls escape=json '{"port":"$server_port","scheme":"$scheme","tls":"$ssl_protocol",'
                               '"uri":"$request_uri","request_id":"$http_x_request_id","status":"$status",'
                               '"traceparent":"$http_traceparent","tracestate":"$http_tracestate"}';
    access_log %(log)s tls;
    client_body_temp_path %(prefix)s/body;
    proxy_temp_path %(prefix)s/proxy;
    fastcgi_temp_path %(prefix)s/fastcgi;
    uwsgi_temp_path %(prefix)s/uwsgi;
    scgi_temp_path %(prefix)s/scgi;
%(servers)s}
"""
NGINX_SERVER = """    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        location / {
            proxy_pass http://127.0.0.1:%(upstream)d;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
"""


class TlsTerminator:
    """nginx in front of a plain-HTTP upstream port: one TLS listener (self.ports[i]) per
    (certificate, key) pair of certs; ca signed the first, which start() waits for."""

    def __init__(self, upstream, certs, ca, log_dir):
        self.upstream, self.certs, self.ca = upstream, certs, ca
        self.ports = [free_port() for _ in certs]
        self.log_dir = os.path.join(log_dir, "tls-terminator")
        self.log = os.path.join(self.log_dir, "access.log")
        self.proc = self.prefix = self.out = None

    def start(self, timeout=10):
        os.makedirs(self.log_dir, exist_ok=True)
        if os.path.exists(self.log):
            os.unlink(self.log)
        self.prefix = tempfile.mkdtemp(prefix="ecomovex-tls-")
        os.chmod(self.prefix, 0o755)  # as root, the workers (nobody) use the temp directories
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            servers = "".join(NGINX_SERVER % {"port": port, "cert": cert, "key": key, "upstream": self.upstream}
                              for port, (cert, key) in zip(self.ports, self.certs))
            f.write(NGINX_CONF % {"prefix": self.prefix, "log": self.log, "servers": servers})
        self.out = open(os.path.join(self.log_dir, "nginx.out"), "ab")
        self.proc = subprocess.Popen([NGINX, "-p", self.prefix, "-c", conf, "-e", "stderr", "-g", "daemon off;"],
                                     stdout=self.out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        ctx = ssl.create_default_context(cafile=self.ca)
        deadline = time.time() + timeout
        while time.time() < deadline:  # ready when a handshake with the right CA completes
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited with %s; see %s" % (self.proc.returncode, self.log_dir))
            try:
                with socket.create_connection(("127.0.0.1", self.ports[0]), timeout=2) as s:
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nginx did not complete a TLS handshake within %ss" % timeout)

    def stop(self):
        stop_nginx(self.proc, self.out, self.prefix)

    def records(self, request_id, timeout=2.0):
        """The access-log records of request_id (nginx writes a line as its answer ends)."""
        deadline = time.time() + timeout
        while True:
            try:
                with open(self.log) as f:
                    recs = [json.loads(line) for line in f if line.strip()]
            except FileNotFoundError:
                recs = []
            recs = [r for r in recs if r["request_id"] == request_id]
            if recs or time.time() >= deadline:
                return recs
            time.sleep(0.02)


def tls_user_service(h, name, url, ca_file):
    """A user-service of its own, started (not yet waited for), calling destination-service at url."""
    port = free_port()
    env = dict(h.env, USER_SERVICE_ADDR="127.0.0.1:%d" % port, DESTINATION_SERVICE_URL=url,
               RECONCILE_INTERVAL_SECONDS="0", DEST_FEED_POLL_MS="0", DEST_BREAKER_MIN_CALLS="100000",
               DEST_CACHE_NEGATIVE_TTL_SECONDS="0")
    env.pop("DESTINATION_SERVICE_CA_FILE", None)
    if ca_file:
        env["DESTINATION_SERVICE_CA_FILE"] = ca_file
    d = Daemon("user-service-" + name, h.user.binary, env, os.path.join(h.log_dir, "user-service-%s.log" % name))
    d.port, d.url = port, "http://127.0.0.1:%d" % port
    d.start(wait_ready=False)
    return d


def review(h, d, user, rid):
    return h.post(d.url + "/api/v1/reviews", {"destination_id": 1, "rating": 5}, token=user["token"],
                  headers={"X-Request-ID": rid})


def reviews_of(h, user):
    return h.psql("users", "SELECT count(*) FROM reviews WHERE user_id = %d" % user["id"])


def test_https_destination_url_is_verified_against_the_configured_ca(h):
    tmp = tempfile.mkdtemp(prefix="ecomovex-tls-ca-")
    nginx, daemons = None, []
    try:
        ca = make_ca(tmp, "ca")
        other_ca = make_ca(tmp, "other-ca")
        certs = [make_server_cert(tmp, "ca", "server", "IP:127.0.0.1,DNS:localhost"),
                 make_server_cert(tmp, "ca", "elsewhere", "DNS:elsewhere.example")]  # the right CA, another name
        nginx = TlsTerminator(h.dest.port, certs, ca, h.log_dir).start()
        url, url_elsewhere = ("https://127.0.0.1:%d" % port for port in nginx.ports)
        for name, u, ca_file in (("tls-ca", url, ca), ("tls-other-ca", url, other_ca),
                                 ("tls-system-store", url, None), ("tls-wrong-name", url_elsewhere, ca)):
            daemons.append(tls_user_service(h, name, u, ca_file))
        good, wrong, system, wrong_name = daemons
        for d in daemons:
            d.wait_ready()

        # (a) the private CA is trusted: the destination is checked through nginx's TLS port
        u = new_user(h)
        rid = "tls-ok-" + os.urandom(4).hex()
        r = review(h, good, u, rid)
        assert r.status == 201 and r.json()["destination_verified"] is True, r
        recs = nginx.records(rid)
        assert [(x["port"], x["scheme"], x["uri"], x["status"]) for x in recs] == \
            [(str(nginx.ports[0]), "https", VALIDATE_PATH, "200")], recs
        assert recs[0]["tls"].startswith("TLSv1."), recs
        # the call carries a traceparent of user-service's own (no trace came in) ...
        assert re.fullmatch("00-[0-9a-f]{32}-[0-9a-f]{16}-00", recs[0]["traceparent"]), recs
        # ... or, when one came in, the caller's trace id and tracestate with user-service's span
        trace_id, parent = os.urandom(16).hex(), "00f067aa0ba902b7"
        r = h.post(good.url + "/api/v1/reviews", {"destination_id": 2, "rating": 4}, token=u["token"],
                   headers={"traceparent": "00-%s-%s-01" % (trace_id, parent), "tracestate": "eco=tls,x=1"})
        assert r.status == 201 and r.header("X-Request-ID") == trace_id, r
        recs = nginx.records(trace_id)
        assert len(recs) == 1 and recs[0]["tracestate"] == "eco=tls,x=1", recs
        m = re.fullmatch("00-%s-([0-9a-f]{16})-01" % trace_id, recs[0]["traceparent"])
        assert m and m.group(1) != parent, recs

        # (b) another CA, (c) no CA file (the system store), (d) the right CA for another name: the
        # certificate is refused, and the review is the honest 503 with Retry-After, nothing
        # written, no request past the handshake
        for d in (wrong, system, wrong_name):
            u = new_user(h)
            rid = "tls-refused-" + os.urandom(4).hex()
            r = review(h, d, u, rid)
            p = problem_ok(r, 503)
            assert "destination-service" in p["detail"] and r.header("Retry-After"), (p, r.headers)
            assert reviews_of(h, u) == "0"
            assert nginx.records(rid, timeout=0.3) == [], d.name
            assert d.alive(), d.name
            time.sleep(0.1)
            lines = [line for line in d.log_text().splitlines() if rid in line]
            assert any(CERT_REFUSED in line for line in lines), (d.name, lines)
    finally:
        for d in daemons:
            d.stop()
        if nginx:
            nginx.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_an_unusable_ca_file_stops_start_up_with_https(h):
    tmp = tempfile.mkdtemp(prefix="ecomovex-tls-bad-")
    try:
        keyonly = os.path.join(tmp, "key.pem")
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyonly, cwd=tmp)
        empty = os.path.join(tmp, "empty.pem")
        open(empty, "w").close()
        for bad in (os.path.join(tmp, "missing.pem"), tmp, empty, keyonly):
            env = dict(h.env, USER_SERVICE_ADDR="127.0.0.1:%d" % free_port(),
                       DESTINATION_SERVICE_URL="https://127.0.0.1:1", DESTINATION_SERVICE_CA_FILE=bad)
            p = subprocess.run([h.user.binary, "serve"], env=env, capture_output=True, text=True,
                               timeout=10 * harness.SLOWDOWN)
            out = p.stdout + p.stderr
            assert p.returncode == 2, (bad, p.returncode, out)
            assert "DESTINATION_SERVICE_CA_FILE" in out and bad in out and "PEM certificate" in out, (bad, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
