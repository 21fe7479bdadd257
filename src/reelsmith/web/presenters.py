"""Shape service data for the templates: labels, counts and the parsed writer conversation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reelsmith.db.models import Generation
from reelsmith.feed.cards import CardMedia
from reelsmith.generations.read_models import (
    ConversationTurn,
    GenerationRead,
    SceneRead,
    SourceRead,
    VariantRead,
)
from reelsmith.generations.storyboard_review import RULES, ReviewRules
from reelsmith.vocabulary import (
    ACTIVE_STATUSES,
    INTENSITY_LABELS,
    MODE_LABELS,
    SCENE_BUSY,
    SCENE_IDLE,
    SCENE_STATES,
    STATUS_LABELS,
    GenerationStatus,
    Mode,
)

# The icon (in `_icons.html`) that stands for each mode on cards and the create page.
MODE_ICONS: dict[str, str] = {
    Mode.STORY: "story",
    Mode.VIDEO: "video",
    Mode.IMAGE: "image",
    Mode.MUSIC_VIDEO: "music",
    Mode.AD_CLONE: "ad",
}


def mode_label(mode: str) -> str:
    """The human name of a mode."""
    return MODE_LABELS.get(mode, mode)


def status_label(status: str) -> str:
    """The human name of a generation status."""
    return STATUS_LABELS.get(status, status)


def is_active(status: str) -> bool:
    """Whether a generation with this status is still being made."""
    return status in ACTIVE_STATUSES


def scene_state(scene_status: str, generation_status: str) -> tuple[str, str]:
    """(label, css class) of a scene card."""
    state = SCENE_STATES.get(scene_status)
    return state or (SCENE_BUSY if is_active(generation_status) else SCENE_IDLE)


@dataclass(frozen=True)
class SceneCard:
    """A scene as its card shows it."""

    scene: SceneRead
    label: str
    css: str


@dataclass(frozen=True)
class VariantCard:
    """An ad clone variant as its card shows it."""

    variant: VariantRead
    label: str
    best: bool
    seconds: float


@dataclass(frozen=True)
class Turn:
    """One writer exchange with its reply pretty-printed."""

    turn: ConversationTurn
    pretty: str


@dataclass(frozen=True)
class GenerationView:
    """What the generation page shows beyond the generation itself."""

    variants: list[VariantCard]
    source: SourceRead | None
    scenes: list[SceneCard]
    counts: dict[str, int]
    duration_s: float | None
    providers: list[str]
    story: dict[str, Any] | None
    conversation: list[Turn]
    active: bool
    mode_label: str
    status_label: str
    # What the owner may change while the storyboard awaits approval (None in any other status).
    review: ReviewRules | None = None


def _parse(reply: Any) -> dict[str, Any] | None:
    if isinstance(reply, dict):
        return reply
    try:
        value = json.loads(reply) if isinstance(reply, str) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def generation_view(data: GenerationRead) -> GenerationView:
    """Extra fields the generation page needs, computed from the generation's read model."""
    variant = data.variants[0] if data.variants else None
    scenes = []
    counts = {"busy": 0, "ok": 0, "bad": 0, "off": 0}
    for scene in variant.scenes if variant else []:
        label, css = scene_state(scene.status, data.status)
        counts[css] += 1
        scenes.append(SceneCard(scene, label, css))
    story: dict[str, Any] | None = None
    conversation = []
    for turn in data.conversation:
        parsed = _parse(turn.reply)
        if turn.task in ("story", "transform") and parsed and story is None:
            story = parsed
        pretty = json.dumps(parsed, indent=2) if parsed else str(turn.reply or "")
        conversation.append(Turn(turn, pretty))
    return GenerationView(
        variants=_variant_cards(data),
        source=data.source,
        scenes=scenes,
        counts=counts,
        duration_s=sum(c.scene.duration_s for c in scenes) or None,
        providers=sorted({c.scene.provider for c in scenes if c.scene.provider}),
        story=story,
        conversation=conversation,
        active=is_active(data.status),
        mode_label=mode_label(data.mode),
        status_label=status_label(data.status),
        review=RULES.get(data.mode) if data.status == GenerationStatus.AWAITING_APPROVAL else None,
    )


def _variant_cards(data: GenerationRead) -> list[VariantCard]:
    """The variants of an ad clone as cards, with their scores (empty for other modes)."""
    if data.mode != Mode.AD_CLONE:
        return []
    return [
        VariantCard(
            variant=v,
            label=INTENSITY_LABELS.get(v.kind, v.kind.title()),
            best=bool(v.video_url) and v.video_url == data.video_url,
            seconds=sum(s.duration_s for s in v.scenes),
        )
        for v in data.variants
    ]


@dataclass(frozen=True)
class Card:
    """What one gallery card shows."""

    id: str
    title: str
    prompt: str
    mode: str
    mode_label: str
    icon: str
    status: str
    status_label: str
    progress: int
    current_step: str
    error_message: str | None
    visibility: str
    created_at: datetime
    generation_time_seconds: float | None
    poster_url: str | None
    video_url: str | None
    duration_s: float | None
    active: bool


def card(gen: Generation, media: CardMedia) -> Card:
    """What one gallery card shows."""
    return Card(
        id=gen.id,
        title=gen.title or gen.prompt,
        prompt=gen.prompt,
        mode=gen.mode,
        mode_label=mode_label(gen.mode),
        icon=MODE_ICONS.get(gen.mode, "film"),
        status=gen.status,
        status_label=status_label(gen.status),
        progress=gen.progress,
        current_step=gen.current_step,
        error_message=gen.error_message,
        visibility=gen.visibility,
        created_at=gen.created_at,
        generation_time_seconds=gen.generation_time_seconds,
        poster_url=media.poster_url,
        video_url=media.video_url,
        duration_s=media.duration_s,
        active=is_active(gen.status),
    )
