"""Bad-input sweep (issue 9): every route of both route tables, fed only invalid requests.

The routes come from the route tables themselves (<service>/main.c, parsed by
test_openapi_routes.route_table), and every one of them must have an entry in ROUTES below:
a route added without one fails the sweep. For each route the sweep sends

  - missing, garbage, wrong-scheme, expired, forged (other secret, alg none, wrong issuer),
    stale (deleted user, old token version) credentials; a user's token on admin routes;
    wrong, missing and misplaced X-Internal-Token on /internal routes;
  - path ids 0, -1, 01, +1, 1.5, 1e3, 0x10, abc, %00, %31, 99999999999999999999, 2^63, an
    empty segment, the largest bigint, and another user's object;
  - query parameters of the wrong shape (numbers out of range or not numbers, 1e309, nan,
    %00, invalid UTF-8, overlong text, unknown enum values, SQL injection strings);
  - bodies: malformed JSON (truncated, trailing data, NaN/Infinity, single quotes, BOM, bad
    escapes, lone surrogates, 5000-deep nesting), raw invalid UTF-8 and NUL bytes, \\u0000,
    wrong content types (text/plain, application/xml, multipart without boundary, none),
    and for each field of the area: each wrong JSON type, numbers out of range, huge and
    negative, 1e309, 2^53 + 1, a 60 000-character string, values breaking the field's rule,
    SQL injection strings where the field has a format, a missing required field, and the
    rules spanning fields (dates out of order, impossible vehicle/fuel pairs, duplicates).

Not in the list, because cJSON accepts them and they mean nothing else than the obvious
value (and RFC 8259 lets a parser skip a byte order mark): a UTF-8 BOM, and number
spellings JSON does not allow such as 01, +1, .5 and 1. (read as 1, 1, 0.5 and 1).

Every answer must be a 4xx application/problem+json in the RFC 9457 shape, within a small
timeout. Afterwards both daemons are alive and ready, no row of any table of either database
changed (count and md5 of every table, login_attempts excepted: failed logins are what it
counts), no media file appeared, and neither daemon logged an error.

Each route's "base" request (ids, query, body) is valid: the sweep first sends it once for
a separate probe user and expects 2xx (401 for login), so every variant differs from a valid
request by exactly the one thing it breaks. GET /api/v1/carbon/factors takes no input at
all: garbage sent to it must be ignored (200), which is checked too.
"""
import concurrent.futures
import json
import os
import secrets
import socket
import time

import ed25519
import harness
import search_ref
from test_openapi_routes import route_table

PASSWORD = "correct horse battery"
SLOW = getattr(harness, "SLOWDOWN", 1.0)  # > 1 when the daemons run under a wrapper (valgrind)
TIMEOUT = 5 * SLOW
MAX_BIGINT = "9223372036854775807"
SQLI = ["' OR 1=1 --", "'; DROP TABLE users; --", "1; SELECT pg_sleep(10)", "\" OR \"\"=\"", "%' OR '%'='"]

# ---------------------------------------------------------------------------------------
# field kinds and the bad values each one gets


class Kind:
    """A body field: type, bounds, flags. `fmt` strings have a format (enum, date, email,
    username, time): any SQL injection string is invalid for them. `anystr` fields answer
    4xx to any string at all (login, the old password): they get everything."""

    def __init__(self, t, lo=None, hi=None, required=False, nullable=False, fmt=False, anystr=False,
                 nonzero=False, excl_lo=False, notrim=False, extra=()):
        self.t, self.lo, self.hi, self.required, self.nullable = t, lo, hi, required, nullable
        self.fmt, self.anystr, self.nonzero, self.excl_lo, self.notrim = fmt, anystr, nonzero, excl_lo, notrim
        self.extra = list(extra)  # more raw JSON values that break this field


def S(lo=0, hi=None, **kw):
    return Kind("str", lo, hi, **kw)


def I(lo, hi, **kw):
    return Kind("int", lo, hi, **kw)


def N(lo, hi, **kw):
    return Kind("num", lo, hi, **kw)


def B(**kw):
    return Kind("bool", **kw)


def E(values, **kw):
    return Kind("enum", fmt=True, extra=[json.dumps(v) for v in kw.pop("extra", [])] + [
        json.dumps(values[0].upper()), json.dumps(values[0] + " "), json.dumps(values[0] + "x"), '""'], **kw)


def D(**kw):
    return Kind("date", fmt=True, extra=list(kw.pop("extra", [])) + [json.dumps(v) for v in (
        "2026-02-30", "2026-13-01", "2026-00-10", "2025-02-29", "26-01-01", "2026-1-1", "1899-12-31",
        "10000-01-01", "2026-01-01T00:00:00Z", "", "0000-00-00", "2026/01/01", "２０２６-01-01")], **kw)


def IDS(lo, hi, **kw):
    return Kind("ids", lo, hi, **kw)


WRONG = {  # raw JSON of each type
    "str": '"7"', "int": "7", "float": "1.5", "arr": "[7]", "emptyarr": "[]", "obj": '{"a": 7}', "emptyobj": "{}",
    "true": "true", "false": "false", "null": "null",
}
LONG = json.dumps("x" * 60000)


def bad_values(k):
    """Raw JSON texts that are invalid for a field of kind k."""
    out = []
    wrong_types = {"str": ["int", "float", "arr", "emptyarr", "obj", "emptyobj", "true", "false"],
                   "enum": ["int", "float", "arr", "obj", "true"],
                   "date": ["int", "float", "arr", "obj", "true"],
                   "int": ["str", "arr", "obj", "emptyobj", "true", "false"],
                   "num": ["str", "arr", "obj", "true", "false"],
                   "bool": ["str", "int", "arr", "obj"],
                   "ids": ["str", "int", "obj", "true"]}[k.t]
    out += [WRONG[w] for w in wrong_types]
    if not k.nullable:
        out.append("null")
    if k.t in ("str", "enum", "date"):
        if k.hi is None or k.hi < 60000:
            out.append(LONG)
        if k.fmt or k.anystr:
            out += [json.dumps(s) for s in SQLI]
            out += ['"\\u202e\\u200b"', '"\\ud83d\\ude00"', '"%00"', '"../../etc/passwd"']
        if k.t == "str" and k.hi is not None and k.hi < 60000:
            out.append(json.dumps("é" * (k.hi + 1)))
        if k.t == "str" and k.lo and k.lo >= 1:
            out.append('""')
            if not k.notrim:
                out.append('" \\t\\n "')
    if k.t == "int":
        out += ["1.5", "-0.5", "1e309", "-1e309", "1e308", "-1e308", "99999999999999999999", "9" * 400, "1e99999",
                "-99999999999999999999", "9007199254740993", "%d" % (k.hi + 1), "%d" % (k.lo - 1)]
        if k.nonzero:
            out.append("0")
    if k.t == "num":
        out += ["1e309", "-1e309", "1e308", "-1e308", "9" * 400, "-1e99999", repr(float(k.hi) + 1),
                repr(float(k.lo) - 1)]
        if k.excl_lo:
            out += [repr(float(k.lo)), "-0.0"]
    if k.t == "ids":
        out += ["[0]", "[-1]", "[1.5]", '["1"]', "[null]", "[[1]]", "[1e309]", "[9007199254740992]",
                "[1, {}]", json.dumps(list(range(1, k.hi + 2)))]
        if k.lo >= 1:
            out.append("[]")
    out += k.extra
    return out


