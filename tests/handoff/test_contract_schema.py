"""The JSON Schema the bot's side validates against is the service's contract as it is now."""

from __future__ import annotations

from common.protocol import CONTEXT_SCHEMA
from handoff.contract import schema_text


def test_the_schema_file_is_generated_from_the_contract() -> None:
    assert CONTEXT_SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        f"{CONTEXT_SCHEMA.name} is stale: run `.venv/bin/python -m handoff.contract`")
