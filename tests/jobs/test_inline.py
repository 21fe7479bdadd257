"""The inline dispatcher: tasks run in the caller's thread, one after another, never nested."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import pytest

from reelsmith.jobs.inline import InlineDispatcher
from reelsmith.pipeline import clips, runner
from reelsmith.runtime import Runtime

Then = Callable[[str], object]


@dataclass
class Harness:
    """An inline dispatcher whose tasks are stand-ins that log (name, id, nesting depth, time)."""

    dispatch: InlineDispatcher
    log: list[tuple[str, str, int]] = field(default_factory=list)
    ran_at: dict[str, float] = field(default_factory=dict)
    depth: int = 0

    def task(self, name: str, then: Then | None = None) -> Callable[[Runtime, str], None]:
        def run(_rt: Runtime, some_id: str) -> None:
            self.depth += 1
            self.log.append((name, some_id, self.depth))
            self.ran_at[f"{name}:{some_id}"] = time.monotonic()
            try:
                if then is not None:
                    then(some_id)
            finally:
                self.depth -= 1

        return run


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> Harness:
    """advance(g) submits two scenes, submitting a scene polls it, and a poll ends the chain."""
    h = Harness(InlineDispatcher(cast(Runtime, object())))  # the stand-ins never touch the runtime

    def submit_both(generation_id: str) -> None:
        for name in "ab":
            h.dispatch.submit_scene(f"{generation_id}/{name}")

    monkeypatch.setattr(runner, "advance", h.task("advance", submit_both))
    monkeypatch.setattr(clips, "submit_scene", h.task("submit", h.dispatch.poll_scene))
    monkeypatch.setattr(clips, "poll_scene", h.task("poll"))
    return h


def test_tasks_run_at_once_in_queue_order_without_nesting(harness: Harness) -> None:
    harness.dispatch.advance("g")

    assert harness.log == [
        ("advance", "g", 1),
        ("submit", "g/a", 1),
        ("submit", "g/b", 1),
        ("poll", "g/a", 1),
        ("poll", "g/b", 1),
    ]


def test_a_delayed_task_waits_its_delay_and_lets_due_ones_go_first(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def submit(_rt: Runtime, scene_id: str) -> None:
        harness.dispatch.poll_scene("late", delay_s=0.2)
        harness.dispatch.poll_scene("soon")

    monkeypatch.setattr(clips, "submit_scene", submit)
    started = time.monotonic()
    harness.dispatch.submit_scene("s")

    assert [entry[1] for entry in harness.log] == ["soon", "late"]
    assert harness.ran_at["poll:late"] - started >= 0.2


def test_a_failing_task_reaches_the_caller_and_drops_the_rest(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_rt: Runtime, scene_id: str) -> None:
        harness.dispatch.poll_scene(scene_id)  # queued behind this task, then dropped with it
        raise RuntimeError("boom")

    monkeypatch.setattr(clips, "submit_scene", broken)
    with pytest.raises(RuntimeError, match="boom"):
        harness.dispatch.submit_scene("s")
    assert harness.log == []

    harness.dispatch.poll_scene("next")  # the dispatcher is usable again
    assert harness.log == [("poll", "next", 1)]
