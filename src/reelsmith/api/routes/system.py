"""Health and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select, text

from reelsmith.db.models import Generation, ProviderCall, Step

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    """Liveness plus a database round trip."""
    rt: Runtime = request.app.state.runtime
    with rt.db.read() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


class DatabaseCollector:
    """Reads the figures at scrape time, so every process reports the shared truth."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Any]:
        """Yield the metric families."""
        with self.rt.db.read() as session:
            gens = GaugeMetricFamily(
                "reelsmith_generations", "Generations by status and mode", labels=["status", "mode"]
            )
            for status, mode, count in session.execute(
                select(Generation.status, Generation.mode, func.count()).group_by(
                    Generation.status, Generation.mode
                )
            ):
                gens.add_metric([status, mode], count)
            yield gens
            steps = GaugeMetricFamily(
                "reelsmith_step_seconds_avg", "Average duration of finished steps", labels=["step"]
            )
            rows = session.execute(
                select(Step.name, Step.started_at, Step.finished_at).where(Step.status == "done")
            ).all()
            totals: dict[str, list[float]] = {}
            for name, started, finished in rows:
                if started and finished:
                    totals.setdefault(name, []).append((finished - started).total_seconds())
            for name, values in totals.items():
                steps.add_metric([name], sum(values) / len(values))
            yield steps
            calls = CounterMetricFamily(
                "reelsmith_provider_calls",
                "Provider calls by provider, operation and status",
                labels=["provider", "operation", "status"],
            )
            cost = CounterMetricFamily(
                "reelsmith_provider_cost_usd", "Estimated provider cost", labels=["provider"]
            )
            for provider, operation, status, count, usd in session.execute(
                select(
                    ProviderCall.provider,
                    ProviderCall.operation,
                    ProviderCall.status,
                    func.count(),
                    func.coalesce(func.sum(ProviderCall.cost_usd), 0.0),
                ).group_by(ProviderCall.provider, ProviderCall.operation, ProviderCall.status)
            ):
                calls.add_metric([provider, operation, status], count)
                cost.add_metric([provider], float(usd))
            yield calls
            yield cost
        depth = GaugeMetricFamily("reelsmith_queue_depth", "Tasks waiting in the queue")
        depth.add_metric([], float(self.rt.huey.pending_count()))
        yield depth


def metrics_registry(rt: Runtime) -> CollectorRegistry:
    """A registry holding the database collector (one per app, so tests can build many apps)."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(rt))
    return registry


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text exposition."""
    body = generate_latest(request.app.state.metrics_registry)
    return PlainTextResponse(body.decode(), media_type="text/plain; version=0.0.4")
