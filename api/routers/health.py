"""Liveness and readiness (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.errors import error_response
from api.schemas.common import Health, errors

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=errors(503))
def readyz(request: Request) -> Health | JSONResponse:
    runtime = getattr(request.app.state, "runtime", None)
    checks = {"database": bool(runtime and runtime.database.ping()), "model": runtime is not None}
    if not all(checks.values()):
        return error_response(503, "not_ready", "not ready", checks)
    return Health(status="ready", checks=checks)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text exposition"}},
)
def metrics(request: Request) -> Response:
    """Prometheus text: request counts and latencies by route, events, feeds, caches, the model, retrains.
    Needs no key: bind it to a private interface in production."""
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