# Query parameter kinds: raw (already URL-encoded) invalid values.
def QI(lo, hi):
    return ["", "abc", "1.5", "1e3", "0x10", "%00", "1%00", "%FF", str(lo - 1), str(hi + 1), "99999999999999999999",
            "-99999999999999999999", "1e309", "nan", "1,2", "%27%20OR%201%3D1%20--"]


def QD(lo, hi):
    return ["", "abc", "nan", "NaN", "inf", "-inf", "1e309", "-1e309", "%00", "1%00", str(lo - 1), str(hi + 1),
            "0x", "1,5", "%27%20OR%201%3D1%20--"]


def QE(*_values):
    return ["", "x", "%00", "%FF", "%27%20OR%201%3D1%20--", "%27%3B%20DROP%20TABLE%20users%3B%20--", "a" * 300,
            "DESTINATION", "destination%00", "destination%20"]


def QDATE():
    return ["", "2026-02-30", "2026-13-01", "abc", "20260101", "2026-1-1", "1900-01-01", "9999-12-31",
            "2026-01-01T00:00:00Z", "%00", "%27%20OR%201%3D1%20--"]


QIDS = ["", "abc", "0", "-1", "1.5", "1,,2", ",", ",1", "1,", "%00", "99999999999999999999", "1e3", "1;2",
        "%27%20OR%201%3D1%20--", ",".join(str(i) for i in range(1, 1002))]

# ---------------------------------------------------------------------------------------
# the routes: base request (valid) + what each part accepts

LIMIT, OFFSET = QI(1, 100), QI(0, 1000000)
PAGED = {"limit": LIMIT, "offset": OFFSET}
ID53 = 9007199254740991
TRIGGERS = ["manual", "register", "eco_trip", "first_review", "first_plan"]
STOP_TYPES = ["restaurant", "accommodation", "attraction", "transport"]
SLOTS = ["morning", "afternoon", "evening"]
VEHICLES = ["car", "motorbike", "bus", "metro", "train", "walk_or_cycle"]
FUELS = ["petrol", "diesel", "electric", "hybrid", "none"]
CATEGORIES = ["attraction", "restaurant", "accommodation", "transport", "other"]


def r(ids=None, body=None, fields=None, query="", qbad=None, owned=False, extra_bodies=None, inputless=False,
      needs_query=False, extra_queries=()):
    """ids(ctx) -> path ids; body(ctx) -> base body; fields: {name: Kind}; query: base query;
    qbad: {param: [raw bad values]}, each replacing that parameter of the base query (the
    daemons read a parameter's first occurrence); extra_queries: whole invalid queries;
    owned: another user's ids must be refused; extra_bodies(ctx) -> [invalid bodies across
    fields]; needs_query: the bare path is invalid."""
    return dict(ids=ids or (lambda c: []), body=body, fields=fields or {}, query=query, qbad=qbad or {},
                owned=owned, extra_bodies=extra_bodies or (lambda c: []), inputless=inputless, needs_query=needs_query,
                extra_queries=list(extra_queries))


PLAN_FIELDS = {"place_name": S(1, 255, required=True), "start_date": D(required=True),
               "end_date": D(required=True), "budget_limit": N(0, 1e12, nullable=True, extra=["-0.01", "1e12"])}
STOP_FIELDS = {"destination_id": I(1, ID53, required=True, extra=["99999999"]),
               "type": E(STOP_TYPES, required=True), "visit_date": D(required=True, extra=['"2026-12-09"']),
               "time_slot": E(SLOTS, nullable=True), "position": I(0, 10000),
               "estimated_cost": N(0, 1e12, nullable=True, extra=["1e12", "999999999999.999"]),
               "note": S(0, 1000, nullable=True)}
MISSION_FIELDS = {"name": S(1, 200, required=True), "description": S(0, 1000, nullable=True),
                  "action_trigger": E(TRIGGERS, required=True), "value": I(0, 100000), "active": B()}
DEST_FIELDS = {"name": S(1, 200, required=True), "latitude": N(-90, 90, required=True),
               "longitude": N(-180, 180, required=True), "category": E(CATEGORIES, nullable=True),
               "address": S(0, 500, nullable=True), "description": S(0, 5000, nullable=True),
               "green_certified": B()}


def optional(fields):
    out = {}
    for name, k in fields.items():
        k2 = Kind.__new__(Kind)
        k2.__dict__.update(k.__dict__)
        k2.required = False
        out[name] = k2
    return out


def plan_body(c):
    return {"place_name": "Sweep " + c.suffix, "start_date": "2026-12-01", "end_date": "2026-12-05",
            "budget_limit": 100}


