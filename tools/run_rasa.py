"""Starts `rasa run` with the HTTP API on, reading the API token from the environment so that it
does not show in the process list, with the fixes in tools/ applied (sanic_py311: Sanic on
Python 3.11; the others: bottlenecks the load benchmark found, bench/README.md)."""

from __future__ import annotations

import argparse
import os
import sys


def rasa_argv(model: str, port: str, interface: str, token: str, endpoints: str) -> list[str]:
    """`rasa run`'s arguments. The token goes as `--auth-token=…`: a generated token may start
    with "-", which argparse would otherwise take for an option (Rasa then refused to start)."""
    return ["rasa", "run", "--enable-api", "--cors", "*", f"--auth-token={token}",
            "--model", model, "--port", port, "--interface", interface,
            "--endpoints", endpoints, "--credentials", "credentials.yml"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", default="5005")
    parser.add_argument("--interface", default="127.0.0.1")
    args = parser.parse_args()
    sys.argv = rasa_argv(args.model, args.port, args.interface, os.environ["RASA_AUTH_TOKEN"],
                         os.environ.get("RASA_ENDPOINTS", "endpoints.yml"))
    from rasa.__main__ import main as rasa_main

    from tools import (
        rasa_event_stream,
        rasa_gc_freeze,
        rasa_jsonschema,
        rasa_keepalive,
        rasa_lock_wait,
        rasa_sqlite,
        rasa_tracker_thread,
        rasa_turn_limit,
        sanic_py311,
    )

    sanic_py311.apply()
    rasa_lock_wait.apply()
    rasa_sqlite.apply()
    rasa_keepalive.apply()
    rasa_event_stream.apply()
    rasa_tracker_thread.apply()
    rasa_jsonschema.apply()
    rasa_turn_limit.apply()
    rasa_gc_freeze.apply()
    rasa_main()


if __name__ == "__main__":
    main()
