"""Fitting a clip request to what its model can take, before anything is sent or paid for.

A model accepts some durations, some frame shapes and a number of reference images (sometimes
only under conditions, like Veo 3.1's "references only at 16:9 and 8 s"). Fitting picks the
nearest allowed duration, keeps the references the model can use (the rest are dropped with a
plain sentence saying why) and refuses a frame shape the model cannot make (from a first frame or
from text alone, which some providers serve on another endpoint with fewer shapes). Adapters use the
same reference plan to decide which input field each image goes to, so the two never disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ClipRequest
from reelsmith.providers.catalogue import ModelEntry

# Providers whose request bodies are built from an entry's field names: a model without a field for
# an input does not get that input. Other adapters know their API's fields themselves.
DATA_DRIVEN = ("replicate", "fal")


@dataclass(frozen=True)
class ReferencePlan:
    """How a request's reference images reach the model."""

    as_references: int = 0  # how many go in the references field
    as_start: bool = False  # whether the first goes as the opening frame instead
    note: str = ""  # a plain sentence when some are not used ("" when all are)

    @property
    def used(self) -> int:
        """How many of the images are sent."""
        return self.as_references or (1 if self.as_start else 0)


@dataclass(frozen=True)
class Fit:
    """A request fitted to its model, with what changed said in plain sentences."""

    request: ClipRequest
    requested_s: float
    notes: tuple[str, ...] = ()

    @property
    def changed_duration(self) -> bool:
        """Whether the clip will be a different length than the scene asked for."""
        return abs(self.request.duration_s - self.requested_s) > 1e-6


def fitted_duration(entry: ModelEntry, seconds: float) -> float:
    """The allowed duration nearest `seconds`; on a tie the longer, so a scene is never cut short."""
    allowed = entry.capabilities.allowed_durations()
    if not allowed:
        return seconds
    return min(allowed, key=lambda a: (abs(a - seconds), -a))


def aspect_refusal(entry: ModelEntry, aspect: str, *, with_image: bool | None = None) -> str | None:
    """Why `entry`'s model cannot make frames of `aspect` with a start image, without one, or (None)
    either way; None when it can."""
    aspects = entry.capabilities.aspects_for(with_image)
    if not aspects or aspect in aspects:
        return None
    how = " from text alone" if with_image is False and entry.capabilities.text_aspects else ""
    return f"{entry.provider}:{entry.id} cannot make {aspect} clips{how} (it makes {', '.join(aspects)})"


def image_refusal(entry: ModelEntry, with_image: bool) -> str | None:
    """Why the model cannot make this clip without a start image, or None when it can."""
    if with_image or not entry.capabilities.needs_start_image:
        return None
    name = f"{entry.provider}:{entry.id}"
    return f"{name} needs a reference image (it animates a first frame) and this scene has none"


def reference_plan(entry: ModelEntry, aspect: str, duration_s: float, count: int) -> ReferencePlan:
    """Which of `count` reference images the model takes, and as what."""
    if count == 0:
        return ReferencePlan()
    caps, fields = entry.capabilities, entry.fields
    refs = caps.references
    name = f"{entry.provider}:{entry.id}"
    blocked = _reference_condition(entry, aspect, duration_s)
    takes_references = refs.max > 0 and (fields.references or entry.provider not in DATA_DRIVEN)
    if count > 1 and takes_references and blocked is None:
        taken = min(count, refs.max)
        extra = count - taken
        note = f"{name} takes at most {refs.max} reference images; {extra} were left out." if extra else ""
        return ReferencePlan(as_references=taken, note=note)
    starts = caps.start_image and (bool(fields.start_image) or entry.provider not in DATA_DRIVEN)
    if starts:
        if count == 1:
            return ReferencePlan(as_start=True)
        why = blocked or f"{name} takes only one image, as the opening frame"
        return ReferencePlan(as_start=True, note=f"Only the first reference image was used: {why}.")
    why = blocked or f"{name} does not take reference images"
    return ReferencePlan(note=f"The reference images were left out: {why}.")


def _reference_condition(entry: ModelEntry, aspect: str, duration_s: float) -> str | None:
    """Why the model's references field cannot be used for this frame shape and length, if it cannot."""
    refs = entry.capabilities.references
    name = f"{entry.provider}:{entry.id}"
    if refs.aspects and aspect not in refs.aspects:
        return f"{name} takes reference images only at {', '.join(refs.aspects)}"
    if refs.durations and not any(abs(duration_s - d) < 1e-6 for d in refs.durations):
        seconds = ", ".join(f"{d:g} s" for d in refs.durations)
        return f"{name} takes reference images only for clips of {seconds}"
    return None


def fit_clip(request: ClipRequest, entry: ModelEntry) -> Fit:
    """The request fitted to `entry`'s model; a permanent ProviderError when it cannot be fitted."""
    seconds = fitted_duration(entry, request.duration_s)
    plan = reference_plan(entry, request.aspect, seconds, len(request.reference_images))
    # Whether an image is sent decides the endpoint some providers use, and so the frame shapes.
    with_image = plan.used > 0
    refusal = aspect_refusal(entry, request.aspect, with_image=with_image) or image_refusal(entry, with_image)
    if refusal:
        raise ProviderError(refusal, permanent=True)
    notes: list[str] = []
    if abs(seconds - request.duration_s) > 1e-6:
        notes.append(
            f"The clip is {seconds:g} s instead of {request.duration_s:g} s: "
            f"{entry.provider}:{entry.id} makes clips of {_durations_text(entry)}."
        )
    if plan.note:
        notes.append(plan.note)
    fitted = dataclasses.replace(
        request, duration_s=seconds, reference_images=request.reference_images[: plan.used]
    )
    return Fit(fitted, request.duration_s, tuple(notes))


def _durations_text(entry: ModelEntry) -> str:
    durations = entry.capabilities.durations
    allowed = entry.capabilities.allowed_durations()
    if durations is not None and not isinstance(durations, tuple):
        return f"{durations.min:g} to {durations.max:g} s"
    return ", ".join(f"{d:g}" for d in allowed) + " s"
