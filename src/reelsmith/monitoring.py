"""What operators watch: a database round trip for health checks, and Prometheus figures.

The figures are read from the database at scrape time, so every process reports the shared truth.
Each family is aggregated in SQL by exactly the labels it exports: one sample per label set, as
Prometheus requires (a repeated series makes it reject the whole scrape). The queue's depth is asked of
the queue itself (Redis or SQLite), which every process shares too.

What an operator (or the fleet drill) watches: generations by status, their end-to-end time as a
histogram (p50/p95 by `histogram_quantile`, throughput by the rate of its count), scenes submitted
more than once, tokens charged and refunded, and the tasks waiting per queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, LedgerEntry, ProviderCall, Step
from reelsmith.db.timing import seconds_between
from reelsmith.vocabulary import GenerationStatus, StepStatus

if TYPE_CHECKING:
    from huey import Huey

    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# Upper bounds (seconds) of the end-to-end time histogram's buckets: a still image to a long story.
TIME_BUCKETS = (5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


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
            yield _generation_seconds(session)
            yield _resubmitted_scenes(session)
            yield _tokens(session)
        try:
            depth = queue_depth(self.rt.huey)
        except Exception:  # Redis away: the database's figures are still worth a scrape
            log.warning("queue depth unavailable", exc_info=True)
        else:
            yield depth


def _generation_seconds(session: Session) -> HistogramMetricFamily:
    """Completed generations' end-to-end times, bucketed in one query."""
    seconds = Generation.generation_time_seconds
    columns = [func.sum(case((seconds <= le, 1), else_=0)) for le in TIME_BUCKETS]
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(seconds), 0.0), *columns).where(
            Generation.status == GenerationStatus.COMPLETED, seconds.is_not(None)
        )
    ).one()
    count, total, counts = int(row[0]), float(row[1]), [int(n or 0) for n in row[2:]]
    buckets = [(str(float(le)), float(n)) for le, n in zip(TIME_BUCKETS, counts, strict=True)]
    family = HistogramMetricFamily(
        "reelsmith_generation_seconds", "End-to-end time of completed generations (start to finish)"
    )
    family.add_metric([], [*buckets, ("+Inf", float(count))], total)
    return family


def _resubmitted_scenes(session: Session) -> GaugeMetricFamily:
    """Scenes whose clip was submitted more than once (each submission after the first is paid again)."""
    per_scene = (
        select(ProviderCall.scene_id)
        .where(ProviderCall.operation == "submit", ProviderCall.scene_id.is_not(None))
        .group_by(ProviderCall.scene_id)
        .having(func.count() > 1)
        .subquery()
    )
    family = GaugeMetricFamily(
        "reelsmith_scenes_resubmitted", "Scenes whose clip was submitted more than once"
    )
    family.add_metric([], float(session.scalar(select(func.count()).select_from(per_scene)) or 0))
    return family


def _tokens(session: Session) -> CounterMetricFamily:
    """Tokens moved by the ledger, by reason (grant, charge, refund), as positive amounts."""
    family = CounterMetricFamily("reelsmith_tokens", "Tokens moved by the ledger", labels=["reason"])
    for reason, amount in session.execute(
        select(LedgerEntry.reason, func.coalesce(func.sum(func.abs(LedgerEntry.delta)), 0)).group_by(
            LedgerEntry.reason
        )
    ):
        family.add_metric([reason], float(amount))
    return family


def queue_depth(huey: Huey) -> GaugeMetricFamily:
    """Tasks waiting in the queue: ready to run now, and scheduled for later (delayed polls, backoffs)."""
    depth = GaugeMetricFamily(
        "reelsmith_queue_depth", "Tasks waiting in the queue, by queue and state", labels=["queue", "state"]
    )
    depth.add_metric([huey.name, "ready"], float(huey.pending_count()))
    depth.add_metric([huey.name, "scheduled"], float(huey.scheduled_count()))
    return depth


def metrics_registry(rt: Runtime) -> CollectorRegistry:
    """A registry holding the database collector (one per app, so tests can build many apps)."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(rt))
    return registry
