"""The customer's channels: the web widget (socket.io) always; REST for the shop's backend and
each messenger when their secrets are in the environment.

`channels()` gives what Rasa reads from a credentials file: `credentials.yml` (the channels that
need no secret) plus those that are configured. Those connectors read their secrets from the
environment themselves, so no secret is ever written to a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.protocol import MESSENGER, TELEGRAM, WEB_CHANNEL, WHATSAPP

BASE_CREDENTIALS = Path(__file__).resolve().parents[2] / "credentials.yml"
# Rasa's names of the channels credentials.yml lists by their class
BASE_NAMES = {"rasa_runtime.channels.socketio.WidgetSocketInput": WEB_CHANNEL}


@dataclass(frozen=True)
class Configured:
    name: str
    connector: str  # module.Class, as credentials.yml names a custom channel
    required: tuple[str, ...]  # the environment variables that turn it on, all of them


CONFIGURED: tuple[Configured, ...] = (
    Configured("rest", "rasa_runtime.channels.rest.TokenRestInput", ("RASA_REST_TOKEN",)),
    Configured(TELEGRAM, "rasa_runtime.channels.telegram.TelegramInput",
              ("TELEGRAM_TOKEN", "TELEGRAM_SECRET_TOKEN")),
    Configured(MESSENGER, "rasa_runtime.channels.messenger.MessengerInput",
              ("MESSENGER_PAGE_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN")),
    Configured(WHATSAPP, "rasa_runtime.channels.whatsapp.WhatsAppInput",
              ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER",
               "TWILIO_WEBHOOK_URL")),
)


@dataclass(frozen=True)
class Channels:
    credentials: dict[str, Any]  # the credentials file's content
    on: list[str]  # channel names, for the start-up line
    incomplete: dict[str, list[str]]  # channel -> variables missing, where some are set


def channels(env: Mapping[str, str]) -> Channels:
    credentials = yaml.safe_load(BASE_CREDENTIALS.read_text(encoding="utf-8")) or {}
    on, incomplete = [BASE_NAMES.get(key, key) for key in credentials], {}
    for channel in CONFIGURED:
        missing = [name for name in channel.required if not env.get(name, "").strip()]
        if not missing:
            credentials[channel.connector] = None  # it reads the environment
            on.append(channel.name)
        elif len(missing) < len(channel.required):
            incomplete[channel.name] = missing
    return Channels(credentials, on, incomplete)


def describe(found: Channels) -> str:
    """One line for the start-up log: which channels are on, and what a half-set one lacks."""
    line = "channels on: " + ", ".join(found.on)
    for name, missing in found.incomplete.items():
        line += f"; {name} off, missing {', '.join(missing)}"
    return line
