"""Training from the trainers' page: who may start it, how its progress is read from the real
commands' output, and a run that fails saying why. The whole way from training to a promoted
model in the live bot is tests/e2e/test_trainer_inbox.py."""

from __future__ import annotations

import io
import time
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from handoff.app import create_app
from handoff.rasa_client import RasaClient
from handoff.settings import Settings
from handoff.training import ModelTraining, NoDecision, Phase, RunStatus, TrainingRun
from tests.handoff.support import make_agent
from tools.cross_validation import print_progress

RASA_PYTHON = Path(__file__).resolve().parents[2] / ".venv-rasa" / "bin" / "python"


def test_the_commands_progress_becomes_phases_and_percentages() -> None:
    run = TrainingRun(1, 1, time.time(), Path("training-1.log"))
    run.heard("training 21e7c7404ba5bd54.tar.gz (log: var/logs/train.log) ...")
    assert run.phase == Phase.STARTING
    run.heard("embedding sentences: 1664/3362 (49 %, 80/s)")
    assert (run.phase, run.percent) == (Phase.EMBEDDING, 49)
    run.heard("training component 'StackedLogisticRegressionClassifier'")
    assert (run.phase, run.detail, run.percent) == (
        Phase.TRAINING, "StackedLogisticRegressionClassifier", None)
    run.heard("trained in 110 s: /srv/our bot/models/21e7c7404ba5bd54.tar.gz")
    assert run.candidate == Path("/srv/our bot/models/21e7c7404ba5bd54.tar.gz")
    run.heard("held-out: parsing 544 messages with the candidate 21e7c7404ba5bd54.tar.gz")
    assert run.phase == Phase.HELD_OUT
    shown = io.StringIO()
    with redirect_stderr(shown):  # the report's own progress function, as it prints
        print_progress("candidate")(3, 5)
    run.heard(shown.getvalue().strip())
    assert (run.phase, run.detail, run.percent) == (Phase.CROSS_VALIDATION, "candidate", 60)


def test_only_trainers_and_admins_train(client: TestClient) -> None:
    assert client.post("/api/v1/training").status_code == 401
    for role in ("agent", "supervisor"):
        headers = make_agent(client, f"{role}@example.com", role=role)
        assert client.post("/api/v1/training", headers=headers).status_code == 403
        assert client.get("/api/v1/training", headers=headers).status_code == 403
        assert client.post("/api/v1/training/promote", headers=headers).status_code == 403
    trainer = make_agent(client, "tara@example.com", role="trainer")
    assert client.get("/api/v1/training", headers=trainer).status_code == 404
    assert client.get("/api/v1/training/report", headers=trainer).status_code == 404
    for decision in ("promote", "discard"):
        refused = client.post(f"/api/v1/training/{decision}", headers=trainer)
        assert refused.status_code == 409
        assert "no trained model is waiting" in refused.json()["detail"]


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa's environment is not installed")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_run_that_fails_says_why_and_another_may_start(settings: Settings,
                                                          tmp_path: Path) -> None:
    empty = tmp_path / "empty-project"  # no config, no domain, no data: Rasa cannot train
    empty.mkdir()
    settings = settings.model_copy(update={"project_dir": empty, "report_folds": 0})
    with TestClient(create_app(settings)) as client:
        trainer = make_agent(client, "tara@example.com", role="trainer")
        started = client.post("/api/v1/training", headers=trainer)
        assert started.status_code == 202 and started.json()["status"] == RunStatus.RUNNING
        assert client.post("/api/v1/training", headers=trainer).status_code == 409
        deadline = time.monotonic() + 240
        while (run := client.get("/api/v1/training", headers=trainer).json())["status"] == (
                RunStatus.RUNNING) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert run["status"] == RunStatus.FAILED
        assert run["error"].startswith("tools.train failed")
        assert (empty / "var" / "logs" / "training-1.log").exists()
        again = client.post("/api/v1/training", headers=trainer)
        assert again.status_code == 202 and again.json()["id"] == 2


def test_discarding_deletes_the_new_model_and_keeps_the_data(tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "new.data" / "nlu").mkdir(parents=True)
    (models / "new.tar.gz").write_bytes(b"a model")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "fa.yml").write_text("kept")
    training = ModelTraining(tmp_path, RASA_PYTHON, 0, RasaClient("http://127.0.0.1:9", "x"))
    training.run = TrainingRun(1, 1, time.time(), tmp_path / "training-1.log",
                               status=RunStatus.READY, candidate=models / "new.tar.gz")
    run = training.discard(7)
    assert (run.status, run.decided_by) == (RunStatus.DISCARDED, 7)
    assert not (models / "new.tar.gz").exists() and not (models / "new.data").exists()
    assert (tmp_path / "data" / "fa.yml").read_text() == "kept"
    with pytest.raises(NoDecision):
        training.discard(7)
