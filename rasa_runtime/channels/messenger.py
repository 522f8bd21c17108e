"""Facebook Messenger through the Graph API's Send API, in place of Rasa 3.6's connector.

Rasa's connector checks only the SHA-1 `X-Hub-Signature` and sends with a blocking client inside
the event loop. Here every delivery must carry `X-Hub-Signature-256` (HMAC-SHA256 of the raw body
with the app secret); choices become quick replies (up to 13).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.protocol import (
    MESSENGER,
    META_ATTACHMENTS,
    META_IDENTITY,
    META_SHOWN,
    signed_identity,
)
from rasa_runtime.channels.platform import (
    SHARED_PHOTO,
    Forged,
    Inbound,
    Malformed,
    PlatformInput,
    PlatformOutput,
    numbered,
    user_id,
)

QUICK_REPLIES = 13  # Messenger's most per message
QUICK_REPLY_TITLE = 20  # characters Messenger shows of a quick reply
OPENED_FROM_LINK = "/greet"  # what opening the chat from the shop's m.me link says to the bot


@dataclass(frozen=True)
class MessengerSettings:
    page_token: str
    app_secret: str
    verify_token: str  # the string typed into the app's webhook settings
    api_url: str = "https://graph.facebook.com/v18.0"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MessengerSettings:
        return cls(env["MESSENGER_PAGE_TOKEN"], env["MESSENGER_APP_SECRET"],
                   env["MESSENGER_VERIFY_TOKEN"],
                   env.get("MESSENGER_API_URL", cls.api_url).rstrip("/"))


def quick_replies(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"content_type": "text", "payload": str(button.get("payload", "")),
             "title": str(button.get("title", ""))[:QUICK_REPLY_TITLE]}
            for button in buttons]


class MessengerOutput(PlatformOutput):
    channel = MESSENGER
    limit = 2000
    settings: MessengerSettings

    async def _send(self, recipient_id: str, message: dict[str, Any],
                    from_agent: bool = False) -> None:
        """An agent's message goes with the HUMAN_AGENT tag: Meta allows it for 7 days after
        the customer's last message, where a bot's reply is allowed for 24 hours."""
        kind = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if from_agent \
            else {"messaging_type": "RESPONSE"}
        await self.call("POST", f"{self.settings.api_url}/me/messages",
                        params={"access_token": self.settings.page_token},
                        json={"recipient": {"id": user_id(recipient_id)}, **kind,
                              "message": message})

    async def send_part(self, recipient_id: str, text: str,
                        choices: list[dict[str, Any]] | None = None,
                        from_agent: bool = False) -> None:
        message: dict[str, Any] = {"text": text}
        if choices and len(choices) <= QUICK_REPLIES:
            message["quick_replies"] = quick_replies(choices)
        elif choices:  # more than Messenger shows: a numbered list, answered by number
            message["text"] = numbered(text, choices)
        await self._send(recipient_id, message, from_agent)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(recipient_id, {"attachment": {
            "type": "image", "payload": {"url": image, "is_reusable": True}}})


def signed_ref(ref: object) -> dict[str, str] | None:
    """The shop's signed identity in an m.me link's `ref` ("<base64url id>.<hex hash>"): the
    service checks the hash, as it does the web widget's."""
    if not isinstance(ref, str) or "." not in ref:
        return None
    encoded, _, digest = ref.rpartition(".")
    try:
        identifier = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return signed_identity({"identifier": identifier, "identifier_hash": digest})


def _inbound(event: dict[str, Any]) -> Inbound | None:
    sender = (event.get("sender") or {}).get("id")
    if not isinstance(sender, str | int):
        raise Malformed("messaging event without sender.id")
    sender_id = f"{MESSENGER}:{sender}"
    referral = event.get("referral") or (event.get("postback") or {}).get("referral") or {}
    metadata: dict[str, Any] = {}
    if identity := signed_ref(referral.get("ref")):
        metadata[META_IDENTITY] = identity
    if postback := event.get("postback"):
        if postback.get("title"):
            metadata[META_SHOWN] = postback["title"]
        return Inbound(sender_id, str(postback.get("payload", "")),
                       str(postback.get("mid") or f"postback:{event.get('timestamp')}"),
                       metadata)
    if metadata and not event.get("message"):  # an m.me link opened in a running thread
        return Inbound(sender_id, OPENED_FROM_LINK, f"referral:{event.get('timestamp')}",
                       {**metadata, META_SHOWN: "🔗"})
    message = event.get("message")
    if not isinstance(message, dict) or message.get("is_echo"):
        return None  # deliveries, reads, and the page's own messages echoed back
    if not message.get("mid"):
        raise Malformed("message without mid")
    if reply := message.get("quick_reply"):
        return Inbound(sender_id, str(reply.get("payload", "")), message["mid"],
                       {META_SHOWN: message.get("text")} if message.get("text") else {})
    if isinstance(message.get("text"), str):
        return Inbound(sender_id, message["text"], message["mid"])
    images = [attachment["payload"]["url"] for attachment in message.get("attachments") or []
              if attachment.get("type") == "image" and (attachment.get("payload") or {}).get(
                  "url")]
    if images:
        return Inbound(sender_id, SHARED_PHOTO, message["mid"], {
            META_SHOWN: "📷",
            META_ATTACHMENTS: [{"type": "image", "channel": MESSENGER, "ref": url}
                               for url in images]})
    return None


class MessengerInput(PlatformInput):
    output_type = MessengerOutput
    settings_type = MessengerSettings
    settings: MessengerSettings

    def verify(self, request: Request) -> None:
        header = request.headers.get("X-Hub-Signature-256", "")
        expected = "sha256=" + hmac.new(self.settings.app_secret.encode(), request.body,
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(header.encode(), expected.encode()):
            raise Forged("X-Hub-Signature-256 missing or wrong")

    def parse(self, request: Request) -> list[Inbound]:
        try:
            body = json.loads(request.body)
        except ValueError as error:
            raise Malformed("body is not JSON") from error
        if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
            raise Malformed("not a webhook delivery (no entry list)")
        if body.get("object") != "page":
            return []
        found = []
        for entry in body["entry"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("messaging", []), list):
                raise Malformed("entry without a messaging list")
            for event in entry.get("messaging", []):
                if not isinstance(event, dict):
                    raise Malformed("messaging event is not an object")
                if inbound := _inbound(event):
                    found.append(inbound)
        return found

    def success(self) -> HTTPResponse:
        return response.text("EVENT_RECEIVED")

    def add_routes(self, webhook: Blueprint) -> None:
        @webhook.route("/webhook", methods=["GET"])
        async def subscribe(request: Request) -> HTTPResponse:
            """Meta's check when the webhook is set up: echo the challenge for our token."""
            token = request.args.get("hub.verify_token", "")
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                    token.encode(), self.settings.verify_token.encode()):
                return response.text(request.args.get("hub.challenge", ""))
            return response.text("wrong verify token", status=403)
