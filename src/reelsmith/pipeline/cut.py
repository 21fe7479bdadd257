"""The cut of a finished video as data: which stored clips play, in what order, how long, with what text.

A version is stitched from its cut alone, so any version can be made again, edited further or restored
without a provider call. Edits are pure: `apply_edit` returns a new cut and the words saying what
changed, or raises InvalidInput naming the field at fault.

A narrated scene carries its spoken line in the cut (the text, the recording and its words' timings), so
the line follows its scene through trims, reorders and a clip replaced by an upload, and a version keeps
the line it was made with even after the scene is re-voiced. Where the lines land on the new timeline is
`pipeline/narration.py`'s business, as it is for the pipeline's own stitch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from reelsmith.errors import InvalidInput
from reelsmith.vocabulary import Transition

# The shortest a scene may be trimmed to, and how far past a clip's probed end a trim may reach
# (durations are probed from container indexes and can be a frame short of what the user typed).
MIN_SCENE_S = 0.5
_SLACK_S = 0.05
MAX_ON_SCREEN_TEXT = 200
MAX_TRANSITION_S = 2.0


@dataclass(frozen=True)
class CutScene:
    """One scene as the cut plays it: a span of a stored clip, with optional text drawn over it."""

    scene_id: str
    clip_asset_id: str  # the clip as this version's own asset row names it (or an upload to bring in)
    clip_s: float  # the whole clip's length
    start_s: float = 0.0
    duration_s: float = 0.0
    on_screen_text: str = ""  # drawn over the picture by the edit; "" draws nothing
    uploaded: bool = False  # the clip is the owner's upload, copied into the generation when rendered
    line: str = ""  # the spoken line ("" when the scene is silent)
    speech_asset_id: str | None = None  # its recording, as a row of the generation's own (`version_speech`)
    words: tuple[dict[str, Any], ...] = ()  # the line's words' timings within that recording

    @property
    def speaks(self) -> bool:
        """True when the scene has a recorded line to lay over it."""
        return bool(self.line) and self.speech_asset_id is not None

    @property
    def untouched(self) -> bool:
        """True when the clip plays whole and bare, so the stitch can copy it as it is."""
        whole = self.start_s <= 0 and self.duration_s >= self.clip_s - _SLACK_S
        return whole and not self.on_screen_text and not self.uploaded


@dataclass(frozen=True)
class Cut:
    """A variant's edit decision list: its scenes in order, the transition and the soundtrack."""

    scenes: tuple[CutScene, ...]
    transition: str = Transition.NONE
    transition_s: float = 0.5
    soundtrack_asset_id: str | None = None  # None: the clips' own sound
    soundtrack_uploaded: bool = False  # the soundtrack is the owner's upload, copied in when rendered

    @property
    def duration_s(self) -> float:
        """How long the stitched video lasts (each transition overlaps two scenes)."""
        total = sum(s.duration_s for s in self.scenes)
        joins = len(self.scenes) - 1 if self.transition != Transition.NONE else 0
        return max(0.0, total - joins * self.transition_s)

    def to_json(self) -> dict[str, Any]:
        """The cut as the `versions.cut` column stores it."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cut:
        """A cut read back from the `versions.cut` column (keys stored beside the cut are left out)."""
        scene_fields = {f.name for f in fields(CutScene)}
        scenes = tuple(
            CutScene(
                **{k: v for k, v in s.items() if k in scene_fields} | {"words": tuple(s.get("words") or ())}
            )
            for s in data.get("scenes", ())
        )
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known} | {"scenes": scenes})

    def with_line(self, scene_id: str, line: str, speech_asset_id: str | None, words: Any) -> Cut:
        """The cut with one scene speaking a new line (its recording and words' timings)."""
        scenes = tuple(
            replace(s, line=line, speech_asset_id=speech_asset_id, words=tuple(words or ()))
            if s.scene_id == scene_id
            else s
            for s in self.scenes
        )
        return replace(self, scenes=scenes)


@dataclass(frozen=True)
class SceneEdit:
    """Changes to one scene of the cut; fields left as None are kept."""

    scene_id: str
    on_screen_text: str | None = None
    start_s: float | None = None
    duration_s: float | None = None
    clip: tuple[str, float] | None = None  # (the owner's uploaded video asset id, its length)


@dataclass(frozen=True)
class Edit:
    """One request's changes to a cut; together they make one new version."""

    scenes: tuple[SceneEdit, ...] = ()
    remove: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    transition: str | None = None
    transition_s: float | None = None
    soundtrack: tuple[str, float] | None = None  # (the owner's uploaded audio asset id, its length)
    drop_soundtrack: bool = False


def apply_edit(cut: Cut, edit: Edit) -> tuple[Cut, str]:
    """The cut with `edit` applied, and a short sentence saying what changed (InvalidInput if nothing)."""
    notes: list[str] = []
    number = {s.scene_id: n + 1 for n, s in enumerate(cut.scenes)}
    scenes = {s.scene_id: s for s in cut.scenes}
    for n, change in enumerate(edit.scenes):
        where = f"scenes[{n}]"
        scene = scenes.get(change.scene_id)
        if scene is None:
            raise InvalidInput(f"{where}.scene_id", f"no scene {change.scene_id} in this cut")
        scenes[scene.scene_id] = _edit_scene(scene, change, where, f"scene {number[scene.scene_id]}", notes)
    order = [s.scene_id for s in cut.scenes]
    if edit.order:
        if sorted(edit.order) != sorted(order):
            raise InvalidInput("order", "list every scene of the cut exactly once")
        # Where a removed scene is listed does not matter: only the kept ones' order counts.
        kept = [i for i in order if i not in edit.remove]
        if [i for i in edit.order if i not in edit.remove] != kept:
            notes.append("reordered the scenes")
        order = list(edit.order)
    for n, scene_id in enumerate(edit.remove):
        if scene_id not in order:
            raise InvalidInput(f"remove[{n}]", f"no scene {scene_id} in this cut")
        order.remove(scene_id)
        notes.append(f"removed scene {number[scene_id]}")
    if not order:
        raise InvalidInput("remove", "a video keeps at least one scene")
    result = replace(cut, scenes=tuple(scenes[i] for i in order))
    result = _edit_transition(result, edit, notes)
    result = _edit_soundtrack(result, edit, notes)
    if not notes:
        raise InvalidInput("body", "nothing to change: the edit leaves the video as it is")
    _check_transition_fits(result)
    return result, _sentence(notes)


def _edit_scene(scene: CutScene, change: SceneEdit, where: str, name: str, notes: list[str]) -> CutScene:
    """One scene with its changes applied (the clip first: a new clip resets the trim)."""
    if change.clip is not None:
        asset_id, length = change.clip
        scene = replace(
            scene, clip_asset_id=asset_id, clip_s=length, start_s=0.0, duration_s=length, uploaded=True
        )
        notes.append(f"replaced the clip of {name}")
    if change.on_screen_text is not None:
        text = change.on_screen_text.strip()
        if len(text) > MAX_ON_SCREEN_TEXT:
            raise InvalidInput(f"{where}.on_screen_text", f"at most {MAX_ON_SCREEN_TEXT} characters")
        if text != scene.on_screen_text:
            scene = replace(scene, on_screen_text=text)
            notes.append(f"changed the text of {name}" if text else f"removed the text of {name}")
    start = scene.start_s if change.start_s is None else change.start_s
    duration = scene.duration_s if change.duration_s is None else change.duration_s
    if change.start_s is not None and not 0 <= start < scene.clip_s:
        raise InvalidInput(f"{where}.start_s", f"must be 0 to under {scene.clip_s:.2f} s (the clip's length)")
    if change.duration_s is not None and duration < MIN_SCENE_S:
        raise InvalidInput(f"{where}.duration_s", f"must be at least {MIN_SCENE_S:g} s")
    if start + duration > scene.clip_s + _SLACK_S:
        field_name = "duration_s" if change.duration_s is not None else "start_s"
        raise InvalidInput(
            f"{where}.{field_name}",
            f"the scene would end at {start + duration:.2f} s, past its clip's {scene.clip_s:.2f} s",
        )
    if (start, duration) != (scene.start_s, scene.duration_s):
        scene = replace(scene, start_s=float(start), duration_s=float(min(duration, scene.clip_s - start)))
        notes.append(f"trimmed {name} to {scene.duration_s:.1f} s")
    return scene


def _edit_transition(cut: Cut, edit: Edit, notes: list[str]) -> Cut:
    kind = cut.transition if edit.transition is None else edit.transition
    if kind not in set(Transition):
        raise InvalidInput("transition", f"must be one of {', '.join(Transition)}")
    seconds = cut.transition_s if edit.transition_s is None else edit.transition_s
    if not 0 < seconds <= MAX_TRANSITION_S:
        raise InvalidInput("transition_s", f"must be above 0 and at most {MAX_TRANSITION_S:g} s")
    if (kind, seconds) == (cut.transition, cut.transition_s):
        return cut
    notes.append(f"transition: {kind}" + (f" ({seconds:g} s)" if kind != Transition.NONE else ""))
    return replace(cut, transition=kind, transition_s=float(seconds))


def _edit_soundtrack(cut: Cut, edit: Edit, notes: list[str]) -> Cut:
    if edit.soundtrack is not None:
        notes.append("new soundtrack")
        return replace(cut, soundtrack_asset_id=edit.soundtrack[0], soundtrack_uploaded=True)
    if edit.drop_soundtrack and cut.soundtrack_asset_id is not None:
        notes.append("removed the soundtrack")
        return replace(cut, soundtrack_asset_id=None, soundtrack_uploaded=False)
    return cut


def _check_transition_fits(cut: Cut) -> None:
    """A transition must be shorter than every scene it joins (the stitch's own rule, said up front)."""
    if cut.transition == Transition.NONE or len(cut.scenes) < 2:
        return
    shortest = min(s.duration_s for s in cut.scenes)
    if cut.transition_s >= shortest:
        raise InvalidInput(
            "transition_s",
            f"must be shorter than the shortest scene ({shortest:.2f} s) for a {cut.transition}",
        )


def _sentence(notes: list[str]) -> str:
    text = "; ".join(notes)
    return (text[:1].upper() + text[1:])[:500]
