"""Talks to the customer through Rasa's HTTP API, so Rasa keeps owning every channel.

Rasa runs with `--jwt-secret` (rasa_runtime/__main__.py): each request carries a short-lived JWT
in its Authorization header, never a token in the URL, where error texts and logs would show it.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from common.protocol import HANDED_BACK_INTENT
from common.redact import redact

TOKEN_TTL_SECONDS = 300
# Rasa's `requires_auth` lets an "admin" reach every conversation (rasa/server.py).
SERVICE_USER = {"username": "handoff-service", "role": "admin"}


class RasaUnavailable(Exception):
    """Rasa did not accept the request (the text names no secret: it may be logged)."""


def api_token(secret: str, ttl: float = TOKEN_TTL_SECONDS) -> str:
    """A JWT of Rasa's HTTP API, signed with RASA_JWT_SECRET, valid for `ttl` seconds."""
    return jwt.encode({"user": SERVICE_USER, "exp": int(time.time() + ttl)}, secret,
                      algorithm="HS256")


class RasaAuth(httpx.Auth):
    """Puts a JWT in each request's Authorization header; one is reused until a minute before
    it expires."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._token = ""
        self._renew_at = 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if time.time() >= self._renew_at:
            self._token = api_token(self._secret)
            self._renew_at = time.time() + TOKEN_TTL_SECONDS - 60
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _failed(what: str, error: Exception) -> RasaUnavailable:
    """The error without the URL's query or any upstream secret, and not chained to httpx's
    own (whose text has the whole URL)."""
    return RasaUnavailable(f"{what}: {type(error).__name__}: {redact(str(error))}")


class PlatformFailed(RasaUnavailable):
    """Rasa reached the customer's platform, which did not take the message: for ever
    (`permanent`, with the platform's `reason`: blocked, window_closed, unknown_recipient), or
    this time (rasa_runtime/fixes/undeliverable.py gives Rasa's answers). A RasaUnavailable,
    so that whoever only tells the customer something carries on as when Rasa is away."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(f"the platform did not take the message: {reason}")
        self.reason = reason
        self.permanent = permanent


def platform_failure(response: httpx.Response) -> PlatformFailed | None:
    """Rasa's 422 `Undeliverable` or 502 `PlatformUnavailable` as a PlatformFailed."""
    if response.status_code not in (422, 502):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    if reason == "Undeliverable":
        details = body.get("details")
        refusal = details.get("refusal") if isinstance(details, dict) else None
        return PlatformFailed(str(refusal or "refused"), permanent=True)
    if reason == "PlatformUnavailable":
        return PlatformFailed("unavailable", permanent=False)
    return None


class RasaClient:
    def __init__(self, base_url: str, jwt_secret: str, timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, auth=RasaAuth(jwt_secret),
                                       timeout=timeout)
        self._domain: dict[str, Any] | None = None

    async def _request(self, method: str, path: str, payload: Any = None,
                       params: dict[str, str] | None = None) -> Any:
        try:
            response = await self._http.request(method, path, json=payload, params=params,
                                                headers={"Accept": "application/json"})
            if failed := platform_failure(response):
                raise failed
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise _failed(f"{method} {path}", error) from None

    @staticmethod
    def _conversation(conversation_id: str, path: str) -> str:
        """Rasa's Sanic does not decode its path parameters: the messengers' ids
        ("telegram:42", "whatsapp:+98...") go as they are, or Rasa would open a new
        conversation named "telegram%3A42"."""
        return f"/conversations/{quote(conversation_id, safe=':+@')}/{path}"

    async def send_bot_message(self, conversation_id: str, text: str | None,
                               metadata: dict[str, Any],
                               custom: dict[str, Any] | None = None) -> None:
        """Deliver a text (and custom JSON, for the web widget) through the customer's own
        channel (socket.io, Telegram, ...)."""
        event: dict[str, Any] = {"event": "bot", "text": text, "metadata": metadata}
        if custom:
            event["data"] = {"custom": custom}
        await self._request(
            "POST", self._conversation(conversation_id, "tracker/events"), event,
            params={"output_channel": "latest", "execute_side_effects": "true",
                    "include_events": "NONE"},  # the reply need not carry the whole tracker
        )

    async def bot_metadata(self, conversation_id: str) -> list[dict[str, Any]]:
        """The metadata of every bot message in the conversation (to check what was delivered)."""
        tracker = await self._request("GET", self._conversation(conversation_id, "tracker"),
                                      params={"include_events": "ALL"})
        return [event.get("metadata") or {} for event in tracker.get("events", [])
                if event.get("event") == "bot"]

    async def resume(self, conversation_id: str) -> None:
        """Let the bot answer the conversation again.

        While paused, Rasa ran no `action_listen` after the escalation; appending one closes that
        turn, so the bot's rules see a clean "listening, then intent" state.
        """
        await self._request("POST", self._conversation(conversation_id, "tracker/events"),
                            [{"event": "resume"}, {"event": "action", "name": "action_listen"}],
                            params={"include_events": "NONE"})

    async def hand_back(self, conversation_id: str) -> None:
        """Resume the bot and let it greet the customer back (rule on EXTERNAL_handoff_resolved)."""
        await self.resume(conversation_id)
        await self._request(
            "POST", self._conversation(conversation_id, "trigger_intent"),
            {"name": HANDED_BACK_INTENT},
            params={"output_channel": "latest", "include_events": "NONE"},
        )

    async def domain(self) -> dict[str, Any]:
        """The bot's domain (responses, slots); fetched once, as it changes only with the model."""
        if self._domain is None:
            self._domain = await self._request("GET", "/domain")
        return self._domain

    async def set_slot(self, conversation_id: str, name: str, value: Any) -> None:
        """Write a slot into the tracker, so the bot keeps it after the handback."""
        await self._request("POST", self._conversation(conversation_id, "tracker/events"),
                            {"event": "slot", "name": name, "value": value},
                            params={"include_events": "NONE"})

    async def status(self) -> dict[str, Any]:
        """Which model Rasa runs (`model_file`: its file name)."""
        return await self._request("GET", "/status")

    async def load_model(self, path: str) -> None:
        """Replace the running model without a restart (Rasa's `PUT /model`), waiting while
        Rasa loads it; the domain may have changed with it."""
        try:
            response = await self._http.put("/model", json={"model_file": path}, timeout=300)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise _failed("PUT /model", error) from None
        self._domain = None

    async def reachable(self) -> bool:
        """Whether Rasa's server answers at all (its root says hello), within two seconds."""
        try:
            response = await self._http.get("/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._http.aclose()
