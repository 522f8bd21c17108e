"""Secrets and tokens: password hashes, the signed-in session tokens, one-time reset tokens, and
comparing the shared secrets (the action server's, the bootstrap admin token) in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

_hasher = PasswordHasher()
# Argon2 takes 64 MiB and four threads a hash, on purpose: this many at once in a process, and
# this many more waiting their turn; a flood of sign-ins beyond that is told to come back (503)
# at once, so it holds neither memory, CPU, the request threads nor the database's connections.
HASHES_AT_ONCE = 4
HASHES_WAITING = 8
_hashing = threading.BoundedSemaphore(HASHES_AT_ONCE)
_admitted = threading.BoundedSemaphore(HASHES_AT_ONCE + HASHES_WAITING)


class HashingBusy(Exception):
    """More passwords to hash than the process takes at once: try again in a moment."""


@contextmanager
def _turn() -> Iterator[None]:
    if not _admitted.acquire(blocking=False):
        raise HashingBusy
    try:
        with _hashing:
            yield
    finally:
        _admitted.release()


def hash_password(password: str) -> str:
    with _turn():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _turn():
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Claims:
    agent_id: int
    sign_in_id: str  # the SignIn row that revoking ends


def new_sign_in_id() -> str:
    return secrets.token_hex(16)


def issue_token(agent_id: int, sign_in_id: str, secret: str,
                ttl_minutes: int) -> tuple[str, float]:
    """Return a signed token of one sign-in and its expiry (epoch seconds)."""
    expires = time.time() + ttl_minutes * 60
    token = jwt.encode({"sub": str(agent_id), "sid": sign_in_id, "exp": int(expires)}, secret,
                       algorithm="HS256")
    return token, expires


def claims_of(token: str, secret: str) -> Claims | None:
    """The claims of a validly signed, unexpired token, else None (revocation is checked
    against the database by the caller)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "sub", "sid"]}
        )
        return Claims(int(claims["sub"]), str(claims["sid"]))
    except (jwt.PyJWTError, ValueError):
        return None


def new_reset_token() -> tuple[str, str]:
    """A one-time password-reset token and the hash that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, reset_token_hash(token)


def reset_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secret_matches(given: str, expected: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())
