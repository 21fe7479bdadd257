"""How long a running generation has left, estimated from how long the same work took before.

The estimate is the sum, over the steps not yet done, of the median duration of that step in recent
runs of the same mode (the last `HISTORY` finished of each), less the time already spent in the
running step. The clip-making step is timed by the median clip of the provider and model this
generation's clips go to (from their recorded calls), once it has submitted any; before that, by the
clips step itself. With no history for a step still to run there is nothing honest to say: None.

Medians are computed in SQL (window functions, which SQLite and PostgreSQL both have), so an estimate
costs two aggregate queries whatever the size of the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, ProviderCall, Scene, Step, utcnow
from reelsmith.db.timing import seconds_between
from reelsmith.vocabulary import TERMINAL_STATUSES, StepStatus

HISTORY = 20  # finished runs of each step (or clips of each provider/model) the median looks at
CLIPS_STEP = "clips"


class StepState(Protocol):
    """What the estimate needs of one of the generation's steps (a `StepRead` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def started_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class StepRow:
    """One step of a generation as read for the estimate alone."""

    name: str
    status: str
    started_at: datetime | None


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _medians(samples: Select[Any]) -> Select[Any]:
    """Median `seconds` per `key` over each key's `HISTORY` latest samples (by `at`).

    `samples` selects columns labelled key, seconds and at. The median is the middle sample, or
    the mean of the two middle ones, found by numbering the samples in order of duration.
    """
    raw = samples.subquery()
    recent = select(
        raw.c.key,
        raw.c.seconds,
        func.row_number().over(partition_by=raw.c.key, order_by=raw.c.at.desc()).label("age"),
    ).subquery()
    ranked = (
        select(
            recent.c.key,
            recent.c.seconds,
            func.row_number().over(partition_by=recent.c.key, order_by=recent.c.seconds).label("pos"),
            func.count().over(partition_by=recent.c.key).label("n"),
        )
        .where(recent.c.age <= HISTORY)
        .subquery()
    )
    middle = or_(ranked.c.pos == (ranked.c.n + 1) // 2, ranked.c.pos == (ranked.c.n + 2) // 2)
    return select(ranked.c.key, func.avg(ranked.c.seconds)).where(middle).group_by(ranked.c.key)


def step_medians(session: Session, mode: str, names: Sequence[str]) -> dict[str, float]:
    """The median duration of each named step over its recent finished runs in generations of `mode`."""
    seconds = seconds_between(Step.started_at, Step.finished_at, _is_sqlite(session))
    samples = (
        select(Step.name.label("key"), seconds.label("seconds"), Step.finished_at.label("at"))
        .join(Generation, Generation.id == Step.generation_id)
        .where(
            Generation.mode == mode,
            Step.name.in_(names),
            Step.status == StepStatus.DONE,
            Step.started_at.is_not(None),
            Step.finished_at.is_not(None),
        )
    )
    return {name: float(value) for name, value in session.execute(_medians(samples))}


def clip_median(session: Session, generation_id: str) -> float | None:
    """The median clip time of the provider and model this generation's latest clip call went to.

    A clip's time runs from its call being recorded to its scene completing; only the call whose job
    made the scene's current clip counts, so a re-rendered scene is not timed from its first call.
    None when the generation has sent no clip yet, or its provider and model have no finished clip.
    """
    latest = (
        select(ProviderCall.provider, ProviderCall.model)
        .where(ProviderCall.generation_id == generation_id, ProviderCall.scene_id.is_not(None))
        .order_by(ProviderCall.id.desc())
        .limit(1)
        .subquery()
    )
    seconds = seconds_between(ProviderCall.created_at, Scene.completed_at, _is_sqlite(session))
    samples = (
        select(ProviderCall.provider.label("key"), seconds.label("seconds"), Scene.completed_at.label("at"))
        .join(Scene, Scene.id == ProviderCall.scene_id)
        .join(latest, (latest.c.provider == ProviderCall.provider) & (latest.c.model == ProviderCall.model))
        .where(Scene.completed_at.is_not(None), Scene.provider_job_id == ProviderCall.external_id)
    )
    value = session.execute(_medians(samples)).first()
    return float(value[1]) if value is not None else None


def _elapsed(step: StepState, now: datetime) -> float:
    """Seconds already spent in a running step (none for a step that is not running)."""
    if step.status != StepStatus.RUNNING or step.started_at is None:
        return 0.0
    return max(0.0, (now - step.started_at).total_seconds())


def estimate(
    session: Session, gen: Generation, steps: Sequence[StepState], now: datetime | None = None
) -> float | None:
    """Seconds the generation has left, or None when it has ended or a step to run has no history."""
    if gen.status in TERMINAL_STATUSES:
        return None
    remaining = [s for s in steps if s.status != StepStatus.DONE]
    if not remaining:
        return 0.0
    medians = step_medians(session, gen.mode, sorted({s.name for s in remaining}))
    if any(s.name == CLIPS_STEP for s in remaining):
        per_clip = clip_median(session, gen.id)
        if per_clip is not None:
            # The scenes go out together and render side by side: the step takes about one clip's time.
            medians[CLIPS_STEP] = per_clip
    if any(s.name not in medians for s in remaining):
        return None
    now = now or utcnow()
    left = sum(max(0.0, medians[s.name] - _elapsed(s, now)) for s in remaining)
    return round(left, 1)


def estimate_for(session: Session, gen: Generation) -> float | None:
    """`estimate` for a generation whose steps are not loaded yet (progress events, the CLI)."""
    if gen.status in TERMINAL_STATUSES:
        return None
    rows = session.execute(
        select(Step.name, Step.status, Step.started_at).where(Step.generation_id == gen.id)
    )
    return estimate(session, gen, [StepRow(name, status, start) for name, status, start in rows])


def eta_words(seconds: float | None) -> str:
    """The estimate as people say it ("about 40 s left", "about 3 min left"), or "" without one."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"
