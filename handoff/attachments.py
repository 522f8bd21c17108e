"""Photos customers send: recorded with their handoff, fetched once from the platform, and then
served from the service's own database, so an agent's browser never talks to a platform and a
platform's short-lived link does not expire under the agent.

Telegram gives a file id (getFile, then the file under /file/bot<token>/); Messenger gives a URL;
Twilio gives a media URL that needs the account's credentials.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from common.protocol import MESSENGER, TELEGRAM, WHATSAPP
from handoff.background import pause
from handoff.models import Attachment
from handoff.settings import Settings

logger = logging.getLogger(__name__)


class FetchFailed(Exception):
    """The platform did not give the file (not configured, gone, too large, not an image)."""


def record(session: Session, handoff_id: int, found: list[dict[str, Any]],
           message_id: int | None = None) -> None:
    """Keep the handoff's new attachments (the same file twice is kept once)."""
    known = set(session.scalars(select(Attachment.ref).where(Attachment.handoff_id == handoff_id)))
    for item in found:
        ref, channel = str(item.get("ref") or ""), str(item.get("channel") or "")
        if ref and ref not in known and item.get("type") == "image":
            known.add(ref)
            session.add(Attachment(handoff_id=handoff_id, message_id=message_id,
                                   channel=channel[:64], ref=ref[:2000]))


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
        self._http = httpx.AsyncClient(timeout=30, follow_redirects=True)

    async def _download(self, url: str, auth: tuple[str, str] | None = None) -> Fetched:
        limit = self._settings.max_attachment_bytes
        async with self._http.stream("GET", url, auth=auth) as reply:
            if reply.status_code != 200:
                raise FetchFailed(f"GET {reply.url.host}: {reply.status_code}")
            content_type = reply.headers.get("content-type", "").split(";")[0].strip()
            if not content_type.startswith("image/"):
                raise FetchFailed(f"not an image: {content_type or 'no content type'}")
            data = b""
            async for chunk in reply.aiter_bytes():
                data += chunk
                if len(data) > limit:
                    raise FetchFailed(f"larger than {limit} bytes")
        return Fetched(content_type, data)

    async def fetch(self, channel: str, ref: str) -> Fetched:
        settings = self._settings
        if channel == TELEGRAM:
            if not settings.telegram_token:
                raise FetchFailed("TELEGRAM_TOKEN is not set")
            base = f"{settings.telegram_api_url}/bot{settings.telegram_token}"
            reply = await self._http.get(f"{base}/getFile", params={"file_id": ref})
            path = (reply.json().get("result") or {}).get("file_path") if reply.is_success \
                else None
            if not path:
                raise FetchFailed(f"getFile: {reply.status_code}")
            return await self._download(
                f"{settings.telegram_api_url}/file/bot{settings.telegram_token}/{path}")
        if channel == WHATSAPP:
            if not (settings.twilio_account_sid and settings.twilio_auth_token):
                raise FetchFailed("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
            return await self._download(ref, (settings.twilio_account_sid,
                                              settings.twilio_auth_token))
        if channel == MESSENGER:
            return await self._download(ref)
        raise FetchFailed(f"no photos from channel {channel!r}")

    def _pending(self) -> list[tuple[int, str, str]]:
        with self._sessions() as session:
            return list(session.execute(
                select(Attachment.id, Attachment.channel, Attachment.ref)
                .where(Attachment.data.is_(None), Attachment.error.is_(None))
                .order_by(Attachment.id).limit(20)).tuples())

    def _store(self, attachment_id: int, **values: Any) -> None:
        with self._sessions() as session:
            session.execute(update(Attachment).where(Attachment.id == attachment_id)
                            .values(**values))
            session.commit()

    async def fetch_pending(self) -> int:
        """Fetch what is waiting; returns how many were tried."""
        pending = await asyncio.to_thread(self._pending)
        for attachment_id, channel, ref in pending:
            try:
                fetched = await self.fetch(channel, ref)
                values: dict[str, Any] = {"data": fetched.data,
                                          "content_type": fetched.content_type}
            except (FetchFailed, httpx.HTTPError, ValueError) as error:
                logger.warning("attachment %s not fetched: %s", attachment_id, error)
                values = {"error": str(error)[:500] or type(error).__name__}
            await asyncio.to_thread(self._store, attachment_id, **values)
            await asyncio.to_thread(self._on_done, attachment_id)
        return len(pending)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not await self.fetch_pending():
                await pause(stop, interval)

    async def aclose(self) -> None:
        await self._http.aclose()
