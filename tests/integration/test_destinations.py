"""destination-service: the destinations API of docs/openapi.yaml (issue 3).

Every test leaves the data as it found it: what a test creates it deletes, and the demo rows
1..162 are only read (a PATCH test works on a destination it created itself).
"""
import json
import math
import re
import time
import unicodedata
import urllib.parse

import ed25519
import search_ref
from harness import b64url, problem_ok

API = "/api/v1/destinations"
INTERNAL = "/internal/v1/destinations"
EARTH_RADIUS_M = 6378168.0  # earthdistance's earth()
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FIELDS = ("id", "name", "latitude", "longitude", "category", "address", "description", "green_certified",
          "created_at", "updated_at")


# ---- helpers ----

def url(h, path, **query):
    q = urllib.parse.urlencode(query)
    return h.dest_url + path + ("?" + q if q else "")


def admin(h):
    return h.admin_jwt()


def user(h):
    return h.jwt(2, role="user")


def internal(h, token=None):
    return {"X-Internal-Token": h.internal_token if token is None else token}


def unique_name(prefix="Test place"):
    return "%s %d" % (prefix, time.time_ns())


def create(h, **fields):
    body = {"name": unique_name(), "latitude": 10.5, "longitude": 106.5}
    body.update(fields)
    r = h.post(url(h, API), body, token=admin(h))
    assert r.status == 201, r
    return r.json()


def delete(h, did):
    r = h.request("DELETE", url(h, API + "/%d" % did), token=admin(h))
    assert r.status in (204, 404), r


def error_fields(resp):
    p = problem_ok(resp, 422)
    return sorted(e["field"] for e in p["errors"])


def all_rows(h):
    """Every destination, straight from the database, for brute-force answers."""
    text = h.psql("destinations", "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, "
                                  "'latitude', latitude, 'longitude', longitude, 'category', category, "
                                  "'address', address) "
                                  "ORDER BY id), '[]') FROM destinations")
    return json.loads(text)


def search_key(s):
    """Python's version of dest_search_key: no accents, lower case."""
    s = s.lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def search_all_pages(h, **query):
    """Every item of a search, walking the pages; returns (ids, totals seen)."""
    ids, totals, offset = [], set(), 0
    while True:
        r = h.get(url(h, API, limit=100, offset=offset, **query))
        assert r.status == 200, r
        page = r.json()
        totals.add(page["total"])
        ids += [d["id"] for d in page["items"]]
        if len(page["items"]) < 100:
            return ids, totals
        offset += 100


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))) / 1000.0


def alg_none_token(h):
    now = int(time.time())
    hdr = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    pl = b64url(json.dumps({"sub": "1", "role": "admin", "iat": now, "exp": now + 600, "iss": h.issuer}).encode())
    return hdr + "." + pl + "."


def bad_tokens(h):
    """(label, token) pairs that must all be refused with 401."""
    return [
        ("bad signature", h.jwt(1, role="admin", key=ed25519.Key.generate(h.signing_key.kid))),
        ("unknown kid", h.jwt(1, role="admin", kid="nobody")),
        ("HS256 keyed with the public key", h.jwt(1, role="admin", alg="HS256", hmac_key=h.signing_key.public)),
        ("expired", h.jwt(1, role="admin", ttl=-3600)),
        ("alg none, empty signature", alg_none_token(h)),
        ("alg none, signed anyway", h.jwt(1, role="admin", alg="none")),
        ("alg HS512", h.jwt(1, role="admin", alg="HS512")),
        ("wrong issuer", h.jwt(1, role="admin", iss="someone-else")),
        ("garbage", "not.a.jwt"),
    ]


# ---- GET one ----

def test_get_one_has_every_field_and_cache_headers(h):
    r = h.get(url(h, API + "/1"))
    assert r.status == 200, r
    assert r.header("content-type").startswith("application/json")
    d = r.json()
    assert tuple(d.keys()) == FIELDS, d.keys()
    assert d["id"] == 1 and d["name"] == "Hồ Hoàn Kiếm" and d["category"] == "attraction"
    assert abs(d["latitude"] - 21.0288) < 1e-9 and abs(d["longitude"] - 105.8525) < 1e-9
    assert d["green_certified"] is True and isinstance(d["address"], str)
    assert RFC3339.match(d["created_at"]) and RFC3339.match(d["updated_at"]), d
    assert re.match(r'^"[0-9a-f]{32}"$', r.header("ETag")), r.headers  # strong: no W/
    assert r.header("Cache-Control") == "public, max-age=60"


