"""`python -m rasa_runtime --model M` starts `rasa run` with the HTTP API on and the fixes of
`rasa_runtime.fixes` applied, after checking that the installed Rasa and Sanic are the releases
they were written for. The HTTP API takes only JWTs signed with RASA_JWT_SECRET (HS256, in the
Authorization header; the handoff service signs them), read from the environment so that it does
not show in the process list; no token is accepted in a URL. The channels are credentials.yml's
and each messenger whose credentials are in the environment (rasa_runtime/channels/); the
start-up log says which are on."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import yaml

from rasa_runtime import versions


def rasa_argv(model: str, port: str, interface: str, jwt_secret: str, endpoints: str,
              credentials: str) -> list[str]:
    """`rasa run`'s arguments. The secret goes as `--jwt-secret=…`: a generated one may start
    with "-", which argparse would otherwise take for an option (Rasa then refused to start).
    No `--auth-token`: Rasa reads that one from the URL's query string."""
    # No --cors: no page may call Rasa's API; socket.io's origins are WIDGET_ORIGINS.
    return ["rasa", "run", "--enable-api", f"--jwt-secret={jwt_secret}", "--jwt-method=HS256",
            "--model", model, "--port", port, "--interface", interface,
            "--endpoints", endpoints, "--credentials", credentials]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", default="5005")
    parser.add_argument("--interface", default="127.0.0.1")
    args = parser.parse_args()
    try:
        versions.check()
    except versions.UnsupportedVersion as error:
        sys.exit(str(error))
    from rasa_runtime.channels import channels, describe

    found = channels(os.environ)
    print(f"rasa_runtime: {describe(found)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rasa-channels-") as folder:
        credentials = Path(folder) / "credentials.yml"  # no secrets: the connectors read them
        credentials.write_text(yaml.safe_dump(found.credentials), encoding="utf-8")
        sys.argv = rasa_argv(args.model, args.port, args.interface,
                             os.environ["RASA_JWT_SECRET"],
                             os.environ.get("RASA_ENDPOINTS", "endpoints.yml"), str(credentials))
        from rasa.__main__ import main as rasa_main

        from rasa_runtime.fixes import apply_fixes

        off = apply_fixes(os.environ)
        if off:
            print(f"rasa_runtime: fixes switched off: {', '.join(off)}", flush=True)
        rasa_main()


if __name__ == "__main__":
    main()
