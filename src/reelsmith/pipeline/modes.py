"""Which steps each mode runs, in order, and how far the progress bar stands after each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelsmith.vocabulary import Mode


@dataclass(frozen=True)
class StepDef:
    """A pipeline step: its name, what the user sees while it runs, and progress when done."""

    name: str
    label: str
    progress: int
    fan_out: bool = False  # the step's work runs as one queue task per scene


STEPS: dict[Mode, tuple[StepDef, ...]] = {
    Mode.STORY: (
        StepDef("story", "Writing the story", 30),
        StepDef("scenes", "Splitting into scenes", 55),
        StepDef("enhance", "Enhancing scene prompts", 60),
        StepDef("align", "Aligning characters and style", 65),
        StepDef("clips", "Generating clips", 95, fan_out=True),
        StepDef("stitch", "Stitching the final video", 99),
        StepDef("thumbnail", "Making the thumbnail", 100),
    ),
    Mode.VIDEO: (
        StepDef("prepare", "Preparing the scene", 10),
        StepDef("clips", "Generating the clip", 90, fan_out=True),
        StepDef("stitch", "Finishing the video", 95),
        StepDef("thumbnail", "Making the thumbnail", 100),
    ),
    Mode.IMAGE: (StepDef("image", "Generating the image", 100),),
    # The song sets the length, the number of scenes and where they cut; it is the soundtrack.
    Mode.MUSIC_VIDEO: (
        StepDef("audio", "Listening to the song", 10),
        StepDef("story", "Writing the story", 30),
        StepDef("scenes", "Splitting into scenes", 55),
        StepDef("enhance", "Enhancing scene prompts", 60),
        StepDef("align", "Aligning characters and style", 65),
        StepDef("clips", "Generating clips", 95, fan_out=True),
        StepDef("stitch", "Cutting to the song", 99),
        StepDef("thumbnail", "Making the thumbnail", 100),
    ),
    # The source ad sets the pacing; each requested intensity becomes a variant of four scenes.
    Mode.AD_CLONE: (
        StepDef("source", "Studying the source ad", 10),
        StepDef("transform", "Rewriting it for your product", 25),
        StepDef("variants", "Writing the variants", 40),
        StepDef("clips", "Generating clips", 90, fan_out=True),
        StepDef("stitch", "Stitching the variants", 94),
        StepDef("thumbnail", "Making the thumbnails", 97),
        StepDef("evaluate", "Scoring the variants", 100),
    ),
    # Stitching clips a user already has: the scenes arrive complete, only the finishing runs.
    Mode.STITCH: (
        StepDef("stitch", "Stitching the clips", 90),
        StepDef("thumbnail", "Making the thumbnail", 100),
    ),
}

# Progress moves from the step before `clips` to the `clips` figure as scenes finish.
CLIPS_START: dict[str, int] = {Mode.STORY: 65, Mode.VIDEO: 10, Mode.MUSIC_VIDEO: 65, Mode.AD_CLONE: 40}


# Modes whose writer drafts scenes that a user may review before any clip is paid for (`review: true`).
# Video mode's one scene is the prompt itself and image mode has no scenes: neither has a storyboard.
REVIEWABLE_MODES: frozenset[Mode] = frozenset({Mode.STORY, Mode.MUSIC_VIDEO, Mode.AD_CLONE})
# The step a review holds back until the owner approves: the first one that costs clips.
REVIEW_GATE = "clips"
# What the gate step's row carries in its output while held, and once released.
_REVIEW_KEY = "review"
_HELD, _APPROVED = "held", "approved"


def review_hold() -> dict[str, Any]:
    """The output a gate step's row is created with when the storyboard is to be reviewed first."""
    return {_REVIEW_KEY: _HELD}


def review_released(output: dict[str, Any] | None) -> dict[str, Any]:
    """The gate step's output once the owner approved the storyboard (whatever else it held is kept)."""
    return {**(output or {}), _REVIEW_KEY: _APPROVED}


def is_held(output: dict[str, Any] | None) -> bool:
    """Whether a step row with this output waits for the owner's approval."""
    return output is not None and output.get(_REVIEW_KEY) == _HELD


def steps_for(mode: str) -> tuple[StepDef, ...]:
    """The ordered steps of `mode`."""
    return STEPS[Mode(mode)]


def step_def(mode: str, name: str) -> StepDef:
    """The definition of one step of `mode`."""
    return next(s for s in STEPS[Mode(mode)] if s.name == name)
