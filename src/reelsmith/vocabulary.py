"""The words Reelsmith speaks, defined once: modes, statuses, intensities, transitions, prices.

Every layer takes them from here — the database code compares against these members, the API's
schemas and the CLI's options are built from them, and the web pages read them as data
(`vocabulary_data()`, embedded in each page) instead of keeping copies of their own.
This module imports nothing from Reelsmith, so any package (media included) may use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    """What kind of generation a user asked for; `stitch` joins clips the user already has."""

    STORY = "story"
    VIDEO = "video"
    IMAGE = "image"
    MUSIC_VIDEO = "music_video"
    AD_CLONE = "ad_clone"
    STITCH = "stitch"

    @property
    def cli_name(self) -> str:
        """How the CLI spells the mode (`music-video`)."""
        return self.value.replace("_", "-")


# The modes a user can ask for by prompt (stitch jobs come from `/api/stitch` and `reelsmith stitch`).
CREATIVE_MODES: tuple[Mode, ...] = (Mode.STORY, Mode.VIDEO, Mode.IMAGE, Mode.MUSIC_VIDEO, Mode.AD_CLONE)


class GenerationStatus(StrEnum):
    """Where a generation stands."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    # The writer's storyboard is ready and nothing more runs (or is charged) until the owner approves it.
    AWAITING_APPROVAL = "awaiting_approval"


ACTIVE_STATUSES: frozenset[GenerationStatus] = frozenset(
    {GenerationStatus.QUEUED, GenerationStatus.PROCESSING}
)
# Statuses in which nothing runs until someone acts: event streams close, estimates stop and the
# runner leaves the generation alone. A storyboard awaiting approval is one (approval queues it again).
TERMINAL_STATUSES: frozenset[GenerationStatus] = frozenset(
    {
        GenerationStatus.COMPLETED,
        GenerationStatus.FAILED,
        GenerationStatus.CANCELED,
        GenerationStatus.AWAITING_APPROVAL,
    }
)


class VariantStatus(StrEnum):
    """Where one cut of a generation stands: its scenes render, then it is stitched."""

    PENDING = "pending"
    RENDERING = "rendering"
    STITCHING = "stitching"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"  # its generation was canceled before the variant ended


class SceneStatus(StrEnum):
    """Where one scene's clip stands with its provider."""

    PENDING = "pending"
    SUBMITTING = "submitting"  # the create request may have been sent; its job id is not known yet
    SUBMITTED = "submitted"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


# Scenes a provider may still be working on (a cancel asks the provider to stop these).
SCENES_AT_PROVIDER: tuple[SceneStatus, ...] = (SceneStatus.SUBMITTED, SceneStatus.RUNNING)
# Scenes whose clip is still to come.
UNFINISHED_SCENES: tuple[SceneStatus, ...] = (
    SceneStatus.PENDING,
    SceneStatus.SUBMITTING,
    SceneStatus.SUBMITTED,
    SceneStatus.RUNNING,
)


class StepStatus(StrEnum):
    """Where one durable pipeline step stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CallStatus(StrEnum):
    """What became of one provider call."""

    STARTED = "started"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Intensity(StrEnum):
    """How far an ad clone variant strays from the source ad."""

    SOFT = "soft"
    MEDIUM = "medium"
    AGGRESSIVE = "aggressive"
    ULTRA = "ultra"


# The kind of a generation's only variant in every mode but ad clone.
DEFAULT_VARIANT = "default"
# Variants in the order they are listed and tried as the generation's face.
VARIANT_ORDER: tuple[str, ...] = (DEFAULT_VARIANT, *Intensity)


class Transition(StrEnum):
    """How one clip gives way to the next."""

    NONE = "none"
    FADE = "fade"
    DISSOLVE = "dissolve"
    WIPELEFT = "wipeleft"
    SLIDEUP = "slideup"


class CaptionMode(StrEnum):
    """What becomes of a narrated generation's word-timed captions."""

    BURN = "burn"  # burned into the video, and stored as .srt and .vtt files
    FILE = "file"  # stored as .srt and .vtt files only (players show them as a text track)
    OFF = "off"


