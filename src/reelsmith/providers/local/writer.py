"""The local writer: fills beat templates to produce the four text tasks' replies.

Every choice comes from a seed derived from the input text, so the same input always yields the
same reply and different briefs yield different wording.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from reelsmith.providers.local import vocab
from reelsmith.providers.local.narration import narration_line
from reelsmith.providers.local.story_beats import CAMERA_MOVES, Genre, beat, plan_beats
from reelsmith.providers.local.subject import Brief, read_brief, stable_seed, title_case, with_article
from reelsmith.providers.local.timing import plan_durations
from reelsmith.vocabulary import Mode

MAX_TEXT_WORDS = 8
MAX_TEXT_CHARS = 80
MAX_TITLE_CHARS = 120
_ENHANCE_MARK = "Shot on "
_SHOT_ARTEFACTS = "flicker, warped faces, melting hands, garbled text"
_PALETTE_IN_STYLE = re.compile(r"palette of ([^,.;]+)")


def genre_for(brief: Brief, mode: str) -> Genre:
    """Return which arc a brief gets: music videos follow the song, ads the ad arc, others a story."""
    if mode == Mode.MUSIC_VIDEO:
        return "music"
    return "ad" if brief.is_ad or mode == Mode.AD_CLONE else "story"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, fields: Mapping[str, str]) -> str:
    return _capitalise(template.format_map(fields))


class _World:
    """The choices shared by every scene of one video: subject, genre, palette, places."""

    def __init__(self, prompt: str, mode: str, fallback_subject: str = "", variation: str = "") -> None:
        self.brief = read_brief(prompt, fallback_subject=fallback_subject)
        self.genre = genre_for(self.brief, mode)
        # A variation (an ad clone's intensity) re-rolls every choice while the subject stays the same.
        self.seed = stable_seed(str(self.brief.seed), variation) if variation else self.brief.seed
        self.palette = vocab.pick(vocab.PALETTES, self.seed, "palette")
        self.style = vocab.pick(vocab.STYLES[self.genre], self.seed, "style")
        self.main_setting = self.brief.setting or vocab.pick(vocab.SETTINGS[self.genre], self.seed, "setting")

    def fields(self, index: int) -> dict[str, str]:
        """Return the template fields for scene `index`."""
        subject = self.brief.subject
        # A story keeps one place for continuity; ads and music videos move between places.
        if self.genre == "story" or self.brief.setting:
            setting = self.main_setting
        else:
            setting = vocab.pick(vocab.SETTINGS[self.genre], self.seed, "setting", index)
        return {
            "subject": subject,
            "the_subject": with_article(subject),
            "The_subject": _capitalise(with_article(subject)),
            "Subject": title_case(_short(subject)),
            "setting": setting,
            # A story keeps its light too; ads and music videos change it with every place.
            "light": vocab.pick(vocab.LIGHTS, self.seed, "light", 0 if self.genre == "story" else index),
            "palette": self.palette,
        }


def _short(subject: str, words: int = 4) -> str:
    return " ".join(subject.split()[:words])


def _occurrences(kinds: Sequence[str]) -> list[int]:
    seen: Counter[str] = Counter()
    out = []
    for kind in kinds:
        out.append(seen[kind])
        seen[kind] += 1
    return out


def _on_screen_text(template: str, fields: Mapping[str, str]) -> str:
    text = template.format_map(fields).strip()
    if len(text.split()) > MAX_TEXT_WORDS or len(text) > MAX_TEXT_CHARS:
        # A long product name would overflow the caption; fall back to the bare call to look.
        return "Discover it now"
    return text


def write_story(prompt: str, *, title: str, mode: str, scene_count: int) -> dict[str, Any]:
    """Return a StoryDraft-shaped dict: title, logline, story, style."""
    world = _World(prompt, mode, fallback_subject=title)
    kinds = plan_beats(world.genre, scene_count)
    fields = world.fields(0)
    lines: list[str] = []
    for i, (kind, seen) in enumerate(zip(kinds, _occurrences(kinds), strict=True)):
        line = _fill(
            vocab.pick(beat(world.genre, kind).story_lines, world.seed, "story", kind, offset=seen),
            world.fields(i),
        )
        if line not in lines:
            lines.append(line)
    if title.strip():
        final_title = title.strip()[:MAX_TITLE_CHARS]
    else:
        template = vocab.pick(vocab.TITLES[world.genre], world.seed, "title")
        final_title = title_case(template.format_map(fields))
    return {
        "title": final_title[:MAX_TITLE_CHARS],
        "logline": _fill(vocab.pick(vocab.LOGLINES[world.genre], world.seed, "logline"), fields),
        "story": " ".join(lines),
        "style": f"{world.style}, palette of {world.palette}.",
    }


def write_scenes(
    prompt: str,
    *,
    story: Mapping[str, Any],
    scene_count: int,
    min_s: float | None,
    max_s: float | None,
    target_s: float | None,
    mode: str = "story",
    variation: str = "",
    narration: bool = False,
    lengths: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Return a SceneList-shaped dict with exactly `scene_count` scenes.

    With `narration` each scene carries a spoken line sized to its length (a music video's never);
    `lengths` fixes the scenes' lengths instead of planning them.
    """
    world = _World(prompt, mode, fallback_subject=str(story.get("title", "")), variation=variation)
    kinds = plan_beats(world.genre, scene_count)
    beats = [beat(world.genre, kind) for kind in kinds]
    if lengths is not None and len(lengths) == scene_count:
        durations = [float(x) for x in lengths]
    else:
        durations = plan_durations(
            [b.weight for b in beats], seed=world.seed, min_s=min_s, max_s=max_s, target_s=target_s
        )
    spoken = narration and world.genre != "music"
    negative = f"{vocab.NEGATIVE['base']}, {vocab.NEGATIVE[world.genre]}"
    scenes: list[dict[str, Any]] = []
    previous_camera = ""
    for i, (b, seen, duration) in enumerate(zip(beats, _occurrences(kinds), durations, strict=True)):
        fields = world.fields(i)
        camera = vocab.pick(b.cameras, world.seed, "camera", i)
        if camera == previous_camera:  # two identical moves in a row read as one long shot
            camera = CAMERA_MOVES[(CAMERA_MOVES.index(camera) + 1) % len(CAMERA_MOVES)]
        previous_camera = camera
        scenes.append(
            {
                "description": _fill(
                    vocab.pick(b.descriptions, world.seed, "desc", b.kind, offset=seen), fields
                ),
                "negative_prompt": negative,
                "duration_s": duration,
                "camera": camera,
                "on_screen_text": _on_screen_text(
                    vocab.pick(b.texts, world.seed, "text", b.kind, offset=seen), fields
                ),
                "narration": narration_line(b.kind, fields, seed=world.seed, index=i, duration_s=duration)
                if spoken
                else "",
            }
        )
    return {"scenes": scenes}


