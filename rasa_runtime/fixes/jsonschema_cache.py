"""Checks each JSON schema Rasa validates against once, not on every request.

`jsonschema.validate` first checks the schema itself against its meta-schema, then validates. Rasa
3.6 calls it with its large events schema on every action server reply (`RemoteAction`) and on
every `POST /conversations/{id}/tracker/events` (each agent message of a handoff): about 13 ms of
CPU per call on the one event loop that serves every customer, of which 12.6 ms re-check a schema
that never changes. Here the checked validator is kept per schema; instances are validated as
before and invalid ones raise the same `ValidationError` (the best match, as `validate` picks it).
"""

from __future__ import annotations

import json
from typing import Any

MAX_SCHEMAS = 64


def apply() -> None:
    """Replace jsonschema.validate in this process; Rasa looks it up at each call."""
    import jsonschema
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    original = jsonschema.validate
    checked: dict[str, Any] = {}

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is not None or args or kwargs:
            return original(instance, schema, cls, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True, default=repr)
        validator = checked.get(key)
        if validator is None:
            kind = validator_for(schema)
            kind.check_schema(schema)
            validator = kind(schema)
            if len(checked) < MAX_SCHEMAS:
                checked[key] = validator
        error = best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    jsonschema.validate = validate
