"""Reelsmith's queue tasks: thin wrappers that take ids and call the pipeline.

Tasks are registered per Huey instance (one per process), with explicit names so that a worker on
another machine resolves the same task whatever module path it was imported from.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from reelsmith.pipeline import clips, runner

if TYPE_CHECKING:
    from huey.api import TaskWrapper

    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


class QueueDispatcher:
    """Implements the pipeline's Dispatcher by enqueueing Huey tasks."""

    def __init__(self, advance: TaskWrapper, submit: TaskWrapper, poll: TaskWrapper) -> None:
        self._advance, self._submit, self._poll = advance, submit, poll

    def advance(self, generation_id: str) -> None:
        """Enqueue the runner for a generation."""
        self._advance(generation_id)

    def submit_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Enqueue a clip submission, after `delay_s` seconds when backing off."""
        if delay_s > 0:
            self._submit.schedule((scene_id,), delay=timedelta(seconds=delay_s))
        else:
            self._submit(scene_id)

    def poll_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Enqueue a poll, after `delay_s` seconds when the provider asked us to wait."""
        if delay_s > 0:
            self._poll.schedule((scene_id,), delay=timedelta(seconds=delay_s))
        else:
            self._poll(scene_id)


def register_tasks(rt: Runtime) -> QueueDispatcher:
    """Register the tasks on the runtime's Huey instance and return a dispatcher for them."""
    huey = rt.huey

    @huey.task(name="reelsmith.advance")  # type: ignore[untyped-decorator]
    def advance(generation_id: str) -> None:
        runner.advance(rt, generation_id)

    @huey.task(name="reelsmith.submit_scene")  # type: ignore[untyped-decorator]
    def submit_scene(scene_id: str) -> None:
        clips.submit_scene(rt, scene_id)

    @huey.task(name="reelsmith.poll_scene")  # type: ignore[untyped-decorator]
    def poll_scene(scene_id: str) -> None:
        clips.poll_scene(rt, scene_id)

    return QueueDispatcher(advance, submit_scene, poll_scene)
