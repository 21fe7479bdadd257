"""How the pipeline asks for more work: a seam the queue implements (and tests can run inline)."""

from __future__ import annotations

from typing import Protocol


class Dispatcher(Protocol):
    """Enqueue the pipeline's tasks. Every task takes ids only and may run more than once."""

    def advance(self, generation_id: str) -> None:
        """Run the generation's next unfinished steps."""
        ...

    def submit_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Submit one scene's clip to its provider (after `delay_s` seconds)."""
        ...

    def poll_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Look at one scene's provider job after `delay_s` seconds."""
        ...

    def speak_scene(self, scene_id: str, delay_s: float = 0.0) -> None:
        """Speak one scene's line (beside its clip, never after it), after `delay_s` seconds."""
        ...
