"""Build the Huey instance from `REELSMITH_QUEUE_URL` and run consumers without signal hijacking."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlparse, urlunparse

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from reelsmith.errors import ReelsmithError

log = logging.getLogger(__name__)


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
        return RedisHuey(url=plain, **common)
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


def start_consumer(huey: Huey, workers: int, *, poll_max_delay_s: float = 0.5) -> EmbeddedConsumer:
    """Start worker threads and the scheduler in this process; call `.stop(graceful=True)` later."""
    consumer = EmbeddedConsumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        max_delay=poll_max_delay_s,
        scheduler_interval=1,
        check_worker_health=False,
    )
    consumer.start()
    log.info("queue consumer started with %d worker threads", workers)
    return consumer
