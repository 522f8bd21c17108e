"""Helpers for the handoff service tests: Rasa's event table, agents, escalations."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

ADMIN = "admin-token-for-tests"
ACTION = "action-secret-for-tests"

# The table Rasa's SQL event broker writes (rasa/core/brokers/sql.py).
EVENTS_DDL = "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"


class RasaEvents:
    """Writes rows the way Rasa's SQL event broker does."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        with self.engine.begin() as connection:
            connection.execute(text(EVENTS_DDL))

    def publish(self, sender_id: str, event: dict) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
                               {"s": sender_id, "d": json.dumps(event)})

    def user(self, sender_id: str, message: str) -> None:
        self.publish(sender_id, {"event": "user", "text": message, "timestamp": time.time()})


def make_agent(client: TestClient, email: str = "sara@example.com") -> dict[str, str]:
    """Create an agent and return the Authorization header of their session."""
    created = client.post("/api/v1/agents", json={"email": email, "name": email.split("@")[0],
                                                   "password": "correct horse"},
                          headers={"Authorization": f"Bearer {ADMIN}"})
    assert created.status_code == 201, created.text
    login = client.post("/api/v1/auth/login", json={"email": email, "password": "correct horse"})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def context(conversation_id: str = "conv-1", language: str = "fa") -> dict:
    return {
        "version": 1, "conversation_id": conversation_id, "channel": "socketio",
        "language": language, "reason": "explicit_request", "summary": "کفشم سایز اشتباه آمده",
        "contact": {"order_numbers": ["58231"]}, "slots": {"language": language},
        "active_form": None, "last_intents": [{"name": "human_handoff", "confidence": 0.97}],
        "transcript": [{"sender": "customer", "text": "سلام", "timestamp": 1.0}],
    }


def escalate(client: TestClient, conversation_id: str = "conv-1", language: str = "fa") -> dict:
    response = client.post("/api/v1/handoffs", json=context(conversation_id, language),
                           headers={"Authorization": f"Bearer {ACTION}"})
    assert response.status_code == 200, response.text
    return response.json()
