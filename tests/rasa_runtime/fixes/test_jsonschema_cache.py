"""Rasa's schema validation: the schema is checked once; instances are judged as before."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from rasa_runtime.fixes import apply_fixes, jsonschema_cache

VALID = {"events": [SlotSet("order_number", "58231").as_dict(),
                    ActionExecuted("action_listen").as_dict(), UserUttered("hi").as_dict()],
         "responses": [{"response": "utter_order_shipped", "order_number": "۵۸۲۳۱"}]}
INVALID = {"events": [{"event": "slot", "name": 5}], "responses": []}


def _error(result: dict[str, Any]) -> str:
    action = RemoteAction("action_order_status", None)
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result(result)
    return raised.value.message


@pytest.fixture
def schema_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts how often the action reply schema itself is checked."""
    kind = validator_for(RemoteAction.action_response_format_spec())
    checks: list[int] = []
    check_schema = kind.check_schema

    def counted(schema: Any) -> None:
        checks.append(1)
        check_schema(schema)

    monkeypatch.setattr(kind, "check_schema", counted)
    monkeypatch.setattr(jsonschema, "validate", jsonschema.validate)  # undone afterwards
    return checks


def test_the_schema_is_checked_once_and_replies_judged_as_before(
    schema_checks: list[int],
) -> None:
    rasa_error = _error(INVALID)
    schema_checks.clear()
    jsonschema_cache.apply()
    action = RemoteAction("action_order_status", None)
    for _ in range(3):
        assert action._validate_action_result(VALID)
    assert _error(INVALID) == rasa_error
    assert len(schema_checks) == 1


def test_switched_off_rasa_checks_the_schema_on_every_reply(
    schema_checks: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert apply_fixes({"RASA_JSONSCHEMA_CACHE": "0"}, ["jsonschema_cache"]) == ["jsonschema_cache"]
    for _ in range(3):
        RemoteAction("action_order_status", None)._validate_action_result(VALID)
    assert len(schema_checks) == 3
