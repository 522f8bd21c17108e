"""Rasa's `PUT /model` loads only a model file from the models folders, never from elsewhere.

Rasa 3.6.21's `PUT /model` also takes a `model_server` (a URL it downloads a model from) or a
`remote_storage` (a cloud bucket), and loading a model runs what is in it: CVE-2024-49375, remote
code execution for whoever can call Rasa's API. The desk promotes models only by naming a file it
trained (handoff/training.py), so a request middleware refuses every other body with 400 before
Rasa's handler reads it: a `model_file` must name a file under `models/` of Rasa's working folder
or of the trainers' project (`HANDOFF_PROJECT_DIR`, the folder shared with the service).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REMOTE_KEYS = ("model_server", "remote_storage")


def model_folders(env: Mapping[str, str], cwd: Path) -> list[Path]:
    """Where a promoted model may be: Rasa's own models/ and the trainers' project's."""
    folders = [cwd / "models"]
    if project := env.get("HANDOFF_PROJECT_DIR", "").strip():
        folders.append(Path(project) / "models")
    return [folder.resolve() for folder in folders]


def refusal_reason(body: Any, folders: list[Path]) -> str | None:
    """Why a `PUT /model` body is refused, or None for a model file under one of `folders`."""
    if not isinstance(body, dict):
        return "the body must be a JSON object with a model_file"
    if named := [key for key in REMOTE_KEYS if body.get(key) is not None]:
        return f"{', '.join(named)} is refused: only a local model_file is loaded"
    name = body.get("model_file")
    if not isinstance(name, str) or not name.strip():
        return "model_file is required"
    path = Path(name).resolve()
    if not path.is_file() or not any(path.is_relative_to(folder) for folder in folders):
        return "model_file must name a model file in a models folder"
    return None


def guard(env: Mapping[str, str], cwd: Path) -> Callable[[Any], Any]:
    """A Sanic request middleware answering 400 to a `PUT /model` that is refused."""
    from sanic import response

    folders = model_folders(env, cwd)

    async def local_models_only(request: Any) -> Any:
        if request.method != "PUT" or request.path.rstrip("/") != "/model":
            return None
        try:
            body = request.json
        except Exception:  # Sanic's InvalidUsage: not JSON at all
            body = None
        if (reason := refusal_reason(body, folders)) is None:
            return None
        logger.warning("PUT /model refused: %s", reason)
        return response.json({"status": "failure", "reason": "BadRequest", "message": reason,
                              "code": HTTPStatus.BAD_REQUEST}, status=HTTPStatus.BAD_REQUEST)

    return local_models_only


def apply() -> None:
    """Add the guard to every app Rasa's server module creates (the one with the HTTP API)."""
    from rasa import server

    create_app = server.create_app

    def create_guarded_app(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        app.register_middleware(guard(os.environ, Path.cwd()), "request")
        return app

    server.create_app = create_guarded_app
