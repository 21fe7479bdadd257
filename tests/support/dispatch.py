"""A dispatcher that only notes what it is asked to run: a test sees the tasks one call handed out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recorder:
    """A Dispatcher that notes what it is asked to run."""

    advanced: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    polled: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)

    def advance(self, generation_id: str) -> None:
        self.advanced.append(generation_id)

    def submit_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        self.submitted.append(scene_id)

    def poll_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        self.polled.append(scene_id)

    def speak_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        self.spoken.append(scene_id)

    def clear(self) -> None:
        self.advanced.clear()
        self.submitted.clear()
        self.polled.clear()
        self.spoken.clear()
