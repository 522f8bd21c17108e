"""Local stand-ins for Telegram's Bot API, Meta's Graph API (Messenger) and Twilio's Messaging
API. Each speaks its platform's wire format: it records what the bot sends, serves the photos a
customer sent, and delivers customer messages to Rasa's webhooks signed as the platform signs
them (Telegram's secret token, Messenger's X-Hub-Signature-256, Twilio's X-Twilio-Signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

# A 1x1 PNG: the "photo of the damaged shoes".
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@dataclass
class Sent:
    """One call the bot made to the platform's API."""

    path: str
    body: dict[str, Any]  # JSON, or the form's fields
    query: dict[str, str] = field(default_factory=dict)
    authorization: str | None = None


class StandIn:
    """An HTTP server on 127.0.0.1 that records every API call, one queue per recipient. A
    recipient in `refusing` gets the platform's error answer instead (a blocked bot, a closed
    window); those calls go to `refused`, not to the recipient's queue."""

    def __init__(self) -> None:
        self.calls: list[Sent] = []
        self.refused: list[Sent] = []
        self.refusing: dict[str, tuple[int, dict[str, Any]]] = {}  # recipient -> status, body
        self._inboxes: dict[str, queue.Queue[Sent]] = {}
        self._lock = threading.Lock()
        self.files: dict[str, bytes] = {}  # path -> bytes served on GET
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stand_in.get(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                split = urlsplit(self.path)
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                call = Sent(split.path, body, {k: v[0] for k, v in parse_qs(split.query).items()},
                            self.headers.get("Authorization"))
                recipient = stand_in.recipient(call)
                status, answer = stand_in.refusing.get(recipient or "") or (200, None)
                if answer is None:
                    stand_in.record(call)
                    answer = stand_in.answer(call)
                else:
                    stand_in.refused.append(call)
                reply = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()

    def recipient(self, call: Sent) -> str | None:
        raise NotImplementedError

    def answer(self, call: Sent) -> dict[str, Any]:
        return {}

    def get(self, handler: BaseHTTPRequestHandler) -> None:
        data = self.files.get(urlsplit(handler.path).path)
        if data is None or not self.authorized(handler):
            handler.send_response(404 if data is None else 401)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        return True

    def _inbox(self, recipient: str) -> queue.Queue[Sent]:
        with self._lock:
            return self._inboxes.setdefault(recipient, queue.Queue())

    def record(self, call: Sent) -> None:
        self.calls.append(call)
        if (recipient := self.recipient(call)) is not None:
            self._inbox(recipient).put(call)

    def receive(self, recipient: str, timeout: float = 30.0) -> Sent:
        """The next message the bot (or an agent) sent to `recipient`."""
        return self._inbox(recipient).get(timeout=timeout)

    def nothing_for(self, recipient: str, seconds: float) -> bool:
        try:
            self._inbox(recipient).get(timeout=seconds)
        except queue.Empty:
            return True
        return False


class Telegram(StandIn):
    """The Bot API at /bot<token>/<method>; updates go to Rasa with the secret token."""

    def __init__(self, token: str, secret: str) -> None:
        super().__init__()
        self.token, self.secret = token, secret
        self.webhook_url = ""
        self._ids = itertools.count(1)

    def recipient(self, call: Sent) -> str | None:
        if call.path.endswith(("/sendMessage", "/sendPhoto")):
            return str(call.body["chat_id"])
        return None

    def answer(self, call: Sent) -> dict[str, Any]:
        if call.path.endswith("/getFile"):
            return {"ok": True, "result": {"file_id": call.body.get("file_id"),
                                           "file_path": f"photos/{call.body.get('file_id')}.png"}}
        return {"ok": True, "result": {"message_id": next(self._ids)}}

    def get(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        if split.path.endswith("/getFile"):
            file_id = parse_qs(split.query)["file_id"][0]
            self.record(Sent(split.path, {"file_id": file_id}))
            reply = json.dumps(self.answer(Sent(split.path, {"file_id": file_id}))).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(reply)))
            handler.end_headers()
            handler.wfile.write(reply)
            return
        super().get(handler)

    def photo(self, file_id: str) -> None:
        self.files[f"/file/bot{self.token}/photos/{file_id}.png"] = PHOTO

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: the Bot API's answer to every message for them."""
        self.refusing[str(chat_id)] = (403, {
            "ok": False, "error_code": 403,
            "description": "Forbidden: bot was blocked by the user"})

    def deliver(self, update: dict[str, Any], secret: str | None = "") -> requests.Response:
        headers = {} if secret is None else {
            "X-Telegram-Bot-Api-Secret-Token": secret or self.secret}
        return requests.post(self.webhook_url, json={"update_id": next(self._ids), **update},
                             headers=headers, timeout=60)


