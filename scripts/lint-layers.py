#!/usr/bin/env python3
"""The include rules `make lint` enforces on the C sources of both daemons and common/:

1. No include circle between modules (a module is a basename: reply.c + reply.h).
2. Only *_store.c, common/db.c and common/migrate.c may include db.h or <libpq-fe.h>:
   everything else reaches the database through a store and sees db_status.h only.
3. Inside user-service, an area folder may include another area's headers only along the
   arrows of ALLOWED, never back; the top level (main.c and the service-wide files) may
   include any area.

Prints each breach as FILE: what is wrong, and exits 1 when there is any."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
DB_ALLOWED = re.compile(r'(_store\.c|^common/db\.c|^common/migrate\.c|^common/db\.h)$')
# area -> the other areas it may include: features lean on the shared areas (missions, the
# destination client, media, carbon's arithmetic) and never the other way round. A new arrow
# is a design change: add it here and to README.md's layout table together.
ALLOWED = {
    "accounts": {"media", "missions"},
    "reviews": {"destinations", "missions"},
    "plans": {"carbon", "destinations", "missions"},
    "assistant": {"accounts", "carbon", "destinations", "missions"},
    "carbon": {"missions"},
    "destinations": {"media"},
    "missions": set(),
    "media": set(),
    "idempotency": set(),
}

def sources():
    out = subprocess.check_output(["git", "ls-files", "common", "user-service", "destination-service"], cwd=ROOT)
    return [p for p in out.decode().split() if p.endswith((".c", ".h"))]


def area_of(path):
    parts = path.split("/")
    return parts[1] if parts[0] == "user-service" and len(parts) == 3 else None


def main():
    files = sources()
    where = {}  # header basename -> path
    for p in files:
        if p.endswith(".h"):
            where.setdefault(os.path.basename(p), p)
    errors = []
    graph = {}
    for p in files:
        with open(os.path.join(ROOT, p), encoding="utf-8") as f:
            text = f.read()
        mod = os.path.splitext(os.path.basename(p))[0]
        for kind, name in INCLUDE.findall(text):
            if name in ("db.h", "libpq-fe.h") and not DB_ALLOWED.search(p):
                errors.append("%s: includes %s; only stores, db.c and migrate.c may see libpq "
                              "(include db_status.h, and put the SQL in a *_store.c)" % (p, name))
            if kind != '"' or name not in where:
                continue
            target = where[name]
            dep = os.path.splitext(name)[0]
            if dep != mod:
                graph.setdefault(mod, set()).add(dep)
            a, b = area_of(p), area_of(target)
            if a and b and a != b and b not in ALLOWED.get(a, set()):
                errors.append("%s: area %s may not include %s of area %s" % (p, a, name, b))
    # circles: depth-first search for a back edge
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                cyc = stack[stack.index(m):] + [m]
                errors.append("include circle: %s" % " -> ".join(cyc))
            elif not state.get(m):
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if not state.get(n):
            visit(n)
    for e in errors:
        print(e)
    print("lint-layers: %d file(s), %d breach(es)" % (len(files), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
