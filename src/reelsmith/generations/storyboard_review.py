"""Reviewing a storyboard before paying for its clips: edit, add, delete and reorder scenes, then approve.

A generation created with `review: true` runs its writing steps and stops in `awaiting_approval`
(the runner holds its clips step). While it waits, its owner may change the scenes; approval charges
the scenes as they then stand and releases the clips step, so rendering resumes there with the
writing kept. Every change locks the generation's row first and checks its status under that lock,
so an edit cannot slip in after an approval (or the other way round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.errors import InvalidInput, NotFound, WrongState
from reelsmith.pipeline import adclone, writing
from reelsmith.pipeline.billing import charge_approval, scene_count
from reelsmith.pipeline.modes import REVIEW_GATE, review_released
from reelsmith.pipeline.progress import record_event
from reelsmith.vocabulary import MAX_SCENES, STATUS_LABELS, GenerationStatus, Mode

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

MAX_PROMPT_CHARS = 4000
MAX_ON_SCREEN_TEXT = 200


@dataclass(frozen=True)
class ReviewRules:
    """What a mode's storyboard lets its owner change."""

    min_scene_s: float
    max_scene_s: float
    lengths_fixed: bool  # each position's length is set by the song: lengths stay where they are
    count_fixed: bool  # the scene count is part of the format: no scene is added or removed


RULES: dict[str, ReviewRules] = {
    Mode.STORY: ReviewRules(writing.MIN_SCENE_S, writing.MAX_SCENE_S, lengths_fixed=False, count_fixed=False),
    # The song's beats set where the cuts fall and how many there are; the pictures are the user's.
    Mode.MUSIC_VIDEO: ReviewRules(0.0, 0.0, lengths_fixed=True, count_fixed=True),
    # Every variant is SCENES_PER_VARIANT scenes, priced per variant; their lengths may move.
    Mode.AD_CLONE: ReviewRules(
        adclone.MIN_SCENE_S, adclone.MAX_SCENE_S, lengths_fixed=False, count_fixed=True
    ),
}


@dataclass(frozen=True)
class SceneChanges:
    """An edit of one scene: the fields given are changed, the others kept."""

    prompt: str | None = None
    duration_s: float | None = None
    on_screen_text: str | None = None


@dataclass(frozen=True)
class NewScene:
    """A scene the owner adds, at `index` (the end when None)."""

    prompt: str
    duration_s: float | None = None
    on_screen_text: str = ""
    index: int | None = None


def edit_scene(rt: Runtime, generation_id: str, user_id: str, scene_id: str, changes: SceneChanges) -> None:
    """Change one scene's prompt, length or on-screen text."""
    with rt.db.write() as session:
        gen = _storyboard(session, generation_id, user_id)
        rules = RULES[gen.mode]
        scene = _scene(session, gen, scene_id)
        if changes.prompt is not None:
            scene.description = _prompt(changes.prompt)
        if changes.duration_s is not None:
            scene.duration_s = _length(rules, changes.duration_s)
        if changes.on_screen_text is not None:
            scene.on_screen_text = _on_screen_text(changes.on_screen_text)
        scene.updated_at = utcnow()
        _touch(session, gen)


def add_scene(rt: Runtime, generation_id: str, user_id: str, new: NewScene) -> str:
    """Insert a scene into the storyboard; returns its id."""
    with rt.db.write() as session:
        gen = _storyboard(session, generation_id, user_id)
        rules = RULES[gen.mode]
        if rules.count_fixed:
            raise WrongState(f"a {gen.mode} storyboard keeps its number of scenes; edit them instead")
        variant = _only_variant(session, gen)
        scenes = list(variant.scenes)
        if len(scenes) >= MAX_SCENES:
            raise InvalidInput("index", f"a storyboard has at most {MAX_SCENES} scenes")
        index = len(scenes) if new.index is None else new.index
        if not 0 <= index <= len(scenes):
            raise InvalidInput("index", f"must be 0 to {len(scenes)}")
        duration = writing.DEFAULT_CLIP_S if new.duration_s is None else new.duration_s
        scene = Scene(
            variant_id=variant.id,
            # Out of the way until the scenes are renumbered, and below every index the renumbering's
            # first step uses (-1 down to -MAX_SCENES), so the two never meet.
            index=-(MAX_SCENES + 1),
            description=_prompt(new.prompt),
            duration_s=_length(rules, duration),
            on_screen_text=_on_screen_text(new.on_screen_text),
        )
        session.add(scene)
        session.flush()
        scenes.insert(index, scene)
        _renumber(session, variant, scenes)
        _touch(session, gen)
        return scene.id


def delete_scene(rt: Runtime, generation_id: str, user_id: str, scene_id: str) -> None:
    """Remove a scene from the storyboard (the others close up)."""
    with rt.db.write() as session:
        gen = _storyboard(session, generation_id, user_id)
        if RULES[gen.mode].count_fixed:
            raise WrongState(f"a {gen.mode} storyboard keeps its number of scenes; edit them instead")
        scene = _scene(session, gen, scene_id)
        variant = scene.variant
        rest = [s for s in variant.scenes if s.id != scene.id]
        if not rest:
            raise InvalidInput("scene_id", "a storyboard keeps at least one scene")
        session.delete(scene)
        session.flush()
        _renumber(session, variant, rest)
        _touch(session, gen)


