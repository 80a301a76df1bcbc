"""Helpers every suite uses to reach the user API: its URLs, fresh names and accounts."""
import secrets

PASSWORD = "correct horse battery"


def uniq(prefix="u"):
    """A fresh name: prefix + 10 random hex digits."""
    return "%s%s" % (prefix, secrets.token_hex(5))


def api(h, path):
    """The user-service URL of an /api/v1 path."""
    return h.user_url + "/api/v1" + path


def register(h, username=None, email=None, password=PASSWORD):
    name = username or uniq()
    return h.post(api(h, "/auth/register"),
                  {"username": name, "email": email or name + "@example.com", "password": password})


def new_user(h, password=PASSWORD):
    """Registers a fresh user; returns its self view plus "password" and "token"."""
    r = register(h, password=password)
    assert r.status == 201, r
    body = r.json()
    u = dict(body["user"])
    u["password"], u["token"] = password, body["access_token"]
    return u
