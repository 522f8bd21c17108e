"""Request and response bodies of the HTTP API (the context contract is in contract.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Ticket(BaseModel):
    """What the customer is told at escalation."""

    id: int
    reference: str
    status: str
    position: int
    created: bool


class HandoffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    conversation_id: str
    channel: str
    language: str
    reason: str
    summary: str
    status: str
    agent_id: int | None
    created_at: float
    assigned_at: float | None
    resolved_at: float | None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sender: str
    text: str
    agent_id: int | None
    created_at: float
    delivered_at: float | None


class HandoffDetail(HandoffOut):
    position: int
    context: dict[str, Any]
    messages: list[MessageOut]


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=8, max_length=200)


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: float
