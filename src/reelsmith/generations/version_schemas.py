"""Request and response shapes of a finished video's versions (edits re-stitched from stored clips)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from reelsmith.pipeline.cut import MAX_ON_SCREEN_TEXT, MAX_TRANSITION_S
from reelsmith.vocabulary import MAX_SCENES, Transition, VersionStatus


class SceneChange(BaseModel):
    """Changes to one scene of the video; fields left out are kept."""

    model_config = ConfigDict(extra="forbid")

    scene_id: str = Field(max_length=36)
    on_screen_text: str | None = Field(
        default=None,
        max_length=MAX_ON_SCREEN_TEXT,
        description="Text drawn over the scene in a band across its lower third; empty removes it. "
        "Text a provider drew into the picture itself stays.",
    )
    start_s: float | None = Field(default=None, ge=0, description="Where in its clip the scene starts.")
    duration_s: float | None = Field(default=None, gt=0, description="How long the scene plays (a trim).")
    clip_asset_id: str | None = Field(
        default=None, max_length=36, description="An uploaded video (`POST /api/uploads`) replacing the clip."
    )


class VersionEdit(BaseModel):
    """One edit of a finished video; everything given makes one new version together."""

    model_config = ConfigDict(extra="forbid")

    variant_id: str | None = Field(
        default=None, max_length=36, description="The variant to edit; the main one when left out."
    )
    scenes: list[SceneChange] = Field(default_factory=list, max_length=MAX_SCENES)
    remove: list[str] = Field(default_factory=list, max_length=MAX_SCENES, description="Scene ids to drop.")
    order: list[str] = Field(
        default_factory=list,
        max_length=MAX_SCENES,
        description="Every scene id of the cut, in the new order.",
    )
    transition: Transition | None = None
    transition_s: float | None = Field(default=None, gt=0, le=MAX_TRANSITION_S)
    soundtrack_asset_id: str | None = Field(
        default=None,
        max_length=36,
        description="An uploaded audio file to play instead of the clips' sound; null removes a soundtrack.",
    )


class CutSceneRead(BaseModel):
    """A scene as a version plays it."""

    scene_id: str
    position: int
    description: str
    clip_url: str | None
    clip_s: float = Field(description="The whole clip's length.")
    start_s: float
    duration_s: float
    on_screen_text: str = Field(description="Text the edit draws over the scene (empty: none).")
    narration: str = Field(default="", description="The line spoken over the scene (empty: silent).")


class CutRead(BaseModel):
    """What a version is stitched from."""

    scenes: list[CutSceneRead]
    transition: str
    transition_s: float
    soundtrack_url: str | None
    duration_s: float


class VersionRead(BaseModel):
    """One version of a finished video."""

    id: str
    number: int
    variant_id: str
    variant_kind: str
    status: VersionStatus
    current: bool = Field(description="Whether the player, library card and share links show this one.")
    change: str = Field(description="What changed, in words.")
    created_at: datetime
    completed_at: datetime | None
    video_url: str | None
    thumbnail_url: str | None
    preview_url: str | None
    captions_srt_url: str | None = Field(default=None, description="The version's captions (narrated).")
    captions_vtt_url: str | None = Field(default=None, description="The same captions as WebVTT.")
    duration_s: float | None
    tokens_charged: int
    error_message: str | None
    cut: CutRead


class VersionPage(BaseModel):
    """Every version of a generation's variants, newest first."""

    items: list[VersionRead]
