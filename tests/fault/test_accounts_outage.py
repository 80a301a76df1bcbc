"""Accounts while the users database is down: a clear 503, never a 401 that would log the
user out, never a 500; and everything works again once the database is back."""
import secrets
import time

from harness import problem_ok


def test_auth_answers_503_while_the_users_database_is_down(h):
    if "user-service" not in [d.name for d in h.daemons()]:
        return
    name = "outage" + secrets.token_hex(4)
    r = h.post(h.user_url + "/api/v1/auth/register",
               {"username": name, "email": name + "@example.com", "password": "correct horse"})
    assert r.status == 201, r
    token = r.json()["access_token"]
    h.pg("stop", "users")
    try:
        for resp in (h.get(h.user_url + "/api/v1/users/me", token=token),
                     h.post(h.user_url + "/api/v1/auth/login",
                            {"email": name + "@example.com", "password": "correct horse"}),
                     h.post(h.user_url + "/api/v1/auth/register",
                            {"username": name + "x", "email": name + "x@example.com", "password": "correct horse"})):
            problem_ok(resp, 503)
            assert resp.header("Retry-After"), resp.headers
    finally:
        h.pg("start", "users")
    deadline = time.time() + 10
    while time.time() < deadline and h.get(h.user_url + "/api/v1/users/me", token=token).status != 200:
        time.sleep(0.1)
    assert h.get(h.user_url + "/api/v1/users/me", token=token).status == 200
    assert h.user.alive()
