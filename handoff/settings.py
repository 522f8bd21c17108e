"""Configuration of the handoff service, each setting declared once with the environment
variable it is read from (secrets included); a missing or bad value names its variable."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CANNED = Path(__file__).with_name("canned_responses.yml")


class InvalidSettings(RuntimeError):
    """A required environment variable is not set, is unsafe, or cannot be read."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, populate_by_name=True, extra="ignore",
                                      str_strip_whitespace=True, case_sensitive=True)

    database_url: str = Field("sqlite:///var/handoff.db", alias="HANDOFF_DATABASE_URL")
    events_url: str = Field(alias="HANDOFF_EVENTS_URL", min_length=1)
    rasa_url: str = Field("http://127.0.0.1:5005", alias="RASA_URL")
    # Signs the service's short-lived JWTs of Rasa's HTTP API (Rasa runs with --jwt-secret).
    rasa_jwt_secret: str = Field(alias="RASA_JWT_SECRET", min_length=32)
    action_secret: str = Field(alias="HANDOFF_ACTION_SECRET", min_length=16)
    jwt_secret: str = Field(alias="HANDOFF_JWT_SECRET", min_length=32)
    admin_token: str = Field(alias="HANDOFF_ADMIN_TOKEN", min_length=16)
    token_ttl_minutes: int = Field(480, alias="HANDOFF_TOKEN_TTL_MINUTES")
    # Failed sign-ins allowed per account and per address, in growing windows (`limits`'
    # notation; sign_in_limits.py), and where the counts are kept.
    sign_in_account_limits: str = Field("5/minute;10/10 minutes;20/hour;50/day",
                                        alias="HANDOFF_SIGN_IN_ACCOUNT_LIMITS")
    sign_in_address_limits: str = Field("20/minute;60/hour;200/day",
                                        alias="HANDOFF_SIGN_IN_ADDRESS_LIMITS")
    rate_limit_storage: str = Field("memory://", alias="HANDOFF_RATE_LIMIT_STORAGE")
    # The proxies in front of the service (comma-separated addresses or CIDRs): only a request
    # whose peer is one of them has its X-Forwarded-For read, and the client is its right-most
    # address that is not a trusted proxy. Empty: the peer is the client, whatever it forwards.
    trusted_proxies: str = Field("", alias="HANDOFF_TRUSTED_PROXIES")
    # How long an admin's password-reset token stays valid.
    reset_ttl_minutes: int = Field(24 * 60, alias="HANDOFF_RESET_TTL_MINUTES", gt=0)
    # How often Rasa's event table is read when caught up: the wait a customer's message can
    # have before an agent sees it (bench/load: 0.2 s gave p50 ~0.9 s under 100 handoffs).
    poll_interval: float = Field(0.05, alias="HANDOFF_POLL_INTERVAL", gt=0)
    # On PostgreSQL Rasa's table notifies the service of new events (event_wakeup.py); polling
    # is then only a safety net.
    notified_poll_interval: float = Field(1.0, alias="HANDOFF_NOTIFIED_POLL_INTERVAL", gt=0)
    max_body_bytes: int = Field(1_000_000, alias="HANDOFF_MAX_BODY_BYTES", gt=0)
    # Largest WebSocket message (the live feeds carry typing signals and heartbeats): a larger
    # one closes the connection with 1009.
    max_frame_bytes: int = Field(64_000, alias="HANDOFF_MAX_FRAME_BYTES", gt=0)
    # How often an open live feed checks its agent's sign-in and teams again (api/live.py).
    live_recheck_seconds: float = Field(5.0, alias="HANDOFF_LIVE_RECHECK_SECONDS", gt=0)
    default_team: str = Field("support", alias="HANDOFF_DEFAULT_TEAM", min_length=1)
    # An assigned agent who has not answered within this time loses the handoff to the queue.
    assign_timeout_seconds: float = Field(180.0, alias="HANDOFF_ASSIGN_TIMEOUT_SECONDS", gt=0)
    # An online agent not seen (API call or console heartbeat) for this long is set offline.
    presence_timeout_seconds: float = Field(90.0, alias="HANDOFF_PRESENCE_TIMEOUT_SECONDS", gt=0)
    # How often a waiting customer may be told that their place in the queue improved.
    position_notice_seconds: float = Field(60.0, alias="HANDOFF_POSITION_NOTICE_SECONDS", gt=0)
    assigner_interval: float = Field(1.0, alias="HANDOFF_ASSIGNER_INTERVAL", gt=0)
    # Tries of an agent message that the customer's platform fails to take (5xx, rate limits)
    # before it is shown as undeliverable; a refusal for ever (bot blocked) ends at once.
    delivery_attempts: int = Field(6, alias="HANDOFF_DELIVERY_ATTEMPTS", gt=0)
    # How often the trainers' inbox reads Rasa's events when caught up (it is not urgent).
    inbox_poll_interval: float = Field(1.0, alias="HANDOFF_INBOX_POLL_INTERVAL", gt=0)
    # The repository whose data/nlu/ the trainers edit (and whose tests/nlu_holdout/ is held
    # out); by default the one this service runs from.
    project_dir: Path = Field(Path(__file__).resolve().parent.parent,
                              alias="HANDOFF_PROJECT_DIR")
    # Rasa's environment, in which the trainers' page trains and reports (handoff/training.py),
    # and the folds of the report's cross-validation (0: none).
    rasa_python: Path = Field(Path(__file__).resolve().parent.parent / ".venv-rasa" / "bin"
                              / "python", alias="HANDOFF_RASA_PYTHON")
    report_folds: int = Field(5, alias="HANDOFF_REPORT_FOLDS", ge=0, le=20)
    # Redis, through which several replicas of the service share their live feeds (agents' and
    # widgets'); unset, the feeds are in-process (one replica).
    redis_url: str | None = Field(None, alias="HANDOFF_REDIS_URL", min_length=1)
    redis_channel: str = Field("handoff:live", alias="HANDOFF_REDIS_CHANNEL", min_length=1)
    # RabbitMQ, where Rasa's `pika` event broker publishes (several Rasa replicas); set, the
    # service writes those events to HANDOFF_EVENTS_URL's table itself (rabbitmq_journal.py).
    rabbitmq_url: str | None = Field(None, alias="HANDOFF_RABBITMQ_URL", min_length=1)
    rabbitmq_queue: str = Field("handoff_events", alias="HANDOFF_RABBITMQ_QUEUE", min_length=1)
    rabbitmq_exchange: str = Field("rasa-exchange", alias="HANDOFF_RABBITMQ_EXCHANGE",
                                   min_length=1)
    # The bearer token Prometheus scrapes /metrics with; unset, /metrics answers 404.
    metrics_token: str | None = Field(None, alias="HANDOFF_METRICS_TOKEN", min_length=16)
    # "json": one JSON object per log line, with the handoff's and conversation's ids; "text".
    log_format: Literal["json", "text"] = Field("json", alias="HANDOFF_LOG_FORMAT")
    host: str = Field("127.0.0.1", alias="HANDOFF_HOST")
    port: int = Field(8000, alias="HANDOFF_PORT", gt=0, lt=65536)
    canned_responses: Path = Field(DEFAULT_CANNED, alias="HANDOFF_CANNED_RESPONSES")
    # Where browsers reach Rasa's socket.io channel (the widget's demo page uses it).
    widget_socket_url: str = Field(
        "http://127.0.0.1:5005", validation_alias=AliasChoices("HANDOFF_WIDGET_SOCKET_URL",
                                                               "RASA_URL", "widget_socket_url"))

    # The pages that may open the widget's live feed (and Rasa's socket.io: the same variable):
    # comma-separated origins, "*" for any; empty, only the service's own.
    widget_origins: str = Field("", alias="WIDGET_ORIGINS")
    # The host site's secret for signing its signed-in users' identity (contacts.py); without
    # it, web customers are recognised only by their browser's conversation.
    widget_identity_secret: str | None = Field(None, alias="HANDOFF_WIDGET_IDENTITY_SECRET",
                                               min_length=16)
    # Development only: the demo page signs `?user=` with that secret, so anyone who can open
    # it can pose as any customer. `make run` sets it only while the service listens on the
    # loopback interface (tools/stack.py); never set it where others reach the service.
    widget_demo_signs: bool = Field(False, alias="HANDOFF_WIDGET_DEMO_SIGNS")
    # The platforms' APIs, from which the service fetches the photos customers send; the same
    # variables as the Rasa side's connectors (rasa_runtime/channels/).
    telegram_token: str | None = Field(None, alias="TELEGRAM_TOKEN")
    telegram_api_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_URL")
    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    max_attachment_bytes: int = Field(10_000_000, alias="HANDOFF_MAX_ATTACHMENT_BYTES", gt=0)
    # Photos come only from each platform's own hosts, over https (media_fetch.py): Telegram's
    # and Twilio's API base URLs, the hosts Twilio's media URLs redirect to, and Meta's CDN
    # ("*.example.com": any name under it). A base URL's own scheme, host and port count as
    # allowed (the test stand-ins); private addresses are refused unless the host is one of
    # these base URLs' hosts and is listed in HANDOFF_MEDIA_ALLOW_PRIVATE_HOSTS.
    twilio_api_url: str = Field("https://api.twilio.com", alias="TWILIO_API_URL")
    messenger_api_url: str = Field("https://graph.facebook.com", alias="MESSENGER_API_URL")
    whatsapp_media_hosts: str = Field("*.twiliocdn.com,s3-external-1.amazonaws.com",
                                      alias="HANDOFF_WHATSAPP_MEDIA_HOSTS")
    messenger_media_hosts: str = Field("*.fbcdn.net,*.fbsbx.com",
                                       alias="HANDOFF_MESSENGER_MEDIA_HOSTS")
    media_allow_private_hosts: str = Field("", alias="HANDOFF_MEDIA_ALLOW_PRIVATE_HOSTS")
    # What one customer can make the service fetch and keep.
    max_attachments_per_message: int = Field(10, alias="HANDOFF_MAX_ATTACHMENTS_PER_MESSAGE",
                                             ge=0)
    max_attachments_per_handoff: int = Field(50, alias="HANDOFF_MAX_ATTACHMENTS_PER_HANDOFF",
                                             ge=0)
    max_attachment_bytes_per_handoff: int = Field(
        100_000_000, alias="HANDOFF_MAX_ATTACHMENT_BYTES_PER_HANDOFF", gt=0)
    attachment_fetch_seconds: float = Field(30.0, alias="HANDOFF_ATTACHMENT_FETCH_SECONDS", gt=0)

    def widget_may_open(self, origin: str, own: str) -> bool:
        """Whether a page of `origin` may open the widget's live feed (`own`: the service's)."""
        allowed = [o.strip().rstrip("/") for o in self.widget_origins.split(",") if o.strip()]
        return origin == own or "*" in allowed or origin.rstrip("/") in allowed

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for entry in (entry.strip() for entry in value.split(",")):
            try:
                if entry:
                    ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or CIDR network (\"*\" is not "
                                 "allowed: anyone could then say who they are)") from None
        return value

    @field_validator("sign_in_account_limits", "sign_in_address_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"not a list of rate limits such as '5/minute;20/hour': {error}"
                             ) from None
        return value

    @field_validator("rasa_url", "widget_socket_url", "telegram_api_url", "twilio_api_url",
                     "messenger_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def load_settings() -> Settings:
    """The settings from the environment, or InvalidSettings naming every variable at fault."""
    try:
        return Settings()
    except ValidationError as error:
        problems = [f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                    for problem in error.errors()]
        raise InvalidSettings("invalid configuration of the handoff service:\n  "
                              + "\n  ".join(problems)) from None