class TelegramUser:
    """A Telegram user in a private chat with the bot (chat id = user id)."""

    def __init__(self, telegram: Telegram, user_id: int, first_name: str = "Leila") -> None:
        self.telegram, self.id, self.first_name = telegram, user_id, first_name
        self._message_ids = itertools.count(1)

    @property
    def sender_id(self) -> str:
        return f"telegram:{self.id}"

    def _message(self, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                "from": {"id": self.id, "is_bot": False, "first_name": self.first_name},
                **content}

    def say(self, text: str) -> requests.Response:
        return self.telegram.deliver({"message": self._message(text=text)})

    def press(self, sent: Sent, title: str) -> requests.Response:
        """Press the inline keyboard button `title` of a message the bot sent."""
        keyboard = sent.body["reply_markup"]["inline_keyboard"]
        button = next(b for row in keyboard for b in row if b["text"] == title)
        message = self._message(text=sent.body["text"], reply_markup=sent.body["reply_markup"])
        message["from"] = {"id": 1, "is_bot": True, "first_name": "shop_bot"}
        return self.telegram.deliver({"callback_query": {
            "id": f"cb{next(self._message_ids)}", "chat_instance": "1", "data": button[
                "callback_data"], "message": message,
            "from": {"id": self.id, "is_bot": False, "first_name": self.first_name}}})

    def share_contact(self, phone: str, user_id: int | None = None) -> requests.Response:
        return self.telegram.deliver({"message": self._message(contact={
            "phone_number": phone, "first_name": self.first_name,
            "user_id": self.id if user_id is None else user_id})})

    def send_photo(self, file_id: str, caption: str | None = None) -> requests.Response:
        self.telegram.photo(file_id)
        content: dict[str, Any] = {"photo": [
            {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "l", "width": 800, "height": 800}]}
        if caption:
            content["caption"] = caption
        return self.telegram.deliver({"message": self._message(**content)})

    def receive(self, timeout: float = 30.0) -> Sent:
        return self.telegram.receive(str(self.id), timeout)


class Messenger(StandIn):
    """The Graph API's Send API at /me/messages; webhook deliveries signed with the app secret."""

    def __init__(self, page_token: str, app_secret: str) -> None:
        super().__init__()
        self.page_token, self.app_secret = page_token, app_secret
        self.webhook_url = ""
        self._mids = itertools.count(1)

    def recipient(self, call: Sent) -> str | None:
        if call.path.endswith("/me/messages") and call.query.get("access_token") == \
                self.page_token:
            return str(call.body["recipient"]["id"])
        return None

    def answer(self, call: Sent) -> dict[str, Any]:
        return {"recipient_id": (call.body.get("recipient") or {}).get("id"),
                "message_id": f"m_{next(self._mids)}"}

    def close_window(self, psid: str) -> None:
        """Past the HUMAN_AGENT tag's 7 days: the Send API's answer to every message for them."""
        self.refusing[psid] = (400, {"error": {
            "message": "(#10) This message is sent outside of allowed window.",
            "type": "OAuthException", "code": 10, "error_subcode": 2018278,
            "fbtrace_id": "A1b2C3d4E5f"}})

    def sign(self, body: bytes, secret: str | None = None) -> str:
        return "sha256=" + hmac.new((secret or self.app_secret).encode(), body,
                                    hashlib.sha256).hexdigest()

    def deliver(self, events: list[dict[str, Any]], signature: str | None = "",
                raw: bytes | None = None) -> requests.Response:
        body = raw if raw is not None else json.dumps({"object": "page", "entry": [
            {"id": "PAGE1", "time": int(time.time() * 1000), "messaging": events}]}).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature or self.sign(body)
        return requests.post(self.webhook_url, data=body, headers=headers, timeout=60)

    def event(self, psid: str, **message: Any) -> dict[str, Any]:
        return {"sender": {"id": psid}, "recipient": {"id": "PAGE1"},
                "timestamp": int(time.time() * 1000),
                "message": {"mid": f"m_in_{next(self._mids)}", **message}}


class Twilio(StandIn):
    """Twilio's Messages resource; webhook form posts signed with the auth token."""

    def __init__(self, account_sid: str, auth_token: str, number: str) -> None:
        super().__init__()
        self.account_sid, self.auth_token, self.number = account_sid, auth_token, number
        self.webhook_url = ""
        self._sids = itertools.count(1)

    def recipient(self, call: Sent) -> str | None:
        if call.path == f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return call.body.get("To")
        return None

    def answer(self, call: Sent) -> dict[str, Any]:
        return {"sid": f"SM{next(self._sids):032d}", "status": "queued"}

    def close_window(self, number: str) -> None:
        """Past WhatsApp's 24 hours: Twilio's error answer to a free-form message for them."""
        self.refusing[number] = (400, {
            "code": 63016, "message": "Failed to send freeform message because you are outside "
            "the allowed window. If you are using WhatsApp, please use a Message Template.",
            "more_info": "https://www.twilio.com/docs/errors/63016", "status": 400})

    def authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return handler.headers.get("Authorization") == f"Basic {expected}"

    def sign(self, form: dict[str, str], token: str | None = None) -> str:
        signed = self.webhook_url + "".join(name + form[name] for name in sorted(form))
        digest = hmac.new((token or self.auth_token).encode(), signed.encode(),
                          hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def deliver(self, sender: str, body: str = "", signature: str | None = "",
                media: str | None = None, sid: str | None = None) -> requests.Response:
        form = {"From": sender, "To": self.number, "Body": body,
                "MessageSid": sid or f"SM{next(self._sids):032d}",
                "AccountSid": self.account_sid, "NumMedia": "0", "ProfileName": "Leila",
                "WaId": sender.removeprefix("whatsapp:+")}
        if media:
            self.files[f"/media/{media}"] = PHOTO
            form |= {"NumMedia": "1", "MediaUrl0": f"{self.url}/media/{media}",
                     "MediaContentType0": "image/png"}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature or self.sign(form)
        return requests.post(self.webhook_url, data=urlencode(form), headers=headers, timeout=60)

    def receive_text(self, number: str, timeout: float = 30.0) -> str:
        return self.receive(number, timeout).body["Body"]
