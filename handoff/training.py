"""Training from the trainers' page: a new model from the project's data, its report against the
model Rasa is running, and the trainer's decision to promote or discard it.

The work is the same two commands a trainer runs by hand (`tools.train`, then `tools.report`),
run one after the other as child processes in Rasa's environment, so the page and `make report`
give the same model and the same figures. Their progress lines (phase, percentage, fold) are read
as they come and shown on the page. One run at a time per service; the run lives in memory, so a
restart of the service forgets it (the model and the report stay on disk). Promoting loads the
model into the running Rasa with `PUT /model`, without a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from common.secret_scopes import scoped
from handoff.rasa_client import RasaClient, RasaUnavailable
from tools.model import data_of

logger = logging.getLogger(__name__)

_LINES = re.compile(r"[\r\n]")
_EMBEDDING = re.compile(r"embedding sentences: \d+/\d+ \((\d+) %")
_COMPONENT = re.compile(r"training component '([^']+)'")
_HELD_OUT = re.compile(r"held-out: parsing")
_FOLD = re.compile(r"cross-validation of the (current|candidate) data: fold \d+/\d+ \((\d+) %\)")
_MODEL = re.compile(r"(?:model up to date|trained in \d+ s): (.+\.tar\.gz)$")


class RunStatus(StrEnum):
    RUNNING = "running"
    READY = "ready"  # trained and reported, waiting for the trainer's decision
    UNCHANGED = "unchanged"  # the data gives the model Rasa runs already
    PROMOTED = "promoted"
    DISCARDED = "discarded"
    FAILED = "failed"


class Phase(StrEnum):
    STARTING = "starting"
    EMBEDDING = "embedding"
    TRAINING = "training"
    HELD_OUT = "held_out"
    CROSS_VALIDATION = "cross_validation"
    DONE = "done"


class TrainingBusy(Exception):
    """A run is in progress, or waits for its decision."""


class NoDecision(Exception):
    """There is no trained model waiting for a decision."""


@dataclass
class TrainingRun:
    id: int
    started_by: int
    started_at: float
    log: Path
    status: RunStatus = RunStatus.RUNNING
    phase: Phase = Phase.STARTING
    detail: str | None = None  # the component being trained, or whose data is cross-validated
    percent: int | None = None
    finished_at: float | None = None
    candidate: Path | None = None
    baseline: Path | None = None
    report: Path | None = None
    summary: dict[str, object] | None = None
    error: str | None = None
    decided_by: int | None = None
    _tail: list[str] = field(default_factory=list, repr=False)

    def heard(self, line: str) -> None:
        """Follow a line of the commands' output."""
        self._tail = [*self._tail, line][-20:]
        if found := _EMBEDDING.search(line):
            self.phase, self.detail, self.percent = Phase.EMBEDDING, None, int(found.group(1))
        elif found := _COMPONENT.search(line):
            self.phase, self.detail, self.percent = Phase.TRAINING, found.group(1), None
        elif _HELD_OUT.search(line):
            self.phase, self.detail, self.percent = Phase.HELD_OUT, None, None
        elif found := _FOLD.search(line):
            self.phase, self.detail = Phase.CROSS_VALIDATION, found.group(1)
            self.percent = int(found.group(2))
        elif found := _MODEL.search(line):
            self.candidate = Path(found.group(1))

    @property
    def tail(self) -> str:
        return "\n".join(self._tail)