class CaptionStyle(StrEnum):
    """How burned-in captions look (both a few words at a time, the spoken word highlighted)."""

    BOLD = "bold"  # big upper-case words, thick outline, the spoken word in yellow
    CLEAN = "clean"  # sentence case on a soft dark box, the spoken word in light blue


# Modes whose writer can give each scene a spoken line (narration is on for them unless turned off);
# a music video's soundtrack is the song, and quick videos and images have no writer.
NARRATED_MODES: frozenset[Mode] = frozenset({Mode.STORY, Mode.AD_CLONE})

# Asset kinds of narration: a scene's spoken line, and a variant's captions as files.
SPEECH_ASSET = "speech"
CAPTIONS_SRT_ASSET = "captions_srt"
CAPTIONS_VTT_ASSET = "captions_vtt"

# How fast narration is spoken, for writing lines that fit their scenes (a calm voice-over pace).
WORDS_PER_SECOND = 2.5
# Silence before a scene's line starts, after the scene's first frame.
BREATH_S = 0.3


class AspectRatio(StrEnum):
    """The frame shapes a generation can take."""

    LANDSCAPE = "16:9"
    VERTICAL = "9:16"
    SQUARE = "1:1"


class Visibility(StrEnum):
    """Whether a generation is on the explore feed."""

    DRAFT = "draft"
    PUBLISHED = "published"
    # Published at a set time (`published_at`, still ahead); a draft until then, and cancellable.
    SCHEDULED = "scheduled"


class VersionStatus(StrEnum):
    """Where one version of a finished video stands: re-stitched from the stored clips, or not."""

    RENDERING = "rendering"
    COMPLETED = "completed"
    FAILED = "failed"


class BatchAction(StrEnum):
    """What one request may do to several of a user's generations at once."""

    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    DELETE = "delete"


class LedgerReason(StrEnum):
    """Why a user's token balance moved."""

    GRANT = "grant"
    CHARGE = "charge"
    REFUND = "refund"


# ---- Prices, in tokens ---------------------------------------------------------------------------

MAX_SCENES = 20  # scenes a user may ask for in one generation

IMAGE_PRICE = 1
CLIP_PRICE = 10
SCENES_PER_VARIANT = 4  # every ad clone variant is four scenes
VARIANT_PRICE = CLIP_PRICE * SCENES_PER_VARIANT
# Joining clips is no model work, but every clip is decoded, re-encoded and loudness-measured.
STITCH_PRICE = 1  # per clip joined (a clip named twice is joined twice)
# A storyboard is two calls to a paid text model (the story, then its scenes).
STORYBOARD_PRICE = 1  # per draft
# Re-voicing one scene's edited line: one speech call and a re-mix, no clip is rendered again.
NARRATION_PRICE = 1  # per scene re-voiced

# What a stitch job may take in: a clip repeated more often than this is refused, and so are
# clips whose lengths add up to more than this (the stitch re-encodes every second of them).
MAX_STITCH_REPEATS = 3
MAX_STITCH_S = 600.0

# What a storyboard is sold as in the price table (it is no generation, so it has no mode).
STORYBOARD = "storyboard"
# What an edit of a finished video is sold as: a new version, re-stitched from the stored clips
# without a provider call, priced like a stitch job (STITCH_PRICE per clip of the new cut).
VERSION = "version"
# What re-voicing a scene is sold as in the price table.
NARRATION = "narration"


@dataclass(frozen=True)
class Price:
    """What one thing a user buys costs: `tokens` once, or per scene, variant, clip or draft."""

    tokens: int
    per: str  # "generation" | "scene" | "variant" | "clip" | "draft"


