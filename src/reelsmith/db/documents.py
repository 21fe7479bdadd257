"""The two JSON documents a generation row carries, typed: what the user asked for, and what the run did.

`params` is written once, when the generation is created, and only read afterwards. `run_state` is
written by the pipeline and the lifecycle services while the generation runs (its run number and what
that run was charged for, the style line the writer settled on, the picked variant, a regeneration's
backup). Keeping them apart means a retry or a regeneration can never overwrite an input.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from reelsmith.vocabulary import AspectRatio, CaptionMode, Intensity, Transition


class GenerationParams(BaseModel):
    """What the user asked for (the `params` column); fixed once the generation exists."""

    # Unknown keys are ignored so that a row written by a newer version still reads.
    model_config = ConfigDict(frozen=True, extra="ignore")

    scene_count: int = Field(default=0, description="Scenes per variant.")
    aspect_ratio: AspectRatio | None = None
    duration_s: float | None = Field(default=None, description="Clip length in video mode.")
    transition: Transition = Transition.NONE
    transition_s: float = 0.5
    target_total_s: float | None = Field(default=None, description="Length the writer aims for.")
    reference_asset_ids: tuple[str, ...] = ()
    # Failover chains as the user gave them (`openai,local`); None: the configured default.
    text_provider: str | None = None
    image_provider: str | None = None
    video_provider: str | None = None
    song_asset_id: str | None = None
    song_duration_s: float | None = None
    source_asset_id: str | None = None
    source_duration_s: float | None = None
    variants: tuple[Intensity, ...] = Field(default=(), description="Ad clone intensities, in order.")
    asset_ids: tuple[str, ...] = Field(default=(), description="Stitch jobs: the user's clips, in order.")
    narration: bool = Field(default=False, description="Each scene speaks a line written for it.")
    voice: str = Field(default="", description="The speech provider's voice; empty: its default voice.")
    captions: CaptionMode = Field(default=CaptionMode.OFF, description="What becomes of the spoken words.")
    caption_style: str = Field(default="bold", description="How burned-in captions look.")
    speech_provider: str | None = None


class RegenerationBackup(BaseModel):
    """The clip a scene had before it was re-rendered, restored if the new render fails."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scene_id: str
    clip_asset_id: str | None
    thumbnail_asset_id: str | None
    charged: bool
    delivered_asset_id: str | None = None


class RevoiceBackup(BaseModel):
    """A scene's spoken line before its owner re-voiced it, restored if the new one cannot be made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scene_id: str
    variant_id: str
    narration: str
    voice: str
    speech_asset_id: str | None
    words: tuple[dict[str, str | float], ...] = ()
    charged: int = Field(default=0, description="Tokens the re-voice was charged (refunded if it fails).")


class RunState(BaseModel):
    """What the pipeline has recorded about the generation (the `run_state` column)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: int = Field(default=1, description="Which run this is: a retry or a regeneration starts a new one.")
    paid_clips: int = Field(default=0, description="Clips this run was charged for.")
    clips_delivered_before_run: int = Field(default=0, description="Clips finished before this run began.")
    style_anchor: str = Field(default="", description="The writer's style line, added to every clip prompt.")
    image_asset_id: str | None = Field(default=None, description="Image mode: the picture.")
    image_provider_used: str | None = None
    best_variant: str | None = Field(default=None, description="Ad clone: the best-scored variant's kind.")
    regenerating: RegenerationBackup | None = None
    revoicing: RevoiceBackup | None = None
