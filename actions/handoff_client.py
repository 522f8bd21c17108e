"""HTTP client of the handoff service, as the action server uses it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import requests


class HandoffUnavailable(Exception):
    """The handoff service could not take the handoff (down, rejected, or timed out)."""


@dataclass(frozen=True)
class HandoffClient:
    base_url: str
    secret: str
    timeout: float = 5.0

    @classmethod
    def from_env(cls) -> HandoffClient:
        """Read HANDOFF_URL and HANDOFF_ACTION_SECRET, which tools/stack.py sets."""
        return cls(os.environ["HANDOFF_URL"].rstrip("/"), os.environ["HANDOFF_ACTION_SECRET"])

    def create_handoff(self, context: dict[str, Any]) -> dict[str, Any]:
        """Queue the handoff; returns the ticket (`reference`, `position`, ...)."""
        try:
            response = requests.post(
                f"{self.base_url}/api/v1/handoffs",
                json=context,
                headers={"Authorization": f"Bearer {self.secret}"},
                timeout=self.timeout,
            )
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as error:
            raise HandoffUnavailable(str(error)) from error