# Every priced thing: a generation of each mode (stitch jobs included) and a storyboard draft.
PRICES: dict[str, Price] = {
    Mode.IMAGE: Price(IMAGE_PRICE, "generation"),
    Mode.VIDEO: Price(CLIP_PRICE, "generation"),
    Mode.STORY: Price(CLIP_PRICE, "scene"),
    Mode.MUSIC_VIDEO: Price(CLIP_PRICE, "scene"),
    Mode.AD_CLONE: Price(VARIANT_PRICE, "variant"),
    Mode.STITCH: Price(STITCH_PRICE, "clip"),
    STORYBOARD: Price(STORYBOARD_PRICE, "draft"),
    VERSION: Price(STITCH_PRICE, "clip"),
    NARRATION: Price(NARRATION_PRICE, "scene"),
}


def price_of(mode: str, clips: int) -> int:
    """Tokens a generation costs when accepted: one image, `clips` generated clips or `clips` joined."""
    if mode == Mode.IMAGE:
        return IMAGE_PRICE
    return (STITCH_PRICE if mode == Mode.STITCH else CLIP_PRICE) * clips


# ---- What people read --------------------------------------------------------------------------

MODE_LABELS: dict[str, str] = {
    Mode.STORY: "Story",
    Mode.VIDEO: "Video",
    Mode.IMAGE: "Image",
    Mode.MUSIC_VIDEO: "Music video",
    Mode.AD_CLONE: "Ad clone",
    Mode.STITCH: "Stitch",
}
STATUS_LABELS: dict[str, str] = {
    GenerationStatus.QUEUED: "Queued",
    GenerationStatus.PROCESSING: "Generating",
    GenerationStatus.COMPLETED: "Ready",
    GenerationStatus.FAILED: "Failed",
    GenerationStatus.CANCELED: "Canceled",
    GenerationStatus.AWAITING_APPROVAL: "Awaiting approval",
}
INTENSITY_LABELS: dict[str, str] = {
    Intensity.SOFT: "Soft",
    Intensity.MEDIUM: "Medium",
    Intensity.AGGRESSIVE: "Aggressive",
    Intensity.ULTRA: "Ultra",
}

# How a scene card reads: (label, css state). Scenes not listed read "Generating" while their
# generation is active and "Not rendered" otherwise.
SCENE_STATES: dict[str, tuple[str, str]] = {
    SceneStatus.COMPLETED: ("Ready", "ok"),
    SceneStatus.FAILED: ("Failed", "bad"),
    SceneStatus.CANCELED: ("Canceled", "off"),
}
SCENE_BUSY = ("Generating", "busy")
SCENE_IDLE = ("Not rendered", "off")


def vocabulary_data() -> dict[str, Any]:
    """Everything the page scripts need to know, as JSON-able data served with each page."""
    return {
        "modes": [{"value": m.value, "label": MODE_LABELS[m], **asdict(PRICES[m])} for m in CREATIVE_MODES],
        "statuses": {s.value: STATUS_LABELS[s] for s in GenerationStatus},
        "active_statuses": sorted(s.value for s in ACTIVE_STATUSES),
        "terminal_statuses": sorted(s.value for s in TERMINAL_STATUSES),
        "intensities": [{"value": i.value, "label": INTENSITY_LABELS[i]} for i in Intensity],
        "transitions": [t.value for t in Transition],
        "aspect_ratios": [a.value for a in AspectRatio],
        "scene_states": {str(s): list(state) for s, state in SCENE_STATES.items()},
        "scene_busy": list(SCENE_BUSY),
        "scene_idle": list(SCENE_IDLE),
        "prices": {
            "image": IMAGE_PRICE,
            "clip": CLIP_PRICE,
            "variant": VARIANT_PRICE,
            "stitch_clip": STITCH_PRICE,
            "storyboard": STORYBOARD_PRICE,
            "version_clip": STITCH_PRICE,
            "narration": NARRATION_PRICE,
        },
        "caption_modes": [c.value for c in CaptionMode],
        "caption_styles": [c.value for c in CaptionStyle],
        "narrated_modes": sorted(m.value for m in NARRATED_MODES),
        "scenes_per_variant": SCENES_PER_VARIANT,
        "max_scenes": MAX_SCENES,
    }
