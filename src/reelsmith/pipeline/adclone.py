"""Ad clone mode: study a source ad, rewrite it for the user's product, and cut it four ways.

The source's shots give the pacing (where the four scenes cut); the writer turns the source's structure
into a story about the user's product (``transform``) and then writes each variant's four scenes at its
intensity, from ``soft`` (the source's rhythm and structure, only the product changed) to ``ultra`` (the
same message, reimagined). After stitching, ``evaluate`` measures each variant against the source.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, Variant
from reelsmith.errors import InvalidInput, NotFound, ProviderError
from reelsmith.pipeline.assets import owned_upload
from reelsmith.pipeline.narration import fit_to_lines, narrated
from reelsmith.pipeline.writing import add_variant, ask, load_generation, step_output
from reelsmith.vocabulary import SCENES_PER_VARIANT, Intensity, VariantStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

MIN_SOURCE_S = 3.0
MAX_SOURCE_S = 180.0
# The clone's length: the source's, kept within what four generated clips can cover well.
MIN_TOTAL_S = 12.0
MAX_TOTAL_S = 40.0
MIN_SCENE_S = 2.0
MAX_SCENE_S = 12.0
# How far a cut may move to land on one of the source's own cuts, as a share of the average scene.
_SNAP_SHARE = 0.3
_MAX_LISTED_SHOTS = 40
# A detected cut this close to a scene join is that join.
_SAME_CUT_S = 0.25

DIRECTIONS: dict[Intensity, str] = {
    Intensity.SOFT: "Stay as close to the source ad as possible: the same structure, rhythm, framing and "
    "tone; only the product, brand and wording change.",
    Intensity.MEDIUM: "Keep the source ad's structure and rhythm, but give every scene new settings and "
    "visuals that suit the product.",
    Intensity.AGGRESSIVE: "Keep the message, sharpen everything else: faster cuts, bolder camera moves, "
    "punchier on-screen text and a stronger call to action.",
    Intensity.ULTRA: "Reimagine the ad completely: a different visual world and storytelling device, keeping "
    "only the product's promise and the call to action.",
}
# How close to the source's cut rhythm each intensity should land (1 = the same cuts).
_TARGET_PACING: dict[Intensity, float] = {
    Intensity.SOFT: 1.0,
    Intensity.MEDIUM: 0.85,
    Intensity.AGGRESSIVE: 0.65,
    Intensity.ULTRA: 0.45,
}
# Aggressive variants cut faster than the source.
_AGGRESSIVE_TEMPO = 0.8


def check_source(session: Session, user_id: str, asset_id: str | None) -> Asset:
    """The user's uploaded video named by ``source_asset_id``, or a 4xx naming the field."""
    asset = owned_upload(
        session,
        user_id,
        asset_id,
        field="source_asset_id",
        kind="video",
        missing="ad clones need the source ad: upload a video and pass its id",
    )
    if not MIN_SOURCE_S <= (asset.duration_s or 0.0) <= MAX_SOURCE_S:
        raise InvalidInput(
            "source_asset_id",
            f"the source ad is {asset.duration_s:.1f} s; ad clones take {MIN_SOURCE_S:g}-{MAX_SOURCE_S:g} s",
        )
    return asset


def check_intensities(kinds: Sequence[str]) -> list[Intensity]:
    """The requested variant kinds in canonical order, without repeats; a 4xx naming the field if none."""
    chosen = [k for k in Intensity if k in kinds]
    unknown = sorted(set(kinds) - set(Intensity))
    if unknown:
        raise InvalidInput("variants", f"unknown variant {unknown[0]!r}; expected {', '.join(Intensity)}")
    if not chosen:
        raise InvalidInput("variants", "choose at least one of soft, medium, aggressive, ultra")
    return chosen


def pace(duration_s: float, cuts: Sequence[float], count: int = SCENES_PER_VARIANT) -> list[float]:
    """Scene lengths that follow the source's rhythm: ``count`` spans cut where the source cuts.

    Each boundary is placed at its even position and moved onto the nearest source cut when one is
    close; the lengths are then scaled to the clone's total and kept within the scene bounds.
    """
    if duration_s <= 0:
        raise ValueError("the source has no duration")
    even = duration_s / count
    boundaries = [0.0]
    for k in range(1, count):
        ideal = k * even
        near = [c for c in cuts if abs(c - ideal) <= _SNAP_SHARE * even and c > boundaries[-1] + 0.1 * even]
        boundaries.append(min(near, key=lambda c: abs(c - ideal)) if near else ideal)
    boundaries.append(duration_s)
    raw = [b - a for a, b in itertools.pairwise(boundaries)]
    total = min(max(duration_s, MIN_TOTAL_S), MAX_TOTAL_S)
    return _fit(raw, total)