def reorder_scenes(rt: Runtime, generation_id: str, user_id: str, ids: list[str]) -> None:
    """Put one variant's scenes in the order of `ids`, which lists each of them once."""
    with rt.db.write() as session:
        gen = _storyboard(session, generation_id, user_id)
        if not ids:
            raise InvalidInput("ids", "list the storyboard's scenes in their new order")
        variant = _scene(session, gen, ids[0]).variant
        current = list(variant.scenes)
        by_id = {s.id: s for s in current}
        if len(ids) != len(current) or set(ids) != set(by_id):
            raise InvalidInput("ids", "list every scene of the storyboard exactly once")
        ordered = [by_id[i] for i in ids]
        if RULES[gen.mode].lengths_fixed:
            # The pictures move; each position keeps the length its beat gave it.
            lengths = [s.duration_s for s in current]
            for scene, length in zip(ordered, lengths, strict=True):
                scene.duration_s = length
        _renumber(session, variant, ordered)
        _touch(session, gen)


def approve(rt: Runtime, generation_id: str, user_id: str, *, bill: bool = True) -> int:
    """Charge the storyboard's scenes and start rendering them; returns the tokens charged.

    A short balance raises InsufficientTokens (402) and the transaction leaves everything as it was.
    `bill=False` is for the machine's own operator (the CLI), who pays no tokens.
    """
    with rt.db.write() as session:
        gen = _storyboard(session, generation_id, user_id)
        clips = scene_count(session, gen.id)
        # A generation charged nothing at creation (the operator's) is charged nothing now either.
        price = charge_approval(session, gen, clips) if bill and gen.tokens_charged > 0 else 0
        gate = session.get(Step, (gen.id, REVIEW_GATE))
        if gate is not None:
            gate.output = review_released(gate.output)
        gen.status = GenerationStatus.QUEUED
        gen.current_step = STATUS_LABELS[GenerationStatus.QUEUED]
        gen.updated_at = utcnow()
        record_event(
            session,
            gen.id,
            "status",
            {"status": GenerationStatus.QUEUED, "approved_scenes": clips, "charged_tokens": price},
        )
    rt.dispatch.advance(generation_id)
    return price


def _storyboard(session: Session, generation_id: str, user_id: str) -> Generation:
    """The user's generation awaiting approval, row-locked: 404 for anyone else's, 409 in another status."""
    gen = session.get(Generation, generation_id, with_for_update=True, populate_existing=True)
    if gen is None or gen.user_id != user_id:
        raise NotFound(f"generation not found: {generation_id}")
    if gen.status != GenerationStatus.AWAITING_APPROVAL:
        raise WrongState(
            f"generation is {gen.status}; only a storyboard awaiting approval can be changed or approved"
        )
    return gen


def _scene(session: Session, gen: Generation, scene_id: str) -> Scene:
    """One of the generation's scenes, else 404."""
    scene = session.scalar(
        select(Scene).join(Variant).where(Scene.id == scene_id, Variant.generation_id == gen.id)
    )
    if scene is None:
        raise NotFound(f"scene not found: {scene_id}")
    return scene


def _only_variant(session: Session, gen: Generation) -> Variant:
    """The storyboard's one variant (modes whose scene count may change have exactly one)."""
    variant = session.scalars(select(Variant).where(Variant.generation_id == gen.id)).first()
    if variant is None:
        raise WrongState("this storyboard has no scenes yet")
    return variant


def _renumber(session: Session, variant: Variant, ordered: list[Scene]) -> None:
    """Give `ordered` the indexes 0..n-1 in that order, and the variant its new scene count.

    (variant, index) is unique, so the scenes first step aside to negative indexes: moving them
    straight to their new places could collide with a scene that has not moved yet.
    """
    for n, scene in enumerate(ordered):
        scene.index = -(n + 1)
    session.flush()
    for n, scene in enumerate(ordered):
        scene.index = n
    variant.total_scenes = len(ordered)
    variant.updated_at = utcnow()
    session.flush()
    session.expire(variant, ["scenes"])


def _touch(session: Session, gen: Generation) -> None:
    """Note that the generation changed (listings sort and caches validate on it)."""
    gen.updated_at = utcnow()


def _prompt(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput("prompt", "must not be empty")
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidInput("prompt", f"at most {MAX_PROMPT_CHARS} characters")
    return text


def _length(rules: ReviewRules, value: float) -> float:
    if rules.lengths_fixed:
        raise InvalidInput("duration_s", "the song's beats set each scene's length")
    if not rules.min_scene_s <= value <= rules.max_scene_s:
        raise InvalidInput("duration_s", f"must be {rules.min_scene_s:g} to {rules.max_scene_s:g} seconds")
    return float(value)


def _on_screen_text(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_ON_SCREEN_TEXT:
        raise InvalidInput("on_screen_text", f"at most {MAX_ON_SCREEN_TEXT} characters")
    return text
