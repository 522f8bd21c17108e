"""Configuration of the handoff service, read from the environment (secrets included)."""

from __future__ import annotations

import os
from dataclasses import dataclass


class MissingSetting(RuntimeError):
    """A required environment variable is not set."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} must be set")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    events_url: str
    rasa_url: str
    rasa_token: str
    action_secret: str
    jwt_secret: str
    admin_token: str
    token_ttl_minutes: int = 480
    poll_interval: float = 0.2
    max_body_bytes: int = 1_000_000
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("HANDOFF_DATABASE_URL", "sqlite:///var/handoff.db"),
            events_url=_required("HANDOFF_EVENTS_URL"),
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=_required("RASA_AUTH_TOKEN"),
            action_secret=_required("HANDOFF_ACTION_SECRET"),
            jwt_secret=_required("HANDOFF_JWT_SECRET"),
            admin_token=_required("HANDOFF_ADMIN_TOKEN"),
            token_ttl_minutes=int(os.environ.get("HANDOFF_TOKEN_TTL_MINUTES", "480")),
            poll_interval=float(os.environ.get("HANDOFF_POLL_INTERVAL", "0.2")),
            host=os.environ.get("HANDOFF_HOST", "127.0.0.1"),
            port=int(os.environ.get("HANDOFF_PORT", "8000")),
        )