ROUTES = {
    # ---- user-service ----
    ("POST", "/api/v1/auth/register"): r(
        body=lambda c: {"username": "rg" + c.suffix, "email": "rg%s@example.com" % c.suffix, "password": PASSWORD},
        fields={"username": S(3, 50, required=True, fmt=True, extra=['"ab"', '"a b c"', '"ümlaut"']),
                "email": S(3, 254, required=True, fmt=True, extra=['"a@b"', '"@example.com"', '"a..b@example.com"',
                                                                     '"a@-x.com"', '"a@[127.0.0.1]"']),
                "password": S(8, 128, required=True, notrim=True, extra=['"short"'])},
        extra_bodies=lambda c: [{"username": c.user["username"], "email": "n%s@example.com" % c.suffix,
                                 "password": PASSWORD},
                                {"username": "n" + c.suffix, "email": c.user["email"].upper(), "password": PASSWORD}]),
    ("POST", "/api/v1/auth/login"): r(
        body=lambda c: {"email": "nobody%s@example.com" % c.suffix, "password": "not the password"},
        fields={"email": S(1, None, required=True, anystr=True), "password": S(1, None, required=True, anystr=True,
                                                                                notrim=True)},
        extra_bodies=lambda c: [{"email": c.user["email"], "password": "wrong password"},
                                {"email": c.user["email"], "password": PASSWORD + " "},
                                {"email": c.user["email"], "password": PASSWORD.upper()}]),
    ("GET", "/api/v1/users/me"): r(),
    ("PATCH", "/api/v1/users/me"): r(
        body=lambda c: {"username": c.user["username"]},
        fields={"username": S(3, 50, fmt=True, extra=['"ab"']),
                "avatar_media_id": I(1, 2 ** 53, nullable=True),
                "cover_media_id": I(1, 2 ** 53, nullable=True)},
        extra_bodies=lambda c: [{"avatar_media_id": c.other_media}, {"cover_media_id": c.other_media},
                                {"avatar_media_id": 99999999}, {"username": c.other["username"].upper()}]),
    ("DELETE", "/api/v1/users/me"): r(),
    ("POST", "/api/v1/auth/logout-all"): r(),
    ("PUT", "/api/v1/users/me/password"): r(
        body=lambda c: {"old_password": c.password, "new_password": "another good password"},
        fields={"old_password": S(1, 65536, required=True, anystr=True, notrim=True),
                "new_password": S(8, 128, required=True, notrim=True)},
        extra_bodies=lambda c: [{"old_password": "wrong password", "new_password": "another good password"},
                                {"old_password": c.password + " ", "new_password": "another good password"}]),
    ("GET", "/api/v1/users"): r(qbad=PAGED),
    ("GET", "/api/v1/users/{id}"): r(ids=lambda c: [c.user["id"]]),
    ("POST", "/api/v1/users/{id}/eco-points"): r(
        ids=lambda c: [c.user["id"]], body=lambda c: {"points": 1, "reason": "sweep"},
        fields={"points": I(-100000, 100000, required=True, nonzero=True),
                "reason": S(1, 200, required=True)},
        extra_bodies=lambda c: [{"points": -100000, "reason": "below zero"}]),

    ("POST", "/api/v1/reviews"): r(
        body=lambda c: {"destination_id": c.free_dest, "rating": 4, "content": "fine"},
        fields={"destination_id": I(1, ID53, required=True, extra=["99999999"]),
                "rating": I(1, 5, required=True), "content": S(0, 5000)},
        extra_bodies=lambda c: [{"destination_id": c.reviewed_dest, "rating": 4}]),
    ("GET", "/api/v1/reviews"): r(qbad=dict(PAGED, destination_id=QI(1, ID53), user_id=QI(1, ID53))),
    ("GET", "/api/v1/reviews/summary"): r(query="destination_id=1", qbad={"destination_id": QI(1, ID53)},
                                          needs_query=True),
    ("GET", "/api/v1/reviews/{id}"): r(ids=lambda c: [c.review], qbad={"expand": QE()}),
    ("PATCH", "/api/v1/reviews/{id}"): r(ids=lambda c: [c.review], body=lambda c: {"rating": 3}, owned=True,
                                         fields={"rating": I(1, 5), "content": S(0, 5000)}),
    ("DELETE", "/api/v1/reviews/{id}"): r(ids=lambda c: [c.review], owned=True),

    ("POST", "/api/v1/plans"): r(
        body=plan_body, fields=PLAN_FIELDS,
        extra_bodies=lambda c: [dict(plan_body(c), end_date="2026-11-30"), dict(plan_body(c), end_date="2028-01-01"),
                                dict(plan_body(c), start_date="1900-01-01", end_date="9999-12-31")]),
    ("GET", "/api/v1/plans"): r(qbad=PAGED),
    ("GET", "/api/v1/plans/{id}"): r(ids=lambda c: [c.plan], owned=True),
    ("PATCH", "/api/v1/plans/{id}"): r(
        ids=lambda c: [c.plan], body=lambda c: {"place_name": "Sweep plan"}, owned=True,
        fields=optional(PLAN_FIELDS),
        extra_bodies=lambda c: [{"start_date": "2026-12-06"}, {"end_date": "2026-11-30"},
                                {"start_date": "2026-12-03"}, {"end_date": "2028-12-01"}]),
    ("DELETE", "/api/v1/plans/{id}"): r(ids=lambda c: [c.plan], owned=True),
    ("POST", "/api/v1/plans/{id}/destinations"): r(
        ids=lambda c: [c.plan], owned=True, fields=STOP_FIELDS,
        body=lambda c: {"destination_id": 1, "type": "attraction", "visit_date": "2026-12-02"}),
    ("GET", "/api/v1/plans/{id}/destinations"): r(ids=lambda c: [c.plan], owned=True, qbad={"expand": QE()}),
    ("PATCH", "/api/v1/plans/{id}/destinations/{id}"): r(
        ids=lambda c: [c.plan, c.stop], owned=True, body=lambda c: {"note": "sweep"},
        fields={k: v for k, v in optional(STOP_FIELDS).items() if k != "destination_id"},
        extra_bodies=lambda c: [{"destination_id": 1}, {"visit_date": "2026-12-09"}, {"destination_id": None}]),
    ("DELETE", "/api/v1/plans/{id}/destinations/{id}"): r(ids=lambda c: [c.plan, c.stop], owned=True),
    ("GET", "/api/v1/plans/{id}/footprint"): r(
        ids=lambda c: [c.plan], owned=True,
        qbad={"mode": QE() + ["plane", "c" * 40], "fuel": ["x", "%00", "none", "electric%00", "p" * 40]}),

    ("GET", "/api/v1/carbon/factors"): r(inputless=True),
    ("POST", "/api/v1/carbon"): r(
        body=lambda c: {"vehicle_type": "car", "fuel_type": "petrol", "distance_km": 10},
        fields={"vehicle_type": E(VEHICLES, required=True), "fuel_type": E(FUELS, required=True),
                "distance_km": N(0, 20000, required=True, excl_lo=True),
                "passengers": I(1, 100, nullable=True),
                "traveled_at": S(1, 64, nullable=True, fmt=True, extra=[json.dumps(v) for v in (
                    "2999-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-01-01",
                    "2026-01-01T25:00:00Z", "2026-01-01T00:00:60Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00+24:00",
                    "2026-01-01T00:00:00.Z", "now", "yesterday", "1700000000")])},
        extra_bodies=lambda c: [{"vehicle_type": "walk_or_cycle", "fuel_type": "petrol", "distance_km": 1},
                                {"vehicle_type": "metro", "fuel_type": "diesel", "distance_km": 1},
                                {"vehicle_type": "motorbike", "fuel_type": "hybrid", "distance_km": 1},
                                {"vehicle_type": "bus", "fuel_type": "none", "distance_km": 1}]),
    ("GET", "/api/v1/carbon"): r(qbad=dict(PAGED, **{"from": QDATE(), "to": QDATE()}),
                                 extra_queries=["from=2026-03-05&to=2026-03-01"]),
    ("GET", "/api/v1/carbon/summary"): r(query="period=week", needs_query=True,
                                         qbad={"period": QE() + ["WEEK", "fortnight"], "date": QDATE()}),
    ("GET", "/api/v1/carbon/{id}"): r(ids=lambda c: [c.carbon], owned=True),
    ("DELETE", "/api/v1/carbon/{id}"): r(ids=lambda c: [c.carbon], owned=True),

    ("GET", "/api/v1/missions"): r(qbad=PAGED),
    ("POST", "/api/v1/missions"): r(
        body=lambda c: {"name": "Sweep mission " + c.suffix, "action_trigger": "manual", "value": 5},
        fields=MISSION_FIELDS,
        extra_bodies=lambda c: [{"name": c.mission_name.upper(), "action_trigger": "manual"}]),
    ("GET", "/api/v1/missions/{id}"): r(ids=lambda c: [c.mission]),
    ("PATCH", "/api/v1/missions/{id}"): r(ids=lambda c: [c.mission], body=lambda c: {"value": 5},
                                          fields=optional(MISSION_FIELDS),
                                          extra_bodies=lambda c: [{"name": c.other_mission_name}]),
    ("DELETE", "/api/v1/missions/{id}"): r(ids=lambda c: [c.mission]),
    ("POST", "/api/v1/missions/{id}/complete"): r(ids=lambda c: [c.mission]),
    ("GET", "/api/v1/users/me/missions"): r(),
    ("GET", "/api/v1/leaderboard"): r(qbad={"limit": LIMIT}),

    ("POST", "/api/v1/media"): r(query="category=travel_photo", qbad={"category": QE() + ["AVATAR", "png"]},
                                 needs_query=True),
    ("GET", "/api/v1/media"): r(qbad=PAGED),
    ("GET", "/api/v1/media/{id}"): r(ids=lambda c: [c.media], owned=True),
    ("GET", "/api/v1/media/{id}/content"): r(ids=lambda c: [c.media], owned=True),
    ("DELETE", "/api/v1/media/{id}"): r(ids=lambda c: [c.media], owned=True),

    ("POST", "/api/v1/messages"): r(body=lambda c: {"content": "hello"}, fields={"content": S(1, 2000, required=True)}),
    ("GET", "/api/v1/messages"): r(qbad={"limit": LIMIT, "before_id": QI(1, ID53)}),
    ("DELETE", "/api/v1/messages"): r(),
    ("GET", "/internal/v1/users/{id}/session"): r(ids=lambda c: [c.user["id"]], query="ver=0",
                                                  qbad={"ver": QI(0, 2147483647)},
                                                  needs_query=True),

    # ---- destination-service ----
    ("GET", "/api/v1/destinations"): r(qbad=dict(PAGED, q=["%FF", "%C0%AF", "%ED%A0%80", "%00", "a%00b",
                                                           "%C3%A9" * 201, "a" * 201, "%", "%4", "%G0"],
                                                 category=QE() + ["ATTRACTION"])),
    ("POST", "/api/v1/destinations"): r(
        body=lambda c: {"name": "Sweep place " + c.suffix, "latitude": 10.5, "longitude": 106.5},
        fields=DEST_FIELDS,
        extra_bodies=lambda c: [{"name": c.dest_name, "latitude": c.dest_lat, "longitude": c.dest_lon}]),
    ("GET", "/api/v1/destinations/nearby"): r(
        query="lat=21.03&lon=105.85", needs_query=True,
        qbad={"lat": QD(-90, 90), "lon": QD(-180, 180), "radius_km": QD(0, 1000) + ["0", "-0"],
              "limit": LIMIT}),
    ("GET", "/api/v1/destinations/{id}"): r(ids=lambda c: [c.dest]),
    ("PATCH", "/api/v1/destinations/{id}"): r(ids=lambda c: [c.dest], body=lambda c: {"description": "sweep"},
                                              fields=optional(DEST_FIELDS),
                                              extra_bodies=lambda c: [{"name": c.other_dest_name,
                                                                       "latitude": c.other_dest_lat,
                                                                       "longitude": c.other_dest_lon}]),
    ("DELETE", "/api/v1/destinations/{id}"): r(ids=lambda c: [c.dest]),
    ("GET", "/internal/v1/destinations"): r(query="ids=1,2", qbad={"ids": QIDS}, needs_query=True),
    ("GET", "/internal/v1/destinations/changes"): r(query="after=0&limit=5", qbad={"after": QI(0, ID53),
                                                                                 "limit": QI(1, 1000)},
                                                    needs_query=True),
    ("POST", "/internal/v1/destinations/validate"): r(body=lambda c: {"ids": [1, 2]},
                                                      fields={"ids": IDS(1, 1000, required=True)}),
}

