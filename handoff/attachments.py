"""Photos customers send: recorded with their handoff, fetched once from the platform, and then
served from the service's own database, so an agent's browser never talks to a platform and a
platform's short-lived link does not expire under the agent.

Telegram gives a file id (getFile, then the file under /file/bot<token>/); Messenger gives a URL
on Meta's CDN; Twilio gives a media URL on its API that needs the account's credentials. What a
customer names is never trusted: a photo is recorded only from the channel that owns it, and
fetched only from that platform's hosts (media_fetch.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from common.protocol import ATTACHMENT_REF_MAX, MESSENGER, TELEGRAM, WHATSAPP
from handoff import media_fetch
from handoff.background import pause
from handoff.media_fetch import Credentials, Origin, Refused
from handoff.models import Attachment, Handoff
from handoff.settings import Settings

logger = logging.getLogger(__name__)

_URL = re.compile(r"https?://[!-~]+")  # printable ASCII: no space, no control character
REFS = {TELEGRAM: re.compile(r"[A-Za-z0-9_-]{1,256}"), WHATSAPP: _URL, MESSENGER: _URL}
_FILE_PATH = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")  # Telegram's getFile answer
MAX_GETFILE_BYTES = 64_000


@dataclass(frozen=True)
class Limits:
    """How many photos one message, and one handoff, may record."""

    per_message: int
    per_handoff: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.max_attachments_per_message, settings.max_attachments_per_handoff)


DEFAULT_LIMITS = Limits(Settings.model_fields["max_attachments_per_message"].default,
                        Settings.model_fields["max_attachments_per_handoff"].default)


def _valid_ref(channel: str, ref: Any) -> bool:
    pattern = REFS.get(channel)
    return (pattern is not None and isinstance(ref, str) and len(ref) <= ATTACHMENT_REF_MAX
            and pattern.fullmatch(ref) is not None)


def record(session: Session, handoff: Handoff, found: list[Any],
           limits: Limits = DEFAULT_LIMITS, message_id: int | None = None,
           input_channel: str | None = None) -> int:
    """Keep the handoff's new photos and return how many. Only images of the handoff's own
    channel, and of the event's input channel when they come from one, with a ref of that
    platform's form; the same file twice is kept once; beyond the limits the rest is dropped."""
    known = set(session.scalars(select(Attachment.ref).where(Attachment.handoff_id == handoff.id)))
    room = min(limits.per_message, limits.per_handoff - len(known))
    added = 0
    for item in found:
        if not isinstance(item, dict) or item.get("type") != "image":
            continue
        channel, ref = item.get("channel"), item.get("ref")
        if channel != handoff.channel or (input_channel is not None and channel != input_channel):
            continue
        if not _valid_ref(channel, ref) or ref in known:
            continue
        if added >= room:
            logger.warning("handoff %s: photos over the limit dropped", handoff.id)
            break
        known.add(ref)
        session.add(Attachment(handoff_id=handoff.id, message_id=message_id, channel=channel,
                               ref=ref))
        added += 1
    return added


@dataclass(frozen=True)
class Fetched:
    content_type: str
    data: bytes