def test_times_are_utc_whole_seconds_also_before_1970_and_on_a_leap_day(h):
    """created_at and updated_at come from PostgreSQL as seconds since 1970 and are written
    out by the daemon: truncated to the second (as before, when to_char wrote them), in UTC
    whatever the offset they were stored with, and right on either side of 1970."""
    d = create(h)
    h.psql("destinations", "SET session_replication_role = replica; "  # no updated_at trigger
           "UPDATE destinations SET created_at = '1969-12-31 23:59:59.5+00', "
           "updated_at = '2024-03-01 06:59:59.75+07' WHERE id = %d" % d["id"])
    try:
        got = h.get(url(h, API + "/%d" % d["id"])).json()
        assert (got["created_at"], got["updated_at"]) == ("1969-12-31T23:59:59Z", "2024-02-29T23:59:59Z"), got
        h.psql("destinations", "SET session_replication_role = replica; "
               "UPDATE destinations SET created_at = '1970-01-01 00:00:00+00', "
               "updated_at = '2000-12-31 23:59:60+00' WHERE id = %d" % d["id"])  # 60 s: the next minute
        got = h.get(url(h, API + "/%d" % d["id"])).json()
        assert (got["created_at"], got["updated_at"]) == ("1970-01-01T00:00:00Z", "2001-01-01T00:00:00Z"), got
    finally:
        delete(h, d["id"])


def test_get_unknown_id_is_404(h):
    problem_ok(h.get(url(h, API + "/999999999")), 404)
    problem_ok(h.get(url(h, API + "/9223372036854775807")), 404)


def test_get_non_numeric_id_is_404(h):
    for bad in ("abc", "0", "-1", "1.5", "1e3", "99999999999999999999", "01"):
        problem_ok(h.get(url(h, API + "/" + bad)), 404)


# ---- ETag ----

def test_etag_round_trip_same_representation_same_tag_then_304(h):
    a = h.get(url(h, API + "/2"))
    b = h.get(url(h, API + "/2"))
    assert a.status == b.status == 200
    tag = a.header("ETag")
    assert tag and tag == b.header("ETag")
    r = h.get(url(h, API + "/2"), headers={"If-None-Match": tag})
    assert r.status == 304 and r.body == b"", r
    assert r.header("ETag") == tag and r.header("Cache-Control") == "public, max-age=60"


def test_if_none_match_weak_list_and_star(h):
    tag = h.get(url(h, API + "/3")).header("ETag")
    for inm in ("W/" + tag, '"nope", ' + tag, 'W/"a",W/' + tag + ', "b"', "*"):
        r = h.get(url(h, API + "/3"), headers={"If-None-Match": inm})
        assert r.status == 304, (inm, r)
    for inm in ('"nope"', tag[:-2] + '"', "garbage"):
        r = h.get(url(h, API + "/3"), headers={"If-None-Match": inm})
        assert r.status == 200 and r.json()["id"] == 3, (inm, r)


def test_etag_changes_after_patch(h):
    d = create(h, description="before")
    try:
        path = url(h, API + "/%d" % d["id"])
        old = h.get(path).header("ETag")
        r = h.request("PATCH", path, {"description": "after"}, token=admin(h))
        assert r.status == 200, r
        new = h.get(path).header("ETag")
        assert new != old
        assert r.header("ETag") == new  # the PATCH answer is the new representation
        assert h.get(path, headers={"If-None-Match": old}).status == 200
        assert h.get(path, headers={"If-None-Match": new}).status == 304
    finally:
        delete(h, d["id"])


def test_search_answer_has_etag_and_304(h):
    r = h.get(url(h, API, q="hồ"))
    assert r.status == 200 and r.header("ETag") and r.header("Cache-Control") == "public, max-age=10"
    r2 = h.get(url(h, API, q="hồ"), headers={"If-None-Match": r.header("ETag")})
    assert r2.status == 304 and r2.body == b""


# ---- search ----

def test_search_ha_noi_finds_accented_names_name_before_address(h):
    r = h.get(url(h, API, q="ha noi", limit=100))
    assert r.status == 200, r
    items = r.json()["items"]
    in_name = [d["id"] for d in items if "ha noi" in search_key(d["name"])]
    assert set(in_name) >= {7, 8, 9, 19, 21, 22}, items  # "Cột cờ Hà Nội", "Nhà hát Lớn Hà Nội", ...
    assert [d["id"] for d in items[:len(in_name)]] == in_name, items  # the name before the address
    assert len(items) > len(in_name)  # the address matches too, after
    for q in ("HÀ NỘI", "Ha Noi", "hà nội", "hanoi"):
        ids = [d["id"] for d in h.get(url(h, API, q=q, limit=100)).json()["items"]]
        assert set(ids) == {d["id"] for d in items}, (q, ids)


def test_search_matches_brute_force_on_demo_data(h):
    rows = all_rows(h)
    queries = ("ha noi", "sài gòn", "CHÙA", "cho", "nha trang", "bay", "đà", "da", "ho chi minh", "pagoda",
               "market", "an", "cau", "sa pa", "garden", "hotel", "museum", "ga ", "zzzz-nothing", "hồ t",
               "bao tang", "baotang", "chua tran qouc", "hoang thamh", "saigon", "nội bài sân", "pho")
    for q in queries:
        want = sorted(search_ref.matches(q, rows))
        got, totals = search_all_pages(h, q=q)
        assert sorted(got) == want, (q, got, want)
        assert len(got) == len(set(got)), (q, got)  # pages do not overlap
        assert totals == {len(want)}, (q, totals, len(want))


