"""`/metrics` for Prometheus (handoff/metrics.py), behind its own bearer token: a scraper has no
account, and the figures (queue lengths, team names) are not for the public."""

from __future__ import annotations

import asyncio
import secrets

from fastapi import APIRouter, Header, HTTPException, status
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from handoff.dependencies import AppServices

routes = APIRouter(tags=["ops"])


@routes.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, 401: {}, 404: {}})
async def metrics(services: AppServices,
                  authorization: str | None = Header(None)) -> Response:
    """Prometheus' text format; `Authorization: Bearer <HANDOFF_METRICS_TOKEN>`."""
    token = services.settings.metrics_token
    if token is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "metrics are off: set HANDOFF_METRICS_TOKEN to serve them")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a valid metrics token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    body = await asyncio.to_thread(generate_latest, services.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
