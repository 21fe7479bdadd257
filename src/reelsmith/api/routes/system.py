"""Health and Prometheus metrics (the metrics only for a scraper holding the metrics token)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import generate_latest

from reelsmith.errors import NotFound, Unauthorized
from reelsmith.monitoring import check_database
from reelsmith.server.deps import RuntimeDep

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(rt: RuntimeDep) -> dict[str, str]:
    """Liveness plus a database round trip."""
    check_database(rt)
    return {"status": "ok"}


def metrics_scraper(request: Request, rt: RuntimeDep) -> None:
    """Let through only `Authorization: Bearer <metrics_token>`; without a token set, there are no metrics."""
    expected = rt.settings.metrics_token
    if not expected:
        raise NotFound("metrics are not served: no metrics token is configured")
    header = request.headers.get("authorization", "")
    sent = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Unauthorized("metrics: send Authorization: Bearer <metrics token>")


@router.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(metrics_scraper)])
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text exposition."""
    body = generate_latest(request.app.state.metrics_registry)
    return PlainTextResponse(body.decode(), media_type="text/plain; version=0.0.4")
