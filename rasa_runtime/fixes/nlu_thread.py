"""Runs Rasa's NLU (the message's parse) in one worker thread, off Rasa's event loop.

Rasa 3.6's `MessageProcessor.parse_message` is `async` but runs the NLU graph synchronously on
the event loop. With sentence embeddings that is 10-40 ms of arithmetic a message on two busy
cores, during which no other conversation moves: agents' messages waited in Rasa's socket.io
queue behind customers' parses (the handoff path's p99 went from under 100 ms to over a second;
bench/README.md, "The NLU off Rasa's event loop"). The embedding runs in C through ctypes, which
releases the GIL, so the loop keeps serving while a message is parsed.

One thread, not a pool: parses stay one after another in the order they were asked for, as on
the loop, and no component sees two messages at once. The rest of Rasa's method is kept as it
is (retrieval intents, the unseen-features warnings); an HTTP interpreter is left alone.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa.core import processor
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

_nlu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu")
_original = MessageProcessor.parse_message


@functools.wraps(_original)
async def parse_message(self: MessageProcessor, message: UserMessage,
                        tracker: DialogueStateTracker | None = None,
                        only_output_properties: bool = True) -> dict[str, Any]:
    if self.http_interpreter:
        return await _original(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    parse_data = await asyncio.get_running_loop().run_in_executor(
        _nlu, self._parse_message_with_graph, message, tracker, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    processor.structlogger.debug(
        "processor.message.parse", parse_data_text=copy.deepcopy(parse_data["text"]),
        parse_data_intent=parse_data["intent"],
        parse_data_entities=copy.deepcopy(parse_data["entities"]))
    self._check_for_unseen_features(parse_data)
    return parse_data


def apply() -> None:
    MessageProcessor.parse_message = parse_message