def test_search_with_category_matches_brute_force(h):
    rows = all_rows(h)
    for q, cat in (("", "transport"), ("sân bay", "transport"), ("ha noi", "attraction"), ("", "restaurant"),
                   ("chùa", "restaurant")):
        if q:
            want = sorted(i for i in search_ref.matches(q, [d for d in rows if d["category"] == cat]))
        else:
            want = sorted(d["id"] for d in rows if d["category"] == cat)
        query = {"category": cat}
        if q:
            query["q"] = q
        got, totals = search_all_pages(h, **query)
        assert sorted(got) == want and totals == {len(want)}, (q, cat, got, want)


def test_search_without_q_lists_everything_by_id(h):
    rows = all_rows(h)
    r = h.get(url(h, API))
    assert r.status == 200
    page = r.json()
    assert set(page) == {"items", "limit", "offset", "total"}
    assert page["limit"] == 20 and page["offset"] == 0 and page["total"] == len(rows)
    assert [d["id"] for d in page["items"]] == [d["id"] for d in rows[:20]]
    assert tuple(page["items"][0].keys()) == FIELDS
    got, totals = search_all_pages(h)
    assert got == [d["id"] for d in rows] and totals == {len(rows)}
    blank, _ = search_all_pages(h, q="   ")  # a blank q is no q
    assert blank == got


def test_search_pages_are_deterministic_and_consistent(h):
    full = [d["id"] for d in h.get(url(h, API, q="ha", limit=100)).json()["items"]]
    assert len(full) > 30, full
    pieces = []
    for off in range(0, 30, 7):
        r = h.get(url(h, API, q="ha", limit=7, offset=off)).json()
        assert r["limit"] == 7 and r["offset"] == off
        pieces += [d["id"] for d in r["items"]]
    assert pieces == full[:len(pieces)], (pieces, full)
    assert [d["id"] for d in h.get(url(h, API, q="ha", limit=100)).json()["items"]] == full


def test_search_ranks_the_exact_name_first(h):
    items = h.get(url(h, API, q="chùa cầu")).json()["items"]
    assert items and items[0]["id"] == 60 and items[0]["name"] == "Chùa Cầu", items


def test_search_says_whether_total_is_exact(h):
    # below 1000 matches every total is exact; a listing without q carries no flag
    page = h.get(url(h, API, q="ha noi")).json()
    assert page["total_exact"] is True and page["total"] > 5, page
    assert "total_exact" not in h.get(url(h, API)).json()


def test_search_offset_past_the_end_still_has_total(h):
    r = h.get(url(h, API, q="ha noi", offset=5000))
    assert r.status == 200
    page = r.json()
    assert page["items"] == [] and page["total"] > 5 and page["offset"] == 5000


def test_search_punctuation_and_wildcards_separate_words(h):
    def ids(q):
        r = h.get(url(h, API, q=q, limit=100))
        assert r.status == 200, (q, r)
        return [d["id"] for d in r.json()["items"]]
    assert ids("%noi") == ids("noi") and ids("noi")
    assert ids("ha_noi") == ids("ha noi") and ids("ha-noi") == ids("ha noi")
    assert ids("%%an") == ids("an")


def test_search_without_a_word_of_two_characters_is_422(h):
    # A q that would match most of the catalogue (issue 20, item 13): no word of 2 letters or
    # digits. Wildcards and punctuation are not letters.
    for q in ("a", "đ", "%", "_", "\\", "%%", "h_", "a b - c", "1"):
        assert error_fields(h.get(url(h, API, q=q))) == ["q"], q
    for q in ("ha", "đà", "a b cd", "12"):
        assert h.get(url(h, API, q=q)).status == 200, q


def test_search_bad_parameters_are_422_naming_each(h):
    cases = [({"category": "museum"}, ["category"]),
             ({"category": ""}, ["category"]),
             ({"limit": "0"}, ["limit"]),
             ({"limit": "101"}, ["limit"]),
             ({"limit": "ten"}, ["limit"]),
             ({"offset": "-1"}, ["offset"]),
             ({"q": "x" * 201}, ["q"]),
             ({"q": "x" * 201, "category": "zoo", "limit": "0", "offset": "-5"}, ["category", "limit", "offset", "q"])]
    for query, fields in cases:
        assert error_fields(h.get(url(h, API, **query))) == fields, query
    assert h.get(url(h, API, q="ệ" * 200)).status == 200  # 200 characters, 600 bytes


# ---- nearby ----

def nearby_brute_force(rows, lat, lon, radius_km, limit):
    d = sorted((haversine_km(lat, lon, r["latitude"], r["longitude"]), r["id"]) for r in rows)
    return [(km, did) for km, did in d if km <= radius_km][:limit]


