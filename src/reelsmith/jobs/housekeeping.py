"""Housekeeping: retention of old failed work and unused uploads, and collection of orphaned files.

Run by every worker once an hour (and on demand by `reelsmith collect`). Every part is safe to run
from several processes at once: deleting what another pass already deleted is a no-op.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select

from reelsmith.db.models import Asset, Generation, utcnow
from reelsmith.errors import Conflict, NotFound
from reelsmith.generations.lifecycle import delete_generation
from reelsmith.generations.uploads import UPLOAD_KIND_PREFIX, _used_by_a_generation, delete_upload
from reelsmith.storage import LocalBlobStore
from reelsmith.storage.collect import (
    NamedKeys,
    Tally,
    collect_orphan_blobs,
    collect_temp_files,
    scratch_entries,
)
from reelsmith.vocabulary import GenerationStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# A blob or temp file younger than this may belong to a write or a render still in progress.
ORPHAN_GRACE_S = 3600.0
# How often a worker runs housekeeping.
HOUSEKEEPING_INTERVAL_S = 3600.0
# Retention deletes at most this many rows per question to the database.
_ROW_BATCH = 200
_EXPIRED_STATUSES = (GenerationStatus.FAILED, GenerationStatus.CANCELED)
_DAY = timedelta(days=1)
# Where keyset pagination starts: before every (timestamp, id).
_START = (datetime.min.replace(tzinfo=UTC), "")


@dataclass(frozen=True)
class HousekeepingReport:
    """What one pass deleted (or, in a dry run, would delete)."""

    generations: Tally
    uploads: Tally
    orphan_blobs: Tally
    temp_files: Tally

    @property
    def anything(self) -> bool:
        """Whether the pass found anything to delete."""
        return any(t.count for t in (self.generations, self.uploads, self.orphan_blobs, self.temp_files))


def housekeep(
    rt: Runtime, *, older_than_s: float = ORPHAN_GRACE_S, dry_run: bool = False
) -> HousekeepingReport:
    """Apply retention, then collect orphan blobs and temp files older than `older_than_s` seconds."""
    now = utcnow()
    generations = expire_failed_generations(rt, now=now, dry_run=dry_run)
    uploads = expire_unused_uploads(rt, now=now, dry_run=dry_run)
    grace_end = now - timedelta(seconds=older_than_s)
    report = HousekeepingReport(
        generations=generations,
        uploads=uploads,
        orphan_blobs=collect_orphan_blobs(rt.blobs, named_keys(rt), older_than=grace_end, dry_run=dry_run),
        temp_files=collect_temp_files(_temp_entries(rt), older_than=grace_end, dry_run=dry_run),
    )
    if report.anything:
        log.info("housekeeping%s: %s", " (dry run)" if dry_run else "", report)
    return report


def expire_failed_generations(rt: Runtime, *, now: datetime, dry_run: bool = False) -> Tally:
    """Delete the failed and canceled generations untouched for `retention_failed_days` (0: none)."""
    days = rt.settings.retention_failed_days
    if days == 0:
        return Tally()
    removed, after, before = Tally(), _START, now - days * _DAY
    while batch := _expired_generations(rt, before, after=after):
        for generation_id, _, size in batch:
            if dry_run or _delete_generation(rt, generation_id, before):
                removed = removed.add(size)
        after = batch[-1][1], batch[-1][0]
    return removed


def _expired_generations(
    rt: Runtime, before: datetime, *, after: tuple[datetime, str]
) -> list[tuple[str, datetime, int]]:
    """The next batch, after `after` (last touched, id), of (id, last touched, bytes of its assets) of
    the failed and canceled generations untouched since `before`."""
    stored = (
        select(func.coalesce(func.sum(Asset.bytes), 0))
        .where(Asset.generation_id == Generation.id)
        .scalar_subquery()
    )
    touched, last_id = after
    query = (
        select(Generation.id, Generation.updated_at, stored)
        .where(
            Generation.status.in_(_EXPIRED_STATUSES),
            Generation.updated_at < before,
            or_(
                Generation.updated_at > touched,
                and_(Generation.updated_at == touched, Generation.id > last_id),
            ),
        )
        .order_by(Generation.updated_at, Generation.id)
        .limit(_ROW_BATCH)
    )
    with rt.db.read() as session:
        return [(str(gid), at, int(size)) for gid, at, size in session.execute(query)]


def _delete_generation(rt: Runtime, generation_id: str, untouched_since: datetime) -> bool:
    """Delete one generation the way its owner would; False when another process got there first, or
    its owner retried it since it was chosen."""
    try:
        return delete_generation(rt, generation_id, untouched_since=untouched_since)
    except NotFound:
        return False


def expire_unused_uploads(rt: Runtime, *, now: datetime, dry_run: bool = False) -> Tally:
    """Delete the uploads older than `retention_uploads_days` that no generation uses (0: none)."""
    days = rt.settings.retention_uploads_days
    if days == 0:
        return Tally()
    removed, after = Tally(), _START
    while batch := _old_uploads(rt, now - days * _DAY, after=after):
        for asset_id, user_id, _, size in batch:
            if _delete_upload(rt, user_id, asset_id, dry_run=dry_run):
                removed = removed.add(size)
        after = batch[-1][2], batch[-1][0]
    return removed


def _old_uploads(
    rt: Runtime, before: datetime, *, after: tuple[datetime, str]
) -> list[tuple[str, str, datetime, int]]:
    """The next batch, after `after` (stored at, id), of (id, owner, stored at, bytes) of the uploads
    stored before `before`."""
    stored_at, last_id = after
    query = (
        select(Asset.id, Asset.user_id, Asset.created_at, Asset.bytes)
        .where(
            Asset.kind.startswith(UPLOAD_KIND_PREFIX, autoescape=True),
            Asset.created_at < before,
            or_(Asset.created_at > stored_at, and_(Asset.created_at == stored_at, Asset.id > last_id)),
        )
        .order_by(Asset.created_at, Asset.id)
        .limit(_ROW_BATCH)
    )
    with rt.db.read() as session:
        return [(str(a), str(u), at, int(b)) for a, u, at, b in session.execute(query)]


def _delete_upload(rt: Runtime, user_id: str, asset_id: str, *, dry_run: bool) -> bool:
    """Delete one upload as its owner would; False while a generation uses it (or when it is gone)."""
    if dry_run:
        with rt.db.read() as session:
            return not _used_by_a_generation(session, asset_id)
    try:
        delete_upload(rt, user_id, asset_id)
    except (Conflict, NotFound):
        return False
    return True


def named_keys(rt: Runtime) -> NamedKeys:
    """The question the collector asks: which of these keys do asset rows still need?

    A key is needed when a row names it, and also when it starts a longer key that a row names:
    blobs are deleted by prefix, and that deletion must not reach the longer one.
    """

    def needed(keys: Sequence[str]) -> set[str]:
        # One exact comparison per key length (substr(storage_key, 1, L) IN keys of length L) finds
        # both: a LIKE per key would cost a pattern match per row and key, and on PostgreSQL a range
        # comparison would follow the locale's collation rather than plain character order.
        by_length: dict[int, list[str]] = {}
        for key in keys:
            by_length.setdefault(len(key), []).append(key)
        starts = or_(*(func.substr(Asset.storage_key, 1, n).in_(ks) for n, ks in by_length.items()))
        with rt.db.read() as session:
            names = list(session.scalars(select(Asset.storage_key).where(starts)))
        beginnings = {name[:n] for name in names for n in by_length}
        return {key for key in keys if key in beginnings}

    return needed


def _temp_entries(rt: Runtime) -> Iterator[Path]:
    """The scratch folder's entries and the local store's unfinished writes."""
    yield from scratch_entries(rt.settings.scratch_dir)
    if isinstance(rt.blobs, LocalBlobStore):
        yield from rt.blobs.temp_files()


class HousekeepingThread(threading.Thread):
    """Runs `housekeep` every `interval_s` until stopped (the first pass after one interval)."""

    def __init__(self, rt: Runtime, interval_s: float = HOUSEKEEPING_INTERVAL_S) -> None:
        super().__init__(name="reelsmith-housekeeping", daemon=True)
        self._rt, self._interval = rt, interval_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Loop until `stop`; a failed pass is logged and tried again next period."""
        while not self._stop_event.wait(self._interval):
            try:
                housekeep(self._rt)
            except Exception:
                log.exception("housekeeping pass failed")

    def stop(self) -> None:
        """Ask the loop to end."""
        self._stop_event.set()
