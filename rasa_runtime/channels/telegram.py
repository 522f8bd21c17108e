"""Telegram through the Bot API, in place of Rasa 3.6's connector.

Rasa's connector calls `getMe` on every update and `setWebhook` (through `asyncio.run` inside the
running loop) every time it builds its output channel. Here the webhook is registered once, at
start-up, with a `secret_token`; each update must carry it in `X-Telegram-Bot-Api-Secret-Token`.
Choices become an inline keyboard; a phone number shared with Telegram's contact button counts
as verified only if the contact is the sender's own (`contact.user_id == from.id`).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sanic import Blueprint
from sanic.request import Request

from common.protocol import (
    META_ATTACHMENTS,
    META_SHOWN,
    META_VERIFIED_PHONE,
    TELEGRAM,
)
from rasa_runtime.channels.platform import (
    SHARED_CONTACT,
    SHARED_PHOTO,
    Forged,
    Inbound,
    Malformed,
    PlatformError,
    PlatformInput,
    PlatformOutput,
    user_id,
)

logger = logging.getLogger(__name__)

CALLBACK_DATA_BYTES = 64  # Telegram's limit on a button's data


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    secret_token: str  # Telegram sends it back on every update
    api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None  # public HTTPS URL of /webhooks/telegram/webhook

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramSettings:
        return cls(env["TELEGRAM_TOKEN"], env["TELEGRAM_SECRET_TOKEN"],
                   env.get("TELEGRAM_API_URL", cls.api_url).rstrip("/"),
                   env.get("TELEGRAM_WEBHOOK_URL") or None)

    def method(self, name: str) -> str:
        return f"{self.api_url}/bot{self.token}/{name}"


def keyboard(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    """One button a row. A payload too long for Telegram is sent as the choice's number,
    which the webhook maps back through the question in the tracker."""
    rows = []
    for number, button in enumerate(buttons, start=1):
        payload = str(button.get("payload", ""))
        data = payload if len(payload.encode()) <= CALLBACK_DATA_BYTES else str(number)
        rows.append([{"text": str(button.get("title", payload)), "callback_data": data}])
    return {"inline_keyboard": rows}


class TelegramOutput(PlatformOutput):
    channel = TELEGRAM
    limit = 4096
    settings: TelegramSettings

    async def send_part(self, recipient_id: str, text: str,
                        choices: list[dict[str, Any]] | None = None,
                        from_agent: bool = False, markup: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"chat_id": user_id(recipient_id), "text": text}
        if choices:
            markup = keyboard(choices)
        if markup:
            message["reply_markup"] = markup
        await self.call("POST", self.settings.method("sendMessage"), json=message)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.call("POST", self.settings.method("sendPhoto"),
                        json={"chat_id": user_id(recipient_id), "photo": image})

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A response whose custom JSON asks for the phone number gets Telegram's contact
        button beside its text (responses `utter_share_phone`)."""
        label = (message.get("custom") or {}).get("request_contact")
        if label and message.get("text"):
            await self.send_part(recipient_id, message["text"], markup={
                "keyboard": [[{"text": label, "request_contact": True}]],
                "one_time_keyboard": True, "resize_keyboard": True})
            return
        await super().send_response(recipient_id, message)


def _inbound(update: dict[str, Any]) -> Inbound | None:
    """The customer message in an update, or None for updates that carry none."""
    if query := update.get("callback_query"):
        message = query.get("message") or {}
        buttons = [button for row in (message.get("reply_markup") or {}).get(
            "inline_keyboard", []) for button in row]
        shown = next((b.get("text") for b in buttons if b.get("callback_data") == query.get(
            "data")), None)
        chat = (message.get("chat") or {}).get("id")
        if chat is None or not isinstance(query.get("data"), str):
            raise Malformed("callback_query without message.chat.id or data")
        return Inbound(f"{TELEGRAM}:{chat}", query["data"], f"callback:{query.get('id')}",
                       {META_SHOWN: shown} if shown else {})
    message = update.get("message") or update.get("edited_message")
    if not isinstance(message, dict):
        return None
    chat, sender = (message.get("chat") or {}).get("id"), (message.get("from") or {}).get("id")
    if chat is None or "message_id" not in message:
        raise Malformed("message without chat.id or message_id")
    message_id = f"{chat}:{message['message_id']}"
    if "edited_message" in update:  # each edit is a message of its own
        message_id += f":edit:{message.get('edit_date')}"
    metadata: dict[str, Any] = {}
    if isinstance(message.get("text"), str):
        text = message["text"]
    elif contact := message.get("contact"):
        text = SHARED_CONTACT
        metadata[META_SHOWN] = f"📱 {contact.get('phone_number', '')}".strip()
        if sender is not None and contact.get("user_id") == sender and contact.get(
                "phone_number"):
            metadata[META_VERIFIED_PHONE] = str(contact["phone_number"])
    elif photos := message.get("photo"):
        largest = max(photos, key=lambda size: size.get("width", 0) * size.get("height", 0))
        text = message.get("caption") or SHARED_PHOTO
        metadata[META_SHOWN] = message.get("caption") or "📷"
        metadata[META_ATTACHMENTS] = [{"type": "image", "channel": TELEGRAM,
                                       "ref": largest.get("file_id")}]
    else:
        return None  # stickers, voice, ...: nothing the bot reads
    return Inbound(f"{TELEGRAM}:{chat}", text, message_id, metadata)


class TelegramInput(PlatformInput):
    output_type = TelegramOutput
    settings_type = TelegramSettings
    settings: TelegramSettings

    def verify(self, request: Request) -> None:
        token = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(token.encode(), self.settings.secret_token.encode()):
            raise Forged("X-Telegram-Bot-Api-Secret-Token missing or wrong")

    def parse(self, request: Request) -> list[Inbound]:
        try:
            update = request.json
        except Exception as error:  # Sanic raises its own InvalidUsage on bad JSON
            raise Malformed("body is not JSON") from error
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise Malformed("not a Telegram Update (no integer update_id)")
        inbound = _inbound(update)
        return [inbound] if inbound else []

    async def acknowledge(self, request: Request, inbound: Inbound) -> None:
        if inbound.message_id.startswith("callback:"):
            query_id = inbound.message_id.removeprefix("callback:")
            try:
                await self.get_output_channel().call(
                    "POST", self.settings.method("answerCallbackQuery"),
                    json={"callback_query_id": query_id})
            except PlatformError as error:  # only the button's spinner depends on it
                logger.warning("answerCallbackQuery failed: %s", error)

    def add_routes(self, webhook: Blueprint) -> None:
        @webhook.listener("after_server_start")
        async def register(*_: Any) -> None:
            await self.register_webhook()

    async def register_webhook(self) -> None:
        """Tell Telegram where to send updates, and the secret they must carry."""
        if not self.settings.webhook_url:
            logger.info("TELEGRAM_WEBHOOK_URL not set: the webhook is left as Telegram has it")
            return
        try:
            await self.get_output_channel().call(
                "POST", self.settings.method("setWebhook"),
                json={"url": self.settings.webhook_url,
                      "secret_token": self.settings.secret_token,
                      "allowed_updates": ["message", "edited_message", "callback_query"]})
            logger.info("Telegram webhook set to %s", self.settings.webhook_url)
        except PlatformError as error:
            logger.error("Telegram setWebhook failed: %s", error)
