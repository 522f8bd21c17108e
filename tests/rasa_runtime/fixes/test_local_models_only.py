"""`PUT /model` loads only a model file from a models folder (CVE-2024-49375): a body naming a
model server or remote storage, or a file elsewhere, is refused before Rasa reads it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa import server

from rasa_runtime.fixes import local_models_only


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "new.tar.gz").write_bytes(b"model")
    (tmp_path / "elsewhere.tar.gz").write_bytes(b"model")
    return tmp_path


def answer(project: Path, cwd: Path, body: Any, method: str = "PUT") -> Any:
    """What the guard answers to a request (None: it goes on to Rasa's handler)."""
    guard = local_models_only.guard({"HANDOFF_PROJECT_DIR": str(project)}, cwd)
    return asyncio.run(guard(SimpleNamespace(method=method, path="/model", json=body)))


@pytest.mark.parametrize("body", [
    {"model_server": {"url": "http://attacker.example/model.tar.gz"}},
    {"model_file": "{project}/models/new.tar.gz", "remote_storage": "aws"},
    {"model_file": "{project}/elsewhere.tar.gz"},
    {"model_file": "{project}/models/../elsewhere.tar.gz"},
    {"model_file": "/etc/passwd"},
    {},
    ["model_file"],
])
def test_remote_or_outside_models_are_refused(project: Path, tmp_path_factory: Any,
                                              body: Any) -> None:
    body = json.loads(json.dumps(body).replace("{project}", str(project)))
    refused = answer(project, tmp_path_factory.mktemp("rasa"), body)
    assert refused is not None and refused.status == 400


def test_a_model_file_in_the_projects_models_folder_goes_on_to_rasa(
        project: Path, tmp_path_factory: Any) -> None:
    cwd = tmp_path_factory.mktemp("rasa")
    assert answer(project, cwd, {"model_file": str(project / "models" / "new.tar.gz")}) is None
    assert answer(project, cwd, {"model_server": {"url": "x"}}, method="DELETE") is None


def test_rasas_api_app_carries_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "create_app", server.create_app)
    local_models_only.apply()
    app = server.create_app(auth_token="t" * 32)
    names = [getattr(middleware, "__name__", "") for middleware in app.request_middleware]
    assert "local_models_only" in names
