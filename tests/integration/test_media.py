"""Media (issue 6): uploads as multipart/form-data and as a raw body, magic-byte checks, the
size limit, files on disk under MEDIA_DIR, ownership and visibility, ETag/304, deletion."""
import hashlib
import os
import secrets
import struct
import zlib

from harness import problem_ok
from test_accounts import api, new_user
from test_carbon import assert_422_on

MAX_BYTES = 5 * 1024 * 1024
FIELDS = {"id", "filename", "content_type", "size", "sha256", "category", "created_at"}


# ---- helpers ----

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(extra=b"", idat=None, chunks=b""):
    """A real 1x1 PNG; chunks go before IDAT, extra after IEND (the server drops it). idat
    replaces the pixel data with bytes of the caller's (the server never decodes them)."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = idat if idat is not None else zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + chunks + png_chunk(b"IDAT", pixels)
            + png_chunk(b"IEND", b"") + extra)


def scan_bytes(n):
    """Entropy-coded-looking bytes: random, with no 0xFF that could read as a marker."""
    return secrets.token_bytes(n).replace(b"\xff", b"\x00")


def jpeg_bytes(n=64, segments=b""):
    """A well-formed JPEG of n + 6 bytes (plus segments): SOI, APP0 JFIF, the segments, SOS,
    scan data, EOI. The server walks the segments (media_strip.h), so they must hold."""
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + jfif + segments + b"\xff\xda\x00\x02" + scan_bytes(n - 20) + b"\xff\xd9"


def webp_bytes(n=64):
    body = b"WEBPVP8 " + struct.pack("<I", n - 4) + secrets.token_bytes(n - 4)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def kind_of(data):
    return ("image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8\xff")
            else "image/webp" if data[:4] == b"RIFF" else "application/octet-stream")


def multipart(data, filename="photo.png", ctype="auto", field="file", boundary=None):
    """ctype "auto": the type the bytes are; None: no Content-Type in the part."""
    if ctype == "auto":
        ctype = kind_of(data)
    b = boundary or "----ecomovex" + secrets.token_hex(8)
    parts = [b"--" + b.encode() + b"\r\n",
             b'Content-Disposition: form-data; name="title"\r\n\r\nholiday\r\n',
             b"--" + b.encode() + b"\r\n",
             ('Content-Disposition: form-data; name="%s"; filename="%s"\r\n' % (field, filename)).encode()]
    if ctype:
        parts.append(("Content-Type: %s\r\n" % ctype).encode())
    parts += [b"\r\n", data, b"\r\n--" + b.encode() + b"--\r\n"]
    quoted = '"%s"' % b if " " in b or ";" in b else b
    return b"".join(parts), "multipart/form-data; boundary=" + quoted


def upload(h, user, data, category="travel_photo", **kw):
    body, ct = multipart(data, **kw)
    return h.post(api(h, "/media?category=" + category), body, headers={"Content-Type": ct}, token=user["token"])


def upload_raw(h, user, data, ctype, category="travel_photo"):
    return h.post(api(h, "/media?category=" + category), data, headers={"Content-Type": ctype}, token=user["token"])


def uploaded(h, user, data, **kw):
    r = upload(h, user, data, **kw)
    assert r.status == 201, r
    return r.json()


def files_of(h, uid):
    d = os.path.join(h.media_dir, str(uid))
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def rows_of(h, uid):
    return int(h.psql("users", "SELECT count(*) FROM media_files WHERE user_id = %d" % uid))


# ---- upload ----

def test_multipart_round_trip_is_byte_identical(h):
    u = new_user(h)
    data = png_bytes(idat=secrets.token_bytes(3000) + b"\r\n--not-the-boundary\r\n")
    r = upload(h, u, data, filename="../../etc/Ảnh biển.png")
    assert r.status == 201, r
    m = r.json()
    assert set(m) == FIELDS, m
    assert m["content_type"] == "image/png" and m["size"] == len(data) and m["category"] == "travel_photo"
    assert m["sha256"] == hashlib.sha256(data).hexdigest()
    assert m["filename"] == "Ảnh biển.png"
    assert r.header("location") == "/api/v1/media/%d" % m["id"]
    c = h.get(api(h, "/media/%d/content" % m["id"]), token=u["token"])
    assert c.status == 200, c
    assert c.body == data
    assert c.header("content-type") == "image/png"
    assert c.header("content-length") == str(len(data))
    assert c.header("etag") == '"%s"' % m["sha256"]
    assert c.header("x-content-type-options") == "nosniff"
    assert c.header("cache-control") == "private, max-age=3600"
    # on disk under MEDIA_DIR/<user id>/<random key>, not under the client's name
    names = files_of(h, u["id"])
    assert len(names) == 1 and len(names[0]) == 32 and not names[0].endswith(".tmp"), names
    with open(os.path.join(h.media_dir, str(u["id"]), names[0]), "rb") as f:
        assert f.read() == data
    assert h.get(api(h, "/media/%d" % m["id"]), token=u["token"]).json() == m


def test_quoted_boundary_and_part_without_content_type(h):
    u = new_user(h)
    data = jpeg_bytes()
    m = uploaded(h, u, data, boundary="a b;c", ctype=None, filename="x.jpg")
    assert m["content_type"] == "image/jpeg" and m["sha256"] == hashlib.sha256(data).hexdigest()


def test_raw_upload_each_type(h):
    u = new_user(h)
    for data, ctype in ((png_bytes(), "image/png"), (jpeg_bytes(), "image/jpeg"), (webp_bytes(), "image/webp")):
        r = upload_raw(h, u, data, ctype, category="review")
        assert r.status == 201, r
        m = r.json()
        assert m["content_type"] == ctype and m["filename"] == "upload" and m["size"] == len(data)
        assert h.get(api(h, "/media/%d/content" % m["id"]), token=u["token"]).body == data


def test_declared_type_must_match_the_bytes(h):
    u = new_user(h)
    p = problem_ok(upload(h, u, png_bytes(), ctype="image/jpeg"), 415)
    assert "image/png" in p["detail"]
    problem_ok(upload_raw(h, u, png_bytes(), "image/jpeg"), 415)
    problem_ok(upload_raw(h, u, jpeg_bytes(), "image/webp"), 415)
    assert rows_of(h, u["id"]) == 0 and files_of(h, u["id"]) == []


def test_text_and_other_types_are_415(h):
    u = new_user(h)
    problem_ok(upload(h, u, b"just some text\n", ctype="text/plain", filename="a.txt"), 415)
    problem_ok(upload(h, u, b"just some text\n", ctype="image/png"), 415)
    problem_ok(upload(h, u, b"GIF89a" + b"\0" * 20, ctype=None), 415)
    problem_ok(upload_raw(h, u, b"hello", "text/plain"), 415)
    problem_ok(upload_raw(h, u, b'{"a":1}', "application/json"), 415)
    problem_ok(h.post(api(h, "/media?category=avatar"), png_bytes(), token=u["token"]), 415)


def test_category_is_required_and_from_its_list(h):
    u = new_user(h)
    body, ct = multipart(png_bytes())
    for q in ("", "?category=", "?category=selfie", "?category=Avatar"):
        r = h.post(api(h, "/media" + q), body, headers={"Content-Type": ct}, token=u["token"])
        assert_422_on(r, "category")
    for cat in ("avatar", "cover", "travel_photo", "review"):
        assert uploaded(h, u, png_bytes(), category=cat)["category"] == cat


def test_malformed_multipart_and_missing_file_field(h):
    u = new_user(h)
    body, ct = multipart(png_bytes())
    cut = body[:-len(b"--\r\n") - 10]
    problem_ok(h.post(api(h, "/media?category=cover"), cut, headers={"Content-Type": ct}, token=u["token"]), 400)
    problem_ok(h.post(api(h, "/media?category=cover"), body, headers={"Content-Type": "multipart/form-data"},
                      token=u["token"]), 400)
    assert_422_on(upload(h, u, png_bytes(), field="image"), "file")
    assert_422_on(upload(h, u, b"", ctype="image/png"), "file")
    assert rows_of(h, u["id"]) == 0 and files_of(h, u["id"]) == []


def test_too_large_is_413_and_leaves_nothing(h):
    u = new_user(h)
    big = png_bytes(b"\0" * (6 * 1024 * 1024))
    body, ct = multipart(big)
    # Beyond evhttp's cap (MEDIA_MAX_BYTES + 64 KiB): evhttp answers 413 from the headers and
    # closes, so the client sends the head and a first piece only and reads the answer.
    head = ("POST /api/v1/media?category=travel_photo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (u["token"], ct, len(body))).encode()
    out = h.raw(h.user.port, head + body[:4096])
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    # just over the limit but within evhttp's cap: the service's own 413 problem
    pad = MAX_BYTES + 1 - len(png_bytes(idat=b""))
    data = png_bytes(idat=b"\0" * pad)  # one IDAT chunk as large as needed: nothing to strip
    assert len(data) == MAX_BYTES + 1
    p = problem_ok(upload_raw(h, u, data, "image/png"), 413)
    assert str(MAX_BYTES) in p["detail"]
    problem_ok(upload(h, u, data), 413)
    # exactly the limit is fine
    m = uploaded(h, u, png_bytes(idat=b"\0" * (pad - 1)))
    assert m["size"] == MAX_BYTES
    assert rows_of(h, u["id"]) == 1 and len(files_of(h, u["id"])) == 1


def test_private_files_are_404_to_others_avatars_are_readable(h):
    owner, other = new_user(h), new_user(h)
    private = uploaded(h, owner, jpeg_bytes(), category="travel_photo")
    avatar = uploaded(h, owner, png_bytes(), category="avatar")
    cover = uploaded(h, owner, webp_bytes(), category="cover")
    for path in ("/media/%d", "/media/%d/content"):
        problem_ok(h.get(api(h, path % private["id"]), token=other["token"]), 404)
    problem_ok(h.request("DELETE", api(h, "/media/%d" % private["id"]), token=other["token"]), 404)
    problem_ok(h.request("DELETE", api(h, "/media/%d" % avatar["id"]), token=other["token"]), 404)
    for m in (avatar, cover):
        assert h.get(api(h, "/media/%d" % m["id"]), token=other["token"]).json() == m
        c = h.get(api(h, "/media/%d/content" % m["id"]), token=other["token"])
        assert c.status == 200 and hashlib.sha256(c.body).hexdigest() == m["sha256"]
    # lists are one's own only
    mine = h.get(api(h, "/media"), token=owner["token"]).json()
    assert [m["id"] for m in mine["items"]] == [cover["id"], avatar["id"], private["id"]], mine
    assert mine["total"] == 3
    assert h.get(api(h, "/media"), token=other["token"]).json()["total"] == 0
    page = h.get(api(h, "/media?limit=1&offset=1"), token=owner["token"]).json()
    assert [m["id"] for m in page["items"]] == [avatar["id"]] and page["total"] == 3
    problem_ok(h.get(api(h, "/media/999999999"), token=owner["token"]), 404)
    # a user's avatar may be only their own file
    r = h.request("PATCH", api(h, "/users/me"), {"avatar_media_id": avatar["id"]}, token=other["token"])
    assert_422_on(r, "avatar_media_id")


def test_etag_and_if_none_match(h):
    u = new_user(h)
    m = uploaded(h, u, png_bytes())
    url = api(h, "/media/%d/content" % m["id"])
    tag = '"%s"' % m["sha256"]
    r = h.get(url, token=u["token"], headers={"If-None-Match": tag})
    assert r.status == 304 and r.body == b"" and r.header("etag") == tag, r
    assert h.get(url, token=u["token"], headers={"If-None-Match": '"x", W/' + tag}).status == 304
    r = h.get(url, token=u["token"], headers={"If-None-Match": '"other"'})
    assert r.status == 200 and r.header("etag") == tag


def test_delete_removes_row_and_file_and_clears_avatar(h):
    u = new_user(h)
    keep = uploaded(h, u, jpeg_bytes())
    m = uploaded(h, u, png_bytes(), category="avatar")
    r = h.request("PATCH", api(h, "/users/me"), {"avatar_media_id": m["id"]}, token=u["token"])
    assert r.status == 200 and r.json()["avatar_media_id"] == m["id"], r
    assert len(files_of(h, u["id"])) == 2
    r = h.request("DELETE", api(h, "/media/%d" % m["id"]), token=u["token"])
    assert r.status == 204, r
    problem_ok(h.get(api(h, "/media/%d" % m["id"]), token=u["token"]), 404)
    problem_ok(h.request("DELETE", api(h, "/media/%d" % m["id"]), token=u["token"]), 404)
    assert rows_of(h, u["id"]) == 1 and len(files_of(h, u["id"])) == 1
    assert h.get(api(h, "/users/me"), token=u["token"]).json()["avatar_media_id"] is None
    assert h.get(api(h, "/media/%d/content" % keep["id"]), token=u["token"]).status == 200


def test_deleting_the_account_removes_its_files(h):
    u, other = new_user(h), new_user(h)
    uploaded(h, u, png_bytes())
    uploaded(h, u, jpeg_bytes(), category="avatar")
    theirs = uploaded(h, other, webp_bytes())
    assert len(files_of(h, u["id"])) == 2
    r = h.request("DELETE", api(h, "/users/me"), token=u["token"])
    assert r.status == 204, r
    assert not os.path.exists(os.path.join(h.media_dir, str(u["id"])))
    assert rows_of(h, u["id"]) == 0
    assert h.get(api(h, "/media/%d/content" % theirs["id"]), token=other["token"]).status == 200


def test_startup_sweep_removes_unfinished_uploads(h):
    u = new_user(h)
    m = uploaded(h, u, png_bytes())
    d = os.path.join(h.media_dir, str(u["id"]))
    leftover = os.path.join(d, secrets.token_hex(16) + ".tmp")
    with open(leftover, "wb") as f:
        f.write(b"half a file")
    h.user.stop()
    h.user.start()
    assert not os.path.exists(leftover)
    assert h.get(api(h, "/media/%d/content" % m["id"]), token=u["token"]).status == 200


def test_without_token_is_401(h):
    body, ct = multipart(png_bytes())
    problem_ok(h.post(api(h, "/media?category=avatar"), body, headers={"Content-Type": ct}), 401)
    problem_ok(h.get(api(h, "/media")), 401)
    problem_ok(h.get(api(h, "/media/1")), 401)
    problem_ok(h.get(api(h, "/media/1/content")), 401)
    problem_ok(h.request("DELETE", api(h, "/media/1")), 401)


def test_startup_sweep_removes_old_files_without_a_row(h):
    import time
    u = new_user(h)
    kept = uploaded(h, u, png_bytes())  # has its row
    udir = os.path.join(h.media_dir, str(u["id"]))
    old_orphan = os.path.join(udir, secrets.token_hex(16))
    young_orphan = os.path.join(udir, secrets.token_hex(16))
    for path in (old_orphan, young_orphan):
        with open(path, "wb") as f:
            f.write(png_bytes())
    hour_ago = time.time() - 3600
    os.utime(old_orphan, (hour_ago, hour_ago))
    for name in files_of(h, u["id"]):  # the real upload is old too: it must survive for its row
        if os.path.join(udir, name) != young_orphan:
            os.utime(os.path.join(udir, name), (hour_ago, hour_ago))
    h.user.stop()
    h.user.start()
    deadline = time.time() + 10
    while time.time() < deadline and os.path.exists(old_orphan):
        time.sleep(0.1)
    assert not os.path.exists(old_orphan)
    assert os.path.exists(young_orphan)  # could be an upload between its rename and its INSERT
    r = h.get(api(h, "/media/%d/content" % kept["id"]), token=u["token"])
    assert r.status == 200 and r.body == png_bytes()
    os.unlink(young_orphan)


# ---- metadata stripping (issue 19, item 3) ----

GPS = b"GPS 52.3676 N 4.9041 E home"


def exif_tiff(orientation=None):
    """A little-endian TIFF block: IFD0 with the orientation (when given) and a GPS-IFD
    pointer, then a GPS IFD holding latitude ref "N" and the GPS marker text."""
    entries = ([(0x0112, 3, 1, struct.pack("<HH", orientation, 0))] if orientation else [])
    ifd0_len = 2 + 12 * (len(entries) + 1) + 4
    gps_off = 8 + ifd0_len
    entries.append((0x8825, 4, 1, struct.pack("<I", gps_off)))
    ifd0 = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHI", t, k, c) + v for t, k, c, v in entries)
    gps = struct.pack("<H", 1) + struct.pack("<HHI", 1, 2, 2) + b"N\0\0\0" + struct.pack("<I", 0) + GPS
    return b"II*\0" + struct.pack("<I", 8) + ifd0 + struct.pack("<I", 0) + gps


def app(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def served(h, u, data, **kw):
    """Uploads data, downloads it back; asserts size and sha256 describe what is served."""
    m = uploaded(h, u, data, **kw)
    c = h.get(api(h, "/media/%d/content" % m["id"]), token=u["token"])
    assert c.status == 200, c
    assert m["sha256"] == hashlib.sha256(c.body).hexdigest() and m["size"] == len(c.body), m
    assert c.header("etag") == '"%s"' % m["sha256"]
    stored = []
    for name in files_of(h, u["id"]):
        with open(os.path.join(h.media_dir, str(u["id"]), name), "rb") as f:
            stored.append(f.read())
    assert c.body in stored  # what is served is the file on disk
    return m, c.body


def test_jpeg_exif_gps_xmp_and_comments_are_stripped_and_orientation_kept(h):
    u = new_user(h)
    xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>" + GPS + b"</exif:GPSLatitude></x:xmpmeta>"
    segments = (app(0xE1, b"Exif\0\0" + exif_tiff(orientation=6)) + app(0xE1, xmp)
                + app(0xED, b"Photoshop 3.0\0008BIM" + GPS) + app(0xFE, b"shot at " + GPS))
    data = jpeg_bytes(400, segments)
    scan = data[data.index(b"\xff\xda"):]
    assert GPS in data
    m, body = served(h, u, data, filename="trip.jpg")
    assert m["content_type"] == "image/jpeg" and m["size"] < len(data)
    assert GPS not in body and b"xmpmeta" not in body and b"Photoshop" not in body and b"\xff\xfe" not in body
    assert body.startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") and body.endswith(scan)
    # the orientation stays, alone, in a minimal Exif
    tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0"
    assert b"\xff\xe1\x00\x22Exif\0\0" + tiff in body
    # a clean JPEG is stored as it came
    clean = jpeg_bytes(300)
    m2, body2 = served(h, u, clean, category="avatar")
    assert body2 == clean and m2["sha256"] == hashlib.sha256(clean).hexdigest()


def test_png_text_and_exif_chunks_are_stripped(h):
    u = new_user(h)
    chunks = (png_chunk(b"gAMA", struct.pack(">I", 45455)) + png_chunk(b"tEXt", b"Location\0" + GPS)
              + png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + GPS) + png_chunk(b"eXIf", exif_tiff())
              + png_chunk(b"tIME", b"\x07\xea\x0c\x07\x10\x2d\x00"))
    data = png_bytes(chunks=chunks, extra=b"appended " + GPS)
    m, body = served(h, u, data, filename="map.png")
    assert GPS not in body
    for kind in (b"tEXt", b"iTXt", b"eXIf", b"tIME"):
        assert kind not in body, kind
    assert body == png_bytes(chunks=png_chunk(b"gAMA", struct.pack(">I", 45455)))


def test_webp_exif_and_xmp_are_stripped(h):
    u = new_user(h)
    def chunk(kind, data):
        return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    image = chunk(b"VP8L", b"\x2f" + secrets.token_bytes(40))
    vp8x = chunk(b"VP8X", bytes([0x0C]) + b"\0" * 9)  # EXIF and XMP flags
    body = b"WEBP" + vp8x + image + chunk(b"EXIF", exif_tiff()) + chunk(b"XMP ", b"<x:xmpmeta>" + GPS + b"</x:xmpmeta>")
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    m, got = served(h, u, data)
    clean = b"WEBP" + chunk(b"VP8X", b"\0" * 10) + image
    assert got == b"RIFF" + struct.pack("<I", len(clean)) + clean


def test_malformed_images_are_422_and_leave_nothing(h):
    u = new_user(h)
    bad_jpeg = b"\xff\xd8" + app(0xE1, b"Exif\0\0" + exif_tiff())[:-10]  # segment past the end
    no_eoi = jpeg_bytes(100)[:-2]
    bad_png = png_bytes()[:-12]  # no IEND
    bad_webp = b"RIFF" + struct.pack("<I", 4000) + b"WEBPVP8 " + struct.pack("<I", 8) + b"12345678"
    for data in (bad_jpeg, no_eoi, bad_png, bad_webp):
        assert_422_on(upload(h, u, data), "file")
        assert_422_on(upload_raw(h, u, data, kind_of(data)), "file")
    assert rows_of(h, u["id"]) == 0 and files_of(h, u["id"]) == []
