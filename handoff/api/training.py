"""Training from the trainers' page: start a run, follow it, read its report, then promote the
new model into the running Rasa or discard it (handoff/training.py). Trainers and admins only."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse

from handoff.api.upstream import rasa_failed
from handoff.dependencies import Trainer, Training
from handoff.rasa_client import RasaUnavailable
from handoff.schemas import TrainingRunOut
from handoff.training import NoDecision, TrainingBusy, TrainingRun

routes = APIRouter(prefix="/api/v1/training", tags=["trainers"])


def _out(run: TrainingRun) -> TrainingRunOut:
    return TrainingRunOut(
        id=run.id, status=run.status, phase=run.phase, detail=run.detail, percent=run.percent,
        started_by=run.started_by, started_at=run.started_at, finished_at=run.finished_at,
        candidate=run.candidate.name if run.candidate else None,
        baseline=run.baseline.name if run.baseline else None, summary=run.summary,
        error=run.error, decided_by=run.decided_by)


def _current(training: Training) -> TrainingRun:
    if training.run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no training run since the service started")
    return training.run


@routes.post("", response_model=TrainingRunOut, status_code=status.HTTP_202_ACCEPTED)
async def start(trainer: Trainer, training: Training) -> TrainingRunOut:
    """Train a model of the data as it is now, then report it against the running one."""
    try:
        return _out(await training.start(trainer.id))
    except TrainingBusy as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@routes.get("", response_model=TrainingRunOut)
async def current(trainer: Trainer, training: Training) -> TrainingRunOut:
    return _out(_current(training))


@routes.get("/report", response_class=HTMLResponse)
async def report(trainer: Trainer, training: Training) -> HTMLResponse:
    """The run's report, a self-contained HTML page (its charts are inline images)."""
    run = _current(training)
    if run.report is None or not run.report.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the run has no report yet")
    return HTMLResponse(run.report.read_text(encoding="utf-8"),
                        headers={"Content-Security-Policy": "default-src 'none'; "
                                 "img-src data:; style-src 'unsafe-inline'"})


@routes.post("/promote", response_model=TrainingRunOut)
async def promote(trainer: Trainer, training: Training) -> TrainingRunOut:
    """Load the new model into the running Rasa (no restart)."""
    try:
        return _out(await training.promote(trainer.id))
    except NoDecision as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except RasaUnavailable as error:
        raise rasa_failed(error, "Rasa did not load it") from None


@routes.post("/discard", response_model=TrainingRunOut)
async def discard(trainer: Trainer, training: Training) -> TrainingRunOut:
    """Keep the running model and delete the new one; the data stays as the decisions left it."""
    try:
        return _out(training.discard(trainer.id))
    except NoDecision as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
