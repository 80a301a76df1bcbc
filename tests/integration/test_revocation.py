"""A token retired in user-service is refused by destination-service too (issue 19, item 1).

user-service retires a token when the account is deleted, the password changed or every
session ended (token_version), and reads the role from its database; destination-service
only verifies signatures, so before an admin write it asks user-service's internal session
route, trusting a positive answer for at most 5 s. While user-service cannot answer, admin
writes are 503 with Retry-After and the public reads go on (docs/security.md)."""
import secrets
import time

import harness
from harness import problem_ok
from accounts import PASSWORD, api, new_user

SLOW = getattr(harness, "SLOWDOWN", 1.0)  # > 1 when the daemons run under a wrapper (valgrind)
API = "/api/v1/destinations"
PROMISE_S = 5.0  # the refusal must come within this many seconds of the retirement
POLL_S = 6.0


def new_admin(h):
    """An administrator with a token that claims the role (destination-service refuses a token
    that does not claim it without asking): promoted, then logged in again."""
    u = new_user(h)
    h.psql("users", "UPDATE users SET role = 'admin' WHERE id = %d" % u["id"])
    r = h.post(api(h, "/auth/login"), {"email": u["email"], "password": PASSWORD})
    assert r.status == 200, r
    u["token"] = r.json()["access_token"]
    return u


def create(h, token):
    """POST a destination with a name nobody else uses; the answer."""
    name = "Revocation check " + secrets.token_hex(6)
    return h.post(h.dest_url + API, {"name": name, "latitude": 12.25, "longitude": 108.5}, token=token)


def cleanup(h, created):
    for did in created:
        h.request("DELETE", h.dest_url + API + "/%d" % did, token=h.admin_jwt())


def refused_within(h, token, status, created):
    """Polls admin writes with token until one is answered status; the seconds it took.
    Writes that still succeed are recorded in created (for the clean-up)."""
    start = time.monotonic()
    while True:
        r = create(h, token)
        if r.status == 201:
            created.append(r.json()["id"])
        elif r.status == status:
            problem_ok(r, status)
            return time.monotonic() - start
        else:
            raise AssertionError("unexpected answer while waiting for %d: %r" % (status, r))
        assert time.monotonic() - start < POLL_S * SLOW, "still accepted %.1f s after the retirement" % POLL_S
        time.sleep(0.2)


def warm(h, admin, created):
    """The admin's token works on destination-service (and is in its cache now)."""
    r = create(h, admin["token"])
    assert r.status == 201, r
    created.append(r.json()["id"])


def test_deleted_admins_token_is_refused_by_destination_service_within_5_s(h):
    admin, created = new_admin(h), []
    try:
        warm(h, admin, created)
        r = h.request("DELETE", api(h, "/users/me"), token=admin["token"])
        assert r.status == 204, r
        took = refused_within(h, admin["token"], 401, created)
        assert took <= PROMISE_S * SLOW, took
        assert h.get(h.dest_url + API + "?limit=1").status == 200  # reads need no token
    finally:
        cleanup(h, created)


def test_password_change_retires_the_old_token_on_destination_service(h):
    admin, created = new_admin(h), []
    try:
        warm(h, admin, created)
        r = h.request("PUT", api(h, "/users/me/password"),
                      {"old_password": PASSWORD, "new_password": "another horse battery staple"}, token=admin["token"])
        assert r.status == 200, r
        fresh = r.json()["access_token"]
        took = refused_within(h, admin["token"], 401, created)
        assert took <= PROMISE_S * SLOW, took
        r = create(h, fresh)  # the token the change answered is of the new version
        assert r.status == 201, r
        created.append(r.json()["id"])
    finally:
        cleanup(h, created)


def test_logout_all_retires_the_token_on_destination_service(h):
    admin, created = new_admin(h), []
    try:
        warm(h, admin, created)
        assert h.post(api(h, "/auth/logout-all"), None, token=admin["token"]).status == 204
        took = refused_within(h, admin["token"], 401, created)
        assert took <= PROMISE_S * SLOW, took
    finally:
        cleanup(h, created)


def test_demoted_admin_is_refused_by_destination_service_within_5_s(h):
    admin, created = new_admin(h), []
    try:
        warm(h, admin, created)
        h.psql("users", "UPDATE users SET role = 'user' WHERE id = %d" % admin["id"])
        took = refused_within(h, admin["token"], 403, created)
        assert took <= PROMISE_S * SLOW, took
    finally:
        cleanup(h, created)


def test_forged_admin_token_of_a_plain_user_or_of_nobody_is_refused(h):
    u = new_user(h)
    problem_ok(create(h, h.jwt(u["id"], role="admin")), 403)  # the role is user-service's word
    problem_ok(create(h, h.jwt(987654321, role="admin")), 401)  # no such account
    problem_ok(create(h, h.jwt(u["id"], role="admin", ver=3)), 401)  # a version never issued
    problem_ok(create(h, h.jwt(2 ** 53, role="admin")), 401)  # beyond any id: refused without asking


def test_admin_writes_are_503_fast_while_user_service_is_down_and_reads_go_on(h):
    admin = new_admin(h)  # never checked yet: nothing cached for it
    did = None
    h.user.stop()
    try:
        start = time.monotonic()
        r = create(h, admin["token"])
        took = time.monotonic() - start
        problem_ok(r, 503)
        assert r.header("Retry-After") and int(r.header("Retry-After")) > 0, r
        assert took < 2.0 * SLOW, took  # refused at once, not after a long hang
        r = h.request("PATCH", h.dest_url + API + "/1", {"description": "x"}, token=admin["token"])
        problem_ok(r, 503)
        assert h.get(h.dest_url + API + "?limit=2").status == 200
        assert h.get(h.dest_url + API + "/1").status == 200
    finally:
        h.user.start()
    r = create(h, admin["token"])  # user-service back: the same token writes again
    assert r.status == 201, r
    did = r.json()["id"]
    cleanup(h, [did])
