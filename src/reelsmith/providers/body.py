"""Request bodies built from a catalogue entry's field names (Replicate predictions, fal queue).

Models on these platforms name the same input differently (`image`, `start_image`,
`first_frame_image`, `image_url`, `start_image_url`; `duration` as 8, "8" or "8s"), so the body is
assembled from data: a model added to a user catalogue works without code that names it.
"""

from __future__ import annotations

from typing import Any

from reelsmith.providers.base import ClipRequest
from reelsmith.providers.catalogue import ModelEntry
from reelsmith.providers.fitting import fitted_duration, reference_plan
from reelsmith.providers.inputs import clip_prompt, data_uri


def duration_value(entry: ModelEntry, seconds: float) -> int | float | str:
    """The duration as the model's field wants it: a number, a numeric string, or "8s"."""
    allowed = (
        fitted_duration(entry, seconds) if entry.capabilities.allowed_durations() else max(1, round(seconds))
    )
    number: int | float = int(allowed) if float(allowed).is_integer() else allowed
    fmt = entry.fields.duration_format
    if fmt == "seconds_suffix":
        return f"{number}s"
    return str(number) if fmt == "string" else number


def frame_aspect(entry: ModelEntry, aspect: str) -> str:
    """The aspect to send: the requested one, or the model's first when it cannot make that one.

    The pipeline refuses such a request before it gets here; this keeps direct callers working.
    """
    aspects = entry.capabilities.aspects
    return aspect if not aspects or aspect in aspects else aspects[0]


def clip_body(request: ClipRequest, entry: ModelEntry, *, provider: str) -> dict[str, Any]:
    """The model input of one clip request, with the entry's field names."""
    fields = entry.fields
    body: dict[str, Any] = {fields.prompt: clip_prompt(request, with_negative=not fields.negative_prompt)}
    aspect = frame_aspect(entry, request.aspect)
    if fields.aspect:
        body[fields.aspect] = aspect
    if fields.duration:
        body[fields.duration] = duration_value(entry, request.duration_s)
    if fields.seed:
        body[fields.seed] = request.seed
    if fields.negative_prompt and request.negative_prompt:
        body[fields.negative_prompt] = request.negative_prompt
    refs = request.reference_images
    plan = reference_plan(entry, aspect, fitted_duration(entry, request.duration_s), len(refs))
    if plan.as_references:
        body[fields.references] = [data_uri(p, provider=provider) for p in refs[: plan.as_references]]
    elif plan.as_start:
        body[fields.start_image] = data_uri(refs[0], provider=provider)
    return body
