"""Ed25519 through libsodium (ctypes, no pip): the token keys of the tests and the bench.

user-service signs access tokens with EdDSA (RFC 8037) under a kid; every service verifies
with the public keys in JWT_VERIFY_KEYS (docs/security.md, "Token keys"). Key.env() gives
the variables for user-service, Key.verify_entry() one JWT_VERIFY_KEYS entry."""
import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import json
import os

SEED_BYTES, PUBLIC_BYTES, SECRET_BYTES, SIG_BYTES = 32, 32, 64, 64


def _load():
    for name in ("libsodium.so.23", ctypes.util.find_library("sodium") or "libsodium.so"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if lib.sodium_init() < 0:
            raise RuntimeError("libsodium could not start")
        return lib
    raise RuntimeError("libsodium not found (install libsodium23)")


_sodium = _load()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Key:
    """An Ed25519 key pair with its kid."""

    def __init__(self, kid, seed):
        if len(seed) != SEED_BYTES:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self.kid, self.seed = kid, bytes(seed)
        pk, sk = ctypes.create_string_buffer(PUBLIC_BYTES), ctypes.create_string_buffer(SECRET_BYTES)
        if _sodium.crypto_sign_seed_keypair(pk, sk, self.seed) != 0:
            raise RuntimeError("crypto_sign_seed_keypair failed")
        self.public, self._sk = pk.raw, sk.raw

    @classmethod
    def generate(cls, kid):
        return cls(kid, os.urandom(SEED_BYTES))

    @classmethod
    def from_env(cls, env):
        return cls(env["JWT_SIGNING_KID"], unb64url(env["JWT_SIGNING_KEY"]))

    def sign(self, message):
        sig = ctypes.create_string_buffer(SIG_BYTES)
        if _sodium.crypto_sign_detached(sig, None, message, ctypes.c_ulonglong(len(message)), self._sk) != 0:
            raise RuntimeError("crypto_sign_detached failed")
        return sig.raw

    def verify_entry(self):
        """kid:base64url(public key), one entry of JWT_VERIFY_KEYS."""
        return "%s:%s" % (self.kid, b64url(self.public))

    def env(self):
        """JWT_SIGNING_KID and JWT_SIGNING_KEY: for user-service only."""
        return {"JWT_SIGNING_KID": self.kid, "JWT_SIGNING_KEY": b64url(self.seed)}


def token(header, payload, key=None, hmac_key=None):
    """header.payload.signature: Ed25519 with key when header's alg is EdDSA, else an
    HMAC-SHA256 with hmac_key (bytes), for the forgeries the daemons must refuse."""
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    if header.get("alg") == "EdDSA":
        sig = key.sign(signing.encode())
    else:
        sig = hmac.new(hmac_key or b"x" * 32, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


SIGNING_VARS = ("JWT_SIGNING_KEY", "JWT_SIGNING_KID")


def env_for(binary, env):
    """env as given to binary (a path or a name): only user-service gets the signing key."""
    if os.path.basename(str(binary)).startswith("user-service"):
        return dict(env)
    return {k: v for k, v in env.items() if k not in SIGNING_VARS}
