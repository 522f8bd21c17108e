"""Which process may see which secret. A process started by tools/stack.py (or a training run
the service starts) gets the others' secrets removed from its environment, so a process that is
taken over, or that prints its environment, gives away only its own."""

from __future__ import annotations

from collections.abc import Mapping

# Platform credentials: Rasa's connectors send with them; the service fetches photos with some.
TELEGRAM = ("TELEGRAM_TOKEN", "TELEGRAM_SECRET_TOKEN")
MESSENGER = ("MESSENGER_PAGE_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN")
TWILIO = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")

NEEDS: dict[str, frozenset[str]] = {
    "rasa": frozenset({"RASA_JWT_SECRET", "RASA_REST_TOKEN", "ACTION_SERVER_TOKEN",
                       "RASA_PG_PASSWORD", "RASA_RABBITMQ_PASSWORD", "RASA_REDIS_PASSWORD",
                       "RASA_SOCKETIO_REDIS_URL", *TELEGRAM, *MESSENGER, *TWILIO}),
    "actions": frozenset({"HANDOFF_ACTION_SECRET", "ACTION_SERVER_TOKEN"}),
    "handoff": frozenset({"RASA_JWT_SECRET", "HANDOFF_ACTION_SECRET", "HANDOFF_JWT_SECRET",
                          "HANDOFF_ADMIN_TOKEN", "HANDOFF_METRICS_TOKEN",
                          "HANDOFF_WIDGET_IDENTITY_SECRET", "HANDOFF_DATABASE_URL",
                          "HANDOFF_EVENTS_URL", "HANDOFF_REDIS_URL", "HANDOFF_RABBITMQ_URL",
                          "HANDOFF_RATE_LIMIT_STORAGE", "TELEGRAM_TOKEN", *TWILIO}),
}
# The servers' own URLs, with their passwords, that only the launcher (tools/scaled.py) reads.
LAUNCHER = ("SCALED_POSTGRES_URL", "SCALED_REDIS_URL", "SCALED_RABBITMQ_URL")
# Every variable that is some process's secret (database URLs may carry a password).
SECRETS = frozenset(LAUNCHER).union(*NEEDS.values())


def scoped(environment: Mapping[str, str], process: str) -> dict[str, str]:
    """`environment` without the secrets `process` does not need (a process not named above,
    such as a training run or the balancer, gets none)."""
    keep = NEEDS.get(process, frozenset())
    return {name: value for name, value in environment.items()
            if name not in SECRETS or name in keep}
