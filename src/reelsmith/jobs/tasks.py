"""Reelsmith's queue tasks: thin wrappers that take ids and call the pipeline.

Tasks are registered per Huey instance (one per process), with explicit names so that a worker on
another machine resolves the same task whatever module path it was imported from.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reelsmith.pipeline import clips, runner, speech_task

if TYPE_CHECKING:
    from huey.api import TaskWrapper

    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


class QueueDispatcher:
    """Implements the pipeline's Dispatcher by enqueueing Huey tasks."""

    def __init__(
        self, advance: TaskWrapper, submit: TaskWrapper, poll: TaskWrapper, speak: TaskWrapper
    ) -> None:
        self._advance, self._submit, self._poll, self._speak = advance, submit, poll, speak

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

    def speak_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Enqueue the speaking of a scene's line, after `delay_s` seconds when a service was down."""
        if delay_s > 0:
            self._speak.schedule((scene_id,), delay=timedelta(seconds=delay_s))
        else:
            self._speak(scene_id)

    # Tasks of the finished-video workflows, set by `register_tasks` (the versions and publishing
    # services look for these methods and run the work themselves under the inline dispatcher).
    _render_version: TaskWrapper | None = None
    _publish_due: TaskWrapper | None = None

    def render_version(self, version_id: str) -> None:
        """Enqueue the re-stitch of one version of a finished video."""
        if self._render_version is not None:
            self._render_version(version_id)

    def publish_due_at(self, at: datetime) -> None:
        """Enqueue the publishing of scheduled generations to run at `at` (any worker may run it)."""
        if self._publish_due is not None:
            self._publish_due.schedule(eta=at)


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

    @huey.task(name="reelsmith.speak_scene")  # type: ignore[untyped-decorator]
    def speak_scene(scene_id: str) -> None:
        speech_task.speak_scene(rt, scene_id)

    dispatcher = QueueDispatcher(advance, submit_scene, poll_scene, speak_scene)

    @huey.task(name="reelsmith.render_version")  # type: ignore[untyped-decorator]
    def render_version(version_id: str) -> None:
        from reelsmith.generations.version_making import render_version as render

        render(rt, version_id)

    @huey.task(name="reelsmith.publish_due")  # type: ignore[untyped-decorator]
    def publish_due() -> None:
        from reelsmith.feed.scheduling import publish_due as publish

        publish(rt)

    dispatcher._render_version, dispatcher._publish_due = render_version, publish_due
    return dispatcher
