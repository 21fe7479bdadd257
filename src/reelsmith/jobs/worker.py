"""Running the queue consumer: embedded in another command, or as `reelsmith worker`.

A worker asked to stop (SIGTERM, SIGINT) takes no new tasks and lets the running ones finish for up
to `worker_shutdown_grace_s`; what is still running then is handed back (its steps released, its
task enqueued again) so that another worker carries on at once, before this process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reelsmith.db.models import ProviderCall, Scene, Variant
from reelsmith.jobs.housekeeping import HousekeepingThread
from reelsmith.jobs.queue import start_consumer
from reelsmith.jobs.reaper import ReaperThread, hand_back, reap_after_start
from reelsmith.logs import bind_fields, clear_task_fields, configure_logging, current_fields, set_task_fields

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

ADVANCE_TASK = "reelsmith.advance"


class RunningTasks:
    """The tasks this process is executing right now, kept by Huey's pre- and post-execute hooks."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._huey = huey = rt.huey
        self._lock = threading.Lock()
        self._running: dict[str, Any] = {}
        name = f"reelsmith-running-{id(self)}"
        huey.pre_execute(name)(self._started)
        huey.post_execute(name)(self._ended)
        self._hook = name

    def _started(self, task: Any) -> None:
        with self._lock:
            self._running[task.id] = task
        set_task_fields(task.name, task.args)
        if self._rt.settings.log_format == "json":
            _bind_scene_fields(self._rt)

    def _ended(self, task: Any, _value: Any, _exc: Exception | None) -> None:
        with self._lock:
            self._running.pop(task.id, None)
        clear_task_fields()

    def snapshot(self) -> list[Any]:
        """The tasks running now."""
        with self._lock:
            return list(self._running.values())

    def close(self) -> None:
        """Stop watching (the hooks are removed)."""
        self._huey.unregister_pre_execute(self._hook)
        self._huey.unregister_post_execute(self._hook)


# The provider calls a scene's task is about (a clip's submission, or its spoken line).
_TASK_OPERATION = {
    "reelsmith.submit_scene": "submit",
    "reelsmith.poll_scene": "submit",
    "reelsmith.speak_scene": "speech",
}


def _bind_scene_fields(rt: Runtime) -> None:
    """For a scene's task, also name its generation and its latest provider call of the task's kind in
    the log lines."""
    fields = current_fields()
    scene_id, operation = fields.get("scene_id"), _TASK_OPERATION.get(str(fields.get("task")))
    if scene_id is None or operation is None:
        return
    try:
        with rt.db.read() as session:
            generation_id = session.scalar(
                select(Variant.generation_id).join(Scene).where(Scene.id == scene_id)
            )
            call_id = session.scalar(
                select(ProviderCall.id)
                .where(ProviderCall.scene_id == scene_id, ProviderCall.operation == operation)
                .order_by(ProviderCall.id.desc())
                .limit(1)
            )
    except Exception:  # the task itself will meet (and report) whatever went wrong
        return
    bind_fields(generation_id=generation_id, provider_call_id=call_id)


def hand_back_running(rt: Runtime, tasks: list[Any]) -> int:
    """Release what `tasks` were doing and enqueue them again for another worker; returns how many."""
    handed = 0
    for task in tasks:
        try:
            if task.name == ADVANCE_TASK and task.args:
                hand_back(rt, str(task.args[0]))
            # Every task checks the state it finds, so running it again elsewhere is safe.
            rt.huey.enqueue(task)
            handed += 1
        except Exception:
            log.exception("could not hand back task %s %s", task.name, task.args)
    return handed


@contextmanager
def embedded_worker(rt: Runtime, workers: int | None = None) -> Iterator[None]:
    """Consume the queue in this process (threads) for the duration of the block.

    When the block ends, the running tasks get `worker_shutdown_grace_s` to finish; the ones still
    running after that are handed back to the queue.
    """
    configure_logging(rt.settings)
    reap_after_start(rt)  # pick up whatever a previous process (or a lost queue) left behind
    running = RunningTasks(rt)
    consumer = start_consumer(
        rt.huey, workers or rt.settings.workers, shutdown_timeout_s=rt.settings.worker_shutdown_grace_s
    )
    reaper = ReaperThread(rt, rt.settings.reaper_interval_s)
    reaper.start()
    # Retention and orphan collection, hourly; the first pass an hour in, so short runs never pay for it.
    housekeeping = HousekeepingThread(rt)
    housekeeping.start()
    try:
        yield
    finally:
        housekeeping.stop()
        reaper.stop()
        consumer.stop(graceful=True)
        left = running.snapshot()
        if left:
            log.warning("%d task(s) still running after the shutdown grace: handing them back", len(left))
            hand_back_running(rt, left)
        running.close()


def run_worker(rt: Runtime, workers: int | None = None) -> None:
    """Consume the queue until SIGINT or SIGTERM, then finish (or hand back) the running tasks and exit."""
    stop = threading.Event()

    def _request_stop(signum: int, _frame: object) -> None:
        log.info("signal %d received: stopping after the running tasks", signum)
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    with embedded_worker(rt, workers):
        stop.wait()
