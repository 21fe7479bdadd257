"""Wake event-stream readers when a generation's events are committed, instead of having them poll.

``record_event`` notes the generation in its session; once that transaction commits, the ids are
announced to the streams waiting in this process and, when the queue runs on Redis, published so that
servers on other machines wake their streams too. Streams still look at the table every few seconds, so
a lost announcement delays an update, it never loses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

TOUCHED = "reelsmith.touched_generations"  # key in Session.info
CHANNEL = "reelsmith:events"


def note_touched(info: dict[str, Any], generation_id: str) -> None:
    """Remember, in a session's info, that the transaction wrote events of ``generation_id``."""
    info.setdefault(TOUCHED, set()).add(generation_id)


class Announcer:
    """Per-process registry of waiting streams, woken from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._publish: Callable[[Iterable[str]], None] | None = None

    def after_commit(self, info: Mapping[str, Any]) -> None:
        """Database commit hook: announce the generations the transaction wrote events for."""
        touched = info.get(TOUCHED)
        if touched:
            self.wake(touched)
            if self._publish is not None:
                try:
                    self._publish(touched)
                except Exception:  # streams fall back to looking at the table
                    log.warning("could not publish event wake-ups", exc_info=True)

    def wake(self, generation_ids: Iterable[str]) -> None:
        """Wake the streams of these generations in this process."""
        with self._lock:
            targets = [w for gid in generation_ids for w in self._waiting.get(gid, ())]
        for loop, event in targets:
            with contextlib.suppress(RuntimeError):  # the stream's loop has closed
                loop.call_soon_threadsafe(event.set)

    @contextmanager
    def listen(self, generation_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``generation_id`` gets new events, for the running loop's stream."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.setdefault(generation_id, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                waiting = self._waiting.get(generation_id, set())
                waiting.discard(entry)
                if not waiting:
                    self._waiting.pop(generation_id, None)

    def publish_to_redis(self, url: str) -> None:
        """Also publish every wake-up on Redis, for servers in other processes."""
        import redis

        client = redis.Redis.from_url(url)

        def publish(generation_ids: Iterable[str]) -> None:
            for gid in generation_ids:
                client.publish(CHANNEL, gid)

        self._publish = publish

    def subscribe_to_redis(self, url: str) -> None:
        """Wake local streams for events committed by other processes (a daemon thread)."""
        thread = threading.Thread(target=self._subscribe, args=(url,), name="event-wakeups", daemon=True)
        thread.start()

    def _subscribe(self, url: str) -> None:
        import redis

        while True:
            try:
                pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    data = message.get("data")
                    if isinstance(data, bytes):
                        self.wake([data.decode()])
            except Exception:  # reconnect: Redis restarted or the network blinked
                log.warning("event wake-up subscription lost; reconnecting", exc_info=True)
                threading.Event().wait(1.0)