def test_nearby_matches_brute_force_on_demo_data(h):
    rows = all_rows(h)
    cases = [(21.0285, 105.8542, 2, 20),     # Hoàn Kiếm
             (21.0285, 105.8542, None, None),  # defaults: 10 km, 20 items
             (10.7769, 106.7009, 3, 100),     # Sài Gòn centre
             (16.0544, 108.2022, 50, 100),    # Đà Nẵng, Hội An inside
             (15.8801, 108.3380, 1, 5),       # Hội An old town
             (48.8566, 2.3522, 1000, 100),    # Paris: Amsterdam is farther than 400 km
             (1.2903, 103.8519, 30, 3),       # Singapore, limit cuts
             (0.0, 0.0, 1000, 100)]           # Gulf of Guinea: nothing
    for lat, lon, radius, limit in cases:
        query = {"lat": lat, "lon": lon}
        if radius is not None:
            query.update(radius_km=radius, limit=limit)
        r = h.get(url(h, API + "/nearby", **query))
        assert r.status == 200, r
        page = r.json()
        want = nearby_brute_force(rows, lat, lon, radius or 10, limit or 20)
        got = page["items"]
        assert [d["id"] for d in got] == [did for _, did in want], (query, got, want)
        for item, (km, _) in zip(got, want):
            assert abs(item["distance_km"] - km) < 0.002, (item, km)
            assert round(item["distance_km"], 3) == item["distance_km"]
            assert tuple(item.keys()) == FIELDS + ("distance_km",)
        kms = [d["distance_km"] for d in got]
        assert kms == sorted(kms)
        assert page["limit"] == (limit or 20) and page["radius_km"] == (radius or 10)


def test_nearby_radius_boundary_is_inclusive_of_closer_and_exclusive_of_farther(h):
    rows = all_rows(h)
    lat, lon = 21.0285, 105.8542
    d = sorted((haversine_km(lat, lon, r["latitude"], r["longitude"]), r["id"]) for r in rows)
    km, did = d[4]
    inside = [x["id"] for x in h.get(url(h, API + "/nearby", lat=lat, lon=lon, radius_km=km + 0.01)).json()["items"]]
    outside = [x["id"] for x in h.get(url(h, API + "/nearby", lat=lat, lon=lon, radius_km=km - 0.01)).json()["items"]]
    assert did in inside and did not in outside, (did, km, inside, outside)


def test_nearby_bad_parameters_are_422_naming_each(h):
    cases = [({}, ["lat", "lon"]),
             ({"lat": 21}, ["lon"]),
             ({"lon": 105}, ["lat"]),
             ({"lat": 90.0001, "lon": 0}, ["lat"]),
             ({"lat": -91, "lon": 0}, ["lat"]),
             ({"lat": 0, "lon": 180.5}, ["lon"]),
             ({"lat": 0, "lon": -181}, ["lon"]),
             ({"lat": "north", "lon": "nan"}, ["lat", "lon"]),
             ({"lat": "inf", "lon": "1e999"}, ["lat", "lon"]),
             ({"lat": 0, "lon": 0, "radius_km": 0}, ["radius_km"]),
             ({"lat": 0, "lon": 0, "radius_km": -1}, ["radius_km"]),
             ({"lat": 0, "lon": 0, "radius_km": 1000.5}, ["radius_km"]),
             ({"lat": 0, "lon": 0, "radius_km": "far"}, ["radius_km"]),
             ({"lat": 0, "lon": 0, "limit": 0}, ["limit"]),
             ({"lat": 0, "lon": 0, "limit": 101}, ["limit"]),
             ({"lat": 91, "lon": 181, "radius_km": 0, "limit": 0}, ["lat", "limit", "lon", "radius_km"])]
    for query, fields in cases:
        assert error_fields(h.get(url(h, API + "/nearby", **query))) == fields, query
    assert h.get(url(h, API + "/nearby", lat=90, lon=-180, radius_km=1000, limit=100)).status == 200


# ---- indexes ----

SEARCH_SQL = ("SELECT id, name, count(*) OVER () FROM destinations "
              "WHERE search_key LIKE dest_search_pattern('hoan kiem') "
              "ORDER BY similarity(search_key, dest_search_key('hoan kiem')) DESC, id LIMIT 20 OFFSET 0")
NEARBY_SQL = ("SELECT id, round((earth_distance(ll_to_earth(21.03, 105.85), dest_ll_to_earth(latitude, longitude))"
              " / 1000.0)::numeric, 3) FROM destinations "
              "WHERE earth_box(ll_to_earth(21.03, 105.85), 10000) @> dest_ll_to_earth(latitude, longitude) "
              "AND earth_distance(ll_to_earth(21.03, 105.85), dest_ll_to_earth(latitude, longitude)) <= 10000 "
              "ORDER BY dest_ll_to_earth(latitude, longitude) <-> ll_to_earth(21.03, 105.85) LIMIT 20")


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def store_sql(h, name):
    """The SQL text of statement name in destination-service/destinations_store.c, so that
    the plan checked is the plan of the query the service really runs."""
    with open(h.root("destination-service/destinations_store.c"), encoding="utf-8") as f:
        src = f.read()
    lit = r'"((?:[^"\\]|\\.)*)"'
    cols = "".join(re.findall(lit, re.search(r"#define DEST_COLUMNS(.*?)\n\n", src, re.S).group(1)))
    body = re.search(r"static struct db_statement " + name + r" = \{(.*?)\};", src, re.S).group(1)
    parts = re.findall(lit + r"|(DEST_COLUMNS)", body)
    sql = "".join(cols if macro else text for text, macro in parts)
    return sql.replace('\\"', '"')


