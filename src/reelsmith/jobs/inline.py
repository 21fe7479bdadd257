"""Running the pipeline's tasks in the caller's thread instead of a queue (unit tests, one-shot tools).

The first task dispatched on a thread runs at once; tasks it dispatches in turn wait until it
returns, so tasks never nest and run in the order a queue would hand them out. A delayed task runs
once its delay has passed. An exception ends the whole chain and reaches the first caller, where a
queue would only log it: a test sees the failure instead of a generation that never ends.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from reelsmith.pipeline import clips, runner, speech_task

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

Task = Callable[[], None]


class _Pending(threading.local):
    """One thread's tasks still to run, by due time, and whether that thread is running them."""

    def __init__(self) -> None:
        self.due: list[tuple[float, int, Task]] = []
        self.draining = False


class InlineDispatcher:
    """Implements the pipeline's Dispatcher by running each task in the dispatching thread."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._pending = _Pending()
        self._order = itertools.count()  # keeps tasks due at the same moment first-in, first-out

    def advance(self, generation_id: str) -> None:
        """Run the generation's next steps."""
        self._run(0.0, partial(runner.advance, self._rt, generation_id))

    def submit_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Submit a scene's clip, after `delay_s` seconds."""
        self._run(delay_s, partial(clips.submit_scene, self._rt, scene_id))

    def poll_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Look at a scene's provider job, after `delay_s` seconds."""
        self._run(delay_s, partial(clips.poll_scene, self._rt, scene_id))

    def speak_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Speak a scene's line, after `delay_s` seconds."""
        self._run(delay_s, partial(speech_task.speak_scene, self._rt, scene_id))

    def _run(self, delay_s: float, task: Task) -> None:
        pending = self._pending
        heapq.heappush(pending.due, (time.monotonic() + max(0.0, delay_s), next(self._order), task))
        if pending.draining:
            return  # the task running further up this thread's stack runs it next
        pending.draining = True
        try:
            while pending.due:
                due_at, _, next_task = heapq.heappop(pending.due)
                wait = due_at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)  # the delay a provider or a backoff asked for
                next_task()
        finally:
            pending.due.clear()
            pending.draining = False
