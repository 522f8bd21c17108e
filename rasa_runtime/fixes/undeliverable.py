"""Rasa's API says when a customer's platform did not take a bot message, and whether it ever will.

Rasa answers every failure of a channel's send during `execute_side_effects` (an agent's message
appended as a bot event, the bot's goodbye after a handback) with the same 500 "An unexpected
error occurred", so the service retried a message to a customer who blocked the bot for ever.
Here such an answer says what happened, without the platform's own text (it may name a token):
422 `Undeliverable` with `details.refusal` for a permanent refusal (`PlatformRefused`), 502
`PlatformUnavailable` for any other platform failure. Every other error keeps Rasa's answer.
"""

from __future__ import annotations

from typing import Any

UNDELIVERABLE = 422
PLATFORM_UNAVAILABLE = 502


def platform_failure(error: BaseException) -> BaseException | None:
    """The channel's PlatformError behind an error Rasa raised while handling it, if any."""
    from rasa_runtime.channels.platform import PlatformError

    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, PlatformError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def answer(error: Any) -> tuple[int, dict[str, Any]] | None:
    """The status and body for Rasa's `ErrorResponse` `error`, when a platform is behind it."""
    from rasa_runtime.channels.platform import PlatformRefused

    failure = platform_failure(error)
    if failure is None:
        return None
    info = dict(error.error_info)
    if isinstance(failure, PlatformRefused):
        return UNDELIVERABLE, {**info, "code": UNDELIVERABLE, "reason": "Undeliverable",
                               "message": f"the platform refused the message: {failure.reason}",
                               "details": {"refusal": failure.reason}}
    return PLATFORM_UNAVAILABLE, {**info, "code": PLATFORM_UNAVAILABLE,
                                  "reason": "PlatformUnavailable",
                                  "message": "the platform did not take the message",
                                  "details": {}}


def apply() -> None:
    """Wrap `rasa.server.create_app`: its app answers ErrorResponse through `answer` first."""
    from rasa import server
    from sanic import response

    create_app = server.create_app

    def create_app_with_platform_answers(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)

        async def handle(request: Any, error: Any) -> Any:
            found = answer(error)
            status, body = found if found else (error.status, error.error_info)
            return response.json(body, status=status)

        app.error_handler.add(server.ErrorResponse, handle)
        return app

    server.create_app = create_app_with_platform_answers
