"""The local text model: a deterministic template writer, not a language model.

It ignores `TextRequest.system`/`user` and works from `request.task` and `request.context`. The
context keys are the same names as the prompt templates' placeholders, so the pipeline builds one
dict and passes it both to `render_prompt` and as the context:

- ``story``:   ``prompt`` (str), ``title`` (str, may be empty), ``mode`` ("story" | "video" |
  "image" | "music_video"; any other value is written as a story), ``scene_count`` (int, 1-50).
- ``scenes``:  ``prompt`` (str), ``story`` (the StoryDraft dict), ``scene_count`` (int, 1-50),
  ``min_duration_s`` (float), ``max_duration_s`` (float), ``target_total_s`` (float or None,
  optional), ``mode`` (optional, as for story; "music_video" switches to song-section beats).
- ``enhance``: ``story`` (the StoryDraft dict), ``scenes`` (list of SceneDraft dicts).
- ``align``:   ``story`` (the StoryDraft dict), ``scenes`` (list of scene dicts with at least
  ``description``).
- ``transform``: ``prompt``, ``title``, ``scene_count``, ``source`` (what was measured on the source ad).
- ``variant``: ``prompt``, ``story`` (the transform's StoryDraft dict), ``intensity`` ("soft" |
  "medium" | "aggressive" | "ultra"), ``scene_count``, ``lengths_s`` (one length per scene).

``scenes`` and ``variant`` also read ``narration`` (bool, optional, default false): with it, each
scene's ``narration`` is an English line sized to the scene (about 2.5 words per second); without
it, or in a music video, ``narration`` is "".

Replies validate with `reelsmith.prompts.parse_reply(task, result.data)`. The same context always
gives the same reply (the seed is a hash of the prompt, or of the story for enhance/align).
A malformed context raises `ProviderError(permanent=True)`: retrying cannot fix it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reelsmith.errors import ProviderError
from reelsmith.prompts.schemas import MAX_SCENES
from reelsmith.providers.base import TextRequest, TextResult
from reelsmith.providers.local import adclone, writer
from reelsmith.vocabulary import CREATIVE_MODES, Intensity, Mode

INTENSITIES = tuple(Intensity)


def _require(context: Mapping[str, Any], key: str) -> Any:
    if key not in context:
        raise ProviderError(f"local text: context is missing {key!r}", permanent=True)
    return context[key]


def _scene_count(context: Mapping[str, Any]) -> int:
    count = _require(context, "scene_count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SCENES:
        raise ProviderError(
            f"local text: scene_count must be an int in 1..{MAX_SCENES}, got {count!r}", permanent=True
        )
    return count


def _optional_float(context: Mapping[str, Any], key: str) -> float | None:
    value = context.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProviderError(f"local text: {key} must be a number, got {value!r}", permanent=True)
    return float(value)


def _mapping(context: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = _require(context, key)
    if not isinstance(value, Mapping):
        raise ProviderError(f"local text: {key} must be an object", permanent=True)
    return value


def _scene_list(context: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    value = _require(context, "scenes")
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise ProviderError("local text: scenes must be a non-empty list", permanent=True)
    if not all(isinstance(scene, Mapping) for scene in value):
        raise ProviderError("local text: every scene must be an object", permanent=True)
    return value


def _intensity(context: Mapping[str, Any]) -> str:
    value = _require(context, "intensity")
    if value not in INTENSITIES:
        raise ProviderError(
            f"local text: intensity must be one of {', '.join(INTENSITIES)}, got {value!r}", permanent=True
        )
    return str(value)


def _lengths(context: Mapping[str, Any]) -> list[float]:
    value = _require(context, "lengths_s")
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ProviderError("local text: lengths_s must be a list of seconds", permanent=True)
    if not all(isinstance(x, int | float) and not isinstance(x, bool) and x > 0 for x in value):
        raise ProviderError("local text: every length in lengths_s must be a positive number", permanent=True)
    return [float(x) for x in value]


def _narration(context: Mapping[str, Any]) -> bool:
    value = context.get("narration", False)
    if not isinstance(value, bool):
        raise ProviderError(f"local text: narration must be true or false, got {value!r}", permanent=True)
    return value


def _mode(context: Mapping[str, Any]) -> str:
    # Lenient on purpose: a mode this writer has no arc for gets the story arc.
    mode = str(context.get("mode") or Mode.STORY)
    return mode if mode in CREATIVE_MODES else Mode.STORY


class LocalTextModel:
    """Writes stories and scene lists from templates; needs no key and no network."""

    name: str
    model: str = "local-template-v1"

    def __init__(self, *, name: str = "local") -> None:
        self.name = name

    def complete_json(self, request: TextRequest) -> TextResult:
        """Return the task's reply as JSON data, written from `request.context` by templates."""
        data = self._write(request.task, request.context)
        return TextResult(data=data, raw=json.dumps(data, ensure_ascii=False), model=self.model)

    def _write(self, task: str, ctx: Mapping[str, Any]) -> dict[str, Any]:
        if task == "story":
            return writer.write_story(
                str(_require(ctx, "prompt")),
                title=str(ctx.get("title") or ""),
                mode=_mode(ctx),
                scene_count=_scene_count(ctx),
            )
        if task == "scenes":
            try:
                return writer.write_scenes(
                    str(_require(ctx, "prompt")),
                    story=_mapping(ctx, "story"),
                    scene_count=_scene_count(ctx),
                    min_s=_optional_float(ctx, "min_duration_s"),
                    max_s=_optional_float(ctx, "max_duration_s"),
                    target_s=_optional_float(ctx, "target_total_s"),
                    mode=_mode(ctx),
                    narration=_narration(ctx),
                )
            except ValueError as e:  # contradictory duration bounds
                raise ProviderError(f"local text: {e}", permanent=True) from e
        if task == "enhance":
            return writer.enhance_scenes(_mapping(ctx, "story"), _scene_list(ctx))
        if task == "align":
            return writer.align_scenes(_mapping(ctx, "story"), _scene_list(ctx))
        if task == "transform":
            return adclone.transform(
                str(_require(ctx, "prompt")),
                title=str(ctx.get("title") or ""),
                scene_count=_scene_count(ctx),
                source=_mapping(ctx, "source"),
            )
        if task == "variant":
            return adclone.variant(
                str(_require(ctx, "prompt")),
                story=_mapping(ctx, "story"),
                intensity=_intensity(ctx),
                scene_count=_scene_count(ctx),
                lengths=_lengths(ctx),
                narration=_narration(ctx),
            )
        raise ProviderError(f"local text: unknown task {task!r}", permanent=True)
