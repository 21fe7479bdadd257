"""What a client reads about a generation: the typed shapes of the API, the CLI's `--json` and the pages.

These models are the contract: OpenAPI documents them, the type checker sees into them, and every
reader (HTTP, CLI, web pages) gets the same object. Local file paths appear only when asked for
(the CLI on a machine whose blobs are files); they are left out of the JSON otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reelsmith.vocabulary import GenerationStatus, Mode, SceneStatus, StepStatus, VariantStatus, Visibility


def _absent(value: object) -> bool:
    return value is None


def LocalPath(description: str) -> Any:
    """A field for a local file path, left out of the JSON when there is none."""
    return Field(default=None, exclude_if=_absent, description=description)


class WordRead(BaseModel):
    """One spoken word and when it is heard, in seconds from the start of its scene's speech."""

    model_config = ConfigDict(frozen=True)

    word: str
    start_s: float
    end_s: float


class CaptionsRead(BaseModel):
    """A narrated variant's word-timed captions as files."""

    model_config = ConfigDict(frozen=True)

    srt_url: str | None = Field(description="SubRip (.srt).")
    vtt_url: str | None = Field(description="WebVTT (.vtt), the player's text track.")
    srt_path: str | None = LocalPath("The .srt as a local file (CLI only).")
    vtt_path: str | None = LocalPath("The .vtt as a local file (CLI only).")


class SceneRead(BaseModel):
    """One scene of a variant and its clip."""

    model_config = ConfigDict(frozen=True)

    id: str
    index: int
    description: str
    negative_prompt: str
    duration_s: float
    camera: str
    on_screen_text: str
    status: SceneStatus
    attempts: int
    provider: str | None = Field(description="The provider that made (or is making) the clip.")
    error_message: str | None
    video_url: str | None
    thumbnail_url: str | None
    delivered_url: str | None = Field(
        default=None,
        description="The clip as the provider delivered it, when `video_url` is its house-format copy.",
    )
    video_path: str | None = LocalPath("The clip as a local file (CLI only).")
    thumbnail_path: str | None = LocalPath("The clip's poster as a local file (CLI only).")
    narration: str = Field(default="", description="The scene's spoken line (empty when not narrated).")
    voice: str = Field(default="", description="The voice that speaks it (empty: the provider's default).")
    words: list[WordRead] = Field(
        default_factory=list, description="Each spoken word's timing within the scene's speech."
    )
    speech_url: str | None = Field(default=None, description="The spoken line as audio.")
    speech_path: str | None = LocalPath("The spoken line as a local file (CLI only).")


class VariantEvaluation(BaseModel):
    """How an ad clone variant compares with the source ad."""

    model_config = ConfigDict(frozen=True)

    score: int = Field(ge=0, le=100)
    pacing_similarity: float
    duration_s: float
    cuts: list[float]
    reasons: list[str]


class VariantRead(BaseModel):
    """One cut of a generation: `default`, or an ad clone intensity."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str = Field(description="`default`, or the ad clone intensity (soft, medium, aggressive, ultra).")
    status: VariantStatus
    total_scenes: int
    scenes_completed: int
    error_message: str | None
    video_url: str | None
    thumbnail_url: str | None
    preview_url: str | None = Field(description="An animated WebP preview of the final video.")
    evaluation: VariantEvaluation | None = Field(
        description="Ad clone variants: the score against the source."
    )
    scenes: list[SceneRead]
    captions: CaptionsRead | None = Field(default=None, description="Narrated variants: the captions files.")
    video_path: str | None = LocalPath("The final video as a local file (CLI only).")
    thumbnail_path: str | None = LocalPath("The poster as a local file (CLI only).")


class StepRead(BaseModel):
    """One durable pipeline step."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: StepStatus
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = Field(
        default=None, description="Why a failed step failed, in full (its owner's to read)."
    )


class ConversationTurn(BaseModel):
    """One exchange with the writer (a text model): what it was asked and what it answered."""

    model_config = ConfigDict(frozen=True, extra="allow")

    at: datetime
    task: str | None = None
    provider: str | None = None
    model: str | None = None
    system: str | None = None
    user: str | None = None
    reply: Any = Field(default=None, description="The model's raw reply (text or JSON).")
    error: str | None = None


class SourceRead(BaseModel):
    """The source ad of an ad clone and what was measured on it."""

    model_config = ConfigDict(frozen=True)

    asset_id: str
    video_url: str | None
    duration_s: float | None = None
    shot_count: int | None = None
    average_shot_s: float | None = None
    cuts: list[float] = Field(default_factory=list)
    palette: list[str] = Field(default_factory=list)
    motion_level: str | None = None
    loudness_lufs: float | None = None
    lengths: list[float] = Field(default_factory=list, description="The scene lengths the variants follow.")


class GenerationSummary(BaseModel):
    """The fields of a generation that need no other rows."""

    model_config = ConfigDict(frozen=True)

    id: str
    mode: Mode
    title: str
    prompt: str
    status: GenerationStatus
    progress: int
    current_step: str
    error_message: str | None
    visibility: Visibility
    created_at: datetime
    completed_at: datetime | None
    generation_time_seconds: float | None


class GenerationListItem(GenerationSummary):
    """A row of a list: the summary plus where to read it and its poster."""

    url: str
    thumbnail_url: str | None


class GenerationPage(BaseModel):
    """One page of generations, newest first, with the cursor of the next page."""

    items: list[GenerationListItem]
    next_cursor: str | None


class GenerationRead(GenerationSummary):
    """A generation in full: its main video, variants, scenes, steps, cost and the writer conversation."""

    aspect_ratio: str | None
    video_url: str | None = Field(description="The main variant's final video.")
    thumbnail_url: str | None
    preview_url: str | None
    image_url: str | None = Field(description="Image mode: the picture.")
    cost_usd: float = Field(description="What the provider calls cost, in US dollars.")
    tokens_charged: int
    eta_s: float | None = Field(
        default=None,
        description="Seconds left, estimated from earlier runs of the same steps; null when there is no "
        "history to go by or the generation has ended.",
    )
    narration: bool = Field(default=False, description="Whether the scenes speak.")
    voice: str = Field(default="", description="The voice asked for (empty: the provider's default).")
    caption_mode: str = Field(default="off", description="`burn`, `file` or `off`.")
    captions: CaptionsRead | None = Field(
        default=None, description="The main variant's captions files, when narrated with captions."
    )
    variants: list[VariantRead]
    source: SourceRead | None = Field(description="Ad clone mode: the source ad and its measurements.")
    steps: list[StepRead]
    conversation: list[ConversationTurn]
    video_path: str | None = LocalPath("The main video as a local file (CLI only).")
    thumbnail_path: str | None = LocalPath("The main poster as a local file (CLI only).")
    image_path: str | None = LocalPath("The picture as a local file (CLI only).")
    output_path: str | None = LocalPath("Where the CLI copied the result (`--out`).")
