"""What the drill checks once the load has drained: read from the database, the provider fake, the bucket
and the processes' scratch folders, never from what the fleet says about itself.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.drill_load import Watch
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.db.models import (
    Generation,
    LedgerEntry,
    ProviderCall,
    Scene,
    Step,
    User,
    Variant,
    utcnow,
)
from reelsmith.storage.collect import BLOB_CACHE_FOLDER
from reelsmith.vocabulary import CLIP_PRICE, TERMINAL_STATUSES, GenerationStatus, SceneStatus, StepStatus


@dataclass(frozen=True)
class Check:
    """One line of the drill's table."""

    name: str
    passed: bool
    figure: str


@dataclass(frozen=True)
class Outcome:
    """How the generations ended, and how long they took end to end (seconds)."""

    submitted: int
    completed: int
    failed: int
    failed_without_reason: int
    stuck: int
    seconds: tuple[float, ...]
    span_s: float  # first submission to last end
    reasons: tuple[str, ...]

    @property
    def throughput_per_min(self) -> float:
        """Completed generations per minute of the run."""
        return 60.0 * self.completed / self.span_s if self.span_s > 0 else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile (0..100) of the end-to-end times; 0 without any."""
        if not self.seconds:
            return 0.0
        if len(self.seconds) == 1:
            return self.seconds[0]
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[int(q) - 1]


def outcome(session: Session, generation_ids: list[str]) -> Outcome:
    """How the drill's generations ended."""
    gens = list(session.scalars(select(Generation).where(Generation.id.in_(generation_ids))))
    ended = [g for g in gens if g.status in TERMINAL_STATUSES and g.completed_at is not None]
    done = [g for g in gens if g.status == GenerationStatus.COMPLETED]
    failed = [g for g in gens if g.status == GenerationStatus.FAILED]
    seconds = tuple(sorted((g.completed_at - g.created_at).total_seconds() for g in done if g.completed_at))
    span = timedelta(0)
    if ended:
        span = max(g.completed_at for g in ended if g.completed_at) - min(g.created_at for g in gens)
    return Outcome(
        submitted=len(generation_ids),
        completed=len(done),
        failed=len(failed),
        failed_without_reason=sum(1 for g in failed if not (g.error_message or "").strip()),
        stuck=len(generation_ids) - len(ended),
        seconds=seconds,
        span_s=span.total_seconds(),
        reasons=tuple(sorted({g.error_message or "" for g in failed})),
    )


def duplicate_creates(
    session: Session, generation_ids: list[str], jobs: list[dict[str, str]]
) -> tuple[int, int]:
    """(scenes whose provider made more than one job, the extra jobs in all), by the fake's own book.

    A scene's submissions carry the key `clip:<scene id>:<attempt>`; the fake makes a job for a key once.
    """
    scenes = set(
        session.scalars(select(Scene.id).join(Variant).where(Variant.generation_id.in_(generation_ids)))
    )
    per_scene = Counter(job["key"].split(":")[1] for job in jobs if job["key"].startswith("clip:"))
    extra = {scene: n - 1 for scene, n in per_scene.items() if scene in scenes and n > 1}
    return len(extra), sum(extra.values())


def duplicate_histories(session: Session, jobs: list[dict[str, str]]) -> dict[str, str]:
    """For each scene the provider made more than one job for (by id): its jobs and its recorded
    submissions (key, sends, lookups, status, last error), so that a run that found one says how it came
    about."""
    keys_of: dict[str, list[str]] = defaultdict(list)
    for job in jobs:
        if job["key"].startswith("clip:"):
            keys_of[job["key"].split(":")[1]].append(f"{job['id']} under {job['key']}")
    lines: dict[str, str] = {}
    for scene_id, made in sorted(keys_of.items()):
        if len(made) < 2:
            continue
        calls = session.scalars(
            select(ProviderCall).where(ProviderCall.scene_id == scene_id).order_by(ProviderCall.id)
        )
        history = "; ".join(
            f"call {c.id} {c.operation} {c.idempotency_key} sends={c.sends} lookups={c.lookups} "
            f"status={c.status} external={c.external_id} error={c.error_message!r}"
            for c in calls
        )
        lines[scene_id] = f"scene {scene_id}: jobs {', '.join(made)} | {history}"
    return lines


