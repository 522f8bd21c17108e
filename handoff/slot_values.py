"""Checks an agent's correction of a collected detail against the bot's own slot definitions."""

from __future__ import annotations

from typing import Any

# Slots the bot keeps for its own bookkeeping; an agent never edits them.
INTERNAL_SLOTS = frozenset({"requested_slot", "handoff_reference", "handoff_offer",
                            "session_started_metadata"})
MAX_TEXT = 500


class InvalidSlot(ValueError):
    """The slot does not exist, is internal, or cannot hold the value."""


def checked_value(slots: dict[str, dict[str, Any]], name: str, value: Any) -> Any:
    """Return the value as the slot stores it, or raise InvalidSlot saying why not."""
    definition = slots.get(name)
    if definition is None or name in INTERNAL_SLOTS:
        raise InvalidSlot(f"the bot has no slot {name!r} that an agent may correct")
    if value is None:
        return None
    kind = definition.get("type")
    if kind == "categorical":
        allowed = [str(v) for v in definition.get("values") or []]
        if str(value) not in allowed:
            raise InvalidSlot(f"{name} must be one of {', '.join(allowed)}")
        return str(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidSlot(f"{name} must be a number")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidSlot(f"{name} must be true or false")
        return value
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidSlot(f"{name} must be text")
    text = str(value).strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidSlot(f"{name} must be 1 to {MAX_TEXT} characters")
    return text