def _fit(lengths: Sequence[float], total: float) -> list[float]:
    """Scale ``lengths`` to sum to ``total`` with each within the scene bounds (water-filling)."""
    scaled = [x * total / sum(lengths) for x in lengths]
    for _ in range(len(scaled)):
        clamped = [min(max(x, MIN_SCENE_S), MAX_SCENE_S) for x in scaled]
        free = [i for i, x in enumerate(scaled) if MIN_SCENE_S < x < MAX_SCENE_S]
        excess = total - sum(clamped)
        if abs(excess) < 1e-6 or not free:
            scaled = clamped
            break
        share = sum(clamped[i] for i in free)
        scaled = [x + excess * x / share if i in free else x for i, x in enumerate(clamped)]
    rounded = [round(x, 2) for x in scaled]
    rounded[-1] = round(rounded[-1] + round(sum(scaled), 2) - sum(rounded), 2)
    return rounded


def lengths_for(kind: str, source_lengths: Sequence[float]) -> list[float]:
    """Scene lengths of one variant.

    Soft and medium keep the source's rhythm, aggressive cuts it faster, and ultra lets go of it:
    even scenes over the same total.
    """
    if kind == Intensity.AGGRESSIVE:
        total = max(MIN_SCENE_S * len(source_lengths), sum(source_lengths) * _AGGRESSIVE_TEMPO)
        return _fit(source_lengths, total)
    if kind == Intensity.ULTRA:
        return _fit([1.0] * len(source_lengths), sum(source_lengths))
    return list(source_lengths)