# ---------------------------------------------------------------------------------------
# set-up: users, objects, tokens


class Ctx:
    """One user's world: its token and objects, plus the admin's."""

    def __init__(self, h, admin, other=None):
        self.suffix = secrets.token_hex(5)
        self.password = PASSWORD
        self.user = register(h, "sw" + self.suffix)
        self.token = self.user["token"]
        self.admin = admin
        u, tok = h.user_url + "/api/v1", self.token
        self.plan = must(h.post(u + "/plans", plan_body(self), token=tok))["id"]
        self.stop = must(h.post(u + "/plans/%d/destinations" % self.plan,
                                {"destination_id": 1, "type": "attraction", "visit_date": "2026-12-02"},
                                token=tok))["id"]
        self.reviewed_dest, self.free_dest = 2, 3
        self.review = must(h.post(u + "/reviews", {"destination_id": 2, "rating": 5, "content": "ok"}, token=tok))["id"]
        self.carbon = must(h.post(u + "/carbon", {"vehicle_type": "bus", "fuel_type": "diesel", "distance_km": 3},
                                  token=tok))["id"]
        self.media = must(h.request("POST", u + "/media?category=travel_photo", body=PNG,
                                    headers={"Content-Type": "image/png"}, token=tok))["id"]
        must(h.post(u + "/messages", {"content": "hello"}, token=tok))
        self.mission_name = "Sweep manual " + self.suffix
        self.mission = must(h.post(u + "/missions", {"name": self.mission_name, "action_trigger": "manual",
                                                     "value": 1}, token=admin["token"]))["id"]
        self.dest_name, self.dest_lat, self.dest_lon = "Sweep dest " + self.suffix, 11.25, 107.25
        self.dest = must(h.post(h.dest_url + "/api/v1/destinations",
                                {"name": self.dest_name, "latitude": self.dest_lat, "longitude": self.dest_lon},
                                token=admin["token"]))["id"]
        if other:  # the probe's objects, for "another user's" ids
            self.other_media = other.media
            self.other_mission_name = other.mission_name
            self.other_dest_name, self.other_dest_lat, self.other_dest_lon = \
                other.dest_name, other.dest_lat, other.dest_lon
        else:
            self.other_media, self.other_mission_name = 99999999, "Nope"
            self.other_dest_name, self.other_dest_lat, self.other_dest_lon = "Nope", 0, 0
        self.other = other.user if other else self.user


def must(resp):
    assert 200 <= resp.status < 300, resp
    return resp.json()


def register(h, name):
    r = h.post(h.user_url + "/api/v1/auth/register",
               {"username": name, "email": name + "@example.com", "password": PASSWORD})
    u = dict(must(r)["user"])
    u["token"] = r.json()["access_token"]
    return u


def png():
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00")) + \
        chunk(b"IEND", b"")


PNG = png()

# ---------------------------------------------------------------------------------------
# building the requests


class Req:
    __slots__ = ("service", "method", "path", "headers", "body", "why")

    def __init__(self, service, method, path, headers=None, body=None, why=""):
        self.service, self.method, self.path, self.headers, self.body, self.why = \
            service, method, path, dict(headers or {}), body, why


