"""The order backend: a small, replaceable interface to wherever orders live.

`ORDER_BACKEND_URL` set: orders come from that HTTP service (GET /orders/{number},
POST /orders/{number}/returns). Unset: the embedded demo store, seeded from demo_orders.json.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import requests

RETURN_WINDOW_DAYS = 30
SEED = Path(__file__).with_name("demo_orders.json")


class OrdersUnavailable(Exception):
    """The order backend did not answer."""


@dataclass(frozen=True)
class Order:
    number: str
    status: str  # processing, shipped, delivered, cancelled
    items: list[dict[str, str]]  # each item's name per language
    placed_on: date
    delivered_on: date | None = None
    eta: date | None = None
    returns: list[str] = field(default_factory=list)

    def returnable(self, today: date) -> bool:
        """Within the return window (counted from delivery)."""
        return self.delivered_on is None or (today - self.delivered_on).days <= RETURN_WINDOW_DAYS

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Order:
        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if data.get(key) else None

        return cls(data["number"], data["status"], data["items"], day("placed_on"),
                   day("delivered_on"), day("eta"))


class OrderBackend(Protocol):
    def get(self, number: str) -> Order | None: ...

    def create_return(self, number: str, case: dict[str, str]) -> str: ...


class DemoOrderStore:
    """Orders kept in memory, seeded with dates relative to today."""

    def __init__(self, seed: Path = SEED, today: date | None = None) -> None:
        today = today or date.today()
        self._orders: dict[str, Order] = {}
        for raw in json.loads(seed.read_text(encoding="utf-8"))["orders"]:
            def ago(key: str, raw: dict[str, Any] = raw) -> date | None:
                return today - timedelta(days=raw[key]) if key in raw else None

            eta = today + timedelta(days=raw["eta_days_from_now"]) if "eta_days_from_now" in raw \
                else None
            self._orders[raw["number"]] = Order(raw["number"], raw["status"], raw["items"],
                                                ago("placed_days_ago"),
                                                ago("delivered_days_ago"), eta)

    def get(self, number: str) -> Order | None:
        return self._orders.get(number)

    def create_return(self, number: str, case: dict[str, str]) -> str:
        reference = "RMA-" + secrets.token_hex(3).upper()
        self._orders[number].returns.append(reference)
        return reference


class HttpOrderBackend:
    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout

    def get(self, number: str) -> Order | None:
        try:
            response = requests.get(f"{self._base}/orders/{quote(number, safe='')}",
                                    timeout=self._timeout)
            if response.status_code == 404:
                return None
            response.raise_for_status()
            return Order.from_json(response.json())
        except (requests.RequestException, ValueError, KeyError) as error:
            raise OrdersUnavailable(str(error)) from error

    def create_return(self, number: str, case: dict[str, str]) -> str:
        try:
            response = requests.post(f"{self._base}/orders/{quote(number, safe='')}/returns",
                                     json=case, timeout=self._timeout)
            response.raise_for_status()
            return response.json()["reference"]
        except (requests.RequestException, ValueError, KeyError) as error:
            raise OrdersUnavailable(str(error)) from error


@lru_cache(maxsize=1)
def order_backend() -> OrderBackend:
    url = os.environ.get("ORDER_BACKEND_URL", "").strip()
    return HttpOrderBackend(url) if url else DemoOrderStore()
