"""Configuration of the handoff service, read from the environment (secrets included)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CANNED = Path(__file__).with_name("canned_responses.yml")


class MissingSetting(RuntimeError):
    """A required environment variable is not set, or is unsafe."""


def _required(name: str, min_length: int = 1) -> str:
    value = os.environ.get(name, "").strip()
    if len(value) < min_length:
        raise MissingSetting(f"environment variable {name} must be set "
                             f"(at least {min_length} characters)")
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
    # How often Rasa's event table is read when caught up: the wait a customer's message can
    # have before an agent sees it (bench/load: 0.2 s gave p50 ~0.9 s under 100 handoffs).
    poll_interval: float = 0.05
    # On PostgreSQL Rasa's table notifies the service of new events (event_wakeup.py); polling
    # is then only a safety net.
    notified_poll_interval: float = 1.0
    max_body_bytes: int = 1_000_000
    default_team: str = "support"
    # An assigned agent who has not answered within this time loses the handoff to the queue.
    assign_timeout_seconds: float = 180.0
    # An online agent not seen (API call or console heartbeat) for this long is set offline.
    presence_timeout_seconds: float = 90.0
    # How often a waiting customer may be told that their place in the queue improved.
    position_notice_seconds: float = 60.0
    router_interval: float = 1.0
    host: str = "127.0.0.1"
    port: int = 8000
    canned_responses: Path = DEFAULT_CANNED
    # Where browsers reach Rasa's socket.io channel (the widget's demo page uses it).
    widget_socket_url: str = "http://127.0.0.1:5005"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            database_url=env("HANDOFF_DATABASE_URL", "sqlite:///var/handoff.db"),
            events_url=_required("HANDOFF_EVENTS_URL"),
            rasa_url=env("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=_required("RASA_AUTH_TOKEN"),
            action_secret=_required("HANDOFF_ACTION_SECRET", 16),
            jwt_secret=_required("HANDOFF_JWT_SECRET", 32),
            admin_token=_required("HANDOFF_ADMIN_TOKEN", 16),
            token_ttl_minutes=int(env("HANDOFF_TOKEN_TTL_MINUTES", "480")),
            poll_interval=float(env("HANDOFF_POLL_INTERVAL", "0.05")),
            notified_poll_interval=float(env("HANDOFF_NOTIFIED_POLL_INTERVAL", "1.0")),
            default_team=env("HANDOFF_DEFAULT_TEAM", "support"),
            assign_timeout_seconds=float(env("HANDOFF_ASSIGN_TIMEOUT_SECONDS", "180")),
            presence_timeout_seconds=float(env("HANDOFF_PRESENCE_TIMEOUT_SECONDS", "90")),
            position_notice_seconds=float(env("HANDOFF_POSITION_NOTICE_SECONDS", "60")),
            host=env("HANDOFF_HOST", "127.0.0.1"),
            port=int(env("HANDOFF_PORT", "8000")),
            canned_responses=Path(env("HANDOFF_CANNED_RESPONSES", str(DEFAULT_CANNED))),
            widget_socket_url=env("HANDOFF_WIDGET_SOCKET_URL",
                                  env("RASA_URL", "http://127.0.0.1:5005")).rstrip("/"),
        )
