"""Health and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import generate_latest

from reelsmith.monitoring import check_database
from reelsmith.server.deps import RuntimeDep

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(rt: RuntimeDep) -> dict[str, str]:
    """Liveness plus a database round trip."""
    check_database(rt)
    return {"status": "ok"}


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text exposition."""
    body = generate_latest(request.app.state.metrics_registry)
    return PlainTextResponse(body.decode(), media_type="text/plain; version=0.0.4")