def fill(pattern, ids):
    parts, n = [], 0
    for seg in pattern.split("/"):
        if seg == "{id}":
            seg = str(ids[n])
            n += 1
        parts.append(seg)
    return "/".join(parts)


def with_param(query, name, value):
    """query (a=1&b=2) with name set to value: replaced in place, or appended."""
    parts = [p for p in query.split("&") if p]
    for i, p in enumerate(parts):
        if p.split("=", 1)[0] == name:
            parts[i] = "%s=%s" % (name, value)
            return "&".join(parts)
    return "&".join(parts + ["%s=%s" % (name, value)])


def raw_body(base, field, raw):
    """base as JSON with field's value replaced by the raw JSON text raw."""
    marker = "@@RAW-%s@@" % secrets.token_hex(4)
    b = dict(base)
    b[field] = marker
    return json.dumps(b).replace(json.dumps(marker), raw).encode()


def auth_headers(h, level, service, c):
    """(headers, why) pairs of credentials that must not get through at this level."""
    tok = c.token
    out = []
    if level == "AUTH_INTERNAL":
        it = h.internal_token
        for hdrs, why in (({}, "no token"), ({"X-Internal-Token": ""}, "empty token"),
                          ({"X-Internal-Token": "wrong"}, "wrong token"),
                          ({"X-Internal-Token": it + "x"}, "token + x"), ({"X-Internal-Token": it[:-1]}, "prefix"),
                          ({"X-Internal-Token": it.upper() if it.upper() != it else it.lower()}, "case"),
                          ({"X-Internal-Token": " " + it + "x"}, "padded"),
                          ({"Authorization": "Bearer " + it}, "as bearer"),
                          ({"Authorization": "Bearer " + c.admin["token"]}, "admin JWT"),
                          ({"X-Internal-Token": "a" * 4000}, "long")):
            out.append((hdrs, why))
        return out
    now = int(time.time())
    garbage = [("", "no header"), ("Bearer", "Bearer alone"), ("Bearer ", "Bearer space"), ("bearer  ", "bearer 2sp"),
               ("Basic dXNlcjpwYXNz", "Basic"), ("Token " + tok, "Token scheme"), ("Bearer abc", "garbage"),
               ("Bearer a.b.c", "3 garbage parts"), ("Bearer " + tok + "x", "bad signature"),
               ("Bearer " + tok[:-2], "cut signature"), ("Bearer " + tok.replace(".", "..", 1), "double dot"),
               ("Bearer " + "A" * 6000, "6 KB token"), ("Bearer " + tok + " " + tok, "two tokens"),
               ("Bearer é", "latin-1"), (tok, "no scheme"),
               ("Bearer " + h.jwt(c.user["id"], ttl=-3600), "expired"),
               ("Bearer " + h.jwt(c.user["id"], key=ed25519.Key.generate(h.signing_key.kid)), "other key"),
               ("Bearer " + h.jwt(c.user["id"], alg="none"), "alg none"),
               ("Bearer " + h.jwt(c.user["id"], header={"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + ".",
                "alg none unsigned"),
               ("Bearer " + h.jwt(c.user["id"], alg="HS512"), "HS512"),
               ("Bearer " + h.jwt(c.user["id"], iss="someone-else"), "wrong issuer"),
               ("Bearer " + h.jwt(c.user["id"], payload={"sub": str(c.user["id"]), "role": "user",
                                                         "iat": now, "iss": h.issuer}), "no exp"),
               ("Bearer " + h.jwt("abc"), "sub abc"), ("Bearer " + h.jwt("-1"), "sub -1"),
               ("Bearer " + h.jwt("99999999999999999999"), "sub huge"), ("Bearer " + h.jwt("0"), "sub 0")]
    if service == "user":
        garbage += [("Bearer " + h.jwt(987654321), "unknown user"),
                    ("Bearer " + h.jwt(c.user["id"], ver=7), "old token version"),
                    ("Bearer " + h.jwt(c.admin["id"], role="admin", ver=7), "admin old version")]
    if service == "dest" and level == "AUTH_ADMIN":  # user-service vouches for admin tokens (issue 19)
        garbage += [("Bearer " + h.jwt(987654321, role="admin"), "unknown admin"),
                    ("Bearer " + h.jwt(c.admin["id"], role="admin", ver=7), "admin old version"),
                    ("Bearer " + h.jwt(c.user["id"], role="admin"), "forged admin role")]
    for value, why in garbage:
        out.append(({"Authorization": value} if value else {}, why))
    if level == "AUTH_ADMIN":
        out.append(({"Authorization": "Bearer " + tok}, "user token on admin route"))
        if service == "user":  # the role comes from the database, not the token
            out.append(({"Authorization": "Bearer " + h.jwt(c.user["id"], role="admin")}, "forged admin role"))
    return out


def build(h, service, method, pattern, level, spec, c, probe):
    """Every invalid request for one route."""
    out = []
    ids = spec["ids"](c)
    path = fill(pattern, ids)
    q = spec["query"]
    full = path + ("?" + q if q else "")
    body = spec["body"](c) if spec["body"] else None
    media = pattern == "/api/v1/media" and method == "POST"
    if media:
        base_hdrs, base_data = {"Content-Type": "image/png"}, PNG
    elif body is not None:
        base_hdrs, base_data = {"Content-Type": "application/json"}, json.dumps(body).encode()
    else:
        base_hdrs, base_data = {}, None
    good = {"AUTH_NONE": {}, "AUTH_USER": {"Authorization": "Bearer " + c.token},
            "AUTH_ADMIN": {"Authorization": "Bearer " + c.admin["token"]},
            "AUTH_INTERNAL": {"X-Internal-Token": h.internal_token}}[level]

    def add(p, hdrs, data, why):
        out.append(Req(service, method, p, hdrs, data, why))

    # credentials
    if level != "AUTH_NONE":
        for hdrs, why in auth_headers(h, level, service, c):
            add(full, dict(base_hdrs, **hdrs), base_data, "auth: " + why)
    auth = dict(good)
    # path ids
    nids = pattern.count("{id}")
    for pos in range(nids):
        for bad in ("0", "-1", "01", "+1", "1.5", "1e3", "0x10", "abc", "%00", "%31", "1%00", "99999999999999999999",
                    "9223372036854775808", "", " 1".replace(" ", "%20"), MAX_BIGINT):
            bid = list(ids)
            bid[pos] = bad
            add(fill(pattern, bid) + ("?" + q if q else ""), dict(base_hdrs, **auth), base_data,
                "id[%d]=%s" % (pos, bad))
    if spec["owned"]:  # someone else's objects
        other_ids = spec["ids"](probe)
        add(fill(pattern, other_ids) + ("?" + q if q else ""), dict(base_hdrs, **auth), base_data, "another user's id")
        if nids == 2:  # my plan, their stop
            add(fill(pattern, [ids[0], other_ids[1]]), dict(base_hdrs, **auth), base_data, "their stop in my plan")
    # query parameters
    if spec["needs_query"]:
        add(path, dict(base_hdrs, **auth), base_data, "query missing")
    for param, values in spec["qbad"].items():
        for v in values:
            add(path + "?" + with_param(q, param, v), dict(base_hdrs, **auth), base_data,
                "query %s=%s" % (param, v[:40]))
    for extra in spec["extra_queries"]:
        add(path + "?" + extra, dict(base_hdrs, **auth), base_data, "query " + extra)
    if media:
        out += media_bodies(service, method, path, q, auth)
    # bodies
    if body is not None:
        for data, why in malformed_bodies():
            add(full, dict(auth, **{"Content-Type": "application/json"}), data, "body: " + why)
        for ct in ("text/plain", "application/xml", "multipart/form-data", "application/x-www-form-urlencoded",
                   "application/json-patch+json", "application/jsonx", "text/json", "", None):
            hdrs = dict(auth)
            if ct is not None:
                hdrs["Content-Type"] = ct
            add(full, hdrs, base_data, "content type %r" % ct)
        for name, k in spec["fields"].items():
            for raw in bad_values(k):
                add(full, dict(auth, **{"Content-Type": "application/json"}), raw_body(body, name, raw),
                    "field %s=%s" % (name, raw[:40]))
            if k.required:
                b = dict(body)
                b.pop(name, None)
                add(full, dict(auth, **{"Content-Type": "application/json"}), json.dumps(b).encode(),
                    "field %s missing" % name)
        for b in spec["extra_bodies"](c):
            add(full, dict(auth, **{"Content-Type": "application/json"}), json.dumps(b).encode(),
                "rule: %s" % json.dumps(b)[:60])
    return out


def malformed_bodies():
    deep = b"[" * 5000 + b"]" * 5000
    deep_obj = b'{"a":' * 5000 + b"1" + b"}" * 5000
    return [(b"", "empty"), (b"   ", "blank"), (b"{", "open brace"), (b"}", "close brace"), (b'{"a":}', "no value"),
            (b"{'a': 1}", "single quotes"), (b"[]", "array"), (b"[1,2]", "array of numbers"), (b'"text"', "string"),
            (b"1", "number"), (b"null", "null"), (b"true", "true"), (b"{} {}", "two objects"), (b"{}x", "trailing x"),
            (b'{"a":1,}', "trailing comma"), (b'{"a" 1}', "missing colon"), (b"NaN", "NaN"),
            (b'{"a":NaN}', "NaN value"), (b'{"a":Infinity}', "Infinity"), (b'{"a":-Infinity}', "-Infinity"),
            (b'{"a":0x10}', "hex"), (b'{"a":"\\x"}', "bad escape"),
            (b'{"a":"\\u12"}', "short unicode escape"), (b'{"a":"\\ud800"}', "lone surrogate"),
            (b'{"a":"\\udc00\\ud800"}', "reversed surrogates"),
            (b'{"a":"\xff"}', "invalid UTF-8 0xff"), (b'{"a":"\xc0\xaf"}', "overlong UTF-8"),
            (b'{"a":"\xed\xa0\x80"}', "UTF-8 surrogate"), (b'{"\xfe":1}', "invalid UTF-8 key"),
            (b'{"a":"\xe2\x82"}', "truncated UTF-8"), (b'{"a":"x\x00y"}', "raw NUL"), (b"{}\x00", "NUL after"),
            (b'{"a":"\\u0000"}', "escaped NUL"), (b'{"\\u0000":1}', "escaped NUL key"),
            (b'{"a":"line\nbreak"}', "raw newline in string"), (b'{"a":"tab\there"}', "raw tab in string"),
            (deep, "5000-deep arrays"), (deep_obj, "5000-deep objects"), (b"\x00", "NUL"),
            (b"\x1f\x8b\x08\x00", "gzip magic"),
            (b'<?xml version="1.0"?><a/>', "XML")]


def media_bodies(service, method, path, q, auth):
    full = path + "?" + q
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
          b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    bnd = "sweepboundary"

    def mp(part):
        return ("--%s\r\n" % bnd).encode() + part + ("\r\n--%s--\r\n" % bnd).encode()

    cases = [({"Content-Type": "text/plain"}, b"hello", "text/plain"),
             ({"Content-Type": "application/json"}, b'{"file": "x"}', "JSON"),
             ({"Content-Type": "application/xml"}, b"<a/>", "XML"),
             ({"Content-Type": "multipart/form-data"}, PNG, "multipart without boundary"),
             ({"Content-Type": "multipart/form-data; boundary="}, PNG, "empty boundary"),
             ({"Content-Type": "multipart/form-data; boundary=" + "b" * 200}, PNG, "overlong boundary"),
             ({"Content-Type": "multipart/form-data; boundary=" + bnd}, b"garbage", "garbage multipart"),
             ({"Content-Type": "multipart/form-data; boundary=" + bnd},
              mp(b'Content-Disposition: form-data; name="other"\r\n\r\n' + PNG), "no file field"),
             ({"Content-Type": "multipart/form-data; boundary=" + bnd},
              mp(b'Content-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'), "empty file part"),
             ({"Content-Type": "multipart/form-data; boundary=" + bnd},
              ("--%s\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" % bnd).encode() + PNG,
              "unterminated multipart"),
             ({"Content-Type": "multipart/form-data; boundary=" + bnd},
              mp(b'Content-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/jpeg\r\n\r\n'
                 + PNG), "part declared jpeg"),
             ({"Content-Type": "image/jpeg"}, PNG, "PNG declared JPEG"),
             ({"Content-Type": "image/png"}, b"", "empty image"),
             ({"Content-Type": "image/png"}, b"\x89PNG", "PNG signature only"),
             ({"Content-Type": "image/gif"}, gif, "GIF"),
             ({"Content-Type": "image/svg+xml"}, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
             ({"Content-Type": "image/png"}, b"\x00" * 60000, "60 KB of zeros"),
             ({}, PNG, "no content type")]
    return [Req(service, method, full, dict(auth, **hdrs), data, "media: " + why) for hdrs, data, why in cases]


# ---------------------------------------------------------------------------------------
# sending and judging


def send(h, rq):
    base = h.user_url if rq.service == "user" else h.dest_url
    try:
        return h.request(rq.method, base + rq.path, body=rq.body, headers=rq.headers, timeout=TIMEOUT)
    except Exception as e:  # a hang or a dropped connection is a failure like any other
        return e


def verdict(rq, resp):
    """None if resp is a proper 4xx problem, else what is wrong."""
    if isinstance(resp, Exception):
        return "no answer: %r" % resp
    if not 400 <= resp.status < 500:
        return "status %d: %r" % (resp.status, resp.body[:200])
    ct = resp.header("content-type") or ""
    if not ct.startswith("application/problem+json"):
        return "%d with content type %r" % (resp.status, ct)
    try:
        p = resp.json()
    except ValueError:
        return "%d problem body is not JSON: %r" % (resp.status, resp.body[:200])
    if not (isinstance(p, dict) and p.get("status") == resp.status and isinstance(p.get("title"), str) and p["title"]
            and isinstance(p.get("detail"), str) and isinstance(p.get("type"), str) and p["type"]):
        return "%d problem shape: %r" % (resp.status, p)
    if resp.status == 401 and not rq.path.startswith(("/internal", "/api/v1/auth/")) \
            and resp.header("www-authenticate") is None:
        return "401 without WWW-Authenticate"
    return None


def snapshot(h):
    """{(db, table): (rows, md5 of every row)} of both databases, login_attempts and dest_feed_cursor (follower bookkeeping that moves with any destination write) excepted."""
    out = {}
    for db in ("users", "destinations"):
        sql = h.psql(db, "SELECT string_agg(format('SELECT %L, count(*), md5(coalesce(string_agg(t::text, '','' "
                         "ORDER BY t::text), '''')) FROM %I t', tablename, tablename), ' UNION ALL ') "
                         "FROM pg_tables WHERE schemaname = 'public' "
                         "AND tablename NOT IN ('login_attempts', 'dest_feed_cursor')")
        for line in h.psql(db, sql).splitlines():
            table, n, digest = line.split("|")
            out[(db, table)] = (int(n), digest)
    return out


def media_files(h):
    found = []
    for root, _dirs, files in os.walk(h.media_dir):
        found += [os.path.join(root, f) for f in files]
    return sorted(found)


def log_size(d):
    return os.path.getsize(d.log_path)


def new_log_lines(d, offset):
    with open(d.log_path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace").splitlines()


def routes_of_both():
    out = []
    for service, name in (("user", "user-service"), ("dest", "destination-service")):
        for (method, spec_path), level in route_table(name).items():
            pattern = spec_path.replace("{item_id}", "{id}")
            out.append((service, method, pattern, level))
    return out


def sweep_requests(h, c, probe):
    reqs = []
    missing = []
    for service, method, pattern, level in routes_of_both():
        spec = ROUTES.get((method, pattern))
        if spec is None:
            missing.append((method, pattern))
            continue
        made = build(h, service, method, pattern, level, spec, c, probe)
        assert made or spec["inputless"], "no invalid request for %s %s" % (method, pattern)
        reqs += made
    assert not missing, "routes without a sweep entry in test_bad_input.ROUTES: %s" % missing
    stale = set(ROUTES) - {(m, p) for _, m, p, _ in routes_of_both()}
    assert not stale, "ROUTES names routes that no longer exist: %s" % stale
    return reqs


def verify_bases(h, probe):
    """Each route's base request, sent once for the probe user, is valid: 2xx (login: 401)."""
    for service, method, pattern, level in routes_of_both():
        spec = ROUTES[(method, pattern)]
        if method == "DELETE" or pattern.endswith("/complete") or pattern == "/api/v1/users/me/password":
            continue  # run below (password) or they would destroy what the others need
        if spec["body"] is None and not spec["query"] and pattern != "/api/v1/media":
            continue
        base = h.user_url if service == "user" else h.dest_url
        path = fill(pattern, spec["ids"](probe)) + ("?" + spec["query"] if spec["query"] else "")
        tok = {"AUTH_USER": probe.token, "AUTH_ADMIN": probe.admin["token"]}.get(level)
        hdrs = {"X-Internal-Token": h.internal_token} if level == "AUTH_INTERNAL" else {}
        if pattern == "/api/v1/media":
            resp = h.request(method, base + path, body=PNG, headers={"Content-Type": "image/png"}, token=tok)
        elif spec["body"]:
            resp = h.request(method, base + path, body=spec["body"](probe), headers=hdrs, token=tok)
        else:
            resp = h.request(method, base + path, headers=hdrs, token=tok)
        want_401 = pattern == "/api/v1/auth/login"
        assert (resp.status == 401) if want_401 else (200 <= resp.status < 300), (method, pattern, resp)
    # the password change last: it retires the probe's token (the sweep does not use it again)
    spec = ROUTES[("PUT", "/api/v1/users/me/password")]
    resp = h.request("PUT", h.user_url + "/api/v1/users/me/password", body=spec["body"](probe), token=probe.token)
    assert resp.status == 200, resp


# ---------------------------------------------------------------------------------------
# the tests


def test_every_route_refuses_every_bad_input_with_a_4xx_problem(h):
    h.user.stop()  # no reconciler pass in the middle of the snapshot; login limits out of the way
    h.user.start(extra_env={"RECONCILE_INTERVAL_SECONDS": "0", "LOGIN_MAX_ATTEMPTS_PER_ACCOUNT": "1000000",
                            "LOGIN_MAX_ATTEMPTS_PER_ADDRESS": "1000000"})
    try:
        admin = register(h, "swadmin" + secrets.token_hex(4))
        h.psql("users", "UPDATE users SET role = 'admin' WHERE id = %d" % admin["id"])
        # a token that says admin, for destination-service (which trusts the token's role)
        admin["token"] = must(h.post(h.user_url + "/api/v1/auth/login",
                                     {"email": admin["email"], "password": PASSWORD}))["access_token"]
        probe = Ctx(h, admin)
        c = Ctx(h, admin, other=probe)
        reqs = sweep_requests(h, c, probe)
        verify_bases(h, probe)

        before, files = snapshot(h), media_files(h)
        logs = {d.name: log_size(d) for d in (h.user, h.dest)}
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as ex:
            results = list(ex.map(lambda rq: (rq, send(h, rq)), reqs))
        # 16 senders against 4 workers and two password-hashing slots: the hash gate may answer
        # a login, a registration or a password change 503 with Retry-After (the overload
        # contract, test_abuse.py). A client retries those; so does the sweep, once and alone,
        # and judges the retry.
        retried = 0
        for i, (rq, resp) in enumerate(results):
            if getattr(resp, "status", None) == 503 and resp.header("Retry-After") and \
                    b"passwords are being checked" in resp.body:
                time.sleep(0.2)
                results[i] = (rq, send(h, rq))
                retried += 1
        elapsed = time.time() - t0
        failures = []
        for rq, resp in results:
            why = verdict(rq, resp)
            if why:
                failures.append("%s %s %s [%s]: %s" % (rq.service, rq.method, rq.path[:80], rq.why, why))
        statuses = {}
        for _, resp in results:
            k = getattr(resp, "status", "error")
            statuses[k] = statuses.get(k, 0) + 1
        print("  sweep: %d requests over %d routes in %.1f s; statuses %s; %d hash-gate 503s retried"
              % (len(reqs), len(routes_of_both()), elapsed, dict(sorted(statuses.items(), key=str)), retried))
        assert not failures, "%d of %d answers were wrong:\n  %s" % (len(failures), len(reqs),
                                                                     "\n  ".join(failures[:60]))
        # both alive and ready; nothing changed; nothing logged as an error
        for d, base in ((h.user, h.user_url), (h.dest, h.dest_url)):
            assert d.alive(), d.name
            assert h.get(base + "/readyz").status == 200, d.name
        after = snapshot(h)
        changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
        assert not changed, "tables changed by invalid requests: %s" % changed
        assert media_files(h) == files
        for d in (h.user, h.dest):
            errors = [line for line in new_log_lines(d, logs[d.name]) if '"level":"error"' in line]
            assert not errors, (d.name, errors[:5])
        assert elapsed < 30 * SLOW, elapsed
    finally:
        h.user.stop()
        h.psql("users", "DELETE FROM login_attempts")
        h.user.start()


def test_inputless_route_ignores_garbage(h):
    """GET /api/v1/carbon/factors takes nothing: garbage query, body and credentials are ignored."""
    url = h.user_url + "/api/v1/carbon/factors"
    for path, hdrs, body in (("?limit=abc&%00=%FF", {}, None), ("", {"Authorization": "Bearer garbage"}, None),
                             ("", {"Content-Type": "application/json"}, b"{"),
                             ("?x=%27%20OR%201%3D1%20--", {}, None)):
        r = h.request("GET", url + path, headers=hdrs, body=body)
        assert r.status == 200 and len(r.json()["items"]) > 0, (path, r)


def test_sql_injection_strings_are_only_data(h):
    """Where a field takes free text, SQL injection strings are stored and found verbatim."""
    u = register(h, "inj" + secrets.token_hex(4))
    tok = u["token"]
    for s in SQLI:
        r = h.post(h.user_url + "/api/v1/plans", {"place_name": s, "start_date": "2026-12-01",
                                                   "end_date": "2026-12-02"}, token=tok)
        assert r.status == 201 and r.json()["place_name"] == s, r
        r = h.post(h.user_url + "/api/v1/messages", {"content": s}, token=tok)
        assert r.status == 201 and r.json()["message"]["content"] == s, r
    assert h.get(h.user_url + "/api/v1/plans?limit=100", token=tok).json()["total"] == len(SQLI)
    # an address with a quote is a valid email, and stays exactly that
    name = "o'brien--" + secrets.token_hex(3)
    r = h.post(h.user_url + "/api/v1/auth/register", {"username": "ob" + secrets.token_hex(4),
                                                       "email": name + "@example.com", "password": PASSWORD})
    assert r.status == 201 and r.json()["user"]["email"] == name + "@example.com", r
    assert h.post(h.user_url + "/api/v1/auth/login", {"email": name + "@example.com", "password": PASSWORD}).status \
        == 200
    # search text is text: an injection is only its words ("' OR 1=1 --" searches for "or 1 1"),
    # answers exactly what those words typed plainly answer, and the table is still there
    import urllib.parse
    for s in SQLI:
        r = h.get(h.dest_url + "/api/v1/destinations?q=" + urllib.parse.quote(s))
        plain = h.get(h.dest_url + "/api/v1/destinations?q=" + urllib.parse.quote(" ".join(search_ref.words(s))))
        assert r.status == 200 and plain.status == 200, (s, r, plain)
        assert r.json()["total"] == plain.json()["total"] and r.json()["items"] == plain.json()["items"], (s, r)
    assert int(h.psql("users", "SELECT count(*) FROM users")) > 0


RAW = [  # protocol-level garbage: evhttp answers before any of our code (plain text/HTML)
    (b"POST /api/v1/destinations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "negative Content-Length"),
    (b"POST /api/v1/destinations HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", "huge CL"),
    (b"POST /api/v1/destinations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk"),
    (b"POST /api/v1/destinations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n", "chunk -5"),
    (b"POST /api/v1/destinations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
     "chunk 2^64"),
    (b"POST /api/v1/destinations HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", "CL and TE"),
    (b"GET /api/v1/destinations/abc HTTP/1.1\r\nHost x\r\n\r\n", "header without colon"),
    (b"GET /api/v1/destinations/abc HTTP/1.1\r\nHost: x\x00y\r\n\r\n", "NUL in a header"),
    (b"GET /api/v1/destinations/1\x00 HTTP/1.1\r\nHost: x\r\n\r\n", "NUL in the path"),
    (b"GET /api/v1/destinations/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", "raw bytes in the path"),
    (b"GET /api/v1/destinations/abc HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/2.0"),
    (b"GET /api/v1/destinations/abc\r\n\r\n", "HTTP/0.9"),
    (b"GET http://evil.example/api/v1/destinations/abc HTTP/1.1\r\nHost: x\r\n\r\n", "absolute URI"),
    (b"GET /api/v1/destinations/abc HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300))
     + b"\r\n", "300 headers"),
    (b"GET /" + b"a" * 7000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "7000-byte path"),
    (b"GET /api/v1/destinations/abc HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", "folded header"),
    (b"GET /api/v1/destinations/abc HTTP/1.1\nHost: x\n\n", "bare LF"),
    (b"GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "dot-dot path"),
    (b"GET /api/v1/destinations/%2e%2e%2f HTTP/1.1\r\nHost: x\r\n\r\n", "encoded dot-dot"),
    (b"GET /api/v1/destinations/%zz HTTP/1.1\r\nHost: x\r\n\r\n", "bad percent escape"),
    (b"GET /api/v1/destinations?%%%&&&==&q=%ff HTTP/1.1\r\nHost: x\r\n\r\n", "garbage query"),
    (b"\r\n\r\n", "empty request"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, "TLS client hello"),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/2 preface"),
]
# Methods the daemons do not implement: evhttp answers 501 Not Implemented (RFC 9110 15.6.2).
RAW_501 = [(b"BREW /api/v1/destinations HTTP/1.1\r\nHost: x\r\n\r\n", "unknown method"),
           (b"TRACE /api/v1/destinations HTTP/1.1\r\nHost: x\r\n\r\n", "TRACE"),
           (b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", "CONNECT"),
           (b"get /api/v1/destinations HTTP/1.1\r\nHost: x\r\n\r\n", "lower-case method")]


def first_line(port, data):
    """Sends data on a fresh connection; returns the answer's status line (b"" if the
    daemon closed without one)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    out = b""
    try:
        s.sendall(data)
        while b"\n" not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except ConnectionResetError:
        pass
    finally:
        s.close()
    return out.split(b"\n", 1)[0].rstrip(b"\r") if b"\n" in out else out


def test_protocol_garbage_is_refused_and_the_daemons_survive(h):
    """Answered 4xx, or closed without an answer (the TLS hello: no request line ever ends,
    so the idle timeout closes it); unimplemented methods 501, as RFC 9110 says."""
    cases = [(port, data, why) for port in (h.user.port, h.dest.port) for data, why in RAW + RAW_501]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        lines = list(ex.map(lambda c: first_line(c[0], c[1]), cases))
    for (port, data, why), status in zip(cases, lines):
        if (data, why) in RAW_501:
            assert status.startswith(b"HTTP/1.1 501"), (port, why, status)
        else:
            assert status == b"" or status.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4")), (port, why, status)
    for port in (h.user.port, h.dest.port):
        assert h.get("http://127.0.0.1:%d/readyz" % port).status == 200
    assert h.user.alive() and h.dest.alive()