def explain_docs(out):
    """psql prints each EXPLAIN (FORMAT JSON) document in turn: split them."""
    return json.loads("[" + re.sub(r"\]\s*\[", "],[", out[out.index("["):out.rindex("]") + 1]) + "]")


def assert_uses_index(doc, index):
    nodes = list(plan_nodes(doc[0]["Plan"]))
    assert any(n.get("Index Name") == index for n in nodes), (index, json.dumps(doc, indent=1))
    assert not any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "destinations" for n in nodes), doc


def test_search_and_nearby_use_their_indexes_on_100000_rows(h):
    search, nearby = store_sql(h, "q_search"), store_sql(h, "q_nearby")
    assert "dest_search_pattern($1)" in search and "dest_ll_to_earth(latitude, longitude) <->" in nearby
    out = h.psql("destinations", (
        "BEGIN; "
        "INSERT INTO destinations (name, latitude, longitude, category) "
        "SELECT 'Generated place ' || g || ' ' || md5(g::text), "
        "       -60 + (g % 1201) * 0.1, -180 + ((g * 37) % 3600) * 0.1, 'other' "
        "FROM generate_series(1, 100000) AS g; "
        "ANALYZE destinations; "
        "EXPLAIN (FORMAT JSON) " + SEARCH_SQL + "; "
        "EXPLAIN (FORMAT JSON) " + NEARBY_SQL + "; "
        # The service's own statements, prepared as it prepares them; a generic plan (the one
        # a long-lived connection ends up caching) must use the indexes as well.
        "SET LOCAL plan_cache_mode = force_generic_plan; "
        "PREPARE dest_search AS " + search + "; "
        "PREPARE dest_nearby AS " + nearby + "; "
        "EXPLAIN (FORMAT JSON) EXECUTE dest_search('hoan kiem', NULL, 20, 0); "
        "EXPLAIN (FORMAT JSON) EXECUTE dest_nearby(21.03, 105.85, 10000, 20); "
        "EXPLAIN (FORMAT JSON) EXECUTE dest_search('hoan kiem', 'attraction', 20, 0); "
        "ROLLBACK;"))
    docs = explain_docs(out)
    assert len(docs) == 5, out
    for doc, index in zip(docs, ("destinations_name_trgm_idx", "destinations_earth_idx") * 2 +
                          ("destinations_name_trgm_idx",)):
        assert_uses_index(doc, index)
    assert int(h.psql("destinations", "SELECT count(*) FROM destinations WHERE name LIKE 'Generated place %'")) == 0


# ---- POST ----

def test_create_answers_201_with_location_and_body(h):
    name = unique_name("Cà phê Giảng")
    r = h.post(url(h, API), {"name": "  " + name + "  ", "latitude": 21.0337, "longitude": 105.8540,
                             "category": "restaurant", "address": "39 Nguyễn Hữu Huân, Hà Nội",
                             "description": "Egg coffee since 1946.", "green_certified": False, "ignored": {"x": 1}},
               token=admin(h))
    assert r.status == 201, r
    d = r.json()
    try:
        assert tuple(d.keys()) == FIELDS
        assert d["name"] == name and d["category"] == "restaurant" and d["latitude"] == 21.0337
        assert r.header("Location") == API + "/%d" % d["id"]
        assert RFC3339.match(d["created_at"]) and d["created_at"] == d["updated_at"]
        again = h.get(h.dest_url + r.header("Location"))
        assert again.json() == d and again.header("ETag") == r.header("ETag")
    finally:
        delete(h, d["id"])


def test_create_with_only_required_fields_uses_defaults(h):
    d = create(h)
    try:
        assert d["category"] is None and d["address"] is None and d["description"] is None
        assert d["green_certified"] is False
    finally:
        delete(h, d["id"])


def test_create_duplicate_name_and_place_is_409(h):
    d = create(h, name=unique_name("Đền Thử"), latitude=20.25, longitude=105.97)
    try:
        same = {"name": d["name"], "latitude": 20.25, "longitude": 105.97}
        problem_ok(h.post(url(h, API), same, token=admin(h)), 409)
        variant = dict(same, name=search_key(d["name"]).upper())  # "DEN THU ...": same search key
        problem_ok(h.post(url(h, API), variant, token=admin(h)), 409)
        elsewhere = h.post(url(h, API), dict(same, latitude=20.26), token=admin(h))
        assert elsewhere.status == 201, elsewhere  # the same name at another place is fine
        delete(h, elsewhere.json()["id"])
    finally:
        delete(h, d["id"])


def test_create_each_invalid_field_is_one_422_entry(h):
    base = {"name": unique_name(), "latitude": 10.0, "longitude": 106.0}
    cases = [("name", ""), ("name", "   "), ("name", "x" * 201), ("name", 5), ("name", None),
             ("latitude", 90.5), ("latitude", -90.01), ("latitude", "10"), ("latitude", None), ("latitude", True),
             ("longitude", 180.01), ("longitude", -181), ("longitude", [106]),
             ("category", "museum"), ("category", "Attraction"), ("category", 1),
             ("address", "a" * 501), ("address", 12),
             ("description", "d" * 5001), ("description", {"text": "x"}),
             ("green_certified", "yes"), ("green_certified", 1), ("green_certified", None)]
    for field, value in cases:
        body = dict(base, **{field: value})
        r = h.post(url(h, API), body, token=admin(h))
        assert error_fields(r) == [field], (field, value, r)