class ModelTraining:
    """The service's one training run, started, followed and decided from the trainers' page."""

    def __init__(self, project_dir: Path, rasa_python: Path, folds: int,
                 rasa: RasaClient) -> None:
        self._project = project_dir
        self._python = rasa_python
        self._folds = folds
        self._rasa = rasa
        self._code = Path(__file__).resolve().parent.parent  # where tools/ and nlu/ live
        self.run: TrainingRun | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._ids = 0

    async def start(self, agent_id: int) -> TrainingRun:
        async with self._lock:
            if self.run is not None and self.run.status in (RunStatus.RUNNING, RunStatus.READY):
                raise TrainingBusy(f"training run {self.run.id} is {self.run.status}")
            self._ids += 1
            logs = self._project / "var" / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            self.run = TrainingRun(self._ids, agent_id, time.time(),
                                   logs / f"training-{self._ids}.log")
            self._task = asyncio.create_task(self._work(self.run))
            return self.run

    async def _work(self, run: TrainingRun) -> None:
        try:
            run.baseline = await self._running_model()
            await self._command(run, "tools.train", "--project", str(self._project))
            if run.candidate is None:
                raise RuntimeError("training named no model")
            if run.baseline is not None and run.candidate.resolve() == run.baseline.resolve():
                run.status, run.phase = RunStatus.UNCHANGED, Phase.DONE
                return
            run.report = run.log.with_name(f"report-{run.id}.html")
            summary = run.log.with_name(f"report-{run.id}.json")
            await self._command(run, "tools.report", "--project", str(self._project),
                                "--candidate", str(run.candidate),
                                *(["--baseline", str(run.baseline)] if run.baseline else []),
                                "--folds", str(self._folds), "--out", str(run.report),
                                "--summary", str(summary))
            run.summary = json.loads(summary.read_text())
            run.status, run.phase, run.percent = RunStatus.READY, Phase.DONE, None
        except Exception as error:  # a failed run is shown on the page, not raised
            logger.warning("training run %s failed: %s", run.id, error)
            run.status, run.error = RunStatus.FAILED, str(error)
        finally:
            run.finished_at = time.time()

    async def _running_model(self) -> Path | None:
        """The model file Rasa runs (Rasa names only the file): the project's, or the one
        `make run` started with from this repository's models/."""
        try:
            name = (await self._rasa.status()).get("model_file")
        except RasaUnavailable:
            return None
        if not name:
            return None
        return next((folder / "models" / name for folder in (self._project, self._code)
                     if (folder / "models" / name).is_file()), None)

    async def _command(self, run: TrainingRun, module: str, *args: str) -> None:
        """Run `python -m module args` in Rasa's environment, its output to the run's log."""
        process = await asyncio.create_subprocess_exec(
            str(self._python), "-m", module, *args, cwd=self._code,
            env=_environment(self._code), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        try:
            await self._follow(run, process)
        except asyncio.CancelledError:  # the service stops: so does the work
            process.kill()
            raise
        if await process.wait() != 0:
            raise RuntimeError(f"{module} failed (exit {process.returncode}); see {run.log}\n"
                               + run.tail)

    @staticmethod
    async def _follow(run: TrainingRun, process: asyncio.subprocess.Process) -> None:
        pending = ""
        with run.log.open("a", encoding="utf-8") as log:
            while chunk := await process.stdout.read(65536):
                text = chunk.decode(errors="replace")
                log.write(text)
                log.flush()
                *lines, pending = _LINES.split(pending + text)
                for line in lines:
                    if line.strip():
                        run.heard(line.strip())
            if pending.strip():
                run.heard(pending.strip())

    async def promote(self, agent_id: int) -> TrainingRun:
        run = self._waiting()
        await self._rasa.load_model(str(run.candidate))
        run.status, run.decided_by = RunStatus.PROMOTED, agent_id
        return run

    def discard(self, agent_id: int) -> TrainingRun:
        """Keep the running model; the new one is deleted (the data stays as it is)."""
        run = self._waiting()
        run.candidate.unlink(missing_ok=True)
        shutil.rmtree(data_of(run.candidate), ignore_errors=True)
        run.status, run.decided_by = RunStatus.DISCARDED, agent_id
        return run

    def _waiting(self) -> TrainingRun:
        if self.run is None or self.run.status != RunStatus.READY or self.run.candidate is None:
            raise NoDecision("no trained model is waiting for a decision")
        return self.run

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


def _environment(code: Path) -> dict[str, str]:
    """The service's environment without its secrets: training needs none."""
    return scoped(os.environ, "training") | {
        "PYTHONPATH": str(code), "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg"}