def compute_source(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Shots, pacing, palette, motion and loudness of the source ad."""
    from reelsmith.media.analysis import analyze_video

    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        source_id = gen.inputs.source_asset_id if gen else None
        source = session.get(Asset, source_id) if source_id else None
        if gen is None or source is None:
            raise NotFound("the source ad of this generation is gone")
        key = source.storage_key
    with rt.blobs.local_path(key) as path:
        analysis = analyze_video(path)
    cuts = [shot.start_s for shot in analysis.shots[1:]]
    return {
        "duration_s": analysis.duration_s,
        "shot_count": len(analysis.shots),
        "average_shot_s": round(analysis.duration_s / len(analysis.shots), 3),
        "cuts": [round(c, 3) for c in cuts],
        "shots": [
            {"start_s": s.start_s, "end_s": s.end_s, "palette": list(s.palette), "motion": round(s.motion, 4)}
            for s in analysis.shots[:_MAX_LISTED_SHOTS]
        ],
        "palette": list(analysis.palette),
        "motion_level": analysis.motion_level,
        "loudness_lufs": analysis.loudness_lufs,
        "lengths": pace(analysis.duration_s, cuts),
    }


def _source_summary(source: dict[str, Any]) -> dict[str, Any]:
    """What the writer is told about the source (the shot list without per-shot numbers)."""
    return {
        "duration_s": source["duration_s"],
        "shot_count": source["shot_count"],
        "average_shot_s": source["average_shot_s"],
        "palette": source["palette"],
        "motion_level": source["motion_level"],
        "scene_lengths_s": source["lengths"],
    }


def compute_transform(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Rewrite the source ad's structure as a story about the user's product."""
    gen = load_generation(rt, generation_id)
    source = step_output(rt, generation_id, "source")
    return ask(
        rt,
        gen,
        "transform",
        {
            "prompt": gen.prompt,
            "title": gen.title,
            "source": _source_summary(source),
            "scene_count": SCENES_PER_VARIANT,
        },
    )


def compute_variants(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Write each requested variant's four scenes at its intensity."""
    gen = load_generation(rt, generation_id)
    source = step_output(rt, generation_id, "source")
    story = step_output(rt, generation_id, "transform")
    variants: dict[str, Any] = {}
    for kind in gen.inputs.variants:
        lengths = lengths_for(kind, source["lengths"])
        reply = ask(
            rt,
            gen,
            "variant",
            {
                "prompt": gen.prompt,
                "story": story,
                "intensity": kind,
                "direction": DIRECTIONS[kind],
                "source": _source_summary(source),
                "scene_count": SCENES_PER_VARIANT,
                "lengths_s": lengths,
                "narration": narrated(gen.mode, gen.inputs),
            },
        )
        scenes = reply["scenes"]
        if len(scenes) != SCENES_PER_VARIANT:
            raise ProviderError(
                f"asked for {SCENES_PER_VARIANT} scenes of the {kind} variant, "
                f"the writer returned {len(scenes)}"
            )
        # The cuts follow the source's pacing, whatever lengths the writer proposed, stretched only
        # where a scene's spoken line would not fit in it.
        for scene, length in zip(scenes, lengths, strict=True):
            scene["duration_s"] = length
        if narrated(gen.mode, gen.inputs):
            fit_to_lines(scenes)
        variants[kind] = scenes
    return {"variants": variants}


def apply_variants(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Create one variant row per intensity with its scenes."""
    for kind, scenes in output["variants"].items():
        add_variant(session, gen, kind, scenes)


def pacing_similarity(
    source_cuts: Sequence[float], source_s: float, cuts: Sequence[float], total_s: float
) -> float:
    """1 when two videos cut at the same relative moments, falling to 0 as the cuts drift apart.

    Each cut is placed on a 0-1 timeline; the mean distance from every cut to the other video's nearest
    cut, over a quarter of the timeline, is subtracted from 1.
    """
    a = [c / source_s for c in source_cuts if 0 < c < source_s]
    b = [c / total_s for c in cuts if 0 < c < total_s]
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    distances = [min(abs(x - y) for y in b) for x in a] + [min(abs(y - x) for x in a) for y in b]
    return round(max(0.0, 1.0 - (sum(distances) / len(distances)) / 0.25), 3)


def _score(kind: str, similarity: float, ratio: float, has_cta: bool) -> tuple[int, list[str]]:
    target = _TARGET_PACING[Intensity(kind)]
    fit = 1.0 - abs(similarity - target)
    duration_fit = min(ratio, 1 / ratio) if ratio > 0 else 0.0
    score = round(100 * (0.6 * fit + 0.25 * duration_fit + 0.15 * (1.0 if has_cta else 0.0)))
    reasons = [
        f"cut rhythm {similarity:.0%} like the source's (the {kind} variant aims for about {target:.0%})",
        f"runs {ratio:.0%} of the source's length",
        "ends on a call to action" if has_cta else "has no on-screen call to action at the end",
    ]
    return score, reasons


def cuts_of_final(scene_lengths: Sequence[float], final_s: float, detected: Sequence[float]) -> list[float]:
    """Where the final video cuts: its scene joins, plus any cut a provider put inside a clip.

    The joins are known exactly from the stitch (scaled to the final length, which transitions
    shorten); detection alone can miss a join between two similar-looking scenes.
    """
    scale = final_s / sum(scene_lengths) if sum(scene_lengths) > 0 else 1.0
    joins = [c * scale for c in itertools.accumulate(scene_lengths[:-1])]
    inside = [c for c in detected if all(abs(c - j) > _SAME_CUT_S for j in joins)]
    return sorted(round(c, 3) for c in [*joins, *inside])


def compute_evaluate(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Score each variant's final video against the source: rhythm, length and call to action."""
    from reelsmith.media.analysis import analyze_video

    source = step_output(rt, generation_id, "source")
    with rt.db.read() as session:
        todo = [
            (
                v.kind,
                asset.storage_key,
                [s.duration_s for s in v.scenes],
                v.scenes[-1].on_screen_text if v.scenes else "",
            )
            for v in session.scalars(
                select(Variant).where(
                    Variant.generation_id == generation_id, Variant.status != VariantStatus.FAILED
                )
            )
            if v.video_asset_id and (asset := session.get(Asset, v.video_asset_id)) is not None
        ]
    results: dict[str, Any] = {}
    for kind, key, lengths, last_text in todo:
        with rt.blobs.local_path(key) as path:
            final = analyze_video(path)
        cuts = cuts_of_final(lengths, final.duration_s, [shot.start_s for shot in final.shots[1:]])
        similarity = pacing_similarity(source["cuts"], source["duration_s"], cuts, final.duration_s)
        ratio = final.duration_s / source["duration_s"]
        score, reasons = _score(kind, similarity, ratio, bool(last_text.strip()))
        results[kind] = {
            "score": score,
            "pacing_similarity": similarity,
            "duration_s": final.duration_s,
            "cuts": cuts,
            "reasons": reasons,
        }
    best = max(results, key=lambda k: results[k]["score"]) if results else None
    return {"variants": results, "best": best, "source_duration_s": source["duration_s"]}


def apply_evaluate(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Make the best-scored variant the generation's face (cards, player, share page)."""
    if output.get("best"):
        gen.update_state(best_variant=output["best"])
