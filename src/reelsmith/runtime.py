"""Everything a process needs to do Reelsmith work, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from huey import Huey

from reelsmith.config import Settings
from reelsmith.db.engine import Database
from reelsmith.db.migrate import upgrade
from reelsmith.pipeline.announcer import Announcer
from reelsmith.pipeline.dispatch import Dispatcher
from reelsmith.pipeline.unrecorded import LaterDiscards
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.storage import BlobStore, open_blob_store


@dataclass
class Runtime:
    """Settings plus the database, blob store, providers and queue they describe."""

    settings: Settings
    db: Database
    blobs: BlobStore
    providers: ProviderRegistry
    huey: Huey
    announcer: Announcer = field(default_factory=Announcer)
    dispatch: Dispatcher = field(init=False)
    later_discards: LaterDiscards = field(init=False)

    def __post_init__(self) -> None:
        self.later_discards = LaterDiscards(self)

    def close(self) -> None:
        """Stop background work and release connections."""
        self.later_discards.close()
        self.db.dispose()


def build_runtime(settings: Settings, *, migrate: bool = True, inline: bool = False) -> Runtime:
    """Create the data dir, migrate the database and register the queue's tasks.

    `inline` runs every task at once in the thread that dispatches it instead of enqueueing it
    (unit tests and one-shot tools that need no consumer).
    """
    from reelsmith.jobs.inline import InlineDispatcher
    from reelsmith.jobs.queue import build_huey, redis_url
    from reelsmith.jobs.tasks import register_tasks
    from reelsmith.pipeline.assets import sweep_released_blobs

    settings.ensure_data_dir()
    db = Database(settings.effective_database_url)
    if migrate:
        upgrade(db)
    runtime = Runtime(
        settings=settings,
        db=db,
        blobs=open_blob_store(
            settings.effective_storage_url,
            s3_endpoint_url=settings.s3_endpoint_url or None,
            scratch=settings.scratch_dir,
        ),
        providers=ProviderRegistry(settings),
        huey=build_huey(settings.effective_queue_url),
    )
    runtime.db.commit_hooks.append(runtime.announcer.after_commit)
    # Blobs replaced by a new render are deleted once the rows that released them are committed.
    sweep_released_blobs(runtime)
    wakeups = redis_url(settings.effective_queue_url)
    if wakeups is not None:
        runtime.announcer.publish_to_redis(wakeups)
    runtime.dispatch = InlineDispatcher(runtime) if inline else register_tasks(runtime)
    return runtime