def scenes_without_create(session: Session, generation_ids: list[str], jobs: list[dict[str, str]]) -> int:
    """Completed scenes the provider has no job for (a clip that came from nowhere)."""
    made = {job["key"].split(":")[1] for job in jobs if job["key"].startswith("clip:")}
    done = session.scalars(
        select(Scene.id)
        .join(Variant)
        .where(Variant.generation_id.in_(generation_ids), Scene.status == SceneStatus.COMPLETED)
    )
    return sum(1 for scene in done if scene not in made)


def uncertain_submits(session: Session, generation_ids: list[str]) -> tuple[int, int]:
    """Clip submissions whose answer was lost or failed unclearly, by how they were settled: the job
    found at the provider by a lookup, and sent again after lookups that found nothing."""
    rows = session.execute(
        select(ProviderCall.lookups, ProviderCall.sends).where(
            ProviderCall.generation_id.in_(generation_ids), ProviderCall.operation == "submit"
        )
    ).all()
    found = sum(1 for lookups, sends in rows if lookups and sends == 1)
    return found, sum(1 for _, sends in rows if sends > 1)


def ledger_differences(session: Session, generation_ids: list[str]) -> tuple[int, int]:
    """(users whose balance is not the sum of their ledger, generations whose net charge is not their
    delivered clips' price)."""
    users = 0
    for balance, total in session.execute(
        select(User.token_balance, func.coalesce(func.sum(LedgerEntry.delta), 0))
        .outerjoin(LedgerEntry, LedgerEntry.user_id == User.id)
        .group_by(User.id, User.token_balance)
    ):
        users += int(balance != total)
    net: dict[str, int] = defaultdict(int)
    for gid, delta in session.execute(
        select(LedgerEntry.generation_id, LedgerEntry.delta).where(
            LedgerEntry.generation_id.in_(generation_ids)
        )
    ):
        net[str(gid)] += delta
    delivered: dict[str, int] = defaultdict(int)
    for gid, count in session.execute(
        select(Variant.generation_id, func.count())
        .join(Scene)
        .where(Variant.generation_id.in_(generation_ids), Scene.status == SceneStatus.COMPLETED)
        .group_by(Variant.generation_id)
    ):
        delivered[str(gid)] = int(count)
    gens = sum(1 for gid in generation_ids if net[gid] != -CLIP_PRICE * delivered[gid])
    return users, gens


def watcher_misses(watches: list[Watch], final_of: dict[str, str]) -> tuple[int, int, int]:
    """(watchers that did not see their generation's final event, watchers that saw an event twice or
    out of order, reconnections in all)."""
    missed = sum(1 for w in watches if not w.final or w.final != _final_kind(final_of.get(w.generation_id)))
    disordered = sum(1 for w in watches if not w.in_order)
    reconnects = sum(max(0, w.connections - 1) for w in watches)
    return missed, disordered, reconnects


def _final_kind(status: str | None) -> str:
    return {"completed": "done", "failed": "failed", "canceled": "canceled"}.get(status or "", "?")


def temp_files(data_dirs: list[Path]) -> list[Path]:
    """What the processes' scratch folders still hold (the blob cache, a cache by design, aside)."""
    found: list[Path] = []
    for folder in data_dirs:
        scratch = folder / "tmp"
        if scratch.is_dir():
            found.extend(p for p in scratch.iterdir() if p.name != BLOB_CACHE_FOLDER)
    return found


def stuck_states(session: Session, generation_ids: list[str]) -> list[str]:
    """One line per generation that has not ended: where it stands (steps, variants, scenes), so that a
    failing run says what it found, not only how many."""
    now = utcnow()
    lines: list[str] = []
    unended = Generation.id.in_(generation_ids), Generation.status.not_in(TERMINAL_STATUSES)
    for gen in session.scalars(select(Generation).where(*unended)):
        steps = session.scalars(select(Step).where(Step.generation_id == gen.id))
        unfinished = [
            f"{s.name}={s.status}/{s.attempts}"
            + (f" beat {(now - s.heartbeat_at).total_seconds():.0f}s ago" if s.heartbeat_at else "")
            for s in steps
            if s.status != StepStatus.DONE
        ]
        parts = []
        for variant in gen.variants:
            scenes = ", ".join(
                f"{s.index}:{s.status}/{s.attempts}{'+speech' if s.speech_asset_id else ''}"
                f" {(now - s.updated_at).total_seconds():.0f}s"
                for s in variant.scenes
            )
            parts.append(f"{variant.kind}={variant.status} [{scenes}]")
        where = f"{gen.id[:8]} {gen.status} at '{gen.current_step}'"
        lines.append(f"{where}: steps {' '.join(unfinished)}; {'; '.join(parts)}")
    return lines
