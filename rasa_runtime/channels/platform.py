"""What the messenger connectors share: the webhook's order of checks, dropping repeat
deliveries, choices answered by number or title, and sending within a platform's length limit.

A webhook request is checked for the platform's signature (403 without it), parsed (400 when
malformed, 200 and ignored when it carries no customer message), stripped of repeats (keyed by
the platform's message id), and only then handed to Rasa.
"""

from __future__ import annotations

import logging
import os
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.protocol import META_MESSAGE_ID, META_PLATFORM_MESSAGE_ID, META_SHOWN
from common.redact import redact
from common.text import localize_digits, normalize, script_language, split_message
from rasa_runtime.channels import refusals

logger = logging.getLogger(__name__)

RECENT_DELIVERIES = 10_000  # message ids remembered in memory; the tracker remembers the rest
TRACKER_LOOKBACK = 200  # events searched for a repeat's message id
# What a photo without a caption, and a shared contact, say to the bot (intents of domain.yml).
SHARED_PHOTO = "/share_photo"
SHARED_CONTACT = "/share_contact"


class Forged(Exception):
    """The request does not carry the platform's valid signature."""


class Malformed(Exception):
    """The request is not what the platform sends."""


@dataclass(frozen=True)
class Inbound:
    """One customer message out of a webhook request."""

    sender_id: str  # prefixed with the channel's name: "telegram:42"
    text: str
    message_id: str  # the platform's id of the message, for dropping repeat deliveries
    metadata: dict[str, Any] = field(default_factory=dict)


class Repeats:
    """Message ids seen lately, so a delivery repeated while the first is in flight is dropped."""

    def __init__(self, size: int = RECENT_DELIVERIES) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        """Handling failed: the platform's retry must get through."""
        self._seen.pop(key, None)


def delivered_before(events: Iterable[Any], message_id: str) -> bool:
    """A repeat whose first delivery was handled, perhaps before a restart, is in the tracker."""
    return any(isinstance(event, UserUttered)
               and (event.metadata or {}).get(META_PLATFORM_MESSAGE_ID) == message_id
               for event in list(events)[-TRACKER_LOOKBACK:])


def offered_choices(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The buttons of the bot's latest question, if the customer has not answered since. The
    session's first message does not answer a question the session's start asked: Rasa logs
    it after the start's own messages, but the customer wrote it before seeing them."""
    events = list(events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered) and not _first_of_session(events, index):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return event.data["buttons"]
    return []


def _first_of_session(events: list[Any], index: int) -> bool:
    for event in reversed(events[:index]):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SessionStarted):
            return True
    return False