class Fetcher:
    """Fetches waiting photos; `on_done(attachment_id)` is called when one is stored or failed
    (agents' consoles then show it)."""

    def __init__(self, sessions: sessionmaker, settings: Settings,
                 on_done: Callable[[int], None] = lambda _: None) -> None:
        self._sessions = sessions
        self._settings = settings
        self._on_done = on_done
        self._http = media_fetch.client()
        private = settings.media_allow_private_hosts
        self._telegram = media_fetch.policy([settings.telegram_api_url], "", private)
        self._twilio = media_fetch.policy([settings.twilio_api_url],
                                          settings.whatsapp_media_hosts, private)
        self._messenger = media_fetch.policy([settings.messenger_api_url],
                                             settings.messenger_media_hosts, private)

    async def _image(self, url: str | httpx.URL, allowed: media_fetch.HostPolicy,
                     max_bytes: int, credentials: Credentials | None = None) -> Fetched:
        data = await media_fetch.download(self._http, url, allowed, max_bytes, credentials)
        return Fetched(media_fetch.image_type(data), data)

    async def fetch(self, channel: str, ref: str, max_bytes: int) -> Fetched:
        """The photo `ref` names on `channel`'s platform, at most `max_bytes` long."""
        settings = self._settings
        if channel == TELEGRAM:
            if not settings.telegram_token:
                raise Refused("Telegram is not configured")
            base = f"{settings.telegram_api_url}/bot{settings.telegram_token}"
            answer = await media_fetch.download(
                self._http, httpx.URL(f"{base}/getFile", params={"file_id": ref}),
                self._telegram, MAX_GETFILE_BYTES)
            try:
                path = (json.loads(answer).get("result") or {}).get("file_path")
            except (ValueError, AttributeError):
                path = None
            if not isinstance(path, str) or not _FILE_PATH.fullmatch(path) or ".." in path:
                raise Refused("the platform did not give it")
            return await self._image(
                f"{settings.telegram_api_url}/file/bot{settings.telegram_token}/{path}",
                self._telegram, max_bytes)
        if channel == WHATSAPP:
            if not (settings.twilio_account_sid and settings.twilio_auth_token):
                raise Refused("WhatsApp is not configured")
            api = Origin.of(httpx.URL(settings.twilio_api_url))
            if Origin.of(media_fetch.parse(ref)) != api:  # the media resource, on Twilio's API
                raise Refused("host not allowed")
            return await self._image(ref, self._twilio, max_bytes, Credentials(
                api, settings.twilio_account_sid, settings.twilio_auth_token))
        if channel == MESSENGER:
            return await self._image(ref, self._messenger, max_bytes)
        raise Refused("no photos from this channel")

    def _pending(self) -> list[tuple[int, int, str, str]]:
        with self._sessions() as session:
            return list(session.execute(
                select(Attachment.id, Attachment.handoff_id, Attachment.channel, Attachment.ref)
                .where(Attachment.data.is_(None), Attachment.error.is_(None))
                .order_by(Attachment.id).limit(20)).tuples())

    def _stored_bytes(self, handoff_id: int) -> int:
        with self._sessions() as session:
            return int(session.scalar(
                select(func.coalesce(func.sum(func.length(Attachment.data)), 0))
                .where(Attachment.handoff_id == handoff_id)) or 0)

    def _store(self, attachment_id: int, **values: Any) -> None:
        with self._sessions() as session:
            session.execute(update(Attachment).where(Attachment.id == attachment_id)
                            .values(**values))
            session.commit()

    async def _fetch_one(self, handoff_id: int, channel: str, ref: str) -> dict[str, Any]:
        """The columns to store: the photo, or why not (no URL, no secret in it)."""
        settings = self._settings
        room = settings.max_attachment_bytes_per_handoff - await asyncio.to_thread(
            self._stored_bytes, handoff_id)
        try:
            if room <= 0:
                raise Refused("this chat's photos are over the limit")
            async with asyncio.timeout(settings.attachment_fetch_seconds):
                fetched = await self.fetch(channel, ref, min(settings.max_attachment_bytes,
                                                             room))
        except Refused as refused:
            reason = str(refused)
        except TimeoutError:
            reason = "took too long"
        except Exception as error:  # one photo never stops the others
            # the type only: an exception's text can hold a URL with a token in it
            reason, detail = "the platform could not be reached", type(error).__name__
            logger.warning("photo not fetched (%s) for handoff %s", detail, handoff_id)
        else:
            return {"data": fetched.data, "content_type": fetched.content_type}
        return {"error": f"not fetched: {reason}"}

    async def fetch_pending(self) -> int:
        """Fetch what is waiting; returns how many were tried."""
        pending = await asyncio.to_thread(self._pending)
        for attachment_id, handoff_id, channel, ref in pending:
            values = await self._fetch_one(handoff_id, channel, ref)
            if "error" in values:
                logger.warning("attachment %s %s", attachment_id, values["error"])
            await asyncio.to_thread(self._store, attachment_id, **values)
            await asyncio.to_thread(self._on_done, attachment_id)
        return len(pending)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not await self.fetch_pending():
                await pause(stop, interval)

    async def aclose(self) -> None:
        await self._http.aclose()
