"""Takes the loaded model out of the garbage collector's full passes.

After loading its model Rasa's process holds about 500,000 Python objects (TensorFlow, spaCy, the
graph), which never become garbage. Every full (generation 2) collection still walks all of them:
measured in the handoff load run, 100–330 ms with the event loop stopped, several times a minute,
which is the size of the live-chat p99 tail. `gc.freeze()` once the model is loaded moves them to
a permanent generation that collections skip, as CPython's docs recommend for servers that load
everything at start. Objects made later are collected as before.
"""

from __future__ import annotations

import gc
from typing import Any


def apply() -> None:
    """Freeze what exists once Rasa's server has loaded its agent (the model)."""
    from rasa.core import run

    load_agent_on_start = run.load_agent_on_start

    async def load_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent_on_start(*args, **kwargs)
        gc.collect()  # what is garbage now should not be kept forever
        gc.freeze()
        return agent

    run.load_agent_on_start = load_then_freeze
