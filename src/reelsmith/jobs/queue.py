"""Build the Huey instance from `REELSMITH_QUEUE_URL` and run consumers without signal hijacking.

A Redis queue lives in memory: a Redis restarted without persistence comes back empty. Enqueueing
rides out a short outage (it retries for a few seconds), and `queue_was_lost` lets the reaper notice
that the queue was emptied, so the work in flight is rebuilt from the database at once instead of
after the staleness period.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse, urlunparse

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from reelsmith.errors import ReelsmithError

log = logging.getLogger(__name__)

# How long an enqueue keeps trying while Redis does not answer (a restart takes about a second).
ENQUEUE_PATIENCE_S = 5.0
_ENQUEUE_RETRY_S = 0.25
# The key whose absence tells that Redis lost the queue (set once per Redis lifetime, never expires).
EPOCH_KEY = "huey.epoch.{name}"


class PatientRedisHuey(RedisHuey):  # type: ignore[misc]
    """A Redis-backed Huey whose enqueue waits out a short Redis outage instead of failing at once.

    The work an enqueue fails to hand over is not lost either way (the reaper finds it in the
    database), but a request that already committed should not turn into a 500 for a Redis restart.
    """

    patience_s = ENQUEUE_PATIENCE_S

    def enqueue(self, task: Any) -> Any:
        """Enqueue, retrying connection errors for up to `patience_s` seconds."""
        import redis

        deadline = time.monotonic() + self.patience_s
        while True:
            try:
                return super().enqueue(task)
            except (redis.ConnectionError, redis.TimeoutError) as e:
                if time.monotonic() >= deadline:
                    raise
                log.warning("queue unreachable (%s); enqueueing %s again", e, task.name)
                time.sleep(_ENQUEUE_RETRY_S)


def queue_was_lost(huey: Huey) -> bool:
    """Whether the queue's store came back empty since anyone last looked (a Redis restart), or was
    never looked at; True for one caller only per loss. Queues kept on disk or in this process: False."""
    if not isinstance(huey, RedisHuey):
        return False
    key = EPOCH_KEY.format(name=huey.name)
    return bool(huey.storage.conn.set(key, f"{time.time():.3f}", nx=True))


def redis_url(url: str) -> str | None:
    """The Redis connection URL of a Redis queue URL (without `?queue=`), None for other queues."""
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss", "unix"):
        return urlunparse(parsed._replace(query=""))
    return None


def build_huey(url: str) -> Huey:
    """A Huey instance for `url`: `sqlite:///path`, `redis://…` or `memory://`.

    A `?queue=NAME` parameter names the queue, so several deployments can share one Redis.
    """
    parsed = urlparse(url)
    name = parse_qs(parsed.query).get("queue", ["reelsmith"])[0]
    common = {"name": name, "results": False}
    if parsed.scheme == "sqlite":
        path = Path(parsed.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A generous lock timeout: two CLI runs and a server may share the file.
        return SqliteHuey(filename=str(path), timeout=30, **common)
    plain = redis_url(url)
    if plain is not None:
        return PatientRedisHuey(url=plain, **common)
    if parsed.scheme == "memory":
        return MemoryHuey(**common)
    raise ReelsmithError(f"queue URL scheme not supported: {parsed.scheme or url!r}", code="config")


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves the process's signal handlers alone.

    Huey's own consumer installs SIGINT/SIGTERM handlers, which only works from the main thread and
    would swallow the CLI's Ctrl-C; the embedding program decides when to stop instead.
    """

    def _set_signal_handlers(self) -> None:
        return None


def start_consumer(
    huey: Huey, workers: int, *, poll_max_delay_s: float = 0.5, shutdown_timeout_s: float | None = None
) -> EmbeddedConsumer:
    """Start worker threads and the scheduler in this process; call `.stop(graceful=True)` later, which
    waits for the running tasks (at most `shutdown_timeout_s` seconds, when given)."""
    consumer = EmbeddedConsumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        max_delay=poll_max_delay_s,
        scheduler_interval=1,
        check_worker_health=False,
        shutdown_timeout=shutdown_timeout_s,
    )
    consumer.start()
    log.info("queue consumer started with %d worker threads", workers)
    return consumer
