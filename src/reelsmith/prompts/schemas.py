"""Pydantic models for the text tasks' replies, and the JSON schemas sent to LLMs.

The schema sent to a model is the *strictest common subset* that OpenAI strict mode, Gemini and
others accept: every object closed (`additionalProperties: false`), every property required, no
`$ref`, no defaults and no numeric/length/array-size keywords (several providers reject them).
Those bounds are stated in the field descriptions instead and enforced by `parse_reply`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

TASKS: tuple[str, ...] = ("story", "scenes", "enhance", "align", "transform", "variant")

MIN_SCENE_S = 2.0
MAX_SCENE_S = 12.0
MAX_SCENES = 50

# Replies are validated leniently on extra keys (a chatty model adding "notes" should not fail a
# step) but strictly on everything the pipeline reads.
_REPLY_CONFIG = ConfigDict(extra="ignore", str_strip_whitespace=True)

NonEmpty = Annotated[str, Field(min_length=1)]


class StoryDraft(BaseModel):
    """The story step's reply."""

    model_config = _REPLY_CONFIG

    title: str = Field(
        min_length=1, max_length=120, description="Title in title case, at most 120 characters."
    )
    logline: NonEmpty = Field(description="One sentence that sells the video.")
    story: NonEmpty = Field(description="The story in prose, one or two sentences per scene, in order.")
    style: NonEmpty = Field(description="One line: medium, era, palette, lighting and camera language.")


class SceneDraft(BaseModel):
    """One scene as written by the scenes step."""

    model_config = _REPLY_CONFIG

    description: NonEmpty = Field(description="Self-contained visual prompt for a text-to-video model.")
    negative_prompt: str = Field(description="Comma-separated things the video model must avoid.")
    duration_s: float = Field(
        ge=MIN_SCENE_S, le=MAX_SCENE_S, description="Length in seconds, between 2 and 12."
    )
    camera: str = Field(max_length=80, description="Camera movement or shot, e.g. 'slow push-in'.")
    on_screen_text: str = Field(
        max_length=80, description="Caption of at most 8 words (80 characters), or an empty string."
    )
    # Defaults to "" so a reply written before narration existed (or by a writer that leaves it out)
    # still reads; the schema sent to models requires it like every other field.
    narration: str = Field(
        default="",
        max_length=1000,
        description="Voice-over line spoken during the scene, about 2.5 words per second of duration_s, "
        "in the language of the brief; an empty string when narration is off or for a music video.",
    )


class SceneList(BaseModel):
    """The scenes step's reply."""

    model_config = _REPLY_CONFIG

    scenes: list[SceneDraft] = Field(
        min_length=1, max_length=MAX_SCENES, description="The scenes in story order, 1 to 50."
    )


class IndexedDescription(BaseModel):
    """A rewritten scene description, addressed by its zero-based position."""

    model_config = _REPLY_CONFIG

    index: int = Field(ge=0, description="Zero-based index of the scene being rewritten.")
    description: NonEmpty = Field(description="The rewritten visual prompt.")


class EnhancedScene(IndexedDescription):
    """One scene after the enhance step."""

    negative_prompt: str = Field(description="The improved comma-separated negative prompt.")


class Character(BaseModel):
    """A recurring character or hero object with a fixed appearance."""

    model_config = _REPLY_CONFIG

    name: NonEmpty = Field(description="Short name of the character or object.")
    appearance: NonEmpty = Field(description="Fixed appearance words reused in every scene.")


def _check_unique_indices(items: Sequence[IndexedDescription]) -> None:
    seen = [item.index for item in items]
    if len(set(seen)) != len(seen):
        raise ValueError(f"scene indices must be unique, got {seen}")


class EnhancedScenes(BaseModel):
    """The enhance step's reply."""

    model_config = _REPLY_CONFIG

    scenes: list[EnhancedScene] = Field(
        min_length=1, max_length=MAX_SCENES, description="Every scene, in the original order."
    )

    @model_validator(mode="after")
    def _unique(self) -> EnhancedScenes:
        _check_unique_indices(self.scenes)
        return self


class AlignedScenes(BaseModel):
    """The align step's reply: one shared style anchor, a cast sheet and the rewritten scenes."""

    model_config = _REPLY_CONFIG

    style_anchor: NonEmpty = Field(description="One sentence of at most 60 words shared by every scene.")
    characters: list[Character] = Field(
        max_length=8, description="Recurring characters and hero objects, at most 8."
    )
    scenes: list[IndexedDescription] = Field(
        min_length=1, max_length=MAX_SCENES, description="Every scene, in the original order."
    )

    @model_validator(mode="after")
    def _unique(self) -> AlignedScenes:
        _check_unique_indices(self.scenes)
        return self


REPLY_MODELS: dict[str, type[BaseModel]] = {
    "story": StoryDraft,
    "scenes": SceneList,
    "enhance": EnhancedScenes,
    "align": AlignedScenes,
    # Ad clone: the source ad rewritten as a story for the product, then each variant's scenes.
    "transform": StoryDraft,
    "variant": SceneList,
}

# Keywords some providers reject in strict/structured mode; the bounds live in descriptions.
_DROPPED_KEYWORDS = frozenset(
    {
        "title",
        "default",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "pattern",
    }
)


def reply_model(task: str) -> type[BaseModel]:
    """Return the pydantic model that validates `task`'s reply."""
    try:
        return REPLY_MODELS[task]
    except KeyError:
        raise ValueError(f"unknown text task {task!r}; expected one of {TASKS}") from None


def _strictify(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strictify(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        # Inline local references: Gemini's schema dialect has no $ref.
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        return _strictify(target, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS or key == "$defs":
            continue
        if key == "properties":
            out[key] = {name: _strictify(sub, defs) for name, sub in value.items()}
        else:
            out[key] = _strictify(value, defs)
    if out.get("type") == "object":
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out


_SCHEMAS: dict[str, dict[str, Any]] = {}


def json_schema_for(task: str) -> dict[str, Any]:
    """Return the strict-compatible JSON schema an LLM must follow for `task` (a fresh copy)."""
    if task not in _SCHEMAS:
        raw = reply_model(task).model_json_schema()
        _SCHEMAS[task] = _strictify(raw, raw.get("$defs", {}))
    return copy.deepcopy(_SCHEMAS[task])


def parse_reply(task: str, data: Mapping[str, Any] | str | bytes) -> BaseModel:
    """Validate a reply (parsed JSON or raw JSON text); pydantic's ValidationError propagates."""
    model = reply_model(task)
    if isinstance(data, str | bytes):
        return model.model_validate_json(data)
    return model.model_validate(dict(data))


def schema_name(task: str) -> str:
    """Return the schema name to send with `task`'s request (e.g. "SceneList")."""
    return reply_model(task).__name__
