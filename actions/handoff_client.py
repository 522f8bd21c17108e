"""HTTP client of the handoff service, as the action server uses it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests


class HandoffUnavailable(Exception):
    """The handoff service could not answer (down, failing, or timed out)."""


class HandoffRejected(HandoffUnavailable):
    """The service answered that the request is wrong (4xx): sending it again will not help."""


class HandoffFailed(HandoffUnavailable):
    """The service answered, with a server error (5xx) for this request: others may pass."""


@dataclass(frozen=True)
class HandoffClient:
    base_url: str
    secret: str
    timeout: float = 5.0

    @classmethod
    def from_env(cls) -> HandoffClient:
        """Read HANDOFF_URL and HANDOFF_ACTION_SECRET, which tools/stack.py sets."""
        return cls(os.environ["HANDOFF_URL"].rstrip("/"), os.environ["HANDOFF_ACTION_SECRET"])

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return requests.request(method, f"{self.base_url}/api/v1{path}", timeout=self.timeout,
                                    headers={"Authorization": f"Bearer {self.secret}"}, **kwargs)
        except requests.RequestException as error:
            raise HandoffUnavailable(str(error)) from error

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        if 400 <= response.status_code < 500:
            raise HandoffRejected(f"{response.status_code}: {response.text[:300]}")
        if response.status_code >= 500:
            raise HandoffFailed(f"{response.status_code}: {response.text[:300]}")
        try:
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as error:
            raise HandoffUnavailable(str(error)) from error

    def create_handoff(self, context: dict[str, Any]) -> dict[str, Any]:
        """Queue the handoff; returns the ticket (reference, position, availability, ...)."""
        return self._json(self._call("POST", "/handoffs", json=context))

    def status(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's latest handoff and where it stands; None if it never had one."""
        response = self._call("GET", f"/conversations/{quote(conversation_id, safe='')}/handoff")
        return None if response.status_code == 404 else self._json(response)

    def arrival(self, conversation_id: str, arrival: dict[str, Any]) -> dict[str, Any]:
        """Link a starting conversation to its verified person; what the bot should pick up."""
        return self._json(self._call(
            "POST", f"/conversations/{quote(conversation_id, safe='')}/arrival", json=arrival))

    def rate(self, conversation_id: str, score: int, comment: str | None) -> bool:
        """Store the customer's rating of their latest resolved handoff; False if there is none
        to rate (never handed off, or rated already)."""
        response = self._call("POST", f"/conversations/{quote(conversation_id, safe='')}/rating",
                              json={"score": score, "comment": comment})
        if response.status_code in (404, 409):
            return False
        self._json(response)
        return True
