"""What a client sends to create a generation."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

Mode = Literal["story", "video", "image", "music_video", "ad_clone"]
Intensity = Literal["soft", "medium", "aggressive", "ultra"]
AspectRatio = Literal["16:9", "9:16", "1:1"]
Transition = Literal["none", "fade", "dissolve", "wipeleft", "slideup"]

MAX_SCENES = 20


class ProviderChoice(BaseModel):
    """Failover chains per model kind, e.g. `openai,local`; empty means the configured default."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=200)
    image: str | None = Field(default=None, max_length=200)
    video: str | None = Field(default=None, max_length=200)


class GenerationCreate(BaseModel):
    """A request for a new generation."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = "story"
    prompt: str = Field(max_length=4000)
    title: str = Field(default="", max_length=200)
    scenes: int = Field(default=4, ge=1, le=MAX_SCENES)
    aspect_ratio: AspectRatio = "16:9"
    duration_s: float = Field(default=5.0, ge=2.0, le=12.0, description="Clip length in video mode.")
    transition: Transition = "none"
    reference_asset_ids: list[str] = Field(default_factory=list, max_length=4)
    song_asset_id: str | None = Field(default=None, max_length=64, description="The song (music video mode).")
    source_asset_id: str | None = Field(
        default=None,
        max_length=64,
        description="The source ad to re-make (ad clone mode): an uploaded video.",
    )
    variants: list[Intensity] = Field(
        default_factory=lambda: list(get_args(Intensity)),
        min_length=1,
        max_length=4,
        description="Ad clone intensities to make, four scenes each.",
    )
    providers: ProviderChoice = Field(default_factory=ProviderChoice)

    @field_validator("prompt")
    @classmethod
    def _prompt_has_words(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("title")
    @classmethod
    def _strip_title(cls, value: str) -> str:
        return value.strip()
