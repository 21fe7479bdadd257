"""What a client sends to create a generation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from reelsmith.pipeline.modes import REVIEWABLE_MODES
from reelsmith.vocabulary import (
    CREATIVE_MODES,
    MAX_SCENES,
    NARRATED_MODES,
    AspectRatio,
    CaptionMode,
    Intensity,
    Mode,
    Transition,
)

# The caption looks a burn-in can take (the media layer's styles, listed here for the schema).
CAPTION_STYLES = ("bold", "clean")


class ProviderChoice(BaseModel):
    """Failover chains per model kind, e.g. `openai,local`; empty means the configured default."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=200)
    image: str | None = Field(default=None, max_length=200)
    video: str | None = Field(default=None, max_length=200)
    speech: str | None = Field(default=None, max_length=200)


class GenerationCreate(BaseModel):
    """A request for a new generation."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(
        default=Mode.STORY,
        # Stitch jobs have their own request (`POST /api/stitch`); a prompt asks for one of these.
        json_schema_extra={"enum": [m.value for m in CREATIVE_MODES]},
    )
    prompt: str = Field(max_length=4000)
    title: str = Field(default="", max_length=200)
    scenes: int = Field(default=4, ge=1, le=MAX_SCENES)
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    duration_s: float = Field(default=5.0, ge=2.0, le=12.0, description="Clip length in video mode.")
    transition: Transition = Transition.NONE
    reference_asset_ids: list[str] = Field(default_factory=list, max_length=4)
    song_asset_id: str | None = Field(default=None, max_length=64, description="The song (music video mode).")
    source_asset_id: str | None = Field(
        default=None,
        max_length=64,
        description="The source ad to re-make (ad clone mode): an uploaded video.",
    )
    variants: list[Intensity] = Field(
        default_factory=lambda: list(Intensity),
        min_length=1,
        max_length=4,
        description="Ad clone intensities to make, four scenes each.",
    )
    providers: ProviderChoice = Field(default_factory=ProviderChoice)
    review: bool = Field(
        default=False,
        description="Stop after writing, in `awaiting_approval`, so the storyboard can be edited and approved"
        " before its clips are charged and rendered (story, music video and ad clone modes).",
    )

    narration: bool | None = Field(
        default=None,
        description="Each scene speaks a line written for it. Default: on for story and ad clone, which are"
        " the modes that can be narrated.",
    )
    voice: str = Field(
        default="", max_length=100, description="The speech provider's voice; empty: its default voice."
    )
    captions: CaptionMode | None = Field(
        default=None,
        description="Word-timed captions of the narration: `burn` burns them in and stores .srt and .vtt"
        " files, `file` stores the files only, `off` neither. Default: `file` when narrated (a"
        " generation without narration has no captions).",
    )
    caption_style: str = Field(
        default="bold",
        description=f"How burned-in captions look: {', '.join(CAPTION_STYLES)}.",
        json_schema_extra={"enum": list(CAPTION_STYLES)},
    )

    @field_validator("caption_style")
    @classmethod
    def _known_style(cls, value: str) -> str:
        if value not in CAPTION_STYLES:
            raise ValueError(f"must be one of {', '.join(CAPTION_STYLES)}")
        return value

    @field_validator("narration")
    @classmethod
    def _narrated_mode(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        mode = info.data.get("mode")
        if value and mode is not None and mode not in NARRATED_MODES:
            names = ", ".join(sorted(m.value for m in NARRATED_MODES))
            raise ValueError(f"{mode} mode has no narration; narration is for {names}")
        return value

    @property
    def narrated(self) -> bool:
        """Whether the generation will be narrated (the option, or the mode's default)."""
        return self.mode in NARRATED_MODES if self.narration is None else self.narration

    @property
    def caption_mode(self) -> CaptionMode:
        """What becomes of the captions: as asked, `file` by default, and none without narration."""
        if not self.narrated:
            return CaptionMode.OFF
        return self.captions or CaptionMode.FILE

    @field_validator("mode")
    @classmethod
    def _creative_mode(cls, value: Mode) -> Mode:
        if value not in CREATIVE_MODES:
            raise ValueError(f"must be one of {', '.join(CREATIVE_MODES)}")
        return value

    @field_validator("review")
    @classmethod
    def _reviewable_mode(cls, value: bool, info: ValidationInfo) -> bool:
        mode = info.data.get("mode")
        if value and mode is not None and mode not in REVIEWABLE_MODES:
            names = ", ".join(sorted(m.value for m in REVIEWABLE_MODES))
            raise ValueError(f"{mode} mode has no storyboard to review; review is for {names}")
        return value

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
