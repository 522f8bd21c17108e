"""Liveness (the process answers) and readiness (it can do its work: `handoff/readiness.py`),
for a load balancer or an orchestrator. Neither shows anything of a customer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from handoff.dependencies import AppServices
from handoff.readiness import readiness
from handoff.schemas import Readiness

routes = APIRouter(tags=["ops"])


@routes.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@routes.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(services: AppServices) -> JSONResponse:
    """200 when every part works, else 503; each part says how it is."""
    found = await readiness(services)
    return JSONResponse(found.model_dump(mode="json"), status_code=200 if found.ready else 503)