_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def pick_choice(text: str, choices: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The choice a typed answer names: its number ("2", "۲", "٢.") or its exact title."""
    number = _NUMBER.match(text)  # \d and int() read Persian and Arabic-Indic digits too
    if number and 1 <= int(number.group(1)) <= len(choices):
        return choices[int(number.group(1)) - 1]
    key = normalize(text).strip().casefold()
    return next((choice for choice in choices
                 if normalize(str(choice.get("title", ""))).strip().casefold() == key), None)


def numbered(text: str, buttons: list[dict[str, Any]]) -> str:
    """A question with its choices as a numbered list, for platforms without buttons."""
    language = script_language(text)
    lines = [f"{localize_digits(str(n), language)}. {button.get('title', '')}"
             for n, button in enumerate(buttons, start=1)]
    return text + "\n\n" + "\n".join(lines)


class PlatformError(Exception):
    """The platform refused or did not answer a request of ours. The text names no token
    (common/redact.py): it is logged."""


class PlatformRefused(PlatformError):
    """The platform will never take this message (rasa_runtime/channels/refusals.py says
    why): a retry cannot help, and Rasa's API answers 422 (rasa_runtime/fixes/undeliverable.py)."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason


class PlatformOutput(OutputChannel):
    """Sends through a platform's HTTP API, splitting texts longer than its limit."""

    channel: ClassVar[str]  # Rasa's name of the channel
    limit: ClassVar[int]  # characters (UTF-16 units) a message may have on the platform

    def __init__(self, http: aiohttp.ClientSession, settings: Any) -> None:
        self._http = http
        self.settings = settings

    @classmethod
    def name(cls) -> str:
        return cls.channel

    async def call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with self._http.request(method, url, **kwargs) as reply:
                body = await reply.read()
                if reply.status >= 300:
                    text = redact(f"{method} {url}: {reply.status} "
                                  f"{body[:300].decode(errors='replace')}")
                    if reason := refusals.permanent(self.channel, reply.status, body):
                        raise PlatformRefused(reason, text)
                    raise PlatformError(text)
                try:
                    return await reply.json(content_type=None) if body else None
                except ValueError:  # a success whose body is not JSON: not the platform's
                    raise PlatformError(redact(f"{method} {url}: {reply.status} not JSON")
                                        ) from None
        except (aiohttp.ClientError, TimeoutError) as error:  # aiohttp's deadline: TimeoutError
            # not chained: aiohttp's text names the whole URL, a token in it
            raise PlatformError(redact(f"{method} {url}: {type(error).__name__}: {error}")
                                ) from None

    async def send_part(self, recipient_id: str, text: str,
                        choices: list[dict[str, Any]] | None = None,
                        from_agent: bool = False) -> None:
        raise NotImplementedError

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """`kwargs` are the bot event's data and metadata: an agent's message carries the
        service's message id (Messenger sends those with its human-agent tag)."""
        from_agent = bool(kwargs.get(META_MESSAGE_ID))
        for part in split_message(text, self.limit):
            await self.send_part(recipient_id, part, from_agent=from_agent)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        """The choices go with the last part, so they stay beside the question."""
        *first, last = split_message(text, self.limit) or [""]
        for part in first:
            await self.send_part(recipient_id, part)
        await self.send_part(recipient_id, last, buttons)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        """Custom JSON is the web widget's (its status card); messengers get the text alone."""


def user_id(sender_id: str) -> str:
    """The platform's own id inside a prefixed sender id ("telegram:42" -> "42")."""
    return sender_id.partition(":")[2]


class PlatformInput(InputChannel):
    """A messenger's webhook at /webhooks/<name>/webhook. Its settings come from the
    environment (`settings_type.from_env`), never from a credentials file."""

    output_type: ClassVar[type[PlatformOutput]]
    settings_type: ClassVar[Any]  # a dataclass with `from_env(environ)`

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.repeats = Repeats()
        self._http: aiohttp.ClientSession | None = None

    @classmethod
    def name(cls) -> str:
        return cls.output_type.channel

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PlatformInput:
        return cls(cls.settings_type.from_env(os.environ))

    def get_output_channel(self) -> PlatformOutput:
        return self.output_type(self.http, self.settings)

    @property
    def http(self) -> aiohttp.ClientSession:
        """One connection pool per channel, made in Rasa's event loop on first use."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._http

    def verify(self, request: Request) -> None:
        """Raise Forged unless the request carries the platform's valid signature."""
        raise NotImplementedError

    def parse(self, request: Request) -> list[Inbound]:
        """The customer messages in the request; raise Malformed if it is not the platform's."""
        raise NotImplementedError

    async def acknowledge(self, request: Request, inbound: Inbound) -> None:
        """What the platform wants told once a message is taken (Telegram's button spinner)."""

    def success(self) -> HTTPResponse:
        return response.json({"status": "ok"})

    def add_routes(self, webhook: Blueprint) -> None:
        """Routes of the platform's own (Messenger's subscription check, ...)."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                self.verify(request)
                inbound = self.parse(request)
            except Forged as error:
                logger.warning("%s webhook refused: %s", self.name(), error)
                return response.json({"error": "invalid signature"}, status=403)
            except Malformed as error:
                return response.json({"error": f"malformed request: {error}"}, status=400)
            for message in inbound:
                await self._hand_to_rasa(request, message, on_new_message)
            return self.success()

        self.add_routes(webhook)
        return webhook

    @staticmethod
    async def _events(request: Request, sender_id: str, every_session: bool = False) -> list[Any]:
        """The conversation's events: of its current session, or of all of them."""
        store = request.app.ctx.agent.tracker_store
        tracker = await (store.retrieve_full_tracker(sender_id) if every_session
                         else store.retrieve(sender_id))
        return list(tracker.events) if tracker is not None else []

    async def _hand_to_rasa(self, request: Request, inbound: Inbound,
                            on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        key = f"{inbound.sender_id}\x00{inbound.message_id}"
        if not self.repeats.first_time(key):
            return
        try:
            events = await self._events(request, inbound.sender_id)
            if delivered_before(events, inbound.message_id):
                return
            text, metadata = inbound.text, {**inbound.metadata,
                                            META_PLATFORM_MESSAGE_ID: inbound.message_id}
            choices = offered_choices(events)
            if not choices and sum(isinstance(e, UserUttered) for e in events) == 1:
                # the answer to a question of the session's start, which Rasa keeps in the
                # previous session's events
                choices = offered_choices(await self._events(request, inbound.sender_id, True))
            if choice := pick_choice(text, choices):
                text, metadata[META_SHOWN] = choice["payload"], choice.get("title", text)
            await self.acknowledge(request, inbound)
            await on_new_message(UserMessage(text, self.get_output_channel(), inbound.sender_id,
                                             input_channel=self.name(), metadata=metadata))
        except Exception:
            self.repeats.forget(key)
            raise
