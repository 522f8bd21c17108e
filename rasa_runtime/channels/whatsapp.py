"""WhatsApp through Twilio's Programmable Messaging API.

Why Twilio rather than Meta's Cloud API: one account gives WhatsApp and SMS alike, the sender is
the customer's WhatsApp number itself ("whatsapp:+98912..."), which the platform has verified,
and its webhook is a signed form post whose scheme Twilio documents for every language. Rasa 3.6's
twilio connector checks no signature at all and sends with a blocking client; this one requires
`X-Twilio-Signature` (base64 HMAC-SHA1, with the auth token, of the webhook URL followed by each
form field's name and value in name order). WhatsApp has no buttons without approved templates,
so choices are a numbered list, and a typed "2" or "۲" picks the second.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.protocol import META_ATTACHMENTS, META_SHOWN, META_VERIFIED_PHONE, WHATSAPP
from rasa_runtime.channels.platform import (
    SHARED_PHOTO,
    Forged,
    Inbound,
    Malformed,
    PlatformInput,
    PlatformOutput,
    numbered,
)


@dataclass(frozen=True)
class WhatsAppSettings:
    account_sid: str
    auth_token: str
    number: str  # the business's WhatsApp sender, "whatsapp:+14155238886"
    webhook_url: str  # the URL as configured in Twilio: what Twilio signs
    api_url: str = "https://api.twilio.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WhatsAppSettings:
        number = env["TWILIO_WHATSAPP_NUMBER"]
        return cls(env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"],
                   number if number.startswith("whatsapp:") else f"whatsapp:{number}",
                   env["TWILIO_WEBHOOK_URL"], env.get("TWILIO_API_URL", cls.api_url).rstrip("/"))


def signature(auth_token: str, url: str, form: Mapping[str, list[str]]) -> str:
    """Twilio's X-Twilio-Signature of a form post to `url`."""
    signed = url + "".join(name + value for name in sorted(form) for value in form[name])
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def form_of(request: Request) -> dict[str, list[str]]:
    """The form's fields, empty ones included: Twilio signs an empty Body too, which Sanic's
    `request.form` drops."""
    try:
        return parse_qs(request.body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}


class WhatsAppOutput(PlatformOutput):
    channel = WHATSAPP
    limit = 1600
    settings: WhatsAppSettings

    async def _send(self, recipient_id: str, fields: dict[str, str]) -> None:
        settings = self.settings
        await self.call(
            "POST", f"{settings.api_url}/2010-04-01/Accounts/{settings.account_sid}/Messages.json",
            data={"From": settings.number, "To": recipient_id, **fields},
            auth=aiohttp.BasicAuth(settings.account_sid, settings.auth_token))

    async def send_part(self, recipient_id: str, text: str,
                        choices: list[dict[str, Any]] | None = None,
                        from_agent: bool = False) -> None:
        await self._send(recipient_id, {"Body": numbered(text, choices) if choices else text})

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        """The numbered list is part of the text, so it is split with it."""
        await self.send_text_message(recipient_id, numbered(text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(recipient_id, {"MediaUrl": image})


class WhatsAppInput(PlatformInput):
    output_type = WhatsAppOutput
    settings_type = WhatsAppSettings
    settings: WhatsAppSettings

    def verify(self, request: Request) -> None:
        expected = signature(self.settings.auth_token, self.settings.webhook_url, form_of(request))
        given = request.headers.get("X-Twilio-Signature", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Forged("X-Twilio-Signature missing or wrong")

    def parse(self, request: Request) -> list[Inbound]:
        fields = form_of(request)
        form = {name: values[0] for name, values in fields.items()}
        sender, message_id = form.get("From"), form.get("MessageSid")
        if not sender or not message_id:
            raise Malformed("form without From or MessageSid")
        if not sender.startswith(f"{WHATSAPP}:"):
            return []  # SMS to the same number: not this channel
        metadata: dict[str, Any] = {META_VERIFIED_PHONE: sender.removeprefix(f"{WHATSAPP}:")}
        try:
            count = int(form.get("NumMedia") or 0)
        except ValueError as error:
            raise Malformed("NumMedia is not a number") from error
        media = [form.get(f"MediaUrl{n}") for n in range(count)
                 if (form.get(f"MediaContentType{n}") or "").startswith("image/")]
        text = form.get("Body") or ""
        if media:
            metadata[META_ATTACHMENTS] = [{"type": "image", "channel": WHATSAPP, "ref": url}
                                          for url in media if url]
            metadata[META_SHOWN] = text or "📷"
            text = text or SHARED_PHOTO
        if not text:
            return []  # a location, a sticker, ...: nothing the bot reads
        return [Inbound(sender, text, message_id, metadata)]

    def success(self) -> HTTPResponse:
        """An empty TwiML reply: the answers go out through the API, not in the reply."""
        return response.text("<Response/>", content_type="text/xml")
