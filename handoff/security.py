"""Who may call what: agents hold expiring JWTs; the action server and admins, shared secrets."""

from __future__ import annotations

import hmac
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def issue_token(agent_id: int, secret: str, ttl_minutes: int) -> tuple[str, float]:
    """Return a signed agent token and its expiry (epoch seconds)."""
    expires = time.time() + ttl_minutes * 60
    token = jwt.encode({"sub": str(agent_id), "exp": int(expires)}, secret, algorithm="HS256")
    return token, expires


def agent_id_from_token(token: str, secret: str) -> int | None:
    """Return the agent id of a valid, unexpired token, else None."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        return None


def secret_matches(given: str, expected: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())
