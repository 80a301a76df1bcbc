"""docs/openapi.yaml and the daemons' route tables describe the same API.

No undocumented route, no documented ghost: the (method, path) pairs of each daemon's route
table in <service>/main.c, plus the built-in /healthz, /readyz and /metrics, equal the
spec's operations for that daemon; and each route's auth level matches the operation's
security. Which daemon serves a spec path follows the gateway's rule
(deploy/gateway/nginx.conf): /api/v1/destinations[/...] and /internal/v1/destinations[/...]
are destination-service, every other /api/v1/ path is user-service.

Pure Python (standard library): the spec's `paths:` section is read with a small parser
of its fixed layout (path keys at 2 spaces, methods at 4, operation keys at 6), which
redocly lint (tests/check-docs.sh) guarantees is valid OpenAPI.
"""
import os
import re

from harness import ROOT

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
BUILTINS = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
ROUTE_RE = re.compile(r'^\s*\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*\w+\s*,\s*(AUTH_[A-Z]+)\s*\}\s*,?\s*$')
# What each auth level of the route tables looks like in the spec.
AUTH_OF_SECURITY = {("none", None): "AUTH_NONE", ("bearer", None): "AUTH_USER",
                    ("bearer", "admin"): "AUTH_ADMIN", ("internal", None): "AUTH_INTERNAL"}


def spec_path(c_pattern):
    """The C tables write every id segment as {id}; the spec names the second {item_id}."""
    n = [0]

    def rename(m):
        n[0] += 1
        return "{id}" if n[0] == 1 else "{item_id}"

    return re.sub(r"\{id\}", rename, c_pattern)


def route_table(service):
    """{(METHOD, spec path): AUTH_*} of <service>/main.c."""
    routes = {}
    with open(os.path.join(ROOT, service, "main.c"), encoding="utf-8") as f:
        for line in f:
            m = ROUTE_RE.match(line)
            if m:
                key = (m.group(1), spec_path(m.group(2)))
                assert key not in routes, "%s lists %s twice" % (service, key)
                routes[key] = m.group(3)
    assert routes, "no route table found in %s/main.c" % service
    return routes


def spec_operations():
    """{(METHOD, path): (security kind, required role)} of docs/openapi.yaml."""
    ops = {}
    section = path = op = None
    sec_pending = False
    with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip(" "))
            text = line.strip()
            if indent == 0:
                section = text.split(":", 1)[0]
                path = op = None
                continue
            if section != "paths":
                continue
            if indent == 2:
                m = re.match(r"^(/\S*):$", text)
                assert m, "unexpected line in paths: %r" % line
                path, op = m.group(1), None
            elif indent == 4:
                key = text.split(":", 1)[0]
                op = None
                if key in METHODS:
                    op = (key.upper(), path)
                    assert op not in ops, "spec lists %s twice" % (op,)
                    ops[op] = ["bearer", None]  # the spec's global security: bearerAuth
                sec_pending = False
            elif op and indent == 6:
                sec_pending = False
                if text == "security: []":
                    ops[op][0] = "none"
                elif text == "security:":
                    sec_pending = True
                elif text.startswith("x-required-role:"):
                    ops[op][1] = text.split(":", 1)[1].strip()
            elif op and sec_pending and indent == 8 and text.startswith("- "):
                scheme = text[2:].split(":", 1)[0]
                ops[op][0] = {"bearerAuth": "bearer", "internalToken": "internal"}[scheme]
    assert ops, "no operations found in docs/openapi.yaml"
    return {k: tuple(v) for k, v in ops.items()}


def served_by(path):
    if path in ("/healthz", "/readyz", "/metrics"):
        return {"user-service", "destination-service"}
    for prefix in ("/api/v1/destinations", "/internal/v1/destinations"):
        if path == prefix or path.startswith(prefix + "/"):
            return {"destination-service"}
    return {"user-service"}


def spec_for(service):
    return {k: v for k, v in spec_operations().items() if service in served_by(k[1])}


def compare(service):
    table = set(route_table(service)) | BUILTINS
    spec = set(spec_for(service))
    undocumented = sorted(table - spec, key=lambda k: (k[1], k[0]))
    ghosts = sorted(spec - table, key=lambda k: (k[1], k[0]))
    msg = []
    if undocumented:
        msg.append("%d route(s) of %s/main.c missing from docs/openapi.yaml:\n  %s" % (
            len(undocumented), service, "\n  ".join("%s %s" % k for k in undocumented)))
    if ghosts:
        msg.append("%d operation(s) of docs/openapi.yaml that %s does not serve:\n  %s" % (
            len(ghosts), service, "\n  ".join("%s %s" % k for k in ghosts)))
    assert not msg, "\n".join(msg)


def test_openapi_paths_equal_destination_service_routes(h):
    compare("destination-service")


def test_openapi_paths_equal_user_service_routes(h):
    compare("user-service")


def test_internal_api_header_names_the_paths_destination_service_serves(h):
    # user-service calls the paths of common/internal_api.h; destination-service's route
    # table must serve exactly those under /internal.
    with open(os.path.join(ROOT, "common", "internal_api.h"), encoding="utf-8") as f:
        named = set(re.findall(r'^#define INTERNAL_PATH_\w+ "([^"]+)"', f.read(), re.M))
    served = {path for _, path in route_table("destination-service") if path.startswith("/internal/")}
    assert named and named == served, (named, served)


def test_internal_api_header_names_the_path_user_service_serves(h):
    # the other direction (issue 19): destination-service asks user-service's session route.
    with open(os.path.join(ROOT, "common", "internal_api.h"), encoding="utf-8") as f:
        text = f.read()
    prefix = re.search(r'^#define INTERNAL_SESSION_PATH_PREFIX "([^"]+)"', text, re.M).group(1)
    suffix = re.search(r'^#define INTERNAL_SESSION_PATH_SUFFIX "([^"]+)"', text, re.M).group(1)
    served = {path for _, path in route_table("user-service") if path.startswith("/internal/")}
    assert served == {prefix + "{id}" + suffix}, (prefix, suffix, served)


def test_openapi_security_matches_route_auth_levels(h):
    spec = spec_operations()
    wrong = []
    for service in ("destination-service", "user-service"):
        for key, level in sorted(route_table(service).items()):
            if key not in spec:
                continue  # reported by the equality tests
            documented = AUTH_OF_SECURITY.get(spec[key])
            if documented != level:
                wrong.append("%s %s: %s in %s/main.c, documented as %s" % (key[0], key[1], level, service,
                                                                           documented or str(spec[key])))
    for key in BUILTINS:
        if spec.get(key, ("none", None))[0] != "none":
            wrong.append("%s %s is public on both daemons" % key)
    assert not wrong, "\n".join(wrong)


def test_openapi_parser_reads_the_whole_spec(h):
    # Guards the small parser: every path key of the spec is seen, with an operation.
    with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
        keys = {m.group(1) for m in re.finditer(r"^  (/\S*):$", f.read(), re.M)}
    seen = {p for _, p in spec_operations()}
    assert keys == seen and len(keys) >= 36, (sorted(keys - seen), len(keys))