def _story_seed(story: Mapping[str, Any]) -> int:
    return stable_seed(json.dumps(dict(story), sort_keys=True, default=str))


def _palette_of(story: Mapping[str, Any], seed: int) -> str:
    match = _PALETTE_IN_STYLE.search(str(story.get("style", "")))
    return match.group(1).strip() if match else vocab.pick(vocab.PALETTES, seed, "palette")


def _merge_negative(existing: str, extra: str) -> str:
    terms = [t.strip() for t in f"{existing},{extra}".split(",") if t.strip()]
    return ", ".join(dict.fromkeys(terms))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def enhance_scenes(story: Mapping[str, Any], scenes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return an EnhancedScenes-shaped dict: each description plus lens, light, palette and texture."""
    seed = _story_seed(story)
    palette = _palette_of(story, seed)
    out = []
    for i, scene in enumerate(scenes):
        description = _sentence(str(scene.get("description", "")))
        if _ENHANCE_MARK not in description:  # enhancing twice must not stack the detail
            camera = str(scene.get("camera", ""))
            lens = vocab.pick(vocab.LENSES.get(camera, vocab.LENSES["static"]), seed, "lens", i)
            light = vocab.pick(vocab.LIGHTS, seed, "enhance-light", i)
            texture = vocab.pick(vocab.TEXTURES, seed, "texture")
            description += f" {_ENHANCE_MARK}{lens}, {light}, a colour palette of {palette}, {texture}."
        out.append(
            {
                "index": i,
                "description": description,
                "negative_prompt": _merge_negative(str(scene.get("negative_prompt", "")), _SHOT_ARTEFACTS),
            }
        )
    return {"scenes": out}


def align_scenes(story: Mapping[str, Any], scenes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return an AlignedScenes-shaped dict: one style anchor, a cast sheet and anchored descriptions."""
    seed = _story_seed(story)
    palette = _palette_of(story, seed)
    style = str(story.get("style", "")).strip().rstrip(".")
    style = _PALETTE_IN_STYLE.sub("", style).strip(" ,") or vocab.pick(vocab.STYLES["story"], seed, "style")
    anchor = f"Consistent look: {style}, palette of {palette}."
    text = " ".join(str(story.get(k, "")) for k in ("title", "logline", "story"))
    if read_brief(text).is_ad:
        cast = {
            "name": "Hero product",
            "appearance": f"the product exactly as revealed: same shape, materials, colours ({palette}) and "
            "label in every shot",
        }
        continuity = "The hero product keeps the same shape, colours and label as in every other scene."
    else:
        wardrobe = vocab.pick(vocab.WARDROBES, seed, "wardrobe")
        cast = {
            "name": "Protagonist",
            "appearance": f"the same face, hair and build in every shot, wearing {wardrobe}",
        }
        continuity = f"The protagonist wears {wardrobe}, the same as in every other scene."
    out = []
    for i, scene in enumerate(scenes):
        description = _sentence(str(scene.get("description", "")))
        if anchor not in description:  # aligning twice must not repeat the anchor
            description = f"{description} {continuity} {anchor}"
        out.append({"index": i, "description": description})
    return {"style_anchor": anchor, "characters": [cast], "scenes": out}
