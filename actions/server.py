"""The action server, answering only Rasa: `python -m actions.server --port 5055`.

rasa_sdk's own server (`python -m rasa_sdk`) runs any action for whoever posts a tracker, and a
made-up tracker files a handoff for any Telegram user or links a stranger's chat to a customer's
phone. This one is rasa_sdk's app with every request but `GET /health` refused (401) unless it
carries `Authorization: Bearer $ACTION_SERVER_TOKEN`, which Rasa sends from endpoints.yml
(`action_endpoint.headers`). Without that variable it does not start. No page calls it, so it
sends no CORS headers.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
OPEN_PATHS = frozenset({"/health"})  # the probes' (tools/stack.py, the balancer, Kubernetes)

logger = logging.getLogger(__name__)


def authorized(request: Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def build(token: str) -> Sanic:
    """rasa_sdk's app for the `actions` package, behind the token."""
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorized(request, token):
            return None
        logger.warning("action server: %s %s refused without Rasa's token", request.method,
                       request.path)
        return response.json({"error": "the action server answers only Rasa"}, status=401)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        print(f"{TOKEN_VARIABLE} is not set: the action server answers only Rasa, which sends "
              f"it (endpoints.yml)", file=sys.stderr)
        return 2
    utils.configure_colored_logging(logging.INFO)
    utils.update_sanic_log_level()
    build(token).run(os.environ.get("SANIC_HOST", "0.0.0.0"), args.port,
                     workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