def test_create_missing_and_many_bad_fields_are_all_listed(h):
    assert error_fields(h.post(url(h, API), {}, token=admin(h))) == ["latitude", "longitude", "name"]
    r = h.post(url(h, API), {"name": "", "latitude": 100, "longitude": "e", "category": "zoo", "address": 1,
                             "description": 2, "green_certified": "no"}, token=admin(h))
    assert error_fields(r) == sorted(["name", "latitude", "longitude", "category", "address", "description",
                                      "green_certified"])


def test_create_non_finite_coordinates_are_422(h):
    body = b'{"name": "Far away", "latitude": 1e999, "longitude": -1e999}'
    r = h.post(url(h, API), body, headers={"Content-Type": "application/json"}, token=admin(h))
    assert error_fields(r) == ["latitude", "longitude"]


def test_create_accepts_the_longest_values(h):
    d = create(h, name="ệ" * 199 + "x", address="đ" * 500, description="ơ" * 5000, latitude=-90, longitude=180)
    try:
        assert len(d["name"]) == 200 and len(d["address"]) == 500 and len(d["description"]) == 5000
    finally:
        delete(h, d["id"])


def test_a_check_constraint_refusal_is_422_naming_the_field(h):
    # Validation catches every rule first; this proves the database's own refusal still maps
    # to a 422 (not a 500) should the two ever disagree.
    h.psql("destinations", "ALTER TABLE destinations ADD CONSTRAINT destinations_probe_check "
                           "CHECK (address IS DISTINCT FROM 'refused by probe') NOT VALID")
    try:
        r = h.post(url(h, API), {"name": unique_name(), "latitude": 1, "longitude": 1, "address": "refused by probe"},
                   token=admin(h))
        assert error_fields(r) == ["probe"], r
    finally:
        h.psql("destinations", "ALTER TABLE destinations DROP CONSTRAINT destinations_probe_check")


def test_create_bad_body_is_400_415_or_413(h):
    tok = admin(h)
    for body in (b"{", b"", b"[1, 2]", b'"name"', b'{"name": "a",}', b"\xff\xfe{}", b'{"name": "a\\u0000b"}'):
        problem_ok(h.post(url(h, API), body, headers={"Content-Type": "application/json"}, token=tok), 400)
    problem_ok(h.post(url(h, API), b'{"name":"a"}', headers={"Content-Type": "text/plain"}, token=tok), 415)
    problem_ok(h.post(url(h, API), b'{"name":"a"}', headers={"Content-Type": "application/jsonx"}, token=tok), 415)
    problem_ok(h.post(url(h, API), b'{"name":"a"}', token=tok), 415)  # no Content-Type at all
    big = {"name": "Big", "latitude": 0, "longitude": 0, "description": "x" * (65 * 1024)}
    assert h.post(url(h, API), big, token=tok).status == 413


def test_create_needs_an_admin_token(h):
    body = {"name": unique_name(), "latitude": 1, "longitude": 2}
    r = h.post(url(h, API), body)
    problem_ok(r, 401)
    assert r.header("WWW-Authenticate"), r.headers
    for label, tok in bad_tokens(h):
        assert h.post(url(h, API), body, token=tok).status == 401, label
    problem_ok(h.post(url(h, API), body, token=user(h)), 403)
    problem_ok(h.post(url(h, API), body, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}), 401)


# ---- PATCH ----

def test_patch_changes_only_the_given_fields(h):
    d = create(h, category="restaurant", address="1 Street", description="Old", green_certified=False)
    try:
        path = url(h, API + "/%d" % d["id"])
        time.sleep(1.1)  # updated_at has one-second resolution
        r = h.request("PATCH", path, {"description": "  New  ", "green_certified": True}, token=admin(h))
        assert r.status == 200, r
        p = r.json()
        assert p["description"] == "New" and p["green_certified"] is True
        for k in ("name", "latitude", "longitude", "category", "address", "created_at"):
            assert p[k] == d[k], k
        assert p["updated_at"] > d["updated_at"]
        assert h.get(path).json() == p
        r = h.request("PATCH", path, {"name": "Renamed " + d["name"], "latitude": -33.5, "longitude": 151.25},
                      token=admin(h))
        assert r.status == 200 and r.json()["name"] == "Renamed " + d["name"]
        assert r.json()["latitude"] == -33.5 and r.json()["longitude"] == 151.25
    finally:
        delete(h, d["id"])


def test_patch_null_clears_optional_fields(h):
    d = create(h, category="other", address="Somewhere", description="Something")
    try:
        r = h.request("PATCH", url(h, API + "/%d" % d["id"]),
                      {"category": None, "address": None, "description": None}, token=admin(h))
        assert r.status == 200, r
        p = r.json()
        assert p["category"] is None and p["address"] is None and p["description"] is None
        assert p["name"] == d["name"]
    finally:
        delete(h, d["id"])


