"""Talks to the customer through Rasa's HTTP API, so Rasa keeps owning every channel."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class RasaUnavailable(Exception):
    """Rasa did not accept the request."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, params={"token": token}, timeout=timeout)

    async def _post(self, conversation_id: str, path: str, payload: Any,
                    params: dict[str, str] | None = None) -> None:
        url = f"/conversations/{quote(conversation_id, safe='')}/{path}"
        try:
            response = await self._http.post(url, json=payload, params=params)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"{path}: {error}") from error

    async def send_agent_message(self, conversation_id: str, text: str,
                                 metadata: dict[str, Any]) -> None:
        """Deliver an agent's text through the customer's own channel (socket.io, Telegram, ...)."""
        await self._post(
            conversation_id, "tracker/events",
            {"event": "bot", "text": text, "metadata": metadata},
            params={"output_channel": "latest", "execute_side_effects": "true"},
        )

    async def hand_back(self, conversation_id: str) -> None:
        """Resume the bot and let it greet the customer back (rule on EXTERNAL_handoff_resolved).

        While paused, Rasa ran no `action_listen` after the escalation; appending one closes that
        turn, so the bot's rules see a clean "listening, then intent" state.
        """
        await self._post(conversation_id, "tracker/events",
                         [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
        await self._post(
            conversation_id, "trigger_intent", {"name": "EXTERNAL_handoff_resolved"},
            params={"output_channel": "latest"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()
