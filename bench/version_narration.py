"""What narration costs an edited version: the same edited cut rendered silent, spoken, and spoken+burned.

    python bench/version_narration.py [--scenes 4] [--runs 2]

One offline narrated story is made through the real pipeline; its first scene is trimmed and the order
reversed (the edit a version render does), and that cut is rendered three ways with the version
render's own steps on the stored clips and recordings: silent (the baseline: prepare the changed
scenes, stitch, poster), with the lines mixed in and the captions written as files, and with the
captions burned in too. The best of `--runs` of each is printed, with its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reelsmith.config import Settings
from reelsmith.db.models import Asset, Version
from reelsmith.generations.reading import read_fresh
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.generations.version_render import finish, prepare_parts, stitch_parts, target_of
from reelsmith.generations.versions import list_versions
from reelsmith.media.probe import probe
from reelsmith.pipeline.cut import Cut, Edit, SceneEdit, apply_edit
from reelsmith.pipeline.narration import NarrationPlan, SpokenScene, narrate, words_of
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import CaptionMode

PROMPT = "A lighthouse keeper's last night"


def _story(rt: Runtime, scenes: int) -> tuple[Cut, dict[str, str]]:
    """A finished narrated story's edited cut, and every stored file's key by asset id."""
    user = ensure_local_user(rt)
    local = ProviderChoice(text="local", image="local", video="local", speech="local")
    request = GenerationCreate(
        prompt=PROMPT, scenes=scenes, providers=local, narration=True, captions=CaptionMode.FILE
    )
    gid = create_generation(rt, user, request, bill=False)
    assert read_fresh(rt, gid).status == "completed"
    (first,) = list_versions(rt, gid)
    with rt.db.read() as session:
        version = session.get(Version, first.id)
        assert version is not None
        cut = Cut.from_json(version.cut)
        keys = {a.id: a.storage_key for a in session.query(Asset).filter(Asset.generation_id == gid)}
    opening = cut.scenes[0]
    spoken = max(float(w["end_s"]) for w in opening.words)
    trim = SceneEdit(opening.scene_id, start_s=0.3, duration_s=max(spoken + 0.6, opening.duration_s - 1.0))
    order = tuple(s.scene_id for s in reversed(cut.scenes))
    edited, _ = apply_edit(cut, Edit(scenes=(trim,), order=order))
    return edited, keys


def _render(rt: Runtime, cut: Cut, keys: dict[str, str], captions: CaptionMode | None) -> float:
    """Seconds to render the cut (None: silent, else narrated with these captions)."""
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        clips = [stack.enter_context(rt.blobs.local_path(keys[s.clip_asset_id])) for s in cut.scenes]
        started = time.monotonic()
        parts = prepare_parts(cut, clips, target_of(clips[0]), workdir)
        video = stitch_parts(cut, parts, None, workdir)
        if captions is not None:
            plan = NarrationPlan(
                clip_lengths=tuple(probe(p).duration_s for p in parts),
                spoken=tuple(
                    SpokenScene(keys[str(s.speech_asset_id)], words_of(s.words)) if s.speaks else None
                    for s in cut.scenes
                ),
                transition=cut.transition,
                transition_s=cut.transition_s,
                captions=captions,
                caption_style="bold",
            )
            video = narrate(rt, video, plan, workdir, stack).video
        finish(video, workdir)
        return time.monotonic() - started


def _best(runs: int, render: Callable[[], float]) -> float:
    return min(render() for _ in range(runs))


def main() -> None:
    """Render the edited cut three ways and print the times and their ratios to the silent render."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        rt = build_runtime(settings, inline=True)
        cut, keys = _story(rt, args.scenes)
        silent = _best(args.runs, lambda: _render(rt, cut, keys, None))
        spoken = _best(args.runs, lambda: _render(rt, cut, keys, CaptionMode.FILE))
        burned = _best(args.runs, lambda: _render(rt, cut, keys, CaptionMode.BURN))
        rt.close()
    print(f"edited cut of {cut.duration_s:.1f} s, {len(cut.scenes)} scenes (best of {args.runs})")
    print(f"silent (baseline):          {silent:.2f} s")
    print(f"lines mixed, caption files: {spoken:.2f} s ({spoken / silent:.2f}x)")
    print(f"lines mixed, burned:        {burned:.2f} s ({burned / silent:.2f}x)")


if __name__ == "__main__":
    main()