def test_patch_empty_object_changes_nothing(h):
    d = create(h)
    try:
        path = url(h, API + "/%d" % d["id"])
        tag = h.get(path).header("ETag")
        time.sleep(1.1)
        r = h.request("PATCH", path, {"unknown": "ignored"}, token=admin(h))
        assert r.status == 200 and r.json() == d, r
        r = h.request("PATCH", path, {}, token=admin(h))
        assert r.status == 200 and r.json() == d and r.header("ETag") == tag
    finally:
        delete(h, d["id"])


def test_patch_each_invalid_field_is_one_422_entry(h):
    d = create(h)
    try:
        path = url(h, API + "/%d" % d["id"])
        cases = [("name", None), ("name", ""), ("name", "n" * 201), ("latitude", None), ("latitude", 91),
                 ("longitude", None), ("longitude", "east"), ("category", "park"), ("address", "a" * 501),
                 ("description", 3), ("green_certified", None)]
        for field, value in cases:
            assert error_fields(h.request("PATCH", path, {field: value}, token=admin(h))) == [field], (field, value)
        r = h.request("PATCH", path, {"name": None, "latitude": "x", "category": "y"}, token=admin(h))
        assert error_fields(r) == ["category", "latitude", "name"]
        assert h.get(path).json() == d  # nothing was changed by the refused patches
    finally:
        delete(h, d["id"])


def test_patch_into_a_duplicate_is_409(h):
    a = create(h, latitude=11.0, longitude=107.0)
    b = create(h, latitude=11.0, longitude=107.0)
    try:
        r = h.request("PATCH", url(h, API + "/%d" % b["id"]), {"name": a["name"]}, token=admin(h))
        problem_ok(r, 409)
        assert h.get(url(h, API + "/%d" % b["id"])).json()["name"] == b["name"]
    finally:
        delete(h, a["id"])
        delete(h, b["id"])


def test_patch_unknown_or_non_numeric_id_is_404(h):
    problem_ok(h.request("PATCH", url(h, API + "/999999999"), {"name": "x"}, token=admin(h)), 404)
    problem_ok(h.request("PATCH", url(h, API + "/999999999"), {}, token=admin(h)), 404)
    problem_ok(h.request("PATCH", url(h, API + "/abc"), {"name": "x"}, token=admin(h)), 404)


def test_patch_bad_body_and_auth(h):
    path = url(h, API + "/1")
    problem_ok(h.request("PATCH", path, b"{oops", headers={"Content-Type": "application/json"}, token=admin(h)), 400)
    problem_ok(h.request("PATCH", path, b"{}", headers={"Content-Type": "text/plain"}, token=admin(h)), 415)
    assert h.request("PATCH", path, {"description": "y" * (65 * 1024)}, token=admin(h)).status == 413
    problem_ok(h.request("PATCH", path, {"name": "x"}), 401)
    for label, tok in bad_tokens(h):
        assert h.request("PATCH", path, {"name": "x"}, token=tok).status == 401, label
    problem_ok(h.request("PATCH", path, {"name": "x"}, token=user(h)), 403)
    assert h.get(path).json()["name"] == "Hồ Hoàn Kiếm"


# ---- DELETE ----

def test_delete_answers_204_then_404(h):
    d = create(h)
    path = url(h, API + "/%d" % d["id"])
    r = h.request("DELETE", path, token=admin(h))
    assert r.status == 204 and r.body == b"", r
    problem_ok(h.get(path), 404)
    problem_ok(h.request("DELETE", path, token=admin(h)), 404)


def test_delete_unknown_or_non_numeric_id_is_404(h):
    problem_ok(h.request("DELETE", url(h, API + "/999999999"), token=admin(h)), 404)
    problem_ok(h.request("DELETE", url(h, API + "/x1"), token=admin(h)), 404)


def test_delete_needs_an_admin_token(h):
    d = create(h)
    try:
        path = url(h, API + "/%d" % d["id"])
        problem_ok(h.request("DELETE", path), 401)
        for label, tok in bad_tokens(h):
            assert h.request("DELETE", path, token=tok).status == 401, label
        problem_ok(h.request("DELETE", path, token=user(h)), 403)
        assert h.get(path).status == 200
    finally:
        delete(h, d["id"])


# ---- 405 ----

def test_wrong_methods_are_405_with_allow(h):
    # HEAD is allowed wherever GET is (RFC 9110)
    cases = [("PUT", API, {"GET", "HEAD", "POST"}), ("DELETE", API, {"GET", "HEAD", "POST"}),
             ("PUT", API + "/1", {"GET", "HEAD", "PATCH", "DELETE"}),
             ("POST", API + "/1", {"GET", "HEAD", "PATCH", "DELETE"}),
             ("POST", API + "/nearby", {"GET", "HEAD"}), ("DELETE", API + "/nearby", {"GET", "HEAD"}),
             ("POST", INTERNAL, {"GET", "HEAD"}), ("GET", INTERNAL + "/validate", {"POST"})]
    for method, path, allow in cases:
        r = h.request(method, url(h, path), token=admin(h), headers=internal(h))
        problem_ok(r, 405)
        assert {m.strip() for m in r.header("Allow").split(",")} == allow, (method, path, r.headers)


# ---- internal: batch fetch ----

