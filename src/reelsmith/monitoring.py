"""What operators watch: a database round trip for health checks, and Prometheus figures.

The figures are read from the database at scrape time, so every process reports the shared truth.
Each family is aggregated in SQL by exactly the labels it exports: one sample per label set, as
Prometheus requires (a repeated series makes it reject the whole scrape).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select, text

from reelsmith.db.models import Generation, ProviderCall, Step
from reelsmith.db.timing import seconds_between
from reelsmith.vocabulary import StepStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def check_database(rt: Runtime) -> None:
    """Raise unless the database answers a trivial query."""
    with rt.db.read() as session:
        session.execute(text("SELECT 1"))


class DatabaseCollector:
    """Generations, step durations, provider calls and their cost, and the queue's depth."""

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
            seconds = seconds_between(Step.started_at, Step.finished_at, self.rt.db.is_sqlite)
            for name, avg in session.execute(
                select(Step.name, func.avg(seconds))
                .where(
                    Step.status == StepStatus.DONE,
                    Step.started_at.is_not(None),
                    Step.finished_at.is_not(None),
                )
                .group_by(Step.name)
            ):
                steps.add_metric([name], float(avg))
            yield steps
            calls = CounterMetricFamily(
                "reelsmith_provider_calls",
                "Provider calls by provider, operation and status",
                labels=["provider", "operation", "status"],
            )
            for provider, operation, status, count in session.execute(
                select(
                    ProviderCall.provider, ProviderCall.operation, ProviderCall.status, func.count()
                ).group_by(ProviderCall.provider, ProviderCall.operation, ProviderCall.status)
            ):
                calls.add_metric([provider, operation, status], count)
            yield calls
            cost = CounterMetricFamily(
                "reelsmith_provider_cost_usd", "Estimated provider cost", labels=["provider"]
            )
            for provider, usd in session.execute(
                select(ProviderCall.provider, func.coalesce(func.sum(ProviderCall.cost_usd), 0.0)).group_by(
                    ProviderCall.provider
                )
            ):
                cost.add_metric([provider], float(usd))
            yield cost
        depth = GaugeMetricFamily("reelsmith_queue_depth", "Tasks waiting in the queue")
        depth.add_metric([], float(self.rt.huey.pending_count()))
        yield depth


def metrics_registry(rt: Runtime) -> CollectorRegistry:
    """A registry holding the database collector (one per app, so tests can build many apps)."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(rt))
    return registry