def test_internal_batch_needs_the_internal_token(h):
    path = url(h, INTERNAL, ids="1,2")
    problem_ok(h.get(path), 401)
    for tok in ("wrong", h.internal_token + "x", h.internal_token[:-1], ""):
        problem_ok(h.get(path, headers=internal(h, tok)), 401)
    problem_ok(h.get(path, token=admin(h)), 401)  # a user's token is not a service's
    assert h.get(path, headers=internal(h)).status == 200


def test_internal_batch_returns_existing_ids_sorted_once(h):
    r = h.get(url(h, INTERNAL, ids="9,3,999999999,3,1,9"), headers=internal(h))
    assert r.status == 200, r
    body = r.json()
    assert list(body) == ["items"]
    assert [d["id"] for d in body["items"]] == [1, 3, 9]
    assert body["items"][0] == h.get(url(h, API + "/1")).json()
    r = h.get(url(h, INTERNAL, ids="999999998,999999999"), headers=internal(h))
    assert r.status == 200 and r.json() == {"items": []}


def test_internal_batch_takes_1000_ids(h):
    ids = ",".join(str(i) for i in range(1, 1001))
    r = h.get(url(h, INTERNAL, ids=ids), headers=internal(h))
    assert r.status == 200, r
    got = [d["id"] for d in r.json()["items"]]
    want = sorted(d["id"] for d in all_rows(h) if d["id"] <= 1000)
    assert got == want
    problem_ok(h.get(url(h, INTERNAL, ids=ids + ",1001"), headers=internal(h)), 422)


def test_internal_batch_bad_ids_are_422(h):
    for bad in ("", ",", "1,,2", "1,", ",1", "1, 2", " 1", "+1", "-1", "0", "01", "abc", "1.5",
                "9223372036854775808", "99999999999999999999999"):
        assert error_fields(h.get(url(h, INTERNAL, ids=bad), headers=internal(h))) == ["ids"], bad
    assert error_fields(h.get(url(h, INTERNAL), headers=internal(h))) == ["ids"]
    r = h.get(h.dest_url + INTERNAL + "?ids=1%2", headers=internal(h))  # a broken escape
    assert error_fields(r) == ["ids"]


# ---- internal: validate ----

def test_internal_validate_needs_the_internal_token(h):
    path, body = url(h, INTERNAL + "/validate"), {"ids": [1]}
    problem_ok(h.post(path, body), 401)
    problem_ok(h.post(path, body, headers=internal(h, "not-the-token-at-all")), 401)
    problem_ok(h.post(path, body, token=admin(h)), 401)
    assert h.post(path, body, headers=internal(h)).status == 200


def test_internal_validate_mix_of_existing_missing_and_repeated(h):
    d = create(h)
    delete(h, d["id"])  # an id that existed once and is gone now
    r = h.post(url(h, INTERNAL + "/validate"), {"ids": [5, 999999999, 1, 5, d["id"], 1, 162, 999999999]},
               headers=internal(h))
    assert r.status == 200, r
    assert r.json() == {"existing": [1, 5, 162], "missing": sorted([d["id"], 999999999])}
    r = h.post(url(h, INTERNAL + "/validate"), {"ids": [7]}, headers=internal(h))
    assert r.json() == {"existing": [7], "missing": []}
    r = h.post(url(h, INTERNAL + "/validate"), {"ids": [888888888]}, headers=internal(h))
    assert r.json() == {"existing": [], "missing": [888888888]}


def test_internal_validate_takes_1000_ids_and_refuses_more(h):
    ids = list(range(1, 1001))
    r = h.post(url(h, INTERNAL + "/validate"), {"ids": ids}, headers=internal(h))
    assert r.status == 200
    existing = {d["id"] for d in all_rows(h)}
    assert r.json() == {"existing": [i for i in ids if i in existing], "missing": [i for i in ids if i not in existing]}
    assert error_fields(h.post(url(h, INTERNAL + "/validate"), {"ids": ids + [1001]}, headers=internal(h))) == ["ids"]


def test_internal_validate_bad_bodies(h):
    path = url(h, INTERNAL + "/validate")
    for body in ({}, {"ids": []}, {"ids": "1,2"}, {"ids": [1, "2"]}, {"ids": [0]}, {"ids": [-3]}, {"ids": [1.5]},
                 {"ids": None}, {"ids": [True]}):
        assert error_fields(h.post(path, body, headers=internal(h))) == ["ids"], body
    problem_ok(h.post(path, b"{", headers=dict(internal(h), **{"Content-Type": "application/json"})), 400)
    problem_ok(h.post(path, b"[1]", headers=dict(internal(h), **{"Content-Type": "application/json"})), 400)
    problem_ok(h.post(path, b'{"ids":[1]}', headers=dict(internal(h), **{"Content-Type": "text/plain"})), 415)
    big = {"ids": [1] * 1000, "pad": "x" * (65 * 1024)}
    assert h.post(path, big, headers=internal(h)).status == 413


def test_demo_rows_are_untouched(h):
    assert h.psql("destinations", "SELECT count(*) FROM destinations WHERE id BETWEEN 1 AND 162") == "162"
